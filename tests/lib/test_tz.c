// SPDX-License-Identifier: MIT
//
// test_tz.c: time zones against the system's tzdata: offsets around
// Europe/Paris's clock changes, 23- and 25-hour days, calendar buckets
// across DST and leap years, the footer rule far in the future, a +05:30
// zone, ISO 8601 formatting and parsing, zone names, and the TZif parser
// fed the real Europe/Paris file cut and corrupted at every byte.
//
// Expected instants are written as UTC milliseconds with the ISO time they
// stand for; they were checked against an independent implementation.
// tzdata is a declared dependency: without it the zone tests fail, saying so.

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fed/tz.h"
#include "tz_internal.h"

#define HOUR_MS INT64_C(3600000)
#define DAY_MS  (24 * HOUR_MS)

static fed_tz *
load(const char *name)
{
	fed_tz *tz = NULL;
	fed_status st = fed_tz_load(name, &tz);
	if (st != FED_OK)
		fail_msg("cannot load zone %s: %s (is tzdata installed? it is "
		         "a declared dependency)",
		    name, fed_status_name(st));
	return tz;
}

// The instant as ISO text in tz, for readable assertions.
static const char *
iso(const fed_tz *tz, int64_t utc_ms)
{
	static char buf[32];
	assert_int_equal(
	    fed_tz_format_iso(tz, utc_ms, buf, sizeof(buf)), FED_OK);
	return buf;
}

static int
count_buckets(const fed_tz *tz, int64_t from, int64_t to, fed_tz_unit unit)
{
	int n = 0;
	for (int64_t s = fed_tz_floor(tz, from, unit); s < to;
	     s = fed_tz_next(tz, s, unit))
		n++;
	return n;
}

static void
test_paris_offsets(void **state)
{
	(void) state;
	fed_tz *tz = load("Europe/Paris");
	assert_string_equal(fed_tz_name(tz), "Europe/Paris");
	// 2026-03-29T01:00Z: 02:00 CET becomes 03:00 CEST.
	assert_int_equal(fed_tz_offset_s(tz, 1774746000000 - 1), 3600);
	assert_int_equal(fed_tz_offset_s(tz, 1774746000000), 7200);
	// 2026-10-25T01:00Z: 03:00 CEST becomes 02:00 CET.
	assert_int_equal(fed_tz_offset_s(tz, 1792890000000 - 1), 7200);
	assert_int_equal(fed_tz_offset_s(tz, 1792890000000), 3600);
	// 1970: France kept CET all year.
	assert_int_equal(fed_tz_offset_s(tz, 0), 3600);
	assert_int_equal(fed_tz_offset_s(tz, 15552000000), 3600);
	// 2150, from the footer rule: 2150-03-29T01:00Z, 2150-10-25T01:00Z.
	assert_int_equal(fed_tz_offset_s(tz, 5687802000000 - 1), 3600);
	assert_int_equal(fed_tz_offset_s(tz, 5687802000000), 7200);
	assert_int_equal(fed_tz_offset_s(tz, 5705946000000 - 1), 7200);
	assert_int_equal(fed_tz_offset_s(tz, 5705946000000), 3600);
	// 2350, past the expanded table: 2350-03-26T01:00Z.
	assert_int_equal(fed_tz_offset_s(tz, 11998890000000 - 1), 3600);
	assert_int_equal(fed_tz_offset_s(tz, 11998890000000), 7200);
	fed_tz_free(tz);
}

// The footer rule, expanded into the table, gives what the rule gives, at
// the changes and between them, from the end of the file's table to 2400.
static void
test_rule_expansion(void **state)
{
	(void) state;
	static const char *const zones[] = {"Europe/Paris", "America/Nuuk",
	    "Pacific/Chatham", "Australia/Lord_Howe", "America/Santiago"};
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		fed_tz *tz = load(zones[z]);
		assert_true(tz->has_rule && tz->rule.has_dst);
		for (int64_t t = INT64_C(2147483648); t < INT64_C(13569465600);
		     t += 3599 * 7) {
			int32_t want = fed__tz_rule_offset(&tz->rule, t);
			if (fed_tz_offset_s(tz, t * 1000) != want)
				fail_msg(
				    "%s at %lld s", zones[z], (long long) t);
		}
		fed_tz_free(tz);
	}
}

static void
test_paris_short_day(void **state)
{
	(void) state;
	fed_tz *tz = load("Europe/Paris");
	int64_t noon = 1774746000000 + 10 * HOUR_MS;
	int64_t day = fed_tz_floor(tz, noon, FED_TZ_DAY);
	int64_t end = fed_tz_next(tz, day, FED_TZ_DAY);
	assert_int_equal(day, 1774738800000); // 2026-03-28T23:00Z
	assert_int_equal(end, 1774821600000); // 2026-03-29T22:00Z
	assert_int_equal(end - day, 23 * HOUR_MS);
	assert_string_equal(iso(tz, day), "2026-03-29T00:00:00+01:00");
	assert_string_equal(iso(tz, end), "2026-03-30T00:00:00+02:00");
	assert_int_equal(count_buckets(tz, day, end, FED_TZ_HOUR), 23);
	assert_int_equal(count_buckets(tz, day, end, FED_TZ_15MIN), 23 * 4);
	assert_int_equal(count_buckets(tz, day, end, FED_TZ_5MIN), 23 * 12);
	// The hour after 01:00 CET starts at 03:00 CEST.
	int64_t h = fed_tz_floor(tz, 1774746000000 - 1, FED_TZ_HOUR);
	assert_string_equal(iso(tz, h), "2026-03-29T01:00:00+01:00");
	assert_string_equal(iso(tz, fed_tz_next(tz, h, FED_TZ_HOUR)),
	    "2026-03-29T03:00:00+02:00");
	fed_tz_free(tz);
}

