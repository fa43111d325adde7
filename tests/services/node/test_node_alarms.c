// SPDX-License-Identifier: MIT
//
// test_node_alarms.c: the alarm engine on a real store and stream: every
// rule type raised and cleared on crafted series (the sibling rule on the
// simulator's plant with one failed micro-inverter), one alarm per
// episode, staleness raised by the timer alone, acknowledgement, the
// events a subscriber sees, hooks (their environment, and one that hangs
// and is killed while ingest goes on), rules refused with the field named,
// and active alarms surviving a restart.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fed/clock.h"
#include "fed/stream.h"
#include "fed_test.h"
#include "node_alarms.h"
#include "node_solar.h"
#include "sim_model.h"
#include "store.h"

#define MIN_MS  INT64_C(60000)
#define HOUR_MS INT64_C(3600000)
#define DAY_MS  INT64_C(86400000)

typedef struct fx {
	char *dir;
	char url[256];
	node_store *st;
	fed_stream_pub *pub;
	fed_stream_sub *sub;
	node_alarms *al;
	int kinds[64]; // events seen, in order
	uint64_t ids[64];
	size_t n_ev;
} fx;

static void
on_event(const fed_stream_event *ev, void *arg)
{
	fx *f = arg;
	if (ev->kind != FED_STREAM_MSG || strcmp(ev->topic, "!alarm") != 0)
		return;
	Enfed__V1__AlarmEvent *e
	    = enfed__v1__alarm_event__unpack(NULL, ev->msg_len, ev->msg);
	if (e == NULL || f->n_ev == 64) {
		enfed__v1__alarm_event__free_unpacked(e, NULL);
		return;
	}
	f->kinds[f->n_ev] = (int) e->kind;
	f->ids[f->n_ev++] = e->alarm != NULL ? e->alarm->id : 0;
	enfed__v1__alarm_event__free_unpacked(e, NULL);
}

// Receives for up to ms, or until `want` events were seen.
static void
drain(fx *f, size_t want, int ms)
{
	int64_t end = fed_clock_mono_ms() + ms;
	while (f->n_ev < want && fed_clock_mono_ms() < end)
		fed_stream_sub_recv(f->sub, 50, on_event, f);
}

// Publishes probes until the subscriber sees one: it is connected.
static void
connect_sub(fx *f)
{
	Enfed__V1__AlarmEvent probe = ENFED__V1__ALARM_EVENT__INIT;
	for (int i = 0; i < 100 && f->n_ev == 0; i++) {
		fed_stream_publish_msg(f->pub, "!alarm ", &probe.base);
		fed_stream_sub_recv(f->sub, 50, on_event, f);
	}
	assert_true(f->n_ev > 0);
	fed_test_sleep_ms(100);
	while (fed_stream_sub_recv(f->sub, 20, on_event, f) == FED_OK)
		;
	f->n_ev = 0;
}

static void
start_engine(fx *f)
{
	node_alarms_opts o = {.store = f->st,
	    .pub = f->pub,
	    .node_name = "testnode",
	    .tick_ms = 3600000, // the tests tick by hand
	    .settle_ms = 100};
	assert_int_equal(node_alarms_new(&o, &f->al), FED_OK);
}

static int
setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	f->dir = fed_test_tmpdir("alarms");
	assert_non_null(f->dir);
	node_store_opts so;
	node_store_opts_init(&so);
	so.sync_normal = 1; // the tests need no durability, only speed
	assert_int_equal(node_store_open(f->dir, &so, &f->st, NULL), FED_OK);
	fed_test_ipc_url(f->url, sizeof(f->url), "alarms");
	assert_int_equal(fed_stream_pub_new(&f->pub), FED_OK);
	assert_int_equal(fed_stream_pub_listen(f->pub, f->url, NULL), FED_OK);
	fed_stream_sub_opts sbo = {.url = f->url};
	assert_int_equal(fed_stream_sub_new(&sbo, &f->sub), FED_OK);
	assert_int_equal(fed_stream_sub_subscribe(f->sub, "!alarm"), FED_OK);
	connect_sub(f);
	start_engine(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fx *f = *state;
	node_alarms_free(f->al);
	fed_stream_sub_free(f->sub);
	fed_stream_pub_free(f->pub);
	node_store_close(f->st);
	fed_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void
create_series(fx *f, const char *id, Enfed__V1__Unit unit, uint32_t interval_s)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = unit == ENFED__V1__UNIT__UNIT_WH
	    ? ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION
	    : ENFED__V1__SERIES_KIND__SERIES_KIND_POWER;
	m.unit = unit;
	m.interval_s = interval_s;
	m.source = "test";
	m.owner = "test";
	assert_int_equal(node_store_create(f->st, &m, NULL, NULL), FED_OK);
}

