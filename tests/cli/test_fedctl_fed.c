// SPDX-License-Identifier: MIT
//
// test_fedctl_fed.c: fedctl's nouns of the federation's services, end to
// end: a real fed-directory, a real fed-node registering with it, and a
// real fed-invest reading the node, driven by the real fedctl binary with
// its output captured and parsed back. The node and its public series
// found with `directory ls|show|lookup`; a project added and read back as
// JSON; a holding beyond the available shares refused with the numbers;
// and `invest summary` checked against figures counted by hand from the
// production ingested (100 Wh an hour, a missing day and two missing
// hours), its sparkline included, and the household's consumption linked
// under the daily grant that `grant create` made on the node (`invest
// link` refused without it, or with a token that is not it). Tables with
// no row are checked to the letter.

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "fed/token.h"
#include "fed_test.h"

#define ADMIN   "admin-secret-for-fedctl-fed-tests"
#define IADMIN  "invest-admin-secret-for-fedctl-tests"
#define ORG     "Bretagne Energie Citoyenne"
#define PV      "test/pv/energy"
#define HOUSE   "test/house/energy"
#define HOUR    INT64_C(3600000)
#define JUNE_1  INT64_C(1780264800000) // 2026-06-01T00:00+02:00
#define JUNE_10 INT64_C(1781042400000) // 2026-06-10T00:00+02:00
#define JUNE_12 INT64_C(1781215200000) // 2026-06-12T00:00+02:00
#define TODAY   INT64_C(1781474400000) // 2026-06-15T00:00+02:00
#define AT      INT64_C(1781517600000) // 2026-06-15T12:00+02:00
#define AT_ARG  "2026-06-15T12:00"
#define EPS     1e-9

