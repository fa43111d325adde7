// SPDX-License-Identifier: MIT
//
// test_tls_revoke.c: certificate revocation through enfed's TLS engine, on
// tls+tcp://127.0.0.1 with certificates made by cli/fed-pki for this test:
// the revocation file's syntax and its errors; a client revoked while the
// server runs is refused at its next connection, with the serial and CN
// in the log of both sides, and served again once unrevoked; a server
// revoked with fed-pki revoke is refused by its clients; a certificate of
// another CA is logged as such, with its CN; each side of a connection
// can tell which certificate the other presented; a connection already
// open when its peer is revoked is closed at its next message.

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
#include "fed/rpc.h"
#include "fed/tls.h"
#include "fed_test.h"
#include "fed_test_tls.h"
#include "tls_internal.h"
#include "transport_internal.h"

enum {
	CA,
	SRV_CRT,
	SRV_KEY,
	CLI_CRT,
	CLI_KEY,
	OTHER_CRT,
	OTHER_KEY,
	ROGUE_CRT,
	ROGUE_KEY,
	REVOKED,
	N_FILES
};

struct pki {
	char *dir;
	char path[N_FILES][512];
};

static int
setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));
	p->dir = fed_test_tmpdir("tlsrev");
	char a[512], b[512];
	snprintf(a, sizeof(a), "%s/a", p->dir);
	snprintf(b, sizeof(b), "%s/b", p->dir);
	if (fed_test_pki("ca", a, NULL) != 0
	    || fed_test_pki("node", a, "server", "--dns", "localhost", NULL)
	        != 0
	    || fed_test_pki("node", a, "client", NULL) != 0
	    || fed_test_pki("node", a, "other", NULL) != 0
	    || fed_test_pki("ca", b, NULL) != 0
	    || fed_test_pki("node", b, "rogue", NULL) != 0)
		return -1;
	const char *files[] = {"a/ca.crt", "a/server.crt", "a/server.key",
	    "a/client.crt", "a/client.key", "a/other.crt", "a/other.key",
	    "b/rogue.crt", "b/rogue.key", "revoked.txt"};
	for (int i = 0; i < N_FILES; i++)
		snprintf(
		    p->path[i], sizeof(p->path[i]), "%s/%s", p->dir, files[i]);
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	struct pki *p = *state;
	fed_tls_revocation_load(NULL, NULL, 0);
	fed_test_rmtree(p->dir);
	free(p->dir);
	free(p);
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static fed_rpc_server *
echo_server(const struct pki *p, const char *url)
{
	fed_tls_opts tls
	    = {p->path[SRV_CRT], p->path[SRV_KEY], p->path[CA], NULL};
	fed_rpc_server *srv = fed_test_echo_server(url, &tls);
	assert_non_null(srv);
	return srv;
}

