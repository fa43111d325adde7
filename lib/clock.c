// SPDX-License-Identifier: MIT
//
// clock.c: thin wrappers over clock_gettime.

#include "fed/clock.h"

#include <time.h>

static int64_t
read_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
fed_clock_now_ms(void)
{
	return read_ns(CLOCK_REALTIME) / 1000000;
}

int64_t
fed_clock_mono_ms(void)
{
	return read_ns(CLOCK_MONOTONIC) / 1000000;
}

int64_t
fed_clock_mono_ns(void)
{
	return read_ns(CLOCK_MONOTONIC);
}

struct timespec
fed_clock_deadline(clockid_t clock, int64_t ms)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	ts.tv_sec += (time_t) (ms / 1000);
	ts.tv_nsec += (long) (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}
