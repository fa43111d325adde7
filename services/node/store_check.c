// SPDX-License-Identifier: MIT
//
// store_check.c: checking the store, part of the store module (store.h).
// node_store_scrub walks every block row in key order, a batch per read
// transaction, and verifies its checksum, that it decodes and that it
// matches its row; between batches the reader goes back to the pool and
// the walk may pause, so a scrub of a large store never holds a snapshot
// (and the WAL) for long nor takes the readers from queries.
// node_store_check adds sqlite's integrity_check and the series counts, on
// one snapshot, for tests and maintenance.

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fed/clock.h"
#include "store_internal.h"

#define SCRUB_BATCH 256

typedef struct scrub_ctx {
	store_conn *c;
	const node_store_scrub_opts *o;
	node_store_scrub_report *rep;
	int64_t last_key; // the walk resumes after it
	int more; // the last batch was full
} scrub_ctx;

static const char scrub_sql[]
    = "SELECT b.key, b.n, b.first_ts, b.last_ts, b.vals, b.data, b.crc,"
      " s.id, s.window_ms FROM blocks b"
      " LEFT JOIN series s ON s.sid = (b.key >> 32)"
      " WHERE b.key > ?1 ORDER BY b.key LIMIT ?2";

static void
note_bad(scrub_ctx *x, sqlite3_stmt *s, int64_t key, const char *why)
{
	node_store_scrub_report *r = x->rep;
	r->n_bad++;
	const char *id = (const char *) sqlite3_column_text(s, 7);
	int64_t window_ms = sqlite3_column_int64(s, 8);
	if (id == NULL || window_ms <= 0) {
		id = "?";
		window_ms = 1;
	}
	node__store_block_bad(NULL, id, key, window_ms, why);
	if (r->n_listed == NODE_STORE_SCRUB_MAX_BAD)
		return;
	node_store_bad_block *b = &r->bad[r->n_listed++];
	snprintf(b->series, sizeof(b->series), "%s", id);
	node__store_block_window(key, window_ms, &b->from_ms, &b->to_ms);
	snprintf(b->why, sizeof(b->why), "%s", why);
}

// Verifies the current row of s; NULL when it is sound, else what fails.
static const char *
block_fault(store_conn *c, sqlite3_stmt *s, store_block *b)
{
	if (!node__store_block_get(s, 0, b))
		return "fails its checksum";
	if (sqlite3_column_type(s, 7) == SQLITE_NULL)
		return "belongs to no series";
	c->pts.n = 0;
	if (node_codec_decode(c->codec, b->data, b->len, &c->pts) != FED_OK)
		return "does not decode";
	if (c->pts.n != b->n || c->pts.n == 0 || c->pts.ts_ms[0] != b->first_ts
	    || c->pts.ts_ms[c->pts.n - 1] != b->last_ts)
		return "does not match its row";
	return NULL;
}

static fed_status
scrub_batch(scrub_ctx *x)
{
	sqlite3_stmt *s = NULL;
	FED_TRY(node__store_prepare(x->c, scrub_sql, &s, "scrub"));
	unsigned batch = x->o->batch ? x->o->batch : SCRUB_BATCH;
	sqlite3_bind_int64(s, 1, x->last_key);
	sqlite3_bind_int64(s, 2, batch);
	unsigned n = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_block b;
		const char *why = block_fault(x->c, s, &b);
		x->last_key = b.key;
		x->rep->n_blocks++;
		n++;
		if (why != NULL)
			note_bad(x, s, b.key, why);
	}
	fed_status res = rc == SQLITE_DONE
	    ? FED_OK
	    : node__store_sql_status(x->c->db, rc, "scrub");
	sqlite3_finalize(s);
	x->more = n == batch;
	return res;
}

static void
pause_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int
stopped(const node_store_scrub_opts *o)
{
	return o->stop != NULL && atomic_load(o->stop);
}

fed_status
node_store_scrub(node_store *st, const node_store_scrub_opts *opts,
    node_store_scrub_report *out, node_store_err *err)
{
	static const node_store_scrub_opts defaults = {0, 0, NULL};
	memset(out, 0, sizeof(*out));
	out->started_ms = fed_clock_now_ms();
	int64_t t0 = fed_clock_mono_ms();
	scrub_ctx x = {NULL, opts ? opts : &defaults, out, -1, 1};
	fed_status res = FED_OK;
	while (res == FED_OK && x.more) {
		if (stopped(x.o))
			return node_store_fail(
			    err, FED_CANCELLED, "scrub: stopped");
		res = node__store_read_begin(st, &x.c);
		if (res != FED_OK)
			break;
		res = scrub_batch(&x);
		node__store_read_end(st, x.c);
		if (x.more && x.o->pause_ms > 0)
			pause_ms(x.o->pause_ms);
	}
	out->elapsed_ms = fed_clock_mono_ms() - t0;
	if (res != FED_OK)
		return node_store_fail(
		    err, res, "scrub: cannot read (%s)", fed_status_str(res));
	return FED_OK;
}

