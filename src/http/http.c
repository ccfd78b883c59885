/* http/http.c - the API's HTTP/1.1 server on libmicrohttpd: raw URI kept, bodies capped. */
#include "http/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "base/log.h"

/* Headers and the request line share this per-connection pool; over it MHD answers 431/414. */
#define HTTP_CONN_MEMORY       (32u * 1024)
#define HTTP_DEFAULT_TIMEOUT_S 30u
#define HTTP_ARENA_BLOCK       4096u
/* How much of an over-long chunked body is read (and dropped) to answer it with 413. */
#define HTTP_DISCARD_MAX       (1u << 20)

struct http_server {
	struct MHD_Daemon *daemon;
	http_handler handler;
	void *ctx;
	size_t max_body;
	uint16_t port;
};

/* Everything a request owns lives in its arena and is freed with it. */
struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	char data[];
};

struct request {
	struct http_server *srv;
	struct arena_block *arena;
	const char *uri; /* the request target exactly as sent */
	uint8_t *body;   /* malloc'd, grows as the upload arrives */
	size_t body_len, body_cap;
	size_t discarded; /* bytes read past max_body */
	bool started;
	bool too_big; /* over max_body: the rest is discarded and the answer is 413 */
};

static void *arena_alloc(struct request *rq, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct arena_block *b = rq->arena;
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > HTTP_ARENA_BLOCK ? n : HTTP_ARENA_BLOCK;
		b = malloc(sizeof(*b) + cap);
		if (b == NULL)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = rq->arena;
		rq->arena = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

static char *arena_strndup(struct request *rq, const char *s, size_t n)
{
	char *d = arena_alloc(rq, n + 1);
	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static void request_free(struct request *rq)
{
	if (rq == NULL)
		return;
	while (rq->arena != NULL) {
		struct arena_block *next = rq->arena->next;
		free(rq->arena);
		rq->arena = next;
	}
	free(rq->body);
	free(rq);
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decodes s[0, n) into the arena. '+' stays '+' (SigV4 and botocore never use it for a
 * space); a '%' not followed by two hex digits stays as it is. A decoded NUL cannot be carried
 * in a C string, so it is refused (*out = NULL, returns -1) rather than silently truncated.
 */
static int decode(struct request *rq, const char *s, size_t n, const char **out)
{
	char *d = arena_alloc(rq, n + 1);
	*out = NULL;
	if (d == NULL)
		return -1;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hex(s[i + 1])) >= 0 &&
		    (lo = hex(s[i + 2])) >= 0) {
			d[j] = (char)(hi << 4 | lo);
			if (d[j] == '\0')
				return -1;
			j++;
			i += 2;
		} else {
			d[j++] = s[i];
		}
	}
	d[j] = '\0';
	*out = d;
	return 0;
}

const char *http_header(const struct http_request *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

const char *http_param(const struct http_request *r, const char *name)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].name, name) == 0)
			return r->params[i].value;
	return NULL;
}

void http_response_header(struct http_response *resp, const char *name, const char *value)
{
	if (resp->nheaders >= HTTP_MAX_EXTRA_HEADERS)
		return;
	char *copy = strdup(value);
	if (copy == NULL)
		return;
	resp->headers[resp->nheaders].name = name;
	resp->headers[resp->nheaders].value = copy;
	resp->header_storage[resp->nheaders] = copy;
	resp->nheaders++;
}

static void response_free_storage(struct http_response *resp)
{
	for (size_t i = 0; i < HTTP_MAX_EXTRA_HEADERS; i++) {
		free(resp->header_storage[i]);
		resp->header_storage[i] = NULL;
	}
}

