// SPDX-License-Identifier: MIT
//
// test_invest_nodes.c: fed-invest's node clients without a node: the
// `name=url` list (defaults, duplicates, bad entries and addresses), node
// names checked against it, an empty range that costs no call, a node
// nobody answers for: UNAVAILABLE with the node's name and address, within
// the configured timeout; and reads under a household's grant refused
// before any call when the token is missing, the node unknown, or the
// token fed-invest's own, UNAVAILABLE (naming the node, not its address)
// when the node does not answer. The answers of a real node are tested end
// to end in test_invest and test_invest_consent.

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
	assert_int_equal(
	    invest_nodes_production(n, "", "kermelo/pv/energy",
	        "Bretagne Energie Citoyenne", &last, err, sizeof(err)),
	    FED_UNAVAILABLE);
	assert_int_equal(last, -1);
	invest_nodes_free(n);
}

static void
test_grant_refused_locally(void **state)
{
	(void) state;
	char list[128], err[512] = "";
	snprintf(list, sizeof(list), "bmhs=tcp://127.0.0.1:%d",
	    fed_test_free_port());
	invest_nodes *n = NULL;
	assert_int_equal(invest_nodes_new(list, "own-node-token", 300, &n, err,
	                     sizeof(err)),
	    FED_OK);
	invest_granted g = {"bmhs", "maison/linky/energy", ""};
	assert_int_equal(invest_nodes_grant_check(n, &g, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_string_equal(err, "grant_token: missing");
	g.grant_token = NULL;
	assert_int_equal(invest_nodes_grant_check(n, &g, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	// fed-invest's own token is never a household's grant: refused
	// without a call, and without saying why.
	g.grant_token = "own-node-token";
	int64_t t0 = fed_clock_mono_ms();
	assert_int_equal(invest_nodes_grant_check(n, &g, err, sizeof(err)),
	    FED_PERMISSION_DENIED);
	assert_true(fed_clock_mono_ms() - t0 < 250);
	assert_string_equal(err,
	    "grant_token: does not let fed-invest read series "
	    "'maison/linky/energy' on node 'bmhs'");
	Enfed__V1__QueryResponse *res = NULL;
	assert_int_equal(invest_nodes_grant_days(
	                     n, &g, 0, 86400000, "", &res, err, sizeof(err)),
	    FED_PERMISSION_DENIED);
	assert_null(res);
	g.node = "elsewhere";
	g.grant_token = "fed_some-grant";
	assert_int_equal(invest_nodes_grant_check(n, &g, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "'elsewhere' is not a node"));
	invest_nodes_free(n);
}

static void
test_grant_unreachable(void **state)
{
	(void) state;
	char list[128], err[512] = "";
	int port = fed_test_free_port();
	snprintf(list, sizeof(list), "bmhs=tcp://127.0.0.1:%d", port);
	invest_nodes *n = NULL;
	assert_int_equal(
	    invest_nodes_new(list, NULL, 300, &n, err, sizeof(err)), FED_OK);
	invest_granted g = {"", "maison/linky/energy", "fed_some-grant"};
	int64_t t0 = fed_clock_mono_ms();
	assert_int_equal(invest_nodes_grant_check(n, &g, err, sizeof(err)),
	    FED_UNAVAILABLE);
	assert_true(fed_clock_mono_ms() - t0 < 5000);
	assert_string_equal(err,
	    "node 'bmhs' is unreachable; the consumption of series "
	    "'maison/linky/energy' cannot be read now");
	Enfed__V1__QueryResponse *res = NULL;
	assert_int_equal(invest_nodes_grant_days(
	                     n, &g, 0, 86400000, "", &res, err, sizeof(err)),
	    FED_UNAVAILABLE);
	assert_null(res);
	invest_nodes_free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_unreachable),
	    cmocka_unit_test(test_grant_refused_locally),
	    cmocka_unit_test(test_grant_unreachable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
