// SPDX-License-Identifier: MIT
//
// edge_flight.c: the sending half of edge_sender, with up to in_flight
// Ingest calls at once (edge_sender.h has the rules of what is retried,
// parked and declared; docs/edge.md why the calls are partitioned so).
//
// A dispatcher thread reads records ahead of the spool's acknowledgement
// (fed_spool_peek_after) into a window, in spool order, and queues them
// for in_flight worker threads, each of which makes one blocking call at
// a time on the shared RPC client (one REQ socket, one nng context per
// call). Order per series: a record is queued only when no earlier record
// of the window that is not done holds one of its series. So two calls in
// flight never hold the same series, and a series' record goes out only
// once every earlier record of that series is committed (or parked): its
// later points can never be committed before its earlier ones, also
// across retries. Records of other series pass a blocked one.
//
// A call may carry several records: the first one queued and the later
// waiting records of the window that hold only series of the first's and
// have no earlier record outside the call left to commit, merged into one
// request (each series' points in record order; one transaction on the
// node), at most batch_max records and GROUP_MAX_BYTES. A single meter's
// backlog thus goes out in a few large calls rather than many small ones.
// A merged call the node refuses for good (INVALID_ARGUMENT, NOT_FOUND
// after declaring again) is split: its records go again one per call, so
// that only the refused one is parked.
//
// Exactly-once: a record is acknowledged in the spool only once it and
// every record before it are done (the acknowledgement advances over the
// contiguous prefix of done records, in one cursor write); a crash or a
// stop resends the rest, which the node's Ingest, idempotent on (series,
// ts), stores once. A failed call goes back to waiting and is sent again
// after the backoff (nothing else is queued before then); a call that
// timed out may still commit on the node, which the resend then finds
// duplicate.

#include "edge_sender_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_merge.h"
#include "edge_series.h"
#include "fed/clock.h"
#include "fed/log.h"

#define LOG_EVERY_MS     60000
#define WINDOW_PER_CALL  8 // records read ahead per call, at least
#define WINDOW_MAX_BYTES (1u << 20) // of copies, beyond the first record
#define IDLE_POLL_MS     20 // new records while calls are in flight
#define WORKER_STACK     (512u << 10)
#define GROUP_MAX_BYTES  (256u << 10) // of packed records in one call

FED_TESTABLE int64_t
edge_sender_next_backoff(int64_t cur, int64_t min_ms, int64_t max_ms)
{
	int64_t next = cur <= 0 ? min_ms : cur * 2;
	return next > max_ms ? max_ms : next;
}

// --- One call -------------------------------------------------------------

static bool
retryable(fed_status st)
{
	return st != FED_OK && st != FED_INVALID_ARGUMENT
	    && st != FED_NOT_FOUND;
}

// Copies a refused record to the dead-letter spool (the dispatcher then
// acknowledges it in its spool).
static fed_status
park(edge_sender *s, const edge_rec *r, fed_status why, const char *msg)
{
	fed_status st = fed_spool_append(s->dead, r->buf, r->len);
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, s->opts.component,
		    "cannot park a refused record (%s): %s; it stays in "
		    "the spool",
		    msg, fed_status_name(st));
		return st;
	}
	fed_log(FED_LOG_ERR, s->opts.component,
	    "node refused a record (%s: %s): parked in %s/dead",
	    fed_status_name(why), msg, s->spool_dir);
	edge_sender_count(s, &s->st.n_dead, 1);
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

static fed_status
declare_pending(edge_sender *s)
{
	pthread_mutex_lock(&s->declare_mu);
	fed_status st = edge_series_declare_pending(&s->reg, s->rpc);
	pthread_mutex_unlock(&s->declare_mu);
	return st;
}

// After a NOT_FOUND: the node may have lost its series (a new database),
// so every series is declared again, but at most once a minute; in
// between, only those not declared yet. A series the node will not create
// (its quota, its policy: logged by edge_series) then costs its records
// a refusal each, not a CreateSeries of every series each.
static fed_status
redeclare(edge_sender *s)
{
	pthread_mutex_lock(&s->declare_mu);
	int64_t now = fed_clock_mono_ms();
	if (s->redeclared_ms == 0 || now - s->redeclared_ms >= 60000) {
		edge_series_mark_all(&s->reg);
		s->redeclared_ms = now;
	}
	fed_status st = edge_series_declare_pending(&s->reg, s->rpc);
	pthread_mutex_unlock(&s->declare_mu);
	return st;
}

