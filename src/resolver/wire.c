/* resolver/wire.c - response parsing with rdata decompression; queries and answers written. */
#include "resolver/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cursor.h"
#include "dns/name.h"
#include "dns/rdata.h"

bool wire_peek_question(const uint8_t *msg, size_t len, struct wire_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (len < DNS_HEADER_SIZE)
		return false;
	m->id = get_u16(msg);
	m->flags = get_u16(msg + 2);
	m->rcode = DNS_RCODE(m->flags);
	if (get_u16(msg + 4) != 1)
		return false;
	size_t pos = DNS_HEADER_SIZE;
	int ql = dns_name_unpack(msg, len, &pos, m->qname);
	if (ql < 0 || pos + 4 > len)
		return false;
	m->qname_len = (uint8_t)ql;
	m->qtype = get_u16(msg + pos);
	m->qclass = get_u16(msg + pos + 2);
	return true;
}

/*
 * Copies one rdata into out, decompressing the names of the types that may compress them
 * (RFC 3597 §4). Names must end inside the rdata. Returns the new length or -1.
 */
static int rdata_uncompress(const uint8_t *msg, size_t rd_off, uint16_t rdlen, uint16_t type,
			    uint8_t *out)
{
	size_t pre = 0, names = 0;
	switch (type) {
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_DNAME:
		names = 1;
		break;
	case DNS_T_MX:
		pre = 2, names = 1;
		break;
	case DNS_T_SOA:
		names = 2;
		break;
	default:
		memcpy(out, msg + rd_off, rdlen);
		return rdlen;
	}
	size_t end = rd_off + rdlen, pos = rd_off + pre, o = pre;
	if (pre > rdlen)
		return -1;
	memcpy(out, msg + rd_off, pre);
	for (size_t i = 0; i < names; i++) {
		uint8_t name[DNS_NAME_MAXLEN];
		int nl = dns_name_unpack(msg, end, &pos, name);
		if (nl < 0)
			return -1;
		memcpy(out + o, name, (size_t)nl);
		o += (size_t)nl;
	}
	if (pos > end)
		return -1;
	memcpy(out + o, msg + pos, end - pos); /* the SOA's five numbers */
	o += end - pos;
	return o > 65535 ? -1 : (int)o;
}

int wire_parse_response(const uint8_t *msg, size_t len, struct wire_msg *m)
{
	if (!wire_peek_question(msg, len, m))
		return -EBADMSG;
	unsigned an = get_u16(msg + 6), ns = get_u16(msg + 8), ar = get_u16(msg + 10);
	unsigned total = an + ns + ar;
	/* Each record takes at least 11 octets: counts that cannot be true are refused here. */
	if (total > WIRE_MAX_RRS || total > (len - DNS_HEADER_SIZE) / 11)
		return -EBADMSG;
	/* Every name may grow to DNS_NAME_MAXLEN once decompressed: owner and two in rdata. */
	size_t cap = len + (size_t)total * 3 * DNS_NAME_MAXLEN + 1;
	m->buf = malloc(cap);
	m->rr = calloc(total ? total : 1, sizeof(*m->rr));
	if (!m->buf || !m->rr) {
		wire_msg_free(m);
		return -ENOMEM;
	}
	size_t pos = DNS_HEADER_SIZE, used = 0;
	uint8_t owner[DNS_NAME_MAXLEN];
	int ol = dns_name_unpack(msg, len, &pos, owner);
	pos += 4;
	for (unsigned i = 0; ol >= 0 && i < total; i++) {
		ol = dns_name_unpack(msg, len, &pos, owner);
		if (ol < 0 || pos + 10 > len)
			break;
		uint16_t type = get_u16(msg + pos), rclass = get_u16(msg + pos + 2);
		uint32_t ttl = get_u32(msg + pos + 4);
		uint16_t rdlen = get_u16(msg + pos + 8);
		size_t rd_off = pos + 10;
		if (rd_off + rdlen > len) {
			ol = -1;
			break;
		}
		pos = rd_off + rdlen;
		enum wire_section sec = i < an        ? WIRE_ANSWER
					: i < an + ns ? WIRE_AUTHORITY
						      : WIRE_ADDITIONAL;
		if (type == DNS_T_OPT) {
			if (sec != WIRE_ADDITIONAL || m->edns || ol != 1) {
				ol = -1;
				break;
			}
			m->edns = true;
			m->rcode = (uint16_t)(((ttl >> 24) & 0xff) << 4 | DNS_RCODE(m->flags));
			continue;
		}
		if (dns_type_is_meta(type))
			continue; /* TSIG and the like: nothing to keep */
		uint8_t *o = m->buf + used;
		memcpy(o, owner, (size_t)ol);
		int rl = rdata_uncompress(msg, rd_off, rdlen, type, o + ol);
		if (rl < 0 || !dns_rdata_valid(type, o + ol, (size_t)rl)) {
			ol = -1; /* spec 3.7: rdata must be well-formed for its type */
			break;
		}
		struct wire_rr *rr = &m->rr[m->nrr++];
		rr->section = (uint8_t)sec;
		rr->owner = o;
		rr->owner_len = (uint8_t)ol;
		rr->type = type;
		rr->rclass = rclass;
		rr->ttl = ttl;
		rr->rdata = o + ol;
		rr->rdlen = (uint16_t)rl;
		used += (size_t)ol + (size_t)rl;
	}
	if (ol < 0) {
		wire_msg_free(m);
		return -EBADMSG;
	}
	return 0;
}