static void
offer(const char *id, const int64_t *ts, const double *v, size_t n, void *arg)
{
	node_alarms_offer(arg, id, ts, v, n);
}

// Ingests n points of one series as fed-node does, then waits for the
// engine to evaluate them.
static void
ingest(fx *f, const char *id, const int64_t *ts, const double *v, size_t n)
{
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT,
	                        *sps[1] = {&sp};
	sp.series_id = (char *) id;
	sp.ts_ms = (int64_t *) ts;
	sp.value = (double *) v;
	sp.n_ts_ms = sp.n_value = n;
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = sps;
	req.n_series = 1;
	assert_int_equal(
	    node_store_append_notify(f->st, &req, NULL, offer, f->al, NULL),
	    FED_OK);
	assert_int_equal(node_alarms_sync(f->al, 20000), FED_OK);
}

// One slot of the plant as an edge sends it: n series, one point each,
// in one request.
static void
ingest_slot(fx *f, char (*ids)[64], int n, int64_t ts, const double *v)
{
	Enfed__V1__SeriesPoints sp[64], *sps[64];
	int64_t tss[64];
	for (int k = 0; k < n; k++) {
		enfed__v1__series_points__init(&sp[k]);
		tss[k] = ts;
		sp[k].series_id = ids[k];
		sp[k].ts_ms = &tss[k];
		sp[k].value = (double *) &v[k];
		sp[k].n_ts_ms = sp[k].n_value = 1;
		sps[k] = &sp[k];
	}
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = sps;
	req.n_series = (size_t) n;
	assert_int_equal(
	    node_store_append_notify(f->st, &req, NULL, offer, f->al, NULL),
	    FED_OK);
	assert_int_equal(node_alarms_sync(f->al, 20000), FED_OK);
}

static void
ingest1(fx *f, const char *id, int64_t ts, double v)
{
	ingest(f, id, &ts, &v, 1);
}

static fed_status
add_rule(fx *f, Enfed__V1__AlarmRule *r, char *msg)
{
	node_store_err err = {{0}};
	fed_status st = node_alarms_rule_create(f->al, r, NULL, &err);
	if (msg != NULL)
		snprintf(msg, 256, "%s", err.msg);
	return st;
}

struct ids {
	uint64_t id[16];
	size_t n;
};

static fed_status
collect_id(const Enfed__V1__Alarm *a, void *arg)
{
	struct ids *ids = arg;
	if (ids->n < 16)
		ids->id[ids->n++] = a->id;
	return FED_OK;
}

// The number of alarms of a rule (at most 16); *last (may be NULL) gets
// the newest, owned by the caller.
static size_t
alarms_of(fx *f, const char *rule, Enfed__V1__Alarm **last)
{
	Enfed__V1__ListAlarmsRequest q = ENFED__V1__LIST_ALARMS_REQUEST__INIT;
	q.rule_id = (char *) rule;
	q.limit = 16;
	struct ids ids = {{0}, 0};
	assert_int_equal(
	    node_store_alarm_list(f->st, &q, collect_id, &ids, NULL), FED_OK);
	if (last != NULL && ids.n > 0)
		assert_int_equal(
		    node_store_alarm_get(f->st, ids.id[0], last, NULL),
		    FED_OK);
	return ids.n;
}

static int
active(const Enfed__V1__Alarm *a)
{
	return a->state == ENFED__V1__ALARM_STATE__ALARM_STATE_ACTIVE;
}

// ---- Rules refused
// ----------------------------------------------------------

