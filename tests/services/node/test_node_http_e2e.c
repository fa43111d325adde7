// SPDX-License-Identifier: MIT
//
// test_node_http_e2e.c: a real fed-node with --http-listen on a free
// loopback port, driven by the clients people use: curl writes line
// protocol as Home Assistant does and reads as Grafana does (epoch=ms, the
// password as the token), Debian's `influx` command-line client (package
// influxdb-client) runs a SELECT with GROUP BY time(); without a token or
// with a wrong one the answer is 401 and names no series. With openssl at
// hand, the same over https with a throw-away certificate. The influx and
// https steps say so on stderr and are skipped when their program is
// missing.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed_test.h"

#define ADMIN   "http-e2e-admin-token"
#define SERIES  "house/sensor/house_power"
#define INFLUX  "/usr/bin/influx"
#define OPENSSL "/usr/bin/openssl"

struct node {
	char *dir;
	int pid, port;
	char rpc[64], stream[64], base[64];
};

// A self-signed certificate and key for https, in dir; 0 without openssl.
static int
make_cert(const char *dir)
{
	if (access(OPENSSL, X_OK) != 0)
		return 0;
	char key[4200], crt[4200];
	snprintf(key, sizeof(key), "%s/http.key", dir);
	snprintf(crt, sizeof(crt), "%s/http.crt", dir);
	char *argv[] = {OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
	    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
	    "/CN=127.0.0.1", "-keyout", key, "-out", crt, NULL};
	return fed_test_run(argv, NULL, NULL, NULL) == 0;
}

