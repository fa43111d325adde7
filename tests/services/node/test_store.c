// SPDX-License-Identifier: MIT
//
// test_store.c: fed-node's series store through its public API, on a real
// sqlite database in a temporary directory: exact round trips, idempotent
// and late appends, validation that stores nothing, metadata, cumulative
// indexes (resets, gaps, jumps), buckets with coverage, every aggregate,
// persistence across reopen, and readers running beside a writer.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

#define T0   INT64_C(1767225600000) // 2026-01-01T00:00Z, a Thursday
#define MIN5 INT64_C(300000)
#define HOUR INT64_C(3600000)
#define DAY  INT64_C(86400000)

typedef struct fixture {
	char dir[256];
	node_store *st;
} fixture;

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof(f->dir), "%s/test_store.XXXXXX",
	    tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (node_store_open(f->dir, NULL, &f->st, NULL) != FED_OK)
		return -1;
	*state = f;
	return 0;
}

static void
remove_db(const char *dir)
{
	static const char *const names[]
	    = {"series.db", "series.db-wal", "series.db-shm"};
	char path[300];
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
}

static int
teardown(void **state)
{
	fixture *f = *state;
	node_store_close(f->st);
	remove_db(f->dir);
	rmdir(f->dir);
	free(f);
	return 0;
}

static Enfed__V1__SeriesMeta
meta(const char *id, Enfed__V1__SeriesKind kind, uint32_t interval_s,
    int cumulative)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = kind;
	m.unit = kind == ENFED__V1__SERIES_KIND__SERIES_KIND_POWER
	    ? ENFED__V1__UNIT__UNIT_W
	    : ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = interval_s;
	m.cumulative = cumulative;
	m.source = (char *) "test";
	m.owner = (char *) "tester";
	return m;
}

static void
create(node_store *st, const char *id, Enfed__V1__SeriesKind kind,
    uint32_t interval_s, int cumulative)
{
	Enfed__V1__SeriesMeta m = meta(id, kind, interval_s, cumulative);
	node_store_err err = {""};
	assert_int_equal(node_store_create(st, &m, NULL, &err), FED_OK);
}

#define ENERGY ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION
#define POWER  ENFED__V1__SERIES_KIND__SERIES_KIND_POWER
#define INDEX  ENFED__V1__SERIES_KIND__SERIES_KIND_INDEX

static fed_status
append(node_store *st, const char *id, const int64_t *ts, const double *v,
    size_t n, node_store_counts *counts)
{
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
	sp.series_id = (char *) id;
	sp.n_ts_ms = sp.n_value = n;
	sp.ts_ms = (int64_t *) ts;
	sp.value = (double *) v;
	Enfed__V1__SeriesPoints *list[] = {&sp};
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.n_series = 1;
	req.series = list;
	return node_store_append(st, &req, counts, NULL);
}

static Enfed__V1__QueryResponse *
query_tz(node_store *st, const char **ids, size_t n, int64_t from, int64_t to,
    Enfed__V1__Step step, Enfed__V1__Aggregate agg, const char *tz,
    fed_status want)
{
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = from;
	r.to_ms = to;
	Enfed__V1__QueryRequest req = ENFED__V1__QUERY_REQUEST__INIT;
	req.n_series_ids = n;
	req.series_ids = (char **) ids;
	req.range = &r;
	req.step = step;
	req.agg = agg;
	req.tz = (char *) tz;
	Enfed__V1__QueryResponse *resp = NULL;
	node_store_err err = {""};
	assert_int_equal(node_store_query(st, &req, &resp, &err), want);
	if (want != FED_OK)
		assert_true(err.msg[0] != '\0');
	return resp;
}

static Enfed__V1__QueryResponse *
query_many(node_store *st, const char **ids, size_t n, int64_t from,
    int64_t to, Enfed__V1__Step step, Enfed__V1__Aggregate agg,
    fed_status want)
{
	return query_tz(st, ids, n, from, to, step, agg, "UTC", want);
}

static Enfed__V1__QueryResponse *
query(node_store *st, const char *id, int64_t from, int64_t to,
    Enfed__V1__Step step, Enfed__V1__Aggregate agg)
{
	return query_many(st, &id, 1, from, to, step, agg, FED_OK);
}

static uint64_t
bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	return u;
}

static void
test_round_trip_exact(void **state)
{
	fixture *f = *state;
	create(f->st, "site/meter/p", POWER, 1, 0);
	int64_t ts[] = {T0, T0 + 1, T0 + 1000, T0 + 999999, T0 + 3 * DAY};
	double v[] = {0.1, -2.75, 1.7976931348623157e308, -0.0, 123456789.125};
	node_store_counts c;
	assert_int_equal(append(f->st, "site/meter/p", ts, v, 5, &c), FED_OK);
	assert_int_equal(c.n_stored, 5);
	Enfed__V1__QueryResponse *r = query(f->st, "site/meter/p", T0,
	    T0 + 4 * DAY, ENFED__V1__STEP__STEP_RAW, 0);
	Enfed__V1__SeriesResult *s = r->results[0];
	assert_int_equal(s->n_ts_ms, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(s->ts_ms[i], ts[i]);
		assert_int_equal(bits(s->value[i]), bits(v[i]));
	}
	assert_int_equal(s->unit, ENFED__V1__UNIT__UNIT_W);
	node_store_query_free(r);
	node_store_latest l;
	assert_int_equal(
	    node_store_get_latest(f->st, "site/meter/p", &l, NULL), FED_OK);
	assert_int_equal(l.n_points, 5);
	assert_int_equal(l.first_ms, T0);
	assert_int_equal(l.last_ms, T0 + 3 * DAY);
	assert_true(l.last_value == 123456789.125);
}

static void
test_idempotent(void **state)
{
	fixture *f = *state;
	create(f->st, "h/e", ENERGY, 300, 0);
	int64_t ts[] = {T0, T0 + MIN5, T0 + 2 * MIN5};
	double v[] = {10, 20, 30};
	node_store_counts c;
	assert_int_equal(append(f->st, "h/e", ts, v, 3, &c), FED_OK);
	assert_int_equal(c.n_stored, 3);
	assert_int_equal(c.n_duplicate, 0);
	assert_int_equal(append(f->st, "h/e", ts, v, 3, &c), FED_OK);
	assert_int_equal(c.n_stored, 0);
	assert_int_equal(c.n_duplicate, 3);
	// A resend with another value keeps the first.
	double other[] = {99, 99, 99};
	assert_int_equal(append(f->st, "h/e", ts, other, 3, &c), FED_OK);
	assert_int_equal(c.n_duplicate, 3);
	Enfed__V1__QueryResponse *r
	    = query(f->st, "h/e", T0, T0 + HOUR, ENFED__V1__STEP__STEP_RAW, 0);
	assert_int_equal(r->results[0]->n_value, 3);
	assert_true(r->results[0]->value[1] == 20);
	node_store_query_free(r);
	Enfed__V1__SeriesInfo *info;
	assert_int_equal(node_store_get(f->st, "h/e", &info, NULL), FED_OK);
	assert_int_equal(info->n_points, 3);
	assert_true(info->last_value == 30);
	node_store_info_free(info);
}

