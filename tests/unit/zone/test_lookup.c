/*
 * Unit tests for zone/lookup: every branch of zone_find() (RFC 1034 §4.3.2 step 3, RFC 4592),
 * and how zone transactions change what it finds (empty non-terminals, persistence, checks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/log.h"
#include "dns/name.h"
#include "zone/load.h"
#include "zone/lookup.h"
#include "zone/zone.h"

/*
 * One zone with every case: a delegation with glue and a nested (occluded) cut, empty
 * non-terminals, wildcards (with an existing sibling, an ENT below, a wildcard below a
 * wildcard, and an empty wildcard), mixed-case owners.
 */
static const char example_zone[] =
	"$ORIGIN example.com.\n"
	"$TTL 3600\n"
	"@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
	"@ NS ns1\n"
	"ns1 A 192.0.2.53\n"
	"www A 192.0.2.80\n"
	"MiXeD.CaSe A 192.0.2.99\n"
	"a.b.ent A 192.0.2.9\n"
	"*.wild A 192.0.2.100\n"
	"exists.wild A 192.0.2.101\n"
	"host.ent.wild A 192.0.2.102\n"
	"*.w2 TXT \"one\"\n"
	"*.*.w2 TXT \"two\"\n"
	"deep.*.empty A 192.0.2.103\n"
	"sub NS ns.sub\n"
	"sub DS 12345 13 2 "
	"2BB183AF5F22588179A53B0A98631FAD1A292118B0CC2DCF5A2B1C2D3E4F5A6B\n"
	"ns.sub A 192.0.2.201\n"
	"inner.sub NS ns.inner.sub\n"
	"ns.inner.sub A 192.0.2.202\n"
	"x.y.deleg2 NS ns.example.net.\n";

static struct zone_version *ex;

static const uint8_t *name(const char *text)
{
	static uint8_t bufs[8][DNS_NAME_MAXLEN];
	static int i;
	uint8_t *b = bufs[i++ % 8];
	assert_true(dns_name_from_text(text, NULL, b) > 0);
	return b;
}

static int load(const char *text, const char *origin_text, struct zone_version **out)
{
	char err[256] = "";
	*out = NULL;
	return zone_load_string(text, strlen(text), "test", name(origin_text), out, err,
				sizeof(err));
}

static struct zone_version *must_load(const char *text, const char *origin_text)
{
	struct zone_version *v;
	int r = load(text, origin_text, &v);
	if (r != 0)
		fail_msg("zone %s does not load: %s", origin_text, zone_strerror(r));
	return v;
}

static enum zone_match find(const struct zone_version *v, const char *qname,
			    struct zone_find_result *r)
{
	struct zone_qname q;
	zone_qname_init(&q, name(qname));
	memset(r, 0xa5, sizeof(*r)); /* nothing may be left unset */
	return zone_find(v, &q, r);
}

/* The node's owner, compared case-insensitively with `text`. */
static void assert_node(const struct zone_node *n, const char *text)
{
	assert_non_null(n);
	char buf[1024];
	if (!dns_name_equal(zone_node_name(n), name(text))) {
		dns_name_to_text(zone_node_name(n), buf, sizeof(buf));
		fail_msg("node is %s, expected %s", buf, text);
	}
}

static void expect(const struct zone_version *v, const char *qname, enum zone_match m,
		   const char *node, const char *encloser)
{
	struct zone_find_result r;
	enum zone_match got = find(v, qname, &r);
	if (got != m)
		fail_msg("%s: match %d, expected %d", qname, got, m);
	assert_node(r.node, node);
	if (encloser)
		assert_node(r.encloser, encloser);
}

static int group_setup(void **state)
{
	log_set_level(LOG_ERR);
	ex = must_load(example_zone, "example.com.");
	return 0;
}

static int group_teardown(void **state)
{
	zone_version_free(ex);
	return 0;
}

/* ---- zone_find ---------------------------------------------------------------------------- */

static void test_exact(void **state)
{
	struct zone_find_result r;
	assert_int_equal(find(ex, "example.com.", &r), ZONE_MATCH_EXACT);
	assert_ptr_equal(r.node, ex->apex);
	expect(ex, "www.example.com.", ZONE_MATCH_EXACT, "www.example.com.", NULL);
	assert_int_equal(find(ex, "www.example.com.", &r), ZONE_MATCH_EXACT);
	assert_non_null(zone_node_rrset(r.node, DNS_T_A));
	expect(ex, "ns1.example.com.", ZONE_MATCH_EXACT, "ns1.example.com.", NULL);
}

/* The apex owns NS but is not a cut: the walk starts below it. */
static void test_apex_is_not_a_cut(void **state)
{
	struct zone_find_result r;
	assert_int_equal(find(ex, "example.com.", &r), ZONE_MATCH_EXACT);
	assert_non_null(zone_node_rrset(r.node, DNS_T_NS));
}

static void test_exact_empty_non_terminal(void **state)
{
	struct zone_find_result r;
	assert_int_equal(find(ex, "ent.example.com.", &r), ZONE_MATCH_EXACT);
	assert_node(r.node, "ent.example.com.");
	assert_int_equal(r.node->nrrsets, 0);
	assert_int_equal(r.node->children, 1);
	assert_int_equal(find(ex, "b.ent.example.com.", &r), ZONE_MATCH_EXACT);
	assert_int_equal(r.node->nrrsets, 0);
	assert_int_equal(r.node->children, 1);
	expect(ex, "a.b.ent.example.com.", ZONE_MATCH_EXACT, "a.b.ent.example.com.", NULL);
	/* "mixed.case" made "case" an ENT too. */
	assert_int_equal(find(ex, "case.example.com.", &r), ZONE_MATCH_EXACT);
	assert_int_equal(r.node->nrrsets, 0);
}

