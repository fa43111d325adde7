// SPDX-License-Identifier: MIT
//
// store.h: fed-node's series store, the only module of fed-node that opens
// sqlite.
//
// A store is one sqlite database in WAL mode holding series metadata and
// their points. Points are kept in compressed blocks, one per series and
// fixed time window (store_codec.h; layout in docs/storage.md), never one
// row per point. Every write is committed (durable with synchronous=FULL,
// the default) before the call returns; appends that run at once share
// one transaction and one fsync (group commit, node_store_append).
//
// Threads: every function may be called from any number of threads at
// once. Writes are serialised on one writer connection; reads take one of a
// small pool of reader connections and run beside the writer (WAL), each on
// a consistent snapshot. Calls block on sqlite I/O and, for reads, while
// every reader connection is busy.
//
// Ownership: `const T *` arguments are borrowed for the call and no pointer
// to them is kept. Messages returned through `T **out` are heap-allocated
// with malloc in the layout protobuf-c's __free_unpacked expects and belong
// to the caller, who frees them with the matching node_store_*_free (or the
// message's __free_unpacked); their fields may be moved into another
// message that is freed the same way (an RPC reply).
//
// Errors: functions that take a node_store_err (which may be NULL) write a
// one-line English message there on any status but OK, naming the field at
// fault ("series[2].ts_ms[17]: ..."). Messages never hold point values.

#ifndef NODE_STORE_H
#define NODE_STORE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "enfed/v1/alarm.pb-c.h"
#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/status.h"
#include "fed/tz.h"

typedef struct node_store node_store;

// Smallest and first excluded timestamps a point may carry: years 1970 to
// 2200, UTC.
#define NODE_STORE_MIN_TS_MS INT64_C(0)
#define NODE_STORE_END_TS_MS INT64_C(7289654400000) // 2201-01-01T00:00Z

typedef struct node_store_opts {
	int sync_normal; // 0: synchronous=FULL (default); 1: NORMAL
	unsigned n_readers; // reader connections; default 2
	unsigned cache_kib; // sqlite page cache per connection; default 1024
	unsigned zstd_level; // block compression level 1..19; default 3
	size_t max_raw_points; // raw queries above this: RESOURCE_EXHAUSTED;
	                       // default 200000
	size_t max_buckets; // queries above this: RESOURCE_EXHAUSTED;
	                    // default 200000
	const char *default_tz; // zone of a query that names none; default
	                        // "Europe/Paris"; loaded (so checked) and
	                        // copied by open
	int init; // 1: an existing empty file may become a new store;
	          // 0 (default): it is refused (a missing file is created)
	unsigned commit_wait_ms; // group commit (node_store_append): the
	                         // longest an append waits for company while
	                         // others are on their way; 0: every append
	                         // commits alone; default 2, at most 1000
} node_store_opts;

#define NODE_STORE_ERR_LEN 256

typedef struct node_store_err {
	char msg[NODE_STORE_ERR_LEN];
} node_store_err;

// Writes a formatted message into err (when not NULL) and returns st: how
// the store, and the alarm rules kept in it, report a refusal.
fed_status node_store_fail(node_store_err *err, fed_status st, const char *fmt,
    ...) FED__PRINTF(3, 4);

// Fills *opts with the defaults above.
void node_store_opts_init(node_store_opts *opts);

// Opens (creating if needed) the store at `dir_or_path`: an existing
// directory gets "series.db" inside it, anything else is the database file
// itself. `opts` may be NULL (defaults); it is copied. Returns
// INVALID_ARGUMENT for bad options (default_tz included: a zone this
// system's tzdata lacks is refused here), UNAVAILABLE when the file cannot be
// opened or is locked, DATA_LOSS when it is not a database (the file is
// left untouched), FAILED_PRECONDITION when its schema is newer than this
// program knows, or when the file exists but is empty and opts->init is 0
// (a store whose file was truncated must not come back as an empty one). On
// OK, *out is owned by the caller (node_store_close).
fed_status node_store_open(const char *dir_or_path,
    const node_store_opts *opts, node_store **out, node_store_err *err);

