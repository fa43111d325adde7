// SPDX-License-Identifier: MIT
//
// test_web_form.c: decoding of query strings, form bodies and cookies,
// hostile input included (bad escapes, NUL, invalid UTF-8, too many or too
// long fields), and the number parsers of the forms.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "web_form.h"

static fed_status
parse(const char *s, web_params *p)
{
	return web_params_parse(s, strlen(s), p);
}

static void
test_params(void **state)
{
	(void) state;
	web_params p;
	assert_int_equal(
	    parse("a=1&&b=x+y%20z&s=k%2Fp&s=h&flag&=v", &p), FED_OK);
	assert_string_equal(web_params_get(&p, "a"), "1");
	assert_string_equal(web_params_get(&p, "b"), "x y z");
	assert_string_equal(web_params_get(&p, "flag"), "");
	assert_string_equal(web_params_get(&p, ""), "v");
	assert_null(web_params_get(&p, "nope"));
	const char *v[4];
	assert_int_equal(web_params_all(&p, "s", v, 1), 2);
	assert_string_equal(v[0], "k/p");
	web_params_fini(&p);
	web_params_fini(&p);
	assert_int_equal(web_params_parse("", 0, &p), FED_OK);
	assert_int_equal(p.n, 0);
	web_params_fini(&p);
	assert_int_equal(parse("n=Kerm%C3%A9lo", &p), FED_OK);
	assert_string_equal(web_params_get(&p, "n"), "Kermélo");
	web_params_fini(&p);
}

static void
test_hostile(void **state)
{
	(void) state;
	const char *bad[] = {"a=%", "a=%4", "a=%zz", "a=%00", "a=%C3%28",
	    "a=%C0%AF", "a=%ED%A0%80", "a=%F5%80%80%80", "a=%E2%82"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		web_params p;
		if (parse(bad[i], &p) != FED_INVALID_ARGUMENT)
			fail_msg("%s accepted", bad[i]);
		web_params_fini(&p);
	}
	// 65 pairs, and a value past WEB_FIELD_MAX.
	char many[65 * 4 + 1] = "";
	for (int i = 0; i < 65; i++)
		strcat(many, "a=1&");
	web_params p;
	assert_int_equal(parse(many, &p), FED_INVALID_ARGUMENT);
	web_params_fini(&p);
	char *longv = malloc(WEB_FIELD_MAX + 10);
	memset(longv, 'x', WEB_FIELD_MAX + 9);
	memcpy(longv, "a=", 2);
	longv[WEB_FIELD_MAX + 9] = '\0';
	assert_int_equal(parse(longv, &p), FED_INVALID_ARGUMENT);
	web_params_fini(&p);
	free(longv);
	assert_true(utf8_valid((const unsigned char *) "\xf0\x9f\x98\x80", 4));
	assert_false(utf8_valid((const unsigned char *) "\xf0\x9f\x98", 3));
}

static void
test_cookie(void **state)
{
	(void) state;
	char buf[16];
	assert_int_equal(web_cookie_get("a=1; fed_session=xyz; b=2",
	                     "fed_session", buf, sizeof(buf)),
	    FED_OK);
	assert_string_equal(buf, "xyz");
	assert_int_equal(
	    web_cookie_get("xfed_session=1", "fed_session", buf, sizeof(buf)),
	    FED_NOT_FOUND);
	assert_int_equal(
	    web_cookie_get(NULL, "a", buf, sizeof(buf)), FED_NOT_FOUND);
	assert_int_equal(
	    web_cookie_get("a=0123456789abcdefg", "a", buf, sizeof(buf)),
	    FED_INVALID_ARGUMENT);
}

static void
test_numbers(void **state)
{
	(void) state;
	int64_t i;
	double d;
	assert_int_equal(web_parse_int(" 42 ", 1, 100, &i), FED_OK);
	assert_int_equal(i, 42);
	assert_int_equal(
	    web_parse_int("101", 1, 100, &i), FED_INVALID_ARGUMENT);
	assert_int_equal(
	    web_parse_int("4x", 1, 100, &i), FED_INVALID_ARGUMENT);
	assert_int_equal(web_parse_int("", 1, 100, &i), FED_INVALID_ARGUMENT);
	assert_int_equal(
	    web_parse_int(NULL, 1, 100, &i), FED_INVALID_ARGUMENT);
	assert_int_equal(web_parse_int("99999999999999999999", 1, 100, &i),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(web_parse_double("16,2", 0, 100, &d), FED_OK);
	assert_true(d == 16.2);
	assert_int_equal(
	    web_parse_double("nan", 0, 100, &d), FED_INVALID_ARGUMENT);
	assert_int_equal(
	    web_parse_double("1e400", 0, 1e9, &d), FED_INVALID_ARGUMENT);
	assert_int_equal(
	    web_parse_double("-1", 0, 100, &d), FED_INVALID_ARGUMENT);
	assert_int_equal(web_parse_cents("34 000,5", INT64_MAX, &i), FED_OK);
	assert_int_equal(i, 3400050);
	assert_int_equal(web_parse_cents("250", INT64_MAX, &i), FED_OK);
	assert_int_equal(i, 25000);
	const char *bad[] = {
	    "1.234", "1.", "abc", "-5", "1.2.3", "", "999999999999999999999"};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		if (web_parse_cents(bad[k], INT64_MAX, &i)
		    != FED_INVALID_ARGUMENT)
			fail_msg("%s accepted", bad[k]);
	assert_int_equal(
	    web_parse_cents("101", 10000, &i), FED_INVALID_ARGUMENT);
}

static void
test_ident(void **state)
{
	(void) state;
	assert_true(web_is_ident("kermelo-pv", 100, 0, 0));
	assert_false(web_is_ident("kermelo/pv", 100, 0, 0));
	assert_true(web_is_ident("kermelo/pv/energy", 200, 1, 0));
	assert_false(web_is_ident("<b>", 200, 1, 1));
	assert_false(web_is_ident("", 10, 0, 0));
	assert_false(web_is_ident(NULL, 10, 0, 0));
	assert_false(web_is_ident("abcdefghijk", 10, 0, 0));
	assert_true(web_is_ident("a@b", 10, 0, 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_params),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_cookie),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_ident),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
