// SPDX-License-Identifier: MIT
//
// io_senml.c: SenML (RFC 8428, JSON representation) in both directions:
// the pack that query/export write (one base record per series, bn = the
// series id) and the parser that ingest reads, which resolves base fields
// (bn, bt, bu, bv) as section 4.6 of the RFC says.

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "io.h"
#include "query.h"

// RFC 8428 section 4.5.3: times below 2^28 s are relative to now.
#define SENML_RELATIVE_LIMIT 268435456.0
#define MAX_TS_MS            INT64_C(7258118400000) // 2200-01-01

// --- Writer -----------------------------------------------------------------

static void
emit(cJSON *rec, bool *first, FILE *f)
{
	char *s = cJSON_PrintUnformatted(rec);
	cJSON_Delete(rec);
	if (s == NULL)
		return;
	fputs(*first ? "[\n" : ",\n", f);
	fputs(s, f);
	cJSON_free(s);
	*first = false;
}

static void
write_series(const Enfed__V1__SeriesResult *res, bool *first, FILE *f)
{
	bool base = true;
	int64_t bt = 0;
	for (size_t i = 0; i < res->n_ts_ms && i < res->n_value; i++) {
		// Measured values only: SenML has no coverage, and an
		// estimate read back would pass for a measurement.
		if (fedctl_bucket_coverage(res, i) <= 0
		    || fedctl_bucket_empty(res, i))
			continue;
		cJSON *r = cJSON_CreateObject();
		if (base) {
			bt = res->ts_ms[i];
			cJSON_AddStringToObject(r, "bn", res->series_id);
			cJSON_AddNumberToObject(r, "bt", (double) bt / 1000.0);
			cJSON_AddStringToObject(
			    r, "bu", fedctl_unit_name(res->unit));
			base = false;
		}
		cJSON_AddNumberToObject(
		    r, "t", (double) (res->ts_ms[i] - bt) / 1000.0);
		cJSON_AddNumberToObject(r, "v", res->value[i]);
		emit(r, first, f);
	}
}

fed_status
fedctl_write_senml(const Enfed__V1__QueryResponse *r, FILE *f)
{
	bool first = true;
	for (size_t s = 0; s < r->n_results; s++)
		write_series(r->results[s], &first, f);
	fputs(first ? "[]\n" : "\n]\n", f);
	return ferror(f) ? FED_UNAVAILABLE : FED_OK;
}

// --- Parser -----------------------------------------------------------------

struct base {
	const char *bn, *bu;
	double bt, bv;
};

static fed_status bad(fedctl_parse_err *err, size_t rec, const char *fmt, ...)
    FED__PRINTF(3, 4);

static fed_status
bad(fedctl_parse_err *err, size_t rec, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err->line = rec;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return FED_INVALID_ARGUMENT;
}

// A field that must be a number when present: 1 present, 0 absent, -1 not
// a number.
static int
num_field(const cJSON *o, const char *name, double *out)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
	if (x == NULL)
		return 0;
	if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
		return -1;
	*out = x->valuedouble;
	return 1;
}

static int
str_field(const cJSON *o, const char *name, const char **out)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
	if (x == NULL)
		return 0;
	if (!cJSON_IsString(x))
		return -1;
	*out = x->valuestring;
	return 1;
}

// Updates the base fields from a record; RFC 8428 4.4: names ending in '_'
// must be understood, and none are.
static fed_status
read_base(const cJSON *o, size_t i, struct base *b, fedctl_parse_err *err)
{
	if (!cJSON_IsObject(o))
		return bad(err, i, "not a JSON object");
	for (const cJSON *x = o->child; x != NULL; x = x->next) {
		size_t n = x->string != NULL ? strlen(x->string) : 0;
		if (n > 0 && x->string[n - 1] == '_')
			return bad(err, i, "field '%.40s' is not understood",
			    x->string);
	}
	if (str_field(o, "bn", &b->bn) < 0 || num_field(o, "bt", &b->bt) < 0
	    || str_field(o, "bu", &b->bu) < 0
	    || num_field(o, "bv", &b->bv) < 0)
		return bad(err, i,
		    "a base field (bn, bt, bu, bv) of the "
		    "wrong type");
	return FED_OK;
}

