// SPDX-License-Identifier: MIT
//
// test_tls.c: tls+tcp:// between organisations, with certificates made by
// cli/fed-pki for this test: a round trip with the federation's CA on both
// sides; refusal of a peer whose certificate comes from another CA, of a
// client that does not trust the server's CA, and of a plain-TCP client.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enfed/test/echo.pb-c.h"
#include "fed/rpc.h"
#include "fed/stream.h"
#include "fed_test.h"

struct pki {
	char *dir;
	char path[8][512];
};

enum {
	CA_A,
	SRV_CRT,
	SRV_KEY,
	CLI_CRT,
	CLI_KEY,
	CA_B,
	ROGUE_CRT,
	ROGUE_KEY
};

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

static int
setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));
	p->dir = fed_test_tmpdir("tls");
	char a[512], b[512];
	snprintf(a, sizeof(a), "%s/a", p->dir);
	snprintf(b, sizeof(b), "%s/b", p->dir);
	if (pki_run("ca", a, NULL, NULL, NULL) != 0
	    || pki_run("node", a, "server", "--dns", "localhost") != 0
	    || pki_run("node", a, "client", NULL, NULL) != 0
	    || pki_run("ca", b, NULL, NULL, NULL) != 0
	    || pki_run("node", b, "rogue", NULL, NULL) != 0)
		return -1;
	const char *files[]
	    = {"a/ca.crt", "a/server.crt", "a/server.key", "a/client.crt",
	        "a/client.key", "b/ca.crt", "b/rogue.crt", "b/rogue.key"};
	for (int i = 0; i < 8; i++)
		snprintf(
		    p->path[i], sizeof(p->path[i]), "%s/%s", p->dir, files[i]);
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

static fed_status
call(const char *url, const fed_tls_opts *tls, uint32_t timeout_ms)
{
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = url;
	o.tls = tls;
	o.timeout_ms = timeout_ms;
	fed_rpc_client *c = NULL;
	fed_status st = fed_rpc_client_new(&o, &c);
	if (st != FED_OK)
		return st;
	Enfed__Test__EchoRequest req = ENFED__TEST__ECHO_REQUEST__INIT;
	req.payload.data = (uint8_t *) "over tls";
	req.payload.len = 8;
	ProtobufCMessage *rep = NULL;
	char err[256];
	st = fed_rpc_call(c, &enfed__test__echo__descriptor, "Echo", &req.base,
	    &rep, err, sizeof(err));
	if (st == FED_OK) {
		Enfed__Test__EchoReply *er = (Enfed__Test__EchoReply *) rep;
		assert_memory_equal(er->payload.data, "over tls", 8);
		protobuf_c_message_free_unpacked(rep, NULL);
	}
	fed_rpc_client_free(c);
	return st;
}

static void
test_rpc_tls(void **state)
{
	struct pki *p = *state;
	char url[64];
	snprintf(
	    url, sizeof(url), "tls+tcp://127.0.0.1:%d", fed_test_free_port());
	fed_tls_opts srv_tls
	    = {p->path[SRV_CRT], p->path[SRV_KEY], p->path[CA_A], NULL};
	fed_rpc_server *srv = NULL;
	assert_int_equal(fed_rpc_server_new(NULL, &srv), FED_OK);
	assert_int_equal(fed_test_echo_register(srv), FED_OK);
	assert_int_equal(fed_rpc_server_listen(srv, url, &srv_tls), FED_OK);
	assert_int_equal(fed_rpc_server_start(srv), FED_OK);

	fed_tls_opts good
	    = {p->path[CLI_CRT], p->path[CLI_KEY], p->path[CA_A], "localhost"};
	assert_int_equal(call(url, &good, 5000), FED_OK);

	// A member certificate of another federation: the server refuses it.
	fed_tls_opts rogue = {p->path[ROGUE_CRT], p->path[ROGUE_KEY],
	    p->path[CA_A], "localhost"};
	assert_int_equal(call(url, &rogue, 1500), FED_UNAVAILABLE);
	// A client that trusts another CA refuses the server.
	fed_tls_opts other_ca = {p->path[ROGUE_CRT], p->path[ROGUE_KEY],
	    p->path[CA_B], "localhost"};
	assert_int_equal(call(url, &other_ca, 1500), FED_UNAVAILABLE);
	// The right CA but the wrong server name.
	fed_tls_opts wrong_name = {p->path[CLI_CRT], p->path[CLI_KEY],
	    p->path[CA_A], "elsewhere.example"};
	assert_int_equal(call(url, &wrong_name, 1500), FED_UNAVAILABLE);
	// No name configured: the URL's host (127.0.0.1) is expected, and the
	// server's certificate names only server and localhost.
	fed_tls_opts url_name
	    = {p->path[CLI_CRT], p->path[CLI_KEY], p->path[CA_A], NULL};
	assert_int_equal(call(url, &url_name, 1500), FED_UNAVAILABLE);
	// Plain TCP to a TLS port.
	char plain[64];
	snprintf(plain, sizeof(plain), "tcp://%s", url + strlen("tls+tcp://"));
	assert_int_equal(call(plain, NULL, 1500), FED_UNAVAILABLE);
	// TLS without the files is refused before any traffic.
	assert_int_equal(call(url, NULL, 1500), FED_INVALID_ARGUMENT);
	// Unreadable files.
	fed_tls_opts missing
	    = {"/nonexistent.crt", p->path[CLI_KEY], p->path[CA_A], NULL};
	assert_int_equal(call(url, &missing, 1500), FED_INVALID_ARGUMENT);
	// Still serving the good client.
	assert_int_equal(call(url, &good, 5000), FED_OK);
	fed_rpc_server_free(srv);
}

static void
got(const fed_stream_event *ev, void *arg)
{
	if (ev->kind == FED_STREAM_POINTS)
		*(int *) arg += (int) ev->n;
}

static void
test_stream_tls(void **state)
{
	struct pki *p = *state;
	char url[64];
	snprintf(
	    url, sizeof(url), "tls+tcp://127.0.0.1:%d", fed_test_free_port());
	fed_tls_opts srv_tls
	    = {p->path[SRV_CRT], p->path[SRV_KEY], p->path[CA_A], NULL};
	fed_stream_pub *pub = NULL;
	assert_int_equal(fed_stream_pub_new(&pub), FED_OK);
	assert_int_equal(fed_stream_pub_listen(pub, url, &srv_tls), FED_OK);
	fed_tls_opts good
	    = {p->path[CLI_CRT], p->path[CLI_KEY], p->path[CA_A], "localhost"};
	fed_stream_sub_opts so = {.url = url, .tls = &good};
	fed_stream_sub *sub = NULL;
	assert_int_equal(fed_stream_sub_new(&so, &sub), FED_OK);
	assert_int_equal(fed_stream_sub_subscribe(sub, "lognact/"), FED_OK);
	int n = 0;
	int64_t ts = 1;
	double v = 2;
	for (int i = 0; i < 300 && n == 0; i++) {
		fed_stream_publish(pub, "lognact/pv/power", &ts, &v, 1, NULL);
		fed_stream_sub_recv(sub, 20, got, &n);
	}
	assert_true(n > 0);
	fed_stream_sub_free(sub);
	fed_stream_pub_free(pub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rpc_tls),
	    cmocka_unit_test(test_stream_tls),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