static void
test_bad_rules(void **state)
{
	fx *f = *state;
	create_series(f, "site/meter/power", ENFED__V1__UNIT__UNIT_W, 60);
	Enfed__V1__AlarmLimit hi = ENFED__V1__ALARM_LIMIT__INIT,
	                      lo = ENFED__V1__ALARM_LIMIT__INIT;
	hi.value = 100;
	lo.value = 200;
	Enfed__V1__AlarmRule r = ENFED__V1__ALARM_RULE__INIT;
	r.id = "r1";
	r.type = ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_THRESHOLD;
	r.series = "nosuch/";
	r.above = &hi;
	char msg[256];
	assert_int_equal(add_rule(f, &r, msg), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "series"));
	r.series = "bad pattern!";
	assert_int_equal(add_rule(f, &r, msg), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "series"));
	r.series = "site/";
	r.duration_ms = -1;
	assert_int_equal(add_rule(f, &r, msg), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "duration_ms"));
	r.duration_ms = 0;
	r.above = NULL;
	assert_int_equal(add_rule(f, &r, msg), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "empty threshold"));
	r.above = &hi;
	r.below = &lo; // below 200 or above 100: always
	assert_int_equal(add_rule(f, &r, msg), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "contradictory"));
	r.below = NULL;
	char *argv[] = {"sendmail"};
	r.hook_argv = argv;
	r.n_hook_argv = 1;
	assert_int_equal(add_rule(f, &r, msg), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "hook_argv[0]"));
	r.n_hook_argv = 0;
	r.type = ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_STALE;
	assert_int_equal(add_rule(f, &r, msg), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "duration_ms"));
	r.type = ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_DAYLIGHT;
	assert_int_equal(add_rule(f, &r, msg), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "peak_w"));
	r.type = (Enfed__V1__AlarmRuleType) 42;
	assert_int_equal(add_rule(f, &r, msg), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "type"));
	r.type = ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_THRESHOLD;
	r.id = "bad id";
	assert_int_equal(add_rule(f, &r, msg), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "id"));
	// Valid; again the same: OK; another definition: ALREADY_EXISTS.
	r.id = "r1";
	assert_int_equal(add_rule(f, &r, NULL), FED_OK);
	assert_int_equal(add_rule(f, &r, NULL), FED_OK);
	hi.value = 300;
	assert_int_equal(add_rule(f, &r, msg), FED_ALREADY_EXISTS);
	assert_true(node_alarms_matches(f->al, "site/meter/power"));
	assert_false(node_alarms_matches(f->al, "sitex/meter/power"));
	assert_false(node_alarms_matches(f->al, "other/site/x"));
	node_store_err err = {{0}};
	assert_int_equal(
	    node_alarms_rule_delete(f->al, "r1", NULL, &err), FED_OK);
	assert_false(node_alarms_matches(f->al, "site/meter/power"));
	assert_int_equal(
	    node_alarms_rule_delete(f->al, "r1", NULL, &err), FED_NOT_FOUND);
}

// ---- Threshold: hysteresis, acknowledgement, events, restart
// -------------------

