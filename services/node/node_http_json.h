// SPDX-License-Identifier: MIT
//
// node_http_json.h: a growing buffer of JSON text for node_http.c's
// answers. A failed allocation is remembered (node_json_ok) and every
// later write does nothing, so a writer checks once at the end.

#ifndef NODE_HTTP_JSON_H
#define NODE_HTTP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"

typedef struct node_json {
	char *p;
	size_t len, cap;
	bool oom;
} node_json;

// An empty buffer; node_json_fini frees it.
void node_json_init(node_json *j);
void node_json_fini(node_json *j);

// False once an allocation failed.
bool node_json_ok(const node_json *j);

// Appends s as is.
void node_json_put(node_json *j, const char *s);

// Appends printf-formatted text.
void node_json_printf(node_json *j, const char *fmt, ...) FED__PRINTF(2, 3);

// Appends s as a JSON string, quoted and escaped (control bytes as \u00XX).
void node_json_str(node_json *j, const char *s);

// Appends v as a JSON number: the shortest form that reads back to the
// same double; null when not finite.
void node_json_num(node_json *j, double v);

// Appends ts_ms as InfluxDB's RFC 3339 time string, UTC
// ("2026-01-01T00:00:00Z", with milliseconds when not whole seconds).
void node_json_time(node_json *j, int64_t ts_ms);

// Appends what src holds.
void node_json_append(node_json *j, const node_json *src);

// The length now, and a return to it (drops what came after).
size_t node_json_mark(const node_json *j);
void node_json_rewind(node_json *j, size_t mark);

// The text (NUL-terminated; the caller frees it) and its length; the
// buffer is left empty. NULL after an allocation failure.
char *node_json_take(node_json *j, size_t *len);

#endif // NODE_HTTP_JSON_H
