// SPDX-License-Identifier: MIT
//
// bench_peers_mqtt.c: enfed's live stream beside mosquitto (Debian's
// broker and libmosquitto), in one run, on 127.0.0.1.
//
// A collector publishes live frames of --batch 1 and 100 points of one
// series (the payload is the same encoded enfed.v1.StreamFrame; every
// subscriber decodes it), flat out for 1.5 s or 2,000,000 messages; one
// subscriber receives. Figures: messages/s and points/s delivered, and
// the share of messages lost; and the capacity of enfed's PUB/SUB and of
// QoS 0: the most messages/s delivered with at most 1 % lost, offered
// paced loads included (a flat-out publisher on 2 cores takes the CPU
// that delivery needs: PUB then drops what it cannot deliver, while the
// MQTT client queues it in memory).
//
//   mqtt_qos0  mosquitto, QoS 0 publish and subscription
//   mqtt_qos1  mosquitto, QoS 1 (the broker keeps nothing on disk:
//              persistence false; its queue per client is unbounded,
//              max_queued_messages 0, or it would drop QoS 1 messages
//              past 1,000); the collector keeps at most 1,000 messages
//              unacknowledged; waits until everything arrived
//   enfed      fed_stream PUB/SUB, publisher to subscriber directly (what
//              a fed-node's stream is); lost frames are reported as gaps
//   enfed_follow  the lossless path: 16 collectors (one meter each, its
//              points in time order, one call at a time; the MQTT
//              collector keeps up to 1,000 messages unacknowledged) send
//              each batch to a fed-node (Ingest RPC, --sync=normal, so
//              that like the broker it does not wait on the disk), the
//              node stores and publishes, and a fed_follow subscriber
//              back-fills every lost frame by Query; waits (30 s at most)
//              until every point arrived.
//
// Then the durable case with 1,000 collectors at once (peers_durable.h),
// each one connection and one message at a time, of 1 and of 12 points,
// DURABLE_MS each:
//   qos1_durable   mosquitto QoS 1, persistence on (its closest durable
//                  setting: it still acknowledges before writing), a
//                  subscriber with a persistent session
//   enfed_durable  Ingest to a fed-node, --sync=full, acknowledged once
//                  on disk, group commit as configured by default
//                  (--commit-wait-ms=2) with --max-calls=1024 (every
//                  collector's call in progress at once)
//   enfed_durable_c256  the same with the default --max-calls=256
//   enfed_durable_cw0  --commit-wait-ms=0: one commit per call, as before
//                  group commit
//   store_cw2, store_cw0  the store alone, in-process, 256 threads
//                  appending to their own series, with and without group
//                  commit: the ceiling the node's RPC path works under
// `bench_peers_mqtt [MOSQUITTO] --durable` runs only that case.
//
// The broker runs from a generated config in a temporary folder, on a
// free loopback port, and is stopped at the end (also on failure).

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>

#include "enfed/v1/series.pb-c.h"
#include "enfed/v1/stream.pb-c.h"
#include "fed/clock.h"
#include "fed/follow.h"
#include "fed/stream.h"
#include "fed_test.h"
#include "peers_common.h"
#include "peers_durable.h"

#define RUN_MS      1500
#define MAX_MSGS    2000000
#define DRAIN_MS    30000
#define TOPIC       "kermelo/pv/energy"
#define LIVE_FMT    "bench/live/%03d"
#define COLLECTORS  16
#define QOS1_WINDOW 1000
#define DURABLE_N   1000
#define DURABLE_MS  3000

typedef struct cfg {
	const char *mosquitto;
	char node_bin[512];
	char *dir;
} cfg;

typedef struct fig {
	double msgs_s, points_s, lost;
} fig;

// What every subscriber counts.
typedef struct tally {
	atomic_uint_fast64_t msgs, points;
	atomic_int_fast64_t last_ns;
} tally;

static void
tally_add(tally *t, size_t n)
{
	atomic_fetch_add(&t->msgs, 1);
	atomic_fetch_add(&t->points, n);
	atomic_store(&t->last_ns, fed_clock_mono_ns());
}

