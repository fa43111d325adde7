// SPDX-License-Identifier: MIT
//
// test_web_holdings: the investor's holdings and the administrator's
// projects as people hit them. A holding carries its acquisition date
// (entered, shown, kept through an edit); the projects' table tells the
// project's total shares from the investor's own; removing asks first;
// a project whose series does not exist is refused at entry; a project
// whose series disappears later is one dashboard card saying its data is
// unavailable while the others keep their figures; archive and delete,
// and the refusals (another role, no CSRF token, a project still held).

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enfed/v1/series.pb-c.h"
#include "fed_test.h"
#include "web_fixture.h"

#define FEB_1_MS INT64_C(1769900400000) // 2026-02-01T00:00+01:00
#define MAR_1_MS INT64_C(1772319600000) // 2026-03-01T00:00+01:00

static struct web_fx fx;
static char alice[128], legall[128], root_[128];

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

static void
csrf_of(const char *cookie, const char *path, char *buf, size_t len)
{
	struct http_res r;
	get(path, cookie, 200, &r);
	assert_non_null(
	    attr_after(r.body, "name=\"csrf\"", "value", buf, len));
	http_res_free(&r);
}

static void
has(const char *body, const char *needle)
{
	if (strstr(body, needle) == NULL)
		fail_msg("no '%s' in\n%s", needle, body);
}

static int
setup(void **state)
{
	(void) state;
	if (web_fx_start(&fx) != 0)
		return -1;
	if (web_fx_login(&fx, "alice", alice, sizeof(alice)) != 0
	    || web_fx_login(&fx, "legall", legall, sizeof(legall)) != 0
	    || web_fx_login(&fx, "root", root_, sizeof(root_)) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	return web_fx_stop(&fx);
}

// The date of a holding: shown, entered, checked, kept through an edit;
// the projects' table shows the total and the investor's own shares apart.
static void
test_acquisition_date(void **state)
{
	(void) state;
	struct http_res r;
	char csrf[128], body[512], v[64];
	get("/settings", alice, 200, &r);
	assert_non_null(attr_after(r.body, "<table class=\"holdings cards\"",
	    "data-acquired-ms", v, sizeof(v)));
	assert_int_equal(strtoll(v, NULL, 10), FEB_1_MS);
	// kermelo-pv: 136 shares in all, 2 of them alice's.
	const char *row
	    = strstr(r.body, "<table class=\"projects cards\"><thead>");
	assert_non_null(row);
	row = strstr(row, "data-project=\"kermelo-pv\"");
	assert_non_null(row);
	assert_non_null(
	    attr_after(row, NULL, "data-total-shares", v, sizeof(v)));
	assert_string_equal(v, "136");
	assert_non_null(
	    attr_after(row, NULL, "data-shares-held", v, sizeof(v)));
	assert_string_equal(v, "2");
	http_res_free(&r);
	csrf_of(alice, "/settings", csrf, sizeof(csrf));
	const char *bad[] = {"2099-01-01", "yesterday", "2026-13-01"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body),
		    "csrf=%s&action=add&project=kermelo-pv&shares=2"
		    "&acquired=%s",
		    csrf, bad[i]);
		post("/settings", alice, body, 400, &r);
		has(r.body, "acquired : une date AAAA-MM-JJ");
		http_res_free(&r);
	}
	snprintf(body, sizeof(body),
	    "csrf=%s&action=add&project=kermelo-pv&shares=2"
	    "&acquired=2026-03-01",
	    csrf);
	post("/settings", alice, body, 303, &r);
	http_res_free(&r);
	get("/settings?edit=kermelo-pv", alice, 200, &r);
	has(r.body, "value=\"2026-03-01\"");
	has(r.body, "value=\"2\" required");
	http_res_free(&r);
	get("/settings", alice, 200, &r);
	assert_non_null(attr_after(r.body, "<table class=\"holdings cards\"",
	    "data-acquired-ms", v, sizeof(v)));
	assert_int_equal(strtoll(v, NULL, 10), MAR_1_MS);
	http_res_free(&r);
	// The dashboard's totals start there.
	get("/dashboard?at=" WEB_FX_AT_ISO, alice, 200, &r);
	has(r.body, "data-project=\"kermelo-pv\"");
	http_res_free(&r);
	// Back to the fixture's date, for the other tests.
	snprintf(body, sizeof(body),
	    "csrf=%s&action=add&project=kermelo-pv&shares=2"
	    "&acquired=2026-02-01",
	    csrf);
	post("/settings", alice, body, 303, &r);
	http_res_free(&r);
	get("/settings?edit=nope", alice, 404, &r);
	http_res_free(&r);
}

