/*
 * daemon/config.h - settings of `signpost dns`: the configuration file (docs/configuration.md)
 * and the command-line flags that override it.
 *
 * A struct config holds one source of settings (the file, or the flags); config_merge() lays
 * the flags over the file. Every function that can fail returns 0 or a negative errno and
 * writes a message a user can act on into err.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/log.h"
#include "dns/consts.h"
#include "net/server.h"

#define CONFIG_DEFAULT_PORT            53
#define CONFIG_DEFAULT_TCP_IDLE_MS     10000
#define CONFIG_DEFAULT_TCP_MAX_CONNS   1000
#define CONFIG_MAX_WORKERS             1024
#define CONFIG_MAX_TCP_IDLE_MS         (24u * 3600 * 1000)
#define CONFIG_MAX_TCP_MAX_CONNECTIONS 1000000

struct config_zone {
	uint8_t origin[DNS_NAME_MAXLEN]; /* lower case, wire format */
	char *name;                      /* as given, for messages */
	char *path; /* relative paths already resolved (see config_read_file) */
};

/* Which scalar settings a source gave (the others keep their defaults or the file's values). */
enum {
	CONFIG_SET_WORKERS = 1 << 0,
	CONFIG_SET_LOG_LEVEL = 1 << 1,
	CONFIG_SET_TCP_IDLE = 1 << 2,
	CONFIG_SET_TCP_MAX = 1 << 3,
};

struct config {
	struct server_addr *listen;
	size_t nlisten;
	struct config_zone *zones;
	size_t nzones;
	unsigned workers; /* 0: one per CPU this process may run on */
	enum log_level log_level;
	unsigned tcp_idle_timeout_ms;
	unsigned tcp_max_connections;
	unsigned set; /* CONFIG_SET_* */
};

/* Defaults, no listen address and no zone. */
void config_init(struct config *c);
void config_free(struct config *c);

/* Setters shared by the file parser and the flags: each validates its text. */
int config_add_listen(struct config *c, const char *text, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* A zone at `name` (presentation text, absolute even without the final dot) from `path`. */
int config_add_zone(struct config *c, const char *name, const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* "NAME=FILE", as --zone takes it. */
int config_add_zone_spec(struct config *c, const char *spec, char *err, size_t errlen)
	__attribute__((warn_unused_result));
int config_set_workers(struct config *c, const char *text, char *err, size_t errlen)
	__attribute__((warn_unused_result));
int config_set_log_level(struct config *c, const char *text, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Seconds, fractions allowed ("10", "0.5"). */
int config_set_tcp_idle_timeout(struct config *c, const char *text, char *err, size_t errlen)
	__attribute__((warn_unused_result));
int config_set_tcp_max_connections(struct config *c, const char *text, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * Reads the file at `path` into c (initialised by the caller). Zone file paths that are not
 * absolute are taken relative to the directory of the configuration file. Errors name the
 * file and line.
 */
int config_read_file(struct config *c, const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * out = file settings overridden by flags: scalars the flags set replace the file's; listen
 * addresses given as flags replace the file's list; zones given as flags are added, replacing
 * a file zone with the same name. Without any listen address, 0.0.0.0:53 and [::]:53.
 * `file` may be NULL. out must not be initialised; config_free() it.
 */
int config_merge(struct config *out, const struct config *file, const struct config *flags,
		 char *err, size_t errlen) __attribute__((warn_unused_result));

/* The zone at `origin` (lower-case wire), or NULL. */
const struct config_zone *config_find_zone(const struct config *c, const uint8_t *origin);
