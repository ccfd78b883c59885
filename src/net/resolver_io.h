/*
 * net/resolver_io.h - the sockets, the clock and the entropy of the caching resolver: one
 * thread with one epoll loop that feeds src/resolver/ (the sans-I/O core) and carries out what
 * it asks for.
 *
 * Threading model: one loop thread owns the struct resolver and every socket below; nothing
 * is shared with other threads, so nothing locks. (More threads would mean one resolver, and
 * so one cache, per thread, as Unbound does with num-threads; not done yet.) The caller's
 * thread only starts and stops it.
 *
 * What the loop owns:
 * - Client listeners, UDP and TCP (RFC 7766: pipelined queries, answers in any order, idle
 *   timeout, a connection cap that closes the least recently active connection) on each
 *   listen address. Every client query passes the access list first (spec 12.1): a source
 *   outside it gets REFUSED and never reaches the resolver. The default list is loopback only
 *   (127.0.0.0/8 and ::1).
 * - Upstream UDP: a new socket for every query, bound to a source port drawn from getrandom()
 *   in 1024-65535 (spec 7.3) and connect()ed to the server, so the kernel drops datagrams from
 *   any other address or port before the core checks ID and question (spec 7.1).
 * - Upstream TCP (RFC 7766 §6.2.1: one connection per server reused for several queries in
 *   flight, replies in any order mapped back by message ID to the core's handle). A connection
 *   idle for a few seconds is closed.
 * - Timers: the core's next deadline (resolver_next_timer) and the TCP idle deadlines.
 * - Randomness: getrandom() feeds the core's query IDs and server choice (spec 7.2).
 * - The control channel (spec 12.7): a UNIX stream socket at a path the caller chooses (mode
 *   0600: only its user may flush the cache). One text command per connection, one line, and
 *   a reply that starts with "ok" or "error:":
 *     flush NAME          what the cache holds for NAME (every type)
 *     flush-zone NAME     NAME and everything below it
 *     flush-all           the whole cache, the server (infrastructure) cache included
 *     flush-negative      negative answers and cached failures only
 *     flush-infra         what is known about servers only (RTT, lameness, EDNS)
 *     lookup NAME TYPE    what the cache holds for (NAME, TYPE)
 *     stats               the core's counters, one "name value" per line
 *   rio_control() is the client side.
 * - The trace (`trace` option): one log line (info level, stderr) per upstream query:
 *   "trace: query NAME TYPE -> ADDR:PORT udp|tcp".
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/server.h"
#include "resolver/resolver.h"

/* One entry of the access list: a prefix of an IPv4 or IPv6 address. */
struct rio_acl {
	uint8_t family; /* 4 or 6 */
	uint8_t ip[16];
	uint8_t bits;
};

struct rio_opts {
	const struct server_addr *listen; /* UDP and TCP on each; not 0.0.0.0 or [::] */
	size_t nlisten;
	const struct rio_acl *allow; /* clients allowed; nallow == 0: loopback only */
	size_t nallow;
	const char *control_path; /* the control socket; NULL: none */
	bool trace;               /* log every upstream query */
	unsigned tcp_idle_timeout_ms;
	unsigned tcp_max_connections;
};

struct rio;

/*
 * "10.0.0.0/8", "::1", "fd00::/8"; a bare address is a /32 or /128. 0, or -EINVAL with the
 * reason in err.
 */
int rio_acl_parse(const char *text, struct rio_acl *out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * Binds every listen address (UDP and TCP; port 0 becomes the port the kernel picks, the
 * same for both) and the control socket (an old socket file at the path is replaced), and
 * creates the resolver from `rc` (its `random` is replaced by getrandom()). Starts no thread.
 * Returns 0, or a negative errno after logging what could not be done.
 */
int rio_new(const struct rio_opts *o, const struct resolver_config *rc, struct rio **out)
	__attribute__((warn_unused_result));
/* The addresses bound, ports filled in, in the order given. */
size_t rio_bound(const struct rio *io, const struct server_addr **addrs);
/* Starts the loop thread. 0 or a negative errno. */
int rio_start(struct rio *io) __attribute__((warn_unused_result));
/* Stops and joins the loop (if started), logs the counters, closes everything, removes the
   control socket file, frees io. NULL is allowed. */
void rio_free(struct rio *io);

/*
 * The control channel's client: sends `command` (one line, without the newline) to the socket
 * at `path` and reads the whole reply into reply (NUL-terminated, cut to fit). Waits at most
 * timeout_ms. 0, or a negative errno (the socket is missing, nobody listens, time is up).
 */
int rio_control(const char *path, const char *command, char *reply, size_t len, unsigned timeout_ms)
	__attribute__((warn_unused_result));
