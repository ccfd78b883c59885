/* api_bench.c - closed-loop load generator for signpost's Route 53 API (bench/api_run.sh). */

/*
 * N client threads, each on its own HTTP/1.1 keep-alive connection (plain sockets), send
 * ChangeResourceRecordSets POSTs signed with SigV4 (sigv4_sign(), the verifier's own
 * canonicalisation) and wait for each answer before the next. Batches of one record are UPSERTs
 * of one name per client with a new address each time; larger batches alternate CREATE and
 * DELETE of the same names, so the zone stays the same size however long the run is.
 *
 * With -L, after each 200 the client asks the DNS port (UDP, its own query) for the changed
 * name until the new address is answered, timing response -> DNS-visible, then calls GetChange
 * and checks INSYNC. "change -> INSYNC" is the time from sending the change to the first
 * INSYNC seen (the change's own response when it already says INSYNC).
 *
 * -C NAME creates a hosted zone (optionally with -H N hosts h0..h<N-1> A) and prints its id;
 * the harness uses it before measuring. Prints one JSON line. Credentials come from
 * SIGNPOST_ACCESS_KEY_ID / SIGNPOST_SECRET_ACCESS_KEY, as for `signpost up`.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/sigv4.h"
#include "http/http.h"

#define MAX_CLIENTS 256
#define MAX_BATCH   1000
#define RESP_MAX    (1u << 20)
#define DNS_TIMEOUT 1.0 /* seconds a change may take to be answered before it counts as failed */
#define R53_NS      "https://route53.amazonaws.com/doc/2013-04-01/"

struct opts {
	struct sockaddr_in api, dns;
	char host[64]; /* the Host header, as signed */
	struct sigv4_key key;
	const char *region;
	const char *zone_id, *zone; /* zone: with the trailing dot */
	const char *prefix;
	int clients, batch;
	long count; /* -n: batches per client, then stop (0: run for the time given) */
	double seconds, warmup, rate; /* rate: batches/s over all clients, 0 = closed loop */
	bool latency;
};

/* Samples in microseconds. */
struct samples {
	double *v;
	size_t n, cap;
};

struct client {
	pthread_t thread;
	int idx;
	const struct opts *o;
	int fd, udp;
	char *resp;
	size_t resp_len, resp_have; /* bytes in resp; of them, already consumed */
	char *body;
	size_t body_cap;
	uint32_t seq;
	uint16_t qid;
	/* counted in the measured window */
	uint64_t batches, records, errors, not_insync, dns_fail, probes;
	struct samples api, visible, insync;
	char err[512];
};

static atomic_int stop_flag;
static double t_begin, t_end; /* the measured window, monotonic seconds */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("api_bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add_sample(struct samples *s, double us)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			die("out of memory");
	}
	s->v[s->n++] = us;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(const struct samples *s, double p)
{
	if (s->n == 0)
		return 0;
	size_t i = (size_t)(p / 100.0 * (double)(s->n - 1) + 0.5);
	return s->v[i < s->n ? i : s->n - 1];
}

/* ---- HTTP ---------------------------------------------------------------------------------- */

static void http_connect(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket: %s", strerror(errno));
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (const struct sockaddr *)&c->o->api, sizeof(c->o->api)) != 0)
		die("connect to the API: %s", strerror(errno));
	c->resp_len = c->resp_have = 0;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("send: %s", w < 0 ? strerror(errno) : "closed");
		p += w;
		n -= (size_t)w;
	}
}