// Waits until `count` reaches `want` or stops moving for quiet_ms (at most
// DRAIN_MS).
static void
drain(atomic_uint_fast64_t *count, uint64_t want, int quiet_ms)
{
	int64_t t0 = fed_clock_mono_ns(), moved = t0;
	uint64_t last = atomic_load(count);
	while (last < want
	    && fed_clock_mono_ns() - t0 < INT64_C(1000000) * DRAIN_MS
	    && fed_clock_mono_ns() - moved < INT64_C(1000000) * quiet_ms) {
		peers_sleep_us(5000);
		uint64_t now = atomic_load(count);
		if (now != last)
			moved = fed_clock_mono_ns(), last = now;
	}
}

static void
fig_set(fig *f, const tally *t, uint64_t sent, int64_t t0, int64_t t_pub_end)
{
	int64_t end = atomic_load(&t->last_ns);
	if (end < t_pub_end)
		end = t_pub_end;
	double secs = (double) (end - t0) / 1e9;
	f->msgs_s = (double) atomic_load(&t->msgs) / secs;
	f->points_s = (double) atomic_load(&t->points) / secs;
	f->lost
	    = sent ? 1.0 - (double) atomic_load(&t->msgs) / (double) sent : 0;
}

// Offered load: with rate > 0 (messages/s), waits until message `sent` is
// due; 0 publishes flat out.
static void
pace(uint64_t sent, int64_t t0, double rate)
{
	if (rate <= 0)
		return;
	int64_t due = t0 + (int64_t) ((double) sent * 1e9 / rate);
	int64_t ahead = due - fed_clock_mono_ns();
	if (ahead > 1000000)
		peers_sleep_us(ahead / 1000);
}

// The payload every transport carries for frame i: a StreamFrame.
typedef struct frame_buf {
	int64_t ts[100];
	double v[100];
	uint8_t buf[2048];
	size_t len;
} frame_buf;

// The points of frame i.
static void
frame_fill(frame_buf *f, uint64_t i, size_t batch)
{
	for (size_t k = 0; k < batch; k++) {
		f->ts[k]
		    = PEERS_T0 + (int64_t) (i * batch + k) * PEERS_SLOT_MS;
		f->v[k] = (double) ((i + k) % 97);
	}
}

// The points of frame i, encoded for MQTT (fed_stream encodes its own).
static void
frame_make(frame_buf *f, uint64_t i, size_t batch)
{
	frame_fill(f, i, batch);
	Enfed__V1__StreamFrame m = ENFED__V1__STREAM_FRAME__INIT;
	m.series_id = (char *) TOPIC;
	m.seq = i + 1;
	m.epoch = 42;
	m.ts_ms = f->ts;
	m.value = f->v;
	m.n_ts_ms = m.n_value = batch;
	f->len = enfed__v1__stream_frame__pack(&m, f->buf);
}

// --- mosquitto --------------------------------------------------------------

static int
broker_start(const cfg *c, int *port)
{
	char conf[600];
	snprintf(conf, sizeof(conf), "%s/mosquitto.conf", c->dir);
	*port = fed_test_free_port();
	FILE *f = fopen(conf, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
	    "listener %d 127.0.0.1\nallow_anonymous true\n"
	    "persistence false\nmax_queued_messages 0\nlog_dest none\n",
	    *port);
	fclose(f);
	char *argv[] = {(char *) c->mosquitto, "-c", conf, NULL};
	int pid = fed_test_proc_start(argv, NULL);
	if (pid > 0)
		peers_track(pid);
	return pid;
}

static void
on_mqtt_message(
    struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	(void) m;
	Enfed__V1__StreamFrame *f = enfed__v1__stream_frame__unpack(
	    NULL, (size_t) msg->payloadlen, msg->payload);
	if (f == NULL)
		return;
	tally_add(arg, f->n_ts_ms);
	enfed__v1__stream_frame__free_unpacked(f, NULL);
}

static void
on_mqtt_publish(struct mosquitto *m, void *arg, int mid)
{
	(void) m, (void) mid;
	atomic_fetch_add((atomic_uint_fast64_t *) arg, 1);
}