// Checkpoints the WAL into the database, closes every connection and frees
// the store. No call may be running on it. NULL does nothing.
void node_store_close(node_store *st);

#define NODE_STORE_MAX_ID 200 // bytes of a series id

// 1 when `id` is a valid series id (1 to NODE_STORE_MAX_ID bytes of
// [A-Za-z0-9._/-]), else 0. NULL is not valid. For every module that
// accepts ids.
int node_store_valid_id(const char *id);

// The zone `name` ("" or NULL: the store's default zone), from the
// store's cache (loaded on a miss; a zone nobody holds may be evicted).
// On OK *out is held for the caller until node_store_zone_put, which the
// caller must call once done with it. As a query's tz: INVALID_ARGUMENT,
// NOT_FOUND, DATA_LOSS, or UNAVAILABLE when every cached zone is held by
// a running call, with a message naming "tz". Any thread.
fed_status node_store_zone(
    node_store *st, const char *name, const fed_tz **out, node_store_err *err);

// Releases a zone of node_store_zone; the pointer is not to be used after.
// NULL does nothing.
void node_store_zone_put(node_store *st, const fed_tz *zone);

// The fed_tz unit of a query step other than STEP_RAW (an Enfed__V1__Step
// between STEP_5MIN and STEP_YEAR): the buckets a query at that step has.
fed_tz_unit node_store_step_unit(int step);

// The shortest and the longest a bucket of that step lasts, in ms, in any
// zone: a local day 23 to 25 hours, a week 7 days less or more an hour, a
// month 28 to 31 days, a year 365 to 366 days, each an hour less or more
// at a DST change.
void node_store_step_span(int step, int64_t *min_ms, int64_t *max_ms);

// Creates a series with `meta` (borrowed). Idempotent: a series that exists
// with identical metadata is OK. Returns INVALID_ARGUMENT for a bad id,
// enum, string or box (naming the field and its limit: a box holds at most
// 64 facts, keys of 100 bytes, values of 1000 bytes, and 8 KiB of keys and
// values in all), ALREADY_EXISTS when the id exists
// with different metadata. On OK, *out (may be NULL when not wanted) is the
// series' info, owned by the caller (node_store_info_free).
fed_status node_store_create(node_store *st, const Enfed__V1__SeriesMeta *meta,
    Enfed__V1__SeriesInfo **out, node_store_err *err);

// Replaces the description box of series req->id with req->box, and its
// source with req->source when that is not empty. NOT_FOUND for an
// unknown series, INVALID_ARGUMENT for a bad box. *out as for create.
fed_status node_store_update(node_store *st,
    const Enfed__V1__UpdateSeriesRequest *req, Enfed__V1__SeriesInfo **out,
    node_store_err *err);

// Deletes series `id` and all its points. NOT_FOUND when it does not exist.
fed_status node_store_delete(
    node_store *st, const char *id, node_store_err *err);

// The metadata and point statistics of series `id` (n_points, first_ms,
// last_ms, last_value; seq is 0: the stream layer owns it). NOT_FOUND,
// INVALID_ARGUMENT for a bad id. *out is owned by the caller
// (node_store_info_free).
fed_status node_store_get(node_store *st, const char *id,
    Enfed__V1__SeriesInfo **out, node_store_err *err);

// The last point and count of series `id`, without its metadata (cheap).
// last_ms and last_value are 0 for an empty series. NOT_FOUND,
// INVALID_ARGUMENT for a bad id.
typedef struct node_store_latest {
	uint64_t n_points;
	int64_t first_ms;
	int64_t last_ms;
	double last_value;
} node_store_latest;

fed_status node_store_get_latest(node_store *st, const char *id,
    node_store_latest *out, node_store_err *err);

// The series matching `filter` (borrowed; NULL = all): id prefix, kind
// (UNSPECIFIED = any), owner ("" = any), after page_token ("" = from the
// first; page_size is not looked at), sorted by id. On OK, *out is a
// heap array of *n_out heap infos, owned by the caller
// (node_store_info_list_free); *out is NULL when nothing matches.
fed_status node_store_list(node_store *st,
    const Enfed__V1__ListSeriesRequest *filter, Enfed__V1__SeriesInfo ***out,
    size_t *n_out, node_store_err *err);

