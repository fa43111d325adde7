// SPDX-License-Identifier: MIT
//
// test_fedctl.c: the fedctl program end to end, as a user runs it: a real
// fed-node on loopback, the real fedctl binary run with its output
// captured and parsed back. Series creation, a CSV ingest across the
// spring-forward day of Europe/Paris, query as CSV, JSON and SenML, the SVG
// plot, a watch receiving points stored after it started, bad input (exit
// codes and messages), every --help, checked against docs/fedctl.md, and
// the forms of `series ls` and `rm` to the letter.

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "fed_test.h"

#define ADMIN "admin-secret-for-fedctl-tests"
#define DAY   "test/school/energy"

struct env {
	char *dir;
	char rpc[128], stream[128], log[512];
	char node_opt[160], stream_opt[160];
	int pid;
};

static struct env *E;

static void
node_start(struct env *e)
{
	char data[600], listen[160], stream[160];
	snprintf(data, sizeof(data), "--data-dir=%s/data", e->dir);
	snprintf(listen, sizeof(listen), "--listen=%s", e->rpc);
	snprintf(stream, sizeof(stream), "--stream=%s", e->stream);
	char *argv[] = {FED_NODE_BIN, "--name=lognact", data, listen, stream,
	    "--admin-token=" ADMIN, "--log-level=warning", NULL};
	e->pid = fed_test_proc_start(argv, e->log);
	assert_true(e->pid > 0);
	assert_int_equal(fed_test_wait_health(e->rpc, 10000), FED_OK);
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	e->dir = fed_test_tmpdir("fedctl");
	snprintf(e->log, sizeof(e->log), "%s/node.log", e->dir);
	snprintf(e->rpc, sizeof(e->rpc), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	fed_test_ipc_url(e->stream, sizeof(e->stream), "fedctlstream");
	snprintf(e->node_opt, sizeof(e->node_opt), "--node=%s", e->rpc);
	snprintf(
	    e->stream_opt, sizeof(e->stream_opt), "--stream=%s", e->stream);
	// No user config or environment may leak into the runs.
	fed_test_isolate_fedctl(e->dir);
	node_start(e);
	E = e;
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	assert_int_equal(fed_test_proc_stop(e->pid, SIGTERM, 10000), 0);
	fed_test_rmtree(e->dir);
	free(e->dir);
	free(e);
	return 0;
}

// Runs fedctl with the node's options and the admin token, then args
// (NULL-terminated); stdin from in_path. Returns the exit code.
static int
fedctl_in(const char *in_path, char **out, char **err, ...)
{
	char *argv[64] = {FEDCTL_BIN, E->node_opt, E->stream_opt,
	    "--token=" ADMIN, "--timeout=5s"};
	va_list ap;
	va_start(ap, err);
	fed_test_argv_add(argv, 5, 64, ap);
	va_end(ap);
	char *o = NULL, *r = NULL;
	int rc = fed_test_run(argv, in_path, &o, &r);
	if (rc != 0 && getenv("FED_TEST_VERBOSE") != NULL)
		fprintf(stderr, "fedctl exit %d: %s\n", rc, r);
	if (out != NULL)
		*out = o;
	else
		free(o);
	if (err != NULL)
		*err = r;
	else
		free(r);
	return rc;
}

#define FEDCTL(out, err, ...) fedctl_in(NULL, out, err, __VA_ARGS__, NULL)

static char *
write_file(const char *name, const char *text)
{
	char *path = malloc(600);
	snprintf(path, 600, "%s/%s", E->dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void
create(const char *id, const char *kind, const char *unit)
{
	char *out = NULL;
	assert_int_equal(
	    FEDCTL(&out, NULL, "series", "create", id, "--kind", kind,
	        "--unit", unit, "--interval", "1h", "--owner", "Lorient",
	        "--fact", "building=primary <school> & gym", "--fact",
	        "occupants=240"),
	    0);
	assert_non_null(strstr(out, "building: primary <school> & gym"));
	free(out);
}

// Hourly points over the 28th and 29th of March 2026, local time in
// Paris: 24 + 23 hours (the 29th springs forward), value 1 each, written
// with their offsets, partly in Z and without offset (read in --tz).
static char *
dst_csv(void)
{
	char *text = malloc(8192);
	size_t n = (size_t) snprintf(text, 8192, "timestamp,value\r\n");
	const int64_t start = INT64_C(1774652400000); // 2026-03-28T00:00+01:00
	for (int h = 0; h < 47; h++) {
		time_t t = (time_t) (start / 1000 + h * 3600);
		struct tm tm;
		gmtime_r(&t, &tm);
		char ts[40];
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		n += (size_t) snprintf(text + n, 8192 - n, "%s,1\r\n", ts);
	}
	snprintf(text + n, 8192 - n, "# comment\n\n");
	return text;
}

static void
test_ingest_query_csv(void **state)
{
	(void) state;
	create(DAY, "consumption", "Wh");
	char *text = dst_csv(), *path = write_file("day.csv", text), *out;
	assert_int_equal(
	    FEDCTL(&out, NULL, "ingest", DAY, "--csv", path, "--json"), 0);
	cJSON *j = cJSON_Parse(out);
	assert_non_null(j);
	assert_int_equal(cJSON_GetObjectItem(j, "stored")->valueint, 47);
	cJSON_Delete(j);
	free(out);
	// Again: idempotent.
	assert_int_equal(FEDCTL(&out, NULL, "ingest", DAY, "--csv", path), 0);
	assert_non_null(strstr(out, "0 stored, 47 already there"));
	free(out);
	assert_int_equal(
	    FEDCTL(&out, NULL, "query", DAY, "--from", "2026-03-28", "--to",
	        "2026-03-30", "--step", "day", "--csv"),
	    0);
	assert_string_equal(out,
	    "time," DAY "\n"
	    "2026-03-28T00:00:00+01:00,24\n"
	    "2026-03-29T00:00:00+01:00,23\n");
	free(out);
	// --utc only changes how times are written.
	assert_int_equal(
	    FEDCTL(&out, NULL, "query", DAY, "--from", "2026-03-29", "--to",
	        "2026-03-30", "--step", "day", "--csv", "--utc"),
	    0);
	assert_string_equal(
	    out, "time," DAY "\n2026-03-28T23:00:00+00:00,23\n");
	free(out);
	free(text);
	free(path);
}

static void
test_query_json_senml(void **state)
{
	(void) state;
	char *out;
	assert_int_equal(
	    FEDCTL(&out, NULL, "query", DAY, "--from", "2026-03-29", "--to",
	        "2026-03-30", "--step", "hour", "--json"),
	    0);
	cJSON *j = cJSON_Parse(out);
	assert_non_null(j);
	cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "series"), 0);
	assert_string_equal(cJSON_GetObjectItem(s, "id")->valuestring, DAY);
	assert_string_equal(
	    cJSON_GetObjectItem(j, "step")->valuestring, "hour");
	cJSON *pts = cJSON_GetObjectItem(s, "points");
	assert_int_equal(cJSON_GetArraySize(pts), 23);
	cJSON *p2 = cJSON_GetArrayItem(pts, 2);
	assert_string_equal(cJSON_GetObjectItem(p2, "t")->valuestring,
	    "2026-03-29T03:00:00+02:00");
	assert_true(cJSON_GetObjectItem(p2, "v")->valuedouble == 1.0);
	cJSON_Delete(j);
	free(out);
	// SenML: bn is the id, bt + t in seconds, v the values.
	assert_int_equal(FEDCTL(&out, NULL, "export", DAY, "--from",
	                     "2026-03-29", "--to", "2026-03-30", "--senml"),
	    0);
	j = cJSON_Parse(out);
	assert_non_null(j);
	assert_int_equal(cJSON_GetArraySize(j), 23);
	cJSON *r0 = cJSON_GetArrayItem(j, 0), *r22 = cJSON_GetArrayItem(j, 22);
	assert_string_equal(cJSON_GetObjectItem(r0, "bn")->valuestring, DAY);
	assert_string_equal(cJSON_GetObjectItem(r0, "bu")->valuestring, "Wh");
	assert_true(
	    cJSON_GetObjectItem(r0, "bt")->valuedouble == 1774738800.0);
	assert_true(cJSON_GetObjectItem(r22, "t")->valuedouble == 22 * 3600.0);
	assert_true(cJSON_GetObjectItem(r22, "v")->valuedouble == 1.0);
	cJSON_Delete(j);
	free(out);
}

// A SenML pack goes back in through ingest --senml.
static void
test_senml_roundtrip(void **state)
{
	(void) state;
	create("test/copy/energy", "consumption", "Wh");
	char *out;
	assert_int_equal(FEDCTL(&out, NULL, "export", DAY, "--from",
	                     "2026-03-28", "--to", "2026-03-30", "--senml"),
	    0);
	char *path = write_file("day.json", out);
	free(out);
	assert_int_equal(
	    FEDCTL(&out, NULL, "ingest", "test/copy/energy", "--senml", path),
	    0);
	assert_non_null(strstr(out, "47 stored"));
	free(out);
	free(path);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_plot_svg(void **state)
{
	(void) state;
	create("test/house/power", "power", "W");
	char path[600], *out;
	snprintf(path, sizeof(path), "%s/fig.svg", E->dir);
	assert_int_equal(
	    FEDCTL(NULL, NULL, "plot", DAY, "test/house/power", "--from",
	        "2026-03-28", "--to", "2026-03-30", "--svg", path),
	    0);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *svg = calloc(1, 1 << 20);
	size_t n = fread(svg, 1, (1 << 20) - 1, f);
	fclose(f);
	assert_true(n > 0);
	assert_non_null(
	    strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_int_equal(count(svg, "class=\"panel\""), 2);
	assert_int_equal(count(svg, "class=\"time-axis\""), 1);
	assert_non_null(
	    strstr(svg, "building: primary &lt;school&gt; &amp; gym"));
	assert_null(strstr(svg, "<school>"));
	free(svg);
	// The terminal figure: both boxes, one label line.
	assert_int_equal(FEDCTL(&out, NULL, "plot", DAY, "test/house/power",
	                     "--from", "2026-03-28", "--to", "2026-03-30",
	                     "--width", "48", "--ascii"),
	    0);
	assert_non_null(strstr(out, DAY ": consumption, Wh, 15min"));
	assert_non_null(strstr(out, "test/house/power: power, W"));
	assert_non_null(strstr(out, "29/03"));
	free(out);
}

static void
ingest_one(int i)
{
	char csv[128], path[600];
	snprintf(path, sizeof(path), "%s/one.csv", E->dir);
	snprintf(csv, sizeof(csv), "2026-05-01T%02d:%02d:00Z,%d\n", i / 60,
	    i % 60, 1000 + i);
	FILE *f = fopen(path, "w");
	fputs(csv, f);
	fclose(f);
	assert_int_equal(fedctl_in(path, NULL, NULL, "ingest",
	                     "test/house/power", "--csv", "-", NULL),
	    0);
}

static int
start_watch(const char *log, const char *count)
{
	char *argv[] = {FEDCTL_BIN, E->node_opt, E->stream_opt,
	    "--token=" ADMIN, "watch", "test/house/", "--count",
	    (char *) count, "--duration", "30s", "--csv", NULL};
	int pid = fed_test_proc_start(argv, log);
	assert_true(pid > 0);
	return pid;
}

// Whether pid has exited (its status in *status).
static bool
exited(int pid, int *status)
{
	int st;
	if (waitpid(pid, &st, WNOHANG) != pid)
		return false;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 99;
	return true;
}

// The watch's point lines (the log also holds its stderr): values must
// be consecutive. Returns their number; *notes counts the other lines
// that contain `note`.
static int
check_watch_log(const char *log, const char *note, int *notes)
{
	FILE *f = fopen(log, "r");
	assert_non_null(f);
	char line[256];
	int prev = -1, lines = 0;
	*notes = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = strstr(line, ",test/house/power,");
		if (p == NULL) {
			*notes += strstr(line, note) != NULL;
			continue;
		}
		int v = atoi(p + strlen(",test/house/power,"));
		assert_true(v >= 1000);
		if (prev >= 0 && v != prev + 1)
			fail_msg("watch printed %d after %d", v, prev);
		prev = v;
		lines++;
	}
	fclose(f);
	return lines;
}

// watch is started first; points are ingested one by one until it has
// printed its 3 and exited: they must be 3 consecutive ingested points.
static void
test_watch(void **state)
{
	(void) state;
	char log[600];
	snprintf(log, sizeof(log), "%s/watch.out", E->dir);
	int pid = start_watch(log, "3"), status = -1;
	for (int i = 0; i < 60 && !exited(pid, &status); i++)
		ingest_one(i);
	if (status < 0)
		status = fed_test_proc_stop(pid, SIGTERM, 5000);
	assert_int_equal(status, 0);
	int notes;
	assert_int_equal(check_watch_log(log, "back-fill", &notes), 3);
}

// The node restarts under a watch: the points stored while its stream was
// away are fetched by a Query (stderr says so), so none is missing.
static void
test_watch_restart(void **state)
{
	struct env *e = *state;
	char log[600];
	snprintf(log, sizeof(log), "%s/watch2.out", E->dir);
	int pid = start_watch(log, "8"), status = -1, i = 100, notes;
	while (i < 160 && check_watch_log(log, "x", &notes) == 0)
		ingest_one(i++);
	assert_int_equal(fed_test_proc_stop(e->pid, SIGTERM, 10000), 0);
	node_start(e);
	// Stored at once, most likely before the watch has redialled.
	ingest_one(i++);
	ingest_one(i++);
	// The watch redials in the background: feed it for up to 10 s.
	for (int n = 0; n < 200 && !exited(pid, &status); n++) {
		ingest_one(i++);
		fed_test_sleep_ms(50);
	}
	if (status < 0)
		status = fed_test_proc_stop(pid, SIGTERM, 5000);
	assert_int_equal(status, 0);
	// Whether the stream reports the loss as lost frames or as the
	// node's restart depends on when the watch redials; either way the
	// missing points are fetched once and said so.
	assert_int_equal(
	    check_watch_log(log, "fetched by a Query", &notes), 8);
	assert_true(notes >= 1);
}

static void
test_bad_input(void **state)
{
	(void) state;
	char *out, *err;
	// Unknown series: exit 3, the id and the status named.
	assert_int_equal(FEDCTL(&out, &err, "query", "test/none/x"), 3);
	assert_non_null(strstr(err, "test/none/x"));
	assert_non_null(strstr(err, "NOT_FOUND"));
	free(out);
	free(err);
	// A bad line: its number, and nothing stored.
	create("test/bad/energy", "consumption", "Wh");
	char *path = write_file("bad.csv",
	    "2026-01-01T00:00:00+01:00,1\n2026-01-01T01:00:00+01:00,2\n"
	    "2026-01-01T02:00:00+01:00,two\n");
	assert_int_equal(
	    FEDCTL(&out, &err, "ingest", "test/bad/energy", "--csv", path), 1);
	assert_non_null(strstr(err, "bad.csv:3:"));
	assert_non_null(strstr(err, "nothing sent"));
	free(out);
	free(err);
	assert_int_equal(
	    FEDCTL(&out, NULL, "series", "show", "test/bad/energy", "--json"),
	    0);
	cJSON *j = cJSON_Parse(out);
	assert_int_equal(cJSON_GetObjectItem(j, "n_points")->valueint, 0);
	cJSON_Delete(j);
	free(out);
	assert_int_equal(FEDCTL(&out, NULL, "ingest", "test/bad/energy",
	                     "--csv", path, "--skip-bad"),
	    0);
	assert_non_null(strstr(out, "2 stored"));
	assert_non_null(strstr(out, "1 bad lines skipped"));
	free(out);
	free(path);
	// Every line bad: nothing to store is a failure, even when skipping.
	path = write_file("allbad.csv",
	    "2026-01-01T00:00:00+01:00,0x10\n"
	    "2026-01-01T01:00:00+01:00,\"1,5\"\n");
	assert_int_equal(FEDCTL(NULL, &err, "ingest", "test/bad/energy",
	                     "--csv", path, "--skip-bad"),
	    1);
	assert_non_null(strstr(err, "no point to send (2 bad lines skipped)"));
	free(err);
	free(path);
	// Usage errors: exit 2.
	char *argv[] = {FEDCTL_BIN, "--node=127.0.0.1:7410", "--token=t",
	    "series", "ls", NULL};
	assert_int_equal(fed_test_run(argv, NULL, NULL, &err), 2);
	assert_non_null(strstr(err, "is not an address"));
	free(err);
	assert_int_equal(
	    FEDCTL(NULL, &err, "query", DAY, "--from", "soon"), 2);
	assert_non_null(strstr(err, "--from"));
	free(err);
	assert_int_equal(FEDCTL(NULL, NULL, "frobnicate"), 2);
	assert_int_equal(FEDCTL(NULL, NULL, "series", "create", "x/y/z"), 2);
}

// An index with a 3-hour gap in its readings: the node spreads the gap's
// energy over those hours with coverage 0, and the day holds it. fedctl
// shows those hours' estimates with their coverage, so that the hours add
// up to the day, in the table and in JSON.
static void
test_gap_estimate(void **state)
{
	(void) state;
	char *out = NULL;
	assert_int_equal(FEDCTL(&out, NULL, "series", "create", "gap/m/index",
	                     "--kind", "index", "--unit", "Wh", "--cumulative",
	                     "--interval", "5m", "--owner", "Lorient"),
	    0);
	free(out);
	char csv[64 * 300] = "", line[64];
	for (int m = 0; m <= 24 * 60; m += 5) {
		if (m > 6 * 60 && m < 9 * 60)
			continue; // no reading from 06:00 to 09:00
		snprintf(line, sizeof(line),
		    "2026-01-15T%02d:%02d:00+01:00,%d\n",
		    m / 60 == 24 ? 23 : m / 60, m / 60 == 24 ? 59 : m % 60,
		    1000 + 10 * (m / 5));
		strcat(csv, line);
	}
	char *path = write_file("gap.csv", csv);
	assert_int_equal(
	    FEDCTL(&out, NULL, "ingest", "gap/m/index", "--csv", path), 0);
	free(out);
	free(path);
	assert_int_equal(
	    FEDCTL(&out, NULL, "query", "gap/m/index", "--from", "2026-01-15",
	        "--to", "2026-01-16", "--step", "hour", "--json"),
	    0);
	cJSON *j = cJSON_Parse(out), *s, *p;
	double hours = 0;
	int estimates = 0;
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(j, "series"))
	{
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(s, "points"))
		{
			cJSON *v = cJSON_GetObjectItem(p, "v");
			assert_true(cJSON_IsNumber(v)); // no hour left empty
			hours += v->valuedouble;
			estimates
			    += cJSON_GetObjectItem(p, "coverage")->valuedouble
			    == 0;
		}
	}
	cJSON_Delete(j);
	free(out);
	assert_int_equal(estimates, 3); // 06:00, 07:00, 08:00
	assert_int_equal(
	    FEDCTL(&out, NULL, "query", "gap/m/index", "--from", "2026-01-15",
	        "--to", "2026-01-16", "--step", "day", "--json"),
	    0);
	j = cJSON_Parse(out);
	cJSON *series
	    = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "series"), 0);
	double day = cJSON_GetObjectItem(
	    cJSON_GetArrayItem(cJSON_GetObjectItem(series, "points"), 0), "v")
	                 ->valuedouble;
	cJSON_Delete(j);
	free(out);
	assert_true(fabs(hours - day) < 1e-6);
	assert_int_equal(FEDCTL(&out, NULL, "query", "gap/m/index", "--from",
	                     "2026-01-15T06:00+01:00", "--to",
	                     "2026-01-15T09:00+01:00", "--step", "hour"),
	    0);
	assert_non_null(strstr(out, "(0%)"));
	free(out);
}

