// SPDX-License-Identifier: MIT
//
// io_enedis.c: the files households get from Enedis, turned into points of
// one series: the customer area's CSV exports (load curve, daily
// consumption, daily index) and Data Connect's JSON replies. What Enedis
// stamps at the end of an interval (the load curve's average power) becomes
// energy stamped at its start, as every energy series in enfed is; local
// times are read in Europe/Paris with the autumn hour's two passes told
// apart by their order. A file either parses whole or is refused at its
// first bad line, saying which and why.

#include "io.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define MAX_LINE   1024
#define MAX_FIELDS 32
#define MIN_MS     INT64_C(60000)

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

// --- Time
// --------------------------------------------------------------------

// The instants seen so far: times must increase, and a local time that
// occurs twice is the first occurrence after the previous one.
struct timeline {
	int64_t prev_ms;
	size_t prev_line; // 0: no time yet
};

// Text into *ts: with its offset as written, else local in zone (the
// earlier instant unless it is not after the previous time).
static fed_status
read_time(const fed_tz *zone, const struct timeline *tl, const char *t,
    size_t line, int64_t *ts, fedctl_parse_err *err)
{
	if (fed_tz_parse_iso(NULL, t, ts) == FED_OK)
		return FED_OK;
	if (fed_tz_parse_iso(zone, t, ts) != FED_OK) {
		fed_tz *u = NULL;
		int64_t utc = 0;
		int well_formed = fed_tz_load("UTC", &u) == FED_OK
		    && fed_tz_parse_iso(u, t, &utc) == FED_OK;
		fed_tz_free(u);
		if (well_formed)
			return bad(err, line,
			    "local time '%.40s' does not exist in %s (the "
			    "clocks skip it)",
			    t, fed_tz_name(zone));
		return bad(err, line,
		    "time '%.40s' is not ISO 8601 (e.g. "
		    "2023-10-29T02:30:00+02:00 or 2023-10-29 02:30:00)",
		    t);
	}
	int64_t later = fedctl_second_instant(zone, *ts);
	if (later != 0 && tl->prev_line != 0 && *ts <= tl->prev_ms)
		*ts = later; // the second pass through the autumn hour
	return FED_OK;
}

// Refuses a time that is not after the previous one.
static fed_status
check_order(const struct timeline *tl, const char *what, const char *t,
    size_t line, int64_t ts, fedctl_parse_err *err)
{
	if (tl->prev_line != 0 && ts <= tl->prev_ms)
		return bad(err, line,
		    "time '%.40s' is not after the one of %s %zu (out of "
		    "order or repeated)",
		    t, what, tl->prev_line);
	return FED_OK;
}

// --- Customer-area CSV
// -------------------------------------------------------

// A header name folded for comparison: ASCII lower case, the accented e of
// "donnees", "unite", "periode" (UTF-8 or Latin-1) as a plain e, no quotes
// or surrounding spaces.
static void
fold(const char *s, char *out, size_t len)
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *) s;
	while (*p == ' ' || *p == '"')
		p++;
	for (; *p != '\0' && n + 1 < len; p++) {
		if (p[0] == 0xC3
		    && (p[1] == 0xA9 || p[1] == 0xA8 || p[1] == 0x89)) {
			out[n++] = 'e';
			p++;
		} else if (*p == 0xE9 || *p == 0xE8 || *p == 0xC9)
			out[n++] = 'e';
		else if (*p >= 'A' && *p <= 'Z')
			out[n++] = (char) (*p - 'A' + 'a');
		else
			out[n++] = (char) *p;
	}
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '"'))
		n--;
	out[n] = '\0';
}

// Splits line at ';' in place, each field trimmed of spaces and one pair
// of quotes. Returns the count (at most MAX_FIELDS; the rest stays in the
// last field).
static size_t
split(char *line, char **f)
{
	size_t n = 0;
	char *s = line;
	while (n < MAX_FIELDS) {
		char *e = n + 1 < MAX_FIELDS ? strchr(s, ';') : NULL;
		if (e != NULL)
			*e = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		char *end = s + strlen(s);
		while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (end - s >= 2 && s[0] == '"' && end[-1] == '"') {
			end[-1] = '\0';
			s++;
		}
		f[n++] = s;
		if (e == NULL)
			break;
		s = e + 1;
	}
	return n;
}

// Index of the field named `name` (folded), or -1.
static int
column(char **f, size_t n, const char *name)
{
	char buf[64];
	for (size_t i = 0; i < n; i++) {
		fold(f[i], buf, sizeof(buf));
		if (strcmp(buf, name) == 0)
			return (int) i;
	}
	return -1;
}

