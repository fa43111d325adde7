// SPDX-License-Identifier: MIT
//
// test_web.c: fed-web over HTTP, end to end (web_fixture.h sets up a real
// node, fed-invest and fed-web): every page and endpoint with its status
// and content type; the dashboard's figures compared with fed-invest's
// own Summary; the escaping of a hostile project name; the production
// detail with its incomplete days and its sources; the forms (CSRF, bad
// input, fed-invest's refusals); the load curves on one time axis; live
// power; 400, 404, 405 and unauthenticated access; and a client that
// never finishes its headers (slowloris). Who sees what, role by role,
// and the households' consent pages are test_web_access.c's.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "enfed/v1/invest.pb-c.h"
#include "fed_test.h"
#include "web_fixture.h"

static struct web_fx fx;
static char alice[128], legall[128], bob[128], root_[128];

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
assert_type(const struct http_res *r, const char *type)
{
	char v[128];
	assert_non_null(http_header(r, "Content-Type", v, sizeof(v)));
	assert_true(strncmp(v, type, strlen(type)) == 0);
}

static double
num_attr(const char *s, const char *after, const char *attr)
{
	char v[64];
	if (attr_after(s, after, attr, v, sizeof(v)) == NULL)
		fail_msg("no %s after %s", attr, after ? after : "(start)");
	return strtod(v, NULL);
}

// The form's CSRF token in a page.
static void
csrf_of(const char *body, char *buf, size_t len)
{
	assert_non_null(attr_after(body, "name=\"csrf\"", "value", buf, len));
}

static int
setup(void **state)
{
	(void) state;
	if (web_fx_start(&fx) != 0)
		return -1;
	if (web_fx_login(&fx, "alice", alice, sizeof(alice)) != 0
	    || web_fx_login(&fx, "legall", legall, sizeof(legall)) != 0
	    || web_fx_login(&fx, "bob", bob, sizeof(bob)) != 0
	    || web_fx_login(&fx, "root", root_, sizeof(root_)) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	return web_fx_stop(&fx) == 0 ? 0 : -1;
}

static void
test_unauthenticated(void **state)
{
	(void) state;
	const char *pages[] = {"/dashboard", "/production", "/distribution",
	    "/settings", "/admin/projects", "/curves", "/live?s=a/b",
	    "/consent", "/consent/revoke?node=bmhs&grant=g-1",
	    "/consent/log?node=bmhs&grant=g-1"};
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		struct http_res r;
		char loc[256];
		get(pages[i], NULL, 303, &r);
		assert_non_null(http_header(&r, "Location", loc, sizeof(loc)));
		assert_true(strncmp(loc, "/login?next=", 12) == 0);
		assert_null(strstr(r.body, "data-figure"));
		http_res_free(&r);
	}
	struct http_res r;
	get("/api/live?s=kermelo/pv/energy", NULL, 401, &r);
	assert_type(&r, "application/json");
	http_res_free(&r);
	// A forged cookie is no session.
	get("/dashboard",
	    "fed_session=fed_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 303,
	    &r);
	http_res_free(&r);
	post("/settings", NULL, "action=add&project=kermelo-pv&shares=1", 303,
	    &r);
	http_res_free(&r);
}

static void
test_login(void **state)
{
	(void) state;
	struct http_res r;
	get("/login", NULL, 200, &r);
	assert_type(&r, "text/html");
	assert_non_null(strstr(r.body, "name=\"password\""));
	http_res_free(&r);
	post("/login", NULL, "user=alice&password=wrong", 401, &r);
	assert_non_null(
	    strstr(r.body, "Identifiant ou mot de passe incorrect"));
	assert_null(strstr(r.head, "Set-Cookie"));
	http_res_free(&r);
	post("/login", NULL, "user=nobody&password=wrong", 401, &r);
	http_res_free(&r);
	post("/login?lang=en", NULL,
	    "user=alice&password=correct+horse+battery&next=//evil.example",
	    200, &r);
	char v[256];
	assert_non_null(http_header(&r, "Set-Cookie", v, sizeof(v)));
	assert_non_null(strstr(v, "HttpOnly"));
	assert_non_null(strstr(v, "SameSite=Strict"));
	assert_non_null(
	    strstr(r.body, "content=\"0;url=/\"")); // never off-site
	http_res_free(&r);
	post("/login", NULL,
	    "user=bob&password=correct+horse+battery&next=/curves%3Fs%3Da",
	    200, &r);
	assert_non_null(strstr(r.body, "content=\"0;url=/curves?s=a\""));
	http_res_free(&r);
	post("/login", NULL, "user=alice&password=%zz", 400, &r);
	http_res_free(&r);
}

