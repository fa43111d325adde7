// SPDX-License-Identifier: MIT
//
// node_scrub.c: fed-node's periodic and on-demand checks of its stored
// data (node_scrub.h). The thread sleeps on a condition variable (on the
// monotonic clock), so that freeing the scrubber wakes it at once; a scrub
// in progress sees the stop flag between two batches of blocks.

#include "node_scrub.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fed/clock.h"
#include "fed/log.h"

struct node_scrub {
	node_scrub_opts o;
	atomic_int stop;
	pthread_mutex_t run_mtx; // one scrub at a time
	pthread_mutex_t mtx; // guards last, has_last and the wait
	pthread_cond_t cond;
	node_store_scrub_report last;
	int has_last;
	pthread_t thread;
	int has_thread;
};

static void
log_report(const node_store_scrub_report *r)
{
	if (r->n_bad == 0) {
		fed_log(FED_LOG_NOTICE, "scrub",
		    "%llu blocks checked in %lld ms: all sound",
		    (unsigned long long) r->n_blocks,
		    (long long) r->elapsed_ms);
		return;
	}
	fed_log(FED_LOG_ERR, "scrub",
	    "%llu of %llu blocks are bad (checked in %lld ms); first: series "
	    "%s, window [%lld, %lld) %s",
	    (unsigned long long) r->n_bad, (unsigned long long) r->n_blocks,
	    (long long) r->elapsed_ms, r->bad[0].series,
	    (long long) r->bad[0].from_ms, (long long) r->bad[0].to_ms,
	    r->bad[0].why);
}

fed_status
node_scrub_run(
    node_scrub *s, node_store_scrub_report *out, node_store_err *err)
{
	node_store_scrub_opts so = {0, s->o.pause_ms, &s->stop};
	pthread_mutex_lock(&s->run_mtx);
	fed_status st = node_store_scrub(s->o.store, &so, out, err);
	pthread_mutex_unlock(&s->run_mtx);
	if (st != FED_OK) {
		fed_log(FED_LOG_WARNING, "scrub", "%s", err ? err->msg : "");
		return st;
	}
	log_report(out);
	pthread_mutex_lock(&s->mtx);
	s->last = *out;
	s->has_last = 1;
	pthread_mutex_unlock(&s->mtx);
	return FED_OK;
}

int
node_scrub_last(node_scrub *s, node_store_scrub_report *out)
{
	pthread_mutex_lock(&s->mtx);
	int has = s->has_last;
	if (has)
		*out = s->last;
	pthread_mutex_unlock(&s->mtx);
	return has;
}

// Sleeps one interval; 0 when woken to stop.
static int
wait_interval(node_scrub *s)
{
	struct timespec until
	    = fed_clock_deadline(CLOCK_MONOTONIC, s->o.interval_ms);
	pthread_mutex_lock(&s->mtx);
	int rc = 0;
	while (!atomic_load(&s->stop) && rc == 0)
		rc = pthread_cond_timedwait(&s->cond, &s->mtx, &until);
	pthread_mutex_unlock(&s->mtx);
	return !atomic_load(&s->stop);
}

static void *
scrub_thread(void *arg)
{
	node_scrub *s = arg;
	while (wait_interval(s)) {
		node_store_scrub_report rep;
		node_store_err err = {{0}};
		node_scrub_run(s, &rep, &err);
	}
	return NULL;
}

static fed_status
start_thread(node_scrub *s)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int rc = pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		return FED_RESOURCE_EXHAUSTED;
	if (s->o.interval_ms <= 0)
		return FED_OK;
	if (pthread_create(&s->thread, NULL, scrub_thread, s) != 0)
		return FED_RESOURCE_EXHAUSTED;
	s->has_thread = 1;
	return FED_OK;
}

fed_status
node_scrub_new(const node_scrub_opts *opts, node_scrub **out)
{
	node_scrub *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return FED_RESOURCE_EXHAUSTED;
	s->o = *opts;
	atomic_init(&s->stop, 0);
	pthread_mutex_init(&s->run_mtx, NULL);
	pthread_mutex_init(&s->mtx, NULL);
	fed_status st = start_thread(s);
	if (st != FED_OK) {
		pthread_mutex_destroy(&s->run_mtx);
		pthread_mutex_destroy(&s->mtx);
		free(s);
		return st;
	}
	*out = s;
	return FED_OK;
}

void
node_scrub_stop(node_scrub *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mtx);
	atomic_store(&s->stop, 1);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mtx);
}

void
node_scrub_free(node_scrub *s)
{
	if (s == NULL)
		return;
	node_scrub_stop(s);
	if (s->has_thread)
		pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->run_mtx);
	pthread_mutex_destroy(&s->mtx);
	free(s);
}

// Copies a report into msg, its strings and list in call memory.
static fed_status
fill_report(fed_rpc_ctx *call, const node_store_scrub_report *r,
    Enfed__V1__IntegrityReport *msg)
{
	msg->started_ms = r->started_ms;
	msg->elapsed_ms = (uint64_t) r->elapsed_ms;
	msg->n_blocks = r->n_blocks;
	msg->n_failed = r->n_bad;
	if (r->n_listed == 0)
		return FED_OK;
	Enfed__V1__BadBlock *b
	    = fed_rpc_ctx_alloc(call, r->n_listed * sizeof(*b));
	msg->bad = fed_rpc_ctx_alloc(call, r->n_listed * sizeof(*msg->bad));
	if (b == NULL || msg->bad == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < r->n_listed; i++) {
		enfed__v1__bad_block__init(&b[i]);
		b[i].series_id = fed_rpc_ctx_strdup(call, r->bad[i].series);
		b[i].reason = fed_rpc_ctx_strdup(call, r->bad[i].why);
		if (b[i].series_id == NULL || b[i].reason == NULL)
			return FED_RESOURCE_EXHAUSTED;
		b[i].from_ms = r->bad[i].from_ms;
		b[i].to_ms = r->bad[i].to_ms;
		msg->bad[i] = &b[i];
	}
	msg->n_bad = r->n_listed;
	return FED_OK;
}

static fed_status
check(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	(void) in;
	node_store_scrub_report rep;
	node_store_err err = {{0}};
	fed_status st = node_scrub_run(arg, &rep, &err);
	if (st != FED_OK)
		return fed_rpc_ctx_error(call, st, "%s", err.msg);
	return fill_report(call, &rep, (Enfed__V1__IntegrityReport *) out);
}

fed_status
node_scrub_register(fed_rpc_server *srv, node_scrub *s)
{
	static const fed_rpc_method methods[] = {{"Check", check}};
	return fed_rpc_server_add_service(
	    srv, &enfed__v1__integrity__descriptor, methods, 1, s);
}

fed_status
node_scrub_health(
    fed_rpc_ctx *call, Enfed__V1__HealthCheckResponse *rep, void *arg)
{
	node_store_scrub_report last;
	if (arg == NULL || !node_scrub_last(arg, &last))
		return FED_OK;
	Enfed__V1__IntegrityReport *msg
	    = fed_rpc_ctx_alloc(call, sizeof(*msg));
	if (msg == NULL)
		return FED_RESOURCE_EXHAUSTED;
	enfed__v1__integrity_report__init(msg);
	rep->last_check = msg;
	// Health needs no token: counts only, never a series' name.
	last.n_listed = 0;
	return fill_report(call, &last, msg);
}
