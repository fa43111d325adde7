// SPDX-License-Identifier: MIT
//
// peers_common.h: what the bench/peers drivers share: the data (the
// project's simulated house and PV plant), latency and rate loops that
// run the same way for enfed and for a peer, a fed-node process on
// loopback, and the `name value unit` output.
//
// Ownership: arguments are borrowed; a peers_node is the caller's, its
// process and client released by peers_node_stop.

#ifndef PEERS_COMMON_H
#define PEERS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "fed/rpc.h"

#define PEERS_T0      INT64_C(1767225600000) // 2026-01-01T00:00Z
#define PEERS_SLOT_MS INT64_C(300000)
#define PEERS_DAY_MS  INT64_C(86400000)
#define PEERS_TOKEN   "bench-peers-admin-token"

// fed_test_node_start_ex puts the data in DIR/data-node.
#define PEERS_NODE_DATA "data-node"

// n consecutive 5-minute slots from start_ms of series `seed`, integer Wh:
// the simulator's 4-person house for even seeds, its 16.2 kWc school
// plant for odd ones. Exits the program if the simulator fails.
void peers_fill(uint64_t seed, int64_t start_ms, size_t n, double *out);

// One call of a client under test: returns 0 on success.
typedef int (*peers_call_fn)(void *client, const void *arg);

// A client under test: open one per thread, call, close.
typedef struct peers_rpc {
	void *(*open)(const void *cfg); // NULL on failure
	peers_call_fn call;
	void (*close)(void *client);
	const void *cfg;
	const void *arg; // what call gets
} peers_rpc;

// n_calls calls from one client after 200 to warm up: median and p99 in
// microseconds. Returns 0, or -1 if a call failed.
int peers_latency(
    const peers_rpc *r, int n_calls, double *med_us, double *p99_us);

// Calls/s with n_clients threads, each with its own client, calling for
// dur_ms (and at most max_calls each). Returns -1 if any call failed.
double peers_rate(
    const peers_rpc *r, int n_clients, int dur_ms, uint64_t max_calls);

// Sorts ns[0..n) and returns its q-quantile (0..1) in microseconds.
double peers_quantile_us(int64_t *ns, size_t n, double q);

// A fed-node process on tcp loopback ports, with its data in dir/data.
typedef struct peers_node {
	int pid;
	char rpc_url[64], stream_url[64];
	fed_rpc_client *rpc;
} peers_node;

// Starts bin on dir (extra: NULL or a NULL-terminated list of flags) and
// opens an admin client. Exits the program on failure.
void peers_node_start(
    peers_node *n, const char *bin, const char *dir, const char *const *extra);

// Stops the process (SIGTERM, 60 s, then SIGKILL) and frees the client.
void peers_node_stop(peers_node *n);

// One SeriesStore call on the node; the reply is freed. Exits on failure.
void peers_node_call(
    peers_node *n, const char *method, const ProtobufCMessage *req);

// Sleeps us microseconds (nanosleep; usleep is not POSIX 2008).
void peers_sleep_us(int64_t us);

// Prints `name value unit` and flushes.
void peers_print(const char *name, double value, const char *unit);

// Prints a ratio a / b (0 when b is 0) as `name value x`.
void peers_ratio(const char *name, double a, double b);

// Registers a pid stopped (SIGTERM, then SIGKILL) if the program exits
// before peers_forget(pid): on exit() and on SIGINT/SIGTERM.
void peers_track(int pid);
void peers_forget(int pid);

#endif // PEERS_COMMON_H
