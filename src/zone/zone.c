/* zone/zone.c - zone nodes, transactions that build new versions, and version lifetimes. */
#include "zone/zone.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cursor.h"
#include "dns/name.h"
#include "dns/rdata.h"

struct zone_txn {
	uint64_t stamp;
	struct zone_version *v; /* the version being built */
};

const char *zone_strerror(int err)
{
	switch (err) {
	case ZONE_EOUTSIDE:
		return "record is outside the zone";
	case ZONE_ECNAME:
		return "CNAME and other data at the same name";
	case ZONE_ECNAME_MULTI:
		return "more than one CNAME record at the same name";
	case ZONE_ENOSOA:
		return "no SOA record at the zone apex";
	case ZONE_ENONS:
		return "no NS records at the zone apex";
	case ZONE_ESOA_NOT_APEX:
		return "SOA record below the zone apex";
	case ZONE_EMULTI_SOA:
		return "more than one SOA record";
	case ZONE_ENOTFOUND:
		return "no such record";
	case ZONE_ETYPE:
		return "record type or class not allowed in a zone";
	case ZONE_ERDATA:
		return "malformed record data";
	case ZONE_ETOOBIG:
		return "too many records at one name";
	case ZONE_ENOMEM:
		return "out of memory";
	default:
		return "unknown error";
	}
}

const struct zone_rrset *zone_node_rrset(const struct zone_node *n, uint16_t type)
{
	for (unsigned i = 0; i < n->nrrsets; i++)
		if (n->rrsets[i].type == type)
			return &n->rrsets[i];
	return NULL;
}

/* An edit to apply while copying a node. */
enum edit_kind { EDIT_NONE, EDIT_ADD, EDIT_DEL_RR, EDIT_DEL_RRSET };
struct edit {
	enum edit_kind kind;
	uint16_t type;
	uint32_t ttl;
	const uint8_t *rdata; /* EDIT_ADD: the rdata; EDIT_DEL_RR: the record (u16 len first) */
	uint16_t rdlen;
	int children; /* change to the child count */
};

static uint8_t *node_name_ptr(struct zone_node *n, unsigned nrrsets)
{
	return (uint8_t *)&n->rrsets[nrrsets];
}

/*
 * A new node: `old` (or an empty node named `name`) with the edit applied, stamped `stamp`.
 * Records of an RRset stay in the order they were added.
 */
