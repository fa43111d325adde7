// SPDX-License-Identifier: MIT
//
// test_hostile.c: a real fed-node on tcp:// loopback against hostile
// peers speaking raw TCP below nng, and hostile strings above it. Each
// gets a clear refusal (a closed connection, an error status) and the
// node goes on answering:
// - a message header claiming 2^40 bytes: the connection is closed
//   without allocating it;
// - a handshake of garbage, on the RPC and the stream ports;
// - 200 connections opened and never negotiated (slowloris): a real
//   client is still served meanwhile, and the node closes them itself;
// - a message cut short, its sender stalled;
// - SQL metacharacters, quotes and control bytes in every string field of
//   a series, stored and read back verbatim.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "enfed/v1/health.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed_test.h"

#define ADMIN  "hostile-admin-token"
#define N_SLOW 200
#define SP_REQ 0x30 // the REQ protocol's number
#define SP_SUB 0x21 // SUB

struct node {
	char *dir;
	int rpc_port, stream_port, pid;
	char rpc[64], stream[64];
};

static int
setup(void **state)
{
	struct node *n = calloc(1, sizeof(*n));
	assert_non_null(n);
	n->dir = fed_test_tmpdir("hostile");
	n->rpc_port = fed_test_free_port();
	n->stream_port = fed_test_free_port();
	snprintf(n->rpc, sizeof(n->rpc), "tcp://127.0.0.1:%d", n->rpc_port);
	snprintf(n->stream, sizeof(n->stream), "tcp://127.0.0.1:%d",
	    n->stream_port);
	n->pid = fed_test_node_start(
	    FED_NODE_BIN, "hostile", n->dir, n->rpc, n->stream, ADMIN, NULL);
	assert_true(n->pid > 0);
	*state = n;
	return 0;
}

static int
teardown(void **state)
{
	struct node *n = *state;
	// The node is still up and stops cleanly: nothing wedged it.
	assert_int_equal(fed_test_proc_stop(n->pid, SIGTERM, 10000), 0);
	fed_test_rmtree(n->dir);
	free(n->dir);
	free(n);
	return 0;
}

static int
tcp_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t) port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *) &a, sizeof(a)), 0);
	return fd;
}

static void
send_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t) len);
}

// The SP handshake of protocol `proto` (8 bytes: "\0SP\0", the protocol
// number, two reserved bytes).
static void
handshake(int fd, int proto)
{
	uint8_t h[8]
	    = {0, 'S', 'P', 0, (uint8_t) (proto >> 8), (uint8_t) proto, 0, 0};
	send_all(fd, h, sizeof(h));
}

// 1 when the peer closes fd (EOF or reset) within ms, reading and
// dropping whatever it sends first (its handshake).
static int
closed_within(int fd, int ms)
{
	int64_t end = fed_test_now_ms() + ms;
	uint8_t buf[256];
	for (int64_t left = ms; left > 0; left = end - fed_test_now_ms()) {
		struct pollfd p = {fd, POLLIN, 0};
		int r = poll(&p, 1, (int) left);
		if (r <= 0)
			continue;
		ssize_t got = recv(fd, buf, sizeof(buf), 0);
		if (got == 0 || (got < 0 && errno == ECONNRESET))
			return 1;
	}
	return 0;
}

// The node answers Health on a fresh connection.
static void
assert_serving(const struct node *n)
{
	assert_int_equal(fed_test_wait_health(n->rpc, 3000), FED_OK);
}