/* Reads more of the response; 0 on EOF. */
static size_t fill(struct client *c)
{
	if (c->resp_len == RESP_MAX)
		die("response over %u bytes", RESP_MAX);
	for (;;) {
		ssize_t r = recv(c->fd, c->resp + c->resp_len, RESP_MAX - c->resp_len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("recv: %s", strerror(errno));
		c->resp_len += (size_t)r;
		return (size_t)r;
	}
}

/*
 * One response: the status, and its body (NUL-terminated, in c->resp) in *body. Handles
 * Content-Length and chunked bodies; keeps bytes past the response for the next one.
 */
static int read_response(struct client *c, const char **body, bool *close_after)
{
	/* what the previous response left */
	if (c->resp_have > 0) {
		memmove(c->resp, c->resp + c->resp_have, c->resp_len - c->resp_have);
		c->resp_len -= c->resp_have;
		c->resp_have = 0;
	}
	char *end;
	for (;;) {
		c->resp[c->resp_len] = '\0';
		end = c->resp_len ? strstr(c->resp, "\r\n\r\n") : NULL;
		if (end)
			break;
		if (fill(c) == 0)
			die("the API closed the connection");
	}
	size_t hlen = (size_t)(end - c->resp) + 4;
	int status = 0;
	if (sscanf(c->resp, "HTTP/1.%*d %d", &status) != 1)
		die("not an HTTP response");
	long clen = -1;
	bool chunked = false;
	*close_after = false;
	for (char *p = strstr(c->resp, "\r\n") + 2; p < end;) {
		char *eol = strstr(p, "\r\n");
		if (strncasecmp(p, "content-length:", 15) == 0)
			clen = strtol(p + 15, NULL, 10);
		else if (strncasecmp(p, "transfer-encoding:", 18) == 0 &&
			 strcasestr(p, "chunked") && strcasestr(p, "chunked") < eol)
			chunked = true;
		else if (strncasecmp(p, "connection:", 11) == 0 && strcasestr(p, "close") &&
			 strcasestr(p, "close") < eol)
			*close_after = true;
		p = eol + 2;
	}
	if (!chunked) {
		if (clen < 0)
			clen = 0;
		while (c->resp_len < hlen + (size_t)clen)
			if (fill(c) == 0)
				die("the API closed the connection mid-body");
		c->resp_have = hlen + (size_t)clen;
		/* Copied out, so its NUL does not clobber the start of a next response. */
		size_t n = (size_t)clen;
		if (n + 1 > c->body_cap) {
			c->body_cap = n + 1;
			c->body = realloc(c->body, c->body_cap);
			if (!c->body)
				die("out of memory");
		}
		memcpy(c->body, c->resp + hlen, n);
		c->body[n] = '\0';
		*body = c->body;
		return status;
	}
	/* chunked: size CRLF data CRLF ... 0 CRLF CRLF */
	size_t pos = hlen, out = 0;
	for (;;) {
		char *eol;
		for (;;) {
			c->resp[c->resp_len] = '\0';
			eol = strstr(c->resp + pos, "\r\n");
			if (eol)
				break;
			if (fill(c) == 0)
				die("closed in a chunk header");
		}
		size_t n = strtoul(c->resp + pos, NULL, 16);
		size_t data = (size_t)(eol - c->resp) + 2;
		while (c->resp_len < data + n + 2)
			if (fill(c) == 0)
				die("closed in a chunk");
		if (out + n + 1 > c->body_cap) {
			c->body_cap = (out + n + 1) * 2;
			c->body = realloc(c->body, c->body_cap);
			if (!c->body)
				die("out of memory");
		}
		memcpy(c->body + out, c->resp + data, n);
		out += n;
		pos = data + n + 2;
		if (n == 0)
			break;
	}
	if (!c->body) {
		c->body = malloc(1);
		if (!c->body)
			die("out of memory");
	}
	c->body[out] = '\0';
	c->resp_have = pos;
	*body = c->body;
	return status;
}

static void amz_date(char out[17])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* Sends one signed request and reads its response; returns the status. */
static int call(struct client *c, const char *method, const char *path, const char *body,
		size_t body_len, const char **resp_body)
{
	const struct opts *o = c->o;
	char date[17], authz[512];
	amz_date(date);
	struct http_kv h[2] = {{"host", o->host}, {"x-amz-date", date}};
	struct http_request req = {
		.method = method,
		.path = path,
		.raw_path = path,
		.headers = h,
		.nheaders = 2,
		.body = (const uint8_t *)body,
		.body_len = body_len,
	};
	if (sigv4_sign(&req, "host;x-amz-date", o->region, "route53", &o->key, authz,
		       sizeof(authz)) != 0)
		die("sigv4_sign failed");
	char head[1024];
	int n = snprintf(head, sizeof(head),
			 "%s %s HTTP/1.1\r\nHost: %s\r\nX-Amz-Date: %s\r\nAuthorization: %s\r\n"
			 "Content-Type: text/xml\r\nContent-Length: %zu\r\n\r\n",
			 method, path, o->host, date, authz, body_len);
	if (n < 0 || (size_t)n >= sizeof(head))
		die("request head too long");
	if (c->fd < 0)
		http_connect(c);
	write_all(c->fd, head, (size_t)n);
	if (body_len)
		write_all(c->fd, body, body_len);
	bool close_after;
	int status = read_response(c, resp_body, &close_after);
	if (close_after) {
		close(c->fd);
		c->fd = -1;
	}
	return status;
}

/* The text of <tag>...</tag> after `from`, into out. */
static bool xml_text(const char *from, const char *tag, char *out, size_t outlen)
{
	char open[64], close_tag[64];
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close_tag, sizeof(close_tag), "</%s>", tag);
	const char *p = strstr(from, open);
	if (!p)
		return false;
	p += strlen(open);
	const char *e = strstr(p, close_tag);
	if (!e || (size_t)(e - p) >= outlen)
		return false;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return true;
}

