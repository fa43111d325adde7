// SPDX-License-Identifier: MIT
//
// node_alarm_events.c: the lifecycle of an alarm: its message, its raise
// and clear (stored first, then published on the stream as an AlarmEvent,
// then handed to the rule's hook with the alarm in the environment), the
// episode logic that decides between them, and acknowledgement. Called
// under the engine's mutex.

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fed/clock.h"
#include "fed/log.h"
#include "node_alarms_internal.h"

const char *
node__alarm_type_name(Enfed__V1__AlarmRuleType t)
{
	static const char *const names[] = {"unspecified", "threshold",
	    "stale", "daylight", "sibling", "daily"};
	return (unsigned) t < 6 ? names[t] : "unknown";
}

static const char *
kind_name(Enfed__V1__AlarmEvent__Kind k)
{
	return k == ENFED__V1__ALARM_EVENT__KIND__KIND_RAISED ? "raised"
	    : k == ENFED__V1__ALARM_EVENT__KIND__KIND_ACKNOWLEDGED
	    ? "acknowledged"
	    : "cleared";
}

static void
iso_utc(int64_t ms, char *buf, size_t len)
{
	time_t s = (time_t) (ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

// Hands an event to the rule's hook: the alarm only in the environment.
static void
run_hook(node_alarms *a, const Enfed__V1__AlarmRule *r,
    const Enfed__V1__Alarm *al, Enfed__V1__AlarmEvent__Kind kind)
{
	if (r->n_hook_argv == 0)
		return;
	char v[12][640], when[32];
	iso_utc(al->raised_ms, when, sizeof(when));
	int i = 0;
	snprintf(v[i++], sizeof(v[0]), "PATH=/usr/local/bin:/usr/bin:/bin");
	snprintf(v[i++], sizeof(v[0]), "ENFED_NODE=%s", a->node_name);
	snprintf(
	    v[i++], sizeof(v[0]), "ENFED_ALARM_EVENT=%s", kind_name(kind));
	snprintf(v[i++], sizeof(v[0]), "ENFED_ALARM_ID=%llu",
	    (unsigned long long) al->id);
	snprintf(v[i++], sizeof(v[0]), "ENFED_ALARM_RULE=%s", al->rule_id);
	snprintf(v[i++], sizeof(v[0]), "ENFED_ALARM_TYPE=%s",
	    node__alarm_type_name(al->type));
	snprintf(v[i++], sizeof(v[0]), "ENFED_ALARM_SERIES=%s", al->series);
	snprintf(v[i++], sizeof(v[0]), "ENFED_ALARM_TIME=%s", when);
	snprintf(v[i++], sizeof(v[0]), "ENFED_ALARM_TS_MS=%lld",
	    (long long) al->raised_ms);
	int cleared = kind == ENFED__V1__ALARM_EVENT__KIND__KIND_CLEARED;
	snprintf(v[i++], sizeof(v[0]), "ENFED_ALARM_VALUE=%.17g",
	    cleared ? al->clear_value : al->value);
	snprintf(v[i++], sizeof(v[0]), "ENFED_ALARM_MESSAGE=%s",
	    cleared ? al->clear_message : al->message);
	const char *env[13];
	for (int k = 0; k < i; k++)
		env[k] = v[k];
	env[i] = NULL;
	const char *argv[17];
	size_t n = r->n_hook_argv < 16 ? r->n_hook_argv : 16;
	for (size_t k = 0; k < n; k++)
		argv[k] = r->hook_argv[k];
	argv[n] = NULL;
	node_hooks_run(a->hooks, argv, env,
	    r->hook_timeout_ms > 0 ? r->hook_timeout_ms : 10000);
}

// Publishes the event and runs the hook (not for acknowledgements).
void
node__alarm_announce(node_alarms *a, const Enfed__V1__AlarmRule *r,
    const Enfed__V1__Alarm *al, Enfed__V1__AlarmEvent__Kind kind)
{
	fed_log(FED_LOG_NOTICE, "alarms", "alarm %llu %s: %s: %s",
	    (unsigned long long) al->id, kind_name(kind), al->rule_id,
	    kind == ENFED__V1__ALARM_EVENT__KIND__KIND_CLEARED
	        ? al->clear_message
	        : al->message);
	if (a->o.pub != NULL) {
		Enfed__V1__AlarmEvent ev = ENFED__V1__ALARM_EVENT__INIT;
		ev.kind = kind;
		ev.alarm = (Enfed__V1__Alarm *) al;
		ev.node = a->node_name;
		fed_status st
		    = fed_stream_publish_msg(a->o.pub, "!alarm ", &ev.base);
		if (st != FED_OK)
			fed_log(FED_LOG_WARNING, "alarms", "publishing: %s",
			    fed_status_name(st));
	}
	if (r != NULL
	    && kind != ENFED__V1__ALARM_EVENT__KIND__KIND_ACKNOWLEDGED)
		run_hook(a, r, al, kind);
}

static void
format_duration(int64_t ms, char *buf, size_t len)
{
	int64_t m = ms / 60000;
	if (m >= 1440)
		snprintf(buf, len, "%lldd %lldh", (long long) (m / 1440),
		    (long long) (m % 1440 / 60));
	else if (m >= 60)
		snprintf(buf, len, "%lldh %02lldm", (long long) (m / 60),
		    (long long) (m % 60));
	else if (m >= 1)
		snprintf(buf, len, "%lld min", (long long) m);
	else
		snprintf(buf, len, "%.1f s", (double) ms / 1000.0);
}

// The alarm's human sentence.
static void
message(const alarm_rule *r, const alarm_member *m, int64_t ts, double v,
    double ref, char *buf, size_t len)
{
	const Enfed__V1__AlarmRule *s = r->spec;
	char d[32], when[32];
	format_duration(ts - m->since_ts, d, sizeof(d));
	iso_utc(ts, when, sizeof(when));
	switch (s->type) {
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_THRESHOLD:
		snprintf(buf, len, "%s: %g %s the limit of %g for %s (at %s)",
		    m->series, v,
		    s->above != NULL && v > s->above->value ? "above"
		                                            : "below",
		    s->above != NULL && v > s->above->value ? s->above->value
		                                            : s->below->value,
		    d, when);
		break;
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_STALE:
		format_duration((int64_t) (v * 1000), d, sizeof(d));
		iso_utc(m->since_ts, when, sizeof(when));
		snprintf(buf, len, "%s: no data for %s (last point %s)",
		    m->series, d, when);
		break;
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_DAYLIGHT:
		snprintf(buf, len,
		    "%s: %g in daylight for %s, a clear sky would give about "
		    "%.0f (at %s)",
		    m->series, v, d, ref, when);
		break;
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_SIBLING:
		// Not the siblings' median: the alarm is listed and streamed
		// to whoever may read m->series, who may not read the others.
		snprintf(buf, len,
		    "%s: %g, far below its siblings for %s (at %s)", m->series,
		    v, d, when);
		break;
	default:
		snprintf(buf, len,
		    "%s: %g for the day ending %s, %.1f times its usual %g",
		    m->series, v, when, ref > 0 ? v / ref : 0.0, ref);
	}
}

static void
raise_alarm(node_alarms *a, alarm_rule *r, alarm_member *m, int64_t ts,
    double v, double ref)
{
	char msg[512];
	message(r, m, ts, v, ref, msg, sizeof(msg));
	Enfed__V1__Alarm al = ENFED__V1__ALARM__INIT;
	al.rule_id = r->spec->id;
	al.type = r->spec->type;
	al.series = m->series;
	al.state = ENFED__V1__ALARM_STATE__ALARM_STATE_ACTIVE;
	al.raised_ms = ts;
	al.raised_at_ms = fed_clock_now_ms();
	al.value = v;
	al.message = msg;
	node_store_err err = {{0}};
	fed_status st = node_store_alarm_put(a->o.store, &al, &al.id, &err);
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, "alarms", "storing an alarm of %s: %s",
		    r->spec->id, err.msg[0] ? err.msg : fed_status_str(st));
		return;
	}
	m->alarm_id = al.id;
	a->stats.n_raised++;
	node__alarm_announce(
	    a, r->spec, &al, ENFED__V1__ALARM_EVENT__KIND__KIND_RAISED);
}

