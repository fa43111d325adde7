// SPDX-License-Identifier: MIT
//
// test_store_group.c: group commit in fed-node's store (store.h,
// node_store_append): appends from many threads are all stored and
// acknowledged, and still there after a reopen; a group forms behind a
// commit that is held (its on_new blocks under the writer lock) and
// commits once, in queue order: idempotent resends and replace inside
// one group, outbox rows committed with their call's points (and undone
// with a failing call's), a call for an unknown series failing alone, a
// call refused by validation never queued, on_new called in commit order;
// with commit_wait_ms 0, one commit per call; the commit hook called once
// per commit with every call's new points and their series' visibility;
// asynchronous appends (node_store_append_async) beside waiting ones,
// each completed once after its commit.
//
// Groups are made deterministic without sleeping: the first call's
// on_new waits until the test, polling node_store_get_commit_stats, has
// seen the others queue behind it.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#include "store.h"

#define T0        INT64_C(1767225600000) // 2026-01-01T00:00Z
#define MIN5      INT64_C(300000)
#define N_THREADS 16
#define N_CALLS   40
#define POLL_MAX  2000000 // sched_yield rounds before a wait gives up

typedef struct fixture {
	char dir[256];
	node_store *st;
} fixture;

static fed_status
open_store(fixture *f, unsigned wait_ms)
{
	node_store_opts o;
	node_store_opts_init(&o);
	o.commit_wait_ms = wait_ms;
	return node_store_open(f->dir, &o, &f->st, NULL);
}

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof(f->dir), "%s/test_store_group.XXXXXX",
	    tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL || open_store(f, 2) != FED_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;
	node_store_close(f->st);
	static const char *const names[]
	    = {"series.db", "series.db-wal", "series.db-shm"};
	char path[300];
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, names[i]);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
create_vis(node_store *st, const char *id, Enfed__V1__Visibility vis)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.visibility = vis;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	m.source = (char *) "test";
	m.owner = (char *) "tester";
	node_store_err err = {""};
	assert_int_equal(node_store_create(st, &m, NULL, &err), FED_OK);
}

static void
create(node_store *st, const char *id)
{
	create_vis(st, id, ENFED__V1__VISIBILITY__VISIBILITY_PRIVATE);
}

// One call: n points of series id from ts, values v0, v0+1, ...
typedef struct call {
	Enfed__V1__SeriesPoints sp;
	Enfed__V1__SeriesPoints *list[1];
	Enfed__V1__IngestRequest req;
	int64_t ts[4];
	double v[4];
} call;

static void
call_init(call *c, const char *id, int64_t ts, double v0, size_t n)
{
	assert_true(n <= 4);
	enfed__v1__series_points__init(&c->sp);
	enfed__v1__ingest_request__init(&c->req);
	for (size_t i = 0; i < n; i++) {
		c->ts[i] = ts + (int64_t) i * MIN5;
		c->v[i] = v0 + (double) i;
	}
	c->sp.series_id = (char *) id;
	c->sp.n_ts_ms = c->sp.n_value = n;
	c->sp.ts_ms = c->ts;
	c->sp.value = c->v;
	c->list[0] = &c->sp;
	c->req.n_series = 1;
	c->req.series = c->list;
}

// The points of series id in [T0, T0 + n x 5 min), raw.
static Enfed__V1__QueryResponse *
query_raw(node_store *st, const char *id, size_t n)
{
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = T0;
	r.to_ms = T0 + (int64_t) n * MIN5;
	char *ids[] = {(char *) id};
	Enfed__V1__QueryRequest req = ENFED__V1__QUERY_REQUEST__INIT;
	req.n_series_ids = 1;
	req.series_ids = ids;
	req.range = &r;
	req.step = ENFED__V1__STEP__STEP_RAW;
	Enfed__V1__QueryResponse *resp = NULL;
	node_store_err err = {""};
	assert_int_equal(node_store_query(st, &req, &resp, &err), FED_OK);
	return resp;
}

// ---- Many threads, no hold: all stored, all acknowledged ------------------

typedef struct worker {
	node_store *st;
	int k; // series "g/<k>/e"
	char id[32];
	int n_ok, n_stored;
} worker;

static void *
run_worker(void *arg)
{
	worker *w = arg;
	for (int i = 0; i < N_CALLS; i++) {
		call c;
		call_init(&c, w->id, T0 + i * MIN5, w->k * 1000 + i, 1);
		node_store_counts counts = {0, 0, 0};
		if (node_store_append(w->st, &c.req, &counts, NULL) == FED_OK)
			w->n_ok++;
		w->n_stored += (int) counts.n_stored;
	}
	return NULL;
}

