/*
 * Unit tests for api/r53_json: the rrsets table's bodies. The direct paths must write exactly
 * the bytes jansson writes and read every body as jansson reads it; the reference below is the
 * jansson code the bodies were written with before the direct paths existed.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/r53_internal.h"

/* Specs are written positionally, their unused tail left zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

static char *reference_dump(const struct r53_rrset *rs)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(rs->name));
	json_object_set_new(o, "type", json_string(rs->type));
	if (rs->set_identifier[0])
		json_object_set_new(o, "set_identifier", json_string(rs->set_identifier));
	if (rs->weight >= 0)
		json_object_set_new(o, "weight", json_integer(rs->weight));
	if (rs->region[0])
		json_object_set_new(o, "region", json_string(rs->region));
	if (rs->failover[0])
		json_object_set_new(o, "failover", json_string(rs->failover));
	if (rs->health_check_id[0])
		json_object_set_new(o, "health_check_id", json_string(rs->health_check_id));
	if (rs->multivalue)
		json_object_set_new(o, "multivalue_answer", json_boolean(rs->multivalue_answer));
	if (rs->ttl >= 0)
		json_object_set_new(o, "ttl", json_integer(rs->ttl));
	if (!rs->has_alias) {
		json_t *a = json_array();
		for (size_t i = 0; i < rs->nvalues; i++)
			json_array_append_new(a, json_string(rs->values[i]));
		json_object_set_new(o, "values", a);
	} else {
		json_t *a = json_object();
		json_object_set_new(a, "hosted_zone_id", json_string(rs->alias.hosted_zone_id));
		json_object_set_new(a, "dns_name", json_string(rs->alias.dns_name));
		json_object_set_new(a, "evaluate_target_health",
				    json_boolean(rs->alias.evaluate_target_health));
		json_object_set_new(o, "alias", a);
	}
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

struct spec {
	const char *name, *type, *set_id, *region, *failover, *health;
	int64_t weight, ttl;
	int multivalue; /* 0 absent, 1 false, 2 true */
	const char *values[4];
	const char *alias_zone, *alias_name;
	bool evaluate;
};

static void build(struct r53_rrset *rs, const struct spec *s)
{
	memset(rs, 0, sizeof(*rs));
	snprintf(rs->name, sizeof(rs->name), "%s", s->name);
	snprintf(rs->type, sizeof(rs->type), "%s", s->type);
	snprintf(rs->set_identifier, sizeof(rs->set_identifier), "%s", s->set_id ? s->set_id : "");
	snprintf(rs->region, sizeof(rs->region), "%s", s->region ? s->region : "");
	snprintf(rs->failover, sizeof(rs->failover), "%s", s->failover ? s->failover : "");
	snprintf(rs->health_check_id, sizeof(rs->health_check_id), "%s",
		 s->health ? s->health : "");
	rs->weight = s->weight;
	rs->ttl = s->ttl;
	rs->multivalue = s->multivalue != 0;
	rs->multivalue_answer = s->multivalue == 2;
	if (s->alias_zone) {
		rs->has_alias = true;
		snprintf(rs->alias.hosted_zone_id, sizeof(rs->alias.hosted_zone_id), "%s",
			 s->alias_zone);
		snprintf(rs->alias.dns_name, sizeof(rs->alias.dns_name), "%s", s->alias_name);
		rs->alias.evaluate_target_health = s->evaluate;
		return;
	}
	while (rs->nvalues < 4 && s->values[rs->nvalues])
		rs->nvalues++;
	rs->values = calloc(4, sizeof(char *));
	assert_non_null(rs->values);
	for (size_t i = 0; i < rs->nvalues; i++)
		rs->values[i] = strdup(s->values[i]);
}

static void assert_same(const struct r53_rrset *a, const struct r53_rrset *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->type, b->type);
	assert_string_equal(a->set_identifier, b->set_identifier);
	assert_string_equal(a->region, b->region);
	assert_string_equal(a->failover, b->failover);
	assert_string_equal(a->health_check_id, b->health_check_id);
	assert_int_equal(a->weight, b->weight);
	assert_int_equal(a->ttl, b->ttl);
	assert_int_equal(a->multivalue, b->multivalue);
	assert_int_equal(a->multivalue_answer, b->multivalue_answer);
	assert_int_equal(a->has_alias, b->has_alias);
	assert_string_equal(a->alias.hosted_zone_id, b->alias.hosted_zone_id);
	assert_string_equal(a->alias.dns_name, b->alias.dns_name);
	assert_int_equal(a->alias.evaluate_target_health, b->alias.evaluate_target_health);
	assert_int_equal(a->nvalues, b->nvalues);
	for (size_t i = 0; i < a->nvalues; i++)
		assert_string_equal(a->values[i], b->values[i]);
}

