/*
 * resolver/resolver.c - iterative resolution as explicit states (after Unbound's mesh): each
 * question is a `struct rq` that waits on upstream transactions, on the priming query, or on
 * sub-queries for name server addresses, and advances when one of them reports.
 */
#include "resolver/resolver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cursor.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "resolver/cache.h"
#include "resolver/wire.h"

#define MAX_ADDRS       8  /* addresses kept per name server */
#define MAX_CHAIN       16 /* RRsets in an answer: CNAME links and the final RRset */
#define MAX_TXNS_PER_RQ 4  /* upstream queries one question listens to at once */
#define LATE_REPLY_MS   3000
#define MAX_WAIT_MS     5000 /* a server's RTO may reach 120 s: no query waits that long */
#define TCP_TIMEOUT_MS  5000
#define NO_EDNS_TTL     900 /* s, as Unbound's infra-host-ttl */
#define OUTAGE_STREAK   8   /* timeouts in a row, no reply at all: our own network is down */
#define QMIN_MAX_SENDS  10  /* minimised queries per question (Unbound MAX_MINIMISE_COUNT) */
#define TXN_BUCKETS     1024
#define Q_BUCKETS       4096 /* client questions in flight, by name hash */

struct server {
	uint8_t name[DNS_NAME_MAXLEN];
	uint8_t naddr;
	bool lookup_pending, lookup_done;
	struct resolver_addr addr[MAX_ADDRS];
	uint8_t tries[MAX_ADDRS];
	bool bad[MAX_ADDRS]; /* lame, failed or refused in this zone cut */
};

struct zcut {
	uint8_t zone[DNS_NAME_MAXLEN];
	bool from_hints, from_stub, from_forward;
	unsigned nservers;
	struct server *servers;
};

/* The work allowed for one client question and all it starts (spec 11.1). */
struct budget {
	unsigned referrals, sends, targets, target_nx;
};

struct client {
	uint64_t token;
	uint64_t deadline;
	uint16_t id, flags;
	uint8_t qname[DNS_NAME_MAXLEN]; /* as sent: its case is echoed (spec 4.6) */
	bool edns, tcp;
	uint16_t udp_size;
};

/* Why a SERVFAIL: an Extended DNS Error for the client (RFC 8914 §4; spec 12.6). */
struct why {
	int code;
	const char *text;
};
static const struct why WHY_UNREACHABLE = {22, NULL}; /* No Reachable Authority */
static const struct why WHY_CACHED = {22, "cached failure"};
static const struct why WHY_TIMEOUT = {22, "timed out, still resolving"};
static const struct why WHY_LIMIT = {0, "work limit reached"};
static const struct why WHY_BUSY = {0, "too many questions in progress"};
static const struct why WHY_NO_RD = {0, "not in the cache and RD=0"};
static const struct why WHY_STALE = {3, NULL}; /* Stale Answer */

struct txn;

struct rq {
	struct rq *prev, *next; /* r->rqs or r->dead */
	struct rq *parent;      /* an address lookup: the question that needs the address */
	unsigned parent_server;
	struct rq *prime_next; /* on r->prime_waiters */
	struct rq *qnext;      /* client questions: hash bucket chain */
	uint64_t qhash;
	bool waiting_prime, primed, no_prime, is_prime, dead, done, need_cut;
	bool skip_lookup; /* the cached answer is what it refreshes */
	bool prefetching; /* a background refresh (spec 13.2): clients never wait on it */
	unsigned depth;
	struct budget own_budget;
	struct budget *budget;
	uint8_t qname[DNS_NAME_MAXLEN]; /* the name being resolved now (after CNAMEs) */
	uint8_t orig[DNS_NAME_MAXLEN];  /* the question */
	uint16_t qtype, qclass;
	/* What is sent: qname/qtype, or a minimised name and A (spec 8). */
	uint8_t sname[DNS_NAME_MAXLEN];
	uint16_t stype;
	unsigned qmin_labels, qmin_sends; /* labels below the zone cut to send; sends so far */
	bool qmin_off;                    /* relaxed fallback: the full name from now on */
	unsigned restarts, step_sends, step_targets, nsub;
	unsigned nkids; /* address lookups started and not yet killed */
	uint64_t started, deadline;
	struct zcut cut;
	struct txn *current; /* the upstream query we wait on; NULL after its soft timeout */
	struct txn *txns[MAX_TXNS_PER_RQ];
	unsigned ntxns;
	/* The answer being built. */
	struct rrset *chain[MAX_CHAIN];
	unsigned nchain;
	struct rrset *soa;
	uint8_t rcode;
	const struct why *why; /* for a SERVFAIL */
	struct client *clients;
	unsigned nclients;
};

struct txn {
	struct txn *hnext;       /* handle bucket */
	struct txn *prev, *next; /* r->txns */
	uint64_t handle;
	uint16_t id;
	bool tcp, edns, soft_expired;
	bool forward; /* to a forwarder: RD=1, its answers trusted (spec 2.9) */
	bool caps;    /* 0x20: the reply must echo the question's case exactly */
	struct resolver_addr addr;
	uint8_t qname[DNS_NAME_MAXLEN];
	uint16_t qtype, qclass;
	uint8_t zone[DNS_NAME_MAXLEN]; /* the zone cut the server was asked about: bailiwick */
	uint64_t sent, deadline, close_at;
	struct rq **waiters;
	unsigned nwaiters, cap;
};

struct resolver {
	struct resolver_config cfg;
	struct cache *cache;
	struct infra *infra;
	struct rrset *hint_ns; /* the root NS RRset of the hints */
	struct stub {
		uint8_t zone[DNS_NAME_MAXLEN];
		bool forward;
		unsigned naddr;
		struct resolver_addr addr[MAX_ADDRS];
	} * stubs;
	unsigned nstubs;
	struct rrset **hint_addr; /* their A/AAAA RRsets */
	unsigned nhint_addr;
	struct rq rqs, dead; /* list sentinels */
	unsigned nclient_rqs;
	struct rq *prime;
	struct rq *prime_waiters;
	struct txn txns;
	struct txn *buckets[TXN_BUCKETS];
	struct txn *dead_txns;
	struct rq *questions[Q_BUCKETS];
	uint64_t next_handle;
	unsigned outage_streak;
	uint64_t unwanted; /* unmatched replies since the last flush */
	struct resolver_action *acts;
	size_t nacts, head, capacts;
	struct resolver_stats st;
};

void resolver_config_default(struct resolver_config *c)
{
	memset(c, 0, sizeof(*c));
	c->cache_max_bytes = 64u << 20;
	c->max_cache_ttl = 86400;
	c->min_cache_ttl = 0;
	c->max_negative_ttl = 3600;
	c->failure_ttl_min = 5;
	c->failure_ttl_max = 300;
	c->lame_ttl = 900;
	c->infra_max_servers = 10000;
	c->edns_udp_size = DNS_EDNS_MAX_UDP;
	c->upstream_port = 53;
	c->max_referrals = 130;
	c->max_restarts = 11;
	c->max_sends = 200;
	c->max_sends_per_step = 32;
	c->max_target_lookups = 64;
	c->max_target_lookups_per_cut = 16;
	c->max_target_nx = 5;
	c->max_depth = 5;
	c->max_ns_per_rrset = 20;
	c->max_cname_per_message = 11;
	c->max_client_queries = 1024;
	c->jostle_ms = 200;
	c->max_waiting_clients = 64;
	c->client_timeout_ms = 2000;
	c->resolution_timeout_ms = 10000;
}

/* --- actions --- */

static void reclaim(struct resolver *r)
{
	if (r->head == 0)
		return;
	for (size_t i = 0; i < r->head; i++)
		free((void *)r->acts[i].msg);
	memmove(r->acts, r->acts + r->head, (r->nacts - r->head) * sizeof(*r->acts));
	r->nacts -= r->head;
	r->head = 0;
}

/* Queues an action; takes ownership of msg (freed if the queue cannot grow). */
static bool emit(struct resolver *r, const struct resolver_action *a)
{
	if (r->nacts == r->capacts) {
		size_t nc = r->capacts ? r->capacts * 2 : 16;
		struct resolver_action *n = realloc(r->acts, nc * sizeof(*n));
		if (!n) {
			free((void *)a->msg);
			return false;
		}
		r->acts = n;
		r->capacts = nc;
	}
	r->acts[r->nacts++] = *a;
	return true;
}

const struct resolver_action *resolver_next_action(struct resolver *r)
{
	reclaim(r);
	if (r->head == r->nacts)
		return NULL;
	return &r->acts[r->head++];
}

/* --- small helpers --- */

static uint32_t rnd32(struct resolver *r)
{
	uint32_t v = 0;
	r->cfg.random.fill(r->cfg.random.ctx, &v, sizeof(v));
	return v;
}

static const uint8_t *name_parent(const uint8_t *n)
{
	return *n ? n + *n + 1 : n;
}

static void name_copy(uint8_t *dst, const uint8_t *src)
{
	memcpy(dst, src, dns_name_len(src));
}

static bool addr_equal(const struct resolver_addr *a, const struct resolver_addr *b)
{
	return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, 16) == 0;
}

static bool addr_is_loopback(const struct resolver_addr *a)
{
	static const uint8_t v6lo[16] = {[15] = 1};
	return a->family == 4 ? a->ip[0] == 127 : memcmp(a->ip, v6lo, 16) == 0;
}

/* Address from an A or AAAA rdata. */
static bool addr_from_rdata(struct resolver *r, uint16_t type, const uint8_t *rd, uint16_t len,
			    struct resolver_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->port = r->cfg.upstream_port;
	if (type == DNS_T_A && len == 4) {
		a->family = 4;
		memcpy(a->ip, rd, 4);
		return true;
	}
	if (type == DNS_T_AAAA && len == 16 && r->cfg.query_ipv6_servers) {
		a->family = 6;
		memcpy(a->ip, rd, 16);
		return true;
	}
	return false;
}

/* TTL as the cache keeps it: RFC 2181 §8 (high bit means 0), then the caps (spec 6.2, 6.4). */
static uint32_t cap_ttl(const struct resolver *r, uint32_t ttl)
{
	if (ttl & 0x80000000u)
		ttl = 0;
	if (ttl > r->cfg.max_cache_ttl)
		ttl = r->cfg.max_cache_ttl;
	if (ttl < r->cfg.min_cache_ttl)
		ttl = r->cfg.min_cache_ttl;
	return ttl;
}

/* --- RRsets built from a response --- */

/*
 * The RRset of (owner, type) in one section, all records at the lowest TTL (spec 3.6), at
 * most max_rrs records. NULL when none (or no memory).
 */
