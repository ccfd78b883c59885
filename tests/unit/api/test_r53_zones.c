/*
 * tests/unit/api/test_r53_zones.c - api/r53_zones.c: hosted zones (create, get, delete,
 * comment, both lists, count), change records, tags, reusable delegation sets and limits,
 * each error with Route 53's code, status and message (route53-api.md §2), and that
 * everything survives close and reopen. Links the real engine: records, names and store.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/r53_internal.h"
#include "dns/consts.h"

static char tmpdir[256];
static struct zone_db *db;
static struct r53 *eng;
static struct r53_error err;

static const char *const test_ns[R53_NS_COUNT] = {
	"ns-1.example-dns.com.",
	"ns-2.example-dns.net",
	"ns-3.example-dns.org",
	"ns-4.example-dns.co.uk",
};

static void open_engine(uint32_t max_zones)
{
	struct r53_config cfg = {0};
	cfg.data_dir = tmpdir;
	cfg.db = db;
	for (int i = 0; i < R53_NS_COUNT; i++)
		cfg.name_servers[i] = test_ns[i];
	cfg.max_zones = max_zones;
	assert_int_equal(r53_open(&cfg, &eng, &err), 0);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/signpost-test-zones-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	db = zone_db_new();
	assert_non_null(db);
	memset(&err, 0, sizeof err);
	open_engine(0);
	return 0;
}

static int teardown(void **state)
{
	r53_close(eng);
	eng = NULL;
	zone_db_free(db);
	r53_error_clear(&err);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Reopens the engine on the same directory with a fresh zone_db, as a restart does. */
static void restart(uint32_t max_zones)
{
	r53_close(eng);
	zone_db_free(db);
	db = zone_db_new();
	open_engine(max_zones);
}

static void expect_err(int rc, int status, const char *code, const char *message)
{
	assert_int_equal(rc, -1);
	assert_int_equal(err.status, status);
	assert_string_equal(err.code, code);
	if (message)
		assert_string_equal(err.message, message);
	else
		assert_non_null(err.message);
	r53_error_clear(&err);
}

static void create(const char *name, const char *ref, struct r53_zone *z)
{
	struct r53_create_zone req = {0};
	snprintf(req.name, sizeof req.name, "%s", name);
	snprintf(req.caller_reference, sizeof req.caller_reference, "%s", ref);
	struct r53_change_info ci;
	assert_int_equal(r53_create_hosted_zone(eng, &req, z, &ci, &err), 0);
}

static int create_rc(const struct r53_create_zone *req)
{
	struct r53_zone z;
	struct r53_change_info ci;
	return r53_create_hosted_zone(eng, req, &z, &ci, &err);
}

/* Whether the zone_db serves a zone at `name` (presentation form). */
static bool served(const char *name)
{
	uint8_t wire[DNS_NAME_MAXLEN];
	char norm[R53_NAME_MAX], msg[128];
	assert_int_equal(r53_name_normalize(name, norm, wire, msg, sizeof msg), 0);
	return zone_db_zone(db, wire) != NULL;
}

