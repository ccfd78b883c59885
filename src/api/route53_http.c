/*
 * api/route53_http.c - the Route 53 REST/XML dispatcher: SigV4 first, then routing over every
 * operation of botocore's model, request validation in Route 53's words, the engine call, and
 * the response document in model member order (../shared/reference/route53-api.md §0, §2).
 */
#include "api/route53_http.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "api/xml.h"
#include "base/log.h"

#define NS            "https://route53.amazonaws.com/doc/2013-04-01/"
#define VERSION_PATH  "/2013-04-01"
#define MAX_SEGMENTS  8
#define MAX_PATH      4096
#define DEFAULT_DEPTH 10
/*
 * Route 53 counts at most 1,000 ResourceRecord elements per batch and every valid change holds
 * at least one (an alias counts as one), so more changes than that can never be accepted. The
 * check comes before the changes are converted, so a body of many tiny <Change/> elements
 * cannot make us allocate a record-set struct for each.
 */
#define MAX_CHANGES   1000

/*
 * Operations the model has and signpost does not implement yet (health checks, traffic
 * policies, query logging, VPC associations, DNSSEC signing, CIDR collections, ...):
 * route53-api.md §1 recommends answering them with InvalidInput / "not supported". InvalidInput
 * is a modeled error of nearly every operation, so SDKs raise their usual exception class,
 * and 400 is not retried.
 */
#define UNSUPPORTED_STATUS 400
#define UNSUPPORTED_CODE   "InvalidInput"

struct route {
	const char *method;
	const char *uri; /* botocore's requestUri: literal segments and {Name} variables */
	const char *op;
	int status; /* on success */
};

/* BEGIN GENERATED ROUTES (scripts/gen-route53-routes.py; do not edit) */
/* clang-format off */
/* botocore 1.43.11: 71 operations, sorted by URI. */
static const struct route ROUTES[] = {
	{"GET", "/2013-04-01/accountlimit/{Type}", "GetAccountLimit", 200},
	{"GET", "/2013-04-01/change/{Id}", "GetChange", 200},
	{"GET", "/2013-04-01/checkeripranges", "GetCheckerIpRanges", 200},
	{"GET", "/2013-04-01/cidrcollection", "ListCidrCollections", 200},
	{"POST", "/2013-04-01/cidrcollection", "CreateCidrCollection", 201},
	{"DELETE", "/2013-04-01/cidrcollection/{CidrCollectionId}", "DeleteCidrCollection", 200},
	{"GET", "/2013-04-01/cidrcollection/{CidrCollectionId}", "ListCidrLocations", 200},
	{"POST", "/2013-04-01/cidrcollection/{CidrCollectionId}", "ChangeCidrCollection", 200},
	{"GET", "/2013-04-01/cidrcollection/{CidrCollectionId}/cidrblocks", "ListCidrBlocks", 200},
	{"GET", "/2013-04-01/delegationset", "ListReusableDelegationSets", 200},
	{"POST", "/2013-04-01/delegationset", "CreateReusableDelegationSet", 201},
	{"DELETE", "/2013-04-01/delegationset/{Id}", "DeleteReusableDelegationSet", 200},
	{"GET", "/2013-04-01/delegationset/{Id}", "GetReusableDelegationSet", 200},
	{"GET", "/2013-04-01/geolocation", "GetGeoLocation", 200},
	{"GET", "/2013-04-01/geolocations", "ListGeoLocations", 200},
	{"GET", "/2013-04-01/healthcheck", "ListHealthChecks", 200},
	{"POST", "/2013-04-01/healthcheck", "CreateHealthCheck", 201},
	{"DELETE", "/2013-04-01/healthcheck/{HealthCheckId}", "DeleteHealthCheck", 200},
	{"GET", "/2013-04-01/healthcheck/{HealthCheckId}", "GetHealthCheck", 200},
	{"POST", "/2013-04-01/healthcheck/{HealthCheckId}", "UpdateHealthCheck", 200},
	{"GET", "/2013-04-01/healthcheck/{HealthCheckId}/lastfailurereason", "GetHealthCheckLastFailureReason", 200},
	{"GET", "/2013-04-01/healthcheck/{HealthCheckId}/status", "GetHealthCheckStatus", 200},
	{"GET", "/2013-04-01/healthcheckcount", "GetHealthCheckCount", 200},
	{"GET", "/2013-04-01/hostedzone", "ListHostedZones", 200},
	{"POST", "/2013-04-01/hostedzone", "CreateHostedZone", 201},
	{"DELETE", "/2013-04-01/hostedzone/{Id}", "DeleteHostedZone", 200},
	{"GET", "/2013-04-01/hostedzone/{Id}", "GetHostedZone", 200},
	{"POST", "/2013-04-01/hostedzone/{Id}", "UpdateHostedZoneComment", 200},
	{"POST", "/2013-04-01/hostedzone/{Id}/associatevpc", "AssociateVPCWithHostedZone", 200},
	{"GET", "/2013-04-01/hostedzone/{Id}/authorizevpcassociation", "ListVPCAssociationAuthorizations", 200},
	{"POST", "/2013-04-01/hostedzone/{Id}/authorizevpcassociation", "CreateVPCAssociationAuthorization", 200},
	{"POST", "/2013-04-01/hostedzone/{Id}/deauthorizevpcassociation", "DeleteVPCAssociationAuthorization", 200},
	{"POST", "/2013-04-01/hostedzone/{Id}/disable-dnssec", "DisableHostedZoneDNSSEC", 200},
	{"POST", "/2013-04-01/hostedzone/{Id}/disassociatevpc", "DisassociateVPCFromHostedZone", 200},
	{"GET", "/2013-04-01/hostedzone/{Id}/dnssec", "GetDNSSEC", 200},
	{"POST", "/2013-04-01/hostedzone/{Id}/enable-dnssec", "EnableHostedZoneDNSSEC", 200},
	{"POST", "/2013-04-01/hostedzone/{Id}/features", "UpdateHostedZoneFeatures", 200},
	{"GET", "/2013-04-01/hostedzone/{Id}/rrset", "ListResourceRecordSets", 200},
	{"POST", "/2013-04-01/hostedzone/{Id}/rrset/", "ChangeResourceRecordSets", 200},
	{"GET", "/2013-04-01/hostedzonecount", "GetHostedZoneCount", 200},
	{"GET", "/2013-04-01/hostedzonelimit/{Id}/{Type}", "GetHostedZoneLimit", 200},
	{"GET", "/2013-04-01/hostedzonesbyname", "ListHostedZonesByName", 200},
	{"GET", "/2013-04-01/hostedzonesbyvpc", "ListHostedZonesByVPC", 200},
	{"POST", "/2013-04-01/keysigningkey", "CreateKeySigningKey", 201},
	{"DELETE", "/2013-04-01/keysigningkey/{HostedZoneId}/{Name}", "DeleteKeySigningKey", 200},
	{"POST", "/2013-04-01/keysigningkey/{HostedZoneId}/{Name}/activate", "ActivateKeySigningKey", 200},
	{"POST", "/2013-04-01/keysigningkey/{HostedZoneId}/{Name}/deactivate", "DeactivateKeySigningKey", 200},
	{"GET", "/2013-04-01/queryloggingconfig", "ListQueryLoggingConfigs", 200},
	{"POST", "/2013-04-01/queryloggingconfig", "CreateQueryLoggingConfig", 201},
	{"DELETE", "/2013-04-01/queryloggingconfig/{Id}", "DeleteQueryLoggingConfig", 200},
	{"GET", "/2013-04-01/queryloggingconfig/{Id}", "GetQueryLoggingConfig", 200},
	{"GET", "/2013-04-01/reusabledelegationsetlimit/{Id}/{Type}", "GetReusableDelegationSetLimit", 200},
	{"POST", "/2013-04-01/tags/{ResourceType}", "ListTagsForResources", 200},
	{"GET", "/2013-04-01/tags/{ResourceType}/{ResourceId}", "ListTagsForResource", 200},
	{"POST", "/2013-04-01/tags/{ResourceType}/{ResourceId}", "ChangeTagsForResource", 200},
	{"GET", "/2013-04-01/testdnsanswer", "TestDNSAnswer", 200},
	{"GET", "/2013-04-01/trafficpolicies", "ListTrafficPolicies", 200},
	{"GET", "/2013-04-01/trafficpolicies/{Id}/versions", "ListTrafficPolicyVersions", 200},
	{"POST", "/2013-04-01/trafficpolicy", "CreateTrafficPolicy", 201},
	{"POST", "/2013-04-01/trafficpolicy/{Id}", "CreateTrafficPolicyVersion", 201},
	{"DELETE", "/2013-04-01/trafficpolicy/{Id}/{Version}", "DeleteTrafficPolicy", 200},
	{"GET", "/2013-04-01/trafficpolicy/{Id}/{Version}", "GetTrafficPolicy", 200},
	{"POST", "/2013-04-01/trafficpolicy/{Id}/{Version}", "UpdateTrafficPolicyComment", 200},
	{"POST", "/2013-04-01/trafficpolicyinstance", "CreateTrafficPolicyInstance", 201},
	{"DELETE", "/2013-04-01/trafficpolicyinstance/{Id}", "DeleteTrafficPolicyInstance", 200},
	{"GET", "/2013-04-01/trafficpolicyinstance/{Id}", "GetTrafficPolicyInstance", 200},
	{"POST", "/2013-04-01/trafficpolicyinstance/{Id}", "UpdateTrafficPolicyInstance", 200},
	{"GET", "/2013-04-01/trafficpolicyinstancecount", "GetTrafficPolicyInstanceCount", 200},
	{"GET", "/2013-04-01/trafficpolicyinstances", "ListTrafficPolicyInstances", 200},
	{"GET", "/2013-04-01/trafficpolicyinstances/hostedzone", "ListTrafficPolicyInstancesByHostedZone", 200},
	{"GET", "/2013-04-01/trafficpolicyinstances/trafficpolicy", "ListTrafficPolicyInstancesByPolicy", 200},
};
/* clang-format on */
/* END GENERATED ROUTES */