static void test_delegation(void **state)
{
	struct zone_find_result r;
	/* At the cut, for any type: the caller answers DS from the parent side. */
	expect(ex, "sub.example.com.", ZONE_MATCH_DELEGATION, "sub.example.com.", NULL);
	assert_int_equal(find(ex, "sub.example.com.", &r), ZONE_MATCH_DELEGATION);
	assert_non_null(zone_node_rrset(r.node, DNS_T_NS));
	assert_non_null(zone_node_rrset(r.node, DNS_T_DS));
	/* Below the cut: glue that exists, names that do not, far below. */
	expect(ex, "ns.sub.example.com.", ZONE_MATCH_DELEGATION, "sub.example.com.", NULL);
	expect(ex, "nothere.sub.example.com.", ZONE_MATCH_DELEGATION, "sub.example.com.", NULL);
	expect(ex, "a.b.c.d.e.sub.example.com.", ZONE_MATCH_DELEGATION, "sub.example.com.", NULL);
	/* A cut below an empty non-terminal. */
	expect(ex, "x.y.deleg2.example.com.", ZONE_MATCH_DELEGATION, "x.y.deleg2.example.com.",
	       NULL);
	expect(ex, "www.x.y.deleg2.example.com.", ZONE_MATCH_DELEGATION, "x.y.deleg2.example.com.",
	       NULL);
	expect(ex, "y.deleg2.example.com.", ZONE_MATCH_EXACT, "y.deleg2.example.com.", NULL);
	expect(ex, "z.y.deleg2.example.com.", ZONE_MATCH_NXDOMAIN, "y.deleg2.example.com.",
	       "y.deleg2.example.com.");
}

/* inner.sub has NS of its own, but sub is higher: the highest cut wins. */
static void test_delegation_highest_cut_wins(void **state)
{
	expect(ex, "inner.sub.example.com.", ZONE_MATCH_DELEGATION, "sub.example.com.", NULL);
	expect(ex, "ns.inner.sub.example.com.", ZONE_MATCH_DELEGATION, "sub.example.com.", NULL);
	expect(ex, "x.inner.sub.example.com.", ZONE_MATCH_DELEGATION, "sub.example.com.", NULL);
}

static void test_wildcard(void **state)
{
	struct zone_find_result r;
	assert_int_equal(find(ex, "foo.wild.example.com.", &r), ZONE_MATCH_WILDCARD);
	assert_node(r.node, "*.wild.example.com.");
	assert_node(r.encloser, "wild.example.com.");
	assert_non_null(zone_node_rrset(r.node, DNS_T_A));
	/* Any number of labels whose closest encloser is "wild" (RFC 4592 §3.3.1). */
	expect(ex, "a.b.c.wild.example.com.", ZONE_MATCH_WILDCARD, "*.wild.example.com.",
	       "wild.example.com.");
	/* The wildcard queried by its own name is an ordinary exact match. */
	expect(ex, "*.wild.example.com.", ZONE_MATCH_EXACT, "*.wild.example.com.", NULL);
}

/* RFC 4592 §2.2.1: a name that exists, or has descendants, blocks the wildcard. */
static void test_wildcard_not_for_existing_names(void **state)
{
	expect(ex, "exists.wild.example.com.", ZONE_MATCH_EXACT, "exists.wild.example.com.", NULL);
	/* Below an existing name the closest encloser is that name, which has no wildcard. */
	expect(ex, "x.exists.wild.example.com.", ZONE_MATCH_NXDOMAIN, "exists.wild.example.com.",
	       "exists.wild.example.com.");
	/* An empty non-terminal exists too: NODATA there, NXDOMAIN below. */
	struct zone_find_result r;
	assert_int_equal(find(ex, "ent.wild.example.com.", &r), ZONE_MATCH_EXACT);
	assert_node(r.node, "ent.wild.example.com.");
	assert_int_equal(r.node->nrrsets, 0);
	expect(ex, "x.ent.wild.example.com.", ZONE_MATCH_NXDOMAIN, "ent.wild.example.com.",
	       "ent.wild.example.com.");
	expect(ex, "host.ent.wild.example.com.", ZONE_MATCH_EXACT, "host.ent.wild.example.com.",
	       NULL);
}

/* "*.*.w2": a wildcard whose parent is itself a wildcard (RFC 4592 §2.1.1 allows it). */
static void test_wildcard_below_wildcard(void **state)
{
	/* Closest encloser w2: "*.w2" is the source, not "*.*.w2". */
	expect(ex, "x.w2.example.com.", ZONE_MATCH_WILDCARD, "*.w2.example.com.",
	       "w2.example.com.");
	expect(ex, "x.y.w2.example.com.", ZONE_MATCH_WILDCARD, "*.w2.example.com.",
	       "w2.example.com.");
	/* "*.w2" exists, so below it the closest encloser is "*.w2" and its wildcard applies. */
	expect(ex, "x.*.w2.example.com.", ZONE_MATCH_WILDCARD, "*.*.w2.example.com.",
	       "*.w2.example.com.");
	expect(ex, "*.*.w2.example.com.", ZONE_MATCH_EXACT, "*.*.w2.example.com.", NULL);
	/* Below "*.wild" there is no "*.*.wild": NXDOMAIN, not the wildcard again. */
	expect(ex, "x.*.wild.example.com.", ZONE_MATCH_NXDOMAIN, "*.wild.example.com.",
	       "*.wild.example.com.");
}

