// SPDX-License-Identifier: MIT
//
// store_grants.c: the grants table. Scopes are kept as a bit set
// (NODE_STORE_SCOPE_*), the step and times as integers.

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_internal.h"

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

// Runs one prepared write statement in its own transaction.
static fed_status
write_one(node_store *st, sqlite3_stmt *s, store_conn *c, const char *what)
{
	int rc = sqlite3_step(s);
	fed_status res = FED_OK;
	if (rc == SQLITE_CONSTRAINT)
		res = FED_ALREADY_EXISTS;
	else if (rc != SQLITE_DONE)
		res = node__store_sql_status(c->db, rc, what);
	sqlite3_finalize(s);
	res = node__store_write_end(c, res);
	node__store_writer_unlock(st);
	return res;
}

fed_status
node_store_grant_put(node_store *st, const Enfed__V1__Grant *g,
    const char *token_hash, node_store_err *err)
{
	store_conn *c = node__store_writer_lock(st);
	fed_status res = node__store_exec(c, "BEGIN IMMEDIATE");
	sqlite3_stmt *s = NULL;
	int rc = res == FED_OK ? sqlite3_prepare_v2(c->db,
	             "INSERT INTO grants(id, series, grantee, scopes,"
	             " finest_step, from_ms, to_ms, expires_ms, created_ms,"
	             " revoked, token_hash, grantee_addr)"
	             " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
	             -1, &s, NULL)
	                       : SQLITE_ERROR;
	if (rc != SQLITE_OK) {
		if (res == FED_OK)
			res = node__store_sql_status(
			    c->db, rc, "grant insert");
		res = node__store_write_end(c, res);
		node__store_writer_unlock(st);
		return res;
	}
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
	res = write_one(st, s, c, "grant insert");
	if (res == FED_ALREADY_EXISTS)
		node__store_fail(err, res, "grant %s exists already", g->id);
	return res;
}

fed_status
node_store_grant_revoke(node_store *st, const char *id, node_store_err *err)
{
	store_conn *c = node__store_writer_lock(st);
	fed_status res = node__store_exec(c, "BEGIN IMMEDIATE");
	sqlite3_stmt *s = NULL;
	int rc = res == FED_OK
	    ? sqlite3_prepare_v2(c->db,
	        "UPDATE grants SET revoked = 1 WHERE id = ?", -1, &s, NULL)
	    : SQLITE_ERROR;
	if (rc != SQLITE_OK) {
		if (res == FED_OK)
			res = node__store_sql_status(
			    c->db, rc, "grant revoke");
		res = node__store_write_end(c, res);
		node__store_writer_unlock(st);
		return res;
	}
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	int changed = sqlite3_changes(c->db);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		res = node__store_sql_status(c->db, rc, "grant revoke");
	else if (changed == 0)
		res = node__store_fail(err, FED_NOT_FOUND, "no grant %s", id);
	res = node__store_write_end(c, res);
	node__store_writer_unlock(st);
	return res;
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
