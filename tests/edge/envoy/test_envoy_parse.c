// SPDX-License-Identifier: MIT
//
// test_envoy_parse.c: the Envoy reply parsers on the real firmware 3.9.36
// captures (every value checked against the files) and on a hand-written
// /production.json; then on every kind of bad reply: missing fields, wrong
// types, negative, absurd and non-finite numbers, bad and duplicate
// serials, too many inverters, duplicate keys, malformed, oversized and
// deeply nested JSON, and the real files cut at every byte, which must
// never parse to a partial result.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy_parse.h"

static char *
read_fixture(const char *name, size_t *len)
{
	const char *dir = getenv("FED_FIXTURES");
	char path[1024];
	snprintf(path, sizeof(path), "%s/envoy/%s",
	    dir ? dir : "tests/fixtures", name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	assert_true(*len > 0);
	return buf;
}

static fed_status
prod(const char *json, envoy_production *p, envoy_error *err)
{
	return envoy_parse_production(json, strlen(json), p, err);
}

static fed_status
site(const char *json, envoy_site *s, envoy_error *err)
{
	return envoy_parse_production_json(json, strlen(json), s, err);
}

static fed_status
invs(const char *json, envoy_inverter *out, size_t cap, size_t *n,
    envoy_error *err)
{
	return envoy_parse_inverters(json, strlen(json), out, cap, n, err);
}

// The call failed with INVALID_ARGUMENT and a message naming `needle`.
static void
expect_invalid(fed_status st, const envoy_error *err, const char *needle)
{
	assert_int_equal(st, FED_INVALID_ARGUMENT);
	if (strstr(err->msg, needle) == NULL)
		fail_msg(
		    "message \"%s\" does not name \"%s\"", err->msg, needle);
}

static void
test_production_fixture(void **state)
{
	(void) state;
	size_t len;
	char *json = read_fixture("fw3.9.36_api_v1_production.json", &len);
	envoy_production p;
	envoy_error err;
	assert_int_equal(envoy_parse_production(json, len, &p, &err), FED_OK);
	assert_int_equal(p.watts_now, 1271);
	assert_int_equal(p.wh_today, 1460);
	assert_int_equal(p.wh_seven_days, 130349);
	assert_int_equal(p.wh_lifetime, 6012540);
	free(json);
}

static void
test_inverters_fixture(void **state)
{
	(void) state;
	static const struct {
		const char *serial;
		int64_t date_s;
		int32_t last, max;
	} want[12] = {
	    {"121547058993", 1618083961, 138, 231},
	    {"121547060394", 1618083966, 138, 238},
	    {"121603034267", 1618083956, 138, 244},
	    {"121547060402", 1618083962, 138, 240},
	    {"121547060638", 1618083966, 139, 241},
	    {"121547060646", 1618083957, 139, 240},
	    {"121603025842", 1618083963, 139, 260},
	    {"121603039216", 1618083968, 139, 273},
	    {"121547060652", 1618083959, 140, 245},
	    {"121547060495", 1618083959, 135, 228},
	    {"121603038867", 1618083964, 138, 242},
	    {"121547058983", 1618083969, 137, 238},
	};
	size_t len, n = 0;
	char *json
	    = read_fixture("fw3.9.36_api_v1_production_inverters.json", &len);
	envoy_inverter inv[16];
	envoy_error err;
	assert_int_equal(
	    envoy_parse_inverters(json, len, inv, 16, &n, &err), FED_OK);
	assert_int_equal(n, 12);
	for (size_t i = 0; i < 12; i++) {
		assert_string_equal(inv[i].serial, want[i].serial);
		assert_int_equal(inv[i].last_report_ms, want[i].date_s * 1000);
		assert_int_equal(inv[i].last_report_watts, want[i].last);
		assert_int_equal(inv[i].max_report_watts, want[i].max);
		assert_int_equal(inv[i].dev_type, 0);
	}
	// Exactly 12 fit; 11 do not.
	assert_int_equal(
	    envoy_parse_inverters(json, len, inv, 12, &n, &err), FED_OK);
	expect_invalid(envoy_parse_inverters(json, len, inv, 11, &n, &err),
	    &err, "12 entries");
	free(json);
}

static void
test_production_json_fixture(void **state)
{
	(void) state;
	size_t len;
	char *json = read_fixture("handwritten_production.json", &len);
	envoy_site s;
	envoy_error err;
	assert_int_equal(
	    envoy_parse_production_json(json, len, &s, &err), FED_OK);
	assert_true(s.from_meter);
	assert_true(s.has_daily);
	assert_int_equal(s.production.watts_now, 5238); // 5237.982
	assert_int_equal(s.production.wh_today, 12843);
	assert_int_equal(s.production.wh_seven_days, 142657);
	assert_int_equal(s.production.wh_lifetime, 35294866);
	assert_int_equal(s.reading_ms, 1672575063000);
	assert_int_equal(s.n_active, 24);
	assert_true(s.has_consumption);
	assert_int_equal(s.consumption_watts, 1040);
	assert_int_equal(s.consumption_wh_lifetime, 21712246);
	assert_true(s.has_net);
	assert_int_equal(s.net_watts, -4198);
	free(json);
}

static void
test_production_json_unmetered(void **state)
{
	(void) state;
	envoy_site s;
	envoy_error err;
	const char *only_inverters
	    = "{\"production\":[{\"type\":\"inverters\",\"activeCount\":10,"
	      "\"readingTime\":1672574917,\"wNow\":2100,\"whLifetime\":"
	      "3546325},{\"type\":\"eim\",\"activeCount\":0,"
	      "\"measurementType\":\"production\",\"readingTime\":0,"
	      "\"wNow\":0.0,\"whLifetime\":0.0,\"whToday\":0,"
	      "\"whLastSevenDays\":0}],\"consumption\":[],\"storage\":[]}";
	assert_int_equal(site(only_inverters, &s, &err), FED_OK);
	assert_false(s.from_meter);
	assert_false(s.has_daily);
	assert_false(s.has_consumption);
	assert_false(s.has_net);
	assert_int_equal(s.production.watts_now, 2100);
	assert_int_equal(s.production.wh_lifetime, 3546325);
	assert_int_equal(s.production.wh_today, 0);
	assert_int_equal(s.reading_ms, 1672574917000);
	assert_int_equal(s.n_active, 10);
}

static const char *inv_entry
    = "{\"type\":\"inverters\",\"activeCount\":1,"
      "\"readingTime\":1,\"wNow\":0,\"whLifetime\":1}";

// A production.json whose eim production entry has this wNow.
static fed_status
site_with_eim_watts(const char *w, envoy_site *s, envoy_error *err)
{
	char json[512];
	snprintf(json, sizeof(json),
	    "{\"production\":[%s,{\"type\":\"eim\",\"activeCount\":1,"
	    "\"measurementType\":\"production\",\"readingTime\":1,"
	    "\"wNow\":%s,\"whLifetime\":5,\"whToday\":1,"
	    "\"whLastSevenDays\":2}]}",
	    inv_entry, w);
	return site(json, s, err);
}

static void
test_production_json_errors(void **state)
{
	(void) state;
	envoy_site s;
	envoy_error err;
	// Night-time CT noise reads as 0; real negatives are refused.
	assert_int_equal(site_with_eim_watts("-3.2", &s, &err), FED_OK);
	assert_int_equal(s.production.watts_now, 0);
	assert_true(s.from_meter);
	expect_invalid(
	    site_with_eim_watts("-250", &s, &err), &err, "production[1].wNow");
	expect_invalid(site_with_eim_watts("\"5\"", &s, &err), &err,
	    "production[1].wNow: not a number");
	expect_invalid(site_with_eim_watts("1e999", &s, &err), &err,
	    "production[1].wNow");
	expect_invalid(site("{\"production\":[]}", &s, &err), &err,
	    "no \"inverters\" entry");
	expect_invalid(site("{}", &s, &err), &err, "production: missing");
	expect_invalid(
	    site("{\"production\":{}}", &s, &err), &err, "not an array");
	expect_invalid(site("[]", &s, &err), &err, "not an object");
	expect_invalid(
	    site("{\"production\":[{\"activeCount\":1}]}", &s, &err), &err,
	    "production[0].type: missing");
	expect_invalid(site("{\"production\":[7]}", &s, &err), &err,
	    "production[0]: not an object");
	char json[1024];
	snprintf(json, sizeof(json), "{\"production\":[%s,%s]}", inv_entry,
	    inv_entry);
	expect_invalid(site(json, &s, &err), &err, "a second");
	snprintf(json, sizeof(json),
	    "{\"production\":[%s],\"consumption\":{}}", inv_entry);
	expect_invalid(
	    site(json, &s, &err), &err, "consumption: not an array");
	snprintf(json, sizeof(json),
	    "{\"production\":[%s],\"consumption\":[{\"type\":\"eim\","
	    "\"measurementType\":\"net-consumption\",\"activeCount\":1,"
	    "\"wNow\":-2e7}]}",
	    inv_entry);
	expect_invalid(site(json, &s, &err), &err, "consumption[0].wNow");
	snprintf(json, sizeof(json),
	    "{\"production\":[%s],\"consumption\":[{\"type\":\"eim\","
	    "\"measurementType\":\"total-consumption\",\"activeCount\":1,"
	    "\"wNow\":12}]}",
	    inv_entry);
	expect_invalid(
	    site(json, &s, &err), &err, "consumption[0].whLifetime: missing");
	snprintf(json, sizeof(json),
	    "{\"production\":[{\"type\":\"inverters\",\"activeCount\":1,"
	    "\"readingTime\":1,\"wNow\":-1,\"whLifetime\":1}]}");
	expect_invalid(
	    site(json, &s, &err), &err, "production[0].wNow: -1 is negative");
}

#define GOOD_PROD                                         \
	"{\"wattHoursToday\":1,\"wattHoursSevenDays\":2," \
	"\"wattHoursLifetime\":3,\"wattsNow\":4}"

static void
test_production_errors(void **state)
{
	(void) state;
	envoy_production p;
	envoy_error err;
	assert_int_equal(prod(GOOD_PROD, &p, &err), FED_OK);
	assert_int_equal(p.watts_now, 4);
	// Night-time noise below zero (-4 W, seen on firmware 3.x) reads 0;
	// the rest of the reply, the lifetime index included, is kept.
	assert_int_equal(prod("{\"wattHoursToday\":1,\"wattHoursSevenDays\":2,"
	                      "\"wattHoursLifetime\":3,\"wattsNow\":-4}",
	                     &p, &err),
	    FED_OK);
	assert_int_equal(p.watts_now, 0);
	assert_int_equal(p.wh_lifetime, 3);
	static const struct {
		const char *json;
		const char *needle;
	} cases[] = {
	    {"{\"wattHoursToday\":1,\"wattHoursSevenDays\":2,"
	     "\"wattHoursLifetime\":3}",
	        "production.wattsNow: missing"},
	    {"{\"wattHoursToday\":1,\"wattHoursSevenDays\":2,"
	     "\"wattHoursLifetime\":3,\"wattsNow\":\"4\"}",
	        "wattsNow: not a number"},
	    {"{\"wattHoursToday\":1,\"wattHoursSevenDays\":2,"
	     "\"wattHoursLifetime\":3,\"wattsNow\":true}",
	        "wattsNow: not a number"},
	    {"{\"wattHoursToday\":1,\"wattHoursSevenDays\":2,"
	     "\"wattHoursLifetime\":3,\"wattsNow\":null}",
	        "wattsNow: not a number"},
	    {"{\"wattHoursToday\":1,\"wattHoursSevenDays\":2,"
	     "\"wattHoursLifetime\":3,\"wattsNow\":[4]}",
	        "wattsNow: not a number"},
	    {"{\"wattHoursToday\":1,\"wattHoursSevenDays\":2,"
	     "\"wattHoursLifetime\":3,\"wattsNow\":-101}",
	        "wattsNow: -101 outside"},
	    {"{\"wattHoursToday\":1,\"wattHoursSevenDays\":2,"
	     "\"wattHoursLifetime\":3,\"wattsNow\":20000001}",
	        "wattsNow: 2e+07 outside"},
	    {"{\"wattHoursToday\":1,\"wattHoursSevenDays\":2,"
	     "\"wattHoursLifetime\":3,\"wattsNow\":1e999}",
	        "wattsNow: not a finite number"},
	    {"{\"wattHoursToday\":1,\"wattHoursSevenDays\":2,"
	     "\"wattHoursLifetime\":3e15,\"wattsNow\":4}",
	        "wattHoursLifetime: 3e+15 outside"},
	    {"{\"wattHoursToday\":1,\"wattHoursToday\":5,"
	     "\"wattHoursSevenDays\":2,\"wattHoursLifetime\":3,\"wattsNow\":"
	     "4}",
	        "wattHoursToday: duplicate field"},
	    {"[" GOOD_PROD "]", "production: not an object"},
	    {GOOD_PROD " x", "trailing bytes"},
	    {GOOD_PROD "{}", "trailing bytes"},
	    {"", "malformed JSON"},
	    {"   ", "malformed JSON"},
	    {"{\"wattsNow\":1,}", "malformed JSON"},
	    {"{'wattsNow':1}", "malformed JSON"},
	    {"{\"wattsNow\":NaN}", "malformed JSON"},
	    {"{\"wattsNow\":Infinity}", "malformed JSON"},
	    {"{\"wattsNow\":0x10}", "malformed JSON"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		expect_invalid(
		    prod(cases[i].json, &p, &err), &err, cases[i].needle);
	}
	// A NUL byte inside the input, then past the cap, then nesting far
	// deeper than cJSON's limit.
	char nul[] = GOOD_PROD "\0 ";
	expect_invalid(envoy_parse_production(nul, sizeof(nul) - 1, &p, &err),
	    &err, "trailing bytes");
	size_t big = ENVOY_INPUT_MAX + 1;
	char *huge = malloc(big);
	memset(huge, ' ', big);
	memcpy(huge, GOOD_PROD, strlen(GOOD_PROD));
	expect_invalid(envoy_parse_production(huge, big, &p, &err), &err,
	    "above the cap");
	assert_int_equal(
	    envoy_parse_production(huge, big - 1, &p, &err), FED_OK);
	size_t depth = 100000;
	for (size_t i = 0; i < depth; i++)
		huge[i] = '[';
	for (size_t i = depth; i < 2 * depth; i++)
		huge[i] = ']';
	expect_invalid(envoy_parse_production(huge, 2 * depth, &p, &err), &err,
	    "malformed JSON");
	free(huge);
	expect_invalid(
	    envoy_parse_production(NULL, 0, &p, &err), &err, "input: NULL");
	assert_int_equal(prod(GOOD_PROD, &p, NULL), FED_OK);
	assert_int_equal(prod("{}", &p, NULL), FED_INVALID_ARGUMENT);
}

// An inverters reply of one entry, `fields` inside the object.
static fed_status
one_inverter(const char *fields, envoy_inverter *inv, envoy_error *err)
{
	char json[512];
	size_t n;
	snprintf(json, sizeof(json), "[{%s}]", fields);
	return invs(json, inv, 4, &n, err);
}

#define INV_TAIL                                                 \
	"\"lastReportDate\":1618083961,\"lastReportWatts\":138," \
	"\"maxReportWatts\":231"

static void
test_inverter_errors(void **state)
{
	(void) state;
	envoy_inverter inv[4];
	envoy_error err;
	size_t n = 99;
	assert_int_equal(invs("[]", inv, 4, &n, &err), FED_OK);
	assert_int_equal(n, 0);
	assert_int_equal(
	    one_inverter("\"serialNumber\":\"AbC123\",\"devType\":1," INV_TAIL,
	        inv, &err),
	    FED_OK);
	assert_string_equal(inv[0].serial, "AbC123");
	assert_int_equal(inv[0].dev_type, 1);
	static const struct {
		const char *fields;
		const char *needle;
	} cases[] = {
	    {INV_TAIL, "inverters[0].serialNumber: missing"},
	    {"\"serialNumber\":121547058993," INV_TAIL,
	        "serialNumber: not a string"},
	    {"\"serialNumber\":\"\"," INV_TAIL, "serialNumber: \"\" is not"},
	    {"\"serialNumber\":\"1215-4705\"," INV_TAIL,
	        "serialNumber: \"1215-4705\" is not"},
	    {"\"serialNumber\":\"12 15\"," INV_TAIL, "serialNumber"},
	    {"\"serialNumber\":\"\\u00e912\"," INV_TAIL, "serialNumber"},
	    {"\"serialNumber\":"
	     "\"123456789012345678901234567890123\"," INV_TAIL,
	        "serialNumber"},
	    {"\"serialNumber\":\"1\",\"lastReportWatts\":1,"
	     "\"maxReportWatts\":1",
	        "lastReportDate: missing"},
	    {"\"serialNumber\":\"1\",\"lastReportDate\":-1,"
	     "\"lastReportWatts\":1,\"maxReportWatts\":1",
	        "lastReportDate: -1 is negative"},
	    {"\"serialNumber\":\"1\",\"lastReportDate\":5000000000,"
	     "\"lastReportWatts\":1,\"maxReportWatts\":1",
	        "lastReportDate: 5e+09 outside"},
	    {"\"serialNumber\":\"1\",\"lastReportDate\":1,"
	     "\"lastReportWatts\":2001,\"maxReportWatts\":1",
	        "lastReportWatts: 2001 outside"},
	    {"\"serialNumber\":\"1\",\"lastReportDate\":1,"
	     "\"lastReportWatts\":-7,\"maxReportWatts\":1",
	        "lastReportWatts: -7 is negative"},
	    {"\"serialNumber\":\"1\",\"lastReportDate\":1,"
	     "\"lastReportWatts\":7,\"maxReportWatts\":\"1\"",
	        "maxReportWatts: not a number"},
	    {"\"serialNumber\":\"1\",\"lastReportDate\":1,"
	     "\"lastReportWatts\":7,\"maxReportWatts\":-1e999",
	        "maxReportWatts: not a finite number"},
	    {"\"serialNumber\":\"1\",\"devType\":\"1\"," INV_TAIL,
	        "devType: not a number"},
	    {"\"serialNumber\":\"1\",\"serialNumber\":\"2\"," INV_TAIL,
	        "serialNumber: duplicate field"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		expect_invalid(one_inverter(cases[i].fields, inv, &err), &err,
		    cases[i].needle);
	}
	expect_invalid(
	    invs("{}", inv, 4, &n, &err), &err, "inverters: not an array");
	expect_invalid(invs("[[]]", inv, 4, &n, &err), &err,
	    "inverters[0]: not an object");
	expect_invalid(invs("[{\"serialNumber\":\"A1\"," INV_TAIL "},"
	                    "{\"serialNumber\":\"A2\"," INV_TAIL "},"
	                    "{\"serialNumber\":\"A1\"," INV_TAIL "}]",
	                   inv, 4, &n, &err),
	    &err, "inverters[2].serialNumber: A1 already in inverters[0]");
	assert_true(envoy_serial_ok("12345678901234567890123456789012"));
	assert_false(envoy_serial_ok("123456789012345678901234567890123"));
	assert_false(envoy_serial_ok(""));
	assert_false(envoy_serial_ok("a_b"));
}

typedef fed_status (*parse_fn)(const char *json, size_t len, void *out);

static fed_status
parse_prod(const char *json, size_t len, void *out)
{
	envoy_error err;
	return envoy_parse_production(json, len, out, &err);
}

static fed_status
parse_invs(const char *json, size_t len, void *out)
{
	envoy_error err;
	size_t n;
	return envoy_parse_inverters(json, len, out, 16, &n, &err); // 16 fit
}

static fed_status
parse_site(const char *json, size_t len, void *out)
{
	envoy_error err;
	return envoy_parse_production_json(json, len, out, &err);
}

// Every prefix is refused, except those that only drop trailing white
// space; each is handed over in a buffer of its exact size, so that a read
// past the end shows under AddressSanitizer.
static void
truncate_everywhere(const char *name, parse_fn fn)
{
	size_t len;
	char *json = read_fixture(name, &len);
	size_t doc_end = len;
	while (doc_end > 0 && strchr(" \t\r\n", json[doc_end - 1]) != NULL)
		doc_end--;
	static union {
		envoy_production p;
		envoy_site s;
		envoy_inverter inv[16];
	} u;
	void *out = &u;
	assert_int_equal(fn(json, len, out), FED_OK);
	size_t n_ok = 0;
	for (size_t cut = 0; cut < len; cut++) {
		char *part = malloc(cut > 0 ? cut : 1);
		memcpy(part, json, cut);
		fed_status st = fn(part, cut, out);
		free(part);
		if (cut >= doc_end) {
			assert_int_equal(st, FED_OK);
			n_ok++;
		} else if (st != FED_INVALID_ARGUMENT) {
			fail_msg("%s cut at %zu of %zu: status %d", name, cut,
			    len, (int) st);
		}
	}
	assert_int_equal(n_ok, len - doc_end);
	free(json);
}

static void
test_truncation(void **state)
{
	(void) state;
	truncate_everywhere("fw3.9.36_api_v1_production.json", parse_prod);
	truncate_everywhere(
	    "fw3.9.36_api_v1_production_inverters.json", parse_invs);
	truncate_everywhere("handwritten_production.json", parse_site);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_production_fixture),
	    cmocka_unit_test(test_inverters_fixture),
	    cmocka_unit_test(test_production_json_fixture),
	    cmocka_unit_test(test_production_json_unmetered),
	    cmocka_unit_test(test_production_json_errors),
	    cmocka_unit_test(test_production_errors),
	    cmocka_unit_test(test_inverter_errors),
	    cmocka_unit_test(test_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
