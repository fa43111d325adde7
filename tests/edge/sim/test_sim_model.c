// SPDX-License-Identifier: MIT
//
// test_sim_model.c: the shapes that make the synthetic models realistic
// (house daily totals and seasons, school week and holidays, solar plant
// yield, nights, clipping and failures), their determinism, and their
// handling of bad input. The yearly figures measured are printed to the
// test log.

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sim_model.h"

#define DAY_MS         INT64_C(86400000)
#define HOUR_MS        INT64_C(3600000)
#define SLOTS_PER_YEAR ((size_t) 365 * 288)
// 2025-01-01T00:00:00+01:00: a local year of 365 days from here ends at
// 2026-01-01T00:00:00+01:00.
#define YEAR_2025_MS INT64_C(1735686000000)

#define assert_between(v, lo, hi)                                   \
	do {                                                        \
		double v_ = (v);                                    \
		if (!(v_ >= (lo) && v_ <= (hi)))                    \
			fail_msg("%s = %g not in [%g, %g]", #v, v_, \
			    (double) (lo), (double) (hi));          \
	} while (0)

// UTC ms of a local (Europe/Paris) date and time.
static int64_t
local_ms(int y, int m, int d, int hh, int mm)
{
	// days_from_civil, as in the library, so the test does not rely on it.
	int yy = y - (m <= 2);
	int era = yy / 400;
	int yoe = yy - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = (int64_t) era * 146097 + doe - 719468;
	int64_t guess = days * DAY_MS + (hh * 60 + mm) * INT64_C(60000);
	return guess - sim_paris_offset_s(guess - 3600000) * INT64_C(1000);
}

// Local day index (0-based from 2025-01-01) of instant t.
static int
local_day_2025(int64_t t)
{
	int64_t lt = t + sim_paris_offset_s(t) * INT64_C(1000);
	return (int) ((lt - (YEAR_2025_MS + 3600000)) / DAY_MS);
}

