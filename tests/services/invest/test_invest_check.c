// SPDX-License-Identifier: MIT
//
// test_invest_check.c: the real fed-invest on a damaged database (issue
// 16, item 1). Two projects, holdings; one byte of a project's stored body
// changed on disk beside the running program. Then: GetProject of it is
// DATA_LOSS naming the table and the key while ListProjects answers with
// the other; Integrity/Check, for the admin token only (an investor's and
// an organisation's tokens and no token are refused), lists the row;
// `fedctl invest check` shows it and exits 1 (0 before the damage); the
// periodic scrub (--scrub-interval) puts its counts in Health, without the
// key (Health needs no token). No fed-node runs: none of these calls
// reads a series.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <sqlite3.h>

#include "enfed/v1/health.pb-c.h"
#include "enfed/v1/invest.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed/token.h"
#include "fed_test.h"

#define ADMIN "invest-admin-token-of-the-check-test"
#define ALICE "alice-token-of-the-check-test"
#define BEC   "bec-token-of-the-check-test"
#define ORG   "Bretagne Energie Citoyenne"

static struct {
	char *dir;
	char rpc[200], node[200], stream[200], db[600];
	int pid, node_pid;
	fed_rpc_client *admin, *alice, *bec, *anon;
} e;

static fed_rpc_client *
client(const char *token)
{
	fed_rpc_client *c = fed_test_client(e.rpc, token);
	assert_non_null(c);
	return c;
}

static fed_status
icall(fed_rpc_client *c, const char *method, const void *req, void *rep,
    char *err)
{
	return fed_rpc_call(c, &enfed__v1__invest__descriptor, method, req,
	    (ProtobufCMessage **) rep, err, 300);
}

static fed_status
integrity(fed_rpc_client *c, Enfed__V1__IntegrityReport **rep)
{
	Enfed__V1__IntegrityCheckRequest req
	    = ENFED__V1__INTEGRITY_CHECK_REQUEST__INIT;
	*rep = NULL;
	return fed_rpc_call(c, &enfed__v1__integrity__descriptor, "Check",
	    &req.base, (ProtobufCMessage **) rep, NULL, 0);
}

static void
create_project(const char *id)
{
	Enfed__V1__Project p = ENFED__V1__PROJECT__INIT;
	p.id = (char *) id;
	p.name = "A school roof";
	p.organisation = ORG;
	p.type = ENFED__V1__INSTALLATION_TYPE__INSTALLATION_PHOTOVOLTAIC;
	p.peak_kw = 18;
	p.cost_cents = 3400000;
	p.share_price_cents = 25000;
	p.commissioned_ms = INT64_C(1767135600000);
	p.series_id = "kermelo/pv/energy";
	p.series_node = "lognact";
	Enfed__V1__PutProjectRequest req
	    = ENFED__V1__PUT_PROJECT_REQUEST__INIT;
	req.project = &p;
	Enfed__V1__Project *rep = NULL;
	char err[300] = "";
	assert_int_equal(
	    icall(e.admin, "CreateProject", &req, &rep, err), FED_OK);
	enfed__v1__project__free_unpacked(rep, NULL);
}

static void
put_holding(const char *project, uint32_t shares)
{
	Enfed__V1__Investment inv = ENFED__V1__INVESTMENT__INIT;
	inv.investor = "alice";
	inv.project_id = (char *) project;
	inv.shares = shares;
	inv.acquired_ms = INT64_C(1769900400000);
	Enfed__V1__PutInvestmentRequest req
	    = ENFED__V1__PUT_INVESTMENT_REQUEST__INIT;
	req.investment = &inv;
	Enfed__V1__Investment *rep = NULL;
	char err[300] = "";
	assert_int_equal(
	    icall(e.alice, "PutInvestment", &req, &rep, err), FED_OK);
	enfed__v1__investment__free_unpacked(rep, NULL);
}

static void
write_tokens(void)
{
	char path[600], ha[FED_TOKEN_HASH_LEN + 1], hb[FED_TOKEN_HASH_LEN + 1];
	snprintf(path, sizeof(path), "%s/invest-tokens", e.dir);
	fed_token_hash(ALICE, ha);
	fed_token_hash(BEC, hb);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "alice-app investor %s alice\nbec-app organisation %s %s\n",
	    ha, hb, ORG);
	fclose(f);
}

