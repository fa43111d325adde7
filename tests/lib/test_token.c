// SPDX-License-Identifier: MIT
//
// test_token.c: token shape and randomness, SHA-256 against a known
// vector, and the checks.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

struct seen {
	int n;
	char last_binding[64];
};

static fed_status
line_fn(const char *name, const char *role, const char *hash,
    const char *binding, void *arg, char *err, size_t err_len)
{
	struct seen *s = arg;
	if (strcmp(role, "nope") == 0) {
		snprintf(err, err_len, "unknown role '%s'", role);
		return FED_INVALID_ARGUMENT;
	}
	assert_int_equal(strlen(hash), FED_TOKEN_HASH_LEN);
	assert_null(strpbrk(hash, "ABCDEF")); // lower-cased
	assert_true(name[0] != '\0');
	snprintf(s->last_binding, sizeof(s->last_binding), "%s", binding);
	s->n++;
	return FED_OK;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

// The tokens file reader: comments, blank lines, bindings with spaces,
// upper-case hashes; a bad hash, a missing word and a refused role name
// their line.
static void
test_file(void **state)
{
	(void) state;
	char path[] = "/tmp/test_token_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	const char *h = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410F"
	                "F61F20015AD";
	char text[1024];
	snprintf(text, sizeof(text),
	    "# comment\n\nadmin admin %s\nbec organisation %s  Bretagne "
	    "Energie "
	    "Citoyenne  \r\n",
	    h, h);
	write_file(path, text);
	struct seen s = {0};
	char err[256] = "";
	assert_int_equal(
	    fed_token_file_read(path, line_fn, &s, err, sizeof(err)), FED_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.last_binding, "Bretagne Energie Citoyenne");
	char nope[128];
	snprintf(nope, sizeof(nope), "x nope %s\n", h);
	const char *bad[] = {"x reader abc\n", "x reader\n", nope};
	for (int i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "# first\n%s", bad[i]);
		write_file(path, text);
		assert_int_equal(
		    fed_token_file_read(path, line_fn, &s, err, sizeof(err)),
		    FED_INVALID_ARGUMENT);
		assert_non_null(strstr(err, ":2: "));
	}
	unlink(path);
	assert_int_equal(
	    fed_token_file_read(path, line_fn, &s, err, sizeof(err)),
	    FED_NOT_FOUND);
}

// A service's token source: the admin token and its hash come first, as
// admin lines, then the file; a bad hash is refused by name; the file is
// read again at each call (a reload), so a line removed is gone.
static void
test_source(void **state)
{
	(void) state;
	char path[] = "/tmp/test_token_src_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	const char *h = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410f"
	                "f61f20015ad";
	char text[512];
	snprintf(text, sizeof(text), "a reader %s\nb writer %s x/\n", h, h);
	write_file(path, text);
	fed_token_source src;
	assert_int_equal(
	    fed_token_source_init(&src, "secret",
	        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB"
	        "410FF61F20015AD",
	        path),
	    FED_OK);
	struct seen s = {0};
	char err[256] = "";
	assert_int_equal(
	    fed_token_source_read(&src, line_fn, &s, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.last_binding, "x/");
	snprintf(text, sizeof(text), "a reader %s\n", h);
	write_file(path, text);
	s = (struct seen) {0};
	assert_int_equal(
	    fed_token_source_read(&src, line_fn, &s, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(s.n, 3);
	fed_token_source_fini(&src);

	assert_int_equal(fed_token_source_init(&src, NULL, "abc", ""), FED_OK);
	assert_int_equal(
	    fed_token_source_read(&src, line_fn, &s, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "admin-token-hash"));
	fed_token_source_fini(&src);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new),
	    cmocka_unit_test(test_hash_and_check),
	    cmocka_unit_test(test_file),
	    cmocka_unit_test(test_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
