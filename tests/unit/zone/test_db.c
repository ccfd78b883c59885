/*
 * Unit tests for zone/db with many zones: the longest-match zone among 100,000, removal, and
 * a check that answering never allocates (malloc, calloc and realloc are wrapped at link time).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "auth/answer.h"
#include "dns/name.h"
#include "zone/db.h"
#include "zone/lookup.h"

#define ZONES 100000

/* Counting allocator: every allocation by the code under test goes through here. */
static atomic_long allocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n)
{
	atomic_fetch_add(&allocs, 1);
	return __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t m)
{
	atomic_fetch_add(&allocs, 1);
	return __real_calloc(n, m);
}
void *__wrap_realloc(void *p, size_t n)
{
	atomic_fetch_add(&allocs, 1);
	return __real_realloc(p, n);
}

static struct zone_db *db;

static void zone_name(char *buf, size_t size, int i)
{
	/* Zones at two depths, several per parent: z<i>.p<i%97>.test. and a child of every
	   tenth one, so longest match has real choices to make. */
	if (i % 10 == 9)
		snprintf(buf, size, "sub.z%d.p%d.test.", i - 9, (i - 9) % 97);
	else
		snprintf(buf, size, "z%d.p%d.test.", i, i % 97);
}

static struct zone_version *make_zone(const uint8_t *origin, uint8_t tag)
{
	struct zone_txn *t;
	assert_int_equal(zone_txn_begin(NULL, origin, &t), 0);
	uint8_t soa[64];
	memcpy(soa, "\002ns\004test\000\001h\004test\000", 17);
	memset(soa + 17, 0, 20);
	soa[36] = 60;
	assert_int_equal(zone_txn_add(t, origin, DNS_T_SOA, 60, soa, 37), 0);
	assert_int_equal(zone_txn_add(t, origin, DNS_T_NS, 60, soa, 9), 0);
	uint8_t www[DNS_NAME_MAXLEN];
	assert_true(dns_name_from_text("www", origin, www) > 0);
	uint8_t a[4] = {10, 0, 0, tag};
	assert_int_equal(zone_txn_add(t, www, DNS_T_A, 60, a, 4), 0);
	struct zone_version *v;
	assert_int_equal(zone_txn_commit(t, &v), 0);
	return v;
}

static int setup(void **state)
{
	rcu_register_thread();
	db = zone_db_new();
	char text[64];
	uint8_t origin[DNS_NAME_MAXLEN];
	for (int i = 0; i < ZONES; i++) {
		zone_name(text, sizeof(text), i);
		assert_true(dns_name_from_text(text, NULL, origin) > 0);
		assert_int_equal(zone_db_publish(db, make_zone(origin, (uint8_t)(i % 10)), true),
				 0);
	}
	zone_db_sync(db);
	return 0;
}

static int teardown(void **state)
{
	zone_db_free(db);
	rcu_unregister_thread();
	return 0;
}

static const struct zone_version *find(const char *text)
{
	uint8_t name[DNS_NAME_MAXLEN];
	assert_true(dns_name_from_text(text, NULL, name) > 0);
	struct zone_qname q;
	zone_qname_init(&q, name);
	return zone_set_find(zone_db_get(db), q.name, q.off, q.hash, q.labels);
}

static void test_longest_match(void **state)
{
	const struct zone_set *s = zone_db_get(db);
	assert_int_equal(s->count, ZONES);
	char text[96], want[64];
	uint8_t w[DNS_NAME_MAXLEN];
	srand(7);
	for (int k = 0; k < 20000; k++) {
		int i = rand() % ZONES;
		zone_name(want, sizeof(want), i);
		snprintf(text, sizeof(text), "a.b.WWW.%s", want);
		const struct zone_version *v = find(text);
		assert_non_null(v);
		dns_name_from_text(want, NULL, w);
		assert_true(dns_name_equal(v->origin, w));
	}
	/* the parent of a child zone is still found for its other names */
	const struct zone_version *v = find("other.z0.p0.test.");
	assert_non_null(v);
	assert_int_equal(v->origin_labels, 3);
	assert_int_equal(find("sub.z0.p0.test.")->origin_labels, 4);
	assert_null(find("p0.test."));
	assert_null(find("test."));
	assert_null(find("."));
	assert_null(find("www.example.com."));
}

