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
	fed_spool *spool;
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
	int64_t log_retry_ms, log_spool_ms;
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
	o->component = "edge";
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

// Moves the record to the dead-letter spool, then acknowledges it.
static fed_status
park(edge_sender *s, const uint8_t *buf, size_t len, fed_spool_cursor next,
    fed_status why, const char *msg)
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
	return fed_spool_ack(s->spool, next);
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

static void
acked(edge_sender *s, fed_spool_cursor next)
{
	fed_status st = fed_spool_ack(s->spool, next);
	if (st != FED_OK)
		fed_log(FED_LOG_WARNING, s->opts.component,
		    "ack not persisted (%s): the record may be sent again",
		    fed_status_name(st));
	pthread_mutex_lock(&s->mu);
	s->st.n_sent++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

// Sends the oldest record. OK when it was sent, parked or there was none;
// otherwise the status to retry after a backoff.
static fed_status
send_one(edge_sender *s)
{
	if (fed_spool_wait(s->spool, 200) != FED_OK)
		return FED_OK;
	const uint8_t *buf;
	size_t len;
	fed_spool_cursor next;
	FED_TRY(fed_spool_peek(s->spool, &buf, &len, &next));
	Enfed__V1__IngestRequest *req
	    = enfed__v1__ingest_request__unpack(NULL, len, buf);
	if (req == NULL)
		return park(s, buf, len, next, FED_INVALID_ARGUMENT,
		    "not an IngestRequest");
	char err[256] = "";
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
	if (st == FED_OK) {
		acked(s, next);
		return FED_OK;
	}
	if (!retryable(st))
		return park(s, buf, len, next, st, err);
	if (st == FED_UNAVAILABLE)
		edge_series_mark_all(&s->reg); // it may come back empty
	fed_log_limited(&s->log_retry_ms, LOG_EVERY_MS, FED_LOG_WARNING,
	    s->opts.component, "ingest: %s (%s); will retry", err,
	    fed_status_name(st));
	return st;
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
	uint8_t *buf = malloc(len);
	if (buf == NULL)
		return FED_RESOURCE_EXHAUSTED;
	enfed__v1__ingest_request__pack(req, buf);
	count(s, &s->st.n_submitted, 1);
	// series.pb first: no spooled record may name a series it lacks.
	(void) edge_series_save(&s->reg);
	fed_status st = mem_flush(s);
	if (st == FED_OK)
		st = fed_spool_append(s->spool, buf, len);
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
		uint64_t n = 0;
		fed_spool_pending(s->spool, &n, NULL);
		if (n == 0 && s->n_mem == 0)
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
	uint64_t n = 0;
	fed_spool_pending(s->spool, &n, NULL);
	pthread_mutex_lock(&s->mu);
	*st = s->st;
	pthread_mutex_unlock(&s->mu);
	st->n_pending = n;
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
	return fed_spool_open(dead, &d, &s->dead);
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
	FED_TRY(fed_rpc_client_new(&ro, &s->rpc));
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
	fed_spool_close(s->spool);
	edge_series_fini(&s->reg);
	free(s->mem);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->node_url);
	free(s->token);
	free(s->spool_dir);
	free(s);
}
