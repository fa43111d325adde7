// SPDX-License-Identifier: MIT
//
// mqtt_broker.h: a real mosquitto broker for fed-edge-mqtt's tests and
// benchmark, started on a free loopback port with its configuration and
// its persistence (QoS 1 messages queued for a persistent session survive
// a restart) in a temporary folder; and a small publisher over
// libmosquitto that waits for the broker's PUBACK of every message.

#ifndef MQTT_BROKER_H
#define MQTT_BROKER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct mqtt_broker {
	char *dir; // configuration, persistence, log
	int port;
	int pid;
	char url[64]; // mqtt://127.0.0.1:PORT
} mqtt_broker;

// The mosquitto program (PATH, /usr/sbin), or NULL when not installed.
const char *mqtt_broker_program(void);

// Starts a broker in a new temporary folder, anonymous clients allowed on
// b->port. 0 when it accepts connections (within 10 s), else -1.
int mqtt_broker_start(mqtt_broker *b);

// As mqtt_broker_start, with lines of configuration before everything
// (head, e.g. "per_listener_settings true\n") and after (tail: more
// listeners); either may be NULL. b->dir is made first by mqtt_broker_dir,
// so that the caller can write files there (certificates, a password
// file) and name them.
int mqtt_broker_dir(mqtt_broker *b);
int mqtt_broker_start_with(mqtt_broker *b, const char *head, const char *tail);

// Stops it (SIGTERM: it saves its persistence) and starts it again on the
// same port and folder. 0 on success.
int mqtt_broker_restart(mqtt_broker *b);

// Stops it (SIGTERM, then SIGKILL after 10 s).
void mqtt_broker_stop(mqtt_broker *b);

// Stops it if running and removes its folder.
void mqtt_broker_free(mqtt_broker *b);

// Publishes n messages (payloads[i] on topic, QoS qos, retained or not) to
// the broker at 127.0.0.1:port and waits for each acknowledgement (up to
// 20 s). 0 on success.
int mqtt_publish(int port, const char *topic, const char *const *payloads,
    size_t n, int qos, bool retain);

#endif // MQTT_BROKER_H