/* "*.empty" exists only as an empty non-terminal: it still matches, with no RRsets. */
static void test_wildcard_empty(void **state)
{
	struct zone_find_result r;
	assert_int_equal(find(ex, "foo.empty.example.com.", &r), ZONE_MATCH_WILDCARD);
	assert_node(r.node, "*.empty.example.com.");
	assert_node(r.encloser, "empty.example.com.");
	assert_int_equal(r.node->nrrsets, 0);
}

static void test_nxdomain(void **state)
{
	expect(ex, "nothere.example.com.", ZONE_MATCH_NXDOMAIN, "example.com.", "example.com.");
	expect(ex, "a.b.nothere.example.com.", ZONE_MATCH_NXDOMAIN, "example.com.", "example.com.");
	expect(ex, "x.www.example.com.", ZONE_MATCH_NXDOMAIN, "www.example.com.",
	       "www.example.com.");
	expect(ex, "x.y.www.example.com.", ZONE_MATCH_NXDOMAIN, "www.example.com.",
	       "www.example.com.");
	expect(ex, "x.ent.example.com.", ZONE_MATCH_NXDOMAIN, "ent.example.com.",
	       "ent.example.com.");
	expect(ex, "x.b.ent.example.com.", ZONE_MATCH_NXDOMAIN, "b.ent.example.com.",
	       "b.ent.example.com.");
	expect(ex, "x.a.b.ent.example.com.", ZONE_MATCH_NXDOMAIN, "a.b.ent.example.com.",
	       "a.b.ent.example.com.");
	/* Names that share a suffix of octets but not of labels. */
	expect(ex, "xwww.example.com.", ZONE_MATCH_NXDOMAIN, "example.com.", "example.com.");
	expect(ex, "ww.example.com.", ZONE_MATCH_NXDOMAIN, "example.com.", "example.com.");
	/* The encloser of a NXDOMAIN is the node. */
	struct zone_find_result r;
	assert_int_equal(find(ex, "x.www.example.com.", &r), ZONE_MATCH_NXDOMAIN);
	assert_ptr_equal(r.node, r.encloser);
}

/* RFC 4343: the query's case does not matter, nor does the zone file's. */
static void test_case_insensitive(void **state)
{
	expect(ex, "WWW.EXAMPLE.COM.", ZONE_MATCH_EXACT, "www.example.com.", NULL);
	expect(ex, "wWw.ExAmPlE.cOm.", ZONE_MATCH_EXACT, "www.example.com.", NULL);
	expect(ex, "mixed.case.example.com.", ZONE_MATCH_EXACT, "mixed.case.example.com.", NULL);
	expect(ex, "MIXED.CASE.EXAMPLE.COM.", ZONE_MATCH_EXACT, "mixed.case.example.com.", NULL);
	expect(ex, "FOO.WILD.example.com.", ZONE_MATCH_WILDCARD, "*.wild.example.com.",
	       "wild.example.com.");
	expect(ex, "EXISTS.Wild.Example.Com.", ZONE_MATCH_EXACT, "exists.wild.example.com.", NULL);
	expect(ex, "Host.SUB.example.COM.", ZONE_MATCH_DELEGATION, "sub.example.com.", NULL);
	expect(ex, "NotHere.Example.Com.", ZONE_MATCH_NXDOMAIN, "example.com.", "example.com.");
	/* Nodes are stored in lower case. */
	struct zone_find_result r;
	assert_int_equal(find(ex, "MiXeD.CaSe.example.com.", &r), ZONE_MATCH_EXACT);
	assert_memory_equal(zone_node_name(r.node), name("mixed.case.example.com."),
			    r.node->name_len);
}

/* A zone origin in upper case is the same zone. */
static void test_origin_case(void **state)
{
	struct zone_version *v = must_load("@ 3600 SOA ns hm 1 2 3 4 5\n"
					   "@ 3600 NS ns\n"
					   "www 3600 A 192.0.2.1\n",
					   "EXAMPLE.ORG.");
	expect(v, "www.example.org.", ZONE_MATCH_EXACT, "www.example.org.", NULL);
	expect(v, "WWW.Example.Org.", ZONE_MATCH_EXACT, "www.example.org.", NULL);
	expect(v, "x.Example.Org.", ZONE_MATCH_NXDOMAIN, "example.org.", "example.org.");
	zone_version_free(v);
}

static const char root_zone[] = "$TTL 86400\n"
				". SOA a.root-servers.net. nstld.verisign-grs.com. 1 1800 900 "
				"604800 86400\n"
				". NS a.root-servers.net.\n"
				"com. NS a.gtld-servers.net.\n"
				"net. NS a.gtld-servers.net.\n"
				"a.gtld-servers.net. A 192.5.6.30\n"
				"a.root-servers.net. A 198.41.0.4\n"
				"arpa. NS a.root-servers.net.\n"
				"test. TXT \"not delegated\"\n";

