/*
 * api/sigv4.h - AWS Signature Version 4 verification (the server's side of botocore's
 * SigV4Auth), with AWS's error codes. See ../shared/reference/api-security.md and
 * route53-api.md §5. The body is hashed and compared before anyone parses it.
 */
#pragma once
#include <stddef.h>
#include <time.h>

#include "http/http.h"

struct sigv4_key {
	const char *access_key_id;
	const char *secret_access_key;
};

enum sigv4_result {
	SIGV4_OK = 0,
	SIGV4_MISSING,    /* MissingAuthenticationToken, 403 */
	SIGV4_INCOMPLETE, /* IncompleteSignature, 400 */
	SIGV4_BAD_KEY,    /* InvalidClientTokenId, 403 */
	SIGV4_MISMATCH,   /* SignatureDoesNotMatch, 403 (also expired or future dates) */
};

/* AWS's code for a result ("SignatureDoesNotMatch"), and its HTTP status. */
const char *sigv4_code(enum sigv4_result r);
int sigv4_status(enum sigv4_result r);

/*
 * Verifies req's Authorization header (or presigned query parameters) against `keys`, any
 * region, service "route53" (or "route53domains"; the scope's service is checked against
 * `service`), with `now` within 5 minutes of X-Amz-Date. On failure writes AWS's message
 * into msg. The access key id that signed is returned in *key (NULL on failure).
 */
enum sigv4_result sigv4_verify(const struct http_request *req, const char *service,
			       const struct sigv4_key *keys, size_t nkeys, time_t now,
			       const struct sigv4_key **key, char *msg, size_t msglen);

/*
 * The client's half, for tools and tests: writes into out the Authorization header value
 * botocore's SigV4Auth would send for req ("AWS4-HMAC-SHA256 Credential=ID/DATE/REGION/
 * SERVICE/aws4_request, SignedHeaders=..., Signature=..."), using the canonicalisation that
 * sigv4_verify() checks. req must carry an X-Amz-Date header (its date is signed) and every
 * header named in signed_headers (lower case, ';'-separated, sorted; "host" and "x-amz-date"
 * at least). The payload hash is X-Amz-Content-SHA256 when present, else the body's.
 * Returns 0, or -1 (no or bad X-Amz-Date, out too small, out of memory).
 */
int sigv4_sign(const struct http_request *req, const char *signed_headers, const char *region,
	       const char *service, const struct sigv4_key *key, char *out, size_t outlen);
