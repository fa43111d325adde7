// SPDX-License-Identifier: MIT
//
// edge_thin.h: the full-spool rule of the edge collectors for raw samples
// (docs/spool.md, "When the spool is full"). edge_sender keeps raw samples
// (non-cumulative series: apparent power, inverter reports) in a spool of
// their own; when it is full, edge_thin_oldest() takes its oldest records,
// about half of its pending bytes, keeps every other point of each series
// among them (the 1st, 3rd, 5th, ... in time order of the records), and
// appends what it kept back at the end of the spool. Index readings are
// never thinned: the series the caller's `keep` function names (the
// cumulative ones) are kept whole, which matters when the sender spills
// index readings into that spool because the main one is full.
//
// Threads: the caller holds whatever serialises the spool's readers (the
// sender's samples mutex); the function peeks and acknowledges.

#ifndef EDGE_THIN_H
#define EDGE_THIN_H

#include <stdbool.h>
#include <stdint.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/spool.h"

typedef struct edge_thin_result {
	uint64_t n_records; // records taken from the head
	uint64_t n_kept; // points appended back
	uint64_t n_dropped; // points thinned away (and lost, if the append
	                    // back failed: logged)
} edge_thin_result;

// True for a series whose points must all be kept (an index reading).
// Called on the thinning thread with the caller's arg.
typedef bool (*edge_thin_keep_fn)(void *arg, const char *series_id);

// Thins the oldest records of sp as described above (component names the
// logs; keep, when not NULL, names the series never thinned). Records that do
// not unpack as an IngestRequest are kept as they are. Never fails: what it
// could not do is logged and shows in *r (the points of a record it could not
// append back count as dropped). A crash during the call may lose the points
// being thinned (acknowledged, not yet appended back), never other records.
void edge_thin_oldest(fed_spool *sp, const char *component,
    edge_thin_keep_fn keep, void *keep_arg, edge_thin_result *r);

#endif // EDGE_THIN_H
