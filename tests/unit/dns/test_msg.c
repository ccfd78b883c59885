/* Unit tests for dns/msg: query parsing, EDNS(0), and every way a query can be malformed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns/msg.h"

/* A query for www.example.com/A with the given header fields, then `extra` bytes. */
static size_t build(uint8_t *buf, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
		    uint16_t ar, const void *extra, size_t extra_len)
{
	uint8_t h[12] = {0x12,
			 0x34,
			 (uint8_t)(flags >> 8),
			 (uint8_t)flags,
			 0,
			 (uint8_t)qd,
			 0,
			 (uint8_t)an,
			 0,
			 (uint8_t)ns,
			 0,
			 (uint8_t)ar};
	memcpy(buf, h, 12);
	memcpy(buf + 12, "\003www\007example\003com\000\000\001\000\001", 21);
	if (extra_len)
		memcpy(buf + 33, extra, extra_len);
	return 33 + extra_len;
}

static const uint8_t opt0[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0}; /* 1232, DO */
static const uint8_t opt1[] = {0, 0, 41, 0x02, 0x00, 0, 1, 0, 0, 0, 0};    /* version 1 */
static const uint8_t optx[] = {0, 0, 41, 0x02, 0x00, 0, 0, 0, 0, 0,
			       8, 0, 10, 0,    4,    1, 2, 3, 4}; /* a cookie-sized option */

static void test_plain(void **state)
{
	uint8_t buf[512];
	struct dns_query q;
	size_t len = build(buf, 0x0100, 1, 0, 0, 0, NULL, 0);
	assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_OK);
	assert_int_equal(q.id, 0x1234);
	assert_int_equal(q.qtype, 1);
	assert_int_equal(q.qclass, 1);
	assert_int_equal(q.qname_len, 17);
	assert_int_equal(q.question_end, 33);
	assert_false(q.edns);
}

static void test_edns(void **state)
{
	uint8_t buf[512];
	struct dns_query q;
	size_t len = build(buf, 0, 1, 0, 0, 1, opt0, sizeof(opt0));
	assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_OK);
	assert_true(q.edns);
	assert_true(q.edns_do);
	assert_int_equal(q.edns_udp_size, 1232);
	len = build(buf, 0, 1, 0, 0, 1, optx, sizeof(optx));
	assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_OK);
	assert_false(q.edns_do);
	len = build(buf, 0, 1, 0, 0, 1, opt1, sizeof(opt1));
	assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_ERROR);
	assert_int_equal(q.rcode, DNS_RC_BADVERS);
	assert_int_equal(q.qname_len, 17);
}

static void test_formerr(void **state)
{
	uint8_t buf[512], two[sizeof(opt0) * 2];
	struct dns_query q;
	memcpy(two, opt0, sizeof(opt0));
	memcpy(two + sizeof(opt0), opt0, sizeof(opt0));
	struct {
		uint16_t qd, an, ns, ar;
		const uint8_t *extra;
		size_t len;
	} cases[] = {
		{0, 0, 0, 0, NULL, 0},                /* QDCOUNT 0 */
		{2, 0, 0, 0, NULL, 0},                /* QDCOUNT 2, one question */
		{1, 0, 0, 1, NULL, 0},                /* ARCOUNT 1, no RR */
		{1, 0, 0, 2, two, sizeof(two)},       /* two OPT records */
		{1, 1, 0, 0, opt0, sizeof(opt0)},     /* OPT in the answer section */
		{1, 0, 1, 0, opt0, sizeof(opt0)},     /* OPT in the authority section */
		{1, 0, 0, 1, opt0, sizeof(opt0) - 1}, /* rdata past the end */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = build(buf, 0, cases[i].qd, cases[i].an, cases[i].ns, cases[i].ar,
				   cases[i].extra, cases[i].len);
		assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_ERROR);
		assert_int_equal(q.rcode, DNS_RC_FORMERR);
	}
	/* OPT not owned by the root */
	uint8_t owned[] = {1, 'a', 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0};
	size_t len = build(buf, 0, 1, 0, 0, 1, owned, sizeof(owned));
	assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_ERROR);
	/* options that do not fill the OPT rdata exactly */
	uint8_t badopt[] = {0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 5, 0, 10, 0, 8, 1};
	len = build(buf, 0, 1, 0, 0, 1, badopt, sizeof(badopt));
	assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_ERROR);
	/* a truncated question */
	len = build(buf, 0, 1, 0, 0, 0, NULL, 0);
	assert_int_equal(dns_query_parse(buf, len - 3, &q), DNS_PARSE_ERROR);
	assert_int_equal(q.qname_len, 0);
}

