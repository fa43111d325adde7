// SPDX-License-Identifier: MIT
//
// node_replicate.c: the replication thread. A grant of the raw points
// sends the outbox rows themselves; a grant limited to a coarser step
// (daily totals, ...) sends, for the buckets its rows fall in, the
// aggregates the owner's own Query answers for whole buckets, and the
// grantee replaces what it held for them: the raw points never leave.
// Only buckets that ended leave: a day still filling is held in the store
// (node_store_outbox_hold) and sent once whole, since its total sent as
// it grows would tell the grantee the 5-minute curve.

#include "node_replicate.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed/log.h"
#include "fed/rpc.h"
#include "store_codec.h"

#define MAX_PEERS      64
#define BATCH          5000
#define MAX_BACKOFF_MS 30000
#define MIN_ROWS       64

struct peer {
	char name[72];
	char url[512];
	char token[512];
	fed_rpc_client *rpc;
	int64_t retry_at_ms; // monotonic; 0: ready
	int64_t backoff_ms;
	int64_t last_log_ms;
	size_t max_rows; // outbox rows per call: halved after a timeout
};

// (grant, series) pairs declared on their grantee during this run.
struct declared {
	struct declared *next;
	char key[256];
};

struct node_replicator {
	node_replicator_opts o;
	char node_name[72];
	struct peer peers[MAX_PEERS]; // the thread's (rpc under rpc_mtx)
	size_t n_peers;
	// Clients to the addresses grants name other than their peer's
	// (route_of), without the peer's token; as peers (n under rpc_mtx).
	struct peer routes[MAX_PEERS];
	size_t n_routes;
	struct peer *pending; // a reloaded peers file, under mtx: the
	size_t n_pending; // thread adopts it between two rounds
	struct declared *declared;
	node_store_outbox_row *rows;
	pthread_t thread;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	int stop;
	int kicked;
	int64_t next_release_ms; // when the first held bucket ends
	// Guards the peers' rpc pointers where the thread opens or frees a
	// client, so that node_replicator_free may abort them meanwhile.
	pthread_mutex_t rpc_mtx;
};

// Reads "@FILE" values, keeps others; one trailing newline removed.
static int
token_value(const char *v, char *out, size_t len)
{
	if (v[0] != '@') {
		snprintf(out, len, "%s", v);
		return 0;
	}
	FILE *f = fopen(v + 1, "r");
	if (f == NULL || fgets(out, (int) len, f) == NULL) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

// Reads the peers file into peers (MAX_PEERS) and *n.
static fed_status
load_peers(const char *path, struct peer *peers, size_t *n_peers)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fed_log(FED_LOG_ERR, "replicate", "peers file %s: %s", path,
		    strerror(errno));
		return FED_INVALID_ARGUMENT;
	}
	char line[1200];
	fed_status st = FED_OK;
	for (int n = 1; st == FED_OK && fgets(line, sizeof(line), f); n++) {
		char *save = NULL, *name = strtok_r(line, " \t\r\n", &save);
		if (name == NULL || name[0] == '#')
			continue;
		char *url = strtok_r(NULL, " \t\r\n", &save);
		char *tok = strtok_r(NULL, " \t\r\n", &save);
		struct peer *p = &peers[*n_peers];
		if (url == NULL || tok == NULL || *n_peers == MAX_PEERS
		    || strlen(name) >= sizeof(p->name)
		    || strlen(url) >= sizeof(p->url)
		    || token_value(tok, p->token, sizeof(p->token)) != 0) {
			fed_log(FED_LOG_ERR, "replicate",
			    "%s:%d: expected 'name rpc-address token|@file'",
			    path, n);
			st = FED_INVALID_ARGUMENT;
			break;
		}
		snprintf(p->name, sizeof(p->name), "%s", name);
		snprintf(p->url, sizeof(p->url), "%s", url);
		p->max_rows = BATCH;
		(*n_peers)++;
	}
	fclose(f);
	return st;
}

static int stopping(node_replicator *r);

