/*
 * net/resolver_io.c - the resolver's epoll loop: client listeners, upstream sockets, timers,
 * entropy and the control channel around the sans-I/O core (resolver/resolver.h).
 *
 * One loop iteration, top to bottom: compute the next deadline (the core's, the TCP idle
 * ones), epoll_wait, handle every ready source (each core event followed by draining the
 * core's actions), run the core's timers, close idle TCP connections, flush the UDP answers
 * gathered during the iteration with sendmmsg, free what was closed.
 *
 * Draining: every call into the core is followed by drain(), which carries out the actions in
 * order. An action is valid only until the next call into the core, so drain() never calls in
 * the middle of an action: a local send failure is noted and reported to the core
 * (resolver_upstream_error) once the queue is empty, then the queue is drained again.
 */
#include "net/resolver_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "dns/consts.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rdata.h"

#define UDP_BATCH       64
#define UDP_RX_MAX      4096 /* a larger datagram is no query: it is dropped */
#define UDP_TX_MSG_MAX  4096 /* answers to UDP clients are ≤ edns_udp_size (1232) */
#define UP_RX_MAX       65536
#define TCP_BACKLOG     256
#define EPOLL_EVENTS    64
#define HASH_BUCKETS    4096  /* upstream handles in flight */
#define MAX_CLIENTS     65536 /* client queries waiting for their answer */
#define UP_TCP_IDLE_MS  5000  /* an upstream TCP connection with nothing in flight */
#define UP_TCP_MAX_PEND 64    /* queries in flight on one upstream connection */
#define PORT_TRIES      16
#define CTL_MAX_CONNS   8
#define CTL_TIMEOUT_MS  5000
#define CTL_LINE_MAX    1024
#define RANDOM_POOL     256

enum src_kind {
	SRC_STOP,
	SRC_UDP,        /* client UDP listener */
	SRC_LISTEN,     /* client TCP listener */
	SRC_CONN,       /* client TCP connection */
	SRC_UP_UDP,     /* upstream UDP socket of one query */
	SRC_UP_TCP,     /* upstream TCP connection */
	SRC_CTL_LISTEN, /* control socket */
	SRC_CTL_CONN,
};

struct src {
	enum src_kind kind;
	int fd;
};

/* A client TCP connection. Freed once closed and no answer is owed to it any more. */
struct cconn {
	struct src src;
	struct cconn *prev, *next; /* open connections, least recently active first */
	struct cconn *dead_next;
	uint64_t deadline;
	unsigned pending; /* client slots pointing here */
	bool closed, eof, want_out;
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_off, out_len, out_cap;
};

/* A client query waiting for its answer: the core's token is (gen << 32 | index). */
struct client {
	uint32_t gen;
	uint32_t next_free;
	bool used;
	bool tcp;
	int fd; /* UDP: the listener */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct cconn *conn; /* TCP */
};

struct tcpc;

/* One upstream query in flight: the core's handle and where its reply will come from. */
struct up {
	struct src src; /* UDP: its own socket; TCP: fd -1 */
	uint64_t handle;
	struct up *hnext;
	struct tcpc *tc; /* TCP */
	struct up *tnext;
	uint16_t id;
	struct resolver_addr addr;
};

/* An upstream TCP connection, shared by every query to that server (RFC 7766 §6.2.1). */
struct tcpc {
	struct src src;
	struct tcpc *next;
	struct resolver_addr addr;
	bool connected, failed;
	uint32_t armed;
	struct up *pending;
	unsigned npending;
	uint64_t idle_deadline; /* when npending == 0 */
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_off, out_len, out_cap;
};

struct ctlconn {
	struct src src;
	uint64_t deadline;
	size_t len;
	char line[CTL_LINE_MAX];
};

struct txq {
	int fd;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	size_t len;
};

struct rio {
	struct resolver *r;
	bool trace;
	struct rio_acl *allow;
	size_t nallow;
	unsigned tcp_idle_ms, tcp_max;

	struct server_addr *addrs;
	size_t naddrs;
	struct src *udp, *listen;
	struct src stop;
	struct src ctl;
	char *ctl_path;
	struct ctlconn *ctlc[CTL_MAX_CONNS];

	int epfd;
	pthread_t thread;
	bool started;

	struct client *clients;
	uint32_t nclients, clients_cap, free_head;

	struct cconn *lru_head, *lru_tail, *dead;
	unsigned nconns;

	struct up *hash[HASH_BUCKETS];
	struct up *deadup; /* closed this iteration: freed at its end */
	struct tcpc *tcpcs;

	uint64_t failed[64]; /* handles whose send failed during drain() */
	size_t nfailed;

	uint8_t pool[RANDOM_POOL];
	size_t pool_left;

	/* UDP answers of this iteration, sent together at its end. */
	struct txq tx[UDP_BATCH];
	size_t ntx;
	uint8_t txbuf[UDP_BATCH][UDP_TX_MSG_MAX];

	struct mmsghdr rx_msg[UDP_BATCH];
	struct iovec rx_iov[UDP_BATCH];
	struct sockaddr_storage rx_peer[UDP_BATCH];
	uint8_t rx[UDP_BATCH][UDP_RX_MAX];
	uint8_t uprx[UP_RX_MAX];
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

/* ---- entropy (spec 7.2, 7.3) ---- */

static void fill_random(void *ctx, void *buf, size_t len)
{
	struct rio *io = ctx;
	uint8_t *out = buf;
	while (len > 0) {
		if (io->pool_left == 0) {
			ssize_t n = getrandom(io->pool, sizeof(io->pool), 0);
			if (n != (ssize_t)sizeof(io->pool))
				continue; /* interrupted: try again, never fall back to weak bytes
					   */
			io->pool_left = sizeof(io->pool);
		}
		size_t take = len < io->pool_left ? len : io->pool_left;
		memcpy(out, io->pool + sizeof(io->pool) - io->pool_left, take);
		explicit_bzero(io->pool + sizeof(io->pool) - io->pool_left, take);
		io->pool_left -= take;
		out += take;
		len -= take;
	}
}

/* ---- addresses ---- */

static void to_resolver_addr(const struct sockaddr_storage *ss, struct resolver_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		a->family = 6;
		memcpy(a->ip, &s6->sin6_addr, 16);
		a->port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		a->family = 4;
		memcpy(a->ip, &s4->sin_addr, 4);
		a->port = ntohs(s4->sin_port);
	}
}

static socklen_t to_sockaddr(const struct resolver_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->ip, 16);
		s6->sin6_port = htons(a->port);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	memcpy(&s4->sin_addr, a->ip, 4);
	s4->sin_port = htons(a->port);
	return sizeof(*s4);
}

static void addr_text(const struct resolver_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->ip, host, sizeof(host));
	snprintf(buf, len, a->family == 6 ? "[%s]:%u" : "%s:%u", host, a->port);
}

