// SPDX-License-Identifier: MIT
//
// bench_peers_grpc.c: enfed beside gRPC C++ (Debian's libgrpc++), in one
// run, with the same messages (series.proto) on tcp://127.0.0.1.
//
//   query    Query of one local day of a house series, to one day bucket
//            (a small result) and raw (288 5-minute points): median and
//            p99 latency with 1 client, calls/s with 16 clients (each with
//            its own connection). enfed: a fed-node process; gRPC:
//            peer_grpc_server, a process serving the same store code
//            (node_store) on an identical copy of the database.
//   ingest   100 series x --ingest-points (10,000) 5-minute points in
//            Ingest calls of 100 series x 1,000 points, synchronous=FULL
//            on both sides, into series created beforehand (the same
//            empty series in both copies): points/s.
//   stream   live frames of 1 and 100 points, one publisher, one
//            subscriber, in this process: enfed's fed_stream PUB/SUB
//            against a gRPC server-streaming call fed from a bounded
//            queue (publish blocks when it is full: gRPC never drops,
//            enfed's PUB drops for a slow subscriber, whose losses are
//            counted). Published flat out for 1.5 s: points/s delivered;
//            the capacity: the most points/s delivered with at most 1 %
//            of frames lost, flat out or at offered rates (1 s each);
//            then 2,000 frames paced every 500 us: latency from the
//            publish call to the subscriber's callback, median and p99.
//
// Prints `name value unit` per figure and `..._vs_grpc` ratios (enfed
// over gRPC: above 1 is better for rates, below 1 for latencies).

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed/stream.h"
#include "fed_test.h"
#include "peer_grpc.h"
#include "peers_common.h"
#include "store.h"

#define Q_SERIES      8
#define Q_DAYS        30
#define Q_DAY         10 // the day queried: 2026-01-11, Europe/Paris
#define PARIS_OFF_MS  INT64_C(3600000) // UTC+1 in January
#define IN_SERIES     100
#define IN_CALL       1000
#define LAT_CALLS     2000
#define RATE_MS       3000
#define N_CLIENTS     16
#define STREAM_MS     1500
#define STREAM_MAX    2000000
#define PACED_FRAMES  2000
#define PACED_US      500
#define STREAM_SERIES "kermelo/pv/energy"

typedef struct cfg {
	size_t ingest_points; // per series
	char node_bin[512], server_bin[512];
	char *dir;
} cfg;

// --- the stores -------------------------------------------------------------

static void
store_die(const char *what, fed_status st, const node_store_err *err)
{
	fprintf(stderr, "bench_peers_grpc: %s: %s %s\n", what,
	    fed_status_name(st), err->msg);
	exit(1);
}

static void
create_series(node_store *st, const char *id)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	node_store_err err = {""};
	fed_status s = node_store_create(st, &m, NULL, &err);
	if (s != FED_OK)
		store_die("create", s, &err);
}

static void
append_days(node_store *st, const char *id, uint64_t seed)
{
	static int64_t ts[Q_DAYS * 288];
	static double v[Q_DAYS * 288];
	for (size_t k = 0; k < Q_DAYS * 288; k++)
		ts[k] = PEERS_T0 + (int64_t) k * PEERS_SLOT_MS;
	peers_fill(seed, PEERS_T0, Q_DAYS * 288, v);
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
	sp.series_id = (char *) id;
	sp.ts_ms = ts;
	sp.value = v;
	sp.n_ts_ms = sp.n_value = Q_DAYS * 288;
	Enfed__V1__SeriesPoints *list[] = {&sp};
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.n_series = 1;
	req.series = list;
	node_store_err err = {""};
	fed_status s = node_store_append(st, &req, NULL, &err);
	if (s != FED_OK)
		store_die("append", s, &err);
}

