// SPDX-License-Identifier: MIT
//
// test_fedctl_enedis_e2e.c: `fedctl ingest --format enedis-csv |
// enedis-dataconnect` end to end: a real fed-node on loopback, the real
// fedctl binary, the fixtures of tests/fixtures/enedis. The autumn load
// curve as energy: its 25 hourly buckets and its day's total exact; the
// same day from Data Connect lands on the very same points (only the
// CSV's gap is new); as power; the daily files; each bad file refused
// naming its line, exit 1, nothing stored on the node, or skipped and
// counted with --skip-bad; a file for the wrong kind of series refused;
// and a plain --csv of an Enedis export failing with a hint, and with
// --skip-bad (every line bad) failing still, nothing stored.

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "fed_test.h"

#define ADMIN "admin-secret-for-enedis-tests"

struct env {
	char *dir;
	char rpc[128], log[512], node_opt[160];
	int pid;
};

static struct env *E;

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	e->dir = fed_test_tmpdir("enedis");
	snprintf(e->log, sizeof(e->log), "%s/node.log", e->dir);
	snprintf(e->rpc, sizeof(e->rpc), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	snprintf(e->node_opt, sizeof(e->node_opt), "--node=%s", e->rpc);
	fed_test_isolate_fedctl(e->dir);
	char data[600], listen[160];
	snprintf(data, sizeof(data), "--data-dir=%s/data", e->dir);
	snprintf(listen, sizeof(listen), "--listen=%s", e->rpc);
	char *argv[] = {FED_NODE_BIN, "--name=linky", data, listen,
	    "--admin-token=" ADMIN, "--log-level=warning", NULL};
	e->pid = fed_test_proc_start(argv, e->log);
	assert_true(e->pid > 0);
	assert_int_equal(fed_test_wait_health(e->rpc, 10000), FED_OK);
	E = e;
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	assert_int_equal(fed_test_proc_stop(e->pid, SIGTERM, 10000), 0);
	fed_test_rmtree(e->dir);
	free(e->dir);
	free(e);
	return 0;
}

// Runs fedctl against the node as admin with args (NULL-terminated).
static int
fedctl(char **out, char **err, ...)
{
	char *argv[64] = {FEDCTL_BIN, E->node_opt, "--token=" ADMIN,
	    "--timeout=5s", "--tz=Europe/Paris"};
	va_list ap;
	va_start(ap, err);
	fed_test_argv_add(argv, 5, 64, ap);
	va_end(ap);
	char *o = NULL, *r = NULL;
	int rc = fed_test_run(argv, NULL, &o, &r);
	if (out != NULL)
		*out = o;
	else
		free(o);
	if (err != NULL)
		*err = r;
	else
		free(r);
	return rc;
}

#define FEDCTL(out, err, ...) fedctl(out, err, __VA_ARGS__, NULL)

static char *
fixture(const char *name)
{
	const char *src = getenv("FED_SOURCE_DIR");
	char *p = malloc(1024);
	snprintf(
	    p, 1024, "%s/tests/fixtures/enedis/%s", src ? src : ".", name);
	return p;
}

static void
create(const char *id, const char *kind, const char *unit, bool cumulative)
{
	char *out = NULL;
	assert_int_equal(
	    FEDCTL(&out, NULL, "series", "create", id, "--kind", kind,
	        "--unit", unit, "--interval", "30m", "--owner", "household",
	        cumulative ? "--cumulative" : NULL),
	    0);
	free(out);
}

// Ingests a fixture; returns the exit code, the JSON summary in *j.
static int
ingest(const char *id, const char *format, const char *name, cJSON **j)
{
	char *path = fixture(name), *out = NULL;
	int rc = FEDCTL(&out, NULL, "ingest", id, "--format", format, "--file",
	    path, "--json");
	*j = rc == 0 ? cJSON_Parse(out) : NULL;
	free(out);
	free(path);
	return rc;
}

static double
num(const cJSON *j, const char *name)
{
	const cJSON *v = cJSON_GetObjectItem(j, name);
	assert_non_null(v);
	return v->valuedouble;
}

