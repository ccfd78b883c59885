/* dns/rdata.c - record data: type mnemonics, text → wire (libzscanner), wire → text, checks. */
#include "dns/rdata.h"

#include <arpa/inet.h>
#include <libzscanner/scanner.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cursor.h"
#include "dns/name.h"

/*
 * Mnemonics. Only those libzscanner 3.2 reads (plus the meta types, never in a zone), so that
 * everything dns_rdata_to_text and zone_dump write can be read back.
 */
static const struct {
	uint16_t type;
	const char *name;
} type_names[] = {
	{DNS_T_A, "A"},
	{DNS_T_NS, "NS"},
	{DNS_T_CNAME, "CNAME"},
	{DNS_T_SOA, "SOA"},
	{DNS_T_PTR, "PTR"},
	{DNS_T_HINFO, "HINFO"},
	{14, "MINFO"},
	{DNS_T_MX, "MX"},
	{DNS_T_TXT, "TXT"},
	{17, "RP"},
	{18, "AFSDB"},
	{21, "RT"},
	{25, "KEY"},
	{DNS_T_AAAA, "AAAA"},
	{29, "LOC"},
	{DNS_T_SRV, "SRV"},
	{DNS_T_NAPTR, "NAPTR"},
	{36, "KX"},
	{37, "CERT"},
	{DNS_T_DNAME, "DNAME"},
	{DNS_T_OPT, "OPT"},
	{42, "APL"},
	{DNS_T_DS, "DS"},
	{DNS_T_SSHFP, "SSHFP"},
	{45, "IPSECKEY"},
	{DNS_T_RRSIG, "RRSIG"},
	{DNS_T_NSEC, "NSEC"},
	{DNS_T_DNSKEY, "DNSKEY"},
	{49, "DHCID"},
	{50, "NSEC3"},
	{51, "NSEC3PARAM"},
	{DNS_T_TLSA, "TLSA"},
	{53, "SMIMEA"},
	{59, "CDS"},
	{60, "CDNSKEY"},
	{61, "OPENPGPKEY"},
	{62, "CSYNC"},
	{63, "ZONEMD"},
	{DNS_T_SVCB, "SVCB"},
	{DNS_T_HTTPS, "HTTPS"},
	{DNS_T_SPF, "SPF"},
	{104, "NID"},
	{105, "L32"},
	{106, "L64"},
	{107, "LP"},
	{108, "EUI48"},
	{109, "EUI64"},
	{249, "TKEY"},
	{DNS_T_TSIG, "TSIG"},
	{DNS_T_IXFR, "IXFR"},
	{DNS_T_AXFR, "AXFR"},
	{DNS_T_MAILB, "MAILB"},
	{DNS_T_MAILA, "MAILA"},
	{DNS_T_ANY, "ANY"},
	{256, "URI"},
	{DNS_T_CAA, "CAA"},
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

int dns_type_from_text(const char *s)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (strcasecmp(s, type_names[i].name) == 0)
			return type_names[i].type;
	if (strncasecmp(s, "TYPE", 4) != 0 || s[4] == 0)
		return -1;
	long v = 0;
	for (const char *p = s + 4; *p; p++) {
		if (*p < '0' || *p > '9' || p - s >= 4 + 5)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v <= UINT16_MAX ? (int)v : -1;
}

const char *dns_type_to_text(uint16_t type, char *buf, size_t size)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	snprintf(buf, size, "TYPE%u", type);
	return buf;
}

/* ---- structure of the wire form -------------------------------------------------------- */

/* Octets of the uncompressed name at p[0..len), or -1 (RFC 3597 §4: no pointers in rdata). */
static int name_span(const uint8_t *p, size_t len)
{
	size_t i = 0;
	while (i < len && i < DNS_NAME_MAXLEN) {
		uint8_t c = p[i];
		if (c & 0xc0)
			return -1;
		if (c == 0)
			return (int)i + 1;
		i += (size_t)c + 1;
	}
	return -1;
}

/* Reads one name at the cursor; returns its start or NULL (and sets the sticky error). */
static const uint8_t *rcur_name(struct rcur *c)
{
	int n = name_span(c->p, rcur_left(c));
	if (n < 0) {
		c->err = true;
		return NULL;
	}
	const uint8_t *name = c->p;
	c->p += n;
	return name;
}

/* Skips one <character-string> (RFC 1035 §3.3); returns its length octet's position. */
static const uint8_t *rcur_string(struct rcur *c)
{
	const uint8_t *s = c->p;
	uint8_t n = rcur_u8(c);
	rcur_skip(c, n);
	return c->err ? NULL : s;
}

