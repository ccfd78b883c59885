/* daemon/main.c - the signpost binary: subcommands, startup, signals, reload and shutdown. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/log.h"
#include "daemon/config.h"
#include "daemon/resolver_cmd.h"
#include "daemon/up.h"
#include "dns/name.h"
#include "net/server.h"
#include "zone/db.h"
#include "zone/load.h"
#include "zone/zone.h"

#ifndef SIGNPOST_VERSION
#define SIGNPOST_VERSION "0.1.0"
#endif

static const char USAGE[] =
	"Usage: signpost COMMAND [OPTIONS]\n"
	"\n"
	"signpost is a self-hosted Amazon Route 53. Commands:\n"
	"  up         the Route 53 API and the DNS server that serves its zones, on one store\n"
	"  dns        serve DNS zones from zone files (authoritative, UDP and TCP)\n"
	"  resolver   the caching iterative resolver alone (root hints, cache, UDP and TCP)\n"
	"  resolver-control  flush the running resolver's cache, show its counters\n"
	"  import     import a BIND zone file into a hosted zone (one atomic change batch)\n"
	"  export     write a hosted zone as a BIND zone file\n"
	"\n"
	"Options:\n"
	"  -h, --help     show this help; `signpost COMMAND --help` shows a command's\n"
	"  -V, --version  print the version\n"
	"\n"
	"Examples:\n"
	"  signpost up        # API on http://127.0.0.1:8053, DNS on 127.0.0.1:5300\n"
	"  signpost dns --listen 127.0.0.1:5300 --zone example.com=examples/example.com.zone\n"
	"  dig @127.0.0.1 -p 5300 www.example.com A\n"
	"  signpost resolver --listen 127.0.0.1:5353 --root-hints signpost-data/root.hints\n"
	"  signpost import --data DIR --zone-id Z0123456789ABCDEFGHIJ example.com.zone\n"
	"  signpost export --data DIR --zone-id Z0123456789ABCDEFGHIJ -o example.com.zone\n"
	"(import and export work on the store directly: stop `signpost up` on it first)\n";

static const char DNS_USAGE[] =
	"Usage: signpost dns [OPTIONS]\n"
	"\n"
	"Serves zones from BIND-format zone files as an authoritative DNS server, over UDP and\n"
	"TCP on every listen address. Settings come from --config FILE and from the flags; a flag\n"
	"overrides the file (see docs/configuration.md).\n"
	"\n"
	"Options:\n"
	"  --listen ADDR[:PORT]       serve on this address; repeatable. IPv6 as [::1]:5300.\n"
	"                             Default port 53. Flags replace the file's listen lines.\n"
	"                             Default: 0.0.0.0:53 and [::]:53.\n"
	"  --zone NAME=FILE           serve zone NAME from zone file FILE; repeatable. Adds to\n"
	"                             the file's zones (same NAME: the flag wins).\n"
	"  --workers N                worker threads, 1-1024, or auto (default: one per CPU)\n"
	"  --config FILE              read settings from FILE (re-read on SIGHUP)\n"
	"  --log-level LEVEL          error, warning, info (default) or debug; logs go to stderr\n"
	"  --tcp-idle-timeout SECONDS close TCP connections idle this long (default 10)\n"
	"  --tcp-max-connections N    open TCP connections at most, all workers together\n"
	"                             (default 1000); a new connection beyond the limit\n"
	"                             closes the least recently active one\n"
	"  -h, --help                 show this help\n"
	"\n"
	"Signals:\n"
	"  SIGHUP           reload every zone file (and the --config file) without stopping;\n"
	"                   a zone that fails to load keeps serving its previous version\n"
	"  SIGTERM, SIGINT  stop\n"
	"\n"
	"A zone whose file does not load is not served; the error names the file and line.\n"
	"Exit status: 0 after SIGTERM/SIGINT, 1 if no listen address could be bound, 2 for\n"
	"invalid flags or configuration.\n"
	"\n"
	"Example:\n"
	"  signpost dns --listen 127.0.0.1:5300 --listen [::1]:5300 \\\n"
	"      --zone example.com=examples/example.com.zone\n";

struct daemon {
	const char *config_path; /* NULL without --config */
	struct config flags;     /* as given on the command line */
	struct config file;      /* the last configuration file that read well */
	struct config cfg;       /* in effect: file merged with flags */
	struct zone_db *db;
	struct server *srv;
	int sigfd;
};

