// SPDX-License-Identifier: MIT
//
// test_envoy_digest.c: HTTP digest authentication as gateways before
// firmware 7 ask for it: RFC 7616's MD5 example answered to the letter,
// a challenge without qop (RFC 2069), and the challenges refused.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "envoy_digest.h"

// RFC 7616, section 3.9.1, with MD5.
static void
test_rfc7616_md5(void **state)
{
	(void) state;
	envoy_digest_challenge c;
	assert_int_equal(
	    envoy_digest_parse("Digest realm=\"http-auth@example.org\", "
	                       "qop=\"auth, auth-int\", algorithm=MD5, "
	                       "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZ"
	                       "H4GiTo0v\", opaque=\"FQhe/qaU925kfnzjCev0ciny"
	                       "7QMkPqMAFRtzCUYo5tdS\"",
	        &c),
	    FED_OK);
	assert_string_equal(c.realm, "http-auth@example.org");
	assert_true(c.qop_auth);
	char out[1024];
	assert_int_equal(envoy_digest_answer(&c, "Mufasa", "Circle of Life",
	                     "GET", "/dir/index.html",
	                     "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", 1,
	                     out, sizeof(out)),
	    FED_OK);
	assert_non_null(
	    strstr(out, "response=\"8ca523f5e9506fed4657c9700eebdbec\""));
	assert_non_null(strstr(out, "qop=auth, nc=00000001"));
	assert_non_null(strstr(
	    out, "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""));
	assert_int_equal(envoy_digest_answer(&c, "Mufasa", "Circle of Life",
	                     "GET", "/dir/index.html", "x", 1, out, 40),
	    FED_INVALID_ARGUMENT);
}

// RFC 2069 (no qop), the form of RFC 2617's example: response =
// MD5(HA1:nonce:HA2).
static void
test_no_qop(void **state)
{
	(void) state;
	envoy_digest_challenge c;
	assert_int_equal(
	    envoy_digest_parse("Digest realm=\"enphaseenergy.com\","
	                       "nonce=\"abc\"",
	        &c),
	    FED_OK);
	assert_false(c.qop_auth);
	char out[512];
	assert_int_equal(
	    envoy_digest_answer(&c, "envoy", "123456", "GET",
	        "/api/v1/production/inverters", "n", 1, out, sizeof(out)),
	    FED_OK);
	assert_null(strstr(out, "qop="));
	assert_non_null(strstr(out, "username=\"envoy\""));
}

static void
test_refused(void **state)
{
	(void) state;
	envoy_digest_challenge c;
	const char *bad[] = {
	    NULL, "", "Bearer realm=\"x\"", "Basic realm=\"x\"",
	    "Digest nonce=\"n\"", // no realm
	    "Digest realm=\"r\"", // no nonce
	    "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256",
	    "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"",
	    "Digest realm=\"r, nonce=\"n\"", // unterminated quote
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    envoy_digest_parse(bad[i], &c), FED_INVALID_ARGUMENT);
	char long_nonce[400];
	memset(long_nonce, 'n', sizeof(long_nonce) - 1);
	long_nonce[sizeof(long_nonce) - 1] = '\0';
	char h[512];
	snprintf(h, sizeof(h), "Digest realm=\"r\", nonce=\"%s\"", long_nonce);
	assert_int_equal(envoy_digest_parse(h, &c), FED_INVALID_ARGUMENT);
	assert_int_equal(
	    envoy_digest_parse("Digest realm=\"r\", nonce=\"n\"", &c), FED_OK);
	char out[512];
	assert_int_equal(envoy_digest_answer(&c, "ev\"il", "p", "GET", "/",
	                     "n", 1, out, sizeof(out)),
	    FED_INVALID_ARGUMENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc7616_md5),
	    cmocka_unit_test(test_no_qop),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