#define NROUTES (sizeof(ROUTES) / sizeof(ROUTES[0]))

struct route53_http {
	struct r53 *engine;
	struct sigv4_key *keys;
	size_t nkeys;
	char *key_storage; /* the copied key strings */
	unsigned max_depth;
	/* Throttling: one token bucket per access key. */
	double rate, burst;
	pthread_mutex_t lock;
	double *tokens;
	struct timespec *last;
	struct route53_http_stats stats;
};

/* One request being answered. */
struct call {
	struct route53_http *h;
	const struct http_request *req;
	struct http_response *resp;
	const struct route *route;
	char rid[37];
	char path[MAX_PATH]; /* the raw path, its segments decoded in place */
	const char *seg[MAX_SEGMENTS];
	size_t nseg;
	const char *var[4]; /* the {Name} segments of the route, in order */
	size_t nvar;
	struct xml_doc *doc;
	bool failed; /* an error document has been written */
};

typedef void (*op_fn)(struct call *c);

static void count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* ---- responses ---- */

static void request_id(char out[37])
{
	uint8_t b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* Only a request id: uniqueness per process is enough when the kernel says no. */
		static uint64_t seq;
		uint64_t n = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
		uint64_t t = (uint64_t)time(NULL);
		memcpy(b, &t, 8);
		memcpy(b + 8, &n, 8);
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static void set_body(struct call *c, int status, struct xml_out *o)
{
	free(c->resp->body);
	c->resp->status = status;
	c->resp->content_type = "text/xml";
	c->resp->body = o->buf;
	c->resp->body_len = o->len;
	o->buf = NULL;
}

/* Writes AWS's error document (route53-api.md §0.1); Type is Sender for 4xx, Receiver for 5xx. */
static void fail(struct call *c, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail(struct call *c, int status, const char *code, const char *fmt, ...)
{
	char small[512];
	char *msg = small;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(small) && (msg = malloc((size_t)n + 1)) != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
		va_end(ap);
	} else if (n < 0 || msg == NULL) {
		msg = small;
		small[0] = '\0';
	}
	struct xml_out o;
	xml_begin(&o, "ErrorResponse", NS);
	xml_open(&o, "Error");
	xml_elem(&o, "Type", status >= 500 ? "Receiver" : "Sender");
	xml_elem(&o, "Code", code);
	xml_elem(&o, "Message", msg);
	xml_close(&o, "Error");
	xml_elem(&o, "RequestId", c->rid);
	xml_end(&o, "ErrorResponse");
	if (msg != small)
		free(msg);
	if (o.err) {
		free(o.buf);
		o.buf = NULL;
		o.len = 0;
	}
	set_body(c, status, &o);
	c->failed = true;
	log_debug("api %s: %s %s: %d %s", c->rid, c->req->method, c->req->path, status, code);
}

/* An engine error as Route 53 words it; the message is the engine's. */
static void fail_engine(struct call *c, struct r53_error *e)
{
	int status = e->status >= 400 && e->status <= 599 ? e->status : 500;
	const char *code = e->code[0] ? e->code : "InternalFailure";
	fail(c, status, code, "%s", e->message ? e->message : "");
	r53_error_clear(e);
}

static void begin(struct xml_out *o, const char *root)
{
	xml_begin(o, root, NS);
}

static void finish(struct call *c, struct xml_out *o, const char *root)
{
	xml_end(o, root);
	if (o->err) {
		free(o->buf);
		fail(c, 500, "InternalFailure", "out of memory writing the response");
		return;
	}
	set_body(c, c->route->status, o);
}

/* An output shape without members: an empty root element (route53-api.md §0). */
static void empty_response(struct call *c, const char *root)
{
	struct xml_out o;
	begin(&o, root);
	finish(c, &o, root);
}

static void location(struct call *c, const char *kind, const char *id)
{
	const char *host = http_header(c->req, "host");
	char url[512];
	snprintf(url, sizeof(url), "http://%s" VERSION_PATH "/%s/%s",
		 host && host[0] ? host : "localhost", kind, id);
	http_response_header(c->resp, "Location", url);
}

/* ---- request validation, in Route 53's (Xerces' and Coral's) words ---- */

/* Characters, as the schema counts length (UTF-8 sequences, not bytes). */
static size_t char_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* "1 validation error detected: ..." is how Route 53 refuses URI and query members. */
static void fail_member(struct call *c, const char *value, const char *member, const char *why)
{
	if (value)
		fail(c, 400, "InvalidInput",
		     "1 validation error detected: Value '%s' at '%s' failed to satisfy "
		     "constraint: "
		     "Member must %s",
		     value, member, why);
	else
		fail(c, 400, "InvalidInput",
		     "1 validation error detected: Value null at '%s' failed to satisfy "
		     "constraint: "
		     "Member must not be null",
		     member);
}

static bool check_len(struct call *c, const char *value, const char *member, size_t min, size_t max)
{
	size_t n = char_len(value);
	char why[96];
	if (n > max) {
		snprintf(why, sizeof(why), "have length less than or equal to %zu", max);
		fail_member(c, value, member, why);
		return false;
	}
	if (n < min) {
		snprintf(why, sizeof(why), "have length greater than or equal to %zu", min);
		fail_member(c, value, member, why);
		return false;
	}
	return true;
}

/* Comma-separated enum values; "[a, b]" as the messages print them. */
static bool in_enum(const char *value, const char *values)
{
	size_t n = strlen(value);
	for (const char *p = values; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && memcmp(p, value, n) == 0)
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

static void enum_list(const char *values, char *out, size_t outlen)
{
	size_t used = 0;
	used += (size_t)snprintf(out, outlen, "[");
	for (const char *p = values; *p && used < outlen;) {
		const char *e = strchr(p, ',');
		int len = e ? (int)(e - p) : (int)strlen(p);
		used += (size_t)snprintf(out + used, outlen - used, "%s%.*s",
					 p == values ? "" : ", ", len, p);
		if (!e)
			break;
		p = e + 1;
	}
	if (used < outlen)
		snprintf(out + used, outlen - used, "]");
}

static const char RR_TYPES[] =
	"SOA,A,TXT,NS,CNAME,MX,NAPTR,PTR,SRV,SPF,AAAA,CAA,DS,TLSA,SSHFP,SVCB,"
	"HTTPS";
static const char TAG_RESOURCE_TYPES[] = "healthcheck,hostedzone";

static bool check_enum_member(struct call *c, const char *value, const char *member,
			      const char *values)
{
	if (in_enum(value, values))
		return true;
	char list[512], why[600];
	enum_list(values, list, sizeof(list));
	snprintf(why, sizeof(why), "satisfy enum value set: %s", list);
	fail_member(c, value, member, why);
	return false;
}

/* A URI id, with or without its "/hostedzone/"-style prefix (route53-api.md §0, IDs). */
static const char *bare_id(const char *id)
{
	static const char *const prefixes[] = {"/hostedzone/", "/change/", "/delegationset/"};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);
		if (strncmp(id, prefixes[i], n) == 0)
			return id + n;
	}
	return id;
}

/* A ResourceId from the URI: bare, at most 32 characters (the model's ResourceId). */
static const char *uri_id(struct call *c, size_t var, const char *member)
{
	const char *id = bare_id(c->var[var]);
	if (!check_len(c, id, member, 1, 32))
		return NULL;
	return id;
}

/*
 * MaxItems (a string shape): default when absent, clamped to max (Route 53 returns at most
 * that many and echoes what was asked). *echo gets the text to send back.
 */
static bool max_items(struct call *c, int def, int max, int *out, char echo[24])
{
	const char *s = http_param(c->req, "maxitems");
	if (!s) {
		*out = def;
		snprintf(echo, 24, "%d", def);
		return true;
	}
	char *end;
	long v = strtol(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || v < 1 || v > INT_MAX) {
		fail(c, 400, "InvalidInput",
		     "1 validation error detected: Value '%s' at 'maxItems' failed to satisfy "
		     "constraint: Member must be a positive integer",
		     s);
		return false;
	}
	*out = v > max ? max : (int)v;
	snprintf(echo, 24, "%ld", v);
	return true;
}

/* Body parsing: Xerces' messages, as Route 53 forwards them after "Invalid XML ; ". */

static void expected_list(const char *spec, char *out, size_t outlen)
{
	size_t used = 0;
	out[0] = '\0';
	for (const char *p = spec; *p && used < outlen;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, "!?+* ");
		if (n == 0)
			break;
		used += (size_t)snprintf(out + used, outlen - used, "%s\"" NS "\":%.*s",
					 used ? ", " : "", (int)n, p);
		p += n;
		while (*p && *p != ' ')
			p++;
	}
}

/*
 * Checks the child elements of n against spec: space-separated member names, each followed
 * by '!' (required, once), '?' (optional, once), '+' (one or more) or '*' (any number), and
 * for lists an optional maximum ("Tag+10"). Members may come in any order (route53-api.md §0
 * asks not to rely on it); unknown, repeated or missing members are refused as Xerces would.
 */
