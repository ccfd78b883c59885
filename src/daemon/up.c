/*
 * daemon/up.c - `signpost up`: the Route 53 API and the DNS server on one store.
 *
 * Startup order is what makes "ready" true: the DNS sockets are bound first (a port problem
 * shows at once), the engine opens the store and publishes every stored zone into the served
 * zone set, the DNS workers start, and only then does the API listen and the banner say so.
 * SIGTERM/SIGINT stop the API first (no request is left half-served against a closing
 * engine), then the DNS workers, then the engine and the zone set.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/domains.h"
#include "api/domains_http.h"
#include "api/r53.h"
#include "api/route53_http.h"
#include "base/log.h"
#include "daemon/config.h"
#include "daemon/resolver_cmd.h"
#include "daemon/up.h"
#include "http/http.h"
#include "net/resolver_io.h"
#include "net/server.h"
#include "registrar/sandbox.h"
#include "zone/db.h"

#define DEFAULT_DATA_DIR "signpost-data"
#define DEFAULT_API      "127.0.0.1:8053"
#define DEFAULT_DNS      "127.0.0.1:5300"
#define CREDENTIALS_FILE "credentials"
#define ROOT_HINTS_FILE  "root.hints"
#define API_THREADS      8
#define API_MAX_BODY     (1u << 20) /* a full 1,000-record batch is a few hundred kB */
#define API_TIMEOUT_S    30
#define API_MAX_CONNS    1000

/* Route 53's look: four servers over .com/.net/.org/.co.uk (route53-api.md §3.3). */
static const char *const DEFAULT_NAME_SERVERS[CONFIG_NAME_SERVERS] = {
	"ns-1.awsdns-01.com.",
	"ns-2.awsdns-02.net.",
	"ns-3.awsdns-03.org.",
	"ns-4.awsdns-04.co.uk.",
};

const char UP_USAGE[] =
	"Usage: signpost up [OPTIONS]\n"
	"\n"
	"Runs the Route 53 API (REST/XML 2013-04-01, SigV4) and the authoritative DNS server\n"
	"that serves its hosted zones, on one store in the data directory. Every stored zone is\n"
	"served before the API accepts requests. Settings come from --config FILE and from the\n"
	"flags; a flag overrides the file (see docs/configuration.md).\n"
	"\n"
	"Options:\n"
	"  --data DIR                 the store (created if missing; default ./" DEFAULT_DATA_DIR
	")\n"
	"  --api ADDR[:PORT]          the API's address (default " DEFAULT_API ")\n"
	"  --dns ADDR[:PORT]          serve DNS here, UDP and TCP; repeatable\n"
	"                             (default " DEFAULT_DNS ")\n"
	"  --workers N                DNS worker threads, 1-1024, or auto (default: one per CPU)\n"
	"  --config FILE              read settings from FILE\n"
	"  --name-servers A,B,C,D     the four name servers of new hosted zones (default\n"
	"                             ns-1.awsdns-01.com,ns-2.awsdns-02.net,ns-3.awsdns-03.org,\n"
	"                             ns-4.awsdns-04.co.uk)\n"
	"  --api-rate-limit N         API requests per second per access key, like Route 53's\n"
	"                             throttling (error Throttling, \"Rate exceeded\");\n"
	"                             default 0 = off\n"
	"  --api-burst N              requests allowed at once above the rate (default: the rate)\n"
	"  --alias-targets FILE       answers for aliases to AWS services (S3, CloudFront, "
	"ELB...)\n"
	"  --no-sandbox               do not serve the sandbox internet (root and TLD servers)\n"
	"  --sandbox-port PORT        the one port of every sandbox server when port 53 cannot\n"
	"                             be bound (default 5302)\n"
	"  --resolver ADDR[:PORT]     run the caching resolver here, walking the sandbox\n"
	"                             (default 127.0.0.1 on the sandbox's port, skipped with a\n"
	"                             warning when taken; with --no-sandbox: none unless given,\n"
	"                             then it uses the IANA root servers). Loopback clients only;\n"
	"                             control socket DATA/" RESOLVER_UP_CONTROL
	" (signpost resolver-control)\n"
	"  --no-resolver              do not run the resolver\n"
	"  --resolver-trace           log every upstream query of the resolver\n"
	"  --log-level LEVEL          error, warning, info (default) or debug; logs go to stderr\n"
	"  -h, --help                 show this help\n"
	"\n"
	"Credentials (SigV4 access keys), in this order:\n"
	"  SIGNPOST_ACCESS_KEY_ID and SIGNPOST_SECRET_ACCESS_KEY in the environment, and\n"
	"  `credentials ID SECRET` lines in the config file (several keys allowed). With neither,\n"
	"  development credentials are created once in DIR/" CREDENTIALS_FILE
	" (mode 0600) and reused.\n"
	"  Any region is accepted in the credential scope.\n"
	"\n"
	"When ready it prints the endpoint and the credentials to stdout.\n"
	"The sandbox internet: root servers, TLD servers (com, net, org, uk, internal) and the\n"
	"four name servers of hosted zones, each on its own loopback address (127.0.0.2-13), so a\n"
	"resolver walks root -> TLD -> signpost; domains registered with the Route 53 Domains\n"
	"API are delegated in their TLD. DIR/" ROOT_HINTS_FILE
	" is written for resolvers. Addresses and TLDs:\n"
	"  sandbox-* lines of the config file (docs/configuration.md).\n"
	"\n"
	"Signals: SIGTERM, SIGINT stop (exit status 0).\n"
	"Exit status: 1 if the store cannot be opened or an address cannot be bound, 2 for\n"
	"invalid flags or configuration.\n"
	"\n"
	"Example:\n"
	"  signpost up --data /tmp/r53 --api 127.0.0.1:8053 --dns 127.0.0.1:5300\n"
	"  aws route53 list-hosted-zones --endpoint-url http://127.0.0.1:8053\n";

