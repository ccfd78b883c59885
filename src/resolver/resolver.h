/*
 * resolver/resolver.h - the caching iterative resolver as a state machine without I/O.
 *
 * Events go in (a client query, an upstream reply, the clock passing a deadline); actions
 * come out (send this query to that server, answer this client, stop listening for that
 * reply). The caller (net/) owns every socket, the clock and the entropy: the resolver never
 * reads time, never draws randomness of its own and never touches a file. This is Unbound's
 * mesh and Knot Resolver's layer design, written so that replay tests can drive it with
 * scripted upstream servers and a fake clock (see docs/resolver.md and
 * /work/shared/reference/resolver-spec.md, whose item numbers the comments cite as "spec N.N").
 *
 * Threading: one struct resolver per worker thread; no function here is thread-safe.
 * Memory: the resolver allocates with malloc, bounded by the limits in its configuration
 * (cache bytes, client queries in flight, work per client query).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/consts.h"

/* An IPv4 or IPv6 address and a port: where an upstream query goes or a reply came from. */
struct resolver_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t ip[16]; /* IPv4 in the first 4 octets, the rest zero */
	uint16_t port;  /* host order */
};

/*
 * One record, uncompressed wire format, as a caller passes root hints (spec 1.1: the caller
 * parses the named.root file; the resolver takes the NS and A/AAAA records it finds).
 */
struct resolver_rr {
	const uint8_t *owner; /* wire-format name */
	uint16_t type, rclass;
	uint32_t ttl;
	const uint8_t *rdata; /* names inside uncompressed */
	uint16_t rdlen;
};

/*
 * The built-in IANA root hints (spec 1.1: the default when no hints file is configured): the
 * NS records of the 13 root servers and their IPv4 addresses, as in named.root. Static data.
 */
size_t resolver_iana_hints(const struct resolver_rr **out);

/*
 * The injected random source (spec 7.2: query IDs must come from a CSPRNG; net/ feeds
 * getrandom() or a ChaCha20 generator, tests feed a deterministic one). Fills buf with len
 * unpredictable octets; cannot fail.
 */
struct resolver_random {
	void (*fill)(void *ctx, void *buf, size_t len);
	void *ctx;
};

/*
 * A stub zone (spec 1.6): these servers, at these ports, are authoritative for the zone and
 * are asked directly (RD=0) instead of following referrals from the root. For split DNS and
 * for pointing at a test server. At most 8 addresses are used.
 */
struct resolver_stub {
	const uint8_t *zone; /* wire format */
	const struct resolver_addr *addrs;
	size_t naddrs;
};

/*
 * Limits and defaults. resolver_config_default() fills the Unbound/Knot values named in the
 * spec; the caller then sets the hints and whatever it wants to change.
 */
struct resolver_config {
	const struct resolver_rr *hints; /* root hints (spec 1.1): copied by resolver_new */
	size_t nhints;
	struct resolver_random random;
	const struct resolver_stub *stubs; /* copied by resolver_new */
	size_t nstubs;
	/*
	 * Forward zones (spec 2.9): the same shape, but the servers are recursive resolvers,
	 * sent RD=1, whose answers (AA or not, any name on a CNAME chain) are trusted at the
	 * rank of non-authoritative answers. "." forwards everything.
	 */
	const struct resolver_stub *forwards;
	size_t nforwards;

	/* Cache (spec 3, 5, 6). */
	size_t cache_max_bytes;    /* RRsets, negative and failure entries; LRU eviction */
	uint32_t max_cache_ttl;    /* s, 86400 (spec 6.2) */
	uint32_t min_cache_ttl;    /* s, 0 (spec 6.4) */
	uint32_t max_negative_ttl; /* s, 3600 (spec 5.2) */
	uint32_t failure_ttl_min;  /* s, 5: first failure of a question (spec 5.6, RFC 9520) */
	uint32_t failure_ttl_max;  /* s, 300: backoff doubles up to here, never more */
	uint32_t lame_ttl;         /* s, 900: a server lame for a zone (spec 2.6) */
	/*
	 * Serve-stale (RFC 8767, spec 13.1): when resolution fails or the client's time is up,
	 * answer from data expired less than this long ago, at TTL 30 with EDE 3. 0 (the
	 * default): off. RFC 8767 suggests 1 to 3 days.
	 */
	uint32_t serve_stale_max_s;
	/*
	 * Prefetch (spec 13.2): a cache hit in the last tenth of the TTL refreshes the RRset in
	 * the background. Off by default (as Unbound).
	 */
	bool prefetch;
	/*
	 * Spec 7.7: after this many replies that matched nothing (a spoofing attempt in
	 * progress), the cache and the infrastructure cache are flushed. 0 (default): never.
	 */
	uint64_t unwanted_reply_threshold;
	size_t infra_max_servers;      /* infrastructure cache entries, LRU eviction */
	uint16_t edns_udp_size;        /* 1232 (spec 9.1), upstream and towards clients */
	uint16_t upstream_port;        /* 53; the sandbox may set another (spec 15.2) */
	bool allow_loopback_upstreams; /* spec 15.1: default false (127/8, ::1 refused) */
	bool query_ipv6_servers;       /* use AAAA glue and ask for AAAA of servers */
				       /*
					* QNAME minimisation (spec 8, RFC 9156), relaxed mode: each server is asked for one
					* label more than its zone, with QTYPE A, at most 10 times per question; NXDOMAIN, a
					* CNAME or an error for a minimised name means asking the full name instead. Off by
					* default until it has run against the sandbox and the real Internet.
					*/
	bool qname_minimisation;
	/*
	 * 0x20 (spec 7.6): the letters of every upstream QNAME in random case, and the reply
	 * must echo them exactly. A server that does not keep case (twice in a row) is asked
	 * without it for 900 s. Off by default (as Unbound's use-caps-for-id).
	 */
	bool use_caps_for_id;

