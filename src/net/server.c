/*
 * net/server.c - UDP and TCP serving on worker threads, each with its own epoll loop.
 *
 * TCP runs inside the workers' epoll loops rather than on threads of its own: every worker has
 * its own SO_REUSEPORT listening socket per address, accepts on it and serves the connections
 * it accepted, all nonblocking. A connection is only ever touched by one thread (no locks), a
 * slow or silent client costs a file descriptor and a timer entry but never a thread, and TCP
 * answering scales with the workers exactly as UDP does. The connection cap is split evenly
 * between the workers, so a worker at its share can always make room by closing its own least
 * recently active connection: a new client is never turned away for lack of a slot, and
 * nothing is shared between threads.
 *
 * One loop iteration, top to bottom: compute the next timer (oldest TCP connection's idle
 * deadline), go RCU-offline, epoll_wait, go online, handle every ready source (UDP batches,
 * accepts, connection reads and writes), close idle connections, free what was closed, announce
 * a quiescent state.
 */
#include "net/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "auth/answer.h"
#include "base/log.h"
#include "dns/consts.h"

#define UDP_BATCH            64
#define UDP_BATCHES_PER_WAKE 8 /* then the loop's other sources get their turn */
/* Larger datagrams are no query anyone sends: they arrive truncated and are dropped. */
#define UDP_RX_MAX           4096
/*
 * Responses of one batch are laid end to end. auth_answer() keeps each UDP response within
 * DNS_EDNS_MAX_UDP, so with this size every call still gets DNS_MSG_MAX of room.
 */
#define UDP_TX_ARENA         (UDP_BATCH * DNS_EDNS_MAX_UDP + DNS_MSG_MAX)
#define SOCK_RCVBUF          (8 << 20)
#define SOCK_SNDBUF          (4 << 20)
#define TCP_BACKLOG          1024
/* RFC 7766 §8: two length octets, then the message. */
#define TCP_FRAME_MAX        (2 + DNS_MSG_MAX)
#define TCP_TX_CAP           (2 * TCP_FRAME_MAX)
/* The read buffer inside a connection; a longer query gets one on the heap. */
#define CONN_INLINE          1024
#define EPOLL_EVENTS         64
#define ACCEPT_PER_WAKE      64
#define ACCEPT_PAUSE_MS      200 /* after running out of file descriptors */

enum src_kind { SRC_STOP, SRC_UDP, SRC_LISTEN, SRC_CONN };

/* What an epoll event points at: the first member of every kind of source. */
struct src {
	enum src_kind kind;
	int fd;
	bool pktinfo; /* UDP on a wildcard address: reply from the address the query was sent to */
	struct zone_db *db; /* UDP, listening and connection sockets: the zones served there */
};

struct conn {
	struct src src;
	struct conn *prev, *next; /* the worker's connections, least recently active first */
	int64_t deadline;         /* ms, CLOCK_MONOTONIC */
	uint32_t armed;           /* epoll events registered */
	bool eof;                 /* the client closed its side: answer what it sent, then close */
	uint8_t *in;              /* inline or heap; frames not yet answered */
	uint32_t in_len, in_cap;
	uint8_t *out; /* the part of a write the socket did not take */
	uint32_t out_off, out_len, out_cap;
	uint8_t inline_in[CONN_INLINE];
};

/* A control message buffer large enough for either kind of packet info. */
struct pktinfo_ctl {
	_Alignas(struct cmsghdr) uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

struct worker {
	struct server *srv;
	unsigned id;
	pthread_t thread;
	bool started;
	int epfd;
	struct src *udp, *tcp; /* one per bound address */
	struct conn *lru_head, *lru_tail;
	struct conn *dead; /* closed during this iteration; freed at its end */
	unsigned nconns;
	bool accept_paused;
	int64_t accept_resume;
	int64_t emfile_logged;

