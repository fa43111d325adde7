// SPDX-License-Identifier: MIT
//
// peers_durable_internal.h: what peers_durable.c (the enfed side and the
// figures) and peers_durable_mqtt.c (mosquitto's side) share.
//
// Ownership: a peers_coll's latency array is its own, freed by whoever
// frees the collector.

#ifndef PEERS_DURABLE_INTERNAL_H
#define PEERS_DURABLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "peers_durable.h"

#define PEERS_DURABLE_MAX_BATCH   12
#define PEERS_DURABLE_SERIES      "bench/d/%04d"
#define PEERS_DURABLE_ACK_WAIT_MS 10000

// One collector's figures for the round running; used by one thread at a
// time (the one its connection's events run on).
typedef struct peers_coll {
	int index; // its meter
	uint64_t next; // the next point of its meter
	int64_t *lat; // this round's latencies, ns
	size_t n_lat, cap;
	int64_t last_ns; // this round's last acknowledgement
	uint64_t n_failed;
} peers_coll;

// Adds one acknowledged message's latency (ns) to c; stamps last_ns.
void peers_durable_record(peers_coll *c, int64_t ns);

// The next `batch` points of c's meter into ts[], v[].
void peers_durable_points(
    const peers_coll *c, size_t batch, int64_t *ts, double *v);

// The figures of a round of n collectors that started at t0 (monotonic
// ns) into *f; resets each collector's counts for the next round.
void peers_durable_figs(
    peers_coll *cs, int n, size_t batch, int64_t t0, peers_durable_fig *f);

// Raises this process' soft limit of descriptors to the hard one.
void peers_durable_raise_fd_limit(void);

#endif // PEERS_DURABLE_INTERNAL_H
