// SPDX-License-Identifier: MIT
//
// row_check.c: row checksums for the sqlite stores (row_check.h). The
// checksum is an SQL function so that one encoding serves the statements
// that write a row (crc = crc32c_row(..., ?1, ?2, ...)), those that read
// it (crc = crc32c_row(..., col1, col2, ...) as a column) and the schema
// migration that seals the rows already stored, without a copy of the
// column list in C.

#include "row_check.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fed/crc32c.h"
#include "fed/log.h"

static uint32_t
value_crc(uint32_t crc, sqlite3_value *v)
{
	uint8_t tag;
	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		tag = 'i';
		crc = fed_crc32c(crc, &tag, 1);
		return fed_crc32c_i64(crc, sqlite3_value_int64(v));
	case SQLITE_FLOAT: {
		double d = sqlite3_value_double(v);
		int64_t bits;
		memcpy(&bits, &d, sizeof(bits));
		tag = 'r';
		crc = fed_crc32c(crc, &tag, 1);
		return fed_crc32c_i64(crc, bits);
	}
	case SQLITE_TEXT:
	case SQLITE_BLOB: {
		tag = sqlite3_value_type(v) == SQLITE_TEXT ? 't' : 'b';
		crc = fed_crc32c(crc, &tag, 1);
		// blob before bytes: the order sqlite documents as safe.
		const void *p = sqlite3_value_blob(v);
		return fed_crc32c_field(
		    crc, p, (size_t) sqlite3_value_bytes(v));
	}
	default:
		tag = 'n';
		return fed_crc32c(crc, &tag, 1);
	}
}

void (*row_check_probe)(void);

static void
crc32c_row(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (row_check_probe != NULL)
		row_check_probe();
	uint32_t crc = 0;
	for (int i = 0; i < argc; i++)
		crc = value_crc(crc, argv[i]);
	sqlite3_result_int64(ctx, (sqlite3_int64) crc);
}

int
row_check_register(sqlite3 *db)
{
	return sqlite3_create_function_v2(db, "crc32c_row", -1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
	    crc32c_row, NULL, NULL, NULL);
}

void
row_check_key(
    const row_check_table *t, sqlite3_stmt *st, int col, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < ROW_CHECK_MAX_KEYS && t->keys[i] != NULL; i++) {
		int w = snprintf(
		    buf + n, len - n, "%s%s=", i > 0 ? " " : "", t->keys[i]);
		if (w < 0 || (size_t) w >= len - n)
			return;
		n += (size_t) w;
		const void *p = sqlite3_column_blob(st, col + i);
		n += fed_scrub_escape(buf + n, len - n, p,
		    (size_t) sqlite3_column_bytes(st, col + i));
	}
}

void
row_check_report(const row_check_table *t, sqlite3_stmt *st, int col,
    const char *log, char *msg, size_t msg_len)
{
	char key[sizeof(((fed_scrub_bad *) 0)->key)];
	row_check_key(t, st, col, key, sizeof(key));
	fed_log(FED_LOG_ERR, log,
	    "%s %s: the stored row fails its checksum; its values are not "
	    "used",
	    t->name, key);
	if (msg != NULL && msg_len > 0)
		snprintf(msg, msg_len,
		    "%s %s: the stored row fails its checksum", t->name, key);
}

void
row_check_walk_init(row_check_walk *w, const row_check_table *t)
{
	memset(w, 0, sizeof(*w));
	w->t = t;
}

void
row_check_walk_fini(row_check_walk *w)
{
	for (int i = 0; i < ROW_CHECK_MAX_KEYS; i++) {
		sqlite3_value_free(w->last[i]);
		w->last[i] = NULL;
	}
}

static int
n_keys(const row_check_table *t)
{
	int n = 0;
	while (n < ROW_CHECK_MAX_KEYS && t->keys[n] != NULL)
		n++;
	return n;
}

