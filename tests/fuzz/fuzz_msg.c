/* tests/fuzz/fuzz_msg.c - libFuzzer target: dns_query_parse() on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/msg.h"
#include "dns/name.h"

#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *msg, size_t size)
{
	/* libFuzzer hands us an exact-size heap copy: a read past `size` hits ASan's redzone. */
	struct dns_query q;
	memset(&q, 0xa5, sizeof(q));
	enum dns_parse_result r = dns_query_parse(msg, size, &q);
	CHECK(r == DNS_PARSE_OK || r == DNS_PARSE_DROP || r == DNS_PARSE_ERROR);

	if (r != DNS_PARSE_DROP) {
		/* Anything answered has a whole header to echo. */
		CHECK(size >= DNS_HEADER_SIZE);
		CHECK(q.id == (uint16_t)(msg[0] << 8 | msg[1]));
		CHECK(q.flags == (uint16_t)(msg[2] << 8 | msg[3]));
		CHECK((q.flags & DNS_F_QR) == 0);
		if (q.qname_len > 0) {
			CHECK(q.qname_len <= DNS_NAME_MAXLEN);
			CHECK(dns_name_len(q.qname) == q.qname_len);
			CHECK(q.question_end <= size);
			/* The question is never compressed: its name is the wire bytes as sent. */
			CHECK(memcmp(q.qname, msg + DNS_HEADER_SIZE, q.qname_len) == 0);
		}
	}
	if (r == DNS_PARSE_OK) {
		CHECK(q.qdcount == 1);
		CHECK(DNS_OPCODE(q.flags) == DNS_OP_QUERY);
		CHECK(q.qname_len > 0);
		CHECK(q.question_end == DNS_HEADER_SIZE + q.qname_len + 4);
		CHECK(q.qtype ==
		      (uint16_t)(msg[q.question_end - 4] << 8 | msg[q.question_end - 3]));
		CHECK(!q.edns || q.edns_version == 0);
	}
	/* NOTAUTH: a TSIG record, and no keys are configured (RFC 8945 §5.2). */
	if (r == DNS_PARSE_ERROR)
		CHECK(q.rcode == DNS_RC_FORMERR || q.rcode == DNS_RC_NOTIMP ||
		      q.rcode == DNS_RC_BADVERS || q.rcode == DNS_RC_NOTAUTH);
	return 0;
}
