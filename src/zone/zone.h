/*
 * zone/zone.h - zone versions: immutable sets of nodes (owner name → RRsets), built by
 * transactions that share every unchanged node with the version they start from.
 *
 * Nodes live in a persistent hash array mapped trie (zone/hamt.h) keyed by owner name. A
 * transaction copies only the trie paths and nodes it changes, so applying k records to a zone
 * of n nodes costs O(k log32 n) time and memory, and the base version stays valid for readers
 * until it is retired. Every ancestor of a name, up to the apex, exists as a node (empty
 * non-terminals have no RRsets), so the closest encloser of any name is found by exact
 * lookups of its suffixes (RFC 1034 §4.3.2, RFC 4592 §3.3).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/consts.h"
#include "zone/hamt.h"

/* One RRset of a node. Its records lie at (uint8_t *)node + off: count × (u16 rdlen, rdata). */
struct zone_rrset {
	uint16_t type;
	uint16_t count;
	uint32_t ttl;
	uint32_t off;
	uint32_t len;
};

/* One owner name of one zone version. Immutable once its version is committed. */
struct zone_node {
	struct hamt_leaf leaf; /* hash and name (lower case, uncompressed wire) */
	uint32_t size;         /* bytes of this allocation */
	uint32_t children;     /* nodes directly below this one */
	uint16_t nrrsets;
	uint8_t name_len;
	uint8_t labels;
	struct zone_rrset rrsets[]; /* sorted by type; then the name, then the rdata */
};

static inline const uint8_t *zone_node_name(const struct zone_node *n)
{
	return n->leaf.name;
}

/* The RRset of `type` at `n`, or NULL. */
const struct zone_rrset *zone_node_rrset(const struct zone_node *n, uint16_t type);

static inline const uint8_t *zone_rrset_data(const struct zone_node *n, const struct zone_rrset *rs)
{
	return (const uint8_t *)n + rs->off;
}

/* One version of one zone. Its leaf is keyed by the origin, so versions are what a zone_db holds.
 */
struct zone_version {
	struct hamt_leaf leaf; /* origin's hash and name (lower case) */
	uint8_t origin[DNS_NAME_MAXLEN];
	uint8_t origin_len;
	uint8_t origin_labels;
	struct hamt nodes;
	const struct zone_node *apex; /* NULL only while a transaction builds an empty zone */
	size_t nnodes;
	size_t nrecords;
	uint64_t serial_seq; /* increases by one per committed version of this zone */
	/* Objects of the base version that this version replaced: freed when the base retires. */
	struct hamt_garbage dead;
};

/* Error codes of zone transactions (negative return values). */
enum zone_err {
	ZONE_EOUTSIDE = -1000, /* owner is not at or below the origin */
	ZONE_ECNAME,           /* CNAME and other data at one name (RFC 1034 §3.6.2) */
	ZONE_ECNAME_MULTI,     /* more than one CNAME record at one name */
	ZONE_ENOSOA,           /* no SOA at the apex */
	ZONE_ENONS,            /* no NS at the apex */
	ZONE_ESOA_NOT_APEX,    /* SOA below the apex */
	ZONE_EMULTI_SOA,       /* more than one SOA record */
	ZONE_ENOTFOUND,        /* the record or RRset to delete does not exist */
	ZONE_ETYPE,            /* meta type or class not allowed in a zone */
	ZONE_ERDATA,           /* rdata malformed for its type */
	ZONE_ETOOBIG,          /* a node would exceed 4 GiB or an RRset 65535 records */
	ZONE_ENOMEM,
};
const char *zone_strerror(int err);

struct zone_txn;

/*
 * Starts building a new version of the zone at `origin` from `base` (NULL: an empty zone).
 * A transaction is used by one thread; two transactions on the same base must not both commit.
 */
int zone_txn_begin(const struct zone_version *base, const uint8_t *origin, struct zone_txn **out)
	__attribute__((warn_unused_result));
/*
 * Adds one record. An identical record already present is ignored (RFC 2181 §5). A TTL that
 * differs from the RRset's is not applied: the RRset keeps its first TTL (RFC 2181 §5.2, as BIND
 * and Knot do) and 1 is returned so a
 * loader can warn. Checks: owner in zone, no meta types, CNAME exclusivity, SOA only at apex,
 * rdata valid for the type.
 */
int zone_txn_add(struct zone_txn *t, const uint8_t *owner, uint16_t type, uint32_t ttl,
		 const uint8_t *rdata, uint16_t rdlen) __attribute__((warn_unused_result));
/* Deletes one record (rdata matched octet for octet); ZONE_ENOTFOUND if absent. */
int zone_txn_del(struct zone_txn *t, const uint8_t *owner, uint16_t type, const uint8_t *rdata,
		 uint16_t rdlen) __attribute__((warn_unused_result));
/* Deletes a whole RRset; ZONE_ENOTFOUND if absent. */
int zone_txn_del_rrset(struct zone_txn *t, const uint8_t *owner, uint16_t type)
	__attribute__((warn_unused_result));
/* The node at `owner` as the transaction sees it now, or NULL. */
const struct zone_node *zone_txn_get(const struct zone_txn *t, const uint8_t *owner);
/*
 * Checks the whole-zone rules (SOA and NS at the apex) and makes the version. On success the
 * transaction is consumed. On failure it is still open (abort it).
 */
int zone_txn_commit(struct zone_txn *t, struct zone_version **out)
	__attribute__((warn_unused_result));
/* Frees everything the transaction made; the base is untouched. */
void zone_txn_abort(struct zone_txn *t);

/*
 * Frees a version that shares nothing: one built from nothing (base NULL) and never published,
 * or one no longer reachable, with all its nodes.
 */
void zone_version_free(struct zone_version *v);
/*
 * Frees a committed version built from a base that lives on, which was never published (its
 * publish failed): only what its transaction made, as zone_txn_abort() does; the nodes it
 * shares with the base stay. zone_version_free() here would free the base's nodes too.
 */
void zone_version_discard(struct zone_version *v);
/*
 * Frees what `newer` no longer shares with its base `old` (newer->dead) and old's header.
 * Call only when no reader can still hold `old` (after an RCU grace period).
 */
void zone_version_retire(struct zone_version *old, struct zone_version *newer);
/* Calls fn for every node, in no particular order. */
void zone_version_walk(const struct zone_version *v, void (*fn)(const struct zone_node *, void *),
		       void *ctx);
/*
 * Every node of v (empty non-terminals included) in canonical order (RFC 4034 §6.1), the apex
 * first: a malloc'd array in *out (free() it), its length in *n. 0 or -ENOMEM.
 */
int zone_version_sorted(const struct zone_version *v, const struct zone_node ***out, size_t *n)
	__attribute__((warn_unused_result));
/* The node at `name` (lower case), or NULL. Readers may call this without locks. */
const struct zone_node *zone_version_get(const struct zone_version *v, const uint8_t *name);
/* SOA serial of the version (0 without an SOA). */
uint32_t zone_version_serial(const struct zone_version *v);
