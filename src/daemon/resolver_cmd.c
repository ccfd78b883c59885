/*
 * daemon/resolver_cmd.c - `signpost resolver` (the caching resolver alone), `signpost
 * resolver-control` (its control channel's client), and the pieces `signpost up` uses to run
 * the same resolver: root hints files and the resolver's settings.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libzscanner/scanner.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"
#include "daemon/config.h"
#include "daemon/resolver_cmd.h"
#include "daemon/up.h"
#include "dns/consts.h"
#include "dns/name.h"

#define DEFAULT_LISTEN  "127.0.0.1:53"
#define MAX_HINT_RRS    256
#define HINTS_ZONE_TTL  3600000
#define DEFAULT_CONTROL "signpost-resolver.ctl"

const char RESOLVER_USAGE[] =
	"Usage: signpost resolver [OPTIONS]\n"
	"\n"
	"Runs the caching iterative resolver alone: it walks the DNS from the root servers of\n"
	"its root hints (the real Internet's, or a sandbox internet's), caches what it learns\n"
	"for its TTL, and answers clients over UDP and TCP (docs/resolver.md).\n"
	"\n"
	"Settings come from --config FILE and from the flags; a flag replaces the file's value\n"
	"(--listen and --allow flags replace the file's whole list).\n"
	"\n"
	"Options:\n"
	"  --config FILE           read settings from FILE: one `KEYWORD VALUE` per line, the\n"
	"                          keywords named as the flags below (trace, qname-minimisation\n"
	"                          and allow-loopback-upstreams take yes or no); `#` comments;\n"
	"                          relative paths are taken from FILE's directory\n"
	"  --listen ADDR[:PORT]    answer clients here, UDP and TCP; repeatable\n"
	"                          (default " DEFAULT_LISTEN "; a specific address, not 0.0.0.0)\n"
	"  --root-hints FILE       root servers in named.root format (default: the IANA\n"
	"                          root servers, built in). Loopback addresses in it allow\n"
	"                          loopback upstreams (a sandbox internet).\n"
	"  --upstream-port PORT    send every upstream query to this port instead of 53 (a\n"
	"                          sandbox on an unprivileged port; glue carries no port)\n"
	"  --allow CIDR            clients allowed (repeatable; default loopback only:\n"
	"                          127.0.0.0/8 and ::1). Others get REFUSED.\n"
	"  --control PATH          the control socket (default ./" DEFAULT_CONTROL "; mode 0600)\n"
	"  --cache-size MB         cache size (default 64)\n"
	"  --trace                 log every upstream query: server, name and type\n"
	"  --qname-minimisation    send each server only the labels it needs (RFC 9156)\n"
	"  --allow-loopback-upstreams\n"
	"                          query servers on 127.0.0.0/8 and ::1 (spec 15.1)\n"
	"  --log-level LEVEL       error, warning, info (default) or debug; logs go to stderr\n"
	"  --pid-file PATH         write the process id here once the addresses are bound;\n"
	"                          removed on exit. Refuses to start while the process it\n"
	"                          names runs (a stale file is replaced).\n"
	"  -h, --help              show this help\n"
	"\n"
	"Control: `signpost resolver-control --control PATH COMMAND` where COMMAND is\n"
	"  flush NAME | flush-zone NAME | flush-all | flush-negative | flush-infra |\n"
	"  lookup NAME [TYPE] | stats\n"
	"\n"
	"Signals: SIGTERM, SIGINT stop (exit status 0).\n"
	"The resolver runs in the foreground; logs go to stderr.\n"
	"Exit status: 1 if an address cannot be bound, the hints cannot be read or the PID\n"
	"file names a running process, 2 for invalid flags or an invalid configuration file\n"
	"(the message names FILE:LINE).\n"
	"\n"
	"Example:\n"
	"  signpost resolver --listen 127.0.0.1:5353 --root-hints signpost-data/root.hints \\\n"
	"      --trace\n"
	"  dig @127.0.0.1 -p 5353 www.example.com\n"
	"\n"
	"  # resolver.conf\n"
	"  listen 127.0.0.1:5353\n"
	"  root-hints root.hints\n"
	"  pid-file resolver.pid\n"
	"  signpost resolver --config resolver.conf --trace\n";

const char RESOLVER_CONTROL_USAGE[] =
	"Usage: signpost resolver-control [--control PATH] COMMAND [ARGS]\n"
	"\n"
	"Sends one command to a running resolver's control socket (default ./" DEFAULT_CONTROL
	"; `signpost up` uses DATA/resolver.ctl) and prints the reply.\n"
	"Commands:\n"
	"  flush NAME          forget what the cache holds for NAME (every type)\n"
	"  flush-zone NAME     forget NAME and everything below it\n"
	"  flush-all           forget everything, the server cache included\n"
	"  flush-negative      forget negative answers and cached failures\n"
	"  flush-infra         forget what is known about servers (RTT, lameness, EDNS)\n"
	"  lookup NAME [TYPE]  what the cache holds for NAME and TYPE (default A)\n"
	"  stats               the resolver's counters\n"
	"Exit status: 0 when the reply starts with \"ok\", 1 otherwise, 2 for invalid usage.\n";

void resolver_hints_free(struct resolver_hints *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free((void *)h->rr[i].owner);
		free((void *)h->rr[i].rdata);
	}
	free(h->rr);
	memset(h, 0, sizeof(*h));
}

static bool addr_is_loopback(uint16_t type, const uint8_t *rdata, uint16_t len)
{
	static const uint8_t v6lo[16] = {[15] = 1};
	if (type == DNS_T_A && len == 4)
		return rdata[0] == 127;
	return type == DNS_T_AAAA && len == 16 && memcmp(rdata, v6lo, 16) == 0;
}

int resolver_hints_read(const char *path, struct resolver_hints *h, char *err, size_t errlen)
{
	int rc = -EINVAL;
	memset(h, 0, sizeof(*h));
	zs_scanner_t *s = malloc(sizeof(*s));
	h->rr = calloc(MAX_HINT_RRS, sizeof(*h->rr));
	if (!s || !h->rr) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out_free;
	}
	if (zs_init(s, ".", DNS_CLASS_IN, HINTS_ZONE_TTL) != 0) {
		snprintf(err, errlen, "%s: %s", path, zs_strerror(s->error.code));
		goto out_deinit;
	}
	errno = 0;
	if (zs_set_input_file(s, path) != 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, e ? strerror(e) : zs_strerror(s->error.code));
		rc = e ? -e : -EINVAL;
		goto out_deinit;
	}
	size_t nns = 0, naddr = 0;
	for (;;) {
		if (zs_parse_record(s) != 0 || s->state == ZS_STATE_ERROR) {
			snprintf(err, errlen, "%s:%llu: %s", path,
				 (unsigned long long)s->line_counter, zs_strerror(s->error.code));
			goto out_deinit;
		}
		if (s->state == ZS_STATE_EOF)
			break;
		if (s->state == ZS_STATE_INCLUDE) {
			snprintf(err, errlen, "%s:%llu: $INCLUDE is not allowed in root hints",
				 path, (unsigned long long)s->line_counter);
			goto out_deinit;
		}
		if (s->state != ZS_STATE_DATA)
			continue;
		/* named.root holds ". NS" and the servers' A/AAAA; anything else is ignored. */
		if (s->r_type != DNS_T_NS && s->r_type != DNS_T_A && s->r_type != DNS_T_AAAA)
			continue;
		if (s->r_type == DNS_T_NS && s->r_owner[0] != 0)
			continue;
		if (h->n == MAX_HINT_RRS) {
			snprintf(err, errlen, "%s: more than %d records", path, MAX_HINT_RRS);
			goto out_deinit;
		}
		struct resolver_rr *rr = &h->rr[h->n];
		size_t olen = dns_name_len(s->r_owner);
		uint8_t *owner = malloc(olen);
		uint8_t *rdata = malloc(s->r_data_length ? s->r_data_length : 1);
		if (!owner || !rdata) {
			free(owner);
			free(rdata);
			snprintf(err, errlen, "out of memory");
			rc = -ENOMEM;
			goto out_deinit;
		}
		memcpy(owner, s->r_owner, olen);
		dns_name_lower(owner);
		memcpy(rdata, s->r_data, s->r_data_length);
		*rr = (struct resolver_rr){.owner = owner,
					   .type = s->r_type,
					   .rclass = DNS_CLASS_IN,
					   .ttl = s->r_ttl,
					   .rdata = rdata,
					   .rdlen = (uint16_t)s->r_data_length};
		h->n++;
		if (s->r_type == DNS_T_NS) {
			nns++;
		} else {
			naddr++;
			if (addr_is_loopback(s->r_type, rdata, rr->rdlen))
				h->loopback = true;
		}
	}
	if (nns == 0 || naddr == 0) {
		snprintf(err, errlen,
			 "%s: no root server in it (needs \". NS NAME\" and an A or "
			 "AAAA record for NAME, as in named.root)",
			 path);
		goto out_deinit;
	}
	rc = 0;
