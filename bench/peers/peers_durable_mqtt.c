// SPDX-License-Identifier: MIT
//
// peers_durable_mqtt.c: mosquitto's side of the many-collectors durable
// case (peers_durable.h): a broker with persistence on, a subscriber with
// a persistent session at QoS 1 (the broker keeps every message for it),
// and the collectors: libmosquitto clients without threads of their own,
// shared out between DRIVERS threads that poll their sockets and run
// libmosquitto's read, write and housekeeping steps. A collector publishes
// at QoS 1, and publishes the next message from the callback of the last
// one's PUBACK.

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>

#include "enfed/v1/stream.pb-c.h"
#include "fed/clock.h"
#include "fed_test.h"
#include "peers_common.h"
#include "peers_durable_internal.h"

#define DRIVERS 2

typedef struct mq_coll {
	peers_coll c;
	struct mosquitto *m;
	int connected;
	int in_flight; // a publish waits for its PUBACK
	int64_t sent_ns;
	const struct mq_round *round;
} mq_coll;

// What the drivers read after each "go" barrier.
typedef struct mq_round {
	size_t batch;
	int64_t end_ns;
	int port;
	size_t n_b;
	pthread_barrier_t bar;
} mq_round;

typedef struct mq_driver {
	mq_coll *cs;
	int n;
	struct pollfd *pfd;
	mq_round *round;
	pthread_t th;
} mq_driver;

static void
mq_publish(mq_coll *c)
{
	int64_t ts[PEERS_DURABLE_MAX_BATCH];
	double v[PEERS_DURABLE_MAX_BATCH];
	char topic[32];
	uint8_t buf[512];
	size_t batch = c->round->batch;
	snprintf(topic, sizeof(topic), PEERS_DURABLE_SERIES, c->c.index);
	peers_durable_points(&c->c, batch, ts, v);
	Enfed__V1__StreamFrame f = ENFED__V1__STREAM_FRAME__INIT;
	f.series_id = topic;
	f.seq = c->c.next + 1;
	f.ts_ms = ts;
	f.value = v;
	f.n_ts_ms = f.n_value = batch;
	size_t len = enfed__v1__stream_frame__pack(&f, buf);
	c->sent_ns = fed_clock_mono_ns();
	c->in_flight
	    = mosquitto_publish(c->m, NULL, topic, (int) len, buf, 1, false)
	    == MOSQ_ERR_SUCCESS;
	if (!c->in_flight)
		c->c.n_failed++;
}

static void
on_connect(struct mosquitto *m, void *arg, int rc)
{
	(void) m;
	((mq_coll *) arg)->connected = rc == 0;
}

static void
on_puback(struct mosquitto *m, void *arg, int mid)
{
	(void) m, (void) mid;
	mq_coll *c = arg;
	c->in_flight = 0;
	peers_durable_record(&c->c, fed_clock_mono_ns() - c->sent_ns);
	c->c.next += c->round->batch;
	if (fed_clock_mono_ns() < c->round->end_ns)
		mq_publish(c);
}

// One poll over the driver's sockets, then libmosquitto's steps where
// there is something to do; every call also runs the housekeeping.
static void
pump(mq_driver *d, int timeout_ms, int misc)
{
	for (int i = 0; i < d->n; i++) {
		struct mosquitto *m = d->cs[i].m;
		d->pfd[i].fd = mosquitto_socket(m);
		d->pfd[i].events
		    = POLLIN | (mosquitto_want_write(m) ? POLLOUT : 0);
		d->pfd[i].revents = 0;
	}
	poll(d->pfd, (nfds_t) d->n, timeout_ms);
	for (int i = 0; i < d->n; i++) {
		struct mosquitto *m = d->cs[i].m;
		int rc = MOSQ_ERR_SUCCESS;
		if (d->pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
			rc = mosquitto_loop_read(m, 1);
		if (rc == MOSQ_ERR_SUCCESS && (d->pfd[i].revents & POLLOUT))
			rc = mosquitto_loop_write(m, 1);
		if (misc)
			mosquitto_loop_misc(m);
		if (rc != MOSQ_ERR_SUCCESS)
			mosquitto_reconnect(m);
	}
}

static int
all_connected(const mq_driver *d)
{
	for (int i = 0; i < d->n; i++)
		if (!d->cs[i].connected)
			return 0;
	return 1;
}

static int
any_in_flight(const mq_driver *d)
{
	for (int i = 0; i < d->n; i++)
		if (d->cs[i].in_flight)
			return 1;
	return 0;
}

static void
connect_all(mq_driver *d)
{
	for (int i = 0; i < d->n; i++) {
		mq_coll *c = &d->cs[i];
		char id[32];
		snprintf(id, sizeof(id), "bench-d-%04d", c->c.index);
		c->m = mosquitto_new(id, true, c);
		if (c->m == NULL
		    || mosquitto_connect(c->m, "127.0.0.1", d->round->port, 60)
		        != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "peers_durable: MQTT client %d\n", i);
			exit(1);
		}
		mosquitto_connect_callback_set(c->m, on_connect);
		mosquitto_publish_callback_set(c->m, on_puback);
	}
	int64_t until = fed_clock_mono_ns() + INT64_C(20000000000);
	while (!all_connected(d) && fed_clock_mono_ns() < until)
		pump(d, 10, 0);
}