// The ids of the series matching `filter` (borrowed; NULL = all) as
// node_store_list matches them, and only those after filter->page_token
// (in id order; "" = from the first), sorted by id: no metadata is read,
// so listing is cheap. On OK, *out is a heap array of *n_out heap strings,
// owned by the caller (node_store_ids_free); NULL when nothing matches.
// INVALID_ARGUMENT for a filter with a missing string.
fed_status node_store_list_ids(node_store *st,
    const Enfed__V1__ListSeriesRequest *filter, char ***out, size_t *n_out,
    node_store_err *err);

// Frees an array from node_store_list_ids. NULL does nothing.
void node_store_ids_free(char **ids, size_t n);

// How many series have an id starting with `prefix` (borrowed; "" counts
// them all) into *n_out. INVALID_ARGUMENT for a NULL prefix.
fed_status node_store_count_prefix(
    node_store *st, const char *prefix, uint64_t *n_out, node_store_err *err);

// Frees an info from create, update or get. NULL does nothing.
void node_store_info_free(Enfed__V1__SeriesInfo *info);

// Frees an array from node_store_list and its infos. NULL does nothing.
void node_store_info_list_free(Enfed__V1__SeriesInfo **infos, size_t n);

typedef struct node_store_counts {
	uint64_t n_stored; // points newly stored
	uint64_t n_duplicate; // points whose (series, ts) was already stored
	uint64_t n_replaced; // with req->replace: stored values changed
} node_store_counts;

// Stores the points of `req` (borrowed), committed on return. Idempotent
// on (series, ts): a point whose timestamp is already stored (or appears
// earlier in the same request) is a duplicate and the first value stays,
// even when the resend carries a different value, so at-least-once
// delivery never rewrites history. With req->replace, an existing (series,
// ts) takes the new value instead (counted as replaced when it differs,
// duplicate when it does not); the caller decides who may ask for it.
// Points may come in any order and into any past window. All or nothing:
// INVALID_ARGUMENT (bad id, ts_ms and value counts differ, ts outside
// [NODE_STORE_MIN_TS_MS, NODE_STORE_END_TS_MS), NaN or infinite value;
// message names series[i] and the index) or NOT_FOUND (unknown series)
// store nothing, nor does RESOURCE_EXHAUSTED (a block window would pass
// NODE_CODEC_MAX_POINTS, a million points) or DATA_LOSS (a block on disk
// is corrupt). *counts (may be NULL) gets the counts on OK.
//
// Group commit (opts.commit_wait_ms > 0): appends running at once on
// several threads are applied one after another, in the order they
// queued, in one transaction with one fsync; each returns once the commit
// that holds its points is durable. A call waits for company at most
// commit_wait_ms, and only while another append is on its way to the
// queue; a lone append commits at once. Each call is applied inside its own
// savepoint, so a call that fails (NOT_FOUND, RESOURCE_EXHAUSTED,
// DATA_LOSS) stores nothing and fails alone; a failed COMMIT fails every
// call of the group, none of which stored anything.
fed_status node_store_append(node_store *st,
    const Enfed__V1__IngestRequest *req, node_store_counts *counts,
    node_store_err *err);

// Called once with the outcome of node_store_append_async: its status (as
// node_store_append's; err, given to the append, is filled when not OK)
// and, when OK, its counts (borrowed for the call).
typedef void (*node_store_done_fn)(
    void *arg, fed_status st, const node_store_counts *counts);

// As node_store_append, without waiting for the commit: validates req
// (a status other than OK then comes back at once, and done is never
// called), queues it for group commit and returns OK. done(arg, ...) is
// called once the commit holding it is over, durable or failed, on the
// thread that committed it: the store's committer thread, or this one,
// before the return, when it commits alone (commit_wait_ms = 0). req and
// err must stay valid until done is called; done must not call the store.
// Serves RPC calls that are answered by whoever commits them, so that no
// thread waits per call (fed-node's Ingest).
fed_status node_store_append_async(node_store *st,
    const Enfed__V1__IngestRequest *req, node_store_err *err,
    node_store_done_fn done, void *arg);