static void
test_many_threads_all_stored(void **state)
{
	fixture *f = *state;
	worker w[N_THREADS];
	pthread_t th[N_THREADS];
	for (int k = 0; k < N_THREADS; k++) {
		w[k] = (worker) {.st = f->st, .k = k};
		snprintf(w[k].id, sizeof(w[k].id), "g/%d/e", k);
		create(f->st, w[k].id);
	}
	for (int k = 0; k < N_THREADS; k++)
		assert_int_equal(
		    pthread_create(&th[k], NULL, run_worker, &w[k]), 0);
	for (int k = 0; k < N_THREADS; k++)
		pthread_join(th[k], NULL);
	for (int k = 0; k < N_THREADS; k++) {
		assert_int_equal(w[k].n_ok, N_CALLS);
		assert_int_equal(w[k].n_stored, N_CALLS);
	}
	node_store_commit_stats cs;
	node_store_get_commit_stats(f->st, &cs);
	assert_int_equal(cs.n_calls, N_THREADS * N_CALLS);
	assert_true(cs.n_commits >= 1 && cs.n_commits <= cs.n_calls);
	assert_int_equal(cs.n_queued, 0);
	// Durable: every point is there after a reopen, with its value.
	node_store_close(f->st);
	f->st = NULL;
	assert_int_equal(open_store(f, 2), FED_OK);
	for (int k = 0; k < N_THREADS; k++) {
		Enfed__V1__QueryResponse *r = query_raw(f->st, w[k].id, 100);
		assert_int_equal(r->results[0]->n_value, N_CALLS);
		for (int i = 0; i < N_CALLS; i++)
			assert_true(r->results[0]->value[i] == k * 1000 + i);
		node_store_query_free(r);
	}
}

// ---- A held commit, a group behind it
// ---------------------------------------

// What on_new saw, in the order it was called (under the writer lock).
typedef struct seen {
	int order[64];
	int n;
	atomic_int hold; // the first on_new waits while it is 1
	atomic_int held; // the first on_new is waiting
} seen;

typedef struct member {
	node_store *st;
	seen *seen;
	int tag; // recorded by on_new
	call c;
	fed_status status;
	node_store_counts counts;
	pthread_t th;
} member;

static void
on_new(const char *series_id, const int64_t *ts_ms, const double *value,
    size_t n, void *arg)
{
	(void) series_id, (void) ts_ms, (void) value, (void) n;
	member *m = arg;
	seen *s = m->seen;
	if (s->n < 64)
		s->order[s->n++] = m->tag;
	if (m->tag != 0)
		return;
	atomic_store(&s->held, 1);
	for (long i = 0; i < POLL_MAX * 10L && atomic_load(&s->hold); i++)
		sched_yield();
}

static void *
run_member(void *arg)
{
	member *m = arg;
	node_store_err err = {""};
	m->status = node_store_append_notify(
	    m->st, &m->c.req, &m->counts, on_new, m, &err);
	return NULL;
}

// Polls until the store's queue holds `n` calls; fails after POLL_MAX.
static void
wait_queued(node_store *st, uint64_t n)
{
	node_store_commit_stats cs = {0, 0, 0};
	for (long i = 0; i < POLL_MAX; i++) {
		node_store_get_commit_stats(st, &cs);
		if (cs.n_queued >= n)
			break;
		sched_yield();
	}
	assert_int_equal(cs.n_queued, n);
}

static void
start(member *m)
{
	assert_int_equal(pthread_create(&m->th, NULL, run_member, m), 0);
}

// Starts member 0, whose on_new holds the writer lock, then members
// 1..n-1 one at a time, each once the previous one queued (so the queue
// order is theirs), then lets member 0 go and joins everyone.
static void
run_group(node_store *st, member *m, size_t n)
{
	seen *s = m[0].seen;
	atomic_store(&s->hold, 1);
	start(&m[0]);
	for (long i = 0; i < POLL_MAX && !atomic_load(&s->held); i++)
		sched_yield();
	assert_true(atomic_load(&s->held));
	for (size_t i = 1; i < n; i++) {
		start(&m[i]);
		wait_queued(st, 1 + i); // member 0 is still in the queue
	}
	atomic_store(&s->hold, 0);
	for (size_t i = 0; i < n; i++)
		pthread_join(m[i].th, NULL);
}

