/*
 * auth/answer.c - authoritative answering (RFC 1034 §4.3.2, RFC 2181, RFC 2308, RFC 4592,
 * RFC 6891, RFC 8482), written straight into the caller's buffer.
 *
 * Every refusal returns early; each section has its own function. Nothing here allocates,
 * locks or calls the kernel.
 */
#include "auth/answer.h"

#include <string.h>

#include "base/cursor.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "zone/lookup.h"

#define MAX_CNAME_CHAIN 16 /* CNAMEs followed inside a zone (Knot and NSD stop similarly) */
#define MAX_ADDITIONAL  32 /* target names whose addresses we add */
#define OPT_SIZE        11 /* an OPT RR without options */
#define QNAME_OFF       DNS_HEADER_SIZE

enum section { ANSWER, AUTHORITY, ADDITIONAL };

/* The response being written. `limit` is what it may grow to, the OPT record excluded. */
struct resp {
	uint8_t *buf;
	size_t pos;
	size_t limit;
	struct dns_compr compr;
	uint16_t count[3];
	uint16_t flags;
	uint16_t rcode;
	bool tc;
	bool referral; /* the additional section holds glue */
	/* Names whose A/AAAA records belong in the additional section. */
	const uint8_t *add_names[MAX_ADDITIONAL];
	bool add_glue[MAX_ADDITIONAL];
	bool add_ns[MAX_ADDITIONAL]; /* the name is a name server's (its glue may be added) */
	unsigned nadd;
};

struct mark {
	size_t pos;
	uint16_t compr_n;
	uint16_t count;
};

static struct mark mark(const struct resp *r, enum section s)
{
	return (struct mark){r->pos, r->compr.n, r->count[s]};
}

static void rollback(struct resp *r, enum section s, struct mark m)
{
	r->pos = m.pos;
	r->compr.n = m.compr_n;
	r->count[s] = m.count;
}

static bool emit_name(struct resp *r, const uint8_t *name)
{
	int n = dns_name_pack(&r->compr, name, r->buf + r->pos, r->limit - r->pos);
	if (n < 0)
		return false;
	r->pos += (size_t)n;
	return true;
}

static bool emit_bytes(struct resp *r, const void *p, size_t n)
{
	if (r->limit - r->pos < n)
		return false;
	memcpy(r->buf + r->pos, p, n);
	r->pos += n;
	return true;
}

static bool emit_u16(struct resp *r, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	return emit_bytes(r, b, 2);
}

static bool emit_u32(struct resp *r, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	return emit_bytes(r, b, 4);
}

/* Rdata whose names may be compressed (RFC 3597 §4); others are copied as they are. */
static bool put_rdata(struct resp *r, uint16_t type, const uint8_t *rd, uint16_t len)
{
	size_t fixed = 0, names = 0;
	switch (type) {
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
		names = 1;
		break;
	case DNS_T_MX:
		fixed = 2;
		names = 1;
		break;
	case DNS_T_SOA:
		names = 2;
		break;
	default:
		return emit_bytes(r, rd, len);
	}
	if (!emit_bytes(r, rd, fixed))
		return false;
	const uint8_t *p = rd + fixed;
	for (size_t i = 0; i < names; i++) {
		if (!emit_name(r, p))
			return false;
		p += dns_name_len(p);
	}
	return emit_bytes(r, p, (size_t)(rd + len - p));
}

/* Remembers a name whose addresses go in the additional section. */
static void want_additional(struct resp *r, const uint8_t *name, bool glue, bool ns)
{
	for (unsigned i = 0; i < r->nadd; i++)
		if (dns_name_equal(r->add_names[i], name))
			return;
	if (r->nadd < MAX_ADDITIONAL) {
		r->add_names[r->nadd] = name;
		r->add_ns[r->nadd] = ns;
		r->add_glue[r->nadd++] = glue;
	}
}

static void note_targets(struct resp *r, uint16_t type, const uint8_t *rd, uint16_t len, bool glue)
{
	if (type == DNS_T_NS)
		want_additional(r, rd, glue, true);
	else if (type == DNS_T_MX && len > 2)
		want_additional(r, rd + 2, false, false);
	else if (type == DNS_T_SRV && len > 6)
		want_additional(r, rd + 6, false, false);
}

/*
 * Writes one whole RRset or nothing. The owner is `owner_off` (a name already in the message,
 * written as a pointer) when nonzero, else `owner`. `ttl` replaces the RRset's TTL unless it
 * is OWN_TTL. Returns false when it does not fit.
 */