struct up {
	const char *config_path;
	struct config flags, file, cfg;
	struct sigv4_key *keys;
	size_t nkeys;
	bool generated; /* the keys were created (or read back) in DATA/credentials */
	/* The resolver (flags only): where, whether it was asked for, or --no-resolver. */
	struct server_addr resolver;
	bool resolver_set, no_resolver, resolver_trace;
	char cred_path[4096];
};

/* Flags into u->flags; -1 (usage error, reported), 0, or 1 (help printed). */
static int parse_flags(int argc, char **argv, struct up *u)
{
	enum {
		OPT_DATA = 256,
		OPT_API,
		OPT_DNS,
		OPT_WORKERS,
		OPT_CONFIG,
		OPT_LOG_LEVEL,
		OPT_NAME_SERVERS,
		OPT_RATE,
		OPT_BURST,
		OPT_ALIAS,
		OPT_NO_SANDBOX,
		OPT_SANDBOX_PORT,
		OPT_RESOLVER,
		OPT_NO_RESOLVER,
		OPT_RESOLVER_TRACE,
	};
	static const struct option opts[] = {
		{"data", required_argument, NULL, OPT_DATA},
		{"api", required_argument, NULL, OPT_API},
		{"dns", required_argument, NULL, OPT_DNS},
		{"workers", required_argument, NULL, OPT_WORKERS},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{"name-servers", required_argument, NULL, OPT_NAME_SERVERS},
		{"api-rate-limit", required_argument, NULL, OPT_RATE},
		{"api-burst", required_argument, NULL, OPT_BURST},
		{"alias-targets", required_argument, NULL, OPT_ALIAS},
		{"no-sandbox", no_argument, NULL, OPT_NO_SANDBOX},
		{"sandbox-port", required_argument, NULL, OPT_SANDBOX_PORT},
		{"resolver", required_argument, NULL, OPT_RESOLVER},
		{"no-resolver", no_argument, NULL, OPT_NO_RESOLVER},
		{"resolver-trace", no_argument, NULL, OPT_RESOLVER_TRACE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char err[1024];
	int opt;
	argv[0] = "signpost up"; /* getopt's own messages name the command */
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int rc = 0;
		switch (opt) {
		case 'h':
			fputs(UP_USAGE, stdout);
			return 1;
		case OPT_DATA:
			rc = config_set_data_dir(&u->flags, optarg, err, sizeof(err));
			break;
		case OPT_API:
			rc = config_set_api(&u->flags, optarg, err, sizeof(err));
			break;
		case OPT_DNS:
			rc = config_add_listen(&u->flags, optarg, err, sizeof(err));
			break;
		case OPT_WORKERS:
			rc = config_set_workers(&u->flags, optarg, err, sizeof(err));
			break;
		case OPT_CONFIG:
			u->config_path = optarg;
			break;
		case OPT_LOG_LEVEL:
			rc = config_set_log_level(&u->flags, optarg, err, sizeof(err));
			break;
		case OPT_NAME_SERVERS:
			rc = config_set_name_servers(&u->flags, optarg, err, sizeof(err));
			break;
		case OPT_RATE:
			rc = config_set_api_rate(&u->flags, optarg, err, sizeof(err));
			break;
		case OPT_BURST:
			rc = config_set_api_burst(&u->flags, optarg, err, sizeof(err));
			break;
		case OPT_ALIAS:
			rc = config_set_alias_targets(&u->flags, optarg, err, sizeof(err));
			break;
		case OPT_NO_SANDBOX:
			rc = config_set_sandbox(&u->flags, "no", err, sizeof(err));
			break;
		case OPT_SANDBOX_PORT:
			rc = config_set_sandbox_port(&u->flags, optarg, err, sizeof(err));
			break;
		case OPT_RESOLVER: /* port 0 here: the sandbox's port, filled in later */
			rc = server_addr_parse(optarg, 0, &u->resolver, err, sizeof(err));
			u->resolver_set = rc == 0;
			break;
		case OPT_NO_RESOLVER:
			u->no_resolver = true;
			break;
		case OPT_RESOLVER_TRACE:
			u->resolver_trace = true;
			break;
		default: /* getopt said what was wrong */
			fprintf(stderr, "see `signpost up --help`\n");
			return -1;
		}
		if (rc != 0) {
			fprintf(stderr, "signpost up: %s\n", err);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "signpost up: unexpected argument '%s'; see `signpost up --help`\n",
			argv[optind]);
		return -1;
	}
	return 0;
}

/* Fills in what neither the file nor the flags gave. */
static int apply_defaults(struct up *u)
{
	char err[512];
	/* Without --dns or listen lines, loopback on an unprivileged port, not 0.0.0.0:53. */
	if (u->flags.nlisten == 0 && u->file.nlisten == 0 &&
	    config_add_listen(&u->flags, DEFAULT_DNS, err, sizeof(err)) != 0)
		goto fail;
	if (!(u->flags.set & CONFIG_SET_API) && !(u->file.set & CONFIG_SET_API) &&
	    config_set_api(&u->flags, DEFAULT_API, err, sizeof(err)) != 0)
		goto fail;
	if (!(u->flags.set & CONFIG_SET_DATA) && !(u->file.set & CONFIG_SET_DATA) &&
	    config_set_data_dir(&u->flags, DEFAULT_DATA_DIR, err, sizeof(err)) != 0)
		goto fail;
	return 0;
fail:
	log_err("%s", err);
	return -1;
}

/* mkdir -p, private to the user: the store and the credentials live here. */
static int make_dirs(const char *path)
{
	char p[4096];
	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		return -1;
	struct stat st;
	if (stat(p, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

static int add_key(struct up *u, const char *id, const char *secret)
{
	struct sigv4_key *k = realloc(u->keys, (u->nkeys + 1) * sizeof(*k));
	if (!k)
		return -1;
	u->keys = k;
	k[u->nkeys].access_key_id = strdup(id);
	k[u->nkeys].secret_access_key = strdup(secret);
	if (!k[u->nkeys].access_key_id || !k[u->nkeys].secret_access_key) {
		free((char *)k[u->nkeys].access_key_id);
		free((char *)k[u->nkeys].secret_access_key);
		return -1;
	}
	u->nkeys++;
	return 0;
}

static void free_keys(struct up *u)
{
	for (size_t i = 0; i < u->nkeys; i++) {
		free((char *)u->keys[i].access_key_id);
		/* The secret does not outlive its use in freed memory. */
		explicit_bzero((char *)u->keys[i].secret_access_key,
			       strlen(u->keys[i].secret_access_key));
		free((char *)u->keys[i].secret_access_key);
	}
	free(u->keys);
	u->keys = NULL;
	u->nkeys = 0;
}

static void random_text(char *out, size_t n, const char *alphabet)
{
	size_t m = strlen(alphabet);
	uint8_t b[64];
	while (n > 0) {
		if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
			continue; /* interrupted: try again, never fall back to weak randomness */
		for (size_t i = 0; i < sizeof(b) && n > 0; i++) {
			if (b[i] >= 256 - 256 % m) /* no modulo bias */
				continue;
			*out++ = alphabet[b[i] % m];
			n--;
		}
	}
	*out = '\0';
}

/*
 * DATA/credentials, in the AWS shared-credentials format, so that
 * AWS_SHARED_CREDENTIALS_FILE=DATA/credentials works as well as the printed exports.
 */
static int read_credentials(struct up *u, FILE *f)
{
	char line[512], id[256] = "", secret[256] = "";
	while (fgets(line, sizeof(line), f)) {
		char key[64], value[256];
		if (sscanf(line, " %63[a-z_] = %255s", key, value) != 2)
			continue;
		if (strcmp(key, "aws_access_key_id") == 0)
			snprintf(id, sizeof(id), "%s", value);
		else if (strcmp(key, "aws_secret_access_key") == 0)
			snprintf(secret, sizeof(secret), "%s", value);
		if (id[0] && secret[0]) {
			if (add_key(u, id, secret) != 0)
				return -1;
			id[0] = secret[0] = '\0';
		}
	}
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(line, sizeof(line));
	return 0;
}

static int dev_credentials(struct up *u)
{
	snprintf(u->cred_path, sizeof(u->cred_path), "%s/" CREDENTIALS_FILE, u->cfg.data_dir);
	u->generated = true;
	FILE *f = fopen(u->cred_path, "r");
	if (f) {
		struct stat st;
		if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
			log_warn("%s can be read by other users: chmod 600 it", u->cred_path);
		int rc = read_credentials(u, f);
		fclose(f);
		if (rc != 0 || u->nkeys == 0) {
			log_err("%s: no aws_access_key_id / aws_secret_access_key pair in it (fix "
				"or "
				"delete it to have new credentials created)",
				u->cred_path);
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		log_err("cannot read %s: %s", u->cred_path, strerror(errno));
		return -1;
	}
	char id[21], secret[41];
	memcpy(id, "AKSP", 4);
	random_text(id + 4, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
	random_text(secret, 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
	int fd = open(u->cred_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_err("cannot create %s: %s", u->cred_path, strerror(errno));
		return -1;
	}
	char text[512];
	int n = snprintf(text, sizeof(text),
			 "# signpost up: development credentials, created once and reused.\n"
			 "# Keep this file private. Usable as AWS_SHARED_CREDENTIALS_FILE.\n"
			 "[default]\n"
			 "aws_access_key_id = %s\n"
			 "aws_secret_access_key = %s\n",
			 id, secret);
	bool ok = n > 0 && write(fd, text, (size_t)n) == n && fsync(fd) == 0;
	explicit_bzero(text, sizeof(text));
	if (close(fd) != 0)
		ok = false;
	if (!ok) {
		log_err("cannot write %s: %s", u->cred_path, strerror(errno));
		unlink(u->cred_path);
		return -1;
	}
	log_info("created development credentials in %s", u->cred_path);
	int rc = add_key(u, id, secret);
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

int daemon_lock_data_dir(const char *dir)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/lock", dir) >= (int)sizeof(path)) {
		log_err("%s: path too long", dir);
		return -1;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_err("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\r\n")] = '\0';
		if (e == EWOULDBLOCK)
			log_err("%s is in use by another signpost (pid %s); stop it first", dir,
				pid[0] ? pid : "unknown");
		else
			log_err("cannot lock %s: %s", path, strerror(e));
		close(fd);
		return -1;
	}
	char text[32];
	int n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)n, 0) != n)
		log_warn("cannot write the pid into %s: %s", path, strerror(errno));
	return fd;
}

/* The environment's key (checked before anything is created on disk). */
static int env_credentials(struct up *u)
{
	const char *id = getenv("SIGNPOST_ACCESS_KEY_ID");
	const char *secret = getenv("SIGNPOST_SECRET_ACCESS_KEY");
	if ((id && id[0]) != (secret && secret[0])) {
		log_err("set both SIGNPOST_ACCESS_KEY_ID and SIGNPOST_SECRET_ACCESS_KEY, or "
			"neither");
		return -EINVAL;
	}
	if (!id || !id[0])
		return 0;
	struct config check;
	char err[256];
	config_init(&check);
	int rc = config_add_key(&check, id, secret, err, sizeof(err));
	config_free(&check);
	if (rc != 0) {
		log_err("SIGNPOST_ACCESS_KEY_ID / SIGNPOST_SECRET_ACCESS_KEY: %s", err);
		return -EINVAL;
	}
	return add_key(u, id, secret) == 0 ? 0 : -ENOMEM;
}

/* After the environment's: the configuration's keys, else DATA/credentials. */
static int load_credentials(struct up *u)
{
	for (size_t i = 0; i < u->cfg.nkeys; i++) {
		if (u->nkeys > 0 && strcmp(u->keys[0].access_key_id, u->cfg.keys[i].id) == 0)
			continue; /* the environment gave the same key */
		if (add_key(u, u->cfg.keys[i].id, u->cfg.keys[i].secret) != 0)
			return -ENOMEM;
	}
	if (u->nkeys > 0)
		return 0;
	return dev_credentials(u) == 0 ? 0 : -EIO;
}

/* "http://127.0.0.1:8053" (IPv6 in brackets), and the bare address for the HTTP server. */
static void api_text(const struct server_addr *a, uint16_t port, char host[64], char url[128])
{
	const struct sockaddr_storage *ss = &a->ss;
	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, host, 64);
		snprintf(url, 128, "http://[%s]:%u", host, port);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, host, 64);
		snprintf(url, 128, "http://%s:%u", host, port);
	}
}