	struct mmsghdr rx_msg[UDP_BATCH], tx_msg[UDP_BATCH];
	struct iovec rx_iov[UDP_BATCH], tx_iov[UDP_BATCH];
	struct sockaddr_storage peer[UDP_BATCH];
	struct pktinfo_ctl rx_ctl[UDP_BATCH], tx_ctl[UDP_BATCH];
	uint8_t rx[UDP_BATCH][UDP_RX_MAX];
	uint8_t tx[UDP_TX_ARENA];
	uint8_t tcp_tx[TCP_TX_CAP];
};

struct server {
	struct zone_db *db;
	unsigned nworkers;
	unsigned tcp_idle_ms;
	unsigned tcp_max_per_worker;
	struct server_addr *addrs; /* bound */
	size_t naddrs;
	struct worker **workers;
	struct src stop; /* eventfd: readable once server_free() wants the workers gone */
	bool started;
};

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- addresses ---- */

static unsigned addr_port(const struct server_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
}

static void addr_set_port(struct server_addr *a, unsigned port)
{
	if (a->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)port);
}

static bool addr_is_wildcard(const struct server_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
	return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
}

int server_addr_parse(const char *text, unsigned default_port, struct server_addr *out, char *err,
		      size_t errlen)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *port = NULL;
	size_t hlen;
	int rc = -EINVAL;

	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (!end) {
			snprintf(err, errlen, "'%s': missing ']' after the IPv6 address", text);
			goto out;
		}
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0') {
			snprintf(err, errlen, "'%s': expected ':PORT' after ']'", text);
			goto out;
		}
		text++;
		hlen = (size_t)(end - text);
	} else {
		const char *colon = strchr(text, ':');
		if (colon && !strchr(colon + 1, ':')) {
			port = colon + 1;
			hlen = (size_t)(colon - text);
		} else {
			hlen = strlen(text); /* no port, or a bare IPv6 address */
		}
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, errlen,
			 "'%s': expected ADDRESS:PORT, e.g. 127.0.0.1:5300 or [::1]:5300", text);
		goto out;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';

	unsigned long p = default_port;
	if (port) {
		char *end;
		errno = 0;
		p = strtoul(port, &end, 10);
		if (*port < '0' || *port > '9' || *end != '\0' || errno || p > 65535) {
			snprintf(err, errlen, "'%s': the port must be a number from 0 to 65535",
				 port);
			goto out;
		}
	}

	memset(out, 0, sizeof(*out));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) { /* strict: no "1.2.3" */
		s4->sin_family = AF_INET;
		out->len = sizeof(*s4);
		addr_set_port(out, (unsigned)p);
		rc = 0;
		goto out;
	}
	/* getaddrinfo() for IPv6: it also reads a scope ("%eth0"). */
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST, .ai_family = AF_INET6, .ai_socktype = SOCK_DGRAM};
	struct addrinfo *res;
	if (!strchr(host, ':') || getaddrinfo(host, NULL, &hints, &res) != 0) {
		snprintf(err, errlen,
			 "'%s' is not a numeric IPv4 or IPv6 address (write IPv6 as [::1]:5300; "
			 "host names are not accepted)",
			 host);
		goto out;
	}
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	addr_set_port(out, (unsigned)p);
	rc = 0;
out:
	return rc;
}

void server_addr_to_text(const struct server_addr *a, char buf[SERVER_ADDR_TEXT_MAX])
{
	char host[INET6_ADDRSTRLEN];
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
		char scope[IF_NAMESIZE + 2] = "";
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		if (s6->sin6_scope_id) {
			char ifname[IF_NAMESIZE];
			if (if_indextoname(s6->sin6_scope_id, ifname))
				snprintf(scope, sizeof(scope), "%%%s", ifname);
			else
				snprintf(scope, sizeof(scope), "%%%u", (unsigned)s6->sin6_scope_id);
		}
		snprintf(buf, SERVER_ADDR_TEXT_MAX, "[%s%s]:%u", host, scope, addr_port(a));
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&a->ss)->sin_addr, host,
			  sizeof(host));
		snprintf(buf, SERVER_ADDR_TEXT_MAX, "%s:%u", host, addr_port(a));
	}
}

bool server_addr_equal(const struct server_addr *a, const struct server_addr *b)
{
	if (a->ss.ss_family != b->ss.ss_family || addr_port(a) != addr_port(b))
		return false;
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)&a->ss;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)&b->ss;
		return memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0 &&
		       x->sin6_scope_id == y->sin6_scope_id;
	}
	return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)&b->ss)->sin_addr.s_addr;
}

/* ---- sockets ---- */

