/* dns/name.c - domain names: length, comparison, hashing, (de)compression, text form. */
#include "dns/name.h"

#include <stdio.h>
#include <string.h>

#define L(c) (uint8_t)((c) >= 'A' && (c) <= 'Z' ? (c) | 0x20 : (c))
#define ROW(b)                                                                                     \
	L(b + 0), L(b + 1), L(b + 2), L(b + 3), L(b + 4), L(b + 5), L(b + 6), L(b + 7), L(b + 8),  \
		L(b + 9), L(b + 10), L(b + 11), L(b + 12), L(b + 13), L(b + 14), L(b + 15)
const uint8_t dns_ascii_lower[256] = {
	ROW(0),   ROW(16),  ROW(32),  ROW(48),  ROW(64),  ROW(80),  ROW(96),  ROW(112),
	ROW(128), ROW(144), ROW(160), ROW(176), ROW(192), ROW(208), ROW(224), ROW(240),
};
#undef ROW
#undef L

size_t dns_name_len(const uint8_t *name)
{
	const uint8_t *p = name;
	while (*p)
		p += *p + 1;
	return (size_t)(p - name) + 1;
}

int dns_name_labels(const uint8_t *name)
{
	int n = 0;
	for (const uint8_t *p = name; *p; p += *p + 1)
		n++;
	return n;
}

void dns_name_lower(uint8_t *name)
{
	for (uint8_t *p = name; *p; p += *p + 1)
		for (int i = 1; i <= *p; i++)
			p[i] = dns_ascii_lower[p[i]];
}

static bool label_equal(const uint8_t *a, const uint8_t *b)
{
	if (*a != *b)
		return false;
	for (int i = 1; i <= *a; i++)
		if (dns_ascii_lower[a[i]] != dns_ascii_lower[b[i]])
			return false;
	return true;
}

bool dns_name_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (!label_equal(a, b))
			return false;
		if (*a == 0)
			return true;
		a += *a + 1;
		b += *b + 1;
	}
}

int dns_name_label_offsets(const uint8_t *name, uint8_t off[DNS_MAX_LABELS])
{
	int n = 0;
	const uint8_t *p = name;
	while (*p && n < DNS_MAX_LABELS) {
		off[n++] = (uint8_t)(p - name);
		p += *p + 1;
	}
	return n;
}

bool dns_name_is_sub(const uint8_t *name, const uint8_t *parent)
{
	int ln = dns_name_labels(name), lp = dns_name_labels(parent);
	if (ln < lp)
		return false;
	while (ln-- > lp)
		name += *name + 1;
	return dns_name_equal(name, parent);
}

static int label_cmp(const uint8_t *a, const uint8_t *b)
{
	int la = *a, lb = *b, n = la < lb ? la : lb;
	for (int i = 1; i <= n; i++) {
		int d = dns_ascii_lower[a[i]] - dns_ascii_lower[b[i]];
		if (d)
			return d;
	}
	return la - lb;
}

int dns_name_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[DNS_MAX_LABELS], ob[DNS_MAX_LABELS];
	int na = dns_name_label_offsets(a, oa), nb = dns_name_label_offsets(b, ob);
	/* RFC 4034 §6.1: compare from the most significant (rightmost) label. */
	while (na > 0 && nb > 0) {
		int d = label_cmp(a + oa[--na], b + ob[--nb]);
		if (d)
			return d;
	}
	return na - nb;
}