static struct rrset *collect(struct resolver *r, uint64_t now, const struct wire_msg *m,
			     enum wire_section sec, const uint8_t *owner, uint16_t type,
			     uint16_t rclass, uint8_t rank, unsigned max_rrs)
{
	size_t bytes = 0;
	unsigned n = 0;
	uint32_t ttl = UINT32_MAX;
	for (unsigned i = 0; i < m->nrr; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->section != sec || rr->type != type || rr->rclass != rclass ||
		    !dns_name_equal(rr->owner, owner) || n >= max_rrs)
			continue;
		bytes += 2u + rr->rdlen;
		n++;
		uint32_t t = rr->ttl & 0x80000000u ? 0 : rr->ttl;
		if (t < ttl)
			ttl = t;
	}
	if (n == 0 || bytes > 65535)
		return NULL;
	struct rrset *rs = malloc(sizeof(*rs) + bytes);
	if (!rs)
		return NULL;
	memset(rs, 0, sizeof(*rs));
	name_copy(rs->owner, owner);
	dns_name_lower(rs->owner); /* the question may have been sent in random case (0x20) */
	rs->owner_len = (uint8_t)dns_name_len(owner);
	rs->type = type;
	rs->rclass = rclass;
	rs->rank = rank;
	rs->ttl = cap_ttl(r, ttl);
	rs->expire = now + rs->ttl * 1000ull;
	size_t o = 0;
	n = 0;
	for (unsigned i = 0; i < m->nrr; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->section != sec || rr->type != type || rr->rclass != rclass ||
		    !dns_name_equal(rr->owner, owner) || n >= max_rrs)
			continue;
		put_u16(rs->data + o, rr->rdlen);
		memcpy(rs->data + o + 2, rr->rdata, rr->rdlen);
		o += 2u + rr->rdlen;
		n++;
	}
	rs->count = (uint16_t)n;
	rs->data_len = (uint16_t)o;
	return rs;
}

/* Caches rs unless its TTL is 0 (spec 6.3: used for this resolution, never stored). */
static void cache_store(struct resolver *r, uint64_t now, const struct rrset *rs)
{
	if (rs->ttl == 0)
		return;
	(void)!cache_put_rrset(r->cache, now, rs); /* refused by rank or ENOMEM: not cached */
}

/* --- transactions (upstream queries in flight) --- */

static struct txn *txn_find(struct resolver *r, uint64_t handle)
{
	for (struct txn *t = r->buckets[handle % TXN_BUCKETS]; t; t = t->hnext)
		if (t->handle == handle)
			return t;
	return NULL;
}

static void txn_detach(struct txn *t, struct rq *q)
{
	for (unsigned i = 0; i < t->nwaiters; i++) {
		if (t->waiters[i] == q) {
			t->waiters[i] = t->waiters[--t->nwaiters];
			break;
		}
	}
	for (unsigned i = 0; i < q->ntxns; i++) {
		if (q->txns[i] == t) {
			q->txns[i] = q->txns[--q->ntxns];
			break;
		}
	}
	if (q->current == t)
		q->current = NULL;
}

static void rq_detach_all(struct rq *q)
{
	while (q->ntxns)
		txn_detach(q->txns[0], q);
}

static bool txn_attach(struct txn *t, struct rq *q)
{
	if (q->ntxns == MAX_TXNS_PER_RQ)
		txn_detach(q->txns[0], q); /* the oldest late reply is no longer awaited */
	if (t->nwaiters == t->cap) {
		unsigned nc = t->cap ? t->cap * 2 : 4;
		struct rq **w = realloc(t->waiters, nc * sizeof(*w));
		if (!w)
			return false;
		t->waiters = w;
		t->cap = nc;
	}
	t->waiters[t->nwaiters++] = q;
	q->txns[q->ntxns++] = t;
	q->current = t;
	return true;
}

/* Stops listening: the caller closes the socket; waiters are detached. */
static void txn_close(struct resolver *r, struct txn *t)
{
	while (t->nwaiters)
		txn_detach(t, t->waiters[0]);
	struct txn **pp = &r->buckets[t->handle % TXN_BUCKETS];
	while (*pp != t)
		pp = &(*pp)->hnext;
	*pp = t->hnext;
	t->prev->next = t->next;
	t->next->prev = t->prev;
	struct resolver_action a = {.kind = RESOLVER_ACT_CLOSE, .handle = t->handle};
	emit(r, &a);
	/* Freed at the end of the event: the caller may still read it. */
	t->hnext = r->dead_txns;
	r->dead_txns = t;
}

/* 0x20 (spec 7.6): one random bit of case per letter. */
static void randomize_case(struct resolver *r, uint8_t *name)
{
	uint32_t bits = 0;
	unsigned left = 0;
	for (uint8_t *p = name; *p; p += *p + 1) {
		for (unsigned i = 1; i <= *p; i++) {
			uint8_t c = dns_ascii_lower[p[i]];
			if (c < 'a' || c > 'z')
				continue;
			if (!left) {
				bits = rnd32(r);
				left = 32;
			}
			p[i] = bits & 1 ? (uint8_t)(c - 32) : c;
			bits >>= 1;
			left--;
		}
	}
}

/*
 * Sends (or joins, spec 7.4: one query in flight per server and question) an upstream
 * query for q's current question to addr.
 */
static bool txn_send(struct resolver *r, uint64_t now, struct rq *q,
		     const struct resolver_addr *addr, bool tcp)
{
	for (struct txn *t = r->txns.next; t != &r->txns; t = t->next) {
		if (!t->soft_expired && t->tcp == tcp && addr_equal(&t->addr, addr) &&
		    t->qtype == q->stype && t->qclass == q->qclass &&
		    dns_name_equal(t->qname, q->sname) && dns_name_equal(t->zone, q->cut.zone) &&
		    t->forward == q->cut.from_forward)
			return txn_attach(t, q);
	}
	struct txn *t = calloc(1, sizeof(*t));
	uint8_t *msg = malloc(DNS_NAME_MAXLEN + 64);
	if (!t || !msg)
		goto out_free;
	t->handle = ++r->next_handle;
	t->id = (uint16_t)rnd32(r); /* spec 7.2 */
	t->tcp = tcp;
	t->edns = !infra_no_edns(r->infra, now, addr);
	t->addr = *addr;
	name_copy(t->qname, q->sname);
	name_copy(t->zone, q->cut.zone);
	t->forward = q->cut.from_forward;
	if (r->cfg.use_caps_for_id && !infra_no_caps(r->infra, now, addr)) {
		t->caps = true;
		randomize_case(r, t->qname);
	}
	t->qtype = q->stype;
	t->qclass = q->qclass;
	t->sent = now;
	uint32_t rto = infra_rto(r->infra, now, addr);
	if (rto > MAX_WAIT_MS)
		rto = MAX_WAIT_MS;
	t->deadline = now + (tcp && rto < TCP_TIMEOUT_MS ? TCP_TIMEOUT_MS : rto);
	t->close_at = t->deadline > now + LATE_REPLY_MS ? t->deadline : now + LATE_REPLY_MS;
	size_t len = wire_write_query(msg, DNS_NAME_MAXLEN + 64, t->id, t->qname, t->qtype,
				      t->qclass, t->edns, r->cfg.edns_udp_size, t->forward);
	if (len == 0 || !txn_attach(t, q))
		goto out_free;
	t->prev = r->txns.prev;
	t->next = &r->txns;
	r->txns.prev->next = t;
	r->txns.prev = t;
	t->hnext = r->buckets[t->handle % TXN_BUCKETS];
	r->buckets[t->handle % TXN_BUCKETS] = t;
	struct resolver_action a = {.kind = tcp ? RESOLVER_ACT_SEND_TCP : RESOLVER_ACT_SEND_UDP,
				    .handle = t->handle,
				    .addr = *addr,
				    .id = t->id,
				    .msg = msg,
				    .len = len};
	r->st.upstream_sent++;
	if (tcp)
		r->st.upstream_tcp++;
	emit(r, &a);
	return true;
out_free:
	if (t && t->nwaiters)
		txn_detach(t, q);
	if (t)
		free(t->waiters);
	free(t);
	free(msg);
	return false;
}

/* --- questions --- */

static void advance(struct resolver *r, uint64_t now, struct rq *q);

static void cut_clear(struct zcut *c)
{
	free(c->servers);
	c->servers = NULL;
	c->nservers = 0;
}

/* The lists of questions (live, dead): circular, with a sentinel. */
static void rq_link(struct rq *head, struct rq *q)
{
	q->prev = head->prev;
	q->next = head;
	head->prev->next = q;
	head->prev = q;
}

static void rq_unlink(struct rq *q)
{
	q->prev->next = q->next;
	q->next->prev = q->prev;
}

static struct rq *rq_new(struct resolver *r, uint64_t now, const uint8_t *qname, uint16_t qtype,
			 uint16_t qclass)
{
	struct rq *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;

	name_copy(q->qname, qname);
	name_copy(q->orig, qname);
	name_copy(q->sname, qname);
	q->qtype = q->stype = qtype;
	q->qclass = qclass;
	q->qmin_labels = 1;
	q->budget = &q->own_budget;
	q->need_cut = true;
	q->started = now;
	q->deadline = now + r->cfg.resolution_timeout_ms;
	rq_link(&r->rqs, q);
	return q;
}

static void rq_free(struct rq *q)
{
	for (unsigned i = 0; i < q->nchain; i++)
		free(q->chain[i]);
	free(q->soa);
	free(q->clients);
	cut_clear(&q->cut);
	free(q);
}

static void answer_client(struct resolver *r, uint64_t now, const struct client *c, uint8_t rcode,
			  const struct rrset *const *chain, unsigned nchain,
			  const struct rrset *soa, uint16_t qtype, uint16_t qclass,
			  const struct why *why)
{
	size_t limit = c->tcp ? DNS_MSG_MAX : c->edns ? c->udp_size : DNS_UDP_MIN;
	if (!c->tcp && limit > r->cfg.edns_udp_size)
		limit = r->cfg.edns_udp_size;
	if (limit < DNS_UDP_MIN)
		limit = DNS_UDP_MIN;
	uint8_t *out = malloc(limit);
	if (!out)
		return;
	struct wire_answer a = {
		.id = c->id,
		.flags = (uint16_t)(DNS_F_QR | DNS_F_RA | (c->flags & (DNS_F_RD | DNS_F_CD))),
		.rcode = rcode,
		.qname = c->qname,
		.qtype = qtype,
		.qclass = qclass,
		.answer = chain,
		.nanswer = nchain,
		.authority = soa ? &soa : NULL,
		.nauthority = soa ? 1 : 0,
		.edns = c->edns,
		.udp_size = r->cfg.edns_udp_size,
		.now = now,
		.ede = why ? why->code : -1,
		.ede_text = why ? why->text : NULL,
	};
	size_t len = wire_write_answer(out, limit, &a);
	if (rcode == DNS_RC_SERVFAIL)
		r->st.servfail_answers++;
	struct resolver_action act = {
		.kind = RESOLVER_ACT_ANSWER, .token = c->token, .msg = out, .len = len};
	if (len == 0) {
		free(out);
		return;
	}
	emit(r, &act);
}

static void rq_kill(struct resolver *r, struct rq *q);

/* An address lookup finished: the parent learns the addresses (or that there are none). */
static void sub_done(struct resolver *r, uint64_t now, struct rq *q)
{
	struct rq *p = q->parent;
	if (p->dead || q->parent_server >= p->cut.nservers)
		return;
	struct server *s = &p->cut.servers[q->parent_server];
	if (!dns_name_equal(s->name, q->orig) || !s->lookup_pending)
		return; /* the parent moved to another zone cut meanwhile */
	s->lookup_pending = false;
	s->lookup_done = true;
	p->nsub--;
	bool any = false;
	if (q->rcode == DNS_RC_NOERROR && q->nchain > 0) {
		const struct rrset *rs = q->chain[q->nchain - 1];
		size_t pos = 0;
		const uint8_t *rd;
		uint16_t len;
		while (s->naddr < MAX_ADDRS && rrset_next(rs, &pos, &rd, &len)) {
			if (addr_from_rdata(r, rs->type, rd, len, &s->addr[s->naddr])) {
				s->naddr++;
				any = true;
			}
		}
	}
	if (!any)
		p->budget->target_nx++; /* spec 11.2: MAX_TARGET_NX */
	advance(r, now, p);
}

