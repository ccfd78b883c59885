/*
 * api/r53_records.c - record sets: change batches, listing, aliases, the served zone versions,
 * and TestDNSAnswer (route53-api.md §2.2, §2.3, §2.8, §3).
 *
 * The store is the truth: every rrset is one row whose body is the JSON of a struct r53_rrset
 * in Route 53's stored form (normalised name, canonical type, values as given). The served
 * zone_version is derived from the rows. A change batch is validated as a whole against the
 * rows plus the batch's own earlier changes (Route 53 collects every problem), committed in
 * one store transaction, and then applied to the served version by rebuilding only the
 * (name, type) RRsets it touched - and the aliases that point at them - on top of the version
 * being served, so its cost follows the change, not the zone (ARCHITECTURE.md §1).
 *
 * Aliases are materialised: an alias rrset's name is served with copies of its target's
 * records of the same type, so the answering path stays pure and knows nothing of aliases.
 */
#define _LGPL_SOURCE /* the qsbr reader's `registered` flag lives in the inline header */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include "api/r53_internal.h"
#include "auth/answer.h"
#include "base/log.h"
#include "dns/name.h"
#include "dns/rdata.h"

#define MAX_BATCH_RECORDS  1000
#define MAX_BATCH_CHARS    32000
#define MAX_RRSET_VALUES   400
#define MAX_ALIAS_DEPTH    8
#define EXTERNAL_ALIAS_TTL 60 /* what Route 53 serves for aliases to AWS endpoints */

static const uint8_t root_name[1] = {0};

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* The record types of the model's RRType enum (§2.2). */
static bool type_allowed(uint16_t t)
{
	switch (t) {
	case DNS_T_SOA:
	case DNS_T_A:
	case DNS_T_TXT:
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_MX:
	case DNS_T_NAPTR:
	case DNS_T_PTR:
	case DNS_T_SRV:
	case DNS_T_SPF:
	case DNS_T_AAAA:
	case DNS_T_CAA:
	case DNS_T_DS:
	case DNS_T_TLSA:
	case DNS_T_SSHFP:
	case DNS_T_SVCB:
	case DNS_T_HTTPS:
		return true;
	default:
		return false;
	}
}

/* "a" → DNS_T_A with canonical text "A"; -1 when not a type Route 53 accepts. */
static int type_parse(const char *text, char canon[16])
{
	int t = dns_type_from_text(text);
	if (t < 0 || !type_allowed((uint16_t)t))
		return -1;
	char buf[16];
	copy_str(canon, 16, dns_type_to_text((uint16_t)t, buf, sizeof(buf)));
	return t;
}

void r53_rrset_free(struct r53_rrset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nvalues; i++)
		free(rs->values[i]);
	free(rs->values);
	rs->values = NULL;
	rs->nvalues = 0;
}

void r53_rrset_list_free(struct r53_rrset_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		r53_rrset_free(&l->rrsets[i]);
	free(l->rrsets);
	l->rrsets = NULL;
	l->n = 0;
}

void r53_test_answer_free(struct r53_test_answer *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nrecord_data; i++)
		free(a->record_data[i]);
	free(a->record_data);
	a->record_data = NULL;
	a->nrecord_data = 0;
}

/* A deep copy (values duplicated). */
static int rrset_clone(struct r53_rrset *dst, const struct r53_rrset *src)
{
	*dst = *src;
	dst->values = NULL;
	dst->nvalues = 0;
	if (src->nvalues == 0)
		return 0;
	dst->values = calloc(src->nvalues, sizeof(char *));
	if (!dst->values)
		return -1;
	for (size_t i = 0; i < src->nvalues; i++) {
		dst->values[i] = strdup(src->values[i]);
		if (!dst->values[i]) {
			r53_rrset_free(dst);
			return -1;
		}
		dst->nvalues++;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* JSON bodies of the rrsets table                                                             */

static char *rrset_to_json(const struct r53_rrset *rs)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(rs->name));
	json_object_set_new(o, "type", json_string(rs->type));
	if (rs->set_identifier[0])
		json_object_set_new(o, "set_identifier", json_string(rs->set_identifier));
	if (rs->weight >= 0)
		json_object_set_new(o, "weight", json_integer(rs->weight));
	if (rs->region[0])
		json_object_set_new(o, "region", json_string(rs->region));
	if (rs->failover[0])
		json_object_set_new(o, "failover", json_string(rs->failover));
	if (rs->health_check_id[0])
		json_object_set_new(o, "health_check_id", json_string(rs->health_check_id));
	if (rs->multivalue)
		json_object_set_new(o, "multivalue_answer", json_boolean(rs->multivalue_answer));
	if (rs->ttl >= 0)
		json_object_set_new(o, "ttl", json_integer(rs->ttl));
	if (!rs->has_alias) {
		json_t *a = json_array();
		for (size_t i = 0; i < rs->nvalues; i++)
			json_array_append_new(a, json_string(rs->values[i]));
		json_object_set_new(o, "values", a);
	} else {
		json_t *a = json_object();
		json_object_set_new(a, "hosted_zone_id", json_string(rs->alias.hosted_zone_id));
		json_object_set_new(a, "dns_name", json_string(rs->alias.dns_name));
		json_object_set_new(a, "evaluate_target_health",
				    json_boolean(rs->alias.evaluate_target_health));
		json_object_set_new(o, "alias", a);
	}
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "";
}

static int rrset_from_json(const char *text, struct r53_rrset *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->weight = -1;
	rs->ttl = -1;
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return -1;
	}
	copy_str(rs->name, sizeof(rs->name), jstr(o, "name"));
	copy_str(rs->type, sizeof(rs->type), jstr(o, "type"));
	copy_str(rs->set_identifier, sizeof(rs->set_identifier), jstr(o, "set_identifier"));
	copy_str(rs->region, sizeof(rs->region), jstr(o, "region"));
	copy_str(rs->failover, sizeof(rs->failover), jstr(o, "failover"));
	copy_str(rs->health_check_id, sizeof(rs->health_check_id), jstr(o, "health_check_id"));
	json_t *v;
	if (json_is_integer(v = json_object_get(o, "weight")))
		rs->weight = json_integer_value(v);
	if (json_is_integer(v = json_object_get(o, "ttl")))
		rs->ttl = json_integer_value(v);
	if (json_is_boolean(v = json_object_get(o, "multivalue_answer"))) {
		rs->multivalue = true;
		rs->multivalue_answer = json_is_true(v);
	}
	json_t *a = json_object_get(o, "alias");
	if (json_is_object(a)) {
		rs->has_alias = true;
		copy_str(rs->alias.hosted_zone_id, sizeof(rs->alias.hosted_zone_id),
			 jstr(a, "hosted_zone_id"));
		copy_str(rs->alias.dns_name, sizeof(rs->alias.dns_name), jstr(a, "dns_name"));
		rs->alias.evaluate_target_health =
			json_is_true(json_object_get(a, "evaluate_target_health"));
	}
	json_t *vals = json_object_get(o, "values");
	size_t n = json_is_array(vals) ? json_array_size(vals) : 0;
	if (n) {
		rs->values = calloc(n, sizeof(char *));
		if (!rs->values) {
			json_decref(o);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			const char *s = json_string_value(json_array_get(vals, i));
			rs->values[i] = strdup(s ? s : "");
			if (!rs->values[i]) {
				json_decref(o);
				r53_rrset_free(rs);
				return -1;
			}
			rs->nvalues++;
		}
	}
	json_decref(o);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Store access. Statements are cached by the store and shared, so every query reads all its  */
/* rows into memory and resets before the caller may run another (alias chasing recurses).    */

struct rowset {
	struct r53_rrset *v;
	size_t n, cap;
};

