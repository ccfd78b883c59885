/*
 * daemon/zonefile_cmd.c - `signpost import` and `signpost export`: BIND zone files in and out of
 * a hosted zone.
 *
 * Both work on the data directory directly, through the engine (r53_open on a private zone_db),
 * so they hold DIR/lock (flock, exclusive) for their whole run, as `signpost up` does: while the
 * server runs on DIR they refuse, and the server refuses to start while they run.
 *
 * import parses the file with the zone loader (libzscanner, "FILE:LINE: message" on errors),
 * turns every RRset into a ResourceRecordSet (values in presentation form, names in Route 53's
 * form) and applies them all in ONE r53_change_rrsets call: all or nothing, with exactly the
 * API's validation (InvalidChangeBatch and its messages). export pages through
 * r53_list_rrsets and writes $ORIGIN, the SOA, then every other record, one per line; what a
 * zone file cannot express (alias records, routing policies) is written as comments.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/r53.h"
#include "base/log.h"
#include "daemon/up.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "zone/db.h"
#include "zone/load.h"
#include "zone/zone.h"

/* main.c declares these too (this file has no header of its own). */
extern const char IMPORT_USAGE[];
extern const char EXPORT_USAGE[];
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);

#define DEFAULT_DATA_DIR "signpost-data"
#define STORE_FILE       "signpost.db"
#define TEXT_MAX         (5 * 65536) /* any rdata's presentation text */

const char IMPORT_USAGE[] =
	"Usage: signpost import --data DIR --zone-id ID FILE [--upsert]\n"
	"\n"
	"Imports the BIND-format zone file FILE into hosted zone ID of the store in DIR, as ONE\n"
	"change batch with the API's validation: every record set is imported, or none is.\n"
	"Relative names in FILE are completed with the hosted zone's name ($ORIGIN).\n"
	"\n"
	"Options:\n"
	"  --data DIR             the store (default ./" DEFAULT_DATA_DIR ")\n"
	"  --zone-id ID           the hosted zone (Z..., or /hostedzone/Z...)\n"
	"  --upsert               UPSERT every record set instead of CREATE, and also replace the\n"
	"                         zone's apex SOA and NS with the file's\n"
	"  --alias-targets FILE   the alias-target table `signpost up` uses, if any\n"
	"  -h, --help             show this help\n"
	"\n"
	"Without --upsert every record set is CREATEd (one that exists already fails the whole\n"
	"import) and the file's apex SOA and NS are skipped: the hosted zone keeps its own. A "
	"file\n"
	"without an SOA or NS at the apex is fine. Route 53's batch limits apply: 1,000 records\n"
	"and 32,000 characters of values per import (UPSERT counts twice).\n"
	"Record types: those Route 53 supports (A AAAA CAA CNAME DS HTTPS MX NAPTR NS PTR SOA SPF\n"
	"SRV SSHFP SVCB TLSA TXT).\n"
	"\n"
	"`signpost up` must not be running on DIR (stop it, import, start it again).\n"
	"Exit status: 0 imported; 1 the file or the batch was refused (nothing imported), DIR is\n"
	"in use, or the zone does not exist; 2 invalid flags.\n"
	"\n"
	"Example:\n"
	"  signpost import --data /tmp/r53 --zone-id Z0123456789ABCDEFGHIJ example.com.zone\n";

