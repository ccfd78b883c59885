/* Replay tests of the resolver state machine against a scripted sandbox internet. */
#include "fakenet.h"

static void test_smoke(void **state)
{
	struct net *n = net_new(NULL, 0);
	struct reply r = resolve(n, "www.example.com.", DNS_T_A);
	assert_int_equal(RCODE(r), DNS_RC_NOERROR);
	assert_true(has_rr(&r, WIRE_ANSWER, "www.example.com.", DNS_T_CNAME, "example.com."));
	assert_true(has_rr(&r, WIRE_ANSWER, "example.com.", DNS_T_A, "192.0.2.10"));
	reply_free(&r);
	net_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smoke),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
