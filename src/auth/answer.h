/*
 * auth/answer.h - the authoritative answer to one query: bytes in, bytes out.
 *
 * Pure: no allocation, no lock, no system call, no clock. The caller holds an RCU read-side
 * (QSBR online) state for the zone snapshot.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zone/db.h"

/*
 * Answers the query msg[0..len) from snapshot `s` into out (capacity cap ≥ 512).
 * `tcp`: the query came over TCP (responses up to cap, never truncated); otherwise responses
 * fit the client's advertised UDP size (512 without EDNS) with TC=1 when they do not.
 * Returns the response length, or 0 when nothing must be sent (responses, garbage).
 */
size_t auth_answer(const struct zone_set *s, const uint8_t *msg, size_t len, uint8_t *out,
		   size_t cap, bool tcp);