static void
test_threshold_episodes(void **state)
{
	fx *f = *state;
	const char *id = "b1/boiler/power";
	create_series(f, id, ENFED__V1__UNIT__UNIT_W, 60);
	Enfed__V1__AlarmLimit hi = ENFED__V1__ALARM_LIMIT__INIT;
	hi.value = 1000;
	Enfed__V1__AlarmRule r = ENFED__V1__ALARM_RULE__INIT;
	r.id = "boiler-high";
	r.type = ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_THRESHOLD;
	r.series = (char *) id;
	r.above = &hi;
	r.duration_ms = 3 * MIN_MS;
	r.clear_margin = 100;
	assert_int_equal(add_rule(f, &r, NULL), FED_OK);
	int64_t t0 = INT64_C(1780000000000);
	// Above for 2 minutes only: no alarm.
	double v1[] = {500, 1500, 1600, 1700, 500};
	int64_t ts[20];
	for (int i = 0; i < 20; i++)
		ts[i] = t0 + i * MIN_MS;
	ingest(f, id, ts, v1, 5);
	assert_int_equal(alarms_of(f, "boiler-high", NULL), 0);
	// Above for 6 minutes, one point at a time: one alarm.
	double v2[] = {1500, 1500, 1500, 1500, 1600, 1700, 1800};
	for (int i = 0; i < 7; i++)
		ingest1(f, id, ts[5 + i], v2[i]);
	Enfed__V1__Alarm *a = NULL;
	assert_int_equal(alarms_of(f, "boiler-high", &a), 1);
	assert_true(active(a));
	assert_int_equal(a->raised_ms, ts[8]);
	assert_true(a->value == 1500);
	assert_non_null(strstr(a->message, id));
	uint64_t first = a->id;
	enfed__v1__alarm__free_unpacked(a, NULL);
	// Inside the margin (950 > 900): still active; then 800 clears it.
	ingest1(f, id, ts[12], 950);
	assert_int_equal(alarms_of(f, "boiler-high", &a), 1);
	assert_true(active(a));
	enfed__v1__alarm__free_unpacked(a, NULL);
	// Acknowledged while active: kept by the first acknowledgement.
	Enfed__V1__Alarm *ack = NULL;
	assert_int_equal(
	    node_alarms_ack(f->al, first, "anne", &ack, NULL), FED_OK);
	assert_string_equal(ack->acked_by, "anne");
	assert_true(ack->acked_ms > 0);
	enfed__v1__alarm__free_unpacked(ack, NULL);
	assert_int_equal(
	    node_alarms_ack(f->al, first, "bob", &ack, NULL), FED_OK);
	assert_string_equal(ack->acked_by, "anne");
	enfed__v1__alarm__free_unpacked(ack, NULL);
	assert_int_equal(
	    node_alarms_ack(f->al, 999, "bob", NULL, NULL), FED_NOT_FOUND);
	ingest1(f, id, ts[13], 800);
	assert_int_equal(alarms_of(f, "boiler-high", &a), 1);
	assert_false(active(a));
	assert_true(a->cleared_ms > 0);
	assert_true(a->clear_value == 800);
	enfed__v1__alarm__free_unpacked(a, NULL);
	// A second episode, raised at once after 3 minutes: a second alarm.
	double v3[] = {2000, 2000, 2000, 2000, 2000};
	ingest(f, id, ts + 14, v3, 5);
	assert_int_equal(alarms_of(f, "boiler-high", &a), 2);
	assert_true(active(a));
	uint64_t second = a->id;
	enfed__v1__alarm__free_unpacked(a, NULL);
	// The subscriber saw raised, acknowledged, cleared, raised.
	drain(f, 4, 5000);
	assert_int_equal(f->n_ev, 4);
	assert_int_equal(
	    f->kinds[0], ENFED__V1__ALARM_EVENT__KIND__KIND_RAISED);
	assert_int_equal(
	    f->kinds[1], ENFED__V1__ALARM_EVENT__KIND__KIND_ACKNOWLEDGED);
	assert_int_equal(
	    f->kinds[2], ENFED__V1__ALARM_EVENT__KIND__KIND_CLEARED);
	assert_int_equal(
	    f->kinds[3], ENFED__V1__ALARM_EVENT__KIND__KIND_RAISED);
	assert_int_equal(f->ids[0], first);
	assert_int_equal(f->ids[3], second);
	// A restart keeps the active alarm: more bad points raise nothing.
	node_alarms_free(f->al);
	start_engine(f);
	ingest1(f, id, ts[19], 2500);
	assert_int_equal(alarms_of(f, "boiler-high", NULL), 2);
	// Deleting the rule clears its active alarm.
	uint32_t n_cleared = 0;
	assert_int_equal(
	    node_alarms_rule_delete(f->al, "boiler-high", &n_cleared, NULL),
	    FED_OK);
	assert_int_equal(n_cleared, 1);
	assert_int_equal(alarms_of(f, "boiler-high", &a), 2);
	assert_false(active(a));
	assert_string_equal(a->clear_message, "rule deleted");
	enfed__v1__alarm__free_unpacked(a, NULL);
}

// ---- Staleness by the timer
// ------------------------------------------------------

static void
test_stale_by_timer(void **state)
{
	fx *f = *state;
	const char *id = "k/pv/power";
	create_series(f, id, ENFED__V1__UNIT__UNIT_W, 60);
	int64_t now = fed_clock_now_ms();
	ingest1(f, id, now - 500, 10);
	Enfed__V1__AlarmRule r = ENFED__V1__ALARM_RULE__INIT;
	r.id = "k-stale";
	r.type = ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_STALE;
	r.series = "k/";
	r.duration_ms = 1500;
	assert_int_equal(add_rule(f, &r, NULL), FED_OK);
	node_alarms_tick(f->al);
	assert_int_equal(alarms_of(f, "k-stale", NULL), 0);
	// No new point: the timer alone raises it, once.
	int64_t end = fed_clock_mono_ms() + 10000;
	while (
	    alarms_of(f, "k-stale", NULL) == 0 && fed_clock_mono_ms() < end) {
		fed_test_sleep_ms(100);
		node_alarms_tick(f->al);
	}
	node_alarms_tick(f->al);
	Enfed__V1__Alarm *a = NULL;
	assert_int_equal(alarms_of(f, "k-stale", &a), 1);
	assert_true(active(a));
	assert_non_null(strstr(a->message, "no data"));
	enfed__v1__alarm__free_unpacked(a, NULL);
	// A point now clears it.
	ingest1(f, id, fed_clock_now_ms(), 12);
	assert_int_equal(alarms_of(f, "k-stale", &a), 1);
	assert_false(active(a));
	enfed__v1__alarm__free_unpacked(a, NULL);
}

