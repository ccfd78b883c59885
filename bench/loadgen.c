/* loadgen.c - lean closed-loop UDP DNS load generator (sendmmsg/recvmmsg) for bench/run.sh. */

/*
 * Reads a dnsperf-style query file ("name TYPE" per line), encodes every query once, then keeps
 * a fixed number of queries in flight against one server for a fixed time: each reply (matched
 * by ID) frees its slot for the next query; a slot whose query got no reply within the timeout is
 * counted lost and reused. Every reply is checked (QR, opcode, ID, the question echoed byte for
 * byte); with -x each reply is also classified (answer / nodata / referral / nxdomain) against the
 * expectation written by bench/gen.py, and every 16th reply is walked record by record, so a
 * server that answers garbage quickly does not win. Prints one JSON line on stdout.
 *
 * It deliberately stands alone (no project sources): it must measure the server, not share its
 * bugs.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_QUERY    512  /* an encoded query (name ≤ 255 octets + header + OPT) */
#define MAX_REPLY    4096 /* replies above this are counted as truncated reads */
#define MAX_BATCH    256
#define MAX_SOCKETS  16
#define MAX_INFLIGHT 4096

enum expect { EXPECT_NONE, EXPECT_ANSWER, EXPECT_NODATA, EXPECT_REFERRAL, EXPECT_NXDOMAIN };
static const char *const expect_names[] = {"none", "answer", "nodata", "referral", "nxdomain"};

struct query {
	uint32_t off;   /* into query_wire */
	uint16_t len;   /* whole message */
	uint16_t qlen;  /* the question section: name, type, class */
	uint16_t qtype; /* for the record walk */
	uint8_t expect; /* enum expect */
};

struct slot {
	uint64_t sent_ns;
	uint32_t qidx;
	uint16_t id;
	uint8_t busy;
	uint8_t buf[MAX_QUERY];
};

struct sock {
	int fd;
	unsigned nslots;
	unsigned slot_bits;
	uint16_t gen;
	struct slot *slots;
	unsigned *free_list; /* stack of free slot indexes */
	unsigned nfree;
};

struct stats {
	uint64_t sent, received, lost, late, invalid, checked, walked, walk_fail, mismatch, tc, aa,
		short_read;
	uint64_t rcode[16];
	uint64_t expect_seen[5], expect_bad[5];
};

static struct query *queries;
static size_t nqueries;
static uint8_t *query_wire;
static size_t query_wire_len, query_wire_cap;
static uint32_t next_query;
static volatile sig_atomic_t stop_flag;

static const char *const rcode_names[16] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
	"NXRRSET", "NOTAUTH", "NOTZONE",  "RCODE11",  "RCODE12", "RCODE13", "RCODE14",  "RCODE15"};

static const struct {
	const char *name;
	uint16_t code;
} types[] = {
	{"A", 1},      {"NS", 2},     {"CNAME", 5},  {"SOA", 6},     {"PTR", 12},   {"HINFO", 13},
	{"MX", 15},    {"TXT", 16},   {"AAAA", 28},  {"SRV", 33},    {"NAPTR", 35}, {"DS", 43},
	{"SSHFP", 44}, {"RRSIG", 46}, {"NSEC", 47},  {"DNSKEY", 48}, {"TLSA", 52},  {"SVCB", 64},
	{"HTTPS", 65}, {"SPF", 99},   {"AXFR", 252}, {"ANY", 255},   {"CAA", 257},
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void die(const char *msg)
{
	fprintf(stderr, "loadgen: %s\n", msg);
	exit(2);
}

static int parse_type(const char *s, uint16_t *out)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcasecmp(s, types[i].name) == 0) {
			*out = types[i].code;
			return 0;
		}
	}
	if (strncasecmp(s, "TYPE", 4) == 0 && s[4] != '\0') {
		char *end;
		unsigned long v = strtoul(s + 4, &end, 10);
		if (*end == '\0' && v <= 65535) {
			*out = (uint16_t)v;
			return 0;
		}
	}
	return -1;
}

