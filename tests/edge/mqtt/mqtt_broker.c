// SPDX-License-Identifier: MIT
//
// mqtt_broker.c: a mosquitto broker and a publisher for the tests
// (mqtt_broker.h).

#include "mqtt_broker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mosquitto.h>

#include "fed_test.h"

const char *
mqtt_broker_program(void)
{
	static const char *const paths[] = {"/usr/sbin/mosquitto",
	    "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

static int
accepts(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in a
	    = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int ok = connect(fd, (struct sockaddr *) &a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static int
launch(mqtt_broker *b)
{
	char conf[1024], log[1024];
	snprintf(conf, sizeof(conf), "%s/mosquitto.conf", b->dir);
	snprintf(log, sizeof(log), "%s/mosquitto.log", b->dir);
	char *argv[] = {(char *) mqtt_broker_program(), "-c", conf, NULL};
	b->pid = fed_test_proc_start(argv, log);
	if (b->pid <= 0)
		return -1;
	for (int i = 0; i < 1000; i++) {
		if (accepts(b->port))
			return 0;
		fed_test_sleep_ms(10);
	}
	return -1;
}

int
mqtt_broker_dir(mqtt_broker *b)
{
	memset(b, 0, sizeof(*b));
	if (mqtt_broker_program() == NULL)
		return -1;
	b->dir = fed_test_tmpdir("mosquitto");
	b->port = fed_test_free_port();
	if (b->dir == NULL || b->port <= 0)
		return -1;
	snprintf(b->url, sizeof(b->url), "mqtt://127.0.0.1:%d", b->port);
	return 0;
}

int
mqtt_broker_start_with(mqtt_broker *b, const char *head, const char *tail)
{
	if (b->dir == NULL && mqtt_broker_dir(b) != 0)
		return -1;
	char conf[1024];
	snprintf(conf, sizeof(conf), "%s/mosquitto.conf", b->dir);
	FILE *f = fopen(conf, "w");
	if (f == NULL)
		return -1;
	// user root: mosquitto started as root (CI) would otherwise become
	// user mosquitto, who cannot write this folder.
	fprintf(f,
	    "%s"
	    "persistence true\n"
	    "persistence_location %s/\n"
	    "autosave_interval 1\n"
	    "max_queued_messages 100000\n"
	    "log_dest stderr\n"
	    "log_type error\n"
	    "log_type warning\n"
	    "log_type notice\n"
	    "%s"
	    "listener %d 127.0.0.1\n"
	    "allow_anonymous true\n"
	    "%s",
	    head != NULL ? head : "", b->dir,
	    getuid() == 0 ? "user root\n" : "", b->port,
	    tail != NULL ? tail : "");
	fclose(f);
	return launch(b);
}

int
mqtt_broker_start(mqtt_broker *b)
{
	memset(b, 0, sizeof(*b));
	return mqtt_broker_start_with(b, NULL, NULL);
}

void
mqtt_broker_stop(mqtt_broker *b)
{
	if (b->pid > 0)
		fed_test_proc_stop(b->pid, SIGTERM, 10000);
	b->pid = 0;
}

int
mqtt_broker_restart(mqtt_broker *b)
{
	mqtt_broker_stop(b);
	return launch(b);
}

void
mqtt_broker_free(mqtt_broker *b)
{
	mqtt_broker_stop(b);
	if (b->dir != NULL) {
		fed_test_rmtree(b->dir);
		free(b->dir);
	}
	b->dir = NULL;
}

struct pub {
	size_t acked;
	bool connected;
};

static void
on_publish(struct mosquitto *m, void *arg, int mid)
{
	(void) m;
	(void) mid;
	((struct pub *) arg)->acked++;
}

static void
on_connect(struct mosquitto *m, void *arg, int rc)
{
	(void) m;
	((struct pub *) arg)->connected = rc == 0;
}

int
mqtt_publish(int port, const char *topic, const char *const *payloads,
    size_t n, int qos, bool retain)
{
	mosquitto_lib_init();
	struct pub p = {0, false};
	struct mosquitto *m = mosquitto_new(NULL, true, &p);
	if (m == NULL)
		return -1;
	mosquitto_publish_callback_set(m, on_publish);
	mosquitto_connect_callback_set(m, on_connect);
	int rc = -1;
	if (mosquitto_connect(m, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS)
		goto out;
	for (int i = 0; i < 2000 && !p.connected; i++)
		mosquitto_loop(m, 10, 1);
	if (!p.connected)
		goto out;
	size_t sent = 0;
	int64_t end = fed_test_now_ms() + 20000;
	while (fed_test_now_ms() < end && (sent < n || p.acked < n)) {
		// Keep at most 16 in flight (the broker's default is 20).
		while (sent < n && sent - p.acked < 16) {
			const char *s = payloads[sent];
			if (mosquitto_publish(m, NULL, topic, (int) strlen(s),
			        s, qos, retain)
			    != MOSQ_ERR_SUCCESS)
				goto out;
			sent++;
		}
		if (mosquitto_loop(m, 10, 1) != MOSQ_ERR_SUCCESS)
			goto out;
	}
	if (p.acked >= n) {
		rc = 0;
		mosquitto_disconnect(m);
		mosquitto_loop(m, 10, 1);
	}
out:
	mosquitto_destroy(m);
	mosquitto_lib_cleanup();
	return rc;
}
