// SPDX-License-Identifier: MIT
//
// test_web_access.c: fed-web per person, over HTTP (web_fixture.h: two
// households on one node, their replicas on the school's node, and five
// users who each read the nodes with tokens of their own).
//
// Logged in as each role (two investors, a household, a teacher, an
// administrator), nothing of another household is listed or retrievable
// by changing an id in a URL, a form or an API call: the curves' list,
// a curve, the live page and its JSON, and, for the households, every
// consent page and form. A household sees the grants on its series (not
// the neighbour's), each one's access log, revokes one (confirmation,
// then a POST with the CSRF token), which stops the replication on the
// grantee's node, and grants its daily totals to a member chosen from the
// directory; without the directory the form is disabled.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed_test.h"
#include "web_fixture.h"

#define HOUR   INT64_C(3600000)
#define LEGALL WEB_FX_LEGALL_SERIES
#define MARTIN WEB_FX_MARTIN_SERIES

static struct web_fx fx;
static char alice[128], legall[128], martin[128], bob[128], root_[128];

static void
login_all(void)
{
	assert_int_equal(web_fx_login(&fx, "alice", alice, sizeof(alice)), 0);
	assert_int_equal(
	    web_fx_login(&fx, "legall", legall, sizeof(legall)), 0);
	assert_int_equal(
	    web_fx_login(&fx, "martin", martin, sizeof(martin)), 0);
	assert_int_equal(web_fx_login(&fx, "bob", bob, sizeof(bob)), 0);
	assert_int_equal(web_fx_login(&fx, "root", root_, sizeof(root_)), 0);
}

static int
setup(void **state)
{
	(void) state;
	if (web_fx_start(&fx) != 0)
		return -1;
	login_all();
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	return web_fx_stop(&fx) == 0 ? 0 : -1;
}

static void
get(const char *path, const char *cookie, int status, struct http_res *r)
{
	assert_int_equal(web_http(&fx, "GET", path, cookie, NULL, r), 0);
	if (r->status != status)
		fail_msg("GET %s: %d, expected %d\n%s", path, r->status,
		    status, r->body);
}

static void
post(const char *path, const char *cookie, const char *body, int status,
    struct http_res *r)
{
	assert_int_equal(web_http(&fx, "POST", path, cookie, body, r), 0);
	if (r->status != status)
		fail_msg("POST %s: %d, expected %d\n%s", path, r->status,
		    status, r->body);
}

// GET path answers status and its body does not hold `absent`.
static void
get_without(
    const char *path, const char *cookie, int status, const char *absent)
{
	struct http_res r;
	get(path, cookie, status, &r);
	if (absent != NULL && strstr(r.body, absent) != NULL)
		fail_msg("GET %s shows %s:\n%s", path, absent, r.body);
	http_res_free(&r);
}

// The session's CSRF token, from a page it may see.
static void
csrf_of(const char *cookie, const char *page, char *buf, size_t len)
{
	struct http_res r;
	get(page, cookie, 200, &r);
	assert_non_null(
	    attr_after(r.body, "name=\"csrf\"", "value", buf, len));
	http_res_free(&r);
}

// A series of another household, through every path that reads one:
// "not found", with nothing of it in the answer.
static void
refused_series(const char *cookie, const char *id)
{
	char path[256];
	snprintf(
	    path, sizeof(path), "/curves?s=%s&scale=week&at=2026-06-10", id);
	get_without(path, cookie, 404, "curve-panel");
	snprintf(path, sizeof(path),
	    "/curves?s=kermelo/pv/energy&s=%s&scale=day&at=2026-06-10", id);
	get_without(path, cookie, 404, "curve-panel");
	snprintf(path, sizeof(path), "/curves?s=%s&overlay=1", id);
	get_without(path, cookie, 404, "<svg");
	snprintf(path, sizeof(path), "/live?s=%s", id);
	get_without(path, cookie, 404, "data-live-series");
	snprintf(path, sizeof(path), "/api/live?s=%s", id);
	get_without(path, cookie, 404, "last_value");
	// An id that does not exist answers the same.
	get_without("/api/live?s=maison-nobody/linky/energy", cookie, 404,
	    "last_value");
}

// The series offered by the curves page's list.
static char *
listed(const char *cookie)
{
	struct http_res r;
	get("/curves", cookie, 200, &r);
	const char *form = strstr(r.body, "<details class=\"choose\"");
	assert_non_null(form);
	char *copy = strdup(form);
	http_res_free(&r);
	return copy;
}

