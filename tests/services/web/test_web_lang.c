// SPDX-License-Identifier: MIT
//
// test_web_lang.c: every page of fed-web in both its languages, with no
// word of the other. Each page (those of each role, the error pages, the
// forms' refusals) is fetched in French and in English from a running
// fed-web (web_fixture.h); its text (tags taken out, the title and
// aria-label attributes kept) must hold no string of the other
// language's catalogue, except those written the same in both ("Date",
// "Type"). An element marked with a lang of its own (a node's English
// message) or as an owner's free text (class "given": shown as the owner
// wrote it) is left out.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fed_test.h"
#include "web_fixture.h"
#include "web_i18n.h"

static struct web_fx fx;

// The page's text: what is outside tags, entities decoded, plus the
// values of title="" and aria-label="", each piece between newlines.
static char *
page_text(const char *html)
{
	size_t n = strlen(html);
	char *out = malloc(2 * n + 2);
	assert_non_null(out);
	size_t o = 0;
	for (const char *p = html; *p;) {
		if (*p == '<') {
			const char *end = strchr(p, '>');
			if (end == NULL)
				break;
			// An element marked with its own language (a node's
			// English sentence) or as the owner's words (class
			// "given") is not the page's words: skipped to its end
			// tag.
			const char *la = strstr(p, " lang=\"");
			const char *gv = strstr(p, " class=\"given\"");
			if (((la != NULL && la < end)
			        || (gv != NULL && gv < end))
			    && strncmp(p, "<html", 5) != 0) {
				char close[40];
				size_t tn = strcspn(p + 1, " >");
				snprintf(close, sizeof(close), "</%.*s>",
				    (int) tn, p + 1);
				const char *c = strstr(end, close);
				if (c != NULL) {
					out[o++] = '\n';
					p = c + strlen(close);
					continue;
				}
			}
			static const char *const keep[] = {
			    " title=\"", " aria-label=\"", " data-label=\""};
			for (size_t k = 0; k < 3; k++)
				for (const char *a = p;
				     (a = strstr(a, keep[k])) && a < end;) {
					a += strlen(keep[k]);
					const char *q = strchr(a, '"');
					if (q == NULL || q > end)
						break;
					out[o++] = '\n';
					memcpy(out + o, a, (size_t) (q - a));
					o += (size_t) (q - a);
					out[o++] = '\n';
				}
			out[o++] = '\n';
			p = end + 1;
			continue;
		}
		static const char *const ent[][2]
		    = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"},
		        {"&quot;", "\""}, {"&#39;", "'"}};
		int done = 0;
		for (size_t k = 0; k < 5 && !done; k++)
			if (strncmp(p, ent[k][0], strlen(ent[k][0])) == 0) {
				out[o++] = ent[k][1][0];
				p += strlen(ent[k][0]);
				done = 1;
			}
		if (!done)
			out[o++] = *p++;
	}
	out[o] = '\0';
	return out;
}

static int
is_letter(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80;
}

// 1 when s holds w as a whole (not inside a longer word).
static int
has_whole(const char *s, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = s; (p = strstr(p, w)); p++) {
		int before = p > s && is_letter((unsigned char) p[-1])
		    && is_letter((unsigned char) w[0]);
		int after = is_letter((unsigned char) p[n])
		    && is_letter((unsigned char) w[n - 1]);
		if (!before && !after)
			return 1;
	}
	return 0;
}

// 1 when w is also a string of lang's catalogue.
static int
in_catalogue(web_lang lang, const char *w)
{
	for (int i = 0; i < WEB_S__COUNT; i++)
		if (strcmp(web_tr(lang, (web_str) i), w) == 0)
			return 1;
	return 0;
}

// Fails when the page, in lang, shows a string of the other language.
static void
check_page(const char *what, web_lang lang, const char *html)
{
	web_lang other = lang == WEB_LANG_EN ? WEB_LANG_FR : WEB_LANG_EN;
	char *text = page_text(html);
	char lang_attr[32];
	snprintf(lang_attr, sizeof(lang_attr), "<html lang=\"%s\"",
	    web_lang_code(lang));
	if (strstr(html, lang_attr) == NULL)
		fail_msg("%s: not a page in %s:\n%.1500s", what,
		    web_lang_code(lang), html);
	for (int i = 0; i < WEB_S__COUNT; i++) {
		const char *w = web_tr(other, (web_str) i);
		if (in_catalogue(lang, w))
			continue;
		if (has_whole(text, w))
			fail_msg("%s in %s shows \"%s\" (%s):\n%.3000s", what,
			    web_lang_code(lang), w, web_lang_code(other),
			    text);
	}
	free(text);
}

struct page {
	const char *user; // NULL: not logged in
	const char *method;
	const char *path; // without the language
	const char *body;
	int status;
};

static void
check_pages(const struct page *pages, size_t n)
{
	char cookie[128] = "";
	const char *who = "";
	for (size_t i = 0; i < n; i++) {
		const struct page *pg = &pages[i];
		if (pg->user && strcmp(pg->user, who) != 0) {
			assert_int_equal(web_fx_login(&fx, pg->user, cookie,
			                     sizeof(cookie)),
			    0);
			who = pg->user;
		}
		for (int l = 0; l < 2; l++) {
			web_lang lang = l ? WEB_LANG_EN : WEB_LANG_FR;
			char path[600], what[700];
			snprintf(path, sizeof(path), "%s%slang=%s", pg->path,
			    strchr(pg->path, '?') ? "&" : "?",
			    web_lang_code(lang));
			snprintf(what, sizeof(what), "%s %s as %s", pg->method,
			    path, pg->user ? pg->user : "nobody");
			struct http_res r;
			assert_int_equal(
			    web_http(&fx, pg->method, path,
			        pg->user ? cookie : NULL, pg->body, &r),
			    0);
			if (r.status != pg->status)
				fail_msg("%s: %d, expected %d\n%.2000s", what,
				    r.status, pg->status, r.body);
			check_page(what, lang, r.body);
			http_res_free(&r);
		}
	}
}