static void rowset_free(struct rowset *s)
{
	for (size_t i = 0; i < s->n; i++)
		r53_rrset_free(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Appends a copy of rs. */
static int rowset_add(struct rowset *s, const struct r53_rrset *rs)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		struct r53_rrset *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	if (rrset_clone(&s->v[s->n], rs) < 0)
		return -1;
	s->n++;
	return 0;
}

/* Reads the bodies a prepared, bound statement returns (column 0) into out. */
static int read_bodies(sqlite3_stmt *st, struct rowset *out)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct r53_rrset rs;
		if (rrset_from_json((const char *)sqlite3_column_text(st, 0), &rs) < 0) {
			sqlite3_reset(st);
			return -1;
		}
		int ok = rowset_add(out, &rs);
		r53_rrset_free(&rs);
		if (ok < 0) {
			sqlite3_reset(st);
			return -1;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Every rrset of the zone at `sort` (all types when type is NULL). */
static int load_rows(struct r53 *r, const char *zone_id, const char *sort, const char *type,
		     struct rowset *out)
{
	sqlite3_stmt *st =
		type ? store_stmt(r->store, "SELECT body FROM rrsets WHERE zone_id=?1 AND "
					    "sort_name=?2 AND type=?3 ORDER BY set_id")
		     : store_stmt(r->store, "SELECT body FROM rrsets WHERE zone_id=?1 AND "
					    "sort_name=?2 ORDER BY type, set_id");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, zone_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, sort, -1, SQLITE_TRANSIENT);
	if (type)
		sqlite3_bind_text(st, 3, type, -1, SQLITE_TRANSIENT);
	return read_bodies(st, out);
}

static int row_put(struct r53 *r, const char *zone_id, const struct r53_rrset *rs)
{
	char sort[R53_NAME_MAX];
	r53_name_sort_key(rs->name, sort);
	char *body = rrset_to_json(rs);
	if (!body)
		return -1;
	sqlite3_stmt *st =
		store_stmt(r->store, "INSERT OR REPLACE INTO rrsets(zone_id, sort_name, "
				     "name, type, set_id, body) VALUES(?1,?2,?3,?4,?5,?6)");
	if (!st) {
		free(body);
		return -1;
	}
	sqlite3_bind_text(st, 1, zone_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, sort, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, rs->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, rs->type, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, rs->set_identifier, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, body, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(body);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int row_delete(struct r53 *r, const char *zone_id, const char *sort, const char *type,
		      const char *set_id)
{
	sqlite3_stmt *st = store_stmt(r->store, "DELETE FROM rrsets WHERE zone_id=?1 AND "
						"sort_name=?2 AND type=?3 AND set_id=?4");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, zone_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, sort, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, type, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, set_id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The zone's stored name, normalised, and its wire form; -1 if there is no such zone. */
static int zone_origin(struct r53 *r, const char *zone_id, char name[R53_NAME_MAX],
		       uint8_t wire[DNS_NAME_MAXLEN])
{
	sqlite3_stmt *st = store_stmt(r->store, "SELECT name FROM zones WHERE id=?1");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, zone_id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	char raw[R53_NAME_MAX] = "";
	if (rc == SQLITE_ROW)
		copy_str(raw, sizeof(raw), (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return -1;
	char msg[64];
	return r53_name_normalize(raw, name, wire, msg, sizeof(msg));
}

/* The id of the hosted zone served for `name` (the oldest of that name) into out; -1: none. */
static int served_zone_for(struct r53 *r, const char *name, char out[R53_ID_MAX])
{
	/* Names are stored in the normalised form, but compare both spellings of the dot. The
	   oldest zone wins; two created in one millisecond are told apart by insertion order
	   (rowid), not by their random ids. */
	char alt[R53_NAME_MAX];
	copy_str(alt, sizeof(alt), name);
	size_t l = strlen(alt);
	if (l > 1 && alt[l - 1] == '.')
		alt[l - 1] = '\0';
	sqlite3_stmt *st = store_stmt(r->store, "SELECT id FROM zones WHERE name=?1 OR name=?2 "
						"ORDER BY created, rowid LIMIT 1");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, alt, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		copy_str(out, R53_ID_MAX, (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Aliases whose target is (zone_id, name) with this type: (zone id, name) pairs appended to
 * the arrays. The expression matches the one an index on the alias target would use.
 */
struct alias_ref {
	char zone_id[R53_ID_MAX];
	char name[R53_NAME_MAX];
	char type[16];
	char set_id[R53_TEXT_MAX];
};

static int aliases_to(struct r53 *r, const char *zone_id, const char *name, const char *type,
		      struct alias_ref **refs, size_t *n)
{
	sqlite3_stmt *st =
		store_stmt(r->store, "SELECT zone_id, name, type, set_id FROM rrsets WHERE "
				     "json_extract(body,'$.alias.hosted_zone_id')=?1 AND "
				     "json_extract(body,'$.alias.dns_name')=?2 AND type=?3");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, zone_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, type, -1, SQLITE_TRANSIENT);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct alias_ref *v = realloc(*refs, (*n + 1) * sizeof(**refs));
		if (!v) {
			sqlite3_reset(st);
			return -1;
		}
		*refs = v;
		struct alias_ref *a = &v[(*n)++];
		copy_str(a->zone_id, sizeof(a->zone_id), (const char *)sqlite3_column_text(st, 0));
		copy_str(a->name, sizeof(a->name), (const char *)sqlite3_column_text(st, 1));
		copy_str(a->type, sizeof(a->type), (const char *)sqlite3_column_text(st, 2));
		copy_str(a->set_id, sizeof(a->set_id), (const char *)sqlite3_column_text(st, 3));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ------------------------------------------------------------------------------------------ */
/* The table of aliases to AWS service endpoints (r53_config.alias_targets_file)              */

/* "dualstack." is a prefix Route 53 accepts on ELB names: the same endpoint. */
static const char *strip_dualstack(const char *n)
{
	return strncmp(n, "dualstack.", 10) == 0 ? n + 10 : n;
}

/*
 * Calls fn for every table entry (zone_id, normalised name, type); type NULL matches any.
 * Returns the number of entries matched, or -1 if the file cannot be read.
 */
static int external_targets(struct r53 *r, const char *zone_id, const char *name, const char *type,
			    void (*fn)(const char *value, void *ctx), void *ctx, bool *zone_known)
{
	const char *path = r->cfg.alias_targets_file;
	if (zone_known)
		*zone_known = false;
	if (!path || !path[0])
		return 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[R53_VALUE_MAX + 2 * R53_NAME_MAX];
	int found = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || *p == '\0')
			continue;
		char zid[R53_ID_MAX], dname[R53_NAME_MAX], ttext[16];
		int off = 0;
		if (sscanf(p, "%39s %1099s %15s %n", zid, dname, ttext, &off) < 3 || off == 0)
			continue;
		if (strcmp(zid, zone_id) != 0)
			continue;
		if (zone_known)
			*zone_known = true;
		char norm[R53_NAME_MAX], msg[64], canon[16];
		uint8_t wire[DNS_NAME_MAXLEN];
		if (r53_name_normalize(dname, norm, wire, msg, sizeof(msg)) < 0 ||
		    type_parse(ttext, canon) < 0)
			continue;
		if (strcmp(strip_dualstack(norm), strip_dualstack(name)) != 0)
			continue;
		if (type && strcmp(canon, type) != 0)
			continue;
		found++;
		if (fn)
			fn(p + off, ctx);
	}
	fclose(f);
	return found;
}

/* ------------------------------------------------------------------------------------------ */
/* Building served RRsets                                                                      */

struct serve_ctx {
	struct zone_txn *txn;
	const uint8_t *owner;
	uint16_t type;
	uint32_t ttl;
	int err; /* the first fatal error (ENOMEM) */
};

static void serve_value(struct serve_ctx *c, const char *value)
{
	uint8_t rd[DNS_MSG_MAX];
	char msg[128];
	/* Route 53 reads every name inside a value as fully qualified. */
	int len = dns_rdata_from_text(c->type, value, root_name, rd, sizeof(rd), msg, sizeof(msg));
	if (len < 0) {
		log_warn("r53: value '%s' not served: %s", value, msg);
		return;
	}
	int rc = zone_txn_add(c->txn, c->owner, c->type, c->ttl, rd, (uint16_t)len);
	if (rc == ZONE_ENOMEM)
		c->err = rc;
	else if (rc < 0)
		log_warn("r53: value '%s' not served: %s", value, zone_strerror(rc));
}

static void serve_external(const char *value, void *ctx)
{
	serve_value(ctx, value);
}

static int serve_collect(struct r53 *r, const char *zone_id, const char *name, const char *type,
			 int depth, struct serve_ctx *c);

/* Adds one stored rrset's records to c's owner: its values, or its alias target's. */
static int serve_row(struct r53 *r, const struct r53_rrset *rs, int depth, struct serve_ctx *c)
{
	if (rs->has_alias) {
		char tname[R53_NAME_MAX];
		uint8_t twire[DNS_NAME_MAXLEN];
		if (zone_origin(r, rs->alias.hosted_zone_id, tname, twire) == 0)
			return serve_collect(r, rs->alias.hosted_zone_id, rs->alias.dns_name,
					     rs->type, depth + 1, c);
		uint32_t saved = c->ttl;
		c->ttl = EXTERNAL_ALIAS_TTL;
		external_targets(r, rs->alias.hosted_zone_id, rs->alias.dns_name, rs->type,
				 serve_external, c, NULL);
		c->ttl = saved;
		return c->err ? -1 : 0;
	}
	uint32_t saved = c->ttl;
	c->ttl = rs->ttl >= 0 ? (uint32_t)rs->ttl : 0;
	for (size_t k = 0; k < rs->nvalues && !c->err; k++)
		serve_value(c, rs->values[k]);
	c->ttl = saved;
	return c->err ? -1 : 0;
}

/* Adds the records of (zone_id, name, type), following aliases, to c's owner. */
static int serve_collect(struct r53 *r, const char *zone_id, const char *name, const char *type,
			 int depth, struct serve_ctx *c)
{
	if (depth > MAX_ALIAS_DEPTH)
		return 0; /* refused at change time; never loop here */
	char sort[R53_NAME_MAX];
	r53_name_sort_key(name, sort);
	struct rowset rows = {0};
	if (load_rows(r, zone_id, sort, type, &rows) < 0)
		return -1;
	int ret = 0;
	for (size_t i = 0; i < rows.n && ret == 0; i++)
		ret = serve_row(r, &rows.v[i], depth, c);
	rowset_free(&rows);
	return ret;
}

/* Replaces the served RRset (owner, type) in txn by what the store says it is now. */
static int serve_rrset(struct r53 *r, struct zone_txn *txn, const char *zone_id, const char *name,
		       const char *type)
{
	char norm[R53_NAME_MAX], msg[64];
	uint8_t owner[DNS_NAME_MAXLEN];
	if (r53_name_normalize(name, norm, owner, msg, sizeof(msg)) < 0)
		return -1;
	int t = dns_type_from_text(type);
	if (t < 0)
		return -1;
	int rc = zone_txn_del_rrset(txn, owner, (uint16_t)t);
	if (rc < 0 && rc != ZONE_ENOTFOUND)
		return -1;
	struct serve_ctx c = {.txn = txn, .owner = owner, .type = (uint16_t)t};
	return serve_collect(r, zone_id, norm, type, 0, &c);
}

/* Builds the whole version of zone_id from its rows (origin: its wire name). */
static int build_zone(struct r53 *r, const char *zone_id, const uint8_t *origin,
		      struct zone_version **out)
{
	struct zone_txn *txn;
	if (zone_txn_begin(NULL, origin, &txn) < 0)
		return -1;
	/*
	 * One pass over the zone's rows with a statement of its own (not the store's cache), so
	 * that alias targets can be read with the cached ones while it is open.
	 */
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(store_sqlite(r->store),
			       "SELECT body FROM rrsets WHERE zone_id=?1 ORDER BY sort_name, type, "
			       "set_id",
			       -1, &st, NULL) != SQLITE_OK) {
		zone_txn_abort(txn);
		return -1;
	}
	sqlite3_bind_text(st, 1, zone_id, -1, SQLITE_TRANSIENT);
	int rc, ret = 0;
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct r53_rrset rs;
		char norm[R53_NAME_MAX], msg[64];
		uint8_t owner[DNS_NAME_MAXLEN];
		if (rrset_from_json((const char *)sqlite3_column_text(st, 0), &rs) < 0) {
			ret = -1;
			break;
		}
		int t = dns_type_from_text(rs.type);
		if (t >= 0 && r53_name_normalize(rs.name, norm, owner, msg, sizeof(msg)) == 0) {
			struct serve_ctx c = {.txn = txn, .owner = owner, .type = (uint16_t)t};
			ret = serve_row(r, &rs, 0, &c);
		}
		r53_rrset_free(&rs);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = -1;
	sqlite3_finalize(st);
	if (ret == 0 && zone_txn_commit(txn, out) == 0)
		return 0;
	zone_txn_abort(txn);
	return -1;
}

/* Publishes a whole new version of zone_id if it is the one served for its name. */
static int publish_whole(struct r53 *r, const char *zone_id, struct r53_error *err)
{
	char name[R53_NAME_MAX], served[R53_ID_MAX];
	uint8_t origin[DNS_NAME_MAXLEN];
	if (zone_origin(r, zone_id, name, origin) < 0) {
		r53_err(err, 404, "NoSuchHostedZone", "No hosted zone found with ID: %s", zone_id);
		return -1;
	}
	if (served_zone_for(r, name, served) < 0 || strcmp(served, zone_id) != 0)
		return 0; /* an older zone of the same name is the one served */
	struct zone_version *v;
	if (build_zone(r, zone_id, origin, &v) < 0) {
		r53_err(err, 500, "InternalFailure", "could not build zone %s", name);
		return -1;
	}
	if (zone_db_publish(r->db, v, true) < 0) {
		zone_version_free(v);
		r53_err(err, 500, "InternalFailure", "out of memory publishing zone %s", name);
		return -1;
	}
	return 0;
}

int r53_publish_zone(struct r53 *r, const char *zone_id, struct r53_error *err)
{
	if (publish_whole(r, zone_id, err) < 0)
		return -1;
	zone_db_sync(r->db);
	return 0;
}

int r53_unpublish_zone(struct r53 *r, const char *zone_id, const char *zone_name,
		       struct r53_error *err)
{
	char norm[R53_NAME_MAX], msg[256], other[R53_ID_MAX];
	uint8_t origin[DNS_NAME_MAXLEN];
	if (r53_name_normalize(zone_name, norm, origin, msg, sizeof(msg)) < 0) {
		r53_err(err, 400, "InvalidInput", "%s", msg);
		return -1;
	}
	/* Another hosted zone of this name (created later) takes over, rebuilt whole. */
	if (served_zone_for(r, norm, other) == 0 && strcmp(other, zone_id) != 0)
		return r53_publish_zone(r, other, err);
	int rc = zone_db_remove(r->db, origin);
	if (rc < 0 && rc != ZONE_ENOTFOUND) {
		r53_err(err, 500, "InternalFailure", "out of memory removing zone %s", norm);
		return -1;
	}
	zone_db_sync(r->db);
	return 0;
}

int r53_insert_default_rrsets(struct r53 *r, const struct r53_zone *z, struct r53_error *err)
{
	struct r53_rrset soa = {.weight = -1, .ttl = 900}, ns = {.weight = -1, .ttl = 172800};
	char msg[256];
	uint8_t wire[DNS_NAME_MAXLEN];
	if (r53_name_normalize(z->name, soa.name, wire, msg, sizeof(msg)) < 0) {
		r53_err(err, 400, "InvalidDomainName", "%s", msg);
		return -1;
	}
	copy_str(ns.name, sizeof(ns.name), soa.name);
	copy_str(soa.type, sizeof(soa.type), "SOA");
	copy_str(ns.type, sizeof(ns.type), "NS");
	/* NS values carry the trailing dot, which DelegationSet.NameServers leaves out (§3.3). */
	char nsv[R53_NS_COUNT][R53_NAME_MAX + 1];
	char *nsp[R53_NS_COUNT];
	for (int i = 0; i < R53_NS_COUNT; i++) {
		const char *h = z->name_servers[i];
		size_t l = strlen(h);
		snprintf(nsv[i], sizeof(nsv[i]), "%s%s", h, l && h[l - 1] == '.' ? "" : ".");
		nsp[i] = nsv[i];
	}
	ns.values = nsp;
	ns.nvalues = R53_NS_COUNT;
	char soav[R53_NAME_MAX + 128];
	snprintf(soav, sizeof(soav), "%s awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400",
		 nsv[0]);
	char *soap = soav;
	soa.values = &soap;
	soa.nvalues = 1;
	if (row_put(r, z->id, &soa) < 0 || row_put(r, z->id, &ns) < 0) {
		r53_err(err, 500, "InternalFailure", "could not store the default records");
		return -1;
	}
	sqlite3_stmt *st = store_stmt(r->store, "UPDATE zones SET rrset_count=(SELECT COUNT(*) "
						"FROM rrsets WHERE zone_id=?1) WHERE id=?1");
	if (st) {
		sqlite3_bind_text(st, 1, z->id, -1, SQLITE_TRANSIENT);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Change batches                                                                              */

struct msgs {
	char **v;
	size_t n;
};

static void msg_add(struct msgs *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void msg_add(struct msgs *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return;
	char **v = realloc(m->v, (m->n + 1) * sizeof(char *));
	if (!v) {
		free(s);
		return;
	}
	m->v = v;
	m->v[m->n++] = s;
}

static void msgs_free(struct msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
}

/* "[a, b]" as Route 53 writes InvalidChangeBatch. */
static void msgs_to_error(struct msgs *m, struct r53_error *err)
{
	size_t len = 3;
	for (size_t i = 0; i < m->n; i++)
		len += strlen(m->v[i]) + 2;
	char *s = malloc(len);
	if (!s) {
		r53_err(err, 400, "InvalidChangeBatch", "[%s]", m->n ? m->v[0] : "");
		return;
	}
	size_t o = 0;
	s[o++] = '[';
	for (size_t i = 0; i < m->n; i++) {
		if (i) {
			memcpy(s + o, ", ", 2);
			o += 2;
		}
		size_t l = strlen(m->v[i]);
		memcpy(s + o, m->v[i], l);
		o += l;
	}
	s[o++] = ']';
	s[o] = '\0';
	r53_err(err, 400, "InvalidChangeBatch", "%s", s);
	free(s);
}

/* One rrset key of the batch: its state before the batch and after the changes so far. */
struct entry {
	char sort[R53_NAME_MAX];
	char name[R53_NAME_MAX];
	char type[16];
	char set_id[R53_TEXT_MAX];
	bool orig_exists;
	struct r53_rrset orig;
	bool cur_exists;
	struct r53_rrset cur;
	bool deleted; /* a DELETE was applied: a CREATE/UPSERT may follow, nothing else */
	int changes;
	uint64_t hkey, hsort;   /* hashes of (sort, type, set_id) and of sort */
	int32_t next_same_sort; /* the next entry at this name, or -1 */
};

struct batch {
	struct r53 *r;
	const char *zone_id;
	char zone_name[R53_NAME_MAX];
	uint8_t origin[DNS_NAME_MAXLEN];
	struct entry *e;
	size_t n, ecap;
	/* Open-addressing indexes of e (entry index, -1 empty): by key, and by name (chains). */
	int32_t *kslot, *sslot;
	size_t scap;
	struct msgs m;
};

/* FNV-1a over the strings, each closed by a separator octet. */
static uint64_t str_hash(uint64_t h, const char *s)
{
	while (*s) {
		h ^= (uint8_t)*s++;
		h *= 0x100000001b3ULL;
	}
	h ^= 0xff;
	return h * 0x100000001b3ULL;
}

static uint64_t key_hash(const char *a, const char *b, const char *c)
{
	return str_hash(str_hash(str_hash(0xcbf29ce484222325ULL, a), b), c);
}

/* Puts entry i into both indexes (capacity is the caller's). */
static void index_entry(struct batch *b, int32_t i)
{
	size_t mask = b->scap - 1;
	struct entry *e = &b->e[i];
	size_t k = e->hkey & mask;
	while (b->kslot[k] >= 0)
		k = (k + 1) & mask;
	b->kslot[k] = i;
	e->next_same_sort = -1;
	for (k = e->hsort & mask; b->sslot[k] >= 0; k = (k + 1) & mask) {
		struct entry *h = &b->e[b->sslot[k]];
		if (h->hsort == e->hsort && strcmp(h->sort, e->sort) == 0) {
			e->next_same_sort = b->sslot[k];
			b->sslot[k] = i;
			return;
		}
	}
	b->sslot[k] = i;
}

/* Room for one more entry in e and in the indexes (at most half full). */
static int batch_grow(struct batch *b)
{
	if (b->n == b->ecap) {
		size_t cap = b->ecap ? b->ecap * 2 : 16;
		struct entry *v = realloc(b->e, cap * sizeof(*v));
		if (!v)
			return -1;
		b->e = v;
		b->ecap = cap;
	}
	if ((b->n + 1) * 2 <= b->scap)
		return 0;
	size_t cap = b->scap ? b->scap * 2 : 64;
	int32_t *ks = malloc(cap * sizeof(int32_t)), *ss = malloc(cap * sizeof(int32_t));
	if (!ks || !ss) {
		free(ks);
		free(ss);
		return -1;
	}
	memset(ks, 0xff, cap * sizeof(int32_t));
	memset(ss, 0xff, cap * sizeof(int32_t));
	free(b->kslot);
	free(b->sslot);
	b->kslot = ks;
	b->sslot = ss;
	b->scap = cap;
	for (size_t i = 0; i < b->n; i++)
		index_entry(b, (int32_t)i);
	return 0;
}

/* The first entry at name `sort` (follow next_same_sort), or -1. */
static int32_t entries_at(const struct batch *b, const char *sort)
{
	if (!b->scap)
		return -1;
	uint64_t h = str_hash(0xcbf29ce484222325ULL, sort);
	size_t mask = b->scap - 1;
	for (size_t k = h & mask; b->sslot[k] >= 0; k = (k + 1) & mask) {
		const struct entry *e = &b->e[b->sslot[k]];
		if (e->hsort == h && strcmp(e->sort, sort) == 0)
			return b->sslot[k];
	}
	return -1;
}

static struct entry *entry_find(struct batch *b, const char *sort, const char *type,
				const char *set_id)
{
	if (!b->scap)
		return NULL;
	uint64_t h = key_hash(sort, type, set_id);
	size_t mask = b->scap - 1;
	for (size_t k = h & mask; b->kslot[k] >= 0; k = (k + 1) & mask) {
		struct entry *e = &b->e[b->kslot[k]];
		if (e->hkey == h && strcmp(e->sort, sort) == 0 && strcmp(e->type, type) == 0 &&
		    strcmp(e->set_id, set_id) == 0)
			return e;
	}
	return NULL;
}

/* The rrsets of (zone, sort[, type]) as they will be after the batch. */
static int final_rows(struct batch *b, const char *zone_id, const char *sort, const char *type,
		      struct rowset *out)
{
	struct rowset stored = {0};
	if (load_rows(b->r, zone_id, sort, type, &stored) < 0)
		return -1;
	bool mine = strcmp(zone_id, b->zone_id) == 0;
	int ret = 0;
	for (size_t i = 0; i < stored.n && ret == 0; i++) {
		struct entry *e =
			mine ? entry_find(b, sort, stored.v[i].type, stored.v[i].set_identifier)
			     : NULL;
		if (!e)
			ret = rowset_add(out, &stored.v[i]);
	}
	if (mine)
		for (int32_t i = entries_at(b, sort); i >= 0 && ret == 0;
		     i = b->e[i].next_same_sort) {
			struct entry *e = &b->e[i];
			if (e->cur_exists && (!type || strcmp(e->type, type) == 0))
				ret = rowset_add(out, &e->cur);
		}
	rowset_free(&stored);
	return ret;
}

/*
 * A TXT/SPF value is one or more quoted strings of at most 255 octets each (§3.4): 0 if so,
 * 1 if something is not quoted, 2 if a string is too long. Escapes count as one octet.
 */
static int txt_check(const char *v)
{
	const char *p = v;
	bool any = false;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return any ? 0 : 1;
		if (*p != '"')
			return 1;
		p++;
		size_t len = 0;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
			    p[2] <= '9' && p[3] >= '0' && p[3] <= '9')
				p += 4;
			else if (*p == '\\' && p[1])
				p += 2;
			else
				p++;
			len++;
		}
		if (*p != '"')
			return 1;
		p++;
		if (len > 255)
			return 2;
		any = true;
	}
}

/* The message Route 53 writes for a value that does not parse (§3.2). */
static bool value_problem(uint16_t t, const char *type, const char *v, char *out, size_t size)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 32 || *p >= 127) {
			snprintf(out, size,
				 "Invalid Resource Record: FATAL problem: UnsupportedCharacter "
				 "(Value contains unsupported characters) encountered with '%s'",
				 v);
			return true;
		}
	if (t == DNS_T_A || t == DNS_T_AAAA) {
		if (strchr(v, ' ')) {
			snprintf(out, size,
				 "Invalid Resource Record: FATAL problem: %sRRDATANotSingleField "
				 "(Value contains spaces) encountered with '%s'",
				 t == DNS_T_A ? "A" : "AAAA", v);
			return true;
		}
		unsigned char buf[16];
		if (inet_pton(t == DNS_T_A ? AF_INET : AF_INET6, v, buf) != 1) {
			if (t == DNS_T_A)
				snprintf(out, size,
					 "Invalid Resource Record: FATAL problem: "
					 "ARRDATAIllegalIPv4Address (Value is not a valid IPv4 "
					 "address) encountered with '%s'",
					 v);
			else
				snprintf(out, size,
					 "Invalid Resource Record: FATAL problem: "
					 "AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 "
					 "address) encountered with '%s'",
					 v);
			return true;
		}
		return false;
	}
	if (t == DNS_T_TXT || t == DNS_T_SPF) {
		int r = txt_check(v);
		if (r == 1) {
			snprintf(out, size,
				 "Invalid Resource Record: FATAL problem: InvalidCharacterString "
				 "(Value should be enclosed in quotation marks) encountered with "
				 "'%s'",
				 v);
			return true;
		}
		if (r == 2) {
			snprintf(
				out, size,
				"Invalid Resource Record: FATAL problem: TXTRDATATooLong (Value is "
				"too long) encountered with '%s'",
				v);
			return true;
		}
	}
	uint8_t rd[DNS_MSG_MAX];
	char why[128];
	if (dns_rdata_from_text(t, v, root_name, rd, sizeof(rd), why, sizeof(why)) < 0) {
		snprintf(out, size,
			 "Invalid Resource Record: FATAL problem: %sRRDATAIllegal (%s) encountered "
			 "with '%s'",
			 type, why, v);
		return true;
	}
	return false;
}

/* Are two values the same record (text as given, or the same wire data)? */
static bool value_equal(uint16_t t, const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return true;
	uint8_t ra[DNS_MSG_MAX], rb[DNS_MSG_MAX];
	int la = dns_rdata_from_text(t, a, root_name, ra, sizeof(ra), NULL, 0);
	int lb = dns_rdata_from_text(t, b, root_name, rb, sizeof(rb), NULL, 0);
	if (la < 0 || la != lb)
		return false;
	/* Names inside rdata compare case-insensitively; other octets exactly. */
	for (int i = 0; i < la; i++)
		if (dns_ascii_lower[ra[i]] != dns_ascii_lower[rb[i]])
			return false;
	return true;
}

/* Does a DELETE's rrset match the stored one in every field (§3.1 step 5)? */
static bool rrset_matches(uint16_t t, const struct r53_rrset *in, const struct r53_rrset *cur)
{
	if (in->has_alias != cur->has_alias || in->ttl != cur->ttl || in->weight != cur->weight ||
	    strcmp(in->region, cur->region) != 0 || strcmp(in->failover, cur->failover) != 0 ||
	    strcmp(in->health_check_id, cur->health_check_id) != 0)
		return false;
	/* An omitted MultiValueAnswer is its default, false (moto PR #7153). */
	if ((in->multivalue && in->multivalue_answer) !=
	    (cur->multivalue && cur->multivalue_answer))
		return false;
	if (in->has_alias)
		return strcmp(in->alias.hosted_zone_id, cur->alias.hosted_zone_id) == 0 &&
		       strcmp(in->alias.dns_name, cur->alias.dns_name) == 0 &&
		       in->alias.evaluate_target_health == cur->alias.evaluate_target_health;
	if (in->nvalues != cur->nvalues)
		return false;
	for (size_t i = 0; i < in->nvalues; i++) {
		bool found = false;
		for (size_t k = 0; k < cur->nvalues && !found; k++)
			found = value_equal(t, in->values[i], cur->values[k]);
		if (!found)
			return false;
	}
	return true;
}

static const char *action_text(enum r53_action a)
{
	return a == R53_CREATE ? "CREATE" : a == R53_DELETE ? "DELETE" : "UPSERT";
}

/*
 * Step 2 of §3.1 for one change: its structure, name and type. Fills the normalised copy in
 * `rs`. Returns 0, or -1 with InvalidInput in err (the whole request is refused).
 */
static int prepare_change(const struct r53_change *c, struct r53_rrset *rs, uint8_t *wire,
			  struct r53_error *err)
{
	const struct r53_rrset *in = &c->rrset;
	bool full = in->ttl >= 0 && in->nvalues > 0;
	bool any = in->ttl >= 0 || in->nvalues > 0;
	if (in->has_alias == full || (in->has_alias && any) || (!in->has_alias && !full)) {
		bool none = !in->has_alias && !any;
		r53_err(err, 400, "InvalidInput",
			"Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and "
			"ResourceRecords], or TrafficPolicyInstanceId], but found %s in Change "
			"with "
			"[Action=%s, Name=%s, Type=%s, SetIdentifier=%s]",
			none ? "none" : (in->has_alias ? "more than one" : "none"),
			action_text(c->action), in->name, in->type,
			in->set_identifier[0] ? in->set_identifier : "null");
		return -1;
	}
	char msg[R53_NAME_MAX + 128];
	if (rrset_clone(rs, in) < 0) {
		r53_err(err, 500, "InternalFailure", "out of memory");
		return -1;
	}
	if (r53_name_normalize(in->name, rs->name, wire, msg, sizeof(msg)) < 0) {
		r53_rrset_free(rs);
		r53_err(err, 400, "InvalidInput", "%s", msg);
		return -1;
	}
	if (type_parse(in->type, rs->type) < 0) {
		r53_rrset_free(rs);
		r53_err(err, 400, "InvalidInput",
			"Invalid XML ; cvc-enumeration-valid: Value '%s' is not facet-valid with "
			"respect to enumeration '[SOA, A, TXT, NS, CNAME, MX, NAPTR, PTR, SRV, "
			"SPF, "
			"AAAA, CAA, DS, TLSA, SSHFP, SVCB, HTTPS]'. It must be a value from the "
			"enumeration.",
			in->type);
		return -1;
	}
	if (in->ttl > 2147483647) {
		r53_rrset_free(rs);
		r53_err(err, 400, "InvalidInput",
			"Invalid XML ; cvc-maxInclusive-valid: Value '%lld' is not facet-valid "
			"with "
			"respect to maxInclusive '2147483647' for type 'TTL'.",
			(long long)in->ttl);
		return -1;
	}
	bool policy = in->weight >= 0 || in->region[0] || in->failover[0] || in->multivalue;
	if (policy && !in->set_identifier[0]) {
		r53_rrset_free(rs);
		r53_err(err, 400, "InvalidInput",
			"Invalid request: Missing field 'SetIdentifier' in Change with [Action=%s, "
			"Name=%s, Type=%s, SetIdentifier=null]",
			action_text(c->action), in->name, in->type);
		return -1;
	}
	if (in->has_alias) {
		uint8_t tw[DNS_NAME_MAXLEN];
		copy_str(rs->alias.hosted_zone_id, sizeof(rs->alias.hosted_zone_id),
			 r53_bare_id(in->alias.hosted_zone_id));
		if (r53_name_normalize(in->alias.dns_name, rs->alias.dns_name, tw, msg,
				       sizeof(msg)) < 0) {
			r53_rrset_free(rs);
			r53_err(err, 400, "InvalidInput", "%s", msg);
			return -1;
		}
	}
	return 0;
}

/* Checks of one rrset that a CREATE or UPSERT would store (§3.2 values, SOA, CNAME, NS). */
static void check_new_rrset(struct batch *b, const struct r53_rrset *rs, const uint8_t *wire)
{
	int t = dns_type_from_text(rs->type);
	bool apex = dns_name_equal(wire, b->origin);
	if (!dns_name_is_sub(wire, b->origin))
		return; /* reported already: not in the zone */
	if (t == DNS_T_CNAME && apex)
		msg_add(&b->m,
			"RRSet of type CNAME with DNS name %s is not permitted at apex in "
			"zone %s",
			rs->name, b->zone_name);
	if (t == DNS_T_SOA && !apex)
		msg_add(&b->m,
			"RRSet of type SOA with DNS name %s is not permitted because SOA "
			"records are only permitted at the apex in zone %s",
			rs->name, b->zone_name);
	if (t == DNS_T_NS && wire[0] == 1 && wire[1] == '*')
		msg_add(&b->m,
			"RRSet of type NS with DNS name %s is not permitted because a "
			"wildcard is not permitted in NS records in zone %s",
			rs->name, b->zone_name);
	if (rs->has_alias) {
		if (t == DNS_T_NS || t == DNS_T_SOA)
			msg_add(&b->m,
				"RRSet of type %s with DNS name %s is not permitted as an "
				"alias in zone %s",
				rs->type, rs->name, b->zone_name);
		if (rs->multivalue)
			msg_add(&b->m,
				"RRSet with DNS name %s, type %s cannot be created as an "
				"alias with MultiValueAnswer",
				rs->name, rs->type);
		return;
	}
	if (rs->nvalues > MAX_RRSET_VALUES)
		msg_add(&b->m, "Cannot have more than %d records in a RRSet.", MAX_RRSET_VALUES);
	if ((t == DNS_T_CNAME || t == DNS_T_SOA) && rs->nvalues > 1)
		msg_add(&b->m, "RRSet of type %s with DNS name %s has more than one value",
			rs->type, rs->name);
	for (size_t i = 0; i < rs->nvalues; i++) {
		char why[R53_VALUE_MAX + 256];
		if (value_problem((uint16_t)t, rs->type, rs->values[i], why, sizeof(why)))
			msg_add(&b->m, "%s", why);
	}
}

/*
 * Applies one change to the batch's working copy (§3.1 step 5). `rs` is the prepared copy;
 * its ownership passes to the entry.
 */
static int apply_change(struct batch *b, enum r53_action action, struct r53_rrset *rs,
			const uint8_t *wire)
{
	char sort[R53_NAME_MAX];
	r53_name_sort_key(rs->name, sort);
	struct entry *e = entry_find(b, sort, rs->type, rs->set_identifier);
	if (!e) {
		if (batch_grow(b) < 0)
			return -1;
		e = &b->e[b->n];
		memset(e, 0, sizeof(*e));
		copy_str(e->sort, sizeof(e->sort), sort);
		copy_str(e->name, sizeof(e->name), rs->name);
		copy_str(e->type, sizeof(e->type), rs->type);
		copy_str(e->set_id, sizeof(e->set_id), rs->set_identifier);
		e->hkey = key_hash(sort, rs->type, rs->set_identifier);
		e->hsort = str_hash(0xcbf29ce484222325ULL, sort);
		index_entry(b, (int32_t)b->n);
		b->n++;
		struct rowset rows = {0};
		if (load_rows(b->r, b->zone_id, sort, rs->type, &rows) < 0)
			return -1;
		for (size_t i = 0; i < rows.n; i++)
			if (strcmp(rows.v[i].set_identifier, rs->set_identifier) == 0) {
				e->orig_exists = true;
				e->orig = rows.v[i];
				rows.v[i].values = NULL;
				rows.v[i].nvalues = 0;
				if (rrset_clone(&e->cur, &e->orig) < 0) {
					rowset_free(&rows);
					return -1;
				}
				e->cur_exists = true;
			}
		rowset_free(&rows);
	}
	int t = dns_type_from_text(rs->type);
	bool apex = dns_name_equal(wire, b->origin);
	/* Several changes to one rrset: only DELETE then CREATE/UPSERT (the update idiom). */
	if (e->changes++ > 0 && !(e->deleted && action != R53_DELETE && e->changes == 2)) {
		msg_add(&b->m,
			"The request contains an invalid set of changes for a resource record set "
			"'%s %s'",
			rs->type, rs->name);
		r53_rrset_free(rs);
		return 0;
	}
	switch (action) {
	case R53_CREATE:
		if (e->cur_exists) {
			msg_add(&b->m,
				"Tried to create resource record set [name='%s', type='%s'] but it "
				"already exists",
				rs->name, rs->type);
			r53_rrset_free(rs);
			return 0;
		}
		/* fall through */
	case R53_UPSERT:
		check_new_rrset(b, rs, wire);
		if (e->cur_exists)
			r53_rrset_free(&e->cur);
		e->cur = *rs;
		e->cur_exists = true;
		return 0;
	case R53_DELETE:
		if (!e->cur_exists) {
			msg_add(&b->m,
				"Tried to delete resource record set [name='%s', type='%s'] but it "
				"was not found",
				rs->name, rs->type);
		} else if (!rrset_matches((uint16_t)t, rs, &e->cur)) {
			msg_add(&b->m,
				"Tried to delete resource record set [name='%s', type='%s'] but "
				"the "
				"values provided do not match the current values",
				rs->name, rs->type);
		} else if (apex && t == DNS_T_SOA) {
			msg_add(&b->m, "A HostedZone must contain exactly one SOA record.");
		} else if (apex && t == DNS_T_NS) {
			msg_add(&b->m,
				"A HostedZone must contain at least one NS record for the zone "
				"itself.");
		} else {
			r53_rrset_free(&e->cur);
			e->cur_exists = false;
			e->deleted = true;
		}
		r53_rrset_free(rs);
		return 0;
	}
	return 0;
}

/* Does (zone, name, type) exist after the batch? *alias_next gets its alias target if any. */
static int target_state(struct batch *b, const char *zone_id, const char *name, const char *type,
			bool *exists, struct r53_alias *alias_next, bool *is_alias)
{
	char sort[R53_NAME_MAX];
	r53_name_sort_key(name, sort);
	struct rowset rows = {0};
	if (final_rows(b, zone_id, sort, type, &rows) < 0)
		return -1;
	*exists = rows.n > 0;
	*is_alias = false;
	for (size_t i = 0; i < rows.n; i++)
		if (rows.v[i].has_alias) {
			*is_alias = true;
			*alias_next = rows.v[i].alias;
			break;
		}
	rowset_free(&rows);
	return 0;
}

/* The alias checks of §3.2: target zone, target inside it, target exists, no loop. */
static int check_alias(struct batch *b, const struct entry *e)
{
	const struct r53_alias *a = &e->cur.alias;
	char tz_name[R53_NAME_MAX];
	uint8_t tzorigin[DNS_NAME_MAXLEN], twire[DNS_NAME_MAXLEN];
	char norm[R53_NAME_MAX], msg[64];
	if (r53_name_normalize(a->dns_name, norm, twire, msg, sizeof(msg)) < 0)
		return 0;
	if (zone_origin(b->r, a->hosted_zone_id, tz_name, tzorigin) < 0) {
		/* Not a hosted zone here: an AWS endpoint from the table, or nothing. */
		if (external_targets(b->r, a->hosted_zone_id, a->dns_name, e->type, NULL, NULL,
				     NULL) <= 0)
			msg_add(&b->m,
				"Tried to create an alias that targets %s, type %s in zone %s, but "
				"that target was not found",
				a->dns_name, e->type, a->hosted_zone_id);
		return 0;
	}
	if (!dns_name_is_sub(twire, tzorigin)) {
		msg_add(&b->m,
			"Tried to create an alias that targets %s, type %s in zone %s, but the "
			"alias "
			"target name does not lie within the target zone",
			a->dns_name, e->type, a->hosted_zone_id);
		return 0;
	}
	/* Follow the chain: each hop must exist; coming back to this rrset is a loop. */
	struct r53_alias cur = *a;
	for (int depth = 0;; depth++) {
		if (strcmp(cur.hosted_zone_id, b->zone_id) == 0 &&
		    strcmp(cur.dns_name, e->name) == 0) {
			msg_add(&b->m,
				"Tried to create an alias that targets %s, type %s in zone %s, but "
				"the alias target is a loop back to %s",
				a->dns_name, e->type, a->hosted_zone_id, e->name);
			return 0;
		}
		if (depth >= MAX_ALIAS_DEPTH) {
			msg_add(&b->m,
				"Tried to create an alias that targets %s, type %s in zone %s, but "
				"the chain of aliases is longer than %d",
				a->dns_name, e->type, a->hosted_zone_id, MAX_ALIAS_DEPTH);
			return 0;
		}
		bool exists, is_alias;
		struct r53_alias next;
		if (zone_origin(b->r, cur.hosted_zone_id, tz_name, tzorigin) < 0)
			return 0; /* a chain that ends at an AWS endpoint */
		if (target_state(b, cur.hosted_zone_id, cur.dns_name, e->type, &exists, &next,
				 &is_alias) < 0)
			return -1;
		if (!exists) {
			if (depth == 0)
				msg_add(&b->m,
					"Tried to create an alias that targets %s, type %s in zone "
					"%s, but that target was not found",
					a->dns_name, e->type, a->hosted_zone_id);
			return 0;
		}
		if (!is_alias)
			return 0;
		cur = next;
	}
}

/* §3.2 for the rrsets the batch leaves behind: CNAME exclusivity, policies, aliases. */
static int check_state(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct entry *e = &b->e[i];
		if (!e->cur_exists)
			continue;
		struct rowset at = {0};
		if (final_rows(b, b->zone_id, e->sort, NULL, &at) < 0)
			return -1;
		bool cname = strcmp(e->type, "CNAME") == 0, other_type = false, cname_there = false;
		bool mixed = false, ttl_differs = false;
		for (size_t k = 0; k < at.n; k++) {
			const struct r53_rrset *o = &at.v[k];
			if (strcmp(o->type, e->type) != 0)
				other_type = true;
			if (strcmp(o->type, "CNAME") == 0 && !cname)
				cname_there = true;
			if (strcmp(o->type, e->type) == 0 &&
			    (o->set_identifier[0] != '\0') != (e->set_id[0] != '\0'))
				mixed = true;
			/* Weighted sets answer as one RRset: they must share its TTL. */
			if (strcmp(o->type, e->type) == 0 && e->cur.weight >= 0 && o->weight >= 0 &&
			    !e->cur.has_alias && !o->has_alias && o->ttl != e->cur.ttl)
				ttl_differs = true;
		}
		rowset_free(&at);
		if (cname && other_type)
			msg_add(&b->m,
				"RRSet of type CNAME with DNS name %s is not permitted as it "
				"conflicts with other records with the same DNS name in zone %s",
				e->name, b->zone_name);
		else if (cname_there)
			msg_add(&b->m,
				"RRSet of type %s with DNS name %s is not permitted because a "
				"conflicting RRSet of type CNAME with the same DNS name already "
				"exists in zone %s",
				e->type, e->name, b->zone_name);
		if (ttl_differs)
			msg_add(&b->m,
				"RRSet with DNS name %s and type %s, SetIdentifier %s cannot be "
				"created as weighted sets must contain the same TTL.",
				e->name, e->type, e->set_id);
		if (mixed)
			msg_add(&b->m,
				"RRSet with DNS name %s, type %s cannot be created as other RRSets "
				"exist with the same name and type.",
				e->name, e->type);
		if (e->cur.has_alias && check_alias(b, e) < 0)
			return -1;
	}
	/* A deleted rrset that an alias still points at would leave the alias dangling. */
	for (size_t i = 0; i < b->n; i++) {
		struct entry *e = &b->e[i];
		if (e->cur_exists || !e->orig_exists)
			continue;
		bool exists, is_alias;
		struct r53_alias next;
		if (target_state(b, b->zone_id, e->name, e->type, &exists, &next, &is_alias) < 0)
			return -1;
		if (exists)
			continue; /* other set identifiers keep (name, type) alive */
		struct alias_ref *refs = NULL;
		size_t n = 0;
		if (aliases_to(b->r, b->zone_id, e->name, e->type, &refs, &n) < 0) {
			free(refs);
			return -1;
		}
		for (size_t k = 0; k < n; k++) {
			struct alias_ref *a = &refs[k];
			if (strcmp(a->zone_id, b->zone_id) == 0) {
				char sort[R53_NAME_MAX];
				r53_name_sort_key(a->name, sort);
				struct entry *ae = entry_find(b, sort, a->type, a->set_id);
				/* Deleted or re-pointed in this batch: no longer dangling. */
				if (ae && (!ae->cur_exists || !ae->cur.has_alias ||
					   strcmp(ae->cur.alias.dns_name, e->name) != 0))
					continue;
			}
			msg_add(&b->m,
				"Tried to delete resource record set [name='%s', type='%s'] but it "
				"is the target of an alias resource record set [name='%s', "
				"type='%s'] in zone %s",
				e->name, e->type, a->name, a->type, a->zone_id);
			break;
		}
		free(refs);
	}
	return 0;
}

/* A (zone, name, type) whose served RRset must be rebuilt. */
struct work {
	struct alias_ref *v;
	size_t n, vcap;
	uint64_t *hash; /* of each item */
	int32_t *slot;  /* open addressing over v (index, -1 empty), at most half full */
	size_t cap;
};

static void work_free(struct work *w)
{
	free(w->v);
	free(w->hash);
	free(w->slot);
	memset(w, 0, sizeof(*w));
}

static int work_add(struct work *w, const char *zone_id, const char *name, const char *type)
{
	uint64_t h = key_hash(zone_id, name, type);
	size_t mask = w->cap - 1;
	if (w->cap)
		for (size_t k = h & mask; w->slot[k] >= 0; k = (k + 1) & mask) {
			const struct alias_ref *a = &w->v[w->slot[k]];
			if (w->hash[w->slot[k]] == h && strcmp(a->zone_id, zone_id) == 0 &&
			    strcmp(a->name, name) == 0 && strcmp(a->type, type) == 0)
				return 0;
		}
	if (w->n == w->vcap) {
		size_t cap = w->vcap ? w->vcap * 2 : 16;
		struct alias_ref *v = realloc(w->v, cap * sizeof(*v));
		uint64_t *hs = v ? realloc(w->hash, cap * sizeof(*hs)) : NULL;
		if (v)
			w->v = v;
		if (!hs)
			return -1;
		w->hash = hs;
		w->vcap = cap;
	}
	if ((w->n + 1) * 2 > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		int32_t *sl = malloc(cap * sizeof(*sl));
		if (!sl)
			return -1;
		memset(sl, 0xff, cap * sizeof(*sl));
		free(w->slot);
		w->slot = sl;
		w->cap = cap;
		for (size_t i = 0; i < w->n; i++) {
			size_t k = w->hash[i] & (cap - 1);
			while (sl[k] >= 0)
				k = (k + 1) & (cap - 1);
			sl[k] = (int32_t)i;
		}
	}
	mask = w->cap - 1;
	size_t k = h & mask;
	while (w->slot[k] >= 0)
		k = (k + 1) & mask;
	w->slot[k] = (int32_t)w->n;
	w->hash[w->n] = h;
	struct alias_ref *a = &w->v[w->n++];
	copy_str(a->zone_id, sizeof(a->zone_id), zone_id);
	copy_str(a->name, sizeof(a->name), name);
	copy_str(a->type, sizeof(a->type), type);
	a->set_id[0] = '\0';
	return 0;
}

/*
 * Applies the committed rows of the work list to the served versions: per zone, one new
 * version built on the served one with only the listed RRsets replaced, then one sync for all.
 */
static int publish_work(struct r53 *r, struct work *w, struct r53_error *err)
{
	/* Aliases that point at what changed change too, transitively (the list only grows). */
	for (size_t i = 0; i < w->n; i++) {
		struct alias_ref *refs = NULL;
		size_t n = 0;
		if (aliases_to(r, w->v[i].zone_id, w->v[i].name, w->v[i].type, &refs, &n) < 0) {
			free(refs);
			r53_err(err, 500, "InternalFailure", "could not read aliases");
			return -1;
		}
		for (size_t k = 0; k < n; k++)
			if (work_add(w, refs[k].zone_id, refs[k].name, refs[k].type) < 0) {
				free(refs);
				r53_err(err, 500, "InternalFailure", "out of memory");
				return -1;
			}
		free(refs);
	}
	bool *done = calloc(w->n ? w->n : 1, sizeof(bool));
	if (!done) {
		r53_err(err, 500, "InternalFailure", "out of memory");
		return -1;
	}
	int ret = 0;
	for (size_t i = 0; i < w->n && ret == 0; i++) {
		if (done[i])
			continue;
		const char *zid = w->v[i].zone_id;
		char name[R53_NAME_MAX], served[R53_ID_MAX];
		uint8_t origin[DNS_NAME_MAXLEN];
		bool whole = false;
		struct zone_txn *txn = NULL;
		if (zone_origin(r, zid, name, origin) < 0 || served_zone_for(r, name, served) < 0 ||
		    strcmp(served, zid) != 0) {
			for (size_t k = i; k < w->n; k++)
				if (strcmp(w->v[k].zone_id, zid) == 0)
					done[k] = true;
			continue; /* not served (deleted, or a younger zone of a served name) */
		}
		const struct zone_version *base = zone_db_zone(r->db, origin);
		if (!base || zone_txn_begin(base, origin, &txn) < 0)
			whole = true;
		for (size_t k = i; k < w->n; k++) {
			if (strcmp(w->v[k].zone_id, zid) != 0)
				continue;
			done[k] = true;
			if (!whole && serve_rrset(r, txn, zid, w->v[k].name, w->v[k].type) < 0)
				whole = true;
		}
		struct zone_version *v = NULL;
		if (!whole && zone_txn_commit(txn, &v) == 0) {
			txn = NULL;
			if (zone_db_publish(r->db, v, false) < 0) {
				/* It shares the served version's nodes: free only its own. */
				zone_version_discard(v);
				v = NULL;
				whole = true;
			}
		}
		if (txn)
			zone_txn_abort(txn);
		if (whole && !v) {
			/* The incremental path failed: the rows are the truth, rebuild from them.
			 */
			log_warn("r53: rebuilding zone %s whole", name);
			ret = publish_whole(r, zid, err);
		} else if (whole) {
			ret = publish_whole(r, zid, err);
		}
	}
	free(done);
	zone_db_sync(r->db);
	return ret;
}

static void entries_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->e[i].orig_exists)
			r53_rrset_free(&b->e[i].orig);
		if (b->e[i].cur_exists)
			r53_rrset_free(&b->e[i].cur);
	}
	free(b->e);
	free(b->kslot);
	free(b->sslot);
	b->e = NULL;
	b->kslot = b->sslot = NULL;
	b->n = b->ecap = b->scap = 0;
	msgs_free(&b->m);
}