/* Is every octet consumed, without error? */
static bool rcur_done(const struct rcur *c)
{
	return !c->err && c->p == c->end;
}

enum svcb_key {
	SVCB_MANDATORY = 0,
	SVCB_ALPN = 1,
	SVCB_NO_DEFAULT_ALPN = 2,
	SVCB_PORT = 3,
	SVCB_IPV4HINT = 4,
	SVCB_ECH = 5,
	SVCB_IPV6HINT = 6,
};

/* One SvcParam value of a key RFC 9460 §7 defines: is it well formed? */
static bool svcb_value_ok(uint16_t key, const uint8_t *v, uint16_t len)
{
	struct rcur c;
	switch (key) {
	case SVCB_MANDATORY:
		return len > 0 && len % 2 == 0;
	case SVCB_ALPN:
		/* One or more alpn-ids, none empty (RFC 7301 §3.1). */
		rcur_init(&c, v, len);
		do {
			uint8_t n = rcur_u8(&c);
			if (n == 0)
				return false;
			rcur_skip(&c, n);
		} while (!c.err && rcur_left(&c) > 0);
		return rcur_done(&c);
	case SVCB_NO_DEFAULT_ALPN:
		return len == 0;
	case SVCB_PORT:
		return len == 2;
	case SVCB_IPV4HINT:
		return len > 0 && len % 4 == 0;
	case SVCB_ECH:
		return len > 0;
	case SVCB_IPV6HINT:
		return len > 0 && len % 16 == 0;
	default:
		return true;
	}
}

/* RFC 9460 §2.2: SvcParams in strictly increasing key order, each value well formed. */
static bool svcb_params_ok(struct rcur *c)
{
	int32_t last = -1;
	while (!c->err && rcur_left(c) > 0) {
		uint16_t key = rcur_u16(c);
		uint16_t len = rcur_u16(c);
		const uint8_t *v = c->p;
		rcur_skip(c, len);
		if (c->err || (int32_t)key <= last || !svcb_value_ok(key, v, len))
			return false;
		last = key;
	}
	return !c->err;
}

/* RFC 4034 §4.1.2: windows in increasing order, 1-32 octets, no trailing zero octet. */
static bool type_bitmap_ok(struct rcur *c)
{
	int last = -1;
	while (!c->err && rcur_left(c) > 0) {
		uint8_t win = rcur_u8(c);
		uint8_t n = rcur_u8(c);
		const uint8_t *map = c->p;
		rcur_skip(c, n);
		if (c->err || win <= last || n == 0 || n > 32 || map[n - 1] == 0)
			return false;
		last = win;
	}
	return !c->err;
}

