// SPDX-License-Identifier: MIT
//
// node_alarms.c: the alarm engine's core: the pattern index that ingest
// consults, the queue and thread that evaluate, the timer, the rules'
// creation and deletion. The lifecycle of an alarm is in
// node_alarm_events.c, the rule types in node_alarm_rules.c.

#include "node_alarms.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fed/clock.h"
#include "fed/log.h"
#include "node_alarms_internal.h"

// ---- Pattern index ---------------------------------------------------------

#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME  1099511628211ull

static uint64_t
fnv(const char *s, size_t len)
{
	uint64_t h = FNV_OFFSET;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char) s[i]) * FNV_PRIME;
	return h;
}

// Rules whose pattern is exactly id[0..len), from the chain of hash h.
static alarm_rule *
probe(node_alarms *a, uint64_t h, const char *id, size_t len, alarm_rule *r)
{
	r = r != NULL ? r->idx_next : a->idx[h % ALARM_IDX_BUCKETS];
	for (; r != NULL; r = r->idx_next)
		if (r->plen == len && memcmp(r->spec->series, id, len) == 0)
			return r;
	return NULL;
}

// Calls fn for each rule covering id: one hash of the id, probed at each
// '/' (prefix patterns) and at its end (exact ones). Under idx_lock.
static int
each_match(node_alarms *a, const char *id, int (*fn)(alarm_rule *r, void *arg),
    void *arg)
{
	uint64_t h = FNV_OFFSET;
	size_t i = 0;
	for (; id[i] != '\0'; i++) {
		h = (h ^ (unsigned char) id[i]) * FNV_PRIME;
		if (id[i] != '/')
			continue;
		for (alarm_rule *r = probe(a, h, id, i + 1, NULL); r != NULL;
		     r = probe(a, h, id, i + 1, r))
			if (fn(r, arg))
				return 1;
	}
	for (alarm_rule *r = probe(a, h, id, i, NULL); r != NULL;
	     r = probe(a, h, id, i, r))
		if (r->prefix == 0 && fn(r, arg))
			return 1;
	return 0;
}

static int
found(alarm_rule *r, void *arg)
{
	(void) r;
	(void) arg;
	return 1;
}

int
node_alarms_matches(node_alarms *a, const char *series_id)
{
	pthread_rwlock_rdlock(&a->idx_lock);
	int m = each_match(a, series_id, found, NULL);
	pthread_rwlock_unlock(&a->idx_lock);
	return m;
}

static void
index_add(node_alarms *a, alarm_rule *r)
{
	size_t b = fnv(r->spec->series, r->plen) % ALARM_IDX_BUCKETS;
	pthread_rwlock_wrlock(&a->idx_lock);
	r->idx_next = a->idx[b];
	a->idx[b] = r;
	pthread_rwlock_unlock(&a->idx_lock);
}

static void
index_remove(node_alarms *a, alarm_rule *r)
{
	size_t b = fnv(r->spec->series, r->plen) % ALARM_IDX_BUCKETS;
	pthread_rwlock_wrlock(&a->idx_lock);
	for (alarm_rule **p = &a->idx[b]; *p != NULL; p = &(*p)->idx_next) {
		if (*p == r) {
			*p = r->idx_next;
			break;
		}
	}
	pthread_rwlock_unlock(&a->idx_lock);
}

// ---- Members -------------------------------------------------------------

alarm_member *
node__alarm_member(alarm_rule *r, const char *series)
{
	size_t b = fnv(series, strlen(series)) % ALARM_MEMBER_BUCKETS;
	for (alarm_member *m = r->members[b]; m != NULL; m = m->next)
		if (strcmp(m->series, series) == 0)
			return m;
	alarm_member *m = calloc(1, sizeof(*m));
	if (m == NULL || (m->series = strdup(series)) == NULL) {
		free(m);
		return NULL;
	}
	m->next = r->members[b];
	r->members[b] = m;
	r->n_members++;
	return m;
}

