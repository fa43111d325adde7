// SPDX-License-Identifier: MIT
//
// test_metrics.c: fed/metrics.h: the exact text of a few families
// (counter with labels, escaping, gauge, histogram buckets, sparse
// children, collectors), the refusal of bad names and of a family
// registered twice with another shape, updates from many threads, and
// /metrics served over HTTP.

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fed/metrics.h"
#include "fed_test.h"

static char *
render(fed_metrics *m)
{
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(fed_metrics_render(m, &text, &len), FED_OK);
	assert_int_equal(strlen(text), len);
	return text;
}

static void
counter_labels_escaped(void **state)
{
	(void) state;
	fed_metrics *m = NULL;
	assert_int_equal(fed_metrics_new(&m), FED_OK);
	fed_metrics_desc d = {.name = "enfed_rpc_calls_total",
	    .help = "calls\\served\nby method",
	    .type = FED_METRIC_COUNTER,
	    .labels = {"method", "status"},
	    .n_labels = 2};
	fed_metrics_family *f = NULL;
	assert_int_equal(fed_metrics_family_get(m, &d, &f), FED_OK);
	fed_metric *a = NULL, *b = NULL, *again = NULL;
	const char *va[] = {"/enfed.v1.SeriesStore/Ingest", "OK"};
	const char *vb[] = {"a\"b\\c\nd", "UNAUTHENTICATED"};
	assert_int_equal(fed_metrics_child(f, va, &a), FED_OK);
	assert_int_equal(fed_metrics_child(f, vb, &b), FED_OK);
	assert_int_equal(fed_metrics_child(f, va, &again), FED_OK);
	assert_ptr_equal(a, again);
	fed_metric_inc(a);
	fed_metric_add(a, 2);
	fed_metric_inc(b);
	fed_metric_set(a, 100); // not a gauge: ignored
	char *text = render(m);
	assert_string_equal(text,
	    "# HELP enfed_rpc_calls_total calls\\\\served\\nby method\n"
	    "# TYPE enfed_rpc_calls_total counter\n"
	    "enfed_rpc_calls_total{method=\"/enfed.v1.SeriesStore/Ingest\","
	    "status=\"OK\"} 3\n"
	    "enfed_rpc_calls_total{method=\"a\\\"b\\\\c\\nd\","
	    "status=\"UNAUTHENTICATED\"} 1\n");
	free(text);
	fed_metrics_free(m);
}

static void
gauge_and_plain_counter(void **state)
{
	(void) state;
	fed_metrics *m = NULL;
	assert_int_equal(fed_metrics_new(&m), FED_OK);
	fed_metric *g = fed_metrics_gauge(m, "enfed_x_bytes", "size");
	fed_metric *c = fed_metrics_counter(m, "enfed_y_total", "events");
	fed_metric_set(g, 1.5);
	fed_metric_add(g, -3);
	fed_metric_add(c, -3); // a counter never goes down: ignored
	char *text = render(m);
	assert_string_equal(text,
	    "# HELP enfed_x_bytes size\n"
	    "# TYPE enfed_x_bytes gauge\n"
	    "enfed_x_bytes -1.5\n"
	    "# HELP enfed_y_total events\n"
	    "# TYPE enfed_y_total counter\n"
	    "enfed_y_total 0\n");
	free(text);
	fed_metric_set(g, 0.1);
	text = render(m);
	assert_non_null(strstr(text, "enfed_x_bytes 0.1\n"));
	free(text);
	fed_metrics_free(m);
}

