// SPDX-License-Identifier: MIT
//
// test_fedctl_alarm.c: alarms end to end, as an operator meets them: a
// real fed-node, the real fed-edge-sim feeding the Kermélo plant with each
// micro-inverter's series and inverter 7 failed since yesterday, and the
// real fedctl: rules refused with the field named, a sibling rule that
// raises exactly one alarm (on inverter 7) from the simulator's data, the
// alarm seen by `fedctl alarm watch`, listed, acknowledged; a stale rule
// raised by the node's timer once the simulator has stopped; rules listed
// and removed.

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "fed_test.h"

#define ADMIN "admin-secret-for-alarm-tests"

struct env {
	char *dir;
	char rpc[128], stream[128];
	char node_opt[160], stream_opt[160];
	int pid;
	int sim_pid, watch_pid; // stopped by teardown when a test failed
};

static struct env *E;

// Runs fedctl with the node's options, the admin token and args
// (NULL-terminated). Returns the exit code; *out and *err as fed_test_run.
static int
fedctl(char **out, char **err, ...)
{
	char *argv[64] = {FEDCTL_BIN, E->node_opt, E->stream_opt,
	    "--token=" ADMIN, "--timeout=10s"};
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

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	e->dir = fed_test_tmpdir("fedctl-alarm");
	snprintf(e->rpc, sizeof(e->rpc), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	fed_test_ipc_url(e->stream, sizeof(e->stream), "alarmstream");
	snprintf(e->node_opt, sizeof(e->node_opt), "--node=%s", e->rpc);
	snprintf(
	    e->stream_opt, sizeof(e->stream_opt), "--stream=%s", e->stream);
	fed_test_isolate_fedctl(e->dir);
	static const char *const extra[] = {"--alarm-tick=200ms", NULL};
	e->pid = fed_test_node_start_ex(FED_NODE_BIN, "lognact", e->dir,
	    e->rpc, e->stream, ADMIN, NULL, extra);
	assert_true(e->pid > 0);
	E = e;
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	// A failed assertion leaves the simulator or the watcher running.
	if (e->sim_pid > 0)
		fed_test_proc_stop(e->sim_pid, SIGTERM, 10000);
	if (e->watch_pid > 0)
		fed_test_proc_stop(e->watch_pid, SIGTERM, 10000);
	assert_int_equal(fed_test_proc_stop(e->pid, SIGTERM, 10000), 0);
	fed_test_rmtree(e->dir);
	free(e->dir);
	free(e);
	return 0;
}

// Starts fed-edge-sim on the plant with --inverters and extra options.
static void
sim_start(const char *history, const char *fail_at)
{
	char node[200], log[600], hist[64], at[64];
	snprintf(node, sizeof(node), "--node=%s", E->rpc);
	snprintf(log, sizeof(log), "%s/sim.log", E->dir);
	snprintf(hist, sizeof(hist), "--history=%s", history);
	snprintf(at, sizeof(at), "--fail-at=%s", fail_at);
	char *argv[] = {FED_EDGE_SIM_BIN, node, "--token=" ADMIN, "--model=pv",
	    "--site=kermelo", "--inverters", "--fail-inverter=7", at, hist,
	    "--log-level=warning", NULL};
	int pid = fed_test_proc_start(argv, log);
	assert_true(pid > 0);
	E->sim_pid = pid;
}

// Stops the simulator started last.
static void
sim_stop(void)
{
	assert_int_equal(fed_test_proc_stop(E->sim_pid, SIGTERM, 10000), 0);
	E->sim_pid = 0;
}

// Waits (10 s at most) until `fedctl series ls` lists id.
static void
wait_series(const char *id)
{
	for (int i = 0; i < 100; i++) {
		char *out = NULL;
		int rc = FEDCTL(&out, NULL, "series", "ls", "--prefix", id);
		int found = rc == 0 && out != NULL && strstr(out, id) != NULL;
		free(out);
		if (found)
			return;
		fed_test_sleep_ms(100);
	}
	fail_msg("series %s never appeared", id);
}

// `fedctl alarm ls --json` with extra options, parsed.
static cJSON *
alarm_ls(const char *opt)
{
	char *out = NULL;
	int rc = opt != NULL ? FEDCTL(&out, NULL, "alarm", "ls", "--json", opt)
	                     : FEDCTL(&out, NULL, "alarm", "ls", "--json");
	assert_int_equal(rc, 0);
	cJSON *j = cJSON_Parse(out);
	free(out);
	assert_non_null(j);
	return j;
}

// Polls until the rule's alarms number at least n (20 s at most).
static cJSON *
wait_alarms(const char *rule, int n)
{
	char opt[80];
	snprintf(opt, sizeof(opt), "--rule=%s", rule);
	for (int i = 0; i < 200; i++) {
		cJSON *j = alarm_ls(opt);
		if (cJSON_GetArraySize(j) >= n)
			return j;
		cJSON_Delete(j);
		fed_test_sleep_ms(100);
	}
	fail_msg("rule %s raised fewer than %d alarms", rule, n);
	return NULL;
}

static void
test_bad_rules(void **state)
{
	(void) state;
	char *err = NULL;
	assert_int_equal(FEDCTL(NULL, &err, "alarm", "rule", "add", "x",
	                     "--series", "nosuch/", "--above", "5"),
	    1);
	assert_non_null(strstr(err, "series"));
	assert_non_null(strstr(err, "INVALID_ARGUMENT"));
	free(err);
	assert_int_equal(FEDCTL(NULL, &err, "alarm", "rule", "add", "x",
	                     "--series", "nosuch/", "--above", "five"),
	    2);
	free(err);
	assert_int_equal(FEDCTL(NULL, &err, "alarm", "ack", "abc"), 2);
	free(err);
	assert_int_equal(FEDCTL(NULL, &err, "alarm", "ack", "42"), 3);
	assert_non_null(strstr(err, "NOT_FOUND"));
	free(err);
}

static void
test_plant_alarms(void **state)
{
	(void) state;
	// The simulator declares its series first (no history yet)...
	sim_start("0", "0");
	wait_series("kermelo/pv/inv/59/energy");
	sim_stop();
	char *err = NULL;
	assert_int_equal(
	    FEDCTL(NULL, &err, "alarm", "rule", "add", "inv-below", "--series",
	        "kermelo/pv/inv/", "--type", "sibling", "--ratio", "0.5",
	        "--sibling-min", "2", "--for", "30m"),
	    0);
	free(err);
	// Refused: a negative duration, an empty threshold, a contradiction.
	assert_int_equal(FEDCTL(NULL, &err, "alarm", "rule", "add", "t",
	                     "--series", "kermelo/pv/energy"),
	    1);
	assert_non_null(strstr(err, "empty threshold"));
	free(err);
	assert_int_equal(
	    FEDCTL(NULL, &err, "alarm", "rule", "add", "t", "--series",
	        "kermelo/pv/energy", "--above", "1", "--below", "5"),
	    1);
	assert_non_null(strstr(err, "contradictory"));
	free(err);
	// A watcher, then two days of history with inverter 7 failed since
	// the first.
	char wlog[600];
	snprintf(wlog, sizeof(wlog), "%s/watch.out", E->dir);
	char *wargv[]
	    = {FEDCTL_BIN, E->node_opt, E->stream_opt, "--token=" ADMIN,
	        "alarm", "watch", "--count=2", "--duration=60s", NULL};
	E->watch_pid = fed_test_proc_start(wargv, wlog);
	fed_test_sleep_ms(1000); // the watcher dials the stream
	char at[32];
	snprintf(at, sizeof(at), "%lld",
	    (long long) (fed_test_now_ms() - 2 * 86400000LL + 3600000));
	sim_start("2d", at);
	cJSON *j = wait_alarms("inv-below", 1);
	assert_int_equal(cJSON_GetArraySize(j), 1);
	cJSON *a = cJSON_GetArrayItem(j, 0);
	assert_string_equal(cJSON_GetObjectItem(a, "series")->valuestring,
	    "kermelo/pv/inv/07/energy");
	assert_string_equal(
	    cJSON_GetObjectItem(a, "state")->valuestring, "active");
	char id[32];
	snprintf(
	    id, sizeof(id), "%.0f", cJSON_GetObjectItem(a, "id")->valuedouble);
	cJSON_Delete(j);
	// Acknowledged by the admin token's name.
	char *out = NULL;
	assert_int_equal(FEDCTL(&out, NULL, "alarm", "ack", id, "--json"), 0);
	j = cJSON_Parse(out);
	free(out);
	assert_non_null(j);
	assert_string_equal(
	    cJSON_GetObjectItem(j, "acked_by")->valuestring, "admin");
	cJSON_Delete(j);
	// The watcher saw both events, and stopped after them.
	int status = fed_test_proc_stop(E->watch_pid, 0, 20000);
	E->watch_pid = 0;
	assert_int_equal(status, 0);
	char *cat[] = {"/bin/cat", wlog, NULL}, *text = NULL;
	fed_test_run(cat, NULL, &text, NULL);
	char *raised = strstr(text, "raised");
	assert_non_null(raised);
	assert_non_null(strstr(raised, "acknowledged"));
	assert_non_null(strstr(text, "inv/07"));
	free(text);
	sim_stop();
	// The simulator stopped: a stale rule is raised by the timer.
	assert_int_equal(
	    FEDCTL(NULL, NULL, "alarm", "rule", "add", "stale", "--series",
	        "kermelo/pv/energy", "--type", "stale", "--for", "1s"),
	    0);
	j = wait_alarms("stale", 1);
	cJSON_Delete(j);
	j = alarm_ls("--active");
	assert_int_equal(cJSON_GetArraySize(j), 2);
	cJSON_Delete(j);
	assert_int_equal(FEDCTL(&out, NULL, "alarm", "rule", "ls"), 0);
	assert_non_null(strstr(out, "inv-below"));
	assert_non_null(strstr(out, "stale"));
	free(out);
	assert_int_equal(
	    FEDCTL(&out, NULL, "alarm", "rule", "rm", "stale"), 0);
	assert_non_null(strstr(out, "1 active alarms cleared"));
	free(out);
	j = alarm_ls("--active");
	assert_int_equal(cJSON_GetArraySize(j), 1);
	cJSON_Delete(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_bad_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_plant_alarms, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
