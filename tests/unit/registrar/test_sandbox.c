/*
 * Unit tests for registrar/sandbox: the sandbox internet's zones are built from the reference
 * plan (../shared/reference/sandbox-internet.md), then queried with auth_answer() against the
 * db of each listen address, as a resolver walking root → TLD → hosted servers would.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include <cmocka.h>

#include "auth/answer.h"
#include "base/log.h"
#include "dns/name.h"
#include "registrar/sandbox.h"
#include "zone/db.h"
#include "zone/load.h"

/* ---- fixture ------------------------------------------------------------------------------ */

static struct sandbox_config C;
static struct zone_db *hosted;
static struct sandbox *sb;
static uint32_t t_before, t_after; /* the clock around sandbox_new */

static const char *const NAMES[SANDBOX_HOSTED] = {"ns-1.awsdns-01.com.", "ns-2.awsdns-02.net.",
						  "ns-3.awsdns-03.org.", "ns-4.awsdns-04.co.uk."};

static int setup(void **state)
{
	char err[256] = "";
	sandbox_config_default(&C, NAMES);
	hosted = zone_db_new();
	assert_non_null(hosted);
	t_before = (uint32_t)time(NULL);
	int r = sandbox_new(&C, hosted, &sb, err, sizeof(err));
	t_after = (uint32_t)time(NULL);
	if (r != 0)
		fail_msg("sandbox_new: %d %s", r, err);
	return 0;
}

static int teardown(void **state)
{
	sandbox_free(sb);
	sb = NULL;
	zone_db_free(hosted);
	hosted = NULL;
	return 0;
}

/* Replaces the fixture's sandbox (and hosted db) by one built from c; teardown frees it. */
static void rebuild(const struct sandbox_config *c)
{
	char err[256] = "";
	sandbox_free(sb);
	sb = NULL;
	zone_db_free(hosted);
	hosted = zone_db_new();
	assert_non_null(hosted);
	int r = sandbox_new(c, hosted, &sb, err, sizeof(err));
	if (r != 0)
		fail_msg("sandbox_new: %d %s", r, err);
}

static int group_setup(void **state)
{
	log_set_level(LOG_ERR);
	/* This thread answers like a DNS worker: a registered, online QSBR reader. */
	rcu_register_thread();
	return 0;
}

static int group_teardown(void **state)
{
	rcu_unregister_thread();
	return 0;
}

static const uint8_t *name(const char *text)
{
	static uint8_t bufs[8][DNS_NAME_MAXLEN];
	static int i;
	uint8_t *b = bufs[i++ % 8];
	if (dns_name_from_text(text, NULL, b) <= 0)
		fail_msg("bad name %s", text);
	return b;
}

/* The db that listen address `ip` answers from. */
static struct zone_db *db_at(const char *ip)
{
	const struct server_addr *a;
	struct zone_db *const *dbs;
	size_t n = sandbox_listeners(sb, 53, &a, &dbs);
	for (size_t i = 0; i < n; i++) {
		char buf[INET6_ADDRSTRLEN] = "";
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a[i].ss;
		if (a[i].ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof(buf));
		if (strcmp(buf, ip) == 0)
			return dbs[i];
	}
	fail_msg("no listener at %s", ip);
	return NULL;
}

/* ---- queries and responses ---------------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

enum { AN, NS, AR };

struct rr {
	uint8_t owner[DNS_NAME_MAXLEN];
	uint16_t type;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
	uint8_t target[DNS_NAME_MAXLEN]; /* NS, SOA MNAME */
};

#define MAX_RR 64
static struct {
	uint8_t buf[DNS_MSG_MAX];
	size_t len;
	uint16_t flags;
	uint16_t n[3];
	struct rr rr[3][MAX_RR];
} R;

static void read_name(size_t *pos, uint8_t *out)
{
	if (dns_name_unpack(R.buf, R.len, pos, out) <= 0)
		fail_msg("a name at offset %zu does not parse", *pos);
}

/* Asks `db` (qname, qtype) over UDP with EDNS 1232, parses the response into R. */
static void ask(struct zone_db *db, const char *qname, uint16_t qtype)
{
	uint8_t q[512];
	memset(q, 0, DNS_HEADER_SIZE);
	put16(q, 0x5b5b);
	put16(q + 4, 1);
	put16(q + 10, 1);
	size_t n = DNS_HEADER_SIZE;
	const uint8_t *w = name(qname);
	memcpy(q + n, w, dns_name_len(w));
	n += dns_name_len(w);
	put16(q + n, qtype);
	put16(q + n + 2, DNS_CLASS_IN);
	n += 4;
	q[n++] = 0;
	put16(q + n, DNS_T_OPT);
	put16(q + n + 2, 1232);
	memset(q + n + 4, 0, 6);
	n += 10;

	R.len = auth_answer(zone_db_get(db), q, n, R.buf, sizeof(R.buf), false);
	assert_true(R.len > DNS_HEADER_SIZE);
	assert_int_equal(get16(R.buf), 0x5b5b);
	R.flags = get16(R.buf + 2);
	assert_true(R.flags & DNS_F_QR);
	assert_false(R.flags & DNS_F_TC);
	assert_int_equal(get16(R.buf + 4), 1);
	size_t pos = DNS_HEADER_SIZE;
	uint8_t scratch[DNS_NAME_MAXLEN];
	read_name(&pos, scratch);
	pos += 4;
	for (int s = 0; s < 3; s++) {
		unsigned count = get16(R.buf + 6 + 2 * s);
		R.n[s] = 0;
		for (unsigned i = 0; i < count; i++) {
			struct rr rr = {0};
			read_name(&pos, rr.owner);
			assert_true(R.len - pos >= 10);
			rr.type = get16(R.buf + pos);
			rr.ttl = get32(R.buf + pos + 4);
			rr.rdlen = get16(R.buf + pos + 8);
			pos += 10;
			assert_true(R.len - pos >= rr.rdlen);
			rr.rdata = R.buf + pos;
			if (rr.type == DNS_T_NS || rr.type == DNS_T_SOA) {
				size_t p = pos;
				read_name(&p, rr.target);
			}
			pos += rr.rdlen;
			if (rr.type == DNS_T_OPT)
				continue;
			assert_true(R.n[s] < MAX_RR);
			R.rr[s][R.n[s]++] = rr;
		}
	}
	assert_int_equal(pos, R.len);
}

static int rcode(void)
{
	return R.flags & 0xf;
}

static bool aa(void)
{
	return (R.flags & DNS_F_AA) != 0;
}

/* Records in section s with this owner (NULL: any) and type (0: any). */
static int count(int s, const char *owner, uint16_t type)
{
	int c = 0;
	for (unsigned i = 0; i < R.n[s]; i++)
		if ((!owner || dns_name_equal(R.rr[s][i].owner, name(owner))) &&
		    (!type || R.rr[s][i].type == type))
			c++;
	return c;
}

static const struct rr *get(int s, const char *owner, uint16_t type)
{
	for (unsigned i = 0; i < R.n[s]; i++)
		if (dns_name_equal(R.rr[s][i].owner, name(owner)) && R.rr[s][i].type == type)
			return &R.rr[s][i];
	fail_msg("no record %s type %u in section %d", owner, type, s);
	return NULL;
}

