// SPDX-License-Identifier: MIT
//
// peers_durable.c: the many-collectors durable case (peers_durable.h).
//
// Each collector has its own connection and one message in flight, as a
// board has: it sends, waits for the acknowledgement, sends the next. So
// that a thousand of them leave the two cores to the server under test,
// no collector has a thread of its own: enfed's are nng REQ sockets
// driven by their aio callbacks on nng's own threads (the envelope
// built here as lib/rpc_client.c builds it), mosquitto's are libmosquitto
// clients driven by two threads that poll their sockets
// (peers_durable_mqtt.c). A round (one batch size) starts every collector at
// once and ends at the same deadline; a message sent before it is waited for.
// Each collector records the time of each acknowledged message, sent to
// acknowledged.

#include "peers_durable.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "enfed/v1/rpc.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed_test.h"
#include "peers_common.h"
#include "peers_durable_internal.h"
#include "store.h"

void
peers_durable_record(peers_coll *c, int64_t ns)
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
	c->last_ns = fed_clock_mono_ns();
}

void
peers_durable_points(const peers_coll *c, size_t batch, int64_t *ts, double *v)
{
	for (size_t k = 0; k < batch; k++) {
		ts[k] = PEERS_T0 + (int64_t) (c->next + k) * PEERS_SLOT_MS;
		v[k] = (double) ((c->next + k) % 97);
	}
}

void
peers_durable_figs(
    peers_coll *cs, int n, size_t batch, int64_t t0, peers_durable_fig *f)
{
	size_t total = 0;
	int64_t end = t0;
	uint64_t failed = 0;
	for (int i = 0; i < n; i++) {
		total += cs[i].n_lat;
		failed += cs[i].n_failed;
		if (cs[i].last_ns > end)
			end = cs[i].last_ns;
	}
	int64_t *all = malloc((total ? total : 1) * sizeof(*all));
	if (all == NULL)
		exit(1);
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		memcpy(all + k, cs[i].lat, cs[i].n_lat * sizeof(*all));
		k += cs[i].n_lat;
		cs[i].n_lat = 0;
		cs[i].n_failed = 0;
		cs[i].last_ns = 0;
	}
	double secs = (double) (end - t0) / 1e9;
	*f = (peers_durable_fig) {.n_calls = total, .n_failed = failed};
	if (total > 0 && secs > 0) {
		f->calls_s = (double) total / secs;
		f->points_s = f->calls_s * (double) batch;
		f->p50_us = peers_quantile_us(all, total, 0.50);
		f->p99_us = peers_quantile_us(all, total, 0.99);
	}
	free(all);
}

void
peers_durable_raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

// --- the store alone -------------------------------------------------------

typedef struct store_thread {
	node_store *st;
	peers_coll c;
	size_t batch;
	int64_t end_ns;
	uint64_t n_calls;
	pthread_t th;
} store_thread;

static void *
store_main(void *arg)
{
	store_thread *t = arg;
	char id[32];
	snprintf(id, sizeof(id), PEERS_DURABLE_SERIES, t->c.index);
	while (fed_clock_mono_ns() < t->end_ns) {
		int64_t ts[PEERS_DURABLE_MAX_BATCH];
		double v[PEERS_DURABLE_MAX_BATCH];
		peers_durable_points(&t->c, t->batch, ts, v);
		Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
		sp.series_id = id;
		sp.ts_ms = ts;
		sp.value = v;
		sp.n_ts_ms = sp.n_value = t->batch;
		Enfed__V1__SeriesPoints *list[] = {&sp};
		Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
		req.n_series = 1;
		req.series = list;
		if (node_store_append(t->st, &req, NULL, NULL) != FED_OK) {
			fprintf(stderr, "peers_durable: store append\n");
			exit(1);
		}
		t->c.next += t->batch;
		t->n_calls++;
	}
	return NULL;
}

static node_store *
store_open(const char *dir, int n, unsigned commit_wait_ms)
{
	char *mk[] = {"mkdir", "-p", (char *) dir, NULL};
	fed_test_spawn(mk, 0);
	node_store_opts o;
	node_store_opts_init(&o);
	o.commit_wait_ms = commit_wait_ms;
	node_store *st = NULL;
	if (node_store_open(dir, &o, &st, NULL) != FED_OK)
		exit(1);
	for (int i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof(id), PEERS_DURABLE_SERIES, i);
		Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
		m.id = id;
		m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
		m.unit = ENFED__V1__UNIT__UNIT_WH;
		m.interval_s = 300;
		if (node_store_create(st, &m, NULL, NULL) != FED_OK)
			exit(1);
	}
	return st;
}

