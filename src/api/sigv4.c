/* api/sigv4.c - AWS Signature Version 4 verification (being written; rejects everything). */
#include "api/sigv4.h"

#include <stdio.h>

const char *sigv4_code(enum sigv4_result r)
{
	(void)r;
	return "MissingAuthenticationToken";
}

int sigv4_status(enum sigv4_result r)
{
	(void)r;
	return 403;
}

enum sigv4_result sigv4_verify(const struct http_request *req, const char *service,
			       const struct sigv4_key *keys, size_t nkeys, time_t now,
			       const struct sigv4_key **key, char *msg, size_t msglen)
{
	(void)req, (void)service, (void)keys, (void)nkeys, (void)now;
	*key = NULL;
	snprintf(msg, msglen, "Missing Authentication Token");
	return SIGV4_MISSING;
}