static const struct spec specs[] = {
	{"www.example.com.", "A", NULL, NULL, NULL, NULL, -1, 300, 0, {"192.0.2.1", "192.0.2.2"}},
	{"example.com.",
	 "SOA",
	 NULL,
	 NULL,
	 NULL,
	 NULL,
	 -1,
	 900,
	 0,
	 {"ns-1.example-dns.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"}},
	{"t.example.com.",
	 "TXT",
	 NULL,
	 NULL,
	 NULL,
	 NULL,
	 -1,
	 0,
	 0,
	 {"\"hello world\"", "\"a\\\"b\" \"c\\\\d\"", "\"\""}},
	{"\\052.example.com.", "MX", NULL, NULL, NULL, NULL, -1, 2147483647, 0, {"10 mx.test."}},
	{"e.example.com.", "A", NULL, NULL, NULL, NULL, -1, 60, 0, {NULL}}, /* no values */
	{"w.example.com.",
	 "A",
	 "one/two",
	 "us-east-1",
	 "PRIMARY",
	 "hc-1234",
	 0,
	 60,
	 1,
	 {"192.0.2.7"}},
	{"w.example.com.", "AAAA", "two", NULL, NULL, NULL, 255, 60, 2, {"2001:db8::1"}},
	{"a.example.com.",
	 "A",
	 NULL,
	 NULL,
	 NULL,
	 NULL,
	 -1,
	 -1,
	 0,
	 {NULL},
	 "Z1ABCDEF",
	 "www.example.com.",
	 true},
	{"b.example.com.",
	 "AAAA",
	 "x",
	 NULL,
	 NULL,
	 NULL,
	 10,
	 -1,
	 0,
	 {NULL},
	 "Z2FDTNDATAQYW2",
	 "d111111abcdef8.cloudfront.net.",
	 false},
	/* What the direct writer leaves to jansson: control octets, DEL, UTF-8. */
	{"u.example.com.", "TXT", "caf\xc3\xa9", NULL, NULL, NULL, 1, 5, 0, {"\"tab\there\""}},
	{"v.example.com.", "TXT", NULL, NULL, NULL, NULL, -1, 5, 0, {"\"del\x7f\""}},
};

/* Written bytes are jansson's; read back, every member is what was written. */
static void test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct r53_rrset rs, back;
		build(&rs, &specs[i]);
		char *mine = r53_rrset_to_json(&rs), *ref = reference_dump(&rs);
		assert_non_null(mine);
		assert_non_null(ref);
		assert_string_equal(mine, ref);
		assert_int_equal(r53_rrset_from_json(mine, &back), 0);
		assert_same(&rs, &back);
		r53_rrset_free(&back);
		free(mine);
		free(ref);
		r53_rrset_free(&rs);
	}
}

/* Bodies the direct reader leaves to jansson read as jansson reads them. */
static void test_read_fallback(void **state)
{
	(void)state;
	static const struct {
		const char *body;
		struct spec want;
	} cases[] = {
		/* whitespace, another key order, \u escapes, \/ */
		{"{ \"type\": \"A\", \"name\": \"x.example.com.\", \"ttl\": 5, \"values\": "
		 "[\"1.2.3.4\"] }",
		 {"x.example.com.", "A", NULL, NULL, NULL, NULL, -1, 5, 0, {"1.2.3.4"}}},
		{"{\"name\":\"\\u0078.example.com.\",\"type\":\"TXT\",\"ttl\":1,\"values\":["
		 "\"\\\"a\\/b\\\"\"]}",
		 {"x.example.com.", "TXT", NULL, NULL, NULL, NULL, -1, 1, 0, {"\"a/b\""}}},
		/* members of other types, unknown members */
		{"{\"name\":\"y.\",\"type\":\"A\",\"weight\":\"7\",\"ttl\":1.5,\"extra\":1,"
		 "\"values\":[]}",
		 {"y.", "A", NULL, NULL, NULL, NULL, -1, -1, 0, {NULL}}},
		/* a big integer, a leading zero is not JSON */
		{"{\"name\":\"z.\",\"type\":\"A\",\"weight\":1234567890123456789,\"values\":[]}",
		 {"z.", "A", NULL, NULL, NULL, NULL, 1234567890123456789LL, -1, 0, {NULL}}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct r53_rrset got, want;
		assert_int_equal(r53_rrset_from_json(cases[i].body, &got), 0);
		build(&want, &cases[i].want);
		assert_same(&want, &got);
		r53_rrset_free(&got);
		r53_rrset_free(&want);
	}
	static const char *const bad[] = {
		"",
		"[]",
		"{\"name\":\"a.\",\"type\":\"A\",\"weight\":01,\"values\":[]}",
		"{\"name\":\"a.\",\"type\":\"A\",\"values\":[\"1.2.3.4\"]",
		"{\"name\":\"a.\"} x",
		"{\"name\":\"a.\\",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct r53_rrset got;
		assert_int_equal(r53_rrset_from_json(bad[i], &got), -1);
	}
}

/* Strings longer than their member are cut as before (copy_str): size - 1 octets. */
static void test_read_truncates(void **state)
{
	(void)state;
	char body[400];
	snprintf(body, sizeof(body),
		 "{\"name\":\"a.\",\"type\":\"A\",\"region\":\"%0100d\",\"failover\":"
		 "\"ab\\\\cdefghijklmnopqrstuvwxyz\",\"values\":[]}",
		 0);
	struct r53_rrset got;
	assert_int_equal(r53_rrset_from_json(body, &got), 0);
	assert_int_equal(strlen(got.region), sizeof(got.region) - 1);
	assert_string_equal(got.failover, "ab\\cdefghijklmn");
	/* A leading space leaves the body to jansson: the same members. */
	char spaced[402];
	snprintf(spaced, sizeof(spaced), " %s", body);
	struct r53_rrset ref;
	assert_int_equal(r53_rrset_from_json(spaced, &ref), 0);
	assert_same(&ref, &got);
	r53_rrset_free(&ref);
	r53_rrset_free(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_read_fallback),
		cmocka_unit_test(test_read_truncates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