static void
test_paris_long_day(void **state)
{
	(void) state;
	fed_tz *tz = load("Europe/Paris");
	int64_t day = fed_tz_floor(tz, 1792890000000, FED_TZ_DAY);
	int64_t end = fed_tz_next(tz, day, FED_TZ_DAY);
	assert_int_equal(day, 1792879200000); // 2026-10-24T22:00Z
	assert_int_equal(end, 1792969200000); // 2026-10-25T23:00Z
	assert_int_equal(end - day, 25 * HOUR_MS);
	assert_int_equal(count_buckets(tz, day, end, FED_TZ_HOUR), 25);
	// 02:00 happens twice, as two distinct hourly buckets.
	int64_t first = fed_tz_floor(tz, 1792890000000 - 1, FED_TZ_HOUR);
	int64_t second = fed_tz_floor(tz, 1792890000000, FED_TZ_HOUR);
	assert_string_equal(iso(tz, first), "2026-10-25T02:00:00+02:00");
	assert_string_equal(iso(tz, second), "2026-10-25T02:00:00+01:00");
	assert_int_equal(fed_tz_next(tz, first, FED_TZ_HOUR), second);
	assert_int_equal(second - first, HOUR_MS);
	fed_tz_free(tz);
}

static void
test_paris_week(void **state)
{
	(void) state;
	fed_tz *tz = load("Europe/Paris");
	// Sunday 2026-03-29 belongs to the week of Monday 2026-03-23.
	int64_t w = fed_tz_floor(tz, 1774746000000, FED_TZ_WEEK);
	assert_int_equal(w, 1774220400000); // 2026-03-22T23:00Z
	fed_tz_tm tm;
	fed_tz_localtime(tz, w, &tm);
	assert_int_equal(tm.weekday, 0);
	assert_int_equal(tm.day, 23);
	int64_t next = fed_tz_next(tz, w, FED_TZ_WEEK);
	assert_string_equal(iso(tz, next), "2026-03-30T00:00:00+02:00");
	assert_int_equal(next - w, 7 * DAY_MS - HOUR_MS);
	// A Monday at local midnight is its own week start.
	assert_int_equal(fed_tz_floor(tz, next, FED_TZ_WEEK), next);
	assert_int_equal(fed_tz_floor(tz, next - 1, FED_TZ_WEEK), w);
	fed_tz_free(tz);
}

static void
test_paris_month_year(void **state)
{
	(void) state;
	fed_tz *tz = load("Europe/Paris");
	// March 2026 starts in CET and ends in CEST.
	int64_t m = fed_tz_floor(tz, 1774746000000, FED_TZ_MONTH);
	assert_int_equal(m, 1772319600000); // 2026-02-28T23:00Z
	assert_int_equal(fed_tz_next(tz, m, FED_TZ_MONTH), 1774994400000);
	// October 2026 the other way round.
	m = fed_tz_floor(tz, 1792890000000, FED_TZ_MONTH);
	assert_int_equal(m, 1790805600000); // 2026-09-30T22:00Z
	assert_int_equal(fed_tz_next(tz, m, FED_TZ_MONTH), 1793487600000);
	// February 2028 has 29 days.
	int64_t leap_day = 1835391600000 + 12 * HOUR_MS; // 2028-02-29T11:00Z
	assert_int_equal(
	    fed_tz_floor(tz, leap_day, FED_TZ_DAY), 1835391600000);
	assert_int_equal(fed_tz_next(tz, 1835391600000, FED_TZ_DAY),
	    1835478000000); // 2028-02-29T23:00Z, March 1st local
	m = fed_tz_floor(tz, leap_day, FED_TZ_MONTH);
	assert_int_equal(m, 1832972400000); // 2028-01-31T23:00Z
	assert_int_equal(fed_tz_next(tz, m, FED_TZ_MONTH), 1835478000000);
	int64_t y = fed_tz_floor(tz, leap_day, FED_TZ_YEAR);
	assert_int_equal(y, 1830294000000); // 2027-12-31T23:00Z
	assert_int_equal(fed_tz_next(tz, y, FED_TZ_YEAR), 1861916400000);
	assert_int_equal(count_buckets(tz, y, 1861916400000, FED_TZ_DAY), 366);
	assert_int_equal(
	    count_buckets(tz, y, 1861916400000, FED_TZ_MONTH), 12);
	// December rolls over into the next year.
	m = fed_tz_floor(tz, 1861916400000 - 1, FED_TZ_MONTH);
	assert_string_equal(iso(tz, m), "2028-12-01T00:00:00+01:00");
	assert_int_equal(fed_tz_next(tz, m, FED_TZ_MONTH), 1861916400000);
	fed_tz_free(tz);
}

