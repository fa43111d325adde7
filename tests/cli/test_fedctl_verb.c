// SPDX-License-Identifier: MIT
//
// test_fedctl_verb.c: fedctl's verb table and views (verb.c), in process,
// stdout and stderr captured: a verb's options loaded into a config whose
// output options are not first, the argument counts and their usage
// errors (the verb not run), --help, a verb reading its command line
// itself, the noun's dispatch and its messages; a reply's rows as a table
// (header, rows, the line for none), as a JSON array, one message as an
// object, --csv shown as text, and a failed call showing nothing.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "enfed/v1/grant.pb-c.h"
#include "fed_test.h"
#include "fedctl.h"
#include "verb.h"

#define CAPTURE_BEGIN(k, fd) \
	assert_int_equal(fed_test_capture_begin((k), (fd)), 0)

// --- A verb and its context ----------------------------------------------

static fedctl_global global;

static void
context(fedctl *c, fedctl_format format)
{
	memset(c, 0, sizeof(*c));
	c->g = &global;
	c->format = format;
	snprintf(c->prog, sizeof(c->prog), "fedctl test");
}

// The output options last, so that their offset is not 0.
struct thing_cfg {
	char *name;
	int64_t count;
	fedctl_out_opts out;
};

static const fed_cfg_opt thing_opts[] = {
    FED_CFG_OPT_STRING(struct thing_cfg, name, "name", "none", "a name"),
    FED_CFG_OPT_INT(struct thing_cfg, count, "count", "1", 0, 100, "a count"),
    FEDCTL_OUT_OPTS(struct thing_cfg, out),
};

static const fed_cfg_spec thing_spec = {"fedctl test thing", "[OPTION]... ARG",
    "Does a thing.", thing_opts, FED_CFG_N(thing_opts), FED_CFG_ARGV_ONLY};

// What the verb's run or main saw.
static struct {
	int calls;
	char name[32], args[64];
	int64_t count;
	size_t n_args;
} seen;

static int
thing_run(fedctl *c, const fedctl_verb_input *in)
{
	(void) c;
	const struct thing_cfg *cfg = in->cfg;
	seen.calls++;
	snprintf(seen.name, sizeof(seen.name), "%s", cfg->name);
	seen.count = cfg->count;
	seen.n_args = in->n_args;
	seen.args[0] = '\0';
	for (size_t i = 0; i < in->n_args; i++) {
		size_t len = strlen(seen.args);
		snprintf(seen.args + len, sizeof(seen.args) - len, "%s%s",
		    i > 0 ? "," : "", in->args[i]);
	}
	return 7;
}

static int
thing_main(fedctl *c, int argc, char **argv)
{
	(void) c;
	seen.calls++;
	seen.n_args = (size_t) argc;
	snprintf(seen.args, sizeof(seen.args), "%s", argv[argc - 1]);
	return 9;
}

static const fedctl_verb verbs[] = {
    {.name = "one",
        .run = thing_run,
        .help = "exactly one argument",
        FEDCTL_OPTS(thing_spec, struct thing_cfg),
        .args = FEDCTL_EXACTLY(1, "one thing is needed")},
    {.name = "some",
        .run = thing_run,
        .help = "one or two arguments",
        FEDCTL_OPTS(thing_spec, struct thing_cfg),
        .args = FEDCTL_ARGS(1, 2, "a thing is needed")},
    {.name = "plain",
        .run = thing_run,
        .help = "output options only, no argument",
        FEDCTL_OPTS(thing_spec, struct thing_cfg)},
    {.name = "raw", .main = thing_main, .help = "reads its command line"},
};

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

// Runs `fedctl test VERB ARGS...` (NULL-terminated) in format f; the exit
// code, *out and *err (to free) what it printed.
static int
run(fedctl_format f, char **out, char **err, ...)
{
	char *argv[16] = {"test"};
	va_list ap;
	va_start(ap, err);
	int argc = fed_test_argv_add(argv, 1, 16, ap);
	va_end(ap);
	fedctl c;
	context(&c, f);
	memset(&seen, 0, sizeof(seen));
	fed_test_capture ko, ke;
	CAPTURE_BEGIN(&ko, STDOUT_FILENO);
	CAPTURE_BEGIN(&ke, STDERR_FILENO);
	int rc = fedctl_run_verb(
	    &c, "test", "Tests verbs.", verbs, N_VERBS, argc, argv);
	*err = fed_test_capture_end(&ke);
	*out = fed_test_capture_end(&ko);
	return rc;
}

#define RUN(f, out, err, ...) run(f, out, err, __VA_ARGS__, NULL)

static void
test_options_and_args(void **state)
{
	(void) state;
	char *out, *err;
	assert_int_equal(RUN(FEDCTL_TEXT, &out, &err, "one", "--name", "x",
	                     "a1", "--count=3"),
	    7);
	assert_int_equal(seen.calls, 1);
	assert_string_equal(seen.name, "x");
	assert_int_equal(seen.count, 3);
	assert_string_equal(seen.args, "a1");
	assert_string_equal(out, "");
	assert_string_equal(err, "");
	free(out);
	free(err);
	// Defaults, two arguments within bounds.
	assert_int_equal(RUN(FEDCTL_TEXT, &out, &err, "some", "a", "b"), 7);
	assert_string_equal(seen.name, "none");
	assert_int_equal(seen.count, 1);
	assert_int_equal(seen.n_args, 2);
	assert_string_equal(seen.args, "a,b");
	free(out);
	free(err);
}

