// SPDX-License-Identifier: MIT
//
// test_fed_edge_mqtt.c: the fed-edge-mqtt program end to end, between a
// real mosquitto broker (started here on a free loopback port, with its
// persistence in a temporary folder) and a real fed-node:
//   - exactly once through restarts: N Tasmota Teleinfo readings (each
//     with its own "Time") published at QoS 1 while the collector is
//     stopped and started again, the broker restarted with messages queued
//     for the collector's session, the broker restarted under a connected
//     collector, the node killed, the collector killed (SIGKILL) with
//     points in its spool: the node ends holding exactly the N index and N
//     power points, each once, at the payloads' times;
//   - every decoder into the node: teleinfo2mqtt and plain numbers, the
//     series they make (kind, unit), invalid payloads counted and never
//     stored, a retained state without time skipped;
//   - mqtts:// with the broker's CA, a user name and a password read from
//     a file; another CA and a wrong password: no session, said.
// Without mosquitto (Debian package mosquitto, in ./run's TEST_PKGS) the
// tests are skipped, said on stderr.

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "edge_test.h"
#include "fed_test.h"
#include "mqtt_broker.h"

// 2026-01-15T10:00:00+01:00 (Europe/Paris), each reading a minute later.
#define T0      INT64_C(1768467600000)
#define MINUTE  INT64_C(60000)
#define N_READS 60

static char payloads[N_READS][512];
static const char *payload_ptrs[N_READS];

// Tasmota's telemetry message for reading i, "Time" in Paris time.
static void
make_payloads(void)
{
	for (int i = 0; i < N_READS; i++) {
		int min = i % 60, hour = 10 + i / 60;
		snprintf(payloads[i], sizeof(payloads[i]),
		    "{\"Time\":\"2026-01-15T%02d:%02d:00\",\"ENERGY\":{"
		    "\"Total\":%.3f,\"Power\":%d},\"TIC\":{\"ADCO\":"
		    "\"031762001234\",\"OPTARIF\":\"BASE\",\"ISOUSC\":30,"
		    "\"BASE\":%d,\"PTEC\":\"TH..\",\"IINST\":1,\"PAPP\":%d,"
		    "\"MOTDETAT\":0}}",
		    hour, min, (1000000 + i * 10) / 1000.0, 100 + i,
		    1000000 + i * 10, 100 + i);
		payload_ptrs[i] = payloads[i];
	}
}

static int
skip_without_broker(void)
{
	if (mqtt_broker_program() != NULL)
		return 0;
	fprintf(stderr,
	    "mosquitto is not installed (Debian package mosquitto, in "
	    "./run's TEST_PKGS): the fed-edge-mqtt end-to-end tests are "
	    "skipped\n");
	return 1;
}