void
node__alarm_rule_clear_state(alarm_rule *r)
{
	for (size_t b = 0; b < ALARM_MEMBER_BUCKETS; b++) {
		while (r->members[b] != NULL) {
			alarm_member *m = r->members[b];
			r->members[b] = m->next;
			free(m->series);
			free(m->ring_ts);
			free(m->ring_v);
			free(m);
		}
	}
	r->n_members = 0;
	free(r->pend);
	r->pend = NULL;
	r->n_pend = 0;
}

static void
rule_free(alarm_rule *r)
{
	if (r == NULL)
		return;
	node__alarm_rule_clear_state(r);
	enfed__v1__alarm_rule__free_unpacked(r->spec, NULL);
	free(r);
}

// A deep copy of a rule message (pack, unpack); NULL when short of memory.
static Enfed__V1__AlarmRule *
rule_copy(const Enfed__V1__AlarmRule *r)
{
	size_t len = protobuf_c_message_get_packed_size(&r->base);
	uint8_t *buf = malloc(len + 1);
	if (buf == NULL)
		return NULL;
	protobuf_c_message_pack(&r->base, buf);
	Enfed__V1__AlarmRule *c
	    = enfed__v1__alarm_rule__unpack(NULL, len, buf);
	free(buf);
	return c;
}

static alarm_rule *
rule_by_id(node_alarms *a, const char *id, size_t *pos)
{
	for (size_t i = 0; i < a->n_rules; i++) {
		if (strcmp(a->rules[i]->spec->id, id) == 0) {
			if (pos != NULL)
				*pos = i;
			return a->rules[i];
		}
	}
	return NULL;
}

// Adds a rule (spec owned from now on) to the engine and its index.
static fed_status
rule_add(node_alarms *a, Enfed__V1__AlarmRule *spec, alarm_rule **out)
{
	alarm_rule *r = calloc(1, sizeof(*r));
	if (r == NULL || a->n_rules == a->cap_rules) {
		size_t cap = a->cap_rules ? a->cap_rules * 2 : 16;
		alarm_rule **nr
		    = r != NULL ? realloc(a->rules, cap * sizeof(*nr)) : NULL;
		if (nr == NULL) {
			free(r);
			enfed__v1__alarm_rule__free_unpacked(spec, NULL);
			return FED_RESOURCE_EXHAUSTED;
		}
		a->rules = nr;
		a->cap_rules = cap;
	}
	r->spec = spec;
	r->plen = strlen(spec->series);
	r->prefix = r->plen > 0 && spec->series[r->plen - 1] == '/';
	a->rules[a->n_rules++] = r;
	a->stats.n_rules = a->n_rules;
	index_add(a, r);
	if (out != NULL)
		*out = r;
	return FED_OK;
}

// ---- Queue and thread ----------------------------------------------------

struct collect {
	alarm_rule **r;
	size_t n, cap;
};

static int
collect_rule(alarm_rule *r, void *arg)
{
	struct collect *c = arg;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		alarm_rule **nr = realloc(c->r, cap * sizeof(*nr));
		if (nr == NULL)
			return 1;
		c->r = nr;
		c->cap = cap;
	}
	c->r[c->n++] = r;
	return 0;
}

static void
process(node_alarms *a, const alarm_job *j)
{
	struct collect c = {0};
	pthread_mutex_lock(&a->mtx);
	pthread_rwlock_rdlock(&a->idx_lock);
	each_match(a, j->series, collect_rule, &c);
	pthread_rwlock_unlock(&a->idx_lock);
	for (size_t i = 0; i < c.n; i++)
		node__alarm_eval(a, c.r[i], j);
	pthread_mutex_unlock(&a->mtx);
	free(c.r);
}

void
node_alarms_tick(node_alarms *a)
{
	int64_t now = fed_clock_now_ms();
	pthread_mutex_lock(&a->mtx);
	for (size_t i = 0; i < a->n_rules; i++)
		node__alarm_tick_rule(a, a->rules[i], now);
	pthread_mutex_unlock(&a->mtx);
}