enum csv_state {
	WANT_HEAD,
	WANT_META,
	WANT_DATA_HEAD,
	DATA,
	TRAILER
};

struct csv {
	const fedctl_enedis_opts *o;
	enum csv_state state;
	int i_type, i_unit, i_step; // columns of the header line
	int i_value; // column of the value in data lines
	fedctl_enedis_kind kind;
	double factor; // unit to W or Wh (kW, kWh: 1000)
	int64_t step_ms; // load curve: 0 until known
	size_t step_line; // where the step was learnt (0: the header)
	struct timeline tl;
};

static fed_status
csv_head(struct csv *c, char **f, size_t n, size_t line, fedctl_parse_err *err)
{
	c->i_type = column(f, n, "type de donnees");
	c->i_unit = column(f, n, "unite");
	c->i_step = column(f, n, "pas en minutes");
	if (column(f, n, "identifiant prm") != 0 || c->i_type < 0
	    || c->i_unit < 0)
		return bad(err, line,
		    "not an Enedis export: expected the header 'Identifiant "
		    "PRM;Type de donnees;...;Unite'");
	c->state = WANT_META;
	return FED_OK;
}

// The kind and unit of the file, from the line under the header.
static fed_status
csv_meta(struct csv *c, char **f, size_t n, size_t line, fedctl_parse_err *err)
{
	if ((size_t) c->i_type >= n || (size_t) c->i_unit >= n)
		return bad(
		    err, line, "expected the values of the header line");
	char type[64], unit[16];
	fold(f[c->i_type], type, sizeof(type));
	fold(f[c->i_unit], unit, sizeof(unit));
	const char *want;
	if (strcmp(type, "courbe de charge") == 0) {
		c->kind = FEDCTL_ENEDIS_LOAD_CURVE;
		want = "w";
	} else if (strcmp(type, "consommation quotidienne") == 0
	    || strcmp(type, "production quotidienne") == 0
	    || strcmp(type, "injection quotidienne") == 0) {
		c->kind = FEDCTL_ENEDIS_DAILY;
		want = "wh";
	} else if (strcmp(type, "index") == 0) {
		c->kind = FEDCTL_ENEDIS_INDEX;
		want = "wh";
	} else
		return bad(err, line,
		    "data type '%.40s' is not imported (Courbe de charge, "
		    "Consommation quotidienne, Index)",
		    f[c->i_type]);
	if (strcmp(unit, want) == 0)
		c->factor = 1;
	else if (unit[0] == 'k' && strcmp(unit + 1, want) == 0)
		c->factor = 1000;
	else
		return bad(err, line, "unit '%.16s' where a %s file has %s",
		    f[c->i_unit], f[c->i_type],
		    c->kind == FEDCTL_ENEDIS_LOAD_CURVE ? "W" : "Wh");
	if (c->kind == FEDCTL_ENEDIS_LOAD_CURVE && c->i_step >= 0
	    && (size_t) c->i_step < n && f[c->i_step][0] != '\0') {
		double m = 0;
		if (!fedctl_decimal(f[c->i_step], &m) || m < 1 || m > 1440
		    || m != floor(m))
			return bad(err, line,
			    "step '%.16s' is not a whole number of minutes",
			    f[c->i_step]);
		c->step_ms = (int64_t) m * MIN_MS;
	}
	c->state = WANT_DATA_HEAD;
	return FED_OK;
}

static fed_status
csv_data_head(
    struct csv *c, char **f, size_t n, size_t line, fedctl_parse_err *err)
{
	bool index = c->kind == FEDCTL_ENEDIS_INDEX;
	c->i_value = index ? column(f, n, "eas t") : column(f, n, "valeur");
	if (column(f, n, "horodate") != 0 || c->i_value < 0)
		return bad(err, line, "expected %s",
		    index ? "Horodate;Type de releve;...;EAS T"
		          : "Horodate;Valeur");
	c->state = DATA;
	return FED_OK;
}