static struct zone_node *node_build(const struct zone_node *old, const uint8_t *name, uint64_t hash,
				    uint64_t stamp, const struct edit *e)
{
	unsigned n_old = old ? old->nrrsets : 0, n_new = n_old;
	const struct zone_rrset *hit = old ? zone_node_rrset(old, e->type) : NULL;
	size_t data = 0;
	for (unsigned i = 0; i < n_old; i++)
		data += old->rrsets[i].len;
	switch (e->kind) {
	case EDIT_ADD:
		data += 2u + e->rdlen;
		n_new += hit ? 0 : 1;
		break;
	case EDIT_DEL_RR:
		data -= 2u + get_u16(e->rdata);
		n_new -= hit->count == 1 ? 1 : 0;
		break;
	case EDIT_DEL_RRSET:
		data -= hit->len;
		n_new--;
		break;
	case EDIT_NONE:
		break;
	}
	size_t name_len = old ? old->name_len : dns_name_len(name);
	size_t size =
		sizeof(struct zone_node) + n_new * sizeof(struct zone_rrset) + name_len + data;
	if (size > UINT32_MAX)
		return NULL;
	struct zone_node *n = malloc(size);
	if (!n)
		return NULL;
	n->size = (uint32_t)size;
	n->children = (uint32_t)((old ? (int64_t)old->children : 0) + e->children);
	n->nrrsets = (uint16_t)n_new;
	n->name_len = (uint8_t)name_len;
	uint8_t *np = node_name_ptr(n, n_new);
	memcpy(np, old ? zone_node_name(old) : name, name_len);
	n->labels = (uint8_t)dns_name_labels(np);
	n->leaf.hash = hash;
	n->leaf.stamp = stamp;
	n->leaf.name = np;

	uint8_t *w = np + name_len;
	unsigned j = 0;
	bool added = false;
	for (unsigned i = 0; i <= n_old; i++) {
		const struct zone_rrset *rs = i < n_old ? &old->rrsets[i] : NULL;
		/* A new RRset goes in type order. */
		if (e->kind == EDIT_ADD && !hit && !added && (!rs || rs->type > e->type)) {
			struct zone_rrset *d = &n->rrsets[j++];
			d->type = e->type;
			d->ttl = e->ttl;
			d->count = 1;
			d->off = (uint32_t)(w - (uint8_t *)n);
			put_u16(w, e->rdlen);
			memcpy(w + 2, e->rdata, e->rdlen);
			w += 2 + e->rdlen;
			d->len = (uint32_t)(w - (uint8_t *)n - d->off);
			added = true;
		}
		if (!rs)
			break;
		if (rs == hit && e->kind == EDIT_DEL_RRSET)
			continue;
		if (rs == hit && e->kind == EDIT_DEL_RR && rs->count == 1)
			continue;
		struct zone_rrset *d = &n->rrsets[j++];
		*d = *rs;
		d->off = (uint32_t)(w - (uint8_t *)n);
		const uint8_t *src = zone_rrset_data(old, rs);
		if (rs == hit && e->kind == EDIT_DEL_RR) {
			size_t cut = (size_t)(e->rdata - src), cut_len = 2u + get_u16(e->rdata);
			memcpy(w, src, cut);
			memcpy(w + cut, src + cut + cut_len, rs->len - cut - cut_len);
			w += rs->len - cut_len;
			d->count--;
		} else {
			memcpy(w, src, rs->len);
			w += rs->len;
			if (rs == hit && e->kind == EDIT_ADD) {
				put_u16(w, e->rdlen);
				memcpy(w + 2, e->rdata, e->rdlen);
				w += 2 + e->rdlen;
				d->count++;
			}
		}
		d->len = (uint32_t)(w - (uint8_t *)n - d->off);
	}
	return n;
}

/* The record equal to rdata in rs (its u16 length prefix), or NULL. */
static const uint8_t *find_rr(const struct zone_node *n, const struct zone_rrset *rs,
			      const uint8_t *rdata, uint16_t rdlen)
{
	const uint8_t *p = zone_rrset_data(n, rs);
	for (unsigned i = 0; i < rs->count; i++) {
		uint16_t l = get_u16(p);
		if (l == rdlen && memcmp(p + 2, rdata, rdlen) == 0)
			return p;
		p += 2 + l;
	}
	return NULL;
}

static const struct zone_node *txn_get(const struct zone_txn *t, const uint8_t *lc, uint64_t hash)
{
	return (const struct zone_node *)hamt_get(&t->v->nodes, hash, lc);
}

/* Puts `n` in place of whatever the txn had at its name; the replaced node is freed or queued. */
static int txn_put(struct zone_txn *t, struct zone_node *n)
{
	struct hamt_leaf *old;
	if (hamt_put(&t->v->nodes, t->stamp, &n->leaf, &old, &t->v->dead) < 0) {
		free(n);
		return ZONE_ENOMEM;
	}
	if (!old)
		t->v->nnodes++;
	else if (old->stamp == t->stamp)
		free(old);
	else if (hamt_garbage_add(&t->v->dead, old) < 0)
		return ZONE_ENOMEM; /* the trie is consistent; only the old node leaks */
	return 0;
}

static int txn_remove(struct zone_txn *t, const struct zone_node *n)
{
	struct hamt_leaf *old;
	if (hamt_del(&t->v->nodes, t->stamp, n->leaf.hash, zone_node_name(n), &old, &t->v->dead) <
	    0)
		return ZONE_ENOMEM;
	t->v->nnodes--;
	if (old->stamp == t->stamp)
		free(old);
	else if (hamt_garbage_add(&t->v->dead, old) < 0)
		return ZONE_ENOMEM;
	return 0;
}

