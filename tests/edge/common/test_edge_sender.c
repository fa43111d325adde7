// SPDX-License-Identifier: MIT
//
// test_edge_sender.c: the collectors' spool-then-send (edge_sender) against
// a real fed-node: points sent exactly once, through a node killed with
// SIGKILL and restarted, a node restarted from an empty store (series
// declared again), a backlog left by a previous run (series.pb), refused
// records parked in the dead-letter spool, a full spool (requests held
// in memory, the oldest lost and counted when memory is full too), and the
// full-spool rule for raw samples (edge_thin: the oldest half thinned to
// every other point; index readings never, also when a full main spool
// sends them to the samples spool). With calls in flight: a node that
// watches the calls (edge_fake_node) sees no series in two calls at once
// and every series' points in order, and calls overlapping; a real node
// killed mid-stream and then hung longer than the call timeout stores
// every point once, and its stream shows each series committed in order.

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge_fake_node.h"
#include "edge_sender.h"
#include "edge_thin.h"
#include "edge_test.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/log.h"
#include "fed/stream.h"
#include "fed/token.h"
#include "fed_test.h"

#define T0 INT64_C(1767222000000)

static void
test_backoff(void **state)
{
	(void) state;
	int64_t b = 0;
	int64_t want[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		b = edge_sender_next_backoff(b, 1000, 60000);
		assert_int_equal(b, want[i]);
	}
}

static void
declare(edge_sender *s, const char *id)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_INDEX;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.cumulative = 1;
	m.interval_s = 300;
	m.source = "test";
	assert_int_equal(edge_sender_declare(s, &m), FED_OK);
}

// One point of series id: (T0 + k minutes, value v).
static fed_status
submit_point(edge_sender *s, const char *id, int k, double v)
{
	int64_t ts = T0 + (int64_t) k * 60000;
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
	Enfed__V1__SeriesPoints *ptrs[1] = {&sp};
	sp.series_id = (char *) id;
	sp.ts_ms = &ts;
	sp.value = &v;
	sp.n_ts_ms = sp.n_value = 1;
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = ptrs;
	req.n_series = 1;
	return edge_sender_submit(s, &req);
}

// The options every test starts from: the node at url with the admin
// token, the spool in spool, short back-offs.
static edge_sender_opts
test_opts(const char *url, const char *spool)
{
	edge_sender_opts o;
	edge_sender_opts_default(&o);
	o.node_url = url;
	o.token = EDGE_TEST_ADMIN;
	o.spool_dir = spool;
	o.backoff_min_ms = 50;
	o.backoff_max_ms = 400;
	o.component = "test";
	return o;
}

static edge_sender *
start_sender(const edge_sender_opts *o)
{
	edge_sender *s = NULL;
	assert_int_equal(edge_sender_new(o, &s), FED_OK);
	return s;
}

static edge_sender *
new_sender(const char *url, const char *spool)
{
	edge_sender_opts o = test_opts(url, spool);
	o.rpc_timeout_ms = 2000;
	return start_sender(&o);
}

// The series holds exactly points k = 0 .. n-1 with value 1000 + k, in
// order, once each.
static void
assert_points(edge_node *n, const char *id, int count)
{
	int64_t *ts;
	double *v;
	size_t got;
	assert_int_equal(edge_query_raw(n->client, id, &ts, &v, &got), FED_OK);
	assert_int_equal(got, (size_t) count);
	for (int k = 0; k < count; k++) {
		assert_int_equal(ts[k], T0 + (int64_t) k * 60000);
		assert_true(v[k] == 1000.0 + k);
	}
	free(ts);
	free(v);
}

static char *
spool_in(const edge_node *n)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/spool", n->dir);
	return strdup(path);
}

static void
test_dead_letters(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "sender-dead"), 0);
	char *spool = spool_in(&n);
	edge_sender *s = new_sender(n.rpc, spool);
	declare(s, "t/m/index_base");
	assert_int_equal(submit_point(s, "t/m/index_base", 0, 1000), FED_OK);
	assert_int_equal(submit_point(s, "t/m/index_base", 1, 1001), FED_OK);
	// Never declared: NOT_FOUND twice (before and after re-declaring).
	assert_int_equal(submit_point(s, "t/m/unknown", 0, 1), FED_OK);
	// NaN: INVALID_ARGUMENT.
	assert_int_equal(submit_point(s, "t/m/index_base", 2, NAN), FED_OK);
	assert_int_equal(submit_point(s, "t/m/index_base", 2, 1002), FED_OK);
	assert_int_equal(edge_sender_drain(s, 20000), FED_OK);
	edge_sender_stats st;
	edge_sender_get_stats(s, &st);
	assert_int_equal(st.n_dead, 2);
	assert_int_equal(st.n_sent, 3);
	assert_int_equal(st.n_points_stored, 3);
	assert_int_equal(st.n_pending, 0);
	assert_int_equal(st.n_lost, 0);
	edge_sender_free(s);
	assert_points(&n, "t/m/index_base", 3);

	// The parked records are in the dead-letter spool, unchanged (in
	// either order: they hold different series, which calls in flight
	// need not keep in order).
	char dead[700];
	snprintf(dead, sizeof(dead), "%s/dead", spool);
	fed_spool *d = NULL;
	assert_int_equal(fed_spool_open(dead, NULL, &d), FED_OK);
	int seen_unknown = 0, seen_nan = 0;
	for (int i = 0; i < 2; i++) {
		const uint8_t *buf;
		size_t len;
		fed_spool_cursor next;
		assert_int_equal(fed_spool_peek(d, &buf, &len, &next), FED_OK);
		Enfed__V1__IngestRequest *r
		    = enfed__v1__ingest_request__unpack(NULL, len, buf);
		assert_non_null(r);
		assert_int_equal(r->n_series, 1);
		assert_int_equal(r->series[0]->n_value, 1);
		if (strcmp(r->series[0]->series_id, "t/m/unknown") == 0)
			seen_unknown++;
		else if (strcmp(r->series[0]->series_id, "t/m/index_base") == 0
		    && isnan(r->series[0]->value[0]))
			seen_nan++;
		enfed__v1__ingest_request__free_unpacked(r, NULL);
		assert_int_equal(fed_spool_ack(d, next), FED_OK);
	}
	assert_int_equal(seen_unknown, 1);
	assert_int_equal(seen_nan, 1);
	fed_spool_close(d);
	free(spool);
	edge_node_stop(&n);
}