static void
check_usage(
    const char *verb, const char *arg1, const char *arg2, const char *msg)
{
	char *out, *err;
	int rc = arg1 == NULL ? RUN(FEDCTL_TEXT, &out, &err, verb)
	    : arg2 == NULL    ? RUN(FEDCTL_TEXT, &out, &err, verb, arg1)
	                      : RUN(FEDCTL_TEXT, &out, &err, verb, arg1, arg2);
	assert_int_equal(rc, FEDCTL_EXIT_USAGE);
	assert_int_equal(seen.calls, 0);
	char want[256];
	snprintf(want, sizeof(want),
	    "fedctl test thing: %s (see 'fedctl test thing --help')\n", msg);
	assert_string_equal(err, want);
	assert_string_equal(out, "");
	free(out);
	free(err);
}

static void
test_arg_counts(void **state)
{
	(void) state;
	check_usage("one", NULL, NULL, "one thing is needed");
	check_usage("one", "a", "b", "one thing is needed");
	check_usage("some", NULL, NULL, "a thing is needed");
	char *out, *err;
	assert_int_equal(RUN(FEDCTL_TEXT, &out, &err, "some", "a", "b", "c"),
	    FEDCTL_EXIT_USAGE);
	assert_string_equal(err,
	    "fedctl test thing: unexpected argument 'c' (see 'fedctl test "
	    "thing --help')\n");
	free(out);
	free(err);
	check_usage("plain", "a", NULL, "unexpected argument 'a'");
	// A bad option: the loader's usage error, the verb not run.
	assert_int_equal(
	    RUN(FEDCTL_TEXT, &out, &err, "one", "a", "--count=101"),
	    FEDCTL_EXIT_USAGE);
	assert_int_equal(seen.calls, 0);
	assert_non_null(strstr(err, "count"));
	free(out);
	free(err);
}

// The output options merge into the context from their offset.
static void
test_out_options(void **state)
{
	(void) state;
	char *argv[] = {"plain", "--json", NULL};
	fedctl c;
	context(&c, FEDCTL_TEXT);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(fedctl_verb_exec(&c, &verbs[2], 2, argv), 7);
	assert_int_equal(c.format, FEDCTL_JSON);
	assert_string_equal(c.prog, "fedctl test thing");
	char *argv2[] = {"plain", "--csv", "--utc", NULL};
	context(&c, FEDCTL_TEXT);
	assert_int_equal(fedctl_verb_exec(&c, &verbs[2], 3, argv2), 7);
	assert_int_equal(c.format, FEDCTL_CSV);
	assert_true(c.utc);
}

static void
test_help_and_dispatch(void **state)
{
	(void) state;
	char *out, *err;
	assert_int_equal(RUN(FEDCTL_TEXT, &out, &err, "--help"), 0);
	assert_string_equal(out,
	    "Usage: fedctl test VERB [OPTION]... [ARG]...\n"
	    "Tests verbs.\n\n"
	    "Verbs:\n"
	    "  one       exactly one argument\n"
	    "  some      one or two arguments\n"
	    "  plain     output options only, no argument\n"
	    "  raw       reads its command line\n"
	    "\nEach verb has its own --help, e.g. 'fedctl test one "
	    "--help'.\n");
	free(out);
	free(err);
	assert_int_equal(RUN(FEDCTL_TEXT, &out, &err, "one", "--help"), 0);
	assert_int_equal(seen.calls, 0);
	assert_non_null(
	    strstr(out, "Usage: fedctl test thing [OPTION]... ARG"));
	free(out);
	free(err);
	char *argv[] = {"test", NULL};
	fedctl c;
	context(&c, FEDCTL_TEXT);
	fed_test_capture ke;
	CAPTURE_BEGIN(&ke, STDERR_FILENO);
	int rc = fedctl_run_verb(&c, "test", "", verbs, N_VERBS, 1, argv);
	err = fed_test_capture_end(&ke);
	assert_int_equal(rc, FEDCTL_EXIT_USAGE);
	assert_string_equal(err,
	    "fedctl test: a verb is needed: one, some, plain or raw (see "
	    "'fedctl test --help')\n");
	free(err);
	assert_int_equal(RUN(FEDCTL_TEXT, &out, &err, "two"), 2);
	assert_string_equal(err,
	    "fedctl test: unknown verb 'two' (one of one, some, plain or raw) "
	    "(see 'fedctl test --help')\n");
	free(out);
	free(err);
	// A verb with a main gets its own command line, options untouched.
	assert_int_equal(RUN(FEDCTL_TEXT, &out, &err, "raw", "x", "--odd"), 9);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.n_args, 3);
	assert_string_equal(seen.args, "--odd");
	free(out);
	free(err);
}