static void
member_init(member *m, node_store *st, seen *s, int tag, const char *id,
    int64_t ts, double v, size_t n_points)
{
	memset(m, 0, sizeof(*m));
	m->st = st;
	m->seen = s;
	m->tag = tag;
	call_init(&m->c, id, ts, v, n_points);
}

static void
test_group_commits_once_in_order(void **state)
{
	fixture *f = *state;
	create(f->st, "g/a/e");
	create(f->st, "g/b/e");
	seen s = {.n = 0};
	member m[8];
	member_init(&m[0], f->st, &s, 0, "g/a/e", T0, 0, 1);
	for (int i = 1; i < 8; i++) // points after member 0's, in order
		member_init(&m[i], f->st, &s, i, i % 2 ? "g/a/e" : "g/b/e",
		    T0 + i * MIN5, i, 1);
	node_store_commit_stats before;
	node_store_get_commit_stats(f->st, &before);
	run_group(f->st, m, 8);
	node_store_commit_stats after;
	node_store_get_commit_stats(f->st, &after);
	// Member 0 alone, then the 7 queued behind it in one commit.
	assert_int_equal(after.n_calls - before.n_calls, 8);
	assert_int_equal(after.n_commits - before.n_commits, 2);
	assert_int_equal(s.n, 8);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(m[i].status, FED_OK);
		assert_int_equal(m[i].counts.n_stored, 1);
		assert_int_equal(s.order[i], i); // published in commit order
	}
	Enfed__V1__QueryResponse *r = query_raw(f->st, "g/a/e", 8);
	assert_int_equal(r->results[0]->n_value, 5); // members 0, 1, 3, 5, 7
	node_store_query_free(r);
}

static void
test_group_resends_and_replace(void **state)
{
	fixture *f = *state;
	create(f->st, "g/a/e");
	seen s = {.n = 0};
	member m[5];
	member_init(&m[0], f->st, &s, 0, "g/a/e", T0, 0, 1);
	member_init(&m[1], f->st, &s, 1, "g/a/e", T0 + MIN5, 10, 3);
	member_init(&m[2], f->st, &s, 2, "g/a/e", T0 + MIN5, 10, 3); // resend
	member_init(&m[3], f->st, &s, 3, "g/a/e", T0 + MIN5, 99, 2); // other
	member_init(&m[4], f->st, &s, 4, "g/a/e", T0 + 2 * MIN5, 50, 1);
	m[4].c.req.replace = 1;
	run_group(f->st, m, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(m[i].status, FED_OK);
	assert_int_equal(m[1].counts.n_stored, 3);
	assert_int_equal(m[2].counts.n_stored, 0); // the resend: duplicates
	assert_int_equal(m[2].counts.n_duplicate, 3);
	assert_int_equal(m[3].counts.n_duplicate, 2); // first value stays
	assert_int_equal(m[4].counts.n_replaced, 1);
	// on_new: only calls that changed something, in order.
	assert_int_equal(s.n, 3);
	assert_int_equal(s.order[0], 0);
	assert_int_equal(s.order[1], 1);
	assert_int_equal(s.order[2], 4);
	Enfed__V1__QueryResponse *r = query_raw(f->st, "g/a/e", 8);
	Enfed__V1__SeriesResult *res = r->results[0];
	assert_int_equal(res->n_value, 4);
	double want[] = {0, 10, 50, 12};
	for (int i = 0; i < 4; i++)
		assert_true(res->value[i] == want[i]);
	node_store_query_free(r);
}

static void
test_group_bad_call_fails_alone(void **state)
{
	fixture *f = *state;
	create(f->st, "g/a/e");
	seen s = {.n = 0};
	member m[4];
	member_init(&m[0], f->st, &s, 0, "g/a/e", T0, 0, 1);
	member_init(&m[1], f->st, &s, 1, "g/a/e", T0 + MIN5, 1, 1);
	member_init(&m[2], f->st, &s, 2, "g/nobody/e", T0, 2, 2); // unknown
	member_init(&m[3], f->st, &s, 3, "g/a/e", T0 + 2 * MIN5, 3, 1);
	node_store_commit_stats before;
	node_store_get_commit_stats(f->st, &before);
	run_group(f->st, m, 4);
	node_store_commit_stats after;
	node_store_get_commit_stats(f->st, &after);
	assert_int_equal(after.n_commits - before.n_commits, 2);
	assert_int_equal(m[0].status, FED_OK);
	assert_int_equal(m[1].status, FED_OK);
	assert_int_equal(m[2].status, FED_NOT_FOUND);
	assert_int_equal(m[3].status, FED_OK);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.order[2], 3);
	// A call that validation refuses never queues: a NaN value.
	call bad;
	call_init(&bad, "g/a/e", T0 + 3 * MIN5, NAN, 1);
	node_store_err err = {""};
	assert_int_equal(node_store_append(f->st, &bad.req, NULL, &err),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err.msg, "value[0]"));
	node_store_commit_stats last;
	node_store_get_commit_stats(f->st, &last);
	assert_int_equal(last.n_calls, after.n_calls);
	Enfed__V1__QueryResponse *r = query_raw(f->st, "g/a/e", 8);
	assert_int_equal(r->results[0]->n_value, 3);
	node_store_query_free(r);
}

