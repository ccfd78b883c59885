/* Unit tests for api/xml: Route 53 bodies read, hostile XML refused, responses written and read
 * back. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/xml.h"

#define NS    "https://route53.amazonaws.com/doc/2013-04-01/"
#define DEPTH 32

static const char change_batch[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ChangeResourceRecordSetsRequest xmlns=\"" NS "\">\n"
	"  <ChangeBatch>\n"
	"    <Comment>two changes</Comment>\n"
	"    <Changes>\n"
	"      <Change>\n"
	"        <Action>CREATE</Action>\n"
	"        <ResourceRecordSet>\n"
	"          <Name>www.example.com.</Name><Type>A</Type><TTL>300</TTL>\n"
	"          <ResourceRecords>\n"
	"            <ResourceRecord><Value>192.0.2.1</Value></ResourceRecord>\n"
	"            <ResourceRecord><Value>192.0.2.2</Value></ResourceRecord>\n"
	"          </ResourceRecords>\n"
	"        </ResourceRecordSet>\n"
	"      </Change>\n"
	"      <Change>\n"
	"        <Action>UPSERT</Action>\n"
	"        <ResourceRecordSet>\n"
	"          <Name>txt.example.com.</Name><Type>TXT</Type><TTL>60</TTL>\n"
	"          <ResourceRecords><ResourceRecord><Value>\"a &amp; b\"</Value>"
	"</ResourceRecord></ResourceRecords>\n"
	"        </ResourceRecordSet>\n"
	"      </Change>\n"
	"    </Changes>\n"
	"  </ChangeBatch>\n"
	"</ChangeResourceRecordSetsRequest>\n";

static struct xml_doc *parse(const char *s, char *err)
{
	return xml_parse(s, strlen(s), DEPTH, err, 256);
}

/* Parsing must fail with an "Invalid XML ; " message; returns the message. */
static const char *refused(const char *s, size_t len, unsigned depth)
{
	static char err[256];
	memset(err, 0, sizeof(err));
	struct xml_doc *d = xml_parse(s, len, depth, err, sizeof(err));
	assert_null(d);
	assert_true(strncmp(err, "Invalid XML ; ", 14) == 0);
	assert_true(strlen(err) > 14);
	return err;
}

static void test_change_batch(void **state)
{
	char err[256] = "";
	struct xml_doc *d = parse(change_batch, err);
	assert_non_null(d);
	const struct xml_node *root = xml_root(d);
	assert_string_equal(xml_name(root), "ChangeResourceRecordSetsRequest");

	const struct xml_node *batch = xml_child(root, "ChangeBatch");
	assert_non_null(batch);
	assert_ptr_equal(xml_child(root, NULL), batch);
	assert_string_equal(xml_child_text(batch, "Comment"), "two changes");
	assert_null(xml_child(batch, "Nope"));
	assert_null(xml_child_text(batch, "Nope"));

	const struct xml_node *changes = xml_child(batch, "Changes");
	const struct xml_node *c = xml_child(changes, "Change");
	assert_non_null(c);
	assert_string_equal(xml_child_text(c, "Action"), "CREATE");
	const struct xml_node *rrset = xml_child(c, "ResourceRecordSet");
	assert_string_equal(xml_child_text(rrset, "Name"), "www.example.com.");
	assert_string_equal(xml_child_text(rrset, "Type"), "A");
	assert_string_equal(xml_child_text(rrset, "TTL"), "300");
	const struct xml_node *rr =
		xml_child(xml_child(rrset, "ResourceRecords"), "ResourceRecord");
	assert_string_equal(xml_child_text(rr, "Value"), "192.0.2.1");
	rr = xml_next(rr, "ResourceRecord");
	assert_string_equal(xml_child_text(rr, "Value"), "192.0.2.2");
	assert_null(xml_next(rr, "ResourceRecord"));

	/* Siblings by name and by "any". */
	assert_string_equal(xml_name(xml_next(xml_child(rrset, "Name"), NULL)), "Type");
	assert_string_equal(xml_name(xml_next(xml_child(rrset, NULL), "TTL")), "TTL");

	c = xml_next(c, "Change");
	assert_non_null(c);
	assert_string_equal(xml_child_text(c, "Action"), "UPSERT");
	rrset = xml_child(c, "ResourceRecordSet");
	rr = xml_child(xml_child(rrset, "ResourceRecords"), "ResourceRecord");
	assert_string_equal(xml_child_text(rr, "Value"), "\"a & b\"");
	assert_null(xml_next(c, "Change"));
	assert_null(xml_next(c, NULL));

	/* The text is cached in the document: the same pointer every time. */
	const struct xml_node *action = xml_child(c, "Action");
	assert_ptr_equal(xml_text(action), xml_text(action));
	xml_free(d);
}