static uint16_t addr_port(const struct server_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
}

static void print_banner(const struct up *u, const char *url, const struct server *dns,
			 struct sandbox *sb, uint16_t sbport, const char *hints,
			 const struct rio *res)
{
	const struct server_addr *addrs, *sbaddrs = NULL;
	struct zone_db *const *sbdbs;
	size_t n = server_bound(dns, &addrs);
	/* The sandbox's own addresses have a section of their own below. */
	size_t nsb = sb ? sandbox_listeners(sb, sbport, &sbaddrs, &sbdbs) : 0;
	printf("signpost is up.\n");
	printf("  Route 53 API: %s\n", url);
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < nsb && !server_addr_equal(&sbaddrs[j], &addrs[i]))
			j++;
		if (j < nsb)
			continue;
		char text[SERVER_ADDR_TEXT_MAX];
		server_addr_to_text(&addrs[i], text);
		printf("  DNS:          %s (UDP and TCP)\n", text);
	}
	printf("  data:         %s\n", u->cfg.data_dir);
	if (res) {
		const struct server_addr *ra;
		char text[SERVER_ADDR_TEXT_MAX];
		(void)rio_bound(res, &ra);
		server_addr_to_text(ra, text);
		printf("  resolver:     %s (UDP and TCP; control: %s/" RESOLVER_UP_CONTROL ")\n",
		       text, u->cfg.data_dir);
	}
	if (sb) {
		char list[8192];
		sandbox_describe(sb, sbport, list, sizeof(list));
		printf("\nThe sandbox internet (each server on its own address, port %u):\n",
		       sbport);
		for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n"))
			printf("  %s\n", line);
		printf("  root hints:   %s\n", hints);
	}
	printf("\nUse it with the aws CLI:\n");
	const struct sigv4_key *k = &u->keys[0];
	if (u->generated)
		printf("  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s "
		       "AWS_DEFAULT_REGION=us-east-1\n",
		       k->access_key_id, k->secret_access_key);
	else
		printf("  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=<its configured "
		       "secret> "
		       "AWS_DEFAULT_REGION=us-east-1\n",
		       k->access_key_id);
	printf("  aws route53 list-hosted-zones --endpoint-url %s\n", url);
	printf("  aws route53domains list-domains --endpoint-url %s\n", url);
	if (u->generated)
		printf("(the credentials are kept in %s; any region works)\n", u->cred_path);
	fflush(stdout);
}

