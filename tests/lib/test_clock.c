// SPDX-License-Identifier: MIT
//
// test_clock.c: fed/clock.h: the clocks agree with clock_gettime, and a
// deadline is normalised and lies ms after the moment it was asked for,
// on the clock asked for (whole seconds, carried nanoseconds, zero).

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "fed/clock.h"

static int64_t
ns_of(const struct timespec *ts)
{
	return (int64_t) ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static int64_t
now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ns_of(&ts);
}

static void
test_deadline(void **state)
{
	(void) state;
	static const int64_t ms[] = {0, 1, 999, 1000, 1001, 1999, 86400000};
	static const clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC};
	for (size_t c = 0; c < 2; c++)
		for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
			int64_t before = now_ns(clocks[c]);
			struct timespec d
			    = fed_clock_deadline(clocks[c], ms[i]);
			int64_t after = now_ns(clocks[c]);
			assert_in_range(d.tv_nsec, 0, 999999999);
			// ms after a moment between before and after.
			assert_true(ns_of(&d) >= before + ms[i] * 1000000);
			assert_true(ns_of(&d) <= after + ms[i] * 1000000);
		}
}

static void
test_clocks(void **state)
{
	(void) state;
	int64_t wall = now_ns(CLOCK_REALTIME) / 1000000;
	int64_t ms = fed_clock_now_ms();
	assert_true(ms >= wall && ms - wall < 1000);
	int64_t mono = now_ns(CLOCK_MONOTONIC) / 1000000;
	int64_t m = fed_clock_mono_ms();
	assert_true(m >= mono && m - mono < 1000);
	assert_true(fed_clock_mono_ns() / 1000000 >= m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deadline),
	    cmocka_unit_test(test_clocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