#define assert_near(a, b)                                                   \
	do {                                                                \
		double a_ = (a), b_ = (b);                                  \
		if (!(fabs(a_ - b_) <= EPS * fmax(1, fabs(b_))))            \
			fail_msg("%s = %.17g, expected %.17g", #a, a_, b_); \
	} while (0)

struct env {
	char *dir;
	char enrol_file[600], dir_rpc[128], dir_stream[128];
	char node_rpc[128], node_stream[128], inv_rpc[128];
	char o_node[160], o_dir[160], o_dtok[640], o_inv[160];
	int dir_pid, node_pid, inv_pid;
};

static struct env E;

// --- Programs
// -----------------------------------------------------------------

static void
start_directory(void)
{
	char a[4][700], log[700];
	snprintf(a[0], sizeof(a[0]), "--listen=%s", E.dir_rpc);
	snprintf(a[1], sizeof(a[1]), "--stream=%s", E.dir_stream);
	snprintf(a[2], sizeof(a[2]), "--db=%s/directory.db", E.dir);
	snprintf(a[3], sizeof(a[3]), "--enrolment-token=@%s", E.enrol_file);
	snprintf(log, sizeof(log), "%s/directory.log", E.dir);
	char *argv[] = {FED_DIRECTORY_BIN, a[0], a[1], a[2], a[3],
	    "--log-level=warning", "--workers=2", NULL};
	E.dir_pid = fed_test_proc_start(argv, log);
	assert_true(E.dir_pid > 0);
	assert_int_equal(fed_test_wait_health(E.dir_rpc, 10000), FED_OK);
}

// The node registers with the directory, on a lease of 3 s renewed every
// second, a renewal also sending the public series when their number
// changed.
static void
start_node(void)
{
	char d[200], t[700];
	snprintf(d, sizeof(d), "--directory=%s", E.dir_rpc);
	snprintf(t, sizeof(t), "--enrolment-token=@%s", E.enrol_file);
	const char *extra[]
	    = {d, t, "--organisation=" ORG, "--lease=3s", NULL};
	E.node_pid = fed_test_node_start_ex(FED_NODE_BIN, "lognact", E.dir,
	    E.node_rpc, E.node_stream, ADMIN, NULL, extra);
	assert_true(E.node_pid > 0);
}

static void
start_invest(void)
{
	char a[4][700], log[700];
	snprintf(a[0], sizeof(a[0]), "--listen=%s", E.inv_rpc);
	snprintf(a[1], sizeof(a[1]), "--data-dir=%s/invest", E.dir);
	snprintf(a[2], sizeof(a[2]), "--nodes=lognact=%s", E.node_rpc);
	snprintf(a[3], sizeof(a[3]), "--node-token=%s", ADMIN);
	snprintf(log, sizeof(log), "%s/invest.log", E.dir);
	char *argv[]
	    = {FED_INVEST_BIN, a[0], a[1], a[2], a[3], "--admin-token=" IADMIN,
	        "--tz=Europe/Paris", "--log-level=warning", NULL};
	E.inv_pid = fed_test_proc_start(argv, log);
	assert_true(E.inv_pid > 0);
	assert_int_equal(fed_test_wait_health(E.inv_rpc, 10000), FED_OK);
}

static void
tcp_url(char *buf, size_t len)
{
	snprintf(buf, len, "tcp://127.0.0.1:%d", fed_test_free_port());
}

static int
setup(void **state)
{
	(void) state;
	E.dir = fed_test_tmpdir("fedctlfed");
	assert_non_null(E.dir);
	char enrol[FED_TOKEN_LEN + 1];
	assert_int_equal(fed_token_new(enrol, sizeof(enrol)), FED_OK);
	snprintf(E.enrol_file, sizeof(E.enrol_file), "%s/enrol", E.dir);
	FILE *f = fopen(E.enrol_file, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", enrol);
	fclose(f);
	tcp_url(E.dir_rpc, sizeof(E.dir_rpc));
	tcp_url(E.node_rpc, sizeof(E.node_rpc));
	tcp_url(E.inv_rpc, sizeof(E.inv_rpc));
	fed_test_ipc_url(E.dir_stream, sizeof(E.dir_stream), "ffdirpub");
	fed_test_ipc_url(E.node_stream, sizeof(E.node_stream), "ffnodepub");
	snprintf(E.o_node, sizeof(E.o_node), "--node=%s", E.node_rpc);
	snprintf(E.o_dir, sizeof(E.o_dir), "--directory=%s", E.dir_rpc);
	snprintf(
	    E.o_dtok, sizeof(E.o_dtok), "--directory-token=@%s", E.enrol_file);
	snprintf(E.o_inv, sizeof(E.o_inv), "--invest=%s", E.inv_rpc);
	// No user config or environment may leak into the runs.
	fed_test_isolate_fedctl(E.dir);
	start_directory();
	start_node();
	start_invest();
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	int rc = fed_test_proc_stop(E.inv_pid, SIGTERM, 10000);
	rc |= fed_test_proc_stop(E.node_pid, SIGTERM, 10000);
	rc |= fed_test_proc_stop(E.dir_pid, SIGTERM, 10000);
	fed_test_rmtree(E.dir);
	free(E.dir);
	return rc == 0 ? 0 : -1;
}

// Runs fedctl with the three services' options and tokens, then args
// (NULL-terminated). Returns the exit code; *out and *err as fed_test_run.
static int
fedctl(char **out, char **err, ...)
{
	char *argv[64] = {FEDCTL_BIN, E.o_node, "--token=" ADMIN, E.o_dir,
	    E.o_dtok, E.o_inv, "--invest-token=" IADMIN, "--timeout=5s"};
	va_list ap;
	va_start(ap, err);
	fed_test_argv_add(argv, 8, 64, ap);
	va_end(ap);
	char *o = NULL, *r = NULL;
	int rc = fed_test_run(argv, NULL, &o, &r);
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

#define FEDCTL(out, err, ...) fedctl(out, err, __VA_ARGS__, NULL)

static cJSON *
json_of(char *out)
{
	cJSON *j = cJSON_Parse(out);
	if (j == NULL)
		fail_msg("not JSON: %s", out);
	free(out);
	return j;
}

static const char *
str_at(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	if (!cJSON_IsString(v))
		fail_msg("'%s' is not a string", key);
	return v->valuestring;
}

static double
num_at(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	if (!cJSON_IsNumber(v))
		fail_msg("'%s' is not a number", key);
	return v->valuedouble;
}

// --- Data
// -----------------------------------------------------------------------

// Hourly points of `wh` over [from, to) as CSV, except the hours of
// [skip_a, skip_a + len_a) and [skip_b, skip_b + len_b). Returns the path.
static char *
hourly_csv(
    const char *name, int64_t from, int64_t to, int wh, const int64_t skip[4])
{
	char *path = malloc(700);
	snprintf(path, 700, "%s/%s", E.dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int64_t t = from; t < to; t += HOUR) {
		if ((t >= skip[0] && t < skip[0] + skip[1])
		    || (t >= skip[2] && t < skip[2] + skip[3]))
			continue;
		time_t s = (time_t) (t / 1000);
		struct tm tm;
		gmtime_r(&s, &tm);
		char ts[40];
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(f, "%s,%d\n", ts, wh);
	}
	fclose(f);
	return path;
}

static void
ingest(const char *id, const char *kind, const char *path)
{
	assert_int_equal(
	    FEDCTL(NULL, NULL, "series", "create", id, "--kind", kind,
	        "--unit", "Wh", "--interval", "1h", "--owner", ORG, "--public",
	        "--fact", "roof=primary school"),
	    0);
	assert_int_equal(FEDCTL(NULL, NULL, "ingest", id, "--csv", path), 0);
}

// --- directory
// ------------------------------------------------------------------

// The node's public series reaches the directory with a heartbeat: looked
// up until it is there (5 s at most).
static cJSON *
lookup_series(const char *series)
{
	for (int i = 0; i < 50; i++) {
		char *out = NULL;
		assert_int_equal(FEDCTL(&out, NULL, "directory", "lookup",
		                     "--series", series, "--json"),
		    0);
		cJSON *j = json_of(out);
		if (cJSON_GetArraySize(j) > 0)
			return j;
		cJSON_Delete(j);
		fed_test_sleep_ms(100);
	}
	fail_msg("%s never showed in the directory", series);
	return NULL;
}

static void
test_directory(void **state)
{
	(void) state;
	const int64_t none[4] = {0, 0, 0, 0};
	char *pv = hourly_csv("pv0.csv", JUNE_1, JUNE_1 + HOUR, 100, none);
	ingest(PV, "production", pv);
	free(pv);
	cJSON *j = lookup_series(PV);
	assert_int_equal(cJSON_GetArraySize(j), 1);
	cJSON *n = cJSON_GetArrayItem(j, 0);
	assert_string_equal(str_at(n, "name"), "lognact");
	assert_string_equal(str_at(n, "organisation"), ORG);
	assert_string_equal(str_at(n, "rpc_addr"), E.node_rpc);
	assert_string_equal(str_at(n, "stream_addr"), E.node_stream);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(n, "available")));
	cJSON *o = cJSON_GetArrayItem(cJSON_GetObjectItem(n, "offers"), 0);
	assert_string_equal(str_at(o, "id"), PV);
	assert_string_equal(str_at(o, "kind"), "production");
	cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "box"), 0);
	assert_string_equal(str_at(f, "value"), "primary school");
	cJSON_Delete(j);
	// A prefix finds it too; another prefix nothing.
	cJSON_Delete(lookup_series("test/"));
	char *out = NULL, *err = NULL;
	assert_int_equal(FEDCTL(&out, NULL, "directory", "lookup", "--series",
	                     "other/", "--json"),
	    0);
	j = json_of(out);
	assert_int_equal(cJSON_GetArraySize(j), 0);
	cJSON_Delete(j);
	assert_int_equal(
	    FEDCTL(&out, NULL, "directory", "lookup", "--series", "other/"),
	    0);
	assert_string_equal(out,
	    "NAME             ORGANISATION                 STATUS      LEASE "
	    "ENDS          SERIES  RPC / STREAM\n(no node)\n");
	free(out);
	// The table: the node, available, its organisation, how many series
	// it offers (List gives the count, not the offers) and addresses.
	assert_int_equal(FEDCTL(&out, NULL, "directory", "ls"), 0);
	assert_non_null(strstr(out, "lognact"));
	assert_non_null(strstr(out, "available"));
	assert_non_null(strstr(out, ORG));
	char row[300];
	snprintf(row, sizeof(row), "     1  %s", E.node_rpc);
	assert_non_null(strstr(out, row));
	free(out);
	// show: the series and its description box.
	assert_int_equal(
	    FEDCTL(&out, NULL, "directory", "show", "lognact"), 0);
	assert_non_null(strstr(out, "status:        available, lease ends"));
	assert_non_null(strstr(out, "  " PV "  (production, Wh"));
	assert_non_null(strstr(out, "roof: primary school"));
	free(out);
	assert_int_equal(FEDCTL(NULL, &err, "directory", "show", "nobody"), 3);
	assert_non_null(strstr(err, "nobody"));
	free(err);
	assert_int_equal(FEDCTL(NULL, NULL, "directory", "lookup"), 2);
}

