/* api/xml.c - request bodies read with libxml2 (no DTDs, no entities, no network), responses
 * written by hand. */
#include "api/xml.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

/*
 * Caps of our own, well under libxml2's (256 levels, 10 MB text nodes): the Route 53 schema is
 * under 10 levels deep and a 1,000-change batch has about 10,000 elements. The HTTP layer caps
 * bodies too; this one holds for any caller.
 */
#define XML_MAX_INPUT    (8u << 20)
#define XML_MAX_ELEMENTS 100000u

/*
 * Route 53 parses with Xerces and disallows DOCTYPE; this is Xerces' text for it, so clients
 * see what AWS would say.
 */
#define DOCTYPE_REFUSED                                                                            \
	"DOCTYPE is disallowed when the feature "                                                  \
	"\"http://apache.org/xml/features/disallow-doctype-decl\" set to true."

struct xml_doc {
	xmlDocPtr doc;
	/* Texts handed out by xml_text (each also cached in its node's _private). */
	char **texts;
	size_t ntexts, cap;
};

/* What a parse found wrong, written by the callbacks below. */
struct parse_state {
	char msg[256];
	bool failed;
	bool blank; /* the input is only white space */
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void quiet_generic(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

static void quiet_structured(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

static void init_libxml(void)
{
	/* xmlInitParser is not safe to race with itself; everything after it is. */
	xmlInitParser();
}

/* libxml2's error globals are per thread: silence them on whichever thread parses. */
static void silence_libxml(void)
{
	xmlSetGenericErrorFunc(NULL, quiet_generic);
	xmlSetStructuredErrorFunc(NULL, quiet_structured);
}

static void set_msg(struct parse_state *st, const char *what)
{
	if (st->failed)
		return; /* the first error is the cause; later ones are its echoes */
	st->failed = true;
	/* One line: libxml2 ends messages with a newline and some with a second line of bytes. */
	size_t n = strcspn(what, "\n");
	if (n >= sizeof(st->msg))
		n = sizeof(st->msg) - 1;
	memcpy(st->msg, what, n);
	while (n > 0 && st->msg[n - 1] == ' ')
		n--;
	st->msg[n] = '\0';
}

static bool all_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

static void on_error(void *user, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = user;
	struct parse_state *st = ctxt->_private;
	if (e->level < XML_ERR_ERROR)
		return;
	/* No root element: said as Xerces (Route 53's parser) says it. */
	if (e->code == XML_ERR_DOCUMENT_EMPTY)
		set_msg(st,
			st->blank ? "Premature end of file." : "Content is not allowed in prolog.");
	else
		set_msg(st, e->message ? e->message : "malformed document");
}

/* Called when "<!DOCTYPE name ..." has been read, before any declaration in it: stop there. */
static void on_internal_subset(void *user, const xmlChar *name, const xmlChar *ext_id,
			       const xmlChar *sys_id)
{
	xmlParserCtxtPtr ctxt = user;
	struct parse_state *st = ctxt->_private;
	(void)name;
	(void)ext_id;
	(void)sys_id;
	set_msg(st, DOCTYPE_REFUSED);
	xmlStopParser(ctxt);
}

/*
 * Walks the whole tree once (iteratively: no recursion on input): refuses anything deeper than
 * max_depth, too many elements, and any node kind a DOCTYPE-free document cannot legitimately
 * hold (entity references, DTD nodes), before any text is read.
 */
static int check_tree(xmlNodePtr root, unsigned max_depth, struct parse_state *st)
{
	unsigned depth = 1, elements = 0;
	xmlNodePtr n = root;
	while (n != NULL) {
		switch (n->type) {
		case XML_ELEMENT_NODE:
			if (depth > max_depth) {
				set_msg(st, "document nesting exceeds the maximum depth");
				return -1;
			}
			if (++elements > XML_MAX_ELEMENTS) {
				set_msg(st, "document has too many elements");
				return -1;
			}
			break;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			break;
		default:
			set_msg(st, "entity references and declarations are not allowed");
			return -1;
		}
		if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
			n = n->children;
			depth++;
			continue;
		}
		while (n != root && n->next == NULL) {
			n = n->parent;
			depth--;
		}
		if (n == root)
			break;
		n = n->next;
	}
	return 0;
}

struct xml_doc *xml_parse(const char *body, size_t len, unsigned max_depth, char *err,
			  size_t errlen)
{
	struct parse_state st = {.failed = false};
	struct xml_doc *d = NULL;
	xmlDocPtr doc = NULL;
	xmlParserCtxtPtr ctxt = NULL;
	xmlNodePtr root;

	pthread_once(&init_once, init_libxml);
	silence_libxml();

	if (len == 0 || body == NULL) {
		set_msg(&st, "Premature end of file.");
		goto out;
	}
	if (len > XML_MAX_INPUT || len > INT_MAX) {
		set_msg(&st, "document is too large");
		goto out;
	}

	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		set_msg(&st, "out of memory");
		goto out;
	}
	st.blank = all_space(body, len);
	ctxt->_private = &st;
	/* Errors come to us (and go nowhere else); a DOCTYPE ends the parse where it starts. */
	ctxt->sax->serror = on_error;
	ctxt->sax->internalSubset = on_internal_subset;
	ctxt->vctxt.error = quiet_generic;
	ctxt->vctxt.warning = quiet_generic;
	/*
	 * Never NOENT (it substitutes entities: XXE), DTDLOAD, DTDATTR, XINCLUDE, HUGE or RECOVER;
	 * see shared/reference/api-security.md §5.
	 */
	int opts = XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOCDATA | XML_PARSE_NOERROR |
		   XML_PARSE_NOWARNING;
	doc = xmlCtxtReadMemory(ctxt, body, (int)len, NULL, NULL, opts);
	if (doc == NULL && !st.failed)
		set_msg(&st, "malformed document");
	xmlFreeParserCtxt(ctxt);
	if (st.failed)
		goto out;
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		set_msg(&st, DOCTYPE_REFUSED);
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL) {
		set_msg(&st, "Premature end of file.");
		goto out;
	}
	if (check_tree(root, max_depth, &st) < 0)
		goto out;

	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		set_msg(&st, "out of memory");
		goto out;
	}
	d->doc = doc;
	doc->_private = d;
	doc = NULL;
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	if (d == NULL && err != NULL && errlen > 0)
		snprintf(err, errlen, "Invalid XML ; %s", st.msg);
	return d;
}