const char EXPORT_USAGE[] =
	"Usage: signpost export --data DIR --zone-id ID [-o FILE]\n"
	"\n"
	"Writes hosted zone ID of the store in DIR as a BIND-format zone file: $ORIGIN, the SOA,\n"
	"then every other record, one per line, names absolute. `signpost import` reads it back.\n"
	"Alias record sets, and record sets with a routing policy (SetIdentifier), have no\n"
	"zone-file form: they are written as comments (\"; ALIAS name type -> target\") and "
	"counted\n"
	"on stderr.\n"
	"\n"
	"Options:\n"
	"  --data DIR             the store (default ./" DEFAULT_DATA_DIR ")\n"
	"  --zone-id ID           the hosted zone (Z..., or /hostedzone/Z...)\n"
	"  -o, --output FILE      write to FILE (default: standard output)\n"
	"  --alias-targets FILE   the alias-target table `signpost up` uses, if any\n"
	"  -h, --help             show this help\n"
	"\n"
	"`signpost up` must not be running on DIR.\n"
	"Exit status: 0 written; 1 DIR is in use, the zone does not exist or FILE cannot be\n"
	"written; 2 invalid flags.\n"
	"\n"
	"Example:\n"
	"  signpost export --data /tmp/r53 --zone-id Z0123456789ABCDEFGHIJ -o example.com.zone\n";

struct zf_opts {
	const char *cmd; /* "import" or "export" */
	const char *data;
	const char *zone_id;
	const char *file; /* import: the zone file; export: -o */
	const char *aliases;
	bool upsert;
};

/* -1 (usage error, reported), 0, or 1 (help printed). */
static int parse_flags(int argc, char **argv, struct zf_opts *o, bool import)
{
	enum { OPT_DATA = 256, OPT_ZONE, OPT_UPSERT, OPT_ALIAS };
	static const struct option opts[] = {
		{"data", required_argument, NULL, OPT_DATA},
		{"zone-id", required_argument, NULL, OPT_ZONE},
		{"upsert", no_argument, NULL, OPT_UPSERT},
		{"alias-targets", required_argument, NULL, OPT_ALIAS},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *usage = import ? IMPORT_USAGE : EXPORT_USAGE;
	int opt;
	argv[0] = import ? "signpost import" : "signpost export";
	while ((opt = getopt_long(argc, argv, import ? "h" : "ho:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(usage, stdout);
			return 1;
		case OPT_DATA:
			o->data = optarg;
			break;
		case OPT_ZONE:
			o->zone_id = optarg;
			break;
		case OPT_ALIAS:
			o->aliases = optarg;
			break;
		case OPT_UPSERT:
			if (!import)
				goto bad;
			o->upsert = true;
			break;
		case 'o':
			if (import)
				goto bad;
			o->file = optarg;
			break;
		default: /* getopt said what was wrong */
			fprintf(stderr, "see `signpost %s --help`\n", o->cmd);
			return -1;
		}
	}
	if (import && optind < argc)
		o->file = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "signpost %s: unexpected argument '%s'; see `signpost %s --help`\n",
			o->cmd, argv[optind], o->cmd);
		return -1;
	}
	if (!o->zone_id || !o->zone_id[0] || (import && (!o->file || !o->file[0]))) {
		fprintf(stderr, "signpost %s: %s is required; see `signpost %s --help`\n", o->cmd,
			!o->zone_id || !o->zone_id[0] ? "--zone-id ID" : "the zone FILE", o->cmd);
		return -1;
	}
	if (!o->data || !o->data[0])
		o->data = DEFAULT_DATA_DIR;
	return 0;
bad:
	fprintf(stderr, "signpost %s: unrecognized option '%s'; see `signpost %s --help`\n", o->cmd,
		argv[optind - 1], o->cmd);
	return -1;
}

static void print_error(const char *cmd, const struct r53_error *e)
{
	fprintf(stderr, "signpost %s: %s%s%s\n", cmd, e->code, e->message ? ": " : "",
		e->message ? e->message : "");
}

