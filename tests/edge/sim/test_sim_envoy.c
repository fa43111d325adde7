// SPDX-License-Identifier: MIT
//
// test_sim_envoy.c: the simulator's Envoy replies read back by the real
// parser (envoy_parse): every field equal to the plant model at the last
// 5-minute boundary; the lifetime kept incrementally equal to the model's
// full computation; bad input refused.

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envoy_parse.h"
#include "sim_envoy.h"

// 2025-06-21T11:02:10Z: a midsummer noon; the plant is past commissioning.
#define NOON_MS INT64_C(1750503730000)
#define SEED    3

static sim_pv pv;
static sim_envoy env;

static int
setup(void **state)
{
	(void) state;
	sim_pv_defaults(&pv);
	return sim_envoy_init(&env, &pv, SEED) == FED_OK ? 0 : -1;
}

static void
test_inverters_parse_back(void **state)
{
	(void) state;
	assert_int_equal(sim_envoy_advance(&env, NOON_MS), FED_OK);
	int64_t b = NOON_MS / SIM_SLOT_MS * SIM_SLOT_MS;
	char *json = NULL;
	assert_int_equal(sim_envoy_api_inverters(&env, &json), FED_OK);
	static envoy_inverter inv[SIM_PV_MAX_INVERTERS];
	size_t n = 0;
	envoy_error err;
	assert_int_equal(envoy_parse_inverters(json, strlen(json), inv,
	                     SIM_PV_MAX_INVERTERS, &n, &err),
	    FED_OK);
	free(json);
	assert_int_equal(n, pv.n_inverters);
	int sum = 0;
	for (size_t k = 0; k < n; k++) {
		char serial[SIM_ENVOY_SERIAL_LEN + 1];
		sim_envoy_serial((int) k, serial);
		assert_string_equal(inv[k].serial, serial);
		assert_int_equal(inv[k].last_report_ms, b);
		double w = 0;
		assert_int_equal(
		    sim_pv_inverter_w(&pv, SEED, (int) k, b, &w), FED_OK);
		assert_int_equal(inv[k].last_report_watts, lround(w));
		assert_true(
		    inv[k].max_report_watts >= inv[k].last_report_watts);
		sum += inv[k].last_report_watts;
	}
	assert_true(sum > 1000); // a sunny noon or not, a 16 kWc plant makes
	                         // more than 1 kW at midsummer noon
}

// Site totals from both endpoints; the lifetime, kept by adding slots
// over a simulated day, equals the model's full computation at the end.
static void
test_site_totals_follow_model(void **state)
{
	(void) state;
	assert_int_equal(sim_envoy_advance(&env, NOON_MS), FED_OK);
	for (int i = 1; i <= 30; i++)
		assert_int_equal(
		    sim_envoy_advance(&env, NOON_MS + i * INT64_C(1000000)),
		    FED_OK);
	int64_t t = NOON_MS + 30 * INT64_C(1000000);
	int64_t b = t / SIM_SLOT_MS * SIM_SLOT_MS;
	static double life[SIM_PV_MAX_INVERTERS];
	assert_int_equal(sim_pv_lifetime_wh(&pv, SEED, b, life), FED_OK);
	double want = 0;
	for (int k = 0; k < pv.n_inverters; k++) {
		assert_true(env.lifetime_wh[k] == life[k]); // bit-identical
		want += life[k];
	}
	char *json = NULL;
	assert_int_equal(sim_envoy_api_production(&env, &json), FED_OK);
	envoy_production p;
	envoy_error err;
	assert_int_equal(
	    envoy_parse_production(json, strlen(json), &p, &err), FED_OK);
	free(json);
	assert_int_equal(p.wh_lifetime, (int64_t) round(want));
	double today = 0;
	assert_true(p.wh_today > 0 && p.wh_seven_days > p.wh_today);
	assert_int_equal(
	    sim_pv_plant_slot_wh(&pv, SEED, b - 86400000, 86400000, &today),
	    FED_OK);
	assert_true(p.wh_seven_days > (int64_t) today); // more than a day's
	assert_int_equal(sim_envoy_production_json(&env, &json), FED_OK);
	envoy_site site;
	assert_int_equal(
	    envoy_parse_production_json(json, strlen(json), &site, &err),
	    FED_OK);
	free(json);
	assert_int_equal(site.reading_ms, b);
	assert_int_equal(site.n_active, pv.n_inverters);
	assert_int_equal(site.production.wh_lifetime, p.wh_lifetime);
	assert_int_equal(site.production.watts_now, p.watts_now);
	// The clock going back recomputes in full: same values.
	assert_int_equal(sim_envoy_advance(&env, NOON_MS), FED_OK);
	assert_int_equal(env.at_ms, NOON_MS / SIM_SLOT_MS * SIM_SLOT_MS);
}

static void
test_bad_input(void **state)
{
	(void) state;
	sim_envoy fresh;
	char *json = NULL;
	assert_int_equal(sim_envoy_init(NULL, &pv, 1), FED_INVALID_ARGUMENT);
	sim_pv bad = pv;
	bad.n_inverters = 0;
	assert_int_equal(
	    sim_envoy_init(&fresh, &bad, 1), FED_INVALID_ARGUMENT);
	assert_int_equal(sim_envoy_init(&fresh, &pv, 1), FED_OK);
	assert_int_equal(
	    sim_envoy_api_production(&fresh, &json), FED_INVALID_ARGUMENT);
	assert_null(json);
	assert_int_equal(sim_envoy_advance(&fresh, -1), FED_INVALID_ARGUMENT);
	assert_int_equal(
	    sim_envoy_advance(&fresh, SIM_T_MAX_MS), FED_INVALID_ARGUMENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_inverters_parse_back, setup),
	    cmocka_unit_test_setup(test_site_totals_follow_model, setup),
	    cmocka_unit_test_setup(test_bad_input, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