#define OWN_TTL (-1)
static bool put_rrset(struct resp *r, enum section s, const struct zone_node *n,
		      const struct zone_rrset *rs, uint16_t owner_off, const uint8_t *owner,
		      int64_t ttl)
{
	struct mark m = mark(r, s);
	const uint8_t *p = zone_rrset_data(n, rs);
	for (unsigned i = 0; i < rs->count; i++) {
		uint16_t len = get_u16(p);
		const uint8_t *rd = p + 2;
		p += 2 + len;
		bool ok = owner_off ? emit_u16(r, (uint16_t)(0xc000 | owner_off))
				    : emit_name(r, owner);
		ok = ok && emit_u16(r, rs->type) && emit_u16(r, DNS_CLASS_IN) &&
		     emit_u32(r, ttl == OWN_TTL ? rs->ttl : (uint32_t)ttl);
		size_t len_at = r->pos;
		ok = ok && emit_u16(r, 0) && put_rdata(r, rs->type, rd, len);
		if (!ok) {
			rollback(r, s, m);
			return false;
		}
		put_u16(r->buf + len_at, (uint16_t)(r->pos - len_at - 2));
		r->count[s]++;
	}
	return true;
}

/* The SOA of the zone for a negative answer; TTL = min(SOA TTL, MINIMUM) (RFC 2308 §5). */
static bool put_soa_negative(struct resp *r, const struct zone_version *v)
{
	const struct zone_rrset *rs = zone_node_rrset(v->apex, DNS_T_SOA);
	const uint8_t *rd = zone_rrset_data(v->apex, rs) + 2;
	size_t rdlen = get_u16(rd - 2);
	uint32_t minimum = get_u32(rd + rdlen - 4);
	uint32_t ttl = rs->ttl < minimum ? rs->ttl : minimum;
	return put_rrset(r, AUTHORITY, v->apex, rs, 0, zone_node_name(v->apex), ttl);
}

/* An answer or authority RRset is required: if it does not fit, the response is truncated. */
static bool need(struct resp *r, bool ok)
{
	if (!ok)
		r->tc = true;
	return ok;
}

static void put_answer_rrset(struct resp *r, const struct zone_node *n, const struct zone_rrset *rs,
			     uint16_t owner_off, const uint8_t *owner)
{
	if (!need(r, put_rrset(r, ANSWER, n, rs, owner_off, owner, OWN_TTL)))
		return;
	const uint8_t *p = zone_rrset_data(n, rs);
	for (unsigned i = 0; i < rs->count; i++) {
		note_targets(r, rs->type, p + 2, get_u16(p), false);
		p += 2 + get_u16(p);
	}
}

/* Referral to the zone cut at `cut` (RFC 1034 §4.3.2 step 3b): NS in authority, glue. */
static void put_referral(struct resp *r, const struct zone_node *cut)
{
	r->referral = true;
	const struct zone_rrset *ns = zone_node_rrset(cut, DNS_T_NS);
	if (!need(r, put_rrset(r, AUTHORITY, cut, ns, 0, zone_node_name(cut), OWN_TTL)))
		return;
	const uint8_t *p = zone_rrset_data(cut, ns);
	for (unsigned i = 0; i < ns->count; i++) {
		/* Glue below the cut is required (RFC 9471); other in-zone addresses are not. */
		note_targets(r, DNS_T_NS, p + 2, get_u16(p),
			     dns_name_is_sub(p + 2, zone_node_name(cut)));
		p += 2 + get_u16(p);
	}
}

/* A and AAAA records of the remembered target names that this zone holds. */
static void put_additional(struct resp *r, const struct zone_version *v)
{
	for (unsigned i = 0; i < r->nadd && !r->tc; i++) {
		const uint8_t *name = r->add_names[i];
		if (!dns_name_is_sub(name, v->origin))
			continue;
		struct zone_qname q;
		zone_qname_init(&q, name);
		const struct zone_node *n;
		const uint8_t *owner = NULL;
		if (r->referral) {
			/* Glue lies below a cut (this one, or a sibling's: RFC 9471 §2.2),
			   where a normal lookup would stop. */
			n = zone_version_get(v, q.name);
		} else {
			struct zone_find_result fr;
			enum zone_match m = zone_find(v, &q, &fr);
			if (m == ZONE_MATCH_DELEGATION && r->add_ns[i]) {
				/* A name server's glue below a cut in this zone, as NSD and Knot
				   add it (a root's priming answer needs it: RFC 8109 §3). */
				n = zone_version_get(v, q.name);
			} else if (m == ZONE_MATCH_EXACT || m == ZONE_MATCH_WILDCARD) {
				n = fr.node;
				if (m == ZONE_MATCH_WILDCARD)
					owner = name; /* synthesised (RFC 4592 §4.1), as NSD and
							 Knot do */
			} else {
				continue;
			}
		}
		if (!n)
			continue;
		static const uint16_t types[2] = {DNS_T_A, DNS_T_AAAA};
		for (int t = 0; t < 2; t++) {
			const struct zone_rrset *rs = zone_node_rrset(n, types[t]);
			if (!rs)
				continue;
			bool ok = put_rrset(r, ADDITIONAL, n, rs, 0,
					    owner ? owner : zone_node_name(n), OWN_TTL);
			/* RFC 9471: missing glue truncates a referral; the rest is optional. */
			if (!ok && r->add_glue[i])
				r->tc = true;
		}
	}
}