static void
test_directory_no_token(void **state)
{
	(void) state;
	char *err = NULL;
	char *argv[]
	    = {FEDCTL_BIN, E.o_dir, "--timeout=5s", "directory", "ls", NULL};
	assert_int_equal(fed_test_run(argv, NULL, NULL, &err), 4);
	assert_non_null(strstr(err, "UNAUTHENTICATED"));
	assert_non_null(strstr(err, "no token"));
	free(err);
	// Not the node's admin token either: the directory does not know it.
	char *argv2[] = {FEDCTL_BIN, E.o_dir, "--token=" ADMIN, "--timeout=5s",
	    "directory", "ls", NULL};
	assert_int_equal(fed_test_run(argv2, NULL, NULL, NULL), 4);
}

// --- project, invest
// ----------------------------------------------------------------

static cJSON *
find_id(cJSON *arr, const char *id)
{
	cJSON *p;
	cJSON_ArrayForEach(p, arr)
	{
		if (strcmp(str_at(p, "id"), id) == 0)
			return p;
	}
	fail_msg("no '%s' in the list", id);
	return NULL;
}

static void
test_project(void **state)
{
	(void) state;
	char *out = NULL;
	assert_int_equal(
	    FEDCTL(&out, NULL, "project", "add", "--id", "kermelo-pv",
	        "--name", "Kermélo school roof", "--organisation", ORG,
	        "--type", "pv", "--location", "Lorient, Morbihan", "--peak-kw",
	        "18", "--cost-eur", "34000", "--share-price-eur", "250",
	        "--commissioned", "2026-06-01", "--series", PV,
	        "--series-node", "lognact", "--url", "https://example.org/k"),
	    0);
	assert_non_null(strstr(out, "34,000 €, 136 shares of 250 €"));
	assert_non_null(strstr(out, "90 m² (derived"));
	free(out);
	assert_int_equal(FEDCTL(&out, NULL, "project", "ls", "--json"), 0);
	cJSON *j = json_of(out);
	cJSON *p = find_id(j, "kermelo-pv");
	assert_string_equal(str_at(p, "name"), "Kermélo school roof");
	assert_string_equal(str_at(p, "organisation"), ORG);
	assert_string_equal(str_at(p, "type"), "pv");
	assert_string_equal(str_at(p, "location"), "Lorient, Morbihan");
	assert_near(num_at(p, "peak_kw"), 18);
	assert_near(num_at(p, "cost_cents"), 3400000);
	assert_near(num_at(p, "share_price_eur"), 250);
	assert_near(num_at(p, "total_shares"), 136);
	assert_near(num_at(p, "effective_panel_m2"), 90);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(p, "panel_m2_derived")));
	assert_string_equal(
	    str_at(p, "commissioned"), "2026-06-01T00:00:00+02:00");
	assert_string_equal(str_at(p, "series_id"), PV);
	assert_string_equal(str_at(p, "series_node"), "lognact");
	assert_string_equal(str_at(p, "url"), "https://example.org/k");
	cJSON_Delete(j);
	// edit changes what it is given only.
	assert_int_equal(FEDCTL(&out, NULL, "project", "edit", "kermelo-pv",
	                     "--panel-m2", "96", "--json"),
	    0);
	j = json_of(out);
	assert_near(num_at(j, "effective_panel_m2"), 96);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(j, "panel_m2_derived")));
	assert_string_equal(str_at(j, "name"), "Kermélo school roof");
	assert_near(num_at(j, "total_shares"), 136);
	cJSON_Delete(j);
	// Tables with no row, to the letter; in CSV, no line.
	assert_int_equal(FEDCTL(&out, NULL, "project", "ls", "--organisation",
	                     "Nobody", "--csv"),
	    0);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(
	    FEDCTL(&out, NULL, "project", "ls", "--organisation", "Nobody"),
	    0);
	assert_string_equal(out,
	    "ID                   TYPE    PEAK kWc           COST      SHARE  "
	    "SHARES  ORGANISATION\n(no project)\n");
	free(out);
	assert_int_equal(
	    FEDCTL(&out, NULL, "invest", "ls", "--project", "kermelo-pv"), 0);
	assert_string_equal(out,
	    "INVESTOR                 PROJECT                SHARES  SINCE\n"
	    "(no holding)\n");
	free(out);
}