/* ---- request bodies ------------------------------------------------------------------------ */

struct sbuf {
	char **p;
	size_t *cap;
	size_t len;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		size_t room = *b->cap - b->len;
		int n = vsnprintf(*b->p ? *b->p + b->len : NULL, *b->p ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			die("vsnprintf");
		if (*b->p && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		*b->cap = (*b->cap + (size_t)n + 1) * 2;
		*b->p = realloc(*b->p, *b->cap);
		if (!*b->p)
			die("out of memory");
	}
}

/* The address of record k of change number seq (different each time for the same name). */
static void address(uint32_t seq, int k, uint8_t a[4])
{
	uint32_t v = seq * 1000u + (uint32_t)k;
	a[0] = 10;
	a[1] = (uint8_t)(v >> 16);
	a[2] = (uint8_t)(v >> 8);
	a[3] = (uint8_t)v;
}

/*
 * A batch for client c: one UPSERT of "w<idx>.<prefix>.<zone>" (batch 1), or CREATE (even seq)
 * / DELETE (odd seq) of "b<idx>-<k>.<prefix>.<zone>", k < batch, with the addresses the CREATE
 * gave. Returns the body length.
 */
static size_t change_body(struct client *c, char **buf, size_t *cap, uint32_t seq,
			  char name_out[300], uint8_t addr_out[4])
{
	const struct opts *o = c->o;
	struct sbuf b = {buf, cap, 0};
	sb_printf(&b,
		  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ChangeResourceRecordSetsRequest "
		  "xmlns=\"" R53_NS "\"><ChangeBatch><Changes>");
	for (int k = 0; k < o->batch; k++) {
		char name[300];
		uint8_t a[4];
		const char *action;
		if (o->batch == 1) {
			snprintf(name, sizeof(name), "w%d.%s.%s", c->idx, o->prefix, o->zone);
			address(seq, 0, a);
			action = "UPSERT";
		} else {
			snprintf(name, sizeof(name), "b%d-%d.%s.%s", c->idx, k, o->prefix, o->zone);
			address(seq & ~1u, k, a);
			action = (seq & 1) ? "DELETE" : "CREATE";
		}
		if (k == 0) {
			snprintf(name_out, 300, "%s", name);
			memcpy(addr_out, a, 4);
		}
		sb_printf(&b,
			  "<Change><Action>%s</Action><ResourceRecordSet><Name>%s</Name><Type>A</"
			  "Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>%u.%u.%u.%u</"
			  "Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>",
			  action, name, a[0], a[1], a[2], a[3]);
	}
	sb_printf(&b, "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>");
	return b.len;
}

/* ---- DNS ----------------------------------------------------------------------------------- */

static size_t encode_name(const char *name, uint8_t *out)
{
	size_t n = 0;
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (len == 0 || len > 63 || n + len + 2 > 255)
			die("bad name %s", name);
		out[n++] = (uint8_t)len;
		memcpy(out + n, p, len);
		n += len;
		p += len;
		if (*p == '.')
			p++;
	}
	out[n++] = 0;
	return n;
}

