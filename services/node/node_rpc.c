// SPDX-License-Identifier: MIT
//
// node_rpc.c: SeriesStore handlers. Who may do what was decided before
// they run (node_policy.h): they run the query the policy allows, show
// the list entries and metadata it lets through. The store validates ids,
// timestamps and values and names the offending field; this layer adds
// the limits of one call and moves store results into the replies; what
// an ingest newly stored is handed on by the store's commit hook
// (node_fanout.h).

#include "node_rpc.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/log.h"
#include "node_metrics.h"
#include "node_policy.h"

// The store's message, or the status' own text, back to the caller.
static fed_status
store_error(fed_rpc_ctx *call, fed_status st, const node_store_err *err)
{
	return fed_rpc_ctx_error(call, st, "%s",
	    err->msg[0] != '\0' ? err->msg : fed_status_str(st));
}

// An Ingest call suspended while its points wait for their group commit.
struct ingest_call {
	fed_rpc_ctx *call;
	Enfed__V1__IngestResponse *rep;
	node_store_err err;
};

static void
fill_reply(Enfed__V1__IngestResponse *rep, const node_store_counts *counts)
{
	node_metrics_count_ingest(counts);
	rep->n_stored = counts->n_stored;
	rep->n_duplicate = counts->n_duplicate;
	rep->n_replaced = counts->n_replaced;
}

// The commit holding the call is over (on the store's committer thread):
// answers the call.
static void
ingest_done(void *arg, fed_status st, const node_store_counts *counts)
{
	struct ingest_call *ic = arg;
	if (st == FED_OK)
		fill_reply(ic->rep, counts);
	else
		st = store_error(ic->call, st, &ic->err);
	fed_rpc_ctx_resume(ic->call, st);
}

// Ingest: the call is suspended and its points queued for group commit;
// the worker goes on to the next request, and the call is answered by
// the thread that commits it, once durable (ingest_done). Served without
// a socket (fed-node's HTTP endpoint), the call waits for its commit.
static fed_status
ingest(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	node_rpc *n = arg;
	const Enfed__V1__IngestRequest *req = (const void *) in;
	Enfed__V1__IngestResponse *rep = (void *) out;
	size_t total = 0;
	for (size_t i = 0; i < req->n_series; i++)
		total += req->series[i]->n_ts_ms;
	if (total > n->max_batch_points)
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "series: %zu points in one call, more than the maximum "
		    "of %zu",
		    total, n->max_batch_points);
	// The new points go to the streams, alarms and replicator from the
	// store's commit hook (node_fanout.h).
	struct ingest_call *ic = fed_rpc_ctx_alloc(call, sizeof(*ic));
	if (ic == NULL)
		return FED_RESOURCE_EXHAUSTED;
	if (fed_rpc_ctx_suspend(call)) {
		ic->call = call;
		ic->rep = rep;
		fed_status st = node_store_append_async(
		    n->store, req, &ic->err, ingest_done, ic);
		if (st != FED_OK)
			fed_rpc_ctx_resume(
			    call, store_error(call, st, &ic->err));
		return FED_OK; // ignored: the call is suspended
	}
	node_store_counts counts;
	fed_status st = node_store_append(n->store, req, &counts, &ic->err);
	if (st != FED_OK)
		return store_error(call, st, &ic->err);
	fill_reply(rep, &counts);
	return FED_OK;
}

static void
free_query(void *p)
{
	node_store_query_free(p);
}

// The answer to a query of which the policy lets nothing through: every
// series with its unit, no bucket.
static fed_status
empty_query(fed_rpc_ctx *call, node_store *store,
    const Enfed__V1__QueryRequest *req, Enfed__V1__QueryResponse *rep)
{
	rep->results = fed_rpc_ctx_alloc(
	    call, req->n_series_ids * sizeof(*rep->results));
	Enfed__V1__SeriesResult *all
	    = fed_rpc_ctx_alloc(call, req->n_series_ids * sizeof(*all));
	if (rep->results == NULL || all == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < req->n_series_ids; i++) {
		enfed__v1__series_result__init(&all[i]);
		all[i].series_id = req->series_ids[i];
		Enfed__V1__SeriesInfo *info = NULL;
		node_store_err err = {{0}};
		if (node_store_get(store, req->series_ids[i], &info, &err)
		    == FED_OK)
			all[i].unit = info->meta->unit;
		node_store_info_free(info);
		rep->results[rep->n_results++] = &all[i];
	}
	return FED_OK;
}

