// SPDX-License-Identifier: MIT
//
// web_form.c: decoding of query strings, form bodies and cookies, and the
// checked number parsers of the forms.

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "web_form.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

// 1 when s[0..n) is valid UTF-8 (no overlong forms, no surrogates).
FED_TESTABLE int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t k = c < 0x80      ? 0
		    : (c & 0xe0) == 0xc0 ? 1
		    : (c & 0xf0) == 0xe0 ? 2
		    : (c & 0xf8) == 0xf0 ? 3
		                         : 9;
		if (k == 9 || (k == 1 && c < 0xc2) || c > 0xf4 || i + k >= n)
			return 0;
		unsigned cp = k == 0 ? c : c & (0x3f >> k);
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
		    || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += k + 1;
	}
	return 1;
}

// Decodes s[0..n) into a new string; NULL with *st set on failure.
static char *
decode(const char *s, size_t n, fed_status *st)
{
	if (n > 3 * WEB_FIELD_MAX) {
		*st = FED_INVALID_ARGUMENT;
		return NULL;
	}
	char *out = malloc(n + 1);
	if (out == NULL) {
		*st = FED_RESOURCE_EXHAUSTED;
		return NULL;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				goto bad;
			c = (char) (hi * 16 + lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == '\0')
			goto bad;
		out[o++] = c;
	}
	out[o] = '\0';
	if (o > WEB_FIELD_MAX || !utf8_valid((unsigned char *) out, o))
		goto bad;
	return out;
bad:
	free(out);
	*st = FED_INVALID_ARGUMENT;
	return NULL;
}

static fed_status
add_pair(web_params *p, const char *s, size_t n)
{
	if (p->n == WEB_PARAMS_MAX)
		return FED_INVALID_ARGUMENT;
	const char *eq = memchr(s, '=', n);
	size_t kn = eq ? (size_t) (eq - s) : n;
	fed_status st = FED_OK;
	char *k = decode(s, kn, &st);
	char *v
	    = k ? decode(eq ? eq + 1 : s + n, eq ? n - kn - 1 : 0, &st) : NULL;
	if (v == NULL) {
		free(k);
		return st;
	}
	p->items[p->n].key = k;
	p->items[p->n].value = v;
	p->n++;
	return FED_OK;
}

fed_status
web_params_parse(const char *s, size_t len, web_params *out)
{
	memset(out, 0, sizeof(*out));
	if (len == 0)
		return FED_OK;
	out->items = calloc(WEB_PARAMS_MAX, sizeof(*out->items));
	if (out->items == NULL)
		return FED_RESOURCE_EXHAUSTED;
	size_t i = 0;
	while (i < len) {
		const char *amp = memchr(s + i, '&', len - i);
		size_t n = amp ? (size_t) (amp - (s + i)) : len - i;
		if (n > 0)
			FED_TRY(add_pair(out, s + i, n));
		i += n + 1;
	}
	return FED_OK;
}

void
web_params_fini(web_params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->items[i].key);
		free(p->items[i].value);
	}
	free(p->items);
	memset(p, 0, sizeof(*p));
}

const char *
web_params_get(const web_params *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->items[i].key, key) == 0)
			return p->items[i].value;
	return NULL;
}

size_t
web_params_all(
    const web_params *p, const char *key, const char **vals, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->items[i].key, key) != 0)
			continue;
		if (n < max)
			vals[n] = p->items[i].value;
		n++;
	}
	return n;
}

fed_status
web_cookie_get(const char *header, const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name);
	const char *p = header;
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t) (end - p) : strlen(p);
		if (n > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vn = n - nl - 1;
			if (vn + 1 > len)
				return FED_INVALID_ARGUMENT;
			memcpy(buf, p + nl + 1, vn);
			buf[vn] = '\0';
			return FED_OK;
		}
		p = end;
	}
	return FED_NOT_FOUND;
}

fed_status
web_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (s == NULL)
		return FED_INVALID_ARGUMENT;
	while (*s == ' ')
		s++;
	if (*s == '\0' || !(isdigit((unsigned char) *s) || *s == '-'))
		return FED_INVALID_ARGUMENT;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	while (end != NULL && *end == ' ')
		end++;
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return FED_INVALID_ARGUMENT;
	*out = (int64_t) v;
	return FED_OK;
}

// Copies s into buf without spaces, ',' turned into '.'; 0 if too long.
static int
normalise_number(const char *s, char *buf, size_t len)
{
	size_t o = 0;
	for (; *s != '\0'; s++) {
		if (*s == ' ')
			continue;
		if (o + 1 >= len)
			return 0;
		buf[o++] = *s == ',' ? '.' : *s;
	}
	buf[o] = '\0';
	return o > 0;
}

fed_status
web_parse_double(const char *s, double min, double max, double *out)
{
	char buf[64];
	if (s == NULL || !normalise_number(s, buf, sizeof(buf)))
		return FED_INVALID_ARGUMENT;
	for (const char *p = buf; *p != '\0'; p++)
		if (!isdigit((unsigned char) *p) && *p != '.' && *p != '-')
			return FED_INVALID_ARGUMENT;
	char *end = NULL;
	errno = 0;
	double v = strtod(buf, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return FED_INVALID_ARGUMENT;
	*out = v;
	return FED_OK;
}

fed_status
web_parse_cents(const char *s, int64_t max_cents, int64_t *out)
{
	char buf[64];
	if (s == NULL || !normalise_number(s, buf, sizeof(buf)))
		return FED_INVALID_ARGUMENT;
	int64_t whole = 0, frac = 0;
	int n_frac = -1;
	for (const char *p = buf; *p != '\0'; p++) {
		if (*p == '.' && n_frac < 0) {
			n_frac = 0;
			continue;
		}
		if (!isdigit((unsigned char) *p) || n_frac == 2)
			return FED_INVALID_ARGUMENT;
		if (n_frac >= 0) {
			frac = frac * 10 + (*p - '0');
			n_frac++;
		} else if (whole > INT64_MAX / 1000) {
			return FED_INVALID_ARGUMENT;
		} else {
			whole = whole * 10 + (*p - '0');
		}
	}
	if (n_frac == 1)
		frac *= 10;
	if (n_frac == 0 || whole > (max_cents - frac) / 100)
		return FED_INVALID_ARGUMENT;
	*out = whole * 100 + frac;
	return FED_OK;
}

int
web_is_ident(const char *s, size_t max, int slash, int at)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return 0;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char) *s;
		if (isalnum(c) || c == '.' || c == '_' || c == '-')
			continue;
		if ((slash && c == '/') || (at && c == '@'))
			continue;
		return 0;
	}
	return 1;
}