static bool addr_same(const struct resolver_addr *a, const struct resolver_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->ip, b->ip, a->family == 6 ? 16 : 4) == 0;
}

int rio_acl_parse(const char *text, struct rio_acl *out, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(text, '/');
	size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, errlen, "'%s': expected ADDRESS[/BITS], e.g. 127.0.0.0/8", text);
		return -EINVAL;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	memset(out, 0, sizeof(*out));
	unsigned max;
	if (inet_pton(AF_INET, host, out->ip) == 1) {
		out->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, host, out->ip) == 1) {
		out->family = 6;
		max = 128;
	} else {
		snprintf(err, errlen, "'%s' is not a numeric IPv4 or IPv6 address", host);
		return -EINVAL;
	}
	unsigned long bits = max;
	if (slash) {
		char *end;
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end || errno || bits > max) {
			snprintf(err, errlen, "'%s': the prefix length must be 0 to %u", text, max);
			return -EINVAL;
		}
	}
	out->bits = (uint8_t)bits;
	return 0;
}

static bool acl_match(const struct rio_acl *e, const struct resolver_addr *a)
{
	if (e->family != a->family)
		return false;
	unsigned full = e->bits / 8, rest = e->bits % 8;
	if (memcmp(e->ip, a->ip, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (e->ip[full] & mask) == (a->ip[full] & mask);
}

static bool allowed(const struct rio *io, const struct sockaddr_storage *ss)
{
	struct resolver_addr a;
	to_resolver_addr(ss, &a);
	/* An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d. */
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (a.family == 6 && memcmp(a.ip, mapped, 12) == 0) {
		memmove(a.ip, a.ip + 12, 4);
		memset(a.ip + 4, 0, 12);
		a.family = 4;
	}
	for (size_t i = 0; i < io->nallow; i++)
		if (acl_match(&io->allow[i], &a))
			return true;
	return false;
}

/*
 * REFUSED for a client outside the access list (spec 12.1): the header with the question
 * echoed, RA=0, and an OPT record iff the query had one (spec 9.5). 0 when nothing is owed
 * (a response, or no header).
 */
static size_t refuse(const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
	struct dns_query q;
	if (dns_query_parse(msg, len, &q) == DNS_PARSE_DROP)
		return 0;
	size_t n = DNS_HEADER_SIZE;
	bool question = q.qname_len > 0 && q.question_end <= len && q.question_end < cap - 11;
	if (question)
		n = q.question_end;
	memcpy(out, msg, n);
	uint16_t flags =
		(uint16_t)(DNS_F_QR | (q.flags & (0x7800 | DNS_F_RD | DNS_F_CD)) | DNS_RC_REFUSED);
	out[2] = (uint8_t)(flags >> 8);
	out[3] = (uint8_t)flags;
	out[4] = 0;
	out[5] = question ? 1 : 0;
	memset(out + 6, 0, 6);
	if (q.edns && question) {
		static const uint8_t opt[11] = {
			0, 0, 41, DNS_EDNS_MAX_UDP >> 8, DNS_EDNS_MAX_UDP & 0xff, 0, 0, 0, 0, 0, 0};
		memcpy(out + n, opt, sizeof(opt));
		n += sizeof(opt);
		out[11] = 1;
	}
	return n;
}

/* ---- epoll ---- */

static int ep_add(struct rio *io, struct src *s, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = s};
	return epoll_ctl(io->epfd, EPOLL_CTL_ADD, s->fd, &ev) == 0 ? 0 : -errno;
}

static void ep_mod(struct rio *io, struct src *s, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = s};
	(void)epoll_ctl(io->epfd, EPOLL_CTL_MOD, s->fd, &ev);
}

/* ---- byte buffers ---- */

