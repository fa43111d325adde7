// SPDX-License-Identifier: MIT
//
// test_edge_main.c: the collectors' shared main (edge_main.c), in process,
// with a collector of its own: the common option rows where the table puts
// them (--help) and loaded into a config whose edge_main_cfg is not first;
// --help, a bad option and a failed check ending the program before the
// collector runs; a sender that cannot start (exit 1); the collector run
// with a started sender; SIGTERM turned into the stop request (and SIGPIPE
// ignored), the request cleared at the next start; the drain at the end
// (exit 3 and the warning when a point stays in the spool, the node being
// unreachable) and the summary line with the collector's and the sender's
// counters.

#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "edge_main.h"
#include "fed_test.h"

#define CAPTURE_BEGIN(k, fd) \
	assert_int_equal(fed_test_capture_begin((k), (fd)), 0)

// --- A collector -------------------------------------------------------

// Its own option first, so that the common ones are not at offset 0.
struct test_cfg {
	int64_t own;
	edge_main_cfg common;
};

#define C struct test_cfg
static const fed_cfg_opt test_opts[] = {
    EDGE_MAIN_NODE_OPTS(C, common),
    EDGE_MAIN_SITE_OPT(C, common, "here"),
    FED_CFG_OPT_INT(C, own, "own", "0", 0, 100, "a collector's own option"),
    EDGE_MAIN_OWNER_OPT(C, common),
    EDGE_MAIN_END_OPTS(C, common, "./test-spool", "time to send the rest"),
};
#undef C

static const fed_cfg_spec test_spec
    = {"fed-edge-test", "[OPTION]...", "Tests the shared main.", test_opts,
        FED_CFG_N(test_opts), FED_CFG_ARGV_ONLY};

enum mode {
	MODE_RECORD, // note what the collector sees
	MODE_SIGNAL, // a SIGTERM and a SIGPIPE arrive while it runs
	MODE_DRAIN, // nothing, then a point that cannot be sent, drained
};

static struct {
	enum mode mode;
	int checks, runs;
	int refuse; // the check's answer (-1: fine)
	struct test_cfg seen;
	char node[64], token[64], site[64], owner[64], spool[600];
	bool sender, stopping_at_start, stopping_after_pipe,
	    stopping_after_term;
	fed_status submitted;
	int drained_empty, drained_full;
} T;

static int
check(const void *vcfg)
{
	const struct test_cfg *cfg = vcfg;
	T.checks++;
	T.seen.own = cfg->own;
	if (T.refuse >= 0)
		fprintf(stderr, "fed-edge-test: refused\n");
	return T.refuse;
}

static void
record(const struct test_cfg *cfg)
{
	const edge_main_cfg *m = &cfg->common;
	T.seen = *cfg;
	snprintf(T.node, sizeof(T.node), "%s", m->node);
	snprintf(T.token, sizeof(T.token), "%s", m->token ? m->token : "-");
	snprintf(T.site, sizeof(T.site), "%s", m->site);
	snprintf(T.owner, sizeof(T.owner), "%s", m->owner);
	snprintf(T.spool, sizeof(T.spool), "%s", m->sender.spool_dir);
}

// One point of a series not declared: index readings, the main spool.
static fed_status
submit_one(edge_sender *s)
{
	int64_t ts = INT64_C(1780264800000);
	double v = 42;
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT,
	                        *sps = &sp;
	sp.series_id = "test/here/energy";
	sp.ts_ms = &ts;
	sp.n_ts_ms = 1;
	sp.value = &v;
	sp.n_value = 1;
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = &sps;
	req.n_series = 1;
	return edge_sender_submit(s, &req);
}