out_deinit:
	zs_deinit(s);
out_free:
	free(s);
	if (rc != 0)
		resolver_hints_free(h);
	return rc;
}

/*
 * Every upstream UDP query holds a socket of its own (spec 7.3) while it is in flight: raise
 * the soft open-file limit as far as the hard one allows (up to 65536).
 */
static void raise_file_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("resolver: cannot raise the open-file limit: %s", strerror(errno));
}

static int parse_num(const char *text, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (*end || errno || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int resolver_run_config(const struct resolver_settings *st, const struct resolver_hints *h,
			struct resolver_config *rc)
{
	resolver_config_default(rc);
	if (h->n) {
		rc->hints = h->rr;
		rc->nhints = h->n;
	} else {
		rc->nhints = resolver_iana_hints(&rc->hints);
	}
	if (st->upstream_port)
		rc->upstream_port = st->upstream_port;
	if (st->cache_mb)
		rc->cache_max_bytes = (size_t)st->cache_mb << 20;
	rc->allow_loopback_upstreams = st->allow_loopback_upstreams || h->loopback;
	rc->qname_minimisation = st->qname_minimisation;
	return 0;
}

/* Which settings one source (the file, or the flags) gave. */
enum {
	SET_UPORT = 1 << 0,
	SET_CACHE = 1 << 1,
	SET_TRACE = 1 << 2,
	SET_QMIN = 1 << 3,
	SET_LOOPBACK = 1 << 4,
	SET_LOG_LEVEL = 1 << 5,
};

/* The settings of one source; strings and lists are owned. */
struct resolver_source {
	struct server_addr *listen;
	size_t nlisten;
	struct rio_acl *allow;
	size_t nallow;
	char *hints_path;
	char *control;
	char *pid_file;
	uint16_t upstream_port;
	unsigned cache_mb;
	bool trace, qname_minimisation, allow_loopback_upstreams;
	enum log_level log_level;
	unsigned set; /* SET_* */
};

static void source_free(struct resolver_source *s)
{
	free(s->listen);
	free(s->allow);
	free(s->hints_path);
	free(s->control);
	free(s->pid_file);
	memset(s, 0, sizeof(*s));
}

/*
 * One setting, named as its flag is (without "--"), from the file or the command line; the
 * switches take yes or no (the flag passes "yes"). A path from the file is already taken
 * relative to the file's directory. The message in err leaves the caller to name the setting,
 * except for an unknown one (-ENOENT).
 */
static int source_set(struct resolver_source *s, const char *key, const char *value, char *err,
		      size_t errlen)
{
	unsigned long v;
	if (strcmp(key, "listen") == 0) {
		struct server_addr *l = realloc(s->listen, (s->nlisten + 1) * sizeof(*l));
		if (!l) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		s->listen = l;
		int rc = server_addr_parse(value, 53, &l[s->nlisten], err, errlen);
		if (rc == 0)
			s->nlisten++;
		return rc;
	}
	if (strcmp(key, "allow") == 0) {
		struct rio_acl *a = realloc(s->allow, (s->nallow + 1) * sizeof(*a));
		if (!a) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		s->allow = a;
		int rc = rio_acl_parse(value, &a[s->nallow], err, errlen);
		if (rc == 0)
			s->nallow++;
		return rc;
	}
	if (strcmp(key, "root-hints") == 0)
		return config_set_string(&s->hints_path, value, err, errlen);
	if (strcmp(key, "control") == 0)
		return config_set_string(&s->control, value, err, errlen);
	if (strcmp(key, "pid-file") == 0)
		return config_set_string(&s->pid_file, value, err, errlen);
	if (strcmp(key, "upstream-port") == 0) {
		if (parse_num(value, 1, 65535, &v) != 0) {
			snprintf(err, errlen, "1 to 65535, not '%s'", value);
			return -EINVAL;
		}
		s->upstream_port = (uint16_t)v;
		s->set |= SET_UPORT;
		return 0;
	}
	if (strcmp(key, "cache-size") == 0) {
		if (parse_num(value, 1, 1 << 20, &v) != 0) {
			snprintf(err, errlen, "megabytes, 1 or more, not '%s'", value);
			return -EINVAL;
		}
		s->cache_mb = (unsigned)v;
		s->set |= SET_CACHE;
		return 0;
	}
	if (strcmp(key, "log-level") == 0) {
		int lvl = log_level_parse(value);
		if (lvl < 0) {
			snprintf(err, errlen, "error, warning, info or debug, not '%s'", value);
			return -EINVAL;
		}
		s->log_level = (enum log_level)lvl;
		s->set |= SET_LOG_LEVEL;
		return 0;
	}
	static const struct {
		const char *key;
		size_t offset;
		unsigned bit;
	} switches[] = {
		{"trace", offsetof(struct resolver_source, trace), SET_TRACE},
		{"qname-minimisation", offsetof(struct resolver_source, qname_minimisation),
		 SET_QMIN},
		{"allow-loopback-upstreams",
		 offsetof(struct resolver_source, allow_loopback_upstreams), SET_LOOPBACK},
	};
	for (size_t i = 0; i < sizeof(switches) / sizeof(switches[0]); i++) {
		if (strcmp(key, switches[i].key) != 0)
			continue;
		if (config_parse_bool(value, (bool *)((char *)s + switches[i].offset)) != 0) {
			snprintf(err, errlen, "expected yes or no, not '%s'", value);
			return -EINVAL;
		}
		s->set |= switches[i].bit;
		return 0;
	}
	snprintf(err, errlen,
		 "unknown setting '%s' (known: listen, root-hints, upstream-port, allow, control, "
		 "cache-size, trace, qname-minimisation, allow-loopback-upstreams, log-level, "
		 "pid-file)",
		 key);
	return -ENOENT;
}

/* A line of the --config file (config_read_lines); paths relative to the file's directory. */
static int file_line(void *ctx, const char *conf, unsigned lineno, char *key, char *rest, char *err,
		     size_t errlen)
{
	(void)lineno;
	char *value = config_next_word(&rest);
	if (value[0] == '\0' || rest[0] != '\0') {
		snprintf(err, errlen, "expected: %s VALUE (one value per line)", key);
		return -EINVAL;
	}
	char *path = NULL, msg[512];
	if (strcmp(key, "root-hints") == 0 || strcmp(key, "control") == 0 ||
	    strcmp(key, "pid-file") == 0) {
		path = config_resolve_path(conf, value);
		if (!path) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	int rc = source_set(ctx, key, path ? path : value, msg, sizeof(msg));
	if (rc != 0)
		snprintf(err, errlen, "%s%s%s", rc == -ENOENT ? "" : key, rc == -ENOENT ? "" : ": ",
			 msg);
	free(path);
	return rc;
}

/* Moves *src, when set, over *dst. */
static void take_string(char **dst, char **src)
{
	if (!*src)
		return;
	free(*dst);
	*dst = *src;
	*src = NULL;
}

/* Lays the flags over the file (in place): a list the flags give replaces the file's. */
static void source_merge(struct resolver_source *file, struct resolver_source *flags)
{
	if (flags->nlisten) {
		free(file->listen);
		file->listen = flags->listen;
		file->nlisten = flags->nlisten;
		flags->listen = NULL;
		flags->nlisten = 0;
	}
	if (flags->nallow) {
		free(file->allow);
		file->allow = flags->allow;
		file->nallow = flags->nallow;
		flags->allow = NULL;
		flags->nallow = 0;
	}
	take_string(&file->hints_path, &flags->hints_path);
	take_string(&file->control, &flags->control);
	take_string(&file->pid_file, &flags->pid_file);
	if (flags->set & SET_UPORT)
		file->upstream_port = flags->upstream_port;
	if (flags->set & SET_CACHE)
		file->cache_mb = flags->cache_mb;
	if (flags->set & SET_TRACE)
		file->trace = flags->trace;
	if (flags->set & SET_QMIN)
		file->qname_minimisation = flags->qname_minimisation;
	if (flags->set & SET_LOOPBACK)
		file->allow_loopback_upstreams = flags->allow_loopback_upstreams;
	if (flags->set & SET_LOG_LEVEL)
		file->log_level = flags->log_level;
	file->set |= flags->set;
}

/*
 * A PID file that names a live process is another resolver's: -EEXIST after logging. A stale
 * one (its process gone, or no number in it) is left for pid_file_write() to replace.
 */
static int pid_file_check(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	long pid = 0;
	int n = fscanf(f, "%ld", &pid);
	fclose(f);
	if (n != 1 || pid <= 0 || pid == (long)getpid())
		return 0;
	if (kill((pid_t)pid, 0) == 0 || errno == EPERM) {
		log_err("resolver: the PID file %s names process %ld, which is running: another "
			"resolver? Stop it, or give another --pid-file",
			path, pid);
		return -EEXIST;
	}
	log_info("resolver: replacing the stale PID file %s (process %ld is gone)", path, pid);
	return 0;
}

static int pid_file_write(const char *path)
{
	int rc = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || dprintf(fd, "%ld\n", (long)getpid()) < 0)
		rc = -errno;
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc != 0)
		log_err("resolver: cannot write the PID file %s: %s", path, strerror(-rc));
	return rc;
}

int cmd_resolver(int argc, char **argv)
{
	enum { OPT_CONFIG = 256, OPT_SETTING };
	static const struct option opts[] = {
		{"config", required_argument, NULL, OPT_CONFIG},
		{"listen", required_argument, NULL, OPT_SETTING},
		{"root-hints", required_argument, NULL, OPT_SETTING},
		{"upstream-port", required_argument, NULL, OPT_SETTING},
		{"allow", required_argument, NULL, OPT_SETTING},
		{"control", required_argument, NULL, OPT_SETTING},
		{"cache-size", required_argument, NULL, OPT_SETTING},
		{"trace", no_argument, NULL, OPT_SETTING},
		{"qname-minimisation", no_argument, NULL, OPT_SETTING},
		{"allow-loopback-upstreams", no_argument, NULL, OPT_SETTING},
		{"log-level", required_argument, NULL, OPT_SETTING},
		{"pid-file", required_argument, NULL, OPT_SETTING},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct resolver_source cfg = {0}, flags = {0};
	const char *config_path = NULL;
	struct resolver_hints hints = {0};
	struct rio *io = NULL;
	int status = EXIT_USAGE, sigfd = -1, opt, idx;
	bool pid_written = false;
	char err[1024];

	argv[0] = "signpost resolver";
	while ((opt = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		switch (opt) {
		case 'h':
			fputs(RESOLVER_USAGE, stdout);
			status = EXIT_SUCCESS;
			goto out;
		case OPT_CONFIG:
			config_path = optarg;
			break;
		case OPT_SETTING:
			if (source_set(&flags, opts[idx].name, optarg ? optarg : "yes", err,
				       sizeof(err)) != 0) {
				fprintf(stderr, "signpost resolver: --%s: %s\n", opts[idx].name,
					err);
				goto out;
			}
			break;
		default:
			fprintf(stderr, "see `signpost resolver --help`\n");
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"signpost resolver: unexpected argument '%s'; see `signpost resolver "
			"--help`\n",
			argv[optind]);
		goto out;
	}
	if (flags.set & SET_LOG_LEVEL)
		log_set_level(flags.log_level);
	if (config_path && config_read_lines(config_path, file_line, &cfg, err, sizeof(err)) != 0) {
		log_err("%s", err);
		goto out;
	}
	source_merge(&cfg, &flags);
	if (cfg.set & SET_LOG_LEVEL)
		log_set_level(cfg.log_level);
	if (cfg.nlisten == 0 && source_set(&cfg, "listen", DEFAULT_LISTEN, err, sizeof(err)) != 0)
		goto out;
	struct resolver_settings st = {
		.upstream_port = cfg.upstream_port,
		.cache_mb = cfg.cache_mb,
		.trace = cfg.trace,
		.qname_minimisation = cfg.qname_minimisation,
		.allow_loopback_upstreams = cfg.allow_loopback_upstreams,
		.control = cfg.control ? cfg.control : DEFAULT_CONTROL,
	};
	status = EXIT_FAILURE;
	if (cfg.pid_file && pid_file_check(cfg.pid_file) != 0)
		goto out;
	if (cfg.hints_path && resolver_hints_read(cfg.hints_path, &hints, err, sizeof(err)) != 0) {
		log_err("root hints: %s", err);
		goto out;
	}
	struct resolver_config rc;
	(void)resolver_run_config(&st, &hints, &rc);
	if ((sigfd = daemon_signals()) < 0)
		goto out;
	raise_file_limit();
	struct rio_opts ro = {
		.listen = cfg.listen,
		.nlisten = cfg.nlisten,
		.allow = cfg.allow,
		.nallow = cfg.nallow,
		.control_path = st.control,
		.trace = st.trace,
	};
	if (rio_new(&ro, &rc, &io) != 0)
		goto out;
	/* Written once the listeners are bound: a supervisor reading it can send queries. */
	if (cfg.pid_file) {
		if (pid_file_write(cfg.pid_file) != 0)
			goto out;
		pid_written = true;
	}
	if (rio_start(io) != 0) {
		log_err("cannot start the resolver thread");
		goto out;
	}
	resolver_log_ready(io, &st, cfg.hints_path, rc.upstream_port);

	(void)daemon_wait_for_stop(sigfd,
				   "SIGHUP: the resolver has nothing to reload; use "
				   "`signpost resolver-control flush-all` to empty the cache");
	status = EXIT_SUCCESS;
out:
	rio_free(io);
	if (pid_written && unlink(cfg.pid_file) != 0 && errno != ENOENT)
		log_warn("resolver: cannot remove the PID file %s: %s", cfg.pid_file,
			 strerror(errno));
	if (sigfd >= 0)
		close(sigfd);
	resolver_hints_free(&hints);
	source_free(&cfg);
	source_free(&flags);
	return status;
}

void resolver_log_ready(const struct rio *io, const struct resolver_settings *st,
			const char *hints_path, uint16_t upstream_port)
{
	const struct server_addr *addrs;
	size_t n = rio_bound(io, &addrs);
	char list[1024];
	daemon_addr_list(addrs, n, list, sizeof(list));
	log_info("resolver: answering on %s (UDP and TCP); root hints %s; upstream port %u%s%s%s",
		 list, hints_path ? hints_path : "built in (IANA)", upstream_port,
		 st->control ? "; control socket " : "", st->control ? st->control : "",
		 st->trace ? "; tracing upstream queries" : "");
}

int cmd_resolver_control(int argc, char **argv)
{
	const char *path = DEFAULT_CONTROL;
	int i = 1;
	if (i < argc && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
		fputs(RESOLVER_CONTROL_USAGE, stdout);
		return EXIT_SUCCESS;
	}
	if (i < argc && strcmp(argv[i], "--control") == 0) {
		if (i + 1 >= argc) {
			fputs(RESOLVER_CONTROL_USAGE, stderr);
			return EXIT_USAGE;
		}
		path = argv[i + 1];
		i += 2;
	} else if (i < argc && strncmp(argv[i], "--control=", 10) == 0) {
		path = argv[i] + 10;
		i++;
	}
	if (i >= argc) {
		fputs(RESOLVER_CONTROL_USAGE, stderr);
		return EXIT_USAGE;
	}
	char cmd[1024] = "";
	size_t used = 0;
	for (; i < argc; i++) {
		int w = snprintf(cmd + used, sizeof(cmd) - used, "%s%s", used ? " " : "", argv[i]);
		if (w < 0 || (size_t)w >= sizeof(cmd) - used) {
			fprintf(stderr, "signpost resolver-control: command too long\n");
			return EXIT_USAGE;
		}
		used += (size_t)w;
	}
	char reply[4096];
	int rc = rio_control(path, cmd, reply, sizeof(reply), 10000);
	if (rc != 0) {
		fprintf(stderr, "signpost resolver-control: %s: %s%s\n", path, strerror(-rc),
			rc == -ENOENT || rc == -ECONNREFUSED ? " (is the resolver running? "
							       "--control PATH names its socket)"
							     : "");
		return EXIT_FAILURE;
	}
	fputs(reply, stdout);
	return strncmp(reply, "ok", 2) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int resolver_for_up(const struct resolver_up *ru, struct rio **out)
{
	char err[1024], ctl[4096];
	struct resolver_hints hints = {0};
	struct resolver_settings st = {.upstream_port = ru->upstream_port, .trace = ru->trace};
	int rc = -EINVAL;
	*out = NULL;
	if (ru->hints_path && resolver_hints_read(ru->hints_path, &hints, err, sizeof(err)) != 0) {
		log_err("resolver: root hints: %s", err);
		goto out;
	}
	if (snprintf(ctl, sizeof(ctl), "%s/" RESOLVER_UP_CONTROL, ru->data_dir) <
	    (int)sizeof(((struct sockaddr_un *)0)->sun_path))
		st.control = ctl;
	else
		log_warn("resolver: the data directory's path is too long for a control socket "
			 "in it: no control socket (cache flushes need a restart)");
	struct resolver_config rc_;
	(void)resolver_run_config(&st, &hints, &rc_);
	raise_file_limit();
	struct rio_opts ro = {
		.listen = &ru->listen,
		.nlisten = 1,
		.control_path = st.control,
		.trace = st.trace,
	};
	rc = rio_new(&ro, &rc_, out); /* the core copied the hints */
	if (rc == 0 && (rc = rio_start(*out)) != 0) {
		rio_free(*out);
		*out = NULL;
	}
	if (rc == 0)
		resolver_log_ready(*out, &st, ru->hints_path ? ru->hints_path : NULL,
				   rc_.upstream_port);
out:
	resolver_hints_free(&hints);
	return rc;
}
