// SPDX-License-Identifier: MIT
//
// test_tls_clients.c: the clients of enfed over tls+tcp://, end to end,
// with certificates made by fed-pki in a temporary folder and a real
// fed-node on loopback whose RPC (and private stream) listen on tls+tcp://:
//   - fed-pki edge: a client-only certificate (clientAuth, no serverAuth,
//     CN = the board's name, key 0600) whose serial `fed-pki serial`
//     prints again;
//   - fedctl health, series create, ingest and query over TLS, with the
//     flags and with FED_TLS_* in the environment; watch on the TLS
//     stream;
//   - fed-edge-tic replaying a captured meter stream into the node over
//     TLS with an edge certificate: the points arrive;
//   - fed-relay following the node's TLS stream; fed-web starting with
//     its clients of tls+tcp:// addresses;
//   - a node presenting a board's certificate refused by its clients;
//   - a certificate from another CA: fedctl and fed-edge-tic fail, say
//     why and exit non-zero, in bounded time;
//   - tls+tcp:// without the certificate, key and CA: fedctl, fed-relay
//     and fed-web stop at start with the reason;
//   - the warning that a token sent over plain tcp:// to another machine
//     travels in clear, for those addresses only.
//
// The federation CA signs the node's and the boards' certificates; the
// organisation's own CA signs those allowed on the private stream (the
// node requires a CA of its own there: docs/security.md).

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "edge_test.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/log.h"
#include "fed/rpc.h"
#include "fed/stream.h"
#include "fed/transport.h"
#include "fed_test.h"

#define ADMIN "tls-clients-admin-token"
#define T0    INT64_C(1767222000000) // 2026-01-01T00:00:00+01:00

struct env {
	char *dir;
	char fed[600], org[600], other[600]; // the three CAs' folders
	char rpc[128], local[128], stream[128]; // node: TLS RPC, ipc, stream
	char node_opt[200], stream_opt[200];
	char cert[700], key[700], ca[700]; // fedctl's --tls-* options
	int pid;
	fed_rpc_client *client; // admin, over ipc
};

static struct env *E;

static int
pki(const char *a0, const char *a1, const char *a2, char **out)
{
	char tool[512];
	snprintf(tool, sizeof(tool), "%s/cli/fed-pki/fed-pki",
	    getenv("FED_SOURCE_DIR"));
	char *argv[]
	    = {tool, (char *) a0, (char *) a1, (char *) a2, NULL, NULL, NULL};
	if (strcmp(a0, "node") == 0) {
		argv[4] = "--ip";
		argv[5] = "127.0.0.1";
	}
	return fed_test_run(argv, NULL, out, NULL);
}

static void
make_pki(struct env *e)
{
	snprintf(e->fed, sizeof(e->fed), "%s/fed", e->dir);
	snprintf(e->org, sizeof(e->org), "%s/org", e->dir);
	snprintf(e->other, sizeof(e->other), "%s/other", e->dir);
	assert_int_equal(pki("ca", e->fed, NULL, NULL), 0);
	assert_int_equal(pki("ca", e->org, NULL, NULL), 0);
	assert_int_equal(pki("ca", e->other, NULL, NULL), 0);
	assert_int_equal(pki("node", e->fed, "node", NULL), 0);
	assert_int_equal(pki("edge", e->fed, "board1", NULL), 0);
	assert_int_equal(pki("edge", e->fed, "board3", NULL), 0);
	assert_int_equal(pki("edge", e->fed, "operator", NULL), 0);
	assert_int_equal(pki("edge", e->org, "dashboard", NULL), 0);
	assert_int_equal(pki("edge", e->other, "rogue", NULL), 0);
}

