/*
 * api/domains_schema.h - the registry's tables: migration 3 of r53_migrations (the Route 53
 * engine and the Domains engine share one store; see api/domains.h). Times are epoch seconds
 * on the registry's virtual clock; contacts, privacy, name servers and operation parameters are
 * JSON in the model's member names. domain_operations_by_status serves the worker's "oldest
 * unfinished operation" and the count behind OperationLimitExceeded.
 */
#pragma once

#define DOMAINS_SCHEMA_V3                                                                          \
	"CREATE TABLE domains(name TEXT PRIMARY KEY, tld TEXT NOT NULL, state TEXT NOT NULL, "     \
	"created REAL NOT NULL, updated REAL NOT NULL, expires REAL NOT NULL, "                    \
	"auto_renew INTEGER NOT NULL, transfer_lock INTEGER NOT NULL, contacts TEXT NOT NULL, "    \
	"privacy TEXT NOT NULL, nameservers TEXT NOT NULL DEFAULT '[]', "                          \
	"hosted_zone_id TEXT NOT NULL DEFAULT '', registry_id TEXT NOT NULL, "                     \
	"tags TEXT NOT NULL DEFAULT '[]');"                                                        \
	"CREATE TABLE domain_operations(id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, "        \
	"domain TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL, "                         \
	"message TEXT NOT NULL DEFAULT '', flag TEXT NOT NULL DEFAULT '', "                        \
	"submitted REAL NOT NULL, updated REAL NOT NULL, params TEXT NOT NULL DEFAULT '{}');"      \
	"CREATE INDEX domain_operations_by_domain ON domain_operations(domain, status);"           \
	"CREATE INDEX domain_operations_by_status ON domain_operations(status, seq);"              \
	"CREATE TABLE registry_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