static void
test_no_token_unreachable(void **state)
{
	(void) state;
	char *err = NULL;
	char *argv[] = {FEDCTL_BIN, E->node_opt, "series", "ls", NULL};
	assert_int_equal(fed_test_run(argv, NULL, NULL, &err), 4);
	assert_non_null(strstr(err, "UNAUTHENTICATED"));
	assert_non_null(strstr(err, "no token"));
	free(err);
	char node[64];
	snprintf(node, sizeof(node), "--node=tcp://127.0.0.1:%d",
	    fed_test_free_port());
	char *argv2[] = {FEDCTL_BIN, node, "--timeout=300ms", "health", NULL};
	assert_int_equal(fed_test_run(argv2, NULL, NULL, NULL), 5);
	// Nothing listening is said at once, not after the whole timeout.
	char *argv4[] = {FEDCTL_BIN, node, "--token=t", "--timeout=60s",
	    "series", "ls", NULL};
	assert_int_equal(fed_test_run(argv4, NULL, NULL, &err), 5);
	assert_non_null(strstr(err, "refused the connection"));
	free(err);
	char ipc[300];
	snprintf(ipc, sizeof(ipc), "--node=ipc://%s/no-such.sock", E->dir);
	char *argv5[] = {FEDCTL_BIN, ipc, "--token=t", "series", "ls", NULL};
	assert_int_equal(fed_test_run(argv5, NULL, NULL, &err), 5);
	assert_non_null(strstr(err, "refused the connection"));
	free(err);
	// Health needs no token.
	char *out = NULL;
	char *argv3[] = {FEDCTL_BIN, E->node_opt, "health", "--json", NULL};
	assert_int_equal(fed_test_run(argv3, NULL, &out, NULL), 0);
	cJSON *j = cJSON_Parse(out);
	assert_string_equal(
	    cJSON_GetObjectItem(j, "node")->valuestring, "lognact");
	cJSON_Delete(j);
	free(out);
}

