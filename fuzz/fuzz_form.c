// SPDX-License-Identifier: MIT
//
// fuzz_form.c: libFuzzer target for what fed-web decodes from a request:
// query strings and form bodies (not NUL-terminated, as nng hands them
// over), cookie headers and the numbers of the forms, and the escaping of
// whatever they decode to.

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web_form.h"
#include "web_html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
escape_all(const web_params *p)
{
	web_buf b;
	web_buf_init(&b);
	for (size_t i = 0; i < p->n; i++) {
		web_buf_html(&b, p->items[i].key);
		web_buf_json(&b, p->items[i].value);
		web_buf_url(&b, p->items[i].value);
	}
	web_buf_fini(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	web_params p;
	if (web_params_parse((const char *) data, len, &p) == FED_OK)
		escape_all(&p);
	web_params_fini(&p);
	char *s = malloc(len + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	char cookie[64];
	(void) web_cookie_get(s, "fed_session", cookie, sizeof(cookie));
	int64_t i;
	double d;
	(void) web_parse_int(s, 0, 1000000, &i);
	(void) web_parse_double(s, 0, 1e9, &d);
	(void) web_parse_cents(s, INT64_C(100000000000), &i);
	(void) web_is_ident(s, 200, 1, 0);
	free(s);
	return 0;
}
