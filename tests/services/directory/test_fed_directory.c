// SPDX-License-Identifier: MIT
//
// test_fed_directory.c: the real fed-directory program: --help and bad
// configurations exit with the documented codes; started on ipc://
// addresses and a temporary database (the enrolment token read from a
// file), it answers Health and RegisterNode, stops with exit status 0 on
// SIGTERM, and a second run on the same database still knows the node;
// on tls+tcp:// with certificates made by cli/fed-pki, a member calls it
// and receives its membership events.

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
#include "fed/stream.h"
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
	const fed_tls_opts *srv_tls; // the program's certificate, or NULL
	const fed_tls_opts *cli_tls; // the test's, for tls+tcp://
	pid_t pid;
};

// A temporary folder with the database path and the enrolment token in
// a file.
static void
run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->dir = fed_test_tmpdir("fdir");
	assert_non_null(r->dir);
	snprintf(r->db, sizeof(r->db), "%s/directory.db", r->dir);
	snprintf(r->token_file, sizeof(r->token_file), "%s/enrol", r->dir);
	assert_int_equal(fed_token_new(r->enrol, sizeof(r->enrol)), FED_OK);
	FILE *fp = fopen(r->token_file, "w");
	assert_non_null(fp);
	fprintf(fp, "%s\n", r->enrol);
	fclose(fp);
}

static void
run_fini(struct run *r)
{
	fed_test_rmtree(r->dir);
	free(r->dir);
}

static void
ipc_urls(struct run *r)
{
	fed_test_ipc_url(r->listen, sizeof(r->listen), "fdir-rpc");
	fed_test_ipc_url(r->stream, sizeof(r->stream), "fdir-pub");
}

static void
spawn(struct run *r)
{
	char a[7][600];
	snprintf(a[0], sizeof(a[0]), "--listen=%s", r->listen);
	snprintf(a[1], sizeof(a[1]), "--stream=%s", r->stream);
	snprintf(a[2], sizeof(a[2]), "--db=%s", r->db);
	snprintf(a[3], sizeof(a[3]), "--enrolment-token=@%s", r->token_file);
	const fed_tls_opts *t = r->srv_tls;
	snprintf(a[4], sizeof(a[4]), "--tls-cert=%s", t ? t->cert_file : "");
	snprintf(a[5], sizeof(a[5]), "--tls-key=%s", t ? t->key_file : "");
	snprintf(a[6], sizeof(a[6]), "--tls-ca=%s", t ? t->ca_file : "");
	char *argv[] = {program, a[0], a[1], a[2], a[3], a[4], a[5], a[6],
	    "--log-level=warning", "--workers=2", NULL};
	assert_int_equal(
	    posix_spawn(&r->pid, program, NULL, NULL, argv, environ), 0);
}

static fed_rpc_client *
client(const struct run *r, const char *token, uint32_t timeout_ms)
{
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = r->listen;
	o.tls = r->cli_tls;
	o.token = token;
	o.timeout_ms = timeout_ms;
	fed_rpc_client *c = NULL;
	assert_int_equal(fed_rpc_client_new(&o, &c), FED_OK);
	return c;
}

// Waits (bounded) until the program answers Health.
static void
wait_ready(struct run *r)
{
	fed_rpc_client *c = client(r, NULL, 200);
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
	fed_rpc_client *c = client(r, r->enrol, 10000);
	fed_status st = fed_rpc_call(
	    c, &enfed__v1__directory__descriptor, method, req, rep, NULL, 0);
	fed_rpc_client_free(c);
	return st;
}

static Enfed__V1__RegisterRequest *
lognact_request(void)
{
	static Enfed__V1__NodeRecord rec = ENFED__V1__NODE_RECORD__INIT;
	static Enfed__V1__RegisterRequest req
	    = ENFED__V1__REGISTER_REQUEST__INIT;
	rec.name = "lognact";
	rec.organisation = "Bretagne Energie Citoyenne";
	rec.rpc_addr = "tls+tcp://lognact.example:7300";
	rec.stream_addr = "tls+tcp://lognact.example:7301";
	req.node = &rec;
	return &req;
}