/* Presentation name to uncompressed wire (RFC 1035 §5.1 escapes); returns length or -1. */
static int encode_name(const char *s, uint8_t *out)
{
	size_t pos = 1, label = 0; /* out[label] is the current label's length octet */
	if (strcmp(s, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	while (*s != '\0') {
		if (*s == '.') {
			size_t n = pos - label - 1;
			if (n == 0) {
				return -1; /* empty label */
			}
			out[label] = (uint8_t)n;
			label = pos++;
			s++;
			continue;
		}
		uint8_t c;
		if (*s == '\\') {
			s++;
			if (s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' &&
			    s[2] >= '0' && s[2] <= '9') {
				int v = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
				if (v > 255) {
					return -1;
				}
				c = (uint8_t)v;
				s += 3;
			} else if (*s != '\0') {
				c = (uint8_t)*s++;
			} else {
				return -1;
			}
		} else {
			c = (uint8_t)*s++;
		}
		if (pos - label > 63 || pos >= 254) {
			return -1;
		}
		out[pos++] = c;
	}
	if (pos - label > 1) { /* no trailing dot: close the last label */
		out[label] = (uint8_t)(pos - label - 1);
		label = pos++;
	}
	out[label] = 0;
	return (int)pos;
}

static void add_query(const char *name, uint16_t qtype, int edns, int dobit, enum expect expect)
{
	uint8_t msg[MAX_QUERY];
	memset(msg, 0, 12);
	msg[5] = 1; /* QDCOUNT; RD=0: we ask an authority */
	int n = encode_name(name, msg + 12);
	if (n < 0) {
		fprintf(stderr, "loadgen: bad name '%s'\n", name);
		exit(2);
	}
	size_t len = 12 + (size_t)n;
	msg[len++] = (uint8_t)(qtype >> 8);
	msg[len++] = (uint8_t)qtype;
	msg[len++] = 0;
	msg[len++] = 1; /* IN */
	if (edns) {
		static const uint8_t opt[11] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0}; /* 1232 */
		memcpy(msg + len, opt, sizeof(opt));
		if (dobit) {
			msg[len + 7] = 0x80;
		}
		len += sizeof(opt);
		msg[11] = 1; /* ARCOUNT */
	}
	if (query_wire_len + len > query_wire_cap) {
		query_wire_cap = query_wire_cap ? query_wire_cap * 2 : 1 << 20;
		query_wire = realloc(query_wire, query_wire_cap);
		if (query_wire == NULL) {
			die("out of memory");
		}
	}
	memcpy(query_wire + query_wire_len, msg, len);
	static size_t cap;
	if (nqueries == cap) {
		cap = cap ? cap * 2 : 4096;
		queries = realloc(queries, cap * sizeof(*queries));
		if (queries == NULL) {
			die("out of memory");
		}
	}
	queries[nqueries].off = (uint32_t)query_wire_len;
	queries[nqueries].len = (uint16_t)len;
	queries[nqueries].qlen = (uint16_t)(n + 4);
	queries[nqueries].qtype = qtype;
	queries[nqueries].expect = (uint8_t)expect;
	nqueries++;
	query_wire_len += len;
}

static int next_line(FILE *f, char *buf, size_t size)
{
	while (fgets(buf, (int)size, f) != NULL) {
		char *p = buf;
		while (*p == ' ' || *p == '\t') {
			p++;
		}
		if (*p == '\0' || *p == '\n' || *p == ';' || *p == '#') {
			continue;
		}
		return 1;
	}
	return 0;
}

static void load_queries(const char *path, const char *expect_path, int edns, int dobit)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	FILE *fx = NULL;
	if (expect_path != NULL) {
		fx = fopen(expect_path, "r");
		if (fx == NULL) {
			perror(expect_path);
			exit(2);
		}
	}
	char line[1024], xline[64], name[1024], type[64], xs[32];
	size_t lineno = 0;
	while (next_line(f, line, sizeof(line))) {
		lineno++;
		uint16_t qtype;
		if (sscanf(line, "%1023s %63s", name, type) != 2 || parse_type(type, &qtype) < 0) {
			fprintf(stderr, "loadgen: %s:%zu: expected 'name TYPE'\n", path, lineno);
			exit(2);
		}
		enum expect ex = EXPECT_NONE;
		if (fx != NULL) {
			if (!next_line(fx, xline, sizeof(xline)) ||
			    sscanf(xline, "%31s", xs) != 1) {
				fprintf(stderr, "loadgen: %s: fewer lines than %s\n", expect_path,
					path);
				exit(2);
			}
			for (int i = 0; i < 5; i++) {
				if (strcmp(xs, expect_names[i]) == 0) {
					ex = (enum expect)i;
				}
			}
		}
		add_query(name, qtype, edns, dobit, ex);
	}
	fclose(f);
	if (fx != NULL) {
		fclose(fx);
	}
	if (nqueries == 0) {
		die("no queries in the query file");
	}
}