double
peers_durable_store(const char *dir, int n, size_t batch,
    unsigned commit_wait_ms, int run_ms, double *mean_group)
{
	*mean_group = 0;
	if (n <= 0)
		return 0;
	node_store *st = store_open(dir, n, commit_wait_ms);
	store_thread *t = calloc((size_t) n, sizeof(*t));
	if (t == NULL)
		exit(1);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	int64_t t0 = fed_clock_mono_ns();
	for (int i = 0; i < n; i++) {
		t[i] = (store_thread) {.st = st,
		    .c = {.index = i},
		    .batch = batch,
		    .end_ns = t0 + INT64_C(1000000) * run_ms};
		if (pthread_create(&t[i].th, &attr, store_main, &t[i]) != 0)
			exit(1);
	}
	uint64_t calls = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i].th, NULL);
		calls += t[i].n_calls;
	}
	double secs = (double) (fed_clock_mono_ns() - t0) / 1e9;
	node_store_commit_stats cs;
	node_store_get_commit_stats(st, &cs);
	*mean_group = cs.n_commits ? (double) cs.n_calls / cs.n_commits : 0;
	node_store_close(st);
	pthread_attr_destroy(&attr);
	free(t);
	return (double) calls * (double) batch / secs;
}

// --- enfed: REQ sockets on aio callbacks -----------------------------------

typedef struct fed_coll {
	peers_coll c;
	nng_socket s;
	nng_aio *aio;
	int receiving; // the aio is receiving the reply, else sending
	int64_t sent_ns;
	struct fed_run *run;
} fed_coll;

typedef struct fed_run {
	fed_coll *cs;
	int n;
	size_t batch;
	int64_t end_ns;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n_active; // collectors with a message in flight
} fed_run;

// The Ingest call of c's next points, in its envelope.
static nng_msg *
fed_request(fed_coll *c, size_t batch)
{
	int64_t ts[PEERS_DURABLE_MAX_BATCH];
	double v[PEERS_DURABLE_MAX_BATCH];
	char id[32];
	snprintf(id, sizeof(id), PEERS_DURABLE_SERIES, c->c.index);
	peers_durable_points(&c->c, batch, ts, v);
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
	sp.series_id = id;
	sp.ts_ms = ts;
	sp.value = v;
	sp.n_ts_ms = sp.n_value = batch;
	Enfed__V1__SeriesPoints *list[] = {&sp};
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.n_series = 1;
	req.series = list;
	uint8_t body[512];
	Enfed__V1__Request env = ENFED__V1__REQUEST__INIT;
	env.id = c->c.next + 1;
	env.method = "/enfed.v1.SeriesStore/Ingest";
	env.timeout_ms = PEERS_DURABLE_ACK_WAIT_MS;
	env.token.data = (uint8_t *) PEERS_TOKEN;
	env.token.len = strlen(PEERS_TOKEN);
	env.body.data = body;
	env.body.len = enfed__v1__ingest_request__pack(&req, body);
	nng_msg *m = NULL;
	if (nng_msg_alloc(&m, enfed__v1__request__get_packed_size(&env)) != 0)
		return NULL;
	enfed__v1__request__pack(&env, nng_msg_body(m));
	return m;
}

static void
fed_send(fed_coll *c)
{
	nng_msg *m = fed_request(c, c->run->batch);
	if (m == NULL) {
		fprintf(stderr, "peers_durable: out of memory\n");
		exit(1);
	}
	c->receiving = 0;
	c->sent_ns = fed_clock_mono_ns();
	nng_aio_set_msg(c->aio, m);
	nng_send_aio(c->s, c->aio);
}

// 1 when the reply in c's aio says OK.
static int
fed_reply_ok(fed_coll *c)
{
	nng_msg *m = nng_aio_get_msg(c->aio);
	Enfed__V1__Reply *r
	    = enfed__v1__reply__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
	nng_msg_free(m);
	int ok = r != NULL && r->status == ENFED__V1__STATUS_CODE__OK;
	if (r != NULL)
		enfed__v1__reply__free_unpacked(r, NULL);
	return ok;
}

