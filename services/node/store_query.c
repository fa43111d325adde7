// SPDX-License-Identifier: MIT
//
// store_query.c: node_store_query, part of the store module (store.h).
//
// All series of a query share one array of bucket boundaries, computed once
// from the step and the zone (fed_tz_floor/fed_tz_next, so local days have
// 23 or 25 hours at DST changes). Blocks are read in time order on one reader
// snapshot; a block whose points all fall in one bucket and inside the
// range is added from its stored summary (count, sum, min, max, first and
// last) without decoding, which is what makes month and year queries cheap;
// any other block is decoded and its points added one by one.
//
// Cumulative indexes, aggregated with SUM, are read as the sequence of
// readings from the last one before the range to the first one after it.
// Each pair of successive readings (p, c) is a segment [p.ts, c.ts):
//   - c.value < p.value: RESET, no energy; counting restarts at c.value;
//   - a rise above max_power_w (box fact "max_power_w", default 1 MW) over
//     the segment's duration: JUMP, flagged and not counted;
//   - longer than 3 nominal intervals (1 h when the interval is 0): GAP;
//     its energy is spread linearly over the gap, but the gap does not count
//     as covered, so the buckets it crosses show coverage below 1;
//   - otherwise its energy is spread linearly over [p.ts, c.ts) and the
//     segment counts as covered.
// Energy is therefore never negative and never absurd. Only the previous
// reading is kept, so memory does not grow with the range.

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fed/tz.h"
#include "store_internal.h"

#define MAX_SERIES_PER_QUERY  1000
#define MAX_EVENTS_PER_SERIES 10000
#define DEFAULT_MAX_POWER_W   1e6
#define HOUR_MS               INT64_C(3600000)
#define DAY_MS                INT64_C(86400000)
#define MS_PER_WH_AT_1W       3600000.0

typedef struct bucket_acc {
	uint32_t n;
	double sum, min, max;
	int64_t first_ts, last_ts;
	double first_v, last_v;
	double energy;
	int64_t covered_ms;
} bucket_acc;

typedef struct query_ctx {
	store_conn *c;
	const node_store_opts *opts;
	const fed_tz *zone; // borrowed from the store's zone cache
	int step;
	int64_t from, to;
	int64_t *bounds; // nb + 1 boundaries
	size_t nb;
	size_t cur; // bucket cursor, moves forward as points are added
	bucket_acc *acc;
	node_points readings; // raw step: the points in order
	struct cum_state *cum; // cumulative energy: the segment walk
	const char *id; // the series being read, for error messages
	int64_t window_ms; // its block window
	node_store_err *err;
} query_ctx;

typedef store_block block_row;

fed_tz_unit
node_store_step_unit(int step)
{
	static const fed_tz_unit units[] = {
	    [ENFED__V1__STEP__STEP_5MIN] = FED_TZ_5MIN,
	    [ENFED__V1__STEP__STEP_15MIN] = FED_TZ_15MIN,
	    [ENFED__V1__STEP__STEP_HOUR] = FED_TZ_HOUR,
	    [ENFED__V1__STEP__STEP_DAY] = FED_TZ_DAY,
	    [ENFED__V1__STEP__STEP_WEEK] = FED_TZ_WEEK,
	    [ENFED__V1__STEP__STEP_MONTH] = FED_TZ_MONTH,
	    [ENFED__V1__STEP__STEP_YEAR] = FED_TZ_YEAR,
	};
	return units[step];
}

void
node_store_step_span(int step, int64_t *min_ms, int64_t *max_ms)
{
	enum {
		h = 3600000
	};
	const int64_t d = 24 * (int64_t) h;
	static const int64_t days[][2] = {
	    [ENFED__V1__STEP__STEP_DAY] = {1, 1},
	    [ENFED__V1__STEP__STEP_WEEK] = {7, 7},
	    [ENFED__V1__STEP__STEP_MONTH] = {28, 31},
	    [ENFED__V1__STEP__STEP_YEAR] = {365, 366},
	};
	static const int64_t fixed[] = {[ENFED__V1__STEP__STEP_5MIN] = 300000,
	    [ENFED__V1__STEP__STEP_15MIN] = 900000,
	    [ENFED__V1__STEP__STEP_HOUR] = h};
	if (step >= ENFED__V1__STEP__STEP_5MIN
	    && step <= ENFED__V1__STEP__STEP_HOUR) {
		*min_ms = *max_ms = fixed[step];
		return;
	}
	if (step < ENFED__V1__STEP__STEP_DAY
	    || step > ENFED__V1__STEP__STEP_YEAR)
		step = ENFED__V1__STEP__STEP_YEAR; // not a calendar step: the
		                                   // widest, as the store
		                                   // refuses it

	*min_ms = days[step][0] * d - h;
	*max_ms = days[step][1] * d + h;
}