static void *
engine(void *arg)
{
	node_alarms *a = arg;
	int64_t next_tick = fed_clock_mono_ms() + a->o.tick_ms;
	int worked = 0;
	pthread_mutex_lock(&a->qmtx);
	while (!a->stop) {
		alarm_job *j = a->qhead;
		if (j != NULL) {
			a->qhead = j->next;
			if (a->qhead == NULL)
				a->qtail = NULL;
			a->q_points -= j->n;
			pthread_mutex_unlock(&a->qmtx);
			process(a, j);
			free(j);
			pthread_mutex_lock(&a->qmtx);
			a->n_out++;
			pthread_cond_broadcast(&a->qcond);
			worked = 1;
			continue;
		}
		int64_t wait = next_tick - fed_clock_mono_ms();
		if (wait <= 0) {
			pthread_mutex_unlock(&a->qmtx);
			node_alarms_tick(a);
			pthread_mutex_lock(&a->qmtx);
			next_tick = fed_clock_mono_ms() + a->o.tick_ms;
			continue;
		}
		// After work, a nap during which offers do not wake the
		// engine: an ingest's series then cost one wake-up, not one
		// each.
		a->napping = worked;
		if (worked && wait > ALARM_NAP_MS)
			wait = ALARM_NAP_MS;
		worked = 0;
		struct timespec ts;
		ts = fed_clock_deadline(CLOCK_REALTIME, wait);
		pthread_cond_timedwait(&a->qcond, &a->qmtx, &ts);
		a->napping = 0;
	}
	pthread_mutex_unlock(&a->qmtx);
	return NULL;
}

void
node_alarms_offer(node_alarms *a, const char *series_id, const int64_t *ts_ms,
    const double *value, size_t n)
{
	if (n == 0 || !node_alarms_matches(a, series_id))
		return;
	size_t idlen = strlen(series_id) + 1;
	alarm_job *j = malloc(
	    sizeof(*j) + n * (sizeof(int64_t) + sizeof(double)) + idlen);
	if (j == NULL)
		return;
	j->next = NULL;
	j->n = n;
	j->ts = (int64_t *) (j + 1);
	j->v = (double *) (j->ts + n);
	j->series = (char *) (j->v + n);
	memcpy(j->ts, ts_ms, n * sizeof(*ts_ms));
	memcpy(j->v, value, n * sizeof(*value));
	memcpy(j->series, series_id, idlen);
	pthread_mutex_lock(&a->qmtx);
	int full = a->q_points + n > a->o.max_queued_points;
	if (full) {
		a->stats.n_points_dropped += n;
	} else {
		// The engine sleeps only on an empty queue: waking it when the
		// queue was empty is enough, and saves a futex call (and often
		// a context switch) per series of every ingest.
		int was_empty = a->qhead == NULL;
		if (a->qtail != NULL)
			a->qtail->next = j;
		else
			a->qhead = j;
		a->qtail = j;
		a->q_points += n;
		a->n_in++;
		a->stats.n_points_queued += n;
		if (was_empty && !a->napping)
			pthread_cond_broadcast(&a->qcond);
	}
	pthread_mutex_unlock(&a->qmtx);
	if (full) {
		fed_log(FED_LOG_WARNING, "alarms",
		    "%zu points of %s not evaluated: the queue is full", n,
		    series_id);
		free(j);
	}
}

fed_status
node_alarms_sync(node_alarms *a, int64_t timeout_ms)
{
	struct timespec ts;
	ts = fed_clock_deadline(CLOCK_REALTIME, timeout_ms);
	pthread_mutex_lock(&a->qmtx);
	uint64_t target = a->n_in;
	int rc = 0;
	while (a->n_out < target && rc == 0)
		rc = pthread_cond_timedwait(&a->qcond, &a->qmtx, &ts);
	int done = a->n_out >= target;
	pthread_mutex_unlock(&a->qmtx);
	return done ? FED_OK : FED_DEADLINE_EXCEEDED;
}

// ---- Creation and rules ----------------------------------------------------

static fed_status
load_rule(const Enfed__V1__AlarmRule *r, void *arg)
{
	Enfed__V1__AlarmRule *c = rule_copy(r);
	return c != NULL ? rule_add(arg, c, NULL) : FED_RESOURCE_EXHAUSTED;
}

