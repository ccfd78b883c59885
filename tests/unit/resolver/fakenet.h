/*
 * tests/unit/resolver/fakenet.h - a scripted internet for replay tests of the resolver: a table
 * of rules (server, name, type) -> response, a fake clock, a deterministic random source.
 *
 * Each test file includes this once. Rules are tried in order: the test's own first, then the
 * sandbox hierarchy of sandbox-internet.md (root, com/net, example.com on its hosted servers).
 */
#pragma once
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/cursor.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "resolver/resolver.h"
#include "resolver/wire.h"

/* Rules name only the fields they need. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

enum mode {
	M_NORMAL = 0,
	M_DROP,    /* never answers: the resolver times out */
	M_NOEDNS,  /* FORMERR without OPT to queries with EDNS (old server) */
	M_TC,      /* TC=1 and an empty answer over UDP; the real answer over TCP */
	M_SPOOF,   /* before the real answer, forged ones (wrong ID, address, question) */
	M_GARBAGE, /* a reply that is not DNS at all, with the right ID */
	M_SLOW,    /* answers after 1500 ms */
	M_BADLEN,  /* an extra A record whose rdata is 5 octets long */
	M_NOEDNS0, /* like M_NOEDNS, and without a question section either */
	M_NOCAPS,  /* the question comes back in lower case (breaks 0x20) */
};

struct rule {
	const char *servers; /* space-separated addresses */
	const char *name;    /* "x." exact, "~x." at or below, NULL any */
	uint16_t type;       /* 0: any */
	uint16_t flags;      /* DNS_F_AA, ... */
	uint8_t rcode;
	const char *an, *ns, *ar; /* records "owner ttl TYPE rdata", separated by '|' */
	enum mode mode;
	const char *poison; /* answer section of forged (M_SPOOF) or truncated (M_TC) replies */
	unsigned hits;
};

#define AA DNS_F_AA

#define ROOT_SOA ". 86400 SOA a.root-servers.net. nstld.sandbox.internal. 1 1800 900 604800 86400"
#define COM_SOA  "com. 900 SOA a.gtld-servers.net. nstld.sandbox.internal. 3 1800 900 604800 86400"
#define EX_SOA                                                                                     \
	"example.com. 900 SOA ns-1.sbxdns-01.com. hostmaster.sbxdns-01.com. 1 7200 900 1209600 "   \
	"300"
#define ROOTS  "127.0.0.2 127.0.0.12 127.0.0.22"
#define GTLD   "127.0.0.3 127.0.0.13"
#define HOSTED "127.0.0.4 127.0.0.5"