/* The sandbox's settings: the reference plan, the hosted name servers, then the file's lines. */
static int sandbox_settings(const struct up *u, const char *const *ns, struct sandbox_config *sc)
{
	char err[512];
	sandbox_config_default(sc, ns);
	for (size_t i = 0; i < u->cfg.nsandbox_lines; i++) {
		const struct config_line *l = &u->cfg.sandbox_lines[i];
		if (sandbox_config_line(sc, l->keyword, l->rest, err, sizeof(err)) != 0) {
			log_err("%s: %s", l->where, err);
			return -1;
		}
	}
	if (u->cfg.sandbox_port)
		sc->port = (uint16_t)u->cfg.sandbox_port;
	if (sandbox_config_check(sc, err, sizeof(err)) != 0) {
		log_err("sandbox: %s (docs/configuration.md, \"The sandbox internet\"; "
			"--no-sandbox leaves it out)",
			err);
		return -1;
	}
	return 0;
}

/* 0 if UDP and TCP port `port` of every address can be bound now, else -errno (why in why). */
static int probe_port(const struct server_addr *addrs, size_t n, uint16_t port, char *why,
		      size_t whylen)
{
	for (size_t i = 0; i < n; i++) {
		struct server_addr a = addrs[i];
		if (a.ss.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&a.ss)->sin6_port = htons(port);
		else
			((struct sockaddr_in *)&a.ss)->sin_port = htons(port);
		static const int types[] = {SOCK_DGRAM, SOCK_STREAM};
		for (size_t k = 0; k < 2; k++) {
			int fd = socket(a.ss.ss_family, types[k] | SOCK_CLOEXEC, 0);
			int e = 0;
			if (fd < 0 || bind(fd, (const struct sockaddr *)&a.ss, a.len) != 0)
				e = errno;
			if (fd >= 0)
				close(fd);
			if (e) {
				char text[SERVER_ADDR_TEXT_MAX];
				server_addr_to_text(&a, text);
				snprintf(why, whylen, "%s %s: %s", text, k ? "TCP" : "UDP",
					 strerror(e));
				return -e;
			}
		}
	}
	return 0;
}