static int buf_append(uint8_t **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
	if (*cap - *len < n) {
		size_t want = *cap ? *cap : 1024;
		while (want - *len < n)
			want *= 2;
		uint8_t *b = realloc(*buf, want);
		if (!b)
			return -ENOMEM;
		*buf = b;
		*cap = want;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return 0;
}

/* ---- client slots ---- */

static int client_alloc(struct rio *io, uint64_t *token)
{
	if (io->free_head == UINT32_MAX) {
		if (io->clients_cap >= MAX_CLIENTS)
			return -ENOBUFS;
		uint32_t cap = io->clients_cap ? io->clients_cap * 2 : 256;
		struct client *c = realloc(io->clients, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		for (uint32_t i = io->clients_cap; i < cap; i++) {
			c[i] = (struct client){.gen = 1,
					       .next_free = i + 1 < cap ? i + 1 : UINT32_MAX};
		}
		io->clients = c;
		io->free_head = io->clients_cap;
		io->clients_cap = cap;
	}
	uint32_t i = io->free_head;
	struct client *c = &io->clients[i];
	io->free_head = c->next_free;
	c->used = true;
	io->nclients++;
	*token = (uint64_t)c->gen << 32 | i;
	return 0;
}

static struct client *client_get(struct rio *io, uint64_t token)
{
	uint32_t i = (uint32_t)token;
	if (i >= io->clients_cap)
		return NULL;
	struct client *c = &io->clients[i];
	return c->used && c->gen == (uint32_t)(token >> 32) ? c : NULL;
}

static void client_release(struct rio *io, struct client *c)
{
	c->used = false;
	c->gen++;
	c->conn = NULL;
	c->next_free = io->free_head;
	io->free_head = (uint32_t)(c - io->clients);
	io->nclients--;
}

/* ---- client TCP connections ---- */

static void lru_unlink(struct rio *io, struct cconn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (io->lru_head == c)
		io->lru_head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else if (io->lru_tail == c)
		io->lru_tail = c->prev;
	c->prev = c->next = NULL;
}

static void lru_touch(struct rio *io, struct cconn *c, uint64_t now)
{
	c->deadline = now + io->tcp_idle_ms;
	if (io->lru_tail == c)
		return;
	lru_unlink(io, c);
	c->prev = io->lru_tail;
	if (io->lru_tail)
		io->lru_tail->next = c;
	else
		io->lru_head = c;
	io->lru_tail = c;
}

static void cconn_close(struct rio *io, struct cconn *c)
{
	if (c->closed)
		return;
	close(c->src.fd);
	c->src.fd = -1;
	c->closed = true;
	lru_unlink(io, c);
	c->dead_next = io->dead;
	io->dead = c;
	io->nconns--;
}

static void cconn_free(struct cconn *c)
{
	free(c->in);
	free(c->out);
	free(c);
}

static void cconn_arm(struct rio *io, struct cconn *c)
{
	bool want = c->out_len > c->out_off;
	if (want != c->want_out) {
		c->want_out = want;
		ep_mod(io, &c->src, (c->eof ? 0 : EPOLLIN) | (want ? EPOLLOUT : 0));
	}
}

static void cconn_flush(struct rio *io, struct cconn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t r = send(c->src.fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				cconn_close(io, c);
			break;
		}
		c->out_off += (size_t)r;
	}
	if (c->closed)
		return;
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	cconn_arm(io, c);
	if (c->eof && c->pending == 0 && c->out_len == 0)
		cconn_close(io, c);
}

/* ---- sending answers ---- */

static void tx_flush(struct rio *io)
{
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	size_t i = 0;
	while (i < io->ntx) {
		size_t j = i, n = 0;
		while (j < io->ntx && io->tx[j].fd == io->tx[i].fd) {
			iov[n] = (struct iovec){.iov_base = io->txbuf[j], .iov_len = io->tx[j].len};
			msgs[n].msg_hdr = (struct msghdr){.msg_name = &io->tx[j].peer,
							  .msg_namelen = io->tx[j].peerlen,
							  .msg_iov = &iov[n],
							  .msg_iovlen = 1};
			n++;
			j++;
		}
		size_t off = 0;
		while (off < n) {
			int r = sendmmsg(io->tx[i].fd, msgs + off, (unsigned)(n - off), 0);
			if (r > 0)
				off += (size_t)r;
			else if (r < 0 && errno == EINTR)
				continue;
			else
				off++; /* this datagram cannot go (no route to the client): skip it
					*/
		}
		i = j;
	}
	io->ntx = 0;
}

static void tx_udp(struct rio *io, int fd, const struct sockaddr_storage *peer, socklen_t plen,
		   const uint8_t *msg, size_t len)
{
	if (len > UDP_TX_MSG_MAX)
		return; /* the core keeps UDP answers within edns_udp_size */
	if (io->ntx == UDP_BATCH)
		tx_flush(io);
	struct txq *t = &io->tx[io->ntx];
	t->fd = fd;
	memcpy(&t->peer, peer, plen);
	t->peerlen = plen;
	t->len = len;
	memcpy(io->txbuf[io->ntx], msg, len);
	io->ntx++;
}

static void answer(struct rio *io, uint64_t token, const uint8_t *msg, size_t len)
{
	struct client *cl = client_get(io, token);
	if (!cl)
		return;
	if (!cl->tcp) {
		tx_udp(io, cl->fd, &cl->peer, cl->peerlen, msg, len);
	} else {
		struct cconn *c = cl->conn;
		c->pending--;
		if (!c->closed) {
			uint8_t pre[2] = {(uint8_t)(len >> 8), (uint8_t)len};
			if (buf_append(&c->out, &c->out_len, &c->out_cap, pre, 2) != 0 ||
			    buf_append(&c->out, &c->out_len, &c->out_cap, msg, len) != 0)
				cconn_close(io, c);
			else
				cconn_flush(io, c);
		}
	}
	client_release(io, cl);
}

/* ---- upstream ---- */

static size_t hash_of(uint64_t handle)
{
	return (size_t)((handle * 0x9e3779b97f4a7c15ull) >> 52) & (HASH_BUCKETS - 1);
}

static struct up *up_find(struct rio *io, uint64_t handle)
{
	for (struct up *u = io->hash[hash_of(handle)]; u; u = u->hnext)
		if (u->handle == handle)
			return u;
	return NULL;
}

static void up_insert(struct rio *io, struct up *u)
{
	size_t b = hash_of(u->handle);
	u->hnext = io->hash[b];
	io->hash[b] = u;
}

static void tcpc_set_idle(struct tcpc *tc, uint64_t now)
{
	if (tc->npending == 0)
		tc->idle_deadline = now + UP_TCP_IDLE_MS;
}

/* Forgets the query: its socket closed (UDP) or its ID unmapped (TCP); freed at the end of
   the iteration, since its socket may still be in this iteration's event list. */
static void up_close(struct rio *io, struct up *u, uint64_t now)
{
	struct up **pp = &io->hash[hash_of(u->handle)];
	while (*pp && *pp != u)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = u->hnext;
	if (u->src.fd >= 0) {
		close(u->src.fd);
		u->src.fd = -1;
	}
	if (u->tc) {
		struct up **tp = &u->tc->pending;
		while (*tp && *tp != u)
			tp = &(*tp)->tnext;
		if (*tp)
			*tp = u->tnext;
		u->tc->npending--;
		tcpc_set_idle(u->tc, now);
		u->tc = NULL;
	}
	u->hnext = io->deadup;
	io->deadup = u;
}

static void trace_send(const struct resolver_action *a)
{
	char name[DNS_NAME_MAXLEN * 4 + 2] = "?", tbuf[16], where[SERVER_ADDR_TEXT_MAX];
	const char *type = "?";
	uint8_t wire[DNS_NAME_MAXLEN];
	size_t pos = DNS_HEADER_SIZE;
	if (dns_name_unpack(a->msg, a->len, &pos, wire) >= 0 && pos + 4 <= a->len) {
		(void)dns_name_to_text(wire, name, sizeof(name));
		type = dns_type_to_text((uint16_t)(a->msg[pos] << 8 | a->msg[pos + 1]), tbuf,
					sizeof(tbuf));
	}
	addr_text(&a->addr, where, sizeof(where));
	log_info("trace: query %s %s -> %s %s", name, type, where,
		 a->kind == RESOLVER_ACT_SEND_TCP ? "tcp" : "udp");
}

/* A UDP socket on a random source port (spec 7.3), connected to the server. */
static int open_upstream_udp(struct rio *io, const struct resolver_addr *to)
{
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(to, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = -EADDRINUSE;
	for (int i = 0; i < PORT_TRIES && rc == -EADDRINUSE; i++) {
		uint16_t r;
		fill_random(io, &r, sizeof(r));
		uint16_t port = (uint16_t)(1024 + r % (65536 - 1024));
		struct sockaddr_storage local;
		memset(&local, 0, sizeof(local));
		socklen_t ll;
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *l6 = (struct sockaddr_in6 *)&local;
			l6->sin6_family = AF_INET6;
			l6->sin6_port = htons(port);
			ll = sizeof(*l6);
		} else {
			struct sockaddr_in *l4 = (struct sockaddr_in *)&local;
			l4->sin_family = AF_INET;
			l4->sin_port = htons(port);
			ll = sizeof(*l4);
		}
		rc = bind(fd, (struct sockaddr *)&local, ll) == 0 ? 0 : -errno;
	}
	/* Every try hit a port in use (a crowded host): the kernel's own random pick. */
	if (rc == -EADDRINUSE || rc == -EACCES)
		rc = 0;
	if (rc == 0 && connect(fd, (struct sockaddr *)&ss, sl) != 0)
		rc = -errno;
	if (rc == 0 && ss.ss_family == AF_INET)
		(void)set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_OMIT);
	else if (rc == 0)
		(void)set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_OMIT);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	return fd;
}

