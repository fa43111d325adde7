// SPDX-License-Identifier: MIT
//
// fed/clock.h: wall-clock and monotonic time in milliseconds.

#ifndef FED_CLOCK_H
#define FED_CLOCK_H

#include <stdint.h>
#include <time.h>

// UTC milliseconds since the Unix epoch (CLOCK_REALTIME).
int64_t fed_clock_now_ms(void);

// Milliseconds on a clock that never goes back (CLOCK_MONOTONIC): for
// timeouts and rates, never for timestamps.
int64_t fed_clock_mono_ms(void);

// Nanoseconds on the monotonic clock, for benchmarks.
int64_t fed_clock_mono_ns(void);

// The time ms milliseconds (>= 0) from now on clock (CLOCK_REALTIME or
// CLOCK_MONOTONIC, the clock of the condition variable it is for), as the
// absolute deadline pthread_cond_timedwait takes: tv_nsec in [0, 1e9).
struct timespec fed_clock_deadline(clockid_t clock, int64_t ms);

#endif // FED_CLOCK_H