static struct rule sandbox[] = {
	{ROOTS, ".", DNS_T_NS, AA, 0,
	 ". 518400 NS a.root-servers.net.|. 518400 NS b.root-servers.net.", NULL,
	 "a.root-servers.net. 518400 A 127.0.0.2|b.root-servers.net. 518400 A 127.0.0.12"},
	{ROOTS, "~com.", 0, 0, 0, NULL,
	 "com. 172800 NS a.gtld-servers.net.|com. 172800 NS b.gtld-servers.net.",
	 "a.gtld-servers.net. 172800 A 127.0.0.3|b.gtld-servers.net. 172800 A 127.0.0.13"},
	{ROOTS, "~net.", 0, 0, 0, NULL,
	 "net. 172800 NS a.gtld-servers.net.|net. 172800 NS b.gtld-servers.net.",
	 "a.gtld-servers.net. 172800 A 127.0.0.3|b.gtld-servers.net. 172800 A 127.0.0.13"},
	{ROOTS, NULL, 0, AA, DNS_RC_NXDOMAIN, NULL, ROOT_SOA, NULL},
	{GTLD, "~example.com.", 0, 0, 0, NULL,
	 "example.com. 172800 NS ns-1.sbxdns-01.com.|example.com. 172800 NS ns-2.sbxdns-02.net.",
	 "ns-1.sbxdns-01.com. 172800 A 127.0.0.4"},
	{GTLD, "~sbxdns-01.com.", 0, 0, 0, NULL, "sbxdns-01.com. 172800 NS ns-1.sbxdns-01.com.",
	 "ns-1.sbxdns-01.com. 172800 A 127.0.0.4"},
	{GTLD, "~sbxdns-02.net.", 0, 0, 0, NULL, "sbxdns-02.net. 172800 NS ns-2.sbxdns-02.net.",
	 "ns-2.sbxdns-02.net. 172800 A 127.0.0.5"},
	{GTLD, "~net.", 0, AA, DNS_RC_NXDOMAIN, NULL,
	 "net. 900 SOA a.gtld-servers.net. nstld.sandbox.internal. 3 1800 900 604800 86400", NULL},
	{GTLD, NULL, 0, AA, DNS_RC_NXDOMAIN, NULL, COM_SOA, NULL},
	{HOSTED, "ns-1.sbxdns-01.com.", DNS_T_A, AA, 0, "ns-1.sbxdns-01.com. 3600 A 127.0.0.4"},
	{HOSTED, "ns-2.sbxdns-02.net.", DNS_T_A, AA, 0, "ns-2.sbxdns-02.net. 3600 A 127.0.0.5"},
	{HOSTED, "example.com.", DNS_T_A, AA, 0, "example.com. 300 A 192.0.2.10"},
	{HOSTED, "www.example.com.", 0, AA, 0,
	 "www.example.com. 300 CNAME example.com.|example.com. 300 A 192.0.2.10"},
	{HOSTED, "example.com.", 0, AA, 0, NULL, EX_SOA}, /* NODATA for other types */
	{HOSTED, "~example.com.", 0, AA, DNS_RC_NXDOMAIN, NULL, EX_SOA},
	{HOSTED, NULL, 0, 0, DNS_RC_REFUSED},
};

struct sent {
	char server[16];
	char qname[256];
	uint16_t qtype;
	bool tcp, edns;
	uint16_t id, udp_size, port;
};

struct delivery {
	uint64_t at;
	uint64_t handle;
	struct resolver_addr from;
	uint8_t msg[4096];
	size_t len;
};

#define MAX_SENT       512
#define MAX_DELIVERIES 256
#define MAX_ANSWERS    64

struct net {
	struct resolver *r;
	struct resolver_config cfg;
	uint64_t now;
	uint64_t rng;
	struct rule *rules;
	size_t nrules;
	struct sent sent[MAX_SENT];
	size_t nsent;
	struct delivery dl[MAX_DELIVERIES];
	size_t ndl;
	struct {
		uint64_t token;
		uint8_t msg[4096];
		size_t len;
	} ans[MAX_ANSWERS];
	size_t nans;
	unsigned closes;
	uint64_t next_token;
	unsigned latency_ms;
	bool outage;            /* every upstream query is lost */
	const char *forwarders; /* servers that must be sent RD=1 */
	unsigned mutate;        /* flip this many random octets after the question of every reply */
};

static inline void fake_random(void *ctx, void *buf, size_t len)
{
	struct net *n = ctx;
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++) {
		n->rng ^= n->rng << 13;
		n->rng ^= n->rng >> 7;
		n->rng ^= n->rng << 17;
		p[i] = (uint8_t)(n->rng >> 24);
	}
}

static inline uint8_t *wname(const char *text)
{
	static uint8_t buf[8][DNS_NAME_MAXLEN];
	static int k;
	uint8_t *o = buf[k++ % 8];
	assert_true(dns_name_from_text(text, NULL, o) > 0);
	return o;
}

static inline void addr4(struct resolver_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	unsigned b[4];
	assert_int_equal(sscanf(ip, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]), 4);
	for (int i = 0; i < 4; i++)
		a->ip[i] = (uint8_t)b[i];
	a->port = port;
}

static inline void addr_text(const struct resolver_addr *a, char *out)
{
	sprintf(out, "%u.%u.%u.%u", a->ip[0], a->ip[1], a->ip[2], a->ip[3]);
}