static void
test_investor_alice(void **state)
{
	(void) state;
	char *l = listed(alice);
	assert_non_null(strstr(l, "value=\"kermelo/pv/energy\""));
	assert_null(strstr(l, "maison-"));
	assert_null(strstr(l, "kermelo/school"));
	free(l);
	refused_series(alice, LEGALL);
	refused_series(alice, MARTIN);
	refused_series(alice, "kermelo/school/energy");
	struct http_res r;
	get("/api/live?s=kermelo/pv/energy", alice, 200, &r);
	assert_non_null(strstr(r.body, "\"power_w\":100,"));
	http_res_free(&r);
	get_without("/consent", alice, 403, "data-grant");
	get_without("/consent/log?node=bmhs&grant=x", alice, 403, NULL);
}

static void
test_household_legall(void **state)
{
	(void) state;
	char *l = listed(legall);
	assert_non_null(strstr(l, "value=\"" LEGALL "\""));
	assert_non_null(strstr(l, "value=\"kermelo/pv/energy\""));
	assert_null(strstr(l, "maison-martin"));
	free(l);
	refused_series(legall, MARTIN);
	struct http_res r;
	get("/api/live?s=" LEGALL, legall, 200, &r);
	assert_non_null(strstr(r.body, "\"power_w\":500,"));
	http_res_free(&r);
	get("/curves?s=" LEGALL "&scale=week&at=2026-06-10", legall, 200, &r);
	assert_non_null(strstr(r.body, "data-series=\"" LEGALL "\""));
	http_res_free(&r);
}

static void
test_household_martin(void **state)
{
	(void) state;
	char *l = listed(martin);
	assert_non_null(strstr(l, "value=\"" MARTIN "\""));
	assert_null(strstr(l, "maison-legall"));
	assert_null(strstr(l, "kermelo/"));
	free(l);
	refused_series(martin, LEGALL);
	refused_series(martin, "kermelo/pv/energy");
	get_without("/dashboard", martin, 403, "data-figure");
	struct http_res r;
	get("/", martin, 303, &r);
	char loc[128];
	assert_non_null(http_header(&r, "Location", loc, sizeof(loc)));
	assert_string_equal(loc, "/consent");
	http_res_free(&r);
}

// The teacher reads the school and the Le Gall house, both on lognact;
// lognact also holds the Martin house's replica, which is not the
// school's to see.
static void
test_teacher(void **state)
{
	(void) state;
	char *l = listed(bob);
	assert_non_null(strstr(l, "value=\"kermelo/school/energy\""));
	assert_non_null(strstr(l, "value=\"" LEGALL "\""));
	assert_null(strstr(l, "maison-martin"));
	assert_null(strstr(l, "(bmhs)"));
	free(l);
	refused_series(bob, MARTIN);
	get_without("/consent", bob, 403, "data-grant");
	get_without("/dashboard", bob, 403, "data-figure");
}

static void
test_admin(void **state)
{
	(void) state;
	char *l = listed(root_);
	assert_non_null(strstr(l, "value=\"" LEGALL "\""));
	assert_non_null(strstr(l, "value=\"" MARTIN "\""));
	assert_non_null(strstr(l, "value=\"kermelo/school/energy\""));
	free(l);
	struct http_res r;
	get("/api/live?s=" MARTIN, root_, 200, &r);
	assert_non_null(strstr(r.body, "\"power_w\":300,"));
	http_res_free(&r);
	get_without("/consent", root_, 403, "data-grant");
}

// --- The households' consent ------------------------------------------------

// The row of grant id in a consent page, or NULL.
static const char *
grant_row(const char *body, const char *id)
{
	char pat[128];
	snprintf(pat, sizeof(pat), "data-grant=\"%s\"", id);
	return strstr(body, pat);
}

