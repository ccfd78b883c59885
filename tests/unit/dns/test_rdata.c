/* Unit tests for dns/rdata.c: type mnemonics, text ↔ wire round trips, checks, name offsets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/cursor.h"
#include "dns/name.h"
#include "dns/rdata.h"

#define MAXTEXT (4 * 65536 + 64)

static const uint8_t origin[] = "\007example\003com"; /* the literal's NUL is the root label */

static char text1[MAXTEXT], text2[MAXTEXT];

/* ---- type mnemonics -------------------------------------------------------------------- */

static void test_type_names(void **state)
{
	static const struct {
		const char *name;
		int type;
	} known[] = {
		{"A", 1},      {"NS", 2},       {"CNAME", 5},   {"SOA", 6},         {"PTR", 12},
		{"HINFO", 13}, {"MX", 15},      {"TXT", 16},    {"AAAA", 28},       {"SRV", 33},
		{"NAPTR", 35}, {"DNAME", 39},   {"OPT", 41},    {"DS", 43},         {"SSHFP", 44},
		{"RRSIG", 46}, {"NSEC", 47},    {"DNSKEY", 48}, {"TLSA", 52},       {"SVCB", 64},
		{"HTTPS", 65}, {"SPF", 99},     {"TSIG", 250},  {"IXFR", 251},      {"AXFR", 252},
		{"ANY", 255},  {"CAA", 257},    {"LOC", 29},    {"NSEC3", 50},      {"URI", 256},
		{"CDS", 59},   {"CDNSKEY", 60}, {"ZONEMD", 63}, {"OPENPGPKEY", 61},
	};
	char buf[16];
	(void)state;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		assert_int_equal(dns_type_from_text(known[i].name), known[i].type);
		assert_string_equal(dns_type_to_text((uint16_t)known[i].type, buf, sizeof(buf)),
				    known[i].name);
	}
	assert_int_equal(dns_type_from_text("aaaa"), DNS_T_AAAA);
	assert_int_equal(dns_type_from_text("Https"), DNS_T_HTTPS);
	assert_int_equal(dns_type_from_text("TYPE65534"), 65534);
	assert_int_equal(dns_type_from_text("type1"), 1);
	assert_int_equal(dns_type_from_text("TYPE0"), 0);
	assert_int_equal(dns_type_from_text("TYPE65535"), 65535);
	assert_int_equal(dns_type_from_text("TYPE65536"), -1);
	assert_int_equal(dns_type_from_text("TYPE0000001"), -1);
	assert_int_equal(dns_type_from_text("TYPE"), -1);
	assert_int_equal(dns_type_from_text("TYPE1x"), -1);
	assert_int_equal(dns_type_from_text("TYPE-1"), -1);
	assert_int_equal(dns_type_from_text("FOO"), -1);
	assert_int_equal(dns_type_from_text(""), -1);
	assert_int_equal(dns_type_from_text("A "), -1);
	assert_string_equal(dns_type_to_text(65534, buf, sizeof(buf)), "TYPE65534");
	assert_string_equal(dns_type_to_text(0, buf, sizeof(buf)), "TYPE0");
	/* Every type's text reads back as that type. */
	for (uint32_t t = 0; t <= UINT16_MAX; t++)
		assert_int_equal(
			dns_type_from_text(dns_type_to_text((uint16_t)t, buf, sizeof(buf))),
			(int)t);
}

/* ---- round trips ----------------------------------------------------------------------- */

struct rt_case {
	const char *type;
	const char *in;
	const char *out; /* NULL: only the wire must survive the round trip */
};

