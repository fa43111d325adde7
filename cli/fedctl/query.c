// SPDX-License-Identifier: MIT
//
// query.c: the Query call shared by query, export and plot, and the table,
// CSV and JSON writers of its result. Series are merged row by row on the
// union of their timestamps (the same buckets for calendar steps), so a
// raw query of series with different intervals lines up too.

#include "query.h"

#include <stdlib.h>
#include <string.h>

#include "fed/clock.h"

int
fedctl_query_run(fedctl *c, const fedctl_query *q,
    Enfed__V1__QueryResponse **out, int64_t *from_ms, int64_t *to_ms)
{
	int64_t now = fed_clock_now_ms(), from, to;
	*out = NULL;
	if (fedctl_time_parse(c->zone, q->from, now, &from) != FED_OK)
		return fedctl_usage(c, "--from '%s': not a time", q->from);
	if (fedctl_time_parse(c->zone, q->to, now, &to) != FED_OK)
		return fedctl_usage(c, "--to '%s': not a time", q->to);
	if (from >= to)
		return fedctl_usage(c, "--from must be before --to");
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = from;
	r.to_ms = to;
	Enfed__V1__QueryRequest req = ENFED__V1__QUERY_REQUEST__INIT;
	req.series_ids = q->ids;
	req.n_series_ids = q->n_ids;
	req.range = &r;
	req.step = q->step;
	req.agg = q->agg;
	req.tz = (char *) fed_tz_name(c->zone);
	char what[256];
	snprintf(
	    what, sizeof(what), "%s%s", q->ids[0], q->n_ids > 1 ? " ..." : "");
	fed_status st = fedctl_store_call(c, "Query", what, &req, out);
	if (st != FED_OK)
		return fedctl_exit_code(st);
	if (from_ms != NULL)
		*from_ms = from;
	if (to_ms != NULL)
		*to_ms = to;
	return -1;
}

bool
fedctl_bucket_empty(const Enfed__V1__SeriesResult *r, size_t i)
{
	// Coverage 0 with a value is an estimate (an index's energy spread
	// over a gap): the day's total holds it, so its hours show it too.
	if (r->n_coverage == r->n_value)
		return r->coverage[i] <= 0 && r->value[i] == 0;
	if (r->n_n_points == r->n_value)
		return r->n_points[i] == 0;
	return false;
}

double
fedctl_bucket_coverage(const Enfed__V1__SeriesResult *r, size_t i)
{
	return r->n_coverage == r->n_value ? r->coverage[i] : 1;
}

// --- Row merging ------------------------------------------------------------

struct rows {
	const Enfed__V1__QueryResponse *r;
	size_t *at; // next index of each series
};

// The next row's time: the smallest pending timestamp. 0 when done.
static int
next_row(const struct rows *m, int64_t *t)
{
	int found = 0;
	for (size_t s = 0; s < m->r->n_results; s++) {
		const Enfed__V1__SeriesResult *res = m->r->results[s];
		if (m->at[s] >= res->n_ts_ms)
			continue;
		if (!found || res->ts_ms[m->at[s]] < *t)
			*t = res->ts_ms[m->at[s]];
		found = 1;
	}
	return found;
}

// The index of series s's cell at time t (advancing past it), or -1.
static long
take_cell(struct rows *m, size_t s, int64_t t)
{
	const Enfed__V1__SeriesResult *res = m->r->results[s];
	if (m->at[s] >= res->n_ts_ms || res->ts_ms[m->at[s]] != t)
		return -1;
	return (long) m->at[s]++;
}

// --- Table ------------------------------------------------------------------

static void
cell_text(const Enfed__V1__SeriesResult *res, long i, char *buf, size_t len)
{
	if (i < 0 || fedctl_bucket_empty(res, (size_t) i)) {
		snprintf(buf, len, "-");
		return;
	}
	char v[40];
	fedctl_fmt_human(res->value[i], v, sizeof(v));
	double cov = fedctl_bucket_coverage(res, (size_t) i);
	if (cov < 0.995)
		snprintf(buf, len, "%s (%d%%)", v, (int) (cov * 100 + 0.5));
	else
		snprintf(buf, len, "%s", v);
}

static void
print_events(const fedctl *c, const Enfed__V1__SeriesResult *res, FILE *f)
{
	static const char *const kinds[] = {"gap", "reset", "jump"};
	for (size_t i = 0; i < res->n_events; i++) {
		const Enfed__V1__IndexEvent *e = res->events[i];
		char t[48], b[40], a[40];
		fedctl_time_short(c, e->ts_ms, t, sizeof(t));
		fedctl_fmt_human(e->before, b, sizeof(b));
		fedctl_fmt_human(e->after, a, sizeof(a));
		fprintf(f, "note: %s: index %s at %s (%s -> %s)\n",
		    res->series_id, e->kind <= 2 ? kinds[e->kind] : "event", t,
		    b, a);
	}
}

