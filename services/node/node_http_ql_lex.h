// SPDX-License-Identifier: MIT
//
// node_http_ql_lex.h: the lexer of node_http_ql.c and the token helpers
// its parser is written with. Internal to node_http_ql*.c.
//
// The lexer hands out one token of lookahead (lx->cur) at a time; a
// statement may read at most NODE_QL_MAX_TOKENS. Errors are written once
// (the first one wins) into the caller's buffer; every helper returns
// false after one, so a parser returns at once.

#ifndef NODE_HTTP_QL_LEX_H
#define NODE_HTTP_QL_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"

typedef enum node_ql_tok_kind {
	NODE_QL_T_EOF,
	NODE_QL_T_SEMI,
	NODE_QL_T_IDENT, // bare word or keyword
	NODE_QL_T_QIDENT, // "quoted identifier"
	NODE_QL_T_STRING, // 'string'
	NODE_QL_T_NUMBER,
	NODE_QL_T_DURATION, // 5m, 1700000000000ms
	NODE_QL_T_REGEX, // /re/
	NODE_QL_T_OP, // = != =~ !~ < <= > >= <>
	NODE_QL_T_PUNCT, // ( ) , . * - +
	NODE_QL_T_BAD,
} node_ql_tok_kind;

typedef struct node_ql_tok {
	node_ql_tok_kind kind;
	const char *p; // the token's text (for strings: inside the quotes)
	size_t len;
	int64_t dur_ns; // a duration's ns (0 for mo and y: see months)
	int months; // a duration of 1mo (1) or 1y (12)
	double num; // a number's value
} node_ql_tok;

typedef struct node_ql_lex {
	const char *p, *end;
	node_ql_tok cur; // the current token (one of lookahead)
	size_t n_tok; // tokens read in this statement
	int64_t now_ms;
	char *err;
	size_t err_len;
	bool failed;
} node_ql_lex;

// Records the error (the first one only); returns false.
bool node_ql_fail(node_ql_lex *lx, const char *fmt, ...) FED__PRINTF(2, 3);

// "<what> expected near '<token>'"; returns false.
bool node_ql_near(node_ql_lex *lx, const char *what);

// Reads the next token into lx->cur (NODE_QL_T_BAD past the token limit
// or on a byte that starts no token).
void node_ql_next(node_ql_lex *lx);

// Whether the current token is the keyword kw (any case), the punctuation
// c, the operator op.
bool node_ql_is_kw(const node_ql_lex *lx, const char *kw);
bool node_ql_is_punct(const node_ql_lex *lx, char c);
bool node_ql_is_op(const node_ql_lex *lx, const char *op);

// Consumes the keyword or punctuation expected, or fails naming it.
bool node_ql_expect_kw(node_ql_lex *lx, const char *kw);
bool node_ql_expect_punct(node_ql_lex *lx, char c);

// The text of an identifier or string token, unescaped, into dst (cap
// bytes). False when it does not fit (no error recorded).
bool node_ql_tok_text(const node_ql_tok *t, char *dst, size_t cap);

// An identifier (bare or quoted) into dst, consumed; else fails naming
// what was expected.
bool node_ql_ident(node_ql_lex *lx, char *dst, size_t cap, const char *what);

// A whole number of at most 10^15 into *out, consumed.
bool node_ql_number(node_ql_lex *lx, uint64_t *out, const char *what);

#endif // NODE_HTTP_QL_LEX_H
