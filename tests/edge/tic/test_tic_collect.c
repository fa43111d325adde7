// SPDX-License-Identifier: MIT
//
// test_tic_collect.c: the sampling rules of fed-edge-tic (tic_collect) on
// frames built by hand: the frame's time (DATE, a degraded clock, the
// collector's clock), periods aligned on the clock, registers at zero,
// points not after the last one, values the strict getters refuse. The
// sender behind the collector has no node to reach: points only go to its
// spool, and the collector's counts are checked.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge_sender.h"
#include "fed/log.h"
#include "fed_test.h"
#include "tic_collect.h"

// 2026-01-01T00:00:00Z, a multiple of 5 minutes.
#define T0  INT64_C(1767225600000)
#define MIN INT64_C(60000)

typedef struct fixture {
	char *dir;
	edge_sender *sender;
	tic_collect *col;
} fixture;

static tic_frame frame;

static void
start(fixture *fx, int64_t period_ms)
{
	fx->dir = fed_test_tmpdir("tic-collect");
	assert_non_null(fx->dir);
	char url[160];
	fed_test_ipc_url(url, sizeof(url), "nobody");
	edge_sender_opts o;
	edge_sender_opts_default(&o);
	o.node_url = url;
	o.spool_dir = fx->dir;
	o.rpc_timeout_ms = 200;
	o.backoff_min_ms = 50;
	o.backoff_max_ms = 100;
	assert_int_equal(edge_sender_new(&o, &fx->sender), FED_OK);
	tic_collect_opts co = {.site = "home",
	    .meter = "linky",
	    .owner = "",
	    .period_ms = period_ms,
	    .power_period_ms = period_ms};
	assert_int_equal(tic_collect_new(&co, fx->sender, &fx->col), FED_OK);
}

static void
stop(fixture *fx)
{
	tic_collect_free(fx->col);
	edge_sender_free(fx->sender);
	fed_test_rmtree(fx->dir);
	free(fx->dir);
}

static void
begin(tic_mode mode)
{
	memset(&frame, 0, sizeof(frame));
	frame.mode = mode;
}

static void
group(const char *label, const char *horodate, const char *data)
{
	tic_group *g = &frame.groups[frame.n_groups++];
	snprintf(g->label, sizeof(g->label), "%s", label);
	snprintf(g->horodate, sizeof(g->horodate), "%s", horodate);
	snprintf(g->data, sizeof(g->data), "%s", data);
}

static size_t
collect(fixture *fx, int64_t clock_ms)
{
	size_t n = 99;
	assert_int_equal(
	    tic_collect_frame(fx->col, &frame, clock_ms, &n), FED_OK);
	return n;
}

static void
historic(const char *base, const char *papp)
{
	begin(TIC_MODE_HISTORIC);
	group("ADCO", "", "021861348497");
	group("BASE", "", base);
	group("PAPP", "", papp);
}

static void
test_frame_time(void **state)
{
	(void) state;
	int from_meter = -1;
	begin(TIC_MODE_STANDARD);
	group("DATE", "H260101120000", ""); // winter: UTC+1
	assert_int_equal(tic_collect_frame_time(&frame, 5, &from_meter),
	    T0 + 11 * 60 * MIN);
	assert_int_equal(from_meter, 1);
	begin(TIC_MODE_STANDARD);
	group("DATE", "h260101120000", ""); // a degraded clock
	assert_int_equal(tic_collect_frame_time(&frame, 5, &from_meter), 5);
	assert_int_equal(from_meter, 0);
	begin(TIC_MODE_STANDARD);
	group("DATE", "X260101120000", ""); // not a season
	assert_int_equal(tic_collect_frame_time(&frame, 5, &from_meter), 5);
	historic("000001000", "00100");
	assert_int_equal(tic_collect_frame_time(&frame, 7, &from_meter), 7);
	assert_int_equal(from_meter, 0);
}