static int change_rrsets_locked(struct r53 *r, const char *zone_id,
				const struct r53_change *changes, size_t n, const char *comment,
				struct r53_change_info *ci, struct r53_error *err)
{
	struct r53_zone *z = calloc(1, sizeof(*z));
	if (!z) {
		r53_err(err, 500, "InternalFailure", "out of memory");
		return -1;
	}
	if (r53_zone_load(r, zone_id, z, err) < 0) {
		free(z);
		return -1;
	}
	struct batch b = {.r = r, .zone_id = zone_id};
	char msg[256];
	if (r53_name_normalize(z->name, b.zone_name, b.origin, msg, sizeof(msg)) < 0) {
		free(z);
		r53_err(err, 500, "InternalFailure", "stored zone name is not valid: %s", msg);
		return -1;
	}
	uint64_t rrset_count = z->rrset_count;
	free(z);
	if (n == 0) {
		r53_err(err, 400, "InvalidInput",
			"1 validation error detected: Value '[]' at 'changeBatch.changes' failed "
			"to "
			"satisfy constraint: Member must have length greater than or equal to 1");
		return -1;
	}

	/* Step 3: request quotas, UPSERT counting twice. */
	uint64_t records = 0, chars = 0;
	for (size_t i = 0; i < n; i++) {
		const struct r53_rrset *in = &changes[i].rrset;
		uint64_t rec = in->has_alias ? 1 : in->nvalues, ch = 0;
		for (size_t k = 0; k < in->nvalues; k++)
			ch += strlen(in->values[k]);
		int mult = changes[i].action == R53_UPSERT ? 2 : 1;
		records += rec * (uint64_t)mult;
		chars += ch * (uint64_t)mult;
	}
	if (records > MAX_BATCH_RECORDS)
		msg_add(&b.m, "Number of records limit of %d exceeded.", MAX_BATCH_RECORDS);
	if (chars > MAX_BATCH_CHARS)
		msg_add(&b.m, "RDATA character limit of %d exceeded.", MAX_BATCH_CHARS);
	if (b.m.n) {
		msgs_to_error(&b.m, err);
		msgs_free(&b.m);
		return -1;
	}

