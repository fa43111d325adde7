// SPDX-License-Identifier: MIT
//
// peers_durable.c: the many-collectors durable case (peers_durable.h).
//
// Each collector is one thread with one connection, as a board is: it
// sends, waits for the acknowledgement, sends the next. All connect first;
// then, for each batch size, a barrier starts them together and they run
// until the same deadline; a second barrier ends the round. A collector
// records the time of each acknowledged message (sent to acknowledged).
// Threads have small stacks (256 KiB): a thousand of them on two cores.

#include "peers_durable.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <mosquitto.h>

#include "enfed/v1/series.pb-c.h"
#include "enfed/v1/stream.pb-c.h"
#include "fed/clock.h"
#include "fed/rpc.h"
#include "fed_test.h"
#include "peers_common.h"

#define MAX_BATCH   12
#define SERIES_FMT  "bench/d/%04d"
#define ACK_WAIT_MS 10000

typedef struct round round;

// One collector.
typedef struct coll {
	round *r;
	int index;
	uint64_t next; // the next point of its meter
	void *cli; // fed_rpc_client or struct mosquitto
	atomic_int acked; // MQTT: the PUBACK of the last publish came
	int64_t *lat; // this round's latencies, ns
	size_t n_lat, cap;
	int64_t last_ns; // this round's last acknowledgement
	uint64_t n_failed;
	pthread_t th;
} coll;

// What every collector of a run shares.
struct round {
	int (*open)(coll *c); // 0 on success
	int (*send)(coll *c, size_t batch); // one message, acknowledged: 0
	void (*close)(coll *c);
	const char *url; // enfed
	int port; // MQTT
	size_t n_b;
	size_t batch; // this round's
	int64_t end_ns; // this round's deadline
	pthread_barrier_t bar;
	coll *c;
	int n;
};

static void
record(coll *c, int64_t ns)
{
	if (c->n_lat == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		int64_t *p = realloc(c->lat, cap * sizeof(*p));
		if (p == NULL)
			return;
		c->lat = p;
		c->cap = cap;
	}
	c->lat[c->n_lat++] = ns;
}

static void *
coll_main(void *arg)
{
	coll *c = arg;
	round *r = c->r;
	if (r->open(c) != 0)
		c->cli = NULL;
	pthread_barrier_wait(&r->bar); // all connected
	for (size_t b = 0; b < r->n_b; b++) {
		pthread_barrier_wait(&r->bar); // go
		c->n_lat = 0;
		c->last_ns = 0;
		while (c->cli != NULL && fed_clock_mono_ns() < r->end_ns) {
			int64_t t = fed_clock_mono_ns();
			if (r->send(c, r->batch) != 0) {
				c->n_failed++;
				continue;
			}
			c->last_ns = fed_clock_mono_ns();
			record(c, c->last_ns - t);
			c->next += r->batch;
		}
		pthread_barrier_wait(&r->bar); // done
	}
	if (c->cli != NULL)
		r->close(c);
	return NULL;
}

// The figures of one round that started at t0.
static void
round_figs(round *r, int64_t t0, peers_durable_fig *f)
{
	size_t total = 0;
	int64_t end = t0;
	uint64_t failed = 0;
	for (int i = 0; i < r->n; i++) {
		total += r->c[i].n_lat;
		failed += r->c[i].n_failed;
		r->c[i].n_failed = 0;
		if (r->c[i].last_ns > end)
			end = r->c[i].last_ns;
	}
	int64_t *all = malloc((total ? total : 1) * sizeof(*all));
	if (all == NULL)
		exit(1);
	size_t k = 0;
	for (int i = 0; i < r->n; i++) {
		memcpy(all + k, r->c[i].lat, r->c[i].n_lat * sizeof(*all));
		k += r->c[i].n_lat;
	}
	double secs = (double) (end - t0) / 1e9;
	*f = (peers_durable_fig) {.n_calls = total, .n_failed = failed};
	if (total > 0 && secs > 0) {
		f->calls_s = (double) total / secs;
		f->points_s = f->calls_s * (double) r->batch;
		f->p50_us = peers_quantile_us(all, total, 0.50);
		f->p99_us = peers_quantile_us(all, total, 0.99);
	}
	free(all);
}