static void
node_start(struct env *e)
{
	snprintf(e->rpc, sizeof(e->rpc), "tls+tcp://127.0.0.1:%d",
	    fed_test_free_port());
	snprintf(e->stream, sizeof(e->stream), "tls+tcp://127.0.0.1:%d",
	    fed_test_free_port());
	fed_test_ipc_url(e->local, sizeof(e->local), "tlsclients");
	// The revocation list, empty until a test revokes a board.
	char revoked[700];
	snprintf(revoked, sizeof(revoked), "%s/revoked.txt", e->dir);
	FILE *f = fopen(revoked, "w");
	assert_non_null(f);
	fclose(f);
	char o[6][800];
	snprintf(o[0], sizeof(o[0]), "--listen=%s,%s", e->rpc, e->local);
	snprintf(o[1], sizeof(o[1]), "--tls-cert=%s/node.crt", e->fed);
	snprintf(o[2], sizeof(o[2]), "--tls-key=%s/node.key", e->fed);
	snprintf(o[3], sizeof(o[3]), "--tls-ca=%s/ca.crt", e->fed);
	snprintf(o[4], sizeof(o[4]), "--stream-tls-ca=%s/ca.crt", e->org);
	snprintf(o[5], sizeof(o[5]), "--tls-revoked=%s", revoked);
	const char *extra[] = {o[0], o[1], o[2], o[3], o[4], o[5], NULL};
	e->pid = fed_test_node_start_ex(FED_NODE_BIN, "tlsnode", e->dir,
	    e->local, e->stream, ADMIN, NULL, extra);
	assert_true(e->pid > 0);
	e->client = fed_test_client(e->local, ADMIN);
	assert_non_null(e->client);
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	e->dir = fed_test_tmpdir("tlsclients");
	fed_test_isolate_fedctl(e->dir);
	make_pki(e);
	node_start(e);
	snprintf(e->node_opt, sizeof(e->node_opt), "--node=%s", e->rpc);
	snprintf(
	    e->stream_opt, sizeof(e->stream_opt), "--stream=%s", e->stream);
	snprintf(
	    e->cert, sizeof(e->cert), "--tls-cert=%s/operator.crt", e->fed);
	snprintf(e->key, sizeof(e->key), "--tls-key=%s/operator.key", e->fed);
	snprintf(e->ca, sizeof(e->ca), "--tls-ca=%s/ca.crt", e->fed);
	E = e;
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	fed_rpc_client_free(e->client);
	assert_int_equal(fed_test_proc_stop(e->pid, SIGTERM, 10000), 0);
	edge_test_teardown(state);
	fed_test_rmtree(e->dir);
	free(e->dir);
	free(e);
	return 0;
}

// Runs argv[0..n) then the NULL-terminated rest; output and errors into
// *out and *err when not NULL. The exit code.
static int
run_v(char **argv, int n, char **out, char **err, va_list ap)
{
	n = fed_test_argv_add(argv, n, 64, ap);
	char *o = NULL, *r = NULL;
	int rc = fed_test_run(argv, NULL, &o, &r);
	if (getenv("FED_TEST_VERBOSE") != NULL)
		fprintf(stderr, "%s exit %d: %s%s\n", argv[0], rc, o, r);
	if (out != NULL)
		*out = o;
	else
		free(o);
	if (err != NULL)
		*err = r;
	else
		free(r);
	return rc;
}

// fedctl with the node's TLS address, the admin token and fedctl's
// certificate, key and CA.
static int
fedctl_tls(char **out, char **err, ...)
{
	char *argv[64] = {FEDCTL_BIN, E->node_opt, E->stream_opt,
	    "--token=" ADMIN, "--timeout=5s", E->cert, E->key, E->ca};
	va_list ap;
	va_start(ap, err);
	int rc = run_v(argv, 8, out, err, ap);
	va_end(ap);
	return rc;
}

// fedctl with only the arguments given.
static int
fedctl_bare(char **out, char **err, ...)
{
	char *argv[64] = {FEDCTL_BIN};
	va_list ap;
	va_start(ap, err);
	int rc = run_v(argv, 1, out, err, ap);
	va_end(ap);
	return rc;
}

