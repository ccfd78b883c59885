/*
 * api/r53_zones.c - the Route 53 engine's hosted zones, change records, tags, reusable
 * delegation sets and limits (route53-api.md §2.1, §2.4, §2.5, §2.7, §3.6).
 *
 * Every public function takes r->lock for its whole run: Route 53 serialises writes per
 * account, and one writer is also what the store and the zone_db publisher require. A write
 * is one store transaction; the answer is given only after COMMIT returned (durable) and, for
 * zone creation and deletion, after the served zone set was updated, so the change row can be
 * marked INSYNC truthfully before the caller sees it. Change rows are inserted PENDING inside
 * the transaction and flipped to INSYNC after publishing; r53_open() flips any left PENDING
 * by a crash, since it has just published every zone in the store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api/domains_schema.h"
#include "api/r53_internal.h"
#include "base/log.h"

/*
 * Schema versions, append only. 2: aliases are found by their target (to refuse dangling
 * ones and to propagate changes); without the index each lookup scans every rrset.
 */
const char *const r53_migrations[] = {
	R53_SCHEMA_V1,
	"CREATE INDEX IF NOT EXISTS rrsets_alias_target ON rrsets("
	"json_extract(body,'$.alias.hosted_zone_id'), json_extract(body,'$.alias.dns_name')) "
	"WHERE json_extract(body,'$.alias.hosted_zone_id') IS NOT NULL;",
	DOMAINS_SCHEMA_V3,
};
const int r53_nmigrations = (int)(sizeof r53_migrations / sizeof r53_migrations[0]);

/* Route 53's documented default quotas (DNSLimitations; GetAccountLimit's values). */
#define LIMIT_ZONES            500
#define LIMIT_RRSETS           10000
#define LIMIT_HEALTH_CHECKS    200
#define LIMIT_DELEGATION_SETS  100
#define LIMIT_TRAFFIC_POLICIES 50
#define LIMIT_POLICY_INSTANCES 5
#define LIMIT_ZONES_PER_SET    100
#define LIMIT_VPCS_PER_ZONE    300
#define LIMIT_TAGS_PER_REQUEST 10
#define LIMIT_TAGS_PER_RES     50
#define LIST_MAX               100

static const char *const default_ns[R53_NS_COUNT] = {
	"ns-1.signpost.com",
	"ns-2.signpost.net",
	"ns-3.signpost.org",
	"ns-4.signpost.co.uk",
};

/* ---- errors, ids, time ---- */

void r53_error_clear(struct r53_error *e)
{
	if (!e)
		return;
	free(e->message);
	memset(e, 0, sizeof *e);
}

void r53_err(struct r53_error *e, int status, const char *code, const char *fmt, ...)
{
	if (!e)
		return;
	free(e->message);
	e->message = NULL;
	e->status = status;
	snprintf(e->code, sizeof e->code, "%s", code);
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&e->message, fmt, ap) < 0)
		e->message = NULL;
	va_end(ap);
}

static int internal(struct r53 *r, struct r53_error *err, const char *what)
{
	r53_err(err, 500, "InternalFailure", "%s: %s", what,
		r && r->store ? sqlite3_errmsg(store_sqlite(r->store)) : "store unavailable");
	return -1;
}

void r53_new_id(char prefix, char out[R53_ID_MAX])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	uint8_t rnd[20];
	size_t got = 0;
	while (got < sizeof rnd) {
		ssize_t n = getrandom(rnd + got, sizeof rnd - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < sizeof rnd) {
		/* getrandom is missing (old kernel, seccomp): fall back to the device. */
		FILE *f = fopen("/dev/urandom", "rb");
		if (f) {
			got += fread(rnd + got, 1, sizeof rnd - got, f);
			fclose(f);
		}
		/* Last resort so an id is always produced; uniqueness is still checked by the
		 * primary keys that every id is inserted under. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x =
			(uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
		for (size_t i = got; i < sizeof rnd; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			rnd[i] = (uint8_t)(x >> 56);
		}
	}
	out[0] = prefix;
	/* 256 % 36 != 0 leaves a negligible bias; ids only need to be unguessable-ish and
	 * distinct. */
	for (size_t i = 0; i < sizeof rnd; i++)
		out[1 + i] = alphabet[rnd[i] % 36];
	out[1 + sizeof rnd] = '\0';
}

void r53_now_iso(char out[32])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char date[24];
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", date, (int)(ts.tv_nsec / 1000000));
}

const char *r53_bare_id(const char *id)
{
	static const char *const prefixes[] = {"/hostedzone/", "/change/", "/delegationset/"};
	if (!id)
		return "";
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		size_t n = strlen(prefixes[i]);
		if (strncmp(id, prefixes[i], n) == 0)
			return id + n;
	}
	return id;
}

void r53_zone_list_free(struct r53_zone_list *l)
{
	if (!l)
		return;
	free(l->zones);
	memset(l, 0, sizeof *l);
}

/* ---- small helpers ---- */

static void copy_text(char *dst, size_t n, const unsigned char *src)
{
	snprintf(dst, n, "%s", src ? (const char *)src : "");
}

/* AWS's wording for a value that fails the model's length constraint. */
static int too_long(struct r53_error *err, const char *value, const char *member, size_t max)
{
	r53_err(err, 400, "InvalidInput",
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: "
		"Member must have length less than or equal to %zu",
		value, member, max);
	return -1;
}

static int check_zone_id(const char *id, struct r53_error *err)
{
	if (strlen(id) > 32)
		return too_long(err, id, "id", 32);
	return 0;
}