// QoS 1: waits while `window` messages are unacknowledged (a collector
// keeps what the broker has not acknowledged; it cannot queue forever).
static void
wait_window(atomic_uint_fast64_t *acked, uint64_t sent, int64_t t0)
{
	while (sent - atomic_load(acked) >= QOS1_WINDOW
	    && fed_clock_mono_ns() - t0 < INT64_C(1000000) * DRAIN_MS)
		peers_sleep_us(100);
}

static void
on_mqtt_subscribe(
    struct mosquitto *m, void *arg, int mid, int n, const int *granted)
{
	(void) m, (void) mid, (void) n, (void) granted;
	atomic_store((atomic_int *) arg, 1);
}

// A connected client with its network thread; NULL after 5 s of trying.
static struct mosquitto *
mqtt_client(const char *id, int port, void *arg)
{
	struct mosquitto *m = mosquitto_new(id, true, arg);
	for (int i = 0; m && i < 500; i++) {
		if (mosquitto_connect(m, "127.0.0.1", port, 60)
		        == MOSQ_ERR_SUCCESS
		    && mosquitto_loop_start(m) == MOSQ_ERR_SUCCESS)
			return m;
		peers_sleep_us(10000);
	}
	mosquitto_destroy(m);
	return NULL;
}

static void
mqtt_close(struct mosquitto *m)
{
	mosquitto_disconnect(m);
	mosquitto_loop_stop(m, false);
	mosquitto_destroy(m);
}

static void
bench_mqtt(int port, int qos, size_t batch, double rate, int run_ms, fig *out)
{
	tally t = {0};
	atomic_int subscribed = 0;
	struct mosquitto *sub = mqtt_client("bench-sub", port, &subscribed);
	atomic_uint_fast64_t acked = 0;
	struct mosquitto *pub = mqtt_client("bench-pub", port, &acked);
	if (sub == NULL || pub == NULL) {
		fprintf(stderr, "bench_peers_mqtt: cannot reach the broker\n");
		exit(1);
	}
	// Callbacks get the client's user data: the flag until subscribed,
	// then the tally.
	mosquitto_message_callback_set(sub, on_mqtt_message);
	mosquitto_subscribe_callback_set(sub, on_mqtt_subscribe);
	mosquitto_publish_callback_set(pub, on_mqtt_publish);
	mosquitto_subscribe(sub, NULL, "kermelo/#", qos);
	for (int i = 0; i < 500 && !atomic_load(&subscribed); i++)
		peers_sleep_us(10000);
	mosquitto_user_data_set(sub, &t);
	frame_buf fb;
	uint64_t sent = 0;
	int64_t t0 = fed_clock_mono_ns();
	while (sent < MAX_MSGS
	    && fed_clock_mono_ns() - t0 < INT64_C(1000000) * run_ms) {
		pace(sent, t0, rate);
		if (qos)
			wait_window(&acked, sent, t0);
		frame_make(&fb, sent, batch);
		if (mosquitto_publish(
		        pub, NULL, TOPIC, (int) fb.len, fb.buf, qos, false)
		    != MOSQ_ERR_SUCCESS)
			break;
		sent++;
	}
	int64_t t_end = fed_clock_mono_ns();
	drain(&t.msgs, sent, qos ? 2000 : 500);
	fig_set(out, &t, sent, t0, t_end);
	mqtt_close(pub);
	mqtt_close(sub);
}

// --- enfed PUB/SUB
// ------------------------------------------------------------

typedef struct fed_sub_thread {
	fed_stream_sub *sub;
	atomic_int stop;
	tally *t;
} fed_sub_thread;

static void
on_fed_event(const fed_stream_event *ev, void *arg)
{
	if (ev->kind == FED_STREAM_POINTS)
		tally_add(arg, ev->n);
}

static void *
fed_sub_main(void *arg)
{
	fed_sub_thread *s = arg;
	while (!atomic_load(&s->stop))
		fed_stream_sub_recv(s->sub, 50, on_fed_event, s->t);
	return NULL;
}

