// SPDX-License-Identifier: MIT
//
// store_grants.c: the grants table. Scopes are kept as a bit set
// (NODE_STORE_SCOPE_*), the step and times as integers.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fed/clock.h"
#include "store.h"
#include "store_codec.h"
#include "store_internal.h"

static fed_status grant_added(node_store *st, store_conn *c, const char *id);

static unsigned
scope_bits(const Enfed__V1__Grant *g)
{
	unsigned bits = 0;
	for (size_t i = 0; i < g->n_scopes; i++) {
		if (g->scopes[i] == ENFED__V1__SCOPE__SCOPE_QUERY)
			bits |= NODE_STORE_SCOPE_QUERY;
		else if (g->scopes[i] == ENFED__V1__SCOPE__SCOPE_LIVE)
			bits |= NODE_STORE_SCOPE_LIVE;
	}
	return bits;
}

static void
bind_grant(sqlite3_stmt *s, const Enfed__V1__Grant *g, const char *token_hash)
{
	const Enfed__V1__TimeRange *r = g->data_range;
	sqlite3_bind_text(s, 1, g->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, g->series, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, g->grantee_node, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, (int) scope_bits(g));
	sqlite3_bind_int(s, 5, (int) g->finest_step);
	sqlite3_bind_int64(s, 6, r != NULL ? r->from_ms : 0);
	sqlite3_bind_int64(s, 7, r != NULL ? r->to_ms : 0);
	sqlite3_bind_int64(s, 8, g->expires_ms);
	sqlite3_bind_int64(s, 9, g->created_ms);
	sqlite3_bind_text(s, 10, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, g->grantee_rpc_addr, -1, SQLITE_STATIC);
}

typedef struct grant_args {
	node_store *st;
	const Enfed__V1__Grant *g; // for a put
	const char *token_hash; // for a put
	const char *id; // for a revoke
	node_store_err *err;
} grant_args;

// The grant's insert, then its backlog, in its transaction.
static fed_status
put_locked(store_conn *c, void *arg)
{
	const grant_args *a = arg;
	sqlite3_stmt *s = NULL;
	FED_TRY(node__store_prepare(c,
	    "INSERT INTO grants(id, series, grantee, scopes,"
	    " finest_step, from_ms, to_ms, expires_ms, created_ms,"
	    " revoked, token_hash, grantee_addr)"
	    " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
	    &s, "grant insert"));
	bind_grant(s, a->g, a->token_hash);
	int rc = sqlite3_step(s);
	fed_status res = FED_OK;
	if (rc == SQLITE_CONSTRAINT)
		res = FED_ALREADY_EXISTS;
	else if (rc != SQLITE_DONE)
		res = node__store_sql_status(c->db, rc, "grant insert");
	sqlite3_finalize(s);
	if (res == FED_OK)
		res = grant_added(a->st, c, a->g->id);
	return res;
}

// The rollback undid the grant: so do the live grants.
static void
put_undo(store_conn *c, void *arg)
{
	const grant_args *a = arg;
	node__store_live_reload(a->st, c);
}

fed_status
node_store_grant_put(node_store *st, const Enfed__V1__Grant *g,
    const char *token_hash, node_store_err *err)
{
	FED_TRY(node__store_check_utf8(&g->base, "grant", err));
	grant_args a = {st, g, token_hash, NULL, err};
	fed_status res = node__store_write_undo(st, put_locked, put_undo, &a);
	if (res == FED_ALREADY_EXISTS)
		node__store_fail(err, res, "grant %s exists already", g->id);
	return res;
}

static fed_status drop_outbox(store_conn *c, const char *grant_id);

