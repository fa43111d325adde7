// SPDX-License-Identifier: MIT
//
// node_members.c: node_members.h. Three small fixed tables under one
// mutex: members, refused tokens (each a ring of hashes with an expiry),
// and the sources asking (their count of new tokens in the current
// second). A source not in its table takes the place of the one that
// asked longest ago, so the table stays bounded whatever the flood.

#include "node_members.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/clock.h"
#include "fed/token.h"

#define N_MEMBERS           256
#define N_REFUSED           1024
#define N_SOURCES           256
#define SOURCE_LEN          64
#define TTL_MS              60000
#define CHECKS_PER_S_SOURCE 10

struct entry {
	char hash[FED_TOKEN_HASH_LEN + 1];
	int64_t until_ms; // monotonic
};

struct ring {
	struct entry *e;
	size_t n, next;
};

struct source {
	char peer[SOURCE_LEN];
	int64_t window_ms; // start of its current second (0: free slot)
	unsigned n_checks; // new tokens asked about in that second
};

struct node_members {
	node_members_ask_fn ask;
	void *arg;
	pthread_mutex_t mtx;
	struct entry members[N_MEMBERS], refused[N_REFUSED];
	struct ring yes, no;
	struct source sources[N_SOURCES];
};

fed_status
node_members_new(node_members_ask_fn ask, void *arg, node_members **out)
{
	node_members *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return FED_RESOURCE_EXHAUSTED;
	m->ask = ask;
	m->arg = arg;
	m->yes = (struct ring) {m->members, N_MEMBERS, 0};
	m->no = (struct ring) {m->refused, N_REFUSED, 0};
	pthread_mutex_init(&m->mtx, NULL);
	*out = m;
	return FED_OK;
}

void
node_members_free(node_members *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->mtx);
	free(m);
}

static int
ring_has(const struct ring *r, const char *hash, int64_t now)
{
	for (size_t i = 0; i < r->n; i++) {
		if (r->e[i].until_ms > now
		    && fed_token_equal(r->e[i].hash, hash))
			return 1;
	}
	return 0;
}

static void
ring_put(struct ring *r, const char *hash, int64_t now)
{
	struct entry *e = &r->e[r->next];
	r->next = (r->next + 1) % r->n;
	snprintf(e->hash, sizeof(e->hash), "%s", hash);
	e->until_ms = now + TTL_MS;
}

// The slot of peer, or the one of the source that asked longest ago.
static struct source *
source_of(node_members *m, const char *peer)
{
	struct source *oldest = &m->sources[0];
	for (size_t i = 0; i < N_SOURCES; i++) {
		struct source *s = &m->sources[i];
		if (s->window_ms != 0
		    && strncmp(s->peer, peer, SOURCE_LEN - 1) == 0)
			return s;
		if (s->window_ms < oldest->window_ms)
			oldest = s;
	}
	snprintf(oldest->peer, sizeof(oldest->peer), "%s", peer);
	oldest->window_ms = 0;
	oldest->n_checks = 0;
	return oldest;
}

// Under m->mtx: 1 when peer may have one more new token asked about now.
static int
may_ask(node_members *m, const char *peer, int64_t now)
{
	struct source *s = source_of(m, peer);
	if (now - s->window_ms >= 1000) {
		s->window_ms = now;
		s->n_checks = 0;
	}
	if (s->n_checks >= CHECKS_PER_S_SOURCE)
		return 0;
	s->n_checks++;
	return 1;
}

int
node_members_check(node_members *m, const char *token, const char *peer)
{
	char hash[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(token, hash);
	int64_t now = fed_clock_mono_ms();
	pthread_mutex_lock(&m->mtx);
	int known = ring_has(&m->yes, hash, now) ? 1
	    : ring_has(&m->no, hash, now)        ? 0
	                                         : -1;
	int allowed = known < 0 && may_ask(m, peer != NULL ? peer : "", now);
	pthread_mutex_unlock(&m->mtx);
	if (known >= 0)
		return known;
	if (!allowed)
		return 0; // too many new tokens from this source: later
	int definitive = 0;
	int ok = m->ask(token, &definitive, m->arg);
	if (!definitive)
		return ok;
	pthread_mutex_lock(&m->mtx);
	ring_put(ok ? &m->yes : &m->no, hash, now);
	pthread_mutex_unlock(&m->mtx);
	return ok;
}
