/* tests/fuzz/fuzz_xml.c - libFuzzer target: xml_parse() on arbitrary bytes, then every node read.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/xml.h"

#include "check.h"

#define MAX_DEPTH 32

/* Depth-first over every element, iteratively, as the API's readers walk a request. */
static void walk(const struct xml_node *root)
{
	const struct xml_node *stack[MAX_DEPTH + 1];
	unsigned depth = 0;
	const struct xml_node *n = root;
	while (n != NULL) {
		CHECK(depth < MAX_DEPTH);
		const char *name = xml_name(n);
		CHECK(name != NULL && name[0] != '\0');
		const char *text = xml_text(n);
		CHECK(text != NULL);
		CHECK(xml_text(n) == text); /* cached in the document */
		(void)strlen(text);
		/* Name lookups find the same node as walking does. */
		const struct xml_node *first = xml_child(n, NULL);
		if (first != NULL)
			CHECK(xml_child(n, xml_name(first)) == first);
		(void)xml_child_text(n, name);
		if (first != NULL) {
			stack[depth++] = n;
			n = first;
			continue;
		}
		while (n != NULL && xml_next(n, NULL) == NULL)
			n = depth > 0 ? stack[--depth] : NULL;
		if (n != NULL)
			n = xml_next(n, NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	memset(err, 0, sizeof(err));
	struct xml_doc *d = xml_parse((const char *)data, size, MAX_DEPTH, err, sizeof(err));
	if (d == NULL) {
		CHECK(strncmp(err, "Invalid XML ; ", 14) == 0);
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		return 0;
	}
	const struct xml_node *root = xml_root(d);
	CHECK(root != NULL);
	walk(root);

	/* Whatever was read writes back as a document that parses again. */
	struct xml_out o;
	xml_begin(&o, xml_name(root), "https://route53.amazonaws.com/doc/2013-04-01/");
	for (const struct xml_node *c = xml_child(root, NULL); c != NULL; c = xml_next(c, NULL))
		xml_elem(&o, xml_name(c), xml_text(c));
	xml_end(&o, xml_name(root));
	CHECK(!o.err);
	struct xml_doc *again = xml_parse(o.buf, o.len, MAX_DEPTH, err, sizeof(err));
	CHECK(again != NULL);
	const struct xml_node *c2 = xml_child(xml_root(again), NULL);
	for (const struct xml_node *c = xml_child(root, NULL); c != NULL; c = xml_next(c, NULL)) {
		CHECK(c2 != NULL);
		CHECK(strcmp(xml_name(c), xml_name(c2)) == 0);
		CHECK(strcmp(xml_text(c), xml_text(c2)) == 0);
		c2 = xml_next(c2, NULL);
	}
	CHECK(c2 == NULL);
	xml_free(again);
	free(o.buf);
	xml_free(d);
	return 0;
}