static void
test_far_future_and_1970(void **state)
{
	(void) state;
	fed_tz *tz = load("Europe/Paris");
	// 2150-03-29 and 2150-10-25 are Sundays with 23 and 25 hours.
	int64_t d = fed_tz_floor(tz, 5687802000000, FED_TZ_DAY);
	assert_int_equal(d, 5687794800000);
	assert_int_equal(fed_tz_next(tz, d, FED_TZ_DAY), 5687877600000);
	d = fed_tz_floor(tz, 5705946000000, FED_TZ_DAY);
	assert_int_equal(d, 5705935200000);
	assert_int_equal(fed_tz_next(tz, d, FED_TZ_DAY), 5706025200000);
	assert_int_equal(count_buckets(tz, d, 5706025200000, FED_TZ_HOUR), 25);
	assert_string_equal(
	    iso(tz, 5705946000000), "2150-10-25T02:00:00+01:00");
	// The epoch: 1970-01-01T01:00+01:00; its day started the day before
	// in UTC.
	assert_string_equal(iso(tz, 0), "1970-01-01T01:00:00+01:00");
	assert_int_equal(fed_tz_floor(tz, 0, FED_TZ_DAY), -HOUR_MS);
	assert_int_equal(fed_tz_floor(tz, 0, FED_TZ_YEAR), -HOUR_MS);
	assert_int_equal(fed_tz_floor(tz, -HOUR_MS - 1, FED_TZ_YEAR),
	    -HOUR_MS - 365 * DAY_MS);
	fed_tz_tm tm;
	fed_tz_localtime(tz, 0, &tm);
	assert_int_equal(tm.weekday, 3); // a Thursday
	fed_tz_free(tz);
}

static void
test_utc(void **state)
{
	(void) state;
	fed_tz *tz = load("UTC");
	assert_string_equal(fed_tz_name(tz), "UTC");
	assert_int_equal(fed_tz_offset_s(tz, 1774746000000), 0);
	assert_int_equal(fed_tz_floor(tz, 1774746000123, FED_TZ_DAY),
	    1774746000000 - HOUR_MS);
	assert_string_equal(
	    iso(tz, 1774746000123), "2026-03-29T01:00:00.123+00:00");
	assert_int_equal(fed_tz_floor(tz, -1, FED_TZ_DAY), -DAY_MS);
	assert_int_equal(fed_tz_floor(tz, 1, FED_TZ_5MIN), 0);
	assert_int_equal(fed_tz_next(tz, 0, FED_TZ_5MIN), 300000);
	fed_tz_free(tz);
}

// UTC needs no zone file; every other zone does.
static void
test_utc_without_tzdata(void **state)
{
	(void) state;
	const char *old = getenv("TZDIR");
	char *saved = old != NULL ? strdup(old) : NULL;
	setenv("TZDIR", "no-such-zoneinfo-directory", 1);
	fed_tz *tz = NULL;
	assert_int_equal(fed_tz_load("UTC", &tz), FED_OK);
	assert_int_equal(fed_tz_offset_s(tz, 1774746000000), 0);
	fed_tz_free(tz);
	tz = NULL;
	assert_int_equal(fed_tz_load("Europe/Paris", &tz), FED_NOT_FOUND);
	assert_null(tz);
	if (saved != NULL)
		setenv("TZDIR", saved, 1);
	else
		unsetenv("TZDIR");
	free(saved);
}

static void
test_kolkata_half_hour(void **state)
{
	(void) state;
	fed_tz *tz = load("Asia/Kolkata");
	int64_t t
	    = 1767263400000 + 15 * 60000; // 2026-01-01T10:45Z, 16:15 local
	assert_int_equal(fed_tz_offset_s(tz, t), 19800);
	int64_t h = fed_tz_floor(tz, t, FED_TZ_HOUR);
	assert_int_equal(h, 1767263400000); // 10:30Z = 16:00 local
	assert_string_equal(iso(tz, h), "2026-01-01T16:00:00+05:30");
	assert_int_equal(fed_tz_next(tz, h, FED_TZ_HOUR), h + HOUR_MS);
	assert_int_equal(fed_tz_floor(tz, t, FED_TZ_15MIN), t);
	assert_int_equal(fed_tz_floor(tz, t, FED_TZ_DAY), 1767205800000);
	fed_tz_free(tz);
}

static void
test_names(void **state)
{
	(void) state;
	static const char *const bad[] = {"../etc/passwd", "/etc/x", "",
	    "Europe/../Paris", "Europe//Paris", "Europe/", "Europe/Paris ",
	    "Europe\\Paris", "Europe/Pa.ris"};
	fed_tz *tz = NULL;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    fed_tz_load(bad[i], &tz), FED_INVALID_ARGUMENT);
		assert_null(tz);
	}
	assert_int_equal(fed_tz_load(NULL, &tz), FED_INVALID_ARGUMENT);
	char long_name[300];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(fed_tz_load(long_name, &tz), FED_INVALID_ARGUMENT);
	assert_int_equal(fed_tz_load("Nope/Zone", &tz), FED_NOT_FOUND);
	// A directory is not a zone.
	assert_int_equal(fed_tz_load("Europe", &tz), FED_NOT_FOUND);
	assert_null(tz);
	tz = load("America/Argentina/Buenos_Aires");
	assert_int_equal(fed_tz_offset_s(tz, 1774746000000), -3 * 3600);
	fed_tz_free(tz);
	fed_tz_free(NULL);
}