// ---- Daylight: zero production under the sun
// ------------------------------------

static void
test_daylight(void **state)
{
	fx *f = *state;
	const char *id = "roof/pv/energy";
	create_series(f, id, ENFED__V1__UNIT__UNIT_WH, 300);
	const double lat = 47.75, lon = -3.37, peak = 16200;
	Enfed__V1__AlarmRule r = ENFED__V1__ALARM_RULE__INIT;
	r.id = "roof-zero";
	r.type = ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_DAYLIGHT;
	r.series = (char *) id;
	r.duration_ms = HOUR_MS;
	r.latitude = lat;
	r.longitude = lon;
	r.peak_w = peak;
	r.min_ratio = 0.05;
	assert_int_equal(add_rule(f, &r, NULL), FED_OK);
	// 2026-06-21, 5-minute energy at 60 % of the clear sky, but nothing
	// from 10:00 to 12:00 UTC (an inverter trip).
	int64_t day = INT64_C(1782000000000) / DAY_MS * DAY_MS;
	enum {
		N = 288
	};
	int64_t ts[N];
	double v[N];
	for (int i = 0; i < N; i++) {
		ts[i] = day + (i + 1) * 5 * MIN_MS;
		v[i] = 0.6
		    * node_solar_clear_sky_wh(
		        lat, lon, peak, ts[i] - 5 * MIN_MS, ts[i]);
		if (ts[i] > day + 10 * HOUR_MS && ts[i] <= day + 12 * HOUR_MS)
			v[i] = 0;
	}
	ingest(f, id, ts, v, N);
	Enfed__V1__Alarm *a = NULL;
	assert_int_equal(alarms_of(f, "roof-zero", &a), 1);
	// Raised an hour into the trip, cleared when production came back.
	assert_int_equal(a->raised_ms, day + 11 * HOUR_MS + 5 * MIN_MS);
	assert_false(active(a));
	assert_true(a->clear_value > 0);
	enfed__v1__alarm__free_unpacked(a, NULL);
	// The night's zeros never raised anything: still one alarm.
	assert_true(
	    node_solar_elevation_deg(lat, lon, day + 12 * HOUR_MS) > 50);
	assert_true(node_solar_elevation_deg(lat, lon, day + 0 * HOUR_MS) < 0);
}

// ---- Sibling: the simulator's plant with a failed micro-inverter
// ----------------