/* Applies e to the node at name (lc, hash), creating it if absent. */
static int txn_edit(struct zone_txn *t, const struct zone_node *old, const uint8_t *lc,
		    uint64_t hash, const struct edit *e)
{
	struct zone_node *n = node_build(old, lc, hash, t->stamp, e);
	if (!n)
		return ZONE_ENOMEM;
	return txn_put(t, n);
}

/* A new name exists below `lc`'s parent: count it as a child, creating ancestors as needed. */
static int link_parent(struct zone_txn *t, const uint8_t *lc)
{
	const uint8_t *name = lc;
	struct edit e = {.kind = EDIT_NONE, .children = 1};
	while (name[0] && t->v->origin_labels < dns_name_labels(name)) {
		const uint8_t *parent = name + name[0] + 1;
		uint64_t h = dns_name_hash(parent);
		const struct zone_node *p = txn_get(t, parent, h);
		int r = txn_edit(t, p, parent, h, &e);
		if (r < 0 || p)
			return r; /* the parent already existed: its ancestors are linked */
		name = parent;
	}
	return 0;
}

/* `lc` lost a child: uncount it, and remove empty non-terminals that are left childless. */
static int unlink_parent(struct zone_txn *t, const uint8_t *lc)
{
	const uint8_t *name = lc;
	struct edit e = {.kind = EDIT_NONE, .children = -1};
	while (name[0] && t->v->origin_labels < dns_name_labels(name)) {
		const uint8_t *parent = name + name[0] + 1;
		uint64_t h = dns_name_hash(parent);
		const struct zone_node *p = txn_get(t, parent, h);
		if (!p)
			return 0;
		bool apex = p->labels == t->v->origin_labels;
		if (p->children == 1 && p->nrrsets == 0 && !apex) {
			int r = txn_remove(t, p);
			if (r < 0)
				return r;
			name = parent;
			continue;
		}
		return txn_edit(t, p, parent, h, &e);
	}
	return 0;
}

int zone_txn_begin(const struct zone_version *base, const uint8_t *origin, struct zone_txn **out)
{
	struct zone_txn *t = calloc(1, sizeof(*t));
	struct zone_version *v = calloc(1, sizeof(*v));
	if (!t || !v) {
		free(t);
		free(v);
		return ZONE_ENOMEM;
	}
	t->stamp = hamt_new_stamp();
	t->v = v;
	const uint8_t *o = base ? base->origin : origin;
	v->origin_len = (uint8_t)dns_name_len(o);
	memcpy(v->origin, o, v->origin_len);
	dns_name_lower(v->origin);
	v->origin_labels = (uint8_t)dns_name_labels(v->origin);
	v->leaf.hash = dns_name_hash(v->origin);
	v->leaf.stamp = t->stamp;
	v->leaf.name = v->origin;
	if (base) {
		v->nodes = base->nodes;
		v->nnodes = base->nnodes;
		v->nrecords = base->nrecords;
		v->serial_seq = base->serial_seq + 1;
	}
	*out = t;
	return 0;
}

static bool cname_compatible(uint16_t type)
{
	/* RFC 2181 §10.1, RFC 4035 §2.5: DNSSEC records may sit beside a CNAME. */
	return type == DNS_T_RRSIG || type == DNS_T_NSEC;
}

