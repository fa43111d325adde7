// SPDX-License-Identifier: MIT
//
// edge_metrics.h: an edge collector's figures for /metrics, read at scrape
// time from the sender's counters (edge_sender_get_stats): nothing is
// counted twice. Spool depth (records, bytes, by spool), age of the oldest
// point waiting, points sent by result, send failures, records parked,
// lost and raw samples thinned. No label carries a series id.

#ifndef EDGE_METRICS_H
#define EDGE_METRICS_H

#include "edge_sender.h"
#include "fed/status.h"

typedef struct edge_metrics edge_metrics;

// Registers the collectors of s (borrowed: it must outlive the
// edge_metrics) in the default registry. OK or RESOURCE_EXHAUSTED
// (logged); *out freed with edge_metrics_free.
fed_status edge_metrics_new(edge_sender *s, edge_metrics **out);

// Removes the collectors (waits for a scrape in progress) and frees m:
// before the sender is freed. NULL does nothing.
void edge_metrics_free(edge_metrics *m);

#endif // EDGE_METRICS_H
