// SPDX-License-Identifier: MIT
//
// test_cfg.c: the config loader: precedence of default, file, environment
// and command line; every type with its units and bounds; the config file's
// quoting and comments; errors that name option, source and range; the
// generated help; positional arguments; string ownership (run under ASan).
// Config files are written to a fresh directory under $TMPDIR.

#include <dirent.h>
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

#include "fed/cfg.h"

struct tcfg {
	char *name;
	char *token;
	int64_t port;
	int64_t offset;
	uint64_t count;
	bool verbose;
	double ratio;
	int64_t timeout_ms;
	size_t max_recv;
	int sync;
	fed_log_level level;
};

static const fed_cfg_opt topts[] = {
    FED_CFG_OPT_STRING(struct tcfg, name, "name", "node-a", "node name"),
    FED_CFG_OPT_STRING_LEN(
        struct tcfg, token, "token", NULL, 4, 64, "access token"),
    FED_CFG_OPT_INT(struct tcfg, port, "port", "8080", 1, 65535, "TCP port"),
    FED_CFG_OPT_INT(struct tcfg, offset, "offset", "0", 0, 0, "any integer"),
    FED_CFG_OPT_UINT(struct tcfg, count, "count", "10", 0, 1000, "a count"),
    FED_CFG_OPT_BOOL(struct tcfg, verbose, "verbose", "false", "say more"),
    FED_CFG_OPT_DOUBLE(struct tcfg, ratio, "ratio", "0.5", 0, 1, "a ratio"),
    FED_CFG_OPT_DURATION(struct tcfg, timeout_ms, "rpc.timeout", "30s", 100,
        3600000, "RPC deadline"),
    FED_CFG_OPT_SIZE(struct tcfg, max_recv, "max-recv-size", "16MiB", 1024,
        1 << 30, "largest message"),
    FED_CFG_OPT_ENUM(struct tcfg, sync, "synchronous", "full", "full|normal",
        "sqlite synchronous mode"),
    FED_CFG_OPT_LOG_LEVEL(
        struct tcfg, level, "log-level", "info", "least severe level logged"),
};

static const fed_cfg_spec tspec = {"fed-test", "[OPTION]... [FILE]...",
    "Exercises the loader.", topts, FED_CFG_N(topts), 0};

static const char *const env_vars[]
    = {"FED_CONFIG", "FED_NAME", "FED_TOKEN", "FED_PORT", "FED_OFFSET",
        "FED_COUNT", "FED_VERBOSE", "FED_RATIO", "FED_RPC_TIMEOUT",
        "FED_MAX_RECV_SIZE", "FED_SYNCHRONOUS", "FED_LOG_LEVEL", "FED_LIMIT"};

static char dir[512];

static int
clear_env(void **state)
{
	(void) state;
	for (size_t k = 0; k < FED_CFG_N(env_vars); k++)
		unsetenv(env_vars[k]);
	return 0;
}

static int
group_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/test_cfg.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	return clear_env(state);
}

// Removes the files of the test directory, then the directory.
static int
group_teardown(void **state)
{
	(void) state;
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	struct dirent *e;
	char path[1024];
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0
		    || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	return rmdir(dir);
}

// Writes text to a file of the test directory; returns its path (static).
static const char *
write_file(const char *name, const char *text)
{
	static char path[4][600];
	static int turn;
	char *p = path[turn++ % 4];
	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return p;
}

#define ARGC(argv) ((int) FED_CFG_N(argv) - 1)

// Loads argv into a fresh struct, expecting st; frees it unless keep.
static void
expect_load(char **argv, int argc, fed_status st, const char *err_part)
{
	struct tcfg c;
	fed_cfg_result r;
	const char *first = argc > 1 ? argv[1] : "";
	fed_status got = fed_cfg_load(&tspec, &c, argc, argv, &r);
	if (got != st || (err_part && !strstr(r.err, err_part)))
		fail_msg(
		    "%s: got %s, \"%s\"", first, fed_status_name(got), r.err);
	fed_cfg_fini(&tspec, &c);
}

static void
expect_arg(const char *arg, fed_status st, const char *err_part)
{
	char *argv[] = {"fed-test", (char *) arg, NULL};
	expect_load(argv, ARGC(argv), st, err_part);
}

static void
test_defaults(void **state)
{
	(void) state;
	struct tcfg c;
	fed_cfg_result r;
	char *argv[] = {"fed-test", NULL};
	assert_int_equal(
	    fed_cfg_load(&tspec, &c, ARGC(argv), argv, &r), FED_OK);
	assert_int_equal(r.action, FED_CFG_RUN);
	assert_null(r.config_path);
	assert_int_equal(r.n_args, 0);
	assert_string_equal(r.err, "");
	assert_string_equal(c.name, "node-a");
	assert_null(c.token);
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.offset, 0);
	assert_int_equal(c.count, 10);
	assert_false(c.verbose);
	assert_true(c.ratio == 0.5);
	assert_int_equal(c.timeout_ms, 30000);
	assert_int_equal(c.max_recv, 16u << 20);
	assert_int_equal(c.sync, 0);
	assert_int_equal(c.level, FED_LOG_INFO);
	fed_cfg_fini(&tspec, &c);
	assert_null(c.name);
	fed_cfg_fini(&tspec, &c);
}

