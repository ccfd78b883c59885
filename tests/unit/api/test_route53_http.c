/*
 * tests/unit/api/test_route53_http.c - api/route53_http.c driven directly: hand-built
 * http_requests, signed here with SigV4 (OpenSSL) by fixed keys, against the real engine on a
 * temporary store. Checks that nothing unsigned reaches the XML parser or the engine, the
 * routes (model table, trailing slash, prefixed ids, unknown paths and methods, unimplemented
 * operations), AWS's error document, Route 53's validation messages and the response shapes in
 * model member order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "api/r53.h"
#include "api/route53_http.h"
#include "zone/db.h"

#define AKID   "AKIDSIGNPOSTUNITTEST"
#define SECRET "unit/test+secret/key/0123456789abcdefghij"
#define NS     "https://route53.amazonaws.com/doc/2013-04-01/"

static const struct sigv4_key KEYS[] = {{AKID, SECRET}};

static char tmpdir[256];
static struct zone_db *db;
static struct r53 *eng;
static struct route53_http *api;

/* ---- a client: requests built and signed as botocore does (api-security.md §2) ---- */

struct req {
	struct http_request r;
	char method[8];
	char raw_path[1024];
	char path[1024];
	struct http_kv params[8];
	char pbuf[8][2][256];
	struct http_kv headers[4];
	char date[20];
	char auth[512];
};

struct resp {
	struct http_response r;
	char *body; /* NUL-terminated copy */
};

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
	uint8_t md[32];
	SHA256(data, n, md);
	hex(md, 32, out);
}

static void hmac(const void *key, size_t klen, const char *msg, uint8_t out[32])
{
	unsigned int len = 32;
	HMAC(EVP_sha256(), key, (int)klen, (const uint8_t *)msg, strlen(msg), out, &len);
}

/* RFC 3986 unreserved kept; `keep_slash` for the canonical URI. */
static void uri_encode(const char *s, bool keep_slash, char *out)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~' ||
		    (keep_slash && ch == '/'))
			*out++ = (char)ch;
		else
			out += sprintf(out, "%%%02X", ch);
	}
	*out = '\0';
}

static void decode(const char *s, char *out)
{
	for (; *s; s++) {
		unsigned v;
		if (s[0] == '%' && sscanf(s + 1, "%2x", &v) == 1) {
			*out++ = (char)v;
			s += 2;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

static int cmp_pairs(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	int c = strcmp(x[0], y[0]);
	return c ? c : strcmp(x[1], y[1]);
}

/* Signs with (key, secret) at `when`, scope region us-west-2 (any region is accepted). */
static void sign(struct req *q, const char *key, const char *secret, time_t when)
{
	struct tm tm;
	gmtime_r(&when, &tm);
	strftime(q->date, sizeof(q->date), "%Y%m%dT%H%M%SZ", &tm);
	char day[9];
	memcpy(day, q->date, 8);
	day[8] = '\0';
	q->headers[1] = (struct http_kv){"x-amz-date", q->date};
	q->r.nheaders = 2;

	char curi[4096], cq[4096] = "", enc[2][1024], norm[1024];
	/* botocore's remove_dot_segments collapses "//" (there are no dot segments here). */
	char *w = norm;
	for (const char *r = q->raw_path; *r; r++)
		if (!(*r == '/' && w > norm && w[-1] == '/'))
			*w++ = *r;
	*w = '\0';
	uri_encode(norm, true, curi);
	char *pairs[8][2];
	for (size_t i = 0; i < q->r.nparams; i++) {
		uri_encode(q->params[i].name, false, enc[0]);
		uri_encode(q->params[i].value, false, enc[1]);
		pairs[i][0] = strdup(enc[0]);
		pairs[i][1] = strdup(enc[1]);
	}
	qsort(pairs, q->r.nparams, sizeof(pairs[0]), cmp_pairs);
	for (size_t i = 0; i < q->r.nparams; i++) {
		sprintf(cq + strlen(cq), "%s%s=%s", i ? "&" : "", pairs[i][0], pairs[i][1]);
		free(pairs[i][0]);
		free(pairs[i][1]);
	}
	char body_hash[65];
	sha256_hex(q->r.body ? (const void *)q->r.body : "", q->r.body_len, body_hash);
	char creq[16384];
	snprintf(creq, sizeof(creq), "%s\n%s\n%s\nhost:%s\nx-amz-date:%s\n\nhost;x-amz-date\n%s",
		 q->method, curi, cq, q->headers[0].value, q->date, body_hash);
	char creq_hash[65], sts[512];
	sha256_hex(creq, strlen(creq), creq_hash);
	snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s/us-west-2/route53/aws4_request\n%s",
		 q->date, day, creq_hash);
	char k0[128];
	uint8_t k[32];
	snprintf(k0, sizeof(k0), "AWS4%s", secret);
	hmac(k0, strlen(k0), day, k);
	hmac(k, 32, "us-west-2", k);
	hmac(k, 32, "route53", k);
	hmac(k, 32, "aws4_request", k);
	uint8_t sig[32];
	char sighex[65];
	hmac(k, 32, sts, sig);
	hex(sig, 32, sighex);
	snprintf(q->auth, sizeof(q->auth),
		 "AWS4-HMAC-SHA256 Credential=%s/%s/us-west-2/route53/aws4_request, "
		 "SignedHeaders=host;x-amz-date, Signature=%s",
		 key, day, sighex);
	q->headers[2] = (struct http_kv){"authorization", q->auth};
	q->r.nheaders = 3;
}

/*
 * A request: raw_path as sent (percent-encoded), query as "k=v&k=v" (values plain, no '&'
 * or '=' in them), body or NULL.
 */
static void build(struct req *q, const char *method, const char *raw_path, const char *query,
		  const char *body)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->method, sizeof(q->method), "%s", method);
	snprintf(q->raw_path, sizeof(q->raw_path), "%s", raw_path);
	decode(raw_path, q->path);
	size_t n = 0;
	if (query) {
		char copy[2048];
		snprintf(copy, sizeof(copy), "%s", query);
		for (char *save = NULL, *kv = strtok_r(copy, "&", &save); kv && n < 8;
		     kv = strtok_r(NULL, "&", &save), n++) {
			char *eq = strchr(kv, '=');
			if (eq)
				*eq = '\0';
			snprintf(q->pbuf[n][0], 256, "%s", kv);
			snprintf(q->pbuf[n][1], 256, "%s", eq ? eq + 1 : "");
			q->params[n] = (struct http_kv){q->pbuf[n][0], q->pbuf[n][1]};
		}
	}
	q->headers[0] = (struct http_kv){"host", "127.0.0.1:8053"};
	q->r = (struct http_request){
		.method = q->method,
		.path = q->path,
		.raw_path = q->raw_path,
		.params = q->params,
		.nparams = n,
		.headers = q->headers,
		.nheaders = 1,
		.body = (const uint8_t *)body,
		.body_len = body ? strlen(body) : 0,
	};
}

