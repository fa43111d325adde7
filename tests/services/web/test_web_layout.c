// SPDX-License-Identifier: MIT
//
// test_web_layout.c: fed-web's pages at the widths people use: a phone
// (390 px), tablets (600 and 800), a desktop (1280) and a projector
// (1920). Headless Chromium is driven over its DevTools pipe (cdp.h): the
// test logs in through the login form, sets the window's width, loads a
// page and measures it in the browser: every curve's plot is at least
// 80 % of the content width, the description boxes sit under their curve,
// and nothing is wider than the screen (tables reflow or scroll inside
// themselves, never the page). A screenshot of each page at each width is
// left in <build>/web-screenshots/; the README's (readme-*.png) are taken
// last, over data shaped like a school's, a house's and a plant's
// (web_shots_data.h), and tests/services/web/readme_shots.sh copies them
// to docs/screenshots/. Without Chromium it exits 77, which ctest reports
// as skipped.

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

#include "cdp.h"
#include "fed_test.h"
#include "web_fixture.h"
#include "web_shots_data.h"

#define SKIP 77

static struct web_fx fx;
static cdp br;
static char chromium[256], shots[600];

static const int widths[] = {390, 600, 800, 1280, 1920};

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

// Logs `user` in through fed-web's own login form.
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
	// The login page moves on by itself once the cookie is set.
	assert_int_equal(cdp_wait(&br,
	                     "location.pathname !== '/login' && "
	                     "document.readyState === 'complete' && "
	                     "!!document.querySelector('main')",
	                     10000),
	    0);
}

// What the page looks like at its width, measured in the browser.
static const char measure_js[]
    = "(() => {"
      " const vw = document.documentElement.clientWidth;"
      " const main = document.querySelector('main');"
      " const panels = [...document.querySelectorAll('.curve-panel')]"
      "   .map(p => { const svg = [...p.querySelectorAll('svg.chart')]"
      "       .find(x => x.getBoundingClientRect().width > 0);"
      "     if (!svg) return {w: 0, h: 0, plot: 0, under: false};"
      "     const s = svg.getBoundingClientRect();"
      "     const vb = svg.viewBox.baseVal;"
      "     const plot = (svg.dataset.y1 - svg.dataset.y0) * s.height"
      "       / vb.height;"
      "     const b = [...p.querySelectorAll('.box')]"
      "       .every(x => x.getBoundingClientRect().top >= s.bottom - 1);"
      "     return {w: s.width, h: s.height, plot, under: b}; });"
      " const cs = getComputedStyle(main);"
      " const content = main.clientWidth - parseFloat(cs.paddingLeft)"
      "   - parseFloat(cs.paddingRight);"
      " const wide = [...document.querySelectorAll('main *')]"
      "   .filter(e => e.getBoundingClientRect().right > vw + 1 && "
      "!e.closest('table'))"
      "   .slice(0, 5).map(e => e.tagName + '.' + e.className);"
      " const scrolled = [...document.querySelectorAll('main table')]"
      "   .filter(t => t.scrollWidth > t.clientWidth + 1)"
      "   .map(t => t.className || 'table');"
      " return {vw, content, sw: document.documentElement.scrollWidth,"
      "   panels, wide, scrolled}; })()";

// The least height of a curve's plot area (its axes left out), in CSS
// pixels: on a phone and a small tablet, where the chart is drawn taller
// than wide screens' 4:1 (web_svg_chart_write_both); elsewhere.
#define MIN_PLOT_NARROW 200
#define MIN_PLOT_WIDE   150

// Loads path at width, checks the layout, takes its screenshot; returns
// the number of curve panels. With reflow, no table of the page may
// scroll sideways inside itself either: its rows are stacked instead.
static int
check_page(const char *name, const char *path, int width, int reflow)
{
	char url[600], shot[800];
	assert_int_equal(cdp_viewport(&br, width, 900), 0);
	snprintf(url, sizeof(url), "%s%s", fx.url, path);
	assert_int_equal(cdp_goto(&br, url), 0);
	char *text = cdp_eval(&br, measure_js);
	assert_non_null(text);
	cJSON *m = cJSON_Parse(text);
	assert_non_null(m);
	double vw = cJSON_GetObjectItem(m, "vw")->valuedouble;
	double content = cJSON_GetObjectItem(m, "content")->valuedouble;
	double sw = cJSON_GetObjectItem(m, "sw")->valuedouble;
	cJSON *panels = cJSON_GetObjectItem(m, "panels");
	if (vw != width || sw > vw || content < 0.8 * vw)
		fail_msg("%s at %d px: %s", name, width, text);
	int n = cJSON_GetArraySize(panels);
	for (int i = 0; i < n; i++) {
		cJSON *p = cJSON_GetArrayItem(panels, i);
		double w = cJSON_GetObjectItem(p, "w")->valuedouble;
		double plot = cJSON_GetObjectItem(p, "plot")->valuedouble;
		double min_plot
		    = width <= 600 ? MIN_PLOT_NARROW : MIN_PLOT_WIDE;
		printf("layout %-16s %4d px: curve %d plot %.0f x %.0f px\n",
		    name, width, i, w, plot);
		if (w < 0.8 * content || plot < min_plot
		    || !cJSON_IsTrue(cJSON_GetObjectItem(p, "under")))
			fail_msg(
			    "%s at %d px, curve %d: %s", name, width, i, text);
	}
	if (reflow
	    && cJSON_GetArraySize(cJSON_GetObjectItem(m, "scrolled")) > 0)
		fail_msg("%s at %d px, a table scrolls sideways: %s", name,
		    width, text);
	cJSON_Delete(m);
	free(text);
	snprintf(shot, sizeof(shot), "%s/%s-%d.png", shots, name, width);
	unlink(shot);
	assert_int_equal(cdp_screenshot(&br, shot), 0);
	struct stat st;
	assert_int_equal(stat(shot, &st), 0);
	assert_true(st.st_size > 1000);
	return n;
}