/* Opens the engine on o->data (which must hold a store) after taking the lock. */
static int open_engine(const struct zf_opts *o, int *lockfd, struct zone_db **db, struct r53 **r)
{
	char path[4096];
	struct stat st;
	if (stat(o->data, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "signpost %s: %s: no such data directory\n", o->cmd, o->data);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/" STORE_FILE, o->data);
	if (stat(path, &st) != 0) {
		fprintf(stderr,
			"signpost %s: %s has no signpost store (%s missing); give the --data "
			"directory of `signpost up`\n",
			o->cmd, o->data, STORE_FILE);
		return -1;
	}
	if ((*lockfd = daemon_lock_data_dir(o->data)) < 0)
		return -1;
	if (!(*db = zone_db_new())) {
		fprintf(stderr, "signpost %s: out of memory\n", o->cmd);
		return -1;
	}
	struct r53_config cfg = {
		.data_dir = o->data,
		.db = *db,
		.alias_targets_file = o->aliases,
	};
	struct r53_error e = {0};
	if (r53_open(&cfg, r, &e) != 0) {
		fprintf(stderr, "signpost %s: cannot open the store in %s: ", o->cmd, o->data);
		print_error(o->cmd, &e);
		r53_error_clear(&e);
		return -1;
	}
	return 0;
}

static void close_engine(int lockfd, struct zone_db *db, struct r53 *r)
{
	if (r)
		r53_close(r);
	if (db)
		zone_db_free(db);
	if (lockfd >= 0)
		close(lockfd); /* releases the lock */
}

/* ---- names: Route 53's text form (\ooo octal escapes) <-> wire --------------------------- */

/* Wire → Route 53's stored form: lower case, [a-z0-9-_] as is, "*" alone, others as \ooo. */
static void r53_name_from_wire(const uint8_t *w, char out[R53_NAME_MAX])
{
	size_t o = 0;
	if (*w == 0) {
		snprintf(out, R53_NAME_MAX, ".");
		return;
	}
	while (*w) {
		uint8_t len = *w++;
		for (uint8_t i = 0; i < len; i++, w++) {
			uint8_t c = *w;
			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c - 'A' + 'a');
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			    c == '_' || (c == '*' && len == 1))
				out[o++] = (char)c;
			else
				o += (size_t)snprintf(out + o, R53_NAME_MAX - o, "\\%03o", c);
		}
		out[o++] = '.';
	}
	out[o] = '\0';
}

/* Route 53's text form → wire (absolute; \ooo octal, \X for one character). -1 if malformed. */
static int r53_name_to_wire(const char *s, uint8_t out[DNS_NAME_MAXLEN])
{
	size_t o = 0, lab = 0;
	if (strcmp(s, ".") == 0 || !*s) {
		out[0] = 0;
		return 0;
	}
	out[o++] = 0;
	for (; *s; s++) {
		uint8_t c = (uint8_t)*s;
		if (c == '.') {
			if (out[lab] == 0)
				return -1;
			lab = o++;
			if (o > DNS_NAME_MAXLEN)
				return -1;
			out[lab] = 0;
			continue;
		}
		if (c == '\\') {
			if (s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
			    s[3] >= '0' && s[3] <= '7') {
				c = (uint8_t)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
				s += 3;
			} else if (s[1]) {
				c = (uint8_t) * ++s;
			} else {
				return -1;
			}
		}
		if (out[lab] == 63 || o + 1 >= DNS_NAME_MAXLEN)
			return -1;
		out[o++] = c;
		out[lab]++;
	}
	if (out[lab] != 0) { /* no trailing dot: close the last label */
		if (o >= DNS_NAME_MAXLEN)
			return -1;
		out[o++] = 0;
	}
	return 0;
}

static const char *const R53_TYPES[] = {"A",   "AAAA",  "CAA",  "CNAME", "DS",  "HTTPS",
					"MX",  "NAPTR", "NS",   "PTR",   "SOA", "SPF",
					"SRV", "SSHFP", "SVCB", "TLSA",  "TXT"};

static bool r53_type(const char *t)
{
	for (size_t i = 0; i < sizeof(R53_TYPES) / sizeof(R53_TYPES[0]); i++)
		if (strcmp(t, R53_TYPES[i]) == 0)
			return true;
	return false;
}

/* ---- import ----------------------------------------------------------------------------- */

/*
 * Loads FILE for the zone at origin. A file without an apex SOA or NS (a list of records to
 * add) is loaded again with placeholders for them appended; *synth says which were made up
 * (bit 0 SOA, bit 1 NS) so that they are never imported. The file's own line numbers stand.
 */
