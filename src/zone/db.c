/* zone/db.c - the served zone set, swapped in whole with RCU; old memory freed after sync. */
#include "zone/db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include "dns/name.h"

/* Something to free once no reader can hold it. */
enum pending_kind { PENDING_FREE, PENDING_VERSION, PENDING_RETIRE };
struct pending {
	enum pending_kind kind;
	void *a, *b;
};

struct zone_db {
	struct zone_set *cur; /* RCU-protected */
	struct pending *pending;
	size_t npending, cap;
};

/* Makes room for n more pending items, so that queueing them later cannot fail. */
static int reserve(struct zone_db *db, size_t n)
{
	if (db->npending + n <= db->cap)
		return 0;
	size_t cap = db->cap ? db->cap : 64;
	while (cap < db->npending + n)
		cap *= 2;
	struct pending *p = realloc(db->pending, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	db->pending = p;
	db->cap = cap;
	return 0;
}

/* Queues an item; room was reserved. */
static void defer(struct zone_db *db, enum pending_kind kind, void *a, void *b)
{
	db->pending[db->npending++] = (struct pending){kind, a, b};
}

struct zone_db *zone_db_new(void)
{
	struct zone_db *db = calloc(1, sizeof(*db));
	if (!db)
		return NULL;
	db->cur = calloc(1, sizeof(*db->cur));
	if (!db->cur) {
		free(db);
		return NULL;
	}
	db->cur->min_labels = 255;
	return db;
}

static void free_version_leaf(struct hamt_leaf *l)
{
	zone_version_free((struct zone_version *)l);
}

static void run_pending(struct zone_db *db)
{
	for (size_t i = 0; i < db->npending; i++) {
		struct pending *p = &db->pending[i];
		switch (p->kind) {
		case PENDING_FREE:
			free(p->a);
			break;
		case PENDING_VERSION:
			zone_version_free(p->a);
			break;
		case PENDING_RETIRE:
			zone_version_retire(p->a, p->b);
			break;
		}
	}
	db->npending = 0;
}

void zone_db_free(struct zone_db *db)
{
	if (!db)
		return;
	run_pending(db);
	free(db->pending);
	hamt_destroy(&db->cur->zones, free_version_leaf);
	free(db->cur);
	free(db);
}

const struct zone_set *zone_db_get(const struct zone_db *db)
{
	return rcu_dereference(db->cur);
}

/* A copy of the current set header, sharing its trie, for the writer to change. */
static struct zone_set *set_copy(struct zone_db *db)
{
	struct zone_set *s = malloc(sizeof(*s));
	if (s)
		*s = *db->cur;
	return s;
}

/*
 * Publishes s, queueing what it replaced (the old header, the trie nodes in `dead`, and
 * `old`, the version replaced or removed, if any). Nothing can fail once this is called:
 * callers reserve room first.
 */
static void set_publish(struct zone_db *db, struct zone_set *s, struct hamt_garbage *dead,
			enum pending_kind kind, struct zone_version *old,
			struct zone_version *newer)
{
	struct zone_set *prev = db->cur;
	rcu_assign_pointer(db->cur, s);
	defer(db, PENDING_FREE, prev, NULL);
	for (size_t i = 0; i < dead->n; i++)
		defer(db, PENDING_FREE, dead->items[i], NULL);
	free(dead->items);
	if (old)
		defer(db, kind, old, newer);
}

int zone_db_publish(struct zone_db *db, struct zone_version *v, bool whole)
{
	struct zone_set *s = set_copy(db);
	if (!s)
		return -ENOMEM;
	struct hamt_garbage dead = {0};
	struct hamt_leaf *old;
	/* A fresh stamp: the set's trie nodes are never changed in place once published. */
	uint64_t stamp = hamt_new_stamp();
	if (hamt_put(&s->zones, stamp, &v->leaf, &old, &dead) < 0 || reserve(db, dead.n + 2) < 0) {
		hamt_destroy_stamped(&s->zones, stamp, NULL);
		free(dead.items);
		free(s);
		return -ENOMEM;
	}
	if (!old)
		s->count++;
	if (v->origin_labels < s->min_labels)
		s->min_labels = v->origin_labels;
	if (v->origin_labels > s->max_labels)
		s->max_labels = v->origin_labels;
	set_publish(db, s, &dead, whole ? PENDING_VERSION : PENDING_RETIRE,
		    (struct zone_version *)old, v);
	return 0;
}

int zone_db_remove(struct zone_db *db, const uint8_t *origin)
{
	uint64_t h = dns_name_hash(origin);
	if (!hamt_get(&db->cur->zones, h, origin))
		return ZONE_ENOTFOUND;
	struct zone_set *s = set_copy(db);
	if (!s)
		return -ENOMEM;
	struct hamt_garbage dead = {0};
	struct hamt_leaf *old;
	uint64_t stamp = hamt_new_stamp();
	if (hamt_del(&s->zones, stamp, h, origin, &old, &dead) < 0 || reserve(db, dead.n + 2) < 0) {
		hamt_destroy_stamped(&s->zones, stamp, NULL);
		free(dead.items);
		free(s);
		return -ENOMEM;
	}
	s->count--;
	set_publish(db, s, &dead, PENDING_VERSION, (struct zone_version *)old, NULL);
	return 0;
}

void zone_db_sync(struct zone_db *db)
{
	synchronize_rcu();
	run_pending(db);
}

const struct zone_version *zone_db_zone(const struct zone_db *db, const uint8_t *origin)
{
	return (const struct zone_version *)hamt_get(&db->cur->zones, dns_name_hash(origin),
						     origin);
}

const struct zone_version *zone_set_find(const struct zone_set *s, const uint8_t *qname,
					 const uint8_t *label_off, const uint64_t *hashes,
					 int labels)
{
	if (s->count == 0 || labels < s->min_labels)
		return NULL;
	int first = labels - s->max_labels, last = labels - s->min_labels;
	for (int i = first < 0 ? 0 : first; i <= last; i++) {
		const struct hamt_leaf *l = hamt_get(&s->zones, hashes[i], qname + label_off[i]);
		if (l)
			return (const struct zone_version *)l;
	}
	return NULL;
}