static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return strdup("");
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
test_pki_edge(void **state)
{
	(void) state;
	char *out = NULL, path[800];
	assert_int_equal(pki("edge", E->fed, "board2", &out), 0);
	assert_non_null(strstr(out, "serial="));
	char serial[128];
	snprintf(serial, sizeof(serial), "%s", strstr(out, "serial=") + 7);
	serial[strcspn(serial, "\n")] = '\0';
	assert_true(strlen(serial) > 0);
	free(out);
	// `fed-pki serial` prints the same serial back.
	snprintf(path, sizeof(path), "%s/board2.crt", E->fed);
	assert_int_equal(pki("serial", path, NULL, &out), 0);
	assert_non_null(strstr(out, serial));
	free(out);
	// Client use only, CN = the board's name.
	char *argv[] = {
	    "/usr/bin/openssl", "x509", "-noout", "-text", "-in", path, NULL};
	assert_int_equal(fed_test_run(argv, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "CN = board2"));
	assert_non_null(strstr(out, "TLS Web Client Authentication"));
	assert_null(strstr(out, "TLS Web Server Authentication"));
	assert_non_null(strstr(out, "CA:FALSE"));
	free(out);
	struct stat st;
	snprintf(path, sizeof(path), "%s/board2.key", E->fed);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	// Never overwritten; a name that is not one refused.
	assert_int_not_equal(pki("edge", E->fed, "board2", NULL), 0);
	assert_int_not_equal(pki("edge", E->fed, "../x", NULL), 0);
	assert_int_not_equal(pki("serial", "/nonexistent.crt", NULL, NULL), 0);
}

static void
test_fedctl_over_tls(void **state)
{
	(void) state;
	char *out = NULL, *err = NULL;
	assert_int_equal(fedctl_tls(&out, NULL, "health", NULL), 0);
	assert_non_null(strstr(out, "tlsnode"));
	free(out);
	assert_int_equal(fedctl_tls(&out, NULL, "series", "create",
	                     "tls/house/energy", "--kind", "consumption",
	                     "--unit", "Wh", "--owner", "test", NULL),
	    0);
	free(out);
	char csv[800];
	snprintf(csv, sizeof(csv), "%s/points.csv", E->dir);
	FILE *f = fopen(csv, "w");
	assert_non_null(f);
	fputs("timestamp,value\n"
	      "2026-01-01T00:00:00Z,10\n"
	      "2026-01-01T01:00:00Z,20\n"
	      "2026-01-01T02:00:00Z,30\n",
	    f);
	fclose(f);
	assert_int_equal(fedctl_tls(&out, NULL, "ingest", "tls/house/energy",
	                     "--csv", csv, NULL),
	    0);
	assert_non_null(strstr(out, "3 stored"));
	free(out);
	assert_int_equal(fedctl_tls(&out, NULL, "query", "tls/house/energy",
	                     "--from", "2026-01-01T00:00:00Z", "--to",
	                     "2026-01-02T00:00:00Z", "--csv", "--utc", NULL),
	    0);
	assert_non_null(strstr(out, "2026-01-01T01:00:00+00:00,20"));
	assert_non_null(strstr(out, "2026-01-01T02:00:00+00:00,30"));
	free(out);
	// The same settings from the environment, as from a config file.
	char cert[700], key[700], ca[700];
	snprintf(cert, sizeof(cert), "%s/operator.crt", E->fed);
	snprintf(key, sizeof(key), "%s/operator.key", E->fed);
	snprintf(ca, sizeof(ca), "%s/ca.crt", E->fed);
	setenv("FED_TLS_CERT", cert, 1);
	setenv("FED_TLS_KEY", key, 1);
	setenv("FED_TLS_CA", ca, 1);
	int rc = fedctl_bare(
	    &out, &err, E->node_opt, "--timeout=5s", "health", NULL);
	unsetenv("FED_TLS_CERT");
	unsetenv("FED_TLS_KEY");
	unsetenv("FED_TLS_CA");
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "tlsnode"));
	free(out);
	free(err);
}