static bool is_alnum(uint8_t ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

bool dns_rdata_valid(uint16_t type, const uint8_t *rdata, size_t len)
{
	struct rcur c;
	rcur_init(&c, rdata, len);
	switch (type) {
	case DNS_T_A:
		return len == 4;
	case DNS_T_AAAA:
		return len == 16;
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_DNAME:
		rcur_name(&c);
		return rcur_done(&c);
	case DNS_T_SOA:
		rcur_name(&c);
		rcur_name(&c);
		rcur_skip(&c, 20);
		return rcur_done(&c);
	case DNS_T_MX:
		rcur_skip(&c, 2);
		rcur_name(&c);
		return rcur_done(&c);
	case DNS_T_SRV:
		rcur_skip(&c, 6);
		rcur_name(&c);
		return rcur_done(&c);
	case DNS_T_HINFO:
		rcur_string(&c);
		rcur_string(&c);
		return rcur_done(&c);
	case DNS_T_TXT:
	case DNS_T_SPF:
		/* One or more <character-string>s that fill the rdata exactly. */
		do
			rcur_string(&c);
		while (!c.err && rcur_left(&c) > 0);
		return rcur_done(&c);
	case DNS_T_NAPTR:
		rcur_skip(&c, 4);
		for (int i = 0; i < 3; i++)
			rcur_string(&c);
		rcur_name(&c);
		return rcur_done(&c);
	case DNS_T_DS:
		return len > 4; /* key tag, algorithm, digest type, a digest */
	case DNS_T_SSHFP:
		return len > 2;
	case DNS_T_TLSA:
		return len > 3;
	case DNS_T_DNSKEY:
		return len > 4;
	case DNS_T_RRSIG:
		rcur_skip(&c, 18);
		rcur_name(&c);
		return !c.err && rcur_left(&c) > 0;
	case DNS_T_NSEC:
		rcur_name(&c);
		return type_bitmap_ok(&c);
	case DNS_T_SVCB:
	case DNS_T_HTTPS:
		rcur_skip(&c, 2);
		rcur_name(&c);
		return svcb_params_ok(&c);
	case DNS_T_CAA: {
		/* RFC 8659 §4.1: flags, a tag of 1-15 letters and digits, the value. */
		rcur_u8(&c);
		uint8_t n = rcur_u8(&c);
		const uint8_t *tag = c.p;
		rcur_skip(&c, n);
		if (c.err || n == 0 || n > 15)
			return false;
		for (int i = 0; i < n; i++)
			if (!is_alnum(tag[i]))
				return false;
		return true;
	}
	default:
		return true; /* opaque to us (RFC 3597) */
	}
}

void dns_rdata_names(uint16_t type, const uint8_t *rdata, size_t len, struct dns_rdata_names *out)
{
	out->n = 0;
	out->compress = false;
	out->additional = -1;
	if (!dns_rdata_valid(type, rdata, len))
		return;
	size_t off = 0;
	switch (type) {
	case DNS_T_NS:
	case DNS_T_MX:
		off = type == DNS_T_MX ? 2 : 0;
		out->additional = 0;
		out->compress = true;
		break;
	case DNS_T_CNAME:
	case DNS_T_PTR:
		out->compress = true;
		break;
	case DNS_T_SOA:
		out->compress = true;
		out->n = 2;
		out->off[0] = 0;
		out->off[1] = (uint16_t)name_span(rdata, len);
		return;
	case DNS_T_DNAME: /* RFC 6672 §2.5: never compressed */
		break;
	case DNS_T_SRV: /* RFC 2782: not compressed, but its target's addresses are additional */
		off = 6;
		out->additional = 0;
		break;
	case DNS_T_NAPTR: {
		struct rcur c;
		rcur_init(&c, rdata, len);
		rcur_skip(&c, 4);
		for (int i = 0; i < 3; i++)
			rcur_string(&c);
		off = rcur_pos(&c);
		break;
	}
	case DNS_T_SVCB:
	case DNS_T_HTTPS:
		off = 2;
		break;
	case DNS_T_RRSIG: /* the signer: lower-cased in canonical form (RFC 4034 §6.2) */
		off = 18;
		break;
	default:
		return;
	}
	out->n = 1;
	out->off[0] = (uint16_t)off;
}

/* ---- wire → text ----------------------------------------------------------------------- */

/* A bounded text writer: a write that does not fit sets err and writes nothing more. */
struct out {
	char *buf;
	size_t n, size;
	bool err;
};

static void put(struct out *o, const char *s, size_t len)
{
	if (o->err || o->size - o->n <= len) {
		o->err = true;
		return;
	}
	memcpy(o->buf + o->n, s, len);
	o->n += len;
	o->buf[o->n] = 0;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void putch(struct out *o, char ch)
{
	put(o, &ch, 1);
}

__attribute__((format(printf, 2, 3))) static void putf(struct out *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		o->err = true;
	else
		put(o, tmp, (size_t)n);
}

static void put_name(struct out *o, const uint8_t *name)
{
	char tmp[4 * DNS_NAME_MAXLEN + 2];
	int n = dns_name_to_text(name, tmp, sizeof(tmp));
	if (n < 0)
		o->err = true;
	else
		put(o, tmp, (size_t)n);
}

static void put_hex(struct out *o, const uint8_t *p, size_t len)
{
	static const char digits[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len && !o->err; i++) {
		char h[2] = {digits[p[i] >> 4], digits[p[i] & 15]};
		put(o, h, 2);
	}
}

static void put_base64(struct out *o, const uint8_t *p, size_t len)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < len && !o->err; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		char q[4] = {b64[v >> 18], b64[(v >> 12) & 63],
			     i + 1 < len ? b64[(v >> 6) & 63] : '=',
			     i + 2 < len ? b64[v & 63] : '='};
		put(o, q, 4);
	}
}

/* Octets of a quoted string: printable ASCII as is, '"' and '\' escaped, others as \DDD. */
static void put_escaped(struct out *o, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len && !o->err; i++) {
		uint8_t ch = p[i];
		if (ch == '"' || ch == '\\') {
			char e[2] = {'\\', (char)ch};
			put(o, e, 2);
		} else if (ch >= 0x20 && ch < 0x7f) {
			putch(o, (char)ch);
		} else {
			putf(o, "\\%03u", ch);
		}
	}
}