/* Root hints: a and b root servers, as a named.root file would give them. */
static struct resolver_rr hint_rrs[4];
static uint8_t hint_data[4][DNS_NAME_MAXLEN];

static inline void make_hints(void)
{
	static const char *names[2] = {"a.root-servers.net.", "b.root-servers.net."};
	static const uint8_t ips[2][4] = {{127, 0, 0, 2}, {127, 0, 0, 12}};
	static uint8_t owners[2][DNS_NAME_MAXLEN];
	for (int i = 0; i < 2; i++) {
		assert_true(dns_name_from_text(names[i], NULL, owners[i]) > 0);
		int l = dns_name_from_text(names[i], NULL, hint_data[i]);
		hint_rrs[i] =
			(struct resolver_rr){(const uint8_t *)"", DNS_T_NS,   DNS_CLASS_IN, 3600000,
					     hint_data[i],        (uint16_t)l};
		memcpy(hint_data[2 + i], ips[i], 4);
		hint_rrs[2 + i] = (struct resolver_rr){owners[i], DNS_T_A,          DNS_CLASS_IN,
						       3600000,   hint_data[2 + i], 4};
	}
}

static inline struct net *net_new_cfg(struct rule *rules, size_t nrules,
				      void (*tweak)(struct resolver_config *))
{
	struct net *n = calloc(1, sizeof(*n));
	assert_non_null(n);
	n->now = 1000000;
	n->rng = 0x243f6a8885a308d3ULL;
	n->rules = rules;
	n->nrules = nrules;
	n->latency_ms = 10;
	for (size_t i = 0; i < nrules; i++)
		rules[i].hits = 0;
	for (size_t i = 0; i < sizeof(sandbox) / sizeof(sandbox[0]); i++)
		sandbox[i].hits = 0;
	make_hints();
	resolver_config_default(&n->cfg);
	n->cfg.hints = hint_rrs;
	n->cfg.nhints = 4;
	n->cfg.random = (struct resolver_random){fake_random, n};
	n->cfg.allow_loopback_upstreams = true;
	/* The whole suite can run with QNAME minimisation on, as Deckard runs its scenarios. */
	if (getenv("RESOLVER_TEST_QMIN"))
		n->cfg.qname_minimisation = true;
	if (getenv("RESOLVER_TEST_CAPS"))
		n->cfg.use_caps_for_id = true;
	if (tweak)
		tweak(&n->cfg);
	assert_int_equal(resolver_new(&n->cfg, &n->r), 0);
	return n;
}

static inline struct net *net_new(struct rule *rules, size_t nrules)
{
	return net_new_cfg(rules, nrules, NULL);
}

static inline void net_free(struct net *n)
{
	resolver_free(n->r);
	free(n);
}

