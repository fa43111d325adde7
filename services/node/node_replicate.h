// SPDX-License-Identifier: MIT
//
// node_replicate.h: pushes granted series to the grantees' nodes.
//
// A thread drains the store's replication outbox (store.h): for each
// grant with rows waiting, it declares the series on the grantee's node
// (CreateSeries, with this node as origin and the series' description
// box), sends the points with Ingest (idempotent there), and removes the
// rows from the outbox only once the grantee acknowledged them. A
// grantee that cannot be reached is retried with a growing delay (up to
// 30 s) while the others go on; a call left unanswered for timeout_ms (a
// half-open connection, a stalled link) is retried on a new connection; a
// restart of either node resumes from the outbox, so nothing is lost or stored
// twice.
//
// Peers: a file of `name rpc-address token` lines (the token, or @FILE);
// the grantee's node names itself with `name`, and holds the token's hash
// with the role `replica` in its tokens file. The token is sent to that
// line's address only: a grant naming another address (grantee_rpc_addr,
// set by the admin) is pushed there through a client of its own, per
// (peer, address), that carries no token.

#ifndef NODE_REPLICATE_H
#define NODE_REPLICATE_H

#include <stdint.h>

#include "fed/transport.h"
#include "node_grants.h"
#include "store.h"

typedef struct node_replicator node_replicator;

typedef struct node_replicator_opts {
	node_store *store; // borrowed
	node_grants *grants; // borrowed
	const char *node_name; // this node: the replicated series' origin
	const char *peers_file; // NULL or "": no peers (nothing replicates)
	const fed_tls_opts *tls; // for tls+tcp:// peers
	int64_t poll_ms; // outbox polling period when idle
	int64_t timeout_ms; // per call to a grantee; 0: 30 s
} node_replicator_opts;

// Reads the peers file and starts the thread. INVALID_ARGUMENT (logged
// with file:line) for a malformed peers file.
fed_status node_replicator_new(
    const node_replicator_opts *opts, node_replicator **out);

// Reads the peers file again (SIGHUP) into *n peers and hands them to the
// thread, which takes them in before its next round: a peer unchanged
// (name, address, token) keeps its connection, a removed one gets no more
// rows. INVALID_ARGUMENT (logged with file:line) for a malformed file: the
// peers in force stay. OK with *n = 0 without a peers file. Main thread.
fed_status node_replicator_reload_peers(node_replicator *r, size_t *n);

// Wakes the thread now rather than at its next poll (after an ingest that
// may have filled the outbox). Any thread; cheap.
void node_replicator_kick(node_replicator *r);

// Stops the thread (after the call in progress) and frees. NULL: nothing.
void node_replicator_free(node_replicator *r);

#endif // NODE_REPLICATE_H
