// SPDX-License-Identifier: MIT
//
// test_node_metrics.c: a real fed-node with --metrics-listen on a free
// loopback port. A few calls are made (series created, three Ingest, one
// Query, calls with a wrong token and with none), then /metrics is
// scraped with curl and its figures checked against what was done: calls
// by method and status, points ingested, stream frames, auth failures by
// reason, the store's size, no series id anywhere in the text; and the
// outbox depth and lag of a live grant whose grantee cannot be reached. When
// promtool (Debian's prometheus package) is installed, the scrape must
// pass `promtool check metrics`; otherwise that step says it is skipped.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed_test.h"

#define ADMIN  "metrics-admin-token"
#define SERIES "metricsite/meter/energy"
#define T0     INT64_C(1700000000000)

struct node {
	char *dir;
	int pid, metrics_port;
	char rpc[64], stream[64], metrics[64];
};

static int
setup(void **state)
{
	struct node *n = calloc(1, sizeof(*n));
	assert_non_null(n);
	n->dir = fed_test_tmpdir("node-metrics");
	assert_non_null(n->dir);
	snprintf(n->rpc, sizeof(n->rpc), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	snprintf(n->stream, sizeof(n->stream), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	n->metrics_port = fed_test_free_port();
	assert_true(n->metrics_port > 0);
	char opt[128];
	snprintf(opt, sizeof(opt), "--metrics-listen=http://127.0.0.1:%d",
	    n->metrics_port);
	snprintf(n->metrics, sizeof(n->metrics), "http://127.0.0.1:%d/metrics",
	    n->metrics_port);
	const char *const extra[] = {opt, NULL};
	n->pid = fed_test_node_start_ex(FED_NODE_BIN, "metrics", n->dir,
	    n->rpc, n->stream, ADMIN, NULL, extra);
	assert_true(n->pid > 0);
	*state = n;
	return 0;
}

static int
teardown(void **state)
{
	struct node *n = *state;
	assert_int_equal(fed_test_proc_stop(n->pid, SIGTERM, 10000), 0);
	fed_test_rmtree(n->dir);
	free(n->dir);
	free(n);
	return 0;
}

// The scrape, into *text (heap); also written to DIR/scrape.txt for
// promtool. The curl exit status.
static int
scrape(const struct node *n, char **text)
{
	char *argv[] = {"/usr/bin/curl", "-sS", "--fail", "--max-time", "10",
	    (char *) n->metrics, NULL};
	int rc = fed_test_run(argv, NULL, text, NULL);
	if (rc != 0)
		return rc;
	char path[4200];
	snprintf(path, sizeof(path), "%s/scrape.txt", n->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(*text, f);
	fclose(f);
	return 0;
}

// The value of the sample whose line starts with `series` followed by a
// space; -1 when there is none.
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

static void
create_series(fed_rpc_client *c)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = SERIES;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 60;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(c, "CreateSeries", &req, &info), FED_OK);
	enfed__v1__series_info__free_unpacked(info, NULL);
}

// promtool check metrics on DIR/scrape.txt (skipped without promtool).
static void
promtool_check(const struct node *n)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/scrape.txt", n->dir);
	assert_int_not_equal(fed_test_promtool(path), -1);
}