void wire_msg_free(struct wire_msg *m)
{
	free(m->rr);
	free(m->buf);
	m->rr = NULL;
	m->buf = NULL;
	m->nrr = 0;
}

#define EDNS_OPT_EDE 15 /* RFC 8914 §2 */

/* Octets of the EDE option (code, length, info-code, text), 0 without one. */
static size_t ede_len(int ede, const char *text)
{
	return ede < 0 ? 0 : 6 + (text ? strlen(text) : 0);
}

static void write_opt(struct wcur *w, uint16_t udp_size, uint16_t rcode, int ede, const char *text)
{
	size_t el = ede_len(ede, text);
	wcur_u8(w, 0); /* owner: the root */
	wcur_u16(w, DNS_T_OPT);
	wcur_u16(w, udp_size);
	wcur_u32(w, (uint32_t)(rcode >> 4) << 24); /* extended rcode, version 0, DO=0 */
	wcur_u16(w, (uint16_t)el);
	if (el) {
		wcur_u16(w, EDNS_OPT_EDE);
		wcur_u16(w, (uint16_t)(el - 4));
		wcur_u16(w, (uint16_t)ede);
		if (text)
			wcur_bytes(w, text, el - 6);
	}
}

size_t wire_write_query(uint8_t *out, size_t cap, uint16_t id, const uint8_t *qname, uint16_t qtype,
			uint16_t qclass, bool edns, uint16_t udp_size, bool rd)
{
	struct wcur w;
	wcur_init(&w, out, cap);
	wcur_u16(&w, id);
	wcur_u16(&w, rd ? DNS_F_RD : 0); /* QUERY */
	wcur_u16(&w, 1);
	wcur_u16(&w, 0);
	wcur_u16(&w, 0);
	wcur_u16(&w, edns ? 1 : 0);
	wcur_bytes(&w, qname, dns_name_len(qname));
	wcur_u16(&w, qtype);
	wcur_u16(&w, qclass);
	if (edns)
		write_opt(&w, udp_size, 0, -1, NULL);
	return w.err ? 0 : wcur_pos(&w);
}