static void test_remove(void **state)
{
	uint8_t origin[DNS_NAME_MAXLEN];
	dns_name_from_text("sub.z10.p10.test.", NULL, origin);
	assert_int_equal(zone_db_remove(db, origin), 0);
	zone_db_sync(db);
	assert_int_equal(find("www.sub.z10.p10.test.")->origin_labels, 3);
	assert_int_equal(zone_db_remove(db, origin), ZONE_ENOTFOUND);
	assert_int_equal(zone_db_get(db)->count, ZONES - 1);
	assert_int_equal(zone_db_publish(db, make_zone(origin, 1), true), 0);
	zone_db_sync(db);
	assert_int_equal(find("www.sub.z10.p10.test.")->origin_labels, 4);
}

static size_t query(uint8_t *buf, const char *name, uint16_t type, bool edns)
{
	uint8_t h[12] = {0x42, 0x42, 0, 0, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0};
	memcpy(buf, h, 12);
	int n = dns_name_from_text(name, NULL, buf + 12);
	assert_true(n > 0);
	size_t len = 12 + (size_t)n;
	buf[len++] = (uint8_t)(type >> 8);
	buf[len++] = (uint8_t)type;
	buf[len++] = 0;
	buf[len++] = 1;
	if (edns) {
		static const uint8_t opt[] = {0, 0, 41, 4, 0xd0, 0, 0, 0x80, 0, 0, 0};
		memcpy(buf + len, opt, sizeof(opt));
		len += sizeof(opt);
	}
	return len;
}

/* ARCHITECTURE.md §6: nothing on the answer path allocates. */
static void test_answer_does_not_allocate(void **state)
{
	static const struct {
		const char *name;
		uint16_t type;
	} qs[] = {
		{"www.z1.p1.test.", DNS_T_A},     {"www.z1.p1.test.", DNS_T_MX},
		{"nx.z1.p1.test.", DNS_T_A},      {"z1.p1.test.", DNS_T_SOA},
		{"z1.p1.test.", DNS_T_NS},        {"z1.p1.test.", DNS_T_ANY},
		{"www.example.com.", DNS_T_A},    {"sub.z0.p0.test.", DNS_T_DS},
		{"www.sub.z0.p0.test.", DNS_T_A}, {"z1.p1.test.", DNS_T_AXFR},
	};
	uint8_t in[512], out[65535];
	long before = atomic_load(&allocs);
	void *(*volatile alloc)(size_t) = malloc; /* not elided: the counter works */
	void *probe = alloc(1);
	assert_int_equal(atomic_load(&allocs), before + 1);
	free(probe);
	before = atomic_load(&allocs);
	const struct zone_set *s = zone_db_get(db);
	for (int round = 0; round < 100; round++) {
		for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
			size_t len = query(in, qs[i].name, qs[i].type, round & 1);
			assert_true(auth_answer(s, in, len, out, sizeof(out), round & 2) > 12);
		}
		/* garbage too */
		assert_true(auth_answer(s, in, 5, out, sizeof(out), false) == 0);
	}
	assert_int_equal(atomic_load(&allocs), before);
}

/*
 * ARCHITECTURE.md §6: no system call on the answer path. A child process enters seccomp
 * strict mode, where any system call but read, write and _exit kills it (so would a
 * contended lock's futex, or an allocation that needs memory from the kernel), then answers.
 */
static void test_answer_makes_no_system_call(void **state)
{
	uint8_t in[512], out[65535];
	size_t lens[4];
	static const char *const names[] = {"www.z1.p1.test.", "nx.z1.p1.test.",
					    "www.sub.z0.p0.test.", "www.example.com."};
	uint8_t queries[4][512];
	for (int i = 0; i < 4; i++)
		lens[i] = query(queries[i], names[i], i == 2 ? DNS_T_MX : DNS_T_A, i & 1);
	const struct zone_set *s = zone_db_get(db);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0)
			syscall(SYS_exit, 3);
		long ok = 0;
		for (int round = 0; round < 1000; round++) {
			for (int i = 0; i < 4; i++) {
				memcpy(in, queries[i], lens[i]);
				ok += auth_answer(s, in, lens[i], out, sizeof(out), round & 1) > 12;
			}
		}
		syscall(SYS_exit, ok == 4000 ? 0 : 2);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status)); /* killed by SIGKILL if it made a system call */
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_longest_match),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_answer_does_not_allocate),
		cmocka_unit_test(test_answer_makes_no_system_call),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