// Removing asks first: the GET shows the holding and a form, and removes
// nothing.
static void
test_remove_confirmation(void **state)
{
	(void) state;
	struct http_res r;
	get("/settings?remove=kermelo-pv", alice, 200, &r);
	has(r.body, "class=\"confirm\"");
	has(r.body, "name=\"action\" value=\"remove\"");
	has(r.body, "name=\"csrf\"");
	http_res_free(&r);
	get("/settings", alice, 200, &r);
	has(r.body, "data-shares=\"2\"");
	http_res_free(&r);
	get("/settings?remove=lucioles-nope", alice, 404, &r);
	http_res_free(&r);
}

static void
delete_series(const char *id)
{
	fed_rpc_client *c = web_fx_lognact(&fx);
	assert_non_null(c);
	Enfed__V1__DeleteSeriesRequest d
	    = ENFED__V1__DELETE_SERIES_REQUEST__INIT;
	d.id = (char *) id;
	Enfed__V1__Empty *e = NULL;
	assert_int_equal(
	    fed_test_store_call(c, "DeleteSeries", &d, &e), FED_OK);
	enfed__v1__empty__free_unpacked(e, NULL);
	fed_rpc_client_free(c);
}

static void
create_series(const char *id)
{
	fed_rpc_client *c = web_fx_lognact(&fx);
	assert_non_null(c);
	char err[512];
	// Owned by the projects' organisation in admin_post.
	if (web_fx_plant(c, id, "BEC", err, sizeof(err)) != 0)
		fail_msg("CreateSeries: %s", err);
	fed_rpc_client_free(c);
}

static void
admin_post(const char *csrf, const char *id, const char *series, int status,
    struct http_res *r)
{
	char body[1024];
	snprintf(body, sizeof(body),
	    "csrf=%s&mode=create&id=%s&name=Plant&organisation=BEC&type=1"
	    "&location=Lorient&peak_kw=9&cost_eur=1000&share_price_eur=100"
	    "&panel_m2=0&commissioned=2026-01-01&series_id=%s"
	    "&series_node=lognact&url=",
	    csrf, id, series);
	post("/admin/projects", root_, body, status, r);
}

// A series its node does not hold is refused when the project is
// entered, with fed-invest's message on the form.
static void
test_project_validation(void **state)
{
	(void) state;
	struct http_res r;
	char csrf[128];
	csrf_of(root_, "/admin/projects", csrf, sizeof(csrf));
	admin_post(csrf, "typo-pv", "kermelo%2Fpv%2Fenergie", 409, &r);
	has(r.body, "kermelo/pv/energie");
	http_res_free(&r);
	// A household's consumption is not a plant's production.
	admin_post(
	    csrf, "sneaky-pv", "maison-legall%2Flinky%2Fenergy", 409, &r);
	has(r.body, "is not a production series");
	http_res_free(&r);
	get("/admin/projects", root_, 200, &r);
	assert_null(strstr(r.body, "data-project=\"typo-pv\""));
	assert_null(strstr(r.body, "data-project=\"sneaky-pv\""));
	http_res_free(&r);
}

