// SPDX-License-Identifier: MIT
//
// test_node_solar.c: the sun's elevation against what astronomy says of
// the solstices and equinoxes at Lorient (the highest sun of the day is
// 90° - latitude + declination), day and night, and the clear-sky model's
// values (Haurwitz) and integration.

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "node_solar.h"

#define LAT     47.75
#define LON     (-3.37)
#define MIN_MS  INT64_C(60000)
#define HOUR_MS INT64_C(3600000)

// The day's highest elevation, scanning every minute of the UTC day.
static double
max_elevation(int64_t day_ms, int64_t *at)
{
	double best = -90;
	for (int64_t t = day_ms; t < day_ms + 24 * HOUR_MS; t += MIN_MS) {
		double e = node_solar_elevation_deg(LAT, LON, t);
		if (e > best) {
			best = e;
			*at = t;
		}
	}
	return best;
}

static void
test_solstices_equinox(void **state)
{
	(void) state;
	int64_t at = 0;
	// 2026-06-21: declination +23.44°.
	double e
	    = max_elevation(INT64_C(1782000000000) / 86400000 * 86400000, &at);
	assert_true(fabs(e - (90 - LAT + 23.44)) < 0.3);
	// Solar noon at Lorient is about 12:13 UTC in June (longitude 3.37° W
	// is 13.5 minutes, the equation of time about -1.5 minutes).
	int64_t minute = at / MIN_MS % 1440;
	assert_true(minute >= 12 * 60 + 10 && minute <= 12 * 60 + 18);
	// 2026-12-21: declination -23.44°.
	e = max_elevation(INT64_C(1797811200000), &at);
	assert_true(fabs(e - (90 - LAT - 23.44)) < 0.3);
	// 2026-03-20 (equinox): declination about 0.
	e = max_elevation(INT64_C(1773964800000), &at);
	assert_true(fabs(e - (90 - LAT)) < 0.6);
	// Night at midnight UTC in June, day at 08:00.
	assert_true(node_solar_elevation_deg(
	                LAT, LON, INT64_C(1781999999000) / 86400000 * 86400000)
	    < -10);
	assert_true(
	    node_solar_elevation_deg(LAT, LON,
	        INT64_C(1782000000000) / 86400000 * 86400000 + 8 * HOUR_MS)
	    > 25);
}

static void
test_clear_sky(void **state)
{
	(void) state;
	assert_true(node_solar_clear_sky_ghi(-5) == 0);
	assert_true(node_solar_clear_sky_ghi(0) == 0);
	assert_true(
	    fabs(node_solar_clear_sky_ghi(90) - 1098 * exp(-0.059)) < 1e-9);
	assert_true(
	    node_solar_clear_sky_ghi(30) < node_solar_clear_sky_ghi(60));
	// An hour around noon in June for 16.2 kWc: GHI about 937 W/m², so
	// about 15.2 kWh.
	int64_t noon = INT64_C(1782000000000) / 86400000 * 86400000
	    + 12 * HOUR_MS + 13 * MIN_MS;
	double wh = node_solar_clear_sky_wh(
	    LAT, LON, 16200, noon - HOUR_MS / 2, noon + HOUR_MS / 2);
	double w = 16200
	    * node_solar_clear_sky_ghi(
	        node_solar_elevation_deg(LAT, LON, noon))
	    / 1000;
	assert_true(fabs(wh - w) < 0.01 * w);
	assert_true(wh > 14800 && wh < 15600);
	// Nothing at night.
	assert_true(node_solar_clear_sky_wh(LAT, LON, 16200,
	                noon - 12 * HOUR_MS, noon - 11 * HOUR_MS)
	    == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_solstices_equinox),
	    cmocka_unit_test(test_clear_sky),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
