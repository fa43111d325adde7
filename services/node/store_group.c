// SPDX-License-Identifier: MIT
//
// store_group.c: the commit queue of group commit, its statistics and the
// commit hook, part of the store module (store.h).
//
// Appends queue here in arrival order. The call at the head of the queue
// leads: it takes the calls queued behind it (bounded in calls and
// points), applies them all in one transaction with one fsync
// (node__store_commit), then wakes them and hands the lead to the next
// head. While a group commits, the calls that arrive queue behind it, so
// the next group forms by itself whatever the wait bound: the more
// callers, the larger the groups. Before taking its group, a leader also
// waits, at most wait_ms, for calls that have entered
// node_store_append but are still validating: company that is surely
// coming. A lone call never waits.
//
// The shape is LevelDB's writer queue: only the head ever leads, and it
// stays in the queue until its group is over, so there is one leader at a
// time and groups commit in queue order. A waiting call sleeps on a
// semaphore of its own, posted once the queue's mutex is released: a
// group of hundreds wakes without queueing again on that mutex.
//
// An asynchronous append (node_store_append_async: fed-node's Ingest, its
// RPC answered by whoever commits it) has no thread waiting in the queue.
// When one is at the head, the lead goes to the store's committer thread
// (started at the first such append), which leads group after group while
// the next head is asynchronous too, and completes each asynchronous call
// of a group (its done function answers the RPC). A waiting call that
// becomes the head still leads itself. One thread wake-up per group
// instead of one per call, and no thread per call in flight.

#define _GNU_SOURCE // pthread_setname_np

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <time.h>

#include "store_internal.h"

// A group's bounds: the head always goes, others while both hold.
#define GROUP_MAX_CALLS  1024
#define GROUP_MAX_POINTS 100000

struct node__group {
	pthread_mutex_t mu;
	pthread_cond_t arrive; // a call queued or gave up: leaders look again
	unsigned wait_ms;
	size_t n_pending; // entered, neither queued nor gone yet
	node__commit *head, *tail;
	node_store_commit_stats stats;
	node_store_commit_fn on_commit; // under the store's writer lock
	void *on_commit_arg;
	// The committer thread, for asynchronous heads.
	node_store *st; // set when it starts
	pthread_t committer;
	int committer_started, stop;
	pthread_cond_t lead_cv; // lead_async was set, or stop
	node__commit *lead_async; // an asynchronous head for it to lead
};

static int
is_async(const node__commit *m)
{
	return m->done_fn != NULL;
}

fed_status
node__group_new(unsigned wait_ms, node__group **out)
{
	node__group *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return FED_RESOURCE_EXHAUSTED;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->arrive, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&g->lead_cv, NULL);
	pthread_mutex_init(&g->mu, NULL);
	g->wait_ms = wait_ms;
	*out = g;
	return FED_OK;
}

void
node__group_free(node__group *g)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	g->stop = 1;
	pthread_cond_signal(&g->lead_cv);
	pthread_mutex_unlock(&g->mu);
	if (g->committer_started)
		pthread_join(g->committer, NULL);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->arrive);
	pthread_cond_destroy(&g->lead_cv);
	free(g);
}

void
node__group_enter(node__group *g)
{
	pthread_mutex_lock(&g->mu);
	g->n_pending++;
	pthread_mutex_unlock(&g->mu);
}

void
node__group_leave(node__group *g)
{
	pthread_mutex_lock(&g->mu);
	g->n_pending--;
	pthread_cond_broadcast(&g->arrive);
	pthread_mutex_unlock(&g->mu);
}

// How many calls from the head make the next group, and their points.
static size_t
group_size(const node__group *g, size_t *n_points)
{
	const node__commit *m = g->head;
	size_t n = 1, points = m->n_points;
	for (m = m->next; m != NULL && n < GROUP_MAX_CALLS; m = m->next) {
		if (points + m->n_points > GROUP_MAX_POINTS)
			break;
		points += m->n_points;
		n++;
	}
	*n_points = points;
	return n;
}

static struct timespec
deadline_in(unsigned ms)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long) (ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

// The leader, under mu: waits while calls are on their way, the group
// has room and the bound is not reached. Returns the group's size.
static size_t
wait_for_company(node__group *g)
{
	struct timespec until = deadline_in(g->wait_ms);
	size_t points, n = group_size(g, &points);
	while (g->n_pending > 0 && n < GROUP_MAX_CALLS
	    && points < GROUP_MAX_POINTS) {
		if (pthread_cond_timedwait(&g->arrive, &g->mu, &until)
		    == ETIMEDOUT)
			break;
		n = group_size(g, &points);
	}
	return group_size(g, &points);
}

// The leader, under mu, after its group of n committed: marks the others
// done and hands the lead to the call queued after them. Returns the first
// of the others (NULL when alone) and, in *after, the next head; the
// leader wakes them once mu is released (wake_group), so that they do not
// wake only to wait for mu.
static node__commit *
finish_group(node__group *g, size_t n, node__commit **after)
{
	node__commit *m = g->head, *first = n > 1 ? m->next : NULL;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			m->done = 1;
		m = m->next;
	}
	g->head = m;
	g->stats.n_calls += n;
	g->stats.n_commits++;
	g->stats.n_queued -= n;
	if (m == NULL)
		g->tail = NULL;
	*after = m;
	return first;
}

