/*
 * tests/unit/api/test_domains.c - the Route 53 Domains engine (api/domains.c) against a real
 * Route 53 engine and sandbox on a temporary store: registration end to end (operation
 * statuses, hosted zone, name servers, the delegation a TLD server answers), every validation
 * error, DuplicateRequest, the quota, the virtual clock's expiry and auto-renew, lists and
 * their markers, resuming after a restart; then the JSON front door (api/domains_http.c) with
 * requests signed here by sigv4_sign().
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include <cmocka.h>

#include "api/domains.h"
#include "api/domains_http.h"
#include "api/r53.h"
#include "auth/answer.h"
#include "base/log.h"
#include "dns/consts.h"
#include "dns/name.h"
#include "registrar/sandbox.h"
#include "zone/db.h"

#define AKID   "AKIDSIGNPOSTDOMAINS1"
#define SECRET "unit/test+domains/secret/0123456789abcde"

static const struct sigv4_key KEYS[] = {{AKID, SECRET}};
static const char *const NS_NAMES[SANDBOX_HOSTED] = {"ns-1.awsdns-01.com.", "ns-2.awsdns-02.net.",
						     "ns-3.awsdns-03.org.",
						     "ns-4.awsdns-04.co.uk."};

static char tmpdir[256];
static struct zone_db *hosted;
static struct sandbox *sb;
static struct r53 *r53;
static struct domains *dom;
static uint32_t max_domains;

/* ---- fixture ---- */

static void open_domains(void)
{
	struct domains_config dc = {.data_dir = tmpdir,
				    .r53 = r53,
				    .sandbox = sb,
				    .max_domains = max_domains,
				    .test_hooks = true};
	struct domains_error e = {.type = ""};
	if (domains_open(&dc, &dom, &e) != 0)
		fail_msg("domains_open: %s: %s", e.type, e.message);
}

static void open_all(void)
{
	struct sandbox_config c;
	sandbox_config_default(&c, NS_NAMES);
	hosted = zone_db_new();
	assert_non_null(hosted);
	char err[256];
	if (sandbox_new(&c, hosted, &sb, err, sizeof err) != 0)
		fail_msg("sandbox_new: %s", err);
	struct r53_config rc = {.data_dir = tmpdir,
				.db = hosted,
				.name_servers = {"ns-1.awsdns-01.com", "ns-2.awsdns-02.net",
						 "ns-3.awsdns-03.org", "ns-4.awsdns-04.co.uk"},
				.max_zones = 500,
				.max_rrsets_per_zone = 10000};
	struct r53_error e = {0};
	if (r53_open(&rc, &r53, &e) != 0)
		fail_msg("r53_open: %s", e.message);
	open_domains();
}

static void close_all(void)
{
	domains_close(dom);
	dom = NULL;
	r53_close(r53);
	r53 = NULL;
	sandbox_free(sb);
	sb = NULL;
	zone_db_free(hosted);
	hosted = NULL;
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/signpost-domains-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	max_domains = 0;
	open_all();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close_all();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* ---- calls ---- */

static json_t *call_ok(const char *op, json_t *in)
{
	json_t *out = NULL;
	struct domains_error e = {.type = ""};
	int rc = domains_call(dom, op, in, &out, &e);
	if (rc != 0)
		fail_msg("%s: %s: %s", op, e.type, e.message);
	json_decref(in);
	assert_non_null(out);
	return out;
}

/* The call fails with `type`, and its message contains `part` (unless NULL). */
static void call_err(const char *op, json_t *in, const char *type, const char *part)
{
	json_t *out = NULL;
	struct domains_error e = {.type = ""};
	int rc = domains_call(dom, op, in, &out, &e);
	json_decref(in);
	if (rc == 0) {
		char *s = json_dumps(out, 0);
		fail_msg("%s succeeded: %s (wanted %s)", op, s, type);
	}
	assert_null(out);
	if (strcmp(e.type, type) != 0)
		fail_msg("%s: %s: %s (wanted %s)", op, e.type, e.message, type);
	if (part && !strstr(e.message, part))
		fail_msg("%s: message \"%s\" lacks \"%s\"", op, e.message, part);
}

static json_t *hook(const char *op, json_t *in)
{
	json_t *out = NULL;
	struct domains_error e = {.type = ""};
	if (domains_test_call(dom, op, in, &out, &e) != 0)
		fail_msg("%s: %s: %s", op, e.type, e.message);
	json_decref(in);
	return out;
}

static json_t *contact(const char *first)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "FirstName", first, "LastName",
			 "Tester", "ContactType", "PERSON", "AddressLine1", "1 Main St", "City",
			 "Springfield", "CountryCode", "US", "ZipCode", "12345", "PhoneNumber",
			 "+1.5555550123", "Email", "owner@example.net");
}

static json_t *register_input(const char *name, int years)
{
	return json_pack("{s:s,s:i,s:o,s:o,s:o}", "DomainName", name, "DurationInYears", years,
			 "AdminContact", contact("Ada"), "RegistrantContact", contact("Rex"),
			 "TechContact", contact("Tess"));
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (!s)
		fail_msg("no string %s", key);
	return s;
}

static json_t *op_detail(const char *id)
{
	return call_ok("GetOperationDetail", json_pack("{s:s}", "OperationId", id));
}

/* Polls GetOperationDetail until the operation is finished; returns its status. */
static char *wait_op(const char *id)
{
	for (int i = 0; i < 1000; i++) {
		json_t *o = op_detail(id);
		const char *s = str(o, "Status");
		if (strcmp(s, "SUCCESSFUL") == 0 || strcmp(s, "FAILED") == 0) {
			char *r = strdup(s);
			json_decref(o);
			return r;
		}
		json_decref(o);
		usleep(10000);
	}
	fail_msg("operation %s never finished", id);
	return NULL;
}

static void expect_success(const char *id)
{
	char *s = wait_op(id);
	if (strcmp(s, "SUCCESSFUL") != 0) {
		json_t *o = op_detail(id);
		fail_msg("operation %s: %s: %s", id, s,
			 json_string_value(json_object_get(o, "Message")));
	}
	free(s);
}

/* Registers and waits: the operation id (static buffer). */
static const char *register_ok(const char *name, int years)
{
	static char id[64];
	json_t *out = call_ok("RegisterDomain", register_input(name, years));
	snprintf(id, sizeof id, "%s", str(out, "OperationId"));
	json_decref(out);
	expect_success(id);
	return id;
}

static json_t *detail(const char *name)
{
	return call_ok("GetDomainDetail", json_pack("{s:s}", "DomainName", name));
}

/* ---- what the TLD servers answer ---- */

static struct zone_db *db_at(const char *ip)
{
	const struct server_addr *a;
	struct zone_db *const *dbs;
	size_t n = sandbox_listeners(sb, 53, &a, &dbs);
	for (size_t i = 0; i < n; i++) {
		char buf[INET6_ADDRSTRLEN] = "";
		if (a[i].ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)&a[i].ss)->sin_addr, buf,
				  sizeof buf);
		if (strcmp(buf, ip) == 0)
			return dbs[i];
	}
	fail_msg("no listener at %s", ip);
	return NULL;
}

