// SPDX-License-Identifier: MIT
//
// test_invest_reload.c: a real fed-invest rereads its tokens file at
// SIGHUP: a token removed from the file is refused from the next call on,
// one added is accepted, a connection opened before goes on working, and a
// file that fails to parse keeps the tokens in force.

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enfed/v1/invest.pb-c.h"
#include "fed/token.h"
#include "fed_test.h"

#define ADMIN "invest-admin-reload"
#define TOK_A "fed_invest-a-for-the-reload-test"
#define TOK_B "fed_invest-b-for-the-reload-test"

// Writes the line `name investor HASH(token) bound` (no bound: "").
static void
write_tokens(
    const char *path, const char *name, const char *token, const char *bound)
{
	char h[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(token, h);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s investor %s %s\n", name, h, bound);
	fclose(f);
}

static int
count_in_file(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	char line[2048];
	int n = 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

// Waits (5 s at most) until needle is in the log n times.
static void
wait_log(const char *log, const char *needle, int n)
{
	for (int i = 0; i < 500 && count_in_file(log, needle) < n; i++)
		fed_test_sleep_ms(10);
	assert_int_equal(count_in_file(log, needle), n);
}

static fed_status
list(fed_rpc_client *c)
{
	Enfed__V1__ListProjectsRequest req
	    = ENFED__V1__LIST_PROJECTS_REQUEST__INIT;
	ProtobufCMessage *rep = NULL;
	char err[256];
	fed_status st = fed_rpc_call(c, &enfed__v1__invest__descriptor,
	    "ListProjects", &req.base, &rep, err, sizeof(err));
	if (rep != NULL)
		protobuf_c_message_free_unpacked(rep, NULL);
	return st;
}

static void
test_reload(void **state)
{
	(void) state;
	char *dir = fed_test_tmpdir("invest-reload");
	assert_non_null(dir);
	char tokens[512], log[512], rpc[64], a[4][600];
	snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
	snprintf(log, sizeof(log), "%s/invest.log", dir);
	snprintf(rpc, sizeof(rpc), "tcp://127.0.0.1:%d", fed_test_free_port());
	write_tokens(tokens, "alice", TOK_A, "alice");
	snprintf(a[0], sizeof(a[0]), "--listen=%s", rpc);
	snprintf(a[1], sizeof(a[1]), "--data-dir=%s/data", dir);
	snprintf(a[2], sizeof(a[2]), "--admin-token=%s", ADMIN);
	snprintf(a[3], sizeof(a[3]), "--tokens-file=%s", tokens);
	char *argv[] = {
	    FED_INVEST_BIN, a[0], a[1], a[2], a[3], "--log-level=debug", NULL};
	int pid = fed_test_proc_start(argv, log);
	assert_true(pid > 0);
	assert_int_equal(fed_test_wait_health(rpc, 10000), FED_OK);
	fed_rpc_client *ca = fed_test_client(rpc, TOK_A);
	fed_rpc_client *cb = fed_test_client(rpc, TOK_B);
	fed_rpc_client *admin = fed_test_client(rpc, ADMIN);
	assert_int_equal(list(ca), FED_OK);
	assert_int_equal(list(admin), FED_OK);
	assert_int_equal(list(cb), FED_UNAUTHENTICATED);

	write_tokens(tokens, "bob", TOK_B, "bob");
	assert_int_equal(kill(pid, SIGHUP), 0);
	wait_log(log, "tokens reloaded: 2 from", 1);
	assert_int_equal(list(ca), FED_UNAUTHENTICATED);
	assert_int_equal(list(cb), FED_OK);
	assert_int_equal(list(admin), FED_OK);

	// An investor line without its investor id is refused: B stays.
	write_tokens(tokens, "bob", TOK_B, "");
	assert_int_equal(kill(pid, SIGHUP), 0);
	wait_log(log, "tokens not reloaded", 1);
	assert_int_equal(list(cb), FED_OK);
	assert_int_equal(list(ca), FED_UNAUTHENTICATED);

	fed_rpc_client_free(ca);
	fed_rpc_client_free(cb);
	fed_rpc_client_free(admin);
	assert_int_equal(fed_test_proc_stop(pid, SIGTERM, 10000), 0);
	fed_test_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