static void test_null_safe(void **state)
{
	assert_null(xml_root(NULL));
	assert_null(xml_name(NULL));
	assert_null(xml_child(NULL, "a"));
	assert_null(xml_next(NULL, NULL));
	assert_null(xml_text(NULL));
	assert_null(xml_child_text(NULL, "a"));
	xml_free(NULL);
}

static void test_text_entities(void **state)
{
	char err[256] = "";
	struct xml_doc *d = parse("<a><b>x &amp; &lt;y&gt; &quot;&apos; &#65;&#x42;&#xe9;</b>"
				  "<c><![CDATA[<z>&amp;]]></c><d/><e>caf\xc3\xa9 \xe2\x82\xac</e>"
				  "<f>  spaced  </f><g>one<h>two</h>three</g>"
				  "<i>a<!-- c -->b</i><j>x<![CDATA[y]]>z</j></a>",
				  err);
	assert_non_null(d);
	const struct xml_node *a = xml_root(d);
	assert_string_equal(xml_child_text(a, "b"), "x & <y> \"' AB\xc3\xa9");
	assert_string_equal(xml_child_text(a, "c"), "<z>&amp;");
	assert_string_equal(xml_child_text(a, "d"), "");
	assert_string_equal(xml_child_text(a, "e"), "caf\xc3\xa9 \xe2\x82\xac");
	/* Values keep their spaces: TXT data is what the client wrote. */
	assert_string_equal(xml_child_text(a, "f"), "  spaced  ");
	assert_string_equal(xml_child_text(a, "g"), "onetwothree");
	/* Text split into several nodes reads whole, as a single text node does. */
	assert_string_equal(xml_child_text(a, "i"), "ab");
	assert_string_equal(xml_child_text(a, "j"), "xyz");
	xml_free(d);
}

static void test_prefixed_names(void **state)
{
	char err[256] = "";
	struct xml_doc *d = parse("<r:GetChangeRequest xmlns:r=\"" NS "\"><r:Id>C1</r:Id>"
				  "</r:GetChangeRequest>",
				  err);
	assert_non_null(d);
	assert_string_equal(xml_name(xml_root(d)), "GetChangeRequest");
	assert_string_equal(xml_child_text(xml_root(d), "Id"), "C1");
	xml_free(d);
	/* A prefix bound to nothing is not namespace-well-formed. */
	refused("<r:a><r:b/></r:a>", 17, DEPTH);
}

static void test_doctype_refused(void **state)
{
	const char *msg = refused("<!DOCTYPE a><a/>", 16, DEPTH);
	assert_non_null(strstr(msg, "DOCTYPE is disallowed"));
	const char *s = "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ELEMENT a ANY>]><a>x</a>";
	refused(s, strlen(s), DEPTH);
}

static void test_billion_laughs(void **state)
{
	static const char s[] =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
		" <!ENTITY lol \"lol\">\n"
		" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
		" <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
		" <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
		" <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
		" <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
		" <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
		" <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
		" <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
		" <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
		"]>\n<lolz>&lol9;</lolz>\n";
	refused(s, sizeof(s) - 1, DEPTH);
}