static void
bench_fed_stream(size_t batch, double rate, int run_ms, fig *out)
{
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", fed_test_free_port());
	fed_stream_pub *pub = NULL;
	fed_stream_sub_opts so = {.url = url};
	tally t = {0};
	fed_sub_thread st = {.t = &t};
	if (fed_stream_pub_new(&pub) != FED_OK
	    || fed_stream_pub_listen(pub, url, NULL) != FED_OK
	    || fed_stream_sub_new(&so, &st.sub) != FED_OK
	    || fed_stream_sub_subscribe(st.sub, "kermelo/") != FED_OK) {
		fprintf(stderr, "bench_peers_mqtt: enfed stream on %s\n", url);
		exit(1);
	}
	pthread_t th;
	pthread_create(&th, NULL, fed_sub_main, &st);
	frame_buf fb;
	for (int i = 0; i < 500 && atomic_load(&t.msgs) == 0; i++) {
		frame_fill(&fb, 0, 1);
		fed_stream_publish(pub, TOPIC, fb.ts, fb.v, 1, NULL);
		peers_sleep_us(10000);
	}
	peers_sleep_us(100000);
	t = (tally) {0};
	uint64_t sent = 0;
	int64_t t0 = fed_clock_mono_ns();
	while (sent < MAX_MSGS
	    && fed_clock_mono_ns() - t0 < INT64_C(1000000) * run_ms) {
		pace(sent, t0, rate);
		// fed_stream_publish encodes the frame, as MQTT's side does.
		frame_fill(&fb, sent, batch);
		if (fed_stream_publish(pub, TOPIC, fb.ts, fb.v, batch, NULL)
		    != FED_OK)
			break;
		sent++;
	}
	int64_t t_end = fed_clock_mono_ns();
	drain(&t.msgs, sent, 500);
	fig_set(out, &t, sent, t0, t_end);
	atomic_store(&st.stop, 1);
	pthread_join(th, NULL);
	fed_stream_sub_free(st.sub);
	fed_stream_pub_free(pub);
}

// --- enfed, lossless: fed-node + fed_follow ---------------------------------

// One collector: a meter of its own (series bench/live/NNN), its frames
// sent in time order, one Ingest call at a time.
typedef struct collector {
	const peers_node *node;
	size_t batch;
	int index; // the series
	uint64_t n_frames; // frames to send
	int failed;
} collector;

static void *
collector_main(void *arg)
{
	collector *c = arg;
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = c->node->rpc_url;
	o.token = PEERS_TOKEN;
	fed_rpc_client *cli = NULL;
	if (fed_rpc_client_new(&o, &cli) != FED_OK)
		return c->failed = 1, NULL;
	frame_buf fb;
	char id[32];
	snprintf(id, sizeof(id), LIVE_FMT, c->index);
	for (uint64_t i = 0; i < c->n_frames; i++) {
		frame_fill(&fb, i, c->batch);
		Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
		sp.series_id = id;
		sp.ts_ms = fb.ts;
		sp.value = fb.v;
		sp.n_ts_ms = sp.n_value = c->batch;
		Enfed__V1__SeriesPoints *list[] = {&sp};
		Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
		req.n_series = 1;
		req.series = list;
		ProtobufCMessage *rep = NULL;
		if (fed_rpc_call(cli, &enfed__v1__series_store__descriptor,
		        "Ingest", &req.base, &rep, NULL, 0)
		    != FED_OK) {
			c->failed = 1;
			break;
		}
		protobuf_c_message_free_unpacked(rep, NULL);
	}
	fed_rpc_client_free(cli);
	return NULL;
}

typedef struct follow_thread {
	fed_follow *f;
	atomic_int stop;
	tally *t;
	atomic_uint_fast64_t backfilled;
} follow_thread;

static void
on_follow(const char *id, const int64_t *ts, const double *v, size_t n,
    fed_follow_origin origin, void *arg)
{
	(void) id, (void) ts, (void) v;
	follow_thread *ft = arg;
	tally_add(ft->t, n);
	if (origin != FED_FOLLOW_LIVE)
		atomic_fetch_add(&ft->backfilled, n);
}

