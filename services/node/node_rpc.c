// SPDX-License-Identifier: MIT
//
// node_rpc.c: SeriesStore handlers. The store validates ids, timestamps
// and values and names the offending field; this layer adds the limits of
// one call, moves store results into the replies, and publishes what an
// ingest newly stored.

#include "node_rpc.h"

#include <stdlib.h>
#include <string.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/log.h"
#include "node_grants.h"

// The store's message, or the status' own text, back to the caller.
static fed_status
store_error(fed_rpc_ctx *call, fed_status st, const node_store_err *err)
{
	return fed_rpc_ctx_error(call, st, "%s",
	    err->msg[0] != '\0' ? err->msg : fed_status_str(st));
}

// The caller's grant when it called with a grant token, else NULL.
static const node_grant *
grant_of(const fed_rpc_ctx *call)
{
	const node_principal *p = fed_rpc_ctx_principal(call);
	return p != NULL && p->role == NODE_ROLE_GRANTEE ? (const void *) p
	                                                 : NULL;
}

// A reader's or writer's token limited to a series prefix may not reach
// beyond it.
static fed_status
check_prefix(fed_rpc_ctx *call, const char *id)
{
	if (node_principal_covers(fed_rpc_ctx_principal(call), id))
		return FED_OK;
	return fed_rpc_ctx_error(
	    call, FED_PERMISSION_DENIED, "the token does not cover this");
}

// 1 when a federation member calls with its own token (no grant).
static int
is_member(const fed_rpc_ctx *call)
{
	const node_principal *p = fed_rpc_ctx_principal(call);
	return p != NULL && p->role == NODE_ROLE_MEMBER;
}

// 1 when series id exists and is public.
static int
is_public(node_store *store, const char *id)
{
	Enfed__V1__SeriesInfo *info = NULL;
	node_store_err err = {{0}};
	int pub = node_store_get(store, id, &info, &err) == FED_OK
	    && info->meta->visibility
	        == ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC;
	node_store_info_free(info);
	return pub;
}

// A grantee may read series its grant covers; the points themselves
// (Latest's last value) only when the grant allows raw data. A member of
// the federation without a grant reads public series only.
static fed_status
check_grant_series(
    fed_rpc_ctx *call, node_store *store, const char *id, int needs_raw)
{
	FED_TRY(check_prefix(call, id));
	if (is_member(call) && !is_public(store, id))
		return fed_rpc_ctx_error(call, FED_PERMISSION_DENIED,
		    "the token does not cover this");
	const node_grant *g = grant_of(call);
	if (g == NULL)
		return FED_OK;
	if (!node_grant_covers(g, id)
	    || (needs_raw && g->finest_step != ENFED__V1__STEP__STEP_RAW))
		return fed_rpc_ctx_error(call, FED_PERMISSION_DENIED,
		    "the grant does not cover this");
	return FED_OK;
}

// The replicating node's name when a replica calls, else NULL.
static const char *
replica_of(const fed_rpc_ctx *call)
{
	const node_principal *p = fed_rpc_ctx_principal(call);
	return p != NULL && p->role == NODE_ROLE_REPLICA ? p->name : NULL;
}

// A replica writes only into series it replicates here: their origin is
// its name.
static fed_status
check_replica_series(fed_rpc_ctx *call, node_store *store, const char *id)
{
	const char *peer = replica_of(call);
	if (peer == NULL)
		return FED_OK;
	Enfed__V1__SeriesInfo *info = NULL;
	node_store_err err = {{0}};
	fed_status st = node_store_get(store, id, &info, &err);
	int own = st == FED_OK && strcmp(info->meta->origin_node, peer) == 0;
	node_store_info_free(info);
	if (st == FED_NOT_FOUND)
		return fed_rpc_ctx_error(call, st, "series %.200s", id);
	if (st != FED_OK || !own)
		return fed_rpc_ctx_error(call, FED_PERMISSION_DENIED,
		    "series %.200s: not replicated from %s", id, peer);
	return FED_OK;
}

// After the commit: the new points go to the stream and to the alarm
// engine, which only queues them when a rule matches (node_alarms.h).
// What one ingest newly stored, kept for the public stream: published
// once the store's writer lock is released, where visibility may be read.
struct fresh_series {
	char *id;
	int64_t *ts_ms;
	double *value;
	size_t n;
};

struct ingest_cb {
	node_rpc *nr;
	struct fresh_series *fresh; // one per series of the request at most
	size_t n_fresh;
	int lost; // out of memory: the public stream misses points
};