static void
test_format(void **state)
{
	(void) state;
	fed_tz *tz = load("Europe/Paris");
	char buf[32];
	assert_string_equal(
	    iso(tz, 1774746000000), "2026-03-29T03:00:00+02:00");
	assert_string_equal(
	    iso(tz, 1774746000000 - 1), "2026-03-29T01:59:59.999+01:00");
	assert_string_equal(
	    iso(tz, 1774746000050), "2026-03-29T03:00:00.050+02:00");
	fed_tz *ny = load("America/New_York");
	assert_string_equal(
	    iso(ny, 1774746000000), "2026-03-28T21:00:00-04:00");
	fed_tz_free(ny);
	// The longest form fits in 32 bytes; one byte short is refused.
	assert_int_equal(
	    fed_tz_format_iso(tz, 1774746000001, buf, 30), FED_OK);
	assert_int_equal(strlen(buf), 29);
	assert_int_equal(fed_tz_format_iso(tz, 1774746000001, buf, 29),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(fed_tz_format_iso(tz, 1774746000001, buf, 0),
	    FED_INVALID_ARGUMENT);
	// Year 10000 has no four-digit form.
	assert_int_equal(
	    fed_tz_format_iso(tz, 253402300800000, buf, sizeof(buf)),
	    FED_OUT_OF_RANGE);
	fed_tz_free(tz);
}

static void
expect_parse(const fed_tz *tz, const char *s, int64_t want)
{
	int64_t got = 0;
	fed_status st = fed_tz_parse_iso(tz, s, &got);
	if (st != FED_OK || got != want)
		fail_msg("\"%s\": got %s %lld, want %lld", s,
		    fed_status_name(st), (long long) got, (long long) want);
}

static void
expect_bad(const fed_tz *tz, const char *s)
{
	int64_t got = 42;
	if (fed_tz_parse_iso(tz, s, &got) != FED_INVALID_ARGUMENT)
		fail_msg("\"%s\" was accepted", s != NULL ? s : "(null)");
	assert_int_equal(got, 42);
}

static void
test_parse(void **state)
{
	(void) state;
	fed_tz *tz = load("Europe/Paris");
	int64_t t = 1774746000000; // 2026-03-29T01:00Z
	expect_parse(NULL, "2026-03-29T03:00:00+02:00", t);
	expect_parse(NULL, "2026-03-29T01:00:00Z", t);
	expect_parse(NULL, "2026-03-29 01:00:00Z", t);
	expect_parse(NULL, "2026-03-29T01:00Z", t);
	expect_parse(NULL, "2026-03-28T21:00:00-04:00", t);
	expect_parse(NULL, "2026-03-29T01:00:00.5Z", t + 500);
	expect_parse(NULL, "2026-03-29T01:00:00.05Z", t + 50);
	expect_parse(NULL, "2026-03-29T01:00:00.123Z", t + 123);
	expect_parse(NULL, "1970-01-01T00:00:00Z", 0);
	expect_parse(NULL, "2200-12-31T23:59:59.999Z", 7289654399999);
	// Local times read in the zone; the offset given wins over the zone.
	expect_parse(tz, "2026-03-29T03:00:00", t);
	expect_parse(tz, "2026-03-29T01:59:59.999", t - 1);
	expect_parse(tz, "2026-03-29T01:00:00Z", t);
	// A date alone is the start of the local day.
	expect_parse(tz, "2026-03-29", 1774738800000);
	expect_parse(tz, "2028-02-29", 1835391600000);
	// 02:30 on 2026-10-25 happens twice: the earlier one is taken.
	expect_parse(tz, "2026-10-25T02:30:00", 1792890000000 - 30 * 60000);
	expect_parse(
	    tz, "2026-10-25T02:30:00+01:00", 1792890000000 + 30 * 60000);
	// 02:30 on 2026-03-29 never happens.
	expect_bad(tz, "2026-03-29T02:30:00");
	expect_bad(tz, "2026-03-29T02:00:00");
	expect_bad(NULL, "2026-03-29T03:00:00");
	expect_bad(NULL, "2026-03-29");
	static const char *const bad[] = {"", "2026", "2026-3-29",
	    "2026-03-29T", "2026-03-29T1:00:00Z", "2026-03-29T01:00:00+2",
	    "2026-03-29T01:00:00+0200", "2026-03-29T01:00:00+24:00",
	    "2026-03-29T01:00:00.1234Z", "2026-03-29T01:00:00.Z",
	    "2026-03-29T24:00:00Z", "2026-03-29T01:60:00Z",
	    "2026-03-29T01:00:60Z", "2026-02-29", "2028-02-30", "2026-13-01",
	    "2026-00-10", "2026-01-00", "1969-12-31T23:59:59Z",
	    "2201-01-01T00:00:00Z", "2026-03-29T01:00:00Zjunk", "2026-03-29Z",
	    "2026-03-29t01:00:00Z", "2026-03-29T01:00:00z", " 2026-03-29",
	    "+2026-03-29", "2026-03-29T01:00:00 Z"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad(tz, bad[i]);
	expect_bad(tz, NULL);
	fed_tz_free(tz);
}

static void
test_round_trip(void **state)
{
	(void) state;
	static const char *const zones[] = {"Europe/Paris", "Asia/Kolkata",
	    "America/New_York", "Australia/Lord_Howe", "UTC"};
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		fed_tz *tz = load(zones[z]);
		// About every 11.5 days, at odd times, over 1970..2200 local.
		for (int64_t t = DAY_MS; t < 7289567999999; t += 998893551) {
			int64_t back = -1;
			const char *s = iso(tz, t);
			assert_int_equal(
			    fed_tz_parse_iso(NULL, s, &back), FED_OK);
			assert_int_equal(back, t);
		}
		fed_tz_free(tz);
	}
}

// Goose Bay left double daylight time on 1988-10-30 at 00:01 (-02:00),
// back to 22:01 the day before (-04:00): October 30 began at its first
// midnight, and the instants that show October 29 again belong to it.
static void
test_fall_back_across_midnight(void **state)
{
	(void) state;
	fed_tz *tz = load("America/Goose_Bay");
	int64_t t = 594181860000; // 1988-10-30T02:31Z
	assert_string_equal(iso(tz, t), "1988-10-29T22:31:00-04:00");
	int64_t d = fed_tz_floor(tz, t, FED_TZ_DAY);
	assert_int_equal(d, 594180000000); // 1988-10-30T02:00Z
	assert_string_equal(iso(tz, d), "1988-10-30T00:00:00-02:00");
	assert_int_equal(fed_tz_floor(tz, d - 1, FED_TZ_DAY), 594093600000);
	assert_int_equal(fed_tz_next(tz, 594093600000, FED_TZ_DAY), d);
	// 26 hours, from 00:00 -02:00 to 00:00 -04:00 the next day. Its
	// hourly buckets: 00:00-00:01 (-02:00), 22:01-23:00 (-04:00), then
	// 25 whole hours.
	int64_t n = fed_tz_next(tz, d, FED_TZ_DAY);
	assert_int_equal(n - d, 26 * HOUR_MS);
	assert_int_equal(count_buckets(tz, d, n, FED_TZ_HOUR), 27);
	assert_int_equal(fed_tz_next(tz, d, FED_TZ_HOUR), d + 60000);
	assert_int_equal(fed_tz_next(tz, d + 60000, FED_TZ_HOUR), d + HOUR_MS);
	fed_tz_free(tz);
}

// floor and next agree with each other and with the local calendar, for
// every unit, across zones with odd rules, over the whole supported range.
static void
check_bucket(const fed_tz *tz, int64_t t, fed_tz_unit unit)
{
	int64_t s = fed_tz_floor(tz, t, unit);
	int64_t n = fed_tz_next(tz, s, unit);
	if (!(s <= t && t < n && fed_tz_floor(tz, s, unit) == s
	        && fed_tz_floor(tz, n - 1, unit) == s))
		fail_msg("%s unit %d at %lld: bucket [%lld, %lld)",
		    fed_tz_name(tz), (int) unit, (long long) t, (long long) s,
		    (long long) n);
	if (unit < FED_TZ_DAY)
		return;
	fed_tz_tm a, b;
	fed_tz_localtime(tz, s, &a);
	fed_tz_localtime(tz, s - 1, &b);
	// Local midnight, or the first instant after a gap that skips it.
	bool midnight = a.hour == 0 && a.minute == 0 && a.second == 0;
	bool gap = a.offset_s != b.offset_s && b.day != a.day;
	assert_true(midnight || gap);
	assert_true(unit != FED_TZ_WEEK || a.weekday == 0);
	assert_true(unit < FED_TZ_MONTH || a.day == 1);
	assert_true(unit != FED_TZ_YEAR || a.month == 1);
}

static void
test_bucket_invariants(void **state)
{
	(void) state;
	static const char *const zones[] = {"Europe/Paris", "Asia/Kolkata",
	    "America/Sao_Paulo", "Australia/Lord_Howe", "America/Havana",
	    "Pacific/Chatham", "America/Nuuk", "Africa/Casablanca",
	    "Asia/Kathmandu", "Pacific/Apia"};
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		fed_tz *tz = load(zones[z]);
		for (int64_t t = -DAY_MS; t < 7289567999999;
		     t += 5 * DAY_MS + 3 * HOUR_MS + 1234567)
			for (int u = FED_TZ_5MIN; u <= FED_TZ_YEAR; u++)
				check_bucket(tz, t, (fed_tz_unit) u);
		fed_tz_free(tz);
	}
}