static inline bool server_in(const char *list, const char *ip)
{
	size_t l = strlen(ip);
	for (const char *p = list; p && *p;) {
		if (strncmp(p, ip, l) == 0 && (p[l] == ' ' || p[l] == 0))
			return true;
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return false;
}

static inline bool rule_matches(const struct rule *ru, const char *ip, const uint8_t *qname,
				uint16_t qtype)
{
	if (!server_in(ru->servers, ip))
		return false;
	if (ru->type && ru->type != qtype)
		return false;
	if (!ru->name)
		return true;
	if (ru->name[0] == '~')
		return dns_name_is_sub(qname, wname(ru->name + 1));
	return dns_name_equal(qname, wname(ru->name));
}

static inline struct rule *find_rule(struct net *n, const char *ip, const uint8_t *qname,
				     uint16_t qtype)
{
	for (size_t i = 0; i < n->nrules; i++)
		if (rule_matches(&n->rules[i], ip, qname, qtype))
			return &n->rules[i];
	for (size_t i = 0; i < sizeof(sandbox) / sizeof(sandbox[0]); i++)
		if (rule_matches(&sandbox[i], ip, qname, qtype))
			return &sandbox[i];
	return NULL;
}

/* Writes the records of a '|'-separated list; returns how many. */
static inline uint16_t put_records(struct wcur *w, struct dns_compr *cp, const char *list)
{
	uint16_t count = 0;
	if (!list)
		return 0;
	char buf[8192];
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save, *rec = strtok_r(buf, "|", &save); rec; rec = strtok_r(NULL, "|", &save)) {
		char owner[256], type[16];
		unsigned long ttl;
		int off = 0;
		assert_int_equal(sscanf(rec, "%255s %lu %15s %n", owner, &ttl, type, &off), 3);
		int t = dns_type_from_text(type);
		assert_true(t > 0);
		uint8_t rd[512];
		char err[128];
		int rl = dns_rdata_from_text((uint16_t)t, rec + off, NULL, rd, sizeof(rd), err,
					     sizeof(err));
		if (rl < 0)
			fail_msg("bad rdata '%s': %s", rec, err);
		int nl = dns_name_pack(cp, wname(owner), w->p, (size_t)(w->end - w->p));
		assert_true(nl > 0);
		w->p += nl;
		wcur_u16(w, (uint16_t)t);
		wcur_u16(w, DNS_CLASS_IN);
		wcur_u32(w, (uint32_t)ttl);
		wcur_u16(w, (uint16_t)rl);
		wcur_bytes(w, rd, (size_t)rl);
		count++;
	}
	return count;
}

/* An OPT record: version 0, no options. */
static inline void put_opt(struct wcur *w, uint16_t udp_size)
{
	wcur_u8(w, 0);
	wcur_u16(w, DNS_T_OPT);
	wcur_u16(w, udp_size);
	wcur_u32(w, 0);
	wcur_u16(w, 0);
}

/* The response a rule gives to one query (whose bytes are q). */
static inline size_t build_reply(const struct rule *ru, const uint8_t *q, size_t qlen, bool edns,
				 bool tcp, uint8_t *out, size_t cap)
{
	struct wire_msg m;
	assert_true(wire_peek_question(q, qlen, &m));
	struct wcur w;
	struct dns_compr cp;
	wcur_init(&w, out, cap);
	dns_compr_init(&cp, out);
	uint16_t flags = (uint16_t)(DNS_F_QR | ru->flags | ru->rcode);
	bool opt = edns;
	bool empty = false;
	if ((ru->mode == M_NOEDNS || ru->mode == M_NOEDNS0) && edns) {
		flags = DNS_F_QR | DNS_RC_FORMERR;
		opt = false;
		empty = true;
	}
	const char *an_text = ru->an;
	if (ru->mode == M_TC && !tcp) {
		flags |= DNS_F_TC;
		an_text = ru->poison; /* whatever it says must not be used (spec 9.3) */
	}
	wcur_u16(&w, m.id);
	wcur_u16(&w, flags);
	wcur_u16(&w, 1);
	uint8_t *counts = w.p;
	wcur_u16(&w, 0);
	wcur_u16(&w, 0);
	wcur_u16(&w, 0);
	if (ru->mode == M_NOCAPS)
		dns_name_lower(m.qname);
	int nl = dns_name_pack(&cp, m.qname, w.p, (size_t)(w.end - w.p));
	w.p += nl;
	wcur_u16(&w, m.qtype);
	wcur_u16(&w, m.qclass);
	uint16_t an = 0, ns = 0, ar = 0;
	if (!empty) {
		an = put_records(&w, &cp, an_text);
		if (ru->mode == M_BADLEN) {
			static const uint8_t bad[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 1,
						      0,    0,  5, 1, 2, 3, 4, 5};
			wcur_bytes(&w, bad, sizeof(bad));
			an++;
		}
		ns = put_records(&w, &cp, ru->ns);
		ar = put_records(&w, &cp, ru->ar);
	}
	if (opt) {
		put_opt(&w, 1232);
		ar++;
	}
	assert_false(w.err);
	if (ru->mode == M_NOEDNS0 && edns) {
		put_u16(counts - 2, 0); /* QDCOUNT */
		return DNS_HEADER_SIZE;
	}
	put_u16(counts, an);
	put_u16(counts + 2, ns);
	put_u16(counts + 4, ar);
	return wcur_pos(&w);
}

