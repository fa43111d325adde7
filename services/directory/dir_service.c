// SPDX-License-Identifier: MIT
//
// dir_service.c: assembles a fed-directory (see dir_service.h) and runs
// its expiry thread, which wakes every check period on the monotonic
// clock and compares leases with the wall clock (leases are stored as UTC
// times, so that they mean the same after a restart).

#include "dir_service.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "dir_rpc.h"
#include "dir_store.h"
#include "fed/clock.h"
#include "fed/health.h"
#include "fed/log.h"
#include "fed/rpc.h"
#include "fed/scrub.h"
#include "fed/stream.h"

#define LOG "directory"

struct dir_service {
	dir_store *store;
	fed_stream_pub *pub;
	dir_rpc *rpc;
	fed_scrub *scrub;
	fed_rpc_server *srv;
	int64_t check_ms;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	bool stopping;
};

static void *
expiry_main(void *arg)
{
	dir_service *d = arg;
	pthread_mutex_lock(&d->mtx);
	while (!d->stopping) {
		pthread_mutex_unlock(&d->mtx);
		fed_status st
		    = dir_rpc_expire(d->rpc, fed_clock_now_ms(), NULL);
		if (st != FED_OK)
			fed_log(FED_LOG_WARNING, LOG,
			    "expiry check failed: %s", fed_status_name(st));
		pthread_mutex_lock(&d->mtx);
		struct timespec until
		    = fed_clock_deadline(CLOCK_MONOTONIC, d->check_ms);
		while (!d->stopping
		    && pthread_cond_timedwait(&d->cond, &d->mtx, &until) == 0)
			;
	}
	pthread_mutex_unlock(&d->mtx);
	return NULL;
}

static fed_status
start_expiry(dir_service *d)
{
	if (pthread_create(&d->thread, NULL, expiry_main, d) != 0)
		return FED_RESOURCE_EXHAUSTED;
	d->thread_started = true;
	return FED_OK;
}

static fed_status
start_stream(dir_service *d, const dir_service_opts *o)
{
	FED_TRY(fed_stream_pub_new(&d->pub));
	return fed_stream_pub_listen(d->pub, o->stream, o->tls);
}

static fed_status
check_store(void *arg, const atomic_int *stop, fed_scrub_report *out)
{
	return dir_store_check(arg, stop, out);
}

static fed_status
start_scrub(dir_service *d, const dir_service_opts *o)
{
	if (o->scrub_ms < 0)
		return FED_INVALID_ARGUMENT;
	fed_scrub_opts so = {.log = LOG,
	    .check = check_store,
	    .arg = d->store,
	    .interval_ms = o->scrub_ms};
	return fed_scrub_new(&so, &d->scrub);
}

static fed_status
start_rpc(dir_service *d, const dir_service_opts *o)
{
	dir_rpc_opts ro
	    = {d->store, d->pub, o->enrol_hash, o->lease_ms, o->admin_hash};
	FED_TRY(dir_rpc_new(&ro, &d->rpc));
	fed_rpc_server_opts so;
	fed_rpc_server_opts_default(&so);
	so.auth = dir_rpc_auth;
	so.auth_arg = d->rpc;
	so.name = "directory";
	if (o->n_workers > 0)
		so.n_workers = o->n_workers;
	FED_TRY(fed_rpc_server_new(&so, &d->srv));
	FED_TRY(dir_rpc_add(d->srv, d->rpc));
	FED_TRY(fed_scrub_register(d->srv, d->scrub));
	FED_TRY(fed_health_register_fill(
	    d->srv, "fed-directory", "directory", fed_scrub_health, d->scrub));
	FED_TRY(fed_rpc_server_listen(d->srv, o->listen, o->tls));
	return fed_rpc_server_start(d->srv);
}

fed_status
dir_service_new(const dir_service_opts *opts, dir_service **out)
{
	if (opts->check_ms <= 0 || opts->lease_ms <= 0)
		return FED_INVALID_ARGUMENT;
	dir_service *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return FED_RESOURCE_EXHAUSTED;
	d->check_ms = opts->check_ms;
	pthread_mutex_init(&d->mtx, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cond, &ca);
	pthread_condattr_destroy(&ca);
	fed_status st
	    = dir_store_open(opts->db_path, opts->sync_full, &d->store);
	if (st == FED_OK)
		st = start_scrub(d, opts);
	if (st == FED_OK)
		st = start_stream(d, opts);
	if (st == FED_OK)
		st = start_rpc(d, opts);
	if (st == FED_OK)
		st = start_expiry(d);
	if (st != FED_OK) {
		dir_service_free(d);
		return st;
	}
	*out = d;
	return FED_OK;
}

void
dir_service_free(dir_service *d)
{
	if (d == NULL)
		return;
	if (d->thread_started) {
		pthread_mutex_lock(&d->mtx);
		d->stopping = true;
		pthread_cond_signal(&d->cond);
		pthread_mutex_unlock(&d->mtx);
		pthread_join(d->thread, NULL);
	}
	fed_scrub_stop(d->scrub); // a check in progress ends at its next batch
	fed_rpc_server_free(d->srv);
	fed_scrub_free(d->scrub);
	dir_rpc_free(d->rpc);
	fed_stream_pub_free(d->pub);
	dir_store_close(d->store);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->mtx);
	free(d);
}
