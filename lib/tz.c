// SPDX-License-Identifier: MIT
//
// tz.c: time zones (loading by name, offsets), the local-calendar
// arithmetic of query buckets, and ISO 8601 text. The file format is
// tzif.c's business.
//
// A zone is a sorted array of transition instants with the UTC offset that
// each one starts, the offset in force before the first one, and the footer
// rule for instants after the table. An offset lookup is a binary search.
// Calendar arithmetic is done on day numbers (tz_internal.h), so no libc
// time function (localtime, mktime, TZ) is involved and nothing here has
// global state.
//
// Local to UTC conversion tries the offsets found a day on either side of
// the local time; when none fits, the local time falls in a gap and the
// transition that skips it is found by bisection on whole seconds.

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fed/log.h"
#include "tz_internal.h"

#define SEC_MS  INT64_C(1000)
#define MIN_MS  (60 * SEC_MS)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS  (24 * HOUR_MS)
#define DAY_S   INT64_C(86400)

// Instants are clamped to JavaScript's Date range so that adding offsets,
// windows and steps can never overflow int64.
#define LIMIT_MS INT64_C(8640000000000000)

// The search window around a local time exceeds the largest offset.
#define WINDOW_MS (26 * HOUR_MS)
_Static_assert(WINDOW_MS > FED__TZ_UTOFF_MAX * SEC_MS
        && WINDOW_MS > -FED__TZ_UTOFF_MIN * SEC_MS,
    "the local-time search window must exceed every offset");

#define NAME_MAX_LEN  255
#define FILE_MAX_LEN  (1024 * 1024)
#define DEFAULT_TZDIR "/usr/share/zoneinfo"

static int64_t
clamp_ms(int64_t t)
{
	return t < -LIMIT_MS ? -LIMIT_MS : (t > LIMIT_MS ? LIMIT_MS : t);
}

// 0 = Monday .. 6 = Sunday; day 0 was a Thursday.
static int
weekday_monday0(int64_t days)
{
	return (int) floor_mod(days + 3, 7);
}

// --- loading ---

fed_tz *
fed__tz_new(const char *name)
{
	fed_tz *tz = calloc(1, sizeof(*tz));
	if (tz == NULL)
		return NULL;
	tz->name = strdup(name);
	if (tz->name == NULL) {
		free(tz);
		return NULL;
	}
	return tz;
}

static bool
valid_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > NAME_MAX_LEN || name[0] == '/' || name[n - 1] == '/')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')
		    || (ch >= '0' && ch <= '9') || ch == '_' || ch == '+'
		    || ch == '-' || (ch == '/' && name[i + 1] != '/');
		if (!ok)
			return false;
	}
	return true;
}

static fed_status
open_error(int err)
{
	if (err == ENOENT || err == ENOTDIR)
		return FED_NOT_FOUND;
	return err == EACCES ? FED_PERMISSION_DENIED : FED_UNAVAILABLE;
}

// Reads a regular file of at most FILE_MAX_LEN bytes into a heap buffer.
static fed_status
read_file(const char *path, uint8_t **out, size_t *out_len)
{
	fed_status st = FED_DATA_LOSS;
	uint8_t *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return open_error(errno);
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		st = FED_NOT_FOUND;
		goto out;
	}
	if (sb.st_size > FILE_MAX_LEN)
		goto out;
	size_t len = (size_t) sb.st_size, got = 0;
	if ((buf = malloc(len + 1)) == NULL) {
		st = FED_RESOURCE_EXHAUSTED;
		goto out;
	}
	ssize_t n;
	while (got < len + 1 && (n = read(fd, buf + got, len + 1 - got)) > 0)
		got += (size_t) n;
	// A file that changed size while read is not trusted.
	if (got != len)
		goto out;
	*out = buf;
	*out_len = len;
	buf = NULL;
	st = FED_OK;
out:
	free(buf);
	close(fd);
	return st;
}

static fed_status
load_utc(fed_tz **out)
{
	fed_tz *tz = fed__tz_new("UTC");
	if (tz == NULL)
		return FED_RESOURCE_EXHAUSTED;
	*out = tz;
	return FED_OK;
}

