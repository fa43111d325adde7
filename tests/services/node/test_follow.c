// SPDX-License-Identifier: MIT
//
// test_follow.c: a follower (fed/follow.h) of a real fed-node that is
// forced to drop stream messages (a one-message buffer, not reading while
// thousands of frames go out) still receives every point exactly once, in
// order, through back-fills by Query.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/follow.h"
#include "fed/rpc.h"
#include "fed_test.h"

#define ADMIN    "follow-admin-token"
#define T0       INT64_C(1767222000000)
#define N_POINTS 3000

struct seen {
	int64_t last;
	size_t n;
	int in_order;
	size_t backfilled;
	uint8_t got[N_POINTS];
};

static void
on_points(const char *id, const int64_t *ts, const double *v, size_t n,
    fed_follow_origin origin, void *arg)
{
	struct seen *s = arg;
	if (strcmp(id, "maison/linky/energy") != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		int64_t k = (ts[i] - T0) / 300000;
		if (ts[i] <= s->last || k < 0 || k >= N_POINTS
		    || v[i] != (double) k)
			s->in_order = 0;
		else
			s->got[k]++;
		s->last = ts[i];
		s->n++;
		s->backfilled += origin != FED_FOLLOW_LIVE;
	}
}

static void
test_follow_with_drops(void **state)
{
	(void) state;
	char *dir = fed_test_tmpdir("follow");
	char rpc[128], stream[128];
	fed_test_ipc_url(rpc, sizeof(rpc), "followrpc");
	fed_test_ipc_url(stream, sizeof(stream), "followstream");
	int pid = fed_test_node_start(
	    FED_NODE_BIN, "bmhs", dir, rpc, stream, ADMIN, NULL);
	assert_true(pid > 0);
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = rpc;
	o.token = ADMIN;
	fed_rpc_client *c = NULL;
	assert_int_equal(fed_rpc_client_new(&o, &c), FED_OK);
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = "maison/linky/energy";
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	Enfed__V1__CreateSeriesRequest cr
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	cr.meta = &m;
	ProtobufCMessage *rep = NULL;
	char err[256];
	assert_int_equal(fed_rpc_call(c, &enfed__v1__series_store__descriptor,
	                     "CreateSeries", &cr.base, &rep, err, sizeof(err)),
	    FED_OK);
	protobuf_c_message_free_unpacked(rep, NULL);

	fed_follow_opts fo = {.stream_url = stream,
	    .rpc_url = rpc,
	    .token = ADMIN,
	    .recv_buffer = 1};
	fed_follow *f = NULL;
	assert_int_equal(fed_follow_new(&fo, &f), FED_OK);
	assert_int_equal(fed_follow_subscribe(f, "maison/"), FED_OK);
	struct seen s = {.last = 0, .in_order = 1};
	// One point at a time until the follower sees the first one.
	int64_t ts;
	double v;
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT,
	                        *sps[1] = {&sp};
	sp.series_id = "maison/linky/energy";
	sp.ts_ms = &ts;
	sp.value = &v;
	sp.n_ts_ms = sp.n_value = 1;
	Enfed__V1__IngestRequest ir = ENFED__V1__INGEST_REQUEST__INIT;
	ir.series = sps;
	ir.n_series = 1;
	size_t k = 0;
	for (; k < N_POINTS && s.n == 0; k++) {
		ts = T0 + (int64_t) k * 300000;
		v = (double) k;
		assert_int_equal(
		    fed_rpc_call(c, &enfed__v1__series_store__descriptor,
		        "Ingest", &ir.base, &rep, err, sizeof(err)),
		    FED_OK);
		protobuf_c_message_free_unpacked(rep, NULL);
		fed_follow_recv(f, 20, on_points, &s);
	}
	// Then the rest, one ingest per point, while the follower sleeps.
	for (; k < N_POINTS; k++) {
		ts = T0 + (int64_t) k * 300000;
		v = (double) k;
		assert_int_equal(
		    fed_rpc_call(c, &enfed__v1__series_store__descriptor,
		        "Ingest", &ir.base, &rep, err, sizeof(err)),
		    FED_OK);
		protobuf_c_message_free_unpacked(rep, NULL);
	}
	for (int i = 0; i < 20000 && s.last < T0 + (N_POINTS - 1) * 300000;
	     i++)
		fed_follow_recv(f, 200, on_points, &s);
	fed_follow_stats st;
	fed_follow_get_stats(f, &st);
	print_message("live frames %llu, back-fills %llu (%llu points)\n",
	    (unsigned long long) st.frames, (unsigned long long) st.backfills,
	    (unsigned long long) st.backfilled_points);
	assert_true(s.in_order);
	assert_int_equal(s.n, N_POINTS);
	for (size_t i = 0; i < N_POINTS; i++)
		assert_int_equal(s.got[i], 1);
	assert_true(st.backfills > 0);
	fed_follow_free(f);
	fed_rpc_client_free(c);
	assert_int_equal(fed_test_proc_stop(pid, SIGTERM, 10000), 0);
	fed_test_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_follow_with_drops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