static inline void deliver_later(struct net *n, uint64_t at, uint64_t handle,
				 const struct resolver_addr *from, const uint8_t *msg, size_t len)
{
	assert_true(n->ndl < MAX_DELIVERIES);
	struct delivery *d = &n->dl[n->ndl++];
	d->at = at;
	d->handle = handle;
	d->from = *from;
	memcpy(d->msg, msg, len);
	d->len = len;
}

/* A forged copy of a reply: same bytes, poisoned by the caller's choice of field. */
static inline void spoof(struct net *n, const struct resolver_action *a, const struct rule *ru)
{
	uint8_t fake[4096], real[4096];
	struct rule forged = *ru;
	forged.an = ru->poison;
	forged.mode = M_NORMAL;
	size_t len = build_reply(&forged, a->msg, a->len, true, false, real, sizeof(real));
	/* 1. wrong ID */
	memcpy(fake, real, len);
	put_u16(fake, (uint16_t)(get_u16(real) ^ 0x5a5a));
	deliver_later(n, n->now + 1, a->handle, &a->addr, fake, len);
	/* 2. right ID, wrong source address */
	struct resolver_addr other = a->addr;
	other.ip[3] ^= 0x40;
	deliver_later(n, n->now + 1, a->handle, &other, real, len);
	/* 3. right ID and address, wrong port */
	other = a->addr;
	other.port++;
	deliver_later(n, n->now + 1, a->handle, &other, real, len);
	/* 4. right ID, address and port, another question (type) */
	memcpy(fake, real, len);
	size_t qend = DNS_HEADER_SIZE + dns_name_len(real + DNS_HEADER_SIZE);
	put_u16(fake + qend, DNS_T_AAAA);
	deliver_later(n, n->now + 1, a->handle, &a->addr, fake, len);
}

static inline void on_send(struct net *n, const struct resolver_action *a)
{
	char ip[16];
	addr_text(&a->addr, ip);
	struct wire_msg m;
	assert_true(wire_peek_question(a->msg, a->len, &m));
	/* spec 2.2: iterative queries, RD=0; only forwarders get RD=1 (spec 2.9) */
	assert_int_equal(m.flags & DNS_F_RD,
			 n->forwarders && server_in(n->forwarders, ip) ? DNS_F_RD : 0);
	bool edns = get_u16(a->msg + 10) == 1;
	assert_true(n->nsent < MAX_SENT);
	struct sent *s = &n->sent[n->nsent++];
	snprintf(s->server, sizeof(s->server), "%s", ip);
	assert_true(dns_name_to_text(m.qname, s->qname, sizeof(s->qname)) > 0);
	s->qtype = m.qtype;
	s->tcp = a->kind == RESOLVER_ACT_SEND_TCP;
	s->edns = edns;
	s->id = m.id;
	s->port = a->addr.port;
	assert_int_equal(a->id, m.id);
	s->udp_size = edns ? get_u16(a->msg + a->len - 11 + 3) : 0;
	struct rule *ru = n->outage ? NULL : find_rule(n, ip, m.qname, m.qtype);
	if (!ru || ru->mode == M_DROP) {
		if (ru)
			ru->hits++;
		return;
	}
	ru->hits++;
	uint8_t out[4096];
	size_t len = build_reply(ru, a->msg, a->len, edns, s->tcp, out, sizeof(out));
	if (ru->mode == M_SPOOF)
		spoof(n, a, ru);
	if (ru->mode == M_GARBAGE) {
		memset(out + 2, 0xff, len - 2);
		len = len > 40 ? 40 : len;
	}
	if (n->mutate) {
		size_t qend = DNS_HEADER_SIZE + dns_name_len(out + DNS_HEADER_SIZE) + 4;
		uint8_t rnd[8];
		for (unsigned k = 0; k < n->mutate && len > qend; k++) {
			fake_random(n, rnd, sizeof(rnd));
			size_t at = rnd[0] % 4 == 0 ? (size_t)(2 + rnd[1] % 10)
						    : qend + get_u16(rnd + 2) % (len - qend);
			out[at] ^= (uint8_t)(rnd[4] | 1);
		}
		if (rnd[5] % 8 == 0 && len > qend)
			len = qend + get_u16(rnd + 6) % (len - qend); /* cut short */
	}
	uint64_t delay = ru->mode == M_SLOW ? 1500 : n->latency_ms;
	deliver_later(n, n->now + delay, a->handle, &a->addr, out, len);
}