/*
 * Serve-stale (RFC 8767 §4; spec 13.1): answers clients from expired data, the chain from the
 * question to the final RRset all there, at TTL 30 with EDE 3. False when it is not there.
 */
static bool answer_stale(struct resolver *r, uint64_t now, const struct rq *q,
			 const struct client *clients, unsigned n)
{
	if (!r->cfg.serve_stale_max_s || !n)
		return false;
	struct rrset *chain[MAX_CHAIN];
	unsigned k = 0;
	bool whole = false;
	const uint8_t *name = q->orig;
	while (k < MAX_CHAIN && !whole) {
		const struct rrset *rs = cache_get_rrset_stale(
			r->cache, now, name, q->qtype, q->qclass, RESOLVER_RANK_NONAUTH_ANSWER);
		whole = rs != NULL;
		if (!rs && q->qtype != DNS_T_CNAME)
			rs = cache_get_rrset_stale(r->cache, now, name, DNS_T_CNAME, q->qclass,
						   RESOLVER_RANK_NONAUTH_ANSWER);
		if (!rs || !(chain[k] = rrset_dup(rs))) {
			whole = false;
			break;
		}
		chain[k]->expire = now + 30000; /* RFC 8767 §4: a TTL of 30 s */
		name = chain[k++]->data + 2;
	}
	for (unsigned i = 0; whole && i < n; i++)
		answer_client(r, now, &clients[i], DNS_RC_NOERROR,
			      (const struct rrset *const *)chain, k, NULL, q->qtype, q->qclass,
			      &WHY_STALE);
	if (whole)
		r->st.stale_answers += n;
	for (unsigned i = 0; i < k; i++)
		free(chain[i]);
	return whole;
}

/* Ends a question: answers its clients, wakes what waits on it, and frees it later. */
static void finish(struct resolver *r, uint64_t now, struct rq *q, uint8_t rcode)
{
	if (q->done)
		return;
	q->done = true;
	q->rcode = rcode;
	rq_detach_all(q);
	if (rcode == DNS_RC_SERVFAIL && answer_stale(r, now, q, q->clients, q->nclients))
		q->nclients = 0;
	const struct rrset *soa = rcode == DNS_RC_SERVFAIL ? NULL : q->soa;
	unsigned nchain = rcode == DNS_RC_SERVFAIL ? 0 : q->nchain;
	for (unsigned i = 0; i < q->nclients; i++)
		answer_client(r, now, &q->clients[i], rcode, (const struct rrset *const *)q->chain,
			      nchain, soa, q->qtype, q->qclass,
			      rcode == DNS_RC_SERVFAIL ? q->why : NULL);
	q->nclients = 0;
	if (q->parent)
		sub_done(r, now, q);
	if (q->is_prime) {
		r->prime = NULL;
		struct rq *w = r->prime_waiters;
		r->prime_waiters = NULL;
		while (w) {
			struct rq *next = w->prime_next;
			w->waiting_prime = false;
			w->primed = true;
			if (!w->dead)
				advance(r, now, w);
			w = next;
		}
	}
	rq_kill(r, q);
}

/* Moves q to the dead list (freed at the end of the event) with every sub-query it started. */
static void rq_kill(struct resolver *r, struct rq *q)
{
	if (q->dead)
		return;
	q->dead = true;
	q->done = true;
	rq_detach_all(q);
	if (!q->parent && !q->is_prime) {
		r->nclient_rqs--;
		struct rq **pp = &r->questions[q->qhash % Q_BUCKETS];
		while (*pp && *pp != q)
			pp = &(*pp)->qnext;
		if (*pp)
			*pp = q->qnext;
	}
	rq_unlink(q);
	rq_link(&r->dead, q);
	if (q->parent)
		q->parent->nkids--;
	/* Killing a child moves others too: scan again from the start after each. */
	for (struct rq *c = r->rqs.next; q->nkids && c != &r->rqs;) {
		if (c->parent == q) {
			rq_kill(r, c);
			c = r->rqs.next;
		} else {
			c = c->next;
		}
	}
	if (q->waiting_prime) {
		struct rq **pp = &r->prime_waiters;
		while (*pp && *pp != q)
			pp = &(*pp)->prime_next;
		if (*pp)
			*pp = q->prime_next;
	}
}

static void fail(struct resolver *r, uint64_t now, struct rq *q, bool limit)
{
	if (limit)
		r->st.limit_hits++;
	q->why = limit ? &WHY_LIMIT : &WHY_UNREACHABLE;
	/* RFC 9520: the failure is remembered, so a dead zone costs one resolution per TTL. */
	(void)!cache_put_failure(r->cache, now, q->qname, q->qtype, q->qclass,
				 r->cfg.failure_ttl_min, r->cfg.failure_ttl_max);
	finish(r, now, q, DNS_RC_SERVFAIL);
}

static bool chain_add(struct rq *q, const struct rrset *rs)
{
	if (q->nchain == MAX_CHAIN)
		return false;
	struct rrset *c = rrset_dup(rs);
	if (!c)
		return false;
	q->chain[q->nchain++] = c;
	return true;
}

/*
 * Follows a CNAME to `target` (spec 4.1, 4.2): counted, and a name seen twice in the chain
 * is a loop. Returns false when the question must fail.
 */
static bool restart(struct resolver *r, struct rq *q, const uint8_t *target)
{
	if (++q->restarts > r->cfg.max_restarts)
		return false;
	if (dns_name_equal(target, q->orig))
		return false;
	for (unsigned i = 0; i < q->nchain; i++)
		if (dns_name_equal(q->chain[i]->owner, target))
			return false;
	rq_detach_all(q);
	name_copy(q->qname, target);
	name_copy(q->sname, target);
	q->stype = q->qtype;
	q->qmin_off = false;
	cut_clear(&q->cut);
	q->need_cut = true;
	q->primed = false;
	return true;
}

static void set_soa(struct rq *q, const struct rrset *soa)
{
	free(q->soa);
	q->soa = soa ? rrset_dup(soa) : NULL;
}

enum lookup { LOOKUP_MISS, LOOKUP_DONE };

/* Answers q from the cache as far as it goes (spec 2.1 step 1). */
static enum lookup lookup_cache(struct resolver *r, uint64_t now, struct rq *q)
{
	for (;;) {
		if (cache_get_failure(r->cache, now, q->qname, q->qtype, q->qclass, NULL)) {
			q->why = &WHY_CACHED;
			finish(r, now, q, DNS_RC_SERVFAIL);
			return LOOKUP_DONE;
		}
		const struct rrset *rs = cache_get_rrset(r->cache, now, q->qname, q->qtype,
							 q->qclass, RESOLVER_RANK_NONAUTH_ANSWER);
		if (rs) {
			if (!chain_add(q, rs))
				fail(r, now, q, true);
			else
				finish(r, now, q, DNS_RC_NOERROR);
			return LOOKUP_DONE;
		}
		uint8_t rcode;
		const struct rrset *soa;
		if (cache_get_negative(r->cache, now, q->qname, q->qtype, q->qclass, &rcode,
				       &soa)) {
			set_soa(q, soa); /* spec 5.4: its TTL counts down */
			finish(r, now, q, rcode);
			return LOOKUP_DONE;
		}
		if (q->qtype == DNS_T_CNAME)
			return LOOKUP_MISS;
		rs = cache_get_rrset(r->cache, now, q->qname, DNS_T_CNAME, q->qclass,
				     RESOLVER_RANK_NONAUTH_ANSWER);
		if (!rs)
			return LOOKUP_MISS;
		if (!chain_add(q, rs) || !restart(r, q, rs->data + 2)) {
			fail(r, now, q, true);
			return LOOKUP_DONE;
		}
	}
}

/* Addresses of name server `s` known to the cache (glue included: it reaches servers). */
static void server_addrs_from_cache(struct resolver *r, uint64_t now, struct server *s,
				    uint16_t qclass)
{
	static const uint16_t types[2] = {DNS_T_A, DNS_T_AAAA};
	for (int t = 0; t < 2; t++) {
		const struct rrset *rs = cache_get_rrset(r->cache, now, s->name, types[t], qclass,
							 RESOLVER_RANK_GLUE);
		size_t pos = 0;
		const uint8_t *rd;
		uint16_t len;
		while (rs && s->naddr < MAX_ADDRS && rrset_next(rs, &pos, &rd, &len))
			if (addr_from_rdata(r, rs->type, rd, len, &s->addr[s->naddr]))
				s->naddr++;
	}
}

/* A zone cut from an NS RRset: at most max_ns_per_rrset servers (spec 11.2). */
static bool cut_from_ns(struct resolver *r, uint64_t now, struct zcut *c, const uint8_t *zone,
			const struct rrset *ns, uint16_t qclass)
{
	cut_clear(c);
	name_copy(c->zone, zone);
	c->from_hints = false;
	unsigned max = ns->count < r->cfg.max_ns_per_rrset ? ns->count : r->cfg.max_ns_per_rrset;
	c->servers = calloc(max ? max : 1, sizeof(*c->servers));
	if (!c->servers)
		return false;
	size_t pos = 0;
	const uint8_t *rd;
	uint16_t len;
	while (c->nservers < max && rrset_next(ns, &pos, &rd, &len)) {
		struct server *s = &c->servers[c->nservers++];
		name_copy(s->name, rd);
		server_addrs_from_cache(r, now, s, qclass);
	}
	return true;
}

static bool cut_from_hints(struct resolver *r, uint64_t now, struct zcut *c)
{
	if (!cut_from_ns(r, now, c, r->hint_ns->owner, r->hint_ns, DNS_CLASS_IN))
		return false;
	c->from_hints = true;
	for (unsigned i = 0; i < c->nservers; i++) {
		struct server *s = &c->servers[i];
		s->naddr = 0;
		for (unsigned h = 0; h < r->nhint_addr; h++) {
			const struct rrset *rs = r->hint_addr[h];
			if (!dns_name_equal(rs->owner, s->name))
				continue;
			size_t pos = 0;
			const uint8_t *rd;
			uint16_t len;
			while (s->naddr < MAX_ADDRS && rrset_next(rs, &pos, &rd, &len))
				if (addr_from_rdata(r, rs->type, rd, len, &s->addr[s->naddr]))
					s->naddr++;
		}
		s->lookup_done = true; /* hints are all we have for them */
	}
	return true;
}

/* A stub zone configured for exactly `zone` (spec 1.6): its servers make the cut. */
static bool cut_from_stub(struct resolver *r, struct zcut *c, const uint8_t *zone)
{
	for (unsigned i = 0; i < r->nstubs; i++) {
		const struct stub *st = &r->stubs[i];
		if (!dns_name_equal(st->zone, zone))
			continue;
		struct server *s = calloc(1, sizeof(*s));
		if (!s)
			return false;
		cut_clear(c);
		name_copy(c->zone, st->zone);
		c->from_hints = false;
		c->from_stub = true;
		c->from_forward = st->forward;
		c->servers = s;
		c->nservers = 1;
		name_copy(s->name, st->zone); /* no name: the addresses are all there is */
		s->naddr = (uint8_t)st->naddr;
		memcpy(s->addr, st->addr, st->naddr * sizeof(*st->addr));
		s->lookup_done = true;
		return true;
	}
	return false;
}

