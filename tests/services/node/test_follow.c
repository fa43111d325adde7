// SPDX-License-Identifier: MIT
//
// test_follow.c: a follower (fed/follow.h) of a real fed-node that is
// forced to drop stream messages (a one-message buffer, not reading while
// thousands of frames go out) still receives every point exactly once, in
// order, through back-fills by Query; and so does one that follows the node
// through a fed-relay killed (-9) and restarted on the way.

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
	size_t first; // the first point seen: what came before the
	              // subscription was through is not the stream's
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
		if (s->n == 0 && k >= 0)
			s->first = (size_t) k;
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

static fed_rpc_client *
admin_client(const char *rpc)
{
	fed_rpc_client *c = fed_test_client(rpc, ADMIN);
	assert_non_null(c);
	return c;
}

static void
create_series(fed_rpc_client *c)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = "maison/linky/energy";
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	Enfed__V1__CreateSeriesRequest cr
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	cr.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(c, "CreateSeries", &cr, &info), FED_OK);
	protobuf_c_message_free_unpacked(&info->base, NULL);
}

// Ingests point k (at T0 + k x 5 min, value k).
static void
ingest_point(fed_rpc_client *c, size_t k)
{
	int64_t ts = T0 + (int64_t) k * 300000;
	double v = (double) k;
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT,
	                        *sps[1] = {&sp};
	sp.series_id = "maison/linky/energy";
	sp.ts_ms = &ts;
	sp.value = &v;
	sp.n_ts_ms = sp.n_value = 1;
	Enfed__V1__IngestRequest ir = ENFED__V1__INGEST_REQUEST__INIT;
	ir.series = sps;
	ir.n_series = 1;
	Enfed__V1__IngestResponse *rep = NULL;
	assert_int_equal(fed_test_store_call(c, "Ingest", &ir, &rep), FED_OK);
	protobuf_c_message_free_unpacked(&rep->base, NULL);
}

// Ingests one point at a time from *k until the follower receives one
// (its subscription is then through); returns with *k past the last.
static void
ingest_until_seen(fed_rpc_client *c, fed_follow *f, struct seen *s, size_t *k)
{
	size_t before = s->n;
	for (; *k < N_POINTS && s->n == before; (*k)++) {
		ingest_point(c, *k);
		fed_follow_recv(f, 20, on_points, s);
	}
	assert_true(s->n > before);
}

// Receives until the last point ingested is seen (bounded), then checks
// that every point came exactly once, in order, some of them back-filled.
static void
receive_all(fed_follow *f, struct seen *s)
{
	for (int i = 0; i < 20000 && s->last < T0 + (N_POINTS - 1) * 300000;
	     i++)
		fed_follow_recv(f, 200, on_points, s);
	fed_follow_stats st;
	fed_follow_get_stats(f, &st);
	print_message("live frames %llu, back-fills %llu (%llu points)\n",
	    (unsigned long long) st.frames, (unsigned long long) st.backfills,
	    (unsigned long long) st.backfilled_points);
	assert_true(s->in_order);
	assert_int_equal(s->n, N_POINTS - s->first);
	for (size_t i = s->first; i < N_POINTS; i++)
		assert_int_equal(s->got[i], 1);
	assert_true(st.backfills > 0);
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
	fed_rpc_client *c = admin_client(rpc);
	create_series(c);
	fed_follow_opts fo = {.stream_url = stream,
	    .rpc_url = rpc,
	    .token = ADMIN,
	    .recv_buffer = 1};
	fed_follow *f = NULL;
	assert_int_equal(fed_follow_new(&fo, &f), FED_OK);
	assert_int_equal(fed_follow_subscribe(f, "maison/"), FED_OK);
	struct seen s = {.last = 0, .in_order = 1};
	size_t k = 0;
	ingest_until_seen(c, f, &s, &k);
	// Then the rest, one ingest per point, while the follower sleeps.
	for (; k < N_POINTS; k++)
		ingest_point(c, k);
	receive_all(f, &s);
	fed_follow_free(f);
	fed_rpc_client_free(c);
	assert_int_equal(fed_test_proc_stop(pid, SIGTERM, 10000), 0);
	fed_test_rmtree(dir);
	free(dir);
}