static Enfed__V1__InvestorSummary *
summary(const char *token)
{
	fed_rpc_client *c = web_fx_invest(&fx, token);
	Enfed__V1__SummaryRequest rq = ENFED__V1__SUMMARY_REQUEST__INIT;
	rq.at_ms = WEB_FX_AT;
	rq.tz = "Europe/Paris";
	Enfed__V1__InvestorSummary *s = NULL;
	char err[256];
	assert_int_equal(
	    fed_rpc_call(c, &enfed__v1__invest__descriptor, "Summary",
	        &rq.base, (ProtobufCMessage **) &s, err, sizeof(err)),
	    FED_OK);
	fed_rpc_client_free(c);
	return s;
}

static void
check_row(const char *body, const char *row, const Enfed__V1__PeriodEnergy *e)
{
	char after[64];
	snprintf(after, sizeof(after), "data-row=\"%s\"", row);
	const char *p = strstr(body, after);
	assert_non_null(p);
	const double want[4]
	    = {e->today_wh, e->month_wh, e->year_wh, e->total_wh};
	for (int i = 0; i < 4; i++) {
		p = strstr(p, "data-wh=\"");
		assert_non_null(p);
		assert_true(strtod(p + 9, NULL) == want[i]);
		p += 9;
	}
}

static void
test_dashboard(void **state)
{
	(void) state;
	struct http_res r;
	get("/dashboard?at=" WEB_FX_AT_ISO, alice, 200, &r);
	assert_type(&r, "text/html");
	Enfed__V1__InvestorSummary *s = summary(WEB_FX_ALICE);
	const char *w = strstr(r.body, "id=\"widget\"");
	assert_non_null(w);
	assert_true(
	    num_attr(w, "data-figure=\"shares_total\"", "data-value") == 3);
	assert_true(num_attr(w, "data-figure=\"invested_cents\"", "data-value")
	    == (double) s->invested_cents);
	assert_true(num_attr(w, "data-figure=\"panel_m2\"", "data-value")
	    == s->panel_m2);
	assert_true(
	    num_attr(w, "data-figure=\"households_days\"", "data-value")
	    == s->households_days);
	assert_true(num_attr(w, "data-figure=\"co2_avoided_kg\"", "data-value")
	    == s->co2_avoided_kg);
	check_row(w, "attributed", s->attributed);
	// The hand count: 3 of 136 shares (two projects on the same series)
	// of 100 Wh an hour, today 00:00 to 12:00 less the two missing hours
	// = 10 h. alice has no house linked: no consumption, no live meter.
	assert_true(fabs(s->attributed->today_wh - 1000.0 * 3 / 136) < 1e-9);
	assert_null(strstr(w, "data-row=\"consumption\""));
	assert_null(strstr(r.body, "data-live-series"));
	assert_null(strstr(r.body, "id=\"days-consumption\""));
	// Per project: shares and budget fraction of kermelo-pv.
	const char *k = strstr(r.body, "data-project=\"kermelo-pv\"");
	assert_non_null(k);
	assert_true(num_attr(k, "data-figure=\"shares\"", "data-value") == 2);
	assert_true(
	    num_attr(k, "data-figure=\"budget_fraction\"", "data-value")
	    == 2.0 / 136);
	assert_non_null(strstr(r.body, "<svg class=\"chart\""));
	assert_non_null(
	    strstr(r.body, "href=\"/production?project=kermelo-pv\""));
	assert_non_null(
	    strstr(r.body, "href=\"https://example.org/kermelo\""));
	enfed__v1__investor_summary__free_unpacked(s, NULL);
	http_res_free(&r);
	get("/dashboard?at=yesterday", alice, 400, &r);
	http_res_free(&r);
	// The other roles may not see an investor's page.
	get("/dashboard", bob, 403, &r);
	http_res_free(&r);
}

