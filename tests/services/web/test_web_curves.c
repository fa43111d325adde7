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
static char alice[128], bob[128];

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
	    || web_fx_login(&fx, "bob", bob, sizeof(bob)) != 0)
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
	has(r.body, "step: too fine");
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
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
