// SPDX-License-Identifier: MIT
//
// test_node_reload.c: a real fed-node rereads its tokens file at SIGHUP.
// A token removed from the file is refused from the next call on, one
// added is accepted, a connection opened before the reload goes on
// working, and a file that fails to parse keeps the tokens in force. The
// refused calls are logged with the caller's address and the reason.

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/token.h"
#include "fed_test.h"
#include "node_auth.h"

#define ADMIN "admin-reload-token"
#define TOK_A "fed_token-a-for-the-reload-test"
#define TOK_B "fed_token-b-for-the-reload-test"

static void
write_tokens(const char *path, const char *name, const char *token)
{
	char h[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(token, h);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "# test\n%s reader %s\n", name, h);
	fclose(f);
}

// The number of times needle is in the file at path.
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
	Enfed__V1__ListSeriesRequest req
	    = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	Enfed__V1__ListSeriesResponse *rep = NULL;
	fed_status st = fed_test_store_call(c, "ListSeries", &req, &rep);
	if (rep != NULL)
		protobuf_c_message_free_unpacked(&rep->base, NULL);
	return st;
}

static void
test_reload(void **state)
{
	(void) state;
	char *dir = fed_test_tmpdir("reload");
	assert_non_null(dir);
	char tokens[512], log[512], rpc[64], stream[64];
	snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
	snprintf(log, sizeof(log), "%s/n.log", dir);
	snprintf(rpc, sizeof(rpc), "tcp://127.0.0.1:%d", fed_test_free_port());
	fed_test_ipc_url(stream, sizeof(stream), "reload-stream");
	write_tokens(tokens, "app-a", TOK_A);
	int pid = fed_test_node_start(
	    FED_NODE_BIN, "n", dir, rpc, stream, ADMIN, tokens);
	assert_true(pid > 0);
	fed_rpc_client *a = fed_test_client(rpc, TOK_A);
	fed_rpc_client *b = fed_test_client(rpc, TOK_B);
	fed_rpc_client *admin = fed_test_client(rpc, ADMIN);
	assert_int_equal(list(a), FED_OK);
	assert_int_equal(list(admin), FED_OK); // its connection is open
	assert_int_equal(list(b), FED_UNAUTHENTICATED);
	wait_log(log, "from 127.0.0.1: unknown token", 1);

	// A out, B in.
	write_tokens(tokens, "app-b", TOK_B);
	assert_int_equal(kill(pid, SIGHUP), 0);
	wait_log(log, "tokens reloaded: 2 from", 1);
	assert_int_equal(list(a), FED_UNAUTHENTICATED);
	assert_int_equal(list(b), FED_OK);
	assert_int_equal(list(admin), FED_OK);

	// A broken file is refused: B stays accepted, A refused.
	FILE *f = fopen(tokens, "w");
	assert_non_null(f);
	fprintf(f, "app-b reader not-a-hash\n");
	fclose(f);
	assert_int_equal(kill(pid, SIGHUP), 0);
	wait_log(log, "tokens not reloaded", 1);
	assert_int_equal(list(b), FED_OK);
	assert_int_equal(list(a), FED_UNAUTHENTICATED);
	// A missing file too.
	remove(tokens);
	assert_int_equal(kill(pid, SIGHUP), 0);
	wait_log(log, "tokens not reloaded", 2);
	assert_int_equal(list(b), FED_OK);

	fed_rpc_client_free(a);
	fed_rpc_client_free(b);
	fed_rpc_client_free(admin);
	assert_int_equal(fed_test_proc_stop(pid, SIGTERM, 10000), 0);
	assert_int_equal(count_in_file(log, "signal 15: stopping"), 1);
	fed_test_rmtree(dir);
	free(dir);
}

// Refusals from one address are logged at most 10 times a minute.
static void
test_refusals_rate_limited(void **state)
{
	(void) state;
	char *dir = fed_test_tmpdir("reload-flood");
	assert_non_null(dir);
	char log[512], rpc[64], stream[64];
	snprintf(log, sizeof(log), "%s/n.log", dir);
	snprintf(rpc, sizeof(rpc), "tcp://127.0.0.1:%d", fed_test_free_port());
	fed_test_ipc_url(stream, sizeof(stream), "flood-stream");
	int pid = fed_test_node_start(
	    FED_NODE_BIN, "n", dir, rpc, stream, ADMIN, NULL);
	assert_true(pid > 0);
	fed_rpc_client *bad = fed_test_client(rpc, "fed_nobody");
	for (int i = 0; i < 50; i++)
		assert_int_equal(list(bad), FED_UNAUTHENTICATED);
	fed_rpc_client_free(bad);
	assert_int_equal(fed_test_proc_stop(pid, SIGTERM, 10000), 0);
	assert_int_equal(count_in_file(log, "unknown token"), 10);
	fed_test_rmtree(dir);
	free(dir);
}

#define LIST "/enfed.v1.SeriesStore/ListSeries"

struct readers {
	node_auth *auth;
	atomic_int stop;
	atomic_long n_ok, n_refused, n_bad;
};

// Checks tokens A and B over and over while the main thread reloads: each
// answer must be a whole principal of the table in force or a refusal.
static void *
reader(void *arg)
{
	struct readers *r = arg;
	for (long i = 0; i < 2000000 && !atomic_load(&r->stop); i++) {
		void *p = NULL;
		const char *tok = i % 2 ? TOK_A : TOK_B;
		fed_status st = node_auth_check(tok, LIST, "", &p, r->auth);
		const node_principal *who = p;
		if (st == FED_OK && who != NULL
		    && strcmp(who->name, i % 2 ? "app-a" : "app-b") == 0)
			atomic_fetch_add(&r->n_ok, 1);
		else if (st == FED_UNAUTHENTICATED)
			atomic_fetch_add(&r->n_refused, 1);
		else
			atomic_fetch_add(&r->n_bad, 1);
	}
	return NULL;
}

// The swap under concurrent readers (what the sanitizer builds check):
// no reader sees a half-built table or a freed one.
static void
test_swap_under_readers(void **state)
{
	(void) state;
	char *dir = fed_test_tmpdir("reload-swap");
	char tokens[512], err[256];
	snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
	write_tokens(tokens, "app-a", TOK_A);
	struct readers r = {0};
	assert_int_equal(
	    node_auth_new(ADMIN, NULL, tokens, &r.auth, err, sizeof(err)),
	    FED_OK);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader, &r), 0);
	for (int i = 0; i < 200; i++) {
		write_tokens(
		    tokens, i % 2 ? "app-a" : "app-b", i % 2 ? TOK_A : TOK_B);
		assert_int_equal(
		    node_auth_reload(r.auth, err, sizeof(err)), FED_OK);
		assert_int_equal(node_auth_count(r.auth), 2);
	}
	FILE *f = fopen(tokens, "w");
	fprintf(f, "broken\n");
	fclose(f);
	assert_int_equal(
	    node_auth_reload(r.auth, err, sizeof(err)), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "tokens:1:"));
	atomic_store(&r.stop, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&r.n_bad), 0);
	assert_true(atomic_load(&r.n_ok) > 0);
	// The last good file (i = 199: app-a) is still in force.
	void *p = NULL;
	assert_int_equal(node_auth_check(TOK_A, LIST, "", &p, r.auth), FED_OK);
	assert_int_equal(
	    node_auth_check(TOK_B, LIST, "", &p, r.auth), FED_UNAUTHENTICATED);
	node_auth_free(r.auth);
	fed_test_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_swap_under_readers),
	    cmocka_unit_test(test_reload),
	    cmocka_unit_test(test_refusals_rate_limited),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
