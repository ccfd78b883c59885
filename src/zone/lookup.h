/* zone/lookup.h - find a name in one zone version (RFC 1034 §4.3.2 step 3, RFC 4592). */
#pragma once
#include <stdint.h>

#include "dns/consts.h"
#include "zone/zone.h"

/* A query name prepared once: lower-cased, its label offsets and the hash of every suffix. */
struct zone_qname {
	uint8_t name[DNS_NAME_MAXLEN]; /* lower case */
	uint8_t len;
	uint8_t labels;                /* not counting the root */
	uint8_t off[DNS_MAX_LABELS];   /* off[i]: label i's length octet; off[labels] = root */
	uint64_t hash[DNS_MAX_LABELS]; /* hash[i]: suffix starting at label i */
};

/* Prepares `name` (well-formed wire, any case). */
void zone_qname_init(struct zone_qname *q, const uint8_t *name);

enum zone_match {
	ZONE_MATCH_EXACT,      /* node owns the name (it may be an empty non-terminal) */
	ZONE_MATCH_DELEGATION, /* node is a zone cut at or above the name (not the apex) */
	ZONE_MATCH_WILDCARD,   /* node is "*.<closest encloser>" (RFC 4592) */
	ZONE_MATCH_NXDOMAIN,   /* the name does not exist; node is the closest encloser */
};

struct zone_find_result {
	const struct zone_node *node;
	const struct zone_node *encloser; /* closest encloser (set for WILDCARD and NXDOMAIN) */
};

/*
 * Looks `q` up in `v` (q must be at or below v's origin). Walks from the apex down, so the
 * highest zone cut wins; the cut itself is a DELEGATION even for qtype DS, which the caller
 * answers from the parent side. Never allocates and cannot fail.
 */
enum zone_match zone_find(const struct zone_version *v, const struct zone_qname *q,
			  struct zone_find_result *r);
