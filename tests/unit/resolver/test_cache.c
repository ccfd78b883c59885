/* Unit tests of the resolver's caches: ranks, TTLs, negative and failure entries, eviction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/name.h"
#include "resolver/cache.h"

/* An A RRset for name with one address, at `rank`, expiring ttl seconds after now. */
static struct rrset *a_rrset(const char *name, uint8_t last, uint8_t rank, uint64_t now,
			     uint32_t ttl)
{
	struct rrset *rs = calloc(1, sizeof(*rs) + 6);
	assert_non_null(rs);
	int l = dns_name_from_text(name, NULL, rs->owner);
	assert_true(l > 0);
	rs->owner_len = (uint8_t)l;
	rs->type = 1;
	rs->rclass = 1;
	rs->rank = rank;
	rs->ttl = ttl;
	rs->expire = now + ttl * 1000ull;
	rs->count = 1;
	rs->data_len = 6;
	uint8_t rd[6] = {0, 4, 192, 0, 2, last};
	memcpy(rs->data, rd, 6);
	return rs;
}

static const uint8_t *name(const char *text)
{
	static uint8_t buf[4][DNS_NAME_MAXLEN];
	static int k;
	uint8_t *o = buf[k++ % 4];
	assert_true(dns_name_from_text(text, NULL, o) > 0);
	return o;
}

/* 3.3: equal or higher rank replaces; lower rank never overwrites live data. */
static void test_3_3_rank_replacement(void **state)
{
	struct cache *c;
	assert_int_equal(cache_new(1 << 20, &c), 0);
	uint64_t now = 1000;
	struct rrset *auth = a_rrset("www.example.com.", 1, RESOLVER_RANK_AUTH_ANSWER, now, 300);
	struct rrset *glue = a_rrset("www.example.com.", 66, RESOLVER_RANK_GLUE, now, 86400);
	struct rrset *auth2 = a_rrset("www.example.com.", 2, RESOLVER_RANK_AUTH_ANSWER, now, 300);
	assert_int_equal(cache_put_rrset(c, now, auth), 0);
	assert_int_equal(cache_put_rrset(c, now, glue), 1); /* refused */
	const struct rrset *got = cache_get_rrset(c, now, name("WWW.example.com."), 1, 1, 0);
	assert_non_null(got);
	assert_int_equal(got->data[5], 1);
	assert_int_equal(cache_put_rrset(c, now, auth2), 0);
	got = cache_get_rrset(c, now, name("www.example.com."), 1, 1, 0);
	assert_int_equal(got->data[5], 2);
	/* A minimum rank hides lower data: glue is no answer. */
	assert_null(cache_get_rrset(c, now, name("www.example.com."), 1, 1,
				    RESOLVER_RANK_AUTH_ANSWER + 1));
	/* Once expired, any rank may take the place. */
	now += 301000;
	assert_int_equal(cache_put_rrset(c, now, glue), 0);
	free(auth);
	free(glue);
	free(auth2);
	cache_free(c);
}

/* 6.1: expired entries are never returned; what is left counts down. */
static void test_6_1_expiry(void **state)
{
	struct cache *c;
	assert_int_equal(cache_new(1 << 20, &c), 0);
	struct rrset *rs = a_rrset("a.example.", 1, RESOLVER_RANK_AUTH_ANSWER, 0, 10);
	assert_int_equal(cache_put_rrset(c, 0, rs), 0);
	const struct rrset *got = cache_get_rrset(c, 4500, name("a.example."), 1, 1, 0);
	assert_non_null(got);
	assert_int_equal(rrset_ttl_left(got, 4500), 5);
	assert_null(cache_get_rrset(c, 10000, name("a.example."), 1, 1, 0));
	free(rs);
	cache_free(c);
}

