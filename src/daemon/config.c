/* daemon/config.c - the configuration file and the settings it shares with the flags. */
#include "daemon/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/name.h"

static const uint8_t ROOT[1] = {0};

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->log_level = LOG_INFO;
	c->tcp_idle_timeout_ms = CONFIG_DEFAULT_TCP_IDLE_MS;
	c->tcp_max_connections = CONFIG_DEFAULT_TCP_MAX_CONNS;
	c->sandbox = true;
}

void config_free(struct config *c)
{
	for (size_t i = 0; i < c->nzones; i++) {
		free(c->zones[i].name);
		free(c->zones[i].path);
	}
	free(c->zones);
	free(c->listen);
	for (size_t i = 0; i < c->nkeys; i++) {
		free(c->keys[i].id);
		free(c->keys[i].secret);
	}
	free(c->keys);
	free(c->data_dir);
	free(c->alias_targets);
	for (size_t i = 0; i < CONFIG_NAME_SERVERS; i++)
		free(c->name_servers[i]);
	for (size_t i = 0; i < c->nsandbox_lines; i++) {
		free(c->sandbox_lines[i].where);
		free(c->sandbox_lines[i].keyword);
		free(c->sandbox_lines[i].rest);
	}
	free(c->sandbox_lines);
	memset(c, 0, sizeof(*c));
}

