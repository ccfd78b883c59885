/*
 * tests/fuzz/fuzz_r53_json.c - libFuzzer target: the rrsets table's body codec (api/r53_json.c)
 * against jansson. Any text reads as jansson reads it, and what reads back is written with
 * jansson's bytes. The codec is included whole so its jansson paths are the oracle.
 */
#include "../../src/api/r53_json.c"

#include "check.h"

/* r53_records.c's, which this target does not link. */
void r53_rrset_free(struct r53_rrset *rs)
{
	for (size_t i = 0; i < rs->nvalues; i++)
		free(rs->values[i]);
	free(rs->values);
	rs->values = NULL;
	rs->nvalues = 0;
}

static void check_same(const struct r53_rrset *a, const struct r53_rrset *b)
{
	CHECK(strcmp(a->name, b->name) == 0);
	CHECK(strcmp(a->type, b->type) == 0);
	CHECK(strcmp(a->set_identifier, b->set_identifier) == 0);
	CHECK(strcmp(a->region, b->region) == 0);
	CHECK(strcmp(a->failover, b->failover) == 0);
	CHECK(strcmp(a->health_check_id, b->health_check_id) == 0);
	CHECK(a->weight == b->weight && a->ttl == b->ttl);
	CHECK(a->multivalue == b->multivalue && a->multivalue_answer == b->multivalue_answer);
	CHECK(a->has_alias == b->has_alias);
	CHECK(strcmp(a->alias.hosted_zone_id, b->alias.hosted_zone_id) == 0);
	CHECK(strcmp(a->alias.dns_name, b->alias.dns_name) == 0);
	CHECK(a->alias.evaluate_target_health == b->alias.evaluate_target_health);
	CHECK(a->nvalues == b->nvalues);
	for (size_t i = 0; i < a->nvalues; i++)
		CHECK(strcmp(a->values[i], b->values[i]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct r53_rrset got, want;
	int rc = r53_rrset_from_json(text, &got);
	int ref = from_json_jansson(text, &want);
	CHECK(rc == ref);
	if (rc == 0) {
		check_same(&got, &want);
		char *mine = r53_rrset_to_json(&got), *theirs = to_json_jansson(&got);
		CHECK((mine == NULL) == (theirs == NULL));
		if (mine)
			CHECK(strcmp(mine, theirs) == 0);
		free(mine);
		free(theirs);
		r53_rrset_free(&got);
		r53_rrset_free(&want);
	}
	free(text);
	return 0;
}