// A series the node will not create for this board (its token's series
// quota reached) costs its own points, parked, and holds back nothing
// else: the board's other series are sent.
static void
test_series_refused(void **state)
{
	(void) state;
	char hash[FED_TOKEN_HASH_LEN + 1], tokens[200];
	fed_token_hash("board-token", hash);
	snprintf(tokens, sizeof(tokens), "board writer %s t/q/\n", hash);
	const char *extra[] = {"--max-series-per-token=2", NULL};
	edge_node n;
	assert_int_equal(
	    edge_node_start_with(&n, "sender-quota", tokens, extra), 0);
	char *spool = spool_in(&n);
	edge_sender_opts o = test_opts(n.rpc, spool);
	o.token = "board-token";
	o.rpc_timeout_ms = 2000;
	edge_sender *s = start_sender(&o);
	declare(s, "t/q/a");
	declare(s, "t/q/b");
	declare(s, "t/q/c"); // the third: over the quota
	for (int k = 0; k < 3; k++) {
		assert_int_equal(
		    submit_point(s, "t/q/c", k, 1000 + k), FED_OK);
		assert_int_equal(
		    submit_point(s, "t/q/a", k, 1000 + k), FED_OK);
		assert_int_equal(
		    submit_point(s, "t/q/b", k, 1000 + k), FED_OK);
	}
	assert_int_equal(edge_sender_drain(s, 20000), FED_OK);
	edge_sender_stats st;
	edge_sender_get_stats(s, &st);
	assert_int_equal(st.n_points_stored, 6);
	assert_int_equal(st.n_dead, 3);
	assert_int_equal(st.n_pending, 0);
	edge_sender_free(s);
	assert_points(&n, "t/q/a", 3);
	assert_points(&n, "t/q/b", 3);
	free(spool);
	edge_node_stop(&n);
}

static void
test_node_killed(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "sender-kill"), 0);
	char *spool = spool_in(&n);
	edge_sender *s = new_sender(n.rpc, spool);
	const char *id = "t/m/index_hchc";
	declare(s, id);
	for (int k = 0; k < 10; k++)
		assert_int_equal(submit_point(s, id, k, 1000 + k), FED_OK);
	assert_int_equal(edge_wait_points(n.client, id, 10, 20000), 10);
	edge_node_kill(&n, SIGKILL);
	for (int k = 10; k < 20; k++)
		assert_int_equal(submit_point(s, id, k, 1000 + k), FED_OK);
	// Nothing can be sent while the node is down: the sender retries.
	edge_sender_stats st;
	for (int i = 0; i < 400; i++) {
		edge_sender_get_stats(s, &st);
		if (st.n_retries >= 2)
			break;
		assert_int_equal(
		    edge_sender_drain(s, 50), FED_DEADLINE_EXCEEDED);
	}
	assert_true(st.n_retries >= 2);
	assert_int_equal(edge_node_restart(&n), 0);
	assert_int_equal(edge_sender_drain(s, 30000), FED_OK);
	edge_sender_get_stats(s, &st);
	assert_int_equal(st.n_dead, 0);
	edge_sender_free(s);
	assert_points(&n, id, 20);
	free(spool);
	edge_node_stop(&n);
}

static void
test_node_wiped(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "sender-wipe"), 0);
	char *spool = spool_in(&n);
	edge_sender *s = new_sender(n.rpc, spool);
	const char *id = "t/m/index_east";
	declare(s, id);
	assert_int_equal(submit_point(s, id, 0, 1000), FED_OK);
	assert_int_equal(edge_sender_drain(s, 20000), FED_OK);
	// The node comes back with an empty store (fed_test_node_start keeps
	// it in DIR/data-NAME): the series is declared
	// again on NOT_FOUND, and the point is not parked.
	edge_node_kill(&n, SIGTERM);
	char data[700];
	snprintf(data, sizeof(data), "%s/data-node", n.dir);
	fed_test_rmtree(data);
	assert_int_equal(edge_node_restart(&n), 0);
	assert_int_equal(submit_point(s, id, 0, 1000), FED_OK);
	assert_int_equal(submit_point(s, id, 1, 1001), FED_OK);
	assert_int_equal(edge_sender_drain(s, 30000), FED_OK);
	edge_sender_stats st;
	edge_sender_get_stats(s, &st);
	assert_int_equal(st.n_dead, 0);
	assert_true(st.n_declared >= 2);
	edge_sender_free(s);
	assert_points(&n, id, 2);
	free(spool);
	edge_node_stop(&n);
}

