// SPDX-License-Identifier: MIT
//
// invest_nodes.h: the fed-nodes fed-invest reads series from, by name, and
// the two questions it asks them: the energy of a series over a range
// (with the part of the range covered by data), and the buckets of a
// series over a range (SeriesStore/Query), plus the time of its last point
// (SeriesStore/Latest).
//
// A node that cannot be reached gives UNAVAILABLE with a message naming
// the node and its address: fed-invest keeps no copy of the numbers, so a
// figure is either computed from the node now or not given at all. A
// series the node does not know, or refuses to show, is
// FAILED_PRECONDITION (the project or link points at something the node
// does not serve to fed-invest).

#ifndef INVEST_NODES_H
#define INVEST_NODES_H

#include <stddef.h>
#include <stdint.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/status.h"

typedef struct invest_nodes invest_nodes;

// Clients for a comma-separated list of `name=url` (a bare url is named
// "node"), all calling with `token` (copied; may be NULL) and a per-call
// timeout. INVALID_ARGUMENT (err says which entry) for an empty list, a
// bad entry or a duplicate name. The first entry is the default node.
// *out is owned by the caller (invest_nodes_free). Does not block.
fed_status invest_nodes_new(const char *list, const char *token,
    uint32_t timeout_ms, invest_nodes **out, char *err, size_t err_len);

// Closes the clients. NULL does nothing.
void invest_nodes_free(invest_nodes *n);

// OK when `name` is a configured node ("" = the default);
// INVALID_ARGUMENT naming the known nodes otherwise.
fed_status invest_nodes_check(
    const invest_nodes *n, const char *name, char *err, size_t err_len);

// Energy (SUM, Wh) of series on node over [from_ms, to_ms), and the part
// of the range covered by data (invest_calc_sum). An empty range costs no
// call. Blocks on the node; any thread.
fed_status invest_nodes_sum(invest_nodes *n, const char *node,
    const char *series, int64_t from_ms, int64_t to_ms, const char *tz,
    double *wh, double *coverage, char *err, size_t err_len);

// SeriesStore/Query of one series with SUM, step and tz: *out is the
// node's reply, owned by the caller
// (enfed__v1__query_response__free_unpacked).
fed_status invest_nodes_query(invest_nodes *n, const char *node,
    const char *series, int64_t from_ms, int64_t to_ms, Enfed__V1__Step step,
    const char *tz, Enfed__V1__QueryResponse **out, char *err, size_t err_len);

// The timestamp of the series' last point (0 when it has none).
fed_status invest_nodes_last_ms(invest_nodes *n, const char *node,
    const char *series, int64_t *last_ms, char *err, size_t err_len);

#endif // INVEST_NODES_H
