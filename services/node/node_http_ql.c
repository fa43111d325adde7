// SPDX-License-Identifier: MIT
//
// node_http_ql.c: a flat parser for the InfluxQL subset of node_http_ql.h,
// over the tokens of node_http_ql_lex.c. It reads a statement clause by
// clause and never recurses, so neither nesting nor length can exhaust the
// stack.

#define _DEFAULT_SOURCE // timegm
#include "node_http_ql.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "enfed/v1/series.pb-c.h"
#include "node_http_ql_lex.h"

#define MAX_DEPTH 16 // parentheses around WHERE conditions

// ---- Regular expressions as literals -------------------------------------

// Reads a regex that is a literal with optional anchors and (?i) into
// match/pattern: what Grafana's query editor sends. Anything else fails.
static bool
regex_literal(node_ql_lex *lx, node_ql_stmt *s)
{
	const node_ql_tok *t = &lx->cur;
	const char *p = t->p, *end = t->p + t->len;
	if (end - p >= 4 && memcmp(p, "(?i)", 4) == 0) {
		s->match_icase = 1;
		p += 4;
	}
	bool head = p < end && *p == '^';
	p += head;
	bool tail
	    = end > p && end[-1] == '$' && (end - 1 == p || end[-2] != '\\');
	end -= tail;
	size_t n = 0;
	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end
		    && !isalnum((unsigned char) p[1]))
			p++;
		else if (strchr(".^$|()[]{}*+?\\", *p) != NULL)
			return node_ql_fail(lx,
			    "regular expressions are supported only as "
			    "literals, with ^, $ and (?i): '%.*s'",
			    (int) (t->len > 60 ? 60 : t->len), t->p);
		if (n + 1 >= sizeof(s->pattern))
			return node_ql_fail(lx, "regular expression too long");
		s->pattern[n++] = *p;
	}
	s->pattern[n] = '\0';
	s->match = head && tail ? NODE_QL_MATCH_EXACT
	    : head              ? NODE_QL_MATCH_PREFIX
	                        : NODE_QL_MATCH_SUBSTRING;
	node_ql_next(lx);
	return true;
}

// ---- Time -----------------------------------------------------------------