// The walk's statement: the key columns, then whether the row's checksum
// holds, in key order after the last key seen (?2, ?3, ...), ?1 rows.
static void
walk_sql(const row_check_walk *w, char *sql, size_t len)
{
	const char *const *k = w->t->keys;
	int two = n_keys(w->t) == 2;
	char keys[128];
	snprintf(keys, sizeof(keys), "%s%s%s", k[0], two ? ", " : "",
	    two ? k[1] : "");
	if (!w->started) {
		snprintf(sql, len,
		    "SELECT %s, crc = %s FROM %s ORDER BY %s LIMIT ?1", keys,
		    w->t->crc, w->t->name, keys);
		return;
	}
	snprintf(sql, len,
	    "SELECT %s, crc = %s FROM %s WHERE (%s) > (%s) ORDER BY %s "
	    "LIMIT ?1",
	    keys, w->t->crc, w->t->name, keys, two ? "?2, ?3" : "?2", keys);
}

// Keeps copies of the key of the current row of st.
static int
keep_key(row_check_walk *w, sqlite3_stmt *st, int n)
{
	for (int i = 0; i < n; i++) {
		sqlite3_value *v
		    = sqlite3_value_dup(sqlite3_column_value(st, i));
		if (v == NULL)
			return SQLITE_NOMEM;
		sqlite3_value_free(w->last[i]);
		w->last[i] = v;
	}
	w->started = true;
	return SQLITE_OK;
}

static bool
is_corrupt(int rc)
{
	return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

// The rest of the table cannot be read (a damaged page): one bad entry,
// keyed by the last row read, and the walk ends.
static int
unreadable(row_check_walk *w, fed_scrub_report *rep, int rc, const char *log)
{
	char key[sizeof(((fed_scrub_bad *) 0)->key)] = "(first row)";
	if (w->started) {
		const char *after
		    = (const char *) sqlite3_value_text(w->last[0]);
		snprintf(key, sizeof(key), "after %s=", w->t->keys[0]);
		size_t n = strlen(key);
		fed_scrub_escape(key + n, sizeof(key) - n, after,
		    after != NULL ? strlen(after) : 0);
	}
	fed_log(FED_LOG_ERR, log, "%s: cannot be read %s: %s", w->t->name, key,
	    sqlite3_errstr(rc));
	fed_scrub_report_bad(rep, w->t->name, key, sqlite3_errstr(rc));
	w->done = true;
	return SQLITE_OK;
}

int
row_check_walk_step(row_check_walk *w, sqlite3 *db, unsigned batch,
    fed_scrub_report *rep, const char *log)
{
	char sql[1024];
	sqlite3_stmt *st = NULL;
	int nk = n_keys(w->t);
	walk_sql(w, sql, sizeof(sql));
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, batch);
	for (int i = 0; w->started && i < nk; i++)
		sqlite3_bind_value(st, 2 + i, w->last[i]);
	unsigned n = 0;
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rep->n_rows++;
		n++;
		if (sqlite3_column_int(st, nk) == 0) {
			char key[sizeof(((fed_scrub_bad *) 0)->key)];
			row_check_key(w->t, st, 0, key, sizeof(key));
			row_check_report(w->t, st, 0, log, NULL, 0);
			fed_scrub_report_bad(
			    rep, w->t->name, key, "fails its checksum");
		}
		rc = keep_key(w, st, nk);
	}
	sqlite3_finalize(st);
	if (is_corrupt(rc))
		return unreadable(w, rep, rc, log);
	if (rc != SQLITE_DONE)
		return rc;
	w->done = n < batch;
	return SQLITE_OK;
}

int
row_check_quick(sqlite3 *db, char *out, size_t len)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	int n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ == 0)
			fed_scrub_escape(out, len < 160 ? len : 160,
			    sqlite3_column_blob(st, 0),
			    (size_t) sqlite3_column_bytes(st, 0));
	}
	sqlite3_finalize(st);
	if (is_corrupt(rc)) {
		snprintf(out, len, "%s", sqlite3_errstr(rc));
		return SQLITE_OK;
	}
	if (rc != SQLITE_DONE)
		return rc;
	if (n == 0)
		snprintf(out, len, "ok");
	else if (n > 1)
		snprintf(out + strlen(out), len - strlen(out),
		    " (and %d more)", n - 1);
	return SQLITE_OK;
}