// fedctl watch on the private stream over TLS: a certificate of the
// organisation's own CA (the node's --stream-tls-ca), the federation CA to
// check the node's.
static void
test_fedctl_watch_tls(void **state)
{
	(void) state;
	char log[800], cert[800], key[800];
	snprintf(log, sizeof(log), "%s/watch.out", E->dir);
	snprintf(cert, sizeof(cert), "--tls-cert=%s/dashboard.crt", E->org);
	snprintf(key, sizeof(key), "--tls-key=%s/dashboard.key", E->org);
	char node[200];
	snprintf(node, sizeof(node), "--node=%s", E->local);
	char *argv[] = {FEDCTL_BIN, node, E->stream_opt, "--token=" ADMIN,
	    cert, key, E->ca, "watch", "tls/watch/", "--count=1",
	    "--duration=20s", "--csv", "--utc", NULL};
	int pid = edge_proc_start(argv, log);
	assert_true(pid > 0);
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = "tls/watch/power";
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_POWER;
	m.unit = ENFED__V1__UNIT__UNIT_W;
	Enfed__V1__CreateSeriesRequest cr
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	cr.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(E->client, "CreateSeries", &cr, &info),
	    FED_OK);
	protobuf_c_message_free_unpacked(&info->base, NULL);
	// A point a few times a second until watch prints one (the stream
	// is joined in the background): 15 s at most.
	char *text = NULL;
	int seen = 0;
	for (int i = 0; i < 60 && !seen; i++) {
		int64_t t = T0 + i * 1000;
		assert_int_equal(
		    fed_test_ingest_every(E->client, "tls/watch/power", t,
		        t + 1, 1, 42, 0, 0, NULL, NULL),
		    FED_OK);
		fed_test_sleep_ms(250);
		text = read_text(log);
		seen = strstr(text, "tls/watch/power,42") != NULL;
		free(text);
	}
	int rc = edge_proc_stop(pid, SIGTERM, 5000);
	if (!seen)
		edge_dump_file(log);
	assert_true(seen);
	assert_int_equal(rc, 0);
}

// A certificate that another CA signed: the node refuses the handshake;
// fedctl fails within its timeout, non-zero, and says TLS may be why.
static void
test_fedctl_other_ca(void **state)
{
	(void) state;
	char cert[800], key[800], *err = NULL;
	snprintf(cert, sizeof(cert), "--tls-cert=%s/rogue.crt", E->other);
	snprintf(key, sizeof(key), "--tls-key=%s/rogue.key", E->other);
	int64_t t0 = fed_test_now_ms();
	int rc = fedctl_bare(NULL, &err, E->node_opt, "--token=" ADMIN,
	    "--timeout=2s", cert, key, E->ca, "health", NULL);
	assert_true(fed_test_now_ms() - t0 < 15000);
	assert_int_equal(rc, 5); // unavailable
	assert_non_null(strstr(err, "TLS"));
	assert_non_null(strstr(err, "--tls-cert"));
	free(err);
	// A client trusting another CA refuses the node's certificate.
	char ca[800];
	snprintf(ca, sizeof(ca), "--tls-ca=%s/ca.crt", E->other);
	rc = fedctl_bare(NULL, &err, E->node_opt, "--token=" ADMIN,
	    "--timeout=2s", E->cert, E->key, ca, "health", NULL);
	assert_int_equal(rc, 5);
	assert_non_null(strstr(err, "TLS"));
	free(err);
}