// An RFC 3339 time ('2024-01-01T00:00:00Z', '2024-01-01 00:00:00',
// fractions and offsets allowed) into nanoseconds.
static bool
rfc3339_ns(const char *s, int64_t *ns)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	int used = 0;
	if (sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &tm.tm_year,
	        &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	        &used)
	        != 6
	    || used == 0 || tm.tm_year < 1970 || tm.tm_year > 2200)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	const char *p = s + used;
	int64_t frac = 0, scale = 1000000000;
	if (*p == '.')
		for (p++; isdigit((unsigned char) *p); p++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	int64_t off = 0;
	if (*p == '+' || *p == '-') {
		int hh = 0, mm = 0;
		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
			return false;
		off = (*p == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
		p += 6;
	} else if (*p == 'Z') {
		p++;
	}
	if (*p != '\0')
		return false;
	time_t t = timegm(&tm);
	*ns = ((int64_t) t - off) * 1000000000 + frac;
	return true;
}

// Times are kept within +-8e18 ns (1716-2223): sums and the +1 of a
// bound cannot overflow, and everything the node stores is inside.
#define TIME_MAX_NS INT64_C(8000000000000000000)

static bool
time_in_range(node_ql_lex *lx, int64_t ns)
{
	if (ns > TIME_MAX_NS || ns < -TIME_MAX_NS)
		return node_ql_fail(lx, "time out of range");
	return true;
}

// now() [- duration | + duration], with `now` the current token.
static bool
time_now(node_ql_lex *lx, int64_t *ns)
{
	node_ql_next(lx);
	if (!node_ql_expect_punct(lx, '(') || !node_ql_expect_punct(lx, ')'))
		return false;
	*ns = lx->now_ms * 1000000;
	if (!node_ql_is_punct(lx, '-') && !node_ql_is_punct(lx, '+'))
		return true;
	int64_t sign = node_ql_is_punct(lx, '-') ? -1 : 1;
	node_ql_next(lx);
	if (lx->cur.kind != NODE_QL_T_DURATION || lx->cur.months)
		return node_ql_near(lx, "a duration");
	if (!time_in_range(lx, lx->cur.dur_ns))
		return false;
	*ns += sign * lx->cur.dur_ns;
	node_ql_next(lx);
	return time_in_range(lx, *ns);
}

// A time of a WHERE condition, in nanoseconds.
static bool
time_value(node_ql_lex *lx, int64_t *ns)
{
	if (lx->cur.kind == NODE_QL_T_DURATION && !lx->cur.months) {
		*ns = lx->cur.dur_ns;
	} else if (lx->cur.kind == NODE_QL_T_NUMBER) { // a bare number is ns
		if (!(lx->cur.num <= (double) TIME_MAX_NS
		        && lx->cur.num >= (double) -TIME_MAX_NS))
			return node_ql_fail(lx, "time out of range");
		*ns = (int64_t) lx->cur.num;
	} else if (lx->cur.kind == NODE_QL_T_STRING) {
		char s[64];
		if (!node_ql_tok_text(&lx->cur, s, sizeof(s))
		    || !rfc3339_ns(s, ns))
			return node_ql_fail(lx, "bad time '%.*s'",
			    (int) (lx->cur.len > 40 ? 40 : lx->cur.len),
			    lx->cur.p);
	} else if (node_ql_is_kw(lx, "now")) {
		return time_now(lx, ns);
	} else {
		return node_ql_near(lx, "a time");
	}
	node_ql_next(lx);
	return time_in_range(lx, *ns);
}

// time <op> value, with `time` already read.
static bool
time_cond(node_ql_lex *lx, int64_t *from_ns, int64_t *to_ns)
{
	if (lx->cur.kind != NODE_QL_T_OP)
		return node_ql_near(lx, "a comparison");
	char op[3] = {0};
	memcpy(op, lx->cur.p, lx->cur.len);
	node_ql_next(lx);
	int64_t v = 0;
	if (!time_value(lx, &v))
		return false;
	if (strcmp(op, ">=") == 0 || strcmp(op, "=") == 0)
		*from_ns = v > *from_ns ? v : *from_ns;
	if (strcmp(op, ">") == 0)
		*from_ns = v + 1 > *from_ns ? v + 1 : *from_ns;
	if (strcmp(op, "<=") == 0 || strcmp(op, "=") == 0)
		*to_ns = v + 1 < *to_ns ? v + 1 : *to_ns;
	if (strcmp(op, "<") == 0)
		*to_ns = v < *to_ns ? v : *to_ns;
	if (strcmp(op, "!=") == 0 || strcmp(op, "<>") == 0 || op[1] == '~')
		return node_ql_fail(lx, "time %s is not supported", op);
	return true;
}

// "series" = 'id' or =~ /^id$/: the series to read.
// Adds the literal regex part [p, end) (escapes removed) to the series.
static bool
add_series_literal(
    node_ql_lex *lx, node_ql_stmt *s, const char *p, const char *end)
{
	if (s->n_series == NODE_QL_MAX_SOURCES)
		return node_ql_fail(
		    lx, "more than %d series", NODE_QL_MAX_SOURCES);
	char *dst = s->series[s->n_series];
	size_t n = 0;
	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (strchr(".^$|()[]{}*+?", *p) != NULL)
			return node_ql_fail(lx,
			    "the series tag matches /^id$/ or /^(id|id)$/ "
			    "only");
		if (n + 1 >= NODE_QL_ID_LEN)
			return node_ql_fail(lx, "series id too long");
		dst[n++] = *p;
	}
	dst[n] = '\0';
	s->n_series++;
	return true;
}

// /^id$/ or /^(id1|id2)$/: what Grafana makes of a template variable,
// with one value or several.
static bool
series_regex(node_ql_lex *lx, node_ql_stmt *s)
{
	const char *p = lx->cur.p, *end = p + lx->cur.len;
	if (end - p < 2 || p[0] != '^' || end[-1] != '$' || end[-2] == '\\')
		return node_ql_fail(
		    lx, "the series tag matches /^id$/ or /^(id|id)$/ only");
	p++;
	end--;
	bool group
	    = end - p >= 2 && p[0] == '(' && end[-1] == ')' && end[-2] != '\\';
	if (group) {
		p++;
		end--;
	}
	const char *part = p;
	for (const char *q = p; q <= end; q++) {
		if (q < end && *q == '\\') {
			q++;
			continue;
		}
		if (q < end && (*q != '|' || !group))
			continue;
		if (!add_series_literal(lx, s, part, q))
			return false;
		part = q + 1;
	}
	node_ql_next(lx);
	return true;
}

