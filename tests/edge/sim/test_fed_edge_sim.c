// SPDX-License-Identifier: MIT
//
// test_fed_edge_sim.c: fed-edge-sim through the real collectors' paths, end
// to end, on an accelerated clock: fed-edge-sim --emit-tic writes the house
// as standard-mode TIC frames into a FIFO, the real fed-edge-tic reads them
// (--input --follow) and feeds a real fed-node. Every stored index point is
// the house model's index at the point's time (the frame's DATE horodate),
// and every power point its apparent power, so nothing was lost or changed
// between the model, the encoder, the parser, the collector and the node.

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
	// 600 simulated seconds a second: a frame every 0.1 s, a 5-minute
	// point every 0.5 s.
	char *sim_argv[] = {FED_EDGE_SIM_BIN, a[4], "--model=house",
	    "--seed=" SEED, "--tic-mode=standard", "--tic-period=60s",
	    "--speed=600", NULL};
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
	uint64_t dead = 1;
	assert_int_equal(edge_log_counter(tic_log, "dead", &dead), 0);
	assert_int_equal(dead, 0);
	edge_node_stop(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_tic_end_to_end, edge_test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
