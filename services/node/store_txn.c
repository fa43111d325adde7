// SPDX-License-Identifier: MIT
//
// store_txn.c: the store's transactions and its sqlite boundary, part of
// the store module (store_internal.h). Every write but appends runs
// through node__store_write: the writer lock, BEGIN IMMEDIATE, the
// caller's body, then COMMIT, or ROLLBACK on any failure (a failed COMMIT
// included), the lock released last. Appends share one transaction per
// group (node__store_commit, store_append.c) and end it with the same
// node__store_write_end. Every read runs in one read transaction on a
// pooled reader (node__store_read_begin/end), so it sees one snapshot.
// Every sqlite result code becomes a fed_status here, logged once.

#include <stdarg.h>
#include <stdio.h>

#include <sqlite3.h>

#include "store_internal.h"

fed_status
node_store_fail(node_store_err *err, fed_status st, const char *fmt, ...)
{
	if (err != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return st;
}

fed_status
node__store_sql_status(sqlite3 *db, int rc, const char *what)
{
	fed_log(FED_LOG_ERR, "store", "sqlite %s: %s (%d)", what,
	    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return FED_UNAVAILABLE;
	case SQLITE_FULL:
	case SQLITE_NOMEM:
		return FED_RESOURCE_EXHAUSTED;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return FED_DATA_LOSS;
	default:
		return FED_INTERNAL;
	}
}

fed_status
node__store_exec(store_conn *c, const char *sql)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return node__store_sql_status(c->db, rc, sql);
	return FED_OK;
}

sqlite3_stmt *
node__store_stmt(store_conn *c, store_stmt which)
{
	sqlite3_stmt *s = c->stmt[which];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

void
node__store_reset_all(store_conn *c)
{
	for (int i = 0; i < STMT_COUNT; i++)
		sqlite3_reset(c->stmt[i]);
}

fed_status
node__store_prepare(
    store_conn *c, const char *sql, sqlite3_stmt **s, const char *what)
{
	int rc = sqlite3_prepare_v2(c->db, sql, -1, s, NULL);
	return rc == SQLITE_OK ? FED_OK
	                       : node__store_sql_status(c->db, rc, what);
}

fed_status
node__store_step_done(store_conn *c, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? FED_OK
	                         : node__store_sql_status(c->db, rc, what);
}

// Ends the writer's transaction: COMMIT after success, else ROLLBACK.
fed_status
node__store_write_end(store_conn *c, fed_status st)
{
	node__store_reset_all(c);
	if (st == FED_OK)
		st = node__store_exec(c, "COMMIT");
	if (st != FED_OK)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

fed_status
node__store_write_undo(node_store *st, node__store_write_fn fn,
    node__store_undo_fn undo, void *arg)
{
	store_conn *c = node__store_writer_lock(st);
	fed_status s = node__store_exec(c, "BEGIN IMMEDIATE");
	int ran = s == FED_OK;
	if (ran)
		s = fn(c, arg);
	s = node__store_write_end(c, s);
	if (s != FED_OK && ran && undo != NULL)
		undo(c, arg);
	node__store_writer_unlock(st);
	return s;
}

fed_status
node__store_write(node_store *st, node__store_write_fn fn, void *arg)
{
	return node__store_write_undo(st, fn, NULL, arg);
}

// Runs a read on a reader connection inside one read transaction.
fed_status
node__store_read_begin(node_store *st, store_conn **c)
{
	*c = node__store_reader_get(st);
	fed_status s = node__store_exec(*c, "BEGIN");
	if (s != FED_OK)
		node__store_reader_put(st, *c);
	return s;
}

void
node__store_read_end(node_store *st, store_conn *c)
{
	node__store_reset_all(c);
	sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	node__store_reader_put(st, c);
}