// The series' points stored on the node.
static double
n_points(const char *id)
{
	char *out = NULL;
	assert_int_equal(
	    FEDCTL(&out, NULL, "series", "show", id, "--json"), 0);
	cJSON *j = cJSON_Parse(out);
	double n = num(j, "n_points");
	cJSON_Delete(j);
	free(out);
	return n;
}

// The buckets of a query from..to at step: their values in v (count
// returned).
static int
buckets(const char *id, const char *from, const char *to, const char *step,
    double *v, int max)
{
	char *out = NULL;
	assert_int_equal(FEDCTL(&out, NULL, "query", id, "--from", from,
	                     "--to", to, "--step", step, "--json"),
	    0);
	cJSON *j = cJSON_Parse(out), *p;
	cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "series"), 0);
	int n = 0;
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(s, "points"))
	{
		if (n < max)
			v[n] = num(p, "v");
		n++;
	}
	cJSON_Delete(j);
	free(out);
	return n;
}

static void
test_load_curve(void **state)
{
	(void) state;
	const char *id = "home/linky/energy";
	create(id, "consumption", "Wh", false);
	cJSON *j = NULL;
	assert_int_equal(
	    ingest(id, "enedis-csv", "curve-30min-autumn.csv", &j), 0);
	assert_true(num(j, "points") == 49 && num(j, "stored") == 49);
	cJSON_Delete(j);
	// 25 hours; hour h holds intervals 2h and 2h+1 (Wh 100 + 10 i), the
	// one at index 10 (05:00-05:30 local, winter time) is the file's gap.
	double v[32];
	assert_int_equal(
	    buckets(id, "2023-10-29", "2023-10-30", "hour", v, 32), 25);
	for (int h = 0; h < 25; h++) {
		double want
		    = (h == 5 ? 0 : 100 + 10 * 2 * h) + 100 + 10 * (2 * h + 1);
		if (v[h] != want)
			fail_msg("hour %d: %g Wh, want %g", h, v[h], want);
	}
	assert_int_equal(
	    buckets(id, "2023-10-29", "2023-10-30", "day", v, 1), 1);
	assert_true(v[0] == 17050.0);
	// The same day from Data Connect: the same 49 points, and the gap.
	assert_int_equal(ingest(id, "enedis-dataconnect",
	                     "dataconnect-curve-autumn.json", &j),
	    0);
	assert_true(num(j, "stored") == 1 && num(j, "duplicate") == 49);
	cJSON_Delete(j);
	buckets(id, "2023-10-29", "2023-10-30", "day", v, 1);
	assert_true(v[0] == 17250.0);
	// The spring day: 23 hours.
	assert_int_equal(
	    ingest(id, "enedis-csv", "curve-30min-spring.csv", &j), 0);
	assert_true(num(j, "stored") == 46);
	cJSON_Delete(j);
	assert_int_equal(
	    buckets(id, "2023-03-26", "2023-03-27", "hour", v, 32), 23);
	// A power series takes the average W at each interval's start.
	create("home/linky/power", "power", "W", false);
	assert_int_equal(ingest("home/linky/power", "enedis-csv",
	                     "curve-30min-autumn.csv", &j),
	    0);
	cJSON_Delete(j);
	assert_int_equal(
	    buckets("home/linky/power", "2023-10-29T02:00:00+01:00",
	        "2023-10-29T02:30:00+01:00", "raw", v, 4),
	    1);
	assert_true(v[0] == 320.0); // interval 6: W = 200 + 20 x 6
}

