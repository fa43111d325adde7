// SPDX-License-Identifier: MIT
//
// test_invest_calc.c: every figure of invest_calc against values computed
// by hand: a project of 34,000 EUR at 250 EUR a share (136 shares), an
// investor with 2 of them (1/68), a production of 68,000 Wh (1,000 Wh
// attributed), the widget's periods in Europe/Paris (DST included), the
// household's periods in whole completed days (the same for every instant
// of a day, none after today's midnight), the energy and coverage of a
// period from a node's buckets (whole buckets only, for a household), and
// bad projects and share counts with the numbers in their messages.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "invest_calc.h"

#define EPS 1e-9
// a == b within eps, both printed in full on failure.
#define assert_near(a, b, eps)                                              \
	do {                                                                \
		double a_ = (a), b_ = (b);                                  \
		if (!(fabs(a_ - b_) <= (eps)))                              \
			fail_msg("%s = %.17g, expected %.17g", #a, a_, b_); \
	} while (0)
// Instants, UTC ms: the local times they name in Europe/Paris.
#define AT        INT64_C(1781517600000) // 2026-06-15T12:00+02:00
#define DAY_START INT64_C(1781474400000) // 2026-06-15T00:00+02:00
#define MONTH     INT64_C(1780264800000) // 2026-06-01T00:00+02:00
#define YEAR      INT64_C(1767222000000) // 2026-01-01T00:00+01:00
#define JUNE_10   INT64_C(1781042400000) // 2026-06-10T00:00+02:00
#define MARCH_29  INT64_C(1774738800000) // 2026-03-29T00:00+01:00
#define MARCH_30  INT64_C(1774821600000) // 2026-03-30T00:00+02:00

static Enfed__V1__Project
project(int64_t cost, int64_t price)
{
	Enfed__V1__Project p = ENFED__V1__PROJECT__INIT;
	p.id = "kermelo-pv";
	p.name = "Kermélo";
	p.organisation = "Bretagne Energie Citoyenne";
	p.peak_kw = 18;
	p.cost_cents = cost;
	p.share_price_cents = price;
	return p;
}

static void
test_project_shares(void **state)
{
	(void) state;
	invest_factors f;
	invest_factors_default(&f);
	Enfed__V1__Project p = project(3400000, 25000);
	char err[256] = "";
	assert_int_equal(
	    invest_calc_check_project(&p, &f, err, sizeof(err)), FED_OK);
	assert_int_equal(p.total_shares, 136);
	// No surface given: 18 kWc x 5 m2/kWc.
	assert_true(p.panel_m2_derived);
	assert_near(p.effective_panel_m2, 90.0, EPS);
	// A surface given is used as is; a matching total_shares is accepted.
	p.panel_m2 = 101.5;
	p.total_shares = 136;
	assert_int_equal(
	    invest_calc_check_project(&p, &f, err, sizeof(err)), FED_OK);
	assert_false(p.panel_m2_derived);
	assert_near(p.effective_panel_m2, 101.5, EPS);
}

static void
expect_bad(Enfed__V1__Project p, const char *needle)
{
	invest_factors f;
	invest_factors_default(&f);
	char err[256] = "";
	assert_int_equal(invest_calc_check_project(&p, &f, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	if (strstr(err, needle) == NULL)
		fail_msg("'%s' not in '%s'", needle, err);
}

static void
test_project_bad(void **state)
{
	(void) state;
	// 34,000 EUR / 300 EUR = 113 shares and 100 EUR over.
	expect_bad(project(3400000, 30000),
	    "30000 does not divide cost_cents 3400000 (113 shares and 10000 "
	    "cents left over)");
	Enfed__V1__Project p = project(3400000, 25000);
	p.total_shares = 100;
	expect_bad(p,
	    "total_shares: 100 given, but cost_cents 3400000 / "
	    "share_price_cents 25000 = 136");
	expect_bad(project(-3400000, 25000),
	    "cost_cents: must be > 0, got "
	    "-3400000");
	expect_bad(project(3400000, 0), "share_price_cents: must be > 0");
	p = project(3400000, 25000);
	p.peak_kw = -1;
	expect_bad(p, "peak_kw");
	p.peak_kw = NAN;
	expect_bad(p, "peak_kw");
	p = project(3400000, 25000);
	p.panel_m2 = -3;
	expect_bad(p, "panel_m2");
	p = project(3400000, 25000);
	p.id = "bad id";
	expect_bad(p, "id: 1-100 bytes");
	p.id = "";
	expect_bad(p, "id: 1-100 bytes");
	// More shares than a uint32 can count.
	expect_bad(project(INT64_C(10000000000), 1), "more than 4294967295");
}

static void
test_ids(void **state)
{
	(void) state;
	char err[128];
	assert_int_equal(invest_calc_check_id(
	                     "alice@bmhs", "investor", true, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(invest_calc_check_id("alice@bmhs", "project_id",
	                     false, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "project_id"));
	char long_id[INVEST_ID_MAX + 2];
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_int_equal(
	    invest_calc_check_id(long_id, "id", false, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(
	    invest_calc_check_id(NULL, "id", false, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
}

static void
test_shares_check(void **state)
{
	(void) state;
	char err[256] = "";
	assert_int_equal(invest_calc_check_shares(
	                     2, 0, 136, "kermelo-pv", err, sizeof(err)),
	    FED_OK);
	assert_int_equal(invest_calc_check_shares(
	                     6, 130, 136, "kermelo-pv", err, sizeof(err)),
	    FED_OK);
	assert_int_equal(invest_calc_check_shares(
	                     0, 0, 136, "kermelo-pv", err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "shares: must be > 0"));
	assert_int_equal(invest_calc_check_shares(
	                     7, 130, 136, "kermelo-pv", err, sizeof(err)),
	    FED_FAILED_PRECONDITION);
	assert_string_equal(err,
	    "shares: 7 asked of project 'kermelo-pv', but only 6 of its 136 "
	    "shares remain available (130 held by others)");
	// Held beyond the total (a total lowered by hand): nothing remains.
	assert_int_equal(invest_calc_check_shares(
	                     1, 140, 136, "kermelo-pv", err, sizeof(err)),
	    FED_FAILED_PRECONDITION);
}

static void
test_investor_figures(void **state)
{
	(void) state;
	invest_factors f;
	invest_factors_default(&f);
	// 2 of 136 shares = 1/68 of the budget.
	double frac = invest_calc_fraction(2, 136);
	assert_near(frac, 1.0 / 68.0, EPS);
	assert_near(frac * 100, 1.4705882352941178, EPS); // percent
	assert_near(invest_calc_fraction(2, 0), 0, 0);
	int64_t cents = 0;
	assert_int_equal(invest_calc_invested(2, 25000, &cents), FED_OK);
	assert_int_equal(cents, 50000); // 500 EUR
	assert_int_equal(
	    invest_calc_invested(UINT32_MAX, INT64_MAX / 2, &cents),
	    FED_OUT_OF_RANGE);
	// 90 m2 x 1/68 = 1.3235... m2.
	bool derived = false;
	double m2 = invest_calc_panel_m2(0, 18, &f, &derived) * frac;
	assert_true(derived);
	assert_near(m2, 1.3235294117647058, EPS);
	// 68,000 Wh produced: 1,000 Wh attributed = 1 kWh x 52 g = 0.052 kg
	// CO2; 1,000 Wh / (4,500,000 / 365 Wh a day) = 0.08111 days.
	double wh = 68000 * frac;
	assert_near(wh, 1000, EPS);
	assert_near(invest_calc_co2_kg(wh, &f), 0.052, EPS);
	assert_near(
	    invest_calc_household_days(wh, &f), 0.0811111111111111, EPS);
	f.household_wh_per_day = 0;
	assert_near(invest_calc_household_days(wh, &f), 0, 0);
}

static fed_tz *
paris(void)
{
	fed_tz *tz = NULL;
	assert_int_equal(fed_tz_load("Europe/Paris", &tz), FED_OK);
	return tz;
}

static void
test_periods(void **state)
{
	(void) state;
	fed_tz *tz = paris();
	invest_periods p;
	invest_calc_periods(tz, AT, 0, &p);
	assert_int_equal(p.to_ms, AT);
	assert_int_equal(p.from_ms[INVEST_TODAY], DAY_START);
	assert_int_equal(p.from_ms[INVEST_MONTH], MONTH);
	assert_int_equal(p.from_ms[INVEST_YEAR], YEAR);
	assert_int_equal(p.from_ms[INVEST_TOTAL], 0);
	// A holding started on 10 June: month, year and total start then.
	invest_calc_periods(tz, AT, JUNE_10, &p);
	assert_int_equal(p.from_ms[INVEST_TODAY], DAY_START);
	assert_int_equal(p.from_ms[INVEST_MONTH], JUNE_10);
	assert_int_equal(p.from_ms[INVEST_YEAR], JUNE_10);
	assert_int_equal(p.from_ms[INVEST_TOTAL], JUNE_10);
	// A holding that starts after the instant: every period is empty.
	invest_calc_periods(tz, AT, AT + 1000, &p);
	for (int i = 0; i < INVEST_N_PERIODS; i++)
		assert_int_equal(p.from_ms[i], AT);
	// The spring-forward day is 23 hours long.
	invest_calc_periods(tz, MARCH_30 - 1, 0, &p);
	assert_int_equal(p.from_ms[INVEST_TODAY], MARCH_29);
	assert_int_equal(MARCH_30 - MARCH_29, INT64_C(23) * 3600000);
	fed_tz_free(tz);
}

// The household's periods: whole local days, completed ones only, the same
// for every instant of a day.
static void
test_day_periods(void **state)
{
	(void) state;
	fed_tz *tz = paris();
	const int64_t now = AT + 200 * 86400000LL;
	invest_periods p, q;
	invest_calc_day_periods(tz, AT, now, 0, &p);
	assert_int_equal(p.to_ms, DAY_START);
	assert_int_equal(p.from_ms[INVEST_TODAY], DAY_START);
	assert_int_equal(p.from_ms[INVEST_MONTH], MONTH);
	assert_int_equal(p.from_ms[INVEST_YEAR], YEAR);
	assert_int_equal(p.from_ms[INVEST_TOTAL], 0 - 3600000);
	// Every 5-minute instant of the day, and a holding that started at
	// any minute of 10 June, give the same periods.
	invest_calc_day_periods(tz, AT, now, JUNE_10 + 13 * 60000, &p);
	assert_int_equal(p.from_ms[INVEST_TOTAL], JUNE_10);
	assert_int_equal(p.from_ms[INVEST_MONTH], JUNE_10);
	for (int64_t t = DAY_START; t < DAY_START + 86400000; t += 300000) {
		invest_calc_day_periods(
		    tz, t, now, JUNE_10 + (t % 3600000), &q);
		assert_memory_equal(&p, &q, sizeof(p));
	}
	// An instant after now: the periods end at today's midnight, the
	// day in progress never counts.
	invest_calc_day_periods(tz, AT + 5 * 86400000LL, AT, JUNE_10, &q);
	assert_int_equal(q.to_ms, DAY_START);
	assert_int_equal(q.from_ms[INVEST_TOTAL], JUNE_10);
	assert_int_equal(q.from_ms[INVEST_TODAY], DAY_START);
	// A holding that starts after the end: every period is empty.
	invest_calc_day_periods(tz, AT, now, AT + 1000, &q);
	for (int i = 0; i < INVEST_N_PERIODS; i++)
		assert_int_equal(q.from_ms[i], DAY_START);
	fed_tz_free(tz);
}

// Only the buckets whole inside the range count, whatever they hold.
static void
test_whole_sum(void **state)
{
	(void) state;
	const int64_t d = 86400000;
	const double v[] = {10, 20, 40}, c[] = {1, 0.5, 1};
	const int64_t s[] = {0, d, 2 * d}, e[] = {d, 2 * d, 3 * d};
	double wh = -1, cov = -1;
	invest_calc_whole_sum(v, c, s, e, 3, 0, 3 * d, &wh, &cov);
	assert_near(wh, 70, EPS);
	assert_near(cov, 2.5 / 3, EPS);
	// A range that cuts the first and last buckets: the middle one only.
	invest_calc_whole_sum(v, c, s, e, 3, d / 2, 3 * d - 1, &wh, &cov);
	assert_near(wh, 20, EPS);
	assert_near(cov, 0.5 * d / (2.5 * d - 1), EPS);
	// A bucket that straddles the end (a node returning the day in
	// progress) counts for nothing; nor does an empty or inverted one.
	const int64_t s2[] = {0, d}, e2[] = {d, d + d / 2 + d};
	invest_calc_whole_sum(v, c, s2, e2, 2, 0, 2 * d, &wh, &cov);
	assert_near(wh, 10, EPS);
	const int64_t s3[] = {d}, e3[] = {d};
	invest_calc_whole_sum(v, c, s3, e3, 1, 0, 2 * d, &wh, &cov);
	assert_near(wh, 0, 0);
	invest_calc_whole_sum(v, c, s, e, 3, d, d, &wh, &cov);
	assert_near(wh, 0, 0);
	assert_near(cov, 0, 0);
}

static void
test_sum(void **state)
{
	(void) state;
	const int64_t d = 86400000;
	// Two day buckets, the second half covered: 30 Wh, 3/4 covered.
	const double v[] = {10, 20}, c[] = {1, 0.5};
	const int64_t s[] = {0, d}, e[] = {d, 2 * d};
	double wh = -1, cov = -1;
	invest_calc_sum(v, c, s, e, 2, 0, 2 * d, &wh, &cov);
	assert_near(wh, 30, EPS);
	assert_near(cov, 0.75, EPS);
	// One year bucket stretching far past a 12-hour range, 10 hours of
	// which have data: coverage is 10/12 of the range.
	const int64_t ys[] = {YEAR}, ye[] = {YEAR + 365 * d};
	const double yv[] = {1000}, yc[] = {10.0 * 3600000 / (365.0 * d)};
	invest_calc_sum(yv, yc, ys, ye, 1, DAY_START, AT, &wh, &cov);
	assert_near(wh, 1000, EPS);
	assert_near(cov, 10.0 / 12.0, EPS);
	// Coverage is capped at 1; an empty range is 0 Wh, 0 coverage.
	const double full[] = {1, 1};
	invest_calc_sum(v, full, s, e, 2, 0, d, &wh, &cov);
	assert_near(cov, 1, 0);
	invest_calc_sum(v, c, s, e, 2, d, d, &wh, &cov);
	assert_near(wh, 0, 0);
	assert_near(cov, 0, 0);
}

static void
test_period_energy(void **state)
{
	(void) state;
	Enfed__V1__PeriodEnergy prod = ENFED__V1__PERIOD_ENERGY__INIT,
	                        a = ENFED__V1__PERIOD_ENERGY__INIT,
	                        sum = ENFED__V1__PERIOD_ENERGY__INIT,
	                        cons = ENFED__V1__PERIOD_ENERGY__INIT;
	invest_calc_period_set(&prod, INVEST_TODAY, 680, 1);
	invest_calc_period_set(&prod, INVEST_MONTH, 6800, 0.5);
	invest_calc_period_set(&prod, INVEST_YEAR, 68000, 0.9);
	invest_calc_period_set(&prod, INVEST_TOTAL, 136000, 0.8);
	prod.total_from_ms = JUNE_10;
	invest_calc_scale(&prod, 1.0 / 68.0, &a);
	assert_near(a.today_wh, 10, EPS);
	assert_near(a.month_wh, 100, EPS);
	assert_near(a.year_wh, 1000, EPS);
	assert_near(a.total_wh, 2000, EPS);
	assert_near(a.month_coverage, 0.5, 0);
	assert_int_equal(a.total_from_ms, JUNE_10);
	// The sum of two projects: Wh add up, coverage is the lowest, the
	// total starts at the earliest holding.
	invest_calc_accumulate(&sum, &a, true);
	Enfed__V1__PeriodEnergy b = a;
	b.month_coverage = 0.25;
	b.total_from_ms = YEAR;
	invest_calc_accumulate(&sum, &b, false);
	assert_near(sum.today_wh, 20, EPS);
	assert_near(sum.total_wh, 4000, EPS);
	assert_near(sum.month_coverage, 0.25, 0);
	assert_near(sum.today_coverage, 1, 0);
	assert_int_equal(sum.total_from_ms, YEAR);
	// A household using 80 Wh today and nothing this month: the
	// investment covered a quarter of today, and 0 where nothing was used.
	cons.today_wh = 80;
	cons.year_wh = 8000;
	cons.total_wh = 4000;
	Enfed__V1__PeriodRatio r = ENFED__V1__PERIOD_RATIO__INIT;
	invest_calc_ratio(&sum, &cons, &r);
	assert_near(r.today, 0.25, EPS);
	assert_near(r.month, 0, 0);
	assert_near(r.year, 0.25, EPS);
	assert_near(r.total, 1, EPS);
	double wh, cov;
	invest_calc_period_get(&prod, INVEST_YEAR, &wh, &cov);
	assert_near(wh, 68000, 0);
	assert_near(cov, 0.9, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_project_shares),
	    cmocka_unit_test(test_project_bad),
	    cmocka_unit_test(test_ids),
	    cmocka_unit_test(test_shares_check),
	    cmocka_unit_test(test_investor_figures),
	    cmocka_unit_test(test_periods),
	    cmocka_unit_test(test_day_periods),
	    cmocka_unit_test(test_whole_sum),
	    cmocka_unit_test(test_sum),
	    cmocka_unit_test(test_period_energy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
