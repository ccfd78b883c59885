/* api/sigv4.c - AWS Signature Version 4 verification, the server's half of botocore's SigV4Auth. */
#include "api/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"

#define ALGORITHM   "AWS4-HMAC-SHA256"
#define TERMINATOR  "aws4_request"
#define SKEW        (5 * 60) /* Route 53's window; the generic AWS 15 minutes do not apply */
#define MAX_EXPIRES 604800   /* presigned URLs live at most 7 days, as AWS allows */
#define MAX_ECHO    200      /* client text quoted back in an error message */

#define MSG_MISSING "Missing Authentication Token"
#define MSG_BAD_KEY "The security token included in the request is invalid."
#define MSG_MISMATCH                                                                               \
	"The request signature we calculated does not match the signature you provided. Check "    \
	"your AWS Secret Access Key and signing method. Consult the service documentation for "    \
	"details."
#define MSG_PAYLOAD "The provided 'x-amz-content-sha256' header does not match what was computed."

/* A piece of the request: pointer and length, not NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

/* The five signing inputs, from the Authorization header or from presigned query parameters. */
struct auth {
	bool presigned;
	struct span algorithm, credential, signed_headers, signature;
	const char *date;      /* ISO 8601 basic, or an RFC 1123 Date header */
	const char *date_name; /* where it came from, for error messages */
	bool date_is_http;     /* a Date header, not X-Amz-Date */
	long expires;          /* presigned only; 0 = the skew window alone */
};

/* A growable string; an allocation failure is sticky and reported once at the end. */
struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

const char *sigv4_code(enum sigv4_result r)
{
	switch (r) {
	case SIGV4_OK:
		return "OK";
	case SIGV4_MISSING:
		return "MissingAuthenticationToken";
	case SIGV4_INCOMPLETE:
		return "IncompleteSignature";
	case SIGV4_BAD_KEY:
		return "InvalidClientTokenId";
	case SIGV4_MISMATCH:
		return "SignatureDoesNotMatch";
	}
	return "InternalFailure";
}

int sigv4_status(enum sigv4_result r)
{
	switch (r) {
	case SIGV4_OK:
		return 200;
	case SIGV4_INCOMPLETE:
		return 400; /* AWS's Coral services answer 400 for it; the others are 403 */
	case SIGV4_MISSING:
	case SIGV4_BAD_KEY:
	case SIGV4_MISMATCH:
		return 403;
	}
	return 500;
}

static void buf_grow(struct buf *b, size_t more)
{
	if (b->oom) {
		return;
	}
	if (b->len + more + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + more + 1) {
			cap *= 2;
		}
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	if (b->oom) {
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_char(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

/* RFC 3986 percent-encoding with upper-case hex, as botocore's quote(); `slash` keeps '/'. */
static void buf_encode(struct buf *b, const char *s, size_t n, bool slash)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c) || (slash && c == '/')) {
			buf_char(b, (char)c);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			buf_add(b, e, 3);
		}
	}
}

/* Writes an error message (msg may be NULL). */
__attribute__((format(printf, 3, 4))) static void set_msg(char *msg, size_t msglen, const char *fmt,
							  ...)
{
	if (!msg || msglen == 0) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

/*
 * A copy of client text to quote in an error message: cut short and reduced to printable
 * ASCII, because the message ends up in an XML document and in logs.
 */
static const char *echo(char *out, size_t outlen, const char *s, size_t n)
{
	size_t j = 0;
	for (size_t i = 0; i < n && j + 1 < outlen && i < MAX_ECHO; i++) {
		unsigned char c = (unsigned char)s[i];
		out[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[j] = '\0';
	return out;
}

static bool span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Python's str.split() whitespace for ASCII, which botocore uses to trim header values. */
static bool py_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static const char *header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++) {
		if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0) {
			return req->headers[i].value ? req->headers[i].value : "";
		}
	}
	return NULL;
}

static const char *param(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nparams; i++) {
		if (req->params[i].name && strcmp(req->params[i].name, name) == 0) {
			return req->params[i].value ? req->params[i].value : "";
		}
	}
	return NULL;
}

static struct span span_of(const char *s)
{
	return (struct span){s, s ? strlen(s) : 0};
}

