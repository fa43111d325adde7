// SPDX-License-Identifier: MIT
//
// edge_sender.c: spool first, then send; see edge_sender.h for the rules.
// This file holds the options, submitting and the life cycle; sending,
// with several calls in flight, is in edge_flight.c, and the series
// registry (declarations and series.pb) in edge_series.c.

#include "edge_sender.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edge_sender_internal.h"
#include "edge_series.h"
#include "edge_thin.h"
#include "fed/clock.h"
#include "fed/log.h"

#define LOG_EVERY_MS 60000

void
edge_sender_opts_default(edge_sender_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sync = FED_SPOOL_SYNC_EACH;
	o->spool_max_bytes = 64u << 20;
	o->rpc_timeout_ms = 10000;
	o->backoff_min_ms = 1000;
	o->backoff_max_ms = 60000;
	o->mem_records = 1024;
	o->samples_max_bytes = 16u << 20;
	o->component = "edge";
	o->in_flight = 4;
	o->batch_max = 64;
}

void
edge_sender_opts_from_cfg(edge_sender_opts *opts, const edge_sender_cfg *cfg,
    const char *node_url, const char *token, const char *component)
{
	edge_sender_opts_default(opts);
	opts->node_url = node_url;
	opts->token = token;
	opts->spool_dir = cfg->spool_dir;
	opts->sync = cfg->spool_sync == 1 ? FED_SPOOL_SYNC_GROUP
	                                  : FED_SPOOL_SYNC_EACH;
	opts->spool_max_bytes = cfg->spool_max;
	opts->samples_max_bytes = cfg->samples_max;
	opts->rpc_timeout_ms = (uint32_t) cfg->rpc_timeout_ms;
	opts->backoff_min_ms = cfg->backoff_min_ms;
	opts->backoff_max_ms = cfg->backoff_max_ms;
	opts->in_flight = (unsigned) cfg->in_flight;
	opts->batch_max = (unsigned) cfg->batch_max;
	opts->component = component;
}

void
edge_sender_count(edge_sender *s, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&s->mu);
	*field += n;
	pthread_mutex_unlock(&s->mu);
}

// Waits ms or until stop is requested.
void
edge_sender_pause(edge_sender *s, int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t) (ms / 1000);
	ts.tv_nsec += (long) (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (!s->stop
	    && pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&s->mu);
}

// --- Submitting ------------------------------------------------------------

static mem_record *
mem_at(edge_sender *s, size_t i)
{
	return &s->mem[(s->mem_head + i) % s->opts.mem_records];
}

static void
mem_pop(edge_sender *s)
{
	free(mem_at(s, 0)->buf);
	s->mem_head = (s->mem_head + 1) % s->opts.mem_records;
	pthread_mutex_lock(&s->mu);
	s->n_mem--;
	s->st.n_in_memory = s->n_mem;
	pthread_mutex_unlock(&s->mu);
}

static void
mem_push(edge_sender *s, uint8_t *buf, size_t len)
{
	if (s->n_mem == s->opts.mem_records) {
		fed_log(FED_LOG_ERR, s->opts.component,
		    "memory queue full: the oldest request (%zu bytes) is "
		    "lost",
		    mem_at(s, 0)->len);
		mem_pop(s);
		edge_sender_count(s, &s->st.n_lost, 1);
	}
	*mem_at(s, s->n_mem) = (mem_record) {buf, len};
	pthread_mutex_lock(&s->mu);
	s->n_mem++;
	s->st.n_in_memory = s->n_mem;
	pthread_mutex_unlock(&s->mu);
}

// Appends what memory holds, oldest first, while the spool takes it.
static fed_status
mem_flush(edge_sender *s)
{
	while (s->n_mem > 0) {
		mem_record *r = mem_at(s, 0);
		FED_TRY(fed_spool_append(s->spool, r->buf, r->len));
		mem_pop(s);
	}
	return FED_OK;
}

static fed_status
pack(const Enfed__V1__IngestRequest *req, uint8_t **buf, size_t *len)
{
	*len = enfed__v1__ingest_request__get_packed_size(req);
	*buf = malloc(*len > 0 ? *len : 1);
	if (*buf == NULL)
		return FED_RESOURCE_EXHAUSTED;
	enfed__v1__ingest_request__pack(req, *buf);
	return FED_OK;
}

static uint64_t
n_points(const Enfed__V1__IngestRequest *req)
{
	uint64_t n = 0;
	for (size_t i = 0; i < req->n_series; i++)
		n += req->series[i]->n_ts_ms;
	return n;
}

static bool
keep_index(void *arg, const char *series_id)
{
	edge_sender *s = arg;
	return edge_series_is_index(&s->reg, series_id);
}