// default < file < environment < command line, option by option.
static void
test_precedence(void **state)
{
	(void) state;
	const char *path = write_file("prec.conf",
	    "name = from-file\nport = 1001\ncount = 5\ntoken = file-token\n");
	setenv("FED_NAME", "from-env", 1);
	setenv("FED_PORT", "1002", 1);
	setenv("FED_TOKEN", "env-token", 1);
	char cfgarg[700];
	snprintf(cfgarg, sizeof(cfgarg), "--config=%s", path);
	char *argv[] = {
	    "fed-test", cfgarg, "--port", "1003", "--token=argv-token", NULL};
	struct tcfg c;
	fed_cfg_result r;
	assert_int_equal(
	    fed_cfg_load(&tspec, &c, ARGC(argv), argv, &r), FED_OK);
	assert_string_equal(r.config_path, path);
	assert_int_equal(c.port, 1003);
	assert_string_equal(c.name, "from-env");
	assert_string_equal(c.token, "argv-token");
	assert_int_equal(c.count, 5);
	assert_int_equal(c.offset, 0);
	fed_cfg_fini(&tspec, &c);
	clear_env(NULL);
}

// FED_CONFIG names the file unless --config does.
static void
test_config_from_env(void **state)
{
	(void) state;
	const char *a = write_file("a.conf", "port = 11\n");
	const char *b = write_file("b.conf", "port = 22\n");
	setenv("FED_CONFIG", a, 1);
	struct tcfg c;
	fed_cfg_result r;
	char *argv1[] = {"fed-test", NULL};
	assert_int_equal(
	    fed_cfg_load(&tspec, &c, ARGC(argv1), argv1, &r), FED_OK);
	assert_int_equal(c.port, 11);
	assert_string_equal(r.config_path, a);
	fed_cfg_fini(&tspec, &c);
	char *argv2[] = {"fed-test", "--config", (char *) b, NULL};
	assert_int_equal(
	    fed_cfg_load(&tspec, &c, ARGC(argv2), argv2, &r), FED_OK);
	assert_int_equal(c.port, 22);
	assert_int_equal(r.n_args, 0);
	fed_cfg_fini(&tspec, &c);
	clear_env(NULL);
}

struct case_ok {
	const char *arg;
	size_t offset;
	int64_t want; // compared as the field's type
};

static int64_t
field_value(const struct tcfg *c, size_t offset)
{
	const char *f = (const char *) c + offset;
	if (offset == offsetof(struct tcfg, count))
		return (int64_t) * (const uint64_t *) f;
	if (offset == offsetof(struct tcfg, max_recv))
		return (int64_t) * (const size_t *) f;
	if (offset == offsetof(struct tcfg, verbose))
		return *(const bool *) f;
	if (offset == offsetof(struct tcfg, sync))
		return *(const int *) f;
	if (offset == offsetof(struct tcfg, level))
		return *(const fed_log_level *) f;
	return *(const int64_t *) f;
}

static void
test_types_and_bounds_ok(void **state)
{
	(void) state;
	static const struct case_ok cases[] = {
	    {"--port=1", offsetof(struct tcfg, port), 1},
	    {"--port=65535", offsetof(struct tcfg, port), 65535},
	    {"--port=+80", offsetof(struct tcfg, port), 80},
	    {"--offset=-9223372036854775808", offsetof(struct tcfg, offset),
	        INT64_MIN},
	    {"--offset=9223372036854775807", offsetof(struct tcfg, offset),
	        INT64_MAX},
	    {"--count=0", offsetof(struct tcfg, count), 0},
	    {"--count=1000", offsetof(struct tcfg, count), 1000},
	    {"--rpc.timeout=100ms", offsetof(struct tcfg, timeout_ms), 100},
	    {"--rpc.timeout=1h", offsetof(struct tcfg, timeout_ms), 3600000},
	    {"--max-recv-size=1KiB", offsetof(struct tcfg, max_recv), 1024},
	    {"--max-recv-size=1GiB", offsetof(struct tcfg, max_recv), 1 << 30},
	    {"--max-recv-size=2000", offsetof(struct tcfg, max_recv), 2000},
	    {"--synchronous=NORMAL", offsetof(struct tcfg, sync), 1},
	    {"--synchronous=full", offsetof(struct tcfg, sync), 0},
	    {"--log-level=debug", offsetof(struct tcfg, level), FED_LOG_DEBUG},
	    {"--log-level=ERR", offsetof(struct tcfg, level), FED_LOG_ERR},
	};
	for (size_t k = 0; k < FED_CFG_N(cases); k++) {
		struct tcfg c;
		fed_cfg_result r;
		char *argv[] = {"fed-test", (char *) cases[k].arg, NULL};
		fed_status st = fed_cfg_load(&tspec, &c, ARGC(argv), argv, &r);
		if (st != FED_OK)
			fail_msg("%s: %s", cases[k].arg, r.err);
		if (field_value(&c, cases[k].offset) != cases[k].want)
			fail_msg("%s: got %lld", cases[k].arg,
			    (long long) field_value(&c, cases[k].offset));
		fed_cfg_fini(&tspec, &c);
	}
}