/* ---- the time ---- */

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
	}
	return true;
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "20150830T123600Z" (ISO 8601 basic, UTC) to a time. */
static bool parse_iso(const char *s, time_t *t)
{
	if (strlen(s) != 16 || !digits(s, 8) || s[8] != 'T' || !digits(s + 9, 6) || s[15] != 'Z') {
		return false;
	}
	struct tm tm = {
		.tm_year = num(s, 4) - 1900,
		.tm_mon = num(s + 4, 2) - 1,
		.tm_mday = num(s + 6, 2),
		.tm_hour = num(s + 9, 2),
		.tm_min = num(s + 11, 2),
		.tm_sec = num(s + 13, 2),
	};
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60) {
		return false;
	}
	*t = timegm(&tm);
	return true;
}

/*
 * An RFC 1123 Date header, the fallback botocore signs when a Date header is present. It
 * writes the zone as "-0000" (email.utils.formatdate); HTTP's form says "GMT".
 */
static bool parse_http_date(const char *s, time_t *t)
{
	struct tm tm = {0};
	const char *end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	long off = 0;
	if (!end || *end != '\0') {
		tm = (struct tm){0};
		end = strptime(s, "%a, %d %b %Y %H:%M:%S %z", &tm);
		off = tm.tm_gmtoff;
	}
	if (!end || *end != '\0') {
		return false;
	}
	*t = timegm(&tm) - off;
	return true;
}

static void fmt_iso(time_t t, char out[17])
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16) {
		strcpy(out, "00000000T000000Z");
	}
}

/* ---- finding the signing inputs ---- */

/*
 * Parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." with the checks
 * in the order AWS's front end makes them, so the first error reported is AWS's first error.
 */
static enum sigv4_result parse_header(const char *authz, struct auth *a, char *msg, size_t msglen)
{
	char e1[MAX_ECHO + 1], e2[MAX_ECHO + 1];
	const char *p = authz;
	while (is_space(*p)) {
		p++;
	}
	const char *alg = p;
	while (*p && !is_space(*p)) {
		p++;
	}
	a->algorithm = (struct span){alg, (size_t)(p - alg)};
	if (!span_eq(a->algorithm, ALGORITHM)) {
		set_msg(msg, msglen, "Unsupported AWS 'algorithm': '%s'.",
			echo(e1, sizeof(e1), alg, (size_t)(p - alg)));
		return SIGV4_INCOMPLETE;
	}
	/* Comma-separated key=value pairs; unknown keys are ignored, as AWS ignores them. */
	while (*p) {
		while (is_space(*p) || *p == ',') {
			p++;
		}
		const char *start = p;
		while (*p && *p != ',') {
			p++;
		}
		const char *end = p;
		while (end > start && is_space(end[-1])) {
			end--;
		}
		if (end == start) {
			continue;
		}
		const char *eq = memchr(start, '=', (size_t)(end - start));
		if (!eq) {
			set_msg(msg, msglen,
				"'%s' not a valid key=value pair (missing equal-sign) in "
				"Authorization "
				"header: '%s'",
				echo(e1, sizeof(e1), start, (size_t)(end - start)),
				echo(e2, sizeof(e2), authz, strlen(authz)));
			return SIGV4_INCOMPLETE;
		}
		struct span key = {start, (size_t)(eq - start)};
		struct span val = {eq + 1, (size_t)(end - eq - 1)};
		if (span_eq(key, "Credential")) {
			a->credential = val;
		} else if (span_eq(key, "SignedHeaders")) {
			a->signed_headers = val;
		} else if (span_eq(key, "Signature")) {
			a->signature = val;
		}
	}
	return SIGV4_OK;
}

static bool lower_hex64(struct span s)
{
	if (s.n != 64)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!((s.p[i] >= '0' && s.p[i] <= '9') || (s.p[i] >= 'a' && s.p[i] <= 'f')))
			return false;
	return true;
}

