/* tests/fuzz/fuzz_sigv4.c - libFuzzer target: sigv4_verify() on requests built from fuzz bytes. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/sigv4.h"

#include "check.h"

/*
 * Input, one item a line:
 *   METHOD \n RAW-PATH \n ("name: value" \n)* \n ("name=value" \n)* \n BODY
 * Header names are lower-cased as the HTTP layer does; parameters are taken as already
 * decoded. The seeds (corpus/fuzz_sigv4/) are botocore-signed requests that verify at NOW
 * with KEYS, so mutations start from inside the signature check, not at its front door.
 */
#define MAX_KV 32
#define NOW    1795610738 /* 20261125T124538Z, when the seeds were signed */

static const struct sigv4_key keys[] = {
	{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
	{"AKIASIGNPOSTSECOND01", "h7xVq2Lr9Ck3pT0wZ8mN4bY6sE1uJ5aG3dF7kH2w"},
};

/* Cuts the next line out of [*p, end) in place; NULL at the end of input. */
static char *line(char **p, char *end)
{
	if (*p >= end) {
		return NULL;
	}
	char *s = *p;
	char *nl = memchr(s, '\n', (size_t)(end - s));
	if (!nl) {
		nl = end;
	}
	*nl = '\0';
	*p = nl + 1;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* One byte more than the input, so the last line is terminated too. */
	char *buf = malloc(size + 1);
	if (!buf) {
		return 0;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	char *p = buf, *end = buf + size;

	struct http_kv headers[MAX_KV], params[MAX_KV];
	struct http_request req = {0};
	req.method = line(&p, end);
	req.raw_path = line(&p, end);
	req.path = req.raw_path;
	char *s;
	while ((s = line(&p, end)) && *s && req.nheaders < MAX_KV) {
		char *colon = strchr(s, ':');
		char *value = colon ? colon + 1 : s + strlen(s);
		if (colon) {
			*colon = '\0';
		}
		while (*value == ' ') {
			value++;
		}
		for (char *c = s; *c; c++) {
			if (*c >= 'A' && *c <= 'Z') {
				*c = (char)(*c - 'A' + 'a');
			}
		}
		headers[req.nheaders++] = (struct http_kv){s, value};
	}
	while ((s = line(&p, end)) && *s && req.nparams < MAX_KV) {
		char *eq = strchr(s, '=');
		if (eq) {
			*eq = '\0';
		}
		params[req.nparams++] = (struct http_kv){s, eq ? eq + 1 : ""};
	}
	req.headers = headers;
	req.params = params;
	/* The body is whatever is left, exact bytes; the HTTP layer does not terminate it. */
	req.body = (const uint8_t *)data + (p < end ? (size_t)(p - buf) : size);
	req.body_len = p < end ? (size_t)(end - p) : 0;

	char msg[512];
	memset(msg, 'x', sizeof(msg));
	const struct sigv4_key *key = NULL;
	enum sigv4_result r = sigv4_verify(&req, "route53", keys, 2, NOW, &key, msg, sizeof(msg));
	CHECK(r == SIGV4_OK || r == SIGV4_MISSING || r == SIGV4_INCOMPLETE || r == SIGV4_BAD_KEY ||
	      r == SIGV4_MISMATCH);
	CHECK((r == SIGV4_OK) == (key != NULL));
	CHECK(key == NULL || key == &keys[0] || key == &keys[1]);
	CHECK(sigv4_status(r) >= 200 && sigv4_status(r) < 500);
	CHECK(sigv4_code(r) != NULL);
	/* The message goes into an XML error document: terminated, printable ASCII only. */
	size_t n = strnlen(msg, sizeof(msg));
	CHECK(n < sizeof(msg));
	CHECK(r == SIGV4_OK || n > 0);
	for (size_t i = 0; i < n; i++) {
		CHECK(msg[i] >= 0x20 && msg[i] < 0x7f);
	}
	free(buf);
	return 0;
}