// Called by node_store_append_notify after the commit, once per series
// that gained points, with the points newly stored or replaced (duplicates
// left out), sorted by time. The arrays are borrowed for the call.
typedef void (*node_store_new_fn)(const char *series_id, const int64_t *ts_ms,
    const double *value, size_t n, void *arg);

// As node_store_append, and then tells on_new which points were new: what
// a live stream publishes, so that a resent batch publishes nothing twice.
// on_new is called after the commit, still holding the writer lock so that
// calls come in commit order (and, within a group, in the order the calls
// were applied), on the thread that led the group commit, which may be
// another caller's or the store's committer thread: on_new must not call the
// store, and `arg` must stay valid until this call returns (it does: the call
// waits for the commit).
fed_status node_store_append_notify(node_store *st,
    const Enfed__V1__IngestRequest *req, node_store_counts *counts,
    node_store_new_fn on_new, void *arg, node_store_err *err);

// ---- After each commit: the new points, for the fan-out -------------------

// One series' points that one append newly stored or replaced, sorted by
// time, with the series' visibility as the commit saw it.
typedef struct node_store_fresh {
	const char *series_id;
	int is_public; // visibility PUBLIC
	const int64_t *ts_ms;
	const double *value;
	size_t n;
} node_store_fresh;

// Called once per commit that stored or replaced points (all the appends
// of a group together), with fresh[0..n): each series of each successful
// append, in the order they were applied (a series may come more than
// once). Called after the commit, still under the writer lock, so that
// calls come in commit order, on the thread that committed; everything is
// borrowed for the call, which must not call the store.
typedef void (*node_store_commit_fn)(
    const node_store_fresh *fresh, size_t n, void *arg);

// Sets the store's commit hook (fn NULL: none), taking the writer lock:
// appends that commit after it returns call it. fed-node's fan-out
// (node_fanout.h).
void node_store_set_on_commit(
    node_store *st, node_store_commit_fn fn, void *arg);

// What group commit did since the store opened (node_metrics.c, tests,
// benchmarks). n_calls / n_commits is the mean group size.
typedef struct node_store_commit_stats {
	uint64_t n_calls; // appends that reached a commit (stored or failed)
	uint64_t n_commits; // transactions they took
	uint64_t n_queued; // appends queued now, the committing group included
} node_store_commit_stats;

// Fills *out. Takes the queue's mutex only: any thread, never blocks on
// I/O.
void node_store_get_commit_stats(node_store *st, node_store_commit_stats *out);

// Answers `req` (borrowed): for each series, the points (STEP_RAW) or the
// buckets of the range [from_ms, to_ms) with their aggregate, coverage and
// point count; all series share the same buckets. Bucket i is
// [ts_ms[i], bucket_end_ms[i]); the first starts at or before from_ms and
// only points inside the range count. Coverage is n points x the series'
// nominal interval / bucket length, capped at 1 (1 for any point when the
// interval is 0); for a cumulative series, the fraction of the bucket
// spanned by regular index differences. AGG_DEFAULT is SUM for
// consumption, production and cumulative series, LAST for other indexes,
// MEAN otherwise. For a cumulative series, SUM is the energy from index
// differences (spread linearly over each interval, gaps included; resets
// and jumps count 0) and events lists GAP (more than 3 nominal intervals,
// or 1 h when the interval is 0, between readings), RESET (the index went
// down) and JUMP (a rise above the box fact "max_power_w", default 1 MW,
// over the interval); other aggregates apply to the index readings
// themselves. Buckets follow req->tz, else the store's default zone.
// Returns INVALID_ARGUMENT for an empty or bad range, id, step, aggregate
// or zone name, NOT_FOUND for an unknown series or zone,
// RESOURCE_EXHAUSTED when the answer would exceed max_raw_points or
// max_buckets, DATA_LOSS for a corrupt block. On OK, *out is owned by the
// caller (node_store_query_free).
fed_status node_store_query(node_store *st, const Enfed__V1__QueryRequest *req,
    Enfed__V1__QueryResponse **out, node_store_err *err);

