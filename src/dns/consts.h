/* dns/consts.h - numeric constants of the DNS protocol (RFC 1035, 6891, IANA registries). */
#pragma once
#include <stdint.h>

#define DNS_HEADER_SIZE  12
#define DNS_NAME_MAXLEN  255 /* octets of a wire-format name, root label included */
#define DNS_LABEL_MAXLEN 63
#define DNS_MAX_LABELS   128 /* 127 labels plus the root */
#define DNS_UDP_MIN      512 /* RFC 1035 §2.3.4: without EDNS */
#define DNS_MSG_MAX      65535
/* Largest UDP payload we send and advertise (DNS flag day 2020, as NSD and Knot). */
#define DNS_EDNS_MAX_UDP 1232

enum dns_class { DNS_CLASS_IN = 1, DNS_CLASS_CH = 3, DNS_CLASS_NONE = 254, DNS_CLASS_ANY = 255 };

enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_HINFO = 13,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_SRV = 33,
	DNS_T_NAPTR = 35,
	DNS_T_DNAME = 39,
	DNS_T_OPT = 41,
	DNS_T_DS = 43,
	DNS_T_SSHFP = 44,
	DNS_T_RRSIG = 46,
	DNS_T_NSEC = 47,
	DNS_T_DNSKEY = 48,
	DNS_T_TLSA = 52,
	DNS_T_SVCB = 64,
	DNS_T_HTTPS = 65,
	DNS_T_SPF = 99,
	DNS_T_TSIG = 250,
	DNS_T_IXFR = 251,
	DNS_T_AXFR = 252,
	DNS_T_MAILB = 253,
	DNS_T_MAILA = 254,
	DNS_T_ANY = 255,
	DNS_T_CAA = 257,
};

enum dns_opcode {
	DNS_OP_QUERY = 0,
	DNS_OP_IQUERY = 1,
	DNS_OP_STATUS = 2,
	DNS_OP_NOTIFY = 4,
	DNS_OP_UPDATE = 5
};

enum dns_rcode {
	DNS_RC_NOERROR = 0,
	DNS_RC_FORMERR = 1,
	DNS_RC_SERVFAIL = 2,
	DNS_RC_NXDOMAIN = 3,
	DNS_RC_NOTIMP = 4,
	DNS_RC_REFUSED = 5,
	DNS_RC_NOTAUTH = 9,
	DNS_RC_BADVERS = 16, /* extended: upper 8 bits go in the OPT TTL */
};

/* Header flag bits in the 16-bit flags word (RFC 1035 §4.1.1, RFC 4035). */
#define DNS_F_QR          0x8000
#define DNS_F_AA          0x0400
#define DNS_F_TC          0x0200
#define DNS_F_RD          0x0100
#define DNS_F_RA          0x0080
#define DNS_F_AD          0x0020
#define DNS_F_CD          0x0010
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xf)
#define DNS_RCODE(flags)  ((flags)&0xf)

#define DNS_EDNS_DO 0x8000 /* in the OPT TTL's low 16 bits */

/* Types that are meta or query-only (RFC 6895 §3.1): never stored in a zone. */
static inline int dns_type_is_meta(uint16_t t)
{
	return t == DNS_T_OPT || (t >= 128 && t <= 255) || t == 0;
}
