// SPDX-License-Identifier: MIT
//
// store_maint.c: the database as a whole, part of the store module
// (store.h): its statistics, its compaction (VACUUM, under the writer lock
// but outside any transaction, which VACUUM cannot run in), and an online
// copy with sqlite's backup API, on a reader connection: the copy is the
// snapshot of one read transaction (the WAL lets the writer go on
// meanwhile), so every commit is in it whole or not at all.

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_internal.h"

fed_status
node_store_backup(node_store *st, const char *dest, node_store_err *err)
{
	if (dest == NULL || dest[0] == '\0')
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "dest: must not be empty");
	unlink(dest);
	sqlite3 *out = NULL;
	int rc = sqlite3_open_v2(dest, &out,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		fed_status s = node_store_fail(err, FED_UNAVAILABLE,
		    "%s: cannot create the backup: %s", dest,
		    out != NULL ? sqlite3_errmsg(out) : sqlite3_errstr(rc));
		sqlite3_close(out);
		return s;
	}
	store_conn *c = node__store_reader_get(st);
	// One step over every page: one read transaction, one snapshot.
	sqlite3_backup *b = sqlite3_backup_init(out, "main", c->db, "main");
	if (b == NULL) {
		rc = sqlite3_errcode(out);
	} else {
		rc = sqlite3_backup_step(b, -1);
		int fin = sqlite3_backup_finish(b);
		rc = rc == SQLITE_DONE ? fin : rc;
	}
	node__store_reader_put(st, c);
	// The copy keeps the source's journal mode (WAL) in its header; a
	// copy that is one self-contained file is what an operator moves.
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(
		    out, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	fed_status s = FED_OK;
	if (rc != SQLITE_OK)
		s = node_store_fail(err,
		    rc == SQLITE_FULL ? FED_RESOURCE_EXHAUSTED
		                      : FED_UNAVAILABLE,
		    "%s: backup failed: %s", dest, sqlite3_errstr(rc));
	if (sqlite3_close(out) != SQLITE_OK && s == FED_OK)
		s = node_store_fail(
		    err, FED_UNAVAILABLE, "%s: cannot close the backup", dest);
	if (s != FED_OK)
		unlink(dest);
	return s;
}

static fed_status
stats_query(store_conn *c, const char *sql, uint64_t *out, int n)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return node__store_sql_status(c->db, rc, sql);
	rc = sqlite3_step(s);
	for (int i = 0; rc == SQLITE_ROW && i < n; i++)
		out[i] = (uint64_t) sqlite3_column_int64(s, i);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return node__store_sql_status(c->db, rc, sql);
	return FED_OK;
}

static fed_status
stats_read(store_conn *c, node_store_stats *out)
{
	uint64_t blocks[3], pages[3];
	FED_TRY(
	    stats_query(c, "SELECT count(*) FROM series", &out->n_series, 1));
	FED_TRY(stats_query(c,
	    "SELECT count(*), total(n), total(length(data)) FROM blocks",
	    blocks, 3));
	FED_TRY(stats_query(c,
	    "SELECT page_count, freelist_count, page_size"
	    " FROM pragma_page_count, pragma_freelist_count, pragma_page_size",
	    pages, 3));
	out->n_blocks = blocks[0];
	out->n_points = blocks[1];
	out->block_bytes = blocks[2];
	out->file_bytes = pages[0] * pages[2];
	out->free_bytes = pages[1] * pages[2];
	return FED_OK;
}

fed_status
node_store_get_stats(node_store *st, node_store_stats *out)
{
	memset(out, 0, sizeof(*out));
	store_conn *c;
	FED_TRY(node__store_read_begin(st, &c));
	fed_status s = stats_read(c, out);
	node__store_read_end(st, c);
	return s;
}

fed_status
node_store_compact(node_store *st)
{
	store_conn *c = node__store_writer_lock(st);
	node__store_reset_all(c);
	fed_status s = node__store_exec(c, "VACUUM");
	if (s == FED_OK) {
		int rc = sqlite3_wal_checkpoint_v2(
		    c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			s = node__store_sql_status(c->db, rc, "checkpoint");
	}
	node__store_writer_unlock(st);
	return s;
}