static void
histogram_buckets(void **state)
{
	(void) state;
	fed_metrics *m = NULL;
	assert_int_equal(fed_metrics_new(&m), FED_OK);
	static const double b[] = {0.005, 0.1, 1};
	fed_metrics_desc d = {.name = "enfed_rpc_call_duration_seconds",
	    .help = "time",
	    .type = FED_METRIC_HISTOGRAM,
	    .labels = {"method"},
	    .n_labels = 1,
	    .buckets = b,
	    .n_buckets = 3,
	    .flags = FED_METRICS_SPARSE};
	fed_metrics_family *f = NULL;
	fed_metric *h = NULL, *unused = NULL;
	assert_int_equal(fed_metrics_family_get(m, &d, &f), FED_OK);
	assert_int_equal(
	    fed_metrics_child(f, (const char *[]) {"Q"}, &h), FED_OK);
	assert_int_equal(
	    fed_metrics_child(f, (const char *[]) {"never"}, &unused), FED_OK);
	fed_metric_observe(h, 0.005); // on a bound: that bucket (le)
	fed_metric_observe(h, 0.5);
	fed_metric_observe(h, 2);
	fed_metric_observe(h, 0.25);
	char *text = render(m);
	assert_string_equal(text,
	    "# HELP enfed_rpc_call_duration_seconds time\n"
	    "# TYPE enfed_rpc_call_duration_seconds histogram\n"
	    "enfed_rpc_call_duration_seconds_bucket{method=\"Q\",le=\"0.005\"}"
	    " "
	    "1\n"
	    "enfed_rpc_call_duration_seconds_bucket{method=\"Q\",le=\"0.1\"} "
	    "1\n"
	    "enfed_rpc_call_duration_seconds_bucket{method=\"Q\",le=\"1\"} 3\n"
	    "enfed_rpc_call_duration_seconds_bucket{method=\"Q\",le=\"+Inf\"} "
	    "4\n"
	    "enfed_rpc_call_duration_seconds_sum{method=\"Q\"} 2.755\n"
	    "enfed_rpc_call_duration_seconds_count{method=\"Q\"} 4\n");
	assert_int_equal((int) fed_metric_value(h), 4);
	free(text);
	fed_metrics_free(m);
}

static void
emit_two(fed_metrics_sink *sink, void *arg)
{
	int *n_calls = arg;
	(*n_calls)++;
	fed_metrics_emit(sink, (const char *[]) {"g1"}, 7);
	fed_metrics_emit(sink, (const char *[]) {"g\"2"}, 0.25);
	fed_metrics_emit(sink, NULL, 1); // missing labels: nothing
}

static void
collector_at_scrape(void **state)
{
	(void) state;
	fed_metrics *m = NULL;
	assert_int_equal(fed_metrics_new(&m), FED_OK);
	fed_metrics_desc d = {.name = "enfed_outbox_records",
	    .help = "depth",
	    .type = FED_METRIC_GAUGE,
	    .labels = {"grant"},
	    .n_labels = 1};
	int n_calls = 0;
	fed_metrics_collector *c = NULL;
	assert_int_equal(
	    fed_metrics_collector_new(m, &d, emit_two, &n_calls, &c), FED_OK);
	char *text = render(m);
	assert_string_equal(text,
	    "# HELP enfed_outbox_records depth\n"
	    "# TYPE enfed_outbox_records gauge\n"
	    "enfed_outbox_records{grant=\"g1\"} 7\n"
	    "enfed_outbox_records{grant=\"g\\\"2\"} 0.25\n");
	free(text);
	assert_int_equal(n_calls, 1);
	fed_metrics_collector_free(c);
	text = render(m); // no sample: no family
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(n_calls, 1);
	fed_metrics_free(m);
}

static void
bad_descriptions_refused(void **state)
{
	(void) state;
	fed_metrics *m = NULL;
	fed_metrics_family *f = NULL;
	assert_int_equal(fed_metrics_new(&m), FED_OK);
	fed_metrics_desc d = {.name = "9lives", .help = "", .type = 0};
	assert_int_equal(
	    fed_metrics_family_get(m, &d, &f), FED_INVALID_ARGUMENT);
	d.name = "enfed_a-b";
	assert_int_equal(
	    fed_metrics_family_get(m, &d, &f), FED_INVALID_ARGUMENT);
	d = (fed_metrics_desc) {.name = "enfed_a_total",
	    .help = "",
	    .labels = {"__x"},
	    .n_labels = 1};
	assert_int_equal(
	    fed_metrics_family_get(m, &d, &f), FED_INVALID_ARGUMENT);
	d.labels[0] = "ok";
	assert_int_equal(fed_metrics_family_get(m, &d, &f), FED_OK);
	d.type = FED_METRIC_GAUGE; // the same name, another type
	assert_int_equal(
	    fed_metrics_family_get(m, &d, &f), FED_INVALID_ARGUMENT);
	static const double down[] = {1, 0.5};
	d = (fed_metrics_desc) {.name = "enfed_h",
	    .help = "",
	    .type = FED_METRIC_HISTOGRAM,
	    .buckets = down,
	    .n_buckets = 2};
	assert_int_equal(
	    fed_metrics_family_get(m, &d, &f), FED_INVALID_ARGUMENT);
	fed_metrics_free(m);
}

