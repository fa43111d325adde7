// SPDX-License-Identifier: MIT
//
// test_dir_check.c: the real fed-directory on a damaged database (issue
// 16, item 1). Two nodes registered; one bit of one node's row flipped on
// disk beside the running program. Then: Lookup of that node is DATA_LOSS
// naming the table and the key while List answers with the other;
// Integrity/Check, for the admin token only (the enrolment token, a node's
// token and no token are refused), lists the row; `fedctl directory check`
// shows it and exits 1 (0 before the damage); the periodic scrub
// (--scrub-interval) puts its counts in Health, without the key (Health
// needs no token).

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

#include "enfed/v1/directory.pb-c.h"
#include "enfed/v1/health.pb-c.h"
#include "fed/rpc.h"
#include "fed_test.h"

#define ENROL "enrolment-token-of-the-check-test"
#define ADMIN "directory-admin-token-of-the-check-test"

static struct {
	char *dir;
	char rpc[200], stream[200], db[600];
	int pid;
	fed_rpc_client *admin, *enrol, *node, *anon;
} e;

static fed_rpc_client *
client(const char *token)
{
	fed_rpc_client *c = fed_test_client(e.rpc, token);
	assert_non_null(c);
	return c;
}

static fed_status
dcall(fed_rpc_client *c, const char *method, const void *req, void *rep,
    char *err)
{
	return fed_rpc_call(c, &enfed__v1__directory__descriptor, method, req,
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

// Registers `name` of `org` offering one series under `site`; its node
// token into token (when not NULL).
static void
register_node(const char *name, const char *org, const char *series,
    char *token, size_t token_len)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) series;
	Enfed__V1__SeriesMeta *offers[] = {&m};
	Enfed__V1__NodeRecord rec = ENFED__V1__NODE_RECORD__INIT;
	rec.name = (char *) name;
	rec.organisation = (char *) org;
	rec.rpc_addr = "tcp://127.0.0.1:7410";
	rec.stream_addr = "tcp://127.0.0.1:7411";
	rec.n_offers = 1;
	rec.offers = offers;
	Enfed__V1__RegisterRequest req = ENFED__V1__REGISTER_REQUEST__INIT;
	req.node = &rec;
	Enfed__V1__RegisterResponse *rep = NULL;
	char err[300] = "";
	assert_int_equal(
	    dcall(e.enrol, "RegisterNode", &req, &rep, err), FED_OK);
	if (token != NULL)
		snprintf(token, token_len, "%s", rep->node_token);
	enfed__v1__register_response__free_unpacked(rep, NULL);
}

static int
setup(void **state)
{
	(void) state;
	e.dir = fed_test_tmpdir("dircheck");
	fed_test_isolate_fedctl(e.dir);
	fed_test_ipc_url(e.rpc, sizeof(e.rpc), "dircheck-rpc");
	fed_test_ipc_url(e.stream, sizeof(e.stream), "dircheck-pub");
	snprintf(e.db, sizeof(e.db), "%s/directory.db", e.dir);
	char a[4][700], log[700];
	snprintf(a[0], sizeof(a[0]), "--listen=%s", e.rpc);
	snprintf(a[1], sizeof(a[1]), "--stream=%s", e.stream);
	snprintf(a[2], sizeof(a[2]), "--db=%s", e.db);
	snprintf(a[3], sizeof(a[3]), "--admin-token=%s", ADMIN);
	snprintf(log, sizeof(log), "%s/directory.log", e.dir);
	char *argv[] = {FED_DIRECTORY_BIN, a[0], a[1], a[2], a[3],
	    "--enrolment-token=" ENROL, "--scrub-interval=300ms",
	    "--workers=4", NULL};
	e.pid = fed_test_proc_start(argv, log);
	assert_true(e.pid > 0);
	assert_int_equal(fed_test_wait_health(e.rpc, 10000), FED_OK);
	e.admin = client(ADMIN);
	e.enrol = client(ENROL);
	e.anon = client(NULL);
	char token[100];
	register_node("lognact", "Bretagne Energie Citoyenne",
	    "kermelo/pv/energy", token, sizeof(token));
	register_node(
	    "maison", "Household app", "house4/linky/energy", NULL, 0);
	e.node = client(token);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	fed_rpc_client_free(e.admin);
	fed_rpc_client_free(e.enrol);
	fed_rpc_client_free(e.node);
	fed_rpc_client_free(e.anon);
	if (e.pid > 0)
		assert_int_equal(fed_test_proc_stop(e.pid, SIGTERM, 5000), 0);
	fed_test_rmtree(e.dir);
	free(e.dir);
	return 0;
}

// One bit of lognact's organisation flipped ('e' 0x65 to 'a' 0x61),
// through a connection of the test's own: the checksum does not follow.
static void
flip_lognact(void)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(e.db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db,
	                     "UPDATE nodes SET organisation ="
	                     " 'Bretagne Energia Citoyenne'"
	                     " WHERE name = 'lognact'",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

// Runs fedctl with the directory's address and `token`; its exit status,
// its stdout in *out (freed by the caller).
static int
fedctl(const char *token, const char *verb, const char *opt, char **out)
{
	char dir_opt[300], tok_opt[300];
	snprintf(dir_opt, sizeof(dir_opt), "--directory=%s", e.rpc);
	snprintf(tok_opt, sizeof(tok_opt), "--directory-token=%s", token);
	char *argv[] = {FEDCTL_BIN, dir_opt, tok_opt, "--utc", "directory",
	    (char *) verb, (char *) opt, NULL};
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
			assert_int_equal(h->last_check->n_blocks, 2 + 2 + 2);
			assert_int_equal(h->last_check->n_bad, 0);
			assert_string_equal(h->last_check->quick_check, "ok");
		}
		protobuf_c_message_free_unpacked(&h->base, NULL);
		if (bad)
			return;
		fed_test_sleep_ms(50);
	}
	fail_msg("Health never showed the bad row");
}