static void
test_backlog_of_previous_run(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "sender-backlog"), 0);
	edge_node_kill(&n, SIGTERM);
	char *spool = spool_in(&n);
	const char *id = "t/m/power";
	// A first run that cannot reach the node.
	edge_sender *s = new_sender(n.rpc, spool);
	declare(s, id);
	for (int k = 0; k < 5; k++)
		assert_int_equal(submit_point(s, id, k, 1000 + k), FED_OK);
	edge_sender_free(s);
	// The next run declares nothing itself: series.pb does.
	assert_int_equal(edge_node_restart(&n), 0);
	s = new_sender(n.rpc, spool);
	assert_int_equal(edge_sender_drain(s, 30000), FED_OK);
	edge_sender_stats st;
	edge_sender_get_stats(s, &st);
	assert_int_equal(st.n_sent, 5);
	assert_int_equal(st.n_dead, 0);
	edge_sender_free(s);
	assert_points(&n, id, 5);
	free(spool);
	edge_node_stop(&n);
}

// A request of `count` points of id from minute k0, values 1000 + k.
static fed_status
submit_many(edge_sender *s, const char *id, int k0, int count)
{
	int64_t *ts = malloc((size_t) count * sizeof(*ts));
	double *v = malloc((size_t) count * sizeof(*v));
	assert_non_null(ts);
	assert_non_null(v);
	for (int i = 0; i < count; i++) {
		ts[i] = T0 + (int64_t) (k0 + i) * 60000;
		v[i] = 1000.0 + k0 + i;
	}
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
	Enfed__V1__SeriesPoints *ptrs[1] = {&sp};
	sp.series_id = (char *) id;
	sp.ts_ms = ts;
	sp.value = v;
	sp.n_ts_ms = sp.n_value = (size_t) count;
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = ptrs;
	req.n_series = 1;
	fed_status st = edge_sender_submit(s, &req);
	free(ts);
	free(v);
	return st;
}

static void
test_spool_full(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "sender-full"), 0);
	edge_node_kill(&n, SIGTERM);
	char *spool = spool_in(&n);
	edge_sender_opts o = test_opts(n.rpc, spool);
	o.spool_max_bytes = 1u << 20;
	o.samples_max_bytes = 2u << 20;
	o.mem_records = 2;
	edge_sender *s = start_sender(&o);
	const char *id = "t/m/index_base";
	declare(s, id);
	// About 300 KB a request: three fit in the 1 MiB spool, the next
	// ones in the 2 MiB samples spool (nothing there to thin), then two
	// in memory; the older ones in memory are lost.
	const int per = 20000, n_req = 13;
	int n_ok = 0;
	for (int r = 0; r < n_req; r++) {
		fed_status st = submit_many(s, id, r * per, per);
		if (st == FED_OK)
			assert_int_equal(n_ok++, r); // all taken come first
		else
			assert_int_equal(st, FED_RESOURCE_EXHAUSTED);
	}
	assert_true(n_ok > 3 && n_ok <= n_req - 3);
	int lost = n_req - n_ok - 2;
	edge_sender_stats st;
	edge_sender_get_stats(s, &st);
	assert_int_equal(st.n_index_spilled, n_ok - 3);
	assert_int_equal(st.n_points_thinned, 0);
	assert_int_equal(st.n_in_memory, 2);
	assert_int_equal(st.n_lost, lost); // the oldest in memory
	assert_int_equal(edge_node_restart(&n), 0);
	assert_int_equal(edge_sender_drain(s, 60000), FED_OK);
	// More points than one query returns: the node's own count says it.
	edge_sender_get_stats(s, &st);
	assert_int_equal(
	    st.n_points_stored, (uint64_t) ((n_req - lost) * per));
	edge_sender_free(s);
	free(spool);
	edge_node_stop(&n);
}

// A packed request of one series "a" with points k0 .. k0+n-1 (value k)
// and one series "b" with the single point k0.
static void
append_two(fed_spool *sp, int k0, int n)
{
	int64_t ts[64], tb = k0;
	double v[64], vb = k0;
	for (int i = 0; i < n; i++)
		ts[i] = k0 + i, v[i] = k0 + i;
	Enfed__V1__SeriesPoints a = ENFED__V1__SERIES_POINTS__INIT,
	                        b = ENFED__V1__SERIES_POINTS__INIT;
	Enfed__V1__SeriesPoints *ptrs[2] = {&a, &b};
	a.series_id = "a";
	a.ts_ms = ts;
	a.value = v;
	a.n_ts_ms = a.n_value = (size_t) n;
	b.series_id = "b";
	b.ts_ms = &tb;
	b.value = &vb;
	b.n_ts_ms = b.n_value = 1;
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = ptrs;
	req.n_series = 2;
	uint8_t buf[4096];
	size_t len = enfed__v1__ingest_request__pack(&req, buf);
	assert_int_equal(fed_spool_append(sp, buf, len), FED_OK);
}