/* Port 53 when every sandbox address can have it (resolvers only ask port 53), else ours. */
static uint16_t sandbox_port(struct sandbox *sb, uint16_t fallback)
{
	const struct server_addr *addrs;
	struct zone_db *const *dbs;
	size_t n = sandbox_listeners(sb, 53, &addrs, &dbs);
	char why[256];
	if (probe_port(addrs, n, 53, why, sizeof(why)) == 0)
		return 53;
	log_info("sandbox: port 53 is not available (%s); every sandbox server uses port %u", why,
		 fallback);
	return fallback;
}

/* The API's two front doors on one HTTP server, told apart by X-Amz-Target. */
struct front {
	struct route53_http *r53;
	struct domains_http *domains;
};

static void front_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
	struct front *f = ctx;
	if (f->domains && domains_http_wants(req))
		domains_http_handle(f->domains, req, resp);
	else
		route53_http_handle(f->r53, req, resp);
}

/*
 * The registry's delegation changes flush signpost up's resolver's cache of the domain, so a
 * name looked up before it was registered resolves at once (sandbox-internet.md §4.3 b).
 */
struct flush_hook {
	char path[4200]; /* the resolver's control socket */
	bool running;    /* atomic: the resolver is up */
};

static void flush_resolver(void *ctx, const char *domain)
{
	const struct flush_hook *h = ctx;
	if (!__atomic_load_n(&h->running, __ATOMIC_ACQUIRE))
		return;
	char cmd[300], reply[256];
	snprintf(cmd, sizeof(cmd), "flush-zone %s", domain);
	if (rio_control(h->path, cmd, reply, sizeof(reply), 1000) != 0)
		log_warn("could not flush %s from the resolver's cache (%s)", domain, reply);
}

