// SPDX-License-Identifier: MIT
//
// row_check.h: the checksum of a row of an sqlite store, shared by the
// stores whose rows carry one (fed-directory's dir_store, fed-invest's
// invest_store; fed-node's blocks have their own, store_block.c). Each such
// table has a column `crc` holding crc32c_row() of the table's name and of
// its other columns in order, written by the same statement that writes
// the row and compared with it by every statement that reads it, so that a
// flipped bit anywhere in the row is found (DATA_LOSS naming the table and
// the key) instead of served.
//
// The functions take a connection the store opened (this module opens
// none) and return sqlite's result codes, which the store translates as it
// translates its own. They are called with the store's lock held, on one
// connection at a time.

#ifndef ROW_CHECK_H
#define ROW_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

#include "fed/scrub.h"

#define ROW_CHECK_MAX_KEYS 2 // columns of a primary key, at most

// Registers the SQL function crc32c_row(table, v1, v2, ...) on db: the
// CRC-32C (fed/crc32c.h) of its arguments in order, each encoded by its
// type: INTEGER 'i' and 8 bytes little-endian; REAL 'r' and the 8 bytes of
// its IEEE 754 bits, little-endian; TEXT 't', its length (4 bytes,
// little-endian) and its bytes; BLOB 'b', its length and its bytes; NULL
// 'n'. Its value is an integer in [0, 2^32). The table's name comes first,
// so that a row copied into another table does not pass. Deterministic,
// and direct-only: no schema object (trigger, view, index) uses it, so a
// connection without it (the sqlite3 shell) still reads and writes the
// file. Returns sqlite's code.
int row_check_register(sqlite3 *db);

// Called, when set, by crc32c_row() for each row it seals or checks: the
// upgrade test sets it to kill the process in the middle of a migration
// (every stored row is sealed in it). NULL otherwise.
extern void (*row_check_probe)(void);

// A table whose rows carry a checksum.
typedef struct row_check_table {
	const char *name; // "offers"
	const char *keys[ROW_CHECK_MAX_KEYS]; // its primary key's columns, in
	                                      // order; NULL after the last
	const char *crc; // SQL: the row's checksum from its columns,
	                 // "crc32c_row('sites', site, organisation)"
} row_check_table;

// Writes the key of the current row of st, whose columns col, col + 1, ...
// are t's key columns in order, into buf as "site=kermelo/" or
// "series_id=kermelo/pv/e node=n1" (values escaped by fed_scrub_escape,
// truncated to len).
void row_check_key(const row_check_table *t, sqlite3_stmt *st, int col,
    char *buf, size_t len);

// For a read that found the current row of st failing its checksum (its
// key at column col, as row_check_key): writes "TABLE KEY: the stored row
// fails its checksum" into msg (msg_len bytes; msg may be NULL) and logs it
// at error level under component log.
void row_check_report(const row_check_table *t, sqlite3_stmt *st, int col,
    const char *log, char *msg, size_t msg_len);

// A walk over the rows of a table in key order, a batch at a time, each
// batch its own statement (so its own read transaction): the store may
// release its lock between batches.
typedef struct row_check_walk {
	const row_check_table *t;
	sqlite3_value *last[ROW_CHECK_MAX_KEYS]; // key of the last row seen
	bool started;
	bool done; // every row has been seen
} row_check_walk;

// Starts a walk over t's rows. Release it with row_check_walk_fini.
void row_check_walk_init(row_check_walk *w, const row_check_table *t);

// Frees what the walk holds (the copies of the last key).
void row_check_walk_fini(row_check_walk *w);

// Checks the next `batch` rows of the walk on db: counts them in
// rep->n_rows, and counts, lists (fed_scrub_report_bad) and logs at error
// level under component log each one whose checksum fails. Sets w->done
// after the last row. A damaged page that sqlite cannot read
// (SQLITE_CORRUPT) is one bad entry too, keyed "after COL=VALUE" (the last
// row read), and ends the walk of this table. Returns SQLITE_OK, or the
// code of the failure (SQLITE_NOMEM when a key cannot be copied).
int row_check_walk_step(row_check_walk *w, sqlite3 *db, unsigned batch,
    fed_scrub_report *rep, const char *log);

// sqlite's PRAGMA quick_check on db into out (len bytes): "ok", or the
// first problem it lists, followed by how many more, or sqlite's message
// when the check itself meets a page it cannot read. Returns sqlite's code
// (SQLITE_OK in all these cases).
int row_check_quick(sqlite3 *db, char *out, size_t len);

#endif // ROW_CHECK_H