/* The node whose CNAME we follow, as a name to look up next. */
static const uint8_t *cname_target(const struct zone_node *n, const struct zone_rrset *rs)
{
	return zone_rrset_data(n, rs) + 2;
}

/*
 * RFC 1034 §4.3.2 steps 3a-3c inside one zone, following CNAMEs that stay in it.
 * Writes answer and authority, remembers additional targets.
 */
static void answer_zone(struct resp *r, const struct zone_version *v, const struct zone_qname *qn,
			uint16_t qtype)
{
	struct zone_qname chain_q;
	const struct zone_qname *cur = qn;
	uint16_t owner_off = QNAME_OFF;
	const uint8_t *owner = NULL;
	const struct zone_node *seen[MAX_CNAME_CHAIN];
	unsigned hops = 0;

	for (;;) {
		struct zone_find_result fr;
		enum zone_match m = zone_find(v, cur, &fr);
		const struct zone_node *n = fr.node;
		if (m == ZONE_MATCH_DELEGATION) {
			/* DS lives on the parent side of the cut (RFC 4035 §3.1.4.1). */
			bool ds_at_cut = qtype == DNS_T_DS && n->labels == cur->labels;
			if (!ds_at_cut) {
				if (hops == 0)
					r->flags &= (uint16_t)~DNS_F_AA;
				put_referral(r, n);
				return;
			}
			m = ZONE_MATCH_EXACT;
		}
		if (m == ZONE_MATCH_NXDOMAIN) {
			r->rcode = DNS_RC_NXDOMAIN;
			need(r, put_soa_negative(r, v));
			return;
		}
		/* EXACT, or WILDCARD (synthesised under the query name: RFC 4592 §4.1). */
		if (qtype == DNS_T_ANY) {
			/* RFC 8482 §4.1: one RRset (the first in type order), over UDP and TCP
			   alike, as NSD and Knot do. */
			if (n->nrrsets > 0)
				put_answer_rrset(r, n, &n->rrsets[0], owner_off, owner);
			else
				need(r, put_soa_negative(r, v));
			return;
		}
		const struct zone_rrset *rs = zone_node_rrset(n, qtype);
		if (rs) {
			put_answer_rrset(r, n, rs, owner_off, owner);
			return;
		}
		const struct zone_rrset *cname = zone_node_rrset(n, DNS_T_CNAME);
		if (!cname) {
			need(r, put_soa_negative(r, v)); /* NODATA (RFC 2308 §2.2) */
			return;
		}
		for (unsigned i = 0; i < hops; i++)
			if (seen[i] == n)
				return; /* a loop: the CNAMEs so far, each once, are the answer */
		if (!need(r, put_rrset(r, ANSWER, n, cname, owner_off, owner, OWN_TTL)))
			return;
		if (hops == MAX_CNAME_CHAIN)
			return;
		seen[hops++] = n;
		const uint8_t *target = cname_target(n, cname);
		if (!dns_name_is_sub(target, v->origin))
			return; /* the resolver follows it from here */
		zone_qname_init(&chain_q, target);
		cur = &chain_q;
		owner_off = 0;
		owner = target;
	}
}

