/*
 * registrar/sandbox.h - the sandbox internet: a private DNS hierarchy (root servers, TLD
 * servers, the zones that give the hosted name servers their addresses) that one signpost
 * process serves on loopback addresses, each address serving exactly its own zone set, and the
 * registry side of it: delegations of registered domains in their TLD zones.
 * See ../shared/reference/sandbox-internet.md and ARCHITECTURE.md §4.
 *
 * Roles and zones (the defaults are the reference's address plan):
 *   root      a.root-servers.net=127.0.0.2 b.root-servers.net=127.0.0.12
 *             serves "." and root-servers.net (delegated from net, glue in the root)
 *   tld com   a.gtld-servers.net=127.0.0.3 b.gtld-servers.net=127.0.0.13
 *   tld net   same servers; they also serve gtld-servers.net (delegated from net)
 *   tld org   a.nic.org=127.0.0.8;  tld uk a.nic.uk=127.0.0.9
 *   tld internal a.nic.internal=127.0.0.10
 *   hosted    127.0.0.4 .5 .6 .7: the addresses of the four name servers of hosted zones
 *             (r53_config.name_servers[0..3]); they serve every hosted zone (the main zone_db)
 *             and one "NS-host zone" per name server, its host name's parent (awsdns-01.com for
 *             ns-1.awsdns-01.com), delegated from its TLD zone with glue.
 * A server host name in the zone of a TLD that it serves itself (a.nic.org, a server of org) is
 * an address record of that TLD zone. Any other server name whose parent is below a TLD
 * (a.root-servers.net, a.gtld-servers.net for com, ns-1.awsdns-01.com) gets that parent as an
 * "infrastructure zone" of its own: it holds every server name directly below it, is served by
 * those servers' addresses and is delegated from its TLD zone with glue (so net delegates
 * gtld-servers.net, as in the reference). The TLD zone of a name is the configured TLD that is
 * its last label (TLDs are single labels; co.uk names live in `uk`: no co.uk cut). SOA timers
 * and TTLs are the reference's (§3, appendix A) for com, net, org, uk and internal; other TLDs
 * get com's.
 *
 * The root zone carries the root servers' addresses and, for each TLD, its NS and the
 * addresses of its servers (all required glue, every server name being below some TLD). A TLD
 * zone carries glue only for names in its own namespace: the infrastructure delegations' and
 * the in-domain name servers of customer delegations (sandbox_delegate); a customer
 * delegation to ns-1.awsdns-01.com gets ns-1's address as sibling glue from auth/.
 *
 * Threads: sandbox_new/sandbox_free and sandbox_delegate are called by one thread at a time
 * (the caller serialises: the Domains engine holds its lock). DNS workers read the dbs.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/server.h"
#include "zone/db.h"

#define SANDBOX_MAX_TLDS     32
#define SANDBOX_MAX_SERVERS  8 /* per role */
#define SANDBOX_HOSTED       4 /* name servers of a hosted zone */
#define SANDBOX_DEFAULT_PORT 5302
#define SANDBOX_NAME_MAX     256 /* presentation, with the final dot */

struct sandbox_server {
	char name[SANDBOX_NAME_MAX]; /* "a.root-servers.net." (absolute, lower case) */
	struct server_addr addr;     /* port 0 here: the port is the sandbox's */
};

struct sandbox_tld {
	char name[SANDBOX_NAME_MAX]; /* "com." */
	struct sandbox_server servers[SANDBOX_MAX_SERVERS];
	size_t nservers;
};

struct sandbox_config {
	struct sandbox_server root[SANDBOX_MAX_SERVERS];
	size_t nroot;
	struct sandbox_tld tlds[SANDBOX_MAX_TLDS];
	size_t ntlds;
	/* The four hosted name servers: name (from r53 name_servers) and the address serving it. */
	struct sandbox_server hosted[SANDBOX_HOSTED];
	uint16_t
		port; /* the port every sandbox server (and the resolver's upstream queries) uses */
};

/*
 * The reference plan above, with `name_servers` (four host names, made absolute and lower
 * case) as the hosted set; NULL (or a NULL entry) means the Route 53-like
 * ns-1.awsdns-01.com. ns-2.awsdns-02.net. ns-3.awsdns-03.org. ns-4.awsdns-04.co.uk.
 * The port is SANDBOX_DEFAULT_PORT.
 */
void sandbox_config_default(struct sandbox_config *c,
			    const char *const name_servers[SANDBOX_HOSTED]);

/*
 * One configuration-file line (daemon/config.c hands over every line whose keyword starts with
 * "sandbox-"): the keyword and the rest of the line.
 *   sandbox-root NAME=ADDR [NAME=ADDR ...]        replaces the root servers
 *   sandbox-tld TLD NAME=ADDR [NAME=ADDR ...]     adds a TLD (or replaces the one of that name)
 *   sandbox-tld-remove TLD                        drops a default TLD
 *   sandbox-hosted ADDR ADDR ADDR ADDR            the addresses of the four name servers
 *   sandbox-port PORT                             the port used when 53 cannot be bound
 * ADDR is numeric IPv4 or IPv6 (in brackets, or bare), without a port or scope. NAME and TLD
 * may omit the final dot and use any case: they are stored absolute and lower case. Up to
 * SANDBOX_MAX_SERVERS servers a line, SANDBOX_MAX_TLDS TLDs. Returns 0, or -EINVAL with a
 * message (without file and line: the caller adds them) and c unchanged. Checks only the line:
 * sandbox_config_check() judges the whole.
 */