// legall, a household that invests: the house's consumption beside the
// production, read by fed-web with legall's own owner token.
static void
test_dashboard_household(void **state)
{
	(void) state;
	struct http_res r;
	get("/dashboard?at=" WEB_FX_AT_ISO, legall, 200, &r);
	Enfed__V1__InvestorSummary *s = summary(WEB_FX_LEGALL);
	const char *w = strstr(r.body, "id=\"widget\"");
	assert_non_null(w);
	assert_true(
	    num_attr(w, "data-figure=\"shares_total\"", "data-value") == 4);
	check_row(w, "attributed", s->attributed);
	check_row(w, "consumption", s->consumption);
	// Under the household's daily grant: whole days only, so nothing of
	// today; this month, exactly the owner's own whole days of June.
	assert_true(s->consumption->today_wh == 0);
	fed_rpc_client *node = web_fx_bmhs(&fx);
	Enfed__V1__QueryResponse *q = NULL;
	assert_int_equal(fed_test_query(node, WEB_FX_LEGALL_SERIES,
	                     INT64_C(1780264800000), // 2026-06-01 00:00+02:00
	                     WEB_FX_AT - 12 * 3600000,
	                     ENFED__V1__STEP__STEP_DAY, NULL, &q, NULL, 0),
	    FED_OK);
	double june = 0;
	for (size_t i = 0; i < q->results[0]->n_value; i++)
		june += q->results[0]->value[i];
	assert_true(june > 0 && s->consumption->month_wh == june);
	enfed__v1__query_response__free_unpacked(q, NULL);
	fed_rpc_client_free(node);
	assert_non_null(
	    strstr(r.body, "data-live-series=\"" WEB_FX_LEGALL_SERIES "\""));
	// The house's last 30 days, charted under the production's.
	assert_non_null(strstr(r.body, "id=\"days-production\""));
	assert_non_null(strstr(r.body, "id=\"days-consumption\""));
	enfed__v1__investor_summary__free_unpacked(s, NULL);
	http_res_free(&r);
	get("/", legall, 303, &r);
	char loc[128];
	assert_non_null(http_header(&r, "Location", loc, sizeof(loc)));
	assert_string_equal(loc, "/dashboard");
	http_res_free(&r);
}

static void
test_escaping(void **state)
{
	(void) state;
	const char *pages[]
	    = {"/dashboard?at=" WEB_FX_AT_ISO, "/settings", "/distribution"};
	for (size_t i = 0; i < 3; i++) {
		struct http_res r;
		get(pages[i], alice, 200, &r);
		assert_null(strstr(r.body, "<script>alert"));
		assert_non_null(strstr(r.body,
		    "&lt;script&gt;alert(&#39;x&#39;)"
		    "&lt;/script&gt; &amp; &quot;Co&quot;"));
		http_res_free(&r);
	}
	struct http_res r;
	get("/admin/projects", root_, 200, &r);
	assert_null(strstr(r.body, "<script>alert"));
	assert_non_null(strstr(r.body, "&lt;script&gt;"));
	http_res_free(&r);
	// Reflected input is escaped too.
	get("/login?next=%22%3E%3Cscript%3E", NULL, 200, &r);
	assert_null(strstr(r.body, "\"><script>"));
	http_res_free(&r);
}

static void
test_production(void **state)
{
	(void) state;
	struct http_res r;
	get("/production?project=kermelo-pv&from=2026-06-10&to=2026-06-15",
	    alice, 200, &r);
	assert_type(&r, "text/html");
	// 6 days; the 10th complete: 2400 Wh, alice's share 2/136 of it.
	const char *d10 = strstr(r.body, "<tr data-t=\"1781042400000\"");
	assert_non_null(d10);
	if (num_attr(d10, NULL, "data-wh") != 2400)
		fail_msg("%.300s", d10);
	assert_true(
	    fabs(num_attr(d10, " %</td><td", "data-wh") - 2400.0 * 2 / 136)
	    < 1e-9);
	// The 15th is incomplete (a gap, and data up to noon), and marked.
	assert_non_null(strstr(
	    r.body, "<tr class=\"incomplete\" data-t=\"1781474400000\""));
	assert_non_null(strstr(r.body, "données incomplètes"));
	// The sources: series, node, last update.
	const char *src = strstr(r.body, "class=\"sources\"");
	assert_non_null(src);
	assert_non_null(strstr(src, "kermelo/pv/energy"));
	assert_non_null(strstr(src, "lognact"));
	assert_true(
	    num_attr(src, NULL, "data-last-ms") == WEB_FX_AT - 3600000);
	http_res_free(&r);
	// Hourly for one day: 24 hours, 02:00 and 03:00 empty.
	get("/production?project=kermelo-pv&day=2026-06-15&lang=en", alice,
	    200, &r);
	assert_non_null(strstr(r.body, "incomplete data"));
	assert_non_null(strstr(r.body,
	    "<tr class=\"incomplete\" "
	    "data-t=\"1781481600000\""));
	size_t rows = 0;
	for (const char *p = r.body; (p = strstr(p, "<tr")) != NULL; p++)
		rows += strncmp(p, "<tr data-t=", 11) == 0
		    || strncmp(p, "<tr class=\"incomplete\" data-t=", 30) == 0;
	assert_int_equal(rows, 24);
	http_res_free(&r);
	get("/production?project=kermelo-pv&from=garbage", alice, 400, &r);
	assert_non_null(strstr(r.body, "des dates AAAA-MM-JJ"));
	http_res_free(&r);
	get("/production?project=kermelo-pv&from=2026-06-10&to=2026-06-01",
	    alice, 400, &r);
	http_res_free(&r);
	get("/production?project=bad!id", alice, 400, &r);
	http_res_free(&r);
	get("/production?project=no-such-project", alice, 404, &r);
	http_res_free(&r);
}