static fed_status
load_active(const Enfed__V1__Alarm *al, void *arg)
{
	node_alarms *a = arg;
	alarm_rule *r = rule_by_id(a, al->rule_id, NULL);
	alarm_member *m = r != NULL ? node__alarm_member(r, al->series) : NULL;
	if (m != NULL) {
		m->alarm_id = al->id;
		m->eval_ts = al->raised_ms;
	}
	return FED_OK;
}

static fed_status
load(node_alarms *a)
{
	node_store_err err = {{0}};
	fed_status st
	    = node_store_alarm_rule_list(a->o.store, load_rule, a, &err);
	Enfed__V1__ListAlarmsRequest f = ENFED__V1__LIST_ALARMS_REQUEST__INIT;
	f.active_only = 1;
	f.limit = UINT32_MAX;
	if (st == FED_OK)
		st = node_store_alarm_list(
		    a->o.store, &f, load_active, a, &err);
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, "alarms", "loading: %s",
		    err.msg[0] ? err.msg : fed_status_str(st));
	return st;
}

fed_status
node_alarms_new(const node_alarms_opts *o, node_alarms **out)
{
	if (o == NULL || o->store == NULL)
		return FED_INVALID_ARGUMENT;
	node_alarms *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return FED_RESOURCE_EXHAUSTED;
	a->o = *o;
	a->o.tick_ms = o->tick_ms > 0 ? o->tick_ms : 10000;
	a->o.settle_ms = o->settle_ms > 0 ? o->settle_ms : 2000;
	if (a->o.max_queued_points == 0)
		a->o.max_queued_points = 10000000;
	a->node_name = strdup(o->node_name != NULL ? o->node_name : "");
	pthread_rwlock_init(&a->idx_lock, NULL);
	pthread_mutex_init(&a->mtx, NULL);
	pthread_mutex_init(&a->qmtx, NULL);
	pthread_cond_init(&a->qcond, NULL);
	fed_status st
	    = a->node_name != NULL ? load(a) : FED_RESOURCE_EXHAUSTED;
	if (st == FED_OK)
		st = node_hooks_new(
		    o->max_hooks_queued ? o->max_hooks_queued : 64, &a->hooks);
	if (st == FED_OK && pthread_create(&a->thread, NULL, engine, a) != 0)
		st = FED_UNAVAILABLE;
	if (st != FED_OK) {
		a->thread = pthread_self(); // nothing to join
		node_alarms_free(a);
		return st;
	}
	*out = a;
	return FED_OK;
}

void
node_alarms_free(node_alarms *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->qmtx);
	a->stop = 1;
	pthread_cond_broadcast(&a->qcond);
	pthread_mutex_unlock(&a->qmtx);
	if (!pthread_equal(a->thread, pthread_self()))
		pthread_join(a->thread, NULL);
	node_hooks_free(a->hooks);
	while (a->qhead != NULL) {
		alarm_job *j = a->qhead;
		a->qhead = j->next;
		free(j);
	}
	for (size_t i = 0; i < a->n_rules; i++)
		rule_free(a->rules[i]);
	free(a->rules);
	pthread_cond_destroy(&a->qcond);
	pthread_mutex_destroy(&a->qmtx);
	pthread_mutex_destroy(&a->mtx);
	pthread_rwlock_destroy(&a->idx_lock);
	free(a->node_name);
	free(a);
}

// 1 when two rules are the same definition (created_ms aside).
static int
same_rule(const Enfed__V1__AlarmRule *x, const Enfed__V1__AlarmRule *y)
{
	Enfed__V1__AlarmRule yc = *y;
	yc.created_ms = x->created_ms;
	size_t lx = protobuf_c_message_get_packed_size(&x->base);
	size_t ly = protobuf_c_message_get_packed_size(&yc.base);
	if (lx != ly)
		return 0;
	uint8_t *bx = malloc(lx + 1), *by = malloc(ly + 1);
	int same = bx != NULL && by != NULL;
	if (same) {
		protobuf_c_message_pack(&x->base, bx);
		protobuf_c_message_pack(&yc.base, by);
		same = memcmp(bx, by, lx) == 0;
	}
	free(bx);
	free(by);
	return same;
}

// Sibling rules know their group from the start: every series stored.
static fed_status
add_member(const Enfed__V1__SeriesInfo *info, alarm_rule *r)
{
	return node__alarm_member(r, info->meta->id) != NULL
	    ? FED_OK
	    : FED_RESOURCE_EXHAUSTED;
}