// Where grant g's rows go from peer p: p itself, whose client carries
// the peers file's token, for p's configured address; for another
// address (one the admin set on the grant), a client of its own keyed by
// (peer, address) that carries no token, since the token is p's secret
// for p's address alone. So neither a grant's address nor the order in
// which grants open clients after an outage can send p's token, or
// another grant's rows, anywhere else. NULL when the routes are full.
static struct peer *
route_of(node_replicator *r, struct peer *p, const char *addr)
{
	if (addr[0] == '\0' || strcmp(addr, p->url) == 0)
		return p;
	for (size_t i = 0; i < r->n_routes; i++)
		if (strcmp(r->routes[i].name, p->name) == 0
		    && strcmp(r->routes[i].url, addr) == 0)
			return &r->routes[i];
	if (r->n_routes == MAX_PEERS || strlen(addr) >= sizeof(p->url))
		return NULL;
	struct peer *q = &r->routes[r->n_routes];
	memset(q, 0, sizeof(*q));
	snprintf(q->name, sizeof(q->name), "%s", p->name);
	snprintf(q->url, sizeof(q->url), "%s", addr);
	q->max_rows = BATCH;
	pthread_mutex_lock(&r->rpc_mtx);
	r->n_routes++;
	pthread_mutex_unlock(&r->rpc_mtx);
	return q;
}

// Frees the routes' clients (a reloaded peers file, or the stop).
static void
forget_routes(node_replicator *r)
{
	pthread_mutex_lock(&r->rpc_mtx);
	size_t n = r->n_routes;
	r->n_routes = 0;
	pthread_mutex_unlock(&r->rpc_mtx);
	for (size_t i = 0; i < n; i++) {
		fed_rpc_client_free(r->routes[i].rpc);
		r->routes[i].rpc = NULL;
	}
}

// The peer (or route) a grant replicates to, its client opened on first
// use to its own address with its own token (none once the replicator
// stops).
static struct peer *
peer_of(node_replicator *r, const node_grant *g)
{
	for (size_t i = 0; i < r->n_peers; i++) {
		if (strcmp(r->peers[i].name, g->grantee) != 0)
			continue;
		struct peer *p = route_of(r, &r->peers[i], g->grantee_addr);
		if (p == NULL)
			return NULL;
		fed_status st = FED_OK;
		pthread_mutex_lock(&r->rpc_mtx);
		if (p->rpc == NULL && stopping(r)) {
			st = FED_UNAVAILABLE;
		} else if (p->rpc == NULL) {
			fed_rpc_client_opts o;
			fed_rpc_client_opts_default(&o);
			o.url = p->url;
			o.tls = r->o.tls;
			o.token = p->token[0] != '\0' ? p->token : NULL;
			o.timeout_ms = (uint32_t) r->o.timeout_ms;
			st = fed_rpc_client_new(&o, &p->rpc);
		}
		pthread_mutex_unlock(&r->rpc_mtx);
		return st == FED_OK ? p : NULL;
	}
	return NULL;
}

// Schedules the next try. A call that got no answer in time, or could not
// reach the grantee, also closes the peer's client, so the next try dials
// a new connection: nng keeps using a half-open connection (the grantee's
// side gone without a FIN or reset, or a link that swallows what it is
// sent) for as long as TCP keeps it up, and every call on it would time
// out in turn. A timeout also halves the rows sent per call (down to
// MIN_ROWS): over a link too slow to carry a whole batch within the
// timeout, the same batch would otherwise be sent again forever.
static void
peer_failed(node_replicator *r, struct peer *p, fed_status st, const char *err)
{
	if (st == FED_DEADLINE_EXCEEDED || st == FED_UNAVAILABLE
	    || st == FED_CANCELLED) {
		pthread_mutex_lock(&r->rpc_mtx);
		fed_rpc_client *c = p->rpc;
		p->rpc = NULL;
		pthread_mutex_unlock(&r->rpc_mtx);
		fed_rpc_client_free(c);
	}
	if (st == FED_DEADLINE_EXCEEDED && p->max_rows / 2 >= MIN_ROWS)
		p->max_rows /= 2;
	int64_t now = fed_clock_mono_ms();
	p->backoff_ms = p->backoff_ms == 0 ? 1000 : p->backoff_ms * 2;
	if (p->backoff_ms > MAX_BACKOFF_MS)
		p->backoff_ms = MAX_BACKOFF_MS;
	p->retry_at_ms = now + p->backoff_ms;
	fed_log_limited(&p->last_log_ms, 10000, FED_LOG_WARNING, "replicate",
	    "to %s: %s (%s); retrying in %lld ms", p->name,
	    fed_status_name(st), err, (long long) p->backoff_ms);
}

