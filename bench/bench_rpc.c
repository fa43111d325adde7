// SPDX-License-Identifier: MIT
//
// bench_rpc.c: the RPC and stream runtime against raw nng, in one run.
//
// Unary: an Echo call through fed_rpc (envelope, dispatch through the
// service descriptor, codec) and the same payload through a raw nng
// REQ/REP echo (asynchronous REP contexts, the best raw nng offers), on
// ipc:// and tcp://127.0.0.1, with 64-byte and 4 KiB bodies: median and
// p99 latency with one client, calls/s with 1 and 16 concurrent clients.
// Echo is marked inline, as Health is: answered on nng's thread. The
// same Echo on a server where it is not (answered by a worker, as Query
// and Ingest are) gives rpc_worker_*: the cost of the hand-off.
// Stream: points/s delivered to one subscriber with batches of 1 and 100
// points published flat out, and the share of frames the subscriber had to
// back-fill (reported as gaps).
// Prints one figure per line, `name value unit`. Server and clients share
// the machine (2 cores here): compare ratios of the same run. The server
// runs 16 workers (BENCH_WORKERS=N in the environment to change it).

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "enfed/test/echo.pb-c.h"
#include "fed/clock.h"
#include "fed/rpc.h"
#include "fed/stream.h"
#include "fed_test.h"

#define LAT_CALLS 4000
#define THR_NS    1500000000LL
#define N_CONC    16

// --- Raw nng echo server ----------------------------------------------------

struct raw_ctx {
	nng_ctx ctx;
	nng_aio *aio;
	int sending;
};

static void
raw_cb(void *arg)
{
	struct raw_ctx *c = arg;
	int rv = nng_aio_result(c->aio);
	if (c->sending) {
		// A failed send (the client went away) just drops the reply.
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(c->aio));
		c->sending = 0;
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	if (rv == NNG_ECLOSED)
		return;
	if (rv != 0) {
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	c->sending = 1;
	nng_ctx_send(c->ctx, c->aio); // echo the message as received
}

struct raw_server {
	nng_socket sock;
	struct raw_ctx ctx[N_CONC];
};

static void
raw_start(struct raw_server *s, const char *url)
{
	nng_rep0_open(&s->sock);
	if (nng_listen(s->sock, url, NULL, 0) != 0) {
		fprintf(stderr, "bench_rpc: cannot listen on %s\n", url);
		exit(1);
	}
	for (int i = 0; i < N_CONC; i++) {
		nng_aio_alloc(&s->ctx[i].aio, raw_cb, &s->ctx[i]);
		nng_ctx_open(&s->ctx[i].ctx, s->sock);
		nng_ctx_recv(s->ctx[i].ctx, s->ctx[i].aio);
	}
}

static void
raw_stop(struct raw_server *s)
{
	nng_close(s->sock);
	for (int i = 0; i < N_CONC; i++)
		nng_aio_free(s->ctx[i].aio);
}

// --- Clients ----------------------------------------------------------------

struct client {
	int raw;
	const char *url;
	size_t payload;
	int64_t *lat_ns; // NULL: throughput run
	int n_calls; // latency run
	atomic_int *stop;
	uint64_t done;
	int errors;
};

static void
run_raw(struct client *c, uint8_t *buf)
{
	nng_socket s;
	nng_req0_open(&s);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 10000);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 10000);
	nng_dial(s, c->url, NULL, 0);
	for (int i = 0; c->lat_ns ? i < c->n_calls : !atomic_load(c->stop);
	     i++) {
		int64_t t0 = fed_clock_mono_ns();
		char *rep = NULL;
		size_t len = 0;
		if (nng_send(s, buf, c->payload, 0) != 0
		    || nng_recv(s, &rep, &len, NNG_FLAG_ALLOC) != 0) {
			c->errors++;
			continue;
		}
		nng_free(rep, len);
		if (c->lat_ns)
			c->lat_ns[i] = fed_clock_mono_ns() - t0;
		c->done++;
	}
	nng_close(s);
}

static void
run_fed(struct client *c, uint8_t *buf)
{
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = c->url;
	o.token = "bench";
	fed_rpc_client *cli = NULL;
	fed_rpc_client_new(&o, &cli);
	Enfed__Test__EchoRequest req = ENFED__TEST__ECHO_REQUEST__INIT;
	req.payload.data = buf;
	req.payload.len = c->payload;
	for (int i = 0; c->lat_ns ? i < c->n_calls : !atomic_load(c->stop);
	     i++) {
		int64_t t0 = fed_clock_mono_ns();
		ProtobufCMessage *rep = NULL;
		if (fed_rpc_call(cli, &enfed__test__echo__descriptor, "Echo",
		        &req.base, &rep, NULL, 0)
		    != FED_OK) {
			c->errors++;
			continue;
		}
		protobuf_c_message_free_unpacked(rep, NULL);
		if (c->lat_ns)
			c->lat_ns[i] = fed_clock_mono_ns() - t0;
		c->done++;
	}
	fed_rpc_client_free(cli);
}

