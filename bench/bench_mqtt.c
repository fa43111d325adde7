// SPDX-License-Identifier: MIT
//
// bench_mqtt.c: fed-edge-mqtt's figures. A local mosquitto broker (the
// tests' mqtt_broker: free loopback port, its files in a temporary folder)
// and a fed-node are started; M Tasmota Teleinfo telemetry messages (BASE
// and PAPP, each with its own "Time", a second apart) are published at
// QoS 1, and the time until the node holds all their points is taken.
// Prints `name value unit` lines, for --spool-sync=each (the default: an
// fdatasync per spooled record, two records a message: the index and the
// power go to separate spools) and group:
//   - mqtt_spool_each, mqtt_spool_group: messages per second from the
//     first publication to the last one in the spool, the node away (what
//     a board takes in, its disk to itself);
//   - mqtt_forward_each, mqtt_forward_group: messages per second from the
//     first publication to the last point stored on the node (decoding,
//     spool, Ingest included; node and collector share this machine's
//     disk);
//   - mqtt_vmhwm_*: the collector's peak resident memory in each run
//     (VmHWM of /proc/PID/status, read before it is stopped);
//   - mqtt_rss_idle: its VmRSS once connected and subscribed, before the
//     first message.
//
// Usage: bench_mqtt [M] (default 5000). Without mosquitto installed it
// says so and does nothing.

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed/log.h"
#include "fed/rpc.h"
#include "fed_test.h"
#include "mqtt_broker.h"

#define ADMIN "bench-mqtt-admin"

static int node_pid, collector_pid;
static mqtt_broker broker;
static char *scratch;

static void
cleanup(void)
{
	if (collector_pid > 0)
		fed_test_proc_stop(collector_pid, SIGTERM, 10000);
	if (node_pid > 0)
		fed_test_proc_stop(node_pid, SIGTERM, 10000);
	mqtt_broker_free(&broker);
	if (scratch != NULL)
		fed_test_rmtree(scratch);
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_mqtt: %s\n", what);
	cleanup();
	exit(1);
}

static long
proc_kb(int pid, const char *key)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	long kb = -1;
	size_t k = strlen(key);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, k) == 0 && line[k] == ':')
			kb = strtol(line + k + 1, NULL, 10);
	if (f != NULL)
		fclose(f);
	return kb;
}

static uint64_t
n_points(fed_rpc_client *c, const char *id)
{
	char *ids[1] = {(char *) id};
	Enfed__V1__LatestRequest req = ENFED__V1__LATEST_REQUEST__INIT;
	req.series_ids = ids;
	req.n_series_ids = 1;
	Enfed__V1__LatestResponse *rep = NULL;
	if (fed_rpc_call(c, &enfed__v1__series_store__descriptor, "Latest",
	        &req.base, (ProtobufCMessage **) &rep, NULL, 0)
	    != FED_OK)
		return 0;
	uint64_t n = rep->n_series == 1 ? rep->series[0]->n_points : 0;
	enfed__v1__latest_response__free_unpacked(rep, NULL);
	return n;
}

// Lines of path holding needle, counted from *offset on (advanced).
static size_t
log_count(const char *path, const char *needle, long *offset)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	size_t n = 0;
	if (f == NULL || fseek(f, *offset, SEEK_SET) != 0) {
		if (f != NULL)
			fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);
		if (len == 0 || line[len - 1] != '\n')
			break; // a line still being written: next time
		n += strstr(line, needle) != NULL;
		*offset += (long) len;
	}
	fclose(f);
	return n;
}

static int
log_has(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	int found = 0;
	while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	if (f != NULL)
		fclose(f);
	return found;
}

struct pub_arg {
	const char *const *p;
	size_t n;
	int rc;
};

static void *
publisher(void *arg)
{
	struct pub_arg *a = arg;
	a->rc = mqtt_publish(
	    broker.port, "tele/linky/SENSOR", a->p, a->n, 1, false);
	return NULL;
}