static int
declared(node_replicator *r, const char *key)
{
	for (struct declared *d = r->declared; d != NULL; d = d->next)
		if (strcmp(d->key, key) == 0)
			return 1;
	return 0;
}

static const char *
step_name(int step)
{
	static const char *names[] = {
	    "raw", "5 min", "15 min", "hour", "day", "week", "month", "year"};
	return step >= 0 && step <= ENFED__V1__STEP__STEP_YEAR ? names[step]
	                                                       : "?";
}

static int64_t
step_nominal_s(int step)
{
	static const int64_t secs[]
	    = {0, 300, 900, 3600, 86400, 604800, 2629800, 31557600};
	return step >= 0 && step <= ENFED__V1__STEP__STEP_YEAR ? secs[step]
	                                                       : 0;
}

// What the grantee's copy of a series replicated as aggregates is: one
// point per bucket (its start), the owner's default aggregate of it. A
// cumulative index becomes the energy of each bucket; SeriesKind says not
// whether an index counts consumption or production, so it is declared
// as consumption, and the box says what the values are.
static void
aggregate_meta(Enfed__V1__SeriesMeta *m, int step, const char *tz,
    Enfed__V1__Fact *res, char *text, size_t len)
{
	const char *what = "means";
	if (m->cumulative
	    || m->kind == ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION
	    || m->kind == ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION)
		what = "totals";
	else if (m->kind == ENFED__V1__SERIES_KIND__SERIES_KIND_INDEX)
		what = "last readings";
	snprintf(text, len, "%s %s (%s); the owner shares no finer data",
	    step_name(step), what, tz);
	if (m->cumulative)
		m->kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m->cumulative = 0;
	m->interval_s = (uint32_t) step_nominal_s(step);
	m->tz = (char *) tz;
	enfed__v1__fact__init(res);
	res->key = "resolution";
	res->value = text;
}

// Declares the series on the grantee once per run: its metadata and box,
// with this node as origin (as aggregates for a grant coarser than raw,
// in zone tz). A definition that differs there (a box changed since) is
// left as it is.
static fed_status
declare(node_replicator *r, struct peer *p, const node_grant *g,
    const char *series_id, const char *tz)
{
	char key[256];
	snprintf(key, sizeof(key), "%s\t%s", g->id, series_id);
	if (declared(r, key))
		return FED_OK;
	Enfed__V1__SeriesInfo *info = NULL;
	node_store_err e = {{0}};
	fed_status st = node_store_get(r->o.store, series_id, &info, &e);
	if (st != FED_OK)
		return st;
	Enfed__V1__SeriesMeta m = *info->meta;
	m.origin_node = r->node_name;
	Enfed__V1__Fact res;
	Enfed__V1__Fact **box = NULL;
	char text[160];
	if (g->finest_step != ENFED__V1__STEP__STEP_RAW) {
		box = calloc(m.n_box + 1, sizeof(*box));
		if (box == NULL) {
			node_store_info_free(info);
			return FED_RESOURCE_EXHAUSTED;
		}
		for (size_t i = 0; i < m.n_box; i++)
			box[i] = m.box[i];
		aggregate_meta(
		    &m, g->finest_step, tz, &res, text, sizeof(text));
		box[m.n_box++] = &res;
		m.box = box;
	}
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	ProtobufCMessage *rep = NULL;
	char err[256];
	st = fed_rpc_call(p->rpc, &enfed__v1__series_store__descriptor,
	    "CreateSeries", &req.base, &rep, err, sizeof(err));
	protobuf_c_message_free_unpacked(rep, NULL);
	node_store_info_free(info);
	free(box);
	if (st == FED_ALREADY_EXISTS)
		st = FED_OK;
	if (st != FED_OK) {
		peer_failed(r, p, st, err);
		return st;
	}
	struct declared *d = calloc(1, sizeof(*d));
	if (d != NULL) {
		snprintf(d->key, sizeof(d->key), "%s", key);
		d->next = r->declared;
		r->declared = d;
	}
	return FED_OK;
}