// Counts the lines of path holding `needle`.
static size_t
count_in_file(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	char line[2048];
	size_t n = 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static int
wait_in_file(const char *path, const char *needle, size_t count, int ms)
{
	for (int waited = 0; waited <= ms; waited += 20) {
		if (count_in_file(path, needle) >= count)
			return 1;
		fed_test_sleep_ms(20);
	}
	return 0;
}

typedef struct collector {
	char map[1024];
	char spool[1024];
	char log[1024];
	int pid;
} collector;

static void
collector_init(collector *c, const edge_node *n, const char *mapping)
{
	snprintf(c->map, sizeof(c->map), "%s/mapping", n->dir);
	snprintf(c->spool, sizeof(c->spool), "%s/mqtt-spool", n->dir);
	FILE *f = fopen(c->map, "w");
	assert_non_null(f);
	fputs(mapping, f);
	fclose(f);
	c->pid = 0;
}

// Starts the collector with the extra options (NULL-terminated, may be
// NULL), its log in <node dir>/<tag>.log; waits for its subscriptions
// unless wait is 0.
static void
collector_start_ex(collector *c, const edge_node *n, const char *broker,
    const char *tag, const char *const *extra, int wait)
{
	char a[8][1100];
	snprintf(c->log, sizeof(c->log), "%s/%s.log", n->dir, tag);
	snprintf(a[0], sizeof(a[0]), "--node=%s", n->rpc);
	snprintf(a[1], sizeof(a[1]), "--token=%s", EDGE_TEST_ADMIN);
	snprintf(a[2], sizeof(a[2]), "--broker=%s", broker);
	snprintf(a[3], sizeof(a[3]), "--mapping=%s", c->map);
	snprintf(a[4], sizeof(a[4]), "--spool-dir=%s", c->spool);
	char *argv[24] = {FED_EDGE_MQTT_BIN, a[0], a[1], a[2], a[3], a[4],
	    "--site=mqtt", "--log-level=debug", "--backoff-min=100ms",
	    "--backoff-max=500ms", "--rpc-timeout=2s", NULL};
	for (size_t i = 0, k = 11; extra != NULL && extra[i] != NULL && k < 23;
	     i++, k++) {
		argv[k] = (char *) extra[i];
		argv[k + 1] = NULL;
	}
	c->pid = edge_proc_start(argv, c->log);
	assert_true(c->pid > 0);
	if (wait && !wait_in_file(c->log, "subscribed to all", 1, 10000)) {
		edge_dump_file(c->log);
		fail_msg("the collector did not subscribe");
	}
}

static void
collector_start(
    collector *c, const edge_node *n, const mqtt_broker *b, const char *tag)
{
	collector_start_ex(c, n, b->url, tag, NULL, 1);
}

static void
collector_stop(collector *c, int sig)
{
	int rc = edge_proc_stop(c->pid, sig, 15000);
	if (sig == SIGTERM && rc != 0) {
		edge_dump_file(c->log);
		fail_msg("fed-edge-mqtt exited %d", rc);
	}
	c->pid = 0;
}

static void
publish(const mqtt_broker *b, int from, int to)
{
	assert_int_equal(
	    mqtt_publish(b->port, "tele/linky/SENSOR", payload_ptrs + from,
	        (size_t) (to - from), 1, false),
	    0);
}

// The node holds exactly the N readings of series `quantity`, each once.
static void
check_exact(edge_node *n, const char *quantity)
{
	char id[128];
	snprintf(id, sizeof(id), "mqtt/linky/%s", quantity);
	size_t got = edge_wait_points(n->client, id, N_READS, 30000);
	fed_test_sleep_ms(300); // anything doubled would show now
	int64_t *ts = NULL;
	double *v = NULL;
	assert_int_equal(edge_query_raw(n->client, id, &ts, &v, &got), FED_OK);
	if (got != N_READS)
		fail_msg("%s: %zu points, want %d", id, got, N_READS);
	for (size_t i = 0; i < got; i++) {
		double want = strcmp(quantity, "power") == 0
		    ? 100.0 + (double) i
		    : 1000000.0 + 10.0 * (double) i;
		if (ts[i] != T0 + (int64_t) i * MINUTE || v[i] != want)
			fail_msg("%s[%zu]: (%lld, %g), want (%lld, %g)", id, i,
			    (long long) ts[i], v[i],
			    (long long) (T0 + (int64_t) i * MINUTE), want);
	}
	free(ts);
	free(v);
}

static void
test_exactly_once(void **state)
{
	(void) state;
	if (skip_without_broker())
		skip();
	make_payloads();
	edge_node n;
	assert_int_equal(edge_node_start(&n, "mqtt-e2e"), 0);
	mqtt_broker b;
	assert_int_equal(mqtt_broker_start(&b), 0);
	collector c;
	collector_init(&c, &n,
	    "# Tasmota's Teleinfo telemetry\ntele/+/SENSOR "
	    "tasmota-teleinfo linky\n");

	// 1. Everyone up.
	collector_start(&c, &n, &b, "run1");
	publish(&b, 0, 20);
	assert_int_equal(
	    edge_wait_points(n.client, "mqtt/linky/index_base", 20, 20000),
	    20);

	// 2. Collector stopped: the broker queues for its session, across
	// a broker restart.
	collector_stop(&c, SIGTERM);
	publish(&b, 20, 35);
	assert_int_equal(mqtt_broker_restart(&b), 0);
	publish(&b, 35, 45);
	collector_start(&c, &n, &b, "run2");
	assert_int_equal(
	    edge_wait_points(n.client, "mqtt/linky/index_base", 45, 20000),
	    45);

	// 3. The broker restarted under the connected collector, the node
	// killed: the readings go to the spool.
	assert_int_equal(mqtt_broker_restart(&b), 0);
	edge_node_kill(&n, SIGKILL);
	publish(&b, 45, 53);
	if (!wait_in_file(c.log, "spooled, 2 points", 25 + 8, 20000)) {
		edge_dump_file(c.log);
		fail_msg("readings 45..52 did not reach the spool");
	}

	// 4. The collector killed with its spool full, the broker restarted
	// with more readings queued, then everyone back.
	collector_stop(&c, SIGKILL);
	assert_int_equal(mqtt_broker_restart(&b), 0);
	publish(&b, 53, N_READS);
	assert_int_equal(edge_node_restart(&n), 0);
	collector_start(&c, &n, &b, "run3");

	check_exact(&n, "index_base");
	check_exact(&n, "power");
	collector_stop(&c, SIGTERM);
	uint64_t invalid = 1, pending = 1, messages = 0;
	assert_int_equal(edge_log_counter(c.log, "invalid", &invalid), 0);
	assert_int_equal(edge_log_counter(c.log, "pending", &pending), 0);
	assert_int_equal(edge_log_counter(c.log, "messages", &messages), 0);
	assert_int_equal(invalid, 0);
	assert_int_equal(pending, 0);
	assert_true(messages >= N_READS - 53);

	mqtt_broker_free(&b);
	edge_node_stop(&n);
}

// The metadata of series id, or fail.
static void
check_meta(edge_node *n, const char *id, Enfed__V1__SeriesKind kind,
    Enfed__V1__Unit unit)
{
	Enfed__V1__ListSeriesRequest req
	    = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	req.prefix = (char *) id;
	Enfed__V1__ListSeriesResponse *rep = NULL;
	assert_int_equal(
	    fed_test_store_call(n->client, "ListSeries", &req, &rep), FED_OK);
	int found = 0;
	for (size_t i = 0; i < rep->n_series; i++) {
		if (strcmp(rep->series[i]->meta->id, id) != 0)
			continue;
		found = 1;
		assert_int_equal(rep->series[i]->meta->kind, kind);
		assert_int_equal(rep->series[i]->meta->unit, unit);
	}
	protobuf_c_message_free_unpacked(&rep->base, NULL);
	if (!found)
		fail_msg("no series %s", id);
}

static void
test_decoders(void **state)
{
	(void) state;
	if (skip_without_broker())
		skip();
	edge_node n;
	assert_int_equal(edge_node_start(&n, "mqtt-decoders"), 0);
	mqtt_broker b;
	assert_int_equal(mqtt_broker_start(&b), 0);
	collector c;
	collector_init(&c, &n,
	    "teleinfo/+ teleinfo2mqtt linky\n"
	    "+/sensor/papp/state number {1}/power unit=VA\n"
	    "homeassistant/sensor/+/state number ha/{1} unit=kWh\n");
	// A retained state, published before the collector subscribes: it
	// comes at each subscription, without a time of its own: skipped.
	const char *retained[] = {"42"};
	assert_int_equal(mqtt_publish(b.port, "esp-linky/sensor/papp/state",
	                     retained, 1, 1, true),
	    0);
	collector_start(&c, &n, &b, "decoders");

	const char *t2m[] = {
	    // Dated 2199, before the genuine reading below: refused, and the
	    // series not held back by it.
	    "{\"ADSC\":{\"raw\":\"041876543210\"},\"DATE\":{\"timestamp\":"
	    "{\"dst\":\"winter\",\"date\":\"2199-01-01T00:00:00.000Z\"}},"
	    "\"SINSTS\":{\"raw\":\"09999\",\"value\":9999}}",
	    "{\"ADSC\":{\"raw\":\"041876543210\",\"value\":41876543210},"
	    "\"DATE\":{\"raw\":\"\",\"value\":\"\",\"timestamp\":{\"dst\":"
	    "\"winter\",\"date\":\"2026-01-15T10:00:00.000Z\"}},"
	    "\"EAST\":{\"raw\":\"004567890\",\"value\":4567890},"
	    "\"EASF01\":{\"raw\":\"004567890\",\"value\":4567890},"
	    "\"EASF02\":{\"raw\":\"000000000\",\"value\":0},"
	    "\"SINSTS\":{\"raw\":\"00720\",\"value\":720}}",
	    "{\"ADSC\":{\"raw\":\"041876543210\"},\"EAST\":{\"raw\":\"12x\"}}",
	    "not json",
	};
	assert_int_equal(
	    mqtt_publish(b.port, "teleinfo/041876543210", t2m, 4, 1, false),
	    0);
	const char *papp[] = {"730", "unavailable", "7 30"};
	assert_int_equal(mqtt_publish(b.port, "esp-linky/sensor/papp/state",
	                     papp, 3, 1, false),
	    0);
	const char *kwh[] = {"12345.678"};
	assert_int_equal(
	    mqtt_publish(b.port, "homeassistant/sensor/linky_energy/state",
	        kwh, 1, 1, false),
	    0);
	// A topic level that cannot go into a series id.
	assert_int_equal(
	    mqtt_publish(b.port, "homeassistant/sensor/bad level/state", kwh,
	        1, 1, false),
	    0);

	assert_int_equal(
	    edge_wait_points(n.client, "mqtt/linky/index_east", 1, 20000), 1);
	assert_int_equal(
	    edge_wait_points(n.client, "mqtt/ha/linky_energy", 1, 20000), 1);
	assert_int_equal(
	    edge_wait_points(n.client, "mqtt/esp-linky/power", 1, 20000), 1);
	collector_stop(&c, SIGTERM);

	int64_t *ts = NULL;
	double *v = NULL;
	size_t got = 0;
	assert_int_equal(
	    edge_query_raw(n.client, "mqtt/linky/power", &ts, &v, &got),
	    FED_OK);
	assert_int_equal(got, 1);
	assert_int_equal(ts[0], T0);
	assert_true(v[0] == 720);
	free(ts);
	free(v);
	assert_int_equal(
	    edge_query_raw(n.client, "mqtt/ha/linky_energy", &ts, &v, &got),
	    FED_OK);
	assert_int_equal(got, 1);
	assert_true(v[0] == 12345678);
	free(ts);
	free(v);
	assert_int_equal(
	    edge_query_raw(n.client, "mqtt/esp-linky/power", &ts, &v, &got),
	    FED_OK);
	assert_int_equal(got, 1); // 730; the retained 42 skipped
	assert_true(v[0] == 730);
	free(ts);
	free(v);
	// EASF02 at 0 is held back.
	assert_int_equal(
	    edge_wait_points(n.client, "mqtt/linky/index_easf02", 1, 100), 0);

	check_meta(&n, "mqtt/linky/index_east",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_INDEX,
	    ENFED__V1__UNIT__UNIT_WH);
	check_meta(&n, "mqtt/linky/power",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_POWER,
	    ENFED__V1__UNIT__UNIT_VA);
	check_meta(&n, "mqtt/ha/linky_energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_INDEX,
	    ENFED__V1__UNIT__UNIT_WH);
	check_meta(&n, "mqtt/esp-linky/power",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_POWER,
	    ENFED__V1__UNIT__UNIT_VA);

	uint64_t k = 0;
	assert_int_equal(edge_log_counter(c.log, "invalid", &k), 0);
	// 2199, bad EAST, not JSON, "7 30", "bad level"
	assert_int_equal(k, 5);
	assert_int_equal(edge_log_counter(c.log, "ignored", &k), 0);
	assert_int_equal(k, 1); // "unavailable"
	assert_int_equal(edge_log_counter(c.log, "retained", &k), 0);
	assert_int_equal(k, 1);
	assert_int_equal(
	    count_in_file(c.log, "invalid messages so far: 1"), 1);
	assert_int_equal(
	    count_in_file(c.log, "ahead of this board's clock"), 1);

	mqtt_broker_free(&b);
	edge_node_stop(&n);
}

// Runs argv (a path first) and fails the test unless it exits 0.
static void
must_run(char *const argv[])
{
	char *err = NULL;
	int rc = fed_test_run(argv, NULL, NULL, &err);
	if (rc != 0)
		fail_msg(
		    "%s exited %d: %s", argv[0], rc, err != NULL ? err : "");
	free(err);
}

// A self-signed certificate for 127.0.0.1: dir/name.crt and dir/name.key.
static void
make_cert(const char *dir, const char *name)
{
	char key[1024], crt[1024];
	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	snprintf(crt, sizeof(crt), "%s/%s.crt", dir, name);
	char *argv[] = {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec",
	    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
	    key, "-out", crt, "-days", "2", "-subj", "/CN=127.0.0.1",
	    "-addext", "subjectAltName=IP:127.0.0.1", NULL};
	must_run(argv);
}

// mqtts:// with the broker's CA, a user name and a password from a file;
// then a CA that did not sign the broker's certificate, and a wrong
// password: no session, said in the log.
static void
test_tls_and_password(void **state)
{
	(void) state;
	if (skip_without_broker())
		skip();
	if (access("/usr/bin/openssl", X_OK) != 0
	    || access("/usr/bin/mosquitto_passwd", X_OK) != 0) {
		fprintf(stderr,
		    "openssl or mosquitto_passwd missing: the mqtts:// test "
		    "is skipped\n");
		skip();
	}
	make_payloads();
	edge_node n;
	assert_int_equal(edge_node_start(&n, "mqtt-tls"), 0);
	mqtt_broker b;
	assert_int_equal(mqtt_broker_dir(&b), 0);
	make_cert(b.dir, "broker");
	make_cert(b.dir, "other");
	char passwd[1024], pwfile[1024], tail[4096];
	snprintf(passwd, sizeof(passwd), "%s/passwd", b.dir);
	char *pw_argv[] = {"/usr/bin/mosquitto_passwd", "-b", "-c", passwd,
	    "enfed", "s3cret word", NULL};
	must_run(pw_argv);
	snprintf(pwfile, sizeof(pwfile), "%s/mqtt.password", n.dir);
	FILE *f = fopen(pwfile, "w");
	assert_non_null(f);
	fputs("s3cret word\n", f);
	fclose(f);
	int tls_port = fed_test_free_port();
	snprintf(tail, sizeof(tail),
	    "listener %d 127.0.0.1\n"
	    "allow_anonymous false\n"
	    "password_file %s\n"
	    "certfile %s/broker.crt\n"
	    "keyfile %s/broker.key\n",
	    tls_port, passwd, b.dir, b.dir);
	assert_int_equal(
	    mqtt_broker_start_with(&b, "per_listener_settings true\n", tail),
	    0);
	char url[64], ca[1100], other[1100], pw[1100];
	snprintf(url, sizeof(url), "mqtts://127.0.0.1:%d", tls_port);
	snprintf(ca, sizeof(ca), "--broker-ca=%s/broker.crt", b.dir);
	snprintf(other, sizeof(other), "--broker-ca=%s/other.crt", b.dir);
	snprintf(pw, sizeof(pw), "--broker-password=@%s", pwfile);

	collector c;
	collector_init(&c, &n, "tele/+/SENSOR tasmota-teleinfo linky\n");
	const char *good[] = {ca, "--broker-username=enfed", pw, NULL};
	collector_start_ex(&c, &n, url, "tls", good, 1);
	publish(&b, 0, 3);
	assert_int_equal(
	    edge_wait_points(n.client, "mqtt/linky/index_base", 3, 20000), 3);
	collector_stop(&c, SIGTERM);

	// Another CA: the handshake fails, nothing comes.
	const char *bad_ca[] = {other, "--broker-username=enfed", pw,
	    "--client-id=enfed-bad-ca", NULL};
	collector_start_ex(&c, &n, url, "tls-bad-ca", bad_ca, 0);
	if (!wait_in_file(c.log, "unreachable", 1, 10000)) {
		edge_dump_file(c.log);
		fail_msg("no word of the failed handshake");
	}
	collector_stop(&c, SIGTERM);
	assert_int_equal(count_in_file(c.log, "subscribed"), 0);

	// A wrong password: the broker refuses the session.
	const char *bad_pw[] = {ca, "--broker-username=enfed",
	    "--broker-password=guess", "--client-id=enfed-bad-pw", NULL};
	collector_start_ex(&c, &n, url, "tls-bad-pw", bad_pw, 0);
	if (!wait_in_file(c.log, "refused the connection", 1, 10000)) {
		edge_dump_file(c.log);
		fail_msg("no word of the refused password");
	}
	collector_stop(&c, SIGTERM);
	assert_int_equal(count_in_file(c.log, "subscribed"), 0);

	mqtt_broker_free(&b);
	edge_node_stop(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_exactly_once, edge_test_teardown),
	    cmocka_unit_test_teardown(test_decoders, edge_test_teardown),
	    cmocka_unit_test_teardown(
	        test_tls_and_password, edge_test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
