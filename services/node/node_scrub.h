// SPDX-License-Identifier: MIT
//
// node_scrub.h: fed-node's checks of its stored data. A thread runs the
// store's scrub (node_store_scrub: every block's checksum, decoding and
// row) every interval and logs what it found; the Integrity service runs
// one on demand (`fedctl node check`); Health shows the last that
// finished. One scrub runs at a time: an on-demand check waits for a
// periodic one in progress, then runs its own.

#ifndef NODE_SCRUB_H
#define NODE_SCRUB_H

#include <stdint.h>

#include "enfed/v1/health.pb-c.h"
#include "fed/rpc.h"
#include "fed/status.h"
#include "store.h"

typedef struct node_scrub node_scrub;

typedef struct node_scrub_opts {
	node_store *store; // borrowed; must outlive the scrubber
	int64_t interval_ms; // between periodic scrubs; 0: none
	unsigned pause_ms; // sleep between batches of blocks
} node_scrub_opts;

// Creates a scrubber and, when opts->interval_ms > 0, starts its thread,
// whose first scrub is one interval after start. *out is owned by the
// caller (node_scrub_free). RESOURCE_EXHAUSTED when memory or a thread is
// short.
fed_status node_scrub_new(const node_scrub_opts *opts, node_scrub **out);

// Asks every scrub, in progress or to come, to end (CANCELLED) at its next
// batch, so that stopping the node does not wait for a whole walk; the
// periodic thread wakes and ends. Any thread; NULL does nothing.
void node_scrub_stop(node_scrub *s);

// Stops (node_scrub_stop) and joins the thread, and frees the scrubber.
// NULL does nothing. No call may be running on it.
void node_scrub_free(node_scrub *s);

// Runs one scrub now on the caller's thread (blocking for the whole walk,
// after any scrub in progress), logs it and keeps it as the last; *out
// gets its report. As node_store_scrub: OK whatever it found (read
// out->n_bad), CANCELLED when the scrubber is being freed, UNAVAILABLE or
// INTERNAL with a message in err.
fed_status node_scrub_run(
    node_scrub *s, node_store_scrub_report *out, node_store_err *err);

// The last scrub that finished into *out: 1, or 0 when none has. Any
// thread.
int node_scrub_last(node_scrub *s, node_store_scrub_report *out);

// Registers enfed.v1.Integrity on srv (Check runs node_scrub_run); s is
// borrowed and must outlive srv. As fed_rpc_server_add_service.
fed_status node_scrub_register(fed_rpc_server *srv, node_scrub *s);

// A fed_health_fill_fn (arg: the node_scrub): sets rep->last_check from
// the last scrub, in call memory: its time and counts, never the bad
// blocks' series (Health answers callers without a token). OK, or
// RESOURCE_EXHAUSTED.
fed_status node_scrub_health(
    fed_rpc_ctx *call, Enfed__V1__HealthCheckResponse *rep, void *arg);

#endif // NODE_SCRUB_H
