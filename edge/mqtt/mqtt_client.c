// SPDX-License-Identifier: MIT
//
// mqtt_client.c: the broker session over libmosquitto (mqtt_client.h).

#include "mqtt_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

#include "fed/clock.h"
#include "fed/log.h"
#include "fed/metrics.h"

#define LOOP_MS    250
#define BACKOFF_LO 1000
#define BACKOFF_HI 60000

typedef struct ctx {
	const mqtt_client_opts *o;
	bool connected; // CONNACK accepted, not lost since
	size_t n_suback; // SUBACKs of this connection
	mqtt_client_stats st;
	fed_metric *m_connected;
	int64_t log_ms;
} ctx;

fed_status
mqtt_broker_parse(
    const char *url, char *host, size_t host_len, int *port, bool *tls)
{
	if (url == NULL)
		return FED_INVALID_ARGUMENT;
	const char *p;
	if (strncmp(url, "mqtt://", 7) == 0) {
		p = url + 7;
		*tls = false;
		*port = 1883;
	} else if (strncmp(url, "mqtts://", 8) == 0) {
		p = url + 8;
		*tls = true;
		*port = 8883;
	} else {
		return FED_INVALID_ARGUMENT;
	}
	const char *h = p, *he;
	if (*p == '[') { // [::1]:1883
		h = p + 1;
		he = strchr(h, ']');
		if (he == NULL)
			return FED_INVALID_ARGUMENT;
		p = he + 1;
	} else {
		he = p + strcspn(p, ":/");
		p = he;
	}
	size_t hl = (size_t) (he - h);
	if (hl == 0 || hl >= host_len)
		return FED_INVALID_ARGUMENT;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (*p == ':') {
		char *end = NULL;
		long v = strtol(p + 1, &end, 10);
		if (end == p + 1 || v < 1 || v > 65535)
			return FED_INVALID_ARGUMENT;
		*port = (int) v;
		p = end;
	}
	if (*p == '/')
		p++;
	return *p == '\0' ? FED_OK : FED_INVALID_ARGUMENT;
}

static void
on_connect(struct mosquitto *m, void *arg, int rc, int flags)
{
	ctx *c = arg;
	if (rc != 0) {
		fed_log_limited(&c->log_ms, 60000, FED_LOG_ERR, "mqtt",
		    "broker %s refused the connection: %s", c->o->broker,
		    mosquitto_connack_string(rc));
		return;
	}
	c->connected = true;
	c->n_suback = 0;
	c->st.n_connects++;
	fed_metric_set(c->m_connected, 1);
	const mqtt_map *map = c->o->map;
	fed_log(FED_LOG_NOTICE, "mqtt",
	    "connected to %s as %s (session %s); subscribing to %zu "
	    "filters, QoS 1",
	    c->o->broker, c->o->client_id,
	    (flags & 1) != 0 ? "kept by the broker" : "new", map->n);
	for (size_t i = 0; i < map->n; i++) {
		int r = mosquitto_subscribe(m, NULL, map->routes[i].filter, 1);
		if (r != MOSQ_ERR_SUCCESS)
			fed_log(FED_LOG_ERR, "mqtt", "subscribing to %s: %s",
			    map->routes[i].filter, mosquitto_strerror(r));
	}
}

static void
on_subscribe(struct mosquitto *m, void *arg, int mid, int n, const int *qos)
{
	(void) m;
	(void) mid;
	ctx *c = arg;
	for (int i = 0; i < n; i++)
		if (qos[i] > 2)
			fed_log(FED_LOG_ERR, "mqtt",
			    "the broker refused a subscription (not "
			    "authorised to read that topic?)");
	if (++c->n_suback == c->o->map->n)
		fed_log(FED_LOG_INFO, "mqtt", "subscribed to all %zu filters",
		    c->n_suback);
}

static void
on_disconnect(struct mosquitto *m, void *arg, int rc)
{
	(void) m;
	ctx *c = arg;
	if (c->connected)
		c->st.n_disconnects++;
	c->connected = false;
	fed_metric_set(c->m_connected, 0);
	if (rc != 0)
		fed_log(FED_LOG_WARNING, "mqtt",
		    "connection to %s lost (%s); reconnecting", c->o->broker,
		    mosquitto_strerror(rc));
}

static void
on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	(void) m;
	ctx *c = arg;
	(void) mqtt_collect_message(c->o->collect, msg->topic, msg->payload,
	    msg->payloadlen > 0 ? (size_t) msg->payloadlen : 0, msg->retain,
	    fed_clock_now_ms());
}

static void
on_log(struct mosquitto *m, void *arg, int level, const char *s)
{
	(void) m;
	(void) arg;
	if ((level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)) != 0)
		fed_log(FED_LOG_DEBUG, "mqtt", "libmosquitto: %s", s);
}

