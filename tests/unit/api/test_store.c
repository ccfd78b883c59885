/*
 * tests/unit/api/test_store.c - store/store.c: opening, migrations, durability of commits
 * across close/reopen, rollback, the statement cache, the integrity check, and refusal of a
 * database written by a newer schema.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/r53_internal.h"
#include "store/store.h"

static char tmpdir[256];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/signpost-test-store-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static char *sub(const char *name)
{
	static char p[400];
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	return p;
}

static int count_rows(struct store *s, const char *sql)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	assert_non_null(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return n;
}

static void test_open_creates_dir_and_schema(void **state)
{
	char err[256] = "";
	struct store *s;
	const char *dir = sub("a/b/data");
	assert_int_equal(store_open(dir, r53_migrations, r53_nmigrations, &s, err, sizeof err), 0);
	struct stat st;
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(store_schema_version(s), r53_nmigrations);
	/* Every table of R53_SCHEMA_V1 exists. */
	assert_int_equal(
		count_rows(s, "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND "
			      "name IN ('zones','rrsets','changes','tags','delegation_sets')"),
		5);
	/* Pragmas that durability depends on. */
	sqlite3_stmt *q = store_stmt(s, "PRAGMA journal_mode");
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_reset(q);
	q = store_stmt(s, "PRAGMA synchronous");
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 2); /* FULL */
	sqlite3_reset(q);
	q = store_stmt(s, "PRAGMA foreign_keys");
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 1);
	sqlite3_reset(q);
	assert_int_equal(store_check(s, err, sizeof err), 0);
	store_close(s);

	/* Reopening does not re-run migration 1 (it would fail: tables exist). */
	assert_int_equal(store_open(dir, r53_migrations, r53_nmigrations, &s, err, sizeof err), 0);
	assert_int_equal(store_schema_version(s), r53_nmigrations);
	assert_int_equal(count_rows(s, "SELECT COUNT(*) FROM schema_version"), r53_nmigrations);
	store_close(s);
}

static void test_commit_durable_rollback_gone(void **state)
{
	char err[256] = "";
	struct store *s;
	const char *dir = sub("d");
	assert_int_equal(store_open(dir, r53_migrations, r53_nmigrations, &s, err, sizeof err), 0);

	const char *ins = "INSERT INTO changes(id, status, submitted) VALUES(?, 'INSYNC', 'now')";
	assert_int_equal(store_begin(s), 0);
	sqlite3_stmt *st = store_stmt(s, ins);
	sqlite3_bind_text(st, 1, "C1", -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	assert_int_equal(store_commit(s), 0);

	assert_int_equal(store_begin(s), 0);
	st = store_stmt(s, ins);
	/* The cache hands back the same statement, reset and with bindings cleared. */
	sqlite3_bind_text(st, 1, "C2", -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	assert_int_equal(count_rows(s, "SELECT COUNT(*) FROM changes"), 2);
	store_rollback(s);
	assert_int_equal(count_rows(s, "SELECT COUNT(*) FROM changes"), 1);
	/* Rolling back with no transaction open is harmless. */
	store_rollback(s);
	store_close(s);

	assert_int_equal(store_open(dir, r53_migrations, r53_nmigrations, &s, err, sizeof err), 0);
	assert_int_equal(count_rows(s, "SELECT COUNT(*) FROM changes WHERE id='C1'"), 1);
	assert_int_equal(count_rows(s, "SELECT COUNT(*) FROM changes WHERE id='C2'"), 0);
	store_close(s);
}

/* store_exec runs cached statements: transaction control works again and again from them. */
static void test_exec_cached(void **state)
{
	char err[256] = "";
	struct store *s;
	assert_int_equal(store_open(sub("x"), r53_migrations, r53_nmigrations, &s, err, sizeof err),
			 0);
	assert_int_equal(store_exec(s, "CREATE TABLE t(x)"), 0);
	assert_int_equal(store_exec(s, "INSERT INTO nosuch VALUES(1)"), -1);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_begin(s), 0);
		assert_int_equal(store_begin(s), -1); /* no nesting */
		assert_int_equal(store_exec(s, "INSERT INTO t VALUES(1)"), 0);
		if (i == 1)
			store_rollback(s);
		else
			assert_int_equal(store_commit(s), 0);
		assert_true(sqlite3_get_autocommit(store_sqlite(s)));
	}
	assert_int_equal(store_commit(s), -1); /* none open */
	assert_int_equal(count_rows(s, "SELECT COUNT(*) FROM t"), 2);
	assert_int_equal(store_exec(s, "SELECT x FROM t"), 0);
	store_close(s);
}

