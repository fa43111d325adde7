// SPDX-License-Identifier: MIT
//
// fed/tz.h: time zones and local calendars, for calendar query steps and for
// showing times to people.
//
// A zone is read from the system's compiled zone files (TZif, Debian's
// tzdata: $TZDIR or /usr/share/zoneinfo), once, and is then immutable, so
// one fed_tz may be shared by any number of threads. Nothing here touches
// the process's TZ or calls localtime(). All instants are UTC milliseconds
// since the Unix epoch; they are clamped to +-8.64e15 ms (JavaScript's Date
// range, years -271821..275760), so no input can overflow. Instants after
// the file's last transition follow the POSIX rule of its footer. Offset
// lookups are a binary search over the transitions.

#ifndef FED_TZ_H
#define FED_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"

typedef struct fed_tz fed_tz;

// Bucket units. Sub-day units are fixed lengths, aligned on the local clock
// (floor of utc + offset, then back to UTC), so that with Europe/Paris an
// hour starts at a local :00; a fall-back day thus has 25 hourly buckets and
// a spring-forward day 23. Where an offset change does not fall on a bucket
// boundary (Lord Howe's 30-minute DST, Chatham's 02:45), a bucket also
// starts at the change, so buckets never overlap. DAY, WEEK (Monday 00:00
// local), MONTH and YEAR follow the local calendar: a local day is 23, 24 or
// 25 hours long; a period starts at the earliest instant its local midnight
// occurs, or, when a change skips that midnight, at the change.
typedef enum fed_tz_unit {
	FED_TZ_5MIN,
	FED_TZ_15MIN,
	FED_TZ_HOUR,
	FED_TZ_DAY,
	FED_TZ_WEEK,
	FED_TZ_MONTH,
	FED_TZ_YEAR,
} fed_tz_unit;

// Loads zone `name` ("Europe/Paris", "UTC"). Returns INVALID_ARGUMENT for a
// name that is empty, absolute, contains "..", or characters outside
// [A-Za-z0-9/_+-] (or with an empty path component); NOT_FOUND when no such
// zone file exists (or it is not a regular file); PERMISSION_DENIED or
// UNAVAILABLE when it cannot be opened; DATA_LOSS for a file that is not
// valid TZif (malformed, truncated, trailing bytes, over 1 MiB);
// UNIMPLEMENTED for a zone with leap seconds ("right/..."); RESOURCE_EXHAUSTED
// when out of memory. Files are read from $TZDIR when set, else
// /usr/share/zoneinfo; "UTC" is built in and needs no file. On OK, *out is
// a new zone owned by the caller (fed_tz_free); otherwise *out is untouched.
// Blocks on file reads; safe to call from any thread.
fed_status fed_tz_load(const char *name, fed_tz **out);

// Frees a zone. NULL does nothing.
void fed_tz_free(fed_tz *tz);

// The zone's name as loaded. Borrowed, valid until fed_tz_free.
const char *fed_tz_name(const fed_tz *tz);

// Offset of local time from UTC at instant utc_ms, in seconds (+3600 for
// Paris in winter, +7200 in summer).
int32_t fed_tz_offset_s(const fed_tz *tz, int64_t utc_ms);

// Start (UTC ms) of the bucket of `unit` that contains utc_ms: always
// floor <= utc_ms < fed_tz_next(floor), and floor(floor) == floor.
int64_t fed_tz_floor(const fed_tz *tz, int64_t utc_ms, fed_tz_unit unit);

// Start (UTC ms) of the bucket that follows the one starting at start_ms
// (start_ms must be a value returned by fed_tz_floor for the same unit).
int64_t fed_tz_next(const fed_tz *tz, int64_t start_ms, fed_tz_unit unit);

// Local broken-down time of utc_ms (proleptic Gregorian calendar).
typedef struct fed_tz_tm {
	int year, month, day; // month 1..12, day 1..31
	int hour, minute, second; // 0..23, 0..59, 0..59
	int millis; // 0..999
	int weekday; // 0 = Monday .. 6 = Sunday
	int32_t offset_s; // the offset in force
} fed_tz_tm;

void fed_tz_localtime(const fed_tz *tz, int64_t utc_ms, fed_tz_tm *out);

// Writes utc_ms as ISO 8601 local time with its offset,
// "2026-03-29T03:00:00+02:00" (with ".123" when millis are not zero; a zero
// offset is written "+00:00"). An offset that is not whole minutes (local
// mean time before 1972) is rounded to the minute and the local time written
// with it, so the text still names utc_ms exactly. Returns INVALID_ARGUMENT
// if buf is too small (32 bytes always suffice), OUT_OF_RANGE when the local
// year is outside 0..9999.
fed_status fed_tz_format_iso(
    const fed_tz *tz, int64_t utc_ms, char *buf, size_t len);

// Parses ISO 8601 with an explicit offset ("2026-03-29T03:00:00+02:00",
// "...Z", optional fractional seconds up to milliseconds, "T" or " " between
// date and time) into UTC ms. The grammar is strict: YYYY-MM-DD, then
// optionally [T ]hh:mm[:ss[.f{1,3}]] and Z or +hh:mm / -hh:mm; nothing else,
// nothing after. A timestamp without an offset is read in
// `tz` when tz is not NULL (the earlier instant when the local time is
// ambiguous; INVALID_ARGUMENT when it does not exist), and is
// INVALID_ARGUMENT when tz is NULL. A date alone ("2026-03-29") is local
// midnight in `tz` (the start of that local day, as FED_TZ_DAY buckets it,
// when a change skips midnight). Years outside 1970..2200 are
// INVALID_ARGUMENT. Every INVALID_ARGUMENT logs, at debug level on
// component "tz", the field at fault. *utc_ms is written only on OK.
fed_status fed_tz_parse_iso(const fed_tz *tz, const char *s, int64_t *utc_ms);

#endif // FED_TZ_H