static void resp_free(struct resp *p)
{
	free(p->r.body);
	for (size_t i = 0; i < HTTP_MAX_EXTRA_HEADERS; i++)
		free(p->r.header_storage[i]);
	free(p->body);
	memset(p, 0, sizeof(*p));
}

static const char *resp_header(const struct resp *p, const char *name)
{
	for (size_t i = 0; i < p->r.nheaders; i++)
		if (strcasecmp(p->r.headers[i].name, name) == 0)
			return p->r.headers[i].value;
	return NULL;
}

static void run(struct req *q, struct resp *p)
{
	memset(p, 0, sizeof(*p));
	route53_http_handle(api, &q->r, &p->r);
	p->body = strndup(p->r.body ? p->r.body : "", p->r.body_len);
	assert_non_null(p->body);
}

/* Signed request → response. */
static void call(struct resp *p, const char *method, const char *raw_path, const char *query,
		 const char *body)
{
	struct req q;
	build(&q, method, raw_path, query, body);
	sign(&q, AKID, SECRET, time(NULL));
	run(&q, p);
}

/* Undoes the writer's escapes (the messages quote values with '). */
static void unescape(char *s)
{
	static const char *const ents[][2] = {
		{"&apos;", "'"}, {"&quot;", "\""}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}};
	char *w = s;
	for (const char *r = s; *r;) {
		size_t i;
		for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
			if (strncmp(r, ents[i][0], strlen(ents[i][0])) == 0)
				break;
		if (i < sizeof(ents) / sizeof(ents[0])) {
			*w++ = ents[i][1][0];
			r += strlen(ents[i][0]);
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* The text of the first <tag>…</tag> in s (copied into out, unescaped), or NULL. */
static const char *elem(const char *s, const char *tag, char *out, size_t outlen)
{
	char open[96], close[96];
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	const char *a = strstr(s, open);
	if (!a)
		return NULL;
	a += strlen(open);
	const char *b = strstr(a, close);
	if (!b)
		return NULL;
	snprintf(out, outlen, "%.*s", (int)(b - a), a);
	unescape(out);
	return out;
}

/* An AWS error document with this status and code; returns the message. */
static const char *expect_error(struct resp *p, int status, const char *code, char *msg,
				size_t msglen)
{
	char buf[256];
	if (p->r.status != status || !elem(p->body, "Code", buf, sizeof(buf)) ||
	    strcmp(buf, code) != 0)
		fail_msg("expected %d %s, got %d: %s", status, code, p->r.status, p->body);
	assert_string_equal(p->r.content_type, "text/xml");
	assert_non_null(strstr(p->body, "<ErrorResponse xmlns=\"" NS "\"><Error><Type>"));
	assert_string_equal(elem(p->body, "Type", buf, sizeof(buf)),
			    status >= 500 ? "Receiver" : "Sender");
	/* The request id of the header is the one in the body. */
	const char *rid = resp_header(p, "x-amzn-RequestId");
	assert_non_null(rid);
	assert_int_equal(strlen(rid), 36);
	assert_string_equal(elem(p->body, "RequestId", buf, sizeof(buf)), rid);
	assert_non_null(elem(p->body, "Message", msg, msglen));
	return msg;
}

/* Each element starts, in this order (model member order). */
static void expect_order(const char *body, const char *const *tags)
{
	const char *at = body;
	for (; *tags; tags++) {
		size_t n = strlen(*tags);
		const char *f = at;
		while ((f = strchr(f, '<')) != NULL) {
			f++;
			if (strncmp(f, *tags, n) == 0 && (f[n] == '>' || f[n] == ' '))
				break;
		}
		if (!f)
			fail_msg("<%s> missing or out of order in %s", *tags, body);
		at = f + n;
	}
}

static void stats(struct route53_http_stats *s)
{
	route53_http_stats(api, s);
}

/* ---- fixtures ---- */

static const char *const test_ns[R53_NS_COUNT] = {
	"ns-1.awsdns-01.com.",
	"ns-2.awsdns-02.net.",
	"ns-3.awsdns-03.org.",
	"ns-4.awsdns-04.co.uk.",
};

static int open_all(double rate, unsigned burst)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/signpost-test-r53http-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	db = zone_db_new();
	assert_non_null(db);
	struct r53_config cfg = {
		.data_dir = tmpdir, .db = db, .max_zones = 500, .max_rrsets_per_zone = 10000};
	for (int i = 0; i < R53_NS_COUNT; i++)
		cfg.name_servers[i] = test_ns[i];
	struct r53_error e = {0};
	assert_int_equal(r53_open(&cfg, &eng, &e), 0);
	struct route53_http_config hc = {
		.engine = eng, .keys = KEYS, .nkeys = 1, .rate = rate, .burst = burst};
	api = route53_http_new(&hc);
	assert_non_null(api);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return open_all(0, 0);
}

static int teardown(void **state)
{
	(void)state;
	route53_http_free(api);
	r53_close(eng);
	zone_db_free(db);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static const char CREATE_ZONE[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<CreateHostedZoneRequest xmlns=\"" NS "\"><Name>Example.COM</Name>"
	"<CallerReference>ref-1</CallerReference>"
	"<HostedZoneConfig><Comment>first</Comment></HostedZoneConfig>"
	"</CreateHostedZoneRequest>";

/* Creates example.com. and returns its bare id. */
static void create_zone(char id[64])
{
	struct resp p;
	call(&p, "POST", "/2013-04-01/hostedzone", NULL, CREATE_ZONE);
	assert_int_equal(p.r.status, 201);
	char full[96];
	assert_non_null(elem(p.body, "Id", full, sizeof(full)));
	assert_memory_equal(full, "/hostedzone/Z", 13);
	snprintf(id, 64, "%.40s", full + strlen("/hostedzone/"));
	resp_free(&p);
}

static uint64_t zone_count(void)
{
	uint64_t n = 0;
	struct r53_error e = {0};
	assert_int_equal(r53_hosted_zone_count(eng, &n, &e), 0);
	return n;
}

/* ---- SigV4 first ---- */

static void test_unsigned_never_reaches_parser_or_engine(void **state)
{
	(void)state;
	struct req q;
	struct resp p;
	char msg[512];
	build(&q, "POST", "/2013-04-01/hostedzone", NULL, CREATE_ZONE);
	run(&q, &p);
	expect_error(&p, 403, "MissingAuthenticationToken", msg, sizeof(msg));
	resp_free(&p);

	/* Unknown key, wrong secret, a changed body, an old date: refused the same way. */
	build(&q, "POST", "/2013-04-01/hostedzone", NULL, CREATE_ZONE);
	sign(&q, "AKIDNOBODYKNOWSTHIS1", SECRET, time(NULL));
	run(&q, &p);
	expect_error(&p, 403, "InvalidClientTokenId", msg, sizeof(msg));
	resp_free(&p);

	build(&q, "POST", "/2013-04-01/hostedzone", NULL, CREATE_ZONE);
	sign(&q, AKID, "not-the-secret-at-all", time(NULL));
	run(&q, &p);
	expect_error(&p, 403, "SignatureDoesNotMatch", msg, sizeof(msg));
	resp_free(&p);

	build(&q, "POST", "/2013-04-01/hostedzone", NULL, CREATE_ZONE);
	sign(&q, AKID, SECRET, time(NULL));
	q.r.body_len--; /* one byte less than was signed */
	run(&q, &p);
	expect_error(&p, 403, "SignatureDoesNotMatch", msg, sizeof(msg));
	resp_free(&p);

	build(&q, "POST", "/2013-04-01/hostedzone", NULL, CREATE_ZONE);
	sign(&q, AKID, SECRET, time(NULL) - 6 * 60);
	run(&q, &p);
	expect_error(&p, 403, "SignatureDoesNotMatch", msg, sizeof(msg));
	assert_non_null(strstr(msg, "Signature expired"));
	resp_free(&p);

	/* Malformed XML unsigned: still an authentication error, not InvalidInput. */
	build(&q, "POST", "/2013-04-01/hostedzone", NULL, "<<<not xml");
	run(&q, &p);
	expect_error(&p, 403, "MissingAuthenticationToken", msg, sizeof(msg));
	resp_free(&p);

	/* Unknown paths are authenticated too. */
	build(&q, "GET", "/nothing/here", NULL, NULL);
	run(&q, &p);
	expect_error(&p, 403, "MissingAuthenticationToken", msg, sizeof(msg));
	resp_free(&p);

	struct route53_http_stats s;
	stats(&s);
	assert_int_equal(s.requests, 7);
	assert_int_equal(s.auth_failures, 7);
	assert_int_equal(s.bodies_parsed, 0);
	assert_int_equal(s.engine_calls, 0);
	assert_int_equal(zone_count(), 0);

	/* The same request signed goes through. */
	call(&p, "POST", "/2013-04-01/hostedzone", NULL, CREATE_ZONE);
	assert_int_equal(p.r.status, 201);
	resp_free(&p);
	stats(&s);
	assert_int_equal(s.bodies_parsed, 1);
	assert_int_equal(s.engine_calls, 1);
	assert_int_equal(zone_count(), 1);
}

/* ---- hosted zones ---- */

static void test_create_get_list_delete_zone(void **state)
{
	(void)state;
	struct resp p;
	call(&p, "POST", "/2013-04-01/hostedzone", NULL, CREATE_ZONE);
	assert_int_equal(p.r.status, 201);
	assert_string_equal(p.r.content_type, "text/xml");
	assert_non_null(strstr(p.body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				       "<CreateHostedZoneResponse xmlns=\"" NS "\"><HostedZone><Id>"
				       "/hostedzone/Z"));
	static const char *const order[] = {
		"HostedZone",    "Id",          "Name",        "CallerReference",
		"Config",        "Comment",     "PrivateZone", "ResourceRecordSetCount",
		"ChangeInfo",    "Id",          "Status",      "SubmittedAt",
		"DelegationSet", "NameServers", "NameServer",  NULL};
	expect_order(p.body, order);
	char buf[256], id[64];
	assert_string_equal(elem(p.body, "Name", buf, sizeof(buf)), "example.com.");
	assert_string_equal(elem(p.body, "Comment", buf, sizeof(buf)), "first");
	assert_string_equal(elem(p.body, "ResourceRecordSetCount", buf, sizeof(buf)), "2");
	/* Name servers without the trailing dot; the change id with its prefix. */
	assert_string_equal(elem(p.body, "NameServer", buf, sizeof(buf)), "ns-1.awsdns-01.com");
	assert_non_null(strstr(p.body, "<ChangeInfo><Id>/change/C"));
	assert_null(strstr(p.body, "<VPC>"));
	elem(p.body, "Id", buf, sizeof(buf));
	snprintf(id, sizeof(id), "%.40s", buf + strlen("/hostedzone/"));
	char loc[256];
	snprintf(loc, sizeof(loc), "http://127.0.0.1:8053/2013-04-01/hostedzone/%s", id);
	assert_non_null(resp_header(&p, "Location"));
	assert_string_equal(resp_header(&p, "Location"), loc);
	assert_non_null(resp_header(&p, "x-amzn-RequestId"));
	resp_free(&p);

	/* The same CallerReference again: HostedZoneAlreadyExists, 409, from the engine. */
	char msg[512];
	call(&p, "POST", "/2013-04-01/hostedzone", NULL, CREATE_ZONE);
	expect_error(&p, 409, "HostedZoneAlreadyExists", msg, sizeof(msg));
	resp_free(&p);

	/* GetHostedZone by bare id and by the URL-encoded prefixed id. */
	char path[256];
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s", id);
	call(&p, "GET", path, NULL, NULL);
	assert_int_equal(p.r.status, 200);
	static const char *const get_order[] = {"GetHostedZoneResponse", "HostedZone",  "Id",
						"DelegationSet",         "NameServers", NULL};
	expect_order(p.body, get_order);
	resp_free(&p);
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%%2Fhostedzone%%2F%s", id);
	call(&p, "GET", path, NULL, NULL);
	assert_int_equal(p.r.status, 200);
	resp_free(&p);

	call(&p, "GET", "/2013-04-01/hostedzone/ZNOSUCHZONE", NULL, NULL);
	expect_error(&p, 404, "NoSuchHostedZone", msg, sizeof(msg));
	assert_string_equal(msg, "No hosted zone found with ID: ZNOSUCHZONE");
	resp_free(&p);

	call(&p, "GET", "/2013-04-01/hostedzone/Z123456789012345678901234567890123", NULL, NULL);
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_string_equal(msg, "1 validation error detected: Value "
				 "'Z123456789012345678901234567890123' at 'id' failed to satisfy "
				 "constraint: Member must have length less than or equal to 32");
	resp_free(&p);

	/* UpdateHostedZoneComment with no body at all (botocore sends none without Comment). */
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s", id);
	call(&p, "POST", path, NULL, NULL);
	assert_int_equal(p.r.status, 200);
	assert_non_null(strstr(p.body, "<UpdateHostedZoneCommentResponse xmlns="));
	resp_free(&p);
	call(&p, "POST", path, NULL,
	     "<UpdateHostedZoneCommentRequest xmlns=\"" NS "\"><Comment>second</Comment>"
	     "</UpdateHostedZoneCommentRequest>");
	assert_int_equal(p.r.status, 200);
	assert_string_equal(elem(p.body, "Comment", buf, sizeof(buf)), "second");
	resp_free(&p);

	call(&p, "GET", "/2013-04-01/hostedzonecount", NULL, NULL);
	assert_int_equal(p.r.status, 200);
	assert_string_equal(elem(p.body, "HostedZoneCount", buf, sizeof(buf)), "1");
	resp_free(&p);

	call(&p, "GET", "/2013-04-01/hostedzone", NULL, NULL);
	assert_int_equal(p.r.status, 200);
	static const char *const list_order[] = {"HostedZones", "HostedZone", "IsTruncated",
						 "MaxItems", NULL};
	expect_order(p.body, list_order);
	assert_null(strstr(p.body, "<Marker>"));
	assert_string_equal(elem(p.body, "MaxItems", buf, sizeof(buf)), "100");
	assert_string_equal(elem(p.body, "IsTruncated", buf, sizeof(buf)), "false");
	resp_free(&p);

	call(&p, "GET", "/2013-04-01/hostedzone", "maxitems=abc", NULL);
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	resp_free(&p);

	call(&p, "GET", "/2013-04-01/hostedzonesbyname", "dnsname=example.com", NULL);
	assert_int_equal(p.r.status, 200);
	static const char *const byname_order[] = {"HostedZones", "HostedZone", "DNSName",
						   "IsTruncated", "MaxItems",   NULL};
	expect_order(p.body, byname_order);
	resp_free(&p);
	call(&p, "GET", "/2013-04-01/hostedzonesbyname", "hostedzoneid=Z1", NULL);
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	resp_free(&p);

	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s/dnssec", id);
	call(&p, "GET", path, NULL, NULL);
	assert_int_equal(p.r.status, 200);
	assert_non_null(strstr(p.body, "<Status><ServeSignature>NOT_SIGNING</ServeSignature>"
				       "</Status><KeySigningKeys></KeySigningKeys>"));
	resp_free(&p);

	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s", id);
	call(&p, "DELETE", path, NULL, NULL);
	assert_int_equal(p.r.status, 200);
	assert_non_null(strstr(p.body, "<DeleteHostedZoneResponse xmlns=\"" NS "\"><ChangeInfo>"
				       "<Id>/change/C"));
	resp_free(&p);
	assert_int_equal(zone_count(), 0);
}

static void test_list_zones_pages(void **state)
{
	(void)state;
	struct resp p;
	char body[512], buf[128];
	for (int i = 0; i < 3; i++) {
		snprintf(body, sizeof(body),
			 "<CreateHostedZoneRequest xmlns=\"" NS "\"><Name>z%d.example</Name>"
			 "<CallerReference>page-%d</CallerReference></CreateHostedZoneRequest>",
			 i, i);
		call(&p, "POST", "/2013-04-01/hostedzone", NULL, body);
		assert_int_equal(p.r.status, 201);
		resp_free(&p);
	}
	call(&p, "GET", "/2013-04-01/hostedzone", "maxitems=2", NULL);
	assert_int_equal(p.r.status, 200);
	assert_string_equal(elem(p.body, "IsTruncated", buf, sizeof(buf)), "true");
	assert_string_equal(elem(p.body, "MaxItems", buf, sizeof(buf)), "2");
	char next[64], query[128];
	assert_non_null(elem(p.body, "NextMarker", next, sizeof(next)));
	assert_int_equal(next[0], 'Z'); /* the bare id */
	resp_free(&p);
	snprintf(query, sizeof(query), "maxitems=2&marker=%s", next);
	call(&p, "GET", "/2013-04-01/hostedzone", query, NULL);
	assert_int_equal(p.r.status, 200);
	assert_string_equal(elem(p.body, "Marker", buf, sizeof(buf)), next);
	assert_string_equal(elem(p.body, "IsTruncated", buf, sizeof(buf)), "false");
	assert_null(strstr(p.body, "<NextMarker>"));
	resp_free(&p);
}

/* ---- record sets ---- */

#define CHANGE_BATCH(changes)                                                                      \
	"<ChangeResourceRecordSetsRequest xmlns=\"" NS "\"><ChangeBatch><Comment>c</Comment>"      \
	"<Changes>" changes "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"

static void test_change_and_list_rrsets(void **state)
{
	(void)state;
	char id[64], path[256], buf[256], msg[1024];
	struct resp p;
	create_zone(id);
	/* The CLI's path has the trailing slash; accept it without too. */
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s/rrset/", id);
	call(&p, "POST", path, NULL,
	     CHANGE_BATCH("<Change><Action>CREATE</Action><ResourceRecordSet><Name>WWW.example.com"
			  "</Name><Type>A</Type><TTL>300</TTL><ResourceRecords><ResourceRecord>"
			  "<Value>192.0.2.1</Value></ResourceRecord><ResourceRecord><Value>"
			  "192.0.2.2</Value></ResourceRecord></ResourceRecords>"
			  "</ResourceRecordSet></Change>"));
	assert_int_equal(p.r.status, 200);
	static const char *const ci_order[] = {"ChangeResourceRecordSetsResponse",
					       "ChangeInfo",
					       "Id",
					       "Status",
					       "SubmittedAt",
					       "Comment",
					       NULL};
	expect_order(p.body, ci_order);
	char change[64];
	assert_non_null(elem(p.body, "Id", change, sizeof(change)));
	resp_free(&p);

	/* GetChange by bare and by prefixed id. */
	snprintf(path, sizeof(path), "/2013-04-01/change/%s", change + strlen("/change/"));
	call(&p, "GET", path, NULL, NULL);
	assert_int_equal(p.r.status, 200);
	assert_string_equal(elem(p.body, "Status", buf, sizeof(buf)), "INSYNC");
	resp_free(&p);
	call(&p, "GET", "/2013-04-01/change/CNOSUCHCHANGE", NULL, NULL);
	expect_error(&p, 404, "NoSuchChange", msg, sizeof(msg));
	resp_free(&p);

	/* The same CREATE again, without the trailing slash: the engine's InvalidChangeBatch. */
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s/rrset", id);
	call(&p, "POST", path, NULL,
	     CHANGE_BATCH("<Change><Action>CREATE</Action><ResourceRecordSet><Name>www.example.com"
			  "</Name><Type>A</Type><TTL>300</TTL><ResourceRecords><ResourceRecord>"
			  "<Value>192.0.2.1</Value></ResourceRecord></ResourceRecords>"
			  "</ResourceRecordSet></Change>"));
	expect_error(&p, 400, "InvalidChangeBatch", msg, sizeof(msg));
	assert_string_equal(msg, "[Tried to create resource record set [name='www.example.com.', "
				 "type='A'] but it already exists]");
	resp_free(&p);

	/* List: model member order inside each ResourceRecordSet. */
	call(&p, "GET", path, NULL, NULL);
	assert_int_equal(p.r.status, 200);
	static const char *const rr_order[] = {"ListResourceRecordSetsResponse",
					       "ResourceRecordSets",
					       "ResourceRecordSet",
					       "Name",
					       "Type",
					       "TTL",
					       "ResourceRecords",
					       "ResourceRecord",
					       "Value",
					       "IsTruncated",
					       "MaxItems",
					       NULL};
	expect_order(p.body, rr_order);
	assert_non_null(strstr(p.body,
			       "<ResourceRecordSet><Name>www.example.com.</Name><Type>A"
			       "</Type><TTL>300</TTL><ResourceRecords><ResourceRecord><Value>"
			       "192.0.2.1</Value></ResourceRecord><ResourceRecord><Value>"
			       "192.0.2.2</Value></ResourceRecord></ResourceRecords>"
			       "</ResourceRecordSet>"));
	assert_string_equal(elem(p.body, "MaxItems", buf, sizeof(buf)), "300");
	resp_free(&p);

	/* One per page: the Next* members name the next set. */
	call(&p, "GET", path, "maxitems=1", NULL);
	assert_int_equal(p.r.status, 200);
	assert_string_equal(elem(p.body, "IsTruncated", buf, sizeof(buf)), "true");
	static const char *const next_order[] = {"IsTruncated", "NextRecordName", "NextRecordType",
						 "MaxItems", NULL};
	expect_order(p.body, next_order);
	resp_free(&p);

	call(&p, "GET", path, "type=A", NULL);
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	resp_free(&p);
	call(&p, "GET", path, "name=example.com&type=BOGUS", NULL);
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_non_null(strstr(msg, "at 'startRecordType' failed to satisfy constraint: Member "
				    "must satisfy enum value set: [SOA, A, TXT"));
	resp_free(&p);

	/* An alias record set: no TTL, AliasTarget in order. */
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s/rrset/", id);
	char body[2048];
	snprintf(body, sizeof(body),
		 CHANGE_BATCH("<Change><Action>CREATE</Action><ResourceRecordSet><Name>"
			      "alias.example.com</Name><Type>A</Type><AliasTarget><HostedZoneId>"
			      "%s</HostedZoneId><DNSName>www.example.com</DNSName>"
			      "<EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget>"
			      "</ResourceRecordSet></Change>"),
		 id);
	call(&p, "POST", path, NULL, body);
	assert_int_equal(p.r.status, 200);
	resp_free(&p);
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s/rrset", id);
	call(&p, "GET", path, NULL, NULL);
	snprintf(body, sizeof(body),
		 "<ResourceRecordSet><Name>alias.example.com.</Name><Type>A</Type><AliasTarget>"
		 "<HostedZoneId>%s</HostedZoneId><DNSName>www.example.com.</DNSName>"
		 "<EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget>"
		 "</ResourceRecordSet>",
		 id);
	if (!strstr(p.body, body))
		fail_msg("alias set not listed as %s in %s", body, p.body);
	resp_free(&p);
}

/* Route 53's schema messages for bodies (route53-api.md §0, §3.1). */
static void test_body_validation(void **state)
{
	(void)state;
	char id[64], path[256], msg[2048];
	struct resp p;
	create_zone(id);
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s/rrset/", id);

	call(&p, "POST", path, NULL, "<ChangeResourceRecordSetsRequest><ChangeBatch>");
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_memory_equal(msg, "Invalid XML ; ", 14);
	resp_free(&p);

	call(&p, "POST", path, NULL,
	     "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
	     "<ChangeResourceRecordSetsRequest>&e;</ChangeResourceRecordSetsRequest>");
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_null(strstr(p.body, "root:"));
	resp_free(&p);

	call(&p, "POST", path, NULL, "<Foo xmlns=\"" NS "\"/>");
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_string_equal(msg, "Invalid XML ; cvc-elt.1.a: Cannot find the declaration of "
				 "element 'Foo'.");
	resp_free(&p);

	call(&p, "POST", path, NULL, CHANGE_BATCH(""));
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_string_equal(msg, "Invalid XML ; cvc-complex-type.2.4.b: The content of element "
				 "'Changes' is not complete. One of '{\"" NS "\":Change}' is "
				 "expected.");
	resp_free(&p);

	call(&p, "POST", path, NULL,
	     CHANGE_BATCH("<Change><Action>X</Action><ResourceRecordSet><Name>a.example.com"
			  "</Name><Type>A</Type></ResourceRecordSet></Change>"));
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_string_equal(msg, "Invalid XML ; cvc-enumeration-valid: Value 'X' is not "
				 "facet-valid with respect to enumeration '[CREATE, DELETE, "
				 "UPSERT]'. It must be a value from the enumeration.");
	resp_free(&p);

	call(&p, "POST", path, NULL,
	     CHANGE_BATCH("<Change><Action>DELETE</Action><ResourceRecordSet><Name>example.com"
			  "</Name><Type>A</Type></ResourceRecordSet></Change>"));
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_string_equal(msg, "Invalid request: Expected exactly one of [AliasTarget, all of "
				 "[TTL, and ResourceRecords], or TrafficPolicyInstanceId], but "
				 "found none in Change with [Action=DELETE, Name=example.com, "
				 "Type=A, SetIdentifier=null]");
	resp_free(&p);

	call(&p, "POST", path, NULL,
	     CHANGE_BATCH("<Change><Action>CREATE</Action><ResourceRecordSet><Name>a.example.com"
			  "</Name><Type>A</Type><Weight>256</Weight><TTL>1</TTL>"
			  "</ResourceRecordSet></Change>"));
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_string_equal(msg, "Invalid XML ; cvc-maxInclusive-valid: Value '256' is not "
				 "facet-valid with respect to maxInclusive '255' for type "
				 "'ResourceRecordSetWeight'.");
	resp_free(&p);

	call(&p, "POST", path, NULL,
	     CHANGE_BATCH("<Change><Action>CREATE</Action><ResourceRecordSet><Name>a.example.com"
			  "</Name><Type>A</Type><TTL>ten</TTL></ResourceRecordSet></Change>"));
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_string_equal(msg, "Invalid XML ; cvc-datatype-valid.1.2.1: 'ten' is not a valid "
				 "value for 'integer'.");
	resp_free(&p);

	call(&p, "POST", path, NULL,
	     CHANGE_BATCH("<Change><Action>CREATE</Action><ResourceRecordSet><Name>a.example.com"
			  "</Name><Type>A</Type><Bogus/></ResourceRecordSet></Change>"));
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_non_null(strstr(msg, "cvc-complex-type.2.4.a: Invalid content was found starting "
				    "with element 'Bogus'."));
	resp_free(&p);

	/* Members signpost does not store are refused, never dropped. */
	call(&p, "POST", path, NULL,
	     CHANGE_BATCH("<Change><Action>CREATE</Action><ResourceRecordSet><Name>a.example.com"
			  "</Name><Type>A</Type><SetIdentifier>x</SetIdentifier><GeoLocation>"
			  "<CountryCode>DE</CountryCode></GeoLocation><TTL>1</TTL>"
			  "<ResourceRecords><ResourceRecord><Value>192.0.2.1</Value>"
			  "</ResourceRecord></ResourceRecords></ResourceRecordSet></Change>"));
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_non_null(strstr(msg, "GeoLocation"));
	resp_free(&p);

	/* CreateHostedZone without a CallerReference. */
	call(&p, "POST", "/2013-04-01/hostedzone", NULL,
	     "<CreateHostedZoneRequest xmlns=\"" NS "\"><Name>b.example</Name>"
	     "</CreateHostedZoneRequest>");
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_string_equal(msg, "Invalid XML ; cvc-complex-type.2.4.b: The content of element "
				 "'CreateHostedZoneRequest' is not complete. One of '{\"" NS
				 "\":CallerReference}' is expected.");
	resp_free(&p);
	assert_int_equal(zone_count(), 1);
}

/* Private zones: VPCs instead of a delegation set, the type filter pages over private only. */
static void test_private_zones(void **state)
{
	(void)state;
	struct resp p;
	char body[512], buf[256], msg[256], priv[2][64];
	for (int i = 0; i < 4; i++) {
		bool private_zone = i % 2 == 1;
		snprintf(body, sizeof(body),
			 "<CreateHostedZoneRequest xmlns=\"" NS "\"><Name>p%d.internal</Name>%s"
			 "<CallerReference>priv-%d</CallerReference></CreateHostedZoneRequest>",
			 i,
			 private_zone ? "<VPC><VPCRegion>us-east-1</VPCRegion><VPCId>vpc-1</VPCId>"
					"</VPC>"
				      : "",
			 i);
		call(&p, "POST", "/2013-04-01/hostedzone", NULL, body);
		assert_int_equal(p.r.status, 201);
		if (private_zone) {
			assert_non_null(strstr(p.body, "<PrivateZone>true</PrivateZone>"));
			assert_non_null(strstr(p.body, "<VPC><VPCRegion>us-east-1</VPCRegion>"
						       "<VPCId>vpc-1</VPCId></VPC>"));
			elem(p.body, "Id", buf, sizeof(buf));
			snprintf(priv[i / 2], 64, "%.40s", buf + strlen("/hostedzone/"));
		}
		resp_free(&p);
	}
	char path[256];
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s", priv[0]);
	call(&p, "GET", path, NULL, NULL);
	assert_int_equal(p.r.status, 200);
	assert_null(strstr(p.body, "<DelegationSet>"));
	assert_non_null(strstr(p.body, "</HostedZone><VPCs><VPC><VPCRegion>us-east-1</VPCRegion>"));
	resp_free(&p);
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s/dnssec", priv[0]);
	call(&p, "GET", path, NULL, NULL);
	expect_error(&p, 400, "InvalidArgument", msg, sizeof(msg));
	assert_string_equal(msg, "Operation is unsupported for private hosted zones.");
	resp_free(&p);

	call(&p, "GET", "/2013-04-01/hostedzone", "hostedzonetype=PrivateHostedZone&maxitems=1",
	     NULL);
	assert_int_equal(p.r.status, 200);
	assert_string_equal(elem(p.body, "IsTruncated", buf, sizeof(buf)), "true");
	assert_non_null(strstr(p.body, "<PrivateZone>true</PrivateZone>"));
	assert_null(strstr(p.body, "<PrivateZone>false</PrivateZone>"));
	char first[64], next[64], query[256];
	elem(p.body, "Id", buf, sizeof(buf));
	snprintf(first, sizeof(first), "%.40s", buf + strlen("/hostedzone/"));
	assert_non_null(elem(p.body, "NextMarker", next, sizeof(next)));
	assert_string_not_equal(first, next);
	assert_true(strcmp(next, priv[0]) == 0 || strcmp(next, priv[1]) == 0);
	resp_free(&p);
	snprintf(query, sizeof(query), "hostedzonetype=PrivateHostedZone&maxitems=1&marker=%s",
		 next);
	call(&p, "GET", "/2013-04-01/hostedzone", query, NULL);
	assert_int_equal(p.r.status, 200);
	assert_string_equal(elem(p.body, "IsTruncated", buf, sizeof(buf)), "false");
	snprintf(buf, sizeof(buf), "<Id>/hostedzone/%s</Id>", next);
	assert_non_null(strstr(p.body, buf));
	assert_null(strstr(p.body, "<PrivateZone>false</PrivateZone>"));
	resp_free(&p);

	call(&p, "GET", "/2013-04-01/hostedzone", "hostedzonetype=PublicHostedZone", NULL);
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	resp_free(&p);
}

/* ---- tags, delegation sets, limits, TestDNSAnswer ---- */

static void test_tags(void **state)
{
	(void)state;
	char id[64], path[256], msg[1024], buf[128];
	struct resp p;
	create_zone(id);
	snprintf(path, sizeof(path), "/2013-04-01/tags/hostedzone/%s", id);
	call(&p, "POST", path, NULL,
	     "<ChangeTagsForResourceRequest xmlns=\"" NS "\"><AddTags><Tag><Key>team</Key>"
	     "<Value>dns</Value></Tag></AddTags></ChangeTagsForResourceRequest>");
	assert_int_equal(p.r.status, 200);
	assert_non_null(strstr(p.body, "<ChangeTagsForResourceResponse xmlns=\"" NS "\">"
				       "</ChangeTagsForResourceResponse>"));
	resp_free(&p);

	call(&p, "GET", path, NULL, NULL);
	assert_int_equal(p.r.status, 200);
	snprintf(msg, sizeof(msg),
		 "<ResourceTagSet><ResourceType>hostedzone</ResourceType><ResourceId>%s"
		 "</ResourceId><Tags><Tag><Key>team</Key><Value>dns</Value></Tag></Tags>"
		 "</ResourceTagSet>",
		 id);
	assert_non_null(strstr(p.body, msg));
	resp_free(&p);

	call(&p, "POST", "/2013-04-01/tags/hostedzone", NULL,
	     "<ListTagsForResourcesRequest xmlns=\"" NS "\"><ResourceIds><ResourceId>"
	     "ZNOPE</ResourceId></ResourceIds></ListTagsForResourcesRequest>");
	expect_error(&p, 404, "NoSuchHostedZone", msg, sizeof(msg));
	resp_free(&p);
	snprintf(msg, sizeof(msg),
		 "<ListTagsForResourcesRequest xmlns=\"" NS "\"><ResourceIds><ResourceId>%s"
		 "</ResourceId></ResourceIds></ListTagsForResourcesRequest>",
		 id);
	call(&p, "POST", "/2013-04-01/tags/hostedzone", NULL, msg);
	assert_int_equal(p.r.status, 200);
	assert_non_null(strstr(p.body, "<ResourceTagSets><ResourceTagSet><ResourceType>"));
	resp_free(&p);

	/* botocore leaves the prefix on tag ids; Route 53 refuses it by length. */
	snprintf(path, sizeof(path), "/2013-04-01/tags/hostedzone/%%2Fhostedzone%%2F%s", id);
	call(&p, "GET", path, NULL, NULL);
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	snprintf(buf, sizeof(buf), "Value '/hostedzone/%s' at 'resourceId'", id);
	assert_non_null(strstr(msg, "1 validation error detected: "));
	assert_non_null(strstr(msg, buf));
	assert_non_null(strstr(msg, "Member must have length less than or equal to 32"));
	resp_free(&p);

	call(&p, "GET", "/2013-04-01/tags/bucket/x", NULL, NULL);
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_non_null(strstr(msg, "Member must satisfy enum value set: [healthcheck, "
				    "hostedzone]"));
	resp_free(&p);
}

static void test_delegation_sets_and_limits(void **state)
{
	(void)state;
	char msg[1024], buf[128], path[256];
	struct resp p;
	call(&p, "POST", "/2013-04-01/delegationset", NULL,
	     "<CreateReusableDelegationSetRequest xmlns=\"" NS "\"><CallerReference>ds-1"
	     "</CallerReference></CreateReusableDelegationSetRequest>");
	assert_int_equal(p.r.status, 201);
	static const char *const order[] = {"DelegationSet", "Id",         "CallerReference",
					    "NameServers",   "NameServer", NULL};
	expect_order(p.body, order);
	char id[64];
	assert_non_null(elem(p.body, "Id", buf, sizeof(buf)));
	assert_memory_equal(buf, "/delegationset/N", 16);
	snprintf(id, sizeof(id), "%.40s", buf + strlen("/delegationset/"));
	assert_non_null(strstr(resp_header(&p, "Location"), "/2013-04-01/delegationset/N"));
	resp_free(&p);

	call(&p, "GET", "/2013-04-01/delegationset", NULL, NULL);
	assert_int_equal(p.r.status, 200);
	assert_non_null(strstr(p.body, "<DelegationSets><DelegationSet><Id>/delegationset/N"));
	resp_free(&p);

	snprintf(path, sizeof(path),
		 "/2013-04-01/reusabledelegationsetlimit/%s/"
		 "MAX_ZONES_BY_REUSABLE_DELEGATION_SET",
		 id);
	call(&p, "GET", path, NULL, NULL);
	assert_int_equal(p.r.status, 200);
	assert_non_null(strstr(p.body, "<Limit><Type>MAX_ZONES_BY_REUSABLE_DELEGATION_SET</Type>"
				       "<Value>"));
	assert_string_equal(elem(p.body, "Count", buf, sizeof(buf)), "0");
	resp_free(&p);

	snprintf(path, sizeof(path), "/2013-04-01/delegationset/%s", id);
	call(&p, "DELETE", path, NULL, NULL);
	assert_int_equal(p.r.status, 200);
	assert_non_null(strstr(p.body, "<DeleteReusableDelegationSetResponse xmlns=\"" NS "\">"
				       "</DeleteReusableDelegationSetResponse>"));
	resp_free(&p);

	call(&p, "GET", "/2013-04-01/accountlimit/MAX_HOSTED_ZONES_BY_OWNER", NULL, NULL);
	assert_int_equal(p.r.status, 200);
	assert_non_null(strstr(p.body, "<GetAccountLimitResponse xmlns=\"" NS "\"><Limit><Type>"
				       "MAX_HOSTED_ZONES_BY_OWNER</Type><Value>500</Value></Limit>"
				       "<Count>0</Count></GetAccountLimitResponse>"));
	resp_free(&p);
	call(&p, "GET", "/2013-04-01/accountlimit/MAX_PONIES", NULL, NULL);
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	resp_free(&p);

	char zone[64];
	create_zone(zone);
	snprintf(path, sizeof(path), "/2013-04-01/hostedzonelimit/%s/MAX_RRSETS_BY_ZONE", zone);
	call(&p, "GET", path, NULL, NULL);
	assert_int_equal(p.r.status, 200);
	assert_string_equal(elem(p.body, "Count", buf, sizeof(buf)), "2");
	resp_free(&p);

	/* TestDNSAnswer: the apex SOA as the DNS server answers it. */
	snprintf(path, sizeof(path), "hostedzoneid=%s&recordname=example.com&recordtype=SOA", zone);
	call(&p, "GET", "/2013-04-01/testdnsanswer", path, NULL);
	assert_int_equal(p.r.status, 200);
	static const char *const tda[] = {
		"Nameserver",      "RecordName",   "RecordType", "RecordData",
		"RecordDataEntry", "ResponseCode", "Protocol",   NULL};
	expect_order(p.body, tda);
	assert_string_equal(elem(p.body, "ResponseCode", buf, sizeof(buf)), "NOERROR");
	resp_free(&p);
	call(&p, "GET", "/2013-04-01/testdnsanswer", "recordname=a&recordtype=A", NULL);
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_string_equal(msg, "1 validation error detected: Value null at 'hostedZoneId' "
				 "failed to satisfy constraint: Member must not be null");
	resp_free(&p);
}

/* ---- routing ---- */

static void test_routes(void **state)
{
	(void)state;
	size_t implemented;
	assert_int_equal(route53_http_operations(&implemented), 71);
	assert_int_equal(implemented, 22);

	char msg[1024];
	struct resp p;
	/* Unimplemented operations of the model: a clear InvalidInput, never a 404. */
	static const char *const unimplemented[][2] = {
		{"GET", "/2013-04-01/healthcheck"},
		{"POST", "/2013-04-01/healthcheck"},
		{"GET", "/2013-04-01/trafficpolicies"},
		{"POST", "/2013-04-01/hostedzone/Z1/associatevpc"},
		{"GET", "/2013-04-01/cidrcollection/abc/cidrblocks"},
		{"DELETE", "/2013-04-01/keysigningkey/Z1/key1"},
		{"GET", "/2013-04-01/checkeripranges"},
	};
	for (size_t i = 0; i < sizeof(unimplemented) / sizeof(unimplemented[0]); i++) {
		call(&p, unimplemented[i][0], unimplemented[i][1], NULL, "<x/>");
		expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
		assert_non_null(strstr(msg, "operation is not supported by signpost yet"));
		resp_free(&p);
	}
	call(&p, "GET", "/2013-04-01/healthcheck/abc/status", NULL, NULL);
	expect_error(&p, 400, "InvalidInput", msg, sizeof(msg));
	assert_non_null(strstr(msg, "The GetHealthCheckStatus operation"));
	resp_free(&p);

	call(&p, "GET", "/2013-04-01/nosuchthing", NULL, NULL);
	expect_error(&p, 404, "UnknownOperationException", msg, sizeof(msg));
	resp_free(&p);
	call(&p, "GET", "/", NULL, NULL);
	expect_error(&p, 404, "UnknownOperationException", msg, sizeof(msg));
	resp_free(&p);
	call(&p, "GET", "/2013-04-01/hostedzone//rrset", NULL, NULL);
	expect_error(&p, 404, "UnknownOperationException", msg, sizeof(msg));
	resp_free(&p);
	call(&p, "PUT", "/2013-04-01/hostedzone", NULL, NULL);
	expect_error(&p, 405, "MethodNotAllowed", msg, sizeof(msg));
	resp_free(&p);

	struct route53_http_stats s;
	stats(&s);
	assert_int_equal(s.bodies_parsed, 0);
	assert_int_equal(s.engine_calls, 0);
}

static void test_throttling(void **state)
{
	(void)state;
	teardown(NULL);
	open_all(0.001, 2); /* two requests, then (practically) never another */
	struct resp p;
	char msg[256];
	for (int i = 0; i < 2; i++) {
		call(&p, "GET", "/2013-04-01/hostedzonecount", NULL, NULL);
		assert_int_equal(p.r.status, 200);
		resp_free(&p);
	}
	call(&p, "GET", "/2013-04-01/hostedzonecount", NULL, NULL);
	expect_error(&p, 400, "Throttling", msg, sizeof(msg));
	assert_string_equal(msg, "Rate exceeded");
	resp_free(&p);
	/* Unauthenticated requests do not spend anyone's tokens: they never get that far. */
	struct req q;
	build(&q, "GET", "/2013-04-01/hostedzonecount", NULL, NULL);
	run(&q, &p);
	expect_error(&p, 403, "MissingAuthenticationToken", msg, sizeof(msg));
	resp_free(&p);
	struct route53_http_stats s;
	stats(&s);
	assert_int_equal(s.throttled, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_unsigned_never_reaches_parser_or_engine),
		T(test_create_get_list_delete_zone),
		T(test_list_zones_pages),
		T(test_change_and_list_rrsets),
		T(test_body_validation),
		T(test_private_zones),
		T(test_tags),
		T(test_delegation_sets_and_limits),
		T(test_routes),
		T(test_throttling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
