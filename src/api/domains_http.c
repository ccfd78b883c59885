/*
 * api/domains_http.c - the Route 53 Domains JSON 1.1 front door: SigV4 first, then the
 * X-Amz-Target, a bounded JSON parse, the engine call and AWS's JSON error document
 * (route53-api.md §4.1, api-security.md §2).
 */
#include "api/domains_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/log.h"

#define TARGET_PREFIX "Route53Domains_v20140515."
#define TEST_PREFIX   "SignpostTest."
#define CONTENT_TYPE  "application/x-amz-json-1.1"
/* The largest request of the model (RegisterDomain with four contacts) is a few KiB. */
#define MAX_BODY      (256 * 1024)
/* The model nests five deep at most (ContactDetail.ExtraParams[].Name). */
#define MAX_DEPTH     16
/*
 * Timestamps are epoch seconds with milliseconds; 16 significant digits print them exactly
 * ("1732536000.123", where 17 would show the binary fraction's tail).
 */
#define JSON_FLAGS    (JSON_COMPACT | JSON_REAL_PRECISION(16))

struct domains_http {
	struct domains *engine;
	struct sigv4_key *keys;
	size_t nkeys;
	char *key_storage;
};

static void request_id(char out[37])
{
	uint8_t b[16];
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
		static uint64_t seq;
		uint64_t n = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
		uint64_t t = (uint64_t)time(NULL);
		memcpy(b, &t, 8);
		memcpy(b + 8, &n, 8);
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static void set_json(struct http_response *resp, int status, json_t *body)
{
	free(resp->body);
	resp->status = status;
	resp->content_type = CONTENT_TYPE;
	resp->body = body ? json_dumps(body, JSON_FLAGS) : NULL;
	resp->body_len = resp->body ? strlen(resp->body) : 0;
	if (!resp->body)
		resp->status = 500;
}

/* AWS's JSON error document; botocore reads __type (after any '#') and message. */
static void send_error(struct http_response *resp, int status, const char *type,
		       const char *message, const char *rid)
{
	json_t *e = json_pack("{s:s,s:s}", "__type", type, "message", message);
	if (e && strcmp(type, "DuplicateRequest") == 0)
		json_object_set_new(e, "requestId", json_string(rid));
	set_json(resp, status, e);
	json_decref(e);
}

static int error_status(const char *type)
{
	if (strcmp(type, "InternalFailure") == 0)
		return 500;
	return 400; /* no Domains error has a modeled status (route53-api.md §4.1) */
}

/* Nesting depth of a JSON text, counted outside strings, without parsing it. */
static bool depth_ok(const uint8_t *p, size_t n)
{
	int depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > MAX_DEPTH)
				return false;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return true;
}

bool domains_http_wants(const struct http_request *req)
{
	const char *t = http_header(req, "x-amz-target");
	return t && (strncmp(t, "Route53Domains_", 15) == 0 ||
		     strncmp(t, TEST_PREFIX, strlen(TEST_PREFIX)) == 0);
}

void domains_http_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
	struct domains_http *h = ctx;
	char rid[37];
	request_id(rid);
	http_response_header(resp, "x-amzn-RequestId", rid);

	/* SigV4 before anything else looks at the request (api-security.md §2, step 7). */
	const struct sigv4_key *key = NULL;
	char msg[512] = "";
	enum sigv4_result sr = sigv4_verify(req, "route53domains", h->keys, h->nkeys, time(NULL),
					    &key, msg, sizeof msg);
	if (sr != SIGV4_OK) {
		send_error(resp, sigv4_status(sr), sigv4_code(sr), msg, rid);
		return;
	}
	const char *target = http_header(req, "x-amz-target");
	bool test = target && strncmp(target, TEST_PREFIX, strlen(TEST_PREFIX)) == 0;
	const char *op = NULL;
	if (target && strncmp(target, TARGET_PREFIX, strlen(TARGET_PREFIX)) == 0)
		op = target + strlen(TARGET_PREFIX);
	else if (test)
		op = target + strlen(TEST_PREFIX);
	if (!op || (!test && !domains_known_operation(op)) || strcmp(req->method, "POST") != 0) {
		snprintf(msg, sizeof msg, "No Route 53 Domains 2014-05-15 operation %s %s",
			 req->method, target ? target : "(no X-Amz-Target)");
		send_error(resp, 400, "UnknownOperationException", msg, rid);
		return;
	}
	if (req->body_len > MAX_BODY) {
		send_error(resp, 413, "SerializationException", "The request body is too large",
			   rid);
		return;
	}
	json_t *in;
	if (req->body_len == 0) {
		in = json_object();
	} else {
		json_error_t je;
		in = depth_ok(req->body, req->body_len)
			     ? json_loadb((const char *)req->body, req->body_len,
					  JSON_REJECT_DUPLICATES, &je)
			     : NULL;
		if (!in || !json_is_object(in)) {
			json_decref(in);
			send_error(resp, 400, "SerializationException",
				   "The request body is not a JSON object", rid);
			return;
		}
	}
	json_t *out = NULL;
	struct domains_error err = {.type = ""};
	int rc = test ? domains_test_call(h->engine, op, in, &out, &err)
		      : domains_call(h->engine, op, in, &out, &err);
	json_decref(in);
	if (rc != 0) {
		/* The message never holds contact details (domains.c does not echo them). */
		log_debug("domains %s: %s: %s", rid, op, err.type);
		send_error(resp, error_status(err.type), err.type, err.message, rid);
		return;
	}
	set_json(resp, 200, out);
	json_decref(out);
	log_debug("domains %s: %s: 200", rid, op);
}

struct domains_http *domains_http_new(const struct domains_http_config *cfg)
{
	struct domains_http *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->engine = cfg->engine;
	size_t bytes = 0;
	for (size_t i = 0; i < cfg->nkeys; i++)
		bytes += strlen(cfg->keys[i].access_key_id) +
			 strlen(cfg->keys[i].secret_access_key) + 2;
	h->keys = calloc(cfg->nkeys ? cfg->nkeys : 1, sizeof *h->keys);
	h->key_storage = malloc(bytes ? bytes : 1);
	if (!h->keys || !h->key_storage) {
		domains_http_free(h);
		return NULL;
	}
	char *p = h->key_storage;
	for (size_t i = 0; i < cfg->nkeys; i++) {
		size_t a = strlen(cfg->keys[i].access_key_id) + 1;
		size_t s = strlen(cfg->keys[i].secret_access_key) + 1;
		memcpy(p, cfg->keys[i].access_key_id, a);
		h->keys[i].access_key_id = p;
		p += a;
		memcpy(p, cfg->keys[i].secret_access_key, s);
		h->keys[i].secret_access_key = p;
		p += s;
	}
	h->nkeys = cfg->nkeys;
	return h;
}

void domains_http_free(struct domains_http *h)
{
	if (!h)
		return;
	free(h->keys);
	free(h->key_storage);
	free(h);
}