static void note_failure(struct rio *io, uint64_t handle)
{
	if (io->nfailed < sizeof(io->failed) / sizeof(io->failed[0]))
		io->failed[io->nfailed++] = handle;
	/* More failures than that in one drain: the core's timeout covers the rest. */
}

static void send_udp(struct rio *io, const struct resolver_action *a)
{
	struct up *u = calloc(1, sizeof(*u));
	if (!u) {
		note_failure(io, a->handle);
		return;
	}
	u->src = (struct src){.kind = SRC_UP_UDP, .fd = -1};
	u->handle = a->handle;
	u->addr = a->addr;
	int fd = open_upstream_udp(io, &a->addr);
	if (fd < 0 || (u->src.fd = fd, ep_add(io, &u->src, EPOLLIN) != 0) ||
	    send(fd, a->msg, a->len, MSG_NOSIGNAL) != (ssize_t)a->len) {
		log_debug("upstream UDP send: %s", strerror(fd < 0 ? -fd : errno));
		if (fd >= 0)
			close(fd);
		free(u);
		note_failure(io, a->handle);
		return;
	}
	up_insert(io, u);
}

static void tcpc_arm(struct rio *io, struct tcpc *tc)
{
	uint32_t want = EPOLLIN | (!tc->connected || tc->out_len > tc->out_off ? EPOLLOUT : 0);
	if (want != tc->armed) {
		tc->armed = want;
		ep_mod(io, &tc->src, want);
	}
}

static struct tcpc *tcpc_open(struct rio *io, const struct resolver_addr *to, uint64_t now)
{
	struct tcpc *tc = calloc(1, sizeof(*tc));
	if (!tc)
		return NULL;
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(to, &ss);
	tc->src = (struct src){.kind = SRC_UP_TCP, .fd = -1};
	tc->addr = *to;
	tc->idle_deadline = now + UP_TCP_IDLE_MS;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto out_free;
	(void)set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS)
		goto out_close;
	tc->src.fd = fd;
	tc->armed = EPOLLIN | EPOLLOUT;
	if (ep_add(io, &tc->src, tc->armed) != 0)
		goto out_close;
	tc->next = io->tcpcs;
	io->tcpcs = tc;
	return tc;
out_close:
	close(fd);
out_free:
	free(tc);
	return NULL;
}

static void send_tcp(struct rio *io, const struct resolver_action *a, uint64_t now)
{
	struct tcpc *tc = io->tcpcs;
	for (; tc; tc = tc->next) {
		if (tc->failed || !addr_same(&tc->addr, &a->addr) ||
		    tc->npending >= UP_TCP_MAX_PEND)
			continue;
		struct up *p = tc->pending;
		while (p && p->id != a->id)
			p = p->tnext;
		if (!p)
			break; /* reuse: the ID is free on this connection */
	}
	if (!tc)
		tc = tcpc_open(io, &a->addr, now);
	struct up *u = tc ? calloc(1, sizeof(*u)) : NULL;
	uint8_t pre[2] = {(uint8_t)(a->len >> 8), (uint8_t)a->len};
	if (!u || buf_append(&tc->out, &tc->out_len, &tc->out_cap, pre, 2) != 0 ||
	    buf_append(&tc->out, &tc->out_len, &tc->out_cap, a->msg, a->len) != 0) {
		free(u);
		note_failure(io, a->handle);
		return;
	}
	u->src = (struct src){.kind = SRC_UP_TCP, .fd = -1};
	u->handle = a->handle;
	u->addr = a->addr;
	u->id = a->id;
	u->tc = tc;
	u->tnext = tc->pending;
	tc->pending = u;
	tc->npending++;
	up_insert(io, u);
	tcpc_arm(io, tc);
}

static void act(struct rio *io, const struct resolver_action *a, uint64_t now)
{
	switch (a->kind) {
	case RESOLVER_ACT_SEND_UDP:
		if (io->trace)
			trace_send(a);
		send_udp(io, a);
		break;
	case RESOLVER_ACT_SEND_TCP:
		if (io->trace)
			trace_send(a);
		send_tcp(io, a, now);
		break;
	case RESOLVER_ACT_CLOSE: {
		struct up *u = up_find(io, a->handle);
		if (u)
			up_close(io, u, now);
		break;
	}
	case RESOLVER_ACT_ANSWER:
		answer(io, a->token, a->msg, a->len);
		break;
	}
}

/* Carries out the core's actions; a local send failure is reported once the queue is empty
   (an action is valid only until the next call into the core), and the queue drained again. */
static void drain(struct rio *io, uint64_t now)
{
	for (;;) {
		const struct resolver_action *a;
		while ((a = resolver_next_action(io->r)))
			act(io, a, now);
		if (io->nfailed == 0)
			return;
		resolver_upstream_error(io->r, now, io->failed[--io->nfailed]);
	}
}

static void up_udp_read(struct rio *io, struct up *u, uint64_t now)
{
	for (int i = 0; i < 8 && u->src.fd >= 0; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(u->src.fd, io->uprx, sizeof(io->uprx), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			/* ECONNREFUSED (ICMP port unreachable) and the like: the send failed. */
			uint64_t h = u->handle;
			up_close(io, u, now);
			resolver_upstream_error(io->r, now, h);
			drain(io, now);
			return;
		}
		struct resolver_addr fa;
		to_resolver_addr(&from, &fa);
		resolver_upstream_reply(io->r, now, u->handle, &fa, io->uprx, (size_t)n);
		drain(io, now); /* may close u (its socket becomes -1) */
	}
}

/* The connection failed: every query on it fails (the core moves to another server). */
static void tcpc_fail(struct rio *io, struct tcpc *tc, uint64_t now)
{
	tc->failed = true;
	if (tc->src.fd >= 0) {
		close(tc->src.fd);
		tc->src.fd = -1;
	}
	while (tc->pending) {
		struct up *u = tc->pending;
		uint64_t h = u->handle;
		up_close(io, u, now);
		resolver_upstream_error(io->r, now, h);
		drain(io, now);
	}
}

