/*
 * api/r53.h - Route 53 (2013-04-01) semantics, independent of HTTP and XML.
 *
 * The engine owns the store (SQLite, store/) and publishes every accepted change into the
 * served zone_db before it answers: a function that returns 0 has made the change durable
 * and (for record changes) visible to every DNS worker, so ChangeInfo can say INSYNC truthfully
 * (ARCHITECTURE.md §1). Requests to one engine are serialised internally (one writer).
 *
 * Strings in these structs are NUL-terminated and bounded; names are presentation text.
 * Every function returns 0, or -1 with *err filled with Route 53's error (code, HTTP status,
 * message, as ../shared/reference/route53-api.md gives them).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zone/db.h"

#define R53_ID_MAX    40
#define R53_NAME_MAX  1100 /* 255 octets, each escaped as \DDD at worst, plus the dot */
#define R53_TEXT_MAX  1100
#define R53_NS_COUNT  4
#define R53_VALUE_MAX 4100 /* one ResourceRecord Value (TXT values run to 4,000 characters) */

struct r53_error {
	int status;    /* HTTP status: 400, 404, 409, ... */
	char code[64]; /* "NoSuchHostedZone", "InvalidChangeBatch", ... */
	char *message; /* malloc'd; for InvalidChangeBatch "[msg1, msg2]" as Route 53 writes */
};
void r53_error_clear(struct r53_error *e);

struct r53_change_info {
	char id[R53_ID_MAX];        /* bare id "C..." (the XML layer adds "/change/") */
	char status[16];            /* "PENDING" or "INSYNC" */
	char submitted_at[32];      /* ISO-8601 UTC with milliseconds */
	char comment[R53_TEXT_MAX]; /* "" when none */
};

struct r53_vpc {
	char region[32];
	char id[64];
};

struct r53_zone {
	char id[R53_ID_MAX]; /* bare id "Z..." */
	char name[R53_NAME_MAX];
	char caller_reference[R53_TEXT_MAX];
	char comment[R53_TEXT_MAX];
	bool has_comment;
	bool private_zone;
	uint64_t rrset_count;
	char delegation_set_id[R53_ID_MAX]; /* "" when the zone uses its own set */
	char name_servers[R53_NS_COUNT][R53_NAME_MAX];
	struct r53_vpc vpcs[8];
	size_t nvpcs;
};

struct r53_zone_list {
	struct r53_zone *zones; /* malloc'd */
	size_t n;
	bool truncated;
	char next_marker[R53_ID_MAX];     /* ListHostedZones */
	char next_dns_name[R53_NAME_MAX]; /* ListHostedZonesByName */
	char next_zone_id[R53_ID_MAX];
};
void r53_zone_list_free(struct r53_zone_list *l);

struct r53_alias {
	char hosted_zone_id[R53_ID_MAX];
	char dns_name[R53_NAME_MAX];
	bool evaluate_target_health;
};

/* One ResourceRecordSet. Routing-policy members are stored and echoed (issue: later tiers). */
struct r53_rrset {
	char name[R53_NAME_MAX];
	char type[16];
	char set_identifier[R53_TEXT_MAX]; /* "" when none */
	int64_t weight;                    /* -1 when absent */
	char region[32];
	char failover[16];
	char health_check_id[64];
	bool multivalue; /* MultiValueAnswer given (true or false) */
	bool multivalue_answer;
	int64_t ttl;   /* -1 when absent (alias records have none) */
	char **values; /* malloc'd array of malloc'd Value strings */
	size_t nvalues;
	bool has_alias;
	struct r53_alias alias;
};
void r53_rrset_free(struct r53_rrset *rs);

enum r53_action { R53_CREATE, R53_DELETE, R53_UPSERT };
struct r53_change {
	enum r53_action action;
	struct r53_rrset rrset;
};

struct r53_rrset_list {
	struct r53_rrset *rrsets; /* malloc'd */
	size_t n;
	bool truncated;
	char next_name[R53_NAME_MAX];
	char next_type[16];
	char next_identifier[R53_TEXT_MAX];
	int max_items;
};
void r53_rrset_list_free(struct r53_rrset_list *l);

struct r53_tag {
	char key[256];
	char value[512];
};

struct r53_delegation_set {
	char id[R53_ID_MAX]; /* bare "N..." */
	char caller_reference[R53_TEXT_MAX];
	char name_servers[R53_NS_COUNT][R53_NAME_MAX];
};

struct r53_config {
	const char *data_dir; /* the store lives here (signpost.db) */
	struct zone_db *db;   /* where served zones are published */
	/* Name-server host names handed to new zones: four, like Route 53's ns-N.awsdns-NN.*. */
	const char *name_servers[R53_NS_COUNT];
	uint32_t max_zones;           /* GetAccountLimit MAX_HOSTED_ZONES_BY_OWNER, 500 */
	uint32_t max_rrsets_per_zone; /* 10,000 */
	/*
	 * Aliases to AWS services (S3 websites, CloudFront, ELB, ...): a text file of lines
	 * "HOSTEDZONEID DNSNAME TYPE VALUE" ('#' starts a comment) giving the records served for
	 * each endpoint, so a local server can stand in for "an S3 bucket". NULL: none. The
	 * string must outlive the engine (it is read again when zones are rebuilt).
	 */
	const char *alias_targets_file;
};

