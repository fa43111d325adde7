// SPDX-License-Identifier: MIT
//
// bench_load.c: a bounded load test of one fed-node process on loopback.
// For --seconds (60), while a collector ingests one point a second for
// each of --series (10) series in one Ingest call:
// - --clients (200) RPC clients, each its own connection, each calling
//   --rate (10) times a second, alternately Latest of one series and a
//   raw Query of its last 5 minutes (what a dashboard asks);
// - --subscribers (1000) watchers (fed/follow.h, as `fedctl watch`), each
//   its own connection, each following one series and back-filling from
//   the node what its stream loses (nng's PUB sends every frame to every
//   subscriber; the SUB side filters, so the node sends series x
//   subscribers frames a second). They run in a process of their own,
//   as dashboards and watchers do: in the clients' process, the 10,000
//   frames a second they receive would queue the clients' own replies
//   behind them in nng's task queue, and the latency measured would be
//   the load generator's.
// With --relay=1 the subscribers follow a fed-relay that follows the
// node, and the node sends each frame once (docs/operations.md).
// Prints calls/s, p50/p99/max latency, errors, the points the watchers
// delivered against those ingested (and the back-fills they needed), and
// the node's (and relay's) resident memory after the warm-up and at the
// end.

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed/rpc.h"
#include "fed/follow.h"
#include "fed_test.h"

#define TOKEN "bench-admin-token"

struct opts {
	int seconds, clients, subscribers, series, rate, relay;
};

struct shared {
	struct opts o;
	char rpc[128], stream[128];
	atomic_int stop;
	atomic_int_fast64_t ingested; // points ingested per series, each
	atomic_int_fast64_t ingest_errors;
};

struct client {
	struct shared *sh;
	int id;
	pthread_t th;
	double *lat_ms; // one per call
	size_t n, cap;
	uint64_t errors;
};

struct subscriber {
	struct shared *sh;
	int series;
	pthread_t th;
	uint64_t points, backfilled, backfills;
	int ok;
};

static void
die(const char *what, fed_status st)
{
	fprintf(stderr, "bench_load: %s: %s\n", what, fed_status_name(st));
	exit(1);
}

static void
series_id(int k, char *out, size_t len)
{
	snprintf(out, len, "load/meter%04d/power", k);
}

static fed_rpc_client *
connect_rpc(const struct shared *sh, uint32_t timeout_ms)
{
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = sh->rpc;
	o.token = TOKEN;
	o.timeout_ms = timeout_ms;
	fed_rpc_client *c = NULL;
	fed_status st = fed_rpc_client_new(&o, &c);
	if (st != FED_OK)
		die("client", st);
	return c;
}

static fed_status
call(fed_rpc_client *c, const char *method, const ProtobufCMessage *req)
{
	ProtobufCMessage *rep = NULL;
	fed_status st = fed_rpc_call(c, &enfed__v1__series_store__descriptor,
	    method, req, &rep, NULL, 0);
	protobuf_c_message_free_unpacked(rep, NULL);
	return st;
}

static void
create_series(const struct shared *sh)
{
	fed_rpc_client *c = connect_rpc(sh, 30000);
	for (int k = 0; k < sh->o.series; k++) {
		char id[64];
		series_id(k, id, sizeof(id));
		Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
		m.id = id;
		m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_POWER;
		m.unit = ENFED__V1__UNIT__UNIT_W;
		m.interval_s = 1;
		Enfed__V1__CreateSeriesRequest req
		    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
		req.meta = &m;
		fed_status st = call(c, "CreateSeries", &req.base);
		if (st != FED_OK)
			die("CreateSeries", st);
	}
	fed_rpc_client_free(c);
}

// The collector: every second, one point of each series in one call.
static void *
ingest_loop(void *arg)
{
	struct shared *sh = arg;
	fed_rpc_client *c = connect_rpc(sh, 10000);
	int n = sh->o.series;
	char(*ids)[64] = calloc((size_t) n, sizeof(*ids));
	Enfed__V1__SeriesPoints *sp = calloc((size_t) n, sizeof(*sp));
	Enfed__V1__SeriesPoints **list = calloc((size_t) n, sizeof(*list));
	int64_t *ts = calloc((size_t) n, sizeof(*ts));
	double *v = calloc((size_t) n, sizeof(*v));
	if (ids == NULL || sp == NULL || list == NULL || ts == NULL || !v)
		die("ingest", FED_RESOURCE_EXHAUSTED);
	int64_t t = fed_clock_now_ms() / 1000 * 1000;
	for (int64_t tick = 0; !atomic_load(&sh->stop); tick++) {
		for (int k = 0; k < n; k++) {
			series_id(k, ids[k], sizeof(ids[k]));
			enfed__v1__series_points__init(&sp[k]);
			sp[k].series_id = ids[k];
			ts[k] = t + tick * 1000;
			v[k] = 500.0 + (double) ((tick * 7 + k) % 300);
			sp[k].ts_ms = &ts[k];
			sp[k].value = &v[k];
			sp[k].n_ts_ms = sp[k].n_value = 1;
			list[k] = &sp[k];
		}
		Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
		req.series = list;
		req.n_series = (size_t) n;
		if (call(c, "Ingest", &req.base) == FED_OK)
			atomic_fetch_add(&sh->ingested, 1);
		else
			atomic_fetch_add(&sh->ingest_errors, 1);
		fed_test_sleep_ms(1000);
	}
	fed_rpc_client_free(c);
	free(ids);
	free(sp);
	free(list);
	free(ts);
	free(v);
	return NULL;
}

