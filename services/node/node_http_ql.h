// SPDX-License-Identifier: MIT
//
// node_http_ql.h: the subset of InfluxQL that Grafana's InfluxDB data
// source and Home Assistant send, parsed by hand for the /query endpoint of
// node_http.h (docs/integrations.md lists it):
//
//   SELECT mean|sum|min|max|first|last|count("value") [AS alias]
//     FROM "series/id" [, ...]
//     WHERE time >= 1700000000000ms AND time <= now() [AND "series" = 'id']
//     GROUP BY time(5m|15m|1h|1d|1w|1mo|1y) [fill(null|none|0|previous)]
//     [ORDER BY time ASC|DESC] [LIMIT n] [tz('Europe/Paris')]
//   SELECT "value" FROM ... WHERE time ...           (raw points)
//   SELECT last("value") FROM ... WHERE time ...     (one row: the node's
//                                                    5-minute buckets
//                                                    combined)
//   SHOW MEASUREMENTS [WITH MEASUREMENT =~ /re/|= "id"] [LIMIT n]
//   SHOW TAG KEYS [FROM ...], SHOW TAG VALUES [FROM ...] WITH KEY = "k"
//   SHOW FIELD KEYS [FROM ...], SHOW DATABASES, SHOW RETENTION POLICIES
//
// Anything else is INVALID_ARGUMENT with a message naming what is not
// supported. Bounded: the input length, the statements and the tokens of a
// statement have fixed limits; no recursion (parentheses around WHERE
// conditions are counted, not descended into). Thread-safe (no state).

#ifndef NODE_HTTP_QL_H
#define NODE_HTTP_QL_H

#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"

#define NODE_QL_MAX_LEN     65536 // bytes of q
#define NODE_QL_MAX_STMTS   16 // statements in one q (Grafana joins targets)
#define NODE_QL_MAX_SOURCES 16 // series in one FROM
#define NODE_QL_MAX_TOKENS  512 // tokens in one statement
#define NODE_QL_ID_LEN      201 // a series id and its NUL

typedef enum node_ql_kind {
	NODE_QL_SELECT,
	NODE_QL_SHOW_MEASUREMENTS,
	NODE_QL_SHOW_TAG_KEYS,
	NODE_QL_SHOW_TAG_VALUES,
	NODE_QL_SHOW_FIELD_KEYS,
	NODE_QL_SHOW_DATABASES,
	NODE_QL_SHOW_RETENTION_POLICIES,
} node_ql_kind;

typedef enum node_ql_fill {
	NODE_QL_FILL_NULL, // InfluxDB's default: empty buckets as null
	NODE_QL_FILL_NONE, // empty buckets left out
	NODE_QL_FILL_VALUE, // empty buckets as fill_value
	NODE_QL_FILL_PREVIOUS, // empty buckets as the previous value
} node_ql_fill;

// How a SHOW MEASUREMENTS or SHOW TAG VALUES filters names.
typedef enum node_ql_match {
	NODE_QL_MATCH_ALL,
	NODE_QL_MATCH_EXACT, // = "name"
	NODE_QL_MATCH_PREFIX, // =~ /^literal/
	NODE_QL_MATCH_SUBSTRING, // =~ /literal/ (or /(?i)literal/)
} node_ql_match;

typedef struct node_ql_stmt {
	node_ql_kind kind;
	// SELECT
	int agg; // an Enfed__V1__Aggregate; 0 (default) for raw points
	int step; // an Enfed__V1__Step; STEP_RAW without GROUP BY time
	// An aggregate without GROUP BY time: asked at STEP_5MIN, answered
	// as one row (the buckets combined) at the range's start.
	int whole;
	char column[64]; // the value column: alias, function or "value"
	char series[NODE_QL_MAX_SOURCES][NODE_QL_ID_LEN];
	size_t n_series;
	int64_t from_ms, to_ms; // [from, to); to defaults to now
	node_ql_fill fill;
	double fill_value;
	int desc; // ORDER BY time DESC
	uint64_t limit; // 0: none
	char tz[64]; // "" = the node's
	// SHOW
	node_ql_match match;
	int match_icase;
	char pattern[NODE_QL_ID_LEN]; // of match
	char tag_key[64]; // SHOW TAG VALUES WITH KEY
} node_ql_stmt;

// Parses q (len bytes, not NUL-terminated) into at most max statements of
// out (*n_out set); now_ms stands for now(). INVALID_ARGUMENT with a
// message in err for anything outside the subset, a query of more than
// NODE_QL_MAX_LEN bytes or more than max statements.
fed_status node_ql_parse(const char *q, size_t len, int64_t now_ms,
    node_ql_stmt *out, size_t max, size_t *n_out, char *err, size_t err_len);

#endif // NODE_HTTP_QL_H
