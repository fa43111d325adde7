// SPDX-License-Identifier: MIT
//
// node_http_ql.c: a hand-written lexer and a flat parser for the InfluxQL
// subset of node_http_ql.h. The lexer hands out one token at a time; the
// parser reads a statement clause by clause and never recurses, so neither
// nesting nor length can exhaust the stack.

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

#define MAX_DEPTH 16 // parentheses around WHERE conditions

typedef enum tok_kind {
	T_EOF,
	T_SEMI,
	T_IDENT, // bare word or keyword
	T_QIDENT, // "quoted identifier"
	T_STRING, // 'string'
	T_NUMBER,
	T_DURATION, // 5m, 1700000000000ms
	T_REGEX, // /re/
	T_OP, // = != =~ !~ < <= > >= <>
	T_PUNCT, // ( ) , . * - +
	T_BAD,
} tok_kind;

typedef struct tok {
	tok_kind kind;
	const char *p; // the token's text (for strings: inside the quotes)
	size_t len;
	int64_t dur_ns; // T_DURATION (0 with `months` set for mo and y)
	int months; // T_DURATION of 1mo (1) or 1y (12)
	double num; // T_NUMBER
} tok;

typedef struct lex {
	const char *p, *end;
	tok cur; // the current token (one of lookahead)
	size_t n_tok; // tokens read in this statement
	int64_t now_ms;
	char *err;
	size_t err_len;
	bool failed;
} lex;

static bool fail(lex *lx, const char *fmt, ...) FED__PRINTF(2, 3);

static bool
fail(lex *lx, const char *fmt, ...)
{
	if (lx->failed)
		return false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(lx->err, lx->err_len, fmt, ap);
	va_end(ap);
	lx->failed = true;
	return false;
}

// ---- Lexer ---------------------------------------------------------------

// A quoted token from the opening quote q at lx->p.
static void
lex_quoted(lex *lx, tok *t, char q, tok_kind kind)
{
	const char *p = lx->p + 1;
	while (p < lx->end && *p != q)
		p += (*p == '\\' && p + 1 < lx->end) ? 2 : 1;
	if (p >= lx->end) {
		t->kind = T_BAD;
		return;
	}
	t->kind = kind;
	t->p = lx->p + 1;
	t->len = (size_t) (p - t->p);
	lx->p = p + 1;
}

// The nanoseconds of one duration unit ("ms"), 0 when unknown; *months
// for the calendar units of enfed (mo, y), which InfluxQL lacks.
static int64_t
unit_ns(const char *u, size_t n, int *months)
{
	static const struct {
		const char *name;
		int64_t ns;
		int months;
	} units[] = {{"ns", 1, 0}, {"u", 1000, 0}, {"\xc2\xb5", 1000, 0},
	    {"ms", 1000000, 0}, {"s", INT64_C(1000000000), 0},
	    {"m", INT64_C(60000000000), 0}, {"h", INT64_C(3600000000000), 0},
	    {"d", INT64_C(86400000000000), 0},
	    {"w", INT64_C(604800000000000), 0}, {"mo", 0, 1}, {"y", 0, 12}};
	*months = 0;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == n
		    && memcmp(units[i].name, u, n) == 0) {
			*months = units[i].months;
			return units[i].months ? 1 : units[i].ns;
		}
	return 0;
}

static void
lex_number(lex *lx, tok *t)
{
	const char *p = lx->p, *s = p;
	while (p < lx->end && (isdigit((unsigned char) *p) || *p == '.'))
		p++;
	const char *u = p;
	while (p < lx->end
	    && (isalpha((unsigned char) *p) || (unsigned char) *p >= 0x80))
		p++;
	lx->p = p;
	t->p = s;
	t->len = (size_t) (p - s);
	char num[32];
	size_t n = (size_t) (u - s);
	if (n == 0 || n >= sizeof(num)) {
		t->kind = T_BAD;
		return;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	char *end = NULL;
	errno = 0;
	if (u == p) {
		t->kind = T_NUMBER;
		t->num = strtod(num, &end);
		if (*end != '\0')
			t->kind = T_BAD;
		return;
	}
	long long v = strtoll(num, &end, 10);
	int64_t k = unit_ns(u, (size_t) (p - u), &t->months);
	t->kind = T_DURATION;
	if (*end != '\0' || errno != 0 || k == 0 || v < 0
	    || (t->months && v != 1) || (k > 0 && v > INT64_MAX / k))
		t->kind = T_BAD;
	else
		t->dur_ns = t->months ? 0 : (int64_t) v * k;
}

static void
lex_op(lex *lx, tok *t)
{
	static const char *const ops[]
	    = {"=~", "!~", "!=", "<>", "<=", ">=", "=", "<", ">"};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i]);
		if ((size_t) (lx->end - lx->p) >= n
		    && memcmp(lx->p, ops[i], n) == 0) {
			t->kind = T_OP;
			t->p = lx->p;
			t->len = n;
			lx->p += n;
			return;
		}
	}
	t->kind = T_BAD;
}