/* Writes one RRset with compression; false when it does not fit. */
static bool write_rrset(struct wcur *w, struct dns_compr *cp, const struct rrset *rs,
			const uint8_t *qname, uint64_t now)
{
	/* The owner that is the question's name is written as the client spelled it (4.6). */
	const uint8_t *owner = dns_name_equal(rs->owner, qname) ? qname : rs->owner;
	uint32_t ttl = rrset_ttl_left(rs, now);
	size_t pos = 0;
	const uint8_t *rd;
	uint16_t rdlen;
	while (rrset_next(rs, &pos, &rd, &rdlen)) {
		int n = dns_name_pack(cp, owner, w->p, (size_t)(w->end - w->p));
		if (w->err || n < 0)
			return false;
		w->p += n;
		wcur_u16(w, rs->type);
		wcur_u16(w, rs->rclass);
		wcur_u32(w, ttl);
		uint8_t *len_at = w->p;
		wcur_u16(w, 0);
		if (w->err)
			return false;
		uint8_t *start = w->p;
		struct dns_rdata_names names;
		dns_rdata_names(rs->type, rd, rdlen, &names);
		if (names.compress && names.n > 0) {
			size_t done = 0;
			for (unsigned i = 0; i < names.n; i++) {
				wcur_bytes(w, rd + done, names.off[i] - done);
				int k = dns_name_pack(cp, rd + names.off[i], w->p,
						      w->err ? 0 : (size_t)(w->end - w->p));
				if (w->err || k < 0)
					return false;
				w->p += k;
				done = names.off[i] + dns_name_len(rd + names.off[i]);
			}
			wcur_bytes(w, rd + done, rdlen - done);
		} else {
			wcur_bytes(w, rd, rdlen);
		}
		if (w->err)
			return false;
		put_u16(len_at, (uint16_t)(w->p - start));
	}
	return true;
}

static size_t write_answer(uint8_t *out, size_t limit, const struct wire_answer *a, bool full)
{
	struct wcur w;
	struct dns_compr cp;
	wcur_init(&w, out, limit);
	dns_compr_init(&cp, out);
	uint16_t flags = a->flags & (uint16_t)~0x000f;
	flags |= a->rcode & 0xf;
	if (!full)
		flags |= DNS_F_TC;
	wcur_u16(&w, a->id);
	wcur_u16(&w, flags);
	wcur_u16(&w, 1);
	uint8_t *counts = w.p;
	wcur_u16(&w, 0);
	wcur_u16(&w, 0);
	wcur_u16(&w, 0);
	if (w.err)
		return 0;
	int n = dns_name_pack(&cp, a->qname, w.p, (size_t)(w.end - w.p));
	if (n < 0)
		return 0;
	w.p += n;
	wcur_u16(&w, a->qtype);
	wcur_u16(&w, a->qclass);
	/* Room for our OPT, which must never be cut (spec 9.5). */
	size_t opt_len = a->edns ? 11 + ede_len(a->ede, a->ede_text) : 0;
	if (w.err || (size_t)(w.end - w.p) < opt_len)
		return 0;
	w.end -= opt_len;
	uint16_t an = 0, ns = 0;
	if (full) {
		for (unsigned i = 0; i < a->nanswer; i++) {
			if (!write_rrset(&w, &cp, a->answer[i], a->qname, a->now))
				return 0;
			an = (uint16_t)(an + a->answer[i]->count);
		}
		for (unsigned i = 0; i < a->nauthority; i++) {
			if (!write_rrset(&w, &cp, a->authority[i], a->qname, a->now))
				return 0;
			ns = (uint16_t)(ns + a->authority[i]->count);
		}
	}
	w.end += opt_len;
	if (a->edns)
		write_opt(&w, a->udp_size, a->rcode, a->ede, a->ede_text);
	if (w.err)
		return 0;
	put_u16(counts, an);
	put_u16(counts + 2, ns);
	put_u16(counts + 4, a->edns ? 1 : 0);
	return wcur_pos(&w);
}

size_t wire_write_answer(uint8_t *out, size_t limit, const struct wire_answer *a)
{
	size_t n = write_answer(out, limit, a, true);
	if (n == 0)
		n = write_answer(out, limit, a, false);
	return n;
}