// dir/data-node/series.db: Q_SERIES series of Q_DAYS days, IN_SERIES
// empty series for ingest; copied to dir/grpc/series.db.
static void
prepare_stores(const cfg *c)
{
	char path[600], copy[600];
	snprintf(path, sizeof(path), "%s/" PEERS_NODE_DATA, c->dir);
	snprintf(copy, sizeof(copy), "%s/grpc", c->dir);
	char *mk[] = {"mkdir", "-p", path, copy, NULL};
	fed_test_spawn(mk, 0);
	node_store *st = NULL;
	node_store_err err = {""};
	fed_status s = node_store_open(path, NULL, &st, &err);
	if (s != FED_OK)
		store_die(path, s, &err);
	char id[64];
	for (size_t i = 0; i < Q_SERIES; i++) {
		snprintf(id, sizeof(id), "bench/query/%02zu", i);
		create_series(st, id);
		append_days(st, id, i * 2); // houses
	}
	for (size_t i = 0; i < IN_SERIES; i++) {
		snprintf(id, sizeof(id), "bench/ingest/%03zu", i);
		create_series(st, id);
	}
	node_store_close(st);
	snprintf(
	    path, sizeof(path), "%s/" PEERS_NODE_DATA "/series.db", c->dir);
	char alone[600];
	snprintf(alone, sizeof(alone), "%s/store", c->dir);
	char *mk2[] = {"mkdir", "-p", alone, NULL};
	fed_test_spawn(mk2, 0);
	char *cp[] = {"cp", path, copy, NULL};
	char *cp2[] = {"cp", path, alone, NULL};
	if (fed_test_spawn(cp, 0) != 0 || fed_test_spawn(cp2, 0) != 0) {
		fprintf(stderr, "bench_peers_grpc: cannot copy %s\n", path);
		exit(1);
	}
}

// --- clients under test -----------------------------------------------------

typedef struct rpc_target {
	const char *url; // enfed: tcp://..., gRPC: 127.0.0.1:PORT
} rpc_target;

static void *
fed_open(const void *cfgp)
{
	const rpc_target *t = cfgp;
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = t->url;
	o.token = PEERS_TOKEN;
	o.timeout_ms = 120000;
	fed_rpc_client *c = NULL;
	return fed_rpc_client_new(&o, &c) == FED_OK ? c : NULL;
}

static void
fed_close(void *c)
{
	fed_rpc_client_free(c);
}

static int
fed_query(void *c, const void *arg)
{
	const peer_query *q = arg;
	char *ids[] = {(char *) q->series_id};
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = q->from_ms;
	r.to_ms = q->to_ms;
	Enfed__V1__QueryRequest req = ENFED__V1__QUERY_REQUEST__INIT;
	req.n_series_ids = 1;
	req.series_ids = ids;
	req.range = &r;
	req.step = (Enfed__V1__Step) q->step;
	ProtobufCMessage *rep = NULL;
	fed_status st = fed_rpc_call(c, &enfed__v1__series_store__descriptor,
	    "Query", &req.base, &rep, NULL, 0);
	if (st != FED_OK)
		return 1;
	Enfed__V1__QueryResponse *qr = (Enfed__V1__QueryResponse *) rep;
	int ok = qr->n_results == 1 && qr->results[0]->n_value > 0;
	protobuf_c_message_free_unpacked(rep, NULL);
	return ok ? 0 : 1;
}

static void *
grpc_open(const void *cfgp)
{
	const rpc_target *t = cfgp;
	return peer_grpc_client_new(t->url, 10000);
}

static void
grpc_close(void *c)
{
	peer_grpc_client_free(c);
}

static int
grpc_query(void *c, const void *arg)
{
	size_t n = 0;
	return peer_grpc_query(c, arg, &n) != 0 || n == 0;
}

// --- query ------------------------------------------------------------------

static void
query_pair(const char *name, const peers_rpc *fed, const peers_rpc *grpc)
{
	char k[128];
	double fm = 0, fp = 0, gm = 0, gp = 0;
	if (peers_latency(fed, LAT_CALLS, &fm, &fp) != 0
	    || peers_latency(grpc, LAT_CALLS, &gm, &gp) != 0) {
		fprintf(stderr, "bench_peers_grpc: %s: a call failed\n", name);
		exit(1);
	}
	snprintf(k, sizeof(k), "grpc_%s_median_enfed", name);
	peers_print(k, fm, "us");
	snprintf(k, sizeof(k), "grpc_%s_median_grpc", name);
	peers_print(k, gm, "us");
	snprintf(k, sizeof(k), "grpc_%s_median_vs_grpc", name);
	peers_ratio(k, fm, gm);
	snprintf(k, sizeof(k), "grpc_%s_p99_enfed", name);
	peers_print(k, fp, "us");
	snprintf(k, sizeof(k), "grpc_%s_p99_grpc", name);
	peers_print(k, gp, "us");
	snprintf(k, sizeof(k), "grpc_%s_p99_vs_grpc", name);
	peers_ratio(k, fp, gp);
	double fr = peers_rate(fed, N_CLIENTS, RATE_MS, UINT64_MAX);
	double gr = peers_rate(grpc, N_CLIENTS, RATE_MS, UINT64_MAX);
	snprintf(k, sizeof(k), "grpc_%s_c16_enfed", name);
	peers_print(k, fr, "calls/s");
	snprintf(k, sizeof(k), "grpc_%s_c16_grpc", name);
	peers_print(k, gr, "calls/s");
	snprintf(k, sizeof(k), "grpc_%s_c16_vs_grpc", name);
	peers_ratio(k, fr, gr);
}