// Around every transition of 1970..2040, at the change and a second
// before, hour and day buckets stay consistent.
static void
test_buckets_at_transitions(void **state)
{
	(void) state;
	static const char *const zones[]
	    = {"Europe/Paris", "America/Sao_Paulo", "Australia/Lord_Howe",
	        "America/Havana", "Africa/Casablanca", "Asia/Gaza",
	        "America/Santiago", "America/Goose_Bay"};
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		fed_tz *tz = load(zones[z]);
		int32_t prev = fed_tz_offset_s(tz, 0);
		for (int64_t t = 0; t < 2208988800000; t += 15 * 60000) {
			int32_t off = fed_tz_offset_s(tz, t);
			if (off == prev)
				continue;
			prev = off;
			// Back to the exact second of the change.
			int64_t c = t - 15 * 60000;
			while (fed_tz_offset_s(tz, c + 1000) != off)
				c += 1000;
			for (int u = FED_TZ_5MIN; u <= FED_TZ_YEAR; u++) {
				check_bucket(tz, c, (fed_tz_unit) u);
				check_bucket(tz, c + 1000, (fed_tz_unit) u);
			}
		}
		fed_tz_free(tz);
	}
}

static void
test_extremes(void **state)
{
	(void) state;
	fed_tz *tz = load("Europe/Paris");
	fed_tz_tm tm;
	fed_tz_localtime(tz, INT64_MAX, &tm);
	assert_true(tm.year > 200000);
	fed_tz_localtime(tz, INT64_MIN, &tm);
	assert_true(tm.year < -200000);
	for (int u = FED_TZ_5MIN; u <= FED_TZ_YEAR; u++) {
		int64_t s = fed_tz_floor(tz, INT64_MAX, (fed_tz_unit) u);
		assert_true(fed_tz_next(tz, s, (fed_tz_unit) u) > s);
		s = fed_tz_floor(tz, INT64_MIN, (fed_tz_unit) u);
		assert_true(fed_tz_next(tz, s, (fed_tz_unit) u) > s);
	}
	char buf[32];
	assert_int_equal(fed_tz_format_iso(tz, INT64_MIN, buf, sizeof(buf)),
	    FED_OUT_OF_RANGE);
	fed_tz_free(tz);
}