/* Every missing piece in one message, as AWS lists them. */
static enum sigv4_result check_complete(const struct auth *a, char *msg, size_t msglen)
{
	struct buf b = {0};
	if (!a->presigned) {
		if (a->credential.n == 0) {
			buf_str(&b, "Authorization header requires 'Credential' parameter. ");
		}
		if (a->signature.n == 0) {
			buf_str(&b, "Authorization header requires 'Signature' parameter. ");
		}
		if (!a->signed_headers.p) {
			buf_str(&b, "Authorization header requires 'SignedHeaders' parameter. ");
		}
		if (!a->date) {
			buf_str(&b,
				"Authorization header requires existence of either a 'X-Amz-Date' "
				"or a 'Date' header. ");
		}
		if (b.len) {
			buf_str(&b, "Authorization=" ALGORITHM);
		}
	} else {
		static const char *const names[] = {"X-Amz-Algorithm", "X-Amz-Credential",
						    "X-Amz-Signature", "X-Amz-SignedHeaders",
						    "X-Amz-Date"};
		const struct span have[] = {a->algorithm, a->credential, a->signature,
					    a->signed_headers, span_of(a->date)};
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (have[i].n == 0) {
				buf_str(&b, "AWS query-string parameters must include '");
				buf_str(&b, names[i]);
				buf_str(&b, "'. ");
			}
		}
		if (b.len) {
			buf_str(&b, "Re-examine the query-string parameters.");
		}
	}
	enum sigv4_result r = SIGV4_OK;
	if (b.len || b.oom) {
		set_msg(msg, msglen, "%s", b.oom ? "Incomplete signature" : b.p);
		r = SIGV4_INCOMPLETE;
	}
	free(b.p);
	return r;
}

static bool list_has(struct span list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list.p, *end = list.p + list.n;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *e = semi ? semi : end;
		if ((size_t)(e - p) == n && strncasecmp(p, name, n) == 0) {
			return true;
		}
		p = e + 1;
	}
	return false;
}

static enum sigv4_result check_presigned_params(const struct http_request *req, struct auth *a,
						char *msg, size_t msglen)
{
	char e1[MAX_ECHO + 1];
	const char *alg = param(req, "X-Amz-Algorithm");
	a->algorithm = span_of(alg);
	a->credential = span_of(param(req, "X-Amz-Credential"));
	a->signed_headers = span_of(param(req, "X-Amz-SignedHeaders"));
	a->signature = span_of(param(req, "X-Amz-Signature"));
	a->date = param(req, "X-Amz-Date");
	if (a->date && !*a->date) {
		a->date = NULL;
	}
	a->date_name = "X-Amz-Date";
	enum sigv4_result r = check_complete(a, msg, msglen);
	if (r != SIGV4_OK) {
		return r;
	}
	if (!span_eq(a->algorithm, ALGORITHM)) {
		set_msg(msg, msglen, "Unsupported AWS 'algorithm': '%s'.",
			echo(e1, sizeof(e1), alg, strlen(alg)));
		return SIGV4_INCOMPLETE;
	}
	const char *exp = param(req, "X-Amz-Expires");
	if (exp) {
		char *end;
		long v = strtol(exp, &end, 10);
		if (!*exp || *end || !digits(exp, strlen(exp)) || v < 1 || v > MAX_EXPIRES) {
			set_msg(msg, msglen,
				"X-Amz-Expires must be a number of seconds between 1 and %d, not "
				"'%s'.",
				MAX_EXPIRES, echo(e1, sizeof(e1), exp, strlen(exp)));
			return SIGV4_INCOMPLETE;
		}
		a->expires = v;
	}
	return SIGV4_OK;
}

#define MSG_NO_HOST "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."

/*
 * The signing inputs from the Authorization header, or else from presigned query parameters,
 * checked for completeness and for the headers that must be signed.
 */
static enum sigv4_result find_auth(const struct http_request *req, struct auth *a, char *msg,
				   size_t msglen)
{
	const char *authz = header(req, "authorization");
	enum sigv4_result r;
	if (authz && *authz) {
		r = parse_header(authz, a, msg, msglen);
		if (r != SIGV4_OK) {
			return r;
		}
		/* X-Amz-Date wins over Date, as on AWS; botocore sends one or the other. */
		a->date = header(req, "x-amz-date");
		a->date_name = "X-Amz-Date";
		if (!a->date) {
			a->date = header(req, "date");
			a->date_name = "Date";
			a->date_is_http = a->date != NULL;
		}
		r = check_complete(a, msg, msglen);
		if (r != SIGV4_OK) {
			return r;
		}
		/* AWS answers these with SignatureDoesNotMatch, not IncompleteSignature. */
		if (!list_has(a->signed_headers, "host")) {
			set_msg(msg, msglen, "%s", MSG_NO_HOST);
			return SIGV4_MISMATCH;
		}
		/* An unsigned date would let a captured request be replayed at any time. */
		if (!list_has(a->signed_headers, a->date_is_http ? "date" : "x-amz-date")) {
			set_msg(msg, msglen,
				"'%s' must be a 'SignedHeader' in the AWS Authorization.",
				a->date_name);
			return SIGV4_MISMATCH;
		}
		return SIGV4_OK;
	}
	if (param(req, "X-Amz-Algorithm") || param(req, "X-Amz-Signature")) {
		a->presigned = true;
		r = check_presigned_params(req, a, msg, msglen);
		if (r != SIGV4_OK) {
			return r;
		}
		if (!list_has(a->signed_headers, "host")) {
			set_msg(msg, msglen, "%s", MSG_NO_HOST);
			return SIGV4_MISMATCH;
		}
		return SIGV4_OK;
	}
	set_msg(msg, msglen, "%s", MSG_MISSING);
	return SIGV4_MISSING;
}