// The commands listed by `fedctl --help` and the verbs of `fedctl series
// --help`: each answers --help with 0 and is documented in docs/fedctl.md.
static char *
read_doc(void)
{
	char path[1024];
	snprintf(
	    path, sizeof(path), "%s/docs/fedctl.md", getenv("FED_SOURCE_DIR"));
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *doc = calloc(1, 1 << 20);
	fread(doc, 1, (1 << 20) - 1, f);
	fclose(f);
	return doc;
}

// The first words of the lines of `section` (indented by 2) in text.
static size_t
listed(char *text, const char *section, char names[][32], size_t max)
{
	char *p = strstr(text, section);
	assert_non_null(p);
	size_t n = 0;
	for (p += strlen(section); strncmp(p, "  ", 2) == 0 && n < max;) {
		sscanf(p + 2, "%31s", names[n++]);
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	return n;
}

static void
check_help(char *const argv[], const char *doc, const char *title)
{
	char *out = NULL;
	assert_int_equal(fed_test_run(argv, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "Usage: "));
	free(out);
	if (strstr(doc, title) == NULL)
		fail_msg("docs/fedctl.md has no section '%s'", title);
}

static void
test_help_and_doc(void **state)
{
	(void) state;
	char *doc = read_doc(), *out = NULL;
	char *top[] = {FEDCTL_BIN, "--help", NULL};
	assert_int_equal(fed_test_run(top, NULL, &out, NULL), 0);
	char cmds[32][32], verbs[16][32], title[1100];
	size_t n = listed(out, "\nCommands:\n", cmds, 32);
	assert_true(n >= 7);
	free(out);
	for (size_t i = 0; i < n; i++) {
		char *argv[] = {FEDCTL_BIN, cmds[i], "--help", NULL};
		snprintf(title, sizeof(title), "## fedctl %s", cmds[i]);
		check_help(argv, doc, title);
	}
	char *series[] = {FEDCTL_BIN, "series", "--help", NULL};
	assert_int_equal(fed_test_run(series, NULL, &out, NULL), 0);
	size_t nv = listed(out, "\nVerbs:\n", verbs, 16);
	assert_int_equal(nv, 5);
	free(out);
	for (size_t i = 0; i < nv; i++) {
		char *argv[]
		    = {FEDCTL_BIN, "series", verbs[i], "--help", NULL};
		snprintf(
		    title, sizeof(title), "### fedctl series %s", verbs[i]);
		check_help(argv, doc, title);
	}
	free(doc);
}

// A grant made, listed and revoked with fedctl; its token is printed once
// and then works for a query of what it covers, and no more after revoke.
static void
test_grant(void **state)
{
	(void) state;
	create("grant/pv/energy", "production", "Wh");
	char *out = NULL, *err = NULL;
	assert_int_equal(FEDCTL(&out, &err, "grant", "create", "grant/pv/",
	                     "--to", "bmhs", "--scope", "both", "--json"),
	    0);
	char *tok = strstr(out, "\"token\":");
	assert_non_null(tok);
	char token[64] = "", id[64] = "";
	assert_int_equal(sscanf(tok, "\"token\": \"%63[^\"]\"", token), 1);
	assert_int_equal(
	    sscanf(strstr(out, "\"id\":"), "\"id\": \"%63[^\"]\"", id), 1);
	free(out);
	free(err);
	assert_int_equal(FEDCTL(&out, NULL, "grant", "ls"), 0);
	assert_non_null(strstr(out, id));
	assert_non_null(strstr(out, "query+live"));
	free(out);
	assert_int_equal(FEDCTL(&out, NULL, "grant", "ls", "--json"), 0);
	cJSON *j = cJSON_Parse(out), *g;
	assert_true(cJSON_IsArray(j));
	bool found = false;
	cJSON_ArrayForEach(g, j)
	{
		if (strcmp(cJSON_GetObjectItem(g, "id")->valuestring, id) != 0)
			continue;
		assert_string_equal(
		    cJSON_GetObjectItem(g, "scopes")->valuestring,
		    "query+live");
		found = true;
	}
	assert_true(found);
	cJSON_Delete(j);
	free(out);
	char tokopt[100];
	snprintf(tokopt, sizeof(tokopt), "--token=%s", token);
	char *argv[] = {FEDCTL_BIN, E->node_opt, tokopt, "series", "ls", NULL};
	char *o = NULL, *r = NULL;
	assert_int_equal(fed_test_run(argv, NULL, &o, &r), 0);
	assert_non_null(strstr(o, "grant/pv/energy"));
	assert_null(strstr(o, "test/house")); // not covered: not shown
	free(o);
	free(r);
	assert_int_equal(FEDCTL(&out, NULL, "grant", "revoke", id), 0);
	assert_non_null(strstr(out, "[revoked]"));
	free(out);
	assert_int_equal(fed_test_run(argv, NULL, &o, &r), 4);
	free(o);
	free(r);
	// The owner sees both calls in the grant's log, newest first: the
	// refused one after the revocation, then the listing.
	assert_int_equal(FEDCTL(&out, NULL, "grant", "log", id), 0);
	char *refused = strstr(out, "PERMISSION_DENIED");
	assert_non_null(refused);
	assert_non_null(strstr(refused, "ListSeries"));
	free(out);
	assert_int_equal(FEDCTL(&out, NULL, "grant", "log", "--json"), 0);
	j = cJSON_Parse(out);
	assert_true(cJSON_IsArray(j) && cJSON_GetArraySize(j) >= 2);
	cJSON_Delete(j);
	free(out);
	assert_int_equal(
	    FEDCTL(NULL, &err, "grant", "log", id, "--limit", "0"), 2);
	free(err);
	assert_int_equal(
	    FEDCTL(NULL, &err, "grant", "create", "grant/pv/"), 2);
	assert_non_null(strstr(err, "--to"));
	free(err);
}

// The forms of `series ls` and `series rm`: the table to the letter, its
// id column as wide as the longest id; the CSV form (one line of column
// names, one line per series, the box as JSON); the JSON array; a table
// with no row; rm silent with --json; and the verb's usage errors.
static void
test_series_forms(void **state)
{
	(void) state;
	static const char header[]
	    = "ID                               KIND    "
	      "     UNIT     POINTS  LAST              "
	      "OWNER\n";
	char want[1024], *out = NULL, *err = NULL;
	snprintf(want, sizeof(want), "%s%-32s %-12s %-4s %10d  %-16s  %s\n",
	    header, "forms/a/energy", "consumption", "Wh", 0, "-", "Lorient");
	create("forms/a/energy", "consumption", "Wh");
	assert_int_equal(
	    FEDCTL(&out, NULL, "series", "ls", "--prefix", "forms/"), 0);
	assert_string_equal(out, want);
	free(out);
	const char *wide = "forms/b/a-rather-long-inverter-serial/power";
	create(wide, "power", "W");
	snprintf(want, sizeof(want),
	    "%-43s %-12s %-4s %10s  %-16s  %s\n"
	    "%-43s %-12s %-4s %10d  %-16s  %s\n"
	    "%-43s %-12s %-4s %10d  %-16s  %s\n",
	    "ID", "KIND", "UNIT", "POINTS", "LAST", "OWNER", "forms/a/energy",
	    "consumption", "Wh", 0, "-", "Lorient", wide, "power", "W", 0, "-",
	    "Lorient");
	assert_int_equal(
	    FEDCTL(&out, NULL, "series", "ls", "--prefix", "forms/"), 0);
	assert_string_equal(out, want);
	free(out);
	assert_int_equal(
	    FEDCTL(&out, NULL, "series", "ls", "--prefix", "forms/", "--csv"),
	    0);
	assert_non_null(strstr(out,
	    "id,kind,unit,interval_s,source,owner,public,cumulative,"
	    "origin_node,tz,box,n_points,first,last,last_value\n"
	    "forms/a/energy,consumption,Wh,3600,import,Lorient,false,false,,,"
	    "\"[{\"\"key\"\":\"\"building\"\",\"\"value\"\":\"\"primary "
	    "<school> & gym\"\"},{\"\"key\"\":\"\"occupants\"\",\"\"value\"\":"
	    "\"\"240\"\"}]\",0,,,\n"));
	assert_non_null(strstr(out, "\nforms/b/a-rather-long-inverter-"));
	free(out);
	assert_int_equal(FEDCTL(&out, NULL, "series", "rm", wide), 0);
	free(out);
	assert_int_equal(
	    FEDCTL(&out, NULL, "series", "ls", "--prefix", "forms/", "--json"),
	    0);
	cJSON *j = cJSON_Parse(out);
	assert_int_equal(cJSON_GetArraySize(j), 1);
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "id")->valuestring,
	    "forms/a/energy");
	cJSON_Delete(j);
	free(out);
	assert_int_equal(
	    FEDCTL(&out, NULL, "series", "ls", "--prefix", "none/"), 0);
	snprintf(want, sizeof(want), "%s(no series)\n", header);
	assert_string_equal(out, want);
	free(out);
	// rm: nothing on stdout with --json, then NOT_FOUND (exit 3).
	assert_int_equal(
	    FEDCTL(&out, &err, "series", "rm", "forms/a/energy", "--json"), 0);
	assert_string_equal(out, "");
	free(out);
	free(err);
	assert_int_equal(
	    FEDCTL(&out, &err, "series", "rm", "forms/a/energy"), 3);
	assert_string_equal(out, "");
	assert_non_null(
	    strstr(err, "fedctl series rm: DeleteSeries forms/a/energy: "));
	assert_non_null(strstr(err, ": NOT_FOUND\n"));
	free(out);
	free(err);
	create("forms/a/energy", "consumption", "Wh");
	assert_int_equal(
	    FEDCTL(&out, NULL, "series", "rm", "forms/a/energy"), 0);
	assert_string_equal(out, "deleted forms/a/energy\n");
	free(out);
	// The verbs' usage errors, to the letter.
	assert_int_equal(FEDCTL(&out, &err, "series"), 2);
	assert_string_equal(err,
	    "fedctl series: a verb is needed: ls, show, create, describe or "
	    "rm (see 'fedctl series --help')\n");
	free(out);
	free(err);
	assert_int_equal(FEDCTL(&out, &err, "series", "show", "a", "b"), 2);
	assert_string_equal(err,
	    "fedctl series show: unexpected argument 'b' (see 'fedctl series "
	    "show --help')\n");
	free(out);
	free(err);
	assert_int_equal(FEDCTL(&out, &err, "series", "rm"), 2);
	assert_string_equal(err,
	    "fedctl series rm: a series id is needed (see 'fedctl series rm "
	    "--help')\n");
	free(out);
	free(err);
}