static void *
follow_main(void *arg)
{
	follow_thread *ft = arg;
	while (!atomic_load(&ft->stop))
		fed_follow_recv(ft->f, 50, on_follow, ft);
	return NULL;
}

static void
create_live(peers_node *n)
{
	for (int i = 0; i < COLLECTORS; i++) {
		char id[32];
		snprintf(id, sizeof(id), LIVE_FMT, i);
		Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
		m.id = id;
		m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION;
		m.unit = ENFED__V1__UNIT__UNIT_WH;
		m.interval_s = 300;
		Enfed__V1__CreateSeriesRequest req
		    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
		req.meta = &m;
		peers_node_call(n, "CreateSeries", &req.base);
	}
}

// Sends n_frames batches through the node with `threads` collectors and
// waits until the follower has every point (or DRAIN_MS passed).
static void
follow_run(peers_node *n, size_t batch, uint64_t n_frames, int threads,
    fig *out, double *backfill_share)
{
	tally t = {0};
	follow_thread ft = {.t = &t};
	fed_follow_opts fo = {.stream_url = n->stream_url,
	    .rpc_url = n->rpc_url,
	    .token = PEERS_TOKEN};
	if (fed_follow_new(&fo, &ft.f) != FED_OK
	    || fed_follow_subscribe(ft.f, "bench/") != FED_OK) {
		fprintf(stderr, "bench_peers_mqtt: follower\n");
		exit(1);
	}
	pthread_t fth, cth[COLLECTORS];
	pthread_create(&fth, NULL, follow_main, &ft);
	peers_sleep_us(300000); // the subscription reaches the node
	collector cs[COLLECTORS];
	int64_t t0 = fed_clock_mono_ns();
	for (int i = 0; i < threads; i++) {
		// n_frames shared out; the first ones take the remainder.
		cs[i] = (collector) {n, batch, i,
		    n_frames / (uint64_t) threads
		        + ((uint64_t) i < n_frames % (uint64_t) threads),
		    0};
		pthread_create(&cth[i], NULL, collector_main, &cs[i]);
	}
	int failed = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(cth[i], NULL);
		failed |= cs[i].failed;
	}
	int64_t t_end = fed_clock_mono_ns();
	drain(&t.points, n_frames * batch, DRAIN_MS);
	atomic_store(&ft.stop, 1);
	pthread_join(fth, NULL);
	fed_follow_free(ft.f);
	if (failed) {
		fprintf(stderr, "bench_peers_mqtt: an Ingest failed\n");
		exit(1);
	}
	fig_set(out, &t, n_frames, t0, t_end);
	// Points, not frames: back-fills deliver many frames' points at once.
	out->lost = 1.0
	    - (double) atomic_load(&t.points) / (double) (n_frames * batch);
	*backfill_share = (double) atomic_load(&ft.backfilled)
	    / (double) (n_frames * batch);
}

// How many frames the collectors send in RUN_MS: measured by a short
// calibration run, so that the run is bounded in time as the others.
static uint64_t
follow_frames(peers_node *n, size_t batch, int threads)
{
	fig f;
	double share;
	follow_run(n, batch, 200, threads, &f, &share);
	double per_s = f.msgs_s > 0 ? f.msgs_s : 1000;
	uint64_t frames = (uint64_t) (per_s * RUN_MS / 1000.0);
	return frames < 200 ? 200 : frames > MAX_MSGS ? MAX_MSGS : frames;
}

static void
bench_follow(const cfg *c, size_t batch, fig *out, double *backfill_share)
{
	const char *extra[] = {"--log-level=warning", "--sync=normal", NULL};
	peers_node n;
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/follow-b%zu", c->dir, batch);
	char *mk[] = {"mkdir", "-p", dir, NULL};
	fed_test_spawn(mk, 0);
	peers_node_start(&n, c->node_bin, dir, extra);
	create_live(&n);
	int threads = COLLECTORS;
	uint64_t frames = follow_frames(&n, batch, threads);
	peers_node_stop(&n);
	// A fresh node: the calibration's points would be duplicates.
	char *rm[] = {"rm", "-rf", dir, NULL};
	fed_test_spawn(rm, 0);
	fed_test_spawn(mk, 0);
	peers_node_start(&n, c->node_bin, dir, extra);
	create_live(&n);
	follow_run(&n, batch, frames, threads, out, backfill_share);
	peers_node_stop(&n);
}

