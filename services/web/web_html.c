// SPDX-License-Identifier: MIT
//
// web_html.c: fed-web's growable output buffer and the escaping functions
// that every page goes through. Escaping is done byte by byte; multi-byte
// UTF-8 sequences pass through unchanged (none of their bytes is special).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_html.h"

void
web_buf_init(web_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
web_buf_fini(web_buf *b)
{
	free(b->data);
	web_buf_init(b);
}

static int
reserve(web_buf *b, size_t more)
{
	if (b->failed)
		return 0;
	if (more > WEB_BUF_MAX || b->len + more + 1 > WEB_BUF_MAX) {
		b->failed = 1;
		return 0;
	}
	size_t need = b->len + more + 1;
	if (need <= b->cap)
		return 1;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (p == NULL) {
		b->failed = 1;
		return 0;
	}
	b->data = p;
	b->cap = cap;
	return 1;
}

void
web_buf_putn(web_buf *b, const char *s, size_t n)
{
	if (n == 0 || !reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
web_buf_put(web_buf *b, const char *s)
{
	if (s != NULL)
		web_buf_putn(b, s, strlen(s));
}

void
web_buf_printf(web_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if ((size_t) n < sizeof(small)) {
		web_buf_putn(b, small, (size_t) n);
		return;
	}
	if (!reserve(b, (size_t) n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

static const char *
html_entity(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

void
web_buf_html(web_buf *b, const char *s)
{
	if (s == NULL)
		return;
	const char *run = s;
	for (const char *p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char) *p;
		const char *ent = html_entity(c);
		int drop = c < 0x20 && c != '\t' && c != '\n' && c != '\r';
		if (ent == NULL && !drop && c != 0x7f)
			continue;
		web_buf_putn(b, run, (size_t) (p - run));
		web_buf_put(b, ent);
		run = p + 1;
	}
	web_buf_put(b, run);
}

void
web_buf_json(web_buf *b, const char *s)
{
	web_buf_put(b, "\"");
	for (const char *p = s ? s : ""; *p != '\0'; p++) {
		unsigned char c = (unsigned char) *p;
		if (c == '"' || c == '\\') {
			char esc[3] = {'\\', (char) c, '\0'};
			web_buf_put(b, esc);
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			web_buf_printf(b, "\\u%04x", c);
		} else {
			web_buf_putn(b, p, 1);
		}
	}
	web_buf_put(b, "\"");
}

void
web_buf_url(web_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const char *p = s ? s : ""; *p != '\0'; p++) {
		unsigned char c = (unsigned char) *p;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		    || (c >= '0' && c <= '9') || strchr("._~-", c) != NULL) {
			web_buf_putn(b, p, 1);
			continue;
		}
		char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
		web_buf_putn(b, enc, 3);
	}
}

fed_status
web_buf_status(const web_buf *b)
{
	return b->failed ? FED_RESOURCE_EXHAUSTED : FED_OK;
}