/* Could this cut's servers ever be reached: an address, or a name outside the zone? */
static bool cut_usable(const struct zcut *c)
{
	for (unsigned i = 0; i < c->nservers; i++)
		if (c->servers[i].naddr > 0 || !dns_name_is_sub(c->servers[i].name, c->zone))
			return true;
	return false;
}

enum cut_result { CUT_OK, CUT_WAIT, CUT_FAIL };

/*
 * The closest enclosing delegation known to the cache (spec 2.1), else the root: primed
 * first (spec 1.2), the hints when priming failed (spec 1.4).
 */
static enum cut_result find_cut(struct resolver *r, uint64_t now, struct rq *q)
{
	const uint8_t *n = q->qname;
	if (q->qtype == DNS_T_DS && *n) /* DS lives on the parent side of a cut */
		n = name_parent(n);
	for (;; n = name_parent(n)) {
		if (cut_from_stub(r, &q->cut, n))
			return CUT_OK;
		const struct rrset *ns = cache_get_rrset(r->cache, now, n, DNS_T_NS, q->qclass,
							 RESOLVER_RANK_NONAUTH_NS);
		if (ns) {
			if (!cut_from_ns(r, now, &q->cut, n, ns, q->qclass))
				return CUT_FAIL;
			/* At the root, even without addresses: they are looked up (spec 1.3). */
			if (cut_usable(&q->cut) || !*n)
				return CUT_OK;
		}
		if (!*n)
			break;
	}
	if (q->no_prime || q->primed ||
	    cache_get_failure(r->cache, now, (const uint8_t *)"", DNS_T_NS, DNS_CLASS_IN, NULL))
		return cut_from_hints(r, now, &q->cut) ? CUT_OK : CUT_FAIL;
	if (!r->prime) {
		struct rq *p = rq_new(r, now, (const uint8_t *)"", DNS_T_NS, DNS_CLASS_IN);
		if (!p)
			return CUT_FAIL;
		p->is_prime = p->no_prime = true;
		r->prime = p;
		advance(r, now, p);
	}
	if (!r->prime) /* priming finished at once (failed): use the hints */
		return cut_from_hints(r, now, &q->cut) ? CUT_OK : CUT_FAIL;
	q->waiting_prime = true;
	q->prime_next = r->prime_waiters;
	r->prime_waiters = q;
	return CUT_WAIT;
}

/* Is (name, A) already being resolved by q or one of its ancestors? (spec 2.5) */
static bool in_ancestry(const struct rq *q, const uint8_t *name)
{
	for (; q; q = q->parent)
		if ((q->qtype == DNS_T_A || q->qtype == DNS_T_AAAA) &&
		    dns_name_equal(q->qname, name))
			return true;
	return false;
}

/* May q send to address a of server s now? pass 0, 2: untried; 1, 3: tried once; 2, 3: down too. */
static bool eligible(struct resolver *r, uint64_t now, const struct rq *q, const struct server *s,
		     unsigned a, int pass)
{
	const struct resolver_addr *ad = &s->addr[a];
	if (s->bad[a] || s->tries[a] != (pass % 2 == 0 ? 0 : 1))
		return false;
	if (addr_is_loopback(ad) && !r->cfg.allow_loopback_upstreams)
		return false; /* spec 15.1 */
	if (infra_is_lame(r->infra, now, ad, q->cut.zone))
		return false; /* spec 2.6 */
	return pass >= 2 || !infra_is_down(r->infra, now, ad);
}

/*
 * Picks an address at random among those whose RTO is within RTT_BAND of the best (spec
 * 10.2), preferring addresses not yet tried in this zone cut and servers not marked down.
 */
static bool pick_server(struct resolver *r, uint64_t now, struct rq *q, unsigned *si, unsigned *ai)
{
	for (int pass = 0; pass < 4; pass++) {
		uint32_t best = UINT32_MAX;
		for (unsigned i = 0; i < q->cut.nservers; i++)
			for (unsigned a = 0; a < q->cut.servers[i].naddr; a++)
				if (eligible(r, now, q, &q->cut.servers[i], a, pass)) {
					uint32_t rto = infra_rto(r->infra, now,
								 &q->cut.servers[i].addr[a]);
					if (rto < best)
						best = rto;
				}
		if (best == UINT32_MAX)
			continue;
		unsigned n = 0;
		for (int round = 0; round < 2; round++) {
			unsigned k = 0, want = round ? rnd32(r) % n : 0;
			for (unsigned i = 0; i < q->cut.nservers; i++) {
				for (unsigned a = 0; a < q->cut.servers[i].naddr; a++) {
					if (!eligible(r, now, q, &q->cut.servers[i], a, pass) ||
					    infra_rto(r->infra, now, &q->cut.servers[i].addr[a]) >
						    best + INFRA_RTT_BAND)
						continue;
					if (round == 0) {
						n++;
					} else if (k++ == want) {
						*si = i;
						*ai = a;
						return true;
					}
				}
			}
		}
	}
	return false;
}

/* Starts one address lookup for a server without addresses (spec 2.4: lazily, one at a time). */
static bool start_target(struct resolver *r, uint64_t now, struct rq *q)
{
	if (q->depth + 1 > r->cfg.max_depth)
		return false;
	for (unsigned i = 0; i < q->cut.nservers; i++) {
		struct server *s = &q->cut.servers[i];
		if (s->naddr || s->lookup_done || s->lookup_pending)
			continue;
		if (in_ancestry(q, s->name)) { /* spec 2.5: a dependency cycle */
			s->lookup_done = true;
			continue;
		}
		if (q->budget->targets >= r->cfg.max_target_lookups ||
		    q->step_targets >= r->cfg.max_target_lookups_per_cut ||
		    q->budget->target_nx >= r->cfg.max_target_nx) {
			r->st.limit_hits++;
			return false;
		}
		struct rq *sub = rq_new(r, now, s->name, DNS_T_A, q->qclass);
		if (!sub)
			return false;
		q->budget->targets++;
		q->step_targets++;
		sub->parent = q;
		q->nkids++;
		sub->parent_server = i;
		sub->depth = q->depth + 1;
		sub->budget = q->budget;
		sub->no_prime = q->no_prime;
		sub->deadline = q->deadline;
		s->lookup_pending = true;
		q->nsub++;
		advance(r, now, sub);
		return true;
	}
	return false;
}

/*
 * The name to send in this zone cut: the full question, or with QNAME minimisation one label
 * more than the zone (qmin_labels more after empty non-terminals) and type A (RFC 9156 §2).
 */
static void set_sname(struct resolver *r, struct rq *q)
{
	int ql = dns_name_labels(q->qname);
	int want = dns_name_labels(q->cut.zone) + (int)q->qmin_labels;
	if (!r->cfg.qname_minimisation || q->qmin_off || q->qmin_sends >= QMIN_MAX_SENDS ||
	    q->cut.from_forward || q->qtype == DNS_T_DS || want >= ql) {
		name_copy(q->sname, q->qname);
		q->stype = q->qtype;
		return;
	}
	const uint8_t *p = q->qname;
	for (int i = 0; i < ql - want; i++)
		p += *p + 1;
	name_copy(q->sname, p);
	q->stype = DNS_T_A;
}

/* Is the query being sent now a minimised one? */
static bool minimised(const struct rq *q)
{
	return q->stype != q->qtype || !dns_name_equal(q->sname, q->qname);
}

/* The state machine's one step: whatever q waits for next. */
static void advance(struct resolver *r, uint64_t now, struct rq *q)
{
	if (q->done || q->dead || q->waiting_prime || q->current)
		return;
	if (now >= q->deadline) {
		fail(r, now, q, true);
		return;
	}
	if (q->need_cut) {
		if (!q->skip_lookup && lookup_cache(r, now, q) == LOOKUP_DONE)
			return;
		q->skip_lookup = false;
		enum cut_result cr = find_cut(r, now, q);
		if (cr == CUT_FAIL) {
			fail(r, now, q, false);
			return;
		}
		if (q->done || q->dead)
			return;
		q->need_cut = false;
		q->step_sends = q->step_targets = 0;
		q->qmin_labels = 1;
		if (cr == CUT_WAIT) {
			q->need_cut = true; /* look again once priming is over */
			return;
		}
	}
	unsigned si, ai;
	if (q->budget->sends >= r->cfg.max_sends || q->step_sends >= r->cfg.max_sends_per_step) {
		if (!q->ntxns) /* spec 10.5 */
			fail(r, now, q, true);
		return;
	}
	if (pick_server(r, now, q, &si, &ai)) {
		struct server *s = &q->cut.servers[si];
		s->tries[ai]++;
		q->budget->sends++;
		q->step_sends++;
		set_sname(r, q);
		if (minimised(q))
			q->qmin_sends++;
		if (!txn_send(r, now, q, &s->addr[ai], false))
			fail(r, now, q, false);
		return;
	}
	if (start_target(r, now, q) || q->nsub > 0 || q->ntxns > 0)
		return; /* an address lookup or a late reply may still help */
	if (!*q->cut.zone && !q->cut.from_hints && !q->cut.from_stub) {
		/* Root servers unreachable through the primed data: back to the hints (1.4). */
		if (cut_from_hints(r, now, &q->cut)) {
			advance(r, now, q);
			return;
		}
	}
	fail(r, now, q, false);
}

/* --- responses --- */

enum outcome_kind {
	OUT_ANSWER,   /* final data (possibly after CNAMEs in the same response) */
	OUT_CNAME,    /* a chain whose end must be resolved anew */
	OUT_NEGATIVE, /* NXDOMAIN or NODATA for the chain's end */
	OUT_REFERRAL, /* a zone cut closer to the name */
	OUT_LAME,     /* the server is not authoritative for the zone: spec 2.2, 2.6 */
	OUT_FAIL,     /* SERVFAIL, FORMERR and the like: try another server */
};

struct outcome {
	enum outcome_kind kind;
	uint8_t rcode;
	struct rrset *chain[MAX_CHAIN]; /* CNAMEs, then the final RRset for OUT_ANSWER */
	unsigned nchain;
	struct rrset *soa;
	uint8_t next[DNS_NAME_MAXLEN]; /* OUT_CNAME: where to go on */
	struct zcut cut;               /* OUT_REFERRAL */
};

static void outcome_free(struct outcome *o)
{
	for (unsigned i = 0; i < o->nchain; i++)
		free(o->chain[i]);
	free(o->soa);
	cut_clear(&o->cut);
}

/* A CNAME RRset's target (one record: RFC 2181 §10.1). */
static const uint8_t *cname_target(const struct rrset *rs)
{
	return rs->data + 2;
}

/* The SOA in the authority section that may speak for `name`, inside the bailiwick. */
static struct rrset *find_soa(struct resolver *r, uint64_t now, const struct wire_msg *m,
			      const uint8_t *zone, const uint8_t *name, uint16_t rclass)
{
	for (unsigned i = 0; i < m->nrr; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->section == WIRE_AUTHORITY && rr->type == DNS_T_SOA &&
		    dns_name_is_sub(rr->owner, zone) && dns_name_is_sub(name, rr->owner))
			return collect(r, now, m, WIRE_AUTHORITY, rr->owner, DNS_T_SOA, rclass,
				       RESOLVER_RANK_AUTH_AUTHORITY, 1);
	}
	return NULL;
}