static void
test_huge_length(void **state)
{
	struct node *n = *state;
	int fd = tcp_connect(n->rpc_port);
	handshake(fd, SP_REQ);
	// 2^40 bytes announced, 8 sent.
	uint8_t m[16]
	    = {0, 0, 1, 0, 0, 0, 0, 0, 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'};
	send_all(fd, m, sizeof(m));
	assert_true(closed_within(fd, 5000));
	close(fd);
	assert_serving(n);
}

static void
test_garbage_handshake(void **state)
{
	struct node *n = *state;
	const int ports[2] = {n->rpc_port, n->stream_port};
	for (int i = 0; i < 2; i++) {
		int fd = tcp_connect(ports[i]);
		const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
		send_all(fd, junk, sizeof(junk) - 1);
		assert_true(closed_within(fd, 5000));
		close(fd);
	}
	// A subscriber may not send: a SUB handshake then a message.
	int fd = tcp_connect(n->stream_port);
	handshake(fd, SP_SUB);
	uint8_t m[12] = {0, 0, 0, 0, 0, 0, 0, 4, 'h', 'e', 'y', '!'};
	send_all(fd, m, sizeof(m));
	assert_true(closed_within(fd, 5000));
	close(fd);
	assert_serving(n);
}

static void
test_slowloris(void **state)
{
	struct node *n = *state;
	int fds[N_SLOW];
	for (int i = 0; i < N_SLOW; i++)
		fds[i] = tcp_connect(n->rpc_port);
	// A real client is served while they hang.
	int64_t t = fed_test_now_ms();
	assert_serving(n);
	print_message("health with %d idle connections: %lld ms\n", N_SLOW,
	    (long long) (fed_test_now_ms() - t));
	// And a message cut short, its sender stalled, on top.
	int cut = tcp_connect(n->rpc_port);
	handshake(cut, SP_REQ);
	uint8_t m[10] = {0, 0, 0, 0, 0, 0, 0, 100, 1, 2};
	send_all(cut, m, sizeof(m));
	assert_serving(n);
	// The node gives up on the connections that never negotiate.
	int n_closed = 0;
	for (int i = 0; i < N_SLOW; i++) {
		n_closed += closed_within(fds[i], i == 0 ? 20000 : 2000);
		close(fds[i]);
	}
	print_message("closed by the node: %d of %d\n", n_closed, N_SLOW);
	assert_int_equal(n_closed, N_SLOW);
	close(cut);
	assert_serving(n);
}

static void
test_sql_metacharacters(void **state)
{
	struct node *n = *state;
	fed_rpc_client *c = fed_test_client(n->rpc, ADMIN);
	assert_non_null(c);
	static const char *const nasty[] = {
	    "'); DROP TABLE series; --",
	    "\" OR 1=1 --",
	    "Robert'); DELETE FROM blocks WHERE ('1'='1",
	    "%s%n%x \\ \t tab, é, \xe2\x82\xac",
	    "a\nb\rc",
	};
	const size_t n_nasty = sizeof(nasty) / sizeof(nasty[0]);
	Enfed__V1__Fact f[5], *box[5];
	for (size_t i = 0; i < n_nasty; i++) {
		enfed__v1__fact__init(&f[i]);
		f[i].key = (char *) nasty[(i + 1) % n_nasty];
		f[i].value = (char *) nasty[i];
		box[i] = &f[i];
	}
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = "x/y/z";
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	m.source = (char *) nasty[0];
	m.owner = (char *) nasty[2];
	m.box = box;
	m.n_box = n_nasty;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	char err[256];
	assert_int_equal(fed_rpc_call(c, &enfed__v1__series_store__descriptor,
	                     "CreateSeries", &req.base,
	                     (ProtobufCMessage **) &info, err, sizeof(err)),
	    FED_OK);
	enfed__v1__series_info__free_unpacked(info, NULL);
	// An id made of them is refused, naming the field.
	m.id = (char *) nasty[0];
	assert_int_equal(fed_rpc_call(c, &enfed__v1__series_store__descriptor,
	                     "CreateSeries", &req.base,
	                     (ProtobufCMessage **) &info, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "id"));
	// Read back verbatim; the other tables are intact.
	Enfed__V1__GetSeriesRequest g = ENFED__V1__GET_SERIES_REQUEST__INIT;
	g.id = "x/y/z";
	assert_int_equal(
	    fed_rpc_call(c, &enfed__v1__series_store__descriptor, "GetSeries",
	        &g.base, (ProtobufCMessage **) &info, err, sizeof(err)),
	    FED_OK);
	assert_string_equal(info->meta->source, nasty[0]);
	assert_string_equal(info->meta->owner, nasty[2]);
	assert_int_equal(info->meta->n_box, n_nasty);
	for (size_t i = 0; i < n_nasty; i++) {
		assert_string_equal(info->meta->box[i]->value, nasty[i]);
		assert_string_equal(
		    info->meta->box[i]->key, nasty[(i + 1) % n_nasty]);
	}
	enfed__v1__series_info__free_unpacked(info, NULL);
	Enfed__V1__ListSeriesRequest lr = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	lr.prefix = (char *) nasty[1]; // a filter that matches nothing
	Enfed__V1__ListSeriesResponse *ls = NULL;
	assert_int_equal(
	    fed_rpc_call(c, &enfed__v1__series_store__descriptor, "ListSeries",
	        &lr.base, (ProtobufCMessage **) &ls, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(ls->n_series, 0);
	enfed__v1__list_series_response__free_unpacked(ls, NULL);
	lr.prefix = "";
	assert_int_equal(
	    fed_rpc_call(c, &enfed__v1__series_store__descriptor, "ListSeries",
	        &lr.base, (ProtobufCMessage **) &ls, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(ls->n_series, 1);
	enfed__v1__list_series_response__free_unpacked(ls, NULL);
	fed_rpc_client_free(c);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_huge_length, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_garbage_handshake, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slowloris, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_sql_metacharacters, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