static int
check_width(const char *name, const char *path, int width)
{
	return check_page(name, path, width, 0);
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
	char profile[700];
	snprintf(profile, sizeof(profile), "%s/chromium-cdp", fx.dir);
	if (cdp_start(&br, chromium, profile) != 0) {
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
test_curves_widths(void **state)
{
	(void) state;
	login("bob");
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		assert_int_equal(
		    check_width("curves",
		        "/curves?s=kermelo/pv/energy&s=" WEB_FX_LEGALL_SERIES
		        "&scale=week&at=2026-06-10",
		        widths[i]),
		    2);
		assert_int_equal(
		    check_width("curves-overlay",
		        "/curves?s=kermelo/pv/energy&s=" WEB_FX_LEGALL_SERIES
		        "&scale=week&at=2026-06-10&overlay=1",
		        widths[i]),
		    1);
	}
}

static void
test_alarms_widths(void **state)
{
	(void) state;
	assert_int_equal(web_fx_alarms(&fx), 0);
	login("ops");
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
		check_width("alarms", "/alarms", widths[i]);
}

// The same without script: the layout is the style sheet's alone.
static void
test_without_script(void **state)
{
	(void) state;
	login("bob");
	cJSON *p = cJSON_CreateObject();
	cJSON_AddBoolToObject(p, "value", 1);
	cJSON *r = cdp_call(&br, "Emulation.setScriptExecutionDisabled", p);
	assert_non_null(r);
	cJSON_Delete(r);
	assert_int_equal(
	    check_width("curves-noscript",
	        "/curves?s=kermelo/pv/energy&s=" WEB_FX_LEGALL_SERIES
	        "&scale=week&at=2026-06-10",
	        390),
	    2);
	p = cJSON_CreateObject();
	cJSON_AddBoolToObject(p, "value", 0);
	cJSON_Delete(cdp_call(&br, "Emulation.setScriptExecutionDisabled", p));
}

static void
test_household_widths(void **state)
{
	(void) state;
	char log[300];
	snprintf(log, sizeof(log), "/consent/log?node=bmhs&grant=%s",
	    fx.legall_grant);
	login("legall");
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		check_width("consent", "/consent", widths[i]);
		check_width("consent-log", log, widths[i]);
	}
}

// The investor's pages: at every width nothing is wider than the screen;
// on a phone and a small tablet every table reflows (one card per row,
// each cell under its column's name) rather than scrolling sideways.
static void
test_investor_widths(void **state)
{
	(void) state;
	static const struct {
		const char *name, *path;
	} pages[] = {
	    {"dashboard", "/dashboard?at=" WEB_FX_AT_ISO},
	    {"production",
	        "/production?project=kermelo-pv&from=2026-06-01"
	        "&to=2026-06-15"},
	    {"production-day",
	        "/production?project=kermelo-pv&day=2026-06-15"},
	    {"distribution", "/distribution"},
	    {"settings", "/settings"},
	    {"self-consumption", "/self-consumption?day=2026-06-14"},
	};
	login("legall");
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
		for (size_t k = 0; k < sizeof(pages) / sizeof(pages[0]); k++)
			check_page(pages[k].name, pages[k].path, widths[i],
			    widths[i] <= 600);
}

// The README's pictures, over shaped data: the three curves of use case
// 2 on a desktop and on a phone, and a household investor's dashboard on
// both; the same checks as every page. Last: it adds a project to
// legall's dashboard.
static void
test_readme(void **state)
{
	(void) state;
	assert_int_equal(web_shots_data(&fx), 0);
	const char *curves
	    = "/curves?s=" WEB_SHOTS_SCHOOL "&s=" WEB_SHOTS_HOUSE
	      "&s=" WEB_SHOTS_PLANT "&scale=week&at=2026-06-10";
	login("bob");
	assert_int_equal(check_page("readme-curves", curves, 1280, 0), 3);
	assert_int_equal(check_page("readme-curves", curves, 390, 1), 3);
	login("legall");
	check_page(
	    "readme-dashboard", "/dashboard?at=" WEB_FX_AT_ISO, 1280, 0);
	check_page("readme-dashboard", "/dashboard?at=" WEB_FX_AT_ISO, 390, 1);
}

int
main(void)
{
	if (!find_chromium()) {
		fprintf(stderr, "chromium is not installed: skipped\n");
		return SKIP;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_curves_widths),
	    cmocka_unit_test(test_without_script),
	    cmocka_unit_test(test_household_widths),
	    cmocka_unit_test(test_investor_widths),
	    cmocka_unit_test(test_alarms_widths),
	    cmocka_unit_test(test_readme),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