static size_t skip_name(const uint8_t *m, size_t len, size_t off)
{
	while (off < len) {
		uint8_t l = m[off];
		if (l == 0)
			return off + 1;
		if ((l & 0xc0) == 0xc0)
			return off + 2;
		off += 1u + l;
	}
	return len + 1;
}

/* Whether the reply to query id answers A with address a. */
static bool reply_has(const uint8_t *m, size_t len, uint16_t id, const uint8_t a[4])
{
	if (len < 12 || ((m[0] << 8) | m[1]) != id || !(m[2] & 0x80) || (m[3] & 0x0f) != 0)
		return false;
	unsigned qd = (unsigned)(m[4] << 8 | m[5]), an = (unsigned)(m[6] << 8 | m[7]);
	size_t off = 12;
	for (unsigned i = 0; i < qd; i++)
		off = skip_name(m, len, off) + 4;
	for (unsigned i = 0; i < an && off < len; i++) {
		off = skip_name(m, len, off);
		if (off + 10 > len)
			return false;
		unsigned type = (unsigned)(m[off] << 8 | m[off + 1]);
		unsigned rdlen = (unsigned)(m[off + 8] << 8 | m[off + 9]);
		off += 10;
		if (off + rdlen > len)
			return false;
		if (type == 1 && rdlen == 4 && memcmp(m + off, a, 4) == 0)
			return true;
		off += rdlen;
	}
	return false;
}

/* Asks until the name answers with address a; false after DNS_TIMEOUT. */
static bool dns_wait(struct client *c, const char *name, const uint8_t a[4], uint64_t *probes)
{
	uint8_t q[300], r[4096];
	size_t n = 12;
	memset(q, 0, 12);
	n += encode_name(name, q + 12);
	static const uint8_t a_in[4] = {0, 1, 0, 1}; /* type A, class IN */
	memcpy(q + n, a_in, 4);
	n += 4;
	q[5] = 1; /* QDCOUNT */
	double deadline = now_s() + DNS_TIMEOUT;
	while (now_s() < deadline) {
		uint16_t id = ++c->qid;
		q[0] = (uint8_t)(id >> 8);
		q[1] = (uint8_t)id;
		(*probes)++;
		if (send(c->udp, q, n, 0) < 0)
			die("DNS send: %s", strerror(errno));
		for (;;) {
			struct pollfd p = {.fd = c->udp, .events = POLLIN};
			int ms = (int)((deadline - now_s()) * 1000) + 1;
			if (poll(&p, 1, ms > 100 ? 100 : ms) <= 0)
				break; /* lost: ask again */
			ssize_t got = recv(c->udp, r, sizeof(r), 0);
			if (got < 12 || ((r[0] << 8) | r[1]) != id)
				continue; /* a late reply to an earlier probe */
			if (reply_has(r, (size_t)got, id, a))
				return true;
			break; /* answered, but not yet with the new address */
		}
	}
	return false;
}

/* ---- the clients --------------------------------------------------------------------------- */

