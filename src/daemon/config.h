/*
 * daemon/config.h - settings of `signpost dns` and `signpost up`: the configuration file
 * (docs/configuration.md) and the command-line flags that override it.
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
#define CONFIG_DEFAULT_API_PORT        8053
#define CONFIG_NAME_SERVERS            4 /* like a Route 53 delegation set */
#define CONFIG_MAX_API_RATE            1000000

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
	CONFIG_SET_API = 1 << 4,
	CONFIG_SET_DATA = 1 << 5,
	CONFIG_SET_NAME_SERVERS = 1 << 6,
	CONFIG_SET_API_RATE = 1 << 7,
	CONFIG_SET_API_BURST = 1 << 8,
	CONFIG_SET_ALIAS_TARGETS = 1 << 9,
	CONFIG_SET_SANDBOX = 1 << 10,
	CONFIG_SET_SANDBOX_PORT = 1 << 11,
};

/* A `sandbox-*` line of the file, kept for registrar/sandbox.h to read (sandbox_config_line). */
struct config_line {
	char *where; /* "FILE:LINE", for messages */
	char *keyword;
	char *rest;
};

/* An API access key (SigV4): the id and its secret. */
struct config_key {
	char *id;
	char *secret;
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
	/* `signpost up` only (`signpost dns` reads and ignores them). */
	struct server_addr api; /* the Route 53 API's address */
	char *data_dir;         /* the store; relative paths resolved as zone paths are */
	struct config_key *keys;
	size_t nkeys;
	char *name_servers[CONFIG_NAME_SERVERS]; /* for new hosted zones */
	double api_rate;                         /* requests/s per access key; 0: no throttling */
	unsigned api_burst;                      /* 0: max(1, api_rate) */
	char *alias_targets;                     /* the alias-target table file, or NULL */
	bool sandbox;          /* serve the sandbox internet (default true; --no-sandbox) */
	unsigned sandbox_port; /* when port 53 cannot be bound; 0: the sandbox default */
	struct config_line *sandbox_lines; /* the file's sandbox-* lines, in order */
	size_t nsandbox_lines;
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

/* `signpost up` settings. ADDR[:PORT] for the API (default port 8053). */
int config_set_api(struct config *c, const char *text, char *err, size_t errlen)
	__attribute__((warn_unused_result));
int config_set_data_dir(struct config *c, const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* An access key id (16-128 of [A-Za-z0-9]) and its secret (at least 8 printable characters). */
int config_add_key(struct config *c, const char *id, const char *secret, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Four host names, separated by commas or white space. */
int config_set_name_servers(struct config *c, const char *text, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Requests per second, fractions allowed; 0 turns throttling off. */
int config_set_api_rate(struct config *c, const char *text, char *err, size_t errlen)
	__attribute__((warn_unused_result));
int config_set_api_burst(struct config *c, const char *text, char *err, size_t errlen)
	__attribute__((warn_unused_result));
int config_set_alias_targets(struct config *c, const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* "yes" or "no" (also on/off, true/false). */
int config_set_sandbox(struct config *c, const char *text, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* 1-65535. */
int config_set_sandbox_port(struct config *c, const char *text, char *err, size_t errlen)
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
 * The `signpost up` settings: a flag's value replaces the file's; access keys come from the
 * file only (the environment adds its key in up.c). `file` may be NULL. out must not be
 * initialised; config_free() it.
 */
int config_merge(struct config *out, const struct config *file, const struct config *flags,
		 char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * The file format, for other commands' files (`signpost resolver --config`): reads `path` line
 * by line, cutting comments ('#' at the start of a line or after white space) and the white
 * space around; each line left calls fn with its first word (key) and the rest ("" when
 * none). When fn fails (a negative code, a message in msg), stops and reports
 * "FILE:LINE: msg" in err. 0, or fn's code, or a negative errno when the file cannot be read.
 */
int config_read_lines(const char *path,
		      int (*fn)(void *ctx, const char *path, unsigned lineno, char *key, char *rest,
				char *msg, size_t msglen),
		      void *ctx, char *err, size_t errlen) __attribute__((warn_unused_result));
/* "yes", "on", "true" or "no", "off", "false" into *out; 0 or -EINVAL. */
int config_parse_bool(const char *text, bool *out) __attribute__((warn_unused_result));
/* Replaces *slot (malloc'ed or NULL) with a copy of text; -ENOMEM with a message in err. */
int config_set_string(char **slot, const char *text, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Splits off the first word of *p (NUL-terminating it); *p moves past the following space. */
char *config_next_word(char **p);
/* `path` taken relative to the directory of the file `conf` (unless absolute); malloc'ed. */
char *config_resolve_path(const char *conf, const char *path);

/* The zone at `origin` (lower-case wire), or NULL. */
const struct config_zone *config_find_zone(const struct config *c, const uint8_t *origin);
