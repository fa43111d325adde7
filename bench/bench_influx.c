// SPDX-License-Identifier: MIT
//
// bench_influx: fed-node's InfluxDB 1.x endpoint (--http-listen) beside
// the native RPC, in the same run, on one fed-node process
// (synchronous=FULL): line protocol written to /write against the same
// points sent by Ingest (5,000 points a call, one connection each), and a
// Grafana-shaped query (mean by hour over a week of minute points, 168
// buckets, epoch=ms) through /query against the same Query. Both sides
// carry the admin token through the same policy. Prints
// `influx_write <points/s>`, `native_ingest <points/s>`, the query's
// median and p99 each way, and the ratios.

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed/rpc.h"
#include "fed_test.h"

#define ADMIN     "bench-influx-admin"
#define N_POINTS  200000
#define PER_CALL  5000
#define N_QUERIES 300
#define T0_MS     INT64_C(1767225600000) // 2026-01-01T00:00Z
#define MIN_MS    INT64_C(60000)
#define WEEK_MS   (7 * 24 * 60 * MIN_MS)

static void
die(const char *what)
{
	fprintf(stderr, "bench_influx: %s\n", what);
	exit(1);
}

static void
create(fed_rpc_client *c, const char *id)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_POWER;
	m.unit = ENFED__V1__UNIT__UNIT_W;
	m.interval_s = 60;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	if (fed_test_store_call(c, "CreateSeries", &req, &info) != FED_OK)
		die("CreateSeries");
	enfed__v1__series_info__free_unpacked(info, NULL);
}

static double
value_at(size_t i)
{
	return 500 + (double) (i % 977) * 1.25;
}

static double
native_ingest(fed_rpc_client *c, const char *id)
{
	static int64_t ts[PER_CALL];
	static double v[PER_CALL];
	int64_t t0 = fed_clock_mono_ns();
	for (size_t at = 0; at < N_POINTS; at += PER_CALL) {
		for (size_t i = 0; i < PER_CALL; i++) {
			ts[i] = T0_MS + (int64_t) (at + i) * MIN_MS;
			v[i] = value_at(at + i);
		}
		Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
		Enfed__V1__SeriesPoints *list[1] = {&sp};
		sp.series_id = (char *) id;
		sp.ts_ms = ts;
		sp.value = v;
		sp.n_ts_ms = sp.n_value = PER_CALL;
		Enfed__V1__IngestRequest in = ENFED__V1__INGEST_REQUEST__INIT;
		in.series = list;
		in.n_series = 1;
		Enfed__V1__IngestResponse *out = NULL;
		if (fed_test_store_call(c, "Ingest", &in, &out) != FED_OK)
			die("Ingest");
		enfed__v1__ingest_response__free_unpacked(out, NULL);
	}
	return N_POINTS / ((double) (fed_clock_mono_ns() - t0) / 1e9);
}

// One HTTP/1.1 connection (keep-alive), as Telegraf or Grafana keep one.
typedef struct http {
	nng_http_client *client;
	nng_http_conn *conn;
	nng_aio *aio;
	nng_url *url;
} http;

static void
http_open(http *h, const char *base)
{
	if (nng_url_parse(&h->url, base) != 0
	    || nng_http_client_alloc(&h->client, h->url) != 0
	    || nng_aio_alloc(&h->aio, NULL, NULL) != 0)
		die("http client");
	nng_aio_set_timeout(h->aio, 30000);
	nng_http_client_connect(h->client, h->aio);
	nng_aio_wait(h->aio);
	if (nng_aio_result(h->aio) != 0)
		die("http connect");
	h->conn = nng_aio_get_output(h->aio, 0);
}

static void
http_close(http *h)
{
	nng_http_conn_close(h->conn);
	nng_aio_free(h->aio);
	nng_http_client_free(h->client);
	nng_url_free(h->url);
}

// One request; the status, the body's length in *len.
static uint16_t
http_do(http *h, const char *method, const char *uri, const char *body,
    size_t body_len, size_t *len)
{
	nng_http_req *req = NULL;
	nng_http_res *res = NULL;
	if (nng_http_req_alloc(&req, h->url) != 0
	    || nng_http_res_alloc(&res) != 0)
		die("http alloc");
	nng_http_req_set_method(req, method);
	nng_http_req_set_uri(req, uri);
	nng_http_req_set_header(req, "Authorization", "Token " ADMIN);
	if (body_len > 0)
		nng_http_req_set_data(req, body, body_len);
	nng_http_conn_transact(h->conn, req, res, h->aio);
	nng_aio_wait(h->aio);
	if (nng_aio_result(h->aio) != 0)
		die("http transact");
	void *data = NULL;
	nng_http_res_get_data(res, &data, len);
	uint16_t st = nng_http_res_get_status(res);
	nng_http_req_free(req);
	nng_http_res_free(res);
	return st;
}