static void note_error(struct client *c, int status, const char *body)
{
	c->errors++;
	if (!c->err[0])
		snprintf(c->err, sizeof(c->err), "HTTP %d: %.400s", status, body);
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	const struct opts *o = c->o;
	char path[256], *body = NULL, name[300];
	size_t cap = 0;
	uint8_t a[4];
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s/rrset/", o->zone_id);
	double interval = o->rate > 0 ? (double)o->clients / o->rate : 0;
	double next = t_begin - o->warmup + interval * c->idx / o->clients;
	long sent = 0;
	while (!atomic_load(&stop_flag) && (o->count == 0 || sent++ < o->count)) {
		if (interval > 0) {
			double d = next - now_s();
			if (d > 0) {
				struct timespec ts = {(time_t)d,
						      (long)((d - (double)(time_t)d) * 1e9)};
				nanosleep(&ts, NULL);
			}
			next += interval;
		}
		uint32_t seq = c->seq++;
		size_t len = change_body(c, &body, &cap, seq, name, a);
		const char *resp;
		double t0 = now_s();
		int status = call(c, "POST", path, body, len, &resp);
		double t1 = now_s();
		bool in_window = t1 >= t_begin && t1 < t_end;
		if (status != 200) {
			if (in_window)
				note_error(c, status, resp);
			/* a failed DELETE/CREATE pair: start the pair again */
			if (o->batch > 1)
				c->seq = (c->seq + 1) & ~1u;
			continue;
		}
		char id[64] = "", st[32] = "";
		xml_text(resp, "Id", id, sizeof(id));
		xml_text(resp, "Status", st, sizeof(st));
		if (in_window) {
			c->batches++;
			c->records += (uint64_t)o->batch;
			add_sample(&c->api, (t1 - t0) * 1e6);
		}
		if (!o->latency)
			continue;
		/* A DELETE's name is gone from DNS: probe only what a change made visible. */
		bool probe = o->batch == 1 || !(seq & 1);
		double t2 = t1;
		uint64_t probes = 0;
		bool ok = !probe || dns_wait(c, name, a, &probes);
		if (probe)
			t2 = now_s();
		double t_insync = strcmp(st, "INSYNC") == 0 ? t1 : 0;
		char gpath[128];
		snprintf(gpath, sizeof(gpath), "/2013-04-01%s", id);
		int gs = call(c, "GET", gpath, "", 0, &resp);
		char gst[32] = "";
		if (gs == 200)
			xml_text(resp, "Status", gst, sizeof(gst));
		if (!t_insync && strcmp(gst, "INSYNC") == 0)
			t_insync = now_s();
		if (!in_window)
			continue;
		if (gs != 200) {
			note_error(c, gs, resp);
			continue;
		}
		c->probes += probes;
		if (!ok)
			c->dns_fail++;
		else if (probe)
			add_sample(&c->visible, (t2 - t1) * 1e6);
		if (strcmp(gst, "INSYNC") != 0 || strcmp(st, "INSYNC") != 0)
			c->not_insync++;
		if (t_insync)
			add_sample(&c->insync, (t_insync - t0) * 1e6);
	}
	free(body);
	return NULL;
}

static void merge(struct samples *all, const struct samples *s)
{
	for (size_t i = 0; i < s->n; i++)
		add_sample(all, s->v[i]);
}

static void run(const struct opts *o)
{
	struct client *cs = calloc((size_t)o->clients, sizeof(*cs));
	if (!cs)
		die("out of memory");
	t_begin = now_s() + o->warmup;
	t_end = t_begin + o->seconds;
	for (int i = 0; i < o->clients; i++) {
		struct client *c = &cs[i];
		c->idx = i;
		c->o = o;
		c->fd = -1;
		c->qid = (uint16_t)(i * 4099);
		c->resp = malloc(RESP_MAX + 1);
		if (!c->resp)
			die("out of memory");
		c->udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (c->udp < 0 || connect(c->udp, (const struct sockaddr *)&o->dns, sizeof(o->dns)))
			die("DNS socket: %s", strerror(errno));
		http_connect(c);
	}
	for (int i = 0; i < o->clients; i++)
		if (pthread_create(&cs[i].thread, NULL, client_main, &cs[i]) != 0)
			die("pthread_create");
	for (; !o->count;) { /* with -n the clients stop by themselves */
		double d = t_end - now_s();
		if (d <= 0) {
			atomic_store(&stop_flag, 1);
			break;
		}
		usleep(d > 0.05 ? 50000 : (useconds_t)(d * 1e6) + 1);
	}
	struct samples api = {0}, vis = {0}, ins = {0};
	uint64_t batches = 0, records = 0, errors = 0, not_insync = 0, dns_fail = 0, probes = 0;
	for (int i = 0; i < o->clients; i++) {
		struct client *c = &cs[i];
		pthread_join(c->thread, NULL);
		batches += c->batches;
		records += c->records;
		errors += c->errors;
		not_insync += c->not_insync;
		dns_fail += c->dns_fail;
		probes += c->probes;
		merge(&api, &c->api);
		merge(&vis, &c->visible);
		merge(&ins, &c->insync);
		if (c->err[0] && errors == c->errors)
			fprintf(stderr, "api_bench: client %d: %s\n", i, c->err);
	}
	qsort(api.v, api.n, sizeof(double), cmp_double);
	qsort(vis.v, vis.n, sizeof(double), cmp_double);
	qsort(ins.v, ins.n, sizeof(double), cmp_double);
	printf("{\"clients\": %d, \"batch\": %d, \"seconds\": %.3f, \"rate\": %.1f, "
	       "\"batches\": %llu, \"records\": %llu, \"errors\": %llu, "
	       "\"batches_per_s\": %.1f, \"records_per_s\": %.1f, "
	       "\"api_p50_ms\": %.3f, \"api_p99_ms\": %.3f, \"api_max_ms\": %.3f",
	       o->clients, o->batch, o->seconds, o->rate, (unsigned long long)batches,
	       (unsigned long long)records, (unsigned long long)errors,
	       (double)batches / o->seconds, (double)records / o->seconds, pct(&api, 50) / 1e3,
	       pct(&api, 99) / 1e3, api.n ? api.v[api.n - 1] / 1e3 : 0);
	if (o->latency)
		printf(", \"visible_n\": %zu, \"visible_p50_ms\": %.3f, \"visible_p99_ms\": %.3f, "
		       "\"visible_max_ms\": %.3f, \"dns_probes\": %llu, \"dns_fail\": %llu, "
		       "\"insync_n\": %zu, \"insync_p50_ms\": %.3f, \"insync_p99_ms\": %.3f, "
		       "\"insync_max_ms\": %.3f, \"not_insync\": %llu",
		       vis.n, pct(&vis, 50) / 1e3, pct(&vis, 99) / 1e3,
		       vis.n ? vis.v[vis.n - 1] / 1e3 : 0, (unsigned long long)probes,
		       (unsigned long long)dns_fail, ins.n, pct(&ins, 50) / 1e3,
		       pct(&ins, 99) / 1e3, ins.n ? ins.v[ins.n - 1] / 1e3 : 0,
		       (unsigned long long)not_insync);
	printf("}\n");
	for (int i = 0; i < o->clients; i++) {
		close(cs[i].udp);
		if (cs[i].fd >= 0)
			close(cs[i].fd);
		free(cs[i].resp);
		free(cs[i].body);
		free(cs[i].api.v);
		free(cs[i].visible.v);
		free(cs[i].insync.v);
	}
	free(api.v);
	free(vis.v);
	free(ins.v);
	free(cs);
}