fed_status
fed_tz_load(const char *name, fed_tz **out)
{
	if (name == NULL || !valid_name(name)) {
		fed_log(FED_LOG_DEBUG, "tz",
		    "invalid zone name: empty, absolute, too long, or not "
		    "[A-Za-z0-9/_+-] path components");
		return FED_INVALID_ARGUMENT;
	}
	if (strcmp(name, "UTC") == 0)
		return load_utc(out);
	const char *dir = getenv("TZDIR");
	if (dir == NULL || dir[0] == '\0')
		dir = DEFAULT_TZDIR;
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);
	if (path == NULL)
		return FED_RESOURCE_EXHAUSTED;
	snprintf(path, n, "%s/%s", dir, name);
	uint8_t *buf = NULL;
	size_t len = 0;
	fed_status st = read_file(path, &buf, &len);
	if (st == FED_OK)
		st = fed__tz_parse_tzif(buf, len, name, out);
	else
		fed_log(FED_LOG_DEBUG, "tz", "zone %s: cannot read %s: %s",
		    name, path, fed_status_name(st));
	free(buf);
	free(path);
	return st;
}

void
fed_tz_free(fed_tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->trans_s);
	free(tz->trans_off);
	free(tz->name);
	free(tz);
}

const char *
fed_tz_name(const fed_tz *tz)
{
	return tz->name;
}

// --- offsets and conversions ---

static int32_t
offset_at_s(const fed_tz *tz, int64_t t_s)
{
	size_t n = tz->n_trans;
	if (n == 0 || t_s < tz->trans_s[0])
		return n == 0 && tz->has_rule
		    ? fed__tz_rule_offset(&tz->rule, t_s)
		    : tz->off_before;
	if (t_s > tz->trans_s[n - 1] && tz->has_rule)
		return fed__tz_rule_offset(&tz->rule, t_s);
	// Largest i with trans_s[i] <= t_s.
	size_t lo = 0, hi = n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->trans_s[mid] <= t_s)
			lo = mid;
		else
			hi = mid;
	}
	return tz->trans_off[lo];
}

static int64_t
offset_ms(const fed_tz *tz, int64_t t_ms)
{
	return offset_at_s(tz, floor_div(t_ms, SEC_MS)) * SEC_MS;
}

int32_t
fed_tz_offset_s(const fed_tz *tz, int64_t utc_ms)
{
	return offset_at_s(tz, floor_div(clamp_ms(utc_ms), SEC_MS));
}

// Smallest second in (lo_s, hi_s] with the offset in force at hi_s, when
// the offset differs at lo_s: the transition between them.
static int64_t
transition_s(const fed_tz *tz, int64_t lo_s, int64_t hi_s)
{
	int32_t target = offset_at_s(tz, hi_s);
	while (hi_s - lo_s > 1) {
		int64_t mid = lo_s + (hi_s - lo_s) / 2;
		if (offset_at_s(tz, mid) == target)
			hi_s = mid;
		else
			lo_s = mid;
	}
	return hi_s;
}

// Smallest second in (lo_s, hi_s] whose local time is after local_ms, when
// local time at lo_s is before it and at hi_s after: the end of a gap.
static int64_t
gap_end_s(const fed_tz *tz, int64_t lo_s, int64_t hi_s, int64_t local_ms)
{
	while (hi_s - lo_s > 1) {
		int64_t mid = lo_s + (hi_s - lo_s) / 2;
		if ((mid + offset_at_s(tz, mid)) * SEC_MS > local_ms)
			hi_s = mid;
		else
			lo_s = mid;
	}
	return hi_s;
}