static void
test_sibling_sim_plant(void **state)
{
	fx *f = *state;
	sim_pv pv;
	sim_pv_defaults(&pv);
	int64_t day = INT64_C(1782000000000) / DAY_MS * DAY_MS; // June
	pv.failures[0].inverter = 7;
	pv.failures[0].from_ms = day + 9 * HOUR_MS;
	pv.n_failures = 1;
	assert_int_equal(sim_pv_check(&pv), FED_OK);
	int n_inv = pv.n_inverters;
	char ids[64][64];
	for (int k = 0; k < n_inv; k++) {
		snprintf(
		    ids[k], sizeof(ids[k]), "kermelo/pv/inv/%02d/energy", k);
		create_series(f, ids[k], ENFED__V1__UNIT__UNIT_WH, 300);
	}
	Enfed__V1__AlarmRule r = ENFED__V1__ALARM_RULE__INIT;
	r.id = "inv-below";
	r.type = ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_SIBLING;
	r.series = "kermelo/pv/inv/";
	r.duration_ms = 30 * MIN_MS;
	r.sibling_ratio = 0.5;
	r.sibling_min = 2; // Wh per 5 minutes: dawn and dusk are ignored
	assert_int_equal(add_rule(f, &r, NULL), FED_OK);
	// A day of 5-minute slots, each slot's 60 series as an edge sends
	// them: one batch per slot.
	enum {
		N = 288
	};
	static double wh[N][64];
	int64_t ts[N];
	for (int i = 0; i < N; i++) {
		ts[i] = day + (i + 1) * 5 * MIN_MS;
		assert_int_equal(sim_pv_inverters_slot_wh(&pv, 1,
		                     ts[i] - 5 * MIN_MS, 5 * MIN_MS, wh[i]),
		    FED_OK);
	}
	for (int i = 0; i < N; i++)
		ingest_slot(f, ids, n_inv, ts[i], wh[i]);
	Enfed__V1__Alarm *a = NULL;
	assert_int_equal(alarms_of(f, "inv-below", &a), 1);
	assert_string_equal(a->series, ids[7]);
	assert_true(active(a));
	assert_true(a->raised_ms >= day + 9 * HOUR_MS + 30 * MIN_MS);
	assert_true(a->raised_ms <= day + 10 * HOUR_MS);
	assert_non_null(strstr(a->message, "siblings"));
	enfed__v1__alarm__free_unpacked(a, NULL);
	// The inverter is replaced the next day: it produces like inverter 6
	// and the alarm clears.
	for (int i = 0; i < N; i++) {
		int64_t t = ts[i] + DAY_MS;
		double w[64];
		assert_int_equal(sim_pv_inverters_slot_wh(
		                     &pv, 1, t - 5 * MIN_MS, 5 * MIN_MS, w),
		    FED_OK);
		w[7] = w[6];
		ingest_slot(f, ids, n_inv, t, w);
		if (i == 150)
			break; // past noon is enough
	}
	assert_int_equal(alarms_of(f, "inv-below", &a), 1);
	assert_false(active(a));
	enfed__v1__alarm__free_unpacked(a, NULL);
}

// A sibling alarm is listed and streamed to whoever may read its series,
// an owner of quartier/a/ say, who may not read b and c: its message says
// nothing of them (their median, before, was in it).
static void
test_sibling_message_keeps_siblings_private(void **state)
{
	fx *f = *state;
	char ids[64][64]
	    = {"quartier/a/power", "quartier/b/power", "quartier/c/power"};
	for (int k = 0; k < 3; k++)
		create_series(f, ids[k], ENFED__V1__UNIT__UNIT_W, 60);
	Enfed__V1__AlarmRule r = ENFED__V1__ALARM_RULE__INIT;
	r.id = "quartier-below";
	r.type = ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_SIBLING;
	r.series = "quartier/";
	r.duration_ms = 2 * MIN_MS;
	r.sibling_ratio = 0.5;
	r.sibling_min = 1;
	assert_int_equal(add_rule(f, &r, NULL), FED_OK);
	int64_t t0 = INT64_C(1780000000000);
	for (int i = 0; i < 6; i++) {
		double v[3] = {17, 4321.5 + i, 4321.5 + i};
		ingest_slot(f, ids, 3, t0 + i * MIN_MS, v);
	}
	Enfed__V1__Alarm *a = NULL;
	assert_int_equal(alarms_of(f, "quartier-below", &a), 1);
	assert_string_equal(a->series, ids[0]);
	assert_non_null(strstr(a->message, "siblings"));
	assert_null(strstr(a->message, "432"));
	assert_null(strstr(a->message, "median"));
	enfed__v1__alarm__free_unpacked(a, NULL);
}

// ---- Daily: consumption far above the usual for the weekday
// ----------------------

