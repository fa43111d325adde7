// SPDX-License-Identifier: MIT
//
// node_alarms_internal.h: what the alarm engine's core (node_alarms.c:
// index, queue, thread), the alarms' lifecycle (node_alarm_events.c) and
// the rules (node_alarm_rules.c: validation and the evaluation of each
// rule type) share. The engine's
// mutex guards every rule and member; the index has its own read-write
// lock so that ingest threads can look series up without waiting for an
// evaluation.

#ifndef NODE_ALARMS_INTERNAL_H
#define NODE_ALARMS_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "node_alarms.h"
#include "node_hooks.h"

#define ALARM_MEMBER_BUCKETS 64
#define ALARM_RING           2048 // sibling: a week of 5-minute points
#define ALARM_MAX_PENDING    8192

// The state of one series under one rule.
typedef struct alarm_member {
	char *series;
	struct alarm_member *next; // in the rule's hash chain
	int64_t last_ts; // newest point received
	int64_t eval_ts; // newest instant evaluated
	int has_since;
	int64_t since_ts; // the condition holds since
	uint64_t alarm_id; // the active alarm; 0: none
	int meta_loaded;
	uint32_t interval_s;
	int unit; // an Enfed__V1__Unit
	int64_t day_done; // DAILY: start of the last day evaluated
	int64_t *ring_ts; // SIBLING: recent points, oldest at ring_head
	double *ring_v;
	size_t ring_n, ring_head;
} alarm_member;

typedef struct alarm_pending {
	int64_t ts;
	int64_t mono_ms; // when it was first seen
} alarm_pending;

typedef struct alarm_rule {
	Enfed__V1__AlarmRule *spec; // owned
	size_t plen; // pattern length
	int prefix; // the pattern ends in '/'
	struct alarm_rule *idx_next; // in the index chain
	alarm_member *members[ALARM_MEMBER_BUCKETS];
	size_t n_members;
	alarm_pending *pend; // SIBLING: instants waiting, sorted
	size_t n_pend;
} alarm_rule;

// The outcome of evaluating one point.
typedef enum alarm_cond {
	COND_UNKNOWN, // cannot tell (night, too few siblings): no change
	COND_BAD, // the condition holds
	COND_GOOD, // it does not: clears an active alarm
	COND_HOLD, // it does not, but not far enough to clear (hysteresis)
} alarm_cond;

#define ALARM_IDX_BUCKETS 4096
#define ALARM_NAP_MS      5 // the longest an evaluation waits in a burst

typedef struct alarm_job {
	struct alarm_job *next;
	char *series;
	size_t n;
	int64_t *ts;
	double *v;
} alarm_job;

struct node_alarms {
	node_alarms_opts o;
	char *node_name;
	node_hooks *hooks;
	pthread_rwlock_t idx_lock;
	alarm_rule *idx[ALARM_IDX_BUCKETS];
	pthread_mutex_t mtx; // rules, members, stats
	alarm_rule **rules;
	size_t n_rules, cap_rules;
	pthread_mutex_t qmtx;
	pthread_cond_t qcond;
	alarm_job *qhead, *qtail;
	size_t q_points;
	uint64_t n_in, n_out;
	int stop;
	int napping; // the engine naps after work: offers need not wake it
	pthread_t thread;
	node_alarms_stats stats;
};

// The member of rule r for `series`, created when absent; NULL when
// memory is short. Under the engine's mutex.
alarm_member *node__alarm_member(alarm_rule *r, const char *series);

// Applies one evaluated point (instant ts, value v, reference ref: the
// expectation, median or usual value, for the message) to m's episode:
// raises after the rule's duration, clears on COND_GOOD.
void node__alarm_episode(node_alarms *a, alarm_rule *r, alarm_member *m,
    int64_t ts, double v, double ref, alarm_cond c);

// Clears m's active alarm (if any) with `why`; value v (NaN: none).
void node__alarm_clear(
    node_alarms *a, alarm_rule *r, alarm_member *m, double v, const char *why);

// "threshold", "stale", ... for a rule type.
const char *node__alarm_type_name(Enfed__V1__AlarmRuleType t);

// Publishes an event of alarm al (borrowed) on the stream and, for raises
// and clears of a rule r (may be NULL: no hook), runs r's hook.
void node__alarm_announce(node_alarms *a, const Enfed__V1__AlarmRule *r,
    const Enfed__V1__Alarm *al, Enfed__V1__AlarmEvent__Kind kind);

// Publishes CLEARED for the active alarms of r, which the store has just
// marked cleared (the rule is being deleted).
void node__alarm_announce_cleared(node_alarms *a, alarm_rule *r);

// Checks a rule against the store; INVALID_ARGUMENT naming the field.
fed_status node__alarm_rule_check(
    node_store *st, const Enfed__V1__AlarmRule *r, node_store_err *err);

// Evaluates the points of one job for rule r (under the mutex).
void node__alarm_eval(node_alarms *a, alarm_rule *r, const alarm_job *j);

// The timer's work for rule r (under the mutex).
void node__alarm_tick_rule(node_alarms *a, alarm_rule *r, int64_t now_ms);

// Frees a rule's members and pending instants (not the spec).
void node__alarm_rule_clear_state(alarm_rule *r);

#endif // NODE_ALARMS_INTERNAL_H
