// SPDX-License-Identifier: MIT
//
// store_internal.h: what the store's files (store*.c, one per concern;
// see store.c) share: the connection type with its prepared statements,
// the sqlite error boundary, the write and read transactions
// (store_txn.c), the series row, blocks, live grants and the group-commit
// queue. Nothing outside the store includes it but its tests.
//
// Block keys: a block is the row of table `blocks` whose INTEGER PRIMARY
// KEY is (series sid << 32) | window index, the window index being
// floor(ts / window_ms). One rowid b-tree thus orders blocks by series then
// time, and a block of up to ~4 KB stays on its leaf page (a WITHOUT ROWID
// table would spill anything past ~1 KB to an overflow page).

#ifndef NODE_STORE_INTERNAL_H
#define NODE_STORE_INTERNAL_H

#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdint.h>

#include <sqlite3.h>

#include "fed/log.h"
#include "fed/tz.h"
#include "store.h"
#include "store_codec.h"

// The columns of a block row, in the order node__store_block_get reads.
#define STORE_BLOCK_COLS "key, n, first_ts, last_ts, vals, data, crc"

// X(NAME, sql)
#define STORE_STMTS(X)                                                       \
	X(SERIES_BY_ID,                                                      \
	    "SELECT sid, kind, unit, interval_s, source, owner, visibility," \
	    " cumulative, origin_node, tz, window_ms, n_points, first_ms,"   \
	    " last_ms, last_value FROM series WHERE id = ?1")                \
	X(SERIES_INSERT,                                                     \
	    "INSERT INTO series(id, kind, unit, interval_s, source, owner,"  \
	    " visibility, cumulative, origin_node, tz, window_ms)"           \
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")         \
	X(SERIES_STATS,                                                      \
	    "UPDATE series SET n_points = ?2, first_ms = ?3, last_ms = ?4,"  \
	    " last_value = ?5 WHERE sid = ?1")                               \
	X(SERIES_SOURCE, "UPDATE series SET source = ?2 WHERE sid = ?1")     \
	X(SERIES_DELETE, "DELETE FROM series WHERE sid = ?1")                \
	X(SERIES_LIST,                                                       \
	    "SELECT id FROM series WHERE id >= ?1"                           \
	    " AND substr(id, 1, length(?1)) = ?1"                            \
	    " AND (?2 = 0 OR kind = ?2) AND (?3 = '' OR owner = ?3)"         \
	    " AND id > ?4 ORDER BY id")                                      \
	X(SERIES_COUNT,                                                      \
	    "SELECT count(*) FROM series WHERE id >= ?1"                     \
	    " AND substr(id, 1, length(?1)) = ?1")                           \
	X(FACTS_GET,                                                         \
	    "SELECT key, value FROM facts WHERE series = ?1 ORDER BY pos")   \
	X(FACT_BY_KEY,                                                       \
	    "SELECT value FROM facts WHERE series = ?1 AND key = ?2"         \
	    " ORDER BY pos LIMIT 1")                                         \
	X(FACTS_DELETE, "DELETE FROM facts WHERE series = ?1")               \
	X(FACT_INSERT,                                                       \
	    "INSERT INTO facts(series, pos, key, value)"                     \
	    " VALUES(?1, ?2, ?3, ?4)")                                       \
	X(OUTBOX_DELETE_SERIES, "DELETE FROM outbox WHERE series = ?1")      \
	X(HELD_DELETE_SERIES, "DELETE FROM outbox_held WHERE series = ?1")   \
	X(BLOCK_GET,                                                         \
	    "SELECT " STORE_BLOCK_COLS " FROM blocks WHERE key = ?1")        \
	X(BLOCK_PUT,                                                         \
	    "INSERT OR REPLACE INTO blocks(key, n, first_ts, last_ts, vals," \
	    " data, crc) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)")                \
	X(BLOCKS_DELETE, "DELETE FROM blocks WHERE key BETWEEN ?1 AND ?2")   \
	X(BLOCKS_RANGE,                                                      \
	    "SELECT " STORE_BLOCK_COLS " FROM blocks"                        \
	    " WHERE key BETWEEN ?1 AND ?2 ORDER BY key")                     \
	X(BLOCK_BEFORE,                                                      \
	    "SELECT " STORE_BLOCK_COLS " FROM blocks"                        \
	    " WHERE key >= ?1 AND key < ?2 ORDER BY key DESC LIMIT 1")       \
	X(BLOCK_AFTER,                                                       \
	    "SELECT " STORE_BLOCK_COLS " FROM blocks"                        \
	    " WHERE key > ?1 AND key <= ?2 ORDER BY key LIMIT 1")            \
	X(SAVEPOINT, "SAVEPOINT call")                                       \
	X(RELEASE, "RELEASE call")                                           \
	X(ROLLBACK_TO, "ROLLBACK TO call")

