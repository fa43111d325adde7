// SPDX-License-Identifier: MIT
//
// mqtt_collect.h: from MQTT messages to the points of fed-edge-mqtt.
//
// Each message: its route (mqtt_map_find; the first matching line), its
// payload decoded (mqtt_decode), then one Ingest request of its readings
// handed to the sender (edge_sender_submit: spooled, fdatasync'ed with
// --spool-sync=each, before this returns). A point carries the payload's
// own time when it has one (and the route does not say time=receive), else
// recv_ms, the time of receipt. Per series, as fed-edge-tic:
//   - a TIC register that has read 0 since the collector started is not
//     declared nor sent until it moves;
//   - with a route's period=, only the first message at or after each
//     multiple of it is kept;
//   - a point no later than the series' last one is not sent (a message
//     the broker delivers again, a clock that went back).
// A retained message without a time of its own is skipped: the broker
// replays it at each subscription, and its time of receipt is not the
// time of its value.
//
// Messages are counted by result (mqtt_result), in the counters below and
// in /metrics (enfed_mqtt_messages_total{result=...}).
//
// Threads: one thread uses a collector (libmosquitto's callbacks run in the
// thread that drives its loop, the main thread).

#ifndef MQTT_COLLECT_H
#define MQTT_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge_sender.h"
#include "fed/status.h"
#include "mqtt_map.h"

typedef enum mqtt_result {
	MQTT_SPOOLED = 0, // its points handed to the spool
	MQTT_STALE, // decoded, but no point due (not after the last one,
	            // before the period's next slot, registers at 0)
	MQTT_IGNORED, // of the right shape, but holding no reading
	MQTT_INVALID, // not of its decoder's shape, a bad value, a topic
	              // level that cannot go into a series id
	MQTT_UNMAPPED, // no route matches the topic
	MQTT_RETAINED, // a retained message without a time of its own
	MQTT_RESULT_N
} mqtt_result;

typedef struct mqtt_collect mqtt_collect;

typedef struct mqtt_collect_opts {
	const char *site; // first part of the series ids (copied)
	const char *owner; // written in the series' metadata, may be ""
	const mqtt_map *map; // borrowed: outlives the collector
	edge_sender *sender; // borrowed
} mqtt_collect_opts;

// How far ahead of the board's clock a payload's own time may be: a
// device's clock a little fast is accepted, a reading dated later (a
// wrong clock, or a forged message on the broker) is invalid, since it
// would hold back every genuine reading of its series after it.
#define MQTT_MAX_AHEAD_MS 600000

typedef struct mqtt_collect_stats {
	uint64_t n_messages;
	uint64_t n_result[MQTT_RESULT_N];
	uint64_t n_points; // points submitted
	uint64_t n_submit_failed; // requests the sender could not spool
	uint64_t n_not_after; // points skipped: not after the series' last
	uint64_t n_payload_time; // messages stamped with their own time
	uint64_t n_series_full; // points dropped: too many series
} mqtt_collect_stats;

// A collector. INVALID_ARGUMENT for a missing site, map or sender, or a
// site over 64 bytes; RESOURCE_EXHAUSTED.
fed_status mqtt_collect_new(const mqtt_collect_opts *o, mqtt_collect **out);

void mqtt_collect_free(mqtt_collect *c);

// Takes one message (topic NUL-terminated; payload of len bytes), received
// at recv_ms (UTC ms), retained or not. Returns its result; an INVALID one
// is logged at most once a minute (with the count so far and the reason).
mqtt_result mqtt_collect_message(mqtt_collect *c, const char *topic,
    const void *payload, size_t len, bool retained, int64_t recv_ms);

void mqtt_collect_get_stats(const mqtt_collect *c, mqtt_collect_stats *st);

const char *mqtt_result_name(mqtt_result r);

#endif // MQTT_COLLECT_H
