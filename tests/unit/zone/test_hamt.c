/* Unit tests for zone/hamt: a persistent map checked against a plain array model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/name.h"
#include "zone/hamt.h"

struct item {
	struct hamt_leaf leaf;
	int value;
	uint8_t name[32];
};

/* Names "\x05nNNNN\0"; `hash` lets a test force collisions. */
static struct item *item_new(uint64_t stamp, int key, int value, uint64_t hash)
{
	struct item *it = calloc(1, sizeof(*it));
	it->name[0] = 5;
	snprintf((char *)it->name + 1, 7, "n%04d", key);
	it->name[6] = 0;
	it->leaf.name = it->name;
	it->leaf.hash = hash ? hash : dns_name_hash(it->name);
	it->leaf.stamp = stamp;
	it->value = value;
	return it;
}

static const struct item *find(const struct hamt *h, int key, uint64_t hash)
{
	uint8_t name[8] = {5};
	snprintf((char *)name + 1, 7, "n%04d", key);
	name[6] = 0;
	return (const struct item *)hamt_get(h, hash ? hash : dns_name_hash(name), name);
}

static void free_leaf(struct hamt_leaf *l)
{
	free(l);
}

static int count;
static void count_leaf(struct hamt_leaf *l, void *ctx)
{
	(void)l;
	(void)ctx;
	count++;
}

#define N 3000

/* Random puts and deletes against a model; then every key is checked. */
static void run_model(uint64_t (*hashfn)(int), unsigned seed)
{
	struct hamt h = {0};
	struct hamt_garbage dead = {0};
	int model[N];
	uint64_t stamp = hamt_new_stamp();
	srand(seed);
	for (int i = 0; i < N; i++)
		model[i] = -1;
	for (int step = 0; step < 20000; step++) {
		int key = rand() % N;
		struct hamt_leaf *old = NULL;
		if (rand() % 3) {
			struct item *it = item_new(stamp, key, step, hashfn(key));
			assert_int_equal(hamt_put(&h, stamp, &it->leaf, &old, &dead), 0);
			model[key] = step;
		} else {
			uint8_t name[8] = {5};
			snprintf((char *)name + 1, 7, "n%04d", key);
			name[6] = 0;
			uint64_t hh = hashfn(key) ? hashfn(key) : dns_name_hash(name);
			assert_int_equal(hamt_del(&h, stamp, hh, name, &old, &dead), 0);
			assert_int_equal(old != NULL, model[key] >= 0);
			model[key] = -1;
		}
		free(old);
	}
	int live = 0;
	for (int k = 0; k < N; k++) {
		const struct item *it = find(&h, k, hashfn(k));
		if (model[k] < 0) {
			assert_null(it);
		} else {
			live++;
			assert_non_null(it);
			assert_int_equal(it->value, model[k]);
		}
	}
	count = 0;
	hamt_walk(&h, count_leaf, NULL);
	assert_int_equal(count, live);
	/* one stamp throughout: nothing was shared, so nothing was queued */
	assert_int_equal(dead.n, 0);
	hamt_destroy(&h, free_leaf);
	hamt_garbage_free(&dead);
}

static uint64_t natural(int key)
{
	(void)key;
	return 0;
}

static uint64_t colliding(int key)
{
	return 0x1234 + (uint64_t)(key % 7); /* many keys share each full 64-bit hash */
}

static void test_model(void **state)
{
	run_model(natural, 1);
}

static void test_collisions(void **state)
{
	run_model(colliding, 2);
}

/* A second transaction copies paths: the first version is untouched. */
static void test_persistence(void **state)
{
	struct hamt v1 = {0};
	struct hamt_garbage dead = {0};
	uint64_t s1 = hamt_new_stamp();
	struct hamt_leaf *old;
	for (int k = 0; k < 500; k++) {
		struct item *it = item_new(s1, k, k, 0);
		assert_int_equal(hamt_put(&v1, s1, &it->leaf, &old, &dead), 0);
	}
	struct hamt v2 = v1;
	uint64_t s2 = hamt_new_stamp();
	struct hamt_garbage dead2 = {0};
	struct item *changed = item_new(s2, 7, 700, 0);
	assert_int_equal(hamt_put(&v2, s2, &changed->leaf, &old, &dead2), 0);
	assert_non_null(old);
	assert_int_equal(hamt_garbage_add(&dead2, old), 0);
	uint8_t name[8] = {5, 'n', '0', '0', '0', '9', 0};
	assert_int_equal(hamt_del(&v2, s2, dns_name_hash(name), name, &old, &dead2), 0);
	assert_non_null(old);
	assert_int_equal(hamt_garbage_add(&dead2, old), 0);
	/* v1 as it was */
	assert_int_equal(find(&v1, 7, 0)->value, 7);
	assert_non_null(find(&v1, 9, 0));
	/* v2 changed */
	assert_int_equal(find(&v2, 7, 0)->value, 700);
	assert_null(find(&v2, 9, 0));
	assert_int_equal(find(&v2, 8, 0)->value, 8);
	/* the copied paths are few: O(depth) per change, not O(n) */
	assert_true(dead2.n <= 2 * 4 + 2);
	/* retire v1: what v2 replaced, then v2 is whole */
	hamt_garbage_free(&dead2);
	hamt_destroy(&v2, free_leaf);
	free(dead.items);
}

/* Aborting frees exactly what the transaction made. */
static void test_abort(void **state)
{
	struct hamt base = {0};
	struct hamt_garbage dead = {0};
	uint64_t s1 = hamt_new_stamp();
	struct hamt_leaf *old;
	for (int k = 0; k < 200; k++) {
		struct item *it = item_new(s1, k, k, 0);
		assert_int_equal(hamt_put(&base, s1, &it->leaf, &old, &dead), 0);
	}
	struct hamt t = base;
	uint64_t s2 = hamt_new_stamp();
	struct hamt_garbage dead2 = {0};
	for (int k = 150; k < 300; k++) {
		struct item *it = item_new(s2, k, -k, 0);
		assert_int_equal(hamt_put(&t, s2, &it->leaf, &old, &dead2), 0);
		/* old leaves belong to the base */
	}
	hamt_destroy_stamped(&t, s2, free_leaf);
	free(dead2.items);
	for (int k = 0; k < 200; k++)
		assert_int_equal(find(&base, k, 0)->value, k);
	assert_null(find(&base, 250, 0));
	hamt_destroy(&base, free_leaf); /* ASan reports any leak or double free */
	free(dead.items);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_persistence),
		cmocka_unit_test(test_abort),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
