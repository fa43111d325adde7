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
#define PUSH "fed_push-token-of-node-a-for-the-reload-test"
#define T0   INT64_C(1767222000000) // 2026-01-01T00:00:00+01:00

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
create_series(fed_rpc_client *c, const char *id)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(c, "CreateSeries", &req, &info), FED_OK);
	enfed__v1__series_info__free_unpacked(info, NULL);
}

// The raw points of series id held by the node behind c (0 without it).
static size_t
count_points(fed_rpc_client *c, const char *id)
{
	Enfed__V1__QueryResponse *res = NULL;
	size_t n = 0;
	if (fed_test_query(c, id, T0, T0 + 86400000, ENFED__V1__STEP__STEP_RAW,
	        NULL, &res, NULL, 0)
	        == FED_OK
	    && res->n_results == 1)
		n = res->results[0]->n_ts_ms;
	if (res != NULL)
		protobuf_c_message_free_unpacked(&res->base, NULL);
	return n;
}

// Waits (10 s at most) until the node behind c holds n points of id.
static size_t
wait_points(fed_rpc_client *c, const char *id, size_t n)
{
	size_t have = 0;
	for (int i = 0; i < 100 && (have = count_points(c, id)) != n; i++)
		fed_test_sleep_ms(100);
	return have;
}

// Node a replicates nothing while its peers file is empty; once the file
// names node b and a reloads it, the granted series reaches b. A broken
// peers file at a reload keeps b as a peer.
static void
test_peers_reload(void **state)
{
	(void) state;
	char *dir = fed_test_tmpdir("reload-peers");
	assert_non_null(dir);
	char a_rpc[64], a_stream[64], b_rpc[64], b_stream[64];
	char peers[512], b_tokens[512], a_log[512], opt[600], line[600];
	char h[FED_TOKEN_HASH_LEN + 1];
	snprintf(
	    a_rpc, sizeof(a_rpc), "tcp://127.0.0.1:%d", fed_test_free_port());
	snprintf(
	    b_rpc, sizeof(b_rpc), "tcp://127.0.0.1:%d", fed_test_free_port());
	fed_test_ipc_url(a_stream, sizeof(a_stream), "peers-a");
	fed_test_ipc_url(b_stream, sizeof(b_stream), "peers-b");
	snprintf(peers, sizeof(peers), "%s/a.peers", dir);
	snprintf(b_tokens, sizeof(b_tokens), "%s/b.tokens", dir);
	snprintf(a_log, sizeof(a_log), "%s/a.log", dir);
	write_text(peers, "# nobody yet\n");
	fed_token_hash(PUSH, h);
	snprintf(line, sizeof(line), "a replica %s\n", h);
	write_text(b_tokens, line);
	snprintf(opt, sizeof(opt), "--peers-file=%s", peers);
	const char *extra[] = {opt, NULL};
	int a = fed_test_node_start_ex(
	    FED_NODE_BIN, "a", dir, a_rpc, a_stream, ADMIN, NULL, extra);
	int b = fed_test_node_start(
	    FED_NODE_BIN, "b", dir, b_rpc, b_stream, ADMIN, b_tokens);
	assert_true(a > 0 && b > 0);
	fed_rpc_client *ca = fed_test_client(a_rpc, ADMIN);
	fed_rpc_client *cb = fed_test_client(b_rpc, ADMIN);
	create_series(ca, "site/pv/energy");
	fed_test_grant_spec g
	    = {"site/pv/energy", "b", 1, ENFED__V1__STEP__STEP_RAW, 0, 0, 0};
	fed_status st = FED_OK;
	char *grant = fed_test_grant(ca, &g, NULL, &st);
	assert_non_null(grant);
	free(grant);
	assert_int_equal(fed_test_ingest_every(ca, "site/pv/energy", T0,
	                     T0 + 12 * 300000, 300000, 1, 0, 0, NULL, NULL),
	    FED_OK);
	fed_test_sleep_ms(500); // a few replication rounds: nowhere to go
	assert_int_equal(count_points(cb, "site/pv/energy"), 0);

	snprintf(line, sizeof(line), "b %s %s\n", b_rpc, PUSH);
	write_text(peers, line);
	assert_int_equal(kill(a, SIGHUP), 0);
	wait_log(a_log, "peers reloaded: 1 from", 1);
	assert_int_equal(wait_points(cb, "site/pv/energy", 12), 12);

	// A broken file keeps b: what is ingested next still reaches it.
	write_text(peers, "b\n");
	assert_int_equal(kill(a, SIGHUP), 0);
	wait_log(a_log, "peers not reloaded", 1);
	assert_int_equal(
	    fed_test_ingest_every(ca, "site/pv/energy", T0 + 12 * 300000,
	        T0 + 24 * 300000, 300000, 1, 0, 0, NULL, NULL),
	    FED_OK);
	assert_int_equal(wait_points(cb, "site/pv/energy", 24), 24);
	fed_rpc_client_free(ca);
	fed_rpc_client_free(cb);
	assert_int_equal(fed_test_proc_stop(a, SIGTERM, 10000), 0);
	assert_int_equal(fed_test_proc_stop(b, SIGTERM, 10000), 0);
	fed_test_rmtree(dir);
	free(dir);
}

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
	    cmocka_unit_test(test_peers_reload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