static bool check_shape(struct call *c, const struct xml_node *n, const char *spec)
{
	struct {
		const char *name;
		size_t len;
		char kind;
		unsigned max, seen;
	} m[20];
	size_t nm = 0;
	for (const char *p = spec; *p && nm < 20;) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, "!?+* ");
		if (len == 0)
			break;
		m[nm].name = p;
		m[nm].len = len;
		m[nm].kind = p[len];
		p += len + 1;
		m[nm].max = m[nm].kind == '!' || m[nm].kind == '?' ? 1 : UINT_MAX;
		if (*p >= '0' && *p <= '9')
			m[nm].max = (unsigned)strtoul(p, (char **)&p, 10);
		m[nm].seen = 0;
		nm++;
	}
	char expected[2048];
	for (const struct xml_node *k = xml_child(n, NULL); k; k = xml_next(k, NULL)) {
		const char *name = xml_name(k);
		size_t i;
		for (i = 0; i < nm; i++)
			if (strlen(name) == m[i].len && memcmp(name, m[i].name, m[i].len) == 0)
				break;
		if (i == nm) {
			expected_list(spec, expected, sizeof(expected));
			fail(c, 400, "InvalidInput",
			     "Invalid XML ; cvc-complex-type.2.4.a: Invalid content was found "
			     "starting with element '%s'. One of '{%s}' is expected.",
			     name, expected);
			return false;
		}
		if (++m[i].seen > m[i].max) {
			fail(c, 400, "InvalidInput",
			     "Invalid XML ; cvc-complex-type.2.4.d: Invalid content was found "
			     "starting with element '%s'. No child element is expected at this "
			     "point.",
			     name);
			return false;
		}
	}
	for (size_t i = 0; i < nm; i++) {
		if ((m[i].kind == '!' || m[i].kind == '+') && m[i].seen == 0) {
			fail(c, 400, "InvalidInput",
			     "Invalid XML ; cvc-complex-type.2.4.b: The content of element '%s' is "
			     "not complete. One of '{\"" NS "\":%.*s}' is expected.",
			     xml_name(n), (int)m[i].len, m[i].name);
			return false;
		}
	}
	return true;
}

/* The text of a simple-typed element (which may not contain elements). */
static const char *leaf_text(struct call *c, const struct xml_node *n)
{
	if (xml_child(n, NULL)) {
		fail(c, 400, "InvalidInput",
		     "Invalid XML ; cvc-type.3.1.2: Element '%s' is a simple type, so it must have "
		     "no element information item [children].",
		     xml_name(n));
		return NULL;
	}
	const char *t = xml_text(n);
	if (!t)
		fail(c, 500, "InternalFailure", "out of memory reading the request");
	return t;
}

/*
 * A string member of n into out (outlen bytes), length-checked as the schema's type does.
 * Returns false after failing; *present says whether the member was there (NULL: required,
 * which check_shape has already made sure of).
 */
static bool get_str(struct call *c, const struct xml_node *n, const char *name, const char *type,
		    size_t min, size_t max, char *out, size_t outlen, bool *present)
{
	const struct xml_node *k = xml_child(n, name);
	if (present)
		*present = k != NULL;
	if (!k) {
		if (outlen)
			out[0] = '\0';
		return true;
	}
	const char *t = leaf_text(c, k);
	if (!t)
		return false;
	size_t len = char_len(t);
	if (len > max || strlen(t) >= outlen) {
		fail(c, 400, "InvalidInput",
		     "Invalid XML ; cvc-maxLength-valid: Value '%s' with length = '%zu' is not "
		     "facet-valid with respect to maxLength '%zu' for type '%s'.",
		     t, len, max, type);
		return false;
	}
	if (len < min) {
		fail(c, 400, "InvalidInput",
		     "Invalid XML ; cvc-minLength-valid: Value '%s' with length = '%zu' is not "
		     "facet-valid with respect to minLength '%zu' for type '%s'.",
		     t, len, min, type);
		return false;
	}
	memcpy(out, t, strlen(t) + 1);
	return true;
}

static bool get_enum(struct call *c, const struct xml_node *n, const char *name, const char *values,
		     char *out, size_t outlen, bool *present)
{
	const struct xml_node *k = xml_child(n, name);
	if (present)
		*present = k != NULL;
	out[0] = '\0';
	if (!k)
		return true;
	const char *t = leaf_text(c, k);
	if (!t)
		return false;
	if (!in_enum(t, values) || strlen(t) >= outlen) {
		char list[1024];
		enum_list(values, list, sizeof(list));
		fail(c, 400, "InvalidInput",
		     "Invalid XML ; cvc-enumeration-valid: Value '%s' is not facet-valid with "
		     "respect to enumeration '%s'. It must be a value from the enumeration.",
		     t, list);
		return false;
	}
	memcpy(out, t, strlen(t) + 1);
	return true;
}

/* XML Schema collapses white space around numbers and booleans. */
static void trimmed(const char *t, char *out, size_t outlen)
{
	while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
		t++;
	size_t n = strlen(t);
	while (n && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\n' || t[n - 1] == '\r'))
		n--;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, t, n);
	out[n] = '\0';
}

static bool get_long(struct call *c, const struct xml_node *n, const char *name, const char *type,
		     long long min, long long max, int64_t *out, bool *present)
{
	const struct xml_node *k = xml_child(n, name);
	*present = k != NULL;
	if (!k)
		return true;
	const char *t = leaf_text(c, k);
	if (!t)
		return false;
	char v[32];
	trimmed(t, v, sizeof(v));
	char *end;
	const char *digits = v[0] == '+' || v[0] == '-' ? v + 1 : v;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (digits[0] < '0' || digits[0] > '9' || *end || errno || strlen(t) > 30) {
		fail(c, 400, "InvalidInput",
		     "Invalid XML ; cvc-datatype-valid.1.2.1: '%s' is not a valid value for "
		     "'integer'.",
		     t);
		return false;
	}
	if (x > max) {
		fail(c, 400, "InvalidInput",
		     "Invalid XML ; cvc-maxInclusive-valid: Value '%s' is not facet-valid with "
		     "respect to maxInclusive '%lld' for type '%s'.",
		     v, max, type);
		return false;
	}
	if (x < min) {
		fail(c, 400, "InvalidInput",
		     "Invalid XML ; cvc-minInclusive-valid: Value '%s' is not facet-valid with "
		     "respect to minInclusive '%lld' for type '%s'.",
		     v, min, type);
		return false;
	}
	*out = x;
	return true;
}

static bool get_bool(struct call *c, const struct xml_node *n, const char *name, bool *out,
		     bool *present)
{
	const struct xml_node *k = xml_child(n, name);
	if (present)
		*present = k != NULL;
	if (!k)
		return true;
	const char *t = leaf_text(c, k);
	if (!t)
		return false;
	char v[8];
	trimmed(t, v, sizeof(v));
	if (strlen(t) < 8 && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)) {
		*out = true;
	} else if (strlen(t) < 8 && (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)) {
		*out = false;
	} else {
		fail(c, 400, "InvalidInput",
		     "Invalid XML ; cvc-datatype-valid.1.2.1: '%s' is not a valid value for "
		     "'boolean'.",
		     t);
		return false;
	}
	return true;
}

/*
 * Parses the body (only ever after SigV4 accepted the request) and checks its root element.
 * Returns the root, or NULL after failing.
 */
static const struct xml_node *body_root(struct call *c, const char *root)
{
	char err[512];
	const char *body = (const char *)c->req->body;
	size_t len = c->req->body_len;
	char empty[80];
	if (len == 0) {
		/*
		 * botocore sends no body at all when every member is absent
		 * (UpdateHostedZoneComment without a Comment): that is an empty request element,
		 * whose required members (if any) are then reported missing.
		 */
		len = (size_t)snprintf(empty, sizeof(empty), "<%s/>", root);
		body = empty;
	}
	count(&c->h->stats.bodies_parsed);
	c->doc = xml_parse(body, len, c->h->max_depth, err, sizeof(err));
	if (!c->doc) {
		fail(c, 400, "InvalidInput", "%s", err);
		return NULL;
	}
	const struct xml_node *r = xml_root(c->doc);
	if (!r || strcmp(xml_name(r), root) != 0) {
		fail(c, 400, "InvalidInput",
		     "Invalid XML ; cvc-elt.1.a: Cannot find the declaration of element '%s'.",
		     r ? xml_name(r) : "");
		return NULL;
	}
	return r;
}

/* ---- response pieces, each in model member order ---- */

static void put_change_info(struct xml_out *o, const struct r53_change_info *ci)
{
	xml_open(o, "ChangeInfo");
	xml_elemf(o, "Id", "/change/%s", bare_id(ci->id));
	xml_elem(o, "Status", ci->status);
	xml_elem(o, "SubmittedAt", ci->submitted_at);
	if (ci->comment[0])
		xml_elem(o, "Comment", ci->comment);
	xml_close(o, "ChangeInfo");
}

static void put_zone(struct xml_out *o, const struct r53_zone *z)
{
	xml_open(o, "HostedZone");
	xml_elemf(o, "Id", "/hostedzone/%s", bare_id(z->id));
	xml_elem(o, "Name", z->name);
	xml_elem(o, "CallerReference", z->caller_reference);
	xml_open(o, "Config");
	if (z->has_comment)
		xml_elem(o, "Comment", z->comment);
	xml_elem(o, "PrivateZone", z->private_zone ? "true" : "false");
	xml_close(o, "Config");
	xml_elemf(o, "ResourceRecordSetCount", "%" PRIu64, z->rrset_count);
	xml_close(o, "HostedZone");
}

/* DelegationSet.NameServers are written without the trailing dot (route53-api.md §3.3). */
static void put_name_servers(struct xml_out *o, const char ns[R53_NS_COUNT][R53_NAME_MAX])
{
	xml_open(o, "NameServers");
	for (size_t i = 0; i < R53_NS_COUNT; i++) {
		size_t n = strlen(ns[i]);
		if (n == 0)
			continue;
		if (n > 1 && ns[i][n - 1] == '.')
			n--;
		xml_elemf(o, "NameServer", "%.*s", (int)n, ns[i]);
	}
	xml_close(o, "NameServers");
}

static void put_zone_delegation_set(struct xml_out *o, const struct r53_zone *z)
{
	xml_open(o, "DelegationSet");
	if (z->delegation_set_id[0])
		xml_elemf(o, "Id", "/delegationset/%s", bare_id(z->delegation_set_id));
	put_name_servers(o, z->name_servers);
	xml_close(o, "DelegationSet");
}