static void set_buffer(int fd, int force_opt, int opt, int bytes)
{
	/* SO_*BUFFORCE passes net.core.[rw]mem_max when we may (CAP_NET_ADMIN); else capped. */
	if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) == 0)
		return;
	for (; bytes >= (256 << 10); bytes /= 2)
		if (setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes)) == 0)
			return;
}

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

/* A socket of the SO_REUSEPORT group of `a`; -errno on failure. */
static int open_group_socket(const struct server_addr *a, int type)
{
	int fd = socket(a->ss.ss_family,
			type | SOCK_CLOEXEC | (type == SOCK_STREAM ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1) != 0 ||
	    (a->ss.ss_family == AF_INET6 && set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) != 0))
		goto out_errno;
	if (type == SOCK_DGRAM) {
		set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, SOCK_RCVBUF);
		set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, SOCK_SNDBUF);
		if (addr_is_wildcard(a)) {
			if (a->ss.ss_family == AF_INET6
				    ? set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) != 0
				    : set_int(fd, IPPROTO_IP, IP_PKTINFO, 1) != 0)
				goto out_errno;
		}
		/*
		 * Fragment at the interface MTU and ignore path MTU news, which anyone can forge
		 * with ICMP (as NSD and Knot do); responses are at most DNS_EDNS_MAX_UDP anyway.
		 */
		if (a->ss.ss_family == AF_INET)
			(void)set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_OMIT);
		else
			(void)set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_OMIT);
	} else if (set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0) {
		goto out_errno;
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0)
		goto out_errno;
	if (type == SOCK_STREAM && listen(fd, TCP_BACKLOG) != 0)
		goto out_errno;
	return fd;
out_errno:
	rc = -errno;
	close(fd);
	return rc;
}

/*
 * A plain bind (no SO_REUSEPORT) tells whether another process holds the port: SO_REUSEPORT
 * alone would let us silently share it with any process of the same user. Fills in the port
 * when a's port is 0. Returns 0 or -errno.
 */
static int probe_bind(struct server_addr *a, int type)
{
	int fd = socket(a->ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (a->ss.ss_family == AF_INET6 && set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) != 0)
		goto out_errno;
	/* On Linux, SO_REUSEADDR still refuses a port with a listener; it ignores TIME_WAIT. */
	if (type == SOCK_STREAM && set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0)
		goto out_errno;
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0)
		goto out_errno;
	if (addr_port(a) == 0) {
		struct server_addr got = {.len = sizeof(got.ss)};
		if (getsockname(fd, (struct sockaddr *)&got.ss, &got.len) != 0)
			goto out_errno;
		addr_set_port(a, addr_port(&got));
	}
	close(fd);
	return 0;
out_errno:
	rc = -errno;
	close(fd);
	return rc;
}

static void log_bind_error(const struct server_addr *a, const char *proto, int err)
{
	char text[SERVER_ADDR_TEXT_MAX];
	server_addr_to_text(a, text);
	const char *hint;
	switch (err) {
	case -EACCES:
		hint = addr_port(a) < 1024
			       ? "ports below 1024 need root (or CAP_NET_BIND_SERVICE); "
				 "use e.g. --listen 127.0.0.1:5300"
			       : "permission denied";
		break;
	case -EADDRINUSE:
		hint = "another program already uses this port (see `ss -lunpt`); stop it or pick "
		       "another port with --listen";
		break;
	case -EADDRNOTAVAIL:
		hint = "this machine has no such address; use one of its addresses, 127.0.0.1, "
		       "0.0.0.0 or [::]";
		break;
	case -EAFNOSUPPORT:
		hint = "IPv6 is not available on this machine; listen on an IPv4 address";
		break;
	default:
		hint = strerror(-err);
		break;
	}
	log_err("cannot listen on %s (%s): %s; this address is not served", text, proto, hint);
}

/* ---- workers: TCP connections ---- */

static void conn_arm(struct worker *w, struct conn *c, uint32_t events)
{
	if (c->armed == events)
		return;
	struct epoll_event ev = {.events = events, .data.ptr = c};
	if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->src.fd, &ev) == 0)
		c->armed = events;
}

static void lru_unlink(struct worker *w, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		w->lru_head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		w->lru_tail = c->prev;
	c->prev = c->next = NULL;
}