static fed_status
revoke_locked(store_conn *c, void *arg)
{
	const grant_args *a = arg;
	sqlite3_stmt *s = NULL;
	FED_TRY(node__store_prepare(c,
	    "UPDATE grants SET revoked = 1 WHERE id = ?", &s, "grant revoke"));
	sqlite3_bind_text(s, 1, a->id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	int changed = sqlite3_changes(c->db);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return node__store_sql_status(c->db, rc, "grant revoke");
	if (changed == 0)
		return node__store_fail(
		    a->err, FED_NOT_FOUND, "no grant %s", a->id);
	// Nothing more leaves for a revoked grant, from this very commit.
	FED_TRY(drop_outbox(c, a->id));
	return node__store_live_reload(a->st, c);
}

fed_status
node_store_grant_revoke(node_store *st, const char *id, node_store_err *err)
{
	grant_args a = {st, NULL, NULL, id, err};
	return node__store_write(st, revoke_locked, &a);
}

// Rebuilds a Grant from a row; strings borrowed from the statement.
static void
row_grant(sqlite3_stmt *s, Enfed__V1__Grant *g, Enfed__V1__TimeRange *r,
    Enfed__V1__Scope *scopes)
{
	enfed__v1__grant__init(g);
	enfed__v1__time_range__init(r);
	g->id = (char *) sqlite3_column_text(s, 0);
	g->series = (char *) sqlite3_column_text(s, 1);
	g->grantee_node = (char *) sqlite3_column_text(s, 2);
	unsigned bits = (unsigned) sqlite3_column_int(s, 3);
	if (bits & NODE_STORE_SCOPE_QUERY)
		scopes[g->n_scopes++] = ENFED__V1__SCOPE__SCOPE_QUERY;
	if (bits & NODE_STORE_SCOPE_LIVE)
		scopes[g->n_scopes++] = ENFED__V1__SCOPE__SCOPE_LIVE;
	g->scopes = scopes;
	g->finest_step = (Enfed__V1__Step) sqlite3_column_int(s, 4);
	r->from_ms = sqlite3_column_int64(s, 5);
	r->to_ms = sqlite3_column_int64(s, 6);
	g->data_range = r;
	g->expires_ms = sqlite3_column_int64(s, 7);
	g->created_ms = sqlite3_column_int64(s, 8);
	g->revoked = sqlite3_column_int(s, 9) != 0;
	g->grantee_rpc_addr = (char *) sqlite3_column_text(s, 11);
}

fed_status
node_store_grant_list(
    node_store *st, node_store_grant_fn fn, void *arg, node_store_err *err)
{
	(void) err;
	store_conn *c = NULL;
	FED_TRY(node__store_read_begin(st, &c));
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(c->db,
	    "SELECT id, series, grantee, scopes, finest_step, from_ms, to_ms,"
	    " expires_ms, created_ms, revoked, token_hash, grantee_addr"
	    " FROM grants ORDER BY created_ms, id",
	    -1, &s, NULL);
	fed_status res = rc == SQLITE_OK
	    ? FED_OK
	    : node__store_sql_status(c->db, rc, "grant list");
	while (res == FED_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		Enfed__V1__Grant g;
		Enfed__V1__TimeRange r;
		Enfed__V1__Scope scopes[2];
		row_grant(s, &g, &r, scopes);
		res = fn(&g, (const char *) sqlite3_column_text(s, 10), arg);
	}
	if (res == FED_OK && rc != SQLITE_DONE)
		res = node__store_sql_status(c->db, rc, "grant list");
	sqlite3_finalize(s);
	node__store_read_end(st, c);
	return res;
}

// ---- Live grants and the replication outbox --------------------------------

static int
covers(const char *pattern, const char *id)
{
	size_t n = strlen(pattern);
	if (n > 0 && pattern[n - 1] == '/')
		return strncmp(id, pattern, n) == 0;
	return strcmp(id, pattern) == 0;
}

fed_status
node__store_live_reload(node_store *st, store_conn *c)
{
	node__live_grants *lg = node__store_live(st);
	lg->n = 0;
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(c->db,
	    "SELECT id, series, from_ms, to_ms, expires_ms FROM grants"
	    " WHERE revoked = 0 AND (scopes & 2) != 0",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return node__store_sql_status(c->db, rc, "live grants");
	fed_status res = FED_OK;
	while (res == FED_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (lg->n == lg->cap) {
			size_t ncap = lg->cap ? lg->cap * 2 : 8;
			node__live_grant *ng
			    = realloc(lg->g, ncap * sizeof(*ng));
			if (ng == NULL) {
				res = FED_RESOURCE_EXHAUSTED;
				break;
			}
			lg->g = ng;
			lg->cap = ncap;
		}
		node__live_grant *g = &lg->g[lg->n++];
		snprintf(
		    g->id, sizeof(g->id), "%s", sqlite3_column_text(s, 0));
		snprintf(g->series, sizeof(g->series), "%s",
		    sqlite3_column_text(s, 1));
		g->from_ms = sqlite3_column_int64(s, 2);
		g->to_ms = sqlite3_column_int64(s, 3);
		g->expires_ms = sqlite3_column_int64(s, 4);
	}
	if (res == FED_OK && rc != SQLITE_DONE)
		res = node__store_sql_status(c->db, rc, "live grants");
	sqlite3_finalize(s);
	return res;
}

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
		if (!covers(g->series, series_id)
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

// The backlog of a new live grant: every stored point it covers.
static fed_status
outbox_backlog(store_conn *c, const node__live_grant *g)
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
		if (!covers(g->series, id))
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

// After a grant's insert, in its transaction: reload, then the backlog.
static fed_status
grant_added(node_store *st, store_conn *c, const char *id)
{
	FED_TRY(node__store_live_reload(st, c));
	const node__live_grants *lg = node__store_live(st);
	for (size_t k = 0; k < lg->n; k++) {
		if (strcmp(lg->g[k].id, id) == 0)
			return outbox_backlog(c, &lg->g[k]);
	}
	return FED_OK;
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

static fed_status
drop_outbox(store_conn *c, const char *grant_id)
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