static void
lex_word(lex *lx, tok *t)
{
	const char *p = lx->p;
	while (p < lx->end && (isalnum((unsigned char) *p) || *p == '_'))
		p++;
	t->kind = T_IDENT;
	t->p = lx->p;
	t->len = (size_t) (p - lx->p);
	lx->p = p;
}

// Reads the next token into lx->cur.
static void
next(lex *lx)
{
	tok *t = &lx->cur;
	memset(t, 0, sizeof(*t));
	while (lx->p < lx->end && isspace((unsigned char) *lx->p))
		lx->p++;
	t->p = lx->p;
	if (++lx->n_tok > NODE_QL_MAX_TOKENS) {
		t->kind = T_BAD;
		return;
	}
	if (lx->p >= lx->end) {
		t->kind = T_EOF;
		return;
	}
	char c = *lx->p;
	if (c == ';') {
		t->kind = T_SEMI;
		lx->p++;
	} else if (c == '"') {
		lex_quoted(lx, t, '"', T_QIDENT);
	} else if (c == '\'') {
		lex_quoted(lx, t, '\'', T_STRING);
	} else if (c == '/') {
		lex_quoted(lx, t, '/', T_REGEX);
	} else if (isdigit((unsigned char) c)) {
		lex_number(lx, t);
	} else if (isalpha((unsigned char) c) || c == '_') {
		lex_word(lx, t);
	} else if (strchr("=!<>", c) != NULL) {
		lex_op(lx, t);
	} else if (strchr("(),.*-+", c) != NULL) {
		t->kind = T_PUNCT;
		t->len = 1;
		lx->p++;
	} else {
		t->kind = T_BAD;
		t->len = 1;
	}
}

// ---- Token helpers --------------------------------------------------------

static bool
is_kw(const lex *lx, const char *kw)
{
	return lx->cur.kind == T_IDENT && strlen(kw) == lx->cur.len
	    && strncasecmp(lx->cur.p, kw, lx->cur.len) == 0;
}

static bool
is_punct(const lex *lx, char c)
{
	return lx->cur.kind == T_PUNCT && lx->cur.p[0] == c;
}

static bool
is_op(const lex *lx, const char *op)
{
	return lx->cur.kind == T_OP && strlen(op) == lx->cur.len
	    && memcmp(lx->cur.p, op, lx->cur.len) == 0;
}

static bool
near(lex *lx, const char *what)
{
	if (lx->cur.kind == T_EOF)
		return fail(lx, "%s expected at the end of the query", what);
	return fail(lx, "%s expected near '%.*s'", what,
	    (int) (lx->cur.len > 40 ? 40 : lx->cur.len), lx->cur.p);
}

static bool
expect_kw(lex *lx, const char *kw)
{
	if (!is_kw(lx, kw))
		return near(lx, kw);
	next(lx);
	return true;
}

static bool
expect_punct(lex *lx, char c)
{
	char what[4] = {'\'', c, '\'', '\0'};
	if (!is_punct(lx, c))
		return near(lx, what);
	next(lx);
	return true;
}

// The text of an identifier or string token, unescaped, into dst (cap
// bytes). False when it does not fit.
static bool
tok_text(const tok *t, char *dst, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < t->len; i++) {
		char c = t->p[i];
		if (c == '\\' && i + 1 < t->len && t->kind != T_REGEX)
			c = t->p[++i];
		if (n + 1 >= cap)
			return false;
		dst[n++] = c;
	}
	dst[n] = '\0';
	return true;
}