static void
test_consent_list(void **state)
{
	(void) state;
	struct http_res r;
	get("/consent", legall, 200, &r);
	assert_non_null(strstr(r.body, "<h1>Mes partages</h1>"));
	const char *row = grant_row(r.body, fx.legall_grant);
	assert_non_null(row);
	assert_null(grant_row(r.body, fx.martin_grant));
	assert_null(strstr(r.body, "maison-martin"));
	// The grantee with its organisation from the directory, the scopes,
	// the finest step, the data range, the expiry, the last replication
	// (filled by the node once lognact acknowledged points), the state.
	assert_non_null(strstr(row, "Lorient Agglomération"));
	assert_non_null(strstr(row, "consultation, envoi en continu"));
	assert_non_null(strstr(row, "data-step=\"0\""));
	assert_non_null(
	    strstr(row, "<td class=\"expires\" data-label=\"Expire\">jamais"));
	char v[32];
	assert_non_null(attr_after(
	    row, "<td class=\"replicated\"", "data-ms", v, sizeof(v)));
	assert_true(strtoll(v, NULL, 10) > 0);
	assert_non_null(strstr(row, "data-state=\"active\""));
	assert_non_null(strstr(row, "/consent/revoke?node=bmhs&amp;grant="));
	// The form: the household's own series and site, a member of the
	// directory other than its own node.
	const char *form = strstr(r.body, "class=\"grant\"");
	assert_non_null(form);
	assert_non_null(strstr(form, "value=\"bmhs:maison-legall/\""));
	assert_non_null(strstr(form, "value=\"bmhs:" LEGALL "\""));
	assert_null(strstr(form, "value=\"bmhs\""));
	assert_non_null(strstr(form, "<option value=\"lognact\">"));
	assert_null(strstr(form, "disabled"));
	http_res_free(&r);
	get("/consent?lang=en", martin, 200, &r);
	assert_non_null(strstr(r.body, "<h1>My consent</h1>"));
	assert_non_null(grant_row(r.body, fx.martin_grant));
	assert_null(grant_row(r.body, fx.legall_grant));
	assert_null(strstr(r.body, "maison-legall"));
	http_res_free(&r);
}

// Another household's grant, by its id, in every consent URL and form:
// "not found", and the grant stays active.
static void
test_consent_other_household(void **state)
{
	(void) state;
	char path[256], body[512], csrf[128];
	const char *g = fx.martin_grant;
	snprintf(path, sizeof(path), "/consent/revoke?node=bmhs&grant=%s", g);
	get_without(path, legall, 404, "maison-martin");
	snprintf(path, sizeof(path), "/consent/log?node=bmhs&grant=%s", g);
	get_without(path, legall, 404, "maison-martin");
	// Its own grant, but on a node where it holds no owner token.
	snprintf(path, sizeof(path), "/consent/log?node=lognact&grant=%s",
	    fx.legall_grant);
	get_without(path, legall, 404, "data-grant");
	csrf_of(legall, "/consent", csrf, sizeof(csrf));
	snprintf(body, sizeof(body), "csrf=%s&node=bmhs&grant=%s", csrf, g);
	struct http_res r;
	post("/consent/revoke", legall, body, 404, &r);
	http_res_free(&r);
	assert_int_equal(web_fx_grant_active(&fx, g), 1);
	// A grant of the neighbour's series, or of a series on another node.
	const char *series[] = {"bmhs:maison-martin/", "bmhs:" MARTIN,
	    "bmhs:maison-", "lognact:kermelo/pv/", "bmhs:" LEGALL "x",
	    "maison-legall/", "bmhs:../maison-martin/"};
	for (size_t i = 0; i < sizeof(series) / sizeof(series[0]); i++) {
		snprintf(body, sizeof(body),
		    "csrf=%s&action=create&series=%s&grantee=lognact", csrf,
		    series[i]);
		post("/consent", legall, body, 400, &r);
		assert_non_null(strstr(r.body, "une de vos séries"));
		http_res_free(&r);
	}
}

// The grants of bmhs (as its administrator), to count them.
static size_t
n_grants(void)
{
	fed_rpc_client *c = web_fx_bmhs(&fx);
	Enfed__V1__ListGrantsRequest req
	    = ENFED__V1__LIST_GRANTS_REQUEST__INIT;
	Enfed__V1__ListGrantsResponse *rep = NULL;
	char err[256];
	assert_int_equal(
	    fed_rpc_call(c, &enfed__v1__grants__descriptor, "List", &req.base,
	        (ProtobufCMessage **) &rep, err, sizeof(err)),
	    FED_OK);
	size_t n = rep->n_grants;
	enfed__v1__list_grants_response__free_unpacked(rep, NULL);
	fed_rpc_client_free(c);
	return n;
}