	/* Work limits per client query and everything it starts (spec 10.5, 11.1, 11.2). */
	unsigned max_referrals;              /* 130 */
	unsigned max_restarts;               /* CNAME restarts, 11 (spec 4.2) */
	unsigned max_sends;                  /* upstream queries for one tree, 200 */
	unsigned max_sends_per_step;         /* upstream queries for one zone cut, 32 */
	unsigned max_target_lookups;         /* name server address lookups for one tree, 64 */
	unsigned max_target_lookups_per_cut; /* ... and for one delegation, 16 */
	unsigned max_target_nx;              /* failed address lookups before giving up, 5 */
	unsigned max_depth;                  /* nested address lookups, 5 */
	unsigned max_ns_per_rrset;           /* NS records considered per delegation, 20 */
	unsigned max_cname_per_message;      /* CNAMEs taken from one response, 11 (spec 11.7) */
	unsigned max_client_queries;         /* distinct questions in flight, 1024 (spec 11.3) */
	uint32_t jostle_ms; /* when full, a question older than this makes room, 200 (Unbound) */
	unsigned max_waiting_clients;   /* clients waiting on one question, 64 */
	uint32_t client_timeout_ms;     /* answer SERVFAIL after this, 2000 (spec 10.5) */
	uint32_t resolution_timeout_ms; /* abandon a resolution after this, 10000 */
};

void resolver_config_default(struct resolver_config *c);

struct resolver;

/*
 * Creates a resolver. Copies the hints (at least one NS record owned by the root and one
 * address for one of its targets are needed: -EINVAL otherwise). -ENOMEM on allocation
 * failure.
 */
__attribute__((warn_unused_result)) int resolver_new(const struct resolver_config *c,
						     struct resolver **out);
/* Frees everything; pending actions are dropped. NULL is allowed. */
void resolver_free(struct resolver *r);

/*
 * Time: milliseconds of a monotonic clock (spec 6.1), supplied by the caller with every
 * event. It must never go backwards.
 */

/*
 * A client query (spec 12): the message as received, `tcp` if it came over TCP (it sets the
 * size limit of the answer: spec 9.5). `token` is the caller's handle for the client; the
 * answer comes back as RESOLVER_ACT_ANSWER with the same token, now or after later events,
 * exactly once, unless the message is not worth answering (a response, fewer than 12 octets):
 * then no action at all. Access control (spec 12.1) is the caller's job.
 * Answers: ANY gets one HINFO "RFC8482" (RFC 8482); FORMERR, NOTIMP (opcode other than
 * QUERY; other meta types such as AXFR) and
 * BADVERS as dns_query_parse() decides; REFUSED for classes other than IN; RD=0 from the
 * cache only, SERVFAIL when it does not know (spec 12.4); SERVFAIL after client_timeout_ms
 * when resolution takes longer (it goes on, to fill the cache), or when max_client_queries
 * questions are already in flight (spec 11.3). RA=1, AA=0, ID, RD and CD echoed, the
 * question as the client wrote it (spec 12.2, 4.6); an OPT record iff the query had one.
 */
void resolver_client_query(struct resolver *r, uint64_t now, uint64_t token, const uint8_t *msg,
			   size_t len, bool tcp);

/*
 * A reply from an upstream server. `handle` is the one of the RESOLVER_ACT_SEND_* action the
 * caller believes it answers (the socket it came on; for TCP, the connection and message ID
 * mapped back to the handle), `from` the address it came from. The resolver checks all of it
 * (spec 7.1: address and port, ID, question) and drops what does not match; a malformed,
 * truncated or unmatched reply never reaches the cache.
 */
void resolver_upstream_reply(struct resolver *r, uint64_t now, uint64_t handle,
			     const struct resolver_addr *from, const uint8_t *msg, size_t len);

/*
 * The caller could not send or connect (e.g. ECONNREFUSED, no route): treated at once as a
 * server failure for that handle.
 */
void resolver_upstream_error(struct resolver *r, uint64_t now, uint64_t handle);