// Sends one record (on a worker). OK when the node took it or when it was
// refused for good and copied to the dead-letter spool (*parked tells
// which). Otherwise the status to retry.
static fed_status
deliver(edge_sender *s, const edge_rec *r, bool *parked)
{
	*parked = true;
	if (r->req == NULL)
		return park(
		    s, r, FED_INVALID_ARGUMENT, "not an IngestRequest");
	char err[256] = "";
	fed_status st = ingest(s, r->req, err, sizeof(err));
	if (st == FED_NOT_FOUND) {
		// The node may have lost its series: declare and try again
		// (a node that cannot be reached now is a retry, not a
		// refusal).
		st = redeclare(s);
		if (st == FED_OK)
			st = ingest(s, r->req, err, sizeof(err));
		else
			snprintf(err, sizeof(err), "declaring series again");
	}
	*parked = st != FED_OK;
	if (st == FED_OK)
		return FED_OK;
	if (!retryable(st))
		return park(s, r, st, err);
	if (st == FED_UNAVAILABLE)
		edge_series_mark_all(&s->reg); // it may come back empty
	// Workers fail together (the node went away): one line a minute in
	// all, its clock under s->mu.
	pthread_mutex_lock(&s->mu);
	fed_log_limited(&s->log_retry_ms, LOG_EVERY_MS, FED_LOG_WARNING,
	    s->opts.component, "ingest: %s (%s); will retry", err,
	    fed_status_name(st));
	pthread_mutex_unlock(&s->mu);
	return st;
}

// --- Several records in one call -------------------------------------------

// What a call of several records came to, for each of them.
typedef enum group_result {
	GROUP_DONE, // the node took them all
	GROUP_FAILED, // to retry after the backoff
	GROUP_SPLIT, // refused for good: each is sent alone, to park only
	             // the culprit
} group_result;

static group_result
deliver_group(edge_sender *s, edge_rec *const *recs, size_t n)
{
	Enfed__V1__IngestRequest m = ENFED__V1__INGEST_REQUEST__INIT;
	if (edge_merge(recs, n, &m) != FED_OK)
		return GROUP_SPLIT;
	char err[256] = "";
	fed_status st = ingest(s, &m, err, sizeof(err));
	if (st == FED_NOT_FOUND) {
		st = redeclare(s);
		if (st == FED_OK)
			st = ingest(s, &m, err, sizeof(err));
	}
	edge_merge_free(&m);
	if (st == FED_OK)
		return GROUP_DONE;
	if (!retryable(st)) {
		fed_log(FED_LOG_NOTICE, s->opts.component,
		    "node refused a call of %zu records (%s: %s): sending "
		    "them one by one",
		    n, fed_status_name(st), err);
		return GROUP_SPLIT;
	}
	if (st == FED_UNAVAILABLE)
		edge_series_mark_all(&s->reg);
	pthread_mutex_lock(&s->mu);
	fed_log_limited(&s->log_retry_ms, LOG_EVERY_MS, FED_LOG_WARNING,
	    s->opts.component, "ingest: %s (%s); will retry", err,
	    fed_status_name(st));
	pthread_mutex_unlock(&s->mu);
	return GROUP_FAILED;
}

// --- Workers --------------------------------------------------------------

// The records of the first call queued and not yet taken, marked flying
// (s->mu held): their number, 0 when none.
static size_t
take_queued(edge_sender *s, edge_rec **recs)
{
	for (size_t i = 0; i < s->w_n; i++) {
		edge_rec *r = &s->win[(s->w_head + i) % s->n_window];
		if (r->state != EDGE_REC_QUEUED || r->n_group == 0)
			continue;
		size_t n = 0;
		for (; r != NULL && n < EDGE_SENDER_BATCH_MAX;
		     r = r->group_next) {
			r->state = EDGE_REC_FLYING;
			recs[n++] = r;
		}
		return n;
	}
	return 0;
}