// A project whose series disappears after entry: one card says so, the
// other cards keep their figures; it cannot be deleted while held; it
// can be archived (and leaves the list of new investments of those who
// do not hold it); deleted once nobody holds it.
static void
test_broken_project(void **state)
{
	(void) state;
	struct http_res r;
	char csrf[128], acsrf[128], body[512];
	create_series("gone/pv/energy");
	csrf_of(root_, "/admin/projects", csrf, sizeof(csrf));
	admin_post(csrf, "gone-pv", "gone%2Fpv%2Fenergy", 303, &r);
	http_res_free(&r);
	csrf_of(alice, "/settings", acsrf, sizeof(acsrf));
	snprintf(body, sizeof(body),
	    "csrf=%s&action=add&project=gone-pv&shares=1&acquired=2026-02-01",
	    acsrf);
	post("/settings", alice, body, 303, &r);
	http_res_free(&r);
	delete_series("gone/pv/energy");
	get("/dashboard?at=" WEB_FX_AT_ISO, alice, 200, &r);
	const char *gone = strstr(r.body, "data-project=\"gone-pv\"");
	const char *ok = strstr(r.body, "data-project=\"kermelo-pv\"");
	assert_non_null(gone);
	assert_non_null(ok);
	const char *end = strstr(gone, "</article>");
	const char *msg = strstr(gone, "class=\"unavailable\"");
	assert_true(msg != NULL && msg < end);
	// The working card has its energy table, the broken one has none.
	const char *ok_end = strstr(ok, "</article>");
	const char *t = strstr(ok, "data-wh=");
	assert_true(t != NULL && t < ok_end);
	t = strstr(gone, "data-wh=");
	assert_true(t == NULL || t > end);
	http_res_free(&r);
	// Refusals: not the administrator; no CSRF token; still held.
	snprintf(body, sizeof(body), "csrf=%s&mode=delete&id=gone-pv", acsrf);
	post("/admin/projects", alice, body, 403, &r);
	http_res_free(&r);
	post("/admin/projects", root_, "mode=delete&id=gone-pv", 403, &r);
	http_res_free(&r);
	get("/admin/projects?delete=gone-pv", root_, 200, &r);
	has(r.body, "class=\"confirm\"");
	http_res_free(&r);
	snprintf(body, sizeof(body), "csrf=%s&mode=delete&id=gone-pv", csrf);
	post("/admin/projects", root_, body, 409, &r);
	has(r.body, "archive it instead");
	http_res_free(&r);
	// Archived: legall may no longer buy in, alice keeps her holding.
	snprintf(body, sizeof(body), "csrf=%s&mode=archive&id=gone-pv", csrf);
	post("/admin/projects", root_, body, 303, &r);
	http_res_free(&r);
	get("/settings", legall, 200, &r);
	assert_null(strstr(r.body, "value=\"gone-pv\""));
	http_res_free(&r);
	get("/settings", alice, 200, &r);
	has(r.body, "value=\"gone-pv\"");
	http_res_free(&r);
	// Nobody holds it: deleted.
	snprintf(body, sizeof(body), "csrf=%s&action=remove&project=gone-pv",
	    acsrf);
	post("/settings", alice, body, 303, &r);
	http_res_free(&r);
	snprintf(body, sizeof(body), "csrf=%s&mode=delete&id=gone-pv", csrf);
	post("/admin/projects", root_, body, 303, &r);
	http_res_free(&r);
	get("/admin/projects", root_, 200, &r);
	assert_null(strstr(r.body, "data-project=\"gone-pv\""));
	http_res_free(&r);
}

// Self-consumption: legall's house hour by hour, its shares' production,
// and the part covered (the smaller of the two); alice has no household
// linked and gets no consumption; a viewer may not open the page.
static void
test_self_consumption(void **state)
{
	(void) state;
	struct http_res r;
	get("/self-consumption?day=2026-06-14", legall, 200, &r);
	assert_int_equal(strstr(r.body, "id=\"self-chart\"") != NULL, 1);
	size_t rows = 0, checked = 0;
	for (const char *p = strstr(r.body, "<tr data-t="); p;
	     p = strstr(p + 1, "<tr data-t=")) {
		char a[64], b[64], v[64];
		assert_non_null(attr_after(p, NULL, "data-wh", a, sizeof(a)));
		const char *q = strstr(p, "</td><td");
		assert_non_null(attr_after(q, NULL, "data-wh", b, sizeof(b)));
		assert_non_null(
		    attr_after(p, NULL, "data-covered-wh", v, sizeof(v)));
		double cons = strtod(a, NULL), prod = strtod(b, NULL);
		double want = cons < prod ? cons : prod;
		if (fabs(strtod(v, NULL) - want) > 1e-6)
			fail_msg("covered %s, consumption %s, production %s",
			    v, a, b);
		checked += cons > 0 && prod > 0;
		rows++;
	}
	assert_int_equal(rows, 24);
	assert_true(checked > 0);
	has(r.body, "data-figure=\"self_share\"");
	http_res_free(&r);
	get("/self-consumption?day=2026-06-14", alice, 200, &r);
	assert_null(strstr(r.body, "<tr data-t="));
	assert_null(strstr(r.body, "maison-legall"));
	http_res_free(&r);
	get("/self-consumption?day=bad", legall, 400, &r);
	http_res_free(&r);
	get("/self-consumption", root_, 403, &r);
	http_res_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_acquisition_date),
	    cmocka_unit_test(test_remove_confirmation),
	    cmocka_unit_test(test_project_validation),
	    cmocka_unit_test(test_broken_project),
	    cmocka_unit_test(test_self_consumption),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
