/* zone/hamt.c - persistent hash array mapped trie with path copying and transaction stamps. */
#include "zone/hamt.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns/name.h"

#define BITS     5
#define HASHBITS 64

/* A trie node. Past the last hash bits it is a collision node: slots scanned in order. */
struct hnode {
	uint64_t stamp;
	uint32_t bitmap;
	uint16_t count;
	uint16_t cap;
	void *slot[];
};

/* Slots hold leaves (aligned, low bit 0) or trie nodes (tagged with low bit 1). */
static inline bool is_node(const void *p)
{
	return ((uintptr_t)p & 1) != 0;
}

static inline struct hnode *as_node(const void *p)
{
	return (struct hnode *)((uintptr_t)p & ~(uintptr_t)1);
}

static inline void *tag(struct hnode *n)
{
	return (void *)((uintptr_t)n | 1);
}

static inline unsigned popcount(uint32_t x)
{
	return (unsigned)__builtin_popcount(x);
}

static bool same_name(const struct hamt_leaf *l, uint64_t hash, const uint8_t *name, size_t len)
{
	return l->hash == hash && memcmp(l->name, name, len) == 0;
}

uint64_t hamt_new_stamp(void)
{
	static _Atomic uint64_t next = 1;
	return atomic_fetch_add(&next, 1);
}

/* The leaf below slot value p, a trie at depth `shift`. */
static const struct hamt_leaf *lookup(const void *p, unsigned shift, uint64_t hash,
				      const uint8_t *name, size_t len)
{
	for (; p; shift += BITS) {
		if (!is_node(p)) {
			const struct hamt_leaf *l = p;
			return same_name(l, hash, name, len) ? l : NULL;
		}
		const struct hnode *n = as_node(p);
		if (shift >= HASHBITS) {
			for (unsigned i = 0; i < n->count; i++)
				if (same_name(n->slot[i], hash, name, len))
					return n->slot[i];
			return NULL;
		}
		uint32_t m = 1u << ((hash >> shift) & 31);
		if (!(n->bitmap & m))
			return NULL;
		p = n->slot[popcount(n->bitmap & (m - 1))];
	}
	return NULL;
}

const struct hamt_leaf *hamt_get(const struct hamt *h, uint64_t hash, const uint8_t *name)
{
	return lookup(h->root, 0, hash, name, dns_name_len(name));
}

static unsigned round_cap(unsigned n)
{
	unsigned c = 2;
	while (c < n)
		c <<= 1;
	return c > 32 ? (n > 32 ? n : 32) : c;
}

static struct hnode *node_alloc(uint64_t stamp, unsigned cap)
{
	struct hnode *n = malloc(sizeof(*n) + cap * sizeof(void *));
	if (n) {
		n->stamp = stamp;
		n->bitmap = 0;
		n->count = 0;
		n->cap = (uint16_t)cap;
	}
	return n;
}

int hamt_garbage_add(struct hamt_garbage *g, void *p)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		void **items = realloc(g->items, cap * sizeof(void *));
		if (!items)
			return -ENOMEM;
		g->items = items;
		g->cap = cap;
	}
	g->items[g->n++] = p;
	return 0;
}

void hamt_garbage_free(struct hamt_garbage *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->items[i]);
	free(g->items);
	g->items = NULL;
	g->n = g->cap = 0;
}

struct op {
	uint64_t stamp;
	uint64_t hash;
	const uint8_t *name;
	size_t len;
	struct hamt_leaf *leaf; /* to insert; NULL when deleting */
	struct hamt_leaf *old;
	struct hamt_garbage *dead;
};

/*
 * Makes the node in *slotp writable by this transaction: copies it (with room for `extra`
 * more slots) unless this transaction made it, and queues the original as garbage.
 */
static struct hnode *own(void **slotp, struct op *o, unsigned extra)
{
	struct hnode *n = as_node(*slotp);
	if (n->stamp == o->stamp && n->count + extra <= n->cap)
		return n;
	struct hnode *c = node_alloc(o->stamp, round_cap(n->count + extra));
	if (!c)
		return NULL;
	c->bitmap = n->bitmap;
	c->count = n->count;
	memcpy(c->slot, n->slot, n->count * sizeof(void *));
	if (n->stamp == o->stamp) {
		free(n);
	} else if (hamt_garbage_add(o->dead, n) < 0) {
		free(c);
		return NULL;
	}
	*slotp = tag(c);
	return c;
}

