// SPDX-License-Identifier: MIT
//
// node_alarms.h: the alarm engine of fed-node: rules evaluated on the
// points the node stores and on a timer, alarms raised once per episode,
// acknowledged and cleared, kept in the store, published on the node's
// stream ("!alarm " + enfed.v1.AlarmEvent) and handed to the rules' command
// hooks (node_hooks.h). Rule types and their parameters are described in
// proto/enfed/v1/alarm.proto and docs/alarms.md.
//
// Ingest path: node_alarms_offer is called once per series with the points
// an ingest newly stored, after their commit. It looks the series up in an
// index of the rules' patterns (one hash probe per '/' of the id, so
// O(length of the id) whatever the number of rules) and, only when a rule
// matches, copies the points into a queue. Everything else (evaluation,
// store writes, events, hooks) happens on the engine's own thread, so a
// rule never slows down or blocks an ingest.
//
// Hysteresis: per rule and series the engine keeps the time since which
// the condition holds and the active alarm; an alarm is raised once when
// the condition has held for the rule's duration, and cleared when the
// condition no longer holds (for a threshold, by clear_margin). Points
// older than the newest one evaluated for a series are not evaluated.
// Active alarms are reloaded at start, so a restart raises nothing twice.
//
// Threads: every function may be called from any thread.

#ifndef NODE_ALARMS_H
#define NODE_ALARMS_H

#include <stddef.h>
#include <stdint.h>

#include "enfed/v1/alarm.pb-c.h"
#include "fed/stream.h"
#include "store.h"

typedef struct node_alarms node_alarms;

typedef struct node_alarms_opts {
	node_store *store; // borrowed; outlives the engine
	fed_stream_pub *pub; // borrowed; events go there; may be NULL
	const char *node_name; // copied; in events and hook environments
	int64_t tick_ms; // timer period (staleness, sibling settling);
	                 // 0: 10 s
	int64_t settle_ms; // sibling: how long to wait for the other series'
	                   // points at an instant; 0: 2 s
	size_t max_queued_points; // points waiting for evaluation; past it,
	                          // new ones are dropped (logged); 0: 10 M
	size_t max_hooks_queued; // hook runs waiting; 0: 64
} node_alarms_opts;

// Loads the rules and active alarms of o->store and starts the engine's
// thread and its hook runner. INVALID_ARGUMENT for a missing store;
// DATA_LOSS for a stored rule that does not unpack; UNAVAILABLE when a
// thread cannot start. *out is owned by the caller (node_alarms_free).
fed_status node_alarms_new(const node_alarms_opts *o, node_alarms **out);

// Stops the threads (a hook still running is killed), drops what waits,
// frees the engine. No other call may be running on it. NULL does nothing.
void node_alarms_free(node_alarms *a);

// The ingest hook: points (ts_ms[i], value[i]), n of them, newly stored in
// series_id, sorted by time; borrowed for the call. Never blocks on
// evaluation, the store or a hook (it only takes the index's read lock
// and, when a rule matches, the queue's lock). Matches the signature of
// node_store_new_fn with arg the engine.
void node_alarms_offer(node_alarms *a, const char *series_id,
    const int64_t *ts_ms, const double *value, size_t n);

// 1 when at least one rule covers series_id, else 0.
int node_alarms_matches(node_alarms *a, const char *series_id);

// Validates rule `r` (borrowed) and creates it (created_ms set now), or
// confirms it when a rule with its id and the same definition exists.
// INVALID_ARGUMENT naming the field (bad id, a pattern no stored series
// matches, an unknown type, a negative duration, an empty or
// contradictory threshold, out-of-range parameters, a relative hook
// path, ...), ALREADY_EXISTS for the id with another definition, or the
// store's failure. On OK, *out (may be NULL when not wanted) is the rule
// as stored, owned by the caller (enfed__v1__alarm_rule__free_unpacked
// with a NULL allocator).
fed_status node_alarms_rule_create(node_alarms *a,
    const Enfed__V1__AlarmRule *r, Enfed__V1__AlarmRule **out,
    node_store_err *err);

// Deletes rule `id`; its active alarms are cleared (event CLEARED, "rule
// deleted"); *n_cleared (may be NULL) gets their number. NOT_FOUND.
fed_status node_alarms_rule_delete(
    node_alarms *a, const char *id, uint32_t *n_cleared, node_store_err *err);

// Acknowledges alarm `id` in the name of `by` (borrowed), publishing an
// ACKNOWLEDGED event; an alarm already acknowledged keeps its first
// acknowledgement (OK, no event). NOT_FOUND. On OK, *out (may be NULL) is
// the alarm, owned by the caller (enfed__v1__alarm__free_unpacked).
fed_status node_alarms_ack(node_alarms *a, uint64_t id, const char *by,
    Enfed__V1__Alarm **out, node_store_err *err);

// Waits up to timeout_ms until every point offered before the call has
// been evaluated. OK or DEADLINE_EXCEEDED. For tests and benchmarks.
fed_status node_alarms_sync(node_alarms *a, int64_t timeout_ms);

// Runs the timer's work now on the calling thread: staleness of every
// STALE rule's series, and sibling instants waiting longer than
// settle_ms. The engine's thread does the same every tick_ms.
void node_alarms_tick(node_alarms *a);

typedef struct node_alarms_stats {
	uint64_t n_rules;
	uint64_t n_points_queued; // points that matched a rule
	uint64_t n_points_dropped; // points not evaluated: the queue was full
	uint64_t n_raised;
	uint64_t n_cleared;
	uint64_t n_hooks_run, n_hooks_ok, n_hooks_failed, n_hooks_killed,
	    n_hooks_dropped;
} node_alarms_stats;

// The engine's counters so far.
void node_alarms_stats_get(node_alarms *a, node_alarms_stats *out);

// Waits up to timeout_ms until no hook runs or waits (node_hooks.h).
fed_status node_alarms_hooks_idle(node_alarms *a, int64_t timeout_ms);

#endif // NODE_ALARMS_H