static bool env_flag(const char *name)
{
	const char *v = getenv(name);
	return v && (strcmp(v, "1") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0);
}

int cmd_up(int argc, char **argv)
{
	struct up u;
	memset(&u, 0, sizeof(u));
	char err[1024];
	int status = EXIT_USAGE, sigfd = -1, lockfd = -1;
	struct zone_db *db = NULL;
	struct server *dns = NULL;
	struct r53 *engine = NULL;
	struct route53_http *api = NULL;
	struct http_server *http = NULL;
	struct sandbox_config *sc = NULL;
	struct sandbox *sb = NULL;
	struct zone_db *sbhosts = NULL; /* --no-sandbox: where the sandbox's host zones go */
	struct domains *domains = NULL;
	struct domains_http *dapi = NULL;
	struct front front = {0};
	struct flush_hook flush = {.running = false};
	struct rio *res = NULL;
	uint16_t sbport = 0;
	char hints[4200] = "";

	config_init(&u.flags);
	config_init(&u.file);
	config_init(&u.cfg);
	int rc = parse_flags(argc, argv, &u);
	if (rc != 0) {
		status = rc > 0 ? EXIT_SUCCESS : EXIT_USAGE;
		goto out;
	}
	if (u.flags.set & CONFIG_SET_LOG_LEVEL)
		log_set_level(u.flags.log_level);
	if (u.config_path && config_read_file(&u.file, u.config_path, err, sizeof(err)) != 0) {
		log_err("%s", err);
		goto out;
	}
	if (apply_defaults(&u) != 0)
		goto out;
	if (config_merge(&u.cfg, u.config_path ? &u.file : NULL, &u.flags, err, sizeof(err)) != 0) {
		log_err("%s", err);
		goto out;
	}
	log_set_level(u.cfg.log_level);
	if (u.cfg.workers == 0)
		u.cfg.workers = daemon_cpu_count();
	if (u.cfg.nzones > 0)
		log_warn("`zone` lines are for `signpost dns`: signpost up serves the hosted zones "
			 "of its store, and ignores them");

	if (env_credentials(&u) != 0)
		goto out;
	status = EXIT_FAILURE;
	if (make_dirs(u.cfg.data_dir) != 0) {
		log_err("cannot create the data directory %s: %s", u.cfg.data_dir, strerror(errno));
		goto out;
	}
	if ((lockfd = daemon_lock_data_dir(u.cfg.data_dir)) < 0)
		goto out;
	if (load_credentials(&u) != 0)
		goto out;
	if ((sigfd = daemon_signals()) < 0)
		goto out;
	if (!(db = zone_db_new())) {
		log_err("out of memory");
		goto out;
	}
	const char *ns[R53_NS_COUNT];
	for (size_t i = 0; i < R53_NS_COUNT; i++)
		ns[i] = (u.cfg.set & CONFIG_SET_NAME_SERVERS) ? u.cfg.name_servers[i]
							      : DEFAULT_NAME_SERVERS[i];
	/*
	 * The hierarchy is built even with --no-sandbox, since the registries live in its TLD
	 * zones; then nothing of it is served, its name servers may be any names (the sandbox
	 * keeps its own), and the zones of their host names go to a zone set nobody serves.
	 */
	if (!(sc = malloc(sizeof(*sc))) || (!u.cfg.sandbox && !(sbhosts = zone_db_new()))) {
		log_err("out of memory");
		goto out;
	}
	if (sandbox_settings(&u, u.cfg.sandbox ? ns : NULL, sc) != 0) {
		status = EXIT_USAGE;
		goto out;
	}
	if (sandbox_new(sc, u.cfg.sandbox ? db : sbhosts, &sb, err, sizeof(err)) != 0) {
		log_err("sandbox: %s", err);
		goto out;
	}
	const struct server_addr *sbaddrs = NULL;
	struct zone_db *const *sbdbs = NULL;
	size_t nsb = 0;
	if (u.cfg.sandbox) {
		sbport = sandbox_port(sb, sc->port);
		nsb = sandbox_listeners(sb, sbport, &sbaddrs, &sbdbs);
	}
	if (daemon_dns_bind(&u.cfg, db, sbaddrs, sbdbs, nsb, &dns) != 0)
		goto out;

	/* Every stored zone is published before anything is served (issue: Restart). */
	struct r53_config rc53 = {
		.data_dir = u.cfg.data_dir,
		.db = db,
		.max_zones = 500,
		.max_rrsets_per_zone = 10000,
		.alias_targets_file = u.cfg.alias_targets,
	};
	for (size_t i = 0; i < R53_NS_COUNT; i++)
		rc53.name_servers[i] = ns[i];
	struct r53_error e = {0};
	if (r53_open(&rc53, &engine, &e) != 0) {
		log_err("cannot open the store in %s: %s%s%s", u.cfg.data_dir, e.code,
			e.message ? ": " : "", e.message ? e.message : "");
		r53_error_clear(&e);
		goto out;
	}
	/* Registered domains are delegated in their TLD zones before anything is served. */
	snprintf(flush.path, sizeof(flush.path), "%s/" RESOLVER_UP_CONTROL, u.cfg.data_dir);
	struct domains_config dc = {
		.data_dir = u.cfg.data_dir,
		.r53 = engine,
		.sandbox = sb,
		.test_hooks = env_flag("SIGNPOST_TEST_HOOKS"),
		.delegation_changed = flush_resolver,
		.delegation_ctx = &flush,
	};
	struct domains_error de = {.type = ""};
	if (domains_open(&dc, &domains, &de) != 0) {
		log_err("cannot open the domain registry in %s: %s: %s", u.cfg.data_dir, de.type,
			de.message);
		goto out;
	}
	if (dc.test_hooks)
		log_warn("SIGNPOST_TEST_HOOKS is set: the registry's clock can be moved through "
			 "the API (for tests only)");
	if (u.cfg.sandbox) {
		snprintf(hints, sizeof(hints), "%s/" ROOT_HINTS_FILE, u.cfg.data_dir);
		if ((rc = sandbox_write_root_hints(sb, hints)) != 0) {
			log_err("cannot write %s: %s", hints, strerror(-rc));
			goto out;
		}
	}
	zone_db_sync(db);
	if (server_start(dns) != 0) {
		log_err("cannot start the DNS worker threads");
		goto out;
	}
	uint64_t nzones = 0;
	(void)r53_hosted_zone_count(engine, &nzones, &e);
	r53_error_clear(&e);
	daemon_log_dns(dns, (size_t)nzones, u.cfg.workers, "DNS: serving");
	if (!u.no_resolver && (u.cfg.sandbox || u.resolver_set)) {
		/* Default: 127.0.0.1 on the sandbox's port; another signpost may hold it. */
		struct resolver_up ru = {
			.hints_path = u.cfg.sandbox ? hints : NULL,
			.upstream_port = u.cfg.sandbox ? sbport : 53,
			.data_dir = u.cfg.data_dir,
			.trace = u.resolver_trace,
		};
		if (u.resolver_set)
			ru.listen = u.resolver;
		else if (server_addr_parse("127.0.0.1", 0, &ru.listen, err, sizeof(err)) != 0)
			goto out;
		if (!u.resolver_set || addr_port(&ru.listen) == 0) {
			uint16_t p = u.cfg.sandbox ? sbport : 53;
			if (ru.listen.ss.ss_family == AF_INET6)
				((struct sockaddr_in6 *)&ru.listen.ss)->sin6_port = htons(p);
			else
				((struct sockaddr_in *)&ru.listen.ss)->sin_port = htons(p);
		}
		if (resolver_for_up(&ru, &res) != 0) {
			if (u.resolver_set)
				goto out;
			log_warn("running without the resolver (see above; --resolver ADDR:PORT "
				 "puts it elsewhere, --no-resolver leaves it out)");
		} else {
			__atomic_store_n(&flush.running, true, __ATOMIC_RELEASE);
		}
	}

	struct route53_http_config hc = {
		.engine = engine,
		.keys = u.keys,
		.nkeys = u.nkeys,
		.rate = u.cfg.api_rate,
		.burst = u.cfg.api_burst,
	};
	struct domains_http_config dhc = {.engine = domains, .keys = u.keys, .nkeys = u.nkeys};
	if (!(api = route53_http_new(&hc)) || !(dapi = domains_http_new(&dhc))) {
		log_err("out of memory");
		goto out;
	}
	front = (struct front){.r53 = api, .domains = dapi};
	char host[64], url[128];
	api_text(&u.cfg.api, addr_port(&u.cfg.api), host, url);
	struct http_server_config hsc = {
		.address = host,
		.port = addr_port(&u.cfg.api),
		.max_body = API_MAX_BODY,
		.threads = API_THREADS,
		.timeout_s = API_TIMEOUT_S,
		.max_connections = API_MAX_CONNS,
	};
	http = http_server_start(&hsc, front_handle, &front, err, sizeof(err));
	if (!http) {
		log_err("cannot serve the API on %s: %s", url, err);
		goto out;
	}
	api_text(&u.cfg.api, http_server_port(http), host, url);
	size_t implemented;
	size_t ops = route53_http_operations(&implemented);
	log_info("API: ready on %s (%zu of the %zu Route 53 operations implemented, %zu access "
		 "key%s%s)",
		 url, implemented, ops, u.nkeys, u.nkeys == 1 ? "" : "s",
		 u.cfg.api_rate > 0 ? ", throttled" : "");
	print_banner(&u, url, dns, u.cfg.sandbox ? sb : NULL, sbport, hints, res);

	(void)daemon_wait_for_stop(sigfd, "SIGHUP: signpost up has nothing to reload (the store "
					  "is the configuration); restart to change settings");
	status = EXIT_SUCCESS;
out:
	if (http)
		http_server_stop(http);
	route53_http_free(api);
	domains_http_free(dapi);
	if (domains)
		domains_close(domains); /* finishes an operation in flight */
	rio_free(res);
	if (dns)
		server_free(dns);
	if (engine)
		r53_close(engine);
	sandbox_free(sb);
	if (sbhosts)
		zone_db_free(sbhosts);
	free(sc);
	if (db)
		zone_db_free(db);
	if (sigfd >= 0)
		close(sigfd);
	if (lockfd >= 0)
		close(lockfd); /* releases DIR/lock, after the store is closed */
	free_keys(&u);
	config_free(&u.cfg);
	config_free(&u.file);
	config_free(&u.flags);
	return status;
}