struct answer {
	int rcode;
	bool aa;
	char ns[16][DNS_NAME_MAXLEN]; /* NS targets in the authority section, owned by qname */
	size_t nns;
	char glue[8][64]; /* addresses in the additional section */
	size_t nglue;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Asks the server at `ip` for (qname, A) as a resolver would and collects the referral. */
static void ask(const char *ip, const char *qname, struct answer *a)
{
	memset(a, 0, sizeof *a);
	uint8_t q[512] = {0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
	uint8_t wire[DNS_NAME_MAXLEN];
	assert_true(dns_name_from_text(qname, NULL, wire) > 0);
	size_t n = 12, wl = dns_name_len(wire);
	memcpy(q + n, wire, wl);
	n += wl;
	q[n++] = 0;
	q[n++] = DNS_T_A;
	q[n++] = 0;
	q[n++] = DNS_CLASS_IN;
	uint8_t r[4096];
	rcu_thread_online();
	size_t len = auth_answer(zone_db_get(db_at(ip)), q, n, r, sizeof r, true);
	rcu_thread_offline();
	assert_true(len > 12);
	a->rcode = r[3] & 0xf;
	a->aa = (r[2] & 0x04) != 0;
	size_t pos = 12;
	uint8_t name[DNS_NAME_MAXLEN];
	assert_true(dns_name_unpack(r, len, &pos, name) > 0);
	pos += 4;
	unsigned counts[3] = {get16(r + 6), get16(r + 8), get16(r + 10)};
	for (int s = 0; s < 3; s++)
		for (unsigned i = 0; i < counts[s]; i++) {
			assert_true(dns_name_unpack(r, len, &pos, name) > 0);
			uint16_t type = get16(r + pos), rdlen = get16(r + pos + 8);
			pos += 10;
			if (s == 1 && type == DNS_T_NS && a->nns < 16) {
				size_t p = pos;
				uint8_t target[DNS_NAME_MAXLEN];
				assert_true(dns_name_unpack(r, len, &p, target) > 0);
				dns_name_to_text(target, a->ns[a->nns++], DNS_NAME_MAXLEN);
			}
			if (s == 2 && (type == DNS_T_A || type == DNS_T_AAAA) && a->nglue < 8)
				inet_ntop(type == DNS_T_A ? AF_INET : AF_INET6, r + pos,
					  a->glue[a->nglue++], 64);
			pos += rdlen;
		}
}

static bool has_ns(const struct answer *a, const char *target)
{
	for (size_t i = 0; i < a->nns; i++)
		if (strcasecmp(a->ns[i], target) == 0)
			return true;
	return false;
}

static bool has_glue(const struct answer *a, const char *addr)
{
	for (size_t i = 0; i < a->nglue; i++)
		if (strcmp(a->glue[i], addr) == 0)
			return true;
	return false;
}

#define COM_SERVER "127.0.0.3"
#define ORG_SERVER "127.0.0.8"

static void expect_delegated(const char *server, const char *name)
{
	char q[300];
	snprintf(q, sizeof q, "www.%s.", name);
	struct answer a;
	ask(server, q, &a);
	if (a.rcode != 0 || a.aa || a.nns == 0)
		fail_msg("%s is not delegated (rcode %d aa %d ns %zu)", name, a.rcode, a.aa, a.nns);
}

static void expect_undelegated(const char *server, const char *name)
{
	char q[300];
	snprintf(q, sizeof q, "www.%s.", name);
	struct answer a;
	ask(server, q, &a);
	if (a.rcode != 3 || !a.aa)
		fail_msg("%s is still delegated (rcode %d aa %d ns %zu)", name, a.rcode, a.aa,
			 a.nns);
}

/* The hosted zones named `name` (with the final dot). */
static size_t zones_named(const char *name, struct r53_zone *first)
{
	struct r53_zone_list l = {0};
	struct r53_error e = {0};
	assert_int_equal(r53_list_hosted_zones_by_name(r53, name, "", 100, &l, &e), 0);
	size_t n = 0;
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.zones[i].name, name) == 0) {
			if (n++ == 0 && first)
				*first = l.zones[i];
		}
	r53_zone_list_free(&l);
	return n;
}

/* ---- tests: availability and registration ---- */

static void availability_is(const char *name, const char *want)
{
	json_t *o = call_ok("CheckDomainAvailability", json_pack("{s:s}", "DomainName", name));
	if (strcmp(str(o, "Availability"), want) != 0)
		fail_msg("%s: %s, wanted %s", name, str(o, "Availability"), want);
	json_decref(o);
}

static void test_check_availability(void **state)
{
	(void)state;
	availability_is("example.com", "AVAILABLE");
	availability_is("Example.COM.", "AVAILABLE");
	availability_is("shop.org", "AVAILABLE");
	/* The sandbox's own servers live under these. */
	availability_is("gtld-servers.net", "UNAVAILABLE");
	availability_is("awsdns-01.com", "UNAVAILABLE");
	availability_is("root-servers.net", "UNAVAILABLE");
	availability_is("co.uk", "UNAVAILABLE");
	availability_is("www.example.com", "INVALID_NAME_FOR_TLD");
	availability_is("-bad.com", "INVALID_NAME_FOR_TLD");
	availability_is("bad_name.com", "INVALID_NAME_FOR_TLD");
	availability_is("com", "INVALID_NAME_FOR_TLD");
	call_err("CheckDomainAvailability", json_pack("{s:s}", "DomainName", "example.xyz"),
		 "UnsupportedTLD", ".xyz");
	call_err("CheckDomainAvailability", json_pack("{}"), "InvalidInput", "domainName");
	call_err("CheckDomainAvailability", json_pack("{s:i}", "DomainName", 5),
		 "SerializationException", "domainName");
	register_ok("example.com", 1);
	availability_is("example.com", "UNAVAILABLE");
}

static void test_register_lifecycle(void **state)
{
	(void)state;
	json_t *before = hook("GetClock", json_object());
	double t0 = json_number_value(json_object_get(before, "Now"));
	json_decref(before);
	const char *id = register_ok("Example.com", 2);
	json_t *op = op_detail(id);
	assert_string_equal(str(op, "Type"), "REGISTER_DOMAIN");
	assert_string_equal(str(op, "DomainName"), "example.com");
	assert_true(json_is_number(json_object_get(op, "SubmittedDate")));
	assert_true(json_number_value(json_object_get(op, "LastUpdatedDate")) >=
		    json_number_value(json_object_get(op, "SubmittedDate")));
	json_decref(op);

	struct r53_zone z;
	assert_int_equal(zones_named("example.com.", &z), 1);
	assert_string_equal(z.comment, "HostedZone created by Route53 Registrar");
	assert_false(z.private_zone);

	json_t *d = detail("example.com");
	assert_string_equal(str(d, "DomainName"), "example.com");
	json_t *ns = json_object_get(d, "Nameservers");
	assert_int_equal(json_array_size(ns), R53_NS_COUNT);
	for (size_t i = 0; i < R53_NS_COUNT; i++)
		assert_string_equal(str(json_array_get(ns, i), "Name"), z.name_servers[i]);
	assert_true(json_is_true(json_object_get(d, "AutoRenew")));
	assert_string_equal(str(json_object_get(d, "AdminContact"), "FirstName"), "Ada");
	assert_string_equal(str(json_object_get(d, "TechContact"), "PhoneNumber"), "+1.5555550123");
	assert_true(json_is_true(json_object_get(d, "AdminPrivacy")));
	double created = json_number_value(json_object_get(d, "CreationDate"));
	double expires = json_number_value(json_object_get(d, "ExpirationDate"));
	assert_true(created >= t0 - 1);
	/* Two calendar years later (730 or 731 days). */
	assert_true(expires - created >= 730 * 86400.0 && expires - created <= 731 * 86400.0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "StatusList"), 0)),
			    "clientTransferProhibited");
	json_decref(d);

	struct answer a;
	ask(COM_SERVER, "www.example.com.", &a);
	assert_int_equal(a.rcode, 0);
	assert_false(a.aa);
	assert_int_equal(a.nns, 4);
	for (size_t i = 0; i < R53_NS_COUNT; i++) {
		char want[300];
		snprintf(want, sizeof want, "%s.", z.name_servers[i]);
		assert_true(has_ns(&a, want));
	}
	call_err("RegisterDomain", register_input("example.com", 1), "InvalidInput",
		 "not available");
}

