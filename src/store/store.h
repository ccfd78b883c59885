/*
 * store/store.h - the control plane's durable state behind one small interface
 * (ARCHITECTURE.md §3): SQLite in WAL mode with synchronous=FULL, schema versioned with
 * migrations. A transaction that commits is on disk when store_commit() returns.
 *
 * The interface is SQL-shaped on purpose: the Route 53 engine (api/) owns its tables and hands
 * them over as migrations; this module owns opening, pragmas, applying migrations,
 * transactions and statement caching (ARCHITECTURE.md §2: store/ knows nothing of api/).
 */
#pragma once
#include <sqlite3.h>
#include <stddef.h>

struct store;

/*
 * Opens or creates DIR/signpost.db and applies the migrations it has not seen yet, in one
 * transaction: migrations[i] is schema version i + 1 (append only, never edit a shipped one).
 * A database newer than nmigrations is refused with a message.
 */
int store_open(const char *dir, const char *const *migrations, int nmigrations, struct store **out,
	       char *err, size_t errlen);
void store_close(struct store *s);
/* The current schema version (after migrations). */
int store_schema_version(struct store *s);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Commit is durable (synchronous=FULL, WAL). */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/*
 * Runs one statement that takes no parameters from the cache below, its rows discarded; 0 or
 * -1. Not for PRAGMAs that set something: SQLite applies those when it compiles them.
 */
int store_exec(struct store *s, const char *sql);

/* A prepared statement for `sql`, cached per store, reset and cleared: bind, step, done. */
sqlite3_stmt *store_stmt(struct store *s, const char *sql);
sqlite3 *store_sqlite(struct store *s);
/* PRAGMA integrity_check; 0 when "ok". */
int store_check(struct store *s, char *err, size_t errlen);