static void
bench_query(const char *fed_url, const char *grpc_target)
{
	rpc_target ft = {fed_url}, gt = {grpc_target};
	int64_t from = PEERS_T0 + Q_DAY * PEERS_DAY_MS - PARIS_OFF_MS;
	peer_query day = {"bench/query/00", from, from + PEERS_DAY_MS,
	    ENFED__V1__STEP__STEP_DAY};
	peer_query raw = day;
	raw.step = ENFED__V1__STEP__STEP_RAW;
	peers_rpc f = {fed_open, fed_query, fed_close, &ft, &day};
	peers_rpc g = {grpc_open, grpc_query, grpc_close, &gt, &day};
	query_pair("query_small", &f, &g);
	f.arg = g.arg = &raw;
	query_pair("query_day288", &f, &g);
}

// --- ingest
// -------------------------------------------------------------------

typedef struct ingest_call {
	const char *ids[IN_SERIES];
	char idbuf[IN_SERIES][32];
	int64_t *ts[IN_SERIES];
	double *v[IN_SERIES];
	size_t n;
} ingest_call;

static void
ingest_fill(ingest_call *b, size_t p0, size_t n)
{
	b->n = n;
	for (size_t i = 0; i < IN_SERIES; i++) {
		for (size_t k = 0; k < n; k++)
			b->ts[i][k]
			    = PEERS_T0 + (int64_t) (p0 + k) * PEERS_SLOT_MS;
		peers_fill(i, b->ts[i][0], n, b->v[i]);
	}
}

// The Ingest request of a batch, pointing into it and into sp and list.
static Enfed__V1__IngestRequest
ingest_request(const ingest_call *b, Enfed__V1__SeriesPoints *sp,
    Enfed__V1__SeriesPoints **list)
{
	for (size_t i = 0; i < IN_SERIES; i++) {
		enfed__v1__series_points__init(&sp[i]);
		sp[i].series_id = (char *) b->ids[i];
		sp[i].ts_ms = b->ts[i];
		sp[i].value = b->v[i];
		sp[i].n_ts_ms = sp[i].n_value = b->n;
		list[i] = &sp[i];
	}
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.n_series = IN_SERIES;
	req.series = list;
	return req;
}

static int
fed_ingest(fed_rpc_client *c, const ingest_call *b)
{
	Enfed__V1__SeriesPoints sp[IN_SERIES], *list[IN_SERIES];
	Enfed__V1__IngestRequest req = ingest_request(b, sp, list);
	ProtobufCMessage *rep = NULL;
	fed_status st = fed_rpc_call(c, &enfed__v1__series_store__descriptor,
	    "Ingest", &req.base, &rep, NULL, 0);
	if (st != FED_OK)
		return 1;
	int ok = ((Enfed__V1__IngestResponse *) rep)->n_stored
	    == IN_SERIES * b->n;
	protobuf_c_message_free_unpacked(rep, NULL);
	return ok ? 0 : 1;
}

// The store alone, in this process: what both servers write through.
static int
store_ingest(node_store *st, const ingest_call *b)
{
	Enfed__V1__SeriesPoints sp[IN_SERIES], *list[IN_SERIES];
	Enfed__V1__IngestRequest req = ingest_request(b, sp, list);
	node_store_counts counts;
	node_store_err err = {""};
	return node_store_append(st, &req, &counts, &err) != FED_OK
	    || counts.n_stored != IN_SERIES * b->n;
}

static int
grpc_ingest(peer_grpc_client *c, const ingest_call *b)
{
	peer_ingest in = {IN_SERIES, b->n, b->ids,
	    (const int64_t *const *) b->ts, (const double *const *) b->v};
	uint64_t stored = 0;
	return peer_grpc_ingest(c, &in, &stored) != 0
	    || stored != IN_SERIES * b->n;
}