// The replication outbox rows of a group's calls commit with their points,
// and those of a call that fails go with it.
static void
test_group_outbox(void **state)
{
	fixture *f = *state;
	create(f->st, "g/a/e");
	create(f->st, "g/b/e");
	Enfed__V1__Scope sc[1] = {ENFED__V1__SCOPE__SCOPE_LIVE};
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.id = "g-live";
	g.series = "g/";
	g.grantee_node = "peer";
	g.scopes = sc;
	g.n_scopes = 1;
	node_store_err err = {""};
	assert_int_equal(node_store_grant_put(f->st, &g, "00", &err), FED_OK);
	seen s = {.n = 0};
	member m[5];
	member_init(&m[0], f->st, &s, 0, "g/a/e", T0, 0, 1);
	member_init(&m[1], f->st, &s, 1, "g/b/e", T0, 1, 3);
	member_init(&m[2], f->st, &s, 2, "g/nobody/e", T0, 2, 2); // fails
	member_init(&m[3], f->st, &s, 3, "g/b/e", T0, 1, 3); // duplicates
	member_init(&m[4], f->st, &s, 4, "g/a/e", T0 + MIN5, 4, 2);
	run_group(f->st, m, 5);
	assert_int_equal(m[2].status, FED_NOT_FOUND);
	uint64_t n = 0;
	assert_int_equal(node_store_outbox_count(f->st, "", &n, &err), FED_OK);
	assert_int_equal(n, 1 + 3 + 2); // new points only, none of m[2]
	node_store_outbox_row rows[8];
	size_t got = 0;
	assert_int_equal(
	    node_store_outbox_peek(f->st, rows, 8, &got, &err), FED_OK);
	assert_int_equal(got, 6);
	// In commit order: m[0], m[1]'s three, m[4]'s two.
	static const char *const want[]
	    = {"g/a/e", "g/b/e", "g/b/e", "g/b/e", "g/a/e", "g/a/e"};
	for (size_t i = 0; i < got; i++) {
		assert_string_equal(rows[i].series_id, want[i]);
		assert_true(i == 0 || rows[i].seq > rows[i - 1].seq);
	}
}

// What the commit hook saw: one entry per call of the hook.
typedef struct hooked {
	int n_calls;
	size_t n_fresh[8];
	char ids[8][4][32];
	int is_public[8][4];
	double first_value[8][4];
} hooked;

static void
on_commit(const node_store_fresh *fresh, size_t n, void *arg)
{
	hooked *h = arg;
	if (h->n_calls >= 8)
		return;
	h->n_fresh[h->n_calls] = n;
	for (size_t i = 0; i < n && i < 4; i++) {
		snprintf(h->ids[h->n_calls][i], 32, "%s", fresh[i].series_id);
		h->is_public[h->n_calls][i] = fresh[i].is_public;
		h->first_value[h->n_calls][i] = fresh[i].value[0];
	}
	h->n_calls++;
}