static int
setup(void **state)
{
	(void) state;
	e.dir = fed_test_tmpdir("invcheck");
	fed_test_isolate_fedctl(e.dir);
	fed_test_ipc_url(e.rpc, sizeof(e.rpc), "invcheck-rpc");
	fed_test_ipc_url(e.node, sizeof(e.node), "invcheck-node");
	fed_test_ipc_url(e.stream, sizeof(e.stream), "invcheck-stream");
	// The node holding the projects' production series: fed-invest
	// checks that a project's series exists there when it is entered.
	e.node_pid = fed_test_node_start(
	    FED_NODE_BIN, "lognact", e.dir, e.node, e.stream, ADMIN, NULL);
	assert_true(e.node_pid > 0);
	fed_rpc_client *nc = fed_test_client(e.node, ADMIN);
	assert_non_null(nc);
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = "kermelo/pv/energy";
	m.owner = ORG;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	m.visibility = ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC;
	Enfed__V1__CreateSeriesRequest cs
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	cs.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(nc, "CreateSeries", &cs, &info), FED_OK);
	protobuf_c_message_free_unpacked(&info->base, NULL);
	fed_rpc_client_free(nc);
	snprintf(e.db, sizeof(e.db), "%s/invest/invest.db", e.dir);
	write_tokens();
	char a[4][700], log[700];
	snprintf(a[0], sizeof(a[0]), "--listen=%s", e.rpc);
	snprintf(a[1], sizeof(a[1]), "--data-dir=%s/invest", e.dir);
	snprintf(a[2], sizeof(a[2]), "--nodes=lognact=%s", e.node);
	snprintf(a[3], sizeof(a[3]), "--tokens-file=%s/invest-tokens", e.dir);
	snprintf(log, sizeof(log), "%s/invest.log", e.dir);
	char *argv[] = {FED_INVEST_BIN, a[0], a[1], a[2], a[3],
	    "--admin-token=" ADMIN, "--node-token=" ADMIN,
	    "--scrub-interval=300ms", "--workers=4", NULL};
	e.pid = fed_test_proc_start(argv, log);
	assert_true(e.pid > 0);
	assert_int_equal(fed_test_wait_health(e.rpc, 10000), FED_OK);
	e.admin = client(ADMIN);
	e.alice = client(ALICE);
	e.bec = client(BEC);
	e.anon = client(NULL);
	create_project("kermelo-pv");
	create_project("lucioles-pv");
	put_holding("kermelo-pv", 2);
	put_holding("lucioles-pv", 1);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	fed_rpc_client_free(e.admin);
	fed_rpc_client_free(e.alice);
	fed_rpc_client_free(e.bec);
	fed_rpc_client_free(e.anon);
	if (e.pid > 0)
		assert_int_equal(fed_test_proc_stop(e.pid, SIGTERM, 5000), 0);
	if (e.node_pid > 0)
		assert_int_equal(
		    fed_test_proc_stop(e.node_pid, SIGTERM, 5000), 0);
	fed_test_rmtree(e.dir);
	free(e.dir);
	return 0;
}