// Index events carry raw timestamps and index values: dropped from what a
// coarse grant receives.
static void
strip_events(Enfed__V1__QueryResponse *res)
{
	for (size_t i = 0; i < res->n_results; i++) {
		Enfed__V1__SeriesResult *r = res->results[i];
		for (size_t k = 0; k < r->n_events; k++)
			enfed__v1__index_event__free_unpacked(
			    r->events[k], NULL);
		free(r->events);
		r->events = NULL;
		r->n_events = 0;
	}
}

// Answers above this many cells hand the memory they freed back to the
// system: glibc keeps it in the workers' arenas otherwise (issue 16, item
// 5: 2.5 GB still held after a few large answers).
#define TRIM_ABOVE_CELLS 65536

static size_t
max_cells(const node_rpc *n)
{
	return n->max_query_cells ? n->max_query_cells
	                          : NODE_RPC_MAX_QUERY_CELLS;
}

// Runs once the reply is packed and the results freed (deferred last).
static void
trim_memory(void *p)
{
	(void) p;
	malloc_trim(0);
}

// At most how many buckets the store makes for a step over a range: one
// more at each end for the partial buckets. Saturates.
static uint64_t
buckets_at_most(const Enfed__V1__TimeRange *r, int step)
{
	if (r->to_ms <= r->from_ms)
		return 1;
	uint64_t span = (uint64_t) r->to_ms - (uint64_t) r->from_ms;
	int64_t min_ms, max_ms;
	node_store_step_span(step, &min_ms, &max_ms);
	return span / (uint64_t) min_ms + 2;
}

// INVALID_ARGUMENT when an id is given twice: each would cost a whole
// series' answer again.
static fed_status
check_unique(fed_rpc_ctx *call, const Enfed__V1__QueryRequest *req)
{
	for (size_t i = 1; i < req->n_series_ids; i++) {
		for (size_t k = 0; k < i; k++) {
			if (strcmp(req->series_ids[i], req->series_ids[k])
			    == 0)
				return fed_rpc_ctx_error(call,
				    FED_INVALID_ARGUMENT,
				    "series_ids: '%.100s' given twice",
				    req->series_ids[i]);
		}
	}
	return FED_OK;
}

static fed_status
check_query(
    fed_rpc_ctx *call, const node_rpc *n, const Enfed__V1__QueryRequest *req)
{
	if (req->n_series_ids == 0 || req->n_series_ids > n->max_query_series)
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "series_ids: between 1 and %zu ids, got %zu",
		    n->max_query_series, req->n_series_ids);
	if (req->range == NULL)
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "range: missing");
	return check_unique(call, req);
}

// RESOURCE_EXHAUSTED, before anything runs, for a bucketed query of more
// cells than the limit.
static fed_status
check_cells(
    fed_rpc_ctx *call, const node_rpc *n, const Enfed__V1__QueryRequest *run)
{
	if (run->step == ENFED__V1__STEP__STEP_RAW || run->range == NULL)
		return FED_OK; // raw: counted as the points come (query_raw)
	uint64_t nb = buckets_at_most(run->range, run->step);
	uint64_t limit = max_cells(n);
	if (nb <= limit && run->n_series_ids * nb <= limit)
		return FED_OK;
	return fed_rpc_ctx_error(call, FED_RESOURCE_EXHAUSTED,
	    "series_ids x buckets: %zu x %llu cells, more than the maximum of "
	    "%llu per query (max-query-cells): ask fewer series, a shorter "
	    "range or a longer step",
	    run->n_series_ids, (unsigned long long) nb,
	    (unsigned long long) limit);
}

// A raw query, one series at a time, so that the points held stay within
// the limit (plus one series' answer, bounded by the store).
static fed_status
query_raw(fed_rpc_ctx *call, const node_rpc *n,
    const Enfed__V1__QueryRequest *run, Enfed__V1__QueryResponse *rep)
{
	size_t cap = run->n_series_ids, total = 0;
	rep->results = fed_rpc_ctx_alloc(call, cap * sizeof(*rep->results));
	if (rep->results == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < run->n_series_ids; i++) {
		Enfed__V1__QueryRequest one = *run;
		one.series_ids = &run->series_ids[i];
		one.n_series_ids = 1;
		Enfed__V1__QueryResponse *res = NULL;
		node_store_err err = {{0}};
		fed_status st = node_store_query(n->store, &one, &res, &err);
		if (st != FED_OK)
			return store_error(call, st, &err);
		FED_TRY(fed_rpc_ctx_defer(call, free_query, res));
		for (size_t k = 0; k < res->n_results && rep->n_results < cap;
		     k++) {
			total += res->results[k]->n_ts_ms;
			rep->results[rep->n_results++] = res->results[k];
		}
		rep->tz = res->tz;
		if (total > max_cells(n))
			return fed_rpc_ctx_error(call, FED_RESOURCE_EXHAUSTED,
			    "series_ids: more than %zu raw points in one "
			    "query "
			    "(max-query-cells): ask fewer series or a shorter "
			    "range",
			    max_cells(n));
	}
	return FED_OK;
}

