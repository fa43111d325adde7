// SPDX-License-Identifier: MIT
//
// test_upgrade.c: a store made by release 0.1.0 (schema 3; the fixture
// tests/fixtures/upgrade/0.1.0/series.db, written by that release's own
// fed-node and fedctl: make-fixtures.sh) opens with this code: it migrates
// to the current schema, every point reads back exact, grants, alarm rules
// and the outbox are kept, the blocks pass the integrity check. Opening
// again changes nothing (idempotent). A process killed with SIGKILL at any
// step of the migration, or in the middle of checksumming the blocks,
// leaves a database that the next open migrates to the same result.

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

#include "fed_test_db.h"
#include "store.h"
#include "store_internal.h"

// What make-fixtures.sh ingested: from 2026-10-16T00:00Z (the autumn DST
// change of Europe/Paris falls inside), 2,880 five-minute energy values
// and index readings and 4,320 one-minute power values.
#define T0_MS    INT64_C(1792108800000)
#define MIN_MS   INT64_C(60000)
#define N_ENERGY 2880
#define N_POWER  4320

static double
energy_at(int i)
{
	return (double) ((i * 37) % 500);
}

static double
power_at(int i)
{
	return (double) (200 + (i * 7) % 3000);
}

// The index after reading i (the fixture's running sum).
static double
index_at(int i)
{
	double v = 1000000;
	for (int k = 0; k <= i; k++)
		v += (k * 13) % 97;
	return v;
}

typedef struct fixture {
	char dir[256];
	char path[300];
} fixture;

// A fresh copy of the 0.1.0 database in f->path.
static void
fresh_copy(const fixture *f)
{
	fed_test_remove_db(f->path);
	assert_int_equal(fed_test_copy_file(
	                     FED_UPGRADE_FIXTURES "/0.1.0/series.db", f->path),
	    0);
}

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof(f->dir), "%s/test_upgrade.XXXXXX",
	    tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/series.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;
	fed_test_remove_db(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

// Checks every raw point of `id` against at(i) for i < n, `every_ms`
// apart from T0_MS.
static void
check_points(
    node_store *st, const char *id, int n, int64_t every_ms, double (*at)(int))
{
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = T0_MS - 86400000;
	r.to_ms = T0_MS + 30 * INT64_C(86400000);
	Enfed__V1__QueryRequest req = ENFED__V1__QUERY_REQUEST__INIT;
	req.n_series_ids = 1;
	req.series_ids = (char **) &id;
	req.range = &r;
	req.step = ENFED__V1__STEP__STEP_RAW;
	Enfed__V1__QueryResponse *resp = NULL;
	node_store_err err = {0};
	assert_int_equal(node_store_query(st, &req, &resp, &err), FED_OK);
	const Enfed__V1__SeriesResult *res = resp->results[0];
	assert_int_equal(res->n_ts_ms, (size_t) n);
	assert_int_equal(res->n_value, (size_t) n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(res->ts_ms[i], T0_MS + i * every_ms);
		if (res->value[i] != at(i))
			fail_msg("%s point %d: %.17g, expected %.17g", id, i,
			    res->value[i], at(i));
	}
	node_store_query_free(resp);
}

static fed_status
count_grant(const Enfed__V1__Grant *g, const char *token_hash, void *arg)
{
	(void) token_hash;
	assert_string_equal(g->grantee_node, "bmhs");
	(*(int *) arg)++;
	return FED_OK;
}

static fed_status
count_rule(const Enfed__V1__AlarmRule *r, void *arg)
{
	assert_string_equal(r->id, "boiler");
	(*(int *) arg)++;
	return FED_OK;
}

// Everything 0.1.0 stored, read through this version's store.
static void
check_contents(const char *path)
{
	node_store *st = NULL;
	node_store_err err = {0};
	assert_int_equal(node_store_open(path, NULL, &st, &err), FED_OK);

	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    node_store_get(st, "kermelo/school/energy", &info, &err), FED_OK);
	assert_string_equal(info->meta->owner, "Lorient city");
	assert_int_equal(info->meta->n_box, 2);
	assert_string_equal(info->meta->box[1]->value, "1800 m2");
	node_store_info_free(info);

	check_points(
	    st, "kermelo/school/energy", N_ENERGY, 5 * MIN_MS, energy_at);
	check_points(st, "kermelo/pv/index", N_ENERGY, 5 * MIN_MS, index_at);
	check_points(st, "maison/linky/power", N_POWER, MIN_MS, power_at);

	int grants = 0;
	assert_int_equal(
	    node_store_grant_list(st, count_grant, &grants, &err), FED_OK);
	assert_int_equal(grants, 2);
	int rules = 0;
	assert_int_equal(
	    node_store_alarm_rule_list(st, count_rule, &rules, &err), FED_OK);
	assert_int_equal(rules, 1);

	// The live grant of kermelo/pv/ had queued every index reading for
	// bmhs, which never answered: the queue survives the upgrade.
	node_store_outbox_row rows[4];
	size_t n_rows = 0;
	assert_int_equal(
	    node_store_outbox_peek(st, rows, 4, &n_rows, &err), FED_OK);
	assert_int_equal(n_rows, 4);
	assert_string_equal(rows[0].series_id, "kermelo/pv/index");

	assert_int_equal(node_store_check(st, &err), FED_OK);
	node_store_scrub_report rep;
	assert_int_equal(node_store_scrub(st, NULL, &rep, &err), FED_OK);
	assert_int_equal(rep.n_bad, 0);
	assert_true(rep.n_blocks > 0);
	node_store_close(st);
}

