/*
 * tests/fuzz/fuzz_resolver.c - libFuzzer target: the resolver's state machine fed hostile
 * upstream replies.
 *
 * One client asks a question (its type from the input); every query the resolver sends is
 * answered with a reply that matches it (its ID, QR=1, its own question), so the reply gets
 * past the anti-spoofing checks, and whose header flags, section counts and section bytes come
 * from the input. That drives the parser, the bailiwick and ranking rules, the cache and the
 * follow-up queries with data no server in the replay tests sends. ASan and UBSan watch every
 * step; the checks below are the contract: every client gets exactly one answer, a header at
 * least, by the client's deadline.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/consts.h"
#include "dns/name.h"
#include "resolver/resolver.h"

#include "check.h"

#define MAX_STEPS   48
#define MAX_PENDING 64
#define REPLY_MAX   4096

struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint8_t take(struct cursor *c)
{
	if (c->n == 0)
		return 0;
	c->n--;
	return *c->p++;
}

static void counter_random(void *ctx, void *buf, size_t len)
{
	uint64_t *state = ctx;
	uint8_t *b = buf;
	for (size_t i = 0; i < len; i++) {
		*state = *state * 6364136223846793005ull + 1442695040888963407ull;
		b[i] = (uint8_t)(*state >> 56);
	}
}

struct pending {
	uint64_t handle;
	struct resolver_addr addr;
	uint8_t msg[512];
	size_t len;
};

struct run {
	struct pending sent[MAX_PENDING];
	size_t nsent;
	unsigned answers;
};

static void drain(struct resolver *r, struct run *run)
{
	const struct resolver_action *a;
	while ((a = resolver_next_action(r))) {
		switch (a->kind) {
		case RESOLVER_ACT_SEND_UDP:
		case RESOLVER_ACT_SEND_TCP:
			CHECK(a->len >= DNS_HEADER_SIZE);
			if (run->nsent < MAX_PENDING && a->len <= sizeof(run->sent[0].msg)) {
				struct pending *p = &run->sent[run->nsent++];
				p->handle = a->handle;
				p->addr = a->addr;
				memcpy(p->msg, a->msg, a->len);
				p->len = a->len;
			}
			break;
		case RESOLVER_ACT_CLOSE:
			for (size_t i = 0; i < run->nsent; i++)
				if (run->sent[i].handle == a->handle) {
					run->sent[i] = run->sent[--run->nsent];
					break;
				}
			break;
		case RESOLVER_ACT_ANSWER:
			CHECK(a->token == 1);
			CHECK(a->len >= DNS_HEADER_SIZE);
			CHECK(a->msg[2] & 0x80); /* QR */
			run->answers++;
			break;
		}
	}
}

/* The header and question of the query `p`, as a reply, then the input's bytes. */
static size_t build_reply(const struct pending *p, struct cursor *in, uint8_t *out)
{
	size_t qend = DNS_HEADER_SIZE;
	size_t nlen = dns_name_len(p->msg + DNS_HEADER_SIZE);
	if (nlen > 0 && DNS_HEADER_SIZE + nlen + 4 <= p->len)
		qend = DNS_HEADER_SIZE + nlen + 4;
	memcpy(out, p->msg, qend);
	out[2] = (uint8_t)(0x80 | (take(in) & 0x7f)); /* QR, then opcode/AA/TC/RD from input */
	out[3] = take(in);                            /* RA, Z, AD, CD, RCODE */
	out[4] = 0;
	out[5] = qend > DNS_HEADER_SIZE ? 1 : 0;
	for (int i = 6; i < 12; i += 2) {
		out[i] = 0;
		out[i + 1] = take(in) & 0x1f; /* up to 31 records per section */
	}
	size_t body = (size_t)take(in) << 4 | (take(in) & 0x0f);
	if (body > in->n)
		body = in->n;
	if (body > REPLY_MAX - qend)
		body = REPLY_MAX - qend;
	memcpy(out + qend, in->p, body);
	in->p += body;
	in->n -= body;
	return qend + body;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor in = {data, size};
	uint64_t seed = 0x5157;
	struct resolver_config cfg;
	resolver_config_default(&cfg);
	cfg.nhints = resolver_iana_hints(&cfg.hints);
	cfg.random = (struct resolver_random){counter_random, &seed};
	cfg.cache_max_bytes = 1 << 20;
	uint8_t mode = take(&in);
	cfg.qname_minimisation = mode & 1;
	cfg.use_caps_for_id = mode & 2;
	struct resolver *r;
	if (resolver_new(&cfg, &r) != 0)
		return 0;

	static const uint16_t types[] = {DNS_T_A,   DNS_T_AAAA, DNS_T_NS, DNS_T_CNAME, DNS_T_MX,
					 DNS_T_TXT, DNS_T_SOA,  DNS_T_DS, DNS_T_ANY,   DNS_T_PTR};
	uint16_t qtype = types[take(&in) % (sizeof(types) / sizeof(types[0]))];
	uint8_t q[64] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
	static const uint8_t qname[] = "\003www\007example\003com";
	memcpy(q + DNS_HEADER_SIZE, qname, sizeof(qname)); /* with the root label */
	size_t qlen = DNS_HEADER_SIZE + sizeof(qname);
	q[qlen++] = (uint8_t)(qtype >> 8);
	q[qlen++] = (uint8_t)qtype;
	q[qlen++] = 0;
	q[qlen++] = DNS_CLASS_IN;

	struct run *run = calloc(1, sizeof(*run));
	uint8_t *reply = malloc(REPLY_MAX);
	if (!run || !reply) {
		free(run);
		free(reply);
		resolver_free(r);
		return 0;
	}
	uint64_t now = 1000000;
	resolver_client_query(r, now, 1, q, qlen, false);
	drain(r, run);
	for (int step = 0; step < MAX_STEPS && run->nsent > 0 && in.n > 0; step++) {
		/* The input picks which query is answered, and how. */
		size_t i = take(&in) % run->nsent;
		struct pending p = run->sent[i];
		run->sent[i] = run->sent[--run->nsent];
		now += take(&in);
		uint8_t how = take(&in);
		if (how == 0xff) {
			resolver_upstream_error(r, now, p.handle);
		} else {
			size_t len = build_reply(&p, &in, reply);
			resolver_upstream_reply(r, now, p.handle, &p.addr, reply, len);
		}
		drain(r, run);
		if (resolver_next_timer(r) <= now) {
			resolver_timeout(r, now);
			drain(r, run);
		}
	}
	/* Past the client's deadline it has had its answer (SERVFAIL at worst), exactly one. */
	now += cfg.client_timeout_ms + 1;
	resolver_timeout(r, now);
	drain(r, run);
	CHECK(run->answers == 1);
	/* And the work it started winds down: each deadline, as it comes. */
	for (int i = 0; i < 256 && resolver_next_timer(r) != UINT64_MAX; i++) {
		if (resolver_next_timer(r) > now)
			now = resolver_next_timer(r);
		resolver_timeout(r, now);
		drain(r, run);
	}
	CHECK(run->answers == 1);
	free(run);
	free(reply);
	resolver_free(r);
	return 0;
}
