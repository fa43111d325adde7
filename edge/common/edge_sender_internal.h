// SPDX-License-Identifier: MIT
//
// edge_sender_internal.h: what edge_sender.c (options, submitting, life
// cycle) and edge_flight.c (sending, with several calls in flight) share:
// the sender's state and the few helpers both use. Not for the collectors:
// they see edge_sender.h only.
//
// Locking: s->mu guards the counters, the stop flag, the memory queue's
// count and the states of the window's records (edge_flight.c); it is
// never held while a spool, the samples mutex or the series registry is
// used, so the order samples_mu -> mu (thinning counts under samples_mu)
// cannot meet its reverse.

#ifndef EDGE_SENDER_INTERNAL_H
#define EDGE_SENDER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge_sender.h"
#include "edge_series.h"
#include "fed/rpc.h"
#include "fed/spool.h"

typedef struct mem_record {
	uint8_t *buf;
	size_t len;
} mem_record;

// A record of the window: read from the spool, then queued, flying (a
// worker is calling Ingest with it), failed (to send again after the
// backoff), or done (the node took it, or it was parked).
typedef enum edge_rec_state {
	EDGE_REC_WAITING,
	EDGE_REC_QUEUED,
	EDGE_REC_FLYING,
	EDGE_REC_FAILED,
	EDGE_REC_DONE,
} edge_rec_state;

typedef struct edge_rec {
	uint8_t *buf; // a copy of the record
	size_t len;
	Enfed__V1__IngestRequest *req; // unpacked; NULL: not a request
	uint64_t *keys; // hashes of its series ids
	size_t n_keys;
	fed_spool_cursor next; // to acknowledge it (and all before it)
	int64_t oldest_ts_ms; // its earliest point, 0 if none
	edge_rec_state state; // under s->mu
	bool parked; // done by the dead-letter spool (under s->mu)
	bool alone; // never merged with others (its merged call was
	            // refused: sent alone to find the culprit)
	size_t n_group; // queued first of a call: records in it; 0 for
	                // the others of that call
	struct edge_rec *group_next; // the next record of its call, or NULL
	bool grouping; // being put in a call (dispatch, under s->mu)
} edge_rec;

struct edge_sender {
	edge_sender_opts opts;
	char *node_url, *token, *spool_dir;
	fed_spool *spool; // index readings (and unknown series): never thinned
	fed_spool *samples; // raw samples (non-cumulative series): thinned
	fed_spool *dead;
	fed_rpc_client *rpc;
	edge_series reg;
	pthread_mutex_t declare_mu; // one declare_pending at a time
	int64_t redeclared_ms; // the last redeclare of every series (mono;
	                       // declare_mu)
	pthread_t thread; // the dispatcher (edge_flight.c)
	bool started;
	pthread_t *workers; // opts.in_flight of them, each one call at once
	size_t n_workers;
	pthread_mutex_t mu;
	pthread_cond_t cv; // stop requested, a record acknowledged, a call
	                   // ended
	pthread_cond_t work_cv; // a record queued for the workers, or stop
	bool stop;
	edge_sender_stats st;
	mem_record *mem; // FIFO of mem_records entries, [mem_head, +n_mem)
	size_t mem_head, n_mem;
	int64_t log_retry_ms, log_spool_ms, log_thin_ms, log_spill_ms;
	// The samples spool is read by the sender and by thinning (collector
	// thread): both under samples_mu; thinning bumps samples_gen, and
	// records the sender read before are then not acknowledged by it.
	pthread_mutex_t samples_mu;
	uint64_t samples_gen;
	// The window (edge_flight.c): records of one spool (w_src) in spool
	// order, entries [w_head, w_head + w_n) of a ring of n_window. Its
	// records' buffers and cursors are the dispatcher's; states and
	// n_flying are under mu.
	edge_rec *win;
	size_t n_window, w_head, w_n, w_bytes, n_flying;
	fed_spool *w_src;
	uint64_t w_gen; // samples_gen when a samples window was started
	fed_spool_cursor w_end; // past the last record read ({0,0}: none)
	bool w_stale; // thinning went through the samples window
	int64_t backoff_ms, retry_at_ms;
	uint64_t n_ended; // calls ended (under mu) ...
	uint64_t n_ended_seen; // ... when the dispatcher last looked
};

// Adds n to *field under s->mu.
void edge_sender_count(edge_sender *s, uint64_t *field, uint64_t n);

// Waits ms or until stop is requested (s->cv).
void edge_sender_pause(edge_sender *s, int64_t ms);

// Starts the dispatcher and opts.in_flight workers (window allocated).
// RESOURCE_EXHAUSTED when a thread or memory cannot be had (those started
// are left for edge_flight_stop).
fed_status edge_flight_start(edge_sender *s);

// Joins them (stop already requested and broadcast: each waits for its
// call in progress, at most the RPC timeout), acknowledges the records
// done at the head of the window, frees the window. Safe after a failed
// or no start.
void edge_flight_stop(edge_sender *s);

#endif // EDGE_SENDER_INTERNAL_H
