/*
 * daemon/resolver_cmd.h - `signpost resolver` and `signpost resolver-control`, and what
 * `signpost up` shares with them to run the same resolver: root hints and settings.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/resolver_io.h"
#include "resolver/resolver.h"

extern const char RESOLVER_USAGE[];
extern const char RESOLVER_CONTROL_USAGE[];

/* Root hints read from a named.root file (spec 1.1): NS records of the root, A and AAAA. */
struct resolver_hints {
	struct resolver_rr *rr; /* owner and rdata allocated */
	size_t n;
	bool loopback; /* a root server on 127.0.0.0/8 or ::1: a sandbox internet */
};

/*
 * Reads `path` (zone-file syntax through libzscanner; origin "."; other record types are
 * ignored, $INCLUDE refused). Needs at least one ". NS" and one address. 0, or a negative
 * errno with "PATH[:LINE]: reason" in err and h empty.
 */
int resolver_hints_read(const char *path, struct resolver_hints *h, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void resolver_hints_free(struct resolver_hints *h);

/* What the command line of either command sets. */
struct resolver_settings {
	uint16_t upstream_port; /* 0: 53 */
	unsigned cache_mb;      /* 0: the core's default */
	bool trace;
	bool qname_minimisation;
	bool allow_loopback_upstreams; /* also implied by loopback root hints */
	const char *control;           /* control socket path, or NULL */
};

/* The core's configuration: defaults, then the hints (none: the built-in IANA hints) and st. */
int resolver_run_config(const struct resolver_settings *st, const struct resolver_hints *h,
			struct resolver_config *rc);
/* Logs "resolver: answering on ADDRESSES ..." once the loop runs. */
void resolver_log_ready(const struct rio *io, const struct resolver_settings *st,
			const char *hints_path, uint16_t upstream_port);

/* `signpost up`'s resolver: on `listen`, the sandbox's hints, its port upstream. */
#define RESOLVER_UP_CONTROL "resolver.ctl" /* in the data directory */
struct resolver_up {
	struct server_addr listen;
	const char *hints_path; /* NULL: the built-in IANA hints */
	uint16_t upstream_port; /* 0: 53 */
	const char *data_dir;   /* the control socket goes here */
	bool trace;
};
/* Binds, then starts the loop thread. 0, or a negative errno after logging why. */
int resolver_for_up(const struct resolver_up *ru, struct rio **out)
	__attribute__((warn_unused_result));

/* argv[0] is the command name. Return the exit status. */
int cmd_resolver(int argc, char **argv);
int cmd_resolver_control(int argc, char **argv);
