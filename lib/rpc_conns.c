// SPDX-License-Identifier: MIT
//
// rpc_conns.c: bounds on the connections of an RPC server
// (rpc_conns_internal.h). The table is a plain array scanned under one
// mutex: it holds at most max_total entries, and a scan of a few thousand
// is cheaper than the request that triggers it. Its mutex and condition
// are never destroyed: nng may call back until the socket is closed, and
// the memory is then released by a plain free() (glibc's need no destroy).
// Pipes are closed outside the mutex, as nng may call back (REM_POST) from
// inside nng_pipe_close.

#include "rpc_conns_internal.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fed/clock.h"
#include "fed/log.h"
#include "transport_internal.h"

#define LOG_EVERY_MS  10000
#define IDLE_BATCH    256 // pipes closed per pass of the idle thread
#define IDLE_TICK_MAX 1000

struct conn {
	uint32_t pipe_id;
	int64_t last_ms; // monotonic, the last request (or the connection)
	char peer[FED__PEER_LEN];
};

struct fed__rpc_conns {
	fed__rpc_conns_opts o;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	size_t n;
	int stop;
	int thread_started;
	pthread_t thread;
	int64_t log_total_ms, log_peer_ms, log_idle_ms;
	// One allocation with the struct, max_total entries: the whole is
	// released by one free() once nng is done calling back.
	struct conn tab[];
};

static size_t
count_peer(const fed__rpc_conns *c, const char *peer)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += strcmp(c->tab[i].peer, peer) == 0;
	return n;
}

static void
tab_add(fed__rpc_conns *c, uint32_t id, const char *peer)
{
	struct conn *e = &c->tab[c->n++];
	e->pipe_id = id;
	e->last_ms = fed_clock_mono_ms();
	snprintf(e->peer, sizeof(e->peer), "%s", peer);
}

static void
tab_remove(fed__rpc_conns *c, uint32_t id)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->tab[i].pipe_id == id) {
			c->tab[i] = c->tab[--c->n];
			return;
		}
	}
}

// Under c->mtx: 1 when a new connection from peer is within the bounds
// (and is then recorded), 0 when it is to be closed (logged).
static int
admit(fed__rpc_conns *c, uint32_t id, const char *peer)
{
	const fed__rpc_conns_opts *o = &c->o;
	if (c->n >= o->max_total) {
		fed_log_limited(&c->log_total_ms, LOG_EVERY_MS,
		    FED_LOG_WARNING, o->name,
		    "connection from %s closed: %zu connections held, the "
		    "maximum (--max-conns)",
		    peer, c->n);
		return 0;
	}
	size_t from_peer = o->max_per_peer > 0 ? count_peer(c, peer) : 0;
	if (o->max_per_peer > 0 && from_peer >= o->max_per_peer) {
		fed_log_limited(&c->log_peer_ms, LOG_EVERY_MS, FED_LOG_WARNING,
		    o->name,
		    "connection from %s closed: %zu connections from it "
		    "already, the maximum (--max-conns-per-peer)",
		    peer, from_peer);
		return 0;
	}
	tab_add(c, id, peer);
	return 1;
}

static void
pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	fed__rpc_conns *c = arg;
	uint32_t id = (uint32_t) nng_pipe_id(p);
	if (ev == NNG_PIPE_EV_REM_POST) {
		pthread_mutex_lock(&c->mtx);
		tab_remove(c, id);
		pthread_mutex_unlock(&c->mtx);
		return;
	}
	char peer[FED__PEER_LEN];
	fed__transport_pipe_peer(p, peer, sizeof(peer));
	pthread_mutex_lock(&c->mtx);
	int ok = admit(c, id, peer);
	pthread_mutex_unlock(&c->mtx);
	if (!ok)
		nng_pipe_close(p); // before ADD_POST: the socket never uses it
}