// An identifier (bare or quoted) into dst.
static bool
ident(lex *lx, char *dst, size_t cap, const char *what)
{
	if (lx->cur.kind != T_IDENT && lx->cur.kind != T_QIDENT)
		return near(lx, what);
	if (!tok_text(&lx->cur, dst, cap))
		return fail(lx, "%s too long", what);
	next(lx);
	return true;
}

static bool
unsigned_number(lex *lx, uint64_t *out, const char *what)
{
	if (lx->cur.kind != T_NUMBER || lx->cur.num < 0 || lx->cur.num > 1e15
	    || lx->cur.num != (double) (uint64_t) lx->cur.num)
		return near(lx, what);
	*out = (uint64_t) lx->cur.num;
	next(lx);
	return true;
}

// ---- Regular expressions as literals -------------------------------------

// Reads a regex that is a literal with optional anchors and (?i) into
// match/pattern: what Grafana's query editor sends. Anything else fails.
static bool
regex_literal(lex *lx, node_ql_stmt *s)
{
	const tok *t = &lx->cur;
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
			return fail(lx,
			    "regular expressions are supported only as "
			    "literals, with ^, $ and (?i): '%.*s'",
			    (int) (t->len > 60 ? 60 : t->len), t->p);
		if (n + 1 >= sizeof(s->pattern))
			return fail(lx, "regular expression too long");
		s->pattern[n++] = *p;
	}
	s->pattern[n] = '\0';
	s->match = head && tail ? NODE_QL_MATCH_EXACT
	    : head              ? NODE_QL_MATCH_PREFIX
	                        : NODE_QL_MATCH_SUBSTRING;
	next(lx);
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
time_in_range(lex *lx, int64_t ns)
{
	if (ns > TIME_MAX_NS || ns < -TIME_MAX_NS)
		return fail(lx, "time out of range");
	return true;
}

// now() [- duration | + duration], with `now` the current token.
static bool
time_now(lex *lx, int64_t *ns)
{
	next(lx);
	if (!expect_punct(lx, '(') || !expect_punct(lx, ')'))
		return false;
	*ns = lx->now_ms * 1000000;
	if (!is_punct(lx, '-') && !is_punct(lx, '+'))
		return true;
	int64_t sign = is_punct(lx, '-') ? -1 : 1;
	next(lx);
	if (lx->cur.kind != T_DURATION || lx->cur.months)
		return near(lx, "a duration");
	if (!time_in_range(lx, lx->cur.dur_ns))
		return false;
	*ns += sign * lx->cur.dur_ns;
	next(lx);
	return time_in_range(lx, *ns);
}

// A time of a WHERE condition, in nanoseconds.
static bool
time_value(lex *lx, int64_t *ns)
{
	if (lx->cur.kind == T_DURATION && !lx->cur.months) {
		*ns = lx->cur.dur_ns;
	} else if (lx->cur.kind == T_NUMBER) { // a bare number is ns
		if (!(lx->cur.num <= (double) TIME_MAX_NS
		        && lx->cur.num >= (double) -TIME_MAX_NS))
			return fail(lx, "time out of range");
		*ns = (int64_t) lx->cur.num;
	} else if (lx->cur.kind == T_STRING) {
		char s[64];
		if (!tok_text(&lx->cur, s, sizeof(s)) || !rfc3339_ns(s, ns))
			return fail(lx, "bad time '%.*s'",
			    (int) (lx->cur.len > 40 ? 40 : lx->cur.len),
			    lx->cur.p);
	} else if (is_kw(lx, "now")) {
		return time_now(lx, ns);
	} else {
		return near(lx, "a time");
	}
	next(lx);
	return time_in_range(lx, *ns);
}

// time <op> value, with `time` already read.
static bool
time_cond(lex *lx, int64_t *from_ns, int64_t *to_ns)
{
	if (lx->cur.kind != T_OP)
		return near(lx, "a comparison");
	char op[3] = {0};
	memcpy(op, lx->cur.p, lx->cur.len);
	next(lx);
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
		return fail(lx, "time %s is not supported", op);
	return true;
}