static void tcpc_event(struct rio *io, struct tcpc *tc, uint32_t events, uint64_t now)
{
	if (tc->failed)
		return;
	if (events & EPOLLERR) {
		tcpc_fail(io, tc, now);
		return;
	}
	if (!tc->connected && (events & (EPOLLOUT | EPOLLHUP))) {
		int err = 0;
		socklen_t el = sizeof(err);
		if (getsockopt(tc->src.fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
			tcpc_fail(io, tc, now);
			return;
		}
		tc->connected = true;
	}
	if (tc->connected && tc->out_len > tc->out_off) {
		ssize_t r = send(tc->src.fd, tc->out + tc->out_off, tc->out_len - tc->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			tcpc_fail(io, tc, now);
			return;
		}
		if (r > 0)
			tc->out_off += (size_t)r;
		if (tc->out_off == tc->out_len)
			tc->out_off = tc->out_len = 0;
	}
	if (events & (EPOLLIN | EPOLLHUP)) {
		for (;;) {
			if (tc->in_cap - tc->in_len < 4096) {
				size_t want = tc->in_cap ? tc->in_cap * 2 : 8192;
				if (want > 2 * (2 + DNS_MSG_MAX) + 8192) {
					if (tc->in_cap - tc->in_len == 0) {
						tcpc_fail(io, tc, now);
						return;
					}
				} else {
					uint8_t *b = realloc(tc->in, want);
					if (!b) {
						tcpc_fail(io, tc, now);
						return;
					}
					tc->in = b;
					tc->in_cap = want;
				}
			}
			ssize_t r = recv(tc->src.fd, tc->in + tc->in_len, tc->in_cap - tc->in_len,
					 MSG_DONTWAIT);
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) { /* closed by the server, or an error */
				tcpc_fail(io, tc, now);
				return;
			}
			tc->in_len += (size_t)r;
			size_t pos = 0;
			while (tc->in_len - pos >= 2) {
				size_t mlen = (size_t)tc->in[pos] << 8 | tc->in[pos + 1];
				if (tc->in_len - pos - 2 < mlen)
					break;
				const uint8_t *m = tc->in + pos + 2;
				pos += 2 + mlen;
				if (mlen < 2)
					continue;
				uint16_t id = (uint16_t)(m[0] << 8 | m[1]);
				struct up *u = tc->pending;
				while (u && u->id != id)
					u = u->tnext;
				if (!u)
					continue; /* nothing in flight with that ID: dropped */
				resolver_upstream_reply(io->r, now, u->handle, &tc->addr, m, mlen);
				drain(io, now);
				if (tc->failed)
					return;
			}
			memmove(tc->in, tc->in + pos, tc->in_len - pos);
			tc->in_len -= pos;
		}
	}
	tcpc_arm(io, tc);
}

/* ---- clients ---- */

static void client_query(struct rio *io, bool tcp, int fd, const struct sockaddr_storage *peer,
			 socklen_t plen, struct cconn *conn, const uint8_t *msg, size_t len,
			 uint64_t now)
{
	if (len < DNS_HEADER_SIZE || (msg[2] & 0x80))
		return; /* no header, or a response: the core would not answer it either */
	if (!allowed(io, peer)) {
		uint8_t out[DNS_HEADER_SIZE + DNS_NAME_MAXLEN + 4 + 11];
		size_t n = refuse(msg, len, out, sizeof(out));
		if (n == 0)
			return;
		if (!tcp) {
			tx_udp(io, fd, peer, plen, out, n);
		} else {
			uint8_t pre[2] = {(uint8_t)(n >> 8), (uint8_t)n};
			if (buf_append(&conn->out, &conn->out_len, &conn->out_cap, pre, 2) != 0 ||
			    buf_append(&conn->out, &conn->out_len, &conn->out_cap, out, n) != 0)
				cconn_close(io, conn);
			else
				cconn_flush(io, conn);
		}
		return;
	}
	uint64_t token;
	if (client_alloc(io, &token) != 0) {
		if (tcp)
			cconn_close(io, conn);
		return; /* UDP: dropped, the client will retry */
	}
	struct client *c = client_get(io, token);
	c->tcp = tcp;
	c->fd = fd;
	memcpy(&c->peer, peer, plen);
	c->peerlen = plen;
	c->conn = conn;
	if (tcp)
		conn->pending++;
	resolver_client_query(io->r, now, token, msg, len, tcp);
	drain(io, now);
}

