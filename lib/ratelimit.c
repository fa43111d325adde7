// SPDX-License-Identifier: MIT
//
// ratelimit.c: fed/ratelimit.h.

#include "fed/ratelimit.h"

#include <stdio.h>
#include <string.h>

// The entry of key: its own, else a free or stale one, else the one whose
// window began first (its count of left-out lines is lost with it).
static struct fed_ratelimit_source *
source_of(fed_ratelimit *rl, const char *key, int64_t now_ms)
{
	struct fed_ratelimit_source *victim = &rl->src[0];
	for (size_t i = 0; i < FED_RATELIMIT_SOURCES; i++) {
		struct fed_ratelimit_source *s = &rl->src[i];
		if (strncmp(s->key, key, sizeof(s->key) - 1) == 0
		    && s->start_ms != 0)
			return s;
		if (s->start_ms < victim->start_ms)
			victim = s;
	}
	snprintf(victim->key, sizeof(victim->key), "%s", key);
	victim->start_ms = now_ms;
	victim->n = 0;
	victim->suppressed = 0;
	return victim;
}

int
fed_ratelimit_allow(
    fed_ratelimit *rl, const char *key, int64_t now_ms, uint64_t *suppressed)
{
	if (now_ms <= 0)
		now_ms = 1; // 0 marks a free entry
	pthread_mutex_lock(&rl->mu);
	struct fed_ratelimit_source *s = source_of(rl, key, now_ms);
	if (now_ms - s->start_ms >= rl->window_ms) {
		s->start_ms = now_ms;
		s->n = 0;
	}
	if (now_ms - rl->all_start_ms >= rl->window_ms) {
		rl->all_start_ms = now_ms;
		rl->all_n = 0;
	}
	int ok = s->n < rl->per_window && rl->all_n < 4 * rl->per_window;
	if (ok) {
		s->n++;
		rl->all_n++;
		*suppressed = s->suppressed;
		s->suppressed = 0;
	} else {
		s->suppressed++;
	}
	pthread_mutex_unlock(&rl->mu);
	return ok;
}