static void
test_project_bad(void **state)
{
	(void) state;
	char *err = NULL;
	// A price that does not divide the cost: fed-invest says why.
	assert_int_equal(
	    FEDCTL(NULL, &err, "project", "add", "--id", "bad", "--name", "x",
	        "--organisation", ORG, "--cost-eur", "34000",
	        "--share-price-eur", "300"),
	    1);
	assert_non_null(strstr(err, "113 shares"));
	assert_non_null(strstr(err, "INVALID_ARGUMENT"));
	free(err);
	// Amounts with more than cents, and missing fields: usage.
	assert_int_equal(
	    FEDCTL(NULL, &err, "project", "add", "--id", "bad", "--name", "x",
	        "--organisation", ORG, "--cost-eur", "34000.001",
	        "--share-price-eur", "250"),
	    2);
	assert_non_null(strstr(err, "--cost-eur"));
	free(err);
	assert_int_equal(
	    FEDCTL(NULL, &err, "project", "add", "--id", "bad", "--name", "x"),
	    2);
	assert_non_null(strstr(err, "--organisation is required"));
	free(err);
	assert_int_equal(FEDCTL(NULL, NULL, "project", "show", "nope"), 3);
}

static void
test_invest_add(void **state)
{
	(void) state;
	char *out = NULL, *err = NULL;
	assert_int_equal(FEDCTL(&out, NULL, "invest", "add", "alice",
	                     "kermelo-pv", "2", "--acquired", "2026-06-10"),
	    0);
	assert_non_null(strstr(
	    out, "alice holds 2 shares of kermelo-pv since 2026-06-10 00:00"));
	free(out);
	// Beyond the shares available: refused with the numbers.
	assert_int_equal(
	    FEDCTL(NULL, &err, "invest", "add", "bob", "kermelo-pv", "135"),
	    1);
	assert_non_null(strstr(err, "fedctl invest add: PutInvestment"));
	assert_non_null(strstr(err, "only 134 of its 136 shares remain"));
	assert_non_null(strstr(err, "FAILED_PRECONDITION"));
	free(err);
	assert_int_equal(
	    FEDCTL(NULL, &err, "invest", "add", "bob", "kermelo-pv", "0"), 2);
	free(err);
	assert_int_equal(
	    FEDCTL(NULL, NULL, "invest", "add", "bob", "nope", "1"), 3);
	assert_int_equal(FEDCTL(&out, NULL, "invest", "ls", "--project",
	                     "kermelo-pv", "--json"),
	    0);
	cJSON *j = json_of(out);
	assert_int_equal(cJSON_GetArraySize(j), 1);
	cJSON *h = cJSON_GetArrayItem(j, 0);
	assert_string_equal(str_at(h, "investor"), "alice");
	assert_near(num_at(h, "shares"), 2);
	assert_string_equal(
	    str_at(h, "acquired"), "2026-06-10T00:00:00+02:00");
	cJSON_Delete(j);
	// bob holds 4 for a while: 6 held, then 2 again after rm.
	assert_int_equal(
	    FEDCTL(NULL, NULL, "invest", "add", "bob", "kermelo-pv", "4"), 0);
	assert_int_equal(
	    FEDCTL(&out, NULL, "project", "show", "kermelo-pv"), 0);
	assert_non_null(strstr(out, "6 held, 130 available of 136"));
	free(out);
	assert_int_equal(
	    FEDCTL(&out, NULL, "invest", "rm", "bob", "kermelo-pv"), 0);
	assert_non_null(strstr(out, "removed the holding of bob"));
	free(out);
	assert_int_equal(
	    FEDCTL(&out, NULL, "project", "show", "kermelo-pv"), 0);
	assert_non_null(strstr(out, "2 held, 134 available of 136"));
	free(out);
}

