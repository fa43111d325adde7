// SPDX-License-Identifier: MIT
//
// store_backup.c: an online copy of the store with sqlite's backup API, on
// a reader connection: the copy is the snapshot of one read transaction
// (the WAL lets the writer go on meanwhile), so every commit is in it
// whole or not at all.

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
		return node__store_fail(
		    err, FED_INVALID_ARGUMENT, "dest: must not be empty");
	unlink(dest);
	sqlite3 *out = NULL;
	int rc = sqlite3_open_v2(dest, &out,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		fed_status s = node__store_fail(err, FED_UNAVAILABLE,
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
		s = node__store_fail(err,
		    rc == SQLITE_FULL ? FED_RESOURCE_EXHAUSTED
		                      : FED_UNAVAILABLE,
		    "%s: backup failed: %s", dest, sqlite3_errstr(rc));
	if (sqlite3_close(out) != SQLITE_OK && s == FED_OK)
		s = node__store_fail(
		    err, FED_UNAVAILABLE, "%s: cannot close the backup", dest);
	if (s != FED_OK)
		unlink(dest);
	return s;
}
