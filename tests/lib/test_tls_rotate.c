// SPDX-License-Identifier: MIT
//
// test_tls_rotate.c: certificate rotation through enfed's TLS engine
// (fed_tls_credentials_reload, which SIGHUP runs through
// fed_process_reload), on tls+tcp://127.0.0.1 with certificates made by
// cli/fed-pki for this test: a server whose certificate is replaced keeps
// its established connection as it was and presents the new certificate
// to new ones; a CA rotated in two steps (old and new, then new only)
// refuses the clients of the old CA after the second step; a broken,
// mismatched or missing file at a reload changes nothing, and says which
// file and why.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "enfed/test/echo.pb-c.h"
#include "fed/log.h"
#include "fed/process.h"
#include "fed/rpc.h"
#include "fed/tls.h"
#include "fed_test.h"
#include "fed_test_tls.h"
#include "transport_internal.h"

enum {
	CA_A, // the federation's CA
	SRV_A_CRT, // the server's certificate, then its successor
	SRV_A_KEY,
	SRV_B_CRT,
	SRV_B_KEY,
	CLI_A_CRT, // a client of CA A
	CLI_A_KEY,
	CA_B, // the CA that replaces A
	CLI_B_CRT, // a client of CA B
	CLI_B_KEY,
	CA_AB, // both CAs: what the clients trust
	N_FILES
};

struct pki {
	char *dir;
	char path[N_FILES][512];
};

// The files a server was started with, which the test then replaces.
struct live {
	char ca[600], crt[600], key[600];
};

// Writes the files src[0..n) one after the other into dst.
static int
cat_files(const char *dst, const char *const *src, int n)
{
	FILE *out = fopen(dst, "w");
	if (out == NULL)
		return -1;
	int bad = 0;
	for (int i = 0; i < n && !bad; i++) {
		FILE *in = fopen(src[i], "rb");
		char buf[4096];
		size_t got;
		bad = in == NULL;
		while (!bad && (got = fread(buf, 1, sizeof(buf), in)) > 0)
			bad = fwrite(buf, 1, got, out) != got;
		if (in != NULL)
			fclose(in);
	}
	return fclose(out) != 0 || bad ? -1 : 0;
}

static void
copy_file(const char *src, const char *dst)
{
	assert_int_equal(cat_files(dst, &src, 1), 0);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int
setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));
	p->dir = fed_test_tmpdir("tlsrot");
	char a[512], b[512];
	snprintf(a, sizeof(a), "%s/a", p->dir);
	snprintf(b, sizeof(b), "%s/b", p->dir);
	if (fed_test_pki("ca", a, NULL) != 0
	    || fed_test_pki("node", a, "server", "--dns", "localhost", NULL)
	        != 0
	    || fed_test_pki("node", a, "server2", "--dns", "localhost", NULL)
	        != 0
	    || fed_test_pki("node", a, "client", NULL) != 0
	    || fed_test_pki("ca", b, NULL) != 0
	    || fed_test_pki("node", b, "client", NULL) != 0)
		return -1;
	const char *files[] = {"a/ca.crt", "a/server.crt", "a/server.key",
	    "a/server2.crt", "a/server2.key", "a/client.crt", "a/client.key",
	    "b/ca.crt", "b/client.crt", "b/client.key", "ab-ca.crt"};
	for (int i = 0; i < N_FILES; i++)
		snprintf(
		    p->path[i], sizeof(p->path[i]), "%s/%s", p->dir, files[i]);
	const char *both[] = {p->path[CA_A], p->path[CA_B]};
	if (cat_files(p->path[CA_AB], both, 2) != 0)
		return -1;
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	struct pki *p = *state;
	fed_test_rmtree(p->dir);
	free(p->dir);
	free(p);
	return 0;
}

// The server's files in a folder of their own (tag), first as CA A and
// server certificate A.
static void
live_init(const struct pki *p, const char *tag, struct live *l)
{
	snprintf(l->ca, sizeof(l->ca), "%s/%s-ca.crt", p->dir, tag);
	snprintf(l->crt, sizeof(l->crt), "%s/%s-srv.crt", p->dir, tag);
	snprintf(l->key, sizeof(l->key), "%s/%s-srv.key", p->dir, tag);
	copy_file(p->path[CA_A], l->ca);
	copy_file(p->path[SRV_A_CRT], l->crt);
	copy_file(p->path[SRV_A_KEY], l->key);
}

static fed_rpc_server *
echo_server(const struct live *l, const char *url)
{
	fed_tls_opts tls = {l->crt, l->key, l->ca, NULL};
	fed_rpc_server *srv = fed_test_echo_server(url, &tls);
	assert_non_null(srv);
	return srv;
}

