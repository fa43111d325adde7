// SPDX-License-Identifier: MIT
//
// node_hooks.h: runs the alarm rules' command hooks, one at a time, on a
// thread of its own, so that a slow or hanging hook never holds up ingest
// or the evaluation of rules.
//
// A hook is a program (argv[0] an absolute path) started with posix_spawn,
// without a shell: its arguments are the rule's, fixed when the rule was
// made, and the alarm's data reach it only through environment variables,
// so nothing in a series id or a message is ever interpreted. It runs in a
// process group of its own with the default signal mask and dispositions,
// standard input and output on /dev/null, standard error the node's (its
// log). When its time limit passes, the whole group is killed (SIGKILL).
//
// Thread-safe: node_hooks_run may be called from any thread and never
// blocks; it copies what it is given.

#ifndef NODE_HOOKS_H
#define NODE_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"

typedef struct node_hooks node_hooks;

// Starts the runner thread; at most max_queued runs wait (more are
// dropped and counted). UNAVAILABLE when the thread cannot start. *out is
// owned by the caller (node_hooks_free).
fed_status node_hooks_new(size_t max_queued, node_hooks **out);

// Kills a hook still running, drops those waiting, joins the thread and
// frees the runner. NULL does nothing.
void node_hooks_free(node_hooks *h);

// Queues one run of argv (NULL-terminated, argv[0] an absolute path) with
// exactly the environment env (NULL-terminated "NAME=value" strings), to be
// killed after timeout_ms (> 0). Both lists are copied. INVALID_ARGUMENT
// for an empty argv or a relative argv[0]; RESOURCE_EXHAUSTED when the
// queue is full (the run is dropped, counted and logged). Never blocks.
fed_status node_hooks_run(node_hooks *h, const char *const *argv,
    const char *const *env, int64_t timeout_ms);

typedef struct node_hooks_stats {
	uint64_t n_run; // started
	uint64_t n_ok; // exited with status 0
	uint64_t n_failed; // could not start, or exited otherwise
	uint64_t n_killed; // killed at their time limit
	uint64_t n_dropped; // not run: the queue was full
} node_hooks_stats;

// The counters so far.
void node_hooks_stats_get(node_hooks *h, node_hooks_stats *out);

// Waits up to timeout_ms until no hook runs or waits. OK, or
// DEADLINE_EXCEEDED.
fed_status node_hooks_wait_idle(node_hooks *h, int64_t timeout_ms);

#endif // NODE_HOOKS_H