void
node__alarm_clear(
    node_alarms *a, alarm_rule *r, alarm_member *m, double v, const char *why)
{
	if (m->alarm_id == 0)
		return;
	Enfed__V1__Alarm *al = NULL;
	node_store_err err = {{0}};
	fed_status st
	    = node_store_alarm_get(a->o.store, m->alarm_id, &al, &err);
	m->alarm_id = 0;
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, "alarms", "clearing: %s", err.msg);
		return;
	}
	char *kept = al->clear_message;
	al->state = ENFED__V1__ALARM_STATE__ALARM_STATE_CLEARED;
	al->cleared_ms = fed_clock_now_ms();
	al->clear_value = isnan(v) ? 0 : v;
	al->clear_message = (char *) why;
	st = node_store_alarm_put(a->o.store, al, NULL, &err);
	if (st == FED_OK) {
		a->stats.n_cleared++;
		node__alarm_announce(a, r->spec, al,
		    ENFED__V1__ALARM_EVENT__KIND__KIND_CLEARED);
	} else {
		fed_log(FED_LOG_ERR, "alarms", "clearing: %s", err.msg);
	}
	al->clear_message = kept;
	enfed__v1__alarm__free_unpacked(al, NULL);
}

void
node__alarm_episode(node_alarms *a, alarm_rule *r, alarm_member *m, int64_t ts,
    double v, double ref, alarm_cond c)
{
	if (c == COND_UNKNOWN || ts <= m->eval_ts)
		return;
	m->eval_ts = ts;
	if (c != COND_BAD) {
		m->has_since = 0;
		if (c == COND_GOOD && m->alarm_id != 0) {
			char why[160];
			snprintf(why, sizeof(why), "%s: back to normal (%g)",
			    m->series, v);
			node__alarm_clear(a, r, m, v, why);
		}
		return;
	}
	if (m->alarm_id != 0)
		return; // one alarm per episode
	if (!m->has_since) {
		m->has_since = 1;
		m->since_ts = ts;
	}
	if (ts - m->since_ts >= r->spec->duration_ms)
		raise_alarm(a, r, m, ts, v, ref);
}