static int
setup(void **state)
{
	struct node *n = calloc(1, sizeof(*n));
	assert_non_null(n);
	n->dir = fed_test_tmpdir("node-http");
	snprintf(n->rpc, sizeof(n->rpc), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	snprintf(n->stream, sizeof(n->stream), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	n->port = fed_test_free_port();
	snprintf(n->base, sizeof(n->base), "http://127.0.0.1:%d", n->port);
	char opt[128];
	snprintf(opt, sizeof(opt), "--http-listen=%s", n->base);
	const char *extra[] = {opt, NULL};
	n->pid = fed_test_node_start_ex(FED_NODE_BIN, "http", n->dir, n->rpc,
	    n->stream, ADMIN, NULL, extra);
	assert_true(n->pid > 0);
	*state = n;
	return 0;
}

static int
teardown(void **state)
{
	struct node *n = *state;
	assert_int_equal(fed_test_proc_stop(n->pid, SIGTERM, 10000), 0);
	fed_test_rmtree(n->dir);
	free(n->dir);
	free(n);
	return 0;
}

static void
create_series(const char *rpc)
{
	fed_rpc_client *c = fed_test_client(rpc, ADMIN);
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = SERIES;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_POWER;
	m.unit = ENFED__V1__UNIT__UNIT_W;
	m.interval_s = 60;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(c, "CreateSeries", &req, &info), FED_OK);
	enfed__v1__series_info__free_unpacked(info, NULL);
	fed_rpc_client_free(c);
}

// curl with args, its output (headers included) into *out; exit status.
static int
curl(char **out, const char *a1, const char *a2, const char *a3,
    const char *a4, const char *a5)
{
	char *argv[] = {"/usr/bin/curl", "-sS", "-i", "-k", "--max-time", "10",
	    (char *) a1, (char *) a2, (char *) a3, (char *) a4, (char *) a5,
	    NULL};
	return fed_test_run(argv, NULL, out, NULL);
}

// Home Assistant's write (measurement overridden to "house"), an hour of
// points a minute apart at 2026-01-01T00:00Z.
static void
write_points(const char *base)
{
	char body[8192], url[128], *out = NULL;
	size_t len = 0;
	for (int i = 0; i < 60; i++)
		len += (size_t) snprintf(body + len, sizeof(body) - len,
		    "house,domain=sensor,entity_id=house_power value=%d.5,"
		    "friendly_name_str=\"House power\" %lld\n",
		    1000 + i, (long long) (1767225600 + 60 * i));
	// A state that is not a number, as Home Assistant writes it.
	len += (size_t) snprintf(body + len, sizeof(body) - len,
	    "house,domain=sensor,entity_id=house_power state=\"unavailable\" "
	    "%lld\n",
	    (long long) 1767229200);
	snprintf(url, sizeof(url),
	    "%s/write?db=home&precision=s&u=ha&p=" ADMIN, base);
	assert_int_equal(
	    curl(&out, "-XPOST", "--data-binary", body, url, NULL), 0);
	if (strstr(out, "204 No Content") == NULL
	    || strstr(out, "X-Enfed-Skipped-Lines: 1") == NULL)
		fail_msg("write: %s", out);
	free(out);
}

static void
curl_write_and_grafana_read(void **state)
{
	struct node *n = *state;
	create_series(n->rpc);
	write_points(n->base);
	char url[512], *out = NULL;
	snprintf(url, sizeof(url), "%s/query", n->base);
	assert_int_equal(curl(&out, "-G", url, "--data-urlencode",
	                     "q=SELECT mean(\"value\") FROM \"" SERIES
	                     "\" WHERE time >= 1767225600000ms and time <= "
	                     "1767229199999ms GROUP BY time(1h) fill(null)",
	                     "-uadmin:" ADMIN),
	    0);
	// epoch=ms is not given here: RFC 3339 times; mean of 1000.5..1059.5
	if (strstr(out, "[[\"2026-01-01T00:00:00Z\",1030]]") == NULL)
		fail_msg("query: %s", out);
	free(out);
	snprintf(url, sizeof(url), "%s/query?epoch=ms&q=SHOW+MEASUREMENTS",
	    n->base);
	assert_int_equal(curl(&out, url, NULL, NULL, NULL, NULL), 0);
	assert_non_null(strstr(out, "401 Unauthorized"));
	assert_null(strstr(out, "house"));
	free(out);
	assert_int_equal(
	    curl(&out, "-H", "Authorization: Token wrong", url, NULL, NULL),
	    0);
	assert_non_null(strstr(out, "401 Unauthorized"));
	assert_null(strstr(out, "house"));
	free(out);
}

static void
influx_cli(void **state)
{
	struct node *n = *state;
	if (access(INFLUX, X_OK) != 0) {
		fprintf(stderr, "SKIPPED: no %s (Debian's influxdb-client)\n",
		    INFLUX);
		return;
	}
	char port[16], *out = NULL, *err = NULL;
	snprintf(port, sizeof(port), "%d", n->port);
	char *argv[] = {INFLUX, "-host", "127.0.0.1", "-port", port,
	    "-username", "grafana", "-password", ADMIN, "-database", "home",
	    "-precision", "rfc3339", "-execute",
	    "SELECT mean(\"value\") FROM \"" SERIES "\" WHERE time >= "
	    "'2026-01-01T00:00:00Z' AND time < '2026-01-01T01:00:00Z' GROUP "
	    "BY time(15m) fill(none) tz('Europe/Paris')",
	    NULL};
	int rc = fed_test_run(argv, NULL, &out, &err);
	if (rc != 0 || strstr(out, "2026-01-01T01:15:00+01:00 1022.5") == NULL)
		fail_msg("influx: %d\n%s\n%s", rc, out, err);
	free(out);
	free(err);
	char *bad[] = {INFLUX, "-host", "127.0.0.1", "-port", port,
	    "-username", "x", "-password", "wrong", "-execute",
	    "SELECT mean(\"value\") FROM \"" SERIES "\" WHERE time >= now() - "
	    "1h GROUP BY time(1h)",
	    NULL};
	assert_int_not_equal(fed_test_run(bad, NULL, &out, &err), 0);
	assert_null(strstr(out, "house"));
	assert_null(strstr(err, "house_power"));
	free(out);
	free(err);
}

// A second node, https only, with the node's --tls-cert and --tls-key.
static void
https(void **state)
{
	(void) state;
	char *dir = fed_test_tmpdir("node-https");
	if (!make_cert(dir)) {
		fprintf(stderr, "SKIPPED: no %s for a certificate\n", OPENSSL);
		fed_test_rmtree(dir);
		free(dir);
		return;
	}
	char rpc[64], stream[64], base[64], opt[128], cert[4200], key[4200];
	snprintf(rpc, sizeof(rpc), "tcp://127.0.0.1:%d", fed_test_free_port());
	snprintf(stream, sizeof(stream), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	snprintf(
	    base, sizeof(base), "https://127.0.0.1:%d", fed_test_free_port());
	snprintf(opt, sizeof(opt), "--http-listen=%s", base);
	snprintf(cert, sizeof(cert), "--tls-cert=%s/http.crt", dir);
	snprintf(key, sizeof(key), "--tls-key=%s/http.key", dir);
	const char *extra[] = {opt, cert, key, NULL};
	int pid = fed_test_node_start_ex(
	    FED_NODE_BIN, "https", dir, rpc, stream, ADMIN, NULL, extra);
	assert_true(pid > 0);
	create_series(rpc);
	write_points(base);
	char url[512], *out = NULL;
	snprintf(url, sizeof(url), "%s/query?epoch=s&p=" ADMIN, base);
	assert_int_equal(curl(&out, "-G", url, "--data-urlencode",
	                     "q=SELECT last(\"value\") FROM \"" SERIES
	                     "\" WHERE time >= 1767225600000ms AND time < "
	                     "1767312000000ms GROUP BY time(1d) tz('UTC')",
	                     NULL),
	    0);
	if (strstr(out, "[[1767225600,1059.5]]") == NULL)
		fail_msg("https query: %s", out);
	free(out);
	snprintf(url, sizeof(url), "http%s/ping", base + 5); // plain http
	assert_int_not_equal(curl(&out, url, NULL, NULL, NULL, NULL), 0);
	free(out);
	assert_int_equal(fed_test_proc_stop(pid, SIGTERM, 10000), 0);
	fed_test_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(curl_write_and_grafana_read),
	    cmocka_unit_test(influx_cli),
	    cmocka_unit_test(https),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