// With replace, a stored timestamp takes the new value (counted replaced),
// an equal value is a duplicate, new timestamps are stored; the point
// count stays and the last value follows.
static void
test_replace(void **state)
{
	fixture *f = *state;
	create(f->st, "h/d", ENERGY, 86400, 0);
	int64_t ts[] = {T0, T0 + DAY, T0 + 2 * DAY};
	double v[] = {10, 20, 30};
	node_store_counts c;
	assert_int_equal(append(f->st, "h/d", ts, v, 2, &c), FED_OK);
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
	double nv[] = {10, 25, 30};
	sp.series_id = "h/d";
	sp.n_ts_ms = sp.n_value = 3;
	sp.ts_ms = ts;
	sp.value = nv;
	Enfed__V1__SeriesPoints *list[] = {&sp};
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.n_series = 1;
	req.series = list;
	req.replace = 1;
	assert_int_equal(node_store_append(f->st, &req, &c, NULL), FED_OK);
	assert_int_equal(c.n_stored, 1);
	assert_int_equal(c.n_replaced, 1);
	assert_int_equal(c.n_duplicate, 1);
	nv[2] = 35; // the last point replaced: the series' last value follows
	assert_int_equal(node_store_append(f->st, &req, &c, NULL), FED_OK);
	assert_int_equal(c.n_stored, 0);
	assert_int_equal(c.n_replaced, 1);
	Enfed__V1__QueryResponse *r = query(
	    f->st, "h/d", T0, T0 + 3 * DAY, ENFED__V1__STEP__STEP_RAW, 0);
	assert_int_equal(r->results[0]->n_value, 3);
	assert_true(r->results[0]->value[0] == 10);
	assert_true(r->results[0]->value[1] == 25);
	assert_true(r->results[0]->value[2] == 35);
	node_store_query_free(r);
	Enfed__V1__SeriesInfo *info;
	assert_int_equal(node_store_get(f->st, "h/d", &info, NULL), FED_OK);
	assert_int_equal(info->n_points, 3);
	assert_true(info->last_value == 35);
	node_store_info_free(info);
	// Without replace, the same request changes nothing.
	req.replace = 0;
	nv[1] = 1;
	assert_int_equal(node_store_append(f->st, &req, &c, NULL), FED_OK);
	assert_int_equal(c.n_duplicate, 3);
	assert_int_equal(c.n_replaced, 0);
}

static void
test_out_of_order_and_late(void **state)
{
	fixture *f = *state;
	create(f->st, "h/e", ENERGY, 300, 0);
	// Recent points first, then points weeks earlier (older blocks),
	// then points inside an existing block between stored ones, unsorted
	// and with a duplicate inside the batch (first one wins).
	int64_t t1[] = {T0 + 30 * DAY, T0 + 30 * DAY + MIN5};
	double v1[] = {1, 2};
	int64_t t2[] = {T0 + 2 * DAY, T0};
	double v2[] = {3, 4};
	int64_t t3[]
	    = {T0 + 30 * DAY + 60000, T0 + 1, T0 + 1, T0 + 30 * DAY + MIN5};
	double v3[] = {5, 6, 7, 8};
	node_store_counts c;
	assert_int_equal(append(f->st, "h/e", t1, v1, 2, &c), FED_OK);
	assert_int_equal(append(f->st, "h/e", t2, v2, 2, &c), FED_OK);
	assert_int_equal(c.n_stored, 2);
	assert_int_equal(append(f->st, "h/e", t3, v3, 4, &c), FED_OK);
	assert_int_equal(c.n_stored, 2);
	assert_int_equal(c.n_duplicate, 2);
	Enfed__V1__QueryResponse *r = query(
	    f->st, "h/e", 0, T0 + 60 * DAY, ENFED__V1__STEP__STEP_RAW, 0);
	Enfed__V1__SeriesResult *s = r->results[0];
	int64_t want_ts[] = {T0, T0 + 1, T0 + 2 * DAY, T0 + 30 * DAY,
	    T0 + 30 * DAY + 60000, T0 + 30 * DAY + MIN5};
	double want_v[] = {4, 6, 3, 1, 5, 2};
	assert_int_equal(s->n_ts_ms, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(s->ts_ms[i], want_ts[i]);
		assert_true(s->value[i] == want_v[i]);
	}
	node_store_query_free(r);
	node_store_latest l;
	assert_int_equal(
	    node_store_get_latest(f->st, "h/e", &l, NULL), FED_OK);
	assert_int_equal(l.n_points, 6);
	assert_int_equal(l.first_ms, T0);
	assert_true(l.last_value == 2);
}

static void
test_validation_stores_nothing(void **state)
{
	fixture *f = *state;
	create(f->st, "a/e", ENERGY, 300, 0);
	create(f->st, "b/e", ENERGY, 300, 0);
	int64_t ok_ts[] = {T0, T0 + MIN5};
	double ok_v[] = {1, 2};
	int64_t bad_ts[] = {T0, INT64_C(7289654400000)};
	double bad_v[] = {1, NAN};
	Enfed__V1__SeriesPoints a = ENFED__V1__SERIES_POINTS__INIT;
	Enfed__V1__SeriesPoints b = ENFED__V1__SERIES_POINTS__INIT;
	a.series_id = (char *) "a/e";
	a.n_ts_ms = a.n_value = 2;
	a.ts_ms = ok_ts;
	a.value = ok_v;
	b.series_id = (char *) "b/e";
	b.n_ts_ms = b.n_value = 2;
	b.ts_ms = bad_ts;
	b.value = ok_v;
	Enfed__V1__SeriesPoints *list[] = {&a, &b};
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.n_series = 2;
	req.series = list;
	node_store_err err = {""};
	assert_int_equal(
	    node_store_append(f->st, &req, NULL, &err), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err.msg, "series[1].ts_ms[1]"));
	b.ts_ms = ok_ts;
	b.value = bad_v;
	assert_int_equal(
	    node_store_append(f->st, &req, NULL, &err), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err.msg, "series[1].value[1]"));
	b.n_value = 1;
	assert_int_equal(
	    node_store_append(f->st, &req, NULL, &err), FED_INVALID_ARGUMENT);
	b.n_value = 2;
	b.value = ok_v;
	b.series_id = (char *) "c/e"; // valid, but unknown
	assert_int_equal(
	    node_store_append(f->st, &req, NULL, &err), FED_NOT_FOUND);
	b.series_id = (char *) "bad id";
	assert_int_equal(
	    node_store_append(f->st, &req, NULL, &err), FED_INVALID_ARGUMENT);
	int64_t neg[] = {-1};
	assert_int_equal(
	    append(f->st, "a/e", neg, ok_v, 1, NULL), FED_INVALID_ARGUMENT);
	node_store_latest l;
	assert_int_equal(
	    node_store_get_latest(f->st, "a/e", &l, NULL), FED_OK);
	assert_int_equal(l.n_points, 0);
	Enfed__V1__QueryResponse *r
	    = query(f->st, "a/e", T0, T0 + DAY, ENFED__V1__STEP__STEP_RAW, 0);
	assert_int_equal(r->results[0]->n_ts_ms, 0);
	node_store_query_free(r);
}

