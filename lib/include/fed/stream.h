// SPDX-License-Identifier: MIT
//
// fed/stream.h: live point streams over nng PUB/SUB.
//
// A stream message is a topic, the series id followed by one space
// ("kermelo/pv/energy "), then an encoded enfed.v1.StreamFrame holding the
// series id, a per-series sequence number, the publisher's epoch and a
// batch of points. nng's prefix filter selects one series or a subtree.
// PUB drops messages for subscribers that do not keep up; the subscriber
// therefore checks every series' sequence and reports gaps to its caller,
// which fetches the missing points by a Query (see fed-node), so that a
// subscription loses nothing.
//
// Other topics (alarms, membership events) start with '!', a character no
// series id may contain, so they never match a series subscription.

#ifndef FED_STREAM_H
#define FED_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "fed/status.h"
#include "fed/transport.h"

typedef struct fed_stream_pub fed_stream_pub;
typedef struct fed_stream_sub fed_stream_sub;

// --- Publisher ----------------------------------------------------------

// Frames queued for each subscriber before PUB drops for it (a burst: an
// ingest of 1,000 series publishes 1,000 frames at once).
#define FED_STREAM_PUB_QUEUE 4096

// Subscribers' connections a publisher holds at once, and from one
// address: a connection beyond either is closed as it arrives, and logged
// (at most once per 10 s). The total is lowered to an eighth of the
// descriptor limit when that is under 4 times the total (128 under 1,024).
// A fed-relay or a test bench may well hold a thousand from one address.
#define FED_STREAM_PUB_MAX_SUBS     4096
#define FED_STREAM_PUB_MAX_PER_PEER 1024

// Creates a publisher with a fresh epoch and every sequence at 0.
// UNAVAILABLE if the socket cannot be opened.
fed_status fed_stream_pub_new(fed_stream_pub **out);

// The subscribers' connections held now. Any thread.
size_t fed_stream_pub_n_subscribers(fed_stream_pub *pub);

// Listens on url (several addresses allowed). As fed_rpc_server_listen.
fed_status fed_stream_pub_listen(
    fed_stream_pub *pub, const char *url, const fed_tls_opts *tls);

// As fed_rpc_server_listen_list: every address of a comma-separated list.
fed_status fed_stream_pub_listen_list(
    fed_stream_pub *pub, const char *list, const fed_tls_opts *tls);

// The publisher's epoch: a random value chosen at creation.
uint64_t fed_stream_pub_epoch(const fed_stream_pub *pub);

// Largest number of points in one frame: a call with more is sent as
// several frames, so that what waits in queues for a slow subscriber
// stays bounded (each subscriber pipe queues up to 4,096 frames).
#define FED_STREAM_FRAME_POINTS 1000

// Publishes n points (ts_ms[i], value[i]) of series_id as one frame (or
// several, of FED_STREAM_FRAME_POINTS points at most, in order) with the
// series' next sequence numbers; the last is written to *seq when seq is
// not NULL. Frames of one series are sent in sequence order even when
// several threads publish, and the frames of one call together. Never
// blocks on slow subscribers (PUB drops for them). INVALID_ARGUMENT for
// an empty id or n == 0; RESOURCE_EXHAUSTED when memory is short.
fed_status fed_stream_publish(fed_stream_pub *pub, const char *series_id,
    const int64_t *ts_ms, const double *value, size_t n, uint64_t *seq);

// Publishes an arbitrary message under topic (which must start with '!'
// and should end with a space: "!alarm "). INVALID_ARGUMENT otherwise.
fed_status fed_stream_publish_msg(
    fed_stream_pub *pub, const char *topic, const ProtobufCMessage *msg);

// Closes the socket and frees the publisher. NULL does nothing.
void fed_stream_pub_free(fed_stream_pub *pub);

// --- Subscriber ---------------------------------------------------------

typedef enum fed_stream_event_kind {
	FED_STREAM_POINTS, // a frame of points, in sequence
	FED_STREAM_GAP, // frames missed_from..missed_to were lost; the
	                // points event of the frame that revealed it follows
	FED_STREAM_RESET, // the publisher restarted (new epoch): frames since
	                  // last_ts_ms may be lost; points follow
	FED_STREAM_MSG, // a '!' topic message (msg, msg_len: its body)
} fed_stream_event_kind;