// Sends the rows of grant g among rows[0..n) (in outbox order), grouped
// by series, in one Ingest; *last gets the highest seq sent.
static fed_status
send_grant(node_replicator *r, struct peer *p, const node_grant *g,
    const node_store_outbox_row *rows, size_t n, int64_t *last)
{
	Enfed__V1__SeriesPoints *sp = calloc(n, sizeof(*sp));
	Enfed__V1__SeriesPoints **list = calloc(n, sizeof(*list));
	int64_t *ts = calloc(n, sizeof(*ts));
	double *v = calloc(n, sizeof(*v));
	fed_status st
	    = sp && list && ts && v ? FED_OK : FED_RESOURCE_EXHAUSTED;
	size_t n_series = 0, used = 0;
	// One SeriesPoints per series, its points copied contiguously.
	for (size_t i = 0; st == FED_OK && i < n; i++) {
		if (strcmp(rows[i].grant_id, g->id) != 0)
			continue;
		int seen = 0;
		for (size_t k = 0; k < n_series && !seen; k++)
			seen = strcmp(list[k]->series_id, rows[i].series_id)
			    == 0;
		if (seen)
			continue;
		st = declare(r, p, g, rows[i].series_id, "");
		if (st != FED_OK)
			break;
		Enfed__V1__SeriesPoints *s = &sp[n_series];
		enfed__v1__series_points__init(s);
		s->series_id = (char *) rows[i].series_id;
		s->ts_ms = ts + used;
		s->value = v + used;
		for (size_t j = i; j < n; j++) {
			if (strcmp(rows[j].grant_id, g->id) != 0
			    || strcmp(rows[j].series_id, rows[i].series_id)
			        != 0)
				continue;
			ts[used] = rows[j].ts_ms;
			v[used++] = rows[j].value;
			s->n_ts_ms++;
			if (rows[j].seq > *last)
				*last = rows[j].seq;
		}
		s->n_value = s->n_ts_ms;
		list[n_series++] = s;
	}
	if (st == FED_OK && n_series > 0) {
		Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
		req.series = list;
		req.n_series = n_series;
		ProtobufCMessage *rep = NULL;
		char err[256];
		st = fed_rpc_call(p->rpc, &enfed__v1__series_store__descriptor,
		    "Ingest", &req.base, &rep, err, sizeof(err));
		protobuf_c_message_free_unpacked(rep, NULL);
		if (st != FED_OK)
			peer_failed(r, p, st, err);
	}
	free(sp);
	free(list);
	free(ts);
	free(v);
	return st;
}

// ---- Aggregate-only grants
// --------------------------------------------------

// The owner's Query of `id` over [from, to) clipped to the grant's range,
// at the grant's step, in the node's zone; NULL in *res when the clipped
// range is empty.
static fed_status
query_buckets(node_replicator *r, const node_grant *g, const char *id,
    int64_t from, int64_t to, Enfed__V1__QueryResponse **res)
{
	*res = NULL;
	if (from < g->from_ms)
		from = g->from_ms;
	if (g->to_ms != 0 && to > g->to_ms)
		to = g->to_ms;
	if (from >= to)
		return FED_OK;
	char *ids[1] = {(char *) id};
	Enfed__V1__TimeRange range = ENFED__V1__TIME_RANGE__INIT;
	range.from_ms = from;
	range.to_ms = to;
	Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
	q.series_ids = ids;
	q.n_series_ids = 1;
	q.range = &range;
	q.step = (Enfed__V1__Step) g->finest_step;
	q.tz = "";
	node_store_err e = {{0}};
	fed_status st = node_store_query(r->o.store, &q, res, &e);
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, "replicate", "aggregates of %s: %s", id,
		    e.msg[0] ? e.msg : fed_status_str(st));
	return st;
}

// The buckets of grants coarser than raw that have not ended yet.
struct held_list {
	node_store_held *v;
	size_t n, cap;
};

static fed_status
hold(struct held_list *h, const char *id, int64_t start_ms, int64_t end_ms)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 8;
		node_store_held *nv = realloc(h->v, cap * sizeof(*nv));
		if (nv == NULL)
			return FED_RESOURCE_EXHAUSTED;
		h->v = nv;
		h->cap = cap;
	}
	h->v[h->n++] = (node_store_held) {id, start_ms, end_ms};
	return FED_OK;
}

