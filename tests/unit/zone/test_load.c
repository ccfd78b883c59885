/* Unit tests for zone/load.c: zone files in (with their errors) and out again. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/log.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "zone/load.h"
#include "zone/zone.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif
#define DATA SRCDIR "/tests/unit/zone/data/"

static const uint8_t origin[] = "\007example\003com";

/* Wire form of a presentation name. */
static const uint8_t *wire(const char *text)
{
	static uint8_t buf[4][DNS_NAME_MAXLEN];
	static int next;
	uint8_t *w = buf[next++ % 4];
	assert_true(dns_name_from_text(text, origin, w) > 0);
	return w;
}

static struct zone_version *load_ok(const char *text)
{
	struct zone_version *v = NULL;
	char err[512] = "";
	int r = zone_load_string(text, strlen(text), "t.zone", origin, &v, err, sizeof(err));
	if (r != 0)
		fail_msg("load failed (%d): %s", r, err);
	assert_non_null(v);
	return v;
}

/* The RRset of `type` at `name`, which must exist. */
static const struct zone_rrset *rrset(const struct zone_version *v, const char *name, uint16_t type,
				      const struct zone_node **node)
{
	const struct zone_node *n = zone_version_get(v, wire(name));
	if (!n)
		fail_msg("no node %s", name);
	const struct zone_rrset *rs = zone_node_rrset(n, type);
	if (!rs)
		fail_msg("no RRset %s/%u", name, type);
	if (node)
		*node = n;
	return rs;
}

/* The text of the i-th record of an RRset. */
static const char *rr_text(const struct zone_node *n, const struct zone_rrset *rs, unsigned i)
{
	static char text[65536];
	const uint8_t *p = zone_rrset_data(n, rs);
	for (unsigned k = 0; k < i; k++)
		p += 2 + (p[0] << 8 | p[1]);
	uint16_t len = (uint16_t)(p[0] << 8 | p[1]);
	assert_true(dns_rdata_to_text(rs->type, p + 2, len, text, sizeof(text)) >= 0);
	return text;
}

static const char *const good_zone = "$TTL 300\n"
				     "@ IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300\n"
				     "@ NS ns1\n"
				     "  NS ns2.example.net.\n"
				     "ns1 A 192.0.2.1\n"
				     "ns1 AAAA 2001:db8::1\n"
				     "www 60 CNAME @\n"
				     "@ MX 10 mail\n"
				     "mail IN 120 A 192.0.2.25 ; class, then TTL\n"
				     "_sip._tcp SRV 10 60 5060 sip\n"
				     "txt TXT \"hello\" \"world\"\n"
				     "sub NS ns.sub\n"
				     "ns.sub A 192.0.2.53\n"
				     "*.wild A 192.0.2.99\n"
				     "Upper.EXAMPLE.com. A 192.0.2.7\n"
				     "multi TXT ( \"line one\"\n"
				     "            \"line two\" )\n"
				     "$ORIGIN other.example.com.\n"
				     "x A 192.0.2.100\n"
				     "$TTL 1h\n"
				     "y A 192.0.2.101\n";

static void test_load_good(void **state)
{
	const struct zone_node *n;
	const struct zone_rrset *rs;
	(void)state;
	struct zone_version *v = load_ok(good_zone);
	assert_int_equal(v->nrecords, 17);
	assert_int_equal(zone_version_serial(v), 2024010101);
	assert_non_null(v->apex);

	rs = rrset(v, "@", DNS_T_SOA, &n);
	assert_int_equal(rs->count, 1);
	assert_int_equal(rs->ttl, 300);
	assert_string_equal(
		rr_text(n, rs, 0),
		"ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300");
	rs = rrset(v, "@", DNS_T_NS, &n);
	assert_int_equal(rs->count, 2);
	rs = rrset(v, "www", DNS_T_CNAME, &n);
	assert_int_equal(rs->ttl, 60);
	assert_string_equal(rr_text(n, rs, 0), "example.com.");
	rs = rrset(v, "mail", DNS_T_A, &n);
	assert_int_equal(rs->ttl, 120);
	assert_string_equal(rr_text(n, rs, 0), "192.0.2.25");
	rs = rrset(v, "@", DNS_T_MX, &n);
	assert_string_equal(rr_text(n, rs, 0), "10 mail.example.com.");
	rs = rrset(v, "_sip._tcp", DNS_T_SRV, &n);
	assert_string_equal(rr_text(n, rs, 0), "10 60 5060 sip.example.com.");
	rs = rrset(v, "txt", DNS_T_TXT, &n);
	assert_string_equal(rr_text(n, rs, 0), "\"hello\" \"world\"");
	rs = rrset(v, "multi", DNS_T_TXT, &n);
	assert_string_equal(rr_text(n, rs, 0), "\"line one\" \"line two\"");
	rrset(v, "sub", DNS_T_NS, NULL);
	rrset(v, "ns.sub", DNS_T_A, NULL);
	rrset(v, "*.wild", DNS_T_A, NULL);
	rrset(v, "upper", DNS_T_A, NULL); /* owners are stored in lower case */
	rs = rrset(v, "x.other", DNS_T_A, &n);
	assert_int_equal(rs->ttl, 300);
	rs = rrset(v, "y.other", DNS_T_A, &n);
	assert_int_equal(rs->ttl, 3600);
	/* Empty non-terminals exist as nodes without RRsets. */
	n = zone_version_get(v, wire("_tcp"));
	assert_non_null(n);
	assert_int_equal(n->nrrsets, 0);
	assert_null(zone_version_get(v, wire("nothing")));
	zone_version_free(v);
}

