// SPDX-License-Identifier: MIT
//
// store_outbox.c: the replication outbox and the held buckets, part of the
// store module (store.h). An append adds a row per new point and live
// grant covering it, in its own transaction (node__store_outbox_add); a
// new live grant adds the backlog of stored points it covers in the
// grant's transaction, and a revoke drops the grant's rows in its own. The
// replicator (node_replicate.c) reads the rows in order, deletes them once
// the grantee acknowledged them, and holds the buckets of a grant coarser
// than raw until they end, so that a grantee never sees a bucket fill.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fed/clock.h"
#include "store.h"
#include "store_codec.h"
#include "store_internal.h"

static int
in_range(const node__live_grant *g, int64_t ts)
{
	return ts >= g->from_ms && (g->to_ms == 0 || ts < g->to_ms);
}

// Adds rows of one grant for the points inside its range.
static fed_status
outbox_rows(store_conn *c, sqlite3_stmt *ins, const node__live_grant *g,
    const char *series_id, const int64_t *ts, const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!in_range(g, ts[i]))
			continue;
		sqlite3_bind_text(ins, 1, g->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, series_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 3, ts[i]);
		sqlite3_bind_blob(ins, 4, &v[i], sizeof(v[i]), SQLITE_STATIC);
		int rc = sqlite3_step(ins);
		sqlite3_reset(ins);
		if (rc != SQLITE_DONE)
			return node__store_sql_status(c->db, rc, "outbox add");
	}
	return FED_OK;
}

static fed_status
prepare_insert(store_conn *c, sqlite3_stmt **ins)
{
	int rc = sqlite3_prepare_v2(c->db,
	    "INSERT INTO outbox(grant_id, series, ts, value)"
	    " VALUES(?, ?, ?, ?)",
	    -1, ins, NULL);
	return rc == SQLITE_OK ? FED_OK
	                       : node__store_sql_status(c->db, rc, "outbox");
}

fed_status
node__store_outbox_add(node_store *st, store_conn *c, const char *series_id,
    const int64_t *ts_ms, const double *value, size_t n)
{
	const node__live_grants *lg = node__store_live(st);
	int64_t now = fed_clock_now_ms();
	sqlite3_stmt *ins = NULL;
	fed_status res = FED_OK;
	for (size_t k = 0; k < lg->n && res == FED_OK; k++) {
		const node__live_grant *g = &lg->g[k];
		if (!node__store_grant_covers(g->series, series_id)
		    || (g->expires_ms != 0 && now >= g->expires_ms))
			continue;
		if (ins == NULL && (res = prepare_insert(c, &ins)) != FED_OK)
			break;
		res = outbox_rows(c, ins, g, series_id, ts_ms, value, n);
	}
	sqlite3_finalize(ins);
	return res;
}

// Decodes the current block row of blk into c->pts, checksum first.
static fed_status
backlog_block(
    store_conn *c, sqlite3_stmt *blk, const char *id, int64_t window_ms)
{
	store_block b;
	c->pts.n = 0; // decode appends
	if (!node__store_block_get(blk, 0, &b))
		return node__store_block_bad(
		    NULL, id, b.key, window_ms, "fails its checksum");
	return node_codec_decode(c->codec, b.data, b.len, &c->pts);
}