// The thinning rule on a spool alone: 8 records of 10 points of "a" and
// 1 of "b"; one round takes the oldest half (4 records) and keeps points
// 0, 2, 4, ... of each series among them (20 of 40 of "a", 2 of 4 of
// "b"), appended after the 4 untouched records.
static void
test_thin_rule(void **state)
{
	(void) state;
	char *dir = fed_test_tmpdir("thin");
	fed_spool_opts o = FED_SPOOL_OPTS_DEFAULT;
	o.sync = FED_SPOOL_SYNC_EACH;
	fed_spool *sp = NULL;
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	for (int r = 0; r < 8; r++)
		append_two(sp, r * 10, 10);
	edge_thin_result res;
	edge_thin_oldest(sp, "test", NULL, NULL, &res);
	assert_int_equal(res.n_records, 4);
	assert_int_equal(res.n_dropped, 20 + 2);
	assert_int_equal(res.n_kept, 20 + 2);
	// Read everything back, in spool order.
	int64_t seen_a[80];
	size_t n_a = 0, n_b = 0, n_rec = 0;
	const uint8_t *buf;
	size_t len;
	fed_spool_cursor next;
	while (fed_spool_peek(sp, &buf, &len, &next) == FED_OK) {
		Enfed__V1__IngestRequest *req
		    = enfed__v1__ingest_request__unpack(NULL, len, buf);
		assert_non_null(req);
		for (size_t i = 0; i < req->n_series; i++) {
			Enfed__V1__SeriesPoints *p = req->series[i];
			for (size_t j = 0; j < p->n_ts_ms; j++) {
				assert_true(
				    p->value[j] == (double) p->ts_ms[j]);
				if (strcmp(p->series_id, "a") == 0)
					seen_a[n_a++] = p->ts_ms[j];
				else
					n_b++;
			}
		}
		enfed__v1__ingest_request__free_unpacked(req, NULL);
		assert_int_equal(fed_spool_ack(sp, next), FED_OK);
		n_rec++;
	}
	assert_int_equal(n_rec, 8);
	assert_int_equal(n_a, 40 + 20);
	assert_int_equal(n_b, 4 + 2);
	for (size_t i = 0; i < 40; i++) // the newest 4 records, untouched
		assert_int_equal(seen_a[i], 40 + (int64_t) i);
	for (size_t i = 0; i < 20; i++) // then the oldest, every other point
		assert_int_equal(seen_a[40 + i], (int64_t) (2 * i));
	fed_spool_close(sp);
	fed_test_rmtree(dir);
	free(dir);
}

// Index points (one per request, k = r) and raw samples (per points per
// request) together, the samples spool full while the node is away: every
// index reading arrives, the samples are thinned as docs/spool.md says
// (the newest request whole, only older points missing, every stored value
// right), and stored + thinned samples = submitted: nothing else is lost.
static void
test_samples_thinned(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "sender-thin"), 0);
	edge_node_kill(&n, SIGTERM);
	char *spool = spool_in(&n);
	edge_sender_opts o = test_opts(n.rpc, spool);
	o.spool_max_bytes = 1u << 20;
	o.samples_max_bytes = 2u << 20;
	edge_sender *s = start_sender(&o);
	const char *idx = "t/m/index_base", *pw = "t/m/power";
	declare(s, idx);
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) pw;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_POWER;
	m.unit = ENFED__V1__UNIT__UNIT_VA;
	m.interval_s = 60;
	m.source = "test";
	assert_int_equal(edge_sender_declare(s, &m), FED_OK);
	// About 300 KB of samples a request: 12 of them are 3.6 MB, for a
	// samples spool of 2 MiB.
	const int per = 20000, n_req = 12;
	for (int r = 0; r < n_req; r++) {
		assert_int_equal(submit_point(s, idx, r, 1000.0 + r), FED_OK);
		assert_int_equal(submit_many(s, pw, r * per, per), FED_OK);
	}
	edge_sender_stats st;
	edge_sender_get_stats(s, &st);
	assert_true(st.n_thin_rounds >= 1);
	assert_true(st.n_points_thinned > 0);
	assert_int_equal(st.n_lost, 0);
	assert_int_equal(st.n_in_memory, 0);
	uint64_t thinned = st.n_points_thinned;
	assert_int_equal(edge_node_restart(&n), 0);
	assert_int_equal(edge_sender_drain(s, 60000), FED_OK);
	edge_sender_get_stats(s, &st);
	assert_int_equal(st.n_points_thinned, thinned); // no more since
	edge_sender_free(s);
	assert_points(&n, idx, n_req); // every index reading
	int64_t *ts;
	double *v;
	size_t got;
	assert_int_equal(edge_query_raw(n.client, pw, &ts, &v, &got), FED_OK);
	assert_int_equal(got + thinned, (size_t) (n_req * per));
	size_t newest = 0;
	for (size_t i = 0; i < got; i++) {
		int k = (int) ((ts[i] - T0) / 60000);
		assert_true(v[i] == 1000.0 + k);
		newest += k >= (n_req - 1) * per;
	}
	assert_int_equal(newest, (size_t) per); // the newest request whole
	// The oldest request lost some of its points, by halves.
	size_t oldest = 0;
	for (size_t i = 0; i < got; i++)
		oldest += (ts[i] - T0) / 60000 < per;
	assert_true(oldest < (size_t) per && oldest >= (size_t) per / 8);
	free(ts);
	free(v);
	free(spool);
	edge_node_stop(&n);
}