// Appends to the samples spool; when it is full, its oldest half is
// thinned first (edge_thin.c: index readings spilled there are kept
// whole) and the append tried again.
static fed_status
samples_append(edge_sender *s, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&s->samples_mu);
	fed_status st = fed_spool_append(s->samples, buf, len);
	if (st == FED_RESOURCE_EXHAUSTED) {
		edge_thin_result r;
		edge_thin_oldest(
		    s->samples, s->opts.component, keep_index, s, &r);
		s->samples_gen++;
		pthread_mutex_lock(&s->mu);
		s->st.n_points_thinned += r.n_dropped;
		s->st.n_thin_rounds++;
		pthread_mutex_unlock(&s->mu);
		fed_log_limited(&s->log_thin_ms, LOG_EVERY_MS, FED_LOG_WARNING,
		    s->opts.component,
		    "samples spool full: %" PRIu64 " raw samples of the "
		    "oldest %" PRIu64 " records thinned (every other point "
		    "kept; index readings are never thinned)",
		    r.n_dropped, r.n_records);
		st = fed_spool_append(s->samples, buf, len);
	}
	pthread_mutex_unlock(&s->samples_mu);
	return st;
}

// Index readings the full main spool refuses go to the samples spool,
// where only raw samples are thinned to make room for them.
static fed_status
spill_index(edge_sender *s, const uint8_t *buf, size_t len)
{
	fed_status st = samples_append(s, buf, len);
	if (st != FED_OK)
		return st;
	edge_sender_count(s, &s->st.n_index_spilled, 1);
	fed_log_limited(&s->log_spill_ms, LOG_EVERY_MS, FED_LOG_WARNING,
	    s->opts.component,
	    "spool full: index readings go to the samples spool, whose raw "
	    "samples are thinned for them");
	return FED_OK;
}

// Raw samples: to the samples spool (thinned when full). A record that
// still does not fit is dropped, counted as thinned and logged.
static fed_status
submit_samples(edge_sender *s, const Enfed__V1__IngestRequest *req)
{
	uint8_t *buf;
	size_t len;
	FED_TRY(pack(req, &buf, &len));
	fed_status st = samples_append(s, buf, len);
	free(buf);
	if (st != FED_OK) {
		uint64_t n = n_points(req);
		edge_sender_count(s, &s->st.n_points_thinned, n);
		fed_log_limited(&s->log_thin_ms, LOG_EVERY_MS, FED_LOG_ERR,
		    s->opts.component,
		    "samples spool refuses a record (%s): its %" PRIu64
		    " raw samples are dropped",
		    fed_status_name(st), n);
	}
	return st;
}

// Index readings: to the main spool; when it is full, spilled into the
// samples spool (raw samples thinned for them); held in memory when both
// refuse.
static fed_status
submit_index(edge_sender *s, const Enfed__V1__IngestRequest *req)
{
	uint8_t *buf;
	size_t len;
	FED_TRY(pack(req, &buf, &len));
	fed_status st = mem_flush(s);
	if (st == FED_OK)
		st = fed_spool_append(s->spool, buf, len);
	if (st == FED_RESOURCE_EXHAUSTED && spill_index(s, buf, len) == FED_OK)
		st = FED_OK;
	if (st == FED_OK) {
		free(buf);
		return FED_OK;
	}
	fed_log_limited(&s->log_spool_ms, LOG_EVERY_MS, FED_LOG_ERR,
	    s->opts.component,
	    "spool refuses records (%s): keeping them in "
	    "memory",
	    fed_status_name(st));
	mem_push(s, buf, len);
	return FED_RESOURCE_EXHAUSTED;
}

// The series of req split into index readings and raw samples (arrays of
// req->n_series pointers, borrowed from req).
static void
split(edge_sender *s, const Enfed__V1__IngestRequest *req,
    Enfed__V1__IngestRequest *idx, Enfed__V1__IngestRequest *smp)
{
	for (size_t i = 0; i < req->n_series; i++) {
		Enfed__V1__SeriesPoints *sp = req->series[i];
		if (edge_series_is_index(&s->reg, sp->series_id))
			idx->series[idx->n_series++] = sp;
		else
			smp->series[smp->n_series++] = sp;
	}
}