// Frees a query response. NULL does nothing.
void node_store_query_free(Enfed__V1__QueryResponse *resp);

// Sizes, for operators and benchmarks.
typedef struct node_store_stats {
	uint64_t n_series;
	uint64_t n_blocks;
	uint64_t n_points;
	uint64_t block_bytes; // compressed point blocks alone
	uint64_t file_bytes; // pages in use or free, page_count x page_size
	uint64_t free_bytes; // pages on the free list
} node_store_stats;

// Fills *out on a reader snapshot. Reads every block row's header (not the
// blocks themselves): takes time in proportion to the number of blocks.
// UNAVAILABLE or INTERNAL on sqlite errors.
fed_status node_store_get_stats(node_store *st, node_store_stats *out);

// Rewrites the database compactly (sqlite VACUUM, then a WAL checkpoint):
// gives the free pages that deletes and block rewrites leave back to the
// file system and packs the blocks' pages full. Blocks writers (not
// readers) for its duration, about a second per 100 MB; needs as much free
// disk as the database. A maintenance call, e.g. nightly or after large
// deletes. UNAVAILABLE, RESOURCE_EXHAUSTED (disk full) or INTERNAL on
// sqlite errors.
fed_status node_store_compact(node_store *st);

// Checks the database: a scrub (node_store_scrub) first, then, on one
// reader snapshot, sqlite's integrity_check, every point block decoded and
// compared with its row (count, first and last timestamp) and the series'
// point counts with their blocks'. OK when all holds; DATA_LOSS with the
// first problem in `err` otherwise; UNAVAILABLE or INTERNAL on sqlite
// errors. Reads the whole database: a maintenance call (after a crash,
// before a backup is trusted).
fed_status node_store_check(node_store *st, node_store_err *err);

// ---- Scrub: the online check of every block --------------------------------

#define NODE_STORE_SCRUB_MAX_BAD 16

// A block that failed: its series and its window [from_ms, to_ms).
typedef struct node_store_bad_block {
	char series[NODE_STORE_MAX_ID + 1]; // "?" for a block of no series
	int64_t from_ms, to_ms;
	char why[32]; // "fails its checksum", "does not decode", ...
} node_store_bad_block;

typedef struct node_store_scrub_report {
	int64_t started_ms; // wall clock, Unix ms
	int64_t elapsed_ms;
	uint64_t n_blocks; // blocks read
	uint64_t n_bad; // blocks that failed
	size_t n_listed; // bad[0 .. n_listed) (the first bad blocks)
	node_store_bad_block bad[NODE_STORE_SCRUB_MAX_BAD];
} node_store_scrub_report;

typedef struct node_store_scrub_opts {
	unsigned batch; // blocks per read transaction; 0: 256
	unsigned pause_ms; // sleep between batches; 0: none
	const atomic_int *stop; // borrowed; when it reads non-zero the walk
	                        // ends with CANCELLED; may be NULL
} node_store_scrub_opts;

// Walks every block row in key order, a batch per read transaction, and
// verifies each: its checksum, that it decodes, that it matches its row.
// Each bad block is logged (series and window) and counted in *out; the
// walk goes on. Between batches the reader returns to the pool and the
// walk sleeps opts->pause_ms, so queries and appends go on beside it
// (a scrub sees each batch's snapshot, not one of the whole store).
// opts may be NULL (defaults). Blocks the caller for the whole walk; any
// thread. OK when the walk completed, whatever it found (read
// out->n_bad); CANCELLED when *opts->stop became non-zero; UNAVAILABLE or
// INTERNAL on sqlite errors, with a message in err.
fed_status node_store_scrub(node_store *st, const node_store_scrub_opts *opts,
    node_store_scrub_report *out, node_store_err *err);

// Writes a consistent copy of the whole store to the file `dest`
// (replaced if it exists) with sqlite's online backup, while the store
// keeps serving: the copy is one read snapshot, holding every commit made
// before it started and none after. The copy is a self-contained sqlite
// file (rollback journal) that fed-node opens as its series.db.
// INVALID_ARGUMENT for an empty dest, RESOURCE_EXHAUSTED when the disk is
// full, UNAVAILABLE on other errors (nothing left at dest).
fed_status node_store_backup(
    node_store *st, const char *dest, node_store_err *err);