static int64_t query_count(struct r53 *r, const char *sql, const char *arg)
{
	sqlite3_stmt *st = store_stmt(r->store, sql);
	if (!st)
		return -1;
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	int64_t n = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

static char *ns_to_json(char ns[R53_NS_COUNT][R53_NAME_MAX])
{
	json_t *a = json_array();
	for (int i = 0; i < R53_NS_COUNT; i++)
		json_array_append_new(a, json_string(ns[i]));
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static void ns_from_json(const unsigned char *text, char ns[R53_NS_COUNT][R53_NAME_MAX])
{
	memset(ns, 0, sizeof(char[R53_NS_COUNT][R53_NAME_MAX]));
	json_t *a = text ? json_loads((const char *)text, 0, NULL) : NULL;
	for (size_t i = 0; a && i < R53_NS_COUNT && i < json_array_size(a); i++) {
		const char *s = json_string_value(json_array_get(a, i));
		snprintf(ns[i], R53_NAME_MAX, "%s", s ? s : "");
	}
	json_decref(a);
}

static char *vpcs_to_json(const struct r53_vpc *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a,
				      json_pack("{s:s,s:s}", "region", v[i].region, "id", v[i].id));
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static void vpcs_from_json(const unsigned char *text, struct r53_zone *z)
{
	z->nvpcs = 0;
	json_t *a = text ? json_loads((const char *)text, 0, NULL) : NULL;
	size_t max = sizeof z->vpcs / sizeof z->vpcs[0];
	for (size_t i = 0; a && i < json_array_size(a) && z->nvpcs < max; i++) {
		json_t *o = json_array_get(a, i);
		const char *reg = json_string_value(json_object_get(o, "region"));
		const char *id = json_string_value(json_object_get(o, "id"));
		snprintf(z->vpcs[z->nvpcs].region, sizeof z->vpcs[0].region, "%s", reg ? reg : "");
		snprintf(z->vpcs[z->nvpcs].id, sizeof z->vpcs[0].id, "%s", id ? id : "");
		z->nvpcs++;
	}
	json_decref(a);
}

/* The zone columns every read uses, in the order zone_from_row() expects. rrset_count is
 * kept by the records engine in each batch's transaction: counting rows on every load would
 * cost a scan of the zone's index per change batch. */
#define ZONE_COLS                                                                                  \
	"id, name, caller_ref, comment, has_comment, private, vpcs, delegation_set_id, ns, "       \
	"rrset_count"

static void zone_from_row(sqlite3_stmt *st, struct r53_zone *z)
{
	memset(z, 0, sizeof *z);
	copy_text(z->id, sizeof z->id, sqlite3_column_text(st, 0));
	copy_text(z->name, sizeof z->name, sqlite3_column_text(st, 1));
	copy_text(z->caller_reference, sizeof z->caller_reference, sqlite3_column_text(st, 2));
	copy_text(z->comment, sizeof z->comment, sqlite3_column_text(st, 3));
	z->has_comment = sqlite3_column_int(st, 4) != 0;
	z->private_zone = sqlite3_column_int(st, 5) != 0;
	vpcs_from_json(sqlite3_column_text(st, 6), z);
	copy_text(z->delegation_set_id, sizeof z->delegation_set_id, sqlite3_column_text(st, 7));
	ns_from_json(sqlite3_column_text(st, 8), z->name_servers);
	z->rrset_count = (uint64_t)sqlite3_column_int64(st, 9);
}

int r53_zone_load(struct r53 *r, const char *id, struct r53_zone *z, struct r53_error *err)
{
	id = r53_bare_id(id);
	sqlite3_stmt *st = store_stmt(r->store, "SELECT " ZONE_COLS " FROM zones WHERE id = ?");
	if (!st)
		return internal(r, err, "loading hosted zone");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		zone_from_row(st, z);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return internal(r, err, "loading hosted zone");
	r53_err(err, 404, "NoSuchHostedZone", "No hosted zone found with ID: %s", id);
	return -1;
}

int r53_zone_head(struct r53 *r, const char *id, char name[R53_NAME_MAX], uint64_t *rrset_count,
		  struct r53_error *err)
{
	id = r53_bare_id(id);
	sqlite3_stmt *st = store_stmt(r->store, "SELECT name, rrset_count FROM zones WHERE id = ?");
	if (!st)
		return internal(r, err, "loading hosted zone");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC); /* stepped and reset right here */
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_text(name, R53_NAME_MAX, sqlite3_column_text(st, 0));
		*rrset_count = (uint64_t)sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return internal(r, err, "loading hosted zone");
	r53_err(err, 404, "NoSuchHostedZone", "No hosted zone found with ID: %s", id);
	return -1;
}

int r53_change_insert(struct r53 *r, const char *comment, const char *status,
		      struct r53_change_info *ci, struct r53_error *err)
{
	memset(ci, 0, sizeof *ci);
	r53_new_id('C', ci->id);
	r53_now_iso(ci->submitted_at);
	snprintf(ci->status, sizeof ci->status, "%s", status);
	snprintf(ci->comment, sizeof ci->comment, "%s", comment ? comment : "");
	sqlite3_stmt *st = store_stmt(
		r->store, "INSERT INTO changes(id, status, submitted, comment) VALUES(?, ?, ?, ?)");
	if (!st)
		return internal(r, err, "recording change");
	sqlite3_bind_text(st, 1, ci->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, ci->status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, ci->submitted_at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, ci->comment, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return internal(r, err, "recording change");
	return 0;
}

void r53_change_mark_insync(struct r53 *r, struct r53_change_info *ci)
{
	/* This UPDATE need not reach the disk before the caller answers: if a crash loses it,
	   r53_open() republishes every zone and marks PENDING rows INSYNC. So it commits with
	   synchronous=NORMAL (in WAL mode: no fsync; on disk with the next FULL commit), which
	   halves the fsyncs of a change batch. */
	sqlite3 *db = store_sqlite(r->store);
	sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	sqlite3_stmt *st =
		store_stmt(r->store, "UPDATE changes SET status = 'INSYNC' WHERE id = ?");
	int rc = SQLITE_ERROR;
	if (st) {
		sqlite3_bind_text(st, 1, ci->id, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	if (sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK)
		log_err("r53: cannot restore synchronous=FULL: %s", sqlite3_errmsg(db));
	if (rc == SQLITE_DONE)
		snprintf(ci->status, sizeof ci->status, "INSYNC");
}

void r53_change_mark_pending(struct r53 *r, struct r53_change_info *ci)
{
	snprintf(ci->status, sizeof ci->status, "PENDING");
	sqlite3_stmt *st =
		store_stmt(r->store, "UPDATE changes SET status = 'PENDING' WHERE id = ?");
	int rc = SQLITE_ERROR;
	if (st) {
		sqlite3_bind_text(st, 1, ci->id, -1, SQLITE_STATIC); /* stepped and reset here */
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	if (rc != SQLITE_DONE)
		log_err("r53: change %s not marked PENDING: %s", ci->id,
			sqlite3_errmsg(store_sqlite(r->store)));
}

/* ---- open / close ---- */

static void strip_dot(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
	size_t len = strlen(dst);
	if (len > 1 && dst[len - 1] == '.')
		dst[len - 1] = '\0';
}

static int publish_all(struct r53 *r, struct r53_error *err)
{
	/* Ids first, then publish: publishing runs its own statements on the store. */
	size_t n = 0, cap = 0;
	char(*ids)[R53_ID_MAX] = NULL;
	sqlite3_stmt *st = store_stmt(r->store, "SELECT id FROM zones ORDER BY created, rowid");
	if (!st)
		return internal(r, err, "listing zones");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			void *p = realloc(ids, cap * sizeof *ids);
			if (!p) {
				sqlite3_reset(st);
				free(ids);
				r53_err(err, 500, "InternalFailure", "out of memory");
				return -1;
			}
			ids = p;
		}
		copy_text(ids[n++], R53_ID_MAX, sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(ids);
		return internal(r, err, "listing zones");
	}
	for (size_t i = 0; i < n; i++)
		if (r53_publish_zone(r, ids[i], err)) {
			free(ids);
			return -1;
		}
	free(ids);
	/* Everything in the store is served now, so no change is still pending. */
	st = store_stmt(r->store, "UPDATE changes SET status = 'INSYNC' WHERE status = 'PENDING'");
	if (!st || sqlite3_step(st) != SQLITE_DONE) {
		if (st)
			sqlite3_reset(st);
		return internal(r, err, "marking changes INSYNC");
	}
	sqlite3_reset(st);
	return 0;
}

int r53_open(const struct r53_config *cfg, struct r53 **out, struct r53_error *err)
{
	*out = NULL;
	struct r53 *r = calloc(1, sizeof *r);
	if (!r) {
		r53_err(err, 500, "InternalFailure", "out of memory");
		return -1;
	}
	r->cfg = *cfg;
	snprintf(r->data_dir, sizeof r->data_dir, "%s", cfg->data_dir ? cfg->data_dir : ".");
	r->cfg.data_dir = r->data_dir;
	/* Stored without the trailing dot: DelegationSet.NameServers carries them that way;
	 * the apex NS values add it. */
	for (int i = 0; i < R53_NS_COUNT; i++) {
		const char *ns = cfg->name_servers[i] ? cfg->name_servers[i] : default_ns[i];
		strip_dot(r->ns[i], sizeof r->ns[i], ns);
		r->cfg.name_servers[i] = r->ns[i];
	}
	if (!r->cfg.max_zones)
		r->cfg.max_zones = LIMIT_ZONES;
	if (!r->cfg.max_rrsets_per_zone)
		r->cfg.max_rrsets_per_zone = LIMIT_RRSETS;
	r->db = cfg->db;
	pthread_mutex_init(&r->lock, NULL);
	char msg[512] = "";
	if (store_open(r->data_dir, r53_migrations, r53_nmigrations, &r->store, msg, sizeof msg)) {
		r53_err(err, 500, "InternalFailure", "opening the store: %s", msg);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return -1;
	}
	pthread_mutex_lock(&r->lock);
	int rc = publish_all(r, err);
	pthread_mutex_unlock(&r->lock);
	if (rc) {
		r53_close(r);
		return -1;
	}
	*out = r;
	return 0;
}

void r53_close(struct r53 *r)
{
	if (!r)
		return;
	store_close(r->store);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* ---- hosted zones ---- */

/* "a.b.c." is under "b.c." (or equal): label-boundary suffix of the stored form. */
static bool name_within(const char *name, const char *parent)
{
	size_t n = strlen(name), p = strlen(parent);
	if (p > n)
		return false;
	if (strcmp(name + n - p, parent) != 0)
		return false;
	return p == n || name[n - p - 1] == '.';
}

static int load_set(struct r53 *r, const char *id, struct r53_delegation_set *out,
		    struct r53_error *err)
{
	sqlite3_stmt *st =
		store_stmt(r->store, "SELECT id, caller_ref, ns FROM delegation_sets WHERE id = ?");
	if (!st)
		return internal(r, err, "loading delegation set");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof *out);
		copy_text(out->id, sizeof out->id, sqlite3_column_text(st, 0));
		copy_text(out->caller_reference, sizeof out->caller_reference,
			  sqlite3_column_text(st, 1));
		ns_from_json(sqlite3_column_text(st, 2), out->name_servers);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return internal(r, err, "loading delegation set");
	r53_err(err, 400, "NoSuchDelegationSet",
		"A reusable delegation set with the specified ID does not exist: %s", id);
	return -1;
}

/* A zone on a reusable set may not share it with a zone of the same, a parent or a child
 * name: one name server would then be authoritative for both sides of a delegation. */
static int check_set_conflict(struct r53 *r, const char *set_id, const char *name,
			      struct r53_error *err)
{
	sqlite3_stmt *st =
		store_stmt(r->store, "SELECT name FROM zones WHERE delegation_set_id = ?");
	if (!st)
		return internal(r, err, "checking delegation set");
	sqlite3_bind_text(st, 1, set_id, -1, SQLITE_TRANSIENT);
	int rc, conflict = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *other = (const char *)sqlite3_column_text(st, 0);
		if (other && (name_within(name, other) || name_within(other, name)))
			conflict = 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return internal(r, err, "checking delegation set");
	if (conflict) {
		r53_err(err, 400, "ConflictingDomainExists",
			"Cannot create hosted zone with DelegationSetId %s as the DNSName %s "
			"conflicts with existing ones sharing the delegation set",
			set_id, name);
		return -1;
	}
	return 0;
}

static int create_zone(struct r53 *r, const struct r53_create_zone *req, struct r53_zone *zone,
		       struct r53_change_info *ci, struct r53_error *err)
{
	size_t reflen = strlen(req->caller_reference);
	if (reflen == 0 || reflen > 128) {
		if (reflen)
			return too_long(err, req->caller_reference, "callerReference", 128);
		r53_err(err, 400, "InvalidInput",
			"1 validation error detected: Value '' at 'callerReference' failed to "
			"satisfy constraint: Member must have length greater than or equal to 1");
		return -1;
	}
	if (strlen(req->name) > 1024)
		return too_long(err, req->name, "name", 1024);
	if (req->has_comment && strlen(req->comment) > 256)
		return too_long(err, req->comment, "hostedZoneConfig.comment", 256);

	struct r53_zone z;
	memset(&z, 0, sizeof z);
	uint8_t wire[255];
	char msg[512] = "";
	if (r53_name_normalize(req->name, z.name, wire, msg, sizeof msg)) {
		r53_err(err, 400, "InvalidDomainName", "%s", msg);
		return -1;
	}
	/* A TLD (one label) or the root cannot be a hosted zone; nor can a wildcard name. */
	if (wire[0] == 0 || wire[1 + wire[0]] == 0) {
		r53_err(err, 400, "InvalidDomainName", "%s is reserved by AWS!", z.name);
		return -1;
	}
	if (strncmp(z.name, "\\052.", 5) == 0) {
		r53_err(err, 400, "InvalidDomainName",
			"Invalid domain name: a hosted zone name cannot begin with a wildcard: %s",
			z.name);
		return -1;
	}

	bool priv = req->private_zone || req->has_vpc;
	if (req->has_vpc && (req->vpc.id[0] == '\0' || req->vpc.region[0] == '\0')) {
		r53_err(err, 400, "InvalidVPCId", "The VPC ID '%s' is not valid.", req->vpc.id);
		return -1;
	}
	const char *set_id = r53_bare_id(req->delegation_set_id);
	if (priv && set_id[0]) {
		r53_err(err, 400, "InvalidInput",
			"A reusable delegation set cannot be associated with a private hosted "
			"zone.");
		return -1;
	}

	if (query_count(r, "SELECT COUNT(*) FROM zones WHERE caller_ref = ?",
			req->caller_reference) != 0) {
		r53_err(err, 409, "HostedZoneAlreadyExists",
			"A hosted zone has already been created with the specified caller "
			"reference.");
		return -1;
	}
	int64_t nzones = query_count(r, "SELECT COUNT(*) FROM zones", NULL);
	if (nzones < 0)
		return internal(r, err, "counting zones");
	if ((uint64_t)nzones >= r->cfg.max_zones) {
		r53_err(err, 400, "TooManyHostedZones",
			"This operation would exceed the limit of %u hosted zones for this "
			"account.",
			r->cfg.max_zones);
		return -1;
	}

	if (set_id[0]) {
		struct r53_delegation_set ds;
		if (load_set(r, set_id, &ds, err))
			return -1;
		if (query_count(r, "SELECT COUNT(*) FROM zones WHERE delegation_set_id = ?",
				set_id) >= LIMIT_ZONES_PER_SET) {
			r53_err(err, 400, "TooManyHostedZones",
				"This operation would exceed the limit of %d hosted zones that can "
				"be associated with a reusable delegation set.",
				LIMIT_ZONES_PER_SET);
			return -1;
		}
		if (check_set_conflict(r, set_id, z.name, err))
			return -1;
		memcpy(z.name_servers, ds.name_servers, sizeof z.name_servers);
		snprintf(z.delegation_set_id, sizeof z.delegation_set_id, "%s", set_id);
	} else {
		for (int i = 0; i < R53_NS_COUNT; i++)
			snprintf(z.name_servers[i], R53_NAME_MAX, "%s", r->ns[i]);
	}

	r53_new_id('Z', z.id);
	snprintf(z.caller_reference, sizeof z.caller_reference, "%s", req->caller_reference);
	if (req->has_comment) {
		snprintf(z.comment, sizeof z.comment, "%s", req->comment);
		z.has_comment = true;
	}
	z.private_zone = priv;
	if (req->has_vpc) {
		z.vpcs[0] = req->vpc;
		z.nvpcs = 1;
	}
	char created[32];
	r53_now_iso(created);
	char *ns_json = ns_to_json(z.name_servers);
	char *vpc_json = vpcs_to_json(z.vpcs, z.nvpcs);
	if (!ns_json || !vpc_json) {
		free(ns_json);
		free(vpc_json);
		r53_err(err, 500, "InternalFailure", "out of memory");
		return -1;
	}

	if (store_begin(r->store)) {
		free(ns_json);
		free(vpc_json);
		return internal(r, err, "starting transaction");
	}
	sqlite3_stmt *st = store_stmt(
		r->store, "INSERT INTO zones(id, name, caller_ref, comment, has_comment, private, "
			  "vpcs, delegation_set_id, ns, created) VALUES(?,?,?,?,?,?,?,?,?,?)");
	int rc = SQLITE_ERROR;
	if (st) {
		sqlite3_bind_text(st, 1, z.id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, z.name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, z.caller_reference, -1, SQLITE_TRANSIENT);
		if (z.has_comment)
			sqlite3_bind_text(st, 4, z.comment, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 5, z.has_comment);
		sqlite3_bind_int(st, 6, z.private_zone);
		sqlite3_bind_text(st, 7, vpc_json, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 8, z.delegation_set_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 9, ns_json, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 10, created, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	free(ns_json);
	free(vpc_json);
	if (rc != SQLITE_DONE) {
		internal(r, err, "inserting hosted zone");
		store_rollback(r->store);
		return -1;
	}
	if (r53_insert_default_rrsets(r, &z, err) || r53_change_insert(r, "", "PENDING", ci, err)) {
		store_rollback(r->store);
		return -1;
	}
	if (store_commit(r->store))
		return internal(r, err, "committing hosted zone");
	/* Durable now. If publishing fails the zone still exists (it is served after the next
	 * open), so the truthful answer is success with the change still PENDING. */
	struct r53_error perr = {0};
	if (r53_publish_zone(r, z.id, &perr) == 0)
		r53_change_mark_insync(r, ci);
	r53_error_clear(&perr);
	return r53_zone_load(r, z.id, zone, err);
}

int r53_create_hosted_zone(struct r53 *r, const struct r53_create_zone *req, struct r53_zone *zone,
			   struct r53_change_info *ci, struct r53_error *err)
{
	pthread_mutex_lock(&r->lock);
	int rc = create_zone(r, req, zone, ci, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int r53_get_hosted_zone(struct r53 *r, const char *id, struct r53_zone *zone, struct r53_error *err)
{
	id = r53_bare_id(id);
	if (check_zone_id(id, err))
		return -1;
	pthread_mutex_lock(&r->lock);
	int rc = r53_zone_load(r, id, zone, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static int exec_bind1(struct r53 *r, const char *sql, const char *arg)
{
	sqlite3_stmt *st = store_stmt(r->store, sql);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int delete_zone(struct r53 *r, const char *id, struct r53_change_info *ci,
		       struct r53_error *err)
{
	struct r53_zone z;
	if (r53_zone_load(r, id, &z, err))
		return -1;
	sqlite3_stmt *st =
		store_stmt(r->store, "SELECT COUNT(*) FROM rrsets WHERE zone_id = ? AND NOT "
				     "(name = ? AND set_id = '' AND type IN ('SOA', 'NS'))");
	if (!st)
		return internal(r, err, "counting record sets");
	sqlite3_bind_text(st, 1, z.id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, z.name, -1, SQLITE_TRANSIENT);
	int64_t others = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	if (others < 0)
		return internal(r, err, "counting record sets");
	if (others > 0) {
		r53_err(err, 400, "HostedZoneNotEmpty",
			"The hosted zone contains resource records that are not SOA or NS "
			"records.");
		return -1;
	}
	if (store_begin(r->store))
		return internal(r, err, "starting transaction");
	if (exec_bind1(r, "DELETE FROM rrsets WHERE zone_id = ?", z.id) ||
	    exec_bind1(r, "DELETE FROM tags WHERE resource_type = 'hostedzone' AND resource_id = ?",
		       z.id) ||
	    exec_bind1(r, "DELETE FROM zones WHERE id = ?", z.id)) {
		internal(r, err, "deleting hosted zone");
		store_rollback(r->store);
		return -1;
	}
	if (r53_change_insert(r, "", "PENDING", ci, err)) {
		store_rollback(r->store);
		return -1;
	}
	if (store_commit(r->store))
		return internal(r, err, "committing deletion");
	struct r53_error perr = {0};
	if (r53_unpublish_zone(r, z.id, z.name, &perr) == 0)
		r53_change_mark_insync(r, ci);
	r53_error_clear(&perr);
	return 0;
}

int r53_delete_hosted_zone(struct r53 *r, const char *id, struct r53_change_info *ci,
			   struct r53_error *err)
{
	id = r53_bare_id(id);
	if (check_zone_id(id, err))
		return -1;
	pthread_mutex_lock(&r->lock);
	int rc = delete_zone(r, id, ci, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static int update_comment(struct r53 *r, const char *id, const char *comment, struct r53_zone *zone,
			  struct r53_error *err)
{
	struct r53_zone z;
	if (r53_zone_load(r, id, &z, err))
		return -1;
	/* Omitting Comment clears it (§2.1). */
	bool has = comment && comment[0];
	sqlite3_stmt *st =
		store_stmt(r->store, "UPDATE zones SET comment = ?, has_comment = ? WHERE id = ?");
	if (!st)
		return internal(r, err, "updating comment");
	if (has)
		sqlite3_bind_text(st, 1, comment, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, has);
	sqlite3_bind_text(st, 3, z.id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return internal(r, err, "updating comment");
	return r53_zone_load(r, z.id, zone, err);
}

int r53_update_hosted_zone_comment(struct r53 *r, const char *id, const char *comment,
				   struct r53_zone *zone, struct r53_error *err)
{
	id = r53_bare_id(id);
	if (check_zone_id(id, err))
		return -1;
	if (comment && strlen(comment) > 256)
		return too_long(err, comment, "comment", 256);
	pthread_mutex_lock(&r->lock);
	int rc = update_comment(r, id, comment, zone, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static int clamp_items(int max_items)
{
	return max_items <= 0 || max_items > LIST_MAX ? LIST_MAX : max_items;
}

/* Appends rows of `st` (ZONE_COLS) to out, up to max+1 to learn whether there is more. */
static int collect_zones(struct r53 *r, sqlite3_stmt *st, int max, struct r53_zone_list *out,
			 struct r53_error *err)
{
	out->zones = calloc((size_t)max + 1, sizeof *out->zones);
	if (!out->zones) {
		sqlite3_reset(st);
		r53_err(err, 500, "InternalFailure", "out of memory");
		return -1;
	}
	int rc;
	while (out->n < (size_t)max + 1 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		zone_from_row(st, &out->zones[out->n++]);
	sqlite3_reset(st);
	if (out->n <= (size_t)max && rc != SQLITE_DONE) {
		r53_zone_list_free(out);
		return internal(r, err, "listing zones");
	}
	if (out->n > (size_t)max) {
		/* The extra row is the first of the next page: its id is NextMarker. */
		out->truncated = true;
		out->n = (size_t)max;
		snprintf(out->next_marker, sizeof out->next_marker, "%s", out->zones[max].id);
	}
	return 0;
}

static int list_zones(struct r53 *r, const char *marker, int max_items, const char *set_id,
		      struct r53_zone_list *out, struct r53_error *err)
{
	if (set_id[0]) {
		struct r53_delegation_set ds;
		if (load_set(r, set_id, &ds, err))
			return -1;
	}
	/* Ordered by id: stable under inserts and deletes, and a marker naming a zone deleted
	 * since still finds its place. */
	sqlite3_stmt *st =
		store_stmt(r->store, "SELECT " ZONE_COLS " FROM zones WHERE id >= ? "
				     "AND (? = '' OR delegation_set_id = ?) ORDER BY id");
	if (!st)
		return internal(r, err, "listing zones");
	sqlite3_bind_text(st, 1, marker, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, set_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, set_id, -1, SQLITE_TRANSIENT);
	return collect_zones(r, st, clamp_items(max_items), out, err);
}

int r53_list_hosted_zones(struct r53 *r, const char *marker, int max_items,
			  const char *delegation_set_id, struct r53_zone_list *out,
			  struct r53_error *err)
{
	/* Copied first: the caller may pass out's own NextMarker from the previous page. */
	char start[R53_ID_MAX], set_id[R53_ID_MAX];
	snprintf(start, sizeof start, "%s", r53_bare_id(marker));
	snprintf(set_id, sizeof set_id, "%s", r53_bare_id(delegation_set_id));
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&r->lock);
	int rc = list_zones(r, start, max_items, set_id, out, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

struct zone_key {
	char key[R53_NAME_MAX];
	char id[R53_ID_MAX];
};

static int zone_key_cmp(const void *a, const void *b)
{
	const struct zone_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->id, y->id);
}

static int list_by_name(struct r53 *r, const char *dns_name, const char *zone_id, int max_items,
			struct r53_zone_list *out, struct r53_error *err)
{
	struct zone_key start = {{0}, {0}};
	bool has_start = dns_name && dns_name[0];
	if (zone_id && zone_id[0] && !has_start) {
		r53_err(err, 400, "InvalidInput",
			"The HostedZoneId parameter can only be specified together with DNSName.");
		return -1;
	}
	if (has_start) {
		char norm[R53_NAME_MAX];
		uint8_t wire[255];
		char msg[512] = "";
		if (r53_name_normalize(dns_name, norm, wire, msg, sizeof msg)) {
			r53_err(err, 400, "InvalidDomainName", "%s", msg);
			return -1;
		}
		r53_name_sort_key(norm, start.key);
		snprintf(start.id, sizeof start.id, "%s", zone_id ? r53_bare_id(zone_id) : "");
	}
	/* The order is by reversed-label name, which SQL cannot index directly: sort the
	 * (key, id) pairs of every zone (bounded by the zone limit) in memory. */
	size_t n = 0, cap = 0;
	struct zone_key *keys = NULL;
	sqlite3_stmt *st = store_stmt(r->store, "SELECT name, id FROM zones");
	if (!st)
		return internal(r, err, "listing zones");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			void *p = realloc(keys, cap * sizeof *keys);
			if (!p) {
				sqlite3_reset(st);
				free(keys);
				r53_err(err, 500, "InternalFailure", "out of memory");
				return -1;
			}
			keys = p;
		}
		r53_name_sort_key((const char *)sqlite3_column_text(st, 0), keys[n].key);
		copy_text(keys[n].id, sizeof keys[n].id, sqlite3_column_text(st, 1));
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(keys);
		return internal(r, err, "listing zones");
	}
	if (n)
		qsort(keys, n, sizeof *keys, zone_key_cmp);
	size_t first = 0;
	if (has_start)
		while (first < n && zone_key_cmp(&keys[first], &start) < 0)
			first++;
	size_t max = (size_t)clamp_items(max_items);
	size_t take = n - first < max ? n - first : max;
	out->zones = calloc(take ? take : 1, sizeof *out->zones);
	if (!out->zones) {
		free(keys);
		r53_err(err, 500, "InternalFailure", "out of memory");
		return -1;
	}
	for (size_t i = 0; i < take; i++) {
		if (r53_zone_load(r, keys[first + i].id, &out->zones[out->n], err)) {
			free(keys);
			r53_zone_list_free(out);
			return -1;
		}
		out->n++;
	}
	if (first + take < n) {
		struct r53_zone next;
		out->truncated = true;
		if (r53_zone_load(r, keys[first + take].id, &next, err)) {
			free(keys);
			r53_zone_list_free(out);
			return -1;
		}
		snprintf(out->next_dns_name, sizeof out->next_dns_name, "%s", next.name);
		snprintf(out->next_zone_id, sizeof out->next_zone_id, "%s", next.id);
	}
	free(keys);
	return 0;
}

int r53_list_hosted_zones_by_name(struct r53 *r, const char *dns_name, const char *zone_id,
				  int max_items, struct r53_zone_list *out, struct r53_error *err)
{
	/* Copied first: the caller may pass out's own NextDNSName/NextHostedZoneId. */
	char name[R53_NAME_MAX], id[R53_ID_MAX];
	snprintf(name, sizeof name, "%s", dns_name ? dns_name : "");
	snprintf(id, sizeof id, "%s", zone_id ? zone_id : "");
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&r->lock);
	int rc = list_by_name(r, name, id, max_items, out, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int r53_hosted_zone_count(struct r53 *r, uint64_t *count, struct r53_error *err)
{
	pthread_mutex_lock(&r->lock);
	int64_t n = query_count(r, "SELECT COUNT(*) FROM zones", NULL);
	pthread_mutex_unlock(&r->lock);
	if (n < 0)
		return internal(r, err, "counting zones");
	*count = (uint64_t)n;
	return 0;
}

/* ---- changes ---- */

int r53_get_change(struct r53 *r, const char *id, struct r53_change_info *ci, struct r53_error *err)
{
	id = r53_bare_id(id);
	if (strlen(id) > 32)
		return too_long(err, id, "id", 32);
	pthread_mutex_lock(&r->lock);
	sqlite3_stmt *st = store_stmt(
		r->store, "SELECT id, status, submitted, comment FROM changes WHERE id = ?");
	int rc = SQLITE_ERROR;
	if (st) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			memset(ci, 0, sizeof *ci);
			copy_text(ci->id, sizeof ci->id, sqlite3_column_text(st, 0));
			copy_text(ci->status, sizeof ci->status, sqlite3_column_text(st, 1));
			copy_text(ci->submitted_at, sizeof ci->submitted_at,
				  sqlite3_column_text(st, 2));
			copy_text(ci->comment, sizeof ci->comment, sqlite3_column_text(st, 3));
		}
		sqlite3_reset(st);
	}
	int ret = 0;
	if (rc == SQLITE_DONE) {
		r53_err(err, 404, "NoSuchChange",
			"A change with the specified change ID does not "
			"exist: %s",
			id);
		ret = -1;
	} else if (rc != SQLITE_ROW) {
		ret = internal(r, err, "reading change");
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* ---- tags ---- */

/* Resource checks shared by both tag operations; called with the lock held. */
static int tag_resource(struct r53 *r, const char *type, const char *id, struct r53_error *err)
{
	if (strcmp(type, "hostedzone") == 0) {
		if (strlen(id) > 32)
			return too_long(err, id, "resourceId", 32);
		struct r53_zone z;
		return r53_zone_load(r, id, &z, err);
	}
	if (strcmp(type, "healthcheck") == 0) {
		if (strlen(id) > 64)
			return too_long(err, id, "resourceId", 64);
		/* No health checks exist yet (a later issue adds them). */
		r53_err(err, 404, "NoSuchHealthCheck", "A health check with id %s does not exist.",
			id);
		return -1;
	}
	r53_err(err, 400, "InvalidInput",
		"1 validation error detected: Value '%s' at 'resourceType' failed to satisfy "
		"constraint: Member must satisfy enum value set: [healthcheck, hostedzone]",
		type);
	return -1;
}

static int change_tags(struct r53 *r, const char *type, const char *id, const struct r53_tag *add,
		       size_t nadd, char *const *remove, size_t nremove, struct r53_error *err)
{
	if (tag_resource(r, type, id, err))
		return -1;
	if (store_begin(r->store))
		return internal(r, err, "starting transaction");
	for (size_t i = 0; i < nremove; i++) {
		sqlite3_stmt *st = store_stmt(r->store, "DELETE FROM tags WHERE resource_type = ? "
							"AND resource_id = ? AND key = ?");
		if (!st)
			goto fail;
		sqlite3_bind_text(st, 1, type, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, remove[i], -1, SQLITE_TRANSIENT);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	for (size_t i = 0; i < nadd; i++) {
		sqlite3_stmt *st =
			store_stmt(r->store, "INSERT OR REPLACE INTO tags(resource_type, "
					     "resource_id, key, value) VALUES(?,?,?,?)");
		if (!st)
			goto fail;
		sqlite3_bind_text(st, 1, type, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, add[i].key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, add[i].value, -1, SQLITE_TRANSIENT);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	sqlite3_stmt *st = store_stmt(
		r->store, "SELECT COUNT(*) FROM tags WHERE resource_type = ? AND resource_id = ?");
	if (!st)
		goto fail;
	sqlite3_bind_text(st, 1, type, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
	int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	if (n < 0)
		goto fail;
	if (n > LIMIT_TAGS_PER_RES) {
		store_rollback(r->store);
		r53_err(err, 400, "InvalidInput",
			"The request would give the resource more than %d tags.",
			LIMIT_TAGS_PER_RES);
		return -1;
	}
	if (store_commit(r->store))
		return internal(r, err, "committing tags");
	return 0;
fail:
	internal(r, err, "changing tags");
	store_rollback(r->store);
	return -1;
}

int r53_change_tags(struct r53 *r, const char *resource_type, const char *resource_id,
		    const struct r53_tag *add, size_t nadd, char *const *remove, size_t nremove,
		    struct r53_error *err)
{
	if (!resource_type || !resource_id) {
		r53_err(err, 400, "InvalidInput", "ResourceType and ResourceId are required.");
		return -1;
	}
	if (nadd > LIMIT_TAGS_PER_REQUEST || nremove > LIMIT_TAGS_PER_REQUEST) {
		r53_err(err, 400, "InvalidInput",
			"1 validation error detected: Value at '%s' failed to satisfy constraint: "
			"Member must have length less than or equal to %d",
			nadd > LIMIT_TAGS_PER_REQUEST ? "addTags" : "removeTagKeys",
			LIMIT_TAGS_PER_REQUEST);
		return -1;
	}
	for (size_t i = 0; i < nadd; i++) {
		if (add[i].key[0] == '\0') {
			r53_err(err, 400, "InvalidInput",
				"1 validation error detected: Value '' at 'addTags.%zu.member.key' "
				"failed to satisfy constraint: Member must have length greater "
				"than or equal to 1",
				i + 1);
			return -1;
		}
		if (strlen(add[i].key) > 128)
			return too_long(err, add[i].key, "addTags.member.key", 128);
		if (strlen(add[i].value) > 256)
			return too_long(err, add[i].value, "addTags.member.value", 256);
	}
	for (size_t i = 0; i < nremove; i++)
		if (strlen(remove[i]) > 128)
			return too_long(err, remove[i], "removeTagKeys.member", 128);
	pthread_mutex_lock(&r->lock);
	int rc = change_tags(r, resource_type, resource_id, add, nadd, remove, nremove, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static int list_tags(struct r53 *r, const char *type, const char *id, struct r53_tag **tags,
		     size_t *n, struct r53_error *err)
{
	if (tag_resource(r, type, id, err))
		return -1;
	sqlite3_stmt *st = store_stmt(r->store, "SELECT key, value FROM tags WHERE resource_type = "
						"? AND resource_id = ? ORDER BY key");
	if (!st)
		return internal(r, err, "listing tags");
	sqlite3_bind_text(st, 1, type, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			void *p = realloc(*tags, cap * sizeof **tags);
			if (!p) {
				sqlite3_reset(st);
				r53_err(err, 500, "InternalFailure", "out of memory");
				return -1;
			}
			*tags = p;
		}
		copy_text((*tags)[*n].key, sizeof(*tags)[*n].key, sqlite3_column_text(st, 0));
		copy_text((*tags)[*n].value, sizeof(*tags)[*n].value, sqlite3_column_text(st, 1));
		(*n)++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return internal(r, err, "listing tags");
	return 0;
}

int r53_list_tags(struct r53 *r, const char *resource_type, const char *resource_id,
		  struct r53_tag **tags, size_t *n, struct r53_error *err)
{
	*tags = NULL;
	*n = 0;
	if (!resource_type || !resource_id) {
		r53_err(err, 400, "InvalidInput", "ResourceType and ResourceId are required.");
		return -1;
	}
	pthread_mutex_lock(&r->lock);
	int rc = list_tags(r, resource_type, resource_id, tags, n, err);
	pthread_mutex_unlock(&r->lock);
	if (rc) {
		free(*tags);
		*tags = NULL;
		*n = 0;
	}
	return rc;
}

/* ---- reusable delegation sets ---- */

static int create_set(struct r53 *r, const char *caller_ref, const char *zone_id,
		      struct r53_delegation_set *out, struct r53_error *err)
{
	size_t reflen = caller_ref ? strlen(caller_ref) : 0;
	if (reflen == 0) {
		r53_err(err, 400, "InvalidInput",
			"1 validation error detected: Value '' at 'callerReference' failed to "
			"satisfy constraint: Member must have length greater than or equal to 1");
		return -1;
	}
	if (reflen > 128)
		return too_long(err, caller_ref, "callerReference", 128);
	if (query_count(r, "SELECT COUNT(*) FROM delegation_sets WHERE caller_ref = ?",
			caller_ref) != 0) {
		r53_err(err, 400, "DelegationSetAlreadyCreated",
			"A delegation set with the same owner and caller reference combination has "
			"already been created.");
		return -1;
	}
	if (query_count(r, "SELECT COUNT(*) FROM delegation_sets", NULL) >= LIMIT_DELEGATION_SETS) {
		r53_err(err, 400, "LimitsExceeded",
			"This operation would exceed the limit of %d reusable delegation sets for "
			"this account.",
			LIMIT_DELEGATION_SETS);
		return -1;
	}
	memset(out, 0, sizeof *out);
	struct r53_zone z;
	bool from_zone = zone_id && zone_id[0];
	if (from_zone) {
		zone_id = r53_bare_id(zone_id);
		if (strlen(zone_id) > 32)
			return too_long(err, zone_id, "hostedZoneId", 32);
		struct r53_error lerr = {0};
		if (r53_zone_load(r, zone_id, &z, &lerr)) {
			bool missing = lerr.status == 404;
			r53_error_clear(&lerr);
			if (!missing)
				return internal(r, err, "loading hosted zone");
			r53_err(err, 400, "HostedZoneNotFound",
				"The specified HostedZone can't be found: %s", zone_id);
			return -1;
		}
		if (z.private_zone) {
			r53_err(err, 400, "InvalidArgument",
				"A private hosted zone has no delegation set to make reusable.");
			return -1;
		}
		if (z.delegation_set_id[0]) {
			r53_err(err, 400, "DelegationSetAlreadyReusable",
				"The specified delegation set has already been marked as reusable: "
				"%s",
				z.delegation_set_id);
			return -1;
		}
		memcpy(out->name_servers, z.name_servers, sizeof out->name_servers);
	} else {
		for (int i = 0; i < R53_NS_COUNT; i++)
			snprintf(out->name_servers[i], R53_NAME_MAX, "%s", r->ns[i]);
	}
	r53_new_id('N', out->id);
	snprintf(out->caller_reference, sizeof out->caller_reference, "%s", caller_ref);
	char created[32];
	r53_now_iso(created);
	char *ns_json = ns_to_json(out->name_servers);
	if (!ns_json) {
		r53_err(err, 500, "InternalFailure", "out of memory");
		return -1;
	}
	if (store_begin(r->store)) {
		free(ns_json);
		return internal(r, err, "starting transaction");
	}
	sqlite3_stmt *st = store_stmt(
		r->store,
		"INSERT INTO delegation_sets(id, caller_ref, ns, created) VALUES(?,?,?,?)");
	int rc = SQLITE_ERROR;
	if (st) {
		sqlite3_bind_text(st, 1, out->id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, out->caller_reference, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, ns_json, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, created, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	free(ns_json);
	if (rc != SQLITE_DONE) {
		internal(r, err, "inserting delegation set");
		store_rollback(r->store);
		return -1;
	}
	/* The zone's own set becomes this reusable one: the zone now uses it (and keeps it from
	 * being deleted while it does). */
	if (from_zone) {
		st = store_stmt(r->store, "UPDATE zones SET delegation_set_id = ? WHERE id = ?");
		rc = SQLITE_ERROR;
		if (st) {
			sqlite3_bind_text(st, 1, out->id, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 2, z.id, -1, SQLITE_TRANSIENT);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
		}
		if (rc != SQLITE_DONE) {
			internal(r, err, "updating hosted zone");
			store_rollback(r->store);
			return -1;
		}
	}
	if (store_commit(r->store))
		return internal(r, err, "committing delegation set");
	return 0;
}

int r53_create_delegation_set(struct r53 *r, const char *caller_reference, const char *zone_id,
			      struct r53_delegation_set *out, struct r53_error *err)
{
	pthread_mutex_lock(&r->lock);
	int rc = create_set(r, caller_reference, zone_id, out, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int r53_get_delegation_set(struct r53 *r, const char *id, struct r53_delegation_set *out,
			   struct r53_error *err)
{
	id = r53_bare_id(id);
	if (strlen(id) > 32)
		return too_long(err, id, "id", 32);
	pthread_mutex_lock(&r->lock);
	int rc = load_set(r, id, out, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static int delete_set(struct r53 *r, const char *id, struct r53_error *err)
{
	struct r53_delegation_set ds;
	if (load_set(r, id, &ds, err))
		return -1;
	int64_t used = query_count(r, "SELECT COUNT(*) FROM zones WHERE delegation_set_id = ?", id);
	if (used < 0)
		return internal(r, err, "counting zones");
	if (used > 0) {
		r53_err(err, 400, "DelegationSetInUse",
			"The specified delegation contains associated hosted zones which must be "
			"deleted before the reusable delegation set can be deleted.");
		return -1;
	}
	if (exec_bind1(r, "DELETE FROM delegation_sets WHERE id = ?", id))
		return internal(r, err, "deleting delegation set");
	return 0;
}

int r53_delete_delegation_set(struct r53 *r, const char *id, struct r53_error *err)
{
	id = r53_bare_id(id);
	if (strlen(id) > 32)
		return too_long(err, id, "id", 32);
	pthread_mutex_lock(&r->lock);
	int rc = delete_set(r, id, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static int list_sets(struct r53 *r, const char *marker, int max_items,
		     struct r53_delegation_set **out, size_t *n, bool *truncated, char *next_marker,
		     struct r53_error *err)
{
	size_t max = (size_t)clamp_items(max_items);
	*out = calloc(max + 1, sizeof **out);
	if (!*out) {
		r53_err(err, 500, "InternalFailure", "out of memory");
		return -1;
	}
	sqlite3_stmt *st = store_stmt(r->store, "SELECT id, caller_ref, ns FROM delegation_sets "
						"WHERE id >= ? ORDER BY id");
	if (!st)
		return internal(r, err, "listing delegation sets");
	sqlite3_bind_text(st, 1, marker, -1, SQLITE_TRANSIENT);
	int rc = SQLITE_DONE;
	while (*n < max + 1 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct r53_delegation_set *d = &(*out)[(*n)++];
		copy_text(d->id, sizeof d->id, sqlite3_column_text(st, 0));
		copy_text(d->caller_reference, sizeof d->caller_reference,
			  sqlite3_column_text(st, 1));
		ns_from_json(sqlite3_column_text(st, 2), d->name_servers);
	}
	sqlite3_reset(st);
	if (*n <= max && rc != SQLITE_DONE)
		return internal(r, err, "listing delegation sets");
	if (*n > max) {
		*truncated = true;
		*n = max;
		if (next_marker)
			snprintf(next_marker, R53_ID_MAX, "%s", (*out)[max].id);
	}
	return 0;
}

int r53_list_delegation_sets(struct r53 *r, const char *marker, int max_items,
			     struct r53_delegation_set **out, size_t *n, bool *truncated,
			     char *next_marker, struct r53_error *err)
{
	/* Copied first: a caller may pass one buffer as both marker and next_marker. */
	char start[R53_ID_MAX];
	snprintf(start, sizeof start, "%s", r53_bare_id(marker));
	*out = NULL;
	*n = 0;
	*truncated = false;
	if (next_marker)
		next_marker[0] = '\0';
	pthread_mutex_lock(&r->lock);
	int rc = list_sets(r, start, max_items, out, n, truncated, next_marker, err);
	pthread_mutex_unlock(&r->lock);
	if (rc) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/* ---- limits ---- */

static int bad_limit_type(const char *type, const char *allowed, struct r53_error *err)
{
	r53_err(err, 400, "InvalidInput",
		"1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: "
		"Member must satisfy enum value set: [%s]",
		type ? type : "", allowed);
	return -1;
}

int r53_get_account_limit(struct r53 *r, const char *type, uint64_t *value, uint64_t *count,
			  struct r53_error *err)
{
	static const char allowed[] =
		"MAX_TRAFFIC_POLICY_INSTANCES_BY_OWNER, MAX_HOSTED_ZONES_BY_OWNER, "
		"MAX_TRAFFIC_POLICIES_BY_OWNER, MAX_REUSABLE_DELEGATION_SETS_BY_OWNER, "
		"MAX_HEALTH_CHECKS_BY_OWNER";
	if (!type)
		return bad_limit_type(type, allowed, err);
	const char *sql = NULL;
	if (strcmp(type, "MAX_HEALTH_CHECKS_BY_OWNER") == 0) {
		*value = LIMIT_HEALTH_CHECKS;
	} else if (strcmp(type, "MAX_HOSTED_ZONES_BY_OWNER") == 0) {
		*value = r->cfg.max_zones;
		sql = "SELECT COUNT(*) FROM zones";
	} else if (strcmp(type, "MAX_REUSABLE_DELEGATION_SETS_BY_OWNER") == 0) {
		*value = LIMIT_DELEGATION_SETS;
		sql = "SELECT COUNT(*) FROM delegation_sets";
	} else if (strcmp(type, "MAX_TRAFFIC_POLICIES_BY_OWNER") == 0) {
		*value = LIMIT_TRAFFIC_POLICIES;
	} else if (strcmp(type, "MAX_TRAFFIC_POLICY_INSTANCES_BY_OWNER") == 0) {
		*value = LIMIT_POLICY_INSTANCES;
	} else {
		return bad_limit_type(type, allowed, err);
	}
	/* Health checks and traffic policies do not exist yet: none are in use. */
	*count = 0;
	if (!sql)
		return 0;
	pthread_mutex_lock(&r->lock);
	int64_t n = query_count(r, sql, NULL);
	pthread_mutex_unlock(&r->lock);
	if (n < 0)
		return internal(r, err, "counting");
	*count = (uint64_t)n;
	return 0;
}

static int zone_limit(struct r53 *r, const char *type, const char *zone_id, uint64_t *value,
		      uint64_t *count, struct r53_error *err)
{
	struct r53_zone z;
	if (r53_zone_load(r, zone_id, &z, err))
		return -1;
	if (strcmp(type, "MAX_RRSETS_BY_ZONE") == 0) {
		*value = r->cfg.max_rrsets_per_zone;
		*count = z.rrset_count;
		return 0;
	}
	if (!z.private_zone) {
		r53_err(err, 400, "HostedZoneNotPrivate",
			"The specified hosted zone is a public hosted zone, not a private hosted "
			"zone.");
		return -1;
	}
	*value = LIMIT_VPCS_PER_ZONE;
	*count = z.nvpcs;
	return 0;
}

int r53_get_hosted_zone_limit(struct r53 *r, const char *type, const char *zone_id, uint64_t *value,
			      uint64_t *count, struct r53_error *err)
{
	if (!type || (strcmp(type, "MAX_RRSETS_BY_ZONE") != 0 &&
		      strcmp(type, "MAX_VPCS_ASSOCIATED_BY_ZONE") != 0))
		return bad_limit_type(type, "MAX_RRSETS_BY_ZONE, MAX_VPCS_ASSOCIATED_BY_ZONE", err);
	zone_id = r53_bare_id(zone_id);
	if (check_zone_id(zone_id, err))
		return -1;
	pthread_mutex_lock(&r->lock);
	int rc = zone_limit(r, type, zone_id, value, count, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int r53_get_delegation_set_limit(struct r53 *r, const char *type, const char *set_id,
				 uint64_t *value, uint64_t *count, struct r53_error *err)
{
	if (!type || strcmp(type, "MAX_ZONES_BY_REUSABLE_DELEGATION_SET") != 0)
		return bad_limit_type(type, "MAX_ZONES_BY_REUSABLE_DELEGATION_SET", err);
	set_id = r53_bare_id(set_id);
	if (strlen(set_id) > 32)
		return too_long(err, set_id, "delegationSetId", 32);
	pthread_mutex_lock(&r->lock);
	struct r53_delegation_set ds;
	int rc = load_set(r, set_id, &ds, err);
	int64_t n = 0;
	if (rc == 0) {
		n = query_count(r, "SELECT COUNT(*) FROM zones WHERE delegation_set_id = ?",
				set_id);
		if (n < 0)
			rc = internal(r, err, "counting zones");
	}
	pthread_mutex_unlock(&r->lock);
	if (rc)
		return -1;
	*value = LIMIT_ZONES_PER_SET;
	*count = (uint64_t)n;
	return 0;
}