typedef enum store_stmt {
#define STORE__STMT_ENUM(name, sql) STMT_##name,
	STORE_STMTS(STORE__STMT_ENUM)
#undef STORE__STMT_ENUM
	STMT_COUNT
} store_stmt;

// One sqlite connection and what goes with it; used by one thread at a
// time (the writer under the store's mutex, a reader while checked out).
typedef struct store_conn {
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT_COUNT];
	node_codec *codec;
	node_points pts; // scratch for decoded blocks
	node_points merged; // scratch for merging points into a block
	struct store_conn *next_free;
} store_conn;

// A block's summary, stored as the 40-byte little-endian blob `vals` so
// that every double (negative zero, infinite sums) survives exactly.
typedef struct store_summary {
	double first_v, last_v, sum, min, max;
} store_summary;

#define STORE_SUMMARY_LEN 40

// A series row, without its strings.
typedef struct store_series {
	int64_t sid;
	int kind;
	int visibility;
	int unit;
	uint32_t interval_s;
	int cumulative;
	int64_t window_ms;
	uint64_t n_points;
	int64_t first_ms;
	int64_t last_ms;
	double last_value;
} store_series;

// The grants with the live scope, as appends need them to fill the
// replication outbox. Kept under the writer lock.
typedef struct node__live_grant {
	char id[40];
	char series[208]; // id, or a prefix ending in '/'
	int64_t from_ms, to_ms, expires_ms;
} node__live_grant;

typedef struct node__live_grants {
	node__live_grant *g;
	size_t n, cap;
} node__live_grants;

// The store's live grants (borrowed; use under the writer lock).
node__live_grants *node__store_live(node_store *st);

// Reloads the live grants from the grants table on connection c (the
// writer, under its lock). Called at open and after grant changes.
fed_status node__store_live_reload(node_store *st, store_conn *c);

// 1 when a grant on `pattern` (a series id, or a prefix ending in '/')
// covers series `id` (store_grants.c).
int node__store_grant_covers(const char *pattern, const char *id);

// Adds the backlog of new live grant g to the outbox: every stored point
// it covers, inside its range (c: the writer, in the grant's transaction).
fed_status node__store_outbox_backlog(
    store_conn *c, const node__live_grant *g);

// Deletes the outbox rows and held buckets of grant_id (c: the writer, in
// the revoke's transaction).
fed_status node__store_outbox_drop(store_conn *c, const char *grant_id);

// Adds one outbox row per point and live grant covering series_id, the
// point inside the grant's range (c: the writer, in its transaction).
fed_status node__store_outbox_add(node_store *st, store_conn *c,
    const char *series_id, const int64_t *ts_ms, const double *value,
    size_t n);

// The store's options after defaults, as the query code needs them.
const node_store_opts *node__store_opts(const node_store *st);

// The zone `name`, from the store's cache of NODE__STORE_MAX_ZONES zones
// (loaded on a miss, evicting the least recently used zone nobody holds),
// held for the caller until node__store_zone_put. INVALID_ARGUMENT for a
// malformed name, NOT_FOUND for an unknown zone, DATA_LOSS for a corrupt
// zone file, UNAVAILABLE when every cached zone is held (as many queries
// in different zones at once); the message names the field "tz".
#define NODE__STORE_MAX_ZONES 32
fed_status node__store_zone(
    node_store *st, const char *name, const fed_tz **out, node_store_err *err);

// Releases a zone of node__store_zone (NULL does nothing).
void node__store_zone_put(node_store *st, const fed_tz *zone);

// Prepares sql on c; the sqlite error is translated (and logged, as
// `what`) at this boundary.
fed_status node__store_prepare(
    store_conn *c, const char *sql, sqlite3_stmt **s, const char *what);

// Steps a statement that returns no row, then finalizes it.
fed_status node__store_step_done(
    store_conn *c, sqlite3_stmt *s, const char *what);