static bool
keep_b(void *arg, const char *series_id)
{
	(void) arg;
	return strcmp(series_id, "b") == 0;
}

// Thinning keeps whole the series the caller names (index readings):
// "a" loses every other point of the oldest half, "b" none.
static void
test_thin_keeps_index(void **state)
{
	(void) state;
	char *dir = fed_test_tmpdir("thin-index");
	fed_spool_opts o = FED_SPOOL_OPTS_DEFAULT;
	fed_spool *sp = NULL;
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	for (int r = 0; r < 8; r++)
		append_two(sp, r * 10, 10);
	edge_thin_result res;
	edge_thin_oldest(sp, "test", keep_b, NULL, &res);
	assert_int_equal(res.n_records, 4);
	assert_int_equal(res.n_dropped, 20);
	assert_int_equal(res.n_kept, 20 + 4);
	size_t n_a = 0, n_b = 0;
	const uint8_t *buf;
	size_t len;
	fed_spool_cursor next;
	while (fed_spool_peek(sp, &buf, &len, &next) == FED_OK) {
		Enfed__V1__IngestRequest *req
		    = enfed__v1__ingest_request__unpack(NULL, len, buf);
		assert_non_null(req);
		for (size_t i = 0; i < req->n_series; i++) {
			bool b = strcmp(req->series[i]->series_id, "b") == 0;
			*(b ? &n_b : &n_a) += req->series[i]->n_ts_ms;
		}
		enfed__v1__ingest_request__free_unpacked(req, NULL);
		assert_int_equal(fed_spool_ack(sp, next), FED_OK);
	}
	assert_int_equal(n_a, 40 + 20);
	assert_int_equal(n_b, 8);
	fed_spool_close(sp);
	fed_test_rmtree(dir);
	free(dir);
}

// A full main spool with raw samples beside it: index requests (300 KB
// each, more than the 1 MiB main spool holds) go to the samples spool,
// whose power samples are thinned for them. Every index reading arrives,
// none is lost (even with one request of memory), the samples are thinned
// and stored + thinned = submitted.
static void
test_index_kept_over_samples(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "sender-spill"), 0);
	edge_node_kill(&n, SIGTERM);
	char *spool = spool_in(&n);
	edge_sender_opts o = test_opts(n.rpc, spool);
	o.spool_max_bytes = 1u << 20;
	o.samples_max_bytes = 2u << 20;
	o.mem_records = 1;
	edge_sender *s = start_sender(&o);
	const char *idx = "t/m/index_base", *pw = "t/m/power";
	declare(s, idx);
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) pw;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_POWER;
	m.unit = ENFED__V1__UNIT__UNIT_VA;
	m.interval_s = 60;
	m.source = "test";
	assert_int_equal(edge_sender_declare(s, &m), FED_OK);
	const int per = 20000, n_idx = 6, n_pw = 10;
	for (int r = 0; r < n_pw; r++) {
		(void) submit_many(s, pw, r * per, per);
		if (r < n_idx)
			assert_int_equal(
			    submit_many(s, idx, r * per, per), FED_OK);
	}
	edge_sender_stats st;
	edge_sender_get_stats(s, &st);
	assert_int_equal(st.n_lost, 0);
	assert_int_equal(st.n_in_memory, 0);
	assert_int_equal(st.n_index_spilled, n_idx - 3);
	assert_true(st.n_points_thinned > 0);
	uint64_t thinned = st.n_points_thinned;
	assert_int_equal(edge_node_restart(&n), 0);
	assert_int_equal(edge_sender_drain(s, 60000), FED_OK);
	edge_sender_free(s);
	assert_points(&n, idx, n_idx * per); // every index reading
	int64_t *ts;
	double *v;
	size_t got;
	assert_int_equal(edge_query_raw(n.client, pw, &ts, &v, &got), FED_OK);
	assert_int_equal(got + thinned, (size_t) (n_pw * per));
	for (size_t i = 0; i < got; i++)
		assert_true(v[i] == 1000.0 + (double) ((ts[i] - T0) / 60000));
	free(ts);
	free(v);
	free(spool);
	edge_node_stop(&n);
}

// --- Calls in flight
// ---------------------------------------------------------

#define N_SERIES 8

// Record r holds series r % 8 and (3r + 1) % 8 (once when they are the
// same): records share series with some of their neighbours only, so
// that some may fly together and some must wait.
static int
series_of(int r, int which)
{
	return which == 0 ? r % N_SERIES : (3 * r + 1) % N_SERIES;
}

