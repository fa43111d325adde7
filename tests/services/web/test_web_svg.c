// SPDX-License-Identifier: MIT
//
// test_web_svg.c: fed-web's charts: bad arguments refused, two charts of
// one axis drawing the same ticks at the same places, incomplete buckets
// hatched, empty buckets left out (lines broken there, never drawn as
// zero), labels escaped, and values that are not finite survived.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "web_svg.h"

#define DAY    INT64_C(86400000)
#define JUNE_8 INT64_C(1780869600000) // Monday 2026-06-08T00:00+02:00

static fed_tz *tz;

static int
setup(void **state)
{
	(void) state;
	return fed_tz_load("Europe/Paris", &tz) == FED_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void) state;
	fed_tz_free(tz);
	return 0;
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

static web_svg_chart
week_chart(const web_svg_series *s, size_t n, web_svg_kind kind)
{
	web_svg_chart c = {"c1", "a <chart>", "Wh", JUNE_8, JUNE_8 + 7 * DAY,
	    DAY, kind, s, n, tz, WEB_LANG_FR, 0, 0, NULL};
	return c;
}

static void
test_bad_args(void **state)
{
	(void) state;
	web_buf b;
	web_buf_init(&b);
	web_svg_chart c = week_chart(NULL, 0, WEB_SVG_BARS);
	c.to_ms = c.from_ms;
	assert_int_equal(web_svg_chart_write(&b, &c), FED_INVALID_ARGUMENT);
	c = week_chart(NULL, 1, WEB_SVG_BARS);
	assert_int_equal(web_svg_chart_write(&b, &c), FED_INVALID_ARGUMENT);
	web_svg_series s = {"x", NULL, NULL, NULL, 3, 0};
	c = week_chart(&s, 1, WEB_SVG_BARS);
	assert_int_equal(web_svg_chart_write(&b, &c), FED_INVALID_ARGUMENT);
	c = week_chart(NULL, 0, WEB_SVG_BARS);
	c.tz = NULL;
	assert_int_equal(web_svg_chart_write(&b, &c), FED_INVALID_ARGUMENT);
	assert_int_equal(b.len, 0);
}

// The x-axis part of a chart's text.
static char *
axis_of(const char *svg)
{
	const char *a = strstr(svg, "<g class=\"x-axis\"");
	const char *e = a ? strstr(a, "</g>") : NULL;
	assert_non_null(e);
	return strndup(a, (size_t) (e - a));
}

static void
test_same_axis(void **state)
{
	(void) state;
	int64_t ts[7];
	double v1[7], v2[7];
	for (int i = 0; i < 7; i++) {
		ts[i] = JUNE_8 + i * DAY;
		v1[i] = 10 * i;
		v2[i] = 1e6 * i;
	}
	web_svg_series a = {"a", ts, v1, NULL, 7, 0},
	               b2 = {"b", ts, v2, NULL, 7, 1};
	web_buf x, y;
	web_buf_init(&x);
	web_buf_init(&y);
	web_svg_chart c = week_chart(&a, 1, WEB_SVG_LINES);
	assert_int_equal(web_svg_chart_write(&x, &c), FED_OK);
	c = week_chart(&b2, 1, WEB_SVG_LINES);
	assert_int_equal(web_svg_chart_write(&y, &c), FED_OK);
	char *ax = axis_of(x.data), *ay = axis_of(y.data);
	assert_string_equal(ax, ay); // the same ticks at the same places
	assert_int_equal(count(ax, "class=\"tick-label\""), 7);
	assert_non_null(strstr(ax, ">08/06<"));
	assert_non_null(strstr(y.data, ">MWh<")); // scaled unit
	assert_non_null(strstr(x.data, "aria-label=\"a &lt;chart&gt;\""));
	free(ax);
	free(ay);
	web_buf_fini(&x);
	web_buf_fini(&y);
}

static void
test_coverage(void **state)
{
	(void) state;
	// Day 2 holds nothing; day 5 an estimate (coverage 0, a value: an
	// index's energy spread over a gap), drawn as incomplete.
	int64_t ts[6];
	double v[6] = {1, 2, 0, NAN, 5, 4}, cov[6] = {1, 0.5, 0, 1, 1, 0};
	for (int i = 0; i < 6; i++)
		ts[i] = JUNE_8 + i * DAY;
	web_svg_series s = {"<s>", ts, v, cov, 6, 0};
	web_buf b;
	web_buf_init(&b);
	web_svg_chart c = week_chart(&s, 1, WEB_SVG_BARS);
	assert_int_equal(web_svg_chart_write(&b, &c), FED_OK);
	assert_int_equal(
	    count(b.data, "<rect x="), 5); // the empty day left out
	assert_int_equal(count(b.data, "class=\"incomplete\""), 2);
	// The hatched bar's fill names the chart's own pattern.
	assert_non_null(strstr(b.data, "<pattern id=\"hatch-c1\""));
	assert_non_null(strstr(b.data, "fill=\"url(#hatch-c1)\""));
	assert_non_null(strstr(b.data, "data-label=\"&lt;s&gt;\""));
	assert_null(strstr(b.data, "<s>"));
	web_buf_fini(&b);
	c = week_chart(&s, 1, WEB_SVG_LINES);
	assert_int_equal(web_svg_chart_write(&b, &c), FED_OK);
	assert_int_equal(count(b.data, "<polyline"), 2); // broken at the gap
	assert_int_equal(count(b.data, "<circle class=\"incomplete\""), 2);
	assert_null(strstr(b.data, "nan"));
	web_buf_fini(&b);
}