static void
test_distribution(void **state)
{
	(void) state;
	struct http_res r;
	get("/distribution", alice, 200, &r);
	assert_type(&r, "text/html");
	const char *k
	    = strstr(r.body, "class=\"holders\" data-project=\"kermelo-pv\"");
	assert_non_null(k);
	assert_true(num_attr(k, NULL, "data-value") == 130); // 136 - 2 - 4
	assert_non_null(strstr(k, "moi: 2"));
	assert_true(num_attr(r.body, "data-figure=\"portfolio_fraction\"",
	                "data-value")
	    > 0);
	http_res_free(&r);
}

static void
test_settings(void **state)
{
	(void) state;
	struct http_res r;
	char csrf[128], body[512];
	get("/settings", alice, 200, &r);
	csrf_of(r.body, csrf, sizeof(csrf));
	assert_non_null(strstr(r.body, "photovoltaïque"));
	assert_non_null(strstr(r.body, "Bretagne Energie Citoyenne"));
	http_res_free(&r);
	post("/settings", alice, "action=add&project=kermelo-pv&shares=3", 403,
	    &r);
	http_res_free(&r);
	snprintf(body, sizeof(body),
	    "csrf=%s&action=add&project=kermelo-pv&shares=abc", csrf);
	post("/settings", alice, body, 400, &r);
	assert_non_null(strstr(r.body, "shares : un nombre entier"));
	http_res_free(&r);
	snprintf(body, sizeof(body),
	    "csrf=%s&action=add&project=kermelo-pv&shares=500", csrf);
	post("/settings", alice, body, 409, &r);
	assert_non_null(strstr(r.body, "remain available"));
	http_res_free(&r);
	snprintf(body, sizeof(body),
	    "csrf=%s&action=add&project=kermelo-pv&shares=5", csrf);
	post("/settings", alice, body, 303, &r);
	http_res_free(&r);
	get("/settings?saved=1", alice, 200, &r);
	assert_non_null(strstr(r.body, "data-shares=\"5\""));
	http_res_free(&r);
	snprintf(body, sizeof(body),
	    "csrf=%s&action=add&project=kermelo-pv&shares=2", csrf);
	post("/settings", alice, body, 303, &r); // back to the fixture's 2
	http_res_free(&r);
	// bob's token is not alice's: a stolen form token is refused.
	snprintf(body, sizeof(body),
	    "csrf=%s&action=add&project=kermelo-pv&shares=1", csrf);
	post("/settings", bob, body, 403, &r);
	http_res_free(&r);
}

