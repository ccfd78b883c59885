/*
 * tests/unit/api/test_r53_records.c - api/r53_records.c on a real engine (store in a temporary
 * directory): change batches with each InvalidChangeBatch message as Route 53 words it,
 * CREATE/DELETE/UPSERT, listing order and pagination over 5,000 record sets, aliases (same
 * zone, apex, other zone, AWS endpoint table, loops and dangling targets refused, target
 * changes propagated), TestDNSAnswer, and restart. After each change the DNS answer is read
 * with auth_answer() from zone_db_get(), this thread being an RCU reader as a worker is.
 */
#define _LGPL_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include <cmocka.h>

/* Record specs are written positionally, their unused tail left zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "api/r53_internal.h"
#include "auth/answer.h"
#include "dns/consts.h"
#include "dns/name.h"
#include "dns/rdata.h"

static char tmpdir[256];
static char alias_file[300];
static struct zone_db *db;
static struct r53 *eng;
static struct r53_error err;
static struct r53_zone zone; /* example.com., made by setup */

static const char *const test_ns[R53_NS_COUNT] = {
	"ns-1.example-dns.com.",
	"ns-2.example-dns.net",
	"ns-3.example-dns.org",
	"ns-4.example-dns.co.uk",
};

static void open_engine(uint32_t max_rrsets)
{
	struct r53_config cfg = {0};
	cfg.data_dir = tmpdir;
	cfg.db = db;
	for (int i = 0; i < R53_NS_COUNT; i++)
		cfg.name_servers[i] = test_ns[i];
	cfg.max_rrsets_per_zone = max_rrsets;
	cfg.alias_targets_file = alias_file;
	if (r53_open(&cfg, &eng, &err) != 0)
		fail_msg("r53_open: %s", err.message);
}

static void create_zone(const char *name, const char *ref, struct r53_zone *z)
{
	struct r53_create_zone req = {0};
	snprintf(req.name, sizeof req.name, "%s", name);
	snprintf(req.caller_reference, sizeof req.caller_reference, "%s", ref);
	struct r53_change_info ci;
	if (r53_create_hosted_zone(eng, &req, z, &ci, &err) != 0)
		fail_msg("create %s: %s", name, err.message);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/signpost-test-records-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(alias_file, sizeof alias_file, "%s/alias-targets", tmpdir);
	FILE *f = fopen(alias_file, "w");
	assert_non_null(f);
	fputs("# S3 website endpoint in us-east-1, stood in for by a local server\n"
	      "Z3AQBSTGFYJSTF s3-website-us-east-1.amazonaws.com A 127.0.0.80\n"
	      "Z2FDTNDATAQYW2 d111111abcdef8.cloudfront.net A 127.0.0.81\n"
	      "Z2FDTNDATAQYW2 d111111abcdef8.cloudfront.net AAAA ::1\n",
	      f);
	fclose(f);
	db = zone_db_new();
	assert_non_null(db);
	memset(&err, 0, sizeof err);
	open_engine(0);
	create_zone("Example.COM", "ref-1", &zone);
	return 0;
}