static int load_file(const char *path, const uint8_t *origin, struct zone_version **v,
		     unsigned *synth)
{
	char err[1024], err2[1024];
	*synth = 0;
	int rc = zone_load_file(path, origin, v, err, sizeof(err));
	if (rc != ZONE_ENOSOA && rc != ZONE_ENONS)
		goto out;
	char otext[R53_NAME_MAX];
	FILE *f = fopen(path, "r");
	if (!f || dns_name_to_text(origin, otext, sizeof(otext)) < 0) {
		if (f)
			fclose(f);
		goto out;
	}
	/* The whole file, with room after it for the placeholders. */
	size_t len = 0, cap = 65536 + 2 * sizeof(otext);
	char *text = malloc(cap);
	size_t got;
	while (text && (got = fread(text + len, 1, cap - len - 2 * sizeof(otext), f)) > 0) {
		len += got;
		if (cap - len < 2 * sizeof(otext) + 4096) {
			char *t = realloc(text, cap * 2);
			if (!t) {
				free(text);
				text = NULL;
				break;
			}
			text = t;
			cap *= 2;
		}
	}
	bool ok = text && !ferror(f);
	fclose(f);
	/* The first load said what there was to warn about: the same file says it again. */
	enum log_level level = log_get_level();
	log_set_level(LOG_ERR);
	for (int attempt = 0; ok && attempt < 2 && (rc == ZONE_ENOSOA || rc == ZONE_ENONS);
	     attempt++) {
		*synth |= rc == ZONE_ENOSOA ? 1u : 2u;
		int n = snprintf(text + len, cap - len, "\n$ORIGIN %s\n%s%s", otext,
				 (*synth & 1u) ? "@ 900 IN SOA invalid. invalid. 1 7200 900 "
						 "1209600 86400\n"
					       : "",
				 (*synth & 2u) ? "@ 172800 IN NS invalid.\n" : "");
		rc = zone_load_string(text, len + (size_t)n, path, origin, v, err2, sizeof(err2));
		if (rc != 0 && rc != ZONE_ENOSOA && rc != ZONE_ENONS)
			snprintf(err, sizeof(err), "%s", err2);
	}
	free(text);
	log_set_level(level);
	if (rc == -EPERM) /* $INCLUDE, not allowed from memory: the first error is the truth */
		rc = zone_load_file(path, origin, v, err, sizeof(err));
out:
	if (rc != 0)
		fprintf(stderr, "%s\n", err);
	return rc;
}

/* One ResourceRecordSet from one RRset of the file. -1: out of memory or a value too long. */
static int rrset_from_zone(const struct zone_node *node, const struct zone_rrset *rs,
			   struct r53_rrset *out, char *text, const char *path)
{
	char tbuf[16];
	memset(out, 0, sizeof(*out));
	out->weight = -1;
	out->ttl = rs->ttl;
	r53_name_from_wire(zone_node_name(node), out->name);
	snprintf(out->type, sizeof(out->type), "%s",
		 dns_type_to_text(rs->type, tbuf, sizeof(tbuf)));
	if (!(out->values = calloc(rs->count ? rs->count : 1, sizeof(char *)))) {
		fprintf(stderr, "signpost import: out of memory\n");
		return -1;
	}
	const uint8_t *p = zone_rrset_data(node, rs);
	for (unsigned i = 0; i < rs->count; i++) {
		uint16_t len = (uint16_t)(p[0] << 8 | p[1]);
		if (dns_rdata_to_text(rs->type, p + 2, len, text, TEXT_MAX) < 0)
			dns_rdata_to_generic(p + 2, len, text, TEXT_MAX);
		if (strlen(text) >= R53_VALUE_MAX) {
			fprintf(stderr,
				"%s: %s %s: a value of %zu characters is too long for Route 53 "
				"(4,000 at most); nothing imported\n",
				path, out->name, out->type, strlen(text));
			return -1;
		}
		if (!(out->values[out->nvalues] = strdup(text))) {
			fprintf(stderr, "signpost import: out of memory\n");
			return -1;
		}
		out->nvalues++;
		p += 2 + len;
	}
	return 0;
}

