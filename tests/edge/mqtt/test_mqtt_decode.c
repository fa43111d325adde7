// SPDX-License-Identifier: MIT
//
// test_mqtt_decode.c: fed-edge-mqtt's pure half: topic filters and their
// wildcards, the mapping file, and each decoder on the payload fixtures of
// tests/fixtures/mqtt (written from Tasmota's, teleinfo2mqtt's, ESPHome's
// and Home Assistant's documentation and source; see the fixtures'
// README): the readings, their values and the time each payload carries.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mqtt_decode.h"
#include "mqtt_map.h"

// 2026-01-15T10:00:00+01:00 and 2026-07-01T12:30:00+02:00.
#define T_WINTER INT64_C(1768467600000)
#define T_SUMMER INT64_C(1782901800000)

static char *
fixture(const char *name, size_t *len)
{
	const char *dir = getenv("FED_FIXTURES");
	char path[1024];
	snprintf(
	    path, sizeof(path), "%s/mqtt/%s", dir != NULL ? dir : ".", name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(70000);
	assert_non_null(buf);
	*len = fread(buf, 1, 70000, f);
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

static mqtt_map map;

static const char *const map_text
    = "# a comment, then a blank line\n"
      "\n"
      "tele/+/SENSOR  tasmota-teleinfo  linky\n"
      "tasmota/utc/SENSOR tasmota-teleinfo linky tz=UTC time=receive\n"
      "teleinfo/+     teleinfo2mqtt     linky\n"
      "+/sensor/papp/state number {1}/power unit=VA\n"
      "+/sensor/base/state number {1}/index_base unit=Wh\n"
      "homeassistant/sensor/+/state number ha/{1} unit=kWh period=5m\n"
      "  deep/#   number  deep/{1} unit=W kind=production scale=0.5\r\n";

static int
setup(void **state)
{
	(void) state;
	char err[256];
	assert_int_equal(
	    mqtt_map_parse(map_text, &map, err, sizeof(err)), FED_OK);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	mqtt_map_fini(&map);
	return 0;
}

static void
test_filters(void **state)
{
	(void) state;
	assert_true(mqtt_filter_valid("a/b/c"));
	assert_true(mqtt_filter_valid("+/+/#"));
	assert_true(mqtt_filter_valid("#"));
	assert_false(mqtt_filter_valid("a/b#"));
	assert_false(mqtt_filter_valid("a/#/c"));
	assert_false(mqtt_filter_valid("a+/b"));
	assert_false(mqtt_filter_valid(""));

	mqtt_capture cap;
	assert_true(
	    mqtt_topic_match("tele/+/SENSOR", "tele/tic/SENSOR", &cap));
	assert_int_equal(cap.n, 1);
	assert_int_equal(cap.len[0], 3);
	assert_memory_equal(cap.s[0], "tic", 3);
	assert_false(
	    mqtt_topic_match("tele/+/SENSOR", "tele/tic/STATE", NULL));
	assert_false(mqtt_topic_match("tele/+/SENSOR", "tele/SENSOR", NULL));
	assert_false(
	    mqtt_topic_match("tele/+/SENSOR", "tele/a/b/SENSOR", NULL));
	assert_false(mqtt_topic_match("a/b", "a/b/c", NULL));
	assert_false(mqtt_topic_match("a/b/c", "a/b", NULL));
	// '#' takes the rest, and its parent level alone.
	assert_true(mqtt_topic_match("a/#", "a/b/c", &cap));
	assert_true(cap.multi);
	assert_int_equal(cap.len[0], 3);
	assert_true(mqtt_topic_match("a/#", "a", &cap));
	assert_int_equal(cap.len[0], 0);
	// Wildcards in the first level do not match $SYS.
	assert_false(mqtt_topic_match("#", "$SYS/broker/uptime", NULL));
	assert_false(
	    mqtt_topic_match("+/broker/uptime", "$SYS/broker/uptime", NULL));
	assert_true(mqtt_topic_match(
	    "$SYS/broker/uptime", "$SYS/broker/uptime", NULL));

	char out[64];
	assert_true(mqtt_topic_match("x/+/y/+", "x/one/y/two", &cap));
	assert_int_equal(
	    mqtt_series_expand("s/{2}/{1}", &cap, out, sizeof(out)), FED_OK);
	assert_string_equal(out, "s/two/one");
	assert_int_equal(mqtt_series_expand("s/{3}", &cap, out, sizeof(out)),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(
	    mqtt_series_expand("s/{1}", &cap, out, 5), FED_INVALID_ARGUMENT);
	// A level that cannot go into an id; '/' only from '#'.
	assert_true(mqtt_topic_match("x/+", "x/a b", &cap));
	assert_int_equal(mqtt_series_expand("s/{1}", &cap, out, sizeof(out)),
	    FED_INVALID_ARGUMENT);
	assert_true(mqtt_topic_match("x/#", "x/a/b", &cap));
	assert_int_equal(
	    mqtt_series_expand("s/{1}", &cap, out, sizeof(out)), FED_OK);
	assert_string_equal(out, "s/a/b");
}

static void
test_map(void **state)
{
	(void) state;
	assert_int_equal(map.n, 7);
	assert_int_equal(map.routes[0].decoder, MQTT_DEC_TASMOTA);
	assert_string_equal(map.routes[0].filter, "tele/+/SENSOR");
	assert_int_equal(map.routes[0].line, 3);
	assert_non_null(map.routes[0].tz); // Europe/Paris by default
	assert_true(map.routes[1].receive_time);
	assert_int_equal(map.routes[3].unit, ENFED__V1__UNIT__UNIT_VA);
	assert_int_equal(
	    map.routes[3].kind, ENFED__V1__SERIES_KIND__SERIES_KIND_POWER);
	assert_int_equal(map.routes[5].unit, ENFED__V1__UNIT__UNIT_WH);
	assert_true(map.routes[4].cumulative);
	assert_true(map.routes[5].cumulative);
	assert_true(map.routes[5].scale == 1000);
	assert_int_equal(map.routes[5].period_ms, 300000);
	assert_int_equal(map.routes[6].kind,
	    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION);
	assert_true(map.routes[6].scale == 0.5);

	mqtt_capture cap;
	const mqtt_route *r
	    = mqtt_map_find(&map, "teleinfo/041876543210", &cap);
	assert_non_null(r);
	assert_int_equal(r->decoder, MQTT_DEC_TELEINFO2MQTT);
	assert_null(mqtt_map_find(&map, "other/topic", &cap));

	static const char *const bad[][2] = {
	    {"a/b tasmota-teleinfo\n", "line 1: expected"},
	    {"\na/b# number x unit=W\n", "line 2: 'a/b#' is not"},
	    {"a/b nonsense x\n", "line 1: decoder 'nonsense'"},
	    {"a/b number x\n", "line 1: decoder number needs unit="},
	    {"a/b number x unit=furlong\n", "line 1: unit=furlong"},
	    {"a/b number x unit=W kind=big\n", "line 1: kind=big"},
	    {"a/b number x unit=W tz=UTC\n", "line 1: 'tz' is not an option"},
	    {"a/b tasmota-teleinfo x unit=W\n", "line 1: 'unit' is not"},
	    {"a/b tasmota-teleinfo x tz=Nowhere/Land\n", "line 1: tz="},
	    {"a/+ number x/{2} unit=W\n", "line 1: series 'x/{2}'"},
	    {"a/b number x//y?  unit=W\n", "line 1: series"},
	    {"a/b number x unit=W period=5y\n", "line 1: period=5y"},
	    {"# nothing\n\n", "no route"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mqtt_map m;
		char err[256];
		assert_int_not_equal(
		    mqtt_map_parse(bad[i][0], &m, err, sizeof(err)), FED_OK);
		if (strstr(err, bad[i][1]) == NULL)
			fail_msg("%s: got '%s', want '%s'", bad[i][0], err,
			    bad[i][1]);
		assert_int_equal(m.n, 0);
	}
}

// Decodes fixture `name` for the route of `topic`.
static fed_status
decode(const char *topic, const char *name, mqtt_decoded *d, char *why)
{
	size_t len;
	char *p = fixture(name, &len);
	const mqtt_route *r = mqtt_map_find(&map, topic, NULL);
	assert_non_null(r);
	fed_status st = mqtt_decode(r, p, len, d, why, 160);
	free(p);
	return st;
}

static const mqtt_reading *
reading(const mqtt_decoded *d, const char *suffix)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->r[i].tic.suffix, suffix) == 0)
			return &d->r[i];
	fail_msg("no reading %s", suffix);
	return NULL;
}

static void
test_tasmota(void **state)
{
	(void) state;
	static mqtt_decoded d;
	char why[160];
	// Telemetry, historic BASE: TIC's index and power; ENERGY unused;
	// "Time" local (Europe/Paris).
	assert_int_equal(
	    decode("tele/tic/SENSOR", "tasmota_historic_sensor.json", &d, why),
	    FED_OK);
	assert_int_equal(d.n, 2);
	assert_false(d.standard);
	assert_int_equal(d.ts_ms, T_WINTER);
	assert_true(reading(&d, "index_base")->value == 12345678);
	assert_true(reading(&d, "index_base")->tic.is_index);
	assert_string_equal(reading(&d, "index_base")->label, "BASE");
	assert_true(reading(&d, "power")->value == 350);
	assert_false(reading(&d, "power")->tic.is_index);

	// A raw frame: no time of its own.
	assert_int_equal(
	    decode("tele/tic/SENSOR", "tasmota_historic_raw.json", &d, why),
	    FED_OK);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.ts_ms, 0);
	assert_true(reading(&d, "index_hchc")->value == 9058688);
	assert_true(reading(&d, "index_hchp")->value == 9752846);
	assert_true(reading(&d, "power")->value == 4110);

	// Standard mode, "Time" with its offset (SetOption52): the
	// registers at 0 are readings too (the collector holds them back).
	assert_int_equal(
	    decode("tele/tic/SENSOR", "tasmota_standard_sensor.json", &d, why),
	    FED_OK);
	assert_true(d.standard);
	assert_int_equal(d.ts_ms, T_SUMMER);
	assert_int_equal(d.n, 9); // EAST, EASF01..03, EASD01..04, SINSTS
	assert_true(reading(&d, "index_east")->value == 4567890);
	assert_true(reading(&d, "index_easf02")->value == 0);
	assert_true(reading(&d, "power")->value == 720);
	assert_string_equal(reading(&d, "power")->label, "SINSTS");

	// Another sensor's SENSOR message: nothing to read, not invalid.
	assert_int_equal(
	    decode("tele/tic/SENSOR", "tasmota_other_sensor.json", &d, why),
	    FED_NOT_FOUND);
	// Bad values, truncated JSON: invalid as a whole.
	assert_int_equal(
	    decode("tele/tic/SENSOR", "tasmota_bad_value.json", &d, why),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(why, "TIC.BASE"));
	assert_int_equal(d.n, 0);
	assert_int_equal(
	    decode("tele/tic/SENSOR", "tasmota_truncated.json", &d, why),
	    FED_INVALID_ARGUMENT);
	assert_string_equal(why, "not JSON");

	// tz=UTC reads the same "Time" an hour later.
	assert_int_equal(decode("tasmota/utc/SENSOR",
	                     "tasmota_historic_sensor.json", &d, why),
	    FED_OK);
	assert_int_equal(d.ts_ms, T_WINTER + 3600000);

	// Hand-made shapes: a register as a string of digits, out of range,
	// negative, fractional; a clock never set; Time not ISO.
	const mqtt_route *r = &map.routes[0];
	static const struct {
		const char *json;
		fed_status st;
		int64_t ts;
	} cases[] = {
	    {"{\"TIC\":{\"BASE\":\"000012345\"}}", FED_OK, 0},
	    {"{\"TIC\":{\"BASE\":1000000000}}", FED_INVALID_ARGUMENT, 0},
	    {"{\"TIC\":{\"PAPP\":100000}}", FED_INVALID_ARGUMENT, 0},
	    {"{\"TIC\":{\"BASE\":-1}}", FED_INVALID_ARGUMENT, 0},
	    {"{\"TIC\":{\"BASE\":1.5}}", FED_INVALID_ARGUMENT, 0},
	    {"{\"TIC\":{\"BASE\":null}}", FED_INVALID_ARGUMENT, 0},
	    {"{\"TIC\":[1,2]}", FED_INVALID_ARGUMENT, 0},
	    {"[1,2]", FED_INVALID_ARGUMENT, 0},
	    {"{\"Time\":\"1970-01-01T00:00:12\",\"TIC\":{\"BASE\":5}}", FED_OK,
	        0},
	    {"{\"Time\":\"yesterday\",\"TIC\":{\"BASE\":5}}",
	        FED_INVALID_ARGUMENT, 0},
	    {"{\"TIC\":{\"ADCO\":\"031762001234\",\"IINST\":3}}",
	        FED_NOT_FOUND, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fed_status st = mqtt_decode(r, cases[i].json,
		    strlen(cases[i].json), &d, why, sizeof(why));
		if (st != cases[i].st)
			fail_msg("%s: %s (%s)", cases[i].json,
			    fed_status_name(st), why);
		assert_int_equal(d.ts_ms, cases[i].ts);
	}
}

static void
test_teleinfo2mqtt(void **state)
{
	(void) state;
	static mqtt_decoded d;
	char why[160];
	assert_int_equal(decode("teleinfo/031762001234",
	                     "teleinfo2mqtt_historic.json", &d, why),
	    FED_OK);
	assert_false(d.standard);
	assert_int_equal(d.ts_ms, 0);
	assert_int_equal(d.n, 3);
	assert_true(reading(&d, "index_hchc")->value == 9058688);
	assert_true(reading(&d, "index_hchp")->value == 9752846);
	assert_true(reading(&d, "power")->value == 4110);

	// DATE's "date" is the meter's local clock written as UTC; "dst"
	// winter is +01:00.
	assert_int_equal(decode("teleinfo/041876543210",
	                     "teleinfo2mqtt_standard.json", &d, why),
	    FED_OK);
	assert_true(d.standard);
	assert_int_equal(d.ts_ms, T_WINTER);
	assert_int_equal(d.n, 5); // EAST, EASF01, EASF02, EASD01, SINSTS
	assert_true(reading(&d, "index_east")->value == 4567890);
	assert_true(reading(&d, "power")->value == 720);

	assert_int_equal(
	    decode("teleinfo/x", "teleinfo2mqtt_bad_value.json", &d, why),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(why, "BASE"));

	const mqtt_route *r = mqtt_map_find(&map, "teleinfo/x", NULL);
	static const struct {
		const char *json;
		fed_status st;
		int64_t ts;
	} cases[] = {
	    // "value" when there is no "raw".
	    {"{\"BASE\":{\"value\":123}}", FED_OK, 0},
	    {"{\"BASE\":{\"raw\":\"00012a\",\"value\":12}}",
	        FED_INVALID_ARGUMENT, 0},
	    {"{\"BASE\":7}", FED_INVALID_ARGUMENT, 0},
	    {"{\"BASE\":{}}", FED_INVALID_ARGUMENT, 0},
	    {"{\"DATE\":{\"raw\":\"\",\"timestamp\":{\"dst\":\"summer\","
	     "\"date\":\"2026-07-01T12:30:00.000Z\"}},\"EAST\":{\"raw\":"
	     "\"000000001\"}}",
	        FED_OK, T_SUMMER},
	    {"{\"DATE\":{\"timestamp\":{\"dst\":\"spring\",\"date\":"
	     "\"2026-07-01T12:30:00.000Z\"}},\"EAST\":{\"raw\":\"1\"}}",
	        FED_INVALID_ARGUMENT, 0},
	    {"{\"DATE\":{\"raw\":\"\"},\"EAST\":{\"raw\":\"1\"}}",
	        FED_INVALID_ARGUMENT, 0},
	    {"{\"ADSC\":{\"raw\":\"041876543210\"}}", FED_NOT_FOUND, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fed_status st = mqtt_decode(r, cases[i].json,
		    strlen(cases[i].json), &d, why, sizeof(why));
		if (st != cases[i].st)
			fail_msg("%s: %s (%s)", cases[i].json,
			    fed_status_name(st), why);
		assert_int_equal(d.ts_ms, cases[i].ts);
	}
}

static void
test_number(void **state)
{
	(void) state;
	static mqtt_decoded d;
	char why[160];
	assert_int_equal(decode("linky/sensor/papp/state",
	                     "esphome_papp_state.txt", &d, why),
	    FED_OK);
	assert_int_equal(d.n, 1);
	assert_true(d.r[0].value == 720);
	assert_int_equal(d.ts_ms, 0);
	// ESPHome's teleinfo BASE index, Wh: an index under the node's name.
	mqtt_capture cap;
	const mqtt_route *base
	    = mqtt_map_find(&map, "linky/sensor/base/state", &cap);
	assert_non_null(base);
	assert_true(base->cumulative);
	char id[64];
	assert_int_equal(
	    mqtt_series_expand(base->series, &cap, id, sizeof(id)), FED_OK);
	assert_string_equal(id, "linky/index_base");
	assert_int_equal(
	    mqtt_decode(base, "12345678", 8, &d, why, sizeof(why)), FED_OK);
	assert_true(d.r[0].value == 12345678);
	// kWh stored as Wh.
	assert_int_equal(decode("homeassistant/sensor/linky_energy/state",
	                     "homeassistant_energy_kwh_state.txt", &d, why),
	    FED_OK);
	assert_true(d.r[0].value == 12345678);
	assert_int_equal(decode("homeassistant/sensor/linky_energy/state",
	                     "homeassistant_unavailable_state.txt", &d, why),
	    FED_NOT_FOUND);
	assert_int_equal(
	    decode("linky/sensor/papp/state", "number_garbage.txt", &d, why),
	    FED_INVALID_ARGUMENT);

	const mqtt_route *w = mqtt_map_find(&map, "deep/a/b", NULL);
	const mqtt_route *kwh
	    = mqtt_map_find(&map, "homeassistant/sensor/x/state", NULL);
	const struct {
		const mqtt_route *const *r;
		const char *p;
		fed_status st;
		double v;
	} cases[] = {
	    {&w, " 12.5\t", FED_OK, 6.25},
	    {&w, "-4", FED_OK, -2},
	    {&kwh, "-4", FED_INVALID_ARGUMENT, 0}, // an index below 0
	    {&w, "nan", FED_NOT_FOUND, 0},
	    {&w, "unknown", FED_NOT_FOUND, 0},
	    {&w, "", FED_NOT_FOUND, 0},
	    {&w, "inf", FED_INVALID_ARGUMENT, 0},
	    {&w, "0x10", FED_INVALID_ARGUMENT, 0},
	    {&w, "12W", FED_INVALID_ARGUMENT, 0},
	    {&w, "{\"value\":3}", FED_INVALID_ARGUMENT, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fed_status st = mqtt_decode(*cases[i].r, cases[i].p,
		    strlen(cases[i].p), &d, why, sizeof(why));
		if (st != cases[i].st)
			fail_msg("'%s': %s (%s)", cases[i].p,
			    fed_status_name(st), why);
		if (st == FED_OK)
			assert_true(d.r[0].value == cases[i].v);
	}
}

// Any bytes: never a crash, never a reading from garbage.
static void
test_garbage(void **state)
{
	(void) state;
	static mqtt_decoded d;
	char why[160];
	unsigned seed = 7;
	char buf[512];
	for (int round = 0; round < 3000; round++) {
		size_t len = (size_t) (rand_r(&seed) % (int) sizeof(buf));
		for (size_t i = 0; i < len; i++)
			buf[i] = (char) (rand_r(&seed) & 0xFF);
		for (size_t k = 0; k < 3; k++) {
			const mqtt_route *r = k == 0 ? &map.routes[0]
			    : k == 1                 ? &map.routes[2]
			                             : &map.routes[3];
			fed_status st
			    = mqtt_decode(r, buf, len, &d, why, sizeof(why));
			assert_true(st == FED_INVALID_ARGUMENT
			    || st == FED_NOT_FOUND || st == FED_OK);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_map),
	    cmocka_unit_test(test_tasmota),
	    cmocka_unit_test(test_teleinfo2mqtt),
	    cmocka_unit_test(test_number),
	    cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