static void
test_doubles(void **state)
{
	(void) state;
	struct tcfg c;
	fed_cfg_result r;
	char *argv[] = {"fed-test", "--ratio=.25", NULL};
	assert_int_equal(
	    fed_cfg_load(&tspec, &c, ARGC(argv), argv, &r), FED_OK);
	assert_true(c.ratio == 0.25);
	fed_cfg_fini(&tspec, &c);
	expect_arg("--ratio=1", FED_OK, NULL);
	expect_arg("--ratio=1e-3", FED_OK, NULL);
	expect_arg("--ratio=1.0001", FED_INVALID_ARGUMENT, "0..1");
	expect_arg("--ratio=-0.1", FED_INVALID_ARGUMENT, "out of range");
	expect_arg("--ratio=nan", FED_INVALID_ARGUMENT, "not a number");
	expect_arg("--ratio=inf", FED_INVALID_ARGUMENT, "not a number");
	expect_arg("--ratio=1e999", FED_INVALID_ARGUMENT, "finite");
	expect_arg("--ratio=0.5x", FED_INVALID_ARGUMENT, "not a number");
}

// Each refusal names the option and the accepted values.
static void
test_bounds_and_bad_numbers(void **state)
{
	(void) state;
	expect_arg("--port=0", FED_INVALID_ARGUMENT,
	    "port: \"0\" is out of range; expected an integer in 1..65535 "
	    "(command line)");
	expect_arg("--port=65536", FED_INVALID_ARGUMENT, "1..65535");
	expect_arg("--port=12x", FED_INVALID_ARGUMENT,
	    "port: \"12x\" is not an integer");
	expect_arg("--port=", FED_INVALID_ARGUMENT, "not an integer");
	expect_arg("--port= 5", FED_INVALID_ARGUMENT, "not an integer");
	expect_arg("--port=0x10", FED_INVALID_ARGUMENT, "not an integer");
	expect_arg("--offset=9223372036854775808", FED_INVALID_ARGUMENT,
	    "does not fit in 64 bits");
	expect_arg(
	    "--offset=-9223372036854775809", FED_INVALID_ARGUMENT, "64 bits");
	expect_arg("--count=-1", FED_INVALID_ARGUMENT,
	    "count: \"-1\" is not an unsigned integer");
	expect_arg("--count=+1", FED_INVALID_ARGUMENT, "unsigned");
	expect_arg(
	    "--count=18446744073709551616", FED_INVALID_ARGUMENT, "64 bits");
	expect_arg("--count=1001", FED_INVALID_ARGUMENT, "0..1000");
	expect_arg("--rpc.timeout=99ms", FED_INVALID_ARGUMENT,
	    "rpc.timeout: \"99ms\" is out of range; expected a duration "
	    "(500ms, 30s, 5m, 2h, 1d) in 100ms..1h");
	expect_arg("--rpc.timeout=61m", FED_INVALID_ARGUMENT, "100ms..1h");
	expect_arg("--max-recv-size=1023", FED_INVALID_ARGUMENT, "1KiB..1GiB");
	expect_arg("--max-recv-size=2GiB", FED_INVALID_ARGUMENT, "1KiB..1GiB");
	expect_arg("--synchronous=fast", FED_INVALID_ARGUMENT,
	    "synchronous: \"fast\" is not a valid choice; expected one of "
	    "full|normal");
	expect_arg("--synchronous=", FED_INVALID_ARGUMENT, "full|normal");
	expect_arg(
	    "--synchronous=full|normal", FED_INVALID_ARGUMENT, "choice");
	expect_arg("--log-level=loud", FED_INVALID_ARGUMENT,
	    "err|warning|notice|info|debug");
	expect_arg("--token=abc", FED_INVALID_ARGUMENT,
	    "token: length 3 is out of range; expected a string of 4..64 "
	    "bytes");
}

// A table with unbounded duration and size options, to test the units.
struct ucfg {
	int64_t d;
	size_t z;
};

static const fed_cfg_opt uopts[] = {
    FED_CFG_OPT_DURATION(struct ucfg, d, "d", "0", 0, 0, "a duration"),
    FED_CFG_OPT_SIZE(struct ucfg, z, "z", "0", 0, 0, "a size"),
};

static const fed_cfg_spec uspec
    = {"units", NULL, NULL, uopts, FED_CFG_N(uopts), FED_CFG_ARGV_ONLY};

static fed_status
load_unit(const char *arg, struct ucfg *u, char *err, size_t len)
{
	fed_cfg_result r;
	char *argv[] = {"units", (char *) arg, NULL};
	fed_status st = fed_cfg_load(&uspec, u, ARGC(argv), argv, &r);
	snprintf(err, len, "%s", r.err);
	return st;
}

