// SPDX-License-Identifier: MIT
//
// web_html.h: the output buffer of fed-web's pages and the escaping of
// everything that goes into them: HTML text and attributes, JSON strings
// and URL query values.
//
// A web_buf grows as text is appended, up to WEB_BUF_MAX bytes. Errors are
// sticky: once memory runs out or the limit is passed, further appends do
// nothing and web_buf_status reports RESOURCE_EXHAUSTED, so that a page is
// written without checking every append and checked once at the end.
// Nothing here is thread-shared: a buffer belongs to one request.

#ifndef WEB_HTML_H
#define WEB_HTML_H

#include <stdarg.h>
#include <stddef.h>

#include "fed/status.h"

#define WEB_BUF_MAX (8u << 20) // the largest page: 8 MiB

typedef struct web_buf {
	char *data; // NUL-terminated when len > 0; NULL before any append
	size_t len;
	size_t cap;
	int failed; // an append failed: the content is incomplete
} web_buf;

// Initialises an empty buffer (no allocation).
void web_buf_init(web_buf *b);

// Frees the buffer's memory and empties it. Safe to call twice.
void web_buf_fini(web_buf *b);

// Appends n bytes of s (which need not be NUL-terminated).
void web_buf_putn(web_buf *b, const char *s, size_t n);

// Appends the string s (NULL appends nothing).
void web_buf_put(web_buf *b, const char *s);

// Appends printf-formatted text. Never use it with text from outside:
// pass such text through web_buf_html or web_buf_url.
void web_buf_printf(web_buf *b, const char *fmt, ...) FED__PRINTF(2, 3);

// Appends s escaped for HTML text and for a double- or single-quoted
// attribute value: & < > " ' become entities; control characters other
// than tab, newline and carriage return are dropped. NULL appends nothing.
void web_buf_html(web_buf *b, const char *s);

// Appends s as a JSON string, quotes included (" \ and control characters
// escaped; '<' '>' '&' as \u escapes so the text is safe inside HTML too).
void web_buf_json(web_buf *b, const char *s);

// Appends s percent-encoded for a URL query value (everything but
// [A-Za-z0-9._~-] encoded; space as %20).
void web_buf_url(web_buf *b, const char *s);

// OK, or RESOURCE_EXHAUSTED when an append failed (out of memory, or the
// page would pass WEB_BUF_MAX).
fed_status web_buf_status(const web_buf *b);

#endif // WEB_HTML_H