static void lru_append(struct worker *w, struct conn *c)
{
	c->prev = w->lru_tail;
	c->next = NULL;
	if (w->lru_tail)
		w->lru_tail->next = c;
	else
		w->lru_head = c;
	w->lru_tail = c;
}

/*
 * Activity that earns a new idle period: a connection being opened, a complete query received,
 * response bytes taken by the client (RFC 7766 §6.2.3). Dribbling bytes of a query does not.
 */
static void conn_touch(struct worker *w, struct conn *c, int64_t now)
{
	c->deadline = now + w->srv->tcp_idle_ms;
	if (w->lru_tail != c) {
		lru_unlink(w, c);
		lru_append(w, c);
	}
}

static void conn_close(struct worker *w, struct conn *c)
{
	if (c->src.fd < 0)
		return;
	close(c->src.fd); /* also leaves the epoll set */
	c->src.fd = -1;
	lru_unlink(w, c);
	c->next = w->dead;
	w->dead = c;
	w->nconns--;
}

static void conn_free(struct conn *c)
{
	if (c->in != c->inline_in)
		free(c->in);
	free(c->out);
	free(c);
}

static void free_dead(struct worker *w)
{
	while (w->dead) {
		struct conn *c = w->dead;
		w->dead = c->next;
		conn_free(c);
	}
}

/* Keeps the unsent tail of a write for EPOLLOUT; stops reading until it is gone. */
static int conn_stash(struct worker *w, struct conn *c, const uint8_t *p, size_t n)
{
	if (c->out_cap < n) {
		uint8_t *o = realloc(c->out, n);
		if (!o)
			return -ENOMEM;
		c->out = o;
		c->out_cap = (uint32_t)n;
	}
	memcpy(c->out, p, n);
	c->out_off = 0;
	c->out_len = (uint32_t)n;
	conn_arm(w, c, EPOLLOUT);
	return 0;
}

/*
 * Answers every complete frame in the read buffer, in order (RFC 7766 §6.2.1.1: pipelined
 * queries; we answer in order, which clients must accept). Responses are gathered and written
 * together; what the socket does not take waits in c->out, and frames after it wait in c->in.
 */
static void conn_serve(struct worker *w, struct conn *c, int64_t now)
{
	const struct zone_set *zs = zone_db_get(c->src.db);
	size_t pos = 0;
	for (;;) {
		size_t tx = 0;
		while (c->in_len - pos >= 2 && TCP_TX_CAP - tx >= TCP_FRAME_MAX) {
			size_t mlen = (size_t)c->in[pos] << 8 | c->in[pos + 1];
			if (c->in_len - pos - 2 < mlen)
				break;
			size_t n = auth_answer(zs, c->in + pos + 2, mlen, w->tcp_tx + tx + 2,
					       DNS_MSG_MAX, true);
			pos += 2 + mlen;
			conn_touch(w, c, now);
			if (n == 0)
				continue;
			w->tcp_tx[tx] = (uint8_t)(n >> 8);
			w->tcp_tx[tx + 1] = (uint8_t)n;
			tx += 2 + n;
		}
		if (tx == 0)
			break;
		ssize_t r = send(c->src.fd, w->tcp_tx, tx, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				conn_close(w, c);
				return;
			}
			r = 0;
		}
		if ((size_t)r < tx) {
			if (conn_stash(w, c, w->tcp_tx + r, tx - (size_t)r) != 0) {
				conn_close(w, c);
				return;
			}
			break;
		}
	}
	if (pos > 0) {
		memmove(c->in, c->in + pos, c->in_len - pos);
		c->in_len -= (uint32_t)pos;
	}
	if (c->in_len == 0 && c->in != c->inline_in) {
		free(c->in);
		c->in = c->inline_in;
		c->in_cap = CONN_INLINE;
	}
}

/* After the client closed its side, or answering: close once nothing is left to send. */
static void conn_maybe_finish(struct worker *w, struct conn *c)
{
	if (c->src.fd >= 0 && c->eof && c->out_len == 0)
		conn_close(w, c);
}