/* A record set other than the apex SOA/NS, written straight into the store. */
static void add_other_rrset(const char *zone_id, const char *name)
{
	char key[R53_NAME_MAX];
	r53_name_sort_key(name, key);
	sqlite3_stmt *st = store_stmt(
		eng->store, "INSERT INTO rrsets(zone_id, sort_name, name, type, set_id, body) "
			    "VALUES(?, ?, ?, 'TXT', '', '{}')");
	assert_non_null(st);
	sqlite3_bind_text(st, 1, zone_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_reset(st);
}

static void test_helpers(void **state)
{
	char a[R53_ID_MAX], b[R53_ID_MAX];
	r53_new_id('Z', a);
	r53_new_id('Z', b);
	assert_int_equal(strlen(a), 21);
	assert_int_equal(a[0], 'Z');
	for (int i = 1; i < 21; i++)
		assert_true((a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= '0' && a[i] <= '9'));
	assert_string_not_equal(a, b);

	char t[32];
	r53_now_iso(t);
	/* 2026-11-25T15:48:39.123Z */
	assert_int_equal(strlen(t), 24);
	assert_int_equal(t[4], '-');
	assert_int_equal(t[10], 'T');
	assert_int_equal(t[19], '.');
	assert_int_equal(t[23], 'Z');

	assert_string_equal(r53_bare_id("/hostedzone/Z1"), "Z1");
	assert_string_equal(r53_bare_id("/change/C1"), "C1");
	assert_string_equal(r53_bare_id("/delegationset/N1"), "N1");
	assert_string_equal(r53_bare_id("Z1"), "Z1");
	assert_string_equal(r53_bare_id(NULL), "");

	struct r53_error e = {0};
	r53_err(&e, 404, "NoSuchHostedZone", "No hosted zone found with ID: %s", "Z1");
	r53_err(&e, 400, "InvalidInput", "second %d", 2); /* frees the first message */
	assert_int_equal(e.status, 400);
	assert_string_equal(e.code, "InvalidInput");
	assert_string_equal(e.message, "second 2");
	r53_error_clear(&e);
	assert_null(e.message);
	r53_error_clear(&e);

	struct r53_zone_list l = {0};
	l.zones = calloc(2, sizeof *l.zones);
	l.n = 2;
	r53_zone_list_free(&l);
	assert_null(l.zones);
	assert_int_equal(l.n, 0);
}

static void test_create_get(void **state)
{
	struct r53_create_zone req = {0};
	strcpy(req.name, "Example.COM");
	strcpy(req.caller_reference, "ref-1");
	strcpy(req.comment, "my zone");
	req.has_comment = true;
	struct r53_zone z;
	struct r53_change_info ci;
	assert_int_equal(r53_create_hosted_zone(eng, &req, &z, &ci, &err), 0);
	assert_int_equal(z.id[0], 'Z');
	assert_int_equal(strlen(z.id), 21);
	assert_string_equal(z.name, "example.com.");
	assert_string_equal(z.caller_reference, "ref-1");
	assert_true(z.has_comment);
	assert_string_equal(z.comment, "my zone");
	assert_false(z.private_zone);
	assert_int_equal(z.rrset_count, 2); /* apex SOA and NS */
	assert_string_equal(z.delegation_set_id, "");
	/* The configured servers, without the trailing dot (DelegationSet.NameServers). */
	assert_string_equal(z.name_servers[0], "ns-1.example-dns.com");
	assert_string_equal(z.name_servers[3], "ns-4.example-dns.co.uk");
	/* Published and synced before the answer: the change is already INSYNC. */
	assert_int_equal(ci.id[0], 'C');
	assert_string_equal(ci.status, "INSYNC");
	assert_int_equal(strlen(ci.submitted_at), 24);
	assert_true(served("example.com"));

	struct r53_change_info got;
	assert_int_equal(r53_get_change(eng, ci.id, &got, &err), 0);
	assert_string_equal(got.status, "INSYNC");
	assert_string_equal(got.submitted_at, ci.submitted_at);
	char prefixed[64];
	snprintf(prefixed, sizeof prefixed, "/change/%s", ci.id);
	assert_int_equal(r53_get_change(eng, prefixed, &got, &err), 0);

	struct r53_zone g;
	assert_int_equal(r53_get_hosted_zone(eng, z.id, &g, &err), 0);
	assert_string_equal(g.name, "example.com.");
	assert_string_equal(g.comment, "my zone");
	snprintf(prefixed, sizeof prefixed, "/hostedzone/%s", z.id);
	assert_int_equal(r53_get_hosted_zone(eng, prefixed, &g, &err), 0);
	assert_string_equal(g.id, z.id);

	expect_err(r53_get_hosted_zone(eng, "ZNOPE", &g, &err), 404, "NoSuchHostedZone",
		   "No hosted zone found with ID: ZNOPE");
	expect_err(r53_get_hosted_zone(eng, "/hostedzone/ZNOPE", &g, &err), 404, "NoSuchHostedZone",
		   "No hosted zone found with ID: ZNOPE");
	expect_err(r53_get_hosted_zone(eng, "Z123456789012345678901234567890123", &g, &err), 400,
		   "InvalidInput", NULL);
	expect_err(r53_get_change(eng, "CNOPE", &got, &err), 404, "NoSuchChange", NULL);
}

static void test_create_idempotency_and_same_name(void **state)
{
	struct r53_zone a, b;
	create("dup.example.", "ref-a", &a);
	struct r53_create_zone req = {0};
	strcpy(req.name, "other.example");
	strcpy(req.caller_reference, "ref-a");
	/* A reused CallerReference, whatever the name. */
	expect_err(create_rc(&req), 409, "HostedZoneAlreadyExists",
		   "A hosted zone has already been created with the specified caller reference.");
	/* Several zones may share a name (different references). */
	create("dup.example", "ref-b", &b);
	assert_string_not_equal(a.id, b.id);
	assert_string_equal(b.name, "dup.example.");
	uint64_t n;
	assert_int_equal(r53_hosted_zone_count(eng, &n, &err), 0);
	assert_int_equal(n, 2);
}

static void test_create_invalid(void **state)
{
	struct r53_create_zone req = {0};
	strcpy(req.caller_reference, "r");
	strcpy(req.name, "a..b.com");
	expect_err(create_rc(&req), 400, "InvalidDomainName", NULL);
	strcpy(req.name, "com");
	expect_err(create_rc(&req), 400, "InvalidDomainName", NULL);
	strcpy(req.name, ".");
	expect_err(create_rc(&req), 400, "InvalidDomainName", NULL);
	strcpy(req.name, "*.example.com");
	expect_err(create_rc(&req), 400, "InvalidDomainName", NULL);
	strcpy(req.name, "example.com");
	req.caller_reference[0] = '\0';
	expect_err(create_rc(&req), 400, "InvalidInput", NULL);
	memset(req.caller_reference, 'x', 129);
	req.caller_reference[129] = '\0';
	expect_err(create_rc(&req), 400, "InvalidInput", NULL);
	strcpy(req.caller_reference, "r");
	memset(req.comment, 'c', 257);
	req.comment[257] = '\0';
	req.has_comment = true;
	expect_err(create_rc(&req), 400, "InvalidInput", NULL);
	req.has_comment = false;
	req.has_vpc = true;
	strcpy(req.vpc.region, "us-east-1");
	expect_err(create_rc(&req), 400, "InvalidVPCId", NULL);
	strcpy(req.vpc.id, "vpc-1");
	strcpy(req.delegation_set_id, "NSOMETHING");
	expect_err(create_rc(&req), 400, "InvalidInput", NULL);
	uint64_t n;
	assert_int_equal(r53_hosted_zone_count(eng, &n, &err), 0);
	assert_int_equal(n, 0);
}

static void test_private_zone(void **state)
{
	struct r53_create_zone req = {0};
	strcpy(req.name, "internal.example");
	strcpy(req.caller_reference, "p1");
	req.private_zone = true;
	req.has_vpc = true;
	strcpy(req.vpc.region, "eu-west-1");
	strcpy(req.vpc.id, "vpc-0abc");
	struct r53_zone z;
	struct r53_change_info ci;
	assert_int_equal(r53_create_hosted_zone(eng, &req, &z, &ci, &err), 0);
	assert_true(z.private_zone);
	assert_int_equal(z.nvpcs, 1);
	assert_string_equal(z.vpcs[0].region, "eu-west-1");
	assert_string_equal(z.vpcs[0].id, "vpc-0abc");
	/* A private zone has an apex NS too (Terraform reads it). */
	assert_int_equal(z.rrset_count, 2);
	restart(0);
	struct r53_zone g;
	assert_int_equal(r53_get_hosted_zone(eng, z.id, &g, &err), 0);
	assert_true(g.private_zone);
	assert_string_equal(g.vpcs[0].id, "vpc-0abc");
}

static void test_too_many_zones(void **state)
{
	restart(3);
	struct r53_zone z;
	create("a.example", "1", &z);
	create("b.example", "2", &z);
	create("c.example", "3", &z);
	struct r53_create_zone req = {0};
	strcpy(req.name, "d.example");
	strcpy(req.caller_reference, "4");
	expect_err(create_rc(&req), 400, "TooManyHostedZones", NULL);
	uint64_t v, c;
	assert_int_equal(r53_get_account_limit(eng, "MAX_HOSTED_ZONES_BY_OWNER", &v, &c, &err), 0);
	assert_int_equal(v, 3);
	assert_int_equal(c, 3);
}

static void test_delete(void **state)
{
	struct r53_zone z;
	create("gone.example", "d1", &z);
	add_other_rrset(z.id, "www.gone.example.");
	struct r53_change_info ci;
	expect_err(r53_delete_hosted_zone(eng, z.id, &ci, &err), 400, "HostedZoneNotEmpty",
		   "The hosted zone contains resource records that are not SOA or NS records.");
	/* A delegation (NS below the apex) also counts as content. */
	sqlite3_stmt *st = store_stmt(eng->store, "UPDATE rrsets SET type = 'NS' WHERE zone_id = ? "
						  "AND name = 'www.gone.example.'");
	sqlite3_bind_text(st, 1, z.id, -1, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_reset(st);
	expect_err(r53_delete_hosted_zone(eng, z.id, &ci, &err), 400, "HostedZoneNotEmpty", NULL);
	st = store_stmt(eng->store, "DELETE FROM rrsets WHERE name = 'www.gone.example.'");
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_reset(st);

	struct r53_tag t = {"k", "v"};
	assert_int_equal(r53_change_tags(eng, "hostedzone", z.id, &t, 1, NULL, 0, &err), 0);
	assert_true(served("gone.example"));
	char prefixed[64];
	snprintf(prefixed, sizeof prefixed, "/hostedzone/%s", z.id);
	assert_int_equal(r53_delete_hosted_zone(eng, prefixed, &ci, &err), 0);
	assert_string_equal(ci.status, "INSYNC");
	assert_false(served("gone.example"));
	struct r53_change_info got;
	assert_int_equal(r53_get_change(eng, ci.id, &got, &err), 0);
	assert_string_equal(got.status, "INSYNC");
	struct r53_zone g;
	expect_err(r53_get_hosted_zone(eng, z.id, &g, &err), 404, "NoSuchHostedZone", NULL);
	expect_err(r53_delete_hosted_zone(eng, z.id, &ci, &err), 404, "NoSuchHostedZone", NULL);
	/* Its rrsets and tags went with it. */
	assert_int_equal(sqlite3_exec(store_sqlite(eng->store),
				      "SELECT 1 FROM rrsets; SELECT 1 FROM tags", NULL, NULL, NULL),
			 SQLITE_OK);
	st = store_stmt(eng->store, "SELECT (SELECT COUNT(*) FROM rrsets) + (SELECT COUNT(*) "
				    "FROM tags)");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_reset(st);
	uint64_t n;
	assert_int_equal(r53_hosted_zone_count(eng, &n, &err), 0);
	assert_int_equal(n, 0);
}

/* Through the records engine's own change batch: the count and the emptiness rule follow. */
static void test_delete_after_real_batch(void **state)
{
	struct r53_zone z;
	create("batch.example", "b1", &z);
	char *vals[] = {"192.0.2.1"};
	struct r53_change ch = {0};
	ch.action = R53_CREATE;
	strcpy(ch.rrset.name, "www.batch.example.");
	strcpy(ch.rrset.type, "A");
	ch.rrset.ttl = 300;
	ch.rrset.weight = -1;
	ch.rrset.values = vals;
	ch.rrset.nvalues = 1;
	struct r53_change_info ci;
	assert_int_equal(r53_change_rrsets(eng, z.id, &ch, 1, NULL, &ci, &err), 0);
	struct r53_zone g;
	assert_int_equal(r53_get_hosted_zone(eng, z.id, &g, &err), 0);
	assert_int_equal(g.rrset_count, 3);
	expect_err(r53_delete_hosted_zone(eng, z.id, &ci, &err), 400, "HostedZoneNotEmpty",
		   "The hosted zone contains resource records that are not SOA or NS records.");
	ch.action = R53_DELETE;
	assert_int_equal(r53_change_rrsets(eng, z.id, &ch, 1, NULL, &ci, &err), 0);
	assert_int_equal(r53_get_hosted_zone(eng, z.id, &g, &err), 0);
	assert_int_equal(g.rrset_count, 2);
	assert_int_equal(r53_delete_hosted_zone(eng, z.id, &ci, &err), 0);
	assert_false(served("batch.example"));
}

static void test_update_comment(void **state)
{
	struct r53_zone z, u;
	create("c.example", "c1", &z);
	assert_false(z.has_comment);
	assert_int_equal(r53_update_hosted_zone_comment(eng, z.id, "hello", &u, &err), 0);
	assert_true(u.has_comment);
	assert_string_equal(u.comment, "hello");
	assert_string_equal(u.name, "c.example.");
	restart(0);
	assert_int_equal(r53_get_hosted_zone(eng, z.id, &u, &err), 0);
	assert_string_equal(u.comment, "hello");
	/* Omitting the comment clears it. */
	assert_int_equal(r53_update_hosted_zone_comment(eng, z.id, NULL, &u, &err), 0);
	assert_false(u.has_comment);
	assert_string_equal(u.comment, "");
	expect_err(r53_update_hosted_zone_comment(eng, "ZNOPE", "x", &u, &err), 404,
		   "NoSuchHostedZone", "No hosted zone found with ID: ZNOPE");
	char big[300];
	memset(big, 'x', 257);
	big[257] = '\0';
	expect_err(r53_update_hosted_zone_comment(eng, z.id, big, &u, &err), 400, "InvalidInput",
		   NULL);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void test_list_pagination(void **state)
{
	char ids[7][R53_ID_MAX];
	for (int i = 0; i < 7; i++) {
		char name[32], ref[8];
		snprintf(name, sizeof name, "z%d.example", i);
		snprintf(ref, sizeof ref, "r%d", i);
		struct r53_zone z;
		create(name, ref, &z);
		strcpy(ids[i], z.id);
	}
	qsort(ids, 7, sizeof ids[0], cmp_str);
	char marker[R53_ID_MAX] = "";
	int seen = 0, pages = 0;
	for (;;) {
		struct r53_zone_list l;
		assert_int_equal(r53_list_hosted_zones(eng, marker, 3, "", &l, &err), 0);
		pages++;
		for (size_t i = 0; i < l.n; i++)
			assert_string_equal(l.zones[i].id, ids[seen++]);
		if (!l.truncated) {
			assert_string_equal(l.next_marker, "");
			r53_zone_list_free(&l);
			break;
		}
		assert_int_equal(l.n, 3);
		/* NextMarker is the bare id of the first zone of the next page. */
		assert_string_equal(l.next_marker, ids[seen]);
		strcpy(marker, l.next_marker);
		r53_zone_list_free(&l);
	}
	assert_int_equal(seen, 7);
	assert_int_equal(pages, 3);

	/* Default and over-limit maxitems are 100: everything on one page. */
	struct r53_zone_list l;
	assert_int_equal(r53_list_hosted_zones(eng, "", 0, NULL, &l, &err), 0);
	assert_int_equal(l.n, 7);
	assert_false(l.truncated);
	r53_zone_list_free(&l);
	assert_int_equal(r53_list_hosted_zones(eng, NULL, 1000, NULL, &l, &err), 0);
	assert_int_equal(l.n, 7);
	r53_zone_list_free(&l);
	/* Exactly max items: not truncated. */
	assert_int_equal(r53_list_hosted_zones(eng, "", 7, NULL, &l, &err), 0);
	assert_int_equal(l.n, 7);
	assert_false(l.truncated);
	r53_zone_list_free(&l);

	expect_err(r53_list_hosted_zones(eng, "", 10, "NNOPE", &l, &err), 400,
		   "NoSuchDelegationSet", NULL);
}

static void test_list_by_name(void **state)
{
	/* Reversed-label order: com.a.x, com.b, com.b.a, net.a (then ties by id). */
	struct r53_zone z1, z2, z3, z4, z5;
	create("a.net", "1", &z1);
	create("a.b.com", "2", &z2);
	create("b.com", "3", &z3);
	create("x.a.com", "4", &z4);
	create("b.com", "5", &z5);
	const char *want[] = {"x.a.com.", "b.com.", "b.com.", "a.b.com.", "a.net."};
	struct r53_zone_list l;
	assert_int_equal(r53_list_hosted_zones_by_name(eng, NULL, NULL, 0, &l, &err), 0);
	assert_int_equal(l.n, 5);
	assert_false(l.truncated);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(l.zones[i].name, want[i]);
	/* Ties on name go by id. */
	assert_true(strcmp(l.zones[1].id, l.zones[2].id) < 0);
	char second_b[R53_ID_MAX];
	strcpy(second_b, l.zones[2].id);
	r53_zone_list_free(&l);

	/* dnsname is a start position, not a filter. */
	assert_int_equal(r53_list_hosted_zones_by_name(eng, "B.com", NULL, 2, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.zones[0].name, "b.com.");
	assert_string_equal(l.zones[1].name, "b.com.");
	assert_true(l.truncated);
	assert_string_equal(l.next_dns_name, "a.b.com.");
	assert_string_equal(l.next_zone_id, z2.id);
	r53_zone_list_free(&l);
	/* Continue from NextDNSName/NextHostedZoneId. */
	assert_int_equal(r53_list_hosted_zones_by_name(eng, "a.b.com.", z2.id, 2, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.zones[0].name, "a.b.com.");
	assert_string_equal(l.zones[1].name, "a.net.");
	assert_false(l.truncated);
	assert_string_equal(l.next_dns_name, "");
	r53_zone_list_free(&l);
	/* dnsname + hostedzoneid in the middle of a tie. */
	assert_int_equal(r53_list_hosted_zones_by_name(eng, "b.com", second_b, 1, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.zones[0].id, second_b);
	r53_zone_list_free(&l);
	/* A name between zones starts at the next one; past the end gives an empty page. */
	assert_int_equal(r53_list_hosted_zones_by_name(eng, "c.com", NULL, 0, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.zones[0].name, "a.net.");
	r53_zone_list_free(&l);
	assert_int_equal(r53_list_hosted_zones_by_name(eng, "zzz.org", NULL, 0, &l, &err), 0);
	assert_int_equal(l.n, 0);
	r53_zone_list_free(&l);

	expect_err(r53_list_hosted_zones_by_name(eng, NULL, z1.id, 0, &l, &err), 400,
		   "InvalidInput", NULL);
	expect_err(r53_list_hosted_zones_by_name(eng, "a..b", NULL, 0, &l, &err), 400,
		   "InvalidDomainName", NULL);
	(void)z4;
	(void)z5;
}

static void test_tags(void **state)
{
	struct r53_zone z;
	create("tags.example", "t1", &z);
	struct r53_tag add[2] = {{"env", "prod"}, {"owner", "me"}};
	assert_int_equal(r53_change_tags(eng, "hostedzone", z.id, add, 2, NULL, 0, &err), 0);
	struct r53_tag *tags;
	size_t n;
	assert_int_equal(r53_list_tags(eng, "hostedzone", z.id, &tags, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(tags[0].key, "env");
	assert_string_equal(tags[0].value, "prod");
	assert_string_equal(tags[1].key, "owner");
	free(tags);
	/* Add replaces a key's value; remove drops keys (an unknown key is no error). */
	struct r53_tag upd = {"env", "dev"};
	char *rm[] = {"owner", "never-set"};
	assert_int_equal(r53_change_tags(eng, "hostedzone", z.id, &upd, 1, rm, 2, &err), 0);
	restart(0);
	assert_int_equal(r53_list_tags(eng, "hostedzone", z.id, &tags, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(tags[0].key, "env");
	assert_string_equal(tags[0].value, "dev");
	free(tags);

	/* Errors. */
	expect_err(r53_change_tags(eng, "hostedzone", "ZNOPE", &upd, 1, NULL, 0, &err), 404,
		   "NoSuchHostedZone", "No hosted zone found with ID: ZNOPE");
	expect_err(r53_list_tags(eng, "hostedzone", "ZNOPE", &tags, &n, &err), 404,
		   "NoSuchHostedZone", NULL);
	assert_null(tags);
	expect_err(r53_list_tags(eng, "healthcheck", "abcd-1234", &tags, &n, &err), 404,
		   "NoSuchHealthCheck", NULL);
	expect_err(r53_change_tags(eng, "healthcheck", "abcd-1234", &upd, 1, NULL, 0, &err), 404,
		   "NoSuchHealthCheck", NULL);
	expect_err(r53_list_tags(eng, "bucket", z.id, &tags, &n, &err), 400, "InvalidInput", NULL);
	/* The prefixed id that botocore sends for tag calls: AWS's own validation message. */
	char prefixed[64], msg[300];
	snprintf(prefixed, sizeof prefixed, "/hostedzone/%s", z.id);
	snprintf(msg, sizeof msg,
		 "1 validation error detected: Value '%s' at 'resourceId' failed to satisfy "
		 "constraint: Member must have length less than or equal to 32",
		 prefixed);
	expect_err(r53_list_tags(eng, "hostedzone", prefixed, &tags, &n, &err), 400, "InvalidInput",
		   msg);
	expect_err(r53_change_tags(eng, "hostedzone", prefixed, &upd, 1, NULL, 0, &err), 400,
		   "InvalidInput", msg);
	struct r53_tag many[11];
	for (int i = 0; i < 11; i++) {
		snprintf(many[i].key, sizeof many[i].key, "k%d", i);
		strcpy(many[i].value, "v");
	}
	expect_err(r53_change_tags(eng, "hostedzone", z.id, many, 11, NULL, 0, &err), 400,
		   "InvalidInput", NULL);
	char *rm11[11];
	for (int i = 0; i < 11; i++)
		rm11[i] = "k";
	expect_err(r53_change_tags(eng, "hostedzone", z.id, NULL, 0, rm11, 11, &err), 400,
		   "InvalidInput", NULL);
	struct r53_tag bad = {"", "v"};
	expect_err(r53_change_tags(eng, "hostedzone", z.id, &bad, 1, NULL, 0, &err), 400,
		   "InvalidInput", NULL);
	memset(bad.key, 'k', 129);
	bad.key[129] = '\0';
	expect_err(r53_change_tags(eng, "hostedzone", z.id, &bad, 1, NULL, 0, &err), 400,
		   "InvalidInput", NULL);
	strcpy(bad.key, "k");
	memset(bad.value, 'v', 257);
	bad.value[257] = '\0';
	expect_err(r53_change_tags(eng, "hostedzone", z.id, &bad, 1, NULL, 0, &err), 400,
		   "InvalidInput", NULL);
	/* At most 50 tags on one resource: the request that would pass it changes nothing. */
	for (int round = 0; round < 5; round++) {
		struct r53_tag ten[10];
		for (int i = 0; i < 10; i++) {
			snprintf(ten[i].key, sizeof ten[i].key, "r%d-%d", round, i);
			strcpy(ten[i].value, "v");
		}
		int rc = r53_change_tags(eng, "hostedzone", z.id, ten, 10, NULL, 0, &err);
		if (round < 4)
			assert_int_equal(rc, 0); /* 1 + 40 */
		else
			expect_err(rc, 400, "InvalidInput", NULL);
	}
	assert_int_equal(r53_list_tags(eng, "hostedzone", z.id, &tags, &n, &err), 0);
	assert_int_equal(n, 41);
	free(tags);
}

static void test_delegation_sets(void **state)
{
	struct r53_delegation_set ds, got;
	assert_int_equal(r53_create_delegation_set(eng, "ds-1", NULL, &ds, &err), 0);
	assert_int_equal(ds.id[0], 'N');
	assert_int_equal(strlen(ds.id), 21);
	assert_string_equal(ds.caller_reference, "ds-1");
	assert_string_equal(ds.name_servers[0], "ns-1.example-dns.com");
	expect_err(r53_create_delegation_set(eng, "ds-1", NULL, &got, &err), 400,
		   "DelegationSetAlreadyCreated", NULL);
	expect_err(r53_create_delegation_set(eng, "", NULL, &got, &err), 400, "InvalidInput", NULL);
	char prefixed[64];
	snprintf(prefixed, sizeof prefixed, "/delegationset/%s", ds.id);
	assert_int_equal(r53_get_delegation_set(eng, prefixed, &got, &err), 0);
	assert_string_equal(got.id, ds.id);
	assert_string_equal(got.name_servers[3], "ns-4.example-dns.co.uk");
	expect_err(r53_get_delegation_set(eng, "NNOPE", &got, &err), 400, "NoSuchDelegationSet",
		   NULL);

	/* A zone on the set uses its servers; the set is then in use. */
	struct r53_create_zone req = {0};
	strcpy(req.name, "onset.example");
	strcpy(req.caller_reference, "zs1");
	strcpy(req.delegation_set_id, prefixed);
	struct r53_zone z;
	struct r53_change_info ci;
	assert_int_equal(r53_create_hosted_zone(eng, &req, &z, &ci, &err), 0);
	assert_string_equal(z.delegation_set_id, ds.id);
	assert_string_equal(z.name_servers[1], "ns-2.example-dns.net");
	/* Same name, or parent/child, on the same set: conflicting. */
	strcpy(req.caller_reference, "zs2");
	strcpy(req.name, "sub.onset.example");
	expect_err(create_rc(&req), 400, "ConflictingDomainExists", NULL);
	strcpy(req.name, "onset.example");
	expect_err(create_rc(&req), 400, "ConflictingDomainExists", NULL);
	strcpy(req.name, "elsewhere.example");
	assert_int_equal(create_rc(&req), 0);
	strcpy(req.caller_reference, "zs3");
	strcpy(req.delegation_set_id, "NNOPE");
	expect_err(create_rc(&req), 400, "NoSuchDelegationSet", NULL);

	struct r53_zone_list l;
	assert_int_equal(r53_list_hosted_zones(eng, "", 0, ds.id, &l, &err), 0);
	assert_int_equal(l.n, 2);
	r53_zone_list_free(&l);
	uint64_t v, c;
	assert_int_equal(r53_get_delegation_set_limit(eng, "MAX_ZONES_BY_REUSABLE_DELEGATION_SET",
						      ds.id, &v, &c, &err),
			 0);
	assert_int_equal(v, 100);
	assert_int_equal(c, 2);
	expect_err(r53_get_delegation_set_limit(eng, "MAX_ZONES_BY_REUSABLE_DELEGATION_SET",
						"NNOPE", &v, &c, &err),
		   400, "NoSuchDelegationSet", NULL);
	expect_err(r53_get_delegation_set_limit(eng, "BOGUS", ds.id, &v, &c, &err), 400,
		   "InvalidInput", NULL);
	expect_err(r53_delete_delegation_set(eng, ds.id, &err), 400, "DelegationSetInUse", NULL);

	/* From a zone: the zone's servers, and the zone now uses the set. */
	struct r53_zone own;
	create("own.example", "o1", &own);
	struct r53_delegation_set fz;
	char zprefixed[64];
	snprintf(zprefixed, sizeof zprefixed, "/hostedzone/%s", own.id);
	assert_int_equal(r53_create_delegation_set(eng, "ds-2", zprefixed, &fz, &err), 0);
	assert_string_equal(fz.name_servers[0], own.name_servers[0]);
	assert_int_equal(r53_get_hosted_zone(eng, own.id, &own, &err), 0);
	assert_string_equal(own.delegation_set_id, fz.id);
	expect_err(r53_create_delegation_set(eng, "ds-3", own.id, &got, &err), 400,
		   "DelegationSetAlreadyReusable", NULL);
	expect_err(r53_create_delegation_set(eng, "ds-4", "ZNOPE", &got, &err), 400,
		   "HostedZoneNotFound", NULL);

	/* List: only reusable sets, paged by id. */
	struct r53_delegation_set *sets;
	size_t n;
	bool trunc;
	char next[R53_ID_MAX];
	assert_int_equal(r53_list_delegation_sets(eng, "", 1, &sets, &n, &trunc, next, &err), 0);
	assert_int_equal(n, 1);
	assert_true(trunc);
	char first[R53_ID_MAX];
	strcpy(first, sets[0].id);
	free(sets);
	assert_int_equal(r53_list_delegation_sets(eng, next, 1, &sets, &n, &trunc, next, &err), 0);
	assert_int_equal(n, 1);
	assert_false(trunc);
	assert_true(strcmp(first, sets[0].id) < 0);
	free(sets);
	assert_int_equal(r53_list_delegation_sets(eng, NULL, 0, &sets, &n, &trunc, next, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(next, "");
	free(sets);

	/* Delete once unused. */
	struct r53_change_info dci;
	assert_int_equal(r53_delete_hosted_zone(eng, own.id, &dci, &err), 0);
	assert_int_equal(r53_delete_delegation_set(eng, fz.id, &err), 0);
	expect_err(r53_delete_delegation_set(eng, fz.id, &err), 400, "NoSuchDelegationSet", NULL);
	assert_int_equal(
		r53_get_account_limit(eng, "MAX_REUSABLE_DELEGATION_SETS_BY_OWNER", &v, &c, &err),
		0);
	assert_int_equal(v, 100);
	assert_int_equal(c, 1);
}

static void test_delegation_set_limit(void **state)
{
	struct r53_delegation_set ds;
	for (int i = 0; i < 100; i++) {
		char ref[16];
		snprintf(ref, sizeof ref, "s%d", i);
		assert_int_equal(r53_create_delegation_set(eng, ref, NULL, &ds, &err), 0);
	}
	expect_err(r53_create_delegation_set(eng, "s100", NULL, &ds, &err), 400, "LimitsExceeded",
		   NULL);
}

static void test_limits(void **state)
{
	struct r53_zone pub, priv;
	create("pub.example", "l1", &pub);
	struct r53_create_zone req = {0};
	strcpy(req.name, "priv.example");
	strcpy(req.caller_reference, "l2");
	req.has_vpc = true;
	strcpy(req.vpc.region, "us-east-1");
	strcpy(req.vpc.id, "vpc-1");
	struct r53_change_info ci;
	assert_int_equal(r53_create_hosted_zone(eng, &req, &priv, &ci, &err), 0);
	assert_true(priv.private_zone);

	static const struct {
		const char *type;
		uint64_t value, count;
	} acct[] = {
		{"MAX_HEALTH_CHECKS_BY_OWNER", 200, 0},
		{"MAX_HOSTED_ZONES_BY_OWNER", 500, 2},
		{"MAX_REUSABLE_DELEGATION_SETS_BY_OWNER", 100, 0},
		{"MAX_TRAFFIC_POLICIES_BY_OWNER", 50, 0},
		{"MAX_TRAFFIC_POLICY_INSTANCES_BY_OWNER", 5, 0},
	};
	uint64_t v, c;
	for (size_t i = 0; i < sizeof acct / sizeof acct[0]; i++) {
		assert_int_equal(r53_get_account_limit(eng, acct[i].type, &v, &c, &err), 0);
		assert_int_equal(v, acct[i].value);
		assert_int_equal(c, acct[i].count);
	}
	expect_err(r53_get_account_limit(eng, "MAX_ZONES", &v, &c, &err), 400, "InvalidInput",
		   NULL);
	expect_err(r53_get_account_limit(eng, NULL, &v, &c, &err), 400, "InvalidInput", NULL);

	assert_int_equal(r53_get_hosted_zone_limit(eng, "MAX_RRSETS_BY_ZONE", pub.id, &v, &c, &err),
			 0);
	assert_int_equal(v, 10000);
	assert_int_equal(c, 2);
	assert_int_equal(r53_get_hosted_zone_limit(eng, "MAX_VPCS_ASSOCIATED_BY_ZONE", priv.id, &v,
						   &c, &err),
			 0);
	assert_int_equal(v, 300);
	assert_int_equal(c, 1);
	expect_err(
		r53_get_hosted_zone_limit(eng, "MAX_VPCS_ASSOCIATED_BY_ZONE", pub.id, &v, &c, &err),
		400, "HostedZoneNotPrivate", NULL);
	expect_err(r53_get_hosted_zone_limit(eng, "MAX_RRSETS_BY_ZONE", "ZNOPE", &v, &c, &err), 404,
		   "NoSuchHostedZone", "No hosted zone found with ID: ZNOPE");
	expect_err(r53_get_hosted_zone_limit(eng, "MAX_THINGS", pub.id, &v, &c, &err), 400,
		   "InvalidInput", NULL);
}

static void test_restart_republishes(void **state)
{
	struct r53_zone a, b;
	struct r53_change_info ci;
	create("first.example", "x1", &a);
	create("second.example", "x2", &b);
	/* A change left PENDING (as by a crash between commit and publish) is INSYNC after
	 * the restart has published every zone. */
	char cid[R53_ID_MAX];
	assert_int_equal(store_begin(eng->store), 0);
	assert_int_equal(r53_change_insert(eng, "by hand", "PENDING", &ci, &err), 0);
	assert_int_equal(store_commit(eng->store), 0);
	strcpy(cid, ci.id);
	assert_int_equal(r53_get_change(eng, cid, &ci, &err), 0);
	assert_string_equal(ci.status, "PENDING");
	assert_string_equal(ci.comment, "by hand");
	/* A change batch records itself INSYNC and, if its publish fails, marks it PENDING. */
	struct r53_change_info failed;
	assert_int_equal(store_begin(eng->store), 0);
	assert_int_equal(r53_change_insert(eng, "not served", "INSYNC", &failed, &err), 0);
	assert_int_equal(store_commit(eng->store), 0);
	r53_change_mark_pending(eng, &failed);
	assert_string_equal(failed.status, "PENDING");
	char fid[R53_ID_MAX];
	strcpy(fid, failed.id);
	assert_int_equal(r53_get_change(eng, fid, &failed, &err), 0);
	assert_string_equal(failed.status, "PENDING");
	restart(0);
	assert_int_equal(r53_get_change(eng, fid, &failed, &err), 0);
	assert_string_equal(failed.status, "INSYNC");
	assert_true(served("first.example"));
	assert_true(served("second.example"));
	assert_int_equal(r53_get_change(eng, cid, &ci, &err), 0);
	assert_string_equal(ci.status, "INSYNC");
	struct r53_zone g;
	assert_int_equal(r53_get_hosted_zone(eng, b.id, &g, &err), 0);
	assert_string_equal(g.name, "second.example.");
	assert_int_equal(g.rrset_count, 2);
	uint64_t n;
	assert_int_equal(r53_hosted_zone_count(eng, &n, &err), 0);
	assert_int_equal(n, 2);
	char msg[256];
	assert_int_equal(store_check(eng->store, msg, sizeof msg), 0);
}

struct worker {
	int n;
	int failures;
};

static void *create_worker(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 25; i++) {
		struct r53_create_zone req = {0};
		snprintf(req.name, sizeof req.name, "t%d-%d.example", w->n, i);
		snprintf(req.caller_reference, sizeof req.caller_reference, "t%d-%d", w->n, i);
		struct r53_zone z;
		struct r53_change_info ci;
		struct r53_error e = {0};
		if (r53_create_hosted_zone(eng, &req, &z, &ci, &e) || strcmp(ci.status, "INSYNC"))
			w->failures++;
		struct r53_zone_list l;
		if (r53_list_hosted_zones(eng, "", 5, NULL, &l, &e) == 0)
			r53_zone_list_free(&l);
		else
			w->failures++;
		r53_error_clear(&e);
	}
	return NULL;
}

/* Callers on several threads are serialised by the engine: every create lands once. */
static void test_concurrent_callers(void **state)
{
	pthread_t t[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){.n = i};
		assert_int_equal(pthread_create(&t[i], NULL, create_worker, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
	uint64_t n;
	assert_int_equal(r53_hosted_zone_count(eng, &n, &err), 0);
	assert_int_equal(n, 100);
	assert_true(served("t3-24.example"));
	char msg[256];
	assert_int_equal(store_check(eng->store, msg, sizeof msg), 0);
}

static void test_open_failure(void **state)
{
	/* A data directory that cannot be created: a clear error, no engine. */
	struct r53_config cfg = {0};
	cfg.data_dir = "/proc/signpost-cannot-exist/data";
	cfg.db = db;
	struct r53 *r = (struct r53 *)0x1;
	assert_int_equal(r53_open(&cfg, &r, &err), -1);
	assert_null(r);
	assert_int_equal(err.status, 500);
	assert_non_null(err.message);
	r53_error_clear(&err);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_helpers),
		T(test_create_get),
		T(test_create_idempotency_and_same_name),
		T(test_create_invalid),
		T(test_private_zone),
		T(test_too_many_zones),
		T(test_delete),
		T(test_delete_after_real_batch),
		T(test_update_comment),
		T(test_list_pagination),
		T(test_list_by_name),
		T(test_tags),
		T(test_delegation_sets),
		T(test_delegation_set_limit),
		T(test_limits),
		T(test_restart_republishes),
		T(test_concurrent_callers),
		T(test_open_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