static void put_delegation_set(struct xml_out *o, const struct r53_delegation_set *d)
{
	xml_open(o, "DelegationSet");
	xml_elemf(o, "Id", "/delegationset/%s", bare_id(d->id));
	if (d->caller_reference[0])
		xml_elem(o, "CallerReference", d->caller_reference);
	put_name_servers(o, d->name_servers);
	xml_close(o, "DelegationSet");
}

static void put_vpc(struct xml_out *o, const struct r53_vpc *v)
{
	xml_open(o, "VPC");
	if (v->region[0])
		xml_elem(o, "VPCRegion", v->region);
	if (v->id[0])
		xml_elem(o, "VPCId", v->id);
	xml_close(o, "VPC");
}

static void put_rrset(struct xml_out *o, const struct r53_rrset *rs)
{
	xml_open(o, "ResourceRecordSet");
	xml_elem(o, "Name", rs->name);
	xml_elem(o, "Type", rs->type);
	if (rs->set_identifier[0])
		xml_elem(o, "SetIdentifier", rs->set_identifier);
	if (rs->weight >= 0)
		xml_elemf(o, "Weight", "%" PRId64, rs->weight);
	if (rs->region[0])
		xml_elem(o, "Region", rs->region);
	if (rs->failover[0])
		xml_elem(o, "Failover", rs->failover);
	if (rs->multivalue)
		xml_elem(o, "MultiValueAnswer", rs->multivalue_answer ? "true" : "false");
	if (rs->ttl >= 0)
		xml_elemf(o, "TTL", "%" PRId64, rs->ttl);
	if (rs->nvalues > 0) {
		xml_open(o, "ResourceRecords");
		for (size_t i = 0; i < rs->nvalues; i++) {
			xml_open(o, "ResourceRecord");
			xml_elem(o, "Value", rs->values[i]);
			xml_close(o, "ResourceRecord");
		}
		xml_close(o, "ResourceRecords");
	}
	if (rs->has_alias) {
		xml_open(o, "AliasTarget");
		xml_elem(o, "HostedZoneId", rs->alias.hosted_zone_id);
		xml_elem(o, "DNSName", rs->alias.dns_name);
		xml_elem(o, "EvaluateTargetHealth",
			 rs->alias.evaluate_target_health ? "true" : "false");
		xml_close(o, "AliasTarget");
	}
	if (rs->health_check_id[0])
		xml_elem(o, "HealthCheckId", rs->health_check_id);
	xml_close(o, "ResourceRecordSet");
}

static void put_tag_set(struct xml_out *o, const char *type, const char *id,
			const struct r53_tag *tags, size_t n)
{
	xml_open(o, "ResourceTagSet");
	xml_elem(o, "ResourceType", type);
	xml_elem(o, "ResourceId", id);
	xml_open(o, "Tags");
	for (size_t i = 0; i < n; i++) {
		xml_open(o, "Tag");
		xml_elem(o, "Key", tags[i].key);
		xml_elem(o, "Value", tags[i].value);
		xml_close(o, "Tag");
	}
	xml_close(o, "Tags");
	xml_close(o, "ResourceTagSet");
}

/* ---- hosted zones ---- */

static void op_create_hosted_zone(struct call *c)
{
	const struct xml_node *r = body_root(c, "CreateHostedZoneRequest");
	if (!r ||
	    !check_shape(c, r, "Name! VPC? CallerReference! HostedZoneConfig? DelegationSetId?"))
		return;
	struct r53_create_zone *q = calloc(1, sizeof(*q));
	if (!q) {
		fail(c, 500, "InternalFailure", "out of memory");
		return;
	}
	const struct xml_node *vpc = xml_child(r, "VPC");
	const struct xml_node *cfg = xml_child(r, "HostedZoneConfig");
	bool private_zone = false, has_private = false;
	if (!get_str(c, r, "Name", "DNSName", 0, 1024, q->name, sizeof(q->name), NULL) ||
	    !get_str(c, r, "CallerReference", "Nonce", 1, 128, q->caller_reference,
		     sizeof(q->caller_reference), NULL) ||
	    !get_str(c, r, "DelegationSetId", "ResourceId", 0, 32, q->delegation_set_id,
		     sizeof(q->delegation_set_id), NULL))
		goto out;
	if (vpc) {
		q->has_vpc = true;
		if (!check_shape(c, vpc, "VPCRegion? VPCId?") ||
		    !get_str(c, vpc, "VPCRegion", "VPCRegion", 1, 64, q->vpc.region,
			     sizeof(q->vpc.region), NULL) ||
		    !get_str(c, vpc, "VPCId", "VPCId", 0, 1024, q->vpc.id, sizeof(q->vpc.id), NULL))
			goto out;
	}
	if (cfg && (!check_shape(c, cfg, "Comment? PrivateZone?") ||
		    !get_str(c, cfg, "Comment", "ResourceDescription", 0, 256, q->comment,
			     sizeof(q->comment), &q->has_comment) ||
		    !get_bool(c, cfg, "PrivateZone", &private_zone, &has_private)))
		goto out;
	/* A VPC makes the zone private (PrivateZone alone says the same; the engine checks). */
	q->private_zone = private_zone || q->has_vpc;

	struct r53_zone z;
	struct r53_change_info ci;
	struct r53_error e = {0};
	memset(&z, 0, sizeof(z));
	memset(&ci, 0, sizeof(ci));
	count(&c->h->stats.engine_calls);
	if (r53_create_hosted_zone(c->h->engine, q, &z, &ci, &e) != 0) {
		fail_engine(c, &e);
		goto out;
	}
	struct xml_out o;
	begin(&o, "CreateHostedZoneResponse");
	put_zone(&o, &z);
	put_change_info(&o, &ci);
	put_zone_delegation_set(&o, &z);
	if (z.nvpcs > 0)
		put_vpc(&o, &z.vpcs[0]);
	else if (q->has_vpc)
		put_vpc(&o, &q->vpc);
	location(c, "hostedzone", bare_id(z.id));
	finish(c, &o, "CreateHostedZoneResponse");
out:
	free(q);
}

