/*
 * zone/hamt.h - a persistent hash array mapped trie (Bagwell 2001) with path copying.
 *
 * Maps a 64-bit hash plus a name (lower-case wire format) to a leaf. Every trie node and leaf
 * carries the stamp of the transaction that made it: a transaction changes its own objects in
 * place and copies everyone else's, so a version built by a transaction shares every untouched
 * path with its base. Lookups take no lock and never allocate.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* The first member of every leaf. `name` points into the leaf itself. */
struct hamt_leaf {
	uint64_t hash;
	uint64_t stamp;
	const uint8_t *name;
};

struct hamt {
	void *root; /* tagged pointer; NULL when empty */
};

/* A growable list of objects to free later (replaced by a newer version). */
struct hamt_garbage {
	void **items;
	size_t n;
	size_t cap;
};

/* A stamp no other transaction has used. */
uint64_t hamt_new_stamp(void);

/* The leaf with this hash and (lower-case) name, or NULL. */
const struct hamt_leaf *hamt_get(const struct hamt *h, uint64_t hash, const uint8_t *name);

/*
 * Inserts `leaf` or replaces the leaf with the same name (returned in *old, else NULL).
 * Trie nodes not stamped `stamp` are copied; the copied originals go to `dead` (NULL: freed
 * at once is never right for shared nodes, so dead is required). Returns 0 or -ENOMEM.
 * The caller decides what to do with *old.
 */
int hamt_put(struct hamt *h, uint64_t stamp, struct hamt_leaf *leaf, struct hamt_leaf **old,
	     struct hamt_garbage *dead) __attribute__((warn_unused_result));
/* Removes the leaf with this name; *old gets it (NULL if absent). Returns 0 or -ENOMEM. */
int hamt_del(struct hamt *h, uint64_t stamp, uint64_t hash, const uint8_t *name,
	     struct hamt_leaf **old, struct hamt_garbage *dead) __attribute__((warn_unused_result));

/* Calls fn on every leaf. */
void hamt_walk(const struct hamt *h, void (*fn)(struct hamt_leaf *, void *), void *ctx);
/* Frees every trie node, and calls free_leaf (if not NULL) on every leaf. */
void hamt_destroy(struct hamt *h, void (*free_leaf)(struct hamt_leaf *));
/*
 * Frees the trie nodes and leaves stamped `stamp` (those a transaction made), calling
 * free_leaf on such leaves; used to abort a transaction. Others are left alone.
 */
void hamt_destroy_stamped(struct hamt *h, uint64_t stamp, void (*free_leaf)(struct hamt_leaf *));

int hamt_garbage_add(struct hamt_garbage *g, void *p) __attribute__((warn_unused_result));
/* Frees every item (with free()) and empties the list. */
void hamt_garbage_free(struct hamt_garbage *g);
