// SPDX-License-Identifier: MIT
//
// fed/log.h: one line per event, syslog levels.
//
// Library code logs through fed_log() and never prints; the program's main.c
// (or a test) chooses the sink and the level. Until a sink is set, nothing is
// written. The level is checked before any formatting, so a disabled
// debug line costs one comparison. Thread-safe: a line is written whole.

#ifndef FED_LOG_H
#define FED_LOG_H

#include <stdarg.h>
#include <stdint.h>

#include "fed/status.h"

typedef enum fed_log_level {
	FED_LOG_ERR = 3,
	FED_LOG_WARNING = 4,
	FED_LOG_NOTICE = 5,
	FED_LOG_INFO = 6,
	FED_LOG_DEBUG = 7,
} fed_log_level;

// A sink receives a formatted line without its trailing newline. It may be
// called from any thread, one call at a time.
typedef void (*fed_log_sink)(
    fed_log_level level, const char *component, const char *line, void *arg);

// Sets the sink (NULL: discard everything) and its argument. Not thread-safe
// against concurrent fed_log(): call it before starting threads.
void fed_log_set_sink(fed_log_sink sink, void *arg);

// Lines above `level` (less severe) are dropped.
void fed_log_set_level(fed_log_level level);

// The current level.
fed_log_level fed_log_get_level(void);

// Parses "err", "warning", "notice", "info" or "debug". Returns 0 and sets
// *out, or -1 for anything else.
int fed_log_parse_level(const char *s, fed_log_level *out);

// The sink that writes "2026-11-28T09:00:00.123Z INFO node: text" to stderr.
void fed_log_stderr_sink(
    fed_log_level level, const char *component, const char *line, void *arg);

// True when a line at `level` would be written.
int fed_log_enabled(fed_log_level level);

// Formats and emits one line. `component` names the module ("rpc", "node").
void fed_log(fed_log_level level, const char *component, const char *fmt, ...)
    FED__PRINTF(3, 4);

// As fed_log, at most once every `interval_ms` per *last_ms (caller-owned
// state, 0 initially): for meter noise and other floods. Returns 1 if the
// line was emitted, 0 if suppressed.
int fed_log_limited(int64_t *last_ms, int64_t interval_ms, fed_log_level level,
    const char *component, const char *fmt, ...) FED__PRINTF(5, 6);

#endif // FED_LOG_H
