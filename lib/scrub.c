// SPDX-License-Identifier: MIT
//
// scrub.c: the periodic and on-demand checks of a service's stored data
// (fed/scrub.h). The thread sleeps on a condition variable on the monotonic
// clock, so that stopping wakes it at once; a check in progress sees the
// stop flag between its batches.

#include "fed/scrub.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fed/clock.h"
#include "fed/log.h"

struct fed_scrub {
	fed_scrub_opts o;
	atomic_int stop;
	pthread_mutex_t run_mtx; // one check at a time
	pthread_mutex_t mtx; // guards last, has_last and the wait
	pthread_cond_t cond;
	fed_scrub_report last;
	int has_last;
	pthread_t thread;
	int has_thread;
};

size_t
fed_scrub_escape(char *dst, size_t dst_len, const void *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = src;
	size_t n = 0;
	if (dst_len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		int plain = p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\';
		size_t need = plain ? 1 : 4;
		if (n + need >= dst_len)
			break;
		if (plain) {
			dst[n++] = (char) p[i];
			continue;
		}
		dst[n++] = '\\';
		dst[n++] = 'x';
		dst[n++] = hex[p[i] >> 4];
		dst[n++] = hex[p[i] & 15];
	}
	dst[n] = '\0';
	return n;
}

void
fed_scrub_report_bad(
    fed_scrub_report *r, const char *table, const char *key, const char *why)
{
	r->n_bad++;
	if (r->n_listed == FED_SCRUB_MAX_BAD)
		return;
	fed_scrub_bad *b = &r->bad[r->n_listed++];
	memset(b, 0, sizeof(*b));
	snprintf(b->table, sizeof(b->table), "%s", table);
	snprintf(b->key, sizeof(b->key), "%s", key);
	snprintf(b->why, sizeof(b->why), "%s", why);
}

void
fed_scrub_report_bad_block(fed_scrub_report *r, const char *series,
    int64_t from_ms, int64_t to_ms, const char *why)
{
	r->n_bad++;
	if (r->n_listed == FED_SCRUB_MAX_BAD)
		return;
	fed_scrub_bad *b = &r->bad[r->n_listed++];
	memset(b, 0, sizeof(*b));
	snprintf(b->series, sizeof(b->series), "%s", series);
	b->from_ms = from_ms;
	b->to_ms = to_ms;
	snprintf(b->why, sizeof(b->why), "%s", why);
}

// The first bad one, as the log names it.
static void
describe_bad(const fed_scrub_bad *b, char *buf, size_t len)
{
	if (b->series[0] != '\0')
		snprintf(buf, len, "series %s, window [%lld, %lld) %s",
		    b->series, (long long) b->from_ms, (long long) b->to_ms,
		    b->why);
	else
		snprintf(buf, len, "%s %s: %s", b->table, b->key, b->why);
}

static void
log_report(const fed_scrub_opts *o, const fed_scrub_report *r)
{
	const char *what = o->what != NULL ? o->what : "rows";
	int ran_db = r->quick_check[0] != '\0'; // sqlite's own check ran
	int db_ok = !ran_db || strcmp(r->quick_check, "ok") == 0;
	if (r->n_bad == 0) {
		fed_log(FED_LOG_NOTICE, o->log,
		    "check: %llu %s checked in %lld ms%s: all sound",
		    (unsigned long long) r->n_rows, what,
		    (long long) r->elapsed_ms,
		    ran_db ? ", quick_check ok" : "");
		return;
	}
	char first[600] = "";
	if (r->n_listed > 0)
		describe_bad(&r->bad[0], first, sizeof(first));
	fed_log(FED_LOG_ERR, o->log,
	    "check: %llu of %llu %s are bad (checked in %lld ms)%s%s%s%s",
	    (unsigned long long) (r->n_bad - (db_ok ? 0 : 1)),
	    (unsigned long long) r->n_rows, what, (long long) r->elapsed_ms,
	    r->n_listed > 0 ? "; first: " : "", first,
	    ran_db ? "; quick_check: " : "", ran_db ? r->quick_check : "");
}

fed_status
fed_scrub_run(fed_scrub *s, fed_scrub_report *out)
{
	pthread_mutex_lock(&s->run_mtx);
	memset(out, 0, sizeof(*out));
	out->started_ms = fed_clock_now_ms();
	int64_t t0 = fed_clock_mono_ms();
	fed_status st = atomic_load(&s->stop)
	    ? FED_CANCELLED
	    : s->o.check(s->o.arg, &s->stop, out);
	out->elapsed_ms = fed_clock_mono_ms() - t0;
	pthread_mutex_unlock(&s->run_mtx);
	if (st != FED_OK) {
		fed_log(FED_LOG_WARNING, s->o.log, "check: not done: %s",
		    fed_status_str(st));
		return st;
	}
	log_report(&s->o, out);
	pthread_mutex_lock(&s->mtx);
	s->last = *out;
	s->has_last = 1;
	pthread_mutex_unlock(&s->mtx);
	return FED_OK;
}

int
fed_scrub_last(fed_scrub *s, fed_scrub_report *out)
{
	pthread_mutex_lock(&s->mtx);
	int has = s->has_last;
	if (has)
		*out = s->last;
	pthread_mutex_unlock(&s->mtx);
	return has;
}

