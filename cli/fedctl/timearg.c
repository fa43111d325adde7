// SPDX-License-Identifier: MIT
//
// timearg.c: the times of fedctl's command line (--from, --to, CSV
// timestamps without offset): ISO 8601 through fed/tz.h, plus the relative
// forms now/today/yesterday/tomorrow moved by a number of s, m, h (exact
// durations) or d, w (local calendar days, keeping the wall-clock time).
// The grammar is in fedctl.h.

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedctl.h"

#define MAX_SHIFT 100000

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// algorithm), and back.
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (yoe + era * 400 + (*m <= 2));
}

// Moves `base` by `days` local calendar days. A midnight base (today,
// yesterday, tomorrow) lands on the start of the target day; another time
// keeps its wall-clock time, or moves by exact days when that time does not
// exist on the target day.
static fed_status
shift_days(const fed_tz *zone, int64_t base, int64_t days, bool midnight,
    int64_t *out)
{
	fed_tz_tm t;
	fed_tz_localtime(zone, base, &t);
	int y, m, d;
	civil_from_days(
	    days_from_civil(t.year, t.month, t.day) + days, &y, &m, &d);
	char buf[48];
	if (midnight)
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
	else
		snprintf(buf, sizeof(buf),
		    "%04d-%02d-%02dT%02d:%02d:%02d.%03d", y, m, d, t.hour,
		    t.minute, t.second, t.millis);
	if (fed_tz_parse_iso(zone, buf, out) == FED_OK)
		return FED_OK;
	if (midnight)
		return FED_INVALID_ARGUMENT;
	*out = base + days * 86400000;
	return FED_OK;
}

// The base word at the start of s (its length in *len; 0 and the present
// for a string that starts with a sign); INVALID_ARGUMENT otherwise.
static fed_status
parse_base(const fed_tz *zone, const char *s, int64_t now_ms, size_t *len,
    int64_t *base, bool *midnight)
{
	static const char *const words[]
	    = {"now", "today", "yesterday", "tomorrow"};
	int64_t today = fed_tz_floor(zone, now_ms, FED_TZ_DAY);
	int64_t at[]
	    = {now_ms, today, fed_tz_floor(zone, today - 1, FED_TZ_DAY),
	        fed_tz_next(zone, today, FED_TZ_DAY)};
	*midnight = false;
	*len = 0;
	*base = now_ms;
	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(words[i]);
		if (strncmp(s, words[i], n) == 0) {
			*len = n;
			*base = at[i];
			*midnight = i > 0;
			return FED_OK;
		}
	}
	return s[0] == '+' || s[0] == '-' ? FED_OK : FED_INVALID_ARGUMENT;
}

static fed_status
parse_shift(const char *s, int64_t *n, char *unit)
{
	if (s[0] != '+' && s[0] != '-')
		return FED_INVALID_ARGUMENT;
	if (!isdigit((unsigned char) s[1]))
		return FED_INVALID_ARGUMENT;
	char *end = NULL;
	long long v = strtoll(s + 1, &end, 10);
	if (v > MAX_SHIFT || end[0] == '\0' || end[1] != '\0'
	    || strchr("smhdw", end[0]) == NULL)
		return FED_INVALID_ARGUMENT;
	*n = s[0] == '-' ? -v : v;
	*unit = end[0];
	return FED_OK;
}

fed_status
fedctl_time_parse(
    const fed_tz *zone, const char *s, int64_t now_ms, int64_t *out)
{
	if (s == NULL || s[0] == '\0')
		return FED_INVALID_ARGUMENT;
	if (isdigit((unsigned char) s[0]))
		return fed_tz_parse_iso(zone, s, out);
	size_t len;
	int64_t base;
	bool midnight;
	FED_TRY(parse_base(zone, s, now_ms, &len, &base, &midnight));
	if (s[len] == '\0') {
		*out = base;
		return FED_OK;
	}
	int64_t n;
	char unit;
	FED_TRY(parse_shift(s + len, &n, &unit));
	switch (unit) {
	case 's':
		*out = base + n * 1000;
		return FED_OK;
	case 'm':
		*out = base + n * 60000;
		return FED_OK;
	case 'h':
		*out = base + n * 3600000;
		return FED_OK;
	case 'd':
		return shift_days(zone, base, n, midnight, out);
	default:
		return shift_days(zone, base, n * 7, midnight, out);
	}
}
