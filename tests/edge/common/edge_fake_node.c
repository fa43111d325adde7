// SPDX-License-Identifier: MIT
//
// edge_fake_node.c: see edge_fake_node.h.

#include "edge_fake_node.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed_test.h"

struct edge_fake_node {
	fed_rpc_server *srv;
	int hold_ms;
	pthread_mutex_t mu;
	edge_fake_stats st;
	uint64_t at_once;
	int busy[EDGE_FAKE_MAX_SERIES]; // calls holding the series now
	int64_t last_ts[EDGE_FAKE_MAX_SERIES]; // newest point taken
};

// The index of "f/<i>", or -1.
static int
series_index(const char *id)
{
	char *end;
	if (strncmp(id, "f/", 2) != 0)
		return -1;
	long i = strtol(id + 2, &end, 10);
	if (*end != '\0' || i < 0 || i >= EDGE_FAKE_MAX_SERIES)
		return -1;
	return (int) i;
}

static void
enter(edge_fake_node *f, const Enfed__V1__IngestRequest *req)
{
	pthread_mutex_lock(&f->mu);
	f->st.n_calls++;
	if (++f->at_once > f->st.max_at_once)
		f->st.max_at_once = f->at_once;
	for (size_t i = 0; i < req->n_series; i++) {
		int k = series_index(req->series[i]->series_id);
		if (k >= 0 && f->busy[k]++ > 0)
			f->st.n_overlaps++;
	}
	pthread_mutex_unlock(&f->mu);
}

// Takes the points (the commit) and leaves.
static void
leave(edge_fake_node *f, const Enfed__V1__IngestRequest *req,
    Enfed__V1__IngestResponse *rep)
{
	pthread_mutex_lock(&f->mu);
	f->at_once--;
	for (size_t i = 0; i < req->n_series; i++) {
		const Enfed__V1__SeriesPoints *sp = req->series[i];
		int k = series_index(sp->series_id);
		if (k < 0)
			continue;
		f->busy[k]--;
		for (size_t j = 0; j < sp->n_ts_ms; j++) {
			if (sp->ts_ms[j] <= f->last_ts[k]) {
				f->st.n_out_of_order++;
				continue;
			}
			f->last_ts[k] = sp->ts_ms[j];
			f->st.n_points[k]++;
			rep->n_stored++;
		}
	}
	pthread_mutex_unlock(&f->mu);
}

static fed_status
on_ingest(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	(void) call;
	edge_fake_node *f = arg;
	const Enfed__V1__IngestRequest *req
	    = (const Enfed__V1__IngestRequest *) in;
	enter(f, req);
	struct timespec ts = {0, (long) f->hold_ms * 1000000L};
	nanosleep(&ts, NULL);
	leave(f, req, (Enfed__V1__IngestResponse *) out);
	return FED_OK;
}

static fed_status
on_create(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	(void) call;
	(void) in;
	(void) out;
	(void) arg;
	return FED_OK;
}

edge_fake_node *
edge_fake_node_start(char *url, size_t len, int hold_ms)
{
	edge_fake_node *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->hold_ms = hold_ms;
	pthread_mutex_init(&f->mu, NULL);
	static const fed_rpc_method methods[] = {
	    {"Ingest", on_ingest},
	    {"CreateSeries", on_create},
	};
	fed_test_ipc_url(url, len, "fakenode");
	fed_rpc_server_opts o;
	fed_rpc_server_opts_default(&o);
	o.name = "fake-node";
	if (fed_rpc_server_new(&o, &f->srv) != FED_OK
	    || fed_rpc_server_add_service(
	           f->srv, &enfed__v1__series_store__descriptor, methods, 2, f)
	        != FED_OK
	    || fed_rpc_server_listen(f->srv, url, NULL) != FED_OK
	    || fed_rpc_server_start(f->srv) != FED_OK) {
		edge_fake_node_stop(f);
		return NULL;
	}
	return f;
}

void
edge_fake_node_stats(edge_fake_node *f, edge_fake_stats *st)
{
	pthread_mutex_lock(&f->mu);
	*st = f->st;
	pthread_mutex_unlock(&f->mu);
}

void
edge_fake_node_stop(edge_fake_node *f)
{
	if (f == NULL)
		return;
	fed_rpc_server_free(f->srv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
