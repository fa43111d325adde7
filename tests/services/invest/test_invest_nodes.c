// SPDX-License-Identifier: MIT
//
// test_invest_nodes.c: fed-invest's node clients without a node: the
// `name=url` list (defaults, duplicates, bad entries and addresses), node
// names checked against it, an empty range that costs no call, and a node
// nobody answers for: UNAVAILABLE with the node's name and address, within
// the configured timeout. The answers of a real node are tested end to end
// in test_invest.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fed/clock.h"
#include "fed_test.h"
#include "invest_nodes.h"

static void
expect_bad_list(const char *list, const char *needle)
{
	invest_nodes *n = NULL;
	char err[256] = "";
	assert_int_equal(
	    invest_nodes_new(list, "t", 1000, &n, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_null(n);
	if (strstr(err, needle) == NULL)
		fail_msg("'%s' not in '%s'", needle, err);
}

static void
test_list(void **state)
{
	(void) state;
	expect_bad_list("", "at least one");
	expect_bad_list(",,", "at least one");
	expect_bad_list(
	    "a=tcp://127.0.0.1:1,a=tcp://127.0.0.1:2", "'a' named twice");
	expect_bad_list("a=", "expected name=url");
	expect_bad_list("=tcp://127.0.0.1:1", "expected name=url");
	expect_bad_list("a=notaurl", "bad address 'notaurl'");
	invest_nodes *n = NULL;
	char err[256] = "";
	// A bare address is the node called "node".
	assert_int_equal(invest_nodes_new("tcp://127.0.0.1:1", NULL, 1000, &n,
	                     err, sizeof(err)),
	    FED_OK);
	assert_int_equal(
	    invest_nodes_check(n, "node", err, sizeof(err)), FED_OK);
	invest_nodes_free(n);
	invest_nodes_free(NULL);
}

static void
test_check(void **state)
{
	(void) state;
	invest_nodes *n = NULL;
	char err[256] = "";
	assert_int_equal(
	    invest_nodes_new("lognact=tcp://127.0.0.1:1,bmhs=ipc:/"
	                     "//tmp/none.sock",
	        "t", 1000, &n, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(invest_nodes_check(n, "", err, sizeof(err)), FED_OK);
	assert_int_equal(
	    invest_nodes_check(n, "bmhs", err, sizeof(err)), FED_OK);
	assert_int_equal(invest_nodes_check(n, "elsewhere", err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_string_equal(err,
	    "series_node: 'elsewhere' is not a node of this fed-invest "
	    "(known: lognact bmhs)");
	invest_nodes_free(n);
}

static void
test_unreachable(void **state)
{
	(void) state;
	char list[128], err[512] = "";
	int port = fed_test_free_port();
	snprintf(list, sizeof(list), "lognact=tcp://127.0.0.1:%d", port);
	invest_nodes *n = NULL;
	assert_int_equal(
	    invest_nodes_new(list, "t", 300, &n, err, sizeof(err)), FED_OK);
	double wh = -1, cov = -1;
	// An empty range needs no node.
	assert_int_equal(
	    invest_nodes_sum(n, "", "kermelo/pv/energy", 1000, 1000,
	        "Europe/Paris", &wh, &cov, err, sizeof(err)),
	    FED_OK);
	assert_true(wh == 0 && cov == 0);
	int64_t t0 = fed_clock_mono_ms();
	assert_int_equal(invest_nodes_sum(n, "lognact", "kermelo/pv/energy", 0,
	                     86400000, "", &wh, &cov, err, sizeof(err)),
	    FED_UNAVAILABLE);
	assert_true(fed_clock_mono_ms() - t0 < 5000);
	char want[256];
	snprintf(want, sizeof(want),
	    "node 'lognact' (tcp://127.0.0.1:%d) is unreachable", port);
	if (strstr(err, want) == NULL)
		fail_msg("'%s' not in '%s'", want, err);
	assert_non_null(strstr(err, "'kermelo/pv/energy' cannot be computed"));
	int64_t last = -1;
	assert_int_equal(invest_nodes_last_ms(n, "", "kermelo/pv/energy",
	                     &last, err, sizeof(err)),
	    FED_UNAVAILABLE);
	assert_int_equal(last, -1);
	invest_nodes_free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_unreachable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
