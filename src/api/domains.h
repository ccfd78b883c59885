/*
 * api/domains.h - Route 53 Domains (2014-05-15) semantics: a registrar and its registries for
 * the TLDs of the sandbox internet (registrar/sandbox.h), independent of HTTP.
 *
 * Registry data (domains, contacts, operations, expiry, the virtual clock's offset) lives in
 * the same SQLite store as the Route 53 engine's (migration 3 of r53_migrations, tables in
 * api/domains_schema.h), through a connection of the engine's own. Mutating operations return
 * an OperationId at once, durable as SUBMITTED; a worker thread then does the work (IN_PROGRESS:
 * create the hosted zone through the Route 53 engine, set the delegation in the TLD zone with
 * sandbox_delegate) and records SUCCESSFUL, or FAILED with a reason. Operations left
 * unfinished by a crash are resumed by domains_open (each step is idempotent).
 *
 * The API is JSON-shaped because the protocol is: input is the request's JSON object, output
 * the response's, member names and values exactly as botocore's model
 * (route53domains/2014-05-15/service-2.json) gives them; timestamps are epoch seconds.
 * ../shared/reference/route53-api.md §4 is the spec.
 */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/r53.h"
#include "registrar/sandbox.h"

struct domains_error {
	char type[64];     /* "InvalidInput", "UnsupportedTLD", "DomainLimitExceeded", ... */
	char message[512]; /* Route 53 Domains' wording where known */
};

struct domains_config {
	const char *data_dir;    /* the store (signpost.db), the same as the Route 53 engine's */
	struct r53 *r53;         /* creates the hosted zone of a registered domain */
	struct sandbox *sandbox; /* the TLD registries: offered TLDs and their delegations */
	uint32_t max_domains;    /* DomainLimitExceeded above this; 0: 20 (Route 53's quota) */
	/* Test hooks (domains_test_call) are refused unless this is set. */
	bool test_hooks;
	/*
	 * Called after a domain's delegation in its TLD zone changed (registered, name servers
	 * updated, deleted, expired, renewed back), with the domain (absolute, lower case), under
	 * the engine's lock: for `signpost up` to flush its resolver's cache of the name, which may
	 * hold an NXDOMAIN from before (sandbox-internet.md §4.3 b). NULL: nothing is called.
	 */
	void (*delegation_changed)(void *ctx, const char *domain);
	void *delegation_ctx;
};

struct domains;
/*
 * Opens the store (migrating it), publishes the delegation of every active domain into the
 * sandbox's TLD zones, starts the operation worker (which resumes unfinished operations) and
 * the expiry sweep. Returns 0, or -1 with err filled.
 */
int domains_open(const struct domains_config *cfg, struct domains **out, struct domains_error *err);
/* Stops the worker (an operation in flight is finished first) and closes the store. */
void domains_close(struct domains *d);

/*
 * Runs one operation: `operation` is the name after "Route53Domains_v20140515." in
 * X-Amz-Target, `input` the request object (never NULL). Returns 0 with *output a new JSON
 * object, or -1 with err filled (an operation of the model not implemented: InvalidInput
 * naming it; an unknown name: the caller answers UnknownOperationException). Thread-safe.
 */
int domains_call(struct domains *d, const char *operation, json_t *input, json_t **output,
		 struct domains_error *err);
/* True if `operation` is one of the model's 34 operations. */
bool domains_known_operation(const char *operation);

/*
 * Test hooks, only with cfg.test_hooks (X-Amz-Target "SignpostTest.<Operation>"):
 *   AdvanceClock {"Seconds": N}         moves the registry's clock forward (persisted), then
 *                                       runs the expiry sweep (auto-renew, or expire and
 *                                       undelegate) before returning {"Now": epoch}
 *   HoldOperations {"Hold": true|false, "At": "SUBMITTED"|"IN_PROGRESS"}
 *                                       pauses the worker before it takes (or finishes) the
 *                                       next step, so a test can see each status
 *   GetClock {}                         {"Now": epoch}
 * Same contract as domains_call.
 */
int domains_test_call(struct domains *d, const char *operation, json_t *input, json_t **output,
		      struct domains_error *err);