void
fedctl_write_table(const fedctl *c, const Enfed__V1__QueryResponse *r, FILE *f)
{
	size_t n = r->n_results;
	int *w = calloc(n + 1, sizeof(*w));
	size_t *at = calloc(n + 1, sizeof(*at));
	if (w == NULL || at == NULL)
		goto out;
	fprintf(f, "%-19s", "time");
	for (size_t s = 0; s < n; s++) {
		char h[256];
		snprintf(h, sizeof(h), "%s (%s)", r->results[s]->series_id,
		    fedctl_unit_name(r->results[s]->unit));
		w[s] = (int) strlen(h) > 16 ? (int) strlen(h) : 16;
		fprintf(f, "  %*s", w[s], h);
	}
	fprintf(f, "\n");
	struct rows m = {r, at};
	int64_t t = 0;
	while (next_row(&m, &t)) {
		char ts[48];
		fedctl_time_short(c, t, ts, sizeof(ts));
		fprintf(f, "%-19s", ts);
		for (size_t s = 0; s < n; s++) {
			char cell[64];
			cell_text(r->results[s], take_cell(&m, s, t), cell,
			    sizeof(cell));
			fprintf(f, "  %*s", w[s], cell);
		}
		fprintf(f, "\n");
	}
	for (size_t s = 0; s < n; s++)
		print_events(c, r->results[s], f);
out:
	free(w);
	free(at);
}

// --- CSV --------------------------------------------------------------------

static void
csv_cell(const Enfed__V1__SeriesResult *res, long i, bool coverage, FILE *f)
{
	char v[40];
	fputc(',', f);
	if (i >= 0 && !fedctl_bucket_empty(res, (size_t) i)) {
		fedctl_fmt_exact(res->value[i], v, sizeof(v));
		fputs(v, f);
	}
	if (!coverage)
		return;
	fputc(',', f);
	if (i >= 0) {
		fedctl_fmt_exact(
		    fedctl_bucket_coverage(res, (size_t) i), v, sizeof(v));
		fputs(v, f);
	}
}

void
fedctl_write_csv(
    const fedctl *c, const Enfed__V1__QueryResponse *r, bool coverage, FILE *f)
{
	size_t n = r->n_results;
	size_t *at = calloc(n + 1, sizeof(*at));
	if (at == NULL)
		return;
	fputs("time", f);
	for (size_t s = 0; s < n; s++) {
		fputc(',', f);
		fedctl_csv_field(f, r->results[s]->series_id);
		if (coverage) {
			fputc(',', f);
			char h[256];
			snprintf(h, sizeof(h), "%s:coverage",
			    r->results[s]->series_id);
			fedctl_csv_field(f, h);
		}
	}
	fputc('\n', f);
	struct rows m = {r, at};
	int64_t t = 0;
	while (next_row(&m, &t)) {
		char ts[48];
		fedctl_time_iso(c, t, ts, sizeof(ts));
		fputs(ts, f);
		for (size_t s = 0; s < n; s++)
			csv_cell(
			    r->results[s], take_cell(&m, s, t), coverage, f);
		fputc('\n', f);
	}
	free(at);
}

// --- JSON -------------------------------------------------------------------

static cJSON *
point_json(const fedctl *c, const Enfed__V1__SeriesResult *res, size_t i)
{
	char t[48];
	cJSON *p = cJSON_CreateObject();
	fedctl_time_iso(c, res->ts_ms[i], t, sizeof(t));
	cJSON_AddStringToObject(p, "t", t);
	cJSON_AddNumberToObject(p, "ts_ms", (double) res->ts_ms[i]);
	if (fedctl_bucket_empty(res, i))
		cJSON_AddNullToObject(p, "v");
	else
		cJSON_AddNumberToObject(p, "v", res->value[i]);
	cJSON_AddNumberToObject(p, "coverage", fedctl_bucket_coverage(res, i));
	cJSON_AddNumberToObject(
	    p, "n", res->n_n_points == res->n_value ? res->n_points[i] : 1);
	return p;
}

static cJSON *
events_json(const fedctl *c, const Enfed__V1__SeriesResult *res)
{
	static const char *const kinds[] = {"gap", "reset", "jump"};
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < res->n_events; i++) {
		const Enfed__V1__IndexEvent *e = res->events[i];
		cJSON *o = cJSON_CreateObject();
		char t[48];
		fedctl_time_iso(c, e->ts_ms, t, sizeof(t));
		cJSON_AddStringToObject(
		    o, "kind", e->kind <= 2 ? kinds[e->kind] : "event");
		cJSON_AddStringToObject(o, "t", t);
		cJSON_AddNumberToObject(o, "before", e->before);
		cJSON_AddNumberToObject(o, "after", e->after);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *
series_json(const fedctl *c, const Enfed__V1__SeriesResult *res)
{
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "id", res->series_id);
	cJSON_AddStringToObject(s, "unit", fedctl_unit_name(res->unit));
	cJSON *pts = cJSON_AddArrayToObject(s, "points");
	for (size_t i = 0; i < res->n_ts_ms && i < res->n_value; i++)
		cJSON_AddItemToArray(pts, point_json(c, res, i));
	cJSON_AddItemToObject(s, "events", events_json(c, res));
	return s;
}

fed_status
fedctl_write_json(const fedctl *c, const fedctl_query *q, int64_t from_ms,
    int64_t to_ms, const Enfed__V1__QueryResponse *r)
{
	cJSON *j = cJSON_CreateObject();
	char t[48];
	cJSON_AddStringToObject(j, "tz", r->tz);
	cJSON_AddStringToObject(j, "step", fedctl_step_name(q->step));
	cJSON_AddStringToObject(j, "agg", fedctl_agg_name(q->agg));
	fedctl_time_iso(c, from_ms, t, sizeof(t));
	cJSON_AddStringToObject(j, "from", t);
	fedctl_time_iso(c, to_ms, t, sizeof(t));
	cJSON_AddStringToObject(j, "to", t);
	cJSON *a = cJSON_AddArrayToObject(j, "series");
	for (size_t s = 0; s < r->n_results; s++)
		cJSON_AddItemToArray(a, series_json(c, r->results[s]));
	return fedctl_json_emit(j);
}