// Record r: one point at minute r, value 1000 + r, of each of its series,
// named prefix<k>.
static fed_status
submit_pair(edge_sender *s, const char *prefix, int r)
{
	char ids[2][64];
	int64_t ts = T0 + (int64_t) r * 60000;
	double v = 1000.0 + r;
	Enfed__V1__SeriesPoints sp[2], *ptrs[2] = {&sp[0], &sp[1]};
	size_t n = series_of(r, 0) == series_of(r, 1) ? 1 : 2;
	for (size_t i = 0; i < n; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%s%d", prefix,
		    series_of(r, (int) i));
		enfed__v1__series_points__init(&sp[i]);
		sp[i].series_id = ids[i];
		sp[i].ts_ms = &ts;
		sp[i].value = &v;
		sp[i].n_ts_ms = sp[i].n_value = 1;
	}
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = ptrs;
	req.n_series = n;
	return edge_sender_submit(s, &req);
}

// How many of records 0 .. n_rec-1 hold series k.
static size_t
n_holding(int k, int n_rec)
{
	size_t n = 0;
	for (int r = 0; r < n_rec; r++)
		n += series_of(r, 0) == k || series_of(r, 1) == k;
	return n;
}

static edge_sender *
sender_in_flight(const char *url, const char *spool, unsigned in_flight,
    uint32_t timeout_ms)
{
	edge_sender_opts o = test_opts(url, spool);
	o.rpc_timeout_ms = timeout_ms;
	o.in_flight = in_flight;
	return start_sender(&o);
}

static void
declare_all(edge_sender *s, const char *prefix)
{
	for (int k = 0; k < N_SERIES; k++) {
		char id[64];
		snprintf(id, sizeof(id), "%s%d", prefix, k);
		declare(s, id);
	}
}

// A backlog of n_rec records (left by a run that could not reach any
// node), then sent to a node that holds every call a while and watches
// how they overlap: a series is never in two calls at once, its points
// come in order, each once, and with in_flight > 1 calls do overlap.
static void
overlap_run(unsigned in_flight, edge_fake_stats *st)
{
	char url[160], nobody[160];
	edge_fake_node *f = edge_fake_node_start(url, sizeof(url), 5);
	assert_non_null(f);
	char *dir = fed_test_tmpdir("sender-overlap");
	assert_non_null(dir);
	char spool[600];
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	fed_test_ipc_url(nobody, sizeof(nobody), "nobody");
	const int n_rec = 200;
	edge_sender *s = sender_in_flight(nobody, spool, in_flight, 10000);
	declare_all(s, "f/");
	for (int r = 0; r < n_rec; r++)
		assert_int_equal(submit_pair(s, "f/", r), FED_OK);
	edge_sender_free(s);
	// A long call timeout: a call that timed out and was sent again
	// would count as out of order here.
	s = sender_in_flight(url, spool, in_flight, 10000);
	assert_int_equal(edge_sender_drain(s, 60000), FED_OK);
	edge_sender_stats ss;
	edge_sender_get_stats(s, &ss);
	assert_int_equal(ss.n_sent, n_rec);
	assert_int_equal(ss.n_retries, 0);
	edge_sender_free(s);
	edge_fake_node_stats(f, st);
	edge_fake_node_stop(f);
	assert_true(st->n_calls >= 1 && st->n_calls <= (uint64_t) n_rec);
	assert_int_equal(st->n_overlaps, 0);
	assert_int_equal(st->n_out_of_order, 0);
	for (int k = 0; k < N_SERIES; k++)
		assert_int_equal(st->n_points[k], n_holding(k, n_rec));
	fed_test_rmtree(dir);
	free(dir);
}

static void
test_in_flight_never_shares_a_series(void **state)
{
	(void) state;
	edge_fake_stats st;
	overlap_run(4, &st);
	assert_true(st.max_at_once >= 2); // calls did fly together
	assert_true(st.max_at_once <= 4);
	overlap_run(1, &st);
	assert_int_equal(st.max_at_once, 1);
}

// A single meter's backlog (the same series in every record): its calls
// never overlap, but each carries many records, merged in order.
static void
test_one_series_merged(void **state)
{
	(void) state;
	char url[160], nobody[160];
	edge_fake_node *f = edge_fake_node_start(url, sizeof(url), 1);
	assert_non_null(f);
	char *dir = fed_test_tmpdir("sender-merge");
	assert_non_null(dir);
	char spool[600];
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	fed_test_ipc_url(nobody, sizeof(nobody), "nobody");
	const int n_rec = 300;
	edge_sender *s = sender_in_flight(nobody, spool, 4, 10000);
	declare(s, "f/3");
	for (int r = 0; r < n_rec; r++)
		assert_int_equal(submit_point(s, "f/3", r, 1000 + r), FED_OK);
	edge_sender_free(s);
	s = sender_in_flight(url, spool, 4, 10000);
	assert_int_equal(edge_sender_drain(s, 60000), FED_OK);
	edge_sender_stats ss;
	edge_sender_get_stats(s, &ss);
	assert_int_equal(ss.n_sent, n_rec);
	assert_int_equal(ss.n_points_stored, n_rec);
	edge_sender_free(s);
	edge_fake_stats st;
	edge_fake_node_stats(f, &st);
	edge_fake_node_stop(f);
	assert_int_equal(st.max_at_once, 1);
	assert_int_equal(st.n_overlaps, 0);
	assert_int_equal(st.n_out_of_order, 0);
	assert_int_equal(st.n_points[3], n_rec);
	assert_true(st.n_calls <= (uint64_t) n_rec / 8); // merged
	fed_test_rmtree(dir);
	free(dir);
}

