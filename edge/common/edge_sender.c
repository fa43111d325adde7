// SPDX-License-Identifier: MIT
//
// edge_sender.c: spool first, then send; see edge_sender.h for the rules.
// The series registry (declarations and series.pb) is in edge_series.c.

#include "edge_sender.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edge_series.h"
#include "edge_thin.h"
#include "fed/clock.h"
#include "fed/log.h"
#include "fed/rpc.h"

#define LOG_EVERY_MS 60000

typedef struct mem_record {
	uint8_t *buf;
	size_t len;
} mem_record;

struct edge_sender {
	edge_sender_opts opts;
	char *node_url, *token, *spool_dir;
	fed_spool *spool; // index readings (and unknown series): never thinned
	fed_spool *samples; // raw samples (non-cumulative series): thinned
	fed_spool *dead;
	fed_rpc_client *rpc;
	edge_series reg;
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv; // stop requested, or a record acknowledged
	bool stop;
	edge_sender_stats st;
	mem_record *mem; // FIFO of mem_records entries, [mem_head, +n_mem)
	size_t mem_head, n_mem;
	int64_t log_retry_ms, log_spool_ms, log_thin_ms, log_spill_ms;
	// The samples spool is read by the sender and by thinning (collector
	// thread): both under samples_mu; thinning bumps samples_gen, and a
	// record the sender peeked before is then not acknowledged by it.
	pthread_mutex_t samples_mu;
	uint64_t samples_gen;
};

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
	opts->component = component;
}

FED_TESTABLE int64_t
edge_sender_next_backoff(int64_t cur, int64_t min_ms, int64_t max_ms)
{
	int64_t next = cur <= 0 ? min_ms : cur * 2;
	return next > max_ms ? max_ms : next;
}

static void
count(edge_sender *s, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&s->mu);
	*field += n;
	pthread_mutex_unlock(&s->mu);
}

static bool
stopping(edge_sender *s)
{
	pthread_mutex_lock(&s->mu);
	bool stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

// Waits ms or until stop is requested.
static void
pause_ms(edge_sender *s, int64_t ms)
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

// --- Sending ---------------------------------------------------------------

static bool
retryable(fed_status st)
{
	return st != FED_OK && st != FED_INVALID_ARGUMENT
	    && st != FED_NOT_FOUND;
}

// Copies a refused record to the dead-letter spool (the caller then
// acknowledges it in its spool).
static fed_status
park(edge_sender *s, const uint8_t *buf, size_t len, fed_status why,
    const char *msg)
{
	fed_status st = fed_spool_append(s->dead, buf, len);
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, s->opts.component,
		    "cannot park a refused record (%s): %s; it stays first "
		    "in the spool",
		    msg, fed_status_name(st));
		return st;
	}
	fed_log(FED_LOG_ERR, s->opts.component,
	    "node refused a record (%s: %s): parked in %s/dead",
	    fed_status_name(why), msg, s->spool_dir);
	count(s, &s->st.n_dead, 1);
	return FED_OK;
}

static fed_status
ingest(edge_sender *s, const Enfed__V1__IngestRequest *req, char *err,
    size_t err_len)
{
	Enfed__V1__IngestResponse *rep = NULL;
	fed_status st = fed_rpc_call(s->rpc,
	    &enfed__v1__series_store__descriptor, "Ingest", &req->base,
	    (ProtobufCMessage **) &rep, err, err_len);
	if (st != FED_OK)
		return st;
	pthread_mutex_lock(&s->mu);
	s->st.n_points_stored += rep->n_stored;
	s->st.n_points_duplicate += rep->n_duplicate;
	pthread_mutex_unlock(&s->mu);
	enfed__v1__ingest_response__free_unpacked(rep, NULL);
	return FED_OK;
}

