/*
 * resolver/wire.h - the resolver's own messages: parsing upstream responses (names inside
 * rdata decompressed), writing upstream queries and client answers. Internal to resolver/.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/consts.h"
#include "resolver/cache.h"

enum wire_section { WIRE_ANSWER = 0, WIRE_AUTHORITY, WIRE_ADDITIONAL };

/* One record of a response, uncompressed. */
struct wire_rr {
	uint8_t section; /* enum wire_section */
	uint8_t owner_len;
	uint16_t type, rclass;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *owner; /* into wire_msg.buf */
	const uint8_t *rdata; /* into wire_msg.buf */
};

/* At most this many records are read from one response; more is treated as malformed. */
#define WIRE_MAX_RRS 1024

struct wire_msg {
	uint16_t id, flags;
	uint16_t rcode; /* extended with the OPT's upper bits (RFC 6891 §6.1.3) */
	uint8_t qname[DNS_NAME_MAXLEN];
	uint8_t qname_len; /* 0: no question */
	uint16_t qtype, qclass;
	bool edns; /* an OPT record was present (never cached: spec 9.1) */
	unsigned nrr;
	struct wire_rr *rr; /* OPT, TSIG and other meta types left out */
	uint8_t *buf;
};

/*
 * Parses just the header and question; returns false when there is no header or question
 * to match against (spec 7.1).
 */
bool wire_peek_question(const uint8_t *msg, size_t len, struct wire_msg *m);

/*
 * Parses a whole response into m (which then owns heap memory: wire_msg_free). Returns 0,
 * -EBADMSG for anything malformed (counts that lie, bad names, rdata invalid for its type,
 * more than one question, two OPTs), -ENOMEM.
 */
__attribute__((warn_unused_result)) int wire_parse_response(const uint8_t *msg, size_t len,
							    struct wire_msg *m);
void wire_msg_free(struct wire_msg *m);

/*
 * An upstream query: RD=0 (iterative, spec 2.2) unless rd (to a forwarder), one question,
 * an OPT advertising udp_size when edns (spec 9.1). Returns the length, 0 if it does not fit.
 */
size_t wire_write_query(uint8_t *out, size_t cap, uint16_t id, const uint8_t *qname, uint16_t qtype,
			uint16_t qclass, bool edns, uint16_t udp_size, bool rd);

/* A client's answer: the header, its own question, and the sections. */
struct wire_answer {
	uint16_t id;
	uint16_t flags; /* QR, RA, RD and the rcode's low 4 bits are set by the caller */
	uint16_t rcode; /* extended: BADVERS goes into the OPT */
	const uint8_t *qname;
	uint16_t qtype, qclass;
	const struct rrset *const *answer;
	unsigned nanswer;
	const struct rrset *const *authority;
	unsigned nauthority;
	bool edns;
	uint16_t udp_size; /* advertised in our OPT */
	/* An Extended DNS Error in the OPT (RFC 8914), when edns: info-code, or -1 for none. */
	int ede;
	const char *ede_text; /* NULL or a short ASCII text */
	uint64_t now;         /* TTLs are written as what is left at this time (spec 6.1) */
};

/*
 * Writes the answer into out. When it does not fit in limit octets, writes the header with
 * TC=1, the question and the OPT only (spec 9.5). Returns the length (0 if even that does
 * not fit).
 */
size_t wire_write_answer(uint8_t *out, size_t limit, const struct wire_answer *a);