static void put_quoted(struct out *o, const uint8_t *p, size_t len)
{
	putch(o, '"');
	put_escaped(o, p, len);
	putch(o, '"');
}

/* One <character-string> at the cursor, quoted (RFC 1035 §5.1). */
static void put_string(struct out *o, struct rcur *c)
{
	uint8_t n = rcur_u8(c);
	const uint8_t *s = c->p;
	rcur_skip(c, n);
	if (!c->err)
		put_quoted(o, s, n);
}

static void put_addr(struct out *o, int af, const uint8_t *p)
{
	char tmp[INET6_ADDRSTRLEN];
	if (!inet_ntop(af, p, tmp, sizeof(tmp)))
		o->err = true;
	else
		puts_(o, tmp);
}

static void put_type(struct out *o, uint16_t type)
{
	char tmp[16];
	puts_(o, dns_type_to_text(type, tmp, sizeof(tmp)));
}

/* RFC 4034 §3.2: YYYYMMDDHHmmSS, UTC, from seconds since 1970 (an unsigned 32-bit count). */
static void put_time(struct out *o, uint32_t t)
{
	/* Civil date from a day count (H. Hinnant's days_from_civil, inverted). */
	uint32_t days = t / 86400, secs = t % 86400;
	uint32_t z = days + 719468;
	uint32_t era = z / 146097;
	uint32_t doe = z - era * 146097;
	uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint32_t y = yoe + era * 400;
	uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint32_t mp = (5 * doy + 2) / 153;
	uint32_t d = doy - (153 * mp + 2) / 5 + 1;
	uint32_t m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	putf(o, "%04u%02u%02u%02u%02u%02u", y, m, d, secs / 3600, secs / 60 % 60, secs % 60);
}

static const char *const svcb_key_names[] = {
	"mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint",
};

static void put_svcb_key(struct out *o, uint16_t key)
{
	if (key < sizeof(svcb_key_names) / sizeof(svcb_key_names[0]))
		puts_(o, svcb_key_names[key]);
	else
		putf(o, "key%u", key);
}

/*
 * Can these alpn-ids be written as a bare value-list? Commas and backslashes need two levels of
 * escaping (RFC 9460 appendix A.1) that libzscanner 3.2 does not read back faithfully, and it
 * takes a one-octet id before a comma for an empty one; such values are written in the generic
 * key1="..." form instead.
 */
static bool alpn_plain(const uint8_t *v, uint16_t len)
{
	for (uint16_t i = 0; i < len; i += (uint16_t)(v[i] + 1)) {
		if (v[i] == 1 && i + 2 < len)
			return false;
		for (int k = 1; k <= v[i]; k++)
			if (v[i + k] <= 0x20 || v[i + k] >= 0x7f || strchr(",\\\";()", v[i + k]))
				return false;
	}
	return true;
}

/* RFC 9460 §7 presentation of one SvcParam (the value is already checked). */
static void put_svcb_param(struct out *o, uint16_t key, const uint8_t *v, uint16_t len)
{
	putch(o, ' ');
	switch (key) {
	case SVCB_MANDATORY:
		puts_(o, "mandatory=");
		for (uint16_t i = 0; i < len; i += 2) {
			if (i)
				putch(o, ',');
			put_svcb_key(o, get_u16(v + i));
		}
		return;
	case SVCB_ALPN:
		if (!alpn_plain(v, len))
			break;
		puts_(o, "alpn=");
		for (uint16_t i = 0; i < len; i += (uint16_t)(v[i] + 1)) {
			if (i)
				putch(o, ',');
			put(o, (const char *)v + i + 1, v[i]);
		}
		return;
	case SVCB_NO_DEFAULT_ALPN:
		puts_(o, "no-default-alpn");
		return;
	case SVCB_PORT:
		putf(o, "port=%u", get_u16(v));
		return;
	case SVCB_IPV4HINT:
	case SVCB_IPV6HINT: {
		size_t step = key == SVCB_IPV4HINT ? 4 : 16;
		put_svcb_key(o, key);
		putch(o, '=');
		for (size_t i = 0; i < len; i += step) {
			if (i)
				putch(o, ',');
			put_addr(o, key == SVCB_IPV4HINT ? AF_INET : AF_INET6, v + i);
		}
		return;
	}
	case SVCB_ECH:
		puts_(o, "ech=");
		put_base64(o, v, len);
		return;
	default:
		break;
	}
	/* Generic form "keyNNNNN" or keyNNNNN="value" (RFC 9460 §2.1). */
	putf(o, "key%u", key);
	if (len > 0) {
		putch(o, '=');
		put_quoted(o, v, len);
	}
}

