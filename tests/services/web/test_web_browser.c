// SPDX-License-Identifier: MIT
//
// test_web_browser.c: fed-web in a real browser. Headless Chromium (no
// driver: --dump-dom and --screenshot) logs in through a small launcher
// page that posts the login form, then loads the investor dashboard, the
// load-curve page and a household's consent page from a running fed-web
// (web_fixture.h); the test checks the DOM the browser built (the
// widget's figures, one SVG panel per chosen curve on one time axis, the
// household's own grants) and, logged in as each role, that the list of
// curves holds nothing of another household. Screenshots are left in
// <build>/web-screenshots/. Without Chromium it exits 77, which ctest
// reports as skipped.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fed_test.h"
#include "web_fixture.h"

#define SKIP 77

static struct web_fx fx;
static char chromium[256], shots[600], profile[700];

static int
find_chromium(void)
{
	const char *env = getenv("FED_CHROMIUM");
	const char *cands[]
	    = {env, "/usr/bin/chromium", "/usr/bin/chromium-browser"};
	for (size_t i = 0; i < 3; i++)
		if (cands[i] && access(cands[i], X_OK) == 0) {
			snprintf(chromium, sizeof(chromium), "%s", cands[i]);
			return 1;
		}
	return 0;
}

// A page that logs `user` in and goes on to `next` (a path of fed-web).
static void
launcher(const char *name, const char *user, const char *next, char *url,
    size_t len)
{
	char path[800];
	snprintf(path, sizeof(path), "%s/%s.html", fx.dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
	    "<!DOCTYPE html><html><body><form method=\"post\" "
	    "action=\"%s/login\"><input name=\"user\" value=\"%s\">"
	    "<input name=\"password\" value=\"%s\"><input name=\"next\" "
	    "value=\"%s\"></form><script>document.forms[0].submit();"
	    "</script></body></html>\n",
	    fx.url, user, WEB_FX_PW, next);
	fclose(f);
	snprintf(url, len, "file://%s", path);
}

// Runs Chromium on url (60 s at most) with one extra option; returns its
// standard output (the DOM with --dump-dom), owned by the caller.
static char *
browse(const char *url, const char *what)
{
	char *out = NULL, *err = NULL;
	char *argv[] = {"/usr/bin/timeout", "60", chromium, "--headless",
	    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
	    "--no-first-run", "--hide-scrollbars", profile,
	    "--window-size=1280,1800", "--virtual-time-budget=8000",
	    (char *) what, (char *) url, NULL};
	int rc = fed_test_run(argv, NULL, &out, &err);
	if (rc != 0)
		print_error("chromium exited %d:\n%s\n", rc, err ? err : "");
	free(err);
	assert_int_equal(rc, 0);
	return out;
}

static void
screenshot(const char *url, const char *name)
{
	char opt[800], path[700];
	snprintf(path, sizeof(path), "%s/%s.png", shots, name);
	snprintf(opt, sizeof(opt), "--screenshot=%s", path);
	unlink(path);
	free(browse(url, opt));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 1000);
	FILE *f = fopen(path, "rb");
	unsigned char sig[8] = {0};
	assert_int_equal(fread(sig, 1, 8, f), 8);
	fclose(f);
	assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
}

static int
setup(void **state)
{
	(void) state;
	const char *b = getenv("FED_BUILD_DIR");
	snprintf(shots, sizeof(shots), "%s/web-screenshots", b ? b : ".");
	mkdir(shots, 0755);
	if (web_fx_start(&fx) != 0)
		return -1;
	snprintf(
	    profile, sizeof(profile), "--user-data-dir=%s/chromium", fx.dir);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	return web_fx_stop(&fx) == 0 ? 0 : -1;
}

