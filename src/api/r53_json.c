/*
 * api/r53_json.c - the JSON bodies of the rrsets table (struct r53_rrset in Route 53's stored
 * form; see R53_SCHEMA_V1).
 *
 * Every change reads and writes these bodies several times per record, and jansson's object
 * model (a hash table per object, a string per key) cost more than the SQL around it. So both
 * directions have a direct path for the bodies this file writes - compact, keys in one order,
 * strings of printable ASCII with only '"' and '\' escaped - and hand anything else to jansson:
 * the bytes written are the ones jansson writes, and whatever jansson reads is read the same.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/r53_internal.h"

/* Bounded copy: what snprintf(dst, size, "%s", src) leaves, without the format machinery. */
static void copy_bounded(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void rrset_init(struct r53_rrset *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->weight = -1;
	rs->ttl = -1;
}

/* ---- jansson, for everything ----------------------------------------------------------- */

static char *to_json_jansson(const struct r53_rrset *rs)
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

static void jcopy(char *dst, size_t size, const char *src)
{
	copy_bounded(dst, size, src, strlen(src));
}

static int from_json_jansson(const char *text, struct r53_rrset *rs)
{
	rrset_init(rs);
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return -1;
	}
	jcopy(rs->name, sizeof(rs->name), jstr(o, "name"));
	jcopy(rs->type, sizeof(rs->type), jstr(o, "type"));
	jcopy(rs->set_identifier, sizeof(rs->set_identifier), jstr(o, "set_identifier"));
	jcopy(rs->region, sizeof(rs->region), jstr(o, "region"));
	jcopy(rs->failover, sizeof(rs->failover), jstr(o, "failover"));
	jcopy(rs->health_check_id, sizeof(rs->health_check_id), jstr(o, "health_check_id"));
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
		jcopy(rs->alias.hosted_zone_id, sizeof(rs->alias.hosted_zone_id),
		      jstr(a, "hosted_zone_id"));
		jcopy(rs->alias.dns_name, sizeof(rs->alias.dns_name), jstr(a, "dns_name"));
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

/* ---- writing: the direct path ---------------------------------------------------------- */

struct out {
	char *p;
	size_t len, cap;
	bool fail; /* out of memory, or a string the direct path does not write */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->fail)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap * 2;
		while (cap < o->len + n + 1)
			cap *= 2;
		char *p = realloc(o->p, cap);
		if (!p) {
			o->fail = true;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

#define PUT_LIT(o, lit) put(o, lit, sizeof(lit) - 1)

/* A string as jansson writes it, when that is '"' and '\' escaped and nothing else. */
static void put_str(struct out *o, const char *s)
{
	PUT_LIT(o, "\"");
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f) {
			o->fail = true; /* control octets, DEL, UTF-8: jansson's rules */
			return;
		}
		if (c == '"' || c == '\\') {
			put(o, run, (size_t)(s - run));
			put(o, c == '"' ? "\\\"" : "\\\\", 2);
			run = s + 1;
		}
	}
	put(o, run, (size_t)(s - run));
	PUT_LIT(o, "\"");
}

static void put_int(struct out *o, int64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, (json_int_t)v);
	put(o, buf, (size_t)n);
}

static void put_bool(struct out *o, bool v)
{
	if (v)
		PUT_LIT(o, "true");
	else
		PUT_LIT(o, "false");
}