// --- the TZif parser ---

static uint8_t *
read_zone_file(const char *name, size_t *len)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/%s",
	    dir != NULL && dir[0] != '\0' ? dir : "/usr/share/zoneinfo", name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg(
		    "cannot open %s (tzdata is a declared dependency)", path);
	static uint8_t buf[65536];
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(*len > 44 && *len < sizeof(buf));
	uint8_t *copy = malloc(*len);
	assert_non_null(copy);
	memcpy(copy, buf, *len);
	return copy;
}

static void
expect_tzif(const uint8_t *buf, size_t len, fed_status want)
{
	fed_tz *tz = NULL;
	// An exact-size heap copy, so that ASan sees any read past the end.
	uint8_t *copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	memcpy(copy, buf, len);
	fed_status st = fed__tz_parse_tzif(copy, len, "x", &tz);
	free(copy);
	if (st != want)
		fail_msg("%zu bytes: got %s, want %s", len,
		    fed_status_name(st), fed_status_name(want));
	assert_true((tz != NULL) == (st == FED_OK));
	fed_tz_free(tz);
}

static void
test_tzif_truncated(void **state)
{
	(void) state;
	size_t len;
	uint8_t *buf = read_zone_file("Europe/Paris", &len);
	expect_tzif(buf, len, FED_OK);
	for (size_t cut = 0; cut < len; cut++)
		expect_tzif(buf, cut, FED_DATA_LOSS);
	free(buf);
}

// A big-endian count of a TZif header, at byte `at`.
static size_t
count_at(const uint8_t *h, size_t at)
{
	return (size_t) h[at] << 24 | (size_t) h[at + 1] << 16
	    | (size_t) h[at + 2] << 8 | h[at + 3];
}

// Where the second header of a v2+ file starts: after the 32-bit block.
static size_t
v2_header_at(const uint8_t *b)
{
	size_t isut = count_at(b, 20), isstd = count_at(b, 24);
	size_t leap = count_at(b, 28), time = count_at(b, 32);
	size_t type = count_at(b, 36), chars = count_at(b, 40);
	return 44 + time * 5 + type * 6 + chars + leap * 8 + isstd + isut;
}

static void
test_tzif_corrupt(void **state)
{
	(void) state;
	size_t len;
	uint8_t *buf = read_zone_file("Europe/Paris", &len);
	uint8_t *bad = malloc(len + 1);
	assert_non_null(bad);
	size_t h2 = v2_header_at(buf);
	size_t idx = h2 + 44 + 8 * count_at(buf + h2, 32);
	size_t types = idx + count_at(buf + h2, 32);
	size_t footer = len - 1; // just after the footer's opening newline
	while (buf[footer - 1] != '\n')
		footer--;
	// Places whose corruption must be noticed: magic, version, each
	// count, and in the 64-bit block the first transition time (now after
	// the second), a type index, an offset, an isdst flag, the footer.
	struct {
		size_t at;
		uint8_t val;
	} cases[] = {{0, 'X'}, {3, 'F'}, {4, '1'}, {4, '5'}, {h2, 'x'},
	    {h2 + 4, '3'}, {h2 + 23, 7}, {h2 + 27, 7}, {h2 + 31, 1},
	    {h2 + 35, 0xff}, {h2 + 39, 0}, {h2 + 43, 0}, {h2 + 35, 0},
	    {h2 + 44, 0x7f}, {len - 1, 'x'}, {len - 2, 'X'}, {len - 5, '9'},
	    {footer, '\n'}, {types, 0x80}, {types + 4, 2}, {types + 5, 0xf0},
	    {idx, 0xfe}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, buf, len);
		if (bad[cases[i].at] == cases[i].val)
			fail_msg("case %zu does not change the file", i);
		bad[cases[i].at] = cases[i].val;
		fed_tz *tz = NULL;
		fed_status st = fed__tz_parse_tzif(bad, len, "x", &tz);
		if (st != FED_DATA_LOSS)
			fail_msg("corruption %zu at byte %zu: %s", i,
			    cases[i].at, fed_status_name(st));
	}
	// Trailing bytes after the footer.
	memcpy(bad, buf, len);
	bad[len] = 'x';
	expect_tzif(bad, len + 1, FED_DATA_LOSS);
	free(bad);
	free(buf);
}

