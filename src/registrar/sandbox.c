/* registrar/sandbox.c - the sandbox internet's zones, listen addresses and TLD delegations. */
#include "registrar/sandbox.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/cursor.h"
#include "base/log.h"
#include "dns/name.h"
#include "zone/hamt.h"

/* Every server of every role: the most listen addresses and infrastructure zones there are. */
#define MAX_ENTRIES (SANDBOX_MAX_SERVERS * (1 + SANDBOX_MAX_TLDS) + SANDBOX_HOSTED)

/* Roles: bit 0 the root, bit 1 + i the TLD tlds[i], HOSTED_ROLE the hosted name servers. */
#define ROOT_ROLE   0
#define HOSTED_ROLE (1 + SANDBOX_MAX_TLDS)
#define ROLE_BIT(r) (UINT64_C(1) << (r))

/* One server of one role, with its name in wire form (root label if it is not a name). */
struct entry {
	int role;
	const struct sandbox_server *s;
	uint8_t w[DNS_NAME_MAXLEN];
};

/* A zone of its own for server host names below a TLD (root-servers.net, awsdns-01.com). */
struct infra {
	uint8_t origin[DNS_NAME_MAXLEN];
	uint64_t roles; /* roles with a server in it: their addresses serve it */
};

struct sandbox {
	struct sandbox_config c;
	struct zone_db *hosted_db;
	struct infra infra[MAX_ENTRIES];
	size_t ninfra;
	/* One db per distinct set of roles of an address. */
	struct zone_db *db[MAX_ENTRIES];
	uint64_t db_roles[MAX_ENTRIES];
	size_t ndb;
	/* Listen addresses, each with its db (hosted_db for the hosted servers). */
	struct server_addr addr[MAX_ENTRIES];
	struct zone_db *addr_db[MAX_ENTRIES];
	uint64_t addr_roles[MAX_ENTRIES];
	size_t naddr;
};

/* SOA and TTLs of a TLD zone: the reference's registry-like values (§3.2, appendix A). */
struct tld_params {
	const char *tld;
	const char *rname;
	uint32_t soa_ttl, refresh, retry, expire, minimum;
	uint32_t ttl; /* apex NS, delegations, glue */
};

static const struct tld_params tld_params[] = {
	/* The first is also what a TLD without an entry of its own gets. */
	{"com.", "nstld.sandbox.internal.", 900, 1800, 900, 604800, 86400, 172800},
	{"net.", "nstld.sandbox.internal.", 900, 1800, 900, 604800, 86400, 172800},
	{"org.", "hostmaster.nic.org.", 3600, 1800, 900, 604800, 3600, 86400},
	{"uk.", "hostmaster.nic.uk.", 10800, 900, 300, 2419200, 10800, 172800},
	{"internal.", "hostmaster.nic.internal.", 3600, 1800, 900, 604800, 60, 3600},
};

static const struct tld_params *params_of(const char *tld)
{
	for (size_t i = 0; i < sizeof(tld_params) / sizeof(tld_params[0]); i++)
		if (strcmp(tld_params[i].tld, tld) == 0)
			return &tld_params[i];
	return &tld_params[0];
}

/* The root zone's values, as the real root's; root-servers.net-style zones; the other
 * server zones (gtld-servers.net); the NS-host zones of hosted servers (Route 53's). */
#define ROOT_SOA_TTL   86400
#define ROOT_NS_TTL    518400
#define ROOT_DELEG_TTL 172800
static const uint32_t root_timers[4] = {1800, 900, 604800, 86400};
static const uint32_t rootsrv_timers[4] = {14400, 7200, 1209600, 3600000};
#define ROOTSRV_TTL 3600000
static const uint32_t srv_timers[4] = {1800, 900, 604800, 86400};
#define SRV_TTL 172800
static const uint32_t host_timers[4] = {7200, 900, 1209600, 86400};
#define HOST_SOA_TTL 900
#define HOST_TTL     172800
#define INFRA_RNAME  "nstld.sandbox.internal."
#define HINTS_TTL    3600000

static void say(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const uint8_t root_name[1] = {0};

/* Presentation text (absolute or not: a final dot is implied) → lower-case wire. */
static int name_wire(const char *text, uint8_t out[DNS_NAME_MAXLEN])
{
	if (dns_name_from_text(text, root_name, out) < 0)
		return -1;
	dns_name_lower(out);
	return 0;
}

static const uint8_t *parent_of(const uint8_t *name)
{
	return name[0] ? name + name[0] + 1 : name;
}

/* Normalises a name into text form: lower case, with the final dot. -1 if it is not a name
 * or is the root. */
static int name_norm(const char *text, char out[SANDBOX_NAME_MAX])
{
	uint8_t w[DNS_NAME_MAXLEN];
	if (name_wire(text, w) < 0 || w[0] == 0)
		return -1;
	return dns_name_to_text(w, out, SANDBOX_NAME_MAX) < 0 ? -1 : 0;
}

/* The server's name in wire form (validated by the configuration). */
static void server_wire(const struct sandbox_server *s, uint8_t out[DNS_NAME_MAXLEN])
{
	if (name_wire(s->name, out) < 0)
		out[0] = 0;
}

static bool addr_same(const struct server_addr *a, const struct server_addr *b)
{
	if (a->ss.ss_family != b->ss.ss_family)
		return false;
	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)&b->ss)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
		      &((const struct sockaddr_in6 *)&b->ss)->sin6_addr, 16) == 0;
}

static void addr_set_port(struct server_addr *a, uint16_t port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
}

/* "192.0.2.1", "[2001:db8::1]" or "2001:db8::1" → address with port 0. */
static int addr_parse(const char *text, struct server_addr *out)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(text);
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, text, len + 1);
	memset(out, 0, sizeof(*out));
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->ss;
	if (inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		out->len = sizeof(*v4);
		return 0;
	}
	char *p = buf;
	if (buf[0] == '[') {
		if (buf[len - 1] != ']')
			return -1;
		buf[len - 1] = 0;
		p++;
	}
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;
	if (inet_pton(AF_INET6, p, &v6->sin6_addr) != 1)
		return -1;
	v6->sin6_family = AF_INET6;
	out->len = sizeof(*v6);
	return 0;
}