static inline void drain(struct net *n)
{
	const struct resolver_action *a;
	while ((a = resolver_next_action(n->r))) {
		switch (a->kind) {
		case RESOLVER_ACT_SEND_UDP:
		case RESOLVER_ACT_SEND_TCP:
			on_send(n, a);
			break;
		case RESOLVER_ACT_ANSWER:
			assert_true(n->nans < MAX_ANSWERS);
			n->ans[n->nans].token = a->token;
			memcpy(n->ans[n->nans].msg, a->msg, a->len);
			n->ans[n->nans].len = a->len;
			n->nans++;
			break;
		case RESOLVER_ACT_CLOSE:
			n->closes++;
			break;
		}
	}
}

/* Finds the answer for token, or NULL. */
static inline const uint8_t *answer_for(struct net *n, uint64_t token, size_t *len)
{
	for (size_t i = 0; i < n->nans; i++) {
		if (n->ans[i].token == token) {
			*len = n->ans[i].len;
			return n->ans[i].msg;
		}
	}
	return NULL;
}

/* Runs the world until `until` (fake ms): deliveries and timers in time order. */
/* Runs the world until `until` (or until the answer for `stop` arrives, when not 0). */
static inline void run_to(struct net *n, uint64_t until, uint64_t stop)
{
	size_t len = 0;
	drain(n);
	for (;;) {
		if (stop && answer_for(n, stop, &len))
			return;
		uint64_t next = resolver_next_timer(n->r);
		size_t di = SIZE_MAX;
		for (size_t i = 0; i < n->ndl; i++)
			if (di == SIZE_MAX || n->dl[i].at < n->dl[di].at)
				di = i;
		if (di != SIZE_MAX && n->dl[di].at <= next) {
			if (n->dl[di].at > until)
				break;
			struct delivery d = n->dl[di];
			n->dl[di] = n->dl[--n->ndl];
			if (d.at > n->now)
				n->now = d.at;
			resolver_upstream_reply(n->r, n->now, d.handle, &d.from, d.msg, d.len);
		} else {
			if (next == UINT64_MAX || next > until)
				break;
			if (next > n->now)
				n->now = next;
			resolver_timeout(n->r, n->now);
		}
		drain(n);
	}
	if (until > n->now && until != UINT64_MAX)
		n->now = until;
}

static inline void run_until(struct net *n, uint64_t until)
{
	run_to(n, until, 0);
}

/* A client query with the given flags and EDNS; returns its token. */
static inline uint64_t ask_raw(struct net *n, const char *name, uint16_t type, uint16_t flags,
			       bool edns, bool tcp, uint16_t id)
{
	uint8_t q[512];
	struct wcur w;
	wcur_init(&w, q, sizeof(q));
	wcur_u16(&w, id);
	wcur_u16(&w, flags);
	wcur_u16(&w, 1);
	wcur_u16(&w, 0);
	wcur_u16(&w, 0);
	wcur_u16(&w, edns ? 1 : 0);
	const uint8_t *wn = wname(name);
	wcur_bytes(&w, wn, dns_name_len(wn));
	wcur_u16(&w, type);
	wcur_u16(&w, DNS_CLASS_IN);
	if (edns)
		put_opt(&w, 4096);
	uint64_t token = ++n->next_token;
	resolver_client_query(n->r, n->now, token, q, wcur_pos(&w), tcp);
	drain(n);
	return token;
}