// The household's consent: `grant create` on its node, to the investment
// service, daily totals only; the token it prints once goes to a file
// readable by its owner only. Returns the file's path ("@" + path, for
// --grant-token).
static char *
household_grant(const char *series)
{
	char *out = NULL;
	assert_int_equal(
	    FEDCTL(&out, NULL, "grant", "create", series, "--to",
	        "bcen-invest", "--scope", "query", "--finest", "day"),
	    0);
	const char *t = strstr(out, "\ntoken: ");
	assert_non_null(t);
	t += strlen("\ntoken: ");
	char *arg = malloc(720);
	snprintf(arg, 720, "@%s/household-grant.token", E.dir);
	FILE *f = fopen(arg + 1, "w");
	assert_non_null(f);
	fwrite(t, 1, strcspn(t, "\n"), f);
	fputc('\n', f);
	fclose(f);
	free(out);
	return arg;
}

// `invest link` needs the household's grant: refused without one, or
// with a token that is not a grant of the series.
static void
link_refused(void)
{
	char *err = NULL, bad[600];
	assert_int_equal(FEDCTL(NULL, &err, "invest", "link", "alice", HOUSE,
	                     "--series-node", "lognact"),
	    2);
	assert_non_null(strstr(err, "--grant-token @FILE is needed"));
	free(err);
	snprintf(bad, sizeof(bad), "%s/not-a-grant.token", E.dir);
	FILE *f = fopen(bad, "w");
	assert_non_null(f);
	fputs("fed_not-a-grant-of-anything\n", f);
	fclose(f);
	char arg[700];
	snprintf(arg, sizeof(arg), "--grant-token=@%s", bad);
	assert_int_equal(FEDCTL(NULL, &err, "invest", "link", "alice", HOUSE,
	                     "--series-node", "lognact", arg),
	    4);
	assert_non_null(strstr(err, "PERMISSION_DENIED"));
	assert_null(strstr(err, "not-a-grant-of-anything"));
	free(err);
}

