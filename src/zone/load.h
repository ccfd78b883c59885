/*
 * zone/load.h - BIND-format zone files in (libzscanner) and out.
 */
#pragma once
#include <stdio.h>

#include "zone/zone.h"

/*
 * Loads the zone file at `path` for the zone at `origin` (wire format; also the file's
 * initial $ORIGIN). Every record goes through zone_txn_add(), then the zone is committed with
 * its checks. On failure returns a negative code and writes "PATH:LINE: message" (or
 * "PATH: message" for whole-zone problems) into err; nothing is built.
 * Warnings (e.g. TTL mismatch) are logged with file and line.
 */
int zone_load_file(const char *path, const uint8_t *origin, struct zone_version **out, char *err,
		   size_t errlen) __attribute__((warn_unused_result));
/*
 * Same, from text in memory; `name` is used in messages in place of a path. $INCLUDE is
 * refused: text from an API client must not read the server's files.
 * Return codes: a zone_err code, -EINVAL (syntax, class), -errno (files), -ELOOP ($INCLUDE
 * nested over 8 deep), -EPERM ($INCLUDE from a string), -ENOMEM.
 */
int zone_load_string(const char *text, size_t len, const char *name, const uint8_t *origin,
		     struct zone_version **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Writes the version as a zone file: $ORIGIN, SOA first, then canonical order. */
int zone_dump(const struct zone_version *v, FILE *f);