static double
local_hour(int64_t t)
{
	int64_t lt = t + sim_paris_offset_s(t) * INT64_C(1000);
	return (double) (((lt % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
}

// CPU time of this process, ms: timings on a shared machine should not
// count the time other processes hold the cores.
static double
cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static double *
year_buffer(void)
{
	double *v = malloc(SLOTS_PER_YEAR * sizeof *v);
	assert_non_null(v);
	return v;
}

// Sums a year of 5-minute slots into local days.
static void
daily_totals(const double *v, double days[365])
{
	for (int d = 0; d < 365; d++)
		days[d] = 0;
	for (size_t i = 0; i < SLOTS_PER_YEAR; i++) {
		int d = local_day_2025(YEAR_2025_MS + (int64_t) i * 300000);
		assert_in_range(d, 0, 364);
		days[d] += v[i];
	}
}

// ---- calendar and weather -----------------------------------------------

static void
test_paris_offset(void **state)
{
	(void) state;
	// 2026: summer time from Mar 29 01:00 UTC to Oct 25 01:00 UTC.
	int64_t mar29 = INT64_C(1774742400000); // 2026-03-29T00:00Z
	int64_t oct25 = INT64_C(1792886400000); // 2026-10-25T00:00Z
	assert_int_equal(sim_paris_offset_s(mar29 + HOUR_MS - 1), 3600);
	assert_int_equal(sim_paris_offset_s(mar29 + HOUR_MS), 7200);
	assert_int_equal(sim_paris_offset_s(oct25 + HOUR_MS - 1), 7200);
	assert_int_equal(sim_paris_offset_s(oct25 + HOUR_MS), 3600);
	assert_int_equal(sim_paris_offset_s(YEAR_2025_MS), 3600);
}

static void
test_school_calendar(void **state)
{
	(void) state;
	static const struct {
		int m, d;
		sim_day_kind kind;
	} cases[] = {
	    {11, 28, SIM_DAY_WEEKEND}, // Saturday
	    {11, 25, SIM_DAY_WEDNESDAY}, // in term
	    {11, 26, SIM_DAY_SCHOOL}, // Thursday
	    {12, 25, SIM_DAY_PUBLIC_HOLIDAY}, // Christmas, a Friday
	    {12, 28, SIM_DAY_SCHOOL_HOLIDAY}, // Noël break
	    {1, 5, SIM_DAY_SCHOOL}, // back from Noël
	    {2, 16, SIM_DAY_SCHOOL_HOLIDAY}, // hiver, zone B
	    {4, 6, SIM_DAY_PUBLIC_HOLIDAY}, // Easter Monday
	    {4, 13, SIM_DAY_SCHOOL_HOLIDAY}, // printemps, zone B
	    {5, 14, SIM_DAY_PUBLIC_HOLIDAY}, // Ascension
	    {5, 15, SIM_DAY_PUBLIC_HOLIDAY}, // its "pont"
	    {7, 15, SIM_DAY_SCHOOL_HOLIDAY}, // summer
	    {9, 1, SIM_DAY_SCHOOL}, // back to school, Tuesday
	    {10, 19, SIM_DAY_SCHOOL_HOLIDAY}, // Toussaint
	    {11, 3, SIM_DAY_SCHOOL}, // back from Toussaint
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t t = local_ms(2026, cases[i].m, cases[i].d, 10, 0);
		if (sim_day_kind_at(t) != cases[i].kind)
			fail_msg("2026-%02d-%02d: kind %d, want %d",
			    cases[i].m, cases[i].d, sim_day_kind_at(t),
			    cases[i].kind);
		// The local day starts at local midnight, not UTC midnight.
		int64_t t0 = local_ms(2026, cases[i].m, cases[i].d, 0, 0);
		assert_int_equal(sim_day_kind_at(t0), cases[i].kind);
	}
}

static void
test_sun_position(void **state)
{
	(void) state;
	sim_weather w;
	sim_weather_defaults(&w);
	double summer = -90, winter = -90, az_at_max = 0;
	for (int64_t t = INT64_C(1750464000000); t < INT64_C(1750550400000);
	     t += 60000) { // 2025-06-21 UTC, every minute
		sim_weather_point p;
		assert_int_equal(sim_weather_at(&w, 1, t, &p), FED_OK);
		if (p.sun_elev_deg > summer) {
			summer = p.sun_elev_deg;
			az_at_max = p.sun_azim_deg;
		}
	}
	for (int64_t t = INT64_C(1766275200000); t < INT64_C(1766361600000);
	     t += 60000) { // 2025-12-21 UTC
		sim_weather_point p;
		assert_int_equal(sim_weather_at(&w, 1, t, &p), FED_OK);
		winter = fmax(winter, p.sun_elev_deg);
	}
	// 90 - 47.75 +/- 23.44
	assert_between(summer, 65.2, 66.2);
	assert_between(winter, 18.3, 19.3);
	assert_between(az_at_max, 178, 182);
}

static void
test_temperature(void **state)
{
	(void) state;
	sim_weather w;
	sim_weather_defaults(&w);
	double sum = 0, jan = 0, jul = 0;
	int n = 0;
	for (int64_t t = YEAR_2025_MS; t < YEAR_2025_MS + 365 * DAY_MS;
	     t += HOUR_MS, n++) {
		sim_weather_point p;
		assert_int_equal(sim_weather_at(&w, 1, t, &p), FED_OK);
		assert_between(p.temp_c, -12, 38);
		sum += p.temp_c;
		if (t < YEAR_2025_MS + 31 * DAY_MS)
			jan += p.temp_c / (31 * 24);
		if (t >= local_ms(2025, 7, 1, 0, 0)
		    && t < local_ms(2025, 8, 1, 0, 0))
			jul += p.temp_c / (31 * 24);
	}
	print_message("weather: mean %.1f C, January %.1f C, July %.1f C\n",
	    sum / n, jan, jul);
	assert_between(sum / n, w.temp_mean_c - 1, w.temp_mean_c + 1);
	assert_true(jul - jan > 6);
}

// ---- house --------------------------------------------------------------

static void
test_house_days_and_seasons(void **state)
{
	(void) state;
	sim_house h;
	sim_house_defaults(&h);
	double *v = year_buffer();
	double t0 = cpu_ms();
	assert_int_equal(
	    sim_house_fill_wh(&h, 7, YEAR_2025_MS, 300000, SLOTS_PER_YEAR, v),
	    FED_OK);
	double ms = cpu_ms() - t0;
	double days[365], year = 0, lo = 1e9, hi = 0;
	for (size_t i = 0; i < SLOTS_PER_YEAR; i++) {
		assert_true(v[i] >= 0 && v[i] == floor(v[i]));
		assert_true(v[i] < 1500); // 18 kW for 5 minutes
	}
	daily_totals(v, days);
	for (int d = 0; d < 365; d++) {
		year += days[d];
		lo = fmin(lo, days[d]);
		hi = fmax(hi, days[d]);
	}
	double jan = 0, jun = 0;
	for (int d = 0; d < 31; d++)
		jan += days[d] / 31;
	for (int d = 151; d < 181; d++)
		jun += days[d] / 30;
	print_message("house: %.0f kWh/year, day min %.1f max %.1f kWh, "
	              "January %.1f kWh/day, June %.1f kWh/day; year of "
	              "5-min slots in %.1f ms CPU\n",
	    year / 1000, lo / 1000, hi / 1000, jan / 1000, jun / 1000, ms);
	assert_between(lo / 1000, 2, 60);
	assert_between(hi / 1000, 10, 60);
	assert_between(jun / 1000, 4, 16);
	assert_between(jan / 1000, 15, 50);
	assert_true(jan > 1.8 * jun);
	assert_between(year / 1000, 4000, 12000);
	assert_true(ms < 250); // about 20 ms; generous for sanitizers
	free(v);
}

// Electric heaters draw much more than a heat pump; no electric heating
// removes the winter peak.
static void
test_house_heating_options(void **state)
{
	(void) state;
	sim_house h;
	sim_house_defaults(&h);
	int64_t jan = local_ms(2025, 1, 6, 0, 0);
	double hp, el, other;
	assert_int_equal(
	    sim_house_slot_wh(&h, 3, jan, 7 * 24 * HOUR_MS, &hp), FED_OK);
	h.heating = SIM_HEATING_ELECTRIC;
	assert_int_equal(
	    sim_house_slot_wh(&h, 3, jan, 7 * 24 * HOUR_MS, &el), FED_OK);
	h.heating = SIM_HEATING_OTHER;
	assert_int_equal(
	    sim_house_slot_wh(&h, 3, jan, 7 * 24 * HOUR_MS, &other), FED_OK);
	print_message("house, a January week: heat pump %.0f, electric %.0f, "
	              "other %.0f kWh\n",
	    hp / 1000, el / 1000, other / 1000);
	assert_true(el > 1.8 * hp);
	assert_true(hp > 1.3 * other);
}

static void
test_house_index(void **state)
{
	(void) state;
	sim_house h;
	sim_house_defaults(&h);
	h.index_origin_ms = local_ms(2025, 3, 1, 0, 0);
	double i0, i1, sum = 0, v[288];
	assert_int_equal(
	    sim_house_index_wh(&h, 5, h.index_origin_ms, &i0), FED_OK);
	assert_true(i0 == h.index_origin_wh);
	int64_t day = local_ms(2025, 3, 10, 0, 0);
	assert_int_equal(sim_house_index_wh(&h, 5, day, &i0), FED_OK);
	assert_int_equal(sim_house_index_wh(&h, 5, day + DAY_MS, &i1), FED_OK);
	assert_int_equal(
	    sim_house_fill_wh(&h, 5, day, 300000, 288, v), FED_OK);
	for (int i = 0; i < 288; i++)
		sum += v[i];
	assert_true(i1 - i0 == sum);
	// Read between two boundaries, the index is the earlier one's.
	double mid;
	assert_int_equal(
	    sim_house_index_wh(&h, 5, day + DAY_MS + 299999, &mid), FED_OK);
	assert_true(mid == i1);
	assert_int_equal(
	    sim_house_index_wh(&h, 5, h.index_origin_ms - 1, &mid),
	    FED_OUT_OF_RANGE);
}

// Apparent power: plausible for a Linky (within 12 kVA), higher in the
// evening than in the dead of night.
static void
test_house_va(void **state)
{
	(void) state;
	sim_house h;
	sim_house_defaults(&h);
	int64_t day = local_ms(2025, 3, 10, 0, 0);
	double night = 0, evening = 0;
	for (int i = 0; i < 288; i++) {
		double va;
		int64_t t = day + i * 300000 + 150000;
		assert_int_equal(sim_house_va(&h, 5, t, &va), FED_OK);
		assert_between(va, 50, 12000);
		assert_true(va == round(va));
		if (i < 48 && i >= 36) // 3:00-4:00
			night = fmax(night, va);
		if (i >= 228 && i < 240) // 19:00-20:00
			evening = fmax(evening, va);
	}
	assert_true(evening > night);
}

// ---- school -------------------------------------------------------------

// Mean daily energy of each kind of day, and the year's total.
static double
kind_means(const double days[365], double mean[5])
{
	double year = 0;
	int n[5] = {0};
	for (int k = 0; k < 5; k++)
		mean[k] = 0;
	for (int d = 0; d < 365; d++) {
		int64_t noon = YEAR_2025_MS + d * DAY_MS + 12 * HOUR_MS;
		sim_day_kind k = sim_day_kind_at(noon);
		mean[k] += days[d];
		n[k]++;
		year += days[d];
	}
	for (int k = 0; k < 5; k++) {
		assert_true(n[k] > 0);
		mean[k] /= n[k];
	}
	return year;
}

static void
test_school_week_and_holidays(void **state)
{
	(void) state;
	sim_school s;
	sim_school_defaults(&s);
	double *v = year_buffer(), days[365], m[5];
	double t0 = cpu_ms();
	assert_int_equal(
	    sim_school_fill_wh(&s, 7, YEAR_2025_MS, 300000, SLOTS_PER_YEAR, v),
	    FED_OK);
	double ms = cpu_ms() - t0;
	daily_totals(v, days);
	double year = kind_means(days, m);
	double ratio = m[SIM_DAY_SCHOOL] / m[SIM_DAY_WEEKEND];
	print_message(
	    "school: %.1f MWh/year; per day: school %.0f, "
	    "Wednesday %.0f, weekend %.0f, holiday %.0f kWh; "
	    "school/weekend %.2f; year of 5-min slots in %.1f ms CPU\n",
	    year / 1e6, m[SIM_DAY_SCHOOL] / 1000, m[SIM_DAY_WEDNESDAY] / 1000,
	    m[SIM_DAY_WEEKEND] / 1000, m[SIM_DAY_SCHOOL_HOLIDAY] / 1000, ratio,
	    ms);
	assert_between(ratio, 3, 6);
	assert_true(m[SIM_DAY_WEDNESDAY] > m[SIM_DAY_WEEKEND]);
	assert_true(m[SIM_DAY_WEDNESDAY] < m[SIM_DAY_SCHOOL]);
	assert_true(m[SIM_DAY_SCHOOL_HOLIDAY] < 1.5 * m[SIM_DAY_WEEKEND]);
	assert_true(ms < 500); // a few ms normally; generous for sanitizers
	free(v);
}

// The heating season (a January school week beats a June one) and the
// occupancy (10:00 on a school day against a Saturday).
static void
test_school_heating_and_occupancy(void **state)
{
	(void) state;
	sim_school s;
	sim_school_defaults(&s);
	double jan, jun, in_class, saturday;
	int64_t week = 4 * 24 * HOUR_MS;
	assert_int_equal(
	    sim_school_slot_wh(&s, 7, local_ms(2025, 1, 13, 0, 0), week, &jan),
	    FED_OK); // Monday to Thursday
	assert_int_equal(
	    sim_school_slot_wh(&s, 7, local_ms(2025, 6, 16, 0, 0), week, &jun),
	    FED_OK);
	assert_true(jan > 1.3 * jun);
	assert_int_equal(sim_school_slot_wh(&s, 7,
	                     local_ms(2025, 6, 12, 10, 0), HOUR_MS, &in_class),
	    FED_OK);
	assert_int_equal(sim_school_slot_wh(&s, 7,
	                     local_ms(2025, 6, 14, 10, 0), HOUR_MS, &saturday),
	    FED_OK);
	assert_true(in_class > 4 * saturday);
}

// ---- PV -----------------------------------------------------------------

// A year of the plant for `seed`: yield, seasons, nights.
static void
check_pv_year(const sim_pv *pv, uint64_t seed, double *v)
{
	double days[365], year = 0, jun = 0, dec = 0, best = 0;
	double t0 = cpu_ms();
	assert_int_equal(sim_pv_plant_fill_wh(pv, seed, YEAR_2025_MS, 300000,
	                     SLOTS_PER_YEAR, v),
	    FED_OK);
	double ms = cpu_ms() - t0;
	daily_totals(v, days);
	for (int d = 0; d < 365; d++) {
		year += days[d] / 1000;
		best = fmax(best, days[d] / 1000);
		jun += (d >= 151 && d < 181) ? days[d] / 1000 / 30 : 0;
		dec += d >= 334 ? days[d] / 1000 / 31 : 0;
	}
	double kwc = sim_pv_peak_kwc(pv);
	print_message("pv seed %llu: %.0f kWh/year, %.0f kWh/kWc, June %.1f "
	              "kWh/day, December %.1f kWh/day, best day %.1f kWh "
	              "(%.1f kWh/kWc); year of 5-min slots in %.1f ms CPU\n",
	    (unsigned long long) seed, year, year / kwc, jun, dec, best,
	    best / kwc, ms);
	assert_between(year / kwc, 1000, 1150);
	assert_true(jun > 3 * dec);
	assert_between(best / kwc, 5.5, 8.5);
	assert_true(ms < 1500);
	// No production at night: every slot within 23:00-04:00 local.
	for (size_t i = 0; i < SLOTS_PER_YEAR; i++) {
		double h = local_hour(YEAR_2025_MS + (int64_t) i * 300000);
		if (h >= 23 || h < 4)
			assert_true(v[i] == 0);
	}
}

static void
test_pv_year(void **state)
{
	(void) state;
	sim_pv pv;
	sim_pv_defaults(&pv);
	double *v = year_buffer();
	static const uint64_t seeds[] = {1, 7, 42};
	for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++)
		check_pv_year(&pv, seeds[s], v);
	free(v);
}

static void
test_pv_night_and_clipping(void **state)
{
	(void) state;
	sim_pv pv;
	sim_pv_defaults(&pv);
	double max = 0;
	// Every 10 minutes of June, every seventh inverter.
	for (int64_t t = local_ms(2025, 6, 1, 0, 0);
	     t < local_ms(2025, 7, 1, 0, 0); t += 600000) {
		for (int k = 0; k < pv.n_inverters; k += 7) {
			double w;
			assert_int_equal(
			    sim_pv_inverter_w(&pv, 3, k, t, &w), FED_OK);
			assert_between(w, 0, 250);
			max = fmax(max, w);
			double h = local_hour(t);
			if (h >= 23 || h < 4)
				assert_true(w == 0);
			sim_weather_point p;
			assert_int_equal(
			    sim_weather_at(&pv.weather, 3, t, &p), FED_OK);
			if (p.sun_elev_deg <= 0)
				assert_true(w == 0);
		}
	}
	print_message("pv: June maximum %.1f W per inverter\n", max);
	assert_true(max > 200);
	// Oversized panels clip at exactly the inverter's maximum.
	pv.panel_wp = 400;
	int clipped = 0;
	for (int64_t t = local_ms(2025, 5, 1, 11, 0);
	     t < local_ms(2025, 5, 1, 16, 0); t += 300000) {
		double w;
		for (int d = 0; d < 14; d++) {
			assert_int_equal(
			    sim_pv_inverter_w(&pv, 3, 0, t + d * DAY_MS, &w),
			    FED_OK);
			assert_true(w <= 250);
			clipped += w == 250;
		}
	}
	assert_true(clipped > 0);
}

// Energy of inverter k over [t0, t0 + 300 s) by trapezoids every second.
static double
integrate_w(const sim_pv *pv, uint64_t seed, int k, int64_t t0)
{
	double prev, wh = 0;
	assert_int_equal(sim_pv_inverter_w(pv, seed, k, t0, &prev), FED_OK);
	for (int s = 1; s <= 300; s++) {
		double w;
		assert_int_equal(
		    sim_pv_inverter_w(pv, seed, k, t0 + s * 1000, &w), FED_OK);
		wh += (prev + w) / 2 / 3600;
		prev = w;
	}
	return wh;
}

static void
test_pv_energy_matches_power(void **state)
{
	(void) state;
	sim_pv pv;
	sim_pv_defaults(&pv);
	static const int hours[] = {7, 9, 12, 14, 17, 20};
	for (size_t i = 0; i < sizeof hours / sizeof hours[0]; i++) {
		int64_t t0 = local_ms(2025, 5, 20, hours[i], 0);
		double units[SIM_PV_MAX_INVERTERS], plant, sum = 0;
		assert_int_equal(
		    sim_pv_inverters_slot_wh(&pv, 9, t0, 300000, units),
		    FED_OK);
		assert_int_equal(
		    sim_pv_plant_slot_wh(&pv, 9, t0, 300000, &plant), FED_OK);
		for (int k = 0; k < pv.n_inverters; k++)
			sum += units[k];
		assert_true(fabs(plant - sum) <= 1e-9 * fmax(plant, 1));
		double integ = integrate_w(&pv, 9, 5, t0);
		assert_true(fabs(units[5] - integ) <= 0.005 * integ + 0.01);
	}
	// An hour is its twelve 5-minute slots.
	int64_t t0 = local_ms(2025, 5, 20, 11, 0);
	double hour, fives[12], sum = 0;
	assert_int_equal(
	    sim_pv_plant_slot_wh(&pv, 9, t0, HOUR_MS, &hour), FED_OK);
	assert_int_equal(
	    sim_pv_plant_fill_wh(&pv, 9, t0, 300000, 12, fives), FED_OK);
	for (int i = 0; i < 12; i++)
		sum += fives[i];
	assert_true(fabs(hour - sum) <= 1e-9 * hour);
}

static void
test_pv_failure(void **state)
{
	(void) state;
	sim_pv pv;
	sim_pv_defaults(&pv);
	int64_t fail = local_ms(2025, 6, 15, 12, 2);
	pv.n_failures = 1;
	pv.failures[0] = (sim_pv_failure) {.inverter = 7, .from_ms = fail};
	double w7, w8;
	assert_int_equal(
	    sim_pv_inverter_w(&pv, 4, 7, fail - 60000, &w7), FED_OK);
	assert_true(w7 > 0);
	for (int d = 0; d < 20; d++) {
		int64_t t = fail + d * DAY_MS + 60000;
		assert_int_equal(sim_pv_inverter_w(&pv, 4, 7, t, &w7), FED_OK);
		assert_int_equal(sim_pv_inverter_w(&pv, 4, 8, t, &w8), FED_OK);
		assert_true(w7 == 0);
		assert_true(w8 > 0);
	}
	// The slot holding the failure is cut at its instant.
	double units[SIM_PV_MAX_INVERTERS], whole[SIM_PV_MAX_INVERTERS];
	int64_t slot = local_ms(2025, 6, 15, 12, 0);
	assert_int_equal(
	    sim_pv_inverters_slot_wh(&pv, 4, slot, 300000, units), FED_OK);
	pv.n_failures = 0;
	assert_int_equal(
	    sim_pv_inverters_slot_wh(&pv, 4, slot, 300000, whole), FED_OK);
	assert_true(units[7] > 0.2 * whole[7] && units[7] < 0.6 * whole[7]);
	assert_true(units[8] == whole[8]);
}

static void
test_pv_lifetime(void **state)
{
	(void) state;
	sim_pv pv;
	sim_pv_defaults(&pv);
	int64_t fail = local_ms(2025, 6, 15, 12, 2);
	pv.n_failures = 1;
	pv.failures[0] = (sim_pv_failure) {.inverter = 7, .from_ms = fail};
	double units[SIM_PV_MAX_INVERTERS];
	// Siblings grow, the failed one stops.
	double before[SIM_PV_MAX_INVERTERS], after[SIM_PV_MAX_INVERTERS];
	assert_int_equal(sim_pv_lifetime_wh(&pv, 4, fail, before), FED_OK);
	assert_int_equal(
	    sim_pv_lifetime_wh(&pv, 4, fail + 10 * DAY_MS, after), FED_OK);
	assert_true(after[7] == before[7]);
	assert_true(after[8] > before[8] + 5000);
	for (int k = 0; k < pv.n_inverters; k++)
		assert_true(before[k] > 100000); // 9.5 months since Sep 2024
	// Lifetime difference is the slots' energy over a day.
	double l0[SIM_PV_MAX_INVERTERS], l1[SIM_PV_MAX_INVERTERS], day = 0;
	int64_t d0 = local_ms(2025, 4, 2, 0, 0);
	assert_int_equal(sim_pv_lifetime_wh(&pv, 4, d0, l0), FED_OK);
	assert_int_equal(sim_pv_lifetime_wh(&pv, 4, d0 + DAY_MS, l1), FED_OK);
	for (int64_t t = d0; t < d0 + DAY_MS; t += 300000) {
		assert_int_equal(
		    sim_pv_inverters_slot_wh(&pv, 4, t, 300000, units),
		    FED_OK);
		day += units[3];
	}
	assert_true(fabs((l1[3] - l0[3]) - day) < 1e-6 * day);
	// Before commissioning: nothing.
	assert_int_equal(
	    sim_pv_lifetime_wh(&pv, 4, pv.commissioned_ms - DAY_MS, l0),
	    FED_OK);
	assert_true(l0[0] == 0);
}

// ---- determinism --------------------------------------------------------

typedef fed_status (*fill_fn)(const void *model, uint64_t seed,
    int64_t start_ms, int64_t slot_ms, size_t n, double *out);
typedef fed_status (*slot_fn)(const void *model, uint64_t seed,
    int64_t start_ms, int64_t slot_ms, double *out);

static fed_status
house_fill(const void *m, uint64_t seed, int64_t t, int64_t len, size_t n,
    double *out)
{
	return sim_house_fill_wh(m, seed, t, len, n, out);
}

static fed_status
house_slot(const void *m, uint64_t seed, int64_t t, int64_t len, double *out)
{
	return sim_house_slot_wh(m, seed, t, len, out);
}

static fed_status
school_fill(const void *m, uint64_t seed, int64_t t, int64_t len, size_t n,
    double *out)
{
	return sim_school_fill_wh(m, seed, t, len, n, out);
}

static fed_status
school_slot(const void *m, uint64_t seed, int64_t t, int64_t len, double *out)
{
	return sim_school_slot_wh(m, seed, t, len, out);
}

static fed_status
pv_fill(const void *m, uint64_t seed, int64_t t, int64_t len, size_t n,
    double *out)
{
	return sim_pv_plant_fill_wh(m, seed, t, len, n, out);
}

static fed_status
pv_slot(const void *m, uint64_t seed, int64_t t, int64_t len, double *out)
{
	return sim_pv_plant_slot_wh(m, seed, t, len, out);
}

// Two weeks of a model: the same seed gives bit-identical values, another
// seed other values, and a slot computed alone equals the same slot in a
// run (a restarted simulator re-emits exactly what it emitted before).
static void
check_deterministic(fill_fn fill, slot_fn slot, const void *model)
{
	size_t n = 14 * 288;
	int64_t t0 = local_ms(2025, 3, 20, 0, 0);
	double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(fill(model, 11, t0, 300000, n, a), FED_OK);
	assert_int_equal(fill(model, 11, t0, 300000, n, b), FED_OK);
	assert_memory_equal(a, b, n * sizeof *a);
	for (size_t i = 0; i < n; i += 97) {
		double one;
		int64_t t = t0 + (int64_t) i * 300000;
		assert_int_equal(slot(model, 11, t, 300000, &one), FED_OK);
		assert_memory_equal(&one, &a[i], sizeof one);
	}
	assert_int_equal(fill(model, 12, t0, 300000, n, b), FED_OK);
	assert_true(memcmp(a, b, n * sizeof *a) != 0);
	free(a);
	free(b);
}

static void
test_determinism(void **state)
{
	(void) state;
	sim_house h;
	sim_school s;
	sim_pv pv;
	sim_house_defaults(&h);
	sim_school_defaults(&s);
	sim_pv_defaults(&pv);
	check_deterministic(house_fill, house_slot, &h);
	check_deterministic(school_fill, school_slot, &s);
	check_deterministic(pv_fill, pv_slot, &pv);
	// Same sky for the same seed, whatever the model.
	sim_weather_point p1, p2;
	int64_t t = local_ms(2025, 3, 20, 12, 0);
	assert_int_equal(sim_weather_at(&h.weather, 11, t, &p1), FED_OK);
	assert_int_equal(sim_weather_at(&pv.weather, 11, t, &p2), FED_OK);
	assert_memory_equal(&p1, &p2, sizeof p1);
}

// ---- bad input ----------------------------------------------------------

static void
test_bad_house_input(void **state)
{
	(void) state;
	sim_house h;
	double v[2];
	int64_t t = YEAR_2025_MS;
	sim_house_defaults(&h);
	assert_int_equal(
	    sim_house_slot_wh(NULL, 1, t, 300000, v), FED_INVALID_ARGUMENT);
	assert_int_equal(
	    sim_house_slot_wh(&h, 1, t, 300000, NULL), FED_INVALID_ARGUMENT);
	assert_int_equal(
	    sim_house_slot_wh(&h, 1, t + 1, 300000, v), FED_INVALID_ARGUMENT);
	assert_int_equal(
	    sim_house_slot_wh(&h, 1, t, 0, v), FED_INVALID_ARGUMENT);
	assert_int_equal(
	    sim_house_slot_wh(&h, 1, t, 400000, v), FED_INVALID_ARGUMENT);
	assert_int_equal(sim_house_slot_wh(&h, 1, -300000, 300000, v),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(
	    sim_house_fill_wh(&h, 1, SIM_T_MAX_MS - 300000, 300000, 2, v),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(sim_house_fill_wh(&h, 1, t, 300000, 0, NULL), FED_OK);
	h.heating = (sim_heating) 9;
	assert_int_equal(
	    sim_house_slot_wh(&h, 1, t, 300000, v), FED_INVALID_ARGUMENT);
	sim_house_defaults(&h);
	h.weather.lat_deg = 95;
	assert_int_equal(sim_house_va(&h, 1, t, v), FED_INVALID_ARGUMENT);
	sim_house_defaults(&h);
	h.comfort_c = NAN;
	assert_int_equal(
	    sim_house_index_wh(&h, 1, t, v), FED_INVALID_ARGUMENT);
	assert_int_equal(sim_house_check(&h), FED_INVALID_ARGUMENT);
	sim_house_defaults(&h);
	h.index_origin_ms += 1000;
	assert_int_equal(sim_house_check(&h), FED_INVALID_ARGUMENT);
}

static void
test_bad_school_and_pv_input(void **state)
{
	(void) state;
	sim_school s;
	sim_pv pv;
	double v[2];
	int64_t t = YEAR_2025_MS;
	sim_school_defaults(&s);
	sim_pv_defaults(&pv);
	s.lighting_w = -1;
	assert_int_equal(
	    sim_school_slot_wh(&s, 1, t, 300000, v), FED_INVALID_ARGUMENT);
	assert_int_equal(sim_school_check(NULL), FED_INVALID_ARGUMENT);
	assert_int_equal(
	    sim_pv_inverter_w(&pv, 1, 60, t, v), FED_INVALID_ARGUMENT);
	assert_int_equal(
	    sim_pv_inverter_w(&pv, 1, -1, t, v), FED_INVALID_ARGUMENT);
	assert_int_equal(
	    sim_pv_plant_slot_wh(&pv, 1, t, 0, v), FED_INVALID_ARGUMENT);
	pv.n_failures = 1;
	pv.failures[0] = (sim_pv_failure) {.inverter = 60, .from_ms = t};
	assert_int_equal(sim_pv_check(&pv), FED_INVALID_ARGUMENT);
	pv.n_failures = SIM_PV_MAX_FAILURES + 1;
	assert_int_equal(sim_pv_check(&pv), FED_INVALID_ARGUMENT);
	sim_pv_defaults(&pv);
	pv.n_inverters = 0;
	assert_int_equal(sim_pv_check(&pv), FED_INVALID_ARGUMENT);
	sim_pv_defaults(&pv);
	pv.commissioned_ms += 1;
	assert_int_equal(
	    sim_pv_lifetime_wh(&pv, 1, t, v), FED_INVALID_ARGUMENT);
	sim_pv_defaults(&pv);
	sim_weather_point p;
	assert_int_equal(sim_weather_at(&pv.weather, 1, SIM_T_MAX_MS, &p),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(sim_pv_check(&pv), FED_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_paris_offset),
	    cmocka_unit_test(test_school_calendar),
	    cmocka_unit_test(test_sun_position),
	    cmocka_unit_test(test_temperature),
	    cmocka_unit_test(test_house_days_and_seasons),
	    cmocka_unit_test(test_house_heating_options),
	    cmocka_unit_test(test_house_index),
	    cmocka_unit_test(test_house_va),
	    cmocka_unit_test(test_school_week_and_holidays),
	    cmocka_unit_test(test_school_heating_and_occupancy),
	    cmocka_unit_test(test_pv_year),
	    cmocka_unit_test(test_pv_night_and_clipping),
	    cmocka_unit_test(test_pv_energy_matches_power),
	    cmocka_unit_test(test_pv_failure),
	    cmocka_unit_test(test_pv_lifetime),
	    cmocka_unit_test(test_determinism),
	    cmocka_unit_test(test_bad_house_input),
	    cmocka_unit_test(test_bad_school_and_pv_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
