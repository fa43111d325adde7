// SPDX-License-Identifier: MIT
//
// io_csv.c: points of one series from CSV `timestamp,value` text, and the
// list that holds them. Strict on content (one timestamp with its offset or
// a zone, never a local time that does not exist or, unless told, occurs
// twice; one finite decimal number), lenient on form (CRLF, quotes,
// spaces, a header, comments), and each refusal says what is wrong.

#include "io.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 1024

fed_status
fedctl_points_push(fedctl_points *p, int64_t ts_ms, double value)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		int64_t *t = realloc(p->ts_ms, cap * sizeof(*t));
		if (t == NULL)
			return FED_RESOURCE_EXHAUSTED;
		p->ts_ms = t;
		double *v = realloc(p->value, cap * sizeof(*v));
		if (v == NULL)
			return FED_RESOURCE_EXHAUSTED;
		p->value = v;
		p->cap = cap;
	}
	p->ts_ms[p->n] = ts_ms;
	p->value[p->n++] = value;
	return FED_OK;
}

void
fedctl_points_fini(fedctl_points *p)
{
	free(p->ts_ms);
	free(p->value);
	memset(p, 0, sizeof(*p));
}

static fed_status bad(fedctl_parse_err *err, size_t line, const char *fmt, ...)
    FED__PRINTF(3, 4);

static fed_status
bad(fedctl_parse_err *err, size_t line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err->line = line;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return FED_INVALID_ARGUMENT;
}

// Trims spaces, in place.
static char *
trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

// Trims spaces and one pair of surrounding double quotes, in place.
static char *
unwrap(char *s)
{
	s = trim(s);
	char *e = s + strlen(s);
	if (e - s >= 2 && s[0] == '"' && e[-1] == '"') {
		e[-1] = '\0';
		s++;
	}
	return s;
}

// 1 when s is a decimal number: [+-]digits[.digits][(e|E)[+-]digits],
// with at least one digit before the exponent. strtod also takes
// hexadecimal ("0x10", "0x1p3"), "inf" and "nan": none is a meter value.
static bool
is_decimal(const char *s)
{
	size_t i = s[0] == '+' || s[0] == '-';
	size_t digits = strspn(s + i, "0123456789");
	i += digits;
	if (s[i] == '.') {
		size_t frac = strspn(s + i + 1, "0123456789");
		digits += frac;
		i += 1 + frac;
	}
	if (digits == 0)
		return false;
	if (s[i] == 'e' || s[i] == 'E') {
		i += 1 + (s[i + 1] == '+' || s[i + 1] == '-');
		size_t exp = strspn(s + i, "0123456789");
		if (exp == 0)
			return false;
		i += exp;
	}
	return s[i] == '\0';
}

bool
fedctl_decimal(const char *s, double *out)
{
	if (!is_decimal(s))
		return false;
	double v = strtod(s, NULL);
	if (!isfinite(v))
		return false;
	*out = v;
	return true;
}

static bool
parse_value(const char *s, double *out)
{
	return fedctl_decimal(s, out);
}

// Why value text is not a number, for the line's message.
static fed_status
bad_value(fedctl_parse_err *err, size_t lineno, const char *val)
{
	if (strchr(val, ',') != NULL)
		return bad(err, lineno,
		    "value '%.60s' has a decimal comma: write a point "
		    "(1.5, not 1,5)",
		    val);
	if (strchr(val, 'x') != NULL || strchr(val, 'X') != NULL)
		return bad(err, lineno,
		    "value '%.60s' is not decimal (hexadecimal is not "
		    "accepted)",
		    val);
	return bad(
	    err, lineno, "value '%.60s' is not a finite decimal number", val);
}

// The second instant of an offset-less local time whose first instant is
// t, when the clocks go back across it (the same wall time twice); 0 when
// it occurs once.
int64_t
fedctl_second_instant(const fed_tz *zone, int64_t t)
{
	int32_t before = fed_tz_offset_s(zone, t);
	int32_t after = fed_tz_offset_s(zone, t + 3 * INT64_C(3600000));
	if (after >= before)
		return 0;
	int64_t t2 = t + (int64_t) (before - after) * 1000;
	fed_tz_tm a, b;
	fed_tz_localtime(zone, t, &a);
	fed_tz_localtime(zone, t2, &b);
	return a.day == b.day && a.hour == b.hour && a.minute == b.minute
	        && a.second == b.second && a.millis == b.millis
	    ? t2
	    : 0;
}