static void
test_admin(void **state)
{
	(void) state;
	struct http_res r;
	char csrf[128], body[1024];
	get("/admin/projects", alice, 403, &r);
	http_res_free(&r);
	get("/admin/projects?edit=kermelo-pv", root_, 200, &r);
	assert_non_null(strstr(r.body, "value=\"update\""));
	csrf_of(r.body, csrf, sizeof(csrf));
	http_res_free(&r);
	const char *fields
	    = "&organisation=BEC&type=1&location=Lorient"
	      "&peak_kw=9%2C5&panel_m2=0&commissioned=2026-01-01"
	      "&series_id=&series_node=&url=";
	snprintf(body, sizeof(body),
	    "csrf=%s&mode=create&id=new-pv&name=New&cost_eur=1000"
	    "&share_price_eur=300%s",
	    csrf, fields);
	post("/admin/projects", root_, body, 400, &r);
	assert_non_null(strstr(r.body, "cents left over"));
	http_res_free(&r);
	snprintf(body, sizeof(body),
	    "csrf=%s&mode=create&id=new-pv&name=New&cost_eur=abc"
	    "&share_price_eur=100%s",
	    csrf, fields);
	post("/admin/projects", root_, body, 400, &r);
	assert_non_null(strstr(r.body, "cost_eur : un montant en euros"));
	http_res_free(&r);
	snprintf(body, sizeof(body),
	    "csrf=%s&mode=create&id=new-pv&name=New&cost_eur=1000"
	    "&share_price_eur=100%s",
	    csrf, fields);
	post("/admin/projects", root_, body, 303, &r);
	http_res_free(&r);
	get("/admin/projects?saved=1", root_, 200, &r);
	const char *p = strstr(r.body, "data-project=\"new-pv\"");
	assert_non_null(p);
	assert_non_null(strstr(p, ">10</td>"));
	assert_non_null(strstr(p, "data-total-shares=\"10\""));
	http_res_free(&r);
	get("/admin/projects?edit=nope", root_, 404, &r);
	http_res_free(&r);
}

static void
test_curves(void **state)
{
	(void) state;
	struct http_res r;
	get("/curves?s=kermelo/pv/energy&s=" WEB_FX_LEGALL_SERIES
	    "&scale=week&at=2026-06-10",
	    bob, 200, &r);
	assert_type(&r, "text/html");
	assert_non_null(strstr(r.body, "<h1>Courbes de charge</h1>"));
	// Two panels, one time axis: the local week of Monday 8 June.
	const char *p1 = strstr(r.body,
	    "class=\"curve-panel\" "
	    "data-series=\"kermelo/pv/energy\"");
	const char *p2 = strstr(r.body,
	    "class=\"curve-panel\" "
	    "data-series=\"" WEB_FX_LEGALL_SERIES "\"");
	assert_non_null(p1);
	assert_non_null(p2);
	assert_true(num_attr(p1, "<svg", "data-from") == 1780869600000.0);
	assert_true(num_attr(p1, "<svg", "data-to") == 1781474400000.0);
	assert_true(num_attr(p2, "<svg", "data-from") == 1780869600000.0);
	assert_true(num_attr(p2, "<svg", "data-to") == 1781474400000.0);
	assert_non_null(strstr(p1, "16.2 kWc")); // the description box
	assert_non_null(
	    strstr(p2, "<dt>Occupants</dt><dd class=\"given\">4</dd>"));
	assert_non_null(strstr(p1, "<dt>Puissance crête</dt>")); // translated
	assert_non_null(strstr(r.body, "at=2026-06-01")); // previous week
	assert_non_null(strstr(r.body, "at=2026-06-15")); // next week
	http_res_free(&r);
	get("/curves?s=kermelo/pv/energy&s=" WEB_FX_LEGALL_SERIES
	    "&scale=day&at=2026-06-10&overlay=1&lang=en",
	    bob, 200, &r);
	assert_non_null(strstr(r.body, "<h1>Load curves</h1>"));
	assert_true(
	    num_attr(r.body, "<svg class=\"chart\"", "data-n-series") == 2);
	http_res_free(&r);
	get("/curves?s=kermelo/pv/energy&scale=fortnight", bob, 400, &r);
	http_res_free(&r);
	get("/curves?s=no/such/series", bob, 404, &r);
	http_res_free(&r);
	get("/curves?s=%3Cb%3E", bob, 400, &r);
	http_res_free(&r);
}

static void
test_live(void **state)
{
	(void) state;
	struct http_res r;
	get("/api/live?s=kermelo/pv/energy", bob, 200, &r);
	assert_type(&r, "application/json");
	assert_non_null(strstr(r.body, "\"power_w\":100,"));
	assert_non_null(strstr(r.body, "\"last_ms\":1781514000000"));
	http_res_free(&r);
	get("/api/live", bob, 400, &r);
	assert_type(&r, "application/json");
	http_res_free(&r);
	get("/api/live?s=no/such", bob, 404, &r);
	http_res_free(&r);
	get("/live?s=kermelo/pv/energy", bob, 200, &r);
	assert_non_null(
	    strstr(r.body, "data-live-series=\"kermelo/pv/energy\""));
	http_res_free(&r);
	get("/static/app.js", NULL, 200, &r);
	assert_type(&r, "text/javascript");
	http_res_free(&r);
	get("/static/app.css", NULL, 200, &r);
	assert_type(&r, "text/css");
	http_res_free(&r);
}

