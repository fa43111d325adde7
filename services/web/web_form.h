// SPDX-License-Identifier: MIT
//
// web_form.h: what fed-web reads from a request: the key=value pairs of a
// query string or of an application/x-www-form-urlencoded body, a cookie,
// and the checked conversion of a field to a number.
//
// Everything here is input from the network: it is bounded (at most
// WEB_PARAMS_MAX pairs, WEB_FIELD_MAX bytes a value) and a malformed input
// is INVALID_ARGUMENT, never a crash or a silent truncation.

#ifndef WEB_FORM_H
#define WEB_FORM_H

#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"

#define WEB_PARAMS_MAX 64
#define WEB_FIELD_MAX  4096

typedef struct web_param {
	char *key; // decoded, NUL-terminated, owned by the web_params
	char *value;
} web_param;

typedef struct web_params {
	web_param *items;
	size_t n;
} web_params;

// Decodes s[0..len) ("a=1&b=x%20y&b=z"; '+' is a space) into *out, which
// the caller then releases with web_params_fini (also after a failure).
// Empty pieces ("a=1&&b=2") are skipped; a key without '=' has the value
// "". Returns OK; INVALID_ARGUMENT for a bad %-escape, a NUL byte, a key or
// value past WEB_FIELD_MAX, more than WEB_PARAMS_MAX pairs, or bytes that
// are not valid UTF-8; RESOURCE_EXHAUSTED when out of memory.
fed_status web_params_parse(const char *s, size_t len, web_params *out);

// Releases what web_params_parse stored; safe on a zeroed struct, twice.
void web_params_fini(web_params *p);

// The value of the first pair named key (borrowed), or NULL.
const char *web_params_get(const web_params *p, const char *key);

// The values of every pair named key, in order, up to max of them written
// to vals (borrowed); returns how many there are in all.
size_t web_params_all(
    const web_params *p, const char *key, const char **vals, size_t max);

// Copies the value of cookie `name` from a Cookie header ("a=1; b=2")
// into buf. NOT_FOUND when absent (header may be NULL), INVALID_ARGUMENT
// when it does not fit in len bytes.
fed_status web_cookie_get(
    const char *header, const char *name, char *buf, size_t len);

// Parses a whole decimal number in [min, max] (spaces around allowed).
// INVALID_ARGUMENT otherwise (empty, trailing text, out of range).
fed_status web_parse_int(
    const char *s, int64_t min, int64_t max, int64_t *out);

// Parses a finite decimal number in [min, max]; ',' is accepted as the
// decimal separator ("16,2"). INVALID_ARGUMENT otherwise.
fed_status web_parse_double(
    const char *s, double min, double max, double *out);

// Parses a euro amount ("34000", "34000.50", "34 000,5") into cents in
// [0, max_cents]. INVALID_ARGUMENT otherwise (more than two decimals...).
fed_status web_parse_cents(const char *s, int64_t max_cents, int64_t *out);

// 1 when s is a non-empty identifier of at most max bytes of
// [A-Za-z0-9._-] (plus '/' when slash is set, plus '@' when at is set).
int web_is_ident(const char *s, size_t max, int slash, int at);

#ifdef FED_TESTING
// 1 when s[0..n) is valid UTF-8 (no overlong forms, no surrogates).
int utf8_valid(const unsigned char *s, size_t n);
#endif

#endif // WEB_FORM_H