/* Writes rdata already known to be valid for its type; false if the type has no own syntax. */
static bool format(struct out *o, uint16_t type, const uint8_t *rdata, size_t len)
{
	struct rcur c;
	rcur_init(&c, rdata, len);
	switch (type) {
	case DNS_T_A:
		put_addr(o, AF_INET, rdata);
		break;
	case DNS_T_AAAA:
		put_addr(o, AF_INET6, rdata);
		break;
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_DNAME:
		put_name(o, rdata);
		break;
	case DNS_T_SOA: {
		const uint8_t *mname = rcur_name(&c), *rname = rcur_name(&c);
		put_name(o, mname);
		putch(o, ' ');
		put_name(o, rname);
		for (int i = 0; i < 5; i++)
			putf(o, " %u", rcur_u32(&c));
		break;
	}
	case DNS_T_MX:
		putf(o, "%u ", rcur_u16(&c));
		put_name(o, c.p);
		break;
	case DNS_T_SRV: {
		uint16_t prio = rcur_u16(&c), weight = rcur_u16(&c), port = rcur_u16(&c);
		putf(o, "%u %u %u ", prio, weight, port);
		put_name(o, c.p);
		break;
	}
	case DNS_T_HINFO:
	case DNS_T_TXT:
	case DNS_T_SPF:
		for (int i = 0; rcur_left(&c) > 0; i++) {
			if (i)
				putch(o, ' ');
			put_string(o, &c);
		}
		break;
	case DNS_T_NAPTR: {
		uint16_t order = rcur_u16(&c), pref = rcur_u16(&c);
		putf(o, "%u %u", order, pref);
		for (int i = 0; i < 3; i++) {
			putch(o, ' ');
			put_string(o, &c);
		}
		putch(o, ' ');
		put_name(o, c.p);
		break;
	}
	case DNS_T_DS: {
		uint16_t tag = rcur_u16(&c);
		uint8_t alg = rcur_u8(&c), dt = rcur_u8(&c);
		putf(o, "%u %u %u ", tag, alg, dt);
		put_hex(o, c.p, rcur_left(&c));
		break;
	}
	case DNS_T_SSHFP: {
		uint8_t alg = rcur_u8(&c), fpt = rcur_u8(&c);
		putf(o, "%u %u ", alg, fpt);
		put_hex(o, c.p, rcur_left(&c));
		break;
	}
	case DNS_T_TLSA: {
		uint8_t usage = rcur_u8(&c), sel = rcur_u8(&c), mt = rcur_u8(&c);
		putf(o, "%u %u %u ", usage, sel, mt);
		put_hex(o, c.p, rcur_left(&c));
		break;
	}
	case DNS_T_DNSKEY: {
		uint16_t flags = rcur_u16(&c);
		uint8_t proto = rcur_u8(&c), alg = rcur_u8(&c);
		putf(o, "%u %u %u ", flags, proto, alg);
		put_base64(o, c.p, rcur_left(&c));
		break;
	}
	case DNS_T_RRSIG: {
		put_type(o, rcur_u16(&c));
		uint8_t alg = rcur_u8(&c), labels = rcur_u8(&c);
		uint32_t ttl = rcur_u32(&c);
		putf(o, " %u %u %u ", alg, labels, ttl);
		put_time(o, rcur_u32(&c));
		putch(o, ' ');
		put_time(o, rcur_u32(&c));
		putf(o, " %u ", rcur_u16(&c));
		put_name(o, rcur_name(&c));
		putch(o, ' ');
		put_base64(o, c.p, rcur_left(&c));
		break;
	}
	case DNS_T_NSEC:
		put_name(o, rcur_name(&c));
		while (rcur_left(&c) > 0) {
			uint8_t win = rcur_u8(&c), n = rcur_u8(&c);
			for (int i = 0; i < n * 8; i++)
				if (c.p[i / 8] & (0x80 >> (i % 8))) {
					putch(o, ' ');
					put_type(o, (uint16_t)(win * 256 + i));
				}
			rcur_skip(&c, n);
		}
		break;
	case DNS_T_SVCB:
	case DNS_T_HTTPS:
		putf(o, "%u ", rcur_u16(&c));
		put_name(o, rcur_name(&c));
		while (rcur_left(&c) > 0) {
			uint16_t key = rcur_u16(&c), n = rcur_u16(&c);
			put_svcb_param(o, key, c.p, n);
			rcur_skip(&c, n);
		}
		break;
	case DNS_T_CAA: {
		uint8_t flags = rcur_u8(&c), n = rcur_u8(&c);
		putf(o, "%u ", flags);
		put(o, (const char *)c.p, n);
		rcur_skip(&c, n);
		putch(o, ' ');
		put_quoted(o, c.p, rcur_left(&c));
		break;
	}
	default:
		return false;
	}
	return true;
}