/* Sends resp (taking its body), or a bare 500 if MHD cannot take it. */
static enum MHD_Result send_response(struct MHD_Connection *c, struct http_response *resp)
{
	struct MHD_Response *r;
	if (resp->body != NULL && resp->body_len == 0) {
		free(resp->body);
		resp->body = NULL;
	}
	if (resp->body != NULL) {
		r = MHD_create_response_from_buffer(resp->body_len, resp->body,
						    MHD_RESPMEM_MUST_FREE);
		if (r == NULL)
			free(resp->body);
	} else {
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	}
	resp->body = NULL;
	if (r == NULL) {
		response_free_storage(resp);
		return MHD_NO;
	}
	if (resp->content_type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	/* MHD refuses values with CR or LF, so a handler cannot split the response. */
	for (size_t i = 0; i < resp->nheaders && i < HTTP_MAX_EXTRA_HEADERS; i++)
		if (resp->headers[i].name != NULL && resp->headers[i].value != NULL)
			MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	response_free_storage(resp);
	int status = resp->status >= 100 && resp->status <= 599 ? resp->status : 500;
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The server's own refusals (before any handler): an AWS-shaped error document. */
static enum MHD_Result send_error(struct MHD_Connection *c, int status, const char *code,
				  const char *message)
{
	struct http_response resp = {.status = status, .content_type = "text/xml"};
	char *body = NULL;
	int n = asprintf(&body,
			 "<?xml version=\"1.0\"?>\n<ErrorResponse "
			 "xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error>"
			 "<Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
			 "</ErrorResponse>",
			 code, message);
	if (n >= 0) {
		resp.body = body;
		resp.body_len = (size_t)n;
	}
	return send_response(c, &resp);
}

struct header_walk {
	struct request *rq;
	struct http_kv *kv;
	size_t n, max;
	bool oom;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct header_walk *w = cls;
	(void)kind;
	if (w->n >= w->max)
		return MHD_YES;
	size_t len = strlen(key);
	char *name = arena_strndup(w->rq, key, len);
	const char *v = value != NULL ? value : "";
	char *val = arena_strndup(w->rq, v, strlen(v));
	if (name == NULL || val == NULL) {
		w->oom = true;
		return MHD_NO;
	}
	for (size_t i = 0; i < len; i++)
		if (name[i] >= 'A' && name[i] <= 'Z')
			name[i] = (char)(name[i] - 'A' + 'a');
	w->kv[w->n].name = name;
	w->kv[w->n].value = val;
	w->n++;
	return MHD_YES;
}

/* The query string as sent, split on '&' and each item on its first '=', both decoded. */
static int parse_query(struct request *rq, const char *q, struct http_request *req)
{
	size_t max = 1;
	for (const char *p = q; *p != '\0'; p++)
		max += *p == '&';
	struct http_kv *kv = arena_alloc(rq, max * sizeof(*kv));
	if (kv == NULL)
		return -1;
	size_t n = 0;
	while (*q != '\0') {
		size_t len = strcspn(q, "&");
		if (len > 0) {
			const char *eq = memchr(q, '=', len);
			size_t klen = eq != NULL ? (size_t)(eq - q) : len;
			if (decode(rq, q, klen, &kv[n].name) < 0)
				return -1;
			if (eq != NULL) {
				if (decode(rq, eq + 1, len - klen - 1, &kv[n].value) < 0)
					return -1;
			} else {
				kv[n].value = "";
			}
			n++;
		}
		q += len;
		if (*q == '&')
			q++;
	}
	req->params = kv;
	req->nparams = n;
	return 0;
}

/* Everything but the body, checked: NULL message on success, else why it is a bad request. */
static const char *build_request(struct MHD_Connection *c, struct request *rq, const char *method,
				 struct http_request *req)
{
	struct header_walk w = {.rq = rq};
	int n = MHD_get_connection_values(c, MHD_HEADER_KIND, NULL, NULL);
	w.max = n > 0 ? (size_t)n : 0;
	w.kv = arena_alloc(rq, (w.max ? w.max : 1) * sizeof(*w.kv));
	if (w.kv == NULL)
		return "out of memory";
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &w);
	if (w.oom)
		return "out of memory";
	req->headers = w.kv;
	req->nheaders = w.n;
	req->method = method;

	const char *uri = rq->uri != NULL ? rq->uri : "/";
	size_t plen = strcspn(uri, "?#");
	req->raw_path = arena_strndup(rq, uri, plen);
	if (req->raw_path == NULL)
		return "out of memory";
	if (decode(rq, uri, plen, &req->path) < 0)
		return "The request path is not valid.";
	req->params = NULL;
	req->nparams = 0;
	if (uri[plen] == '?') {
		const char *q = uri + plen + 1;
		char *query = arena_strndup(rq, q, strcspn(q, "#"));
		if (query == NULL || parse_query(rq, query, req) < 0)
			return "The query string is not valid.";
	}
	return NULL;
}

struct framing {
	unsigned content_length, transfer_encoding;
	unsigned long long length;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	struct framing *f = cls;
	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		f->content_length++;
		/* MHD has already refused a Content-Length that is not a number. */
		f->length = value != NULL ? strtoull(value, NULL, 10) : 0;
	}
	if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		f->transfer_encoding++;
	return MHD_YES;
}

