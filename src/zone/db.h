/*
 * zone/db.h - the set of zones being served, published to readers with RCU (liburcu, QSBR).
 *
 * Readers (DNS workers) are liburcu-qsbr threads: they call zone_db_get() while online and
 * announce quiescent states between batches; they never lock. One writer at a time (the
 * caller serialises publish/remove/sync) swaps in a new set that shares every unchanged zone.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "zone/zone.h"

struct zone_db;

/* The served snapshot: every zone version a query may see. Read through zone_db_get(). */
struct zone_set {
	struct hamt zones; /* origin → struct zone_version */
	size_t count;
	uint8_t min_labels, max_labels; /* of the origins, to bound the longest-match search */
};

struct zone_db *zone_db_new(void);
/* Frees the db and every version in it. No reader may be using it. */
void zone_db_free(struct zone_db *db);

/* The current snapshot; valid until the reader's next quiescent state. Never NULL. */
const struct zone_set *zone_db_get(const struct zone_db *db);

/*
 * Makes `v` the served version of its zone, replacing the version of the same origin if any.
 * `v` must have been built from that version (or from nothing if the zone is new or was
 * replaced wholesale: pass whole=true, then the old version is freed whole). Takes ownership.
 * Readers see the change at their next quiescent state; memory of replaced versions is queued
 * until zone_db_sync(). Returns 0, or -ENOMEM with nothing changed and `v` still the caller's.
 */
int zone_db_publish(struct zone_db *db, struct zone_version *v, bool whole)
	__attribute__((warn_unused_result));
/* Stops serving the zone at `origin`; ZONE_ENOTFOUND if it is not served, -ENOMEM (nothing
 * changed). */
int zone_db_remove(struct zone_db *db, const uint8_t *origin) __attribute__((warn_unused_result));
/*
 * Waits until every reader has passed a quiescent state since the last publish (so every
 * worker now answers from the new versions: the truth behind INSYNC) and frees what the
 * replaced versions no longer share.
 */
void zone_db_sync(struct zone_db *db);
/* The served version at exactly `origin` (lower case), or NULL. Writer side. */
const struct zone_version *zone_db_zone(const struct zone_db *db, const uint8_t *origin);

/*
 * The zone that owns `qname` (lower case): the longest origin that is qname or an ancestor.
 * `hashes[i]` must be the hash of the suffix of qname starting at label i (i = 0..labels, the
 * last being the root): zone/lookup.h computes them once per query. Returns NULL if none.
 */
const struct zone_version *zone_set_find(const struct zone_set *s, const uint8_t *qname,
					 const uint8_t *label_off, const uint64_t *hashes,
					 int labels);
