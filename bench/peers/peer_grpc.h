// SPDX-License-Identifier: MIT
//
// peer_grpc.h: the gRPC C++ peer of bench/peers, behind a C interface so
// that the benchmark drivers (C11) measure enfed and gRPC with the same
// loops. The implementation (peer_grpc_client.cc) uses the C++ code that
// protoc --grpc_out generates from proto/enfed/v1/series.proto and from
// peer_stream.proto. Nothing here is used outside bench/peers.
//
// Ownership: every pointer argument is borrowed for the call; handles are
// owned by the caller and released by the matching _free (NULL: nothing).

#ifndef PEER_GRPC_H
#define PEER_GRPC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct peer_grpc_client peer_grpc_client;
typedef struct peer_grpc_pub peer_grpc_pub;
typedef struct peer_grpc_sub peer_grpc_sub;

// A Query as the benchmarks send it: one series, a range, a step (the
// values of enfed.v1.Step), the server's default zone.
typedef struct peer_query {
	const char *series_id;
	int64_t from_ms, to_ms;
	int step;
} peer_query;

// Points of several series for one Ingest call (column-wise, as
// SeriesPoints): ts_ms[i] and value[i] hold n points of ids[i].
typedef struct peer_ingest {
	size_t n_series, n;
	const char *const *ids;
	const int64_t *const *ts_ms;
	const double *const *value;
} peer_ingest;

// Opens a channel to target ("127.0.0.1:PORT") and waits up to wait_ms for
// it to connect. Returns NULL when it does not.
peer_grpc_client *peer_grpc_client_new(const char *target, int wait_ms);
void peer_grpc_client_free(peer_grpc_client *c);

// One Query call. Returns 0 and the number of values of the first result
// in *n_values, or the gRPC status code (non-zero). Blocks; thread-safe.
int peer_grpc_query(
    peer_grpc_client *c, const peer_query *q, size_t *n_values);

// One Ingest call. Returns 0 and the points newly stored in *n_stored, or
// the gRPC status code. Blocks; thread-safe.
int peer_grpc_ingest(
    peer_grpc_client *c, const peer_ingest *in, uint64_t *n_stored);

// A LiveStream server on 127.0.0.1:port with one publisher queue. Frames
// wait in a bounded queue (capacity frames) for the subscriber's stream:
// when it is full, publish blocks (gRPC's flow control; nothing dropped).
// NULL when the port cannot be bound.
peer_grpc_pub *peer_grpc_pub_new(int port, size_t capacity);

// Queues one frame (the series' next sequence number) of n points.
// Returns 0, or -1 once the publisher is closing. Blocks when full, up to
// timeout_ms (then -1).
int peer_grpc_publish(peer_grpc_pub *p, const char *series_id,
    const int64_t *ts_ms, const double *value, size_t n, int timeout_ms);

// Ends the streams (after the queued frames are written, up to 2 s) and
// stops the server.
void peer_grpc_pub_free(peer_grpc_pub *p);

// Called on the subscriber's reader thread for each frame received.
typedef void (*peer_grpc_frame_cb)(uint64_t seq, const int64_t *ts_ms,
    const double *value, size_t n, void *arg);

// Subscribes to pattern on target; frames go to cb on a reader thread
// until peer_grpc_sub_free. Waits up to wait_ms for the stream to start.
// NULL when it does not.
peer_grpc_sub *peer_grpc_sub_new(const char *target, const char *pattern,
    peer_grpc_frame_cb cb, void *arg, int wait_ms);

// Cancels the stream and joins the reader thread.
void peer_grpc_sub_free(peer_grpc_sub *s);

#ifdef __cplusplus
}
#endif

#endif // PEER_GRPC_H