static void
prefill_members(node_alarms *a, alarm_rule *r)
{
	if (r->spec->type
	    != ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_SIBLING)
		return;
	Enfed__V1__ListSeriesRequest f = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	f.prefix = r->spec->series;
	Enfed__V1__SeriesInfo **infos = NULL;
	size_t n = 0;
	node_store_err err = {{0}};
	if (node_store_list(a->o.store, &f, &infos, &n, &err) != FED_OK)
		return;
	for (size_t i = 0; i < n; i++)
		add_member(infos[i], r);
	node_store_info_list_free(infos, n);
}

fed_status
node_alarms_rule_create(node_alarms *a, const Enfed__V1__AlarmRule *r,
    Enfed__V1__AlarmRule **out, node_store_err *err)
{
	FED_TRY(node__alarm_rule_check(a->o.store, r, err));
	pthread_mutex_lock(&a->mtx);
	alarm_rule *have = rule_by_id(a, r->id, NULL);
	fed_status st = FED_OK;
	if (have != NULL && !same_rule(have->spec, r)) {
		st = node_store_fail(err, FED_ALREADY_EXISTS,
		    "id: rule %s exists with another definition", r->id);
	} else if (have == NULL) {
		Enfed__V1__AlarmRule *c = rule_copy(r);
		if (c == NULL) {
			st = FED_RESOURCE_EXHAUSTED;
		} else {
			c->created_ms = fed_clock_now_ms();
			st = node_store_alarm_rule_put(a->o.store, c, err);
			if (st == FED_OK)
				st = rule_add(a, c, &have);
			else
				enfed__v1__alarm_rule__free_unpacked(c, NULL);
			if (st == FED_OK)
				prefill_members(a, have);
		}
	}
	if (st == FED_OK && out != NULL
	    && (*out = rule_copy(have->spec)) == NULL)
		st = FED_RESOURCE_EXHAUSTED;
	pthread_mutex_unlock(&a->mtx);
	if (st == FED_OK)
		fed_log(FED_LOG_NOTICE, "alarms", "rule %s (%s on %s) ready",
		    r->id, node__alarm_type_name(r->type), r->series);
	return st;
}

fed_status
node_alarms_rule_delete(
    node_alarms *a, const char *id, uint32_t *n_cleared, node_store_err *err)
{
	pthread_mutex_lock(&a->mtx);
	size_t pos = 0;
	alarm_rule *r = rule_by_id(a, id, &pos);
	fed_status st = r == NULL
	    ? node_store_fail(err, FED_NOT_FOUND, "id: no rule %.64s", id)
	    : node_store_alarm_rule_delete(a->o.store, id, "rule deleted",
	        fed_clock_now_ms(), n_cleared, err);
	if (st == FED_OK) {
		node__alarm_announce_cleared(a, r);
		index_remove(a, r);
		a->rules[pos] = a->rules[--a->n_rules];
		a->stats.n_rules = a->n_rules;
		rule_free(r);
	}
	pthread_mutex_unlock(&a->mtx);
	if (st == FED_OK)
		fed_log(FED_LOG_NOTICE, "alarms", "rule %s deleted", id);
	return st;
}

void
node_alarms_stats_get(node_alarms *a, node_alarms_stats *out)
{
	pthread_mutex_lock(&a->mtx);
	pthread_mutex_lock(&a->qmtx);
	*out = a->stats;
	pthread_mutex_unlock(&a->qmtx);
	pthread_mutex_unlock(&a->mtx);
	node_hooks_stats hs;
	node_hooks_stats_get(a->hooks, &hs);
	out->n_hooks_run = hs.n_run;
	out->n_hooks_ok = hs.n_ok;
	out->n_hooks_failed = hs.n_failed;
	out->n_hooks_killed = hs.n_killed;
	out->n_hooks_dropped = hs.n_dropped;
}

fed_status
node_alarms_hooks_idle(node_alarms *a, int64_t timeout_ms)
{
	return node_hooks_wait_idle(a->hooks, timeout_ms);
}
