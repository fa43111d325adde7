// SPDX-License-Identifier: MIT
//
// peers_durable.h: the many-collectors durable case of bench_peers_mqtt:
// n collectors at once, each with its own connection and thread, each
// sending a message of `batch` points of its own meter and waiting for the
// acknowledgement before the next, for a bounded time. enfed: Ingest calls
// to a fed-node with --sync=full, acknowledged after the commit (alone or
// grouped) is on disk. mosquitto: QoS 1 publishes to a broker with
// persistence on, acknowledged by PUBACK, a subscriber with a persistent
// session (clean session off) receiving at QoS 1.
//
// Ownership: arguments are borrowed. The functions block for the run and
// exit the program on a setup failure.

#ifndef PEERS_DURABLE_H
#define PEERS_DURABLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct peers_durable_fig {
	double calls_s; // acknowledged messages per second
	double points_s;
	double p50_us, p99_us; // one message, sent to acknowledged
	uint64_t n_calls;
	uint64_t n_failed; // calls that failed (enfed) or timed out (MQTT)
} peers_durable_fig;

// n collectors for run_ms against a fed-node started from bin in dir
// (created) with the flags extra (NULL-terminated; the node's ports, token
// and data folder are added), once with each batch size of batches[0..n_b)
// into out[0..n_b) (each batch size continues the meters' time
// sequence, so nothing is a duplicate).
void peers_durable_fed(const char *bin, const char *dir,
    const char *const *extra, int n, const size_t *batches, size_t n_b,
    int run_ms, peers_durable_fig *out);

// The same against a mosquitto broker (the program at path `mosquitto`)
// started here with persistence in dir, and stopped after.
void peers_durable_mqtt(const char *mosquitto, const char *dir, int n,
    const size_t *batches, size_t n_b, int run_ms, peers_durable_fig *out);

// The store's own rate for the same kind of calls, in-process (no RPC):
// n threads, each appending `batch` points a call to its own series of a
// store in dir (synchronous=FULL, commit_wait_ms as given), for run_ms.
// *mean_group gets the calls per commit. Returns points/s.
double peers_durable_store(const char *dir, int n, size_t batch,
    unsigned commit_wait_ms, int run_ms, double *mean_group);

#endif // PEERS_DURABLE_H
