/*
 * api/r53_internal.h - what the parts of the Route 53 engine share (not for other modules).
 *
 * r53_zones.c: opening, hosted zones, delegation sets, tags, limits, change records.
 * r53_records.c: record sets (change batches, listing, aliases), building and publishing the
 *   served zone versions, TestDNSAnswer.
 * r53_names.c: Route 53's name normalisation and escaping.
 */
#pragma once
#include <pthread.h>
#include <stdarg.h>

#include "api/r53.h"
#include "store/store.h"

struct r53 {
	struct r53_config cfg; /* strings copied into the fields below */
	char data_dir[4096];
	char ns[R53_NS_COUNT][R53_NAME_MAX];
	struct store *store;
	struct zone_db *db;
	pthread_mutex_t lock; /* one writer at a time, also for the zone_db */
};

/*
 * The schema (store/ applies it as migration 1; later migrations append). Record sets are kept
 * as JSON bodies (jansson) of struct r53_rrset, keyed for Route 53's list order:
 * sort_name is the name's labels reversed, lower case ("com.example.www"), so ORDER BY
 * sort_name, type, set_id is ListResourceRecordSets' order.
 */
#define R53_SCHEMA_V1                                                                              \
	"CREATE TABLE zones(id TEXT PRIMARY KEY, name TEXT NOT NULL, caller_ref TEXT NOT NULL "    \
	"UNIQUE, comment TEXT, has_comment INTEGER NOT NULL DEFAULT 0, private INTEGER NOT NULL "  \
	"DEFAULT 0, vpcs TEXT NOT NULL DEFAULT '[]', delegation_set_id TEXT NOT NULL DEFAULT '', " \
	"ns TEXT NOT NULL, created TEXT NOT NULL, rrset_count INTEGER NOT NULL DEFAULT 0);"        \
	"CREATE INDEX zones_by_name ON zones(name, id);"                                           \
	"CREATE TABLE rrsets(zone_id TEXT NOT NULL, sort_name TEXT NOT NULL, name TEXT NOT NULL, " \
	"type TEXT NOT NULL, set_id TEXT NOT NULL DEFAULT '', body TEXT NOT NULL, "                \
	"PRIMARY KEY(zone_id, sort_name, type, set_id));"                                          \
	"CREATE TABLE changes(id TEXT PRIMARY KEY, status TEXT NOT NULL, submitted TEXT NOT "      \
	"NULL, "                                                                                   \
	"comment TEXT NOT NULL DEFAULT '');"                                                       \
	"CREATE TABLE tags(resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, key TEXT NOT "  \
	"NULL, value TEXT NOT NULL, PRIMARY KEY(resource_type, resource_id, key));"                \
	"CREATE TABLE delegation_sets(id TEXT PRIMARY KEY, caller_ref TEXT NOT NULL UNIQUE, ns "   \
	"TEXT NOT NULL, created TEXT NOT NULL);"

/* The engine's schema as store migrations (r53_zones.c): version i + 1 is [i]. */
extern const char *const r53_migrations[];
extern const int r53_nmigrations;

/* ---- r53_zones.c ---- */
/* Fills e (frees what it held). */
void r53_err(struct r53_error *e, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A new random id: prefix ('Z', 'C', 'N') and 20 characters of [A-Z0-9]. */
void r53_new_id(char prefix, char out[R53_ID_MAX]);
/* Now as ISO-8601 UTC with milliseconds. */
void r53_now_iso(char out[32]);
/* Strips "/hostedzone/", "/change/", "/delegationset/" prefixes in place of URI ids. */
const char *r53_bare_id(const char *id);
/* Reads a hosted zone row; NoSuchHostedZone (404) if absent. */
int r53_zone_load(struct r53 *r, const char *id, struct r53_zone *z, struct r53_error *err);
/* Only a hosted zone's name and record set count, as r53_zone_load gives them (a change's
 * need, without decoding the rest of the row). */
int r53_zone_head(struct r53 *r, const char *id, char name[R53_NAME_MAX], uint64_t *rrset_count,
		  struct r53_error *err);
/* Marks a change INSYNC once every DNS worker serves it (sets ci->status). */
void r53_change_mark_insync(struct r53 *r, struct r53_change_info *ci);
/* Marks a change recorded INSYNC as PENDING after all: its publish failed (sets ci->status).
 * r53_open makes it INSYNC again when it serves everything. */
void r53_change_mark_pending(struct r53 *r, struct r53_change_info *ci);
/* Inserts a change row (inside the caller's store transaction), status INSYNC or PENDING. */
int r53_change_insert(struct r53 *r, const char *comment, const char *status,
		      struct r53_change_info *ci, struct r53_error *err);

/* ---- r53_records.c ---- */
/*
 * Builds zone `id`'s served version from its rrsets in the store and publishes it whole
 * (zone_db_publish + zone_db_sync), so every DNS worker answers from it on return. When
 * several hosted zones share a name, the oldest is served. Called with r->lock held.
 */
int r53_publish_zone(struct r53 *r, const char *zone_id, struct r53_error *err);
/* Stops serving zone `id` (after deletion), serving another zone of that name if any. */
int r53_unpublish_zone(struct r53 *r, const char *zone_id, const char *zone_name,
		       struct r53_error *err);
/* Inserts the default SOA and NS rrsets of a new zone (inside the caller's transaction). */
int r53_insert_default_rrsets(struct r53 *r, const struct r53_zone *z, struct r53_error *err);

/* ---- r53_json.c ---- */
/* The body of rs as the rrsets table stores it (malloc'd), or NULL when out of memory. */
char *r53_rrset_to_json(const struct r53_rrset *rs);
/* Fills rs from a body (rs owns its values then); -1 if it is not a JSON object or no memory. */
int r53_rrset_from_json(const char *text, struct r53_rrset *rs);

/* ---- r53_names.c ---- */
/*
 * Route 53's form of a name given by a client (route53-api.md §3.4): lower case, trailing
 * dot, octets outside [a-z0-9-_] as \DDD octal escapes ("*" → "\052"), and its wire form.
 * Returns 0, or -1 if the name is not valid (then Route 53's InvalidInput message in msg).
 */
int r53_name_normalize(const char *in, char out[R53_NAME_MAX], uint8_t wire[255], char *msg,
		       size_t msglen);
/* The reversed-label sort key of a normalised name (for the rrsets table). */
void r53_name_sort_key(const char *normalized, char out[R53_NAME_MAX]);