char *r53_rrset_to_json(const struct r53_rrset *rs)
{
	struct out o = {.cap = 256};
	o.p = malloc(o.cap);
	if (!o.p)
		return NULL;
	PUT_LIT(&o, "{\"name\":");
	put_str(&o, rs->name);
	PUT_LIT(&o, ",\"type\":");
	put_str(&o, rs->type);
	if (rs->set_identifier[0]) {
		PUT_LIT(&o, ",\"set_identifier\":");
		put_str(&o, rs->set_identifier);
	}
	if (rs->weight >= 0) {
		PUT_LIT(&o, ",\"weight\":");
		put_int(&o, rs->weight);
	}
	if (rs->region[0]) {
		PUT_LIT(&o, ",\"region\":");
		put_str(&o, rs->region);
	}
	if (rs->failover[0]) {
		PUT_LIT(&o, ",\"failover\":");
		put_str(&o, rs->failover);
	}
	if (rs->health_check_id[0]) {
		PUT_LIT(&o, ",\"health_check_id\":");
		put_str(&o, rs->health_check_id);
	}
	if (rs->multivalue) {
		PUT_LIT(&o, ",\"multivalue_answer\":");
		put_bool(&o, rs->multivalue_answer);
	}
	if (rs->ttl >= 0) {
		PUT_LIT(&o, ",\"ttl\":");
		put_int(&o, rs->ttl);
	}
	if (!rs->has_alias) {
		PUT_LIT(&o, ",\"values\":[");
		for (size_t i = 0; i < rs->nvalues; i++) {
			if (i)
				PUT_LIT(&o, ",");
			put_str(&o, rs->values[i]);
		}
		PUT_LIT(&o, "]}");
	} else {
		PUT_LIT(&o, ",\"alias\":{\"hosted_zone_id\":");
		put_str(&o, rs->alias.hosted_zone_id);
		PUT_LIT(&o, ",\"dns_name\":");
		put_str(&o, rs->alias.dns_name);
		PUT_LIT(&o, ",\"evaluate_target_health\":");
		put_bool(&o, rs->alias.evaluate_target_health);
		PUT_LIT(&o, "}}");
	}
	if (o.fail) {
		free(o.p);
		return to_json_jansson(rs);
	}
	o.p[o.len] = '\0';
	return o.p;
}

/* ---- reading: the direct path ---------------------------------------------------------- */

/*
 * A cursor over a body; `bad` is sticky: once set, the body is left to jansson, so no check
 * below needs to undo anything but the values array it allocated.
 */
struct in {
	const char *p;
	bool bad;
};