static void test_root_zone(void **state)
{
	struct zone_version *v = must_load(root_zone, ".");
	assert_int_equal(v->origin_labels, 0);
	struct zone_find_result r;
	assert_int_equal(find(v, ".", &r), ZONE_MATCH_EXACT);
	assert_ptr_equal(r.node, v->apex);
	expect(v, "com.", ZONE_MATCH_DELEGATION, "com.", NULL);
	expect(v, "www.example.com.", ZONE_MATCH_DELEGATION, "com.", NULL);
	expect(v, "WWW.EXAMPLE.COM.", ZONE_MATCH_DELEGATION, "com.", NULL);
	/* net is cut above its glue. */
	expect(v, "a.gtld-servers.net.", ZONE_MATCH_DELEGATION, "net.", NULL);
	expect(v, "test.", ZONE_MATCH_EXACT, "test.", NULL);
	expect(v, "nothere.", ZONE_MATCH_NXDOMAIN, ".", ".");
	expect(v, "x.test.", ZONE_MATCH_NXDOMAIN, "test.", "test.");
	/* Root servers' names sit below root-servers.net, which is below the net cut. */
	expect(v, "root-servers.net.", ZONE_MATCH_DELEGATION, "net.", NULL);
	zone_version_free(v);
}

/* A wildcard owned by the root's child: "*." matches every missing TLD. */
static void test_root_zone_wildcard(void **state)
{
	struct zone_version *v = must_load(". 60 SOA a. b. 1 2 3 4 5\n"
					   ". 60 NS a.\n"
					   "a. 60 A 192.0.2.1\n"
					   "*. 60 TXT \"any\"\n",
					   ".");
	expect(v, "nothere.", ZONE_MATCH_WILDCARD, "*.", ".");
	expect(v, "x.y.nothere.", ZONE_MATCH_WILDCARD, "*.", ".");
	expect(v, "a.", ZONE_MATCH_EXACT, "a.", NULL);
	expect(v, "x.a.", ZONE_MATCH_NXDOMAIN, "a.", "a.");
	zone_version_free(v);
}

/* Names of 127 labels, the most a name can have (RFC 1035 §2.3.4: 255 octets). */
static void test_longest_names(void **state)
{
	uint8_t qn[DNS_NAME_MAXLEN];
	size_t n = 0;
	for (int i = 0; i < 127; i++) {
		qn[n++] = 1;
		qn[n++] = 'a';
	}
	qn[n++] = 0;
	struct zone_version *v = must_load(". 60 SOA a. b. 1 2 3 4 5\n"
					   ". 60 NS a.\n"
					   "a. 60 A 192.0.2.1\n",
					   ".");
	struct zone_qname q;
	zone_qname_init(&q, qn);
	assert_int_equal(q.labels, 127);
	struct zone_find_result r;
	/* a. exists, a.a. does not: the encloser is a. and "*.a." is absent. */
	assert_int_equal(zone_find(v, &q, &r), ZONE_MATCH_NXDOMAIN);
	assert_node(r.encloser, "a.");
	zone_version_free(v);
}

/* ---- transactions, as lookups see them ---------------------------------------------------- */

static size_t soa_rdata(uint8_t *rd, uint32_t serial, uint32_t minimum)
{
	size_t n = 0;
	memcpy(rd, "\003ns1\007example\003com\000", 17);
	n += 17;
	memcpy(rd + n, "\002hm\007example\003com\000", 16);
	n += 16;
	uint32_t v[5] = {serial, 7200, 3600, 1209600, minimum};
	for (int i = 0; i < 5; i++) {
		rd[n++] = (uint8_t)(v[i] >> 24);
		rd[n++] = (uint8_t)(v[i] >> 16);
		rd[n++] = (uint8_t)(v[i] >> 8);
		rd[n++] = (uint8_t)v[i];
	}
	return n;
}

static const uint8_t a_rd[4] = {192, 0, 2, 1}, a2_rd[4] = {192, 0, 2, 2};

static void add(struct zone_txn *t, const char *owner, uint16_t type, const void *rd, size_t len)
{
	int r = zone_txn_add(t, name(owner), type, 3600, rd, (uint16_t)len);
	if (r != 0)
		fail_msg("adding %s type %u: %s", owner, type, zone_strerror(r));
}

static void del(struct zone_txn *t, const char *owner, uint16_t type, const void *rd, size_t len)
{
	int r = zone_txn_del(t, name(owner), type, rd, (uint16_t)len);
	if (r != 0)
		fail_msg("deleting %s type %u: %s", owner, type, zone_strerror(r));
}

/* Frees a base and the version committed from it, as a zone_db would once both retire. */
static void free_both(struct zone_version *base, struct zone_version *v)
{
	zone_version_retire(base, v);
	zone_version_free(v);
}

static uint32_t children(const struct zone_txn *t, const char *owner)
{
	const struct zone_node *n = zone_txn_get(t, name(owner));
	assert_non_null(n);
	return n->children;
}

