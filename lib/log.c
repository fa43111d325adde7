// SPDX-License-Identifier: MIT
//
// log.c: the level filter, the sink indirection and the stderr sink.

#include "fed/log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fed/clock.h"

static fed_log_sink sink_fn;
static void *sink_arg;
static volatile int cur_level = FED_LOG_INFO;
static pthread_mutex_t sink_mtx = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {
    [FED_LOG_ERR] = "err",
    [FED_LOG_WARNING] = "warning",
    [FED_LOG_NOTICE] = "notice",
    [FED_LOG_INFO] = "info",
    [FED_LOG_DEBUG] = "debug",
};

void
fed_log_set_sink(fed_log_sink sink, void *arg)
{
	sink_fn = sink;
	sink_arg = arg;
}

void
fed_log_set_level(fed_log_level level)
{
	cur_level = (int) level;
}

fed_log_level
fed_log_get_level(void)
{
	return (fed_log_level) cur_level;
}

int
fed_log_parse_level(const char *s, fed_log_level *out)
{
	for (int l = FED_LOG_ERR; l <= FED_LOG_DEBUG; l++) {
		if (s != NULL && strcasecmp(s, level_names[l]) == 0) {
			*out = (fed_log_level) l;
			return 0;
		}
	}
	return -1;
}

int
fed_log_enabled(fed_log_level level)
{
	return sink_fn != NULL && (int) level <= cur_level;
}

void
fed_log_stderr_sink(
    fed_log_level level, const char *component, const char *line, void *arg)
{
	(void) arg;
	int64_t now = fed_clock_now_ms();
	time_t secs = (time_t) (now / 1000);
	struct tm tm;
	char stamp[32];
	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	const char *lv = (level >= FED_LOG_ERR && level <= FED_LOG_DEBUG)
	    ? level_names[level]
	    : "?";
	fprintf(stderr, "%s.%03lldZ %s %s: %s\n", stamp,
	    (long long) (now % 1000), lv, component, line);
}

static void emit(fed_log_level level, const char *component, const char *fmt,
    va_list ap) FED__PRINTF(3, 0);

static void
emit(fed_log_level level, const char *component, const char *fmt, va_list ap)
{
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	// Keep one event on one line whatever the message holds.
	for (char *p = line; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	}
	pthread_mutex_lock(&sink_mtx);
	if (sink_fn != NULL)
		sink_fn(level, component, line, sink_arg);
	pthread_mutex_unlock(&sink_mtx);
}

void
fed_log(fed_log_level level, const char *component, const char *fmt, ...)
{
	if (!fed_log_enabled(level))
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(level, component, fmt, ap);
	va_end(ap);
}

int
fed_log_limited(int64_t *last_ms, int64_t interval_ms, fed_log_level level,
    const char *component, const char *fmt, ...)
{
	if (!fed_log_enabled(level))
		return 0;
	int64_t now = fed_clock_mono_ms();
	if (*last_ms != 0 && now - *last_ms < interval_ms)
		return 0;
	*last_ms = now;
	va_list ap;
	va_start(ap, fmt);
	emit(level, component, fmt, ap);
	va_end(ap);
	return 1;
}