// ---- Consent grants ------------------------------------------------------
//
// The store keeps grants (proto/enfed/v1/grant.proto) with the hex SHA-256
// of their token; the token itself is never stored. Validation and the
// meaning of a grant belong to the caller (services/node/node_grants.c).

// Bit of the `scopes` column for each enfed.v1.Scope.
#define NODE_STORE_SCOPE_QUERY 1u
#define NODE_STORE_SCOPE_LIVE  2u

// Stores a new grant `g` (borrowed; its id must be new) with token_hash.
// ALREADY_EXISTS when the id or the token hash exists.
fed_status node_store_grant_put(node_store *st, const Enfed__V1__Grant *g,
    const char *token_hash, node_store_err *err);

// Marks grant `id` revoked. NOT_FOUND when there is none. Revoking twice
// is not an error.
fed_status node_store_grant_revoke(
    node_store *st, const char *id, node_store_err *err);

// Calls fn once per stored grant, oldest first, with the grant and its
// token hash, both borrowed for the call. Stops at and returns the first
// status other than OK that fn returns.
typedef fed_status (*node_store_grant_fn)(
    const Enfed__V1__Grant *g, const char *token_hash, void *arg);
fed_status node_store_grant_list(
    node_store *st, node_store_grant_fn fn, void *arg, node_store_err *err);

// ---- Grants' access log ---------------------------------------------------

// What each grantee read, kept for the owner (Grants/Log): one entry per
// call made with a grant's token, as the policy answered it, and one per
// batch the replicator delivered (method "Replicate"). At most
// NODE_STORE_ACCESS_KEEP entries per grant are kept, the oldest dropped.
#define NODE_STORE_ACCESS_KEEP 10000

// Appends entry e (borrowed) in its own transaction.
fed_status node_store_access_add(
    node_store *st, const Enfed__V1__GrantAccess *e, node_store_err *err);

// Calls fn once per entry of grant_id ("" = every grant) at or after
// since_ms, newest first, at most limit of them. The entry is borrowed for
// the call. A status other than OK from fn stops the walk and is returned.
typedef fed_status (*node_store_access_fn)(
    const Enfed__V1__GrantAccess *e, void *arg);
fed_status node_store_access_list(node_store *st, const char *grant_id,
    int64_t since_ms, uint32_t limit, node_store_access_fn fn, void *arg,
    node_store_err *err);

// When grant_id's last entry of `method` was made (0: none) into *at_ms.
fed_status node_store_access_last(node_store *st, const char *grant_id,
    const char *method, int64_t *at_ms, node_store_err *err);

// ---- Replication outbox ----------------------------------------------------
//
// Every point newly stored in a series that a live grant (scope LIVE, not
// revoked, not expired, the point inside its data range) covers is added
// to the outbox in the append's own transaction; creating a live grant
// adds the backlog of stored points it covers, in the grant's
// transaction. Rows leave the outbox only when the replicator says they
// reached the grantee (node_store_outbox_done), or when the grant is
// revoked (in the revocation's transaction) or its series deleted. A
// restart therefore loses nothing and replication resumes where it was.

typedef struct node_store_outbox_row {
	int64_t seq; // order of entry into the outbox
	char grant_id[40];
	char series_id[208];
	int64_t ts_ms;
	double value;
} node_store_outbox_row;

// The oldest rows (at most max) into rows[], their number in *n.
fed_status node_store_outbox_peek(node_store *st, node_store_outbox_row *rows,
    size_t max, size_t *n, node_store_err *err);

// Removes the rows of grant_id with seq <= up_to_seq: they were delivered.
fed_status node_store_outbox_done(node_store *st, const char *grant_id,
    int64_t up_to_seq, node_store_err *err);

// A bucket of a grant coarser than raw that has not ended: its aggregate
// would tell the grantee, as the bucket fills, what the points are. It is
// held, and sent once whole (node_replicate.c).
typedef struct node_store_held {
	const char *series_id;
	int64_t start_ms, end_ms;
} node_store_held;