// One run: the m messages through a new collector with --spool-sync=sync
// into site `site` of the node at rpc; with c NULL, the node is away and
// the run ends when every message is in the spool (the collector's debug
// lines counted).
static void
run(const char *dir, const char *rpc, fed_rpc_client *c, char **payloads,
    size_t m, const char *sync, const char *site)
{
	const char *what = c != NULL ? "forward" : "spool";
	char a[6][1200], map[1100], log[1100], id[128];
	snprintf(map, sizeof(map), "%s/mapping", dir);
	FILE *f = fopen(map, "w");
	if (f == NULL)
		die("cannot write the mapping");
	fputs("tele/+/SENSOR tasmota-teleinfo linky\n", f);
	fclose(f);
	snprintf(log, sizeof(log), "%s/mqtt-%s-%s.log", dir, what, sync);
	snprintf(a[0], sizeof(a[0]), "--node=%s", rpc);
	snprintf(a[1], sizeof(a[1]), "--broker=%s", broker.url);
	snprintf(a[2], sizeof(a[2]), "--mapping=%s", map);
	snprintf(
	    a[3], sizeof(a[3]), "--spool-dir=%s/spool-%s-%s", dir, what, sync);
	snprintf(a[4], sizeof(a[4]), "--spool-sync=%s", sync);
	snprintf(a[5], sizeof(a[5]), "--site=%s", site);
	char *argv[] = {FED_EDGE_MQTT_BIN, a[0], a[1], a[2], a[3], a[4], a[5],
	    "--token=" ADMIN,
	    c != NULL ? "--log-level=info" : "--log-level=debug", NULL};
	collector_pid = fed_test_proc_start(argv, log);
	if (collector_pid <= 0)
		die("cannot start fed-edge-mqtt");
	for (int i = 0; i < 1000 && !log_has(log, "subscribed to all"); i++)
		fed_test_sleep_ms(10);
	if (!log_has(log, "subscribed to all"))
		die("fed-edge-mqtt did not subscribe");
	long idle = proc_kb(collector_pid, "VmRSS");
	snprintf(id, sizeof(id), "%s/linky/power", site);
	struct pub_arg pa = {(const char *const *) payloads, m, -1};
	int64_t t0 = fed_clock_mono_ms();
	pthread_t th;
	if (pthread_create(&th, NULL, publisher, &pa) != 0)
		die("cannot start the publisher");
	uint64_t got = 0;
	long offset = 0;
	for (int i = 0; i < 24000 && got < m; i++) {
		fed_test_sleep_ms(5);
		got = c != NULL
		    ? n_points(c, id)
		    : got + log_count(log, "spooled, 2 points", &offset);
	}
	int64_t ms = fed_clock_mono_ms() - t0;
	pthread_join(th, NULL);
	long hwm = proc_kb(collector_pid, "VmHWM");
	fed_test_proc_stop(collector_pid, SIGTERM, 10000);
	collector_pid = 0;
	if (pa.rc != 0)
		die("the publisher failed");
	if (got < m)
		die(c != NULL
		        ? "the node did not get every message in 120 s"
		        : "the spool did not get every message in 120 s");
	if (strcmp(sync, "each") == 0 && c == NULL)
		printf("mqtt_rss_idle %.2f MB\n", (double) idle / 1024);
	printf("mqtt_%s_%s %.0f messages/s\n", what, sync,
	    (double) m * 1000 / (double) (ms > 0 ? ms : 1));
	printf("mqtt_vmhwm_%s_%s %.2f MB\n", what, sync, (double) hwm / 1024);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	long m = argc > 1 ? strtol(argv[1], NULL, 10) : 5000;
	if (m < 1 || m > 200000)
		die("M: 1 to 200000");
	if (mqtt_broker_program() == NULL) {
		printf("# bench_mqtt: skipped, mosquitto is not installed "
		       "(apt-get install mosquitto)\n");
		return 0;
	}
	fed_log_set_sink(fed_log_stderr_sink, NULL);
	fed_log_set_level(FED_LOG_ERR);
	char *dir = fed_test_tmpdir("bench-mqtt");
	scratch = dir;
	char rpc[160], stream[160];
	fed_test_ipc_url(rpc, sizeof(rpc), "benchrpc");
	fed_test_ipc_url(stream, sizeof(stream), "benchstream");
	node_pid = dir == NULL ? -1
	                       : fed_test_node_start(FED_NODE_BIN, "node", dir,
	                           rpc, stream, ADMIN, NULL);
	if (node_pid <= 0)
		die("cannot start fed-node");
	if (mqtt_broker_start(&broker) != 0)
		die("cannot start mosquitto");
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = rpc;
	o.token = ADMIN;
	fed_rpc_client *c = NULL;
	if (fed_rpc_client_new(&o, &c) != FED_OK)
		die("cannot reach the node");
	char **payloads = calloc((size_t) m, sizeof(*payloads));
	if (payloads == NULL)
		die("out of memory");
	for (long i = 0; i < m; i++) {
		// A second apart from 2026-01-15T00:00:00 Paris time.
		long s = i % 86400;
		payloads[i] = malloc(400);
		if (payloads[i] == NULL)
			die("out of memory");
		snprintf(payloads[i], 400,
		    "{\"Time\":\"2026-01-%02ldT%02ld:%02ld:%02ld\",\"ENERGY\":"
		    "{\"Total\":%.3f,\"Power\":%ld},\"TIC\":{\"ADCO\":"
		    "\"031762001234\",\"OPTARIF\":\"BASE\",\"ISOUSC\":30,"
		    "\"BASE\":%ld,\"PTEC\":\"TH..\",\"IINST\":2,\"IMAX\":90,"
		    "\"PAPP\":%ld,\"HHPHC\":\"A\",\"MOTDETAT\":0}}",
		    15 + i / 86400, s / 3600, s / 60 % 60, s % 60,
		    (double) (12000000 + i) / 1000, 300 + i % 500,
		    12000000 + i, 300 + i % 500);
	}
	char away[160];
	fed_test_ipc_url(away, sizeof(away), "nobody");
	run(dir, away, NULL, payloads, (size_t) m, "each", "se");
	run(dir, away, NULL, payloads, (size_t) m, "group", "sg");
	run(dir, rpc, c, payloads, (size_t) m, "each", "fe");
	run(dir, rpc, c, payloads, (size_t) m, "group", "fg");
	for (long i = 0; i < m; i++)
		free(payloads[i]);
	free(payloads);
	fed_rpc_client_free(c);
	cleanup();
	free(dir);
	return 0;
}
