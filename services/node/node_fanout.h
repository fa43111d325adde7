// SPDX-License-Identifier: MIT
//
// node_fanout.h: where fed-node's newly stored points go, once per commit.
//
// The store calls node_fanout_on_commit after each commit that stored
// points (node_store_set_on_commit), with every series' new points and its
// visibility, in commit order. The fan-out publishes them on the stream,
// those of public series on the public stream, offers them to the alarm
// engine, and wakes the replicator once for the commit. It replaces what
// the Ingest handler did after each call (a copy of the points kept for
// the public stream, a visibility lookup per series once the writer lock
// was released, a separate wake-up of the replicator).
//
// Threads: runs on the thread that committed, under the store's writer
// lock: it never blocks (PUB drops rather than waits, the alarm engine
// only queues, the replicator's wake-up takes its mutex for a signal) and
// never calls the store. Ownership: every member is borrowed and must
// outlive the hook (node_store_set_on_commit(st, NULL, NULL) first).

#ifndef NODE_FANOUT_H
#define NODE_FANOUT_H

#include "fed/stream.h"
#include "node_alarms.h"
#include "store.h"

typedef struct node_fanout {
	fed_stream_pub *pub; // every series; may be NULL
	fed_stream_pub *public_pub; // public series only; may be NULL
	node_alarms *alarms; // may be NULL
	void (*wake)(void *arg); // the replicator; may be NULL
	void *wake_arg;
} node_fanout;

// A node_store_commit_fn, arg the node_fanout. A failed publish is logged
// (subscribers back-fill what they miss).
void node_fanout_on_commit(const node_store_fresh *fresh, size_t n, void *arg);

#endif // NODE_FANOUT_H
