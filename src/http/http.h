/*
 * http/http.h - a small HTTP/1.1 server for the API (libmicrohttpd): whole requests in, whole
 * responses out. Bodies are capped; requests over the cap get 413 without reaching a handler.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct http_kv {
	const char *name;  /* headers: lower case; query parameters: as sent, percent-decoded */
	const char *value; /* percent-decoded for query parameters */
};

struct http_request {
	const char *method;   /* "GET", "POST", ... */
	const char *path;     /* URL path, percent-decoded, without the query */
	const char *raw_path; /* as sent on the request line (for SigV4's canonical URI) */
	const struct http_kv *params;
	size_t nparams;
	const struct http_kv *headers;
	size_t nheaders;
	const uint8_t *body;
	size_t body_len;
};

/* The value of a header (name in lower case) or query parameter, or NULL. */
const char *http_header(const struct http_request *r, const char *name);
const char *http_param(const struct http_request *r, const char *name);

#define HTTP_MAX_EXTRA_HEADERS 8
struct http_response {
	int status;
	const char *content_type; /* static string */
	char *body;               /* malloc'd (the server frees it), may be NULL */
	size_t body_len;
	struct http_kv headers[HTTP_MAX_EXTRA_HEADERS]; /* static or body-lifetime strings... */
	char *header_storage[HTTP_MAX_EXTRA_HEADERS]; /* ...or malloc'd ones, freed by the server */
	size_t nheaders;
};
/* Adds a header whose value is copied (freed with the response). */
void http_response_header(struct http_response *resp, const char *name, const char *value);

typedef void (*http_handler)(void *ctx, const struct http_request *req, struct http_response *resp);

struct http_server_config {
	const char *address; /* "127.0.0.1" or "::1" */
	uint16_t port;       /* 0: any free port (see http_server_port) */
	size_t max_body;     /* bytes; larger bodies get 413 */
	unsigned threads;    /* worker threads */
	unsigned timeout_s;  /* idle connection timeout */
	unsigned max_connections;
};

struct http_server;
/* Starts serving in background threads. NULL with a message in err on failure. */
struct http_server *http_server_start(const struct http_server_config *cfg, http_handler h,
				      void *ctx, char *err, size_t errlen);
uint16_t http_server_port(const struct http_server *s);
void http_server_stop(struct http_server *s);