// The buckets of the grant's step holding points of `id` in [lo, hi] --
// and for a cumulative index the bucket before, since an index difference
// across a bucket's start counts in both -- with their aggregate over the
// whole bucket (within the grant's range), into *out; buckets without data
// are left out, and those not ended at now_ms go to *held instead. *tz
// gets the zone (static storage of the response copied).
static fed_status
bucket_points(node_replicator *r, const node_grant *g, const char *id,
    int cumulative, int64_t lo, int64_t hi, node_points *out,
    struct held_list *held, char *tz, size_t tz_len)
{
	int64_t now = fed_clock_now_ms();
	int64_t min_ms, back = 0;
	if (cumulative)
		node_store_step_span(g->finest_step, &min_ms, &back);
	Enfed__V1__QueryResponse *q = NULL;
	FED_TRY(query_buckets(r, g, id, lo - back, hi + 1, &q));
	if (q == NULL || q->n_bucket_end_ms == 0
	    || q->results[0]->n_ts_ms == 0) {
		node_store_query_free(q);
		return FED_OK;
	}
	int64_t from = q->results[0]->ts_ms[0];
	int64_t to = q->bucket_end_ms[q->n_bucket_end_ms - 1];
	node_store_query_free(q);
	FED_TRY(query_buckets(r, g, id, from, to, &q));
	if (q == NULL)
		return FED_OK;
	snprintf(tz, tz_len, "%s", q->tz);
	const Enfed__V1__SeriesResult *sr = q->results[0];
	fed_status st = FED_OK;
	for (size_t i = 0; st == FED_OK && i < sr->n_ts_ms; i++) {
		if (sr->n_points[i] == 0 && sr->coverage[i] == 0)
			continue;
		if (q->bucket_end_ms[i] > now)
			st = hold(held, id, sr->ts_ms[i], q->bucket_end_ms[i]);
		else
			st = node_points_push(out, sr->ts_ms[i], sr->value[i]);
	}
	node_store_query_free(q);
	return st;
}

// The aggregates of one series of grant g touched by rows[0..n), into
// *sp (its arrays in *pts); *last gets the highest seq among its rows.
static fed_status
series_aggregates(node_replicator *r, struct peer *p, const node_grant *g,
    const node_store_outbox_row *rows, size_t n, const char *id,
    node_points *pts, struct held_list *held, Enfed__V1__SeriesPoints *sp,
    int64_t *last)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (size_t j = 0; j < n; j++) {
		if (strcmp(rows[j].grant_id, g->id) != 0
		    || strcmp(rows[j].series_id, id) != 0)
			continue;
		lo = rows[j].ts_ms < lo ? rows[j].ts_ms : lo;
		hi = rows[j].ts_ms > hi ? rows[j].ts_ms : hi;
		*last = rows[j].seq > *last ? rows[j].seq : *last;
	}
	enfed__v1__series_points__init(sp);
	Enfed__V1__SeriesInfo *info = NULL;
	node_store_err e = {{0}};
	fed_status st = node_store_get(r->o.store, id, &info, &e);
	if (st == FED_NOT_FOUND)
		return FED_OK; // deleted since: nothing more to send
	if (st != FED_OK)
		return st;
	int cumulative = info->meta->cumulative;
	node_store_info_free(info);
	char tz[80] = "";
	FED_TRY(bucket_points(
	    r, g, id, cumulative, lo, hi, pts, held, tz, sizeof(tz)));
	if (pts->n > 0)
		FED_TRY(declare(r, p, g, id, tz));
	sp->series_id = (char *) id;
	sp->ts_ms = pts->ts_ms;
	sp->value = pts->value;
	sp->n_ts_ms = sp->n_value = pts->n;
	return FED_OK;
}

