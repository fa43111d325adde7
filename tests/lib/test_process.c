// SPDX-License-Identifier: MIT
//
// test_process.c: the main loop's wait tells a stop from a reload and a
// timeout; the reload callbacks run in order, a refused one does not stop
// the others; the rate limiter of refusal logs.

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fed/clock.h"
#include "fed/process.h"
#include "fed/ratelimit.h"

static sigset_t signals;

static int
setup(void **state)
{
	(void) state;
	fed_process_init(FED_LOG_ERR, &signals);
	return 0;
}

static void
test_wait(void **state)
{
	(void) state;
	int sig = -1;
	int64_t t0 = fed_clock_mono_ms();
	assert_int_equal(
	    fed_process_wait(&signals, 50, &sig), FED_PROCESS_TIMEOUT);
	assert_int_equal(sig, 0);
	assert_true(fed_clock_mono_ms() - t0 >= 45);
	raise(SIGHUP); // blocked: pending until the wait takes it
	assert_int_equal(
	    fed_process_wait(&signals, 1000, &sig), FED_PROCESS_RELOAD);
	assert_int_equal(sig, SIGHUP);
	raise(SIGTERM);
	assert_int_equal(
	    fed_process_wait(&signals, -1, NULL), FED_PROCESS_STOP);
	raise(SIGINT);
	assert_int_equal(
	    fed_process_wait(&signals, 0, &sig), FED_PROCESS_STOP);
	assert_int_equal(sig, SIGINT);
}

static char order[16];

static fed_status
cb(void *arg)
{
	const char *c = arg;
	strncat(order, c, sizeof(order) - strlen(order) - 1);
	return c[0] == 'b' ? FED_INVALID_ARGUMENT : FED_OK;
}

static void
test_reload_callbacks(void **state)
{
	(void) state;
	order[0] = '\0';
	fed_process_reload_clear();
	assert_int_equal(fed_process_reload(), FED_OK); // none
	assert_int_equal(fed_process_on_reload("a", cb, "a"), FED_OK);
	assert_int_equal(fed_process_on_reload("b", cb, "b"), FED_OK);
	assert_int_equal(fed_process_on_reload("c", cb, "c"), FED_OK);
	assert_int_equal(fed_process_reload(), FED_INVALID_ARGUMENT);
	assert_string_equal(order, "abc"); // b refused, c still ran
	raise(SIGHUP);
	raise(SIGTERM);
	order[0] = '\0';
	int sig = fed_process_serve(&signals);
	assert_int_equal(sig, SIGTERM);
	assert_string_equal(order, "abc");
	fed_process_reload_clear();
	assert_int_equal(fed_process_reload(), FED_OK);
	for (int i = 0; i < FED_PROCESS_MAX_RELOADS; i++)
		assert_int_equal(fed_process_on_reload("a", cb, "a"), FED_OK);
	assert_int_equal(
	    fed_process_on_reload("a", cb, "a"), FED_RESOURCE_EXHAUSTED);
	fed_process_reload_clear();
}

static void
test_ratelimit(void **state)
{
	(void) state;
	static fed_ratelimit rl = FED_RATELIMIT_INIT(3, 1000);
	uint64_t left = 99;
	for (int i = 0; i < 3; i++) {
		assert_true(fed_ratelimit_allow(&rl, "10.0.0.1", 100, &left));
		assert_int_equal(left, 0);
	}
	for (int i = 0; i < 5; i++)
		assert_false(fed_ratelimit_allow(&rl, "10.0.0.1", 200, &left));
	// Another source has its own budget.
	assert_true(fed_ratelimit_allow(&rl, "10.0.0.2", 200, &left));
	// A new window: the line says what was left out.
	assert_true(fed_ratelimit_allow(&rl, "10.0.0.1", 1100, &left));
	assert_int_equal(left, 5);
	// Many sources together: at most four times one's budget a window.
	int logged = 0;
	char key[32];
	for (int i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "192.0.2.%d", i);
		logged += fed_ratelimit_allow(&rl, key, 5000, &left);
	}
	assert_int_equal(logged, 12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wait),
	    cmocka_unit_test(test_reload_callbacks),
	    cmocka_unit_test(test_ratelimit),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