unsigned daemon_cpu_count(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static const char *err_text(int rc)
{
	return rc >= ZONE_EOUTSIDE && rc <= ZONE_ENOMEM ? zone_strerror(rc) : strerror(-rc);
}

/* Loads one configured zone and publishes it; on failure the served version (if any) stays. */
static int load_zone(struct zone_db *db, const struct config_zone *z)
{
	char err[1024];
	struct zone_version *v = NULL;
	bool had = zone_db_zone(db, z->origin) != NULL;
	int rc = zone_load_file(z->path, z->origin, &v, err, sizeof(err));
	if (rc != 0) {
		log_err("zone %s: %s; %s", z->name, err,
			had ? "still serving the version loaded before (fix the file, then SIGHUP)"
			    : "zone not served (fix the file, then SIGHUP)");
		return rc;
	}
	uint32_t serial = zone_version_serial(v);
	size_t records = v->nrecords;
	rc = zone_db_publish(db, v, true);
	if (rc != 0) { /* nothing changed: v is still ours */
		zone_version_free(v);
		log_err("zone %s: cannot publish: %s; %s", z->name, err_text(rc),
			had ? "still serving the version loaded before" : "zone not served");
		return rc;
	}
	log_info("zone %s: loaded %s (serial %u, %zu records)", z->name, z->path, serial, records);
	return 0;
}

static size_t served_zones(const struct daemon *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->cfg.nzones; i++)
		if (zone_db_zone(d->db, d->cfg.zones[i].origin))
			n++;
	return n;
}

static bool same_listen(const struct config *a, const struct config *b)
{
	if (a->nlisten != b->nlisten)
		return false;
	for (size_t i = 0; i < a->nlisten; i++)
		if (!server_addr_equal(&a->listen[i], &b->listen[i]))
			return false;
	return true;
}

/*
 * SIGHUP: re-reads the configuration file (if any), then every zone file. Versions are built
 * here, off the workers, and each is published whole; zones no longer configured stop being
 * served; zone_db_sync() then waits until every worker answers from the new set.
 */
static void reload(struct daemon *d)
{
	char err[1024];
	struct config next;

	log_info("SIGHUP: reloading%s", d->config_path ? " the configuration and zones" : " zones");
	if (d->config_path) {
		struct config file;
		config_init(&file);
		if (config_read_file(&file, d->config_path, err, sizeof(err)) == 0) {
			config_free(&d->file);
			d->file = file;
		} else {
			log_err("%s; keeping the configuration read before", err);
			config_free(&file);
		}
	}
	if (config_merge(&next, d->config_path ? &d->file : NULL, &d->flags, err, sizeof(err)) !=
	    0) {
		log_err("reload: %s; nothing reloaded", err);
		return;
	}
	if (next.workers == 0)
		next.workers = daemon_cpu_count();
	if (!same_listen(&next, &d->cfg) || next.workers != d->cfg.workers ||
	    next.tcp_idle_timeout_ms != d->cfg.tcp_idle_timeout_ms ||
	    next.tcp_max_connections != d->cfg.tcp_max_connections)
		log_warn(
			"listen, workers and tcp-* settings changed: they take effect only after a "
			"restart");
	log_set_level(next.log_level);

	for (size_t i = 0; i < next.nzones; i++)
		(void)load_zone(d->db, &next.zones[i]);
	for (size_t i = 0; i < d->cfg.nzones; i++) {
		const struct config_zone *z = &d->cfg.zones[i];
		if (config_find_zone(&next, z->origin))
			continue;
		int rc = zone_db_remove(d->db, z->origin);
		if (rc == 0)
			log_info("zone %s: no longer configured, not served any more", z->name);
		else if (rc != ZONE_ENOTFOUND)
			log_err("zone %s: cannot stop serving it: %s", z->name, err_text(rc));
	}
	zone_db_sync(d->db);
	config_free(&d->cfg);
	d->cfg = next;
	log_info("reloaded: serving %zu of %zu configured zones", served_zones(d), d->cfg.nzones);
}