static void test_register_validation(void **state)
{
	(void)state;
	call_err("RegisterDomain", register_input("example.xyz", 1), "UnsupportedTLD", ".xyz");
	call_err("RegisterDomain", register_input("bad-.com", 1), "InvalidInput", "hyphen");
	call_err("RegisterDomain", register_input("a.b.com", 1), "InvalidInput", "one label");
	call_err("RegisterDomain", register_input("ex ample.com", 1), "InvalidInput", "character");
	char big[80];
	memset(big, 'a', 64);
	snprintf(big + 64, sizeof big - 64, ".com");
	call_err("RegisterDomain", register_input(big, 1), "InvalidInput", "63");
	call_err("RegisterDomain", register_input("gtld-servers.net", 1), "InvalidInput",
		 "not available");
	call_err("RegisterDomain", register_input("example.com", 0), "InvalidInput",
		 "durationInYears");
	call_err("RegisterDomain", register_input("example.com", 11), "InvalidInput",
		 "durationInYears");
	json_t *in = register_input("example.com", 1);
	json_object_del(in, "AdminContact");
	call_err("RegisterDomain", in, "InvalidInput", "adminContact");
	in = register_input("example.com", 1);
	json_object_set_new(in, "DurationInYears", json_string("1"));
	call_err("RegisterDomain", in, "SerializationException", "durationInYears");

	static const struct {
		const char *member, *value, *part;
	} bad[] = {
		{"PhoneNumber", "555-1234", "TechContact.PhoneNumber"},
		{"PhoneNumber", "+1.12", "TechContact.PhoneNumber"},
		{"Fax", "12345", "TechContact.Fax"},
		{"Email", "not-an-email", "TechContact.Email"},
		{"Email", "a@b", "TechContact.Email"},
		{"CountryCode", "XX", "TechContact.CountryCode"},
		{"CountryCode", "us", "TechContact.CountryCode"},
		{"ContactType", "ALIEN", "TechContact.ContactType"},
		{"ContactType", "COMPANY", "TechContact.OrganizationName"},
		{"FirstName", "", "TechContact.FirstName"},
		{"City", "Spring\nfield", "techContact.city"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		in = register_input("example.com", 1);
		json_object_set_new(json_object_get(in, "TechContact"), bad[i].member,
				    json_string(bad[i].value));
		call_err("RegisterDomain", in, "InvalidInput", bad[i].part);
	}
	in = register_input("example.com", 1);
	json_object_del(json_object_get(in, "RegistrantContact"), "LastName");
	call_err("RegisterDomain", in, "InvalidInput", "RegistrantContact.LastName");
	/* An organisation with its name is fine; so are ExtraParams of the model's names. */
	in = register_input("example.com", 1);
	json_t *c = json_object_get(in, "AdminContact");
	json_object_set_new(c, "ContactType", json_string("COMPANY"));
	json_object_set_new(c, "OrganizationName", json_string("Example Ltd"));
	json_object_set_new(c, "ExtraParams",
			    json_pack("[{s:s,s:s}]", "Name", "VAT_NUMBER", "Value", "GB123"));
	json_decref(call_ok("RegisterDomain", in));
	in = register_input("other.com", 1);
	json_object_set_new(json_object_get(in, "AdminContact"), "ExtraParams",
			    json_pack("[{s:s,s:s}]", "Name", "SHOE_SIZE", "Value", "9"));
	call_err("RegisterDomain", in, "InvalidInput", "ExtraParams");
}

static void test_duplicate_and_statuses(void **state)
{
	(void)state;
	json_decref(hook("HoldOperations", json_pack("{s:b,s:s}", "Hold", 1, "At", "SUBMITTED")));
	json_t *out = call_ok("RegisterDomain", register_input("held.com", 1));
	char id[64];
	snprintf(id, sizeof id, "%s", str(out, "OperationId"));
	json_decref(out);
	usleep(50000);
	json_t *o = op_detail(id);
	assert_string_equal(str(o, "Status"), "SUBMITTED");
	json_decref(o);
	call_err("RegisterDomain", register_input("held.com", 1), "DuplicateRequest",
		 "already in progress");
	json_t *d = detail("held.com");
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "StatusList"), 0)),
			    "pendingCreate");
	json_decref(d);

	json_decref(hook("HoldOperations", json_pack("{s:b,s:s}", "Hold", 1, "At", "IN_PROGRESS")));
	const char *status = "";
	for (int i = 0; i < 500; i++) {
		o = op_detail(id);
		status = str(o, "Status");
		bool done = strcmp(status, "IN_PROGRESS") == 0;
		json_decref(o);
		if (done)
			break;
		usleep(10000);
	}
	o = op_detail(id);
	assert_string_equal(str(o, "Status"), "IN_PROGRESS");
	json_decref(o);
	call_err("RegisterDomain", register_input("held.com", 1), "DuplicateRequest", NULL);
	json_decref(hook("HoldOperations", json_pack("{s:b}", "Hold", 0)));
	expect_success(id);
	expect_delegated(COM_SERVER, "held.com");
	/* Only while in progress: now the name is simply taken. */
	call_err("RegisterDomain", register_input("held.com", 1), "InvalidInput", "not available");
}

static void test_domain_limit(void **state)
{
	(void)state;
	close_all();
	max_domains = 2;
	open_all();
	register_ok("one.com", 1);
	register_ok("two.org", 1);
	call_err("RegisterDomain", register_input("three.net", 1), "DomainLimitExceeded", NULL);
}

/* ---- tests: changes to a registered domain ---- */

static void test_update_nameservers(void **state)
{
	(void)state;
	register_ok("example.com", 1);
	call_err("UpdateDomainNameservers",
		 json_pack("{s:s,s:[{s:s}]}", "DomainName", "example.com", "Nameservers", "Name",
			   "ns1.example.com"),
		 "InvalidInput", "GlueIps");
	call_err("UpdateDomainNameservers",
		 json_pack("{s:s,s:[{s:s,s:[s]}]}", "DomainName", "example.com", "Nameservers",
			   "Name", "ns1.example.com", "GlueIps", "not-an-ip"),
		 "InvalidInput", "GlueIps");
	call_err("UpdateDomainNameservers",
		 json_pack("{s:s,s:[{s:s,s:[s,s]}]}", "DomainName", "example.com", "Nameservers",
			   "Name", "ns1.example.com", "GlueIps", "192.0.2.1", "192.0.2.2"),
		 "InvalidInput", "one IPv4");
	call_err("UpdateDomainNameservers",
		 json_pack("{s:s,s:[{s:s,s:[s]}]}", "DomainName", "example.com", "Nameservers",
			   "Name", "ns.elsewhere.net", "GlueIps", "192.0.2.1"),
		 "InvalidInput", "GlueIps");
	call_err("UpdateDomainNameservers",
		 json_pack("{s:s,s:[]}", "DomainName", "example.com", "Nameservers"),
		 "InvalidInput", "Nameservers");
	call_err("UpdateDomainNameservers",
		 json_pack("{s:s,s:[{s:s}]}", "DomainName", "example.com", "Nameservers", "Name",
			   "bad name.net"),
		 "InvalidInput", "bad name.net");
	call_err("UpdateDomainNameservers",
		 json_pack("{s:s,s:[{s:s}]}", "DomainName", "nothere.com", "Nameservers", "Name",
			   "ns.elsewhere.net"),
		 "InvalidInput", "not found");

	json_t *out =
		call_ok("UpdateDomainNameservers",
			json_pack("{s:s,s:[{s:s,s:[s,s]},{s:s}]}", "DomainName", "example.com",
				  "Nameservers", "Name", "NS1.example.com.", "GlueIps",
				  "192.0.2.53", "2001:db8::53", "Name", "ns.elsewhere.net"));
	json_t *op = op_detail(str(out, "OperationId"));
	assert_string_equal(str(op, "Type"), "UPDATE_NAMESERVER");
	json_decref(op);
	expect_success(str(out, "OperationId"));
	json_decref(out);
	json_t *d = detail("example.com");
	json_t *ns = json_object_get(d, "Nameservers");
	assert_int_equal(json_array_size(ns), 2);
	assert_string_equal(str(json_array_get(ns, 0), "Name"), "ns1.example.com");
	assert_int_equal(json_array_size(json_object_get(json_array_get(ns, 0), "GlueIps")), 2);
	assert_string_equal(str(json_array_get(ns, 1), "Name"), "ns.elsewhere.net");
	json_decref(d);
	struct answer a;
	ask(COM_SERVER, "www.example.com.", &a);
	assert_int_equal(a.nns, 2);
	assert_true(has_ns(&a, "ns1.example.com."));
	assert_true(has_ns(&a, "ns.elsewhere.net."));
	assert_true(has_glue(&a, "192.0.2.53"));
	assert_true(has_glue(&a, "2001:db8::53"));
}