// tls+tcp:// without the certificate, key and CA: a usage error at once.
static void
test_missing_files(void **state)
{
	(void) state;
	char *err = NULL;
	int64_t t0 = fed_test_now_ms();
	assert_int_equal(fedctl_bare(NULL, &err, E->node_opt, "--token=" ADMIN,
	                     "health", NULL),
	    2);
	assert_non_null(strstr(err, "--tls-cert"));
	free(err);
	assert_int_equal(fedctl_bare(NULL, &err, E->node_opt, E->cert, E->key,
	                     "health", NULL),
	    2);
	assert_non_null(strstr(err, "is TLS"));
	free(err);
	// Files that cannot be read: said, exit non-zero.
	assert_int_equal(
	    fedctl_bare(NULL, &err, E->node_opt,
	        "--tls-cert=/nonexistent/a.crt",
	        "--tls-key=/nonexistent/a.key", E->ca, "health", NULL),
	    1);
	assert_non_null(strstr(err, "/nonexistent/a.crt"));
	free(err);
	char up[200];
	snprintf(up, sizeof(up), "--upstream=%s", E->stream);
	char *relay[]
	    = {FED_RELAY_BIN, up, "--listen=ipc:///nonexistent/r", NULL};
	assert_int_equal(fed_test_run(relay, NULL, NULL, &err), 2);
	assert_non_null(strstr(err, "--upstream"));
	free(err);
	char inv[200], lis[100];
	snprintf(inv, sizeof(inv), "--invest=%s", E->rpc);
	snprintf(lis, sizeof(lis), "--listen=http://127.0.0.1:%d",
	    fed_test_free_port());
	char *web[] = {FED_WEB_BIN, inv, lis, NULL};
	assert_int_equal(fed_test_run(web, NULL, NULL, &err), 1);
	assert_non_null(strstr(err, "--tls-cert"));
	free(err);
	assert_true(fed_test_now_ms() - t0 < 20000);
}

// fed-web with its client certificate: its clients of tls+tcp:// addresses
// are made at start (the files read then), and it serves.
static void
test_web_starts_with_tls(void **state)
{
	(void) state;
	char inv[200], nodes[200], lis[100], log[800];
	snprintf(inv, sizeof(inv), "--invest=%s", E->rpc);
	snprintf(nodes, sizeof(nodes), "--nodes=tlsnode=%s", E->rpc);
	snprintf(lis, sizeof(lis), "--listen=http://127.0.0.1:%d",
	    fed_test_free_port());
	snprintf(log, sizeof(log), "%s/web.log", E->dir);
	char *argv[]
	    = {FED_WEB_BIN, inv, nodes, lis, E->cert, E->key, E->ca, NULL};
	int pid = edge_proc_start(argv, log);
	assert_true(pid > 0);
	char *text = NULL;
	int serving = 0;
	for (int i = 0; i < 50 && !serving; i++) {
		fed_test_sleep_ms(100);
		text = read_text(log);
		serving = strstr(text, "serving") != NULL;
		free(text);
	}
	int rc = edge_proc_stop(pid, SIGTERM, 5000);
	if (!serving)
		edge_dump_file(log);
	assert_true(serving);
	assert_int_equal(rc, 0);
}

// fed-edge-tic replaying a standard-mode capture into the node over TLS.
static int
run_tic(const char *site, const char *crt, const char *key, const char *drain,
    const char *log)
{
	char a[9][900];
	snprintf(a[0], sizeof(a[0]), "--node=%s", E->rpc);
	snprintf(a[1], sizeof(a[1]), "--input=%s/tic/linky_1P_standard.bin",
	    getenv("FED_FIXTURES"));
	snprintf(a[2], sizeof(a[2]), "--site=%s", site);
	snprintf(a[3], sizeof(a[3]), "--replay-clock=%lld", (long long) T0);
	snprintf(a[4], sizeof(a[4]), "--spool-dir=%s/spool-%s", E->dir, site);
	snprintf(a[5], sizeof(a[5]), "--tls-cert=%s", crt);
	snprintf(a[6], sizeof(a[6]), "--tls-key=%s", key);
	snprintf(a[7], sizeof(a[7]), "%s", E->ca);
	snprintf(a[8], sizeof(a[8]), "--drain-timeout=%s", drain);
	char *argv[] = {FED_EDGE_TIC_BIN, a[0], a[1], a[2], a[3], a[4], a[5],
	    a[6], a[7], a[8], "--token=" ADMIN, "--period=0",
	    "--power-period=0", "--spool-sync=group", "--backoff-min=100ms",
	    "--backoff-max=500ms", "--rpc-timeout=1s", NULL};
	return edge_run(argv, log, 60000);
}

