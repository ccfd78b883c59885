/*
 * dns/name.h - domain names in uncompressed wire format (RFC 1035 §3.1).
 *
 * A name is a sequence of length-prefixed labels ending with the root label (a zero octet),
 * at most DNS_NAME_MAXLEN octets in all. Functions here take well-formed names unless they say
 * they parse; comparisons are ASCII case-insensitive (RFC 4343).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/consts.h"

extern const uint8_t dns_ascii_lower[256];

/* Octets in a well-formed name, root label included. */
size_t dns_name_len(const uint8_t *name);
/* Labels, root label not counted ("www.example.com." is 3). */
int dns_name_labels(const uint8_t *name);
/* Lower-cases a well-formed name in place. */
void dns_name_lower(uint8_t *name);
/* Case-insensitive equality. */
bool dns_name_equal(const uint8_t *a, const uint8_t *b);
/* Is `name` equal to `parent` or below it (case-insensitive)? */
bool dns_name_is_sub(const uint8_t *name, const uint8_t *parent);
/* Canonical order of RFC 4034 §6.1: <0, 0 or >0. */
int dns_name_cmp(const uint8_t *a, const uint8_t *b);
/* Offsets of each label's length octet: off[0] = 0 ... off[n-1]; returns n (labels). */
int dns_name_label_offsets(const uint8_t *name, uint8_t off[DNS_MAX_LABELS]);

/*
 * Hash of a name, case-insensitive. Built from the root down: h(label . parent) =
 * dns_name_hash_step(h(parent), label), with h(".") = DNS_NAME_HASH_ROOT, so a walk from a
 * zone apex towards a query name hashes each suffix in O(label length).
 */
#define DNS_NAME_HASH_ROOT 0x9e3779b97f4a7c15ULL
uint64_t dns_name_hash_step(uint64_t parent, const uint8_t *label);
uint64_t dns_name_hash(const uint8_t *name);

/*
 * Parses a possibly compressed name at *pos in msg[0..len) into out (lower case is NOT applied).
 * Pointers must point strictly before the start of the current run of labels and never into
 * the header; labels ≤ 63 octets; name ≤ 255 octets; reserved label types rejected.
 * On success *pos is just after the name's last in-place octet and returns the name's length.
 * Returns -1 on any malformation.
 */
int dns_name_unpack(const uint8_t *msg, size_t len, size_t *pos, uint8_t out[DNS_NAME_MAXLEN]);

/*
 * Presentation text → wire (RFC 1035 §5.1: "\X" and "\DDD" escapes). A name without a final
 * dot is relative to `origin` (NULL: relative names are an error); "@" is the origin.
 * Returns the length, or -1 if the text is not a valid name.
 */
int dns_name_from_text(const char *text, const uint8_t *origin, uint8_t out[DNS_NAME_MAXLEN]);
/*
 * Wire → presentation text with a final dot: letters, digits and - _ * / as they are, the
 * special characters . \ " ( ) ; @ $ as "\X", every other octet as "\DDD" (so that any
 * zone-file reader, libzscanner included, reads it back). Returns the text length, or -1
 * if it does not fit in size (4 * 255 + 1 always fits).
 */
int dns_name_to_text(const uint8_t *name, char *buf, size_t size);

/*
 * Compression table for writing names into a message (RFC 1035 §4.1.4). Remembers up to
 * DNS_COMPR_MAX names already written, each by its offset; finds the longest suffix already
 * present. Never allocates.
 */
#define DNS_COMPR_MAX 32
struct dns_compr {
	const uint8_t *msg; /* start of the message being written */
	uint16_t n;
	uint16_t off[DNS_COMPR_MAX];
};

void dns_compr_init(struct dns_compr *c, const uint8_t *msg);
/* Remembers that a name was written at msg + off, uncompressed or compressed. */
void dns_compr_add(struct dns_compr *c, uint16_t off);
/*
 * Writes `name` at `out` (capacity cap), compressed against what the table knows if `c` is not
 * NULL, and adds it to the table. Returns the octets written, or -1 if it does not fit.
 */
int dns_name_pack(struct dns_compr *c, const uint8_t *name, uint8_t *out, size_t cap);