// A backlog whose records go out merged, one of them refused by the node
// (NaN) and one of a series it does not know: the merged call is refused,
// its records are sent alone, and only those two are parked.
static void
test_merged_call_refused(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "sender-split"), 0);
	edge_node_kill(&n, SIGTERM);
	char *spool = spool_in(&n);
	edge_sender *s = sender_in_flight(n.rpc, spool, 4, 2000);
	const char *id = "t/m/index_base";
	declare(s, id);
	for (int k = 0; k < 20; k++) {
		assert_int_equal(submit_point(s, id, k, 1000 + k), FED_OK);
		if (k == 7)
			assert_int_equal(
			    submit_point(s, id, 100, NAN), FED_OK);
		if (k == 12)
			assert_int_equal(
			    submit_point(s, "t/m/unknown", 0, 1), FED_OK);
	}
	assert_int_equal(edge_node_restart(&n), 0);
	assert_int_equal(edge_sender_drain(s, 30000), FED_OK);
	edge_sender_stats st;
	edge_sender_get_stats(s, &st);
	assert_int_equal(st.n_dead, 2);
	assert_int_equal(st.n_sent, 20);
	assert_int_equal(st.n_points_stored, 20);
	assert_int_equal(st.n_lost, 0);
	edge_sender_free(s);
	assert_points(&n, id, 20);
	free(spool);
	edge_node_stop(&n);
}

// Watches a node's stream: per series t/m/s<k>, the points must come in
// time order (the order of their commits), whatever is lost on the way.
typedef struct watch {
	fed_stream_sub *sub;
	pthread_t thread;
	pthread_mutex_t mu;
	bool stop;
	int64_t last[N_SERIES];
	uint64_t n_points, n_back;
} watch;

static void
on_points(const fed_stream_event *ev, void *arg)
{
	watch *w = arg;
	int k;
	if (ev->kind != FED_STREAM_POINTS
	    || sscanf(ev->series_id, "t/m/s%d", &k) != 1 || k < 0
	    || k >= N_SERIES)
		return;
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < ev->n; i++) {
		if (ev->ts_ms[i] <= w->last[k])
			w->n_back++;
		else
			w->last[k] = ev->ts_ms[i];
		w->n_points++;
	}
	pthread_mutex_unlock(&w->mu);
}

static void *
watch_main(void *arg)
{
	watch *w = arg;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		bool stop = w->stop;
		pthread_mutex_unlock(&w->mu);
		if (stop)
			return NULL;
		(void) fed_stream_sub_recv(w->sub, 50, on_points, w);
	}
}

// Subscribes to n's stream, and waits until a probe point of series
// t/m/s0 (an hour before T0, a second apart) comes through.
static void
watch_start(watch *w, edge_node *n)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	fed_stream_sub_opts so = {.url = n->stream};
	assert_int_equal(fed_stream_sub_new(&so, &w->sub), FED_OK);
	assert_int_equal(fed_stream_sub_subscribe(w->sub, "t/m/"), FED_OK);
	assert_int_equal(pthread_create(&w->thread, NULL, watch_main, w), 0);
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = "t/m/s0";
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_INDEX;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.cumulative = 1;
	m.interval_s = 300;
	m.source = "test";
	Enfed__V1__CreateSeriesRequest cr
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	cr.meta = &m;
	ProtobufCMessage *rep = NULL;
	assert_int_equal(
	    fed_rpc_call(n->client, &enfed__v1__series_store__descriptor,
	        "CreateSeries", &cr.base, &rep, NULL, 0),
	    FED_OK);
	protobuf_c_message_free_unpacked(rep, NULL);
	int64_t ts = T0 - 3600000; // probes: increasing, before T0
	double v = 999;
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
	Enfed__V1__SeriesPoints *ptrs[1] = {&sp};
	sp.series_id = "t/m/s0";
	sp.ts_ms = &ts;
	sp.value = &v;
	sp.n_ts_ms = sp.n_value = 1;
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = ptrs;
	req.n_series = 1;
	uint64_t seen = 0;
	for (int i = 0; i < 200 && seen == 0; i++, ts += 1000, v++) {
		assert_int_equal(fed_rpc_call(n->client,
		                     &enfed__v1__series_store__descriptor,
		                     "Ingest", &req.base, &rep, NULL, 0),
		    FED_OK);
		protobuf_c_message_free_unpacked(rep, NULL);
		for (int k = 0; k < 10 && seen == 0; k++) {
			struct timespec d = {0, 10000000L};
			nanosleep(&d, NULL);
			pthread_mutex_lock(&w->mu);
			seen = w->n_points;
			pthread_mutex_unlock(&w->mu);
		}
	}
	assert_true(seen > 0);
}