// Sends, for the rows of grant g among rows[0..n), the aggregates of the
// buckets they touch that ended, in one Ingest that replaces the
// grantee's values; the others go to *held. *last gets the highest seq
// covered.
static fed_status
send_aggregates(node_replicator *r, struct peer *p, const node_grant *g,
    const node_store_outbox_row *rows, size_t n, int64_t *last,
    struct held_list *held)
{
	const char **ids = calloc(n, sizeof(*ids));
	node_points *pts = calloc(n, sizeof(*pts));
	Enfed__V1__SeriesPoints *sp = calloc(n, sizeof(*sp));
	Enfed__V1__SeriesPoints **list = calloc(n, sizeof(*list));
	fed_status st
	    = ids && pts && sp && list ? FED_OK : FED_RESOURCE_EXHAUSTED;
	size_t n_series = 0, n_sent = 0;
	for (size_t i = 0; st == FED_OK && i < n; i++) {
		if (strcmp(rows[i].grant_id, g->id) != 0)
			continue;
		int seen = 0;
		for (size_t k = 0; k < n_series && !seen; k++)
			seen = strcmp(ids[k], rows[i].series_id) == 0;
		if (seen)
			continue;
		ids[n_series] = rows[i].series_id;
		node_points_init(&pts[n_series]);
		st = series_aggregates(r, p, g, rows, n, ids[n_series],
		    &pts[n_series], held, &sp[n_series], last);
		if (st == FED_OK && sp[n_series].n_ts_ms > 0)
			list[n_sent++] = &sp[n_series];
		n_series++;
	}
	if (st == FED_OK && n_sent > 0) {
		Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
		req.series = list;
		req.n_series = n_sent;
		req.replace = 1;
		ProtobufCMessage *rep = NULL;
		char err[256];
		st = fed_rpc_call(p->rpc, &enfed__v1__series_store__descriptor,
		    "Ingest", &req.base, &rep, err, sizeof(err));
		protobuf_c_message_free_unpacked(rep, NULL);
		if (st != FED_OK)
			peer_failed(r, p, st, err);
	}
	for (size_t k = 0; pts != NULL && k < n_series; k++)
		node_points_fini(&pts[k]);
	free(ids);
	free(pts);
	free(sp);
	free(list);
	return st;
}

// Writes what grant g's grantee just received (the rows of g up to seq
// `last` among rows[0..n)) to the grant's access log, for the owner.
static void
log_delivery(node_replicator *r, const node_grant *g,
    const node_store_outbox_row *rows, size_t n, int64_t last)
{
	char *ids[16];
	size_t n_ids = 0;
	Enfed__V1__TimeRange range = ENFED__V1__TIME_RANGE__INIT;
	range.from_ms = INT64_MAX;
	range.to_ms = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].seq > last || strcmp(rows[i].grant_id, g->id) != 0)
			continue;
		if (rows[i].ts_ms < range.from_ms)
			range.from_ms = rows[i].ts_ms;
		if (rows[i].ts_ms >= range.to_ms)
			range.to_ms = rows[i].ts_ms + 1;
		int seen = 0;
		for (size_t k = 0; k < n_ids && !seen; k++)
			seen = strcmp(ids[k], rows[i].series_id) == 0;
		if (!seen && n_ids < sizeof(ids) / sizeof(ids[0]))
			ids[n_ids++] = (char *) rows[i].series_id;
	}
	if (n_ids == 0)
		return;
	Enfed__V1__GrantAccess e = ENFED__V1__GRANT_ACCESS__INIT;
	e.grant_id = (char *) g->id;
	e.grantee_node = (char *) g->grantee;
	e.at_ms = fed_clock_now_ms();
	e.method = "Replicate";
	e.series_ids = ids;
	e.n_series_ids = n_ids;
	e.range = &range;
	e.step = (Enfed__V1__Step) g->finest_step;
	node_store_err err = {{0}};
	if (node_store_access_add(r->o.store, &e, &err) != FED_OK)
		fed_log(FED_LOG_ERR, "replicate",
		    "grant %s: the access log missed a delivery: %s", g->id,
		    err.msg);
}

// After a delivery: the rows up to `last` leave the outbox, the buckets
// held are recorded to be sent once they end, and the owner's log says
// what left.
static void
delivered(node_replicator *r, const node_grant *g,
    const node_store_outbox_row *rows, size_t n, int64_t last,
    const struct held_list *held)
{
	node_store_err e = {{0}};
	fed_status st = node_store_outbox_hold(
	    r->o.store, g->id, last, held->v, held->n, &e);
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, "replicate", "grant %s: %s", g->id,
		    e.msg[0] ? e.msg : fed_status_str(st));
	for (size_t i = 0; st == FED_OK && i < held->n; i++)
		if (held->v[i].end_ms < r->next_release_ms)
			r->next_release_ms = held->v[i].end_ms;
	log_delivery(r, g, rows, n, last);
}

// Puts the held buckets that ended back into the outbox.
static void
release_due(node_replicator *r)
{
	if (fed_clock_now_ms() < r->next_release_ms)
		return;
	size_t n = 0;
	node_store_err e = {{0}};
	fed_status st = node_store_outbox_release(
	    r->o.store, fed_clock_now_ms(), &n, &r->next_release_ms, &e);
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, "replicate", "releasing held buckets: %s",
		    e.msg[0] ? e.msg : fed_status_str(st));
	else if (n > 0)
		fed_log(FED_LOG_INFO, "replicate",
		    "%zu bucket(s) ended: their aggregates go out", n);
}