static void conn_read(struct worker *w, struct conn *c, int64_t now)
{
	/* A frame longer than the inline buffer gets a buffer that holds any frame. */
	if (c->in_len >= 2 && c->in_cap < TCP_FRAME_MAX &&
	    2 + ((size_t)c->in[0] << 8 | c->in[1]) > c->in_cap) {
		uint8_t *big = malloc(TCP_FRAME_MAX);
		if (!big) {
			conn_close(w, c);
			return;
		}
		memcpy(big, c->in, c->in_len);
		c->in = big;
		c->in_cap = TCP_FRAME_MAX;
	}
	ssize_t r = recv(c->src.fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(w, c);
		return;
	}
	if (r == 0) {
		c->eof = true;
		conn_arm(w, c, 0);
	}
	c->in_len += (uint32_t)r;
	conn_serve(w, c, now);
	conn_maybe_finish(w, c);
}

static void conn_write(struct worker *w, struct conn *c, int64_t now)
{
	ssize_t r = send(c->src.fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(w, c);
		return;
	}
	conn_touch(w, c, now);
	c->out_off += (uint32_t)r;
	if (c->out_off < c->out_len)
		return;
	c->out_off = c->out_len = 0;
	conn_arm(w, c, c->eof ? 0 : EPOLLIN);
	/* Frames that arrived behind the stalled response are already in c->in. */
	conn_serve(w, c, now);
	conn_maybe_finish(w, c);
}

static void conn_event(struct worker *w, struct conn *c, uint32_t events, int64_t now)
{
	if (c->src.fd < 0) /* closed earlier in this iteration */
		return;
	if (events & EPOLLERR) {
		conn_close(w, c);
		return;
	}
	if (c->out_len > 0) {
		if (events & (EPOLLOUT | EPOLLHUP))
			conn_write(w, c, now);
	} else if (events & (EPOLLIN | EPOLLHUP)) {
		conn_read(w, c, now);
	}
}

static void pause_accepting(struct worker *w, int64_t now, bool pause)
{
	for (size_t i = 0; i < w->srv->naddrs; i++) {
		struct epoll_event ev = {.events = pause ? 0 : EPOLLIN, .data.ptr = &w->tcp[i]};
		(void)epoll_ctl(w->epfd, EPOLL_CTL_MOD, w->tcp[i].fd, &ev);
	}
	w->accept_paused = pause;
	w->accept_resume = now + ACCEPT_PAUSE_MS;
}

static void tcp_accept(struct worker *w, const struct src *lsrc, int64_t now)
{
	struct server *s = w->srv;
	for (int i = 0; i < ACCEPT_PER_WAKE; i++) {
		int fd = accept4(lsrc->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				if (now - w->emfile_logged >= 10000) {
					log_warn("TCP accept: %s; closing the oldest connections "
						 "(raise `ulimit -n` or lower "
						 "--tcp-max-connections)",
						 strerror(errno));
					w->emfile_logged = now;
				}
				if (w->lru_head) {
					conn_close(w, w->lru_head);
					continue;
				}
				pause_accepting(w, now, true);
			}
			return;
		}
		/* At its share of the cap, the worker's least recently active connection goes. */
		if (w->nconns >= s->tcp_max_per_worker && w->lru_head)
			conn_close(w, w->lru_head);
		struct conn *c = malloc(sizeof(*c));
		if (!c)
			goto out_refuse;
		c->src = (struct src){.kind = SRC_CONN, .fd = fd, .db = lsrc->db};
		c->prev = c->next = NULL;
		c->armed = EPOLLIN;
		c->eof = false;
		c->in = c->inline_in;
		c->in_len = 0;
		c->in_cap = CONN_INLINE;
		c->out = NULL;
		c->out_off = c->out_len = c->out_cap = 0;
		(void)set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1); /* responses are whole frames */
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			free(c);
			goto out_refuse;
		}
		w->nconns++;
		lru_append(w, c);
		conn_touch(w, c, now);
		continue;
	out_refuse:
		close(fd);
	}
}

/* ---- workers: UDP ---- */

