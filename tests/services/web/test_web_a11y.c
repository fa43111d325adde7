// SPDX-License-Identifier: MIT
//
// test_web_a11y.c: axe-core on every page of fed-web, in headless
// Chromium driven over its DevTools pipe (cdp.h). axe-core is a test-only
// tool installed from npm into the build tree (the web_axe_install test,
// FED_AXE_JS); it is read from there and evaluated in each page, which
// loads nothing from outside. Each page, in French on a phone's width and
// in English on a desktop's, must have no serious or critical
// violation (text contrast of at least 4.5:1 among them), and every
// chart's lines a contrast of at least 3:1 with the chart's background.
// Without Chromium or axe-core it exits 77, which ctest reports as
// skipped.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cdp.h"
#include "fed_test.h"
#include "web_fixture.h"

#define SKIP 77

static struct web_fx fx;
static cdp br;
static char chromium[256];
static char *axe_js;

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

static char *
read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *s = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[65536];
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			char *p = realloc(s, cap);
			if (p == NULL) {
				free(s);
				fclose(f);
				return NULL;
			}
			s = p;
		}
		memcpy(s + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (s != NULL)
		s[len] = '\0';
	return s;
}

static void
login(const char *user)
{
	char url[300], js[600];
	snprintf(url, sizeof(url), "%s/login?next=/", fx.url);
	assert_int_equal(cdp_goto(&br, url), 0);
	snprintf(js, sizeof(js),
	    "(() => { const f = document.querySelector('form.login');"
	    " f.user.value = '%s'; f.password.value = '%s';"
	    " f.submit(); return true; })()",
	    user, WEB_FX_PW);
	free(cdp_eval(&br, js));
	assert_int_equal(cdp_wait(&br,
	                     "location.pathname !== '/login' && "
	                     "document.readyState === 'complete' && "
	                     "!!document.querySelector('main')",
	                     10000),
	    0);
}

// axe's serious and critical violations, and the chart lines whose
// contrast with the white chart is under 3:1, as a JSON list.
static const char check_js[]
    = "(async () => {"
      " const r = await axe.run(document, {resultTypes: ['violations']});"
      " const bad = r.violations"
      "   .filter(v => v.impact === 'serious' || v.impact === 'critical')"
      "   .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3)"
      "     .map(n => n.target.join(' ') + ' ' + n.failureSummary)"
      "     .join(' | '));"
      " const lum = c => { const m = c.match(/\\d+(\\.\\d+)?/g);"
      "   if (!m) return 1;"
      "   const v = m.slice(0, 3).map(x => { x = x / 255;"
      "     return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;"
      "   });"
      "   return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };"
      " const seen = new Set();"
      " document.querySelectorAll('svg.chart polyline, svg.chart circle,"
      "   svg.chart rect[fill]:not([fill=\"white\"])')"
      "   .forEach(e => { const cs = getComputedStyle(e);"
      "     const col = e.tagName === 'rect' ? cs.fill : cs.stroke;"
      "     if (!col || col === 'none' || col.startsWith('url')"
      "       || seen.has(col)) return;"
      "     seen.add(col);"
      "     const ratio = 1.05 / (lum(col) + 0.05);"
      "     if (ratio < 3 && !e.closest('defs') && !e.classList.length)"
      "       bad.push('chart line ' + col + ' contrast '"
      "         + ratio.toFixed(2)); });"
      " return bad; })()";

static size_t failures;

static void
check_page(const char *path, int width)
{
	char url[800];
	assert_int_equal(cdp_viewport(&br, width, 900), 0);
	snprintf(url, sizeof(url), "%s%s", fx.url, path);
	assert_int_equal(cdp_goto(&br, url), 0);
	char *ok = cdp_eval(&br, axe_js);
	assert_non_null(ok);
	free(ok);
	char *res = cdp_eval(&br, check_js);
	assert_non_null(res);
	cJSON *list = cJSON_Parse(res);
	assert_non_null(list);
	int n = cJSON_GetArraySize(list);
	printf("axe %-60s %4d px: %d serious or critical\n", path, width, n);
	for (int i = 0; i < n; i++)
		printf("    %s\n", cJSON_GetArrayItem(list, i)->valuestring);
	failures += (size_t) n;
	cJSON_Delete(list);
	free(res);
}