	if (store_begin(r->store) != 0) {
		r53_err(err, 500, "InternalFailure", "could not begin a store transaction");
		return -1;
	}
	/* Steps 2 and 5: structure, then each change in order on the working copy. */
	for (size_t i = 0; i < n; i++) {
		struct r53_rrset rs;
		uint8_t wire[DNS_NAME_MAXLEN];
		if (prepare_change(&changes[i], &rs, wire, err) < 0)
			goto fail;
		if (!dns_name_is_sub(wire, b.origin)) {
			msg_add(&b.m, "RRSet with DNS name %s is not permitted in zone %s", rs.name,
				b.zone_name);
			r53_rrset_free(&rs);
			continue;
		}
		if (apply_change(&b, changes[i].action, &rs, wire) < 0) {
			r53_rrset_free(&rs);
			r53_err(err, 500, "InternalFailure", "could not read the zone's records");
			goto fail;
		}
	}
	/* Step 6: the state the batch leaves. */
	if (check_state(&b) < 0) {
		r53_err(err, 500, "InternalFailure", "could not read the zone's records");
		goto fail;
	}
	int64_t delta = 0;
	for (size_t i = 0; i < b.n; i++)
		delta += (b.e[i].cur_exists ? 1 : 0) - (b.e[i].orig_exists ? 1 : 0);
	/* Step 8: the zone quota. */
	if (r->cfg.max_rrsets_per_zone && delta > 0 &&
	    rrset_count + (uint64_t)delta > r->cfg.max_rrsets_per_zone)
		msg_add(&b.m, "Exceeded limit MAX_RRSETS_BY_ZONE for zone: %s", zone_id);
	if (b.m.n) {
		msgs_to_error(&b.m, err);
		goto fail;
	}

