/* resolver/cache.c - RRset, negative and failure cache with LRU eviction; infrastructure cache. */
#include "resolver/cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/name.h"

size_t rrset_size(const struct rrset *rs)
{
	return sizeof(*rs) + rs->data_len;
}

struct rrset *rrset_dup(const struct rrset *rs)
{
	struct rrset *d = malloc(rrset_size(rs));
	if (d)
		memcpy(d, rs, rrset_size(rs));
	return d;
}

bool rrset_next(const struct rrset *rs, size_t *pos, const uint8_t **rdata, uint16_t *rdlen)
{
	if (*pos + 2 > rs->data_len)
		return false;
	uint16_t l = (uint16_t)(rs->data[*pos] << 8 | rs->data[*pos + 1]);
	*rdata = rs->data + *pos + 2;
	*rdlen = l;
	*pos += 2u + l;
	return true;
}

uint32_t rrset_ttl_left(const struct rrset *rs, uint64_t now)
{
	if (rs->expire <= now)
		return 0;
	return (uint32_t)((rs->expire - now) / 1000);
}

/* --- a hash table whose entries are also on an LRU list, shared by both caches --- */

struct lru_node {
	struct lru_node *hnext;       /* bucket chain */
	struct lru_node *prev, *next; /* LRU list: head is the most recent */
	uint64_t hash;
	size_t bytes;
};

struct lru {
	struct lru_node **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
	size_t bytes;
	struct lru_node head; /* sentinel */
};

static int lru_init(struct lru *l, size_t nbuckets)
{
	l->buckets = calloc(nbuckets, sizeof(*l->buckets));
	if (!l->buckets)
		return -ENOMEM;
	l->nbuckets = nbuckets;
	l->count = l->bytes = 0;
	l->head.prev = l->head.next = &l->head;
	return 0;
}

static void lru_unlink(struct lru *l, struct lru_node *n)
{
	struct lru_node **pp = &l->buckets[n->hash & (l->nbuckets - 1)];
	while (*pp && *pp != n)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = n->hnext;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	l->count--;
	l->bytes -= n->bytes;
}

static void lru_touch(struct lru *l, struct lru_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = l->head.next;
	n->prev = &l->head;
	l->head.next->prev = n;
	l->head.next = n;
}

/* Doubles the bucket array when the load passes 1; keeps the old one on failure. */
static void lru_grow(struct lru *l)
{
	if (l->count < l->nbuckets)
		return;
	size_t nb = l->nbuckets * 2;
	struct lru_node **b = calloc(nb, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < l->nbuckets; i++) {
		struct lru_node *n = l->buckets[i];
		while (n) {
			struct lru_node *next = n->hnext;
			n->hnext = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
			n = next;
		}
	}
	free(l->buckets);
	l->buckets = b;
	l->nbuckets = nb;
}

static void lru_insert(struct lru *l, struct lru_node *n)
{
	lru_grow(l);
	struct lru_node **b = &l->buckets[n->hash & (l->nbuckets - 1)];
	n->hnext = *b;
	*b = n;
	n->next = l->head.next;
	n->prev = &l->head;
	l->head.next->prev = n;
	l->head.next = n;
	l->count++;
	l->bytes += n->bytes;
}

/* --- the RRset cache --- */

struct centry {
	struct lru_node node; /* first: entries are freed through it */
	uint8_t kind;         /* enum cache_kind */
	uint8_t rcode;        /* CACHE_NEGATIVE */
	uint16_t type, rclass;
	uint32_t fail_ttl; /* CACHE_FAILURE: the duration last used, for the backoff */
	uint64_t expire;
	uint8_t name[DNS_NAME_MAXLEN]; /* lower case */
	struct rrset *rs;              /* CACHE_RRSET: the data; CACHE_NEGATIVE: the SOA or NULL */
};

struct cache {
	struct lru lru;
	size_t max_bytes;
	uint64_t evictions;
	uint64_t stale_ms; /* how long expired RRsets are kept for serve-stale */
};

