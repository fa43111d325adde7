// SPDX-License-Identifier: MIT
//
// edge_fake_node.h: an in-process SeriesStore for test_edge_sender that
// watches how the sender's calls overlap. Its Ingest holds each call for
// hold_ms and checks, per series, that no other call holding that series
// is running and that the call's points come after every point taken
// before (the order in which a real node would commit them); it counts
// what breaks either rule, the most calls it saw at once and the points it
// took. CreateSeries answers OK. Handlers run on the server's workers.

#ifndef EDGE_FAKE_NODE_H
#define EDGE_FAKE_NODE_H

#include <stddef.h>
#include <stdint.h>

#define EDGE_FAKE_MAX_SERIES 16

typedef struct edge_fake_node edge_fake_node;

typedef struct edge_fake_stats {
	uint64_t n_calls; // Ingest calls
	uint64_t n_overlaps; // a series held by two calls at once
	uint64_t n_out_of_order; // a point at or before one taken earlier
	uint64_t max_at_once; // Ingest calls running at once, at most
	uint64_t n_points[EDGE_FAKE_MAX_SERIES]; // taken, by series index
} edge_fake_stats;

// Starts one listening on a new ipc:// address, written to url (len
// bytes). Series are "f/<index>" with index < EDGE_FAKE_MAX_SERIES.
// NULL on failure.
edge_fake_node *edge_fake_node_start(char *url, size_t len, int hold_ms);

void edge_fake_node_stats(edge_fake_node *f, edge_fake_stats *st);

// Stops the server and frees f. NULL does nothing.
void edge_fake_node_stop(edge_fake_node *f);

#endif // EDGE_FAKE_NODE_H