// Every byte of the file set to each of a few values: valid or DATA_LOSS,
// never anything else, and no invalid access (ASan).
static void
test_tzif_corrupt_sweep(void **state)
{
	(void) state;
	size_t len;
	uint8_t *buf = read_zone_file("Europe/Paris", &len);
	uint8_t *bad = malloc(len);
	assert_non_null(bad);
	static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff, '\n'};
	for (size_t at = 0; at < len; at++)
		for (size_t v = 0; v < sizeof(vals); v++) {
			memcpy(bad, buf, len);
			bad[at] = vals[v];
			fed_tz *tz = NULL;
			fed_status st = fed__tz_parse_tzif(bad, len, "x", &tz);
			assert_true(st == FED_OK || st == FED_DATA_LOSS);
			if (st == FED_OK)
				(void) fed_tz_floor(
				    tz, 1774746000000, FED_TZ_DAY);
			fed_tz_free(tz);
		}
	free(bad);
	free(buf);
}

// A minimal TZif writer for hand-made files.
typedef struct tzif_buf {
	uint8_t b[512];
	size_t n;
} tzif_buf;

static void
put(tzif_buf *t, const void *p, size_t n)
{
	assert_true(t->n + n <= sizeof(t->b));
	memcpy(t->b + t->n, p, n);
	t->n += n;
}

static void
put32(tzif_buf *t, uint32_t v)
{
	uint8_t b[4] = {v >> 24, v >> 16, v >> 8, v};
	put(t, b, 4);
}

static void
put_header(tzif_buf *t, char version, uint32_t timecnt, uint32_t typecnt,
    uint32_t charcnt, uint32_t leapcnt)
{
	uint8_t zero[15] = {0};
	put(t, "TZif", 4);
	put(t, &version, 1);
	put(t, zero, 15);
	put32(t, 0); // isutcnt
	put32(t, 0); // isstdcnt
	put32(t, leapcnt);
	put32(t, timecnt);
	put32(t, typecnt);
	put32(t, charcnt);
}

// Types: 0 = +01:00 "A", 1 = +02:00 "B" (dst); one transition at t=1000 s.
static void
put_block(tzif_buf *t, int time_len)
{
	uint8_t idx = 1,
	        types[12] = {0, 0, 0x0e, 0x10, 0, 0, 0, 0, 0x1c, 0x20, 1, 2};
	if (time_len == 8)
		put32(t, 0);
	put32(t, 1000);
	put(t, &idx, 1);
	put(t, types, sizeof(types));
	put(t, "A\0B", 4);
}

static void
test_tzif_versions(void **state)
{
	(void) state;
	fed_tz *tz = NULL;
	// Version 1: 32-bit data only, no footer.
	tzif_buf v1 = {0};
	put_header(&v1, 0, 1, 2, 4, 0);
	put_block(&v1, 4);
	assert_int_equal(fed__tz_parse_tzif(v1.b, v1.n, "v1", &tz), FED_OK);
	assert_int_equal(fed_tz_offset_s(tz, 999999), 3600);
	assert_int_equal(fed_tz_offset_s(tz, 1000000), 7200);
	assert_int_equal(fed_tz_offset_s(tz, 1774746000000), 7200);
	fed_tz_free(tz);
	v1.b[v1.n++] = 0;
	expect_tzif(v1.b, v1.n, FED_DATA_LOSS);
	// Version 3, no transition in the 64-bit block, and a footer rule
	// that then holds for all time.
	static const char foot[] = "\n<+0330>-3:30<+0430>,J79/24,J263/24\n";
	tzif_buf v3 = {0};
	put_header(&v3, '3', 1, 2, 4, 0);
	put_block(&v3, 4);
	put_header(&v3, '3', 0, 1, 2, 0);
	put(&v3, "\0\0\x0e\x10\0\0A", 8);
	put(&v3, foot, sizeof(foot) - 1);
	assert_int_equal(fed__tz_parse_tzif(v3.b, v3.n, "v3", &tz), FED_OK);
	// 2026-01-01 standard, 2026-06-01 daylight.
	assert_int_equal(fed_tz_offset_s(tz, 1767225600000), 12600);
	assert_int_equal(fed_tz_offset_s(tz, 1780272000000), 16200);
	fed_tz_free(tz);
	// Versions must agree, and leap seconds are not supported.
	v3.b[v2_header_at(v3.b) + 4] = '2';
	expect_tzif(v3.b, v3.n, FED_DATA_LOSS);
	tzif_buf leap = {0};
	put_header(&leap, 0, 0, 1, 2, 1);
	put(&leap, "\0\0\0\0\0\0A", 8);
	put(&leap, "\0\0\0\1\0\0\0\1", 8);
	expect_tzif(leap.b, leap.n, FED_UNIMPLEMENTED);
}