/* Hash of the key; kind is part of it so that an RRset and a negative entry coexist. */
static uint64_t key_hash(const uint8_t *name, uint16_t type, uint16_t rclass, uint8_t kind)
{
	uint64_t h = dns_name_hash(name);
	h ^= ((uint64_t)type << 24 | (uint64_t)rclass << 8 | kind) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

static struct centry *find(const struct cache *c, const uint8_t *name, uint16_t type,
			   uint16_t rclass, uint8_t kind)
{
	uint64_t h = key_hash(name, type, rclass, kind);
	for (struct lru_node *n = c->lru.buckets[h & (c->lru.nbuckets - 1)]; n; n = n->hnext) {
		struct centry *e = (struct centry *)n;
		if (n->hash == h && e->kind == kind && e->type == type && e->rclass == rclass &&
		    dns_name_equal(e->name, name))
			return e;
	}
	return NULL;
}

static void entry_free(struct cache *c, struct centry *e)
{
	lru_unlink(&c->lru, &e->node);
	free(e->rs);
	free(e);
}

int cache_new(size_t max_bytes, struct cache **out)
{
	struct cache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (lru_init(&c->lru, 256) < 0) {
		free(c);
		return -ENOMEM;
	}
	c->max_bytes = max_bytes;
	*out = c;
	return 0;
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	cache_flush(c, NULL, false);
	free(c->lru.buckets);
	free(c);
}

/* Evicts from the cold end until the cache fits, never the entry `keep`. */
static void evict(struct cache *c, struct centry *keep)
{
	while (c->lru.bytes > c->max_bytes && c->lru.head.prev != &c->lru.head) {
		struct centry *e = (struct centry *)c->lru.head.prev;
		if (e == keep)
			break;
		entry_free(c, e);
		c->evictions++;
	}
}

/* Replaces or creates the entry for a key; takes ownership of rs (freed on failure). */
static struct centry *put(struct cache *c, const uint8_t *name, uint16_t type, uint16_t rclass,
			  uint8_t kind, struct rrset *rs, uint64_t expire)
{
	struct centry *old = find(c, name, type, rclass, kind);
	if (old)
		entry_free(c, old);
	struct centry *e = calloc(1, sizeof(*e));
	if (!e) {
		free(rs);
		return NULL;
	}
	size_t nl = dns_name_len(name);
	memcpy(e->name, name, nl);
	dns_name_lower(e->name);
	e->kind = kind;
	e->type = type;
	e->rclass = rclass;
	e->expire = expire;
	e->rs = rs;
	e->node.hash = key_hash(name, type, rclass, kind);
	e->node.bytes = sizeof(*e) + (rs ? rrset_size(rs) : 0);
	lru_insert(&c->lru, &e->node);
	evict(c, e);
	return e;
}

int cache_put_rrset(struct cache *c, uint64_t now, const struct rrset *rs)
{
	struct centry *old = find(c, rs->owner, rs->type, rs->rclass, CACHE_RRSET);
	if (old && old->expire > now && old->rs->rank > rs->rank)
		return 1;
	struct rrset *copy = rrset_dup(rs);
	if (!copy)
		return -ENOMEM;
	return put(c, rs->owner, rs->type, rs->rclass, CACHE_RRSET, copy, rs->expire) ? 0 : -ENOMEM;
}

/* A live entry, moved to the hot end; expired ones are removed on sight. */
static struct centry *get_live(struct cache *c, uint64_t now, const uint8_t *name, uint16_t type,
			       uint16_t rclass, uint8_t kind)
{
	struct centry *e = find(c, name, type, rclass, kind);
	if (!e)
		return NULL;
	if (e->expire <= now) {
		/* Failures keep their last duration for the backoff; RRsets may be served stale. */
		bool keep = kind == CACHE_FAILURE ||
			    (kind == CACHE_RRSET && now - e->expire < c->stale_ms);
		if (!keep)
			entry_free(c, e);
		return NULL;
	}
	lru_touch(&c->lru, &e->node);
	return e;
}

const struct rrset *cache_get_rrset(struct cache *c, uint64_t now, const uint8_t *owner,
				    uint16_t type, uint16_t rclass, enum resolver_rank min_rank)
{
	struct centry *e = get_live(c, now, owner, type, rclass, CACHE_RRSET);
	if (!e || e->rs->rank < min_rank)
		return NULL;
	return e->rs;
}

void cache_set_stale(struct cache *c, uint32_t max_stale_s)
{
	c->stale_ms = max_stale_s * 1000ull;
}

const struct rrset *cache_get_rrset_stale(struct cache *c, uint64_t now, const uint8_t *owner,
					  uint16_t type, uint16_t rclass,
					  enum resolver_rank min_rank)
{
	struct centry *e = find(c, owner, type, rclass, CACHE_RRSET);
	if (!e || e->rs->rank < min_rank || (e->expire <= now && now - e->expire >= c->stale_ms))
		return NULL;
	lru_touch(&c->lru, &e->node);
	return e->rs;
}

int cache_put_negative(struct cache *c, uint64_t now, const uint8_t *name, uint16_t type,
		       uint16_t rclass, uint8_t rcode, const struct rrset *soa, uint64_t expire)
{
	struct rrset *copy = NULL;
	if (soa && !(copy = rrset_dup(soa)))
		return -ENOMEM;
	struct centry *e = put(c, name, type, rclass, CACHE_NEGATIVE, copy, expire);
	if (!e)
		return -ENOMEM;
	e->rcode = rcode;
	return 0;
}

bool cache_get_negative(struct cache *c, uint64_t now, const uint8_t *name, uint16_t type,
			uint16_t rclass, uint8_t *rcode, const struct rrset **soa)
{
	struct centry *e = get_live(c, now, name, 0, rclass, CACHE_NEGATIVE);
	if (!e)
		e = get_live(c, now, name, type, rclass, CACHE_NEGATIVE);
	if (!e)
		return false;
	*rcode = e->rcode;
	*soa = e->rs;
	return true;
}

int cache_put_failure(struct cache *c, uint64_t now, const uint8_t *name, uint16_t type,
		      uint16_t rclass, uint32_t min_ttl, uint32_t max_ttl)
{
	uint32_t ttl = min_ttl;
	struct centry *old = find(c, name, type, rclass, CACHE_FAILURE);
	/*
	 * Failing again soon after the last entry expired (within its duration, or a minute,
	 * which leaves a resolution time to fail again): back off (RFC 9520 §3.2).
	 */
	uint64_t window = old ? (uint64_t)(old->fail_ttl > 60 ? old->fail_ttl : 60) * 1000 : 0;
	if (old && old->expire + window > now) {
		uint64_t t = (uint64_t)old->fail_ttl * 2;
		ttl = t > max_ttl ? max_ttl : (uint32_t)t;
	}
	if (ttl > max_ttl)
		ttl = max_ttl;
	struct centry *e = put(c, name, type, rclass, CACHE_FAILURE, NULL, now + ttl * 1000ull);
	if (!e)
		return -ENOMEM;
	e->fail_ttl = ttl;
	return 0;
}

bool cache_get_failure(struct cache *c, uint64_t now, const uint8_t *name, uint16_t type,
		       uint16_t rclass, uint32_t *ttl_left)
{
	struct centry *e = get_live(c, now, name, type, rclass, CACHE_FAILURE);
	if (e && ttl_left)
		*ttl_left = (uint32_t)((e->expire - now + 999) / 1000);
	return e != NULL;
}

void cache_flush(struct cache *c, const uint8_t *name, bool subtree)
{
	struct lru_node *n = c->lru.head.next;
	while (n != &c->lru.head) {
		struct lru_node *next = n->next;
		struct centry *e = (struct centry *)n;
		if (!name ||
		    (subtree ? dns_name_is_sub(e->name, name) : dns_name_equal(e->name, name)))
			entry_free(c, e);
		n = next;
	}
}

void cache_flush_negative(struct cache *c)
{
	struct lru_node *n = c->lru.head.next;
	while (n != &c->lru.head) {
		struct lru_node *next = n->next;
		struct centry *e = (struct centry *)n;
		if (e->kind != CACHE_RRSET)
			entry_free(c, e);
		n = next;
	}
}

void cache_stats(const struct cache *c, uint64_t *bytes, uint64_t *entries, uint64_t *evictions)
{
	*bytes = c->lru.bytes;
	*entries = c->lru.count;
	*evictions = c->evictions;
}

/* --- the infrastructure cache --- */

struct ientry {
	struct lru_node node;
	struct resolver_addr addr;
	bool known;                 /* an RTT was measured */
	uint32_t srtt, rttvar, rto; /* ms */
	unsigned timeouts;          /* in a row */
	uint64_t down_until;
	uint64_t no_edns_until;
	uint64_t no_caps_until;
	unsigned caps_mismatches;
	uint64_t lame_zone[INFRA_LAME_ZONES]; /* name hashes */
	uint64_t lame_until[INFRA_LAME_ZONES];
};

struct infra {
	struct lru lru;
	size_t max;
};

static uint64_t addr_hash(const struct resolver_addr *a)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (int i = 0; i < 16; i++)
		h = (h ^ a->ip[i]) * 0x100000001b3ULL;
	h = (h ^ a->port) * 0x100000001b3ULL;
	return (h ^ a->family) * 0x100000001b3ULL;
}