// Grants refused, and none made: without the form's token, to its own
// node, to a stranger, with bad dates; and one the node refuses (daily
// totals sent live to lognact, which receives the house's every point
// live already): the form again, with the node's words.
static void
refused_grants(const char *csrf)
{
	char body[512];
	struct http_res r;
	size_t before = n_grants();
	post("/consent", legall,
	    "action=create&series=bmhs:maison-legall/&grantee=lognact", 403,
	    &r);
	http_res_free(&r);
	const char *bad[] = {"grantee=bmhs", "grantee=nobody",
	    "grantee=lognact&from=yesterday",
	    "grantee=lognact&expires=2001-01-01"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body),
		    "csrf=%s&action=create&series=bmhs:" LEGALL "&%s", csrf,
		    bad[i]);
		post("/consent", legall, body, 400, &r);
		http_res_free(&r);
	}
	snprintf(body, sizeof(body),
	    "csrf=%s&action=create&series=bmhs:maison-legall/"
	    "&grantee=lognact&live=1",
	    csrf);
	post("/consent", legall, body, 409, &r);
	assert_non_null(strstr(r.body, "revoke it first"));
	assert_non_null(strstr(r.body, "class=\"grant\""));
	http_res_free(&r);
	assert_int_equal(n_grants(), before);
}

static void
test_consent_create(void **state)
{
	(void) state;
	char csrf[128], body[512];
	struct http_res r;
	csrf_of(legall, "/consent", csrf, sizeof(csrf));
	refused_grants(csrf);
	size_t before = n_grants();
	// Daily totals, query only (the raw live grant to lognact stays).
	snprintf(body, sizeof(body),
	    "csrf=%s&action=create&series=bmhs:" LEGALL
	    "&grantee=lognact&from=2026-03-01&expires=2099-12-31",
	    csrf);
	post("/consent", legall, body, 200, &r);
	assert_non_null(strstr(r.body, "Partage créé."));
	const char *code = strstr(r.body, "<code id=\"grant-token\">");
	assert_non_null(code);
	assert_true(strncmp(code + 23, "fed_", 4) == 0);
	assert_non_null(strstr(r.body, "data-step=\"4\"")); // STEP_DAY
	assert_non_null(strstr(r.body,
	    "<td class=\"scopes\" "
	    "data-label=\"Autorisations\">consultation<"));
	assert_non_null(strstr(r.body, "depuis le 01/03/2026"));
	http_res_free(&r);
	assert_int_equal(n_grants(), before + 1);
	// The same again is refused: one grant, however often it is posted.
	post("/consent", legall, body, 409, &r);
	assert_non_null(strstr(r.body, "existe déjà"));
	http_res_free(&r);
	assert_int_equal(n_grants(), before + 1);
}

// A query made with the Le Gall grant's token appears in its access log,
// and the neighbour's log shows nothing of it.
static void
test_consent_log(void **state)
{
	(void) state;
	fed_rpc_client *g = fed_test_client(fx.bmhs_rpc, fx.legall_token);
	Enfed__V1__QueryResponse *q = NULL;
	assert_int_equal(
	    fed_test_query(g, LEGALL, WEB_FX_AT - 24 * HOUR, WEB_FX_AT,
	        ENFED__V1__STEP__STEP_HOUR, NULL, &q, NULL, 0),
	    FED_OK);
	enfed__v1__query_response__free_unpacked(q, NULL);
	fed_rpc_client_free(g);
	char path[256];
	snprintf(path, sizeof(path), "/consent/log?node=bmhs&grant=%s",
	    fx.legall_grant);
	struct http_res r;
	get(path, legall, 200, &r);
	assert_non_null(strstr(r.body, "<h1>Journal des accès</h1>"));
	const char *row = strstr(r.body, "<tr data-at=");
	assert_non_null(row);
	assert_non_null(strstr(row, "data-method=\"Query\""));
	assert_non_null(strstr(row, "consultation par le destinataire"));
	// The points lognact received live are in the log too.
	assert_non_null(strstr(row, "data-method=\"Replicate\""));
	assert_non_null(strstr(row, LEGALL));
	assert_non_null(strstr(row, "data-status=\"OK\""));
	http_res_free(&r);
	snprintf(path, sizeof(path), "/consent/log?node=bmhs&grant=%s",
	    fx.martin_grant);
	get_without(path, martin, 200, "data-method=\"Query\"");
}

