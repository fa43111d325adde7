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
//   a series, stored and read back verbatim;
// - queries that would cost memory out of proportion (issue 16, item 5):
//   one id repeated, series x buckets or raw points above the node's
//   bound, each refused with the field or the limit named;
// - negotiated connections left idle (issue 16, item 6): those beyond the
//   bound per address are closed at once, the others after the idle
//   timeout, and a client from elsewhere is answered meanwhile.

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
	char rpc[64], stream[64], ipc[200];
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

#define LIMITED_CELLS    "1000"
#define LIMITED_PER_PEER 8
#define LIMITED_IDLE_MS  2000
#define N_IDLE           20

// A node with small bounds, listening on tcp:// and ipc:// (n->ipc), so
// that a client on ipc:// is another source than the tcp:// flood.
static int
setup_limited(void **state)
{
	struct node *n = calloc(1, sizeof(*n));
	assert_non_null(n);
	n->dir = fed_test_tmpdir("hostile-limited");
	n->rpc_port = fed_test_free_port();
	n->stream_port = fed_test_free_port();
	snprintf(n->rpc, sizeof(n->rpc), "tcp://127.0.0.1:%d", n->rpc_port);
	snprintf(n->stream, sizeof(n->stream), "tcp://127.0.0.1:%d",
	    n->stream_port);
	fed_test_ipc_url(n->ipc, sizeof(n->ipc), "hostile-limited");
	char listen[300], per_peer[64], idle[64];
	snprintf(listen, sizeof(listen), "--listen=%s,%s", n->rpc, n->ipc);
	snprintf(per_peer, sizeof(per_peer), "--max-conns-per-peer=%d",
	    LIMITED_PER_PEER);
	snprintf(idle, sizeof(idle), "--idle-timeout=%dms", LIMITED_IDLE_MS);
	const char *const extra[] = {
	    listen, per_peer, idle, "--max-query-cells=" LIMITED_CELLS, NULL};
	n->pid = fed_test_node_start_ex(FED_NODE_BIN, "hostile", n->dir,
	    n->rpc, n->stream, ADMIN, NULL, extra);
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

// Query with ids (n of them) at step over [from_ms, to_ms); the status,
// the message in err.
static fed_status
query_ids(const char *url, const char *const *ids, size_t n, int64_t from_ms,
    int64_t to_ms, Enfed__V1__Step step, char *err, size_t err_len)
{
	fed_rpc_client *c = fed_test_client(url, ADMIN);
	assert_non_null(c);
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = from_ms;
	r.to_ms = to_ms;
	Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
	q.series_ids = (char **) ids;
	q.n_series_ids = n;
	q.range = &r;
	q.step = step;
	Enfed__V1__QueryResponse *res = NULL;
	fed_status st = fed_rpc_call(c, &enfed__v1__series_store__descriptor,
	    "Query", &q.base, (ProtobufCMessage **) &res, err, err_len);
	protobuf_c_message_free_unpacked((ProtobufCMessage *) res, NULL);
	fed_rpc_client_free(c);
	return st;
}

#define T0_MS INT64_C(1700000000000)

// The 933-byte query: one id 64 times, 200,000 buckets.
static void
test_query_duplicate_ids(void **state)
{
	struct node *n = *state;
	const char *ids[64];
	for (size_t i = 0; i < 64; i++)
		ids[i] = "hostile/a";
	char err[256] = "";
	assert_int_equal(
	    query_ids(n->rpc, ids, 64, T0_MS, T0_MS + INT64_C(200000) * 300000,
	        ENFED__V1__STEP__STEP_5MIN, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "series_ids"));
	assert_non_null(strstr(err, "twice"));
	assert_serving(n);
}

// Ten distinct series of 150,000 hours each: 1.5 M cells, above the
// default bound, refused before the store is read (the series need not
// exist), the limit named.
static void
test_query_cells_bounded(void **state)
{
	struct node *n = *state;
	char names[10][32];
	const char *ids[10];
	for (size_t i = 0; i < 10; i++) {
		snprintf(names[i], sizeof(names[i]), "hostile/s%zu", i);
		ids[i] = names[i];
	}
	char err[256] = "";
	assert_int_equal(query_ids(n->rpc, ids, 10, T0_MS,
	                     T0_MS + INT64_C(150000) * 3600000,
	                     ENFED__V1__STEP__STEP_HOUR, err, sizeof(err)),
	    FED_RESOURCE_EXHAUSTED);
	assert_non_null(strstr(err, "max-query-cells"));
	assert_serving(n);
}

// Raw points count against the bound too: two series of 600 points with
// a bound of 1000 cells; one of them alone is answered.
static void
test_query_raw_points_bounded(void **state)
{
	struct node *n = *state;
	fed_rpc_client *c = fed_test_client(n->rpc, ADMIN);
	assert_non_null(c);
	const char *ids[2] = {"hostile/r0", "hostile/r1"};
	for (size_t i = 0; i < 2; i++) {
		Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
		m.id = (char *) ids[i];
		m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
		m.unit = ENFED__V1__UNIT__UNIT_WH;
		m.interval_s = 60;
		Enfed__V1__CreateSeriesRequest cr
		    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
		cr.meta = &m;
		Enfed__V1__SeriesInfo *info = NULL;
		assert_int_equal(
		    fed_test_store_call(c, "CreateSeries", &cr, &info),
		    FED_OK);
		protobuf_c_message_free_unpacked(&info->base, NULL);
		assert_int_equal(
		    fed_test_ingest_every(c, ids[i], T0_MS,
		        T0_MS + 600 * 60000, 60000, 1.0, 0, 0, NULL, NULL),
		    FED_OK);
	}
	fed_rpc_client_free(c);
	char err[256] = "";
	int64_t to = T0_MS + 600 * 60000;
	assert_int_equal(query_ids(n->rpc, ids, 1, T0_MS, to,
	                     ENFED__V1__STEP__STEP_RAW, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(query_ids(n->rpc, ids, 2, T0_MS, to,
	                     ENFED__V1__STEP__STEP_RAW, err, sizeof(err)),
	    FED_RESOURCE_EXHAUSTED);
	assert_non_null(strstr(err, "max-query-cells"));
}

// How many of fds[0..n) the peer closes within ms, watched together;
// closed[i] set for each.
static int
closed_among(const int *fds, int n, int ms, int *closed)
{
	struct pollfd p[N_IDLE];
	uint8_t buf[256];
	int n_closed = 0;
	assert_true(n <= N_IDLE);
	int64_t end = fed_test_now_ms() + ms;
	for (int64_t left = ms; left > 0; left = end - fed_test_now_ms()) {
		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd) {
			    closed[i] ? -1 : fds[i], POLLIN, 0};
		if (poll(p, (nfds_t) n, (int) left) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (closed[i]
			    || (p[i].revents & (POLLIN | POLLHUP)) == 0)
				continue;
			ssize_t got = recv(fds[i], buf, sizeof(buf), 0);
			if (got == 0 || (got < 0 && errno == ECONNRESET)) {
				closed[i] = 1;
				n_closed++;
			}
		}
	}
	return n_closed;
}

// A connection that completed the SP handshake as a REQ peer.
static int
negotiated(int port)
{
	int fd = tcp_connect(port);
	handshake(fd, SP_REQ);
	return fd;
}

static void
test_idle_connections(void **state)
{
	struct node *n = *state;
	int fds[N_IDLE];
	for (int i = 0; i < N_IDLE; i++)
		fds[i] = negotiated(n->rpc_port);
	// Those beyond the bound from 127.0.0.1 are closed at once...
	int early[N_IDLE] = {0};
	int n_closed = closed_among(fds, N_IDLE, LIMITED_IDLE_MS / 4, early);
	print_message("closed at once: %d of %d\n", n_closed, N_IDLE);
	assert_int_equal(n_closed, N_IDLE - LIMITED_PER_PEER);
	// ...a client from another source is answered meanwhile...
	int64_t t = fed_test_now_ms();
	assert_int_equal(fed_test_wait_health(n->ipc, 2000), FED_OK);
	print_message("health over ipc:// meanwhile: %lld ms\n",
	    (long long) (fed_test_now_ms() - t));
	// ...and the ones held are closed once idle past the timeout.
	for (int i = 0; i < N_IDLE; i++) {
		if (!early[i])
			n_closed += closed_within(fds[i], 4 * LIMITED_IDLE_MS);
		close(fds[i]);
	}
	assert_int_equal(n_closed, N_IDLE);
	assert_serving(n);
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
	    cmocka_unit_test_setup_teardown(
	        test_query_duplicate_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_query_cells_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_query_raw_points_bounded, setup_limited, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_idle_connections, setup_limited, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
