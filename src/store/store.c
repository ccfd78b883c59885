/*
 * store/store.c - the SQLite implementation of store.h.
 *
 * One connection per store, used by one writer at a time (the engine serialises callers).
 * Durability comes from WAL with synchronous=FULL: SQLite fdatasyncs the WAL inside COMMIT,
 * so store_commit() returning 0 means the transaction survives a crash or power loss
 * (../shared/reference/durability.md §2). The schema is a list of migrations; the version
 * reached is kept in schema_version, and a database written by a newer binary is refused
 * rather than misread.
 */
#include <stddef.h> /* store.h uses size_t without including it */

#include "store/store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Enough for every distinct statement the engine uses; past it statements are still cached
 * but the oldest slot is recycled, so a caller never gets NULL for want of space. */
#define STMT_CACHE 64

struct stmt_slot {
	char *sql; /* a copy, keyed by text: a caller's buffer may later hold other SQL */
	sqlite3_stmt *stmt;
};

struct store {
	sqlite3 *db;
	int version;
	struct stmt_slot cache[STMT_CACHE];
	size_t ncache, next_evict;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		set_err(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Reads one integer from the first column of `sql`; -1 on error. */
static int query_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	else if (rc == SQLITE_DONE)
		*out = 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Each pending migration runs in the one transaction, so a crash mid-way leaves the old
 * version whole; the version row is written in that same transaction. */
static int migrate(struct store *s, const char *const *migrations, int nmigrations, char *err,
		   size_t errlen)
{
	if (exec(s->db, "BEGIN IMMEDIATE", err, errlen))
		return -1;
	if (exec(s->db, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)", err,
		 errlen))
		goto fail;
	int v;
	if (query_int(s->db, "SELECT MAX(version) FROM schema_version", &v)) {
		set_err(err, errlen, "reading schema version: %s", sqlite3_errmsg(s->db));
		goto fail;
	}
	if (v > nmigrations) {
		set_err(err, errlen,
			"the database's schema version is %d but this signpost knows only up to "
			"%d: "
			"it was written by a newer signpost; run that version (or restore a "
			"backup)",
			v, nmigrations);
		goto fail;
	}
	for (int i = v; i < nmigrations; i++) {
		if (exec(s->db, migrations[i], err, errlen))
			goto fail;
		char sql[96];
		snprintf(sql, sizeof sql, "INSERT INTO schema_version(version) VALUES(%d)", i + 1);
		if (exec(s->db, sql, err, errlen))
			goto fail;
	}
	if (exec(s->db, "COMMIT", err, errlen))
		goto fail;
	s->version = nmigrations;
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int store_open(const char *dir, const char *const *migrations, int nmigrations, struct store **out,
	       char *err, size_t errlen)
{
	*out = NULL;
	char path[4200];
	/* Every zone lives here: owner only. Parents are created too, like mkdir -p. */
	if (strlen(dir) >= sizeof path - 16) {
		set_err(err, errlen, "data directory path too long");
		return -1;
	}
	strcpy(path, dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST) {
			set_err(err, errlen, "creating %s: %s", path, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		set_err(err, errlen, "creating %s: %s", dir, strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(path, sizeof path, "%s/signpost.db", dir) >= sizeof path) {
		set_err(err, errlen, "data directory path too long");
		return -1;
	}
	struct store *s = calloc(1, sizeof *s);
	if (!s) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	/* FULLMUTEX: the engine serialises writers itself, but a stray second thread must not
	 * corrupt the connection. */
	int rc = sqlite3_open_v2(path, &s->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		set_err(err, errlen, "opening %s: %s", path,
			s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	/* A second process on the same file waits rather than failing at once. */
	sqlite3_busy_timeout(s->db, 5000);
	char jm[32] = "";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(st, 0);
			snprintf(jm, sizeof jm, "%s", t ? (const char *)t : "");
		}
		sqlite3_finalize(st);
	}
	if (strcmp(jm, "wal") != 0) {
		set_err(err, errlen, "%s: could not enable WAL mode (journal_mode is '%s')", path,
			jm);
		goto fail;
	}
	/* FULL, explicitly: WAL+NORMAL may lose acknowledged commits on power loss. */
	if (exec(s->db, "PRAGMA synchronous=FULL", err, errlen) ||
	    exec(s->db, "PRAGMA foreign_keys=ON", err, errlen))
		goto fail;
	if (migrate(s, migrations, nmigrations, err, errlen))
		goto fail;
	*out = s;
	return 0;
fail:
	sqlite3_close_v2(s->db);
	free(s);
	return -1;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ncache; i++) {
		sqlite3_finalize(s->cache[i].stmt);
		free(s->cache[i].sql);
	}
	/* Checkpoint so the WAL does not grow across restarts; failure is harmless. */
	sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_close_v2(s->db);
	free(s);
}

int store_schema_version(struct store *s)
{
	return s->version;
}

int store_exec(struct store *s, const char *sql)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return -1;
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/* The transaction statements come from the cache: sqlite3_exec would compile them each time,
 * four times per change batch. */
int store_begin(struct store *s)
{
	return store_exec(s, "BEGIN IMMEDIATE");
}

int store_commit(struct store *s)
{
	if (store_exec(s, "COMMIT") == 0)
		return 0;
	/* A failed COMMIT may leave the transaction open (SQLITE_BUSY) or already rolled back
	 * (I/O error); either way the caller must see nothing applied. */
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

void store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		store_exec(s, "ROLLBACK");
}

sqlite3_stmt *store_stmt(struct store *s, const char *sql)
{
	struct stmt_slot *slot = NULL;
	for (size_t i = 0; i < s->ncache; i++)
		if (strcmp(s->cache[i].sql, sql) == 0) {
			slot = &s->cache[i];
			break;
		}
	if (slot) {
		sqlite3_reset(slot->stmt);
		sqlite3_clear_bindings(slot->stmt);
		return slot->stmt;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		return NULL;
	char *copy = strdup(sql);
	if (!copy) {
		sqlite3_finalize(st);
		return NULL;
	}
	if (s->ncache < STMT_CACHE) {
		slot = &s->cache[s->ncache++];
	} else {
		/* Recycle round-robin; a statement handed out earlier from this slot must not be
		 * in use any more, which holds because callers finish one statement at a time. */
		slot = &s->cache[s->next_evict];
		s->next_evict = (s->next_evict + 1) % STMT_CACHE;
		sqlite3_finalize(slot->stmt);
		free(slot->sql);
	}
	slot->sql = copy;
	slot->stmt = st;
	return st;
}

sqlite3 *store_sqlite(struct store *s)
{
	return s->db;
}

int store_check(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
		set_err(err, errlen, "integrity_check: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		if (t && strcmp((const char *)t, "ok") == 0)
			rc = 0;
		else
			set_err(err, errlen, "integrity_check: %s", t ? (const char *)t : "(null)");
	} else {
		set_err(err, errlen, "integrity_check: %s", sqlite3_errmsg(s->db));
	}
	sqlite3_finalize(st);
	return rc;
}