// --- capacity ---------------------------------------------------------------

// The most messages/s delivered with at most 1 % lost, over the flat-out
// run (flat) and runs of 1 s at offered rates from 12,500 messages/s
// doubling up to 800,000 (divided by 10 for frames of 100 points); every
// rate is run (a single noisy step does not end the sweep). `fed` picks
// enfed's PUB/SUB, else mosquitto QoS 0.
static double
capacity(int port, int fed, size_t batch, const fig *flat)
{
	double best = flat->lost <= 0.01 ? flat->msgs_s : 0;
	for (double rate = 12500; rate <= 800000; rate *= 2) {
		fig f;
		double r = batch > 1 ? rate / 10 : rate;
		if (fed)
			bench_fed_stream(batch, r, 1000, &f);
		else
			bench_mqtt(port, 0, batch, r, 1000, &f);
		if (f.lost > 0.01)
			continue;
		best = f.msgs_s > best ? f.msgs_s : best;
	}
	return best;
}

// --- main -------------------------------------------------------------------

static void
print_fig(const char *side, size_t batch, const fig *f)
{
	char k[96];
	snprintf(k, sizeof(k), "mqtt_b%zu_%s_msgs", batch, side);
	peers_print(k, f->msgs_s, "msgs/s");
	snprintf(k, sizeof(k), "mqtt_b%zu_%s_points", batch, side);
	peers_print(k, f->points_s, "points/s");
	snprintf(k, sizeof(k), "mqtt_b%zu_%s_lost", batch, side);
	peers_print(k, f->lost < 0 ? 0 : f->lost, "fraction");
}

static void
bench_batch(const cfg *c, int port, size_t batch)
{
	fig q0, q1, fs, ff;
	double share = 0;
	bench_mqtt(port, 0, batch, 0, RUN_MS, &q0);
	bench_fed_stream(batch, 0, RUN_MS, &fs);
	bench_mqtt(port, 1, batch, 0, RUN_MS, &q1);
	double cap0 = capacity(port, 0, batch, &q0);
	double capf = capacity(port, 1, batch, &fs);
	bench_follow(c, batch, &ff, &share);
	print_fig("qos0", batch, &q0);
	print_fig("qos1", batch, &q1);
	print_fig("enfed", batch, &fs);
	print_fig("enfed_follow", batch, &ff);
	char k[96];
	snprintf(k, sizeof(k), "mqtt_b%zu_enfed_follow_backfilled", batch);
	peers_print(k, share, "fraction");
	snprintf(k, sizeof(k), "mqtt_b%zu_enfed_vs_qos0", batch);
	peers_ratio(k, fs.msgs_s, q0.msgs_s);
	snprintf(k, sizeof(k), "mqtt_b%zu_qos0_capacity", batch);
	peers_print(k, cap0, "msgs/s");
	snprintf(k, sizeof(k), "mqtt_b%zu_enfed_capacity", batch);
	peers_print(k, capf, "msgs/s");
	snprintf(k, sizeof(k), "mqtt_b%zu_enfed_capacity_vs_qos0", batch);
	peers_ratio(k, capf, cap0);
	snprintf(k, sizeof(k), "mqtt_b%zu_enfed_follow_vs_qos1", batch);
	peers_ratio(k, ff.points_s, q1.points_s);
}

// --- 1,000 collectors, durable ----------------------------------------------