/* Reply from the address the query was sent to (sockets on 0.0.0.0 or [::] only). */
static socklen_t reply_pktinfo(const struct msghdr *rx, struct pktinfo_ctl *ctl)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(rx); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)rx, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			pi.ipi_ifindex = 0; /* source address only; routing picks the interface */
			struct cmsghdr *out = (struct cmsghdr *)ctl->buf;
			out->cmsg_level = IPPROTO_IP;
			out->cmsg_type = IP_PKTINFO;
			out->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(out), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			if (!IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
				pi.ipi6_ifindex = 0;
			struct cmsghdr *out = (struct cmsghdr *)ctl->buf;
			out->cmsg_level = IPPROTO_IPV6;
			out->cmsg_type = IPV6_PKTINFO;
			out->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(out), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
	}
	return 0;
}

static void udp_send(int fd, struct mmsghdr *msgs, int n)
{
	int off = 0;
	while (off < n) {
		int r = sendmmsg(fd, msgs + off, (unsigned)(n - off), 0);
		if (r > 0) {
			off += r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else {
			/* This datagram cannot go (e.g. no route to the client): skip it. */
			log_debug("UDP send: %s", r < 0 ? strerror(errno) : "nothing sent");
			off++;
		}
	}
}

static void udp_serve(struct worker *w, const struct src *sock)
{
	for (int round = 0; round < UDP_BATCHES_PER_WAKE; round++) {
		for (int i = 0; i < UDP_BATCH; i++) {
			struct msghdr *h = &w->rx_msg[i].msg_hdr;
			h->msg_namelen = sizeof(w->peer[i]);
			h->msg_control = sock->pktinfo ? w->rx_ctl[i].buf : NULL;
			h->msg_controllen = sock->pktinfo ? sizeof(w->rx_ctl[i].buf) : 0;
			h->msg_flags = 0;
		}
		int n = recvmmsg(sock->fd, w->rx_msg, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_debug("UDP receive: %s", strerror(errno));
			return;
		}
		const struct zone_set *zs = zone_db_get(sock->db);
		size_t used = 0;
		int m = 0;
		for (int i = 0; i < n; i++) {
			const struct msghdr *rh = &w->rx_msg[i].msg_hdr;
			if (rh->msg_flags & MSG_TRUNC)
				continue;
			size_t cap = UDP_TX_ARENA - used;
			if (cap > DNS_MSG_MAX)
				cap = DNS_MSG_MAX;
			size_t len = auth_answer(zs, w->rx[i], w->rx_msg[i].msg_len, w->tx + used,
						 cap, false);
			if (len == 0)
				continue;
			struct msghdr *th = &w->tx_msg[m].msg_hdr;
			w->tx_iov[m] = (struct iovec){.iov_base = w->tx + used, .iov_len = len};
			th->msg_name = &w->peer[i];
			th->msg_namelen = rh->msg_namelen;
			th->msg_iov = &w->tx_iov[m];
			th->msg_iovlen = 1;
			th->msg_control = NULL;
			th->msg_controllen = 0;
			th->msg_flags = 0;
			if (sock->pktinfo) {
				socklen_t cl = reply_pktinfo(rh, &w->tx_ctl[m]);
				if (cl) {
					th->msg_control = w->tx_ctl[m].buf;
					th->msg_controllen = cl;
				}
			}
			used += len;
			m++;
			if (UDP_TX_ARENA - used < DNS_MSG_MAX) /* only if a reply broke its bound */
				break;
		}
		udp_send(sock->fd, w->tx_msg, m);
		rcu_quiescent_state();
		if (n < UDP_BATCH)
			return;
	}
}

/* ---- workers: the loop ---- */

static int next_timeout(const struct worker *w, int64_t now)
{
	int64_t next = -1;
	if (w->lru_head)
		next = w->lru_head->deadline;
	if (w->accept_paused && (next < 0 || w->accept_resume < next))
		next = w->accept_resume;
	if (next < 0)
		return -1;
	if (next <= now)
		return 0;
	return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[EPOLL_EVENTS];
	bool stop = false;

	rcu_register_thread();
	while (!stop) {
		int timeout = next_timeout(w, monotonic_ms());
		rcu_thread_offline();
		int n = epoll_wait(w->epfd, evs, EPOLL_EVENTS, timeout);
		rcu_thread_online();
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("worker %u: epoll_wait: %s; this worker stops", w->id,
				strerror(errno));
			break;
		}
		int64_t now = monotonic_ms();
		for (int i = 0; i < n; i++) {
			struct src *src = evs[i].data.ptr;
			switch (src->kind) {
			case SRC_STOP:
				stop = true;
				break;
			case SRC_UDP:
				udp_serve(w, src);
				break;
			case SRC_LISTEN:
				tcp_accept(w, src, now);
				break;
			case SRC_CONN:
				conn_event(w, (struct conn *)src, evs[i].events, now);
				break;
			}
		}
		while (w->lru_head && w->lru_head->deadline <= now)
			conn_close(w, w->lru_head);
		if (w->accept_paused && now >= w->accept_resume)
			pause_accepting(w, now, false);
		free_dead(w);
		rcu_quiescent_state();
	}
	while (w->lru_head)
		conn_close(w, w->lru_head);
	free_dead(w);
	rcu_unregister_thread();
	return NULL;
}

