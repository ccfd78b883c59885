/*
 * api/r53_names.c - Route 53's form of DNS names (route53-api.md §3.4).
 *
 * Route 53 compares, sorts and returns names in one stored form: lower case, a trailing dot,
 * and every octet other than [a-z0-9-_] written as a three-digit octal escape ("*" → "\052").
 * Because every comparison (CREATE/DELETE matching, list order, zone-by-name order) uses that
 * form, getting it exactly right here is what makes the rest of the engine agree with AWS.
 */
#include <stdio.h>
#include <string.h>

#include "api/r53_internal.h"
#include "dns/name.h"

static void name_err(char *msg, size_t msglen, const char *code, const char *text, const char *with)
{
	if (msg && msglen)
		snprintf(msg, msglen, "FATAL problem: %s (%s) encountered with '%s'", code, text,
			 with);
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* Octets that the stored form writes as themselves; everything else becomes \ooo. */
static bool plain_octet(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int r53_name_normalize(const char *in, char out[R53_NAME_MAX], uint8_t wire[255], char *msg,
		       size_t msglen)
{
	uint8_t w[DNS_NAME_MAXLEN + 64];
	size_t wl = 0;     /* octets written to w */
	size_t lab = 0;    /* offset of the current label's length octet */
	size_t lablen = 0; /* octets in the current label */
	size_t inlen = strlen(in);

	if (inlen == 0) {
		name_err(msg, msglen, "DomainLabelEmpty", "Domain label is empty", in);
		return -1;
	}
	/* "." alone is the root; otherwise one trailing dot is optional. */
	if (strcmp(in, ".") == 0) {
		out[0] = '.';
		out[1] = '\0';
		wire[0] = 0;
		return 0;
	}
	w[wl++] = 0;
	for (size_t i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];
		uint8_t octet;
		if (c == '.') {
			if (lablen == 0) {
				name_err(msg, msglen, "DomainLabelEmpty", "Domain label is empty",
					 in);
				return -1;
			}
			w[lab] = (uint8_t)lablen;
			lab = wl;
			lablen = 0;
			w[wl++] = 0;
			continue;
		}
		if (c == '\\') {
			/* \ooo: three octal digits, the form Route 53 documents and returns. */
			if (is_octal(in[i + 1]) && is_octal(in[i + 2]) && is_octal(in[i + 3])) {
				unsigned v = (unsigned)(in[i + 1] - '0') * 64 +
					     (unsigned)(in[i + 2] - '0') * 8 +
					     (unsigned)(in[i + 3] - '0');
				if (v > 255) {
					name_err(msg, msglen, "UnsupportedCharacter",
						 "Value contains unsupported characters", "\\");
					return -1;
				}
				octet = (uint8_t)v;
				i += 3;
			} else if (i + 1 < inlen && in[i + 1] > 32 && in[i + 1] < 127 &&
				   !(in[i + 1] >= '0' && in[i + 1] <= '9')) {
				/* \X (RFC 1035): a printable character taken literally, "\." too.
				 */
				octet = (uint8_t)in[++i];
			} else {
				name_err(msg, msglen, "UnsupportedCharacter",
					 "Value contains unsupported characters", "\\");
				return -1;
			}
		} else if (c <= 32 || c >= 127) {
			/* Raw control, space and 8-bit octets must be escaped (§3.4). */
			char with[2] = {(char)c, '\0'};
			name_err(msg, msglen, "UnsupportedCharacter",
				 "Value contains unsupported characters", with);
			return -1;
		} else {
			octet = c;
		}
		if (lablen == DNS_LABEL_MAXLEN) {
			name_err(msg, msglen, "DomainLabelTooLong", "Domain label is too long", in);
			return -1;
		}
		if (wl >= DNS_NAME_MAXLEN) {
			name_err(msg, msglen, "DomainNameTooLong", "Domain name is too long", in);
			return -1;
		}
		w[wl++] = dns_ascii_lower[octet];
		lablen++;
	}
	if (lablen > 0) {
		/* The name had no trailing dot: close the last label and add the root. */
		w[lab] = (uint8_t)lablen;
		if (wl >= DNS_NAME_MAXLEN) {
			name_err(msg, msglen, "DomainNameTooLong", "Domain name is too long", in);
			return -1;
		}
		w[wl++] = 0;
	} else {
		/* The trailing dot opened an empty label: it is the root label. */
		w[lab] = 0;
	}
	if (wl > DNS_NAME_MAXLEN) {
		name_err(msg, msglen, "DomainNameTooLong", "Domain name is too long", in);
		return -1;
	}

	/* The stored text form. 255 octets escaped at worst fit R53_NAME_MAX (4 × 255 + 1). */
	size_t o = 0;
	for (const uint8_t *p = w; *p; p += *p + 1) {
		for (unsigned k = 1; k <= *p; k++) {
			uint8_t b = p[k];
			if (plain_octet(b)) {
				out[o++] = (char)b;
			} else {
				snprintf(out + o, 5, "\\%03o", b);
				o += 4;
			}
		}
		out[o++] = '.';
	}
	out[o] = '\0';
	memcpy(wire, w, wl);
	return 0;
}

void r53_name_sort_key(const char *normalized, char out[R53_NAME_MAX])
{
	/*
	 * Labels reversed, each followed by its dot: "www.example.com." → "com.example.www.".
	 * Keeping the dot is what puts "a-b" ('-' is 45) before "a" ('.' is 46), as Route 53's
	 * list order does (§2.3). Labels of the stored form hold no literal dot (it is \056).
	 */
	size_t len = strlen(normalized);
	if (len > 0 && normalized[len - 1] == '.')
		len--;
	if (len == 0) {
		strcpy(out, ".");
		return;
	}
	if (len > R53_NAME_MAX - 2)
		len = R53_NAME_MAX - 2;
	size_t o = 0;
	size_t end = len;
	while (end > 0) {
		size_t start = end;
		while (start > 0 && normalized[start - 1] != '.')
			start--;
		memcpy(out + o, normalized + start, end - start);
		o += end - start;
		out[o++] = '.';
		end = start > 0 ? start - 1 : 0;
	}
	out[o] = '\0';
}
