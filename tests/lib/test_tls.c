// SPDX-License-Identifier: MIT
//
// test_tls.c: tls+tcp:// between organisations, with certificates made by
// cli/fed-pki for this test: a round trip with the federation's CA on both
// sides; refusal of a peer whose certificate comes from another CA, of a
// client that does not trust the server's CA, and of a plain-TCP client;
// a peer dialled by IP address whose certificate holds that address
// (fed-pki node --ip), and the log line of a refused certificate.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enfed/test/echo.pb-c.h"
#include "fed/log.h"
#include "fed/rpc.h"
#include "fed/stream.h"
#include "fed_test.h"
#include "fed_test_tls.h"

enum {
	CA_A,
	SRV_CRT,
	SRV_KEY,
	CLI_CRT,
	CLI_KEY,
	CA_B,
	ROGUE_CRT,
	ROGUE_KEY,
	IP1_CRT,
	IP1_KEY,
	IP2_CRT,
	IP2_KEY,
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
	p->dir = fed_test_tmpdir("tls");
	char a[512], b[512];
	snprintf(a, sizeof(a), "%s/a", p->dir);
	snprintf(b, sizeof(b), "%s/b", p->dir);
	if (fed_test_pki("ca", a, NULL) != 0
	    || fed_test_pki("node", a, "server", "--dns", "localhost", NULL)
	        != 0
	    || fed_test_pki("node", a, "client", NULL) != 0
	    || fed_test_pki("ca", b, NULL) != 0
	    || fed_test_pki("node", b, "rogue", NULL) != 0
	    || fed_test_pki("node", a, "ip1", "--ip", "127.0.0.1", NULL) != 0
	    || fed_test_pki("node", a, "ip2", "--ip", "127.0.0.2", NULL) != 0)
		return -1;
	const char *files[] = {"a/ca.crt", "a/server.crt", "a/server.key",
	    "a/client.crt", "a/client.key", "b/ca.crt", "b/rogue.crt",
	    "b/rogue.key", "a/ip1.crt", "a/ip1.key", "a/ip2.crt", "a/ip2.key"};
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
	fed_test_rmtree(p->dir);
	free(p->dir);
	free(p);
	return 0;
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
	assert_int_equal(fed_test_echo_call(url, &good, 5000), FED_OK);

	// A member certificate of another federation: the server refuses it.
	fed_tls_opts rogue = {p->path[ROGUE_CRT], p->path[ROGUE_KEY],
	    p->path[CA_A], "localhost"};
	assert_int_equal(
	    fed_test_echo_call(url, &rogue, 1500), FED_UNAVAILABLE);
	// A client that trusts another CA refuses the server.
	fed_tls_opts other_ca = {p->path[ROGUE_CRT], p->path[ROGUE_KEY],
	    p->path[CA_B], "localhost"};
	assert_int_equal(
	    fed_test_echo_call(url, &other_ca, 1500), FED_UNAVAILABLE);
	// The right CA but the wrong server name.
	fed_tls_opts wrong_name = {p->path[CLI_CRT], p->path[CLI_KEY],
	    p->path[CA_A], "elsewhere.example"};
	assert_int_equal(
	    fed_test_echo_call(url, &wrong_name, 1500), FED_UNAVAILABLE);
	// No name configured: the URL's host (127.0.0.1) is expected, and the
	// server's certificate names only server and localhost.
	fed_tls_opts url_name
	    = {p->path[CLI_CRT], p->path[CLI_KEY], p->path[CA_A], NULL};
	assert_int_equal(
	    fed_test_echo_call(url, &url_name, 1500), FED_UNAVAILABLE);
	// Plain TCP to a TLS port.
	char plain[64];
	snprintf(plain, sizeof(plain), "tcp://%s", url + strlen("tls+tcp://"));
	assert_int_equal(
	    fed_test_echo_call(plain, NULL, 1500), FED_UNAVAILABLE);
	// TLS without the files is refused before any traffic.
	assert_int_equal(
	    fed_test_echo_call(url, NULL, 1500), FED_INVALID_ARGUMENT);
	// Unreadable files.
	fed_tls_opts missing
	    = {"/nonexistent.crt", p->path[CLI_KEY], p->path[CA_A], NULL};
	assert_int_equal(
	    fed_test_echo_call(url, &missing, 1500), FED_INVALID_ARGUMENT);
	// Still serving the good client.
	assert_int_equal(fed_test_echo_call(url, &good, 5000), FED_OK);
	fed_rpc_server_free(srv);
}

// A server on url with the certificate at path[crt] and its key.
static fed_rpc_server *
echo_server(const struct pki *p, const char *url, int crt)
{
	fed_tls_opts tls
	    = {p->path[crt], p->path[crt + 1], p->path[CA_A], NULL};
	fed_rpc_server *srv = fed_test_echo_server(url, &tls);
	assert_non_null(srv);
	return srv;
}

// Dialled as tls+tcp://127.0.0.1:PORT with no server name configured, a
// peer whose certificate fed-pki made with --ip 127.0.0.1 is reached:
// mbedtls 2.28 matches only DNS names, which fed-pki now adds.
static void
test_dial_by_ip(void **state)
{
	struct pki *p = *state;
	char url[64];
	snprintf(
	    url, sizeof(url), "tls+tcp://127.0.0.1:%d", fed_test_free_port());
	fed_rpc_server *srv = echo_server(p, url, IP1_CRT);
	fed_tls_opts cli
	    = {p->path[CLI_CRT], p->path[CLI_KEY], p->path[CA_A], NULL};
	assert_int_equal(fed_test_echo_call(url, &cli, 5000), FED_OK);
	fed_rpc_server_free(srv);
}

// A certificate for 127.0.0.2 only does not stand in for 127.0.0.1: the
// call fails, and the log names the server, its certificate and why it
// was refused (once, not once per redial).
static void
test_wrong_ip_logged(void **state)
{
	struct pki *p = *state;
	char url[64];
	snprintf(
	    url, sizeof(url), "tls+tcp://127.0.0.1:%d", fed_test_free_port());
	fed_rpc_server *srv = echo_server(p, url, IP2_CRT);
	fed_test_log_reset();
	fed_tls_opts cli
	    = {p->path[CLI_CRT], p->path[CLI_KEY], p->path[CA_A], NULL};
	assert_int_equal(fed_test_echo_call(url, &cli, 1500), FED_UNAVAILABLE);
	char want[128];
	snprintf(want, sizeof(want), "refused the server at %s",
	    url + strlen("tls+tcp://"));
	assert_true(fed_test_log_wait(want, NULL, NULL, 2000));
	assert_true(fed_test_log_has("(CN=ip2, serial 0x", NULL, NULL));
	assert_true(
	    fed_test_log_has("not issued for '127.0.0.1'", NULL, NULL));
	// Logged once for the address, not once per redial.
	assert_int_equal(fed_test_log_count(want, NULL, NULL), 1);
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
	    cmocka_unit_test(test_dial_by_ip),
	    cmocka_unit_test(test_wrong_ip_logged),
	};
	// Before any thread: the sink may not change while nng's threads log.
	fed_test_log_capture(FED_LOG_WARNING);
	return cmocka_run_group_tests(tests, setup, teardown);
}