// The collector notes what it sees; the tests check it once stdout and
// stderr are theirs again.
static int
run(const void *vcfg, edge_sender *s)
{
	const struct test_cfg *cfg = vcfg;
	T.runs++;
	T.sender = s != NULL;
	T.stopping_at_start = edge_main_stopping();
	record(cfg);
	if (T.mode == MODE_SIGNAL) {
		raise(SIGPIPE);
		T.stopping_after_pipe = edge_main_stopping();
		raise(SIGTERM);
		T.stopping_after_term = edge_main_stopping();
		return 5;
	}
	if (T.mode == MODE_DRAIN) {
		int64_t ms = cfg->common.sender.drain_ms;
		T.drained_empty = edge_main_drain(s, ms, "test", "left over");
		T.submitted = submit_one(s);
		T.drained_full = edge_main_drain(s, ms, "test", "left over");
		edge_main_summary(s, "test", "a=%d b=%s", 1, "x");
	}
	return 0;
}

static const edge_main_spec spec
    = {&test_spec, offsetof(struct test_cfg, common), "test", check, run};

static char *dir;

static int
setup(void **state)
{
	(void) state;
	dir = fed_test_tmpdir("edgemain");
	return dir != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void) state;
	fed_test_rmtree(dir);
	free(dir);
	return 0;
}

// Runs the main with args (NULL-terminated) after the program's name and a
// spool folder in the test's folder; its exit status, *out and *err what it
// printed (to free).
static int
main_of(enum mode mode, char **out, char **err, ...)
{
	char spool[700];
	snprintf(spool, sizeof(spool), "--spool-dir=%s/spool", dir);
	char *argv[24] = {"fed-edge-test", spool};
	va_list ap;
	va_start(ap, err);
	int argc = fed_test_argv_add(argv, 2, 24, ap);
	va_end(ap);
	int refuse = T.refuse;
	memset(&T, 0, sizeof(T));
	T.mode = mode;
	T.refuse = refuse;
	struct test_cfg cfg;
	fed_test_capture ko, ke;
	CAPTURE_BEGIN(&ko, STDOUT_FILENO);
	CAPTURE_BEGIN(&ke, STDERR_FILENO);
	int rc = edge_main_run(&spec, &cfg, argc, argv);
	*err = fed_test_capture_end(&ke);
	*out = fed_test_capture_end(&ko);
	return rc;
}

#define MAIN(mode, out, err, ...) main_of(mode, out, err, __VA_ARGS__, NULL)

static void
test_help_and_usage(void **state)
{
	(void) state;
	T.refuse = -1;
	char *out, *err;
	assert_int_equal(MAIN(MODE_RECORD, &out, &err, "--help"), 0);
	assert_int_equal(T.checks + T.runs, 0);
	assert_non_null(strstr(out, "Usage: fed-edge-test [OPTION]..."));
	// The rows where the table puts them, with their defaults.
	const char *order[]
	    = {"--node=STRING", "--token=STRING", "--site=STRING", "--own=INT",
	        "--owner=STRING", "--spool-dir=", "--in-flight=",
	        "--batch-max=", "--drain-timeout=", "--log-level="};
	const char *at = out;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *p = strstr(at, order[i]);
		if (p == NULL)
			fail_msg(
			    "--help: no %s after the previous row", order[i]);
		at = p;
	}
	assert_non_null(strstr(out, "tcp://127.0.0.1:7410"));
	assert_non_null(strstr(out, "\"./test-spool\""));
	assert_non_null(strstr(out, "time to send the rest"));
	free(out);
	free(err);
	assert_int_equal(MAIN(MODE_RECORD, &out, &err, "--bogus"), 2);
	assert_int_equal(T.checks + T.runs, 0);
	assert_string_equal(
	    err, "fed-edge-test: --bogus: unknown option (command line)\n");
	free(out);
	free(err);
	// The check sees the options and can refuse them.
	T.refuse = 2;
	assert_int_equal(MAIN(MODE_RECORD, &out, &err, "--own=7"), 2);
	assert_int_equal(T.checks, 1);
	assert_int_equal(T.seen.own, 7);
	assert_int_equal(T.runs, 0);
	assert_string_equal(err, "fed-edge-test: refused\n");
	free(out);
	free(err);
	T.refuse = -1;
}

