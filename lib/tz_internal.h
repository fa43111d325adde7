// SPDX-License-Identifier: MIT
//
// tz_internal.h: what tz.c (zones, calendars, ISO 8601) and tzif.c (the
// TZif file format and its POSIX TZ footer) share: the zone structure and
// the proleptic Gregorian day arithmetic (Howard Hinnant's days_from_civil
// and civil_from_days), which both need and which touch no global state.

#ifndef FED_TZ_INTERNAL_H
#define FED_TZ_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fed/tz.h"

// Offsets are bounded as RFC 8536 asks (-25 h < utoff < 26 h); tz.c's search
// window around a local time must exceed the largest one.
#define FED__TZ_UTOFF_MIN (-89999)
#define FED__TZ_UTOFF_MAX 93599

// One end of the daylight-saving period of a POSIX TZ rule.
typedef struct rule_date {
	char kind; // 'J' (1..365, no Feb 29), 'n' (0..365), 'M'
	int day; // J and n: the day; M: the weekday, 0 = Sunday
	int month; // M only, 1..12
	int week; // M only, 1..5 (5: the last)
	int32_t time_s; // local time of day, -167 h .. 167 h
} rule_date;

// The TZ string of the footer: standard offset, and optionally a
// daylight-saving offset with the dates between which it applies.
typedef struct tz_rule {
	int32_t std_off;
	int32_t dst_off;
	bool has_dst;
	rule_date start; // in local standard time
	rule_date end; // in local daylight time
} tz_rule;

struct fed_tz {
	char *name;
	size_t n_trans;
	int64_t *trans_s; // ascending transition instants, UTC seconds
	int32_t *trans_off; // offset that starts at each transition
	int32_t off_before; // offset before the first transition
	bool has_rule;
	tz_rule rule; // after the last transition (always, without any)
};

// A new empty zone (no transitions, offset 0) named `name` (copied), or
// NULL when out of memory. Freed with fed_tz_free.
fed_tz *fed__tz_new(const char *name);

// Parses a whole TZif file held in buf[0..len): versions 1 to 4, the 64-bit
// block when there is one, the footer's POSIX TZ rule, which is expanded
// into the transition table up to year 2300. Returns DATA_LOSS for anything
// malformed or truncated (bad magic or version, inconsistent counts, types
// out of range, transitions not ascending, bad footer, trailing bytes),
// UNIMPLEMENTED for leap-second data, RESOURCE_EXHAUSTED when out of memory.
// Reads nothing outside the buffer, whatever its content (a fuzz target).
// On OK, *out is a new zone named `name`, owned by the caller (fed_tz_free);
// otherwise *out is untouched.
fed_status fed__tz_parse_tzif(
    const uint8_t *buf, size_t len, const char *name, fed_tz **out);

// The offset (seconds east) that rule r gives at UTC second t_s.
int32_t fed__tz_rule_offset(const tz_rule *r, int64_t t_s);

static inline int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline int64_t
floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12).
static inline int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static inline void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static inline bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static inline int
days_in_month(int64_t y, int m)
{
	static const int len[]
	    = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

#endif // FED_TZ_INTERNAL_H