static void
test_period_aligned(void **state)
{
	(void) state;
	fixture fx;
	start(&fx, 5 * MIN);
	historic("000001000", "00100");
	assert_int_equal(collect(&fx, T0 + 2 * MIN), 2); // the first frame
	assert_int_equal(collect(&fx, T0 + 4 * MIN), 0);
	assert_int_equal(collect(&fx, T0 + 5 * MIN), 2); // on the boundary
	assert_int_equal(collect(&fx, T0 + 9 * MIN), 0);
	assert_int_equal(collect(&fx, T0 + 11 * MIN), 2); // 10:00 passed
	tic_collect_stats st;
	tic_collect_get_stats(fx.col, &st);
	assert_int_equal(st.n_frames, 5);
	assert_int_equal(st.n_points, 6);
	edge_sender_stats ss;
	edge_sender_get_stats(fx.sender, &ss);
	assert_int_equal(ss.n_submitted, 3);
	stop(&fx);
}

static void
test_registers_at_zero(void **state)
{
	(void) state;
	fixture fx;
	start(&fx, 0);
	begin(TIC_MODE_STANDARD);
	group("EAST", "", "000000100");
	group("EASF01", "", "000000100");
	group("EASF02", "", "000000000");
	group("EAIT", "", "000000000");
	group("SINSTS", "", "00250");
	assert_int_equal(collect(&fx, T0), 3); // EAST, EASF01, power
	frame.groups[2].data[8] = '5'; // EASF02 moves
	assert_int_equal(collect(&fx, T0 + 1000), 4);
	frame.groups[2].data[8] = '0'; // and may come back to 0 (reset)
	assert_int_equal(collect(&fx, T0 + 2000), 4);
	stop(&fx);
}

static void
test_not_after_last(void **state)
{
	(void) state;
	fixture fx;
	start(&fx, 0);
	historic("000001000", "00100");
	assert_int_equal(collect(&fx, T0 + 10), 2);
	assert_int_equal(collect(&fx, T0 + 10), 0); // same time
	assert_int_equal(collect(&fx, T0 + 5), 0); // the clock went back
	assert_int_equal(collect(&fx, T0 + 11), 2);
	tic_collect_stats st;
	tic_collect_get_stats(fx.col, &st);
	assert_int_equal(st.n_points, 4);
	stop(&fx);
}

static void
test_bad_values(void **state)
{
	(void) state;
	fixture fx;
	start(&fx, 0);
	historic("12345", "0010x"); // wrong length, not a digit
	assert_int_equal(collect(&fx, T0), 0);
	tic_collect_stats st;
	tic_collect_get_stats(fx.col, &st);
	assert_int_equal(st.n_bad_value, 2);
	historic("000001000", "+0100");
	assert_int_equal(collect(&fx, T0 + 1), 1); // the index only
	stop(&fx);
}

static void
test_bad_options(void **state)
{
	(void) state;
	fixture fx;
	start(&fx, 0);
	tic_collect *c = NULL;
	char site[200];
	memset(site, 'a', sizeof(site) - 1);
	site[sizeof(site) - 1] = '\0';
	tic_collect_opts o = {.site = site, .meter = "linky"};
	assert_int_equal(
	    tic_collect_new(&o, fx.sender, &c), FED_INVALID_ARGUMENT);
	o.site = "";
	assert_int_equal(
	    tic_collect_new(&o, fx.sender, &c), FED_INVALID_ARGUMENT);
	o.site = "home";
	o.period_ms = -1;
	assert_int_equal(
	    tic_collect_new(&o, fx.sender, &c), FED_INVALID_ARGUMENT);
	assert_null(c);
	stop(&fx);
}

int
main(void)
{
	fed_log_set_sink(fed_log_stderr_sink, NULL);
	fed_log_set_level(FED_LOG_ERR);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame_time),
	    cmocka_unit_test(test_period_aligned),
	    cmocka_unit_test(test_registers_at_zero),
	    cmocka_unit_test(test_not_after_last),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_bad_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