static void
test_migrates_exact(void **state)
{
	fixture *f = *state;
	fresh_copy(f);
	assert_int_equal(fed_test_user_version(f->path), 3);
	check_contents(f->path);
	assert_int_equal(fed_test_user_version(f->path), 5);
}

static void
test_idempotent(void **state)
{
	fixture *f = *state;
	fresh_copy(f);
	check_contents(f->path);
	node_store_stats a, b;
	node_store *st = NULL;
	assert_int_equal(node_store_open(f->path, NULL, &st, NULL), FED_OK);
	assert_int_equal(node_store_get_stats(st, &a), FED_OK);
	node_store_close(st);
	check_contents(f->path);
	assert_int_equal(node_store_open(f->path, NULL, &st, NULL), FED_OK);
	assert_int_equal(node_store_get_stats(st, &b), FED_OK);
	node_store_close(st);
	assert_int_equal(a.n_series, b.n_series);
	assert_int_equal(a.n_blocks, b.n_blocks);
	assert_int_equal(a.n_points, b.n_points);
	assert_int_equal(a.n_points, 2 * N_ENERGY + N_POWER);
}

static int probe_calls;
static int probe_kill_at;

static void
kill_probe(void)
{
	if (probe_calls++ == probe_kill_at)
		raise(SIGKILL);
}

// Opens the store in a child process that SIGKILLs itself at the k-th
// probe of the migration; 1 when it died there, 0 when the migration
// finished before reaching probe k.
static int
open_killed_at(const char *path, int k)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		probe_calls = 0;
		probe_kill_at = k;
		node__store_migrate_probe = kill_probe;
		node_store *st = NULL;
		fed_status s = node_store_open(path, NULL, &st, NULL);
		if (s == FED_OK)
			node_store_close(st);
		_exit(s == FED_OK ? 0 : 1);
	}
	int ws = 0;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	if (WIFSIGNALED(ws)) {
		assert_int_equal(WTERMSIG(ws), SIGKILL);
		return 1;
	}
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
	return 0;
}

static void
test_kill_during_migration(void **state)
{
	fixture *f = *state;
	int killed = 0;
	// The probes: one per schema step (4..5) and one per stored block;
	// bounded well past their number.
	for (int k = 0; k < 64; k++) {
		fresh_copy(f);
		if (!open_killed_at(f->path, k))
			break;
		killed++;
		// Killed mid-transaction: still the old schema, nothing lost.
		assert_int_equal(fed_test_user_version(f->path), 3);
		check_contents(f->path);
		assert_int_equal(fed_test_user_version(f->path), 5);
	}
	// Two schema steps and at least one block were each interrupted.
	assert_true(killed >= 3);
	print_message("killed the migration at %d points\n", killed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_migrates_exact, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_kill_during_migration, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