int dns_rdata_to_generic(const uint8_t *rdata, size_t len, char *buf, size_t size)
{
	struct out o = {buf, 0, size, size == 0};
	if (size > 0)
		buf[0] = 0;
	putf(&o, "\\# %zu", len);
	if (len > 0) {
		putch(&o, ' ');
		put_hex(&o, rdata, len);
	}
	return o.err ? -1 : (int)o.n;
}

int dns_rdata_to_text(uint16_t type, const uint8_t *rdata, size_t len, char *buf, size_t size)
{
	if (!dns_rdata_valid(type, rdata, len))
		return -1;
	struct out o = {buf, 0, size, size == 0};
	if (size > 0)
		buf[0] = 0;
	if (!format(&o, type, rdata, len))
		return dns_rdata_to_generic(rdata, len, buf, size);
	return o.err ? -1 : (int)o.n;
}

/* ---- text → wire ----------------------------------------------------------------------- */

/*
 * Stands for the origin when there is none: a relative name comes out ending in this label,
 * which no sensible absolute name does, so it is found and refused after parsing.
 */
static const uint8_t no_origin[] = {14,  0xff, 's', 'i', 'g', 'n', 'p',  'o',
				    's', 't',  0,   'r', 'e', 'l', 0xfe, 0};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int dns_rdata_from_text(uint16_t type, const char *text, const uint8_t *origin, uint8_t *out,
			size_t cap, char *err, size_t errlen)
{
	int ret = -1;
	char tbuf[16];
	const char *tname = dns_type_to_text(type, tbuf, sizeof(tbuf));
	if (dns_type_is_meta(type)) {
		seterr(err, errlen, "type %s cannot have record data", tname);
		return -1;
	}
	if (strpbrk(text, "\r\n")) {
		seterr(err, errlen, "record data must be on one line");
		return -1;
	}
	/* One record line; "TYPEn" so that the type is exactly the one asked for. */
	size_t linelen = strlen(text) + 32;
	char *line = malloc(linelen);
	zs_scanner_t *s = malloc(sizeof(*s));
	if (!line || !s) {
		seterr(err, errlen, "out of memory");
		goto out_free;
	}
	int n = snprintf(line, linelen, "@ 0 IN TYPE%u %s\n", type, text);
	if (zs_init(s, ".", DNS_CLASS_IN, 0) != 0) {
		seterr(err, errlen, "%s", zs_strerror(s->error.code));
		goto out_free;
	}
	/* The origin goes in as wire, so no text form of it has to satisfy the scanner. */
	const uint8_t *o = origin ? origin : no_origin;
	s->zone_origin_length = (uint32_t)dns_name_len(o);
	memcpy(s->zone_origin, o, s->zone_origin_length);

	if (zs_set_input_string(s, line, (size_t)n) != 0 || zs_parse_record(s) != 0 ||
	    s->state == ZS_STATE_ERROR) {
		seterr(err, errlen, "%s", zs_strerror(s->error.code));
		goto out_deinit;
	}
	if (s->state != ZS_STATE_DATA || s->r_type != type) {
		seterr(err, errlen, "no record data");
		goto out_deinit;
	}
	if (s->r_data_length > cap) {
		seterr(err, errlen, "record data too long (%u octets)", s->r_data_length);
		goto out_deinit;
	}
	if (!origin && memmem(s->r_data, s->r_data_length, no_origin, sizeof(no_origin))) {
		seterr(err, errlen, "relative domain name without an origin");
		goto out_deinit;
	}
	if (!dns_rdata_valid(type, s->r_data, s->r_data_length)) {
		seterr(err, errlen, "malformed record data for type %s", tname);
		goto out_deinit;
	}
	memcpy(out, s->r_data, s->r_data_length);
	ret = (int)s->r_data_length;
out_deinit:
	zs_deinit(s);
out_free:
	free(s);
	free(line);
	return ret;
}