// Bucketed: the reply takes the result's fields; the result (and so the
// fields) is freed once the reply is packed.
static fed_status
query_buckets(fed_rpc_ctx *call, const node_rpc *n,
    const Enfed__V1__QueryRequest *run, ProtobufCMessage *out)
{
	Enfed__V1__QueryResponse *res = NULL;
	node_store_err err = {{0}};
	fed_status st = node_store_query(n->store, run, &res, &err);
	if (st != FED_OK)
		return store_error(call, st, &err);
	ProtobufCMessage base = *out;
	*(Enfed__V1__QueryResponse *) out = *res;
	*out = base;
	return fed_rpc_ctx_defer(call, free_query, res);
}

static size_t
cells_of(const Enfed__V1__QueryResponse *rep)
{
	size_t n = 0;
	for (size_t i = 0; i < rep->n_results; i++)
		n += rep->results[i]->n_ts_ms;
	return n;
}

static fed_status
query(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	node_rpc *n = arg;
	const Enfed__V1__QueryRequest *req = (const void *) in;
	Enfed__V1__QueryResponse *rep = (void *) out;
	FED_TRY(check_query(call, n, req));
	const Enfed__V1__QueryRequest *run = node_policy_query(call, req);
	if (run == NULL)
		return empty_query(call, n->store, req, rep);
	FED_TRY(check_cells(call, n, run));
	fed_status st = run->step == ENFED__V1__STEP__STEP_RAW
	    ? query_raw(call, n, run, rep)
	    : query_buckets(call, n, run, out);
	if (st == FED_OK && node_policy_strip_events(call))
		strip_events(rep);
	if (cells_of(rep) > TRIM_ABOVE_CELLS || st == FED_RESOURCE_EXHAUSTED)
		(void) fed_rpc_ctx_defer(call, trim_memory, call);
	return st;
}

static void
free_info(void *p)
{
	node_store_info_free(p);
}

// Moves a store info into the reply, freed after packing.
static fed_status
reply_info(
    fed_rpc_ctx *call, ProtobufCMessage *out, Enfed__V1__SeriesInfo *info)
{
	ProtobufCMessage base = *out;
	*(Enfed__V1__SeriesInfo *) out = *info;
	*out = base;
	return fed_rpc_ctx_defer(call, free_info, info);
}

static fed_status
latest(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	node_rpc *n = arg;
	const Enfed__V1__LatestRequest *req = (const void *) in;
	Enfed__V1__LatestResponse *rep = (void *) out;
	if (req->n_series_ids == 0 || req->n_series_ids > n->max_query_series)
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "series_ids: between 1 and %zu ids, got %zu",
		    n->max_query_series, req->n_series_ids);
	rep->series = fed_rpc_ctx_alloc(
	    call, req->n_series_ids * sizeof(*rep->series));
	if (rep->series == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < req->n_series_ids; i++) {
		node_store_err err = {{0}};
		Enfed__V1__SeriesInfo *info = NULL;
		fed_status st = node_store_get(
		    n->store, req->series_ids[i], &info, &err);
		if (st != FED_OK)
			return store_error(call, st, &err);
		node_policy_clip_info(call, info);
		rep->series[rep->n_series++] = info;
		FED_TRY(fed_rpc_ctx_defer(call, free_info, info));
	}
	return FED_OK;
}

#define LIST_PAGE_DEFAULT 500
#define LIST_PAGE_MAX     1000

// One page of ListSeries being filled: the ids after the page token, and
// the infos the caller may see, kept until the reply is packed.
struct info_page {
	char **ids;
	size_t n_ids;
	Enfed__V1__SeriesInfo **infos;
	size_t n;
};

static void
free_info_page(void *p)
{
	struct info_page *l = p;
	node_store_ids_free(l->ids, l->n_ids);
	node_store_info_list_free(l->infos, l->n);
	free(l);
}

// The info of ids[i] when the caller may see it, else NULL (a series
// deleted since it was listed is skipped as well).
static Enfed__V1__SeriesInfo *
visible_info(fed_rpc_ctx *call, node_rpc *n, const char *id)
{
	node_store_err err = {{0}};
	Enfed__V1__SeriesInfo *info = NULL;
	if (node_store_get(n->store, id, &info, &err) != FED_OK)
		return NULL;
	if (!node_policy_sees_series(call, info->meta)) {
		node_store_info_free(info);
		return NULL;
	}
	node_policy_clip_info(call, info);
	return info;
}

