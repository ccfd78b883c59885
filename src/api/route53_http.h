/*
 * api/route53_http.h - the Route 53 (2013-04-01, rest-xml) front door: one HTTP request in, one
 * response out.
 *
 * Every request is verified with SigV4 first (service "route53"); a request that fails never
 * has its body parsed and never reaches the engine. Then it is routed by method and path over
 * every operation of botocore's model: the implemented ones parse their XML body or query,
 * validate it as Route 53's schema does, call the engine (api/r53.h) and write the response in
 * model member order; the others answer with an AWS error document a client prints clearly.
 * See ../shared/reference/route53-api.md §0 and api-security.md.
 *
 * route53_http_handle() is an http_handler (http/http.h): it may run on several HTTP threads
 * at once (the engine serialises writers itself).
 */
#pragma once
#include <stdint.h>

#include "api/r53.h"
#include "api/sigv4.h"
#include "http/http.h"

struct route53_http_config {
	struct r53 *engine;
	const struct sigv4_key *keys; /* access key id → secret; copied */
	size_t nkeys;
	/*
	 * Throttling like Route 53's (a token bucket per access key, `Throttling` / "Rate
	 * exceeded", which botocore retries). rate: requests per second, 0 = off (the default).
	 * burst: bucket size; 0 = max(1, rate).
	 */
	double rate;
	unsigned burst;
	unsigned max_xml_depth; /* 0: 10 (Route 53's deepest request is 7 levels) */
};

/* Counters (relaxed atomics; for logs and tests). */
struct route53_http_stats {
	uint64_t requests;
	uint64_t auth_failures; /* refused by SigV4 */
	uint64_t throttled;
	uint64_t bodies_parsed; /* XML bodies handed to the parser (only after SigV4) */
	uint64_t engine_calls;  /* calls into api/r53.h */
};

struct route53_http;
/* NULL when out of memory. */
struct route53_http *route53_http_new(const struct route53_http_config *cfg);
void route53_http_free(struct route53_http *h);
void route53_http_stats(const struct route53_http *h, struct route53_http_stats *out);

/* The http_handler: ctx is a struct route53_http. */
void route53_http_handle(void *ctx, const struct http_request *req, struct http_response *resp);

/* Number of operations in the route table (botocore's model), and how many are implemented. */
size_t route53_http_operations(size_t *implemented);