static fed_status
record_name(const cJSON *o, size_t i, const struct base *b, char *name,
    size_t name_len, bool first, fedctl_parse_err *err)
{
	const char *n = "";
	if (str_field(o, "n", &n) < 0)
		return bad(err, i, "n is not a string");
	char full[512];
	snprintf(full, sizeof(full), "%s%s", b->bn != NULL ? b->bn : "", n);
	if (first)
		snprintf(name, name_len, "%s", full);
	else if (strncmp(name, full, name_len - 1) != 0)
		return bad(err, i,
		    "name '%.80s' differs from the first record's '%.80s' "
		    "(one series per pack)",
		    full, name);
	return FED_OK;
}

static fed_status
record_point(const cJSON *o, size_t i, const struct base *b, int64_t now_ms,
    const char *unit, int64_t *ts, double *v, fedctl_parse_err *err)
{
	double t = 0, val = 0;
	const char *u = b->bu;
	if (num_field(o, "t", &t) < 0 || str_field(o, "u", &u) < 0)
		return bad(err, i, "t or u of the wrong type");
	if (num_field(o, "v", &val) != 1)
		return bad(err, i,
		    "no numeric v (vs, vb, vd and s are not "
		    "meter points)");
	if (unit != NULL && u != NULL && strcmp(u, unit) != 0)
		return bad(
		    err, i, "unit '%.20s', the series is in %s", u, unit);
	double sec = b->bt + t;
	double ms = sec < SENML_RELATIVE_LIMIT ? (double) now_ms + sec * 1000
	                                       : sec * 1000;
	ms = round(ms);
	if (!(ms >= 0 && ms < (double) MAX_TS_MS))
		return bad(err, i, "time %.3f s is outside 1970-2200", sec);
	*ts = (int64_t) ms;
	*v = b->bv + val;
	if (!isfinite(*v))
		return bad(err, i, "value is not finite");
	return FED_OK;
}

static fed_status
parse_records(const cJSON *a, int64_t now_ms, const char *unit, bool skip_bad,
    fedctl_points *out, size_t *n_bad, char *name, size_t name_len,
    fedctl_parse_err *err)
{
	struct base b = {NULL, NULL, 0, 0};
	size_t i = 0;
	bool first = true;
	for (const cJSON *o = a->child; o != NULL; o = o->next) {
		int64_t ts = 0;
		double v = 0;
		fed_status st = read_base(o, ++i, &b, err);
		if (st == FED_OK)
			st = record_name(o, i, &b, name, name_len, first, err);
		if (st == FED_OK)
			st = record_point(
			    o, i, &b, now_ms, unit, &ts, &v, err);
		if (st == FED_OK) {
			first = false;
			st = fedctl_points_push(out, ts, v);
		}
		if (st == FED_INVALID_ARGUMENT && skip_bad)
			(*n_bad)++;
		else if (st != FED_OK)
			return st;
	}
	return FED_OK;
}

fed_status
fedctl_senml_parse(const char *buf, size_t len, int64_t now_ms,
    const char *unit, bool skip_bad, fedctl_points *out, size_t *n_bad,
    char *name, size_t name_len, fedctl_parse_err *err)
{
	*n_bad = 0;
	if (name == NULL || name_len == 0)
		return bad(err, 0, "no room for the pack's name");
	name[0] = '\0';
	cJSON *a = cJSON_ParseWithLength(buf, len);
	if (a == NULL || !cJSON_IsArray(a)) {
		cJSON_Delete(a);
		return bad(err, 0, "not a JSON array of SenML records");
	}
	size_t n0 = out->n;
	fed_status st = parse_records(
	    a, now_ms, unit, skip_bad, out, n_bad, name, name_len, err);
	cJSON_Delete(a);
	if (st != FED_OK)
		out->n = n0;
	return st;
}