// Fills l->infos with up to `size` series the caller may see, from the
// ids in order; 1 when one more visible series follows the page (so that
// the next page token says nothing of series the caller may not see).
static int
fill_page(fed_rpc_ctx *call, node_rpc *n, struct info_page *l, size_t size)
{
	for (size_t i = 0; i < l->n_ids; i++) {
		Enfed__V1__SeriesInfo *info = visible_info(call, n, l->ids[i]);
		if (info == NULL)
			continue;
		if (l->n == size) {
			node_store_info_free(info);
			return 1;
		}
		l->infos[l->n++] = info;
	}
	return 0;
}

static fed_status
list_series(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	node_rpc *n = arg;
	const Enfed__V1__ListSeriesRequest *req = (const void *) in;
	Enfed__V1__ListSeriesResponse *rep = (void *) out;
	size_t size = req->page_size == 0    ? LIST_PAGE_DEFAULT
	    : req->page_size > LIST_PAGE_MAX ? LIST_PAGE_MAX
	                                     : req->page_size;
	struct info_page *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return FED_RESOURCE_EXHAUSTED;
	node_store_err err = {{0}};
	fed_status st
	    = node_store_list_ids(n->store, req, &l->ids, &l->n_ids, &err);
	if (st != FED_OK) {
		free(l);
		return store_error(call, st, &err);
	}
	// On failure, defer frees l at once.
	FED_TRY(fed_rpc_ctx_defer(call, free_info_page, l));
	l->infos = calloc(size, sizeof(*l->infos));
	if (l->infos == NULL)
		return FED_RESOURCE_EXHAUSTED;
	int more = fill_page(call, n, l, size);
	rep->series = l->infos;
	rep->n_series = l->n;
	if (more)
		rep->next_page_token = l->infos[l->n - 1]->meta->id;
	return FED_OK;
}

static fed_status
get_series(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	node_rpc *n = arg;
	const Enfed__V1__GetSeriesRequest *req = (const void *) in;
	Enfed__V1__SeriesInfo *info = NULL;
	node_store_err err = {{0}};
	fed_status st = node_store_get(n->store, req->id, &info, &err);
	if (st != FED_OK)
		return store_error(call, st, &err);
	node_policy_clip_info(call, info);
	return reply_info(call, out, info);
}

static fed_status
create_series(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	node_rpc *n = arg;
	const Enfed__V1__CreateSeriesRequest *req = (const void *) in;
	if (req->meta == NULL)
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "meta: missing");
	Enfed__V1__SeriesInfo *info = NULL;
	node_store_err err = {{0}};
	fed_status st = node_store_create(n->store, req->meta, &info, &err);
	if (st != FED_OK)
		return store_error(call, st, &err);
	fed_log(FED_LOG_INFO, "node", "series %s created or confirmed",
	    req->meta->id);
	return reply_info(call, out, info);
}

static fed_status
update_series(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	node_rpc *n = arg;
	Enfed__V1__SeriesInfo *info = NULL;
	node_store_err err = {{0}};
	fed_status st = node_store_update(n->store,
	    (const Enfed__V1__UpdateSeriesRequest *) in, &info, &err);
	if (st != FED_OK)
		return store_error(call, st, &err);
	return reply_info(call, out, info);
}

static fed_status
delete_series(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	(void) out;
	node_rpc *n = arg;
	const Enfed__V1__DeleteSeriesRequest *req = (const void *) in;
	node_store_err err = {{0}};
	fed_status st = node_store_delete(n->store, req->id, &err);
	if (st != FED_OK)
		return store_error(call, st, &err);
	fed_log(FED_LOG_NOTICE, "node", "series %s deleted", req->id);
	return FED_OK;
}

fed_status
node_rpc_register(fed_rpc_server *srv, node_rpc *n)
{
	static const fed_rpc_method methods[] = {
	    {"Ingest", ingest},
	    {"Query", query},
	    {"Latest", latest},
	    {"ListSeries", list_series},
	    {"GetSeries", get_series},
	    {"CreateSeries", create_series},
	    {"UpdateSeries", update_series},
	    {"DeleteSeries", delete_series},
	};
	return fed_rpc_server_add_service(srv,
	    &enfed__v1__series_store__descriptor, methods,
	    sizeof(methods) / sizeof(methods[0]), n);
}
