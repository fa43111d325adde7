// SPDX-License-Identifier: MIT
//
// test_node.c: the fed-node program end to end, as its clients see it: a
// real fed-node process on loopback, called through the RPC runtime and
// watched through its stream. Tokens and roles, series lifecycle, ingest
// (idempotent, durable across a restart), queries, bad input, and the live
// stream publishing each newly stored point once.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/rpc.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed/stream.h"
#include "fed/token.h"
#include "fed_test.h"

#define ADMIN  "admin-secret-for-tests"
#define WRITER "writer-secret-for-tests"
#define READER "reader-secret-for-tests"
#define BOARD  "edge-board-secret-for-tests"
#define KREAD  "kermelo-reader-secret-for-tests"
#define T0     INT64_C(1767222000000) // 2026-01-01T00:00:00+01:00

struct node {
	char *dir;
	char rpc[128], stream[128], log[512];
	int pid;
};

static void
node_start(struct node *n)
{
	char tokens[512];
	snprintf(tokens, sizeof(tokens), "%s/tokens", n->dir);
	n->pid = fed_test_node_start(
	    FED_NODE_BIN, "lognact", n->dir, n->rpc, n->stream, ADMIN, tokens);
	assert_true(n->pid > 0);
}

static int
setup(void **state)
{
	struct node *n = calloc(1, sizeof(*n));
	n->dir = fed_test_tmpdir("node");
	snprintf(n->log, sizeof(n->log), "%s/lognact.log", n->dir);
	snprintf(n->rpc, sizeof(n->rpc), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	fed_test_ipc_url(n->stream, sizeof(n->stream), "nodestream");
	char path[512], hw[65], hr[65];
	snprintf(path, sizeof(path), "%s/tokens", n->dir);
	fed_token_hash(WRITER, hw);
	fed_token_hash(READER, hr);
	FILE *f = fopen(path, "w");
	char hb[65], hk[65];
	fed_token_hash(BOARD, hb);
	fed_token_hash(KREAD, hk);
	fprintf(f,
	    "# test tokens\nedge writer %s\nteacher reader %s\n"
	    "board writer %s kermelo/\nkread reader %s kermelo/\n",
	    hw, hr, hb, hk);
	fclose(f);
	node_start(n);
	*state = n;
	return 0;
}

static int
teardown(void **state)
{
	struct node *n = *state;
	int rc = fed_test_proc_stop(n->pid, SIGTERM, 10000);
	if (rc != 0) {
		char *argv[] = {"cat", n->log, NULL};
		fed_test_spawn(argv, 1);
	}
	assert_int_equal(rc, 0);
	fed_test_rmtree(n->dir);
	free(n->dir);
	free(n);
	return 0;
}

static fed_rpc_client *
client(const struct node *n, const char *token)
{
	fed_rpc_client *c = fed_test_client(n->rpc, token);
	assert_non_null(c);
	return c;
}

static fed_status
call(fed_rpc_client *c, const char *method, const void *req, void *rep,
    char *err)
{
	return fed_rpc_call(c, &enfed__v1__series_store__descriptor, method,
	    req, (ProtobufCMessage **) rep, err, 256);
}

static void
create(fed_rpc_client *c, const char *id, Enfed__V1__SeriesKind kind,
    fed_status want)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = kind;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	m.source = "Enphase M250";
	m.owner = "Bretagne Energie Citoyenne";
	Enfed__V1__Fact f = ENFED__V1__FACT__INIT, *box[1] = {&f};
	f.key = "peak power";
	f.value = "15 kWc";
	m.box = box;
	m.n_box = 1;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	char err[256];
	assert_int_equal(call(c, "CreateSeries", &req, &info, err), want);
	if (info != NULL) {
		assert_string_equal(info->meta->id, id);
		assert_int_equal(info->meta->n_box, 1);
		enfed__v1__series_info__free_unpacked(info, NULL);
	}
}

// n points every 5 minutes from T0, value 100 + i.
static fed_status
ingest(fed_rpc_client *c, const char *id, size_t n, double bad,
    Enfed__V1__IngestResponse **rep, char *err)
{
	int64_t *ts = calloc(n, sizeof(*ts));
	double *v = calloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		ts[i] = T0 + (int64_t) i * 300000;
		v[i] = 100 + (double) i;
	}
	if (bad != 0)
		v[n / 2] = bad;
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT,
	                        *sps[1] = {&sp};
	sp.series_id = (char *) id;
	sp.ts_ms = ts;
	sp.value = v;
	sp.n_ts_ms = sp.n_value = n;
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = sps;
	req.n_series = 1;
	fed_status st = call(c, "Ingest", &req, rep, err);
	free(ts);
	free(v);
	return st;
}