int zone_txn_add(struct zone_txn *t, const uint8_t *owner, uint16_t type, uint32_t ttl,
		 const uint8_t *rdata, uint16_t rdlen)
{
	uint8_t lc[DNS_NAME_MAXLEN];
	memcpy(lc, owner, dns_name_len(owner));
	dns_name_lower(lc);
	if (!dns_name_is_sub(lc, t->v->origin))
		return ZONE_EOUTSIDE;
	if (dns_type_is_meta(type))
		return ZONE_ETYPE;
	if (!dns_rdata_valid(type, rdata, rdlen))
		return ZONE_ERDATA;
	bool apex = dns_name_labels(lc) == t->v->origin_labels;
	if (type == DNS_T_SOA && !apex)
		return ZONE_ESOA_NOT_APEX;
	uint64_t h = dns_name_hash(lc);
	const struct zone_node *n = txn_get(t, lc, h);
	const struct zone_rrset *rs = n ? zone_node_rrset(n, type) : NULL;
	if (rs && find_rr(n, rs, rdata, rdlen))
		return 0; /* RFC 2181 §5: duplicate records are one record */
	if (n && !cname_compatible(type)) {
		if (type == DNS_T_CNAME && rs)
			return ZONE_ECNAME_MULTI;
		for (unsigned i = 0; i < n->nrrsets; i++) {
			uint16_t other = n->rrsets[i].type;
			if (cname_compatible(other) || other == type)
				continue;
			if (type == DNS_T_CNAME || other == DNS_T_CNAME)
				return ZONE_ECNAME;
		}
	}
	if (type == DNS_T_SOA && rs)
		return ZONE_EMULTI_SOA;
	if (rs && (rs->count == UINT16_MAX || (uint64_t)n->size + rdlen + 2 > UINT32_MAX))
		return ZONE_ETOOBIG;
	/* The RRset keeps its TTL (RFC 2181 §5.2); read it before n may be freed. */
	bool ttl_differs = rs && rs->ttl != ttl;
	struct edit e = {.kind = EDIT_ADD,
			 .type = type,
			 .ttl = rs ? rs->ttl : ttl,
			 .rdata = rdata,
			 .rdlen = rdlen};
	bool existed = n != NULL;
	int r = txn_edit(t, n, lc, h, &e);
	if (r == 0 && !existed)
		r = link_parent(t, lc);
	if (r < 0)
		return r;
	t->v->nrecords++;
	return ttl_differs ? 1 : 0;
}

/* After a deletion left `n` (now at lc) empty: remove it unless it still has children. */
static int prune(struct zone_txn *t, const uint8_t *lc, uint64_t h)
{
	const struct zone_node *n = txn_get(t, lc, h);
	if (!n || n->nrrsets > 0 || n->children > 0 || n->labels == t->v->origin_labels)
		return 0;
	int r = txn_remove(t, n);
	return r < 0 ? r : unlink_parent(t, lc);
}

int zone_txn_del(struct zone_txn *t, const uint8_t *owner, uint16_t type, const uint8_t *rdata,
		 uint16_t rdlen)
{
	uint8_t lc[DNS_NAME_MAXLEN];
	memcpy(lc, owner, dns_name_len(owner));
	dns_name_lower(lc);
	uint64_t h = dns_name_hash(lc);
	const struct zone_node *n = txn_get(t, lc, h);
	const struct zone_rrset *rs = n ? zone_node_rrset(n, type) : NULL;
	const uint8_t *rr = rs ? find_rr(n, rs, rdata, rdlen) : NULL;
	if (!rr)
		return ZONE_ENOTFOUND;
	struct edit e = {.kind = EDIT_DEL_RR, .type = type, .rdata = rr};
	int r = txn_edit(t, n, lc, h, &e);
	if (r < 0)
		return r;
	t->v->nrecords--;
	return prune(t, lc, h);
}

int zone_txn_del_rrset(struct zone_txn *t, const uint8_t *owner, uint16_t type)
{
	uint8_t lc[DNS_NAME_MAXLEN];
	memcpy(lc, owner, dns_name_len(owner));
	dns_name_lower(lc);
	uint64_t h = dns_name_hash(lc);
	const struct zone_node *n = txn_get(t, lc, h);
	const struct zone_rrset *rs = n ? zone_node_rrset(n, type) : NULL;
	if (!rs)
		return ZONE_ENOTFOUND;
	size_t count = rs->count;
	struct edit e = {.kind = EDIT_DEL_RRSET, .type = type};
	int r = txn_edit(t, n, lc, h, &e);
	if (r < 0)
		return r;
	t->v->nrecords -= count;
	return prune(t, lc, h);
}