static const struct rt_case rt_cases[] = {
	{"A", "192.0.2.1", "192.0.2.1"},
	{"A", "0.0.0.0", "0.0.0.0"},
	{"A", "255.255.255.255", "255.255.255.255"},
	{"A", "\\# 4 C0000201", "192.0.2.1"},
	{"A", "  10.1.2.3  ; a comment", "10.1.2.3"},
	{"AAAA", "2001:db8::1", "2001:db8::1"},
	{"AAAA", "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
	{"AAAA", "::", "::"},
	{"AAAA", "::1", "::1"},
	{"AAAA", "::ffff:192.0.2.1", "::ffff:192.0.2.1"},
	{"AAAA", "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
	{"AAAA", "fe80:0:0:0:1:2:3:4", "fe80::1:2:3:4"},
	{"AAAA", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
	{"NS", "ns1", "ns1.example.com."},
	{"NS", "NS1.Example.COM.", "NS1.Example.COM."},
	{"NS", "@", "example.com."},
	{"NS", "a\\.b.example.net.", "a\\.b.example.net."},
	{"NS", "a\\032b\\(c\\)\\;.net.", "a\\032b\\(c\\)\\;.net."},
	{"NS", "\\# 3 016100", "a."},
	{"CNAME", "www", "www.example.com."},
	{"CNAME", ".", "."},
	{"CNAME", "*.example.org.", "*.example.org."},
	{"CNAME", "_sip._tcp.example.org.", "_sip._tcp.example.org."},
	{"SOA", "ns1 hostmaster 2024010101 2h 1h 1w 300",
	 "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 604800 300"},
	{"SOA", "( a. b. 4294967295 0 1 2 3 )", "a. b. 4294967295 0 1 2 3"},
	{"SOA", "ns.example.net. h\\.q.example.net. 1 2 3 4 5",
	 "ns.example.net. h\\.q.example.net. 1 2 3 4 5"},
	{"PTR", "host.example.net.", "host.example.net."},
	{"PTR", "1.2.0.192.in-addr.arpa.", "1.2.0.192.in-addr.arpa."},
	{"HINFO", "\"PC\" Linux", "\"PC\" \"Linux\""},
	{"HINFO", "\"a b\" \"\"", "\"a b\" \"\""},
	{"MX", "10 mail", "10 mail.example.com."},
	{"MX", "0 .", "0 ."},
	{"MX", "65535 mx.example.net.", "65535 mx.example.net."},
	{"TXT", "\"hello world\"", "\"hello world\""},
	{"TXT", "a b c", "\"a\" \"b\" \"c\""},
	{"TXT", "\"\"", "\"\""},
	{"TXT", "\"\" \"\"", "\"\" \"\""},
	{"TXT", "\"quote\\\" and \\\\ back\"", "\"quote\\\" and \\\\ back\""},
	{"TXT", "\"tab\\009nul\\000hi\\255\"", "\"tab\\009nul\\000hi\\255\""},
	{"TXT", "\"v=spf1 -all; (x)\"", "\"v=spf1 -all; (x)\""},
	{"TXT", "\"\\h\\i\"", "\"hi\""},
	{"TXT", "\\# 6 0568656C6C6F", "\"hello\""},
	{"TXT", "\"utf-8: \\195\\169\"", "\"utf-8: \\195\\169\""},
	{"SPF", "\"v=spf1 ip4:192.0.2.0/24 -all\"", "\"v=spf1 ip4:192.0.2.0/24 -all\""},
	{"SPF", "\"v=spf1\" \"-all\"", "\"v=spf1\" \"-all\""},
	{"SRV", "10 60 5060 sip", "10 60 5060 sip.example.com."},
	{"SRV", "0 0 0 .", "0 0 0 ."},
	{"SRV", "65535 65535 65535 t.example.net.", "65535 65535 65535 t.example.net."},
	{"NAPTR", "100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .",
	 "100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" ."},
	{"NAPTR", "1 2 \"\" \"\" \"\" replacement", "1 2 \"\" \"\" \"\" replacement.example.com."},
	{"NAPTR", "10 100 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
	 "10 100 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.com."},
	{"DNAME", "example.net.", "example.net."},
	{"DNAME", "sub", "sub.example.com."},
	{"DS", "12345 8 2 49fd46e6c4b45c55d4ac69cbd3cd34ac1afe51de5e7d5eef2ab4a76c0e0e6e2b",
	 "12345 8 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE5E7D5EEF2AB4A76C0E0E6E2B"},
	{"DS", "1 13 2 ab cd ef", "1 13 2 ABCDEF"},
	{"DS", "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
	 "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"},
	{"SSHFP", "1 1 123456789abcdef67890123456789abcdef67890",
	 "1 1 123456789ABCDEF67890123456789ABCDEF67890"},
	{"SSHFP", "4 2 0102", "4 2 0102"},
	{"RRSIG", "A 8 2 3600 20300101000000 20200101000000 12345 example.com. AAECAwQ=",
	 "A 8 2 3600 20300101000000 20200101000000 12345 example.com. AAECAwQ="},
	{"RRSIG", "TYPE65534 13 0 0 4294967295 1577836800 0 . AA==",
	 "TYPE65534 13 0 0 21060207062815 20200101000000 0 . AA=="},
	{"RRSIG", "SOA 8 2 300 20240229235959 19700101000000 1 sig.example. AAEC",
	 "SOA 8 2 300 20240229235959 19700101000000 1 sig.example. AAEC"},
	{"NSEC", "a.example.com. A NS SOA RRSIG NSEC DNSKEY",
	 "a.example.com. A NS SOA RRSIG NSEC DNSKEY"},
	{"NSEC", "b. A TYPE1234 CAA TYPE65535", "b. A CAA TYPE1234 TYPE65535"},
	{"NSEC", "next", "next.example.com."},
	{"DNSKEY",
	 "257 3 13 "
	 "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
	 "257 3 13 "
	 "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ="
	 "="},
	{"DNSKEY", "256 3 8 AwEA AQ==", "256 3 8 AwEAAQ=="},
	{"TLSA", "3 1 1 0d6fce3b6d1f6c5e7a0c8d8e3d0a1b2c3d4e5f60718293a4b5c6d7e8f9012345",
	 "3 1 1 0D6FCE3B6D1F6C5E7A0C8D8E3D0A1B2C3D4E5F60718293A4B5C6D7E8F9012345"},
	{"TLSA", "0 0 2 ff", "0 0 2 FF"},
	{"SVCB", "1 . alpn=h2,h3", "1 . alpn=h2,h3"},
	{"SVCB", "0 svc.example.net.", "0 svc.example.net."},
	{"SVCB", "16 foo port=53 key65000=abc key65001",
	 "16 foo.example.com. port=53 key65000=\"abc\" key65001"},
	{"SVCB", "1 . key7=\"/dns-query{?dns}\"", "1 . key7=\"/dns-query{?dns}\""},
	{"SVCB", "1 . key65534=\"a\\\"b\\\\c\\000 d\"", "1 . key65534=\"a\\\"b\\\\c\\000 d\""},
	{"HTTPS",
	 "1 . alpn=h2,h3 no-default-alpn port=443 ipv4hint=192.0.2.1,192.0.2.2 "
	 "ech=AEn+DQBFKwAgACABWIHUGj4u+"
	 "PIggYXcR5JF0gYk3dCRioBW8uJq9H4mKAAIAAEAAQABAANAEnB1YmxpYy50bHMtZWNoLmRldgAA "
	 "ipv6hint=2001:db8::1,2001:db8::53:1 mandatory=alpn,port",
	 "1 . mandatory=alpn,port alpn=h2,h3 no-default-alpn port=443 ipv4hint=192.0.2.1,192.0.2.2 "
	 "ech=AEn+DQBFKwAgACABWIHUGj4u+"
	 "PIggYXcR5JF0gYk3dCRioBW8uJq9H4mKAAIAAEAAQABAANAEnB1YmxpYy50bHMtZWNoLmRldgAA "
	 "ipv6hint=2001:db8::1,2001:db8::53:1"},
	{"HTTPS", "0 www.example.net.", "0 www.example.net."},
	{"HTTPS", "2 . alpn=\"h3\"", "2 . alpn=h3"},
	{"HTTPS", "1 . alpn=\"a\\\\,b,c\"", "1 . key1=\"\\003a,b\\001c\""},
	{"HTTPS", "1 . key1=\"\\002h2\"", "1 . alpn=h2"},
	{"HTTPS", "1 . alpn=h3,h", "1 . alpn=h3,h"},
	{"HTTPS", "1 . key1=\"\\001h\\002h3\"", "1 . key1=\"\\001h\\002h3\""},
	{"HTTPS", "3 svc mandatory=ipv4hint ipv4hint=10.0.0.1",
	 "3 svc.example.com. mandatory=ipv4hint ipv4hint=10.0.0.1"},
	{"CAA", "0 issue \"ca.example.net\"", "0 issue \"ca.example.net\""},
	{"CAA", "0 issue ca.example.net", "0 issue \"ca.example.net\""},
	{"CAA", "128 tbs \"Unknown\"", "128 tbs \"Unknown\""},
	{"CAA", "0 iodef \"mailto:security@example.com\"",
	 "0 iodef \"mailto:security@example.com\""},
	{"CAA", "0 issue \"ca.example.net; account=230123\"",
	 "0 issue \"ca.example.net; account=230123\""},
	{"CAA", "0 issuewild \";\"", "0 issuewild \";\""},
	{"CAA", "0 issue \"\"", "0 issue \"\""},
	{"CAA", "0 issue \"\\\"\\\\\\255\"", "0 issue \"\\\"\\\\\\255\""},
	{"TYPE65534", "\\# 2 abcd", "\\# 2 ABCD"},
	{"TYPE65534", "\\# 0", "\\# 0"},
	{"TYPE65534", "\\# 5 01 02 0304 05", "\\# 5 0102030405"},
	{"TYPE260", "\\# 1 ff", "\\# 1 FF"},
	{"LOC", "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m",
	 "\\# 16 000016138B3CF018810CBCE0009895B8"},
	{"RP", "mbox.example.com. txt.example.com.", NULL},
};

/* text → wire → text → wire: the second text must match and both wires must be equal. */
static void round_trip(const struct rt_case *c)
{
	uint8_t w1[65535], w2[65535];
	char err[256] = "";
	int type = dns_type_from_text(c->type);
	assert_true(type >= 0);
	int n1 = dns_rdata_from_text((uint16_t)type, c->in, origin, w1, sizeof(w1), err,
				     sizeof(err));
	if (n1 < 0)
		fail_msg("%s '%s': %s", c->type, c->in, err);
	assert_true(dns_rdata_valid((uint16_t)type, w1, (size_t)n1));
	int t1 = dns_rdata_to_text((uint16_t)type, w1, (size_t)n1, text1, sizeof(text1));
	if (t1 < 0)
		fail_msg("%s '%s': no text", c->type, c->in);
	assert_int_equal(t1, strlen(text1));
	if (c->out && strcmp(text1, c->out) != 0)
		fail_msg("%s '%s': got '%s', want '%s'", c->type, c->in, text1, c->out);
	/* What we write is absolute: it reads back with no origin. */
	int n2 = dns_rdata_from_text((uint16_t)type, text1, NULL, w2, sizeof(w2), err, sizeof(err));
	if (n2 < 0)
		fail_msg("%s '%s' → '%s': %s", c->type, c->in, text1, err);
	assert_int_equal(n1, n2);
	assert_memory_equal(w1, w2, (size_t)n1);
	assert_int_equal(dns_rdata_to_text((uint16_t)type, w2, (size_t)n2, text2, sizeof(text2)),
			 t1);
	assert_string_equal(text1, text2);
	/* And in the generic form of RFC 3597 too. */
	assert_true(dns_rdata_to_generic(w1, (size_t)n1, text2, sizeof(text2)) > 0);
	n2 = dns_rdata_from_text((uint16_t)type, text2, NULL, w2, sizeof(w2), err, sizeof(err));
	assert_int_equal(n1, n2);
	assert_memory_equal(w1, w2, (size_t)n1);
}

static void test_round_trips(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rt_cases) / sizeof(rt_cases[0]); i++)
		round_trip(&rt_cases[i]);
}

/* Every type of rdata.h's list has round-trip cases above. */
static void test_round_trips_cover_types(void **state)
{
	static const char *const types[] = {
		"A",      "NS",   "CNAME", "SOA",   "PTR", "HINFO", "MX",    "TXT",
		"AAAA",   "SRV",  "NAPTR", "DNAME", "DS",  "SSHFP", "RRSIG", "NSEC",
		"DNSKEY", "TLSA", "SVCB",  "HTTPS", "SPF", "CAA",
	};
	(void)state;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		int n = 0;
		for (size_t i = 0; i < sizeof(rt_cases) / sizeof(rt_cases[0]); i++)
			n += strcmp(rt_cases[i].type, types[t]) == 0;
		if (n < 2)
			fail_msg("type %s has %d round-trip cases", types[t], n);
	}
}

static void test_long_txt(void **state)
{
	static char in[2048];
	static char want[2048];
	uint8_t w[4096];
	char err[128];
	(void)state;
	/* 300 octets in one quoted string become strings of 255 and 45 octets. */
	in[0] = '"';
	memset(in + 1, 'x', 300);
	strcpy(in + 301, "\"");
	int n = dns_rdata_from_text(DNS_T_TXT, in, origin, w, sizeof(w), err, sizeof(err));
	assert_int_equal(n, 302);
	assert_int_equal(w[0], 255);
	assert_int_equal(w[256], 45);
	assert_int_equal(dns_rdata_to_text(DNS_T_TXT, w, (size_t)n, text1, sizeof(text1)), 305);
	want[0] = '"';
	memset(want + 1, 'x', 255);
	memcpy(want + 256, "\" \"", 3);
	memset(want + 259, 'x', 45);
	strcpy(want + 304, "\"");
	assert_string_equal(text1, want);

	/* Exactly 255 octets stay one string; escapes count as one octet each. */
	memset(in + 1, 'y', 255);
	strcpy(in + 256, "\\\"\"");
	n = dns_rdata_from_text(DNS_T_TXT, in, origin, w, sizeof(w), err, sizeof(err));
	assert_int_equal(n, 258);
	assert_int_equal(w[0], 255);
	assert_int_equal(w[256], 1);
	assert_int_equal(w[257], '"');

	/* The largest TXT: 65279 octets in 256 strings make 65535 octets of rdata. */
	static char big[70000];
	static uint8_t wbig[65535];
	big[0] = '"';
	memset(big + 1, 'z', 65279);
	strcpy(big + 1 + 65279, "\"");
	n = dns_rdata_from_text(DNS_T_TXT, big, origin, wbig, sizeof(wbig), err, sizeof(err));
	assert_int_equal(n, 65535);
	assert_true(dns_rdata_valid(DNS_T_TXT, wbig, (size_t)n));
	assert_true(dns_rdata_to_text(DNS_T_TXT, wbig, (size_t)n, text1, sizeof(text1)) > 65535);
	/* One octet more does not fit. */
	memset(big + 1, 'z', 65280);
	strcpy(big + 1 + 65280, "\"");
	n = dns_rdata_from_text(DNS_T_TXT, big, origin, wbig, sizeof(wbig), err, sizeof(err));
	assert_int_equal(n, -1);
}

/* ---- invalid text ---------------------------------------------------------------------- */

static const struct {
	const char *type;
	const char *in;
} bad_cases[] = {
	{"A", "1.2.3"},
	{"A", "1.2.3.256"},
	{"A", "::1"},
	{"A", ""},
	{"A", "1.2.3.4 5.6.7.8"},
	{"A", "\\# 3 010203"},
	{"A", "\\# 4 010203"},
	{"A", "1.2.3.4\n"},
	{"A", "1.2.3.4\n$INCLUDE /etc/passwd"},
	{"AAAA", "192.0.2.1"},
	{"AAAA", "2001:db8::g"},
	{"AAAA", "1:2:3:4:5:6:7:8:9"},
	{"AAAA", "\\# 4 20010db8"},
	{"NS", "a..b."},
	{"NS", ""},
	{"NS", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com."},
	{"NS", "a. b."},
	{"NS", "\\# 5 0161000000"},
	{"CNAME", "a b"},
	{"CNAME", "\\# 2 c00c"},
	{"SOA", "ns1 host 1 2 3 4"},
	{"SOA", "ns1 host 1 2 3 4 x"},
	{"SOA", "ns1 host 4294967296 2 3 4 5"},
	{"PTR", ""},
	{"PTR", "a b"},
	{"HINFO", "\"PC\""},
	{"HINFO", "a b c"},
	{"MX", "mail"},
	{"MX", "65536 mail"},
	{"MX", "-1 mail"},
	{"MX", "10"},
	{"TXT", "\"unterminated"},
	{"TXT", ""},
	{"TXT", "\\# 2 0501"},
	{"TXT", "\\# 0"},
	{"TXT", "\"bad \\256 escape\""},
	{"SPF", ""},
	{"SPF", "\\# 1 01"},
	{"SRV", "1 2 mail"},
	{"SRV", "1 2 70000 x."},
	{"SRV", "1 2 3"},
	{"NAPTR", "100 10 U E2U+sip"},
	{"NAPTR", "100 10 \"U\" \"E2U+sip\" \"\" . extra"},
	{"DNAME", "a. b."},
	{"DNAME", ""},
	{"DS", "12345 8 2 xyz"},
	{"DS", "12345 8 2"},
	{"DS", "12345 8 2 abc"},
	{"DS", "123456 8 2 abcd"},
	{"SSHFP", "1 1 zz"},
	{"SSHFP", "1 1"},
	{"SSHFP", "256 1 ab"},
	{"RRSIG", "A 8 2 3600 20301301000000 20200101000000 1 x. AA=="},
	{"RRSIG", "FOO 8 2 3600 20300101000000 20200101000000 1 x. AA=="},
	{"RRSIG", "A 8 2 3600 20300101000000 20200101000000 1 x."},
	{"NSEC", "a. FOO"},
	{"NSEC", ""},
	{"DNSKEY", "257 3 8 !!!!"},
	{"DNSKEY", "257 3 8"},
	{"TLSA", "3 1 1 xyz"},
	{"TLSA", "3 1 1"},
	{"SVCB", "1 . alpn="},
	{"SVCB", "1 . port=99999"},
	{"SVCB", "1 . foo=bar"},
	{"SVCB", "1 . port=1 port=2"},
	{"SVCB", "1 . mandatory=port"},
	{"SVCB", "1 . ipv4hint=1.2.3.400"},
	{"SVCB", "1"},
	{"SVCB", "\\# 7 0001 00 0003 0003"},
	{"HTTPS", "x . alpn=h2"},
	{"HTTPS", "1 . ipv6hint=1.2.3.4"},
	{"HTTPS", "1 . ech=!!"},
	{"HTTPS", "1 . alpn=h2,,h3"},
	{"CAA", "0 issue"},
	{"CAA", "256 issue \"x\""},
	{"CAA", "0 \"is sue\" \"x\""},
	{"CAA", "0 \"\" \"x\""},
	{"CAA", "0 abcdefghijklmnop \"x\""},
	{"TYPE65534", "foo"},
	{"TYPE65534", "\\# 3 abcd"},
	{"TYPE65534", "\\# 1"},
	{"TYPE65534", "\\# x"},
	{"ANY", "\\# 0"},
	{"OPT", "\\# 0"},
};

static void test_bad_text(void **state)
{
	uint8_t w[65535];
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		char err[256] = "";
		int type = dns_type_from_text(bad_cases[i].type);
		assert_true(type >= 0);
		int n = dns_rdata_from_text((uint16_t)type, bad_cases[i].in, origin, w, sizeof(w),
					    err, sizeof(err));
		if (n != -1)
			fail_msg("%s '%s' accepted", bad_cases[i].type, bad_cases[i].in);
		if (strlen(err) == 0)
			fail_msg("%s '%s': no message", bad_cases[i].type, bad_cases[i].in);
	}
}

static void test_error_messages(void **state)
{
	uint8_t w[512];
	char err[256];
	(void)state;
	assert_int_equal(
		dns_rdata_from_text(DNS_T_A, "1.2.3.999", origin, w, sizeof(w), err, sizeof(err)),
		-1);
	assert_string_equal(err, "invalid IPv4 address");
	assert_int_equal(
		dns_rdata_from_text(DNS_T_A, "\\# 1 00", origin, w, sizeof(w), err, sizeof(err)),
		-1);
	assert_string_equal(err, "malformed record data for type A");
	/* Without an origin, relative names (and "@") are refused. */
	assert_int_equal(dns_rdata_from_text(DNS_T_NS, "ns1", NULL, w, sizeof(w), err, sizeof(err)),
			 -1);
	assert_string_equal(err, "relative domain name without an origin");
	assert_int_equal(
		dns_rdata_from_text(DNS_T_MX, "10 @", NULL, w, sizeof(w), err, sizeof(err)), -1);
	assert_string_equal(err, "relative domain name without an origin");
	assert_int_equal(dns_rdata_from_text(DNS_T_SOA, "a. b 1 2 3 4 5", NULL, w, sizeof(w), err,
					     sizeof(err)),
			 -1);
	assert_int_equal(
		dns_rdata_from_text(DNS_T_NS, "ns1.", NULL, w, sizeof(w), err, sizeof(err)), 5);
	/* Output capacity. */
	assert_int_equal(dns_rdata_from_text(DNS_T_AAAA, "::1", origin, w, 15, err, sizeof(err)),
			 -1);
	assert_int_equal(dns_rdata_from_text(DNS_T_AAAA, "::1", origin, w, 16, err, sizeof(err)),
			 16);
	/* err may be absent or tiny. */
	assert_int_equal(dns_rdata_from_text(DNS_T_A, "x", origin, w, sizeof(w), NULL, 0), -1);
	char tiny[4];
	assert_int_equal(
		dns_rdata_from_text(DNS_T_A, "x", origin, w, sizeof(w), tiny, sizeof(tiny)), -1);
	assert_int_equal(strlen(tiny), 3);
}

/* ---- wire → text limits ---------------------------------------------------------------- */

static void test_to_text_limits(void **state)
{
	static const uint8_t a[] = {192, 0, 2, 1};
	char buf[64];
	(void)state;
	assert_int_equal(dns_rdata_to_text(DNS_T_A, a, 4, buf, 10), 9);
	assert_string_equal(buf, "192.0.2.1");
	assert_int_equal(dns_rdata_to_text(DNS_T_A, a, 4, buf, 9), -1);
	assert_int_equal(dns_rdata_to_text(DNS_T_A, a, 3, buf, sizeof(buf)), -1);
	assert_int_equal(dns_rdata_to_text(DNS_T_A, a, 4, buf, 0), -1);
	assert_int_equal(dns_rdata_to_generic(a, 3, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "\\# 3 C00002");
	assert_int_equal(dns_rdata_to_generic(a, 3, buf, 11), -1);
	assert_int_equal(dns_rdata_to_generic(a, 0, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "\\# 0");
	/* Unknown types are always written in the generic form. */
	assert_int_equal(dns_rdata_to_text(65534, a, 4, buf, sizeof(buf)), 13);
	assert_string_equal(buf, "\\# 4 C0000201");
	assert_int_equal(dns_rdata_to_text(65534, a, 0, buf, sizeof(buf)), 4);
	/* A name that does not fit. */
	static const uint8_t ns[] = "\007example\003com";
	assert_int_equal(dns_rdata_to_text(DNS_T_NS, ns, sizeof(ns), buf, 13), 12);
	assert_int_equal(dns_rdata_to_text(DNS_T_NS, ns, sizeof(ns), buf, 12), -1);
}

/* ---- structural checks ----------------------------------------------------------------- */

struct wire_case {
	uint16_t type;
	const char *wire;
	size_t len;
};
#define W(t, s)                                                                                    \
	{                                                                                          \
		t, s, sizeof(s) - 1                                                                \
	}

static const struct wire_case good_wire[] = {
	W(DNS_T_A, "\1\2\3\4"),
	W(DNS_T_AAAA, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1"),
	W(DNS_T_NS, "\0"),
	W(DNS_T_NS, "\3com\0"),
	W(DNS_T_MX, "\0\1\0"),
	W(DNS_T_SOA, "\0\0"
		     "\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0\5"),
	W(DNS_T_TXT, "\0"),
	W(DNS_T_TXT, "\3abc\0\1x"),
	W(DNS_T_HINFO, "\1a\0"),
	W(DNS_T_SRV, "\0\1\0\2\0\3\0"),
	W(DNS_T_NAPTR, "\0\1\0\2\0\0\0\0"),
	W(DNS_T_NSEC, "\0"),
	W(DNS_T_NSEC, "\0\0\1\x40\1\1\x80"),
	W(DNS_T_SVCB, "\0\0\0"),
	W(DNS_T_SVCB, "\0\1\0\0\3\0\2\1\xbb\xff\xfe\0\0"),
	W(DNS_T_CAA, "\0\5issue"),
	W(DNS_T_DS, "\0\1\2\3\4"),
	W(DNS_T_RRSIG, "\0\1\2\3\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1"),
	W(65534, ""),
	W(65534, "\xc0\x0c"),
};

static const struct wire_case bad_wire[] = {
	W(DNS_T_A, "\1\2\3"),
	W(DNS_T_A, "\1\2\3\4\5"),
	W(DNS_T_A, ""),
	W(DNS_T_AAAA, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
	W(DNS_T_NS, ""),
	W(DNS_T_NS, "\3com"),     /* name runs past rdlength */
	W(DNS_T_NS, "\4com\0"),   /* label runs past rdlength */
	W(DNS_T_NS, "\3com\0\0"), /* octets after the name */
	W(DNS_T_NS, "\xc0\x0c"),  /* compression pointer */
	W(DNS_T_NS, "\x40"),      /* reserved label type */
	W(DNS_T_CNAME, "\x80\0"), /* reserved label type */
	W(DNS_T_MX, "\0\1"),      /* no exchange */
	W(DNS_T_MX, "\0"),        /* short preference */
	W(DNS_T_SOA, "\0\0\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0"),
	W(DNS_T_SOA, "\0\0\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0\5\0"),
	W(DNS_T_TXT, ""),         /* no string at all */
	W(DNS_T_TXT, "\5abc"),    /* string runs past rdlength */
	W(DNS_T_TXT, "\3abc\2a"), /* second string runs past rdlength */
	W(DNS_T_SPF, "\1"),
	W(DNS_T_HINFO, "\1a"),    /* one string */
	W(DNS_T_HINFO, "\0\0\0"), /* three strings */
	W(DNS_T_SRV, "\0\1\0\2\0\3"),
	W(DNS_T_NAPTR, "\0\1\0\2\0\0\0"),
	W(DNS_T_NAPTR, "\0\1\0\2\0\0\5ab\0"),
	W(DNS_T_DNAME, "\1"),
	W(DNS_T_DS, "\0\1\2\3"),
	W(DNS_T_SSHFP, "\1\1"),
	W(DNS_T_TLSA, "\1\1\1"),
	W(DNS_T_DNSKEY, "\1\0\3\x08"),
	W(DNS_T_RRSIG, "\0\1\2\3\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), /* no signature */
	W(DNS_T_NSEC, "\0\0\0"),                                  /* empty window */
	W(DNS_T_NSEC, "\0\0\1\0"),                                /* trailing zero octet */
	W(DNS_T_NSEC, "\0\1\1\1\0\1\1"),                          /* windows out of order */
	W(DNS_T_NSEC, "\0\0\2\1"),                                /* bitmap runs past rdlength */
	W(DNS_T_NSEC, "\0\0\x21"
		      "0123456789abcdef0123456789abcdef0"),  /* window of 33 octets */
	W(DNS_T_SVCB, "\0\1"),                               /* no target */
	W(DNS_T_SVCB, "\0\1\0\0\3\0"),                       /* short parameter */
	W(DNS_T_SVCB, "\0\1\0\0\3\0\3\1\xbb"),               /* value runs past rdlength */
	W(DNS_T_SVCB, "\0\1\0\0\3\0\3\1\xbb\1"),             /* port of 3 octets */
	W(DNS_T_SVCB, "\0\1\0\0\4\0\0\0\3\0\2\1\xbb"),       /* keys out of order */
	W(DNS_T_SVCB, "\0\1\0\0\3\0\2\1\xbb\0\3\0\2\1\xbb"), /* duplicate key */
	W(DNS_T_HTTPS, "\0\1\0\0\1\0\0"),                    /* empty alpn */
	W(DNS_T_HTTPS, "\0\1\0\0\1\0\3\2h2\0"),              /* alpn id past value */
	W(DNS_T_HTTPS, "\0\1\0\0\1\0\1\0"),                  /* empty alpn id */
	W(DNS_T_HTTPS, "\0\1\0\0\2\0\1x"),                   /* no-default-alpn with value */
	W(DNS_T_HTTPS, "\0\1\0\0\4\0\3\1\2\3"),              /* ipv4hint of 3 octets */
	W(DNS_T_HTTPS, "\0\1\0\0\6\0\4\1\2\3\4"),            /* ipv6hint of 4 octets */
	W(DNS_T_HTTPS, "\0\1\0\0\0\0\1\1"),                  /* mandatory of odd length */
	W(DNS_T_HTTPS, "\0\1\0\0\5\0\0"),                    /* empty ech */
	W(DNS_T_CAA, "\0"),
	W(DNS_T_CAA, "\0\0"),      /* empty tag */
	W(DNS_T_CAA, "\0\6issue"), /* tag runs past rdlength */
	W(DNS_T_CAA, "\0\5is-ue"), /* tag not alphanumeric */
};

static void test_valid(void **state)
{
	char buf[1024];
	(void)state;
	for (size_t i = 0; i < sizeof(good_wire) / sizeof(good_wire[0]); i++) {
		const struct wire_case *c = &good_wire[i];
		if (!dns_rdata_valid(c->type, (const uint8_t *)c->wire, c->len))
			fail_msg("good case %zu (type %u) rejected", i, c->type);
		assert_true(dns_rdata_to_text(c->type, (const uint8_t *)c->wire, c->len, buf,
					      sizeof(buf)) >= 0);
	}
	for (size_t i = 0; i < sizeof(bad_wire) / sizeof(bad_wire[0]); i++) {
		const struct wire_case *c = &bad_wire[i];
		if (dns_rdata_valid(c->type, (const uint8_t *)c->wire, c->len))
			fail_msg("bad case %zu (type %u) accepted", i, c->type);
		assert_int_equal(dns_rdata_to_text(c->type, (const uint8_t *)c->wire, c->len, buf,
						   sizeof(buf)),
				 -1);
	}
}

/* A name of three 63-octet labels, one of `last` octets and the root. */
static size_t long_name(uint8_t *w, uint8_t last)
{
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		uint8_t len = i < 3 ? 63 : last;
		w[n++] = len;
		memset(w + n, 'a', len);
		n += len;
	}
	w[n++] = 0;
	return n;
}

static void test_valid_long_names(void **state)
{
	uint8_t w[300];
	(void)state;
	size_t n = long_name(w, 61);
	assert_int_equal(n, 255); /* the longest name */
	assert_true(dns_rdata_valid(DNS_T_NS, w, n));
	assert_true(dns_rdata_to_text(DNS_T_NS, w, n, text1, sizeof(text1)) > 0);
	n = long_name(w, 62);
	assert_false(dns_rdata_valid(DNS_T_NS, w, n));
	w[0] = 64; /* label too long */
	assert_false(dns_rdata_valid(DNS_T_NS, w, n));
}

/* ---- name offsets ---------------------------------------------------------------------- */

static void names_of(const char *type, const char *text, struct dns_rdata_names *rn)
{
	uint8_t w[1024];
	char err[128];
	int t = dns_type_from_text(type);
	int n = dns_rdata_from_text((uint16_t)t, text, origin, w, sizeof(w), err, sizeof(err));
	assert_true(n > 0);
	dns_rdata_names((uint16_t)t, w, (size_t)n, rn);
	/* Every offset starts a name that is the one the text gave. */
	for (int i = 0; i < rn->n; i++)
		assert_true(rn->off[i] < n);
}

static void test_names(void **state)
{
	struct dns_rdata_names rn;
	(void)state;
	names_of("NS", "ns1", &rn);
	assert_int_equal(rn.n, 1);
	assert_int_equal(rn.off[0], 0);
	assert_true(rn.compress);
	assert_int_equal(rn.additional, 0);

	names_of("CNAME", "www", &rn);
	assert_int_equal(rn.n, 1);
	assert_true(rn.compress);
	assert_int_equal(rn.additional, -1);

	names_of("PTR", "h.example.net.", &rn);
	assert_int_equal(rn.n, 1);
	assert_true(rn.compress);
	assert_int_equal(rn.additional, -1);

	names_of("DNAME", "example.net.", &rn);
	assert_int_equal(rn.n, 1);
	assert_false(rn.compress);
	assert_int_equal(rn.additional, -1);

	names_of("MX", "10 mail", &rn);
	assert_int_equal(rn.n, 1);
	assert_int_equal(rn.off[0], 2);
	assert_true(rn.compress);
	assert_int_equal(rn.additional, 0);

	names_of("SOA", "ns1 hostmaster 1 2 3 4 5", &rn);
	assert_int_equal(rn.n, 2);
	assert_int_equal(rn.off[0], 0);
	assert_int_equal(rn.off[1], 17); /* after "ns1.example.com." */
	assert_true(rn.compress);
	assert_int_equal(rn.additional, -1);

	names_of("SRV", "1 2 3 target", &rn);
	assert_int_equal(rn.n, 1);
	assert_int_equal(rn.off[0], 6);
	assert_false(rn.compress);
	assert_int_equal(rn.additional, 0);

	names_of("NAPTR", "1 2 \"U\" \"E2U+sip\" \"\" repl", &rn);
	assert_int_equal(rn.n, 1);
	assert_int_equal(rn.off[0], 4 + 2 + 8 + 1);
	assert_false(rn.compress);
	assert_int_equal(rn.additional, -1);

	names_of("SVCB", "1 svc alpn=h2", &rn);
	assert_int_equal(rn.n, 1);
	assert_int_equal(rn.off[0], 2);
	assert_false(rn.compress);
	assert_int_equal(rn.additional, -1);

	names_of("HTTPS", "0 .", &rn);
	assert_int_equal(rn.n, 1);
	assert_int_equal(rn.off[0], 2);
	assert_false(rn.compress);

	names_of("RRSIG", "A 8 2 3600 20300101000000 20200101000000 1 example.com. AA==", &rn);
	assert_int_equal(rn.n, 1);
	assert_int_equal(rn.off[0], 18);
	assert_false(rn.compress);
	assert_int_equal(rn.additional, -1);

	names_of("A", "192.0.2.1", &rn);
	assert_int_equal(rn.n, 0);
	assert_false(rn.compress);
	assert_int_equal(rn.additional, -1);

	names_of("TXT", "\"\\003com\\000\"", &rn);
	assert_int_equal(rn.n, 0);

	/* Malformed rdata has no names. */
	static const uint8_t bad[] = {0, 1, 3, 'c', 'o', 'm'};
	dns_rdata_names(DNS_T_MX, bad, sizeof(bad), &rn);
	assert_int_equal(rn.n, 0);
	assert_false(rn.compress);
	assert_int_equal(rn.additional, -1);
}

/* ---- random wire data: valid ⇒ text that reads back to the same wire ------------------- */

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* A random name from octets the scanner reads back in every escaped form. */
static size_t rnd_name(uint8_t *w)
{
	static const char alphabet[] = "abcXYZ019-_*/. \\\"();@$\t\x7f\x80\xff";
	size_t n = 0;
	int labels = (int)rnd(4);
	for (int i = 0; i < labels; i++) {
		uint8_t len = (uint8_t)(1 + rnd(10));
		w[n++] = len;
		for (int j = 0; j < len; j++)
			w[n++] = (uint8_t)alphabet[rnd(sizeof(alphabet) - 1)];
	}
	w[n++] = 0;
	return n;
}

static size_t rnd_string(uint8_t *w, uint32_t max)
{
	uint8_t len = (uint8_t)rnd(max + 1);
	w[0] = len;
	for (int i = 1; i <= len; i++)
		w[i] = (uint8_t)rnd(256);
	return (size_t)len + 1;
}

static size_t rnd_rdata(uint16_t type, uint8_t *w)
{
	size_t n = 0;
	switch (type) {
	case DNS_T_TXT:
		for (int i = 0, k = 1 + (int)rnd(4); i < k; i++)
			n += rnd_string(w + n, i == 0 ? 255 : 20);
		return n;
	case DNS_T_HINFO:
		n = rnd_string(w, 30);
		return n + rnd_string(w + n, 30);
	case DNS_T_NAPTR:
		for (int i = 0; i < 4; i++)
			w[n++] = (uint8_t)rnd(256);
		for (int i = 0; i < 3; i++)
			n += rnd_string(w + n, 30);
		return n + rnd_name(w + n);
	case DNS_T_SOA:
		n = rnd_name(w);
		n += rnd_name(w + n);
		for (int i = 0; i < 20; i++)
			w[n++] = (uint8_t)rnd(256);
		return n;
	case DNS_T_MX:
		w[n++] = (uint8_t)rnd(256);
		w[n++] = (uint8_t)rnd(256);
		return n + rnd_name(w + n);
	case DNS_T_CAA: {
		static const char tags[] = "aZ09issue";
		w[n++] = (uint8_t)rnd(256);
		uint8_t tl = (uint8_t)(1 + rnd(15));
		w[n++] = tl;
		for (int i = 0; i < tl; i++)
			w[n++] = (uint8_t)tags[rnd(sizeof(tags) - 1)];
		for (int i = 0, k = (int)rnd(40); i < k; i++)
			w[n++] = (uint8_t)rnd(256);
		return n;
	}
	case DNS_T_SVCB: {
		w[n++] = 0;
		w[n++] = (uint8_t)rnd(3);
		n += rnd_name(w + n);
		/* Increasing keys: alpn (some with commas), port, a generic one. */
		if (rnd(2)) {
			size_t at = n;
			n += 4;
			for (int i = 0, k = 1 + (int)rnd(3); i < k; i++) {
				uint8_t len = (uint8_t)(1 + rnd(5));
				w[n++] = len;
				for (int j = 0; j < len; j++)
					w[n++] = (uint8_t)(rnd(4) ? 'a' + rnd(26) : rnd(256));
			}
			put_u16(w + at, 1);
			put_u16(w + at + 2, (uint16_t)(n - at - 4));
		}
		if (rnd(2)) {
			put_u16(w + n, 3);
			put_u16(w + n + 2, 2);
			w[n + 4] = (uint8_t)rnd(256);
			w[n + 5] = (uint8_t)rnd(256);
			n += 6;
		}
		if (rnd(2)) {
			uint8_t len = (uint8_t)rnd(12);
			put_u16(w + n, (uint16_t)(7 + rnd(60000)));
			put_u16(w + n + 2, len);
			n += 4;
			for (int j = 0; j < len; j++)
				w[n++] = (uint8_t)rnd(256);
		}
		return n;
	}
	default:
		return 0;
	}
}

static void test_random_round_trips(void **state)
{
	static const uint16_t types[] = {DNS_T_TXT, DNS_T_HINFO, DNS_T_NAPTR, DNS_T_SOA,
					 DNS_T_MX,  DNS_T_CAA,   DNS_T_SVCB};
	uint8_t w[2048], w2[2048];
	char err[256];
	(void)state;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for (int i = 0; i < 3000; i++) {
			size_t n = rnd_rdata(types[t], w);
			assert_true(dns_rdata_valid(types[t], w, n));
			int tl = dns_rdata_to_text(types[t], w, n, text1, sizeof(text1));
			assert_true(tl > 0);
			int n2 = dns_rdata_from_text(types[t], text1, NULL, w2, sizeof(w2), err,
						     sizeof(err));
			if (n2 != (int)n || memcmp(w, w2, n) != 0)
				fail_msg("type %u: '%s' read back %s", types[t], text1,
					 n2 < 0 ? err : "differently");
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_round_trips_cover_types),
		cmocka_unit_test(test_long_txt),
		cmocka_unit_test(test_bad_text),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_to_text_limits),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_valid_long_names),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_random_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