// The step between two load-curve lines: learnt from the first two, then
// checked.
static fed_status
csv_step(struct csv *c, const char *t, size_t line, int64_t ts,
    fedctl_parse_err *err)
{
	if (c->tl.prev_line == 0)
		return FED_OK;
	int64_t d = ts - c->tl.prev_ms;
	if (c->step_ms == 0) {
		if (d % MIN_MS != 0 || d > 1440 * MIN_MS)
			return bad(err, line,
			    "time '%.40s' is %lld s after line %zu: not a "
			    "step of whole minutes",
			    t, (long long) (d / 1000), c->tl.prev_line);
		c->step_ms = d;
		c->step_line = line;
		return FED_OK;
	}
	if (d != c->step_ms)
		return bad(err, line,
		    "time '%.40s' is %lld min after line %zu where the step "
		    "is %lld min: mixed interval lengths or missing lines (a "
		    "gap is a line with an empty value)",
		    t, (long long) (d / MIN_MS), c->tl.prev_line,
		    (long long) (c->step_ms / MIN_MS));
	return FED_OK;
}

static fed_status
csv_value(const struct csv *c, char **f, size_t n, size_t line, bool *gap,
    double *v, fedctl_parse_err *err)
{
	const char *s = (size_t) c->i_value < n ? f[c->i_value] : "";
	*gap = s[0] == '\0';
	if (*gap)
		return FED_OK;
	if (!fedctl_decimal(s, v))
		return bad(err, line,
		    "value '%.40s' is not a decimal number%s", s,
		    strchr(s, ',') != NULL ? " (a decimal comma?)" : "");
	if (*v < 0)
		return bad(err, line, "value '%.40s' is negative", s);
	*v *= c->factor;
	return FED_OK;
}

// One line of data: a point appended (load curve: W at the interval's end,
// converted once the step is known), or none for a gap.
static fed_status
csv_data(struct csv *c, char **f, size_t n, size_t line, fedctl_points *out,
    fedctl_parse_err *err)
{
	char first[16];
	fold(f[0], first, sizeof(first));
	if (c->kind == FEDCTL_ENEDIS_INDEX && strcmp(first, "periode") == 0) {
		c->state = TRAILER; // the supplier's calendar: not data
		return FED_OK;
	}
	int64_t ts = 0;
	double v = 0;
	bool gap = false;
	FED_TRY(read_time(c->o->zone, &c->tl, f[0], line, &ts, err));
	FED_TRY(check_order(&c->tl, "line", f[0], line, ts, err));
	fed_status st = c->kind == FEDCTL_ENEDIS_LOAD_CURVE
	    ? csv_step(c, f[0], line, ts, err)
	    : FED_OK;
	if (st != FED_OK) {
		// Skipped (--skip-bad), the line still moves time on: missing
		// lines are then one bad line, not every line after them.
		c->tl.prev_ms = ts;
		c->tl.prev_line = line;
		return st;
	}
	if (c->kind == FEDCTL_ENEDIS_DAILY
	    && fed_tz_floor(c->o->zone, ts, FED_TZ_DAY) != ts)
		return bad(err, line,
		    "time '%.40s' of a daily value is not a local midnight",
		    f[0]);
	// The line's time is good: it counts in the timeline even when its
	// value does not (a bad value skipped is a gap, not a step change).
	c->tl.prev_ms = ts;
	c->tl.prev_line = line;
	FED_TRY(csv_value(c, f, n, line, &gap, &v, err));
	if (c->kind != FEDCTL_ENEDIS_INDEX) {
		for (size_t i = 2; i < n; i++)
			if (f[i][0] != '\0')
				return bad(err, line,
				    "more than two fields: expected "
				    "Horodate;Valeur");
	}
	return gap ? FED_OK : fedctl_points_push(out, ts, v);
}

static fed_status
csv_line(struct csv *c, char *text, size_t line, fedctl_points *out,
    fedctl_parse_err *err)
{
	char *f[MAX_FIELDS];
	size_t n = split(text, f);
	if (n == 1 && f[0][0] == '\0')
		return FED_OK; // blank
	switch (c->state) {
	case WANT_HEAD:
		return csv_head(c, f, n, line, err);
	case WANT_META:
		return csv_meta(c, f, n, line, err);
	case WANT_DATA_HEAD:
		return csv_data_head(c, f, n, line, err);
	case DATA:
		return csv_data(c, f, n, line, out, err);
	case TRAILER:
		break;
	}
	return FED_OK;
}

// Load-curve points, W at the interval's end, into energy (or power) at
// its start.
static void
curve_to_intervals(fedctl_points *p, size_t from, int64_t step_ms, bool power)
{
	for (size_t i = from; i < p->n; i++) {
		p->ts_ms[i] -= step_ms;
		if (!power)
			p->value[i] *= (double) step_ms / 3600000.0;
	}
}