// Production: 100 Wh an hour from 1 June to 15 June 12:00, except the day
// of 12 June and 02:00-04:00 on the 15th. The household: 500 Wh an hour
// from 10 June, linked under its daily grant. alice holds 2 of 136 shares
// since 10 June.
static void
ingest_figures(void)
{
	const int64_t skip[4]
	    = {JUNE_12, 24 * HOUR, TODAY + 2 * HOUR, 2 * HOUR};
	const int64_t none[4] = {0, 0, 0, 0};
	char *pv = hourly_csv("pv.csv", JUNE_1, AT, 100, skip);
	char *house = hourly_csv("house.csv", JUNE_10, AT, 500, none);
	assert_int_equal(FEDCTL(NULL, NULL, "ingest", PV, "--csv", pv), 0);
	ingest(HOUSE, "consumption", house);
	link_refused();
	char *grant = household_grant(HOUSE);
	char *out = NULL;
	assert_int_equal(
	    FEDCTL(&out, NULL, "invest", "link", "alice", HOUSE,
	        "--series-node", "lognact", "--grant-token", grant),
	    0);
	assert_non_null(strstr(out, "under the household's grant"));
	free(out);
	free(grant);
	free(pv);
	free(house);
}

static void
check_period(const cJSON *e, double today, double rest, double today_cov,
    double rest_cov)
{
	assert_near(num_at(e, "today_wh"), today);
	assert_near(num_at(e, "month_wh"), rest);
	assert_near(num_at(e, "year_wh"), rest);
	assert_near(num_at(e, "total_wh"), rest);
	assert_near(num_at(e, "today_coverage"), today_cov);
	assert_near(num_at(e, "month_coverage"), rest_cov);
	assert_near(num_at(e, "total_coverage"), rest_cov);
}

// The 30 days of the sparkline, 17 May to 15 June: nothing held before
// 10 June (null), a day of 100 Wh x 24 x 2/136 from then, but for the
// 12th (no data: null) and the 15th (10 hours).
static void
check_daily(const cJSON *daily)
{
	assert_int_equal(cJSON_GetArraySize(daily), 30);
	assert_string_equal(str_at(cJSON_GetArrayItem(daily, 0), "day"),
	    "2026-05-17T00:00:00+02:00");
	for (int i = 0; i < 30; i++) {
		const cJSON *wh
		    = cJSON_GetObjectItem(cJSON_GetArrayItem(daily, i), "wh");
		if (i < 24 || i == 26) {
			assert_true(cJSON_IsNull(wh));
			continue;
		}
		assert_true(cJSON_IsNumber(wh));
		assert_near(wh->valuedouble, (i == 29 ? 1000.0 : 2400.0) / 68);
	}
}