uint64_t dns_name_hash_step(uint64_t parent, const uint8_t *label)
{
	/* FNV-1a style mixing over the lower-cased label, then a finaliser (splitmix64). */
	uint64_t h = parent ^ ((uint64_t)*label << 56);
	for (int i = 1; i <= *label; i++) {
		h ^= dns_ascii_lower[label[i]];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

uint64_t dns_name_hash(const uint8_t *name)
{
	uint8_t off[DNS_MAX_LABELS];
	int n = dns_name_label_offsets(name, off);
	uint64_t h = DNS_NAME_HASH_ROOT;
	while (n > 0)
		h = dns_name_hash_step(h, name + off[--n]);
	return h;
}

int dns_name_unpack(const uint8_t *msg, size_t len, size_t *pos, uint8_t out[DNS_NAME_MAXLEN])
{
	size_t p = *pos, run_start = *pos, end_pos = 0, outlen = 0;
	bool jumped = false;
	for (int hops = 0;;) {
		if (p >= len)
			return -1;
		uint8_t c = msg[p];
		if ((c & 0xc0) == 0xc0) {
			if (p + 1 >= len)
				return -1;
			size_t target = (size_t)(c & 0x3f) << 8 | msg[p + 1];
			/* RFC 9267: pointers strictly backwards from where this run of labels
			   began, never into the header; so no loops are possible. */
			if (target >= run_start || target < DNS_HEADER_SIZE || ++hops > 127)
				return -1;
			if (!jumped)
				end_pos = p + 2;
			jumped = true;
			p = run_start = target;
			continue;
		}
		if (c & 0xc0)
			return -1; /* reserved label types 01 and 10 */
		if (p + 1 + c > len || outlen + 1 + c > DNS_NAME_MAXLEN)
			return -1;
		memcpy(out + outlen, msg + p, (size_t)c + 1);
		outlen += (size_t)c + 1;
		p += (size_t)c + 1;
		if (c == 0)
			break;
	}
	*pos = jumped ? end_pos : p;
	return (int)outlen;
}

static int digit(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : -1;
}

int dns_name_from_text(const char *text, const uint8_t *origin, uint8_t out[DNS_NAME_MAXLEN])
{
	if (strcmp(text, "@") == 0 || strcmp(text, ".") == 0) {
		const uint8_t root = 0;
		const uint8_t *src = text[0] == '@' ? origin : &root;
		if (!src)
			return -1;
		size_t l = dns_name_len(src);
		memcpy(out, src, l);
		return (int)l;
	}
	uint8_t label[DNS_LABEL_MAXLEN];
	size_t n = 0, ll = 0;
	bool absolute = false;
	for (const char *s = text;;) {
		int c = (unsigned char)*s;
		if (c == 0 || c == '.') {
			if (ll == 0 || n + 1 + ll > DNS_NAME_MAXLEN - 1)
				return -1; /* empty label, or too long for the root label */
			out[n++] = (uint8_t)ll;
			memcpy(out + n, label, ll);
			n += ll;
			ll = 0;
			if (c == 0)
				break;
			if (*++s == 0) {
				absolute = true;
				break;
			}
			continue;
		}
		s++;
		if (c == '\\') {
			if (digit(s[0]) >= 0) {
				if (digit(s[1]) < 0 || digit(s[2]) < 0)
					return -1;
				c = digit(s[0]) * 100 + digit(s[1]) * 10 + digit(s[2]);
				if (c > 255)
					return -1;
				s += 3;
			} else if (*s) {
				c = (unsigned char)*s++;
			} else {
				return -1;
			}
		}
		if (ll == DNS_LABEL_MAXLEN)
			return -1;
		label[ll++] = (uint8_t)c;
	}
	if (absolute) {
		out[n++] = 0;
		return (int)n;
	}
	if (!origin)
		return -1;
	size_t ol = dns_name_len(origin);
	if (n + ol > DNS_NAME_MAXLEN)
		return -1;
	memcpy(out + n, origin, ol);
	return (int)(n + ol);
}

int dns_name_to_text(const uint8_t *name, char *buf, size_t size)
{
	size_t n = 0;
	if (*name == 0) {
		if (size < 2)
			return -1;
		buf[0] = '.';
		buf[1] = 0;
		return 1;
	}
	for (const uint8_t *p = name; *p; p += *p + 1) {
		for (int i = 1; i <= *p; i++) {
			uint8_t c = p[i];
			if (n + 5 >= size)
				return -1;
			if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' ||
			    c == '@' || c == '$') {
				buf[n++] = '\\';
				buf[n++] = (char)c;
			} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				   (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*' ||
				   c == '/') {
				buf[n++] = (char)c;
			} else {
				n += (size_t)snprintf(buf + n, size - n, "\\%03u", c);
			}
		}
		if (n + 2 > size)
			return -1;
		buf[n++] = '.';
	}
	buf[n] = 0;
	return (int)n;
}

void dns_compr_init(struct dns_compr *c, const uint8_t *msg)
{
	c->msg = msg;
	c->n = 0;
}

void dns_compr_add(struct dns_compr *c, uint16_t off)
{
	if (c->n < DNS_COMPR_MAX && off < 0x4000)
		c->off[c->n++] = off;
}

/*
 * Does the (possibly compressed) name at msg + off equal the uncompressed suffix `s`?
 * Only names we wrote ourselves are followed, so pointers are trusted but still bounded.
 */
static bool suffix_at(const uint8_t *msg, uint16_t off, const uint8_t *s)
{
	for (int hops = 0; hops < 128;) {
		const uint8_t *p = msg + off;
		if ((*p & 0xc0) == 0xc0) {
			off = (uint16_t)((p[0] & 0x3f) << 8 | p[1]);
			hops++;
			continue;
		}
		if (!label_equal(p, s))
			return false;
		if (*s == 0)
			return true;
		off = (uint16_t)(off + *p + 1);
		s += *s + 1;
	}
	return false;
}

int dns_name_pack(struct dns_compr *c, const uint8_t *name, uint8_t *out, size_t cap)
{
	size_t len = dns_name_len(name);
	const uint8_t *s = name;
	size_t prefix = 0; /* octets written before the pointer */
	int ptr = -1;
	if (c) {
		/* The longest suffix already in the message wins; try suffixes longest first. */
		for (; *s && ptr < 0; s += *s + 1) {
			for (int i = 0; i < c->n; i++) {
				if (suffix_at(c->msg, c->off[i], s)) {
					ptr = c->off[i];
					break;
				}
			}
			if (ptr >= 0)
				break;
		}
		prefix = (size_t)(s - name);
	}
	size_t need = ptr >= 0 ? prefix + 2 : len;
	if (need > cap)
		return -1;
	memcpy(out, name, ptr >= 0 ? prefix : len);
	if (ptr >= 0) {
		out[prefix] = (uint8_t)(0xc0 | ptr >> 8);
		out[prefix + 1] = (uint8_t)ptr;
	}
	if (c) {
		/* Every label written in full starts a suffix later names can point to. */
		size_t base = (size_t)(out - c->msg);
		for (const uint8_t *p = name; p < name + prefix || (ptr < 0 && *p); p += *p + 1)
			dns_compr_add(c, (uint16_t)(base + (size_t)(p - name)));
	}
	return (int)need;
}