static void addr_text(const struct server_addr *a, char buf[INET6_ADDRSTRLEN])
{
	const void *src = a->ss.ss_family == AF_INET
				  ? (const void *)&((const struct sockaddr_in *)&a->ss)->sin_addr
				  : (const void *)&((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
	if (!inet_ntop(a->ss.ss_family, src, buf, INET6_ADDRSTRLEN))
		snprintf(buf, INET6_ADDRSTRLEN, "?");
}

/* Every server of every role, root first, then the TLDs in order, then the hosted ones. */
static size_t entries_of(const struct sandbox_config *c, struct entry out[MAX_ENTRIES])
{
	size_t n = 0;
	for (size_t i = 0; i < c->nroot && i < SANDBOX_MAX_SERVERS; i++)
		out[n++] = (struct entry){.role = ROOT_ROLE, .s = &c->root[i]};
	for (size_t t = 0; t < c->ntlds && t < SANDBOX_MAX_TLDS; t++)
		for (size_t i = 0; i < c->tlds[t].nservers && i < SANDBOX_MAX_SERVERS; i++)
			out[n++] = (struct entry){.role = 1 + (int)t, .s = &c->tlds[t].servers[i]};
	for (size_t i = 0; i < SANDBOX_HOSTED; i++)
		out[n++] = (struct entry){.role = HOSTED_ROLE, .s = &c->hosted[i]};
	for (size_t i = 0; i < n; i++)
		server_wire(out[i].s, out[i].w);
	return n;
}

/* The index of the TLD that `name` (wire) is strictly below, or -1. TLDs are single labels. */
static int tld_index(const struct sandbox_config *c, const uint8_t *name)
{
	int labels = dns_name_labels(name);
	if (labels < 2)
		return -1;
	const uint8_t *tld = name;
	for (int i = 1; i < labels; i++)
		tld = parent_of(tld);
	for (size_t t = 0; t < c->ntlds; t++) {
		uint8_t w[DNS_NAME_MAXLEN];
		if (name_wire(c->tlds[t].name, w) == 0 && dns_name_equal(w, tld))
			return (int)t;
	}
	return -1;
}

static const char *role_text(const struct sandbox_config *c, int role, char *buf, size_t len)
{
	if (role == ROOT_ROLE)
		return "the root";
	if (role == HOSTED_ROLE)
		return "the hosted name servers";
	snprintf(buf, len, "TLD %s", c->tlds[role - 1].name);
	return buf;
}

/*
 * Infrastructure zones: the parent P of a server name, when P is below a TLD and the server
 * does not serve the TLD zone that holds its name (root-servers.net for the root servers,
 * gtld-servers.net for com's servers, awsdns-01.com for a hosted server). Every server named
 * directly below P is then in it, and P's roles are those servers' roles: their addresses
 * serve P. Other server names are plain address records of their TLD zone (a.nic.org, which
 * serves org). Returns the count.
 */
static size_t infra_of(const struct sandbox_config *c, const struct entry *e, size_t n,
		       struct infra out[MAX_ENTRIES])
{
	size_t ninfra = 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *z = parent_of(e[i].w);
		if (dns_name_labels(z) < 2)
			continue;
		int t = tld_index(c, e[i].w);
		if (e[i].role != ROOT_ROLE && e[i].role != HOSTED_ROLE && t == e[i].role - 1)
			continue;
		size_t k = 0;
		while (k < ninfra && !dns_name_equal(out[k].origin, z))
			k++;
		if (k == ninfra) {
			memcpy(out[ninfra].origin, z, dns_name_len(z));
			out[ninfra++].roles = 0;
		}
	}
	for (size_t k = 0; k < ninfra; k++)
		for (size_t i = 0; i < n; i++)
			if (dns_name_equal(parent_of(e[i].w), out[k].origin))
				out[k].roles |= ROLE_BIT(e[i].role);
	return ninfra;
}

static const struct infra *infra_find(const struct infra *z, size_t n, const uint8_t *origin)
{
	for (size_t k = 0; k < n; k++)
		if (dns_name_equal(z[k].origin, origin))
			return &z[k];
	return NULL;
}

/* ---- configuration ------------------------------------------------------------------------ */

static void set_server(struct sandbox_server *s, const char *name, const char *addr)
{
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (addr_parse(addr, &s->addr) < 0)
		memset(&s->addr, 0, sizeof(s->addr));
}

void sandbox_config_default(struct sandbox_config *c,
			    const char *const name_servers[SANDBOX_HOSTED])
{
	static const char *const r53_like[SANDBOX_HOSTED] = {
		"ns-1.awsdns-01.com.", "ns-2.awsdns-02.net.", "ns-3.awsdns-03.org.",
		"ns-4.awsdns-04.co.uk."};
	static const struct {
		const char *tld, *names[2], *addrs[2];
	} tlds[] = {
		{"com.",
		 {"a.gtld-servers.net.", "b.gtld-servers.net."},
		 {"127.0.0.3", "127.0.0.13"}},
		{"net.",
		 {"a.gtld-servers.net.", "b.gtld-servers.net."},
		 {"127.0.0.3", "127.0.0.13"}},
		{"org.", {"a.nic.org.", NULL}, {"127.0.0.8", NULL}},
		{"uk.", {"a.nic.uk.", NULL}, {"127.0.0.9", NULL}},
		{"internal.", {"a.nic.internal.", NULL}, {"127.0.0.10", NULL}},
	};
	memset(c, 0, sizeof(*c));
	set_server(&c->root[0], "a.root-servers.net.", "127.0.0.2");
	set_server(&c->root[1], "b.root-servers.net.", "127.0.0.12");
	c->nroot = 2;
	for (size_t t = 0; t < sizeof(tlds) / sizeof(tlds[0]); t++) {
		struct sandbox_tld *d = &c->tlds[c->ntlds++];
		snprintf(d->name, sizeof(d->name), "%s", tlds[t].tld);
		for (size_t i = 0; i < 2 && tlds[t].names[i]; i++)
			set_server(&d->servers[d->nservers++], tlds[t].names[i], tlds[t].addrs[i]);
	}
	for (int i = 0; i < SANDBOX_HOSTED; i++) {
		const char *ns = name_servers && name_servers[i] ? name_servers[i] : r53_like[i];
		char name[SANDBOX_NAME_MAX], addr[16];
		snprintf(addr, sizeof(addr), "127.0.0.%d", 4 + i);
		if (name_norm(ns, name) < 0)
			snprintf(name, sizeof(name), "%s", ns); /* sandbox_config_check says why */
		set_server(&c->hosted[i], name, addr);
	}
	c->port = SANDBOX_DEFAULT_PORT;
}

/* The next blank-separated word of *s into out; false at the end of the line. */
static bool next_word(const char **s, char *out, size_t cap, bool *too_long)
{
	const char *p = *s;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t n = 0;
	while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
		if (n + 1 < cap)
			out[n] = *p;
		else
			*too_long = true;
		n++;
		p++;
	}
	*s = p;
	out[n < cap ? n : cap - 1] = 0;
	return n > 0;
}