static void *
client_main(void *arg)
{
	struct client *c = arg;
	uint8_t *buf = malloc(c->payload);
	// Incompressible, like a packed batch of measurements after zstd.
	uint64_t x = 0x9e3779b97f4a7c15ull ^ c->payload;
	for (size_t i = 0; i < c->payload; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		buf[i] = (uint8_t) x;
	}
	if (c->raw)
		run_raw(c, buf);
	else
		run_fed(c, buf);
	free(buf);
	return NULL;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
	return (x > y) - (x < y);
}

static void
latency(
    int raw, const char *url, size_t payload, double *med_us, double *p99_us)
{
	int64_t *lat = calloc(LAT_CALLS, sizeof(*lat));
	atomic_int stop = 0;
	struct client warm = {.raw = raw,
	    .url = url,
	    .payload = payload,
	    .lat_ns = lat,
	    .n_calls = 200,
	    .stop = &stop};
	client_main(&warm);
	struct client c = {.raw = raw,
	    .url = url,
	    .payload = payload,
	    .lat_ns = lat,
	    .n_calls = LAT_CALLS,
	    .stop = &stop};
	client_main(&c);
	qsort(lat, (size_t) c.done, sizeof(*lat), cmp_i64);
	*med_us = (double) lat[c.done / 2] / 1e3;
	*p99_us = (double) lat[c.done * 99 / 100] / 1e3;
	free(lat);
}

static double
throughput(int raw, const char *url, size_t payload, int n)
{
	atomic_int stop = 0;
	struct client cs[N_CONC];
	pthread_t th[N_CONC];
	for (int i = 0; i < n; i++) {
		cs[i] = (struct client) {
		    .raw = raw, .url = url, .payload = payload, .stop = &stop};
		pthread_create(&th[i], NULL, client_main, &cs[i]);
	}
	int64_t t0 = fed_clock_mono_ns();
	struct timespec ts = {THR_NS / 1000000000LL, THR_NS % 1000000000LL};
	nanosleep(&ts, NULL);
	atomic_store(&stop, 1);
	uint64_t done = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		done += cs[i].done;
	}
	return (double) done / ((double) (fed_clock_mono_ns() - t0) / 1e9);
}

// An Echo server on url: Echo answered inline, or by a worker.
static fed_rpc_server *
echo_server(const char *url, int inline_echo)
{
	fed_rpc_server_opts o;
	fed_rpc_server_opts_default(&o);
	o.n_workers = getenv("BENCH_WORKERS")
	    ? (unsigned) atoi(getenv("BENCH_WORKERS"))
	    : N_CONC;
	fed_rpc_server *srv = NULL;
	if (fed_rpc_server_new(&o, &srv) != FED_OK
	    || fed_test_echo_register(srv) != FED_OK
	    || (inline_echo
	        && fed_rpc_server_set_inline(srv, "/enfed.test.Echo/Echo")
	            != FED_OK)
	    || fed_rpc_server_listen(srv, url, NULL) != FED_OK
	    || fed_rpc_server_start(srv) != FED_OK) {
		fprintf(stderr, "bench_rpc: cannot serve %s\n", url);
		exit(1);
	}
	return srv;
}

static void
unary(const char *tname, const char *url_fed, const char *url_worker,
    const char *url_raw)
{
	fed_rpc_server *srv = echo_server(url_fed, 1);
	fed_rpc_server *wsrv = echo_server(url_worker, 0);
	struct raw_server raw;
	raw_start(&raw, url_raw);
	const size_t sizes[] = {64, 4096};
	for (int s = 0; s < 2; s++) {
		double fm, fp, rm, rp, wm, wp;
		latency(0, url_fed, sizes[s], &fm, &fp);
		latency(1, url_raw, sizes[s], &rm, &rp);
		latency(0, url_worker, sizes[s], &wm, &wp);
		printf(
		    "rpc_worker_%s_%zu_median %.1f us\n", tname, sizes[s], wm);
		printf("rpc_worker_%s_%zu_median_vs_raw %.3f ratio\n", tname,
		    sizes[s], wm / rm);
		printf("rpc_%s_%zu_median %.1f us\n", tname, sizes[s], fm);
		printf("rpc_%s_%zu_p99 %.1f us\n", tname, sizes[s], fp);
		printf("raw_nng_%s_%zu_median %.1f us\n", tname, sizes[s], rm);
		printf("raw_nng_%s_%zu_p99 %.1f us\n", tname, sizes[s], rp);
		printf("rpc_%s_%zu_median_vs_raw %.3f ratio\n", tname,
		    sizes[s], fm / rm);
		for (int n = 1; n <= N_CONC; n += N_CONC - 1) {
			double f = throughput(0, url_fed, sizes[s], n);
			double r = throughput(1, url_raw, sizes[s], n);
			printf("rpc_%s_%zu_c%d %.0f calls/s\n", tname,
			    sizes[s], n, f);
			printf("raw_nng_%s_%zu_c%d %.0f calls/s\n", tname,
			    sizes[s], n, r);
			printf("rpc_%s_%zu_c%d_vs_raw %.3f ratio\n", tname,
			    sizes[s], n, f / r);
		}
		fflush(stdout);
	}
	raw_stop(&raw);
	fed_rpc_server_free(wsrv);
	fed_rpc_server_free(srv);
}