static void
watch_stop(watch *w, uint64_t *n_points, uint64_t *n_back)
{
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	fed_stream_sub_free(w->sub);
	*n_points = w->n_points;
	*n_back = w->n_back;
	pthread_mutex_destroy(&w->mu);
}

// Every series holds exactly the points of its records, once, right.
static void
assert_pairs(edge_node *n, int n_rec)
{
	for (int k = 0; k < N_SERIES; k++) {
		char id[64];
		snprintf(id, sizeof(id), "t/m/s%d", k);
		int64_t *ts;
		double *v;
		size_t got, j = 0;
		assert_int_equal(
		    edge_query_raw(n->client, id, &ts, &v, &got), FED_OK);
		if (k == 0) // the watch's probe points, before T0
			while (j < got && ts[j] < T0)
				j++;
		assert_int_equal(got - j, n_holding(k, n_rec));
		for (int r = 0; r < n_rec; r++) {
			if (series_of(r, 0) != k && series_of(r, 1) != k)
				continue;
			assert_int_equal(ts[j], T0 + (int64_t) r * 60000);
			assert_true(v[j] == 1000.0 + r);
			j++;
		}
		free(ts);
		free(v);
	}
}

// Four calls in flight through a node killed (SIGKILL) mid-stream and
// restarted, then a link that hangs (the node stopped with SIGSTOP longer
// than the call timeout, so calls time out and may still commit when it
// resumes): every point stored once, and the node's stream shows each
// series' points committed in order.
static void
test_in_flight_restart_and_link_down(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "sender-flight"), 0);
	watch w;
	watch_start(&w, &n);
	char *spool = spool_in(&n);
	edge_sender *s = sender_in_flight(n.rpc, spool, 4, 1000);
	declare_all(s, "t/m/s");
	const int n_rec = 300;
	int r = 0;
	for (; r < 100; r++)
		assert_int_equal(submit_pair(s, "t/m/s", r), FED_OK);
	assert_true(edge_wait_points(n.client, "t/m/s3", 5, 20000) >= 5);
	edge_node_kill(&n, SIGKILL); // mid-stream: records still pending
	for (; r < 150; r++)
		assert_int_equal(submit_pair(s, "t/m/s", r), FED_OK);
	assert_int_equal(edge_node_restart(&n), 0);
	for (; r < 200; r++)
		assert_int_equal(submit_pair(s, "t/m/s", r), FED_OK);
	assert_int_equal(edge_sender_drain(s, 60000), FED_OK);
	// The link hangs: calls time out (1 s) while the node is stopped.
	for (; r < 250; r++)
		assert_int_equal(submit_pair(s, "t/m/s", r), FED_OK);
	assert_int_equal(kill(n.pid, SIGSTOP), 0);
	edge_sender_stats st;
	edge_sender_get_stats(s, &st);
	uint64_t retries = st.n_retries;
	for (; r < n_rec; r++)
		assert_int_equal(submit_pair(s, "t/m/s", r), FED_OK);
	for (int i = 0; i < 100 && st.n_retries < retries + 2; i++) {
		(void) edge_sender_drain(s, 50);
		edge_sender_get_stats(s, &st);
	}
	assert_int_equal(kill(n.pid, SIGCONT), 0);
	assert_true(st.n_retries >= retries + 2);
	assert_int_equal(edge_sender_drain(s, 60000), FED_OK);
	edge_sender_get_stats(s, &st);
	assert_int_equal(st.n_dead, 0);
	assert_int_equal(st.n_lost, 0);
	edge_sender_free(s);
	assert_pairs(&n, n_rec);
	uint64_t n_points, n_back;
	for (int i = 0; i < 20; i++) { // the last frames, if still coming
		struct timespec d = {0, 10000000L};
		nanosleep(&d, NULL);
	}
	watch_stop(&w, &n_points, &n_back);
	assert_int_equal(n_back, 0);
	assert_true(n_points > 100); // the check saw the stream
	free(spool);
	edge_node_stop(&n);
}

int
main(void)
{
	fed_log_set_sink(fed_log_stderr_sink, NULL);
	fed_log_set_level(FED_LOG_WARNING);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test_teardown(test_dead_letters, edge_test_teardown),
	    cmocka_unit_test_teardown(test_series_refused, edge_test_teardown),
	    cmocka_unit_test_teardown(test_node_killed, edge_test_teardown),
	    cmocka_unit_test_teardown(test_node_wiped, edge_test_teardown),
	    cmocka_unit_test_teardown(
	        test_backlog_of_previous_run, edge_test_teardown),
	    cmocka_unit_test_teardown(test_spool_full, edge_test_teardown),
	    cmocka_unit_test(test_thin_rule),
	    cmocka_unit_test_teardown(
	        test_samples_thinned, edge_test_teardown),
	    cmocka_unit_test(test_thin_keeps_index),
	    cmocka_unit_test_teardown(
	        test_index_kept_over_samples, edge_test_teardown),
	    cmocka_unit_test(test_in_flight_never_shares_a_series),
	    cmocka_unit_test(test_one_series_merged),
	    cmocka_unit_test_teardown(
	        test_merged_call_refused, edge_test_teardown),
	    cmocka_unit_test_teardown(
	        test_in_flight_restart_and_link_down, edge_test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