// "series" = 'id' or =~ /^id$/: the series to read.
static bool
series_cond(lex *lx, node_ql_stmt *s, bool *by_tag)
{
	if (!*by_tag) // the tag replaces the measurements of FROM
		s->n_series = 0;
	*by_tag = true;
	if (s->n_series == NODE_QL_MAX_SOURCES)
		return fail(lx, "more than %d series", NODE_QL_MAX_SOURCES);
	char *dst = s->series[s->n_series];
	if (is_op(lx, "=")) {
		next(lx);
		if (lx->cur.kind != T_STRING
		    || !tok_text(&lx->cur, dst, NODE_QL_ID_LEN))
			return near(lx, "a series id in single quotes");
		next(lx);
	} else if (is_op(lx, "=~")) {
		next(lx);
		node_ql_stmt tmp;
		memset(&tmp, 0, sizeof(tmp));
		if (lx->cur.kind != T_REGEX || !regex_literal(lx, &tmp))
			return near(lx, "/^series id$/");
		if (tmp.match != NODE_QL_MATCH_EXACT || tmp.match_icase)
			return fail(lx, "the series tag matches /^id$/ only");
		memcpy(dst, tmp.pattern, sizeof(tmp.pattern));
	} else {
		return near(lx, "= or =~");
	}
	s->n_series++;
	return true;
}

static bool
condition(
    lex *lx, node_ql_stmt *s, int64_t *from_ns, int64_t *to_ns, bool *by_tag)
{
	char key[64];
	if (!ident(lx, key, sizeof(key), "a condition"))
		return false;
	if (strcmp(key, "time") == 0)
		return time_cond(lx, from_ns, to_ns);
	if (strcmp(key, "series") == 0)
		return series_cond(lx, s, by_tag);
	return fail(lx,
	    "unknown tag '%s': a series is named by its measurement or by "
	    "the tag \"series\"",
	    key);
}

static bool
where_clause(lex *lx, node_ql_stmt *s, int64_t *from_ns, int64_t *to_ns)
{
	int depth = 0;
	bool by_tag = false;
	for (;;) {
		while (is_punct(lx, '(') && depth < MAX_DEPTH) {
			depth++;
			next(lx);
		}
		if (!condition(lx, s, from_ns, to_ns, &by_tag))
			return false;
		while (is_punct(lx, ')') && depth > 0) {
			depth--;
			next(lx);
		}
		if (is_kw(lx, "or"))
			return fail(lx, "OR is not supported");
		if (!is_kw(lx, "and"))
			break;
		next(lx);
	}
	if (depth != 0)
		return fail(lx, "unbalanced parentheses in WHERE");
	return true;
}

// ---- SELECT ---------------------------------------------------------------

static bool
field_name(lex *lx)
{
	char f[64];
	if (is_punct(lx, '*')) {
		next(lx);
		return true;
	}
	if (!ident(lx, f, sizeof(f), "a field"))
		return false;
	if (strcmp(f, "value") != 0)
		return fail(lx,
		    "unknown field '%s': a series has one field, "
		    "\"value\"",
		    f);
	return true;
}

static bool
select_expr(lex *lx, node_ql_stmt *s)
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
		if (is_kw(lx, fns[i].name)) {
			s->agg = fns[i].agg;
			snprintf(
			    s->column, sizeof(s->column), "%s", fns[i].name);
			next(lx);
			if (!expect_punct(lx, '(') || !field_name(lx)
			    || !expect_punct(lx, ')'))
				return false;
			break;
		}
	if (s->agg == 0) {
		if (lx->cur.kind == T_IDENT && !is_kw(lx, "value")
		    && lx->p < lx->end && *lx->p == '(')
			return fail(lx,
			    "function '%.*s' is not supported (mean, sum, "
			    "min, max, first, last, count)",
			    (int) (lx->cur.len > 20 ? 20 : lx->cur.len),
			    lx->cur.p);
		if (!field_name(lx))
			return false;
	}
	if (is_kw(lx, "as")) {
		next(lx);
		if (!ident(lx, s->column, sizeof(s->column), "an alias"))
			return false;
	}
	if (is_punct(lx, ','))
		return fail(lx, "one expression per SELECT");
	return true;
}