// The commit hook: once per commit, every successful call's series with
// its visibility, in commit order; nothing for duplicates or failures.
static void
test_commit_hook(void **state)
{
	fixture *f = *state;
	create(f->st, "g/a/e");
	create_vis(f->st, "g/p/e", ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC);
	hooked h = {0};
	node_store_set_on_commit(f->st, on_commit, &h);
	seen s = {.n = 0};
	member m[5];
	member_init(&m[0], f->st, &s, 0, "g/a/e", T0, 0, 1);
	member_init(&m[1], f->st, &s, 1, "g/p/e", T0, 10, 2);
	member_init(&m[2], f->st, &s, 2, "g/nobody/e", T0, 20, 1);
	member_init(&m[3], f->st, &s, 3, "g/a/e", T0, 30, 1); // duplicate
	member_init(&m[4], f->st, &s, 4, "g/a/e", T0 + MIN5, 40, 1);
	run_group(f->st, m, 5);
	node_store_set_on_commit(f->st, NULL, NULL);
	assert_int_equal(h.n_calls, 2);
	assert_int_equal(h.n_fresh[0], 1);
	assert_string_equal(h.ids[0][0], "g/a/e");
	assert_int_equal(h.n_fresh[1], 2);
	assert_string_equal(h.ids[1][0], "g/p/e");
	assert_int_equal(h.is_public[1][0], 1);
	assert_true(h.first_value[1][0] == 10);
	assert_string_equal(h.ids[1][1], "g/a/e");
	assert_int_equal(h.is_public[1][1], 0);
	assert_true(h.first_value[1][1] == 40);
	// Unset: later commits call nothing.
	call c;
	call_init(&c, "g/a/e", T0 + 2 * MIN5, 50, 1);
	assert_int_equal(node_store_append(f->st, &c.req, NULL, NULL), FED_OK);
	assert_int_equal(h.n_calls, 2);
}

// With commit_wait_ms 0 every call commits alone, held or not.
static void
test_wait_zero_commits_alone(void **state)
{
	fixture *f = *state;
	node_store_close(f->st);
	f->st = NULL;
	assert_int_equal(open_store(f, 0), FED_OK);
	worker w[4];
	pthread_t th[4];
	for (int k = 0; k < 4; k++) {
		w[k] = (worker) {.st = f->st, .k = k};
		snprintf(w[k].id, sizeof(w[k].id), "g/%d/e", k);
		create(f->st, w[k].id);
	}
	for (int k = 0; k < 4; k++)
		assert_int_equal(
		    pthread_create(&th[k], NULL, run_worker, &w[k]), 0);
	for (int k = 0; k < 4; k++)
		pthread_join(th[k], NULL);
	node_store_commit_stats cs;
	node_store_get_commit_stats(f->st, &cs);
	assert_int_equal(cs.n_calls, 4 * N_CALLS);
	assert_int_equal(cs.n_commits, 4 * N_CALLS);
	for (int k = 0; k < 4; k++)
		assert_int_equal(w[k].n_stored, N_CALLS);
}

static void
test_wait_bound_checked(void **state)
{
	fixture *f = *state;
	node_store_opts o;
	node_store_opts_init(&o);
	assert_int_equal(o.commit_wait_ms, 2);
	o.commit_wait_ms = 1001;
	node_store *st = NULL;
	node_store_err err = {""};
	assert_int_equal(
	    node_store_open(f->dir, &o, &st, &err), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err.msg, "commit_wait_ms"));
	assert_null(st);
}

// ---- Asynchronous appends
// ---------------------------------------------------

// One asynchronous call and what its done function saw.
typedef struct async_call {
	call c;
	node_store_err err;
	atomic_int n_done; // times done was called
	fed_status status;
	node_store_counts counts;
	atomic_int *pending; // the thread's calls not done yet
} async_call;

static void
async_done(void *arg, fed_status st, const node_store_counts *counts)
{
	async_call *a = arg;
	a->status = st;
	if (st == FED_OK)
		a->counts = *counts;
	atomic_fetch_add(&a->n_done, 1);
	atomic_fetch_sub(a->pending, 1);
}

typedef struct async_worker {
	node_store *st;
	int k;
	char id[32];
	async_call calls[N_CALLS];
	atomic_int pending;
} async_worker;

// Queues N_CALLS appends without waiting for any, then waits for all.
static void *
run_async_worker(void *arg)
{
	async_worker *w = arg;
	for (int i = 0; i < N_CALLS; i++) {
		async_call *a = &w->calls[i];
		call_init(&a->c, w->id, T0 + i * MIN5, w->k * 1000 + i, 1);
		a->pending = &w->pending;
		atomic_fetch_add(&w->pending, 1);
		if (node_store_append_async(
		        w->st, &a->c.req, &a->err, async_done, a)
		    != FED_OK)
			atomic_fetch_sub(&w->pending, 1);
	}
	for (long spin = 0; atomic_load(&w->pending) > 0 && spin < POLL_MAX;
	     spin++)
		sched_yield();
	return NULL;
}

