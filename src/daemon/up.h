/*
 * daemon/up.h - `signpost up` (up.c), and the pieces of `signpost dns` (main.c) it reuses to run
 * the DNS server, so both commands start, log and stop it the same way.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "daemon/config.h"
#include "net/server.h"
#include "zone/db.h"

enum { EXIT_USAGE = 2 };

/* ---- main.c ---- */
/* CPUs this process may run on (the default worker count). */
unsigned daemon_cpu_count(void);
/*
 * Blocks SIGTERM, SIGINT and SIGHUP in this thread (threads started later inherit the mask) and
 * returns a signalfd that reads them, or -1 (logged). SIGPIPE is ignored.
 */
int daemon_signals(void);
/* Reads pending signals; true when asked to stop, sets *hup on SIGHUP. */
bool daemon_read_signals(int sigfd, bool *hup);
/*
 * Binds the DNS server of cfg (listen addresses, workers, TCP settings; the open-file limit
 * raised to fit) on db without starting it. 0, or -1 after logging why.
 */
int daemon_dns_bind(const struct config *cfg, struct zone_db *db, struct server **srv);
/* Logs "<what> N zones on ADDRESSES (UDP and TCP, W workers)". */
void daemon_log_dns(const struct server *srv, size_t nzones, unsigned workers, const char *what);

/* ---- up.c ---- */
extern const char UP_USAGE[];
/* `signpost up ARGS`; argv[0] is "up". Returns the exit status. */
int cmd_up(int argc, char **argv);