int cmd_import(int argc, char **argv)
{
	struct zf_opts o = {.cmd = "import"};
	int rc = parse_flags(argc, argv, &o, true);
	if (rc != 0)
		return rc > 0 ? EXIT_SUCCESS : EXIT_USAGE;

	int status = EXIT_FAILURE, lockfd = -1;
	struct zone_db *db = NULL;
	struct r53 *r = NULL;
	struct zone_version *v = NULL;
	struct {
		const struct zone_node **v;
		size_t n;
	} nodes = {0};
	struct r53_change *changes = NULL;
	size_t nchanges = 0, nrecords = 0;
	char *text = NULL;
	struct r53_zone *z = calloc(1, sizeof(*z));
	struct r53_error e = {0};
	if (!z || !(text = malloc(TEXT_MAX))) {
		fprintf(stderr, "signpost import: out of memory\n");
		goto out;
	}
	if (open_engine(&o, &lockfd, &db, &r) != 0)
		goto out;
	if (r53_get_hosted_zone(r, o.zone_id, z, &e) != 0) {
		print_error(o.cmd, &e);
		goto out;
	}
	uint8_t origin[DNS_NAME_MAXLEN];
	if (r53_name_to_wire(z->name, origin) != 0) {
		fprintf(stderr, "signpost import: the zone's name %s cannot be read\n", z->name);
		goto out;
	}
	unsigned synth;
	if (load_file(o.file, origin, &v, &synth) != 0)
		goto out;

	if (zone_version_sorted(v, &nodes.v, &nodes.n) < 0) {
		fprintf(stderr, "signpost import: out of memory\n");
		goto out;
	}
	size_t total = 0;
	for (size_t i = 0; i < nodes.n; i++)
		total += nodes.v[i]->nrrsets;
	if (!(changes = calloc(total ? total : 1, sizeof(*changes)))) {
		fprintf(stderr, "signpost import: out of memory\n");
		goto out;
	}
	size_t skipped = 0;
	for (size_t i = 0; i < nodes.n; i++) {
		const struct zone_node *node = nodes.v[i];
		bool apex = dns_name_equal(zone_node_name(node), v->origin);
		for (unsigned k = 0; k < node->nrrsets; k++) {
			const struct zone_rrset *rs = &node->rrsets[k];
			bool soa_ns = apex && (rs->type == DNS_T_SOA || rs->type == DNS_T_NS);
			if (soa_ns && ((rs->type == DNS_T_SOA && (synth & 1u)) ||
				       (rs->type == DNS_T_NS && (synth & 2u))))
				continue; /* a placeholder of load_file() */
			if (soa_ns && !o.upsert) {
				skipped++;
				continue;
			}
			char tbuf[16];
			const char *tname = dns_type_to_text(rs->type, tbuf, sizeof(tbuf));
			if (!r53_type(tname)) {
				char owner[R53_NAME_MAX];
				r53_name_from_wire(zone_node_name(node), owner);
				fprintf(stderr,
					"%s: %s %s: Route 53 does not support this record type; "
					"nothing imported\n",
					o.file, owner, tname);
				goto out;
			}
			struct r53_change *c = &changes[nchanges++];
			c->action = o.upsert ? R53_UPSERT : R53_CREATE;
			if (rrset_from_zone(node, rs, &c->rrset, text, o.file) != 0)
				goto out;
			nrecords += rs->count;
		}
	}
	if (nchanges == 0) {
		fprintf(stderr, "signpost import: %s has no record sets to import%s\n", o.file,
			skipped ? " (the apex SOA and NS are skipped without --upsert)" : "");
		goto out;
	}
	char comment[R53_TEXT_MAX];
	const char *base = strrchr(o.file, '/');
	snprintf(comment, sizeof(comment), "signpost import of %s", base ? base + 1 : o.file);
	struct r53_change_info ci;
	if (r53_change_rrsets(r, z->id, changes, nchanges, comment, &ci, &e) != 0) {
		if (strcmp(e.code, "InvalidChangeBatch") == 0)
			fprintf(stderr,
				"%s: the change batch was refused; nothing imported:\n  %s\n",
				o.file, e.message ? e.message : e.code);
		else
			print_error(o.cmd, &e);
		goto out;
	}
	printf("imported %zu record set%s (%zu record%s) from %s into %s (%s)%s; change %s, %s\n",
	       nchanges, nchanges == 1 ? "" : "s", nrecords, nrecords == 1 ? "" : "s", o.file,
	       z->id, z->name,
	       skipped ? "; the file's apex SOA and NS were skipped (--upsert replaces them)" : "",
	       ci.id, ci.status);
	status = EXIT_SUCCESS;
out:
	r53_error_clear(&e);
	for (size_t i = 0; i < nchanges; i++)
		r53_rrset_free(&changes[i].rrset);
	free(changes);
	free(nodes.v);
	if (v)
		zone_version_free(v);
	close_engine(lockfd, db, r);
	free(text);
	free(z);
	return status;
}

