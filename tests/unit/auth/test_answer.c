/*
 * Unit tests for auth/answer: queries built by hand go through auth_answer() against zones in
 * a zone_db, and every response is parsed back strictly (RFC 1034 §4.3.2, RFC 2308, RFC 4592,
 * RFC 6891, RFC 8482, RFC 9471). Expected answers follow the RFCs and what NSD and Knot DNS
 * send for the same zone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include <cmocka.h>

#include "auth/answer.h"
#include "base/log.h"
#include "dns/name.h"
#include "zone/db.h"
#include "zone/load.h"

/* ---- zones -------------------------------------------------------------------------------- */

static const char example_zone[] =
	"$ORIGIN example.com.\n"
	"$TTL 3600\n"
	/* SOA TTL 3600 > MINIMUM 300: negative answers carry TTL 300 (RFC 2308 §5). */
	"@ 3600 IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300\n"
	"@ NS ns1\n"
	"@ NS ns2\n"
	"@ MX 10 mail\n"
	"@ MX 20 mail.example.net.\n"
	"@ A 192.0.2.1\n"
	"@ TXT \"apex\"\n"
	"ns1 A 192.0.2.53\n"
	"ns1 AAAA 2001:db8::53\n"
	"ns2 A 192.0.2.54\n"
	"mail A 192.0.2.25\n"
	"mail AAAA 2001:db8::25\n"
	"www A 192.0.2.80\n"
	"www A 192.0.2.81\n"
	"www AAAA 2001:db8::80\n"
	"MiXeD A 192.0.2.99\n"
	"alias CNAME www\n"
	"chain1 CNAME chain2\n"
	"chain2 CNAME alias\n"
	"loop1 CNAME loop2\n"
	"loop2 CNAME loop1\n"
	"self CNAME self\n"
	"ext CNAME www.example.org.\n"
	"dangling CNAME nothere\n"
	"tosub CNAME host.sub\n"
	"towild CNAME foo.wild\n"
	"*.wild A 192.0.2.100\n"
	"*.wild TXT \"wild\"\n"
	"exists.wild A 192.0.2.101\n"
	"host.ent.wild A 192.0.2.102\n"
	"*.wcname CNAME www\n"
	"*.wmx MX 10 mail\n"
	"a.b.ent A 192.0.2.9\n"
	"_sip._tcp SRV 10 60 5060 sip\n"
	"sip A 192.0.2.60\n"
	"sub NS ns1.sub\n"
	"sub NS ns.example.net.\n"
	"sub DS 12345 13 2 2BB183AF5F22588179A53B0A98631FAD1A292118B0CC2DCF5A2B1C2D3E4F5A6B\n"
	"ns1.sub A 192.0.2.201\n"
	"ns1.sub AAAA 2001:db8::201\n"
	"nods NS ns.example.net.\n"
	"sib NS ns1.sub\n"
	"child NS ns1.child\n"
	"child DS 54321 13 2 1111111111111111111111111111111111111111111111111111111111111111\n"
	"ns1.child A 192.0.2.210\n";

static const char child_zone[] = "$ORIGIN child.example.com.\n"
				 "$TTL 3600\n"
				 "@ SOA ns1 hostmaster 1 7200 3600 1209600 600\n"
				 "@ NS ns1\n"
				 "ns1 A 192.0.2.210\n"
				 "www A 192.0.2.211\n";

/* SOA TTL 60 < MINIMUM 300: negative answers carry 60. */
static const char low_zone[] = "$ORIGIN low.test.\n"
			       "@ 60 SOA ns hm 1 7200 3600 1209600 300\n"
			       "@ 60 NS ns\n"
			       "ns 60 A 192.0.2.1\n";

static const char zero_zone[] = "$ORIGIN zero.test.\n"
				"@ 0 SOA ns hm 1 7200 3600 1209600 300\n"
				"@ 60 NS ns\n"
				"ns 60 A 192.0.2.1\n";

static struct zone_db *db;

static const uint8_t *name(const char *text)
{
	static uint8_t bufs[8][DNS_NAME_MAXLEN];
	static int i;
	uint8_t *b = bufs[i++ % 8];
	if (dns_name_from_text(text, NULL, b) <= 0)
		fail_msg("bad name %s", text);
	return b;
}

static void publish(struct zone_db *d, const char *text, const char *origin)
{
	char err[512] = "";
	struct zone_version *v = NULL;
	int r = zone_load_string(text, strlen(text), origin, name(origin), &v, err, sizeof(err));
	if (r != 0)
		fail_msg("zone %s does not load: %s", origin, err);
	assert_int_equal(zone_db_publish(d, v, true), 0);
}

