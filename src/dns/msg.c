/* dns/msg.c - parsing a query: header, question, every RR of the other sections, EDNS(0). */
#include "dns/msg.h"

#include <string.h>

#include "base/cursor.h"
#include "dns/name.h"

/* Parses one RR header at *pos; returns its type, or -1. Leaves *pos after the rdata. */
static int parse_rr(const uint8_t *msg, size_t len, size_t *pos, uint8_t *owner_len,
		    uint16_t *class, uint32_t *ttl, size_t *rdata_off, uint16_t *rdlen)
{
	uint8_t owner[DNS_NAME_MAXLEN];
	int ol = dns_name_unpack(msg, len, pos, owner);
	if (ol < 0)
		return -1;
	struct rcur c;
	rcur_init(&c, msg, len);
	rcur_skip(&c, *pos);
	uint16_t type = rcur_u16(&c);
	*class = rcur_u16(&c);
	*ttl = rcur_u32(&c);
	*rdlen = rcur_u16(&c);
	*rdata_off = rcur_pos(&c);
	rcur_skip(&c, *rdlen);
	if (c.err)
		return -1;
	*pos = rcur_pos(&c);
	*owner_len = (uint8_t)ol;
	return type;
}

/* Walks the options of an OPT record: they must exactly fill its rdata (RFC 6891 §6.1.2). */
static bool options_valid(const uint8_t *rdata, uint16_t rdlen)
{
	struct rcur c;
	rcur_init(&c, rdata, rdlen);
	while (rcur_left(&c) > 0) {
		rcur_u16(&c);
		rcur_skip(&c, rcur_u16(&c));
	}
	return !c.err;
}

/*
 * Names inside the rdata of the types that may compress them (RFC 3597 §4) must parse and
 * end within the rdata (BIND CVE-2026-10822, RFC 9267 §2).
 */
static bool rdata_names_valid(const uint8_t *msg, size_t rdata_off, uint16_t rdlen, uint16_t type)
{
	size_t skip = 0, names = 1;
	switch (type) {
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_DNAME:
		break;
	case DNS_T_MX:
		skip = 2;
		break;
	case DNS_T_SOA:
		names = 2;
		break;
	default:
		return true;
	}
	size_t end = rdata_off + rdlen, pos = rdata_off + skip;
	uint8_t name[DNS_NAME_MAXLEN];
	for (size_t i = 0; i < names; i++)
		if (pos > end || dns_name_unpack(msg, end, &pos, name) < 0)
			return false;
	return pos <= end;
}

enum dns_parse_result dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *q)
{
	q->qname_len = 0;
	q->qtype = q->qclass = 0;
	q->edns = q->edns_do = false;
	q->edns_version = 0;
	q->edns_udp_size = 0;
	q->rcode = DNS_RC_FORMERR;
	q->question_end = DNS_HEADER_SIZE;
	if (len < DNS_HEADER_SIZE)
		return DNS_PARSE_DROP;
	q->id = get_u16(msg);
	q->flags = get_u16(msg + 2);
	q->qdcount = get_u16(msg + 4);
	q->ancount = get_u16(msg + 6);
	q->nscount = get_u16(msg + 8);
	q->arcount = get_u16(msg + 10);
	if (q->flags & DNS_F_QR)
		return DNS_PARSE_DROP; /* never answer a response: no reflection loops */
	if (q->qdcount != 1)
		return DNS_PARSE_ERROR; /* RFC 9619 */

	size_t pos = DNS_HEADER_SIZE;
	int ql = dns_name_unpack(msg, len, &pos, q->qname);
	if (ql < 0 || pos + 4 > len)
		return DNS_PARSE_ERROR;
	q->qtype = get_u16(msg + pos);
	q->qclass = get_u16(msg + pos + 2);
	pos += 4;
	q->qname_len = (uint8_t)ql;
	q->question_end = (uint16_t)pos;

	if (DNS_OPCODE(q->flags) != DNS_OP_QUERY) {
		q->rcode = DNS_RC_NOTIMP;
		return DNS_PARSE_ERROR;
	}

	/* The counts are claims: every RR they announce must be there and parse. */
	unsigned total = (unsigned)q->ancount + q->nscount + q->arcount;
	bool tsig = false;
	for (unsigned i = 0; i < total; i++) {
		uint8_t owner_len;
		uint16_t class, rdlen;
		uint32_t ttl;
		size_t rdata_off;
		int type = parse_rr(msg, len, &pos, &owner_len, &class, &ttl, &rdata_off, &rdlen);
		if (type < 0 || tsig)
			return DNS_PARSE_ERROR; /* malformed, or an RR after TSIG */
		if (!rdata_names_valid(msg, rdata_off, rdlen, (uint16_t)type))
			return DNS_PARSE_ERROR;
		bool additional = i >= (unsigned)q->ancount + q->nscount;
		if (type == DNS_T_OPT) {
			/* RFC 6891 §6.1.1: one OPT, owned by the root, in the additional section.
			 */
			if (!additional || q->edns || owner_len != 1)
				return DNS_PARSE_ERROR;
			if (!options_valid(msg + rdata_off, rdlen))
				return DNS_PARSE_ERROR;
			q->edns = true;
			q->edns_udp_size = class;
			q->edns_version = (uint8_t)(ttl >> 16);
			q->edns_do = (ttl & DNS_EDNS_DO) != 0;
		} else if (type == DNS_T_TSIG) {
			if (!additional || i != total - 1)
				return DNS_PARSE_ERROR; /* RFC 8945 §5.1: TSIG is the last RR */
			tsig = true;
		}
	}
	if (q->edns && q->edns_version > 0) {
		q->rcode = DNS_RC_BADVERS; /* RFC 6891 §6.1.3 */
		return DNS_PARSE_ERROR;
	}
	if (tsig) {
		q->rcode = DNS_RC_NOTAUTH; /* no TSIG keys are configured (RFC 8945 §5.2) */
		return DNS_PARSE_ERROR;
	}
	q->rcode = DNS_RC_NOERROR;
	return DNS_PARSE_OK;
}
