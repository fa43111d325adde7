// SPDX-License-Identifier: MIT
//
// bench_node.c: a real fed-node process driven over RPC on an ipc://
// socket, for the ingest and memory figures of bench_store.

#include "bench_node.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed/rpc.h"
#include "fed_test.h"

#define TOKEN       "bench-admin-token"
#define CALL_SERIES 100
#define CALL_POINTS 1000
#define SLOT_MS     INT64_C(300000)

struct node {
	int pid;
	char url[256];
	fed_rpc_client *rpc;
};

static void
fail(const char *what, fed_status st, const char *err)
{
	fprintf(stderr, "bench_node: %s: %s %s\n", what, fed_status_name(st),
	    err ? err : "");
	exit(1);
}

static void
node_start(struct node *n, const char *bin, const char *data_dir)
{
	char data[600], listen[300], stream[300];
	fed_test_ipc_url(n->url, sizeof(n->url), "benchnode");
	snprintf(data, sizeof(data), "--data-dir=%s", data_dir);
	snprintf(listen, sizeof(listen), "--listen=%s", n->url);
	char surl[256];
	fed_test_ipc_url(surl, sizeof(surl), "benchstream");
	snprintf(stream, sizeof(stream), "--stream=%s", surl);
	char *argv[] = {(char *) bin, data, listen, stream,
	    "--admin-token=" TOKEN, "--log-level=warning", NULL};
	n->pid = fed_test_proc_start(argv, NULL);
	fed_status st = fed_test_wait_health(n->url, 20000);
	if (n->pid < 0 || st != FED_OK)
		fail("starting fed-node", st, bin);
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = n->url;
	o.token = TOKEN;
	o.timeout_ms = 120000;
	if ((st = fed_rpc_client_new(&o, &n->rpc)) != FED_OK)
		fail("client", st, NULL);
}

static void
node_stop(struct node *n)
{
	fed_rpc_client_free(n->rpc);
	if (fed_test_proc_stop(n->pid, SIGTERM, 60000) != 0)
		fail("fed-node did not stop cleanly", FED_INTERNAL, NULL);
}

static void
call(struct node *n, const char *method, const ProtobufCMessage *req)
{
	ProtobufCMessage *rep = NULL;
	char err[256];
	fed_status st
	    = fed_rpc_call(n->rpc, &enfed__v1__series_store__descriptor,
	        method, req, &rep, err, sizeof(err));
	if (st != FED_OK)
		fail(method, st, err);
	protobuf_c_message_free_unpacked(rep, NULL);
}

static void
create(struct node *n, size_t i)
{
	char id[40];
	snprintf(id, sizeof(id), "bench/rpc/%05zu", i);
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	call(n, "CreateSeries", &req.base);
}

struct call_batch {
	Enfed__V1__IngestRequest req;
	Enfed__V1__SeriesPoints sp[CALL_SERIES];
	Enfed__V1__SeriesPoints *list[CALL_SERIES];
	char ids[CALL_SERIES][40];
	int64_t ts[CALL_POINTS];
	double v[CALL_SERIES][CALL_POINTS];
};

double
bench_node_ingest(const char *node_bin, const char *dir, size_t n_series,
    size_t per_series, int64_t t0_ms, bench_fill_fn fill)
{
	char data[400];
	snprintf(data, sizeof(data), "%s/node-ingest", dir);
	struct node n;
	node_start(&n, node_bin, data);
	for (size_t i = 0; i < n_series; i++)
		create(&n, i);
	struct call_batch *b = calloc(1, sizeof(*b));
	int64_t ns = 0;
	for (size_t p0 = 0; p0 < per_series; p0 += CALL_POINTS) {
		size_t np = per_series - p0 < CALL_POINTS ? per_series - p0
		                                          : CALL_POINTS;
		for (size_t k = 0; k < np; k++)
			b->ts[k] = t0_ms + (int64_t) (p0 + k) * SLOT_MS;
		for (size_t s0 = 0; s0 < n_series; s0 += CALL_SERIES) {
			size_t ns_call = n_series - s0 < CALL_SERIES
			    ? n_series - s0
			    : CALL_SERIES;
			enfed__v1__ingest_request__init(&b->req);
			for (size_t i = 0; i < ns_call; i++) {
				Enfed__V1__SeriesPoints *sp = &b->sp[i];
				enfed__v1__series_points__init(sp);
				snprintf(b->ids[i], sizeof(b->ids[i]),
				    "bench/rpc/%05zu", s0 + i);
				fill(s0 + i, b->ts[0] - SLOT_MS, np, b->v[i]);
				sp->series_id = b->ids[i];
				sp->ts_ms = b->ts;
				sp->value = b->v[i];
				sp->n_ts_ms = sp->n_value = np;
				b->list[i] = sp;
			}
			b->req.series = b->list;
			b->req.n_series = ns_call;
			int64_t t = fed_clock_mono_ns();
			call(&n, "Ingest", &b->req.base);
			ns += fed_clock_mono_ns() - t;
		}
	}
	free(b);
	node_stop(&n);
	char *argv[] = {"rm", "-rf", data, NULL};
	fed_test_spawn(argv, 0);
	return (double) (n_series * per_series) / ((double) ns / 1e9);
}

static long
rss_kib(int pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

double
bench_node_rss_mb(const char *node_bin, const char *data_dir,
    const char *series_id, int64_t t0_ms)
{
	struct node n;
	node_start(&n, node_bin, data_dir);
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = t0_ms;
	r.to_ms = t0_ms + INT64_C(365) * 86400000;
	char *ids[1] = {(char *) series_id};
	Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
	q.series_ids = ids;
	q.n_series_ids = 1;
	q.range = &r;
	q.step = ENFED__V1__STEP__STEP_DAY;
	call(&n, "Query", &q.base);
	struct timespec ts = {1, 0};
	nanosleep(&ts, NULL); // idle: let the node settle after the query
	long kib = rss_kib(n.pid);
	node_stop(&n);
	return (double) kib / 1024.0;
}