static void *
driver_main(void *arg)
{
	mq_driver *d = arg;
	mq_round *r = d->round;
	connect_all(d);
	pthread_barrier_wait(&r->bar); // all connected
	for (size_t b = 0; b < r->n_b; b++) {
		pthread_barrier_wait(&r->bar); // go
		for (int i = 0; i < d->n; i++)
			if (d->cs[i].connected)
				mq_publish(&d->cs[i]);
		int64_t give_up
		    = r->end_ns + INT64_C(1000000) * PEERS_DURABLE_ACK_WAIT_MS;
		int64_t misc_at = 0;
		while (fed_clock_mono_ns() < give_up
		    && (fed_clock_mono_ns() < r->end_ns || any_in_flight(d))) {
			int misc = fed_clock_mono_ns() > misc_at;
			if (misc)
				misc_at = fed_clock_mono_ns() + 1000000000;
			pump(d, 5, misc);
		}
		for (int i = 0; i < d->n; i++)
			if (d->cs[i].in_flight) {
				d->cs[i].c.n_failed++;
				d->cs[i].in_flight = 0;
			}
		pthread_barrier_wait(&r->bar); // done
	}
	for (int i = 0; i < d->n; i++) {
		mosquitto_disconnect(d->cs[i].m);
		mosquitto_destroy(d->cs[i].m);
	}
	return NULL;
}

static int
broker_start(const char *mosquitto, const char *dir, int *port)
{
	char conf[600];
	snprintf(conf, sizeof(conf), "%s/mosquitto-durable.conf", dir);
	*port = fed_test_free_port();
	FILE *f = fopen(conf, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
	    "listener %d 127.0.0.1\nallow_anonymous true\n"
	    "persistence true\npersistence_location %s/\n"
	    "max_queued_messages 0\nlog_dest none\n",
	    *port, dir);
	fclose(f);
	char *argv[] = {(char *) mosquitto, "-c", conf, NULL};
	int pid = fed_test_proc_start(argv, NULL);
	if (pid > 0)
		peers_track(pid);
	return pid;
}

static void
on_sub_message(
    struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	(void) m, (void) msg;
	atomic_fetch_add((atomic_uint_fast64_t *) arg, 1);
}

// The reader the broker keeps messages for: a persistent session, QoS 1.
static struct mosquitto *
subscriber(int port, atomic_uint_fast64_t *got)
{
	struct mosquitto *m = mosquitto_new("bench-d-sub", false, got);
	if (m == NULL)
		return NULL;
	mosquitto_message_callback_set(m, on_sub_message);
	for (int i = 0; i < 500; i++) {
		if (mosquitto_connect(m, "127.0.0.1", port, 60)
		        == MOSQ_ERR_SUCCESS
		    && mosquitto_subscribe(m, NULL, "bench/d/#", 1)
		        == MOSQ_ERR_SUCCESS
		    && mosquitto_loop_start(m) == MOSQ_ERR_SUCCESS)
			return m;
		peers_sleep_us(10000);
	}
	mosquitto_destroy(m);
	return NULL;
}

static void
run_drivers(mq_round *r, mq_coll *cs, int n, const size_t *batches, int run_ms,
    peers_durable_fig *out)
{
	mq_driver d[DRIVERS];
	pthread_barrier_init(&r->bar, NULL, DRIVERS + 1);
	for (int k = 0; k < DRIVERS; k++) {
		int from = n * k / DRIVERS, to = n * (k + 1) / DRIVERS;
		d[k] = (mq_driver) {
		    .cs = cs + from, .n = to - from, .round = r};
		d[k].pfd = calloc((size_t) d[k].n + 1, sizeof(*d[k].pfd));
		if (d[k].pfd == NULL
		    || pthread_create(&d[k].th, NULL, driver_main, &d[k]) != 0)
			exit(1);
	}
	pthread_barrier_wait(&r->bar); // all connected
	peers_coll *pc = malloc((size_t) n * sizeof(*pc));
	if (pc == NULL)
		exit(1);
	for (size_t b = 0; b < r->n_b; b++) {
		r->batch = batches[b];
		int64_t t0 = fed_clock_mono_ns();
		r->end_ns = t0 + INT64_C(1000000) * run_ms;
		pthread_barrier_wait(&r->bar); // go
		pthread_barrier_wait(&r->bar); // done
		for (int i = 0; i < n; i++)
			pc[i] = cs[i].c;
		peers_durable_figs(pc, n, batches[b], t0, &out[b]);
		for (int i = 0; i < n; i++) {
			cs[i].c.n_lat = 0;
			cs[i].c.n_failed = 0;
			cs[i].c.last_ns = 0;
		}
	}
	free(pc);
	for (int k = 0; k < DRIVERS; k++) {
		pthread_join(d[k].th, NULL);
		free(d[k].pfd);
	}
	pthread_barrier_destroy(&r->bar);
}

void
peers_durable_mqtt(const char *mosquitto, const char *dir, int n,
    const size_t *batches, size_t n_b, int run_ms, peers_durable_fig *out)
{
	peers_durable_raise_fd_limit();
	char *mk[] = {"mkdir", "-p", (char *) dir, NULL};
	fed_test_spawn(mk, 0);
	int port = 0;
	int pid = broker_start(mosquitto, dir, &port);
	atomic_uint_fast64_t got = 0;
	struct mosquitto *sub = pid > 0 ? subscriber(port, &got) : NULL;
	if (sub == NULL) {
		fprintf(stderr, "peers_durable: cannot start %s\n", mosquitto);
		exit(1);
	}
	mq_round r = {.port = port, .n_b = n_b};
	mq_coll *cs = calloc((size_t) n, sizeof(*cs));
	if (cs == NULL)
		exit(1);
	for (int i = 0; i < n; i++)
		cs[i] = (mq_coll) {.c = {.index = i}, .round = &r};
	run_drivers(&r, cs, n, batches, run_ms, out);
	for (int i = 0; i < n; i++)
		free(cs[i].c.lat);
	free(cs);
	mosquitto_disconnect(sub);
	mosquitto_loop_stop(sub, false);
	mosquitto_destroy(sub);
	fed_test_proc_stop(pid, SIGTERM, 10000);
	peers_forget(pid);
}