// Wakes the n - 1 others of a group from `first`: a waiting call by its
// semaphore, an asynchronous one by completing it. A call's link is read
// before it is woken or completed (it may return, or be freed, at once),
// never the last one's (an arrival may be writing it).
static void
wake_group(node__commit *first, size_t n)
{
	node__commit *m = first;
	for (size_t i = 1; i < n; i++) {
		node__commit *next = i + 1 < n ? m->next : NULL;
		if (is_async(m))
			node__commit_complete(m);
		else
			sem_post(&m->wake);
		m = next;
	}
}

// Call m is the head: waits for company, commits its group, wakes or
// completes it, then hands the lead on: a waiting next head is woken to
// lead itself; an asynchronous one goes to the committer thread. Called
// by the committer, returns that asynchronous head for it to lead next
// (NULL otherwise).
static node__commit *
lead(node_store *st, node__group *g, node__commit *m, int committer)
{
	pthread_mutex_lock(&g->mu);
	size_t n = wait_for_company(g);
	pthread_mutex_unlock(&g->mu);
	// Links from m to its group's last call are not written while it
	// commits: arrivals only link themselves after the tail.
	node__store_commit(st, m, n);
	pthread_mutex_lock(&g->mu);
	node__commit *after = NULL;
	node__commit *first = finish_group(g, n, &after);
	// Read under mu: once handed over, an asynchronous head may be
	// completed and freed at any time.
	int after_async = after != NULL && is_async(after);
	if (after_async && !committer) {
		g->lead_async = after;
		pthread_cond_signal(&g->lead_cv);
	}
	pthread_mutex_unlock(&g->mu);
	wake_group(first, n);
	if (is_async(m))
		node__commit_complete(m);
	if (after != NULL && !after_async)
		sem_post(&after->wake);
	return committer && after_async ? after : NULL;
}

static void *
committer_main(void *arg)
{
	node__group *g = arg;
	pthread_setname_np(pthread_self(), "node-commit"); // as top -H shows
	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (g->lead_async == NULL && !g->stop)
			pthread_cond_wait(&g->lead_cv, &g->mu);
		node__commit *m = g->lead_async;
		if (m == NULL)
			break; // stopping, nothing left to lead
		g->lead_async = NULL;
		pthread_mutex_unlock(&g->mu);
		while (m != NULL)
			m = lead(g->st, g, m, 1);
		pthread_mutex_lock(&g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

// Commits m alone, on this thread, and completes it if asynchronous.
static void
commit_alone(node_store *st, node__group *g, node__commit *m)
{
	node__store_commit(st, m, 1);
	pthread_mutex_lock(&g->mu);
	g->n_pending--;
	g->stats.n_calls++;
	g->stats.n_commits++;
	pthread_mutex_unlock(&g->mu);
	if (is_async(m))
		node__commit_complete(m);
}

// Starts the committer thread, under mu; 0 if it cannot start.
static int
committer_ready(node_store *st, node__group *g)
{
	if (!g->committer_started) {
		g->st = st;
		g->committer_started
		    = pthread_create(&g->committer, NULL, committer_main, g)
		    == 0;
	}
	return g->committer_started;
}

void
node__group_run(node_store *st, node__group *g, node__commit *m)
{
	int async = is_async(m);
	if (g->wait_ms == 0) {
		commit_alone(st, g, m);
		return;
	}
	if (async) {
		pthread_mutex_lock(&g->mu);
		int ready = committer_ready(st, g);
		pthread_mutex_unlock(&g->mu);
		if (!ready) {
			commit_alone(st, g, m); // no thread: no better
			return;
		}
	} else {
		sem_init(&m->wake, 0, 0);
	}
	m->done = 0;
	m->next = NULL;
	pthread_mutex_lock(&g->mu);
	g->n_pending--;
	if (g->tail != NULL)
		g->tail->next = m;
	else
		g->head = m;
	g->tail = m;
	g->stats.n_queued++;
	pthread_cond_broadcast(&g->arrive);
	int head = g->head == m;
	if (head && async) {
		g->lead_async = m;
		pthread_cond_signal(&g->lead_cv);
	}
	pthread_mutex_unlock(&g->mu);
	if (async)
		return; // m may be gone already
	// Woken once: its group committed (done), or it is the head now.
	while (!head && sem_wait(&m->wake) != 0)
		;
	if (!m->done)
		(void) lead(st, g, m, 0);
	sem_destroy(&m->wake);
}

void
node_store_get_commit_stats(node_store *st, node_store_commit_stats *out)
{
	node__group *g = node__store_group(st);
	pthread_mutex_lock(&g->mu);
	*out = g->stats;
	pthread_mutex_unlock(&g->mu);
}

void
node_store_set_on_commit(node_store *st, node_store_commit_fn fn, void *arg)
{
	node__group *g = node__store_group(st);
	node__store_writer_lock(st);
	g->on_commit = fn;
	g->on_commit_arg = arg;
	node__store_writer_unlock(st);
}

void
node__store_on_commit(node_store *st, node_store_commit_fn *fn, void **arg)
{
	node__group *g = node__store_group(st);
	*fn = g->on_commit;
	*arg = g->on_commit_arg;
}