static void set_buf(int fd, int opt, int force_opt, int size)
{
	if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) < 0) {
		(void)setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
	}
}

static int open_socket(const struct sockaddr_in *server)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("socket");
		exit(2);
	}
	set_buf(fd, SO_RCVBUF, SO_RCVBUFFORCE, 8 << 20);
	set_buf(fd, SO_SNDBUF, SO_SNDBUFFORCE, 8 << 20);
	if (connect(fd, (const struct sockaddr *)server, sizeof(*server)) < 0) {
		perror("connect");
		exit(2);
	}
	return fd;
}

/* Skips one possibly compressed name; returns the offset after it or 0 when malformed. */
static size_t skip_name(const uint8_t *m, size_t len, size_t off)
{
	for (unsigned labels = 0; labels < 128; labels++) {
		if (off >= len) {
			return 0;
		}
		uint8_t c = m[off];
		if (c == 0) {
			return off + 1;
		}
		if ((c & 0xc0) == 0xc0) {
			return off + 2 <= len ? off + 2 : 0;
		}
		if ((c & 0xc0) != 0) {
			return 0;
		}
		off += 1u + c;
	}
	return 0;
}

/* Walks every record of a reply: counts must match the bytes exactly. */
static int walk_reply(const uint8_t *m, size_t len, uint16_t qtype, enum expect ex)
{
	unsigned qd = (unsigned)(m[4] << 8 | m[5]), an = (unsigned)(m[6] << 8 | m[7]);
	unsigned total = an + (unsigned)(m[8] << 8 | m[9]) + (unsigned)(m[10] << 8 | m[11]);
	size_t off = 12;
	for (unsigned i = 0; i < qd; i++) {
		off = skip_name(m, len, off);
		if (off == 0 || off + 4 > len) {
			return -1;
		}
		off += 4;
	}
	for (unsigned i = 0; i < total; i++) {
		off = skip_name(m, len, off);
		if (off == 0 || off + 10 > len) {
			return -1;
		}
		uint16_t type = (uint16_t)(m[off] << 8 | m[off + 1]);
		size_t rdlen = (size_t)(m[off + 8] << 8 | m[off + 9]);
		if (i == 0 && an > 0 && ex == EXPECT_ANSWER && type != qtype && type != 5) {
			return -1; /* the first answer must be the type asked for or a CNAME */
		}
		off += 10 + rdlen;
		if (off > len) {
			return -1;
		}
	}
	return off == len ? 0 : -1;
}

static enum expect classify(const uint8_t *m)
{
	unsigned rcode = m[3] & 0x0f, aa = m[2] & 0x04;
	unsigned an = (unsigned)(m[6] << 8 | m[7]), ns = (unsigned)(m[8] << 8 | m[9]);
	if (rcode == 3) {
		return aa && an == 0 && ns > 0 ? EXPECT_NXDOMAIN : EXPECT_NONE;
	}
	if (rcode != 0) {
		return EXPECT_NONE;
	}
	if (an > 0) {
		return aa ? EXPECT_ANSWER : EXPECT_NONE;
	}
	if (ns == 0) {
		return EXPECT_NONE;
	}
	return aa ? EXPECT_NODATA : EXPECT_REFERRAL;
}