static void
test_run(void **state)
{
	(void) state;
	char *out, *err;
	assert_int_equal(MAIN(MODE_RECORD, &out, &err,
	                     "--node=tcp://127.0.0.1:1", "--token=t0k",
	                     "--own=3", "--owner=Lorient", "--log-level=err"),
	    0);
	assert_int_equal(T.checks, 1);
	assert_int_equal(T.runs, 1);
	assert_true(T.sender);
	assert_false(T.stopping_at_start);
	assert_int_equal(T.seen.own, 3);
	assert_string_equal(T.node, "tcp://127.0.0.1:1");
	assert_string_equal(T.token, "t0k");
	assert_string_equal(T.site, "here");
	assert_string_equal(T.owner, "Lorient");
	assert_non_null(strstr(T.spool, "/spool"));
	assert_int_equal(T.seen.common.sender.drain_ms, 30000);
	assert_int_equal(T.seen.common.log_level, FED_LOG_ERR);
	free(out);
	free(err);
	// An address that is none, or a tls+tcp:// node without the
	// board's certificate, key and CA: a usage error (exit 2) at once,
	// the collector not run.
	assert_int_equal(MAIN(MODE_RECORD, &out, &err, "--node=bogus://x"), 2);
	assert_int_equal(T.runs, 0);
	assert_non_null(strstr(err, "bogus://x"));
	free(out);
	free(err);
	assert_int_equal(MAIN(MODE_RECORD, &out, &err,
	                     "--node=tls+tcp://127.0.0.1:1", "--tls-cert=c"),
	    2);
	assert_int_equal(T.runs, 0);
	assert_non_null(strstr(err, "--tls-key"));
	free(out);
	free(err);
	// A sender that cannot start (its certificate cannot be read): exit
	// 1, the collector not run.
	assert_int_equal(
	    MAIN(MODE_RECORD, &out, &err, "--node=tls+tcp://127.0.0.1:1",
	        "--tls-cert=/nonexistent/board.crt",
	        "--tls-key=/nonexistent/board.key",
	        "--tls-ca=/nonexistent/ca.crt"),
	    1);
	assert_int_equal(T.runs, 0);
	assert_non_null(strstr(err, "/nonexistent/board.crt"));
	free(out);
	free(err);
}

static void
test_signals(void **state)
{
	(void) state;
	char *out, *err;
	assert_int_equal(MAIN(MODE_SIGNAL, &out, &err,
	                     "--node=tcp://127.0.0.1:1", "--log-level=err"),
	    5);
	assert_int_equal(T.runs, 1);
	assert_false(T.stopping_at_start);
	assert_false(T.stopping_after_pipe);
	assert_true(T.stopping_after_term);
	free(out);
	free(err);
	// The next start clears the request.
	assert_int_equal(MAIN(MODE_RECORD, &out, &err,
	                     "--node=tcp://127.0.0.1:1", "--log-level=err"),
	    0);
	assert_int_equal(T.runs, 1);
	assert_false(T.stopping_at_start);
	free(out);
	free(err);
}

static void
test_drain_and_summary(void **state)
{
	(void) state;
	char *out, *err;
	assert_int_equal(
	    MAIN(MODE_DRAIN, &out, &err, "--node=tcp://127.0.0.1:1",
	        "--drain-timeout=100ms", "--rpc-timeout=100ms",
	        "--log-level=notice"),
	    0);
	assert_int_equal(T.drained_empty, 0);
	assert_int_equal(T.submitted, FED_OK);
	assert_int_equal(T.drained_full, 3);
	assert_non_null(strstr(err, " warning test: left over\n"));
	assert_non_null(strstr(err,
	    " notice test: summary: a=1 b=x sent=0 stored=0 duplicate=0 "
	    "dead=0 lost=0 thinned=0 spilled=0 pending=1\n"));
	free(out);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_help_and_usage),
	    cmocka_unit_test(test_run),
	    cmocka_unit_test(test_signals),
	    cmocka_unit_test(test_drain_and_summary),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
