/*
 * Readers query while a writer publishes new zone versions: every snapshot and every answer
 * must come from exactly one version (ARCHITECTURE.md §6: no torn reads).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <urcu-qsbr.h>

#include "auth/answer.h"
#include "dns/name.h"
#include "zone/db.h"
#include "zone/lookup.h"

#define NAMES    64
#define VERSIONS 400
#define READERS  3

static uint8_t origin[DNS_NAME_MAXLEN];
static struct zone_db *db;
static atomic_bool done;
static atomic_long checks;

static const uint8_t *N(const char *text)
{
	static _Thread_local uint8_t bufs[4][DNS_NAME_MAXLEN];
	static _Thread_local int i;
	uint8_t *b = bufs[i++ % 4];
	assert_true(dns_name_from_text(text, origin, b) > 0);
	return b;
}

/* Version k: every n<i> has A 10.0.k/256.k%256, mx has MX k → target, target has that A. */
static void set_version(struct zone_txn *t, unsigned k, bool fresh)
{
	uint8_t a[4] = {10, 0, (uint8_t)(k >> 8), (uint8_t)k};
	char name[16];
	for (int i = 0; i < NAMES; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		if (!fresh)
			assert_int_equal(zone_txn_del_rrset(t, N(name), DNS_T_A), 0);
		assert_int_equal(zone_txn_add(t, N(name), DNS_T_A, 60, a, 4), 0);
	}
	if (!fresh) {
		assert_int_equal(zone_txn_del_rrset(t, N("target"), DNS_T_A), 0);
		assert_int_equal(zone_txn_del_rrset(t, N("mx"), DNS_T_MX), 0);
	}
	assert_int_equal(zone_txn_add(t, N("target"), DNS_T_A, 60, a, 4), 0);
	uint8_t mx[32] = {(uint8_t)(k >> 8), (uint8_t)k};
	memcpy(mx + 2, "\006target\007example\000", 16);
	assert_int_equal(zone_txn_add(t, N("mx"), DNS_T_MX, 60, mx, 18), 0);
}

static unsigned node_version(const struct zone_node *n)
{
	const struct zone_rrset *rs = zone_node_rrset(n, DNS_T_A);
	const uint8_t *p = zone_rrset_data(n, rs);
	return (unsigned)(p[4] << 8 | p[5]);
}

/* Checks one snapshot: all names of one version. */
static void check_snapshot(void)
{
	const struct zone_set *s = zone_db_get(db);
	struct zone_qname q;
	zone_qname_init(&q, origin);
	const struct zone_version *v = zone_set_find(s, q.name, q.off, q.hash, q.labels);
	assert_non_null(v);
	unsigned k = node_version(zone_version_get(v, N("n0")));
	char name[16];
	for (int i = 1; i < NAMES; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(node_version(zone_version_get(v, N(name))), k);
	}
}

/* Asks for mx/MX: the MX preference and the additional A of the target must agree. */
static void check_answer(void)
{
	uint8_t q[64] = {0xab, 0xcd, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
	memcpy(q + 12, "\002mx\007example\000\000\017\000\001", 16);
	uint8_t out[512];
	size_t len = auth_answer(zone_db_get(db), q, 28, out, sizeof(out), false);
	assert_true(len > 12);
	assert_int_equal(out[7], 1);  /* one answer */
	assert_int_equal(out[11], 1); /* one additional */
	size_t pos = 28;
	uint8_t name[DNS_NAME_MAXLEN];
	assert_true(dns_name_unpack(out, len, &pos, name) > 0);
	unsigned pref = (unsigned)(out[pos + 10] << 8 | out[pos + 11]);
	pos += 10 + (size_t)(out[pos + 8] << 8 | out[pos + 9]);
	assert_true(dns_name_unpack(out, len, &pos, name) > 0);
	assert_int_equal(out[pos + 1], DNS_T_A);
	unsigned addr = (unsigned)(out[pos + 12] << 8 | out[pos + 13]);
	assert_int_equal(pref, addr);
}

static void *reader(void *arg)
{
	(void)arg;
	rcu_register_thread();
	while (!atomic_load(&done)) {
		check_snapshot();
		check_answer();
		atomic_fetch_add(&checks, 1);
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

static void test_no_torn_reads(void **state)
{
	dns_name_from_text("example.", NULL, origin);
	db = zone_db_new();
	struct zone_txn *t;
	assert_int_equal(zone_txn_begin(NULL, origin, &t), 0);
	uint8_t soa[64];
	memcpy(soa, "\002ns\007example\000\001h\007example\000", 23);
	memset(soa + 23, 0, 20);
	soa[42] = 60;
	assert_int_equal(zone_txn_add(t, origin, DNS_T_SOA, 60, soa, 43), 0);
	assert_int_equal(zone_txn_add(t, origin, DNS_T_NS, 60, soa, 12), 0);
	set_version(t, 0, true);
	struct zone_version *v;
	assert_int_equal(zone_txn_commit(t, &v), 0);
	assert_int_equal(zone_db_publish(db, v, true), 0);
	zone_db_sync(db);

	pthread_t th[READERS];
	for (int i = 0; i < READERS; i++)
		pthread_create(&th[i], NULL, reader, NULL);
	for (unsigned k = 1; k <= VERSIONS; k++) {
		assert_int_equal(zone_txn_begin(zone_db_zone(db, origin), NULL, &t), 0);
		set_version(t, k, false);
		assert_int_equal(zone_txn_commit(t, &v), 0);
		assert_int_equal(zone_db_publish(db, v, false), 0);
		/* Sync only sometimes, so several versions wait for one grace period. */
		if (k % 3 == 0)
			zone_db_sync(db);
	}
	zone_db_sync(db);
	/* After sync every reader sees the last version. */
	const struct zone_version *last = zone_db_zone(db, origin);
	assert_int_equal(node_version(zone_version_get(last, N("n5"))), VERSIONS);
	atomic_store(&done, true);
	for (int i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	assert_true(atomic_load(&checks) > 0);
	zone_db_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_torn_reads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