/* Is there an NS record owner → target in section s? */
static bool has_ns(int s, const char *owner, const char *target)
{
	for (unsigned i = 0; i < R.n[s]; i++)
		if (R.rr[s][i].type == DNS_T_NS && dns_name_equal(R.rr[s][i].owner, name(owner)) &&
		    dns_name_equal(R.rr[s][i].target, name(target)))
			return true;
	return false;
}

/* Is there an A or AAAA record owner → address (text) in section s? */
static bool has_addr(int s, const char *owner, const char *addr)
{
	uint8_t want[16];
	int af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	uint16_t type = af == AF_INET ? DNS_T_A : DNS_T_AAAA;
	size_t len = af == AF_INET ? 4 : 16;
	assert_int_equal(inet_pton(af, addr, want), 1);
	for (unsigned i = 0; i < R.n[s]; i++)
		if (R.rr[s][i].type == type && dns_name_equal(R.rr[s][i].owner, name(owner)) &&
		    R.rr[s][i].rdlen == len && memcmp(R.rr[s][i].rdata, want, len) == 0)
			return true;
	return false;
}

/* The served SOA serial of `zone` in db. */
static uint32_t serial(struct zone_db *db, const char *zone)
{
	const struct zone_version *v = zone_db_zone(db, name(zone));
	assert_non_null(v);
	return zone_version_serial(v);
}

/* ---- the infrastructure zones ------------------------------------------------------------- */

