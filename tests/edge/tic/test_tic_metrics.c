// SPDX-License-Identifier: MIT
//
// test_tic_metrics.c: an edge collector's /metrics (fed-edge-tic with
// --metrics-listen on a free loopback port, frames written to a FIFO).
// While its node is down, the scrape shows records waiting in the spool,
// their bytes, the age of the oldest point and failed sends; once the node
// is back and has every point, the spool is empty and the points sent are
// counted. Each scrape passes `promtool check metrics` when promtool
// (Debian's prometheus package) is installed.

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "edge_test.h"
#include "fed/clock.h"
#include "fed_test.h"

#define T0 INT64_C(1767222000000) // 2026-01-01T00:00:00+01:00

static uint8_t *
read_fixture(const char *name, size_t *len)
{
	char path[1024];
	snprintf(
	    path, sizeof(path), "%s/tic/%s", getenv("FED_FIXTURES"), name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t *buf = malloc(1 << 20);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	assert_true(*len > 0);
	return buf;
}

static void
write_all(int fd, const uint8_t *buf, size_t len)
{
	int64_t end = fed_clock_mono_ms() + 10000;
	while (len > 0 && fed_clock_mono_ms() < end) {
		ssize_t k = write(fd, buf, len);
		if (k > 0) {
			buf += k;
			len -= (size_t) k;
		} else if (k < 0 && errno != EAGAIN && errno != EINTR) {
			break;
		} else {
			nanosleep(&(struct timespec) {0, 10000000}, NULL);
		}
	}
	assert_int_equal(len, 0);
}

// The value of the sample `series` in text; -1 when absent.
static double
sample(const char *text, const char *series)
{
	size_t len = strlen(series);
	for (const char *p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, series, len) == 0 && p[len] == ' ')
			return strtod(p + len + 1, NULL);
		p = strchr(p, '\n');
		p = p != NULL ? p + 1 : NULL;
	}
	return -1;
}

// Scrapes url into a new string (NULL when nothing answers) and, when
// promtool is installed, checks it with `promtool check metrics` (through
// file, a scratch path).
static char *
scrape(const char *url, const char *file)
{
	char *argv[] = {"/usr/bin/curl", "-sS", "--fail", "--max-time", "10",
	    (char *) url, NULL};
	char *text = NULL;
	if (fed_test_run(argv, NULL, &text, NULL) != 0) {
		free(text); // not listening yet (the collector is starting)
		return NULL;
	}
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_not_equal(fed_test_promtool(file), -1);
	return text;
}

// Scrapes until sample `series` is above min (20 s at most); the last
// scrape.
static char *
scrape_until(const char *url, const char *file, const char *series, double min)
{
	int64_t end = fed_clock_mono_ms() + 20000;
	for (;;) {
		char *text = scrape(url, file);
		if (text != NULL && sample(text, series) > min)
			return text;
		if (fed_clock_mono_ms() > end) {
			assert_non_null(text);
			return text;
		}
		free(text);
		nanosleep(&(struct timespec) {0, 100000000}, NULL);
	}
}

static void
spool_figures_follow_the_node(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "tic-metrics"), 0);
	edge_node_kill(&n, SIGTERM); // down from the start
	size_t len;
	uint8_t *buf = read_fixture("historic_tempo_frames.bin", &len);
	char fifo[1024], log[1024], file[1024], url[64], opt[96];
	snprintf(fifo, sizeof(fifo), "%s/tic.fifo", n.dir);
	snprintf(log, sizeof(log), "%s/tic.log", n.dir);
	snprintf(file, sizeof(file), "%s/scrape.txt", n.dir);
	int port = fed_test_free_port();
	assert_true(port > 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
	snprintf(
	    opt, sizeof(opt), "--metrics-listen=http://127.0.0.1:%d", port);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	int w = open(fifo, O_RDWR | O_NONBLOCK); // never blocks, never EOF
	assert_true(w >= 0);
	char a[5][1100];
	snprintf(a[0], sizeof(a[0]), "--node=%s", n.rpc);
	snprintf(a[1], sizeof(a[1]), "--input=%s", fifo);
	snprintf(a[2], sizeof(a[2]), "--spool-dir=%s/spool", n.dir);
	snprintf(a[3], sizeof(a[3]), "--token=%s", EDGE_TEST_ADMIN);
	snprintf(a[4], sizeof(a[4]), "--replay-clock=%lld", (long long) T0);
	char *argv[] = {FED_EDGE_TIC_BIN, a[0], a[1], a[2], a[3], a[4], opt,
	    "--follow", "--site=mx", "--period=0", "--power-period=0",
	    "--rpc-timeout=1s", "--backoff-min=50ms", "--backoff-max=300ms",
	    NULL};
	int pid = edge_proc_start(argv, log);
	assert_true(pid > 0);
	write_all(w, buf, len);

	char *text
	    = scrape_until(url, file, "enfed_edge_send_failures_total", 0);
	double waiting = sample(text, "enfed_spool_records{spool=\"index\"}")
	    + sample(text, "enfed_spool_records{spool=\"samples\"}");
	assert_true(waiting > 0);
	assert_true(sample(text, "enfed_spool_bytes{spool=\"index\"}")
	        + sample(text, "enfed_spool_bytes{spool=\"samples\"}")
	    > 16 * waiting);
	assert_true(sample(text, "enfed_spool_oldest_age_seconds") > 0);
	assert_true(sample(text, "enfed_edge_send_failures_total") > 0);
	assert_int_equal(
	    sample(text, "enfed_edge_points_sent_total{result=\"stored\"}"),
	    0);
	assert_non_null(strstr(
	    text, "\nenfed_build_info{program=\"fed-edge-tic\",version="));
	assert_null(strstr(text, "mx/linky")); // no series id
	free(text);

	assert_int_equal(edge_node_restart(&n), 0);
	assert_int_equal(
	    edge_wait_points(n.client, "mx/linky/power", 10, 30000), 10);
	text = scrape_until(
	    url, file, "enfed_edge_points_sent_total{result=\"stored\"}", 9);
	assert_true(
	    sample(text, "enfed_edge_points_sent_total{result=\"stored\"}")
	    >= 10);
	assert_true(sample(text, "enfed_edge_records_sent_total") > 0);
	free(text);
	text = scrape_until(url, file, "enfed_spool_oldest_age_seconds", -1);
	for (int i = 0;
	     i < 100 && sample(text, "enfed_spool_oldest_age_seconds") != 0;
	     i++) { // the last records may still be on their way
		free(text);
		nanosleep(&(struct timespec) {0, 100000000}, NULL);
		text = scrape(url, file);
		assert_non_null(text);
	}
	assert_int_equal(sample(text, "enfed_spool_oldest_age_seconds"), 0);
	assert_int_equal(
	    sample(text, "enfed_spool_records{spool=\"index\"}"), 0);
	free(text);
	assert_int_equal(edge_proc_stop(pid, SIGTERM, 10000), 0);
	close(w);
	free(buf);
	edge_node_stop(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(
	        spool_figures_follow_the_node, edge_test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