// "db"."rp"."measurement" or a part of it: the last part is the series.
static bool
source(lex *lx, node_ql_stmt *s)
{
	if (s->n_series == NODE_QL_MAX_SOURCES)
		return fail(lx, "more than %d series", NODE_QL_MAX_SOURCES);
	if (lx->cur.kind == T_REGEX)
		return fail(
		    lx, "FROM /regex/ is not supported: name the series");
	for (int part = 0; part < 3; part++) {
		if (!ident(lx, s->series[s->n_series], NODE_QL_ID_LEN,
		        "a measurement"))
			return false;
		if (!is_punct(lx, '.'))
			break;
		next(lx);
	}
	s->n_series++;
	return true;
}

static bool
sources(lex *lx, node_ql_stmt *s)
{
	if (!source(lx, s))
		return false;
	while (is_punct(lx, ',')) {
		next(lx);
		if (!source(lx, s))
			return false;
	}
	return true;
}

// The node's step for GROUP BY time(d).
static bool
step_of(lex *lx, node_ql_stmt *s)
{
	static const struct {
		int64_t s;
		int step;
	} steps[] = {{300, ENFED__V1__STEP__STEP_5MIN},
	    {900, ENFED__V1__STEP__STEP_15MIN},
	    {3600, ENFED__V1__STEP__STEP_HOUR},
	    {86400, ENFED__V1__STEP__STEP_DAY},
	    {604800, ENFED__V1__STEP__STEP_WEEK}};
	const tok *t = &lx->cur;
	if (t->kind != T_DURATION)
		return near(lx, "a duration");
	if (t->months) {
		s->step = t->months == 1 ? ENFED__V1__STEP__STEP_MONTH
		                         : ENFED__V1__STEP__STEP_YEAR;
		next(lx);
		return true;
	}
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (t->dur_ns == steps[i].s * INT64_C(1000000000)) {
			s->step = steps[i].step;
			next(lx);
			return true;
		}
	return fail(lx,
	    "GROUP BY time(%.*s): the node aggregates by 5m, 15m, 1h, 1d, "
	    "1w, 1mo or 1y (set the panel's min interval)",
	    (int) (t->len > 20 ? 20 : t->len), t->p);
}

static bool
group_by(lex *lx, node_ql_stmt *s)
{
	if (!expect_kw(lx, "by"))
		return false;
	if (!is_kw(lx, "time"))
		return fail(lx,
		    "GROUP BY time(...) only: the series have no "
		    "tags to group by");
	next(lx);
	if (!expect_punct(lx, '(') || !step_of(lx, s))
		return false;
	if (is_punct(lx, ','))
		return fail(lx,
		    "GROUP BY time() with an offset is not "
		    "supported");
	if (!expect_punct(lx, ')'))
		return false;
	if (is_punct(lx, ','))
		return fail(lx,
		    "GROUP BY time(...) only: the series have no "
		    "tags to group by");
	return true;
}

static bool
fill_clause(lex *lx, node_ql_stmt *s)
{
	if (!expect_punct(lx, '('))
		return false;
	bool neg = is_punct(lx, '-');
	if (neg)
		next(lx);
	if (lx->cur.kind == T_NUMBER) {
		s->fill = NODE_QL_FILL_VALUE;
		s->fill_value = neg ? -lx->cur.num : lx->cur.num;
	} else if (is_kw(lx, "null") && !neg) {
		s->fill = NODE_QL_FILL_NULL;
	} else if (is_kw(lx, "none") && !neg) {
		s->fill = NODE_QL_FILL_NONE;
	} else if (is_kw(lx, "previous") && !neg) {
		s->fill = NODE_QL_FILL_PREVIOUS;
	} else {
		return near(lx, "fill(null|none|previous|number)");
	}
	next(lx);
	return expect_punct(lx, ')');
}

static bool
tz_clause(lex *lx, node_ql_stmt *s)
{
	if (!expect_punct(lx, '('))
		return false;
	if (lx->cur.kind != T_STRING
	    || !tok_text(&lx->cur, s->tz, sizeof(s->tz)))
		return near(lx, "a time zone in single quotes");
	next(lx);
	return expect_punct(lx, ')');
}

