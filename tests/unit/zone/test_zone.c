/* Unit tests for zone/zone: transactions, checks, empty non-terminals, persistence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/name.h"
#include "zone/zone.h"

static uint8_t origin[DNS_NAME_MAXLEN];

static const uint8_t *N(const char *text)
{
	static uint8_t bufs[8][DNS_NAME_MAXLEN];
	static int i;
	uint8_t *b = bufs[i++ % 8];
	assert_true(dns_name_from_text(text, origin, b) > 0);
	return b;
}

/* SOA rdata: ns.example. admin.example. serial 3600 600 86400 300 */
static size_t soa(uint8_t *rd, uint32_t serial)
{
	size_t n = 0;
	memcpy(rd, "\002ns\007example\000", 12);
	n += 12;
	memcpy(rd + n, "\005admin\007example\000", 15);
	n += 15;
	uint32_t v[5] = {serial, 3600, 600, 86400, 300};
	for (int i = 0; i < 5; i++) {
		rd[n++] = (uint8_t)(v[i] >> 24);
		rd[n++] = (uint8_t)(v[i] >> 16);
		rd[n++] = (uint8_t)(v[i] >> 8);
		rd[n++] = (uint8_t)v[i];
	}
	return n;
}

static const uint8_t ns_rd[] = "\002ns\007example\000";
static const uint8_t a1[4] = {192, 0, 2, 1}, a2[4] = {192, 0, 2, 2};

static struct zone_txn *base_txn(void)
{
	struct zone_txn *t;
	assert_int_equal(zone_txn_begin(NULL, origin, &t), 0);
	uint8_t rd[64];
	size_t l = soa(rd, 1);
	assert_int_equal(zone_txn_add(t, origin, DNS_T_SOA, 3600, rd, (uint16_t)l), 0);
	assert_int_equal(zone_txn_add(t, origin, DNS_T_NS, 3600, ns_rd, sizeof(ns_rd) - 1), 0);
	return t;
}

static int setup(void **state)
{
	dns_name_from_text("example.", NULL, origin);
	return 0;
}

static void test_build_and_get(void **state)
{
	struct zone_txn *t = base_txn();
	assert_int_equal(zone_txn_add(t, N("www"), DNS_T_A, 300, a1, 4), 0);
	assert_int_equal(zone_txn_add(t, N("WWW"), DNS_T_A, 300, a2, 4), 0);
	assert_int_equal(zone_txn_add(t, N("www"), DNS_T_A, 300, a2, 4), 0); /* duplicate */
	assert_int_equal(zone_txn_add(t, N("www"), DNS_T_A, 60, a1, 4), 0);  /* duplicate */
	uint8_t a3[4] = {192, 0, 2, 3};
	assert_int_equal(zone_txn_add(t, N("www"), DNS_T_A, 60, a3, 4), 1); /* TTL differs */
	struct zone_version *v;
	assert_int_equal(zone_txn_commit(t, &v), 0);
	assert_int_equal(zone_version_serial(v), 1);
	assert_int_equal(v->nrecords, 5);
	const struct zone_node *n = zone_version_get(v, N("www"));
	assert_non_null(n);
	const struct zone_rrset *rs = zone_node_rrset(n, DNS_T_A);
	assert_non_null(rs);
	assert_int_equal(rs->count, 3);
	assert_int_equal(rs->ttl, 300); /* first TTL kept */
	const uint8_t *p = zone_rrset_data(n, rs);
	assert_int_equal(p[0] << 8 | p[1], 4);
	assert_memory_equal(p + 2, a1, 4);
	assert_memory_equal(p + 8, a2, 4);
	assert_ptr_equal(v->apex, zone_version_get(v, origin));
	zone_version_free(v);
}

