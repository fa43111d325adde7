// SPDX-License-Identifier: MIT
//
// node_rpc.h: the enfed.v1.SeriesStore service of fed-node: request
// validation and the store (the newly stored points reach the live
// streams through the store's commit hook, node_fanout.h).
//
// A Query costs memory in proportion to its cells, series x buckets (the
// number of buckets of its step over its range, counted before the query
// runs) or the raw points it returns: above max_query_cells it is refused
// RESOURCE_EXHAUSTED naming the limit, an id given twice is
// INVALID_ARGUMENT (series_ids), and after a large answer the memory
// freed is handed back to the system (malloc_trim).

#ifndef NODE_RPC_H
#define NODE_RPC_H

#include <stddef.h>

#include "fed/rpc.h"
#include "fed/stream.h"
#include "node_alarms.h"
#include "store.h"

#define NODE_RPC_MAX_QUERY_CELLS 500000

// What the handlers share; borrowed, and alive as long as the server.
typedef struct node_rpc {
	node_store *store;
	size_t max_batch_points; // Ingest: more points in one call is
	                         // INVALID_ARGUMENT
	size_t max_query_series; // Query/Latest: more ids is INVALID_ARGUMENT
	size_t max_query_cells; // Query: ids x buckets (or raw points) above
	                        // this is RESOURCE_EXHAUSTED; 0: the default,
	                        // NODE_RPC_MAX_QUERY_CELLS
} node_rpc;

// Registers SeriesStore on srv with `n` as the handlers' state.
fed_status node_rpc_register(fed_rpc_server *srv, node_rpc *n);

#endif // NODE_RPC_H