/* The signature's date against `now`: Route 53 allows five minutes either way. */
static enum sigv4_result check_time(const struct auth *a, time_t now, char iso[17], char *msg,
				    size_t msglen)
{
	char e1[MAX_ECHO + 1];
	time_t t;
	bool ok = a->date_is_http ? parse_http_date(a->date, &t) : parse_iso(a->date, &t);
	if (!ok) {
		set_msg(msg, msglen,
			"Date must be in ISO-8601 'basic format'. Got '%s'. See "
			"http://en.wikipedia.org/wiki/ISO_8601",
			echo(e1, sizeof(e1), a->date, strlen(a->date)));
		return SIGV4_INCOMPLETE;
	}
	if (a->date_is_http) {
		fmt_iso(t, iso);
	} else {
		/* The text as signed: timegm() would quietly turn February 30th into March. */
		memcpy(iso, a->date, 17);
	}
	char snow[17], sbound[17];
	fmt_iso(now, snow);
	if (a->expires > 0 && t <= now && now - t > a->expires) {
		fmt_iso(now - a->expires, sbound);
		set_msg(msg, msglen, "Signature expired: %s is now earlier than %s (%s - %ld sec.)",
			iso, sbound, snow, a->expires);
		return SIGV4_MISMATCH;
	}
	if (a->expires == 0 && t < now - SKEW) {
		fmt_iso(now - SKEW, sbound);
		set_msg(msg, msglen, "Signature expired: %s is now earlier than %s (%s - 5 min.)",
			iso, sbound, snow);
		return SIGV4_MISMATCH;
	}
	if (t > now + SKEW) {
		fmt_iso(now + SKEW, sbound);
		set_msg(msg, msglen,
			"Signature not yet current: %s is still later than %s (%s + 5 min.)", iso,
			sbound, snow);
		return SIGV4_MISMATCH;
	}
	return SIGV4_OK;
}

/* The credential scope: key id, date, region, service, terminator. */
struct scope {
	struct span key, date, region, service, term;
};

static bool region_ok(struct span r)
{
	if (r.n < 1 || r.n > 32) {
		return false;
	}
	for (size_t i = 0; i < r.n; i++) {
		char c = r.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
			return false;
		}
	}
	return true;
}

static enum sigv4_result check_scope(const struct auth *a, const char *service, const char *iso,
				     struct scope *s, char *msg, size_t msglen)
{
	char e1[MAX_ECHO + 1];
	struct span c = a->credential;
	while (c.n > 0 && c.p[c.n - 1] == '/') {
		c.n--; /* AWS ignores trailing slashes here */
	}
	struct span part[5];
	size_t np = 0;
	const char *p = c.p, *end = c.p + c.n;
	for (;;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *e = slash ? slash : end;
		if (np < 5) {
			part[np] = (struct span){p, (size_t)(e - p)};
		}
		np++;
		if (!slash) {
			break;
		}
		p = slash + 1;
	}
	if (np != 5) {
		set_msg(msg, msglen,
			"Credential must have exactly 5 slash-delimited elements, e.g. "
			"keyid/date/region/service/term, got '%s'",
			echo(e1, sizeof(e1), a->credential.p, a->credential.n));
		return SIGV4_INCOMPLETE;
	}
	*s = (struct scope){part[0], part[1], part[2], part[3], part[4]};

