// SPDX-License-Identifier: MIT
//
// store_append.c: node_store_append, part of the store module (store.h).
//
// A request is validated whole before the writer is taken, so a bad point
// anywhere stores nothing. Then, in one transaction, each series' points
// are sorted (stable: the first of equal timestamps wins), cut by block
// window, and each window's block is read, merged and rewritten. The common
// case, points after the block's last one, skips the merge: the decoded
// block is extended and re-encoded, one read and one write per window per
// request, so a bulk load costs O(block size) per batch, not per point.
//
// Group commit (store_group.c queues the calls): the calls of a group are
// applied in queue order in one transaction, each inside its own
// savepoint so that one that fails is undone alone; one COMMIT, one fsync,
// then each call's new points go to its on_new, in the same order.

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

typedef struct node__in_point {
	int64_t ts_ms;
	double value;
	size_t idx; // position in the request, for a stable sort
} in_point;

// What one series' points did, for its statistics.
typedef struct apply_stats {
	uint64_t n_stored;
	uint64_t n_duplicate;
	uint64_t n_replaced;
	int replace; // an existing timestamp takes the new value
	int64_t min_ts; // smallest stored timestamp
	int64_t max_ts; // largest stored timestamp, and its value
	double max_value;
	node_points *fresh; // newly stored points are added here, if not NULL
	const char *id; // the series, for error messages
	int64_t window_ms;
	node_store_err *err;
} apply_stats;

static fed_status
check_series(const Enfed__V1__SeriesPoints *sp, size_t i, node_store_err *err)
{
	if (sp == NULL)
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "series[%zu]: missing", i);
	if (!node_store_valid_id(sp->series_id))
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "series[%zu].series_id: a series id is 1-200 bytes of "
		    "[A-Za-z0-9._/-]",
		    i);
	if (sp->n_ts_ms != sp->n_value)
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "series[%zu]: %zu timestamps but %zu values", i,
		    sp->n_ts_ms, sp->n_value);
	for (size_t k = 0; k < sp->n_ts_ms; k++) {
		int64_t ts = sp->ts_ms[k];
		if (ts < NODE_STORE_MIN_TS_MS || ts >= NODE_STORE_END_TS_MS)
			return node_store_fail(err, FED_INVALID_ARGUMENT,
			    "series[%zu].ts_ms[%zu]: outside years 1970-2200",
			    i, k);
		if (!isfinite(sp->value[k]))
			return node_store_fail(err, FED_INVALID_ARGUMENT,
			    "series[%zu].value[%zu]: not a finite number", i,
			    k);
	}
	return FED_OK;
}

static fed_status
check_request(const Enfed__V1__IngestRequest *req, node_store_err *err)
{
	if (req == NULL)
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "request: missing");
	for (size_t i = 0; i < req->n_series; i++)
		FED_TRY(check_series(req->series[i], i, err));
	return FED_OK;
}