// One event, borrowed for the duration of the callback.
typedef struct fed_stream_event {
	fed_stream_event_kind kind;
	const char *series_id; // POINTS, GAP, RESET
	uint64_t seq; // POINTS: the frame's sequence number
	uint64_t epoch; // the publisher's epoch
	const int64_t *ts_ms; // POINTS
	const double *value; // POINTS
	size_t n; // POINTS: number of points
	uint64_t missed_from; // GAP: first sequence number missed
	uint64_t missed_to; // GAP: last sequence number missed
	int64_t last_ts_ms; // GAP, RESET: newest timestamp seen before
	                    // the loss (0 if none), to back-fill from
	const char *topic; // MSG: the topic, without its trailing space
	const uint8_t *msg; // MSG: the encoded message
	size_t msg_len;
} fed_stream_event;

typedef void (*fed_stream_cb)(const fed_stream_event *ev, void *arg);

typedef struct fed_stream_sub_opts {
	const char *url; // the publisher's address (borrowed)
	const fed_tls_opts
	    *tls; // for tls+tcp:// (borrowed until _new returns)
	size_t max_msg; // largest message accepted (default 4 MiB)
	int recv_buffer; // messages queued before drops (default 1024)
} fed_stream_sub_opts;

// Creates a subscriber dialling url in the background (and redialling);
// subscribed to nothing yet. INVALID_ARGUMENT for a bad URL or TLS.
fed_status fed_stream_sub_new(
    const fed_stream_sub_opts *opts, fed_stream_sub **out);

// Subscribes to a series ("kermelo/pv/energy": that series only), a
// subtree (a prefix ending in '/': "kermelo/"), everything (""), or a
// '!' topic ("!alarm"). INVALID_ARGUMENT for a malformed pattern.
fed_status fed_stream_sub_subscribe(fed_stream_sub *sub, const char *pattern);

// Undoes a subscription made with the same pattern. NOT_FOUND if none.
fed_status fed_stream_sub_unsubscribe(
    fed_stream_sub *sub, const char *pattern);

// Waits up to timeout_ms for one message and calls cb for each event it
// produces (GAP or RESET first, then POINTS; duplicates and frames older
// than the last one seen are dropped silently). Returns OK after a
// message, DEADLINE_EXCEEDED when none came in time, UNAVAILABLE once the
// subscriber is closed, INVALID_ARGUMENT for a malformed message (counted
// and skipped; the caller just calls again). Called from one thread.
fed_status fed_stream_sub_recv(
    fed_stream_sub *sub, int timeout_ms, fed_stream_cb cb, void *arg);

// Frees the subscriber. NULL does nothing.
void fed_stream_sub_free(fed_stream_sub *sub);

// --- Relay --------------------------------------------------------------

// A relay follows one publisher and publishes what it receives again, byte
// for byte (same topics, sequence numbers and epoch), to its own
// subscribers. It runs in a process of its own (fed-relay) in front of a
// node with many subscribers: nng's PUB sends every frame to every
// subscriber, and in the node's process those sends queue the node's RPC
// replies behind them in nng's task queue (docs/benchmarks.md, the load
// test). A subscriber of a relay detects gaps and back-fills from the
// node exactly as it would from the node itself.
typedef struct fed_stream_relay fed_stream_relay;

typedef struct fed_stream_relay_opts {
	const char *upstream; // the publisher followed (borrowed)
	const char *listen; // comma-separated addresses to publish on
	const fed_tls_opts *tls; // for tls+tcp:// on either side (borrowed
	                         // until _new returns)
	const char *const *patterns; // what to carry, as
	                             // fed_stream_sub_subscribe's patterns;
	size_t n_patterns; // none: everything
} fed_stream_relay_opts;

// What a relay has done so far.
typedef struct fed_stream_relay_stats {
	uint64_t forwarded; // messages published again
	uint64_t failed; // messages lost here (no memory to receive or
	                 // publish them): subscribers back-fill them
} fed_stream_relay_stats;

// Dials the upstream in the background (and redials whenever it goes),
// listens on every address, and forwards on a thread of its own until
// freed. INVALID_ARGUMENT for a bad address, TLS or pattern; UNAVAILABLE
// (or as fed_rpc_server_listen) when an address cannot be listened on.
fed_status fed_stream_relay_new(
    const fed_stream_relay_opts *opts, fed_stream_relay **out);

// Reads the relay's counters (safe from any thread).
void fed_stream_relay_get_stats(
    const fed_stream_relay *r, fed_stream_relay_stats *out);

// Stops forwarding, closes both sockets and frees the relay. NULL does
// nothing.
void fed_stream_relay_free(fed_stream_relay *r);

#endif // FED_STREAM_H