static bool
order_by(lex *lx, node_ql_stmt *s)
{
	if (!expect_kw(lx, "by") || !expect_kw(lx, "time"))
		return false;
	if (is_kw(lx, "desc") || is_kw(lx, "asc")) {
		s->desc = is_kw(lx, "desc");
		next(lx);
	}
	return true;
}

// One clause after FROM; false at the end of the statement or on error.
static bool
select_clause(lex *lx, node_ql_stmt *s, int64_t *from_ns, int64_t *to_ns)
{
	uint64_t ignored = 0;
	if (is_kw(lx, "where")) {
		next(lx);
		return where_clause(lx, s, from_ns, to_ns);
	}
	if (is_kw(lx, "group")) {
		next(lx);
		return group_by(lx, s);
	}
	if (is_kw(lx, "fill") || is_kw(lx, "tz")) {
		bool fill = is_kw(lx, "fill");
		next(lx);
		return fill ? fill_clause(lx, s) : tz_clause(lx, s);
	}
	if (is_kw(lx, "order")) {
		next(lx);
		return order_by(lx, s);
	}
	if (is_kw(lx, "limit") || is_kw(lx, "slimit")) {
		bool limit = is_kw(lx, "limit");
		next(lx);
		return unsigned_number(
		    lx, limit ? &s->limit : &ignored, "a number");
	}
	return near(lx, "WHERE, GROUP BY, fill, ORDER BY, LIMIT or tz");
}

static bool
at_end(const lex *lx)
{
	return lx->cur.kind == T_EOF || lx->cur.kind == T_SEMI;
}

// Converts the WHERE's bounds to the query's milliseconds.
static bool
select_range(lex *lx, node_ql_stmt *s, int64_t from_ns, int64_t to_ns)
{
	if (from_ns == INT64_MIN)
		return fail(lx,
		    "a time range is required: WHERE time >= ... "
		    "(Grafana's $timeFilter)");
	if (to_ns == INT64_MAX)
		to_ns = (lx->now_ms + 1) * 1000000;
	// Ceiling of both: a bound inside a millisecond keeps only the
	// whole milliseconds that the range covers.
	s->from_ms = from_ns / 1000000 + (from_ns % 1000000 > 0);
	s->to_ms = to_ns / 1000000 + (to_ns % 1000000 > 0);
	if (s->from_ms >= s->to_ms)
		return fail(lx, "empty time range");
	return true;
}

static bool
parse_select(lex *lx, node_ql_stmt *s)
{
	s->kind = NODE_QL_SELECT;
	if (!select_expr(lx, s) || !expect_kw(lx, "from") || !sources(lx, s))
		return false;
	int64_t from_ns = INT64_MIN, to_ns = INT64_MAX;
	for (int i = 0; i < 16 && !at_end(lx); i++)
		if (!select_clause(lx, s, &from_ns, &to_ns))
			return false;
	if (!at_end(lx))
		return near(lx, "the end of the statement");
	if (s->agg != 0 && s->step == ENFED__V1__STEP__STEP_RAW)
		return fail(lx, "an aggregate needs GROUP BY time(...)");
	if (s->agg == 0 && s->step != ENFED__V1__STEP__STEP_RAW)
		return fail(lx,
		    "GROUP BY time(...) needs an aggregate, e.g. "
		    "mean(\"value\")");
	return select_range(lx, s, from_ns, to_ns);
}

// ---- SHOW -----------------------------------------------------------------

static bool
on_db(lex *lx)
{
	char db[128];
	if (!is_kw(lx, "on"))
		return true;
	next(lx);
	return ident(lx, db, sizeof(db), "a database");
}

static bool
show_limit(lex *lx, node_ql_stmt *s)
{
	for (int i = 0; i < 2 && (is_kw(lx, "limit") || is_kw(lx, "offset"));
	     i++) {
		uint64_t off = 0;
		bool limit = is_kw(lx, "limit");
		next(lx);
		if (!unsigned_number(lx, limit ? &s->limit : &off, "a number"))
			return false;
		if (!limit && off != 0)
			return fail(lx, "OFFSET is not supported");
	}
	return true;
}

