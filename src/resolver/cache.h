/*
 * resolver/cache.h - the resolver's RRset, negative and failure cache, and its infrastructure
 * cache of per-server RTT and state. Internal to resolver/.
 *
 * Keys are (owner, type, class), owners compared case-insensitively (RFC 4343). Every entry
 * carries an absolute expiry in milliseconds of the caller's monotonic clock; an expired entry
 * is never returned. Memory is bounded: beyond max_bytes the least recently used entries go.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/consts.h"
#include "resolver/resolver.h"

/*
 * An RRset in uncompressed wire form: `count` records laid out in data[] as a 2-octet
 * length then the rdata. One allocation; the same shape is used in the cache and in answers
 * being built (where a TTL-0 RRset lives only as long as the resolution: spec 6.3).
 */
struct rrset {
	uint64_t expire; /* ms; the TTL left is (expire - now) / 1000 */
	uint32_t ttl;    /* the TTL it came with, after the caps: for tests and prefetch */
	uint16_t type, rclass;
	uint16_t count;
	uint16_t data_len;
	uint8_t rank; /* enum resolver_rank */
	uint8_t owner_len;
	uint8_t owner[DNS_NAME_MAXLEN];
	uint8_t data[];
};

/* Size in octets of rs, for copies and accounting. */
size_t rrset_size(const struct rrset *rs);
/* A malloc'd copy, or NULL. */
struct rrset *rrset_dup(const struct rrset *rs);
/* Iterates the records: *pos starts at 0; returns false after the last. */
bool rrset_next(const struct rrset *rs, size_t *pos, const uint8_t **rdata, uint16_t *rdlen);
/* Seconds left at `now` (0 when expired). */
uint32_t rrset_ttl_left(const struct rrset *rs, uint64_t now);

enum cache_kind {
	CACHE_RRSET = 1, /* positive data */
	CACHE_NEGATIVE,  /* NXDOMAIN (type 0 key: the whole name) or NODATA (name, type) */
	CACHE_FAILURE,   /* a resolution that failed (RFC 9520) */
};

struct cache;

__attribute__((warn_unused_result)) int cache_new(size_t max_bytes, struct cache **out);
void cache_free(struct cache *c);

/*
 * Stores a copy of rs unless a live entry of a higher rank exists (spec 3.3: equal or higher
 * replaces). Returns 0 when stored, 1 when refused by rank, -ENOMEM.
 */
__attribute__((warn_unused_result)) int cache_put_rrset(struct cache *c, uint64_t now,
							const struct rrset *rs);
/* A live RRset of at least min_rank, or NULL. Valid until the next cache call that changes. */
const struct rrset *cache_get_rrset(struct cache *c, uint64_t now, const uint8_t *owner,
				    uint16_t type, uint16_t rclass, enum resolver_rank min_rank);

/*
 * Serve-stale (RFC 8767; spec 13.1): RRsets are kept this long after they expire, for
 * cache_get_rrset_stale only (cache_get_rrset never returns them). 0, the default: not kept.
 */
void cache_set_stale(struct cache *c, uint32_t max_stale_s);
/* A live or stale RRset of at least min_rank, or NULL. */
const struct rrset *cache_get_rrset_stale(struct cache *c, uint64_t now, const uint8_t *owner,
					  uint16_t type, uint16_t rclass,
					  enum resolver_rank min_rank);

/*
 * A negative answer (spec 5.1, 5.2): type 0 with rcode NXDOMAIN covers every type of the
 * name; a type with rcode NOERROR is NODATA. `soa` (may be NULL) is kept to answer with; the
 * entry lives until `expire`.
 */
__attribute__((warn_unused_result)) int
cache_put_negative(struct cache *c, uint64_t now, const uint8_t *name, uint16_t type,
		   uint16_t rclass, uint8_t rcode, const struct rrset *soa, uint64_t expire);
/*
 * Is there a live negative entry for (name, type) or for the whole name? Then *rcode is its
 * rcode and *soa its SOA (NULL when it had none).
 */