// "series" = 'id' or =~ /^id$/ or /^(id|id)$/: the series to read.
static bool
series_cond(node_ql_lex *lx, node_ql_stmt *s, bool *by_tag)
{
	if (!*by_tag) // the tag replaces the measurements of FROM
		s->n_series = 0;
	*by_tag = true;
	if (node_ql_is_op(lx, "=~")) {
		node_ql_next(lx);
		if (lx->cur.kind != NODE_QL_T_REGEX)
			return node_ql_near(lx, "/^series id$/");
		return series_regex(lx, s);
	}
	if (!node_ql_is_op(lx, "="))
		return node_ql_near(lx, "= or =~");
	node_ql_next(lx);
	if (s->n_series == NODE_QL_MAX_SOURCES)
		return node_ql_fail(
		    lx, "more than %d series", NODE_QL_MAX_SOURCES);
	if (lx->cur.kind != NODE_QL_T_STRING
	    || !node_ql_tok_text(
	        &lx->cur, s->series[s->n_series], NODE_QL_ID_LEN))
		return node_ql_near(lx, "a series id in single quotes");
	s->n_series++;
	node_ql_next(lx);
	return true;
}

static bool
condition(node_ql_lex *lx, node_ql_stmt *s, int64_t *from_ns, int64_t *to_ns,
    bool *by_tag)
{
	char key[64];
	if (!node_ql_ident(lx, key, sizeof(key), "a condition"))
		return false;
	if (strcmp(key, "time") == 0)
		return time_cond(lx, from_ns, to_ns);
	if (strcmp(key, "series") == 0)
		return series_cond(lx, s, by_tag);
	return node_ql_fail(lx,
	    "unknown tag '%s': a series is named by its measurement or by "
	    "the tag \"series\"",
	    key);
}

static bool
where_clause(
    node_ql_lex *lx, node_ql_stmt *s, int64_t *from_ns, int64_t *to_ns)
{
	int depth = 0;
	bool by_tag = false;
	for (;;) {
		while (node_ql_is_punct(lx, '(') && depth < MAX_DEPTH) {
			depth++;
			node_ql_next(lx);
		}
		if (!condition(lx, s, from_ns, to_ns, &by_tag))
			return false;
		while (node_ql_is_punct(lx, ')') && depth > 0) {
			depth--;
			node_ql_next(lx);
		}
		if (node_ql_is_kw(lx, "or"))
			return node_ql_fail(lx, "OR is not supported");
		if (!node_ql_is_kw(lx, "and"))
			break;
		node_ql_next(lx);
	}
	if (depth != 0)
		return node_ql_fail(lx, "unbalanced parentheses in WHERE");
	return true;
}

// ---- SELECT ---------------------------------------------------------------

static bool
field_name(node_ql_lex *lx)
{
	char f[64];
	if (node_ql_is_punct(lx, '*')) {
		node_ql_next(lx);
		return true;
	}
	if (!node_ql_ident(lx, f, sizeof(f), "a field"))
		return false;
	if (strcmp(f, "value") != 0)
		return node_ql_fail(lx,
		    "unknown field '%s': a series has one field, "
		    "\"value\"",
		    f);
	return true;
}