static void test_delete(void **state)
{
	(void)state;
	register_ok("gone.org", 1);
	expect_delegated(ORG_SERVER, "gone.org");
	json_t *out = call_ok("DeleteDomain", json_pack("{s:s}", "DomainName", "gone.org"));
	expect_success(str(out, "OperationId"));
	json_t *op = op_detail(str(out, "OperationId"));
	assert_string_equal(str(op, "Type"), "DELETE_DOMAIN");
	json_decref(op);
	json_decref(out);
	expect_undelegated(ORG_SERVER, "gone.org");
	/* Route 53 keeps the hosted zone (route53-api.md §4.3). */
	assert_int_equal(zones_named("gone.org.", NULL), 1);
	call_err("GetDomainDetail", json_pack("{s:s}", "DomainName", "gone.org"), "InvalidInput",
		 "not found");
	call_err("DeleteDomain", json_pack("{s:s}", "DomainName", "gone.org"), "InvalidInput",
		 "not found");
	call_err("DeleteDomain", json_pack("{s:s}", "DomainName", "gone.xyz"), "UnsupportedTLD",
		 NULL);
	availability_is("gone.org", "AVAILABLE");
	register_ok("gone.org", 1);
	/* A second registration makes a second zone: Route 53 never reuses one. */
	assert_int_equal(zones_named("gone.org.", NULL), 2);
}

static void test_toggles_and_contacts(void **state)
{
	(void)state;
	register_ok("toggle.com", 1);
	json_t *out =
		call_ok("DisableDomainAutoRenew", json_pack("{s:s}", "DomainName", "toggle.com"));
	assert_int_equal(json_object_size(out), 0);
	json_decref(out);
	json_t *d = detail("toggle.com");
	assert_true(json_is_false(json_object_get(d, "AutoRenew")));
	json_decref(d);
	json_decref(
		call_ok("EnableDomainAutoRenew", json_pack("{s:s}", "DomainName", "toggle.com")));
	d = detail("toggle.com");
	assert_true(json_is_true(json_object_get(d, "AutoRenew")));
	json_decref(d);

	out = call_ok("DisableDomainTransferLock", json_pack("{s:s}", "DomainName", "toggle.com"));
	expect_success(str(out, "OperationId"));
	json_t *op = op_detail(str(out, "OperationId"));
	assert_string_equal(str(op, "Type"), "DOMAIN_LOCK");
	json_decref(op);
	json_decref(out);
	d = detail("toggle.com");
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "StatusList"), 0)),
			    "ok");
	json_decref(d);
	json_t *l = call_ok("ListDomains", json_object());
	assert_true(json_is_false(
		json_object_get(json_array_get(json_object_get(l, "Domains"), 0), "TransferLock")));
	json_decref(l);
	out = call_ok("EnableDomainTransferLock", json_pack("{s:s}", "DomainName", "toggle.com"));
	expect_success(str(out, "OperationId"));
	json_decref(out);

	call_err("UpdateDomainContact", json_pack("{s:s}", "DomainName", "toggle.com"),
		 "InvalidInput", "at least one contact");
	json_t *c = contact("Newton");
	json_object_set_new(c, "Email", json_string("bad"));
	call_err("UpdateDomainContact",
		 json_pack("{s:s,s:o}", "DomainName", "toggle.com", "AdminContact", c),
		 "InvalidInput", "AdminContact.Email");
	out = call_ok("UpdateDomainContact", json_pack("{s:s,s:o}", "DomainName", "toggle.com",
						       "RegistrantContact", contact("Newton")));
	expect_success(str(out, "OperationId"));
	op = op_detail(str(out, "OperationId"));
	assert_string_equal(str(op, "Type"), "UPDATE_DOMAIN_CONTACT");
	json_decref(op);
	json_decref(out);
	d = detail("toggle.com");
	assert_string_equal(str(json_object_get(d, "RegistrantContact"), "FirstName"), "Newton");
	assert_string_equal(str(json_object_get(d, "AdminContact"), "FirstName"), "Ada");
	json_decref(d);

	/* Every change left an operation of its type. */
	l = call_ok("ListOperations",
		    json_pack("{s:[s,s]}", "Type", "ENABLE_AUTORENEW", "DISABLE_AUTORENEW"));
	assert_int_equal(json_array_size(json_object_get(l, "Operations")), 2);
	json_decref(l);
}

static int expiry_year(const char *name)
{
	json_t *d = detail(name);
	time_t t = (time_t)json_number_value(json_object_get(d, "ExpirationDate"));
	json_decref(d);
	struct tm tm;
	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}

static void test_renew(void **state)
{
	(void)state;
	register_ok("renew.net", 1);
	int year = expiry_year("renew.net");
	call_err("RenewDomain",
		 json_pack("{s:s,s:i,s:i}", "DomainName", "renew.net", "CurrentExpiryYear",
			   year - 1, "DurationInYears", 1),
		 "InvalidInput", "CurrentExpiryYear");
	call_err("RenewDomain",
		 json_pack("{s:s,s:i,s:i}", "DomainName", "renew.net", "CurrentExpiryYear", year,
			   "DurationInYears", 10),
		 "InvalidInput", "10 years");
	call_err("RenewDomain", json_pack("{s:s}", "DomainName", "renew.net"), "InvalidInput",
		 "currentExpiryYear");
	json_t *out =
		call_ok("RenewDomain", json_pack("{s:s,s:i,s:i}", "DomainName", "renew.net",
						 "CurrentExpiryYear", year, "DurationInYears", 2));
	expect_success(str(out, "OperationId"));
	json_decref(out);
	assert_int_equal(expiry_year("renew.net"), year + 2);
}

static double clock_now(void)
{
	json_t *c = hook("GetClock", json_object());
	double now = json_number_value(json_object_get(c, "Now"));
	json_decref(c);
	return now;
}

static void advance(int64_t seconds)
{
	json_decref(hook("AdvanceClock", json_pack("{s:I}", "Seconds", (json_int_t)seconds)));
}