fed_status
edge_sender_submit(edge_sender *s, const Enfed__V1__IngestRequest *req)
{
	size_t len = enfed__v1__ingest_request__get_packed_size(req);
	if (req->n_series == 0 || len == 0 || len > (1u << 20)) {
		fed_log(FED_LOG_ERR, s->opts.component,
		    "request of %zu series, %zu bytes: not spooled",
		    req->n_series, len);
		edge_sender_count(s, &s->st.n_lost, 1);
		return FED_INVALID_ARGUMENT;
	}
	Enfed__V1__IngestRequest idx = ENFED__V1__INGEST_REQUEST__INIT;
	Enfed__V1__IngestRequest smp = ENFED__V1__INGEST_REQUEST__INIT;
	idx.series = calloc(req->n_series, sizeof(*idx.series));
	smp.series = calloc(req->n_series, sizeof(*smp.series));
	fed_status st = FED_RESOURCE_EXHAUSTED;
	if (idx.series != NULL && smp.series != NULL) {
		edge_sender_count(s, &s->st.n_submitted, 1);
		// series.pb first: no spooled record may name a series it
		// lacks.
		(void) edge_series_save(&s->reg);
		split(s, req, &idx, &smp);
		st = FED_OK;
		if (idx.n_series > 0)
			st = submit_index(s, &idx);
		if (smp.n_series > 0) {
			fed_status st2 = submit_samples(s, &smp);
			if (st == FED_OK)
				st = st2;
		}
	}
	free(idx.series);
	free(smp.series);
	return st;
}

fed_status
edge_sender_declare(edge_sender *s, const Enfed__V1__SeriesMeta *meta)
{
	return edge_series_add(&s->reg, meta);
}

fed_status
edge_sender_drain(edge_sender *s, int64_t timeout_ms)
{
	int64_t end = fed_clock_mono_ms() + timeout_ms;
	uint64_t tried_at = UINT64_MAX; // spool size at the last flush try
	for (;;) {
		uint64_t n = 0, n_samples = 0;
		fed_spool_pending(s->spool, &n, NULL);
		fed_spool_pending(s->samples, &n_samples, NULL);
		if (n == 0 && n_samples == 0 && s->n_mem == 0)
			return FED_OK;
		if (s->n_mem > 0 && n != tried_at) { // room may have come
			tried_at = n;
			(void) mem_flush(s);
		}
		int64_t left = end - fed_clock_mono_ms();
		if (left <= 0)
			return FED_DEADLINE_EXCEEDED;
		edge_sender_pause(s, left < 50 ? left : 50);
	}
}

void
edge_sender_get_stats(edge_sender *s, edge_sender_stats *st)
{
	uint64_t n = 0, n_samples = 0, len = 0, len_samples = 0;
	fed_spool_stats main_st, samples_st;
	fed_spool_pending(s->spool, &n, &len);
	fed_spool_pending(s->samples, &n_samples, &len_samples);
	fed_spool_get_stats(s->spool, &main_st);
	fed_spool_get_stats(s->samples, &samples_st);
	pthread_mutex_lock(&s->mu);
	*st = s->st;
	pthread_mutex_unlock(&s->mu);
	// Records the spools found damaged are lost requests too.
	st->n_lost += main_st.n_records_lost + samples_st.n_records_lost;
	st->n_pending = n + n_samples;
	st->n_samples_pending = n_samples;
	st->pending_bytes = len + len_samples;
	st->samples_pending_bytes = len_samples;
	if (st->n_pending == 0)
		st->oldest_ts_ms = 0;
	st->n_declared = edge_series_n_declared(&s->reg);
}

// --- Life cycle -----------------------------------------------------------