static bool
select_expr(node_ql_lex *lx, node_ql_stmt *s)
{
	static const struct {
		const char *name;
		int agg;
	} fns[] = {{"mean", ENFED__V1__AGGREGATE__AGG_MEAN},
	    {"sum", ENFED__V1__AGGREGATE__AGG_SUM},
	    {"min", ENFED__V1__AGGREGATE__AGG_MIN},
	    {"max", ENFED__V1__AGGREGATE__AGG_MAX},
	    {"first", ENFED__V1__AGGREGATE__AGG_FIRST},
	    {"last", ENFED__V1__AGGREGATE__AGG_LAST},
	    {"count", ENFED__V1__AGGREGATE__AGG_COUNT}};
	snprintf(s->column, sizeof(s->column), "value");
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (node_ql_is_kw(lx, fns[i].name)) {
			s->agg = fns[i].agg;
			snprintf(
			    s->column, sizeof(s->column), "%s", fns[i].name);
			node_ql_next(lx);
			if (!node_ql_expect_punct(lx, '(') || !field_name(lx)
			    || !node_ql_expect_punct(lx, ')'))
				return false;
			break;
		}
	if (s->agg == 0) {
		if (lx->cur.kind == NODE_QL_T_IDENT
		    && !node_ql_is_kw(lx, "value") && lx->p < lx->end
		    && *lx->p == '(')
			return node_ql_fail(lx,
			    "function '%.*s' is not supported (mean, sum, "
			    "min, max, first, last, count)",
			    (int) (lx->cur.len > 20 ? 20 : lx->cur.len),
			    lx->cur.p);
		if (!field_name(lx))
			return false;
	}
	if (node_ql_is_kw(lx, "as")) {
		node_ql_next(lx);
		if (!node_ql_ident(
		        lx, s->column, sizeof(s->column), "an alias"))
			return false;
	}
	if (node_ql_is_punct(lx, ','))
		return node_ql_fail(lx, "one expression per SELECT");
	return true;
}

// "db"."rp"."measurement" or a part of it: the last part is the series.
static bool
source(node_ql_lex *lx, node_ql_stmt *s)
{
	if (s->n_series == NODE_QL_MAX_SOURCES)
		return node_ql_fail(
		    lx, "more than %d series", NODE_QL_MAX_SOURCES);
	if (lx->cur.kind == NODE_QL_T_REGEX)
		return node_ql_fail(
		    lx, "FROM /regex/ is not supported: name the series");
	for (int part = 0; part < 3; part++) {
		if (!node_ql_ident(lx, s->series[s->n_series], NODE_QL_ID_LEN,
		        "a measurement"))
			return false;
		if (!node_ql_is_punct(lx, '.'))
			break;
		node_ql_next(lx);
	}
	s->n_series++;
	return true;
}

static bool
sources(node_ql_lex *lx, node_ql_stmt *s)
{
	if (!source(lx, s))
		return false;
	while (node_ql_is_punct(lx, ',')) {
		node_ql_next(lx);
		if (!source(lx, s))
			return false;
	}
	return true;
}

// The node's step for GROUP BY time(d).
static bool
step_of(node_ql_lex *lx, node_ql_stmt *s)
{
	static const struct {
		int64_t s;
		int step;
	} steps[] = {{300, ENFED__V1__STEP__STEP_5MIN},
	    {900, ENFED__V1__STEP__STEP_15MIN},
	    {3600, ENFED__V1__STEP__STEP_HOUR},
	    {86400, ENFED__V1__STEP__STEP_DAY},
	    {604800, ENFED__V1__STEP__STEP_WEEK}};
	const node_ql_tok *t = &lx->cur;
	if (t->kind != NODE_QL_T_DURATION)
		return node_ql_near(lx, "a duration");
	if (t->months) {
		s->step = t->months == 1 ? ENFED__V1__STEP__STEP_MONTH
		                         : ENFED__V1__STEP__STEP_YEAR;
		node_ql_next(lx);
		return true;
	}
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (t->dur_ns == steps[i].s * INT64_C(1000000000)) {
			s->step = steps[i].step;
			node_ql_next(lx);
			return true;
		}
	return node_ql_fail(lx,
	    "GROUP BY time(%.*s): the node aggregates by 5m, 15m, 1h, 1d, "
	    "1w, 1mo or 1y (set the panel's min interval)",
	    (int) (t->len > 20 ? 20 : t->len), t->p);
}

static bool
group_by(node_ql_lex *lx, node_ql_stmt *s)
{
	if (!node_ql_expect_kw(lx, "by"))
		return false;
	if (!node_ql_is_kw(lx, "time"))
		return node_ql_fail(lx,
		    "GROUP BY time(...) only: the series have no "
		    "tags to group by");
	node_ql_next(lx);
	if (!node_ql_expect_punct(lx, '(') || !step_of(lx, s))
		return false;
	if (node_ql_is_punct(lx, ','))
		return node_ql_fail(lx,
		    "GROUP BY time() with an offset is not "
		    "supported");
	if (!node_ql_expect_punct(lx, ')'))
		return false;
	if (node_ql_is_punct(lx, ','))
		return node_ql_fail(lx,
		    "GROUP BY time(...) only: the series have no "
		    "tags to group by");
	return true;
}