static void
test_summary(void **state)
{
	(void) state;
	ingest_figures();
	char *out = NULL;
	assert_int_equal(FEDCTL(&out, NULL, "invest", "summary", "alice",
	                     "--at", AT_ARG, "--json"),
	    0);
	cJSON *j = json_of(out);
	assert_string_equal(str_at(j, "investor"), "alice");
	assert_string_equal(str_at(j, "at"), "2026-06-15T12:00:00+02:00");
	assert_near(num_at(j, "invested_cents"), 50000);
	assert_near(num_at(j, "invested_eur"), 500);
	assert_near(num_at(j, "panel_m2"), 96.0 * 2 / 136);
	// Today: 10 of 12 hours. Since 10 June: 132 hours, 106 with data.
	double today = 1000.0 / 68, rest = 10600.0 / 68;
	cJSON *a = cJSON_GetObjectItem(j, "attributed");
	check_period(a, today, rest, 10.0 / 12, 106.0 / 132);
	assert_string_equal(
	    str_at(a, "total_from"), "2026-06-10T00:00:00+02:00");
	assert_near(num_at(j, "households_days"), rest / (4500000.0 / 365));
	assert_near(num_at(j, "co2_avoided_kg"), rest / 1000 * 52 / 1000);
	// The household, in whole days: none today, the 120 hours from 10
	// June to today's midnight, 500 Wh each.
	assert_string_equal(str_at(j, "consumption_series"), HOUSE);
	assert_string_equal(
	    str_at(j, "consumption_until"), "2026-06-15T00:00:00+02:00");
	assert_true(
	    cJSON_IsNull(cJSON_GetObjectItem(j, "consumption_unavailable")));
	cJSON *cons = cJSON_GetObjectItem(j, "consumption");
	assert_near(num_at(cons, "today_wh"), 0);
	assert_near(num_at(cons, "today_coverage"), 0);
	assert_near(num_at(cons, "total_wh"), 60000);
	cJSON *share = cJSON_GetObjectItem(j, "consumption_share");
	assert_near(num_at(share, "today"), 0);
	assert_near(num_at(share, "total"), rest / 60000);
	cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "projects"), 0);
	assert_string_equal(str_at(p, "id"), "kermelo-pv");
	assert_near(num_at(p, "shares"), 2);
	assert_near(num_at(p, "budget_percent"), 200.0 / 136);
	assert_near(num_at(p, "invested_eur"), 500);
	check_period(cJSON_GetObjectItem(p, "attributed"), today, rest,
	    10.0 / 12, 106.0 / 132);
	check_daily(cJSON_GetObjectItem(p, "daily"));
	check_daily(cJSON_GetObjectItem(j, "daily"));
	cJSON_Delete(j);
}

// The text widget: euros, energies with their unit, coverage, and the
// sparkline: 24 days not held and the 12th as gaps, never as the lowest
// block; the 15th (10 of 24 hours) at 3/7 of the height.
static void
test_summary_text(void **state)
{
	(void) state;
	char *out = NULL;
	assert_int_equal(
	    FEDCTL(&out, NULL, "invest", "summary", "alice", "--at", AT_ARG),
	    0);
	assert_non_null(strstr(out, "alice — figures at 2026-06-15 12:00"));
	assert_non_null(strstr(out, "500 € since 2026-06-10"));
	assert_non_null(strstr(out, "2 of 136, 1.47 % of the budget"));
	assert_non_null(strstr(out, "14.7 Wh (83 %)"));
	assert_non_null(strstr(out, "156 Wh (80 %)"));
	assert_non_null(strstr(out, "60 kWh"));
	assert_non_null(strstr(out, HOUSE ", whole days before 2026-06-15"));
	char spark[256];
	snprintf(spark, sizeof(spark),
	    "last 30 days:  %24s██ ██▄  (max 35.3 Wh a day", "");
	assert_non_null(strstr(out, spark));
	assert_null(strstr(out, "▁"));
	free(out);
	assert_int_equal(FEDCTL(&out, NULL, "invest", "summary", "alice",
	                     "--at", AT_ARG, "--ascii", "--days", "7"),
	    0);
	assert_non_null(strstr(out, "last 7 days:    ## ##-  (max"));
	free(out);
}

// --- Help and doc
// -------------------------------------------------------------------

static char *
read_doc(void)
{
	char path[1024];
	snprintf(
	    path, sizeof(path), "%s/docs/fedctl.md", getenv("FED_SOURCE_DIR"));
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *doc = calloc(1, 1 << 20);
	size_t n = fread(doc, 1, (1 << 20) - 1, f);
	fclose(f);
	assert_true(n > 0);
	return doc;
}