static int
setup(void **state)
{
	(void) state;
	if (web_fx_start(&fx) != 0)
		return -1;
	// One saved comparison of bob's, for the pages that list and
	// delete it.
	char path[700];
	snprintf(path, sizeof(path), "%s/web-presets", fx.dir);
	FILE *f = fopen(path, "w");
	int ok = f != NULL
	    && fputs("semaine\tbob\tscale=week&s=kermelo%2Fpv%2Fenergy\n", f)
	        >= 0;
	if (f != NULL)
		ok = fclose(f) == 0 && ok;
	if (!ok || web_fx_alarms(&fx) != 0) {
		web_fx_stop(&fx);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	return web_fx_stop(&fx) == 0 ? 0 : -1;
}

// The catalogue's check itself: a page that mixes the languages fails.
static void
test_mixed_caught(void **state)
{
	(void) state;
	const char *mixed = "<!DOCTYPE html>\n<html lang=\"fr\"><body><h1>"
	                    "Mes partages</h1><p>Load curves</p></body>";
	char *text = page_text(mixed);
	assert_true(has_whole(text, web_tr(WEB_LANG_EN, WEB_S_CURVES)));
	assert_false(has_whole("Livre", "Live"));
	char *marked = page_text("<p>Mes partages <small lang=\"en\">Load "
	                         "curves</small> fin</p>");
	assert_false(has_whole(marked, "Load curves"));
	assert_true(has_whole(marked, "fin"));
	free(marked);
	marked = page_text("<dl><dt>Puissance crête</dt><dd class=\"given\">"
	                   "16.2 kWp</dd></dl>");
	assert_false(has_whole(marked, "kWp"));
	free(marked);
	free(text);
}

static void
test_every_page(void **state)
{
	(void) state;
	char revoke[300], log[300];
	snprintf(revoke, sizeof(revoke), "/consent/revoke?node=bmhs&grant=%s",
	    fx.legall_grant);
	snprintf(log, sizeof(log), "/consent/log?node=bmhs&grant=%s",
	    fx.legall_grant);
	const struct page pages[] = {
	    {NULL, "GET", "/login", NULL, 200},
	    {NULL, "POST", "/login", "user=legall&password=wrong", 401},
	    {NULL, "GET", "/no-such-page", NULL, 404},
	    {"legall", "GET", "/dashboard?at=" WEB_FX_AT_ISO, NULL, 200},
	    {"legall", "GET", "/production?day=2026-06-14", NULL, 200},
	    {"legall", "GET", "/production?from=garbage", NULL, 400},
	    {"legall", "GET", "/production?from=2026-06-10&to=2026-06-01",
	        NULL, 400},
	    {"legall", "GET", "/production?day=soon", NULL, 400},
	    {"legall", "GET", "/dashboard?at=noon", NULL, 400},
	    {"legall", "GET", "/curves?scale=year&step=15min", NULL, 400},
	    {"legall", "GET", "/curves?from=2026-06-10&to=garbage", NULL, 400},
	    {"legall", "GET", "/distribution", NULL, 200},
	    {"legall", "GET", "/settings", NULL, 200},
	    {"legall", "POST", "/settings", "action=add&project=x", 403},
	    {"legall", "GET", "/consent", NULL, 200},
	    {"legall", "GET", log, NULL, 200},
	    {"legall", "GET", revoke, NULL, 200},
	    {"legall", "GET", "/consent/revoke?node=bmhs&grant=nope", NULL,
	        404},
	    {"legall", "GET", "/consent/revoke?node=..", NULL, 400},
	    {"legall", "GET", "/admin/projects", NULL, 403},
	    {"legall", "GET",
	        "/curves?s=" WEB_FX_LEGALL_SERIES "&scale=month&at=2026-06-10",
	        NULL, 200},
	    {"legall", "GET", "/curves?scale=decade", NULL, 400},
	    {"legall", "GET", "/curves?s=" WEB_FX_MARTIN_SERIES, NULL, 404},
	    {"legall", "GET", "/live?s=" WEB_FX_LEGALL_SERIES, NULL, 200},
	    {"bob", "GET",
	        "/curves?s=kermelo/pv/energy&s=kermelo/school/energy"
	        "&scale=week&at=2026-06-10&overlay=1",
	        NULL, 200},
	    {"bob", "GET", "/curves?deleted=1", NULL, 200},
	    {"bob", "GET", "/curves?delete=semaine", NULL, 200},
	    {"bob", "POST", "/curves", "action=delete&name=semaine", 403},
	    {"ops", "GET", "/curves?delete=semaine", NULL, 403},
	    {"ops", "POST", "/curves", "name=x&query=scale%3Dweek", 403},
	    {"bob", "GET", "/alarms", NULL, 200},
	    {"bob", "POST", "/alarms", "action=ack&node=lognact&id=1", 403},
	    {"ops", "GET", "/alarms", NULL, 200},
	    {"ops", "GET", "/alarms?acked=1", NULL, 200},
	    {"root", "GET", "/admin/projects", NULL, 200},
	    {"root", "GET", "/admin/projects?edit=kermelo-pv", NULL, 200},
	    {"root", "GET", "/admin/projects?edit=no-such", NULL, 404},
	    {"root", "PUT", "/curves", NULL, 405},
	};
	check_pages(pages, sizeof(pages) / sizeof(pages[0]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mixed_caught),
	    cmocka_unit_test(test_every_page),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