	/* Step 7: write, record the change, commit (durable on return). */
	struct work w = {0};
	for (size_t i = 0; i < b.n; i++) {
		struct entry *e = &b.e[i];
		int rc = 0;
		if (e->cur_exists)
			rc = row_put(r, zone_id, &e->cur);
		else if (e->orig_exists)
			rc = row_delete(r, zone_id, e->sort, e->type, e->set_id);
		if (rc == 0 && (e->cur_exists || e->orig_exists))
			rc = work_add(&w, zone_id, e->name, e->type);
		if (rc < 0) {
			work_free(&w);
			r53_err(err, 500, "InternalFailure", "could not write the record sets");
			goto fail;
		}
	}
	sqlite3_stmt *st =
		store_stmt(r->store, "UPDATE zones SET rrset_count=rrset_count+?1 WHERE id=?2");
	if (!st) {
		work_free(&w);
		r53_err(err, 500, "InternalFailure", "could not count the record sets");
		goto fail;
	}
	sqlite3_bind_int64(st, 1, delta);
	sqlite3_bind_text(st, 2, zone_id, -1, SQLITE_TRANSIENT);
	int src = sqlite3_step(st);
	sqlite3_reset(st);
	if (src != SQLITE_DONE || r53_change_insert(r, comment, "PENDING", ci, err) < 0) {
		work_free(&w);
		if (src != SQLITE_DONE)
			r53_err(err, 500, "InternalFailure", "could not count the record sets");
		goto fail;
	}
	if (store_commit(r->store) != 0) {
		work_free(&w);
		store_rollback(r->store);
		entries_free(&b);
		r53_err(err, 500, "InternalFailure", "could not commit the change");
		return -1;
	}
	entries_free(&b);

