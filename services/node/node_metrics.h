// SPDX-License-Identifier: MIT
//
// node_metrics.h: fed-node's own figures for /metrics, read at scrape time
// from where they already are (the store's outbox and alarms tables, the
// alarm engine's counters, the database files), so that nothing is counted
// twice: store size, replication outbox depth and lag per grant, alarms.
// Counted on the way instead: points ingested (node_rpc.c), stream frames
// (lib/stream.c), RPC calls (lib/rpc.c).
//
// Labels: a grant's id only (an opaque identifier, not its token, its
// series nor its grantee: docs/security.md, Metrics).

#ifndef NODE_METRICS_H
#define NODE_METRICS_H

#include "fed/status.h"
#include "node_alarms.h"
#include "store.h"

typedef struct node_metrics node_metrics;

typedef struct node_metrics_parts {
	node_store *store; // borrowed, outlives the node_metrics
	node_alarms *alarms; // borrowed, may be NULL
	const char *data_dir; // copied
} node_metrics_parts;

// Registers the collectors in the default registry. OK or
// RESOURCE_EXHAUSTED (logged); *out freed with node_metrics_free.
fed_status node_metrics_new(const node_metrics_parts *p, node_metrics **out);

// Removes the collectors (waits for a scrape in progress), then frees m:
// call it before freeing the store or the alarms. NULL does nothing.
void node_metrics_free(node_metrics *m);

// Counts the points of one Ingest call by what became of them
// (enfed_points_ingested_total{result="stored|duplicate|replaced"}).
// Lock-free, any thread.
void node_metrics_count_ingest(const node_store_counts *counts);

// The per-grant series shown at most; the rest are summed under
// grant="_other".
#define NODE_METRICS_MAX_GRANTS 100

#endif // NODE_METRICS_H