static bool
contains(const int64_t *v, int n, int64_t x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

// The distinct offsets local_ms may have been read with: those in force a
// window before and after it, and at the instants these map it to. When
// local_ms exists, one of them is right unless more than two changes fall
// within the window.
static int
candidate_offsets(const fed_tz *tz, int64_t local_ms, int64_t cand[4])
{
	int64_t before = offset_ms(tz, local_ms - WINDOW_MS);
	int64_t after = offset_ms(tz, local_ms + WINDOW_MS);
	int64_t all[4] = {before, after, offset_ms(tz, local_ms - before),
	    offset_ms(tz, local_ms - after)};
	int n = 0;
	for (int i = 0; i < 4; i++)
		if (!contains(cand, n, all[i]))
			cand[n++] = all[i];
	return n;
}

// The earliest UTC instant whose local time is local_ms. Returns false when
// local_ms is skipped by a transition, with *utc_ms the instant it ends.
static bool
local_to_utc(const fed_tz *tz, int64_t local_ms, int64_t *utc_ms)
{
	int64_t cand[4];
	int n = candidate_offsets(tz, local_ms, cand);
	bool found = false;
	for (int i = 0; i < n; i++) {
		int64_t u = local_ms - cand[i];
		if (offset_ms(tz, u) == cand[i] && (!found || u < *utc_ms)) {
			*utc_ms = u;
			found = true;
		}
	}
	if (found)
		return true;
	int64_t lo = floor_div(local_ms - WINDOW_MS, SEC_MS);
	int64_t hi = floor_div(local_ms + WINDOW_MS, SEC_MS);
	*utc_ms = gap_end_s(tz, lo, hi, local_ms) * SEC_MS;
	return false;
}

// Start of the local day `day`: its midnight, or the end of the gap that
// skips it.
static int64_t
day_start(const fed_tz *tz, int64_t day)
{
	int64_t utc;
	local_to_utc(tz, day * DAY_MS, &utc);
	return utc;
}

static int64_t
local_day(const fed_tz *tz, int64_t utc_ms)
{
	return floor_div(utc_ms + offset_ms(tz, utc_ms), DAY_MS);
}

// --- buckets ---

static int64_t
unit_step_ms(fed_tz_unit unit)
{
	switch (unit) {
	case FED_TZ_5MIN:
		return 5 * MIN_MS;
	case FED_TZ_15MIN:
		return 15 * MIN_MS;
	case FED_TZ_HOUR:
		return HOUR_MS;
	default:
		return 0;
	}
}

// First local day of the calendar period holding `day`.
static int64_t
period_first_day(int64_t day, fed_tz_unit unit)
{
	int64_t y;
	int m, d;
	if (unit == FED_TZ_DAY)
		return day;
	if (unit == FED_TZ_WEEK)
		return day - weekday_monday0(day);
	civil_from_days(day, &y, &m, &d);
	return days_from_civil(y, unit == FED_TZ_MONTH ? m : 1, 1);
}

// First local day of the period after the one starting on `first`.
static int64_t
period_next_day(int64_t first, fed_tz_unit unit)
{
	int64_t y;
	int m, d;
	if (unit == FED_TZ_DAY)
		return first + 1;
	if (unit == FED_TZ_WEEK)
		return first + 7;
	civil_from_days(first, &y, &m, &d);
	if (unit == FED_TZ_YEAR)
		return days_from_civil(y + 1, 1, 1);
	return m == 12 ? days_from_civil(y + 1, 1, 1)
	               : days_from_civil(y, m + 1, 1);
}

// Fixed-length bucket on the local clock, read with the offset in force at
// t. When that offset starts inside the bucket (a change that is not a
// whole number of steps), the bucket starts at the change.
static int64_t
floor_fixed(const fed_tz *tz, int64_t t, int64_t step)
{
	int64_t off = offset_ms(tz, t);
	int64_t start = floor_div(t + off, step) * step - off;
	if (offset_ms(tz, start) != off)
		start = transition_s(
		            tz, floor_div(start, SEC_MS), floor_div(t, SEC_MS))
		    * SEC_MS;
	return start;
}

// The bucket after the one starting at s ends at the next aligned local
// time, unless the offset changes before: a change inside a bucket starts
// a new one (see floor_fixed).
static int64_t
next_fixed(const fed_tz *tz, int64_t s, int64_t step)
{
	int64_t off = offset_ms(tz, s);
	int64_t end = floor_div(s + off, step) * step + step - off;
	int64_t s_s = floor_div(s, SEC_MS),
	        last_s = floor_div(end - 1, SEC_MS);
	if (offset_at_s(tz, last_s) != off / SEC_MS)
		return transition_s(tz, s_s, last_s) * SEC_MS;
	return end;
}

// A local period starts at the earliest instant its first day begins, so
// around a fall-back across midnight an instant still showing the old date
// may already belong to the next period.
static int64_t
floor_calendar(const fed_tz *tz, int64_t t, fed_tz_unit unit)
{
	int64_t first = period_first_day(local_day(tz, t), unit);
	int64_t next = day_start(tz, period_next_day(first, unit));
	return t >= next ? next : day_start(tz, first);
}

int64_t
fed_tz_floor(const fed_tz *tz, int64_t utc_ms, fed_tz_unit unit)
{
	assert(unit >= FED_TZ_5MIN && unit <= FED_TZ_YEAR);
	int64_t t = clamp_ms(utc_ms);
	int64_t step = unit_step_ms(unit);
	return step != 0 ? floor_fixed(tz, t, step)
	                 : floor_calendar(tz, t, unit);
}

int64_t
fed_tz_next(const fed_tz *tz, int64_t start_ms, fed_tz_unit unit)
{
	assert(unit >= FED_TZ_5MIN && unit <= FED_TZ_YEAR);
	int64_t s = clamp_ms(start_ms);
	int64_t step = unit_step_ms(unit);
	if (step != 0)
		return next_fixed(tz, s, step);
	int64_t first = period_first_day(local_day(tz, s), unit);
	return day_start(tz, period_next_day(first, unit));
}

// --- broken-down time and ISO 8601 ---

// Fills every field but offset_s from a local time in ms.
static void
split_local(int64_t local_ms, fed_tz_tm *out)
{
	int64_t day = floor_div(local_ms, DAY_MS);
	int64_t ms = floor_mod(local_ms, DAY_MS);
	int64_t y;
	civil_from_days(day, &y, &out->month, &out->day);
	out->year = (int) y;
	out->hour = (int) (ms / HOUR_MS);
	out->minute = (int) (ms / MIN_MS % 60);
	out->second = (int) (ms / SEC_MS % 60);
	out->millis = (int) (ms % SEC_MS);
	out->weekday = weekday_monday0(day);
}

void
fed_tz_localtime(const fed_tz *tz, int64_t utc_ms, fed_tz_tm *out)
{
	int64_t t = clamp_ms(utc_ms);
	out->offset_s = offset_at_s(tz, floor_div(t, SEC_MS));
	split_local(t + out->offset_s * SEC_MS, out);
}

fed_status
fed_tz_format_iso(const fed_tz *tz, int64_t utc_ms, char *buf, size_t len)
{
	int64_t t = clamp_ms(utc_ms);
	// ISO 8601 offsets are whole minutes: an offset with seconds (local
	// mean time, before 1972) is rounded, and the local time written
	// follows it, so that the text still names the same instant.
	int32_t off = offset_at_s(tz, floor_div(t, SEC_MS));
	int32_t off_min = (int32_t) floor_div(off + 30, 60);
	fed_tz_tm tm;
	split_local(t + off_min * MIN_MS, &tm);
	if (tm.year < 0 || tm.year > 9999)
		return FED_OUT_OF_RANGE;
	char frac[8] = "";
	if (tm.millis != 0)
		snprintf(frac, sizeof(frac), ".%03d", tm.millis);
	int abs_min = off_min < 0 ? -off_min : off_min;
	int n
	    = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%s%c%02d:%02d",
	        tm.year, tm.month, tm.day, tm.hour, tm.minute, tm.second, frac,
	        off_min < 0 ? '-' : '+', abs_min / 60, abs_min % 60);
	if (n < 0 || (size_t) n >= len)
		return FED_INVALID_ARGUMENT;
	return FED_OK;
}

