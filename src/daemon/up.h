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
 * Waits on the signalfd until SIGTERM or SIGINT, logging `on_hup` for every SIGHUP (for
 * commands with nothing to reload). Returns 0, or -1 if waiting failed (logged).
 */
int daemon_wait_for_stop(int sigfd, const char *on_hup);
/*
 * Binds the DNS server of cfg (listen addresses, workers, TCP settings; the open-file limit
 * raised to fit) on db without starting it, plus `nextra` more addresses that serve zone sets
 * of their own (the sandbox's; every one of them must bind). 0, or -1 after logging why.
 */
int daemon_dns_bind(const struct config *cfg, struct zone_db *db, const struct server_addr *extra,
		    struct zone_db *const *extra_dbs, size_t nextra, struct server **srv);
/* "a, b, c": the addresses as server_addr_to_text() writes them, cut to fit `len`. */
void daemon_addr_list(const struct server_addr *addrs, size_t n, char *list, size_t len);
/* Logs "<what> N zones on ADDRESSES (UDP and TCP, W workers)". */
void daemon_log_dns(const struct server *srv, size_t nzones, unsigned workers, const char *what);

/* ---- up.c ---- */
extern const char UP_USAGE[];
/*
 * Takes DIR/lock (flock, exclusive; the pid written in it) for the life of the process: one
 * signpost per store, whether `up`, `import` or `export`. Returns the descriptor, or -1 after
 * logging why (another signpost's pid when it is held).
 */
int daemon_lock_data_dir(const char *dir);
/* `signpost up ARGS`; argv[0] is "up". Returns the exit status. */
int cmd_up(int argc, char **argv);

/* ---- zonefile_cmd.c ---- */
extern const char IMPORT_USAGE[];
extern const char EXPORT_USAGE[];
/* `signpost import ARGS` and `signpost export ARGS`; argv[0] is the command. */
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