/* The root refers www.example.com to com with both gTLD servers and their glue (§6.1). */
static void test_root_refers_to_com(void **state)
{
	ask(db_at("127.0.0.2"), "www.example.com.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_false(aa());
	assert_int_equal(R.n[AN], 0);
	assert_int_equal(count(NS, NULL, 0), 2);
	assert_true(has_ns(NS, "com.", "a.gtld-servers.net."));
	assert_true(has_ns(NS, "com.", "b.gtld-servers.net."));
	assert_int_equal(get(NS, "com.", DNS_T_NS)->ttl, 172800);
	assert_true(has_addr(AR, "a.gtld-servers.net.", "127.0.0.3"));
	assert_true(has_addr(AR, "b.gtld-servers.net.", "127.0.0.13"));
	assert_int_equal(count(AR, NULL, 0), 2);
	/* The second root server answers from the same zones. */
	assert_ptr_equal(db_at("127.0.0.12"), db_at("127.0.0.2"));
}

/* Priming (RFC 8109): ". NS" gives the root servers with their addresses. */
static void test_root_priming(void **state)
{
	ask(db_at("127.0.0.2"), ".", DNS_T_NS);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_true(aa());
	assert_int_equal(count(AN, ".", DNS_T_NS), 2);
	assert_true(has_ns(AN, ".", "a.root-servers.net."));
	assert_true(has_ns(AN, ".", "b.root-servers.net."));
	assert_int_equal(get(AN, ".", DNS_T_NS)->ttl, 518400);
	/* The root zone holds their addresses (required glue, below the net cut) ... */
	const struct zone_version *root = zone_db_zone(db_at("127.0.0.2"), name("."));
	assert_non_null(root);
	const struct zone_node *glue = zone_version_get(root, name("b.root-servers.net."));
	assert_non_null(glue);
	assert_non_null(zone_node_rrset(glue, DNS_T_A));
	assert_int_equal(zone_node_rrset(glue, DNS_T_A)->ttl, 518400);
	/*
	 * ... but auth_answer takes the additional addresses of an authoritative answer only
	 * from authoritative data, so today's priming response carries none (NSD and BIND add
	 * glue to NS answers); the same address answers them from root-servers.net.
	 */
	ask(db_at("127.0.0.12"), "b.root-servers.net.", DNS_T_A);
	assert_true(aa());
	assert_true(has_addr(AN, "b.root-servers.net.", "127.0.0.12"));
}

/* Every TLD is delegated from the root, with glue for its servers. */
static void test_root_delegates_every_tld(void **state)
{
	static const struct {
		const char *tld, *ns, *addr;
	} want[] = {
		{"net.", "a.gtld-servers.net.", "127.0.0.3"},
		{"org.", "a.nic.org.", "127.0.0.8"},
		{"uk.", "a.nic.uk.", "127.0.0.9"},
		{"internal.", "a.nic.internal.", "127.0.0.10"},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char q[64];
		snprintf(q, sizeof(q), "x.%s", want[i].tld);
		ask(db_at("127.0.0.2"), q, DNS_T_A);
		assert_false(aa());
		assert_true(has_ns(NS, want[i].tld, want[i].ns));
		assert_true(has_addr(AR, want[i].ns, want[i].addr));
	}
	/* A TLD that is not there: NXDOMAIN with the root's SOA (negative TTL 86400). */
	ask(db_at("127.0.0.2"), "example.nope.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NXDOMAIN);
	assert_true(aa());
	const struct rr *soa = get(NS, ".", DNS_T_SOA);
	assert_int_equal(soa->ttl, 86400);
	assert_true(dns_name_equal(soa->target, name("a.root-servers.net.")));
}

/* Serials start at the clock, so a restart never goes backwards. */
static void test_serials_start_at_the_clock(void **state)
{
	uint32_t s = serial(db_at("127.0.0.2"), ".");
	assert_true(s >= t_before && s <= t_after);
	s = serial(db_at("127.0.0.3"), "com.");
	assert_true(s >= t_before && s <= t_after);
	s = serial(hosted, "awsdns-01.com.");
	assert_true(s >= t_before && s <= t_after);
}

/* root-servers.net: served by the root servers, delegated from net with glue. */
static void test_root_servers_net(void **state)
{
	ask(db_at("127.0.0.2"), "a.root-servers.net.", DNS_T_A);
	assert_true(aa());
	assert_true(has_addr(AN, "a.root-servers.net.", "127.0.0.2"));
	assert_int_equal(get(AN, "a.root-servers.net.", DNS_T_A)->ttl, 3600000);
	ask(db_at("127.0.0.2"), "root-servers.net.", DNS_T_SOA);
	assert_true(aa());
	assert_int_equal(get(AN, "root-servers.net.", DNS_T_SOA)->ttl, 3600000);

	ask(db_at("127.0.0.3"), "b.root-servers.net.", DNS_T_A);
	assert_false(aa());
	assert_true(has_ns(NS, "root-servers.net.", "a.root-servers.net."));
	assert_true(has_ns(NS, "root-servers.net.", "b.root-servers.net."));
	assert_true(has_addr(AR, "a.root-servers.net.", "127.0.0.2"));
	assert_true(has_addr(AR, "b.root-servers.net.", "127.0.0.12"));
}

/* The com/net servers answer their own names from gtld-servers.net, which net delegates. */
static void test_gtld_servers(void **state)
{
	struct zone_db *db = db_at("127.0.0.3");
	assert_ptr_equal(db_at("127.0.0.13"), db);
	ask(db, "a.gtld-servers.net.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_true(aa());
	assert_int_equal(count(AN, NULL, 0), 1);
	assert_true(has_addr(AN, "a.gtld-servers.net.", "127.0.0.3"));
	assert_true(has_ns(NS, "gtld-servers.net.", "b.gtld-servers.net.") ||
		    R.n[NS] == 0); /* authority NS is optional */
	ask(db, "gtld-servers.net.", DNS_T_SOA);
	assert_true(aa());
	assert_true(dns_name_equal(get(AN, "gtld-servers.net.", DNS_T_SOA)->target,
				   name("a.gtld-servers.net.")));
	/* net's view of it: the delegation with glue. */
	const struct zone_version *net = zone_db_zone(db, name("net."));
	assert_non_null(net);
	const struct zone_node *cut = zone_version_get(net, name("gtld-servers.net."));
	assert_non_null(cut);
	assert_non_null(zone_node_rrset(cut, DNS_T_NS));
	const struct zone_node *glue = zone_version_get(net, name("b.gtld-servers.net."));
	assert_non_null(glue);
	assert_non_null(zone_node_rrset(glue, DNS_T_A));
	/* com and net apex NS: both gTLD servers, TTL 172800. */
	ask(db, "com.", DNS_T_NS);
	assert_true(aa());
	assert_int_equal(count(AN, "com.", DNS_T_NS), 2);
	assert_int_equal(get(AN, "com.", DNS_T_NS)->ttl, 172800);
	ask(db, "net.", DNS_T_NS);
	assert_true(has_ns(AN, "net.", "a.gtld-servers.net."));
}

/* The hosted name servers: delegated from their TLDs with glue, answered by the hosted db. */
static void test_hosted_name_servers(void **state)
{
	ask(db_at("127.0.0.3"), "ns-1.awsdns-01.com.", DNS_T_A);
	assert_false(aa());
	assert_int_equal(R.n[AN], 0);
	assert_true(has_ns(NS, "awsdns-01.com.", "ns-1.awsdns-01.com."));
	assert_true(has_addr(AR, "ns-1.awsdns-01.com.", "127.0.0.4"));

	ask(hosted, "ns-1.awsdns-01.com.", DNS_T_A);
	assert_true(aa());
	assert_true(has_addr(AN, "ns-1.awsdns-01.com.", "127.0.0.4"));
	assert_int_equal(get(AN, "ns-1.awsdns-01.com.", DNS_T_A)->ttl, 172800);

	static const struct {
		const char *tld_ip, *ns, *zone, *addr;
	} want[] = {
		{"127.0.0.13", "ns-2.awsdns-02.net.", "awsdns-02.net.", "127.0.0.5"},
		{"127.0.0.8", "ns-3.awsdns-03.org.", "awsdns-03.org.", "127.0.0.6"},
		{"127.0.0.9", "ns-4.awsdns-04.co.uk.", "awsdns-04.co.uk.", "127.0.0.7"},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ask(db_at(want[i].tld_ip), want[i].ns, DNS_T_A);
		assert_false(aa());
		assert_true(has_ns(NS, want[i].zone, want[i].ns));
		assert_true(has_addr(AR, want[i].ns, want[i].addr));
		ask(hosted, want[i].ns, DNS_T_A);
		assert_true(aa());
		assert_true(has_addr(AN, want[i].ns, want[i].addr));
		/* Route 53's SOA for the NS-host zone: TTL 900, hostmaster at the zone. */
		ask(hosted, want[i].zone, DNS_T_SOA);
		const struct rr *soa = get(AN, want[i].zone, DNS_T_SOA);
		assert_int_equal(soa->ttl, 900);
		assert_true(dns_name_equal(soa->target, name(want[i].ns)));
	}
	/* Every hosted address answers from the caller's hosted db. */
	assert_ptr_equal(db_at("127.0.0.4"), hosted);
	assert_ptr_equal(db_at("127.0.0.7"), hosted);
	/* No co.uk cut: uk answers for co.uk itself (an empty non-terminal, NODATA). */
	ask(db_at("127.0.0.9"), "co.uk.", DNS_T_NS);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_true(aa());
	assert_int_equal(R.n[AN], 0);
	assert_int_equal(count(NS, "uk.", DNS_T_SOA), 1);
}

/* sandbox_new adds to the hosted db: the customer's zones stay, a clash is replaced. */
static void test_hosted_db_shared(void **state)
{
	static const char example[] = "$TTL 300\n"
				      "@ SOA ns-1.awsdns-01.com. hm 1 7200 900 1209600 86400\n"
				      "@ NS ns-1.awsdns-01.com.\n"
				      "www A 192.0.2.10\n";
	static const char clash[] = "$TTL 300\n"
				    "@ SOA ns hm 1 7200 900 1209600 86400\n"
				    "@ NS ns\n"
				    "ns-1 A 192.0.2.99\n";
	struct zone_db *h = zone_db_new();
	assert_non_null(h);
	char err[256] = "";
	struct zone_version *v;
	assert_int_equal(zone_load_string(example, strlen(example), "example.com.",
					  name("example.com."), &v, err, sizeof(err)),
			 0);
	assert_int_equal(zone_db_publish(h, v, true), 0);
	assert_int_equal(zone_load_string(clash, strlen(clash), "awsdns-01.com.",
					  name("awsdns-01.com."), &v, err, sizeof(err)),
			 0);
	assert_int_equal(zone_db_publish(h, v, true), 0);
	struct sandbox *s;
	assert_int_equal(sandbox_new(&C, h, &s, err, sizeof(err)), 0);
	ask(h, "www.example.com.", DNS_T_A);
	assert_true(aa());
	assert_true(has_addr(AN, "www.example.com.", "192.0.2.10"));
	ask(h, "ns-1.awsdns-01.com.", DNS_T_A);
	assert_true(aa());
	assert_true(has_addr(AN, "ns-1.awsdns-01.com.", "127.0.0.4"));
	assert_int_equal(count(AN, NULL, 0), 1);
	assert_int_equal(zone_db_get(h)->count, 5);
	/* Freeing the sandbox leaves the hosted db to its owner. */
	sandbox_free(s);
	ask(h, "ns-2.awsdns-02.net.", DNS_T_A);
	assert_true(has_addr(AN, "ns-2.awsdns-02.net.", "127.0.0.5"));
	zone_db_free(h);
}

/* Names of TLD servers directly under their TLD are data of the TLD zone. */
static void test_nic_names(void **state)
{
	ask(db_at("127.0.0.8"), "a.nic.org.", DNS_T_A);
	assert_true(aa());
	assert_true(has_addr(AN, "a.nic.org.", "127.0.0.8"));
	assert_int_equal(get(AN, "a.nic.org.", DNS_T_A)->ttl, 86400);
	/* As in the reference's org zone: no nic.org cut, the name is org's own data. */
	assert_null(zone_db_zone(db_at("127.0.0.8"), name("nic.org.")));
	const struct zone_version *org = zone_db_zone(db_at("127.0.0.8"), name("org."));
	assert_null(zone_node_rrset(zone_version_get(org, name("nic.org.")), DNS_T_NS));
	ask(db_at("127.0.0.10"), "a.nic.internal.", DNS_T_A);
	assert_true(aa());
	assert_true(has_addr(AN, "a.nic.internal.", "127.0.0.10"));
	/* One address, one TLD: org's server does not answer for uk. */
	ask(db_at("127.0.0.8"), "a.nic.uk.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_REFUSED);
}

/* Negative TTLs are min(SOA TTL, MINIMUM) of each registry (§3.2, appendix A). */
static void test_tld_negative_ttls(void **state)
{
	static const struct {
		const char *ip, *qname, *zone, *mname;
		uint32_t ttl;
	} want[] = {
		{"127.0.0.3", "nothere.com.", "com.", "a.gtld-servers.net.", 900},
		{"127.0.0.3", "nothere.net.", "net.", "a.gtld-servers.net.", 900},
		{"127.0.0.8", "nothere.org.", "org.", "a.nic.org.", 3600},
		{"127.0.0.9", "nothere.co.uk.", "uk.", "a.nic.uk.", 10800},
		{"127.0.0.10", "nothere.internal.", "internal.", "a.nic.internal.", 60},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ask(db_at(want[i].ip), want[i].qname, DNS_T_A);
		assert_int_equal(rcode(), DNS_RC_NXDOMAIN);
		assert_true(aa());
		const struct rr *soa = get(NS, want[i].zone, DNS_T_SOA);
		assert_int_equal(soa->ttl, want[i].ttl);
		assert_true(dns_name_equal(soa->target, name(want[i].mname)));
	}
}

/* ---- delegations -------------------------------------------------------------------------- */

static struct sandbox_ns default_ns[4];

static const struct sandbox_ns *hosted_set(void)
{
	for (int i = 0; i < 4; i++) {
		memset(&default_ns[i], 0, sizeof(default_ns[i]));
		snprintf(default_ns[i].name, sizeof(default_ns[i].name), "%s", NAMES[i]);
	}
	return default_ns;
}

static void delegate_ok(const char *domain, const struct sandbox_ns *ns, size_t n)
{
	char err[256] = "";
	int r = sandbox_delegate(sb, domain, ns, n, err, sizeof(err));
	if (r != 0)
		fail_msg("sandbox_delegate(%s): %d %s", domain, r, err);
}

static void delegate_fails(const char *domain, const struct sandbox_ns *ns, size_t n,
			   const char *why)
{
	char err[256] = "";
	uint32_t before = serial(db_at("127.0.0.3"), "com.");
	int r = sandbox_delegate(sb, domain, ns, n, err, sizeof(err));
	if (r != -EINVAL)
		fail_msg("sandbox_delegate(%s) returned %d, not -EINVAL", domain, r);
	if (!strstr(err, why))
		fail_msg("sandbox_delegate(%s): \"%s\" does not say \"%s\"", domain, err, why);
	assert_int_equal(serial(db_at("127.0.0.3"), "com."), before);
}

/* Registering with the hosted set: the NS RRset, sibling glue for ns-1 only (§4.1). */
static void test_delegate_hosted_set(void **state)
{
	struct zone_db *com = db_at("127.0.0.3");
	uint32_t s0 = serial(com, "com.");
	ask(com, "www.example.com.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NXDOMAIN);

	delegate_ok("example.com.", hosted_set(), 4);
	assert_int_equal(serial(com, "com."), s0 + 1);
	ask(com, "www.example.com.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_false(aa());
	assert_int_equal(count(NS, "example.com.", DNS_T_NS), 4);
	for (int i = 0; i < 4; i++)
		assert_true(has_ns(NS, "example.com.", NAMES[i]));
	assert_int_equal(get(NS, "example.com.", DNS_T_NS)->ttl, 172800);
	assert_true(has_addr(AR, "ns-1.awsdns-01.com.", "127.0.0.4"));
	assert_int_equal(count(AR, NULL, 0), 1);
	/* The second com server sees it too (same zone set), and net is untouched. */
	ask(db_at("127.0.0.13"), "example.com.", DNS_T_NS);
	assert_int_equal(count(NS, "example.com.", DNS_T_NS), 4);
	ask(com, "example.net.", DNS_T_NS);
	assert_int_equal(rcode(), DNS_RC_NXDOMAIN);

	/* Setting the same delegation again is one more serial, same data. */
	delegate_ok("example.com.", hosted_set(), 4);
	assert_int_equal(serial(com, "com."), s0 + 2);
	ask(com, "example.com.", DNS_T_NS);
	assert_int_equal(count(NS, "example.com.", DNS_T_NS), 4);

	/* Other TLDs: delegation TTL is the registry's (internal: 3600). */
	delegate_ok("app.internal.", hosted_set(), 2);
	ask(db_at("127.0.0.10"), "www.app.internal.", DNS_T_A);
	assert_false(aa());
	assert_int_equal(count(NS, "app.internal.", DNS_T_NS), 2);
	assert_int_equal(get(NS, "app.internal.", DNS_T_NS)->ttl, 3600);
}

/* Vanity name servers get glue; a replacement without them drops it (§4.1 step 3). */
static void test_delegate_vanity_glue(void **state)
{
	struct zone_db *com = db_at("127.0.0.3");
	struct sandbox_ns ns[3] = {0};
	snprintf(ns[0].name, sizeof(ns[0].name), "ns1.example.com.");
	snprintf(ns[0].glue[0], sizeof(ns[0].glue[0]), "192.0.2.1");
	snprintf(ns[0].glue[1], sizeof(ns[0].glue[1]), "2001:db8::1");
	ns[0].nglue = 2;
	snprintf(ns[1].name, sizeof(ns[1].name), "ns2.sub.example.com.");
	snprintf(ns[1].glue[0], sizeof(ns[1].glue[0]), "192.0.2.2");
	ns[1].nglue = 1;
	snprintf(ns[2].name, sizeof(ns[2].name), "ns-2.awsdns-02.net.");
	delegate_ok("example.com.", ns, 3);

	ask(com, "www.example.com.", DNS_T_A);
	assert_false(aa());
	assert_int_equal(count(NS, "example.com.", DNS_T_NS), 3);
	assert_true(has_addr(AR, "ns1.example.com.", "192.0.2.1"));
	assert_true(has_addr(AR, "ns1.example.com.", "2001:db8::1"));
	assert_true(has_addr(AR, "ns2.sub.example.com.", "192.0.2.2"));
	assert_int_equal(count(AR, NULL, 0), 3);

	/* Replaced by the hosted set: the glue goes with the old delegation. */
	delegate_ok("example.com.", hosted_set(), 4);
	const struct zone_version *v = zone_db_zone(com, name("com."));
	assert_null(zone_version_get(v, name("ns1.example.com.")));
	assert_null(zone_version_get(v, name("ns2.sub.example.com.")));
	assert_null(zone_version_get(v, name("sub.example.com.")));
	ask(com, "ns1.example.com.", DNS_T_A);
	assert_false(aa());
	assert_int_equal(count(NS, "example.com.", DNS_T_NS), 4);
	assert_false(has_addr(AR, "ns1.example.com.", "192.0.2.1"));
	assert_int_equal(count(AR, NULL, 0), 1); /* ns-1's sibling glue only */
}

/* n == 0 removes the delegation and its glue: NXDOMAIN from com at once (§4.2). */
static void test_undelegate(void **state)
{
	struct zone_db *com = db_at("127.0.0.3");
	struct sandbox_ns ns = {.nglue = 1};
	snprintf(ns.name, sizeof(ns.name), "ns1.example.com.");
	snprintf(ns.glue[0], sizeof(ns.glue[0]), "192.0.2.1");
	delegate_ok("example.com.", &ns, 1);
	uint32_t s0 = serial(com, "com.");

	delegate_ok("example.com.", NULL, 0);
	assert_int_equal(serial(com, "com."), s0 + 1);
	ask(com, "www.example.com.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NXDOMAIN);
	assert_true(aa());
	assert_int_equal(get(NS, "com.", DNS_T_SOA)->ttl, 900);
	const struct zone_version *v = zone_db_zone(com, name("com."));
	assert_null(zone_version_get(v, name("example.com.")));
	assert_null(zone_version_get(v, name("ns1.example.com.")));
	/* The infrastructure is still there. */
	ask(com, "ns-1.awsdns-01.com.", DNS_T_A);
	assert_true(has_addr(AR, "ns-1.awsdns-01.com.", "127.0.0.4"));

	/* Removing what is not delegated is harmless. */
	delegate_ok("example.com.", NULL, 0);
	ask(com, "example.com.", DNS_T_NS);
	assert_int_equal(rcode(), DNS_RC_NXDOMAIN);
}

/* A domain below co.uk lives in the uk zone: there is no co.uk cut. */
static void test_delegate_under_co_uk(void **state)
{
	assert_string_equal(sandbox_tld_of(sb, "shop.co.uk."), "uk.");
	delegate_ok("shop.co.uk.", hosted_set(), 4);
	ask(db_at("127.0.0.9"), "www.shop.co.uk.", DNS_T_A);
	assert_false(aa());
	assert_int_equal(count(NS, "shop.co.uk.", DNS_T_NS), 4);
	/* Sibling glue in uk: ns-4.awsdns-04.co.uk. */
	assert_true(has_addr(AR, "ns-4.awsdns-04.co.uk.", "127.0.0.7"));
	assert_int_equal(count(AR, NULL, 0), 1);
	delegate_ok("example.uk.", hosted_set(), 4);
	ask(db_at("127.0.0.9"), "example.uk.", DNS_T_NS);
	assert_int_equal(count(NS, "example.uk.", DNS_T_NS), 4);
}

static void test_delegate_refusals(void **state)
{
	struct sandbox_ns ns = {0};
	snprintf(ns.name, sizeof(ns.name), "ns1.example.com.");
	delegate_fails("example.com.", &ns, 1, "needs glue");
	snprintf(ns.name, sizeof(ns.name), "ns.example.net.");
	snprintf(ns.glue[0], sizeof(ns.glue[0]), "192.0.2.1");
	ns.nglue = 1;
	delegate_fails("example.com.", &ns, 1, "glue is only for");
	snprintf(ns.name, sizeof(ns.name), "ns1.example.com.");
	snprintf(ns.glue[0], sizeof(ns.glue[0]), "192.0.2.300");
	delegate_fails("example.com.", &ns, 1, "not an IPv4 or IPv6 address");
	ns.nglue = 5;
	delegate_fails("example.com.", &ns, 1, "more than 4");
	snprintf(ns.name, sizeof(ns.name), "bad..name");
	ns.nglue = 0;
	delegate_fails("example.com.", &ns, 1, "not a name server host name");

	delegate_fails("example.nope.", hosted_set(), 4, "not below a TLD");
	delegate_fails("com.", hosted_set(), 4, "not below a TLD");
	delegate_fails(".", hosted_set(), 4, "not below a TLD");
	delegate_fails("exa..mple.com.", hosted_set(), 4, "not a domain name");
	/* The sandbox's own names cannot be registered over. */
	delegate_fails("awsdns-01.com.", hosted_set(), 4, "reserved");
	delegate_fails("gtld-servers.net.", hosted_set(), 4, "reserved");
	delegate_fails("root-servers.net.", hosted_set(), 4, "reserved");
	delegate_fails("nic.org.", hosted_set(), 4, "reserved");
	delegate_fails("co.uk.", hosted_set(), 4, "reserved");
	delegate_fails("x.awsdns-01.com.", hosted_set(), 4, "inside the delegated domain");

	/* Nested delegations hide one another. */
	delegate_ok("example.com.", hosted_set(), 4);
	delegate_fails("sub.example.com.", hosted_set(), 4, "inside the delegated domain");
	delegate_ok("a.b.com.", hosted_set(), 4);
	delegate_fails("b.com.", hosted_set(), 4, "other delegations below it");
	/* A refusal changed nothing. */
	ask(db_at("127.0.0.3"), "www.example.com.", DNS_T_A);
	assert_int_equal(count(NS, "example.com.", DNS_T_NS), 4);
}

static void test_tld_of(void **state)
{
	assert_string_equal(sandbox_tld_of(sb, "example.com."), "com.");
	assert_string_equal(sandbox_tld_of(sb, "Example.COM"), "com.");
	assert_string_equal(sandbox_tld_of(sb, "www.example.net."), "net.");
	assert_string_equal(sandbox_tld_of(sb, "shop.co.uk."), "uk.");
	assert_string_equal(sandbox_tld_of(sb, "app.internal."), "internal.");
	assert_null(sandbox_tld_of(sb, "com."));
	assert_null(sandbox_tld_of(sb, "."));
	assert_null(sandbox_tld_of(sb, "example.nope."));
	assert_null(sandbox_tld_of(sb, "bad..name."));
	assert_null(sandbox_tld_of(sb, NULL));
}

/* ---- configuration ------------------------------------------------------------------------ */

static void line_ok(struct sandbox_config *c, const char *kw, const char *rest)
{
	char err[256] = "";
	int r = sandbox_config_line(c, kw, rest, err, sizeof(err));
	if (r != 0)
		fail_msg("%s %s: %d %s", kw, rest, r, err);
}

static void line_fails(const char *kw, const char *rest, const char *why)
{
	struct sandbox_config c, before;
	char err[256] = "";
	sandbox_config_default(&c, NAMES);
	before = c;
	int r = sandbox_config_line(&c, kw, rest, err, sizeof(err));
	if (r != -EINVAL)
		fail_msg("%s %s: %d, not -EINVAL", kw, rest, r);
	if (!strstr(err, why))
		fail_msg("%s %s: \"%s\" does not say \"%s\"", kw, rest, err, why);
	assert_memory_equal(&c, &before, sizeof(c));
}

static bool addr_is(const struct server_addr *a, const char *text)
{
	char buf[INET6_ADDRSTRLEN] = "";
	const void *p = a->ss.ss_family == AF_INET
				? (const void *)&((const struct sockaddr_in *)&a->ss)->sin_addr
				: (const void *)&((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
	inet_ntop(a->ss.ss_family, p, buf, sizeof(buf));
	return strcmp(buf, text) == 0;
}

static void test_config_default(void **state)
{
	struct sandbox_config c;
	sandbox_config_default(&c, NULL);
	assert_int_equal(c.nroot, 2);
	assert_string_equal(c.root[0].name, "a.root-servers.net.");
	assert_true(addr_is(&c.root[1].addr, "127.0.0.12"));
	assert_int_equal(c.ntlds, 5);
	assert_string_equal(c.tlds[0].name, "com.");
	assert_string_equal(c.tlds[4].name, "internal.");
	assert_string_equal(c.hosted[3].name, "ns-4.awsdns-04.co.uk.");
	assert_true(addr_is(&c.hosted[3].addr, "127.0.0.7"));
	assert_int_equal(c.port, SANDBOX_DEFAULT_PORT);
	const char *const mine[4] = {"NS-1.Example-DNS.com", "ns-2.example-dns.net.",
				     "ns-3.example-dns.org.", "ns-4.example-dns.co.uk."};
	sandbox_config_default(&c, mine);
	assert_string_equal(c.hosted[0].name, "ns-1.example-dns.com.");
	char err[256] = "";
	assert_int_equal(sandbox_config_check(&c, err, sizeof(err)), 0);
}

static void test_config_lines(void **state)
{
	struct sandbox_config c;
	sandbox_config_default(&c, NAMES);
	line_ok(&c, "sandbox-root", "a.root-servers.net=127.0.0.22  b.root-servers.net=[::1]");
	assert_int_equal(c.nroot, 2);
	assert_true(addr_is(&c.root[0].addr, "127.0.0.22"));
	assert_true(addr_is(&c.root[1].addr, "::1"));
	line_ok(&c, "sandbox-tld", "Shop A.NIC.shop=127.0.0.30");
	assert_int_equal(c.ntlds, 6);
	assert_string_equal(c.tlds[5].name, "shop.");
	assert_string_equal(c.tlds[5].servers[0].name, "a.nic.shop.");
	line_ok(&c, "sandbox-tld", "org. a.nic.org=127.0.0.31\tb.nic.org=127.0.0.32");
	assert_int_equal(c.ntlds, 6);
	assert_string_equal(c.tlds[2].name, "org.");
	assert_int_equal(c.tlds[2].nservers, 2);
	assert_true(addr_is(&c.tlds[2].servers[1].addr, "127.0.0.32"));
	line_ok(&c, "sandbox-tld-remove", "internal");
	assert_int_equal(c.ntlds, 5);
	assert_string_equal(c.tlds[4].name, "shop.");
	line_ok(&c, "sandbox-hosted", "127.0.0.40 127.0.0.41 [::2] 127.0.0.43");
	assert_true(addr_is(&c.hosted[0].addr, "127.0.0.40"));
	assert_true(addr_is(&c.hosted[2].addr, "::2"));
	assert_string_equal(c.hosted[2].name, NAMES[2]);
	line_ok(&c, "sandbox-port", "5353");
	assert_int_equal(c.port, 5353);
	char err[256] = "";
	assert_int_equal(sandbox_config_check(&c, err, sizeof(err)), 0);

	line_fails("sandbox-nope", "x", "unknown keyword");
	line_fails("sandbox-root", "", "at least one");
	line_fails("sandbox-root", "a.root-servers.net", "NAME=ADDR");
	line_fails("sandbox-root", "a.root-servers.net=localhost", "not a numeric");
	line_fails("sandbox-root", "a.root-servers.net=127.0.0.2:53", "not a numeric");
	line_fails("sandbox-root", "a..root=127.0.0.2", "not a host name");
	line_fails("sandbox-root",
		   "a=1.1.1.1 b=1.1.1.2 c=1.1.1.3 d=1.1.1.4 e=1.1.1.5 f=1.1.1.6 "
		   "g=1.1.1.7 h=1.1.1.8 i=1.1.1.9",
		   "more than 8");
	line_fails("sandbox-tld", "", "expected a TLD");
	line_fails("sandbox-tld", "co.uk a.nic.uk=127.0.0.9", "one label");
	line_fails("sandbox-tld", "shop", "at least one");
	line_fails("sandbox-tld-remove", "nope", "no TLD nope.");
	line_fails("sandbox-tld-remove", "com net", "expected one TLD");
	line_fails("sandbox-hosted", "127.0.0.4 127.0.0.5 127.0.0.6", "got 3");
	line_fails("sandbox-hosted", "127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.7 127.0.0.8", "more");
	line_fails("sandbox-hosted", "127.0.0.4 127.0.0.5 127.0.0.6 ::zz", "not a numeric");
	line_fails("sandbox-port", "0", "not a port");
	line_fails("sandbox-port", "65536", "not a port");
	line_fails("sandbox-port", "-1", "not a port");
	line_fails("sandbox-port", "53x", "not a port");
	line_fails("sandbox-port", "", "not a port");

	/* 32 TLDs at most. */
	sandbox_config_default(&c, NAMES);
	for (int i = (int)c.ntlds; i < SANDBOX_MAX_TLDS; i++) {
		char rest[64];
		snprintf(rest, sizeof(rest), "t%d a.nic.t%d=127.0.1.%d", i, i, i);
		line_ok(&c, "sandbox-tld", rest);
	}
	assert_int_equal(sandbox_config_line(&c, "sandbox-tld", "full a.nic.full=127.0.2.1", err,
					     sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "more than 32"));
	line_ok(&c, "sandbox-tld", "com a.gtld-servers.net=127.0.0.3"); /* replacing still works */
}

static void check_fails(const char *kw, const char *rest, const char *why)
{
	struct sandbox_config c;
	char err[256] = "";
	sandbox_config_default(&c, NAMES);
	if (kw)
		line_ok(&c, kw, rest);
	int r = sandbox_config_check(&c, err, sizeof(err));
	if (r != -EINVAL)
		fail_msg("check after %s %s: %d, not -EINVAL", kw, rest, r);
	if (!strstr(err, why))
		fail_msg("check after %s %s: \"%s\" does not say \"%s\"", kw, rest, err, why);
	/* sandbox_new refuses the same configuration. */
	struct sandbox *s = NULL;
	struct zone_db *h = zone_db_new();
	assert_non_null(h);
	assert_int_equal(sandbox_new(&c, h, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_int_equal(zone_db_get(h)->count, 0);
	zone_db_free(h);
}

static void test_config_check(void **state)
{
	char err[256] = "";
	struct sandbox_config c;
	sandbox_config_default(&c, NAMES);
	assert_int_equal(sandbox_config_check(&c, err, sizeof(err)), 0);

	/* Parent and child on one address. */
	check_fails("sandbox-tld", "com a.gtld-servers.net=127.0.0.2", "127.0.0.2 serves both");
	check_fails("sandbox-hosted", "127.0.0.3 127.0.0.5 127.0.0.6 127.0.0.7",
		    "127.0.0.3 serves both");
	check_fails("sandbox-hosted", "127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.12",
		    "127.0.0.12 serves both");
	/* Names. */
	check_fails("sandbox-tld", "shop a.nic.example=127.0.0.30", "not below a TLD");
	check_fails("sandbox-root", "a.root-servers.nope=127.0.0.2", "not below a TLD");
	check_fails("sandbox-tld-remove", "uk",
		    "ns-4.awsdns-04.co.uk. of the hosted name servers "
		    "is not below a TLD");
	check_fails("sandbox-root", "a.root-servers.net=127.0.0.2 a.x.root-servers.net=127.0.0.12",
		    "not directly below");
	check_fails("sandbox-tld", "org a.awsdns-03.org=127.0.0.8",
		    "holds a hosted name server and a server of another role");
	/* Server names below their own TLD need no zone of their own, at any depth. */
	line_ok(&c, "sandbox-tld", "org a.b.nic.org=127.0.0.8 c.nic.org=127.0.0.8");
	assert_int_equal(sandbox_config_check(&c, err, sizeof(err)), 0);
	check_fails("sandbox-tld",
		    "net a.gtld-servers.net=127.0.0.14 b.gtld-servers.net=127.0.0.13",
		    "different addresses");
	/* Counts. */
	sandbox_config_default(&c, NAMES);
	c.nroot = 0;
	assert_int_equal(sandbox_config_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "root servers"));
	sandbox_config_default(&c, NAMES);
	c.ntlds = 0;
	assert_int_equal(sandbox_config_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "TLDs"));
	sandbox_config_default(&c, NAMES);
	snprintf(c.tlds[3].name, sizeof(c.tlds[3].name), "co.uk.");
	assert_int_equal(sandbox_config_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a single label"));
	sandbox_config_default(&c, NAMES);
	snprintf(c.tlds[1].name, sizeof(c.tlds[1].name), "com.");
	assert_int_equal(sandbox_config_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "twice"));
	sandbox_config_default(&c, NAMES);
	c.tlds[2].nservers = 0;
	assert_int_equal(sandbox_config_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "needs 1 to 8 servers"));
	const char *const bad[4] = {"ns-1.awsdns-01.com.", "not a name!", NULL, NULL};
	sandbox_config_default(&c, bad);
	assert_int_equal(sandbox_config_check(&c, err, sizeof(err)), -EINVAL);
}

/* Two TLDs served by one address share a db; an IPv6 server gets AAAA glue. */
static void test_custom_plan(void **state)
{
	struct sandbox_config c;
	sandbox_config_default(&c, NAMES);
	line_ok(&c, "sandbox-tld", "shop a.nic.shop=[fd00::53] b.nic.shop=127.0.0.8");
	rebuild(&c);
	/* 127.0.0.8 now serves org and shop; 127.0.0.9 only uk. */
	struct zone_db *org = db_at("127.0.0.8");
	assert_non_null(zone_db_zone(org, name("org.")));
	assert_non_null(zone_db_zone(org, name("shop.")));
	assert_null(zone_db_zone(org, name("uk.")));
	ask(db_at("127.0.0.2"), "example.shop.", DNS_T_A);
	assert_true(has_ns(NS, "shop.", "a.nic.shop."));
	assert_true(has_addr(AR, "a.nic.shop.", "fd00::53"));
	assert_true(has_addr(AR, "b.nic.shop.", "127.0.0.8"));
	/* A TLD without values of its own gets com's (negative TTL 900). */
	ask(org, "nothere.shop.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NXDOMAIN);
	assert_int_equal(get(NS, "shop.", DNS_T_SOA)->ttl, 900);
	delegate_ok("example.shop.", hosted_set(), 4);
	ask(org, "example.shop.", DNS_T_NS);
	assert_int_equal(count(NS, "example.shop.", DNS_T_NS), 4);
}

/* net on two zone sets ({com, net} on .3/.13, {net} alone on .14): a delegation goes to both. */
static void test_tld_on_two_zone_sets(void **state)
{
	struct sandbox_config c;
	char err[256] = "";
	sandbox_config_default(&c, NAMES);
	line_ok(&c, "sandbox-tld",
		"net a.gtld-servers.net=127.0.0.3 b.gtld-servers.net=127.0.0.13 "
		"c.gtld-servers.net=127.0.0.14");
	rebuild(&c);
	struct zone_db *both = db_at("127.0.0.3"), *net = db_at("127.0.0.14");
	assert_true(both != net);
	assert_null(zone_db_zone(net, name("com.")));
	assert_non_null(zone_db_zone(net, name("gtld-servers.net.")));
	uint32_t s_both = serial(both, "net."), s_net = serial(net, "net.");

	delegate_ok("example.net.", hosted_set(), 4);
	assert_int_equal(serial(both, "net."), s_both + 1);
	assert_int_equal(serial(net, "net."), s_net + 1);
	for (int i = 0; i < 2; i++) {
		ask(i ? net : both, "www.example.net.", DNS_T_A);
		assert_false(aa());
		assert_int_equal(count(NS, "example.net.", DNS_T_NS), 4);
		assert_true(has_addr(AR, "ns-2.awsdns-02.net.", "127.0.0.5"));
	}
	/* A refusal changes neither copy. */
	assert_int_equal(
		sandbox_delegate(sb, "sub.example.net.", hosted_set(), 4, err, sizeof(err)),
		-EINVAL);
	assert_int_equal(serial(both, "net."), s_both + 1);
	assert_int_equal(serial(net, "net."), s_net + 1);
	delegate_ok("example.net.", NULL, 0);
	ask(net, "www.example.net.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NXDOMAIN);
	ask(both, "www.example.net.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NXDOMAIN);
}

/* The largest plan: 32 TLDs of 8 servers each, every one at an address of its own. */
static void test_largest_plan(void **state)
{
	static struct sandbox_config c;
	sandbox_config_default(&c, NAMES);
	for (int t = (int)c.ntlds; t < SANDBOX_MAX_TLDS; t++) {
		char rest[512];
		int n = snprintf(rest, sizeof(rest), "t%d", t);
		for (int i = 0; i < SANDBOX_MAX_SERVERS; i++)
			n += snprintf(rest + n, sizeof(rest) - (size_t)n, " %c.nic.t%d=127.1.%d.%d",
				      'a' + i, t, t, i + 1);
		line_ok(&c, "sandbox-tld", rest);
	}
	assert_int_equal(c.ntlds, SANDBOX_MAX_TLDS);
	rebuild(&c);
	const struct server_addr *a;
	struct zone_db *const *dbs;
	assert_int_equal(sandbox_listeners(sb, 53, &a, &dbs), 11 + 27 * SANDBOX_MAX_SERVERS);
	ask(db_at("127.0.0.2"), "example.t31.", DNS_T_A);
	assert_false(aa());
	assert_int_equal(count(NS, "t31.", DNS_T_NS), SANDBOX_MAX_SERVERS);
	assert_int_equal(count(AR, NULL, DNS_T_A), SANDBOX_MAX_SERVERS);
	assert_true(has_addr(AR, "h.nic.t31.", "127.1.31.8"));
	ask(db_at("127.1.31.8"), "a.nic.t31.", DNS_T_A);
	assert_true(aa());
	assert_true(has_addr(AN, "a.nic.t31.", "127.1.31.1"));
	delegate_ok("example.t31.", hosted_set(), 4);
	ask(db_at("127.1.31.5"), "example.t31.", DNS_T_NS);
	assert_int_equal(count(NS, "example.t31.", DNS_T_NS), 4);
}

/* An IPv6 root server: AAAA glue in the root zone, in root-servers.net and in the hints. */
static void test_ipv6_root_server(void **state)
{
	struct sandbox_config c;
	sandbox_config_default(&c, NAMES);
	line_ok(&c, "sandbox-root", "a.root-servers.net=127.0.0.2 b.root-servers.net=[fd00::12]");
	rebuild(&c);
	struct zone_db *root = db_at("127.0.0.2");
	ask(root, "b.root-servers.net.", DNS_T_AAAA);
	assert_true(aa());
	assert_true(has_addr(AN, "b.root-servers.net.", "fd00::12"));
	ask(db_at("127.0.0.3"), "b.root-servers.net.", DNS_T_AAAA);
	assert_false(aa());
	assert_true(has_addr(AR, "b.root-servers.net.", "fd00::12"));

	char dir[] = "/tmp/sandbox-hints-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128], text[1024];
	snprintf(path, sizeof(path), "%s/root.hints", dir);
	assert_int_equal(sandbox_write_root_hints(sb, path), 0);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = 0;
	fclose(f);
	assert_non_null(strstr(text, "b.root-servers.net."));
	assert_non_null(strstr(text, " AAAA  fd00::12\n"));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);

	char buf[2048];
	sandbox_describe(sb, 5302, buf, sizeof(buf));
	assert_non_null(strstr(buf, "root b.root-servers.net [fd00::12]:5302\n"));
}

/* ---- outputs ------------------------------------------------------------------------------ */

static void test_listeners(void **state)
{
	const struct server_addr *a;
	struct zone_db *const *dbs;
	size_t n = sandbox_listeners(sb, 5302, &a, &dbs);
	/* .2 .12 .3 .13 .8 .9 .10 and the four hosted addresses, each once. */
	assert_int_equal(n, 11);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(a[i].ss.ss_family, AF_INET);
		assert_int_equal(a[i].len, sizeof(struct sockaddr_in));
		assert_int_equal(ntohs(((const struct sockaddr_in *)&a[i].ss)->sin_port), 5302);
		assert_non_null(dbs[i]);
		for (size_t j = 0; j < i; j++)
			assert_false(memcmp(&a[i].ss, &a[j].ss, sizeof(struct sockaddr_in)) == 0);
	}
	n = sandbox_listeners(sb, 53, &a, &dbs);
	assert_int_equal(ntohs(((const struct sockaddr_in *)&a[3].ss)->sin_port), 53);
	/* Five zone sets of the sandbox's own (root, com+net, org, uk, internal), and hosted. */
	struct zone_db *seen[16];
	size_t nseen = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < nseen && seen[j] != dbs[i])
			j++;
		if (j == nseen)
			seen[nseen++] = dbs[i];
	}
	assert_int_equal(nseen, 6);
	assert_true(db_at("127.0.0.2") != db_at("127.0.0.3"));
	assert_true(db_at("127.0.0.8") != db_at("127.0.0.9"));
	assert_true(db_at("127.0.0.9") != db_at("127.0.0.10"));
	assert_int_equal(zone_db_get(db_at("127.0.0.2"))->count, 2);  /* ., root-servers.net */
	assert_int_equal(zone_db_get(db_at("127.0.0.3"))->count, 3);  /* com, net, gtld-servers */
	assert_int_equal(zone_db_get(db_at("127.0.0.10"))->count, 1); /* internal */
	assert_int_equal(zone_db_get(hosted)->count, 4);              /* the NS-host zones */
}

static void test_root_hints(void **state)
{
	char dir[] = "/tmp/sandbox-hints-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/root.hints", dir);
	assert_int_equal(sandbox_write_root_hints(sb, path), 0);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[512];
	int ns = 0, a = 0;
	bool seen_a = false, seen_b = false;
	while (fgets(line, sizeof(line), f)) {
		char owner[256], type[16], data[256];
		unsigned long ttl;
		if (line[0] == ';' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%255s %lu %15s %255s", owner, &ttl, type, data), 4);
		assert_int_equal(ttl, 3600000);
		if (strcmp(type, "NS") == 0) {
			assert_string_equal(owner, ".");
			ns++;
			seen_a |= strcmp(data, "a.root-servers.net.") == 0;
			seen_b |= strcmp(data, "b.root-servers.net.") == 0;
		} else {
			assert_string_equal(type, "A");
			a++;
			if (strcmp(owner, "a.root-servers.net.") == 0)
				assert_string_equal(data, "127.0.0.2");
			else
				assert_string_equal(owner, "b.root-servers.net.");
		}
	}
	fclose(f);
	assert_int_equal(ns, 2);
	assert_int_equal(a, 2);
	assert_true(seen_a && seen_b);
	/* No temporary file is left beside it. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	/* A directory that does not exist. */
	assert_int_equal(sandbox_write_root_hints(sb, "/nonexistent-dir/root.hints"), -ENOENT);
}

static void test_describe(void **state)
{
	char buf[2048];
	int n = sandbox_describe(sb, 53, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	assert_non_null(strstr(buf, "root a.root-servers.net 127.0.0.2:53\n"));
	assert_non_null(strstr(buf, "root b.root-servers.net 127.0.0.12:53\n"));
	assert_non_null(strstr(buf, "tld com a.gtld-servers.net 127.0.0.3:53\n"));
	assert_non_null(strstr(buf, "tld uk a.nic.uk 127.0.0.9:53\n"));
	assert_non_null(strstr(buf, "hosted ns-1.awsdns-01.com 127.0.0.4:53\n"));
	assert_non_null(strstr(buf, "hosted ns-4.awsdns-04.co.uk 127.0.0.7:53\n"));
	/* Too small: truncated, and the length it would have had. */
	char small[16];
	assert_int_equal(sandbox_describe(sb, 53, small, sizeof(small)), n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(sandbox_describe(sb, 53, NULL, 0), n);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_root_refers_to_com),
		T(test_root_priming),
		T(test_root_delegates_every_tld),
		T(test_serials_start_at_the_clock),
		T(test_root_servers_net),
		T(test_gtld_servers),
		T(test_hosted_name_servers),
		T(test_hosted_db_shared),
		T(test_nic_names),
		T(test_tld_negative_ttls),
		T(test_delegate_hosted_set),
		T(test_delegate_vanity_glue),
		T(test_undelegate),
		T(test_delegate_under_co_uk),
		T(test_delegate_refusals),
		T(test_tld_of),
		cmocka_unit_test(test_config_default),
		cmocka_unit_test(test_config_lines),
		cmocka_unit_test(test_config_check),
		T(test_custom_plan),
		T(test_tld_on_two_zone_sets),
		T(test_largest_plan),
		T(test_ipv6_root_server),
		T(test_listeners),
		T(test_root_hints),
		T(test_describe),
	};
#undef T
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
