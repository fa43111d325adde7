// SPDX-License-Identifier: MIT
//
// store_grants.c: the grants table and the live grants, part of the store
// module (store.h). Scopes are kept as a bit set (NODE_STORE_SCOPE_*), the
// step and times as integers. The grants with the live scope are also
// kept in memory, under the writer lock, for appends to fill the
// replication outbox (store_outbox.c) without a query; every write that
// changes them reloads them in its transaction, and a new live grant
// queues its backlog there too.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
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

// The rollback undid the grant, or its revocation: so do the live grants
// (revoke_locked reloads them before the COMMIT, which may still fail).
static void
live_undo(store_conn *c, void *arg)
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
	fed_status res = node__store_write_undo(st, put_locked, live_undo, &a);
	if (res == FED_ALREADY_EXISTS)
		node_store_fail(err, res, "grant %s exists already", g->id);
	return res;
}

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
		return node_store_fail(
		    a->err, FED_NOT_FOUND, "no grant %s", a->id);
	// Nothing more leaves for a revoked grant, from this very commit.
	FED_TRY(node__store_outbox_drop(c, a->id));
	return node__store_live_reload(a->st, c);
}

fed_status
node_store_grant_revoke(node_store *st, const char *id, node_store_err *err)
{
	grant_args a = {st, NULL, NULL, id, err};
	return node__store_write_undo(st, revoke_locked, live_undo, &a);
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

// ---- Live grants ----------------------------------------------------------

int
node__store_grant_covers(const char *pattern, const char *id)
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

// After a grant's insert, in its transaction: reload, then the backlog.
static fed_status
grant_added(node_store *st, store_conn *c, const char *id)
{
	FED_TRY(node__store_live_reload(st, c));
	const node__live_grants *lg = node__store_live(st);
	for (size_t k = 0; k < lg->n; k++) {
		if (strcmp(lg->g[k].id, id) == 0)
			return node__store_outbox_backlog(c, &lg->g[k]);
	}
	return FED_OK;
}
