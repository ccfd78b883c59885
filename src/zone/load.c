/* zone/load.c - zone files (RFC 1035 §5) in through libzscanner, and out in canonical order. */
#include "zone/load.h"

#include <errno.h>
#include <inttypes.h>
#include <libzscanner/scanner.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "dns/name.h"
#include "dns/rdata.h"

#define LOAD_DEFAULT_TTL 3600
#define LOAD_MAX_DEPTH   8 /* nested $INCLUDEs; also what stops a file including itself */

struct loader {
	struct zone_txn *txn;
	char *err;
	size_t errlen;
	bool allow_include;
};

__attribute__((format(printf, 2, 3))) static void seterr(struct loader *ld, const char *fmt, ...)
{
	if (!ld->err || ld->errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ld->err, ld->errlen, fmt, ap);
	va_end(ap);
}

static int add_record(struct loader *ld, const zs_scanner_t *s, const char *name)
{
	uint64_t line = s->line_counter;
	char tbuf[16];
	const char *tname = dns_type_to_text(s->r_type, tbuf, sizeof(tbuf));
	if (s->r_class != DNS_CLASS_IN) {
		seterr(ld, "%s:%" PRIu64 ": class %u is not supported (only IN)", name, line,
		       s->r_class);
		return -EINVAL;
	}
	int r = zone_txn_add(ld->txn, s->r_owner, s->r_type, s->r_ttl, s->r_data,
			     (uint16_t)s->r_data_length);
	char owner[4 * DNS_NAME_MAXLEN + 2];
	if (r != 0 && dns_name_to_text(s->r_owner, owner, sizeof(owner)) < 0)
		strcpy(owner, "?");
	if (r < 0) {
		seterr(ld, "%s:%" PRIu64 ": %s (%s %s)", name, line, zone_strerror(r), owner,
		       tname);
		return r;
	}
	if (r == 1) {
		log_warn("%s:%" PRIu64 ": TTL %u of this %s %s record differs from its RRset's; "
			 "the RRset keeps its first TTL",
			 name, line, s->r_ttl, owner, tname);
	}
	return 0;
}

static int scan(struct loader *ld, zs_scanner_t *s, const char *name, int depth);

/* $INCLUDE: the scanner has made the file name absolute (relative to the including file's
   directory) and put the origin's text in s->buffer. */
static int include(struct loader *ld, zs_scanner_t *s, const char *name, int depth)
{
	uint64_t line = s->line_counter;
	if (!ld->allow_include) {
		seterr(ld, "%s:%" PRIu64 ": $INCLUDE is not allowed here", name, line);
		return -EPERM;
	}
	if (depth + 1 >= LOAD_MAX_DEPTH) {
		seterr(ld, "%s:%" PRIu64 ": $INCLUDE nested too deeply", name, line);
		return -ELOOP;
	}
	int r;
	zs_scanner_t *inc = malloc(sizeof(*inc));
	if (!inc) {
		seterr(ld, "%s:%" PRIu64 ": out of memory", name, line);
		return -ENOMEM;
	}
	if (zs_init(inc, (const char *)s->buffer, DNS_CLASS_IN, s->default_ttl) != 0) {
		seterr(ld, "%s:%" PRIu64 ": %s", name, line, zs_strerror(inc->error.code));
		r = -EINVAL;
		goto out_free;
	}
	errno = 0;
	if (zs_set_input_file(inc, s->include_filename) != 0) {
		int e = errno;
		bool sys = inc->error.code == ZS_FILE_OPEN && e != 0;
		seterr(ld, "%s:%" PRIu64 ": cannot include %s: %s", name, line, s->include_filename,
		       sys ? strerror(e) : zs_strerror(inc->error.code));
		r = sys ? -e : -EINVAL;
		goto out_deinit;
	}
	r = scan(ld, inc, s->include_filename, depth + 1);
out_deinit:
	zs_deinit(inc);
out_free:
	free(inc);
	return r;
}

/* Reads one scanner's input to its end, record by record; stops at the first problem. */
static int scan(struct loader *ld, zs_scanner_t *s, const char *name, int depth)
{
	for (;;) {
		int r = zs_parse_record(s);
		if (r != 0 || s->state == ZS_STATE_ERROR) {
			seterr(ld, "%s:%" PRIu64 ": %s", name, s->line_counter,
			       zs_strerror(s->error.code));
			return -EINVAL;
		}
		switch (s->state) {
		case ZS_STATE_DATA:
			r = add_record(ld, s, name);
			break;
		case ZS_STATE_INCLUDE:
			r = include(ld, s, name, depth);
			break;
		default: /* ZS_STATE_EOF */
			return 0;
		}
		if (r < 0)
			return r;
	}
}

