// SPDX-License-Identifier: MIT
//
// io_csv.c: points of one series from CSV `timestamp,value` text, and the
// list that holds them. Strict on content (one timestamp with its offset or
// a zone, one finite number), lenient on form (CRLF, quotes, spaces, a
// header, comments).

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

static bool
parse_value(const char *s, double *out)
{
	char *end = NULL;
	if (s[0] == '\0')
		return false;
	double v = strtod(s, &end);
	if (*end != '\0' || !isfinite(v))
		return false;
	*out = v;
	return true;
}

// One line (NUL-terminated copy, line end removed). Returns OK with a
// point, FED_NOT_FOUND for a blank or comment line or the header (a first
// line where neither field parses), INVALID_ARGUMENT with err set for a bad
// line. *first turns false at the first line that is not blank.
static fed_status
parse_line(char *line, size_t lineno, bool *first, const fed_tz *zone,
    int64_t *ts, double *v, fedctl_parse_err *err)
{
	char *s = trim(line);
	if (s[0] == '\0' || s[0] == '#')
		return FED_NOT_FOUND;
	bool first_line = *first;
	*first = false;
	char *comma = strchr(s, ',');
	if (comma == NULL)
		return bad(err, lineno, "expected timestamp,value (no comma)");
	*comma = '\0';
	char *t = unwrap(s), *val = unwrap(comma + 1);
	// A header: the first line, its value not a number.
	if (first_line && !parse_value(val, v)
	    && fed_tz_parse_iso(zone, t, ts) != FED_OK)
		return FED_NOT_FOUND;
	if (fed_tz_parse_iso(zone, t, ts) != FED_OK)
		return bad(err, lineno,
		    "timestamp '%.60s' is not ISO 8601 (e.g. "
		    "2026-03-29T03:00:00+02:00)",
		    t);
	if (strchr(val, ',') != NULL)
		return bad(err, lineno, "more than two fields");
	if (!parse_value(val, v))
		return bad(
		    err, lineno, "value '%.60s' is not a finite number", val);
	return FED_OK;
}

// The line at buf[pos..], parsed; *next is the start of the next line.
static fed_status
read_line(const char *buf, size_t len, size_t pos, size_t lineno, bool *first,
    const fed_tz *zone, int64_t *ts, double *v, size_t *next,
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
	return parse_line(line, lineno, first, zone, ts, v, err);
}

fed_status
fedctl_csv_parse(const char *buf, size_t len, const fed_tz *zone,
    bool skip_bad, fedctl_points *out, size_t *n_bad, fedctl_parse_err *err)
{
	size_t n0 = out->n, lineno = 0;
	bool first = true;
	*n_bad = 0;
	for (size_t pos = 0; pos < len;) {
		int64_t ts = 0;
		double v = 0;
		fed_status st = read_line(
		    buf, len, pos, ++lineno, &first, zone, &ts, &v, &pos, err);
		if (st == FED_OK)
			st = fedctl_points_push(out, ts, v);
		if (st == FED_INVALID_ARGUMENT && skip_bad) {
			first = false;
			(*n_bad)++;
		} else if (st != FED_OK && st != FED_NOT_FOUND) {
			out->n = n0;
			return st;
		}
	}
	return FED_OK;
}