static void test_expiry_auto_renew(void **state)
{
	(void)state;
	register_ok("keep.com", 1);
	int year = expiry_year("keep.com");
	advance(366LL * 86400 + 3600);
	assert_int_equal(expiry_year("keep.com"), year + 1);
	json_t *l = call_ok("ListOperations", json_pack("{s:[s]}", "Type", "RENEW_DOMAIN"));
	json_t *ops = json_object_get(l, "Operations");
	assert_int_equal(json_array_size(ops), 1);
	assert_string_equal(str(json_array_get(ops, 0), "Status"), "SUCCESSFUL");
	assert_string_equal(str(json_array_get(ops, 0), "DomainName"), "keep.com");
	json_decref(l);
	expect_delegated(COM_SERVER, "keep.com");
	/* Three more years at once: renewed a year at a time. */
	advance(3LL * 366 * 86400);
	assert_int_equal(expiry_year("keep.com"), year + 4);
	l = call_ok("ListOperations", json_pack("{s:[s]}", "Type", "RENEW_DOMAIN"));
	assert_int_equal(json_array_size(json_object_get(l, "Operations")), 4);
	json_decref(l);
}

static void test_expiry_without_auto_renew(void **state)
{
	(void)state;
	register_ok("lapse.com", 1);
	json_decref(
		call_ok("DisableDomainAutoRenew", json_pack("{s:s}", "DomainName", "lapse.com")));
	expect_delegated(COM_SERVER, "lapse.com");
	advance(366LL * 86400 + 3600);
	expect_undelegated(COM_SERVER, "lapse.com");
	json_t *d = detail("lapse.com");
	json_t *sl = json_object_get(d, "StatusList");
	assert_string_equal(json_string_value(json_array_get(sl, 0)), "clientHold");
	assert_true(json_number_value(json_object_get(d, "ExpirationDate")) < clock_now());
	json_decref(d);
	json_t *l = call_ok("ListDomains",
			    json_pack("{s:[{s:s,s:s,s:[s]}]}", "FilterConditions", "Name", "Expiry",
				      "Operator", "LE", "Values", "99999999999"));
	assert_int_equal(json_array_size(json_object_get(l, "Domains")), 1);
	json_decref(l);
	l = call_ok("ListOperations", json_pack("{s:[s]}", "Type", "EXPIRE_DOMAIN"));
	assert_int_equal(json_array_size(json_object_get(l, "Operations")), 1);
	json_decref(l);
	/* Renewing brings it back. */
	int year = expiry_year("lapse.com");
	json_t *out = call_ok("RenewDomain", json_pack("{s:s,s:i}", "DomainName", "lapse.com",
						       "CurrentExpiryYear", year));
	expect_success(str(out, "OperationId"));
	json_decref(out);
	expect_delegated(COM_SERVER, "lapse.com");
	d = detail("lapse.com");
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "StatusList"), 0)),
			    "clientTransferProhibited");
	json_decref(d);
}

/* ---- tests: lists ---- */