static void
test_daily(void **state)
{
	fx *f = *state;
	const char *id = "school/main/energy";
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 3600;
	m.source = "test";
	m.owner = "test";
	m.tz = "UTC";
	assert_int_equal(node_store_create(f->st, &m, NULL, NULL), FED_OK);
	Enfed__V1__AlarmRule r = ENFED__V1__ALARM_RULE__INIT;
	r.id = "school-daily";
	r.type = ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_DAILY;
	r.series = (char *) id;
	r.daily_multiple = 2;
	r.daily_weeks = 4;
	r.tz = "UTC";
	assert_int_equal(add_rule(f, &r, NULL), FED_OK);
	// Six weeks of hourly data, one batch per day: weekdays 1000 Wh an
	// hour, weekends 200; day 35 (a weekday) at three times its usual.
	int64_t start = INT64_C(1780272000000); // a Monday, 00:00 UTC
	int64_t ts[24];
	double v[24];
	for (int d = 0; d < 42; d++) {
		int64_t d0 = start + d * DAY_MS;
		int weekend = d % 7 >= 5;
		for (int h = 0; h < 24; h++) {
			ts[h] = d0 + h * HOUR_MS;
			v[h] = (weekend ? 200 : 1000) * (d == 36 ? 3 : 1);
		}
		ingest(f, id, ts, v, 24);
		if (d == 37) {
			// Day 36 is complete once day 37 began.
			Enfed__V1__Alarm *a = NULL;
			assert_int_equal(alarms_of(f, "school-daily", &a), 1);
			assert_true(active(a));
			assert_true(a->value == 72000);
			assert_int_equal(a->raised_ms, start + 37 * DAY_MS);
			enfed__v1__alarm__free_unpacked(a, NULL);
		}
	}
	Enfed__V1__Alarm *a = NULL;
	assert_int_equal(alarms_of(f, "school-daily", &a), 1);
	assert_false(active(a)); // day 37 was normal
	enfed__v1__alarm__free_unpacked(a, NULL);
}

// ---- Hooks
// --------------------------------------------------------------------------

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
test_hooks(void **state)
{
	fx *f = *state;
	const char *id = "h/meter/power";
	create_series(f, id, ENFED__V1__UNIT__UNIT_W, 60);
	char script[512], out[512];
	snprintf(script, sizeof(script), "%s/hook.sh", f->dir);
	snprintf(out, sizeof(out), "%s/hook.out", f->dir);
	// The data arrive in the environment only; a series id or message
	// with shell syntax would not be interpreted.
	write_file(script,
	    "#!/bin/sh\nprintf '%s|%s|%s|%s\\n' "
	    "\"$ENFED_ALARM_EVENT\" \"$ENFED_ALARM_SERIES\" "
	    "\"$ENFED_ALARM_VALUE\" \"$ENFED_NODE\" >>\"$1\"\n");
	char *chmod_argv[] = {"chmod", "+x", script, NULL};
	assert_int_equal(fed_test_spawn(chmod_argv, 0), 0);
	Enfed__V1__AlarmLimit hi = ENFED__V1__ALARM_LIMIT__INIT;
	hi.value = 10;
	char *hook[] = {script, out};
	Enfed__V1__AlarmRule r = ENFED__V1__ALARM_RULE__INIT;
	r.id = "h-high";
	r.type = ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_THRESHOLD;
	r.series = (char *) id;
	r.above = &hi;
	r.hook_argv = hook;
	r.n_hook_argv = 2;
	r.hook_timeout_ms = 5000;
	assert_int_equal(add_rule(f, &r, NULL), FED_OK);
	int64_t t0 = INT64_C(1780000000000);
	ingest1(f, id, t0, 42.5);
	ingest1(f, id, t0 + MIN_MS, 1);
	assert_int_equal(node_alarms_hooks_idle(f->al, 10000), FED_OK);
	char *text = NULL;
	char *cat[] = {"/bin/cat", out, NULL};
	assert_int_equal(fed_test_run(cat, NULL, &text, NULL), 0);
	assert_string_equal(text,
	    "raised|h/meter/power|42.5|testnode\n"
	    "cleared|h/meter/power|1|testnode\n");
	free(text);
	// A hook that hangs is killed at its limit; ingest never waits.
	char *hang[] = {"/bin/sleep", "30"};
	Enfed__V1__AlarmRule h = r;
	h.id = "h-hang";
	h.hook_argv = hang;
	h.hook_timeout_ms = 300;
	assert_int_equal(add_rule(f, &h, NULL), FED_OK);
	int64_t t = fed_clock_mono_ms();
	ingest1(f, id, t0 + 2 * MIN_MS, 50); // raises both: two hooks
	ingest1(f, id, t0 + 3 * MIN_MS, 1); // clears both: two more
	assert_true(fed_clock_mono_ms() - t < 250);
	assert_int_equal(node_alarms_hooks_idle(f->al, 10000), FED_OK);
	node_alarms_stats s;
	node_alarms_stats_get(f->al, &s);
	assert_int_equal(s.n_hooks_killed, 2);
	assert_int_equal(s.n_hooks_ok, 4);
	assert_int_equal(s.n_hooks_failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_bad_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_threshold_episodes, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_stale_by_timer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_daylight, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_sibling_sim_plant, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_sibling_message_keeps_siblings_private, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_daily, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hooks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