static void
test_dashboard(void **state)
{
	(void) state;
	char url[900];
	launcher("dashboard", "legall", "/dashboard?at=" WEB_FX_AT_ISO, url,
	    sizeof(url));
	char *dom = browse(url, "--dump-dom");
	const char *w = strstr(dom, "id=\"widget\"");
	if (w == NULL)
		fail_msg("no widget in the DOM:\n%.2000s", dom);
	char v[64];
	assert_non_null(attr_after(
	    w, "data-figure=\"shares_total\"", "data-value", v, sizeof(v)));
	assert_string_equal(v, "4");
	assert_non_null(attr_after(
	    w, "data-figure=\"invested_cents\"", "data-value", v, sizeof(v)));
	assert_string_equal(v, "100000");
	assert_non_null(strstr(w, "data-row=\"consumption\""));
	assert_non_null(strstr(dom, "<svg class=\"chart\""));
	// The hostile name is text in the DOM, not an element.
	assert_null(strstr(dom, "<script>alert"));
	free(dom);
	screenshot(url, "dashboard");
}

static void
test_curves(void **state)
{
	(void) state;
	char url[900];
	launcher("curves", "bob",
	    "/curves?s=kermelo/pv/energy&s=" WEB_FX_LEGALL_SERIES
	    "&scale=week&at=2026-06-10",
	    url, sizeof(url));
	char *dom = browse(url, "--dump-dom");
	size_t panels = 0;
	char from[32] = "", to[32] = "", f[32], t[32];
	for (const char *p = dom; (p = strstr(p, "class=\"curve-panel\""));
	     p++) {
		panels++;
		assert_non_null(
		    attr_after(p, "<svg", "data-from", f, sizeof(f)));
		assert_non_null(
		    attr_after(p, "<svg", "data-to", t, sizeof(t)));
		if (from[0] == '\0') {
			snprintf(from, sizeof(from), "%s", f);
			snprintf(to, sizeof(to), "%s", t);
		}
		assert_string_equal(f, from); // one time axis for all
		assert_string_equal(t, to);
	}
	if (panels != 2)
		fail_msg("%zu panels in the DOM:\n%.2000s", panels, dom);
	assert_string_equal(from, "1780869600000");
	assert_string_equal(to, "1781474400000");
	free(dom);
	screenshot(url, "curves");
}

// What each role's list of curves holds, and must not.
static void
test_each_role(void **state)
{
	(void) state;
	static const struct {
		const char *user, *has, *lacks, *lacks2;
	} roles[] = {
	    {"alice", "kermelo/pv/energy", "maison-legall", "maison-martin"},
	    {"legall", WEB_FX_LEGALL_SERIES, "maison-martin",
	        "kermelo/school"},
	    {"martin", WEB_FX_MARTIN_SERIES, "maison-legall", "kermelo/"},
	    {"bob", "kermelo/school/energy", "maison-martin", "(bmhs)"},
	    {"root", WEB_FX_MARTIN_SERIES, "no-such-series", "no-such"},
	};
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		char url[900], name[64];
		snprintf(name, sizeof(name), "list-%s", roles[i].user);
		launcher(name, roles[i].user, "/curves", url, sizeof(url));
		char *dom = browse(url, "--dump-dom");
		const char *form = strstr(dom, "<details class=\"choose\"");
		if (form == NULL || strstr(form, roles[i].has) == NULL
		    || strstr(form, roles[i].lacks) != NULL
		    || strstr(form, roles[i].lacks2) != NULL)
			fail_msg("%s's list:\n%.3000s", roles[i].user,
			    form ? form : dom);
		free(dom);
	}
}

// A household's consent page: its own grant, not the neighbour's.
static void
test_consent(void **state)
{
	(void) state;
	char url[900], pat[128];
	launcher("consent", "legall", "/consent", url, sizeof(url));
	char *dom = browse(url, "--dump-dom");
	snprintf(pat, sizeof(pat), "data-grant=\"%s\"", fx.legall_grant);
	if (strstr(dom, pat) == NULL)
		fail_msg(
		    "no grant %s in the DOM:\n%.3000s", fx.legall_grant, dom);
	snprintf(pat, sizeof(pat), "data-grant=\"%s\"", fx.martin_grant);
	assert_null(strstr(dom, pat));
	assert_null(strstr(dom, "maison-martin"));
	assert_non_null(strstr(dom, "<option value=\"lognact\">"));
	free(dom);
	screenshot(url, "consent");
}

int
main(void)
{
	if (!find_chromium()) {
		fprintf(stderr, "chromium is not installed: skipped\n");
		return SKIP;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dashboard),
	    cmocka_unit_test(test_curves),
	    cmocka_unit_test(test_each_role),
	    cmocka_unit_test(test_consent),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