static void
test_ids(void **state)
{
	(void) state;
	char long_id[202];
	memset(long_id, 'a', 201);
	long_id[201] = '\0';
	assert_true(node_store_valid_id("kermelo/pv/energy"));
	assert_true(node_store_valid_id("A-z_0.9"));
	assert_false(node_store_valid_id(""));
	assert_false(node_store_valid_id(NULL));
	assert_false(node_store_valid_id("a b"));
	assert_false(node_store_valid_id("é"));
	assert_false(node_store_valid_id(long_id));
	long_id[200] = '\0';
	assert_true(node_store_valid_id(long_id));
}

// A box is bounded in all (8 KiB of keys and values), not only per fact,
// on create and on update; the refusal names the field and the limit.
static void
test_box_total_limit(void **state)
{
	fixture *f = *state;
	static char value[1001];
	memset(value, 'x', 1000);
	Enfed__V1__Fact facts[10];
	Enfed__V1__Fact *box[10];
	static const char *const keys[]
	    = {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"};
	for (size_t i = 0; i < 10; i++) {
		enfed__v1__fact__init(&facts[i]);
		facts[i].key = (char *) keys[i];
		facts[i].value = value;
		box[i] = &facts[i];
	}
	Enfed__V1__SeriesMeta m = meta("s/big", ENERGY, 300, 0);
	m.tz = (char *) "Europe/Paris";
	m.box = box;
	m.n_box = 8; // 8016 bytes: accepted
	assert_int_equal(node_store_create(f->st, &m, NULL, NULL), FED_OK);
	m.id = (char *) "s/bigger";
	m.n_box = 9; // 9018 bytes
	node_store_err err = {""};
	assert_int_equal(
	    node_store_create(f->st, &m, NULL, &err), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err.msg, "box: at most 8192 bytes"));
	Enfed__V1__UpdateSeriesRequest u
	    = ENFED__V1__UPDATE_SERIES_REQUEST__INIT;
	u.id = (char *) "s/big";
	u.box = box;
	u.n_box = 10;
	assert_int_equal(
	    node_store_update(f->st, &u, NULL, &err), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err.msg, "8192"));
}

static void
test_create_update_get(void **state)
{
	fixture *f = *state;
	Enfed__V1__SeriesMeta m = meta("s/pv", ENERGY, 300, 0);
	Enfed__V1__Fact fa = ENFED__V1__FACT__INIT;
	fa.key = (char *) "surface";
	fa.value = (char *) "120 m2";
	Enfed__V1__Fact *box[] = {&fa};
	m.n_box = 1;
	m.box = box;
	m.tz = (char *) "Europe/Paris";
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(node_store_create(f->st, &m, &info, NULL), FED_OK);
	assert_string_equal(info->meta->box[0]->value, "120 m2");
	node_store_info_free(info);
	// Identical: idempotent. Different: ALREADY_EXISTS.
	assert_int_equal(node_store_create(f->st, &m, NULL, NULL), FED_OK);
	m.interval_s = 60;
	node_store_err err = {""};
	assert_int_equal(
	    node_store_create(f->st, &m, NULL, &err), FED_ALREADY_EXISTS);
	m.interval_s = 300;
	m.kind = 42;
	assert_int_equal(
	    node_store_create(f->st, &m, NULL, &err), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err.msg, "meta.kind"));
	m.kind = ENERGY;
	m.tz = (char *) "../etc";
	assert_int_equal(
	    node_store_create(f->st, &m, NULL, &err), FED_INVALID_ARGUMENT);
	Enfed__V1__Fact fb = ENFED__V1__FACT__INIT;
	fb.key = (char *) "peak";
	fb.value = (char *) "36 kWc";
	Enfed__V1__Fact *box2[] = {&fb, &fa};
	Enfed__V1__UpdateSeriesRequest u
	    = ENFED__V1__UPDATE_SERIES_REQUEST__INIT;
	u.id = (char *) "s/pv";
	u.n_box = 2;
	u.box = box2;
	u.source = (char *) "Enphase";
	assert_int_equal(node_store_update(f->st, &u, &info, NULL), FED_OK);
	assert_int_equal(info->meta->n_box, 2);
	assert_string_equal(info->meta->box[0]->key, "peak");
	assert_string_equal(info->meta->source, "Enphase");
	node_store_info_free(info);
	u.id = (char *) "s/none";
	assert_int_equal(
	    node_store_update(f->st, &u, NULL, NULL), FED_NOT_FOUND);
	assert_int_equal(node_store_get(f->st, "s/pv", &info, NULL), FED_OK);
	assert_string_equal(info->meta->tz, "Europe/Paris");
	assert_string_equal(info->meta->owner, "tester");
	assert_int_equal(info->meta->interval_s, 300);
	assert_string_equal(info->meta->box[1]->key, "surface");
	node_store_info_free(info);
	assert_int_equal(
	    node_store_get(f->st, "s/x", &info, &err), FED_NOT_FOUND);
}

static void
test_delete_and_list(void **state)
{
	fixture *f = *state;
	create(f->st, "k/pv/e", ENERGY, 300, 0);
	create(f->st, "k/load/p", POWER, 60, 0);
	create(f->st, "b/house/e", ENERGY, 300, 0);
	int64_t ts[] = {T0};
	double v[] = {5};
	assert_int_equal(append(f->st, "k/pv/e", ts, v, 1, NULL), FED_OK);
	Enfed__V1__ListSeriesRequest fl = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	Enfed__V1__SeriesInfo **infos;
	size_t n;
	assert_int_equal(
	    node_store_list(f->st, NULL, &infos, &n, NULL), FED_OK);
	assert_int_equal(n, 3);
	assert_string_equal(infos[0]->meta->id, "b/house/e");
	node_store_info_list_free(infos, n);
	fl.prefix = (char *) "k/";
	assert_int_equal(
	    node_store_list(f->st, &fl, &infos, &n, NULL), FED_OK);
	assert_int_equal(n, 2);
	node_store_info_list_free(infos, n);
	fl.kind = ENERGY;
	assert_int_equal(
	    node_store_list(f->st, &fl, &infos, &n, NULL), FED_OK);
	assert_int_equal(n, 1);
	assert_string_equal(infos[0]->meta->id, "k/pv/e");
	assert_int_equal(infos[0]->n_points, 1);
	node_store_info_list_free(infos, n);
	fl.owner = (char *) "nobody";
	assert_int_equal(
	    node_store_list(f->st, &fl, &infos, &n, NULL), FED_OK);
	assert_int_equal(n, 0);
	assert_null(infos);
	assert_int_equal(node_store_delete(f->st, "k/pv/e", NULL), FED_OK);
	assert_int_equal(
	    node_store_delete(f->st, "k/pv/e", NULL), FED_NOT_FOUND);
	// Re-created, it starts empty: the points went with it.
	create(f->st, "k/pv/e", ENERGY, 300, 0);
	Enfed__V1__QueryResponse *r = query(
	    f->st, "k/pv/e", T0, T0 + DAY, ENFED__V1__STEP__STEP_RAW, 0);
	assert_int_equal(r->results[0]->n_ts_ms, 0);
	node_store_query_free(r);
}