static bool addr_equal(const struct resolver_addr *a, const struct resolver_addr *b)
{
	return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, 16) == 0;
}

int infra_new(size_t max_servers, struct infra **out)
{
	struct infra *in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	if (lru_init(&in->lru, 64) < 0) {
		free(in);
		return -ENOMEM;
	}
	in->max = max_servers ? max_servers : 1;
	*out = in;
	return 0;
}

void infra_flush(struct infra *in)
{
	while (in->lru.head.next != &in->lru.head) {
		struct lru_node *n = in->lru.head.next;
		lru_unlink(&in->lru, n);
		free(n);
	}
}

void infra_free(struct infra *in)
{
	if (!in)
		return;
	infra_flush(in);
	free(in->lru.buckets);
	free(in);
}

static struct ientry *ifind(struct infra *in, const struct resolver_addr *a)
{
	uint64_t h = addr_hash(a);
	for (struct lru_node *n = in->lru.buckets[h & (in->lru.nbuckets - 1)]; n; n = n->hnext) {
		struct ientry *e = (struct ientry *)n;
		if (n->hash == h && addr_equal(&e->addr, a))
			return e;
	}
	return NULL;
}

/* The entry for a, created (evicting the coldest) when missing; NULL only on ENOMEM. */
static struct ientry *iget(struct infra *in, const struct resolver_addr *a)
{
	struct ientry *e = ifind(in, a);
	if (e) {
		lru_touch(&in->lru, &e->node);
		return e;
	}
	if (in->lru.count >= in->max) {
		struct lru_node *cold = in->lru.head.prev;
		lru_unlink(&in->lru, cold);
		free(cold);
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->addr = *a;
	e->rto = INFRA_RTO_UNKNOWN;
	e->node.hash = addr_hash(a);
	e->node.bytes = sizeof(*e);
	lru_insert(&in->lru, &e->node);
	return e;
}

uint32_t infra_rto(struct infra *in, uint64_t now, const struct resolver_addr *addr)
{
	struct ientry *e = ifind(in, addr);
	return e ? e->rto : INFRA_RTO_UNKNOWN;
}

bool infra_is_down(struct infra *in, uint64_t now, const struct resolver_addr *addr)
{
	struct ientry *e = ifind(in, addr);
	return e && e->down_until > now;
}

static uint32_t clamp_rto(uint64_t v)
{
	if (v < INFRA_RTO_MIN)
		return INFRA_RTO_MIN;
	if (v > INFRA_RTO_MAX)
		return INFRA_RTO_MAX;
	return (uint32_t)v;
}

void infra_rtt(struct infra *in, uint64_t now, const struct resolver_addr *addr, uint32_t rtt_ms)
{
	struct ientry *e = iget(in, addr);
	if (!e)
		return;
	if (!e->known) {
		/* RFC 6298 §2.2: the first measurement. */
		e->srtt = rtt_ms;
		e->rttvar = rtt_ms / 2;
		e->known = true;
	} else {
		/* RFC 6298 §2.3: beta 1/4, alpha 1/8. */
		uint32_t d = rtt_ms > e->srtt ? rtt_ms - e->srtt : e->srtt - rtt_ms;
		e->rttvar = (uint32_t)((3ull * e->rttvar + d) / 4);
		e->srtt = (uint32_t)((7ull * e->srtt + rtt_ms) / 8);
	}
	e->rto = clamp_rto((uint64_t)e->srtt + 4ull * e->rttvar);
	e->timeouts = 0;
	e->down_until = 0;
}

void infra_timeout(struct infra *in, uint64_t now, const struct resolver_addr *addr)
{
	struct ientry *e = iget(in, addr);
	if (!e)
		return;
	e->rto = clamp_rto((uint64_t)e->rto * 2); /* RFC 6298 §5.5 */
	if (++e->timeouts >= INFRA_DOWN_AFTER)
		e->down_until = now + e->rto; /* probed again once its RTO has passed */
}

static int lame_slot(const struct ientry *e, uint64_t zh, uint64_t now)
{
	for (int i = 0; i < INFRA_LAME_ZONES; i++)
		if (e->lame_zone[i] == zh && e->lame_until[i] > now)
			return i;
	return -1;
}

void infra_set_lame(struct infra *in, uint64_t now, const struct resolver_addr *addr,
		    const uint8_t *zone, uint32_t ttl_s)
{
	struct ientry *e = iget(in, addr);
	if (!e)
		return;
	uint64_t zh = dns_name_hash(zone);
	int slot = lame_slot(e, zh, now);
	for (int i = 0; slot < 0 && i < INFRA_LAME_ZONES; i++)
		if (e->lame_until[i] <= now)
			slot = i;
	if (slot < 0) { /* all taken: replace the one that expires first */
		slot = 0;
		for (int i = 1; i < INFRA_LAME_ZONES; i++)
			if (e->lame_until[i] < e->lame_until[slot])
				slot = i;
	}
	e->lame_zone[slot] = zh;
	e->lame_until[slot] = now + ttl_s * 1000ull;
}

bool infra_is_lame(struct infra *in, uint64_t now, const struct resolver_addr *addr,
		   const uint8_t *zone)
{
	struct ientry *e = ifind(in, addr);
	return e && lame_slot(e, dns_name_hash(zone), now) >= 0;
}

void infra_set_no_edns(struct infra *in, uint64_t now, const struct resolver_addr *addr,
		       uint32_t ttl_s)
{
	struct ientry *e = iget(in, addr);
	if (e)
		e->no_edns_until = now + ttl_s * 1000ull;
}

bool infra_no_edns(struct infra *in, uint64_t now, const struct resolver_addr *addr)
{
	struct ientry *e = ifind(in, addr);
	return e && e->no_edns_until > now;
}

bool infra_caps_mismatch(struct infra *in, uint64_t now, const struct resolver_addr *addr,
			 uint32_t ttl_s)
{
	struct ientry *e = iget(in, addr);
	if (!e || ++e->caps_mismatches < 2)
		return false;
	e->caps_mismatches = 0;
	e->no_caps_until = now + ttl_s * 1000ull;
	return true;
}

void infra_caps_ok(struct infra *in, const struct resolver_addr *addr)
{
	struct ientry *e = ifind(in, addr);
	if (e)
		e->caps_mismatches = 0;
}

bool infra_no_caps(struct infra *in, uint64_t now, const struct resolver_addr *addr)
{
	struct ientry *e = ifind(in, addr);
	return e && e->no_caps_until > now;
}