static void test_txn_ent_appear_and_disappear(void **state)
{
	struct zone_version *base = must_load(example_zone, "example.com.");
	struct zone_txn *t;
	assert_int_equal(zone_txn_begin(base, NULL, &t), 0);
	uint32_t apex_children = children(t, "example.com.");

	add(t, "a.b.c.new.example.com.", DNS_T_A, a_rd, 4);
	assert_int_equal(children(t, "example.com."), apex_children + 1);
	assert_int_equal(children(t, "new.example.com."), 1);
	assert_int_equal(children(t, "c.new.example.com."), 1);
	assert_int_equal(children(t, "b.c.new.example.com."), 1);
	assert_int_equal(children(t, "a.b.c.new.example.com."), 0);
	assert_int_equal(zone_txn_get(t, name("c.new.example.com."))->nrrsets, 0);

	add(t, "x.c.new.example.com.", DNS_T_A, a_rd, 4);
	assert_int_equal(children(t, "c.new.example.com."), 2);
	assert_int_equal(children(t, "new.example.com."), 1);
	/* Data at an ENT makes it an ordinary node; its children stay. */
	add(t, "c.new.example.com.", DNS_T_A, a2_rd, 4);
	assert_int_equal(children(t, "c.new.example.com."), 2);

	/* Deleting the deepest record removes it and the ENT above it, no more. */
	del(t, "a.b.c.new.example.com.", DNS_T_A, a_rd, 4);
	assert_null(zone_txn_get(t, name("a.b.c.new.example.com.")));
	assert_null(zone_txn_get(t, name("b.c.new.example.com.")));
	assert_int_equal(children(t, "c.new.example.com."), 1);
	del(t, "x.c.new.example.com.", DNS_T_A, a_rd, 4);
	assert_int_equal(children(t, "c.new.example.com."), 0);
	assert_int_equal(children(t, "new.example.com."), 1);
	/* The last record goes: c.new and the ENT new go with it. */
	del(t, "c.new.example.com.", DNS_T_A, a2_rd, 4);
	assert_null(zone_txn_get(t, name("c.new.example.com.")));
	assert_null(zone_txn_get(t, name("new.example.com.")));
	assert_int_equal(children(t, "example.com."), apex_children);

	/* Records deleted via del_rrset prune the same way. */
	add(t, "q.p.example.com.", DNS_T_A, a_rd, 4);
	add(t, "q.p.example.com.", DNS_T_A, a2_rd, 4);
	assert_int_equal(zone_txn_del_rrset(t, name("Q.P.example.com."), DNS_T_A), 0);
	assert_null(zone_txn_get(t, name("p.example.com.")));
	assert_int_equal(children(t, "example.com."), apex_children);

	struct zone_version *v;
	assert_int_equal(zone_txn_commit(t, &v), 0);
	expect(v, "new.example.com.", ZONE_MATCH_NXDOMAIN, "example.com.", "example.com.");
	expect(v, "p.example.com.", ZONE_MATCH_NXDOMAIN, "example.com.", "example.com.");
	assert_int_equal(v->nnodes, base->nnodes);
	assert_int_equal(v->nrecords, base->nrecords);
	expect(base, "www.example.com.", ZONE_MATCH_EXACT, "www.example.com.", NULL);
	free_both(base, v);
}

/* Deleting a record that leaves a node with children keeps it, as an ENT. */
static void test_txn_node_with_children_becomes_ent(void **state)
{
	struct zone_version *base = must_load(example_zone, "example.com.");
	struct zone_txn *t;
	assert_int_equal(zone_txn_begin(base, NULL, &t), 0);
	add(t, "www.b.ent.example.com.", DNS_T_A, a_rd, 4);
	assert_int_equal(children(t, "b.ent.example.com."), 2);
	/* a.b.ent loses its only record but it has no children: gone. b.ent stays. */
	del(t, "a.b.ent.example.com.", DNS_T_A, (const uint8_t[]){192, 0, 2, 9}, 4);
	assert_null(zone_txn_get(t, name("a.b.ent.example.com.")));
	assert_int_equal(children(t, "b.ent.example.com."), 1);
	/* www loses its only record but keeps a child: it stays, as an empty non-terminal. */
	add(t, "x.www.example.com.", DNS_T_A, a_rd, 4);
	del(t, "www.example.com.", DNS_T_A, (const uint8_t[]){192, 0, 2, 80}, 4);
	const struct zone_node *www = zone_txn_get(t, name("www.example.com."));
	assert_non_null(www);
	assert_int_equal(www->nrrsets, 0);
	assert_int_equal(www->children, 1);
	struct zone_version *v;
	assert_int_equal(zone_txn_commit(t, &v), 0);
	struct zone_find_result r;
	assert_int_equal(find(v, "www.example.com.", &r), ZONE_MATCH_EXACT);
	assert_int_equal(r.node->nrrsets, 0);
	expect(v, "y.www.example.com.", ZONE_MATCH_NXDOMAIN, "www.example.com.",
	       "www.example.com.");
	expect(v, "a.b.ent.example.com.", ZONE_MATCH_NXDOMAIN, "b.ent.example.com.",
	       "b.ent.example.com.");
	expect(v, "www.b.ent.example.com.", ZONE_MATCH_EXACT, "www.b.ent.example.com.", NULL);
	/* The base still has a.b.ent and not www.b.ent. */
	expect(base, "a.b.ent.example.com.", ZONE_MATCH_EXACT, "a.b.ent.example.com.", NULL);
	expect(base, "www.b.ent.example.com.", ZONE_MATCH_NXDOMAIN, "b.ent.example.com.",
	       "b.ent.example.com.");
	free_both(base, v);
}