static void test_quadratic_blowup(void **state)
{
	/* One 50 kB entity referenced 20,000 times: 1 GB if anything ever expanded it. */
	size_t cap = 200000;
	char *s = malloc(cap);
	assert_non_null(s);
	size_t n = (size_t)snprintf(s, cap, "<!DOCTYPE a [<!ENTITY e \"");
	memset(s + n, 'x', 50000);
	n += 50000;
	n += (size_t)snprintf(s + n, cap - n, "\">]><a>");
	for (int i = 0; i < 20000; i++) {
		memcpy(s + n, "&e;", 3);
		n += 3;
	}
	n += (size_t)snprintf(s + n, cap - n, "</a>");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	refused(s, n, DEPTH);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(ms < 200);
	free(s);
}

static void test_external_entities(void **state)
{
	static const char *const docs[] = {
		("<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
		 "<a>&xxe;</a>"),
		"<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a>x</a>",
		"<!DOCTYPE a PUBLIC \"-//x//y\" \"http://127.0.0.1:9/x.dtd\"><a>x</a>",
		"<!DOCTYPE a [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><a/>",
		/* Without a DOCTYPE, an entity has nowhere to come from. */
		"<a>&xxe;</a>",
	};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		const char *msg = refused(docs[i], strlen(docs[i]), DEPTH);
		assert_null(strstr(msg, "root:"));
		assert_null(strstr(msg, "/bin/"));
	}
}

static char *nested(unsigned levels, size_t *len)
{
	char *s = malloc(levels * 7 + 1);
	assert_non_null(s);
	size_t n = 0;
	for (unsigned i = 0; i < levels; i++) {
		memcpy(s + n, "<a>", 3);
		n += 3;
	}
	for (unsigned i = 0; i < levels; i++) {
		memcpy(s + n, "</a>", 4);
		n += 4;
	}
	s[n] = '\0';
	*len = n;
	return s;
}

static void test_depth(void **state)
{
	size_t len;
	char err[256];
	char *s = nested(8, &len);
	struct xml_doc *d = xml_parse(s, len, 8, err, sizeof(err));
	assert_non_null(d);
	xml_free(d);
	free(s);

	s = nested(9, &len);
	assert_non_null(strstr(refused(s, len, 8), "depth"));
	free(s);

	/* Deep siblings after a shallow branch are still counted from the root. */
	const char *t = "<a><b/><b><c><d/></c></b></a>";
	assert_null(xml_parse(t, strlen(t), 3, err, sizeof(err)));
	d = xml_parse(t, strlen(t), 4, err, sizeof(err));
	assert_non_null(d);
	xml_free(d);

	/* 10,000 and 100,000 levels: refused, not a stack overflow. */
	s = nested(10000, &len);
	refused(s, len, DEPTH);
	free(s);
	s = nested(100000, &len);
	refused(s, len, DEPTH);
	free(s);
}

static void test_malformed(void **state)
{
	assert_string_equal(refused("", 0, DEPTH), "Invalid XML ; Premature end of file.");
	assert_string_equal(refused(NULL, 0, DEPTH), "Invalid XML ; Premature end of file.");
	static const char *const docs[] = {
		"   \n ",
		"not xml at all",
		"<a>",
		"<a></b>",
		"<a><b></a></b>",
		"<a/><b/>",
		"<a/>trailing",
		"<a x=1/>",
		"<a x=\"1\" x=\"2\"/>",
		"<a>&bogus</a>",
		"<a>\xff\xfe</a>",
		"<a>\xc0\xaf</a>",
		"<?xml version=\"1.0\"?>",
		"<a><!-- unterminated </a>",
		"<a><![CDATA[ never ends </a>",
		"</a>",
		"<1a/>",
	};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		refused(docs[i], strlen(docs[i]), DEPTH);
	/* An embedded NUL is not a character XML allows. */
	refused("<a>x\0y</a>", 10, DEPTH);
	/* A length shorter than the string: only that much is read. */
	refused("<a></a>", 5, DEPTH);
	/* A tiny error buffer is truncated, never overrun. */
	char small[8];
	memset(small, 'z', sizeof(small));
	assert_null(xml_parse("<a>", 3, DEPTH, small, 6));
	assert_string_equal(small, "Inval");
	assert_int_equal(small[6], 'z');
	assert_null(xml_parse("<a>", 3, DEPTH, NULL, 0));
}