/* ---- export ----------------------------------------------------------------------------- */

/* One value as a zone file must read it: names inside it made absolute (Route 53 reads them
   so), by way of the wire form; written as it is if it does not parse. */
static const char *value_text(const char *type, const char *value, char *text, uint8_t *wire)
{
	static const uint8_t root[1] = {0};
	char msg[128];
	int t = dns_type_from_text(type);
	if (t < 0)
		return value;
	int len = dns_rdata_from_text((uint16_t)t, value, root, wire, 65535, msg, sizeof(msg));
	if (len < 0 || dns_rdata_to_text((uint16_t)t, wire, (size_t)len, text, TEXT_MAX) < 0)
		return value;
	return text;
}

static void write_rrset(FILE *f, const struct r53_rrset *rs, char *text, uint8_t *wire,
			size_t *aliases, size_t *policies)
{
	uint8_t w[DNS_NAME_MAXLEN];
	char owner[R53_NAME_MAX];
	if (r53_name_to_wire(rs->name, w) != 0 || dns_name_to_text(w, owner, sizeof(owner)) < 0)
		snprintf(owner, sizeof(owner), "%s", rs->name);
	if (rs->has_alias) {
		fprintf(f, "; ALIAS %s %s -> %s (hosted zone %s, evaluate target health %s%s%s)\n",
			owner, rs->type, rs->alias.dns_name, rs->alias.hosted_zone_id,
			rs->alias.evaluate_target_health ? "yes" : "no",
			rs->set_identifier[0] ? ", set identifier " : "", rs->set_identifier);
		(*aliases)++;
		return;
	}
	const char *prefix = "";
	if (rs->set_identifier[0]) {
		fprintf(f, "; ROUTING POLICY %s %s, set identifier \"%s\" (not importable):\n",
			owner, rs->type, rs->set_identifier);
		prefix = "; ";
		(*policies)++;
	}
	for (size_t i = 0; i < rs->nvalues; i++)
		fprintf(f, "%s%s %" PRId64 " IN %s %s\n", prefix, owner, rs->ttl, rs->type,
			value_text(rs->type, rs->values[i], text, wire));
}