static void names_are(json_t *l, const char *const *want, size_t n)
{
	json_t *ds = json_object_get(l, "Domains");
	if (json_array_size(ds) != n)
		fail_msg("%zu domains, wanted %zu", json_array_size(ds), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(str(json_array_get(ds, i), "DomainName"), want[i]);
}

static void test_list_domains(void **state)
{
	(void)state;
	register_ok("bravo.com", 1);
	register_ok("alpha.com", 3);
	register_ok("charlie.org", 2);
	register_ok("alpine.net", 5);
	json_t *l = call_ok("ListDomains", json_object());
	names_are(l, (const char *[]){"alpha.com", "alpine.net", "bravo.com", "charlie.org"}, 4);
	assert_null(json_object_get(l, "NextPageMarker"));
	json_t *first = json_array_get(json_object_get(l, "Domains"), 0);
	assert_true(json_is_true(json_object_get(first, "AutoRenew")));
	assert_true(json_is_number(json_object_get(first, "Expiry")));
	json_decref(l);

	l = call_ok("ListDomains", json_pack("{s:i}", "MaxItems", 3));
	names_are(l, (const char *[]){"alpha.com", "alpine.net", "bravo.com"}, 3);
	const char *marker = str(l, "NextPageMarker");
	json_t *l2 =
		call_ok("ListDomains", json_pack("{s:i,s:s}", "MaxItems", 3, "Marker", marker));
	names_are(l2, (const char *[]){"charlie.org"}, 1);
	assert_null(json_object_get(l2, "NextPageMarker"));
	json_decref(l2);
	json_decref(l);

	l = call_ok("ListDomains",
		    json_pack("{s:[{s:s,s:s,s:[s]}],s:{s:s,s:s}}", "FilterConditions", "Name",
			      "DomainName", "Operator", "BEGINS_WITH", "Values", "alp",
			      "SortCondition", "Name", "DomainName", "SortOrder", "DESC"));
	names_are(l, (const char *[]){"alpine.net", "alpha.com"}, 2);
	json_decref(l);
	l = call_ok("ListDomains", json_pack("{s:{s:s,s:s}}", "SortCondition", "Name", "Expiry",
					     "SortOrder", "ASC"));
	names_are(l, (const char *[]){"bravo.com", "charlie.org", "alpha.com", "alpine.net"}, 4);
	json_decref(l);
	char cut[32];
	snprintf(cut, sizeof cut, "%.0f", clock_now() + 2.5 * 366 * 86400);
	l = call_ok("ListDomains", json_pack("{s:[{s:s,s:s,s:[s]}]}", "FilterConditions", "Name",
					     "Expiry", "Operator", "GE", "Values", cut));
	names_are(l, (const char *[]){"alpha.com", "alpine.net"}, 2);
	json_decref(l);

	call_err("ListDomains", json_pack("{s:i}", "MaxItems", 101), "InvalidInput", "maxItems");
	call_err("ListDomains", json_pack("{s:s}", "Marker", "zzz.com"), "InvalidInput", "marker");
	call_err("ListDomains",
		 json_pack("{s:[{s:s,s:s,s:[s]}]}", "FilterConditions", "Name", "DomainName",
			   "Operator", "GE", "Values", "a"),
		 "InvalidInput", "DomainName filter");
	call_err("ListDomains",
		 json_pack("{s:[{s:s,s:s,s:[s]}],s:{s:s,s:s}}", "FilterConditions", "Name",
			   "DomainName", "Operator", "BEGINS_WITH", "Values", "a", "SortCondition",
			   "Name", "Expiry", "SortOrder", "ASC"),
		 "InvalidInput", "Sort condition");
	call_err("ListDomains",
		 json_pack("{s:[{s:s,s:s,s:[s,s]}]}", "FilterConditions", "Name", "DomainName",
			   "Operator", "BEGINS_WITH", "Values", "a", "b"),
		 "InvalidInput", "exactly one");
}

static void test_list_operations(void **state)
{
	(void)state;
	double t0 = clock_now();
	register_ok("ops1.com", 1);
	register_ok("ops2.com", 1);
	json_decref(
		call_ok("DisableDomainAutoRenew", json_pack("{s:s}", "DomainName", "ops1.com")));
	json_t *out = call_ok("DeleteDomain", json_pack("{s:s}", "DomainName", "ops2.com"));
	expect_success(str(out, "OperationId"));
	json_decref(out);

	json_t *l = call_ok("ListOperations", json_object());
	json_t *ops = json_object_get(l, "Operations");
	assert_int_equal(json_array_size(ops), 4);
	assert_string_equal(str(json_array_get(ops, 0), "Type"), "REGISTER_DOMAIN");
	assert_string_equal(str(json_array_get(ops, 3), "Type"), "DELETE_DOMAIN");
	json_decref(l);
	l = call_ok("ListOperations", json_pack("{s:s,s:s,s:i}", "SortBy", "SubmittedDate",
						"SortOrder", "DESC", "MaxItems", 3));
	ops = json_object_get(l, "Operations");
	assert_int_equal(json_array_size(ops), 3);
	assert_string_equal(str(json_array_get(ops, 0), "Type"), "DELETE_DOMAIN");
	json_t *l2 = call_ok("ListOperations",
			     json_pack("{s:s,s:s,s:i,s:s}", "SortBy", "SubmittedDate", "SortOrder",
				       "DESC", "MaxItems", 3, "Marker", str(l, "NextPageMarker")));
	ops = json_object_get(l2, "Operations");
	assert_int_equal(json_array_size(ops), 1);
	assert_string_equal(str(json_array_get(ops, 0), "DomainName"), "ops1.com");
	assert_string_equal(str(json_array_get(ops, 0), "Type"), "REGISTER_DOMAIN");
	assert_null(json_object_get(l2, "NextPageMarker"));
	json_decref(l2);
	json_decref(l);
	l = call_ok("ListOperations",
		    json_pack("{s:[s],s:[s]}", "Status", "SUCCESSFUL", "Type", "REGISTER_DOMAIN"));
	assert_int_equal(json_array_size(json_object_get(l, "Operations")), 2);
	json_decref(l);
	l = call_ok("ListOperations", json_pack("{s:f}", "SubmittedSince", t0 + 3600));
	assert_int_equal(json_array_size(json_object_get(l, "Operations")), 0);
	json_decref(l);
	l = call_ok("ListOperations", json_pack("{s:f}", "SubmittedSince", t0 - 1));
	assert_int_equal(json_array_size(json_object_get(l, "Operations")), 4);
	json_decref(l);
	call_err("ListOperations", json_pack("{s:[s]}", "Status", "DONE"), "InvalidInput",
		 "Status");
	call_err("ListOperations", json_pack("{s:[s]}", "Type", "FLY"), "InvalidInput", "Type");
	call_err("ListOperations", json_pack("{s:s}", "SortBy", "Type"), "InvalidInput", "SortBy");
	call_err("ListOperations", json_pack("{s:s}", "Marker", "x"), "InvalidInput", "marker");
	call_err("GetOperationDetail", json_pack("{s:s}", "OperationId", "nope"), "InvalidInput",
		 "nope");
}

static void test_prices_and_suggestions(void **state)
{
	(void)state;
	json_t *p = call_ok("ListPrices", json_object());
	json_t *prices = json_object_get(p, "Prices");
	assert_int_equal(json_array_size(prices), 5); /* com net org uk internal */
	json_t *com = NULL;
	size_t i;
	json_t *e;
	json_array_foreach(prices, i, e) if (strcmp(str(e, "Name"), "com") == 0) com = e;
	assert_non_null(com);
	json_t *reg = json_object_get(com, "RegistrationPrice");
	assert_string_equal(str(reg, "Currency"), "USD");
	assert_true(json_is_real(json_object_get(reg, "Price")));
	assert_non_null(json_object_get(com, "RenewalPrice"));
	assert_non_null(json_object_get(com, "TransferPrice"));
	json_decref(p);
	p = call_ok("ListPrices", json_pack("{s:s}", "Tld", "org"));
	assert_int_equal(json_array_size(json_object_get(p, "Prices")), 1);
	json_decref(p);
	p = call_ok("ListPrices", json_pack("{s:i}", "MaxItems", 2));
	assert_int_equal(json_array_size(json_object_get(p, "Prices")), 2);
	json_t *p2 = call_ok("ListPrices", json_pack("{s:s}", "Marker", str(p, "NextPageMarker")));
	assert_int_equal(json_array_size(json_object_get(p2, "Prices")), 3);
	json_decref(p2);
	json_decref(p);
	call_err("ListPrices", json_pack("{s:s}", "Tld", "xyz"), "UnsupportedTLD", NULL);

	register_ok("coffee.org", 1);
	json_t *s = call_ok("GetDomainSuggestions",
			    json_pack("{s:s,s:i,s:b}", "DomainName", "coffee.com",
				      "SuggestionCount", 10, "OnlyAvailable", 1));
	json_t *list = json_object_get(s, "SuggestionsList");
	assert_int_equal(json_array_size(list), 10);
	json_array_foreach(list, i, e)
	{
		assert_string_equal(str(e, "Availability"), "AVAILABLE");
		assert_string_not_equal(str(e, "DomainName"), "coffee.org");
		assert_string_not_equal(str(e, "DomainName"), "coffee.com");
	}
	json_decref(s);
	s = call_ok("GetDomainSuggestions", json_pack("{s:s,s:i,s:b}", "DomainName", "coffee.com",
						      "SuggestionCount", 50, "OnlyAvailable", 0));
	bool saw_taken = false;
	json_array_foreach(json_object_get(s, "SuggestionsList"), i, e) saw_taken |=
		strcmp(str(e, "DomainName"), "coffee.org") == 0 &&
		strcmp(str(e, "Availability"), "UNAVAILABLE") == 0;
	assert_true(saw_taken);
	json_decref(s);
	call_err("GetDomainSuggestions",
		 json_pack("{s:s,s:i,s:b}", "DomainName", "coffee.xyz", "SuggestionCount", 5,
			   "OnlyAvailable", 1),
		 "UnsupportedTLD", NULL);
	call_err("GetDomainSuggestions",
		 json_pack("{s:s,s:i,s:b}", "DomainName", "coffee.com", "SuggestionCount", 51,
			   "OnlyAvailable", 1),
		 "InvalidInput", "SuggestionCount");
	call_err("GetDomainSuggestions",
		 json_pack("{s:s,s:i}", "DomainName", "coffee.com", "SuggestionCount", 5),
		 "InvalidInput", "onlyAvailable");
}

static void test_unsupported_and_unknown(void **state)
{
	(void)state;
	assert_true(domains_known_operation("TransferDomain"));
	assert_true(domains_known_operation("ViewBilling"));
	assert_false(domains_known_operation("FlyToTheMoon"));
	call_err("TransferDomain", json_object(), "InvalidInput", "TransferDomain");
	call_err("ViewBilling", json_object(), "InvalidInput", "ViewBilling");
	call_err("FlyToTheMoon", json_object(), "UnknownOperationException", NULL);
}

/* ---- tests: restarts ---- */

static void test_resume_after_restart(void **state)
{
	(void)state;
	json_decref(hook("HoldOperations", json_pack("{s:b,s:s}", "Hold", 1, "At", "SUBMITTED")));
	json_t *out = call_ok("RegisterDomain", register_input("resume.com", 1));
	char id[64];
	snprintf(id, sizeof id, "%s", str(out, "OperationId"));
	json_decref(out);
	/* An earlier attempt that made the zone and then died: the resumed one must find it. */
	struct r53_create_zone req = {.has_comment = true};
	snprintf(req.name, sizeof req.name, "resume.com.");
	snprintf(req.caller_reference, sizeof req.caller_reference, "signpost-registrar-%s", id);
	snprintf(req.comment, sizeof req.comment, "HostedZone created by Route53 Registrar");
	struct r53_zone z;
	struct r53_change_info ci;
	struct r53_error e = {0};
	assert_int_equal(r53_create_hosted_zone(r53, &req, &z, &ci, &e), 0);
	domains_close(dom);
	dom = NULL;
	open_domains(); /* not held: the worker resumes the operation */
	expect_success(id);
	assert_int_equal(zones_named("resume.com.", NULL), 1);
	expect_delegated(COM_SERVER, "resume.com");

	/* Held IN_PROGRESS (the step a crash would interrupt), then closed: resumed too. */
	json_decref(hook("HoldOperations", json_pack("{s:b,s:s}", "Hold", 1, "At", "IN_PROGRESS")));
	out = call_ok("RegisterDomain", register_input("midway.org", 1));
	snprintf(id, sizeof id, "%s", str(out, "OperationId"));
	json_decref(out);
	for (int i = 0; i < 500; i++) {
		json_t *o = op_detail(id);
		bool there = strcmp(str(o, "Status"), "IN_PROGRESS") == 0;
		json_decref(o);
		if (there)
			break;
		usleep(10000);
	}
	json_t *o = op_detail(id);
	assert_string_equal(str(o, "Status"), "IN_PROGRESS");
	json_decref(o);
	domains_close(dom);
	dom = NULL;
	open_domains();
	expect_success(id);
	assert_int_equal(zones_named("midway.org.", NULL), 1);
	expect_delegated(ORG_SERVER, "midway.org");

	/* Restart everything: the sandbox starts empty and gets the delegations back. */
	advance(1000);
	close_all();
	open_all();
	expect_delegated(COM_SERVER, "resume.com");
	expect_delegated(ORG_SERVER, "midway.org");
	json_t *c = hook("GetClock", json_object());
	assert_int_equal(json_integer_value(json_object_get(c, "Offset")), 1000);
	json_decref(c);
	json_t *d = detail("resume.com");
	assert_string_equal(str(json_array_get(json_object_get(d, "Nameservers"), 0), "Name"),
			    z.name_servers[0]);
	json_decref(d);
}

static void test_hooks_refused_without_flag(void **state)
{
	(void)state;
	domains_close(dom);
	struct domains_config dc = {.data_dir = tmpdir, .r53 = r53, .sandbox = sb};
	struct domains_error e = {.type = ""};
	assert_int_equal(domains_open(&dc, &dom, &e), 0);
	json_t *out = NULL;
	json_t *in = json_pack("{s:i}", "Seconds", 10);
	assert_int_not_equal(domains_test_call(dom, "AdvanceClock", in, &out, &e), 0);
	json_decref(in);
	assert_null(out);
	assert_string_equal(e.type, "UnknownOperationException");
}

/* ---- the JSON front door ---- */

struct req {
	struct http_request r;
	struct http_kv headers[8];
	char date[20];
	char auth[512];
	char target[128];
	char *body;
};

struct resp {
	struct http_response r;
	json_t *json;
	const char *type; /* __type of an error */
};

static void build(struct req *q, const char *target, const char *body)
{
	memset(q, 0, sizeof *q);
	snprintf(q->target, sizeof q->target, "%s", target);
	q->body = body ? strdup(body) : NULL;
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(q->date, sizeof q->date, "%Y%m%dT%H%M%SZ", &tm);
	q->headers[0] = (struct http_kv){"host", "127.0.0.1:8053"};
	q->headers[1] = (struct http_kv){"x-amz-date", q->date};
	q->headers[2] = (struct http_kv){"x-amz-target", q->target};
	q->headers[3] = (struct http_kv){"content-type", "application/x-amz-json-1.1"};
	q->r = (struct http_request){.method = "POST",
				     .path = "/",
				     .raw_path = "/",
				     .headers = q->headers,
				     .nheaders = 4,
				     .body = (const uint8_t *)q->body,
				     .body_len = body ? strlen(body) : 0};
}

static void sign(struct req *q, const char *service, const struct sigv4_key *key)
{
	assert_int_equal(sigv4_sign(&q->r, "content-type;host;x-amz-date;x-amz-target", "us-east-1",
				    service, key, q->auth, sizeof q->auth),
			 0);
	q->headers[q->r.nheaders++] = (struct http_kv){"authorization", q->auth};
}

static void handle(struct domains_http *h, struct req *q, struct resp *p)
{
	memset(p, 0, sizeof *p);
	domains_http_handle(h, &q->r, &p->r);
	free(q->body);
	q->body = NULL;
	assert_string_equal(p->r.content_type, "application/x-amz-json-1.1");
	bool rid = false;
	for (size_t i = 0; i < p->r.nheaders; i++)
		rid |= strcmp(p->r.headers[i].name, "x-amzn-RequestId") == 0;
	assert_true(rid);
	p->json = json_loadb(p->r.body, p->r.body_len, 0, NULL);
	assert_non_null(p->json);
	p->type = json_string_value(json_object_get(p->json, "__type"));
}

static void resp_free(struct resp *p)
{
	free(p->r.body);
	for (size_t i = 0; i < HTTP_MAX_EXTRA_HEADERS; i++)
		free(p->r.header_storage[i]);
	json_decref(p->json);
}

/* A signed request; the response in p. */
static void send_signed(struct domains_http *h, const char *target, const char *body,
			struct resp *p)
{
	struct req q;
	build(&q, target, body);
	sign(&q, "route53domains", &KEYS[0]);
	handle(h, &q, p);
}

static void test_http(void **state)
{
	(void)state;
	struct domains_http_config hc = {.engine = dom, .keys = KEYS, .nkeys = 1};
	struct domains_http *h = domains_http_new(&hc);
	assert_non_null(h);
	struct http_request probe = {.method = "POST", .path = "/"};
	struct http_kv hdr = {"x-amz-target", "Route53Domains_v20140515.ListDomains"};
	probe.headers = &hdr;
	probe.nheaders = 1;
	assert_true(domains_http_wants(&probe));
	hdr.value = "SignpostTest.AdvanceClock";
	assert_true(domains_http_wants(&probe));
	probe.nheaders = 0;
	assert_false(domains_http_wants(&probe));

	struct resp p;
	send_signed(h, "Route53Domains_v20140515.CheckDomainAvailability",
		    "{\"DomainName\": \"web.com\"}", &p);
	assert_int_equal(p.r.status, 200);
	assert_string_equal(str(p.json, "Availability"), "AVAILABLE");
	resp_free(&p);

	/* botocore sends "{}" for an empty input; an empty body is the same. */
	send_signed(h, "Route53Domains_v20140515.ListDomains", "", &p);
	assert_int_equal(p.r.status, 200);
	assert_true(json_is_array(json_object_get(p.json, "Domains")));
	resp_free(&p);

	json_t *reg = register_input("web.com", 1);
	char *body = json_dumps(reg, 0);
	json_decref(reg);
	send_signed(h, "Route53Domains_v20140515.RegisterDomain", body, &p);
	free(body);
	assert_int_equal(p.r.status, 200);
	char id[64];
	snprintf(id, sizeof id, "%s", str(p.json, "OperationId"));
	resp_free(&p);
	expect_success(id);
	char req_body[128];
	snprintf(req_body, sizeof req_body, "{\"OperationId\": \"%s\"}", id);
	send_signed(h, "Route53Domains_v20140515.GetOperationDetail", req_body, &p);
	assert_int_equal(p.r.status, 200);
	assert_true(json_is_real(json_object_get(p.json, "SubmittedDate")));
	/* Milliseconds at most: no binary tail like .12299999. */
	assert_non_null(strstr(p.r.body, "\"SubmittedDate\":"));
	const char *sd = strstr(p.r.body, "\"SubmittedDate\":") + 16;
	const char *dot = strchr(sd, '.');
	assert_non_null(dot);
	size_t decimals = strspn(dot + 1, "0123456789");
	assert_true(decimals >= 1 && decimals <= 3);
	resp_free(&p);

	/* Errors: 400 {"__type", "message"}. */
	send_signed(h, "Route53Domains_v20140515.GetDomainDetail", "{\"DomainName\": \"x.xyz\"}",
		    &p);
	assert_int_equal(p.r.status, 400);
	assert_string_equal(p.type, "UnsupportedTLD");
	assert_non_null(json_string_value(json_object_get(p.json, "message")));
	resp_free(&p);
	send_signed(h, "Route53Domains_v20140515.ListDomains", "{\"MaxItems\": ", &p);
	assert_int_equal(p.r.status, 400);
	assert_string_equal(p.type, "SerializationException");
	resp_free(&p);
	send_signed(h, "Route53Domains_v20140515.ListDomains", "[1, 2]", &p);
	assert_string_equal(p.type, "SerializationException");
	resp_free(&p);
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 99);
	deep[199] = '\0';
	send_signed(h, "Route53Domains_v20140515.ListDomains", deep, &p);
	assert_string_equal(p.type, "SerializationException");
	resp_free(&p);
	send_signed(h, "Route53Domains_v20140515.FlyToTheMoon", "{}", &p);
	assert_int_equal(p.r.status, 400);
	assert_string_equal(p.type, "UnknownOperationException");
	resp_free(&p);
	send_signed(h, "Route53Domains_v20140515.TransferDomain", "{}", &p);
	assert_string_equal(p.type, "InvalidInput");
	assert_non_null(
		strstr(json_string_value(json_object_get(p.json, "message")), "TransferDomain"));
	resp_free(&p);

	send_signed(h, "SignpostTest.FlyToTheMoon", "{}", &p);
	assert_string_equal(p.type, "UnknownOperationException");
	resp_free(&p);
	struct req g;
	build(&g, "Route53Domains_v20140515.ListDomains", NULL);
	g.r.method = "GET";
	sign(&g, "route53domains", &KEYS[0]);
	handle(h, &g, &p);
	assert_int_equal(p.r.status, 400);
	assert_string_equal(p.type, "UnknownOperationException");
	resp_free(&p);

	/* DuplicateRequest carries requestId. */
	json_decref(hook("HoldOperations", json_pack("{s:b}", "Hold", 1)));
	reg = register_input("dup.com", 1);
	body = json_dumps(reg, 0);
	json_decref(reg);
	send_signed(h, "Route53Domains_v20140515.RegisterDomain", body, &p);
	assert_int_equal(p.r.status, 200);
	resp_free(&p);
	send_signed(h, "Route53Domains_v20140515.RegisterDomain", body, &p);
	free(body);
	assert_string_equal(p.type, "DuplicateRequest");
	assert_non_null(json_string_value(json_object_get(p.json, "requestId")));
	resp_free(&p);
	send_signed(h, "SignpostTest.HoldOperations", "{\"Hold\": false}", &p);
	assert_int_equal(p.r.status, 200);
	resp_free(&p);
	send_signed(h, "SignpostTest.AdvanceClock", "{\"Seconds\": 60}", &p);
	assert_int_equal(p.r.status, 200);
	assert_true(json_is_number(json_object_get(p.json, "Now")));
	resp_free(&p);

	/* SigV4 first: an unsigned or badly signed request never reaches the JSON parser. */
	struct req q;
	build(&q, "Route53Domains_v20140515.ListDomains", "{not json");
	handle(h, &q, &p);
	assert_int_equal(p.r.status, 403);
	assert_string_equal(p.type, "MissingAuthenticationToken");
	resp_free(&p);
	build(&q, "Route53Domains_v20140515.ListDomains", "{not json");
	struct sigv4_key wrong = {AKID, "not/the/secret/at/all/0123456789abcdefgh"};
	sign(&q, "route53domains", &wrong);
	handle(h, &q, &p);
	assert_int_equal(p.r.status, 403);
	assert_string_equal(p.type, "SignatureDoesNotMatch");
	resp_free(&p);
	build(&q, "Route53Domains_v20140515.ListDomains", "{}");
	sign(&q, "route53", &KEYS[0]); /* the other service's scope */
	handle(h, &q, &p);
	assert_int_equal(p.r.status, 403);
	resp_free(&p);
	struct sigv4_key stranger = {"AKIDNOBODYKNOWSTHIS1", SECRET};
	build(&q, "Route53Domains_v20140515.ListDomains", "{}");
	sign(&q, "route53domains", &stranger);
	handle(h, &q, &p);
	assert_int_equal(p.r.status, 403);
	assert_string_equal(p.type, "InvalidClientTokenId");
	resp_free(&p);
	/* The body is signed: changing it after signing is caught. */
	build(&q, "Route53Domains_v20140515.CheckDomainAvailability", "{\"DomainName\":\"a.com\"}");
	sign(&q, "route53domains", &KEYS[0]);
	q.body[17] = 'b';
	handle(h, &q, &p);
	assert_string_equal(p.type, "SignatureDoesNotMatch");
	resp_free(&p);
	domains_http_free(h);
}

