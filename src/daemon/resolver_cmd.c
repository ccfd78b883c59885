/*
 * daemon/resolver_cmd.c - `signpost resolver` (the caching resolver alone), `signpost
 * resolver-control` (its control channel's client), and the pieces `signpost up` uses to run
 * the same resolver: root hints files and the resolver's settings.
 */
#include <errno.h>
#include <getopt.h>
#include <libzscanner/scanner.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"
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
	"Options:\n"
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
	"  -h, --help              show this help\n"
	"\n"
	"Control: `signpost resolver-control --control PATH COMMAND` where COMMAND is\n"
	"  flush NAME | flush-zone NAME | flush-all | flush-negative | flush-infra |\n"
	"  lookup NAME [TYPE] | stats\n"
	"\n"
	"Signals: SIGTERM, SIGINT stop (exit status 0).\n"
	"Exit status: 1 if an address cannot be bound or the hints cannot be read, 2 for\n"
	"invalid flags.\n"
	"\n"
	"Example:\n"
	"  signpost resolver --listen 127.0.0.1:5353 --root-hints signpost-data/root.hints \\\n"
	"      --trace\n"
	"  dig @127.0.0.1 -p 5353 www.example.com\n";

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

int cmd_resolver(int argc, char **argv)
{
	enum {
		OPT_LISTEN = 256,
		OPT_HINTS,
		OPT_UPORT,
		OPT_ALLOW,
		OPT_CONTROL,
		OPT_CACHE,
		OPT_TRACE,
		OPT_QMIN,
		OPT_LOOPBACK,
		OPT_LOG_LEVEL,
	};
	static const struct option opts[] = {
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"root-hints", required_argument, NULL, OPT_HINTS},
		{"upstream-port", required_argument, NULL, OPT_UPORT},
		{"allow", required_argument, NULL, OPT_ALLOW},
		{"control", required_argument, NULL, OPT_CONTROL},
		{"cache-size", required_argument, NULL, OPT_CACHE},
		{"trace", no_argument, NULL, OPT_TRACE},
		{"qname-minimisation", no_argument, NULL, OPT_QMIN},
		{"allow-loopback-upstreams", no_argument, NULL, OPT_LOOPBACK},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct resolver_settings st = {.control = DEFAULT_CONTROL};
	struct server_addr *listen = NULL;
	size_t nlisten = 0;
	struct rio_acl *allow = NULL;
	size_t nallow = 0;
	const char *hints_path = NULL;
	struct resolver_hints hints = {0};
	struct rio *io = NULL;
	int status = EXIT_USAGE, sigfd = -1, opt;
	char err[1024];
	unsigned long v;

	argv[0] = "signpost resolver";
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int rc = 0;
		switch (opt) {
		case 'h':
			fputs(RESOLVER_USAGE, stdout);
			status = EXIT_SUCCESS;
			goto out;
		case OPT_LISTEN: {
			struct server_addr *l = realloc(listen, (nlisten + 1) * sizeof(*l));
			if (!l)
				goto out_oom;
			listen = l;
			rc = server_addr_parse(optarg, 53, &listen[nlisten], err, sizeof(err));
			if (rc == 0)
				nlisten++;
			break;
		}
		case OPT_HINTS:
			hints_path = optarg;
			break;
		case OPT_UPORT:
			rc = parse_num(optarg, 1, 65535, &v);
			if (rc != 0)
				snprintf(err, sizeof(err), "--upstream-port: 1 to 65535, not '%s'",
					 optarg);
			st.upstream_port = (uint16_t)v;
			break;
		case OPT_ALLOW: {
			struct rio_acl *a = realloc(allow, (nallow + 1) * sizeof(*a));
			if (!a)
				goto out_oom;
			allow = a;
			rc = rio_acl_parse(optarg, &allow[nallow], err, sizeof(err));
			if (rc == 0)
				nallow++;
			break;
		}
		case OPT_CONTROL:
			st.control = optarg;
			break;
		case OPT_CACHE:
			rc = parse_num(optarg, 1, 1 << 20, &v);
			if (rc != 0)
				snprintf(err, sizeof(err),
					 "--cache-size: megabytes, 1 or more, not "
					 "'%s'",
					 optarg);
			st.cache_mb = (unsigned)v;
			break;
		case OPT_TRACE:
			st.trace = true;
			break;
		case OPT_QMIN:
			st.qname_minimisation = true;
			break;
		case OPT_LOOPBACK:
			st.allow_loopback_upstreams = true;
			break;
		case OPT_LOG_LEVEL: {
			int lvl = log_level_parse(optarg);
			if (lvl < 0) {
				snprintf(err, sizeof(err),
					 "--log-level: error, warning, info or debug, not '%s'",
					 optarg);
				rc = -EINVAL;
			} else {
				log_set_level((enum log_level)lvl);
			}
			break;
		}
		default:
			fprintf(stderr, "see `signpost resolver --help`\n");
			goto out;
		}
		if (rc != 0) {
			fprintf(stderr, "signpost resolver: %s\n", err);
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
	if (nlisten == 0) {
		listen = malloc(sizeof(*listen));
		if (!listen)
			goto out_oom;
		if (server_addr_parse(DEFAULT_LISTEN, 53, listen, err, sizeof(err)) != 0)
			goto out;
		nlisten = 1;
	}
	status = EXIT_FAILURE;
	if (hints_path && resolver_hints_read(hints_path, &hints, err, sizeof(err)) != 0) {
		log_err("root hints: %s", err);
		goto out;
	}
	struct resolver_config rc;
	(void)resolver_run_config(&st, &hints, &rc);
	if ((sigfd = daemon_signals()) < 0)
		goto out;
	raise_file_limit();
	struct rio_opts ro = {
		.listen = listen,
		.nlisten = nlisten,
		.allow = allow,
		.nallow = nallow,
		.control_path = st.control,
		.trace = st.trace,
	};
	if (rio_new(&ro, &rc, &io) != 0)
		goto out;
	if (rio_start(io) != 0) {
		log_err("cannot start the resolver thread");
		goto out;
	}
	resolver_log_ready(io, &st, hints_path, rc.upstream_port);

	for (;;) {
		bool hup = false;
		struct pollfd p = {.fd = sigfd, .events = POLLIN};
		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (daemon_read_signals(sigfd, &hup))
			break;
		if (hup)
			log_info("SIGHUP: the resolver has nothing to reload; use "
				 "`signpost resolver-control flush-all` to empty the cache");
	}
	status = EXIT_SUCCESS;
	goto out;
out_oom:
	log_err("out of memory");
	status = EXIT_FAILURE;
out:
	rio_free(io);
	if (sigfd >= 0)
		close(sigfd);
	resolver_hints_free(&hints);
	free(listen);
	free(allow);
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