static void udp_read(struct rio *io, const struct src *s, uint64_t now)
{
	for (int round = 0; round < 8; round++) {
		for (int i = 0; i < UDP_BATCH; i++) {
			io->rx_msg[i].msg_hdr.msg_namelen = sizeof(io->rx_peer[i]);
			io->rx_msg[i].msg_hdr.msg_flags = 0;
		}
		int n = recvmmsg(s->fd, io->rx_msg, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			if (io->rx_msg[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			client_query(io, false, s->fd, &io->rx_peer[i],
				     io->rx_msg[i].msg_hdr.msg_namelen, NULL, io->rx[i],
				     io->rx_msg[i].msg_len, now);
		}
		tx_flush(io);
		if (n < UDP_BATCH)
			return;
	}
}

static void tcp_accept(struct rio *io, const struct src *s, uint64_t now)
{
	for (int k = 0; k < 64; k++) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (io->nconns >= io->tcp_max && io->lru_head)
			cconn_close(io, io->lru_head);
		struct cconn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->src = (struct src){.kind = SRC_CONN, .fd = fd};
		(void)set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
		if (ep_add(io, &c->src, EPOLLIN) != 0) {
			close(fd);
			free(c);
			continue;
		}
		io->nconns++;
		lru_touch(io, c, now);
	}
}

static void cconn_read(struct rio *io, struct cconn *c, uint64_t now)
{
	if (c->in_cap - c->in_len < 2048) {
		size_t want = c->in_cap ? c->in_cap * 2 : 4096;
		if (want > 2 * (2 + DNS_MSG_MAX)) {
			if (c->in_cap == c->in_len) { /* cannot be: frames are consumed whole */
				cconn_close(io, c);
				return;
			}
		} else {
			uint8_t *b = realloc(c->in, want);
			if (!b) {
				cconn_close(io, c);
				return;
			}
			c->in = b;
			c->in_cap = want;
		}
	}
	ssize_t r = recv(c->src.fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			cconn_close(io, c);
		return;
	}
	if (r == 0) {
		c->eof = true;
		ep_mod(io, &c->src, c->want_out ? EPOLLOUT : 0);
	}
	c->in_len += (size_t)r;
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	if (getpeername(c->src.fd, (struct sockaddr *)&peer, &pl) != 0) {
		cconn_close(io, c);
		return;
	}
	size_t pos = 0;
	while (!c->closed && c->in_len - pos >= 2) {
		size_t mlen = (size_t)c->in[pos] << 8 | c->in[pos + 1];
		if (c->in_len - pos - 2 < mlen)
			break;
		lru_touch(io, c, now);
		/* The frame is copied: an answer may be written (and c->in kept) meanwhile. */
		uint8_t q[UDP_RX_MAX];
		size_t qlen = mlen < sizeof(q) ? mlen : 0;
		memcpy(q, c->in + pos + 2, qlen);
		pos += 2 + mlen;
		if (qlen)
			client_query(io, true, -1, &peer, pl, c, q, qlen, now);
	}
	if (c->closed)
		return;
	memmove(c->in, c->in + pos, c->in_len - pos);
	c->in_len -= pos;
	if (c->eof && c->pending == 0 && c->out_len == 0)
		cconn_close(io, c);
}

static void cconn_event(struct rio *io, struct cconn *c, uint32_t events, uint64_t now)
{
	if (c->closed)
		return;
	if (events & EPOLLERR) {
		cconn_close(io, c);
		return;
	}
	if (events & EPOLLOUT)
		cconn_flush(io, c);
	if (!c->closed && !c->eof && (events & (EPOLLIN | EPOLLHUP)))
		cconn_read(io, c, now);
}

/* ---- the control channel ---- */

static int ctl_name(const char *text, uint8_t wire[DNS_NAME_MAXLEN])
{
	static const uint8_t root[1] = {0};
	if (!text || !*text)
		return -EINVAL;
	if (dns_name_from_text(text, root, wire) < 0)
		return -EINVAL;
	return 0;
}

static void ctl_execute(struct rio *io, char *line, char *out, size_t outlen, uint64_t now)
{
	char *save = NULL;
	char *cmd = strtok_r(line, " \t\r\n", &save);
	char *arg = strtok_r(NULL, " \t\r\n", &save);
	char *arg2 = strtok_r(NULL, " \t\r\n", &save);
	uint8_t name[DNS_NAME_MAXLEN];
	if (!cmd) {
		snprintf(out, outlen, "error: empty command\n");
	} else if (strcmp(cmd, "flush") == 0 || strcmp(cmd, "flush-zone") == 0) {
		if (ctl_name(arg, name) != 0) {
			snprintf(out, outlen, "error: %s needs a domain name\n", cmd);
			return;
		}
		dns_name_lower(name);
		resolver_flush(io->r, name, strcmp(cmd, "flush-zone") == 0);
		snprintf(out, outlen, "ok\n");
		log_info("control: %s %s", cmd, arg);
	} else if (strcmp(cmd, "flush-all") == 0) {
		resolver_flush(io->r, NULL, false);
		snprintf(out, outlen, "ok\n");
		log_info("control: flush-all");
	} else if (strcmp(cmd, "flush-negative") == 0) {
		resolver_flush_negative(io->r);
		snprintf(out, outlen, "ok\n");
	} else if (strcmp(cmd, "flush-infra") == 0) {
		resolver_flush_infra(io->r);
		snprintf(out, outlen, "ok\n");
	} else if (strcmp(cmd, "lookup") == 0) {
		int type = arg2 ? dns_type_from_text(arg2) : DNS_T_A;
		struct resolver_cache_info ci;
		if (ctl_name(arg, name) != 0 || type < 0) {
			snprintf(out, outlen, "error: lookup NAME [TYPE]\n");
			return;
		}
		dns_name_lower(name);
		if (!resolver_cache_peek(io->r, now, name, (uint16_t)type, &ci))
			snprintf(out, outlen, "ok not cached\n");
		else if (ci.failure)
			snprintf(out, outlen, "ok failure ttl %u\n", ci.ttl);
		else if (ci.negative)
			snprintf(out, outlen, "ok negative %s ttl %u\n",
				 ci.neg_rcode == DNS_RC_NXDOMAIN ? "NXDOMAIN" : "NODATA", ci.ttl);
		else
			snprintf(out, outlen, "ok rrset records %u ttl %u rank %d\n", ci.count,
				 ci.ttl, (int)ci.rank);
	} else if (strcmp(cmd, "stats") == 0) {
		struct resolver_stats s;
		resolver_get_stats(io->r, &s);
		snprintf(out, outlen,
			 "ok\nclient_queries %llu\ncache_answers %llu\nupstream_sent %llu\n"
			 "upstream_tcp %llu\nreplies_unmatched %llu\nreplies_malformed %llu\n"
			 "replies_truncated %llu\ntimeouts %llu\nservfail_answers %llu\n"
			 "cache_bytes %llu\ncache_entries %llu\n",
			 (unsigned long long)s.client_queries, (unsigned long long)s.cache_answers,
			 (unsigned long long)s.upstream_sent, (unsigned long long)s.upstream_tcp,
			 (unsigned long long)s.replies_unmatched,
			 (unsigned long long)s.replies_malformed,
			 (unsigned long long)s.replies_truncated, (unsigned long long)s.timeouts,
			 (unsigned long long)s.servfail_answers, (unsigned long long)s.cache_bytes,
			 (unsigned long long)s.cache_entries);
	} else {
		snprintf(out, outlen,
			 "error: unknown command '%s' (flush NAME, flush-zone NAME, flush-all, "
			 "flush-negative, flush-infra, lookup NAME [TYPE], stats)\n",
			 cmd);
	}
}

static void ctl_close(struct rio *io, size_t i)
{
	close(io->ctlc[i]->src.fd);
	free(io->ctlc[i]);
	io->ctlc[i] = NULL;
}

static void ctl_accept(struct rio *io, uint64_t now)
{
	for (;;) {
		int fd = accept4(io->ctl.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		size_t slot = CTL_MAX_CONNS, oldest = 0;
		for (size_t i = 0; i < CTL_MAX_CONNS; i++) {
			if (!io->ctlc[i]) {
				slot = i;
				break;
			}
			if (io->ctlc[i]->deadline < io->ctlc[oldest]->deadline)
				oldest = i;
		}
		if (slot == CTL_MAX_CONNS) {
			ctl_close(io, oldest);
			slot = oldest;
		}
		struct ctlconn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->src = (struct src){.kind = SRC_CTL_CONN, .fd = fd};
		c->deadline = now + CTL_TIMEOUT_MS;
		if (ep_add(io, &c->src, EPOLLIN) != 0) {
			close(fd);
			free(c);
			continue;
		}
		io->ctlc[slot] = c;
	}
}

static void ctl_read(struct rio *io, struct ctlconn *c, uint64_t now)
{
	size_t i = 0;
	while (i < CTL_MAX_CONNS && io->ctlc[i] != c)
		i++;
	if (i == CTL_MAX_CONNS)
		return;
	ssize_t r = recv(c->src.fd, c->line + c->len, sizeof(c->line) - 1 - c->len, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r > 0)
		c->len += (size_t)r;
	c->line[c->len] = '\0';
	bool done = r <= 0 || strchr(c->line, '\n') || c->len == sizeof(c->line) - 1;
	if (!done)
		return;
	char out[2048];
	ctl_execute(io, c->line, out, sizeof(out), now);
	drain(io, now);
	(void)send(c->src.fd, out, strlen(out), MSG_NOSIGNAL | MSG_DONTWAIT);
	ctl_close(io, i);
}

/* ---- the loop ---- */

static void expire(struct rio *io, uint64_t now)
{
	if (resolver_next_timer(io->r) <= now) {
		resolver_timeout(io->r, now);
		drain(io, now);
	}
	while (io->lru_head && io->lru_head->deadline <= now) {
		struct cconn *c = io->lru_head;
		if (c->pending > 0)
			lru_touch(io, c, now); /* an answer is still owed */
		else
			cconn_close(io, c);
		if (io->lru_head == c)
			break;
	}
	for (struct tcpc **pp = &io->tcpcs; *pp;) {
		struct tcpc *tc = *pp;
		if (tc->failed || (tc->npending == 0 && tc->idle_deadline <= now)) {
			*pp = tc->next;
			if (tc->src.fd >= 0)
				close(tc->src.fd);
			free(tc->in);
			free(tc->out);
			free(tc);
			continue;
		}
		pp = &tc->next;
	}
	for (size_t i = 0; i < CTL_MAX_CONNS; i++)
		if (io->ctlc[i] && io->ctlc[i]->deadline <= now)
			ctl_close(io, i);
}

static void free_dead(struct rio *io)
{
	while (io->deadup) {
		struct up *u = io->deadup;
		io->deadup = u->hnext;
		free(u);
	}
	for (struct cconn **pp = &io->dead; *pp;) {
		struct cconn *c = *pp;
		if (c->pending == 0) {
			*pp = c->dead_next;
			cconn_free(c);
		} else {
			pp = &c->dead_next;
		}
	}
}

static int next_timeout(const struct rio *io, uint64_t now)
{
	uint64_t next = resolver_next_timer(io->r);
	if (io->lru_head && io->lru_head->deadline < next)
		next = io->lru_head->deadline;
	for (const struct tcpc *tc = io->tcpcs; tc; tc = tc->next)
		if (tc->npending == 0 && tc->idle_deadline < next)
			next = tc->idle_deadline;
	for (size_t i = 0; i < CTL_MAX_CONNS; i++)
		if (io->ctlc[i] && io->ctlc[i]->deadline < next)
			next = io->ctlc[i]->deadline;
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

static void *loop_main(void *arg)
{
	struct rio *io = arg;
	struct epoll_event evs[EPOLL_EVENTS];
	bool stop = false;
	while (!stop) {
		int timeout = next_timeout(io, now_ms());
		int n = epoll_wait(io->epfd, evs, EPOLL_EVENTS, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("resolver: epoll_wait: %s; the resolver stops", strerror(errno));
			break;
		}
		uint64_t now = now_ms();
		for (int i = 0; i < n; i++) {
			struct src *s = evs[i].data.ptr;
			uint32_t ev = evs[i].events;
			switch (s->kind) {
			case SRC_STOP:
				stop = true;
				break;
			case SRC_UDP:
				udp_read(io, s, now);
				break;
			case SRC_LISTEN:
				tcp_accept(io, s, now);
				break;
			case SRC_CONN:
				cconn_event(io, (struct cconn *)s, ev, now);
				break;
			case SRC_UP_UDP:
				if (s->fd >= 0)
					up_udp_read(io, (struct up *)s, now);
				break;
			case SRC_UP_TCP:
				tcpc_event(io, (struct tcpc *)s, ev, now);
				break;
			case SRC_CTL_LISTEN:
				ctl_accept(io, now);
				break;
			case SRC_CTL_CONN:
				ctl_read(io, (struct ctlconn *)s, now);
				break;
			}
		}
		expire(io, now_ms());
		tx_flush(io);
		free_dead(io);
	}
	return NULL;
}

/* ---- setup and teardown ---- */

static int bind_listener(const struct server_addr *a, int type, int *out)
{
	int fd = socket(a->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (a->ss.ss_family == AF_INET6)
		(void)set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	if (type == SOCK_STREAM) {
		(void)set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	} else {
		(void)set_int(fd, SOL_SOCKET, SO_RCVBUF, 4 << 20);
		/* Answers are ≤ 1232 octets; path MTU news (forgeable ICMP) is ignored (spec 9.7).
		 */
		if (a->ss.ss_family == AF_INET)
			(void)set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_OMIT);
		else
			(void)set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_OMIT);
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 ||
	    (type == SOCK_STREAM && listen(fd, TCP_BACKLOG) != 0)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

static bool is_wildcard(const struct server_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
	return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
}

/* UDP then TCP on the same port (with port 0, the one the kernel gave UDP). */
static int bind_pair(struct server_addr *a, int *ufd, int *tfd)
{
	char text[SERVER_ADDR_TEXT_MAX];
	if (is_wildcard(a)) {
		server_addr_to_text(a, text);
		log_err("resolver: %s: listen on a specific address (a wildcard address would "
			"answer from the wrong source address)",
			text);
		return -EINVAL;
	}
	bool any_port =
		(a->ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a->ss)->sin6_port
					     : ((struct sockaddr_in *)&a->ss)->sin_port) == 0;
	int rc = 0;
	for (int attempt = 0; attempt < 8; attempt++) {
		struct server_addr b = *a;
		const char *proto = "UDP";
		rc = bind_listener(&b, SOCK_DGRAM, ufd);
		if (rc == 0) {
			socklen_t l = b.len;
			(void)getsockname(*ufd, (struct sockaddr *)&b.ss, &l);
			proto = "TCP";
			rc = bind_listener(&b, SOCK_STREAM, tfd);
			if (rc == 0) {
				*a = b;
				return 0;
			}
			close(*ufd);
		}
		if (rc != -EADDRINUSE || !any_port || proto[0] != 'T') {
			server_addr_to_text(a, text);
			log_err("resolver: cannot listen on %s %s: %s%s", text, proto,
				strerror(-rc),
				rc == -EACCES ? " (ports below 1024 need root or "
						"CAP_NET_BIND_SERVICE)"
					      : "");
			return rc;
		}
	}
	return rc;
}

static int bind_control(struct rio *io, const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_err("resolver: control socket path too long (at most %zu characters): %s",
			sizeof(sun.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		/* A live resolver answers on it: never take its socket away. */
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 || errno == EAGAIN) {
			log_err("resolver: %s is the control socket of a running resolver; stop it "
				"or choose another --control PATH",
				path);
			close(fd);
			return -EADDRINUSE;
		}
		close(fd);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		unlink(path); /* left by a resolver that did not stop cleanly */
	}
	mode_t old = umask(077);
	int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ? 0 : -errno;
	umask(old);
	if (rc == 0 && listen(fd, 16) != 0)
		rc = -errno;
	if (rc != 0) {
		log_err("resolver: cannot create the control socket %s: %s", path, strerror(-rc));
		close(fd);
		return rc;
	}
	io->ctl = (struct src){.kind = SRC_CTL_LISTEN, .fd = fd};
	io->ctl_path = strdup(path);
	return io->ctl_path ? 0 : -ENOMEM;
}

int rio_new(const struct rio_opts *o, const struct resolver_config *rc, struct rio **out)
{
	int err = -ENOMEM;
	struct rio *io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->epfd = io->stop.fd = io->ctl.fd = -1;
	io->free_head = UINT32_MAX;
	io->trace = o->trace;
	io->tcp_idle_ms = o->tcp_idle_timeout_ms ? o->tcp_idle_timeout_ms : 10000;
	io->tcp_max = o->tcp_max_connections ? o->tcp_max_connections : 256;
	size_t nallow = o->nallow ? o->nallow : 2;
	io->allow = calloc(nallow, sizeof(*io->allow));
	io->addrs = calloc(o->nlisten ? o->nlisten : 1, sizeof(*io->addrs));
	io->udp = calloc(o->nlisten ? o->nlisten : 1, sizeof(*io->udp));
	io->listen = calloc(o->nlisten ? o->nlisten : 1, sizeof(*io->listen));
	if (!io->allow || !io->addrs || !io->udp || !io->listen)
		goto out_free;
	if (o->nallow) {
		memcpy(io->allow, o->allow, nallow * sizeof(*io->allow));
	} else { /* loopback only (spec 12.1: never an open resolver by default) */
		io->allow[0] = (struct rio_acl){.family = 4, .ip = {127}, .bits = 8};
		io->allow[1] = (struct rio_acl){.family = 6, .ip = {[15] = 1}, .bits = 128};
	}
	io->nallow = nallow;
	for (size_t i = 0; i < o->nlisten; i++)
		io->udp[i] = io->listen[i] = (struct src){.fd = -1};

	struct resolver_config c = *rc;
	c.random = (struct resolver_random){fill_random, io};
	if ((err = resolver_new(&c, &io->r)) != 0) {
		log_err("resolver: %s", err == -EINVAL ? "the root hints need at least one root NS "
							 "record and an address for it"
						       : strerror(-err));
		goto out_free;
	}
	if ((io->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (io->stop.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		err = -errno;
		goto out_free;
	}
	io->stop.kind = SRC_STOP;
	if ((err = ep_add(io, &io->stop, EPOLLIN)) != 0)
		goto out_free;
	for (size_t i = 0; i < o->nlisten; i++) {
		io->addrs[i] = o->listen[i];
		int ufd, tfd;
		if ((err = bind_pair(&io->addrs[i], &ufd, &tfd)) != 0)
			goto out_free;
		io->udp[i] = (struct src){.kind = SRC_UDP, .fd = ufd};
		io->listen[i] = (struct src){.kind = SRC_LISTEN, .fd = tfd};
		io->naddrs++;
		if ((err = ep_add(io, &io->udp[i], EPOLLIN)) != 0 ||
		    (err = ep_add(io, &io->listen[i], EPOLLIN)) != 0)
			goto out_free;
	}
	if (o->control_path) {
		if ((err = bind_control(io, o->control_path)) != 0 ||
		    (err = ep_add(io, &io->ctl, EPOLLIN)) != 0)
			goto out_free;
	}
	for (int i = 0; i < UDP_BATCH; i++) {
		io->rx_iov[i] = (struct iovec){.iov_base = io->rx[i], .iov_len = UDP_RX_MAX};
		io->rx_msg[i].msg_hdr.msg_name = &io->rx_peer[i];
		io->rx_msg[i].msg_hdr.msg_iov = &io->rx_iov[i];
		io->rx_msg[i].msg_hdr.msg_iovlen = 1;
	}
	*out = io;
	return 0;
out_free:
	rio_free(io);
	return err;
}

size_t rio_bound(const struct rio *io, const struct server_addr **addrs)
{
	*addrs = io->addrs;
	return io->naddrs;
}

int rio_start(struct rio *io)
{
	int rc = pthread_create(&io->thread, NULL, loop_main, io);
	if (rc != 0)
		return -rc;
	io->started = true;
	(void)pthread_setname_np(io->thread, "signpost-res");
	return 0;
}

void rio_free(struct rio *io)
{
	if (!io)
		return;
	if (io->started) {
		uint64_t one = 1;
		if (write(io->stop.fd, &one, sizeof(one)) != sizeof(one))
			log_err("cannot stop the resolver: %s", strerror(errno));
		pthread_join(io->thread, NULL);
	}
	if (io->r) {
		struct resolver_stats s;
		resolver_get_stats(io->r, &s);
		if (io->started)
			log_info("resolver: %llu client queries, %llu answered from the cache, "
				 "%llu upstream queries (%llu over TCP), %llu timeouts, %llu "
				 "unmatched replies",
				 (unsigned long long)s.client_queries,
				 (unsigned long long)s.cache_answers,
				 (unsigned long long)s.upstream_sent,
				 (unsigned long long)s.upstream_tcp, (unsigned long long)s.timeouts,
				 (unsigned long long)s.replies_unmatched);
		resolver_free(io->r);
	}
	for (size_t i = 0; i < io->naddrs; i++) {
		close(io->udp[i].fd);
		close(io->listen[i].fd);
	}
	while (io->lru_head)
		cconn_close(io, io->lru_head);
	while (io->dead) {
		struct cconn *c = io->dead;
		io->dead = c->dead_next;
		cconn_free(c);
	}
	for (size_t b = 0; b < HASH_BUCKETS; b++) {
		while (io->hash[b]) {
			struct up *u = io->hash[b];
			io->hash[b] = u->hnext;
			if (u->src.fd >= 0)
				close(u->src.fd);
			free(u);
		}
	}
	while (io->deadup) {
		struct up *u = io->deadup;
		io->deadup = u->hnext;
		free(u);
	}
	while (io->tcpcs) {
		struct tcpc *tc = io->tcpcs;
		io->tcpcs = tc->next;
		if (tc->src.fd >= 0)
			close(tc->src.fd);
		free(tc->in);
		free(tc->out);
		free(tc);
	}
	for (size_t i = 0; i < CTL_MAX_CONNS; i++)
		if (io->ctlc[i])
			ctl_close(io, i);
	if (io->ctl.fd >= 0) {
		close(io->ctl.fd);
		unlink(io->ctl_path);
	}
	free(io->ctl_path);
	if (io->stop.fd >= 0)
		close(io->stop.fd);
	if (io->epfd >= 0)
		close(io->epfd);
	free(io->clients);
	free(io->allow);
	free(io->addrs);
	free(io->udp);
	free(io->listen);
	free(io);
}

int rio_control(const char *path, const char *command, char *reply, size_t len, unsigned timeout_ms)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = 0;
	size_t got = 0;
	uint64_t deadline = now_ms() + timeout_ms;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		rc = -errno;
		goto out;
	}
	char line[CTL_LINE_MAX];
	int n = snprintf(line, sizeof(line), "%s\n", command);
	if (n <= 0 || (size_t)n >= sizeof(line)) {
		rc = -E2BIG;
		goto out;
	}
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		uint64_t now = now_ms();
		if (now >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int pr = poll(&p, 1, (int)(deadline - now));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			rc = pr == 0 ? -ETIMEDOUT : -errno;
			break;
		}
		ssize_t r = recv(fd, reply + got, len - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got == len - 1)
			break;
	}
out:
	if (len)
		reply[got] = '\0';
	close(fd);
	return rc;
}
