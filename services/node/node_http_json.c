// SPDX-License-Identifier: MIT
//
// node_http_json.c: JSON text for the InfluxDB answers (node_http_json.h).

#include "node_http_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
node_json_init(node_json *j)
{
	memset(j, 0, sizeof(*j));
}

void
node_json_fini(node_json *j)
{
	free(j->p);
	memset(j, 0, sizeof(*j));
}

bool
node_json_ok(const node_json *j)
{
	return !j->oom;
}

static bool
reserve(node_json *j, size_t more)
{
	if (j->oom)
		return false;
	if (j->len + more + 1 <= j->cap)
		return true;
	size_t cap = j->cap ? j->cap : 256;
	while (cap < j->len + more + 1)
		cap *= 2;
	char *p = realloc(j->p, cap);
	if (p == NULL) {
		j->oom = true;
		return false;
	}
	j->p = p;
	j->cap = cap;
	return true;
}

static void
put_n(node_json *j, const char *s, size_t n)
{
	if (!reserve(j, n))
		return;
	memcpy(j->p + j->len, s, n);
	j->len += n;
	j->p[j->len] = '\0';
}

void
node_json_put(node_json *j, const char *s)
{
	put_n(j, s, strlen(s));
}

void
node_json_printf(node_json *j, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n < sizeof(buf)) {
		put_n(j, buf, (size_t) n);
		return;
	}
	if (!reserve(j, (size_t) n))
		return;
	va_start(ap, fmt);
	vsnprintf(j->p + j->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	j->len += (size_t) n;
}

void
node_json_str(node_json *j, const char *s)
{
	put_n(j, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char) *s;
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char) c};
			put_n(j, e, 2);
		} else if (c < 0x20) {
			node_json_printf(j, "\\u%04x", c);
		} else {
			put_n(j, s, 1);
		}
	}
	put_n(j, "\"", 1);
}

void
node_json_num(node_json *j, double v)
{
	if (!isfinite(v)) {
		node_json_put(j, "null");
		return;
	}
	char buf[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	node_json_put(j, buf);
}

void
node_json_time(node_json *j, int64_t ts_ms)
{
	int64_t s = ts_ms / 1000 - (ts_ms % 1000 < 0);
	int ms = (int) (ts_ms - s * 1000);
	time_t t = (time_t) s;
	struct tm tm;
	char buf[48];
	if (gmtime_r(&t, &tm) == NULL) {
		node_json_put(j, "null");
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (ms != 0)
		node_json_printf(j, "\"%s.%03dZ\"", buf, ms);
	else
		node_json_printf(j, "\"%sZ\"", buf);
}

void
node_json_append(node_json *j, const node_json *src)
{
	if (src->oom)
		j->oom = true;
	else if (src->len > 0)
		put_n(j, src->p, src->len);
}

size_t
node_json_mark(const node_json *j)
{
	return j->len;
}

void
node_json_rewind(node_json *j, size_t mark)
{
	if (mark <= j->len) {
		j->len = mark;
		if (j->p != NULL)
			j->p[mark] = '\0';
	}
}

char *
node_json_take(node_json *j, size_t *len)
{
	char *p = j->oom ? NULL : j->p;
	*len = p != NULL ? j->len : 0;
	if (p == NULL)
		free(j->p);
	memset(j, 0, sizeof(*j));
	return p;
}