// Timestamp text into *ts: with its offset, or as local time in o->zone.
static fed_status
parse_time(const fedctl_csv_opts *o, const char *t, size_t lineno, int64_t *ts,
    fedctl_parse_err *err)
{
	int64_t utc = 0;
	int has_offset = fed_tz_parse_iso(NULL, t, &utc) == FED_OK;
	if (fed_tz_parse_iso(o->zone, t, ts) != FED_OK) {
		fed_tz *u = NULL;
		int exists_in_utc = fed_tz_load("UTC", &u) == FED_OK
		    && fed_tz_parse_iso(u, t, &utc) == FED_OK;
		fed_tz_free(u);
		if (exists_in_utc) // well formed: not a time of this zone
			return bad(err, lineno,
			    "local time '%.60s' does not exist in %s (the "
			    "clocks skip it); give its offset",
			    t, fed_tz_name(o->zone));
		return bad(err, lineno,
		    "timestamp '%.60s' is not ISO 8601 (e.g. "
		    "2026-03-29T03:00:00+02:00)",
		    t);
	}
	int64_t later = has_offset ? 0 : fedctl_second_instant(o->zone, *ts);
	if (later == 0 || o->ambiguous == FEDCTL_AMBIGUOUS_EARLIER)
		return FED_OK;
	if (o->ambiguous == FEDCTL_AMBIGUOUS_LATER) {
		*ts = later;
		return FED_OK;
	}
	return bad(err, lineno,
	    "local time '%.60s' occurs twice in %s (the clocks go back): give "
	    "its offset, or --ambiguous earlier|later",
	    t, fed_tz_name(o->zone));
}

// Splits "timestamp,value" at its first comma outside double quotes.
static char *
split_fields(char *s)
{
	int quoted = 0;
	for (char *p = s; *p != '\0'; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == ',' && !quoted) {
			*p = '\0';
			return p + 1;
		}
	}
	return NULL;
}

// One line (NUL-terminated copy, line end removed). Returns OK with a
// point, FED_NOT_FOUND for a blank or comment line or the header (a first
// line where neither field parses), INVALID_ARGUMENT with err set for a bad
// line. *first turns false at the first line that is not blank.
static fed_status
parse_line(char *line, size_t lineno, bool *first, const fedctl_csv_opts *o,
    int64_t *ts, double *v, fedctl_parse_err *err)
{
	char *s = trim(line);
	if (s[0] == '\0' || s[0] == '#')
		return FED_NOT_FOUND;
	bool first_line = *first;
	*first = false;
	char *rest = split_fields(s);
	if (rest == NULL)
		return bad(err, lineno, "expected timestamp,value (no comma)");
	char *t = unwrap(s);
	char *more = split_fields(rest);
	char *val = unwrap(rest);
	// A header: the first line, its value not a number.
	if (first_line && !parse_value(val, v)
	    && fed_tz_parse_iso(o->zone, t, ts) != FED_OK)
		return FED_NOT_FOUND;
	FED_TRY(parse_time(o, t, lineno, ts, err));
	if (more != NULL)
		return bad(err, lineno,
		    "more than two fields (a decimal comma? quote the value "
		    "and write 1.5, not 1,5)");
	if (!parse_value(val, v))
		return bad_value(err, lineno, val);
	return FED_OK;
}

// The line at buf[pos..], parsed; *next is the start of the next line.
static fed_status
read_line(const char *buf, size_t len, size_t pos, size_t lineno, bool *first,
    const fedctl_csv_opts *o, int64_t *ts, double *v, size_t *next,
    fedctl_parse_err *err)
{
	const char *nl = memchr(buf + pos, '\n', len - pos);
	size_t end = nl != NULL ? (size_t) (nl - buf) : len;
	size_t n = end - pos;
	*next = end + 1;
	if (n > 0 && buf[end - 1] == '\r')
		n--;
	if (n >= MAX_LINE)
		return bad(
		    err, lineno, "line longer than %d bytes", MAX_LINE - 1);
	if (memchr(buf + pos, '\0', n) != NULL)
		return bad(err, lineno, "a NUL byte");
	char line[MAX_LINE];
	memcpy(line, buf + pos, n);
	line[n] = '\0';
	return parse_line(line, lineno, first, o, ts, v, err);
}

fed_status
fedctl_csv_parse(const char *buf, size_t len, const fedctl_csv_opts *o,
    fedctl_points *out, size_t *n_bad, fedctl_parse_err *err)
{
	size_t n0 = out->n, lineno = 0;
	bool first = true;
	*n_bad = 0;
	for (size_t pos = 0; pos < len;) {
		int64_t ts = 0;
		double v = 0;
		fed_status st = read_line(
		    buf, len, pos, ++lineno, &first, o, &ts, &v, &pos, err);
		if (st == FED_OK)
			st = fedctl_points_push(out, ts, v);
		if (st == FED_INVALID_ARGUMENT && o->skip_bad) {
			first = false;
			(*n_bad)++;
		} else if (st != FED_OK && st != FED_NOT_FOUND) {
			out->n = n0;
			return st;
		}
	}
	return FED_OK;
}