static void op_get_hosted_zone(struct call *c)
{
	const char *id = uri_id(c, 0, "id");
	if (!id)
		return;
	struct r53_zone z;
	struct r53_error e = {0};
	memset(&z, 0, sizeof(z));
	count(&c->h->stats.engine_calls);
	if (r53_get_hosted_zone(c->h->engine, id, &z, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	struct xml_out o;
	begin(&o, "GetHostedZoneResponse");
	put_zone(&o, &z);
	if (!z.private_zone)
		put_zone_delegation_set(&o, &z);
	if (z.nvpcs > 0) {
		xml_open(&o, "VPCs");
		for (size_t i = 0; i < z.nvpcs && i < sizeof(z.vpcs) / sizeof(z.vpcs[0]); i++)
			put_vpc(&o, &z.vpcs[i]);
		xml_close(&o, "VPCs");
	}
	finish(c, &o, "GetHostedZoneResponse");
}

static void op_delete_hosted_zone(struct call *c)
{
	const char *id = uri_id(c, 0, "id");
	if (!id)
		return;
	struct r53_change_info ci;
	struct r53_error e = {0};
	memset(&ci, 0, sizeof(ci));
	count(&c->h->stats.engine_calls);
	if (r53_delete_hosted_zone(c->h->engine, id, &ci, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	struct xml_out o;
	begin(&o, "DeleteHostedZoneResponse");
	put_change_info(&o, &ci);
	finish(c, &o, "DeleteHostedZoneResponse");
}

static void op_update_hosted_zone_comment(struct call *c)
{
	const char *id = uri_id(c, 0, "id");
	if (!id)
		return;
	const struct xml_node *r = body_root(c, "UpdateHostedZoneCommentRequest");
	char comment[R53_TEXT_MAX];
	if (!r || !check_shape(c, r, "Comment?") ||
	    !get_str(c, r, "Comment", "ResourceDescription", 0, 256, comment, sizeof(comment),
		     NULL))
		return;
	struct r53_zone z;
	struct r53_error e = {0};
	memset(&z, 0, sizeof(z));
	count(&c->h->stats.engine_calls);
	if (r53_update_hosted_zone_comment(c->h->engine, id, comment, &z, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	struct xml_out o;
	begin(&o, "UpdateHostedZoneCommentResponse");
	put_zone(&o, &z);
	finish(c, &o, "UpdateHostedZoneCommentResponse");
}

/* One page of the engine's zone list, keeping only private zones when asked. */
static int list_zones_page(struct call *c, const char *marker, int max,
			   const char *delegation_set_id, bool private_only,
			   struct r53_zone_list *out, struct r53_error *e)
{
	count(&c->h->stats.engine_calls);
	if (!private_only)
		return r53_list_hosted_zones(c->h->engine, marker, max, delegation_set_id, out, e);
	/*
	 * The engine has no type filter: walk its pages, keep the private zones, and stop at the
	 * first private zone past the page (its id is NextMarker, as Route 53 pages).
	 */
	memset(out, 0, sizeof(*out));
	out->zones = calloc((size_t)max, sizeof(*out->zones));
	if (!out->zones) {
		e->status = 500;
		snprintf(e->code, sizeof(e->code), "InternalFailure");
		return -1;
	}
	char next[R53_ID_MAX];
	snprintf(next, sizeof(next), "%s", marker);
	for (;;) {
		struct r53_zone_list page;
		memset(&page, 0, sizeof(page));
		if (r53_list_hosted_zones(c->h->engine, next, 100, delegation_set_id, &page, e) !=
		    0) {
			r53_zone_list_free(out);
			return -1;
		}
		for (size_t i = 0; i < page.n; i++) {
			if (!page.zones[i].private_zone)
				continue;
			if (out->n == (size_t)max) {
				out->truncated = true;
				snprintf(out->next_marker, sizeof(out->next_marker), "%s",
					 bare_id(page.zones[i].id));
				r53_zone_list_free(&page);
				return 0;
			}
			out->zones[out->n++] = page.zones[i];
		}
		bool more = page.truncated && page.next_marker[0];
		snprintf(next, sizeof(next), "%s", page.next_marker);
		r53_zone_list_free(&page);
		if (!more)
			return 0;
	}
}

static void op_list_hosted_zones(struct call *c)
{
	const char *marker = http_param(c->req, "marker");
	const char *dsid = http_param(c->req, "delegationsetid");
	const char *type = http_param(c->req, "hostedzonetype");
	int max;
	char echo[24];
	if ((marker && !check_len(c, marker, "marker", 0, 64)) ||
	    (dsid && !check_len(c, bare_id(dsid), "delegationSetId", 0, 32)) ||
	    (type && !check_enum_member(c, type, "hostedZoneType", "PrivateHostedZone")) ||
	    !max_items(c, 100, 100, &max, echo))
		return;
	struct r53_zone_list l;
	struct r53_error e = {0};
	memset(&l, 0, sizeof(l));
	if (list_zones_page(c, marker ? bare_id(marker) : "", max, dsid ? bare_id(dsid) : "",
			    type != NULL, &l, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	struct xml_out o;
	begin(&o, "ListHostedZonesResponse");
	xml_open(&o, "HostedZones");
	for (size_t i = 0; i < l.n; i++)
		put_zone(&o, &l.zones[i]);
	xml_close(&o, "HostedZones");
	/* Marker only when one was sent (route53-api.md §2.1: moto's tests check it is absent). */
	if (marker)
		xml_elem(&o, "Marker", marker);
	xml_elem(&o, "IsTruncated", l.truncated ? "true" : "false");
	if (l.truncated && l.next_marker[0])
		xml_elem(&o, "NextMarker", bare_id(l.next_marker));
	xml_elem(&o, "MaxItems", echo);
	r53_zone_list_free(&l);
	finish(c, &o, "ListHostedZonesResponse");
}

static void op_list_hosted_zones_by_name(struct call *c)
{
	const char *dns_name = http_param(c->req, "dnsname");
	const char *zone_id = http_param(c->req, "hostedzoneid");
	int max;
	char echo[24];
	if ((dns_name && !check_len(c, dns_name, "dNSName", 0, 1024)) ||
	    (zone_id && !check_len(c, bare_id(zone_id), "hostedZoneId", 0, 32)) ||
	    !max_items(c, 100, 100, &max, echo))
		return;
	if (zone_id && !dns_name) {
		fail(c, 400, "InvalidInput",
		     "The input is not valid: a hosted zone ID (hostedzoneid) requires a DNS name "
		     "(dnsname)");
		return;
	}
	struct r53_zone_list l;
	struct r53_error e = {0};
	memset(&l, 0, sizeof(l));
	count(&c->h->stats.engine_calls);
	if (r53_list_hosted_zones_by_name(c->h->engine, dns_name ? dns_name : "",
					  zone_id ? bare_id(zone_id) : "", max, &l, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	struct xml_out o;
	begin(&o, "ListHostedZonesByNameResponse");
	xml_open(&o, "HostedZones");
	for (size_t i = 0; i < l.n; i++)
		put_zone(&o, &l.zones[i]);
	xml_close(&o, "HostedZones");
	if (dns_name)
		xml_elem(&o, "DNSName", dns_name);
	if (zone_id)
		xml_elem(&o, "HostedZoneId", bare_id(zone_id));
	xml_elem(&o, "IsTruncated", l.truncated ? "true" : "false");
	if (l.truncated) {
		if (l.next_dns_name[0])
			xml_elem(&o, "NextDNSName", l.next_dns_name);
		if (l.next_zone_id[0])
			xml_elem(&o, "NextHostedZoneId", bare_id(l.next_zone_id));
	}
	xml_elem(&o, "MaxItems", echo);
	r53_zone_list_free(&l);
	finish(c, &o, "ListHostedZonesByNameResponse");
}

static void op_get_hosted_zone_count(struct call *c)
{
	uint64_t n = 0;
	struct r53_error e = {0};
	count(&c->h->stats.engine_calls);
	if (r53_hosted_zone_count(c->h->engine, &n, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	struct xml_out o;
	begin(&o, "GetHostedZoneCountResponse");
	xml_elemf(&o, "HostedZoneCount", "%" PRIu64, n);
	finish(c, &o, "GetHostedZoneCountResponse");
}

/* GetDNSSEC: signpost does not sign zones, so every public zone is NOT_SIGNING. */
static void op_get_dnssec(struct call *c)
{
	const char *id = uri_id(c, 0, "hostedZoneId");
	if (!id)
		return;
	struct r53_zone z;
	struct r53_error e = {0};
	memset(&z, 0, sizeof(z));
	count(&c->h->stats.engine_calls);
	if (r53_get_hosted_zone(c->h->engine, id, &z, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	if (z.private_zone) {
		/* Terraform's force_destroy relies on this exact error (route53-api.md §1). */
		fail(c, 400, "InvalidArgument",
		     "Operation is unsupported for private hosted zones.");
		return;
	}
	struct xml_out o;
	begin(&o, "GetDNSSECResponse");
	xml_open(&o, "Status");
	xml_elem(&o, "ServeSignature", "NOT_SIGNING");
	xml_close(&o, "Status");
	xml_open(&o, "KeySigningKeys");
	xml_close(&o, "KeySigningKeys");
	finish(c, &o, "GetDNSSECResponse");
}

/* ---- record sets ---- */

static void free_changes(struct r53_change *ch, size_t n)
{
	for (size_t i = 0; i < n; i++)
		r53_rrset_free(&ch[i].rrset);
	free(ch);
}

/* Members of ResourceRecordSet that signpost does not store yet: refused, never dropped. */
static const char *const UNSUPPORTED_RRSET_MEMBERS[] = {
	"GeoLocation",
	"TrafficPolicyInstanceId",
	"CidrRoutingConfig",
	"GeoProximityLocation",
};

static const char RRSET_SPEC[] =
	"Name! Type! SetIdentifier? Weight? Region? GeoLocation? Failover? MultiValueAnswer? TTL? "
	"ResourceRecords? AliasTarget? HealthCheckId? TrafficPolicyInstanceId? CidrRoutingConfig? "
	"GeoProximityLocation?";

static const char REGIONS[] =
	"us-east-1,us-east-2,us-west-1,us-west-2,ca-central-1,eu-west-1,eu-west-2,eu-west-3,"
	"eu-central-1,eu-central-2,ap-southeast-1,ap-southeast-2,ap-southeast-3,ap-northeast-1,"
	"ap-northeast-2,ap-northeast-3,eu-north-1,sa-east-1,cn-north-1,cn-northwest-1,ap-east-1,"
	"me-south-1,me-central-1,ap-south-1,ap-south-2,af-south-1,eu-south-1,eu-south-2,"
	"ap-southeast-4,il-central-1,ca-west-1,ap-southeast-5,mx-central-1,us-isof-south-1,"
	"us-isof-east-1,ap-southeast-7,ap-east-2,eu-isoe-west-1,ap-southeast-6";

/* One Change into ch (its rrset owned by ch afterwards). */
static bool parse_change(struct call *c, const struct xml_node *k, struct r53_change *ch)
{
	char action[16];
	if (!check_shape(c, k, "Action! ResourceRecordSet!") ||
	    !get_enum(c, k, "Action", "CREATE,DELETE,UPSERT", action, sizeof(action), NULL))
		return false;
	ch->action = strcmp(action, "CREATE") == 0   ? R53_CREATE
		     : strcmp(action, "DELETE") == 0 ? R53_DELETE
						     : R53_UPSERT;
	const struct xml_node *n = xml_child(k, "ResourceRecordSet");
	struct r53_rrset *rs = &ch->rrset;
	rs->weight = -1;
	rs->ttl = -1;
	bool has_weight, has_ttl, has_sid, has_hc;
	if (!check_shape(c, n, RRSET_SPEC) ||
	    !get_str(c, n, "Name", "DNSName", 0, 1024, rs->name, sizeof(rs->name), NULL) ||
	    !get_enum(c, n, "Type", RR_TYPES, rs->type, sizeof(rs->type), NULL) ||
	    !get_str(c, n, "SetIdentifier", "ResourceRecordSetIdentifier", 1, 128,
		     rs->set_identifier, sizeof(rs->set_identifier), &has_sid) ||
	    !get_long(c, n, "Weight", "ResourceRecordSetWeight", 0, 255, &rs->weight,
		      &has_weight) ||
	    !get_enum(c, n, "Region", REGIONS, rs->region, sizeof(rs->region), NULL) ||
	    !get_enum(c, n, "Failover", "PRIMARY,SECONDARY", rs->failover, sizeof(rs->failover),
		      NULL) ||
	    !get_bool(c, n, "MultiValueAnswer", &rs->multivalue_answer, &rs->multivalue) ||
	    !get_long(c, n, "TTL", "TTL", 0, 2147483647, &rs->ttl, &has_ttl) ||
	    !get_str(c, n, "HealthCheckId", "HealthCheckId", 0, 64, rs->health_check_id,
		     sizeof(rs->health_check_id), &has_hc))
		return false;
	if (!has_weight)
		rs->weight = -1;
	if (!has_ttl)
		rs->ttl = -1;
	for (size_t i = 0; i < sizeof(UNSUPPORTED_RRSET_MEMBERS) / sizeof(char *); i++) {
		if (xml_child(n, UNSUPPORTED_RRSET_MEMBERS[i])) {
			fail(c, UNSUPPORTED_STATUS, UNSUPPORTED_CODE,
			     "%s is not supported by signpost yet (record set %s, type %s)",
			     UNSUPPORTED_RRSET_MEMBERS[i], rs->name, rs->type);
			return false;
		}
	}

	const struct xml_node *rrs = xml_child(n, "ResourceRecords");
	if (rrs) {
		if (!check_shape(c, rrs, "ResourceRecord+"))
			return false;
		size_t nv = 0;
		for (const struct xml_node *r = xml_child(rrs, NULL); r; r = xml_next(r, NULL))
			nv++;
		rs->values = calloc(nv, sizeof(char *));
		if (!rs->values) {
			fail(c, 500, "InternalFailure", "out of memory");
			return false;
		}
		for (const struct xml_node *r = xml_child(rrs, NULL); r; r = xml_next(r, NULL)) {
			if (!check_shape(c, r, "Value!"))
				return false;
			/* Sized to the value: a 1,000-record batch holds 1,000 of them. */
			char v[R53_VALUE_MAX];
			if (!get_str(c, r, "Value", "RData", 0, 4000, v, sizeof(v), NULL))
				return false;
			if (!(rs->values[rs->nvalues] = strdup(v))) {
				fail(c, 500, "InternalFailure", "out of memory");
				return false;
			}
			rs->nvalues++;
		}
	}
	const struct xml_node *alias = xml_child(n, "AliasTarget");
	if (alias) {
		rs->has_alias = true;
		if (!check_shape(c, alias, "HostedZoneId! DNSName! EvaluateTargetHealth!") ||
		    !get_str(c, alias, "HostedZoneId", "ResourceId", 0, 32,
			     rs->alias.hosted_zone_id, sizeof(rs->alias.hosted_zone_id), NULL) ||
		    !get_str(c, alias, "DNSName", "DNSName", 0, 1024, rs->alias.dns_name,
			     sizeof(rs->alias.dns_name), NULL) ||
		    !get_bool(c, alias, "EvaluateTargetHealth", &rs->alias.evaluate_target_health,
			      NULL))
			return false;
	}

	/* Route 53's structure rule (route53-api.md §3.1 step 2), in its words. */
	bool records = has_ttl && rrs;
	if (rs->has_alias == records) {
		char sid[R53_TEXT_MAX + 2];
		snprintf(sid, sizeof(sid), "%s", has_sid ? rs->set_identifier : "null");
		fail(c, 400, "InvalidInput",
		     "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and "
		     "ResourceRecords], or TrafficPolicyInstanceId], but found %s in Change with "
		     "[Action=%s, Name=%s, Type=%s, SetIdentifier=%s]",
		     rs->has_alias ? "more than one" : "none", action, rs->name, rs->type, sid);
		return false;
	}
	return true;
}

static void op_change_rrsets(struct call *c)
{
	const char *id = uri_id(c, 0, "hostedZoneId");
	if (!id)
		return;
	const struct xml_node *r = body_root(c, "ChangeResourceRecordSetsRequest");
	if (!r || !check_shape(c, r, "ChangeBatch!"))
		return;
	const struct xml_node *batch = xml_child(r, "ChangeBatch");
	char comment[R53_TEXT_MAX];
	if (!check_shape(c, batch, "Comment? Changes!") ||
	    !get_str(c, batch, "Comment", "ResourceDescription", 0, 256, comment, sizeof(comment),
		     NULL))
		return;
	const struct xml_node *changes = xml_child(batch, "Changes");
	if (!check_shape(c, changes, "Change+"))
		return;
	size_t n = 0;
	for (const struct xml_node *k = xml_child(changes, NULL); k; k = xml_next(k, NULL))
		n++;
	if (n > MAX_CHANGES) {
		fail(c, 400, "InvalidChangeBatch", "[Number of records limit of %d exceeded.]",
		     MAX_CHANGES);
		return;
	}
	struct r53_change *ch = calloc(n, sizeof(*ch));
	if (!ch) {
		fail(c, 500, "InternalFailure", "out of memory");
		return;
	}
	size_t i = 0;
	for (const struct xml_node *k = xml_child(changes, NULL); k; k = xml_next(k, NULL), i++)
		if (!parse_change(c, k, &ch[i])) {
			free_changes(ch, n);
			return;
		}
	struct r53_change_info ci;
	struct r53_error e = {0};
	memset(&ci, 0, sizeof(ci));
	count(&c->h->stats.engine_calls);
	int rc = r53_change_rrsets(c->h->engine, id, ch, n, comment, &ci, &e);
	free_changes(ch, n);
	if (rc != 0) {
		fail_engine(c, &e);
		return;
	}
	struct xml_out o;
	begin(&o, "ChangeResourceRecordSetsResponse");
	put_change_info(&o, &ci);
	finish(c, &o, "ChangeResourceRecordSetsResponse");
}

static void op_list_rrsets(struct call *c)
{
	const char *id = uri_id(c, 0, "hostedZoneId");
	if (!id)
		return;
	const char *name = http_param(c->req, "name");
	const char *type = http_param(c->req, "type");
	const char *ident = http_param(c->req, "identifier");
	int max;
	char echo[24];
	if ((name && !check_len(c, name, "startRecordName", 0, 1024)) ||
	    (type && !check_enum_member(c, type, "startRecordType", RR_TYPES)) ||
	    (ident && !check_len(c, ident, "startRecordIdentifier", 1, 128)) ||
	    !max_items(c, 300, 300, &max, echo))
		return;
	if (type && !name) {
		/* route53-api.md §2.3: a type without a name is refused. */
		fail(c, 400, "InvalidInput",
		     "The input is not valid: StartRecordType (type) requires StartRecordName "
		     "(name)");
		return;
	}
	struct r53_rrset_list l;
	struct r53_error e = {0};
	memset(&l, 0, sizeof(l));
	count(&c->h->stats.engine_calls);
	if (r53_list_rrsets(c->h->engine, id, name ? name : "", type ? type : "",
			    ident ? ident : "", max, &l, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	struct xml_out o;
	begin(&o, "ListResourceRecordSetsResponse");
	xml_open(&o, "ResourceRecordSets");
	for (size_t i = 0; i < l.n; i++)
		put_rrset(&o, &l.rrsets[i]);
	xml_close(&o, "ResourceRecordSets");
	xml_elem(&o, "IsTruncated", l.truncated ? "true" : "false");
	if (l.truncated) {
		xml_elem(&o, "NextRecordName", l.next_name);
		xml_elem(&o, "NextRecordType", l.next_type);
		if (l.next_identifier[0])
			xml_elem(&o, "NextRecordIdentifier", l.next_identifier);
	}
	xml_elem(&o, "MaxItems", echo);
	r53_rrset_list_free(&l);
	finish(c, &o, "ListResourceRecordSetsResponse");
}

static void op_get_change(struct call *c)
{
	const char *id = bare_id(c->var[0]);
	if (!check_len(c, id, "id", 1, 6500))
		return;
	struct r53_change_info ci;
	struct r53_error e = {0};
	memset(&ci, 0, sizeof(ci));
	count(&c->h->stats.engine_calls);
	if (r53_get_change(c->h->engine, id, &ci, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	struct xml_out o;
	begin(&o, "GetChangeResponse");
	put_change_info(&o, &ci);
	finish(c, &o, "GetChangeResponse");
}

/* ---- tags ---- */

/*
 * ResourceType and ResourceId of the tag URIs. botocore does not strip "/hostedzone/" from
 * these, and Route 53 refuses the prefixed id by its length (route53-api.md §0, IDs).
 */
static bool tag_resource(struct call *c, const char *type, const char *id)
{
	if (!check_enum_member(c, type, "resourceType", TAG_RESOURCE_TYPES))
		return false;
	if (id && !check_len(c, id, "resourceId", 1, strcmp(type, "hostedzone") == 0 ? 32 : 64))
		return false;
	return true;
}

static void op_change_tags(struct call *c)
{
	const char *type = c->var[0], *id = c->var[1];
	if (!tag_resource(c, type, id))
		return;
	const struct xml_node *r = body_root(c, "ChangeTagsForResourceRequest");
	if (!r || !check_shape(c, r, "AddTags? RemoveTagKeys?"))
		return;
	const struct xml_node *add = xml_child(r, "AddTags");
	const struct xml_node *rm = xml_child(r, "RemoveTagKeys");
	struct r53_tag tags[10];
	char keys[10][256];
	char *keyp[10];
	size_t nadd = 0, nrm = 0;
	if (add) {
		if (!check_shape(c, add, "Tag+10"))
			return;
		for (const struct xml_node *t = xml_child(add, NULL); t; t = xml_next(t, NULL)) {
			struct r53_tag *tg = &tags[nadd++];
			if (!check_shape(c, t, "Key? Value?") ||
			    !get_str(c, t, "Key", "TagKey", 0, 128, tg->key, sizeof(tg->key),
				     NULL) ||
			    !get_str(c, t, "Value", "TagValue", 0, 256, tg->value,
				     sizeof(tg->value), NULL))
				return;
		}
	}
	if (rm) {
		if (!check_shape(c, rm, "Key+10"))
			return;
		for (const struct xml_node *k = xml_child(rm, NULL); k; k = xml_next(k, NULL)) {
			const char *t = leaf_text(c, k);
			if (!t)
				return;
			if (char_len(t) > 128 || strlen(t) >= sizeof(keys[0])) {
				fail(c, 400, "InvalidInput",
				     "Invalid XML ; cvc-maxLength-valid: Value '%s' with length = "
				     "'%zu' is not facet-valid with respect to maxLength '128' for "
				     "type 'TagKey'.",
				     t, char_len(t));
				return;
			}
			snprintf(keys[nrm], sizeof(keys[nrm]), "%s", t);
			keyp[nrm] = keys[nrm];
			nrm++;
		}
	}
	struct r53_error e = {0};
	count(&c->h->stats.engine_calls);
	if (r53_change_tags(c->h->engine, type, id, tags, nadd, keyp, nrm, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	empty_response(c, "ChangeTagsForResourceResponse");
}

static void op_list_tags(struct call *c)
{
	const char *type = c->var[0], *id = c->var[1];
	if (!tag_resource(c, type, id))
		return;
	struct r53_tag *tags = NULL;
	size_t n = 0;
	struct r53_error e = {0};
	count(&c->h->stats.engine_calls);
	if (r53_list_tags(c->h->engine, type, id, &tags, &n, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	struct xml_out o;
	begin(&o, "ListTagsForResourceResponse");
	put_tag_set(&o, type, id, tags, n);
	free(tags);
	finish(c, &o, "ListTagsForResourceResponse");
}

static void op_list_tags_for_resources(struct call *c)
{
	const char *type = c->var[0];
	if (!tag_resource(c, type, NULL))
		return;
	const struct xml_node *r = body_root(c, "ListTagsForResourcesRequest");
	if (!r || !check_shape(c, r, "ResourceIds!"))
		return;
	const struct xml_node *ids = xml_child(r, "ResourceIds");
	if (!check_shape(c, ids, "ResourceId+10"))
		return;
	const char *id[10];
	size_t nid = 0;
	for (const struct xml_node *k = xml_child(ids, NULL); k; k = xml_next(k, NULL)) {
		const char *t = leaf_text(c, k);
		if (!t)
			return;
		if (char_len(t) > 64) {
			fail(c, 400, "InvalidInput",
			     "Invalid XML ; cvc-maxLength-valid: Value '%s' with length = '%zu' is "
			     "not facet-valid with respect to maxLength '64' for type "
			     "'TagResourceId'.",
			     t, char_len(t));
			return;
		}
		id[nid++] = t;
	}
	struct xml_out o;
	begin(&o, "ListTagsForResourcesResponse");
	xml_open(&o, "ResourceTagSets");
	for (size_t i = 0; i < nid; i++) {
		struct r53_tag *tags = NULL;
		size_t n = 0;
		struct r53_error e = {0};
		count(&c->h->stats.engine_calls);
		if (r53_list_tags(c->h->engine, type, id[i], &tags, &n, &e) != 0) {
			free(o.buf);
			fail_engine(c, &e);
			return;
		}
		put_tag_set(&o, type, id[i], tags, n);
		free(tags);
	}
	xml_close(&o, "ResourceTagSets");
	finish(c, &o, "ListTagsForResourcesResponse");
}

/* ---- reusable delegation sets ---- */

static void op_create_delegation_set(struct call *c)
{
	const struct xml_node *r = body_root(c, "CreateReusableDelegationSetRequest");
	char ref[R53_TEXT_MAX], zone[R53_ID_MAX];
	if (!r || !check_shape(c, r, "CallerReference! HostedZoneId?") ||
	    !get_str(c, r, "CallerReference", "Nonce", 1, 128, ref, sizeof(ref), NULL) ||
	    !get_str(c, r, "HostedZoneId", "ResourceId", 0, 32, zone, sizeof(zone), NULL))
		return;
	struct r53_delegation_set d;
	struct r53_error e = {0};
	memset(&d, 0, sizeof(d));
	count(&c->h->stats.engine_calls);
	if (r53_create_delegation_set(c->h->engine, ref, bare_id(zone), &d, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	struct xml_out o;
	begin(&o, "CreateReusableDelegationSetResponse");
	put_delegation_set(&o, &d);
	location(c, "delegationset", bare_id(d.id));
	finish(c, &o, "CreateReusableDelegationSetResponse");
}

static void op_get_delegation_set(struct call *c)
{
	const char *id = uri_id(c, 0, "id");
	if (!id)
		return;
	struct r53_delegation_set d;
	struct r53_error e = {0};
	memset(&d, 0, sizeof(d));
	count(&c->h->stats.engine_calls);
	if (r53_get_delegation_set(c->h->engine, id, &d, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	struct xml_out o;
	begin(&o, "GetReusableDelegationSetResponse");
	put_delegation_set(&o, &d);
	finish(c, &o, "GetReusableDelegationSetResponse");
}

static void op_delete_delegation_set(struct call *c)
{
	const char *id = uri_id(c, 0, "id");
	if (!id)
		return;
	struct r53_error e = {0};
	count(&c->h->stats.engine_calls);
	if (r53_delete_delegation_set(c->h->engine, id, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	empty_response(c, "DeleteReusableDelegationSetResponse");
}

static void op_list_delegation_sets(struct call *c)
{
	const char *marker = http_param(c->req, "marker");
	int max;
	char echo[24];
	if ((marker && !check_len(c, marker, "marker", 0, 64)) ||
	    !max_items(c, 100, 100, &max, echo))
		return;
	struct r53_delegation_set *sets = NULL;
	size_t n = 0;
	bool truncated = false;
	char next[R53_ID_MAX] = "";
	struct r53_error e = {0};
	count(&c->h->stats.engine_calls);
	if (r53_list_delegation_sets(c->h->engine, marker ? bare_id(marker) : "", max, &sets, &n,
				     &truncated, next, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	struct xml_out o;
	begin(&o, "ListReusableDelegationSetsResponse");
	xml_open(&o, "DelegationSets");
	for (size_t i = 0; i < n; i++)
		put_delegation_set(&o, &sets[i]);
	xml_close(&o, "DelegationSets");
	free(sets);
	if (marker)
		xml_elem(&o, "Marker", marker);
	xml_elem(&o, "IsTruncated", truncated ? "true" : "false");
	if (truncated && next[0])
		xml_elem(&o, "NextMarker", bare_id(next));
	xml_elem(&o, "MaxItems", echo);
	finish(c, &o, "ListReusableDelegationSetsResponse");
}

/* ---- limits ---- */

static void put_limit(struct call *c, const char *root, const char *type, uint64_t value,
		      uint64_t used)
{
	struct xml_out o;
	begin(&o, root);
	xml_open(&o, "Limit");
	xml_elem(&o, "Type", type);
	xml_elemf(&o, "Value", "%" PRIu64, value);
	xml_close(&o, "Limit");
	xml_elemf(&o, "Count", "%" PRIu64, used);
	finish(c, &o, root);
}

static void op_get_account_limit(struct call *c)
{
	const char *type = c->var[0];
	if (!check_enum_member(c, type, "type",
			       "MAX_HEALTH_CHECKS_BY_OWNER,MAX_HOSTED_ZONES_BY_OWNER,"
			       "MAX_TRAFFIC_POLICY_INSTANCES_BY_OWNER,"
			       "MAX_REUSABLE_DELEGATION_SETS_BY_OWNER,"
			       "MAX_TRAFFIC_POLICIES_BY_OWNER"))
		return;
	uint64_t value = 0, used = 0;
	struct r53_error e = {0};
	count(&c->h->stats.engine_calls);
	if (r53_get_account_limit(c->h->engine, type, &value, &used, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	put_limit(c, "GetAccountLimitResponse", type, value, used);
}

static void op_get_hosted_zone_limit(struct call *c)
{
	const char *id = uri_id(c, 0, "hostedZoneId");
	const char *type = c->var[1];
	if (!id ||
	    !check_enum_member(c, type, "type", "MAX_RRSETS_BY_ZONE,MAX_VPCS_ASSOCIATED_BY_ZONE"))
		return;
	uint64_t value = 0, used = 0;
	struct r53_error e = {0};
	count(&c->h->stats.engine_calls);
	if (r53_get_hosted_zone_limit(c->h->engine, type, id, &value, &used, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	put_limit(c, "GetHostedZoneLimitResponse", type, value, used);
}

static void op_get_delegation_set_limit(struct call *c)
{
	const char *id = uri_id(c, 0, "delegationSetId");
	const char *type = c->var[1];
	if (!id || !check_enum_member(c, type, "type", "MAX_ZONES_BY_REUSABLE_DELEGATION_SET"))
		return;
	uint64_t value = 0, used = 0;
	struct r53_error e = {0};
	count(&c->h->stats.engine_calls);
	if (r53_get_delegation_set_limit(c->h->engine, type, id, &value, &used, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	put_limit(c, "GetReusableDelegationSetLimitResponse", type, value, used);
}

/* ---- TestDNSAnswer ---- */

static void op_test_dns_answer(struct call *c)
{
	const char *zone = http_param(c->req, "hostedzoneid");
	const char *name = http_param(c->req, "recordname");
	const char *type = http_param(c->req, "recordtype");
	if (!zone) {
		fail_member(c, NULL, "hostedZoneId", NULL);
		return;
	}
	if (!name) {
		fail_member(c, NULL, "recordName", NULL);
		return;
	}
	if (!type) {
		fail_member(c, NULL, "recordType", NULL);
		return;
	}
	if (!check_len(c, bare_id(zone), "hostedZoneId", 1, 32) ||
	    !check_len(c, name, "recordName", 0, 1024) ||
	    !check_enum_member(c, type, "recordType", RR_TYPES))
		return;
	struct r53_test_answer a;
	struct r53_error e = {0};
	memset(&a, 0, sizeof(a));
	count(&c->h->stats.engine_calls);
	if (r53_test_dns_answer(c->h->engine, bare_id(zone), name, type, &a, &e) != 0) {
		fail_engine(c, &e);
		return;
	}
	struct xml_out o;
	begin(&o, "TestDNSAnswerResponse");
	xml_elem(&o, "Nameserver", a.nameserver);
	xml_elem(&o, "RecordName", a.record_name);
	xml_elem(&o, "RecordType", a.record_type);
	xml_open(&o, "RecordData");
	for (size_t i = 0; i < a.nrecord_data; i++)
		xml_elem(&o, "RecordDataEntry", a.record_data[i]);
	xml_close(&o, "RecordData");
	xml_elem(&o, "ResponseCode", a.response_code);
	xml_elem(&o, "Protocol", a.protocol[0] ? a.protocol : "UDP");
	r53_test_answer_free(&a);
	finish(c, &o, "TestDNSAnswerResponse");
}

/* ---- dispatch ---- */

static const struct {
	const char *op;
	op_fn fn;
} HANDLERS[] = {
	{"CreateHostedZone", op_create_hosted_zone},
	{"GetHostedZone", op_get_hosted_zone},
	{"ListHostedZones", op_list_hosted_zones},
	{"ListHostedZonesByName", op_list_hosted_zones_by_name},
	{"GetHostedZoneCount", op_get_hosted_zone_count},
	{"DeleteHostedZone", op_delete_hosted_zone},
	{"UpdateHostedZoneComment", op_update_hosted_zone_comment},
	{"GetDNSSEC", op_get_dnssec},
	{"ChangeResourceRecordSets", op_change_rrsets},
	{"ListResourceRecordSets", op_list_rrsets},
	{"GetChange", op_get_change},
	{"ChangeTagsForResource", op_change_tags},
	{"ListTagsForResource", op_list_tags},
	{"ListTagsForResources", op_list_tags_for_resources},
	{"CreateReusableDelegationSet", op_create_delegation_set},
	{"GetReusableDelegationSet", op_get_delegation_set},
	{"ListReusableDelegationSets", op_list_delegation_sets},
	{"DeleteReusableDelegationSet", op_delete_delegation_set},
	{"GetAccountLimit", op_get_account_limit},
	{"GetHostedZoneLimit", op_get_hosted_zone_limit},
	{"GetReusableDelegationSetLimit", op_get_delegation_set_limit},
	{"TestDNSAnswer", op_test_dns_answer},
};

static op_fn handler(const char *op)
{
	for (size_t i = 0; i < sizeof(HANDLERS) / sizeof(HANDLERS[0]); i++)
		if (strcmp(HANDLERS[i].op, op) == 0)
			return HANDLERS[i].fn;
	return NULL;
}

size_t route53_http_operations(size_t *implemented)
{
	if (implemented) {
		*implemented = 0;
		for (size_t i = 0; i < NROUTES; i++)
			*implemented += handler(ROUTES[i].op) != NULL;
	}
	return NROUTES;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Percent-decodes s in place; false if it decodes to a NUL. */
static bool decode(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		int hi, lo;
		if (r[0] == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0) {
			*w = (char)(hi * 16 + lo);
			if (*w == '\0')
				return false;
			w++;
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return true;
}

/*
 * Splits the raw path into segments, each percent-decoded on its own: an id may hold an
 * encoded "/" (a tag id sent with its "/hostedzone/" prefix) without adding a segment. A
 * trailing slash is dropped (route53-api.md Appendix A: "/rrset" and "/rrset/" both route).
 * Returns false when the path is not one a route could match.
 */
static bool split_path(struct call *c)
{
	const char *raw = c->req->raw_path ? c->req->raw_path : c->req->path;
	if (!raw)
		return false;
	size_t n = strcspn(raw, "?#");
	if (n >= sizeof(c->path) || raw[0] != '/')
		return false;
	memcpy(c->path, raw, n);
	c->path[n] = '\0';
	if (n > 1 && c->path[n - 1] == '/')
		c->path[--n] = '\0';
	c->nseg = 0;
	char *p = c->path + 1;
	for (;;) {
		if (c->nseg == MAX_SEGMENTS)
			return false;
		char *slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (!decode(p))
			return false;
		c->seg[c->nseg++] = p;
		if (!slash)
			break;
		p = slash + 1;
	}
	return true;
}

/* Does route r's URI match the request's segments? Fills c->var on a match. */
static bool match(struct call *c, const struct route *r)
{
	const char *u = r->uri + 1;
	size_t i = 0;
	c->nvar = 0;
	while (*u) {
		size_t len = strcspn(u, "/");
		if (i == c->nseg)
			return false;
		const char *s = c->seg[i++];
		if (u[0] == '{') {
			if (s[0] == '\0' || c->nvar == sizeof(c->var) / sizeof(c->var[0]))
				return false;
			c->var[c->nvar++] = s;
		} else if (strlen(s) != len || memcmp(s, u, len) != 0) {
			return false;
		}
		u += len;
		if (*u == '/')
			u++;
	}
	return i == c->nseg;
}

static bool take_token(struct route53_http *h, size_t key)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&h->lock);
	double dt = (double)(now.tv_sec - h->last[key].tv_sec) +
		    (double)(now.tv_nsec - h->last[key].tv_nsec) / 1e9;
	h->last[key] = now;
	double t = h->tokens[key] + dt * h->rate;
	if (t > h->burst)
		t = h->burst;
	bool ok = t >= 1.0;
	if (ok)
		t -= 1.0;
	h->tokens[key] = t;
	pthread_mutex_unlock(&h->lock);
	return ok;
}

void route53_http_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
	struct route53_http *h = ctx;
	struct call *c = calloc(1, sizeof(*c));
	if (!c) {
		resp->status = 500;
		resp->content_type = "text/plain";
		return;
	}
	c->h = h;
	c->req = req;
	c->resp = resp;
	request_id(c->rid);
	http_response_header(resp, "x-amzn-RequestId", c->rid);
	count(&h->stats.requests);
	struct route dummy = {"", "", "", 200};
	c->route = &dummy;

	/* SigV4 before anything else looks at the request (api-security.md §2, step 7). */
	const struct sigv4_key *key = NULL;
	char msg[512] = "";
	enum sigv4_result sr =
		sigv4_verify(req, "route53", h->keys, h->nkeys, time(NULL), &key, msg, sizeof(msg));
	if (sr != SIGV4_OK) {
		count(&h->stats.auth_failures);
		fail(c, sigv4_status(sr), sigv4_code(sr), "%s", msg);
		goto out;
	}
	/* sigv4_verify points into the key array it was given: the index picks the bucket. */
	if (h->rate > 0 && key && key >= h->keys && key < h->keys + h->nkeys &&
	    !take_token(h, (size_t)(key - h->keys))) {
		count(&h->stats.throttled);
		fail(c, 400, "Throttling", "Rate exceeded");
		goto out;
	}

	const struct route *found = NULL;
	bool path_known = false;
	if (split_path(c)) {
		for (size_t i = 0; i < NROUTES && !found; i++) {
			if (!match(c, &ROUTES[i]))
				continue;
			path_known = true;
			if (strcmp(ROUTES[i].method, req->method) == 0)
				found = &ROUTES[i];
		}
	}
	if (!found) {
		if (path_known)
			fail(c, 405, "MethodNotAllowed",
			     "The requested method %s is not allowed for the resource %s",
			     req->method, req->path ? req->path : "");
		else
			fail(c, 404, "UnknownOperationException",
			     "No Route 53 API 2013-04-01 operation is at %s %s", req->method,
			     req->path ? req->path : "");
		goto out;
	}
	match(c, found); /* the loop may have matched a later route with another method */
	c->route = found;
	op_fn fn = handler(found->op);
	if (!fn) {
		fail(c, UNSUPPORTED_STATUS, UNSUPPORTED_CODE,
		     "The %s operation is not supported by signpost yet (it implements hosted "
		     "zones, record sets, changes, tags, reusable delegation sets, limits, "
		     "GetDNSSEC and TestDNSAnswer)",
		     found->op);
		goto out;
	}
	fn(c);
	if (!c->failed)
		log_debug("api %s: %s %s: %d %s", c->rid, req->method, req->path, resp->status,
			  found->op);
out:
	xml_free(c->doc);
	free(c);
}

/* ---- setup ---- */

struct route53_http *route53_http_new(const struct route53_http_config *cfg)
{
	struct route53_http *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	h->engine = cfg->engine;
	h->max_depth = cfg->max_xml_depth ? cfg->max_xml_depth : DEFAULT_DEPTH;
	h->rate = cfg->rate > 0 ? cfg->rate : 0;
	h->burst = cfg->burst ? cfg->burst : (h->rate > 1 ? h->rate : 1);
	size_t bytes = 0;
	for (size_t i = 0; i < cfg->nkeys; i++)
		bytes += strlen(cfg->keys[i].access_key_id) +
			 strlen(cfg->keys[i].secret_access_key) + 2;
	h->keys = calloc(cfg->nkeys ? cfg->nkeys : 1, sizeof(*h->keys));
	h->key_storage = malloc(bytes ? bytes : 1);
	h->tokens = calloc(cfg->nkeys ? cfg->nkeys : 1, sizeof(*h->tokens));
	h->last = calloc(cfg->nkeys ? cfg->nkeys : 1, sizeof(*h->last));
	if (!h->keys || !h->key_storage || !h->tokens || !h->last) {
		route53_http_free(h);
		return NULL;
	}
	char *p = h->key_storage;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < cfg->nkeys; i++) {
		size_t a = strlen(cfg->keys[i].access_key_id) + 1;
		size_t s = strlen(cfg->keys[i].secret_access_key) + 1;
		memcpy(p, cfg->keys[i].access_key_id, a);
		h->keys[i].access_key_id = p;
		p += a;
		memcpy(p, cfg->keys[i].secret_access_key, s);
		h->keys[i].secret_access_key = p;
		p += s;
		h->tokens[i] = h->burst;
		h->last[i] = now;
	}
	h->nkeys = cfg->nkeys;
	return h;
}

void route53_http_free(struct route53_http *h)
{
	if (!h)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h->keys);
	free(h->key_storage);
	free(h->tokens);
	free(h->last);
	free(h);
}

void route53_http_stats(const struct route53_http *h, struct route53_http_stats *out)
{
	out->requests = __atomic_load_n(&h->stats.requests, __ATOMIC_RELAXED);
	out->auth_failures = __atomic_load_n(&h->stats.auth_failures, __ATOMIC_RELAXED);
	out->throttled = __atomic_load_n(&h->stats.throttled, __ATOMIC_RELAXED);
	out->bodies_parsed = __atomic_load_n(&h->stats.bodies_parsed, __ATOMIC_RELAXED);
	out->engine_calls = __atomic_load_n(&h->stats.engine_calls, __ATOMIC_RELAXED);
}