struct opts {
	struct sockaddr_in server;
	double seconds, warmup, timeout;
	unsigned inflight, nsockets, batch;
	const char *probe_zone;
	int probe_any; /* -A: any reply will do (for bench/echo) */
};

static void handle_reply(struct sock *s, const uint8_t *m, size_t len, int truncated,
			 struct stats *st, int counting)
{
	if (len < 12 || truncated) {
		st->short_read++;
		return;
	}
	uint16_t id = (uint16_t)(m[0] << 8 | m[1]);
	unsigned idx = id & ((1u << s->slot_bits) - 1);
	if (idx >= s->nslots || !s->slots[idx].busy || s->slots[idx].id != id) {
		st->late++; /* a reply to a query already counted lost, or garbage */
		return;
	}
	struct slot *sl = &s->slots[idx];
	const struct query *q = &queries[sl->qidx];
	sl->busy = 0;
	s->free_list[s->nfree++] = idx;
	if (!counting) {
		return;
	}
	st->received++;
	/* QR=1, opcode QUERY, QDCOUNT=1 and the question exactly as sent (case included). */
	size_t qlen = q->qlen;
	if ((m[2] & 0xf8) != 0x80 || m[4] != 0 || m[5] != 1 || len < 12 + qlen ||
	    memcmp(m + 12, sl->buf + 12, qlen) != 0) {
		st->invalid++;
		return;
	}
	st->checked++;
	st->rcode[m[3] & 0x0f]++;
	if (m[2] & 0x02) {
		st->tc++;
	}
	if (m[2] & 0x04) {
		st->aa++;
	}
	if ((st->checked & 15) == 0) {
		st->walked++;
		if (walk_reply(m, len, q->qtype, (enum expect)q->expect) < 0) {
			st->walk_fail++;
		}
	}
	if (q->expect != EXPECT_NONE) {
		st->expect_seen[q->expect]++;
		if (classify(m) != q->expect && !(m[2] & 0x02)) {
			st->mismatch++;
			st->expect_bad[q->expect]++;
		}
	}
}