static void
test_damaged_row(void **state)
{
	(void) state;
	char *out = NULL;
	assert_int_equal(fedctl(ADMIN, "check", NULL, &out), 0);
	assert_non_null(strstr(out, "database:    ok (quick_check)"));
	assert_non_null(strstr(out, "rows:        6 checked"));
	assert_non_null(strstr(out, "bad rows:    0"));
	free(out);

	flip_lognact();
	Enfed__V1__LookupRequest lq = ENFED__V1__LOOKUP_REQUEST__INIT;
	lq.name = "lognact";
	Enfed__V1__LookupResponse *lr = NULL;
	char err[300] = "";
	assert_int_equal(
	    dcall(e.enrol, "Lookup", &lq, &lr, err), FED_DATA_LOSS);
	assert_string_equal(
	    err, "nodes name=lognact: the stored row fails its checksum");
	// Its owner's heartbeat says so too.
	Enfed__V1__HeartbeatRequest hb = ENFED__V1__HEARTBEAT_REQUEST__INIT;
	hb.name = "lognact";
	Enfed__V1__HeartbeatResponse *hr = NULL;
	assert_int_equal(
	    dcall(e.node, "Heartbeat", &hb, &hr, err), FED_DATA_LOSS);
	assert_string_equal(
	    err, "nodes name=lognact: the stored row fails its checksum");
	// List answers with the rest.
	Enfed__V1__ListNodesRequest ls = ENFED__V1__LIST_NODES_REQUEST__INIT;
	assert_int_equal(dcall(e.enrol, "List", &ls, &lr, err), FED_OK);
	assert_int_equal(lr->n_nodes, 1);
	assert_string_equal(lr->nodes[0]->name, "maison");
	enfed__v1__lookup_response__free_unpacked(lr, NULL);

	Enfed__V1__IntegrityReport *rep = NULL;
	assert_int_equal(integrity(e.admin, &rep), FED_OK);
	assert_int_equal(rep->n_blocks, 6);
	assert_int_equal(rep->n_failed, 1);
	assert_int_equal(rep->n_bad, 1);
	assert_string_equal(rep->bad[0]->table, "nodes");
	assert_string_equal(rep->bad[0]->key, "name=lognact");
	assert_string_equal(rep->bad[0]->reason, "fails its checksum");
	assert_string_equal(rep->quick_check, "ok");
	enfed__v1__integrity_report__free_unpacked(rep, NULL);

	assert_int_equal(fedctl(ADMIN, "check", NULL, &out), 1);
	assert_non_null(strstr(out, "bad rows:    1"));
	assert_non_null(
	    strstr(out, "  nodes name=lognact: fails its checksum\n"));
	free(out);
	assert_int_equal(fedctl(ADMIN, "check", "--json", &out), 1);
	assert_non_null(strstr(out, "\"key\":\t\"name=lognact\""));
	free(out);
	wait_health_bad();
}

// Integrity/Check is the administrator's: the enrolment token and a node's
// token are refused (PERMISSION_DENIED, fedctl's exit 4), no token is
// UNAUTHENTICATED; the administrator reads, but cannot register.
static void
test_admin_only(void **state)
{
	(void) state;
	Enfed__V1__IntegrityReport *rep = NULL;
	assert_int_equal(integrity(e.enrol, &rep), FED_PERMISSION_DENIED);
	assert_int_equal(integrity(e.node, &rep), FED_PERMISSION_DENIED);
	assert_int_equal(integrity(e.anon, &rep), FED_UNAUTHENTICATED);
	fed_rpc_client *other = client("not-a-token-the-directory-knows");
	assert_int_equal(integrity(other, &rep), FED_UNAUTHENTICATED);
	fed_rpc_client_free(other);
	char *out = NULL;
	assert_int_equal(fedctl(ENROL, "check", NULL, &out), 4);
	free(out);
	Enfed__V1__ListNodesRequest ls = ENFED__V1__LIST_NODES_REQUEST__INIT;
	Enfed__V1__LookupResponse *lr = NULL;
	char err[300] = "";
	assert_int_equal(dcall(e.admin, "List", &ls, &lr, err), FED_OK);
	assert_int_equal(lr->n_nodes, 2);
	enfed__v1__lookup_response__free_unpacked(lr, NULL);
	Enfed__V1__NodeRecord rec = ENFED__V1__NODE_RECORD__INIT;
	rec.name = "intruder";
	rec.organisation = "Ops";
	rec.rpc_addr = "tcp://127.0.0.1:7410";
	rec.stream_addr = "tcp://127.0.0.1:7411";
	Enfed__V1__RegisterRequest req = ENFED__V1__REGISTER_REQUEST__INIT;
	req.node = &rec;
	Enfed__V1__RegisterResponse *rr = NULL;
	assert_int_equal(dcall(e.admin, "RegisterNode", &req, &rr, err),
	    FED_PERMISSION_DENIED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_damaged_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_admin_only, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