static int teardown(void **state)
{
	r53_close(eng);
	eng = NULL;
	zone_db_free(db);
	r53_error_clear(&err);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void restart(uint32_t max_rrsets)
{
	r53_close(eng);
	zone_db_free(db);
	db = zone_db_new();
	open_engine(max_rrsets);
}

/* ---- building change batches ---- */

struct rrset_spec {
	const char *name, *type;
	int64_t ttl;
	const char *values[8];
	const char *alias_zone, *alias_name;
	const char *set_id;
	int64_t weight;
};

static void fill(struct r53_rrset *rs, const struct rrset_spec *s)
{
	memset(rs, 0, sizeof *rs);
	snprintf(rs->name, sizeof rs->name, "%s", s->name);
	snprintf(rs->type, sizeof rs->type, "%s", s->type);
	rs->weight = s->weight ? s->weight : -1;
	if (s->set_id)
		snprintf(rs->set_identifier, sizeof rs->set_identifier, "%s", s->set_id);
	rs->ttl = s->alias_zone ? -1 : s->ttl;
	if (s->alias_zone) {
		rs->has_alias = true;
		snprintf(rs->alias.hosted_zone_id, sizeof rs->alias.hosted_zone_id, "%s",
			 s->alias_zone);
		snprintf(rs->alias.dns_name, sizeof rs->alias.dns_name, "%s", s->alias_name);
		return;
	}
	size_t n = 0;
	while (n < 8 && s->values[n])
		n++;
	rs->values = calloc(n ? n : 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		rs->values[i] = strdup(s->values[i]);
	rs->nvalues = n;
}

static int change1(enum r53_action a, const struct rrset_spec *s, const char *zone_id)
{
	struct r53_change c = {.action = a};
	fill(&c.rrset, s);
	struct r53_change_info ci;
	int rc = r53_change_rrsets(eng, zone_id ? zone_id : zone.id, &c, 1, "", &ci, &err);
	if (rc == 0)
		assert_string_equal(ci.status, "INSYNC");
	r53_rrset_free(&c.rrset);
	return rc;
}

static void ok(enum r53_action a, const struct rrset_spec *s)
{
	if (change1(a, s, NULL) != 0)
		fail_msg("change %s %s: %s", s->name, s->type, err.message);
}

static void expect_batch_err(int rc, const char *message)
{
	assert_int_equal(rc, -1);
	assert_int_equal(err.status, 400);
	assert_string_equal(err.code, "InvalidChangeBatch");
	assert_string_equal(err.message, message);
	r53_error_clear(&err);
}

/* ---- reading what DNS answers ---- */

struct answer {
	int rcode;
	int n;
	char data[64][512];
	uint16_t types[64];
	uint32_t ttls[64];
};

/* Rdata with compressed names (NS, CNAME, PTR, MX, SOA) expanded. */
static int expand(const uint8_t *msg, size_t len, size_t off, uint16_t rdlen, uint16_t type,
		  uint8_t *out)
{
	size_t pos = off, o = 0;
	int names =
		type == DNS_T_SOA ? 2
		: (type == DNS_T_NS || type == DNS_T_CNAME || type == DNS_T_PTR || type == DNS_T_MX)
			? 1
			: 0;
	if (!names) {
		memcpy(out, msg + off, rdlen);
		return rdlen;
	}
	if (type == DNS_T_MX) {
		memcpy(out, msg + pos, 2);
		pos += 2;
		o += 2;
	}
	for (int i = 0; i < names; i++) {
		int l = dns_name_unpack(msg, len, &pos, out + o);
		assert_true(l > 0);
		o += (size_t)l;
	}
	memcpy(out + o, msg + pos, off + rdlen - pos);
	return (int)(o + off + rdlen - pos);
}

static void dns(const char *name, const char *type, struct answer *a)
{
	uint8_t q[512], resp[65535];
	memset(q, 0, DNS_HEADER_SIZE);
	q[5] = 1;
	int l = dns_name_from_text(name, NULL, q + DNS_HEADER_SIZE);
	assert_true(l > 0);
	int t = dns_type_from_text(type);
	uint8_t *p = q + DNS_HEADER_SIZE + l;
	p[0] = (uint8_t)(t >> 8);
	p[1] = (uint8_t)t;
	p[2] = 0;
	p[3] = 1;
	rcu_thread_online();
	size_t rlen = auth_answer(zone_db_get(db), q, DNS_HEADER_SIZE + (size_t)l + 4, resp,
				  sizeof resp, true);
	rcu_thread_offline();
	assert_true(rlen >= DNS_HEADER_SIZE);
	memset(a, 0, sizeof *a);
	a->rcode = resp[3] & 0xf;
	unsigned an = (unsigned)(resp[6] << 8 | resp[7]);
	size_t pos = DNS_HEADER_SIZE;
	uint8_t nm[DNS_NAME_MAXLEN];
	assert_true(dns_name_unpack(resp, rlen, &pos, nm) > 0);
	pos += 4;
	for (unsigned i = 0; i < an && i < 64; i++) {
		assert_true(dns_name_unpack(resp, rlen, &pos, nm) > 0);
		uint16_t rt = (uint16_t)(resp[pos] << 8 | resp[pos + 1]);
		uint32_t ttl = (uint32_t)resp[pos + 4] << 24 | (uint32_t)resp[pos + 5] << 16 |
			       (uint32_t)resp[pos + 6] << 8 | resp[pos + 7];
		uint16_t rdlen = (uint16_t)(resp[pos + 8] << 8 | resp[pos + 9]);
		pos += 10;
		uint8_t rd[65535];
		int rl = expand(resp, rlen, pos, rdlen, rt, rd);
		pos += rdlen;
		assert_true(dns_rdata_to_text(rt, rd, (size_t)rl, a->data[a->n], 512) >= 0);
		a->types[a->n] = rt;
		a->ttls[a->n] = ttl;
		a->n++;
	}
}

/* The answer to (name, type) is exactly these records of that type (any order). */
static void expect_dns(const char *name, const char *type, const char *const *want, int nwant)
{
	struct answer a;
	dns(name, type, &a);
	int t = dns_type_from_text(type);
	int got = 0;
	for (int i = 0; i < a.n; i++) {
		if (a.types[i] != t)
			continue;
		got++;
		bool found = false;
		for (int k = 0; k < nwant && !found; k++)
			found = strcmp(a.data[i], want[k]) == 0;
		if (!found)
			fail_msg("%s %s: unexpected %s", name, type, a.data[i]);
	}
	if (got != nwant)
		fail_msg("%s %s: %d records, want %d (rcode %d)", name, type, got, nwant, a.rcode);
}

static int dns_rcode(const char *name, const char *type)
{
	struct answer a;
	dns(name, type, &a);
	return a.rcode;
}

static size_t count_rrsets(const char *zone_id)
{
	struct r53_rrset_list l;
	assert_int_equal(r53_list_rrsets(eng, zone_id, NULL, NULL, NULL, 300, &l, &err), 0);
	size_t n = l.n;
	r53_rrset_list_free(&l);
	return n;
}

/* ---- tests ---- */

static void test_default_records(void **state)
{
	struct r53_rrset_list l;
	assert_int_equal(r53_list_rrsets(eng, zone.id, NULL, NULL, NULL, 0, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.max_items, 300);
	assert_false(l.truncated);
	assert_string_equal(l.rrsets[0].name, "example.com.");
	assert_string_equal(l.rrsets[0].type, "NS");
	assert_int_equal(l.rrsets[0].ttl, 172800);
	assert_int_equal(l.rrsets[0].nvalues, 4);
	assert_string_equal(l.rrsets[0].values[0], "ns-1.example-dns.com.");
	assert_string_equal(l.rrsets[0].values[3], "ns-4.example-dns.co.uk.");
	assert_string_equal(l.rrsets[1].type, "SOA");
	assert_int_equal(l.rrsets[1].ttl, 900);
	assert_string_equal(l.rrsets[1].values[0], "ns-1.example-dns.com. "
						   "awsdns-hostmaster.amazon.com. 1 7200 900 "
						   "1209600 86400");
	r53_rrset_list_free(&l);
	static const char *const soa[] = {
		"ns-1.example-dns.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"};
	expect_dns("example.com.", "SOA", soa, 1);
	struct answer a;
	dns("example.com.", "NS", &a);
	assert_int_equal(a.n, 4);
	assert_int_equal(a.ttls[0], 172800);
}

static void test_create_upsert_delete(void **state)
{
	struct rrset_spec www = {"WWW.example.com", "A", 300, {"192.0.2.1", "192.0.2.2"}};
	ok(R53_CREATE, &www);
	static const char *const v1[] = {"192.0.2.1", "192.0.2.2"};
	expect_dns("www.example.com.", "A", v1, 2);

	struct rrset_spec up = {"www.example.com.", "A", 60, {"192.0.2.9"}};
	ok(R53_UPSERT, &up);
	static const char *const v2[] = {"192.0.2.9"};
	expect_dns("www.example.com.", "A", v2, 1);
	struct answer a;
	dns("www.example.com.", "A", &a);
	assert_int_equal(a.ttls[0], 60);

	/* UPSERT of a set that does not exist creates it. */
	struct rrset_spec txt = {
		"t.example.com", "TXT", 30, {"\"hello world\"", "\"v=spf1 -all\""}};
	ok(R53_UPSERT, &txt);
	static const char *const tv[] = {"\"hello world\"", "\"v=spf1 -all\""};
	expect_dns("t.example.com.", "TXT", tv, 2);

	/* DELETE must match exactly; then the name is gone. */
	ok(R53_DELETE, &up);
	assert_int_equal(dns_rcode("www.example.com.", "A"), DNS_RC_NXDOMAIN);
	assert_int_equal(count_rrsets(zone.id), 3);

	/* The apex SOA and NS can be UPSERTed. */
	struct rrset_spec soa = {
		"example.com.",
		"SOA",
		900,
		{"ns-1.example-dns.com. hostmaster.example.com. 2 7200 900 1209600 86400"}};
	ok(R53_UPSERT, &soa);
	static const char *const sv[] = {
		"ns-1.example-dns.com. hostmaster.example.com. 2 7200 900 1209600 86400"};
	expect_dns("example.com.", "SOA", sv, 1);
	struct rrset_spec ns = {"example.com.", "NS", 3600, {"a.ns.test.", "b.ns.test."}};
	ok(R53_UPSERT, &ns);
	static const char *const nv[] = {"a.ns.test.", "b.ns.test."};
	expect_dns("example.com.", "NS", nv, 2);

	/* Values name absolute names even without the dot, as Route 53 reads them. */
	struct rrset_spec cn = {"c.example.com", "CNAME", 300, {"target.example.net"}};
	ok(R53_CREATE, &cn);
	static const char *const cv[] = {"target.example.net."};
	expect_dns("c.example.com.", "CNAME", cv, 1);
	struct rrset_spec mx = {"example.com", "MX", 300, {"10 mail.example.com."}};
	ok(R53_CREATE, &mx);
	static const char *const mv[] = {"10 mail.example.com."};
	expect_dns("example.com.", "MX", mv, 1);

	/* The change is recorded INSYNC, and GetChange says so. */
	struct r53_change c = {.action = R53_CREATE};
	struct rrset_spec x = {"x.example.com", "AAAA", 300, {"2001:db8::1"}};
	fill(&c.rrset, &x);
	struct r53_change_info ci;
	assert_int_equal(r53_change_rrsets(eng, zone.id, &c, 1, "why", &ci, &err), 0);
	r53_rrset_free(&c.rrset);
	struct r53_change_info got;
	assert_int_equal(r53_get_change(eng, ci.id, &got, &err), 0);
	assert_string_equal(got.status, "INSYNC");
	assert_string_equal(got.comment, "why");
}

/* A and AAAA values are served without the zone scanner: the same wire form as its reading. */
static void test_address_values(void **state)
{
	static const struct {
		const char *type, *value;
	} cases[] = {
		{"A", "0.0.0.0"},
		{"A", "255.255.255.255"},
		{"A", "10.0.0.1"},
		{"AAAA", "::"},
		{"AAAA", "::1"},
		{"AAAA", "2001:DB8::A"},
		{"AAAA", "::ffff:192.0.2.1"},
		{"AAAA", "1:2:3:4:5:6:7:8"},
		{"AAAA", "fe80:0:0:0:0:0:0:1"},
		{"AAAA", "1:2:3:4:5:6:192.0.2.1"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char name[64];
		snprintf(name, sizeof name, "addr%zu.example.com.", i);
		struct rrset_spec s = {name, cases[i].type, 300, {cases[i].value}};
		ok(R53_CREATE, &s);
		uint8_t rd[64];
		char text[128];
		int t = dns_type_from_text(cases[i].type);
		int len = dns_rdata_from_text((uint16_t)t, cases[i].value, NULL, rd, sizeof rd,
					      NULL, 0);
		assert_true(len > 0);
		assert_true(dns_rdata_to_text((uint16_t)t, rd, (size_t)len, text, sizeof text) >=
			    0);
		const char *want[] = {text};
		expect_dns(name, cases[i].type, want, 1);
	}
}

static void test_batch_errors(void **state)
{
	struct rrset_spec www = {"www.example.com", "A", 300, {"192.0.2.1"}};
	ok(R53_CREATE, &www);
	size_t before = count_rrsets(zone.id);

	expect_batch_err(change1(R53_CREATE, &www, NULL),
			 "[Tried to create resource record set [name='www.example.com.', "
			 "type='A'] but it already exists]");
	struct rrset_spec gone = {"x.example.com", "A", 300, {"192.0.2.1"}};
	expect_batch_err(change1(R53_DELETE, &gone, NULL),
			 "[Tried to delete resource record set [name='x.example.com.', type='A'] "
			 "but it was not found]");
	struct rrset_spec wrong = {"www.example.com", "A", 301, {"192.0.2.1"}};
	expect_batch_err(change1(R53_DELETE, &wrong, NULL),
			 "[Tried to delete resource record set [name='www.example.com.', "
			 "type='A'] but the values provided do not match the current values]");
	struct rrset_spec cname = {"www.example.com", "CNAME", 300, {"other.example.net."}};
	expect_batch_err(change1(R53_CREATE, &cname, NULL),
			 "[RRSet of type CNAME with DNS name www.example.com. is not permitted as "
			 "it conflicts with other records with the same DNS name in zone "
			 "example.com.]");
	struct rrset_spec out = {"foo.example.org", "A", 300, {"192.0.2.1"}};
	expect_batch_err(change1(R53_CREATE, &out, NULL),
			 "[RRSet with DNS name foo.example.org. is not permitted in zone "
			 "example.com.]");
	struct rrset_spec out2 = {"xexample.com", "A", 300, {"192.0.2.1"}};
	expect_batch_err(change1(R53_CREATE, &out2, NULL),
			 "[RRSet with DNS name xexample.com. is not permitted in zone "
			 "example.com.]");
	struct rrset_spec apexcn = {"example.com", "CNAME", 300, {"x.example.net."}};
	expect_batch_err(change1(R53_CREATE, &apexcn, NULL),
			 "[RRSet of type CNAME with DNS name example.com. is not permitted at apex "
			 "in zone example.com., RRSet of type CNAME with DNS name example.com. is "
			 "not permitted as it conflicts with other records with the same DNS name "
			 "in zone example.com.]");

	/* The apex SOA and NS cannot be deleted. */
	struct rrset_spec soa = {
		"example.com",
		"SOA",
		900,
		{"ns-1.example-dns.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"}};
	expect_batch_err(change1(R53_DELETE, &soa, NULL),
			 "[A HostedZone must contain exactly one SOA record.]");
	struct rrset_spec ns = {"example.com",
				"NS",
				172800,
				{"ns-1.example-dns.com.", "ns-2.example-dns.net.",
				 "ns-3.example-dns.org.", "ns-4.example-dns.co.uk."}};
	expect_batch_err(change1(R53_DELETE, &ns, NULL),
			 "[A HostedZone must contain at least one NS record for the zone itself.]");

	/* Values, per type. */
	struct rrset_spec bad_a = {"a.example.com", "A", 300, {"300.1.2.3"}};
	expect_batch_err(change1(R53_CREATE, &bad_a, NULL),
			 "[Invalid Resource Record: FATAL problem: ARRDATAIllegalIPv4Address "
			 "(Value is not a valid IPv4 address) encountered with '300.1.2.3']");
	struct rrset_spec sp_a = {"a.example.com", "A", 300, {"1.2.3.4 5.6.7.8"}};
	expect_batch_err(change1(R53_CREATE, &sp_a, NULL),
			 "[Invalid Resource Record: FATAL problem: ARRDATANotSingleField (Value "
			 "contains spaces) encountered with '1.2.3.4 5.6.7.8']");
	struct rrset_spec txt = {"a.example.com", "TXT", 300, {"hello"}};
	expect_batch_err(change1(R53_CREATE, &txt, NULL),
			 "[Invalid Resource Record: FATAL problem: InvalidCharacterString (Value "
			 "should be enclosed in quotation marks) encountered with 'hello']");
	char long_txt[300];
	long_txt[0] = '"';
	memset(long_txt + 1, 'x', 256);
	strcpy(long_txt + 257, "\"");
	struct rrset_spec txtlong = {"a.example.com", "TXT", 300, {long_txt}};
	char want_long[400];
	snprintf(want_long, sizeof want_long,
		 "[Invalid Resource Record: FATAL problem: TXTRDATATooLong (Value is too long) "
		 "encountered with '%s']",
		 long_txt);
	expect_batch_err(change1(R53_CREATE, &txtlong, NULL), want_long);
	long_txt[256] = '"';
	long_txt[257] = '\0';
	ok(R53_CREATE, &txtlong); /* 255 octets: the most one string holds */
	ok(R53_DELETE, &txtlong);
	struct rrset_spec mx = {"a.example.com", "MX", 300, {"mail.example.com."}};
	assert_int_equal(change1(R53_CREATE, &mx, NULL), -1);
	assert_string_equal(err.code, "InvalidChangeBatch");
	assert_memory_equal(err.message, "[Invalid Resource Record: FATAL problem: ", 41);
	r53_error_clear(&err);

	/* Every problem of the batch, in order, in one message. */
	struct r53_change cs[3] = {
		{.action = R53_CREATE}, {.action = R53_CREATE}, {.action = R53_DELETE}};
	fill(&cs[0].rrset, &www);
	fill(&cs[1].rrset, &out);
	fill(&cs[2].rrset, &gone);
	struct r53_change_info ci;
	expect_batch_err(r53_change_rrsets(eng, zone.id, cs, 3, "", &ci, &err),
			 "[Tried to create resource record set [name='www.example.com.', "
			 "type='A'] but it already exists, RRSet with DNS name foo.example.org. is "
			 "not permitted in zone example.com., Tried to delete resource record set "
			 "[name='x.example.com.', type='A'] but it was not found]");
	for (int i = 0; i < 3; i++)
		r53_rrset_free(&cs[i].rrset);

	/* Two changes on one set (other than DELETE then CREATE) are refused. */
	struct rrset_spec n1 = {"n.example.com", "A", 300, {"192.0.2.1"}};
	fill(&cs[0].rrset, &n1);
	fill(&cs[1].rrset, &n1);
	cs[1].action = R53_UPSERT;
	expect_batch_err(r53_change_rrsets(eng, zone.id, cs, 2, "", &ci, &err),
			 "[The request contains an invalid set of changes for a resource record "
			 "set 'A n.example.com.']");
	r53_rrset_free(&cs[0].rrset);
	r53_rrset_free(&cs[1].rrset);

	/* A good change beside a bad one: nothing is applied. */
	fill(&cs[0].rrset, &n1);
	fill(&cs[1].rrset, &www);
	cs[1].action = R53_CREATE;
	expect_batch_err(r53_change_rrsets(eng, zone.id, cs, 2, "", &ci, &err),
			 "[Tried to create resource record set [name='www.example.com.', "
			 "type='A'] but it already exists]");
	r53_rrset_free(&cs[0].rrset);
	r53_rrset_free(&cs[1].rrset);
	assert_int_equal(dns_rcode("n.example.com.", "A"), DNS_RC_NXDOMAIN);
	assert_int_equal(count_rrsets(zone.id), before);

	/* DELETE then CREATE of one set in one batch is the documented way to change it. */
	struct rrset_spec www2 = {"www.example.com", "A", 300, {"192.0.2.77"}};
	cs[0].action = R53_DELETE;
	fill(&cs[0].rrset, &www);
	fill(&cs[1].rrset, &www2);
	assert_int_equal(r53_change_rrsets(eng, zone.id, cs, 2, "", &ci, &err), 0);
	r53_rrset_free(&cs[0].rrset);
	r53_rrset_free(&cs[1].rrset);
	static const char *const v77[] = {"192.0.2.77"};
	expect_dns("www.example.com.", "A", v77, 1);

	/* CNAME the other way round: a set beside an existing CNAME. */
	struct rrset_spec c2 = {"c.example.com", "CNAME", 300, {"x.example.net."}};
	ok(R53_CREATE, &c2);
	struct rrset_spec c2a = {"c.example.com", "TXT", 300, {"\"x\""}};
	expect_batch_err(change1(R53_CREATE, &c2a, NULL),
			 "[RRSet of type TXT with DNS name c.example.com. is not permitted because "
			 "a conflicting RRSet of type CNAME with the same DNS name already exists "
			 "in zone example.com.]");

	/* The structure of a change is InvalidInput. */
	struct r53_change bad = {.action = R53_DELETE};
	fill(&bad.rrset, &www2);
	bad.rrset.ttl = -1;
	snprintf(bad.rrset.name, sizeof bad.rrset.name, "example.com");
	assert_int_equal(r53_change_rrsets(eng, zone.id, &bad, 1, "", &ci, &err), -1);
	assert_string_equal(err.code, "InvalidInput");
	assert_string_equal(err.message,
			    "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, "
			    "and ResourceRecords], or TrafficPolicyInstanceId], but found none in "
			    "Change with [Action=DELETE, Name=example.com, Type=A, "
			    "SetIdentifier=null]");
	r53_error_clear(&err);
	snprintf(bad.rrset.name, sizeof bad.rrset.name, "a..example.com");
	bad.rrset.ttl = 300;
	assert_int_equal(r53_change_rrsets(eng, zone.id, &bad, 1, "", &ci, &err), -1);
	assert_string_equal(err.code, "InvalidInput");
	assert_string_equal(err.message, "FATAL problem: DomainLabelEmpty (Domain label is "
					 "empty) encountered with 'a..example.com'");
	r53_error_clear(&err);
	r53_rrset_free(&bad.rrset);

	/* An unknown zone. */
	assert_int_equal(change1(R53_CREATE, &n1, "ZNOSUCHZONE0000000000"), -1);
	assert_string_equal(err.code, "NoSuchHostedZone");
	assert_int_equal(err.status, 404);
	r53_error_clear(&err);
}

/* 1,000 records per batch and 32,000 characters of values, UPSERT counting twice. */
static void test_batch_limits(void **state)
{
	static char names[1001][32];
	struct r53_change *cs = calloc(1001, sizeof *cs);
	for (int i = 0; i < 1001; i++) {
		snprintf(names[i], sizeof names[i], "h%d.example.com", i);
		struct rrset_spec s = {names[i], "A", 300, {"192.0.2.1"}};
		cs[i].action = R53_CREATE;
		fill(&cs[i].rrset, &s);
	}
	struct r53_change_info ci;
	expect_batch_err(r53_change_rrsets(eng, zone.id, cs, 1001, "", &ci, &err),
			 "[Number of records limit of 1000 exceeded.]");
	/* 501 UPSERTs count as 1,002. */
	for (int i = 0; i < 501; i++)
		cs[i].action = R53_UPSERT;
	expect_batch_err(r53_change_rrsets(eng, zone.id, cs, 501, "", &ci, &err),
			 "[Number of records limit of 1000 exceeded.]");
	/* 1,000 CREATEs are fine. */
	for (int i = 0; i < 1000; i++)
		cs[i].action = R53_CREATE;
	assert_int_equal(r53_change_rrsets(eng, zone.id, cs, 1000, "", &ci, &err), 0);
	for (int i = 0; i < 1001; i++)
		r53_rrset_free(&cs[i].rrset);
	free(cs);
	static const char *const v[] = {"192.0.2.1"};
	expect_dns("h999.example.com.", "A", v, 1);

	/* 9 TXT values of 3,794 characters: 34,146 characters. */
	char *big = malloc(4000);
	big[0] = '"';
	memset(big + 1, 'x', 250);
	size_t o = 251;
	for (int k = 0; k < 14; k++) {
		memcpy(big + o, "\" \"", 3);
		o += 3;
		memset(big + o, 'y', 250);
		o += 250;
	}
	big[o++] = '"';
	big[o] = '\0';
	assert_true(o > 3500);
	struct r53_change tc[9];
	static char tn[9][32];
	for (int i = 0; i < 9; i++) {
		snprintf(tn[i], sizeof tn[i], "txt%d.example.com", i);
		struct rrset_spec s = {tn[i], "TXT", 300, {big}};
		tc[i].action = R53_CREATE;
		fill(&tc[i].rrset, &s);
	}
	expect_batch_err(r53_change_rrsets(eng, zone.id, tc, 9, "", &ci, &err),
			 "[RDATA character limit of 32000 exceeded.]");
	/* 5 UPSERTs: 18,970 counted twice. */
	for (int i = 0; i < 5; i++)
		tc[i].action = R53_UPSERT;
	expect_batch_err(r53_change_rrsets(eng, zone.id, tc, 5, "", &ci, &err),
			 "[RDATA character limit of 32000 exceeded.]");
	assert_int_equal(r53_change_rrsets(eng, zone.id, tc + 5, 4, "", &ci, &err), 0);
	for (int i = 0; i < 9; i++)
		r53_rrset_free(&tc[i].rrset);
	free(big);

	/* Record sets per zone: the zone has 2 + 1,000 + 4. */
	restart(1008);
	struct rrset_spec a = {"q1.example.com", "A", 300, {"192.0.2.1"}};
	struct rrset_spec b = {"q2.example.com", "A", 300, {"192.0.2.1"}};
	struct rrset_spec c = {"q3.example.com", "A", 300, {"192.0.2.1"}};
	ok(R53_CREATE, &a);
	ok(R53_CREATE, &b);
	char want[128];
	snprintf(want, sizeof want, "[Exceeded limit MAX_RRSETS_BY_ZONE for zone: %s]", zone.id);
	expect_batch_err(change1(R53_CREATE, &c, NULL), want);
	/* Replacing within the limit is fine. */
	ok(R53_UPSERT, &b);
	struct r53_zone z;
	assert_int_equal(r53_get_hosted_zone(eng, zone.id, &z, &err), 0);
	assert_int_equal(z.rrset_count, 1008);
}

static void test_names_and_wildcards(void **state)
{
	struct rrset_spec w = {"*.Example.COM", "A", 300, {"192.0.2.42"}};
	ok(R53_CREATE, &w);
	struct rrset_spec sl = {"0/25.example.com", "CNAME", 300, {"x.example.net."}};
	ok(R53_CREATE, &sl);
	struct r53_rrset_list l;
	assert_int_equal(r53_list_rrsets(eng, zone.id, NULL, NULL, NULL, 300, &l, &err), 0);
	assert_int_equal(l.n, 4);
	/* "0\057..." sorts before "\052" ('0' is 48, '\' is 92): apex NS, SOA, then those. */
	assert_string_equal(l.rrsets[2].name, "0\\05725.example.com.");
	assert_string_equal(l.rrsets[3].name, "\\052.example.com.");
	r53_rrset_list_free(&l);
	static const char *const v[] = {"192.0.2.42"};
	expect_dns("anything.example.com.", "A", v, 1);
	expect_dns("deep.er.example.com.", "A", v, 1);
	/* DELETE by the escaped form finds the set the literal form made. */
	struct rrset_spec w2 = {"\\052.example.com.", "A", 300, {"192.0.2.42"}};
	ok(R53_DELETE, &w2);
	assert_int_equal(dns_rcode("anything.example.com.", "A"), DNS_RC_NXDOMAIN);
}

static int cmp_key(const struct r53_rrset *a, const struct r53_rrset *b)
{
	char ka[R53_NAME_MAX], kb[R53_NAME_MAX];
	r53_name_sort_key(a->name, ka);
	r53_name_sort_key(b->name, kb);
	int c = strcmp(ka, kb);
	if (c)
		return c;
	c = strcmp(a->type, b->type);
	return c ? c : strcmp(a->set_identifier, b->set_identifier);
}

/* Pages through the whole zone with max_items, checking order; returns the rrsets seen. */
static size_t page_all(int max_items, char (*seen)[64], size_t cap)
{
	char name[R53_NAME_MAX] = "", type[16] = "", ident[R53_TEXT_MAX] = "";
	size_t total = 0;
	struct r53_rrset last = {0};
	bool have_last = false;
	for (;;) {
		struct r53_rrset_list l;
		assert_int_equal(r53_list_rrsets(eng, zone.id, name[0] ? name : NULL,
						 type[0] ? type : NULL, ident[0] ? ident : NULL,
						 max_items, &l, &err),
				 0);
		assert_true(l.n <= (size_t)(max_items > 300 ? 300 : max_items));
		for (size_t i = 0; i < l.n; i++) {
			if (have_last)
				assert_true(cmp_key(&last, &l.rrsets[i]) < 0);
			snprintf(last.name, sizeof last.name, "%s", l.rrsets[i].name);
			snprintf(last.type, sizeof last.type, "%s", l.rrsets[i].type);
			snprintf(last.set_identifier, sizeof last.set_identifier, "%s",
				 l.rrsets[i].set_identifier);
			have_last = true;
			assert_true(total < cap);
			snprintf(seen[total++], 64, "%.40s %.8s %.10s", l.rrsets[i].name,
				 l.rrsets[i].type, l.rrsets[i].set_identifier);
		}
		bool more = l.truncated;
		if (more) {
			snprintf(name, sizeof name, "%s", l.next_name);
			snprintf(type, sizeof type, "%s", l.next_type);
			snprintf(ident, sizeof ident, "%s", l.next_identifier);
		} else {
			assert_string_equal(l.next_name, "");
		}
		r53_rrset_list_free(&l);
		if (!more)
			break;
	}
	return total;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_pagination_5000(void **state)
{
	/* 5,000 names in five batches of 1,000, with labels that test the order's corners. */
	struct r53_change *cs = calloc(1000, sizeof *cs);
	char nm[64];
	for (int b = 0; b < 5; b++) {
		for (int i = 0; i < 1000; i++) {
			int k = b * 1000 + i;
			snprintf(nm, sizeof nm, "%s%d.%s.example.com", k % 3 ? "h" : "h-", k,
				 k % 2 ? "a" : "a-b");
			struct rrset_spec s = {
				nm, k % 5 ? "A" : "TXT", 300, {k % 5 ? "192.0.2.1" : "\"t\""}};
			cs[i].action = R53_CREATE;
			fill(&cs[i].rrset, &s);
		}
		struct r53_change_info ci;
		if (r53_change_rrsets(eng, zone.id, cs, 1000, "", &ci, &err) != 0)
			fail_msg("batch %d: %s", b, err.message);
		for (int i = 0; i < 1000; i++)
			r53_rrset_free(&cs[i].rrset);
	}
	free(cs);
	/* Weighted sets: identifiers page too (NextRecordIdentifier). */
	for (int i = 0; i < 3; i++) {
		char id[8];
		snprintf(id, sizeof id, "w%d", i);
		struct rrset_spec s = {
			"weighted.example.com", "A", 60, {"192.0.2.5"}, NULL, NULL, id, 10};
		ok(R53_CREATE, &s);
	}
	struct rrset_spec wt = {
		"weighted.example.com", "A", 61, {"192.0.2.6"}, NULL, NULL, "w9", 10};
	expect_batch_err(change1(R53_CREATE, &wt, NULL),
			 "[RRSet with DNS name weighted.example.com. and type A, SetIdentifier w9 "
			 "cannot be created as weighted sets must contain the same TTL.]");
	struct rrset_spec simple = {"weighted.example.com", "A", 60, {"192.0.2.6"}};
	expect_batch_err(change1(R53_CREATE, &simple, NULL),
			 "[RRSet with DNS name weighted.example.com., type A cannot be created as "
			 "other RRSets exist with the same name and type.]");
	static char seen[5100][64];
	const int sizes[] = {300, 1, 7, 1000};
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		size_t n = page_all(sizes[s], seen, 5100);
		assert_int_equal(n, 5005);
		qsort(seen, n, 64, cmp_str);
		for (size_t i = 1; i < n; i++)
			if (strcmp(seen[i - 1], seen[i]) == 0)
				fail_msg("seen twice: %s", seen[i]);
	}
	/* StartRecordName is a position, not a filter; with a type it starts inside the name. */
	struct r53_rrset_list l;
	assert_int_equal(r53_list_rrsets(eng, zone.id, "example.com", "SOA", NULL, 1, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.rrsets[0].type, "SOA");
	assert_true(l.truncated);
	r53_rrset_list_free(&l);
	assert_int_equal(
		r53_list_rrsets(eng, zone.id, "weighted.example.com", "A", "w1", 5, &l, &err), 0);
	assert_string_equal(l.rrsets[0].set_identifier, "w1");
	assert_int_equal(l.rrsets[0].weight, 10);
	r53_rrset_list_free(&l);
	assert_int_equal(r53_list_rrsets(eng, zone.id, NULL, "A", NULL, 5, &l, &err), -1);
	assert_string_equal(err.code, "InvalidInput");
	r53_error_clear(&err);
	assert_int_equal(r53_list_rrsets(eng, zone.id, "a b.example.com", NULL, NULL, 5, &l, &err),
			 -1);
	assert_string_equal(err.message, "FATAL problem: UnsupportedCharacter (Value contains "
					 "unsupported characters) encountered with ' '");
	r53_error_clear(&err);
	/* The weighted sets are all served. */
	static const char *const v[] = {"192.0.2.5"};
	expect_dns("weighted.example.com.", "A", v, 1);
}

static void test_aliases(void **state)
{
	struct rrset_spec www = {"www.example.com", "A", 300, {"192.0.2.1", "192.0.2.2"}};
	ok(R53_CREATE, &www);
	/* Same zone. */
	struct rrset_spec al = {"alias.example.com", "A", 0, {0}, zone.id, "WWW.example.com"};
	ok(R53_CREATE, &al);
	static const char *const v1[] = {"192.0.2.1", "192.0.2.2"};
	expect_dns("alias.example.com.", "A", v1, 2);
	/* At the apex. */
	struct rrset_spec apex = {"example.com", "A", 0, {0}, zone.id, "www.example.com."};
	ok(R53_CREATE, &apex);
	expect_dns("example.com.", "A", v1, 2);
	/* An alias to an alias. */
	struct rrset_spec al2 = {"alias2.example.com", "A", 0, {0}, zone.id, "alias.example.com"};
	ok(R53_CREATE, &al2);
	expect_dns("alias2.example.com.", "A", v1, 2);
	/* Listed with no TTL and no values, the target normalised. */
	struct r53_rrset_list l;
	assert_int_equal(
		r53_list_rrsets(eng, zone.id, "alias.example.com", NULL, NULL, 1, &l, &err), 0);
	assert_true(l.rrsets[0].has_alias);
	assert_int_equal(l.rrsets[0].ttl, -1);
	assert_int_equal(l.rrsets[0].nvalues, 0);
	assert_string_equal(l.rrsets[0].alias.dns_name, "www.example.com.");
	r53_rrset_list_free(&l);

	/* The target changes: every alias of it follows, in the same publish. */
	struct rrset_spec www2 = {"www.example.com", "A", 120, {"198.51.100.7"}};
	ok(R53_UPSERT, &www2);
	static const char *const v2[] = {"198.51.100.7"};
	expect_dns("alias.example.com.", "A", v2, 1);
	expect_dns("alias2.example.com.", "A", v2, 1);
	expect_dns("example.com.", "A", v2, 1);
	struct answer a;
	dns("alias.example.com.", "A", &a);
	assert_int_equal(a.ttls[0], 120);

	/* Another hosted zone served here. */
	struct r53_zone other;
	create_zone("other.test", "ref-2", &other);
	struct rrset_spec ot = {"web.other.test", "A", 300, {"203.0.113.5"}};
	assert_int_equal(change1(R53_CREATE, &ot, other.id), 0);
	struct rrset_spec xal = {"x.example.com", "A", 0, {0}, other.id, "web.other.test"};
	ok(R53_CREATE, &xal);
	static const char *const v3[] = {"203.0.113.5"};
	expect_dns("x.example.com.", "A", v3, 1);
	struct rrset_spec ot2 = {"web.other.test", "A", 300, {"203.0.113.6"}};
	assert_int_equal(change1(R53_UPSERT, &ot2, other.id), 0);
	static const char *const v4[] = {"203.0.113.6"};
	expect_dns("x.example.com.", "A", v4, 1);

	/* Dangling and out-of-zone targets, and loops, are refused. */
	char want[512];
	struct rrset_spec dang = {"d.example.com", "A", 0, {0}, zone.id, "nothere.example.com"};
	snprintf(want, sizeof want,
		 "[Tried to create an alias that targets nothere.example.com., type A in zone %s, "
		 "but that target was not found]",
		 zone.id);
	expect_batch_err(change1(R53_CREATE, &dang, NULL), want);
	struct rrset_spec wrongtype = {"d.example.com", "AAAA", 0, {0}, zone.id, "www.example.com"};
	snprintf(want, sizeof want,
		 "[Tried to create an alias that targets www.example.com., type AAAA in zone %s, "
		 "but that target was not found]",
		 zone.id);
	expect_batch_err(change1(R53_CREATE, &wrongtype, NULL), want);
	struct rrset_spec outside = {"d.example.com", "A", 0, {0}, other.id, "www.example.com"};
	snprintf(want, sizeof want,
		 "[Tried to create an alias that targets www.example.com., type A in zone %s, "
		 "but the alias target name does not lie within the target zone]",
		 other.id);
	expect_batch_err(change1(R53_CREATE, &outside, NULL), want);
	struct rrset_spec unknown = {"d.example.com", "A", 0, {0}, "ZUNKNOWN", "x.example.net"};
	expect_batch_err(change1(R53_CREATE, &unknown, NULL),
			 "[Tried to create an alias that targets x.example.net., type A in zone "
			 "ZUNKNOWN, but that target was not found]");
	struct rrset_spec self = {"s.example.com", "A", 0, {0}, zone.id, "s.example.com"};
	snprintf(want, sizeof want,
		 "[Tried to create an alias that targets s.example.com., type A in zone %s, but "
		 "the alias target is a loop back to s.example.com.]",
		 zone.id);
	expect_batch_err(change1(R53_CREATE, &self, NULL), want);
	/* A loop through two aliases: repoint www (a plain set) at alias2 → alias → www. */
	struct r53_change cs[2] = {{.action = R53_DELETE}, {.action = R53_CREATE}};
	fill(&cs[0].rrset, &www2);
	struct rrset_spec loop = {"www.example.com", "A", 0, {0}, zone.id, "alias2.example.com"};
	fill(&cs[1].rrset, &loop);
	struct r53_change_info ci;
	assert_int_equal(r53_change_rrsets(eng, zone.id, cs, 2, "", &ci, &err), -1);
	assert_string_equal(err.code, "InvalidChangeBatch");
	assert_non_null(strstr(err.message, "loop"));
	r53_error_clear(&err);
	r53_rrset_free(&cs[0].rrset);
	r53_rrset_free(&cs[1].rrset);
	/* Deleting a target that aliases use would leave them dangling. */
	snprintf(want, sizeof want,
		 "[Tried to delete resource record set [name='www.example.com.', type='A'] but it "
		 "is the target of an alias resource record set [name='");
	assert_int_equal(change1(R53_DELETE, &www2, NULL), -1);
	assert_string_equal(err.code, "InvalidChangeBatch");
	assert_memory_equal(err.message, want, strlen(want));
	r53_error_clear(&err);
	/* An alias and its target created in one batch. */
	struct r53_change both[2] = {{.action = R53_CREATE}, {.action = R53_CREATE}};
	struct rrset_spec tgt = {"new.example.com", "AAAA", 300, {"2001:db8::5"}};
	struct rrset_spec nal = {"newalias.example.com", "AAAA", 0, {0}, zone.id,
				 "new.example.com"};
	fill(&both[0].rrset, &nal);
	fill(&both[1].rrset, &tgt);
	assert_int_equal(r53_change_rrsets(eng, zone.id, both, 2, "", &ci, &err), 0);
	r53_rrset_free(&both[0].rrset);
	r53_rrset_free(&both[1].rrset);
	static const char *const v6[] = {"2001:db8::5"};
	expect_dns("newalias.example.com.", "AAAA", v6, 1);
	/* Deleting an alias, then its target. */
	ok(R53_DELETE, &nal);
	ok(R53_DELETE, &tgt);
	assert_int_equal(dns_rcode("newalias.example.com.", "AAAA"), DNS_RC_NXDOMAIN);

	/* AWS endpoints from the table. */
	struct rrset_spec s3 = {"bucket.example.com",
				"A",
				0,
				{0},
				"Z3AQBSTGFYJSTF",
				"s3-website-us-east-1.amazonaws.com."};
	ok(R53_CREATE, &s3);
	static const char *const v5[] = {"127.0.0.80"};
	expect_dns("bucket.example.com.", "A", v5, 1);
	struct rrset_spec cf = {"cdn.example.com",
				"AAAA",
				0,
				{0},
				"Z2FDTNDATAQYW2",
				"d111111abcdef8.cloudfront.net"};
	ok(R53_CREATE, &cf);
	static const char *const v7[] = {"::1"};
	expect_dns("cdn.example.com.", "AAAA", v7, 1);
	struct rrset_spec cfbad = {"cdn2.example.com",   "A", 0, {0}, "Z2FDTNDATAQYW2",
				   "nope.cloudfront.net"};
	expect_batch_err(change1(R53_CREATE, &cfbad, NULL),
			 "[Tried to create an alias that targets nope.cloudfront.net., type A in "
			 "zone Z2FDTNDATAQYW2, but that target was not found]");

	/* Restart: aliases come back materialised. */
	restart(0);
	expect_dns("alias2.example.com.", "A", v2, 1);
	expect_dns("x.example.com.", "A", v4, 1);
	expect_dns("bucket.example.com.", "A", v5, 1);
}

/* The store's first alias, made in one batch with its target: followed and protected. */
static void test_first_alias(void **state)
{
	struct rrset_spec t = {"t.example.com", "A", 300, {"192.0.2.5"}};
	struct rrset_spec al = {"a.example.com", "A", 0, {0}, zone.id, "t.example.com"};
	struct r53_change c[2] = {{.action = R53_CREATE}, {.action = R53_CREATE}};
	fill(&c[0].rrset, &t);
	fill(&c[1].rrset, &al);
	struct r53_change_info ci;
	assert_int_equal(r53_change_rrsets(eng, zone.id, c, 2, "", &ci, &err), 0);
	r53_rrset_free(&c[0].rrset);
	r53_rrset_free(&c[1].rrset);
	static const char *const v1[] = {"192.0.2.5"}, *const v2[] = {"192.0.2.6"};
	expect_dns("a.example.com.", "A", v1, 1);
	struct rrset_spec t2 = {"t.example.com", "A", 300, {"192.0.2.6"}};
	ok(R53_UPSERT, &t2);
	expect_dns("a.example.com.", "A", v2, 1);
	assert_int_equal(change1(R53_DELETE, &t2, NULL), -1);
	assert_int_equal(err.status, 400);
	assert_non_null(strstr(err.message, "is the target of an alias resource record set "
					    "[name='a.example.com.', type='A']"));
	r53_error_clear(&err);
	expect_dns("t.example.com.", "A", v2, 1);
}

static void test_restart_and_test_answer(void **state)
{
	struct rrset_spec www = {"www.example.com", "A", 300, {"192.0.2.1"}};
	ok(R53_CREATE, &www);
	struct rrset_spec mx = {"example.com", "MX", 300, {"10 mx.example.com."}};
	ok(R53_CREATE, &mx);
	restart(0);
	static const char *const v[] = {"192.0.2.1"};
	expect_dns("www.example.com.", "A", v, 1);
	assert_int_equal(count_rrsets(zone.id), 4);

	struct r53_test_answer ta;
	assert_int_equal(r53_test_dns_answer(eng, zone.id, "WWW.example.com", "A", &ta, &err), 0);
	assert_string_equal(ta.response_code, "NOERROR");
	assert_string_equal(ta.record_name, "www.example.com.");
	assert_string_equal(ta.record_type, "A");
	assert_string_equal(ta.protocol, "UDP");
	assert_int_equal(ta.nrecord_data, 1);
	assert_string_equal(ta.record_data[0], "192.0.2.1");
	r53_test_answer_free(&ta);
	assert_int_equal(r53_test_dns_answer(eng, zone.id, "example.com", "MX", &ta, &err), 0);
	assert_int_equal(ta.nrecord_data, 1);
	assert_string_equal(ta.record_data[0], "10 mx.example.com.");
	r53_test_answer_free(&ta);
	assert_int_equal(r53_test_dns_answer(eng, zone.id, "nx.example.com", "A", &ta, &err), 0);
	assert_string_equal(ta.response_code, "NXDOMAIN");
	assert_int_equal(ta.nrecord_data, 0);
	r53_test_answer_free(&ta);
	assert_int_equal(r53_test_dns_answer(eng, zone.id, "www.example.org", "A", &ta, &err), -1);
	assert_string_equal(err.code, "InvalidInput");
	assert_string_equal(err.message,
			    "Record name 'www.example.org' is not valid for hosted zone: "
			    "example.com.");
	r53_error_clear(&err);
}

/* Two hosted zones of one name: the oldest is served; deleting it serves the other. */
static void test_same_name_zones(void **state)
{
	struct r53_zone second;
	create_zone("example.com", "ref-dup", &second);
	struct rrset_spec a1 = {"www.example.com", "A", 300, {"192.0.2.1"}};
	struct rrset_spec a2 = {"www.example.com", "A", 300, {"192.0.2.2"}};
	ok(R53_CREATE, &a1);
	assert_int_equal(change1(R53_CREATE, &a2, second.id), 0);
	static const char *const v1[] = {"192.0.2.1"}, *const v2[] = {"192.0.2.2"};
	expect_dns("www.example.com.", "A", v1, 1);
	ok(R53_DELETE, &a1);
	struct r53_change_info ci;
	assert_int_equal(r53_delete_hosted_zone(eng, zone.id, &ci, &err), 0);
	expect_dns("www.example.com.", "A", v2, 1);
}

/* Of same-name zones the oldest is served: by created, then by insertion order. */
static void test_same_name_zones_oldest(void **state)
{
	struct r53_zone second, third;
	create_zone("example.com", "ref-dup2", &second);
	create_zone("example.com", "ref-dup3", &third);
	const struct r53_zone *zs[] = {&zone, &second, &third};
	static const char *const v[3][1] = {{"192.0.2.1"}, {"192.0.2.2"}, {"192.0.2.3"}};
	for (int i = 0; i < 3; i++) {
		struct rrset_spec a = {"www.example.com", "A", 300, {v[i][0]}};
		assert_int_equal(change1(R53_CREATE, &a, zs[i]->id), 0);
	}
	expect_dns("www.example.com.", "A", v[0], 1);
	char sql[256];
	snprintf(sql, sizeof sql,
		 "UPDATE zones SET created='2000-01-01T00:00:00.000Z' WHERE id IN ('%s','%s')",
		 second.id, third.id);
	assert_int_equal(store_exec(eng->store, sql), 0);
	restart(0);
	expect_dns("www.example.com.", "A", v[1], 1); /* same created: the first inserted */
	snprintf(sql, sizeof sql,
		 "UPDATE zones SET created='1999-12-31T23:59:59.999Z' WHERE id='%s'", third.id);
	assert_int_equal(store_exec(eng->store, sql), 0);
	restart(0);
	expect_dns("www.example.com.", "A", v[2], 1);
}

/* API threads come and go (one per connection): each reads through TestDNSAnswer as an RCU
 * reader while changes publish, and leaves the RCU registry when it exits. */
static void *answer_thread(void *arg)
{
	for (int i = 0; i < 50; i++) {
		struct r53_test_answer ta;
		struct r53_error e = {0};
		assert_int_equal(r53_test_dns_answer(eng, zone.id, "www.example.com", "A", &ta, &e),
				 0);
		assert_true(strcmp(ta.response_code, "NOERROR") == 0 ||
			    strcmp(ta.response_code, "NXDOMAIN") == 0);
		r53_test_answer_free(&ta);
	}
	return arg;
}

static void test_answer_threads(void **state)
{
	for (int round = 0; round < 3; round++) {
		pthread_t th[4];
		for (int i = 0; i < 4; i++)
			assert_int_equal(pthread_create(&th[i], NULL, answer_thread, NULL), 0);
		for (int k = 0; k < 20; k++) {
			char v[32];
			snprintf(v, sizeof v, "192.0.2.%d", k + 1);
			struct rrset_spec s = {"www.example.com", "A", 300, {v}};
			ok(R53_UPSERT, &s);
		}
		for (int i = 0; i < 4; i++)
			assert_int_equal(pthread_join(th[i], NULL), 0);
	}
	static const char *const v[] = {"192.0.2.20"};
	expect_dns("www.example.com.", "A", v, 1);
}

int main(void)
{
	/* This thread reads zone_db_get() as a DNS worker does: a registered qsbr reader. */
	rcu_register_thread();
	rcu_thread_offline();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_default_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_upsert_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_address_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_and_wildcards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pagination_5000, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aliases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_alias, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_and_test_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_name_zones, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_name_zones_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_threads, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rcu_unregister_thread();
	return rc;
}
