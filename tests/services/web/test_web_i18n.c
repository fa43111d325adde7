// SPDX-License-Identifier: MIT
//
// test_web_i18n.c: fed-web's two languages: every string present in both,
// and numbers, energies, money, percentages and dates written the French
// and the English way.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "web_i18n.h"

static void
test_strings(void **state)
{
	(void) state;
	for (int i = 0; i < WEB_S__COUNT; i++) {
		assert_true(strlen(web_tr(WEB_LANG_FR, (web_str) i)) > 0);
		assert_true(strlen(web_tr(WEB_LANG_EN, (web_str) i)) > 0);
	}
	assert_string_equal(web_tr(WEB_LANG_EN, WEB_S_CURVES), "Load curves");
	assert_string_equal(
	    web_tr(WEB_LANG_FR, WEB_S_CURVES), "Courbes de charge");
	assert_string_equal(web_tr(WEB_LANG_FR, (web_str) 10000), "");
	assert_int_equal(web_lang_parse("EN"), WEB_LANG_EN);
	assert_int_equal(web_lang_parse("de"), WEB_LANG_FR);
	assert_int_equal(web_lang_parse(NULL), WEB_LANG_FR);
}

// The vocabulary of description boxes, and the installation types.
static void
test_box_keys(void **state)
{
	(void) state;
	assert_string_equal(
	    web_box_key(WEB_LANG_FR, "peak power"), "Puissance crête");
	assert_string_equal(web_box_key(WEB_LANG_EN, "Heating"), "Heating");
	assert_string_equal(web_box_key(WEB_LANG_FR, "heating"), "Chauffage");
	assert_null(web_box_key(WEB_LANG_FR, "colour of the door"));
	assert_null(web_box_key(WEB_LANG_FR, NULL));
	assert_string_equal(web_type_name(WEB_LANG_FR, 1), "photovoltaïque");
	assert_string_equal(web_type_name(WEB_LANG_EN, 1), "photovoltaic");
	assert_string_equal(web_type_name(WEB_LANG_EN, 0), "—");
	assert_string_equal(web_type_name(WEB_LANG_EN, 99), "—");
}

static void
test_formats(void **state)
{
	(void) state;
	char b[WEB_FMT_LEN];
	web_fmt_num(b, sizeof(b), WEB_LANG_FR, 1234567.891, 2);
	assert_string_equal(b, "1\u202f234\u202f567,89");
	web_fmt_num(b, sizeof(b), WEB_LANG_EN, -1234.5, 1);
	assert_string_equal(b, "-1,234.5");
	web_fmt_num(b, sizeof(b), WEB_LANG_EN, -0.001, 1);
	assert_string_equal(b, "0.0");
	web_fmt_energy(b, sizeof(b), WEB_LANG_FR, 87.8);
	assert_string_equal(b, "88 Wh");
	web_fmt_energy(b, sizeof(b), WEB_LANG_FR, 12345);
	assert_string_equal(b, "12,3 kWh");
	web_fmt_energy(b, sizeof(b), WEB_LANG_EN, 1610000);
	assert_string_equal(b, "1.61 MWh");
	web_fmt_power(b, sizeof(b), WEB_LANG_EN, 3200);
	assert_string_equal(b, "3.20 kW");
	web_fmt_eur(b, sizeof(b), WEB_LANG_FR, 100000);
	assert_string_equal(b, "1\u202f000 €");
	web_fmt_eur(b, sizeof(b), WEB_LANG_EN, 1250);
	assert_string_equal(b, "12.50 €");
	web_fmt_pct(b, sizeof(b), WEB_LANG_FR, 2.0 / 68);
	assert_string_equal(b, "2,94 %");
}

static void
test_dates(void **state)
{
	(void) state;
	fed_tz *tz = NULL;
	assert_int_equal(fed_tz_load("Europe/Paris", &tz), FED_OK);
	char b[WEB_FMT_LEN];
	int64_t t = INT64_C(1781517600000); // 2026-06-15T12:00+02:00
	web_fmt_date(b, sizeof(b), WEB_LANG_FR, tz, t);
	assert_string_equal(b, "15/06/2026");
	web_fmt_datetime(b, sizeof(b), WEB_LANG_EN, tz, t);
	assert_string_equal(b, "2026-06-15 12:00");
	web_fmt_isodate(b, sizeof(b), tz, t - 13 * INT64_C(3600000));
	assert_string_equal(b, "2026-06-14");
	fed_tz_free(tz);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_box_keys),
	    cmocka_unit_test(test_formats),
	    cmocka_unit_test(test_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