/* ---- setup and teardown ---- */

static void worker_free(struct worker *w, size_t naddrs)
{
	if (!w)
		return;
	for (size_t i = 0; i < naddrs; i++) {
		if (w->udp[i].fd >= 0)
			close(w->udp[i].fd);
		if (w->tcp[i].fd >= 0)
			close(w->tcp[i].fd);
	}
	if (w->epfd >= 0)
		close(w->epfd);
	free(w->udp);
	free(w->tcp);
	free(w);
}

static struct worker *worker_new(struct server *s, unsigned id, size_t naddrs)
{
	struct worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->srv = s;
	w->id = id;
	w->epfd = -1;
	w->emfile_logged = INT64_MIN / 2;
	w->udp = calloc(naddrs ? naddrs : 1, sizeof(*w->udp));
	w->tcp = calloc(naddrs ? naddrs : 1, sizeof(*w->tcp));
	if (!w->udp || !w->tcp) {
		free(w->udp);
		free(w->tcp);
		free(w);
		return NULL;
	}
	for (size_t i = 0; i < naddrs; i++) {
		w->udp[i] = (struct src){.kind = SRC_UDP, .fd = -1};
		w->tcp[i] = (struct src){.kind = SRC_LISTEN, .fd = -1};
	}
	for (int i = 0; i < UDP_BATCH; i++) {
		w->rx_iov[i] = (struct iovec){.iov_base = w->rx[i], .iov_len = UDP_RX_MAX};
		w->rx_msg[i].msg_hdr.msg_name = &w->peer[i];
		w->rx_msg[i].msg_hdr.msg_iov = &w->rx_iov[i];
		w->rx_msg[i].msg_hdr.msg_iovlen = 1;
	}
	return w;
}

/* Binds `a` (port 0 becomes a real port) in every worker. Returns 0 or -errno (logged). */
static int bind_everywhere(struct server *s, struct server_addr *a, size_t slot, struct zone_db *db)
{
	int rc = 0;
	unsigned want_port = addr_port(a);
	const char *proto = "UDP";
	for (int attempt = 0; attempt < 8; attempt++) {
		addr_set_port(a, want_port);
		proto = "UDP";
		rc = probe_bind(a, SOCK_DGRAM);
		if (rc == 0) {
			proto = "TCP";
			rc = probe_bind(a, SOCK_STREAM);
		}
		/* With port 0, the port the kernel gave UDP may be taken for TCP: try another. */
		if (rc != -EADDRINUSE || want_port != 0 || proto[0] != 'T')
			break;
	}
	for (unsigned i = 0; rc == 0 && i < s->nworkers; i++) {
		struct worker *w = s->workers[i];
		proto = "UDP";
		rc = open_group_socket(a, SOCK_DGRAM);
		if (rc < 0)
			break;
		w->udp[slot].fd = rc;
		w->udp[slot].pktinfo = addr_is_wildcard(a);
		w->udp[slot].db = w->tcp[slot].db = db;
		proto = "TCP";
		rc = open_group_socket(a, SOCK_STREAM);
		if (rc < 0)
			break;
		w->tcp[slot].fd = rc;
		rc = 0;
	}
	if (rc < 0) {
		log_bind_error(a, proto, rc);
		for (unsigned i = 0; i < s->nworkers; i++) {
			struct worker *w = s->workers[i];
			if (w->udp[slot].fd >= 0)
				close(w->udp[slot].fd);
			if (w->tcp[slot].fd >= 0)
				close(w->tcp[slot].fd);
			w->udp[slot].fd = w->tcp[slot].fd = -1;
		}
	}
	return rc;
}