void xml_free(struct xml_doc *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->ntexts; i++)
		xmlFree(d->texts[i]);
	free(d->texts);
	xmlFreeDoc(d->doc);
	free(d);
}

/* struct xml_node is libxml2's element node; the cast is the whole abstraction. */
static xmlNodePtr node(const struct xml_node *n)
{
	return (xmlNodePtr)(uintptr_t)n;
}

const struct xml_node *xml_root(const struct xml_doc *d)
{
	if (d == NULL)
		return NULL;
	return (const struct xml_node *)xmlDocGetRootElement(d->doc);
}

const char *xml_name(const struct xml_node *n)
{
	return n == NULL ? NULL : (const char *)node(n)->name;
}

static bool matches(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       (name == NULL || strcmp((const char *)n->name, name) == 0);
}

static const struct xml_node *first_from(xmlNodePtr n, const char *name)
{
	for (; n != NULL; n = n->next)
		if (matches(n, name))
			return (const struct xml_node *)n;
	return NULL;
}

const struct xml_node *xml_child(const struct xml_node *n, const char *name)
{
	return n == NULL ? NULL : first_from(node(n)->children, name);
}

const struct xml_node *xml_next(const struct xml_node *n, const char *name)
{
	return n == NULL ? NULL : first_from(node(n)->next, name);
}

/*
 * The text is computed once and cached in the node's _private slot, so repeated calls are
 * free; the cache writes to the document, so one document belongs to one thread at a time
 * (as a request does).
 */
const char *xml_text(const struct xml_node *n)
{
	if (n == NULL)
		return NULL;
	xmlNodePtr x = node(n);
	if (x->_private != NULL)
		return x->_private;
	/* The usual leaf, one text node: its content is the element's, no copy to make. */
	xmlNodePtr leaf = x->children;
	if (leaf != NULL && leaf == x->last && leaf->type == XML_TEXT_NODE &&
	    leaf->content != NULL) {
		x->_private = leaf->content;
		return (const char *)leaf->content;
	}
	struct xml_doc *d = NULL;
	/* The owning xml_doc is found through the libxml2 document's _private. */
	if (x->doc != NULL)
		d = x->doc->_private;
	if (d == NULL)
		return NULL;
	if (d->ntexts == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		char **t = realloc(d->texts, cap * sizeof(*t));
		if (t == NULL)
			return NULL;
		d->texts = t;
		d->cap = cap;
	}
	char *s = (char *)xmlNodeGetContent(x);
	if (s == NULL)
		return NULL;
	d->texts[d->ntexts++] = s;
	x->_private = s;
	return s;
}