// Hourly buckets of 5-minute energy with a hole; every aggregate.
static void
test_aggregates_and_coverage(void **state)
{
	fixture *f = *state;
	create(f->st, "h/e", ENERGY, 300, 0);
	int64_t ts[24];
	double v[24];
	size_t n = 0;
	for (int i = 0; i < 24; i++) {
		if (i >= 15 && i < 21) // hour 2 holds 6 of its 12 points
			continue;
		ts[n] = T0 + i * MIN5;
		v[n++] = i + 1;
	}
	assert_int_equal(append(f->st, "h/e", ts, v, n, NULL), FED_OK);
	static const struct {
		Enfed__V1__Aggregate agg;
		double h0, h1;
	} cases[] = {
	    {ENFED__V1__AGGREGATE__AGG_DEFAULT, 78, 111},
	    {ENFED__V1__AGGREGATE__AGG_MEAN, 6.5, 18.5},
	    {ENFED__V1__AGGREGATE__AGG_MIN, 1, 13},
	    {ENFED__V1__AGGREGATE__AGG_MAX, 12, 24},
	    {ENFED__V1__AGGREGATE__AGG_FIRST, 1, 13},
	    {ENFED__V1__AGGREGATE__AGG_LAST, 12, 24},
	    {ENFED__V1__AGGREGATE__AGG_COUNT, 12, 6},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		Enfed__V1__QueryResponse *r = query(f->st, "h/e", T0,
		    T0 + 3 * HOUR, ENFED__V1__STEP__STEP_HOUR, cases[k].agg);
		Enfed__V1__SeriesResult *s = r->results[0];
		assert_int_equal(s->n_value, 3);
		assert_int_equal(r->n_bucket_end_ms, 3);
		assert_int_equal(r->bucket_end_ms[0], T0 + HOUR);
		assert_true(s->value[0] == cases[k].h0);
		assert_true(s->value[1] == cases[k].h1);
		assert_true(s->coverage[0] == 1.0);
		assert_true(s->coverage[1] == 0.5);
		assert_int_equal(s->n_points[1], 6);
		// An empty bucket: value 0, coverage 0, never a silent zero.
		assert_true(s->value[2] == 0 && s->coverage[2] == 0);
		node_store_query_free(r);
	}
}

// Month buckets over a year of 5-minute data: the summary shortcut (whole
// week blocks) must give exactly what adding every point gives.
static void
test_coarse_matches_points(void **state)
{
	fixture *f = *state;
	create(f->st, "h/p", POWER, 300, 0);
	enum {
		N = 366 * 288
	};
	int64_t *ts = malloc(N * sizeof(*ts));
	double *v = malloc(N * sizeof(*v));
	for (size_t i = 0; i < N; i++) {
		ts[i] = T0 + (int64_t) i * MIN5;
		v[i] = (double) ((i * 7919) % 1000) / 4.0;
	}
	assert_int_equal(append(f->st, "h/p", ts, v, N, NULL), FED_OK);
	int64_t from = T0 + 5 * DAY + 7 * MIN5, to = T0 + 300 * DAY + 3;
	Enfed__V1__Aggregate aggs[] = {ENFED__V1__AGGREGATE__AGG_SUM,
	    ENFED__V1__AGGREGATE__AGG_MIN, ENFED__V1__AGGREGATE__AGG_MAX,
	    ENFED__V1__AGGREGATE__AGG_FIRST, ENFED__V1__AGGREGATE__AGG_LAST,
	    ENFED__V1__AGGREGATE__AGG_COUNT};
	for (size_t k = 0; k < 6; k++) {
		Enfed__V1__QueryResponse *r = query(f->st, "h/p", from, to,
		    ENFED__V1__STEP__STEP_MONTH, aggs[k]);
		Enfed__V1__SeriesResult *s = r->results[0];
		assert_int_equal(s->n_value, 10);
		for (size_t b = 0; b < s->n_value; b++) {
			int64_t lo = s->ts_ms[b] > from ? s->ts_ms[b] : from;
			int64_t hi = r->bucket_end_ms[b] < to
			    ? r->bucket_end_ms[b]
			    : to;
			double sum = 0, mn = INFINITY, mx = -INFINITY;
			double first = NAN, last = NAN;
			uint32_t cnt = 0;
			for (size_t i = 0; i < N; i++) {
				if (ts[i] < lo || ts[i] >= hi)
					continue;
				sum += v[i];
				mn = fmin(mn, v[i]);
				mx = fmax(mx, v[i]);
				if (cnt++ == 0)
					first = v[i];
				last = v[i];
			}
			double want[] = {sum, mn, mx, first, last, cnt};
			assert_true(fabs(s->value[b] - want[k])
			    < 1e-6 * (1 + fabs(want[k])));
			assert_int_equal(s->n_points[b], cnt);
		}
		node_store_query_free(r);
	}
	free(ts);
	free(v);
}