// Each page in French at a phone's width and in English at a desktop's
// (both of each would double the test's time for little more).
static void
check_pages(const char *const *paths, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char p[500];
		snprintf(p, sizeof(p), "%s%slang=en", paths[i],
		    strchr(paths[i], '?') ? "&" : "?");
		check_page(paths[i], 390);
		check_page(p, 1280);
	}
}

static int
setup(void **state)
{
	(void) state;
	if (web_fx_start(&fx) != 0)
		return -1;
	char profile[700];
	snprintf(profile, sizeof(profile), "%s/chromium-a11y", fx.dir);
	// One saved comparison of bob's: the list, its delete link and the
	// confirmation are pages too.
	char presets[700];
	snprintf(presets, sizeof(presets), "%s/web-presets", fx.dir);
	FILE *f = fopen(presets, "w");
	int ok = f != NULL
	    && fputs("semaine\tbob\tscale=week&s=kermelo%2Fpv%2Fenergy\n", f)
	        >= 0;
	if (f != NULL)
		ok = fclose(f) == 0 && ok;
	if (!ok || web_fx_alarms(&fx) != 0
	    || cdp_start(&br, chromium, profile) != 0) {
		web_fx_stop(&fx);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	cdp_stop(&br);
	return web_fx_stop(&fx) == 0 ? 0 : -1;
}

static void
test_every_page(void **state)
{
	(void) state;
	char log[300];
	snprintf(log, sizeof(log), "/consent/log?node=bmhs&grant=%s",
	    fx.legall_grant);
	const char *anon[] = {"/login"};
	check_pages(anon, 1);
	login("legall");
	const char *legall[] = {"/dashboard?at=" WEB_FX_AT_ISO,
	    "/production?day=2026-06-14",
	    "/production?project=kermelo-pv&from=2026-06-01&to=2026-06-15",
	    "/self-consumption?day=2026-06-14", "/distribution", "/settings",
	    "/consent", log, "/live?s=" WEB_FX_LEGALL_SERIES, "/no-such-page"};
	check_pages(legall, sizeof(legall) / sizeof(legall[0]));
	login("bob");
	const char *bob[] = {"/curves",
	    "/curves?s=kermelo/pv/energy&s=" WEB_FX_LEGALL_SERIES
	    "&scale=week&at=2026-06-10",
	    "/curves?s=kermelo/pv/energy&s=" WEB_FX_LEGALL_SERIES
	    "&scale=week&at=2026-06-10&overlay=1",
	    "/curves?deleted=1", "/curves?delete=semaine", "/alarms"};
	check_pages(bob, sizeof(bob) / sizeof(bob[0]));
	login("ops");
	const char *ops[] = {"/alarms"};
	check_pages(ops, 1);
	login("root");
	const char *root[] = {"/admin/projects"};
	check_pages(root, 1);
	if (failures > 0)
		fail_msg("%zu serious or critical accessibility violations "
		         "(listed above)",
		    failures);
}

int
main(void)
{
	if (!find_chromium()) {
		fprintf(stderr, "chromium is not installed: skipped\n");
		return SKIP;
	}
	const char *axe = getenv("FED_AXE_JS");
	if (axe == NULL || (axe_js = read_all(axe)) == NULL) {
		fprintf(stderr,
		    "axe-core is not installed (%s; npm install --prefix "
		    "build/npm axe-core@4): skipped\n",
		    axe ? axe : "FED_AXE_JS unset");
		return SKIP;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_page),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	free(axe_js);
	return rc;
}