static void
test_edge_tic_over_tls(void **state)
{
	(void) state;
	char crt[800], key[800], log[800];
	snprintf(crt, sizeof(crt), "%s/board1.crt", E->fed);
	snprintf(key, sizeof(key), "%s/board1.key", E->fed);
	snprintf(log, sizeof(log), "%s/tic.log", E->dir);
	int rc = run_tic("house", crt, key, "30s", log);
	if (rc != 0)
		edge_dump_file(log);
	assert_int_equal(rc, 0);
	uint64_t points = 0, stored = 0, pending = 1, dead = 1;
	assert_int_equal(edge_log_counter(log, "points", &points), 0);
	assert_int_equal(edge_log_counter(log, "stored", &stored), 0);
	assert_int_equal(edge_log_counter(log, "pending", &pending), 0);
	assert_int_equal(edge_log_counter(log, "dead", &dead), 0);
	assert_true(points > 10);
	assert_int_equal(stored, points);
	assert_int_equal(pending, 0);
	assert_int_equal(dead, 0);
	// The points are in the node.
	int64_t *ts = NULL;
	double *v = NULL;
	size_t n = 0;
	assert_int_equal(
	    edge_query_raw(E->client, "house/linky/power", &ts, &v, &n),
	    FED_OK);
	assert_true(n > 0);
	assert_true(v[0] > 0);
	free(ts);
	free(v);
}

// A board whose certificate another CA signed: nothing is sent, the
// handshake's failure is logged, the points stay spooled (exit 3).
static void
test_edge_tic_other_ca(void **state)
{
	(void) state;
	char crt[800], key[800], log[800];
	snprintf(crt, sizeof(crt), "%s/rogue.crt", E->other);
	snprintf(key, sizeof(key), "%s/rogue.key", E->other);
	snprintf(log, sizeof(log), "%s/tic-rogue.log", E->dir);
	assert_int_equal(run_tic("rogue", crt, key, "3s", log), 3);
	char *text = read_text(log);
	// The node refused the board's certificate; the board says why.
	assert_non_null(strstr(text,
	    "ended the handshake: this side's "
	    "certificate is not signed by its CA"));
	free(text);
	uint64_t sent = 1, pending = 0;
	assert_int_equal(edge_log_counter(log, "sent", &sent), 0);
	assert_int_equal(edge_log_counter(log, "pending", &pending), 0);
	assert_int_equal(sent, 0);
	assert_true(pending > 0);
	int64_t *ts = NULL;
	double *v = NULL;
	size_t n = 0;
	(void) edge_query_raw(E->client, "rogue/linky/power", &ts, &v, &n);
	assert_int_equal(n, 0);
	free(ts);
	free(v);
}