/* libxml2 prints nothing of its own, whatever it is given. */
static void test_silent(void **state)
{
	fflush(stderr);
	int saved = dup(2);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	dup2(fileno(tmp), 2);
	static const char *const docs[] = {"<a></b>", "<!DOCTYPE a><a/>", "<a>&x;</a>",
					   "<p:a/>",  "<a>\xff</a>",      "",
					   "<a/><a/>"};
	char err[256];
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		assert_null(xml_parse(docs[i], strlen(docs[i]), DEPTH, err, sizeof(err)));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(ftell(tmp), 0);
	fseek(tmp, 0, SEEK_END);
	assert_int_equal(ftell(tmp), 0);
	fclose(tmp);
}

static void *parse_many(void *arg)
{
	intptr_t fails = 0;
	char err[256];
	for (int i = 0; i < 300; i++) {
		struct xml_doc *d =
			xml_parse(change_batch, sizeof(change_batch) - 1, DEPTH, err, sizeof(err));
		const struct xml_node *c = xml_child(
			xml_child(xml_child(xml_root(d), "ChangeBatch"), "Changes"), "Change");
		const char *a = xml_child_text(c, "Action");
		if (a == NULL || strcmp(a, "CREATE") != 0)
			fails++;
		xml_free(d);
		if (xml_parse("<a></b>", 7, DEPTH, err, sizeof(err)) != NULL ||
		    strncmp(err, "Invalid XML ; ", 14) != 0)
			fails++;
	}
	(void)arg;
	return (void *)fails;
}

static void test_threads(void **state)
{
	pthread_t t[8];
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&t[i], NULL, parse_many, NULL), 0);
	for (int i = 0; i < 8; i++) {
		void *r;
		pthread_join(t[i], &r);
		assert_int_equal((intptr_t)r, 0);
	}
}