// Changes the byte in the middle of kermelo-pv's packed body, through a
// connection of the test's own: the checksum does not follow.
static void
damage_kermelo(void)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(e.db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(
	    sqlite3_exec(db,
	        "UPDATE project SET body = CAST(substr(body, 1,"
	        " length(body) / 2) || CASE WHEN substr(body,"
	        " length(body) / 2 + 1, 1) = x'5a' THEN x'a5' ELSE x'5a' END"
	        " || substr(body, length(body) / 2 + 2) AS BLOB)"
	        " WHERE id = 'kermelo-pv'",
	        NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

// Runs fedctl with fed-invest's address and `token`; its exit status, its
// stdout in *out (freed by the caller).
static int
fedctl(const char *token, const char *opt, char **out)
{
	char inv_opt[300], tok_opt[300];
	snprintf(inv_opt, sizeof(inv_opt), "--invest=%s", e.rpc);
	snprintf(tok_opt, sizeof(tok_opt), "--invest-token=%s", token);
	char *argv[] = {FEDCTL_BIN, inv_opt, tok_opt, "--utc", "invest",
	    "check", (char *) opt, NULL};
	return fed_test_run(argv, NULL, out, NULL);
}

// Health, until it shows a last check with a bad row (5 s at most).
static void
wait_health_bad(void)
{
	for (int i = 0; i < 100; i++) {
		Enfed__V1__HealthCheckRequest req
		    = ENFED__V1__HEALTH_CHECK_REQUEST__INIT;
		Enfed__V1__HealthCheckResponse *h = NULL;
		assert_int_equal(
		    fed_rpc_call(e.anon, &enfed__v1__health__descriptor,
		        "Check", &req.base, (ProtobufCMessage **) &h, NULL, 0),
		    FED_OK);
		int bad
		    = h->last_check != NULL && h->last_check->n_failed == 1;
		if (bad) { // counts only: Health needs no token
			assert_int_equal(h->last_check->n_blocks, 4);
			assert_int_equal(h->last_check->n_bad, 0);
		}
		protobuf_c_message_free_unpacked(&h->base, NULL);
		if (bad)
			return;
		fed_test_sleep_ms(50);
	}
	fail_msg("Health never showed the bad row");
}

static void
test_damaged_project(void **state)
{
	(void) state;
	char *out = NULL;
	assert_int_equal(fedctl(ADMIN, NULL, &out), 0);
	assert_non_null(strstr(out, "database:    ok (quick_check)"));
	assert_non_null(strstr(out, "rows:        4 checked"));
	assert_non_null(strstr(out, "bad rows:    0"));
	free(out);

	damage_kermelo();
	Enfed__V1__ProjectRequest get = ENFED__V1__PROJECT_REQUEST__INIT;
	get.id = "kermelo-pv";
	Enfed__V1__Project *p = NULL;
	char err[300] = "";
	assert_int_equal(
	    icall(e.alice, "GetProject", &get, &p, err), FED_DATA_LOSS);
	assert_string_equal(
	    err, "project id=kermelo-pv: the stored row fails its checksum");
	Enfed__V1__ListProjectsRequest lr
	    = ENFED__V1__LIST_PROJECTS_REQUEST__INIT;
	Enfed__V1__ListProjectsResponse *list = NULL;
	assert_int_equal(
	    icall(e.alice, "ListProjects", &lr, &list, err), FED_OK);
	assert_int_equal(list->n_projects, 1);
	assert_string_equal(list->projects[0]->id, "lucioles-pv");
	enfed__v1__list_projects_response__free_unpacked(list, NULL);

	Enfed__V1__IntegrityReport *rep = NULL;
	assert_int_equal(integrity(e.admin, &rep), FED_OK);
	assert_int_equal(rep->n_blocks, 4);
	assert_int_equal(rep->n_failed, 1);
	assert_int_equal(rep->n_bad, 1);
	assert_string_equal(rep->bad[0]->table, "project");
	assert_string_equal(rep->bad[0]->key, "id=kermelo-pv");
	assert_string_equal(rep->quick_check, "ok");
	enfed__v1__integrity_report__free_unpacked(rep, NULL);

	assert_int_equal(fedctl(ADMIN, NULL, &out), 1);
	assert_non_null(strstr(out, "bad rows:    1"));
	assert_non_null(
	    strstr(out, "  project id=kermelo-pv: fails its checksum\n"));
	free(out);
	wait_health_bad();
}

// Integrity/Check is the administrator's alone.
static void
test_admin_only(void **state)
{
	(void) state;
	Enfed__V1__IntegrityReport *rep = NULL;
	assert_int_equal(integrity(e.alice, &rep), FED_PERMISSION_DENIED);
	assert_int_equal(integrity(e.bec, &rep), FED_PERMISSION_DENIED);
	assert_int_equal(integrity(e.anon, &rep), FED_UNAUTHENTICATED);
	char *out = NULL;
	assert_int_equal(fedctl(ALICE, NULL, &out), 4);
	free(out);
	assert_int_equal(fedctl(BEC, "--json", &out), 4);
	free(out);
	assert_int_equal(fedctl(ADMIN, "--json", &out), 0);
	assert_non_null(strstr(out, "\"failed\":\t0"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_damaged_project, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_admin_only, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
