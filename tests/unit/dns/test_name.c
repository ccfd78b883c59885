/* Unit tests for dns/name: text, wire, comparison, hashing, decompression, compression. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns/name.h"

static int from_text(const char *s, uint8_t *out)
{
	return dns_name_from_text(s, NULL, out);
}

static void test_text_round_trip(void **state)
{
	static const char *const names[] = {
		".",
		"com.",
		"www.example.com.",
		"a\\.b.example.",
		"\\000\\255x.example.",
		"\\\\.\\\"q\\(\\)\\;\\@\\$.",
		"*.wild.example.",
		"_sip._tcp.example.",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint8_t w[DNS_NAME_MAXLEN];
		char t[1024];
		int n = from_text(names[i], w);
		assert_true(n > 0);
		assert_int_equal((size_t)n, dns_name_len(w));
		assert_true(dns_name_to_text(w, t, sizeof(t)) > 0);
		assert_string_equal(t, names[i]);
	}
}

static void test_text_escapes(void **state)
{
	uint8_t w[DNS_NAME_MAXLEN];
	assert_int_equal(from_text("a\\065\\.b.", w), 6);
	assert_memory_equal(w, "\004aA.b", 6);
	char t[64];
	uint8_t space[] = "\003a b\000";
	dns_name_to_text(space, t, sizeof(t));
	assert_string_equal(t, "a\\032b.");
}

static void test_text_relative(void **state)
{
	uint8_t origin[DNS_NAME_MAXLEN], w[DNS_NAME_MAXLEN];
	from_text("example.com.", origin);
	assert_int_equal(dns_name_from_text("www", origin, w), 17);
	assert_memory_equal(w, "\003www\007example\003com", 17);
	assert_int_equal(dns_name_from_text("@", origin, w), 13);
	assert_int_equal(dns_name_from_text("www", NULL, w), -1);
}

static void test_text_invalid(void **state)
{
	uint8_t w[DNS_NAME_MAXLEN];
	char label64[80], long_name[400];
	memset(label64, 'a', 64);
	strcpy(label64 + 64, ".");
	assert_int_equal(from_text(label64, w), -1);
	label64[63] = '.';
	label64[64] = 0;
	assert_int_equal(from_text(label64, w), 64 + 1);
	/* 4 labels of 63 = 256 octets with the root: one too many */
	long_name[0] = 0;
	for (int i = 0; i < 4; i++)
		strcat(long_name,
		       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	assert_int_equal(from_text(long_name, w), -1);
	/* 3 × 63 + one of 61 = 255 octets: the longest name */
	strcpy(long_name, "");
	for (int i = 0; i < 3; i++)
		strcat(long_name,
		       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	strcat(long_name, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	assert_int_equal(from_text(long_name, w), 255);
	assert_int_equal(from_text("a..b.", w), -1);
	assert_int_equal(from_text(".a.", w), -1);
	assert_int_equal(from_text("", w), -1);
	assert_int_equal(from_text("a\\25.", w), -1);
	assert_int_equal(from_text("a\\256.", w), -1);
	assert_int_equal(from_text("a\\", w), -1);
}

static void test_compare(void **state)
{
	uint8_t a[DNS_NAME_MAXLEN], b[DNS_NAME_MAXLEN];
	from_text("WWW.Example.COM.", a);
	from_text("www.example.com.", b);
	assert_true(dns_name_equal(a, b));
	assert_int_equal(dns_name_cmp(a, b), 0);
	assert_int_equal(dns_name_hash(a), dns_name_hash(b));
	dns_name_lower(a);
	assert_memory_equal(a, b, dns_name_len(b));
	uint8_t parent[DNS_NAME_MAXLEN];
	from_text("EXAMPLE.com.", parent);
	assert_true(dns_name_is_sub(b, parent));
	assert_true(dns_name_is_sub(parent, parent));
	assert_false(dns_name_is_sub(parent, b));
	from_text("xample.com.", parent);
	assert_false(dns_name_is_sub(b, parent));
	assert_int_equal(dns_name_labels(b), 3);
}

/* RFC 4034 §6.1's example, in order. */
static void test_canonical_order(void **state)
{
	static const char *const order[] = {
		"example.",         "a.example.",      "yljkjljk.a.example.",
		"Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
		"\\001.z.example.", "*.z.example.",    "\\200.z.example.",
	};
	size_t n = sizeof(order) / sizeof(order[0]);
	for (size_t i = 0; i + 1 < n; i++) {
		uint8_t a[DNS_NAME_MAXLEN], b[DNS_NAME_MAXLEN];
		from_text(order[i], a);
		from_text(order[i + 1], b);
		assert_true(dns_name_cmp(a, b) < 0);
		assert_true(dns_name_cmp(b, a) > 0);
	}
}

static void test_hash_steps(void **state)
{
	uint8_t w[DNS_NAME_MAXLEN];
	from_text("a.b.c.", w);
	uint64_t h = DNS_NAME_HASH_ROOT;
	h = dns_name_hash_step(h, w + 4);
	h = dns_name_hash_step(h, w + 2);
	h = dns_name_hash_step(h, w);
	assert_int_equal(h, dns_name_hash(w));
	uint8_t other[DNS_NAME_MAXLEN];
	from_text("a.bc.", other);
	assert_true(dns_name_hash(w) != dns_name_hash(other));
}

static void test_unpack(void **state)
{
	/* header, then "\3www\7example\3com\0" at 12, then "\4mail" + pointer to 16 */
	uint8_t msg[64] = {0};
	memcpy(msg + 12, "\003www\007example\003com", 17);
	memcpy(msg + 29, "\004mail\xc0\x10", 7);
	uint8_t out[DNS_NAME_MAXLEN];
	size_t pos = 29;
	assert_int_equal(dns_name_unpack(msg, 36, &pos, out), 18);
	assert_int_equal(pos, 36);
	assert_memory_equal(out, "\004mail\007example\003com", 18);
	pos = 12;
	assert_int_equal(dns_name_unpack(msg, 36, &pos, out), 17);
	assert_int_equal(pos, 29);
}

static void test_unpack_hostile(void **state)
{
	uint8_t out[DNS_NAME_MAXLEN];
	struct {
		const char *bytes;
		size_t len;
	} bad[] = {
		{"\xc0\x0c", 2}, /* pointer to itself */
		{"\x01"
		 "a\xc0\x0c",
		 4},             /* label then a pointer back to the name's start */
		{"\xc0\xff", 2}, /* past the end */
		{"\xc0\x00", 2}, /* into the header */
		{"\x41"
		 "abc",
		 4}, /* reserved label type 01 */
		{"\x81"
		 "abc",
		 4}, /* reserved label type 10 */
		{"\x05"
		 "ab",
		 3}, /* label past the end */
		{"\x03"
		 "abc",
		 4},         /* no root label */
		{"\xc0", 1}, /* half a pointer */
		{"", 0},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t msg[300] = {0};
		memcpy(msg + 12, bad[i].bytes, bad[i].len);
		size_t pos = 12;
		assert_int_equal(dns_name_unpack(msg, 12 + bad[i].len, &pos, out), -1);
	}
	/* 64-octet label */
	uint8_t msg[300] = {0};
	msg[12] = 64;
	size_t pos = 12;
	assert_int_equal(dns_name_unpack(msg, 12 + 66, &pos, out), -1);
	/* 256 octets: 4 labels of 63 plus the root is 257 */
	for (int i = 0; i < 4; i++)
		msg[12 + i * 64] = 63;
	msg[12 + 256] = 0;
	pos = 12;
	assert_int_equal(dns_name_unpack(msg, sizeof(msg), &pos, out), -1);
	/* pointer chain: later pointers must go further back than where the run began */
	uint8_t chain[64] = {0};
	memcpy(chain + 12, "\001a\000", 3);     /* 12: a. */
	memcpy(chain + 15, "\001b\xc0\x0c", 4); /* 15: b.a. */
	memcpy(chain + 19, "\001c\xc0\x0f", 4); /* 19: c.b.a. */
	pos = 19;
	assert_int_equal(dns_name_unpack(chain, 23, &pos, out), 7);
	assert_memory_equal(out, "\001c\001b\001a", 7);
	memcpy(chain + 15, "\001b\xc0\x13", 4); /* 15 now points forward to 19: refused */
	pos = 19;
	assert_int_equal(dns_name_unpack(chain, 23, &pos, out), -1);
}

static void test_pack_compression(void **state)
{
	uint8_t msg[512] = {0};
	struct dns_compr c;
	dns_compr_init(&c, msg);
	uint8_t a[DNS_NAME_MAXLEN], b[DNS_NAME_MAXLEN], d[DNS_NAME_MAXLEN];
	from_text("www.Example.com.", a);
	from_text("mail.example.COM.", b);
	from_text("www.example.com.", d);
	assert_int_equal(dns_name_pack(&c, a, msg + 12, 500), 17);
	/* "mail" then a pointer to "example.com" at offset 16 */
	assert_int_equal(dns_name_pack(&c, b, msg + 29, 483), 7);
	assert_memory_equal(msg + 29, "\004mail\xc0\x10", 7);
	/* the whole name: a bare pointer */
	assert_int_equal(dns_name_pack(&c, d, msg + 36, 476), 2);
	assert_memory_equal(msg + 36, "\xc0\x0c", 2);
	/* everything read back */
	uint8_t out[DNS_NAME_MAXLEN];
	size_t pos = 29;
	assert_int_equal(dns_name_unpack(msg, 38, &pos, out), 18);
	assert_true(dns_name_equal(out, b));
	/* no room */
	assert_int_equal(dns_name_pack(NULL, a, msg, 5), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_round_trip), cmocka_unit_test(test_text_escapes),
		cmocka_unit_test(test_text_relative),   cmocka_unit_test(test_text_invalid),
		cmocka_unit_test(test_compare),         cmocka_unit_test(test_canonical_order),
		cmocka_unit_test(test_hash_steps),      cmocka_unit_test(test_unpack),
		cmocka_unit_test(test_unpack_hostile),  cmocka_unit_test(test_pack_compression),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
