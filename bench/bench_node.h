// SPDX-License-Identifier: MIT
//
// bench_node.h: figures of a running fed-node process, for bench_store:
// ingest through the Ingest RPC, and the resident memory of an idle node.

#ifndef BENCH_NODE_H
#define BENCH_NODE_H

#include <stddef.h>
#include <stdint.h>

// n consecutive 5-minute slots of series `seed` from start_ms, Wh.
typedef void (*bench_fill_fn)(
    uint64_t seed, int64_t start_ms, size_t n, double *out);

// Starts `node_bin` on a fresh data folder under dir (synchronous=FULL),
// creates n_series series over RPC and ingests per_series points of each,
// from t0_ms every 5 minutes, in Ingest calls of 100 series x 1,000 points.
// Returns points/s over the Ingest calls; exits the program on failure.
double bench_node_ingest(const char *node_bin, const char *dir,
    size_t n_series, size_t per_series, int64_t t0_ms, bench_fill_fn fill);

// Starts `node_bin` on data_dir (which holds series.db), runs one query
// of a year of series_id to days, waits for the node to settle and
// returns its VmRSS in MB; exits the program on failure.
double bench_node_rss_mb(const char *node_bin, const char *data_dir,
    const char *series_id, int64_t t0_ms);

#endif // BENCH_NODE_H
