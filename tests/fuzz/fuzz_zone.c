/*
 * tests/fuzz/fuzz_zone.c - libFuzzer target: zone_load_string() on arbitrary text. What loads is
 * dumped with zone_dump(); the dump must load again into the same zone, and dump the same.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "dns/name.h"
#include "zone/load.h"
#include "zone/zone.h"

#include "check.h"

/* Dumps `v` into a heap buffer (caller frees). */
static char *dump(const struct zone_version *v, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	CHECK(f != NULL);
	CHECK(zone_dump(v, f) == 0);
	CHECK(fclose(f) == 0);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t origin[DNS_NAME_MAXLEN];
	static bool ready;
	if (!ready) {
		log_set_level(LOG_ERR); /* loader warnings (TTL mismatch...) on every input */
		CHECK(dns_name_from_text("example.com.", NULL, origin) > 0);
		ready = true;
	}
	/* $INCLUDE is refused by zone_load_string() (no file is opened), and libzscanner has no
	   $GENERATE, so nothing here reaches outside the input. */
	if (size > 16384)
		return 0;

	char err[512];
	struct zone_version *v = NULL;
	err[0] = '\0';
	int rc = zone_load_string((const char *)data, size, "fuzz", origin, &v, err, sizeof(err));
	if (rc != 0) {
		/* Every refusal says why (the contract in zone/load.h). */
		CHECK(err[0] != '\0');
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		return 0;
	}
	CHECK(v != NULL);
	CHECK(v->apex != NULL);

	/* What loaded dumps; the dump loads again to the same records and dumps the same text. */
	size_t len1 = 0, len2 = 0;
	char *text1 = dump(v, &len1);
	struct zone_version *v2 = NULL;
	rc = zone_load_string(text1, len1, "dump", origin, &v2, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "fuzz_zone: the dump does not load again: %s\n--- dump:\n%s---\n",
			err, text1);
		abort();
	}
	CHECK(v2->nnodes == v->nnodes);
	CHECK(v2->nrecords == v->nrecords);
	CHECK(zone_version_serial(v2) == zone_version_serial(v));
	char *text2 = dump(v2, &len2);
	if (len1 != len2 || memcmp(text1, text2, len1) != 0) {
		fprintf(stderr,
			"fuzz_zone: dump(load(dump)) differs\n--- first:\n%s--- second:\n%s---\n",
			text1, text2);
		abort();
	}
	free(text2);
	free(text1);
	zone_version_free(v2);
	zone_version_free(v);
	return 0;
}
