// SPDX-License-Identifier: MIT
//
// test_node_group.c: group commit through a real fed-node process: 8
// collectors, one series each, send one point a call at once (every
// fifth call followed by a resend of the same point), over ipc://. Every
// call is acknowledged with the right counts; the live stream carries each
// new point once, each series' frames in order (sequence numbers and
// timestamps rising: published in commit order), and nothing for the
// resends; the node, stopped, says its calls shared commits (its log:
// fewer commits than calls); a Query finds every point.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed/stream.h"
#include "fed_test.h"

#define ADMIN     "group-admin-token"
#define T0        INT64_C(1767225600000) // 2026-01-01T00:00Z
#define MIN5      INT64_C(300000)
#define N_COLL    8
#define N_POINTS  40
#define SERIES_FM "g/%d/e"

struct node {
	char *dir;
	char rpc[128], stream[128];
	int pid;
};

static int
setup(void **state)
{
	struct node *n = calloc(1, sizeof(*n));
	n->dir = fed_test_tmpdir("nodegroup");
	if (n->dir == NULL)
		return -1;
	fed_test_ipc_url(n->rpc, sizeof(n->rpc), "group-rpc");
	fed_test_ipc_url(n->stream, sizeof(n->stream), "group-stream");
	const char *extra[] = {"--workers=32", "--log-level=notice", NULL};
	n->pid = fed_test_node_start_ex(FED_NODE_BIN, "node", n->dir, n->rpc,
	    n->stream, ADMIN, NULL, extra);
	*state = n;
	return n->pid > 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	struct node *n = *state;
	if (n->pid > 0)
		fed_test_proc_stop(n->pid, SIGTERM, 10000);
	fed_test_rmtree(n->dir);
	free(n->dir);
	free(n);
	return 0;
}

static void
create(fed_rpc_client *c, const char *id)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(c, "CreateSeries", &req, &info), FED_OK);
	enfed__v1__series_info__free_unpacked(info, NULL);
}

// Point i of series id (value i); the counts into *stored, *dup.
static fed_status
send_point(
    fed_rpc_client *c, const char *id, int i, uint64_t *stored, uint64_t *dup)
{
	int64_t ts = T0 + i * MIN5;
	double v = i;
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
	sp.series_id = (char *) id;
	sp.ts_ms = &ts;
	sp.value = &v;
	sp.n_ts_ms = sp.n_value = 1;
	Enfed__V1__SeriesPoints *l[] = {&sp};
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = l;
	req.n_series = 1;
	Enfed__V1__IngestResponse *rep = NULL;
	fed_status st = fed_test_store_call(c, "Ingest", &req, &rep);
	if (rep != NULL) {
		*stored = rep->n_stored;
		*dup = rep->n_duplicate;
		enfed__v1__ingest_response__free_unpacked(rep, NULL);
	}
	return st;
}

struct coll {
	const char *rpc;
	int k;
	int n_wrong; // calls not OK or with the wrong counts
	pthread_t th;
};

static void *
coll_main(void *arg)
{
	struct coll *c = arg;
	fed_rpc_client *cli = fed_test_client(c->rpc, ADMIN);
	char id[32];
	snprintf(id, sizeof(id), SERIES_FM, c->k);
	for (int i = 0; cli != NULL && i < N_POINTS; i++) {
		uint64_t s = 9, d = 9;
		if (send_point(cli, id, i, &s, &d) != FED_OK || s != 1 || d)
			c->n_wrong++;
		if (i % 5 == 4
		    && (send_point(cli, id, i, &s, &d) != FED_OK || s != 0
		        || d != 1))
			c->n_wrong++;
	}
	if (cli == NULL)
		c->n_wrong = -1;
	fed_rpc_client_free(cli);
	return NULL;
}

// What the stream showed, per series.
struct seen {
	uint64_t last_seq[N_COLL];
	int64_t last_ts[N_COLL];
	int n[N_COLL];
	int n_disorder; // a frame or point not after the one before
	int n_gaps;
	int probe;
};