static int parse_uint(const char *text, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (*end != '\0' || errno || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int config_add_listen(struct config *c, const char *text, char *err, size_t errlen)
{
	struct server_addr a;
	int rc = server_addr_parse(text, CONFIG_DEFAULT_PORT, &a, err, errlen);
	if (rc != 0)
		return rc;
	struct server_addr *l = realloc(c->listen, (c->nlisten + 1) * sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	l[c->nlisten++] = a;
	c->listen = l;
	return 0;
}

/* Appends a copy of z (strings duplicated). */
static int push_zone(struct config *c, const uint8_t *origin, const char *name, const char *path)
{
	struct config_zone *zs = realloc(c->zones, (c->nzones + 1) * sizeof(*zs));
	if (!zs)
		return -ENOMEM;
	c->zones = zs;
	struct config_zone *z = &zs[c->nzones];
	memcpy(z->origin, origin, dns_name_len(origin));
	z->name = strdup(name);
	z->path = strdup(path);
	if (!z->name || !z->path) {
		free(z->name);
		free(z->path);
		return -ENOMEM;
	}
	c->nzones++;
	return 0;
}

const struct config_zone *config_find_zone(const struct config *c, const uint8_t *origin)
{
	for (size_t i = 0; i < c->nzones; i++)
		if (dns_name_equal(c->zones[i].origin, origin))
			return &c->zones[i];
	return NULL;
}

int config_add_zone(struct config *c, const char *name, const char *path, char *err, size_t errlen)
{
	uint8_t origin[DNS_NAME_MAXLEN];
	if (name[0] == '\0' || dns_name_from_text(name, ROOT, origin) < 0) {
		snprintf(err, errlen, "'%s' is not a valid zone name", name);
		return -EINVAL;
	}
	dns_name_lower(origin);
	if (path[0] == '\0') {
		snprintf(err, errlen, "zone %s: missing the zone file path", name);
		return -EINVAL;
	}
	if (config_find_zone(c, origin)) {
		snprintf(err, errlen, "zone %s is given twice", name);
		return -EINVAL;
	}
	if (push_zone(c, origin, name, path) != 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int config_add_zone_spec(struct config *c, const char *spec, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec || eq[1] == '\0') {
		snprintf(err, errlen,
			 "--zone '%s': expected NAME=FILE, e.g. example.com=example.com.zone",
			 spec);
		return -EINVAL;
	}
	char name[4 * DNS_NAME_MAXLEN + 2];
	size_t n = (size_t)(eq - spec);
	if (n >= sizeof(name)) {
		snprintf(err, errlen, "--zone '%.*s...': the zone name is too long", 40, spec);
		return -EINVAL;
	}
	memcpy(name, spec, n);
	name[n] = '\0';
	return config_add_zone(c, name, eq + 1, err, errlen);
}

int config_set_workers(struct config *c, const char *text, char *err, size_t errlen)
{
	unsigned long v = 0;
	if (strcmp(text, "auto") != 0 && parse_uint(text, 1, CONFIG_MAX_WORKERS, &v) != 0) {
		snprintf(err, errlen, "workers '%s': expected a number from 1 to %u, or auto", text,
			 CONFIG_MAX_WORKERS);
		return -EINVAL;
	}
	c->workers = (unsigned)v;
	c->set |= CONFIG_SET_WORKERS;
	return 0;
}

int config_set_log_level(struct config *c, const char *text, char *err, size_t errlen)
{
	int lvl = log_level_parse(text);
	if (lvl < 0) {
		snprintf(err, errlen, "log level '%s': expected error, warning, info or debug",
			 text);
		return -EINVAL;
	}
	c->log_level = (enum log_level)lvl;
	c->set |= CONFIG_SET_LOG_LEVEL;
	return 0;
}

int config_set_tcp_idle_timeout(struct config *c, const char *text, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	double s = strtod(text, &end);
	if (!isdigit((unsigned char)text[0]) || *end != '\0' || errno || !isfinite(s) || s <= 0 ||
	    s * 1000 > CONFIG_MAX_TCP_IDLE_MS) {
		snprintf(err, errlen,
			 "TCP idle timeout '%s': expected seconds, more than 0 and at most %u",
			 text, CONFIG_MAX_TCP_IDLE_MS / 1000);
		return -EINVAL;
	}
	double msd = s * 1000;
	unsigned ms = (unsigned)msd; /* rounded up below: no libm for ceil() */
	if (ms < msd)
		ms++;
	c->tcp_idle_timeout_ms = ms;
	c->set |= CONFIG_SET_TCP_IDLE;
	return 0;
}

int config_set_tcp_max_connections(struct config *c, const char *text, char *err, size_t errlen)
{
	unsigned long v;
	if (parse_uint(text, 1, CONFIG_MAX_TCP_MAX_CONNECTIONS, &v) != 0) {
		snprintf(err, errlen, "TCP max connections '%s': expected a number from 1 to %u",
			 text, CONFIG_MAX_TCP_MAX_CONNECTIONS);
		return -EINVAL;
	}
	c->tcp_max_connections = (unsigned)v;
	c->set |= CONFIG_SET_TCP_MAX;
	return 0;
}

/* ---- signpost up ---- */

int config_set_api(struct config *c, const char *text, char *err, size_t errlen)
{
	struct server_addr a;
	int rc = server_addr_parse(text, CONFIG_DEFAULT_API_PORT, &a, err, errlen);
	if (rc != 0)
		return rc;
	c->api = a;
	c->set |= CONFIG_SET_API;
	return 0;
}

int config_set_string(char **slot, const char *text, char *err, size_t errlen)
{
	char *copy = strdup(text);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	free(*slot);
	*slot = copy;
	return 0;
}

int config_set_data_dir(struct config *c, const char *path, char *err, size_t errlen)
{
	if (path[0] == '\0') {
		snprintf(err, errlen, "data directory: the path is empty");
		return -EINVAL;
	}
	int rc = config_set_string(&c->data_dir, path, err, errlen);
	if (rc == 0)
		c->set |= CONFIG_SET_DATA;
	return rc;
}

int config_set_alias_targets(struct config *c, const char *path, char *err, size_t errlen)
{
	if (path[0] == '\0') {
		snprintf(err, errlen, "alias targets: the path is empty");
		return -EINVAL;
	}
	int rc = config_set_string(&c->alias_targets, path, err, errlen);
	if (rc == 0)
		c->set |= CONFIG_SET_ALIAS_TARGETS;
	return rc;
}

int config_add_key(struct config *c, const char *id, const char *secret, char *err, size_t errlen)
{
	size_t n = strlen(id);
	bool ok = n >= 16 && n <= 128;
	for (size_t i = 0; ok && i < n; i++)
		ok = isalnum((unsigned char)id[i]);
	if (!ok) {
		snprintf(err, errlen,
			 "access key id '%.40s': expected 16 to 128 letters and digits, like "
			 "AKIAIOSFODNN7EXAMPLE",
			 id);
		return -EINVAL;
	}
	n = strlen(secret);
	ok = n >= 8 && n <= 128;
	for (size_t i = 0; ok && i < n; i++)
		ok = isgraph((unsigned char)secret[i]);
	if (!ok) {
		/* The secret itself is never echoed. */
		snprintf(err, errlen,
			 "the secret access key of %s: expected 8 to 128 printable characters "
			 "without spaces",
			 id);
		return -EINVAL;
	}
	for (size_t i = 0; i < c->nkeys; i++) {
		if (strcmp(c->keys[i].id, id) == 0) {
			snprintf(err, errlen, "access key id %s is given twice", id);
			return -EINVAL;
		}
	}
	struct config_key *k = realloc(c->keys, (c->nkeys + 1) * sizeof(*k));
	if (!k) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->keys = k;
	k[c->nkeys].id = strdup(id);
	k[c->nkeys].secret = strdup(secret);
	if (!k[c->nkeys].id || !k[c->nkeys].secret) {
		free(k[c->nkeys].id);
		free(k[c->nkeys].secret);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->nkeys++;
	return 0;
}

int config_set_name_servers(struct config *c, const char *text, char *err, size_t errlen)
{
	char *names[CONFIG_NAME_SERVERS] = {NULL};
	size_t n = 0;
	int rc = -EINVAL;
	const char *p = text;
	for (;;) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		size_t len = strcspn(p, ", \t\r\n");
		if (n == CONFIG_NAME_SERVERS) {
			n++;
			break;
		}
		char name[4 * DNS_NAME_MAXLEN + 2];
		uint8_t wire[DNS_NAME_MAXLEN];
		if (len >= sizeof(name) - 1) {
			snprintf(err, errlen, "name server '%.40s...': the name is too long", p);
			goto out;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		if (dns_name_from_text(name, ROOT, wire) < 0 || dns_name_len(wire) <= 1) {
			snprintf(err, errlen, "name server '%s' is not a valid host name", name);
			goto out;
		}
		if (name[len - 1] != '.') /* absolute: the NS records carry the trailing dot */
			memcpy(name + len, ".", 2);
		if (!(names[n++] = strdup(name))) {
			snprintf(err, errlen, "out of memory");
			rc = -ENOMEM;
			goto out;
		}
		p += len;
	}
	if (n != CONFIG_NAME_SERVERS) {
		snprintf(err, errlen,
			 "name servers '%s': expected exactly %d host names, e.g. "
			 "ns-1.example.com,ns-2.example.net,ns-3.example.org,ns-4.example.co.uk",
			 text, CONFIG_NAME_SERVERS);
		goto out;
	}
	for (size_t i = 0; i < CONFIG_NAME_SERVERS; i++) {
		free(c->name_servers[i]);
		c->name_servers[i] = names[i];
		names[i] = NULL;
	}
	c->set |= CONFIG_SET_NAME_SERVERS;
	rc = 0;
out:
	for (size_t i = 0; i < CONFIG_NAME_SERVERS; i++)
		free(names[i]);
	return rc;
}

int config_set_api_rate(struct config *c, const char *text, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	double r = strtod(text, &end);
	if (!isdigit((unsigned char)text[0]) || *end != '\0' || errno || !isfinite(r) || r < 0 ||
	    r > CONFIG_MAX_API_RATE) {
		snprintf(err, errlen,
			 "API rate limit '%s': expected requests per second, 0 (off) to %u", text,
			 CONFIG_MAX_API_RATE);
		return -EINVAL;
	}
	c->api_rate = r;
	c->set |= CONFIG_SET_API_RATE;
	return 0;
}

int config_set_api_burst(struct config *c, const char *text, char *err, size_t errlen)
{
	unsigned long v;
	if (parse_uint(text, 1, CONFIG_MAX_API_RATE, &v) != 0) {
		snprintf(err, errlen, "API burst '%s': expected a number from 1 to %u", text,
			 CONFIG_MAX_API_RATE);
		return -EINVAL;
	}
	c->api_burst = (unsigned)v;
	c->set |= CONFIG_SET_API_BURST;
	return 0;
}

/* ---- the file ---- */

/* Cuts a trailing comment ('#' at the start or after white space) and trailing white space. */
static void strip_line(char *s)
{
	for (char *p = s; *p; p++) {
		if (*p == '#' && (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			break;
		}
	}
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

static char *skip_space(char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

char *config_next_word(char **p)
{
	char *w = skip_space(*p);
	char *e = w;
	while (*e && !isspace((unsigned char)*e))
		e++;
	if (*e)
		*e++ = '\0';
	*p = skip_space(e);
	return w;
}

char *config_resolve_path(const char *conf, const char *path)
{
	const char *slash = strrchr(conf, '/');
	if (path[0] == '/' || !slash)
		return strdup(path);
	size_t dlen = (size_t)(slash - conf);
	size_t plen = strlen(path);
	char *out = malloc(dlen + 1 + plen + 1);
	if (!out)
		return NULL;
	memcpy(out, conf, dlen);
	out[dlen] = '/';
	memcpy(out + dlen + 1, path, plen + 1);
	return out;
}

/* Appends a sandbox-* line; `where` is copied. 0 or -ENOMEM. */
static int push_sandbox_line(struct config *c, const char *where, const char *key, const char *rest)
{
	struct config_line *l = realloc(c->sandbox_lines, (c->nsandbox_lines + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	c->sandbox_lines = l;
	l += c->nsandbox_lines;
	l->where = strdup(where);
	l->keyword = strdup(key);
	l->rest = strdup(rest);
	if (!l->keyword || !l->rest || !l->where) {
		free(l->keyword);
		free(l->rest);
		free(l->where);
		return -ENOMEM;
	}
	c->nsandbox_lines++;
	return 0;
}

int config_parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = {"yes", "on", "true"}, *const no[] = {"no", "off",
									       "false"};
	for (size_t i = 0; i < 3; i++) {
		if (strcmp(text, yes[i]) == 0 || strcmp(text, no[i]) == 0) {
			*out = strcmp(text, yes[i]) == 0;
			return 0;
		}
	}
	return -EINVAL;
}

int config_set_sandbox(struct config *c, const char *text, char *err, size_t errlen)
{
	if (config_parse_bool(text, &c->sandbox) != 0) {
		snprintf(err, errlen, "sandbox: expected yes or no, not '%s'", text);
		return -EINVAL;
	}
	c->set |= CONFIG_SET_SANDBOX;
	return 0;
}

int config_set_sandbox_port(struct config *c, const char *text, char *err, size_t errlen)
{
	unsigned long v;
	if (parse_uint(text, 1, 65535, &v) != 0) {
		snprintf(err, errlen, "sandbox port: expected 1-65535, not '%s'", text);
		return -EINVAL;
	}
	c->sandbox_port = (unsigned)v;
	c->set |= CONFIG_SET_SANDBOX_PORT;
	return 0;
}

static int apply_line(void *ctx, const char *conf, unsigned lineno, char *key, char *rest,
		      char *err, size_t errlen)
{
	struct config *c = ctx;
	/* The sandbox's own lines are read by registrar/sandbox.h when `signpost up` starts. */
	if (strncmp(key, "sandbox-", 8) == 0 && strcmp(key, "sandbox-port") != 0) {
		char where[4200];
		snprintf(where, sizeof(where), "%s:%u", conf, lineno);
		if (push_sandbox_line(c, where, key, rest) == 0)
			return 0;
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (strcmp(key, "zone") == 0) {
		char *name = config_next_word(&rest);
		if (name[0] == '\0' || rest[0] == '\0') {
			snprintf(err, errlen, "expected: zone NAME FILE");
			return -EINVAL;
		}
		/* the rest of the line: spaces allowed */
		char *path = config_resolve_path(conf, rest);
		if (!path) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		int rc = config_add_zone(c, name, path, err, errlen);
		free(path);
		return rc;
	}
	if (strcmp(key, "name-servers") == 0)
		return config_set_name_servers(c, rest, err, errlen);
	if (strcmp(key, "credentials") == 0) {
		char *id = config_next_word(&rest);
		char *secret = config_next_word(&rest);
		if (id[0] == '\0' || secret[0] == '\0' || rest[0] != '\0') {
			snprintf(err, errlen,
				 "expected: credentials ACCESS_KEY_ID SECRET_ACCESS_KEY");
			return -EINVAL;
		}
		return config_add_key(c, id, secret, err, errlen);
	}

	char *value = config_next_word(&rest);
	if (value[0] == '\0' || rest[0] != '\0') {
		snprintf(err, errlen, "expected: %s VALUE (one value per line)", key);
		return -EINVAL;
	}
	if (strcmp(key, "listen") == 0)
		return config_add_listen(c, value, err, errlen);
	if (strcmp(key, "workers") == 0)
		return config_set_workers(c, value, err, errlen);
	if (strcmp(key, "log-level") == 0)
		return config_set_log_level(c, value, err, errlen);
	if (strcmp(key, "tcp-idle-timeout") == 0)
		return config_set_tcp_idle_timeout(c, value, err, errlen);
	if (strcmp(key, "tcp-max-connections") == 0)
		return config_set_tcp_max_connections(c, value, err, errlen);
	if (strcmp(key, "api") == 0)
		return config_set_api(c, value, err, errlen);
	if (strcmp(key, "api-rate-limit") == 0)
		return config_set_api_rate(c, value, err, errlen);
	if (strcmp(key, "api-burst") == 0)
		return config_set_api_burst(c, value, err, errlen);
	if (strcmp(key, "sandbox") == 0)
		return config_set_sandbox(c, value, err, errlen);
	if (strcmp(key, "sandbox-port") == 0)
		return config_set_sandbox_port(c, value, err, errlen);
	if (strcmp(key, "data") == 0 || strcmp(key, "alias-targets") == 0) {
		char *path = config_resolve_path(conf, value);
		if (!path) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		int rc = key[0] == 'd' ? config_set_data_dir(c, path, err, errlen)
				       : config_set_alias_targets(c, path, err, errlen);
		free(path);
		return rc;
	}
	snprintf(err, errlen,
		 "unknown setting '%s' (known: listen, zone, workers, log-level, tcp-idle-timeout, "
		 "tcp-max-connections, api, data, credentials, name-servers, api-rate-limit, "
		 "api-burst, alias-targets, sandbox, sandbox-port, sandbox-root, sandbox-tld, "
		 "sandbox-tld-remove, sandbox-hosted)",
		 key);
	return -EINVAL;
}

int config_read_lines(const char *path,
		      int (*fn)(void *ctx, const char *path, unsigned lineno, char *key, char *rest,
				char *msg, size_t msglen),
		      void *ctx, char *err, size_t errlen)
{
	int rc = 0;
	FILE *f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "cannot read the configuration file %s: %s", path,
			 strerror(errno));
		return rc;
	}
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	char msg[512];
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		strip_line(line);
		char *rest = skip_space(line);
		if (*rest == '\0')
			continue;
		char *key = config_next_word(&rest);
		rc = fn(ctx, path, lineno, key, rest, msg, sizeof(msg));
		if (rc != 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			goto out;
		}
	}
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "cannot read the configuration file %s: %s", path,
			 strerror(errno));
	}
out:
	free(line);
	fclose(f);
	return rc;
}

int config_read_file(struct config *c, const char *path, char *err, size_t errlen)
{
	return config_read_lines(path, apply_line, c, err, errlen);
}

/* ---- merging ---- */

static int copy_listen(struct config *out, const struct config *src)
{
	if (src->nlisten == 0)
		return 0;
	out->listen = malloc(src->nlisten * sizeof(*out->listen));
	if (!out->listen)
		return -ENOMEM;
	memcpy(out->listen, src->listen, src->nlisten * sizeof(*out->listen));
	out->nlisten = src->nlisten;
	return 0;
}

/* The `signpost up` settings src gave, copied into out. */
static int copy_up(struct config *out, const struct config *src)
{
	char err[16];
	if (src->set & CONFIG_SET_API)
		out->api = src->api;
	if (src->set & CONFIG_SET_API_RATE)
		out->api_rate = src->api_rate;
	if (src->set & CONFIG_SET_API_BURST)
		out->api_burst = src->api_burst;
	if (src->set & CONFIG_SET_SANDBOX)
		out->sandbox = src->sandbox;
	if (src->set & CONFIG_SET_SANDBOX_PORT)
		out->sandbox_port = src->sandbox_port;
	for (size_t i = 0; i < src->nsandbox_lines; i++) {
		const struct config_line *l = &src->sandbox_lines[i];
		if (push_sandbox_line(out, l->where, l->keyword, l->rest) != 0)
			return -ENOMEM;
	}
	if ((src->set & CONFIG_SET_DATA) &&
	    config_set_string(&out->data_dir, src->data_dir, err, 0))
		return -ENOMEM;
	if ((src->set & CONFIG_SET_ALIAS_TARGETS) &&
	    config_set_string(&out->alias_targets, src->alias_targets, err, 0))
		return -ENOMEM;
	for (size_t i = 0; (src->set & CONFIG_SET_NAME_SERVERS) && i < CONFIG_NAME_SERVERS; i++)
		if (config_set_string(&out->name_servers[i], src->name_servers[i], err, 0))
			return -ENOMEM;
	for (size_t i = 0; i < src->nkeys; i++) {
		int rc = config_add_key(out, src->keys[i].id, src->keys[i].secret, err, 0);
		if (rc == -ENOMEM)
			return rc;
	}
	return 0;
}

static void copy_scalars(struct config *out, const struct config *src)
{
	if (src->set & CONFIG_SET_WORKERS)
		out->workers = src->workers;
	if (src->set & CONFIG_SET_LOG_LEVEL)
		out->log_level = src->log_level;
	if (src->set & CONFIG_SET_TCP_IDLE)
		out->tcp_idle_timeout_ms = src->tcp_idle_timeout_ms;
	if (src->set & CONFIG_SET_TCP_MAX)
		out->tcp_max_connections = src->tcp_max_connections;
	out->set |= src->set;
}

int config_merge(struct config *out, const struct config *file, const struct config *flags,
		 char *err, size_t errlen)
{
	int rc = 0;
	config_init(out);
	if (file)
		copy_scalars(out, file);
	copy_scalars(out, flags);
	if ((file && (rc = copy_up(out, file)) != 0) || (rc = copy_up(out, flags)) != 0)
		goto out_fail;

	if (flags->nlisten > 0)
		rc = copy_listen(out, flags);
	else if (file && file->nlisten > 0)
		rc = copy_listen(out, file);
	else if ((rc = config_add_listen(out, "0.0.0.0", err, errlen)) == 0)
		rc = config_add_listen(out, "[::]", err, errlen);
	if (rc != 0)
		goto out_fail;

	for (size_t i = 0; file && i < file->nzones; i++) {
		const struct config_zone *z = &file->zones[i];
		const struct config_zone *o = config_find_zone(flags, z->origin);
		if ((rc = push_zone(out, z->origin, z->name, o ? o->path : z->path)) != 0)
			goto out_fail;
	}
	for (size_t i = 0; i < flags->nzones; i++) {
		const struct config_zone *z = &flags->zones[i];
		if (config_find_zone(out, z->origin))
			continue; /* replaced the file's zone above */
		if ((rc = push_zone(out, z->origin, z->name, z->path)) != 0)
			goto out_fail;
	}
	return 0;
out_fail:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	config_free(out);
	return rc;
}