/* Negative TTL: min(SOA TTL, SOA MINIMUM), capped (RFC 2308 §5; spec 5.2). */
static uint32_t negative_ttl(const struct resolver *r, const struct rrset *soa)
{
	uint32_t min = get_u32(soa->data + 2 + get_u16(soa->data) - 4);
	uint32_t ttl = soa->ttl < min ? soa->ttl : min;
	if (ttl > r->cfg.max_negative_ttl)
		ttl = r->cfg.max_negative_ttl;
	return ttl;
}

/*
 * Ghost domains (spec 3.5): the child's own NS set must not keep a delegation alive after the
 * parent removed it. It lives no longer than the parent's NS RRset that led to it, and is not
 * cached at all when that one is gone. The root has no parent: priming is cached as it is.
 */
static bool child_ns_capped(struct resolver *r, uint64_t now, struct rrset *ns)
{
	if (!*ns->owner)
		return true;
	const struct rrset *parent =
		cache_get_rrset(r->cache, now, ns->owner, DNS_T_NS, ns->rclass, RESOLVER_RANK_NONE);
	if (!parent)
		return false;
	if (ns->expire > parent->expire) {
		ns->expire = parent->expire;
		ns->ttl = rrset_ttl_left(parent, now);
	}
	return true;
}

/*
 * Glue for one NS name: its A/AAAA from the additional section, only when the name is inside
 * the zone the server was asked about (spec 3.2). Cached at the rank of glue (it reaches
 * servers, never answers clients) and put into s, even at TTL 0 (spec 6.3).
 */
static void take_glue(struct resolver *r, uint64_t now, const struct txn *t,
		      const struct wire_msg *m, struct server *s)
{
	static const uint16_t at[2] = {DNS_T_A, DNS_T_AAAA};
	if (!dns_name_is_sub(s->name, t->zone))
		return;
	bool fresh = false;
	for (int a = 0; a < 2; a++) {
		struct rrset *g = collect(r, now, m, WIRE_ADDITIONAL, s->name, at[a], t->qclass,
					  RESOLVER_RANK_GLUE, MAX_ADDRS);
		if (!g)
			continue;
		cache_store(r, now, g);
		if (!fresh) { /* the message's glue replaces what the cache said */
			s->naddr = 0;
			fresh = true;
		}
		size_t pos = 0;
		const uint8_t *rd;
		uint16_t len;
		while (s->naddr < MAX_ADDRS && rrset_next(g, &pos, &rd, &len))
			if (addr_from_rdata(r, g->type, rd, len, &s->addr[s->naddr]))
				s->naddr++;
		free(g);
	}
}

/* The addresses of an NS answer's names (priming: spec 1.2), taken as glue. */
static void take_ns_addresses(struct resolver *r, uint64_t now, const struct txn *t,
			      const struct wire_msg *m, const struct rrset *ns)
{
	size_t pos = 0;
	const uint8_t *rd;
	uint16_t len;
	struct server s;
	for (unsigned n = 0; n < r->cfg.max_ns_per_rrset && rrset_next(ns, &pos, &rd, &len); n++) {
		memset(&s, 0, sizeof(s));
		name_copy(s.name, rd);
		take_glue(r, now, t, m, &s);
	}
}

/*
 * DNAME (RFC 6672 §3; spec 4.5): when the answer section holds a DNAME strictly above `name`
 * inside the bailiwick, the DNAME goes into the chain and the CNAME it implies for `name` is
 * made here, with the DNAME's TTL (whatever CNAME the server sent is not used). NULL when
 * there is none, or when the new name would pass 255 octets (YXDOMAIN: then nothing is made).
 */
static struct rrset *dname_cname(struct resolver *r, uint64_t now, const struct wire_msg *m,
				 const uint8_t *name, const uint8_t *bw, uint16_t rclass,
				 uint8_t rank, struct outcome *o)
{
	for (unsigned i = 0; i < m->nrr; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->section != WIRE_ANSWER || rr->type != DNS_T_DNAME || rr->rclass != rclass ||
		    dns_name_equal(rr->owner, name) || !dns_name_is_sub(name, rr->owner) ||
		    !dns_name_is_sub(rr->owner, bw))
			continue;
		size_t prefix = dns_name_len(name) - rr->owner_len;
		size_t tl = dns_name_len(rr->rdata);
		if (prefix + tl > DNS_NAME_MAXLEN || o->nchain + 1 >= MAX_CHAIN)
			return NULL;
		bool have = false;
		for (unsigned k = 0; k < o->nchain; k++)
			have = have || (o->chain[k]->type == DNS_T_DNAME &&
					dns_name_equal(o->chain[k]->owner, rr->owner));
		struct rrset *dn = have ? NULL
					: collect(r, now, m, WIRE_ANSWER, rr->owner, DNS_T_DNAME,
						  rclass, rank, 1);
		if (dn)
			o->chain[o->nchain++] = dn;
		struct rrset *cn = malloc(sizeof(*cn) + 2 + prefix + tl);
		if (!cn)
			return NULL;
		memset(cn, 0, sizeof(*cn));
		name_copy(cn->owner, name);
		dns_name_lower(cn->owner);
		cn->owner_len = (uint8_t)dns_name_len(name);
		cn->type = DNS_T_CNAME;
		cn->rclass = rclass;
		cn->rank = rank;
		cn->ttl = cap_ttl(r, rr->ttl);
		cn->expire = now + cn->ttl * 1000ull;
		cn->count = 1;
		cn->data_len = (uint16_t)(2 + prefix + tl);
		put_u16(cn->data, (uint16_t)(prefix + tl));
		memcpy(cn->data + 2, name, prefix);
		memcpy(cn->data + 2 + prefix, rr->rdata, tl);
		dns_name_lower(cn->data + 2); /* the name may have been sent in random case */
		return cn;
	}
	return NULL;
}

/*
 * Classifies a response to t and caches what passes the scrubber: the bailiwick (3.1), the
 * answer chain from the question (3.4), glue only for the referral's NS names (3.2), the
 * ranks (3.3). Nothing else from the message is ever stored.
 */
static void classify(struct resolver *r, uint64_t now, const struct txn *t,
		     const struct wire_msg *m, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = OUT_FAIL;
	/* A forwarder resolves any name for us: no bailiwick but the root, no AA, a lower rank. */
	bool fwd = t->forward;
	const uint8_t *bw = fwd ? (const uint8_t *)"" : t->zone;
	uint8_t arank = fwd ? RESOLVER_RANK_NONAUTH_ANSWER : RESOLVER_RANK_AUTH_ANSWER;
	bool aa = fwd || (m->flags & DNS_F_AA);
	if (m->rcode == DNS_RC_REFUSED || m->rcode == DNS_RC_NOTAUTH) {
		o->kind = OUT_LAME;
		return;
	}
	if (m->rcode != DNS_RC_NOERROR && m->rcode != DNS_RC_NXDOMAIN)
		return;
	/* The answer section, walked from the question along the chain (spec 3.4, 4.1). */
	uint8_t name[DNS_NAME_MAXLEN];
	name_copy(name, t->qname);
	bool final = false, restart_at_end = false;
	for (unsigned hops = 0; hops <= r->cfg.max_cname_per_message; hops++) {
		struct rrset *rs = NULL;
		/* 4.5: a DNAME above the name rewrites it; the CNAME is made here, not taken. */
		if (t->qtype != DNS_T_CNAME && t->qtype != DNS_T_DNAME)
			rs = dname_cname(r, now, m, name, bw, t->qclass, arank, o);
		/* 4.4: a CNAME owner has no other data; the CNAME wins, the rest is dropped. */
		if (!rs && t->qtype != DNS_T_CNAME)
			rs = collect(r, now, m, WIRE_ANSWER, name, DNS_T_CNAME, t->qclass, arank,
				     1);
		if (!rs) {
			rs = collect(r, now, m, WIRE_ANSWER, name, t->qtype, t->qclass, arank,
				     65535);
			if (rs) {
				if (o->nchain < MAX_CHAIN)
					o->chain[o->nchain++] = rs;
				else
					free(rs);
				final = true;
			}
			break;
		}
		if (o->nchain == MAX_CHAIN || hops == r->cfg.max_cname_per_message) {
			free(rs);
			restart_at_end =
				true; /* spec 11.7: the rest is fetched anew, and counted */
			break;
		}
		o->chain[o->nchain++] = rs;
		name_copy(name, cname_target(rs));
		bool seen = dns_name_equal(name, t->qname);
		for (unsigned i = 0; i < o->nchain; i++)
			seen = seen || dns_name_equal(name, o->chain[i]->owner);
		/* 3.4: a target outside the bailiwick is resolved anew; a loop fails there. */
		if (seen || !dns_name_is_sub(name, bw)) {
			restart_at_end = true;
			break;
		}
	}
	if (!final && o->nchain > 0 && o->nchain < MAX_CHAIN && !restart_at_end &&
	    o->chain[o->nchain - 1]->type == DNS_T_CNAME && dns_name_is_sub(name, bw)) {
		/* In bailiwick, no data: only a negative answer with its SOA ends the chain. */
		bool nx = m->rcode == DNS_RC_NXDOMAIN;
		struct rrset *soa = find_soa(r, now, m, bw, name, t->qclass);
		restart_at_end = !nx && !soa;
		free(soa);
	}
	if (o->nchain > 0 && !aa) {
		o->kind = OUT_LAME; /* answer data without AA: spec 2.2, Deckard iter_lame_noaa */
		return;
	}
	for (unsigned i = 0; i < o->nchain; i++)
		if (o->chain[i]->type != DNS_T_NS || child_ns_capped(r, now, o->chain[i]))
			cache_store(r, now, o->chain[i]);
	if (final) {
		o->kind = OUT_ANSWER;
		if (t->qtype == DNS_T_NS)
			take_ns_addresses(r, now, t, m, o->chain[o->nchain - 1]);
		return;
	}
	if (restart_at_end) {
		o->kind = OUT_CNAME;
		name_copy(o->next, name);
		return;
	}
	/* Negative answers for the chain's end, which is in bailiwick (spec 4.3, 5.1). */
	o->soa = find_soa(r, now, m, bw, name, t->qclass);
	if (o->soa) {
		/* RFC 2308 §3: the SOA of a negative answer is served with the negative TTL. */
		o->soa->ttl = negative_ttl(r, o->soa);
		o->soa->expire = now + o->soa->ttl * 1000ull;
	}
	if (m->rcode == DNS_RC_NXDOMAIN) {
		if (!aa && !o->soa) {
			o->kind = OUT_LAME;
			return;
		}
		o->kind = OUT_NEGATIVE;
		o->rcode = DNS_RC_NXDOMAIN;
		if (o->soa && aa) {
			uint32_t ttl = o->soa->ttl;
			if (ttl) /* spec 5.3: never cached without a SOA */
				(void)!cache_put_negative(r->cache, now, name, 0, t->qclass,
							  DNS_RC_NXDOMAIN, o->soa,
							  now + ttl * 1000ull);
		}
		return;
	}
	/*
	 * NOERROR without the data: a referral (even with AA, which some servers set on
	 * referrals: Unbound does the same), NODATA, or lame.
	 */
	if (!o->soa) {
		for (unsigned i = 0; !fwd && i < m->nrr; i++) {
			const struct wire_rr *rr = &m->rr[i];
			if (rr->section != WIRE_AUTHORITY || rr->type != DNS_T_NS)
				continue;
			/* spec 2.3: strictly below the zone asked, at or above the name. */
			if (dns_name_equal(rr->owner, t->zone) ||
			    !dns_name_is_sub(rr->owner, t->zone) ||
			    !dns_name_is_sub(name, rr->owner))
				continue;
			struct rrset *ns =
				collect(r, now, m, WIRE_AUTHORITY, rr->owner, DNS_T_NS, t->qclass,
					RESOLVER_RANK_NONAUTH_NS, r->cfg.max_ns_per_rrset);
			if (!ns)
				return;
			cache_store(r, now, ns);
			if (cut_from_ns(r, now, &o->cut, ns->owner, ns, t->qclass)) {
				for (unsigned k = 0; k < o->cut.nservers; k++)
					take_glue(r, now, t, m, &o->cut.servers[k]);
				o->kind = OUT_REFERRAL;
			}
			free(ns);
			return;
		}
		for (unsigned i = 0; fwd && i < m->nrr; i++) {
			if (m->rr[i].section == WIRE_AUTHORITY && m->rr[i].type == DNS_T_NS) {
				o->kind = OUT_FAIL; /* a forwarder that refers is broken */
				return;
			}
		}
		if (!aa) {
			o->kind = OUT_LAME; /* upward or sideways referral, or nothing at all */
			return;
		}
	}
	o->kind = OUT_NEGATIVE;
	o->rcode = DNS_RC_NOERROR;
	if (o->soa && aa) {
		uint32_t ttl = o->soa->ttl;
		if (ttl)
			(void)!cache_put_negative(r->cache, now, name, t->qtype, t->qclass,
						  DNS_RC_NOERROR, o->soa, now + ttl * 1000ull);
	}
}