// --- Streams ----------------------------------------------------------------

struct sub_tally {
	uint64_t points, frames, missed;
};

static void
on_event(const fed_stream_event *ev, void *arg)
{
	struct sub_tally *t = arg;
	if (ev->kind == FED_STREAM_POINTS) {
		t->points += ev->n;
		t->frames++;
	} else if (ev->kind == FED_STREAM_GAP) {
		t->missed += ev->missed_to - ev->missed_from + 1;
	}
}

struct pub_arg {
	fed_stream_pub *pub;
	size_t batch;
	atomic_int *stop;
	uint64_t frames;
};

static void *
pub_main(void *arg)
{
	struct pub_arg *a = arg;
	int64_t ts[100];
	double v[100];
	for (int i = 0; i < 100; i++)
		ts[i] = 1700000000000 + i * 300000, v[i] = 100 + i;
	while (!atomic_load(a->stop)) {
		fed_stream_publish(
		    a->pub, "kermelo/pv/energy", ts, v, a->batch, NULL);
		a->frames++;
	}
	return NULL;
}

static void
stream(const char *url, size_t batch)
{
	fed_stream_pub *pub = NULL;
	fed_stream_pub_new(&pub);
	fed_stream_pub_listen(pub, url, NULL);
	fed_stream_sub_opts so = {.url = url};
	fed_stream_sub *sub = NULL;
	fed_stream_sub_new(&so, &sub);
	fed_stream_sub_subscribe(sub, "kermelo/");
	struct sub_tally t = {0};
	int64_t ts = 0;
	double v = 0;
	for (int i = 0; i < 500 && t.frames == 0; i++) {
		fed_stream_publish(pub, "kermelo/pv/energy", &ts, &v, 1, NULL);
		fed_stream_sub_recv(sub, 10, on_event, &t);
	}
	while (fed_stream_sub_recv(sub, 50, on_event, &t) == FED_OK)
		;
	t = (struct sub_tally) {0};
	atomic_int stop = 0;
	struct pub_arg pa = {.pub = pub, .batch = batch, .stop = &stop};
	pthread_t th;
	int64_t t0 = fed_clock_mono_ns();
	pthread_create(&th, NULL, pub_main, &pa);
	while (fed_clock_mono_ns() - t0 < THR_NS)
		fed_stream_sub_recv(sub, 100, on_event, &t);
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	while (fed_stream_sub_recv(sub, 100, on_event, &t) == FED_OK)
		;
	double secs = (double) (fed_clock_mono_ns() - t0) / 1e9;
	printf("stream_b%zu_delivered %.0f points/s\n", batch,
	    (double) t.points / secs);
	printf("stream_b%zu_published %.0f points/s\n", batch,
	    (double) (pa.frames * batch) / secs);
	printf("stream_b%zu_backfill_share %.4f fraction\n", batch,
	    pa.frames ? (double) t.missed / (double) (t.frames + t.missed)
	              : 0);
	fflush(stdout);
	fed_stream_sub_free(sub);
	fed_stream_pub_free(pub);
}

int
main(int argc, char **argv)
{
	int only_stream = argc > 1 && strcmp(argv[1], "--stream") == 0;
	int only_rpc = argc > 1 && strcmp(argv[1], "--rpc") == 0;
	if (argc > 1 && !only_stream && !only_rpc) {
		fprintf(stderr, "usage: bench_rpc [--rpc | --stream]\n");
		return 2;
	}
	char a[256], b[256], w[256];
	if (!only_stream) {
		fed_test_ipc_url(a, sizeof(a), "bench");
		fed_test_ipc_url(w, sizeof(w), "benchworker");
		fed_test_ipc_url(b, sizeof(b), "benchraw");
		unary("ipc", a, w, b);
		int pa = fed_test_free_port(), pb = fed_test_free_port();
		int pw = fed_test_free_port();
		for (int i = 0; i < 100 && (pb == pa || pw == pa || pw == pb);
		     i++)
			pb = fed_test_free_port(), pw = fed_test_free_port();
		snprintf(a, sizeof(a), "tcp://127.0.0.1:%d", pa);
		snprintf(b, sizeof(b), "tcp://127.0.0.1:%d", pb);
		snprintf(w, sizeof(w), "tcp://127.0.0.1:%d", pw);
		unary("tcp", a, w, b);
	}
	if (!only_rpc) {
		fed_test_ipc_url(a, sizeof(a), "stream1");
		stream(a, 1);
		fed_test_ipc_url(a, sizeof(a), "stream100");
		stream(a, 100);
	}
	return 0;
}
