// SPDX-License-Identifier: MIT
//
// test_node_scrub.c: fed-node and fedctl on a damaged store (issue 16).
// A real fed-node holds three weeks of a series; one byte of a stored
// block is flipped on disk beside it. Then: `fedctl node check` names the
// series and the window and exits 1; the periodic scrub (--scrub-interval)
// puts its counts in Health (no series name: Health needs no token); a query
// touching the block is DATA_LOSS naming the series while the other weeks
// answer. And a node whose series.db was truncated to nothing refuses to
// start, unless --init.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "enfed/v1/health.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed_test.h"

#define T0    INT64_C(1767225600000) // 2026-01-01T00:00Z, a window start
#define MIN5  INT64_C(300000)
#define WEEK  INT64_C(604800000)
#define ADMIN "scrub-admin-token"

static struct {
	char *dir;
	char rpc[200], stream[200], db[600];
	int pid;
	fed_rpc_client *c;
} e;

static void
start_node(const char *const *extra)
{
	e.pid = fed_test_node_start_ex(
	    FED_NODE_BIN, "n", e.dir, e.rpc, e.stream, ADMIN, NULL, extra);
	assert_true(e.pid > 0);
}

static int
setup(void **state)
{
	(void) state;
	e.dir = fed_test_tmpdir("scrub");
	fed_test_isolate_fedctl(e.dir);
	fed_test_ipc_url(e.rpc, sizeof(e.rpc), "scrub-rpc");
	fed_test_ipc_url(e.stream, sizeof(e.stream), "scrub-stream");
	snprintf(e.db, sizeof(e.db), "%s/data-n/series.db", e.dir);
	static const char *const extra[]
	    = {"--scrub-interval=300ms", "--scrub-pause-ms=0", NULL};
	start_node(extra);
	e.c = fed_test_client(e.rpc, ADMIN);
	return e.c != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void) state;
	fed_rpc_client_free(e.c);
	if (e.pid > 0)
		fed_test_proc_stop(e.pid, SIGTERM, 5000);
	fed_test_rmtree(e.dir);
	free(e.dir);
	return 0;
}

static void
create_and_fill(const char *id)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	m.tz = (char *) "UTC";
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(e.c, "CreateSeries", &req, &info), FED_OK);
	protobuf_c_message_free_unpacked(&info->base, NULL);
	assert_int_equal(fed_test_ingest_every(e.c, id, T0, T0 + 3 * WEEK,
	                     MIN5, 2, 0, 0, NULL, NULL),
	    FED_OK);
}

// XORs one byte in the middle of the data of the series' second week.
static void
flip_week_two(void)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(e.db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	int64_t key = (INT64_C(1) << 32) | ((T0 + WEEK) / WEEK);
	char sql[300];
	snprintf(sql, sizeof(sql),
	    "UPDATE blocks SET data = substr(data, 1, length(data) / 2)"
	    " || x'5a' || substr(data, length(data) / 2 + 2)"
	    " WHERE key = %lld",
	    (long long) key);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

// Health, until it shows a last check with a bad block (5 s at most).
static void
wait_health_bad(void)
{
	for (int i = 0; i < 100; i++) {
		Enfed__V1__HealthCheckRequest req
		    = ENFED__V1__HEALTH_CHECK_REQUEST__INIT;
		ProtobufCMessage *rep = NULL;
		assert_int_equal(
		    fed_rpc_call(e.c, &enfed__v1__health__descriptor, "Check",
		        &req.base, &rep, NULL, 0),
		    FED_OK);
		const Enfed__V1__HealthCheckResponse *h = (const void *) rep;
		int bad
		    = h->last_check != NULL && h->last_check->n_failed == 1;
		if (bad) { // counts only: Health needs no token
			assert_int_equal(h->last_check->n_blocks, 3);
			assert_int_equal(h->last_check->n_bad, 0);
		}
		protobuf_c_message_free_unpacked(rep, NULL);
		if (bad)
			return;
		fed_test_sleep_ms(50);
	}
	fail_msg("Health never showed the bad block");
}

static void
test_damaged_block(void **state)
{
	(void) state;
	create_and_fill("h/e");
	char opt[300], *out = NULL;
	snprintf(opt, sizeof(opt), "--node=%s", e.rpc);
	char *argv[] = {
	    FEDCTL_BIN, opt, "--token=" ADMIN, "--utc", "node", "check", NULL};
	assert_int_equal(fed_test_run(argv, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "bad blocks:  0"));
	free(out);
	flip_week_two();
	assert_int_equal(fed_test_run(argv, NULL, &out, NULL), 1);
	assert_non_null(strstr(out, "bad blocks:  1"));
	assert_non_null(strstr(out, "h/e [2026-01-08T00:00:00"));
	assert_non_null(strstr(out, "fails its checksum"));
	free(out);
	wait_health_bad();
	Enfed__V1__QueryResponse *res = NULL;
	char err[300] = "";
	assert_int_equal(
	    fed_test_query(e.c, "h/e", T0, T0 + 3 * WEEK,
	        ENFED__V1__STEP__STEP_DAY, "UTC", &res, err, sizeof(err)),
	    FED_DATA_LOSS);
	assert_non_null(strstr(err, "series h/e"));
	assert_int_equal(
	    fed_test_query(e.c, "h/e", T0 + 2 * WEEK, T0 + 3 * WEEK,
	        ENFED__V1__STEP__STEP_RAW, "UTC", &res, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(res->results[0]->n_value, 2016);
	protobuf_c_message_free_unpacked(&res->base, NULL);
}

// Waits up to 5 s for pid to exit; its status, or -1 (killed) when it
// is still running.
static int
exit_status(int pid)
{
	for (int i = 0; i < 100; i++) {
		int ws = 0;
		if (waitpid(pid, &ws, WNOHANG) == pid)
			return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
		fed_test_sleep_ms(50);
	}
	fed_test_proc_stop(pid, SIGKILL, 1000);
	return -1;
}

static void
test_empty_database_refused(void **state)
{
	(void) state;
	assert_int_equal(fed_test_proc_stop(e.pid, SIGTERM, 5000), 0);
	e.pid = -1;
	FILE *fp = fopen(e.db, "w"); // truncated to nothing
	assert_non_null(fp);
	fclose(fp);
	char a[3][600], log[600];
	snprintf(a[0], sizeof(a[0]), "--data-dir=%s/data-n", e.dir);
	snprintf(a[1], sizeof(a[1]), "--listen=%s", e.rpc);
	snprintf(a[2], sizeof(a[2]), "--stream=%s", e.stream);
	snprintf(log, sizeof(log), "%s/refused.log", e.dir);
	char *argv[]
	    = {FED_NODE_BIN, a[0], a[1], a[2], "--admin-token=" ADMIN, NULL};
	int pid = fed_test_proc_start(argv, log);
	assert_true(pid > 0);
	assert_int_equal(exit_status(pid), 1);
	static const char *const init[] = {"--init", NULL};
	start_node(init); // and it answers Health
	fed_rpc_client_free(e.c);
	e.c = fed_test_client(e.rpc, ADMIN);
	Enfed__V1__ListSeriesRequest lr = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	Enfed__V1__ListSeriesResponse *ls = NULL;
	assert_int_equal(
	    fed_test_store_call(e.c, "ListSeries", &lr, &ls), FED_OK);
	assert_int_equal(ls->n_series, 0);
	protobuf_c_message_free_unpacked(&ls->base, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_damaged_block, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_empty_database_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