static Enfed__V1__QueryResponse *
query_days(fed_rpc_client *c, const char *id, int days)
{
	Enfed__V1__QueryResponse *res = NULL;
	assert_int_equal(
	    fed_test_query(c, id, T0, T0 + (int64_t) days * 86400000,
	        ENFED__V1__STEP__STEP_DAY, "Europe/Paris", &res, NULL, 0),
	    FED_OK);
	return res;
}

static void
test_roles(void **state)
{
	struct node *n = *state;
	fed_rpc_client *none = client(n, NULL), *rd = client(n, READER),
	               *wr = client(n, WRITER), *bad = client(n, "guess");
	Enfed__V1__ListSeriesRequest lr = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	Enfed__V1__ListSeriesResponse *ls = NULL;
	char err[256];
	assert_int_equal(
	    call(none, "ListSeries", &lr, &ls, err), FED_UNAUTHENTICATED);
	assert_int_equal(
	    call(bad, "ListSeries", &lr, &ls, err), FED_UNAUTHENTICATED);
	assert_int_equal(call(rd, "ListSeries", &lr, &ls, err), FED_OK);
	enfed__v1__list_series_response__free_unpacked(ls, NULL);
	create(rd, "kermelo/pv/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION,
	    FED_PERMISSION_DENIED);
	create(wr, "kermelo/pv/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION, FED_OK);
	Enfed__V1__DeleteSeriesRequest dr
	    = ENFED__V1__DELETE_SERIES_REQUEST__INIT;
	dr.id = "kermelo/pv/energy";
	Enfed__V1__Empty *e = NULL;
	assert_int_equal(
	    call(wr, "DeleteSeries", &dr, &e, err), FED_PERMISSION_DENIED);
	fed_rpc_client_free(none);
	fed_rpc_client_free(rd);
	fed_rpc_client_free(wr);
	fed_rpc_client_free(bad);
}

struct seen {
	size_t points;
	size_t frames;
	double sum;
};

static void
on_stream(const fed_stream_event *ev, void *arg)
{
	struct seen *s = arg;
	if (ev->kind != FED_STREAM_POINTS)
		return;
	s->frames++;
	s->points += ev->n;
	for (size_t i = 0; i < ev->n; i++)
		s->sum += ev->value[i];
}

static void
test_ingest_query_stream(void **state)
{
	struct node *n = *state;
	fed_rpc_client *adm = client(n, ADMIN);
	create(adm, "kermelo/pv/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION, FED_OK);
	// Creating it again with the same definition is not an error.
	create(adm, "kermelo/pv/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION, FED_OK);
	create(adm, "kermelo/pv/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_POWER, FED_ALREADY_EXISTS);

	fed_stream_sub_opts so = {.url = n->stream};
	fed_stream_sub *sub = NULL;
	assert_int_equal(fed_stream_sub_new(&so, &sub), FED_OK);
	assert_int_equal(fed_stream_sub_subscribe(sub, "kermelo/"), FED_OK);
	// The subscription is up once a probe ingest arrives.
	create(adm, "kermelo/probe", ENFED__V1__SERIES_KIND__SERIES_KIND_POWER,
	    FED_OK);
	struct seen probe = {0};
	char err[256];
	Enfed__V1__IngestResponse *ir = NULL;
	for (int i = 0; i < 100 && probe.frames == 0; i++) {
		assert_int_equal(
		    ingest(adm, "kermelo/probe", (size_t) i + 1, 0, &ir, err),
		    FED_OK);
		enfed__v1__ingest_response__free_unpacked(ir, NULL);
		fed_stream_sub_recv(sub, 50, on_stream, &probe);
	}
	assert_true(probe.frames > 0);
	while (fed_stream_sub_recv(sub, 100, on_stream, &probe) == FED_OK)
		;

	// Two days of 5-minute points.
	assert_int_equal(
	    ingest(adm, "kermelo/pv/energy", 576, 0, &ir, err), FED_OK);
	assert_int_equal(ir->n_stored, 576);
	assert_int_equal(ir->n_duplicate, 0);
	enfed__v1__ingest_response__free_unpacked(ir, NULL);
	struct seen s = {0};
	for (int i = 0; i < 100 && s.points < 576; i++)
		fed_stream_sub_recv(sub, 50, on_stream, &s);
	assert_int_equal(s.points, 576);
	// Resent: stored once, and nothing new on the stream.
	assert_int_equal(
	    ingest(adm, "kermelo/pv/energy", 576, 0, &ir, err), FED_OK);
	assert_int_equal(ir->n_stored, 0);
	assert_int_equal(ir->n_duplicate, 576);
	enfed__v1__ingest_response__free_unpacked(ir, NULL);
	// One more point: the stream carries it alone.
	assert_int_equal(
	    ingest(adm, "kermelo/pv/energy", 577, 0, &ir, err), FED_OK);
	assert_int_equal(ir->n_stored, 1);
	enfed__v1__ingest_response__free_unpacked(ir, NULL);
	struct seen s2 = {0};
	for (int i = 0; i < 40 && s2.points < 1; i++)
		fed_stream_sub_recv(sub, 50, on_stream, &s2);
	while (fed_stream_sub_recv(sub, 200, on_stream, &s2) == FED_OK)
		;
	assert_int_equal(s2.points, 1);
	assert_true(s2.sum == 100 + 576);
	fed_stream_sub_free(sub);

	// Daily sums in Paris time: day 1 holds points 0..287.
	Enfed__V1__QueryResponse *res
	    = query_days(adm, "kermelo/pv/energy", 3);
	assert_int_equal(res->n_results, 1);
	Enfed__V1__SeriesResult *r = res->results[0];
	assert_int_equal(r->n_ts_ms, 3);
	assert_int_equal(r->ts_ms[0], T0);
	assert_true(r->value[0] == 288 * 100 + 287.0 * 288 / 2);
	assert_true(fabs(r->coverage[0] - 1.0) < 1e-9);
	assert_int_equal(r->n_points[2], 1);
	assert_true(r->coverage[2] < 0.01);
	enfed__v1__query_response__free_unpacked(res, NULL);

	// Latest, list by prefix, get, update the box, delete.
	char *ids[1] = {"kermelo/pv/energy"};
	Enfed__V1__LatestRequest lq = ENFED__V1__LATEST_REQUEST__INIT;
	lq.series_ids = ids;
	lq.n_series_ids = 1;
	Enfed__V1__LatestResponse *lt = NULL;
	assert_int_equal(call(adm, "Latest", &lq, &lt, err), FED_OK);
	assert_int_equal(lt->series[0]->n_points, 577);
	assert_int_equal(lt->series[0]->last_ms, T0 + 576 * 300000);
	enfed__v1__latest_response__free_unpacked(lt, NULL);
	Enfed__V1__ListSeriesRequest lr = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	lr.prefix = "kermelo/pv/";
	Enfed__V1__ListSeriesResponse *ls = NULL;
	assert_int_equal(call(adm, "ListSeries", &lr, &ls, err), FED_OK);
	assert_int_equal(ls->n_series, 1);
	enfed__v1__list_series_response__free_unpacked(ls, NULL);
	Enfed__V1__Fact f = ENFED__V1__FACT__INIT, *box[1] = {&f};
	f.key = "surface";
	f.value = "90 m²";
	Enfed__V1__UpdateSeriesRequest ur
	    = ENFED__V1__UPDATE_SERIES_REQUEST__INIT;
	ur.id = "kermelo/pv/energy";
	ur.box = box;
	ur.n_box = 1;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(call(adm, "UpdateSeries", &ur, &info, err), FED_OK);
	assert_string_equal(info->meta->box[0]->value, "90 m²");
	enfed__v1__series_info__free_unpacked(info, NULL);
	Enfed__V1__DeleteSeriesRequest dr
	    = ENFED__V1__DELETE_SERIES_REQUEST__INIT;
	dr.id = "kermelo/probe";
	Enfed__V1__Empty *e = NULL;
	assert_int_equal(call(adm, "DeleteSeries", &dr, &e, err), FED_OK);
	enfed__v1__empty__free_unpacked(e, NULL);
	Enfed__V1__GetSeriesRequest gr = ENFED__V1__GET_SERIES_REQUEST__INIT;
	gr.id = "kermelo/probe";
	assert_int_equal(
	    call(adm, "GetSeries", &gr, &info, err), FED_NOT_FOUND);
	fed_rpc_client_free(adm);
}

// With --public-stream, the points of public series (a citizen plant) go
// to that stream too, and nothing of the private ones (a school's meter):
// it may face the federation, while --stream stays for the node's own
// programs and carries everything.
static void
test_public_stream(void **state)
{
	struct node *n = *state;
	char pub_url[128], dir[600];
	fed_test_ipc_url(pub_url, sizeof(pub_url), "publicstream");
	char opt[200];
	snprintf(opt, sizeof(opt), "--public-stream=%s", pub_url);
	const char *extra[] = {opt, NULL};
	snprintf(dir, sizeof(dir), "%s/pub", n->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	char rpc[64], full_url[128];
	snprintf(rpc, sizeof(rpc), "tcp://127.0.0.1:%d", fed_test_free_port());
	fed_test_ipc_url(full_url, sizeof(full_url), "fullstream");
	int pid = fed_test_node_start_ex(
	    FED_NODE_BIN, "pub", dir, rpc, full_url, ADMIN, NULL, extra);
	assert_true(pid > 0);
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = rpc;
	o.token = ADMIN;
	fed_rpc_client *adm = NULL;
	assert_int_equal(fed_rpc_client_new(&o, &adm), FED_OK);
	const char *ids[2] = {"kermelo/pv/energy", "kermelo/school/energy"};
	for (int i = 0; i < 2; i++) {
		Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
		m.id = (char *) ids[i];
		m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION;
		m.unit = ENFED__V1__UNIT__UNIT_WH;
		m.interval_s = 300;
		m.visibility = i == 0
		    ? ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC
		    : ENFED__V1__VISIBILITY__VISIBILITY_PRIVATE;
		Enfed__V1__CreateSeriesRequest req
		    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
		req.meta = &m;
		Enfed__V1__SeriesInfo *info = NULL;
		char err[256];
		assert_int_equal(
		    call(adm, "CreateSeries", &req, &info, err), FED_OK);
		enfed__v1__series_info__free_unpacked(info, NULL);
	}
	fed_stream_sub_opts po = {.url = pub_url}, fo = {.url = full_url};
	fed_stream_sub *pub = NULL, *full = NULL;
	assert_int_equal(fed_stream_sub_new(&po, &pub), FED_OK);
	assert_int_equal(fed_stream_sub_new(&fo, &full), FED_OK);
	assert_int_equal(fed_stream_sub_subscribe(pub, ""), FED_OK);
	assert_int_equal(fed_stream_sub_subscribe(full, ""), FED_OK);
	// Both connected once a point of the public series came through
	// both; then one ingest of each series.
	// (Each subscriber may connect a point later than the other: only
	// what comes after both are through is compared.)
	struct seen sp = {0}, sf = {0};
	char err[256];
	Enfed__V1__IngestResponse *ir = NULL;
	size_t pv_points = 0; // the plant's points stored so far
	for (int i = 0; i < 100 && (sp.frames == 0 || sf.frames == 0); i++) {
		pv_points = (size_t) i + 1;
		assert_int_equal(
		    ingest(adm, ids[0], pv_points, 0, &ir, err), FED_OK);
		enfed__v1__ingest_response__free_unpacked(ir, NULL);
		fed_stream_sub_recv(pub, 50, on_stream, &sp);
		fed_stream_sub_recv(full, 50, on_stream, &sf);
	}
	assert_true(sp.frames > 0 && sf.frames > 0);
	while (fed_stream_sub_recv(pub, 100, on_stream, &sp) == FED_OK)
		;
	while (fed_stream_sub_recv(full, 100, on_stream, &sf) == FED_OK)
		;
	assert_int_equal(
	    ingest(adm, ids[1], 10, 0, &ir, err), FED_OK); // the school
	enfed__v1__ingest_response__free_unpacked(ir, NULL);
	assert_int_equal(ingest(adm, ids[0], pv_points + 3, 0, &ir, err),
	    FED_OK); // 3 more of the plant
	assert_int_equal(ir->n_stored, 3);
	enfed__v1__ingest_response__free_unpacked(ir, NULL);
	struct seen p2 = {0}, f2 = {0};
	for (int i = 0; i < 100 && (p2.points < 3 || f2.points < 13); i++) {
		fed_stream_sub_recv(pub, 50, on_stream, &p2);
		fed_stream_sub_recv(full, 50, on_stream, &f2);
	}
	while (fed_stream_sub_recv(pub, 300, on_stream, &p2) == FED_OK)
		;
	assert_int_equal(f2.points, 13);
	assert_int_equal(p2.points, 3); // never the school's 10
	fed_stream_sub_free(pub);
	fed_stream_sub_free(full);
	fed_rpc_client_free(adm);
	assert_int_equal(fed_test_proc_stop(pid, SIGTERM, 10000), 0);
}

static void
test_bad_input(void **state)
{
	struct node *n = *state;
	fed_rpc_client *adm = client(n, ADMIN);
	create(adm, "bmhs/house/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION, FED_OK);
	create(adm, "bad id!", ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION,
	    FED_INVALID_ARGUMENT);
	Enfed__V1__IngestResponse *ir = NULL;
	char err[256];
	assert_int_equal(
	    ingest(adm, "bmhs/nope", 10, 0, &ir, err), FED_NOT_FOUND);
	assert_int_equal(ingest(adm, "bmhs/house/energy", 10, NAN, &ir, err),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "value"));
	assert_int_equal(
	    ingest(adm, "bmhs/house/energy", 10, INFINITY, &ir, err),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(
	    ingest(adm, "", 10, 0, &ir, err), FED_INVALID_ARGUMENT);
	// Nothing of the rejected batches was stored.
	Enfed__V1__QueryResponse *res
	    = query_days(adm, "bmhs/house/energy", 1);
	assert_int_equal(res->results[0]->n_points[0], 0);
	assert_true(res->results[0]->coverage[0] == 0);
	enfed__v1__query_response__free_unpacked(res, NULL);
	// A range the wrong way round, and no series at all.
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = T0;
	r.to_ms = T0 - 1;
	char *ids[1] = {"bmhs/house/energy"};
	Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
	q.series_ids = ids;
	q.n_series_ids = 1;
	q.range = &r;
	assert_int_equal(
	    call(adm, "Query", &q, &res, err), FED_INVALID_ARGUMENT);
	q.n_series_ids = 0;
	assert_int_equal(
	    call(adm, "Query", &q, &res, err), FED_INVALID_ARGUMENT);
	fed_rpc_client_free(adm);
}

// Acknowledged means durable: what was acknowledged survives a stop and a
// restart, and so does a kill -9.
static void
test_restart(void **state)
{
	struct node *n = *state;
	fed_rpc_client *adm = client(n, ADMIN);
	create(adm, "bmhs/house/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION, FED_OK);
	Enfed__V1__IngestResponse *ir = NULL;
	char err[256];
	assert_int_equal(
	    ingest(adm, "bmhs/house/energy", 288, 0, &ir, err), FED_OK);
	enfed__v1__ingest_response__free_unpacked(ir, NULL);
	assert_int_equal(fed_test_proc_stop(n->pid, SIGTERM, 10000), 0);
	node_start(n);
	assert_int_equal(
	    ingest(adm, "bmhs/house/energy", 300, 0, &ir, err), FED_OK);
	assert_int_equal(ir->n_stored, 12);
	enfed__v1__ingest_response__free_unpacked(ir, NULL);
	assert_int_equal(
	    fed_test_proc_stop(n->pid, SIGKILL, 10000), 128 + SIGKILL);
	node_start(n);
	Enfed__V1__QueryResponse *res
	    = query_days(adm, "bmhs/house/energy", 2);
	assert_int_equal(res->results[0]->n_points[0], 288);
	assert_int_equal(res->results[0]->n_points[1], 12);
	enfed__v1__query_response__free_unpacked(res, NULL);
	fed_rpc_client_free(adm);
}

static fed_status
grant_call(fed_rpc_client *c, const char *method, const void *req, void *rep)
{
	char err[256];
	return fed_rpc_call(c, &enfed__v1__grants__descriptor, method, req,
	    (ProtobufCMessage **) rep, err, sizeof(err));
}

// Creates a query grant of `series` to bmhs; returns its token (the
// caller frees it), its id into id (40 bytes).
static char *
grant(fed_rpc_client *adm, const char *series, Enfed__V1__Step finest,
    int64_t from, int64_t to, int64_t expires, char *id)
{
	fed_test_grant_spec g = {series, "bmhs", 0, finest, from, to, expires};
	fed_status st = FED_OK;
	char *token = fed_test_grant(adm, &g, id, &st);
	assert_int_equal(st, FED_OK);
	assert_int_equal(strlen(token), FED_TOKEN_LEN);
	return token;
}

static fed_status
query_as(fed_rpc_client *c, const char *id, int64_t from, int64_t to,
    Enfed__V1__Step step)
{
	Enfed__V1__QueryResponse *res = NULL;
	char err[256];
	fed_status st = fed_test_query(
	    c, id, from, to, step, NULL, &res, err, sizeof(err));
	if (st == FED_OK)
		enfed__v1__query_response__free_unpacked(res, NULL);
	else
		assert_null(strstr(err, "kermelo")); // nothing leaks
	return st;
}

// A grant of daily totals of one house, for two days: the grantee gets
// exactly that, nothing finer, nothing else, and nothing once revoked.
static void
test_grants(void **state)
{
	struct node *n = *state;
	fed_rpc_client *adm = client(n, ADMIN);
	create(adm, "maison/linky/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION, FED_OK);
	create(adm, "kermelo/pv/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION, FED_OK);
	Enfed__V1__IngestResponse *ir = NULL;
	char err[256], id[64];
	assert_int_equal(
	    ingest(adm, "maison/linky/energy", 576, 0, &ir, err), FED_OK);
	enfed__v1__ingest_response__free_unpacked(ir, NULL);
	const int64_t day = 86400000;
	char *tok = grant(adm, "maison/", ENFED__V1__STEP__STEP_DAY, T0,
	    T0 + 2 * day, 0, id);
	fed_rpc_client *g = client(n, tok);
	assert_int_equal(query_as(g, "maison/linky/energy", T0, T0 + 2 * day,
	                     ENFED__V1__STEP__STEP_DAY),
	    FED_OK);
	assert_int_equal(query_as(g, "maison/linky/energy", T0, T0 + 2 * day,
	                     ENFED__V1__STEP__STEP_HOUR),
	    FED_PERMISSION_DENIED);
	assert_int_equal(query_as(g, "maison/linky/energy", T0, T0 + 2 * day,
	                     ENFED__V1__STEP__STEP_RAW),
	    FED_PERMISSION_DENIED);
	// A range reaching outside the grant's is clipped to it: the day
	// before T0 is not answered.
	Enfed__V1__QueryResponse *qr = NULL;
	assert_int_equal(
	    fed_test_query(g, "maison/linky/energy", T0 - day, T0 + day,
	        ENFED__V1__STEP__STEP_DAY, NULL, &qr, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(qr->results[0]->n_ts_ms, 1);
	assert_int_equal(qr->results[0]->ts_ms[0], T0);
	enfed__v1__query_response__free_unpacked(qr, NULL);
	assert_int_equal(query_as(g, "kermelo/pv/energy", T0, T0 + day,
	                     ENFED__V1__STEP__STEP_DAY),
	    FED_PERMISSION_DENIED);
	// Writes and the grants service stay out of reach.
	assert_int_equal(ingest(g, "maison/linky/energy", 600, 0, &ir, err),
	    FED_PERMISSION_DENIED);
	Enfed__V1__ListGrantsRequest lg = ENFED__V1__LIST_GRANTS_REQUEST__INIT;
	Enfed__V1__ListGrantsResponse *lgr = NULL;
	assert_int_equal(
	    grant_call(g, "List", &lg, &lgr), FED_PERMISSION_DENIED);
	// Listing shows only what the grant covers; Latest needs raw data.
	Enfed__V1__ListSeriesRequest lr = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	Enfed__V1__ListSeriesResponse *ls = NULL;
	assert_int_equal(call(g, "ListSeries", &lr, &ls, err), FED_OK);
	assert_int_equal(ls->n_series, 1);
	assert_string_equal(ls->series[0]->meta->id, "maison/linky/energy");
	enfed__v1__list_series_response__free_unpacked(ls, NULL);
	char *ids[1] = {"maison/linky/energy"};
	Enfed__V1__LatestRequest lq = ENFED__V1__LATEST_REQUEST__INIT;
	lq.series_ids = ids;
	lq.n_series_ids = 1;
	Enfed__V1__LatestResponse *lt = NULL;
	assert_int_equal(
	    call(g, "Latest", &lq, &lt, err), FED_PERMISSION_DENIED);

	// Grants survive a restart; revocation takes effect at once.
	assert_int_equal(fed_test_proc_stop(n->pid, SIGTERM, 10000), 0);
	node_start(n);
	assert_int_equal(query_as(g, "maison/linky/energy", T0, T0 + 2 * day,
	                     ENFED__V1__STEP__STEP_DAY),
	    FED_OK);
	assert_int_equal(grant_call(adm, "List", &lg, &lgr), FED_OK);
	assert_int_equal(lgr->n_grants, 1);
	assert_false(lgr->grants[0]->revoked);
	enfed__v1__list_grants_response__free_unpacked(lgr, NULL);
	Enfed__V1__RevokeGrantRequest rv
	    = ENFED__V1__REVOKE_GRANT_REQUEST__INIT;
	rv.id = id;
	Enfed__V1__Grant *gr = NULL;
	assert_int_equal(grant_call(adm, "Revoke", &rv, &gr), FED_OK);
	assert_true(gr->revoked);
	enfed__v1__grant__free_unpacked(gr, NULL);
	assert_int_equal(query_as(g, "maison/linky/energy", T0, T0 + 2 * day,
	                     ENFED__V1__STEP__STEP_DAY),
	    FED_PERMISSION_DENIED);
	rv.id = "g-unknown";
	assert_int_equal(grant_call(adm, "Revoke", &rv, &gr), FED_NOT_FOUND);

	// An expiring grant stops working when it expires.
	char *tok2 = grant(adm, "maison/linky/energy",
	    ENFED__V1__STEP__STEP_RAW, 0, 0, fed_test_now_ms() + 1500, id);
	fed_rpc_client *g2 = client(n, tok2);
	assert_int_equal(call(g2, "Latest", &lq, &lt, err), FED_OK);
	enfed__v1__latest_response__free_unpacked(lt, NULL);
	fed_status st = FED_OK;
	for (int i = 0; i < 50 && st == FED_OK; i++) {
		st = query_as(g2, "maison/linky/energy", T0, T0 + day,
		    ENFED__V1__STEP__STEP_RAW);
		fed_test_sleep_ms(100);
	}
	assert_int_equal(st, FED_PERMISSION_DENIED);
	// Bad grants.
	Enfed__V1__Grant bad = ENFED__V1__GRANT__INIT;
	bad.series = "maison/";
	bad.grantee_node = "bmhs";
	Enfed__V1__CreateGrantRequest cr
	    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
	cr.grant = &bad;
	Enfed__V1__CreateGrantResponse *crr = NULL;
	assert_int_equal(
	    grant_call(adm, "Create", &cr, &crr), FED_INVALID_ARGUMENT);
	fed_rpc_client_free(g2);
	fed_rpc_client_free(g);
	fed_rpc_client_free(adm);
	free(tok);
	free(tok2);
}

// A writer's token limited to a prefix (an edge board's own meters):
// it creates and ingests below it, and sees nothing else.
static void
test_prefix_token(void **state)
{
	struct node *n = *state;
	fed_rpc_client *adm = client(n, ADMIN), *board = client(n, BOARD);
	create(adm, "bmhs/house/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION, FED_OK);
	create(board, "kermelo/pv/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION, FED_OK);
	create(board, "bmhs/other/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION,
	    FED_PERMISSION_DENIED);
	Enfed__V1__IngestResponse *ir = NULL;
	char err[256];
	assert_int_equal(
	    ingest(board, "kermelo/pv/energy", 10, 0, &ir, err), FED_OK);
	enfed__v1__ingest_response__free_unpacked(ir, NULL);
	assert_int_equal(ingest(board, "bmhs/house/energy", 10, 0, &ir, err),
	    FED_PERMISSION_DENIED);
	Enfed__V1__ListSeriesRequest lr = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	Enfed__V1__ListSeriesResponse *ls = NULL;
	assert_int_equal(call(board, "ListSeries", &lr, &ls, err), FED_OK);
	assert_int_equal(ls->n_series, 1);
	assert_string_equal(ls->series[0]->meta->id, "kermelo/pv/energy");
	enfed__v1__list_series_response__free_unpacked(ls, NULL);
	Enfed__V1__GetSeriesRequest g = ENFED__V1__GET_SERIES_REQUEST__INIT;
	g.id = "bmhs/house/energy";
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    call(board, "GetSeries", &g, &info, err), FED_PERMISSION_DENIED);
	fed_rpc_client_free(board);
	fed_rpc_client_free(adm);
}

// Issue 15, case 1: a reader's or writer's token limited to kermelo/
// reads nothing else through Query, alone or mixed with its own ids.
static void
test_prefix_query(void **state)
{
	struct node *n = *state;
	fed_rpc_client *adm = client(n, ADMIN);
	create(adm, "school/meter/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION, FED_OK);
	create(adm, "kermelo/pv/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION, FED_OK);
	Enfed__V1__IngestResponse *ir = NULL;
	char err[256];
	assert_int_equal(
	    ingest(adm, "school/meter/energy", 288, 0, &ir, err), FED_OK);
	enfed__v1__ingest_response__free_unpacked(ir, NULL);
	const char *limited[] = {BOARD, KREAD};
	for (size_t i = 0; i < 2; i++) {
		fed_rpc_client *c = client(n, limited[i]);
		assert_int_equal(query_as(c, "school/meter/energy", T0,
		                     T0 + 86400000, ENFED__V1__STEP__STEP_RAW),
		    FED_PERMISSION_DENIED);
		char *ids[2] = {"kermelo/pv/energy", "school/meter/energy"};
		Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
		r.from_ms = T0;
		r.to_ms = T0 + 86400000;
		Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
		q.series_ids = ids;
		q.n_series_ids = 2;
		q.range = &r;
		Enfed__V1__QueryResponse *res = NULL;
		assert_int_equal(
		    call(c, "Query", &q, &res, err), FED_PERMISSION_DENIED);
		assert_null(strstr(err, "school"));
		assert_int_equal(query_as(c, "kermelo/pv/energy", T0,
		                     T0 + 86400000, ENFED__V1__STEP__STEP_RAW),
		    FED_OK);
		fed_rpc_client_free(c);
	}
	fed_rpc_client_free(adm);
}

// Issue 15, cases 2 and 3: a daily-totals grant answers whole days only,
// however the range is cut (stepping a 5-minute range through a day
// yields nothing), and no metadata call reveals a point, a timestamp or a
// count finer than, or outside, what it could query.
static void
test_coarse_grant(void **state)
{
	struct node *n = *state;
	const int64_t day = 86400000, min5 = 300000;
	fed_rpc_client *adm = client(n, ADMIN);
	create(adm, "maison/linky/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION, FED_OK);
	Enfed__V1__IngestResponse *ir = NULL;
	char err[256], id[64];
	assert_int_equal(
	    ingest(adm, "maison/linky/energy", 576, 0, &ir, err), FED_OK);
	enfed__v1__ingest_response__free_unpacked(ir, NULL);
	char *tok
	    = grant(adm, "maison/", ENFED__V1__STEP__STEP_DAY, 0, 0, 0, id);
	fed_rpc_client *g = client(n, tok);
	for (int64_t t = T0; t < T0 + day; t += 7 * min5) {
		Enfed__V1__QueryResponse *res = NULL;
		assert_int_equal(fed_test_query(g, "maison/linky/energy", t,
		                     t + min5, ENFED__V1__STEP__STEP_DAY, NULL,
		                     &res, err, sizeof(err)),
		    FED_OK);
		assert_int_equal(res->results[0]->n_ts_ms, 0);
		assert_int_equal(
		    res->results[0]->unit, ENFED__V1__UNIT__UNIT_WH);
		enfed__v1__query_response__free_unpacked(res, NULL);
	}
	Enfed__V1__QueryResponse *res = NULL;
	assert_int_equal(
	    fed_test_query(g, "maison/linky/energy", T0, T0 + 2 * day,
	        ENFED__V1__STEP__STEP_DAY, NULL, &res, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(res->results[0]->n_ts_ms, 2);
	// Day 1: points 0..287 of value 100 + i.
	assert_true(res->results[0]->value[0] == 288 * 100 + 287 * 288 / 2);
	enfed__v1__query_response__free_unpacked(res, NULL);
	Enfed__V1__GetSeriesRequest gs = ENFED__V1__GET_SERIES_REQUEST__INIT;
	gs.id = "maison/linky/energy";
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(call(g, "GetSeries", &gs, &info, err), FED_OK);
	assert_int_equal(info->n_points, 0);
	assert_int_equal(info->first_ms, 0);
	assert_int_equal(info->last_ms, 0);
	assert_true(info->last_value == 0);
	enfed__v1__series_info__free_unpacked(info, NULL);
	free(tok);
	// A raw grant of the first day only: nothing of the second shows.
	tok = grant(
	    adm, "maison/", ENFED__V1__STEP__STEP_RAW, T0, T0 + day, 0, id);
	fed_rpc_client *r = client(n, tok);
	char *ids[1] = {"maison/linky/energy"};
	Enfed__V1__LatestRequest lq = ENFED__V1__LATEST_REQUEST__INIT;
	lq.series_ids = ids;
	lq.n_series_ids = 1;
	Enfed__V1__LatestResponse *lt = NULL;
	assert_int_equal(call(r, "Latest", &lq, &lt, err), FED_OK);
	assert_int_equal(lt->series[0]->last_ms, 0);
	assert_int_equal(lt->series[0]->n_points, 0);
	enfed__v1__latest_response__free_unpacked(lt, NULL);
	Enfed__V1__ListSeriesRequest lr = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	Enfed__V1__ListSeriesResponse *ls = NULL;
	assert_int_equal(call(r, "ListSeries", &lr, &ls, err), FED_OK);
	assert_int_equal(ls->n_series, 1);
	assert_int_equal(ls->series[0]->last_ms, 0);
	assert_int_equal(ls->series[0]->first_ms, 0);
	enfed__v1__list_series_response__free_unpacked(ls, NULL);
	assert_int_equal(query_as(r, "maison/linky/energy", T0, T0 + 2 * day,
	                     ENFED__V1__STEP__STEP_RAW),
	    FED_OK);
	assert_int_equal(
	    fed_test_query(r, "maison/linky/energy", T0, T0 + 2 * day,
	        ENFED__V1__STEP__STEP_RAW, NULL, &res, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(res->results[0]->n_ts_ms, 288);
	assert_true(res->results[0]->ts_ms[287] < T0 + day);
	enfed__v1__query_response__free_unpacked(res, NULL);
	// The household sees what each grantee read.
	Enfed__V1__GrantLogRequest lg = ENFED__V1__GRANT_LOG_REQUEST__INIT;
	lg.grant_id = id;
	Enfed__V1__GrantLogResponse *log = NULL;
	assert_int_equal(grant_call(adm, "Log", &lg, &log), FED_OK);
	assert_true(log->n_entries >= 4);
	assert_string_equal(log->entries[0]->method, "Query");
	assert_int_equal(log->entries[0]->range->to_ms, T0 + day);
	enfed__v1__grant_log_response__free_unpacked(log, NULL);
	free(tok);
	fed_rpc_client_free(g);
	fed_rpc_client_free(r);
	fed_rpc_client_free(adm);
}

// Issue 15, case 7: the admin token followed by a NUL byte and anything
// is no token, sent to the real node by a foreign client.
static void
test_token_bytes(void **state)
{
	struct node *n = *state;
	static const char forged[] = ADMIN "\0anything";
	Enfed__V1__ListSeriesRequest lr = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	uint8_t body[8];
	size_t len = enfed__v1__list_series_request__pack(&lr, body);
	Enfed__V1__Reply *rep
	    = fed_test_raw_call(n->rpc, "/enfed.v1.SeriesStore/ListSeries",
	        forged, sizeof(forged) - 1, 0, body, len);
	assert_non_null(rep);
	assert_int_equal(rep->status, FED_UNAUTHENTICATED);
	enfed__v1__reply__free_unpacked(rep, NULL);
	rep = fed_test_raw_call(n->rpc, "/enfed.v1.SeriesStore/ListSeries",
	    ADMIN, strlen(ADMIN), 0, body, len);
	assert_non_null(rep);
	assert_int_equal(rep->status, FED_OK);
	enfed__v1__reply__free_unpacked(rep, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_ingest_query_stream, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_public_stream, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_grants, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_prefix_token, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_prefix_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_coarse_grant, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token_bytes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