/* Marks the address a transaction went to as unusable in q's zone cut. */
static void mark_bad(struct rq *q, const struct resolver_addr *a)
{
	for (unsigned i = 0; i < q->cut.nservers; i++)
		for (unsigned k = 0; k < q->cut.servers[i].naddr; k++)
			if (addr_equal(&q->cut.servers[i].addr[k], a))
				q->cut.servers[i].bad[k] = true;
}

/* Applies a transaction's outcome to one question waiting on it. */
static void apply(struct resolver *r, uint64_t now, struct rq *q, const struct txn *t,
		  const struct outcome *o, bool was_current)
{
	if (!dns_name_equal(t->zone, q->cut.zone) || !dns_name_equal(t->qname, q->sname) ||
	    t->qtype != q->stype || q->need_cut)
		return; /* a late reply about a step q has left */
	if (minimised(q) && o->kind != OUT_REFERRAL && o->kind != OUT_LAME) {
		/*
		 * RFC 9156 §3: data or NODATA for the shorter name: one label more. NXDOMAIN, a
		 * CNAME or an error: relaxed mode asks the full name instead (spec 8.4).
		 */
		if (o->kind == OUT_ANSWER ||
		    (o->kind == OUT_NEGATIVE && o->rcode == DNS_RC_NOERROR))
			q->qmin_labels++;
		else
			q->qmin_off = true;
		if (o->kind == OUT_FAIL)
			mark_bad(q, &t->addr);
		if (o->kind != OUT_FAIL || was_current || !q->current) {
			if (o->kind != OUT_FAIL)
				rq_detach_all(q);
			advance(r, now, q);
		}
		return;
	}
	switch (o->kind) {
	case OUT_LAME:
		infra_set_lame(r->infra, now, &t->addr, t->zone, r->cfg.lame_ttl);
		/* fall through */
	case OUT_FAIL:
		mark_bad(q, &t->addr);
		if (was_current || !q->current)
			advance(r, now, q);
		return;
	default:
		break;
	}
	rq_detach_all(q); /* a useful reply: the other servers are no longer needed */
	for (unsigned i = 0; i < o->nchain; i++) {
		/* Every CNAME counts against the chain limit, in one response or not (4.2). */
		if (o->chain[i]->type == DNS_T_CNAME && q->qtype != DNS_T_CNAME &&
		    o->kind != OUT_CNAME && ++q->restarts > r->cfg.max_restarts) {
			fail(r, now, q, true);
			return;
		}
		if (!chain_add(q, o->chain[i])) {
			fail(r, now, q, true);
			return;
		}
	}
	switch (o->kind) {
	case OUT_ANSWER:
		finish(r, now, q, DNS_RC_NOERROR);
		return;
	case OUT_NEGATIVE:
		set_soa(q, o->soa);
		finish(r, now, q, o->rcode);
		return;
	case OUT_CNAME:
		for (unsigned i = 0; i + 1 < o->nchain; i++)
			q->restarts++;
		if (!restart(r, q, o->next)) {
			fail(r, now, q, true);
			return;
		}
		advance(r, now, q);
		return;
	case OUT_REFERRAL:
		if (++q->budget->referrals > r->cfg.max_referrals) {
			fail(r, now, q, true);
			return;
		}
		cut_clear(&q->cut);
		q->cut = o->cut;
		q->cut.servers = malloc(o->cut.nservers * sizeof(*o->cut.servers));
		if (!q->cut.servers) {
			q->cut.nservers = 0;
			fail(r, now, q, false);
			return;
		}
		memcpy(q->cut.servers, o->cut.servers, o->cut.nservers * sizeof(*o->cut.servers));
		/* NS names without glue may be known from earlier answers. */
		for (unsigned i = 0; i < q->cut.nservers; i++)
			if (!q->cut.servers[i].naddr)
				server_addrs_from_cache(r, now, &q->cut.servers[i], q->qclass);
		q->step_sends = q->step_targets = 0;
		q->qmin_labels = 1;
		advance(r, now, q);
		return;
	default:
		return;
	}
}

/* Re-sends t's question to the same server (TCP after TC=1, or without EDNS). */
static void resend(struct resolver *r, uint64_t now, struct txn *t, bool tcp)
{
	struct rq **w = malloc((t->nwaiters ? t->nwaiters : 1) * sizeof(*w));
	unsigned n = t->nwaiters;
	if (!w)
		return;
	memcpy(w, t->waiters, n * sizeof(*w));
	struct resolver_addr addr = t->addr;
	txn_close(r, t);
	for (unsigned i = 0; i < n; i++) {
		if (w[i]->dead || w[i]->done)
			continue;
		if (w[i]->current || !txn_send(r, now, w[i], &addr, tcp))
			advance(r, now, w[i]);
	}
	free(w);
}

static void free_dead(struct resolver *r)
{
	while (r->dead_txns) {
		struct txn *t = r->dead_txns;
		r->dead_txns = t->hnext;
		free(t->waiters);
		free(t);
	}
	while (r->dead.next != &r->dead) {
		struct rq *q = r->dead.next;
		rq_unlink(q);
		rq_free(q);
	}
}

/*
 * A reply to t: `bare` when it is an error without a question section (old servers answer
 * EDNS that way); then only its rcode is used.
 */
static void handle_reply(struct resolver *r, uint64_t now, struct txn *t, const uint8_t *msg,
			 size_t len, bool bare)
{
	struct wire_msg m;
	if (r->outage_streak >= OUTAGE_STREAK)
		infra_flush(r->infra); /* spec 10.4: the network is back, forget the outage */
	r->outage_streak = 0;
	infra_rtt(r->infra, now, &t->addr, (uint32_t)(now - t->sent));
	int rc = bare ? -EBADMSG : wire_parse_response(msg, len, &m);
	if (bare) {
		memset(&m, 0, sizeof(m));
		m.rcode = DNS_RCODE(get_u16(msg + 2));
		rc = 0;
	}
	if (rc == 0 && (m.flags & DNS_F_TC) && !t->tcp) {
		r->st.replies_truncated++; /* spec 9.3: nothing from it is used */
		wire_msg_free(&m);
		resend(r, now, t, true);
		return;
	}
	if (rc == 0 && t->edns && !m.edns &&
	    (m.rcode == DNS_RC_FORMERR || m.rcode == DNS_RC_NOTIMP)) {
		infra_set_no_edns(r->infra, now, &t->addr, NO_EDNS_TTL); /* spec 9.2 */
		wire_msg_free(&m);
		resend(r, now, t, t->tcp);
		return;
	}
	struct outcome o;
	if (rc < 0) {
		r->st.replies_malformed++;
		memset(&o, 0, sizeof(o));
		o.kind = OUT_FAIL;
	} else if (bare) {
		memset(&o, 0, sizeof(o));
		o.kind = m.rcode == DNS_RC_REFUSED ? OUT_LAME : OUT_FAIL;
	} else {
		classify(r, now, t, &m, &o);
		wire_msg_free(&m);
	}
	unsigned n = t->nwaiters;
	struct rq **w = malloc((n ? n : 1) * sizeof(*w));
	bool *cur = malloc((n ? n : 1) * sizeof(*cur));
	if (w && cur) {
		for (unsigned i = 0; i < n; i++) {
			w[i] = t->waiters[i];
			cur[i] = w[i]->current == t;
		}
	} else {
		n = 0;
	}
	txn_close(r, t);
	for (unsigned i = 0; i < n; i++)
		if (!w[i]->dead && !w[i]->done)
			apply(r, now, w[i], t, &o, cur[i]);
	free(w);
	free(cur);
	outcome_free(&o);
}

static void unwanted(struct resolver *r);

void resolver_upstream_reply(struct resolver *r, uint64_t now, uint64_t handle,
			     const struct resolver_addr *from, const uint8_t *msg, size_t len)
{
	reclaim(r);
	struct txn *t = txn_find(r, handle);
	struct wire_msg m;
	/* spec 7.1: the address and port queried, the ID, and the question, or nothing. */
	if (!t || !from || !addr_equal(from, &t->addr) || len < DNS_HEADER_SIZE ||
	    get_u16(msg) != t->id || !(get_u16(msg + 2) & DNS_F_QR) ||
	    DNS_OPCODE(get_u16(msg + 2)) != DNS_OP_QUERY) {
		unwanted(r);
		return;
	}
	/* An error with no question at all: nothing in it can be cached, its rcode counts. */
	uint8_t rcode = DNS_RCODE(get_u16(msg + 2));
	bool bare = get_u16(msg + 4) == 0 && get_u16(msg + 6) == 0 && get_u16(msg + 8) == 0 &&
		    (rcode == DNS_RC_FORMERR || rcode == DNS_RC_NOTIMP ||
		     rcode == DNS_RC_SERVFAIL || rcode == DNS_RC_REFUSED);
	if (!bare && (!wire_peek_question(msg, len, &m) || m.qtype != t->qtype ||
		      m.qclass != t->qclass || !dns_name_equal(m.qname, t->qname))) {
		unwanted(r);
		return;
	}
	if (!bare && t->caps) {
		/* 0x20: the case must come back as sent; a server that does not keep it is
		   asked again without, once it has shown that twice in a row. */
		if (memcmp(m.qname, t->qname, m.qname_len) != 0) {
			unwanted(r);
			if (infra_caps_mismatch(r->infra, now, &t->addr, NO_EDNS_TTL)) {
				resend(r, now, t, t->tcp);
				free_dead(r);
			}
			return;
		}
		infra_caps_ok(r->infra, &t->addr);
	}
	handle_reply(r, now, t, msg, len, bare);
	free_dead(r);
}