static void test_default_ttl(void **state)
{
	(void)state;
	struct zone_version *v = load_ok("@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n");
	assert_int_equal(rrset(v, "ns", DNS_T_A, NULL)->ttl, 3600);
	assert_int_equal(v->nrecords, 3);
	zone_version_free(v);
}

static void test_ttl_mismatch_warns(void **state)
{
	(void)state;
	enum log_level old = log_get_level();
	log_set_level(LOG_ERR); /* the warning is expected; keep the output quiet */
	struct zone_version *v = load_ok("@ SOA ns hm 1 2 3 4 5\n@ NS ns\n"
					 "ns 100 A 192.0.2.1\nns 200 A 192.0.2.2\n"
					 "ns 300 A 192.0.2.1\n");
	log_set_level(old);
	const struct zone_rrset *rs = rrset(v, "ns", DNS_T_A, NULL);
	assert_int_equal(rs->count, 2); /* the duplicate is one record (RFC 2181 §5) */
	assert_int_equal(rs->ttl, 100);
	zone_version_free(v);
}

static void test_empty_input(void **state)
{
	struct zone_version *v = NULL;
	char err[256];
	(void)state;
	assert_true(zone_load_string("", 0, "e.zone", origin, &v, err, sizeof(err)) < 0);
	assert_string_equal(err, "e.zone: no SOA record at the zone apex");
	assert_null(v);
	assert_true(zone_load_string(NULL, 0, "e.zone", origin, &v, err, sizeof(err)) < 0);
	assert_null(v);
}

/* ---- errors ---------------------------------------------------------------------------- */

#define HEAD "@ SOA ns hm 1 2 3 4 5\n@ NS ns\n"