static void test_checks(void **state)
{
	struct zone_txn *t = base_txn();
	uint8_t other[DNS_NAME_MAXLEN];
	dns_name_from_text("example.net.", NULL, other);
	assert_int_equal(zone_txn_add(t, other, DNS_T_A, 1, a1, 4), ZONE_EOUTSIDE);
	assert_int_equal(zone_txn_add(t, N("c"), DNS_T_CNAME, 1, ns_rd, sizeof(ns_rd) - 1), 0);
	assert_int_equal(zone_txn_add(t, N("c"), DNS_T_A, 1, a1, 4), ZONE_ECNAME);
	assert_int_equal(zone_txn_add(t, N("c"), DNS_T_CNAME, 1, (const uint8_t *)"\001x\000", 3),
			 ZONE_ECNAME_MULTI);
	assert_int_equal(zone_txn_add(t, N("www"), DNS_T_A, 1, a1, 4), 0);
	assert_int_equal(zone_txn_add(t, N("www"), DNS_T_CNAME, 1, ns_rd, sizeof(ns_rd) - 1),
			 ZONE_ECNAME);
	uint8_t rd[64];
	size_t l = soa(rd, 2);
	assert_int_equal(zone_txn_add(t, N("www"), DNS_T_SOA, 1, rd, (uint16_t)l),
			 ZONE_ESOA_NOT_APEX);
	assert_int_equal(zone_txn_add(t, origin, DNS_T_SOA, 1, rd, (uint16_t)l), ZONE_EMULTI_SOA);
	assert_int_equal(zone_txn_add(t, N("www"), DNS_T_A, 1, a1, 3), ZONE_ERDATA);
	assert_int_equal(zone_txn_add(t, N("www"), DNS_T_OPT, 1, a1, 4), ZONE_ETYPE);
	assert_int_equal(zone_txn_add(t, N("www"), DNS_T_ANY, 1, a1, 4), ZONE_ETYPE);
	assert_int_equal(zone_txn_del(t, N("www"), DNS_T_A, a2, 4), ZONE_ENOTFOUND);
	assert_int_equal(zone_txn_del_rrset(t, N("nope"), DNS_T_A), ZONE_ENOTFOUND);
	zone_txn_abort(t);

	/* commit needs SOA and NS at the apex */
	assert_int_equal(zone_txn_begin(NULL, origin, &t), 0);
	assert_int_equal(zone_txn_add(t, N("www"), DNS_T_A, 1, a1, 4), 0);
	struct zone_version *v;
	assert_int_equal(zone_txn_commit(t, &v), ZONE_ENOSOA);
	l = soa(rd, 1);
	assert_int_equal(zone_txn_add(t, origin, DNS_T_SOA, 1, rd, (uint16_t)l), 0);
	assert_int_equal(zone_txn_commit(t, &v), ZONE_ENONS);
	zone_txn_abort(t);
}

static void test_empty_non_terminals(void **state)
{
	struct zone_txn *t = base_txn();
	assert_int_equal(zone_txn_add(t, N("a.b.c"), DNS_T_A, 1, a1, 4), 0);
	const struct zone_node *c = zone_txn_get(t, N("c")), *b = zone_txn_get(t, N("b.c"));
	assert_non_null(c);
	assert_non_null(b);
	assert_int_equal(c->nrrsets, 0);
	assert_int_equal(c->children, 1);
	assert_int_equal(b->children, 1);
	assert_int_equal(zone_txn_get(t, origin)->children, 1);
	assert_int_equal(zone_txn_add(t, N("x.b.c"), DNS_T_A, 1, a1, 4), 0);
	assert_int_equal(zone_txn_get(t, N("b.c"))->children, 2);
	/* removing the leaves removes the empty non-terminals above them */
	assert_int_equal(zone_txn_del(t, N("a.b.c"), DNS_T_A, a1, 4), 0);
	assert_null(zone_txn_get(t, N("a.b.c")));
	assert_non_null(zone_txn_get(t, N("b.c")));
	assert_int_equal(zone_txn_del_rrset(t, N("x.b.c"), DNS_T_A), 0);
	assert_null(zone_txn_get(t, N("b.c")));
	assert_null(zone_txn_get(t, N("c")));
	assert_int_equal(zone_txn_get(t, origin)->children, 0);
	/* a node with data keeps it when its child goes */
	assert_int_equal(zone_txn_add(t, N("p"), DNS_T_A, 1, a1, 4), 0);
	assert_int_equal(zone_txn_add(t, N("q.p"), DNS_T_A, 1, a1, 4), 0);
	assert_int_equal(zone_txn_del(t, N("q.p"), DNS_T_A, a1, 4), 0);
	assert_non_null(zone_txn_get(t, N("p")));
	assert_int_equal(zone_txn_get(t, N("p"))->children, 0);
	struct zone_version *v;
	assert_int_equal(zone_txn_commit(t, &v), 0);
	assert_int_equal(v->nnodes, 2);
	zone_version_free(v);
}

/* A transaction on a published version changes nothing the base's readers see. */
static void test_persistence(void **state)
{
	struct zone_txn *t = base_txn();
	char name[32];
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "h%d", i);
		assert_int_equal(zone_txn_add(t, N(name), DNS_T_A, 1, a1, 4), 0);
	}
	struct zone_version *v1, *v2;
	assert_int_equal(zone_txn_commit(t, &v1), 0);
	assert_int_equal(zone_txn_begin(v1, NULL, &t), 0);
	assert_int_equal(zone_txn_add(t, N("h5"), DNS_T_A, 1, a2, 4), 0);
	assert_int_equal(zone_txn_del_rrset(t, N("h6"), DNS_T_A), 0);
	assert_int_equal(zone_txn_add(t, N("new"), DNS_T_A, 1, a2, 4), 0);
	assert_int_equal(zone_txn_commit(t, &v2), 0);
	assert_int_equal(zone_node_rrset(zone_version_get(v1, N("h5")), DNS_T_A)->count, 1);
	assert_non_null(zone_version_get(v1, N("h6")));
	assert_null(zone_version_get(v1, N("new")));
	assert_int_equal(zone_node_rrset(zone_version_get(v2, N("h5")), DNS_T_A)->count, 2);
	assert_null(zone_version_get(v2, N("h6")));
	assert_non_null(zone_version_get(v2, N("new")));
	assert_int_equal(v2->nrecords, v1->nrecords + 1);
	/* cost proportional to the change: a few trie paths and nodes, not the zone */
	assert_true(v2->dead.n < 40);
	/* unchanged nodes are shared */
	assert_ptr_equal(zone_version_get(v1, N("h7")), zone_version_get(v2, N("h7")));
	zone_version_retire(v1, v2);
	zone_version_free(v2);
}