// The bodies are formatted before the clock starts: what is measured is
// the endpoint, not the client's printf.
static double
influx_write(const char *base, const char *measurement)
{
	enum {
		N_CALLS = N_POINTS / PER_CALL
	};
	static char *body[N_CALLS];
	static size_t len[N_CALLS];
	for (size_t k = 0; k < N_CALLS; k++) {
		size_t cap = PER_CALL * 96, n = 0, at = k * PER_CALL;
		if ((body[k] = malloc(cap)) == NULL)
			die("out of memory");
		for (size_t i = 0; i < PER_CALL; i++)
			n += (size_t) snprintf(body[k] + n, cap - n,
			    "%s,domain=sensor,entity_id=power value=%.2f "
			    "%lld\n",
			    measurement, value_at(at + i),
			    (long long) (T0_MS / 1000
			        + (int64_t) (at + i) * 60));
		len[k] = n;
	}
	http h;
	http_open(&h, base);
	int64_t t0 = fed_clock_mono_ns();
	for (size_t k = 0; k < N_CALLS; k++) {
		size_t n = 0;
		if (http_do(&h, "POST", "/write?db=b&precision=s", body[k],
		        len[k], &n)
		    != 204)
			die("/write did not answer 204");
	}
	double r = N_POINTS / ((double) (fed_clock_mono_ns() - t0) / 1e9);
	http_close(&h);
	for (size_t k = 0; k < N_CALLS; k++)
		free(body[k]);
	return r;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
	return (x > y) - (x < y);
}

static void
report(const char *name, int64_t *lat_ns)
{
	qsort(lat_ns, N_QUERIES, sizeof(*lat_ns), cmp_i64);
	printf(
	    "%s_median %.3f ms\n", name, (double) lat_ns[N_QUERIES / 2] / 1e6);
	printf("%s_p99 %.3f ms\n", name,
	    (double) lat_ns[N_QUERIES * 99 / 100] / 1e6);
}

static int64_t
median(int64_t *lat_ns)
{
	return lat_ns[N_QUERIES / 2];
}

static void
queries(fed_rpc_client *c, const char *base, const char *id)
{
	static int64_t rpc_ns[N_QUERIES], http_ns[N_QUERIES];
	char uri[512];
	snprintf(uri, sizeof(uri),
	    "/query?db=b&epoch=ms&q=SELECT+mean(%%22value%%22)+FROM+%%22"
	    "bench%%2Fnative%%2Fpower%%22+WHERE+time+%%3E%%3D+%lldms+and+time+"
	    "%%3C%%3D+%lldms+GROUP+BY+time(1h)+fill(null)",
	    (long long) (T0_MS + WEEK_MS),
	    (long long) (T0_MS + 2 * WEEK_MS - 1));
	http h;
	http_open(&h, base);
	for (int i = 0; i < N_QUERIES; i++) {
		int64_t t0 = fed_clock_mono_ns();
		Enfed__V1__QueryResponse *res = NULL;
		if (fed_test_query(c, id, T0_MS + WEEK_MS, T0_MS + 2 * WEEK_MS,
		        ENFED__V1__STEP__STEP_HOUR, NULL, &res, NULL, 0)
		        != FED_OK
		    || res->results[0]->n_ts_ms != 168)
			die("Query");
		enfed__v1__query_response__free_unpacked(res, NULL);
		rpc_ns[i] = fed_clock_mono_ns() - t0;
		t0 = fed_clock_mono_ns();
		size_t len = 0;
		if (http_do(&h, "GET", uri, NULL, 0, &len) != 200
		    || len < 168 * 10)
			die("/query");
		http_ns[i] = fed_clock_mono_ns() - t0;
	}
	http_close(&h);
	report("native_query_week_by_hour", rpc_ns);
	report("influx_query_week_by_hour", http_ns);
	printf("influx_query_over_native %.2f x\n",
	    (double) median(http_ns) / (double) median(rpc_ns));
}

int
main(void)
{
	char *dir = fed_test_tmpdir("bench-influx");
	char rpc[64], stream[64], base[64], opt[128];
	snprintf(rpc, sizeof(rpc), "tcp://127.0.0.1:%d", fed_test_free_port());
	snprintf(stream, sizeof(stream), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	snprintf(
	    base, sizeof(base), "http://127.0.0.1:%d", fed_test_free_port());
	snprintf(opt, sizeof(opt), "--http-listen=%s", base);
	const char *extra[] = {opt, NULL};
	int pid = fed_test_node_start_ex(
	    FED_NODE_BIN, "bench", dir, rpc, stream, ADMIN, NULL, extra);
	if (pid <= 0)
		die("fed-node did not start");
	fed_rpc_client *c = fed_test_client(rpc, ADMIN);
	create(c, "bench/native/power");
	create(c, "bench/sensor/power");
	double native = native_ingest(c, "bench/native/power");
	double influx = influx_write(base, "bench");
	printf("native_ingest %.0f points/s\n", native);
	printf("influx_write %.0f points/s\n", influx);
	printf("influx_write_over_native %.2f x\n", influx / native);
	queries(c, base, "bench/native/power");
	fed_rpc_client_free(c);
	fed_test_proc_stop(pid, SIGTERM, 10000);
	fed_test_rmtree(dir);
	free(dir);
	return 0;
}
