// SPDX-License-Identifier: MIT
//
// edge_sender.h: the store-and-forward half shared by the edge collectors
// (fed-edge-tic, fed-edge-envoy).
//
// A collector hands its points to edge_sender_submit() as an
// enfed.v1.IngestRequest; the request is packed and appended to a durable
// spool (fed/spool.h) before anything is sent. The sender reads the spool
// in order and calls SeriesStore/Ingest on the node (idempotent on
// (series, ts)), up to in_flight calls at once, never two holding the same
// series, and a series' record only once its earlier ones are committed
// (edge_flight.c; docs/edge.md); a call may carry up to batch_max
// records of the same series, merged in order into one request. A record
// is acknowledged in the spool once it and every record before it are
// done:
//
//   UNAVAILABLE, DEADLINE_EXCEEDED and every other status that a later try
//   may cure (UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED,
//   INTERNAL, ...) are retried with a backoff doubling from backoff_min_ms
//   to backoff_max_ms; the record stays in the spool, and nothing more
//   is sent before the backoff ends.
//   NOT_FOUND (an unknown series: the node lost or deleted it) makes the
//   sender declare every series again and retry once; a second NOT_FOUND,
//   or INVALID_ARGUMENT (a bug, a value the node refuses), parks the record
//   in the dead-letter spool (the "dead" folder inside the spool folder),
//   logged with the node's message: never retried for ever, never dropped
//   silently.
//
// Series are declared with CreateSeries (idempotent) before the first
// Ingest, again after the node was unreachable (it may have restarted from
// an empty store) and after a NOT_FOUND. Their metadata is also kept in the
// spool folder (file "series.pb", replaced atomically), so that a collector
// restarted with a backlog can declare series it has not met again yet.
// ALREADY_EXISTS (the node holds the series with other metadata) is logged
// and accepted.
//
// Index readings and raw samples are spooled apart. Each request is split
// by series: a series declared non-cumulative (apparent power, inverter
// reports) is a raw sample and goes to the samples spool (folder
// "samples" inside the spool folder, capped by samples_max_bytes); every
// other series (the cumulative index readings, and any series not
// declared) goes to the main spool. The sender sends index readings first.
//
// When the samples spool is full, its oldest records (about half its
// bytes) are thinned: every other point of each series among them is
// dropped, the rest appended back at its end (edge_thin.h), logged at most
// once a minute and counted (n_points_thinned, n_thin_rounds). Index
// readings are never thinned and are the last thing dropped: when the main
// spool is full, an index request goes to the samples spool instead
// (n_index_spilled; its raw samples are thinned to make room, the index
// points there kept whole); only when that refuses too (nothing left to
// thin, or a disk error) is it kept in memory (at most mem_records of
// them, the oldest then lost, counted in n_lost and logged) and appended
// again at the next submit and at edge_sender_free. docs/spool.md gives
// the whole rule.
//
// Threads: submit, declare, drain and free are called from one thread (the
// collector's); the sender's threads (a dispatcher and in_flight workers,
// each making one call at a time on one shared RPC client) are private. stats
// may be called from any thread. Logs go through fed_log under the component
// given in the options.

#ifndef EDGE_SENDER_H
#define EDGE_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/cfg.h"
#include "fed/spool.h"
#include "fed/status.h"
#include "fed/transport.h"

typedef struct edge_sender edge_sender;

typedef struct edge_sender_opts {
	const char *node_url; // the fed-node's RPC address (copied)
	const char *token; // writer token, or NULL (copied)
	const fed_tls_opts *tls; // for a tls+tcp:// node_url, or NULL
	                         // (borrowed until edge_sender_new returns)
	const char *spool_dir; // created if missing, one level (copied)
	fed_spool_sync_mode sync; // of the spool (group: group_ms 20)
	uint64_t spool_max_bytes; // cap of the spool, >= 1 MiB
	uint32_t rpc_timeout_ms; // per call, 100 .. 600000
	int64_t backoff_min_ms; // first retry delay, >= 10
	int64_t backoff_max_ms; // longest retry delay, >= backoff_min_ms
	size_t mem_records; // requests kept in memory when the spool refuses
	uint64_t samples_max_bytes; // cap of the samples spool, >= 2 MiB
	const char *component; // log component, e.g. "tic" (borrowed, static)
	// Ingest calls at once, 1..EDGE_SENDER_IN_FLIGHT_MAX
	unsigned in_flight;
	// Records merged into one call, at most, 1..EDGE_SENDER_BATCH_MAX
	// (1: one record a call)
	unsigned batch_max;
} edge_sender_opts;