static const struct {
	const char *text;
	const char *want; /* the message must start with this */
	int code;         /* 0: any negative code */
} bad_zones[] = {
	{HEAD "www A 192.0.2.999\n", "t.zone:3: invalid IPv4 address", -EINVAL},
	{"; comment\n\n" HEAD "www A 1.2.3.4\nfoo BAR 1\n", "t.zone:6: ", -EINVAL},
	{HEAD "www.example.net. A 192.0.2.1\n",
	 "t.zone:3: record is outside the zone (www.example.net. A)", ZONE_EOUTSIDE},
	{HEAD "com. A 192.0.2.1\n", "t.zone:3: record is outside the zone", ZONE_EOUTSIDE},
	{HEAD "www CNAME @\nwww A 192.0.2.1\n",
	 "t.zone:4: CNAME and other data at the same name (www.example.com. A)", ZONE_ECNAME},
	{HEAD "www A 192.0.2.1\n\nwww CNAME @\n", "t.zone:5: CNAME and other data at the same name",
	 ZONE_ECNAME},
	{HEAD "www CNAME a\nwww CNAME b\n", "t.zone:4: more than one CNAME record at the same name",
	 ZONE_ECNAME_MULTI},
	{"@ NS ns\nns A 192.0.2.1\n", "t.zone: no SOA record at the zone apex", ZONE_ENOSOA},
	{"@ SOA ns hm 1 2 3 4 5\nns A 192.0.2.1\n", "t.zone: no NS records at the zone apex",
	 ZONE_ENONS},
	{"@ SOA ns hm 1 2 3 4 5\nsub NS ns\n", "t.zone: no NS records at the zone apex",
	 ZONE_ENONS},
	{HEAD "sub SOA ns hm 1 2 3 4 5\n", "t.zone:3: SOA record below the zone apex",
	 ZONE_ESOA_NOT_APEX},
	{HEAD "@ SOA ns hm 2 2 3 4 5\n", "t.zone:3: more than one SOA record", ZONE_EMULTI_SOA},
	{HEAD "www A \\# 3 010203\n", "t.zone:3: malformed record data (www.example.com. A)",
	 ZONE_ERDATA},
	{HEAD "txt TXT \\# 2 0501\n", "t.zone:3: malformed record data", ZONE_ERDATA},
	{HEAD "www CH A 192.0.2.1\n", "t.zone:3: ", -EINVAL},
	{HEAD "www TYPE255 \\# 0\n", "t.zone:3: record type or class not allowed in a zone",
	 ZONE_ETYPE},
	{HEAD "www AXFR \\# 0\n", "t.zone:3: ", 0},
	{HEAD "$INCLUDE /etc/hostname\n", "t.zone:3: $INCLUDE is not allowed here", -EPERM},
	{HEAD "www TXT ( \"a\"\n\"b\"\n", "t.zone:", -EINVAL},
	{HEAD "www A 192.0.2.1 )\n", "t.zone:3: ", -EINVAL},
	{HEAD "$TTL x\n", "t.zone:3: ", -EINVAL},
	{HEAD "$ORIGIN relative\n", "t.zone:3: ", -EINVAL},
	{HEAD "$FOO\n", "t.zone:3: ", -EINVAL},
	{HEAD "www 4294967296 A 192.0.2.1\n", "t.zone:3: ", -EINVAL},
	{HEAD "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa A 192.0.2.1\n",
	 "t.zone:3: ", -EINVAL},
	{HEAD "www MX mail\n", "t.zone:3: ", -EINVAL},
	{HEAD "\n\n\n\n\nwww HTTPS 1 . port=1 port=2\n", "t.zone:8: ", -EINVAL},
	{HEAD "www A 192.0.2.1\r\n", "t.zone:3: ", -EINVAL},
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_zones) / sizeof(bad_zones[0]); i++) {
		struct zone_version *v = NULL;
		char err[512] = "";
		const char *text = bad_zones[i].text;
		int r = zone_load_string(text, strlen(text), "t.zone", origin, &v, err,
					 sizeof(err));
		if (r >= 0)
			fail_msg("case %zu loaded", i);
		if (bad_zones[i].code != 0 && r != bad_zones[i].code)
			fail_msg("case %zu: code %d, want %d (%s)", i, r, bad_zones[i].code, err);
		if (strncmp(err, bad_zones[i].want, strlen(bad_zones[i].want)) != 0)
			fail_msg("case %zu: '%s', want '%s...'", i, err, bad_zones[i].want);
		assert_true(strlen(err) > strlen("t.zone: "));
		assert_null(v);
	}
}

