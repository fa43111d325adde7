// SPDX-License-Identifier: MIT
//
// edge_merge.h: several spooled records as one Ingest request, for
// edge_flight.c: each series once, its points in the records' order, so
// that one call (one transaction on the node) carries a series' records
// in order. The records are borrowed; the request's series ids point into
// them.

#ifndef EDGE_MERGE_H
#define EDGE_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "edge_sender_internal.h"

// Whether r may be merged with others: an unpacked request whose every
// series has as many values as timestamps, not `replace`, not marked
// alone.
bool edge_merge_ok(const edge_rec *r);

// Fills m (initialised, empty) with the points of recs[0..n) (each
// edge_merge_ok), series in order of first appearance. OK, or
// RESOURCE_EXHAUSTED when memory is short (m then emptied). m is freed
// with edge_merge_free, before the records.
fed_status edge_merge(
    edge_rec *const *recs, size_t n, Enfed__V1__IngestRequest *m);

// Frees what edge_merge allocated in m (not the ids).
void edge_merge_free(Enfed__V1__IngestRequest *m);

#endif // EDGE_MERGE_H
