// SPDX-License-Identifier: MIT
//
// test_fed_edge_sim.c: fed-edge-sim through the real collectors' paths, end
// to end, on an accelerated clock: fed-edge-sim --emit-tic writes the house
// as standard-mode TIC frames into a FIFO, the real fed-edge-tic reads them
// (--input --follow) and feeds a real fed-node. Every stored index point is
// the house model's index at the point's time (the frame's DATE horodate),
// and every power point its apparent power, so nothing was lost or changed
// between the model, the encoder, the parser, the collector and the node.
// Likewise fed-edge-sim --envoy-listen serves the plant as an Envoy's
// local API, polled by the real fed-edge-envoy: every inverter's power
// point, the site's power and its lifetime energy equal the plant model at
// the report's time.

#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "edge_test.h"
#include "fed_test.h"
#include "sim_envoy.h"
#include "sim_model.h"

#define SEED "5"

// Every point of `id` equals the model: index (Wh) or power (VA) at its ts.
// Returns how many points were checked.
static size_t
check_series(edge_node *n, const char *id, int is_index)
{
	sim_house h;
	sim_house_defaults(&h);
	int64_t *ts = NULL;
	double *v = NULL;
	size_t np = 0;
	assert_int_equal(edge_query_raw(n->client, id, &ts, &v, &np), FED_OK);
	for (size_t i = 0; i < np; i++) {
		double want = 0;
		if (is_index) {
			// --period=5m: after the first frame, on the grid.
			if (i > 0 && ts[i] % SIM_SLOT_MS != 0)
				fail_msg("%s: %lld off the grid", id,
				    (long long) ts[i]);
			assert_int_equal(
			    sim_house_index_wh(
			        &h, strtoull(SEED, NULL, 10), ts[i], &want),
			    FED_OK);
			want = floor(want);
		} else {
			assert_int_equal(
			    sim_house_va(
			        &h, strtoull(SEED, NULL, 10), ts[i], &want),
			    FED_OK);
			want = (double) lround(want);
		}
		if (v[i] != want)
			fail_msg("%s at %lld: %.0f stored, model %.0f", id,
			    (long long) ts[i], v[i], want);
	}
	free(ts);
	free(v);
	return np;
}

// The latest timestamp of id (0 when it has no point).
static int64_t
last_ts(edge_node *n, const char *id)
{
	int64_t *ts = NULL, last = 0;
	double *v = NULL;
	size_t np = 0;
	assert_int_equal(edge_query_raw(n->client, id, &ts, &v, &np), FED_OK);
	for (size_t i = 0; i < np; i++)
		if (ts[i] > last)
			last = ts[i];
	free(ts);
	free(v);
	return last;
}

static void
test_tic_end_to_end(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "sim-tic"), 0);
	char fifo[1024], tic_log[1024], sim_log[1024];
	snprintf(fifo, sizeof(fifo), "%s/tic.fifo", n.dir);
	snprintf(tic_log, sizeof(tic_log), "%s/tic.log", n.dir);
	snprintf(sim_log, sizeof(sim_log), "%s/sim.log", n.dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	char a[5][1100];
	snprintf(a[0], sizeof(a[0]), "--node=%s", n.rpc);
	snprintf(a[1], sizeof(a[1]), "--input=%s", fifo);
	snprintf(a[2], sizeof(a[2]), "--spool-dir=%s/spool", n.dir);
	snprintf(a[3], sizeof(a[3]), "--token=%s", EDGE_TEST_ADMIN);
	snprintf(a[4], sizeof(a[4]), "--emit-tic=%s", fifo);
	char *tic_argv[] = {FED_EDGE_TIC_BIN, a[0], a[1], a[2], a[3],
	    "--follow", "--mode=standard", "--site=simtic", "--period=5m",
	    "--power-period=5m", "--spool-sync=group", NULL};
	int tic = edge_proc_start(tic_argv, tic_log);
	assert_true(tic > 0);
	// 600 simulated seconds a second over the last two hours, which the
	// simulated clock replays (it never passes the present): a frame
	// every 0.1 s, a 5-minute point every 0.5 s.
	char *sim_argv[] = {FED_EDGE_SIM_BIN, a[4], "--model=house",
	    "--seed=" SEED, "--tic-mode=standard", "--tic-period=60s",
	    "--speed=600", "--replay=2h", NULL};
	int sim = edge_proc_start(sim_argv, sim_log);
	assert_true(sim > 0);
	size_t got
	    = edge_wait_points(n.client, "simtic/linky/index_east", 8, 30000);
	if (got < 8) {
		edge_dump_file(sim_log);
		edge_dump_file(tic_log);
	}
	assert_true(got >= 8);
	assert_int_equal(edge_proc_stop(sim, SIGTERM, 10000), 0);
	assert_int_equal(edge_proc_stop(tic, SIGTERM, 10000), 0);
	assert_true(check_series(&n, "simtic/linky/index_east", 1) >= 8);
	assert_true(check_series(&n, "simtic/linky/index_easf01", 1) >= 8);
	assert_true(check_series(&n, "simtic/linky/index_easd01", 1) >= 8);
	assert_true(check_series(&n, "simtic/linky/power", 0) >= 8);
	// Replayed from two hours ago: nothing dated after the present.
	assert_true(
	    last_ts(&n, "simtic/linky/index_east") <= fed_test_now_ms());
	uint64_t dead = 1;
	assert_int_equal(edge_log_counter(tic_log, "dead", &dead), 0);
	assert_int_equal(dead, 0);
	edge_node_stop(&n);
}