// Sleeps ms in slices, returning early on a stop request.
static void
pause_ms(const mqtt_client_opts *o, int64_t ms)
{
	int64_t end = fed_clock_now_ms() + ms;
	while (!o->stopping()) {
		int64_t left = end - fed_clock_now_ms();
		if (left <= 0)
			return;
		if (left > LOOP_MS)
			left = LOOP_MS;
		struct timespec ts = {0, (long) left * 1000000L};
		nanosleep(&ts, NULL);
	}
}

static fed_status
setup(struct mosquitto *m, const mqtt_client_opts *o, bool tls)
{
	int rc = mosquitto_int_option(
	    m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	if (rc == MOSQ_ERR_SUCCESS && o->username != NULL)
		rc = mosquitto_username_pw_set(m, o->username, o->password);
	if (rc != MOSQ_ERR_SUCCESS) {
		fed_log(FED_LOG_ERR, "mqtt", "setting up the client: %s",
		    mosquitto_strerror(rc));
		return FED_INVALID_ARGUMENT;
	}
	if (!tls)
		return FED_OK;
	rc = mosquitto_tls_set(m, o->ca,
	    o->ca == NULL ? "/etc/ssl/certs" : NULL, o->cert, o->key, NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		fed_log(FED_LOG_ERR, "mqtt",
		    "TLS (--broker-ca, --broker-cert, --broker-key): %s",
		    rc == MOSQ_ERR_ERRNO ? strerror(errno)
		                         : mosquitto_strerror(rc));
		return FED_INVALID_ARGUMENT;
	}
	return FED_OK;
}

// The delay before the next attempt: doubling from BACKOFF_LO to
// BACKOFF_HI.
static int64_t
next_backoff(int64_t backoff)
{
	return backoff == 0            ? BACKOFF_LO
	    : backoff * 2 > BACKOFF_HI ? BACKOFF_HI
	                               : backoff * 2;
}

// A connection that did not come up (refused, TLS handshake, CONNECT
// refused), at most once a minute.
static void
log_unreachable(ctx *c, int rc)
{
	fed_log_limited(&c->log_ms, 60000, FED_LOG_WARNING, "mqtt",
	    "broker %s unreachable: %s; retrying", c->o->broker,
	    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
}

static void
run_loop(struct mosquitto *m, ctx *c, const char *host, int port)
{
	const mqtt_client_opts *o = c->o;
	bool socket = false, first = true;
	int64_t backoff = 0;
	while (!o->stopping()) {
		if (!socket) {
			int rc = first
			    ? mosquitto_connect(m, host, port, o->keepalive_s)
			    : mosquitto_reconnect(m);
			if (rc == MOSQ_ERR_SUCCESS) {
				socket = true;
				first = false;
				continue;
			}
			backoff = next_backoff(backoff);
			log_unreachable(c, rc);
			pause_ms(o, backoff);
			continue;
		}
		int rc = mosquitto_loop(m, LOOP_MS, 1);
		if (c->connected)
			backoff = 0;
		if (rc == MOSQ_ERR_SUCCESS)
			continue;
		socket = false;
		if (c->connected) // libmosquitto did not say it
			on_disconnect(m, c, rc);
		else // the TLS handshake or the CONNECT failed after the
		     // TCP connection (mosquitto_connect said nothing)
			log_unreachable(c, rc);
		backoff = next_backoff(backoff);
		pause_ms(o, backoff);
	}
	if (socket) {
		mosquitto_disconnect(m);
		(void) mosquitto_loop(m, 100, 1); // sends the DISCONNECT
	}
}

fed_status
mqtt_client_run(const mqtt_client_opts *o, mqtt_client_stats *st)
{
	char host[256];
	int port = 0;
	bool tls = false;
	if (mqtt_broker_parse(o->broker, host, sizeof(host), &port, &tls)
	    != FED_OK) {
		fed_log(FED_LOG_ERR, "mqtt",
		    "--broker %s: not mqtt://host[:port] nor "
		    "mqtts://host[:port]",
		    o->broker);
		return FED_INVALID_ARGUMENT;
	}
	static ctx c; // callbacks reach it through libmosquitto's obj
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.m_connected
	    = fed_metrics_gauge(fed_metrics_default(), "enfed_mqtt_connected",
	        "1 while the collector holds a session with its broker");
	mosquitto_lib_init();
	struct mosquitto *m = mosquitto_new(o->client_id, false, &c);
	fed_status res = FED_INTERNAL;
	if (m == NULL) {
		fed_log(
		    FED_LOG_ERR, "mqtt", "mosquitto_new: %s", strerror(errno));
	} else if ((res = setup(m, o, tls)) == FED_OK) {
		mosquitto_connect_with_flags_callback_set(m, on_connect);
		mosquitto_disconnect_callback_set(m, on_disconnect);
		mosquitto_message_callback_set(m, on_message);
		mosquitto_subscribe_callback_set(m, on_subscribe);
		mosquitto_log_callback_set(m, on_log);
		run_loop(m, &c, host, port);
	}
	mosquitto_destroy(m);
	mosquitto_lib_cleanup();
	if (st != NULL)
		*st = c.st;
	return res;
}