static void
fed_idle(fed_run *r)
{
	pthread_mutex_lock(&r->mu);
	if (--r->n_active == 0)
		pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

// nng's thread: the send went out (now wait for the reply), or the reply
// came (record it, send the next until the deadline).
static void
fed_cb(void *arg)
{
	fed_coll *c = arg;
	fed_run *r = c->run;
	int rv = nng_aio_result(c->aio);
	if (!c->receiving && rv == 0) {
		c->receiving = 1;
		nng_recv_aio(c->s, c->aio);
		return;
	}
	if (!c->receiving)
		nng_msg_free(nng_aio_get_msg(c->aio));
	if (c->receiving && rv == 0 && fed_reply_ok(c)) {
		peers_durable_record(&c->c, fed_clock_mono_ns() - c->sent_ns);
		c->c.next += r->batch;
	} else {
		c->c.n_failed++;
	}
	if (fed_clock_mono_ns() < r->end_ns && rv != NNG_ECLOSED)
		fed_send(c);
	else
		fed_idle(r);
}

static void
fed_open_all(fed_run *r, const char *url)
{
	for (int i = 0; i < r->n; i++) {
		fed_coll *c = &r->cs[i];
		c->c.index = i;
		c->run = r;
		if (nng_req0_open(&c->s) != 0
		    || nng_aio_alloc(&c->aio, fed_cb, c) != 0
		    || nng_dial(c->s, url, NULL, NNG_FLAG_NONBLOCK) != 0) {
			fprintf(stderr, "peers_durable: REQ socket %d\n", i);
			exit(1);
		}
		nng_socket_set_ms(c->s, NNG_OPT_REQ_RESENDTIME,
		    PEERS_DURABLE_ACK_WAIT_MS * 6);
	}
}

static void
fed_close_all(fed_run *r)
{
	for (int i = 0; i < r->n; i++) {
		nng_aio_stop(r->cs[i].aio);
		nng_aio_free(r->cs[i].aio);
		nng_close(r->cs[i].s);
		free(r->cs[i].c.lat);
	}
}

// One round: every collector starts, the last one done ends it.
static void
fed_round(fed_run *r, size_t batch, int run_ms, peers_durable_fig *out)
{
	r->batch = batch;
	int64_t t0 = fed_clock_mono_ns();
	r->end_ns = t0 + INT64_C(1000000) * run_ms;
	r->n_active = r->n;
	for (int i = 0; i < r->n; i++)
		fed_send(&r->cs[i]);
	pthread_mutex_lock(&r->mu);
	while (r->n_active > 0)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
	peers_coll *cs = malloc((size_t) r->n * sizeof(*cs));
	if (cs == NULL)
		exit(1);
	for (int i = 0; i < r->n; i++)
		cs[i] = r->cs[i].c;
	peers_durable_figs(cs, r->n, batch, t0, out);
	for (int i = 0; i < r->n; i++) { // counters reset, arrays kept
		r->cs[i].c.n_lat = 0;
		r->cs[i].c.n_failed = 0;
		r->cs[i].c.last_ns = 0;
	}
	free(cs);
}

static void
create_meters(peers_node *n, int count)
{
	for (int i = 0; i < count; i++) {
		char id[32];
		snprintf(id, sizeof(id), PEERS_DURABLE_SERIES, i);
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
	peers_durable_raise_fd_limit();
	char *mk[] = {"mkdir", "-p", (char *) dir, NULL};
	fed_test_spawn(mk, 0);
	peers_node node;
	peers_node_start(&node, bin, dir, extra);
	create_meters(&node, n);
	fed_run r = {.n = n};
	r.cs = calloc((size_t) n, sizeof(*r.cs));
	if (r.cs == NULL)
		exit(1);
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	fed_open_all(&r, node.rpc_url);
	for (size_t b = 0; b < n_b; b++)
		fed_round(&r, batches[b], run_ms, &out[b]);
	fed_close_all(&r);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	free(r.cs);
	peers_node_stop(&node);
	echo_groups(dir);
}