/* NAME=ADDR words into servers; at least one. */
static int parse_servers(const char *rest, struct sandbox_server *servers, size_t *n, char *err,
			 size_t errlen)
{
	char w[SANDBOX_NAME_MAX + INET6_ADDRSTRLEN + 4];
	bool too_long = false;
	*n = 0;
	while (next_word(&rest, w, sizeof(w), &too_long)) {
		char *eq = strchr(w, '=');
		if (too_long || !eq) {
			say(err, errlen, "expected NAME=ADDR, not \"%s\"", w);
			return -EINVAL;
		}
		*eq = 0;
		if (*n == SANDBOX_MAX_SERVERS) {
			say(err, errlen, "more than %d servers", SANDBOX_MAX_SERVERS);
			return -EINVAL;
		}
		struct sandbox_server *s = &servers[*n];
		if (name_norm(w, s->name) < 0) {
			say(err, errlen, "\"%s\" is not a host name", w);
			return -EINVAL;
		}
		if (addr_parse(eq + 1, &s->addr) < 0) {
			say(err, errlen, "\"%s\" is not a numeric IPv4 or IPv6 address", eq + 1);
			return -EINVAL;
		}
		(*n)++;
	}
	if (*n == 0) {
		say(err, errlen, "expected at least one NAME=ADDR");
		return -EINVAL;
	}
	return 0;
}

/* A TLD word: a single label, normalised to "com.". */
static int parse_tld(const char **rest, char out[SANDBOX_NAME_MAX], char *err, size_t errlen)
{
	char w[SANDBOX_NAME_MAX];
	bool too_long = false;
	uint8_t wire[DNS_NAME_MAXLEN];
	if (!next_word(rest, w, sizeof(w), &too_long)) {
		say(err, errlen, "expected a TLD");
		return -EINVAL;
	}
	if (too_long || name_wire(w, wire) < 0 || dns_name_labels(wire) != 1 ||
	    dns_name_to_text(wire, out, SANDBOX_NAME_MAX) < 0) {
		say(err, errlen, "\"%s\" is not a top-level domain (one label)", w);
		return -EINVAL;
	}
	return 0;
}

static bool line_end(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return *s == 0;
}

int sandbox_config_line(struct sandbox_config *c, const char *keyword, const char *rest, char *err,
			size_t errlen)
{
	if (!rest)
		rest = "";
	if (strcmp(keyword, "sandbox-root") == 0) {
		struct sandbox_server s[SANDBOX_MAX_SERVERS];
		size_t n;
		int r = parse_servers(rest, s, &n, err, errlen);
		if (r < 0)
			return r;
		memcpy(c->root, s, sizeof(s));
		c->nroot = n;
		return 0;
	}
	if (strcmp(keyword, "sandbox-tld") == 0) {
		struct sandbox_tld t = {0};
		int r = parse_tld(&rest, t.name, err, errlen);
		if (r < 0)
			return r;
		r = parse_servers(rest, t.servers, &t.nservers, err, errlen);
		if (r < 0)
			return r;
		size_t i = 0;
		while (i < c->ntlds && strcmp(c->tlds[i].name, t.name) != 0)
			i++;
		if (i == SANDBOX_MAX_TLDS) {
			say(err, errlen, "more than %d TLDs", SANDBOX_MAX_TLDS);
			return -EINVAL;
		}
		c->tlds[i] = t;
		if (i == c->ntlds)
			c->ntlds++;
		return 0;
	}
	if (strcmp(keyword, "sandbox-tld-remove") == 0) {
		char name[SANDBOX_NAME_MAX];
		int r = parse_tld(&rest, name, err, errlen);
		if (r < 0)
			return r;
		if (!line_end(rest)) {
			say(err, errlen, "expected one TLD");
			return -EINVAL;
		}
		size_t i = 0;
		while (i < c->ntlds && strcmp(c->tlds[i].name, name) != 0)
			i++;
		if (i == c->ntlds) {
			say(err, errlen, "no TLD %s to remove", name);
			return -EINVAL;
		}
		memmove(&c->tlds[i], &c->tlds[i + 1], (c->ntlds - i - 1) * sizeof(c->tlds[0]));
		c->ntlds--;
		return 0;
	}
	if (strcmp(keyword, "sandbox-hosted") == 0) {
		struct server_addr a[SANDBOX_HOSTED];
		char w[INET6_ADDRSTRLEN + 4];
		bool too_long = false;
		size_t n = 0;
		while (next_word(&rest, w, sizeof(w), &too_long)) {
			if (n == SANDBOX_HOSTED) {
				say(err, errlen, "expected %d addresses, got more", SANDBOX_HOSTED);
				return -EINVAL;
			}
			if (too_long || addr_parse(w, &a[n]) < 0) {
				say(err, errlen, "\"%s\" is not a numeric IPv4 or IPv6 address", w);
				return -EINVAL;
			}
			n++;
		}
		if (n != SANDBOX_HOSTED) {
			say(err, errlen, "expected %d addresses, got %zu", SANDBOX_HOSTED, n);
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++)
			c->hosted[i].addr = a[i];
		return 0;
	}
	if (strcmp(keyword, "sandbox-port") == 0) {
		char *end;
		while (*rest == ' ' || *rest == '\t')
			rest++;
		errno = 0;
		unsigned long p = strtoul(rest, &end, 10);
		if (end == rest || *rest == '-' || errno || p == 0 || p > 65535 || !line_end(end)) {
			say(err, errlen, "\"%s\" is not a port (1-65535)", rest);
			return -EINVAL;
		}
		c->port = (uint16_t)p;
		return 0;
	}
	say(err, errlen, "unknown keyword %s", keyword);
	return -EINVAL;
}