static int
cmp_point(const void *a, const void *b)
{
	const in_point *x = a, *y = b;
	if (x->ts_ms != y->ts_ms)
		return x->ts_ms < y->ts_ms ? -1 : 1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

// Sorts the request's points of one series into *out and drops repeated
// timestamps (keeping the first sent); returns how many were dropped.
static size_t
sort_points(const Enfed__V1__SeriesPoints *sp, in_point *out)
{
	int sorted = 1;
	for (size_t k = 0; k < sp->n_ts_ms; k++) {
		out[k] = (in_point) {sp->ts_ms[k], sp->value[k], k};
		if (k > 0 && sp->ts_ms[k] <= sp->ts_ms[k - 1])
			sorted = 0;
	}
	if (sorted)
		return 0;
	qsort(out, sp->n_ts_ms, sizeof(*out), cmp_point);
	size_t w = 0;
	for (size_t k = 0; k < sp->n_ts_ms; k++)
		if (w == 0 || out[k].ts_ms != out[w - 1].ts_ms)
			out[w++] = out[k];
	return sp->n_ts_ms - w;
}

// A point whose value a series now holds anew (stored or replaced).
static void
note_changed(apply_stats *a, int64_t ts, double v)
{
	if (a->fresh != NULL) // room reserved by apply_series
		node_points_push(a->fresh, ts, v);
	if (ts < a->min_ts)
		a->min_ts = ts;
	if (ts >= a->max_ts) {
		a->max_ts = ts;
		a->max_value = v;
	}
}

static void
note_stored(apply_stats *a, int64_t ts, double v)
{
	a->n_stored++;
	note_changed(a, ts, v);
}

// Merges sorted new points into the sorted block points in c->pts, into
// c->merged; an existing timestamp keeps its value, unless a->replace.
static fed_status
merge_points(store_conn *c, const in_point *in, size_t n, apply_stats *a)
{
	node_points *old = &c->pts, *m = &c->merged;
	m->n = 0;
	FED_TRY(node_points_reserve(m, old->n + n));
	size_t i = 0, k = 0;
	while (i < old->n || k < n) {
		if (k == n || (i < old->n && old->ts_ms[i] < in[k].ts_ms)) {
			m->ts_ms[m->n] = old->ts_ms[i];
			m->value[m->n++] = old->value[i++];
		} else if (i < old->n && old->ts_ms[i] == in[k].ts_ms) {
			double v = old->value[i++];
			if (a->replace
			    && memcmp(&v, &in[k].value, sizeof(v))) {
				a->n_replaced++;
				v = in[k].value;
				note_changed(a, in[k].ts_ms, v);
			} else {
				a->n_duplicate++;
			}
			m->ts_ms[m->n] = in[k++].ts_ms;
			m->value[m->n++] = v;
		} else {
			note_stored(a, in[k].ts_ms, in[k].value);
			m->ts_ms[m->n] = in[k].ts_ms;
			m->value[m->n++] = in[k++].value;
		}
	}
	node_points tmp = *old;
	*old = *m;
	*m = tmp;
	return FED_OK;
}

static fed_status
extend_points(store_conn *c, const in_point *in, size_t n, apply_stats *a)
{
	FED_TRY(node_points_reserve(&c->pts, c->pts.n + n));
	for (size_t k = 0; k < n; k++) {
		note_stored(a, in[k].ts_ms, in[k].value);
		c->pts.ts_ms[c->pts.n] = in[k].ts_ms;
		c->pts.value[c->pts.n++] = in[k].value;
	}
	return FED_OK;
}

// Loads block `key` of series `id` into c->pts (empty when there is
// none). A block that fails its checksum or does not decode is DATA_LOSS:
// merging into it would rewrite its damage under a fresh checksum.
static fed_status
load_block(store_conn *c, const char *id, int64_t key, int64_t window_ms,
    node_store_err *err)
{
	c->pts.n = 0;
	sqlite3_stmt *s = node__store_stmt(c, STMT_BLOCK_GET);
	sqlite3_bind_int64(s, 1, key);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return FED_OK;
	if (rc != SQLITE_ROW)
		return node__store_sql_status(c->db, rc, "block read");
	store_block b;
	int sound = node__store_block_get(s, 0, &b);
	fed_status st = sound
	    ? node_codec_decode(c->codec, b.data, b.len, &c->pts)
	    : FED_DATA_LOSS;
	sqlite3_reset(s);
	if (st == FED_DATA_LOSS)
		return node__store_block_bad(err, id, key, window_ms,
		    sound ? "does not decode" : "fails its checksum");
	return st;
}

static void
summarise(const node_points *p, store_summary *sum)
{
	sum->first_v = p->value[0];
	sum->last_v = p->value[p->n - 1];
	sum->sum = 0;
	sum->min = sum->max = p->value[0];
	for (size_t i = 0; i < p->n; i++) {
		double v = p->value[i];
		sum->sum += v;
		if (v < sum->min)
			sum->min = v;
		if (v > sum->max)
			sum->max = v;
	}
}

static fed_status
save_block(store_conn *c, int64_t key)
{
	const node_points *p = &c->pts;
	if (p->n > NODE_CODEC_MAX_POINTS)
		return FED_RESOURCE_EXHAUSTED;
	const uint8_t *data;
	size_t len;
	FED_TRY(node_codec_encode(
	    c->codec, p->ts_ms, p->value, p->n, &data, &len));
	store_summary sum;
	summarise(p, &sum);
	store_block b = {key, p->n, p->ts_ms[0], p->ts_ms[p->n - 1], &sum,
	    STORE_SUMMARY_LEN, data, len, sum};
	sqlite3_stmt *s = node__store_stmt(c, STMT_BLOCK_PUT);
	sqlite3_bind_int64(s, 1, key);
	sqlite3_bind_int64(s, 2, (int64_t) p->n);
	sqlite3_bind_int64(s, 3, p->ts_ms[0]);
	sqlite3_bind_int64(s, 4, p->ts_ms[p->n - 1]);
	sqlite3_bind_blob(s, 5, &sum, STORE_SUMMARY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, data, (int) len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, (int64_t) node__store_block_crc(&b));
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return node__store_sql_status(c->db, rc, "block write");
	return FED_OK;
}

static fed_status
apply_window(
    store_conn *c, int64_t key, const in_point *in, size_t n, apply_stats *a)
{
	FED_TRY(load_block(c, a->id, key, a->window_ms, a->err));
	uint64_t before = a->n_stored + a->n_replaced;
	if (c->pts.n == 0 || in[0].ts_ms > c->pts.ts_ms[c->pts.n - 1])
		FED_TRY(extend_points(c, in, n, a));
	else
		FED_TRY(merge_points(c, in, n, a));
	if (a->n_stored + a->n_replaced == before)
		return FED_OK;
	return save_block(c, key);
}

static fed_status
save_stats(store_conn *c, const store_series *row, const apply_stats *a)
{
	if (a->n_stored == 0 && a->n_replaced == 0)
		return FED_OK;
	int had = row->n_points > 0;
	int64_t first
	    = had && row->first_ms < a->min_ts ? row->first_ms : a->min_ts;
	int newer = !had || a->max_ts >= row->last_ms;
	int64_t last = newer ? a->max_ts : row->last_ms;
	double last_v = newer ? a->max_value : row->last_value;
	sqlite3_stmt *s = node__store_stmt(c, STMT_SERIES_STATS);
	sqlite3_bind_int64(s, 1, row->sid);
	sqlite3_bind_int64(s, 2, (int64_t) (row->n_points + a->n_stored));
	sqlite3_bind_int64(s, 3, first);
	sqlite3_bind_int64(s, 4, last);
	sqlite3_bind_blob(s, 5, &last_v, sizeof(last_v), SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return node__store_sql_status(c->db, rc, "series stats");
	return FED_OK;
}

// Stores one SeriesPoints; `buf` has room for all its points.
static fed_status
apply_series(store_conn *c, const Enfed__V1__SeriesPoints *sp, int replace,
    in_point *buf, node_points *fresh, node_store_counts *counts,
    int *is_public, node_store_err *err)
{
	store_series row;
	FED_TRY(node__store_series(c, sp->series_id, &row, err));
	sqlite3_reset(c->stmt[STMT_SERIES_BY_ID]);
	*is_public
	    = row.visibility == ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC;
	apply_stats a = {0, 0, 0, replace, INT64_MAX, INT64_MIN, 0, fresh,
	    sp->series_id, row.window_ms, err};
	if (fresh != NULL)
		FED_TRY(node_points_reserve(fresh, fresh->n + sp->n_ts_ms));
	a.n_duplicate = sort_points(sp, buf);
	size_t n = sp->n_ts_ms - (size_t) a.n_duplicate;
	for (size_t i = 0; i < n;) {
		int64_t widx = buf[i].ts_ms / row.window_ms;
		size_t j = i + 1;
		while (j < n && buf[j].ts_ms / row.window_ms == widx)
			j++;
		FED_TRY(apply_window(
		    c, node__store_key(row.sid, widx), buf + i, j - i, &a));
		i = j;
	}
	counts->n_stored += a.n_stored;
	counts->n_duplicate += a.n_duplicate;
	counts->n_replaced += a.n_replaced;
	return save_stats(c, &row, &a);
}

// Applies every series of call m; m->starts[i] (when fresh is not NULL)
// is where series i's newly stored points begin in fresh.
static fed_status
apply_request(store_conn *c, node__commit *m, node_points *fresh)
{
	const Enfed__V1__IngestRequest *req = m->req;
	for (size_t i = 0; i < req->n_series; i++) {
		if (fresh != NULL)
			m->starts[i] = fresh->n;
		FED_TRY(apply_series(c, req->series[i], req->replace, m->buf,
		    fresh, &m->counts, &m->is_public[i], m->err));
	}
	return FED_OK;
}

// In the transaction: the replication outbox gets the new points.
static fed_status
outbox(node_store *st, store_conn *c, const Enfed__V1__IngestRequest *req,
    const node_points *fresh, const size_t *starts)
{
	for (size_t i = 0; i < req->n_series; i++) {
		size_t end = i + 1 < req->n_series ? starts[i + 1] : fresh->n;
		if (end > starts[i])
			FED_TRY(node__store_outbox_add(st, c,
			    req->series[i]->series_id,
			    fresh->ts_ms + starts[i], fresh->value + starts[i],
			    end - starts[i]));
	}
	return FED_OK;
}

// After the commit: hands each series' new points to the caller.
static void
notify(const Enfed__V1__IngestRequest *req, const node_points *fresh,
    const size_t *starts, node_store_new_fn on_new, void *arg)
{
	for (size_t i = 0; i < req->n_series; i++) {
		size_t end = i + 1 < req->n_series ? starts[i + 1] : fresh->n;
		if (end > starts[i])
			on_new(req->series[i]->series_id,
			    fresh->ts_ms + starts[i], fresh->value + starts[i],
			    end - starts[i], arg);
	}
}

// Steps one of the savepoint statements (prepared once: a group runs
// them for every call).
static fed_status
savepoint_step(store_conn *c, store_stmt which, const char *what)
{
	sqlite3_stmt *s = node__store_stmt(c, which);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return node__store_sql_status(c->db, rc, what);
	return FED_OK;
}

// Ends call m's savepoint: kept when a is OK, else undone. A failure to
// release it is the transaction's, returned.
static fed_status
savepoint_end(store_conn *c, fed_status a)
{
	node__store_reset_all(c);
	if (a == FED_OK)
		return savepoint_step(c, STMT_RELEASE, "release");
	savepoint_step(c, STMT_ROLLBACK_TO, "rollback to");
	savepoint_step(c, STMT_RELEASE, "release");
	return FED_OK;
}

// Applies call m inside the open transaction (in a savepoint when
// `alone` is 0); sets m->status. Returns what ends the whole transaction:
// m's own failure when alone, a savepoint or a transaction that sqlite
// rolled back itself (as on SQLITE_FULL) otherwise.
static fed_status
apply_call(node_store *st, store_conn *c, node__commit *m, int collect,
    int live, int alone)
{
	fed_status t
	    = alone ? FED_OK : savepoint_step(c, STMT_SAVEPOINT, "savepoint");
	if (t != FED_OK)
		return m->status = t;
	collect = collect || m->on_new != NULL || live;
	fed_status a = apply_request(c, m, collect ? &m->fresh : NULL);
	if (a == FED_OK && live)
		a = outbox(st, c, m->req, &m->fresh, m->starts);
	m->status = a;
	if (a != FED_OK)
		m->fresh.n = 0;
	if (alone)
		return a;
	t = savepoint_end(c, a);
	if (t == FED_OK && sqlite3_get_autocommit(c->db))
		t = a != FED_OK ? a : FED_UNAVAILABLE; // transaction gone
	return t;
}

// The n calls' new points, series by series, to the store's commit hook.
static void
tell_commit(node_store_commit_fn fn, void *arg, node__commit *first, size_t n)
{
	size_t total = 0, k = 0;
	node__commit *m = first;
	for (size_t i = 0; i < n; i++, m = i < n ? m->next : m)
		if (m->status == FED_OK)
			total += m->req->n_series;
	if (total == 0)
		return;
	node_store_fresh *f = malloc(total * sizeof(*f));
	if (f == NULL) {
		fed_log(FED_LOG_WARNING, "store",
		    "commit hook: out of memory, new points not handed on");
		return;
	}
	m = first;
	for (size_t i = 0; i < n; i++, m = i < n ? m->next : m) {
		const Enfed__V1__IngestRequest *req = m->req;
		for (size_t j = 0; m->status == FED_OK && j < req->n_series;
		     j++) {
			size_t end = j + 1 < req->n_series ? m->starts[j + 1]
			                                   : m->fresh.n;
			if (end > m->starts[j])
				f[k++] = (node_store_fresh) {
				    req->series[j]->series_id, m->is_public[j],
				    m->fresh.ts_ms + m->starts[j],
				    m->fresh.value + m->starts[j],
				    end - m->starts[j]};
		}
	}
	if (k > 0)
		fn(f, k, arg);
	free(f);
}

void
node__store_commit(node_store *st, node__commit *first, size_t n)
{
	store_conn *c = node__store_writer_lock(st);
	// The writer lock guards the live grants and the hook: read them
	// under it.
	int live = node__store_live(st)->n > 0;
	node_store_commit_fn hook;
	void *hook_arg;
	node__store_on_commit(st, &hook, &hook_arg);
	// Not node__store_write: one transaction serves several callers.
	fed_status s = node__store_exec(c, "BEGIN IMMEDIATE");
	node__commit *m = first;
	size_t applied = 0;
	for (; applied < n && s == FED_OK; applied++) {
		s = apply_call(st, c, m, hook != NULL, live, n == 1);
		if (applied + 1
		    < n) // never the last's link: arrivals write it
			m = m->next;
	}
	s = node__store_write_end(c, s);
	m = first;
	for (size_t i = 0; i < n; i++) {
		// A failed transaction stored nothing of the group.
		if (s != FED_OK && (i >= applied || m->status == FED_OK))
			m->status = s;
		// Still under the writer lock: the stream sees commits in
		// order.
		if (s == FED_OK && m->status == FED_OK && m->on_new != NULL)
			notify(
			    m->req, &m->fresh, m->starts, m->on_new, m->arg);
		if (i + 1 < n)
			m = m->next;
	}
	if (s == FED_OK && hook != NULL)
		tell_commit(hook, hook_arg, first, n);
	node__store_writer_unlock(st);
}

// Validates req and fills m for the queue; RESOURCE_EXHAUSTED or the
// validation's status.
static fed_status
commit_init(node__commit *m, const Enfed__V1__IngestRequest *req,
    node_store_new_fn on_new, void *arg, node_store_err *err)
{
	*m = (node__commit) {.req = req,
	    .on_new = on_new,
	    .arg = arg,
	    .err = err,
	    .status = FED_INTERNAL};
	node_points_init(&m->fresh);
	FED_TRY(check_request(req, err));
	size_t max_n = 1;
	for (size_t i = 0; i < req->n_series; i++) {
		m->n_points += req->series[i]->n_ts_ms;
		if (req->series[i]->n_ts_ms > max_n)
			max_n = req->series[i]->n_ts_ms;
	}
	m->buf = malloc(max_n * sizeof(*m->buf));
	m->starts = calloc(req->n_series + 1, sizeof(*m->starts));
	m->is_public = calloc(req->n_series + 1, sizeof(*m->is_public));
	if (m->buf == NULL || m->starts == NULL || m->is_public == NULL)
		return FED_RESOURCE_EXHAUSTED;
	return FED_OK;
}

static void
commit_fini(node__commit *m)
{
	node_points_fini(&m->fresh);
	free(m->buf);
	free(m->starts);
	free(m->is_public);
}

fed_status
node_store_append(node_store *st, const Enfed__V1__IngestRequest *req,
    node_store_counts *counts, node_store_err *err)
{
	return node_store_append_notify(st, req, counts, NULL, NULL, err);
}

fed_status
node_store_append_notify(node_store *st, const Enfed__V1__IngestRequest *req,
    node_store_counts *counts, node_store_new_fn on_new, void *arg,
    node_store_err *err)
{
	node__group *g = node__store_group(st);
	node__group_enter(g); // a leader may wait for this call
	node__commit m;
	fed_status s = commit_init(&m, req, on_new, arg, err);
	if (s != FED_OK)
		node__group_leave(g);
	else
		node__group_run(st, g, &m);
	if (s == FED_OK)
		s = m.status;
	if (s == FED_OK && counts != NULL)
		*counts = m.counts;
	commit_fini(&m);
	return s;
}

void
node__commit_complete(node__commit *m)
{
	m->done_fn(m->done_arg, m->status, &m->counts);
	commit_fini(m);
	free(m);
}

fed_status
node_store_append_async(node_store *st, const Enfed__V1__IngestRequest *req,
    node_store_err *err, node_store_done_fn done, void *arg)
{
	node__group *g = node__store_group(st);
	node__group_enter(g); // a leader may wait for this call
	node__commit *m = malloc(sizeof(*m));
	fed_status s = m != NULL ? commit_init(m, req, NULL, NULL, err)
	                         : FED_RESOURCE_EXHAUSTED;
	if (s != FED_OK) {
		node__group_leave(g);
		if (m != NULL)
			commit_fini(m);
		free(m);
		return s;
	}
	m->done_fn = done;
	m->done_arg = arg;
	node__group_run(st, g, m);
	return FED_OK;
}