/* Spec 7.7: too many unmatched replies, someone is trying to poison us: start afresh. */
static void unwanted(struct resolver *r)
{
	r->st.replies_unmatched++;
	if (r->cfg.unwanted_reply_threshold && ++r->unwanted >= r->cfg.unwanted_reply_threshold) {
		cache_flush(r->cache, NULL, false);
		infra_flush(r->infra);
		r->unwanted = 0;
		r->st.unwanted_flushes++;
	}
}

/* A failed transaction: every waiter moves to another server. */
static void txn_failed(struct resolver *r, uint64_t now, struct txn *t)
{
	struct outcome o;
	memset(&o, 0, sizeof(o));
	o.kind = OUT_FAIL;
	unsigned n = t->nwaiters;
	struct rq **w = malloc((n ? n : 1) * sizeof(*w));
	if (!w)
		n = 0;
	else
		memcpy(w, t->waiters, n * sizeof(*w));
	txn_close(r, t);
	for (unsigned i = 0; i < n; i++)
		if (!w[i]->dead && !w[i]->done)
			apply(r, now, w[i], t, &o, true);
	free(w);
}

void resolver_upstream_error(struct resolver *r, uint64_t now, uint64_t handle)
{
	reclaim(r);
	struct txn *t = txn_find(r, handle);
	if (t)
		txn_failed(r, now, t);
	free_dead(r);
}

/* --- clients --- */

/*
 * Spec 11.3: the table of questions is full. The oldest question that has run longer than
 * jostle_ms gives way (its clients hear SERVFAIL, or stale data), as Unbound's jostle-timeout.
 */
static void jostle(struct resolver *r, uint64_t now)
{
	struct rq *old = NULL;
	for (struct rq *q = r->rqs.next; q != &r->rqs; q = q->next)
		if (!q->parent && !q->is_prime && !q->done && (!old || q->started < old->started))
			old = q;
	if (!old || now - old->started < r->cfg.jostle_ms)
		return;
	r->st.jostled++;
	old->why = &WHY_BUSY;
	finish(r, now, old, DNS_RC_SERVFAIL); /* not a failure of the name: nothing cached */
}

/* Client questions in flight, by (name, type, class): spec 12.3. */
static uint64_t question_hash(const uint8_t *name, uint16_t type, uint16_t rclass)
{
	return dns_name_hash(name) ^ ((uint64_t)type << 16 | rclass);
}

/* A question in flight; prefetches count only when `prefetches` (clients use the cache). */
static struct rq *question_find(struct resolver *r, uint64_t qh, const uint8_t *name, uint16_t type,
				uint16_t rclass, bool prefetches)
{
	for (struct rq *x = r->questions[qh % Q_BUCKETS]; x; x = x->qnext)
		if (x->qhash == qh && !x->done && (prefetches || !x->prefetching) &&
		    x->qtype == type && x->qclass == rclass && dns_name_equal(x->orig, name))
			return x;
	return NULL;
}

static struct rq *question_new(struct resolver *r, uint64_t now, const uint8_t *name, uint16_t type,
			       uint16_t rclass, uint64_t qh)
{
	struct rq *q = rq_new(r, now, name, type, rclass);
	if (!q)
		return NULL;
	dns_name_lower(q->orig);
	dns_name_lower(q->qname);
	name_copy(q->sname, q->qname);
	r->nclient_rqs++;
	q->qhash = qh;
	q->qnext = r->questions[qh % Q_BUCKETS];
	r->questions[qh % Q_BUCKETS] = q;
	return q;
}

/*
 * Prefetch (spec 13.2): a question answered from the cache whose final RRset is in the last
 * tenth of its TTL is resolved again in the background, once (deduplicated like any
 * question), so that popular names never expire.
 */
static void prefetch(struct resolver *r, uint64_t now, const struct rq *done)
{
	if (!r->cfg.prefetch || done->rcode != DNS_RC_NOERROR || !done->nchain)
		return;
	const struct rrset *last = done->chain[done->nchain - 1];
	if (last->type != done->qtype || last->ttl < 10 ||
	    (uint64_t)rrset_ttl_left(last, now) * 10 >= last->ttl)
		return;
	uint64_t qh = question_hash(last->owner, done->qtype, done->qclass);
	if (question_find(r, qh, last->owner, done->qtype, done->qclass, true) ||
	    r->nclient_rqs >= r->cfg.max_client_queries)
		return;
	struct rq *q = question_new(r, now, last->owner, done->qtype, done->qclass, qh);
	if (!q)
		return;
	q->skip_lookup = q->prefetching = true;
	r->st.prefetches++;
	advance(r, now, q);
}

static void answer_error(struct resolver *r, uint64_t token, const struct dns_query *q,
			 const uint8_t *msg, bool tcp, uint16_t rcode)
{
	struct client c = {.token = token,
			   .id = q->id,
			   .flags = q->flags,
			   .edns = q->edns,
			   .tcp = tcp,
			   .udp_size = q->edns_udp_size};
	if (q->qname_len)
		memcpy(c.qname, q->qname, q->qname_len);
	/* Without a question the answer has none either: write it by hand. */
	if (!q->qname_len) {
		uint8_t *out = malloc(DNS_HEADER_SIZE);
		if (!out)
			return;
		memset(out, 0, DNS_HEADER_SIZE);
		put_u16(out, q->id);
		put_u16(out + 2, (uint16_t)(DNS_F_QR | (q->flags & (DNS_F_RD | 0x7800)) | rcode));
		struct resolver_action a = {
			.kind = RESOLVER_ACT_ANSWER, .token = token, .msg = out, .len = 12};
		emit(r, &a);
		return;
	}
	answer_client(r, 0, &c, (uint8_t)rcode, NULL, 0, NULL, q->qtype, q->qclass, NULL);
	(void)msg;
}

/*
 * ANY (spec 11.6, RFC 8482 §4.2): one synthesized HINFO "RFC8482" "" instead of everything,
 * so that the resolver is no amplifier. Nothing is asked upstream.
 */
static void answer_any(struct resolver *r, uint64_t now, uint64_t token, const struct dns_query *dq,
		       bool tcp)
{
	static const uint8_t hinfo[] = {0, 9, 7, 'R', 'F', 'C', '8', '4', '8', '2', 0};
	struct rrset *rs = malloc(sizeof(*rs) + sizeof(hinfo));
	if (!rs)
		return;
	memset(rs, 0, sizeof(*rs));
	memcpy(rs->owner, dq->qname, dq->qname_len);
	rs->owner_len = dq->qname_len;
	rs->type = DNS_T_HINFO;
	rs->rclass = dq->qclass;
	rs->ttl = 3789; /* the TTL RFC 8482 §7 shows */
	rs->expire = now + rs->ttl * 1000ull;
	rs->count = 1;
	rs->data_len = sizeof(hinfo);
	memcpy(rs->data, hinfo, sizeof(hinfo));
	struct client c = {.token = token,
			   .id = dq->id,
			   .flags = dq->flags,
			   .edns = dq->edns,
			   .tcp = tcp,
			   .udp_size = dq->edns_udp_size};
	memcpy(c.qname, dq->qname, dq->qname_len);
	const struct rrset *chain[1] = {rs};
	answer_client(r, now, &c, DNS_RC_NOERROR, chain, 1, NULL, dq->qtype, dq->qclass, NULL);
	free(rs);
}

void resolver_client_query(struct resolver *r, uint64_t now, uint64_t token, const uint8_t *msg,
			   size_t len, bool tcp)
{
	reclaim(r);
	struct dns_query dq;
	enum dns_parse_result pr = dns_query_parse(msg, len, &dq);
	if (pr == DNS_PARSE_DROP)
		return;
	r->st.client_queries++;
	if (pr == DNS_PARSE_ERROR) {
		if (dq.rcode == DNS_RC_BADVERS) { /* spec 9.5 */
			struct client c = {.token = token,
					   .id = dq.id,
					   .flags = dq.flags,
					   .edns = true,
					   .tcp = tcp,
					   .udp_size = dq.edns_udp_size};
			memcpy(c.qname, dq.qname, dq.qname_len);
			answer_client(r, now, &c, DNS_RC_BADVERS, NULL, 0, NULL, dq.qtype,
				      dq.qclass, NULL);
		} else {
			answer_error(r, token, &dq, msg, tcp, dq.rcode);
		}
		return;
	}
	if (dq.qclass != DNS_CLASS_IN) {
		answer_error(r, token, &dq, msg, tcp, DNS_RC_REFUSED);
		return;
	}
	if (dq.qtype == DNS_T_ANY) {
		answer_any(r, now, token, &dq, tcp);
		return;
	}
	if (dns_type_is_meta(dq.qtype) || dq.qtype == DNS_T_RRSIG) {
		answer_error(r, token, &dq, msg, tcp, DNS_RC_NOTIMP);
		return;
	}
	struct client c = {.token = token,
			   .deadline = now + r->cfg.client_timeout_ms,
			   .id = dq.id,
			   .flags = dq.flags,
			   .edns = dq.edns,
			   .tcp = tcp,
			   .udp_size = dq.edns_udp_size};
	memcpy(c.qname, dq.qname, dq.qname_len);

	/* spec 12.3: one resolution per question, however many clients ask it. */
	uint64_t qh = question_hash(dq.qname, dq.qtype, dq.qclass);
	struct rq *q = question_find(r, qh, dq.qname, dq.qtype, dq.qclass, false);
	bool fresh = !q;
	if (!q) {
		if (r->nclient_rqs >= r->cfg.max_client_queries)
			jostle(r, now);
		if (r->nclient_rqs >= r->cfg.max_client_queries) { /* spec 11.3 */
			r->st.limit_hits++;
			answer_client(r, now, &c, DNS_RC_SERVFAIL, NULL, 0, NULL, dq.qtype,
				      dq.qclass, &WHY_BUSY);
			return;
		}
		q = question_new(r, now, dq.qname, dq.qtype, dq.qclass, qh);
		if (!q) {
			answer_client(r, now, &c, DNS_RC_SERVFAIL, NULL, 0, NULL, dq.qtype,
				      dq.qclass, &WHY_BUSY);
			return;
		}
	}
	if (q->nclients >= r->cfg.max_waiting_clients) {
		r->st.limit_hits++;
		answer_client(r, now, &c, DNS_RC_SERVFAIL, NULL, 0, NULL, dq.qtype, dq.qclass,
			      &WHY_BUSY);
		return;
	}
	struct client *nc = realloc(q->clients, (q->nclients + 1) * sizeof(*nc));
	if (!nc) {
		answer_client(r, now, &c, DNS_RC_SERVFAIL, NULL, 0, NULL, dq.qtype, dq.qclass,
			      &WHY_BUSY);
		if (fresh)
			rq_kill(r, q);
		free_dead(r);
		return;
	}
	q->clients = nc;
	q->clients[q->nclients++] = c;
	if (fresh) {
		uint64_t sent = r->st.upstream_sent;
		if (!(dq.flags & DNS_F_RD)) {
			/* spec 12.4: RD=0 is answered from the cache only. */
			if (lookup_cache(r, now, q) == LOOKUP_MISS) {
				q->why = &WHY_NO_RD;
				finish(r, now, q, DNS_RC_SERVFAIL);
			}
		} else {
			advance(r, now, q);
		}
		if (q->done && r->st.upstream_sent == sent) {
			r->st.cache_answers++;
			prefetch(r, now, q);
		}
	}
	free_dead(r);
}

/* --- timers --- */