static bool
show_measurements(lex *lx, node_ql_stmt *s)
{
	s->kind = NODE_QL_SHOW_MEASUREMENTS;
	if (!on_db(lx))
		return false;
	if (is_kw(lx, "with")) {
		next(lx);
		if (!expect_kw(lx, "measurement"))
			return false;
		if (is_op(lx, "=~")) {
			next(lx);
			if (lx->cur.kind != T_REGEX)
				return near(lx, "/regex/");
			if (!regex_literal(lx, s))
				return false;
		} else if (is_op(lx, "=")) {
			next(lx);
			s->match = NODE_QL_MATCH_EXACT;
			if (!ident(lx, s->pattern, sizeof(s->pattern),
			        "a measurement"))
				return false;
		} else {
			return near(lx, "= or =~");
		}
	}
	if (is_kw(lx, "where"))
		return fail(
		    lx, "SHOW MEASUREMENTS ... WHERE is not supported");
	return show_limit(lx, s);
}

static bool
show_from(lex *lx, node_ql_stmt *s)
{
	if (!on_db(lx))
		return false;
	if (!is_kw(lx, "from"))
		return true;
	next(lx);
	return sources(lx, s);
}

static bool
show_tag_values(lex *lx, node_ql_stmt *s)
{
	s->kind = NODE_QL_SHOW_TAG_VALUES;
	if (!show_from(lx, s) || !expect_kw(lx, "with")
	    || !expect_kw(lx, "key"))
		return false;
	if (!is_op(lx, "="))
		return fail(lx, "SHOW TAG VALUES WITH KEY = \"key\" only");
	next(lx);
	if (!ident(lx, s->tag_key, sizeof(s->tag_key), "a tag key"))
		return false;
	if (is_kw(lx, "where"))
		return fail(lx, "SHOW TAG VALUES ... WHERE is not supported");
	return show_limit(lx, s);
}

static bool
parse_show(lex *lx, node_ql_stmt *s)
{
	if (is_kw(lx, "measurements")) {
		next(lx);
		return show_measurements(lx, s);
	}
	if (is_kw(lx, "databases")) {
		next(lx);
		s->kind = NODE_QL_SHOW_DATABASES;
		return true;
	}
	if (is_kw(lx, "retention")) {
		next(lx);
		s->kind = NODE_QL_SHOW_RETENTION_POLICIES;
		return expect_kw(lx, "policies") && on_db(lx);
	}
	if (is_kw(lx, "field")) {
		next(lx);
		s->kind = NODE_QL_SHOW_FIELD_KEYS;
		return expect_kw(lx, "keys") && show_from(lx, s);
	}
	if (!is_kw(lx, "tag"))
		return near(lx,
		    "MEASUREMENTS, TAG KEYS, TAG VALUES, FIELD "
		    "KEYS, DATABASES or RETENTION POLICIES");
	next(lx);
	if (is_kw(lx, "values")) {
		next(lx);
		return show_tag_values(lx, s);
	}
	s->kind = NODE_QL_SHOW_TAG_KEYS;
	return expect_kw(lx, "keys") && show_from(lx, s) && show_limit(lx, s);
}

static bool
statement(lex *lx, node_ql_stmt *s)
{
	memset(s, 0, sizeof(*s));
	if (lx->cur.kind == T_BAD)
		return near(lx, "a statement");
	if (is_kw(lx, "select")) {
		next(lx);
		return parse_select(lx, s);
	}
	if (is_kw(lx, "show")) {
		next(lx);
		if (!parse_show(lx, s))
			return false;
		if (!at_end(lx))
			return near(lx, "the end of the statement");
		return true;
	}
	return fail(lx, "only SELECT and SHOW are supported (near '%.*s')",
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
	lex lx = {.p = q,
	    .end = q + len,
	    .now_ms = now_ms,
	    .err = err,
	    .err_len = err_len};
	next(&lx);
	while (lx.cur.kind != T_EOF) {
		if (lx.cur.kind == T_SEMI) { // empty statement
			lx.n_tok = 0;
			next(&lx);
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