/* Many threads calling at once while the worker runs: one registration per name, no crash. */
struct racer {
	int n;
	int ok, dup, taken;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	for (int i = 0; i < 20; i++) {
		json_t *out = NULL;
		struct domains_error e = {.type = ""};
		char name[32];
		snprintf(name, sizeof name, "race%d.com", i % 5);
		json_t *in = register_input(name, 1);
		if (domains_call(dom, "RegisterDomain", in, &out, &e) == 0)
			r->ok++;
		else if (strcmp(e.type, "DuplicateRequest") == 0)
			r->dup++;
		else if (strcmp(e.type, "InvalidInput") == 0)
			r->taken++;
		json_decref(in);
		json_decref(out);
		in = json_pack("{s:s}", "DomainName", name);
		if (domains_call(dom, "GetDomainDetail", in, &out, &e) == 0)
			json_decref(out);
		json_decref(in);
	}
	return NULL;
}

static void test_concurrent_calls(void **state)
{
	(void)state;
	pthread_t t[4];
	struct racer r[4] = {{0}};
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	int ok = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ok += r[i].ok;
		assert_int_equal(r[i].ok + r[i].dup + r[i].taken, 20);
	}
	assert_int_equal(ok, 5);
	json_t *l = call_ok("ListOperations", json_pack("{s:[s]}", "Type", "REGISTER_DOMAIN"));
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(l, "Operations"), i, e)
		expect_success(str(e, "OperationId"));
	json_decref(l);
	for (int k = 0; k < 5; k++) {
		char name[32];
		snprintf(name, sizeof name, "race%d.com.", k);
		assert_int_equal(zones_named(name, NULL), 1);
	}
}

static int group_setup(void **state)
{
	(void)state;
	log_set_level(LOG_ERR);
	/* This thread reads zone snapshots in ask(); offline otherwise, so the worker's
	 * publications (synchronize_rcu) never wait for it. */
	rcu_register_thread();
	rcu_thread_offline();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rcu_thread_online();
	rcu_unregister_thread();
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_check_availability),
		T(test_register_lifecycle),
		T(test_register_validation),
		T(test_duplicate_and_statuses),
		T(test_domain_limit),
		T(test_update_nameservers),
		T(test_delete),
		T(test_toggles_and_contacts),
		T(test_renew),
		T(test_expiry_auto_renew),
		T(test_expiry_without_auto_renew),
		T(test_list_domains),
		T(test_list_operations),
		T(test_prices_and_suggestions),
		T(test_unsupported_and_unknown),
		T(test_resume_after_restart),
		T(test_hooks_refused_without_flag),
		T(test_http),
		T(test_concurrent_calls),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