static fed_status
make_bounds(query_ctx *q)
{
	size_t cap = 64, n = 0;
	q->bounds = malloc(cap * sizeof(*q->bounds));
	if (q->bounds == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_tz_unit unit = node_store_step_unit(q->step);
	int64_t b = fed_tz_floor(q->zone, q->from, unit);
	q->bounds[n++] = b;
	while (b < q->to) {
		if (n > q->opts->max_buckets)
			return node_store_fail(q->err, FED_RESOURCE_EXHAUSTED,
			    "range: more than %zu buckets",
			    q->opts->max_buckets);
		if (n == cap) {
			int64_t *nbnd
			    = realloc(q->bounds, 2 * cap * sizeof(*nbnd));
			if (nbnd == NULL)
				return FED_RESOURCE_EXHAUSTED;
			q->bounds = nbnd;
			cap *= 2;
		}
		b = fed_tz_next(q->zone, b, unit);
		q->bounds[n++] = b;
	}
	q->nb = n - 1;
	q->acc = malloc(q->nb * sizeof(*q->acc));
	return q->acc ? FED_OK : FED_RESOURCE_EXHAUSTED;
}

// Index of the bucket holding t (bounds[0] <= t < bounds[nb]).
static size_t
bucket_search(const query_ctx *q, int64_t t)
{
	size_t lo = 0, hi = q->nb;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (q->bounds[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static size_t
bucket_at(query_ctx *q, int64_t t)
{
	while (q->bounds[q->cur + 1] <= t)
		q->cur++;
	return q->cur;
}

static void
acc_point(bucket_acc *a, int64_t ts, double v)
{
	if (a->n == 0) {
		a->first_ts = ts;
		a->first_v = v;
		a->min = a->max = v;
	}
	if (v < a->min)
		a->min = v;
	if (v > a->max)
		a->max = v;
	a->last_ts = ts;
	a->last_v = v;
	a->sum += v;
	a->n++;
}

static void
acc_summary(bucket_acc *a, const block_row *b)
{
	if (a->n == 0) {
		a->first_ts = b->first_ts;
		a->first_v = b->sum.first_v;
		a->min = b->sum.min;
		a->max = b->sum.max;
	}
	if (b->sum.min < a->min)
		a->min = b->sum.min;
	if (b->sum.max > a->max)
		a->max = b->sum.max;
	a->last_ts = b->last_ts;
	a->last_v = b->sum.last_v;
	a->sum += b->sum.sum;
	a->n += (uint32_t) b->n;
}

typedef fed_status (*block_fn)(query_ctx *q, const block_row *b);

// Calls fn on each block of series sid that may hold points of the range.
static fed_status
scan_blocks(query_ctx *q, const store_series *row, block_fn fn)
{
	sqlite3_stmt *s = node__store_stmt(q->c, STMT_BLOCKS_RANGE);
	sqlite3_bind_int64(
	    s, 1, node__store_key(row->sid, q->from / row->window_ms));
	sqlite3_bind_int64(
	    s, 2, node__store_key(row->sid, (q->to - 1) / row->window_ms));
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		block_row b;
		fed_status st = node__store_block_get(s, 0, &b)
		    ? fn(q, &b)
		    : node__store_block_bad(q->err, q->id, b.key, q->window_ms,
		        "fails its checksum");
		if (st != FED_OK) {
			sqlite3_reset(s);
			return st;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return node__store_sql_status(q->c->db, rc, "blocks read");
	return FED_OK;
}

static fed_status
decode_block(query_ctx *q, const block_row *b)
{
	q->c->pts.n = 0;
	fed_status st
	    = node_codec_decode(q->c->codec, b->data, b->len, &q->c->pts);
	if (st == FED_DATA_LOSS)
		return node__store_block_bad(
		    q->err, q->id, b->key, q->window_ms, "does not decode");
	return st;
}

static fed_status
agg_block(query_ctx *q, const block_row *b)
{
	if (b->first_ts >= q->from && b->last_ts < q->to) {
		size_t i = bucket_at(q, b->first_ts);
		if (q->bounds[i + 1] > b->last_ts) {
			acc_summary(&q->acc[i], b);
			return FED_OK;
		}
	}
	FED_TRY(decode_block(q, b));
	const node_points *p = &q->c->pts;
	for (size_t i = 0; i < p->n; i++) {
		if (p->ts_ms[i] < q->from || p->ts_ms[i] >= q->to)
			continue;
		acc_point(&q->acc[bucket_at(q, p->ts_ms[i])], p->ts_ms[i],
		    p->value[i]);
	}
	return FED_OK;
}

// Raw points go to q->readings, bounded by max_raw_points.
static fed_status
raw_block(query_ctx *q, const block_row *b)
{
	FED_TRY(decode_block(q, b));
	const node_points *p = &q->c->pts;
	for (size_t i = 0; i < p->n; i++) {
		if (p->ts_ms[i] < q->from || p->ts_ms[i] >= q->to)
			continue;
		if (q->readings.n >= q->opts->max_raw_points)
			return node_store_fail(q->err, FED_RESOURCE_EXHAUSTED,
			    "range: more than %zu points; narrow it or use a "
			    "step",
			    q->opts->max_raw_points);
		FED_TRY(
		    node_points_push(&q->readings, p->ts_ms[i], p->value[i]));
	}
	return FED_OK;
}

// The last reading of the block before the range's first window (after =
// 0) or the first reading of the block after its last window (after = 1),
// from that block's summary, without decoding it.
static fed_status
edge_reading(query_ctx *q, const store_series *row, int after, int64_t *ts,
    double *v, int *found)
{
	int64_t w_from = node__store_key(row->sid, q->from / row->window_ms);
	int64_t w_to = node__store_key(row->sid, (q->to - 1) / row->window_ms);
	sqlite3_stmt *s = node__store_stmt(
	    q->c, after ? STMT_BLOCK_AFTER : STMT_BLOCK_BEFORE);
	sqlite3_bind_int64(s, 1, after ? w_to : node__store_key(row->sid, 0));
	sqlite3_bind_int64(
	    s, 2, after ? node__store_key(row->sid, 0xffffffff) : w_from);
	int rc = sqlite3_step(s);
	*found = rc == SQLITE_ROW;
	fed_status st = FED_OK;
	if (*found) {
		store_block b;
		if (!node__store_block_get(s, 0, &b))
			st = node__store_block_bad(q->err, q->id, b.key,
			    q->window_ms, "fails its checksum");
		*ts = after ? b.first_ts : b.last_ts;
		*v = after ? b.sum.first_v : b.sum.last_v;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return node__store_sql_status(q->c->db, rc, "edge block");
	return st;
}

// Adds energy e of segment [a, b) to the buckets it overlaps in the range,
// in proportion to the overlap; counts the overlap as covered if asked.
static void
spread(query_ctx *q, int64_t a, int64_t b, double e, int covered)
{
	int64_t lo = a > q->from ? a : q->from;
	int64_t hi = b < q->to ? b : q->to;
	if (lo >= hi)
		return;
	for (size_t i = bucket_search(q, lo); i < q->nb && q->bounds[i] < hi;
	     i++) {
		int64_t s = q->bounds[i] > lo ? q->bounds[i] : lo;
		int64_t t = q->bounds[i + 1] < hi ? q->bounds[i + 1] : hi;
		if (t <= s)
			continue;
		q->acc[i].energy += e * (double) (t - s) / (double) (b - a);
		if (covered)
			q->acc[i].covered_ms += t - s;
	}
}

static fed_status
add_event(Enfed__V1__SeriesResult *res, int kind, int64_t ts, double before,
    double after)
{
	if (res->n_events >= MAX_EVENTS_PER_SERIES)
		return FED_OK;
	Enfed__V1__IndexEvent **ne
	    = realloc(res->events, (res->n_events + 1) * sizeof(*ne));
	if (ne == NULL)
		return FED_RESOURCE_EXHAUSTED;
	res->events = ne;
	Enfed__V1__IndexEvent *ev = malloc(sizeof(*ev));
	if (ev == NULL)
		return FED_RESOURCE_EXHAUSTED;
	enfed__v1__index_event__init(ev);
	ev->kind = (Enfed__V1__IndexEvent__Kind) kind;
	ev->ts_ms = ts;
	ev->before = before;
	ev->after = after;
	res->events[res->n_events++] = ev;
	return FED_OK;
}

static double
max_power_w(query_ctx *q, const store_series *row)
{
	sqlite3_stmt *s = node__store_stmt(q->c, STMT_FACT_BY_KEY);
	sqlite3_bind_int64(s, 1, row->sid);
	sqlite3_bind_text(s, 2, "max_power_w", -1, SQLITE_STATIC);
	double w = DEFAULT_MAX_POWER_W;
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *t = (const char *) sqlite3_column_text(s, 0);
		char *end;
		double x = t ? strtod(t, &end) : 0;
		if (t && end != t && *end == '\0' && isfinite(x) && x > 0)
			w = x;
	}
	sqlite3_reset(s);
	return w;
}

// The walk over a cumulative series' readings: one reading is kept (the
// previous one), so memory does not grow with the range.
typedef struct cum_state {
	Enfed__V1__SeriesResult *res; // gets the events
	int64_t gap_ms;
	double max_w;
	int have_prev;
	int done; // a reading at or after the range's end was seen
	int64_t prev_ts;
	double prev_v;
} cum_state;

// Classifies segment [prev, (b, vb)) and books its energy and event.
static fed_status
cum_segment(query_ctx *q, int64_t b, double vb)
{
	cum_state *cs = q->cum;
	int64_t a = cs->prev_ts;
	double va = cs->prev_v, d = vb - va;
	int in_range = b >= q->from && b < q->to;
	int kind = -1;
	if (d < 0)
		kind = ENFED__V1__INDEX_EVENT__KIND__RESET;
	else if (d > cs->max_w * (double) (b - a) / MS_PER_WH_AT_1W)
		kind = ENFED__V1__INDEX_EVENT__KIND__JUMP;
	if (kind >= 0)
		return in_range ? add_event(cs->res, kind, b, va, vb) : FED_OK;
	int gap = b - a > cs->gap_ms;
	spread(q, a, b, d, !gap);
	if (gap && b > q->from && a < q->to)
		return add_event(
		    cs->res, ENFED__V1__INDEX_EVENT__KIND__GAP, b, va, vb);
	return FED_OK;
}

// Takes the next reading in time order.
static fed_status
cum_reading(query_ctx *q, int64_t ts, double v)
{
	cum_state *cs = q->cum;
	if (cs->have_prev && ts >= q->from)
		FED_TRY(cum_segment(q, ts, v));
	if (ts >= q->from && ts < q->to)
		acc_point(&q->acc[bucket_at(q, ts)], ts, v);
	cs->done = ts >= q->to;
	cs->have_prev = 1;
	cs->prev_ts = ts;
	cs->prev_v = v;
	return FED_OK;
}

static fed_status
cum_block(query_ctx *q, const block_row *b)
{
	if (q->cum->done)
		return FED_OK;
	FED_TRY(decode_block(q, b));
	const node_points *p = &q->c->pts;
	for (size_t i = 0; i < p->n && !q->cum->done; i++)
		FED_TRY(cum_reading(q, p->ts_ms[i], p->value[i]));
	return FED_OK;
}

// Walks the readings from the last before the range to the first after.
static fed_status
cum_energy(query_ctx *q, const store_series *row, Enfed__V1__SeriesResult *res)
{
	cum_state cs = {res,
	    row->interval_s > 0 ? 3 * (int64_t) row->interval_s * 1000
	                        : HOUR_MS,
	    max_power_w(q, row), 0, 0, 0, 0};
	q->cum = &cs;
	int64_t ts;
	double v;
	int found;
	FED_TRY(edge_reading(q, row, 0, &ts, &v, &found));
	if (found)
		FED_TRY(cum_reading(q, ts, v));
	FED_TRY(scan_blocks(q, row, cum_block));
	if (cs.done)
		return FED_OK;
	FED_TRY(edge_reading(q, row, 1, &ts, &v, &found));
	if (found)
		FED_TRY(cum_reading(q, ts, v));
	return FED_OK;
}

static int
resolve_agg(int agg, const store_series *row)
{
	if (agg != ENFED__V1__AGGREGATE__AGG_DEFAULT)
		return agg;
	if (row->cumulative
	    || row->kind == ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION
	    || row->kind == ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION)
		return ENFED__V1__AGGREGATE__AGG_SUM;
	if (row->kind == ENFED__V1__SERIES_KIND__SERIES_KIND_INDEX)
		return ENFED__V1__AGGREGATE__AGG_LAST;
	return ENFED__V1__AGGREGATE__AGG_MEAN;
}

static double
agg_value(const bucket_acc *a, int agg, int energy)
{
	if (energy)
		return a->energy;
	if (a->n == 0)
		return 0;
	switch (agg) {
	case ENFED__V1__AGGREGATE__AGG_MEAN:
		return a->sum / a->n;
	case ENFED__V1__AGGREGATE__AGG_MIN:
		return a->min;
	case ENFED__V1__AGGREGATE__AGG_MAX:
		return a->max;
	case ENFED__V1__AGGREGATE__AGG_FIRST:
		return a->first_v;
	case ENFED__V1__AGGREGATE__AGG_LAST:
		return a->last_v;
	case ENFED__V1__AGGREGATE__AGG_COUNT:
		return a->n;
	default:
		return a->sum;
	}
}

static double
coverage(const query_ctx *q, size_t i, const store_series *row, int energy)
{
	const bucket_acc *a = &q->acc[i];
	double len = (double) (q->bounds[i + 1] - q->bounds[i]);
	double cov;
	if (energy)
		cov = (double) a->covered_ms / len;
	else if (row->interval_s == 0)
		cov = a->n > 0;
	else
		cov = (double) a->n * row->interval_s * 1000.0 / len;
	return cov > 1 ? 1 : cov;
}

static fed_status
alloc_columns(Enfed__V1__SeriesResult *res, size_t n)
{
	size_t m = n ? n : 1;
	res->ts_ms = malloc(m * sizeof(*res->ts_ms));
	res->value = malloc(m * sizeof(*res->value));
	res->coverage = malloc(m * sizeof(*res->coverage));
	res->n_points = malloc(m * sizeof(*res->n_points));
	if (!res->ts_ms || !res->value || !res->coverage || !res->n_points)
		return FED_RESOURCE_EXHAUSTED;
	res->n_ts_ms = res->n_value = res->n_coverage = res->n_n_points = n;
	return FED_OK;
}

static fed_status
fill_buckets(query_ctx *q, const store_series *row, int agg, int energy,
    Enfed__V1__SeriesResult *res)
{
	FED_TRY(alloc_columns(res, q->nb));
	for (size_t i = 0; i < q->nb; i++) {
		res->ts_ms[i] = q->bounds[i];
		res->value[i] = agg_value(&q->acc[i], agg, energy);
		res->coverage[i] = coverage(q, i, row, energy);
		res->n_points[i] = q->acc[i].n;
	}
	return FED_OK;
}

static fed_status
fill_raw(query_ctx *q, Enfed__V1__SeriesResult *res)
{
	const node_points *r = &q->readings;
	FED_TRY(alloc_columns(res, r->n));
	for (size_t i = 0; i < r->n; i++) {
		res->ts_ms[i] = r->ts_ms[i];
		res->value[i] = r->value[i];
		res->coverage[i] = 1;
		res->n_points[i] = 1;
	}
	return FED_OK;
}

static fed_status
query_series(
    query_ctx *q, const char *id, int agg_req, Enfed__V1__SeriesResult *res)
{
	store_series row;
	FED_TRY(node__store_series(q->c, id, &row, q->err));
	res->unit = (Enfed__V1__Unit) row.unit;
	q->id = id;
	q->window_ms = row.window_ms;
	if ((res->series_id = strdup(id)) == NULL)
		return FED_RESOURCE_EXHAUSTED;
	q->readings.n = 0;
	if (q->step == ENFED__V1__STEP__STEP_RAW) {
		FED_TRY(scan_blocks(q, &row, raw_block));
		return fill_raw(q, res);
	}
	memset(q->acc, 0, q->nb * sizeof(*q->acc));
	q->cur = 0;
	int agg = resolve_agg(agg_req, &row);
	int energy = row.cumulative && agg == ENFED__V1__AGGREGATE__AGG_SUM;
	if (energy)
		FED_TRY(cum_energy(q, &row, res));
	else
		FED_TRY(scan_blocks(q, &row, agg_block));
	return fill_buckets(q, &row, agg, energy, res);
}

static fed_status
check_query(const Enfed__V1__QueryRequest *req, node_store_err *err)
{
	if (req == NULL)
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "request: missing");
	if (req->n_series_ids == 0 || req->n_series_ids > MAX_SERIES_PER_QUERY)
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "series_ids: 1 to %d ids", MAX_SERIES_PER_QUERY);
	for (size_t i = 0; i < req->n_series_ids; i++)
		if (!node_store_valid_id(req->series_ids[i]))
			return node_store_fail(err, FED_INVALID_ARGUMENT,
			    "series_ids[%zu]: a series id is 1-200 bytes of "
			    "[A-Za-z0-9._/-]",
			    i);
	const Enfed__V1__TimeRange *r = req->range;
	if (r == NULL || r->from_ms < NODE_STORE_MIN_TS_MS
	    || r->to_ms > NODE_STORE_END_TS_MS || r->from_ms >= r->to_ms)
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "range: from_ms < to_ms within years 1970-2200");
	if (req->step < ENFED__V1__STEP__STEP_RAW
	    || req->step > ENFED__V1__STEP__STEP_YEAR)
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "step: unknown value");
	if (req->agg < ENFED__V1__AGGREGATE__AGG_DEFAULT
	    || req->agg > ENFED__V1__AGGREGATE__AGG_COUNT)
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "agg: unknown value");
	if (req->tz == NULL)
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "tz: missing");
	return FED_OK;
}