// Exactly n decimal digits.
static const char *
fixed_digits(const char *p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return NULL;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return p + n;
}

// Fields of an ISO 8601 timestamp as written.
typedef struct iso_fields {
	int year, month, day, hour, minute, second, millis;
	bool has_time, has_offset;
	int32_t offset_s;
} iso_fields;

static fed_status
iso_error(const char *s, const char *field)
{
	fed_log(FED_LOG_DEBUG, "tz", "bad ISO 8601 timestamp \"%.40s\": %s", s,
	    field);
	return FED_INVALID_ARGUMENT;
}

static const char *
parse_iso_date(const char *p, iso_fields *f, const char **field)
{
	*field = "year";
	if ((p = fixed_digits(p, 4, &f->year)) == NULL || *p != '-'
	    || f->year < 1970 || f->year > 2200)
		return NULL;
	*field = "month";
	if ((p = fixed_digits(p + 1, 2, &f->month)) == NULL || *p != '-'
	    || f->month < 1 || f->month > 12)
		return NULL;
	*field = "day";
	p = fixed_digits(p + 1, 2, &f->day);
	if (p == NULL || f->day < 1
	    || f->day > days_in_month(f->year, f->month))
		return NULL;
	return p;
}

// ".d", ".dd" or ".ddd" after the seconds, as milliseconds.
static const char *
parse_iso_fraction(const char *p, int *millis)
{
	int n = 0, v = 0;
	while (p[n] >= '0' && p[n] <= '9' && n < 4)
		v = v * 10 + (p[n++] - '0');
	if (n == 0 || n > 3)
		return NULL;
	for (int i = n; i < 3; i++)
		v *= 10;
	*millis = v;
	return p + n;
}

