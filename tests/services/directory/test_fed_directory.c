// SPDX-License-Identifier: MIT
//
// test_fed_directory.c: the real fed-directory program: --help and bad
// configurations exit with the documented codes; started on ipc://
// addresses and a temporary database (the enrolment token read from a
// file), it answers Health and RegisterNode, stops with exit status 0 on
// SIGTERM, and a second run on the same database still knows the node.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "enfed/v1/directory.pb-c.h"
#include "enfed/v1/health.pb-c.h"
#include "fed/clock.h"
#include "fed/rpc.h"
#include "fed/token.h"
#include "fed_test.h"

extern char **environ;

static char program[1024];

static void
nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void
find_program(void)
{
	const char *b = getenv("FED_BUILD_DIR");
	assert_non_null(b);
	snprintf(program, sizeof(program),
	    "%s/services/directory/fed-directory", b);
	assert_int_equal(access(program, X_OK), 0);
}

static void
test_help_and_bad_config(void **state)
{
	(void) state;
	find_program();
	char *help[] = {program, "--help", NULL};
	assert_int_equal(fed_test_spawn(help, 0), 0);
	char *no_token[] = {program, NULL};
	assert_int_equal(fed_test_spawn(no_token, 0), 2);
	char *bad_hash[] = {program, "--enrolment-token-hash=abc", NULL};
	assert_int_equal(fed_test_spawn(bad_hash, 0), 2);
	char *bad_lease[]
	    = {program, "--enrolment-token=x", "--lease=5", NULL};
	assert_int_equal(fed_test_spawn(bad_lease, 0), 2);
	char *unknown[] = {program, "--enrolment-token=x", "--nope=1", NULL};
	assert_int_equal(fed_test_spawn(unknown, 0), 2);
}

struct run {
	char *dir;
	char token_file[512], db[512], listen[256], stream[256];
	char enrol[FED_TOKEN_LEN + 1];
	pid_t pid;
};

static void
spawn(struct run *r)
{
	fed_test_ipc_url(r->listen, sizeof(r->listen), "fdir-rpc");
	fed_test_ipc_url(r->stream, sizeof(r->stream), "fdir-pub");
	char a_listen[300], a_stream[300], a_db[600], a_token[600];
	snprintf(a_listen, sizeof(a_listen), "--listen=%s", r->listen);
	snprintf(a_stream, sizeof(a_stream), "--stream=%s", r->stream);
	snprintf(a_db, sizeof(a_db), "--db=%s", r->db);
	snprintf(
	    a_token, sizeof(a_token), "--enrolment-token=@%s", r->token_file);
	char *argv[] = {program, a_listen, a_stream, a_db, a_token,
	    "--log-level=warning", "--workers=2", NULL};
	assert_int_equal(
	    posix_spawn(&r->pid, program, NULL, NULL, argv, environ), 0);
}

// Waits (bounded) until the program answers Health.
static void
wait_ready(struct run *r)
{
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = r->listen;
	o.timeout_ms = 200;
	fed_rpc_client *c = NULL;
	assert_int_equal(fed_rpc_client_new(&o, &c), FED_OK);
	Enfed__V1__HealthCheckRequest req
	    = ENFED__V1__HEALTH_CHECK_REQUEST__INIT;
	Enfed__V1__HealthCheckResponse *rep = NULL;
	fed_status st = FED_UNAVAILABLE;
	int64_t until = fed_clock_mono_ms() + 20000;
	while (st != FED_OK && fed_clock_mono_ms() < until) {
		st = fed_rpc_call(c, &enfed__v1__health__descriptor, "Check",
		    &req.base, (ProtobufCMessage **) &rep, NULL, 0);
		if (st != FED_OK)
			nap_ms(20);
	}
	assert_int_equal(st, FED_OK);
	assert_string_equal(rep->service, "fed-directory");
	enfed__v1__health_check_response__free_unpacked(rep, NULL);
	fed_rpc_client_free(c);
}

// SIGTERM, then waits (bounded) for the exit status.
static int
terminate(struct run *r)
{
	assert_int_equal(kill(r->pid, SIGTERM), 0);
	int status = 0;
	int64_t until = fed_clock_mono_ms() + 20000;
	pid_t got = 0;
	while ((got = waitpid(r->pid, &status, WNOHANG)) == 0
	    && fed_clock_mono_ms() < until)
		nap_ms(10);
	if (got != r->pid) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, &status, 0);
		fail_msg("fed-directory did not stop on SIGTERM");
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static fed_status
call(struct run *r, const char *method, const ProtobufCMessage *req,
    ProtobufCMessage **rep)
{
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = r->listen;
	o.token = r->enrol;
	fed_rpc_client *c = NULL;
	assert_int_equal(fed_rpc_client_new(&o, &c), FED_OK);
	fed_status st = fed_rpc_call(
	    c, &enfed__v1__directory__descriptor, method, req, rep, NULL, 0);
	fed_rpc_client_free(c);
	return st;
}

static void
test_runs_and_stops(void **state)
{
	(void) state;
	find_program();
	struct run r = {0};
	r.dir = fed_test_tmpdir("fdir");
	assert_non_null(r.dir);
	snprintf(r.db, sizeof(r.db), "%s/directory.db", r.dir);
	snprintf(r.token_file, sizeof(r.token_file), "%s/enrol", r.dir);
	assert_int_equal(fed_token_new(r.enrol, sizeof(r.enrol)), FED_OK);
	FILE *fp = fopen(r.token_file, "w");
	assert_non_null(fp);
	fprintf(fp, "%s\n", r.enrol);
	fclose(fp);

	spawn(&r);
	wait_ready(&r);
	Enfed__V1__NodeRecord rec = ENFED__V1__NODE_RECORD__INIT;
	rec.name = "lognact";
	rec.organisation = "Bretagne Energie Citoyenne";
	rec.rpc_addr = "tcp://127.0.0.1:7300";
	rec.stream_addr = "tcp://127.0.0.1:7301";
	Enfed__V1__RegisterRequest req = ENFED__V1__REGISTER_REQUEST__INIT;
	req.node = &rec;
	Enfed__V1__RegisterResponse *rep = NULL;
	assert_int_equal(
	    call(&r, "RegisterNode", &req.base, (ProtobufCMessage **) &rep),
	    FED_OK);
	assert_int_equal(strlen(rep->node_token), FED_TOKEN_LEN);
	enfed__v1__register_response__free_unpacked(rep, NULL);
	assert_int_equal(terminate(&r), 0);

	spawn(&r);
	wait_ready(&r);
	Enfed__V1__LookupRequest lq = ENFED__V1__LOOKUP_REQUEST__INIT;
	lq.organisation = "Bretagne Energie Citoyenne";
	Enfed__V1__LookupResponse *lr = NULL;
	assert_int_equal(
	    call(&r, "Lookup", &lq.base, (ProtobufCMessage **) &lr), FED_OK);
	assert_int_equal(lr->n_nodes, 1);
	assert_string_equal(lr->nodes[0]->name, "lognact");
	enfed__v1__lookup_response__free_unpacked(lr, NULL);
	assert_int_equal(terminate(&r), 0);
	fed_test_rmtree(r.dir);
	free(r.dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_help_and_bad_config),
	    cmocka_unit_test(test_runs_and_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