static void test_drop_and_notimp(void **state)
{
	uint8_t buf[512];
	struct dns_query q;
	size_t len = build(buf, 0x8000, 1, 0, 0, 0, NULL, 0);
	assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_DROP); /* QR=1 */
	assert_int_equal(dns_query_parse(buf, 11, &q), DNS_PARSE_DROP);  /* short header */
	len = build(buf, 7 << 11, 1, 0, 0, 0, NULL, 0);
	assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_ERROR);
	assert_int_equal(q.rcode, DNS_RC_NOTIMP);
	len = build(buf, DNS_OP_NOTIFY << 11, 1, 0, 0, 0, NULL, 0);
	assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_ERROR);
	assert_int_equal(q.rcode, DNS_RC_NOTIMP);
}

static void test_tsig(void **state)
{
	uint8_t buf[512];
	struct dns_query q;
	uint8_t tsig[] = {0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 0};
	size_t len = build(buf, 0, 1, 0, 0, 1, tsig, sizeof(tsig));
	assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_ERROR);
	assert_int_equal(q.rcode, DNS_RC_NOTAUTH);
	/* TSIG not last */
	uint8_t both[sizeof(tsig) + sizeof(opt0)];
	memcpy(both, tsig, sizeof(tsig));
	memcpy(both + sizeof(tsig), opt0, sizeof(opt0));
	len = build(buf, 0, 1, 0, 0, 2, both, sizeof(both));
	assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_ERROR);
	assert_int_equal(q.rcode, DNS_RC_FORMERR);
}

/* Names in rdata must parse and stay inside it (RFC 9267). */
static void test_rdata_names(void **state)
{
	uint8_t buf[512];
	struct dns_query q;
	/* NS record in the answer section, owner = the qname (c0 0c), rdata = pointer to itself */
	uint8_t self[] = {0xc0, 0x0c, 0, 2, 0, 1, 0, 0, 0, 0, 0, 2, 0xc0, 0x2d};
	size_t len = build(buf, 0, 1, 1, 0, 0, self, sizeof(self));
	assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_ERROR);
	assert_int_equal(q.rcode, DNS_RC_FORMERR);
	/* a name running past rdlength */
	uint8_t past[] = {0xc0, 0x0c, 0, 2, 0, 1, 0, 0, 0, 0, 0, 2, 1, 'a', 0};
	len = build(buf, 0, 1, 1, 0, 0, past, sizeof(past));
	assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_ERROR);
	/* a good one: pointer back to the qname */
	uint8_t good[] = {0xc0, 0x0c, 0, 2, 0, 1, 0, 0, 0, 0, 0, 2, 0xc0, 0x0c};
	len = build(buf, 0, 1, 1, 0, 0, good, sizeof(good));
	assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_OK);
}

/* Every prefix of a valid query with EDNS either parses or is refused; none crashes. */
static void test_prefixes(void **state)
{
	uint8_t buf[512];
	struct dns_query q;
	size_t len = build(buf, 0, 1, 0, 0, 1, optx, sizeof(optx));
	for (size_t i = 0; i < len; i++)
		assert_int_not_equal(dns_query_parse(buf, i, &q), DNS_PARSE_OK);
	assert_int_equal(dns_query_parse(buf, len, &q), DNS_PARSE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),    cmocka_unit_test(test_edns),
		cmocka_unit_test(test_formerr),  cmocka_unit_test(test_drop_and_notimp),
		cmocka_unit_test(test_tsig),     cmocka_unit_test(test_rdata_names),
		cmocka_unit_test(test_prefixes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