enum ingest_side {
	SIDE_ENFED,
	SIDE_GRPC,
	SIDE_STORE
};

// Points/s of every call over the time spent in the calls (filling the
// batch is not timed).
static double
ingest_run(void *cli, enum ingest_side side, size_t per_series, ingest_call *b)
{
	int64_t ns = 0;
	for (size_t p0 = 0; p0 < per_series; p0 += IN_CALL) {
		size_t n
		    = per_series - p0 < IN_CALL ? per_series - p0 : IN_CALL;
		ingest_fill(b, p0, n);
		int64_t t = fed_clock_mono_ns();
		int rc = side == SIDE_GRPC ? grpc_ingest(cli, b)
		    : side == SIDE_STORE   ? store_ingest(cli, b)
		                           : fed_ingest(cli, b);
		ns += fed_clock_mono_ns() - t;
		if (rc != 0) {
			fprintf(stderr, "bench_peers_grpc: ingest failed\n");
			exit(1);
		}
	}
	return (double) (per_series * IN_SERIES) / ((double) ns / 1e9);
}

static void
bench_ingest(const cfg *c, const char *fed_url, const char *grpc_target)
{
	ingest_call *b = calloc(1, sizeof(*b));
	for (size_t i = 0; i < IN_SERIES; i++) {
		snprintf(
		    b->idbuf[i], sizeof(b->idbuf[i]), "bench/ingest/%03zu", i);
		b->ids[i] = b->idbuf[i];
		b->ts[i] = calloc(IN_CALL, sizeof(int64_t));
		b->v[i] = calloc(IN_CALL, sizeof(double));
	}
	rpc_target ft = {fed_url}, gt = {grpc_target};
	void *fc = fed_open(&ft), *gc = grpc_open(&gt);
	if (fc == NULL || gc == NULL) {
		fprintf(stderr, "bench_peers_grpc: ingest clients\n");
		exit(1);
	}
	char path[600];
	snprintf(path, sizeof(path), "%s/store", c->dir);
	node_store *st = NULL;
	node_store_err err = {""};
	fed_status s = node_store_open(path, NULL, &st, &err);
	if (s != FED_OK)
		store_die(path, s, &err);
	double f = ingest_run(fc, SIDE_ENFED, c->ingest_points, b);
	double g = ingest_run(gc, SIDE_GRPC, c->ingest_points, b);
	double a = ingest_run(st, SIDE_STORE, c->ingest_points, b);
	node_store_close(st);
	peers_print("grpc_ingest_points",
	    (double) (c->ingest_points * IN_SERIES), "points");
	peers_print("grpc_ingest_enfed", f, "points/s");
	peers_print("grpc_ingest_grpc", g, "points/s");
	peers_print("grpc_ingest_store", a, "points/s");
	peers_ratio("grpc_ingest_vs_grpc", f, g);
	peers_ratio("grpc_ingest_vs_store", f, a);
	fed_close(fc);
	grpc_close(gc);
	for (size_t i = 0; i < IN_SERIES; i++)
		free(b->ts[i]), free(b->v[i]);
	free(b);
}

// --- stream
// -------------------------------------------------------------------

typedef struct tally {
	atomic_uint_fast64_t frames, points;
	atomic_int_fast64_t last_ns; // when the last frame arrived
	int paced;
	int64_t *lat_ns; // paced: latency of frame i
	atomic_int_fast64_t *pub_ns; // paced: when frame i was published
	size_t batch;
} tally;

static void
tally_frame(tally *t, const int64_t *ts_ms, size_t n)
{
	int64_t now = fed_clock_mono_ns();
	atomic_fetch_add(&t->frames, 1);
	atomic_fetch_add(&t->points, n);
	atomic_store(&t->last_ns, now);
	if (!t->paced || n == 0)
		return;
	int64_t i = (ts_ms[0] - PEERS_T0) / PEERS_SLOT_MS / (int64_t) t->batch;
	if (i >= 0 && i < PACED_FRAMES && atomic_load(&t->pub_ns[i]) > 0)
		t->lat_ns[i] = now - atomic_load(&t->pub_ns[i]);
}

static void
on_fed_event(const fed_stream_event *ev, void *arg)
{
	if (ev->kind == FED_STREAM_POINTS)
		tally_frame(arg, ev->ts_ms, ev->n);
}