// A rule that ends and starts again at the same instant (RFC 8536's
// all-year DST, "0/0,J365/25") stays on DST, in the expanded table and
// past it.
static void
test_tzif_all_year_dst(void **state)
{
	(void) state;
	static const char foot[] = "\n<+01>-1<+02>,0/0,J365/25\n";
	tzif_buf f = {0};
	put_header(&f, '3', 1, 2, 4, 0);
	put_block(&f, 4);
	put_header(&f, '3', 1, 2, 4, 0);
	put_block(&f, 8);
	put(&f, foot, sizeof(foot) - 1);
	fed_tz *tz = NULL;
	assert_int_equal(fed__tz_parse_tzif(f.b, f.n, "dst", &tz), FED_OK);
	assert_int_equal(fed_tz_offset_s(tz, 999999), 3600);
	assert_int_equal(fed_tz_offset_s(tz, 1000000), 7200);
	assert_int_equal(fed_tz_offset_s(tz, 1001000), 7200);
	// Every 6 h 53 min from 1970 to 2400, new years included.
	for (int64_t t = 1000000; t < INT64_C(13569465600000); t += 24780000) {
		if (fed_tz_offset_s(tz, t) != 7200)
			fail_msg("standard time at %lld", (long long) t);
	}
	// 2030-01-01T00:00 local and the instant before.
	assert_int_equal(fed_tz_offset_s(tz, INT64_C(1893448800000)), 7200);
	assert_int_equal(fed_tz_offset_s(tz, INT64_C(1893448799999)), 7200);
	fed_tz_free(tz);
}

// Footer rules: the tzdata forms, and malformed ones.
static void
test_tzif_footers(void **state)
{
	(void) state;
	static const char *const good[]
	    = {"CET-1CEST,M3.5.0,M10.5.0/3", "IST-5:30",
	        "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", "EST5EDT,M3.2.0,M11.1.0",
	        ("<+1245>-12:45<+1345>,M9.5.0/2:45,"
	         "M4.1.0/3:45"),
	        "XXX-1YYY-3:00:10,J60/167,300/-167", "UTC0"};
	static const char *const bad[] = {"CET", "CE-1", "CET-1CEST",
	    "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0",
	    "CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,M3.5.0,M10.5.0/168",
	    "CET-1CEST,M3.5.0", "CET-1CEST,J0,J365", "CET-1CEST,366,1",
	    "CET-25", "CET-1:60", "CET-1x", "<+01-1", "<>-1", "CET-1CEST,,",
	    "CET-1CEST,M3.5.0,M10.5.0,", "cet -1"};
	char file[600];
	size_t len;
	uint8_t *buf = read_zone_file("Europe/Paris", &len);
	// The Paris file with its footer replaced.
	size_t body = len - 1;
	while (buf[body - 1] != '\n')
		body--;
	for (int pass = 0; pass < 2; pass++) {
		const char *const *list = pass == 0 ? good : bad;
		size_t n = pass == 0 ? sizeof(good) / sizeof(good[0])
		                     : sizeof(bad) / sizeof(bad[0]);
		for (size_t i = 0; i < n; i++) {
			int k = snprintf(file, sizeof(file), "%s\n", list[i]);
			uint8_t *f = malloc(body + (size_t) k);
			assert_non_null(f);
			memcpy(f, buf, body);
			memcpy(f + body, file, (size_t) k);
			fed_tz *tz = NULL;
			fed_status st = fed__tz_parse_tzif(
			    f, body + (size_t) k, "x", &tz);
			if (st != (pass == 0 ? FED_OK : FED_DATA_LOSS))
				fail_msg("footer \"%s\": %s", list[i],
				    fed_status_name(st));
			fed_tz_free(tz);
			free(f);
		}
	}
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_paris_offsets),
	    cmocka_unit_test(test_rule_expansion),
	    cmocka_unit_test(test_paris_short_day),
	    cmocka_unit_test(test_paris_long_day),
	    cmocka_unit_test(test_paris_week),
	    cmocka_unit_test(test_paris_month_year),
	    cmocka_unit_test(test_far_future_and_1970),
	    cmocka_unit_test(test_utc),
	    cmocka_unit_test(test_utc_without_tzdata),
	    cmocka_unit_test(test_kolkata_half_hour),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_fall_back_across_midnight),
	    cmocka_unit_test(test_bucket_invariants),
	    cmocka_unit_test(test_buckets_at_transitions),
	    cmocka_unit_test(test_extremes),
	    cmocka_unit_test(test_tzif_truncated),
	    cmocka_unit_test(test_tzif_corrupt),
	    cmocka_unit_test(test_tzif_corrupt_sweep),
	    cmocka_unit_test(test_tzif_versions),
	    cmocka_unit_test(test_tzif_all_year_dst),
	    cmocka_unit_test(test_tzif_footers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