/* Memory stays under the limit: the least recently used entries go first. */
static void test_eviction_bounds_memory(void **state)
{
	struct cache *c;
	size_t max = 64 * 1024;
	assert_int_equal(cache_new(max, &c), 0);
	char text[64];
	for (int k = 0; k < 10000; k++) {
		snprintf(text, sizeof(text), "n%d.example.", k);
		struct rrset *rs = a_rrset(text, 1, RESOLVER_RANK_AUTH_ANSWER, 0, 3600);
		assert_int_equal(cache_put_rrset(c, 0, rs), 0);
		free(rs);
		if (k == 10) /* keep n0 hot */
			assert_non_null(cache_get_rrset(c, 0, name("n0.example."), 1, 1, 0));
		uint64_t bytes, entries, ev;
		cache_stats(c, &bytes, &entries, &ev);
		assert_true(bytes <= max);
	}
	uint64_t bytes, entries, ev;
	cache_stats(c, &bytes, &entries, &ev);
	assert_true(ev > 9000);
	assert_non_null(cache_get_rrset(c, 0, name("n9999.example."), 1, 1, 0));
	assert_null(cache_get_rrset(c, 0, name("n1.example."), 1, 1, 0));
	cache_free(c);
}

/* 5.1: NXDOMAIN (type 0) covers every type; NODATA only its own. */
static void test_5_1_negative_entries(void **state)
{
	struct cache *c;
	assert_int_equal(cache_new(1 << 20, &c), 0);
	struct rrset *soa = a_rrset("example.", 1, RESOLVER_RANK_AUTH_AUTHORITY, 0, 300);
	assert_int_equal(cache_put_negative(c, 0, name("nx.example."), 0, 1, 3, soa, 300000), 0);
	assert_int_equal(cache_put_negative(c, 0, name("example."), 15, 1, 0, NULL, 300000), 0);
	uint8_t rcode;
	const struct rrset *got;
	assert_true(cache_get_negative(c, 1, name("nx.example."), 28, 1, &rcode, &got));
	assert_int_equal(rcode, 3);
	assert_non_null(got);
	assert_true(cache_get_negative(c, 1, name("example."), 15, 1, &rcode, &got));
	assert_int_equal(rcode, 0);
	assert_null(got);
	assert_false(cache_get_negative(c, 1, name("example."), 16, 1, &rcode, &got));
	assert_false(cache_get_negative(c, 300000, name("nx.example."), 1, 1, &rcode, &got));
	free(soa);
	cache_free(c);
}

/* 5.6: failures back off 5, 10, 20 ... and never exceed 300 s. */
static void test_5_6_failure_backoff(void **state)
{
	struct cache *c;
	assert_int_equal(cache_new(1 << 20, &c), 0);
	uint64_t now = 0;
	uint32_t expect[] = {5, 10, 20, 40, 80, 160, 300, 300};
	for (unsigned k = 0; k < sizeof(expect) / sizeof(expect[0]); k++) {
		assert_int_equal(cache_put_failure(c, now, name("dead.example."), 1, 1, 5, 300), 0);
		uint32_t left;
		assert_true(cache_get_failure(c, now, name("dead.example."), 1, 1, &left));
		assert_int_equal(left, expect[k]);
		now += expect[k] * 1000ull; /* expired: fails again right away */
		assert_false(cache_get_failure(c, now, name("dead.example."), 1, 1, NULL));
	}
	/* Long after the last one, a new failure starts again at the minimum. */
	now += 3600000;
	assert_int_equal(cache_put_failure(c, now, name("dead.example."), 1, 1, 5, 300), 0);
	uint32_t left;
	assert_true(cache_get_failure(c, now, name("dead.example."), 1, 1, &left));
	assert_int_equal(left, 5);
	cache_free(c);
}

/* 12.7: flushing a name, a subtree, everything. */
static void test_flush(void **state)
{
	struct cache *c;
	assert_int_equal(cache_new(1 << 20, &c), 0);
	const char *names[] = {"example.", "a.example.", "b.a.example.", "other."};
	for (int k = 0; k < 4; k++) {
		struct rrset *rs = a_rrset(names[k], 1, RESOLVER_RANK_AUTH_ANSWER, 0, 300);
		assert_int_equal(cache_put_rrset(c, 0, rs), 0);
		free(rs);
	}
	cache_flush(c, name("a.example."), false);
	assert_null(cache_get_rrset(c, 0, name("a.example."), 1, 1, 0));
	assert_non_null(cache_get_rrset(c, 0, name("b.a.example."), 1, 1, 0));
	cache_flush(c, name("example."), true);
	assert_null(cache_get_rrset(c, 0, name("b.a.example."), 1, 1, 0));
	assert_null(cache_get_rrset(c, 0, name("example."), 1, 1, 0));
	assert_non_null(cache_get_rrset(c, 0, name("other."), 1, 1, 0));
	cache_flush(c, NULL, false);
	uint64_t bytes, entries, ev;
	cache_stats(c, &bytes, &entries, &ev);
	assert_int_equal(entries, 0);
	assert_int_equal(bytes, 0);
	cache_free(c);
}