const char *xml_child_text(const struct xml_node *n, const char *name)
{
	return xml_text(xml_child(n, name));
}

/* Writer. */

static bool reserve(struct xml_out *o, size_t more)
{
	if (o->err)
		return false;
	if (o->len + more + 1 <= o->cap)
		return true;
	size_t cap = o->cap ? o->cap : 512;
	while (cap < o->len + more + 1) {
		if (cap > SIZE_MAX / 2) {
			o->err = true;
			return false;
		}
		cap *= 2;
	}
	char *b = realloc(o->buf, cap);
	if (b == NULL) {
		o->err = true;
		return false;
	}
	o->buf = b;
	o->cap = cap;
	return true;
}

static void put(struct xml_out *o, const char *s, size_t n)
{
	if (!reserve(o, n))
		return;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_(struct xml_out *o, const char *s)
{
	put(o, s, strlen(s));
}

/*
 * Length of the well-formed UTF-8 sequence at s (at most n bytes) whose code point XML 1.0
 * allows as a character, or 0. Shortest forms only; no surrogates, U+FFFE or U+FFFF.
 */
static size_t xml_char_len(const unsigned char *s, size_t n)
{
	uint32_t c;
	size_t len;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		c = s[0] & 0x1f;
		len = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		c = s[0] & 0x0f;
		len = 3;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		c = s[0] & 0x07;
		len = 4;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	if ((c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff)
		return 0;
	return len;
}

/*
 * Text and attribute values: the five markup characters as entities; tab, newline and carriage
 * return as character references so they survive a parser's normalization; other control
 * characters and bytes that are not UTF-8 (which XML cannot carry at all, even as references)
 * become U+FFFD, so the document stays well-formed whatever a client sent us to echo.
 */
static void put_escaped(struct xml_out *o, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = strlen(text);
	size_t i = 0, run = 0; /* bytes s[i - run, i) are copied as they are */
	while (i < n) {
		const char *rep = NULL;
		size_t len = 1;
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		case '\t':
			rep = "&#9;";
			break;
		case '\n':
			rep = "&#10;";
			break;
		case '\r':
			rep = "&#13;";
			break;
		default:
			if (s[i] < 0x20) {
				rep = "\xef\xbf\xbd";
			} else {
				len = xml_char_len(s + i, n - i);
				if (len == 0) {
					rep = "\xef\xbf\xbd";
					len = 1;
				}
			}
		}
		if (rep == NULL) {
			i += len;
			run += len;
			continue;
		}
		put(o, (const char *)s + i - run, run);
		puts_(o, rep);
		run = 0;
		i += len;
	}
	put(o, (const char *)s + i - run, run);
}

void xml_begin(struct xml_out *o, const char *root, const char *ns)
{
	o->buf = NULL;
	o->len = o->cap = 0;
	o->err = false;
	puts_(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
	puts_(o, root);
	if (ns != NULL) {
		puts_(o, " xmlns=\"");
		put_escaped(o, ns);
		puts_(o, "\"");
	}
	puts_(o, ">");
}

void xml_open(struct xml_out *o, const char *tag)
{
	puts_(o, "<");
	puts_(o, tag);
	puts_(o, ">");
}

void xml_close(struct xml_out *o, const char *tag)
{
	puts_(o, "</");
	puts_(o, tag);
	puts_(o, ">");
}

void xml_elem(struct xml_out *o, const char *tag, const char *text)
{
	xml_open(o, tag);
	if (text != NULL)
		put_escaped(o, text);
	xml_close(o, tag);
}

void xml_elemf(struct xml_out *o, const char *tag, const char *fmt, ...)
{
	char small[256];
	char *text = small;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->err = true;
		return;
	}
	if ((size_t)n >= sizeof(small)) {
		text = malloc((size_t)n + 1);
		if (text == NULL) {
			o->err = true;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(text, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	xml_elem(o, tag, text);
	if (text != small)
		free(text);
}

void xml_end(struct xml_out *o, const char *root)
{
	xml_close(o, root);
}
