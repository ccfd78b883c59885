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

static int defer(struct zone_db *db, enum pending_kind kind, void *a, void *b)
{
	if (db->npending == db->cap) {
		size_t cap = db->cap ? db->cap * 2 : 64;
		struct pending *p = realloc(db->pending, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		db->pending = p;
		db->cap = cap;
	}
	db->pending[db->npending++] = (struct pending){kind, a, b};
	return 0;
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

/* Publishes s, queueing what it replaced (the old header and trie nodes in `dead`). */
static int set_publish(struct zone_db *db, struct zone_set *s, struct hamt_garbage *dead)
{
	int r = 0;
	struct zone_set *old = db->cur;
	rcu_assign_pointer(db->cur, s);
	r |= defer(db, PENDING_FREE, old, NULL);
	for (size_t i = 0; i < dead->n; i++)
		r |= defer(db, PENDING_FREE, dead->items[i], NULL);
	free(dead->items);
	return r ? -ENOMEM : 0;
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
	if (hamt_put(&s->zones, stamp, &v->leaf, &old, &dead) < 0) {
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
	int r = set_publish(db, s, &dead);
	if (old && whole)
		r |= defer(db, PENDING_VERSION, old, NULL);
	else if (old)
		r |= defer(db, PENDING_RETIRE, old, v);
	return r ? -ENOMEM : 0;
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
	if (hamt_del(&s->zones, hamt_new_stamp(), h, origin, &old, &dead) < 0) {
		free(dead.items);
		free(s);
		return -ENOMEM;
	}
	s->count--;
	int r = set_publish(db, s, &dead);
	r |= defer(db, PENDING_VERSION, old, NULL);
	return r ? -ENOMEM : 0;
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