// The plant model at boundary b: inverter k's power (k >= 0), or the
// site's power (k == -1) or lifetime energy (k == -2), as the simulated
// gateway rounds them.
static double
plant_at(const sim_pv *pv, int64_t b, int k)
{
	double w = 0, sum = 0;
	if (k >= 0) {
		assert_int_equal(sim_pv_inverter_w(pv, 9, k, b, &w), FED_OK);
		return (double) lround(w);
	}
	if (k == -1) {
		for (int i = 0; i < pv->n_inverters; i++) {
			assert_int_equal(
			    sim_pv_inverter_w(pv, 9, i, b, &w), FED_OK);
			sum += (double) lround(w);
		}
		return sum;
	}
	static double life[SIM_PV_MAX_INVERTERS];
	assert_int_equal(sim_pv_lifetime_wh(pv, 9, b, life), FED_OK);
	for (int i = 0; i < pv->n_inverters; i++)
		sum += life[i];
	return round(sum);
}

// Every point of `id` equals plant_at(its ts, k); how many there are, and
// the highest value in *max.
static size_t
check_plant(edge_node *n, const sim_pv *pv, const char *id, int k, double *max)
{
	*max = 0;
	int64_t *ts = NULL;
	double *v = NULL;
	size_t np = 0;
	assert_int_equal(edge_query_raw(n->client, id, &ts, &v, &np), FED_OK);
	for (size_t i = 0; i < np; i++) {
		if (ts[i] % SIM_SLOT_MS != 0)
			fail_msg("%s: %lld is not a report time", id,
			    (long long) ts[i]);
		double want = plant_at(pv, ts[i], k);
		if (v[i] > *max)
			*max = v[i];
		if (v[i] != want)
			fail_msg("%s at %lld: %.0f stored, model %.0f", id,
			    (long long) ts[i], v[i], want);
	}
	free(ts);
	free(v);
	return np;
}