// The step on the value axis, and what the page's script reads: the
// plot area, the unit shown and its divisor, each series' buckets.
static void
test_per_and_data(void **state)
{
	(void) state;
	int64_t ts[3] = {JUNE_8, JUNE_8 + DAY, JUNE_8 + 2 * DAY};
	double v[3] = {1500, NAN, 2500}, cov[3] = {1, 0, 0.5};
	web_svg_series s = {"s", ts, v, cov, 3, 2};
	web_buf b;
	web_buf_init(&b);
	web_svg_chart c = week_chart(&s, 1, WEB_SVG_BARS);
	c.per = "par jour";
	assert_int_equal(web_svg_chart_write(&b, &c), FED_OK);
	assert_non_null(strstr(b.data, "class=\"unit\">kWh par jour</text>"));
	assert_non_null(strstr(b.data, "data-unit=\"kWh par jour\""));
	assert_non_null(strstr(b.data, "data-div=\"1000\""));
	assert_non_null(strstr(b.data, "data-x0=\"64.0\""));
	assert_non_null(strstr(b.data, "data-tz=\"Europe/Paris\""));
	assert_non_null(strstr(
	    b.data, "data-ts=\"1780869600000,1780956000000,1781042400000\""));
	assert_non_null(strstr(b.data, "data-vs=\"1500,0,2500\"")); // no NaN
	assert_non_null(strstr(b.data, "data-cs=\"1,0,0.5\""));
	web_buf_fini(&b);
	c.per = NULL;
	assert_int_equal(web_svg_chart_write(&b, &c), FED_OK);
	assert_non_null(strstr(b.data, "class=\"unit\">kWh</text>"));
	web_buf_fini(&b);
}

// Drawn twice: the wide chart as asked, then the narrow one (640 units
// wide, half as tall again, half the time labels), whose ids do not
// repeat the first's; both refused alike.
static void
test_both(void **state)
{
	(void) state;
	int64_t ts[7];
	double v[7], cov[7];
	for (int i = 0; i < 7; i++) {
		ts[i] = JUNE_8 + i * DAY;
		v[i] = 1000 * (i + 1);
		cov[i] = i == 3 ? 0.5 : 1;
	}
	web_svg_series s = {"pv", ts, v, cov, 7, 0};
	web_svg_chart c = week_chart(&s, 1, WEB_SVG_BARS);
	c.width = 960;
	c.height = 280;
	web_buf b;
	web_buf_init(&b);
	assert_int_equal(web_svg_chart_write_both(&b, &c), FED_OK);
	assert_int_equal(count(b.data, "<svg "), 2);
	assert_int_equal(count(b.data, "<svg class=\"chart\""), 1);
	assert_int_equal(count(b.data, "<svg class=\"chart narrow\""), 1);
	const char *narrow = strstr(b.data, "<svg class=\"chart narrow\"");
	assert_non_null(strstr(b.data, "viewBox=\"0 0 960 280\""));
	assert_non_null(strstr(narrow, "viewBox=\"0 0 640 420\""));
	assert_non_null(strstr(narrow, " id=\"c1-n\""));
	assert_non_null(strstr(narrow, "<pattern id=\"hatch-c1-n\""));
	assert_non_null(strstr(narrow, "url(#hatch-c1-n)"));
	assert_null(strstr(narrow, "url(#hatch-c1)"));
	// Seven days: a label each on the wide chart, every other one on
	// the narrow.
	char *wide_axis = axis_of(b.data), *narrow_axis = axis_of(narrow);
	assert_int_equal(count(wide_axis, "class=\"tick-label\""), 7);
	assert_int_equal(count(narrow_axis, "class=\"tick-label\""), 4);
	free(wide_axis);
	free(narrow_axis);
	web_buf_fini(&b);
	c.to_ms = c.from_ms;
	assert_int_equal(
	    web_svg_chart_write_both(&b, &c), FED_INVALID_ARGUMENT);
	assert_int_equal(b.len, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_args),
	    cmocka_unit_test(test_same_axis),
	    cmocka_unit_test(test_coverage),
	    cmocka_unit_test(test_per_and_data),
	    cmocka_unit_test(test_both),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
