/*
 * dns/msg.h - parsing a query message (RFC 1035 §4.1, EDNS(0) per RFC 6891).
 *
 * The parser reads a whole message (header, question, and every RR of the three sections)
 * through a bounded cursor. It never allocates and costs O(message size).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/consts.h"

/* What the server should do with a message, decided by dns_query_parse(). */
enum dns_parse_result {
	DNS_PARSE_OK = 0, /* a well-formed query: answer it */
	DNS_PARSE_DROP,   /* not even a header, or a response (QR=1): send nothing */
	DNS_PARSE_ERROR,  /* reply with `rcode` (FORMERR, NOTIMP, BADVERS); question if `qname_len`
			   */
};

struct dns_query {
	uint16_t id;
	uint16_t flags; /* the header's flags word as received */
	uint16_t qdcount, ancount, nscount, arcount;
	uint8_t qname[DNS_NAME_MAXLEN]; /* as received: its case is echoed */
	uint8_t qname_len;              /* 0 when the question did not parse */
	uint16_t qtype;
	uint16_t qclass;
	uint16_t question_end; /* offset just past the question section */
	/* EDNS(0) */
	bool edns;    /* an OPT record was present */
	bool edns_do; /* DNSSEC OK */
	uint8_t edns_version;
	uint16_t edns_udp_size; /* advertised payload size, as sent */
	/* When the result is DNS_PARSE_ERROR: the rcode (extended, e.g. DNS_RC_BADVERS = 16). */
	uint16_t rcode;
};

/*
 * Parses msg[0..len) as a query. Always fills what it could parse (id, flags, question) so an
 * error reply can echo them. FORMERR for: QDCOUNT ≠ 1, a name or RR that does not parse, data
 * missing for the counts, two OPT records, OPT outside the additional section or not owned by
 * the root. NOTIMP for opcodes other than QUERY. BADVERS for EDNS version > 0.
 * Extra bytes after the last RR are tolerated (as NSD and Knot do).
 */
enum dns_parse_result dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *q);