static fed_status
csv_finish(struct csv *c, size_t n0, size_t lines, fedctl_points *out,
    fedctl_parse_err *err)
{
	if (c->state < DATA)
		return bad(err, lines,
		    "the file ends before its Horodate lines (an Enedis "
		    "export has a header, its values, then the data)");
	if (c->kind != FEDCTL_ENEDIS_LOAD_CURVE)
		return FED_OK;
	if (c->step_ms == 0 && out->n > n0)
		return bad(err, c->tl.prev_line,
		    "a single line and no 'Pas en minutes': the interval "
		    "length is unknown");
	curve_to_intervals(out, n0, c->step_ms, c->o->power);
	return FED_OK;
}

fed_status
fedctl_enedis_csv_parse(const char *buf, size_t len,
    const fedctl_enedis_opts *o, fedctl_points *out, fedctl_enedis_kind *kind,
    size_t *n_bad, fedctl_parse_err *err)
{
	struct csv c = {.o = o, .state = WANT_HEAD};
	size_t n0 = out->n, line = 0;
	*n_bad = 0;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		buf += 3, len -= 3; // UTF-8 byte order mark
	fed_status st = FED_OK;
	for (size_t pos = 0; pos < len && st == FED_OK;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t) (nl - buf) : len;
		size_t n = end - pos;
		char text[MAX_LINE];
		line++;
		if (n > 0 && buf[end - 1] == '\r')
			n--;
		if (n >= MAX_LINE)
			st = bad(err, line, "line longer than %d bytes",
			    MAX_LINE - 1);
		else if (memchr(buf + pos, '\0', n) != NULL)
			st = bad(err, line, "a NUL byte");
		else {
			memcpy(text, buf + pos, n);
			text[n] = '\0';
			st = csv_line(&c, text, line, out, err);
		}
		pos = end + 1;
		// Only data lines may be skipped: a file whose header is
		// wrong is not an Enedis export at all.
		if (st == FED_INVALID_ARGUMENT && o->skip_bad
		    && c.state == DATA) {
			(*n_bad)++;
			st = FED_OK;
		}
	}
	if (st == FED_OK)
		st = csv_finish(&c, n0, line, out, err);
	if (st != FED_OK) {
		out->n = n0;
		return st;
	}
	*kind = c.kind;
	return FED_OK;
}

// --- Data Connect JSON
// -------------------------------------------------------

// "PT30M", "PT1H" into ms; 0 when it is not one of those forms.
static int64_t
iso_duration_ms(const char *s)
{
	if (strncmp(s, "PT", 2) != 0)
		return 0;
	size_t digits = strspn(s + 2, "0123456789");
	if (digits == 0 || digits > 4)
		return 0;
	long n = strtol(s + 2, NULL, 10);
	const char *u = s + 2 + digits;
	if (n <= 0 || u[1] != '\0')
		return 0;
	if (u[0] == 'M' && n <= 1440)
		return n * MIN_MS;
	if (u[0] == 'H' && n <= 24)
		return n * 60 * MIN_MS;
	return 0;
}

struct dc {
	const fedctl_enedis_opts *o;
	fedctl_enedis_kind kind;
	int64_t length_ms; // load curve: the interval length, 0 until known
	size_t length_at; // the reading it came from
	struct timeline tl;
};

static fed_status
dc_reading_type(struct dc *d, const cJSON *mr, fedctl_parse_err *err)
{
	const cJSON *rt = cJSON_GetObjectItemCaseSensitive(mr, "reading_type");
	const char *mk = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(rt, "measurement_kind"));
	const char *unit = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(rt, "unit"));
	if (mk == NULL || unit == NULL)
		return bad(err, 0,
		    "meter_reading.reading_type needs measurement_kind and "
		    "unit");
	if (strcmp(mk, "power") == 0 && strcmp(unit, "W") == 0)
		d->kind = FEDCTL_ENEDIS_LOAD_CURVE;
	else if (strcmp(mk, "energy") == 0 && strcmp(unit, "Wh") == 0)
		d->kind = FEDCTL_ENEDIS_DAILY;
	else
		return bad(err, 0,
		    "reading_type %.20s in %.10s is not imported (power in W: "
		    "a load curve; energy in Wh: daily values)",
		    mk, unit);
	return FED_OK;
}

static fed_status
dc_value(const cJSON *r, size_t at, double *v, fedctl_parse_err *err)
{
	const cJSON *val = cJSON_GetObjectItemCaseSensitive(r, "value");
	if (cJSON_IsNumber(val) && isfinite(val->valuedouble))
		*v = val->valuedouble;
	else if (!cJSON_IsString(val) || !fedctl_decimal(val->valuestring, v))
		return bad(err, at,
		    "reading %zu: value is not a decimal number (\"540\")",
		    at);
	if (*v < 0)
		return bad(err, at, "reading %zu: value is negative", at);
	return FED_OK;
}