// Sleeps one interval; 0 when woken to stop.
static int
wait_interval(fed_scrub *s)
{
	struct timespec until
	    = fed_clock_deadline(CLOCK_MONOTONIC, s->o.interval_ms);
	pthread_mutex_lock(&s->mtx);
	int rc = 0;
	while (!atomic_load(&s->stop) && rc == 0)
		rc = pthread_cond_timedwait(&s->cond, &s->mtx, &until);
	pthread_mutex_unlock(&s->mtx);
	return !atomic_load(&s->stop);
}

static void *
scrub_thread(void *arg)
{
	fed_scrub *s = arg;
	fed_scrub_report *rep = malloc(sizeof(*rep));
	while (rep != NULL && wait_interval(s))
		fed_scrub_run(s, rep);
	if (rep == NULL)
		fed_log(FED_LOG_ERR, s->o.log,
		    "check: no memory: no periodic check");
	free(rep);
	return NULL;
}

static fed_status
start_thread(fed_scrub *s)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int rc = pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		return FED_RESOURCE_EXHAUSTED;
	if (s->o.interval_ms <= 0)
		return FED_OK;
	if (pthread_create(&s->thread, NULL, scrub_thread, s) != 0) {
		pthread_cond_destroy(&s->cond);
		return FED_RESOURCE_EXHAUSTED;
	}
	s->has_thread = 1;
	return FED_OK;
}

fed_status
fed_scrub_new(const fed_scrub_opts *opts, fed_scrub **out)
{
	fed_scrub *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return FED_RESOURCE_EXHAUSTED;
	s->o = *opts;
	atomic_init(&s->stop, 0);
	pthread_mutex_init(&s->run_mtx, NULL);
	pthread_mutex_init(&s->mtx, NULL);
	fed_status st = start_thread(s);
	if (st != FED_OK) {
		pthread_mutex_destroy(&s->run_mtx);
		pthread_mutex_destroy(&s->mtx);
		free(s);
		return st;
	}
	*out = s;
	return FED_OK;
}

void
fed_scrub_stop(fed_scrub *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mtx);
	atomic_store(&s->stop, 1);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mtx);
}

void
fed_scrub_free(fed_scrub *s)
{
	if (s == NULL)
		return;
	fed_scrub_stop(s);
	if (s->has_thread)
		pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->run_mtx);
	pthread_mutex_destroy(&s->mtx);
	free(s);
}

// Copies a report into msg, its strings and list in call memory; the rows
// only when `rows` (Integrity), never for Health.
static fed_status
fill_report(fed_rpc_ctx *call, const fed_scrub_report *r, int rows,
    Enfed__V1__IntegrityReport *msg)
{
	msg->started_ms = r->started_ms;
	msg->elapsed_ms = (uint64_t) r->elapsed_ms;
	msg->n_blocks = r->n_rows;
	msg->n_failed = r->n_bad;
	msg->quick_check = fed_rpc_ctx_strdup(call, r->quick_check);
	if (msg->quick_check == NULL)
		return FED_RESOURCE_EXHAUSTED;
	if (!rows || r->n_listed == 0)
		return FED_OK;
	Enfed__V1__BadBlock *b
	    = fed_rpc_ctx_alloc(call, r->n_listed * sizeof(*b));
	msg->bad = fed_rpc_ctx_alloc(call, r->n_listed * sizeof(*msg->bad));
	if (b == NULL || msg->bad == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < r->n_listed; i++) {
		const fed_scrub_bad *x = &r->bad[i];
		enfed__v1__bad_block__init(&b[i]);
		b[i].table = fed_rpc_ctx_strdup(call, x->table);
		b[i].key = fed_rpc_ctx_strdup(call, x->key);
		b[i].series_id = fed_rpc_ctx_strdup(call, x->series);
		b[i].reason = fed_rpc_ctx_strdup(call, x->why);
		if (b[i].table == NULL || b[i].key == NULL
		    || b[i].series_id == NULL || b[i].reason == NULL)
			return FED_RESOURCE_EXHAUSTED;
		b[i].from_ms = x->from_ms;
		b[i].to_ms = x->to_ms;
		msg->bad[i] = &b[i];
	}
	msg->n_bad = r->n_listed;
	return FED_OK;
}

static fed_status
check(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	(void) in;
	fed_scrub_report *rep = fed_rpc_ctx_alloc(call, sizeof(*rep));
	if (rep == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_status st = fed_scrub_run(arg, rep);
	if (st != FED_OK)
		return fed_rpc_ctx_error(call, st,
		    "the check could not run: %s (see the service's log)",
		    fed_status_str(st));
	return fill_report(call, rep, 1, (Enfed__V1__IntegrityReport *) out);
}

fed_status
fed_scrub_register(fed_rpc_server *srv, fed_scrub *s)
{
	static const fed_rpc_method methods[] = {{"Check", check}};
	return fed_rpc_server_add_service(
	    srv, &enfed__v1__integrity__descriptor, methods, 1, s);
}

fed_status
fed_scrub_health(
    fed_rpc_ctx *call, Enfed__V1__HealthCheckResponse *rep, void *arg)
{
	fed_scrub_report *last = NULL;
	if (arg == NULL)
		return FED_OK;
	last = fed_rpc_ctx_alloc(call, sizeof(*last));
	if (last == NULL)
		return FED_RESOURCE_EXHAUSTED;
	if (!fed_scrub_last(arg, last))
		return FED_OK;
	Enfed__V1__IntegrityReport *msg
	    = fed_rpc_ctx_alloc(call, sizeof(*msg));
	if (msg == NULL)
		return FED_RESOURCE_EXHAUSTED;
	enfed__v1__integrity_report__init(msg);
	rep->last_check = msg;
	return fill_report(call, last, 0, msg);
}