int sandbox_config_check(const struct sandbox_config *c, char *err, size_t errlen)
{
	struct entry e[MAX_ENTRIES];
	char r1[SANDBOX_NAME_MAX + 8], r2[SANDBOX_NAME_MAX + 8];
	if (c->nroot == 0 || c->nroot > SANDBOX_MAX_SERVERS) {
		say(err, errlen, "the sandbox needs 1 to %d root servers", SANDBOX_MAX_SERVERS);
		return -EINVAL;
	}
	if (c->ntlds == 0 || c->ntlds > SANDBOX_MAX_TLDS) {
		say(err, errlen, "the sandbox needs 1 to %d TLDs", SANDBOX_MAX_TLDS);
		return -EINVAL;
	}
	for (size_t t = 0; t < c->ntlds; t++) {
		uint8_t w[DNS_NAME_MAXLEN];
		if (name_wire(c->tlds[t].name, w) < 0 || dns_name_labels(w) != 1) {
			say(err, errlen, "TLD %s is not a single label", c->tlds[t].name);
			return -EINVAL;
		}
		if (c->tlds[t].nservers == 0 || c->tlds[t].nservers > SANDBOX_MAX_SERVERS) {
			say(err, errlen, "TLD %s needs 1 to %d servers", c->tlds[t].name,
			    SANDBOX_MAX_SERVERS);
			return -EINVAL;
		}
		for (size_t u = 0; u < t; u++)
			if (strcmp(c->tlds[u].name, c->tlds[t].name) == 0) {
				say(err, errlen, "TLD %s is configured twice", c->tlds[t].name);
				return -EINVAL;
			}
	}
	size_t n = entries_of(c, e);
	for (size_t i = 0; i < n; i++) {
		const char *role = role_text(c, e[i].role, r1, sizeof(r1));
		if (e[i].w[0] == 0) {
			say(err, errlen, "\"%s\" of %s is not a host name", e[i].s->name, role);
			return -EINVAL;
		}
		if (tld_index(c, e[i].w) < 0) {
			say(err, errlen, "name server %s of %s is not below a TLD of the sandbox",
			    e[i].s->name, role);
			return -EINVAL;
		}
		if (e[i].s->addr.ss.ss_family != AF_INET && e[i].s->addr.ss.ss_family != AF_INET6) {
			say(err, errlen, "name server %s of %s has no address", e[i].s->name, role);
			return -EINVAL;
		}
	}
	/* Every server name inside an infrastructure zone is directly below its apex, so the
	 * zone holds its address and needs no cut of its own; and the zone is served either by
	 * the sandbox or among the hosted zones, not both. */
	struct infra z[MAX_ENTRIES];
	size_t nz = infra_of(c, e, n, z);
	for (size_t k = 0; k < nz; k++) {
		char zt[SANDBOX_NAME_MAX] = "?";
		(void)dns_name_to_text(z[k].origin, zt, sizeof(zt));
		for (size_t i = 0; i < n; i++) {
			if (!dns_name_is_sub(e[i].w, z[k].origin))
				continue;
			if (!dns_name_equal(parent_of(e[i].w), z[k].origin)) {
				say(err, errlen,
				    "name server %s is inside the zone %s, but not directly below "
				    "its "
				    "apex",
				    e[i].s->name, zt);
				return -EINVAL;
			}
		}
		if ((z[k].roles & ROLE_BIT(HOSTED_ROLE)) && z[k].roles != ROLE_BIT(HOSTED_ROLE)) {
			say(err, errlen,
			    "zone %s holds a hosted name server and a server of another role", zt);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const char *role = role_text(c, e[i].role, r1, sizeof(r1));
		for (size_t j = 0; j < n; j++) {
			if (e[j].role == e[i].role)
				continue;
			/* One address, one zone set: parent and child apart (principle 2). */
			bool hosted = e[i].role == HOSTED_ROLE || e[j].role == HOSTED_ROLE;
			bool root = e[i].role == ROOT_ROLE || e[j].role == ROOT_ROLE;
			if ((hosted || root) && addr_same(&e[i].s->addr, &e[j].s->addr)) {
				char a[INET6_ADDRSTRLEN];
				addr_text(&e[i].s->addr, a);
				say(err, errlen, "address %s serves both %s and %s: %s", a, role,
				    role_text(c, e[j].role, r2, sizeof(r2)),
				    hosted ? "the hosted name servers' addresses serve only hosted "
					     "zones"
					   : "a parent and its child zones need addresses of their "
					     "own");
				return -EINVAL;
			}
			/* A name in two roles has the same addresses in both. */
			if (!dns_name_equal(e[i].w, e[j].w))
				continue;
			bool found = false;
			for (size_t k = 0; k < n && !found; k++)
				found = e[k].role == e[j].role && dns_name_equal(e[k].w, e[i].w) &&
					addr_same(&e[k].s->addr, &e[i].s->addr);
			if (!found) {
				say(err, errlen,
				    "name server %s has different addresses in %s and %s",
				    e[i].s->name, role, role_text(c, e[j].role, r2, sizeof(r2)));
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* ---- zones -------------------------------------------------------------------------------- */

/* A transaction with a sticky error, so building code reads as a list of records. */
struct build {
	struct zone_txn *t;
	int rc;
	char *err;
	size_t errlen;
};

static void put(struct build *b, const uint8_t *owner, uint16_t type, uint32_t ttl,
		const uint8_t *rd, size_t rdlen)
{
	if (b->rc < 0)
		return;
	int r = zone_txn_add(b->t, owner, type, ttl, rd, (uint16_t)rdlen);
	if (r < 0) {
		char o[DNS_NAME_MAXLEN * 4 + 1] = "?";
		(void)dns_name_to_text(owner, o, sizeof(o));
		say(b->err, b->errlen, "%s type %u: %s", o, type, zone_strerror(r));
		b->rc = r;
	}
}

static void put_ns(struct build *b, const uint8_t *owner, const uint8_t *target, uint32_t ttl)
{
	put(b, owner, DNS_T_NS, ttl, target, dns_name_len(target));
}

static void put_addr(struct build *b, const uint8_t *owner, const struct server_addr *a,
		     uint32_t ttl)
{
	if (a->ss.ss_family == AF_INET)
		put(b, owner, DNS_T_A, ttl,
		    (const uint8_t *)&((const struct sockaddr_in *)&a->ss)->sin_addr, 4);
	else
		put(b, owner, DNS_T_AAAA, ttl,
		    (const uint8_t *)&((const struct sockaddr_in6 *)&a->ss)->sin6_addr, 16);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_soa(struct build *b, const uint8_t *origin, const uint8_t *mname, const char *rname,
		    uint32_t serial, const uint32_t timers[4], uint32_t ttl)
{
	uint8_t rd[2 * DNS_NAME_MAXLEN + 20];
	size_t n = dns_name_len(mname);
	memcpy(rd, mname, n);
	int l = dns_name_from_text(rname, NULL, rd + n);
	if (l < 0) {
		say(b->err, b->errlen, "bad SOA RNAME %s", rname);
		b->rc = -EINVAL;
		return;
	}
	n += (size_t)l;
	put_u32(rd + n, serial);
	for (int i = 0; i < 4; i++)
		put_u32(rd + n + 4 + 4 * (size_t)i, timers[i]);
	put(b, origin, DNS_T_SOA, ttl, rd, n + 20);
}

static int build_begin(struct build *b, const uint8_t *origin, char *err, size_t errlen)
{
	*b = (struct build){.err = err, .errlen = errlen};
	b->rc = zone_txn_begin(NULL, origin, &b->t);
	if (b->rc < 0)
		say(err, errlen, "%s", zone_strerror(b->rc));
	return b->rc;
}

static int errno_of(int zone_rc)
{
	return zone_rc == ZONE_ENOMEM || zone_rc == -ENOMEM ? -ENOMEM : -EINVAL;
}

/* Commits (or aborts, after an error) and maps the result to an errno. */
static int build_end(struct build *b, struct zone_version **out)
{
	if (b->rc >= 0) {
		b->rc = zone_txn_commit(b->t, out);
		if (b->rc == 0)
			return 0;
		say(b->err, b->errlen, "%s", zone_strerror(b->rc));
	}
	zone_txn_abort(b->t);
	return errno_of(b->rc);
}

/* The root zone: root servers with their addresses, one delegation per TLD with glue. */
static int build_root(const struct sandbox *sb, uint32_t serial, struct zone_version **out,
		      char *err, size_t errlen)
{
	const struct sandbox_config *c = &sb->c;
	struct build b;
	uint8_t w[DNS_NAME_MAXLEN], tld[DNS_NAME_MAXLEN];
	if (build_begin(&b, root_name, err, errlen) < 0)
		return errno_of(b.rc);
	server_wire(&c->root[0], w);
	put_soa(&b, root_name, w, INFRA_RNAME, serial, root_timers, ROOT_SOA_TTL);
	for (size_t i = 0; i < c->nroot; i++) {
		server_wire(&c->root[i], w);
		put_ns(&b, root_name, w, ROOT_NS_TTL);
		put_addr(&b, w, &c->root[i].addr, ROOT_NS_TTL);
	}
	for (size_t t = 0; t < c->ntlds; t++) {
		if (name_wire(c->tlds[t].name, tld) < 0)
			continue;
		for (size_t i = 0; i < c->tlds[t].nservers; i++) {
			server_wire(&c->tlds[t].servers[i], w);
			put_ns(&b, tld, w, ROOT_DELEG_TTL);
			put_addr(&b, w, &c->tlds[t].servers[i].addr, ROOT_DELEG_TTL);
		}
	}
	return build_end(&b, out);
}

/* A TLD zone: its servers, the addresses of the server names in it, and for those in an
 * infrastructure zone, that zone's delegation (with the addresses as glue). */
static int build_tld(const struct sandbox *sb, size_t t, uint32_t serial, struct zone_version **out,
		     char *err, size_t errlen)
{
	const struct sandbox_config *c = &sb->c;
	const struct tld_params *p = params_of(c->tlds[t].name);
	struct entry e[MAX_ENTRIES];
	size_t n = entries_of(c, e);
	struct build b;
	uint8_t origin[DNS_NAME_MAXLEN], w[DNS_NAME_MAXLEN];
	if (c->tlds[t].nservers == 0 || name_wire(c->tlds[t].name, origin) < 0) {
		say(err, errlen, "bad TLD %s", c->tlds[t].name);
		return -EINVAL;
	}
	if (build_begin(&b, origin, err, errlen) < 0)
		return errno_of(b.rc);
	const uint32_t timers[4] = {p->refresh, p->retry, p->expire, p->minimum};
	server_wire(&c->tlds[t].servers[0], w);
	put_soa(&b, origin, w, p->rname, serial, timers, p->soa_ttl);
	for (size_t i = 0; i < c->tlds[t].nservers; i++) {
		server_wire(&c->tlds[t].servers[i], w);
		put_ns(&b, origin, w, p->ttl);
	}
	for (size_t i = 0; i < n; i++) {
		if (tld_index(c, e[i].w) != (int)t)
			continue;
		const uint8_t *z = parent_of(e[i].w);
		if (infra_find(sb->infra, sb->ninfra, z))
			put_ns(&b, z, e[i].w, p->ttl);
		put_addr(&b, e[i].w, &e[i].s->addr, p->ttl);
	}
	return build_end(&b, out);
}

/* An infrastructure zone: the server names directly below it, with their addresses. */
static int build_infra(const struct sandbox *sb, const struct infra *z, uint32_t serial,
		       struct zone_version **out, char *err, size_t errlen)
{
	const struct sandbox_config *c = &sb->c;
	struct entry e[MAX_ENTRIES];
	size_t n = entries_of(c, e);
	struct build b;
	const uint32_t *timers = srv_timers;
	uint32_t soa_ttl = SRV_TTL, ttl = SRV_TTL;
	char rname[SANDBOX_NAME_MAX + 16] = INFRA_RNAME;
	if (z->roles & ROLE_BIT(HOSTED_ROLE)) {
		char o[SANDBOX_NAME_MAX];
		if (dns_name_to_text(z->origin, o, sizeof(o)) < 0)
			o[0] = 0;
		snprintf(rname, sizeof(rname), "hostmaster.%s", o);
		timers = host_timers;
		soa_ttl = HOST_SOA_TTL;
		ttl = HOST_TTL;
	} else if (z->roles & ROLE_BIT(ROOT_ROLE)) {
		timers = rootsrv_timers;
		soa_ttl = ttl = ROOTSRV_TTL;
	}
	if (build_begin(&b, z->origin, err, errlen) < 0)
		return errno_of(b.rc);
	bool soa = false;
	for (size_t i = 0; i < n; i++) {
		if (!dns_name_equal(parent_of(e[i].w), z->origin))
			continue;
		if (!soa)
			put_soa(&b, z->origin, e[i].w, rname, serial, timers, soa_ttl);
		soa = true;
		put_ns(&b, z->origin, e[i].w, ttl);
		put_addr(&b, e[i].w, &e[i].s->addr, ttl);
	}
	return build_end(&b, out);
}

/* Builds and publishes every zone that addresses with roles `roles` serve into db. */
static int fill_db(const struct sandbox *sb, struct zone_db *db, uint64_t roles, uint32_t serial,
		   char *err, size_t errlen)
{
	struct zone_version *v;
	int r = 0;
	if (roles & ROLE_BIT(ROOT_ROLE)) {
		r = build_root(sb, serial, &v, err, errlen);
		if (r < 0)
			return r;
		if (zone_db_publish(db, v, true) < 0)
			goto out_free_version;
	}
	for (size_t t = 0; t < sb->c.ntlds; t++) {
		if (!(roles & ROLE_BIT(1 + t)))
			continue;
		r = build_tld(sb, t, serial, &v, err, errlen);
		if (r < 0)
			return r;
		if (zone_db_publish(db, v, true) < 0)
			goto out_free_version;
	}
	for (size_t i = 0; i < sb->ninfra; i++) {
		if (!(roles & sb->infra[i].roles))
			continue;
		r = build_infra(sb, &sb->infra[i], serial, &v, err, errlen);
		if (r < 0)
			return r;
		if (zone_db_zone(db, v->origin)) {
			/* Only the hosted db can hold one already: a customer's zone of that name.
			 * The name servers' addresses must resolve, so ours wins. */
			char o[SANDBOX_NAME_MAX] = "?";
			(void)dns_name_to_text(v->origin, o, sizeof(o));
			log_warn("sandbox: the hosted zone %s is replaced by the zone that gives "
				 "the "
				 "name servers their addresses",
				 o);
		}
		if (zone_db_publish(db, v, true) < 0)
			goto out_free_version;
	}
	return 0;
out_free_version:
	zone_version_free(v);
	say(err, errlen, "out of memory");
	return -ENOMEM;
}

/* Infrastructure zones and listen addresses with their roles. */
static void plan(struct sandbox *sb)
{
	struct entry e[MAX_ENTRIES];
	size_t n = entries_of(&sb->c, e);
	sb->ninfra = infra_of(&sb->c, e, n, sb->infra);
	for (size_t i = 0; i < n; i++) {
		size_t a = 0;
		while (a < sb->naddr && !addr_same(&sb->addr[a], &e[i].s->addr))
			a++;
		if (a == sb->naddr)
			sb->addr[sb->naddr++] = e[i].s->addr;
		sb->addr_roles[a] |= ROLE_BIT(e[i].role);
	}
}

int sandbox_new(const struct sandbox_config *c, struct zone_db *hosted_db, struct sandbox **out,
		char *err, size_t errlen)
{
	int r = sandbox_config_check(c, err, errlen);
	if (r < 0)
		return r;
	struct sandbox *sb = calloc(1, sizeof(*sb));
	if (!sb) {
		say(err, errlen, "out of memory");
		return -ENOMEM;
	}
	sb->c = *c;
	sb->hosted_db = hosted_db;
	uint32_t serial = (uint32_t)time(NULL);
	plan(sb);
	for (size_t a = 0; a < sb->naddr; a++) {
		uint64_t roles = sb->addr_roles[a];
		if (roles & ROLE_BIT(HOSTED_ROLE)) {
			sb->addr_db[a] = hosted_db;
			continue;
		}
		size_t d = 0;
		while (d < sb->ndb && sb->db_roles[d] != roles)
			d++;
		if (d == sb->ndb) {
			sb->db[d] = zone_db_new();
			if (!sb->db[d]) {
				say(err, errlen, "out of memory");
				r = -ENOMEM;
				goto out_free_sandbox;
			}
			sb->db_roles[d] = roles;
			sb->ndb++;
			r = fill_db(sb, sb->db[d], roles, serial, err, errlen);
			if (r < 0)
				goto out_free_sandbox;
		}
		sb->addr_db[a] = sb->db[d];
	}
	/* Last, so that a failure above leaves the hosted zones as they were. */
	r = fill_db(sb, hosted_db, ROLE_BIT(HOSTED_ROLE), serial, err, errlen);
	if (r < 0)
		goto out_free_sandbox;
	zone_db_sync(hosted_db);
	*out = sb;
	return 0;
out_free_sandbox:
	sandbox_free(sb);
	return r;
}

void sandbox_free(struct sandbox *sb)
{
	if (!sb)
		return;
	for (size_t d = 0; d < sb->ndb; d++)
		zone_db_free(sb->db[d]);
	free(sb);
}

size_t sandbox_listeners(struct sandbox *sb, uint16_t port, const struct server_addr **addrs,
			 struct zone_db *const **dbs)
{
	for (size_t a = 0; a < sb->naddr; a++)
		addr_set_port(&sb->addr[a], port);
	*addrs = sb->addr;
	*dbs = sb->addr_db;
	return sb->naddr;
}

const char *sandbox_tld_of(const struct sandbox *sb, const char *domain)
{
	uint8_t w[DNS_NAME_MAXLEN];
	if (!domain || name_wire(domain, w) < 0)
		return NULL;
	int t = tld_index(&sb->c, w);
	return t < 0 ? NULL : sb->c.tlds[t].name;
}

/* ---- delegations -------------------------------------------------------------------------- */

/* A delegation in wire form, checked. */
struct deleg {
	uint8_t name[DNS_NAME_MAXLEN];
	struct server_addr glue[4];
	size_t nglue;
};

static int check_delegation(const struct sandbox *sb, const uint8_t *domain, const char *dtext,
			    const struct sandbox_ns *ns, size_t n, struct deleg *d, char *err,
			    size_t errlen)
{
	struct entry e[MAX_ENTRIES];
	size_t ne = entries_of(&sb->c, e);
	for (size_t i = 0; i < ne; i++) {
		if (dns_name_is_sub(e[i].w, domain)) {
			say(err, errlen, "%s is reserved: the sandbox's name server %s is in it",
			    dtext, e[i].s->name);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (name_wire(ns[i].name, d[i].name) < 0 || d[i].name[0] == 0) {
			say(err, errlen, "\"%s\" is not a name server host name", ns[i].name);
			return -EINVAL;
		}
		bool inside = dns_name_is_sub(d[i].name, domain);
		if (ns[i].nglue > 4) {
			say(err, errlen, "name server %s has more than 4 glue addresses",
			    ns[i].name);
			return -EINVAL;
		}
		if (inside && ns[i].nglue == 0) {
			say(err, errlen, "name server %s is inside %s and needs glue addresses",
			    ns[i].name, dtext);
			return -EINVAL;
		}
		if (!inside && ns[i].nglue > 0) {
			say(err, errlen, "glue is only for name servers inside %s, not for %s",
			    dtext, ns[i].name);
			return -EINVAL;
		}
		d[i].nglue = ns[i].nglue;
		for (size_t g = 0; g < ns[i].nglue; g++) {
			char a[sizeof(ns[i].glue[g]) + 1];
			memcpy(a, ns[i].glue[g], sizeof(ns[i].glue[g]));
			a[sizeof(ns[i].glue[g])] = 0;
			if (strchr(a, '[') || addr_parse(a, &d[i].glue[g]) < 0) {
				say(err, errlen, "glue \"%s\" of %s is not an IPv4 or IPv6 address",
				    a, ns[i].name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* An open transaction on one served TLD zone with the delegation replaced. */
static int redelegate(const struct zone_version *base, const uint8_t *domain, const char *dtext,
		      const struct deleg *d, size_t n, uint32_t ttl, struct zone_txn **out,
		      char *err, size_t errlen)
{
	/* No delegation inside another (that one's zone would hide this one). */
	for (const uint8_t *a = parent_of(domain); dns_name_labels(a) > base->origin_labels;
	     a = parent_of(a)) {
		const struct zone_node *node = zone_version_get(base, a);
		if (node && zone_node_rrset(node, DNS_T_NS)) {
			char at[SANDBOX_NAME_MAX] = "?";
			(void)dns_name_to_text(a, at, sizeof(at));
			say(err, errlen, "%s is inside the delegated domain %s", dtext, at);
			return -EINVAL;
		}
	}
	struct build b = {.err = err, .errlen = errlen};
	b.rc = zone_txn_begin(base, base->origin, &b.t);
	if (b.rc < 0) {
		say(err, errlen, "%s", zone_strerror(b.rc));
		return errno_of(b.rc);
	}
	/* The old delegation and its glue: only NS targets inside the domain have glue. */
	const struct zone_node *old = zone_version_get(base, domain);
	const struct zone_rrset *rs = old ? zone_node_rrset(old, DNS_T_NS) : NULL;
	if (rs) {
		const uint8_t *p = zone_rrset_data(old, rs);
		for (unsigned i = 0; i < rs->count && b.rc >= 0; i++) {
			const uint8_t *target = p + 2;
			p += 2 + get_u16(p);
			if (!dns_name_is_sub(target, domain))
				continue;
			static const uint16_t types[] = {DNS_T_A, DNS_T_AAAA};
			for (size_t k = 0; k < 2 && b.rc >= 0; k++) {
				int r = zone_txn_del_rrset(b.t, target, types[k]);
				if (r < 0 && r != ZONE_ENOTFOUND)
					b.rc = r;
			}
		}
		if (b.rc >= 0)
			b.rc = zone_txn_del_rrset(b.t, domain, DNS_T_NS);
		if (b.rc < 0)
			say(err, errlen, "%s", zone_strerror(b.rc));
	}
	const struct zone_node *left = b.rc >= 0 ? zone_txn_get(b.t, domain) : NULL;
	if (left && (left->nrrsets > 0 || left->children > 0)) {
		say(err, errlen, "%s has other delegations below it", dtext);
		b.rc = -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		put_ns(&b, domain, d[i].name, ttl);
		for (size_t g = 0; g < d[i].nglue; g++)
			put_addr(&b, d[i].name, &d[i].glue[g], ttl);
	}
	/* RFC 1996 §2.2 / RFC 1982: the serial goes up by one, wrapping around. */
	const struct zone_rrset *soa = zone_node_rrset(base->apex, DNS_T_SOA);
	if (b.rc >= 0 && soa) {
		uint8_t rd[2 * DNS_NAME_MAXLEN + 20];
		const uint8_t *p = zone_rrset_data(base->apex, soa);
		uint16_t len = get_u16(p);
		memcpy(rd, p + 2, len);
		put_u32(rd + len - 20, get_u32(rd + len - 20) + 1);
		b.rc = zone_txn_del_rrset(b.t, base->origin, DNS_T_SOA);
		if (b.rc < 0)
			say(err, errlen, "%s", zone_strerror(b.rc));
		put(&b, base->origin, DNS_T_SOA, soa->ttl, rd, len);
	}
	if (b.rc < 0) {
		zone_txn_abort(b.t);
		return errno_of(b.rc);
	}
	*out = b.t;
	return 0;
}

int sandbox_delegate(struct sandbox *sb, const char *domain, const struct sandbox_ns *ns, size_t n,
		     char *err, size_t errlen)
{
	uint8_t dw[DNS_NAME_MAXLEN], tw[DNS_NAME_MAXLEN];
	char dtext[SANDBOX_NAME_MAX];
	if (!domain || name_wire(domain, dw) < 0 ||
	    dns_name_to_text(dw, dtext, sizeof(dtext)) < 0) {
		say(err, errlen, "\"%s\" is not a domain name", domain ? domain : "");
		return -EINVAL;
	}
	int t = tld_index(&sb->c, dw);
	if (t < 0) {
		say(err, errlen, "%s is not below a TLD of the sandbox", dtext);
		return -EINVAL;
	}
	if (n > 0 && !ns) {
		say(err, errlen, "no name servers given");
		return -EINVAL;
	}
	if (name_wire(sb->c.tlds[t].name, tw) < 0)
		return -EINVAL;
	struct deleg *d = n ? calloc(n, sizeof(*d)) : NULL;
	struct zone_txn *txn[MAX_ENTRIES] = {0};
	struct zone_version *v[MAX_ENTRIES] = {0};
	int r = 0;
	if (n && !d) {
		say(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = check_delegation(sb, dw, dtext, ns, n, d, err, errlen);
	if (r < 0)
		goto out_free;
	/* Every transaction, then every commit before any publish, so that a refusal or a
	 * failure up to there leaves every served copy as it was. */
	uint32_t ttl = params_of(sb->c.tlds[t].name)->ttl;
	for (size_t i = 0; i < sb->ndb; i++) {
		if (!(sb->db_roles[i] & ROLE_BIT(1 + t)))
			continue;
		const struct zone_version *base = zone_db_zone(sb->db[i], tw);
		if (!base) {
			say(err, errlen, "the %s zone is not served", sb->c.tlds[t].name);
			r = -EINVAL;
			goto out_free;
		}
		r = redelegate(base, dw, dtext, d, n, ttl, &txn[i], err, errlen);
		if (r < 0)
			goto out_free;
	}
	for (size_t i = 0; i < sb->ndb; i++) {
		if (!txn[i])
			continue;
		int c = zone_txn_commit(txn[i], &v[i]);
		if (c < 0) {
			say(err, errlen, "%s", zone_strerror(c));
			r = errno_of(c);
			goto out_free;
		}
		txn[i] = NULL;
	}
	for (size_t i = 0; i < sb->ndb; i++) {
		if (!v[i])
			continue;
		if (zone_db_publish(sb->db[i], v[i], false) < 0) {
			say(err, errlen, "out of memory");
			r = -ENOMEM;
			goto out_free;
		}
		v[i] = NULL;
		zone_db_sync(sb->db[i]);
	}
out_free:
	for (size_t i = 0; i < sb->ndb; i++) {
		zone_txn_abort(txn[i]);
		if (v[i])
			zone_version_discard(v[i]);
	}
	free(d);
	return r;
}

/* ---- files and text ----------------------------------------------------------------------- */

int sandbox_write_root_hints(const struct sandbox *sb, const char *path)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 8);
	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, plen + 8, "%s.XXXXXX", path);
	int r = 0;
	int fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		goto out_free_tmp;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		goto out_unlink;
	}
	fprintf(f, "; root hints for the sandbox internet (named.root format)\n");
	for (size_t i = 0; i < sb->c.nroot; i++)
		fprintf(f, "%-24s %-8u NS    %s\n", ".", HINTS_TTL, sb->c.root[i].name);
	for (size_t i = 0; i < sb->c.nroot; i++) {
		char a[INET6_ADDRSTRLEN];
		addr_text(&sb->c.root[i].addr, a);
		fprintf(f, "%-24s %-8u %-5s %s\n", sb->c.root[i].name, HINTS_TTL,
			sb->c.root[i].addr.ss.ss_family == AF_INET ? "A" : "AAAA", a);
	}
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
		r = -errno;
		fclose(f);
		goto out_unlink;
	}
	if (fclose(f) != 0) {
		r = -errno;
		goto out_unlink;
	}
	if (rename(tmp, path) != 0) {
		r = -errno;
		goto out_unlink;
	}
	goto out_free_tmp;
out_unlink:
	unlink(tmp);
out_free_tmp:
	free(tmp);
	return r;
}

int sandbox_describe(const struct sandbox *sb, uint16_t port, char *buf, size_t len)
{
	struct entry e[MAX_ENTRIES];
	size_t n = entries_of(&sb->c, e);
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		char name[SANDBOX_NAME_MAX], a[INET6_ADDRSTRLEN], role[SANDBOX_NAME_MAX + 8];
		snprintf(name, sizeof(name), "%s", e[i].s->name);
		size_t l = strlen(name);
		if (l > 1 && name[l - 1] == '.')
			name[l - 1] = 0;
		if (e[i].role == ROOT_ROLE)
			snprintf(role, sizeof(role), "root");
		else if (e[i].role == HOSTED_ROLE)
			snprintf(role, sizeof(role), "hosted");
		else {
			snprintf(role, sizeof(role), "tld %s", sb->c.tlds[e[i].role - 1].name);
			role[strlen(role) - 1] = 0;
		}
		addr_text(&e[i].s->addr, a);
		bool v6 = e[i].s->addr.ss.ss_family == AF_INET6;
		int w = snprintf(total < len ? buf + total : NULL, total < len ? len - total : 0,
				 "%s %s %s%s%s:%u\n", role, name, v6 ? "[" : "", a, v6 ? "]" : "",
				 port);
		if (w < 0)
			return w;
		total += (size_t)w;
	}
	if (n == 0 && len > 0)
		buf[0] = 0;
	return (int)total;
}
