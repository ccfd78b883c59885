/*
 * api/domains.c - the Route 53 Domains engine: a registrar for the sandbox's TLDs. Requests
 * validate and record an operation (durable before the answer); one worker thread carries
 * operations out (hosted zone, name servers, delegation in the TLD zone) and runs the expiry
 * sweep on the registry's virtual clock. See api/domains.h and route53-api.md §4.
 */
#include "api/domains.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "api/r53_internal.h"
#include "base/log.h"
#include "store/store.h"

#define DEFAULT_MAX_DOMAINS 20  /* Route 53's quota of registered domains per account */
#define MAX_PENDING_OPS     100 /* OperationLimitExceeded past this many unfinished ones */
#define MAX_RESERVED        64  /* registrable names the sandbox's own servers live under */
#define MAX_NAMESERVERS     13  /* what fits a referral; registries allow 13 */
#define LIST_DEFAULT        20  /* ListDomains / ListOperations MaxItems default [model] */
#define LIST_MAX            100
#define PRICES_MAX          1000
#define SWEEP_INTERVAL_S    1.0
#define MAX_AUTORENEW_YEARS 100 /* a clock moved centuries ahead still ends */
#define DOMAIN_MAX          253 /* presentation, without the final dot */
#define ZONE_COMMENT        "HostedZone created by Route53 Registrar"
#define CALLER_REF_PREFIX   "signpost-registrar-"

/* BEGIN GENERATED TABLES (from botocore 1.43.11's route53domains/2014-05-15/service-2.json) */
/* clang-format off */
static const char *const OPERATIONS[] = {
	"AcceptDomainTransferFromAnotherAwsAccount", "AssociateDelegationSignerToDomain",
	"CancelDomainTransferToAnotherAwsAccount", "CheckDomainAvailability",
	"CheckDomainTransferability", "DeleteDomain", "DeleteTagsForDomain",
	"DisableDomainAutoRenew", "DisableDomainTransferLock",
	"DisassociateDelegationSignerFromDomain", "EnableDomainAutoRenew",
	"EnableDomainTransferLock", "GetContactReachabilityStatus", "GetDomainDetail",
	"GetDomainSuggestions", "GetOperationDetail", "ListDomains", "ListOperations",
	"ListPrices", "ListTagsForDomain", "PushDomain", "RegisterDomain",
	"RejectDomainTransferFromAnotherAwsAccount", "RenewDomain",
	"ResendContactReachabilityEmail", "ResendOperationAuthorization",
	"RetrieveDomainAuthCode", "TransferDomain", "TransferDomainToAnotherAwsAccount",
	"UpdateDomainContact", "UpdateDomainContactPrivacy", "UpdateDomainNameservers",
	"UpdateTagsForDomain", "ViewBilling"
};
static const char *const COUNTRY_CODES[] = {
	"AC", "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AN", "AO", "AQ", "AR", "AS", "AT", "AU",
	"AW", "AX", "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN",
	"BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH",
	"CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ",
	"DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM",
	"FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ",
	"GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL",
	"IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI",
	"KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT",
	"LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO",
	"MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF",
	"NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK",
	"PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA",
	"SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
	"ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN",
	"TO", "TP", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "US", "UY", "UZ", "VA", "VC", "VE",
	"VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW"
};
static const char *const EXTRA_PARAM_NAMES[] = {
	"DUNS_NUMBER", "BRAND_NUMBER", "BIRTH_DEPARTMENT", "BIRTH_DATE_IN_YYYY_MM_DD",
	"BIRTH_COUNTRY", "BIRTH_CITY", "DOCUMENT_NUMBER", "AU_ID_NUMBER", "AU_ID_TYPE",
	"CA_LEGAL_TYPE", "CA_BUSINESS_ENTITY_TYPE", "CA_LEGAL_REPRESENTATIVE",
	"CA_LEGAL_REPRESENTATIVE_CAPACITY", "ES_IDENTIFICATION", "ES_IDENTIFICATION_TYPE",
	"ES_LEGAL_FORM", "FI_BUSINESS_NUMBER", "FI_ID_NUMBER", "FI_NATIONALITY",
	"FI_ORGANIZATION_TYPE", "IT_NATIONALITY", "IT_PIN", "IT_REGISTRANT_ENTITY_TYPE",
	"RU_PASSPORT_DATA", "SE_ID_NUMBER", "SG_ID_NUMBER", "VAT_NUMBER", "UK_CONTACT_TYPE",
	"UK_COMPANY_NUMBER", "EU_COUNTRY_OF_CITIZENSHIP", "AU_PRIORITY_TOKEN",
	"AU_ELIGIBILITY_TYPE", "AU_POLICY_REASON", "AU_REGISTRANT_NAME"
};
static const char *const OPERATION_TYPES[] = {
	"REGISTER_DOMAIN", "DELETE_DOMAIN", "TRANSFER_IN_DOMAIN", "UPDATE_DOMAIN_CONTACT",
	"UPDATE_NAMESERVER", "CHANGE_PRIVACY_PROTECTION", "DOMAIN_LOCK", "ENABLE_AUTORENEW",
	"DISABLE_AUTORENEW", "ADD_DNSSEC", "REMOVE_DNSSEC", "EXPIRE_DOMAIN",
	"TRANSFER_OUT_DOMAIN", "CHANGE_DOMAIN_OWNER", "RENEW_DOMAIN", "PUSH_DOMAIN",
	"INTERNAL_TRANSFER_OUT_DOMAIN", "INTERNAL_TRANSFER_IN_DOMAIN", "RELEASE_TO_GANDI",
	"TRANSFER_ON_RENEW", "RESTORE_DOMAIN"
};
static const char *const OPERATION_STATUSES[] = {
	"SUBMITTED", "IN_PROGRESS", "ERROR", "SUCCESSFUL", "FAILED"
};
/* clang-format on */
/* END GENERATED TABLES */

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static bool in_table(const char *const *table, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i], s) == 0)
			return true;
	return false;
}

bool domains_known_operation(const char *operation)
{
	return operation && in_table(OPERATIONS, NELEMS(OPERATIONS), operation);
}

struct domains {
	struct domains_config cfg;
	char data_dir[4096];
	struct store *store;
	/* One writer: every request, the worker's steps and sandbox_delegate run under it. */
	pthread_mutex_t lock;
	pthread_cond_t wake; /* a new operation, a released hold, or stop */
	pthread_t worker;
	bool worker_started;
	bool stop;
	bool hold;
	bool hold_in_progress; /* hold at IN_PROGRESS (else at SUBMITTED) */
	int64_t clock_offset;  /* seconds added to real time: the registry's virtual clock */
	int64_t next_seq;
	uint32_t max_domains;
	/* The offered TLDs, without dots ("com"), in the sandbox's order. */
	char tlds[SANDBOX_MAX_TLDS][SANDBOX_NAME_MAX];
	size_t ntlds;
	/* Names directly under a TLD that hold the sandbox's own servers ("gtld-servers.net"):
	 * never available, or a registration would shadow the hierarchy's own delegations. */
	char reserved[MAX_RESERVED][SANDBOX_NAME_MAX];
	size_t nreserved;
};

/* ---- errors, time, ids ---- */

