// SPDX-License-Identifier: MIT
//
// edge_test.h: what the edge collectors' tests share: a real fed-node in a
// temporary folder (started, killed, restarted on the same data), reading
// back a series' raw points, running a collector program with a bounded
// wait, and reading the counters of its last "summary:" log line.

#ifndef EDGE_TEST_H
#define EDGE_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "fed/rpc.h"
#include "fed/status.h"

#define EDGE_TEST_ADMIN "edge-test-admin-token"

typedef struct edge_node {
	int pid;
	char *dir; // temporary folder: the node's data and logs
	char rpc[160];
	char stream[160];
	fed_rpc_client *client; // admin client of the node
} edge_node;

// Starts a node (binary FED_NODE_BIN) in a new temporary folder. 0 on
// success.
int edge_node_start(edge_node *n, const char *tag);

// As edge_node_start, with a tokens file holding tokens_text (its lines,
// as fed-node reads them) and more options (extra: NULL-terminated, at
// most 8). edge_node_restart starts such a node without them.
int edge_node_start_with(edge_node *n, const char *tag,
    const char *tokens_text, const char *const *extra);

// Starts the node again on the same folder and addresses (after a kill).
// 0 on success.
int edge_node_restart(edge_node *n);

// Sends sig and waits for the node's exit (SIGKILL after 10 s).
void edge_node_kill(edge_node *n, int sig);

// Stops the node if running, frees the client, removes the folder.
void edge_node_stop(edge_node *n);

// The raw points of series id over all time, as heap arrays (the caller
// frees them; NULL when n is 0). The Query's status.
fed_status edge_query_raw(
    fed_rpc_client *c, const char *id, int64_t **ts, double **v, size_t *n);

// Polls the series until it holds at least `want` points or timeout_ms
// passes; the number it holds then (0 when the series does not exist).
size_t edge_wait_points(
    fed_rpc_client *c, const char *id, size_t want, int timeout_ms);

// Runs argv (argv[0] a path), output appended to log_path, and waits for
// its exit up to timeout_ms (then SIGKILL). Its exit status (128+signal
// when killed), -1 if it could not start.
int edge_run(char *const argv[], const char *log_path, int timeout_ms);

// The value of `key=` in the last line of log_path holding "summary:".
// 0 when found.
int edge_log_counter(const char *log_path, const char *key, uint64_t *out);

// Prints the file to stderr (for a failing test's diagnosis).
void edge_dump_file(const char *path);

// Starts argv in the background as fed_test_proc_start does, and records
// its pid so that edge_test_teardown kills it if the test failed before
// stopping it. Returns the pid, or -1.
int edge_proc_start(char *const argv[], const char *log_path);

// Stops a process started by edge_proc_start (fed_test_proc_stop) and
// forgets it. Its exit status.
int edge_proc_stop(int pid, int sig, int timeout_ms);

// A cmocka teardown: kills (SIGKILL) the processes and nodes a failed
// test left running and removes their folders. Always 0.
int edge_test_teardown(void **state);

#endif // EDGE_TEST_H