// A packed message in a malloc'ed buffer (*len bytes); NULL when memory is
// short. The caller frees it.
uint8_t *node__store_pack(const ProtobufCMessage *m, size_t *len);

// Checks out a reader connection (blocking while all are busy) and returns
// it with node__store_reader_put.
store_conn *node__store_reader_get(node_store *st);
void node__store_reader_put(node_store *st, store_conn *c);

// Locks the writer connection (for node__store_write, a group commit,
// VACUUM); unlock when done.
store_conn *node__store_writer_lock(node_store *st);
void node__store_writer_unlock(node_store *st);

// Ends the writer's transaction: resets every statement, then COMMIT when
// st is OK; ROLLBACK on any failure, a failed COMMIT included. Returns st,
// or the COMMIT's failure.
fed_status node__store_write_end(store_conn *c, fed_status st);

// The body of a write transaction: runs on the writer connection c, inside
// BEGIN IMMEDIATE, under the writer lock; OK commits, anything else rolls
// back. arg is the caller's (a small struct of arguments and results).
typedef fed_status (*node__store_write_fn)(store_conn *c, void *arg);

// Puts back in step with the database what a write body changed in the
// store's memory (the live grants), after its rollback, still under the
// writer lock.
typedef void (*node__store_undo_fn)(store_conn *c, void *arg);

// Every write of the store but appends (group commit, node__store_commit)
// and the schema migration (before the store exists): takes the writer
// lock, BEGIN IMMEDIATE, runs fn(c, arg), ends the transaction with
// node__store_write_end, releases the lock. Returns BEGIN's failure, fn's
// status, or COMMIT's failure. Blocks while another write runs.
fed_status node__store_write(
    node_store *st, node__store_write_fn fn, void *arg);

// As node__store_write; when the transaction that fn ran in fails, undo
// (not NULL) runs after the rollback, before the lock is released.
fed_status node__store_write_undo(node_store *st, node__store_write_fn fn,
    node__store_undo_fn undo, void *arg);

// Checks out a reader and opens a read transaction on it (one snapshot);
// node__store_read_end ends it and returns the reader.
fed_status node__store_read_begin(node_store *st, store_conn **c);
void node__store_read_end(node_store *st, store_conn *c);

// INVALID_ARGUMENT naming `field` unless node_store_valid_id(id).
fed_status node__store_check_id(
    const char *id, const char *field, node_store_err *err);

// The one place sqlite result codes become fed_status: logs the native code
// and message with `what`, and maps BUSY/LOCKED/CANTOPEN/IOERR to
// UNAVAILABLE, FULL/NOMEM to RESOURCE_EXHAUSTED, CORRUPT/NOTADB to
// DATA_LOSS, anything else to INTERNAL.
fed_status node__store_sql_status(sqlite3 *db, int rc, const char *what);

// Runs one statement without results ("BEGIN", "COMMIT").
fed_status node__store_exec(store_conn *c, const char *sql);

// Resets every statement of c, ending its implicit reads; before COMMIT.
void node__store_reset_all(store_conn *c);

// Resets statement `which` of `c` and returns it, ready for binding.
sqlite3_stmt *node__store_stmt(store_conn *c, store_stmt which);

// Looks up series `id`: NOT_FOUND (with a message in err) when absent.
fed_status node__store_series(
    store_conn *c, const char *id, store_series *out, node_store_err *err);

// Block key of window `widx` of series `sid`.
static inline int64_t
node__store_key(int64_t sid, int64_t widx)
{
	return (int64_t) ((uint64_t) sid << 32) | widx;
}

// Decodes a summary blob (zeroes when its length is wrong).
void node__store_summary_get(const void *blob, int len, store_summary *out);

// One row of `blocks`, its blobs borrowed from the statement that read it
// (valid until that statement is stepped or reset).
typedef struct store_block {
	int64_t key;
	size_t n;
	int64_t first_ts, last_ts;
	const void *vals; // the 40-byte summary blob
	size_t vals_len;
	const uint8_t *data; // the encoded points
	size_t len;
	store_summary sum; // vals, decoded
} store_block;

// The checksum stored in a block row's `crc` (store_block.c): CRC-32C of
// key, n, first_ts, last_ts (8 bytes little-endian each), vals and data.
uint32_t node__store_block_crc(const store_block *b);

// Reads the STORE_BLOCK_COLS of the current row of s, starting at column
// col, into *b; returns 1 when the row's checksum matches, 0 when not.
int node__store_block_get(sqlite3_stmt *s, int col, store_block *b);