// Acknowledges a record that was sent (counted) or parked.
static void
acked(edge_sender *s, fed_spool *sp, fed_spool_cursor next, bool sent)
{
	fed_status st = fed_spool_ack(sp, next);
	if (st != FED_OK)
		fed_log(FED_LOG_WARNING, s->opts.component,
		    "ack not persisted (%s): the record may be sent again",
		    fed_status_name(st));
	pthread_mutex_lock(&s->mu);
	s->st.n_sent += sent;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

// Notes the earliest point of the record about to be sent: how far behind
// the node is, for as long as the record waits (edge_sender_stats).
static void
note_oldest(edge_sender *s, const Enfed__V1__IngestRequest *req)
{
	int64_t oldest = INT64_MAX;
	for (size_t i = 0; i < req->n_series; i++)
		for (size_t k = 0; k < req->series[i]->n_ts_ms; k++)
			if (req->series[i]->ts_ms[k] < oldest)
				oldest = req->series[i]->ts_ms[k];
	pthread_mutex_lock(&s->mu);
	s->st.oldest_ts_ms = oldest != INT64_MAX ? oldest : 0;
	pthread_mutex_unlock(&s->mu);
}

// Sends one packed record. OK when the node took it or when it was refused
// for good and copied to the dead-letter spool: the caller then
// acknowledges it (*parked tells which). Otherwise the status to retry.
static fed_status
deliver(edge_sender *s, const uint8_t *buf, size_t len, bool *parked)
{
	*parked = true;
	Enfed__V1__IngestRequest *req
	    = enfed__v1__ingest_request__unpack(NULL, len, buf);
	if (req == NULL) {
		return park(
		    s, buf, len, FED_INVALID_ARGUMENT, "not an IngestRequest");
	}
	char err[256] = "";
	note_oldest(s, req);
	fed_status st = ingest(s, req, err, sizeof(err));
	if (st == FED_NOT_FOUND) {
		// The node may have lost its series: declare and try again
		// (a node that cannot be reached now is a retry, not a
		// refusal).
		edge_series_mark_all(&s->reg);
		st = edge_series_declare_pending(&s->reg, s->rpc);
		if (st == FED_OK)
			st = ingest(s, req, err, sizeof(err));
		else
			snprintf(err, sizeof(err), "declaring series again");
	}
	enfed__v1__ingest_request__free_unpacked(req, NULL);
	*parked = st != FED_OK;
	if (st == FED_OK)
		return FED_OK;
	if (!retryable(st))
		return park(s, buf, len, st, err);
	if (st == FED_UNAVAILABLE)
		edge_series_mark_all(&s->reg); // it may come back empty
	fed_log_limited(&s->log_retry_ms, LOG_EVERY_MS, FED_LOG_WARNING,
	    s->opts.component, "ingest: %s (%s); will retry", err,
	    fed_status_name(st));
	return st;
}

// Sends the oldest index record (the spool is only read by this thread).
static fed_status
send_index(edge_sender *s)
{
	const uint8_t *buf;
	size_t len;
	fed_spool_cursor next;
	FED_TRY(fed_spool_peek(s->spool, &buf, &len, &next));
	bool parked;
	FED_TRY(deliver(s, buf, len, &parked));
	acked(s, s->spool, next, !parked);
	return FED_OK;
}

// Sends the oldest samples record: copied under samples_mu (thinning may
// peek meanwhile), acknowledged only if no thinning came in between (the
// thinned copy of the record is then sent again: ingest is idempotent).
static fed_status
send_sample(edge_sender *s)
{
	const uint8_t *b;
	size_t len = 0;
	fed_spool_cursor next;
	pthread_mutex_lock(&s->samples_mu);
	fed_status st = fed_spool_peek(s->samples, &b, &len, &next);
	uint8_t *buf = st == FED_OK ? malloc(len) : NULL;
	if (buf != NULL)
		memcpy(buf, b, len);
	uint64_t gen = s->samples_gen;
	pthread_mutex_unlock(&s->samples_mu);
	if (st == FED_NOT_FOUND) {
		(void) fed_spool_wait(s->spool, 100);
		return FED_OK;
	}
	if (st != FED_OK || buf == NULL)
		return st != FED_OK ? st : FED_RESOURCE_EXHAUSTED;
	bool parked;
	st = deliver(s, buf, len, &parked);
	free(buf);
	if (st != FED_OK)
		return st;
	pthread_mutex_lock(&s->samples_mu);
	if (gen == s->samples_gen)
		acked(s, s->samples, next, !parked);
	pthread_mutex_unlock(&s->samples_mu);
	return FED_OK;
}

// Sends the oldest record, index readings first. OK when it was sent,
// parked or there was none; otherwise the status to retry after a backoff.
static fed_status
send_one(edge_sender *s)
{
	if (fed_spool_wait(s->spool, 0) == FED_OK)
		return send_index(s);
	return send_sample(s);
}

// note_oldest for the record that waits first (index readings first).
static void
note_head(edge_sender *s)
{
	const uint8_t *b = NULL;
	size_t len = 0;
	fed_spool_cursor next;
	bool samples = fed_spool_peek(s->spool, &b, &len, &next) != FED_OK;
	if (samples)
		pthread_mutex_lock(&s->samples_mu);
	if (!samples
	    || fed_spool_peek(s->samples, &b, &len, &next) == FED_OK) {
		Enfed__V1__IngestRequest *req
		    = enfed__v1__ingest_request__unpack(NULL, len, b);
		if (req != NULL)
			note_oldest(s, req);
		enfed__v1__ingest_request__free_unpacked(req, NULL);
	}
	if (samples)
		pthread_mutex_unlock(&s->samples_mu);
}

static void *
sender_main(void *arg)
{
	edge_sender *s = arg;
	int64_t backoff = 0;
	while (!stopping(s)) {
		fed_status st = edge_series_declare_pending(&s->reg, s->rpc);
		if (st == FED_OK)
			st = send_one(s);
		if (st == FED_OK) {
			backoff = 0;
			continue;
		}
		count(s, &s->st.n_retries, 1);
		note_head(s); // the call that failed may not have read it
		backoff = edge_sender_next_backoff(
		    backoff, s->opts.backoff_min_ms, s->opts.backoff_max_ms);
		pause_ms(s, backoff);
	}
	return NULL;
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
		count(s, &s->st.n_lost, 1);
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
	count(s, &s->st.n_index_spilled, 1);
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
		count(s, &s->st.n_points_thinned, n);
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
		count(s, &s->st.n_lost, 1);
		return FED_INVALID_ARGUMENT;
	}
	Enfed__V1__IngestRequest idx = ENFED__V1__INGEST_REQUEST__INIT;
	Enfed__V1__IngestRequest smp = ENFED__V1__INGEST_REQUEST__INIT;
	idx.series = calloc(req->n_series, sizeof(*idx.series));
	smp.series = calloc(req->n_series, sizeof(*smp.series));
	fed_status st = FED_RESOURCE_EXHAUSTED;
	if (idx.series != NULL && smp.series != NULL) {
		count(s, &s->st.n_submitted, 1);
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
		pause_ms(s, left < 50 ? left : 50);
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

// --- Life cycle
// --------------------------------------------------------------

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
	if (pthread_create(&s->thread, NULL, sender_main, s) != 0)
		return FED_RESOURCE_EXHAUSTED;
	s->started = true;
	return FED_OK;
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
	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
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
	pthread_mutex_destroy(&s->samples_mu);
	pthread_mutex_destroy(&s->mu);
	free(s->node_url);
	free(s->token);
	free(s->spool_dir);
	free(s);
}