static void
record(struct client *cl, double ms)
{
	if (cl->n == cl->cap) {
		size_t cap = cl->cap ? cl->cap * 2 : 1024;
		double *l = realloc(cl->lat_ms, cap * sizeof(*l));
		if (l == NULL)
			return;
		cl->lat_ms = l;
		cl->cap = cap;
	}
	cl->lat_ms[cl->n++] = ms;
}

// One dashboard: a call every 1/rate s (the first after a random delay,
// so that the clients do not call in step).
static void *
client_loop(void *arg)
{
	struct client *cl = arg;
	const struct shared *sh = cl->sh;
	fed_rpc_client *c = connect_rpc(sh, 5000);
	int64_t period_ms = 1000 / sh->o.rate;
	unsigned seed = (unsigned) cl->id * 2654435761u;
	fed_test_sleep_ms((int) (rand_r(&seed) % (unsigned) period_ms));
	int64_t next = fed_clock_mono_ms();
	for (int i = 0; !atomic_load(&sh->stop); i++) {
		char id[64];
		series_id((int) (rand_r(&seed) % (unsigned) sh->o.series), id,
		    sizeof(id));
		char *ids[1] = {id};
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		fed_status st;
		if (i % 2 == 0) {
			Enfed__V1__LatestRequest req
			    = ENFED__V1__LATEST_REQUEST__INIT;
			req.series_ids = ids;
			req.n_series_ids = 1;
			st = call(c, "Latest", &req.base);
		} else {
			Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
			r.to_ms = fed_clock_now_ms() + 1000;
			r.from_ms = r.to_ms - 300000;
			Enfed__V1__QueryRequest req
			    = ENFED__V1__QUERY_REQUEST__INIT;
			req.series_ids = ids;
			req.n_series_ids = 1;
			req.range = &r;
			st = call(c, "Query", &req.base);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (st == FED_OK)
			record(cl,
			    (double) (b.tv_sec - a.tv_sec) * 1e3
			        + (double) (b.tv_nsec - a.tv_nsec) / 1e6);
		else
			cl->errors++;
		next += period_ms;
		int64_t wait = next - fed_clock_mono_ms();
		if (wait > 0)
			fed_test_sleep_ms((int) wait);
	}
	fed_rpc_client_free(c);
	return NULL;
}

static void
on_points(const char *id, const int64_t *ts, const double *v, size_t n,
    fed_follow_origin origin, void *arg)
{
	(void) id;
	(void) ts;
	(void) v;
	struct subscriber *s = arg;
	s->points += n;
	s->backfilled += origin != FED_FOLLOW_LIVE ? n : 0;
}

// One watcher (fed/follow.h, as `fedctl watch`): the stream (the node's
// or the relay's) for live points, the node's RPC to back-fill any frame
// the stream lost.
static void *
subscriber_loop(void *arg)
{
	struct subscriber *s = arg;
	fed_follow_opts o = {.stream_url = s->sh->stream,
	    .rpc_url = s->sh->rpc,
	    .token = TOKEN};
	fed_follow *f = NULL;
	char id[64];
	series_id(s->series, id, sizeof(id));
	if (fed_follow_new(&o, &f) != FED_OK
	    || fed_follow_subscribe(f, id) != FED_OK) {
		fed_follow_free(f);
		return NULL;
	}
	s->ok = 1;
	while (!atomic_load(&s->sh->stop))
		(void) fed_follow_recv(f, 200, on_points, s);
	// What is still queued.
	while (fed_follow_recv(f, 300, on_points, s) == FED_OK)
		;
	fed_follow_stats st;
	fed_follow_get_stats(f, &st);
	s->backfills = st.backfills;
	fed_follow_free(f);
	return NULL;
}

// What the subscribers' process reports at the end.
struct sub_totals {
	uint64_t points, backfilled, backfills;
	int connected;
};

static void spawn(pthread_t *th, void *(*fn)(void *), void *arg);

// The subscribers' process: starts them at the first byte on go_fd, stops
// them at the second (or end of file), and writes their totals to res_fd.
static void
subscribers_main(struct shared *sh, int go_fd, int res_fd)
{
	char b;
	if (read(go_fd, &b, 1) != 1)
		_exit(1);
	struct subscriber *subs
	    = calloc((size_t) sh->o.subscribers, sizeof(*subs));
	if (subs == NULL)
		_exit(1);
	for (int i = 0; i < sh->o.subscribers; i++) {
		subs[i].sh = sh;
		subs[i].series = i % sh->o.series;
		spawn(&subs[i].th, subscriber_loop, &subs[i]);
	}
	(void) read(go_fd, &b, 1);
	atomic_store(&sh->stop, 1);
	struct sub_totals t = {0};
	for (int i = 0; i < sh->o.subscribers; i++) {
		pthread_join(subs[i].th, NULL);
		t.points += subs[i].points;
		t.backfilled += subs[i].backfilled;
		t.backfills += subs[i].backfills;
		t.connected += subs[i].ok;
	}
	free(subs);
	_exit(write(res_fd, &t, sizeof(t)) == (ssize_t) sizeof(t) ? 0 : 1);
}

// Forks the subscribers' process before this one uses nng (nng's threads
// do not survive a fork); *go_fd starts and stops it, *res_fd gets its
// totals.
static int
fork_subscribers(struct shared *sh, int *go_fd, int *res_fd)
{
	int go[2], res[2];
	if (pipe(go) != 0 || pipe(res) != 0)
		die("pipe", FED_INTERNAL);
	int pid = fork();
	if (pid < 0)
		die("fork", FED_INTERNAL);
	if (pid == 0) {
		close(go[1]);
		close(res[0]);
		subscribers_main(sh, go[0], res[1]);
	}
	close(go[0]);
	close(res[1]);
	*go_fd = go[1];
	*res_fd = res[0];
	return pid;
}

static double
rss_mb(int pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	double kb = -1;
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %lf kB", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb / 1024.0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return (x > y) - (x < y);
}

static int
arg_int(int argc, char **argv, const char *name, int def, int lo, int hi)
{
	size_t n = strlen(name);
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') {
			int v = atoi(argv[i] + n + 1);
			if (v < lo || v > hi) {
				fprintf(stderr,
				    "bench_load: %s between %d and "
				    "%d\n",
				    name, lo, hi);
				exit(2);
			}
			return v;
		}
	return def;
}

