// SPDX-License-Identifier: MIT
//
// fed/ratelimit.h: how many lines of one kind a program logs per source,
// so that a flood of refused calls cannot fill the disk, while what was
// left out is still counted and said in the next line that is logged.
//
// A limiter holds a small fixed table of sources (addresses); each may log
// per_window lines per window_ms, and all together four times as many.
// When the table is full, the source whose window began first gives its
// place. Thread-safe; no allocation.

#ifndef FED_RATELIMIT_H
#define FED_RATELIMIT_H

#include <pthread.h>
#include <stdint.h>

#define FED_RATELIMIT_SOURCES 64 // sources followed at once
#define FED_RATELIMIT_KEY_LEN 64 // bytes of a source's name kept

typedef struct fed_ratelimit {
	pthread_mutex_t mu;
	unsigned per_window; // lines of one source per window
	int64_t window_ms;
	int64_t all_start_ms; // the window of every source together
	unsigned all_n;
	struct fed_ratelimit_source {
		char key[FED_RATELIMIT_KEY_LEN];
		int64_t start_ms; // its window's start
		unsigned n; // lines logged in it
		uint64_t suppressed; // left out since its last line
	} src[FED_RATELIMIT_SOURCES];
} fed_ratelimit;

// A limiter of per_window lines a source per window_ms, for a static or
// automatic variable: `static fed_ratelimit rl = FED_RATELIMIT_INIT(10,
// 60000);`.
#define FED_RATELIMIT_INIT(per_window, window_ms)                           \
	{                                                                   \
		PTHREAD_MUTEX_INITIALIZER, (per_window), (window_ms), 0, 0, \
		{                                                           \
			{                                                   \
				"", 0, 0, 0                                 \
			}                                                   \
		}                                                           \
	}

// 1 when one more line of source key (borrowed; "" is a source too) may be
// logged at now_ms, with *suppressed set to how many of its lines were left
// out since its last one (to say in this line); 0 when it must be left out
// (then counted).
int fed_ratelimit_allow(
    fed_ratelimit *rl, const char *key, int64_t now_ms, uint64_t *suppressed);

#endif // FED_RATELIMIT_H
