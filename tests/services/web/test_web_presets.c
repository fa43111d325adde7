// SPDX-License-Identifier: MIT
//
// test_web_presets: the saved comparisons' file. Saved, read back in
// order; replaced by its author or an administrator only; names with a
// tab or a line break, queries with other characters, and lines that do
// not parse are refused or skipped; a missing file is no preset.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fed_test.h"
#include "web_presets.h"

static char path[4200], dir_path[4200];

static web_preset
preset(const char *name, const char *author, const char *query)
{
	web_preset p;
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.author, sizeof(p.author), "%s", author);
	snprintf(p.query, sizeof(p.query), "%s", query);
	return p;
}

static int
setup(void **state)
{
	(void) state;
	char *dir = fed_test_tmpdir("web-presets");
	if (dir == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/web-presets", dir);
	snprintf(dir_path, sizeof(dir_path), "%s", dir);
	free(dir);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	unlink(path);
	return rmdir(dir_path);
}

static void
test_save_and_load(void **state)
{
	(void) state;
	web_preset list[WEB_PRESETS_MAX];
	size_t n = 99;
	char err[256];
	assert_int_equal(web_presets_load(path, list, 8, &n), FED_OK);
	assert_int_equal(n, 0); // no file yet
	web_preset a = preset("école, maison, centrale — semaine", "bob",
	    "scale=week&s=kermelo%2Fschool%2Fenergy");
	web_preset b
	    = preset("jour", "bob", "scale=day&s=kermelo%2Fpv%2Fenergy");
	assert_int_equal(
	    web_presets_save(path, &a, 0, err, sizeof(err)), FED_OK);
	assert_int_equal(
	    web_presets_save(path, &b, 0, err, sizeof(err)), FED_OK);
	assert_int_equal(web_presets_load(path, list, 8, &n), FED_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, a.name);
	assert_string_equal(list[0].query, a.query);
	assert_string_equal(list[1].author, "bob");
	// Another teacher may not replace bob's; an administrator may.
	web_preset c = preset("jour", "carol", "scale=day");
	assert_int_equal(web_presets_save(path, &c, 0, err, sizeof(err)),
	    FED_PERMISSION_DENIED);
	assert_int_equal(
	    web_presets_save(path, &c, 1, err, sizeof(err)), FED_OK);
	assert_int_equal(web_presets_load(path, list, 8, &n), FED_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[1].query, "scale=day");
}

static void
test_refused(void **state)
{
	(void) state;
	char err[256];
	web_preset p = preset("a\tb", "bob", "scale=day");
	assert_int_equal(web_presets_save(path, &p, 0, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	p = preset("a\nb", "bob", "scale=day");
	assert_int_equal(web_presets_save(path, &p, 0, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	p = preset("", "bob", "scale=day");
	assert_int_equal(web_presets_save(path, &p, 0, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	p = preset("x", "bob", "scale=day\"><script>");
	assert_int_equal(web_presets_save(path, &p, 0, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(
	    web_presets_save(NULL, &p, 0, err, sizeof(err)), FED_UNAVAILABLE);
	assert_false(web_preset_name_ok(NULL));
	char long_name[100];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_false(web_preset_name_ok(long_name));
}

// Deleting: its author or an administrator; another teacher is refused
// and the file stays as it was; a name not in the file is NOT_FOUND.
static void
test_delete(void **state)
{
	(void) state;
	char err[256];
	unlink(path);
	web_preset a = preset("semaine", "bob", "scale=week");
	web_preset b = preset("jour", "carol", "scale=day");
	web_preset c = preset("mois", "bob", "scale=month");
	assert_int_equal(
	    web_presets_save(path, &a, 0, err, sizeof(err)), FED_OK);
	assert_int_equal(
	    web_presets_save(path, &b, 0, err, sizeof(err)), FED_OK);
	assert_int_equal(
	    web_presets_save(path, &c, 0, err, sizeof(err)), FED_OK);
	assert_int_equal(
	    web_presets_delete(path, "jour", "bob", 0, err, sizeof(err)),
	    FED_PERMISSION_DENIED);
	assert_int_equal(
	    web_presets_delete(path, "nope", "bob", 0, err, sizeof(err)),
	    FED_NOT_FOUND);
	assert_int_equal(
	    web_presets_delete(path, "semaine", NULL, 0, err, sizeof(err)),
	    FED_PERMISSION_DENIED);
	web_preset list[8];
	size_t n = 0;
	assert_int_equal(web_presets_load(path, list, 8, &n), FED_OK);
	assert_int_equal(n, 3);
	assert_int_equal(
	    web_presets_delete(path, "semaine", "bob", 0, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(
	    web_presets_delete(path, "jour", "root", 1, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(web_presets_load(path, list, 8, &n), FED_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].name, "mois");
	assert_int_equal(
	    web_presets_delete(NULL, "mois", "bob", 0, err, sizeof(err)),
	    FED_UNAVAILABLE);
}

// A file edited by hand: lines that do not parse are skipped.
static void
test_bad_lines(void **state)
{
	(void) state;
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("no tabs here\n", f);
	fputs("ok\tbob\tscale=week\n", f);
	fputs("bad query\tbob\tscale=<b>\n", f);
	fputs("\tbob\tscale=day\n", f);
	fclose(f);
	web_preset list[8];
	size_t n = 0;
	assert_int_equal(web_presets_load(path, list, 8, &n), FED_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].name, "ok");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_save_and_load),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_bad_lines),
	    cmocka_unit_test(test_delete),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