static void
test_errors(void **state)
{
	(void) state;
	struct http_res r;
	get("/no/such/page", alice, 404, &r);
	assert_type(&r, "text/html");
	http_res_free(&r);
	assert_int_equal(
	    web_http(&fx, "DELETE", "/dashboard", alice, NULL, &r), 0);
	assert_int_equal(r.status, 405);
	http_res_free(&r);
	get("/curves?s=%ZZ", bob, 400, &r);
	http_res_free(&r);
	// A body past 64 KiB is refused by nng itself.
	char *big = malloc(70001);
	assert_non_null(big);
	memset(big, 'a', 70000);
	big[70000] = '\0';
	memcpy(big, "user=", 5);
	if (web_http(&fx, "POST", "/login", NULL, big, &r) == 0) {
		assert_int_equal(r.status, 400);
		http_res_free(&r);
	} // else nng closed the connection before reading it all: refused too
	free(big);
	// The headers every page carries.
	get("/login", NULL, 200, &r);
	char v[512];
	assert_non_null(
	    http_header(&r, "Content-Security-Policy", v, sizeof(v)));
	assert_non_null(strstr(v, "script-src 'self'"));
	assert_non_null(
	    http_header(&r, "X-Content-Type-Options", v, sizeof(v)));
	http_res_free(&r);
}

static void
test_logout(void **state)
{
	(void) state;
	char cookie[128], csrf[128], body[256];
	assert_int_equal(web_fx_login(&fx, "bob", cookie, sizeof(cookie)), 0);
	struct http_res r;
	get("/curves", cookie, 200, &r);
	csrf_of(r.body, csrf, sizeof(csrf));
	http_res_free(&r);
	post("/logout", cookie, "csrf=wrong", 400, &r);
	http_res_free(&r);
	snprintf(body, sizeof(body), "csrf=%s", csrf);
	post("/logout", cookie, body, 303, &r);
	http_res_free(&r);
	get("/curves", cookie, 303, &r);
	http_res_free(&r);
}

static int
connect_port(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t) port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *) &a, sizeof(a)), 0);
	return fd;
}

// Clients that send half a request and then nothing: nng 1.5.2 keeps such
// a connection open (no header timeout; docs/web.md) but serves everyone
// else, each connection waiting asynchronously.
static void
test_slowloris(void **state)
{
	(void) state;
	int fds[32];
	for (int i = 0; i < 32; i++) {
		fds[i] = connect_port(fx.port);
		const char *half
		    = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
		assert_true(
		    send(fds[i], half, strlen(half), MSG_NOSIGNAL) > 0);
	}
	int64_t t0 = fed_test_now_ms();
	struct http_res r;
	get("/healthz", NULL, 200, &r);
	http_res_free(&r);
	assert_true(fed_test_now_ms() - t0 < 2000);
	// After 2 s the slow connections are still open: no header timeout.
	fed_test_sleep_ms(2000);
	char c;
	ssize_t n = recv(fds[0], &c, 1, MSG_DONTWAIT);
	assert_true(n < 0); // nothing to read, not closed (0)
	for (int i = 0; i < 32; i++)
		close(fds[i]);
	get("/healthz", NULL, 200, &r);
	http_res_free(&r);
}

// Five wrong passwords lock the user for a minute: the right one is then
// refused too (429), and the other users are not affected. Run last: it
// locks root.
static void
test_lockout(void **state)
{
	(void) state;
	struct http_res r;
	for (int i = 0; i < 5; i++) {
		post("/login", NULL, "user=root&password=guess", 401, &r);
		http_res_free(&r);
	}
	post("/login", NULL, "user=root&password=correct+horse+battery", 429,
	    &r);
	assert_non_null(strstr(r.body, "Trop d&#39;essais"));
	assert_null(strstr(r.head, "Set-Cookie"));
	http_res_free(&r);
	post("/login", NULL, "user=bob&password=correct+horse+battery", 200,
	    &r);
	http_res_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unauthenticated),
	    cmocka_unit_test(test_login),
	    cmocka_unit_test(test_dashboard),
	    cmocka_unit_test(test_dashboard_household),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_production),
	    cmocka_unit_test(test_distribution),
	    cmocka_unit_test(test_settings),
	    cmocka_unit_test(test_admin),
	    cmocka_unit_test(test_curves),
	    cmocka_unit_test(test_live),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_logout),
	    cmocka_unit_test(test_slowloris),
	    cmocka_unit_test(test_lockout),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
