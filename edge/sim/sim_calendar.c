// SPDX-License-Identifier: MIT
//
// sim_calendar.c: local time and the French school calendar for the
// models.
//
// Local time is Europe/Paris by the EU rule (UTC+1, UTC+2 from the last
// Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC). The
// rule is exact for every year since 1996 and needs no zone file, so the
// models stay pure functions of time whatever tzdata the machine has; all
// of the models' local-time needs go through sim_paris_offset_s, the one
// place to change if the zone ever became a parameter (fed/tz.h).

#include <assert.h>

#include "sim_internal.h"

int64_t
sim__floor_div(int64_t a, int64_t b)
{
	assert(b > 0);
	int64_t q = a / b;
	return (a % b < 0) ? q - 1 : q;
}

// H. Hinnant's days_from_civil / civil_from_days, proleptic Gregorian.
int64_t
sim__days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = sim__floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = sim__floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (yoe + era * 400 + (*m <= 2));
}

// 0 = Monday; 1970-01-01 was a Thursday.
int
sim__weekday(int64_t day)
{
	return (int) ((sim__floor_div(day, 7) * -7 + day + 3) % 7);
}

// The last Sunday on or before `day`.
static int64_t
sunday_on_or_before(int64_t day)
{
	return day - (sim__weekday(day) + 1) % 7;
}

// The first Saturday on or after (y, m, d).
static int64_t
saturday_from(int y, int m, int d)
{
	int64_t day = sim__days_from_civil(y, m, d);
	return day + (5 - sim__weekday(day) + 7) % 7;
}

// Summer time of year y: [*start_ms, *end_ms).
static void
summer_time(int y, int64_t *start_ms, int64_t *end_ms)
{
	int64_t start = sunday_on_or_before(sim__days_from_civil(y, 3, 31));
	int64_t end = sunday_on_or_before(sim__days_from_civil(y, 10, 31));
	*start_ms = start * SIM__DAY_MS + 3600000;
	*end_ms = end * SIM__DAY_MS + 3600000;
}

int32_t
sim__paris_span(int64_t t_ms, int64_t *from_ms, int64_t *to_ms)
{
	int y, m, d;
	int64_t start, end, other;
	civil_from_days(sim__floor_div(t_ms, SIM__DAY_MS), &y, &m, &d);
	summer_time(y, &start, &end);
	if (t_ms >= start && t_ms < end) {
		*from_ms = start;
		*to_ms = end;
		return 7200;
	}
	if (t_ms < start) {
		summer_time(y - 1, &other, from_ms);
		*to_ms = start;
	} else {
		*from_ms = end;
		summer_time(y + 1, to_ms, &other);
	}
	return 3600;
}

int32_t
sim_paris_offset_s(int64_t t_ms)
{
	int64_t from, to;
	return sim__paris_span(t_ms, &from, &to);
}

void
sim__offset_init(sim__offset_cache *c)
{
	c->from_ms = 1;
	c->to_ms = 0;
	c->offset_ms = 0;
}

int64_t
sim__offset_ms(sim__offset_cache *c, int64_t t_ms)
{
	if (t_ms < c->from_ms || t_ms >= c->to_ms)
		c->offset_ms
		    = (int64_t) sim__paris_span(t_ms, &c->from_ms, &c->to_ms)
		    * 1000;
	return c->offset_ms;
}

void
sim__local_at(int64_t t_ms, sim__local *out)
{
	int64_t lt = t_ms + (int64_t) sim_paris_offset_s(t_ms) * 1000;
	out->day = sim__floor_div(lt, SIM__DAY_MS);
	out->minute = (double) (lt - out->day * SIM__DAY_MS) / 60000.0;
	civil_from_days(out->day, &out->year, &out->month, &out->mday);
	out->weekday = sim__weekday(out->day);
	out->doy
	    = (int) (out->day - sim__days_from_civil(out->year, 1, 1)) + 1;
}

int
sim__doy_in(int doy, int from, int to)
{
	if (from <= to)
		return doy >= from && doy <= to;
	return doy >= from || doy <= to;
}

// Gregorian Easter Sunday (the anonymous algorithm), as days since epoch.
static int64_t
easter_day(int y)
{
	int a = y % 19, b = y / 100, c = y % 100;
	int d = b / 4, e = b % 4, f = (b + 8) / 25;
	int g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int month = (h + l - 7 * m + 114) / 31;
	int mday = (h + l - 7 * m + 114) % 31 + 1;
	return sim__days_from_civil(y, month, mday);
}

static int
is_public_holiday(const sim__local *l)
{
	static const int fixed[][2] = {{1, 1}, {5, 1}, {5, 8}, {7, 14},
	    {8, 15}, {11, 1}, {11, 11}, {12, 25}};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		if (l->month == fixed[i][0] && l->mday == fixed[i][1])
			return 1;
	}
	// Easter Monday, Ascension, its "pont" Friday, Whit Monday.
	int64_t off = l->day - easter_day(l->year);
	return off == 1 || off == 39 || off == 40 || off == 50;
}

static int
in_window(int64_t day, int64_t first, int64_t last)
{
	return day >= first && day <= last;
}

// The Christmas break that ends in January of year y.
static int
in_christmas(int64_t day, int y)
{
	int64_t start = saturday_from(y - 1, 12, 17);
	int64_t jan2 = sim__days_from_civil(y, 1, 2);
	int64_t back = jan2 + (7 - sim__weekday(jan2)) % 7;
	return in_window(day, start, back - 1);
}

static int
is_school_holiday(const sim__local *l)
{
	int y = l->year;
	int64_t day = l->day;
	int64_t s;
	if (in_christmas(day, y) || in_christmas(day, y + 1))
		return 1;
	s = saturday_from(y, 2, 14);
	if (in_window(day, s, s + 15))
		return 1;
	s = saturday_from(y, 4, 11);
	if (in_window(day, s, s + 15))
		return 1;
	s = saturday_from(y, 7, 1);
	if (in_window(day, s, sim__days_from_civil(y, 8, 31)))
		return 1;
	s = saturday_from(y, 10, 17);
	return in_window(day, s, s + 15);
}

sim_day_kind
sim__day_kind(const sim__local *l)
{
	if (l->weekday >= 5)
		return SIM_DAY_WEEKEND;
	if (is_public_holiday(l))
		return SIM_DAY_PUBLIC_HOLIDAY;
	if (is_school_holiday(l))
		return SIM_DAY_SCHOOL_HOLIDAY;
	return l->weekday == 2 ? SIM_DAY_WEDNESDAY : SIM_DAY_SCHOOL;
}

sim_day_kind
sim_day_kind_at(int64_t t_ms)
{
	if (t_ms < SIM_T_MIN_MS)
		t_ms = SIM_T_MIN_MS;
	if (t_ms >= SIM_T_MAX_MS)
		t_ms = SIM_T_MAX_MS - 1;
	sim__local l;
	sim__local_at(t_ms, &l);
	return sim__day_kind(&l);
}