// --- Views -----------------------------------------------------------------

static cJSON *
grant_json(const fedctl *c, const void *msg)
{
	(void) c;
	const Enfed__V1__Grant *g = msg;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", g->id);
	return j;
}

static void
grant_text(const fedctl *c, const void *msg)
{
	(void) c;
	const Enfed__V1__Grant *g = msg;
	printf("grant %s\n", g->id);
}

static void
header(void)
{
	printf("ID\n");
}

static const fedctl_view list_view = {.rows = "grants",
    .json = grant_json,
    .text = grant_text,
    .header = header,
    .empty = "(none)\n"};

static const fedctl_view bare_view
    = {.rows = "grants", .json = grant_json, .text = grant_text};

static const fedctl_view one_view = {.json = grant_json, .text = grant_text};

// A heap ListGrantsResponse of n grants g0, g1, ... (as a call returns).
static Enfed__V1__ListGrantsResponse *
grants(size_t n)
{
	Enfed__V1__Grant g[3], *p[3];
	// Room for any size_t (a Debug build's -Wformat-truncation).
	char ids[3][24];
	assert_true(n <= 3);
	for (size_t i = 0; i < n; i++) {
		enfed__v1__grant__init(&g[i]);
		snprintf(ids[i], sizeof(ids[i]), "g%zu", i);
		g[i].id = ids[i];
		p[i] = &g[i];
	}
	Enfed__V1__ListGrantsResponse r
	    = ENFED__V1__LIST_GRANTS_RESPONSE__INIT;
	r.grants = p;
	r.n_grants = n;
	uint8_t buf[256];
	size_t len = enfed__v1__list_grants_response__pack(&r, buf);
	Enfed__V1__ListGrantsResponse *out
	    = enfed__v1__list_grants_response__unpack(NULL, len, buf);
	assert_non_null(out);
	return out;
}

// What fedctl_reply printed for n grants in format f, its exit code in *rc.
static char *
reply(const fedctl_view *v, fedctl_format f, fed_status st, size_t n, int *rc)
{
	fedctl c;
	context(&c, f);
	fed_test_capture k;
	CAPTURE_BEGIN(&k, STDOUT_FILENO);
	*rc = fedctl_reply(&c, v, st, grants(n));
	return fed_test_capture_end(&k);
}

static void
test_rows(void **state)
{
	(void) state;
	int rc;
	char *s = reply(&list_view, FEDCTL_TEXT, FED_OK, 2, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(s, "ID\ngrant g0\ngrant g1\n");
	free(s);
	s = reply(&list_view, FEDCTL_TEXT, FED_OK, 0, &rc);
	assert_string_equal(s, "ID\n(none)\n");
	free(s);
	// --csv: nothing for none; else the keys of the rows' JSON objects,
	// then one line of values per row.
	s = reply(&bare_view, FEDCTL_CSV, FED_OK, 0, &rc);
	assert_string_equal(s, "");
	free(s);
	s = reply(&bare_view, FEDCTL_CSV, FED_OK, 2, &rc);
	assert_string_equal(s, "id\ng0\ng1\n");
	free(s);
	s = reply(&list_view, FEDCTL_JSON, FED_OK, 2, &rc);
	cJSON *j = cJSON_Parse(s);
	assert_true(cJSON_IsArray(j));
	assert_int_equal(cJSON_GetArraySize(j), 2);
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(j, 1), "id")->valuestring,
	    "g1");
	cJSON_Delete(j);
	free(s);
	s = reply(&list_view, FEDCTL_JSON, FED_OK, 0, &rc);
	assert_string_equal(s, "[]\n");
	free(s);
}

static void
test_one_and_failure(void **state)
{
	(void) state;
	fedctl c;
	context(&c, FEDCTL_TEXT);
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.id = "solo";
	fed_test_capture k;
	CAPTURE_BEGIN(&k, STDOUT_FILENO);
	fedctl_show(&c, &one_view, &g);
	c.format = FEDCTL_JSON;
	fedctl_show(&c, &one_view, &g);
	char *s = fed_test_capture_end(&k);
	assert_string_equal(s, "grant solo\n{\n\t\"id\":\t\"solo\"\n}\n");
	free(s);
	// A failed call: nothing shown, the reply freed, its exit code.
	int rc;
	s = reply(&list_view, FEDCTL_TEXT, FED_NOT_FOUND, 1, &rc);
	assert_int_equal(rc, FEDCTL_EXIT_NOT_FOUND);
	assert_string_equal(s, "");
	free(s);
	s = reply(NULL, FEDCTL_TEXT, FED_OK, 1, &rc);
	assert_int_equal(rc, FEDCTL_EXIT_OK);
	assert_string_equal(s, "");
	free(s);
	context(&c, FEDCTL_TEXT);
	assert_int_equal(fedctl_reply(&c, NULL, FED_UNAVAILABLE, NULL),
	    FEDCTL_EXIT_UNAVAILABLE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_options_and_args),
	    cmocka_unit_test(test_arg_counts),
	    cmocka_unit_test(test_out_options),
	    cmocka_unit_test(test_help_and_dispatch),
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_one_and_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