void resolver_timeout(struct resolver *r, uint64_t now)
{
	reclaim(r);
	for (struct txn *t = r->txns.next; t != &r->txns;) {
		struct txn *next = t->next;
		if (!t->soft_expired && now >= t->deadline) {
			/* spec 10.3: back off, go to the next server, still listen here. */
			t->soft_expired = true;
			r->st.timeouts++;
			if (++r->outage_streak < OUTAGE_STREAK)
				infra_timeout(r->infra, now, &t->addr);
			unsigned n = t->nwaiters;
			struct rq **w = malloc((n ? n : 1) * sizeof(*w));
			if (w) {
				memcpy(w, t->waiters, n * sizeof(*w));
				for (unsigned i = 0; i < n; i++) {
					if (w[i]->current != t)
						continue;
					/* Not bad: it may be asked once more when the
   others were tried too (see eligible()). */
					w[i]->current = NULL;
					advance(r, now, w[i]);
				}
				free(w);
			}
			next = t->next; /* advance() may have added transactions, never removed t */
		}
		if (t->soft_expired && now >= t->close_at) {
			unsigned n = t->nwaiters;
			struct rq **w = malloc((n ? n : 1) * sizeof(*w));
			if (w)
				memcpy(w, t->waiters, n * sizeof(*w));
			else
				n = 0;
			txn_close(r, t);
			for (unsigned i = 0; i < n; i++)
				advance(r, now, w[i]); /* maybe it only waited for this one */
			free(w);
			next = r->txns.next; /* closing may have changed the list: rescan */
		}
		t = next;
	}
	for (struct rq *q = r->rqs.next; q != &r->rqs;) {
		struct rq *next = q->next;
		if (!q->done && now >= q->deadline) {
			fail(r, now, q, true);
			next = r->rqs.next;
		} else {
			/* spec 10.5: a client waits about 2 s at most; the resolution goes on. */
			for (unsigned i = 0; i < q->nclients;) {
				if (now >= q->clients[i].deadline) {
					if (!answer_stale(r, now, q, &q->clients[i], 1))
						answer_client(r, now, &q->clients[i],
							      DNS_RC_SERVFAIL, NULL, 0, NULL,
							      q->qtype, q->qclass, &WHY_TIMEOUT);
					q->clients[i] = q->clients[--q->nclients];
				} else {
					i++;
				}
			}
		}
		q = next;
	}
	free_dead(r);
}

uint64_t resolver_next_timer(const struct resolver *r)
{
	uint64_t t = UINT64_MAX;
	for (const struct txn *x = r->txns.next; x != &r->txns; x = x->next) {
		uint64_t d = x->soft_expired ? x->close_at : x->deadline;
		if (d < t)
			t = d;
	}
	for (const struct rq *q = r->rqs.next; q != &r->rqs; q = q->next) {
		if (q->deadline < t)
			t = q->deadline;
		for (unsigned i = 0; i < q->nclients; i++)
			if (q->clients[i].deadline < t)
				t = q->clients[i].deadline;
	}
	return t;
}

/* --- life cycle --- */

static struct rrset *hint_rrset(const struct resolver_rr *h)
{
	struct rrset *rs = malloc(sizeof(*rs) + 2u + h->rdlen);
	if (!rs)
		return NULL;
	memset(rs, 0, sizeof(*rs));
	name_copy(rs->owner, h->owner);
	rs->owner_len = (uint8_t)dns_name_len(h->owner);
	rs->type = h->type;
	rs->rclass = h->rclass;
	rs->expire = UINT64_MAX;
	rs->count = 1;
	rs->data_len = (uint16_t)(2u + h->rdlen);
	put_u16(rs->data, h->rdlen);
	memcpy(rs->data + 2, h->rdata, h->rdlen);
	return rs;
}

/* Appends one record to an RRset built from hints (they come one record at a time). */
static struct rrset *rrset_append(struct rrset *rs, const uint8_t *rd, uint16_t len)
{
	if (rs->data_len + 2u + len > 65535)
		return rs;
	struct rrset *n = realloc(rs, rrset_size(rs) + 2u + len);
	if (!n)
		return rs;
	put_u16(n->data + n->data_len, len);
	memcpy(n->data + n->data_len + 2, rd, len);
	n->data_len = (uint16_t)(n->data_len + 2u + len);
	n->count++;
	return n;
}

static int load_hints(struct resolver *r, const struct resolver_config *c)
{
	r->hint_addr = calloc(c->nhints ? c->nhints : 1, sizeof(*r->hint_addr));
	if (!r->hint_addr)
		return -ENOMEM;
	for (size_t i = 0; i < c->nhints; i++) {
		const struct resolver_rr *h = &c->hints[i];
		if (h->rclass != DNS_CLASS_IN || !dns_rdata_valid(h->type, h->rdata, h->rdlen))
			continue;
		if (h->type == DNS_T_NS && *h->owner == 0) {
			if (!r->hint_ns) {
				if (!(r->hint_ns = hint_rrset(h)))
					return -ENOMEM;
			} else {
				r->hint_ns = rrset_append(r->hint_ns, h->rdata, h->rdlen);
			}
		} else if ((h->type == DNS_T_A && h->rdlen == 4) ||
			   (h->type == DNS_T_AAAA && h->rdlen == 16)) {
			struct rrset *rs = NULL;
			for (unsigned k = 0; k < r->nhint_addr && !rs; k++)
				if (r->hint_addr[k]->type == h->type &&
				    dns_name_equal(r->hint_addr[k]->owner, h->owner))
					rs = r->hint_addr[k] =
						rrset_append(r->hint_addr[k], h->rdata, h->rdlen);
			if (!rs) {
				if (!(rs = hint_rrset(h)))
					return -ENOMEM;
				r->hint_addr[r->nhint_addr++] = rs;
			}
		}
	}
	return r->hint_ns && r->nhint_addr ? 0 : -EINVAL;
}

#define ROOT_NAME(l) "\001" l "\014root-servers\003net"
static const char *const iana_names[13] = {
	ROOT_NAME("a"), ROOT_NAME("b"), ROOT_NAME("c"), ROOT_NAME("d"), ROOT_NAME("e"),
	ROOT_NAME("f"), ROOT_NAME("g"), ROOT_NAME("h"), ROOT_NAME("i"), ROOT_NAME("j"),
	ROOT_NAME("k"), ROOT_NAME("l"), ROOT_NAME("m"),
};
/* named.root as published by IANA (b.root-servers.net renumbered in November 2023). */
static const uint8_t iana_v4[13][4] = {
	{198, 41, 0, 4},     {170, 247, 170, 2}, {192, 33, 4, 12},  {199, 7, 91, 13},
	{192, 203, 230, 10}, {192, 5, 5, 241},   {192, 112, 36, 4}, {198, 97, 190, 53},
	{192, 36, 148, 17},  {192, 58, 128, 30}, {193, 0, 14, 129}, {199, 7, 83, 42},
	{202, 12, 27, 33},
};
static struct resolver_rr iana_rrs[26];

size_t resolver_iana_hints(const struct resolver_rr **out)
{
	/* Filled on every call with the same values: no initialisation order to get wrong. */
	for (int i = 0; i < 13; i++) {
		const uint8_t *name = (const uint8_t *)iana_names[i];
		iana_rrs[i] = (struct resolver_rr){
			(const uint8_t *)"", DNS_T_NS, DNS_CLASS_IN, 518400, name, 20};
		iana_rrs[13 + i] =
			(struct resolver_rr){name, DNS_T_A, DNS_CLASS_IN, 518400, iana_v4[i], 4};
	}
	*out = iana_rrs;
	return 26;
}

static int load_stubs(struct resolver *r, const struct resolver_config *c)
{
	if (!c->nstubs && !c->nforwards)
		return 0;
	r->stubs = calloc(c->nstubs + c->nforwards, sizeof(*r->stubs));
	if (!r->stubs)
		return -ENOMEM;
	for (size_t i = 0; i < c->nstubs + c->nforwards; i++) {
		bool fwd = i >= c->nstubs;
		const struct resolver_stub *in = fwd ? &c->forwards[i - c->nstubs] : &c->stubs[i];
		if (!in->zone || !in->naddrs)
			return -EINVAL;
		struct stub *st = &r->stubs[r->nstubs++];
		st->forward = fwd;
		name_copy(st->zone, in->zone);
		dns_name_lower(st->zone);
		st->naddr = in->naddrs < MAX_ADDRS ? (unsigned)in->naddrs : MAX_ADDRS;
		memcpy(st->addr, in->addrs, st->naddr * sizeof(*st->addr));
	}
	return 0;
}

int resolver_new(const struct resolver_config *c, struct resolver **out)
{
	if (!c->random.fill)
		return -EINVAL;
	struct resolver *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cfg = *c;
	r->cfg.hints = NULL;
	r->cfg.nhints = 0;
	r->cfg.stubs = r->cfg.forwards = NULL;
	r->cfg.nstubs = r->cfg.nforwards = 0;
	r->rqs.next = r->rqs.prev = &r->rqs;
	r->dead.next = r->dead.prev = &r->dead;
	r->txns.next = r->txns.prev = &r->txns;
	int rc = cache_new(c->cache_max_bytes, &r->cache);
	if (rc == 0)
		cache_set_stale(r->cache, c->serve_stale_max_s);
	if (rc == 0)
		rc = infra_new(c->infra_max_servers, &r->infra);
	if (rc == 0)
		rc = load_hints(r, c);
	if (rc == 0)
		rc = load_stubs(r, c);
	if (rc < 0) {
		resolver_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	while (r->rqs.next != &r->rqs)
		rq_kill(r, r->rqs.next);
	free_dead(r);
	while (r->txns.next != &r->txns)
		txn_close(r, r->txns.next);
	free_dead(r);
	r->head = r->nacts;
	reclaim(r);
	free(r->acts);
	cache_free(r->cache);
	infra_free(r->infra);
	free(r->hint_ns);
	for (unsigned i = 0; i < r->nhint_addr; i++)
		free(r->hint_addr[i]);
	free(r->hint_addr);
	free(r->stubs);
	free(r);
}

void resolver_flush(struct resolver *r, const uint8_t *name, bool subtree)
{
	reclaim(r);
	cache_flush(r->cache, name, subtree);
	if (!name)
		infra_flush(r->infra);
}

void resolver_flush_negative(struct resolver *r)
{
	reclaim(r);
	cache_flush_negative(r->cache);
}

void resolver_flush_infra(struct resolver *r)
{
	reclaim(r);
	infra_flush(r->infra);
}

bool resolver_cache_peek(const struct resolver *r, uint64_t now, const uint8_t *name, uint16_t type,
			 struct resolver_cache_info *info)
{
	memset(info, 0, sizeof(*info));
	struct cache *c = r->cache;
	const struct rrset *rs = cache_get_rrset(c, now, name, type, DNS_CLASS_IN, 0);
	if (rs) {
		info->rank = rs->rank;
		info->ttl = rrset_ttl_left(rs, now);
		info->count = rs->count;
		return true;
	}
	const struct rrset *soa;
	if (cache_get_negative(c, now, name, type, DNS_CLASS_IN, &info->neg_rcode, &soa)) {
		info->negative = true;
		return true;
	}
	if (cache_get_failure(c, now, name, type, DNS_CLASS_IN, &info->ttl)) {
		info->failure = true;
		return true;
	}
	return false;
}

void resolver_get_stats(const struct resolver *r, struct resolver_stats *s)
{
	*s = r->st;
	cache_stats(r->cache, &s->cache_bytes, &s->cache_entries, &s->evictions);
}