static unsigned fill_and_send(struct sock *s, struct mmsghdr *msgs, struct iovec *iovs,
			      unsigned batch, uint64_t t, struct stats *st, int counting)
{
	unsigned sent_total = 0;
	while (s->nfree > 0) {
		unsigned n = s->nfree < batch ? s->nfree : batch;
		unsigned idx[MAX_BATCH];
		for (unsigned i = 0; i < n; i++) {
			unsigned k = s->free_list[s->nfree - 1 - i];
			struct slot *sl = &s->slots[k];
			const struct query *q = &queries[next_query];
			s->gen++;
			sl->id = (uint16_t)((unsigned)s->gen << s->slot_bits | k);
			sl->qidx = next_query;
			sl->sent_ns = t;
			memcpy(sl->buf, query_wire + q->off, q->len);
			sl->buf[0] = (uint8_t)(sl->id >> 8);
			sl->buf[1] = (uint8_t)sl->id;
			iovs[i].iov_base = sl->buf;
			iovs[i].iov_len = q->len;
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iovs[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			idx[i] = k;
			if (++next_query == nqueries) {
				next_query = 0;
			}
		}
		int r = sendmmsg(s->fd, msgs, n, 0);
		if (r <= 0) {
			/* Socket buffer full or ICMP error: the queries were not sent; retry later.
			 */
			next_query = (uint32_t)((next_query + nqueries - n) % nqueries);
			return sent_total;
		}
		for (int i = 0; i < r; i++) {
			s->slots[idx[i]].busy = 1;
		}
		s->nfree -= (unsigned)r;
		if ((unsigned)r < n) {
			/* Unsent ones stay free; the query cursor steps back over them. */
			next_query =
				(uint32_t)((next_query + nqueries - (n - (unsigned)r)) % nqueries);
			for (unsigned i = (unsigned)r; i < n; i++) {
				s->free_list[s->nfree - 1 - (i - (unsigned)r)] = idx[i];
			}
		}
		sent_total += (unsigned)r;
		if (counting) {
			st->sent += (unsigned)r;
		}
		if ((unsigned)r < n) {
			break;
		}
	}
	return sent_total;
}

/* A query is counted lost only if it was sent after the warm-up (as sent counts it). */
static void expire(struct sock *s, uint64_t t, uint64_t timeout_ns, uint64_t measure_start,
		   struct stats *st)
{
	for (unsigned k = 0; k < s->nslots; k++) {
		struct slot *sl = &s->slots[k];
		if (sl->busy && t - sl->sent_ns > timeout_ns) {
			sl->busy = 0;
			s->free_list[s->nfree++] = k;
			if (sl->sent_ns >= measure_start) {
				st->lost++;
			}
		}
	}
}

static void print_json(const struct opts *o, const struct stats *st, double elapsed, double cpu)
{
	printf("{\"cpu\":%.3f,\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64
	       ",\"late\":%" PRIu64 ",\"elapsed\":%.3f,\"qps\":%.0f,\"inflight\":%u,\"sockets\":%u"
	       ",\"queries\":%zu,\"invalid\":%" PRIu64 ",\"checked\":%" PRIu64
	       ",\"walked\":%" PRIu64 ",\"walk_fail\":%" PRIu64 ",\"mismatch\":%" PRIu64
	       ",\"tc\":%" PRIu64 ",\"aa\":%" PRIu64 ",\"short\":%" PRIu64 ",\"rcodes\":{",
	       cpu, st->sent, st->received, st->lost, st->late, elapsed,
	       elapsed > 0 ? (double)st->received / elapsed : 0.0, o->inflight, o->nsockets,
	       nqueries, st->invalid, st->checked, st->walked, st->walk_fail, st->mismatch, st->tc,
	       st->aa, st->short_read);
	int first = 1;
	for (int i = 0; i < 16; i++) {
		if (st->rcode[i] != 0) {
			printf("%s\"%s\":%" PRIu64, first ? "" : ",", rcode_names[i], st->rcode[i]);
			first = 0;
		}
	}
	printf("},\"expect\":{");
	first = 1;
	for (int i = 1; i < 5; i++) {
		if (st->expect_seen[i] != 0) {
			printf("%s\"%s\":[%" PRIu64 ",%" PRIu64 "]", first ? "" : ",",
			       expect_names[i], st->expect_seen[i], st->expect_bad[i]);
			first = 0;
		}
	}
	printf("}}\n");
	fflush(stdout);
}

/* Sends SOA queries for the zone until one gets an authoritative NOERROR answer. */
static int probe(const struct opts *o)
{
	add_query(o->probe_zone, 6, 0, 0, EXPECT_ANSWER);
	int fd = open_socket(&o->server);
	uint64_t start = now_ns(), end = start + (uint64_t)(o->seconds * 1e9);
	uint8_t q[MAX_QUERY], r[MAX_REPLY];
	uint16_t id = (uint16_t)(getpid() & 0xffff);
	size_t qlen = queries[0].len;
	memcpy(q, query_wire, qlen);
	while (!stop_flag && now_ns() < end) {
		id++;
		q[0] = (uint8_t)(id >> 8);
		q[1] = (uint8_t)id;
		(void)send(fd, q, qlen, 0);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint64_t wait_until = now_ns() + 20000000u;
		for (;;) {
			uint64_t t = now_ns();
			if (t >= wait_until) {
				break;
			}
			if (poll(&p, 1, (int)((wait_until - t) / 1000000u) + 1) <= 0) {
				continue;
			}
			ssize_t n = recv(fd, r, sizeof(r), 0);
			if (n >= 12 && r[0] == q[0] && r[1] == q[1] && (r[2] & 0x80) &&
			    (o->probe_any || classify(r) == EXPECT_ANSWER)) {
				printf("{\"ready_ms\":%.1f}\n", (double)(now_ns() - start) / 1e6);
				close(fd);
				return 0;
			}
		}
	}
	close(fd);
	fprintf(stderr, "loadgen: %s did not answer within %.0f s\n", o->probe_zone, o->seconds);
	return 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: loadgen -d QUERYFILE [-x EXPECTFILE] [-s 127.0.0.1] [-p 53] [-l SECONDS]\n"
		"               [-c INFLIGHT] [-S SOCKETS] [-b BATCH] [-t TIMEOUT] [-w WARMUP] "
		"[-e] "
		"[-D]\n"
		"       loadgen -P ZONE [-A] [-s ADDR] [-p PORT] [-l SECONDS]   (wait until ZONE's "
		"SOA is answered; -A: any reply)\n"
		"  -d  query file, dnsperf format: 'name TYPE' per line\n"
		"  -x  expectations, one per query line: answer|nodata|referral|nxdomain|none\n"
		"  -l  seconds to measure (default 10)    -w  warm-up seconds not counted (default "
		"0)\n"
		"  -c  queries in flight (default 200)    -S  sockets (default 1)\n"
		"  -b  sendmmsg/recvmmsg batch (default 64)  -t  seconds before a query is lost "
		"(default 1)\n"
		"  -e  add EDNS(0) OPT, payload 1232      -D  set the DO bit (implies -e)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {.seconds = 10, .timeout = 1, .inflight = 200, .nsockets = 1, .batch = 64};
	const char *qfile = NULL, *xfile = NULL, *addr = "127.0.0.1";
	int port = 53, edns = 0, dobit = 0, c;
	while ((c = getopt(argc, argv, "d:x:s:p:l:c:S:b:t:w:eDP:Ah")) != -1) {
		switch (c) {
		case 'd':
			qfile = optarg;
			break;
		case 'x':
			xfile = optarg;
			break;
		case 's':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'l':
			o.seconds = atof(optarg);
			break;
		case 'c':
			o.inflight = (unsigned)atoi(optarg);
			break;
		case 'S':
			o.nsockets = (unsigned)atoi(optarg);
			break;
		case 'b':
			o.batch = (unsigned)atoi(optarg);
			break;
		case 't':
			o.timeout = atof(optarg);
			break;
		case 'w':
			o.warmup = atof(optarg);
			break;
		case 'e':
			edns = 1;
			break;
		case 'D':
			edns = dobit = 1;
			break;
		case 'P':
			o.probe_zone = optarg;
			break;
		case 'A':
			o.probe_any = 1;
			break;
		default:
			usage();
		}
	}
	memset(&o.server, 0, sizeof(o.server));
	o.server.sin_family = AF_INET;
	o.server.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &o.server.sin_addr) != 1 || port <= 0 || port > 65535) {
		die("bad server address or port (IPv4 only)");
	}
	if (o.seconds <= 0 || o.seconds > 3600 || o.warmup < 0 || o.timeout <= 0) {
		die("durations: 0 < -l <= 3600, -w >= 0, -t > 0");
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (o.probe_zone != NULL) {
		return probe(&o);
	}
	if (qfile == NULL) {
		usage();
	}
	if (o.nsockets < 1 || o.nsockets > MAX_SOCKETS || o.inflight < o.nsockets ||
	    o.inflight > MAX_INFLIGHT || o.batch < 1 || o.batch > MAX_BATCH) {
		die("limits: 1 <= -S <= 16, -S <= -c <= 4096, 1 <= -b <= 256");
	}
	load_queries(qfile, xfile, edns, dobit);

	struct sock socks[MAX_SOCKETS];
	struct pollfd pfds[MAX_SOCKETS];
	for (unsigned i = 0; i < o.nsockets; i++) {
		struct sock *s = &socks[i];
		s->fd = open_socket(&o.server);
		s->nslots = o.inflight / o.nsockets + (i < o.inflight % o.nsockets);
		s->slot_bits = 1;
		while ((1u << s->slot_bits) < s->nslots) {
			s->slot_bits++;
		}
		s->gen = (uint16_t)(i * 7919u);
		s->slots = calloc(s->nslots, sizeof(*s->slots));
		s->free_list = calloc(s->nslots, sizeof(*s->free_list));
		if (s->slots == NULL || s->free_list == NULL) {
			die("out of memory");
		}
		for (unsigned k = 0; k < s->nslots; k++) {
			s->free_list[k] = s->nslots - 1 - k;
		}
		s->nfree = s->nslots;
		pfds[i].fd = s->fd;
		pfds[i].events = POLLIN;
	}

	static struct mmsghdr smsgs[MAX_BATCH], rmsgs[MAX_BATCH];
	static struct iovec siovs[MAX_BATCH], riovs[MAX_BATCH];
	static uint8_t rbufs[MAX_BATCH][MAX_REPLY];
	for (unsigned i = 0; i < MAX_BATCH; i++) {
		riovs[i].iov_base = rbufs[i];
		riovs[i].iov_len = MAX_REPLY;
	}
	struct stats st;
	memset(&st, 0, sizeof(st));
	double cpu_start = cpu_seconds();
	uint64_t start = now_ns();
	uint64_t measure_start = start + (uint64_t)(o.warmup * 1e9);
	uint64_t end = measure_start + (uint64_t)(o.seconds * 1e9);
	uint64_t timeout_ns = (uint64_t)(o.timeout * 1e9);
	uint64_t next_expire = start + 10000000u;
	int counting = o.warmup == 0;
	uint64_t t = start;
	while (!stop_flag) {
		if (!counting && t >= measure_start) {
			counting = 1;
		}
		if (t >= end) {
			break;
		}
		for (unsigned i = 0; i < o.nsockets; i++) {
			fill_and_send(&socks[i], smsgs, siovs, o.batch, t, &st, counting);
		}
		unsigned got = 0;
		for (unsigned i = 0; i < o.nsockets; i++) {
			for (;;) {
				for (unsigned k = 0; k < o.batch; k++) {
					memset(&rmsgs[k].msg_hdr, 0, sizeof(rmsgs[k].msg_hdr));
					rmsgs[k].msg_hdr.msg_iov = &riovs[k];
					rmsgs[k].msg_hdr.msg_iovlen = 1;
				}
				int r = recvmmsg(socks[i].fd, rmsgs, o.batch, MSG_DONTWAIT, NULL);
				if (r <= 0) {
					break; /* EAGAIN, or ECONNREFUSED from an ICMP error */
				}
				for (int k = 0; k < r; k++) {
					handle_reply(&socks[i], rbufs[k], rmsgs[k].msg_len,
						     (rmsgs[k].msg_hdr.msg_flags & MSG_TRUNC) != 0,
						     &st, counting);
				}
				got += (unsigned)r;
				if ((unsigned)r < o.batch) {
					break;
				}
			}
		}
		t = now_ns();
		if (t >= next_expire) {
			for (unsigned i = 0; i < o.nsockets; i++) {
				expire(&socks[i], t, timeout_ns, measure_start, &st);
			}
			next_expire = t + 10000000u;
		}
		if (got == 0) {
			int free_any = 0;
			for (unsigned i = 0; i < o.nsockets; i++) {
				free_any |= socks[i].nfree > 0;
			}
			/* Free slots here mean the send buffer was full: wait briefly. */
			(void)poll(pfds, o.nsockets, free_any ? 1 : 5);
			t = now_ns();
		}
	}
	uint64_t stop = now_ns();
	double elapsed = (double)(stop - (counting ? measure_start : stop)) / 1e9;
	if (elapsed > o.seconds && !stop_flag) {
		elapsed = o.seconds; /* the last batch overshoots by microseconds at most */
	}
	for (unsigned i = 0; i < o.nsockets; i++) {
		close(socks[i].fd);
	}
	/* Our own share of a core: near 1.0 means the load generator, not the server, was the
	 * limit. */
	double cpu = cpu_seconds() - cpu_start;
	print_json(&o, &st, elapsed, cpu / ((double)(stop - start) / 1e9));
	fprintf(stderr,
		"loadgen: %.0f QPS, sent %" PRIu64 " received %" PRIu64 " lost %" PRIu64
		" invalid %" PRIu64 " mismatch %" PRIu64 " walk_fail %" PRIu64 "\n",
		elapsed > 0 ? (double)st.received / elapsed : 0.0, st.sent, st.received, st.lost,
		st.invalid, st.mismatch, st.walk_fail);
	return 0;
}