static void
figures_match_the_calls(void **state)
{
	struct node *n = *state;
	fed_rpc_client *adm = fed_test_client(n->rpc, ADMIN);
	fed_rpc_client *bad = fed_test_client(n->rpc, "not-a-token");
	fed_rpc_client *none = fed_test_client(n->rpc, NULL);
	assert_non_null(adm);
	assert_non_null(bad);
	assert_non_null(none);
	create_series(adm);
	uint64_t stored = 0, total = 0;
	for (int i = 0; i < 3; i++) {
		uint64_t sent = 0, st = 0;
		// The second call resends the first: 10 duplicates.
		int64_t from = T0 + (i == 2 ? 600000 : 0);
		assert_int_equal(
		    fed_test_ingest_every(adm, SERIES, from, from + 600000,
		        60000, 1.0, 0, 0, &sent, &st),
		    FED_OK);
		stored += st;
		total += sent;
	}
	assert_int_equal(stored, 20);
	assert_int_equal(total, 30);
	Enfed__V1__QueryResponse *res = NULL;
	assert_int_equal(fed_test_query(adm, SERIES, T0, T0 + 3600000,
	                     ENFED__V1__STEP__STEP_RAW, NULL, &res, NULL, 0),
	    FED_OK);
	protobuf_c_message_free_unpacked(&res->base, NULL);
	assert_int_equal(fed_test_query(bad, SERIES, T0, T0 + 3600000,
	                     ENFED__V1__STEP__STEP_RAW, NULL, &res, NULL, 0),
	    FED_UNAUTHENTICATED);
	assert_int_equal(fed_test_query(none, SERIES, T0, T0 + 3600000,
	                     ENFED__V1__STEP__STEP_RAW, NULL, &res, NULL, 0),
	    FED_UNAUTHENTICATED);

	char *text = NULL;
	assert_int_equal(scrape(n, &text), 0);
	assert_int_equal(sample(text,
	                     "enfed_rpc_calls_total{method=\"/enfed.v1."
	                     "SeriesStore/Ingest\",status=\"OK\"}"),
	    3);
	assert_int_equal(sample(text,
	                     "enfed_rpc_calls_total{method=\"/enfed.v1."
	                     "SeriesStore/Query\",status=\"OK\"}"),
	    1);
	assert_int_equal(
	    sample(text,
	        "enfed_rpc_calls_total{method=\"/enfed.v1."
	        "SeriesStore/Query\",status=\"UNAUTHENTICATED\"}"),
	    2);
	assert_int_equal(sample(text,
	                     "enfed_rpc_call_duration_seconds_count{method="
	                     "\"/enfed.v1.SeriesStore/Ingest\"}"),
	    3);
	assert_int_equal(sample(text,
	                     "enfed_rpc_call_duration_seconds_bucket{method="
	                     "\"/enfed.v1.SeriesStore/Ingest\",le=\"+Inf\"}"),
	    3);
	assert_int_equal(
	    sample(
	        text, "enfed_auth_failures_total{reason=\"invalid_token\"}"),
	    1);
	assert_int_equal(
	    sample(
	        text, "enfed_auth_failures_total{reason=\"missing_token\"}"),
	    1);
	assert_int_equal(
	    sample(text, "enfed_points_ingested_total{result=\"stored\"}"),
	    20);
	assert_int_equal(
	    sample(text, "enfed_points_ingested_total{result=\"duplicate\"}"),
	    10);
	// Group commit: three calls one after another, three commits.
	assert_int_equal(sample(text, "enfed_store_commit_calls_total"), 3);
	assert_int_equal(sample(text, "enfed_store_commits_total"), 3);
	// No subscriber is connected to the node's stream: no frame was
	// built (lib/stream.c), so none counts as sent (the counter appears
	// with the first frame: -1, not there).
	assert_true(sample(text, "enfed_stream_frames_sent_total") <= 0);
	assert_true(sample(text, "enfed_store_size_bytes{file=\"db\"}") > 0);
	assert_int_equal(sample(text, "enfed_alarms_active"), 0);
	assert_non_null(
	    strstr(text, "\nenfed_build_info{program=\"fed-node\",version="));
	// A method the caller makes up is not a label.
	assert_null(strstr(text, "metricsite"));
	promtool_check(n);
	free(text);
	fed_rpc_client_free(adm);
	fed_rpc_client_free(bad);
	fed_rpc_client_free(none);
}

static void
only_metrics_is_served(void **state)
{
	struct node *n = *state;
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", n->metrics_port);
	char *argv[] = {"/usr/bin/curl", "-s", "-o", "/dev/null", "-w",
	    "%{http_code}", "--max-time", "10", url, NULL};
	char *out = NULL;
	assert_int_equal(fed_test_run(argv, NULL, &out, NULL), 0);
	assert_string_equal(out, "404");
	free(out);
}

// A live grant to a node that cannot be reached: its backlog waits in the
// outbox, shown under the grant's id (not its token, not the series).
static void
outbox_by_grant(void **state)
{
	struct node *n = *state;
	fed_rpc_client *adm = fed_test_client(n->rpc, ADMIN);
	assert_non_null(adm);
	create_series(adm);
	uint64_t stored = 0;
	assert_int_equal(fed_test_ingest_every(adm, SERIES, T0, T0 + 600000,
	                     60000, 2.0, 0, 0, NULL, &stored),
	    FED_OK);
	assert_int_equal(stored, 10);
	fed_test_grant_spec g = {.series = SERIES,
	    .grantee = "faraway",
	    .live = 1,
	    .finest = ENFED__V1__STEP__STEP_RAW};
	char id[40];
	fed_status st;
	char *token = fed_test_grant(adm, &g, id, &st);
	assert_non_null(token);
	char depth[128], lag[128];
	snprintf(depth, sizeof(depth),
	    "enfed_replication_outbox_records{grant=\"%s\"}", id);
	snprintf(lag, sizeof(lag),
	    "enfed_replication_lag_seconds{grant=\"%s\"}", id);
	char *text = NULL;
	assert_int_equal(scrape(n, &text), 0);
	assert_int_equal(sample(text, depth), 10);
	// The oldest point waiting is T0 (November 2023): more than a year.
	assert_true(sample(text, lag) > 365 * 86400.0);
	assert_null(strstr(text, token));
	assert_null(strstr(text, "faraway"));
	assert_null(strstr(text, "metricsite"));
	promtool_check(n);
	free(text);
	free(token);
	fed_rpc_client_free(adm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        figures_match_the_calls, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        only_metrics_is_served, setup, teardown),
	    cmocka_unit_test_setup_teardown(outbox_by_grant, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
