// SPDX-License-Identifier: MIT
//
// node_http_lp.h: InfluxDB line protocol (1.x) into the node's points, for
// the /write endpoint of node_http.h.
//
// A line is `measurement[,tag=value...] field=value[,field=value...]
// [timestamp]`, with InfluxDB's escapes (backslash before a comma, a space
// or an equals sign; strings in double quotes with \" and \\). The mapping
// rule (docs/integrations.md):
//   - the series id is the value of the tag `series` when the line has
//     one; otherwise the measurement, then each tag value in the order of
//     the tag keys (bytewise), joined by '/': `house,meter=linky energy`
//     with a tag `meter=linky` is `house/linky`;
//   - the point's value is the field `value`, a float, an integer (5i) or
//     an unsigned integer (5u); other fields are ignored; a line without a
//     numeric `value` (Home Assistant's string states) is skipped and
//     counted, not refused;
//   - the timestamp is read in the request's precision (n, u, ms, s, m, h;
//     n when absent) and truncated to the millisecond; a line without one
//     takes the request's `now_ms`.
// A syntax error in any line refuses the whole body (nothing is written),
// with the line's number and its first bytes in the message.
//
// Bounded: every loop walks the body once; the number of distinct series
// in one body is limited (NODE_LP_MAX_SERIES). Thread-safe (no state).

#ifndef NODE_HTTP_LP_H
#define NODE_HTTP_LP_H

#include <stddef.h>
#include <stdint.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/status.h"

#define NODE_LP_MAX_SERIES 4096 // distinct series in one body
#define NODE_LP_MAX_TAGS   32 // tags on one line
#define NODE_LP_MAX_ID     200 // a series id (the node's own limit)

// The points of one body, grouped by series, ready for an IngestRequest.
typedef struct node_lp_batch {
	Enfed__V1__SeriesPoints **series; // n_series entries (heap)
	size_t n_series;
	size_t cap_series;
	size_t n_points; // points kept
	size_t n_skipped; // lines without a numeric `value` field
} node_lp_batch;

// Precision of timestamps, from /write's `precision` parameter ("n", "ns",
// "u", "us", "ms", "s", "m", "h"; NULL or "" is "n"). INVALID_ARGUMENT for
// another one. *out is the number of nanoseconds of one unit.
fed_status node_lp_precision(const char *s, int64_t *out);

// Parses body (len bytes, not NUL-terminated) into *batch (initialised
// here; node_lp_batch_fini frees it, on every return). unit_ns: from
// node_lp_precision. INVALID_ARGUMENT with "line N: why: 'start of the
// line'" in err for a malformed line, a timestamp out of range or an id
// too long; RESOURCE_EXHAUSTED past NODE_LP_MAX_SERIES or out of memory.
fed_status node_lp_parse(const char *body, size_t len, int64_t unit_ns,
    int64_t now_ms, node_lp_batch *batch, char *err, size_t err_len);

// Frees what node_lp_parse allocated. Safe on a zeroed batch.
void node_lp_batch_fini(node_lp_batch *batch);

#endif // NODE_HTTP_LP_H