// Publishes CLEARED for the rule's active alarms, which the store has
// just marked cleared.
void
node__alarm_announce_cleared(node_alarms *a, alarm_rule *r)
{
	for (size_t b = 0; b < ALARM_MEMBER_BUCKETS; b++) {
		for (alarm_member *m = r->members[b]; m != NULL; m = m->next) {
			Enfed__V1__Alarm *al = NULL;
			node_store_err err = {{0}};
			if (m->alarm_id == 0
			    || node_store_alarm_get(
			           a->o.store, m->alarm_id, &al, &err)
			        != FED_OK)
				continue;
			a->stats.n_cleared++;
			node__alarm_announce(a, NULL, al,
			    ENFED__V1__ALARM_EVENT__KIND__KIND_CLEARED);
			enfed__v1__alarm__free_unpacked(al, NULL);
		}
	}
}

fed_status
node_alarms_ack(node_alarms *a, uint64_t id, const char *by,
    Enfed__V1__Alarm **out, node_store_err *err)
{
	Enfed__V1__Alarm *al = NULL;
	pthread_mutex_lock(&a->mtx); // not beside a clear of the same alarm
	fed_status st = node_store_alarm_get(a->o.store, id, &al, err);
	if (st == FED_OK && al->acked_ms == 0) {
		char *kept = al->acked_by;
		al->acked_ms = fed_clock_now_ms();
		al->acked_by = (char *) by;
		st = node_store_alarm_put(a->o.store, al, NULL, err);
		if (st == FED_OK)
			node__alarm_announce(a, NULL, al,
			    ENFED__V1__ALARM_EVENT__KIND__KIND_ACKNOWLEDGED);
		al->acked_by = kept;
		enfed__v1__alarm__free_unpacked(al, NULL);
		al = NULL;
		if (st == FED_OK)
			st = node_store_alarm_get(a->o.store, id, &al, err);
	}
	pthread_mutex_unlock(&a->mtx);
	if (st == FED_OK && out != NULL)
		*out = al;
	else if (al != NULL)
		enfed__v1__alarm__free_unpacked(al, NULL);
	return st;
}