// The most Ingest calls a sender keeps in flight.
#define EDGE_SENDER_IN_FLIGHT_MAX 64

// The most records one call carries.
#define EDGE_SENDER_BATCH_MAX 256

// Fills opts with defaults: spool SYNC_EACH, 64 MiB, rpc timeout 10 s,
// backoff 1 s .. 60 s, 1024 records in memory, samples spool 16 MiB,
// component "edge", 4 calls in flight of up to 64 records each; node_url,
// token, tls and spool_dir NULL.
void edge_sender_opts_default(edge_sender_opts *opts);

// The sender's settings as every collector reads them from its
// configuration: embed one in the program's config struct under member M
// and list EDGE_SENDER_CFG_OPTS(T, M, ...) in its options, so that the
// collectors share their option names, defaults, limits and help.
typedef struct edge_sender_cfg {
	char *spool_dir;
	int spool_sync; // 0 each, 1 group
	size_t spool_max;
	size_t samples_max;
	int64_t rpc_timeout_ms;
	int64_t backoff_min_ms;
	int64_t backoff_max_ms;
	int64_t drain_ms; // time to send the rest when the input ends
	int64_t in_flight; // Ingest calls at once
	int64_t batch_max; // records merged into one call
} edge_sender_cfg;

#define EDGE_SENDER_CFG_OPTS(T, M, spool_def, drain_help)                   \
	FED_CFG_OPT_STRING_LEN(T, M.spool_dir, "spool-dir", (spool_def), 1, \
	    4000, "folder of the durable spool (created if missing)"),      \
	    FED_CFG_OPT_ENUM(T, M.spool_sync, "spool-sync", "each",         \
	        "each|group",                                               \
	        "each: fsync every record; group: within 20 ms (fewer "     \
	        "writes)"),                                                 \
	    FED_CFG_OPT_SIZE(T, M.spool_max, "spool-max", "64MiB", 1 << 20, \
	        (double) (INT64_C(1) << 40),                                \
	        "cap on unsent records on disk"),                           \
	    FED_CFG_OPT_SIZE(T, M.samples_max, "samples-max", "16MiB",      \
	        2 << 20, (double) (INT64_C(1) << 40),                       \
	        "cap on unsent raw samples (power), thinned when full"),    \
	    FED_CFG_OPT_DURATION(T, M.rpc_timeout_ms, "rpc-timeout", "10s", \
	        100, 600000, "deadline of one call to the node"),           \
	    FED_CFG_OPT_DURATION(T, M.backoff_min_ms, "backoff-min", "1s",  \
	        10, 3600000, "first delay before retrying a failed send"),  \
	    FED_CFG_OPT_DURATION(T, M.backoff_max_ms, "backoff-max", "60s", \
	        10, 3600000, "longest delay between retries"),              \
	    FED_CFG_OPT_INT(T, M.in_flight, "in-flight", "4", 1,            \
	        EDGE_SENDER_IN_FLIGHT_MAX,                                  \
	        "Ingest calls to the node at once (a series is never in "   \
	        "two of them)"),                                            \
	    FED_CFG_OPT_INT(T, M.batch_max, "batch-max", "64", 1,           \
	        EDGE_SENDER_BATCH_MAX,                                      \
	        "spooled records merged into one call, at most (1: one "    \
	        "a call)"),                                                 \
	    FED_CFG_OPT_DURATION(T, M.drain_ms, "drain-timeout", "30s", 0,  \
	        INT64_C(86400000), (drain_help))