// One request from req to rep; the pipe the client received the reply
// on, through *cli_pipe.
static void
exchange(nng_socket req, nng_socket rep, nng_pipe *cli_pipe)
{
	nng_msg *m = NULL;
	assert_int_equal(nng_msg_alloc(&m, 0), 0);
	assert_int_equal(nng_msg_append(m, "ping", 4), 0);
	assert_int_equal(nng_sendmsg(req, m, 0), 0);
	assert_int_equal(nng_recvmsg(rep, &m, 0), 0);
	assert_int_equal(nng_sendmsg(rep, m, 0), 0);
	assert_int_equal(nng_recvmsg(req, &m, 0), 0);
	*cli_pipe = nng_msg_get_pipe(m);
	nng_msg_free(m);
}

static void
open_req(nng_socket *req)
{
	assert_int_equal(nng_req0_open(req), 0);
	assert_int_equal(nng_socket_set_ms(*req, NNG_OPT_RECVTIMEO, 5000), 0);
	// REQ's send waits for a pipe; a stuck handshake fails, not hangs.
	assert_int_equal(nng_socket_set_ms(*req, NNG_OPT_SENDTIMEO, 5000), 0);
}

// The serial of the server's certificate (CN server or server2), as the
// client of pipe saw it.
static void
server_serial(nng_pipe pipe, char *serial, size_t len)
{
	char cn[96];
	assert_int_equal(
	    fed__transport_pipe_cert(pipe, cn, sizeof(cn), serial, len),
	    FED_OK);
	assert_int_equal(strncmp(cn, "server", 6), 0);
}

// The server's certificate replaced by B (same CA, new serial) and
// reloaded: the connection already open goes on with A, on the same pipe;
// a new connection is shown B; the notice names B's serial.
static void
test_rotate_server_cert(void **state)
{
	struct pki *p = *state;
	struct live l;
	live_init(p, "cert", &l);
	char url[64], a_serial[64], b_serial[64], seen[64];
	assert_int_equal(fed_test_cert_serial(p->path[SRV_A_CRT], a_serial,
	                     sizeof(a_serial), NULL, 0),
	    0);
	assert_int_equal(fed_test_cert_serial(p->path[SRV_B_CRT], b_serial,
	                     sizeof(b_serial), NULL, 0),
	    0);
	assert_string_not_equal(a_serial, b_serial);
	snprintf(
	    url, sizeof(url), "tls+tcp://127.0.0.1:%d", fed_test_free_port());
	fed_tls_opts srv = {l.crt, l.key, l.ca, NULL};
	fed_tls_opts cli = {p->path[CLI_A_CRT], p->path[CLI_A_KEY],
	    p->path[CA_A], "localhost"};
	nng_socket rep, req1, req2;
	nng_dialer d1, d2;
	nng_pipe first, again, second;
	assert_int_equal(nng_rep0_open(&rep), 0);
	assert_int_equal(nng_socket_set_ms(rep, NNG_OPT_RECVTIMEO, 5000), 0);
	assert_int_equal(nng_socket_set_ms(rep, NNG_OPT_SENDTIMEO, 5000), 0);
	assert_int_equal(fed__transport_listen(rep, url, &srv), FED_OK);
	open_req(&req1);
	assert_int_equal(fed__transport_dial(req1, url, &cli, &d1), FED_OK);
	exchange(req1, rep, &first);
	server_serial(first, seen, sizeof(seen));
	assert_string_equal(seen, a_serial);

	copy_file(p->path[SRV_B_CRT], l.crt);
	copy_file(p->path[SRV_B_KEY], l.key);
	fed_test_log_reset();
	assert_int_equal(fed_tls_credentials_reload(), FED_OK);
	assert_true(fed_test_log_has(
	    "TLS certificates reloaded for", l.crt, b_serial));
	assert_true(fed_test_log_has(
	    "TLS certificates reloaded for", "expires", NULL));

	// The established connection: same pipe, same certificate.
	exchange(req1, rep, &again);
	assert_int_equal(nng_pipe_id(again), nng_pipe_id(first));
	server_serial(again, seen, sizeof(seen));
	assert_string_equal(seen, a_serial);

	// A new one: the new certificate.
	open_req(&req2);
	assert_int_equal(fed__transport_dial(req2, url, &cli, &d2), FED_OK);
	exchange(req2, rep, &second);
	server_serial(second, seen, sizeof(seen));
	assert_string_equal(seen, b_serial);
	// And the first still works after the second came.
	exchange(req1, rep, &again);
	assert_int_equal(nng_pipe_id(again), nng_pipe_id(first));

	fed__transport_close(req2, d2, NULL);
	fed__transport_close(req1, d1, NULL);
	// Bounded as the dialers' close: nng 1.5.2's nng_close can wait
	// forever when both ends close at once, and a test must not hang.
	fed__transport_close(rep, (nng_dialer) NNG_DIALER_INITIALIZER, NULL);
}