static void test_writer(void **state)
{
	struct xml_out o;
	xml_begin(&o, "GetChangeResponse", NS);
	xml_open(&o, "ChangeInfo");
	xml_elem(&o, "Id", "/change/C2682N5HXP0BZ4");
	xml_elem(&o, "Status", "INSYNC");
	xml_elemf(&o, "MaxItems", "%d", 100);
	xml_elem(&o, "Empty", "");
	xml_close(&o, "ChangeInfo");
	xml_end(&o, "GetChangeResponse");
	assert_false(o.err);
	assert_string_equal(o.buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				   "<GetChangeResponse xmlns=\"" NS "\"><ChangeInfo>"
				   "<Id>/change/C2682N5HXP0BZ4</Id><Status>INSYNC</Status>"
				   "<MaxItems>100</MaxItems><Empty></Empty></ChangeInfo>"
				   "</GetChangeResponse>");
	assert_int_equal(o.len, strlen(o.buf));
	free(o.buf);

	/* No namespace: a bare root. */
	xml_begin(&o, "R", NULL);
	xml_end(&o, "R");
	assert_string_equal(o.buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<R></R>");
	free(o.buf);
}

static void test_writer_escaping(void **state)
{
	struct xml_out o;
	xml_begin(&o, "R", "a&b\"c");
	xml_elem(&o, "T", "<&>\"'");
	xml_elem(&o, "W", "a\tb\nc\rd");
	xml_elem(&o, "C", "x\x01y\x1fz\x7f");
	xml_elem(&o, "U", "\xff ok \xc3\xa9 \xc0\xaf \xed\xa0\x80 \xef\xbf\xbe \xe2\x82");
	xml_end(&o, "R");
	assert_false(o.err);
	assert_string_equal(o.buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				   "<R xmlns=\"a&amp;b&quot;c\">"
				   "<T>&lt;&amp;&gt;&quot;&apos;</T>"
				   "<W>a&#9;b&#10;c&#13;d</W>"
				   "<C>x\xef\xbf\xbdy\xef\xbf\xbdz\x7f</C>"
				   "<U>\xef\xbf\xbd ok \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd "
				   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
				   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
				   "\xef\xbf\xbd\xef\xbf\xbd</U></R>");
	free(o.buf);
}

/* Whatever text goes in, the document parses and gives back the text (or U+FFFD for what XML cannot
 * carry). */
static void test_writer_round_trip(void **state)
{
	static const char *const texts[] = {
		"plain",
		"<tag attr=\"v\">&amp;</tag>",
		"'quoted' \"double\"",
		"tab\there\nnewline\r\ncrlf",
		"  leading and trailing  ",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		"]]> not a CDATA end",
		"\\052.example.com.",
		"",
	};
	struct xml_out o;
	xml_begin(&o, "ListResourceRecordSetsResponse", NS);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		xml_elem(&o, "Value", texts[i]);
	char big[1000];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	xml_elemf(&o, "Big", "%s&%d", big, 7);
	xml_end(&o, "ListResourceRecordSetsResponse");
	assert_false(o.err);

	char err[256] = "";
	struct xml_doc *d = xml_parse(o.buf, o.len, DEPTH, err, sizeof(err));
	assert_non_null(d);
	const struct xml_node *root = xml_root(d);
	assert_string_equal(xml_name(root), "ListResourceRecordSetsResponse");
	const struct xml_node *v = xml_child(root, "Value");
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_non_null(v);
		assert_string_equal(xml_text(v), texts[i]);
		v = xml_next(v, "Value");
	}
	assert_null(v);
	const char *b = xml_child_text(root, "Big");
	assert_int_equal(strlen(b), 1001);
	assert_string_equal(b + 999, "&7");
	xml_free(d);
	free(o.buf);

	/* Control bytes and broken UTF-8 become U+FFFD, and the document still parses. */
	xml_begin(&o, "R", NS);
	xml_elem(&o, "V", "a\x02\xff\xc3");
	xml_end(&o, "R");
	d = xml_parse(o.buf, o.len, DEPTH, err, sizeof(err));
	assert_non_null(d);
	assert_string_equal(xml_child_text(xml_root(d), "V"),
			    "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	xml_free(d);
	free(o.buf);
}

static void test_writer_large(void **state)
{
	struct xml_out o;
	xml_begin(&o, "R", NS);
	for (int i = 0; i < 20000; i++)
		xml_elemf(&o, "V", "record-%d.example.com.", i);
	xml_end(&o, "R");
	assert_false(o.err);
	assert_int_equal(o.len, strlen(o.buf));
	char err[256];
	struct xml_doc *d = xml_parse(o.buf, o.len, DEPTH, err, sizeof(err));
	assert_non_null(d);
	int n = 0;
	for (const struct xml_node *v = xml_child(xml_root(d), "V"); v; v = xml_next(v, "V"))
		n++;
	assert_int_equal(n, 20000);
	xml_free(d);
	free(o.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_change_batch),
		cmocka_unit_test(test_null_safe),
		cmocka_unit_test(test_text_entities),
		cmocka_unit_test(test_prefixed_names),
		cmocka_unit_test(test_doctype_refused),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_quadratic_blowup),
		cmocka_unit_test(test_external_entities),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_silent),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_writer_escaping),
		cmocka_unit_test(test_writer_round_trip),
		cmocka_unit_test(test_writer_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