/* Objects a k-change transaction copies, per change, on a zone of n names. */
static double copies_per_change(int n, int k)
{
	struct zone_txn *t = base_txn();
	char name[32];
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "h%d", i);
		assert_int_equal(zone_txn_add(t, N(name), DNS_T_A, 1, a1, 4), 0);
	}
	struct zone_version *v1, *v2;
	assert_int_equal(zone_txn_commit(t, &v1), 0);
	assert_int_equal(zone_txn_begin(v1, NULL, &t), 0);
	for (int i = 0; i < k; i++) {
		snprintf(name, sizeof(name), "h%d", (i * 7919) % n);
		assert_int_equal(zone_txn_add(t, N(name), DNS_T_A, 1, a2, 4), 0);
	}
	assert_int_equal(zone_txn_commit(t, &v2), 0);
	double per = (double)v2->dead.n / k;
	zone_version_retire(v1, v2);
	zone_version_free(v2);
	return per;
}

/*
 * The cost bound: applying k records to an n-record zone copies O(k log n) objects
 * (trie paths of log32 n nodes, plus the changed node and the apex it hangs from), not O(n).
 */
static void test_change_cost_is_logarithmic(void **state)
{
	double small = copies_per_change(2000, 100), large = copies_per_change(200000, 100);
	print_message("copies per change: %.2f (2,000 names), %.2f (200,000 names)\n", small,
		      large);
	/* 2,000 names: ~3 trie levels; 200,000: ~4. Each change copies its path + node. */
	assert_true(small <= 6);
	assert_true(large <= 7);
	assert_true(large <= small + 2);
}

static void test_abort_keeps_base(void **state)
{
	struct zone_txn *t = base_txn();
	assert_int_equal(zone_txn_add(t, N("www"), DNS_T_A, 1, a1, 4), 0);
	struct zone_version *v1;
	assert_int_equal(zone_txn_commit(t, &v1), 0);
	assert_int_equal(zone_txn_begin(v1, NULL, &t), 0);
	assert_int_equal(zone_txn_add(t, N("www"), DNS_T_A, 1, a2, 4), 0);
	assert_int_equal(zone_txn_add(t, N("x.y.z"), DNS_T_A, 1, a2, 4), 0);
	assert_int_equal(zone_txn_del_rrset(t, N("www"), DNS_T_A), 0);
	zone_txn_abort(t); /* ASan: no leak, no double free */
	assert_int_equal(zone_node_rrset(zone_version_get(v1, N("www")), DNS_T_A)->count, 1);
	zone_version_free(v1);
}

/* A committed version whose publish failed is discarded without touching its base's nodes. */
static void test_discard_keeps_base(void **state)
{
	struct zone_txn *t = base_txn();
	assert_int_equal(zone_txn_add(t, N("www"), DNS_T_A, 1, a1, 4), 0);
	assert_int_equal(zone_txn_add(t, N("mail"), DNS_T_A, 1, a1, 4), 0);
	struct zone_version *v1, *v2;
	assert_int_equal(zone_txn_commit(t, &v1), 0);
	assert_int_equal(zone_txn_begin(v1, NULL, &t), 0);
	assert_int_equal(zone_txn_add(t, N("www"), DNS_T_A, 1, a2, 4), 0);
	assert_int_equal(zone_txn_add(t, N("x.y.z"), DNS_T_A, 1, a2, 4), 0);
	assert_int_equal(zone_txn_commit(t, &v2), 0);
	/* v2 shares "mail" and the apex with v1. zone_version_free(v2) would free them. */
	assert_ptr_equal(zone_version_get(v2, N("mail")), zone_version_get(v1, N("mail")));
	zone_version_discard(v2); /* ASan: no leak, no double free, v1 intact */
	assert_int_equal(zone_node_rrset(zone_version_get(v1, N("www")), DNS_T_A)->count, 1);
	assert_int_equal(zone_node_rrset(zone_version_get(v1, N("mail")), DNS_T_A)->count, 1);
	assert_null(zone_version_get(v1, N("x.y.z")));
	zone_version_free(v1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_get),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_empty_non_terminals),
		cmocka_unit_test(test_persistence),
		cmocka_unit_test(test_abort_keeps_base),
		cmocka_unit_test(test_discard_keeps_base),
		cmocka_unit_test(test_change_cost_is_logarithmic),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