static void
on_event(const fed_stream_event *ev, void *arg)
{
	struct seen *s = arg;
	if (ev->kind == FED_STREAM_GAP)
		s->n_gaps++;
	if (ev->kind != FED_STREAM_POINTS)
		return;
	int k = -1;
	if (strcmp(ev->series_id, "g/probe") == 0) {
		s->probe++;
		return;
	}
	if (sscanf(ev->series_id, "g/%d/e", &k) != 1 || k < 0 || k >= N_COLL)
		return;
	if (s->n[k] > 0 && ev->seq <= s->last_seq[k])
		s->n_disorder++;
	s->last_seq[k] = ev->seq;
	for (size_t i = 0; i < ev->n; i++) {
		if (s->n[k] > 0 && ev->ts_ms[i] <= s->last_ts[k])
			s->n_disorder++;
		s->last_ts[k] = ev->ts_ms[i];
		s->n[k]++;
	}
}

static int
all_seen(const struct seen *s)
{
	for (int k = 0; k < N_COLL; k++)
		if (s->n[k] < N_POINTS)
			return 0;
	return 1;
}

// The node's stop log line "group commit: N Ingest calls in M commits".
static void
stop_and_read_groups(
    struct node *n, unsigned long long *calls, unsigned long long *commits)
{
	assert_int_equal(fed_test_proc_stop(n->pid, SIGTERM, 10000), 0);
	n->pid = -1;
	char path[600], line[512];
	snprintf(path, sizeof(path), "%s/node.log", n->dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	*calls = *commits = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = strstr(line, "group commit: ");
		if (p != NULL)
			sscanf(p, "group commit: %llu Ingest calls in %llu",
			    calls, commits);
	}
	fclose(f);
}

static void
test_concurrent_calls_share_commits(void **state)
{
	struct node *n = *state;
	fed_rpc_client *adm = fed_test_client(n->rpc, ADMIN);
	assert_non_null(adm);
	char id[32];
	for (int k = 0; k < N_COLL; k++) {
		snprintf(id, sizeof(id), SERIES_FM, k);
		create(adm, id);
	}
	create(adm, "g/probe");
	fed_stream_sub_opts so = {.url = n->stream};
	fed_stream_sub *sub = NULL;
	assert_int_equal(fed_stream_sub_new(&so, &sub), FED_OK);
	assert_int_equal(fed_stream_sub_subscribe(sub, "g/"), FED_OK);
	struct seen s = {0};
	uint64_t st, dup;
	for (int i = 0; i < 100 && s.probe == 0; i++) {
		assert_int_equal(
		    send_point(adm, "g/probe", i, &st, &dup), FED_OK);
		fed_stream_sub_recv(sub, 50, on_event, &s);
	}
	assert_true(s.probe > 0);
	struct coll c[N_COLL];
	for (int k = 0; k < N_COLL; k++) {
		c[k] = (struct coll) {.rpc = n->rpc, .k = k};
		assert_int_equal(
		    pthread_create(&c[k].th, NULL, coll_main, &c[k]), 0);
	}
	// Receive while they send (60 s at most), then until everything
	// came (10 s more).
	int64_t end = fed_test_now_ms() + 60000;
	while (!all_seen(&s) && fed_test_now_ms() < end)
		fed_stream_sub_recv(sub, 50, on_event, &s);
	for (int k = 0; k < N_COLL; k++) {
		pthread_join(c[k].th, NULL);
		assert_int_equal(c[k].n_wrong, 0);
	}
	end = fed_test_now_ms() + 10000;
	while (!all_seen(&s) && fed_test_now_ms() < end)
		fed_stream_sub_recv(sub, 50, on_event, &s);
	// Nothing more: the resends published nothing.
	while (fed_stream_sub_recv(sub, 300, on_event, &s) == FED_OK)
		;
	fed_stream_sub_free(sub);
	assert_int_equal(s.n_disorder, 0);
	for (int k = 0; k < N_COLL; k++) {
		// A frame PUB dropped shows as a gap; none is expected here.
		assert_int_equal(s.n_gaps, 0);
		assert_int_equal(s.n[k], N_POINTS);
		snprintf(id, sizeof(id), SERIES_FM, k);
		assert_true(fed_test_exact_points(
		    adm, id, T0, MIN5, N_POINTS, T0 + (N_POINTS + 1) * MIN5));
	}
	fed_rpc_client_free(adm);
	unsigned long long calls = 0, commits = 0;
	stop_and_read_groups(n, &calls, &commits);
	print_message(
	    "group commit: %llu calls in %llu commits\n", calls, commits);
	assert_true(calls >= N_COLL * (N_POINTS + N_POINTS / 5));
	assert_true(commits > 0 && commits < calls);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_concurrent_calls_share_commits, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