// A board whose certificate the operator revoked: `fed-pki revoke` adds
// its serial to the node's --tls-revoked file, a SIGHUP makes the running
// node read it (no restart), and the board is refused at the handshake:
// nothing sent, its points kept, the node's log naming the serial.
static void
test_edge_tic_revoked(void **state)
{
	(void) state;
	char crt[800], key[800], log[800], revoked[800], nodelog[800];
	snprintf(crt, sizeof(crt), "%s/board3.crt", E->fed);
	snprintf(key, sizeof(key), "%s/board3.key", E->fed);
	snprintf(log, sizeof(log), "%s/tic-board3.log", E->dir);
	snprintf(revoked, sizeof(revoked), "%s/revoked.txt", E->dir);
	snprintf(nodelog, sizeof(nodelog), "%s/tlsnode.log", E->dir);
	assert_int_equal(run_tic("board3a", crt, key, "30s", log), 0);

	char *out = NULL;
	assert_int_equal(pki("revoke", crt, revoked, &out), 0);
	free(out);
	assert_int_equal(kill(E->pid, SIGHUP), 0);
	int reloaded = 0;
	for (int i = 0; i < 100 && !reloaded; i++) {
		char *text = read_text(nodelog);
		reloaded = text != NULL
		    && strstr(text, "revocation list reloaded") != NULL;
		free(text);
		if (!reloaded)
			fed_test_sleep_ms(50);
	}
	assert_true(reloaded);

	snprintf(log, sizeof(log), "%s/tic-board3-revoked.log", E->dir);
	assert_int_equal(run_tic("board3b", crt, key, "3s", log), 3);
	char *text = read_text(log);
	assert_non_null(strstr(text, "certificate is revoked there"));
	free(text);
	uint64_t sent = 1, pending = 0;
	assert_int_equal(edge_log_counter(log, "sent", &sent), 0);
	assert_int_equal(edge_log_counter(log, "pending", &pending), 0);
	assert_int_equal(sent, 0);
	assert_true(pending > 0);
	text = read_text(nodelog);
	assert_non_null(strstr(text, "certificate revoked (serial"));
	free(text);
	// The other boards go on.
	snprintf(crt, sizeof(crt), "%s/board1.crt", E->fed);
	snprintf(key, sizeof(key), "%s/board1.key", E->fed);
	snprintf(log, sizeof(log), "%s/tic-board1-after.log", E->dir);
	assert_int_equal(run_tic("board1b", crt, key, "30s", log), 0);
}

// A board's certificate is no server's: a node that presents one is
// refused by its clients (no serverAuth), although the CA signed it.
static void
test_edge_cert_cannot_serve(void **state)
{
	(void) state;
	char rpc[128], local[128], stream[128], o[4][800];
	snprintf(
	    rpc, sizeof(rpc), "tls+tcp://127.0.0.1:%d", fed_test_free_port());
	fed_test_ipc_url(local, sizeof(local), "fakenode");
	fed_test_ipc_url(stream, sizeof(stream), "fakenodestream");
	snprintf(o[0], sizeof(o[0]), "--listen=%s,%s", rpc, local);
	snprintf(o[1], sizeof(o[1]), "--tls-cert=%s/board1.crt", E->fed);
	snprintf(o[2], sizeof(o[2]), "--tls-key=%s/board1.key", E->fed);
	snprintf(o[3], sizeof(o[3]), "--tls-ca=%s/ca.crt", E->fed);
	const char *extra[] = {o[0], o[1], o[2], o[3], NULL};
	int pid = fed_test_node_start_ex(FED_NODE_BIN, "fakenode", E->dir,
	    local, stream, ADMIN, NULL, extra);
	assert_true(pid > 0);
	char node[200], *err = NULL;
	snprintf(node, sizeof(node), "--node=%s", rpc);
	int rc = fedctl_bare(NULL, &err, node, "--token=" ADMIN,
	    "--timeout=2s", "--tls-server-name=board1", E->cert, E->key, E->ca,
	    "health", NULL);
	assert_int_equal(fed_test_proc_stop(pid, SIGTERM, 10000), 0);
	assert_int_equal(rc, 5);
	// A node cannot even complete a handshake with a client-only
	// certificate: the failure is logged as TLS, on fedctl's stderr.
	assert_non_null(strstr(err, "TLS: the server at"));
	assert_non_null(strstr(err, "ended the handshake"));
	free(err);
}

static void
count_warnings(
    fed_log_level level, const char *component, const char *line, void *arg)
{
	int *n = arg;
	if (level == FED_LOG_WARNING && strcmp(component, "probe") == 0
	    && strstr(line, "in clear") != NULL)
		(*n)++;
}