	struct buf b = {0};
	char tmp[MAX_ECHO + 1];
	if (!region_ok(s->region)) {
		buf_str(&b, "Credential should be scoped to a valid region, not '");
		buf_str(&b, echo(tmp, sizeof(tmp), s->region.p, s->region.n));
		buf_str(&b, "'. ");
	}
	if (!span_eq(s->service, service)) {
		buf_str(&b, "Credential should be scoped to correct service: '");
		buf_str(&b, service);
		buf_str(&b, "'. ");
	}
	if (!span_eq(s->term, TERMINATOR)) {
		buf_str(&b, "Credential should be scoped with a valid terminator: '" TERMINATOR
			    "', not '");
		buf_str(&b, echo(tmp, sizeof(tmp), s->term.p, s->term.n));
		buf_str(&b, "'. ");
	}
	if (s->date.n != 8 || memcmp(s->date.p, iso, 8) != 0) {
		buf_str(&b,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version "
			"of date from HTTP: '");
		buf_str(&b, echo(tmp, sizeof(tmp), s->date.p, s->date.n));
		buf_str(&b, "' != '");
		buf_add(&b, iso, 8);
		buf_str(&b, "', from '");
		buf_str(&b, iso);
		buf_str(&b, "'. ");
	}
	enum sigv4_result r = SIGV4_OK;
	if (b.len || b.oom) {
		if (!b.oom) {
			b.p[--b.len] = '\0'; /* the last sentence's trailing space */
		}
		set_msg(msg, msglen, "%s", b.oom ? MSG_MISMATCH : b.p);
		r = SIGV4_MISMATCH;
	}
	free(b.p);
	return r;
}

/* ---- the canonical request ---- */

/*
 * botocore: quote(remove_dot_segments(path), safe='/~') on the path as sent, so '%' is
 * encoded again and "%2F" is signed as "%252F" (every service but S3).
 */
static void canonical_uri(struct buf *b, const char *raw)
{
	size_t n = strcspn(raw, "?#");
	if (n == 0) {
		buf_char(b, '/');
		return;
	}
	/* Segments kept so far, as offsets into raw; ".." pops one. */
	size_t cap = n / 2 + 2, nseg = 0;
	struct span *seg = malloc(cap * sizeof(*seg));
	if (!seg) {
		b->oom = true;
		return;
	}
	const char *p = raw, *end = raw + n;
	while (p <= end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *e = slash ? slash : end;
		struct span s = {p, (size_t)(e - p)};
		if (s.n == 0 || span_eq(s, ".")) {
			/* empty segments (so "//" collapses) and "." vanish */
		} else if (span_eq(s, "..")) {
			if (nseg > 0) {
				nseg--;
			}
		} else if (nseg < cap) {
			seg[nseg++] = s;
		}
		if (!slash) {
			break;
		}
		p = slash + 1;
	}
	if (raw[0] == '/') {
		buf_char(b, '/');
	}
	for (size_t i = 0; i < nseg; i++) {
		if (i > 0) {
			buf_char(b, '/');
		}
		buf_encode(b, seg[i].p, seg[i].n, true);
	}
	if (raw[n - 1] == '/' && nseg > 0) {
		buf_char(b, '/');
	}
	free(seg);
}

struct qpair {
	char *key, *val;
};

static int qpair_cmp(const void *x, const void *y)
{
	const struct qpair *a = x, *b = y;
	int c = strcmp(a->key, b->key);
	return c ? c : strcmp(a->val, b->val);
}

static char *encoded(const char *s)
{
	struct buf b = {0};
	buf_str(&b, ""); /* an empty string is still a string */
	buf_encode(&b, s, strlen(s), false);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* Sorted by encoded key, then encoded value; a presigned request leaves out its signature. */
static void canonical_query(struct buf *b, const struct http_request *req, bool presigned)
{
	if (req->nparams == 0) {
		return;
	}
	struct qpair *q = calloc(req->nparams, sizeof(*q));
	if (!q) {
		b->oom = true;
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < req->nparams; i++) {
		const char *k = req->params[i].name ? req->params[i].name : "";
		const char *v = req->params[i].value ? req->params[i].value : "";
		if (presigned && strcmp(k, "X-Amz-Signature") == 0) {
			continue;
		}
		q[n].key = encoded(k);
		q[n].val = encoded(v);
		n++;
		if (!q[n - 1].key || !q[n - 1].val) {
			b->oom = true;
			break;
		}
	}
	if (!b->oom) {
		qsort(q, n, sizeof(*q), qpair_cmp);
		for (size_t i = 0; i < n; i++) {
			if (i > 0) {
				buf_char(b, '&');
			}
			buf_str(b, q[i].key);
			buf_char(b, '=');
			buf_str(b, q[i].val);
		}
	}
	for (size_t i = 0; i < n; i++) {
		free(q[i].key);
		free(q[i].val);
	}
	free(q);
}

/* A value trimmed and with inner whitespace runs collapsed to one space (botocore's split()). */
static void add_trimmed(struct buf *b, const char *v)
{
	bool pending = false, any = false;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (py_space(*p)) {
			pending = any;
			continue;
		}
		if (pending) {
			buf_char(b, ' ');
			pending = false;
		}
		buf_char(b, (char)*p);
		any = true;
	}
}