/* A node at `shift` holding two leaves whose hashes agree on every bit before it. */
static void *pair(struct op *o, struct hamt_leaf *a, struct hamt_leaf *b, unsigned shift)
{
	struct hnode *n = node_alloc(o->stamp, 2);
	if (!n)
		return NULL;
	if (shift >= HASHBITS) {
		n->count = 2;
		n->slot[0] = a;
		n->slot[1] = b;
		return tag(n);
	}
	unsigned ia = (a->hash >> shift) & 31, ib = (b->hash >> shift) & 31;
	if (ia == ib) {
		void *child = pair(o, a, b, shift + BITS);
		if (!child) {
			free(n);
			return NULL;
		}
		n->bitmap = 1u << ia;
		n->count = 1;
		n->slot[0] = child;
	} else {
		n->bitmap = 1u << ia | 1u << ib;
		n->count = 2;
		n->slot[ia < ib ? 0 : 1] = a;
		n->slot[ia < ib ? 1 : 0] = b;
	}
	return tag(n);
}

static int put(void **slotp, unsigned shift, struct op *o)
{
	void *cur = *slotp;
	if (!cur) {
		*slotp = o->leaf;
		return 0;
	}
	if (!is_node(cur)) {
		struct hamt_leaf *l = cur;
		if (same_name(l, o->hash, o->name, o->len)) {
			o->old = l;
			*slotp = o->leaf;
			return 0;
		}
		void *p = pair(o, l, o->leaf, shift);
		if (!p)
			return -ENOMEM;
		*slotp = p;
		return 0;
	}
	struct hnode *n = as_node(cur);
	if (shift >= HASHBITS) {
		for (unsigned i = 0; i < n->count; i++) {
			if (same_name(n->slot[i], o->hash, o->name, o->len)) {
				if (!(n = own(slotp, o, 0)))
					return -ENOMEM;
				o->old = n->slot[i];
				n->slot[i] = o->leaf;
				return 0;
			}
		}
		if (!(n = own(slotp, o, 1)))
			return -ENOMEM;
		n->slot[n->count++] = o->leaf;
		return 0;
	}
	uint32_t m = 1u << ((o->hash >> shift) & 31);
	unsigned i = popcount(n->bitmap & (m - 1));
	if (n->bitmap & m) {
		if (!(n = own(slotp, o, 0)))
			return -ENOMEM;
		return put(&n->slot[i], shift + BITS, o);
	}
	if (!(n = own(slotp, o, 1)))
		return -ENOMEM;
	memmove(&n->slot[i + 1], &n->slot[i], (n->count - i) * sizeof(void *));
	n->slot[i] = o->leaf;
	n->bitmap |= m;
	n->count++;
	return 0;
}

int hamt_put(struct hamt *h, uint64_t stamp, struct hamt_leaf *leaf, struct hamt_leaf **old,
	     struct hamt_garbage *dead)
{
	struct op o = {.stamp = stamp,
		       .hash = leaf->hash,
		       .name = leaf->name,
		       .len = dns_name_len(leaf->name),
		       .leaf = leaf,
		       .dead = dead};
	int r = put(&h->root, 0, &o);
	*old = o.old;
	return r;
}

/* Drops a node that no longer holds anything worth a node, leaving `keep` in its slot. */
static int collapse(void **slotp, struct op *o, void *keep)
{
	struct hnode *n = as_node(*slotp);
	if (n->stamp == o->stamp)
		free(n);
	else if (hamt_garbage_add(o->dead, n) < 0)
		return -ENOMEM;
	*slotp = keep;
	return 0;
}