static struct resolver_addr addr(uint8_t last)
{
	struct resolver_addr a = {.family = 4, .ip = {192, 0, 2, last}, .port = 53};
	return a;
}

/* 10.1: unknown servers start at 376 ms; SRTT/RTTVAR as RFC 6298; RTO clamped. */
static void test_10_1_smoothed_rtt(void **state)
{
	struct infra *in;
	assert_int_equal(infra_new(100, &in), 0);
	struct resolver_addr a = addr(1);
	assert_int_equal(infra_rto(in, 0, &a), INFRA_RTO_UNKNOWN);
	infra_rtt(in, 0, &a, 100); /* SRTT 100, RTTVAR 50: RTO 300 */
	assert_int_equal(infra_rto(in, 0, &a), 300);
	infra_rtt(in, 0, &a, 20); /* RTTVAR (3*50+80)/4 = 57, SRTT (700+20)/8 = 90: 318 */
	assert_int_equal(infra_rto(in, 0, &a), 318);
	for (int k = 0; k < 50; k++)
		infra_rtt(in, 0, &a, 1);
	assert_int_equal(infra_rto(in, 0, &a), INFRA_RTO_MIN);
	infra_free(in);
}

/* 10.3: timeouts double the RTO up to 120 s; a server that keeps timing out is down. */
static void test_10_3_backoff_and_down(void **state)
{
	struct infra *in;
	assert_int_equal(infra_new(100, &in), 0);
	struct resolver_addr a = addr(2);
	infra_timeout(in, 0, &a);
	assert_int_equal(infra_rto(in, 0, &a), 2 * INFRA_RTO_UNKNOWN);
	assert_false(infra_is_down(in, 0, &a));
	for (int k = 0; k < 3; k++)
		infra_timeout(in, 0, &a);
	assert_true(infra_is_down(in, 0, &a));
	for (int k = 0; k < 20; k++)
		infra_timeout(in, 0, &a);
	assert_int_equal(infra_rto(in, 0, &a), INFRA_RTO_MAX);
	assert_false(infra_is_down(in, INFRA_RTO_MAX + 1, &a)); /* probed again later */
	infra_rtt(in, 0, &a, 30);
	assert_false(infra_is_down(in, 0, &a));
	infra_free(in);
}

/* 2.6, 9.2: lameness is per zone; EDNS fallback is remembered for a while. */
static void test_2_6_lame_per_zone(void **state)
{
	struct infra *in;
	assert_int_equal(infra_new(100, &in), 0);
	struct resolver_addr a = addr(3);
	infra_set_lame(in, 0, &a, name("example.com."), 900);
	assert_true(infra_is_lame(in, 1, &a, name("EXAMPLE.com.")));
	assert_false(infra_is_lame(in, 1, &a, name("other.com.")));
	assert_false(infra_is_lame(in, 900000, &a, name("example.com.")));
	infra_set_no_edns(in, 0, &a, 900);
	assert_true(infra_no_edns(in, 1, &a));
	assert_false(infra_no_edns(in, 900000, &a));
	infra_free(in);
}

/* The infrastructure cache is bounded too. */
static void test_infra_bounded(void **state)
{
	struct infra *in;
	assert_int_equal(infra_new(16, &in), 0);
	for (int k = 0; k < 200; k++) {
		struct resolver_addr a = addr((uint8_t)k);
		a.port = (uint16_t)(1000 + k);
		infra_timeout(in, 0, &a);
	}
	struct resolver_addr first = addr(0);
	first.port = 1000;
	assert_int_equal(infra_rto(in, 0, &first), INFRA_RTO_UNKNOWN); /* evicted */
	infra_flush(in);
	infra_free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_3_3_rank_replacement),
		cmocka_unit_test(test_6_1_expiry),
		cmocka_unit_test(test_eviction_bounds_memory),
		cmocka_unit_test(test_5_1_negative_entries),
		cmocka_unit_test(test_5_6_failure_backoff),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_10_1_smoothed_rtt),
		cmocka_unit_test(test_10_3_backoff_and_down),
		cmocka_unit_test(test_2_6_lame_per_zone),
		cmocka_unit_test(test_infra_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
