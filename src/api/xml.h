/*
 * api/xml.h - reading request bodies and writing response documents.
 *
 * Reading uses libxml2 with no DTD loading, no entity substitution and no network
 * (XML_PARSE_NONET, no XML_PARSE_NOENT/DTDLOAD), and refuses documents with a DOCTYPE, more than
 * `max_depth` levels or over the size cap: hostile XML is InvalidInput, never a crash.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct xml_doc;
struct xml_node; /* an element */

/* Parses body; NULL with a message in err ("Invalid XML ; ...") on failure. */
struct xml_doc *xml_parse(const char *body, size_t len, unsigned max_depth, char *err,
			  size_t errlen);
void xml_free(struct xml_doc *d);
const struct xml_node *xml_root(const struct xml_doc *d);
/* Local name of an element (namespace prefix left out). */
const char *xml_name(const struct xml_node *n);
/* First child element, or the first child element with this local name (NULL: any). */
const struct xml_node *xml_child(const struct xml_node *n, const char *name);
/* Next sibling element with this local name (NULL: any). */
const struct xml_node *xml_next(const struct xml_node *n, const char *name);
/* Text content of an element (owned by the doc), or NULL if n is NULL. */
const char *xml_text(const struct xml_node *n);
/* Text of the child `name` of n, or NULL. */
const char *xml_child_text(const struct xml_node *n, const char *name);

/* A growing output buffer for a response document. */
struct xml_out {
	char *buf; /* malloc'd, NUL-terminated */
	size_t len;
	size_t cap;
	bool err; /* out of memory: the document is unusable */
};
/* Starts a document: XML declaration and <root xmlns="ns">. */
void xml_begin(struct xml_out *o, const char *root, const char *ns);
void xml_open(struct xml_out *o, const char *tag);
void xml_close(struct xml_out *o, const char *tag);
/* <tag>escaped text</tag> */
void xml_elem(struct xml_out *o, const char *tag, const char *text);
void xml_elemf(struct xml_out *o, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Ends the document (closes root); the caller takes o->buf. */
void xml_end(struct xml_out *o, const char *root);
