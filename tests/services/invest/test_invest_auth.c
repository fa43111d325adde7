// SPDX-License-Identifier: MIT
//
// test_invest_auth.c: fed-invest's token table: the tokens file (bindings
// with spaces, comments, malformed lines), the roles each method admits,
// and the binding checks: an investor sees only itself, an organisation
// manages only its own projects.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fed/token.h"
#include "fed_test.h"
#include "invest_auth.h"

struct fx {
	char *dir;
	char path[512];
};

static void
write_tokens(struct fx *x, const char *text)
{
	FILE *f = fopen(x->path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	x->dir = fed_test_tmpdir("invauth");
	snprintf(x->path, sizeof(x->path), "%s/tokens", x->dir);
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *x = *state;
	fed_test_rmtree(x->dir);
	free(x->dir);
	free(x);
	return 0;
}

static invest_auth *
load(struct fx *x)
{
	char ha[65], ho[65], text[1024];
	fed_token_hash("alice-secret", ha);
	fed_token_hash("bec-secret", ho);
	snprintf(text, sizeof(text),
	    "# fed-invest tokens\n\n"
	    "alice-phone investor %s alice\n"
	    "bec-app organisation %s  Bretagne Energie Citoyenne  \n",
	    ha, ho);
	write_tokens(x, text);
	invest_auth *a = NULL;
	char err[256] = "";
	assert_int_equal(invest_auth_new("admin-secret", NULL, x->path, &a,
	                     err, sizeof(err)),
	    FED_OK);
	return a;
}

static const invest_principal *
who(invest_auth *a, const char *token, const char *method, fed_status want)
{
	void *p = NULL;
	assert_int_equal(invest_auth_check(token, method, "", &p, a), want);
	return p;
}

static void
test_table(void **state)
{
	invest_auth *a = load(*state);
	assert_int_equal(invest_auth_count(a), 3);
	assert_true(invest_auth_knows_investor(a, "alice"));
	assert_false(invest_auth_knows_investor(a, "bob"));
	const invest_principal *p
	    = who(a, "bec-secret", "/enfed.v1.Invest/GetProject", FED_OK);
	assert_non_null(p);
	assert_int_equal(p->role, INVEST_ROLE_ORGANISATION);
	assert_string_equal(p->bound, "Bretagne Energie Citoyenne");
	p = who(a, "alice-secret", "/enfed.v1.Invest/Summary", FED_OK);
	assert_string_equal(p->bound, "alice");
	invest_auth_free(a);
	invest_auth_free(NULL);
}

static void
test_methods(void **state)
{
	invest_auth *a = load(*state);
	who(a, "", "/enfed.v1.Health/Check", FED_OK);
	who(a, "", "/enfed.v1.Invest/GetProject", FED_UNAUTHENTICATED);
	who(a, "guess", "/enfed.v1.Invest/GetProject", FED_UNAUTHENTICATED);
	// Investors cannot enter projects; organisations hold no shares.
	who(a, "alice-secret", "/enfed.v1.Invest/CreateProject",
	    FED_PERMISSION_DENIED);
	who(a, "bec-secret", "/enfed.v1.Invest/PutInvestment",
	    FED_PERMISSION_DENIED);
	who(a, "bec-secret", "/enfed.v1.Invest/Summary",
	    FED_PERMISSION_DENIED);
	who(a, "bec-secret", "/enfed.v1.Invest/CreateProject", FED_OK);
	who(a, "bec-secret", "/enfed.v1.Invest/Distribution", FED_OK);
	// Deleting a project is its organisation's (or the administrator's).
	who(a, "alice-secret", "/enfed.v1.Invest/DeleteProject",
	    FED_PERMISSION_DENIED);
	who(a, "bec-secret", "/enfed.v1.Invest/DeleteProject", FED_OK);
	// A method nobody listed is the administrator's.
	who(a, "alice-secret", "/enfed.v1.Invest/Unknown",
	    FED_PERMISSION_DENIED);
	who(a, "admin-secret", "/enfed.v1.Invest/Unknown", FED_OK);
	invest_auth_free(a);
}

static void
test_bindings(void **state)
{
	invest_auth *a = load(*state);
	// Copies: a principal is the calling thread's until its next check.
	invest_principal alice_p
	    = *who(a, "alice-secret", "/enfed.v1.Invest/Summary", FED_OK);
	invest_principal bec_p
	    = *who(a, "bec-secret", "/enfed.v1.Invest/GetProject", FED_OK);
	invest_principal admin_p
	    = *who(a, "admin-secret", "/enfed.v1.Invest/Summary", FED_OK);
	const invest_principal *alice = &alice_p, *bec = &bec_p,
	                       *admin = &admin_p;
	const char *inv = NULL;
	char err[256];
	assert_int_equal(
	    invest_auth_investor(alice, "", &inv, err, sizeof(err)), FED_OK);
	assert_string_equal(inv, "alice");
	assert_int_equal(
	    invest_auth_investor(alice, "alice", &inv, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(
	    invest_auth_investor(alice, "bob", &inv, err, sizeof(err)),
	    FED_PERMISSION_DENIED);
	assert_non_null(strstr(err, "another investor"));
	assert_int_equal(
	    invest_auth_investor(admin, "bob", &inv, err, sizeof(err)),
	    FED_OK);
	assert_string_equal(inv, "bob");
	assert_int_equal(
	    invest_auth_investor(admin, "", &inv, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(
	    invest_auth_investor(bec, "alice", &inv, err, sizeof(err)),
	    FED_PERMISSION_DENIED);
	assert_int_equal(invest_auth_may_manage(bec,
	                     "Bretagne Energie Citoyenne", err, sizeof(err)),
	    FED_OK);
	assert_int_equal(
	    invest_auth_may_manage(bec, "Enercoop", err, sizeof(err)),
	    FED_PERMISSION_DENIED);
	assert_int_equal(invest_auth_may_manage(alice,
	                     "Bretagne Energie Citoyenne", err, sizeof(err)),
	    FED_PERMISSION_DENIED);
	assert_int_equal(
	    invest_auth_may_manage(admin, "Enercoop", err, sizeof(err)),
	    FED_OK);
	invest_auth_free(a);
}

static void
expect_bad_file(struct fx *x, const char *text, fed_status want)
{
	write_tokens(x, text);
	invest_auth *a = NULL;
	char err[256] = "";
	assert_int_equal(
	    invest_auth_new(NULL, NULL, x->path, &a, err, sizeof(err)), want);
	assert_null(a);
	assert_non_null(strstr(err, ":1:"));
}

static void
test_bad_files(void **state)
{
	struct fx *x = *state;
	char h[65], line[256];
	fed_token_hash("t", h);
	snprintf(line, sizeof(line), "bob investor %s\n", h);
	expect_bad_file(x, line, FED_INVALID_ARGUMENT); // no investor id
	snprintf(line, sizeof(line), "root admin %s alice\n", h);
	expect_bad_file(x, line, FED_INVALID_ARGUMENT); // admin bound
	snprintf(line, sizeof(line), "bob owner %s bob\n", h);
	expect_bad_file(x, line, FED_INVALID_ARGUMENT); // unknown role
	expect_bad_file(x, "bob investor 1234 bob\n", FED_INVALID_ARGUMENT);
	invest_auth *a = NULL;
	char err[256] = "";
	char missing[600];
	snprintf(missing, sizeof(missing), "%s/none", x->dir);
	assert_int_equal(
	    invest_auth_new(NULL, NULL, missing, &a, err, sizeof(err)),
	    FED_NOT_FOUND);
	assert_int_equal(
	    invest_auth_new(NULL, "xyz", NULL, &a, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "admin-token-hash"));
	// A hash instead of the admin token works the same.
	assert_int_equal(
	    invest_auth_new(NULL, h, NULL, &a, err, sizeof(err)), FED_OK);
	who(a, "t", "/enfed.v1.Invest/Unknown", FED_OK);
	invest_auth_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_methods, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bindings, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