static void test_commit_failure_rolls_back(void **state)
{
	char err[256] = "";
	struct store *s;
	assert_int_equal(store_open(sub("f"), r53_migrations, r53_nmigrations, &s, err, sizeof err),
			 0);
	/* A deferred foreign-key violation makes COMMIT itself fail; nothing must remain. */
	assert_int_equal(sqlite3_exec(store_sqlite(s),
				      "CREATE TABLE p(id INTEGER PRIMARY KEY);"
				      "CREATE TABLE c(pid INTEGER REFERENCES p(id) DEFERRABLE "
				      "INITIALLY DEFERRED)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(
		sqlite3_exec(store_sqlite(s), "INSERT INTO c VALUES(42)", NULL, NULL, NULL),
		SQLITE_OK);
	assert_int_equal(store_commit(s), -1);
	assert_int_equal(count_rows(s, "SELECT COUNT(*) FROM c"), 0);
	/* And the store is usable afterwards. */
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_commit(s), 0);
	store_close(s);
}

static void test_stmt_cache_by_text(void **state)
{
	char err[256] = "";
	struct store *s;
	assert_int_equal(store_open(sub("c"), r53_migrations, r53_nmigrations, &s, err, sizeof err),
			 0);
	/* The same text in two buffers is one statement; a buffer reused for other text is not. */
	char a[64], b[64];
	strcpy(a, "SELECT 1");
	strcpy(b, "SELECT 1");
	sqlite3_stmt *s1 = store_stmt(s, a);
	assert_ptr_equal(store_stmt(s, b), s1);
	strcpy(a, "SELECT 2");
	sqlite3_stmt *s2 = store_stmt(s, a);
	assert_ptr_not_equal(s2, s1);
	assert_int_equal(sqlite3_step(s2), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s2, 0), 2);
	/* Bad SQL gives NULL, not a crash. */
	assert_null(store_stmt(s, "SELEKT nonsense"));
	/* More distinct statements than the cache has slots: each still works. */
	for (int i = 0; i < 200; i++) {
		char q[64];
		snprintf(q, sizeof q, "SELECT %d", i);
		sqlite3_stmt *st = store_stmt(s, q);
		assert_non_null(st);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), i);
	}
	store_close(s);
}

static void test_newer_schema_refused(void **state)
{
	char err[256] = "";
	struct store *s;
	const char *dir = sub("n");
	assert_int_equal(store_open(dir, r53_migrations, r53_nmigrations, &s, err, sizeof err), 0);
	assert_int_equal(sqlite3_exec(store_sqlite(s), "INSERT INTO schema_version VALUES(999)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	store_close(s);
	s = NULL;
	assert_int_equal(store_open(dir, r53_migrations, r53_nmigrations, &s, err, sizeof err), -1);
	assert_null(s);
	assert_non_null(strstr(err, "999"));
	assert_non_null(strstr(err, "newer"));
}

static void test_integrity_check_detects_damage(void **state)
{
	char err[256] = "";
	struct store *s;
	const char *dir = sub("i");
	assert_int_equal(store_open(dir, r53_migrations, r53_nmigrations, &s, err, sizeof err), 0);
	/* Enough rows for several pages, then checkpoint them into the main file. */
	assert_int_equal(store_begin(s), 0);
	for (int i = 0; i < 2000; i++) {
		sqlite3_stmt *st =
			store_stmt(s, "INSERT INTO changes(id, status, submitted, comment) "
				      "VALUES(?, 'INSYNC', 'now', ?)");
		char id[32];
		snprintf(id, sizeof id, "C%06d", i);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, "some comment text to fill pages", -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	}
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_check(s, err, sizeof err), 0);
	store_close(s);

	/* Overwrite part of an index page (not the header page) with garbage. */
	char path[512];
	snprintf(path, sizeof path, "%s/signpost.db", dir);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long size = ftell(f);
	assert_true(size > 8 * 4096);
	for (long off = 3 * 4096; off < size; off += 4096 * 3) {
		assert_int_equal(fseek(f, off + 100, SEEK_SET), 0);
		char junk[200];
		memset(junk, 0x5a, sizeof junk);
		assert_int_equal(fwrite(junk, 1, sizeof junk, f), sizeof junk);
	}
	fclose(f);
	err[0] = '\0';
	int rc = store_open(dir, r53_migrations, r53_nmigrations, &s, err, sizeof err);
	if (rc == 0) {
		assert_int_equal(store_check(s, err, sizeof err), -1);
		assert_non_null(strstr(err, "integrity_check"));
		store_close(s);
	} else {
		/* Damage found already while opening: also a refusal, with a message. */
		assert_true(err[0] != '\0');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_dir_and_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_durable_rollback_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_failure_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stmt_cache_by_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_integrity_check_detects_damage, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
