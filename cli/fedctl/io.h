// SPDX-License-Identifier: MIT
//
// io.h: the files that `fedctl ingest` reads, parsed from a buffer so that a
// fuzzer can drive the parsers: CSV (io_csv.c), SenML JSON (io_senml.c) and
// Enedis exports (io_enedis.c: the customer area's CSV, Data Connect JSON),
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

// 1 with *out set when s is a finite decimal number: [+-]digits[.digits]
// [(e|E)[+-]digits] (no hexadecimal, no inf/nan, no decimal comma).
bool fedctl_decimal(const char *s, double *out);

// The second instant of an offset-less local time whose first instant is
// t, when the clocks go back across it (the same wall time twice); 0 when
// it occurs once.
int64_t fedctl_second_instant(const fed_tz *zone, int64_t t);

// What an Enedis file holds, hence the series it goes to and how its points
// are stamped (an energy point covers [ts, next interval); see
// docs/integrations.md).
typedef enum fedctl_enedis_kind {
	// Load curve: average W over each interval, which Enedis stamps at its
	// end; turned into Wh = W x minutes / 60 stamped at the interval's
	// start (or kept as W at the start with fedctl_enedis_opts.power).
	FEDCTL_ENEDIS_LOAD_CURVE,
	// Daily consumption: Wh per local day, stamped at its local midnight.
	FEDCTL_ENEDIS_DAILY,
	// Daily index: the meter's cumulative Wh (EAS T, all registers) at the
	// stated time, for a cumulative series.
	FEDCTL_ENEDIS_INDEX,
} fedctl_enedis_kind;

// How the Enedis parsers read a file.
typedef struct fedctl_enedis_opts {
	const fed_tz *zone; // local times without offset (Europe/Paris)
	bool skip_bad; // skip and count bad lines/readings instead of failing
	bool power; // load curve: average W instead of Wh per interval
} fedctl_enedis_opts;

// Parses an export of the Enedis customer area (semicolon-separated): the
// line `Identifiant PRM;Type de donnees;...;Unite[;Pas en minutes]`, its
// values (the type: "Courbe de charge", "Consommation quotidienne", "Index";
// the unit: W, Wh, Wh), then `Horodate;Valeur` (or `Horodate;Type de
// releve;...;EAS T` for the index) and one line per time. Times are ISO
// 8601, with an offset or local in o->zone, a local time that occurs twice
// being the first occurrence after the previous line's instant (the autumn
// hour's halves are told apart by their order). An empty value is a gap (no
// point). Times must increase; load-curve lines must be one step apart
// (`Pas en minutes`, else the first two lines' distance): anything else is
// a bad line (mixed interval lengths, or lines missing). A UTF-8 BOM and a
// trailing calendar section of an index file are ignored.
// Returns as fedctl_csv_parse, with *kind set on OK.
fed_status fedctl_enedis_csv_parse(const char *buf, size_t len,
    const fedctl_enedis_opts *o, fedctl_points *out, fedctl_enedis_kind *kind,
    size_t *n_bad, fedctl_parse_err *err);

// Parses a Data Connect reply (metering_data: consumption_load_curve,
// production_load_curve, daily_consumption, daily_production): the object
// `meter_reading` with `reading_type` {measurement_kind "power" (unit W,
// a load curve) or "energy" (unit Wh, daily)} and `interval_reading`, an
// array of {value, date, interval_length}. A load curve's dates are local
// times in o->zone ("2023-10-29 02:30:00") marking the end of an interval
// of interval_length ("PT30M", "PT10M", "PT60M"), told apart by order when
// they occur twice; a daily reply's dates are days ("2023-10-29"). Dates
// must increase; a curve's interval_length must be the same throughout
// (mixed lengths are refused) and readings at least that far apart (a
// longer distance is a gap). err->line is the reading's 1-based index (0:
// the reply itself). Returns as fedctl_csv_parse, with *kind set on OK.
fed_status fedctl_enedis_dc_parse(const char *buf, size_t len,
    const fedctl_enedis_opts *o, fedctl_points *out, fedctl_enedis_kind *kind,
    size_t *n_bad, fedctl_parse_err *err);

#endif // FEDCTL_IO_H
