// SPDX-License-Identifier: MIT
//
// mqtt_client.h: fed-edge-mqtt's session with the broker, over Debian's
// libmosquitto (2.0): MQTT 3.1.1, a stable client id and clean_session
// false, so that the broker keeps the subscriptions and queues the QoS 1
// messages published while the collector is away (stopped, restarted, the
// network down) and delivers them when it comes back; QoS 1 subscriptions
// to every filter of the mapping file, made again at each connection.
//
// Each message is handed to mqtt_collect in libmosquitto's message
// callback, which spools its points (durably with --spool-sync=each)
// before returning. libmosquitto acknowledges a QoS 1 message by itself:
// version 2.0 queues the PUBACK just before it calls the callback
// (mosquitto issue #2884 asks for the order to be reversed), and there is
// no way to hold the acknowledgement. Writing the readings to the spool in
// the callback is the strongest guarantee the library allows: a message
// can only be lost to a crash or a power cut inside the callback itself
// (one spool write); a stop by SIGTERM happens between messages.
//
// The loop runs in the calling thread (the main one): mosquitto_loop
// every 250 ms at most, so that a stop request is seen at once; a lost
// connection is retried with a delay doubling from 1 s to 60 s.

#ifndef MQTT_CLIENT_H
#define MQTT_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "fed/status.h"
#include "mqtt_collect.h"
#include "mqtt_map.h"

typedef struct mqtt_client_opts {
	const char *broker; // mqtt://host[:port] or mqtts://host[:port]
	const char *ca; // mqtts: CA file (NULL: the system's, /etc/ssl/certs)
	const char *cert, *key; // mqtts: client certificate and key
	const char *username, *password; // may be NULL
	const char *client_id;
	int keepalive_s;
	const mqtt_map *map; // the filters to subscribe to
	mqtt_collect *collect; // where messages go
	bool (*stopping)(void); // polled by the loop
} mqtt_client_opts;

typedef struct mqtt_client_stats {
	uint64_t n_connects; // CONNACKs accepted
	uint64_t n_disconnects; // connections lost or refused
} mqtt_client_stats;

// Parses an mqtt:// or mqtts:// URL into host (host_len bytes) and port.
// OK, or INVALID_ARGUMENT.
fed_status mqtt_broker_parse(
    const char *url, char *host, size_t host_len, int *port, bool *tls);

// Connects and runs until o->stopping() is true, then disconnects. OK, or
// INVALID_ARGUMENT / INTERNAL when the client cannot be set up (bad
// options, TLS files; logged). st (may be NULL) gets the counters.
fed_status mqtt_client_run(const mqtt_client_opts *o, mqtt_client_stats *st);

#endif // MQTT_CLIENT_H