// The CA rotated in two reloads: old and new CA, then the new one only.
// The clients of the old CA are served in between and refused after.
static void
test_rotate_ca(void **state)
{
	struct pki *p = *state;
	struct live l;
	live_init(p, "ca", &l);
	char url[64];
	snprintf(
	    url, sizeof(url), "tls+tcp://127.0.0.1:%d", fed_test_free_port());
	fed_rpc_server *srv = echo_server(&l, url);
	fed_tls_opts old_cli = {p->path[CLI_A_CRT], p->path[CLI_A_KEY],
	    p->path[CA_AB], "localhost"};
	fed_tls_opts new_cli = {p->path[CLI_B_CRT], p->path[CLI_B_KEY],
	    p->path[CA_AB], "localhost"};
	assert_int_equal(fed_test_echo_call(url, &old_cli, 5000), FED_OK);
	assert_int_equal(
	    fed_test_echo_call(url, &new_cli, 1500), FED_UNAVAILABLE);

	// As SIGHUP does it: the engine registered its reload when the
	// transport installed it.
	copy_file(p->path[CA_AB], l.ca);
	assert_int_equal(fed_process_reload(), FED_OK);
	assert_int_equal(fed_test_echo_call(url, &old_cli, 5000), FED_OK);
	assert_int_equal(fed_test_echo_call(url, &new_cli, 5000), FED_OK);

	copy_file(p->path[CA_B], l.ca);
	fed_test_log_reset();
	assert_int_equal(fed_tls_credentials_reload(), FED_OK);
	assert_int_equal(
	    fed_test_echo_call(url, &old_cli, 1500), FED_UNAVAILABLE);
	assert_int_equal(fed_test_echo_call(url, &new_cli, 5000), FED_OK);
	// The server says why (it logs at most once a minute per peer and
	// reason, and this is the first such refusal of CN=client).
	assert_true(fed_test_log_wait("refused the client", "CN=client",
	    "not signed by the federation CA", 2000));
	fed_rpc_server_free(srv);
}

// A reload that meets a broken certificate, a key that is not the
// certificate's, or a missing file: an error, logged with the file, and
// the credentials in force stay (new connections are still served).
static void
test_reload_broken(void **state)
{
	struct pki *p = *state;
	struct live l;
	live_init(p, "broken", &l);
	char url[64];
	snprintf(
	    url, sizeof(url), "tls+tcp://127.0.0.1:%d", fed_test_free_port());
	fed_rpc_server *srv = echo_server(&l, url);
	fed_tls_opts cli = {p->path[CLI_A_CRT], p->path[CLI_A_KEY],
	    p->path[CA_A], "localhost"};
	assert_int_equal(fed_test_echo_call(url, &cli, 5000), FED_OK);

	write_file(l.crt,
	    "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n"
	    "-----END CERTIFICATE-----\n");
	fed_test_log_reset();
	assert_int_equal(fed_tls_credentials_reload(), FED_INVALID_ARGUMENT);
	assert_true(
	    fed_test_log_has("TLS certificates not reloaded", l.crt, NULL));
	assert_false(
	    fed_test_log_has("TLS certificates reloaded", NULL, NULL));
	assert_int_equal(fed_test_echo_call(url, &cli, 5000), FED_OK);

	// Half a rotation: the new certificate, the old key.
	copy_file(p->path[SRV_B_CRT], l.crt);
	fed_test_log_reset();
	assert_int_equal(fed_tls_credentials_reload(), FED_INVALID_ARGUMENT);
	assert_true(fed_test_log_has("TLS certificates not reloaded", l.key,
	    "is not the one of certificate"));
	assert_int_equal(fed_test_echo_call(url, &cli, 5000), FED_OK);

	assert_int_equal(remove(l.key), 0);
	fed_test_log_reset();
	assert_int_equal(fed_tls_credentials_reload(), FED_NOT_FOUND);
	assert_true(
	    fed_test_log_has("TLS certificates not reloaded", l.key, NULL));
	assert_int_equal(fed_test_echo_call(url, &cli, 5000), FED_OK);

	// Complete again: the reload takes.
	copy_file(p->path[SRV_B_KEY], l.key);
	assert_int_equal(fed_tls_credentials_reload(), FED_OK);
	assert_int_equal(fed_test_echo_call(url, &cli, 5000), FED_OK);
	fed_rpc_server_free(srv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rotate_server_cert),
	    cmocka_unit_test(test_rotate_ca),
	    cmocka_unit_test(test_reload_broken),
	};
	// Before any thread: the sink may not change while nng's threads log.
	fed_test_log_capture(FED_LOG_NOTICE);
	return cmocka_run_group_tests(tests, setup, teardown);
}