static void
test_runs_and_stops(void **state)
{
	(void) state;
	find_program();
	struct run r;
	run_init(&r);
	ipc_urls(&r);
	spawn(&r);
	wait_ready(&r);
	Enfed__V1__RegisterResponse *rep = NULL;
	assert_int_equal(call(&r, "RegisterNode", &lognact_request()->base,
	                     (ProtobufCMessage **) &rep),
	    FED_OK);
	assert_int_equal(strlen(rep->node_token), FED_TOKEN_LEN);
	enfed__v1__register_response__free_unpacked(rep, NULL);
	assert_int_equal(terminate(&r), 0);

	ipc_urls(&r);
	spawn(&r);
	wait_ready(&r);
	// SIGHUP (systemctl reload) does not stop it: it goes on serving.
	assert_int_equal(kill(r.pid, SIGHUP), 0);
	nap_ms(200);
	assert_int_equal(waitpid(r.pid, NULL, WNOHANG), 0);
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
	run_fini(&r);
}

// --- Between organisations: tls+tcp:// with the federation's CA ----------

static int
pki_run(const char *a0, const char *a1, const char *a2, const char *a3,
    const char *a4)
{
	char tool[512];
	snprintf(tool, sizeof(tool), "%s/cli/fed-pki/fed-pki",
	    getenv("FED_SOURCE_DIR"));
	char *argv[] = {tool, (char *) a0, (char *) a1, (char *) a2,
	    (char *) a3, (char *) a4, NULL};
	return fed_test_spawn(argv, 0);
}

static void
count_event(const fed_stream_event *ev, void *arg)
{
	Enfed__V1__MembershipEvent *m
	    = enfed__v1__membership_event__unpack(NULL, ev->msg_len, ev->msg);
	assert_non_null(m);
	assert_string_equal(m->node->name, "lognact");
	enfed__v1__membership_event__free_unpacked(m, NULL);
	(*(int *) arg)++;
}

// Re-registers with the node token until the subscriber sees an event.
static int
events_over_tls(struct run *r, fed_rpc_client *mine)
{
	fed_stream_sub_opts so = {.url = r->stream, .tls = r->cli_tls};
	fed_stream_sub *sub = NULL;
	assert_int_equal(fed_stream_sub_new(&so, &sub), FED_OK);
	assert_int_equal(fed_stream_sub_subscribe(sub, "!members"), FED_OK);
	int n = 0;
	int64_t until = fed_clock_mono_ms() + 20000;
	while (n == 0 && fed_clock_mono_ms() < until) {
		ProtobufCMessage *rep = NULL;
		assert_int_equal(
		    fed_rpc_call(mine, &enfed__v1__directory__descriptor,
		        "RegisterNode", &lognact_request()->base, &rep, NULL,
		        0),
		    FED_OK);
		protobuf_c_message_free_unpacked(rep, NULL);
		fed_stream_sub_recv(sub, 100, count_event, &n);
	}
	fed_stream_sub_free(sub);
	return n;
}

static void
test_over_tls(void **state)
{
	(void) state;
	find_program();
	struct run r;
	run_init(&r);
	char pki[600], f[5][700];
	snprintf(pki, sizeof(pki), "%s/pki", r.dir);
	assert_int_equal(pki_run("ca", pki, NULL, NULL, NULL), 0);
	assert_int_equal(
	    pki_run("node", pki, "directory", "--dns", "localhost"), 0);
	assert_int_equal(pki_run("node", pki, "lognact", NULL, NULL), 0);
	const char *names[] = {"ca.crt", "directory.crt", "directory.key",
	    "lognact.crt", "lognact.key"};
	for (int i = 0; i < 5; i++)
		snprintf(f[i], sizeof(f[i]), "%s/%s", pki, names[i]);
	fed_tls_opts srv = {f[1], f[2], f[0], NULL};
	fed_tls_opts cli = {f[3], f[4], f[0], "localhost"};
	r.srv_tls = &srv;
	r.cli_tls = &cli;
	snprintf(r.listen, sizeof(r.listen), "tls+tcp://127.0.0.1:%d",
	    fed_test_free_port());
	snprintf(r.stream, sizeof(r.stream), "tls+tcp://127.0.0.1:%d",
	    fed_test_free_port());
	spawn(&r);
	wait_ready(&r);
	Enfed__V1__RegisterResponse *rep = NULL;
	assert_int_equal(call(&r, "RegisterNode", &lognact_request()->base,
	                     (ProtobufCMessage **) &rep),
	    FED_OK);
	fed_rpc_client *mine = client(&r, rep->node_token, 10000);
	enfed__v1__register_response__free_unpacked(rep, NULL);
	assert_true(events_over_tls(&r, mine) > 0);
	fed_rpc_client_free(mine);
	assert_int_equal(terminate(&r), 0);
	run_fini(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_help_and_bad_config),
	    cmocka_unit_test(test_runs_and_stops),
	    cmocka_unit_test(test_over_tls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