/* A version built from a base shares its nodes; the base must answer exactly as before. */
static void test_txn_persistence(void **state)
{
	struct zone_version *base = must_load(example_zone, "example.com.");
	struct zone_txn *t;
	assert_int_equal(zone_txn_begin(base, NULL, &t), 0);
	del(t, "www.example.com.", DNS_T_A, (const uint8_t[]){192, 0, 2, 80}, 4);
	add(t, "ns1.example.com.", DNS_T_A, a2_rd, 4);
	assert_int_equal(zone_txn_del_rrset(t, name("sub.example.com."), DNS_T_NS), 0);
	del(t, "*.wild.example.com.", DNS_T_A, (const uint8_t[]){192, 0, 2, 100}, 4);
	add(t, "brand.new.example.com.", DNS_T_A, a_rd, 4);

	/* While the transaction is open the base does not see it. */
	expect(base, "www.example.com.", ZONE_MATCH_EXACT, "www.example.com.", NULL);
	expect(base, "brand.new.example.com.", ZONE_MATCH_NXDOMAIN, "example.com.", "example.com.");

	struct zone_version *v;
	assert_int_equal(zone_txn_commit(t, &v), 0);
	assert_int_equal(v->serial_seq, base->serial_seq + 1);

	/* The new version. */
	expect(v, "www.example.com.", ZONE_MATCH_NXDOMAIN, "example.com.", "example.com.");
	struct zone_find_result r;
	assert_int_equal(find(v, "ns1.example.com.", &r), ZONE_MATCH_EXACT);
	assert_int_equal(zone_node_rrset(r.node, DNS_T_A)->count, 2);
	/* Without its NS, sub is no cut: its DS and the glue below are ordinary data. */
	expect(v, "sub.example.com.", ZONE_MATCH_EXACT, "sub.example.com.", NULL);
	expect(v, "ns.sub.example.com.", ZONE_MATCH_EXACT, "ns.sub.example.com.", NULL);
	/* ...and inner.sub, hidden before, is now the highest cut. */
	expect(v, "x.inner.sub.example.com.", ZONE_MATCH_DELEGATION, "inner.sub.example.com.",
	       NULL);
	expect(v, "foo.wild.example.com.", ZONE_MATCH_NXDOMAIN, "wild.example.com.",
	       "wild.example.com.");
	expect(v, "brand.new.example.com.", ZONE_MATCH_EXACT, "brand.new.example.com.", NULL);
	assert_ptr_not_equal(v->apex, base->apex); /* the apex gained a child */

	/* The base, unchanged in every respect. */
	assert_int_equal(find(base, "www.example.com.", &r), ZONE_MATCH_EXACT);
	assert_int_equal(zone_node_rrset(r.node, DNS_T_A)->count, 1);
	assert_memory_equal(zone_rrset_data(r.node, zone_node_rrset(r.node, DNS_T_A)),
			    "\000\004\300\000\002\120", 6);
	assert_int_equal(find(base, "ns1.example.com.", &r), ZONE_MATCH_EXACT);
	assert_int_equal(zone_node_rrset(r.node, DNS_T_A)->count, 1);
	expect(base, "sub.example.com.", ZONE_MATCH_DELEGATION, "sub.example.com.", NULL);
	expect(base, "x.inner.sub.example.com.", ZONE_MATCH_DELEGATION, "sub.example.com.", NULL);
	expect(base, "foo.wild.example.com.", ZONE_MATCH_WILDCARD, "*.wild.example.com.",
	       "wild.example.com.");
	expect(base, "new.example.com.", ZONE_MATCH_NXDOMAIN, "example.com.", "example.com.");

	/* A third version on top of the second; then the first retires. */
	assert_int_equal(zone_txn_begin(v, NULL, &t), 0);
	add(t, "www.example.com.", DNS_T_A, a_rd, 4);
	struct zone_version *v3;
	assert_int_equal(zone_txn_commit(t, &v3), 0);
	expect(v3, "www.example.com.", ZONE_MATCH_EXACT, "www.example.com.", NULL);
	expect(v, "www.example.com.", ZONE_MATCH_NXDOMAIN, "example.com.", "example.com.");
	zone_version_retire(base, v);
	expect(v, "brand.new.example.com.", ZONE_MATCH_EXACT, "brand.new.example.com.", NULL);
	expect(v3, "brand.new.example.com.", ZONE_MATCH_EXACT, "brand.new.example.com.", NULL);
	expect(v3, "sub.example.com.", ZONE_MATCH_EXACT, "sub.example.com.", NULL);
	free_both(v, v3);
}

/* An aborted transaction leaves the base as it was. */
static void test_txn_abort(void **state)
{
	struct zone_version *base = must_load(example_zone, "example.com.");
	struct zone_txn *t;
	assert_int_equal(zone_txn_begin(base, NULL, &t), 0);
	del(t, "www.example.com.", DNS_T_A, (const uint8_t[]){192, 0, 2, 80}, 4);
	add(t, "x.y.z.example.com.", DNS_T_A, a_rd, 4);
	zone_txn_abort(t);
	expect(base, "www.example.com.", ZONE_MATCH_EXACT, "www.example.com.", NULL);
	expect(base, "z.example.com.", ZONE_MATCH_NXDOMAIN, "example.com.", "example.com.");
	zone_version_free(base);
}

