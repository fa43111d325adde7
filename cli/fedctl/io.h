// SPDX-License-Identifier: MIT
//
// io.h: the files that `fedctl ingest` reads, parsed from a buffer so that a
// fuzzer can drive the parsers: CSV (io_csv.c) and SenML JSON (io_senml.c),
// into a growing list of points.
//
// Either the whole input is accepted, or the first bad line/record is
// reported (its number and why) and nothing is kept; with skip_bad, bad
// lines are counted in *n_bad and skipped instead.

#ifndef FEDCTL_IO_H
#define FEDCTL_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"
#include "fed/tz.h"

// Points in input order; both arrays have n entries.
typedef struct fedctl_points {
	int64_t *ts_ms;
	double *value;
	size_t n, cap;
} fedctl_points;

// Where parsing stopped: line (CSV, 1-based) or record (SenML, 1-based)
// and why.
typedef struct fedctl_parse_err {
	size_t line;
	char msg[200];
} fedctl_parse_err;

// Appends one point. RESOURCE_EXHAUSTED when memory runs out.
fed_status fedctl_points_push(fedctl_points *p, int64_t ts_ms, double value);

// Frees the arrays and empties p. Safe on a zeroed struct.
void fedctl_points_fini(fedctl_points *p);

// Which instant an offset-less local time that occurs twice (the hour the
// clocks go back) stands for.
typedef enum fedctl_ambiguous {
	FEDCTL_AMBIGUOUS_REFUSE, // a bad line: the file must say (an offset)
	FEDCTL_AMBIGUOUS_EARLIER, // the first occurrence (summer time)
	FEDCTL_AMBIGUOUS_LATER, // the second (winter time)
} fedctl_ambiguous;

// How fedctl_csv_parse reads a file.
typedef struct fedctl_csv_opts {
	const fed_tz *zone; // the zone of timestamps without an offset
	bool skip_bad; // skip and count bad lines instead of failing
	fedctl_ambiguous ambiguous;
} fedctl_csv_opts;

// Parses CSV `timestamp,value` lines from buf[0..len) (no NUL needed):
// LF or CRLF line ends; blank lines and lines starting with '#' ignored; a
// first line where neither the timestamp nor the value parses
// is a header; fields may be
// "quoted". Timestamps are ISO 8601 (fed_tz_parse_iso); those without an
// offset are local time in o->zone: one that does not exist there (the
// hour the clocks skip) is a bad line saying so, one that occurs twice is
// taken as o->ambiguous says. Values are finite decimal numbers (digits,
// a point, an exponent: no hexadecimal, no decimal comma).
// Returns OK with the points appended to *out; INVALID_ARGUMENT with err
// set (and *out unchanged) for a bad line when !o->skip_bad;
// RESOURCE_EXHAUSTED. *n_bad counts the lines skipped. Lines over 1023
// bytes are bad.
fed_status fedctl_csv_parse(const char *buf, size_t len,
    const fedctl_csv_opts *o, fedctl_points *out, size_t *n_bad,
    fedctl_parse_err *err);

// Parses a SenML pack (RFC 8428, JSON) from buf[0..len): a JSON array of
// records with the base fields bn, bt, bu, bv and n, t, u, v. Each record
// needs a numeric v (bv added); its time is bt + t in seconds (a time
// below 2^28 is relative to now_ms, as the RFC says), kept to the
// millisecond. Every record must resolve to the same name (bn + n); that
// name is written to name (at most name_len - 1 bytes, name_len >= 1;
// may be empty). A
// record's unit (u, else bu) must be `unit` when unit is not NULL.
// Returns as fedctl_csv_parse, err->line being the record's 1-based index
// (0 when the pack itself is not a JSON array).
fed_status fedctl_senml_parse(const char *buf, size_t len, int64_t now_ms,
    const char *unit, bool skip_bad, fedctl_points *out, size_t *n_bad,
    char *name, size_t name_len, fedctl_parse_err *err);

#endif // FEDCTL_IO_H
