// SPDX-License-Identifier: MIT
//
// test_fedctl_io.c: fedctl's parsers on buffers: the command line's times
// (relative forms across a DST change), CSV (header, CRLF, quotes, the
// number of a bad line, --skip-bad, truncated and binary input) and SenML
// (base fields, relative times, one name per pack, must-understand
// fields); amounts of euros read and written, energies with their unit,
// and the sparkline's gaps.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fedctl.h"
#include "io.h"

#define PARIS_0329 INT64_C(1774738800000) // 2026-03-29T00:00:00+01:00

static fed_tz *paris;

static int
setup(void **state)
{
	(void) state;
	return fed_tz_load("Europe/Paris", &paris) == FED_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void) state;
	fed_tz_free(paris);
	return 0;
}

static int64_t
t(const char *s, int64_t now)
{
	int64_t v = -1;
	assert_int_equal(fedctl_time_parse(paris, s, now, &v), FED_OK);
	return v;
}

static void
test_time(void **state)
{
	(void) state;
	// Noon on the 29th, the day Paris springs forward at 02:00.
	int64_t now = PARIS_0329 + 11 * 3600000LL;
	assert_int_equal(t("now", now), now);
	assert_int_equal(t("today", now), PARIS_0329);
	assert_int_equal(t("yesterday", now), PARIS_0329 - 24 * 3600000LL);
	assert_int_equal(t("today-1d", now), PARIS_0329 - 24 * 3600000LL);
	assert_int_equal(t("tomorrow", now), PARIS_0329 + 23 * 3600000LL);
	assert_int_equal(t("today+1w", now), PARIS_0329 + 167 * 3600000LL);
	// A calendar day back keeps noon: 23 hours, not 24.
	assert_int_equal(t("-1d", now), now - 23 * 3600000LL);
	assert_int_equal(t("-90m", now), now - 90 * 60000LL);
	assert_int_equal(t("now+2h", now), now + 2 * 3600000LL);
	assert_int_equal(t("2026-03-29", now), PARIS_0329);
	assert_int_equal(
	    t("2026-03-29T03:00:00+02:00", now), PARIS_0329 + 2 * 3600000LL);
	int64_t v;
	const char *bad[] = {"", "soon", "-7", "-7y", "today-", "now+1dd",
	    "-999999999d", "2026-13-01", "--1d"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(fedctl_time_parse(paris, bad[i], now, &v),
		    FED_INVALID_ARGUMENT);
}

static void
test_csv(void **state)
{
	(void) state;
	const char *text = "timestamp,value\r\n"
	                   "# a comment\r\n"
	                   "2026-03-29T00:00:00+01:00,1.5\r\n"
	                   "\"2026-03-29T03:00:00+02:00\", \"2\"\r\n"
	                   "2026-03-29T04:00,-3e2\n"
	                   "\n"
	                   "2026-03-29T03:00:00Z,0.1";
	fedctl_points p = {0};
	fedctl_parse_err err = {0, ""};
	size_t n_bad = 9;
	fedctl_csv_opts strict = {paris, false, FEDCTL_AMBIGUOUS_REFUSE};
	assert_int_equal(
	    fedctl_csv_parse(text, strlen(text), &strict, &p, &n_bad, &err),
	    FED_OK);
	assert_int_equal(n_bad, 0);
	assert_int_equal(p.n, 4);
	assert_int_equal(p.ts_ms[0], PARIS_0329);
	assert_int_equal(p.ts_ms[1], PARIS_0329 + 2 * 3600000LL);
	assert_int_equal(p.ts_ms[2], PARIS_0329 + 3 * 3600000LL);
	assert_true(p.value[2] == -300.0);
	assert_true(p.value[3] == 0.1);
	fedctl_points_fini(&p);
}

// Each refusal says what is wrong with the line.
static void
test_csv_messages(void **state)
{
	(void) state;
	fedctl_csv_opts strict = {paris, false, FEDCTL_AMBIGUOUS_REFUSE};
	const char *cases[][2] = {
	    {"2026-03-29T02:30:00,1\n", "does not exist in Europe/Paris"},
	    {"2026-10-25T02:30:00,1\n", "occurs twice in Europe/Paris"},
	    {"2026-03-29T00:00:00Z,0x10\n", "not decimal"},
	    {"2026-03-29T00:00:00Z,\"1,5\"\n", "decimal comma"},
	    {"2026-03-29T00:00:00Z,1,5\n", "decimal comma?"},
	    {"2026-03-29X00:00:00Z,1\n", "not ISO 8601"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		fedctl_points p = {0};
		fedctl_parse_err err = {0, ""};
		size_t n_bad;
		const char *s = cases[i][0];
		assert_int_equal(
		    fedctl_csv_parse(s, strlen(s), &strict, &p, &n_bad, &err),
		    FED_INVALID_ARGUMENT);
		if (strstr(err.msg, cases[i][1]) == NULL)
			fail_msg(
			    "'%s': '%s' lacks '%s'", s, err.msg, cases[i][1]);
		fedctl_points_fini(&p);
	}
}

// The autumn hour without offsets: refused unless told which occurrence;
// with offsets, both occurrences are distinct points.
static void
test_csv_ambiguous(void **state)
{
	(void) state;
	const int64_t first = INT64_C(1792888200000); // 2026-10-25T00:30Z
	const char *text = "2026-10-25T02:30:00,1\n";
	for (int which = FEDCTL_AMBIGUOUS_EARLIER;
	     which <= FEDCTL_AMBIGUOUS_LATER; which++) {
		fedctl_csv_opts o = {paris, false, (fedctl_ambiguous) which};
		fedctl_points p = {0};
		fedctl_parse_err err = {0, ""};
		size_t n_bad;
		assert_int_equal(
		    fedctl_csv_parse(text, strlen(text), &o, &p, &n_bad, &err),
		    FED_OK);
		assert_int_equal(p.n, 1);
		assert_int_equal(p.ts_ms[0],
		    first + (which == FEDCTL_AMBIGUOUS_LATER ? 3600000 : 0));
		fedctl_points_fini(&p);
	}
	const char *both = "2026-10-25T02:30:00+02:00,1\n"
	                   "2026-10-25T02:30:00+01:00,2\n"
	                   "2026-10-25T01:30:00,3\n"; // once only
	fedctl_csv_opts strict = {paris, false, FEDCTL_AMBIGUOUS_REFUSE};
	fedctl_points p = {0};
	fedctl_parse_err err = {0, ""};
	size_t n_bad;
	assert_int_equal(
	    fedctl_csv_parse(both, strlen(both), &strict, &p, &n_bad, &err),
	    FED_OK);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.ts_ms[1] - p.ts_ms[0], 3600000);
	fedctl_points_fini(&p);
}

static void
test_csv_bad(void **state)
{
	(void) state;
	fedctl_csv_opts strict = {paris, false, FEDCTL_AMBIGUOUS_REFUSE};
	fedctl_csv_opts skip = {paris, true, FEDCTL_AMBIGUOUS_REFUSE};
	const char *cases[][2] = {
	    {"2026-03-29T00:00:00Z,1\n2026-03-29T01:00:00Z,x\n", "2"},
	    {"2026-03-29T00:00:00Z,1\n2026-03-29T01:00:00Z\n", "2"},
	    {"2026-03-29T00:00:00Z,1\nnot a time,1\n", "2"},
	    {"h,v\n2026-03-29T00:00:00Z,1,2\n", "2"},
	    {"2026-03-29T00:00:00Z,nan\n", "1"},
	    {"2026-03-29T00:00:00Z,1e999\n", "1"},
	    {"x,y\n2026-03-29T02:30:00,1\n", "2"}, // does not exist in Paris
	    {"2026-03-29T00:00:00Z,\n", "1"},
	    {"2026-13-29T00:00:00Z,5\n2026-03-29T00:00:00Z,1\n", "1"},
	    {"time;value\n2026-03-29T00:00:00Z,1\n", "1"},
	    {"2026-03-29T00:00:00Z,0x10\n", "1"}, // decimal only
	    {"2026-03-29T00:00:00Z,0x1p3\n", "1"},
	    {"2026-03-29T00:00:00Z,inf\n", "1"},
	    {"2026-03-29T00:00:00Z,1.\n2026-03-29T01:00:00Z,.\n", "2"},
	    {"2026-03-29T00:00:00Z,1e\n", "1"},
	    {"2026-03-29T00:00:00Z,\"1,5\"\n", "1"},
	    {"2026-10-25T02:30:00,1\n", "1"}, // twice in Paris
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		fedctl_points p = {0};
		fedctl_parse_err err = {0, ""};
		size_t n_bad;
		const char *s = cases[i][0];
		assert_int_equal(
		    fedctl_csv_parse(s, strlen(s), &strict, &p, &n_bad, &err),
		    FED_INVALID_ARGUMENT);
		assert_int_equal(err.line, (size_t) atoi(cases[i][1]));
		assert_true(err.msg[0] != '\0');
		assert_int_equal(p.n, 0);
		assert_int_equal(
		    fedctl_csv_parse(s, strlen(s), &skip, &p, &n_bad, &err),
		    FED_OK);
		assert_int_equal(n_bad, 1);
		fedctl_points_fini(&p);
	}
	// Binary and truncated input: refused or partial, never a crash.
	char bin[2048];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (char) (i * 7 + 3);
	fedctl_points p = {0};
	fedctl_parse_err err;
	size_t n_bad;
	fedctl_csv_parse(bin, sizeof(bin), &skip, &p, &n_bad, &err);
	assert_int_equal(p.n, 0);
	const char *ok = "2026-03-29T00:00:00Z,12";
	for (size_t len = 0; len < strlen(ok); len++)
		fedctl_csv_parse(ok, len, &strict, &p, &n_bad, &err);
	fedctl_points_fini(&p);
}

static void
test_senml(void **state)
{
	(void) state;
	const char *pack
	    = "[{\"bn\":\"kermelo/pv/\",\"n\":\"energy\","
	      "\"bt\":1774738800,\"bu\":\"Wh\",\"v\":1},"
	      "{\"n\":\"energy\",\"t\":300.5,\"v\":2.25},"
	      "{\"n\":\"energy\",\"t\":600,\"v\":3,\"u\":\"Wh\"}]";
	fedctl_points p = {0};
	fedctl_parse_err err = {0, ""};
	size_t n_bad;
	char name[64];
	assert_int_equal(fedctl_senml_parse(pack, strlen(pack), 0, "Wh", false,
	                     &p, &n_bad, name, sizeof(name), &err),
	    FED_OK);
	assert_string_equal(name, "kermelo/pv/energy");
	assert_int_equal(p.n, 3);
	assert_int_equal(p.ts_ms[0], PARIS_0329);
	assert_int_equal(p.ts_ms[1], PARIS_0329 + 300500);
	assert_true(p.value[1] == 2.25);
	fedctl_points_fini(&p);
	// Relative times (below 2^28 s) count from now.
	const char *rel = "[{\"t\":-60,\"v\":5}]";
	assert_int_equal(fedctl_senml_parse(rel, strlen(rel), PARIS_0329, NULL,
	                     false, &p, &n_bad, name, sizeof(name), &err),
	    FED_OK);
	assert_int_equal(p.ts_ms[0], PARIS_0329 - 60000);
	fedctl_points_fini(&p);
}

static void
test_senml_bad(void **state)
{
	(void) state;
	const char *cases[][2] = {
	    {"{\"v\":1}", "0"},
	    {"[{\"bt\":1774738800,\"v\":1},{\"t\":1}]", "2"},
	    {"[{\"bn\":\"a\",\"bt\":1774738800,\"v\":1},{\"bn\":\"b\",\"v\":1}"
	     "]",
	        "2"},
	    {"[{\"bt\":1774738800,\"v\":1,\"x_\":1}]", "1"},
	    {"[{\"bt\":\"1774738800\",\"v\":1}]", "1"},
	    {"[{\"bt\":1774738800,\"vs\":\"on\"}]", "1"},
	    {"[{\"bt\":1774738800,\"bu\":\"W\",\"v\":1}]", "1"},
	    {"[{\"bt\":1e300,\"v\":1}]", "1"},
	    {"[1]", "1"},
	    {"[{\"bt\":1774738800,\"v\":1", "0"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		fedctl_points p = {0};
		fedctl_parse_err err = {0, ""};
		size_t n_bad;
		char name[64];
		const char *s = cases[i][0];
		assert_int_equal(
		    fedctl_senml_parse(s, strlen(s), 0, "Wh", false, &p,
		        &n_bad, name, sizeof(name), &err),
		    FED_INVALID_ARGUMENT);
		assert_int_equal(err.line, (size_t) atoi(cases[i][1]));
		assert_int_equal(p.n, 0);
		fedctl_points_fini(&p);
	}
}

static void
test_euros(void **state)
{
	(void) state;
	int64_t c = -1;
	assert_int_equal(fedctl_parse_euros("34000", &c), FED_OK);
	assert_int_equal(c, 3400000);
	assert_int_equal(fedctl_parse_euros("250.5", &c), FED_OK);
	assert_int_equal(c, 25050);
	assert_int_equal(fedctl_parse_euros("0.05", &c), FED_OK);
	assert_int_equal(c, 5);
	const char *bad[] = {"", "-1", "1.", ".5", "1.234", "1,5", "12e3",
	    " 1", "1 ", "1000000000000000", "0x10"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = 7;
		assert_int_equal(
		    fedctl_parse_euros(bad[i], &c), FED_INVALID_ARGUMENT);
		assert_int_equal(c, 7);
	}
	char buf[48];
	fedctl_fmt_euros(3400000, buf, sizeof(buf));
	assert_string_equal(buf, "34,000 €");
	fedctl_fmt_euros(123456, buf, sizeof(buf));
	assert_string_equal(buf, "1,234.56 €");
	fedctl_fmt_euros(-5, buf, sizeof(buf));
	assert_string_equal(buf, "-0.05 €");
	fedctl_fmt_euros(0, buf, sizeof(buf));
	assert_string_equal(buf, "0 €");
	fedctl_fmt_euros(100000000000, buf, sizeof(buf));
	assert_string_equal(buf, "1,000,000,000 €");
	fedctl_fmt_euros(INT64_MIN, buf, sizeof(buf));
	assert_string_equal(buf, "-92,233,720,368,547,758.08 €");
}

static void
test_energy(void **state)
{
	(void) state;
	const struct {
		double wh;
		const char *text;
	} cases[] = {{0, "0 Wh"}, {0.25, "0.25 Wh"}, {14.705882, "14.7 Wh"},
	    {155.88, "156 Wh"}, {999, "999 Wh"}, {1000, "1 kWh"},
	    {29800, "29.8 kWh"}, {66000, "66 kWh"}, {1234567, "1.23 MWh"},
	    {-2500, "-2.5 kWh"}, {5e12, "5000 GWh"}};
	char buf[48];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fedctl_fmt_energy(cases[i].wh, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
}

static void
test_sparkline(void **state)
{
	(void) state;
	const double v[] = {0, 10, 70, 35, 5, -3};
	const bool gap[] = {false, false, false, true, false, false};
	char buf[64];
	assert_int_equal(
	    fedctl_sparkline(v, gap, 6, false, buf, sizeof(buf)), FED_OK);
	// 0 and a negative value are the lowest block; the gap a space.
	assert_string_equal(buf, "▁▂█ ▂▁");
	assert_int_equal(
	    fedctl_sparkline(v, gap, 6, true, buf, sizeof(buf)), FED_OK);
	assert_string_equal(buf, "_.# ._");
	// All gaps: all spaces, never a level.
	const bool all[] = {true, true, true};
	assert_int_equal(
	    fedctl_sparkline(v, all, 3, false, buf, sizeof(buf)), FED_OK);
	assert_string_equal(buf, "   ");
	assert_int_equal(fedctl_sparkline(v, gap, 6, false, buf, 18),
	    FED_RESOURCE_EXHAUSTED);
	assert_int_equal(
	    fedctl_sparkline(v, gap, 6, true, buf, 6), FED_RESOURCE_EXHAUSTED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_csv),
	    cmocka_unit_test(test_csv_bad),
	    cmocka_unit_test(test_csv_messages),
	    cmocka_unit_test(test_csv_ambiguous),
	    cmocka_unit_test(test_senml),
	    cmocka_unit_test(test_senml_bad),
	    cmocka_unit_test(test_euros),
	    cmocka_unit_test(test_energy),
	    cmocka_unit_test(test_sparkline),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