static int load(const char *path, const char *text, size_t len, const char *name,
		const uint8_t *origin, struct zone_version **out, char *err, size_t errlen)
{
	struct loader ld = {.err = err, .errlen = errlen, .allow_include = path != NULL};
	int r;
	if (err && errlen)
		err[0] = 0;
	zs_scanner_t *s = malloc(sizeof(*s));
	if (!s) {
		seterr(&ld, "%s: out of memory", name);
		return -ENOMEM;
	}
	r = zone_txn_begin(NULL, origin, &ld.txn);
	if (r < 0) {
		seterr(&ld, "%s: %s", name, zone_strerror(r));
		goto out_free;
	}
	if (zs_init(s, ".", DNS_CLASS_IN, LOAD_DEFAULT_TTL) != 0) {
		seterr(&ld, "%s: %s", name, zs_strerror(s->error.code));
		r = -ENOMEM;
		goto out_deinit; /* zs_init clears the scanner first: deinit is safe */
	}
	/* The initial $ORIGIN goes in as wire, so no text form of it has to please the scanner. */
	s->zone_origin_length = (uint32_t)dns_name_len(origin);
	memcpy(s->zone_origin, origin, s->zone_origin_length);
	errno = 0;
	if (path ? zs_set_input_file(s, path) != 0
		 : zs_set_input_string(s, text ? text : "", len) != 0) {
		int e = errno;
		bool sys = s->error.code == ZS_FILE_OPEN && e != 0;
		seterr(&ld, "%s: %s", name, sys ? strerror(e) : zs_strerror(s->error.code));
		r = sys ? -e : -EINVAL;
		goto out_deinit;
	}
	r = scan(&ld, s, name, 0);
	if (r == 0) {
		r = zone_txn_commit(ld.txn, out);
		if (r < 0)
			seterr(&ld, "%s: %s", name, zone_strerror(r));
	}
out_deinit:
	zs_deinit(s);
	if (r < 0)
		zone_txn_abort(ld.txn);
out_free:
	free(s);
	return r;
}

int zone_load_file(const char *path, const uint8_t *origin, struct zone_version **out, char *err,
		   size_t errlen)
{
	return load(path, NULL, 0, path, origin, out, err, errlen);
}

int zone_load_string(const char *text, size_t len, const char *name, const uint8_t *origin,
		     struct zone_version **out, char *err, size_t errlen)
{
	return load(NULL, text, len, name, origin, out, err, errlen);
}

/* ---- dump ------------------------------------------------------------------------------ */

/* Room for any rdata's text: at most 4 characters per octet, plus quotes and separators. */
#define DUMP_TEXT_MAX (5 * 65536)

static void dump_rrset(FILE *f, const char *owner, const struct zone_node *n,
		       const struct zone_rrset *rs, char *text)
{
	char tbuf[16];
	const char *tname = dns_type_to_text(rs->type, tbuf, sizeof(tbuf));
	const uint8_t *p = zone_rrset_data(n, rs);
	for (unsigned i = 0; i < rs->count; i++) {
		uint16_t len = (uint16_t)(p[0] << 8 | p[1]);
		const uint8_t *rdata = p + 2;
		if (dns_rdata_to_text(rs->type, rdata, len, text, DUMP_TEXT_MAX) < 0)
			dns_rdata_to_generic(rdata, len, text, DUMP_TEXT_MAX);
		fprintf(f, "%s %" PRIu32 " IN %s %s\n", owner, rs->ttl, tname, text);
		p += 2 + len;
	}
}

int zone_dump(const struct zone_version *v, FILE *f)
{
	int r = 0;
	struct {
		const struct zone_node **v;
		size_t n;
	} l = {0};
	char owner[4 * DNS_NAME_MAXLEN + 2];
	char *text = malloc(DUMP_TEXT_MAX);
	if (!text)
		return -ENOMEM;
	if (zone_version_sorted(v, &l.v, &l.n) < 0) {
		r = -ENOMEM;
		goto out_free;
	}
	if (dns_name_to_text(v->origin, owner, sizeof(owner)) < 0) {
		r = -EINVAL;
		goto out_free;
	}
	fprintf(f, "$ORIGIN %s\n", owner);
	/* Canonical order puts the apex first; its SOA goes before its other RRsets. */
	for (size_t i = 0; i < l.n; i++) {
		const struct zone_node *n = l.v[i];
		if (dns_name_to_text(zone_node_name(n), owner, sizeof(owner)) < 0) {
			r = -EINVAL;
			goto out_free;
		}
		const struct zone_rrset *soa = zone_node_rrset(n, DNS_T_SOA);
		if (soa)
			dump_rrset(f, owner, n, soa, text);
		for (unsigned k = 0; k < n->nrrsets; k++)
			if (&n->rrsets[k] != soa)
				dump_rrset(f, owner, n, &n->rrsets[k], text);
	}
	if (fflush(f) != 0 || ferror(f))
		r = -EIO;
out_free:
	free(l.v);
	free(text);
	return r;
}