static const char *
parse_iso_time(const char *p, iso_fields *f, const char **field)
{
	*field = "hour";
	if ((p = fixed_digits(p, 2, &f->hour)) == NULL || *p != ':'
	    || f->hour > 23)
		return NULL;
	*field = "minute";
	if ((p = fixed_digits(p + 1, 2, &f->minute)) == NULL || f->minute > 59)
		return NULL;
	if (*p != ':')
		return p;
	*field = "second";
	if ((p = fixed_digits(p + 1, 2, &f->second)) == NULL || f->second > 59)
		return NULL;
	*field = "fraction of second";
	if (*p == '.')
		p = parse_iso_fraction(p + 1, &f->millis);
	return p;
}

static const char *
parse_iso_offset(const char *p, iso_fields *f, const char **field)
{
	int h, m;
	*field = "offset";
	if (*p == 'Z') {
		f->has_offset = true;
		return p + 1;
	}
	if (*p != '+' && *p != '-')
		return p;
	int sign = *p == '-' ? -1 : 1;
	const char *q = fixed_digits(p + 1, 2, &h);
	if (q == NULL || *q != ':' || h > 23)
		return NULL;
	if ((q = fixed_digits(q + 1, 2, &m)) == NULL || m > 59)
		return NULL;
	f->has_offset = true;
	f->offset_s = sign * (h * 3600 + m * 60);
	return q;
}

static fed_status
parse_iso_fields(const char *s, iso_fields *f)
{
	const char *field;
	const char *p = parse_iso_date(s, f, &field);
	if (p == NULL)
		return iso_error(s, field);
	if (*p == 'T' || *p == ' ') {
		f->has_time = true;
		if ((p = parse_iso_time(p + 1, f, &field)) == NULL)
			return iso_error(s, field);
		if ((p = parse_iso_offset(p, f, &field)) == NULL)
			return iso_error(s, field);
	}
	if (*p != '\0')
		return iso_error(s, "trailing characters");
	return FED_OK;
}

fed_status
fed_tz_parse_iso(const fed_tz *tz, const char *s, int64_t *utc_ms)
{
	iso_fields f = {0};
	if (s == NULL)
		return iso_error("", "no text (NULL)");
	FED_TRY(parse_iso_fields(s, &f));
	int64_t day = days_from_civil(f.year, f.month, f.day);
	int64_t local = day * DAY_MS + f.hour * HOUR_MS + f.minute * MIN_MS
	    + f.second * SEC_MS + f.millis;
	if (f.has_offset) {
		*utc_ms = local - f.offset_s * SEC_MS;
		return FED_OK;
	}
	if (tz == NULL)
		return iso_error(
		    s, "offset (no zone to read a local time in)");
	if (!f.has_time) {
		*utc_ms = day_start(tz, day);
		return FED_OK;
	}
	int64_t utc;
	if (!local_to_utc(tz, local, &utc))
		return iso_error(s, "local time skipped by a clock change");
	*utc_ms = utc;
	return FED_OK;
}