static void test_error_buffer(void **state)
{
	struct zone_version *v = NULL;
	char err[8];
	const char *text = HEAD "www A 192.0.2.999\n";
	(void)state;
	assert_int_equal(
		zone_load_string(text, strlen(text), "t.zone", origin, &v, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "t.zone:");
	assert_int_equal(zone_load_string(text, strlen(text), "t.zone", origin, &v, NULL, 0),
			 -EINVAL);
	assert_null(v);
}

/* ---- files and $INCLUDE ---------------------------------------------------------------- */

static void test_load_file(void **state)
{
	struct zone_version *v = NULL;
	char err[PATH_MAX + 256] = "";
	const struct zone_node *n;
	const struct zone_rrset *rs;
	(void)state;
	int r = zone_load_file(DATA "load-main.zone", origin, &v, err, sizeof(err));
	if (r != 0)
		fail_msg("%s", err);
	assert_int_equal(v->nrecords, 8);
	assert_int_equal(zone_version_serial(v), 2024010101);
	rs = rrset(v, "@", DNS_T_SOA, &n);
	assert_string_equal(
		rr_text(n, rs, 0),
		"ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300");
	/* load-hosts.inc: the including file's origin and $TTL. */
	rs = rrset(v, "ns1", DNS_T_A, &n);
	assert_int_equal(rs->ttl, 300);
	assert_string_equal(rr_text(n, rs, 0), "192.0.2.1");
	rs = rrset(v, "www", DNS_T_A, &n);
	assert_int_equal(rs->ttl, 600);
	/* load-sub.inc: the origin the $INCLUDE gave. */
	rs = rrset(v, "sub", DNS_T_A, &n);
	assert_string_equal(rr_text(n, rs, 0), "192.0.2.10");
	rs = rrset(v, "www.sub", DNS_T_A, &n);
	assert_string_equal(rr_text(n, rs, 0), "192.0.2.11");
	/* After an $INCLUDE the including file's origin applies again (RFC 1035 §5.1). */
	rs = rrset(v, "mail", DNS_T_A, &n);
	assert_string_equal(rr_text(n, rs, 0), "192.0.2.25");
	zone_version_free(v);
}

static void test_file_errors(void **state)
{
	struct zone_version *v = NULL;
	char err[PATH_MAX + 256] = "";
	char want[PATH_MAX + 256];
	char dir[PATH_MAX];
	(void)state;
	assert_non_null(realpath(DATA, dir));

	/* An error inside an included file names that file and its line. */
	int r = zone_load_file(DATA "load-bad-include.zone", origin, &v, err, sizeof(err));
	assert_int_equal(r, -EINVAL);
	snprintf(want, sizeof(want), "%s/load-bad.inc:2: invalid IPv4 address", dir);
	assert_string_equal(err, want);

	r = zone_load_file(DATA "load-missing-include.zone", origin, &v, err, sizeof(err));
	assert_int_equal(r, -ENOENT);
	snprintf(want, sizeof(want), DATA "load-missing-include.zone:3: cannot include %s/", dir);
	assert_memory_equal(err, want, strlen(want));
	assert_non_null(strstr(err, "load-no-such-file.inc: No such file or directory"));

	r = zone_load_file(DATA "load-loop.zone", origin, &v, err, sizeof(err));
	assert_int_equal(r, -ELOOP);
	assert_non_null(strstr(err, "load-loop.zone:2: $INCLUDE nested too deeply"));

	r = zone_load_file(DATA "no-such.zone", origin, &v, err, sizeof(err));
	assert_int_equal(r, -ENOENT);
	assert_string_equal(err, DATA "no-such.zone: No such file or directory");

	r = zone_load_file(DATA, origin, &v, err, sizeof(err));
	assert_true(r < 0);
	assert_memory_equal(err, DATA ": ", strlen(DATA ": "));
	assert_null(v);
}

/* ---- dump → load ----------------------------------------------------------------------- */

static const char *const all_types_zone =
	"$TTL 300\n"
	"@ SOA ns1 hostmaster 7 7200 3600 1209600 300\n"
	"@ NS ns1\n"
	"@ NS ns2.example.net.\n"
	"@ MX 10 mail\n"
	"@ MX 20 mail2.example.net.\n"
	"@ TXT \"v=spf1 -all\"\n"
	"@ SPF \"v=spf1 -all\"\n"
	"@ CAA 0 issue \"ca.example.net; account=1\"\n"
	"@ CAA 128 tbs \"\\\"quoted\\\" \\\\ \\255\"\n"
	"@ HTTPS 1 . alpn=h2,h3 port=443 ipv4hint=192.0.2.1 ech=AAEC ipv6hint=2001:db8::1\n"
	"@ DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rA"
	"K9iUzy1L53eKGQ==\n"
	"ns1 A 192.0.2.1\n"
	"ns1 AAAA 2001:db8::1\n"
	"ns1 AAAA ::ffff:192.0.2.1\n"
	"www 60 CNAME @\n"
	"ptr PTR host.example.net.\n"
	"hinfo HINFO \"PC\" \"Linux 6\"\n"
	"txt TXT \"a\" \"b\\\"c\" \"\\000\\010;()\" \"\"\n"
	"txt TXT \"second record\"\n"
	"_sip._tcp SRV 10 60 5060 sip\n"
	"naptr NAPTR 100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .\n"
	"dname DNAME example.net.\n"
	"sub NS ns.sub\n"
	"sub DS 12345 8 2 49fd46e6c4b45c55d4ac69cbd3cd34ac1afe51de5e7d5eef2ab4a76c0e0e6e2b\n"
	"ns.sub A 192.0.2.53\n"
	"ssh SSHFP 1 1 123456789abcdef67890123456789abcdef67890\n"
	"_443._tcp.www TLSA 3 1 1 0d6fce3b6d1f6c5e7a0c8d8e3d0a1b2c\n"
	"svc SVCB 0 svc.example.net.\n"
	"svc2 SVCB 16 foo mandatory=alpn alpn=h3 key65000=\"x y\" key65001\n"
	"sig RRSIG A 8 2 3600 20300101000000 20200101000000 12345 example.com. AAECAwQ=\n"
	"sig NSEC z.example.com. A RRSIG NSEC TYPE1234\n"
	"*.wild A 192.0.2.99\n"
	"unknown TYPE65534 \\# 3 abcdef\n"
	"unknown TYPE65533 \\# 0\n"
	"loc LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m\n"
	"a\\.b\\032c A 192.0.2.3\n"
	"caps A 192.0.2.4\n";

static char *dump(const struct zone_version *v, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	assert_non_null(f);
	assert_int_equal(zone_dump(v, f), 0);
	fclose(f);
	return buf;
}

struct cmp_ctx {
	const struct zone_version *other;
	size_t nodes;
};

static void cmp_node(const struct zone_node *a, void *ctx)
{
	struct cmp_ctx *c = ctx;
	const struct zone_node *b = zone_version_get(c->other, zone_node_name(a));
	c->nodes++;
	assert_non_null(b);
	assert_int_equal(a->nrrsets, b->nrrsets);
	for (unsigned i = 0; i < a->nrrsets; i++) {
		const struct zone_rrset *x = &a->rrsets[i], *y = &b->rrsets[i];
		assert_int_equal(x->type, y->type);
		assert_int_equal(x->ttl, y->ttl);
		assert_int_equal(x->count, y->count);
		assert_int_equal(x->len, y->len);
		assert_memory_equal(zone_rrset_data(a, x), zone_rrset_data(b, y), x->len);
	}
}

/* Same nodes, RRsets, TTLs and rdata, both ways. */
static void assert_same_zone(const struct zone_version *a, const struct zone_version *b)
{
	struct cmp_ctx c = {b, 0};
	assert_int_equal(a->nnodes, b->nnodes);
	assert_int_equal(a->nrecords, b->nrecords);
	zone_version_walk(a, cmp_node, &c);
	assert_int_equal(c.nodes, a->nnodes);
	c = (struct cmp_ctx){a, 0};
	zone_version_walk(b, cmp_node, &c);
}

static void round_trip(struct zone_version *v)
{
	size_t len1, len2;
	char err[512] = "";
	struct zone_version *w = NULL;
	char *text1 = dump(v, &len1);
	int r = zone_load_string(text1, len1, "dump", origin, &w, err, sizeof(err));
	if (r != 0)
		fail_msg("dump does not load: %s\n%s", err, text1);
	assert_same_zone(v, w);
	char *text2 = dump(w, &len2);
	assert_string_equal(text1, text2);
	free(text1);
	free(text2);
	zone_version_free(w);
}

static void test_dump_round_trip(void **state)
{
	(void)state;
	struct zone_version *v = load_ok(all_types_zone);
	assert_int_equal(v->nrecords, 37);
	round_trip(v);
	zone_version_free(v);

	v = load_ok(good_zone);
	round_trip(v);
	zone_version_free(v);

	char err[PATH_MAX + 256];
	v = NULL;
	assert_int_equal(zone_load_file(DATA "load-main.zone", origin, &v, err, sizeof(err)), 0);
	round_trip(v);
	zone_version_free(v);
}

static void test_dump_format(void **state)
{
	(void)state;
	struct zone_version *v = load_ok("$TTL 300\n"
					 "b A 192.0.2.2\n"
					 "@ MX 10 mail\n"
					 "a.b TXT \"x\"\n"
					 "@ NS ns\n"
					 "@ SOA ns hm 1 2 3 4 5\n"
					 "@ A 192.0.2.1\n"
					 "a A 192.0.2.1\n"
					 "Z 60 AAAA ::1\n");
	size_t len;
	char *text = dump(v, &len);
	assert_string_equal(text,
			    "$ORIGIN example.com.\n"
			    "example.com. 300 IN SOA ns.example.com. hm.example.com. 1 2 3 4 5\n"
			    "example.com. 300 IN A 192.0.2.1\n"
			    "example.com. 300 IN NS ns.example.com.\n"
			    "example.com. 300 IN MX 10 mail.example.com.\n"
			    "a.example.com. 300 IN A 192.0.2.1\n"
			    "b.example.com. 300 IN A 192.0.2.2\n"
			    "a.b.example.com. 300 IN TXT \"x\"\n"
			    "z.example.com. 60 IN AAAA ::1\n");
	free(text);
	zone_version_free(v);
}

static void test_dump_write_error(void **state)
{
	(void)state;
	struct zone_version *v = load_ok(good_zone);
	FILE *f = fopen("/dev/full", "w");
	if (f) {
		assert_int_equal(zone_dump(v, f), -EIO);
		fclose(f);
	}
	zone_version_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_good),
		cmocka_unit_test(test_default_ttl),
		cmocka_unit_test(test_ttl_mismatch_warns),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_dump_format),
		cmocka_unit_test(test_dump_write_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
