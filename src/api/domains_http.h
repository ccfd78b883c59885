/*
 * api/domains_http.h - the Route 53 Domains (2014-05-15, JSON 1.1) front door: POST / with
 * X-Amz-Target "Route53Domains_v20140515.<Operation>".
 *
 * Every request is verified with SigV4 first (service "route53domains"); a request that fails
 * never has its body parsed. Errors are HTTP 400 with {"__type": "...", "message": "..."}
 * (SigV4 failures with their own status), Content-Type application/x-amz-json-1.1 and an
 * x-amzn-RequestId header on every response. JSON bodies are parsed with jansson with size and
 * depth capped. See ../shared/reference/route53-api.md §4.1 and api-security.md.
 */
#pragma once
#include <stdbool.h>

#include "api/domains.h"
#include "api/sigv4.h"
#include "http/http.h"

struct domains_http_config {
	struct domains *engine;
	const struct sigv4_key *keys; /* copied */
	size_t nkeys;
};

struct domains_http;
struct domains_http *domains_http_new(const struct domains_http_config *cfg);
void domains_http_free(struct domains_http *h);

/* True if req is for this front door (its X-Amz-Target starts "Route53Domains_" or
 * "SignpostTest."). */
bool domains_http_wants(const struct http_request *req);
/* The http_handler: ctx is a struct domains_http. */
void domains_http_handle(void *ctx, const struct http_request *req, struct http_response *resp);