// Asynchronous appends from several threads, beside waiting ones: each
// done called once, OK, after its commit, every point stored and still
// there after a reopen; an unknown series fails in done, a malformed
// request at once (done never called); with commit_wait_ms 0 too.
static void
test_async_appends(void **state)
{
	fixture *f = *state;
	for (unsigned wait_ms = 2; wait_ms != UINT32_MAX;
	     wait_ms = wait_ms ? 0 : UINT32_MAX) {
		if (wait_ms == 0) {
			node_store_close(f->st);
			f->st = NULL;
			assert_int_equal(open_store(f, 0), FED_OK);
		}
		enum {
			N_ASYNC = N_THREADS / 2
		};
		async_worker *aw = calloc(N_ASYNC, sizeof(*aw));
		worker w[N_THREADS - N_ASYNC];
		pthread_t th[N_THREADS];
		for (int k = 0; k < N_THREADS; k++) {
			char id[32];
			snprintf(id, sizeof(id), "a%u/%d/e", wait_ms, k);
			create(f->st, id);
			if (k < N_ASYNC) {
				aw[k].st = f->st;
				aw[k].k = k;
				memcpy(aw[k].id, id, sizeof(id));
			} else {
				w[k - N_ASYNC]
				    = (worker) {.st = f->st, .k = k};
				memcpy(w[k - N_ASYNC].id, id, sizeof(id));
			}
		}
		for (int k = 0; k < N_THREADS; k++)
			assert_int_equal(
			    pthread_create(&th[k], NULL,
			        k < N_ASYNC ? run_async_worker : run_worker,
			        k < N_ASYNC ? (void *) &aw[k]
			                    : &w[k - N_ASYNC]),
			    0);
		for (int k = 0; k < N_THREADS; k++)
			pthread_join(th[k], NULL);
		for (int k = 0; k < N_ASYNC; k++) {
			assert_int_equal(atomic_load(&aw[k].pending), 0);
			for (int i = 0; i < N_CALLS; i++) {
				async_call *a = &aw[k].calls[i];
				assert_int_equal(atomic_load(&a->n_done), 1);
				assert_int_equal(a->status, FED_OK);
				assert_int_equal(a->counts.n_stored, 1);
			}
		}
		for (int k = 0; k < N_THREADS - N_ASYNC; k++)
			assert_int_equal(w[k].n_stored, N_CALLS);
		// An unknown series: queued, then NOT_FOUND in done.
		async_call *bad = calloc(1, sizeof(*bad));
		atomic_int pending = 1;
		bad->pending = &pending;
		call_init(&bad->c, "a/none/e", T0, 1, 1);
		assert_int_equal(node_store_append_async(f->st, &bad->c.req,
		                     &bad->err, async_done, bad),
		    FED_OK);
		for (long spin = 0;
		     atomic_load(&pending) > 0 && spin < POLL_MAX; spin++)
			sched_yield();
		assert_int_equal(atomic_load(&bad->n_done), 1);
		assert_int_equal(bad->status, FED_NOT_FOUND);
		assert_non_null(strstr(bad->err.msg, "a/none/e"));
		// Malformed (values and times differ in number): refused at
		// once, never queued.
		call_init(&bad->c, aw[0].id, T0, 1, 2);
		bad->c.sp.n_value = 1;
		atomic_store(&bad->n_done, 0);
		assert_int_equal(node_store_append_async(f->st, &bad->c.req,
		                     &bad->err, async_done, bad),
		    FED_INVALID_ARGUMENT);
		assert_int_equal(atomic_load(&bad->n_done), 0);
		free(bad);
		// Durable: all there after a reopen.
		node_store_close(f->st);
		f->st = NULL;
		assert_int_equal(open_store(f, wait_ms), FED_OK);
		for (int k = 0; k < N_ASYNC; k++) {
			Enfed__V1__QueryResponse *r
			    = query_raw(f->st, aw[k].id, 100);
			assert_int_equal(r->results[0]->n_value, N_CALLS);
			for (int i = 0; i < N_CALLS; i++)
				assert_true(
				    r->results[0]->value[i] == k * 1000 + i);
			node_store_query_free(r);
		}
		free(aw);
	}
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_many_threads_all_stored),
	    T(test_group_commits_once_in_order),
	    T(test_group_resends_and_replace),
	    T(test_group_bad_call_fails_alone),
	    T(test_group_outbox),
	    T(test_commit_hook),
	    T(test_wait_zero_commits_alone),
	    T(test_wait_bound_checked),
	    T(test_async_appends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