fed_status
node__store_outbox_backlog(store_conn *c, const node__live_grant *g)
{
	sqlite3_stmt *ser = NULL, *blk = NULL, *ins = NULL;
	int rc = sqlite3_prepare_v2(c->db,
	    "SELECT sid, id, window_ms FROM series ORDER BY id", -1, &ser,
	    NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(c->db,
		    "SELECT " STORE_BLOCK_COLS " FROM blocks"
		    " WHERE key >= ?1 AND key < ?2 ORDER BY key",
		    -1, &blk, NULL);
	fed_status res = rc == SQLITE_OK
	    ? prepare_insert(c, &ins)
	    : node__store_sql_status(c->db, rc, "backlog");
	while (res == FED_OK && sqlite3_step(ser) == SQLITE_ROW) {
		const char *id = (const char *) sqlite3_column_text(ser, 1);
		if (!node__store_grant_covers(g->series, id))
			continue;
		int64_t sid = sqlite3_column_int64(ser, 0);
		sqlite3_bind_int64(blk, 1, node__store_key(sid, 0));
		sqlite3_bind_int64(blk, 2, node__store_key(sid + 1, 0));
		while (res == FED_OK && sqlite3_step(blk) == SQLITE_ROW) {
			res = backlog_block(
			    c, blk, id, sqlite3_column_int64(ser, 2));
			if (res == FED_OK)
				res = outbox_rows(c, ins, g, id, c->pts.ts_ms,
				    c->pts.value, c->pts.n);
		}
		sqlite3_reset(blk);
	}
	sqlite3_finalize(ser);
	sqlite3_finalize(blk);
	sqlite3_finalize(ins);
	return res;
}

fed_status
node_store_outbox_peek(node_store *st, node_store_outbox_row *rows, size_t max,
    size_t *n, node_store_err *err)
{
	(void) err;
	*n = 0;
	store_conn *c = NULL;
	FED_TRY(node__store_read_begin(st, &c));
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(c->db,
	    "SELECT seq, grant_id, series, ts, value FROM outbox"
	    " ORDER BY seq LIMIT ?",
	    -1, &s, NULL);
	fed_status res = rc == SQLITE_OK
	    ? FED_OK
	    : node__store_sql_status(c->db, rc, "outbox peek");
	if (res == FED_OK)
		sqlite3_bind_int64(s, 1, (int64_t) max);
	while (res == FED_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		node_store_outbox_row *r = &rows[(*n)++];
		r->seq = sqlite3_column_int64(s, 0);
		snprintf(r->grant_id, sizeof(r->grant_id), "%s",
		    sqlite3_column_text(s, 1));
		snprintf(r->series_id, sizeof(r->series_id), "%s",
		    sqlite3_column_text(s, 2));
		r->ts_ms = sqlite3_column_int64(s, 3);
		if (sqlite3_column_bytes(s, 4) == sizeof(r->value))
			memcpy(&r->value, sqlite3_column_blob(s, 4),
			    sizeof(r->value));
	}
	if (res == FED_OK && rc != SQLITE_DONE)
		res = node__store_sql_status(c->db, rc, "outbox peek");
	sqlite3_finalize(s);
	node__store_read_end(st, c);
	return res;
}

static fed_status
hold_rows(store_conn *c, const char *grant_id, int64_t up_to_seq,
    const node_store_held *held, size_t n_held)
{
	sqlite3_stmt *s = NULL;
	FED_TRY(node__store_prepare(c,
	    "DELETE FROM outbox WHERE grant_id = ?1 AND seq <= ?2", &s,
	    "outbox delete"));
	sqlite3_bind_text(s, 1, grant_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, up_to_seq);
	FED_TRY(node__store_step_done(c, s, "outbox delete"));
	for (size_t i = 0; i < n_held; i++) {
		FED_TRY(node__store_prepare(c,
		    "INSERT OR IGNORE INTO outbox_held(grant_id, series,"
		    " start_ms, end_ms) VALUES(?, ?, ?, ?)",
		    &s, "outbox hold"));
		sqlite3_bind_text(s, 1, grant_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, held[i].series_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, held[i].start_ms);
		sqlite3_bind_int64(s, 4, held[i].end_ms);
		FED_TRY(node__store_step_done(c, s, "outbox hold"));
	}
	return FED_OK;
}

typedef struct hold_args {
	const char *grant_id;
	int64_t up_to_seq;
	const node_store_held *held;
	size_t n_held;
} hold_args;

static fed_status
hold_locked(store_conn *c, void *arg)
{
	const hold_args *a = arg;
	return hold_rows(c, a->grant_id, a->up_to_seq, a->held, a->n_held);
}

fed_status
node_store_outbox_done(node_store *st, const char *grant_id, int64_t up_to_seq,
    node_store_err *err)
{
	(void) err;
	hold_args a = {grant_id, up_to_seq, NULL, 0};
	return node__store_write(st, hold_locked, &a);
}

fed_status
node_store_outbox_hold(node_store *st, const char *grant_id, int64_t up_to_seq,
    const node_store_held *held, size_t n_held, node_store_err *err)
{
	(void) err;
	hold_args a = {grant_id, up_to_seq, held, n_held};
	return node__store_write(st, hold_locked, &a);
}

// The ended held buckets become outbox rows (value 0: the replicator
// sends the bucket's aggregate, not the row's value), then leave the
// held table.
static fed_status
release_rows(store_conn *c, int64_t now_ms, size_t *n, int64_t *next_end_ms)
{
	sqlite3_stmt *s = NULL;
	FED_TRY(node__store_prepare(c,
	    "INSERT INTO outbox(grant_id, series, ts, value)"
	    " SELECT grant_id, series, start_ms, zeroblob(8) FROM outbox_held"
	    " WHERE end_ms <= ?1 ORDER BY start_ms",
	    &s, "outbox release"));
	sqlite3_bind_int64(s, 1, now_ms);
	FED_TRY(node__store_step_done(c, s, "outbox release"));
	*n = (size_t) sqlite3_changes(c->db);
	FED_TRY(node__store_prepare(c,
	    "DELETE FROM outbox_held WHERE end_ms <= ?1", &s,
	    "outbox release"));
	sqlite3_bind_int64(s, 1, now_ms);
	FED_TRY(node__store_step_done(c, s, "outbox release"));
	FED_TRY(node__store_prepare(
	    c, "SELECT min(end_ms) FROM outbox_held", &s, "outbox release"));
	int rc = sqlite3_step(s);
	*next_end_ms
	    = rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL
	    ? sqlite3_column_int64(s, 0)
	    : INT64_MAX;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW
	    ? FED_OK
	    : node__store_sql_status(c->db, rc, "outbox release");
}

typedef struct release_args {
	int64_t now_ms;
	size_t *n;
	int64_t *next_end_ms;
} release_args;

static fed_status
release_locked(store_conn *c, void *arg)
{
	const release_args *a = arg;
	return release_rows(c, a->now_ms, a->n, a->next_end_ms);
}

fed_status
node_store_outbox_release(node_store *st, int64_t now_ms, size_t *n,
    int64_t *next_end_ms, node_store_err *err)
{
	(void) err;
	*n = 0;
	*next_end_ms = INT64_MAX;
	release_args a = {now_ms, n, next_end_ms};
	return node__store_write(st, release_locked, &a);
}

fed_status
node_store_outbox_count(
    node_store *st, const char *grant_id, uint64_t *n, node_store_err *err)
{
	(void) err;
	store_conn *c = NULL;
	FED_TRY(node__store_read_begin(st, &c));
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(c->db,
	    "SELECT count(*) FROM outbox WHERE ?1 = '' OR grant_id = ?1", -1,
	    &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, grant_id, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
	}
	fed_status res = rc == SQLITE_ROW
	    ? FED_OK
	    : node__store_sql_status(c->db, rc, "outbox count");
	if (res == FED_OK)
		*n = (uint64_t) sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	node__store_read_end(st, c);
	return res;
}

fed_status
node__store_outbox_drop(store_conn *c, const char *grant_id)
{
	static const char *const sql[] = {
	    "DELETE FROM outbox WHERE grant_id = ?",
	    "DELETE FROM outbox_held WHERE grant_id = ?",
	};
	for (size_t i = 0; i < 2; i++) {
		sqlite3_stmt *s = NULL;
		FED_TRY(node__store_prepare(c, sql[i], &s, "outbox drop"));
		sqlite3_bind_text(s, 1, grant_id, -1, SQLITE_STATIC);
		FED_TRY(node__store_step_done(c, s, "outbox drop"));
	}
	return FED_OK;
}

static fed_status
depth_rows(
    sqlite3_stmt *s, node_store_outbox_depth *out, size_t max, size_t *n)
{
	int rc = SQLITE_DONE;
	while (*n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		node_store_outbox_depth *d = &out[(*n)++];
		snprintf(d->grant_id, sizeof(d->grant_id), "%s",
		    (const char *) sqlite3_column_text(s, 0));
		d->n = (uint64_t) sqlite3_column_int64(s, 1);
		d->oldest_ts_ms = sqlite3_column_int64(s, 2);
	}
	return *n == max || rc == SQLITE_DONE ? FED_OK : FED_INTERNAL;
}

fed_status
node_store_outbox_depths(node_store *st, node_store_outbox_depth *out,
    size_t max, size_t *n, node_store_err *err)
{
	(void) err;
	*n = 0;
	store_conn *c = NULL;
	FED_TRY(node__store_read_begin(st, &c));
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(c->db,
	    "SELECT grant_id, count(*), min(ts) FROM outbox GROUP BY grant_id"
	    " ORDER BY count(*) DESC, grant_id LIMIT ?",
	    -1, &s, NULL);
	fed_status res = rc == SQLITE_OK
	    ? FED_OK
	    : node__store_sql_status(c->db, rc, "outbox depths");
	if (res == FED_OK) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64) max);
		res = depth_rows(s, out, max, n);
	}
	sqlite3_finalize(s);
	node__store_read_end(st, c);
	return res;
}
