/* zone/lookup.c - closest-encloser lookup from the apex down (RFC 1034 §4.3.2, RFC 4592). */
#include "zone/lookup.h"

#include <string.h>

#include "dns/name.h"

void zone_qname_init(struct zone_qname *q, const uint8_t *name)
{
	size_t len = dns_name_len(name);
	for (size_t i = 0; i < len; i++)
		q->name[i] = dns_ascii_lower[name[i]];
	/* Length octets are < 64, so lower-casing every octet left them alone. */
	q->len = (uint8_t)len;
	int n = dns_name_label_offsets(q->name, q->off);
	q->labels = (uint8_t)n;
	q->off[n] = (uint8_t)(len - 1);
	q->hash[n] = DNS_NAME_HASH_ROOT;
	for (int i = n - 1; i >= 0; i--)
		q->hash[i] = dns_name_hash_step(q->hash[i + 1], q->name + q->off[i]);
}

static const struct zone_node *get(const struct zone_version *v, uint64_t hash, const uint8_t *name)
{
	return (const struct zone_node *)hamt_get(&v->nodes, hash, name);
}

static bool is_cut(const struct zone_node *n)
{
	/* The apex is never passed here: the walk starts below it. */
	return zone_node_rrset(n, DNS_T_NS) != NULL;
}

enum zone_match zone_find(const struct zone_version *v, const struct zone_qname *q,
			  struct zone_find_result *r)
{
	const struct zone_node *node = v->apex;
	r->encloser = NULL;
	for (int i = q->labels - v->origin_labels - 1; i >= 0; i--) {
		const struct zone_node *child = get(v, q->hash[i], q->name + q->off[i]);
		if (!child) {
			/* node is the closest encloser; is there a "*.<encloser>"? */
			r->encloser = node;
			const uint8_t *ce = q->name + q->off[i + 1];
			size_t ce_len = (size_t)q->len - q->off[i + 1];
			static const uint8_t star[2] = {1, '*'};
			if (ce_len + 2 <= DNS_NAME_MAXLEN) {
				uint8_t wild[DNS_NAME_MAXLEN];
				memcpy(wild, star, 2);
				memcpy(wild + 2, ce, ce_len);
				const struct zone_node *w =
					get(v, dns_name_hash_step(q->hash[i + 1], star), wild);
				if (w) {
					r->node = w;
					return ZONE_MATCH_WILDCARD;
				}
			}
			r->node = node;
			return ZONE_MATCH_NXDOMAIN;
		}
		node = child;
		if (is_cut(node)) {
			r->node = node;
			return ZONE_MATCH_DELEGATION;
		}
	}
	r->node = node;
	return ZONE_MATCH_EXACT;
}