static void
test_envoy_end_to_end(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "sim-envoy"), 0);
	char env_log[1024], sim_log[1024], url[64], a[5][1100];
	snprintf(env_log, sizeof(env_log), "%s/envoy.log", n.dir);
	snprintf(sim_log, sizeof(sim_log), "%s/sim.log", n.dir);
	snprintf(
	    url, sizeof(url), "http://127.0.0.1:%d", fed_test_free_port());
	snprintf(a[1], sizeof(a[1]), "--envoy-listen=%s", url);
	// From a June morning (2025-06-21T09:00:00Z), so that the plant
	// produces whatever the hour the test runs.
	char *sim_argv[] = {FED_EDGE_SIM_BIN, a[1], "--model=pv", "--seed=9",
	    "--speed=600", "--start=1750496400000", NULL};
	int sim = edge_proc_start(sim_argv, sim_log);
	assert_true(sim > 0);
	snprintf(a[1], sizeof(a[1]), "--url=%s", url);
	snprintf(a[2], sizeof(a[2]), "--node=%s", n.rpc);
	snprintf(a[3], sizeof(a[3]), "--spool-dir=%s/spool", n.dir);
	snprintf(a[4], sizeof(a[4]), "--token=%s", EDGE_TEST_ADMIN);
	char *env_argv[] = {FED_EDGE_ENVOY_BIN, a[1], a[2], a[3], a[4],
	    "--site=simpv", "--period=1s", "--totals=production-json",
	    "--spool-sync=group", NULL};
	int env = edge_proc_start(env_argv, env_log);
	assert_true(env > 0);
	// The totals and each inverter's reports are separate records of
	// the collector's spool: wait for those checked below, each.
	static const int invs[] = {0, 29, 59};
	size_t got
	    = edge_wait_points(n.client, "simpv/pv/energy_lifetime", 4, 30000);
	for (size_t i = 0; i < 3 && got >= 4; i++) {
		char serial[SIM_ENVOY_SERIAL_LEN + 1], id[128];
		sim_envoy_serial(invs[i], serial);
		snprintf(id, sizeof(id), "simpv/pv/inv/%s/power", serial);
		got = edge_wait_points(n.client, id, 4, 30000);
	}
	if (got < 4) {
		edge_dump_file(sim_log);
		edge_dump_file(env_log);
	}
	assert_true(got >= 4);
	assert_int_equal(edge_proc_stop(env, SIGTERM, 10000), 0);
	assert_int_equal(edge_proc_stop(sim, SIGTERM, 10000), 0);
	sim_pv pv;
	sim_pv_defaults(&pv);
	double max = 0;
	assert_true(
	    check_plant(&n, &pv, "simpv/pv/energy_lifetime", -2, &max) >= 4);
	assert_true(max > 1e6); // MWh since 2024-09-01
	assert_true(check_plant(&n, &pv, "simpv/pv/power", -1, &max) >= 4);
	assert_true(max > 500); // a June morning

	for (size_t i = 0; i < 3; i++) {
		char serial[SIM_ENVOY_SERIAL_LEN + 1], id[128];
		sim_envoy_serial(invs[i], serial);
		snprintf(id, sizeof(id), "simpv/pv/inv/%s/power", serial);
		assert_true(check_plant(&n, &pv, id, invs[i], &max) >= 4);
		assert_true(max > 0);
	}
	edge_node_stop(&n);
}

// Fed straight into the node at 600x, the simulator fills its history up
// to the present and then follows the wall clock: after seconds that
// would have been an hour ahead, no point is dated in the future.
static void
test_present(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "sim-now"), 0);
	char log[1024], a[2][1100];
	snprintf(log, sizeof(log), "%s/sim.log", n.dir);
	snprintf(a[0], sizeof(a[0]), "--node=%s", n.rpc);
	snprintf(a[1], sizeof(a[1]), "--token=%s", EDGE_TEST_ADMIN);
	char *argv[] = {FED_EDGE_SIM_BIN, a[0], a[1], "--model=house",
	    "--site=simnow", "--history=2h", "--speed=600", NULL};
	int sim = edge_proc_start(argv, log);
	assert_true(sim > 0);
	size_t got
	    = edge_wait_points(n.client, "simnow/linky/energy", 22, 20000);
	if (got < 22)
		edge_dump_file(log);
	assert_true(got >= 22);
	fed_test_sleep_ms(3000); // 30 simulated minutes at 600x
	int64_t now = fed_test_now_ms();
	int64_t last = last_ts(&n, "simnow/linky/energy");
	if (last > now || last < now - 15 * 60000)
		fail_msg("last point %lld, now %lld", (long long) last,
		    (long long) now);
	assert_int_equal(edge_proc_stop(sim, SIGTERM, 10000), 0);
	edge_node_stop(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_tic_end_to_end, edge_test_teardown),
	    cmocka_unit_test_teardown(test_present, edge_test_teardown),
	    cmocka_unit_test_teardown(
	        test_envoy_end_to_end, edge_test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