static void
test_units(void **state)
{
	(void) state;
	static const struct {
		const char *arg;
		int64_t d;
		size_t z;
	} good[] = {
	    {"--d=500ms", 500, 0},
	    {"--d=30s", 30000, 0},
	    {"--d=5m", 300000, 0},
	    {"--d=2h", 7200000, 0},
	    {"--d=1d", 86400000, 0},
	    {"--d=1h30m", 5400000, 0},
	    {"--d=0", 0, 0},
	    {"--d=0s", 0, 0},
	    {"--z=64KiB", 0, 65536},
	    {"--z=16MiB", 0, 16u << 20},
	    {"--z=16 mib", 0, 16u << 20},
	    {"--z=1kB", 0, 1000},
	    {"--z=2MB", 0, 2000000},
	    {"--z=4096", 0, 4096},
	    {"--z=7B", 0, 7},
	};
	for (size_t k = 0; k < FED_CFG_N(good); k++) {
		struct ucfg u;
		char err[256];
		if (load_unit(good[k].arg, &u, err, sizeof(err)) != FED_OK)
			fail_msg("%s: %s", good[k].arg, err);
		if (u.d != good[k].d || u.z != good[k].z)
			fail_msg("%s: got %lld, %zu", good[k].arg,
			    (long long) u.d, u.z);
	}
	static const char *const bad[] = {"--d=5", "--d=5x", "--d=ms",
	    "--d=-1s", "--d=1.5s", "--d=", "--d=1h30", "--d=5M", "--d=1s ",
	    "--d=9999999999999999999d", "--d=106751991168d",
	    "--d=99999999999999999999ms", "--z=12x", "--z=1.5MiB", "--z=-1",
	    "--z=", "--z=KiB", "--z=1KiB2", "--z=16777216TiB",
	    "--z=99999999999999999999"};
	for (size_t k = 0; k < FED_CFG_N(bad); k++) {
		struct ucfg u;
		char err[256];
		if (load_unit(bad[k], &u, err, sizeof(err))
		    != FED_INVALID_ARGUMENT)
			fail_msg("%s accepted", bad[k]);
		if (strstr(err, bad[k][2] == 'd' ? "d: \"" : "z: \"") == NULL)
			fail_msg("%s: message \"%s\"", bad[k], err);
	}
}

static void
test_bool_forms(void **state)
{
	(void) state;
	static const struct {
		const char *arg;
		bool want;
	} cases[] = {
	    {"--verbose", true},
	    {"--no-verbose", false},
	    {"--verbose=true", true},
	    {"--verbose=false", false},
	    {"--verbose=YES", true},
	    {"--verbose=no", false},
	    {"--verbose=on", true},
	    {"--verbose=Off", false},
	    {"--verbose=1", true},
	    {"--verbose=0", false},
	};
	for (size_t k = 0; k < FED_CFG_N(cases); k++) {
		struct tcfg c;
		fed_cfg_result r;
		// Start from the opposite value, set by the environment.
		setenv("FED_VERBOSE", cases[k].want ? "off" : "on", 1);
		char *argv[] = {"fed-test", (char *) cases[k].arg, NULL};
		assert_int_equal(
		    fed_cfg_load(&tspec, &c, ARGC(argv), argv, &r), FED_OK);
		if (c.verbose != cases[k].want)
			fail_msg("%s", cases[k].arg);
		fed_cfg_fini(&tspec, &c);
	}
	clear_env(NULL);
	expect_arg("--verbose=maybe", FED_INVALID_ARGUMENT,
	    "verbose: \"maybe\" is not a bool; expected true/false");
	expect_arg("--no-verbose=1", FED_INVALID_ARGUMENT, "unknown option");
	expect_arg("--no-port", FED_INVALID_ARGUMENT, "--no-port: unknown");
	// A bool never takes the next argument as its value.
	struct tcfg c;
	fed_cfg_result r;
	char *argv[] = {"fed-test", "--verbose", "false", NULL};
	assert_int_equal(
	    fed_cfg_load(&tspec, &c, ARGC(argv), argv, &r), FED_OK);
	assert_true(c.verbose);
	assert_int_equal(r.n_args, 1);
	assert_string_equal(r.args[0], "false");
	fed_cfg_fini(&tspec, &c);
}

static fed_status
load_file_text(const char *text, struct tcfg *c, fed_cfg_result *r)
{
	static char arg[700];
	snprintf(arg, sizeof(arg), "--config=%s", write_file("t.conf", text));
	char *argv[] = {"fed-test", arg, NULL};
	return fed_cfg_load(&tspec, c, ARGC(argv), argv, r);
}

static void
test_file_syntax(void **state)
{
	(void) state;
	struct tcfg c;
	fed_cfg_result r;
	static const char text[]
	    = "\xEF\xBB\xBF# a comment after a byte order mark\n"
	      "\n"
	      "   \t\n"
	      "  # indented comment\n"
	      "name = \"a # b \\\"q\\\" \\\\ \\t.\"  # c\n"
	      "token='x\\ny'\r\n"
	      "port=42 # trailing comment\n"
	      "synchronous =normal\n"
	      "log-level= debug\n";
	if (load_file_text(text, &c, &r) != FED_OK)
		fail_msg("%s", r.err);
	assert_string_equal(c.name, "a # b \"q\" \\ \t.");
	assert_string_equal(c.token, "x\\ny");
	assert_int_equal(c.port, 42);
	assert_int_equal(c.sync, 1);
	assert_int_equal(c.level, FED_LOG_DEBUG);
	fed_cfg_fini(&tspec, &c);

	// '#' inside an unquoted word is kept; the last line for a name wins.
	assert_int_equal(
	    load_file_text("name = a#b\nname = c#d\n", &c, &r), FED_OK);
	assert_string_equal(c.name, "c#d");
	fed_cfg_fini(&tspec, &c);
	assert_int_equal(load_file_text("name = \"\"\n", &c, &r), FED_OK);
	assert_string_equal(c.name, "");
	fed_cfg_fini(&tspec, &c);
}

