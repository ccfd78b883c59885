/* Unit tests of the resolver's caches: ranks, TTLs, negative and failure entries, eviction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "resolver/cache.h"

static void test_placeholder(void **state)
{
	struct cache *c;
	assert_int_equal(cache_new(1 << 20, &c), 0);
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placeholder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