static int epoll_add(int epfd, struct src *src)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = src};
	return epoll_ctl(epfd, EPOLL_CTL_ADD, src->fd, &ev) == 0 ? 0 : -errno;
}

int server_new(const struct server_opts *o, struct zone_db *db, struct server **out)
{
	int rc = -ENOMEM;
	struct server *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->db = db;
	s->nworkers = o->workers ? o->workers : 1;
	s->tcp_idle_ms = o->tcp_idle_timeout_ms ? o->tcp_idle_timeout_ms : 1;
	s->tcp_max_per_worker = o->tcp_max_connections / s->nworkers;
	if (s->tcp_max_per_worker == 0)
		s->tcp_max_per_worker = 1;
	s->stop = (struct src){.kind = SRC_STOP, .fd = -1};
	s->addrs = calloc(o->nlisten ? o->nlisten : 1, sizeof(*s->addrs));
	s->workers = calloc(s->nworkers, sizeof(*s->workers));
	if (!s->addrs || !s->workers)
		goto out_free;
	for (unsigned i = 0; i < s->nworkers; i++)
		if (!(s->workers[i] = worker_new(s, i, o->nlisten)))
			goto out_free;

	/* Addresses that fail are skipped: slots stay packed in the order given. */
	for (size_t i = 0; i < o->nlisten; i++) {
		size_t dup = 0;
		while (dup < s->naddrs && !server_addr_equal(&s->addrs[dup], &o->listen[i]))
			dup++;
		if (dup < s->naddrs && addr_port(&o->listen[i]) != 0)
			continue; /* listed twice */
		s->addrs[s->naddrs] = o->listen[i];
		struct zone_db *adb = o->listen_db && o->listen_db[i] ? o->listen_db[i] : db;
		if (bind_everywhere(s, &s->addrs[s->naddrs], s->naddrs, adb) == 0)
			s->naddrs++;
	}
	if (s->naddrs == 0) {
		rc = -EADDRNOTAVAIL;
		goto out_free;
	}

	s->stop.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop.fd < 0) {
		rc = -errno;
		goto out_free;
	}
	for (unsigned i = 0; i < s->nworkers; i++) {
		struct worker *w = s->workers[i];
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (w->epfd < 0) {
			rc = -errno;
			goto out_free;
		}
		if ((rc = epoll_add(w->epfd, &s->stop)) != 0)
			goto out_free;
		for (size_t j = 0; j < s->naddrs; j++)
			if ((rc = epoll_add(w->epfd, &w->udp[j])) != 0 ||
			    (rc = epoll_add(w->epfd, &w->tcp[j])) != 0)
				goto out_free;
	}
	*out = s;
	return 0;
out_free:
	server_free(s);
	return rc;
}

size_t server_bound(const struct server *s, const struct server_addr **addrs)
{
	*addrs = s->addrs;
	return s->naddrs;
}

int server_start(struct server *s)
{
	s->started = true;
	for (unsigned i = 0; i < s->nworkers; i++) {
		struct worker *w = s->workers[i];
		int rc = pthread_create(&w->thread, NULL, worker_main, w);
		if (rc != 0) {
			log_err("cannot start worker thread %u: %s", i, strerror(rc));
			return -rc; /* server_free() stops the ones already running */
		}
		w->started = true;
		char name[16];
		snprintf(name, sizeof(name), "signpost-w%u", i % 100000u);
		(void)pthread_setname_np(w->thread, name);
	}
	return 0;
}

void server_free(struct server *s)
{
	if (!s)
		return;
	if (s->started) {
		uint64_t one = 1;
		if (write(s->stop.fd, &one, sizeof(one)) != sizeof(one))
			log_err("cannot stop the workers: %s", strerror(errno));
		for (unsigned i = 0; i < s->nworkers; i++)
			if (s->workers[i]->started)
				pthread_join(s->workers[i]->thread, NULL);
	}
	if (s->workers)
		for (unsigned i = 0; i < s->nworkers; i++)
			worker_free(s->workers[i], s->naddrs);
	if (s->stop.fd >= 0)
		close(s->stop.fd);
	free(s->workers);
	free(s->addrs);
	free(s);
}