static void
expect_file_error(const char *text, const char *err_part)
{
	struct tcfg c;
	fed_cfg_result r;
	fed_status st = load_file_text(text, &c, &r);
	if (st != FED_INVALID_ARGUMENT || strstr(r.err, err_part) == NULL)
		fail_msg(
		    "%s: got %s \"%s\"", text, fed_status_name(st), r.err);
	fed_cfg_fini(&tspec, &c);
}

static void
test_file_errors(void **state)
{
	(void) state;
	expect_file_error("port = 1\n\nport 2\n", "expected \"name = value\"");
	expect_file_error("port = 1\n\nport 2\n", "t.conf:3)");
	expect_file_error("= 2\n", "t.conf:1)");
	expect_file_error("name = \"abc\n", "name: unterminated quote");
	expect_file_error("name = 'abc\n", "unterminated quote");
	expect_file_error("name = \"a\" b\n", "text after closing quote");
	expect_file_error("name = \"a\\qb\"\n", "unknown escape");
	expect_file_error("# x\nlisen = 1\n", "lisen: unknown option (");
	expect_file_error("# x\nlisen = 1\n", "t.conf:2)");
	expect_file_error("port = 70000\n",
	    "port: \"70000\" is out of range; expected an integer in "
	    "1..65535 (");
	expect_file_error("config = x\n", "config: unknown option");
	expect_file_error("name = ok\ntoken = abc\n", "t.conf:2)");
}

static void
test_env_errors(void **state)
{
	(void) state;
	setenv("FED_PORT", "0", 1);
	char *argv[] = {"fed-test", NULL};
	expect_load(argv, ARGC(argv), FED_INVALID_ARGUMENT,
	    "port: \"0\" is out of range; expected an integer in 1..65535 "
	    "(environment FED_PORT)");
	clear_env(NULL);
	setenv("FED_RPC_TIMEOUT", "soon", 1);
	expect_load(argv, ARGC(argv), FED_INVALID_ARGUMENT,
	    "(environment FED_RPC_TIMEOUT)");
	clear_env(NULL);
	// A variable set to the empty string is a value, not an absence.
	setenv("FED_NAME", "", 1);
	struct tcfg c;
	fed_cfg_result r;
	assert_int_equal(
	    fed_cfg_load(&tspec, &c, ARGC(argv), argv, &r), FED_OK);
	assert_string_equal(c.name, "");
	fed_cfg_fini(&tspec, &c);
	clear_env(NULL);
}

static void
test_unknown_and_missing(void **state)
{
	(void) state;
	expect_arg("--bogus", FED_INVALID_ARGUMENT,
	    "--bogus: unknown option (command line)");
	expect_arg("--bogus=1", FED_INVALID_ARGUMENT, "--bogus: unknown");
	expect_arg("-x", FED_INVALID_ARGUMENT, "-x: unknown option");
	expect_arg("--port", FED_INVALID_ARGUMENT,
	    "--port: missing value (command line)");
	expect_arg(
	    "--config", FED_INVALID_ARGUMENT, "--config: missing value");
	expect_arg("--help=1", FED_INVALID_ARGUMENT, "takes no value");
	char *argv[] = {"fed-test", "--name", "--verbose", NULL};
	expect_load(
	    argv, ARGC(argv), FED_INVALID_ARGUMENT, "--name: missing value");
	// A value that looks like a negative number is a value.
	struct tcfg c;
	fed_cfg_result r;
	char *argv2[] = {"fed-test", "--offset", "-5", "--name=--x", NULL};
	assert_int_equal(
	    fed_cfg_load(&tspec, &c, ARGC(argv2), argv2, &r), FED_OK);
	assert_int_equal(c.offset, -5);
	assert_string_equal(c.name, "--x");
	fed_cfg_fini(&tspec, &c);
}

static void
test_positional(void **state)
{
	(void) state;
	struct tcfg c;
	fed_cfg_result r;
	char *argv[] = {"fed-test", "a", "--port=2", "b", "--name", "n", "-",
	    "--", "--verbose", "c", NULL};
	assert_int_equal(
	    fed_cfg_load(&tspec, &c, ARGC(argv), argv, &r), FED_OK);
	assert_int_equal(c.port, 2);
	assert_string_equal(c.name, "n");
	assert_false(c.verbose);
	assert_int_equal(r.n_args, 5);
	assert_string_equal(r.args[0], "a");
	assert_string_equal(r.args[1], "b");
	assert_string_equal(r.args[2], "-");
	assert_string_equal(r.args[3], "--verbose");
	assert_string_equal(r.args[4], "c");
	assert_null(r.args[5]);
	assert_ptr_equal(r.args, argv + 1);
	fed_cfg_fini(&tspec, &c);

	// argc 0 (or no argv at all) is an empty command line.
	assert_int_equal(fed_cfg_load(&tspec, &c, 0, NULL, &r), FED_OK);
	assert_int_equal(r.n_args, 0);
	fed_cfg_fini(&tspec, &c);
}

// A subcommand's own options, loaded from what the main table left.
struct subcfg {
	int64_t limit;
	bool all;
};

static const fed_cfg_opt subopts[] = {
    FED_CFG_OPT_INT(struct subcfg, limit, "limit", "10", 1, 100, "rows"),
    FED_CFG_OPT_BOOL(struct subcfg, all, "all", "no", "every row"),
};