static void
keep_fresh(struct ingest_cb *cb, const char *series_id, const int64_t *ts_ms,
    const double *value, size_t n)
{
	if (cb->fresh == NULL) {
		cb->lost = 1;
		return;
	}
	struct fresh_series *f = &cb->fresh[cb->n_fresh];
	f->id = strdup(series_id);
	f->ts_ms = malloc(n * sizeof(*ts_ms));
	f->value = malloc(n * sizeof(*value));
	if (f->id == NULL || f->ts_ms == NULL || f->value == NULL) {
		free(f->id);
		free(f->ts_ms);
		free(f->value);
		cb->lost = 1;
		return;
	}
	memcpy(f->ts_ms, ts_ms, n * sizeof(*ts_ms));
	memcpy(f->value, value, n * sizeof(*value));
	f->n = n;
	cb->n_fresh++;
}

// Publishes a series' new points (fed_stream_publish cuts them into
// frames); a failure is logged, subscribers back-fill what they miss.
static void
publish_frames(fed_stream_pub *pub, const char *series_id,
    const int64_t *ts_ms, const double *value, size_t n)
{
	fed_status st
	    = fed_stream_publish(pub, series_id, ts_ms, value, n, NULL);
	if (st != FED_OK)
		fed_log(FED_LOG_WARNING, "node",
		    "publishing %s: %s (subscribers will back-fill)",
		    series_id, fed_status_name(st));
}

// After the ingest: the public series' new points to the public stream.
static void
publish_public(struct ingest_cb *cb)
{
	node_rpc *nr = cb->nr;
	for (size_t i = 0; i < cb->n_fresh; i++) {
		struct fresh_series *f = &cb->fresh[i];
		if (is_public(nr->store, f->id))
			publish_frames(
			    nr->public_pub, f->id, f->ts_ms, f->value, f->n);
		free(f->id);
		free(f->ts_ms);
		free(f->value);
	}
	if (cb->lost)
		fed_log(FED_LOG_WARNING, "node",
		    "public stream: out of memory, points not published "
		    "(subscribers will back-fill)");
	free(cb->fresh);
}

static void
publish_new(const char *series_id, const int64_t *ts_ms, const double *value,
    size_t n, void *arg)
{
	struct ingest_cb *cb = arg;
	node_rpc *nr = cb->nr;
	if (nr->public_pub != NULL)
		keep_fresh(cb, series_id, ts_ms, value, n);
	if (nr->alarms != NULL)
		node_alarms_offer(nr->alarms, series_id, ts_ms, value, n);
	if (nr->pub != NULL)
		publish_frames(nr->pub, series_id, ts_ms, value, n);
}

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
	for (size_t i = 0; i < req->n_series; i++)
		FED_TRY(check_prefix(call, req->series[i]->series_id));
	const node_principal *who = fed_rpc_ctx_principal(call);
	if (req->replace && replica_of(call) == NULL
	    && (who == NULL || who->role != NODE_ROLE_ADMIN))
		return fed_rpc_ctx_error(call, FED_PERMISSION_DENIED,
		    "replace: for the admin and replica roles only");
	for (size_t i = 0; i < req->n_series && replica_of(call) != NULL; i++)
		FED_TRY(check_replica_series(
		    call, n->store, req->series[i]->series_id));
	node_store_counts counts;
	node_store_err err = {{0}};
	struct ingest_cb cb = {.nr = n};
	if (n->public_pub != NULL && req->n_series > 0)
		cb.fresh = calloc(req->n_series, sizeof(*cb.fresh));
	int notify = n->pub != NULL || n->public_pub != NULL || n->alarms;
	fed_status st = node_store_append_notify(
	    n->store, req, &counts, notify ? publish_new : NULL, &cb, &err);
	if (n->public_pub != NULL)
		publish_public(&cb); // frees what was kept, even on error
	if (st != FED_OK)
		return store_error(call, st, &err);
	rep->n_stored = counts.n_stored;
	rep->n_duplicate = counts.n_duplicate;
	rep->n_replaced = counts.n_replaced;
	if (counts.n_stored + counts.n_replaced > 0 && n->on_stored != NULL)
		n->on_stored(n->on_stored_arg);
	return FED_OK;
}

static void
free_query(void *p)
{
	node_store_query_free(p);
}