static int fail(struct domains_error *e, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct domains_error *e, const char *type, const char *fmt, ...)
{
	if (e) {
		snprintf(e->type, sizeof e->type, "%s", type);
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->message, sizeof e->message, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int internal(struct domains *d, struct domains_error *e, const char *what)
{
	const char *why = d->store ? sqlite3_errmsg(store_sqlite(d->store)) : "no store";
	log_err("domains: %s: %s", what, why);
	return fail(e, "InternalFailure", "%s: %s", what, why);
}

/* The registry's clock: real time plus the persisted offset, in milliseconds' precision. */
static double now_of(const struct domains *d)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double ms = (double)((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	return ms / 1000.0 + (double)d->clock_offset;
}

static double monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void random_bytes(uint8_t *b, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom(b + got, n - got, 0);
		if (r <= 0) {
			/* Ids only need to be unique: fall back to time and a counter. */
			static uint64_t seq;
			uint64_t v = (uint64_t)time(NULL) ^
				     __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
			for (; got < n;
			     got++, v = v * 6364136223846793005ULL + 1442695040888963407ULL)
				b[got] = (uint8_t)(v >> 56);
			return;
		}
		got += (size_t)r;
	}
}

/* Route 53 Domains' operation ids are UUIDs (route53-api.md §4.1). */
static void new_uuid(char out[37])
{
	uint8_t b[16];
	random_bytes(b, sizeof b);
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static void new_registry_id(char out[40])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	uint8_t b[16];
	random_bytes(b, sizeof b);
	out[0] = 'D';
	for (size_t i = 0; i < sizeof b; i++)
		out[1 + i] = alphabet[b[i] % (sizeof alphabet - 1)];
	snprintf(out + 1 + sizeof b, 40 - 1 - sizeof b, "-SIGNPOST");
}

/* floor() without libm: registry times are never far from the epoch's range of time_t. */
static time_t whole_seconds(double t)
{
	time_t s = (time_t)t;
	return (double)s > t ? s - 1 : s;
}

static int year_of(double t)
{
	time_t s = whole_seconds(t);
	struct tm tm;
	gmtime_r(&s, &tm);
	return tm.tm_year + 1900;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* t plus whole calendar years (29 February becomes the 28th in a common year). */
static double add_years(double t, int years)
{
	time_t s = whole_seconds(t);
	double frac = t - (double)s;
	struct tm tm;
	gmtime_r(&s, &tm);
	tm.tm_year += years;
	if (tm.tm_mon == 1 && tm.tm_mday == 29 && !leap(tm.tm_year + 1900))
		tm.tm_mday = 28;
	return (double)timegm(&tm) + frac;
}

/* ---- request members (names and constraints as botocore's model gives them) ---- */

/* "DomainName" → "domainName": the member path AWS's validation messages use. */
static void member_path(const char *prefix, const char *key, char *out, size_t len)
{
	char k[96];
	snprintf(k, sizeof k, "%s", key);
	if (k[0] >= 'A' && k[0] <= 'Z')
		k[0] = (char)(k[0] - 'A' + 'a');
	if (prefix && prefix[0])
		snprintf(out, len, "%s.%s", prefix, k);
	else
		snprintf(out, len, "%s", k);
}

static int missing(struct domains_error *err, const char *prefix, const char *key)
{
	char path[160];
	member_path(prefix, key, path, sizeof path);
	return fail(err, "InvalidInput",
		    "1 validation error detected: Value null at '%s' failed to satisfy constraint: "
		    "Member must not be null",
		    path);
}

static int wrong_type(struct domains_error *err, const char *prefix, const char *key,
		      const char *want)
{
	char path[160];
	member_path(prefix, key, path, sizeof path);
	return fail(err, "SerializationException", "%s must be %s", path, want);
}

/*
 * Member `key` of object `in` as a string of at most `max` characters without control
 * characters: 0 with *out (NULL when absent and not required), or -1. Values are never
 * echoed: contact members are sensitive (route53-api.md §4.1).
 */
static int in_string(json_t *in, const char *prefix, const char *key, bool required, size_t max,
		     const char **out, struct domains_error *err)
{
	*out = NULL;
	json_t *v = json_object_get(in, key);
	if (!v || json_is_null(v))
		return required ? missing(err, prefix, key) : 0;
	if (!json_is_string(v))
		return wrong_type(err, prefix, key, "a string");
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	char path[160];
	member_path(prefix, key, path, sizeof path);
	if (n > max)
		return fail(err, "InvalidInput",
			    "1 validation error detected: Value at '%s' failed to satisfy "
			    "constraint: Member must have length less than or equal to %zu",
			    path, max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(err, "InvalidInput", "%s must not contain control characters",
				    path);
	*out = s;
	return 0;
}

static int in_int(json_t *in, const char *key, bool required, bool *present, int64_t *out,
		  struct domains_error *err)
{
	*present = false;
	json_t *v = json_object_get(in, key);
	if (!v || json_is_null(v))
		return required ? missing(err, NULL, key) : 0;
	if (!json_is_integer(v))
		return wrong_type(err, NULL, key, "an integer");
	*out = (int64_t)json_integer_value(v);
	*present = true;
	return 0;
}

static int in_bool(json_t *in, const char *key, bool required, bool dflt, bool *out,
		   struct domains_error *err)
{
	*out = dflt;
	json_t *v = json_object_get(in, key);
	if (!v || json_is_null(v))
		return required ? missing(err, NULL, key) : 0;
	if (!json_is_boolean(v))
		return wrong_type(err, NULL, key, "a boolean");
	*out = json_is_true(v);
	return 0;
}

/* A timestamp member: epoch seconds as a JSON number (botocore's JSON protocol). */
static int in_time(json_t *in, const char *key, bool *present, double *out,
		   struct domains_error *err)
{
	*present = false;
	json_t *v = json_object_get(in, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return wrong_type(err, NULL, key, "a timestamp (epoch seconds)");
	*out = json_number_value(v);
	*present = true;
	return 0;
}

/* MaxItems: default when absent, else 1..max. */
static int in_max_items(json_t *in, int dflt, int max, int *out, struct domains_error *err)
{
	bool present;
	int64_t v = 0;
	if (in_int(in, "MaxItems", false, &present, &v, err))
		return -1;
	*out = dflt;
	if (!present)
		return 0;
	if (v < 1 || v > max)
		return fail(err, "InvalidInput",
			    "1 validation error detected: Value '%" PRId64 "' at 'maxItems' failed "
			    "to satisfy constraint: Member must have value between 1 and %d",
			    v, max);
	*out = (int)v;
	return 0;
}

/* ---- domain names ---- */

enum name_class {
	NAME_OK,
	NAME_EMPTY,
	NAME_NO_TLD,     /* no TLD of the sandbox: UnsupportedTLD */
	NAME_BAD,        /* characters or labels Route 53 refuses */
	NAME_NOT_DIRECT, /* not exactly one label under its TLD */
};

/* A host or domain label: 1..63 of [a-z0-9-] (and '_' for host names), no edge hyphen. */
static const char *label_problem(const char *l, size_t n, bool host)
{
	if (n == 0)
		return "an empty label";
	if (n > 63)
		return "a label longer than 63 characters";
	for (size_t i = 0; i < n; i++) {
		char c = l[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      (host && c == '_')))
			return "a character other than a-z, 0-9, hyphen (-) and period (.)";
	}
	if (l[0] == '-' || l[n - 1] == '-')
		return "a label that starts or ends with a hyphen";
	return NULL;
}

/* Lower case, one final dot dropped. 0, or -1 if too long for `out`. */
static int name_lower(const char *in, char *out, size_t len)
{
	size_t n = strlen(in);
	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n >= len)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
	return 0;
}

static bool offers_tld(const struct domains *d, const char *tld)
{
	for (size_t i = 0; i < d->ntlds; i++)
		if (strcmp(d->tlds[i], tld) == 0)
			return true;
	return false;
}

/*
 * Classifies a DomainName for registration: lower-cased into out (no final dot), its TLD
 * (no dots) into tld, and what is wrong with it into why.
 */
static enum name_class classify(const struct domains *d, const char *in, char out[SANDBOX_NAME_MAX],
				char tld[SANDBOX_NAME_MAX], char *why, size_t whylen)
{
	out[0] = tld[0] = '\0';
	snprintf(why, whylen, "invalid");
	if (!in || !in[0] || strcmp(in, ".") == 0)
		return NAME_EMPTY;
	if (name_lower(in, out, SANDBOX_NAME_MAX - 1) || strlen(out) > DOMAIN_MAX) {
		snprintf(out, SANDBOX_NAME_MAX, "%.*s", DOMAIN_MAX, in);
		snprintf(why, whylen, "the name is longer than %d characters", DOMAIN_MAX);
		return NAME_BAD;
	}
	char abs[SANDBOX_NAME_MAX + 1];
	snprintf(abs, sizeof abs, "%s.", out);
	const char *t = d->cfg.sandbox ? sandbox_tld_of(d->cfg.sandbox, abs) : NULL;
	if (t) {
		name_lower(t, tld, SANDBOX_NAME_MAX);
	} else {
		/* The sandbox parses names as DNS does ("ex ample.com" is no name to it); the
		 * TLD of a name with bad characters is still its last label. */
		const char *last = strrchr(out, '.');
		snprintf(tld, SANDBOX_NAME_MAX, "%s", last ? last + 1 : out);
		if (!offers_tld(d, tld))
			return NAME_NO_TLD;
	}
	for (const char *l = out;;) {
		const char *dot = strchr(l, '.');
		size_t n = dot ? (size_t)(dot - l) : strlen(l);
		const char *p = label_problem(l, n, false);
		if (p) {
			snprintf(why, whylen, "it contains %s", p);
			return NAME_BAD;
		}
		if (!dot)
			break;
		l = dot + 1;
	}
	size_t n = strlen(out), tn = strlen(tld);
	const char *first_dot = strchr(out, '.');
	if (n <= tn + 1 || !first_dot || strcmp(first_dot + 1, tld) != 0) {
		snprintf(why, whylen,
			 "a registrable name is exactly one label under .%s (like example.%s)", tld,
			 tld);
		return NAME_NOT_DIRECT;
	}
	return NAME_OK;
}

static bool is_reserved(const struct domains *d, const char *name)
{
	for (size_t i = 0; i < d->nreserved; i++)
		if (strcmp(d->reserved[i], name) == 0)
			return true;
	return false;
}

static int unsupported_tld(struct domains_error *err, const char *tld)
{
	return fail(err, "UnsupportedTLD",
		    "Amazon Route53 does not support the top-level domain (TLD) `.%s`.", tld);
}

/*
 * The DomainName member for an operation on a domain (not a registration): lower-cased
 * into out. UnsupportedTLD for a TLD the sandbox does not offer, InvalidInput for a name
 * that cannot be a registered domain.
 */
static int in_domain(const struct domains *d, json_t *in, char out[SANDBOX_NAME_MAX],
		     struct domains_error *err)
{
	const char *name;
	if (in_string(in, NULL, "DomainName", true, 255, &name, err))
		return -1;
	char tld[SANDBOX_NAME_MAX], why[160];
	switch (classify(d, name, out, tld, why, sizeof why)) {
	case NAME_OK:
		return 0;
	case NAME_NO_TLD:
		return unsupported_tld(err, tld);
	case NAME_EMPTY:
		return fail(err, "InvalidInput", "DomainName must not be empty");
	default:
		return fail(err, "InvalidInput", "Domain name %s is not valid: %s", out, why);
	}
}

/*
 * A name server's host name (Nameserver.Name): lower case, no final dot, at least two
 * labels of [a-z0-9-_]. 0, or -1 with the reason.
 */
static int host_name(const char *in, char out[SANDBOX_NAME_MAX], char *why, size_t whylen)
{
	if (!in[0] || name_lower(in, out, SANDBOX_NAME_MAX - 1) || !out[0] ||
	    strlen(out) > DOMAIN_MAX) {
		snprintf(why, whylen, "a host name has 1 to %d characters", DOMAIN_MAX);
		return -1;
	}
	if (!strchr(out, '.')) {
		snprintf(why, whylen, "a name server's name must be fully qualified");
		return -1;
	}
	for (const char *l = out;;) {
		const char *dot = strchr(l, '.');
		size_t n = dot ? (size_t)(dot - l) : strlen(l);
		const char *p = label_problem(l, n, true);
		if (p) {
			snprintf(why, whylen, "it contains %s", p);
			return -1;
		}
		if (!dot)
			break;
		l = dot + 1;
	}
	return 0;
}

/* True if host is domain or below it. */
static bool in_bailiwick(const char *host, const char *domain)
{
	size_t h = strlen(host), n = strlen(domain);
	if (h == n)
		return strcmp(host, domain) == 0;
	return h > n && host[h - n - 1] == '.' && strcmp(host + h - n, domain) == 0;
}

/* ---- contacts (ContactDetail, sensitive: validated here, never logged or echoed) ---- */

static const char *const CONTACT_TYPES[] = {"PERSON", "COMPANY", "ASSOCIATION", "PUBLIC_BODY",
					    "RESELLER"};

/* "+[country dialing code].[number]", e.g. "+1.1234567890" (ContactDetail.PhoneNumber). */
static bool phone_ok(const char *p)
{
	if (*p++ != '+')
		return false;
	size_t cc = 0, num = 0;
	while (*p >= '0' && *p <= '9')
		p++, cc++;
	if (cc < 1 || cc > 3 || *p++ != '.')
		return false;
	while (*p >= '0' && *p <= '9')
		p++, num++;
	return *p == '\0' && num >= 4;
}

static bool email_ok(const char *e)
{
	const char *at = strchr(e, '@');
	if (!at || at == e || strchr(at + 1, '@') || at - e > 64)
		return false;
	for (const char *p = e; *p; p++)
		if (*p == ' ' || *p == '<' || *p == '>' || *p == ',' || *p == ';' || *p == '"' ||
		    *p == '(' || *p == ')' || *p == '[' || *p == ']' || *p == '\\')
			return false;
	const char *dom = at + 1;
	const char *dot = strrchr(dom, '.');
	if (!dot || dot == dom || dot[1] == '\0' || dom[0] == '.' || strstr(dom, ".."))
		return false;
	return true;
}

struct contact_member {
	const char *key;
	size_t max;
	bool required;
};

static const struct contact_member CONTACT_MEMBERS[] = {
	{"FirstName", 255, true},    {"LastName", 255, true},
	{"ContactType", 32, true},   {"OrganizationName", 255, false},
	{"AddressLine1", 255, true}, {"AddressLine2", 255, false},
	{"City", 255, true},         {"State", 255, false},
	{"CountryCode", 2, true},    {"ZipCode", 255, false},
	{"PhoneNumber", 30, true},   {"Email", 254, true},
	{"Fax", 30, false},
};

/*
 * Validates a ContactDetail member `which` ("AdminContact") of `in` the way Route 53 does
 * and returns a clean copy (known members only) in *out. Missing: *out NULL, and an error
 * only if required.
 */
static int in_contact(json_t *in, const char *which, bool required, json_t **out,
		      struct domains_error *err)
{
	*out = NULL;
	json_t *c = json_object_get(in, which);
	if (!c || json_is_null(c))
		return required ? missing(err, NULL, which) : 0;
	if (!json_is_object(c))
		return wrong_type(err, NULL, which, "an object (ContactDetail)");
	char prefix[64];
	member_path(NULL, which, prefix, sizeof prefix);
	json_t *o = json_object();
	if (!o)
		return fail(err, "InternalFailure", "out of memory");
	const char *v[NELEMS(CONTACT_MEMBERS)];
	for (size_t i = 0; i < NELEMS(CONTACT_MEMBERS); i++) {
		const struct contact_member *m = &CONTACT_MEMBERS[i];
		if (in_string(c, prefix, m->key, false, m->max, &v[i], err))
			goto out_free;
		if (m->required && (!v[i] || !v[i][0])) {
			fail(err, "InvalidInput", "%s.%s is required", which, m->key);
			goto out_free;
		}
		if (v[i] && v[i][0])
			json_object_set_new(o, m->key, json_string(v[i]));
	}
	const char *type = json_string_value(json_object_get(o, "ContactType"));
	if (!in_table(CONTACT_TYPES, NELEMS(CONTACT_TYPES), type)) {
		fail(err, "InvalidInput",
		     "%s.ContactType must be one of PERSON, COMPANY, ASSOCIATION, PUBLIC_BODY, "
		     "RESELLER",
		     which);
		goto out_free;
	}
	if (strcmp(type, "PERSON") != 0 && !json_object_get(o, "OrganizationName")) {
		fail(err, "InvalidInput",
		     "%s.OrganizationName is required when ContactType is not PERSON", which);
		goto out_free;
	}
	const char *cc = json_string_value(json_object_get(o, "CountryCode"));
	if (!in_table(COUNTRY_CODES, NELEMS(COUNTRY_CODES), cc)) {
		fail(err, "InvalidInput",
		     "%s.CountryCode is not a valid country code (ISO 3166-1 alpha-2, upper "
		     "case, e.g. US)",
		     which);
		goto out_free;
	}
	const char *phone = json_string_value(json_object_get(o, "PhoneNumber"));
	if (!phone_ok(phone)) {
		fail(err, "InvalidInput",
		     "%s.PhoneNumber must be in the format +[country dialing code].[number "
		     "including any area code], e.g. +1.1234567890",
		     which);
		goto out_free;
	}
	const char *fax = json_string_value(json_object_get(o, "Fax"));
	if (fax && !phone_ok(fax)) {
		fail(err, "InvalidInput",
		     "%s.Fax must be in the format +[country dialing code].[number including "
		     "any area code], e.g. +1.1234567890",
		     which);
		goto out_free;
	}
	if (!email_ok(json_string_value(json_object_get(o, "Email")))) {
		fail(err, "InvalidInput", "%s.Email is not a valid email address", which);
		goto out_free;
	}
	json_t *extra = json_object_get(c, "ExtraParams");
	if (extra && !json_is_null(extra)) {
		if (!json_is_array(extra)) {
			wrong_type(err, prefix, "ExtraParams", "a list");
			goto out_free;
		}
		if (json_array_size(extra) > NELEMS(EXTRA_PARAM_NAMES)) {
			fail(err, "InvalidInput", "%s.ExtraParams has too many entries", which);
			goto out_free;
		}
		json_t *list = json_array();
		json_object_set_new(o, "ExtraParams", list);
		size_t i;
		json_t *p;
		json_array_foreach(extra, i, p)
		{
			char pp[96];
			snprintf(pp, sizeof pp, "%s.extraParams", prefix);
			const char *name, *value;
			if (!json_is_object(p)) {
				wrong_type(err, prefix, "ExtraParams", "a list of objects");
				goto out_free;
			}
			if (in_string(p, pp, "Name", true, 64, &name, err) ||
			    in_string(p, pp, "Value", true, 2048, &value, err))
				goto out_free;
			if (!in_table(EXTRA_PARAM_NAMES, NELEMS(EXTRA_PARAM_NAMES), name)) {
				fail(err, "InvalidInput", "%s.ExtraParams: unknown Name", which);
				goto out_free;
			}
			json_t *e = json_object();
			json_object_set_new(e, "Name", json_string(name));
			json_object_set_new(e, "Value", json_string(value));
			json_array_append_new(list, e);
		}
	}
	*out = o;
	return 0;
out_free:
	json_decref(o);
	return -1;
}

/* ---- name servers (UpdateDomainNameservers) ---- */

/*
 * Validates a NameserverList for `domain` into a clean JSON list [{Name, GlueIps}]: 1 to 13
 * distinct host names; GlueIps (at most one IPv4 and one IPv6 address) exactly for names at
 * or below the domain itself (route53-api.md §4.3), since the registry publishes glue only
 * for those.
 */
static int in_nameservers(json_t *in, const char *domain, json_t **out, struct domains_error *err)
{
	*out = NULL;
	json_t *list = json_object_get(in, "Nameservers");
	if (!list || json_is_null(list))
		return missing(err, NULL, "Nameservers");
	if (!json_is_array(list))
		return wrong_type(err, NULL, "Nameservers", "a list");
	size_t n = json_array_size(list);
	if (n < 1 || n > MAX_NAMESERVERS)
		return fail(err, "InvalidInput", "Nameservers must list 1 to %d name servers",
			    MAX_NAMESERVERS);
	json_t *o = json_array();
	if (!o)
		return fail(err, "InternalFailure", "out of memory");
	size_t i;
	json_t *ns;
	json_array_foreach(list, i, ns)
	{
		if (!json_is_object(ns)) {
			wrong_type(err, NULL, "Nameservers", "a list of objects");
			goto out_free;
		}
		const char *name;
		if (in_string(ns, "nameservers", "Name", true, 255, &name, err))
			goto out_free;
		char host[SANDBOX_NAME_MAX], why[160];
		if (host_name(name, host, why, sizeof why)) {
			fail(err, "InvalidInput", "Name server %s is not a valid host name: %s",
			     name, why);
			goto out_free;
		}
		for (size_t j = 0; j < json_array_size(o); j++)
			if (strcmp(json_string_value(json_object_get(json_array_get(o, j), "Name")),
				   host) == 0) {
				fail(err, "InvalidInput", "Name server %s is listed twice", host);
				goto out_free;
			}
		json_t *glue = json_object_get(ns, "GlueIps");
		json_t *ips = json_array();
		json_t *entry = json_object();
		json_object_set_new(entry, "Name", json_string(host));
		json_object_set_new(entry, "GlueIps", ips);
		json_array_append_new(o, entry);
		bool v4 = false, v6 = false;
		if (glue && !json_is_null(glue)) {
			if (!json_is_array(glue)) {
				wrong_type(err, "nameservers", "GlueIps", "a list");
				goto out_free;
			}
			size_t k;
			json_t *ip;
			json_array_foreach(glue, k, ip)
			{
				const char *s = json_string_value(ip);
				uint8_t buf[16];
				char text[INET6_ADDRSTRLEN];
				if (s && strlen(s) <= 45 && inet_pton(AF_INET, s, buf) == 1 &&
				    !v4) {
					v4 = true;
					inet_ntop(AF_INET, buf, text, sizeof text);
				} else if (s && strlen(s) <= 45 &&
					   inet_pton(AF_INET6, s, buf) == 1 && !v6) {
					v6 = true;
					inet_ntop(AF_INET6, buf, text, sizeof text);
				} else {
					fail(err, "InvalidInput",
					     "GlueIps of %s must be at most one IPv4 and one IPv6 "
					     "address",
					     host);
					goto out_free;
				}
				json_array_append_new(ips, json_string(text));
			}
		}
		bool inside = in_bailiwick(host, domain);
		if (inside && !v4 && !v6) {
			fail(err, "InvalidInput",
			     "Name server %s is a subdomain of %s, so it needs GlueIps", host,
			     domain);
			goto out_free;
		}
		if (!inside && (v4 || v6)) {
			fail(err, "InvalidInput",
			     "GlueIps are only for name servers inside %s, not for %s", domain,
			     host);
			goto out_free;
		}
	}
	*out = o;
	return 0;
out_free:
	json_decref(o);
	return -1;
}

/* ---- the store: registry_meta, domains, domain_operations (api/domains_schema.h) ---- */

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

static void copy_col(char *out, size_t len, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	snprintf(out, len, "%s", s ? (const char *)s : "");
}

static json_t *json_col(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	json_t *v = s ? json_loads(s, 0, NULL) : NULL;
	return v;
}

/* A statement run to completion (no rows wanted): 0 or -1. */
static int exec_done(sqlite3_stmt *st)
{
	if (!st)
		return -1;
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int meta_set(struct domains *d, const char *key, const char *value)
{
	sqlite3_stmt *st =
		store_stmt(d->store, "INSERT INTO registry_meta(key, value) VALUES(?, ?) "
				     "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
	if (!st)
		return -1;
	bind_text(st, 1, key);
	bind_text(st, 2, value);
	return exec_done(st);
}

static int64_t query_int(struct domains *d, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st = store_stmt(d->store, sql);
	if (!st)
		return -1;
	if (a)
		bind_text(st, 1, a);
	if (b)
		bind_text(st, 2, b);
	int64_t v = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

struct domain_row {
	char name[SANDBOX_NAME_MAX];
	char tld[SANDBOX_NAME_MAX];
	char state[16]; /* "pending" (registration under way), "active", "expired" */
	double created, updated, expires;
	bool auto_renew, transfer_lock;
	json_t *contacts;    /* {"Admin": ContactDetail, "Registrant", "Tech", "Billing"?} */
	json_t *privacy;     /* {"Admin": bool, ...} */
	json_t *nameservers; /* [{Name, GlueIps}] */
	char hosted_zone_id[R53_ID_MAX];
	char registry_id[64];
};

static void domain_row_free(struct domain_row *r)
{
	json_decref(r->contacts);
	json_decref(r->privacy);
	json_decref(r->nameservers);
	r->contacts = r->privacy = r->nameservers = NULL;
}

#define DOMAIN_COLUMNS                                                                             \
	"name, tld, state, created, updated, expires, auto_renew, transfer_lock, contacts, "       \
	"privacy, nameservers, hosted_zone_id, registry_id"

static int read_domain(sqlite3_stmt *st, struct domain_row *r)
{
	memset(r, 0, sizeof *r);
	copy_col(r->name, sizeof r->name, st, 0);
	copy_col(r->tld, sizeof r->tld, st, 1);
	copy_col(r->state, sizeof r->state, st, 2);
	r->created = sqlite3_column_double(st, 3);
	r->updated = sqlite3_column_double(st, 4);
	r->expires = sqlite3_column_double(st, 5);
	r->auto_renew = sqlite3_column_int(st, 6) != 0;
	r->transfer_lock = sqlite3_column_int(st, 7) != 0;
	r->contacts = json_col(st, 8);
	r->privacy = json_col(st, 9);
	r->nameservers = json_col(st, 10);
	copy_col(r->hosted_zone_id, sizeof r->hosted_zone_id, st, 11);
	copy_col(r->registry_id, sizeof r->registry_id, st, 12);
	if (!r->contacts || !r->privacy || !r->nameservers) {
		domain_row_free(r);
		return -1;
	}
	return 0;
}

/* 1 with *r filled (free with domain_row_free), 0 if there is no such domain, -1 on error. */
static int load_domain(struct domains *d, const char *name, struct domain_row *r)
{
	sqlite3_stmt *st =
		store_stmt(d->store, "SELECT " DOMAIN_COLUMNS " FROM domains WHERE name = ?");
	if (!st)
		return -1;
	bind_text(st, 1, name);
	int rc = sqlite3_step(st);
	int found = 0;
	if (rc == SQLITE_ROW)
		found = read_domain(st, r) == 0 ? 1 : -1;
	else if (rc != SQLITE_DONE)
		found = -1;
	sqlite3_reset(st);
	return found;
}

static int save_domain(struct domains *d, const struct domain_row *r)
{
	char *contacts = json_dumps(r->contacts, JSON_COMPACT | JSON_SORT_KEYS);
	char *privacy = json_dumps(r->privacy, JSON_COMPACT | JSON_SORT_KEYS);
	char *ns = json_dumps(r->nameservers, JSON_COMPACT);
	int rc = -1;
	sqlite3_stmt *st = store_stmt(
		d->store,
		"INSERT INTO domains(" DOMAIN_COLUMNS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?) "
		"ON CONFLICT(name) DO UPDATE SET tld = excluded.tld, state = "
		"excluded.state, created = excluded.created, updated = excluded.updated, "
		"expires = excluded.expires, auto_renew = excluded.auto_renew, "
		"transfer_lock = excluded.transfer_lock, contacts = excluded.contacts, "
		"privacy = excluded.privacy, nameservers = excluded.nameservers, "
		"hosted_zone_id = excluded.hosted_zone_id, registry_id = "
		"excluded.registry_id");
	if (st && contacts && privacy && ns) {
		bind_text(st, 1, r->name);
		bind_text(st, 2, r->tld);
		bind_text(st, 3, r->state);
		sqlite3_bind_double(st, 4, r->created);
		sqlite3_bind_double(st, 5, r->updated);
		sqlite3_bind_double(st, 6, r->expires);
		sqlite3_bind_int(st, 7, r->auto_renew);
		sqlite3_bind_int(st, 8, r->transfer_lock);
		bind_text(st, 9, contacts);
		bind_text(st, 10, privacy);
		bind_text(st, 11, ns);
		bind_text(st, 12, r->hosted_zone_id);
		bind_text(st, 13, r->registry_id);
		rc = exec_done(st);
	}
	free(contacts);
	free(privacy);
	free(ns);
	return rc;
}

static int delete_domain_row(struct domains *d, const char *name)
{
	sqlite3_stmt *st = store_stmt(d->store, "DELETE FROM domains WHERE name = ?");
	if (!st)
		return -1;
	bind_text(st, 1, name);
	return exec_done(st);
}

struct op_row {
	char id[40];
	int64_t seq;
	char domain[SANDBOX_NAME_MAX];
	char type[40];
	char status[16];
	char message[512];
	char flag[40];
	double submitted, updated;
	json_t *params;
};

#define OP_COLUMNS "id, seq, domain, type, status, message, flag, submitted, updated, params"

static void read_op(sqlite3_stmt *st, struct op_row *o)
{
	memset(o, 0, sizeof *o);
	copy_col(o->id, sizeof o->id, st, 0);
	o->seq = sqlite3_column_int64(st, 1);
	copy_col(o->domain, sizeof o->domain, st, 2);
	copy_col(o->type, sizeof o->type, st, 3);
	copy_col(o->status, sizeof o->status, st, 4);
	copy_col(o->message, sizeof o->message, st, 5);
	copy_col(o->flag, sizeof o->flag, st, 6);
	o->submitted = sqlite3_column_double(st, 7);
	o->updated = sqlite3_column_double(st, 8);
	o->params = json_col(st, 9);
	if (!o->params)
		o->params = json_object();
}

/* Records an operation (inside the caller's transaction); its id into id_out. */
static int insert_op(struct domains *d, const char *domain, const char *type, const char *status,
		     const char *message, json_t *params, char id_out[37])
{
	char id[37];
	new_uuid(id);
	char *p = params ? json_dumps(params, JSON_COMPACT) : strdup("{}");
	double now = now_of(d);
	sqlite3_stmt *st = store_stmt(d->store, "INSERT INTO domain_operations(" OP_COLUMNS
						") VALUES(?,?,?,?,?,?,?,?,?,?)");
	int rc = -1;
	if (st && p) {
		bind_text(st, 1, id);
		sqlite3_bind_int64(st, 2, d->next_seq);
		bind_text(st, 3, domain);
		bind_text(st, 4, type);
		bind_text(st, 5, status);
		bind_text(st, 6, message ? message : "");
		bind_text(st, 7, "");
		sqlite3_bind_double(st, 8, now);
		sqlite3_bind_double(st, 9, now);
		bind_text(st, 10, p);
		rc = exec_done(st);
	}
	free(p);
	if (rc == 0) {
		d->next_seq++;
		if (id_out)
			memcpy(id_out, id, sizeof id);
	}
	return rc;
}

static int set_op_status(struct domains *d, const char *id, const char *status, const char *message)
{
	sqlite3_stmt *st = store_stmt(d->store, "UPDATE domain_operations SET status = ?, message "
						"= ?, updated = ? WHERE id = ?");
	if (!st)
		return -1;
	bind_text(st, 1, status);
	bind_text(st, 2, message ? message : "");
	sqlite3_bind_double(st, 3, now_of(d));
	bind_text(st, 4, id);
	return exec_done(st);
}

/* 1 with *o filled (json_decref(o->params) after), 0 if absent, -1 on error. */
static int load_op(struct domains *d, const char *id, struct op_row *o)
{
	sqlite3_stmt *st =
		store_stmt(d->store, "SELECT " OP_COLUMNS " FROM domain_operations WHERE id = ?");
	if (!st)
		return -1;
	bind_text(st, 1, id);
	int rc = sqlite3_step(st);
	int found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
	if (found == 1)
		read_op(st, o);
	sqlite3_reset(st);
	return found;
}

/* The oldest unfinished operation: 1, 0 if none, -1 on error. */
static int next_op(struct domains *d, struct op_row *o)
{
	sqlite3_stmt *st = store_stmt(d->store, "SELECT " OP_COLUMNS " FROM domain_operations "
						"WHERE status IN ('SUBMITTED', 'IN_PROGRESS') "
						"ORDER BY seq LIMIT 1");
	if (!st)
		return -1;
	int rc = sqlite3_step(st);
	int found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
	if (found == 1)
		read_op(st, o);
	sqlite3_reset(st);
	return found;
}

static json_t *jtime(double t)
{
	return json_real(t);
}

/* GetOperationDetail's members, which ListOperations' OperationSummary shares. */
static json_t *op_json(const struct op_row *o)
{
	json_t *j = json_object();
	json_object_set_new(j, "OperationId", json_string(o->id));
	json_object_set_new(j, "Status", json_string(o->status));
	if (o->message[0])
		json_object_set_new(j, "Message", json_string(o->message));
	json_object_set_new(j, "DomainName", json_string(o->domain));
	json_object_set_new(j, "Type", json_string(o->type));
	json_object_set_new(j, "SubmittedDate", jtime(o->submitted));
	json_object_set_new(j, "LastUpdatedDate", jtime(o->updated));
	if (o->flag[0])
		json_object_set_new(j, "StatusFlag", json_string(o->flag));
	return j;
}

/* DuplicateRequest applies while an operation of the same type is unfinished for the domain. */
static int check_duplicate(struct domains *d, const char *domain, const char *type,
			   struct domains_error *err)
{
	int64_t n =
		query_int(d,
			  "SELECT COUNT(*) FROM domain_operations WHERE domain = ? AND type = ? "
			  "AND status IN ('SUBMITTED', 'IN_PROGRESS')",
			  domain, type);
	if (n < 0)
		return internal(d, err, "looking for operations in progress");
	if (n > 0)
		return fail(err, "DuplicateRequest",
			    "The request is already in progress for the domain.");
	n = query_int(d,
		      "SELECT COUNT(*) FROM domain_operations WHERE status IN ('SUBMITTED', "
		      "'IN_PROGRESS')",
		      NULL, NULL);
	if (n < 0)
		return internal(d, err, "counting operations in progress");
	if (n >= MAX_PENDING_OPS)
		return fail(err, "OperationLimitExceeded",
			    "The number of operations or jobs running exceeded the allowed "
			    "threshold for the account.");
	return 0;
}

/* ---- delegations in the TLD zones ---- */

/*
 * Makes the TLD zone's delegation of `name` what the store says (with the caller's
 * uncommitted changes): the name servers of an active domain, nothing otherwise. Caller holds
 * d->lock (sandbox_delegate wants one thread at a time).
 */
static int sync_delegation(struct domains *d, const char *name, char *why, size_t whylen)
{
	if (!d->cfg.sandbox)
		return 0;
	struct domain_row r;
	int found = load_domain(d, name, &r);
	if (found < 0) {
		snprintf(why, whylen, "reading the domain: %s",
			 sqlite3_errmsg(store_sqlite(d->store)));
		return -1;
	}
	struct sandbox_ns *ns = calloc(MAX_NAMESERVERS, sizeof *ns);
	if (!ns) {
		if (found)
			domain_row_free(&r);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	size_t n = 0;
	if (found && strcmp(r.state, "active") == 0) {
		size_t i;
		json_t *e;
		json_array_foreach(r.nameservers, i, e)
		{
			if (n == MAX_NAMESERVERS)
				break;
			snprintf(ns[n].name, sizeof ns[n].name, "%s.",
				 json_string_value(json_object_get(e, "Name")));
			size_t k;
			json_t *ip;
			json_array_foreach(json_object_get(e, "GlueIps"), k, ip)
			{
				if (ns[n].nglue < NELEMS(ns[n].glue))
					snprintf(ns[n].glue[ns[n].nglue++], sizeof ns[n].glue[0],
						 "%s", json_string_value(ip));
			}
			n++;
		}
	}
	if (found)
		domain_row_free(&r);
	char abs[SANDBOX_NAME_MAX + 1];
	snprintf(abs, sizeof abs, "%s.", name);
	int rc = sandbox_delegate(d->cfg.sandbox, abs, ns, n, why, whylen);
	free(ns);
	if (rc == 0 && d->cfg.delegation_changed)
		d->cfg.delegation_changed(d->cfg.delegation_ctx, abs);
	return rc == 0 ? 0 : -1;
}

/* ---- the worker: carrying operations out ---- */

static void strip_dot(const char *in, char *out, size_t len)
{
	snprintf(out, len, "%s", in);
	size_t n = strlen(out);
	if (n > 1 && out[n - 1] == '.')
		out[n - 1] = '\0';
}

/* The zone an earlier attempt of this operation created (CallerReference is unique). */
static int find_zone_by_ref(struct domains *d, const char *name, const char *ref,
			    struct r53_zone *zone, char *why, size_t whylen)
{
	char dns_name[R53_NAME_MAX], zone_id[R53_ID_MAX] = "";
	snprintf(dns_name, sizeof dns_name, "%s.", name);
	for (int page = 0; page < 100; page++) {
		struct r53_zone_list l = {0};
		struct r53_error e = {0};
		if (r53_list_hosted_zones_by_name(d->cfg.r53, dns_name, zone_id, 100, &l, &e)) {
			snprintf(why, whylen, "looking up the hosted zone: %s",
				 e.message ? e.message : e.code);
			r53_error_clear(&e);
			return -1;
		}
		bool more = l.truncated && strcmp(l.next_dns_name, dns_name) == 0;
		for (size_t i = 0; i < l.n; i++) {
			char zn[R53_NAME_MAX];
			strip_dot(l.zones[i].name, zn, sizeof zn);
			if (strcmp(zn, name) != 0) {
				more = false;
				break;
			}
			if (strcmp(l.zones[i].caller_reference, ref) == 0) {
				*zone = l.zones[i];
				r53_zone_list_free(&l);
				return 0;
			}
		}
		snprintf(zone_id, sizeof zone_id, "%s", l.next_zone_id);
		r53_zone_list_free(&l);
		if (!more)
			break;
	}
	snprintf(why, whylen, "the hosted zone with CallerReference %.128s was not found", ref);
	return -1;
}

/*
 * The hosted zone of a registration, created through the Route 53 engine like
 * CreateHostedZone; its CallerReference comes from the operation id, so a resumed operation
 * finds the zone it already made instead of making a second one.
 */
static int registration_zone(struct domains *d, const struct op_row *op, struct r53_zone *zone,
			     char *why, size_t whylen)
{
	if (!d->cfg.r53) {
		snprintf(why, whylen, "no Route 53 engine to create the hosted zone");
		return -1;
	}
	struct r53_create_zone *req = calloc(1, sizeof *req);
	if (!req) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	snprintf(req->name, sizeof req->name, "%s.", op->domain);
	snprintf(req->caller_reference, sizeof req->caller_reference, CALLER_REF_PREFIX "%s",
		 op->id);
	snprintf(req->comment, sizeof req->comment, ZONE_COMMENT);
	req->has_comment = true;
	struct r53_change_info ci;
	struct r53_error e = {0};
	int rc = r53_create_hosted_zone(d->cfg.r53, req, zone, &ci, &e);
	if (rc != 0 && strcmp(e.code, "HostedZoneAlreadyExists") == 0)
		rc = find_zone_by_ref(d, op->domain, req->caller_reference, zone, why, whylen);
	else if (rc != 0)
		snprintf(why, whylen, "creating the hosted zone failed: %s: %s", e.code,
			 e.message ? e.message : "");
	r53_error_clear(&e);
	free(req);
	return rc;
}

static void time_text(double t, char *out, size_t len)
{
	time_t s = whole_seconds(t);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The operation's change to the domain's row (inside the caller's transaction). */
static int apply(struct domains *d, const struct op_row *op, const struct r53_zone *zone, char *msg,
		 size_t msglen, char *why, size_t whylen)
{
	struct domain_row r;
	int found = load_domain(d, op->domain, &r);
	if (found < 0) {
		snprintf(why, whylen, "reading the domain: %s",
			 sqlite3_errmsg(store_sqlite(d->store)));
		return -1;
	}
	const char *type = op->type;
	if (!found) {
		if (strcmp(type, "DELETE_DOMAIN") == 0) {
			snprintf(msg, msglen, "Domain %s was already deleted", op->domain);
			return 0;
		}
		snprintf(why, whylen, "Domain %s is not registered in this account", op->domain);
		return -1;
	}
	int rc = 0;
	r.updated = now_of(d);
	if (strcmp(type, "REGISTER_DOMAIN") == 0) {
		if (strcmp(r.state, "pending") != 0) {
			snprintf(why, whylen, "Domain %s is not waiting for registration",
				 op->domain);
			rc = -1;
			goto out;
		}
		json_t *ns = json_array();
		for (int i = 0; i < R53_NS_COUNT; i++) {
			char n[R53_NAME_MAX];
			strip_dot(zone->name_servers[i], n, sizeof n);
			json_t *e = json_object();
			json_object_set_new(e, "Name", json_string(n));
			json_object_set_new(e, "GlueIps", json_array());
			json_array_append_new(ns, e);
		}
		json_decref(r.nameservers);
		r.nameservers = ns;
		snprintf(r.hosted_zone_id, sizeof r.hosted_zone_id, "%s", zone->id);
		snprintf(r.state, sizeof r.state, "active");
		snprintf(msg, msglen, "Domain %s registered; hosted zone %s serves it", op->domain,
			 zone->id);
	} else if (strcmp(type, "DELETE_DOMAIN") == 0) {
		rc = delete_domain_row(d, op->domain);
		snprintf(msg, msglen, "Domain %s deleted; its hosted zone was kept", op->domain);
		goto out;
	} else if (strcmp(type, "UPDATE_NAMESERVER") == 0) {
		json_t *ns = json_object_get(op->params, "Nameservers");
		if (!json_is_array(ns)) {
			snprintf(why, whylen, "the operation has no name servers");
			rc = -1;
			goto out;
		}
		json_decref(r.nameservers);
		r.nameservers = json_deep_copy(ns);
		snprintf(msg, msglen, "Name servers of %s updated", op->domain);
	} else if (strcmp(type, "UPDATE_DOMAIN_CONTACT") == 0) {
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(op->params, "Contacts"), k, v)
			json_object_set(r.contacts, k, v);
		snprintf(msg, msglen, "Contacts of %s updated", op->domain);
	} else if (strcmp(type, "DOMAIN_LOCK") == 0) {
		r.transfer_lock = json_is_true(json_object_get(op->params, "Lock"));
		snprintf(msg, msglen, "Transfer lock of %s %s", op->domain,
			 r.transfer_lock ? "enabled" : "disabled");
	} else if (strcmp(type, "RENEW_DOMAIN") == 0) {
		json_int_t years =
			json_integer_value(json_object_get(op->params, "DurationInYears"));
		if (years < 1 || years > 10)
			years = 1;
		r.expires = add_years(r.expires, (int)years);
		if (strcmp(r.state, "expired") == 0)
			snprintf(r.state, sizeof r.state, "active");
		char when[32];
		time_text(r.expires, when, sizeof when);
		snprintf(msg, msglen, "Domain %s renewed for %d year%s; it now expires %s",
			 op->domain, (int)years, years == 1 ? "" : "s", when);
	} else {
		snprintf(why, whylen, "signpost does not carry out %s operations", type);
		rc = -1;
		goto out;
	}
	if (save_domain(d, &r)) {
		snprintf(why, whylen, "saving the domain: %s",
			 sqlite3_errmsg(store_sqlite(d->store)));
		rc = -1;
	}
out:
	domain_row_free(&r);
	return rc;
}

/*
 * Carries out an IN_PROGRESS operation: SUCCESSFUL, or FAILED with the reason (a failed
 * registration frees the name again). False if not even the failure could be recorded (the
 * store is failing: the worker waits before trying again).
 */
static bool perform(struct domains *d, const struct op_row *op)
{
	char why[512] = "", msg[512] = "", ignored[256];
	bool ok = true;
	struct r53_zone *zone = NULL;
	if (strcmp(op->type, "REGISTER_DOMAIN") == 0) {
		zone = calloc(1, sizeof *zone);
		if (!zone)
			snprintf(why, sizeof why, "out of memory");
		ok = zone && registration_zone(d, op, zone, why, sizeof why) == 0;
	}
	if (ok) {
		if (store_begin(d->store)) {
			snprintf(why, sizeof why, "starting a transaction: %s",
				 sqlite3_errmsg(store_sqlite(d->store)));
			ok = false;
		} else {
			ok = apply(d, op, zone, msg, sizeof msg, why, sizeof why) == 0 &&
			     sync_delegation(d, op->domain, why, sizeof why) == 0;
			if (ok && (set_op_status(d, op->id, "SUCCESSFUL", msg) ||
				   store_commit(d->store))) {
				snprintf(why, sizeof why, "recording the result: %s",
					 sqlite3_errmsg(store_sqlite(d->store)));
				ok = false;
			}
			if (!ok) {
				store_rollback(d->store);
				sync_delegation(d, op->domain, ignored, sizeof ignored);
			}
		}
	}
	free(zone);
	if (ok) {
		log_info("domains: operation %s %s %s: SUCCESSFUL", op->id, op->type, op->domain);
		return true;
	}
	log_warn("domains: operation %s %s %s: FAILED: %s", op->id, op->type, op->domain, why);
	if (store_begin(d->store))
		return false;
	int rc = 0;
	if (strcmp(op->type, "REGISTER_DOMAIN") == 0) {
		struct domain_row r;
		int found = load_domain(d, op->domain, &r);
		if (found == 1) {
			if (strcmp(r.state, "pending") == 0)
				rc = delete_domain_row(d, op->domain);
			domain_row_free(&r);
		}
		rc |= found < 0 ? -1 : 0;
	}
	if (rc || set_op_status(d, op->id, "FAILED", why) || store_commit(d->store)) {
		store_rollback(d->store);
		return false;
	}
	return true;
}

/*
 * One step of the oldest unfinished operation: SUBMITTED → IN_PROGRESS → SUCCESSFUL/FAILED,
 * honouring HoldOperations. Returns true if it moved something (call again).
 */
static bool worker_step(struct domains *d)
{
	struct op_row op;
	if (next_op(d, &op) != 1)
		return false;
	bool moved = false;
	if (strcmp(op.status, "SUBMITTED") == 0) {
		if (d->hold && !d->hold_in_progress)
			goto out;
		if (store_begin(d->store) || set_op_status(d, op.id, "IN_PROGRESS", "") ||
		    store_commit(d->store)) {
			store_rollback(d->store);
			log_err("domains: starting operation %s: %s", op.id,
				sqlite3_errmsg(store_sqlite(d->store)));
			goto out;
		}
		moved = true;
	}
	if (d->hold && d->hold_in_progress)
		goto out;
	moved = perform(d, &op);
out:
	json_decref(op.params);
	return moved;
}

/* ---- expiry on the virtual clock ---- */

/* One expired domain: renewed a year at a time if AutoRenew, else expired and undelegated. */
static void expire_one(struct domains *d, const char *name, double now)
{
	char why[256];
	if (store_begin(d->store))
		return;
	struct domain_row r;
	int found = load_domain(d, name, &r);
	if (found != 1 || strcmp(r.state, "active") != 0 || r.expires > now) {
		if (found == 1)
			domain_row_free(&r);
		store_rollback(d->store);
		return;
	}
	int rc = 0;
	char msg[512], when[32];
	if (r.auto_renew) {
		for (int y = 0; y < MAX_AUTORENEW_YEARS && r.expires <= now && rc == 0; y++) {
			time_text(r.expires, when, sizeof when);
			r.expires = add_years(r.expires, 1);
			snprintf(msg, sizeof msg,
				 "Domain %s renewed automatically for 1 year (AutoRenew) at its "
				 "expiry, %s",
				 name, when);
			rc = insert_op(d, name, "RENEW_DOMAIN", "SUCCESSFUL", msg, NULL, NULL);
		}
	} else {
		time_text(r.expires, when, sizeof when);
		snprintf(r.state, sizeof r.state, "expired");
		snprintf(msg, sizeof msg,
			 "Domain %s expired at %s with AutoRenew off; its delegation was removed",
			 name, when);
		rc = insert_op(d, name, "EXPIRE_DOMAIN", "SUCCESSFUL", msg, NULL, NULL);
	}
	r.updated = now;
	if (rc || save_domain(d, &r) || sync_delegation(d, name, why, sizeof why) ||
	    store_commit(d->store)) {
		log_err("domains: expiring %s: %s", name, sqlite3_errmsg(store_sqlite(d->store)));
		store_rollback(d->store);
		sync_delegation(d, name, why, sizeof why);
	} else {
		log_info("domains: %s %s", name,
			 r.auto_renew ? "renewed automatically" : "expired");
	}
	domain_row_free(&r);
}

/* Names of active domains (only those expired by `until` when `expiring`), copied out of the
 * statement so that the caller may run others for each. */
struct name_list {
	char (*names)[SANDBOX_NAME_MAX]; /* malloc'd */
	size_t n;
};

static void active_domains(struct domains *d, bool expiring, double until, struct name_list *out)
{
	out->names = NULL;
	out->n = 0;
	sqlite3_stmt *st = store_stmt(
		d->store,
		expiring ? "SELECT name FROM domains WHERE state = 'active' AND expires <= "
			   "? ORDER BY name"
			 : "SELECT name FROM domains WHERE state = 'active' ORDER BY name");
	if (!st)
		return;
	if (expiring)
		sqlite3_bind_double(st, 1, until);
	size_t cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (out->n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			void *p = realloc(out->names, ncap * sizeof *out->names);
			if (!p)
				break;
			out->names = p;
			cap = ncap;
		}
		copy_col(out->names[out->n++], SANDBOX_NAME_MAX, st, 0);
	}
	sqlite3_reset(st);
}

static void sweep(struct domains *d)
{
	double now = now_of(d);
	struct name_list l;
	active_domains(d, true, now, &l);
	for (size_t i = 0; i < l.n; i++)
		expire_one(d, l.names[i], now);
	free(l.names);
}

static void *worker_main(void *arg)
{
	struct domains *d = arg;
	pthread_mutex_lock(&d->lock);
	double next_sweep = 0;
	while (!d->stop) {
		if (monotonic() >= next_sweep) {
			sweep(d);
			next_sweep = monotonic() + SWEEP_INTERVAL_S;
		}
		if (worker_step(d))
			continue;
		double wait = next_sweep - monotonic();
		if (wait > 0) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			double until = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + wait;
			ts.tv_sec = (time_t)until;
			ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
			pthread_cond_timedwait(&d->wake, &d->lock, &ts);
		}
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* ---- operations (each called with d->lock held) ---- */

static int submit(struct domains *d, const char *domain, const char *type, json_t *params,
		  json_t **output, struct domains_error *err)
{
	char id[37];
	int rc = 0;
	if (store_begin(d->store)) {
		rc = internal(d, err, "starting a transaction");
	} else if (insert_op(d, domain, type, "SUBMITTED", "", params, id) ||
		   store_commit(d->store)) {
		rc = internal(d, err, "recording the operation");
		store_rollback(d->store);
	}
	json_decref(params);
	if (rc)
		return rc;
	pthread_cond_signal(&d->wake);
	*output = json_pack("{s:s}", "OperationId", id);
	return 0;
}

/* AVAILABLE or UNAVAILABLE for a registrable name; NULL on a store error. */
static const char *availability(struct domains *d, const char *name)
{
	if (is_reserved(d, name))
		return "UNAVAILABLE";
	int64_t n = query_int(d, "SELECT COUNT(*) FROM domains WHERE name = ?", name, NULL);
	if (n < 0)
		return NULL;
	return n ? "UNAVAILABLE" : "AVAILABLE";
}

static int find_domain(struct domains *d, json_t *in, struct domain_row *r,
		       struct domains_error *err)
{
	char name[SANDBOX_NAME_MAX];
	if (in_domain(d, in, name, err))
		return -1;
	int found = load_domain(d, name, r);
	if (found < 0)
		return internal(d, err, "reading the domain");
	if (!found)
		return fail(err, "InvalidInput", "Domain %s not found in this account.", name);
	return 0;
}

static int op_check_availability(struct domains *d, json_t *in, json_t **out,
				 struct domains_error *err)
{
	const char *name, *idn;
	if (in_string(in, NULL, "DomainName", true, 255, &name, err) ||
	    in_string(in, NULL, "IdnLangCode", false, 3, &idn, err))
		return -1;
	char norm[SANDBOX_NAME_MAX], tld[SANDBOX_NAME_MAX], why[160];
	const char *a = "INVALID_NAME_FOR_TLD";
	switch (classify(d, name, norm, tld, why, sizeof why)) {
	case NAME_EMPTY:
		return fail(err, "InvalidInput", "DomainName must not be empty");
	case NAME_NO_TLD:
		return unsupported_tld(err, tld);
	case NAME_OK:
		a = availability(d, norm);
		if (!a)
			return internal(d, err, "reading the registry");
		break;
	default:
		break;
	}
	*out = json_pack("{s:s}", "Availability", a);
	return 0;
}

static int op_register(struct domains *d, json_t *in, json_t **out, struct domains_error *err)
{
	const char *name, *idn;
	if (in_string(in, NULL, "DomainName", true, 255, &name, err) ||
	    in_string(in, NULL, "IdnLangCode", false, 3, &idn, err))
		return -1;
	char norm[SANDBOX_NAME_MAX], tld[SANDBOX_NAME_MAX], why[160];
	switch (classify(d, name, norm, tld, why, sizeof why)) {
	case NAME_OK:
		break;
	case NAME_EMPTY:
		return fail(err, "InvalidInput", "DomainName must not be empty");
	case NAME_NO_TLD:
		return unsupported_tld(err, tld);
	default:
		return fail(err, "InvalidInput", "Domain name %s is not valid for .%s: %s", norm,
			    tld, why);
	}
	bool present;
	int64_t years = 0;
	if (in_int(in, "DurationInYears", true, &present, &years, err))
		return -1;
	if (years < 1 || years > 10)
		return fail(err, "InvalidInput",
			    "1 validation error detected: Value '%" PRId64 "' at "
			    "'durationInYears' failed to satisfy constraint: Member must have "
			    "value between 1 and 10",
			    years);
	struct domain_row r;
	memset(&r, 0, sizeof r);
	r.contacts = json_object();
	r.privacy = json_object();
	r.nameservers = json_array();
	static const char *const which[] = {"Admin", "Registrant", "Tech", "Billing"};
	int rc = -1;
	for (size_t i = 0; i < NELEMS(which); i++) {
		char key[40], pkey[64];
		snprintf(key, sizeof key, "%sContact", which[i]);
		snprintf(pkey, sizeof pkey, "PrivacyProtect%sContact", which[i]);
		json_t *c;
		bool priv;
		if (in_contact(in, key, i < 3, &c, err) ||
		    in_bool(in, pkey, false, true, &priv, err))
			goto out;
		if (c)
			json_object_set_new(r.contacts, which[i], c);
		json_object_set_new(r.privacy, which[i], json_boolean(priv));
	}
	if (in_bool(in, "AutoRenew", false, true, &r.auto_renew, err))
		goto out;
	if (check_duplicate(d, norm, "REGISTER_DOMAIN", err))
		goto out;
	const char *a = availability(d, norm);
	if (!a) {
		internal(d, err, "reading the registry");
		goto out;
	}
	if (strcmp(a, "AVAILABLE") != 0) {
		fail(err, "InvalidInput", "Domain %s is not available for registration.", norm);
		goto out;
	}
	int64_t count = query_int(d, "SELECT COUNT(*) FROM domains", NULL, NULL);
	if (count < 0) {
		internal(d, err, "counting domains");
		goto out;
	}
	if ((uint64_t)count >= d->max_domains) {
		fail(err, "DomainLimitExceeded",
		     "The number of registered domains has exceeded the allowed threshold for "
		     "this account (%u). If you want to register more domains please request a "
		     "higher quota",
		     d->max_domains);
		goto out;
	}
	snprintf(r.name, sizeof r.name, "%s", norm);
	snprintf(r.tld, sizeof r.tld, "%s", tld);
	snprintf(r.state, sizeof r.state, "pending");
	r.created = r.updated = now_of(d);
	r.expires = add_years(r.created, (int)years);
	r.transfer_lock = true;
	new_registry_id(r.registry_id);
	json_t *params = json_pack("{s:I}", "DurationInYears", (json_int_t)years);
	char id[37];
	if (store_begin(d->store)) {
		internal(d, err, "starting a transaction");
	} else if (save_domain(d, &r) ||
		   insert_op(d, norm, "REGISTER_DOMAIN", "SUBMITTED", "", params, id) ||
		   store_commit(d->store)) {
		internal(d, err, "recording the registration");
		store_rollback(d->store);
	} else {
		rc = 0;
		pthread_cond_signal(&d->wake);
		*out = json_pack("{s:s}", "OperationId", id);
	}
	json_decref(params);
out:
	domain_row_free(&r);
	return rc;
}

static json_t *status_list(const struct domain_row *r)
{
	json_t *l = json_array();
	if (strcmp(r->state, "pending") == 0)
		json_array_append_new(l, json_string("pendingCreate"));
	if (strcmp(r->state, "expired") == 0)
		json_array_append_new(l, json_string("clientHold"));
	if (r->transfer_lock)
		json_array_append_new(l, json_string("clientTransferProhibited"));
	if (json_array_size(l) == 0)
		json_array_append_new(l, json_string("ok"));
	return l;
}

static int op_get_domain_detail(struct domains *d, json_t *in, json_t **out,
				struct domains_error *err)
{
	struct domain_row r;
	if (find_domain(d, in, &r, err))
		return -1;
	json_t *o = json_object();
	json_object_set_new(o, "DomainName", json_string(r.name));
	json_object_set(o, "Nameservers", r.nameservers);
	json_object_set_new(o, "AutoRenew", json_boolean(r.auto_renew));
	static const char *const which[] = {"Admin", "Registrant", "Tech", "Billing"};
	for (size_t i = 0; i < NELEMS(which); i++) {
		char key[40];
		json_t *c = json_object_get(r.contacts, which[i]);
		snprintf(key, sizeof key, "%sContact", which[i]);
		if (c)
			json_object_set(o, key, c);
		snprintf(key, sizeof key, "%sPrivacy", which[i]);
		json_object_set_new(
			o, key, json_boolean(json_is_true(json_object_get(r.privacy, which[i]))));
	}
	json_object_set_new(o, "RegistrarName", json_string("Signpost Sandbox Registrar"));
	json_object_set_new(o, "WhoIsServer", json_string("whois.signpost.internal"));
	json_object_set_new(o, "RegistrarUrl", json_string("http://registrar.signpost.internal"));
	json_object_set_new(o, "AbuseContactEmail", json_string("abuse@signpost.internal"));
	json_object_set_new(o, "AbuseContactPhone", json_string("+1.5555550100"));
	json_object_set_new(o, "RegistryDomainId", json_string(r.registry_id));
	json_object_set_new(o, "CreationDate", jtime(r.created));
	json_object_set_new(o, "UpdatedDate", jtime(r.updated));
	json_object_set_new(o, "ExpirationDate", jtime(r.expires));
	json_object_set_new(o, "Reseller", json_string(""));
	json_object_set_new(o, "DnsSec", json_string("DISABLED"));
	json_object_set_new(o, "StatusList", status_list(&r));
	json_object_set_new(o, "DnssecKeys", json_array());
	domain_row_free(&r);
	*out = o;
	return 0;
}

static int op_get_operation_detail(struct domains *d, json_t *in, json_t **out,
				   struct domains_error *err)
{
	const char *id;
	if (in_string(in, NULL, "OperationId", true, 255, &id, err))
		return -1;
	struct op_row o;
	int found = load_op(d, id, &o);
	if (found < 0)
		return internal(d, err, "reading the operation");
	if (!found)
		return fail(err, "InvalidInput", "Operation with id %s doesn't exist", id);
	*out = op_json(&o);
	json_decref(o.params);
	return 0;
}

/* ---- ListDomains ---- */

struct summary {
	char name[SANDBOX_NAME_MAX];
	bool auto_renew, transfer_lock;
	double expires;
};

struct filter {
	bool expiry; /* Name: Expiry (else DomainName) */
	char op[16]; /* LE, GE, BEGINS_WITH */
	char value[SANDBOX_NAME_MAX];
	double t;
};

static bool filter_match(const struct filter *f, const struct summary *s)
{
	if (!f->expiry)
		return strncmp(s->name, f->value, strlen(f->value)) == 0;
	return strcmp(f->op, "LE") == 0 ? s->expires <= f->t : s->expires >= f->t;
}

static int by_name(const void *a, const void *b, void *desc)
{
	int c = strcmp(((const struct summary *)a)->name, ((const struct summary *)b)->name);
	return *(bool *)desc ? -c : c;
}

static int by_expiry(const void *a, const void *b, void *desc)
{
	const struct summary *x = a, *y = b;
	int c = x->expires < y->expires ? -1 : x->expires > y->expires ? 1 : 0;
	if (c == 0)
		c = strcmp(x->name, y->name);
	return *(bool *)desc ? -c : c;
}

static int in_filters(json_t *in, struct filter *f, size_t max, size_t *n,
		      struct domains_error *err)
{
	*n = 0;
	json_t *list = json_object_get(in, "FilterConditions");
	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return wrong_type(err, NULL, "FilterConditions", "a list");
	if (json_array_size(list) > max)
		return fail(err, "InvalidInput", "FilterConditions has more than %zu conditions",
			    max);
	size_t i;
	json_t *c;
	json_array_foreach(list, i, c)
	{
		const char *name, *op;
		if (!json_is_object(c))
			return wrong_type(err, NULL, "FilterConditions", "a list of objects");
		if (in_string(c, "filterConditions", "Name", true, 32, &name, err) ||
		    in_string(c, "filterConditions", "Operator", true, 16, &op, err))
			return -1;
		json_t *values = json_object_get(c, "Values");
		if (!values || json_is_null(values))
			return missing(err, "filterConditions", "Values");
		if (!json_is_array(values) || json_array_size(values) != 1 ||
		    !json_is_string(json_array_get(values, 0)))
			return fail(err, "InvalidInput",
				    "FilterConditions.Values must be a list of exactly one string");
		const char *v = json_string_value(json_array_get(values, 0));
		struct filter *fl = &f[(*n)++];
		memset(fl, 0, sizeof *fl);
		snprintf(fl->op, sizeof fl->op, "%s", op);
		if (strcmp(name, "DomainName") == 0) {
			if (strcmp(op, "BEGINS_WITH") != 0)
				return fail(err, "InvalidInput",
					    "Operator %s cannot be used with the DomainName filter",
					    op);
			if (name_lower(v, fl->value, sizeof fl->value))
				return fail(err, "InvalidInput",
					    "The DomainName filter is too long");
		} else if (strcmp(name, "Expiry") == 0) {
			if (strcmp(op, "LE") != 0 && strcmp(op, "GE") != 0)
				return fail(err, "InvalidInput",
					    "Operator %s cannot be used with the Expiry filter",
					    op);
			char *end = NULL;
			errno = 0;
			fl->t = strtod(v, &end);
			if (!v[0] || *end || errno || !isfinite(fl->t))
				return fail(err, "InvalidInput",
					    "The Expiry filter's value must be a time in epoch "
					    "seconds");
			fl->expiry = true;
		} else {
			return fail(err, "InvalidInput", "Cannot filter by field %s", name);
		}
	}
	return 0;
}

static int op_list_domains(struct domains *d, json_t *in, json_t **out, struct domains_error *err)
{
	struct filter filters[8];
	size_t nf;
	if (in_filters(in, filters, NELEMS(filters), &nf, err))
		return -1;
	bool sort_expiry = false, desc = false, sorted = false;
	json_t *sc = json_object_get(in, "SortCondition");
	if (sc && !json_is_null(sc)) {
		const char *name, *order;
		if (!json_is_object(sc))
			return wrong_type(err, NULL, "SortCondition", "an object");
		if (in_string(sc, "sortCondition", "Name", true, 32, &name, err) ||
		    in_string(sc, "sortCondition", "SortOrder", true, 8, &order, err))
			return -1;
		if (strcmp(name, "DomainName") != 0 && strcmp(name, "Expiry") != 0)
			return fail(err, "InvalidInput", "Cannot sort by field %s", name);
		if (strcmp(order, "ASC") != 0 && strcmp(order, "DESC") != 0)
			return fail(err, "InvalidInput", "Invalid sort order %s", order);
		sort_expiry = strcmp(name, "Expiry") == 0;
		desc = strcmp(order, "DESC") == 0;
		sorted = true;
	}
	if (sorted && nf) {
		bool same = false;
		for (size_t i = 0; i < nf; i++)
			same |= filters[i].expiry == sort_expiry;
		if (!same)
			return fail(err, "InvalidInput",
				    "Sort condition must be the same as the filter condition");
	}
	const char *marker;
	int max;
	if (in_string(in, NULL, "Marker", false, 4096, &marker, err) ||
	    in_max_items(in, LIST_DEFAULT, LIST_MAX, &max, err))
		return -1;

	sqlite3_stmt *st = store_stmt(
		d->store,
		"SELECT name, auto_renew, transfer_lock, expires FROM domains ORDER BY name");
	if (!st)
		return internal(d, err, "listing domains");
	size_t n = 0, cap = 0;
	struct summary *all = NULL;
	int rc = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 32;
			void *p = realloc(all, ncap * sizeof *all);
			if (!p) {
				rc = fail(err, "InternalFailure", "out of memory");
				break;
			}
			all = p;
			cap = ncap;
		}
		struct summary *s = &all[n];
		copy_col(s->name, sizeof s->name, st, 0);
		s->auto_renew = sqlite3_column_int(st, 1) != 0;
		s->transfer_lock = sqlite3_column_int(st, 2) != 0;
		s->expires = sqlite3_column_double(st, 3);
		bool keep = true;
		for (size_t i = 0; i < nf && keep; i++)
			keep = filter_match(&filters[i], s);
		if (keep)
			n++;
	}
	sqlite3_reset(st);
	if (rc) {
		free(all);
		return rc;
	}
	if (n)
		qsort_r(all, n, sizeof *all, sort_expiry ? by_expiry : by_name, &desc);
	size_t start = 0;
	if (marker && marker[0]) {
		size_t i = 0;
		while (i < n && strcmp(all[i].name, marker) != 0)
			i++;
		if (i == n) {
			free(all);
			return fail(err, "InvalidInput",
				    "The marker is not valid for this request: give the "
				    "NextPageMarker of the previous page");
		}
		start = i + 1;
	}
	json_t *o = json_object(), *list = json_array();
	json_object_set_new(o, "Domains", list);
	size_t i;
	for (i = start; i < n && json_array_size(list) < (size_t)max; i++)
		json_array_append_new(list, json_pack("{s:s,s:b,s:b,s:o}", "DomainName",
						      all[i].name, "AutoRenew", all[i].auto_renew,
						      "TransferLock", all[i].transfer_lock,
						      "Expiry", jtime(all[i].expires)));
	if (i < n && i > start)
		json_object_set_new(o, "NextPageMarker", json_string(all[i - 1].name));
	free(all);
	*out = o;
	return 0;
}

/* ---- ListOperations ---- */

static int in_enum_list(json_t *in, const char *key, const char *const *table, size_t ntable,
			size_t max, json_t **out, struct domains_error *err)
{
	*out = json_object_get(in, key);
	if (!*out || json_is_null(*out)) {
		*out = NULL;
		return 0;
	}
	if (!json_is_array(*out))
		return wrong_type(err, NULL, key, "a list");
	if (json_array_size(*out) > max)
		return fail(err, "InvalidInput", "%s has more than %zu values", key, max);
	size_t i;
	json_t *v;
	json_array_foreach(*out, i, v)
	{
		if (!json_is_string(v) || !in_table(table, ntable, json_string_value(v)))
			return fail(err, "InvalidInput",
				    "%s is invalid: each value must be one of "
				    "the model's values",
				    key);
	}
	return 0;
}

static int op_list_operations(struct domains *d, json_t *in, json_t **out,
			      struct domains_error *err)
{
	bool has_since;
	double since = 0;
	json_t *statuses, *types;
	const char *sort_by, *order, *marker;
	int max;
	if (in_time(in, "SubmittedSince", &has_since, &since, err) ||
	    in_enum_list(in, "Status", OPERATION_STATUSES, NELEMS(OPERATION_STATUSES), 5, &statuses,
			 err) ||
	    in_enum_list(in, "Type", OPERATION_TYPES, NELEMS(OPERATION_TYPES), 21, &types, err) ||
	    in_string(in, NULL, "SortBy", false, 32, &sort_by, err) ||
	    in_string(in, NULL, "SortOrder", false, 8, &order, err) ||
	    in_string(in, NULL, "Marker", false, 4096, &marker, err) ||
	    in_max_items(in, LIST_DEFAULT, LIST_MAX, &max, err))
		return -1;
	if (sort_by && strcmp(sort_by, "SubmittedDate") != 0)
		return fail(err, "InvalidInput", "SortBy must be SubmittedDate");
	if (order && strcmp(order, "ASC") != 0 && strcmp(order, "DESC") != 0)
		return fail(err, "InvalidInput", "SortOrder must be ASC or DESC");
	bool desc = order && strcmp(order, "DESC") == 0;
	int64_t after = -1;
	if (marker && marker[0]) {
		char *end = NULL;
		errno = 0;
		long long v = strtoll(marker, &end, 10);
		if (*end || errno || v < 0)
			return fail(err, "InvalidInput",
				    "The marker is not valid for this request: give the "
				    "NextPageMarker of the previous page");
		after = v;
	}
	char sql[1024];
	size_t len = (size_t)snprintf(sql, sizeof sql,
				      "SELECT " OP_COLUMNS " FROM domain_operations WHERE 1");
	size_t ns = statuses ? json_array_size(statuses) : 0;
	size_t nt = types ? json_array_size(types) : 0;
	if (ns) {
		len += (size_t)snprintf(sql + len, sizeof sql - len, " AND status IN (?");
		for (size_t i = 1; i < ns; i++)
			len += (size_t)snprintf(sql + len, sizeof sql - len, ",?");
		len += (size_t)snprintf(sql + len, sizeof sql - len, ")");
	}
	if (nt) {
		len += (size_t)snprintf(sql + len, sizeof sql - len, " AND type IN (?");
		for (size_t i = 1; i < nt; i++)
			len += (size_t)snprintf(sql + len, sizeof sql - len, ",?");
		len += (size_t)snprintf(sql + len, sizeof sql - len, ")");
	}
	if (has_since)
		len += (size_t)snprintf(sql + len, sizeof sql - len, " AND submitted >= ?");
	if (after >= 0)
		len += (size_t)snprintf(sql + len, sizeof sql - len, " AND seq %s ?",
					desc ? "<" : ">");
	snprintf(sql + len, sizeof sql - len, " ORDER BY seq %s LIMIT ?", desc ? "DESC" : "ASC");
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(store_sqlite(d->store), sql, -1, &st, NULL) != SQLITE_OK)
		return internal(d, err, "listing operations");
	int b = 1;
	for (size_t i = 0; i < ns; i++)
		bind_text(st, b++, json_string_value(json_array_get(statuses, i)));
	for (size_t i = 0; i < nt; i++)
		bind_text(st, b++, json_string_value(json_array_get(types, i)));
	if (has_since)
		sqlite3_bind_double(st, b++, since);
	if (after >= 0)
		sqlite3_bind_int64(st, b++, after);
	sqlite3_bind_int(st, b++, max + 1);
	json_t *o = json_object(), *list = json_array();
	json_object_set_new(o, "Operations", list);
	int64_t last = -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (json_array_size(list) == (size_t)max) {
			char m[32];
			snprintf(m, sizeof m, "%" PRId64, last);
			json_object_set_new(o, "NextPageMarker", json_string(m));
			rc = SQLITE_DONE;
			break;
		}
		struct op_row op;
		read_op(st, &op);
		last = op.seq;
		json_array_append_new(list, op_json(&op));
		json_decref(op.params);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(o);
		return internal(d, err, "listing operations");
	}
	*out = o;
	return 0;
}

/* ---- changes to a registered domain ---- */

static int op_update_nameservers(struct domains *d, json_t *in, json_t **out,
				 struct domains_error *err)
{
	struct domain_row r;
	const char *key;
	if (in_string(in, NULL, "FIAuthKey", false, 255, &key, err) || find_domain(d, in, &r, err))
		return -1;
	json_t *ns;
	int rc = in_nameservers(in, r.name, &ns, err);
	if (rc == 0 && (rc = check_duplicate(d, r.name, "UPDATE_NAMESERVER", err)) != 0)
		json_decref(ns);
	if (rc == 0)
		rc = submit(d, r.name, "UPDATE_NAMESERVER", json_pack("{s:o}", "Nameservers", ns),
			    out, err);
	domain_row_free(&r);
	return rc;
}

static int op_update_contact(struct domains *d, json_t *in, json_t **out, struct domains_error *err)
{
	struct domain_row r;
	if (find_domain(d, in, &r, err))
		return -1;
	static const char *const which[] = {"Admin", "Registrant", "Tech", "Billing"};
	json_t *contacts = json_object();
	int rc = 0;
	for (size_t i = 0; i < NELEMS(which) && rc == 0; i++) {
		char key[40];
		snprintf(key, sizeof key, "%sContact", which[i]);
		json_t *c;
		rc = in_contact(in, key, false, &c, err);
		if (rc == 0 && c)
			json_object_set_new(contacts, which[i], c);
	}
	json_t *consent = json_object_get(in, "Consent");
	if (rc == 0 && consent && !json_is_null(consent)) {
		const char *cur;
		if (!json_is_object(consent) ||
		    !json_is_number(json_object_get(consent, "MaxPrice")))
			rc = fail(err, "InvalidInput",
				  "Consent must have MaxPrice (a number) and Currency");
		else if ((rc = in_string(consent, "consent", "Currency", true, 3, &cur, err)) ==
				 0 &&
			 strcmp(cur, "USD") != 0)
			rc = fail(err, "InvalidInput", "Consent.Currency must be USD");
	}
	if (rc == 0 && json_object_size(contacts) == 0)
		rc = fail(err, "InvalidInput",
			  "You must specify at least one contact: AdminContact, RegistrantContact, "
			  "TechContact or BillingContact");
	if (rc == 0)
		rc = check_duplicate(d, r.name, "UPDATE_DOMAIN_CONTACT", err);
	if (rc == 0) {
		rc = submit(d, r.name, "UPDATE_DOMAIN_CONTACT",
			    json_pack("{s:o}", "Contacts", contacts), out, err);
		contacts = NULL;
	}
	json_decref(contacts);
	domain_row_free(&r);
	return rc;
}

/* Enable/DisableDomainAutoRenew: immediate (the model returns no OperationId), recorded. */
static int set_auto_renew(struct domains *d, json_t *in, bool on, json_t **out,
			  struct domains_error *err)
{
	struct domain_row r;
	if (find_domain(d, in, &r, err))
		return -1;
	int rc = 0;
	r.auto_renew = on;
	r.updated = now_of(d);
	char msg[512];
	snprintf(msg, sizeof msg, "AutoRenew of %s %s", r.name, on ? "enabled" : "disabled");
	if (store_begin(d->store)) {
		rc = internal(d, err, "starting a transaction");
	} else if (save_domain(d, &r) ||
		   insert_op(d, r.name, on ? "ENABLE_AUTORENEW" : "DISABLE_AUTORENEW", "SUCCESSFUL",
			     msg, NULL, NULL) ||
		   store_commit(d->store)) {
		rc = internal(d, err, "saving the domain");
		store_rollback(d->store);
	}
	domain_row_free(&r);
	if (rc == 0)
		*out = json_object();
	return rc;
}

static int op_enable_auto_renew(struct domains *d, json_t *in, json_t **out,
				struct domains_error *err)
{
	return set_auto_renew(d, in, true, out, err);
}

static int op_disable_auto_renew(struct domains *d, json_t *in, json_t **out,
				 struct domains_error *err)
{
	return set_auto_renew(d, in, false, out, err);
}

static int set_transfer_lock(struct domains *d, json_t *in, bool on, json_t **out,
			     struct domains_error *err)
{
	struct domain_row r;
	if (find_domain(d, in, &r, err))
		return -1;
	int rc = check_duplicate(d, r.name, "DOMAIN_LOCK", err);
	if (rc == 0)
		rc = submit(d, r.name, "DOMAIN_LOCK", json_pack("{s:b}", "Lock", on), out, err);
	domain_row_free(&r);
	return rc;
}

static int op_enable_transfer_lock(struct domains *d, json_t *in, json_t **out,
				   struct domains_error *err)
{
	return set_transfer_lock(d, in, true, out, err);
}

static int op_disable_transfer_lock(struct domains *d, json_t *in, json_t **out,
				    struct domains_error *err)
{
	return set_transfer_lock(d, in, false, out, err);
}

static int op_renew(struct domains *d, json_t *in, json_t **out, struct domains_error *err)
{
	bool present;
	int64_t year = 0, years = 1;
	if (in_int(in, "CurrentExpiryYear", true, &present, &year, err) ||
	    in_int(in, "DurationInYears", false, &present, &years, err))
		return -1;
	if (years < 1 || years > 10)
		return fail(err, "InvalidInput",
			    "1 validation error detected: Value '%" PRId64 "' at "
			    "'durationInYears' failed to satisfy constraint: Member must have "
			    "value between 1 and 10",
			    years);
	struct domain_row r;
	if (find_domain(d, in, &r, err))
		return -1;
	int rc = 0;
	if (year != year_of(r.expires))
		rc = fail(err, "InvalidInput",
			  "CurrentExpiryYear %" PRId64 " does not match the domain's expiration "
			  "year, %d",
			  year, year_of(r.expires));
	else if (add_years(r.expires, (int)years) > add_years(now_of(d), 10))
		rc = fail(err, "InvalidInput",
			  "Renewing %s for %" PRId64 " years would take its registration more "
			  "than 10 years into the future",
			  r.name, years);
	if (rc == 0)
		rc = check_duplicate(d, r.name, "RENEW_DOMAIN", err);
	if (rc == 0)
		rc = submit(d, r.name, "RENEW_DOMAIN",
			    json_pack("{s:I}", "DurationInYears", (json_int_t)years), out, err);
	domain_row_free(&r);
	return rc;
}

static int op_delete(struct domains *d, json_t *in, json_t **out, struct domains_error *err)
{
	struct domain_row r;
	if (find_domain(d, in, &r, err))
		return -1;
	int rc = check_duplicate(d, r.name, "DELETE_DOMAIN", err);
	if (rc == 0)
		rc = submit(d, r.name, "DELETE_DOMAIN", NULL, out, err);
	domain_row_free(&r);
	return rc;
}

/* ---- prices and suggestions ---- */

struct price {
	const char *tld;
	double registration, renewal, transfer, restoration;
};

/* A fixed table in USD; TLDs the table does not name cost what "default" does. */
static const struct price PRICES[] = {
	{"com", 15.00, 15.00, 15.00, 64.00},  {"net", 17.00, 17.00, 17.00, 64.00},
	{"org", 13.00, 13.00, 13.00, 64.00},  {"uk", 9.00, 9.00, 9.00, 40.00},
	{"internal", 0.00, 0.00, 0.00, 0.00}, {"default", 12.00, 12.00, 12.00, 50.00},
};

static json_t *price_json(const char *tld)
{
	const struct price *p = &PRICES[NELEMS(PRICES) - 1];
	for (size_t i = 0; i < NELEMS(PRICES); i++)
		if (strcmp(PRICES[i].tld, tld) == 0)
			p = &PRICES[i];
	return json_pack("{s:s,s:{s:f,s:s},s:{s:f,s:s},s:{s:f,s:s},s:{s:f,s:s},s:{s:f,s:s}}",
			 "Name", tld, "RegistrationPrice", "Price", p->registration, "Currency",
			 "USD", "TransferPrice", "Price", p->transfer, "Currency", "USD",
			 "RenewalPrice", "Price", p->renewal, "Currency", "USD",
			 "ChangeOwnershipPrice", "Price", 0.0, "Currency", "USD",
			 "RestorationPrice", "Price", p->restoration, "Currency", "USD");
}

static int op_list_prices(struct domains *d, json_t *in, json_t **out, struct domains_error *err)
{
	const char *tld_in, *marker;
	int max;
	if (in_string(in, NULL, "Tld", false, 255, &tld_in, err) ||
	    in_string(in, NULL, "Marker", false, 4096, &marker, err) ||
	    in_max_items(in, PRICES_MAX, PRICES_MAX, &max, err))
		return -1;
	json_t *o = json_object(), *list = json_array();
	json_object_set_new(o, "Prices", list);
	if (tld_in) {
		char tld[SANDBOX_NAME_MAX];
		if (strlen(tld_in) < 2) {
			json_decref(o);
			return fail(
				err, "InvalidInput",
				"1 validation error detected: Value at 'tld' failed to satisfy "
				"constraint: Member must have length greater than or equal to 2");
		}
		name_lower(tld_in[0] == '.' ? tld_in + 1 : tld_in, tld, sizeof tld);
		if (!offers_tld(d, tld)) {
			json_decref(o);
			return unsupported_tld(err, tld);
		}
		json_array_append_new(list, price_json(tld));
		*out = o;
		return 0;
	}
	size_t start = 0;
	if (marker && marker[0]) {
		while (start < d->ntlds && strcmp(d->tlds[start], marker) != 0)
			start++;
		if (start == d->ntlds) {
			json_decref(o);
			return fail(err, "InvalidInput",
				    "The marker is not valid for this request");
		}
		start++;
	}
	size_t i;
	for (i = start; i < d->ntlds && json_array_size(list) < (size_t)max; i++)
		json_array_append_new(list, price_json(d->tlds[i]));
	if (i < d->ntlds && i > start)
		json_object_set_new(o, "NextPageMarker", json_string(d->tlds[i - 1]));
	*out = o;
	return 0;
}

static int op_get_suggestions(struct domains *d, json_t *in, json_t **out,
			      struct domains_error *err)
{
	const char *name;
	bool present, only;
	int64_t count = 0;
	if (in_string(in, NULL, "DomainName", true, 255, &name, err) ||
	    in_int(in, "SuggestionCount", true, &present, &count, err) ||
	    in_bool(in, "OnlyAvailable", true, false, &only, err))
		return -1;
	if (count < 1 || count > 50)
		return fail(err, "InvalidInput", "SuggestionCount must be between 1 and 50");
	char norm[SANDBOX_NAME_MAX], tld[SANDBOX_NAME_MAX], why[160];
	enum name_class c = classify(d, name, norm, tld, why, sizeof why);
	if (c == NAME_NO_TLD)
		return unsupported_tld(err, tld);
	if (c == NAME_EMPTY || c == NAME_BAD)
		return fail(err, "InvalidInput", "Domain name %s is not valid: %s", norm, why);
	/* The base is the label directly under the TLD ("shop" of www.shop.com). */
	char base[64] = "";
	size_t tn = strlen(tld), n = strlen(norm);
	if (n > tn + 1) {
		size_t end = n - tn - 1, start = end;
		while (start > 0 && norm[start - 1] != '.')
			start--;
		snprintf(base, sizeof base, "%.*s", (int)(end - start), norm + start);
	}
	if (!base[0])
		return fail(err, "InvalidInput", "Domain name %s has no label to build on", norm);
	static const char *const prefixes[] = {"", "get", "my", "try", "the", "go"};
	static const char *const suffixes[] = {"", "app", "hq", "online", "hub", "labs", "now"};
	/* The query's TLD first, then the others in the sandbox's order. */
	const char *order[SANDBOX_MAX_TLDS + 1];
	size_t no = 0;
	order[no++] = tld;
	for (size_t i = 0; i < d->ntlds; i++)
		if (strcmp(d->tlds[i], tld) != 0)
			order[no++] = d->tlds[i];
	json_t *list = json_array();
	for (size_t s = 0; s < NELEMS(suffixes) && json_array_size(list) < (size_t)count; s++)
		for (size_t p = 0; p < NELEMS(prefixes) && json_array_size(list) < (size_t)count;
		     p++) {
			if (prefixes[p][0] && suffixes[s][0])
				continue;
			char label[128];
			snprintf(label, sizeof label, "%s%s%s", prefixes[p], base, suffixes[s]);
			if (strlen(label) > 63)
				continue;
			for (size_t t = 0; t < no && json_array_size(list) < (size_t)count; t++) {
				char cand[SANDBOX_NAME_MAX + 64], cn[SANDBOX_NAME_MAX],
					ct[SANDBOX_NAME_MAX], cw[160];
				snprintf(cand, sizeof cand, "%s.%s", label, order[t]);
				if (strcmp(cand, norm) == 0 ||
				    classify(d, cand, cn, ct, cw, sizeof cw) != NAME_OK)
					continue;
				const char *a = availability(d, cn);
				if (!a) {
					json_decref(list);
					return internal(d, err, "reading the registry");
				}
				if (only && strcmp(a, "AVAILABLE") != 0)
					continue;
				json_array_append_new(list, json_pack("{s:s,s:s}", "DomainName", cn,
								      "Availability", a));
			}
		}
	*out = json_pack("{s:o}", "SuggestionsList", list);
	return 0;
}

/* ---- dispatch ---- */

typedef int (*op_fn)(struct domains *d, json_t *in, json_t **out, struct domains_error *err);

static const struct {
	const char *name;
	op_fn fn;
} HANDLERS[] = {
	{"CheckDomainAvailability", op_check_availability},
	{"GetDomainSuggestions", op_get_suggestions},
	{"RegisterDomain", op_register},
	{"GetOperationDetail", op_get_operation_detail},
	{"ListOperations", op_list_operations},
	{"GetDomainDetail", op_get_domain_detail},
	{"ListDomains", op_list_domains},
	{"UpdateDomainNameservers", op_update_nameservers},
	{"UpdateDomainContact", op_update_contact},
	{"EnableDomainAutoRenew", op_enable_auto_renew},
	{"DisableDomainAutoRenew", op_disable_auto_renew},
	{"RenewDomain", op_renew},
	{"EnableDomainTransferLock", op_enable_transfer_lock},
	{"DisableDomainTransferLock", op_disable_transfer_lock},
	{"ListPrices", op_list_prices},
	{"DeleteDomain", op_delete},
};

int domains_call(struct domains *d, const char *operation, json_t *input, json_t **output,
		 struct domains_error *err)
{
	*output = NULL;
	op_fn fn = NULL;
	for (size_t i = 0; i < NELEMS(HANDLERS) && !fn; i++)
		if (strcmp(HANDLERS[i].name, operation) == 0)
			fn = HANDLERS[i].fn;
	if (!fn) {
		if (domains_known_operation(operation))
			return fail(err, "InvalidInput",
				    "The %s operation is not supported by signpost (it implements "
				    "registration, name servers, contacts, renewal, auto-renew, "
				    "transfer lock, deletion, operations, prices and suggestions)",
				    operation);
		return fail(err, "UnknownOperationException", "Unknown operation %s", operation);
	}
	if (!input || !json_is_object(input))
		return fail(err, "SerializationException",
			    "The request body must be a JSON object");
	pthread_mutex_lock(&d->lock);
	int rc = fn(d, input, output, err);
	pthread_mutex_unlock(&d->lock);
	if (rc == 0 && !*output)
		rc = fail(err, "InternalFailure", "out of memory");
	if (rc != 0) {
		json_decref(*output);
		*output = NULL;
	}
	return rc;
}

/* ---- test hooks ---- */

static int hook_advance_clock(struct domains *d, json_t *in, json_t **out,
			      struct domains_error *err)
{
	bool present;
	int64_t s = 0;
	if (in_int(in, "Seconds", true, &present, &s, err))
		return -1;
	if (s < 0 || s > 1000LL * 366 * 86400)
		return fail(err, "InvalidInput",
			    "Seconds must be between 0 and 1000 years: the clock never goes back");
	char v[32];
	snprintf(v, sizeof v, "%" PRId64, d->clock_offset + s);
	if (store_begin(d->store) || meta_set(d, "clock_offset", v) || store_commit(d->store)) {
		store_rollback(d->store);
		return internal(d, err, "saving the clock");
	}
	d->clock_offset += s;
	sweep(d);
	*out = json_pack("{s:o,s:I}", "Now", jtime(now_of(d)), "Offset",
			 (json_int_t)d->clock_offset);
	return 0;
}

static int hook_hold(struct domains *d, json_t *in, json_t **out, struct domains_error *err)
{
	bool hold;
	const char *at;
	if (in_bool(in, "Hold", true, false, &hold, err) ||
	    in_string(in, NULL, "At", false, 16, &at, err))
		return -1;
	if (at && strcmp(at, "SUBMITTED") != 0 && strcmp(at, "IN_PROGRESS") != 0)
		return fail(err, "InvalidInput", "At must be SUBMITTED or IN_PROGRESS");
	d->hold = hold;
	d->hold_in_progress = at && strcmp(at, "IN_PROGRESS") == 0;
	pthread_cond_signal(&d->wake);
	*out = json_pack("{s:b,s:s}", "Hold", hold, "At",
			 d->hold_in_progress ? "IN_PROGRESS" : "SUBMITTED");
	return 0;
}

static int hook_get_clock(struct domains *d, json_t *in, json_t **out, struct domains_error *err)
{
	(void)in;
	(void)err;
	*out = json_pack("{s:o,s:I}", "Now", jtime(now_of(d)), "Offset",
			 (json_int_t)d->clock_offset);
	return 0;
}

int domains_test_call(struct domains *d, const char *operation, json_t *input, json_t **output,
		      struct domains_error *err)
{
	*output = NULL;
	if (!d->cfg.test_hooks)
		return fail(err, "UnknownOperationException",
			    "Test hooks are off (signpost up enables them with "
			    "SIGNPOST_TEST_HOOKS=1)");
	op_fn fn = strcmp(operation, "AdvanceClock") == 0     ? hook_advance_clock
		   : strcmp(operation, "HoldOperations") == 0 ? hook_hold
		   : strcmp(operation, "GetClock") == 0       ? hook_get_clock
							      : NULL;
	if (!fn)
		return fail(err, "UnknownOperationException", "Unknown test hook %s", operation);
	if (!input || !json_is_object(input))
		return fail(err, "SerializationException",
			    "The request body must be a JSON object");
	pthread_mutex_lock(&d->lock);
	int rc = fn(d, input, output, err);
	pthread_mutex_unlock(&d->lock);
	if (rc == 0 && !*output)
		rc = fail(err, "InternalFailure", "out of memory");
	return rc;
}

/* ---- opening and closing ---- */

static void add_tld(struct domains *d, const char *t)
{
	char tld[SANDBOX_NAME_MAX];
	name_lower(t, tld, sizeof tld);
	if (tld[0] && !offers_tld(d, tld) && d->ntlds < SANDBOX_MAX_TLDS)
		snprintf(d->tlds[d->ntlds++], SANDBOX_NAME_MAX, "%s", tld);
}

/* The name directly under a TLD that holds `host` ("gtld-servers.net" for a.gtld-servers.net). */
static void reserve_host(struct domains *d, const char *host)
{
	char h[SANDBOX_NAME_MAX], abs[SANDBOX_NAME_MAX + 1], tld[SANDBOX_NAME_MAX];
	if (name_lower(host, h, sizeof h) || !h[0])
		return;
	snprintf(abs, sizeof abs, "%s.", h);
	const char *t = sandbox_tld_of(d->cfg.sandbox, abs);
	if (!t)
		return;
	name_lower(t, tld, sizeof tld);
	size_t n = strlen(h), tn = strlen(tld);
	if (n <= tn + 1 || h[n - tn - 1] != '.')
		return;
	size_t end = n - tn - 1, start = end;
	while (start > 0 && h[start - 1] != '.')
		start--;
	char name[SANDBOX_NAME_MAX];
	snprintf(name, sizeof name, "%s", h + start);
	if (!is_reserved(d, name) && d->nreserved < MAX_RESERVED)
		snprintf(d->reserved[d->nreserved++], SANDBOX_NAME_MAX, "%s", name);
}

/*
 * The offered TLDs and the names the sandbox's own servers live under, read from the
 * sandbox's description of itself (sandbox.h: "tld com a.gtld-servers.net 127.0.0.3:53").
 */
static void learn_sandbox(struct domains *d)
{
	if (!d->cfg.sandbox)
		return;
	size_t len = 1 << 16;
	char *buf = malloc(len);
	if (!buf)
		return;
	sandbox_describe(d->cfg.sandbox, SANDBOX_DEFAULT_PORT, buf, len);
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ts = NULL;
		char *role = strtok_r(line, " \t", &ts);
		if (!role)
			continue;
		bool tld_line = strcmp(role, "tld") == 0;
		for (int i = 1;; i++) {
			char *tok = strtok_r(NULL, " \t", &ts);
			if (!tok)
				break;
			if (tld_line && i == 1)
				add_tld(d, tok);
			else if (strchr(tok, '.') && !strchr(tok, ':') && !strchr(tok, '[') &&
				 !(tok[0] >= '0' && tok[0] <= '9'))
				reserve_host(d, tok);
		}
	}
	free(buf);
	/* A description of another shape still leaves the reference plan's TLDs. */
	static const char *const known[] = {"com", "net", "org", "uk", "internal"};
	for (size_t i = 0; i < NELEMS(known) && d->ntlds == 0; i++) {
		char probe[64];
		snprintf(probe, sizeof probe, "example.%s.", known[i]);
		if (sandbox_tld_of(d->cfg.sandbox, probe))
			add_tld(d, known[i]);
	}
}

/* Every active domain's delegation into its TLD zone (the sandbox starts empty). */
static void publish_delegations(struct domains *d)
{
	struct name_list l;
	active_domains(d, false, 0, &l);
	for (size_t i = 0; i < l.n; i++) {
		char why[256];
		if (sync_delegation(d, l.names[i], why, sizeof why))
			log_warn("domains: delegating %s: %s", l.names[i], why);
	}
	free(l.names);
}

int domains_open(const struct domains_config *cfg, struct domains **out, struct domains_error *err)
{
	*out = NULL;
	if (!cfg || !cfg->data_dir)
		return fail(err, "InternalFailure", "no data directory");
	struct domains *d = calloc(1, sizeof *d);
	if (!d)
		return fail(err, "InternalFailure", "out of memory");
	d->cfg = *cfg;
	snprintf(d->data_dir, sizeof d->data_dir, "%s", cfg->data_dir);
	d->cfg.data_dir = d->data_dir;
	d->max_domains = cfg->max_domains ? cfg->max_domains : DEFAULT_MAX_DOMAINS;
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->wake, &ca);
	pthread_condattr_destroy(&ca);

	char msg[512];
	if (store_open(d->data_dir, r53_migrations, r53_nmigrations, &d->store, msg, sizeof msg)) {
		fail(err, "InternalFailure", "opening the store: %s", msg);
		goto out_free;
	}
	sqlite3_stmt *st =
		store_stmt(d->store, "SELECT value FROM registry_meta WHERE key = 'clock_offset'");
	if (st && sqlite3_step(st) == SQLITE_ROW)
		d->clock_offset = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	int64_t seq =
		query_int(d, "SELECT COALESCE(MAX(seq), 0) FROM domain_operations", NULL, NULL);
	if (seq < 0) {
		internal(d, err, "reading the operations");
		goto out_close;
	}
	d->next_seq = seq + 1;
	learn_sandbox(d);
	pthread_mutex_lock(&d->lock);
	publish_delegations(d);
	pthread_mutex_unlock(&d->lock);
	/* The worker resumes SUBMITTED and IN_PROGRESS operations: each step is idempotent. */
	if (pthread_create(&d->worker, NULL, worker_main, d) != 0) {
		fail(err, "InternalFailure", "starting the registry's worker thread");
		goto out_close;
	}
	d->worker_started = true;
	*out = d;
	return 0;
out_close:
	store_close(d->store);
out_free:
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d);
	return -1;
}

void domains_close(struct domains *d)
{
	if (!d)
		return;
	if (d->worker_started) {
		pthread_mutex_lock(&d->lock);
		d->stop = true;
		pthread_cond_signal(&d->wake);
		pthread_mutex_unlock(&d->lock);
		pthread_join(d->worker, NULL);
	}
	store_close(d->store);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