/* -C: a hosted zone, with -H hosts h<i> A, created before measuring; prints the bare id. */
static void create_zone(const struct opts *o, const char *name, int hosts)
{
	struct client c = {.o = o, .fd = -1};
	c.resp = malloc(RESP_MAX + 1);
	if (!c.resp)
		die("out of memory");
	char *body = NULL, ref[64];
	size_t cap = 0;
	struct sbuf b = {&body, &cap, 0};
	snprintf(ref, sizeof(ref), "api-bench-%ld-%d", (long)time(NULL), (int)getpid());
	sb_printf(&b,
		  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateHostedZoneRequest "
		  "xmlns=\"" R53_NS "\"><Name>%s</Name><CallerReference>%s</CallerReference>"
		  "</CreateHostedZoneRequest>",
		  name, ref);
	const char *resp;
	int status = call(&c, "POST", "/2013-04-01/hostedzone", body, b.len, &resp);
	char id[64];
	if (status != 201 || !xml_text(resp, "Id", id, sizeof(id)) ||
	    strncmp(id, "/hostedzone/", 12) != 0)
		die("CreateHostedZone: HTTP %d: %.400s", status, resp);
	const char *zid = id + 12;
	char path[256];
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s/rrset/", zid);
	for (int start = 0; start < hosts; start += MAX_BATCH) {
		b.len = 0;
		sb_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			      "<ChangeResourceRecordSetsRequest xmlns=\"" R53_NS
			      "\"><ChangeBatch><Changes>");
		for (int i = start; i < hosts && i < start + MAX_BATCH; i++)
			sb_printf(&b,
				  "<Change><Action>CREATE</Action><ResourceRecordSet><Name>h%d.%s</"
				  "Name><Type>A</Type><TTL>300</TTL><ResourceRecords>"
				  "<ResourceRecord><Value>192.0.2.%d</Value></ResourceRecord>"
				  "</ResourceRecords></ResourceRecordSet></Change>",
				  i, name, i % 256);
		sb_printf(&b, "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>");
		status = call(&c, "POST", path, body, b.len, &resp);
		if (status != 200)
			die("ChangeResourceRecordSets: HTTP %d: %.400s", status, resp);
	}
	printf("%s\n", zid);
	free(body);
	free(c.body);
	free(c.resp);
	if (c.fd >= 0)
		close(c.fd);
}