// Handles the grants found in one batch of rows. Returns 1 if anything
// was delivered or dropped.
static int
drain(node_replicator *r, size_t n)
{
	int progress = 0;
	int64_t now = fed_clock_now_ms();
	// The distinct grants of the batch, in order of first appearance (a
	// batch holds few grants; comparing with the previous row skips runs).
	const char *done[64];
	size_t n_done = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0
		    && strcmp(r->rows[i - 1].grant_id, r->rows[i].grant_id)
		        == 0)
			continue;
		int seen = 0;
		for (size_t k = 0; k < n_done && !seen; k++)
			seen = strcmp(done[k], r->rows[i].grant_id) == 0;
		if (seen)
			continue;
		if (n_done == sizeof(done) / sizeof(done[0]))
			break; // the rest next round
		done[n_done++] = r->rows[i].grant_id;
		const node_grant *g
		    = node_grants_by_id(r->o.grants, r->rows[i].grant_id);
		int64_t last = 0;
		node_store_err e = {{0}};
		if (g == NULL)
			continue; // committed, not yet in memory: next round
		if (!node_grant_usable(g, NODE_STORE_SCOPE_LIVE, now)) {
			// Expired: nothing more leaves for it.
			for (size_t k = i; k < n; k++)
				if (strcmp(r->rows[k].grant_id,
				        r->rows[i].grant_id)
				        == 0
				    && r->rows[k].seq > last)
					last = r->rows[k].seq;
			node_store_outbox_done(
			    r->o.store, r->rows[i].grant_id, last, &e);
			progress = 1;
			continue;
		}
		struct peer *p = peer_of(r, g);
		if (p == NULL || fed_clock_mono_ms() < p->retry_at_ms)
			continue;
		if (stopping(r))
			break;
		// A prefix of the batch: the rows of g before its end all come
		// after i, so every row up to `last` is among those sent.
		size_t k = n - i < p->max_rows ? n - i : p->max_rows;
		struct held_list held = {0};
		fed_status sent = g->finest_step == ENFED__V1__STEP__STEP_RAW
		    ? send_grant(r, p, g, r->rows + i, k, &last)
		    : send_aggregates(r, p, g, r->rows + i, k, &last, &held);
		if (sent == FED_OK) {
			p->backoff_ms = 0;
			p->retry_at_ms = 0;
			p->max_rows = p->max_rows * 2 < BATCH ? p->max_rows * 2
			                                      : BATCH;
			delivered(r, g, r->rows + i, k, last, &held);
			progress = 1;
		}
		free(held.v);
	}
	return progress;
}

static void
wait_ms(node_replicator *r, int64_t ms)
{
	struct timespec until = fed_clock_deadline(CLOCK_REALTIME, ms);
	pthread_mutex_lock(&r->mtx);
	if (!r->stop && !r->kicked)
		pthread_cond_timedwait(&r->cond, &r->mtx, &until);
	r->kicked = 0;
	pthread_mutex_unlock(&r->mtx);
}

void
node_replicator_kick(node_replicator *r)
{
	pthread_mutex_lock(&r->mtx);
	r->kicked = 1;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->mtx);
}

static int
stopping(node_replicator *r)
{
	pthread_mutex_lock(&r->mtx);
	int s = r->stop;
	pthread_mutex_unlock(&r->mtx);
	return s;
}

static int
same_peer(const struct peer *a, const struct peer *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->url, b->url) == 0
	    && strcmp(a->token, b->token) == 0;
}

// Forgets what was declared on the grantees: a reloaded peer may be
// another node under the same name, where nothing was declared yet.
static void
forget_declared(node_replicator *r)
{
	while (r->declared != NULL) {
		struct declared *d = r->declared;
		r->declared = d->next;
		free(d);
	}
}