static enum MHD_Result too_big(struct MHD_Connection *c, size_t max_body)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "The request body is larger than %zu bytes.", max_body);
	return send_error(c, 413, "RequestEntityTooLarge", msg);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct request *rq = *con_cls;
	(void)url;
	(void)version;
	if (rq == NULL)
		return MHD_NO; /* the URI logger could not allocate: drop the connection */

	if (!rq->started) {
		rq->started = true;
		/*
		 * Refused before a byte of the body is read; an answer this early makes MHD close
		 * the connection after it, so the unread body is never taken for a request.
		 */
		struct framing f = {0, 0, 0};
		MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
		/* Two framings, or two lengths, are how requests are smuggled past proxies. */
		if (f.content_length > 1 || (f.content_length > 0 && f.transfer_encoding > 0))
			return send_error(
				c, 400, "InvalidRequest",
				"Conflicting Content-Length and Transfer-Encoding headers.");
		if (f.content_length > 0 && f.length > srv->max_body)
			return too_big(c, srv->max_body);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (rq->too_big) {
			/*
			 * A chunked body has no length up front and MHD cannot answer mid-upload:
			 * read a little more (bounded) to answer 413 at its end, else hang up.
			 */
			rq->discarded += n;
			return rq->discarded > HTTP_DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		if (n > srv->max_body - rq->body_len) {
			rq->too_big = true;
			rq->discarded = rq->body_len + n;
			free(rq->body);
			rq->body = NULL;
			rq->body_len = rq->body_cap = 0;
			return rq->discarded > HTTP_DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		if (rq->body_len + n > rq->body_cap) {
			size_t cap = rq->body_cap ? rq->body_cap : 4096;
			while (cap < rq->body_len + n)
				cap *= 2;
			if (cap > srv->max_body)
				cap = srv->max_body;
			uint8_t *b = realloc(rq->body, cap);
			if (b == NULL)
				return MHD_NO;
			rq->body = b;
			rq->body_cap = cap;
		}
		memcpy(rq->body + rq->body_len, upload_data, n);
		rq->body_len += n;
		return MHD_YES;
	}
	if (rq->too_big)
		return too_big(c, srv->max_body);

	struct http_request req;
	memset(&req, 0, sizeof(req));
	const char *bad = build_request(c, rq, method, &req);
	if (bad != NULL)
		return send_error(c, 400, "InvalidRequest", bad);
	req.body = rq->body != NULL ? rq->body : (const uint8_t *)"";
	req.body_len = rq->body_len;

	struct http_response resp;
	memset(&resp, 0, sizeof(resp));
	srv->handler(srv->ctx, &req, &resp);
	if (resp.status == 0) {
		free(resp.body);
		response_free_storage(&resp);
		return send_error(c, 500, "InternalFailure", "The handler gave no answer.");
	}
	return send_response(c, &resp);
}

/* Called with the request target before MHD splits or unescapes it: the raw URI for SigV4. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct request *rq = calloc(1, sizeof(*rq));
	(void)c;
	if (rq == NULL)
		return NULL;
	rq->srv = cls;
	rq->uri = arena_strndup(rq, uri, strlen(uri));
	if (rq->uri == NULL) {
		request_free(rq);
		return NULL;
	}
	return rq;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	request_free(*con_cls);
	*con_cls = NULL;
}

/* Keeps the URL and arguments as sent: we decode the path and query ourselves. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[256];
	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_debug("http: %s", buf);
}

struct http_server *http_server_start(const struct http_server_config *cfg, http_handler h,
				      void *ctx, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct http_server *s = NULL;
	/*
	 * A thread per connection, not a pool: a pool thread serves many connections, so one
	 * handler waiting on a durable commit would stall every request queued behind it (seen:
	 * four 200 ms requests on a 4-thread pool took 800 ms). max_connections bounds the threads;
	 * cfg->threads is therefore not used.
	 */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_AUTO | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	char host[INET6_ADDRSTRLEN + 2];
	const char *addr = cfg->address != NULL ? cfg->address : "127.0.0.1";

	memset(&ss, 0, sizeof(ss));
	/* "[::1]" as in a URL is accepted too. */
	size_t alen = strlen(addr);
	if (alen >= 2 && addr[0] == '[' && addr[alen - 1] == ']' && alen - 2 < sizeof(host)) {
		memcpy(host, addr + 1, alen - 2);
		host[alen - 2] = '\0';
	} else if (alen < sizeof(host)) {
		memcpy(host, addr, alen + 1);
	} else {
		host[0] = '\0';
	}
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(cfg->port);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(cfg->port);
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(err, errlen, "invalid listen address '%s' (an IPv4 or IPv6 address)",
			 addr);
		goto out;
	}
	if (h == NULL) {
		snprintf(err, errlen, "no request handler");
		goto out;
	}

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	s->handler = h;
	s->ctx = ctx;
	s->max_body = cfg->max_body;

	unsigned timeout = cfg->timeout_s > 0 ? cfg->timeout_s : HTTP_DEFAULT_TIMEOUT_S;
	struct MHD_OptionItem opts[12];
	size_t nopts = 0;
#define OPT(o, v, p) opts[nopts++] = (struct MHD_OptionItem){(o), (intptr_t)(v), (p)}
	OPT(MHD_OPTION_SOCK_ADDR, 0, &ss);
	OPT(MHD_OPTION_URI_LOG_CALLBACK, on_uri, s);
	OPT(MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL);
	OPT(MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, timeout, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONN_MEMORY, NULL);
	/* Host required on HTTP/1.1, no spaces in the target. */
	OPT(MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL);
	if (cfg->max_connections > 0)
		OPT(MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, NULL);
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	s->daemon = MHD_start_daemon(flags, cfg->port, NULL, NULL, on_request, s, MHD_OPTION_ARRAY,
				     opts, MHD_OPTION_END);
	if (s->daemon == NULL) {
		snprintf(err, errlen, "cannot listen on %s port %u (address in use or not local?)",
			 addr, (unsigned)cfg->port);
		free(s);
		s = NULL;
		goto out;
	}
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info != NULL && info->port != 0 ? info->port : cfg->port;
out:
	return s;
}

uint16_t http_server_port(const struct http_server *s)
{
	return s->port;
}

void http_server_stop(struct http_server *s)
{
	if (s == NULL)
		return;
	/* Joins the listening and connection threads; requests in a handler finish first. */
	MHD_stop_daemon(s->daemon);
	free(s);
}