static struct zone_txn *apex_txn(void)
{
	struct zone_txn *t;
	assert_int_equal(zone_txn_begin(NULL, name("example.com."), &t), 0);
	uint8_t rd[64];
	size_t l = soa_rdata(rd, 1, 300);
	add(t, "example.com.", DNS_T_SOA, rd, l);
	add(t, "example.com.", DNS_T_NS, "\003ns1\007example\003com\000", 17);
	return t;
}

static const uint8_t www_rd[] = "\003www\007example\003com";   /* + the final 0 */
static const uint8_t mail_rd[] = "\004mail\007example\003com"; /* + the final 0 */

/* RFC 1034 §3.6.2, RFC 2181 §10.1: a CNAME owner has no other data. */
static void test_txn_cname_exclusive(void **state)
{
	struct zone_txn *t = apex_txn();
	add(t, "www.example.com.", DNS_T_A, a_rd, 4);
	add(t, "alias.example.com.", DNS_T_CNAME, www_rd, sizeof(www_rd));
	assert_int_equal(zone_txn_add(t, name("www.example.com."), DNS_T_CNAME, 3600, mail_rd,
				      sizeof(mail_rd)),
			 ZONE_ECNAME);
	assert_int_equal(zone_txn_add(t, name("alias.example.com."), DNS_T_A, 3600, a_rd, 4),
			 ZONE_ECNAME);
	assert_int_equal(zone_txn_add(t, name("ALIAS.example.com."), DNS_T_TXT, 3600,
				      (const uint8_t *)"\001x", 2),
			 ZONE_ECNAME);
	assert_int_equal(zone_txn_add(t, name("alias.example.com."), DNS_T_CNAME, 3600, mail_rd,
				      sizeof(mail_rd)),
			 ZONE_ECNAME_MULTI);
	/* The same CNAME again is the same record (RFC 2181 §5). */
	assert_int_equal(zone_txn_add(t, name("Alias.Example.Com."), DNS_T_CNAME, 3600, www_rd,
				      sizeof(www_rd)),
			 0);
	assert_int_equal(
		zone_txn_add(t, name("example.com."), DNS_T_CNAME, 3600, www_rd, sizeof(www_rd)),
		ZONE_ECNAME);
	/* A refused add changes nothing. */
	const struct zone_node *n = zone_txn_get(t, name("alias.example.com."));
	assert_int_equal(n->nrrsets, 1);
	assert_int_equal(zone_node_rrset(n, DNS_T_CNAME)->count, 1);
	/* Once the CNAME is gone, other data may come. */
	del(t, "alias.example.com.", DNS_T_CNAME, www_rd, sizeof(www_rd));
	add(t, "alias.example.com.", DNS_T_A, a_rd, 4);
	zone_txn_abort(t);

	struct zone_version *v;
	assert_true(load("$ORIGIN example.com.\n@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\n"
			 "x 60 A 192.0.2.1\nx 60 CNAME www\n",
			 "example.com.", &v) < 0);
	assert_null(v);
}

static void test_txn_outside_zone(void **state)
{
	struct zone_txn *t = apex_txn();
	static const char *outside[] = {"www.example.net.",  "com.",        ".", "xexample.com.",
					"example.com.evil.", "example.org."};
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		int r = zone_txn_add(t, name(outside[i]), DNS_T_A, 3600, a_rd, 4);
		if (r != ZONE_EOUTSIDE)
			fail_msg("%s: %d, expected ZONE_EOUTSIDE", outside[i], r);
	}
	add(t, "WWW.EXAMPLE.COM.", DNS_T_A, a_rd, 4);
	assert_int_equal(zone_txn_del(t, name("www.example.net."), DNS_T_A, a_rd, 4),
			 ZONE_ENOTFOUND);
	struct zone_version *v;
	assert_int_equal(zone_txn_commit(t, &v), 0);
	expect(v, "www.example.com.", ZONE_MATCH_EXACT, "www.example.com.", NULL);
	zone_version_free(v);

	assert_true(load("$ORIGIN example.com.\n@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\n"
			 "www.example.net. 60 A 192.0.2.1\n",
			 "example.com.", &v) < 0);
	assert_null(v);
}