/*
 * Sockets for every worker and listen address plus the connection cap must fit the
 * open-file limit: raise the soft limit, or lower the cap.
 */
static unsigned fit_file_limit(const struct config *c, size_t nextra)
{
	rlim_t need = (rlim_t)c->workers * (c->nlisten + nextra) * 2 + c->workers +
		      c->tcp_max_connections + 64;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return c->tcp_max_connections;
	rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
	struct rlimit nrl = {.rlim_cur = want, .rlim_max = rl.rlim_max};
	if (want > rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &nrl) == 0)
		rl.rlim_cur = want;
	if (rl.rlim_cur >= need)
		return c->tcp_max_connections;
	rlim_t other = need - c->tcp_max_connections;
	unsigned cap = rl.rlim_cur > other + 1 ? (unsigned)(rl.rlim_cur - other) : 1;
	log_warn("the open-file limit (%llu) is too low for --tcp-max-connections %u: using %u "
		 "(raise it with `ulimit -n`)",
		 (unsigned long long)rl.rlim_cur, c->tcp_max_connections, cap);
	return cap;
}

bool daemon_read_signals(int sigfd, bool *hup)
{
	struct signalfd_siginfo si;
	bool stop = false;
	while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			*hup = true;
		} else {
			log_info("SIG%s: shutting down", sigabbrev_np((int)si.ssi_signo));
			stop = true;
		}
	}
	return stop;
}

/* Flags into d->flags; returns -1 (usage error, reported), 0, or 1 (help printed). */
static int parse_dns_flags(int argc, char **argv, struct daemon *d)
{
	enum {
		OPT_LISTEN = 256,
		OPT_ZONE,
		OPT_WORKERS,
		OPT_CONFIG,
		OPT_LOG_LEVEL,
		OPT_TCP_IDLE,
		OPT_TCP_MAX,
	};
	static const struct option opts[] = {
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"zone", required_argument, NULL, OPT_ZONE},
		{"workers", required_argument, NULL, OPT_WORKERS},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{"tcp-idle-timeout", required_argument, NULL, OPT_TCP_IDLE},
		{"tcp-max-connections", required_argument, NULL, OPT_TCP_MAX},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char err[1024];
	int opt;
	argv[0] = "signpost dns"; /* getopt's own messages name the command */
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int rc = 0;
		switch (opt) {
		case 'h':
			fputs(DNS_USAGE, stdout);
			return 1;
		case OPT_LISTEN:
			rc = config_add_listen(&d->flags, optarg, err, sizeof(err));
			break;
		case OPT_ZONE:
			rc = config_add_zone_spec(&d->flags, optarg, err, sizeof(err));
			break;
		case OPT_WORKERS:
			rc = config_set_workers(&d->flags, optarg, err, sizeof(err));
			break;
		case OPT_CONFIG:
			d->config_path = optarg;
			break;
		case OPT_LOG_LEVEL:
			rc = config_set_log_level(&d->flags, optarg, err, sizeof(err));
			break;
		case OPT_TCP_IDLE:
			rc = config_set_tcp_idle_timeout(&d->flags, optarg, err, sizeof(err));
			break;
		case OPT_TCP_MAX:
			rc = config_set_tcp_max_connections(&d->flags, optarg, err, sizeof(err));
			break;
		default: /* getopt said what was wrong */
			fprintf(stderr, "see `signpost dns --help`\n");
			return -1;
		}
		if (rc != 0) {
			fprintf(stderr, "signpost dns: %s\n", err);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"signpost dns: unexpected argument '%s'; see `signpost dns --help`\n",
			argv[optind]);
		return -1;
	}
	return 0;
}