// Fills opts with the defaults, then with cfg, node_url, token and
// component (all borrowed: edge_sender_new copies what it keeps).
void edge_sender_opts_from_cfg(edge_sender_opts *opts,
    const edge_sender_cfg *cfg, const char *node_url, const char *token,
    const char *component);

typedef struct edge_sender_stats {
	uint64_t n_submitted; // requests given to submit
	uint64_t n_sent; // records the node acknowledged
	uint64_t n_points_stored; // points newly stored, per the node
	uint64_t n_points_duplicate; // points the node had already
	uint64_t n_retries; // failed Ingest or CreateSeries calls retried
	uint64_t n_dead; // records parked in the dead-letter spool
	uint64_t n_lost; // requests lost (memory queue full, at free, or
	                 // records found damaged in a spool)
	uint64_t n_declared; // successful CreateSeries calls
	uint64_t n_in_memory; // requests now waiting in memory
	uint64_t n_pending; // records now waiting in both spools
	uint64_t n_samples_pending; // of which in the samples spool
	uint64_t n_points_thinned; // raw samples dropped by thinning
	uint64_t n_thin_rounds; // times the full samples spool was thinned
	uint64_t n_index_spilled; // index requests the full main spool
	                          // refused, kept in the samples spool
	uint64_t pending_bytes; // on disk in both spools (record headers
	                        // included)
	uint64_t samples_pending_bytes; // of which in the samples spool
	// The earliest point of the record the sender is sending or retrying
	// (Unix ms); 0 when nothing is pending or no record was tried yet.
	int64_t oldest_ts_ms;
} edge_sender_stats;

// Opens the spool (and its dead-letter spool), reads series.pb, creates
// the RPC client (which reads the TLS files now) and starts the sender
// thread. opts is copied (but for tls). On OK *out is the caller's, freed
// with edge_sender_free. INVALID_ARGUMENT for
// missing or out-of-range options (logged), FAILED_PRECONDITION when
// another process holds the spool, or the status of fed_spool_open /
// fed_rpc_client_new.
fed_status edge_sender_new(const edge_sender_opts *opts, edge_sender **out);

// Registers a series to declare on the node (meta is borrowed and copied).
// A series already registered with the same id is left as it was (OK). A
// new one is written to series.pb before the next request is spooled (one
// write for all the series added since) and declared by the sender thread
// before it sends anything further. INVALID_ARGUMENT for a NULL or id-less
// meta; RESOURCE_EXHAUSTED.
fed_status edge_sender_declare(
    edge_sender *s, const Enfed__V1__SeriesMeta *meta);

// Splits req (borrowed) into index readings and raw samples, packs each
// part and appends it to its spool (thinning the samples spool when it is
// full; the index part goes there when the main spool is full). OK when
// both parts are spooled; RESOURCE_EXHAUSTED when the index part is held
// in memory instead (both spools refused it); the samples
// spool's status when even after thinning it refused the samples part
// (dropped, counted as thinned, logged); INVALID_ARGUMENT for an empty
// request or one over the spool's record limit (logged, counted as lost).
fed_status edge_sender_submit(
    edge_sender *s, const Enfed__V1__IngestRequest *req);

// Waits until nothing is pending (spool and memory: every record sent or
// parked), up to timeout_ms. OK, or DEADLINE_EXCEEDED.
fed_status edge_sender_drain(edge_sender *s, int64_t timeout_ms);

// The counters (see edge_sender_stats). Neither pointer NULL.
void edge_sender_get_stats(edge_sender *s, edge_sender_stats *st);

// Stops the sender's threads (waiting for the calls in progress, at most
// the RPC timeout; records they got through are acknowledged), appends what is
// held in memory to the spool (what still does not fit is logged as lost),
// closes the spools and frees s. Records not yet sent stay in the spool for
// the next start. NULL does nothing.
void edge_sender_free(edge_sender *s);

#ifdef FED_TESTING
// The next retry delay after `cur` (0: none yet): min, then doubling, at
// most max.
int64_t edge_sender_next_backoff(int64_t cur, int64_t min_ms, int64_t max_ms);
#endif

#endif // EDGE_SENDER_H