// Every verb that `fedctl NOUN --help` lists answers --help and has its
// "### fedctl NOUN VERB" section in docs/fedctl.md.
static void
check_verbs(const char *doc, char *noun, size_t expected)
{
	char *argv[] = {FEDCTL_BIN, noun, "--help", NULL};
	char *out = NULL;
	assert_int_equal(fed_test_run(argv, NULL, &out, NULL), 0);
	char *p = strstr(out, "\nVerbs:\n");
	assert_non_null(p);
	p += strlen("\nVerbs:\n");
	size_t n = 0;
	for (char verb[32]; strncmp(p, "  ", 2) == 0; n++) {
		assert_int_equal(sscanf(p + 2, "%31s", verb), 1);
		char *vargv[] = {FEDCTL_BIN, noun, verb, "--help", NULL};
		char *vout = NULL;
		assert_int_equal(fed_test_run(vargv, NULL, &vout, NULL), 0);
		assert_non_null(strstr(vout, "Usage: fedctl "));
		free(vout);
		char title[96];
		snprintf(
		    title, sizeof(title), "### fedctl %s %s\n", noun, verb);
		if (strstr(doc, title) == NULL)
			fail_msg("docs/fedctl.md has no section '%s'", title);
		p = strchr(p, '\n') + 1;
	}
	assert_int_equal(n, expected);
	free(out);
}

static void
test_help_and_doc(void **state)
{
	(void) state;
	char *doc = read_doc();
	check_verbs(doc, "directory", 4);
	check_verbs(doc, "project", 7);
	check_verbs(doc, "invest", 6);
	assert_non_null(strstr(doc, "`--directory URL`"));
	assert_non_null(strstr(doc, "`--invest URL`"));
	free(doc);
}

// The node's offer count as `directory ls --json` gives it (0: not
// listed).
static int
offer_count(void)
{
	char *out = NULL;
	assert_int_equal(FEDCTL(&out, NULL, "directory", "ls", "--json"), 0);
	cJSON *j = json_of(out);
	const cJSON *n = cJSON_GetArrayItem(j, 0);
	const cJSON *c
	    = n != NULL ? cJSON_GetObjectItem(n, "offer_count") : NULL;
	int count = cJSON_IsNumber(c) ? c->valueint : 0;
	cJSON_Delete(j);
	return count;
}

// Public series whose boxes add up to more than one registration holds
// (40 x 8 KiB > 256 KiB): the node offers what fits, the directory takes
// the registration, and the node stays listed with more offers than before.
static void
test_directory_offers_fit(void **state)
{
	(void) state;
	fed_rpc_client *c = fed_test_client(E.node_rpc, ADMIN);
	assert_non_null(c);
	static char value[1001];
	memset(value, 'v', 1000);
	Enfed__V1__Fact facts[8], *box[8];
	for (size_t i = 0; i < 8; i++) {
		enfed__v1__fact__init(&facts[i]);
		facts[i].key = "k";
		facts[i].value = value;
		box[i] = &facts[i];
	}
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION;
	m.visibility = ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC;
	m.box = box;
	m.n_box = 8;
	Enfed__V1__CreateSeriesRequest cr
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	cr.meta = &m;
	int before = offer_count();
	char id[40];
	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "test/big%02d/energy", i);
		m.id = id;
		Enfed__V1__SeriesInfo *info = NULL;
		assert_int_equal(
		    fed_test_store_call(c, "CreateSeries", &cr, &info),
		    FED_OK);
		protobuf_c_message_free_unpacked(&info->base, NULL);
	}
	fed_rpc_client_free(c);
	int now = before;
	for (int i = 0; i < 100 && now <= before + 20; i++) {
		fed_test_sleep_ms(100);
		now = offer_count();
	}
	assert_true(now > before + 20);
	assert_true(now < before + 40);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_help_and_doc),
	    cmocka_unit_test(test_directory),
	    cmocka_unit_test(test_directory_no_token),
	    cmocka_unit_test(test_directory_offers_fit),
	    cmocka_unit_test(test_project),
	    cmocka_unit_test(test_project_bad),
	    cmocka_unit_test(test_invest_add),
	    cmocka_unit_test(test_summary),
	    cmocka_unit_test(test_summary_text),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