void
fed__rpc_conns_touch(fed__rpc_conns *c, nng_pipe p)
{
	uint32_t id = (uint32_t) nng_pipe_id(p);
	int64_t now = fed_clock_mono_ms();
	pthread_mutex_lock(&c->mtx);
	for (size_t i = 0; i < c->n; i++) {
		if (c->tab[i].pipe_id == id) {
			c->tab[i].last_ms = now;
			break;
		}
	}
	pthread_mutex_unlock(&c->mtx);
}

size_t
fed__rpc_conns_count(fed__rpc_conns *c)
{
	pthread_mutex_lock(&c->mtx);
	size_t n = c->n;
	pthread_mutex_unlock(&c->mtx);
	return n;
}

// Under c->mtx: up to max pipes idle since before `before`, into ids.
static size_t
find_idle(const fed__rpc_conns *c, int64_t before, uint32_t *ids, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n && n < max; i++) {
		if (c->tab[i].last_ms < before)
			ids[n++] = c->tab[i].pipe_id;
	}
	return n;
}

static void
close_idle(fed__rpc_conns *c)
{
	uint32_t ids[IDLE_BATCH];
	pthread_mutex_lock(&c->mtx);
	size_t n = find_idle(
	    c, fed_clock_mono_ms() - (int64_t) c->o.idle_ms, ids, IDLE_BATCH);
	if (n > 0)
		fed_log_limited(&c->log_idle_ms, LOG_EVERY_MS, FED_LOG_INFO,
		    c->o.name,
		    "closing %zu connection(s) idle for more than %u ms "
		    "(--idle-timeout)",
		    n, (unsigned) c->o.idle_ms);
	pthread_mutex_unlock(&c->mtx);
	for (size_t i = 0; i < n; i++) {
		nng_pipe p = NNG_PIPE_INITIALIZER;
		p.id = ids[i];
		nng_pipe_close(p); // a pipe gone meanwhile: ENOENT, harmless
	}
}

static void *
idle_main(void *arg)
{
	fed__rpc_conns *c = arg;
	int64_t tick = c->o.idle_ms / 4;
	if (tick > IDLE_TICK_MAX)
		tick = IDLE_TICK_MAX;
	if (tick < 10)
		tick = 10;
	pthread_mutex_lock(&c->mtx);
	while (!c->stop) {
		struct timespec until
		    = fed_clock_deadline(CLOCK_REALTIME, tick);
		pthread_cond_timedwait(&c->cond, &c->mtx, &until);
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->mtx);
		close_idle(c);
		pthread_mutex_lock(&c->mtx);
	}
	pthread_mutex_unlock(&c->mtx);
	return NULL;
}

fed_status
fed__rpc_conns_new(
    nng_socket s, const fed__rpc_conns_opts *o, fed__rpc_conns **out)
{
	assert(o->max_total > 0);
	fed__rpc_conns *c
	    = calloc(1, sizeof(*c) + o->max_total * sizeof(c->tab[0]));
	if (c == NULL)
		return FED_RESOURCE_EXHAUSTED;
	c->o = *o;
	pthread_mutex_init(&c->mtx, NULL);
	pthread_cond_init(&c->cond, NULL);
	if (o->idle_ms > 0) {
		if (pthread_create(&c->thread, NULL, idle_main, c) != 0) {
			free(c);
			return FED_RESOURCE_EXHAUSTED;
		}
		c->thread_started = 1;
	}
	int rv = nng_pipe_notify(s, NNG_PIPE_EV_ADD_PRE, pipe_event, c);
	if (rv == 0)
		rv = nng_pipe_notify(s, NNG_PIPE_EV_REM_POST, pipe_event, c);
	if (rv != 0) {
		fed__rpc_conns_stop(c);
		free(c);
		return fed__nng_status(rv, "pipe notify");
	}
	*out = c;
	return FED_OK;
}

void
fed__rpc_conns_stop(fed__rpc_conns *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mtx);
	c->stop = 1;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->mtx);
	if (c->thread_started)
		pthread_join(c->thread, NULL);
	c->thread_started = 0;
}