const struct zone_node *zone_txn_get(const struct zone_txn *t, const uint8_t *owner)
{
	uint8_t lc[DNS_NAME_MAXLEN];
	memcpy(lc, owner, dns_name_len(owner));
	dns_name_lower(lc);
	return txn_get(t, lc, dns_name_hash(lc));
}

int zone_txn_commit(struct zone_txn *t, struct zone_version **out)
{
	struct zone_version *v = t->v;
	const struct zone_node *apex = txn_get(t, v->origin, v->leaf.hash);
	if (!apex || !zone_node_rrset(apex, DNS_T_SOA))
		return ZONE_ENOSOA;
	if (!zone_node_rrset(apex, DNS_T_NS))
		return ZONE_ENONS;
	v->apex = apex;
	*out = v;
	free(t);
	return 0;
}

static void free_leaf(struct hamt_leaf *l)
{
	free(l);
}

void zone_txn_abort(struct zone_txn *t)
{
	if (!t)
		return;
	hamt_destroy_stamped(&t->v->nodes, t->stamp, free_leaf);
	free(t->v->dead.items); /* they belong to the base, which lives on */
	free(t->v);
	free(t);
}

void zone_version_free(struct zone_version *v)
{
	if (!v)
		return;
	hamt_destroy(&v->nodes, free_leaf);
	free(v->dead.items);
	free(v);
}

void zone_version_discard(struct zone_version *v)
{
	if (!v)
		return;
	hamt_destroy_stamped(&v->nodes, v->leaf.stamp, free_leaf);
	free(v->dead.items); /* they belong to the base, which lives on */
	free(v);
}

void zone_version_retire(struct zone_version *old, struct zone_version *newer)
{
	hamt_garbage_free(&newer->dead);
	free(old->dead.items);
	free(old);
}

struct walk_ctx {
	void (*fn)(const struct zone_node *, void *);
	void *ctx;
};

static void walk_one(struct hamt_leaf *l, void *ctx)
{
	struct walk_ctx *w = ctx;
	w->fn((const struct zone_node *)l, w->ctx);
}

void zone_version_walk(const struct zone_version *v, void (*fn)(const struct zone_node *, void *),
		       void *ctx)
{
	struct walk_ctx w = {fn, ctx};
	hamt_walk(&v->nodes, walk_one, &w);
}

struct node_list {
	const struct zone_node **v;
	size_t n;
};

static void collect(const struct zone_node *node, void *ctx)
{
	struct node_list *l = ctx;
	l->v[l->n++] = node;
}

static int cmp_nodes(const void *a, const void *b)
{
	const struct zone_node *const *x = a, *const *y = b;
	return dns_name_cmp(zone_node_name(*x), zone_node_name(*y));
}

int zone_version_sorted(const struct zone_version *v, const struct zone_node ***out, size_t *n)
{
	struct node_list l = {malloc((v->nnodes ? v->nnodes : 1) * sizeof(*l.v)), 0};
	if (!l.v)
		return -ENOMEM;
	zone_version_walk(v, collect, &l);
	assert(l.n == v->nnodes);
	qsort(l.v, l.n, sizeof(*l.v), cmp_nodes);
	*out = l.v;
	*n = l.n;
	return 0;
}

const struct zone_node *zone_version_get(const struct zone_version *v, const uint8_t *name)
{
	return (const struct zone_node *)hamt_get(&v->nodes, dns_name_hash(name), name);
}

uint32_t zone_version_serial(const struct zone_version *v)
{
	const struct zone_rrset *rs = v->apex ? zone_node_rrset(v->apex, DNS_T_SOA) : NULL;
	if (!rs)
		return 0;
	const uint8_t *rd = zone_rrset_data(v->apex, rs) + 2;
	size_t l1 = dns_name_len(rd);
	size_t l2 = dns_name_len(rd + l1);
	return get_u32(rd + l1 + l2);
}