static void test_txn_commit_needs_soa_and_ns(void **state)
{
	struct zone_txn *t;
	struct zone_version *v = NULL;
	uint8_t soa[64];
	size_t soa_len = soa_rdata(soa, 1, 300);
	static const uint8_t ns[] = "\003ns1\007example\003com";

	assert_int_equal(zone_txn_begin(NULL, name("example.com."), &t), 0);
	assert_int_equal(zone_txn_commit(t, &v), ZONE_ENOSOA);
	add(t, "example.com.", DNS_T_NS, ns, sizeof(ns));
	add(t, "www.example.com.", DNS_T_A, a_rd, 4);
	assert_int_equal(zone_txn_commit(t, &v), ZONE_ENOSOA);
	add(t, "example.com.", DNS_T_SOA, soa, soa_len);
	assert_int_equal(zone_txn_commit(t, &v), 0);
	assert_int_equal(zone_version_serial(v), 1);
	assert_ptr_equal(v->apex, zone_version_get(v, name("example.com.")));

	/* From a good base: without the apex NS, or the SOA, the commit fails; abort. */
	assert_int_equal(zone_txn_begin(v, NULL, &t), 0);
	assert_int_equal(zone_txn_del_rrset(t, name("example.com."), DNS_T_NS), 0);
	add(t, "sub.example.com.", DNS_T_NS, ns, sizeof(ns)); /* NS below the apex is no help */
	struct zone_version *bad = NULL;
	assert_int_equal(zone_txn_commit(t, &bad), ZONE_ENONS);
	zone_txn_abort(t);
	assert_int_equal(zone_txn_begin(v, NULL, &t), 0);
	del(t, "example.com.", DNS_T_SOA, soa, soa_len);
	assert_int_equal(zone_txn_commit(t, &bad), ZONE_ENOSOA);
	zone_txn_abort(t);
	assert_null(bad);
	/* The base is intact after both aborts. */
	struct zone_find_result r;
	assert_int_equal(find(v, "example.com.", &r), ZONE_MATCH_EXACT);
	assert_non_null(zone_node_rrset(r.node, DNS_T_SOA));
	assert_non_null(zone_node_rrset(r.node, DNS_T_NS));
	zone_version_free(v);

	assert_int_equal(zone_txn_begin(NULL, name("example.com."), &t), 0);
	add(t, "example.com.", DNS_T_SOA, soa, soa_len);
	assert_int_equal(zone_txn_commit(t, &v), ZONE_ENONS);
	zone_txn_abort(t);

	assert_true(load("$ORIGIN example.com.\n@ 60 NS ns\nns 60 A 192.0.2.1\n", "example.com.",
			 &v) < 0);
	assert_true(load("$ORIGIN example.com.\n@ 60 SOA ns hm 1 2 3 4 5\n", "example.com.", &v) <
		    0);
}

static void test_txn_other_checks(void **state)
{
	struct zone_txn *t = apex_txn();
	uint8_t soa[64];
	size_t soa_len = soa_rdata(soa, 2, 300);
	assert_int_equal(
		zone_txn_add(t, name("www.example.com."), DNS_T_SOA, 3600, soa, (uint16_t)soa_len),
		ZONE_ESOA_NOT_APEX);
	assert_int_equal(
		zone_txn_add(t, name("example.com."), DNS_T_SOA, 3600, soa, (uint16_t)soa_len),
		ZONE_EMULTI_SOA);
	static const uint16_t meta[] = {DNS_T_ANY, DNS_T_OPT, DNS_T_AXFR, DNS_T_IXFR, 0};
	for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
		assert_int_equal(zone_txn_add(t, name("www.example.com."), meta[i], 3600, a_rd, 4),
				 ZONE_ETYPE);
	assert_int_equal(zone_txn_add(t, name("www.example.com."), DNS_T_A, 3600, a_rd, 3),
			 ZONE_ERDATA);
	assert_int_equal(zone_txn_add(t, name("www.example.com."), DNS_T_NS, 3600,
				      (const uint8_t *)"\003ns", 3),
			 ZONE_ERDATA);
	/* None of them left a node behind. */
	assert_null(zone_txn_get(t, name("www.example.com.")));

	/* Deleting what is not there. */
	add(t, "www.example.com.", DNS_T_A, a_rd, 4);
	assert_int_equal(zone_txn_del(t, name("www.example.com."), DNS_T_A, a2_rd, 4),
			 ZONE_ENOTFOUND);
	assert_int_equal(zone_txn_del(t, name("www.example.com."), DNS_T_AAAA, a_rd, 4),
			 ZONE_ENOTFOUND);
	assert_int_equal(zone_txn_del(t, name("nothere.example.com."), DNS_T_A, a_rd, 4),
			 ZONE_ENOTFOUND);
	assert_int_equal(zone_txn_del_rrset(t, name("www.example.com."), DNS_T_TXT),
			 ZONE_ENOTFOUND);
	assert_int_equal(zone_txn_del_rrset(t, name("x.www.example.com."), DNS_T_A),
			 ZONE_ENOTFOUND);
	/* Deleting from an ENT is not-found, and leaves the ENT. */
	add(t, "a.b.example.com.", DNS_T_A, a_rd, 4);
	assert_int_equal(zone_txn_del_rrset(t, name("b.example.com."), DNS_T_A), ZONE_ENOTFOUND);
	assert_non_null(zone_txn_get(t, name("b.example.com.")));
	zone_txn_abort(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_apex_is_not_a_cut),
		cmocka_unit_test(test_exact_empty_non_terminal),
		cmocka_unit_test(test_delegation),
		cmocka_unit_test(test_delegation_highest_cut_wins),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_wildcard_not_for_existing_names),
		cmocka_unit_test(test_wildcard_below_wildcard),
		cmocka_unit_test(test_wildcard_empty),
		cmocka_unit_test(test_nxdomain),
		cmocka_unit_test(test_case_insensitive),
		cmocka_unit_test(test_origin_case),
		cmocka_unit_test(test_root_zone),
		cmocka_unit_test(test_root_zone_wildcard),
		cmocka_unit_test(test_longest_names),
		cmocka_unit_test(test_txn_ent_appear_and_disappear),
		cmocka_unit_test(test_txn_node_with_children_becomes_ent),
		cmocka_unit_test(test_txn_persistence),
		cmocka_unit_test(test_txn_abort),
		cmocka_unit_test(test_txn_cname_exclusive),
		cmocka_unit_test(test_txn_outside_zone),
		cmocka_unit_test(test_txn_commit_needs_soa_and_ns),
		cmocka_unit_test(test_txn_other_checks),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