	/* Durable: now served. Only after every worker answers from it is it INSYNC. */
	/* One read transaction for every lookup of the publish: otherwise each statement takes
	   and drops SQLite's file locks (about 4,000 fcntl calls for a 1,000-record batch). */
	sqlite3_exec(store_sqlite(r->store), "BEGIN", NULL, NULL, NULL);
	int prc = publish_work(r, &w, err);
	sqlite3_exec(store_sqlite(r->store), "COMMIT", NULL, NULL, NULL);
	work_free(&w);
	if (prc < 0) {
		log_err("r53: change %s stored but not served: %s", ci->id,
			err->message ? err->message : "");
		r53_error_clear(err);
		return 0; /* durable; GetChange keeps saying PENDING */
	}
	r53_change_mark_insync(r, ci);
	return 0;

fail:
	store_rollback(r->store);
	entries_free(&b);
	return -1;
}

int r53_change_rrsets(struct r53 *r, const char *zone_id, const struct r53_change *changes,
		      size_t n, const char *comment, struct r53_change_info *ci,
		      struct r53_error *err)
{
	pthread_mutex_lock(&r->lock);
	int rc = change_rrsets_locked(r, r53_bare_id(zone_id), changes, n, comment ? comment : "",
				      ci, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* ListResourceRecordSets                                                                      */

int r53_list_rrsets(struct r53 *r, const char *zone_id, const char *start_name,
		    const char *start_type, const char *start_identifier, int max_items,
		    struct r53_rrset_list *out, struct r53_error *err)
{
	memset(out, 0, sizeof(*out));
	out->max_items = max_items > 0 ? max_items : 300;
	int limit = max_items > 0 && max_items < 300 ? max_items : 300;
	char sort[R53_NAME_MAX] = "", type[16] = "";
	const char *set_id = start_identifier ? start_identifier : "";
	bool has_name = start_name && start_name[0];
	bool has_type = start_type && start_type[0];
	if (has_type && !has_name) {
		r53_err(err, 400, "InvalidInput",
			"The input is not valid: a record type was given without a record name");
		return -1;
	}
	if (has_name) {
		char norm[R53_NAME_MAX], msg[R53_NAME_MAX + 128];
		uint8_t wire[DNS_NAME_MAXLEN];
		if (r53_name_normalize(start_name, norm, wire, msg, sizeof(msg)) < 0) {
			r53_err(err, 400, "InvalidInput", "%s", msg);
			return -1;
		}
		r53_name_sort_key(norm, sort);
	}
	if (has_type && type_parse(start_type, type) < 0) {
		r53_err(err, 400, "InvalidInput",
			"Invalid XML ; cvc-enumeration-valid: Value '%s' is not facet-valid with "
			"respect to enumeration '[SOA, A, TXT, NS, CNAME, MX, NAPTR, PTR, SRV, "
			"SPF, "
			"AAAA, CAA, DS, TLSA, SSHFP, SVCB, HTTPS]'. It must be a value from the "
			"enumeration.",
			start_type);
		return -1;
	}
	pthread_mutex_lock(&r->lock);
	const char *zid = r53_bare_id(zone_id);
	struct r53_zone *z = calloc(1, sizeof(*z));
	int ret = -1;
	if (!z) {
		r53_err(err, 500, "InternalFailure", "out of memory");
		goto out;
	}
	if (r53_zone_load(r, zid, z, err) < 0)
		goto out;
	/* (sort_name, type, set_id) ≥ the start: the primary key's order is Route 53's. */
	sqlite3_stmt *st = store_stmt(r->store, "SELECT body, set_id FROM rrsets WHERE zone_id=?1 "
						"AND (sort_name, type, set_id) >= (?2, ?3, ?4) "
						"ORDER BY sort_name, type, set_id LIMIT ?5");
	if (!st) {
		r53_err(err, 500, "InternalFailure", "could not read the record sets");
		goto out;
	}
	sqlite3_bind_text(st, 1, zid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, sort, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, type, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, has_type ? set_id : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 5, limit + 1);
	struct rowset rows = {0};
	if (read_bodies(st, &rows) < 0) {
		rowset_free(&rows);
		r53_err(err, 500, "InternalFailure", "could not read the record sets");
		goto out;
	}
	if (rows.n > (size_t)limit) {
		struct r53_rrset *next = &rows.v[limit];
		out->truncated = true;
		copy_str(out->next_name, sizeof(out->next_name), next->name);
		copy_str(out->next_type, sizeof(out->next_type), next->type);
		copy_str(out->next_identifier, sizeof(out->next_identifier), next->set_identifier);
		r53_rrset_free(next);
		rows.n = (size_t)limit;
	}
	out->rrsets = rows.v;
	out->n = rows.n;
	ret = 0;
out:
	free(z);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* ------------------------------------------------------------------------------------------ */
/* TestDNSAnswer                                                                               */

static pthread_key_t rcu_key;
static pthread_once_t rcu_once = PTHREAD_ONCE_INIT;

/* A thread this module registered leaves the RCU registry when it exits. */
static void rcu_thread_exit(void *p)
{
	(void)p;
	rcu_unregister_thread();
}

static void rcu_key_init(void)
{
	pthread_key_create(&rcu_key, rcu_thread_exit);
}

/* Makes the calling thread an online RCU reader; returns what to undo afterwards. */
static int reader_enter(void)
{
	if (rcu_read_ongoing())
		return 0; /* already online (a reader thread of its own): leave it so */
	if (!URCU_TLS(rcu_reader).registered) {
		pthread_once(&rcu_once, rcu_key_init);
		rcu_register_thread(); /* registers online */
		pthread_setspecific(rcu_key, (void *)1);
		return 1;
	}
	rcu_thread_online();
	return 1;
}

static void reader_leave(int entered)
{
	/*
	 * Offline, not unregistered: the next call is cheap, and an offline thread never delays
	 * a writer's synchronize_rcu (zone_db_sync).
	 */
	if (entered)
		rcu_thread_offline();
}

static const char *rcode_text(unsigned rc)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
					    "NXRRSET", "NOTAUTH", "NOTZONE"};
	return rc < sizeof(names) / sizeof(names[0]) ? names[rc] : "SERVFAIL";
}

/* Rdata from a response, with compressed names (RFC 3597 §4 types) expanded. */
static int rdata_expand(const uint8_t *msg, size_t len, size_t off, uint16_t rdlen, uint16_t type,
			uint8_t *out, size_t cap)
{
	size_t pos = off, o = 0;
	int names = 0, prefix = 0;
	switch (type) {
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
		names = 1;
		break;
	case DNS_T_MX:
		prefix = 2;
		names = 1;
		break;
	case DNS_T_SOA:
		names = 2;
		break;
	default:
		if (rdlen > cap)
			return -1;
		memcpy(out, msg + off, rdlen);
		return rdlen;
	}
	if ((size_t)prefix > rdlen || prefix > (int)cap)
		return -1;
	memcpy(out, msg + pos, (size_t)prefix);
	pos += (size_t)prefix;
	o += (size_t)prefix;
	for (int i = 0; i < names; i++) {
		uint8_t nm[DNS_NAME_MAXLEN];
		int l = dns_name_unpack(msg, len, &pos, nm);
		if (l < 0 || o + (size_t)l > cap)
			return -1;
		memcpy(out + o, nm, (size_t)l);
		o += (size_t)l;
	}
	size_t rest = off + rdlen > pos ? off + rdlen - pos : 0;
	if (o + rest > cap)
		return -1;
	memcpy(out + o, msg + pos, rest);
	return (int)(o + rest);
}

int r53_test_dns_answer(struct r53 *r, const char *zone_id, const char *record_name,
			const char *record_type, struct r53_test_answer *out, struct r53_error *err)
{
	memset(out, 0, sizeof(*out));
	char tname[16];
	int t = record_type ? dns_type_from_text(record_type) : -1;
	if (t < 0 || dns_type_is_meta((uint16_t)t)) {
		r53_err(err, 400, "InvalidInput", "Invalid record type: %s",
			record_type ? record_type : "");
		return -1;
	}
	pthread_mutex_lock(&r->lock);
	int ret = -1;
	uint8_t *q = NULL, *resp = NULL;
	struct r53_zone *z = calloc(1, sizeof(*z));
	if (!z) {
		r53_err(err, 500, "InternalFailure", "out of memory");
		goto out;
	}
	const char *zid = r53_bare_id(zone_id);
	if (r53_zone_load(r, zid, z, err) < 0)
		goto out;
	char norm[R53_NAME_MAX], zname[R53_NAME_MAX], msg[R53_NAME_MAX + 128];
	uint8_t qname[DNS_NAME_MAXLEN], origin[DNS_NAME_MAXLEN];
	if (r53_name_normalize(z->name, zname, origin, msg, sizeof(msg)) < 0 ||
	    r53_name_normalize(record_name ? record_name : "", norm, qname, msg, sizeof(msg)) < 0 ||
	    !dns_name_is_sub(qname, origin)) {
		r53_err(err, 400, "InvalidInput",
			"Record name '%s' is not valid for hosted zone: %s",
			record_name ? record_name : "", zname);
		goto out;
	}
	/* A plain query, as a resolver without EDNS sends it; answered as over TCP (whole). */
	size_t qlen = dns_name_len(qname);
	q = malloc(DNS_HEADER_SIZE + qlen + 4);
	resp = malloc(DNS_MSG_MAX);
	if (!q || !resp) {
		r53_err(err, 500, "InternalFailure", "out of memory");
		goto out;
	}
	memset(q, 0, DNS_HEADER_SIZE);
	q[0] = 0x53;
	q[1] = 0x35;
	q[5] = 1; /* QDCOUNT */
	memcpy(q + DNS_HEADER_SIZE, qname, qlen);
	uint8_t *p = q + DNS_HEADER_SIZE + qlen;
	p[0] = (uint8_t)(t >> 8);
	p[1] = (uint8_t)t;
	p[2] = 0;
	p[3] = DNS_CLASS_IN;
	int entered = reader_enter();
	size_t rlen = auth_answer(zone_db_get(r->db), q, DNS_HEADER_SIZE + qlen + 4, resp,
				  DNS_MSG_MAX, true);
	reader_leave(entered);
	if (rlen < DNS_HEADER_SIZE) {
		r53_err(err, 500, "InternalFailure", "no answer from the DNS engine");
		goto out;
	}
	copy_str(out->nameserver, sizeof(out->nameserver), r->ns[0]);
	copy_str(out->record_name, sizeof(out->record_name), norm);
	copy_str(out->record_type, sizeof(out->record_type),
		 dns_type_to_text((uint16_t)t, tname, sizeof(tname)));
	copy_str(out->response_code, sizeof(out->response_code), rcode_text(resp[3] & 0x0f));
	copy_str(out->protocol, sizeof(out->protocol), "UDP");
	unsigned qd = (unsigned)(resp[4] << 8 | resp[5]), an = (unsigned)(resp[6] << 8 | resp[7]);
	size_t pos = DNS_HEADER_SIZE;
	for (unsigned i = 0; i < qd; i++) {
		uint8_t nm[DNS_NAME_MAXLEN];
		if (dns_name_unpack(resp, rlen, &pos, nm) < 0 || pos + 4 > rlen)
			goto parsed;
		pos += 4;
	}
	if (an)
		out->record_data = calloc(an, sizeof(char *));
	for (unsigned i = 0; i < an && out->record_data; i++) {
		uint8_t nm[DNS_NAME_MAXLEN];
		if (dns_name_unpack(resp, rlen, &pos, nm) < 0 || pos + 10 > rlen)
			break;
		uint16_t rtype = (uint16_t)(resp[pos] << 8 | resp[pos + 1]);
		uint16_t rdlen = (uint16_t)(resp[pos + 8] << 8 | resp[pos + 9]);
		pos += 10;
		if (pos + rdlen > rlen)
			break;
		uint8_t rd[DNS_MSG_MAX];
		char text[R53_VALUE_MAX * 2];
		int l = rdata_expand(resp, rlen, pos, rdlen, rtype, rd, sizeof(rd));
		pos += rdlen;
		if (l < 0)
			continue;
		if (dns_rdata_to_text(rtype, rd, (size_t)l, text, sizeof(text)) < 0 &&
		    dns_rdata_to_generic(rd, (size_t)l, text, sizeof(text)) < 0)
			continue;
		out->record_data[out->nrecord_data] = strdup(text);
		if (out->record_data[out->nrecord_data])
			out->nrecord_data++;
	}
parsed:
	ret = 0;
out:
	free(q);
	free(resp);
	free(z);
	pthread_mutex_unlock(&r->lock);
	return ret;
}