static fed_status
new_response(const query_ctx *q, const char *zone, size_t n,
    Enfed__V1__QueryResponse **out)
{
	Enfed__V1__QueryResponse *resp = malloc(sizeof(*resp));
	if (resp == NULL)
		return FED_RESOURCE_EXHAUSTED;
	enfed__v1__query_response__init(resp);
	*out = resp;
	resp->results = calloc(n, sizeof(*resp->results));
	if ((resp->tz = strdup(zone)) == NULL || resp->results == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < n; i++) {
		Enfed__V1__SeriesResult *r = malloc(sizeof(*r));
		if (r == NULL)
			return FED_RESOURCE_EXHAUSTED;
		enfed__v1__series_result__init(r);
		resp->results[resp->n_results++] = r;
	}
	if (q->step == ENFED__V1__STEP__STEP_RAW)
		return FED_OK;
	resp->bucket_end_ms = malloc(q->nb * sizeof(int64_t) + 1);
	if (resp->bucket_end_ms == NULL)
		return FED_RESOURCE_EXHAUSTED;
	memcpy(resp->bucket_end_ms, q->bounds + 1, q->nb * sizeof(int64_t));
	resp->n_bucket_end_ms = q->nb;
	return FED_OK;
}

static fed_status
run_query(query_ctx *q, node_store *st, const Enfed__V1__QueryRequest *req,
    Enfed__V1__QueryResponse *resp)
{
	FED_TRY(node__store_read_begin(st, &q->c));
	fed_status s = FED_OK;
	for (size_t i = 0; i < req->n_series_ids && s == FED_OK; i++)
		s = query_series(
		    q, req->series_ids[i], req->agg, resp->results[i]);
	node__store_read_end(st, q->c);
	return s;
}