static void
on_grpc_frame(uint64_t seq, const int64_t *ts_ms, const double *value,
    size_t n, void *arg)
{
	(void) seq;
	(void) value;
	tally_frame(arg, ts_ms, n);
}

// One side of the stream comparison: publisher, subscriber and the
// thread that drives enfed's subscriber (gRPC's has its own).
typedef struct side {
	int grpc;
	fed_stream_pub *fpub;
	fed_stream_sub *fsub;
	peer_grpc_pub *gpub;
	peer_grpc_sub *gsub;
	pthread_t th;
	atomic_int stop;
	tally *t;
} side;

static void *
fed_sub_main(void *arg)
{
	side *s = arg;
	while (!atomic_load(&s->stop))
		fed_stream_sub_recv(s->fsub, 50, on_fed_event, s->t);
	return NULL;
}

static int
side_publish(side *s, const int64_t *ts, const double *v, size_t n)
{
	if (s->grpc)
		return peer_grpc_publish(
		    s->gpub, STREAM_SERIES, ts, v, n, 10000);
	return fed_stream_publish(s->fpub, STREAM_SERIES, ts, v, n, NULL)
	        == FED_OK
	    ? 0
	    : -1;
}

// Connects a subscriber and waits (up to 5 s) until a frame gets through.
static void
side_open(side *s, int grpc, tally *t)
{
	memset(s, 0, sizeof(*s));
	s->grpc = grpc;
	s->t = t;
	int port = fed_test_free_port();
	char url[64];
	int64_t ts = PEERS_T0 - PEERS_DAY_MS;
	double v = 0;
	if (grpc) {
		s->gpub = peer_grpc_pub_new(port, 256);
		snprintf(url, sizeof(url), "127.0.0.1:%d", port);
		s->gsub = s->gpub ? peer_grpc_sub_new(
		              url, "kermelo/", on_grpc_frame, t, 10000)
		                  : NULL;
	} else {
		snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
		fed_stream_sub_opts so = {.url = url};
		if (fed_stream_pub_new(&s->fpub) == FED_OK
		    && fed_stream_pub_listen(s->fpub, url, NULL) == FED_OK
		    && fed_stream_sub_new(&so, &s->fsub) == FED_OK)
			fed_stream_sub_subscribe(s->fsub, "kermelo/");
		pthread_create(&s->th, NULL, fed_sub_main, s);
	}
	for (int i = 0; i < 500 && atomic_load(&t->frames) == 0; i++) {
		if ((grpc && !s->gsub) || (!grpc && !s->fsub))
			break;
		side_publish(s, &ts, &v, 1);
		peers_sleep_us(10000);
	}
	if (atomic_load(&t->frames) == 0) {
		fprintf(stderr, "bench_peers_grpc: stream did not connect\n");
		exit(1);
	}
	peers_sleep_us(100000);
	atomic_store(&t->frames, 0);
	atomic_store(&t->points, 0);
}

static void
side_close(side *s)
{
	if (s->grpc) {
		peer_grpc_pub_free(s->gpub);
		peer_grpc_sub_free(s->gsub);
		return;
	}
	atomic_store(&s->stop, 1);
	pthread_join(s->th, NULL);
	fed_stream_sub_free(s->fsub);
	fed_stream_pub_free(s->fpub);
}

// Waits until frames stop arriving for 300 ms (at most 10 s).
static void
drain(tally *t)
{
	int64_t t0 = fed_clock_mono_ns();
	uint64_t last = UINT64_MAX;
	while (fed_clock_mono_ns() - t0 < INT64_C(10000000000)) {
		uint64_t f = atomic_load(&t->frames);
		if (f == last)
			break;
		last = f;
		peers_sleep_us(300000);
	}
}

static void
sleep_until(int64_t t_ns)
{
	int64_t d = t_ns - fed_clock_mono_ns();
	if (d > 0)
		peers_sleep_us(d / 1000);
}

typedef struct stream_fig {
	double published, delivered; // points/s
	double lost; // fraction of frames published, not delivered
	double med_us, p99_us;
	double capacity; // points/s, at most 1 % lost (flat out or paced)
} stream_fig;