static fed_status
check_opts(const edge_sender_opts *o)
{
	const char *bad = NULL;
	if (o->node_url == NULL || o->node_url[0] == '\0')
		bad = "node_url";
	else if (o->spool_dir == NULL || o->spool_dir[0] == '\0')
		bad = "spool_dir";
	else if (o->spool_max_bytes < (1u << 20))
		bad = "spool_max_bytes";
	else if (o->rpc_timeout_ms < 100 || o->rpc_timeout_ms > 600000)
		bad = "rpc_timeout_ms";
	else if (o->backoff_min_ms < 10
	    || o->backoff_max_ms < o->backoff_min_ms)
		bad = "backoff_min_ms/backoff_max_ms";
	else if (o->mem_records == 0 || o->mem_records > 1000000)
		bad = "mem_records";
	else if (o->samples_max_bytes < (2u << 20))
		bad = "samples_max_bytes";
	else if (o->in_flight < 1 || o->in_flight > EDGE_SENDER_IN_FLIGHT_MAX)
		bad = "in_flight";
	else if (o->batch_max < 1 || o->batch_max > EDGE_SENDER_BATCH_MAX)
		bad = "batch_max";
	if (bad == NULL)
		return FED_OK;
	fed_log(FED_LOG_ERR, "edge", "sender options: bad %s", bad);
	return FED_INVALID_ARGUMENT;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static fed_status
open_spools(edge_sender *s)
{
	fed_spool_opts so = FED_SPOOL_OPTS_DEFAULT;
	so.sync = s->opts.sync;
	so.max_bytes = s->opts.spool_max_bytes;
	if (so.segment_bytes > so.max_bytes)
		so.segment_bytes = so.max_bytes;
	FED_TRY(fed_spool_open(s->spool_dir, &so, &s->spool));
	char dead[4096];
	int n = snprintf(dead, sizeof(dead), "%s/dead", s->spool_dir);
	if (n < 0 || (size_t) n >= sizeof(dead))
		return FED_INVALID_ARGUMENT;
	fed_spool_opts d = FED_SPOOL_OPTS_DEFAULT;
	d.max_bytes = so.max_bytes;
	d.segment_bytes = so.segment_bytes;
	FED_TRY(fed_spool_open(dead, &d, &s->dead));
	n = snprintf(dead, sizeof(dead), "%s/samples", s->spool_dir);
	if (n < 0 || (size_t) n >= sizeof(dead))
		return FED_INVALID_ARGUMENT;
	fed_spool_opts m = so;
	m.max_bytes = s->opts.samples_max_bytes;
	// Segments of an eighth of the cap: thinning half of it frees whole
	// segments on disk, not only in the count.
	m.segment_bytes = m.max_bytes / 8;
	return fed_spool_open(dead, &m, &s->samples);
}

static fed_status
start(edge_sender *s)
{
	FED_TRY(open_spools(s));
	FED_TRY(edge_series_load(&s->reg));
	fed_rpc_client_opts ro;
	fed_rpc_client_opts_default(&ro);
	ro.url = s->node_url;
	ro.token = s->token;
	ro.timeout_ms = s->opts.rpc_timeout_ms;
	ro.tls = s->opts.tls;
	fed_status st = fed_rpc_client_new(&ro, &s->rpc);
	s->opts.tls = NULL; // borrowed until here only
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, s->opts.component,
		    "cannot dial the node %s: %s", s->node_url,
		    fed_status_str(st));
		return st;
	}
	return edge_flight_start(s);
}

fed_status
edge_sender_new(const edge_sender_opts *opts, edge_sender **out)
{
	FED_TRY(check_opts(opts));
	edge_sender *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return FED_RESOURCE_EXHAUSTED;
	s->opts = *opts;
	if (s->opts.component == NULL)
		s->opts.component = "edge";
	s->node_url = dup_or_null(opts->node_url);
	s->token = dup_or_null(opts->token);
	s->spool_dir = dup_or_null(opts->spool_dir);
	s->mem = calloc(opts->mem_records, sizeof(*s->mem));
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->samples_mu, NULL);
	pthread_mutex_init(&s->declare_mu, NULL);
	pthread_cond_init(&s->work_cv, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	fed_status st = FED_RESOURCE_EXHAUSTED;
	if (s->node_url != NULL && s->spool_dir != NULL && s->mem != NULL
	    && (opts->token == NULL || s->token != NULL)
	    && edge_series_init(&s->reg, s->spool_dir, s->opts.component)
	        == FED_OK)
		st = start(s);
	if (st != FED_OK) {
		edge_sender_free(s);
		return st;
	}
	*out = s;
	return FED_OK;
}

// What memory still holds goes to the spool, or is counted as lost.
static void
flush_at_exit(edge_sender *s)
{
	if (s->spool == NULL || s->n_mem == 0)
		return;
	fed_status st = mem_flush(s);
	if (st == FED_OK)
		return;
	fed_log(FED_LOG_ERR, s->opts.component,
	    "stopping: %zu requests held in memory are lost (%s)", s->n_mem,
	    fed_status_name(st));
	s->st.n_lost += s->n_mem;
	while (s->n_mem > 0)
		mem_pop(s);
}

void
edge_sender_free(edge_sender *s)
{
	if (s == NULL)
		return;
	edge_flight_stop(s);
	flush_at_exit(s);
	if (s->reg.path != NULL)
		(void) edge_series_save(&s->reg);
	fed_rpc_client_free(s->rpc);
	fed_spool_close(s->dead);
	fed_spool_close(s->samples);
	fed_spool_close(s->spool);
	edge_series_fini(&s->reg);
	free(s->mem);
	pthread_cond_destroy(&s->cv);
	pthread_cond_destroy(&s->work_cv);
	pthread_mutex_destroy(&s->declare_mu);
	pthread_mutex_destroy(&s->samples_mu);
	pthread_mutex_destroy(&s->mu);
	free(s->node_url);
	free(s->token);
	free(s->spool_dir);
	free(s);
}
