// SPDX-License-Identifier: MIT
//
// follow.c: a stream subscriber that back-fills its losses by Query.
//
// The stream layer reports a GAP or RESET event just before the POINTS
// event of the frame that revealed it. The follower remembers the loss,
// and when that frame's points come, asks the node for the raw points in
// (newest delivered, newest of the frame] instead of delivering the frame:
// the answer holds the lost points and the frame's own, once each.

#include "fed/follow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/log.h"
#include "fed/rpc.h"
#include "fed/stream.h"

struct pending {
	int active;
	fed_follow_origin origin;
	char series_id[256];
	int64_t from_ms; // exclusive: the newest point delivered before
	int64_t to_ms; // inclusive: the newest point of the frame
};

struct fed_follow {
	fed_stream_sub *sub;
	fed_rpc_client *rpc;
	struct pending loss; // seen in the current message
	struct pending pending; // a back-fill still to make
	fed_follow_stats stats;
	fed_follow_cb cb;
	void *arg;
};

fed_status
fed_follow_new(const fed_follow_opts *opts, fed_follow **out)
{
	fed_follow *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_stream_sub_opts so = {.url = opts->stream_url,
	    .tls = opts->tls,
	    .recv_buffer = opts->recv_buffer};
	fed_rpc_client_opts ro;
	fed_rpc_client_opts_default(&ro);
	ro.url = opts->rpc_url;
	ro.tls = opts->tls;
	ro.token = opts->token;
	if (opts->timeout_ms > 0)
		ro.timeout_ms = opts->timeout_ms;
	fed_status st = fed_stream_sub_new(&so, &f->sub);
	if (st == FED_OK)
		st = fed_rpc_client_new(&ro, &f->rpc);
	if (st != FED_OK) {
		fed_follow_free(f);
		return st;
	}
	*out = f;
	return FED_OK;
}

fed_status
fed_follow_subscribe(fed_follow *f, const char *pattern)
{
	return fed_stream_sub_subscribe(f->sub, pattern);
}

// Fetches and delivers the raw points of a loss.
static fed_status
backfill(fed_follow *f, const struct pending *p)
{
	char *ids[1] = {(char *) p->series_id};
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = p->from_ms + 1;
	r.to_ms = p->to_ms + 1;
	Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
	q.series_ids = ids;
	q.n_series_ids = 1;
	q.range = &r;
	q.step = ENFED__V1__STEP__STEP_RAW;
	Enfed__V1__QueryResponse *res = NULL;
	char err[256];
	fed_status st = fed_rpc_call(f->rpc,
	    &enfed__v1__series_store__descriptor, "Query", &q.base,
	    (ProtobufCMessage **) &res, err, sizeof(err));
	if (st != FED_OK) {
		fed_log(FED_LOG_WARNING, "follow", "back-fill of %s: %s (%s)",
		    p->series_id, fed_status_name(st), err);
		return st;
	}
	if (res->n_results == 1 && res->results[0]->n_ts_ms > 0) {
		const Enfed__V1__SeriesResult *sr = res->results[0];
		f->cb(p->series_id, sr->ts_ms, sr->value, sr->n_ts_ms, 1,
		    f->arg);
		f->stats.backfilled_points += sr->n_ts_ms;
	}
	f->stats.backfills++;
	enfed__v1__query_response__free_unpacked(res, NULL);
	return FED_OK;
}

static void
on_event(const fed_stream_event *ev, void *arg)
{
	fed_follow *f = arg;
	if (ev->kind == FED_STREAM_GAP || ev->kind == FED_STREAM_RESET) {
		f->loss.active = 1;
		f->loss.origin = ev->kind == FED_STREAM_GAP ? FED_FOLLOW_GAP
		                                            : FED_FOLLOW_RESET;
		snprintf(f->loss.series_id, sizeof(f->loss.series_id), "%s",
		    ev->series_id);
		f->loss.from_ms = ev->last_ts_ms;
		return;
	}
	if (ev->kind != FED_STREAM_POINTS)
		return;
	if (f->loss.active && strcmp(f->loss.series_id, ev->series_id) == 0) {
		int64_t newest = ev->ts_ms[0];
		for (size_t i = 1; i < ev->n; i++)
			if (ev->ts_ms[i] > newest)
				newest = ev->ts_ms[i];
		f->pending = f->loss;
		f->pending.to_ms = newest;
		f->loss.active = 0;
		return; // delivered by the back-fill
	}
	f->stats.frames++;
	f->cb(ev->series_id, ev->ts_ms, ev->value, ev->n, FED_FOLLOW_LIVE,
	    f->arg);
}

fed_status
fed_follow_recv(fed_follow *f, int timeout_ms, fed_follow_cb cb, void *arg)
{
	f->cb = cb;
	f->arg = arg;
	if (f->pending.active) {
		FED_TRY(backfill(f, &f->pending));
		f->pending.active = 0;
		return FED_OK;
	}
	fed_status st = fed_stream_sub_recv(f->sub, timeout_ms, on_event, f);
	if (st != FED_OK || !f->pending.active)
		return st;
	FED_TRY(backfill(f, &f->pending));
	f->pending.active = 0;
	return FED_OK;
}

void
fed_follow_get_stats(const fed_follow *f, fed_follow_stats *out)
{
	*out = f->stats;
}

void
fed_follow_free(fed_follow *f)
{
	if (f == NULL)
		return;
	fed_stream_sub_free(f->sub);
	fed_rpc_client_free(f->rpc);
	free(f);
}
