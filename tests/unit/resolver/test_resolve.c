/*
 * Replay tests of the resolver state machine against a scripted sandbox internet, one or more
 * per MUST item of resolver-spec.md; each test is named after its item (test_<section>_<item>).
 */
#include <errno.h>
#include <strings.h>

#include "fakenet.h"

#define N(rules) (rules), (sizeof(rules) / sizeof((rules)[0]))

static void strict_loopback(struct resolver_config *c)
{
	c->allow_loopback_upstreams = false;
}

static void test_smoke(void **state)
{
	struct net *n = net_new(NULL, 0);
	struct reply r = resolve(n, "www.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "www.example.com.", DNS_T_CNAME, "example.com."));
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	assert_false(r.m.flags & DNS_F_AA); /* spec 12.2: AA=0 from a resolver */
	reply_free(&r);
	net_free(n);
}

/* 1.1: the hints come from the configuration; none is an error. */
static void test_1_1_hints_from_config(void **state)
{
	struct resolver_config c;
	resolver_config_default(&c);
	c.random = (struct resolver_random){fake_random, &c};
	struct resolver *r = NULL;
	assert_int_equal(resolver_new(&c, &r), -EINVAL);
	struct net *n = net_new(NULL, 0);
	ask_raw(n, "www.example.com.", DNS_T_A, DNS_F_RD, true, false, 1);
	assert_true(n->nsent >= 1);
	assert_true(strcmp(n->sent[0].server, "127.0.0.2") == 0 ||
		    strcmp(n->sent[0].server, "127.0.0.12") == 0);
	net_free(n);
}

/* 1.1: the built-in IANA hints work as a configuration of their own. */
static void test_1_1_builtin_iana_hints(void **state)
{
	struct net *n = net_new_cfg(NULL, 0, strict_loopback);
	resolver_free(n->r);
	n->cfg.nhints = resolver_iana_hints(&n->cfg.hints);
	assert_int_equal(n->cfg.nhints, 26);
	assert_int_equal(resolver_new(&n->cfg, &n->r), 0);
	ask_raw(n, "example.com.", DNS_T_A, DNS_F_RD, true, false, 1);
	assert_int_equal(n->nsent, 1);
	assert_string_equal(n->sent[0].qname, ".");
	static const char *roots[] = {
		"198.41.0.4",   "170.247.170.2", "192.33.4.12",   "199.7.91.13",   "192.203.230.10",
		"192.5.5.241",  "192.112.36.4",  "198.97.190.53", "192.36.148.17", "192.58.128.30",
		"193.0.14.129", "199.7.83.42",   "202.12.27.33"};
	bool known = false;
	for (int k = 0; k < 13; k++)
		known = known || strcmp(n->sent[0].server, roots[k]) == 0;
	assert_true(known);
	net_free(n);
}

/* 1.2: ". NS" first, RD=0, to a hint; then the primed NS set and glue, not the hints. */
static void test_1_2_priming_query_first(void **state)
{
	static struct rule rules[] = {
		{ROOTS, ".", DNS_T_NS, AA, 0, ". 518400 NS c.root-servers.net.", NULL,
		 "c.root-servers.net. 518400 A 127.0.0.22"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "www.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_string_equal(n->sent[0].qname, ".");
	assert_int_equal(n->sent[0].qtype, DNS_T_NS);
	assert_int_equal(sent_count(n, "127.0.0.22", "com.", 0) +
				 sent_count(n, "127.0.0.22", "www.example.com.", 0),
			 1);
	assert_int_equal(sent_count(n, "127.0.0.2", "www.example.com.", 0) +
				 sent_count(n, "127.0.0.12", "www.example.com.", 0),
			 0);
	struct resolver_cache_info i;
	assert_true(cached(n, ".", DNS_T_NS, &i));
	assert_int_equal(i.rank, RESOLVER_RANK_AUTH_ANSWER);
	reply_free(&r);
	net_free(n);
}

/* 1.3: a priming response without AA is not used (the hints are); one without addresses
   still leads to a resolution. */
static void test_1_3_priming_response_checked(void **state)
{
	static struct rule noaa[] = {
		{"127.0.0.2 127.0.0.12", ".", DNS_T_NS, 0, 0, ". 518400 NS evil.example.", NULL,
		 "evil.example. 518400 A 127.0.0.66"},
		{"127.0.0.22", ".", DNS_T_NS, AA, 0, ". 518400 NS c.root-servers.net.", NULL,
		 "c.root-servers.net. 518400 A 127.0.0.22"},
	};
	/* Both hinted servers answer without AA: the third one (hinted too) is used. */
	struct net *n = net_new(N(noaa));
	struct resolver_rr more[6];
	memcpy(more, hint_rrs, sizeof(hint_rrs));
	static uint8_t c_ip[4] = {127, 0, 0, 22}, c_name[DNS_NAME_MAXLEN];
	dns_name_from_text("c.root-servers.net.", NULL, c_name);
	more[4] = (struct resolver_rr){
		(const uint8_t *)"",           DNS_T_NS, DNS_CLASS_IN, 3600000, c_name,
		(uint16_t)dns_name_len(c_name)};
	more[5] = (struct resolver_rr){c_name, DNS_T_A, DNS_CLASS_IN, 3600000, c_ip, 4};
	resolver_free(n->r);
	n->cfg.hints = more;
	n->cfg.nhints = 6;
	assert_int_equal(resolver_new(&n->cfg, &n->r), 0);
	struct reply r = resolve(n, "www.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(sent_count(n, "127.0.0.2", ".", DNS_T_NS) +
			    sent_count(n, "127.0.0.12", ".", DNS_T_NS) >=
		    1);
	struct resolver_cache_info i;
	assert_true(cached(n, ".", DNS_T_NS, &i));
	assert_int_equal(i.count, 1); /* c.root-servers.net only */
	assert_false(cached(n, "evil.example.", DNS_T_A, NULL));
	assert_int_equal(sent_count(n, "127.0.0.66", NULL, 0), 0);
	reply_free(&r);
	net_free(n);

	static struct rule noglue[] = {
		{ROOTS, ".", DNS_T_NS, AA, 0,
		 ". 518400 NS a.root-servers.net.|. 518400 NS b.root-servers.net."},
		{GTLD, "~root-servers.net.", 0, AA, 0, "a.root-servers.net. 3600 A 127.0.0.2"},
	};
	n = net_new(N(noglue));
	r = resolve(n, "www.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	reply_free(&r);
	r = resolve(n, "nx.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	reply_free(&r);
	r = resolve(n, "nx.org.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	reply_free(&r);
	assert_int_equal(sent_count(n, NULL, ".", DNS_T_NS), 1); /* primed once, not per question */
	assert_true(cached(n, "a.root-servers.net.", DNS_T_A, NULL)); /* looked up */
	net_free(n);
}

/* 1.4: priming again when the root NS RRset expires; hints and backoff when priming fails. */
static void test_1_4_reprime_on_expiry_and_failure(void **state)
{
	static struct rule rules[] = {
		{ROOTS, ".", DNS_T_NS, AA, 0,
		 ". 60 NS a.root-servers.net.|. 60 NS b.root-servers.net.", NULL,
		 "a.root-servers.net. 60 A 127.0.0.2|b.root-servers.net. 60 A 127.0.0.12"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	reply_free(&r);
	assert_int_equal(sent_count(n, NULL, ".", DNS_T_NS), 1);
	run_until(n, n->now + 61000);
	r = resolve(n, "nx1.org.", DNS_T_A);
	reply_free(&r);
	assert_int_equal(sent_count(n, NULL, ".", DNS_T_NS), 2);
	net_free(n);

	static struct rule dead[] = {{ROOTS, ".", DNS_T_NS, 0, 0, NULL, NULL, NULL, M_DROP}};
	n = net_new(N(dead));
	uint64_t tok = ask_raw(n, "example.com.", DNS_T_A, DNS_F_RD, true, false, 7);
	run_until(n, n->now + 6000); /* priming failed; the question went on with the hints */
	size_t len = 0;
	assert_non_null(answer_for(n, tok, &len));
	struct resolver_cache_info i;
	assert_true(cached(n, ".", DNS_T_NS, &i));
	assert_true(i.failure);
	assert_true(cached(n, "example.com.", DNS_T_A, NULL));
	unsigned before = sent_count(n, NULL, ".", DNS_T_NS);
	r = resolve(n, "nx2.org.", DNS_T_A); /* priming is not retried while its failure lasts */
	reply_free(&r);
	assert_int_equal(sent_count(n, NULL, ".", DNS_T_NS), before);
	run_until(n, n->now + 6000);
	r = resolve(n, "nx3.org.", DNS_T_A); /* ... and retried after it */
	reply_free(&r);
	assert_true(sent_count(n, NULL, ".", DNS_T_NS) > before);
	net_free(n);
}

/* 2.1: the closest delegation in the cache is where the next resolution starts. */
static void test_2_1_closest_enclosing_delegation(void **state)
{
	struct net *n = net_new(NULL, 0);
	struct reply r = resolve(n, "www.example.com.", DNS_T_A);
	reply_free(&r);
	size_t before = n->nsent;
	r = resolve(n, "other.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	reply_free(&r);
	assert_true(n->nsent > before);
	for (size_t i = before; i < n->nsent; i++)
		assert_true(server_in(HOSTED, n->sent[i].server));
	net_free(n);
}

/* 2.2, 2.3: a referral sideways (same zone) or upward is lame; the other server is used. */
static void test_2_3_referral_must_go_down(void **state)
{
	static struct rule rules[] = {
		{"127.0.0.3", "~example.com.", 0, 0, 0, NULL, "com. 172800 NS a.gtld-servers.net."},
		{"127.0.0.13", "~example.com.", 0, 0, 0, NULL, ". 172800 NS a.root-servers.net."},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "www.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
	reply_free(&r);
	assert_true(n->nsent < 20); /* no referral loop */
	net_free(n);

	static struct rule one[] = {
		{"127.0.0.3", "~example.com.", 0, 0, 0, NULL, ". 172800 NS a.root-servers.net."},
	};
	n = net_new(N(one));
	r = resolve(n, "www.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	reply_free(&r);
	net_free(n);
}

/* 2.2: answer data without AA (a recursive server, RA=1) is lame: never used or cached. */
static void test_2_2_answer_without_aa_is_lame(void **state)
{
	static struct rule rules[] = {
		{"127.0.0.4", "example.com.", DNS_T_A, DNS_F_RA, 0, "example.com. 300 A 6.6.6.6"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	assert_false(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "6.6.6.6"));
	reply_free(&r);
	assert_int_equal(sent_count(n, "127.0.0.5", "example.com.", DNS_T_A), 1);
	net_free(n);
}

/* 2.2: a referral with AA set is still a referral; NODATA with AA and no SOA is NODATA. */
static void test_2_2_referral_with_aa(void **state)
{
	static struct rule rules[] = {
		{GTLD, "~example.com.", 0, AA, 0, NULL,
		 "example.com. 172800 NS ns-1.sbxdns-01.com.",
		 "ns-1.sbxdns-01.com. 172800 A 127.0.0.4"},
		{HOSTED, "example.com.", DNS_T_TXT, AA, 0},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	reply_free(&r);
	r = resolve(n, "example.com.", DNS_T_TXT);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_int_equal(r.m.nrr, 0);
	reply_free(&r);
	net_free(n);
}

/* 2.4: the name servers without glue are looked up, and used. */
static void test_2_4_glueless_delegation(void **state)
{
	static struct rule rules[] = {
		{"127.0.0.4", "~example.com.", 0, 0, 0, NULL, NULL, NULL, M_DROP},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "www.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	reply_free(&r);
	assert_true(sent_count(n, NULL, "ns-2.sbxdns-02.net.", DNS_T_A) >= 1);
	assert_true(sent_count(n, "127.0.0.5", "www.example.com.", DNS_T_A) == 1);
	net_free(n);
}

/* 3.2: A and AAAA glue together (as on the real Internet): the A glue is used. */
static void test_3_2_glue_with_aaaa(void **state)
{
	static struct rule rules[] = {
		{GTLD, "~example.com.", 0, 0, 0, NULL,
		 "example.com. 172800 NS ns-1.sbxdns-01.com.|example.com. 172800 NS "
		 "ns-2.sbxdns-02.net.",
		 "ns-1.sbxdns-01.com. 172800 A 127.0.0.4|ns-1.sbxdns-01.com. 172800 AAAA "
		 "2001:db8::4"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	reply_free(&r);
	assert_int_equal(sent_count(n, NULL, "ns-1.sbxdns-01.com.", 0), 0);
	assert_int_equal(sent_count(n, NULL, "ns-2.sbxdns-02.net.", 0), 0);
	assert_int_equal(sent_count(n, "127.0.0.4", "example.com.", DNS_T_A), 1);
	net_free(n);
}

/* 2.5: ns.cyc.com needs cyc.net, whose server needs cyc.com: SERVFAIL, no endless work. */
static void test_2_5_dependency_cycle(void **state)
{
	static struct rule rules[] = {
		{GTLD, "~cyc.com.", 0, 0, 0, NULL, "cyc.com. 172800 NS ns.cyc.net."},
		{GTLD, "~cyc.net.", 0, 0, 0, NULL, "cyc.net. 172800 NS ns.cyc.com."},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "www.cyc.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
	reply_free(&r);
	assert_true(n->nsent < 30);
	net_free(n);
}

/* 2.6: a server that refuses a zone is lame for it: not asked again. */
static void test_2_6_lame_server_remembered(void **state)
{
	static struct rule rules[] = {
		{"127.0.0.4", "~example.com.", 0, 0, DNS_RC_REFUSED},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "www.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	reply_free(&r);
	unsigned lame = sent_count(n, "127.0.0.4", NULL, 0);
	assert_int_equal(lame, 1);
	r = resolve(n, "nx.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	reply_free(&r);
	assert_int_equal(sent_count(n, "127.0.0.4", NULL, 0), lame);
	net_free(n);
}

static struct rule dead_zone[] = {
	{GTLD, "~dead.com.", 0, 0, 0, NULL, "dead.com. 172800 NS ns.dead.com.",
	 "ns.dead.com. 172800 A 127.0.0.30"},
};

/* 2.7, 5.6, 11.4: a dead zone fails once per failure TTL, which backs off up to 300 s. */
static void test_2_7_and_5_6_failures_cached(void **state)
{
	struct net *n = net_new(N(dead_zone));
	struct reply r = resolve(n, "www.dead.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
	reply_free(&r);
	run_until(n, n->now + 1500); /* the last late reply is no longer awaited */
	struct resolver_cache_info i;
	assert_true(cached(n, "www.dead.com.", DNS_T_A, &i));
	assert_true(i.failure);
	assert_true(i.ttl <= 5);
	size_t before = n->nsent;
	r = resolve(n, "www.dead.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
	reply_free(&r);
	assert_int_equal(n->nsent, before); /* from the failure cache */
	/* Failing again right after: each entry lives twice as long, never beyond 300 s. */
	uint32_t last = i.ttl;
	for (int k = 0; k < 10; k++) {
		while (cached(n, "www.dead.com.", DNS_T_A, NULL))
			run_until(n, n->now + 1000);
		uint64_t tok = ask_raw(n, "www.dead.com.", DNS_T_A, DNS_F_RD, true, false, 1);
		while (!cached(n, "www.dead.com.", DNS_T_A, &i))
			run_until(n, n->now + 100);
		size_t len = 0;
		assert_non_null(answer_for(n, tok, &len));
		assert_true(i.failure);
		assert_true(i.ttl <= 300);
		assert_true(i.ttl >= last || i.ttl >= 290);
		last = i.ttl;
	}
	assert_true(last >= 290);
	net_free(n);
}

/* 3.1, 7.5: records outside the zone the server was asked about never enter the cache. */
static void test_3_1_bailiwick_filter(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "poison.example.com.", DNS_T_A, AA, 0,
		 "poison.example.com. 300 A 192.0.2.1|www.other.net. 300 A 6.6.6.6",
		 "com. 172800 NS evil.example.com.|example.com. 172800 NS ns-1.sbxdns-01.com.",
		 "a.gtld-servers.net. 172800 A 6.6.6.6|evil.example.com. 300 A 6.6.6.6"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "poison.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "poison.example.com.", DNS_T_A, "192.0.2.1"));
	assert_false(has_rr(&r, WIRE_ANSWER, "www.other.net.", DNS_T_A, NULL));
	reply_free(&r);
	assert_false(cached(n, "www.other.net.", DNS_T_A, NULL));
	assert_false(cached(n, "evil.example.com.", DNS_T_A, NULL));
	struct resolver_cache_info i;
	assert_true(cached(n, "com.", DNS_T_NS, &i));
	assert_int_equal(i.count, 2); /* the root's referral, not the hosted server's claim */
	assert_int_equal(i.rank, RESOLVER_RANK_NONAUTH_NS);
	/* The com servers are still reached at their real address. */
	size_t before = n->nsent;
	r = resolve(n, "nx.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	reply_free(&r);
	for (size_t k = before; k < n->nsent; k++)
		assert_string_not_equal(n->sent[k].server, "6.6.6.6");
	net_free(n);
}

/* 3.2: glue only for the referral's NS names and inside the parent zone; never an answer. */
static void test_3_2_glue_rules(void **state)
{
	static struct rule rules[] = {
		{GTLD, "~example.com.", 0, 0, 0, NULL,
		 "example.com. 172800 NS ns-1.sbxdns-01.com.|example.com. 172800 NS "
		 "ns-2.sbxdns-02.net.",
		 "ns-1.sbxdns-01.com. 172800 A 127.0.0.4|ns-2.sbxdns-02.net. 172800 A "
		 "6.6.6.6|www.example.com. 172800 A 6.6.6.6|mail.other.com. 172800 A 6.6.6.6"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	reply_free(&r);
	struct resolver_cache_info i;
	assert_true(cached(n, "ns-1.sbxdns-01.com.", DNS_T_A, &i)); /* sibling glue */
	assert_int_equal(i.rank, RESOLVER_RANK_GLUE);
	assert_false(cached(n, "ns-2.sbxdns-02.net.", DNS_T_A, NULL)); /* out of bailiwick */
	assert_false(cached(n, "www.example.com.", DNS_T_A, NULL));    /* not an NS name */
	assert_false(cached(n, "mail.other.com.", DNS_T_A, NULL));
	/* Glue is no answer: asking for it goes to the authoritative server. */
	unsigned before = sent_count(n, NULL, "ns-1.sbxdns-01.com.", DNS_T_A);
	r = resolve(n, "ns-1.sbxdns-01.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	reply_free(&r);
	assert_true(sent_count(n, NULL, "ns-1.sbxdns-01.com.", DNS_T_A) > before);
	assert_true(cached(n, "ns-1.sbxdns-01.com.", DNS_T_A, &i));
	assert_int_equal(i.rank, RESOLVER_RANK_AUTH_ANSWER);
	net_free(n);
}

/* 3.3: additional-section data never overwrites answer data (the Kaminsky path). */
static void test_3_3_trust_ranking(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "~sub.example.com.", 0, 0, 0, NULL, "sub.example.com. 300 NS example.com.",
		 "example.com. 300 A 6.6.6.6"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	reply_free(&r);
	r = resolve(n, "x.sub.example.com.", DNS_T_A); /* the referral carries the "glue" */
	reply_free(&r);
	struct resolver_cache_info i;
	assert_true(cached(n, "example.com.", DNS_T_A, &i));
	assert_int_equal(i.rank, RESOLVER_RANK_AUTH_ANSWER);
	size_t before = n->nsent;
	r = resolve(n, "example.com.", DNS_T_A);
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	assert_false(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "6.6.6.6"));
	reply_free(&r);
	assert_int_equal(n->nsent, before);
	net_free(n);
}

static struct rule other_net[] = {
	{HOSTED, "www2.example.com.", DNS_T_A, AA, 0,
	 "www2.example.com. 300 CNAME www.other.net.|www.other.net. 300 A 6.6.6.6|"
	 "unrelated.example.com. 300 A 6.6.6.6"},
	{HOSTED, "alias2.example.com.", DNS_T_A, AA, 0,
	 "alias2.example.com. 300 CNAME nothere.other.net."},
	{GTLD, "~other.net.", 0, 0, 0, NULL, "other.net. 172800 NS ns.other.net.",
	 "ns.other.net. 172800 A 127.0.0.31"},
	{"127.0.0.31", "www.other.net.", DNS_T_A, AA, 0, "www.other.net. 300 A 192.0.2.77"},
	{"127.0.0.31", "~other.net.", 0, AA, DNS_RC_NXDOMAIN, NULL,
	 "other.net. 600 SOA ns.other.net. h.other.net. 1 2 3 4 120"},
};

/* 3.4, 4.1: only the chain from QNAME is kept; a CNAME leaving the bailiwick restarts. */
static void test_3_4_answer_chain_and_bailiwick_restart(void **state)
{
	struct net *n = net_new(N(other_net));
	struct reply r = resolve(n, "www2.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "www2.example.com.", DNS_T_CNAME, "www.other.net."));
	assert_true(has_rr(&r, WIRE_ANSWER, "www.other.net.", DNS_T_A, "192.0.2.77"));
	assert_false(has_rr(&r, WIRE_ANSWER, "www.other.net.", DNS_T_A, "6.6.6.6"));
	/* The chain in order: the CNAME first. */
	assert_int_equal(r.m.rr[0].type, DNS_T_CNAME);
	reply_free(&r);
	assert_false(cached(n, "unrelated.example.com.", DNS_T_A, NULL));
	assert_int_equal(sent_count(n, "127.0.0.31", "www.other.net.", DNS_T_A), 1);
	net_free(n);
}

/* 3.6: the records of one RRset get the lowest TTL. */
static void test_3_6_rrset_ttl_consistency(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "mixed.example.com.", DNS_T_A, AA, 0,
		 "mixed.example.com. 300 A 192.0.2.1|mixed.example.com. 100 A 192.0.2.2"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "mixed.example.com.", DNS_T_A);
	for (unsigned k = 0; k < r.m.nrr; k++)
		if (r.m.rr[k].type == DNS_T_A)
			assert_int_equal(r.m.rr[k].ttl, 100);
	reply_free(&r);
	struct resolver_cache_info i;
	assert_true(cached(n, "mixed.example.com.", DNS_T_A, &i));
	assert_int_equal(i.ttl, 100);
	assert_int_equal(i.count, 2);
	net_free(n);
}

/* 3.7: types not asked for are dropped; rdata of the wrong length makes the reply unusable. */
static void test_3_7_unexpected_types_and_bad_rdata(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "mx.example.com.", DNS_T_A, AA, 0,
		 "mx.example.com. 300 MX 10 mail.example.com.|mx.example.com. 300 A 192.0.2.3"},
		{"127.0.0.4", "bad.example.com.", DNS_T_A, AA, 0, "bad.example.com. 300 A 6.6.6.6",
		 NULL, NULL, M_BADLEN},
		{"127.0.0.5", "bad.example.com.", DNS_T_A, AA, 0,
		 "bad.example.com. 300 A 192.0.2.4"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "mx.example.com.", DNS_T_A);
	assert_true(has_rr(&r, WIRE_ANSWER, "mx.example.com.", DNS_T_A, "192.0.2.3"));
	assert_false(has_rr(&r, WIRE_ANSWER, "mx.example.com.", DNS_T_MX, NULL));
	reply_free(&r);
	assert_false(cached(n, "mx.example.com.", DNS_T_MX, NULL));
	r = resolve(n, "bad.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "bad.example.com.", DNS_T_A, "192.0.2.4"));
	assert_false(has_rr(&r, WIRE_ANSWER, "bad.example.com.", DNS_T_A, "6.6.6.6"));
	reply_free(&r);
	struct resolver_stats st;
	resolver_get_stats(n->r, &st);
	assert_true(st.replies_malformed >= 1);
	net_free(n);
}

/* A chain of CNAMEs c0 -> c1 -> ... -> cN -> A, one per response. */
static char chain_an[40][128];
static struct rule chain_rules[40];

static size_t make_chain(int len)
{
	for (int k = 0; k < len; k++) {
		snprintf(chain_an[k], sizeof(chain_an[k]),
			 "c%d.example.com. 300 CNAME c%d.example.com.", k, k + 1);
		chain_rules[k] = (struct rule){HOSTED, NULL, 0, AA, 0, chain_an[k]};
		chain_rules[k].name = strdup(chain_an[k] + 0);
		*strchr((char *)chain_rules[k].name, ' ') = 0;
	}
	snprintf(chain_an[len], sizeof(chain_an[len]), "c%d.example.com. 300 A 192.0.2.99", len);
	chain_rules[len] = (struct rule){HOSTED, NULL, 0, AA, 0, chain_an[len]};
	chain_rules[len].name = strdup(chain_an[len]);
	*strchr((char *)chain_rules[len].name, ' ') = 0;
	return (size_t)len + 1;
}

static void free_chain(size_t n)
{
	for (size_t k = 0; k < n; k++)
		free((char *)chain_rules[k].name);
}

/* 4.2: loops (in one response or across responses) and chains beyond the limit: SERVFAIL. */
static void test_4_2_cname_loop_and_limit(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "loop1.example.com.", 0, AA, 0,
		 "loop1.example.com. 300 CNAME loop2.example.com.|loop2.example.com. 300 CNAME "
		 "loop1.example.com."},
		{HOSTED, "la.example.com.", 0, AA, 0, "la.example.com. 300 CNAME lb.other.net."},
		{GTLD, "~other.net.", 0, 0, 0, NULL, "other.net. 172800 NS ns.other.net.",
		 "ns.other.net. 172800 A 127.0.0.31"},
		{"127.0.0.31", "lb.other.net.", 0, AA, 0,
		 "lb.other.net. 300 CNAME la.example.com."},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "loop1.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
	reply_free(&r);
	r = resolve(n, "la.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
	reply_free(&r);
	assert_true(n->nsent < 30);
	net_free(n);

	size_t len = make_chain(10); /* 10 CNAMEs: within the limit of 11 */
	n = net_new(chain_rules, len);
	r = resolve(n, "c0.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "c10.example.com.", DNS_T_A, "192.0.2.99"));
	reply_free(&r);
	net_free(n);
	free_chain(len);

	len = make_chain(12);
	n = net_new(chain_rules, len);
	r = resolve(n, "c0.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
	reply_free(&r);
	net_free(n);
	free_chain(len);
}

/* 4.3: CNAME then NXDOMAIN: the chain, the rcode and the SOA of the last name's zone. */
static void test_4_3_cname_to_nxdomain(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "alias.example.com.", 0, AA, DNS_RC_NXDOMAIN,
		 "alias.example.com. 300 CNAME nothere.example.com.", EX_SOA},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "alias.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	assert_true(has_rr(&r, WIRE_ANSWER, "alias.example.com.", DNS_T_CNAME, NULL));
	assert_true(has_rr(&r, WIRE_AUTHORITY, "example.com.", DNS_T_SOA, NULL));
	reply_free(&r);
	net_free(n);

	n = net_new(N(other_net)); /* the target in another zone: found by a restart */
	r = resolve(n, "alias2.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	assert_true(has_rr(&r, WIRE_ANSWER, "alias2.example.com.", DNS_T_CNAME, NULL));
	assert_true(has_rr(&r, WIRE_AUTHORITY, "other.net.", DNS_T_SOA, NULL));
	reply_free(&r);
	net_free(n);
}

/* 4.4: a CNAME owner with other data: the other data is not cached. */
static void test_4_4_cname_and_other_data(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "both.example.com.", 0, AA, 0,
		 "both.example.com. 300 A 6.6.6.6|both.example.com. 300 CNAME example.com.|"
		 "example.com. 300 A 192.0.2.10"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "both.example.com.", DNS_T_A);
	assert_false(has_rr(&r, WIRE_ANSWER, "both.example.com.", DNS_T_A, NULL));
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	reply_free(&r);
	assert_false(cached(n, "both.example.com.", DNS_T_A, NULL));
	assert_true(cached(n, "both.example.com.", DNS_T_CNAME, NULL));
	net_free(n);
}

/* 4.5 (SHOULD): DNAME: the CNAME is made from it (the server's is not trusted), both are
   answered, and the new name is resolved. */
static void test_4_5_dname(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "x.dn.example.com.", 0, AA, 0,
		 "dn.example.com. 300 DNAME example.net.|x.dn.example.com. 300 CNAME "
		 "evil.example.com."},
		{HOSTED, "y.dn.example.com.", 0, AA, 0, "dn.example.com. 300 DNAME example.com."},
		{HOSTED, "y.example.com.", DNS_T_A, AA, 0, "y.example.com. 300 A 192.0.2.34"},
		{GTLD, "~example.net.", 0, 0, 0, NULL, "example.net. 172800 NS ns.example.net.",
		 "ns.example.net. 172800 A 127.0.0.33"},
		{"127.0.0.33", "x.example.net.", DNS_T_A, AA, 0, "x.example.net. 300 A 192.0.2.33"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "x.dn.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "dn.example.com.", DNS_T_DNAME, "example.net."));
	assert_true(has_rr(&r, WIRE_ANSWER, "x.dn.example.com.", DNS_T_CNAME, "x.example.net."));
	assert_false(
		has_rr(&r, WIRE_ANSWER, "x.dn.example.com.", DNS_T_CNAME, "evil.example.com."));
	assert_true(has_rr(&r, WIRE_ANSWER, "x.example.net.", DNS_T_A, "192.0.2.33"));
	reply_free(&r);
	/* No CNAME from the server at all; the target is in the same zone. */
	r = resolve(n, "y.dn.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "y.dn.example.com.", DNS_T_CNAME, "y.example.com."));
	assert_true(has_rr(&r, WIRE_ANSWER, "y.example.com.", DNS_T_A, "192.0.2.34"));
	reply_free(&r);
	net_free(n);
}

/* 4.6, 12.2: the question's case as the client wrote it; ID and RD echoed, QR and RA set. */
static void test_4_6_qname_case_kept(void **state)
{
	struct net *n = net_new(NULL, 0);
	uint64_t tok = ask_raw(n, "WwW.ExAmPlE.CoM.", DNS_T_A, DNS_F_RD, true, false, 0xbeef);
	struct reply r = wait_answer(n, tok);
	assert_int_equal(r.m.id, 0xbeef);
	assert_true(r.m.flags & DNS_F_RD);
	assert_true(r.m.flags & DNS_F_RA);
	assert_false(r.m.flags & DNS_F_AA);
	assert_memory_equal(r.m.qname, wname("WwW.ExAmPlE.CoM."), r.m.qname_len);
	assert_memory_equal(r.m.rr[0].owner, wname("WwW.ExAmPlE.CoM."), r.m.rr[0].owner_len);
	reply_free(&r);
	net_free(n);
}

/* 5.1: NXDOMAIN covers every type of the name; NODATA one type. Both from the cache. */
static void test_5_1_negative_answers_cached(void **state)
{
	struct net *n = net_new(NULL, 0);
	struct reply r = resolve(n, "nx.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	reply_free(&r);
	size_t before = n->nsent;
	r = resolve(n, "nx.example.com.", DNS_T_AAAA);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	assert_true(has_rr(&r, WIRE_AUTHORITY, "example.com.", DNS_T_SOA, NULL));
	reply_free(&r);
	assert_int_equal(n->nsent, before);

	r = resolve(n, "example.com.", DNS_T_MX);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_int_equal(r.m.nrr, 1); /* the SOA only */
	reply_free(&r);
	before = n->nsent;
	r = resolve(n, "example.com.", DNS_T_MX);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_AUTHORITY, "example.com.", DNS_T_SOA, NULL));
	reply_free(&r);
	assert_int_equal(n->nsent, before);
	r = resolve(n, "example.com.", DNS_T_TXT); /* another type: asked upstream */
	reply_free(&r);
	assert_true(n->nsent > before);
	net_free(n);
}

static void small_neg_cap(struct resolver_config *c)
{
	c->max_negative_ttl = 600;
}

/* 5.2: negative TTL = min(SOA TTL, MINIMUM), capped. com: 900 of (900, 86400). */
static void test_5_2_negative_ttl(void **state)
{
	struct net *n = net_new(NULL, 0);
	struct reply r = resolve(n, "newshop.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	assert_int_equal(ttl_of(&r, "com.", DNS_T_SOA), 900);
	reply_free(&r);
	r = resolve(n, "nx.example.com.", DNS_T_A); /* example.com: min(900, 300) */
	assert_int_equal(ttl_of(&r, "example.com.", DNS_T_SOA), 300);
	reply_free(&r);
	run_until(n, n->now + 899000);
	assert_true(cached(n, "newshop.com.", DNS_T_A, NULL));
	run_until(n, n->now + 2000);
	assert_false(cached(n, "newshop.com.", DNS_T_A, NULL));
	net_free(n);

	n = net_new_cfg(NULL, 0, small_neg_cap);
	r = resolve(n, "newshop.com.", DNS_T_A);
	assert_int_equal(ttl_of(&r, "com.", DNS_T_SOA), 600);
	reply_free(&r);
	net_free(n);
}

/* 5.3: a negative answer without a SOA is answered but not cached. */
static void test_5_3_negative_without_soa_not_cached(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "nosoa.example.com.", 0, AA, DNS_RC_NXDOMAIN},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "nosoa.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	reply_free(&r);
	assert_false(cached(n, "nosoa.example.com.", DNS_T_A, NULL));
	size_t before = n->nsent;
	r = resolve(n, "nosoa.example.com.", DNS_T_A);
	reply_free(&r);
	assert_true(n->nsent > before);
	net_free(n);
}

/* 5.4: a negative answer from the cache carries the SOA with its TTL counted down. */
static void test_5_4_cached_negative_soa_ttl_decremented(void **state)
{
	struct net *n = net_new(NULL, 0);
	struct reply r = resolve(n, "nx.example.com.", DNS_T_A);
	reply_free(&r);
	run_until(n, n->now + 100000);
	r = resolve(n, "nx.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	uint32_t ttl = ttl_of(&r, "example.com.", DNS_T_SOA);
	assert_true(ttl >= 199 && ttl <= 200);
	reply_free(&r);
	net_free(n);
}

/* 6.1: TTLs count down in answers from the cache. */
static void test_6_1_ttl_counts_down(void **state)
{
	struct net *n = net_new(NULL, 0);
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	assert_int_equal(ttl_of(&r, "example.com.", DNS_T_A), 300);
	reply_free(&r);
	run_until(n, n->now + 100000);
	size_t before = n->nsent;
	r = resolve(n, "example.com.", DNS_T_A);
	uint32_t ttl = ttl_of(&r, "example.com.", DNS_T_A);
	assert_true(ttl >= 199 && ttl <= 200);
	reply_free(&r);
	assert_int_equal(n->nsent, before);
	net_free(n);
}

/* 6.2: TTLs capped at max-cache-ttl; a TTL with the high bit set is 0 (RFC 2181 §8). */
static void test_6_2_ttl_capped(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "long.example.com.", DNS_T_A, AA, 0,
		 "long.example.com. 604800 A 192.0.2.6"},
		{HOSTED, "neg.example.com.", DNS_T_A, AA, 0,
		 "neg.example.com. 2147483648 A 192.0.2.7"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "long.example.com.", DNS_T_A);
	assert_int_equal(ttl_of(&r, "long.example.com.", DNS_T_A), 86400);
	reply_free(&r);
	r = resolve(n, "neg.example.com.", DNS_T_A);
	assert_int_equal(ttl_of(&r, "neg.example.com.", DNS_T_A), 0);
	reply_free(&r);
	assert_false(cached(n, "neg.example.com.", DNS_T_A, NULL));
	net_free(n);
}

/* 6.3: TTL 0 is answered, not cached; TTL-0 glue still reaches the server. */
static void test_6_3_ttl_zero_not_cached(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "zero.example.com.", DNS_T_A, AA, 0, "zero.example.com. 0 A 192.0.2.5"},
		{GTLD, "~zeroglue.com.", 0, 0, 0, NULL, "zeroglue.com. 172800 NS ns.zeroglue.com.",
		 "ns.zeroglue.com. 0 A 127.0.0.32"},
		{"127.0.0.32", "www.zeroglue.com.", DNS_T_A, AA, 0,
		 "www.zeroglue.com. 60 A 192.0.2.8"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "zero.example.com.", DNS_T_A);
	assert_true(has_rr(&r, WIRE_ANSWER, "zero.example.com.", DNS_T_A, "192.0.2.5"));
	assert_int_equal(ttl_of(&r, "zero.example.com.", DNS_T_A), 0);
	reply_free(&r);
	assert_false(cached(n, "zero.example.com.", DNS_T_A, NULL));
	size_t before = n->nsent;
	r = resolve(n, "zero.example.com.", DNS_T_A);
	reply_free(&r);
	assert_true(n->nsent > before);

	r = resolve(n, "www.zeroglue.com.", DNS_T_A);
	assert_true(has_rr(&r, WIRE_ANSWER, "www.zeroglue.com.", DNS_T_A, "192.0.2.8"));
	reply_free(&r);
	assert_false(cached(n, "ns.zeroglue.com.", DNS_T_A, NULL));
	net_free(n);
}

/* 6.5: when the shortest TTL of the chain runs out, the answer is fetched again. */
static void test_6_5_chain_expires_with_shortest_ttl(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "short.example.com.", 0, AA, 0,
		 "short.example.com. 30 CNAME example.com.|example.com. 300 A 192.0.2.10"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "short.example.com.", DNS_T_A);
	reply_free(&r);
	run_until(n, n->now + 29000);
	size_t before = n->nsent;
	r = resolve(n, "short.example.com.", DNS_T_A);
	reply_free(&r);
	assert_int_equal(n->nsent, before);
	run_until(n, n->now + 2000);
	r = resolve(n, "short.example.com.", DNS_T_A);
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	reply_free(&r);
	assert_int_equal(sent_count(n, "127.0.0.4", "short.example.com.", DNS_T_A) +
				 sent_count(n, "127.0.0.5", "short.example.com.", DNS_T_A),
			 2);
	net_free(n);
}

/* 7.1, 7.5: replies from another address or port, with another ID or question: dropped. */
static void test_7_1_spoofed_replies_dropped(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "example.com.", DNS_T_A, AA, 0, "example.com. 300 A 192.0.2.10", NULL,
		 NULL, M_SPOOF, "example.com. 86400 A 6.6.6.6"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	assert_false(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "6.6.6.6"));
	reply_free(&r);
	struct resolver_stats st;
	resolver_get_stats(n->r, &st);
	assert_int_equal(st.replies_unmatched, 4);
	struct resolver_cache_info i;
	assert_true(cached(n, "example.com.", DNS_T_A, &i));
	assert_int_equal(i.ttl, 300);
	/* A reply to a handle that does not exist is dropped as well. */
	struct resolver_addr a;
	addr4(&a, "127.0.0.4", 53);
	uint8_t junk[64] = {0};
	resolver_upstream_reply(n->r, n->now, 999999, &a, junk, sizeof(junk));
	resolver_get_stats(n->r, &st);
	assert_int_equal(st.replies_unmatched, 5);
	net_free(n);
}

/* 7.2: query IDs come from the injected random source, not a counter. */
static void test_7_2_random_query_ids(void **state)
{
	struct net *n = net_new(NULL, 0);
	char name[64];
	for (int k = 0; k < 10; k++) {
		snprintf(name, sizeof(name), "n%d.example.com.", k);
		struct reply r = resolve(n, name, DNS_T_A);
		reply_free(&r);
	}
	assert_true(n->nsent >= 10);
	unsigned sequential = 0, same = 0;
	for (size_t k = 1; k < n->nsent; k++) {
		sequential += (uint16_t)(n->sent[k].id - n->sent[k - 1].id) == 1;
		same += n->sent[k].id == n->sent[k - 1].id;
	}
	assert_int_equal(sequential, 0);
	assert_int_equal(same, 0);
	net_free(n);
}

/* 7.4, 12.3: identical questions share one upstream query; each client gets its own reply. */
static void test_7_4_one_query_in_flight(void **state)
{
	struct net *n = net_new(NULL, 0);
	uint64_t a = ask_raw(n, "example.com.", DNS_T_A, DNS_F_RD, true, false, 0x1111);
	uint64_t b = ask_raw(n, "EXAMPLE.com.", DNS_T_A, DNS_F_RD, false, false, 0x2222);
	struct reply ra = wait_answer(n, a);
	struct reply rb = wait_answer(n, b);
	assert_int_equal(ra.m.id, 0x1111);
	assert_int_equal(rb.m.id, 0x2222);
	assert_true(ra.m.edns);
	assert_false(rb.m.edns); /* spec 9.5: OPT only when the query had one */
	assert_memory_equal(rb.m.qname, wname("EXAMPLE.com."), rb.m.qname_len);
	assert_true(has_rr(&rb, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	reply_free(&ra);
	reply_free(&rb);
	/* One query per step: the hosted servers were asked once. */
	assert_int_equal(sent_count(n, "127.0.0.4", "example.com.", DNS_T_A) +
				 sent_count(n, "127.0.0.5", "example.com.", DNS_T_A),
			 1);
	assert_int_equal(sent_count(n, NULL, ".", DNS_T_NS), 1);
	net_free(n);
}

static void qmin(struct resolver_config *c)
{
	c->qname_minimisation = true;
}

/* 8.1 (SHOULD): each server hears one label more than its zone, with type A. */
static void test_8_1_qname_minimisation(void **state)
{
	struct net *n = net_new_cfg(NULL, 0, qmin);
	struct reply r = resolve(n, "www.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	reply_free(&r);
	for (size_t k = 0; k < n->nsent; k++) {
		const struct sent *s = &n->sent[k];
		if (server_in(ROOTS, s->server) && strcmp(s->qname, ".") != 0)
			assert_int_equal(strcasecmp(s->qname, "com."), 0);
		if (server_in(GTLD, s->server))
			assert_int_equal(strcasecmp(s->qname, "example.com."), 0);
	}
	assert_int_equal(sent_count(n, NULL, "com.", DNS_T_A), 1);
	assert_int_equal(sent_count(n, NULL, "example.com.", DNS_T_A), 1);
	assert_int_equal(sent_count(n, NULL, "www.example.com.", DNS_T_A), 1);
	/* AAAA: the minimised steps are A queries, the last one the real type. */
	r = resolve(n, "a.b.other.org.", DNS_T_AAAA);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	reply_free(&r);
	assert_int_equal(sent_count(n, NULL, "org.", DNS_T_A), 1);
	/* NXDOMAIN for "org." (no such TLD here): relaxed mode asks the full name once. */
	assert_int_equal(sent_count(n, NULL, "a.b.other.org.", DNS_T_AAAA), 1);
	net_free(n);
}

/* 8.3, 8.4 (SHOULD): an empty non-terminal adds a label; a wrong NXDOMAIN for one falls
   back to the full name (relaxed mode). */
static void test_8_3_empty_non_terminal_and_relaxed_fallback(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "b.example.com.", 0, AA, 0, NULL, EX_SOA},
		{HOSTED, "a.b.example.com.", DNS_T_A, AA, 0, "a.b.example.com. 300 A 192.0.2.21"},
		{HOSTED, "y.example.com.", 0, AA, DNS_RC_NXDOMAIN, NULL, EX_SOA},
		{HOSTED, "x.y.example.com.", DNS_T_A, AA, 0, "x.y.example.com. 300 A 192.0.2.22"},
	};
	struct net *n = net_new_cfg(N(rules), qmin);
	struct reply r = resolve(n, "a.b.example.com.", DNS_T_A);
	assert_true(has_rr(&r, WIRE_ANSWER, "a.b.example.com.", DNS_T_A, "192.0.2.21"));
	reply_free(&r);
	assert_int_equal(sent_count(n, NULL, "b.example.com.", DNS_T_A), 1);
	r = resolve(n, "x.y.example.com.", DNS_T_A);
	assert_true(has_rr(&r, WIRE_ANSWER, "x.y.example.com.", DNS_T_A, "192.0.2.22"));
	reply_free(&r);
	assert_int_equal(sent_count(n, NULL, "y.example.com.", DNS_T_A), 1);
	net_free(n);
}

static void caps(struct resolver_config *c)
{
	c->use_caps_for_id = true;
}

/* 7.6 (SHOULD): 0x20: random case upstream, echoed exactly; a server that does not keep it
   is asked without, after two tries. */
static void test_7_6_caps_for_id(void **state)
{
	static struct rule rules[] = {
		{"127.0.0.4", "example.com.", DNS_T_A, AA, 0, "example.com. 300 A 192.0.2.10", NULL,
		 NULL, M_NOCAPS},
		{"127.0.0.5", NULL, 0, 0, 0, NULL, NULL, NULL, M_DROP},
		{GTLD, "~sbxdns-02.net.", 0, 0, 0, NULL, NULL, NULL, M_DROP},
	};
	struct net *n = net_new_cfg(N(rules), caps);
	struct reply r = resolve(n, "www.example.com.", DNS_T_MX); /* keeps case: fine */
	reply_free(&r);
	unsigned mixed = 0;
	for (size_t k = 0; k < n->nsent; k++)
		for (const char *c = n->sent[k].qname; *c; c++)
			mixed += *c >= 'A' && *c <= 'Z';
	assert_true(mixed > 0);
	r = resolve(n, "example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	assert_memory_equal(r.m.rr[0].owner, wname("example.com."), r.m.rr[0].owner_len);
	reply_free(&r);
	struct resolver_stats st;
	resolver_get_stats(n->r, &st);
	assert_int_equal(st.replies_unmatched, 2);
	net_free(n);
}

/* 9.1: upstream queries carry EDNS(0) with 1232 octets; OPT never enters the cache. */
static void test_9_1_edns_upstream(void **state)
{
	struct net *n = net_new(NULL, 0);
	struct reply r = resolve(n, "www.example.com.", DNS_T_A);
	reply_free(&r);
	for (size_t k = 0; k < n->nsent; k++) {
		assert_true(n->sent[k].edns);
		assert_int_equal(n->sent[k].udp_size, 1232);
	}
	assert_false(cached(n, ".", DNS_T_OPT, NULL));
	net_free(n);
}

/* 9.2: FORMERR without OPT: again without EDNS, remembered for the server. */
static void test_9_2_edns_fallback(void **state)
{
	static struct rule rules[] = {
		{"127.0.0.4", "~example.com.", 0, AA, 0, "example.com. 300 A 192.0.2.10", NULL,
		 NULL, M_NOEDNS},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	reply_free(&r);
	size_t before = n->nsent;
	r = resolve(n, "x.example.com.", DNS_T_A);
	reply_free(&r);
	assert_true(n->nsent > before);
	for (size_t k = before; k < n->nsent; k++)
		if (strcmp(n->sent[k].server, "127.0.0.4") == 0)
			assert_false(n->sent[k].edns);
	net_free(n);
}

/* 9.2: the same when the FORMERR has no question section (many old servers). */
static void test_9_2_edns_fallback_bare_formerr(void **state)
{
	static struct rule rules[] = {
		{"127.0.0.4", "~example.com.", 0, AA, 0, "example.com. 300 A 192.0.2.10", NULL,
		 NULL, M_NOEDNS0},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	reply_free(&r);
	assert_int_equal(sent_count(n, "127.0.0.4", "example.com.", DNS_T_A), 2);
	assert_int_equal(sent_count(n, "127.0.0.5", "example.com.", DNS_T_A), 0);
	struct resolver_stats st;
	resolver_get_stats(n->r, &st);
	assert_int_equal(st.replies_unmatched, 0);
	net_free(n);
}

/* 9.3: TC=1: the same question over TCP, nothing from the truncated reply used. */
static void test_9_3_truncated_retried_over_tcp(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "example.com.", DNS_T_A, AA, 0, "example.com. 300 A 192.0.2.10", NULL,
		 NULL, M_TC, "example.com. 86400 A 6.6.6.6"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	assert_false(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "6.6.6.6"));
	reply_free(&r);
	unsigned tcp = 0;
	for (size_t k = 0; k < n->nsent; k++)
		tcp += n->sent[k].tcp;
	assert_int_equal(tcp, 1);
	struct resolver_stats st;
	resolver_get_stats(n->r, &st);
	assert_int_equal(st.replies_truncated, 1);
	net_free(n);
}

/* 9.5: answers fit the client's size (512 without EDNS): else TC=1; BADVERS for version 1. */
static void test_9_5_client_sizes_and_badvers(void **state)
{
	static struct rule rules[] = {
		{HOSTED, "big.example.com.", DNS_T_TXT, AA, 0,
		 "big.example.com. 300 TXT "
		 "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"|big.example.com. 300 TXT "
		 "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		 "bbbbbbbb"
		 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"|big."
		 "example.com. "
		 "300 TXT "
		 "\"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
		 "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
		 "ccccccccc"
		 "cccccccccccccccccccccccccccccccccccccccccc\""},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "big.example.com.", DNS_T_TXT); /* EDNS 4096: fits */
	assert_false(r.m.flags & DNS_F_TC);
	assert_int_equal(r.m.nrr, 3);
	reply_free(&r);
	uint64_t tok = ask_raw(n, "big.example.com.", DNS_T_TXT, DNS_F_RD, false, false, 5);
	r = wait_answer(n, tok);
	assert_true(r.m.flags & DNS_F_TC);
	assert_int_equal(r.m.nrr, 0);
	reply_free(&r);
	tok = ask_raw(n, "big.example.com.", DNS_T_TXT, DNS_F_RD, false, true, 6); /* TCP */
	r = wait_answer(n, tok);
	assert_false(r.m.flags & DNS_F_TC);
	assert_int_equal(r.m.nrr, 3);
	reply_free(&r);
	/* EDNS version 1. */
	uint8_t q[64] = {0, 9, 1, 0, 0, 1,  0, 0, 0, 0, 0, 1, 0, 0,
			 1, 0, 1, 0, 0, 41, 4, 0, 0, 1, 0, 0, 0, 0};
	resolver_client_query(n->r, n->now, 77, q, 28, false);
	drain(n);
	size_t len = 0;
	const uint8_t *a = answer_for(n, 77, &len);
	assert_non_null(a);
	struct wire_msg m;
	assert_int_equal(wire_parse_response(a, len, &m), 0);
	assert_int_equal(m.rcode, DNS_RC_BADVERS);
	wire_msg_free(&m);
	net_free(n);
}

/* 10.2: servers within the RTT band share the load (both roots get queries). */
static void test_10_2_selection_within_band(void **state)
{
	struct net *n = net_new(NULL, 0);
	char name[64];
	for (int k = 0; k < 30; k++) {
		snprintf(name, sizeof(name), "tld%d.", k);
		struct reply r = resolve(n, name, DNS_T_A);
		assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
		reply_free(&r);
	}
	assert_true(sent_count(n, "127.0.0.2", NULL, 0) >= 3);
	assert_true(sent_count(n, "127.0.0.12", NULL, 0) >= 3);
	net_free(n);
}

/* 10.3: a timeout moves on at once and backs off the server; a late reply still counts. */
static void test_10_3_timeout_and_late_reply(void **state)
{
	static struct rule rules[] = {{"127.0.0.2", NULL, 0, 0, 0, NULL, NULL, NULL, M_DROP}};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	reply_free(&r);
	unsigned to_dead = sent_count(n, "127.0.0.2", NULL, 0);
	char name[64];
	for (int k = 0; k < 10; k++) {
		snprintf(name, sizeof(name), "tld%d.", k);
		r = resolve(n, name, DNS_T_A);
		reply_free(&r);
	}
	assert_true(sent_count(n, "127.0.0.2", NULL, 0) <= to_dead + 1);
	for (size_t k = 0; k < n->nsent; k++)
		assert_true(n->sent[k].edns); /* a timeout is no reason to drop EDNS (9.2) */
	net_free(n);

	static struct rule late[] = {
		{"127.0.0.4", "example.com.", DNS_T_A, AA, 0, "example.com. 300 A 192.0.2.10", NULL,
		 NULL, M_SLOW},
		{"127.0.0.5", NULL, 0, 0, 0, NULL, NULL, NULL, M_DROP},
		{GTLD, "~sbxdns-02.net.", 0, 0, 0, NULL, NULL, NULL, M_DROP},
	};
	n = net_new(N(late));
	r = resolve(n, "example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	reply_free(&r);
	net_free(n);
}

/* 10.4: after our own network was down, servers are not left at a 120 s RTO. */
static void test_10_4_local_outage_recovery(void **state)
{
	struct net *n = net_new(NULL, 0);
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	reply_free(&r);
	n->outage = true;
	char name[64];
	for (int k = 0; k < 6; k++) {
		snprintf(name, sizeof(name), "down%d.example.com.", k);
		r = resolve(n, name, DNS_T_A);
		assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
		reply_free(&r);
		run_until(n, n->now + 10000);
	}
	n->outage = false;
	uint64_t start = n->now;
	r = resolve(n, "up.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	reply_free(&r);
	assert_true(n->now - start < 2000);
	net_free(n);
}

/* 10.5: the client hears SERVFAIL within about 2 s; the work for one question is bounded. */
static void test_10_5_client_deadline_and_budget(void **state)
{
	struct net *n = net_new(N(dead_zone));
	uint64_t start = n->now;
	uint64_t tok = ask_raw(n, "www.dead.com.", DNS_T_A, DNS_F_RD, true, false, 3);
	struct reply r = wait_answer(n, tok);
	assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
	assert_true(n->now - start <= 2100);
	reply_free(&r);
	run_until(n, n->now + 60000);
	assert_true(n->nsent <= 200);
	assert_int_equal(resolver_next_timer(n->r), UINT64_MAX); /* nothing left behind */
	net_free(n);
}

static void few_referrals(struct resolver_config *c)
{
	c->max_referrals = 2;
}

static struct rule deep[] = {
	{GTLD, "~a.com.", 0, 0, 0, NULL, "a.com. 300 NS ns.a.com.", "ns.a.com. 300 A 127.0.0.40"},
	{"127.0.0.40", "~b.a.com.", 0, 0, 0, NULL, "b.a.com. 300 NS ns.b.a.com.",
	 "ns.b.a.com. 300 A 127.0.0.41"},
	{"127.0.0.41", "c.b.a.com.", DNS_T_A, AA, 0, "c.b.a.com. 300 A 192.0.2.41"},
};

/* The Extended DNS Error in an answer's OPT (the last record): its code, or -1. */
static int ede_of(struct net *n, uint64_t tok, char *text, size_t size)
{
	size_t len = 0;
	const uint8_t *m = answer_for(n, tok, &len);
	assert_non_null(m);
	for (size_t p = DNS_HEADER_SIZE; p + 11 <= len; p++) {
		if (m[p] != 0 || get_u16(m + p + 1) != DNS_T_OPT ||
		    p + 11 + get_u16(m + p + 9) != len)
			continue;
		const uint8_t *o = m + p + 11;
		if (len - (p + 11) < 6 || get_u16(o) != 15)
			return -1;
		size_t tl = get_u16(o + 2) - 2;
		snprintf(text, size, "%.*s", (int)tl, (const char *)o + 6);
		return get_u16(o + 4);
	}
	return -1;
}

/* 12.6 (SHOULD): every SERVFAIL says why, with an Extended DNS Error. */
static void test_12_6_extended_errors(void **state)
{
	struct net *n = net_new(N(dead_zone));
	char text[64];
	uint64_t tok = ask_raw(n, "www.dead.com.", DNS_T_A, DNS_F_RD, true, false, 1);
	struct reply r = wait_answer(n, tok);
	assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
	reply_free(&r);
	assert_int_equal(ede_of(n, tok, text, sizeof(text)), 22); /* the client timed out */
	assert_string_equal(text, "timed out, still resolving");
	run_until(n, n->now + 2000);
	tok = ask_raw(n, "www.dead.com.", DNS_T_A, DNS_F_RD, true, false, 2);
	assert_int_equal(ede_of(n, tok, text, sizeof(text)), 22);
	assert_string_equal(text, "cached failure");
	tok = ask_raw(n, "www2.dead.com.", DNS_T_A, DNS_F_RD, true, false, 3);
	r = wait_answer(n, tok);
	reply_free(&r);
	assert_int_equal(ede_of(n, tok, text, sizeof(text)), 22);
	tok = ask_raw(n, "www3.dead.com.", DNS_T_A, DNS_F_RD, false, false, 4); /* no EDNS */
	r = wait_answer(n, tok);
	assert_false(r.m.edns);
	reply_free(&r);
	net_free(n);
}

/* 11.1: referrals are counted: a limit of 2 stops a path that needs 3. */
static void test_11_1_referral_limit(void **state)
{
	struct net *n = net_new(N(deep));
	struct reply r = resolve(n, "c.b.a.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	reply_free(&r);
	net_free(n);
	n = net_new_cfg(N(deep), few_referrals);
	uint64_t tok = ask_raw(n, "c.b.a.com.", DNS_T_A, DNS_F_RD, true, false, 1);
	r = wait_answer(n, tok);
	assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
	reply_free(&r);
	char text[64];
	assert_int_equal(ede_of(n, tok, text, sizeof(text)), 0); /* spec 12.6: Other, and why */
	assert_string_equal(text, "work limit reached");
	net_free(n);
}

/* 11.2: NXNSAttack: 30 glueless NS names under names that do not exist. */
static void test_11_2_nxns_bounded(void **state)
{
	static char ns[4096];
	size_t o = 0;
	for (int k = 0; k < 30; k++)
		o += (size_t)snprintf(ns + o, sizeof(ns) - o,
				      "%snxns.com. 300 NS ns%d.victim%d.com.", k ? "|" : "", k, k);
	static struct rule rules[] = {{GTLD, "~nxns.com.", 0, 0, 0, NULL, ns}};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "www.nxns.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
	reply_free(&r);
	run_until(n, n->now + 20000);
	unsigned lookups = 0;
	for (size_t k = 0; k < n->nsent; k++)
		lookups += strncasecmp(n->sent[k].qname, "ns", 2) == 0;
	assert_true(lookups <= 5);
	struct resolver_cache_info i;
	assert_true(cached(n, "nxns.com.", DNS_T_NS, &i));
	assert_int_equal(i.count, 20);
	net_free(n);
}

static void two_targets_per_cut(struct resolver_config *c)
{
	c->max_target_lookups_per_cut = 2;
}

/* 11.1: address lookups are also counted per delegation. */
static void test_11_1_target_lookups_per_delegation(void **state)
{
	static char ns[4096];
	size_t o = 0;
	for (int k = 0; k < 10; k++)
		o += (size_t)snprintf(ns + o, sizeof(ns) - o,
				      "%snxns.com. 300 NS ns%d.victim%d.com.", k ? "|" : "", k, k);
	static struct rule rules[] = {{GTLD, "~nxns.com.", 0, 0, 0, NULL, ns}};
	struct net *n = net_new_cfg(N(rules), two_targets_per_cut);
	struct reply r = resolve(n, "www.nxns.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
	reply_free(&r);
	run_until(n, n->now + 20000);
	unsigned lookups = 0;
	for (size_t k = 0; k < n->nsent; k++)
		lookups += strncasecmp(n->sent[k].qname, "ns", 2) == 0;
	assert_true(lookups >= 1 && lookups <= 2);
	net_free(n);
}

static void two_clients(struct resolver_config *c)
{
	c->max_client_queries = 2;
}

/* 11.3: the number of questions in progress is capped; beyond it, SERVFAIL at once. */
static void test_11_3_queries_in_progress_capped(void **state)
{
	struct net *n = net_new_cfg(N(dead_zone), two_clients);
	ask_raw(n, "a.dead.com.", DNS_T_A, DNS_F_RD, true, false, 1);
	ask_raw(n, "b.dead.com.", DNS_T_A, DNS_F_RD, true, false, 2);
	uint64_t tok = ask_raw(n, "c.dead.com.", DNS_T_A, DNS_F_RD, true, false, 3);
	size_t len = 0;
	const uint8_t *a = answer_for(n, tok, &len);
	assert_non_null(a);
	assert_int_equal(DNS_RCODE(get_u16(a + 2)), DNS_RC_SERVFAIL);
	net_free(n);
}

/* 11.3: ... unless the oldest has run for more than 200 ms: it gives way (jostle). */
static void test_11_3_jostle(void **state)
{
	struct net *n = net_new_cfg(N(dead_zone), two_clients);
	uint64_t a = ask_raw(n, "a.dead.com.", DNS_T_A, DNS_F_RD, true, false, 1);
	run_until(n, n->now + 100);
	uint64_t b = ask_raw(n, "b.dead.com.", DNS_T_A, DNS_F_RD, true, false, 2);
	run_until(n, n->now + 150);
	uint64_t c = ask_raw(n, "c.dead.com.", DNS_T_A, DNS_F_RD, true, false, 3);
	size_t len;
	const uint8_t *m = answer_for(n, a, &len); /* the oldest gave way */
	assert_non_null(m);
	assert_int_equal(DNS_RCODE(get_u16(m + 2)), DNS_RC_SERVFAIL);
	assert_null(answer_for(n, b, &len));
	assert_null(answer_for(n, c, &len)); /* accepted, being resolved */
	struct resolver_stats st;
	resolver_get_stats(n->r, &st);
	assert_int_equal(st.jostled, 1);
	assert_false(cached(n, "a.dead.com.", DNS_T_A, NULL)); /* no failure cached for it */
	net_free(n);
}

static void unwanted_3(struct resolver_config *c)
{
	c->unwanted_reply_threshold = 3;
}

/* 7.7 (SHOULD): past a threshold of unmatched replies, the caches are flushed. */
static void test_7_7_unwanted_reply_threshold(void **state)
{
	struct net *n = net_new_cfg(NULL, 0, unwanted_3);
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	reply_free(&r);
	assert_true(cached(n, "example.com.", DNS_T_A, NULL));
	struct resolver_addr from;
	addr4(&from, "127.0.0.4", 53);
	uint8_t junk[32] = {0};
	for (int k = 0; k < 3; k++)
		resolver_upstream_reply(n->r, n->now, 424242, &from, junk, sizeof(junk));
	assert_false(cached(n, "example.com.", DNS_T_A, NULL));
	struct resolver_stats st;
	resolver_get_stats(n->r, &st);
	assert_int_equal(st.unwanted_flushes, 1);
	net_free(n);
}

/* 11.7: at most 11 CNAMEs are taken from one response. */
static void test_11_7_cnames_per_response(void **state)
{
	static char an[4096];
	size_t o = 0;
	for (int k = 0; k < 15; k++)
		o += (size_t)snprintf(an + o, sizeof(an) - o,
				      "%sx%d.example.com. 300 CNAME x%d.example.com.", k ? "|" : "",
				      k, k + 1);
	snprintf(an + o, sizeof(an) - o, "|x15.example.com. 300 A 192.0.2.15");
	static struct rule rules[] = {{HOSTED, "x0.example.com.", 0, AA, 0, an}};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "x0.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN); /* x11 was asked for on its own */
	unsigned cnames = 0;
	for (unsigned k = 0; k < r.m.nrr; k++)
		cnames += r.m.rr[k].type == DNS_T_CNAME;
	assert_int_equal(cnames, 11);
	reply_free(&r);
	struct resolver_cache_info i;
	assert_true(cached(n, "x10.example.com.", DNS_T_CNAME, &i));
	assert_false(i.negative);
	assert_true(cached(n, "x11.example.com.", DNS_T_CNAME, &i));
	assert_true(i.negative); /* from x11's own NXDOMAIN, not the first response */
	assert_int_equal(sent_count(n, NULL, "x11.example.com.", DNS_T_A), 1);
	net_free(n);
}

/* 12.2: an opcode other than QUERY gets NOTIMP; class CH is refused. */
static void test_12_2_header_and_rcodes(void **state)
{
	struct net *n = net_new(NULL, 0);
	uint64_t tok = ask_raw(n, "example.com.", DNS_T_A, DNS_F_RD | (DNS_OP_NOTIFY << 11), false,
			       false, 9);
	size_t len = 0;
	const uint8_t *a = answer_for(n, tok, &len);
	assert_non_null(a);
	assert_int_equal(DNS_RCODE(get_u16(a + 2)), DNS_RC_NOTIMP);
	assert_int_equal(n->nsent, 0);
	uint8_t q[] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 3}; /* . TXT CH */
	resolver_client_query(n->r, n->now, 50, q, sizeof(q), false);
	drain(n);
	a = answer_for(n, 50, &len);
	assert_non_null(a);
	assert_int_equal(DNS_RCODE(get_u16(a + 2)), DNS_RC_REFUSED);
	net_free(n);
}

/* 11.6 (SHOULD): ANY gets one small synthesized HINFO, and nothing is asked upstream. */
static void test_11_6_any_minimised(void **state)
{
	struct net *n = net_new(NULL, 0);
	struct reply r = resolve(n, "Example.com.", DNS_T_ANY);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_int_equal(r.m.nrr, 1);
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_HINFO, "\"RFC8482\" \"\""));
	assert_memory_equal(r.m.rr[0].owner, wname("Example.com."), r.m.rr[0].owner_len);
	reply_free(&r);
	assert_int_equal(n->nsent, 0);
	net_free(n);
}

/* 12.4: RD=0 is answered from the cache only. */
static void test_12_4_rd0_cache_only(void **state)
{
	struct net *n = net_new(NULL, 0);
	struct reply r = resolve_flags(n, "example.com.", DNS_T_A, 0);
	assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
	reply_free(&r);
	assert_int_equal(n->nsent, 0);
	r = resolve(n, "example.com.", DNS_T_A);
	reply_free(&r);
	size_t before = n->nsent;
	r = resolve_flags(n, "example.com.", DNS_T_A, 0);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	reply_free(&r);
	assert_int_equal(n->nsent, before);
	net_free(n);
}

/* 12.5: malformed client queries and upstream replies: no crash, nothing cached. */
static void test_12_5_malformed_input(void **state)
{
	static struct rule rules[] = {
		{"127.0.0.4", "example.com.", DNS_T_A, AA, 0, "example.com. 300 A 6.6.6.6", NULL,
		 NULL, M_GARBAGE},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	reply_free(&r);
	/* Two questions: FORMERR. Fewer than 12 octets: nothing. */
	uint8_t q2[] = {0, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1};
	resolver_client_query(n->r, n->now, 60, q2, sizeof(q2), false);
	resolver_client_query(n->r, n->now, 61, q2, 5, false);
	drain(n);
	size_t len = 0;
	const uint8_t *a = answer_for(n, 60, &len);
	assert_non_null(a);
	assert_int_equal(DNS_RCODE(get_u16(a + 2)), DNS_RC_FORMERR);
	assert_null(answer_for(n, 61, &len));
	/* Random bytes as client queries and as replies to every open handle. */
	uint8_t buf[300];
	for (int k = 0; k < 2000; k++) {
		size_t l = (size_t)(k % 300);
		fake_random(n, buf, l);
		if (l > 2)
			buf[2] &= 0x7f; /* mostly "queries" */
		resolver_client_query(n->r, n->now, 1000 + (uint64_t)k, buf, l, k & 1);
		drain(n);
		struct resolver_addr from;
		addr4(&from, "127.0.0.2", 53);
		resolver_upstream_reply(n->r, n->now, (uint64_t)(k % 50), &from, buf, l);
		drain(n);
		if (n->nans > MAX_ANSWERS - 8)
			n->nans = 0;
		n->ndl = 0;
		if (n->nsent > MAX_SENT - 16)
			n->nsent = 0;
	}
	net_free(n);
}

/* 15.1: by default, no upstream query goes to 127/8 (the sandbox must allow it). */
static void test_15_1_loopback_upstreams_refused(void **state)
{
	struct net *n = net_new_cfg(NULL, 0, strict_loopback);
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
	reply_free(&r);
	assert_int_equal(n->nsent, 0);
	net_free(n);
}

/* A send that fails locally (no route, refused) moves on to the next server at once. */
static void test_10_3_send_error_moves_on(void **state)
{
	struct net *n = net_new(NULL, 0);
	uint64_t tok = ask_raw(n, "example.com.", DNS_T_A, DNS_F_RD, true, false, 4);
	/* The priming query went out; its transport fails. */
	assert_int_equal(n->nsent, 1);
	uint64_t start = n->now;
	n->ndl = 0;
	resolver_upstream_error(n->r, n->now, 1);
	drain(n);
	assert_int_equal(n->nsent, 2);
	assert_string_not_equal(n->sent[1].server, n->sent[0].server);
	struct reply r = wait_answer(n, tok);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	reply_free(&r);
	assert_true(n->now - start < 200);
	net_free(n);
}

/* 12.5: replies with random octets flipped or cut short: no crash, no leak, always an answer. */
static void test_12_5_mutated_replies(void **state)
{
	static const char *names[] = {"www.example.com.", "example.com.", "nx.example.com.",
				      "newshop.com.",     "nx.org.",      "www2.example.com."};
	for (unsigned flips = 1; flips <= 12; flips++) {
		struct net *n = net_new(N(other_net));
		n->mutate = flips;
		for (int k = 0; k < 300; k++) {
			uint64_t tok = ask_raw(n, names[k % 6], k % 3 ? DNS_T_A : DNS_T_MX,
					       DNS_F_RD, k & 1, false, (uint16_t)k);
			struct reply r = wait_answer(n, tok);
			reply_free(&r);
			if (n->nans > MAX_ANSWERS - 4)
				n->nans = 0;
			if (n->nsent > MAX_SENT - 64)
				n->nsent = 0;
			if (k % 20 == 19)
				resolver_flush(n->r, NULL, false);
		}
		run_until(n, n->now + 60000);
		assert_int_equal(resolver_next_timer(n->r), UINT64_MAX);
		net_free(n);
	}
}

static void stale_on(struct resolver_config *c)
{
	c->serve_stale_max_s = 86400;
}

/* 13.1 (SHOULD): serve-stale: expired data at TTL 30 with EDE 3 when the servers are gone. */
static void test_13_1_serve_stale(void **state)
{
	for (int on = 0; on < 2; on++) {
		static struct rule rules[] = {
			{"", NULL, 0, 0, 0, NULL, NULL, NULL, M_DROP}, /* switched on below */
		};
		rules[0].servers = "";
		struct net *n = net_new_cfg(N(rules), on ? stale_on : NULL);
		struct reply r = resolve(n, "www.example.com.", DNS_T_A);
		reply_free(&r);
		run_until(n, n->now + 400000);
		rules[0].servers = HOSTED; /* the hosted servers are down */
		uint64_t tok = ask_raw(n, "www.example.com.", DNS_T_A, DNS_F_RD, true, false, 1);
		r = wait_answer(n, tok);
		char text[64];
		if (!on) {
			assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
		} else {
			assert_int_equal(RCODE(r), DNS_RC_NOERROR);
			assert_true(has_rr(&r, WIRE_ANSWER, "www.example.com.", DNS_T_CNAME, NULL));
			assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
			assert_int_equal(ttl_of(&r, "example.com.", DNS_T_A), 30);
			assert_int_equal(ede_of(n, tok, text, sizeof(text)), 3);
			/* After the failure is cached, still stale, not SERVFAIL. */
			run_until(n, n->now + 10000);
			tok = ask_raw(n, "www.example.com.", DNS_T_A, DNS_F_RD, true, false, 2);
			reply_free(&r);
			r = wait_answer(n, tok);
			assert_int_equal(RCODE(r), DNS_RC_NOERROR);
			struct resolver_stats st;
			resolver_get_stats(n->r, &st);
			assert_int_equal(st.stale_answers, 2);
		}
		reply_free(&r);
		net_free(n);
	}
}

static void prefetch_on(struct resolver_config *c)
{
	c->prefetch = true;
}

/* 13.2 (SHOULD): a hit in the last tenth of the TTL refreshes the RRset in the background. */
static void test_13_2_prefetch(void **state)
{
	struct net *n = net_new_cfg(NULL, 0, prefetch_on);
	struct reply r = resolve(n, "example.com.", DNS_T_A);
	reply_free(&r);
	run_until(n, n->now + 200000); /* 100 s left of 300: no prefetch */
	r = resolve(n, "example.com.", DNS_T_A);
	reply_free(&r);
	assert_int_equal(sent_count(n, "127.0.0.4", "example.com.", DNS_T_A) +
				 sent_count(n, "127.0.0.5", "example.com.", DNS_T_A),
			 1);
	run_until(n, n->now + 80000); /* 20 s left: answered from the cache, and refreshed */
	uint64_t tok = ask_raw(n, "example.com.", DNS_T_A, DNS_F_RD, true, false, 9);
	size_t len;
	assert_non_null(answer_for(n, tok, &len)); /* at once */
	tok = ask_raw(n, "example.com.", DNS_T_A, DNS_F_RD, true, false, 10);
	assert_non_null(answer_for(n, tok, &len)); /* the same again: at once, one refresh only */
	run_until(n, n->now + 1000);
	assert_int_equal(sent_count(n, "127.0.0.4", "example.com.", DNS_T_A) +
				 sent_count(n, "127.0.0.5", "example.com.", DNS_T_A),
			 2);
	struct resolver_cache_info i;
	assert_true(cached(n, "example.com.", DNS_T_A, &i));
	assert_true(i.ttl >= 298);
	net_free(n);
}

static void tiny_cache(struct resolver_config *c)
{
	c->cache_max_bytes = 2048; /* about three entries */
	c->infra_max_servers = 2;
}

/* Memory stays bounded: with a cache that evicts all the time, resolution still works. */
static void test_tiny_cache_still_resolves(void **state)
{
	struct net *n = net_new_cfg(N(other_net), tiny_cache);
	static const char *names[] = {"www.example.com.", "www2.example.com.", "nx.example.com.",
				      "alias2.example.com.", "newshop.com."};
	static const uint8_t rcodes[] = {DNS_RC_NOERROR, DNS_RC_NOERROR, DNS_RC_NXDOMAIN,
					 DNS_RC_NXDOMAIN, DNS_RC_NXDOMAIN};
	for (int k = 0; k < 25; k++) {
		struct reply r = resolve(n, names[k % 5], DNS_T_A);
		assert_int_equal(RCODE(r), rcodes[k % 5]);
		reply_free(&r);
		if (n->nsent > MAX_SENT - 64)
			n->nsent = 0;
		if (n->nans > MAX_ANSWERS - 4)
			n->nans = 0;
	}
	struct resolver_stats st;
	resolver_get_stats(n->r, &st);
	assert_true(st.cache_bytes <= 2048);
	assert_true(st.evictions > 0);
	net_free(n);
}

/* One zone with one server address, for config.stubs or config.forwards. */
static const struct resolver_stub *one_zone(const char *zone, const char *ip, uint16_t port)
{
	static uint8_t names[2][DNS_NAME_MAXLEN];
	static struct resolver_addr addrs[2];
	static struct resolver_stub zones[2];
	static int k;
	int i = k++ % 2;
	assert_true(dns_name_from_text(zone, NULL, names[i]) > 0);
	addr4(&addrs[i], ip, port);
	zones[i] = (struct resolver_stub){names[i], &addrs[i], 1};
	return &zones[i];
}

static void with_stub(struct resolver_config *c)
{
	c->stubs = one_zone("corp.example.", "127.0.0.50", 5353);
	c->nstubs = 1;
}

/* 1.6 (SHOULD): a stub zone is asked directly, at its own port; the rest goes by the root. */
static void test_1_6_stub_zone(void **state)
{
	static struct rule rules[] = {
		{"127.0.0.50", "www.corp.example.", DNS_T_A, AA, 0,
		 "www.corp.example. 60 A 10.1.2.3"},
	};
	struct net *n = net_new_cfg(N(rules), with_stub);
	struct reply r = resolve(n, "WWW.corp.example.", DNS_T_A);
	assert_true(has_rr(&r, WIRE_ANSWER, "www.corp.example.", DNS_T_A, "10.1.2.3"));
	reply_free(&r);
	assert_int_equal(n->nsent, 1);
	assert_string_equal(n->sent[0].server, "127.0.0.50");
	assert_int_equal(n->sent[0].port, 5353);
	r = resolve(n, "example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	reply_free(&r);
	assert_int_equal(n->sent[1].port, 53);
	net_free(n);
}

static void with_forward(struct resolver_config *c)
{
	c->forwards = one_zone("fwd.example.", "127.0.0.60", 53);
	c->nforwards = 1;
}

/* 2.9 (SHOULD): a forward zone: RD=1 to a recursive server, its answers trusted, cached. */
static void test_2_9_forward_zone(void **state)
{
	static struct rule rules[] = {
		{"127.0.0.60", "www.fwd.example.", DNS_T_A, DNS_F_RA | DNS_F_RD, 0,
		 "www.fwd.example. 60 CNAME cdn.other.net.|cdn.other.net. 60 A 192.0.2.99"},
		{"127.0.0.60", "nx.fwd.example.", 0, DNS_F_RA | DNS_F_RD, DNS_RC_NXDOMAIN, NULL,
		 "fwd.example. 60 SOA ns.fwd.example. h.fwd.example. 1 2 3 4 60"},
		{"127.0.0.60", "ref.fwd.example.", 0, DNS_F_RA | DNS_F_RD, 0, NULL,
		 "ref.fwd.example. 60 NS ns.evil.", NULL},
	};
	struct net *n = net_new_cfg(N(rules), with_forward);
	n->forwarders = "127.0.0.60";
	struct reply r = resolve(n, "www.fwd.example.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "cdn.other.net.", DNS_T_A, "192.0.2.99"));
	reply_free(&r);
	struct resolver_cache_info i;
	assert_true(cached(n, "cdn.other.net.", DNS_T_A, &i));
	assert_int_equal(i.rank, RESOLVER_RANK_NONAUTH_ANSWER);
	r = resolve(n, "nx.fwd.example.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	reply_free(&r);
	assert_true(cached(n, "nx.fwd.example.", DNS_T_A, &i));
	assert_true(i.negative);
	r = resolve(n, "ref.fwd.example.", DNS_T_A); /* a forwarder does not refer */
	assert_int_equal(RCODE(r), DNS_RC_SERVFAIL);
	reply_free(&r);
	assert_int_equal(n->nsent, 3); /* nothing else was asked, no priming */
	net_free(n);
}

static void port_5300(struct resolver_config *c)
{
	c->upstream_port = 5300;
}

/* 15.2 (SHOULD): every iterative query to one configured port (the sandbox without root). */
static void test_15_2_upstream_port(void **state)
{
	struct net *n = net_new_cfg(NULL, 0, port_5300);
	struct reply r = resolve(n, "www.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	reply_free(&r);
	for (size_t k = 0; k < n->nsent; k++)
		assert_int_equal(n->sent[k].port, 5300);
	net_free(n);
}

/* Flushing a name makes the next query go upstream (spec 12.7, for the registrar). */
static void test_flush(void **state)
{
	struct net *n = net_new(NULL, 0);
	struct reply r = resolve(n, "newshop.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	reply_free(&r);
	resolver_flush(n->r, wname("newshop.com."), true);
	assert_false(cached(n, "newshop.com.", DNS_T_A, NULL));
	assert_true(cached(n, "com.", DNS_T_NS, NULL));
	r = resolve(n, "nx.example.com.", DNS_T_A);
	reply_free(&r);
	resolver_flush_negative(n->r); /* the negative entry goes, the delegations stay */
	assert_false(cached(n, "nx.example.com.", DNS_T_A, NULL));
	assert_true(cached(n, "example.com.", DNS_T_NS, NULL));
	resolver_flush_infra(n->r);
	resolver_flush(n->r, NULL, false);
	assert_false(cached(n, "com.", DNS_T_NS, NULL));
	r = resolve(n, "example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	reply_free(&r);
	net_free(n);
}

/*
 * 3.5 (SHOULD): ghost domains. The child's NS set, asked for late, does not keep the
 * delegation alive once the parent's (the registry's) NS RRset has expired and the
 * domain has been deleted there (sandbox-internet.md §4.2).
 */
static void test_3_5_no_ghost_domain(void **state)
{
	static struct rule rules[] = {
		{GTLD, "~newshop.com.", 0, 0, 0, NULL, "newshop.com. 172800 NS ns-1.sbxdns-01.com.",
		 "ns-1.sbxdns-01.com. 172800 A 127.0.0.4"},
		{HOSTED, "newshop.com.", DNS_T_NS, AA, 0,
		 "newshop.com. 172800 NS ns-1.sbxdns-01.com."},
		{HOSTED, "www.newshop.com.", DNS_T_A, AA, 0, "www.newshop.com. 300 A 192.0.2.50"},
	};
	rules[0].servers = GTLD;
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "www.newshop.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	reply_free(&r);
	run_until(n, n->now + 80000000ull);
	r = resolve(n, "newshop.com.", DNS_T_NS); /* the child's answer, 80000 s later */
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(ttl_of(&r, "newshop.com.", DNS_T_NS) <= 86400 - 80000);
	reply_free(&r);
	rules[0].servers = ""; /* deleted at the registry */
	run_until(n, n->now + 10000000ull);
	r = resolve(n, "www.newshop.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	reply_free(&r);
	net_free(n);
}

/*
 * The registration story of sandbox-internet.md §4.3: a name asked before it is registered
 * stays NXDOMAIN for the com SOA's 900 s; a flush of the name (what the registrar will ask
 * for) makes it resolve at once.
 */
static void test_registration_negative_cache_and_flush(void **state)
{
	static struct rule rules[] = {
		{"", "~newshop.com.", 0, 0, 0, NULL, "newshop.com. 172800 NS ns-1.sbxdns-01.com.",
		 "ns-1.sbxdns-01.com. 172800 A 127.0.0.4"},
		{HOSTED, "www.newshop.com.", DNS_T_A, AA, 0, "www.newshop.com. 300 A 192.0.2.50"},
	};
	struct net *n = net_new(N(rules));
	struct reply r = resolve(n, "www.newshop.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN);
	reply_free(&r);
	rules[0].servers = GTLD; /* registered: the com zone now delegates it */
	run_until(n, n->now + 600000);
	r = resolve(n, "www.newshop.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NXDOMAIN); /* 300 s left of the 900 */
	reply_free(&r);
	resolver_flush(n->r, wname("newshop.com."), true);
	r = resolve(n, "www.newshop.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "www.newshop.com.", DNS_T_A, "192.0.2.50"));
	reply_free(&r);
	net_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smoke),
		cmocka_unit_test(test_1_1_hints_from_config),
		cmocka_unit_test(test_1_1_builtin_iana_hints),
		cmocka_unit_test(test_1_2_priming_query_first),
		cmocka_unit_test(test_1_3_priming_response_checked),
		cmocka_unit_test(test_1_4_reprime_on_expiry_and_failure),
		cmocka_unit_test(test_2_1_closest_enclosing_delegation),
		cmocka_unit_test(test_2_2_answer_without_aa_is_lame),
		cmocka_unit_test(test_2_2_referral_with_aa),
		cmocka_unit_test(test_2_3_referral_must_go_down),
		cmocka_unit_test(test_2_4_glueless_delegation),
		cmocka_unit_test(test_2_5_dependency_cycle),
		cmocka_unit_test(test_2_6_lame_server_remembered),
		cmocka_unit_test(test_2_7_and_5_6_failures_cached),
		cmocka_unit_test(test_3_1_bailiwick_filter),
		cmocka_unit_test(test_3_2_glue_rules),
		cmocka_unit_test(test_3_2_glue_with_aaaa),
		cmocka_unit_test(test_3_3_trust_ranking),
		cmocka_unit_test(test_3_4_answer_chain_and_bailiwick_restart),
		cmocka_unit_test(test_3_6_rrset_ttl_consistency),
		cmocka_unit_test(test_3_7_unexpected_types_and_bad_rdata),
		cmocka_unit_test(test_4_2_cname_loop_and_limit),
		cmocka_unit_test(test_4_3_cname_to_nxdomain),
		cmocka_unit_test(test_4_4_cname_and_other_data),
		cmocka_unit_test(test_4_5_dname),
		cmocka_unit_test(test_4_6_qname_case_kept),
		cmocka_unit_test(test_5_1_negative_answers_cached),
		cmocka_unit_test(test_5_2_negative_ttl),
		cmocka_unit_test(test_5_3_negative_without_soa_not_cached),
		cmocka_unit_test(test_5_4_cached_negative_soa_ttl_decremented),
		cmocka_unit_test(test_6_1_ttl_counts_down),
		cmocka_unit_test(test_6_2_ttl_capped),
		cmocka_unit_test(test_6_3_ttl_zero_not_cached),
		cmocka_unit_test(test_6_5_chain_expires_with_shortest_ttl),
		cmocka_unit_test(test_7_1_spoofed_replies_dropped),
		cmocka_unit_test(test_7_2_random_query_ids),
		cmocka_unit_test(test_7_4_one_query_in_flight),
		cmocka_unit_test(test_7_6_caps_for_id),
		cmocka_unit_test(test_8_1_qname_minimisation),
		cmocka_unit_test(test_8_3_empty_non_terminal_and_relaxed_fallback),
		cmocka_unit_test(test_9_1_edns_upstream),
		cmocka_unit_test(test_9_2_edns_fallback),
		cmocka_unit_test(test_9_2_edns_fallback_bare_formerr),
		cmocka_unit_test(test_9_3_truncated_retried_over_tcp),
		cmocka_unit_test(test_9_5_client_sizes_and_badvers),
		cmocka_unit_test(test_10_2_selection_within_band),
		cmocka_unit_test(test_10_3_timeout_and_late_reply),
		cmocka_unit_test(test_10_3_send_error_moves_on),
		cmocka_unit_test(test_10_4_local_outage_recovery),
		cmocka_unit_test(test_10_5_client_deadline_and_budget),
		cmocka_unit_test(test_11_1_referral_limit),
		cmocka_unit_test(test_11_1_target_lookups_per_delegation),
		cmocka_unit_test(test_11_2_nxns_bounded),
		cmocka_unit_test(test_11_3_queries_in_progress_capped),
		cmocka_unit_test(test_11_3_jostle),
		cmocka_unit_test(test_7_7_unwanted_reply_threshold),
		cmocka_unit_test(test_11_7_cnames_per_response),
		cmocka_unit_test(test_12_2_header_and_rcodes),
		cmocka_unit_test(test_11_6_any_minimised),
		cmocka_unit_test(test_12_4_rd0_cache_only),
		cmocka_unit_test(test_12_5_malformed_input),
		cmocka_unit_test(test_12_5_mutated_replies),
		cmocka_unit_test(test_12_6_extended_errors),
		cmocka_unit_test(test_15_1_loopback_upstreams_refused),
		cmocka_unit_test(test_15_2_upstream_port),
		cmocka_unit_test(test_1_6_stub_zone),
		cmocka_unit_test(test_2_9_forward_zone),
		cmocka_unit_test(test_13_1_serve_stale),
		cmocka_unit_test(test_13_2_prefetch),
		cmocka_unit_test(test_tiny_cache_still_resolves),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_registration_negative_cache_and_flush),
		cmocka_unit_test(test_3_5_no_ghost_domain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
