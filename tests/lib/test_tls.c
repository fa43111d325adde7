// SPDX-License-Identifier: MIT
//
// test_tls.c: tls+tcp:// between organisations, with certificates made by
// cli/fed-pki for this test: a round trip with the federation's CA on both
// sides; refusal of a peer whose certificate comes from another CA, of a
// client that does not trust the server's CA, and of a plain-TCP client;
// a peer dialled by IP address whose certificate holds that address
// (fed-pki node --ip), and the log line of a refused certificate.

#include <pthread.h>
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
	    || pki_run("node", b, "rogue", NULL, NULL) != 0
	    || pki_run("node", a, "ip1", "--ip", "127.0.0.1") != 0
	    || pki_run("node", a, "ip2", "--ip", "127.0.0.2") != 0)
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

// A server on url with the certificate at path[crt] and its key.
static fed_rpc_server *
echo_server(const struct pki *p, const char *url, int crt)
{
	fed_tls_opts tls
	    = {p->path[crt], p->path[crt + 1], p->path[CA_A], NULL};
	fed_rpc_server *srv = NULL;
	assert_int_equal(fed_rpc_server_new(NULL, &srv), FED_OK);
	assert_int_equal(fed_test_echo_register(srv), FED_OK);
	assert_int_equal(fed_rpc_server_listen(srv, url, &tls), FED_OK);
	assert_int_equal(fed_rpc_server_start(srv), FED_OK);
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
	assert_int_equal(call(url, &cli, 5000), FED_OK);
	fed_rpc_server_free(srv);
}

struct captured {
	pthread_mutex_t mtx;
	char lines[16384];
};

static struct captured cap = {.mtx = PTHREAD_MUTEX_INITIALIZER};

static void
capture(
    fed_log_level level, const char *component, const char *line, void *arg)
{
	struct captured *c = arg;
	if (level > FED_LOG_WARNING)
		return;
	pthread_mutex_lock(&c->mtx);
	size_t n = strlen(c->lines);
	snprintf(
	    c->lines + n, sizeof(c->lines) - n, "%s: %s\n", component, line);
	pthread_mutex_unlock(&c->mtx);
}

static int
captured_has(struct captured *c, const char *what)
{
	pthread_mutex_lock(&c->mtx);
	int has = strstr(c->lines, what) != NULL;
	pthread_mutex_unlock(&c->mtx);
	return has;
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
	pthread_mutex_lock(&cap.mtx);
	cap.lines[0] = '\0';
	pthread_mutex_unlock(&cap.mtx);
	fed_tls_opts cli
	    = {p->path[CLI_CRT], p->path[CLI_KEY], p->path[CA_A], NULL};
	assert_int_equal(call(url, &cli, 1500), FED_UNAVAILABLE);
	char want[128];
	snprintf(want, sizeof(want), "refused the server at %s",
	    url + strlen("tls+tcp://"));
	for (int i = 0; i < 100 && !captured_has(&cap, want); i++)
		fed_test_sleep_ms(20);
	assert_true(captured_has(&cap, want));
	assert_true(captured_has(&cap, "(CN=ip2, serial 0x"));
	assert_true(captured_has(&cap, "not issued for '127.0.0.1'"));
	// Logged once for the address, not once per redial.
	pthread_mutex_lock(&cap.mtx);
	const char *first = strstr(cap.lines, want);
	int again = first != NULL && strstr(first + 1, want) != NULL;
	pthread_mutex_unlock(&cap.mtx);
	assert_false(again);
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
	fed_log_set_sink(capture, &cap);
	return cmocka_run_group_tests(tests, setup, teardown);
}
