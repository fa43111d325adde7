// SPDX-License-Identifier: MIT
//
// test_web_html.c: fed-web's output buffer and escaping: every special
// character of HTML, JSON and URLs, control bytes, UTF-8 passed through,
// and the sticky failure past the size limit.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "web_html.h"

static void
test_html(void **state)
{
	(void) state;
	web_buf b;
	web_buf_init(&b);
	web_buf_html(&b, "<a href=\"x\">Tom & Jerry's</a>\x01\x7f\tok é");
	assert_string_equal(b.data,
	    "&lt;a href=&quot;x&quot;&gt;Tom &amp; "
	    "Jerry&#39;s&lt;/a&gt;\tok é");
	web_buf_html(&b, NULL);
	assert_int_equal(web_buf_status(&b), FED_OK);
	web_buf_fini(&b);
	web_buf_fini(&b); // twice is fine
}

static void
test_json_and_url(void **state)
{
	(void) state;
	web_buf b;
	web_buf_init(&b);
	web_buf_json(&b, "a\"b\\c\n</script>&");
	assert_string_equal(b.data,
	    "\"a\\\"b\\\\c\\u000a\\u003c/script\\u003e"
	    "\\u0026\"");
	web_buf_fini(&b);
	web_buf_url(&b, "kermelo/pv energy?&=é~-._");
	assert_string_equal(
	    b.data, "kermelo%2Fpv%20energy%3F%26%3D%C3%A9~-._");
	web_buf_fini(&b);
}

static void
test_printf_and_limit(void **state)
{
	(void) state;
	web_buf b;
	web_buf_init(&b);
	char big[1000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	web_buf_printf(&b, "%d-%s", 42, big);
	assert_int_equal(b.len, 3 + 999);
	assert_int_equal(strncmp(b.data, "42-xxx", 6), 0);
	// Past WEB_BUF_MAX: refused, and every later append too.
	char *huge = malloc(WEB_BUF_MAX);
	assert_non_null(huge);
	memset(huge, 'y', WEB_BUF_MAX);
	web_buf_putn(&b, huge, WEB_BUF_MAX);
	assert_int_equal(web_buf_status(&b), FED_RESOURCE_EXHAUSTED);
	size_t len = b.len;
	web_buf_put(&b, "more");
	assert_int_equal(b.len, len);
	free(huge);
	web_buf_fini(&b);
	assert_int_equal(web_buf_status(&b), FED_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_html),
	    cmocka_unit_test(test_json_and_url),
	    cmocka_unit_test(test_printf_and_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