int cmd_export(int argc, char **argv)
{
	struct zf_opts o = {.cmd = "export"};
	int rc = parse_flags(argc, argv, &o, false);
	if (rc != 0)
		return rc > 0 ? EXIT_SUCCESS : EXIT_USAGE;

	int status = EXIT_FAILURE, lockfd = -1;
	struct zone_db *db = NULL;
	struct r53 *r = NULL;
	struct r53_rrset *all = NULL;
	size_t n = 0, cap = 0;
	FILE *f = NULL;
	char *text = malloc(TEXT_MAX);
	uint8_t *wire = malloc(65536);
	struct r53_zone *z = calloc(1, sizeof(*z));
	struct r53_error e = {0};
	if (!text || !wire || !z) {
		fprintf(stderr, "signpost export: out of memory\n");
		goto out;
	}
	if (open_engine(&o, &lockfd, &db, &r) != 0)
		goto out;
	if (r53_get_hosted_zone(r, o.zone_id, z, &e) != 0) {
		print_error(o.cmd, &e);
		goto out;
	}
	/* Every page, into one array. */
	char name[R53_NAME_MAX] = "", type[16] = "", ident[R53_TEXT_MAX] = "";
	for (;;) {
		struct r53_rrset_list page;
		if (r53_list_rrsets(r, z->id, name, type, ident, 300, &page, &e) != 0) {
			print_error(o.cmd, &e);
			goto out;
		}
		if (n + page.n > cap) {
			size_t ncap = (n + page.n) * 2;
			struct r53_rrset *a = realloc(all, ncap * sizeof(*a));
			if (!a) {
				r53_rrset_list_free(&page);
				fprintf(stderr, "signpost export: out of memory\n");
				goto out;
			}
			all = a;
			cap = ncap;
		}
		/* The records move into `all`; the page keeps none to free. */
		memcpy(all + n, page.rrsets, page.n * sizeof(*all));
		n += page.n;
		free(page.rrsets);
		page.rrsets = NULL;
		page.n = 0;
		bool more = page.truncated;
		snprintf(name, sizeof(name), "%s", page.next_name);
		snprintf(type, sizeof(type), "%s", page.next_type);
		snprintf(ident, sizeof(ident), "%s", page.next_identifier);
		r53_rrset_list_free(&page);
		if (!more)
			break;
	}

	f = o.file ? fopen(o.file, "w") : stdout;
	if (!f) {
		fprintf(stderr, "signpost export: cannot write %s: %s\n", o.file, strerror(errno));
		goto out;
	}
	uint8_t ow[DNS_NAME_MAXLEN];
	char otext[R53_NAME_MAX];
	if (r53_name_to_wire(z->name, ow) != 0 || dns_name_to_text(ow, otext, sizeof(otext)) < 0)
		snprintf(otext, sizeof(otext), "%s", z->name);
	fprintf(f, "; hosted zone %s (%s), exported by signpost\n$ORIGIN %s\n", z->id, z->name,
		otext);
	size_t aliases = 0, policies = 0;
	for (size_t i = 0; i < n; i++) /* the apex SOA first */
		if (strcmp(all[i].type, "SOA") == 0)
			write_rrset(f, &all[i], text, wire, &aliases, &policies);
	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i].type, "SOA") != 0)
			write_rrset(f, &all[i], text, wire, &aliases, &policies);
	bool bad = fflush(f) != 0 || ferror(f);
	if (o.file && fclose(f) != 0)
		bad = true;
	f = NULL;
	if (bad) {
		fprintf(stderr, "signpost export: cannot write %s: %s\n",
			o.file ? o.file : "standard output", strerror(errno));
		goto out;
	}
	if (aliases)
		fprintf(stderr,
			"signpost export: %zu alias record set%s cannot be expressed in a zone "
			"file: written as comments (\"; ALIAS name type -> target\")\n",
			aliases, aliases == 1 ? "" : "s");
	if (policies)
		fprintf(stderr,
			"signpost export: %zu record set%s with a routing policy (SetIdentifier) "
			"cannot be expressed in a zone file: written as comments\n",
			policies, policies == 1 ? "" : "s");
	if (o.file)
		fprintf(stderr, "signpost export: wrote %zu record set%s of %s (%s) to %s\n",
			n - aliases - policies, n - aliases - policies == 1 ? "" : "s", z->id,
			z->name, o.file);
	status = EXIT_SUCCESS;
out:
	if (f && f != stdout)
		fclose(f);
	r53_error_clear(&e);
	for (size_t i = 0; i < n; i++)
		r53_rrset_free(&all[i]);
	free(all);
	close_engine(lockfd, db, r);
	free(text);
	free(wire);
	free(z);
	return status;
}