static const fed_cfg_spec subspec = {"fedctl list", "[OPTION]... PREFIX",
    "Lists series.", subopts, FED_CFG_N(subopts), FED_CFG_ARGV_ONLY};

static void
test_subcommands(void **state)
{
	(void) state;
	fed_cfg_spec main_spec = tspec;
	main_spec.flags = FED_CFG_STOP_AT_ARG;
	struct tcfg c;
	struct subcfg sc;
	fed_cfg_result r, sr;
	setenv("FED_LIMIT", "1000", 1); // must be ignored: ARGV_ONLY
	char *argv[] = {"fedctl", "--port=2", "list", "--limit", "5", "--all",
	    "kermelo/", NULL};
	assert_int_equal(
	    fed_cfg_load(&main_spec, &c, ARGC(argv), argv, &r), FED_OK);
	assert_int_equal(c.port, 2);
	assert_int_equal(r.n_args, 5);
	assert_string_equal(r.args[0], "list");
	assert_string_equal(r.args[1], "--limit");
	assert_int_equal(
	    fed_cfg_load(&subspec, &sc, r.n_args, r.args, &sr), FED_OK);
	assert_int_equal(sc.limit, 5);
	assert_true(sc.all);
	assert_int_equal(sr.n_args, 1);
	assert_string_equal(sr.args[0], "kermelo/");
	// Without a file, --config is just unknown.
	char *argv2[] = {"list", "--config=x", NULL};
	assert_int_equal(fed_cfg_load(&subspec, &sc, ARGC(argv2), argv2, &sr),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(sr.err, "--config: unknown option"));
	fed_cfg_fini(&tspec, &c);
}

static void
test_help_and_version_actions(void **state)
{
	(void) state;
	static const struct {
		const char *arg;
		fed_cfg_action want;
	} cases[] = {
	    {"--help", FED_CFG_HELP},
	    {"-h", FED_CFG_HELP},
	    {"--version", FED_CFG_VERSION},
	};
	// Neither the environment nor a bad option after it is looked at.
	setenv("FED_PORT", "not a port", 1);
	for (size_t k = 0; k < FED_CFG_N(cases); k++) {
		struct tcfg c;
		fed_cfg_result r;
		char *argv[] = {"fed-test", "--port=3", (char *) cases[k].arg,
		    "--bogus", NULL};
		assert_int_equal(
		    fed_cfg_load(&tspec, &c, ARGC(argv), argv, &r), FED_OK);
		assert_int_equal(r.action, cases[k].want);
		assert_int_equal(c.port, 8080);
		fed_cfg_fini(&tspec, &c);
	}
	clear_env(NULL);
	// After "--" it is an argument like any other.
	struct tcfg c;
	fed_cfg_result r;
	char *argv[] = {"fed-test", "--", "--help", NULL};
	assert_int_equal(
	    fed_cfg_load(&tspec, &c, ARGC(argv), argv, &r), FED_OK);
	assert_int_equal(r.action, FED_CFG_RUN);
	assert_int_equal(r.n_args, 1);
	fed_cfg_fini(&tspec, &c);
}

// fed_cfg_main: -1 to run (the options loaded), else the exit status.
static void
test_main_exit_status(void **state)
{
	(void) state;
	static const struct {
		const char *arg;
		int want;
	} cases[] = {
	    {"--port=3", -1},
	    {"--version", 0},
	    {"--help", 0},
	    {"--bogus", 2},
	    {"--port=70000", 2},
	    {"extra", 2},
	};
	for (size_t k = 0; k < FED_CFG_N(cases); k++) {
		struct tcfg c;
		char *argv[] = {"fed-test", (char *) cases[k].arg, NULL};
		int rc = fed_cfg_main(&tspec, &c, ARGC(argv), argv, NULL);
		if (rc != cases[k].want)
			fail_msg("%s: got %d, want %d", cases[k].arg, rc,
			    cases[k].want);
		if (rc < 0)
			assert_int_equal(c.port, 3);
		fed_cfg_fini(&tspec, &c);
	}
}

static void
test_help_text(void **state)
{
	(void) state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(fed_cfg_help(&tspec, f), FED_OK);
	assert_int_equal(fclose(f), 0);
	static const char *const parts[] = {
	    "Usage: fed-test [OPTION]... [FILE]...\nExercises the loader.\n",
	    "--name=STRING", "(default \"node-a\"; env FED_NAME)",
	    "--token=STRING", "(default none; length 4..64; env FED_TOKEN)",
	    "--port=INT", "TCP port",
	    "(default 8080; range 1..65535; env FED_PORT)", "--offset=INT",
	    "(default 0; env FED_OFFSET)", "--count=UINT", "--[no-]verbose",
	    "say more", "(default false; env FED_VERBOSE)", "--ratio=NUMBER",
	    "(default 0.5; range 0..1; env FED_RATIO)",
	    "--rpc.timeout=DURATION",
	    "(default 30s; range 100ms..1h; env FED_RPC_TIMEOUT)",
	    "--max-recv-size=SIZE",
	    "(default 16MiB; range 1KiB..1GiB; env FED_MAX_RECV_SIZE)",
	    "--synchronous=full|normal", "sqlite synchronous mode",
	    "--log-level=err|warning|notice|info|debug",
	    "(default info; env FED_LOG_LEVEL)", "--config=FILE",
	    "(env FED_CONFIG)", "-h, --help", "--version"};
	for (size_t k = 0; k < FED_CFG_N(parts); k++) {
		if (strstr(text, parts[k]) == NULL)
			fail_msg("help lacks \"%s\":\n%s", parts[k], text);
	}
	free(text);

	// A subcommand's help has no config file and no precedence line.
	f = open_memstream(&text, &len);
	assert_int_equal(fed_cfg_help(&subspec, f), FED_OK);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(text, "--limit=INT"));
	assert_non_null(strstr(text, "(default 10; range 1..100)\n"));
	assert_null(strstr(text, "--config"));
	assert_null(strstr(text, "env "));
	free(text);
}