static void
flat_out(side *s, size_t batch, double rate, int run_ms, stream_fig *out)
{
	static int64_t ts[100];
	static double v[100];
	uint64_t frames = 0;
	int64_t t0 = fed_clock_mono_ns();
	while (frames < STREAM_MAX
	    && fed_clock_mono_ns() - t0 < INT64_C(1000000) * run_ms) {
		if (rate > 0) // offered load: wait until frame `frames` is due
			sleep_until(
			    t0 + (int64_t) ((double) frames * 1e9 / rate));
		for (size_t k = 0; k < batch; k++) {
			ts[k] = PEERS_T0
			    + (int64_t) (frames * batch + k) * PEERS_SLOT_MS;
			v[k] = (double) (k % 7);
		}
		if (side_publish(s, ts, v, batch) != 0)
			break;
		frames++;
	}
	double pub_s = (double) (fed_clock_mono_ns() - t0) / 1e9;
	drain(s->t);
	double del_s = (double) (atomic_load(&s->t->last_ns) - t0) / 1e9;
	uint64_t got = atomic_load(&s->t->frames);
	out->published = (double) (frames * batch) / pub_s;
	out->delivered = (double) atomic_load(&s->t->points)
	    / (del_s > pub_s ? del_s : pub_s);
	out->lost = frames ? 1.0 - (double) got / (double) frames : 0;
}

static void
paced(side *s, size_t batch, stream_fig *out)
{
	static int64_t ts[100];
	static double v[100];
	tally *t = s->t;
	t->paced = 1;
	int64_t t0 = fed_clock_mono_ns();
	for (size_t i = 0; i < PACED_FRAMES; i++) {
		for (size_t k = 0; k < batch; k++) {
			ts[k] = PEERS_T0
			    + (int64_t) (i * batch + k) * PEERS_SLOT_MS;
			v[k] = (double) k;
		}
		sleep_until(t0 + (int64_t) i * PACED_US * 1000);
		atomic_store(&t->pub_ns[i], fed_clock_mono_ns());
		side_publish(s, ts, v, batch);
	}
	drain(t);
	int64_t lat[PACED_FRAMES];
	size_t n = 0;
	for (size_t i = 0; i < PACED_FRAMES; i++)
		if (t->lat_ns[i] > 0)
			lat[n++] = t->lat_ns[i];
	out->med_us = peers_quantile_us(lat, n, 0.5);
	out->p99_us = peers_quantile_us(lat, n, 0.99);
	t->paced = 0;
}

// The most points/s delivered with at most 1 % of frames lost: the
// flat-out run, then runs of 1 s at offered rates from 12,500 frames/s
// doubling up to 800,000 (divided by 10 for frames of 100 points); every
// rate is run (a single noisy step does not end the sweep).
static double
capacity(int grpc, size_t batch, const stream_fig *flat)
{
	double best = flat->lost <= 0.01 ? flat->delivered : 0;
	for (double rate = 12500; rate <= 800000; rate *= 2) {
		tally t = {.batch = batch};
		side s;
		stream_fig f;
		side_open(&s, grpc, &t);
		flat_out(&s, batch, batch > 1 ? rate / 10 : rate, 1000, &f);
		side_close(&s);
		if (f.lost > 0.01)
			continue;
		best = f.delivered > best ? f.delivered : best;
	}
	return best;
}

static void
stream_side(int grpc, size_t batch, stream_fig *out)
{
	static int64_t lat[PACED_FRAMES];
	static atomic_int_fast64_t pub[PACED_FRAMES];
	memset(lat, 0, sizeof(lat));
	for (size_t i = 0; i < PACED_FRAMES; i++)
		atomic_store(&pub[i], 0);
	tally t = {.lat_ns = lat, .pub_ns = pub, .batch = batch};
	side s;
	side_open(&s, grpc, &t);
	flat_out(&s, batch, 0, STREAM_MS, out);
	side_close(&s);
	out->capacity = capacity(grpc, batch, out);
	// A fresh pair for the paced run: nothing left queued from the other.
	tally t2 = {.lat_ns = lat, .pub_ns = pub, .batch = batch};
	side_open(&s, grpc, &t2);
	paced(&s, batch, out);
	side_close(&s);
}