int sandbox_config_line(struct sandbox_config *c, const char *keyword, const char *rest, char *err,
			size_t errlen) __attribute__((warn_unused_result));
/*
 * Checks the whole configuration: at least one root server and one TLD; every TLD a single
 * label, configured once, with 1 to SANDBOX_MAX_SERVERS servers; every name server name
 * (hosted included) below a configured TLD; no address used by two roles whose zones are
 * parent and child (root and a TLD, a TLD and the hosted servers), nor a hosted server's
 * address by any other role (it serves hosted_db only); a name in two roles with the same
 * addresses in both; every server name inside an infrastructure zone directly below its apex,
 * and no infrastructure zone holding both hosted and other servers. sandbox_new checks the same.
 * 0 or -EINVAL with the reason.
 */
int sandbox_config_check(const struct sandbox_config *c, char *err, size_t errlen)
	__attribute__((warn_unused_result));

struct sandbox;

/*
 * Builds every infrastructure zone (root, TLDs, root-servers.net-style server zones) into zone
 * dbs of its own, one per group of addresses that serve the same zone set, and publishes the
 * NS-host zones of the hosted name servers into `hosted_db` (the zone_db of hosted zones).
 * Serials start at the current time (seconds since the epoch) so that a restart never goes
 * backwards. Returns 0, or a negative errno with the reason in err.
 */
int sandbox_new(const struct sandbox_config *c, struct zone_db *hosted_db, struct sandbox **out,
		char *err, size_t errlen) __attribute__((warn_unused_result));
/* Frees the sandbox's own dbs (no DNS worker may still use them). */
void sandbox_free(struct sandbox *sb);

/*
 * The listen addresses of the sandbox with their zone sets, for server_opts.listen and
 * .listen_db (net/server.h): `port` set on every address; the hosted servers' entries point
 * at hosted_db. Arrays owned by the sandbox, valid until sandbox_free. Returns the count.
 */
size_t sandbox_listeners(struct sandbox *sb, uint16_t port, const struct server_addr **addrs,
			 struct zone_db *const **dbs);

/*
 * The TLD (absolute, lower case: "com.") whose registry holds `domain`, or NULL if none does:
 * the configured TLD that is the last label of a name below it. Any depth counts, so
 * "shop.co.uk." is "uk." (co.uk is part of the uk zone); a TLD itself, the root, a name that
 * does not parse and NULL give NULL. Case and the final dot do not matter.
 */
const char *sandbox_tld_of(const struct sandbox *sb, const char *domain);

/* A name server of a delegation, as UpdateDomainNameservers gives it. */
struct sandbox_ns {
	char name[SANDBOX_NAME_MAX]; /* absolute */
	/* Glue addresses (presentation IPv4 / IPv6); only for names under the domain itself. */
	char glue[4][64];
	size_t nglue;
};

/*
 * Sets the delegation of `domain` (below a TLD of the sandbox, as sandbox_tld_of() finds it:
 * example.com., example.uk., or shop.co.uk. in the uk zone) in its TLD zone to exactly `ns`
 * (NS RRset at the TLD's delegation TTL, glue A/AAAA for names inside the domain, nothing
 * else), replacing any previous delegation and its glue; n == 0 removes the delegation and its
 * glue (and is harmless when there is none). The TLD zone's SOA serial goes up by one; the
 * new version is published on every address serving the TLD and synced (zone_db_sync) before
 * return, so a dig at the TLD server sees it at once. Returns 0, or -EINVAL / -ENOMEM with
 * the reason in err and the served zone unchanged.
 * -EINVAL when: the domain is not below a TLD; it is at or above a name server of the sandbox
 * (awsdns-01.com., gtld-servers.net., nic.org., co.uk.: "reserved"); it is inside another
 * delegation or above one (sub.example.com. once example.com. is delegated); a name server
 * name does not parse; a name server inside the domain has no glue, or one outside it has
 * glue; more than 4 glue addresses, or one that is not a numeric IPv4/IPv6 address.
 * (-ENOMEM while publishing to the second of two dbs serving the TLD would leave the first
 * changed; the default plan has one db per TLD.)
 */
int sandbox_delegate(struct sandbox *sb, const char *domain, const struct sandbox_ns *ns, size_t n,
		     char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * Writes a root-hints file (named.root format: ". NS" and the A/AAAA of each root server,
 * TTL 3600000) to `path` atomically (temporary file + rename). 0 or -errno.
 */
int sandbox_write_root_hints(const struct sandbox *sb, const char *path)
	__attribute__((warn_unused_result));

/*
 * One line per server for `signpost up`'s banner, into buf: "root a.root-servers.net
 * 127.0.0.2:53", "tld com a.gtld-servers.net 127.0.0.3:53", "hosted ns-1.awsdns-01.com
 * 127.0.0.4:53" (IPv6 as "[fd00::1]:53"), root first, then the TLDs in order, then the hosted
 * servers, each line ending with "\n"; a server of two TLDs has a line for each. Returns what
 * snprintf would (buf may be NULL when len is 0).
 */
int sandbox_describe(const struct sandbox *sb, uint16_t port, char *buf, size_t len);
