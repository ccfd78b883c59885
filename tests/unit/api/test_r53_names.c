/* Unit tests for api/r53_names: Route 53's stored name form and its list-order sort key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api/r53_internal.h"
#include "dns/name.h"

struct norm_case {
	const char *in;
	const char *out;
};

static void test_normalize_table(void **state)
{
	static const struct norm_case cases[] = {
		{"www.example.com", "www.example.com."},
		{"www.example.com.", "www.example.com."},
		{"WWW.Example.COM", "www.example.com."},
		{"*.Example.COM", "\\052.example.com."},
		{"\\052.example.com", "\\052.example.com."},
		{"a*b.example.com.", "a\\052b.example.com."},
		{"_sip._tcp.example.com", "_sip._tcp.example.com."},
		{"a-b.example.com", "a-b.example.com."},
		{"0/25.2.0.192.in-addr.arpa", "0\\05725.2.0.192.in-addr.arpa."},
		{"\\101bc.example.com", "abc.example.com."}, /* \101 is 'A': counts as a letter */
		{"a\\056b.example.com", "a\\056b.example.com."}, /* a dot inside a label */
		{"a\\.b.example.com", "a\\056b.example.com."},
		{"\\040x.example.com", "\\040x.example.com."}, /* an escaped space */
		{"\\377.example.com", "\\377.example.com."},
		{"xn--bcher-kva.example", "xn--bcher-kva.example."},
		{".", "."},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[R53_NAME_MAX], msg[256] = "";
		uint8_t wire[255];
		int rc = r53_name_normalize(cases[i].in, out, wire, msg, sizeof(msg));
		if (rc != 0)
			fail_msg("%s: %s", cases[i].in, msg);
		assert_string_equal(out, cases[i].out);
		assert_true(dns_name_len(wire) <= 255);
	}
}

static void test_normalize_wire(void **state)
{
	char out[R53_NAME_MAX], msg[256];
	uint8_t wire[255];
	assert_int_equal(r53_name_normalize("*.A.example.COM", out, wire, msg, sizeof(msg)), 0);
	static const uint8_t want[] = {1,   '*', 1,   'a', 7,   'e', 'x', 'a', 'm',
				       'p', 'l', 'e', 3,   'c', 'o', 'm', 0};
	assert_memory_equal(wire, want, sizeof(want));
	assert_int_equal(r53_name_normalize("a\\056b.", out, wire, msg, sizeof(msg)), 0);
	static const uint8_t want2[] = {3, 'a', '.', 'b', 0};
	assert_memory_equal(wire, want2, sizeof(want2));
}

struct bad_case {
	const char *in;
	const char *msg;
};

static void test_normalize_invalid(void **state)
{
	char long_label[80], long_name[300];
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".example.com");
	/* 4 × 63-octet labels: 256 octets of wire with the root, one too many. */
	size_t o = 0;
	for (int l = 0; l < 4; l++) {
		memset(long_name + o, 'b', 63);
		o += 63;
		long_name[o++] = '.';
	}
	long_name[o] = '\0';
	static char m_label[200], m_name[400];
	snprintf(m_label, sizeof(m_label),
		 "FATAL problem: DomainLabelTooLong (Domain label is too long) encountered with "
		 "'%s'",
		 long_label);
	snprintf(m_name, sizeof(m_name),
		 "FATAL problem: DomainNameTooLong (Domain name is too long) encountered with '%s'",
		 long_name);
	const struct bad_case cases[] = {
		{"a..example.com",
		 "FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with "
		 "'a..example.com'"},
		{".example.com",
		 "FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with "
		 "'.example.com'"},
		{"", "FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with ''"},
		{"a b.example.com",
		 "FATAL problem: UnsupportedCharacter (Value contains unsupported "
		 "characters) encountered with ' '"},
		{"a\tb.example.com", "FATAL problem: UnsupportedCharacter (Value contains "
				     "unsupported characters) encountered with '\t'"},
		{"caf\xc3\xa9.example", "FATAL problem: UnsupportedCharacter (Value contains "
					"unsupported characters) encountered with '\xc3'"},
		{"a\\9.example", "FATAL problem: UnsupportedCharacter (Value contains unsupported "
				 "characters) encountered with '\\'"},
		{"a\\777.example",
		 "FATAL problem: UnsupportedCharacter (Value contains unsupported "
		 "characters) encountered with '\\'"},
		{long_label, m_label},
		{long_name, m_name},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[R53_NAME_MAX], msg[512] = "";
		uint8_t wire[255];
		assert_int_equal(r53_name_normalize(cases[i].in, out, wire, msg, sizeof(msg)), -1);
		assert_string_equal(msg, cases[i].msg);
	}
	/* 3 × 63 + 62: 253 octets of labels, 255 with lengths and root: the longest name. */
	o = 0;
	for (int l = 0; l < 3; l++) {
		memset(long_name + o, 'c', 63);
		o += 63;
		long_name[o++] = '.';
	}
	memset(long_name + o, 'd', 61);
	o += 61;
	long_name[o] = '\0';
	char out[R53_NAME_MAX], msg[512];
	uint8_t wire[255];
	assert_int_equal(r53_name_normalize(long_name, out, wire, msg, sizeof(msg)), 0);
	assert_int_equal(dns_name_len(wire), 255);
}

static void test_sort_key(void **state)
{
	char k[R53_NAME_MAX];
	r53_name_sort_key("www.example.com.", k);
	assert_string_equal(k, "com.example.www.");
	r53_name_sort_key("example.com.", k);
	assert_string_equal(k, "com.example.");
	r53_name_sort_key(".", k);
	assert_string_equal(k, ".");
	r53_name_sort_key("\\052.example.com.", k);
	assert_string_equal(k, "com.example.\\052.");
	/* Route 53's documented order: a-b before a, the apex before everything below it. */
	char a[R53_NAME_MAX], b[R53_NAME_MAX], apex[R53_NAME_MAX], deep[R53_NAME_MAX];
	r53_name_sort_key("a-b.example.com.", a);
	r53_name_sort_key("a.example.com.", b);
	r53_name_sort_key("example.com.", apex);
	r53_name_sort_key("x.a.example.com.", deep);
	assert_true(strcmp(a, b) < 0);
	assert_true(strcmp(apex, a) < 0);
	assert_true(strcmp(b, deep) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize_table),
		cmocka_unit_test(test_normalize_wire),
		cmocka_unit_test(test_normalize_invalid),
		cmocka_unit_test(test_sort_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