// Runs the collectors of r, one round per batch size.
static void
run_rounds(round *r, const size_t *batches, int run_ms, peers_durable_fig *out)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_barrier_init(&r->bar, NULL, (unsigned) r->n + 1);
	r->c = calloc((size_t) r->n, sizeof(*r->c));
	if (r->c == NULL)
		exit(1);
	for (int i = 0; i < r->n; i++) {
		r->c[i] = (coll) {.r = r, .index = i};
		if (pthread_create(&r->c[i].th, &attr, coll_main, &r->c[i])
		    != 0) {
			fprintf(stderr, "peers_durable: thread %d\n", i);
			exit(1);
		}
	}
	pthread_barrier_wait(&r->bar); // all connected
	for (size_t b = 0; b < r->n_b; b++) {
		r->batch = batches[b];
		int64_t t0 = fed_clock_mono_ns();
		r->end_ns = t0 + INT64_C(1000000) * run_ms;
		pthread_barrier_wait(&r->bar); // go
		pthread_barrier_wait(&r->bar); // done
		round_figs(r, t0, &out[b]);
	}
	for (int i = 0; i < r->n; i++) {
		pthread_join(r->c[i].th, NULL);
		free(r->c[i].lat);
	}
	free(r->c);
	pthread_barrier_destroy(&r->bar);
	pthread_attr_destroy(&attr);
}

// The next `batch` points of collector c's meter.
static void
points(const coll *c, size_t batch, int64_t *ts, double *v)
{
	for (size_t k = 0; k < batch; k++) {
		ts[k] = PEERS_T0 + (int64_t) (c->next + k) * PEERS_SLOT_MS;
		v[k] = (double) ((c->next + k) % 97);
	}
}

// --- enfed ------------------------------------------------------------------

static int
fed_open(coll *c)
{
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = c->r->url;
	o.token = PEERS_TOKEN;
	o.timeout_ms = ACK_WAIT_MS;
	fed_rpc_client *cli = NULL;
	if (fed_rpc_client_new(&o, &cli) != FED_OK)
		return -1;
	c->cli = cli;
	return 0;
}

static int
fed_send(coll *c, size_t batch)
{
	int64_t ts[MAX_BATCH];
	double v[MAX_BATCH];
	char id[32];
	snprintf(id, sizeof(id), SERIES_FMT, c->index);
	points(c, batch, ts, v);
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
	sp.series_id = id;
	sp.ts_ms = ts;
	sp.value = v;
	sp.n_ts_ms = sp.n_value = batch;
	Enfed__V1__SeriesPoints *list[] = {&sp};
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.n_series = 1;
	req.series = list;
	ProtobufCMessage *rep = NULL;
	fed_status st
	    = fed_rpc_call(c->cli, &enfed__v1__series_store__descriptor,
	        "Ingest", &req.base, &rep, NULL, 0);
	protobuf_c_message_free_unpacked(rep, NULL);
	return st == FED_OK ? 0 : -1;
}

static void
fed_close(coll *c)
{
	fed_rpc_client_free(c->cli);
}

static void
create_meters(peers_node *n, int count)
{
	for (int i = 0; i < count; i++) {
		char id[32];
		snprintf(id, sizeof(id), SERIES_FMT, i);
		Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
		m.id = id;
		m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
		m.unit = ENFED__V1__UNIT__UNIT_WH;
		m.interval_s = 300;
		Enfed__V1__CreateSeriesRequest req
		    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
		req.meta = &m;
		peers_node_call(n, "CreateSeries", &req.base);
	}
}

// Each thread needs a descriptor or two on each side.
static void
raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

// Echoes, as a comment of the output, the node's last word on group
// commit (its log, at notice level).
static void
echo_groups(const char *dir)
{
	char path[700], line[512], last[512] = "";
	snprintf(path, sizeof(path), "%s/node.log", dir);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "group commit:") != NULL)
			snprintf(last, sizeof(last), "%s", line);
	fclose(f);
	const char *p = strstr(last, "group commit:");
	if (p != NULL)
		printf("# %s", p);
}

void
peers_durable_fed(const char *bin, const char *dir, const char *const *extra,
    int n, const size_t *batches, size_t n_b, int run_ms,
    peers_durable_fig *out)
{
	raise_fd_limit();
	char *mk[] = {"mkdir", "-p", (char *) dir, NULL};
	fed_test_spawn(mk, 0);
	peers_node node;
	peers_node_start(&node, bin, dir, extra);
	create_meters(&node, n);
	round r = {.open = fed_open,
	    .send = fed_send,
	    .close = fed_close,
	    .url = node.rpc_url,
	    .n_b = n_b,
	    .n = n};
	run_rounds(&r, batches, run_ms, out);
	peers_node_stop(&node);
	echo_groups(dir);
}

// --- mosquitto --------------------------------------------------------------

static void
on_puback(struct mosquitto *m, void *arg, int mid)
{
	(void) m, (void) mid;
	atomic_store(&((coll *) arg)->acked, 1);
}

