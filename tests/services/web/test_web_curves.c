// SPDX-License-Identifier: MIT
//
// test_web_curves: the load curves people read and explore. The step is
// named on the value axis; each panel has a table of its values; the
// year view takes daily buckets when asked, and a step too fine for the
// period is refused; a free range of days; a series keeps its colour
// whatever the order of the curves; the CSV holds exactly the values of
// the page, under the same checks (a series the user may not read is 404
// there too, with nothing of it in the answer); the normalised view
// divides by the fact of the series' box; the script is served from the
// service itself.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fed_test.h"
#include "web_fixture.h"

#define PV     "kermelo%2Fpv%2Fenergy"
#define SCHOOL "kermelo%2Fschool%2Fenergy"

static struct web_fx fx;
static char alice[128], bob[128], ops[128], root_[128];

static void
get(const char *path, const char *cookie, int status, struct http_res *r)
{
	assert_int_equal(web_http(&fx, "GET", path, cookie, NULL, r), 0);
	if (r->status != status)
		fail_msg("GET %s: %d, expected %d\n%.2000s", path, r->status,
		    status, r->body);
}

static void
has(const char *body, const char *needle)
{
	if (strstr(body, needle) == NULL)
		fail_msg("no '%s' in\n%.3000s", needle, body);
}

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static int
setup(void **state)
{
	(void) state;
	if (web_fx_start(&fx) != 0)
		return -1;
	if (web_fx_login(&fx, "alice", alice, sizeof(alice)) != 0
	    || web_fx_login(&fx, "bob", bob, sizeof(bob)) != 0
	    || web_fx_login(&fx, "ops", ops, sizeof(ops)) != 0
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

// The step on the axis and in the table; the rows follow the step.
static void
test_step(void **state)
{
	(void) state;
	struct http_res r;
	get("/curves?scale=day&at=2026-06-14&s=" SCHOOL, bob, 200, &r);
	has(r.body, "Wh par 15 minutes</text>");
	assert_int_equal(count(r.body, "<tr data-t="), 96);
	has(r.body, "<script src=\"/static/curves.js\"");
	has(r.body, "data-tz=\"Europe/Paris\"");
	http_res_free(&r);
	get("/curves?scale=day&at=2026-06-14&step=hour&lang=en&s=" SCHOOL, bob,
	    200, &r);
	has(r.body, "Wh per hour</text>");
	assert_int_equal(count(r.body, "<tr data-t="), 24);
	http_res_free(&r);
	// The year: weekly by default, daily when asked.
	get("/curves?scale=year&at=2026-06-14&s=" SCHOOL, bob, 200, &r);
	has(r.body, "par semaine</text>");
	http_res_free(&r);
	get("/curves?scale=year&at=2026-06-14&step=day&s=" SCHOOL, bob, 200,
	    &r);
	has(r.body, "par jour</text>");
	assert_int_equal(count(r.body, "<tr data-t="), 365);
	http_res_free(&r);
	get("/curves?scale=year&at=2026-06-14&step=15min&s=" SCHOOL, bob, 400,
	    &r);
	has(r.body, "step : trop fin pour cette période");
	http_res_free(&r);
	get("/curves?scale=day&step=second&s=" SCHOOL, bob, 400, &r);
	http_res_free(&r);
}

// A free range of local days, both included; moved by its own length.
static void
test_free_range(void **state)
{
	(void) state;
	struct http_res r;
	char v[64];
	get("/curves?from=2026-06-10&to=2026-06-12&s=" SCHOOL, bob, 200, &r);
	assert_non_null(attr_after(
	    r.body, "<svg class=\"chart\"", "data-from", v, sizeof(v)));
	assert_int_equal(strtoll(v, NULL, 10), INT64_C(1781042400000));
	assert_non_null(attr_after(
	    r.body, "<svg class=\"chart\"", "data-to", v, sizeof(v)));
	assert_int_equal(strtoll(v, NULL, 10), INT64_C(1781301600000));
	has(r.body, "par heure</text>");
	assert_int_equal(count(r.body, "<tr data-t="), 72);
	has(r.body, "from=2026-06-07&amp;to=2026-06-09"); // previous
	has(r.body, "from=2026-06-13&amp;to=2026-06-15"); // next
	has(r.body, "type=\"date\" name=\"from\" value=\"2026-06-10\"");
	http_res_free(&r);
	get("/curves?from=2026-06-12&to=2026-06-10&s=" SCHOOL, bob, 400, &r);
	http_res_free(&r);
	get("/curves?from=2026-06-12&s=" SCHOOL, bob, 400, &r);
	http_res_free(&r);
	get("/curves?from=2010-01-01&to=2026-06-10&s=" SCHOOL, bob, 400, &r);
	http_res_free(&r);
}

// The colour class of the key of series id in a page.
static int
colour(const char *body, const char *id)
{
	char at[256];
	snprintf(at, sizeof(at), "data-series=\"%s\"", id);
	const char *p = strstr(body, at);
	assert_non_null(p);
	p = strstr(p, "class=\"key c");
	assert_non_null(p);
	return atoi(p + strlen("class=\"key c"));
}

// Colours belong to the series, not to their rank.
static void
test_colours(void **state)
{
	(void) state;
	struct http_res r;
	get("/curves?scale=week&at=2026-06-14&s=" SCHOOL "&s=" PV, bob, 200,
	    &r);
	int school = colour(r.body, "kermelo/school/energy");
	int pv = colour(r.body, "kermelo/pv/energy");
	http_res_free(&r);
	assert_int_not_equal(school, pv);
	get("/curves?scale=week&at=2026-06-14&s=" PV "&s=" SCHOOL, bob, 200,
	    &r);
	assert_int_equal(colour(r.body, "kermelo/school/energy"), school);
	assert_int_equal(colour(r.body, "kermelo/pv/energy"), pv);
	http_res_free(&r);
}

// The CSV: the page's values, line for line, after the same checks.
static void
test_csv(void **state)
{
	(void) state;
	struct http_res page, csv;
	const char *q
	    = "/curves?scale=day&at=2026-06-14&step=hour&s=" SCHOOL "&s=" PV;
	get(q, bob, 200, &page);
	char path[512];
	snprintf(path, sizeof(path), "%s&format=csv", q);
	get(path, bob, 200, &csv);
	char type[128];
	assert_non_null(http_header(&csv, "Content-Type", type, sizeof(type)));
	assert_non_null(strstr(type, "text/csv"));
	assert_int_equal(count(csv.body, "\r\n"), 1 + 48);
	has(csv.body, "series,node,start,start_ms,value,unit,per,coverage");
	// Every value of the page's tables is on a line of the CSV.
	size_t n = 0;
	for (const char *p = strstr(page.body, "data-v=\""); p;
	     p = strstr(p + 1, "data-v=\"")) {
		char v[64];
		snprintf(v, sizeof(v), ",%.*s,Wh,", (int) strcspn(p + 8, "\""),
		    p + 8);
		has(csv.body, v);
		n++;
	}
	assert_int_equal(n, 48);
	has(page.body, "format=csv");
	http_res_free(&page);
	http_res_free(&csv);
	// alice reads the plants only: the school is 404 in CSV as in HTML,
	// alone or beside a series she may read; nothing of it answers.
	get("/curves?scale=day&at=2026-06-14&format=csv&s=" SCHOOL, alice, 404,
	    &csv);
	assert_null(strstr(csv.body, "kermelo/school"));
	http_res_free(&csv);
	get("/curves?scale=day&at=2026-06-14&format=csv&s=" PV "&s=" SCHOOL,
	    alice, 404, &csv);
	assert_null(strstr(csv.body, "kermelo/school"));
	assert_null(strstr(csv.body, "start_ms"));
	http_res_free(&csv);
	// The other household, which bob's token does not cover.
	get("/curves?scale=day&format=csv&s=maison-martin%2Flinky%2Fenergy",
	    bob, 404, &csv);
	assert_null(strstr(csv.body, "start_ms"));
	http_res_free(&csv);
	get("/curves?scale=day&format=xls&s=" PV, bob, 400, &csv);
	http_res_free(&csv);
}

// Per pupil: the school's values divided by its box's 240 pupils; the
// plant, whose box says nothing of pupils, stays raw and says so.
static void
test_normalised(void **state)
{
	(void) state;
	struct http_res raw, per;
	const char *q = "/curves?scale=day&at=2026-06-14&step=hour&s=" SCHOOL;
	get(q, bob, 200, &raw);
	char path[512];
	snprintf(path, sizeof(path), "%s&norm=pupil&s=%s", q, PV);
	get(path, bob, 200, &per);
	has(per.body, "par heure, par élève</text>");
	has(per.body, "data-divisor=\"240\"");
	has(per.body, "class=\"norm-missing\"");
	char a[64], b[64];
	assert_non_null(
	    attr_after(raw.body, "<tr data-t=", "data-v", a, sizeof(a)));
	assert_non_null(
	    attr_after(per.body, "<tr data-t=", "data-v", b, sizeof(b)));
	assert_true(strtod(a, NULL) > 0);
	assert_true(fabs(strtod(a, NULL) / 240 - strtod(b, NULL)) < 1e-9);
	http_res_free(&raw);
	http_res_free(&per);
	get("/curves?scale=day&norm=furlong&s=" SCHOOL, bob, 400, &raw);
	http_res_free(&raw);
}

static void
test_script(void **state)
{
	(void) state;
	struct http_res r;
	get("/static/curves.js", NULL, 200, &r);
	char type[128];
	assert_non_null(http_header(&r, "Content-Type", type, sizeof(type)));
	assert_non_null(strstr(type, "javascript"));
	has(r.body, "crosshair");
	assert_null(
	    strstr(r.body, "http://") == NULL ? NULL : strstr(r.body, "src="));
	http_res_free(&r);
}

static void
post(const char *path, const char *cookie, const char *body, int status,
    struct http_res *r)
{
	assert_int_equal(web_http(&fx, "POST", path, cookie, body, r), 0);
	if (r->status != status)
		fail_msg("POST %s: %d, expected %d\n%.2000s", path, r->status,
		    status, r->body);
}

// Follows a 303 to its page, as cookie.
static void
follow(const struct http_res *r, const char *cookie, struct http_res *out)
{
	char loc[1024];
	assert_non_null(http_header(r, "Location", loc, sizeof(loc)));
	get(loc, cookie, 200, out);
}

// A teacher saves a comparison; the class opens it with one click, each
// pupil reading with their own credentials: what they may not read is
// "not shared with you" and nothing of it is in their page or CSV.
static void
test_presets(void **state)
{
	(void) state;
	struct http_res r, page;
	char csrf[128], body[1024], loc[1024];
	const char *q = "scale%3Dweek%26s%3Dkermelo%252Fschool%252Fenergy"
	                "%26s%3Dmaison-legall%252Flinky%252Fenergy"
	                "%26s%3Dkermelo%252Fpv%252Fenergy";
	const char *name
	    = "%C3%A9cole%2C+maison%2C+centrale+%E2%80%94+semaine";
	get("/curves?scale=week&s=" SCHOOL, bob, 200, &r);
	has(r.body, "class=\"save-preset\"");
	assert_non_null(
	    attr_after(r.body, "name=\"csrf\"", "value", csrf, sizeof(csrf)));
	http_res_free(&r);
	// Refusals: no CSRF token; a role that does not teach.
	snprintf(body, sizeof(body), "name=%s&query=%s", name, q);
	post("/curves", bob, body, 403, &r);
	http_res_free(&r);
	snprintf(
	    body, sizeof(body), "csrf=%s&name=%s&query=%s", csrf, name, q);
	post("/curves", alice, body, 403, &r);
	http_res_free(&r);
	snprintf(body, sizeof(body), "csrf=%s&name=%%09tab&query=%s", csrf, q);
	post("/curves", bob, body, 400, &r);
	http_res_free(&r);
	// Saved, then opened: the teacher sees the three curves.
	snprintf(
	    body, sizeof(body), "csrf=%s&name=%s&query=%s", csrf, name, q);
	post("/curves", bob, body, 303, &r);
	follow(&r, bob, &page);
	http_res_free(&r);
	assert_int_equal(count(page.body, "<svg class=\"chart\""), 3);
	assert_null(strstr(page.body, "not-shared"));
	has(page.body, "école, maison, centrale — semaine");
	http_res_free(&page);
	// The first screen of /curves: the first preset, its curves drawn.
	get("/curves", bob, 303, &r);
	assert_non_null(http_header(&r, "Location", loc, sizeof(loc)));
	assert_non_null(strstr(loc, "preset="));
	http_res_free(&r);
	// alice reads the plant only: one chart, two "not shared with you",
	// nothing of the school or of the house in her page or her CSV.
	get("/curves?preset="
	    "%C3%A9cole%2C%20maison%2C%20centrale%20%E2%80%94"
	    "%20semaine",
	    alice, 303, &r);
	follow(&r, alice, &page);
	assert_int_equal(count(page.body, "<svg class=\"chart\""), 1);
	assert_int_equal(
	    count(page.body, "class=\"curve-panel not-shared\""), 2);
	has(page.body, "non partagée avec vous");
	assert_null(strstr(page.body, "<caption>kermelo/school"));
	assert_null(strstr(page.body, "<caption>maison-legall"));
	assert_null(strstr(page.body, "pupils"));
	assert_null(strstr(page.body, "class=\"save-preset\""));
	http_res_free(&page);
	assert_non_null(http_header(&r, "Location", loc, sizeof(loc)));
	http_res_free(&r);
	char path[1200];
	snprintf(path, sizeof(path), "%s&format=csv", loc);
	get(path, alice, 200, &r);
	assert_null(strstr(r.body, "kermelo/school"));
	assert_null(strstr(r.body, "maison-legall"));
	has(r.body, "\"kermelo/pv/energy\"");
	http_res_free(&r);
	get("/curves?preset=nope", bob, 404, &r);
	http_res_free(&r);
}

// The CSRF token of cookie's session, from a page with a form.
static void
csrf_of(const char *cookie, char *buf, size_t len)
{
	struct http_res r;
	get("/curves?scale=week&s=kermelo%2Fpv%2Fenergy", cookie, 200, &r);
	assert_non_null(
	    attr_after(r.body, "name=\"csrf\"", "value", buf, len));
	http_res_free(&r);
}

static void
save_as(const char *cookie, const char *csrf, const char *name, int status)
{
	struct http_res r;
	char body[512];
	snprintf(body, sizeof(body),
	    "csrf=%s&name=%s&query=scale%%3Dweek%%26s%%3Dkermelo%%252Fpv"
	    "%%252Fenergy",
	    csrf, name);
	post("/curves", cookie, body, status, &r);
	http_res_free(&r);
}

static void
delete_as(const char *cookie, const char *csrf, const char *name, int status)
{
	struct http_res r;
	char body[512];
	snprintf(body, sizeof(body), "%s%s%saction=delete&name=%s",
	    csrf ? "csrf=" : "", csrf ? csrf : "", csrf ? "&" : "", name);
	post("/curves", cookie, body, status, &r);
	if (status == 303) {
		char loc[256];
		assert_non_null(http_header(&r, "Location", loc, sizeof(loc)));
		assert_string_equal(loc, "/curves?deleted=1");
	}
	http_res_free(&r);
}

// 1 when /curves lists a preset of that name (its link), as cookie.
static int
listed(const char *cookie, const char *name, int *deletable)
{
	struct http_res r;
	char link[200], del[200];
	get("/curves?scale=week&s=kermelo%2Fpv%2Fenergy", cookie, 200, &r);
	snprintf(link, sizeof(link), "href=\"/curves?preset=%s\"", name);
	snprintf(del, sizeof(del), "href=\"/curves?delete=%s\"", name);
	int in = strstr(r.body, link) != NULL;
	*deletable = strstr(r.body, del) != NULL;
	http_res_free(&r);
	return in;
}

// Who may save and delete a comparison: a teacher saves and deletes its
// own; an administrator saves and deletes any; a viewer and an investor
// neither. Deleting asks first, and its POST needs the CSRF token.
static void
test_preset_rights(void **state)
{
	(void) state;
	struct http_res r;
	char bc[128], oc[128], rc[128], ac[128];
	csrf_of(bob, bc, sizeof(bc));
	csrf_of(ops, oc, sizeof(oc));
	csrf_of(root_, rc, sizeof(rc));
	csrf_of(alice, ac, sizeof(ac));
	// Saving: the viewer has no form and is refused.
	get("/curves?scale=week&s=kermelo%2Fpv%2Fenergy", ops, 200, &r);
	assert_null(strstr(r.body, "class=\"save-preset\""));
	http_res_free(&r);
	save_as(ops, oc, "ops-own", 403);
	save_as(bob, bc, "bob-own", 303);
	save_as(root_, rc, "root-own", 303);
	int del = 0;
	assert_false(listed(bob, "ops-own", &del));
	// The delete link only where the user may delete.
	assert_true(listed(bob, "bob-own", &del));
	assert_true(del);
	assert_true(listed(bob, "root-own", &del));
	assert_false(del);
	assert_true(listed(ops, "bob-own", &del));
	assert_false(del);
	assert_true(listed(root_, "bob-own", &del));
	assert_true(del);
	// The confirmation: the teacher's own, not the administrator's;
	// none for a viewer; 404 for a name not in the list.
	get("/curves?delete=bob-own", bob, 200, &r);
	has(r.body, "Supprimer cette comparaison ?");
	has(r.body, "name=\"action\" value=\"delete\"");
	has(r.body, "name=\"csrf\"");
	http_res_free(&r);
	get("/curves?delete=bob-own&lang=en", bob, 200, &r);
	has(r.body, "Delete this saved comparison?");
	http_res_free(&r);
	get("/curves?delete=root-own", bob, 403, &r);
	http_res_free(&r);
	get("/curves?delete=bob-own", ops, 403, &r);
	http_res_free(&r);
	get("/curves?delete=nope", bob, 404, &r);
	http_res_free(&r);
	// The POST: refused to a viewer, an investor, a teacher for
	// another's and without the CSRF token; each leaves it listed.
	delete_as(ops, oc, "bob-own", 403);
	delete_as(alice, ac, "bob-own", 403);
	delete_as(bob, bc, "root-own", 403);
	delete_as(bob, NULL, "bob-own", 403);
	delete_as(bob, rc, "bob-own", 403); // another session's token
	assert_true(listed(ops, "bob-own", &del));
	assert_true(listed(ops, "root-own", &del));
	delete_as(bob, bc, "nope", 404);
	// The teacher deletes its own; the page says so.
	delete_as(bob, bc, "bob-own", 303);
	get("/curves?deleted=1", bob, 200, &r);
	has(r.body, "Comparaison supprimée.");
	http_res_free(&r);
	assert_false(listed(ops, "bob-own", &del));
	// The administrator deletes a teacher's.
	save_as(bob, bc, "bob-again", 303);
	delete_as(root_, rc, "bob-again", 303);
	assert_false(listed(bob, "bob-again", &del));
	delete_as(root_, rc, "root-own", 303);
	assert_false(listed(bob, "root-own", &del));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_step),
	    cmocka_unit_test(test_free_range),
	    cmocka_unit_test(test_colours),
	    cmocka_unit_test(test_csv),
	    cmocka_unit_test(test_normalised),
	    cmocka_unit_test(test_script),
	    cmocka_unit_test(test_presets),
	    cmocka_unit_test(test_preset_rights),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