// Takes a reloaded peers file in, between two rounds (on the thread, the
// only one that uses the peers): a peer unchanged keeps its connection and
// its backoff, the others get new ones at their next use.
static void
adopt_peers(node_replicator *r)
{
	pthread_mutex_lock(&r->mtx);
	struct peer *next = r->pending;
	size_t n = r->n_pending;
	r->pending = NULL;
	pthread_mutex_unlock(&r->mtx);
	if (next == NULL)
		return;
	pthread_mutex_lock(&r->rpc_mtx);
	for (size_t i = 0; i < r->n_peers; i++) {
		struct peer *old = &r->peers[i];
		for (size_t j = 0; j < n && old->rpc != NULL; j++) {
			if (next[j].rpc == NULL && same_peer(old, &next[j])) {
				next[j] = *old;
				old->rpc = NULL;
			}
		}
	}
	fed_rpc_client *gone[MAX_PEERS]; // the connections of the others
	for (size_t i = 0; i < r->n_peers; i++)
		gone[i] = r->peers[i].rpc;
	size_t n_gone = r->n_peers;
	memcpy(r->peers, next, n * sizeof(*next));
	r->n_peers = n;
	pthread_mutex_unlock(&r->rpc_mtx);
	for (size_t i = 0; i < n_gone; i++)
		fed_rpc_client_free(gone[i]);
	free(next);
	forget_routes(r);
	forget_declared(r);
}

fed_status
node_replicator_reload_peers(node_replicator *r, size_t *n)
{
	if (r->o.peers_file == NULL || r->o.peers_file[0] == '\0') {
		*n = 0;
		return FED_OK;
	}
	struct peer *next = calloc(MAX_PEERS, sizeof(*next));
	if (next == NULL)
		return FED_RESOURCE_EXHAUSTED;
	*n = 0;
	fed_status st = load_peers(r->o.peers_file, next, n);
	if (st != FED_OK) {
		free(next);
		return st;
	}
	pthread_mutex_lock(&r->mtx);
	free(r->pending); // one not yet adopted: this one replaces it
	r->pending = next;
	r->n_pending = *n;
	r->kicked = 1;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->mtx);
	return FED_OK;
}

static void *
run(void *arg)
{
	node_replicator *r = arg;
	while (!stopping(r)) {
		adopt_peers(r);
		size_t n = 0;
		node_store_err e = {{0}};
		release_due(r);
		if (node_store_outbox_peek(r->o.store, r->rows, BATCH, &n, &e)
		        != FED_OK
		    || n == 0 || !drain(r, n))
			wait_ms(r, r->o.poll_ms);
	}
	return NULL;
}

fed_status
node_replicator_new(const node_replicator_opts *opts, node_replicator **out)
{
	node_replicator *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return FED_RESOURCE_EXHAUSTED;
	r->o = *opts;
	if (r->o.poll_ms <= 0)
		r->o.poll_ms = 200;
	if (r->o.timeout_ms <= 0 || r->o.timeout_ms > UINT32_MAX)
		r->o.timeout_ms = 30000;
	snprintf(r->node_name, sizeof(r->node_name), "%s", opts->node_name);
	r->rows = calloc(BATCH, sizeof(*r->rows));
	pthread_mutex_init(&r->mtx, NULL);
	pthread_cond_init(&r->cond, NULL);
	pthread_mutex_init(&r->rpc_mtx, NULL);
	fed_status st = r->rows != NULL ? FED_OK : FED_RESOURCE_EXHAUSTED;
	if (st == FED_OK && opts->peers_file != NULL && opts->peers_file[0])
		st = load_peers(opts->peers_file, r->peers, &r->n_peers);
	if (st == FED_OK && pthread_create(&r->thread, NULL, run, r) != 0)
		st = FED_RESOURCE_EXHAUSTED;
	if (st != FED_OK) {
		free(r->rows);
		free(r);
		return st;
	}
	*out = r;
	return FED_OK;
}

void
node_replicator_free(node_replicator *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mtx);
	r->stop = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mtx);
	// A call waiting out its timeout on a grantee that went away would
	// hold the stop that long: cut it short (its rows stay queued).
	pthread_mutex_lock(&r->rpc_mtx);
	for (size_t i = 0; i < r->n_peers; i++)
		fed_rpc_client_abort(r->peers[i].rpc);
	for (size_t i = 0; i < r->n_routes; i++)
		fed_rpc_client_abort(r->routes[i].rpc);
	pthread_mutex_unlock(&r->rpc_mtx);
	pthread_join(r->thread, NULL);
	for (size_t i = 0; i < r->n_peers; i++)
		fed_rpc_client_free(r->peers[i].rpc);
	forget_routes(r);
	free(r->pending);
	forget_declared(r);
	pthread_mutex_destroy(&r->mtx);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->rpc_mtx);
	free(r->rows);
	free(r);
}