/* Call when now ≥ resolver_next_timer(): runs every deadline that has passed. */
void resolver_timeout(struct resolver *r, uint64_t now);
/* The earliest pending deadline, or UINT64_MAX when nothing waits. */
uint64_t resolver_next_timer(const struct resolver *r);

enum resolver_action_kind {
	/*
	 * Send `msg` to `addr` over UDP from a fresh socket whose source port is chosen at
	 * random from a large range (spec 7.3), and pass replies on that socket back with
	 * `handle`. The message carries its own random ID (spec 7.2).
	 */
	RESOLVER_ACT_SEND_UDP = 1,
	/* Send `msg` over TCP (the caller adds the 2-octet length and may reuse a connection:
	   spec 9.4). */
	RESOLVER_ACT_SEND_TCP,
	/* Stop listening for `handle`: close its socket. Late replies after this are dropped. */
	RESOLVER_ACT_CLOSE,
	/* Send `msg` to the client `token` (over the transport its query came on). */
	RESOLVER_ACT_ANSWER,
};

struct resolver_action {
	enum resolver_action_kind kind;
	uint64_t handle;           /* SEND_*, CLOSE */
	uint64_t token;            /* ANSWER */
	struct resolver_addr addr; /* SEND_* */
	uint16_t id;               /* SEND_*: the query's ID (TCP replies map back by it) */
	const uint8_t *msg;        /* SEND_*, ANSWER: valid until the next call into the resolver */
	size_t len;
};

/*
 * Takes the next action produced by the events so far, in order, or returns NULL when there
 * is none. The action (and its msg) is owned by the resolver and stays valid until the next
 * call of any resolver function. The caller drains the queue after every event.
 */
const struct resolver_action *resolver_next_action(struct resolver *r);

/*
 * Flushes the cache (spec 12.7): every entry owned by `name` (wire format), also every
 * entry below it when `subtree`; the whole cache (infrastructure included) when name is
 * NULL. Entries for data in flight are not affected.
 */
void resolver_flush(struct resolver *r, const uint8_t *name, bool subtree);
/* Only the negative answers and cached failures, everywhere (spec 12.7 flush_negative). */
void resolver_flush_negative(struct resolver *r);
/* Only what is known about servers: RTT, lameness, EDNS (spec 12.7 flush_infra). */
void resolver_flush_infra(struct resolver *r);

/* Trust ranks of cached data, lowest first (RFC 2181 §5.4.1; spec 3.3). */
enum resolver_rank {
	RESOLVER_RANK_NONE = 0,
	RESOLVER_RANK_GLUE,           /* additional section, referral glue */
	RESOLVER_RANK_NONAUTH_NS,     /* the NS RRset of a referral (parent side) */
	RESOLVER_RANK_NONAUTH_ANSWER, /* answer section without AA */
	RESOLVER_RANK_AUTH_AUTHORITY, /* authority section of an AA response (SOA, NS) */
	RESOLVER_RANK_AUTH_ANSWER,    /* answer section of an AA response */
};

/* What the cache holds for one (name, type), for tests and a future `lookup` command. */
struct resolver_cache_info {
	enum resolver_rank rank;
	uint32_t ttl;      /* remaining, seconds */
	unsigned count;    /* records in the RRset */
	bool negative;     /* a NXDOMAIN or NODATA entry covers the name and type */
	uint8_t neg_rcode; /* DNS_RC_NXDOMAIN or DNS_RC_NOERROR (NODATA) */
	bool failure;      /* a cached resolution failure (spec 5.6) */
};
/* Returns true and fills info when a live entry exists (expired entries do not count). */
bool resolver_cache_peek(const struct resolver *r, uint64_t now, const uint8_t *name, uint16_t type,
			 struct resolver_cache_info *info);

/* Counters, for tests, logs and a future `stats` command (spec 7.7, 12.7). */
struct resolver_stats {
	uint64_t client_queries;
	uint64_t cache_answers; /* answered without any upstream query */
	uint64_t upstream_sent; /* UDP and TCP */
	uint64_t upstream_tcp;
	uint64_t replies_unmatched; /* wrong address, ID or question; unknown handle (spec 7.1) */
	uint64_t replies_malformed;
	uint64_t replies_truncated; /* TC=1, retried over TCP (spec 9.3) */
	uint64_t timeouts;
	uint64_t servfail_answers;
	uint64_t stale_answers; /* serve-stale (spec 13.1) */
	uint64_t prefetches;    /* background refreshes started (spec 13.2) */
	uint64_t limit_hits;    /* a work limit stopped a resolution (spec 11) */
	uint64_t cache_bytes;
	uint64_t cache_entries;
	uint64_t evictions;
	uint64_t unwanted_flushes; /* spec 7.7 */
	uint64_t jostled;          /* old questions dropped for new ones (spec 11.3) */
};
void resolver_get_stats(const struct resolver *r, struct resolver_stats *s);