/* Header, question and OPT for a reply with no records (errors, refusals, truncation). */
static size_t finish(struct resp *r, const struct dns_query *q, bool question)
{
	uint8_t *b = r->buf;
	size_t pos = r->pos;
	if (r->tc || !question) {
		pos = question ? q->question_end : DNS_HEADER_SIZE;
		r->count[ANSWER] = r->count[AUTHORITY] = r->count[ADDITIONAL] = 0;
	}
	uint16_t flags = (uint16_t)(r->flags | (r->rcode & 0xf) | (r->tc ? DNS_F_TC : 0));
	b[0] = (uint8_t)(q->id >> 8);
	b[1] = (uint8_t)q->id;
	b[2] = (uint8_t)(flags >> 8);
	b[3] = (uint8_t)flags;
	b[4] = 0;
	b[5] = question ? 1 : 0;
	b[6] = (uint8_t)(r->count[ANSWER] >> 8);
	b[7] = (uint8_t)r->count[ANSWER];
	b[8] = (uint8_t)(r->count[AUTHORITY] >> 8);
	b[9] = (uint8_t)r->count[AUTHORITY];
	uint16_t ar = r->count[ADDITIONAL];
	if (q->edns) {
		/* OPT (RFC 6891 §6.1.2): our payload size, the extended rcode, DO echoed (RFC
		   3225 §3), version 0. Room for it was kept out of r->limit. */
		uint8_t *o = b + pos;
		o[0] = 0;
		o[1] = DNS_T_OPT >> 8;
		o[2] = DNS_T_OPT & 0xff;
		o[3] = DNS_EDNS_MAX_UDP >> 8;
		o[4] = DNS_EDNS_MAX_UDP & 0xff;
		o[5] = (uint8_t)(r->rcode >> 4);
		o[6] = 0;
		o[7] = q->edns_do ? 0x80 : 0;
		o[8] = 0;
		o[9] = 0;
		o[10] = 0;
		pos += OPT_SIZE;
		ar++;
	}
	b[10] = (uint8_t)(ar >> 8);
	b[11] = (uint8_t)ar;
	return pos;
}

size_t auth_answer(const struct zone_set *s, const uint8_t *msg, size_t len, uint8_t *out,
		   size_t cap, bool tcp)
{
	struct dns_query q;
	enum dns_parse_result pr = dns_query_parse(msg, len, &q);
	if (pr == DNS_PARSE_DROP)
		return 0;

	size_t limit = DNS_UDP_MIN;
	if (tcp)
		limit = cap < DNS_MSG_MAX ? cap : DNS_MSG_MAX;
	else if (q.edns && q.edns_udp_size > DNS_UDP_MIN)
		limit = q.edns_udp_size < DNS_EDNS_MAX_UDP ? q.edns_udp_size : DNS_EDNS_MAX_UDP;
	if (limit > cap)
		limit = cap;
	struct resp r = {.buf = out, .limit = limit - (q.edns ? OPT_SIZE : 0)};
	/* RD and CD are copied (RFC 1035 §4.1.1, RFC 4035 §3.1.6); the opcode is QUERY's 0. */
	r.flags = (uint16_t)(DNS_F_QR | (q.flags & (DNS_F_RD | DNS_F_CD)) | (q.flags & 0x7800));
	bool question = q.qname_len > 0 && q.qdcount == 1;
	if (question && q.question_end > r.limit)
		question = false; /* cannot happen for a query that fits a UDP packet */

	if (question)
		memcpy(out + DNS_HEADER_SIZE, msg + DNS_HEADER_SIZE,
		       q.question_end - DNS_HEADER_SIZE);
	r.pos = question ? q.question_end : DNS_HEADER_SIZE;

	if (pr == DNS_PARSE_ERROR) {
		r.rcode = q.rcode;
		return finish(&r, &q, question);
	}
	if (q.qclass != DNS_CLASS_IN && q.qclass != DNS_CLASS_ANY) {
		r.rcode = DNS_RC_REFUSED;
		return finish(&r, &q, question);
	}
	if (q.qtype == DNS_T_AXFR || q.qtype == DNS_T_IXFR) {
		/* Zone transfers are not offered yet: REFUSED, as NSD answers; AXFR over UDP,
		   where it cannot run (RFC 5936 §4.2), NOTIMP, as NSD and Knot answer. Other
		   meta types are looked up like any type and find no data, as both peers do. */
		bool udp_axfr = !tcp && q.qtype == DNS_T_AXFR;
		r.rcode = udp_axfr ? DNS_RC_NOTIMP : DNS_RC_REFUSED;
		return finish(&r, &q, question);
	}

	struct zone_qname qn;
	zone_qname_init(&qn, q.qname);
	const struct zone_version *v = zone_set_find(s, qn.name, qn.off, qn.hash, qn.labels);
	if (!v) {
		r.rcode = DNS_RC_REFUSED;
		return finish(&r, &q, question);
	}
	if (q.qtype == DNS_T_DS && qn.labels == v->origin_labels && qn.labels > 0) {
		/* DS for a zone we serve: the parent's answer, if we serve the parent too. */
		const struct zone_version *parent =
			zone_set_find(s, qn.name, qn.off + 1, qn.hash + 1, qn.labels - 1);
		if (parent)
			v = parent;
	}
	dns_compr_init(&r.compr, out);
	for (int i = 0; i < qn.labels && i < 8; i++)
		dns_compr_add(&r.compr, (uint16_t)(QNAME_OFF + qn.off[i]));
	r.flags |= DNS_F_AA;
	answer_zone(&r, v, &qn, q.qtype);
	if (!r.tc)
		put_additional(&r, v);
	return finish(&r, &q, question);
}
