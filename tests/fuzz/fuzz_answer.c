/*
 * tests/fuzz/fuzz_answer.c - libFuzzer target: the whole query → answer path, auth_answer() on
 * arbitrary bytes against a small fixed zone, over UDP and TCP sizes. Every answer must be a
 * well-formed response to that query that fits the size the client may receive.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include "auth/answer.h"
#include "base/log.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "zone/db.h"
#include "zone/load.h"

#include "check.h"

/* Every case of RFC 1034 §4.3.2 in a few lines; the seeds in corpus/fuzz_answer ask for them. */
static const char zone_text[] =
	"$ORIGIN example.com.\n"
	"$TTL 3600\n"
	"@ IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300\n"
	"@ NS ns1\n"
	"@ NS ns2.example.net.\n"
	"@ MX 10 mail\n"
	"@ MX 20 mail.example.net.\n"
	"@ A 192.0.2.1\n"
	"@ TXT \"v=spf1 -all\"\n"
	"@ CAA 0 issue \"letsencrypt.org\"\n"
	"ns1 A 192.0.2.53\n"
	"ns1 AAAA 2001:db8::53\n"
	"mail A 192.0.2.25\n"
	"www A 192.0.2.80\n"
	"www A 192.0.2.81\n"
	"www AAAA 2001:db8::80\n"
	"alias CNAME www\n"
	"chain1 CNAME chain2\n"
	"chain2 CNAME alias\n"
	"loop1 CNAME loop2\n"
	"loop2 CNAME loop1\n"
	"out CNAME www.example.org.\n"
	"*.wild TXT \"wildcard\"\n"
	"*.wild A 192.0.2.42\n"
	"*.wcname CNAME www\n"
	"a.b.c.ent A 192.0.2.9\n"
	"_sip._udp SRV 10 60 5060 sip\n"
	"sip A 192.0.2.60\n"
	"sub NS ns.sub\n"
	"sub NS ns.example.net.\n"
	"sub DS 12345 13 2 "
	"3490A6806D47F17A34C29E2CE80E8A999FFBE4BE3490A6806D47F17A34C29E2C\n"
	"ns.sub A 192.0.2.99\n"
	"ns.sub AAAA 2001:db8::99\n"
	"big TXT \"" /* many records: the answer must truncate over UDP at 512 octets */
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n"
	"big TXT \"1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n"
	"big TXT \"2123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n"
	"big TXT \"3123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n"
	"big TXT \"4123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n"
	"big TXT \"5123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n"
	"big TXT \"6123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n"
	"big TXT \"7123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n"
	"big TXT \"8123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n"
	"big TXT \"9123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n"
	"many A 10.0.0.1\nmany A 10.0.0.2\nmany A 10.0.0.3\nmany A 10.0.0.4\nmany A 10.0.0.5\n"
	"many A 10.0.0.6\nmany A 10.0.0.7\nmany A 10.0.0.8\nmany A 10.0.0.9\nmany A 10.0.0.10\n"
	"many A 10.0.0.11\nmany A 10.0.0.12\nmany A 10.0.0.13\nmany A 10.0.0.14\n"
	"many A 10.0.0.15\nmany A 10.0.0.16\nmany A 10.0.0.17\nmany A 10.0.0.18\n"
	"many A 10.0.0.19\nmany A 10.0.0.20\nmany A 10.0.0.21\nmany A 10.0.0.22\n"
	"many A 10.0.0.23\nmany A 10.0.0.24\nmany A 10.0.0.25\nmany A 10.0.0.26\n"
	"many A 10.0.0.27\nmany A 10.0.0.28\nmany A 10.0.0.29\nmany A 10.0.0.30\n"
	"many A 10.0.0.31\nmany A 10.0.0.32\nmany A 10.0.0.33\nmany A 10.0.0.34\n"
	"many A 10.0.0.35\nmany A 10.0.0.36\nmany A 10.0.0.37\nmany A 10.0.0.38\n"
	"many A 10.0.0.39\nmany A 10.0.0.40\n"
	"ptr PTR www\n"
	"naptr NAPTR 100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .\n"
	"sshfp SSHFP 4 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"_443._tcp TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"svc SVCB 1 www alpn=h2,h3 port=8443\n"
	"https HTTPS 1 . alpn=h2\n"
	"spf SPF \"v=spf1 -all\"\n"
	"unknown TYPE65534 \\# 2 abcd\n";

static const char zone2_text[] = "$ORIGIN example.net.\n"
				 "@ 300 IN SOA ns2 hostmaster 1 7200 3600 1209600 300\n"
				 "@ 300 NS ns2\n"
				 "ns2 300 A 198.51.100.53\n";

static struct zone_db *db;