// Every accepted spelling of a serial, comments, blank lines, duplicates;
// a bad line names the file and the line and keeps the list in force; a
// missing file is NOT_FOUND; reload without a file does nothing.
static void
test_file_syntax(void **state)
{
	struct pki *p = *state;
	const char *path = p->path[REVOKED];
	char err[512];
	write_file(path,
	    "# revoked boards\n"
	    "\n"
	    "serial=0A1B2C\n"
	    "  0xa1b2c   # the same, again\n"
	    "1f:02:ab\r\n"
	    "000000ff\n"
	    "0\n"
	    "0123456789abcdef0123456789abcdef01234567\n");
	assert_int_equal(
	    fed_tls_revocation_load(path, err, sizeof(err)), FED_OK);
	assert_int_equal(fed_tls_revocation_count(), 5);

	write_file(path, "0a\nnot-hex\n");
	assert_int_equal(fed_tls_revocation_load(path, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "revoked.txt:2"));
	assert_int_equal(fed_tls_revocation_count(), 5);
	// A reload that meets the bad line keeps the list too.
	assert_int_equal(fed_tls_revocation_reload(), FED_INVALID_ARGUMENT);
	assert_int_equal(fed_tls_revocation_count(), 5);
	// 21 bytes is longer than any serial; "0x" alone is no serial.
	write_file(path, "0123456789abcdef0123456789abcdef0123456789\n");
	assert_int_equal(fed_tls_revocation_load(path, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	write_file(path, "0x\n");
	assert_int_equal(fed_tls_revocation_load(path, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(fed_tls_revocation_count(), 5);

	char missing[600];
	snprintf(missing, sizeof(missing), "%s/none.txt", p->dir);
	assert_int_equal(
	    fed_tls_revocation_load(missing, err, sizeof(err)), FED_NOT_FOUND);
	assert_non_null(strstr(err, "none.txt"));

	assert_int_equal(fed_tls_revocation_load(NULL, NULL, 0), FED_OK);
	assert_int_equal(fed_tls_revocation_count(), 0);
	assert_int_equal(fed_tls_revocation_reload(), FED_OK);
	assert_int_equal(fed_tls_revocation_count(), 0);
}

// Lookups as the engine makes them, with a certificate's DER bytes: a
// 20-byte serial with its high bit set comes with a leading zero byte.
static void
test_lookup(void **state)
{
	struct pki *p = *state;
	char err[512];
	write_file(p->path[REVOKED],
	    "ffffffffffffffffffffffffffffffffffffffff\n1f02ab\n");
	assert_int_equal(
	    fed_tls_revocation_load(p->path[REVOKED], err, sizeof(err)),
	    FED_OK);
	uint8_t der[21] = {0};
	memset(der + 1, 0xff, 20);
	assert_true(fed__tls_revoked_has(der, sizeof(der)));
	assert_true(fed__tls_revoked_has(der + 1, 20));
	der[20] = 0xfe;
	assert_false(fed__tls_revoked_has(der, sizeof(der)));
	const uint8_t small[] = {0x00, 0x1f, 0x02, 0xab};
	assert_true(fed__tls_revoked_has(small, sizeof(small)));
	assert_false(fed__tls_revoked_has(small, 3)); // 0x1f02
	char s[64];
	fed__tls_serial_str(small, sizeof(small), s, sizeof(s));
	assert_string_equal(s, "0x1f02ab");
	const uint8_t zero[] = {0x00};
	fed__tls_serial_str(zero, sizeof(zero), s, sizeof(s));
	assert_string_equal(s, "0x0");
	assert_int_equal(fed_tls_revocation_load(NULL, NULL, 0), FED_OK);
	assert_false(fed__tls_revoked_has(small, sizeof(small)));
}

// A client revoked while the server runs: refused at its next connection,
// the refusal logged by the server with the serial and the CN, and by the
// client as the server's alert; the other clients are still served; once
// unrevoked (reload), it is served again.
static void
test_revoke_client(void **state)
{
	struct pki *p = *state;
	const char *path = p->path[REVOKED];
	char url[64], serial[128], logged[128], text[256], err[512];
	snprintf(
	    url, sizeof(url), "tls+tcp://127.0.0.1:%d", fed_test_free_port());
	write_file(path, "# nothing revoked yet\n");
	assert_int_equal(
	    fed_tls_revocation_load(path, err, sizeof(err)), FED_OK);
	fed_rpc_server *srv = echo_server(p, url);
	fed_tls_opts cli
	    = {p->path[CLI_CRT], p->path[CLI_KEY], p->path[CA], "localhost"};
	fed_tls_opts other = {
	    p->path[OTHER_CRT], p->path[OTHER_KEY], p->path[CA], "localhost"};
	assert_int_equal(fed_test_echo_call(url, &cli, 5000), FED_OK);

	fed_test_log_reset();
	assert_int_equal(fed_test_cert_serial(p->path[CLI_CRT], logged,
	                     sizeof(logged), serial, sizeof(serial)),
	    0);
	snprintf(text, sizeof(text), "# client board, stolen\n%s\n", serial);
	write_file(path, text);
	assert_int_equal(fed_tls_revocation_reload(), FED_OK);
	assert_int_equal(fed_tls_revocation_count(), 1);
	assert_int_equal(fed_test_echo_call(url, &cli, 1500), FED_UNAVAILABLE);
	char want[256];
	snprintf(
	    want, sizeof(want), "certificate revoked (serial %s)", logged);
	assert_true(fed_test_log_wait(
	    "refused the client at 127.0.0.1:", want, NULL, 2000));
	assert_true(fed_test_log_has("CN=client", want, NULL));
	assert_true(
	    fed_test_log_wait("this side's certificate is revoked there",
	        "the server at 127.0.0.1:", NULL, 2000));
	assert_int_equal(fed_test_echo_call(url, &other, 5000), FED_OK);

	write_file(path, "# client board found again\n");
	assert_int_equal(fed_tls_revocation_reload(), FED_OK);
	assert_int_equal(fed_test_echo_call(url, &cli, 5000), FED_OK);
	fed_rpc_server_free(srv);
}

// The server's certificate revoked (by fed-pki revoke): its clients refuse
// it, and say so with its CN and serial.
static void
test_revoke_server(void **state)
{
	struct pki *p = *state;
	const char *path = p->path[REVOKED];
	char url[64], serial[128], logged[128], err[512];
	snprintf(
	    url, sizeof(url), "tls+tcp://127.0.0.1:%d", fed_test_free_port());
	write_file(path, "");
	assert_int_equal(
	    fed_tls_revocation_load(path, err, sizeof(err)), FED_OK);
	fed_rpc_server *srv = echo_server(p, url);
	fed_tls_opts cli
	    = {p->path[CLI_CRT], p->path[CLI_KEY], p->path[CA], "localhost"};
	assert_int_equal(fed_test_echo_call(url, &cli, 5000), FED_OK);

	fed_test_log_reset();
	assert_int_equal(fed_test_cert_serial(p->path[SRV_CRT], logged,
	                     sizeof(logged), serial, sizeof(serial)),
	    0);
	// As an operator does it; twice is once.
	remove(path);
	assert_int_equal(
	    fed_test_pki("revoke", p->path[SRV_CRT], path, NULL), 0);
	assert_int_equal(
	    fed_test_pki("revoke", p->path[SRV_CRT], path, NULL), 0);
	assert_int_equal(fed_tls_revocation_reload(), FED_OK);
	assert_int_equal(fed_tls_revocation_count(), 1);
	assert_int_equal(fed_test_echo_call(url, &cli, 1500), FED_UNAVAILABLE);
	char want[256];
	snprintf(
	    want, sizeof(want), "certificate revoked (serial %s)", logged);
	assert_true(fed_test_log_wait(
	    "refused the server at 127.0.0.1:", want, NULL, 2000));
	assert_true(fed_test_log_has("CN=server", want, NULL));

	write_file(path, "");
	assert_int_equal(fed_tls_revocation_reload(), FED_OK);
	assert_int_equal(fed_test_echo_call(url, &cli, 5000), FED_OK);
	fed_rpc_server_free(srv);
}

// A member of another federation: the server logs its CN and why.
static void
test_other_ca_named(void **state)
{
	struct pki *p = *state;
	char url[64];
	snprintf(
	    url, sizeof(url), "tls+tcp://127.0.0.1:%d", fed_test_free_port());
	assert_int_equal(fed_tls_revocation_load(NULL, NULL, 0), FED_OK);
	fed_rpc_server *srv = echo_server(p, url);
	fed_test_log_reset();
	fed_tls_opts rogue = {
	    p->path[ROGUE_CRT], p->path[ROGUE_KEY], p->path[CA], "localhost"};
	assert_int_equal(
	    fed_test_echo_call(url, &rogue, 1500), FED_UNAVAILABLE);
	assert_true(fed_test_log_wait("refused the client at 127.0.0.1:",
	    "not signed by the federation CA", NULL, 2000));
	assert_true(fed_test_log_has(
	    "CN=rogue", "not signed by the federation CA", NULL));
	fed_rpc_server_free(srv);
}

// A client revoked while its connection is open: the server closes that
// connection at the client's next request, which then fails (the redial is
// refused), and says so.
static void
test_revoke_established(void **state)
{
	struct pki *p = *state;
	const char *path = p->path[REVOKED];
	char url[64], serial[128], logged[128], text[256], err[512], want[256];
	snprintf(
	    url, sizeof(url), "tls+tcp://127.0.0.1:%d", fed_test_free_port());
	write_file(path, "");
	assert_int_equal(
	    fed_tls_revocation_load(path, err, sizeof(err)), FED_OK);
	fed_rpc_server *srv = echo_server(p, url);
	fed_tls_opts cli = {
	    p->path[OTHER_CRT], p->path[OTHER_KEY], p->path[CA], "localhost"};
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = url;
	o.tls = &cli;
	o.timeout_ms = 3000; // the second call fails by this timeout
	fed_rpc_client *c = NULL;
	assert_int_equal(fed_rpc_client_new(&o, &c), FED_OK);
	Enfed__Test__EchoRequest req = ENFED__TEST__ECHO_REQUEST__INIT;
	req.payload.data = (uint8_t *) "still here";
	req.payload.len = 10;
	ProtobufCMessage *rep = NULL;
	assert_int_equal(fed_rpc_call(c, &enfed__test__echo__descriptor,
	                     "Echo", &req.base, &rep, err, sizeof(err)),
	    FED_OK);
	protobuf_c_message_free_unpacked(rep, NULL);
	rep = NULL;

	fed_test_log_reset();
	assert_int_equal(fed_test_cert_serial(p->path[OTHER_CRT], logged,
	                     sizeof(logged), serial, sizeof(serial)),
	    0);
	snprintf(text, sizeof(text), "%s\n", serial);
	write_file(path, text);
	assert_int_equal(fed_tls_revocation_reload(), FED_OK);
	assert_int_not_equal(fed_rpc_call(c, &enfed__test__echo__descriptor,
	                         "Echo", &req.base, &rep, err, sizeof(err)),
	    FED_OK);
	assert_null(rep);
	snprintf(
	    want, sizeof(want), "certificate revoked (serial %s)", logged);
	assert_true(fed_test_log_wait(
	    "closing the connection with the client", want, NULL, 2000));
	assert_true(fed_test_log_has("CN=other", want, NULL));
	fed_rpc_client_free(c);
	write_file(path, "");
	assert_int_equal(fed_tls_revocation_reload(), FED_OK);
	fed_rpc_server_free(srv);
}

// One request from req to rep (both open, rep listening at url); the
// pipe each side received on, through *srv_pipe and *cli_pipe.
static void
exchange(
    nng_socket req, nng_socket rep, nng_pipe *srv_pipe, nng_pipe *cli_pipe)
{
	nng_msg *m = NULL;
	assert_int_equal(nng_msg_alloc(&m, 0), 0);
	assert_int_equal(nng_msg_append(m, "ping", 4), 0);
	assert_int_equal(nng_sendmsg(req, m, 0), 0);
	assert_int_equal(nng_recvmsg(rep, &m, 0), 0);
	*srv_pipe = nng_msg_get_pipe(m);
	assert_int_equal(nng_sendmsg(rep, m, 0), 0);
	assert_int_equal(nng_recvmsg(req, &m, 0), 0);
	*cli_pipe = nng_msg_get_pipe(m);
	nng_msg_free(m);
}

static void
open_pair(nng_socket *req, nng_socket *rep)
{
	assert_int_equal(nng_rep0_open(rep), 0);
	assert_int_equal(nng_req0_open(req), 0);
	// A handshake that never completes fails an assertion, not the run:
	// without a send timeout, REQ's send waits for a pipe forever.
	nng_socket both[] = {*rep, *req};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(
		    nng_socket_set_ms(both[i], NNG_OPT_RECVTIMEO, 5000), 0);
		assert_int_equal(
		    nng_socket_set_ms(both[i], NNG_OPT_SENDTIMEO, 5000), 0);
	}
}

// Closes both ends through the transport's bounded close: nng 1.5.2's
// nng_close can wait forever when both ends of a connection close at once
// (seen once in a loaded CI run), and a test must fail, not hang.
static void
close_pair(nng_socket req, nng_dialer d, nng_socket rep)
{
	fed__transport_close(req, d, NULL);
	fed__transport_close(rep, (nng_dialer) NNG_DIALER_INITIALIZER, NULL);
}

// Each side of a tls+tcp:// connection can tell which certificate the
// other presented (fed__transport_pipe_cert); a plain TCP pipe has none.
static void
test_pipe_cert(void **state)
{
	struct pki *p = *state;
	char url[64], cn[96], serial[64], want[128], other[128];
	snprintf(
	    url, sizeof(url), "tls+tcp://127.0.0.1:%d", fed_test_free_port());
	assert_int_equal(fed_tls_revocation_load(NULL, NULL, 0), FED_OK);
	fed_tls_opts srv
	    = {p->path[SRV_CRT], p->path[SRV_KEY], p->path[CA], NULL};
	fed_tls_opts cli
	    = {p->path[CLI_CRT], p->path[CLI_KEY], p->path[CA], "localhost"};
	nng_socket req, rep;
	nng_dialer d;
	nng_pipe sp, cp;
	open_pair(&req, &rep);
	assert_int_equal(fed__transport_listen(rep, url, &srv), FED_OK);
	assert_int_equal(fed__transport_dial(req, url, &cli, &d), FED_OK);
	exchange(req, rep, &sp, &cp);
	assert_int_equal(fed__transport_pipe_cert(
	                     sp, cn, sizeof(cn), serial, sizeof(serial)),
	    FED_OK);
	assert_string_equal(cn, "client");
	assert_int_equal(fed_test_cert_serial(p->path[CLI_CRT], want,
	                     sizeof(want), other, sizeof(other)),
	    0);
	assert_string_equal(serial, want);
	assert_int_equal(fed__transport_pipe_cert(
	                     cp, cn, sizeof(cn), serial, sizeof(serial)),
	    FED_OK);
	assert_string_equal(cn, "server");
	assert_int_equal(fed_test_cert_serial(p->path[SRV_CRT], want,
	                     sizeof(want), other, sizeof(other)),
	    0);
	assert_string_equal(serial, want);
	close_pair(req, d, rep);

	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", fed_test_free_port());
	open_pair(&req, &rep);
	assert_int_equal(fed__transport_listen(rep, url, NULL), FED_OK);
	assert_int_equal(fed__transport_dial(req, url, NULL, &d), FED_OK);
	exchange(req, rep, &sp, &cp);
	assert_int_equal(fed__transport_pipe_cert(
	                     sp, cn, sizeof(cn), serial, sizeof(serial)),
	    FED_NOT_FOUND);
	close_pair(req, d, rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_syntax),
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_revoke_client),
	    cmocka_unit_test(test_revoke_server),
	    cmocka_unit_test(test_other_ca_named),
	    cmocka_unit_test(test_revoke_established),
	    cmocka_unit_test(test_pipe_cert),
	};
	// Before any thread: the sink may not change while nng's threads log.
	fed_test_log_capture(FED_LOG_WARNING);
	return cmocka_run_group_tests(tests, setup, teardown);
}