// The warning that a token goes in clear: plain tcp:// to another machine
// only (nothing is dialled here).
static void
test_warn_clear(void **state)
{
	(void) state;
	int n = 0;
	fed_log_set_sink(count_warnings, &n);
	fed_log_set_level(FED_LOG_INFO);
	fed_transport_warn_clear("tcp://192.0.2.10:7410", "probe");
	assert_int_equal(n, 1);
	fed_transport_warn_clear("tcp4://node.example.org:7410", "probe");
	assert_int_equal(n, 2);
	fed_transport_warn_clear("tcp://127.0.0.1:7410", "probe");
	fed_transport_warn_clear("tcp://localhost:7410", "probe");
	fed_transport_warn_clear("tcp://[::1]:7410", "probe");
	fed_transport_warn_clear("tls+tcp://192.0.2.10:7410", "probe");
	fed_transport_warn_clear("ipc:///run/enfed/node.sock", "probe");
	fed_transport_warn_clear(NULL, "probe");
	assert_int_equal(n, 2);
	fed_log_set_sink(NULL, NULL);
}

struct frames {
	int n;
};

static void
on_event(const fed_stream_event *ev, void *arg)
{
	struct frames *f = arg;
	if (ev->kind == FED_STREAM_POINTS
	    && strcmp(ev->series_id, "tls/relay/power") == 0)
		f->n++;
}

// fed-relay following the node's private stream over TLS, publishing it
// again on ipc://.
static void
test_relay_upstream_tls(void **state)
{
	(void) state;
	char up[200], lis[200], relay_url[160], cert[800], key[800], log[800];
	fed_test_ipc_url(relay_url, sizeof(relay_url), "tlsrelay");
	snprintf(up, sizeof(up), "--upstream=%s", E->stream);
	snprintf(lis, sizeof(lis), "--listen=%s", relay_url);
	snprintf(cert, sizeof(cert), "--tls-cert=%s/dashboard.crt", E->org);
	snprintf(key, sizeof(key), "--tls-key=%s/dashboard.key", E->org);
	snprintf(log, sizeof(log), "%s/relay.log", E->dir);
	char *argv[] = {FED_RELAY_BIN, up, lis, cert, key, E->ca,
	    "--log-level=info", NULL};
	int pid = edge_proc_start(argv, log);
	assert_true(pid > 0);
	fed_stream_sub_opts so = {.url = relay_url};
	fed_stream_sub *sub = NULL;
	assert_int_equal(fed_stream_sub_new(&so, &sub), FED_OK);
	assert_int_equal(fed_stream_sub_subscribe(sub, "tls/relay/"), FED_OK);
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = "tls/relay/power";
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_POWER;
	m.unit = ENFED__V1__UNIT__UNIT_W;
	Enfed__V1__CreateSeriesRequest cr
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	cr.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(E->client, "CreateSeries", &cr, &info),
	    FED_OK);
	protobuf_c_message_free_unpacked(&info->base, NULL);
	struct frames f = {0};
	for (int i = 0; i < 60 && f.n == 0; i++) {
		int64_t t = T0 + i * 1000;
		assert_int_equal(
		    fed_test_ingest_every(E->client, "tls/relay/power", t,
		        t + 1, 1, 7, 0, 0, NULL, NULL),
		    FED_OK);
		(void) fed_stream_sub_recv(sub, 250, on_event, &f);
	}
	fed_stream_sub_free(sub);
	int rc = edge_proc_stop(pid, SIGTERM, 5000);
	if (f.n == 0)
		edge_dump_file(log);
	assert_true(f.n > 0);
	assert_int_equal(rc, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_warn_clear),
	    cmocka_unit_test(test_pki_edge),
	    cmocka_unit_test(test_fedctl_over_tls),
	    cmocka_unit_test(test_fedctl_watch_tls),
	    cmocka_unit_test(test_fedctl_other_ca),
	    cmocka_unit_test(test_missing_files),
	    cmocka_unit_test(test_web_starts_with_tls),
	    cmocka_unit_test(test_edge_tic_over_tls),
	    cmocka_unit_test(test_edge_tic_other_ca),
	    cmocka_unit_test(test_edge_tic_revoked),
	    cmocka_unit_test(test_edge_cert_cannot_serve),
	    cmocka_unit_test(test_relay_upstream_tls),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