static void load(const char *text, const char *origin_text)
{
	uint8_t origin[DNS_NAME_MAXLEN];
	char err[512];
	struct zone_version *v = NULL;
	CHECK(dns_name_from_text(origin_text, NULL, origin) > 0);
	if (zone_load_string(text, strlen(text), origin_text, origin, &v, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_answer: the fixed zone does not load: %s\n", err);
		abort();
	}
	CHECK(zone_db_publish(db, v, true) == 0);
}

static void setup(void)
{
	log_set_level(LOG_ERR);
	db = zone_db_new();
	CHECK(db != NULL);
	load(zone_text, "example.com.");
	load(zone2_text, "example.net.");
	zone_db_sync(db);
	/* This thread answers queries like a DNS worker: an online QSBR reader. */
	rcu_register_thread();
}

/* Reads one name at *pos that must end at or before `limit`: its length, or 0 if it does not. */
static int name_at(const uint8_t *r, size_t len, size_t *pos, size_t limit)
{
	uint8_t name[DNS_NAME_MAXLEN];
	int n = dns_name_unpack(r, len, pos, name);
	if (n <= 0 || *pos > limit || dns_name_len(name) != (size_t)n)
		return 0;
	return n;
}

/* Checks that the names inside an RR's rdata parse and stay inside its rdlength. */
static bool rdata_ok(const uint8_t *r, size_t len, uint16_t type, size_t pos, size_t end)
{
	switch (type) {
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_DNAME:
		return name_at(r, len, &pos, end) && pos == end;
	case DNS_T_MX:
		pos += 2;
		return pos < end && name_at(r, len, &pos, end) && pos == end;
	case DNS_T_SRV:
		pos += 6;
		return pos < end && name_at(r, len, &pos, end) && pos == end;
	case DNS_T_SOA:
		return name_at(r, len, &pos, end) && name_at(r, len, &pos, end) && pos + 20 == end;
	case DNS_T_A:
		return end - pos == 4;
	case DNS_T_AAAA:
		return end - pos == 16;
	default:
		return true;
	}
}

/*
 * A generic response checker that shares no code with the answer path but dns_name_unpack():
 * header, then every question and RR of the four sections, the counts matching the bytes
 * exactly. Returns the number of OPT records.
 */
static int check_message(const uint8_t *r, size_t len)
{
	CHECK(len >= DNS_HEADER_SIZE);
	uint16_t counts[4];
	for (int i = 0; i < 4; i++)
		counts[i] = (uint16_t)(r[4 + 2 * i] << 8 | r[5 + 2 * i]);
	size_t pos = DNS_HEADER_SIZE;
	for (unsigned i = 0; i < counts[0]; i++) {
		CHECK(name_at(r, len, &pos, len));
		CHECK(len - pos >= 4);
		pos += 4;
	}
	int opts = 0;
	for (int s = 1; s < 4; s++) {
		for (unsigned i = 0; i < counts[s]; i++) {
			int owner_len = name_at(r, len, &pos, len);
			CHECK(owner_len > 0);
			CHECK(len - pos >= 10);
			uint16_t type = (uint16_t)(r[pos] << 8 | r[pos + 1]);
			uint16_t rdlen = (uint16_t)(r[pos + 8] << 8 | r[pos + 9]);
			pos += 10;
			CHECK(len - pos >= rdlen);
			CHECK(rdata_ok(r, len, type, pos, pos + rdlen));
			if (type == DNS_T_OPT) {
				/* RFC 6891 §6.1.1: one OPT, owned by the root, in additional. */
				CHECK(s == 3);
				CHECK(owner_len == 1);
				opts++;
			}
			pos += rdlen;
		}
	}
	CHECK(pos == len);
	CHECK(opts <= 1);
	return opts;
}

static void check_answer(const uint8_t *q, size_t qlen, const struct dns_query *pq,
			 enum dns_parse_result pr, const uint8_t *r, size_t rlen, size_t cap,
			 bool tcp)
{
	/* Responses and garbage are never answered (reflection loops); queries always are. */
	if (pr == DNS_PARSE_DROP) {
		CHECK(rlen == 0);
		return;
	}
	CHECK(rlen > 0);
	CHECK(rlen <= cap);
	int opts = check_message(r, rlen);
	uint16_t flags = (uint16_t)(r[2] << 8 | r[3]);
	CHECK(r[0] == q[0] && r[1] == q[1]);
	CHECK(flags & DNS_F_QR);
	CHECK(DNS_OPCODE(flags) == DNS_OPCODE(pq->flags));
	CHECK((flags & DNS_F_RD) == (pq->flags & DNS_F_RD));
	if (tcp)
		CHECK((flags & DNS_F_TC) == 0);
	if (!tcp) {
		/*
		 * RFC 6891 §6.2.5: an advertised size below 512 is treated as 512; above our own
		 * maximum, as that maximum (no UDP response needs IP fragmentation).
		 */
		size_t limit = DNS_UDP_MIN;
		if (pq->edns && pq->edns_udp_size > limit)
			limit = pq->edns_udp_size;
		if (limit > DNS_EDNS_MAX_UDP)
			limit = DNS_EDNS_MAX_UDP;
		CHECK(rlen <= limit);
	}
	uint16_t qdcount = (uint16_t)(r[4] << 8 | r[5]);
	if (pr == DNS_PARSE_OK) {
		/* The question is echoed byte for byte: its case too (RFC 4343 §4.1). */
		CHECK(qdcount == 1);
		CHECK(rlen >= pq->question_end);
		CHECK(memcmp(r + DNS_HEADER_SIZE, q + DNS_HEADER_SIZE,
			     pq->question_end - DNS_HEADER_SIZE) == 0);
		/* RFC 6891 §7: an OPT in the query gets one in the response. */
		CHECK(opts == (pq->edns ? 1 : 0));
	}
	(void)qlen;
}

int LLVMFuzzerTestOneInput(const uint8_t *msg, size_t size)
{
	static bool ready;
	static uint8_t out[DNS_MSG_MAX];
	if (!ready) {
		setup();
		ready = true;
	}
	struct dns_query pq;
	enum dns_parse_result pr = dns_query_parse(msg, size, &pq);

	const struct zone_set *s = zone_db_get(db);
	static const struct {
		size_t cap;
		bool tcp;
	} runs[] = {{DNS_UDP_MIN, false}, {DNS_MSG_MAX, false}, {DNS_MSG_MAX, true}};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		memset(out, 0xee, runs[i].cap);
		size_t n = auth_answer(s, msg, size, out, runs[i].cap, runs[i].tcp);
		check_answer(msg, size, &pq, pr, out, n, runs[i].cap, runs[i].tcp);
	}
	rcu_quiescent_state();
	return 0;
}