static bool
fill_clause(node_ql_lex *lx, node_ql_stmt *s)
{
	if (!node_ql_expect_punct(lx, '('))
		return false;
	bool neg = node_ql_is_punct(lx, '-');
	if (neg)
		node_ql_next(lx);
	if (lx->cur.kind == NODE_QL_T_NUMBER) {
		s->fill = NODE_QL_FILL_VALUE;
		s->fill_value = neg ? -lx->cur.num : lx->cur.num;
	} else if (node_ql_is_kw(lx, "null") && !neg) {
		s->fill = NODE_QL_FILL_NULL;
	} else if (node_ql_is_kw(lx, "none") && !neg) {
		s->fill = NODE_QL_FILL_NONE;
	} else if (node_ql_is_kw(lx, "previous") && !neg) {
		s->fill = NODE_QL_FILL_PREVIOUS;
	} else {
		return node_ql_near(lx, "fill(null|none|previous|number)");
	}
	node_ql_next(lx);
	return node_ql_expect_punct(lx, ')');
}

static bool
tz_clause(node_ql_lex *lx, node_ql_stmt *s)
{
	if (!node_ql_expect_punct(lx, '('))
		return false;
	if (lx->cur.kind != NODE_QL_T_STRING
	    || !node_ql_tok_text(&lx->cur, s->tz, sizeof(s->tz)))
		return node_ql_near(lx, "a time zone in single quotes");
	node_ql_next(lx);
	return node_ql_expect_punct(lx, ')');
}

static bool
order_by(node_ql_lex *lx, node_ql_stmt *s)
{
	if (!node_ql_expect_kw(lx, "by") || !node_ql_expect_kw(lx, "time"))
		return false;
	if (node_ql_is_kw(lx, "desc") || node_ql_is_kw(lx, "asc")) {
		s->desc = node_ql_is_kw(lx, "desc");
		node_ql_next(lx);
	}
	return true;
}

// One clause after FROM; false at the end of the statement or on error.
static bool
select_clause(
    node_ql_lex *lx, node_ql_stmt *s, int64_t *from_ns, int64_t *to_ns)
{
	uint64_t ignored = 0;
	if (node_ql_is_kw(lx, "where")) {
		node_ql_next(lx);
		return where_clause(lx, s, from_ns, to_ns);
	}
	if (node_ql_is_kw(lx, "group")) {
		node_ql_next(lx);
		return group_by(lx, s);
	}
	if (node_ql_is_kw(lx, "fill") || node_ql_is_kw(lx, "tz")) {
		bool fill = node_ql_is_kw(lx, "fill");
		node_ql_next(lx);
		return fill ? fill_clause(lx, s) : tz_clause(lx, s);
	}
	if (node_ql_is_kw(lx, "order")) {
		node_ql_next(lx);
		return order_by(lx, s);
	}
	if (node_ql_is_kw(lx, "limit") || node_ql_is_kw(lx, "slimit")) {
		bool limit = node_ql_is_kw(lx, "limit");
		node_ql_next(lx);
		return node_ql_number(
		    lx, limit ? &s->limit : &ignored, "a number");
	}
	return node_ql_near(
	    lx, "WHERE, GROUP BY, fill, ORDER BY, LIMIT or tz");
}

static bool
at_end(const node_ql_lex *lx)
{
	return lx->cur.kind == NODE_QL_T_EOF || lx->cur.kind == NODE_QL_T_SEMI;
}

// Converts the WHERE's bounds to the query's milliseconds.
static bool
select_range(node_ql_lex *lx, node_ql_stmt *s, int64_t from_ns, int64_t to_ns)
{
	if (from_ns == INT64_MIN)
		return node_ql_fail(lx,
		    "a time range is required: WHERE time >= ... "
		    "(Grafana's $timeFilter)");
	if (to_ns == INT64_MAX)
		to_ns = (lx->now_ms + 1) * 1000000;
	// Ceiling of both: a bound inside a millisecond keeps only the
	// whole milliseconds that the range covers.
	s->from_ms = from_ns / 1000000 + (from_ns % 1000000 > 0);
	s->to_ms = to_ns / 1000000 + (to_ns % 1000000 > 0);
	if (s->from_ms >= s->to_ms)
		return node_ql_fail(lx, "empty time range");
	return true;
}