void daemon_addr_list(const struct server_addr *addrs, size_t n, char *list, size_t len)
{
	size_t used = 0;
	list[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		char text[SERVER_ADDR_TEXT_MAX];
		server_addr_to_text(&addrs[i], text);
		int w = snprintf(list + used, len - used, "%s%s", i ? ", " : "", text);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

void daemon_log_dns(const struct server *srv, size_t nzones, unsigned workers, const char *what)
{
	const struct server_addr *addrs;
	size_t n = server_bound(srv, &addrs);
	char list[1024];
	daemon_addr_list(addrs, n, list, sizeof(list));
	log_info("%s %zu zone%s on %s (UDP and TCP, %u worker%s)", what, nzones,
		 nzones == 1 ? "" : "s", list, workers, workers == 1 ? "" : "s");
}

int daemon_wait_for_stop(int sigfd, const char *on_hup)
{
	for (;;) {
		bool hup = false;
		struct pollfd p = {.fd = sigfd, .events = POLLIN};
		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			return -1;
		}
		if (daemon_read_signals(sigfd, &hup))
			return 0;
		if (hup)
			log_info("%s", on_hup);
	}
}

int daemon_signals(void)
{
	/* Workers inherit this mask: signals are read from the signalfd, and nowhere else. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	int fd = -1;
	if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0 ||
	    (fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		log_err("cannot set up signal handling: %s", strerror(errno));
	return fd;
}

int daemon_dns_bind(const struct config *cfg, struct zone_db *db, const struct server_addr *extra,
		    struct zone_db *const *extra_dbs, size_t nextra, struct server **srv)
{
	size_t n = cfg->nlisten + nextra;
	struct server_addr *listen = calloc(n ? n : 1, sizeof(*listen));
	struct zone_db **dbs = calloc(n ? n : 1, sizeof(*dbs));
	if (!listen || !dbs) {
		free(listen);
		free(dbs);
		log_err("out of memory");
		return -1;
	}
	for (size_t i = 0; i < cfg->nlisten; i++)
		listen[i] = cfg->listen[i];
	for (size_t i = 0; i < nextra; i++) {
		listen[cfg->nlisten + i] = extra[i];
		dbs[cfg->nlisten + i] = extra_dbs[i];
	}
	struct server_opts so = {
		.listen = listen,
		.nlisten = n,
		.listen_db = dbs,
		.workers = cfg->workers,
		.tcp_idle_timeout_ms = cfg->tcp_idle_timeout_ms,
		.tcp_max_connections = fit_file_limit(cfg, nextra),
	};
	int rc = server_new(&so, db, srv);
	free(listen);
	free(dbs);
	if (rc != 0) {
		log_err("%s",
			rc == -EADDRNOTAVAIL
				? "no listen address could be bound (see above): nothing to serve"
				: strerror(-rc));
		return -1;
	}
	/* The other addresses may be skipped (logged); every extra one is needed. */
	const struct server_addr *bound;
	size_t nbound = server_bound(*srv, &bound);
	for (size_t i = 0; i < nextra; i++) {
		size_t j = 0;
		while (j < nbound && !server_addr_equal(&bound[j], &extra[i]))
			j++;
		if (j == nbound) {
			char text[SERVER_ADDR_TEXT_MAX];
			server_addr_to_text(&extra[i], text);
			log_err("cannot serve the sandbox on %s (see above)", text);
			server_free(*srv);
			*srv = NULL;
			return -1;
		}
	}
	return 0;
}

static int cmd_dns(int argc, char **argv)
{
	struct daemon d = {.sigfd = -1};
	char err[1024];
	int status = EXIT_USAGE;
	bool hup = false;

	config_init(&d.flags);
	config_init(&d.file);
	config_init(&d.cfg);
	int rc = parse_dns_flags(argc, argv, &d);
	if (rc != 0) {
		status = rc > 0 ? EXIT_SUCCESS : EXIT_USAGE;
		goto out_config;
	}
	if (d.flags.set & CONFIG_SET_LOG_LEVEL)
		log_set_level(d.flags.log_level);
	if (d.config_path && config_read_file(&d.file, d.config_path, err, sizeof(err)) != 0) {
		log_err("%s", err);
		goto out_config;
	}
	if (config_merge(&d.cfg, d.config_path ? &d.file : NULL, &d.flags, err, sizeof(err)) != 0) {
		log_err("%s", err);
		goto out_config;
	}
	log_set_level(d.cfg.log_level);
	if (d.cfg.workers == 0)
		d.cfg.workers = daemon_cpu_count();
	if (d.cfg.nzones == 0)
		log_warn("no zone configured: every query will be REFUSED (add --zone NAME=FILE)");

	status = EXIT_FAILURE;
	if ((d.sigfd = daemon_signals()) < 0)
		goto out_config;
	d.db = zone_db_new();
	if (!d.db) {
		log_err("out of memory");
		goto out_sigfd;
	}

	/* Bind before loading zones, so a port problem shows at once, not after a long load. */
	if (daemon_dns_bind(&d.cfg, d.db, NULL, NULL, 0, &d.srv) != 0)
		goto out_db;

	for (size_t i = 0; i < d.cfg.nzones; i++) {
		if (daemon_read_signals(d.sigfd, &hup)) {
			status = EXIT_SUCCESS;
			goto out_server;
		}
		(void)load_zone(d.db, &d.cfg.zones[i]);
	}
	zone_db_sync(d.db);

	if (server_start(d.srv) != 0)
		goto out_server;
	daemon_log_dns(d.srv, served_zones(&d), d.cfg.workers, "serving");

	for (;;) {
		if (hup) {
			hup = false;
			reload(&d);
		}
		struct pollfd p = {.fd = d.sigfd, .events = POLLIN};
		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (daemon_read_signals(d.sigfd, &hup))
			break;
	}
	status = EXIT_SUCCESS;
out_server:
	server_free(d.srv);
out_db:
	zone_db_free(d.db);
out_sigfd:
	close(d.sigfd);
out_config:
	config_free(&d.cfg);
	config_free(&d.file);
	config_free(&d.flags);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(USAGE, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
	    (strcmp(cmd, "help") == 0 && argc == 2)) {
		fputs(USAGE, stdout);
		return EXIT_SUCCESS;
	}
	if (strcmp(cmd, "help") == 0 && argc == 3 && strcmp(argv[2], "dns") == 0) {
		fputs(DNS_USAGE, stdout);
		return EXIT_SUCCESS;
	}
	if (strcmp(cmd, "help") == 0 && argc == 3 && strcmp(argv[2], "up") == 0) {
		fputs(UP_USAGE, stdout);
		return EXIT_SUCCESS;
	}
	if (strcmp(cmd, "help") == 0 && argc == 3 &&
	    (strcmp(argv[2], "import") == 0 || strcmp(argv[2], "export") == 0)) {
		fputs(strcmp(argv[2], "import") == 0 ? IMPORT_USAGE : EXPORT_USAGE, stdout);
		return EXIT_SUCCESS;
	}
	if (strcmp(cmd, "help") == 0 && argc == 3 && strcmp(argv[2], "resolver") == 0) {
		fputs(RESOLVER_USAGE, stdout);
		return EXIT_SUCCESS;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("signpost %s\n", SIGNPOST_VERSION);
		return EXIT_SUCCESS;
	}
	if (strcmp(cmd, "import") == 0)
		return cmd_import(argc - 1, argv + 1);
	if (strcmp(cmd, "export") == 0)
		return cmd_export(argc - 1, argv + 1);
	if (strcmp(cmd, "dns") == 0)
		return cmd_dns(argc - 1, argv + 1);
	if (strcmp(cmd, "up") == 0)
		return cmd_up(argc - 1, argv + 1);
	if (strcmp(cmd, "resolver") == 0)
		return cmd_resolver(argc - 1, argv + 1);
	if (strcmp(cmd, "resolver-control") == 0)
		return cmd_resolver_control(argc - 1, argv + 1);
	fprintf(stderr,
		"signpost: unknown command '%s'; commands: up, dns, resolver, resolver-control, "
		"import, export\n"
		"(see `signpost --help`)\n",
		cmd);
	return EXIT_USAGE;
}
