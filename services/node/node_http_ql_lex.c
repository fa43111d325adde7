// SPDX-License-Identifier: MIT
//
// node_http_ql_lex.c: InfluxQL's tokens, one at a time, for the parser of
// node_http_ql.c: words, quoted identifiers and strings, numbers and
// durations, regular expressions, operators and punctuation.

#include "node_http_ql_lex.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "node_http_ql.h"

bool
node_ql_fail(node_ql_lex *lx, const char *fmt, ...)
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
lex_quoted(node_ql_lex *lx, node_ql_tok *t, char q, node_ql_tok_kind kind)
{
	const char *p = lx->p + 1;
	while (p < lx->end && *p != q)
		p += (*p == '\\' && p + 1 < lx->end) ? 2 : 1;
	if (p >= lx->end) {
		t->kind = NODE_QL_T_BAD;
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
lex_number(node_ql_lex *lx, node_ql_tok *t)
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
		t->kind = NODE_QL_T_BAD;
		return;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	char *end = NULL;
	errno = 0;
	if (u == p) {
		t->kind = NODE_QL_T_NUMBER;
		t->num = strtod(num, &end);
		if (*end != '\0')
			t->kind = NODE_QL_T_BAD;
		return;
	}
	long long v = strtoll(num, &end, 10);
	int64_t k = unit_ns(u, (size_t) (p - u), &t->months);
	t->kind = NODE_QL_T_DURATION;
	if (*end != '\0' || errno != 0 || k == 0 || v < 0
	    || (t->months && v != 1) || (k > 0 && v > INT64_MAX / k))
		t->kind = NODE_QL_T_BAD;
	else
		t->dur_ns = t->months ? 0 : (int64_t) v * k;
}

static void
lex_op(node_ql_lex *lx, node_ql_tok *t)
{
	static const char *const ops[]
	    = {"=~", "!~", "!=", "<>", "<=", ">=", "=", "<", ">"};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i]);
		if ((size_t) (lx->end - lx->p) >= n
		    && memcmp(lx->p, ops[i], n) == 0) {
			t->kind = NODE_QL_T_OP;
			t->p = lx->p;
			t->len = n;
			lx->p += n;
			return;
		}
	}
	t->kind = NODE_QL_T_BAD;
}

static void
lex_word(node_ql_lex *lx, node_ql_tok *t)
{
	const char *p = lx->p;
	while (p < lx->end && (isalnum((unsigned char) *p) || *p == '_'))
		p++;
	t->kind = NODE_QL_T_IDENT;
	t->p = lx->p;
	t->len = (size_t) (p - lx->p);
	lx->p = p;
}

// Reads the next token into lx->cur.
void
node_ql_next(node_ql_lex *lx)
{
	node_ql_tok *t = &lx->cur;
	memset(t, 0, sizeof(*t));
	while (lx->p < lx->end && isspace((unsigned char) *lx->p))
		lx->p++;
	t->p = lx->p;
	if (++lx->n_tok > NODE_QL_MAX_TOKENS) {
		t->kind = NODE_QL_T_BAD;
		return;
	}
	if (lx->p >= lx->end) {
		t->kind = NODE_QL_T_EOF;
		return;
	}
	char c = *lx->p;
	if (c == ';') {
		t->kind = NODE_QL_T_SEMI;
		lx->p++;
	} else if (c == '"') {
		lex_quoted(lx, t, '"', NODE_QL_T_QIDENT);
	} else if (c == '\'') {
		lex_quoted(lx, t, '\'', NODE_QL_T_STRING);
	} else if (c == '/') {
		lex_quoted(lx, t, '/', NODE_QL_T_REGEX);
	} else if (isdigit((unsigned char) c)) {
		lex_number(lx, t);
	} else if (isalpha((unsigned char) c) || c == '_') {
		lex_word(lx, t);
	} else if (strchr("=!<>", c) != NULL) {
		lex_op(lx, t);
	} else if (strchr("(),.*-+", c) != NULL) {
		t->kind = NODE_QL_T_PUNCT;
		t->len = 1;
		lx->p++;
	} else {
		t->kind = NODE_QL_T_BAD;
		t->len = 1;
	}
}

// ---- Token helpers --------------------------------------------------------

bool
node_ql_is_kw(const node_ql_lex *lx, const char *kw)
{
	return lx->cur.kind == NODE_QL_T_IDENT && strlen(kw) == lx->cur.len
	    && strncasecmp(lx->cur.p, kw, lx->cur.len) == 0;
}

bool
node_ql_is_punct(const node_ql_lex *lx, char c)
{
	return lx->cur.kind == NODE_QL_T_PUNCT && lx->cur.p[0] == c;
}

bool
node_ql_is_op(const node_ql_lex *lx, const char *op)
{
	return lx->cur.kind == NODE_QL_T_OP && strlen(op) == lx->cur.len
	    && memcmp(lx->cur.p, op, lx->cur.len) == 0;
}

bool
node_ql_near(node_ql_lex *lx, const char *what)
{
	if (lx->cur.kind == NODE_QL_T_EOF)
		return node_ql_fail(
		    lx, "%s expected at the end of the query", what);
	return node_ql_fail(lx, "%s expected near '%.*s'", what,
	    (int) (lx->cur.len > 40 ? 40 : lx->cur.len), lx->cur.p);
}

bool
node_ql_expect_kw(node_ql_lex *lx, const char *kw)
{
	if (!node_ql_is_kw(lx, kw))
		return node_ql_near(lx, kw);
	node_ql_next(lx);
	return true;
}

bool
node_ql_expect_punct(node_ql_lex *lx, char c)
{
	char what[4] = {'\'', c, '\'', '\0'};
	if (!node_ql_is_punct(lx, c))
		return node_ql_near(lx, what);
	node_ql_next(lx);
	return true;
}

// The text of an identifier or string token, unescaped, into dst (cap
// bytes). False when it does not fit.
bool
node_ql_tok_text(const node_ql_tok *t, char *dst, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < t->len; i++) {
		char c = t->p[i];
		if (c == '\\' && i + 1 < t->len && t->kind != NODE_QL_T_REGEX)
			c = t->p[++i];
		if (n + 1 >= cap)
			return false;
		dst[n++] = c;
	}
	dst[n] = '\0';
	return true;
}

// An identifier (bare or quoted) into dst.
bool
node_ql_ident(node_ql_lex *lx, char *dst, size_t cap, const char *what)
{
	if (lx->cur.kind != NODE_QL_T_IDENT
	    && lx->cur.kind != NODE_QL_T_QIDENT)
		return node_ql_near(lx, what);
	if (!node_ql_tok_text(&lx->cur, dst, cap))
		return node_ql_fail(lx, "%s too long", what);
	node_ql_next(lx);
	return true;
}

bool
node_ql_number(node_ql_lex *lx, uint64_t *out, const char *what)
{
	if (lx->cur.kind != NODE_QL_T_NUMBER || lx->cur.num < 0
	    || lx->cur.num > 1e15
	    || lx->cur.num != (double) (uint64_t) lx->cur.num)
		return node_ql_near(lx, what);
	*out = (uint64_t) lx->cur.num;
	node_ql_next(lx);
	return true;
}