static void
test_missing_and_unreadable_file(void **state)
{
	(void) state;
	struct tcfg c;
	fed_cfg_result r;
	char arg[700];
	snprintf(arg, sizeof(arg), "--config=%s/nonexistent.conf", dir);
	char *argv[] = {"fed-test", arg, NULL};
	assert_int_equal(
	    fed_cfg_load(&tspec, &c, ARGC(argv), argv, &r), FED_NOT_FOUND);
	assert_non_null(strstr(r.err, "nonexistent.conf"));
	fed_cfg_fini(&tspec, &c);

	// A directory opens but cannot be read as lines.
	snprintf(arg, sizeof(arg), "--config=%s", dir);
	assert_int_equal(fed_cfg_load(&tspec, &c, ARGC(argv), argv, &r),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(r.err, "config file"));
	fed_cfg_fini(&tspec, &c);

	// Mode 000 only stops a non-root user.
	const char *p = write_file("locked.conf", "port = 1\n");
	assert_int_equal(chmod(p, 0), 0);
	snprintf(arg, sizeof(arg), "--config=%s", p);
	fed_status st = fed_cfg_load(&tspec, &c, ARGC(argv), argv, &r);
	assert_int_equal(st, geteuid() == 0 ? FED_OK : FED_INVALID_ARGUMENT);
	fed_cfg_fini(&tspec, &c);
}

static void
test_at_file(void **state)
{
	(void) state;
	struct tcfg c;
	fed_cfg_result r;
	char arg[700];
	snprintf(arg, sizeof(arg), "--token=@%s",
	    write_file("tok", "s3cr3t-t0ken\n"));
	char *argv[] = {"fed-test", arg, "--name=@@home", NULL};
	assert_int_equal(
	    fed_cfg_load(&tspec, &c, ARGC(argv), argv, &r), FED_OK);
	assert_string_equal(c.token, "s3cr3t-t0ken");
	assert_string_equal(c.name, "@home");
	fed_cfg_fini(&tspec, &c);

	// Too short once read: refused without echoing the secret.
	snprintf(arg, sizeof(arg), "--token=@%s", write_file("short", "abc"));
	expect_arg(arg, FED_INVALID_ARGUMENT, "token: length 3");
	char *argv2[] = {"fed-test", arg, NULL};
	assert_int_equal(fed_cfg_load(&tspec, &c, ARGC(argv2), argv2, &r),
	    FED_INVALID_ARGUMENT);
	assert_null(strstr(r.err, "abc"));
	fed_cfg_fini(&tspec, &c);

	snprintf(arg, sizeof(arg), "--token=@%s/none", dir);
	expect_arg(arg, FED_INVALID_ARGUMENT, "does not exist");
	snprintf(arg, sizeof(arg), "--token=@%s", dir);
	expect_arg(arg, FED_INVALID_ARGUMENT, "cannot be read");
	char *big = malloc(70000);
	assert_non_null(big);
	memset(big, 'x', 69999);
	big[69999] = '\0';
	snprintf(arg, sizeof(arg), "--name=@%s", write_file("big", big));
	free(big);
	expect_arg(arg, FED_INVALID_ARGUMENT, "over 64 KiB");
}

// Strings replaced at every stage, and an error half-way: ASan would
// report any leak once fed_cfg_fini has run.
static void
test_string_ownership(void **state)
{
	(void) state;
	struct tcfg c;
	fed_cfg_result r;
	const char *p = write_file("own.conf", "name = f\ntoken = ffff\n");
	setenv("FED_NAME", "e", 1);
	setenv("FED_TOKEN", "eeee", 1);
	char arg[700];
	snprintf(arg, sizeof(arg), "--config=%s", p);
	char *argv[] = {"fed-test", arg, "--name=a1", "--name=a2", NULL};
	assert_int_equal(
	    fed_cfg_load(&tspec, &c, ARGC(argv), argv, &r), FED_OK);
	assert_string_equal(c.name, "a2");
	assert_string_equal(c.token, "eeee");
	fed_cfg_fini(&tspec, &c);
	assert_null(c.name);
	assert_null(c.token);

	char *argv2[] = {"fed-test", arg, "--name=a1", "--port=x", NULL};
	assert_int_equal(fed_cfg_load(&tspec, &c, ARGC(argv2), argv2, &r),
	    FED_INVALID_ARGUMENT);
	assert_string_equal(c.name, "a1");
	fed_cfg_fini(&tspec, &c);
	clear_env(NULL);
}

struct bcfg {
	int64_t a, b;
	int e;
	char *s;
};

