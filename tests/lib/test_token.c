// SPDX-License-Identifier: MIT
//
// test_token.c: token shape and randomness, SHA-256 against a known
// vector, and the checks.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fed/token.h"

static void
test_new(void **state)
{
	(void) state;
	char a[FED_TOKEN_LEN + 1], b[FED_TOKEN_LEN + 1];
	assert_int_equal(fed_token_new(a, sizeof(a)), FED_OK);
	assert_int_equal(fed_token_new(b, sizeof(b)), FED_OK);
	assert_int_equal(strlen(a), FED_TOKEN_LEN);
	assert_memory_equal(a, "fed_", 4);
	assert_string_not_equal(a, b);
	for (size_t i = 4; i < FED_TOKEN_LEN; i++)
		assert_non_null(
		    strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		           "qrstuvwxyz0123456789-_",
		        a[i]));
	assert_int_equal(
	    fed_token_new(a, FED_TOKEN_LEN), FED_INVALID_ARGUMENT);
}

static void
test_hash_and_check(void **state)
{
	(void) state;
	char h[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash("abc", h); // FIPS 180-2 test vector
	assert_string_equal(h,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a"
	    "d");
	assert_true(fed_token_check("abc", h));
	assert_true(fed_token_check("abc",
	    "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015A"
	    "D"));
	assert_false(fed_token_check("abd", h));
	assert_false(fed_token_check("", h));
	assert_false(fed_token_check("abc", "ba78"));
	assert_false(fed_token_check(NULL, h));
	assert_true(fed_token_equal("same", "same"));
	assert_false(fed_token_equal("same", "sane"));
	assert_false(fed_token_equal("same", "samey"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new),
	    cmocka_unit_test(test_hash_and_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