static bool lit(struct in *c, const char *s, size_t n)
{
	if (c->bad || strncmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

#define LIT(c, s) lit(c, s, sizeof(s) - 1)

static void expect(struct in *c, char ch)
{
	if (!c->bad && *c->p == ch)
		c->p++;
	else
		c->bad = true;
}

/*
 * A string of printable ASCII whose only escapes are \" and \\ (what put_str writes), its
 * decoded length in *len. With dst, the first size - 1 octets go there, NUL-terminated.
 */
static void get_str(struct in *c, char *dst, size_t size, size_t *len)
{
	expect(c, '"');
	size_t n = 0;
	while (!c->bad && *c->p != '"') {
		unsigned char ch = (unsigned char)*c->p;
		size_t step = 1;
		if (ch == '\\') {
			ch = (unsigned char)c->p[1];
			step = 2;
			if (ch != '"' && ch != '\\')
				c->bad = true;
		}
		if (ch < 0x20 || ch >= 0x7f)
			c->bad = true; /* also the end of the text: an unterminated string */
		if (c->bad)
			break;
		if (dst && n + 1 < size)
			dst[n] = (char)ch;
		c->p += step;
		n++;
	}
	expect(c, '"');
	if (dst && size)
		dst[n < size ? n : size - 1] = '\0';
	*len = n;
}

static void get_field(struct in *c, char *dst, size_t size)
{
	size_t len;
	get_str(c, dst, size, &len);
}

/* A malloc'd copy of a string (two passes: length, then the octets). */
static char *get_dup(struct in *c)
{
	struct in probe = *c;
	size_t len;
	get_str(&probe, NULL, 0, &len);
	if (probe.bad) {
		c->bad = true;
		return NULL;
	}
	char *s = malloc(len + 1);
	if (!s) {
		c->bad = true;
		return NULL;
	}
	get_str(c, s, len + 1, &len);
	return s;
}

/* An integer as jansson reads one: no leading zeros, no fraction or exponent, in range. */
static int64_t get_int(struct in *c)
{
	if (c->bad)
		return 0;
	bool neg = *c->p == '-';
	const char *d = c->p + neg;
	size_t n = 0;
	int64_t v = 0;
	while (d[n] >= '0' && d[n] <= '9' && n < 18)
		v = v * 10 + (d[n++] - '0');
	if (n == 0 || (d[0] == '0' && n > 1) || (d[n] >= '0' && d[n] <= '9') || d[n] == '.' ||
	    d[n] == 'e' || d[n] == 'E') {
		c->bad = true;
		return 0;
	}
	c->p = d + n;
	return neg ? -v : v;
}

static bool get_bool(struct in *c)
{
	if (LIT(c, "true"))
		return true;
	if (!LIT(c, "false"))
		c->bad = true;
	return false;
}

static void get_values(struct in *c, struct r53_rrset *rs)
{
	expect(c, '[');
	if (!c->bad && *c->p == ']') {
		c->p++;
		return;
	}
	size_t cap = 0;
	while (!c->bad) {
		if (rs->nvalues == cap) {
			cap = cap ? cap * 2 : 4;
			char **v = realloc(rs->values, cap * sizeof(char *));
			if (!v) {
				c->bad = true;
				break;
			}
			rs->values = v;
		}
		char *s = get_dup(c);
		if (!s)
			break;
		rs->values[rs->nvalues++] = s;
		if (*c->p != ',')
			break;
		c->p++;
	}
	expect(c, ']');
}

static void get_alias(struct in *c, struct r53_alias *a)
{
	if (!LIT(c, "{\"hosted_zone_id\":"))
		c->bad = true;
	get_field(c, a->hosted_zone_id, sizeof(a->hosted_zone_id));
	if (!LIT(c, ",\"dns_name\":"))
		c->bad = true;
	get_field(c, a->dns_name, sizeof(a->dns_name));
	if (!LIT(c, ",\"evaluate_target_health\":"))
		c->bad = true;
	a->evaluate_target_health = get_bool(c);
	expect(c, '}');
}

/* The members in the order r53_rrset_to_json writes them; each optional but "name", "type". */
static void get_body(struct in *c, struct r53_rrset *rs)
{
	if (!LIT(c, "{\"name\":"))
		c->bad = true;
	get_field(c, rs->name, sizeof(rs->name));
	if (!LIT(c, ",\"type\":"))
		c->bad = true;
	get_field(c, rs->type, sizeof(rs->type));
	if (LIT(c, ",\"set_identifier\":"))
		get_field(c, rs->set_identifier, sizeof(rs->set_identifier));
	if (LIT(c, ",\"weight\":"))
		rs->weight = get_int(c);
	if (LIT(c, ",\"region\":"))
		get_field(c, rs->region, sizeof(rs->region));
	if (LIT(c, ",\"failover\":"))
		get_field(c, rs->failover, sizeof(rs->failover));
	if (LIT(c, ",\"health_check_id\":"))
		get_field(c, rs->health_check_id, sizeof(rs->health_check_id));
	if (LIT(c, ",\"multivalue_answer\":")) {
		rs->multivalue = true;
		rs->multivalue_answer = get_bool(c);
	}
	if (LIT(c, ",\"ttl\":"))
		rs->ttl = get_int(c);
	if (LIT(c, ",\"values\":")) {
		get_values(c, rs);
	} else if (LIT(c, ",\"alias\":")) {
		rs->has_alias = true;
		get_alias(c, &rs->alias);
	}
	expect(c, '}');
	if (!c->bad && *c->p != '\0')
		c->bad = true; /* more members, or text after the object */
}

int r53_rrset_from_json(const char *text, struct r53_rrset *rs)
{
	rrset_init(rs);
	struct in c = {.p = text};
	get_body(&c, rs);
	if (!c.bad)
		return 0;
	r53_rrset_free(rs);
	return from_json_jansson(text, rs);
}