// The time window [*from_ms, *to_ms) of block `key` in a series of
// window_ms windows.
void node__store_block_window(
    int64_t key, int64_t window_ms, int64_t *from_ms, int64_t *to_ms);

// Logs and returns DATA_LOSS with a message naming the series and the
// block's window in UTC; `why` says what failed ("fails its checksum").
fed_status node__store_block_bad(node_store_err *err, const char *series,
    int64_t key, int64_t window_ms, const char *why);

// 1 when the NUL-terminated s is valid UTF-8 (no overlong forms, no
// surrogates, nothing past U+10FFFF), else 0.
int node__store_utf8_valid(const char *s);

// INVALID_ARGUMENT naming the field ("meta.box[2].value: not valid
// UTF-8") unless every string field of m, at any depth, repeated ones
// included, is valid UTF-8. path prefixes the field names ("meta"); m may
// be NULL (OK).
fed_status node__store_check_utf8(
    const ProtobufCMessage *m, const char *path, node_store_err *err);

// Registers the SQL function enfed_block_crc(key, n, first_ts, last_ts,
// vals, data) on db: the schema migration to version 5 fills `crc` with it.
// Called, when set, at each step of a schema migration and for each block
// the version 5 migration checksums: the upgrade test sets it to kill the
// process there (kill -9 in the middle of a migration). NULL otherwise.
extern void (*node__store_migrate_probe)(void);

fed_status node__store_block_sql_fn(sqlite3 *db);

// ---- Group commit (store_group.c, store_append.c)
// ---------------------------

// One append waiting for its commit. Prepared (validated, its scratch
// allocated) by the caller's thread before it queues; applied by whichever
// thread leads the group that takes it. Lives on the caller's stack.
typedef struct node__commit {
	const Enfed__V1__IngestRequest *req; // borrowed
	node_store_new_fn on_new; // may be NULL
	void *arg;
	node_store_err *err; // may be NULL
	size_t n_points; // in req, for the group's size bound
	struct node__in_point *buf; // room for req's largest series
	size_t *starts; // where each series' new points begin in fresh
	int *is_public; // each series' visibility, as applied
	node_points fresh; // points newly stored, for outbox and on_new
	node_store_counts counts; // on OK
	fed_status status; // set by the leader
	// An asynchronous append (node_store_append_async): the committer
	// calls done_fn, then frees m (heap); NULL for one that waits.
	node_store_done_fn done_fn;
	void *done_arg;
	// The queue's own (store_group.c), under its mutex; `done` is read
	// by the call itself once `wake` is posted.
	int done;
	sem_t wake;
	struct node__commit *next;
} node__commit;

// The store's commit queue (NULL while opening fails).
typedef struct node__group node__group;

// A queue whose leaders wait at most wait_ms for company (0: every
// commit alone). RESOURCE_EXHAUSTED.
fed_status node__group_new(unsigned wait_ms, node__group **out);

// Frees the queue; nobody may be in it. NULL does nothing.
void node__group_free(node__group *g);

// The store's queue.
node__group *node__store_group(node_store *st);

// A call is on its way to the queue (validating): a leader waits for it.
// Balanced by node__group_run, or by node__group_leave when it gives up.
void node__group_enter(node__group *g);
void node__group_leave(node__group *g);

// Queues m and returns once the commit holding it is over, m->status set:
// either another thread led a group that held m, or this one led it
// (waiting for company, then node__store_commit). Blocks. An asynchronous
// m (done_fn set) returns at once, unless committed alone on this thread
// (wait_ms 0): the store's committer thread leads a group whose head is
// asynchronous, and completes each asynchronous call of it
// (node__commit_complete).
void node__group_run(node_store *st, node__group *g, node__commit *m);

// The store's commit hook (node_store_set_on_commit); *fn NULL: none.
// Under the writer lock.
void node__store_on_commit(
    node_store *st, node_store_commit_fn *fn, void **arg);

// Ends an asynchronous append: calls its done_fn, frees it.
void node__commit_complete(node__commit *m);

// Applies the n calls first, first->next, ... in one transaction under
// the writer lock, each in its own savepoint when n > 1, commits, then
// calls each successful call's on_new in order (store_append.c). Sets
// every call's status.
void node__store_commit(node_store *st, node__commit *first, size_t n);

#endif // NODE_STORE_INTERNAL_H