/* The parsed answer to a question, after running the world for up to 30 s. */
struct reply {
	struct wire_msg m;
	bool ok;
};

/* Runs the world until the answer for tok arrives (30 s at most); returns it parsed. */
static inline struct reply wait_answer(struct net *n, uint64_t tok)
{
	size_t len = 0;
	uint64_t limit = n->now + 30000;
	run_to(n, limit, tok);
	struct reply r = {.ok = false};
	const uint8_t *msg = answer_for(n, tok, &len);
	if (!msg)
		fail_msg("no answer for token %llu", (unsigned long long)tok);
	assert_int_equal(wire_parse_response(msg, len, &r.m), 0);
	r.ok = true;
	return r;
}

static inline struct reply resolve_flags(struct net *n, const char *name, uint16_t type,
					 uint16_t flags)
{
	struct reply r = wait_answer(n, ask_raw(n, name, type, flags, true, false, 0x1234));
	assert_int_equal(r.m.id, 0x1234);
	assert_true(r.m.flags & DNS_F_QR);
	assert_true(r.m.flags & DNS_F_RA);
	return r;
}

static inline struct reply resolve(struct net *n, const char *name, uint16_t type)
{
	return resolve_flags(n, name, type, DNS_F_RD);
}

/* Does the reply hold owner/type with this rdata text (NULL: any) in this section? */
static inline bool has_rr(const struct reply *r, enum wire_section sec, const char *owner,
			  uint16_t type, const char *rdata)
{
	for (unsigned i = 0; i < r->m.nrr; i++) {
		const struct wire_rr *rr = &r->m.rr[i];
		if (rr->section != sec || rr->type != type ||
		    !dns_name_equal(rr->owner, wname(owner)))
			continue;
		if (!rdata)
			return true;
		char text[512];
		assert_true(dns_rdata_to_text(type, rr->rdata, rr->rdlen, text, sizeof(text)) > 0);
		if (strcmp(text, rdata) == 0)
			return true;
	}
	return false;
}

static inline uint32_t ttl_of(const struct reply *r, const char *owner, uint16_t type)
{
	for (unsigned i = 0; i < r->m.nrr; i++)
		if (r->m.rr[i].type == type && dns_name_equal(r->m.rr[i].owner, wname(owner)))
			return r->m.rr[i].ttl;
	fail_msg("no %s/%u in the reply", owner, type);
	return 0;
}

static inline void reply_free(struct reply *r)
{
	wire_msg_free(&r->m);
}

/* Upstream queries sent so far for name/type (any server when server is NULL). */
static inline unsigned sent_count(const struct net *n, const char *server, const char *name,
				  uint16_t type)
{
	unsigned c = 0;
	for (size_t i = 0; i < n->nsent; i++)
		if ((!server || strcmp(n->sent[i].server, server) == 0) &&
		    (!name || strcasecmp(n->sent[i].qname, name) == 0) &&
		    (!type || n->sent[i].qtype == type))
			c++;
	return c;
}

static inline bool cached(struct net *n, const char *name, uint16_t type,
			  struct resolver_cache_info *i)
{
	struct resolver_cache_info tmp;
	return resolver_cache_peek(n->r, n->now, wname(name), type, i ? i : &tmp);
}

#define RCODE(rep) ((rep).m.rcode)

static inline void dump_sent(const struct net *n)
{
	for (size_t i = 0; i < n->nsent; i++)
		fprintf(stderr, "  sent %s %s/%u%s%s\n", n->sent[i].server, n->sent[i].qname,
			n->sent[i].qtype, n->sent[i].tcp ? " tcp" : "",
			n->sent[i].edns ? " edns" : "");
}