// Sends the n records of one call; their states after it (s->mu held
// on return, not on entry).
static void
call(edge_sender *s, edge_rec *const *recs, size_t n)
{
	if (n == 1) {
		bool parked;
		fed_status st = deliver(s, recs[0], &parked);
		pthread_mutex_lock(&s->mu);
		recs[0]->state
		    = st == FED_OK ? EDGE_REC_DONE : EDGE_REC_FAILED;
		recs[0]->parked = parked;
		return;
	}
	group_result g = deliver_group(s, recs, n);
	pthread_mutex_lock(&s->mu);
	for (size_t k = 0; k < n; k++) {
		recs[k]->state = g == GROUP_DONE ? EDGE_REC_DONE
		    : g == GROUP_FAILED          ? EDGE_REC_FAILED
		                                 : EDGE_REC_WAITING;
		recs[k]->alone = g == GROUP_SPLIT;
		recs[k]->parked = false;
	}
}

static void *
worker_main(void *arg)
{
	edge_sender *s = arg;
	edge_rec *recs[EDGE_SENDER_BATCH_MAX];
	pthread_mutex_lock(&s->mu);
	for (;;) {
		size_t n = 0;
		while (!s->stop && (n = take_queued(s, recs)) == 0)
			pthread_cond_wait(&s->work_cv, &s->mu);
		if (n == 0)
			break;
		pthread_mutex_unlock(&s->mu);
		call(s, recs, n);
		s->n_flying--;
		s->n_ended++;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

// --- The window ------------------------------------------------------------

static edge_rec *
rec_at(edge_sender *s, size_t i)
{
	return &s->win[(s->w_head + i) % s->n_window];
}

static uint64_t
key_of(const char *id)
{
	uint64_t h = UINT64_C(14695981039346656037); // FNV-1a
	for (const unsigned char *p = (const unsigned char *) id; *p; p++)
		h = (h ^ *p) * UINT64_C(1099511628211);
	return h;
}

static void
rec_free(edge_rec *r)
{
	free(r->buf);
	enfed__v1__ingest_request__free_unpacked(r->req, NULL);
	free(r->keys);
	memset(r, 0, sizeof(*r));
}

// Fills r from a copy of the record buf[0..len): unpacked, its series'
// keys, its earliest point. RESOURCE_EXHAUSTED when memory is short.
static fed_status
rec_fill(edge_rec *r, const uint8_t *buf, size_t len, fed_spool_cursor next)
{
	memset(r, 0, sizeof(*r));
	r->buf = malloc(len);
	if (r->buf == NULL)
		return FED_RESOURCE_EXHAUSTED;
	memcpy(r->buf, buf, len);
	r->len = len;
	r->next = next;
	r->req = enfed__v1__ingest_request__unpack(NULL, len, r->buf);
	size_t n = r->req != NULL ? r->req->n_series : 0;
	r->keys = calloc(n > 0 ? n : 1, sizeof(*r->keys));
	if (r->keys == NULL) {
		rec_free(r);
		return FED_RESOURCE_EXHAUSTED;
	}
	int64_t oldest = INT64_MAX;
	for (size_t i = 0; i < n; i++) {
		const Enfed__V1__SeriesPoints *sp = r->req->series[i];
		r->keys[r->n_keys++] = key_of(sp->series_id);
		for (size_t k = 0; k < sp->n_ts_ms; k++)
			if (sp->ts_ms[k] < oldest)
				oldest = sp->ts_ms[k];
	}
	r->oldest_ts_ms = oldest != INT64_MAX ? oldest : 0;
	return FED_OK;
}

// Reads the record after w_end of the window's spool into a copy (the
// samples spool under samples_mu, and only while no thinning went
// through it since the window started). OK, NOT_FOUND, or a read error.
static fed_status
read_next(edge_sender *s, edge_rec *r)
{
	const uint8_t *buf;
	size_t len;
	fed_spool_cursor next;
	bool samples = s->w_src == s->samples;
	if (samples)
		pthread_mutex_lock(&s->samples_mu);
	fed_status st = FED_NOT_FOUND;
	if (samples && s->samples_gen != s->w_gen)
		s->w_stale = true;
	else
		st = fed_spool_peek_after(
		    s->w_src, s->w_end, &buf, &len, &next);
	if (st == FED_OK)
		st = rec_fill(r, buf, len, next);
	if (samples)
		pthread_mutex_unlock(&s->samples_mu);
	return st;
}

// Picks the spool of an empty window: index readings first.
static void
window_begin(edge_sender *s)
{
	s->w_end = (fed_spool_cursor) {0, 0};
	s->w_src
	    = fed_spool_wait(s->spool, 0) == FED_OK ? s->spool : s->samples;
	pthread_mutex_lock(&s->samples_mu);
	s->w_gen = s->samples_gen;
	pthread_mutex_unlock(&s->samples_mu);
}

// Reads records ahead into the window while it has room. A samples window
// takes no more once index readings wait: it drains, then the next window
// is of the main spool. A read error with an empty window is returned
// (retried after the backoff).
static fed_status
fill(edge_sender *s)
{
	if (s->w_stale)
		return FED_OK;
	if (s->w_n == 0)
		window_begin(s);
	else if (s->w_src == s->samples
	    && fed_spool_wait(s->spool, 0) == FED_OK)
		return FED_OK;
	while (s->w_n < s->n_window
	    && (s->w_n == 0 || s->w_bytes < WINDOW_MAX_BYTES)) {
		edge_rec r;
		fed_status st = read_next(s, &r);
		if (st != FED_OK)
			return st == FED_NOT_FOUND || s->w_n > 0 ? FED_OK : st;
		pthread_mutex_lock(&s->mu);
		*rec_at(s, s->w_n) = r;
		s->w_n++;
		// The window's first record is the oldest waiting: its age is
		// known from now on, whether or not a call is ever made (a
		// node down from the start fails the declarations first).
		if (s->w_n == 1)
			s->st.oldest_ts_ms = r.oldest_ts_ms;
		pthread_mutex_unlock(&s->mu);
		s->w_bytes += r.len;
		s->w_end = r.next;
	}
	return FED_OK;
}

static bool
shares_series(const edge_rec *a, const edge_rec *b)
{
	for (size_t i = 0; i < a->n_keys; i++)
		for (size_t k = 0; k < b->n_keys; k++)
			if (a->keys[i] == b->keys[k])
				return true;
	return false;
}

// Whether record i may be sent now: no earlier record that is not done
// holds one of its series (s->mu held).
static bool
may_fly(edge_sender *s, size_t i)
{
	const edge_rec *r = rec_at(s, i);
	for (size_t k = 0; k < i; k++) {
		const edge_rec *e = rec_at(s, k);
		if (e->state != EDGE_REC_DONE && shares_series(e, r))
			return false;
	}
	return true;
}

static bool
keys_within(const edge_rec *r, const edge_rec *lead)
{
	for (size_t i = 0; i < r->n_keys; i++) {
		bool found = false;
		for (size_t k = 0; k < lead->n_keys && !found; k++)
			found = r->keys[i] == lead->keys[k];
		if (!found)
			return false;
	}
	return true;
}

// Whether record k may join the call being formed (its records marked
// `grouping`): no earlier record outside it that is not done holds one
// of its series.
static bool
may_join(edge_sender *s, size_t k)
{
	const edge_rec *r = rec_at(s, k);
	for (size_t j = 0; j < k; j++) {
		const edge_rec *e = rec_at(s, j);
		if (e->state != EDGE_REC_DONE && !e->grouping
		    && shares_series(e, r))
			return false;
	}
	return true;
}

// Forms the call that starts at record lead: with it, the later waiting
// records of the window that hold only series of lead's and may join
// (in window order, so each series' points stay in order within the
// call), within opts.batch_max records and GROUP_MAX_BYTES. Records of other
// series are left for other calls, which may then fly beside this one.
// Returns the number of records, linked through group_next (s->mu held).
static size_t
group_form(edge_sender *s, size_t lead)
{
	edge_rec *first = rec_at(s, lead), *last = first;
	size_t n = 1, bytes = first->len;
	first->group_next = NULL;
	first->grouping = true;
	for (size_t k = lead + 1;
	     edge_merge_ok(first) && k < s->w_n && n < s->opts.batch_max;
	     k++) {
		edge_rec *r = rec_at(s, k);
		if (r->state != EDGE_REC_WAITING || !edge_merge_ok(r)
		    || bytes + r->len > GROUP_MAX_BYTES
		    || !keys_within(r, first) || !may_join(s, k))
			continue;
		r->grouping = true;
		r->group_next = NULL;
		last->group_next = r;
		last = r;
		bytes += r->len;
		n++;
	}
	for (edge_rec *r = first; r != NULL; r = r->group_next) {
		r->grouping = false;
		r->state = EDGE_REC_QUEUED;
		r->n_group = r == first ? n : 0;
	}
	return n;
}

// Queues the waiting records that may fly, in order, up to in_flight
// calls at once; a call also takes later records of the same series
// (group_form: one transaction, the order within kept).
static void
dispatch(edge_sender *s)
{
	pthread_mutex_lock(&s->mu);
	size_t queued = 0;
	for (size_t i = 0; i < s->w_n && s->n_flying < s->opts.in_flight;
	     i++) {
		if (rec_at(s, i)->state != EDGE_REC_WAITING || !may_fly(s, i))
			continue;
		(void) group_form(s, i);
		s->n_flying++;
		queued++;
	}
	if (queued > 0)
		pthread_cond_broadcast(&s->work_cv);
	pthread_mutex_unlock(&s->mu);
}

// Acknowledges the first n records of the window (done, n_sent of them
// sent) in their spool: the samples spool only if no thinning went
// through it meanwhile. Counted before the ack, so that whoever sees the
// spool empty sees them counted.
static void
ack_prefix(edge_sender *s, size_t n, uint64_t n_sent)
{
	fed_spool_cursor to = rec_at(s, n - 1)->next;
	bool samples = s->w_src == s->samples;
	fed_status st = FED_OK;
	if (samples)
		pthread_mutex_lock(&s->samples_mu);
	if (samples && s->samples_gen != s->w_gen) {
		s->w_stale = true;
	} else {
		edge_sender_count(s, &s->st.n_sent, n_sent);
		st = fed_spool_ack(s->w_src, to);
	}
	if (samples)
		pthread_mutex_unlock(&s->samples_mu);
	if (st != FED_OK)
		fed_log(FED_LOG_WARNING, s->opts.component,
		    "ack not persisted (%s): records may be sent again",
		    fed_status_name(st));
}

// Drops the first n records of the window.
static void
window_pop(edge_sender *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		edge_rec *r = rec_at(s, i);
		s->w_bytes -= r->len;
		rec_free(r);
	}
	pthread_mutex_lock(&s->mu);
	s->w_head = (s->w_head + n) % s->n_window;
	s->w_n -= n;
	pthread_mutex_unlock(&s->mu);
}

// Failed calls go back to waiting (their count returned); the done prefix
// is counted and its length returned in *n_done.
static uint64_t
collect(edge_sender *s, size_t *n_done, uint64_t *n_sent)
{
	uint64_t n_failed = 0;
	*n_done = 0;
	*n_sent = 0;
	pthread_mutex_lock(&s->mu);
	s->n_ended_seen = s->n_ended;
	for (size_t i = 0; i < s->w_n; i++) {
		edge_rec *r = rec_at(s, i);
		if (r->state == EDGE_REC_FAILED) {
			r->state = EDGE_REC_WAITING;
			n_failed++;
		}
		if (r->state == EDGE_REC_DONE && *n_done == i) {
			(*n_done)++;
			*n_sent += !r->parked;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return n_failed;
}

// After calls ended: failures set the backoff, the done prefix is
// acknowledged and leaves the window, a stale window is emptied once no
// call holds its records.
static void
advance(edge_sender *s)
{
	size_t n_done;
	uint64_t n_sent;
	uint64_t n_failed = collect(s, &n_done, &n_sent);
	if (n_failed > 0) {
		edge_sender_count(s, &s->st.n_retries, n_failed);
		s->backoff_ms = edge_sender_next_backoff(s->backoff_ms,
		    s->opts.backoff_min_ms, s->opts.backoff_max_ms);
		s->retry_at_ms = fed_clock_mono_ms() + s->backoff_ms;
	} else if (n_done > 0) {
		s->backoff_ms = 0;
	}
	if (n_done > 0 && !s->w_stale)
		ack_prefix(s, n_done, n_sent);
	if (n_done > 0)
		window_pop(s, n_done);
	pthread_mutex_lock(&s->mu);
	bool idle = s->n_flying == 0;
	if (s->w_n > 0)
		s->st.oldest_ts_ms = rec_at(s, 0)->oldest_ts_ms;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->w_stale && idle) {
		window_pop(s, s->w_n);
		s->w_stale = false;
	}
}

// A failure outside a call (declaring, reading): retried after the
// backoff.
static void
failed(edge_sender *s)
{
	edge_sender_count(s, &s->st.n_retries, 1);
	s->backoff_ms = edge_sender_next_backoff(
	    s->backoff_ms, s->opts.backoff_min_ms, s->opts.backoff_max_ms);
	s->retry_at_ms = fed_clock_mono_ms() + s->backoff_ms;
}

// Waits up to ms for a call to end (one that ended since advance looked
// ends the wait at once) or for stop.
static void
wait_call(edge_sender *s, int64_t ms)
{
	struct timespec ts = fed_clock_deadline(CLOCK_MONOTONIC, ms);
	pthread_mutex_lock(&s->mu);
	while (!s->stop && s->n_ended == s->n_ended_seen
	    && pthread_cond_timedwait(&s->cv, &s->mu, &ts) == 0) {
	}
	pthread_mutex_unlock(&s->mu);
}

// Waits for something to do: a call to end, new records (polled every
// IDLE_POLL_MS while calls are out), the end of the backoff, or stop.
static void
idle_wait(edge_sender *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n_flying = s->n_flying, w_n = s->w_n;
	pthread_mutex_unlock(&s->mu);
	int64_t wait = s->retry_at_ms - fed_clock_mono_ms();
	if (n_flying > 0) {
		wait_call(
		    s, wait > 0 && wait < IDLE_POLL_MS ? wait : IDLE_POLL_MS);
	} else if (w_n > 0 && wait > 0) {
		edge_sender_pause(s, wait);
	} else if (w_n == 0) {
		(void) fed_spool_wait(s->spool, 100);
	}
}

static void *
dispatcher_main(void *arg)
{
	edge_sender *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		bool stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		advance(s);
		if (fill(s) != FED_OK) {
			failed(s);
		} else if (!s->w_stale && s->w_n > 0
		    && fed_clock_mono_ms() >= s->retry_at_ms) {
			if (declare_pending(s) == FED_OK)
				dispatch(s);
			else
				failed(s);
		}
		idle_wait(s);
	}
	return NULL;
}

// --- Start and stop -------------------------------------------------------

fed_status
edge_flight_start(edge_sender *s)
{
	// Room for every call's records, and some to pass a blocked one.
	size_t per_call = s->opts.batch_max > WINDOW_PER_CALL
	    ? s->opts.batch_max
	    : WINDOW_PER_CALL;
	s->n_window = (size_t) s->opts.in_flight * per_call;
	s->win = calloc(s->n_window, sizeof(*s->win));
	s->workers = calloc(s->opts.in_flight, sizeof(*s->workers));
	if (s->win == NULL || s->workers == NULL)
		return FED_RESOURCE_EXHAUSTED;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, WORKER_STACK);
	fed_status st = FED_OK;
	while (st == FED_OK && s->n_workers < s->opts.in_flight) {
		if (pthread_create(
		        &s->workers[s->n_workers], &a, worker_main, s)
		    != 0)
			st = FED_RESOURCE_EXHAUSTED;
		else
			s->n_workers++;
	}
	pthread_attr_destroy(&a);
	if (st != FED_OK)
		return st;
	if (pthread_create(&s->thread, NULL, dispatcher_main, s) != 0)
		return FED_RESOURCE_EXHAUSTED;
	s->started = true;
	return FED_OK;
}

void
edge_flight_stop(edge_sender *s)
{
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_broadcast(&s->cv);
	pthread_cond_broadcast(&s->work_cv);
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->thread, NULL);
	s->started = false;
	for (size_t i = 0; i < s->n_workers; i++)
		pthread_join(s->workers[i], NULL);
	s->n_workers = 0;
	if (s->win != NULL) {
		advance(s); // what is done need not be sent again
		window_pop(s, s->w_n);
	}
	free(s->win);
	s->win = NULL;
	free(s->workers);
	s->workers = NULL;
}
