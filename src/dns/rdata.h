/*
 * dns/rdata.h - record data of every type Route 53 supports, in wire and presentation form.
 *
 * Types with their own presentation syntax: A, AAAA, CAA, CNAME, DS, HTTPS, MX, NAPTR, NS, PTR,
 * SOA, SPF, SRV, SSHFP, SVCB, TLSA, TXT (and the common DNSKEY, RRSIG, NSEC, HINFO, DNAME).
 * Any other type uses RFC 3597's generic syntax: "\# <length> <hex>" with the type written as
 * "TYPE<n>". Text → wire goes through libzscanner (libknot-dev); wire → text is ours.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/consts.h"

/* "A" → 1, "TYPE65534" → 65534; case-insensitive. Returns -1 if unknown. */
int dns_type_from_text(const char *s);
/* 1 → "A"; a type without a mnemonic gets "TYPE<n>" written into buf (≥ 12 octets). */
const char *dns_type_to_text(uint16_t type, char *buf, size_t size);

/*
 * Presentation text of one record's data → wire. Relative names are completed with `origin`
 * (wire format; NULL means names must be absolute). Names inside rdata are written
 * uncompressed, lower case not applied. Returns the rdata length, or -1 with a message in
 * err (e.g. "invalid IPv4 address") when the text is not valid for the type. The text is one
 * line (no CR or LF); meta types (dns_type_is_meta) are refused; rdata given in RFC 3597 form
 * for a known type must pass dns_rdata_valid.
 */
int dns_rdata_from_text(uint16_t type, const char *text, const uint8_t *origin, uint8_t *out,
			size_t cap, char *err, size_t errlen);

/*
 * Wire → presentation text, as a zone file or Route 53's Value element writes it (names
 * absolute with the final dot). Returns the text length, or -1 if the rdata is malformed for
 * its type (then the caller may fall back to RFC 3597 form, which dns_rdata_to_generic writes)
 * or does not fit in size. Types without their own syntax here come out in RFC 3597 form.
 * Whatever it writes, dns_rdata_from_text reads back to the same wire: so SvcParams that
 * libzscanner 3.2 cannot read in their named form (dohpath, ohttp, alpn-ids with commas or
 * backslashes) are written as key<n>="...".
 */
int dns_rdata_to_text(uint16_t type, const uint8_t *rdata, size_t len, char *buf, size_t size);
int dns_rdata_to_generic(const uint8_t *rdata, size_t len, char *buf, size_t size);

/*
 * Is the rdata well-formed for its type (lengths, names that parse within rdlength)?
 * Used on every record loaded into a zone.
 */
bool dns_rdata_valid(uint16_t type, const uint8_t *rdata, size_t len);

/*
 * The names inside one rdata, for compression when writing an answer and for additional-section
 * processing. RFC 3597 §4: only NS, CNAME, SOA (both names), PTR, MX (and the obsolete types)
 * may be compressed on output; SRV, NAPTR etc. are written as they are. Names listed: NS, CNAME,
 * PTR, DNAME, MX, SOA (2), SRV, NAPTR, SVCB/HTTPS targets and the RRSIG signer (lower-cased in
 * canonical form, RFC 4034 §6.2). Malformed rdata (see dns_rdata_valid) lists none.
 */
struct dns_rdata_names {
	uint8_t n;         /* names found (0..2) */
	uint16_t off[2];   /* offset of each name in the rdata */
	bool compress;     /* may they be compressed in a response? */
	int8_t additional; /* index in off[] of the name whose addresses go in the
			      additional section (NS, MX, SRV targets), or -1 */
};
void dns_rdata_names(uint16_t type, const uint8_t *rdata, size_t len, struct dns_rdata_names *out);