static void
print_durable(const char *side, size_t batch, const peers_durable_fig *f)
{
	char k[96];
	snprintf(
	    k, sizeof(k), "mqtt_d%d_b%zu_%s_points", DURABLE_N, batch, side);
	peers_print(k, f->points_s, "points/s");
	snprintf(k, sizeof(k), "mqtt_d%d_b%zu_%s_p50", DURABLE_N, batch, side);
	peers_print(k, f->p50_us, "us");
	snprintf(k, sizeof(k), "mqtt_d%d_b%zu_%s_p99", DURABLE_N, batch, side);
	peers_print(k, f->p99_us, "us");
	if (f->n_failed > 0) {
		snprintf(k, sizeof(k), "mqtt_d%d_b%zu_%s_failed", DURABLE_N,
		    batch, side);
		peers_print(k, (double) f->n_failed, "calls");
	}
}

static void
bench_durable(const cfg *c)
{
	static const size_t batches[] = {1, 12};
	static const char *const sides[]
	    = {"enfed_durable", "enfed_durable_c256", "enfed_durable_cw0"};
	static const char *const flags[][5] = {
	    {"--log-level=notice", "--max-conns-per-peer=4096",
	        "--max-calls=1024", NULL},
	    {"--log-level=notice", "--max-conns-per-peer=4096", NULL},
	    {"--log-level=notice", "--max-conns-per-peer=4096",
	        "--max-calls=1024", "--commit-wait-ms=0", NULL},
	};
	peers_durable_fig q[2], e[3][2];
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/durable-mqtt", c->dir);
	peers_durable_mqtt(
	    c->mosquitto, dir, DURABLE_N, batches, 2, DURABLE_MS, q);
	for (int s = 0; s < 3; s++) {
		snprintf(dir, sizeof(dir), "%s/durable-%d", c->dir, s);
		peers_durable_fed(c->node_bin, dir, flags[s], DURABLE_N,
		    batches, 2, DURABLE_MS, e[s]);
	}
	// The store alone, 256 threads (one per worker of the first node).
	for (size_t b = 0; b < 2; b++)
		for (unsigned cw = 0; cw <= 2; cw += 2) {
			double group = 0;
			snprintf(dir, sizeof(dir), "%s/durable-store-%zu-%u",
			    c->dir, b, cw);
			double p = peers_durable_store(
			    dir, 256, batches[b], cw, DURABLE_MS, &group);
			char k[96];
			snprintf(k, sizeof(k),
			    "mqtt_d256_b%zu_store_cw%u_points", batches[b],
			    cw);
			peers_print(k, p, "points/s");
			snprintf(k, sizeof(k),
			    "mqtt_d256_b%zu_store_cw%u_group", batches[b], cw);
			peers_print(k, group, "calls/commit");
		}
	for (size_t b = 0; b < 2; b++) {
		print_durable("qos1_durable", batches[b], &q[b]);
		for (int s = 0; s < 3; s++)
			print_durable(sides[s], batches[b], &e[s][b]);
		char k[96];
		snprintf(k, sizeof(k), "mqtt_d%d_b%zu_enfed_durable_vs_qos1",
		    DURABLE_N, batches[b]);
		peers_ratio(k, e[0][b].points_s, q[b].points_s);
	}
}

int
main(int argc, char **argv)
{
	cfg c;
	int durable_only = 0;
	c.mosquitto = "/usr/sbin/mosquitto";
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--durable") == 0)
			durable_only = 1;
		else
			c.mosquitto = argv[i];
	snprintf(c.node_bin, sizeof(c.node_bin), "%s", FED_NODE_BIN);
	c.dir = fed_test_tmpdir("bench-peers-mqtt");
	mosquitto_lib_init();
	if (durable_only) {
		bench_durable(&c);
		mosquitto_lib_cleanup();
		fed_test_rmtree(c.dir);
		free(c.dir);
		return 0;
	}
	int port = 0;
	int pid = broker_start(&c, &port);
	if (pid < 0) {
		fprintf(stderr, "bench_peers_mqtt: cannot start %s\n",
		    c.mosquitto);
		return 1;
	}
	bench_batch(&c, port, 1);
	bench_batch(&c, port, 100);
	fed_test_proc_stop(pid, SIGTERM, 10000);
	peers_forget(pid);
	bench_durable(&c);
	mosquitto_lib_cleanup();
	fed_test_rmtree(c.dir);
	free(c.dir);
	return 0;
}