/*
 * "name:value\n" for each SignedHeaders name, in the order given (botocore's is sorted, and
 * the list itself is signed). Repeated headers are joined with ','. A signed header the
 * request lacks is signed empty: it can only match if the client signed it empty too.
 */
static void canonical_headers(struct buf *b, const struct http_request *req, struct span list)
{
	const char *p = list.p, *end = list.p + list.n;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *e = semi ? semi : end;
		size_t n = (size_t)(e - p);
		for (size_t i = 0; i < n; i++) {
			char c = p[i];
			buf_char(b, (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c);
		}
		buf_char(b, ':');
		bool first = true;
		for (size_t i = 0; i < req->nheaders; i++) {
			const char *name = req->headers[i].name;
			if (name && strlen(name) == n && strncasecmp(name, p, n) == 0) {
				if (!first) {
					buf_char(b, ',');
				}
				add_trimmed(b, req->headers[i].value ? req->headers[i].value : "");
				first = false;
			}
		}
		buf_char(b, '\n');
		p = e + 1;
	}
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	static const char digit[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digit[d[i] >> 4];
		out[2 * i + 1] = digit[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	SHA256(data, n, d);
	hex(d, sizeof(d), out);
}

static bool hmac(const void *key, size_t keylen, const void *data, size_t n,
		 unsigned char out[SHA256_DIGEST_LENGTH])
{
	unsigned int len = 0;
	return HMAC(EVP_sha256(), key, (int)keylen, data, n, out, &len) && len == 32;
}

/*
 * kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"),
 * which changes once a day per key: each thread keeps the last few it derived, keyed by the
 * secret's SHA-256 (never the secret itself) and the scope. Four HMACs were 30% of the CPU of
 * a one-record change batch.
 */
#define KEY_CACHE 4
struct key_cache {
	unsigned char secret_sha[SHA256_DIGEST_LENGTH];
	char scope[8 + 1 + 32 + 1 + 32 + 1]; /* "DATE REGION SERVICE" */
	unsigned char k[SHA256_DIGEST_LENGTH];
	bool used;
};
static _Thread_local struct key_cache key_cache[KEY_CACHE];
static _Thread_local unsigned key_cache_next;

static bool derive_key(const char *secret, const struct scope *s,
		       unsigned char out[SHA256_DIGEST_LENGTH])
{
	size_t slen = strlen(secret);
	unsigned char sha[SHA256_DIGEST_LENGTH];
	char scope[sizeof(key_cache[0].scope)];
	/* verify's parser allows no longer scopes; sigv4_sign's callers might: no caching. */
	bool cacheable = s->date.n <= 8 && s->region.n <= 32 && s->service.n <= 32;
	SHA256((const unsigned char *)secret, slen, sha);
	snprintf(scope, sizeof(scope), "%.*s %.*s %.*s", (int)s->date.n, s->date.p,
		 (int)s->region.n, s->region.p, (int)s->service.n, s->service.p);
	for (unsigned i = 0; cacheable && i < KEY_CACHE; i++) {
		struct key_cache *c = &key_cache[i];
		if (c->used && memcmp(c->secret_sha, sha, sizeof(sha)) == 0 &&
		    strcmp(c->scope, scope) == 0) {
			memcpy(out, c->k, SHA256_DIGEST_LENGTH);
			return true;
		}
	}
	unsigned char *k0 = malloc(slen + 4);
	unsigned char k1[SHA256_DIGEST_LENGTH];
	bool ok = k0 != NULL;
	if (ok) {
		memcpy(k0, "AWS4", 4);
		memcpy(k0 + 4, secret, slen);
		ok = hmac(k0, slen + 4, s->date.p, s->date.n, k1) &&
		     hmac(k1, sizeof(k1), s->region.p, s->region.n, out) &&
		     hmac(out, SHA256_DIGEST_LENGTH, s->service.p, s->service.n, k1) &&
		     hmac(k1, sizeof(k1), TERMINATOR, strlen(TERMINATOR), out);
		OPENSSL_cleanse(k0, slen + 4);
	}
	OPENSSL_cleanse(k1, sizeof(k1));
	free(k0);
	if (ok && cacheable) {
		struct key_cache *c = &key_cache[key_cache_next++ % KEY_CACHE];
		memcpy(c->secret_sha, sha, sizeof(sha));
		memcpy(c->scope, scope, sizeof(scope));
		memcpy(c->k, out, SHA256_DIGEST_LENGTH);
		c->used = true;
	}
	return ok;
}

static bool signature(const char *secret, const struct scope *s, const char *sts, char out[65])
{
	unsigned char k[SHA256_DIGEST_LENGTH], sig[SHA256_DIGEST_LENGTH];
	bool ok = derive_key(secret, s, k) && hmac(k, sizeof(k), sts, strlen(sts), sig);
	if (ok)
		hex(sig, sizeof(sig), out);
	OPENSSL_cleanse(k, sizeof(k));
	return ok;
}

/* The payload's hash: always computed from the body, which is why the body is never trusted. */
static enum sigv4_result payload_hash(const struct http_request *req, char out[65], char *msg,
				      size_t msglen)
{
	sha256_hex(req->body ? (const void *)req->body : (const void *)"", req->body_len, out);
	const char *claimed = header(req, "x-amz-content-sha256");
	if (claimed && strcasecmp(claimed, out) != 0) {
		/* UNSIGNED-PAYLOAD and STREAMING-* land here too: Route 53 bodies are signed. */
		set_msg(msg, msglen, "%s", MSG_PAYLOAD);
		return SIGV4_MISMATCH;
	}
	if (claimed) {
		/* botocore signs the header's text, whatever its case. */
		memcpy(out, claimed, 64);
	}
	return SIGV4_OK;
}

enum sigv4_result sigv4_verify(const struct http_request *req, const char *service,
			       const struct sigv4_key *keys, size_t nkeys, time_t now,
			       const struct sigv4_key **key, char *msg, size_t msglen)
{
	struct auth a = {0};
	struct scope s;
	struct buf creq = {0}, sts = {0};
	char iso[17], body_hash[65], creq_hash[65], want[65];
	const struct sigv4_key *found = NULL;
	enum sigv4_result r;

	const struct sigv4_key *ignored;
	if (!key) {
		key = &ignored;
	}
	*key = NULL;
	if (msg && msglen) {
		msg[0] = '\0';
	}
	r = find_auth(req, &a, msg, msglen);
	if (r != SIGV4_OK) {
		goto out;
	}
	r = check_time(&a, now, iso, msg, msglen);
	if (r != SIGV4_OK) {
		goto out;
	}
	r = check_scope(&a, service, iso, &s, msg, msglen);
	if (r != SIGV4_OK) {
		goto out;
	}
	for (size_t i = 0; i < nkeys && !found; i++) {
		if (keys[i].access_key_id && keys[i].secret_access_key &&
		    span_eq(s.key, keys[i].access_key_id)) {
			found = &keys[i];
		}
	}
	/* Session tokens are never issued here, so none can be valid. */
	if (!found || header(req, "x-amz-security-token") || param(req, "X-Amz-Security-Token")) {
		set_msg(msg, msglen, "%s", MSG_BAD_KEY);
		r = SIGV4_BAD_KEY;
		goto out;
	}
	r = payload_hash(req, body_hash, msg, msglen);
	if (r != SIGV4_OK) {
		goto out;
	}

	buf_str(&creq, req->method ? req->method : "");
	buf_char(&creq, '\n');
	canonical_uri(&creq, req->raw_path ? req->raw_path : req->path ? req->path : "");
	buf_char(&creq, '\n');
	canonical_query(&creq, req, a.presigned);
	buf_char(&creq, '\n');
	canonical_headers(&creq, req, a.signed_headers);
	buf_char(&creq, '\n');
	buf_add(&creq, a.signed_headers.p, a.signed_headers.n);
	buf_char(&creq, '\n');
	buf_str(&creq, body_hash);
	if (creq.oom) {
		set_msg(msg, msglen, "%s", MSG_MISMATCH);
		r = SIGV4_MISMATCH;
		goto out;
	}
	sha256_hex(creq.p, creq.len, creq_hash);

	buf_str(&sts, ALGORITHM "\n");
	buf_str(&sts, iso);
	buf_char(&sts, '\n');
	buf_add(&sts, a.credential.p + s.key.n + 1,
		(size_t)(s.term.p + s.term.n - (a.credential.p + s.key.n + 1)));
	buf_char(&sts, '\n');
	buf_str(&sts, creq_hash);
	if (sts.oom || !signature(found->secret_access_key, &s, sts.p, want)) {
		set_msg(msg, msglen, "%s", MSG_MISMATCH);
		r = SIGV4_MISMATCH;
		goto out;
	}
	/* api-security.md §2: a signature is 64 lower-case hex digits; anything else does not
	   conform (checked last, so the scope, key and date errors keep their precedence). */
	if (!lower_hex64(a.signature)) {
		set_msg(msg, msglen, "The request signature does not conform to AWS standards.");
		r = SIGV4_INCOMPLETE;
		goto out;
	}
	/* Constant time over the expected length: a wrong length fails without a timing hint. */
	bool same = CRYPTO_memcmp(a.signature.p, want, 64) == 0;
	if (!same) {
		log_debug("sigv4: signature mismatch for %.*s; "
			  "CanonicalRequest:\n%s\nStringToSign:\n%s",
			  (int)s.key.n, s.key.p, creq.p, sts.p);
		set_msg(msg, msglen, "%s", MSG_MISMATCH);
		r = SIGV4_MISMATCH;
		goto out;
	}
	*key = found;
	r = SIGV4_OK;
out:
	free(creq.p);
	free(sts.p);
	return r;
}

int sigv4_sign(const struct http_request *req, const char *signed_headers, const char *region,
	       const char *service, const struct sigv4_key *key, char *out, size_t outlen)
{
	const char *date = header(req, "x-amz-date");
	time_t t;
	if (!date || !parse_iso(date, &t) || !signed_headers || !region || !service || !key ||
	    !key->access_key_id || !key->secret_access_key || !out) {
		return -1;
	}
	/* The same inputs sigv4_verify() rebuilds: the canonical request, then the scope. */
	char body_hash[65], creq_hash[65], sig[65];
	const char *claimed = header(req, "x-amz-content-sha256");
	if (claimed && strlen(claimed) == 64) {
		memcpy(body_hash, claimed, 65);
	} else {
		sha256_hex(req->body ? (const void *)req->body : (const void *)"", req->body_len,
			   body_hash);
	}
	struct span list = span_of(signed_headers);
	struct buf creq = {0}, sts = {0};
	buf_str(&creq, req->method ? req->method : "");
	buf_char(&creq, '\n');
	canonical_uri(&creq, req->raw_path ? req->raw_path : req->path ? req->path : "");
	buf_char(&creq, '\n');
	canonical_query(&creq, req, false);
	buf_char(&creq, '\n');
	canonical_headers(&creq, req, list);
	buf_char(&creq, '\n');
	buf_add(&creq, list.p, list.n);
	buf_char(&creq, '\n');
	buf_str(&creq, body_hash);
	int rc = -1;
	if (creq.oom) {
		goto out;
	}
	sha256_hex(creq.p, creq.len, creq_hash);

	struct scope s = {
		.key = span_of(key->access_key_id),
		.date = {date, 8},
		.region = span_of(region),
		.service = span_of(service),
		.term = span_of(TERMINATOR),
	};
	buf_str(&sts, ALGORITHM "\n");
	buf_str(&sts, date);
	buf_char(&sts, '\n');
	buf_add(&sts, date, 8);
	buf_char(&sts, '/');
	buf_str(&sts, region);
	buf_char(&sts, '/');
	buf_str(&sts, service);
	buf_str(&sts, "/" TERMINATOR "\n");
	buf_str(&sts, creq_hash);
	if (sts.oom || !signature(key->secret_access_key, &s, sts.p, sig)) {
		goto out;
	}
	int n = snprintf(out, outlen,
			 ALGORITHM " Credential=%s/%.8s/%s/%s/" TERMINATOR
				   ", SignedHeaders=%s, Signature=%s",
			 key->access_key_id, date, region, service, signed_headers, sig);
	rc = n > 0 && (size_t)n < outlen ? 0 : -1;
out:
	free(creq.p);
	free(sts.p);
	return rc;
}