static int del(void **slotp, unsigned shift, struct op *o)
{
	void *cur = *slotp;
	if (!cur)
		return 0;
	if (!is_node(cur)) {
		if (same_name(cur, o->hash, o->name, o->len)) {
			o->old = cur;
			*slotp = NULL;
		}
		return 0;
	}
	struct hnode *n = as_node(cur);
	unsigned i;
	if (shift >= HASHBITS) {
		for (i = 0; i < n->count; i++)
			if (same_name(n->slot[i], o->hash, o->name, o->len))
				break;
		if (i == n->count)
			return 0;
	} else {
		uint32_t m = 1u << ((o->hash >> shift) & 31);
		if (!(n->bitmap & m))
			return 0;
		i = popcount(n->bitmap & (m - 1));
		void *child = n->slot[i];
		if (is_node(child)) {
			/* Look before copying: nothing to do if the name is absent. */
			if (!lookup(child, shift + BITS, o->hash, o->name, o->len))
				return 0;
			if (!(n = own(slotp, o, 0)))
				return -ENOMEM;
			int r = del(&n->slot[i], shift + BITS, o);
			if (r < 0 || n->slot[i])
				goto out_compact;
		} else if (!same_name(child, o->hash, o->name, o->len)) {
			return 0;
		}
	}
	if (!(n = own(slotp, o, 0)))
		return -ENOMEM;
	if (!o->old)
		o->old = n->slot[i];
	memmove(&n->slot[i], &n->slot[i + 1], (n->count - i - 1) * sizeof(void *));
	n->count--;
	if (shift < HASHBITS) {
		uint32_t m = 1u << ((o->hash >> shift) & 31);
		n->bitmap &= ~m;
	}
out_compact:
	/* Keep the trie canonical: no empty nodes, no node holding a single leaf. */
	if (n->count == 0)
		return collapse(slotp, o, NULL);
	if (n->count == 1 && !is_node(n->slot[0]))
		return collapse(slotp, o, n->slot[0]);
	return 0;
}

int hamt_del(struct hamt *h, uint64_t stamp, uint64_t hash, const uint8_t *name,
	     struct hamt_leaf **old, struct hamt_garbage *dead)
{
	struct op o = {.stamp = stamp,
		       .hash = hash,
		       .name = name,
		       .len = dns_name_len(name),
		       .dead = dead};
	int r = del(&h->root, 0, &o);
	*old = o.old;
	return r;
}

static void walk(void *p, void (*fn)(struct hamt_leaf *, void *), void *ctx)
{
	if (!p)
		return;
	if (!is_node(p)) {
		fn(p, ctx);
		return;
	}
	struct hnode *n = as_node(p);
	for (unsigned i = 0; i < n->count; i++)
		walk(n->slot[i], fn, ctx);
}

void hamt_walk(const struct hamt *h, void (*fn)(struct hamt_leaf *, void *), void *ctx)
{
	walk(h->root, fn, ctx);
}

static void destroy(void *p, void (*free_leaf)(struct hamt_leaf *))
{
	if (!p)
		return;
	if (!is_node(p)) {
		if (free_leaf)
			free_leaf(p);
		return;
	}
	struct hnode *n = as_node(p);
	for (unsigned i = 0; i < n->count; i++)
		destroy(n->slot[i], free_leaf);
	free(n);
}

void hamt_destroy(struct hamt *h, void (*free_leaf)(struct hamt_leaf *))
{
	destroy(h->root, free_leaf);
	h->root = NULL;
}

static void destroy_stamped(void *p, uint64_t stamp, void (*free_leaf)(struct hamt_leaf *))
{
	if (!p)
		return;
	if (!is_node(p)) {
		struct hamt_leaf *l = p;
		if (l->stamp == stamp && free_leaf)
			free_leaf(l);
		return;
	}
	struct hnode *n = as_node(p);
	if (n->stamp != stamp)
		return; /* shared with the base: nothing below it was made by this stamp */
	for (unsigned i = 0; i < n->count; i++)
		destroy_stamped(n->slot[i], stamp, free_leaf);
	free(n);
}

void hamt_destroy_stamped(struct hamt *h, uint64_t stamp, void (*free_leaf)(struct hamt_leaf *))
{
	destroy_stamped(h->root, stamp, free_leaf);
	h->root = NULL;
}