// sqlite's own check: "ok", or the first problem it lists.
static fed_status
check_sqlite(store_conn *c, node_store_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(
	    c->db, "PRAGMA integrity_check(1)", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	fed_status res = FED_OK;
	if (rc != SQLITE_ROW) {
		res = node__store_sql_status(c->db, rc, "integrity_check");
	} else {
		const char *said = (const char *) sqlite3_column_text(s, 0);
		if (said == NULL || strcmp(said, "ok") != 0)
			res = node_store_fail(err, FED_DATA_LOSS,
			    "integrity_check: %.200s", said ? said : "?");
	}
	sqlite3_finalize(s);
	return res;
}

// Every block decodes to its row's count and bounds; each series' count
// is the sum of its blocks'.
static fed_status
check_blocks(store_conn *c, node_store_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(c->db,
	    "SELECT s.id, s.n_points, b.key, b.n, b.first_ts, b.last_ts,"
	    " b.data FROM series s LEFT JOIN blocks b"
	    " ON b.key >= s.sid << 32 AND b.key < (s.sid + 1) << 32"
	    " ORDER BY s.sid, b.key",
	    -1, &s, NULL);
	fed_status res = rc == SQLITE_OK
	    ? FED_OK
	    : node__store_sql_status(c->db, rc, "check blocks");
	char id[256] = "";
	int64_t want = 0, got = 0;
	while (res == FED_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *sid = (const char *) sqlite3_column_text(s, 0);
		if (strcmp(sid, id) != 0) {
			if (id[0] != '\0' && got != want)
				break;
			snprintf(id, sizeof(id), "%s", sid);
			want = sqlite3_column_int64(s, 1);
			got = 0;
		}
		if (sqlite3_column_type(s, 2) == SQLITE_NULL)
			continue; // a series without points
		c->pts.n = 0;
		res = node_codec_decode(c->codec, sqlite3_column_blob(s, 6),
		    (size_t) sqlite3_column_bytes(s, 6), &c->pts);
		if (res != FED_OK || c->pts.n == 0
		    || (int64_t) c->pts.n != sqlite3_column_int64(s, 3)
		    || c->pts.ts_ms[0] != sqlite3_column_int64(s, 4)
		    || c->pts.ts_ms[c->pts.n - 1]
		        != sqlite3_column_int64(s, 5))
			res = node_store_fail(err, FED_DATA_LOSS,
			    "series %s: block %lld does not match its row", id,
			    (long long) sqlite3_column_int64(s, 2));
		got += (int64_t) c->pts.n;
	}
	if (res == FED_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		res = node__store_sql_status(c->db, rc, "check blocks");
	if (res == FED_OK && got != want)
		res = node_store_fail(err, FED_DATA_LOSS,
		    "series %s: %lld points counted, %lld in its blocks", id,
		    (long long) want, (long long) got);
	sqlite3_finalize(s);
	return res;
}

// The first bad block of a scrub as DATA_LOSS in err.
static fed_status
scrub_verdict(const node_store_scrub_report *r, node_store_err *err)
{
	if (r->n_bad == 0)
		return FED_OK;
	const node_store_bad_block *b = &r->bad[0];
	return node_store_fail(err, FED_DATA_LOSS,
	    "series %s: %llu bad block(s), the first of window [%lld, %lld) "
	    "%s",
	    b->series, (unsigned long long) r->n_bad, (long long) b->from_ms,
	    (long long) b->to_ms, b->why);
}

fed_status
node_store_check(node_store *st, node_store_err *err)
{
	node_store_scrub_report rep;
	FED_TRY(node_store_scrub(st, NULL, &rep, err));
	FED_TRY(scrub_verdict(&rep, err));
	store_conn *c = NULL;
	FED_TRY(node__store_read_begin(st, &c));
	fed_status res = check_sqlite(c, err);
	if (res == FED_OK)
		res = check_blocks(c, err);
	node__store_read_end(st, c);
	return res;
}