// `series ls` follows next_page_token to the end: 520 series are more
// than the node's first page of 500.
static void
test_series_ls_pages(void **state)
{
	(void) state;
	fed_rpc_client *c = fed_test_client(E->rpc, ADMIN);
	assert_non_null(c);
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	Enfed__V1__CreateSeriesRequest cr
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	cr.meta = &m;
	char id[40];
	for (int i = 0; i < 520; i++) {
		snprintf(id, sizeof(id), "paged/%03d", i);
		m.id = id;
		Enfed__V1__SeriesInfo *info = NULL;
		assert_int_equal(
		    fed_test_store_call(c, "CreateSeries", &cr, &info),
		    FED_OK);
		protobuf_c_message_free_unpacked(&info->base, NULL);
	}
	fed_rpc_client_free(c);
	char *out = NULL;
	assert_int_equal(
	    FEDCTL(&out, NULL, "series", "ls", "--prefix", "paged/", "--csv"),
	    0);
	size_t lines = 0;
	for (const char *p = out; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, 521); // the header and every series
	assert_non_null(strstr(out, "\npaged/000,"));
	assert_non_null(strstr(out, "\npaged/519,"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_help_and_doc),
	    cmocka_unit_test(test_ingest_query_csv),
	    cmocka_unit_test(test_query_json_senml),
	    cmocka_unit_test(test_senml_roundtrip),
	    cmocka_unit_test(test_plot_svg),
	    cmocka_unit_test(test_watch),
	    cmocka_unit_test(test_watch_restart),
	    cmocka_unit_test(test_grant),
	    cmocka_unit_test(test_gap_estimate),
	    cmocka_unit_test(test_series_forms),
	    cmocka_unit_test(test_series_ls_pages),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_no_token_unreachable),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