/* Records that make answers large: a big TXT RRset, many A, a delegation with much glue. */
static char *big_records(void)
{
	size_t cap = 16384, n = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	n += (size_t)snprintf(s + n, cap - n, "$ORIGIN example.com.\n");
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(
			s + n, cap - n, "huge 3600 TXT \"%02d%s\"\n", i,
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(s + n, cap - n, "many 3600 A 10.0.0.%d\n", i + 1);
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(s + n, cap - n,
				      "bigdeleg 3600 NS ns%02d.bigdeleg\n"
				      "ns%02d.bigdeleg 3600 A 192.0.2.%d\n"
				      "ns%02d.bigdeleg 3600 AAAA 2001:db8::%d\n",
				      i, i, i + 1, i, i + 1);
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(s + n, cap - n, "long%02d 3600 CNAME long%02d\n", i, i + 1);
	n += (size_t)snprintf(s + n, cap - n, "long20 3600 A 192.0.2.20\n");
	assert_true(n < cap);
	return s;
}

static int group_setup(void **state)
{
	log_set_level(LOG_ERR);
	/* This thread answers like a DNS worker: a registered, online QSBR reader. */
	rcu_register_thread();
	db = zone_db_new();
	assert_non_null(db);
	char *big = big_records();
	size_t len = strlen(example_zone) + strlen(big) + 1;
	char *text = malloc(len);
	assert_non_null(text);
	snprintf(text, len, "%s%s", example_zone, big);
	publish(db, text, "example.com.");
	free(text);
	free(big);
	publish(db, child_zone, "child.example.com.");
	publish(db, low_zone, "low.test.");
	publish(db, zero_zone, "zero.test.");
	zone_db_sync(db);
	return 0;
}

static int group_teardown(void **state)
{
	zone_db_free(db);
	rcu_unregister_thread();
	return 0;
}

/* ---- queries ------------------------------------------------------------------------------ */

struct query {
	uint16_t id;
	uint16_t flags;  /* header flags word; the opcode lives here too */
	uint16_t qclass; /* 0: IN */
	int qdcount;     /* questions written (default 1) */
	int edns;        /* advertised UDP size, or 0 for no OPT */
	uint8_t version; /* EDNS version */
	bool do_bit;
	int opts;    /* OPT records (default 1 when edns) */
	bool cookie; /* an EDNS COOKIE option (RFC 7873) in the OPT */
};

static uint8_t qbuf[1024];
static size_t qlen;

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Writes a query into qbuf. Names keep the case they are given in. */
static void build(const char *qname, uint16_t qtype, const struct query *o)
{
	uint8_t *p = qbuf;
	int qd = o->qdcount ? o->qdcount : 1;
	if (o->qdcount < 0)
		qd = 0;
	int opts = o->edns ? (o->opts ? o->opts : 1) : 0;
	put16(p, o->id ? o->id : 0xbeef);
	put16(p + 2, o->flags);
	put16(p + 4, (uint16_t)qd);
	put16(p + 6, 0);
	put16(p + 8, 0);
	put16(p + 10, (uint16_t)opts);
	size_t n = DNS_HEADER_SIZE;
	for (int i = 0; i < qd; i++) {
		const uint8_t *w = name(qname);
		size_t l = dns_name_len(w);
		memcpy(p + n, w, l);
		n += l;
		put16(p + n, qtype);
		put16(p + n + 2, o->qclass ? o->qclass : DNS_CLASS_IN);
		n += 4;
	}
	for (int i = 0; i < opts; i++) {
		p[n++] = 0; /* root owner */
		put16(p + n, DNS_T_OPT);
		put16(p + n + 2, (uint16_t)o->edns);
		p[n + 4] = 0; /* extended rcode */
		p[n + 5] = o->version;
		put16(p + n + 6, o->do_bit ? DNS_EDNS_DO : 0);
		put16(p + n + 8, o->cookie ? 12 : 0);
		n += 10;
		if (o->cookie) {
			put16(p + n, 10); /* COOKIE, a client cookie of 8 octets */
			put16(p + n + 2, 8);
			memcpy(p + n + 4, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
			n += 12;
		}
	}
	qlen = n;
}

/* ---- responses ---------------------------------------------------------------------------- */

enum { AN, NS, AR };

struct rr {
	uint8_t owner[DNS_NAME_MAXLEN]; /* case as sent */
	uint16_t type, class;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
	uint8_t target[DNS_NAME_MAXLEN]; /* NS/CNAME/PTR/MX/SRV: the name in the rdata */
};

#define MAX_RR 128
struct msg {
	uint8_t buf[DNS_MSG_MAX];
	size_t len;
	uint16_t id, flags, qdcount;
	uint16_t count[3]; /* as the header says, OPT included */
	uint16_t n[3];     /* records parsed into rr[], OPT excluded */
	struct rr rr[3][MAX_RR];
	bool opt;
	uint16_t opt_class;
	uint32_t opt_ttl;
};

static struct msg R;

/* Reads a name that must end within [*pos, end). */
static void read_name(size_t *pos, size_t end, uint8_t *out)
{
	int n = dns_name_unpack(R.buf, R.len, pos, out);
	if (n <= 0)
		fail_msg("a name at offset %zu does not parse", *pos);
	if (*pos > end)
		fail_msg("a name at offset %zu runs past its record data", *pos);
}

static void parse_rdata(struct rr *rr, size_t pos)
{
	size_t end = pos + rr->rdlen;
	uint8_t scratch[DNS_NAME_MAXLEN];
	switch (rr->type) {
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
		read_name(&pos, end, rr->target);
		break;
	case DNS_T_MX:
		pos += 2;
		read_name(&pos, end, rr->target);
		break;
	case DNS_T_SRV:
		pos += 6;
		read_name(&pos, end, rr->target);
		break;
	case DNS_T_SOA:
		read_name(&pos, end, rr->target);
		read_name(&pos, end, scratch);
		pos += 20;
		break;
	case DNS_T_A:
		pos += 4;
		break;
	case DNS_T_AAAA:
		pos += 16;
		break;
	default:
		pos = end;
	}
	if (pos != end)
		fail_msg("record data of type %u has %zu octets left over or missing", rr->type,
			 end > pos ? end - pos : pos - end);
}

/*
 * Parses R strictly: header, the question (byte for byte the query's when QDCOUNT is 1), then
 * exactly the records the counts announce, and nothing after them.
 */
static void parse(void)
{
	assert_true(R.len >= DNS_HEADER_SIZE);
	R.id = get16(R.buf);
	R.flags = get16(R.buf + 2);
	R.qdcount = get16(R.buf + 4);
	for (int s = 0; s < 3; s++) {
		R.count[s] = get16(R.buf + 6 + 2 * s);
		R.n[s] = 0;
	}
	R.opt = false;
	size_t pos = DNS_HEADER_SIZE;
	assert_true(R.qdcount <= 1);
	if (R.qdcount == 1) {
		uint8_t qn[DNS_NAME_MAXLEN];
		read_name(&pos, R.len, qn);
		pos += 4;
		assert_true(pos <= R.len);
		/* The question is echoed as sent, case included (RFC 4343 §4.1). */
		assert_true(qlen >= pos);
		assert_memory_equal(R.buf + DNS_HEADER_SIZE, qbuf + DNS_HEADER_SIZE,
				    pos - DNS_HEADER_SIZE);
	}
	for (int s = 0; s < 3; s++) {
		for (unsigned i = 0; i < R.count[s]; i++) {
			struct rr rr;
			read_name(&pos, R.len, rr.owner);
			if (R.len - pos < 10)
				fail_msg("a record header runs past the end");
			rr.type = get16(R.buf + pos);
			rr.class = get16(R.buf + pos + 2);
			rr.ttl = get32(R.buf + pos + 4);
			rr.rdlen = get16(R.buf + pos + 8);
			pos += 10;
			if (R.len - pos < rr.rdlen)
				fail_msg("record data runs past the end");
			rr.rdata = R.buf + pos;
			if (rr.type == DNS_T_OPT) {
				/* RFC 6891 §6.1.1: one, owned by the root, in additional. */
				assert_int_equal(s, AR);
				assert_false(R.opt);
				assert_int_equal(rr.owner[0], 0);
				R.opt = true;
				R.opt_class = rr.class;
				R.opt_ttl = rr.ttl;
				pos += rr.rdlen;
				continue;
			}
			assert_int_equal(rr.class, DNS_CLASS_IN);
			parse_rdata(&rr, pos);
			pos += rr.rdlen;
			assert_true(R.n[s] < MAX_RR);
			R.rr[s][R.n[s]++] = rr;
		}
	}
	if (pos != R.len)
		fail_msg("%zu octets after the last record", R.len - pos);
}

static void run(bool tcp, size_t cap)
{
	memset(R.buf, 0xee, sizeof(R.buf));
	assert_true(cap <= sizeof(R.buf));
	R.len = auth_answer(zone_db_get(db), qbuf, qlen, R.buf, cap, tcp);
	assert_true(R.len <= cap);
	if (R.len > 0) {
		parse();
		assert_int_equal(R.id, get16(qbuf));
		assert_true(R.flags & DNS_F_QR);
		/* RD is copied (RFC 1035 §4.1.1); we never offer recursion. */
		assert_int_equal(R.flags & DNS_F_RD, get16(qbuf + 2) & DNS_F_RD);
		assert_false(R.flags & DNS_F_RA);
	}
}

/* A UDP query without EDNS. */
static void ask(const char *qname, uint16_t qtype)
{
	build(qname, qtype, &(struct query){0});
	run(false, DNS_MSG_MAX);
	assert_true(R.len > 0);
	assert_true(R.len <= DNS_UDP_MIN);
	assert_false(R.opt);
}

/* An EDNS query advertising `udp` octets, over UDP or TCP. */
static void ask_edns(const char *qname, uint16_t qtype, int udp, bool tcp)
{
	build(qname, qtype, &(struct query){.edns = udp});
	run(tcp, DNS_MSG_MAX);
	assert_true(R.len > 0);
	assert_true(R.opt);
}

static int rcode(void)
{
	return DNS_RCODE(R.flags) | (R.opt ? (int)(R.opt_ttl >> 24) << 4 : 0);
}

static bool aa(void)
{
	return (R.flags & DNS_F_AA) != 0;
}

static bool tc(void)
{
	return (R.flags & DNS_F_TC) != 0;
}

/* Records in section s with this owner (NULL: any) and type (0: any). */
static int count(int s, const char *owner, uint16_t type)
{
	int c = 0;
	for (unsigned i = 0; i < R.n[s]; i++) {
		const struct rr *rr = &R.rr[s][i];
		if ((!owner || dns_name_equal(rr->owner, name(owner))) &&
		    (!type || rr->type == type))
			c++;
	}
	return c;
}

static const struct rr *get(int s, const char *owner, uint16_t type)
{
	for (unsigned i = 0; i < R.n[s]; i++) {
		const struct rr *rr = &R.rr[s][i];
		if ((!owner || dns_name_equal(rr->owner, name(owner))) &&
		    (!type || rr->type == type))
			return rr;
	}
	fail_msg("no record %s type %u in section %d", owner ? owner : "*", type, s);
	return NULL;
}

static void assert_target(const struct rr *rr, const char *target)
{
	if (!dns_name_equal(rr->target, name(target))) {
		char buf[1024];
		dns_name_to_text(rr->target, buf, sizeof(buf));
		fail_msg("target is %s, expected %s", buf, target);
	}
}

/* The owner exactly as written, case included. */
static void assert_owner_exact(const struct rr *rr, const char *owner)
{
	const uint8_t *w = name(owner);
	assert_memory_equal(rr->owner, w, dns_name_len(w));
}

static void assert_a(const struct rr *rr, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	assert_int_equal(rr->type, DNS_T_A);
	assert_int_equal(rr->rdlen, 4);
	const uint8_t want[4] = {a, b, c, d};
	assert_memory_equal(rr->rdata, want, 4);
}

/* No two identical records anywhere in the message (RFC 2181 §5). */
static void assert_no_duplicates(int s)
{
	for (unsigned i = 0; i < R.n[s]; i++)
		for (unsigned j = i + 1; j < R.n[s]; j++) {
			const struct rr *a = &R.rr[s][i], *b = &R.rr[s][j];
			if (a->type == b->type && dns_name_equal(a->owner, b->owner) &&
			    a->rdlen == b->rdlen && memcmp(a->rdata, b->rdata, a->rdlen) == 0) {
				char buf[1024];
				dns_name_to_text(a->owner, buf, sizeof(buf));
				fail_msg("section %d holds %s type %u twice (records %u and %u)", s,
					 buf, a->type, i, j);
			}
		}
}

/* A negative answer's SOA (RFC 2308 §3): the zone's, TTL min(SOA TTL, MINIMUM) (§5). */
static void assert_negative(int rc, const char *zone, uint32_t ttl)
{
	assert_int_equal(rcode(), rc);
	assert_true(aa());
	assert_int_equal(count(NS, NULL, 0), 1);
	const struct rr *soa = get(NS, zone, DNS_T_SOA);
	assert_int_equal(soa->ttl, ttl);
}

/* ---- answers ------------------------------------------------------------------------------ */

static void test_authoritative_answer(void **state)
{
	build("www.example.com.", DNS_T_A, &(struct query){.id = 0x1234, .flags = DNS_F_RD});
	run(false, DNS_MSG_MAX);
	assert_int_equal(R.id, 0x1234);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_true(aa());
	assert_false(tc());
	assert_int_equal(DNS_OPCODE(R.flags), DNS_OP_QUERY);
	assert_int_equal(R.qdcount, 1);
	assert_int_equal(R.n[AN], 2);
	assert_int_equal(count(AN, "www.example.com.", DNS_T_A), 2);
	assert_a(&R.rr[AN][0], 192, 0, 2, 80);
	assert_a(&R.rr[AN][1], 192, 0, 2, 81);
	assert_int_equal(R.rr[AN][0].ttl, 3600);
	assert_int_equal(count(NS, NULL, DNS_T_SOA), 0);
	assert_false(R.opt);

	/* RD clear stays clear; CD is copied (RFC 4035 §3.1.6). */
	build("www.example.com.", DNS_T_AAAA, &(struct query){.flags = DNS_F_CD});
	run(false, DNS_MSG_MAX);
	assert_true(R.flags & DNS_F_CD);
	assert_int_equal(count(AN, "www.example.com.", DNS_T_AAAA), 1);
}

/* RFC 4343 §4.1: the question's case is echoed, and owners pointing at it keep it. */
static void test_query_case_echoed(void **state)
{
	ask("WwW.ExAmPlE.CoM.", DNS_T_A);
	assert_true(aa());
	assert_int_equal(R.n[AN], 2);
	assert_owner_exact(&R.rr[AN][0], "WwW.ExAmPlE.CoM.");
	assert_owner_exact(&R.rr[AN][1], "WwW.ExAmPlE.CoM.");

	ask("mIxEd.EXAMPLE.com.", DNS_T_A);
	assert_int_equal(R.n[AN], 1);
	assert_owner_exact(&R.rr[AN][0], "mIxEd.EXAMPLE.com.");
	assert_a(&R.rr[AN][0], 192, 0, 2, 99);

	ask("FoO.WiLd.example.com.", DNS_T_A);
	assert_int_equal(R.n[AN], 1);
	assert_owner_exact(&R.rr[AN][0], "FoO.WiLd.example.com.");

	ask("ALIAS.example.com.", DNS_T_A);
	assert_owner_exact(&R.rr[AN][0], "ALIAS.example.com.");

	ask("NoThErE.Example.Com.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NXDOMAIN);
}

/* RFC 1034 §4.3.2 step 3b: a referral is not authoritative; NS in authority, glue. */
static void test_referral(void **state)
{
	static const char *names[] = {"host.sub.example.com.", "sub.example.com.",
				      "ns1.sub.example.com.", "a.b.c.sub.example.com.",
				      "HOST.SUB.EXAMPLE.COM."};
	static const uint16_t types[] = {DNS_T_A,  DNS_T_NS,  DNS_T_AAAA,
					 DNS_T_MX, DNS_T_SOA, DNS_T_ANY};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (size_t j = 0; j < sizeof(types) / sizeof(types[0]); j++) {
			ask(names[i], types[j]);
			assert_int_equal(rcode(), DNS_RC_NOERROR);
			assert_false(aa());
			assert_int_equal(R.n[AN], 0);
			assert_int_equal(R.n[NS], 2);
			assert_int_equal(count(NS, "sub.example.com.", DNS_T_NS), 2);
			/* In-domain glue, and nothing for the NS outside the zone. */
			assert_int_equal(R.n[AR], 2);
			assert_int_equal(count(AR, "ns1.sub.example.com.", DNS_T_A), 1);
			assert_int_equal(count(AR, "ns1.sub.example.com.", DNS_T_AAAA), 1);
		}

	/* Only out-of-zone name servers: no additional data. */
	ask("www.nods.example.com.", DNS_T_A);
	assert_false(aa());
	assert_int_equal(count(NS, "nods.example.com.", DNS_T_NS), 1);
	assert_int_equal(R.n[AR], 0);
}

/*
 * RFC 9471 §3.2: sibling glue (a name server below another delegation of the same zone)
 * SHOULD be included. NSD 4.6 and Knot 3.2 both add ns1.sub's A and AAAA here.
 */
static void test_referral_sibling_glue(void **state)
{
	ask("x.sib.example.com.", DNS_T_A);
	assert_false(aa());
	assert_target(get(NS, "sib.example.com.", DNS_T_NS), "ns1.sub.example.com.");
	assert_int_equal(count(AR, "ns1.sub.example.com.", DNS_T_A), 1);
	assert_int_equal(count(AR, "ns1.sub.example.com.", DNS_T_AAAA), 1);
}

/* RFC 9471 §3.1: in-domain glue that does not fit sets TC; over TCP it is all there. */
static void test_referral_glue_truncated(void **state)
{
	ask("x.bigdeleg.example.com.", DNS_T_A);
	assert_true(tc());
	assert_false(aa());

	ask_edns("x.bigdeleg.example.com.", DNS_T_A, 1232, false);
	assert_false(tc());
	assert_true(R.len <= 1232);
	assert_int_equal(count(NS, "bigdeleg.example.com.", DNS_T_NS), 16);
	assert_int_equal(count(AR, NULL, DNS_T_A), 16);
	assert_int_equal(count(AR, NULL, DNS_T_AAAA), 16);

	build("x.bigdeleg.example.com.", DNS_T_A, &(struct query){0});
	run(true, DNS_MSG_MAX);
	assert_false(tc());
	assert_int_equal(count(NS, "bigdeleg.example.com.", DNS_T_NS), 16);
	assert_int_equal(count(AR, NULL, DNS_T_A), 16);
	assert_int_equal(count(AR, NULL, DNS_T_AAAA), 16);
}

static void test_nxdomain(void **state)
{
	static const char *names[] = {"nothere.example.com.",    "a.b.nothere.example.com.",
				      "x.www.example.com.",      "x.exists.wild.example.com.",
				      "x.ent.wild.example.com.", "x.a.b.ent.example.com."};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ask(names[i], DNS_T_A);
		assert_int_equal(R.n[AN], 0);
		assert_negative(DNS_RC_NXDOMAIN, "example.com.", 300);
		const struct rr *soa = get(NS, "example.com.", DNS_T_SOA);
		assert_target(soa, "ns1.example.com.");
		assert_int_equal(get32(soa->rdata + soa->rdlen - 20), 2024010101);
		assert_int_equal(R.n[AR], 0);
	}
}

/* RFC 2308 §2.2: the name exists, the type does not. Empty non-terminals are names too. */
static void test_nodata(void **state)
{
	static const struct {
		const char *name;
		uint16_t type;
	} cases[] = {
		{"www.example.com.", DNS_T_TXT},     {"www.example.com.", DNS_T_MX},
		{"example.com.", DNS_T_AAAA},        {"ent.example.com.", DNS_T_A},
		{"b.ent.example.com.", DNS_T_AAAA},  {"ent.wild.example.com.", DNS_T_A},
		{"foo.wild.example.com.", DNS_T_MX}, {"exists.wild.example.com.", DNS_T_TXT},
		{"*.wild.example.com.", DNS_T_MX},   {"ns1.example.com.", DNS_T_DS},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ask(cases[i].name, cases[i].type);
		assert_int_equal(R.n[AN], 0);
		assert_negative(DNS_RC_NOERROR, "example.com.", 300);
	}
}

static void test_negative_ttl(void **state)
{
	/* SOA TTL 60 < MINIMUM 300. */
	ask("nothere.low.test.", DNS_T_A);
	assert_negative(DNS_RC_NXDOMAIN, "low.test.", 60);
	ask("ns.low.test.", DNS_T_TXT);
	assert_negative(DNS_RC_NOERROR, "low.test.", 60);
	/* A zero TTL stays zero. */
	ask("nothere.zero.test.", DNS_T_A);
	assert_negative(DNS_RC_NXDOMAIN, "zero.test.", 0);
	ask("ns.zero.test.", DNS_T_TXT);
	assert_negative(DNS_RC_NOERROR, "zero.test.", 0);
	/* The SOA asked for is the SOA as it is. */
	ask("zero.test.", DNS_T_SOA);
	assert_int_equal(get(AN, "zero.test.", DNS_T_SOA)->ttl, 0);
	ask("low.test.", DNS_T_SOA);
	assert_int_equal(get(AN, "low.test.", DNS_T_SOA)->ttl, 60);
}

/* RFC 1034 §3.6.2, RFC 2782: addresses of MX, SRV and NS targets that the zone holds. */
static void test_additional(void **state)
{
	ask("example.com.", DNS_T_MX);
	assert_true(aa());
	assert_int_equal(count(AN, "example.com.", DNS_T_MX), 2);
	assert_int_equal(count(AR, "mail.example.com.", DNS_T_A), 1);
	assert_int_equal(count(AR, "mail.example.com.", DNS_T_AAAA), 1);
	assert_int_equal(count(AR, "mail.example.net.", 0), 0);

	ask("example.com.", DNS_T_NS);
	assert_true(aa());
	assert_int_equal(count(AN, "example.com.", DNS_T_NS), 2);
	assert_int_equal(count(AR, "ns1.example.com.", DNS_T_A), 1);
	assert_int_equal(count(AR, "ns1.example.com.", DNS_T_AAAA), 1);
	assert_int_equal(count(AR, "ns2.example.com.", DNS_T_A), 1);
	assert_int_equal(R.n[AR], 3);

	ask("_sip._tcp.example.com.", DNS_T_SRV);
	assert_int_equal(count(AN, NULL, DNS_T_SRV), 1);
	assert_int_equal(count(AR, "sip.example.com.", DNS_T_A), 1);
	/* The SRV target is not compressed (RFC 2782, RFC 3597 §4): 6 + 17 octets. */
	const struct rr *srv = get(AN, NULL, DNS_T_SRV);
	assert_int_equal(srv->rdlen, 23);
	assert_target(srv, "sip.example.com.");

	/* A wildcard MX: the target's addresses follow the synthesised answer. */
	ask("x.wmx.example.com.", DNS_T_MX);
	assert_owner_exact(get(AN, NULL, DNS_T_MX), "x.wmx.example.com.");
	assert_int_equal(count(AR, "mail.example.com.", DNS_T_A), 1);

	/* An address answer needs no additional data. */
	ask("mail.example.com.", DNS_T_A);
	assert_int_equal(R.n[AR], 0);
}

/* RFC 1034 §4.3.2 step 3a: CNAMEs are followed inside the zone. */
static void test_cname_chain(void **state)
{
	ask("chain1.example.com.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_true(aa());
	assert_int_equal(R.n[AN], 5);
	assert_owner_exact(&R.rr[AN][0], "chain1.example.com.");
	assert_int_equal(R.rr[AN][0].type, DNS_T_CNAME);
	assert_target(&R.rr[AN][0], "chain2.example.com.");
	assert_true(dns_name_equal(R.rr[AN][1].owner, name("chain2.example.com.")));
	assert_target(&R.rr[AN][1], "alias.example.com.");
	assert_true(dns_name_equal(R.rr[AN][2].owner, name("alias.example.com.")));
	assert_target(&R.rr[AN][2], "www.example.com.");
	assert_true(dns_name_equal(R.rr[AN][3].owner, name("www.example.com.")));
	assert_a(&R.rr[AN][3], 192, 0, 2, 80);
	assert_a(&R.rr[AN][4], 192, 0, 2, 81);
	assert_int_equal(R.n[NS], 0);

	/* The CNAME itself when it is asked for: not followed. */
	ask("alias.example.com.", DNS_T_CNAME);
	assert_int_equal(R.n[AN], 1);
	assert_target(&R.rr[AN][0], "www.example.com.");

	/* The chain ends in NODATA: CNAME, then the SOA. */
	ask("alias.example.com.", DNS_T_TXT);
	assert_int_equal(count(AN, "alias.example.com.", DNS_T_CNAME), 1);
	assert_int_equal(R.n[AN], 1);
	assert_negative(DNS_RC_NOERROR, "example.com.", 300);

	/* ...or in NXDOMAIN (RFC 6604 §2.1: the rcode of the last name). */
	ask("dangling.example.com.", DNS_T_A);
	assert_int_equal(count(AN, "dangling.example.com.", DNS_T_CNAME), 1);
	assert_int_equal(R.n[AN], 1);
	assert_negative(DNS_RC_NXDOMAIN, "example.com.", 300);

	/* ...or at a wildcard: synthesised under the target's name. */
	ask("towild.example.com.", DNS_T_A);
	assert_int_equal(R.n[AN], 2);
	assert_a(get(AN, "foo.wild.example.com.", DNS_T_A), 192, 0, 2, 100);

	/* ...or below a cut: the referral goes in authority, as NSD and Knot do. */
	ask("tosub.example.com.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_int_equal(R.n[AN], 1);
	assert_int_equal(count(NS, "sub.example.com.", DNS_T_NS), 2);
	assert_int_equal(count(AR, "ns1.sub.example.com.", DNS_T_A), 1);
}

/* A loop ends, and each record of it is in the answer once (as NSD and Knot send it). */
static void test_cname_loop(void **state)
{
	ask("loop1.example.com.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_true(aa());
	assert_int_equal(count(AN, "loop1.example.com.", DNS_T_CNAME), 1);
	assert_int_equal(count(AN, "loop2.example.com.", DNS_T_CNAME), 1);
	assert_int_equal(R.n[AN], 2);
	assert_no_duplicates(AN);
}

static void test_cname_self_loop(void **state)
{
	ask("self.example.com.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_int_equal(R.n[AN], 1);
	assert_target(&R.rr[AN][0], "self.example.com.");
}

/* A chain longer than any sane one stops, and the answer is still well-formed. */
static void test_cname_long_chain(void **state)
{
	build("long00.example.com.", DNS_T_A, &(struct query){0});
	run(true, DNS_MSG_MAX);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_true(R.n[AN] >= 1);
	assert_int_equal(R.rr[AN][0].type, DNS_T_CNAME);
	assert_no_duplicates(AN);
	for (unsigned i = 0; i + 1 < R.n[AN]; i++)
		assert_true(dns_name_equal(R.rr[AN][i].target, R.rr[AN][i + 1].owner));
}

static void test_cname_out_of_zone(void **state)
{
	ask("ext.example.com.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_true(aa());
	assert_int_equal(R.n[AN], 1);
	assert_target(&R.rr[AN][0], "www.example.org.");
	assert_int_equal(R.n[NS], 0);
	assert_int_equal(R.n[AR], 0);
}

/* RFC 4592 §3.4: the answer is synthesised with the query name as its owner. */
static void test_wildcard(void **state)
{
	ask("foo.wild.example.com.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_true(aa());
	assert_int_equal(R.n[AN], 1);
	assert_owner_exact(&R.rr[AN][0], "foo.wild.example.com.");
	assert_a(&R.rr[AN][0], 192, 0, 2, 100);

	ask("a.b.c.wild.example.com.", DNS_T_TXT);
	assert_int_equal(R.n[AN], 1);
	assert_owner_exact(&R.rr[AN][0], "a.b.c.wild.example.com.");
	assert_int_equal(R.rr[AN][0].type, DNS_T_TXT);

	/* An existing name is not synthesised. */
	ask("exists.wild.example.com.", DNS_T_A);
	assert_int_equal(R.n[AN], 1);
	assert_a(&R.rr[AN][0], 192, 0, 2, 101);
	/* The wildcard asked for by name. */
	ask("*.wild.example.com.", DNS_T_A);
	assert_int_equal(R.n[AN], 1);
	assert_owner_exact(&R.rr[AN][0], "*.wild.example.com.");
}

static void test_wildcard_cname(void **state)
{
	ask("foo.wcname.example.com.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_true(aa());
	assert_int_equal(R.n[AN], 3);
	assert_owner_exact(&R.rr[AN][0], "foo.wcname.example.com.");
	assert_int_equal(R.rr[AN][0].type, DNS_T_CNAME);
	assert_target(&R.rr[AN][0], "www.example.com.");
	assert_int_equal(count(AN, "www.example.com.", DNS_T_A), 2);

	ask("foo.wcname.example.com.", DNS_T_CNAME);
	assert_int_equal(R.n[AN], 1);
	assert_owner_exact(&R.rr[AN][0], "foo.wcname.example.com.");
}

/* RFC 4035 §3.1.4.1: DS lives on the parent side of the cut, answered with authority. */
static void test_ds_at_cut(void **state)
{
	ask("sub.example.com.", DNS_T_DS);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_true(aa());
	assert_int_equal(R.n[AN], 1);
	const struct rr *ds = get(AN, "sub.example.com.", DNS_T_DS);
	assert_int_equal(get16(ds->rdata), 12345);
	assert_int_equal(count(NS, NULL, DNS_T_NS), 0);

	/* A cut without DS: NODATA from the parent. */
	ask("nods.example.com.", DNS_T_DS);
	assert_int_equal(R.n[AN], 0);
	assert_negative(DNS_RC_NOERROR, "example.com.", 300);

	/* Below the cut, DS is the child's business: a referral. */
	ask("ns1.sub.example.com.", DNS_T_DS);
	assert_false(aa());
	assert_int_equal(count(NS, "sub.example.com.", DNS_T_NS), 2);
}

/* Both sides served: DS at the child's apex comes from the parent zone. */
static void test_ds_at_child_apex(void **state)
{
	ask("child.example.com.", DNS_T_DS);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_true(aa());
	assert_int_equal(R.n[AN], 1);
	assert_int_equal(get16(get(AN, "child.example.com.", DNS_T_DS)->rdata), 54321);
	ask("CHILD.example.com.", DNS_T_DS);
	assert_int_equal(R.n[AN], 1);

	/* Every other type at the apex is the child's. */
	ask("child.example.com.", DNS_T_NS);
	assert_true(aa());
	assert_int_equal(count(AN, "child.example.com.", DNS_T_NS), 1);
	ask("child.example.com.", DNS_T_SOA);
	assert_true(aa());
	assert_int_equal(count(AN, "child.example.com.", DNS_T_SOA), 1);
}

/* The zone for a name is the longest origin that is the name or above it. */
static void test_longest_match_zone(void **state)
{
	ask("www.child.example.com.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_true(aa());
	assert_int_equal(R.n[AN], 1);
	assert_a(&R.rr[AN][0], 192, 0, 2, 211);
	ask("nothere.child.example.com.", DNS_T_A);
	assert_negative(DNS_RC_NXDOMAIN, "child.example.com.", 600);
	ask("ns1.child.example.com.", DNS_T_A);
	assert_true(aa());
	assert_int_equal(R.n[AN], 1);
	/* Beside it, the parent still answers for itself. */
	ask("xchild.example.com.", DNS_T_A);
	assert_negative(DNS_RC_NXDOMAIN, "example.com.", 300);
}

/* RFC 8482 §4.1: one RRset, over UDP and TCP alike (as NSD 4.6 and Knot 3.2 answer). */
static void test_any(void **state)
{
	ask("example.com.", DNS_T_ANY);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_true(aa());
	assert_true(R.n[AN] >= 1);
	for (unsigned i = 1; i < R.n[AN]; i++)
		assert_int_equal(R.rr[AN][i].type, R.rr[AN][0].type);

	ask_edns("example.com.", DNS_T_ANY, 1232, false);
	assert_true(R.n[AN] >= 1);
	for (unsigned i = 1; i < R.n[AN]; i++)
		assert_int_equal(R.rr[AN][i].type, R.rr[AN][0].type);

	build("example.com.", DNS_T_ANY, &(struct query){0});
	run(true, DNS_MSG_MAX);
	assert_true(aa());
	assert_true(R.n[AN] >= 1);
	for (unsigned i = 1; i < R.n[AN]; i++)
		assert_int_equal(R.rr[AN][i].type, R.rr[AN][0].type);

	/* A CNAME owner: the CNAME, not followed. */
	ask("alias.example.com.", DNS_T_ANY);
	assert_int_equal(R.n[AN], 1);
	assert_int_equal(R.rr[AN][0].type, DNS_T_CNAME);
	/* A wildcard: synthesised. */
	build("foo.wild.example.com.", DNS_T_ANY, &(struct query){0});
	run(true, DNS_MSG_MAX);
	assert_int_equal(R.n[AN], 1);
	assert_int_equal(count(AN, "foo.wild.example.com.", 0), 1);
	/* An empty non-terminal: NODATA. A missing name: NXDOMAIN. */
	ask("ent.example.com.", DNS_T_ANY);
	assert_negative(DNS_RC_NOERROR, "example.com.", 300);
	ask("nothere.example.com.", DNS_T_ANY);
	assert_negative(DNS_RC_NXDOMAIN, "example.com.", 300);
}

static void test_refused(void **state)
{
	static const char *names[] = {"www.example.org.", "com.",          ".",
				      "example.net.",     "xexample.com.", "test."};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ask(names[i], DNS_T_A);
		assert_int_equal(rcode(), DNS_RC_REFUSED);
		assert_false(aa());
		assert_int_equal(R.qdcount, 1);
		assert_int_equal(R.count[AN] + R.count[NS] + R.count[AR], 0);
	}
	/* Chaos class: not ours (NSD and Knot refuse it too without identity configured). */
	build("www.example.com.", DNS_T_TXT, &(struct query){.qclass = DNS_CLASS_CH});
	run(false, DNS_MSG_MAX);
	assert_int_equal(rcode(), DNS_RC_REFUSED);
}

/*
 * QCLASS * (RFC 1035 §3.2.5) matches class IN data: NSD 4.6 answers it (AA=0) and Knot 3.2
 * answers it (AA=1), both with the IN records.
 */
static void test_qclass_any(void **state)
{
	build("www.example.com.", DNS_T_A, &(struct query){.qclass = DNS_CLASS_ANY});
	run(false, DNS_MSG_MAX);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_int_equal(count(AN, "www.example.com.", DNS_T_A), 2);
}

/* ---- errors ------------------------------------------------------------------------------- */

static void assert_error(int rc, int qdcount)
{
	assert_true(R.len > 0);
	assert_int_equal(rcode(), rc);
	assert_false(aa());
	assert_int_equal(R.qdcount, qdcount);
	assert_int_equal(R.n[AN] + R.n[NS] + R.n[AR], 0);
}

static void test_notimp(void **state)
{
	static const int opcodes[] = {DNS_OP_IQUERY, DNS_OP_STATUS, 3, 6, 15};
	for (size_t i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++) {
		build("www.example.com.", DNS_T_A,
		      &(struct query){.flags = (uint16_t)(opcodes[i] << 11 | DNS_F_RD)});
		run(false, DNS_MSG_MAX);
		assert_error(DNS_RC_NOTIMP, 1);
		/* The opcode is echoed (RFC 1035 §4.1.1). */
		assert_int_equal(DNS_OPCODE(R.flags), opcodes[i]);
	}
}

static void test_formerr_qdcount(void **state)
{
	build("www.example.com.", DNS_T_A, &(struct query){.qdcount = -1});
	run(false, DNS_MSG_MAX);
	assert_error(DNS_RC_FORMERR, 0);
	assert_int_equal(R.len, DNS_HEADER_SIZE);

	build("www.example.com.", DNS_T_A, &(struct query){.qdcount = 2});
	run(false, DNS_MSG_MAX);
	assert_error(DNS_RC_FORMERR, 0);

	/* With EDNS the error still carries an OPT. */
	build("www.example.com.", DNS_T_A, &(struct query){.qdcount = 2, .edns = 1232});
	run(false, DNS_MSG_MAX);
	assert_error(DNS_RC_FORMERR, 0);
}

/* RFC 6891 §6.1.1: more than one OPT is FORMERR. */
static void test_formerr_two_opt(void **state)
{
	build("www.example.com.", DNS_T_A, &(struct query){.edns = 1232, .opts = 2});
	run(false, DNS_MSG_MAX);
	assert_error(DNS_RC_FORMERR, 1);
}

/* RFC 6891 §6.1.3: BADVERS is 16: header rcode 0, upper bits 1 in the OPT TTL. */
static void test_badvers(void **state)
{
	build("www.example.com.", DNS_T_A, &(struct query){.edns = 1232, .version = 1});
	run(false, DNS_MSG_MAX);
	assert_true(R.opt);
	assert_int_equal(DNS_RCODE(R.flags), 0);
	assert_int_equal(R.opt_ttl >> 24, 1);
	assert_int_equal((R.opt_ttl >> 16) & 0xff, 0); /* our version */
	assert_int_equal(rcode(), DNS_RC_BADVERS);
	assert_error(DNS_RC_BADVERS, 1);

	build("www.example.com.", DNS_T_A, &(struct query){.edns = 1232, .version = 255});
	run(false, DNS_MSG_MAX);
	assert_int_equal(rcode(), DNS_RC_BADVERS);
}

static void test_edns_echo(void **state)
{
	ask_edns("www.example.com.", DNS_T_A, 4096, false);
	assert_int_equal(R.opt_class, DNS_EDNS_MAX_UDP);
	assert_int_equal(R.opt_ttl, 0);
	/* DO is echoed (RFC 3225 §3). */
	build("www.example.com.", DNS_T_A, &(struct query){.edns = 1232, .do_bit = true});
	run(false, DNS_MSG_MAX);
	assert_true(R.opt);
	assert_int_equal(R.opt_ttl & 0xffff, DNS_EDNS_DO);
	assert_int_equal(R.n[AN], 2);
	/* Options we do not implement are ignored (RFC 6891 §6.1.2); none are sent back. */
	build("www.example.com.", DNS_T_A, &(struct query){.edns = 1232, .cookie = true});
	run(false, DNS_MSG_MAX);
	assert_true(R.opt);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_int_equal(R.n[AN], 2);
	/* Errors and refusals carry one too (RFC 6891 §7). */
	ask_edns("www.example.org.", DNS_T_A, 1232, false);
	assert_int_equal(rcode(), DNS_RC_REFUSED);
	ask_edns("nothere.example.com.", DNS_T_A, 1232, false);
	assert_negative(DNS_RC_NXDOMAIN, "example.com.", 300);
}

/* Responses are never answered (RFC 1035 §4.1.1), nor is what is not even a header. */
static void test_no_reply(void **state)
{
	build("www.example.com.", DNS_T_A, &(struct query){.flags = DNS_F_QR});
	run(false, DNS_MSG_MAX);
	assert_int_equal(R.len, 0);
	build("www.example.com.", DNS_T_A, &(struct query){.flags = DNS_F_QR | DNS_F_AA});
	run(true, DNS_MSG_MAX);
	assert_int_equal(R.len, 0);
	build("www.example.com.", DNS_T_A, &(struct query){0});
	for (size_t l = 0; l < DNS_HEADER_SIZE; l++)
		assert_int_equal(auth_answer(zone_db_get(db), qbuf, l, R.buf, DNS_MSG_MAX, false),
				 0);
}

/* ---- sizes -------------------------------------------------------------------------------- */

static void test_udp_512_without_edns(void **state)
{
	/* 40 A records: 674 octets. */
	ask("many.example.com.", DNS_T_A);
	assert_true(tc());
	assert_true(aa());
	assert_true(R.len <= DNS_UDP_MIN);
	assert_int_equal(R.qdcount, 1);

	ask("huge.example.com.", DNS_T_TXT);
	assert_true(tc());
	assert_true(R.len <= DNS_UDP_MIN);
}

static void test_udp_edns_sizes(void **state)
{
	/* Fits in the advertised size. */
	ask_edns("many.example.com.", DNS_T_A, 1232, false);
	assert_false(tc());
	assert_int_equal(count(AN, "many.example.com.", DNS_T_A), 40);
	ask_edns("many.example.com.", DNS_T_A, 1000, false);
	assert_false(tc());
	assert_true(R.len <= 1000);
	assert_int_equal(R.n[AN], 40);
	/* Too big for 600. */
	ask_edns("many.example.com.", DNS_T_A, 600, false);
	assert_true(tc());
	assert_true(R.len <= 600);
	/* Below 512 counts as 512 (RFC 6891 §6.2.5). */
	ask_edns("www.example.com.", DNS_T_A, 100, false);
	assert_false(tc());
	assert_int_equal(R.n[AN], 2);
	ask_edns("many.example.com.", DNS_T_A, 100, false);
	assert_true(tc());
	assert_true(R.len <= DNS_UDP_MIN);
	/* 20 TXT records: 1585 octets, more than the 1232 we ever send over UDP. */
	ask_edns("huge.example.com.", DNS_T_TXT, 4096, false);
	assert_true(tc());
	assert_true(R.len <= DNS_EDNS_MAX_UDP);
	ask_edns("huge.example.com.", DNS_T_TXT, 65535, false);
	assert_true(tc());
	assert_true(R.len <= DNS_EDNS_MAX_UDP);
	/* The caller's buffer bounds it too. */
	build("many.example.com.", DNS_T_A, &(struct query){.edns = 4096});
	run(false, DNS_UDP_MIN);
	assert_true(tc());
	assert_true(R.len <= DNS_UDP_MIN);
}

static void test_tcp_full_answer(void **state)
{
	build("huge.example.com.", DNS_T_TXT, &(struct query){0});
	run(true, DNS_MSG_MAX);
	assert_false(tc());
	assert_int_equal(count(AN, "huge.example.com.", DNS_T_TXT), 20);
	assert_true(R.len > DNS_EDNS_MAX_UDP);
	build("huge.example.com.", DNS_T_TXT, &(struct query){.edns = 512});
	run(true, DNS_MSG_MAX);
	assert_false(tc());
	assert_int_equal(R.n[AN], 20);
	assert_true(R.opt);
	/* Records keep their order and data. */
	for (unsigned i = 0; i < 20; i++) {
		char want[4];
		snprintf(want, sizeof(want), "%02u", i);
		assert_int_equal(R.rr[AN][i].rdlen, 65);
		assert_memory_equal(R.rr[AN][i].rdata + 1, want, 2);
	}
}

/* Every kind of answer, over every transport, parses back completely. */
static void test_parse_back(void **state)
{
	static const char *names[] = {
		"example.com.",           "www.example.com.",       "WWW.EXAMPLE.COM.",
		"chain1.example.com.",    "loop1.example.com.",     "self.example.com.",
		"foo.wild.example.com.",  "x.wcname.example.com.",  "x.wmx.example.com.",
		"host.sub.example.com.",  "sub.example.com.",       "child.example.com.",
		"www.child.example.com.", "nothere.example.com.",   "ent.example.com.",
		"many.example.com.",      "huge.example.com.",      "x.bigdeleg.example.com.",
		"long00.example.com.",    "_sip._tcp.example.com.", "www.example.org.",
		"nothere.zero.test.",     "tosub.example.com.",     "dangling.example.com.",
	};
	static const uint16_t types[] = {DNS_T_A,   DNS_T_AAAA,  DNS_T_NS,  DNS_T_MX,
					 DNS_T_DS,  DNS_T_ANY,   DNS_T_SOA, DNS_T_SRV,
					 DNS_T_TXT, DNS_T_CNAME, 65534};
	static const struct {
		int edns;
		bool tcp;
		size_t cap;
	} ways[] = {{0, false, DNS_MSG_MAX},
		    {1232, false, DNS_MSG_MAX},
		    {700, false, 700},
		    {0, true, DNS_MSG_MAX},
		    {4096, true, DNS_MSG_MAX}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (size_t j = 0; j < sizeof(types) / sizeof(types[0]); j++)
			for (size_t k = 0; k < sizeof(ways) / sizeof(ways[0]); k++) {
				build(names[i], types[j], &(struct query){.edns = ways[k].edns});
				run(ways[k].tcp, ways[k].cap);
				assert_true(R.len > 0);
				assert_int_equal(R.opt, ways[k].edns != 0);
				if (ways[k].tcp)
					assert_false(tc());
				else
					assert_true(R.len <= (ways[k].edns > 512 ? 1232u : 512u));
			}
}

/* ---- the root zone ------------------------------------------------------------------------ */

static const char root_zone[] = "$TTL 86400\n"
				". SOA a.root-servers.net. nstld.verisign-grs.com. 1 1800 900 "
				"604800 86400\n"
				". NS a.root-servers.net.\n"
				"a.root-servers.net. A 198.41.0.4\n"
				"com. NS a.gtld.com.\n"
				"com. DS 19718 13 2 "
				"8ACBB0CD28F41250A80A491389424D341522D946B0DA0C0291F2D3D771D7805A\n"
				"a.gtld.com. A 192.5.6.30\n";

static void test_root_zone(void **state)
{
	struct zone_db *root = zone_db_new();
	assert_non_null(root);
	publish(root, root_zone, ".");
	zone_db_sync(root);
	struct zone_db *saved = db;
	db = root;

	ask("www.example.com.", DNS_T_A);
	assert_int_equal(rcode(), DNS_RC_NOERROR);
	assert_false(aa());
	assert_int_equal(count(NS, "com.", DNS_T_NS), 1);
	assert_int_equal(count(AR, "a.gtld.com.", DNS_T_A), 1);

	ask(".", DNS_T_SOA);
	assert_true(aa());
	assert_int_equal(count(AN, ".", DNS_T_SOA), 1);
	ask(".", DNS_T_NS);
	assert_true(aa());
	assert_int_equal(count(AR, "a.root-servers.net.", DNS_T_A), 1);
	ask("nothere.", DNS_T_A);
	assert_negative(DNS_RC_NXDOMAIN, ".", 86400);
	ask("com.", DNS_T_DS);
	assert_true(aa());
	assert_int_equal(count(AN, "com.", DNS_T_DS), 1);

	db = saved;
	zone_db_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authoritative_answer),
		cmocka_unit_test(test_query_case_echoed),
		cmocka_unit_test(test_referral),
		cmocka_unit_test(test_referral_sibling_glue),
		cmocka_unit_test(test_referral_glue_truncated),
		cmocka_unit_test(test_nxdomain),
		cmocka_unit_test(test_nodata),
		cmocka_unit_test(test_negative_ttl),
		cmocka_unit_test(test_additional),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_cname_loop),
		cmocka_unit_test(test_cname_self_loop),
		cmocka_unit_test(test_cname_long_chain),
		cmocka_unit_test(test_cname_out_of_zone),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_wildcard_cname),
		cmocka_unit_test(test_ds_at_cut),
		cmocka_unit_test(test_ds_at_child_apex),
		cmocka_unit_test(test_longest_match_zone),
		cmocka_unit_test(test_any),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_qclass_any),
		cmocka_unit_test(test_notimp),
		cmocka_unit_test(test_formerr_qdcount),
		cmocka_unit_test(test_formerr_two_opt),
		cmocka_unit_test(test_badvers),
		cmocka_unit_test(test_edns_echo),
		cmocka_unit_test(test_no_reply),
		cmocka_unit_test(test_udp_512_without_edns),
		cmocka_unit_test(test_udp_edns_sizes),
		cmocka_unit_test(test_tcp_full_answer),
		cmocka_unit_test(test_parse_back),
		cmocka_unit_test(test_root_zone),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