static void parse_addr(const char *text, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	if (!colon || (size_t)(colon - text) >= sizeof(host))
		die("address %s: want IPV4:PORT", text);
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	int port = atoi(colon + 1);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1 || port <= 0 || port > 65535)
		die("address %s: want IPV4:PORT", text);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: api_bench -a API_ADDR:PORT -d DNS_ADDR:PORT -z ZONEID -Z ZONE [-c "
		"CLIENTS]\n"
		"                 [-b BATCH] [-l SECONDS] [-w WARMUP] [-R RATE] [-L] [-p PREFIX]\n"
		"       api_bench -a API_ADDR:PORT -C ZONE [-H HOSTS]   (create a zone, print its "
		"id)\n"
		"  -c  client threads, one connection each (default 1)\n"
		"  -b  records per batch: 1 = one UPSERT; more = CREATE then DELETE (default 1)\n"
		"  -l  measured seconds (default 5)    -w  warm-up seconds (default 1)\n"
		"  -n  batches per client, then stop (default 0: -l decides; for profiles)\n"
		"  -R  batches per second over all clients (default 0: as fast as answered)\n"
		"  -L  after each change: time until DNS answers it, and GetChange (INSYNC)\n"
		"  -p  label under the zone for the names changed (default \"load\")\n"
		"  -r  region in the credential scope (default us-east-1)\n"
		"Credentials: SIGNPOST_ACCESS_KEY_ID, SIGNPOST_SECRET_ACCESS_KEY.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {.clients = 1,
			 .batch = 1,
			 .seconds = 5,
			 .warmup = 1,
			 .prefix = "load",
			 .region = "us-east-1"};
	const char *api = NULL, *dns = NULL, *create = NULL;
	int hosts = 0, c;
	while ((c = getopt(argc, argv, "a:d:z:Z:c:b:n:l:w:R:Lp:r:C:H:h")) != -1) {
		switch (c) {
		case 'a':
			api = optarg;
			break;
		case 'd':
			dns = optarg;
			break;
		case 'z':
			o.zone_id = optarg;
			break;
		case 'Z':
			o.zone = optarg;
			break;
		case 'c':
			o.clients = atoi(optarg);
			break;
		case 'b':
			o.batch = atoi(optarg);
			break;
		case 'n':
			o.count = atol(optarg);
			break;
		case 'l':
			o.seconds = atof(optarg);
			break;
		case 'w':
			o.warmup = atof(optarg);
			break;
		case 'R':
			o.rate = atof(optarg);
			break;
		case 'L':
			o.latency = true;
			break;
		case 'p':
			o.prefix = optarg;
			break;
		case 'r':
			o.region = optarg;
			break;
		case 'C':
			create = optarg;
			break;
		case 'H':
			hosts = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	o.key.access_key_id = getenv("SIGNPOST_ACCESS_KEY_ID");
	o.key.secret_access_key = getenv("SIGNPOST_SECRET_ACCESS_KEY");
	if (!api || !o.key.access_key_id || !o.key.secret_access_key)
		usage();
	parse_addr(api, &o.api);
	snprintf(o.host, sizeof(o.host), "%s", api);
	if (create) {
		if (hosts < 0 || hosts > 9000)
			die("-H: 0 to 9000 hosts");
		create_zone(&o, create, hosts);
		return 0;
	}
	if (!dns || !o.zone_id || !o.zone)
		usage();
	parse_addr(dns, &o.dns);
	if (o.clients < 1 || o.clients > MAX_CLIENTS || o.batch < 1 || o.batch > MAX_BATCH ||
	    o.seconds <= 0 || o.seconds > 3600 || o.warmup < 0 || o.rate < 0 || o.count < 0)
		die("limits: 1 <= -c <= %d, 1 <= -b <= %d, 0 < -l <= 3600", MAX_CLIENTS, MAX_BATCH);
	run(&o);
	return 0;
}
