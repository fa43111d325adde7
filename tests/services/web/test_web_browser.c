// SPDX-License-Identifier: MIT
//
// test_web_browser.c: fed-web in a real browser. Headless Chromium (no
// driver: --dump-dom and --screenshot) logs in through a small launcher
// page that posts the login form, then loads the investor dashboard and
// the load-curve page from a running fed-web (web_fixture.h); the test
// checks the DOM the browser built (the widget's figures, one SVG panel
// per chosen curve on one time axis) and leaves screenshots in
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
	launcher("dashboard", "alice", "/dashboard?at=" WEB_FX_AT_ISO, url,
	    sizeof(url));
	char *dom = browse(url, "--dump-dom");
	const char *w = strstr(dom, "id=\"widget\"");
	if (w == NULL)
		fail_msg("no widget in the DOM:\n%.2000s", dom);
	char v[64];
	assert_non_null(attr_after(
	    w, "data-figure=\"shares_total\"", "data-value", v, sizeof(v)));
	assert_string_equal(v, "3");
	assert_non_null(attr_after(
	    w, "data-figure=\"invested_cents\"", "data-value", v, sizeof(v)));
	assert_string_equal(v, "75000");
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
	    "/curves?s=kermelo/pv/energy&s=bmhs/house/energy&scale=week"
	    "&at=2026-06-10",
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
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