static int
relay_start(
    const char *upstream, const char *listen, const char *dir, int metrics)
{
	char up[200], li[200], log[600], me[100];
	snprintf(up, sizeof(up), "--upstream=%s", upstream);
	snprintf(li, sizeof(li), "--listen=%s", listen);
	snprintf(log, sizeof(log), "%s/relay.log", dir);
	snprintf(
	    me, sizeof(me), "--metrics-listen=http://127.0.0.1:%d", metrics);
	char *argv[] = {FED_RELAY_BIN, up, li, "--topics=maison/,!alarm",
	    "--stats-interval=1s", me, NULL};
	int pid = fed_test_proc_start(argv, log);
	assert_true(pid > 0);
	return pid;
}

// A follower of the node's stream through a fed-relay (the relay's stream,
// the node's RPC for back-fills): live points pass the relay unchanged;
// while the relay is down (kill -9) the points ingested are missed, and
// once it is back the first frame reveals the gap and the follower
// back-fills them from the node.
static void
test_follow_through_relay(void **state)
{
	(void) state;
	char *dir = fed_test_tmpdir("followrelay");
	char rpc[128], stream[128], relayed[128];
	fed_test_ipc_url(rpc, sizeof(rpc), "relayrpc");
	fed_test_ipc_url(stream, sizeof(stream), "relaystream");
	snprintf(relayed, sizeof(relayed), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	int pid = fed_test_node_start(
	    FED_NODE_BIN, "bmhs", dir, rpc, stream, ADMIN, NULL);
	assert_true(pid > 0);
	int metrics = fed_test_free_port();
	int relay = relay_start(stream, relayed, dir, metrics);
	fed_rpc_client *c = admin_client(rpc);
	create_series(c);
	fed_follow_opts fo
	    = {.stream_url = relayed, .rpc_url = rpc, .token = ADMIN};
	fed_follow *f = NULL;
	assert_int_equal(fed_follow_new(&fo, &f), FED_OK);
	assert_int_equal(fed_follow_subscribe(f, "maison/"), FED_OK);
	struct seen s = {.last = 0, .in_order = 1};
	size_t k = 0;
	ingest_until_seen(c, f, &s, &k);
	for (size_t end = k + 100; k < end; k++) // live, through the relay
		ingest_point(c, k);
	for (int i = 0; i < 200 && s.n < k - s.first; i++)
		fed_follow_recv(f, 50, on_points, &s);
	assert_int_equal(s.n, k - s.first);
	fed_follow_stats live;
	fed_follow_get_stats(f, &live);
	assert_int_equal(live.backfills, 0);

	assert_int_equal(fed_test_proc_stop(relay, SIGKILL, 10000), 128 + 9);
	for (size_t end = k + 500; k < end; k++) // the relay is down
		ingest_point(c, k);
	relay = relay_start(stream, relayed, dir, metrics);
	ingest_until_seen(c, f, &s, &k); // back-fills the 500 first
	for (; k < N_POINTS; k++)
		ingest_point(c, k);
	receive_all(f, &s);
	// The restarted relay's /metrics counts what it forwarded.
	char url[100], scrape[700], *text = NULL;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", metrics);
	char *argv[] = {
	    "/usr/bin/curl", "-sS", "--fail", "--max-time", "10", url, NULL};
	assert_int_equal(fed_test_run(argv, NULL, &text, NULL), 0);
	const char *fw = strstr(
	    text, "enfed_relay_messages_total{result=\"forwarded\"} ");
	assert_non_null(fw);
	assert_true(strtoull(strchr(fw, ' ') + 1, NULL, 10) > 0);
	snprintf(scrape, sizeof(scrape), "%s/relay-metrics.txt", dir);
	FILE *sf = fopen(scrape, "w");
	assert_non_null(sf);
	fputs(text, sf);
	fclose(sf);
	free(text);
	assert_int_not_equal(fed_test_promtool(scrape), -1);
	fed_follow_free(f);
	fed_rpc_client_free(c);
	assert_int_equal(fed_test_proc_stop(relay, SIGTERM, 10000), 0);
	assert_int_equal(fed_test_proc_stop(pid, SIGTERM, 10000), 0);
	fed_test_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_follow_with_drops),
	    cmocka_unit_test(test_follow_through_relay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
