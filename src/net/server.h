/*
 * net/server.h - the DNS server: UDP and TCP (RFC 7766) on worker threads that answer from a
 * zone_db with auth_answer().
 *
 * Each worker thread owns one epoll loop, and in it one SO_REUSEPORT UDP socket and one
 * SO_REUSEPORT TCP listening socket per listen address, plus the TCP connections it accepted.
 * The kernel spreads datagrams and new connections over the workers; a worker never touches
 * another worker's sockets, so nothing on the query path locks. UDP is read and answered in
 * recvmmsg/sendmmsg batches. Workers are liburcu-qsbr reader threads of the zone_db: online
 * while they answer, offline while they wait in epoll_wait, with a quiescent state after every
 * batch, so zone_db_sync() never waits for an idle worker.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "zone/db.h"

#define SERVER_ADDR_TEXT_MAX 80 /* "[v6%scope]:port" and a terminating zero */

struct server_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

struct server_opts {
	const struct server_addr *listen; /* where to serve, UDP and TCP on each */
	size_t nlisten;
	/*
	 * NULL, or one zone set per listen address: what that address serves (a NULL entry: the
	 * server's db). An address answers from its own set only, so one process can play a parent
	 * and its child (root, TLD, hosted zones) on different addresses, and each answers a
	 * referral where the other would answer from the child zone.
	 */
	struct zone_db *const *listen_db;
	unsigned workers;             /* threads, ≥ 1 */
	unsigned tcp_idle_timeout_ms; /* close a TCP connection idle this long (RFC 7766 §6.2.3) */
	/* Open TCP connections, all workers together (each worker gets an equal share, ≥ 1). */
	unsigned tcp_max_connections;
};

struct server;

/*
 * Binds every listen address: for each, a UDP and a TCP socket per worker (all with
 * SO_REUSEPORT; before that, a plain bind checks that no other process holds the port, and
 * port 0 becomes the port the kernel picks). An address that cannot be bound is logged with
 * what to do and skipped. Returns 0; -EADDRNOTAVAIL if no address could be bound; -ENOMEM.
 * Starts no thread: datagrams and connections queue in the kernel until server_start().
 */
int server_new(const struct server_opts *o, struct zone_db *db, struct server **out)
	__attribute__((warn_unused_result));
/* The addresses actually bound (ports chosen by the kernel filled in), in the given order. */
size_t server_bound(const struct server *s, const struct server_addr **addrs);
/* Starts the worker threads. Returns 0 or a negative errno (no thread is left running). */
int server_start(struct server *s) __attribute__((warn_unused_result));
/* Stops and joins the workers (if started), closes every socket and connection, frees s. */
void server_free(struct server *s);

/*
 * "127.0.0.1:5300", "[::1]:5300", "[fe80::1%eth0]:53"; without a port (":53" missing, or a bare
 * IPv6 address) the port is `default_port`. Numeric addresses only. Returns 0, or -EINVAL with
 * the reason in err.
 */
int server_addr_parse(const char *text, unsigned default_port, struct server_addr *out, char *err,
		      size_t errlen) __attribute__((warn_unused_result));
/* The address as server_addr_parse() reads it. */
void server_addr_to_text(const struct server_addr *a, char buf[SERVER_ADDR_TEXT_MAX]);
bool server_addr_equal(const struct server_addr *a, const struct server_addr *b);