static void
test_several_series_same_buckets(void **state)
{
	fixture *f = *state;
	create(f->st, "a/e", ENERGY, 300, 0);
	create(f->st, "b/p", POWER, 600, 0);
	int64_t ta[] = {T0, T0 + DAY + 5};
	double va[] = {1, 2};
	int64_t tb[] = {T0 + HOUR, T0 + HOUR + 600000, T0 + 2 * DAY};
	double vb[] = {100, 300, 50};
	assert_int_equal(append(f->st, "a/e", ta, va, 2, NULL), FED_OK);
	assert_int_equal(append(f->st, "b/p", tb, vb, 3, NULL), FED_OK);
	const char *ids[] = {"b/p", "a/e"};
	Enfed__V1__QueryResponse *r = query_many(f->st, ids, 2, T0 + HOUR,
	    T0 + 3 * DAY, ENFED__V1__STEP__STEP_DAY, 0, FED_OK);
	assert_int_equal(r->n_results, 2);
	assert_string_equal(r->results[0]->series_id, "b/p");
	assert_int_equal(r->results[0]->n_ts_ms, 3);
	assert_int_equal(r->results[1]->n_ts_ms, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(
		    r->results[0]->ts_ms[i], r->results[1]->ts_ms[i]);
	assert_int_equal(r->results[0]->ts_ms[0], T0);
	assert_true(r->results[0]->value[0] == 200); // power: mean
	assert_true(r->results[1]->value[0] == 0); // T0 is before the range
	assert_true(r->results[1]->value[1] == 2);
	assert_string_equal(r->tz, "UTC");
	node_store_query_free(r);
	const char *bad[] = {"a/e", "zz/none"};
	query_many(f->st, bad, 2, T0, T0 + DAY, ENFED__V1__STEP__STEP_DAY, 0,
	    FED_NOT_FOUND);
	query_many(f->st, ids, 2, T0 + DAY, T0, ENFED__V1__STEP__STEP_DAY, 0,
	    FED_INVALID_ARGUMENT);
	query_many(f->st, ids, 2, T0, T0 + DAY, (Enfed__V1__Step) 9, 0,
	    FED_INVALID_ARGUMENT);
}

static void
test_week_month_year_utc(void **state)
{
	fixture *f = *state;
	create(f->st, "a/e", ENERGY, 300, 0);
	int64_t ts[] = {T0 - DAY, T0 + 40 * DAY};
	double v[] = {1, 2};
	assert_int_equal(append(f->st, "a/e", ts, v, 2, NULL), FED_OK);
	Enfed__V1__QueryResponse *r = query(f->st, "a/e", T0 - 3 * DAY,
	    T0 + 60 * DAY, ENFED__V1__STEP__STEP_WEEK, 0);
	// 2025-12-29 is a Monday.
	assert_int_equal(r->results[0]->ts_ms[0], T0 - 3 * DAY);
	node_store_query_free(r);
	r = query(f->st, "a/e", T0 - 3 * DAY, T0 + 60 * DAY,
	    ENFED__V1__STEP__STEP_MONTH, 0);
	assert_int_equal(r->results[0]->n_ts_ms, 4);
	assert_int_equal(r->results[0]->ts_ms[0], T0 - 31 * DAY);
	assert_int_equal(r->results[0]->ts_ms[2], T0 + 31 * DAY);
	assert_int_equal(r->bucket_end_ms[2], T0 + 59 * DAY); // 1 March
	assert_true(r->results[0]->value[2] == 2);
	node_store_query_free(r);
	r = query(f->st, "a/e", T0 - 3 * DAY, T0 + 60 * DAY,
	    ENFED__V1__STEP__STEP_YEAR, 0);
	assert_int_equal(r->results[0]->n_ts_ms, 2);
	assert_int_equal(r->results[0]->ts_ms[0], T0 - 365 * DAY);
	assert_true(r->results[0]->value[0] == 1);
	node_store_query_free(r);
}

// A cumulative index read every 5 minutes with a reset, a gap and a jump.
static void
test_cumulative_index(void **state)
{
	fixture *f = *state;
	create(f->st, "h/base", INDEX, 300, 1);
	int64_t ts[] = {T0 - MIN5, T0, T0 + MIN5, T0 + 2 * MIN5, T0 + 3 * MIN5,
	    T0 + 5 * HOUR, T0 + 5 * HOUR + MIN5, T0 + 5 * HOUR + 2 * MIN5};
	// +10, +10, reset to 5 (0 counted), +10, gap of ~4.9 h (+120),
	// jump of 1e9 Wh in 5 min (flagged), +7.
	double v[] = {980, 1000, 1010, 5, 15, 135, 1e9 + 135, 1e9 + 142};
	assert_int_equal(append(f->st, "h/base", ts, v, 8, NULL), FED_OK);
	Enfed__V1__QueryResponse *r = query(
	    f->st, "h/base", T0, T0 + 6 * HOUR, ENFED__V1__STEP__STEP_HOUR, 0);
	Enfed__V1__SeriesResult *s = r->results[0];
	assert_int_equal(s->n_value, 6);
	double total = 0;
	for (size_t i = 0; i < s->n_value; i++) {
		assert_true(s->value[i] >= 0);
		total += s->value[i];
	}
	// 10 (T0..+5) + 10 (after reset) + 120 (gap) + 7 = 147.
	assert_true(fabs(total - 147) < 1e-9);
	// Hour 0 holds [T0, T0+15 min) of regular data and the start of the
	// gap: 20 Wh plus 45/285 of the gap's 120 Wh.
	double gap_share = 120.0 * (45.0 * 60000) / (double) (285 * 60000);
	assert_true(fabs(s->value[0] - (20 + gap_share)) < 1e-9);
	assert_true(fabs(s->coverage[0] - 10.0 / 60) < 1e-12);
	assert_true(s->coverage[2] == 0);
	assert_true(s->value[2] > 0); // energy spread over the gap
	assert_int_equal(s->n_events, 3);
	assert_int_equal(
	    s->events[0]->kind, ENFED__V1__INDEX_EVENT__KIND__RESET);
	assert_int_equal(s->events[0]->ts_ms, T0 + 2 * MIN5);
	assert_true(s->events[0]->before == 1010 && s->events[0]->after == 5);
	assert_int_equal(
	    s->events[1]->kind, ENFED__V1__INDEX_EVENT__KIND__GAP);
	assert_int_equal(
	    s->events[2]->kind, ENFED__V1__INDEX_EVENT__KIND__JUMP);
	node_store_query_free(r);
	// Other aggregates read the index itself.
	r = query(f->st, "h/base", T0, T0 + HOUR, ENFED__V1__STEP__STEP_HOUR,
	    ENFED__V1__AGGREGATE__AGG_LAST);
	assert_true(r->results[0]->value[0] == 15);
	node_store_query_free(r);
}

// Readings ten days apart, the one before the range and the one after it
// in other blocks (read from the blocks' summaries): gap energy spread
// evenly over the days, none of them covered.
static void
test_cumulative_across_blocks(void **state)
{
	fixture *f = *state;
	create(f->st, "h/idx", INDEX, 300, 1);
	int64_t ts[] = {T0, T0 + 10 * DAY, T0 + 20 * DAY};
	double v[] = {1000, 1240, 1480};
	assert_int_equal(append(f->st, "h/idx", ts, v, 3, NULL), FED_OK);
	Enfed__V1__QueryResponse *r = query(f->st, "h/idx", T0 + 8 * DAY,
	    T0 + 13 * DAY, ENFED__V1__STEP__STEP_DAY, 0);
	Enfed__V1__SeriesResult *s = r->results[0];
	assert_int_equal(s->n_value, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_true(fabs(s->value[i] - 24) < 1e-9);
		assert_true(s->coverage[i] == 0);
		assert_int_equal(s->n_points[i], i == 2 ? 1 : 0);
	}
	assert_int_equal(s->n_events, 2);
	assert_int_equal(
	    s->events[0]->kind, ENFED__V1__INDEX_EVENT__KIND__GAP);
	assert_int_equal(s->events[0]->ts_ms, T0 + 10 * DAY);
	assert_int_equal(s->events[1]->ts_ms, T0 + 20 * DAY);
	node_store_query_free(r);
}

static void
test_raw_limit(void **state)
{
	fixture *f = *state;
	node_store_close(f->st);
	node_store_opts o;
	node_store_opts_init(&o);
	o.max_raw_points = 3;
	o.max_buckets = 10;
	o.default_tz = "UTC";
	assert_int_equal(node_store_open(f->dir, &o, &f->st, NULL), FED_OK);
	create(f->st, "a/e", ENERGY, 300, 0);
	int64_t ts[] = {T0, T0 + 1, T0 + 2, T0 + 3};
	double v[] = {1, 2, 3, 4};
	assert_int_equal(append(f->st, "a/e", ts, v, 4, NULL), FED_OK);
	const char *id = "a/e";
	query_many(f->st, &id, 1, T0, T0 + DAY, ENFED__V1__STEP__STEP_RAW, 0,
	    FED_RESOURCE_EXHAUSTED);
	node_store_query_free(query_many(f->st, &id, 1, T0 + 1, T0 + DAY,
	    ENFED__V1__STEP__STEP_RAW, 0, FED_OK));
	query_many(f->st, &id, 1, T0, T0 + DAY, ENFED__V1__STEP__STEP_HOUR, 0,
	    FED_RESOURCE_EXHAUSTED);
	o.n_readers = 0;
	node_store *bad;
	assert_int_equal(
	    node_store_open(f->dir, &o, &bad, NULL), FED_INVALID_ARGUMENT);
}

// The replication outbox: a live grant's backlog holds each covered point
// once (across several blocks), new points in range are added by the
// append, points outside the range and other series are not, delivered
// rows leave, and revocation empties what is left.
static void
test_outbox(void **state)
{
	fixture *f = *state;
	create(f->st, "a/x", ENERGY, 300, 0);
	create(f->st, "b/y", ENERGY, 300, 0);
	enum {
		N = 3 * 2016 + 17
	}; // three weekly blocks and a bit
	int64_t *ts = calloc(N, sizeof(*ts));
	double *v = calloc(N, sizeof(*v));
	for (size_t i = 0; i < N; i++) {
		ts[i] = T0 + (int64_t) i * 300000;
		v[i] = (double) i;
	}
	assert_int_equal(append(f->st, "a/x", ts, v, N, NULL), FED_OK);
	assert_int_equal(append(f->st, "b/y", ts, v, 10, NULL), FED_OK);
	Enfed__V1__Scope sc[1] = {ENFED__V1__SCOPE__SCOPE_LIVE};
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = T0;
	r.to_ms = T0 + (int64_t) (N + 5) * 300000;
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.id = "g-test";
	g.series = "a/";
	g.grantee_node = "peer";
	g.scopes = sc;
	g.n_scopes = 1;
	g.data_range = &r;
	node_store_err err = {""};
	assert_int_equal(node_store_grant_put(f->st, &g, "00", &err), FED_OK);
	uint64_t n = 0;
	assert_int_equal(node_store_outbox_count(f->st, "", &n, &err), FED_OK);
	assert_int_equal(n, N);
	// New points: 5 inside the range, 3 after it; other series: none.
	int64_t more[8];
	double mv[8] = {0};
	for (int i = 0; i < 8; i++)
		more[i] = T0 + (int64_t) (N + i) * 300000;
	assert_int_equal(append(f->st, "a/x", more, mv, 8, NULL), FED_OK);
	assert_int_equal(append(f->st, "b/y", more, mv, 8, NULL), FED_OK);
	assert_int_equal(
	    node_store_outbox_count(f->st, "g-test", &n, &err), FED_OK);
	assert_int_equal(n, N + 5);
	node_store_outbox_row *rows = calloc(100, sizeof(*rows));
	size_t got = 0;
	assert_int_equal(
	    node_store_outbox_peek(f->st, rows, 100, &got, &err), FED_OK);
	assert_int_equal(got, 100);
	assert_string_equal(rows[0].series_id, "a/x");
	assert_int_equal(rows[0].ts_ms, T0);
	assert_int_equal(
	    node_store_outbox_done(f->st, "g-test", rows[99].seq, &err),
	    FED_OK);
	assert_int_equal(node_store_outbox_count(f->st, "", &n, &err), FED_OK);
	assert_int_equal(n, N + 5 - 100);
	assert_int_equal(
	    node_store_grant_revoke(f->st, "g-test", &err), FED_OK);
	assert_int_equal(node_store_outbox_count(f->st, "", &n, &err), FED_OK);
	assert_int_equal(n, 0);
	// Revoked: new points are not queued any more.
	assert_int_equal(append(f->st, "a/x", more, mv, 1, NULL), FED_OK);
	assert_int_equal(node_store_outbox_count(f->st, "", &n, &err), FED_OK);
	assert_int_equal(n, 0);
	free(rows);
	free(ts);
	free(v);
}

// Buckets held for a coarse grant leave the outbox with the rows, come
// back (one row at their start) once they ended, held once however often
// they are held, and are dropped with the grant.
static void
test_outbox_held(void **state)
{
	fixture *f = *state;
	create(f->st, "a/x", ENERGY, 300, 0);
	int64_t ts[3] = {T0, T0 + 300000, T0 + 600000};
	double v[3] = {1, 2, 3};
	assert_int_equal(append(f->st, "a/x", ts, v, 3, NULL), FED_OK);
	Enfed__V1__Scope sc[1] = {ENFED__V1__SCOPE__SCOPE_LIVE};
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.id = "g-day";
	g.series = "a/";
	g.grantee_node = "peer";
	g.scopes = sc;
	g.n_scopes = 1;
	g.finest_step = ENFED__V1__STEP__STEP_DAY;
	node_store_err err = {""};
	assert_int_equal(node_store_grant_put(f->st, &g, "01", &err), FED_OK);
	node_store_outbox_row rows[8];
	size_t got = 0;
	assert_int_equal(
	    node_store_outbox_peek(f->st, rows, 8, &got, &err), FED_OK);
	assert_int_equal(got, 3);
	const int64_t day = 86400000;
	node_store_held held[2]
	    = {{"a/x", T0, T0 + day}, {"a/x", T0 + day, T0 + 2 * day}};
	for (int twice = 0; twice < 2; twice++)
		assert_int_equal(node_store_outbox_hold(f->st, "g-day",
		                     rows[2].seq, held, 2, &err),
		    FED_OK);
	uint64_t n = 0;
	assert_int_equal(node_store_outbox_count(f->st, "", &n, &err), FED_OK);
	assert_int_equal(n, 0);
	size_t released = 0;
	int64_t next = 0;
	assert_int_equal(node_store_outbox_release(
	                     f->st, T0 + day - 1, &released, &next, &err),
	    FED_OK);
	assert_int_equal(released, 0);
	assert_int_equal(next, T0 + day);
	assert_int_equal(
	    node_store_outbox_release(f->st, T0 + day, &released, &next, &err),
	    FED_OK);
	assert_int_equal(released, 1);
	assert_int_equal(next, T0 + 2 * day);
	assert_int_equal(
	    node_store_outbox_peek(f->st, rows, 8, &got, &err), FED_OK);
	assert_int_equal(got, 1);
	assert_string_equal(rows[0].grant_id, "g-day");
	assert_int_equal(rows[0].ts_ms, T0);
	assert_int_equal(
	    node_store_grant_revoke(f->st, "g-day", &err), FED_OK);
	assert_int_equal(node_store_outbox_release(
	                     f->st, T0 + 3 * day, &released, &next, &err),
	    FED_OK);
	assert_int_equal(released, 0);
	assert_int_equal(next, INT64_MAX);
}

static void
test_reopen(void **state)
{
	fixture *f = *state;
	create(f->st, "a/e", ENERGY, 300, 0);
	int64_t ts[] = {T0, T0 + MIN5};
	double v[] = {1.25, -7};
	assert_int_equal(append(f->st, "a/e", ts, v, 2, NULL), FED_OK);
	node_store_close(f->st);
	char wal[300];
	snprintf(wal, sizeof(wal), "%s/series.db-wal", f->dir);
	assert_int_not_equal(access(wal, F_OK), 0); // checkpointed, removed
	assert_int_equal(node_store_open(f->dir, NULL, &f->st, NULL), FED_OK);
	Enfed__V1__QueryResponse *r
	    = query(f->st, "a/e", T0, T0 + DAY, ENFED__V1__STEP__STEP_RAW, 0);
	assert_int_equal(r->results[0]->n_value, 2);
	assert_true(r->results[0]->value[1] == -7);
	node_store_query_free(r);
	// A file that is not a database.
	char path[300];
	snprintf(path, sizeof(path), "%s/junk.db", f->dir);
	FILE *fp = fopen(path, "w");
	fputs("this is not a database, not at all, no sqlite header here", fp);
	fclose(fp);
	node_store *st;
	node_store_err err = {""};
	assert_int_equal(
	    node_store_open(path, NULL, &st, &err), FED_DATA_LOSS);
	unlink(path);
}

static void
test_stats_and_compact(void **state)
{
	fixture *f = *state;
	create(f->st, "a/e", ENERGY, 300, 0);
	create(f->st, "b/e", ENERGY, 300, 0);
	enum {
		N = 20000
	};
	int64_t *ts = malloc(N * sizeof(*ts));
	double *v = malloc(N * sizeof(*v));
	for (size_t i = 0; i < N; i++) {
		ts[i] = T0 + (int64_t) i * MIN5;
		v[i] = (double) ((i * 7919) % 1000) / 8;
	}
	assert_int_equal(append(f->st, "a/e", ts, v, N, NULL), FED_OK);
	assert_int_equal(append(f->st, "b/e", ts, v, N, NULL), FED_OK);
	node_store_stats s;
	assert_int_equal(node_store_get_stats(f->st, &s), FED_OK);
	assert_int_equal(s.n_series, 2);
	assert_int_equal(s.n_points, 2 * N);
	assert_int_equal(s.n_blocks, 2 * ((N + 2015) / 2016));
	assert_true(s.block_bytes > 0 && s.block_bytes < s.file_bytes);
	assert_int_equal(node_store_delete(f->st, "a/e", NULL), FED_OK);
	node_store_stats after;
	assert_int_equal(node_store_get_stats(f->st, &after), FED_OK);
	assert_true(after.free_bytes > 0);
	assert_int_equal(node_store_compact(f->st), FED_OK);
	assert_int_equal(node_store_get_stats(f->st, &after), FED_OK);
	assert_int_equal(after.free_bytes, 0);
	assert_true(after.file_bytes < s.file_bytes);
	assert_int_equal(after.n_points, N);
	Enfed__V1__QueryResponse *r = query(f->st, "b/e", T0, T0 + 365 * DAY,
	    ENFED__V1__STEP__STEP_YEAR, ENFED__V1__AGGREGATE__AGG_COUNT);
	assert_true(r->results[0]->value[0] == N);
	node_store_query_free(r);
	free(ts);
	free(v);
}

// A block damaged on disk is DATA_LOSS for reads and writes, never a crash
// or wrong numbers, and leaves the rest of the store usable.
static void
test_corrupt_block(void **state)
{
	fixture *f = *state;
	create(f->st, "a/e", ENERGY, 300, 0);
	create(f->st, "b/e", ENERGY, 300, 0);
	int64_t ts[] = {T0, T0 + MIN5};
	double v[] = {1, 2};
	assert_int_equal(append(f->st, "a/e", ts, v, 2, NULL), FED_OK);
	assert_int_equal(append(f->st, "b/e", ts, v, 2, NULL), FED_OK);
	node_store_err err = {""};
	assert_int_equal(node_store_check(f->st, &err), FED_OK);
	char path[300];
	snprintf(path, sizeof(path), "%s/series.db", f->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                     "UPDATE blocks SET data = x'28b52ffd0000'"
	                     " WHERE key = (SELECT min(key) FROM blocks)",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(node_store_check(f->st, &err), FED_DATA_LOSS);
	assert_non_null(strstr(err.msg, "series a/e: "));
	const char *id = "a/e";
	query_many(f->st, &id, 1, T0, T0 + DAY, ENFED__V1__STEP__STEP_RAW, 0,
	    FED_DATA_LOSS);
	// 5-minute buckets split the block, so it must be decoded (an hour
	// bucket would be answered from the block's intact summary).
	query_many(f->st, &id, 1, T0, T0 + DAY, ENFED__V1__STEP__STEP_5MIN, 0,
	    FED_DATA_LOSS);
	int64_t late[] = {T0 + 1};
	assert_int_equal(
	    append(f->st, "a/e", late, v, 1, NULL), FED_DATA_LOSS);
	Enfed__V1__QueryResponse *r
	    = query(f->st, "b/e", T0, T0 + DAY, ENFED__V1__STEP__STEP_RAW, 0);
	assert_int_equal(r->results[0]->n_value, 2);
	node_store_query_free(r);
}

// Europe/Paris: 2026-03-29 has 23 hours, 2026-10-25 has 25. Local days
// and local hours on both, with 5-minute points of 1 Wh throughout.
#define PARIS_MAR28 INT64_C(1774652400000) // 2026-03-28T00:00+01:00
#define PARIS_MAR29 INT64_C(1774738800000) // 2026-03-29T00:00+01:00
#define PARIS_MAR30 INT64_C(1774821600000) // 2026-03-30T00:00+02:00
#define PARIS_MAR31 INT64_C(1774908000000) // 2026-03-31T00:00+02:00
#define PARIS_OCT25 INT64_C(1792879200000) // 2026-10-25T00:00+02:00
#define PARIS_OCT26 INT64_C(1792969200000) // 2026-10-26T00:00+01:00

static void
fill_ones(node_store *st, const char *id, int64_t from, int64_t to)
{
	size_t n = (size_t) ((to - from) / MIN5);
	int64_t *ts = malloc(n * sizeof(*ts));
	double *v = malloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		ts[i] = from + (int64_t) i * MIN5;
		v[i] = 1;
	}
	assert_int_equal(append(st, id, ts, v, n, NULL), FED_OK);
	free(ts);
	free(v);
}

static void
check_hours(
    node_store *st, const char *id, int64_t from, int64_t to, size_t n_hours)
{
	Enfed__V1__QueryResponse *r = query_tz(st, &id, 1, from, to,
	    ENFED__V1__STEP__STEP_HOUR, 0, "Europe/Paris", FED_OK);
	Enfed__V1__SeriesResult *s = r->results[0];
	assert_int_equal(s->n_value, n_hours);
	for (size_t i = 0; i < n_hours; i++) {
		assert_int_equal(r->bucket_end_ms[i] - s->ts_ms[i], HOUR);
		assert_true(s->value[i] == 12 && s->coverage[i] == 1);
	}
	node_store_query_free(r);
}

static void
test_dst_days_paris(void **state)
{
	fixture *f = *state;
	create(f->st, "h/e", ENERGY, 300, 0);
	fill_ones(f->st, "h/e", PARIS_MAR28, PARIS_MAR31);
	fill_ones(f->st, "h/e", PARIS_OCT25, PARIS_OCT26);
	const char *id = "h/e";
	// "" is the store's default zone, Europe/Paris.
	Enfed__V1__QueryResponse *r = query_tz(f->st, &id, 1, PARIS_MAR28,
	    PARIS_MAR31, ENFED__V1__STEP__STEP_DAY, 0, "", FED_OK);
	Enfed__V1__SeriesResult *s = r->results[0];
	assert_string_equal(r->tz, "Europe/Paris");
	assert_int_equal(s->n_value, 3);
	assert_int_equal(s->ts_ms[1], PARIS_MAR29);
	assert_int_equal(r->bucket_end_ms[1], PARIS_MAR30);
	assert_true(s->value[0] == 288 && s->value[1] == 276);
	assert_true(s->coverage[1] == 1 && s->value[2] == 288);
	node_store_query_free(r);
	r = query_tz(f->st, &id, 1, PARIS_OCT25, PARIS_OCT26,
	    ENFED__V1__STEP__STEP_DAY, 0, "Europe/Paris", FED_OK);
	assert_int_equal(r->results[0]->n_value, 1);
	assert_true(r->results[0]->value[0] == 300);
	assert_true(r->results[0]->coverage[0] == 1);
	node_store_query_free(r);
	check_hours(f->st, id, PARIS_MAR29, PARIS_MAR30, 23);
	check_hours(f->st, id, PARIS_OCT25, PARIS_OCT26, 25);
	query_tz(f->st, &id, 1, PARIS_OCT25, PARIS_OCT26,
	    ENFED__V1__STEP__STEP_DAY, 0, "Mars/Olympus_Mons", FED_NOT_FOUND);
	query_tz(f->st, &id, 1, PARIS_OCT25, PARIS_OCT26,
	    ENFED__V1__STEP__STEP_DAY, 0, "../etc/passwd",
	    FED_INVALID_ARGUMENT);
}

typedef struct race {
	node_store *st;
	int n_batches;
	int failures;
} race;

static void *
writer_main(void *arg)
{
	race *r = arg;
	for (int b = 0; b < r->n_batches; b++) {
		int64_t ts[50];
		double v[50];
		for (int i = 0; i < 50; i++) {
			ts[i] = T0 + (int64_t) (b * 50 + i) * MIN5;
			v[i] = 1;
		}
		if (append(r->st, "w/e", ts, v, 50, NULL) != FED_OK)
			r->failures++;
	}
	return NULL;
}

// Readers see a count that only grows, a multiple of the batch size (never
// half a transaction) and matching the series' own statistics.
static void *
reader_main(void *arg)
{
	race *r = arg;
	double last = 0;
	for (int k = 0; k < 40; k++) {
		Enfed__V1__QueryResponse *resp = NULL;
		Enfed__V1__TimeRange tr
		    = {PROTOBUF_C_MESSAGE_INIT(
		           &enfed__v1__time_range__descriptor),
		        T0, T0 + 365 * DAY};
		char *ids[] = {(char *) "w/e"};
		Enfed__V1__QueryRequest req = ENFED__V1__QUERY_REQUEST__INIT;
		req.n_series_ids = 1;
		req.series_ids = ids;
		req.range = &tr;
		req.step = ENFED__V1__STEP__STEP_YEAR;
		req.tz = (char *) "UTC";
		if (node_store_query(r->st, &req, &resp, NULL) != FED_OK) {
			r->failures++;
			continue;
		}
		double n = resp->results[0]->value[0];
		if (n < last || fmod(n, 50) != 0)
			r->failures++;
		last = n;
		node_store_query_free(resp);
	}
	return NULL;
}

static void
test_concurrent(void **state)
{
	fixture *f = *state;
	create(f->st, "w/e", ENERGY, 300, 0);
	race w = {f->st, 60, 0};
	race rd[3] = {{f->st, 0, 0}, {f->st, 0, 0}, {f->st, 0, 0}};
	pthread_t tw, tr[3];
	pthread_create(&tw, NULL, writer_main, &w);
	for (int i = 0; i < 3; i++)
		pthread_create(&tr[i], NULL, reader_main, &rd[i]);
	pthread_join(tw, NULL);
	for (int i = 0; i < 3; i++) {
		pthread_join(tr[i], NULL);
		assert_int_equal(rd[i].failures, 0);
	}
	assert_int_equal(w.failures, 0);
	node_store_latest l;
	assert_int_equal(
	    node_store_get_latest(f->st, "w/e", &l, NULL), FED_OK);
	assert_int_equal(l.n_points, 3000);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_round_trip_exact),
	    T(test_idempotent),
	    T(test_replace),
	    T(test_out_of_order_and_late),
	    T(test_validation_stores_nothing),
	    T(test_ids),
	    T(test_create_update_get),
	    T(test_box_total_limit),
	    T(test_delete_and_list),
	    T(test_aggregates_and_coverage),
	    T(test_coarse_matches_points),
	    T(test_several_series_same_buckets),
	    T(test_week_month_year_utc),
	    T(test_dst_days_paris),
	    T(test_cumulative_index),
	    T(test_cumulative_across_blocks),
	    T(test_raw_limit),
	    T(test_reopen),
	    T(test_outbox),
	    T(test_outbox_held),
	    T(test_concurrent),
	    T(test_stats_and_compact),
	    T(test_corrupt_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