static bool
parse_select(node_ql_lex *lx, node_ql_stmt *s)
{
	s->kind = NODE_QL_SELECT;
	if (!select_expr(lx, s) || !node_ql_expect_kw(lx, "from")
	    || !sources(lx, s))
		return false;
	int64_t from_ns = INT64_MIN, to_ns = INT64_MAX;
	for (int i = 0; i < 16 && !at_end(lx); i++)
		if (!select_clause(lx, s, &from_ns, &to_ns))
			return false;
	if (!at_end(lx))
		return node_ql_near(lx, "the end of the statement");
	// An aggregate over the whole range (Home Assistant's sensors, a
	// Grafana stat): the node's 5-minute buckets, combined into one row.
	if (s->agg != 0 && s->step == ENFED__V1__STEP__STEP_RAW) {
		s->whole = 1;
		s->step = ENFED__V1__STEP__STEP_5MIN;
	}
	if (s->agg == 0 && s->step != ENFED__V1__STEP__STEP_RAW)
		return node_ql_fail(lx,
		    "GROUP BY time(...) needs an aggregate, e.g. "
		    "mean(\"value\")");
	return select_range(lx, s, from_ns, to_ns);
}

// ---- SHOW -----------------------------------------------------------------

static bool
on_db(node_ql_lex *lx)
{
	char db[128];
	if (!node_ql_is_kw(lx, "on"))
		return true;
	node_ql_next(lx);
	return node_ql_ident(lx, db, sizeof(db), "a database");
}

static bool
show_limit(node_ql_lex *lx, node_ql_stmt *s)
{
	for (int i = 0; i < 2
	     && (node_ql_is_kw(lx, "limit") || node_ql_is_kw(lx, "offset"));
	     i++) {
		uint64_t off = 0;
		bool limit = node_ql_is_kw(lx, "limit");
		node_ql_next(lx);
		if (!node_ql_number(lx, limit ? &s->limit : &off, "a number"))
			return false;
		if (!limit && off != 0)
			return node_ql_fail(lx, "OFFSET is not supported");
	}
	return true;
}

static bool
show_measurements(node_ql_lex *lx, node_ql_stmt *s)
{
	s->kind = NODE_QL_SHOW_MEASUREMENTS;
	if (!on_db(lx))
		return false;
	if (node_ql_is_kw(lx, "with")) {
		node_ql_next(lx);
		if (!node_ql_expect_kw(lx, "measurement"))
			return false;
		if (node_ql_is_op(lx, "=~")) {
			node_ql_next(lx);
			if (lx->cur.kind != NODE_QL_T_REGEX)
				return node_ql_near(lx, "/regex/");
			if (!regex_literal(lx, s))
				return false;
		} else if (node_ql_is_op(lx, "=")) {
			node_ql_next(lx);
			s->match = NODE_QL_MATCH_EXACT;
			if (!node_ql_ident(lx, s->pattern, sizeof(s->pattern),
			        "a measurement"))
				return false;
		} else {
			return node_ql_near(lx, "= or =~");
		}
	}
	if (node_ql_is_kw(lx, "where"))
		return node_ql_fail(
		    lx, "SHOW MEASUREMENTS ... WHERE is not supported");
	return show_limit(lx, s);
}

static bool
show_from(node_ql_lex *lx, node_ql_stmt *s)
{
	if (!on_db(lx))
		return false;
	if (!node_ql_is_kw(lx, "from"))
		return true;
	node_ql_next(lx);
	return sources(lx, s);
}