void
node_store_query_free(Enfed__V1__QueryResponse *resp)
{
	if (resp != NULL)
		enfed__v1__query_response__free_unpacked(resp, NULL);
}

static fed_status
query_zone(query_ctx *q, node_store *st, const Enfed__V1__QueryRequest *req,
    const char **zone)
{
	*zone = req->tz[0] ? req->tz : q->opts->default_tz;
	return node__store_zone(st, *zone, &q->zone, q->err);
}

fed_status
node_store_query(node_store *st, const Enfed__V1__QueryRequest *req,
    Enfed__V1__QueryResponse **out, node_store_err *err)
{
	*out = NULL;
	FED_TRY(check_query(req, err));
	query_ctx q = {.opts = node__store_opts(st),
	    .step = (int) req->step,
	    .from = req->range->from_ms,
	    .to = req->range->to_ms,
	    .err = err};
	node_points_init(&q.readings);
	const char *zone;
	Enfed__V1__QueryResponse *resp = NULL;
	fed_status s = query_zone(&q, st, req, &zone);
	if (s == FED_OK && q.step != ENFED__V1__STEP__STEP_RAW)
		s = make_bounds(&q);
	if (s == FED_OK)
		s = new_response(&q, zone, req->n_series_ids, &resp);
	if (s == FED_OK)
		s = run_query(&q, st, req, resp);
	node__store_zone_put(st, q.zone);
	free(q.bounds);
	free(q.acc);
	node_points_fini(&q.readings);
	if (s != FED_OK) {
		node_store_query_free(resp);
		return s;
	}
	*out = resp;
	return FED_OK;
}