struct r53;
/* Opens (creating or migrating) the store and publishes every zone into cfg->db. */
int r53_open(const struct r53_config *cfg, struct r53 **out, struct r53_error *err);
void r53_close(struct r53 *r);

struct r53_create_zone {
	char name[R53_NAME_MAX];
	char caller_reference[R53_TEXT_MAX];
	char comment[R53_TEXT_MAX];
	bool has_comment;
	bool private_zone;
	struct r53_vpc vpc; /* private zones: one VPC at creation */
	bool has_vpc;
	char delegation_set_id[R53_ID_MAX];
};
int r53_create_hosted_zone(struct r53 *r, const struct r53_create_zone *req, struct r53_zone *zone,
			   struct r53_change_info *ci, struct r53_error *err);
int r53_get_hosted_zone(struct r53 *r, const char *id, struct r53_zone *zone,
			struct r53_error *err);
int r53_delete_hosted_zone(struct r53 *r, const char *id, struct r53_change_info *ci,
			   struct r53_error *err);
int r53_update_hosted_zone_comment(struct r53 *r, const char *id, const char *comment,
				   struct r53_zone *zone, struct r53_error *err);
/* marker: "" for the first page; max_items 1..100 (default 100) */
int r53_list_hosted_zones(struct r53 *r, const char *marker, int max_items,
			  const char *delegation_set_id, struct r53_zone_list *out,
			  struct r53_error *err);
int r53_list_hosted_zones_by_name(struct r53 *r, const char *dns_name, const char *zone_id,
				  int max_items, struct r53_zone_list *out, struct r53_error *err);
int r53_hosted_zone_count(struct r53 *r, uint64_t *count, struct r53_error *err);

/* All or nothing; InvalidChangeBatch collects every problem of the batch. */
int r53_change_rrsets(struct r53 *r, const char *zone_id, const struct r53_change *changes,
		      size_t n, const char *comment, struct r53_change_info *ci,
		      struct r53_error *err);
/* Route 53's order (reversed-label name order, then type, then identifier); max_items ≤ 300. */
int r53_list_rrsets(struct r53 *r, const char *zone_id, const char *start_name,
		    const char *start_type, const char *start_identifier, int max_items,
		    struct r53_rrset_list *out, struct r53_error *err);
int r53_get_change(struct r53 *r, const char *id, struct r53_change_info *ci,
		   struct r53_error *err);

/* Tags. resource_type: "hostedzone" or "healthcheck". */
int r53_change_tags(struct r53 *r, const char *resource_type, const char *resource_id,
		    const struct r53_tag *add, size_t nadd, char *const *remove, size_t nremove,
		    struct r53_error *err);
int r53_list_tags(struct r53 *r, const char *resource_type, const char *resource_id,
		  struct r53_tag **tags, size_t *n, struct r53_error *err);

/* Reusable delegation sets. */
int r53_create_delegation_set(struct r53 *r, const char *caller_reference, const char *zone_id,
			      struct r53_delegation_set *out, struct r53_error *err);
int r53_get_delegation_set(struct r53 *r, const char *id, struct r53_delegation_set *out,
			   struct r53_error *err);
int r53_delete_delegation_set(struct r53 *r, const char *id, struct r53_error *err);
int r53_list_delegation_sets(struct r53 *r, const char *marker, int max_items,
			     struct r53_delegation_set **out, size_t *n, bool *truncated,
			     char *next_marker, struct r53_error *err);

/* Limits: type is the Route 53 limit type; *value the limit, *count what is used. */
int r53_get_account_limit(struct r53 *r, const char *type, uint64_t *value, uint64_t *count,
			  struct r53_error *err);
int r53_get_hosted_zone_limit(struct r53 *r, const char *type, const char *zone_id, uint64_t *value,
			      uint64_t *count, struct r53_error *err);
int r53_get_delegation_set_limit(struct r53 *r, const char *type, const char *set_id,
				 uint64_t *value, uint64_t *count, struct r53_error *err);

/* TestDNSAnswer, answered by auth_answer() on the served zones (no second implementation). */
struct r53_test_answer {
	char nameserver[R53_NAME_MAX];
	char record_name[R53_NAME_MAX];
	char record_type[16];
	char **record_data; /* malloc'd presentation strings */
	size_t nrecord_data;
	char response_code[16]; /* "NOERROR", "NXDOMAIN", ... */
	char protocol[8];       /* "UDP" */
};
int r53_test_dns_answer(struct r53 *r, const char *zone_id, const char *record_name,
			const char *record_type, struct r53_test_answer *out,
			struct r53_error *err);
void r53_test_answer_free(struct r53_test_answer *a);