static pthread_attr_t small_stack;

static void
spawn(pthread_t *th, void *(*fn)(void *), void *arg)
{
	if (pthread_create(th, &small_stack, fn, arg) != 0)
		die("pthread_create", FED_RESOURCE_EXHAUSTED);
}

int
main(int argc, char **argv)
{
	struct shared sh = {0};
	sh.o.seconds = arg_int(argc, argv, "--seconds", 60, 5, 3600);
	sh.o.clients = arg_int(argc, argv, "--clients", 200, 1, 2000);
	sh.o.subscribers = arg_int(argc, argv, "--subscribers", 1000, 0, 5000);
	sh.o.series = arg_int(argc, argv, "--series", 10, 1, 10000);
	sh.o.rate = arg_int(argc, argv, "--rate", 10, 1, 1000);
	sh.o.relay = arg_int(argc, argv, "--relay", 0, 0, 1);
	// Every client and subscriber holds a socket, the node as many.
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void) setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	pthread_attr_init(&small_stack);
	pthread_attr_setstacksize(&small_stack, 256 * 1024);

	char *dir = fed_test_tmpdir("benchload");
	char data[600], listen[160], stream[160], log[640];
	snprintf(sh.rpc, sizeof(sh.rpc), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	snprintf(sh.stream, sizeof(sh.stream), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	// The node's stream; the subscribers' is the relay's with --relay.
	char node_stream[128], relay_listen[160], relay_up[160];
	snprintf(node_stream, sizeof(node_stream), "%s", sh.stream);
	if (sh.o.relay)
		snprintf(sh.stream, sizeof(sh.stream), "tcp://127.0.0.1:%d",
		    fed_test_free_port());
	int go_fd = -1, res_fd = -1;
	int sub_pid = fork_subscribers(&sh, &go_fd, &res_fd);
	snprintf(data, sizeof(data), "--data-dir=%s/data", dir);
	snprintf(listen, sizeof(listen), "--listen=%s", sh.rpc);
	snprintf(stream, sizeof(stream), "--stream=%s", node_stream);
	snprintf(log, sizeof(log), "%s/node.log", dir);
	char *nargv[] = {FED_NODE_BIN, data, listen, stream,
	    "--admin-token=" TOKEN, "--log-level=warning", NULL};
	int pid = fed_test_proc_start(nargv, log);
	fed_status st = fed_test_wait_health(sh.rpc, 20000);
	if (pid < 0 || st != FED_OK)
		die("starting fed-node", st);
	create_series(&sh);
	int relay_pid = -1;
	if (sh.o.relay) {
		char relay_log[640];
		snprintf(
		    relay_up, sizeof(relay_up), "--upstream=%s", node_stream);
		snprintf(relay_listen, sizeof(relay_listen), "--listen=%s",
		    sh.stream);
		snprintf(relay_log, sizeof(relay_log), "%s/relay.log", dir);
		char *rargv[] = {FED_RELAY_BIN, relay_up, relay_listen,
		    "--log-level=warning", NULL};
		relay_pid = fed_test_proc_start(rargv, relay_log);
		if (relay_pid < 0)
			die("starting fed-relay", FED_UNAVAILABLE);
	}

	struct client *cls = calloc((size_t) sh.o.clients, sizeof(*cls));
	if (cls == NULL)
		die("memory", FED_RESOURCE_EXHAUSTED);
	if (write(go_fd, "g", 1) != 1)
		die("starting the subscribers", FED_INTERNAL);
	fed_test_sleep_ms(2000); // the subscribers connect
	pthread_t ing;
	spawn(&ing, ingest_loop, &sh);
	for (int i = 0; i < sh.o.clients; i++) {
		cls[i].sh = &sh;
		cls[i].id = i;
		spawn(&cls[i].th, client_loop, &cls[i]);
	}
	fed_test_sleep_ms(5000); // warm-up: every connection made
	double rss0 = rss_mb(pid), relay_rss0 = rss_mb(relay_pid);
	fed_test_sleep_ms(sh.o.seconds * 1000 - 5000);
	double rss1 = rss_mb(pid), relay_rss1 = rss_mb(relay_pid);
	atomic_store(&sh.stop, 1);
	pthread_join(ing, NULL);
	size_t n_lat = 0;
	uint64_t errors = 0;
	for (int i = 0; i < sh.o.clients; i++) {
		pthread_join(cls[i].th, NULL);
		n_lat += cls[i].n;
		errors += cls[i].errors;
	}
	struct sub_totals subs = {0};
	if (write(go_fd, "s", 1) != 1
	    || read(res_fd, &subs, sizeof(subs)) != (ssize_t) sizeof(subs))
		die("the subscribers' totals", FED_INTERNAL);
	close(go_fd);
	close(res_fd);
	(void) fed_test_proc_stop(sub_pid, SIGTERM, 10000);
	uint64_t got = subs.points;
	int connected = subs.connected;
	double *all = malloc((n_lat + 1) * sizeof(*all));
	size_t k = 0;
	for (int i = 0; all != NULL && i < sh.o.clients; i++) {
		memcpy(all + k, cls[i].lat_ms, cls[i].n * sizeof(*all));
		k += cls[i].n;
		free(cls[i].lat_ms);
	}
	qsort(all, k, sizeof(*all), cmp_double);
	int64_t ticks = atomic_load(&sh.ingested);
	uint64_t want = (uint64_t) ticks * (uint64_t) sh.o.subscribers;
	printf("load_seconds %d s\n", sh.o.seconds);
	printf("load_via %s\n", sh.o.relay ? "relay" : "node");
	printf("load_series %d\n", sh.o.series);
	printf("load_clients %d\n", sh.o.clients);
	printf("load_subscribers %d connected\n", connected);
	printf("load_ingest_points %" PRId64 " points\n", ticks * sh.o.series);
	printf("load_ingest_errors %" PRId64 "\n",
	    (int64_t) atomic_load(&sh.ingest_errors));
	printf(
	    "load_rpc_calls_per_s %.0f calls/s\n", (double) k / sh.o.seconds);
	printf("load_rpc_errors %" PRIu64 "\n", errors);
	if (k > 0) {
		printf("load_rpc_p50 %.2f ms\n", all[k / 2]);
		printf("load_rpc_p99 %.2f ms\n", all[k * 99 / 100]);
		printf("load_rpc_max %.2f ms\n", all[k - 1]);
	}
	printf("load_stream_points_expected %" PRIu64 " points\n", want);
	printf("load_stream_points_received %" PRIu64 " points\n", got);
	printf("load_stream_backfills %" PRIu64 " (%" PRIu64 " points)\n",
	    subs.backfills, subs.backfilled);
	printf("load_node_rss_after_warmup %.1f MB\n", rss0);
	printf("load_node_rss_at_end %.1f MB\n", rss1);
	if (sh.o.relay) {
		printf("load_relay_rss_after_warmup %.1f MB\n", relay_rss0);
		printf("load_relay_rss_at_end %.1f MB\n", relay_rss1);
		(void) fed_test_proc_stop(relay_pid, SIGTERM, 10000);
	}
	free(all);
	free(cls);
	fed_test_proc_stop(pid, SIGTERM, 20000);
	fed_test_rmtree(dir);
	free(dir);
	return 0;
}
