// SPDX-License-Identifier: MIT
//
// fed/follow.h: follow a node's series live without losing a point.
//
// A follower subscribes to a node's stream (fed/stream.h) and, when the
// stream reports lost frames (a sequence gap, or a publisher restart),
// fetches the missing points from the same node with a raw Query over the
// time range they must lie in: from just after the newest point it had
// delivered to the newest point of the frame that revealed the loss. It
// then delivers that answer (which includes the revealing frame's points)
// in place of the frame. For a series whose points are ingested in time
// order, the caller thus sees every point exactly once, in order. (A point
// ingested late, older than points already delivered, and lost in a gap,
// is not fetched again: it is in the node, and a Query finds it.)

#ifndef FED_FOLLOW_H
#define FED_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"
#include "fed/transport.h"

typedef struct fed_follow fed_follow;

typedef struct fed_follow_opts {
	const char *stream_url; // the node's stream (PUB) address
	const char *rpc_url; // the node's RPC address, for back-fills
	const char *token; // a token allowed to Query (reader role)
	const fed_tls_opts *tls; // for tls+tcp:// addresses
	int recv_buffer; // stream messages queued (0: default)
	uint32_t timeout_ms; // of a back-fill Query (0: 10 s)
} fed_follow_opts;

// Where delivered points come from.
typedef enum fed_follow_origin {
	FED_FOLLOW_LIVE = 0, // a stream frame
	FED_FOLLOW_GAP = 1, // a Query after frames were lost
	FED_FOLLOW_RESET = 2, // a Query after the node restarted
} fed_follow_origin;

// Points of one series, borrowed for the callback.
typedef void (*fed_follow_cb)(const char *series_id, const int64_t *ts_ms,
    const double *value, size_t n, fed_follow_origin origin, void *arg);

// Creates a follower (connecting in the background). INVALID_ARGUMENT for
// a bad address or TLS settings. *out is owned by the caller.
fed_status fed_follow_new(const fed_follow_opts *opts, fed_follow **out);

// As fed_stream_sub_subscribe: a series, a prefix ending in '/', or "".
fed_status fed_follow_subscribe(fed_follow *f, const char *pattern);

// Waits up to timeout_ms for the next stream message and delivers its
// points (after a back-fill when frames were lost). Returns OK,
// DEADLINE_EXCEEDED when nothing came, or the back-fill's failure
// (UNAVAILABLE, PERMISSION_DENIED, ...): the back-fill is then retried by
// the next call before anything newer is delivered, so nothing is skipped.
// One thread at a time.
fed_status fed_follow_recv(
    fed_follow *f, int timeout_ms, fed_follow_cb cb, void *arg);

// Counters: frames delivered live, back-fills made, points back-filled.
typedef struct fed_follow_stats {
	uint64_t frames;
	uint64_t backfills;
	uint64_t backfilled_points;
} fed_follow_stats;

void fed_follow_get_stats(const fed_follow *f, fed_follow_stats *out);

// Frees the follower. NULL does nothing.
void fed_follow_free(fed_follow *f);

#endif // FED_FOLLOW_H
