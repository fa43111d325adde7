// SPDX-License-Identifier: MIT
//
// test_web_unavailable.c: a project whose node does not answer. alice
// holds shares of a plant on bmhs besides her shares of kermelo-pv on
// lognact; bmhs is stopped. fed-invest's Summary then marks that plant
// unavailable, and the dashboard must be a 200 page: kermelo-pv's card
// with the same figures as before, the plant's card saying, in French and
// in English, that its data is unavailable; the distribution page (money
// and shares, no energy) still whole.

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enfed/v1/invest.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed_test.h"
#include "web_fixture.h"

#define FEB_1_MS INT64_C(1769900400000) // 2026-02-01T00:00+01:00
#define PLANT    "ferme/pv/energy"

static struct web_fx fx;
static char alice[128];

static void
get(const char *path, const char *cookie, int status, struct http_res *r)
{
	assert_int_equal(web_http(&fx, "GET", path, cookie, NULL, r), 0);
	if (r->status != status)
		fail_msg("GET %s: %d, expected %d\n%s", path, r->status,
		    status, r->body);
}

// The card of project id in a dashboard, up to the next card (a copy).
static char *
card(const char *body, const char *id)
{
	char key[128];
	snprintf(key, sizeof(key),
	    "<article class=\"project\" "
	    "data-project=\"%s\"",
	    id);
	const char *p = strstr(body, key);
	if (p == NULL) {
		fail_msg("no card of %s in\n%s", id, body);
		return NULL; // fail_msg does not return; the compiler is told
	}
	const char *e = strstr(p + 1, "</article>");
	assert_non_null(e);
	return strndup(p, (size_t) (e - p));
}

// The data-wh of a card's row (attributed) and column (0 today .. 3
// total).
static double
row_wh(const char *card_text, int col)
{
	const char *p = strstr(card_text, "data-row=\"attributed\"");
	assert_non_null(p);
	char v[64];
	for (int i = 0; i <= col; i++) {
		p = strstr(p, "data-wh=\"");
		assert_non_null(p);
		assert_non_null(attr_after(p, NULL, "data-wh", v, sizeof(v)));
		p++;
	}
	return strtod(v, NULL);
}

// The plant's series on bmhs, its points from 1 February, the project
// on it and alice's 3 shares.
static void
add_plant(void)
{
	fed_rpc_client *c = web_fx_bmhs(&fx);
	assert_non_null(c);
	char err[512];
	if (web_fx_plant(c, PLANT, "BEC", err, sizeof(err)) != 0)
		fail_msg("CreateSeries: %s", err);
	fed_rpc_client_free(c);
	assert_int_equal(
	    web_fx_ingest(&fx, PLANT, FEB_1_MS, WEB_FX_AT, 50), 0);
	if (web_fx_project(&fx, "ferme-pv", "Ferme solaire", "BEC", PLANT,
	        "bmhs", "alice", 3, FEB_1_MS, err, sizeof(err))
	    != 0)
		fail_msg("project: %s", err);
}

static int
setup(void **state)
{
	(void) state;
	if (web_fx_start(&fx) != 0)
		return -1;
	return web_fx_login(&fx, "alice", alice, sizeof(alice));
}

static int
teardown(void **state)
{
	(void) state;
	return web_fx_stop(&fx) == 0 ? 0 : -1;
}

static void
test_node_down(void **state)
{
	(void) state;
	struct http_res r;
	add_plant();
	// Both nodes up: fed-invest's Summary, every card with its figures.
	get("/dashboard?at=" WEB_FX_AT_ISO, alice, 200, &r);
	char *k = card(r.body, "kermelo-pv"), *f = card(r.body, "ferme-pv");
	assert_null(strstr(k, "class=\"unavailable\""));
	assert_null(strstr(f, "class=\"unavailable\""));
	double before[4];
	for (int i = 0; i < 4; i++)
		before[i] = row_wh(k, i);
	assert_true(before[3] > 0);
	assert_true(row_wh(f, 3) > 0);
	free(k);
	free(f);
	http_res_free(&r);

	// bmhs stopped: the plant's card says its data is unavailable.
	assert_int_equal(fed_test_proc_stop(fx.bmhs_pid, SIGTERM, 10000), 0);
	fx.bmhs_pid = 0;
	static const char *const langs[][2] = {
	    {"", "Les données de production de ce projet sont indisponibles"},
	    {"&lang=en", "This project's production data is unavailable"},
	};
	for (size_t l = 0; l < 2; l++) {
		char path[200];
		snprintf(path, sizeof(path), "/dashboard?at=%s%s",
		    WEB_FX_AT_ISO, langs[l][0]);
		get(path, alice, 200, &r);
		k = card(r.body, "kermelo-pv");
		f = card(r.body, "ferme-pv");
		assert_null(strstr(k, "class=\"unavailable\""));
		for (int i = 0; i < 4; i++)
			if (row_wh(k, i) != before[i])
				fail_msg("kermelo-pv, period %d: %.17g Wh, "
				         "%.17g before\n%s",
				    i, row_wh(k, i), before[i], k);
		if (strstr(f, "class=\"unavailable\"") == NULL
		    || strstr(f, langs[l][1]) == NULL)
			fail_msg("ferme-pv's card:\n%s", f);
		assert_null(strstr(f, "data-row=\"attributed\""));
		// The totals are marked incomplete: a project is missing.
		const char *w = strstr(r.body, "id=\"widget\"");
		assert_non_null(w);
		assert_non_null(strstr(w, "class=\"mark\""));
		free(k);
		free(f);
		http_res_free(&r);
	}
	// The distribution needs no node: both projects, their holders.
	get("/distribution", alice, 200, &r);
	assert_non_null(strstr(
	    r.body, "<article class=\"holders\" data-project=\"ferme-pv\""));
	assert_non_null(strstr(
	    r.body, "<article class=\"holders\" data-project=\"kermelo-pv\""));
	http_res_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_node_down),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