// Three new hours in each house: lognact gets the Le Gall ones (its
// grant stands) and none of the Martin ones (revoked).
static void
replication_stopped(void)
{
	fed_rpc_client *l = web_fx_lognact(&fx);
	uint64_t nl = web_fx_count(l, LEGALL), nm = web_fx_count(l, MARTIN);
	assert_int_equal(
	    web_fx_ingest(&fx, MARTIN, WEB_FX_AT, WEB_FX_AT + 3 * HOUR, 300),
	    0);
	assert_int_equal(
	    web_fx_ingest(&fx, LEGALL, WEB_FX_AT, WEB_FX_AT + 3 * HOUR, 500),
	    0);
	for (int i = 0; i < 300 && web_fx_count(l, LEGALL) < nl + 3; i++)
		fed_test_sleep_ms(50);
	assert_int_equal(web_fx_count(l, LEGALL), nl + 3);
	// The Martin points were stored first: sent, they would be there
	// by now. A second more, for a replicator that took them later.
	fed_test_sleep_ms(1000);
	assert_int_equal(web_fx_count(l, MARTIN), nm);
	fed_rpc_client_free(l);
}

// Martin revokes his grant from his page: a confirmation first, then the
// POST; lognact receives nothing more of his house, and still receives
// the Le Gall house's new points.
static void
test_consent_revoke(void **state)
{
	(void) state;
	char path[256], body[256], csrf[128];
	struct http_res r;
	snprintf(path, sizeof(path), "/consent/revoke?node=bmhs&grant=%s",
	    fx.martin_grant);
	get(path, martin, 200, &r);
	assert_non_null(strstr(r.body, "Révoquer ce partage ?"));
	assert_non_null(
	    attr_after(r.body, "name=\"csrf\"", "value", csrf, sizeof(csrf)));
	http_res_free(&r);
	assert_int_equal(web_fx_grant_active(&fx, fx.martin_grant), 1);
	snprintf(body, sizeof(body), "node=bmhs&grant=%s", fx.martin_grant);
	post("/consent/revoke", martin, body, 403, &r); // no CSRF token
	http_res_free(&r);
	assert_int_equal(web_fx_grant_active(&fx, fx.martin_grant), 1);
	snprintf(body, sizeof(body), "csrf=%s&node=bmhs&grant=%s", csrf,
	    fx.martin_grant);
	post("/consent/revoke", martin, body, 303, &r);
	http_res_free(&r);
	assert_int_equal(web_fx_grant_active(&fx, fx.martin_grant), 0);
	get("/consent?revoked=1", martin, 200, &r);
	assert_non_null(strstr(r.body, "Partage révoqué."));
	const char *row = grant_row(r.body, fx.martin_grant);
	assert_non_null(row);
	assert_non_null(strstr(row, "data-state=\"revoked\""));
	http_res_free(&r);
	replication_stopped();
	// Revoked, it offers no revocation any more.
	snprintf(path, sizeof(path), "/consent/revoke?node=bmhs&grant=%s",
	    fx.martin_grant);
	get_without(path, martin, 200, "class=\"revoke\"");
}

// Without the directory, the page says so and the form is disabled; a
// POST is refused (503). Run last but one: it restarts fed-web.
static void
test_consent_no_directory(void **state)
{
	(void) state;
	char nowhere[128];
	fed_test_ipc_url(nowhere, sizeof(nowhere), "nodirectory");
	assert_int_equal(web_fx_restart_web(&fx, nowhere), 0);
	login_all();
	struct http_res r;
	get("/consent", legall, 200, &r);
	assert_non_null(strstr(r.body, "L&#39;annuaire de la fédération ne"));
	assert_non_null(strstr(r.body, "<fieldset disabled>"));
	assert_non_null(grant_row(r.body, fx.legall_grant)); // still listed
	char csrf[128], body[512];
	assert_non_null(
	    attr_after(r.body, "name=\"csrf\"", "value", csrf, sizeof(csrf)));
	http_res_free(&r);
	snprintf(body, sizeof(body),
	    "csrf=%s&action=create&series=bmhs:maison-legall/"
	    "&grantee=lognact",
	    csrf);
	post("/consent", legall, body, 503, &r);
	http_res_free(&r);
	assert_int_equal(web_fx_restart_web(&fx, fx.dir_rpc), 0);
	login_all();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_investor_alice),
	    cmocka_unit_test(test_household_legall),
	    cmocka_unit_test(test_household_martin),
	    cmocka_unit_test(test_teacher),
	    cmocka_unit_test(test_admin),
	    cmocka_unit_test(test_consent_list),
	    cmocka_unit_test(test_consent_other_household),
	    cmocka_unit_test(test_consent_create),
	    cmocka_unit_test(test_consent_log),
	    cmocka_unit_test(test_consent_revoke),
	    cmocka_unit_test(test_consent_no_directory),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