static void
bench_stream(size_t batch)
{
	stream_fig f = {0}, g = {0};
	stream_side(0, batch, &f);
	stream_side(1, batch, &g);
	char k[96];
	const char *names[] = {"delivered", "published"};
	double fv[] = {f.delivered, f.published},
	       gv[] = {g.delivered, g.published};
	for (int i = 0; i < 2; i++) {
		snprintf(k, sizeof(k), "grpc_stream_b%zu_%s_enfed", batch,
		    names[i]);
		peers_print(k, fv[i], "points/s");
		snprintf(
		    k, sizeof(k), "grpc_stream_b%zu_%s_grpc", batch, names[i]);
		peers_print(k, gv[i], "points/s");
	}
	snprintf(k, sizeof(k), "grpc_stream_b%zu_delivered_vs_grpc", batch);
	peers_ratio(k, f.delivered, g.delivered);
	snprintf(k, sizeof(k), "grpc_stream_b%zu_capacity_enfed", batch);
	peers_print(k, f.capacity, "points/s");
	snprintf(k, sizeof(k), "grpc_stream_b%zu_capacity_grpc", batch);
	peers_print(k, g.capacity, "points/s");
	snprintf(k, sizeof(k), "grpc_stream_b%zu_capacity_vs_grpc", batch);
	peers_ratio(k, f.capacity, g.capacity);
	snprintf(k, sizeof(k), "grpc_stream_b%zu_lost_enfed", batch);
	peers_print(k, f.lost, "fraction");
	snprintf(k, sizeof(k), "grpc_stream_b%zu_lost_grpc", batch);
	peers_print(k, g.lost, "fraction");
	snprintf(k, sizeof(k), "grpc_stream_b%zu_latency_median_enfed", batch);
	peers_print(k, f.med_us, "us");
	snprintf(k, sizeof(k), "grpc_stream_b%zu_latency_median_grpc", batch);
	peers_print(k, g.med_us, "us");
	snprintf(k, sizeof(k), "grpc_stream_b%zu_latency_p99_enfed", batch);
	peers_print(k, f.p99_us, "us");
	snprintf(k, sizeof(k), "grpc_stream_b%zu_latency_p99_grpc", batch);
	peers_print(k, g.p99_us, "us");
}

// --- main -------------------------------------------------------------------

static int
start_grpc_server(const cfg *c, char *target, size_t len)
{
	snprintf(target, len, "127.0.0.1:%d", fed_test_free_port());
	char data[600];
	snprintf(data, sizeof(data), "%s/grpc", c->dir);
	char *argv[] = {(char *) c->server_bin, target, data, NULL};
	int pid = fed_test_proc_start(argv, NULL);
	if (pid < 0) {
		fprintf(stderr, "bench_peers_grpc: cannot start %s\n",
		    c->server_bin);
		exit(1);
	}
	peers_track(pid);
	peer_grpc_client *probe = peer_grpc_client_new(target, 20000);
	if (probe == NULL) {
		fprintf(stderr, "bench_peers_grpc: gRPC server not ready\n");
		exit(1);
	}
	peer_grpc_client_free(probe);
	return pid;
}

static void
parse_args(int argc, char **argv, cfg *c)
{
	c->ingest_points = 10000;
	snprintf(c->node_bin, sizeof(c->node_bin), "%s", FED_NODE_BIN);
	snprintf(c->server_bin, sizeof(c->server_bin), "%s", PEER_GRPC_SERVER);
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--ingest-points=", 16) == 0
		    && atol(argv[i] + 16) >= IN_CALL) {
			c->ingest_points = (size_t) atol(argv[i] + 16);
		} else {
			fprintf(stderr,
			    "usage: bench_peers_grpc [--ingest-points=N]"
			    " (per series, >= %d)\n",
			    IN_CALL);
			exit(2);
		}
	}
}

int
main(int argc, char **argv)
{
	cfg c;
	parse_args(argc, argv, &c);
	c.dir = fed_test_tmpdir("bench-peers-grpc");
	prepare_stores(&c);
	const char *extra[] = {"--log-level=warning", NULL};
	peers_node n;
	peers_node_start(&n, c.node_bin, c.dir, extra);
	char target[64];
	int gpid = start_grpc_server(&c, target, sizeof(target));
	bench_query(n.rpc_url, target);
	bench_ingest(&c, n.rpc_url, target);
	peers_node_stop(&n);
	fed_test_proc_stop(gpid, SIGTERM, 20000);
	peers_forget(gpid);
	bench_stream(1);
	bench_stream(100);
	fed_test_rmtree(c.dir);
	free(c.dir);
	return 0;
}