// As node_store_outbox_done, and records the buckets held[0..n_held) of
// grant_id (a bucket held already is kept once), in one transaction.
fed_status node_store_outbox_hold(node_store *st, const char *grant_id,
    int64_t up_to_seq, const node_store_held *held, size_t n_held,
    node_store_err *err);

// Puts every held bucket that ended at or before now_ms back into the
// outbox (one row at its start, for the replicator to send the whole
// bucket), in one transaction; *n gets how many, *next_end_ms when the
// first bucket still held ends (INT64_MAX: none).
fed_status node_store_outbox_release(node_store *st, int64_t now_ms, size_t *n,
    int64_t *next_end_ms, node_store_err *err);

// Rows waiting for grant_id ("" = all grants).
fed_status node_store_outbox_count(
    node_store *st, const char *grant_id, uint64_t *n, node_store_err *err);

// What waits in the outbox for one grant (node_metrics.c).
typedef struct node_store_outbox_depth {
	char grant_id[40];
	uint64_t n; // rows
	int64_t oldest_ts_ms; // the earliest point among them
} node_store_outbox_depth;

// The grants with rows waiting, most rows first, at most max of them, into
// out[0..*n). One read transaction; any thread.
fed_status node_store_outbox_depths(node_store *st,
    node_store_outbox_depth *out, size_t max, size_t *n, node_store_err *err);

// The number of alarms still active, into *n. One read; any thread.
fed_status node_store_alarm_count_active(
    node_store *st, uint64_t *n, node_store_err *err);

// ---- Alarm rules and alarms
// -------------------------------------------------
//
// The store keeps alarm rules and alarms (proto/enfed/v1/alarm.proto) as
// packed messages; their meaning belongs to services/node/node_alarms.c.

// Stores rule `r` (borrowed) under r->id. When a rule with that id exists:
// OK if its packed form is identical, else ALREADY_EXISTS (err says so).
fed_status node_store_alarm_rule_put(
    node_store *st, const Enfed__V1__AlarmRule *r, node_store_err *err);

// Deletes rule `id` and, in the same transaction, marks its active alarms
// cleared with `clear_message` at now_ms; *n_cleared (may be NULL) gets
// their number. NOT_FOUND when there is no such rule.
fed_status node_store_alarm_rule_delete(node_store *st, const char *id,
    const char *clear_message, int64_t now_ms, uint32_t *n_cleared,
    node_store_err *err);

// Calls fn once per rule, sorted by id, with the rule (borrowed for the
// call). Stops at and returns the first status other than OK that fn
// returns; DATA_LOSS for a row that does not unpack.
typedef fed_status (*node_store_alarm_rule_fn)(
    const Enfed__V1__AlarmRule *r, void *arg);
fed_status node_store_alarm_rule_list(node_store *st,
    node_store_alarm_rule_fn fn, void *arg, node_store_err *err);

// Stores alarm `a`: a->id 0 inserts it with the next id (written to
// *id_out, which may be NULL), any other id replaces that alarm (NOT_FOUND
// when absent).
fed_status node_store_alarm_put(node_store *st, const Enfed__V1__Alarm *a,
    uint64_t *id_out, node_store_err *err);

// Alarm `id`; *out is owned by the caller (enfed__v1__alarm__free_unpacked
// with a NULL allocator). NOT_FOUND.
fed_status node_store_alarm_get(
    node_store *st, uint64_t id, Enfed__V1__Alarm **out, node_store_err *err);

// Calls fn for the alarms `f` (borrowed) selects, newest first, at most
// f->limit (0: 100) of them; each alarm is borrowed for the call. Stops at
// the first status other than OK that fn returns.
typedef fed_status (*node_store_alarm_fn)(
    const Enfed__V1__Alarm *a, void *arg);
fed_status node_store_alarm_list(node_store *st,
    const Enfed__V1__ListAlarmsRequest *f, node_store_alarm_fn fn, void *arg,
    node_store_err *err);

#endif // NODE_STORE_H