static fed_status
query(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	node_rpc *n = arg;
	const Enfed__V1__QueryRequest *req = (const void *) in;
	if (req->n_series_ids == 0 || req->n_series_ids > n->max_query_series)
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "series_ids: between 1 and %zu ids, got %zu",
		    n->max_query_series, req->n_series_ids);
	if (req->range == NULL)
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "range: missing");
	if (grant_of(call) != NULL)
		FED_TRY(node_grants_check_query(call, grant_of(call), req));
	for (size_t i = 0; i < req->n_series_ids && is_member(call); i++)
		FED_TRY(
		    check_grant_series(call, n->store, req->series_ids[i], 0));
	Enfed__V1__QueryResponse *res = NULL;
	node_store_err err = {{0}};
	fed_status st = node_store_query(n->store, req, &res, &err);
	if (st != FED_OK)
		return store_error(call, st, &err);
	// The reply takes the result's fields; the result (and so the
	// fields) is freed once the reply is packed.
	ProtobufCMessage base = *out;
	*(Enfed__V1__QueryResponse *) out = *res;
	*out = base;
	return fed_rpc_ctx_defer(call, free_query, res);
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
	for (size_t i = 0; i < req->n_series_ids; i++)
		FED_TRY(
		    check_grant_series(call, n->store, req->series_ids[i], 1));
	for (size_t i = 0; i < req->n_series_ids; i++) {
		node_store_err err = {{0}};
		Enfed__V1__SeriesInfo *info = NULL;
		fed_status st = node_store_get(
		    n->store, req->series_ids[i], &info, &err);
		if (st != FED_OK)
			return store_error(call, st, &err);
		rep->series[rep->n_series++] = info;
		FED_TRY(fed_rpc_ctx_defer(call, free_info, info));
	}
	return FED_OK;
}

struct info_list {
	Enfed__V1__SeriesInfo **infos;
	size_t n;
};

static void
free_info_list(void *p)
{
	struct info_list *l = p;
	node_store_info_list_free(l->infos, l->n);
	free(l);
}

static fed_status
list_series(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	node_rpc *n = arg;
	Enfed__V1__ListSeriesResponse *rep = (void *) out;
	struct info_list *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return FED_RESOURCE_EXHAUSTED;
	node_store_err err = {{0}};
	fed_status st = node_store_list(n->store,
	    (const Enfed__V1__ListSeriesRequest *) in, &l->infos, &l->n, &err);
	if (st != FED_OK) {
		free(l);
		return store_error(call, st, &err);
	}
	rep->series = l->infos;
	rep->n_series = l->n;
	FED_TRY(fed_rpc_ctx_defer(call, free_info_list, l));
	const node_grant *g = grant_of(call);
	const node_principal *who = fed_rpc_ctx_principal(call);
	int limited = who != NULL && who->prefix[0] != '\0';
	if (g != NULL || is_member(call) || limited) {
		// A grantee sees the series its grant covers, a member the
		// public ones, a token limited to a prefix the series below
		// it, no others. The filtered-out infos stay in l and are
		// freed with it.
		Enfed__V1__SeriesInfo **kept
		    = fed_rpc_ctx_alloc(call, (l->n + 1) * sizeof(*kept));
		if (kept == NULL)
			return FED_RESOURCE_EXHAUSTED;
		size_t k = 0;
		for (size_t i = 0; i < l->n; i++) {
			const Enfed__V1__SeriesMeta *m = l->infos[i]->meta;
			int keep = g != NULL ? node_grant_covers(g, m->id)
			    : limited ? node_principal_covers(who, m->id)
			              : m->visibility
			        == ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC;
			if (keep)
				kept[k++] = l->infos[i];
		}
		rep->series = kept;
		rep->n_series = k;
	}
	return FED_OK;
}

static fed_status
get_series(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	node_rpc *n = arg;
	const Enfed__V1__GetSeriesRequest *req = (const void *) in;
	FED_TRY(check_grant_series(call, n->store, req->id, 0));
	Enfed__V1__SeriesInfo *info = NULL;
	node_store_err err = {{0}};
	fed_status st = node_store_get(n->store, req->id, &info, &err);
	if (st != FED_OK)
		return store_error(call, st, &err);
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
	FED_TRY(check_prefix(call, req->meta->id));
	const char *peer = replica_of(call);
	if (peer != NULL && strcmp(req->meta->origin_node, peer) != 0)
		return fed_rpc_ctx_error(call, FED_PERMISSION_DENIED,
		    "meta.origin_node: a replica creates only its own series");
	if (peer == NULL && req->meta->origin_node[0] != '\0')
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "meta.origin_node: set by replication only");
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