struct hammer {
	fed_metric *c, *h;
};

static void *
hammer_main(void *arg)
{
	struct hammer *hm = arg;
	for (int i = 0; i < 10000; i++) {
		fed_metric_inc(hm->c);
		fed_metric_observe(hm->h, 0.5);
	}
	return NULL;
}

static void
many_threads_lose_nothing(void **state)
{
	(void) state;
	fed_metrics *m = NULL;
	assert_int_equal(fed_metrics_new(&m), FED_OK);
	fed_metrics_desc d = {.name = "enfed_h_seconds",
	    .help = "",
	    .type = FED_METRIC_HISTOGRAM,
	    .buckets = fed_metrics_seconds_buckets,
	    .n_buckets = fed_metrics_n_seconds_buckets};
	fed_metrics_family *f = NULL;
	struct hammer hm = {fed_metrics_counter(m, "enfed_c_total", ""), NULL};
	assert_int_equal(fed_metrics_family_get(m, &d, &f), FED_OK);
	assert_int_equal(fed_metrics_child(f, NULL, &hm.h), FED_OK);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(
		    pthread_create(&t[i], NULL, hammer_main, &hm), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal((int) fed_metric_value(hm.c), 40000);
	assert_int_equal((int) fed_metric_value(hm.h), 40000);
	char *text = render(m);
	assert_non_null(strstr(text, "enfed_h_seconds_sum 20000\n"));
	free(text);
	fed_metrics_free(m);
}

static void
served_over_http(void **state)
{
	(void) state;
	fed_metrics_server *s = NULL;
	assert_int_equal(fed_metrics_listen("", "x", &s), FED_OK);
	assert_null(s);
	assert_int_equal(fed_metrics_listen("tcp://127.0.0.1:0", "x", &s),
	    FED_INVALID_ARGUMENT);
	fed_metric *c = fed_metrics_counter(
	    fed_metrics_default(), "enfed_test_scraped_total", "a test");
	fed_metric_add(c, 5);
	assert_int_equal(
	    fed_metrics_listen("http://127.0.0.1:0", "test", &s), FED_OK);
	int port = fed_metrics_server_port(s);
	assert_true(port > 0);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
	char *out = NULL;
	char *argv[]
	    = {"/usr/bin/curl", "-sS", "--max-time", "10", "-i", url, NULL};
	assert_int_equal(fed_test_run(argv, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "200"));
	assert_non_null(strstr(out, "text/plain; version=0.0.4"));
	assert_non_null(strstr(out, "enfed_test_scraped_total 5\n"));
	assert_non_null(strstr(out, "enfed_build_info{program=\"test\","));
	free(out);
	fed_metrics_server_free(s);
}

// The hooks lib/ calls count in the default registry.
static void
hooks_count(void **state)
{
	(void) state;
	fed_metrics_tls_handshake_failure();
	fed_metrics_tls_handshake_failure();
	fed_metrics_stream_frame(true);
	fed_metrics_stream_frame(false);
	fed_metrics_http_response(404);
	fed_metrics_http_response(99); // not a status: not counted
	char *text = render(fed_metrics_default());
	assert_non_null(
	    strstr(text, "\nenfed_tls_handshake_failures_total 2\n"));
	assert_non_null(strstr(text, "\nenfed_stream_frames_sent_total 1\n"));
	assert_non_null(
	    strstr(text, "\nenfed_stream_frames_dropped_total 1\n"));
	assert_non_null(
	    strstr(text, "\nenfed_http_requests_total{code=\"4xx\"} 1\n"));
	assert_non_null(
	    strstr(text, "\nenfed_http_requests_total{code=\"2xx\"} 0\n"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(counter_labels_escaped),
	    cmocka_unit_test(gauge_and_plain_counter),
	    cmocka_unit_test(histogram_buckets),
	    cmocka_unit_test(collector_at_scrape),
	    cmocka_unit_test(bad_descriptions_refused),
	    cmocka_unit_test(many_threads_lose_nothing),
	    cmocka_unit_test(served_over_http),
	    cmocka_unit_test(hooks_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