// A load-curve reading's interval length, the same for every reading.
static fed_status
dc_length(struct dc *d, const cJSON *r, size_t at, fedctl_parse_err *err)
{
	const char *il = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(r, "interval_length"));
	int64_t ms = il != NULL ? iso_duration_ms(il) : 0;
	if (ms == 0)
		return bad(err, at,
		    "reading %zu: interval_length %s%.16s%s is not PT<n>M", at,
		    il ? "'" : "", il ? il : "missing", il ? "'" : "");
	if (d->length_ms == 0) {
		d->length_ms = ms;
		d->length_at = at;
	} else if (ms != d->length_ms)
		return bad(err, at,
		    "reading %zu: interval_length %.16s where reading %zu has "
		    "%lld min: mixed interval lengths are refused (one file "
		    "per length)",
		    at, il, d->length_at, (long long) (d->length_ms / MIN_MS));
	return FED_OK;
}

static fed_status
dc_reading(struct dc *d, const cJSON *r, size_t at, fedctl_points *out,
    fedctl_parse_err *err)
{
	if (!cJSON_IsObject(r))
		return bad(err, at, "reading %zu is not an object", at);
	double v = 0;
	const char *date = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(r, "date"));
	if (date == NULL)
		return bad(err, at, "reading %zu: no date", at);
	if (d->kind == FEDCTL_ENEDIS_LOAD_CURVE)
		FED_TRY(dc_length(d, r, at, err));
	int64_t ts = 0;
	FED_TRY(read_time(d->o->zone, &d->tl, date, at, &ts, err));
	FED_TRY(check_order(&d->tl, "reading", date, at, ts, err));
	if (d->kind == FEDCTL_ENEDIS_DAILY
	    && fed_tz_floor(d->o->zone, ts, FED_TZ_DAY) != ts)
		return bad(
		    err, at, "reading %zu: '%.40s' is not a day", at, date);
	if (d->kind == FEDCTL_ENEDIS_LOAD_CURVE && d->tl.prev_line != 0
	    && (ts - d->tl.prev_ms) % d->length_ms != 0)
		return bad(err, at,
		    "reading %zu: '%.40s' is not a whole number of intervals "
		    "after reading %zu",
		    at, date, d->tl.prev_line);
	d->tl.prev_ms = ts; // a bad value skipped is then a gap
	d->tl.prev_line = at;
	FED_TRY(dc_value(r, at, &v, err));
	if (d->kind == FEDCTL_ENEDIS_LOAD_CURVE) {
		ts -= d->length_ms; // the date ends the interval
		if (!d->o->power)
			v *= (double) d->length_ms / 3600000.0;
	}
	return fedctl_points_push(out, ts, v);
}

fed_status
fedctl_enedis_dc_parse(const char *buf, size_t len,
    const fedctl_enedis_opts *o, fedctl_points *out, fedctl_enedis_kind *kind,
    size_t *n_bad, fedctl_parse_err *err)
{
	struct dc d = {.o = o};
	size_t n0 = out->n;
	*n_bad = 0;
	cJSON *root = cJSON_ParseWithLength(buf, len);
	const cJSON *mr
	    = cJSON_GetObjectItemCaseSensitive(root, "meter_reading");
	const cJSON *ir
	    = cJSON_GetObjectItemCaseSensitive(mr, "interval_reading");
	fed_status st = FED_OK;
	if (root == NULL)
		st = bad(err, 0, "not JSON");
	else if (!cJSON_IsObject(mr) || !cJSON_IsArray(ir))
		st = bad(err, 0,
		    "not a Data Connect reply: expected "
		    "{\"meter_reading\": {..., \"interval_reading\": [...]}}");
	else
		st = dc_reading_type(&d, mr, err);
	size_t at = 0;
	const cJSON *r = NULL;
	if (st == FED_OK) {
		cJSON_ArrayForEach(r, ir)
		{
			st = dc_reading(&d, r, ++at, out, err);
			if (st == FED_INVALID_ARGUMENT && o->skip_bad) {
				(*n_bad)++;
				st = FED_OK;
			}
			if (st != FED_OK)
				break;
		}
	}
	cJSON_Delete(root);
	if (st != FED_OK) {
		out->n = n0;
		return st;
	}
	*kind = d.kind;
	return FED_OK;
}