static void
test_daily_and_index(void **state)
{
	(void) state;
	create("home/linky/daily", "consumption", "Wh", false);
	cJSON *j = NULL;
	assert_int_equal(
	    ingest("home/linky/daily", "enedis-csv", "daily.csv", &j), 0);
	assert_true(num(j, "stored") == 4);
	cJSON_Delete(j);
	double v[8];
	assert_int_equal(buckets("home/linky/daily", "2023-03-24",
	                     "2023-03-29", "day", v, 8),
	    5);
	assert_true(v[0] == 9000 && v[2] == 9200 && v[3] == 0 && v[4] == 9400);
	assert_int_equal(ingest("home/linky/daily", "enedis-dataconnect",
	                     "dataconnect-daily.json", &j),
	    0);
	cJSON_Delete(j);
	create("home/linky/index", "index", "Wh", true);
	assert_int_equal(
	    ingest("home/linky/index", "enedis-csv", "index.csv", &j), 0);
	assert_true(num(j, "stored") == 3);
	cJSON_Delete(j);
	// A daily file into the cumulative series is refused, nothing sent.
	char *path = fixture("daily.csv"), *err = NULL;
	assert_int_equal(FEDCTL(NULL, &err, "ingest", "home/linky/index",
	                     "--format", "enedis-csv", "--file", path),
	    1);
	assert_non_null(strstr(err, "not a series for daily consumption"));
	free(err);
	free(path);
	assert_true(n_points("home/linky/index") == 3);
}

static void
check_bad(const char *format, const char *name, const char *where)
{
	char *path = fixture(name), *err = NULL;
	assert_int_equal(FEDCTL(NULL, &err, "ingest", "home/bad/energy",
	                     "--format", format, "--file", path),
	    1);
	if (strstr(err, where) == NULL || strstr(err, "nothing sent") == NULL)
		fail_msg("%s: %s", name, err);
	free(err);
	free(path);
	assert_true(n_points("home/bad/energy") == 0);
}

static void
test_bad_files(void **state)
{
	(void) state;
	create("home/bad/energy", "consumption", "Wh", false);
	check_bad("enedis-csv", "bad-header.csv", "bad-header.csv:1: not an");
	check_bad("enedis-csv", "bad-number.csv", "bad-number.csv:10: value");
	check_bad("enedis-csv", "bad-order.csv", "bad-order.csv:13: time");
	check_bad("enedis-csv", "bad-step.csv", "bad-step.csv:21: time");
	check_bad("enedis-dataconnect", "bad-dataconnect-mixed.json",
	    "mixed.json:5: reading 5: interval_length PT10M");
	check_bad("enedis-dataconnect", "bad-dataconnect-order.json",
	    "order.json:7:");
	check_bad("enedis-dataconnect", "bad-dataconnect-value.json",
	    "value.json:8:");
	check_bad("enedis-dataconnect", "curve-30min-autumn.csv",
	    "autumn.csv:0: not JSON");
	// --skip-bad: the bad line skipped and counted, the rest stored.
	char *out = NULL, *skip = fixture("bad-number.csv");
	assert_int_equal(
	    FEDCTL(&out, NULL, "ingest", "home/bad/energy", "--format",
	        "enedis-csv", "--file", skip, "--skip-bad"),
	    0);
	assert_non_null(
	    strstr(out, "47 stored, 0 already there, 1 bad lines"));
	free(out);
	free(skip);
	assert_true(n_points("home/bad/energy") == 47);
	create("home/bad2/energy", "consumption", "Wh", false);
	// The case: an Enedis export as a plain CSV, every line bad.
	char *path = fixture("curve-30min-autumn.csv"), *err = NULL;
	assert_int_equal(
	    FEDCTL(NULL, &err, "ingest", "home/bad2/energy", "--csv", path),
	    1);
	assert_non_null(strstr(err, "--format enedis-csv"));
	free(err);
	assert_int_equal(FEDCTL(NULL, &err, "ingest", "home/bad2/energy",
	                     "--csv", path, "--skip-bad"),
	    1);
	assert_non_null(strstr(err, "no point to send"));
	free(err);
	free(path);
	assert_true(n_points("home/bad2/energy") == 0);
	// --format without --file is a usage error.
	assert_int_equal(FEDCTL(NULL, NULL, "ingest", "home/bad/energy",
	                     "--format", "enedis-csv", "--csv", "x.csv"),
	    2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_curve),
	    cmocka_unit_test(test_daily_and_index),
	    cmocka_unit_test(test_bad_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