static bool
show_tag_values(node_ql_lex *lx, node_ql_stmt *s)
{
	s->kind = NODE_QL_SHOW_TAG_VALUES;
	if (!show_from(lx, s) || !node_ql_expect_kw(lx, "with")
	    || !node_ql_expect_kw(lx, "key"))
		return false;
	if (!node_ql_is_op(lx, "="))
		return node_ql_fail(
		    lx, "SHOW TAG VALUES WITH KEY = \"key\" only");
	node_ql_next(lx);
	if (!node_ql_ident(lx, s->tag_key, sizeof(s->tag_key), "a tag key"))
		return false;
	if (node_ql_is_kw(lx, "where"))
		return node_ql_fail(
		    lx, "SHOW TAG VALUES ... WHERE is not supported");
	return show_limit(lx, s);
}

static bool
parse_show(node_ql_lex *lx, node_ql_stmt *s)
{
	if (node_ql_is_kw(lx, "measurements")) {
		node_ql_next(lx);
		return show_measurements(lx, s);
	}
	if (node_ql_is_kw(lx, "databases")) {
		node_ql_next(lx);
		s->kind = NODE_QL_SHOW_DATABASES;
		return true;
	}
	if (node_ql_is_kw(lx, "retention")) {
		node_ql_next(lx);
		s->kind = NODE_QL_SHOW_RETENTION_POLICIES;
		return node_ql_expect_kw(lx, "policies") && on_db(lx);
	}
	if (node_ql_is_kw(lx, "field")) {
		node_ql_next(lx);
		s->kind = NODE_QL_SHOW_FIELD_KEYS;
		return node_ql_expect_kw(lx, "keys") && show_from(lx, s);
	}
	if (!node_ql_is_kw(lx, "tag"))
		return node_ql_near(lx,
		    "MEASUREMENTS, TAG KEYS, TAG VALUES, FIELD "
		    "KEYS, DATABASES or RETENTION POLICIES");
	node_ql_next(lx);
	if (node_ql_is_kw(lx, "values")) {
		node_ql_next(lx);
		return show_tag_values(lx, s);
	}
	s->kind = NODE_QL_SHOW_TAG_KEYS;
	return node_ql_expect_kw(lx, "keys") && show_from(lx, s)
	    && show_limit(lx, s);
}

static bool
statement(node_ql_lex *lx, node_ql_stmt *s)
{
	memset(s, 0, sizeof(*s));
	if (lx->cur.kind == NODE_QL_T_BAD)
		return node_ql_near(lx, "a statement");
	if (node_ql_is_kw(lx, "select")) {
		node_ql_next(lx);
		return parse_select(lx, s);
	}
	if (node_ql_is_kw(lx, "show")) {
		node_ql_next(lx);
		if (!parse_show(lx, s))
			return false;
		if (!at_end(lx))
			return node_ql_near(lx, "the end of the statement");
		return true;
	}
	return node_ql_fail(lx,
	    "only SELECT and SHOW are supported (near '%.*s')",
	    (int) (lx->cur.len > 20 ? 20 : lx->cur.len), lx->cur.p);
}

fed_status
node_ql_parse(const char *q, size_t len, int64_t now_ms, node_ql_stmt *out,
    size_t max, size_t *n_out, char *err, size_t err_len)
{
	*n_out = 0;
	if (len > NODE_QL_MAX_LEN) {
		snprintf(err, err_len, "query longer than %d bytes",
		    NODE_QL_MAX_LEN);
		return FED_INVALID_ARGUMENT;
	}
	if (memchr(q, '\0', len) != NULL) { // it would cut a name short
		snprintf(err, err_len, "NUL byte in the query");
		return FED_INVALID_ARGUMENT;
	}
	node_ql_lex lx = {.p = q,
	    .end = q + len,
	    .now_ms = now_ms,
	    .err = err,
	    .err_len = err_len};
	node_ql_next(&lx);
	while (lx.cur.kind != NODE_QL_T_EOF) {
		if (lx.cur.kind == NODE_QL_T_SEMI) { // empty statement
			lx.n_tok = 0;
			node_ql_next(&lx);
			continue;
		}
		if (*n_out == max) {
			snprintf(
			    err, err_len, "more than %zu statements", max);
			return FED_INVALID_ARGUMENT;
		}
		if (!statement(&lx, &out[*n_out]))
			return FED_INVALID_ARGUMENT;
		(*n_out)++;
		lx.n_tok = 0;
	}
	if (*n_out == 0) {
		snprintf(err, err_len, "missing query: q=SELECT ...");
		return FED_INVALID_ARGUMENT;
	}
	return FED_OK;
}