static int
mqtt_open(coll *c)
{
	char id[32];
	snprintf(id, sizeof(id), "bench-d-%04d", c->index);
	struct mosquitto *m = mosquitto_new(id, true, c);
	if (m == NULL)
		return -1;
	mosquitto_publish_callback_set(m, on_puback);
	for (int i = 0; i < 500; i++) {
		if (mosquitto_connect(m, "127.0.0.1", c->r->port, 60)
		    == MOSQ_ERR_SUCCESS) {
			c->cli = m;
			return 0;
		}
		peers_sleep_us(10000);
	}
	mosquitto_destroy(m);
	return -1;
}

static int
mqtt_send(coll *c, size_t batch)
{
	int64_t ts[MAX_BATCH];
	double v[MAX_BATCH];
	char topic[32];
	uint8_t buf[512];
	snprintf(topic, sizeof(topic), SERIES_FMT, c->index);
	points(c, batch, ts, v);
	Enfed__V1__StreamFrame f = ENFED__V1__STREAM_FRAME__INIT;
	f.series_id = topic;
	f.seq = c->next + 1;
	f.ts_ms = ts;
	f.value = v;
	f.n_ts_ms = f.n_value = batch;
	size_t len = enfed__v1__stream_frame__pack(&f, buf);
	struct mosquitto *m = c->cli;
	atomic_store(&c->acked, 0);
	if (mosquitto_publish(m, NULL, topic, (int) len, buf, 1, false)
	    != MOSQ_ERR_SUCCESS)
		return -1;
	int64_t until = fed_clock_mono_ns() + INT64_C(1000000) * ACK_WAIT_MS;
	while (!atomic_load(&c->acked) && fed_clock_mono_ns() < until)
		if (mosquitto_loop(m, 10, 1) != MOSQ_ERR_SUCCESS)
			mosquitto_reconnect(m);
	return atomic_load(&c->acked) ? 0 : -1;
}

static void
mqtt_close_coll(coll *c)
{
	mosquitto_disconnect(c->cli);
	mosquitto_destroy(c->cli);
}

static int
broker_start(const char *mosquitto, const char *dir, int *port)
{
	char conf[600];
	snprintf(conf, sizeof(conf), "%s/mosquitto-durable.conf", dir);
	*port = fed_test_free_port();
	FILE *f = fopen(conf, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
	    "listener %d 127.0.0.1\nallow_anonymous true\n"
	    "persistence true\npersistence_location %s/\n"
	    "max_queued_messages 0\nlog_dest none\n",
	    *port, dir);
	fclose(f);
	char *argv[] = {(char *) mosquitto, "-c", conf, NULL};
	int pid = fed_test_proc_start(argv, NULL);
	if (pid > 0)
		peers_track(pid);
	return pid;
}

static void
on_sub_message(
    struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	(void) m, (void) msg;
	atomic_fetch_add((atomic_uint_fast64_t *) arg, 1);
}

// The reader the broker keeps messages for: a persistent session, QoS 1.
static struct mosquitto *
subscriber(int port, atomic_uint_fast64_t *got)
{
	struct mosquitto *m = mosquitto_new("bench-d-sub", false, got);
	if (m == NULL)
		return NULL;
	mosquitto_message_callback_set(m, on_sub_message);
	for (int i = 0; i < 500; i++) {
		if (mosquitto_connect(m, "127.0.0.1", port, 60)
		        == MOSQ_ERR_SUCCESS
		    && mosquitto_subscribe(m, NULL, "bench/d/#", 1)
		        == MOSQ_ERR_SUCCESS
		    && mosquitto_loop_start(m) == MOSQ_ERR_SUCCESS)
			return m;
		peers_sleep_us(10000);
	}
	mosquitto_destroy(m);
	return NULL;
}

void
peers_durable_mqtt(const char *mosquitto, const char *dir, int n,
    const size_t *batches, size_t n_b, int run_ms, peers_durable_fig *out)
{
	raise_fd_limit();
	char *mk[] = {"mkdir", "-p", (char *) dir, NULL};
	fed_test_spawn(mk, 0);
	int port = 0;
	int pid = broker_start(mosquitto, dir, &port);
	atomic_uint_fast64_t got = 0;
	struct mosquitto *sub = pid > 0 ? subscriber(port, &got) : NULL;
	if (sub == NULL) {
		fprintf(stderr, "peers_durable: cannot start %s\n", mosquitto);
		exit(1);
	}
	round r = {.open = mqtt_open,
	    .send = mqtt_send,
	    .close = mqtt_close_coll,
	    .port = port,
	    .n_b = n_b,
	    .n = n};
	run_rounds(&r, batches, run_ms, out);
	mosquitto_disconnect(sub);
	mosquitto_loop_stop(sub, false);
	mosquitto_destroy(sub);
	fed_test_proc_stop(pid, SIGTERM, 10000);
	peers_forget(pid);
}