bool cache_get_negative(struct cache *c, uint64_t now, const uint8_t *name, uint16_t type,
			uint16_t rclass, uint8_t *rcode, const struct rrset **soa);

/*
 * A failed resolution of (name, type): cached for min_ttl the first time, then twice the
 * previous duration each time it fails again right after, never more than max_ttl (spec 5.6).
 */
__attribute__((warn_unused_result)) int cache_put_failure(struct cache *c, uint64_t now,
							  const uint8_t *name, uint16_t type,
							  uint16_t rclass, uint32_t min_ttl,
							  uint32_t max_ttl);
/* Is a failure of (name, type) cached? Then *ttl_left (may be NULL) is its remaining time (s). */
bool cache_get_failure(struct cache *c, uint64_t now, const uint8_t *name, uint16_t type,
		       uint16_t rclass, uint32_t *ttl_left);

/* Removes name's entries (and those below it when subtree); everything when name is NULL. */
void cache_flush(struct cache *c, const uint8_t *name, bool subtree);
/* Removes every negative and failure entry (unbound-control flush_negative). */
void cache_flush_negative(struct cache *c);
void cache_stats(const struct cache *c, uint64_t *bytes, uint64_t *entries, uint64_t *evictions);

/*
 * Infrastructure cache (spec 10.1-10.4, 2.6, 9.2): what we know about each server address.
 */
#define INFRA_RTO_UNKNOWN 376    /* ms, Unbound's UNKNOWN_SERVER_NICENESS */
#define INFRA_RTO_MIN     50     /* ms */
#define INFRA_RTO_MAX     120000 /* ms */
#define INFRA_RTT_BAND    400    /* ms, Unbound's RTT_BAND (spec 10.2) */
#define INFRA_DOWN_AFTER  4      /* timeouts in a row (Knot) */
#define INFRA_LAME_ZONES  4      /* zones remembered per server */

struct infra;

__attribute__((warn_unused_result)) int infra_new(size_t max_servers, struct infra **out);
void infra_free(struct infra *in);
void infra_flush(struct infra *in);

/* Current retransmission timeout for addr (ms). */
uint32_t infra_rto(struct infra *in, uint64_t now, const struct resolver_addr *addr);
/* Is the server known to be down (it keeps timing out) and not due for a probe? */
bool infra_is_down(struct infra *in, uint64_t now, const struct resolver_addr *addr);
/* A reply arrived after rtt_ms: SRTT/RTTVAR update (RFC 6298 §2) and the down state cleared. */
void infra_rtt(struct infra *in, uint64_t now, const struct resolver_addr *addr, uint32_t rtt_ms);
/* A timeout: RTO doubled (capped), and after INFRA_DOWN_AFTER in a row, down for a while. */
void infra_timeout(struct infra *in, uint64_t now, const struct resolver_addr *addr);
/* Lameness of a server for one zone (spec 2.6). */
void infra_set_lame(struct infra *in, uint64_t now, const struct resolver_addr *addr,
		    const uint8_t *zone, uint32_t ttl_s);
bool infra_is_lame(struct infra *in, uint64_t now, const struct resolver_addr *addr,
		   const uint8_t *zone);
/* EDNS fallback memory (spec 9.2). */
void infra_set_no_edns(struct infra *in, uint64_t now, const struct resolver_addr *addr,
		       uint32_t ttl_s);
bool infra_no_edns(struct infra *in, uint64_t now, const struct resolver_addr *addr);
/*
 * 0x20 (spec 7.6): a reply whose question came back in another case. Returns true when the
 * server has done so often enough (2 in a row) that it is marked as not keeping case for
 * ttl_s; infra_no_caps() then says so. A reply in the right case clears the count.
 */
bool infra_caps_mismatch(struct infra *in, uint64_t now, const struct resolver_addr *addr,
			 uint32_t ttl_s);
void infra_caps_ok(struct infra *in, const struct resolver_addr *addr);
bool infra_no_caps(struct infra *in, uint64_t now, const struct resolver_addr *addr);