static fed_status
load_table(const fed_cfg_opt *opts, size_t n, char *err, size_t len)
{
	fed_cfg_spec spec = {"bad", NULL, NULL, opts, n, 0};
	struct bcfg c;
	fed_cfg_result r;
	char *argv[] = {"bad", NULL};
	fed_status st = fed_cfg_load(&spec, &c, ARGC(argv), argv, &r);
	snprintf(err, len, "%s", r.err);
	fed_cfg_fini(&spec, &c);
	return st;
}

// A wrong table is the programmer's mistake: INTERNAL, naming the option.
static void
test_table_errors(void **state)
{
	(void) state;
#define INT_OPT(name, def, lo, hi) \
	FED_CFG_OPT_INT(struct bcfg, a, name, def, lo, hi, "h")
	static const struct {
		fed_cfg_opt opts[2];
		const char *why;
	} cases[] = {
	    {{INT_OPT("a", "1", 0, 0), INT_OPT("a", "1", 0, 0)}, "same name"},
	    {{INT_OPT("a-b", "1", 0, 0), INT_OPT("a.b", "1", 0, 0)},
	        "environment variable"},
	    {{INT_OPT("help", "1", 0, 0), INT_OPT("b", "1", 0, 0)},
	        "reserved"},
	    {{INT_OPT("no-cache", "1", 0, 0), INT_OPT("b", "1", 0, 0)},
	        "reserved"},
	    {{INT_OPT("Port", "1", 0, 0), INT_OPT("b", "1", 0, 0)},
	        "bad name"},
	    {{INT_OPT("", "1", 0, 0), INT_OPT("b", "1", 0, 0)}, "bad name"},
	    {{INT_OPT("a", "x", 0, 0), INT_OPT("b", "1", 0, 0)},
	        "a: \"x\" is not an integer"},
	    {{INT_OPT("a", "1", 0, 0), INT_OPT("b", "0", 1, 9)},
	        "b: \"0\" is out of range"},
	    {{INT_OPT("a", "1", 0, 0), INT_OPT("b", "5", 9, 1)},
	        "min is above"},
	    {{INT_OPT("a", NULL, 0, 0), INT_OPT("b", "5", 0, 0)},
	        "no default"},
	    {{FED_CFG_OPT_ENUM(struct bcfg, e, "e", "x", "", "h"),
	         INT_OPT("b", "5", 0, 0)},
	        "enum without choices"},
	    {{INT_OPT("a", "1", 0, 0),
	         FED_CFG_OPT_STRING(struct bcfg, s, "s", "x", NULL)},
	        "no help"},
	};
#undef INT_OPT
	for (size_t k = 0; k < FED_CFG_N(cases); k++) {
		char err[256];
		fed_status st = load_table(cases[k].opts, 2, err, sizeof(err));
		if (st != FED_INTERNAL || strstr(err, cases[k].why) == NULL)
			fail_msg("case %zu: %s \"%s\"", k, fed_status_name(st),
			    err);
		assert_non_null(strstr(err, "config table"));
	}
}

static void
test_env_name(void **state)
{
	(void) state;
	char buf[32];
	assert_int_equal(
	    fed_cfg_env_name("rpc.max-recv-size", buf, sizeof(buf)), FED_OK);
	assert_string_equal(buf, "FED_RPC_MAX_RECV_SIZE");
	assert_int_equal(
	    fed_cfg_env_name("port", buf, 8), FED_RESOURCE_EXHAUSTED);
	assert_int_equal(fed_cfg_env_name("port", buf, 9), FED_OK);
	assert_string_equal(buf, "FED_PORT");
	assert_int_equal(
	    fed_cfg_env_name(NULL, buf, sizeof(buf)), FED_INVALID_ARGUMENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_defaults, clear_env),
	    cmocka_unit_test_teardown(test_precedence, clear_env),
	    cmocka_unit_test_teardown(test_config_from_env, clear_env),
	    cmocka_unit_test_teardown(test_types_and_bounds_ok, clear_env),
	    cmocka_unit_test_teardown(test_doubles, clear_env),
	    cmocka_unit_test_teardown(test_bounds_and_bad_numbers, clear_env),
	    cmocka_unit_test_teardown(test_units, clear_env),
	    cmocka_unit_test_teardown(test_bool_forms, clear_env),
	    cmocka_unit_test_teardown(test_file_syntax, clear_env),
	    cmocka_unit_test_teardown(test_file_errors, clear_env),
	    cmocka_unit_test_teardown(test_env_errors, clear_env),
	    cmocka_unit_test_teardown(test_unknown_and_missing, clear_env),
	    cmocka_unit_test_teardown(test_positional, clear_env),
	    cmocka_unit_test_teardown(test_subcommands, clear_env),
	    cmocka_unit_test_teardown(
	        test_help_and_version_actions, clear_env),
	    cmocka_unit_test_teardown(test_help_text, clear_env),
	    cmocka_unit_test_teardown(
	        test_missing_and_unreadable_file, clear_env),
	    cmocka_unit_test_teardown(test_at_file, clear_env),
	    cmocka_unit_test_teardown(test_string_ownership, clear_env),
	    cmocka_unit_test_teardown(test_table_errors, clear_env),
	    cmocka_unit_test_teardown(test_env_name, clear_env),
	    cmocka_unit_test_teardown(test_main_exit_status, clear_env),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
