// SPDX-License-Identifier: MIT
//
// test_fed_edge_envoy.c: the fed-edge-envoy program end to end, polling a
// local HTTP server (nng's supplemental HTTP server) that serves the real
// gateway replies of tests/fixtures/envoy, into a real fed-node:
//   - each inverter's report stored once (at its lastReportDate, with its
//     watts), although two polls returned it; the site's power and
//     lifetime index at each poll; the bearer token sent on every request;
//   - /production.json as the source of the site totals (readingTime);
//   - an HTTP 500, malformed JSON and a request left unanswered past the
//     timeout: each counted, no point, and the next poll stores the
//     points;
//   - SIGTERM while waiting for the next poll: a clean exit, nothing
//     left unsent;
//   - the HTTP client itself (envoy_http): statuses mapped (401, 404),
//     the body bound, a refused connection, the deadline, bad URLs.
// The expected values are read from the same files with envoy_parse.

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "edge_test.h"
#include "envoy_digest.h"
#include "envoy_http.h"
#include "envoy_parse.h"
#include "fed/clock.h"
#include "fed_test.h"

#define TOKEN "gateway-token-for-tests"

enum reply {
	REPLY_OK,
	REPLY_500,
	REPLY_MALFORMED,
	REPLY_SILENT, // never answered while the client waits
	REPLY_401,
	REPLY_404,
};

// One endpoint of the fake gateway.
typedef struct endpoint {
	const char *path;
	char *body;
	size_t len;
	enum reply script[8]; // reply to the n-th request; then REPLY_OK
	atomic_int n_requests;
	atomic_int n_bearer; // requests with the right Authorization
	bool digest; // asks for digest authentication (firmware before 7)
	atomic_int n_digest; // requests with the right digest answer
	nng_aio *silent[8];
	atomic_int n_silent;
} endpoint;

typedef struct gateway {
	nng_http_server *srv;
	char url[64];
	endpoint ep[3];
} gateway;

static char *
read_fixture(const char *name, size_t *len)
{
	char path[1024];
	snprintf(
	    path, sizeof(path), "%s/envoy/%s", getenv("FED_FIXTURES"), name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(ENVOY_INPUT_MAX + 1);
	*len = fread(buf, 1, ENVOY_INPUT_MAX, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void
reply(nng_aio *aio, uint16_t status, const void *body, size_t len)
{
	nng_http_res *res = NULL;
	if (nng_http_res_alloc(&res) != 0) {
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	nng_http_res_set_status(res, status);
	nng_http_res_set_header(res, "Content-Type", "application/json");
	nng_http_res_copy_data(res, body, len);
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

#define DIGEST_PASSWORD "123456"
#define DIGEST_CHALLENGE                                     \
	"Digest realm=\"enphaseenergy.com\", qop=\"auth\", " \
	"nonce=\"b6f8e2a1c3d4\""

// The value of name="..." (or name=...) in an Authorization header.
static void
header_field(const char *h, const char *name, char *out, size_t len)
{
	char key[32];
	snprintf(key, sizeof(key), " %s=", name);
	const char *p = strstr(h, key);
	out[0] = '\0';
	if (p == NULL)
		return;
	p += strlen(key);
	int quoted = *p == '"';
	p += quoted;
	size_t n = quoted ? strcspn(p, "\"") : strcspn(p, ",");
	snprintf(out, len, "%.*s", (int) n, p);
}

// 1 when auth is the digest answer to DIGEST_CHALLENGE for user envoy and
// DIGEST_PASSWORD: recomputed from its own nonce count and client nonce.
static int
digest_ok(const char *auth, const char *path)
{
	if (auth == NULL || strncmp(auth, "Digest ", 7) != 0)
		return 0;
	char cnonce[128], nc[16], uri[256], want[1024];
	header_field(auth, "cnonce", cnonce, sizeof(cnonce));
	header_field(auth, "nc", nc, sizeof(nc));
	header_field(auth, "uri", uri, sizeof(uri));
	envoy_digest_challenge c;
	if (strcmp(uri, path) != 0
	    || envoy_digest_parse(DIGEST_CHALLENGE, &c) != FED_OK
	    || envoy_digest_answer(&c, "envoy", DIGEST_PASSWORD, "GET", uri,
	           cnonce, (unsigned) strtoul(nc, NULL, 16), want,
	           sizeof(want))
	        != FED_OK)
		return 0;
	return strcmp(auth, want) == 0;
}

// A gateway before firmware 7: 401 with a digest challenge until the
// request carries the right answer.
static void
serve_digest(nng_aio *aio, endpoint *ep, const char *auth)
{
	atomic_fetch_add(&ep->n_requests, 1);
	if (digest_ok(auth, ep->path)) {
		atomic_fetch_add(&ep->n_digest, 1);
		reply(aio, 200, ep->body, ep->len);
		return;
	}
	nng_http_res *res = NULL;
	if (nng_http_res_alloc(&res) != 0) {
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	nng_http_res_set_status(res, 401);
	nng_http_res_set_header(res, "WWW-Authenticate", DIGEST_CHALLENGE);
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

// The endpoint's scripted reply to its n-th request.
static void
serve_script(nng_aio *aio, endpoint *ep)
{
	nng_http_req *req = nng_aio_get_input(aio, 0);
	int n = atomic_fetch_add(&ep->n_requests, 1);
	const char *auth = nng_http_req_get_header(req, "Authorization");
	if (auth != NULL && strcmp(auth, "Bearer " TOKEN) == 0)
		atomic_fetch_add(&ep->n_bearer, 1);
	enum reply r = n < 8 ? ep->script[n] : REPLY_OK;
	if (r == REPLY_500)
		reply(aio, 500, "{}", 2);
	else if (r == REPLY_MALFORMED)
		reply(aio, 200, ep->body, ep->len / 2); // cut in the middle
	else if (r == REPLY_401)
		reply(aio, 401, "{}", 2);
	else if (r == REPLY_404)
		reply(aio, 404, "{}", 2);
	else if (r == REPLY_SILENT)
		ep->silent[atomic_fetch_add(&ep->n_silent, 1)] = aio;
	else
		reply(aio, 200, ep->body, ep->len);
}

static void
serve(nng_aio *aio)
{
	nng_http_req *req = nng_aio_get_input(aio, 0);
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	endpoint *ep = nng_http_handler_get_data(h);
	if (ep->digest)
		serve_digest(
		    aio, ep, nng_http_req_get_header(req, "Authorization"));
	else
		serve_script(aio, ep);
}

static void
gateway_start(gateway *g)
{
	static const char *const paths[3][2] = {
	    {"/api/v1/production", "fw3.9.36_api_v1_production.json"},
	    {"/api/v1/production/inverters",
	        "fw3.9.36_api_v1_production_inverters.json"},
	    {"/production.json", "handwritten_production.json"},
	};
	snprintf(g->url, sizeof(g->url), "http://127.0.0.1:%d",
	    fed_test_free_port());
	nng_url *u = NULL;
	assert_int_equal(nng_url_parse(&u, g->url), 0);
	assert_int_equal(nng_http_server_hold(&g->srv, u), 0);
	nng_url_free(u);
	for (int i = 0; i < 3; i++) {
		endpoint *ep = &g->ep[i];
		ep->path = paths[i][0];
		ep->body = read_fixture(paths[i][1], &ep->len);
		nng_http_handler *h = NULL;
		assert_int_equal(
		    nng_http_handler_alloc(&h, ep->path, serve), 0);
		assert_int_equal(nng_http_handler_set_data(h, ep, NULL), 0);
		assert_int_equal(nng_http_server_add_handler(g->srv, h), 0);
	}
	assert_int_equal(nng_http_server_start(g->srv), 0);
}

static void
gateway_stop(gateway *g)
{
	for (int i = 0; i < 3; i++) // answer late what was left waiting
		for (int k = 0; k < atomic_load(&g->ep[i].n_silent); k++)
			reply(g->ep[i].silent[k], 503, "{}", 2);
	nng_http_server_stop(g->srv);
	nng_http_server_release(g->srv);
	for (int i = 0; i < 3; i++)
		free(g->ep[i].body);
}

static int
run_envoy(edge_node *n, const gateway *g, const char *site,
    char *const extra[], const char *log)
{
	char a[6][1100];
	snprintf(a[0], sizeof(a[0]), "--node=%s", n->rpc);
	snprintf(a[1], sizeof(a[1]), "--url=%s", g->url);
	snprintf(a[2], sizeof(a[2]), "--site=%s", site);
	snprintf(a[3], sizeof(a[3]), "--spool-dir=%s/spool-%s", n->dir, site);
	snprintf(a[4], sizeof(a[4]), "--token=%s", EDGE_TEST_ADMIN);
	snprintf(a[5], sizeof(a[5]), "--envoy-token=%s", TOKEN);
	char *argv[20] = {FED_EDGE_ENVOY_BIN, a[0], a[1], a[2], a[3], a[4],
	    a[5], "--period=1s", "--spool-sync=group"};
	size_t k = 9;
	for (size_t i = 0; extra[i] != NULL && k < 19; i++)
		argv[k++] = extra[i];
	argv[k] = NULL;
	int rc = edge_run(argv, log, 60000);
	if (rc != 0)
		edge_dump_file(log);
	return rc;
}

// Each inverter of the fixture holds exactly its one report.
static void
assert_inverters(edge_node *n, const char *site, const endpoint *ep)
{
	static envoy_inverter inv[64];
	size_t n_inv = 0;
	assert_int_equal(
	    envoy_parse_inverters(ep->body, ep->len, inv, 64, &n_inv, NULL),
	    FED_OK);
	assert_int_equal(n_inv, 12);
	for (size_t i = 0; i < n_inv; i++) {
		char id[4200];
		snprintf(
		    id, sizeof(id), "%s/pv/inv/%s/power", site, inv[i].serial);
		int64_t *ts;
		double *v;
		size_t got;
		assert_int_equal(
		    edge_query_raw(n->client, id, &ts, &v, &got), FED_OK);
		assert_int_equal(got, 1);
		assert_int_equal(ts[0], inv[i].last_report_ms);
		assert_true(v[0] == (double) inv[i].last_report_watts);
		free(ts);
		free(v);
	}
}

static uint64_t
counter(const char *log, const char *key)
{
	uint64_t v = 0;
	assert_int_equal(edge_log_counter(log, key, &v), 0);
	return v;
}

static void
test_inverters_and_totals(void **state)
{
	(void) state;
	edge_node n;
	gateway g;
	memset(&g, 0, sizeof(g));
	assert_int_equal(edge_node_start(&n, "envoy-ok"), 0);
	gateway_start(&g);
	char log[1024];
	snprintf(log, sizeof(log), "%s/envoy.log", n.dir);
	char *extra[] = {"--polls=2", NULL};
	assert_int_equal(run_envoy(&n, &g, "kp", extra, log), 0);
	// Two polls, the same reports: stored once.
	assert_inverters(&n, "kp", &g.ep[1]);
	envoy_production prod;
	assert_int_equal(
	    envoy_parse_production(g.ep[0].body, g.ep[0].len, &prod, NULL),
	    FED_OK);
	const char *ids[2] = {"kp/pv/power", "kp/pv/energy_lifetime"};
	double want[2] = {(double) prod.watts_now, (double) prod.wh_lifetime};
	for (int s = 0; s < 2; s++) {
		int64_t *ts;
		double *v;
		size_t got;
		assert_int_equal(
		    edge_query_raw(n.client, ids[s], &ts, &v, &got), FED_OK);
		assert_int_equal(got, 2); // one per poll
		assert_true(ts[0] < ts[1]);
		assert_true(v[0] == want[s] && v[1] == want[s]);
		free(ts);
		free(v);
	}
	assert_int_equal(counter(log, "polls"), 2);
	assert_int_equal(counter(log, "polls_ok"), 2);
	assert_int_equal(counter(log, "points"), 12 + 4);
	assert_int_equal(counter(log, "duplicate"), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(atomic_load(&g.ep[i].n_requests), 2);
		assert_int_equal(atomic_load(&g.ep[i].n_bearer), 2);
	}
	gateway_stop(&g);
	edge_node_stop(&n);
}

// An AC battery (devType 11) in the inverter list is no micro-inverter:
// not stored as one, said in the log; the micro-inverters are.
static void
test_battery_skipped(void **state)
{
	(void) state;
	edge_node n;
	gateway g;
	memset(&g, 0, sizeof(g));
	assert_int_equal(edge_node_start(&n, "envoy-batt"), 0);
	gateway_start(&g);
	endpoint *ep = &g.ep[1];
	char *close = strrchr(ep->body, ']');
	assert_non_null(close);
	const char battery[]
	    = ",{\"serialNumber\":\"122110012345\","
	      "\"lastReportDate\":1700000000,\"devType\":11,"
	      "\"lastReportWatts\":0,\"maxReportWatts\":1280}]";
	assert_true(
	    (size_t) (close - ep->body) + sizeof(battery) <= ENVOY_INPUT_MAX);
	memcpy(close, battery, sizeof(battery));
	ep->len = strlen(ep->body);
	char log[1024];
	snprintf(log, sizeof(log), "%s/envoy.log", n.dir);
	char *extra[] = {"--polls=1", NULL};
	assert_int_equal(run_envoy(&n, &g, "bt", extra, log), 0);
	int64_t *ts;
	double *v;
	size_t got;
	assert_int_equal(edge_query_raw(n.client,
	                     "bt/pv/inv/122110012345/power", &ts, &v, &got),
	    FED_NOT_FOUND);
	FILE *f = fopen(log, "r");
	char line[2048];
	int said = 0;
	while (f != NULL && fgets(line, sizeof(line), f))
		said |= strstr(line, "an AC battery") != NULL;
	if (f != NULL)
		fclose(f);
	assert_true(said);
	assert_int_equal(counter(log, "points"), 12 + 2);
	gateway_stop(&g);
	edge_node_stop(&n);
}

// A gateway before firmware 7: the inverters' endpoint asks for digest
// authentication. With --envoy-password the collector answers it and the
// inverters are stored; without, the log says which option to give.
static void
test_digest(void **state)
{
	(void) state;
	edge_node n;
	gateway g;
	memset(&g, 0, sizeof(g));
	assert_int_equal(edge_node_start(&n, "envoy-digest"), 0);
	gateway_start(&g);
	g.ep[1].digest = true;
	char log[1024];
	snprintf(log, sizeof(log), "%s/envoy.log", n.dir);
	char *none[] = {"--polls=1", NULL};
	run_envoy(&n, &g, "dg0", none, log);
	FILE *f = fopen(log, "r");
	char line[2048];
	int said = 0;
	while (f != NULL && fgets(line, sizeof(line), f))
		said |= strstr(line, "give --envoy-password") != NULL;
	if (f != NULL)
		fclose(f);
	assert_true(said);
	assert_int_equal(atomic_load(&g.ep[1].n_digest), 0);
	char *with[]
	    = {"--polls=1", "--envoy-password=" DIGEST_PASSWORD, NULL};
	assert_int_equal(run_envoy(&n, &g, "dg", with, log), 0);
	assert_int_equal(atomic_load(&g.ep[1].n_digest), 1);
	assert_inverters(&n, "dg", &g.ep[1]);
	gateway_stop(&g);
	edge_node_stop(&n);
}

static void
test_production_json(void **state)
{
	(void) state;
	edge_node n;
	gateway g;
	memset(&g, 0, sizeof(g));
	assert_int_equal(edge_node_start(&n, "envoy-pj"), 0);
	gateway_start(&g);
	char log[1024];
	snprintf(log, sizeof(log), "%s/envoy.log", n.dir);
	char *extra[] = {
	    "--polls=1", "--totals=production-json", "--no-inverters", NULL};
	assert_int_equal(run_envoy(&n, &g, "pj", extra, log), 0);
	envoy_site site;
	assert_int_equal(envoy_parse_production_json(
	                     g.ep[2].body, g.ep[2].len, &site, NULL),
	    FED_OK);
	const char *ids[2] = {"pj/pv/power", "pj/pv/energy_lifetime"};
	double want[2] = {(double) site.production.watts_now,
	    (double) site.production.wh_lifetime};
	for (int s = 0; s < 2; s++) {
		int64_t *ts;
		double *v;
		size_t got;
		assert_int_equal(
		    edge_query_raw(n.client, ids[s], &ts, &v, &got), FED_OK);
		assert_int_equal(got, 1);
		assert_int_equal(ts[0], site.reading_ms);
		assert_true(v[0] == want[s]);
		free(ts);
		free(v);
	}
	assert_int_equal(atomic_load(&g.ep[1].n_requests), 0);
	gateway_stop(&g);
	edge_node_stop(&n);
}

static void
test_errors_then_recovery(void **state)
{
	(void) state;
	edge_node n;
	gateway g;
	memset(&g, 0, sizeof(g));
	g.ep[1].script[0] = REPLY_500;
	g.ep[1].script[1] = REPLY_MALFORMED;
	g.ep[1].script[2] = REPLY_SILENT;
	assert_int_equal(edge_node_start(&n, "envoy-err"), 0);
	gateway_start(&g);
	char log[1024];
	snprintf(log, sizeof(log), "%s/envoy.log", n.dir);
	char *extra[]
	    = {"--polls=4", "--totals=none", "--http-timeout=300ms", NULL};
	assert_int_equal(run_envoy(&n, &g, "er", extra, log), 0);
	assert_int_equal(counter(log, "polls"), 4);
	assert_int_equal(counter(log, "http_errors"), 1);
	assert_int_equal(counter(log, "malformed"), 1);
	assert_int_equal(counter(log, "timeouts"), 1);
	assert_int_equal(counter(log, "polls_ok"), 1);
	assert_int_equal(counter(log, "points"), 12);
	assert_inverters(&n, "er", &g.ep[1]); // from the fourth poll only
	assert_int_equal(atomic_load(&g.ep[1].n_requests), 4);
	gateway_stop(&g);
	edge_node_stop(&n);
}

static void
test_sigterm(void **state)
{
	(void) state;
	edge_node n;
	gateway g;
	memset(&g, 0, sizeof(g));
	assert_int_equal(edge_node_start(&n, "envoy-term"), 0);
	gateway_start(&g);
	char a[5][1100], log[1024];
	snprintf(a[0], sizeof(a[0]), "--node=%s", n.rpc);
	snprintf(a[1], sizeof(a[1]), "--url=%s", g.url);
	snprintf(a[2], sizeof(a[2]), "--spool-dir=%s/spool", n.dir);
	snprintf(a[3], sizeof(a[3]), "--token=%s", EDGE_TEST_ADMIN);
	snprintf(a[4], sizeof(a[4]), "--envoy-token=%s", TOKEN);
	snprintf(log, sizeof(log), "%s/envoy.log", n.dir);
	char *argv[] = {FED_EDGE_ENVOY_BIN, a[0], a[1], a[2], a[3], a[4],
	    "--site=tm", "--period=1h", NULL};
	int pid = edge_proc_start(argv, log);
	assert_true(pid > 0);
	// The first poll is at start; the next one would be an hour away.
	// Its last request holds the inverters' reports (one request).
	assert_int_equal(edge_wait_points(n.client,
	                     "tm/pv/inv/121547058983/power", 1, 20000),
	    1);
	assert_int_equal(edge_proc_stop(pid, SIGTERM, 10000), 0);
	assert_int_equal(counter(log, "polls"), 1);
	assert_int_equal(counter(log, "pending"), 0);
	assert_inverters(&n, "tm", &g.ep[1]);
	gateway_stop(&g);
	edge_node_stop(&n);
}

static envoy_http *
client(const char *url, size_t max_body, int64_t timeout_ms)
{
	envoy_http_opts o = {.base_url = url,
	    .token = TOKEN,
	    .max_body = max_body,
	    .timeout_ms = timeout_ms};
	envoy_http *h = NULL;
	assert_int_equal(envoy_http_new(&o, &h), FED_OK);
	return h;
}

static void
test_http_client(void **state)
{
	(void) state;
	envoy_http *h = NULL;
	envoy_http_opts bad = {.base_url = "ftp://127.0.0.1",
	    .max_body = 1024,
	    .timeout_ms = 1000};
	assert_int_equal(envoy_http_new(&bad, &h), FED_INVALID_ARGUMENT);
	bad.base_url = "https://127.0.0.1";
	bad.verify = true; // and no CA file
	assert_int_equal(envoy_http_new(&bad, &h), FED_INVALID_ARGUMENT);

	gateway g;
	memset(&g, 0, sizeof(g));
	g.ep[0].script[0] = REPLY_401;
	g.ep[0].script[1] = REPLY_404;
	g.ep[0].script[3] = REPLY_SILENT;
	gateway_start(&g);
	h = client(g.url, ENVOY_INPUT_MAX, 2000);
	char *body = NULL;
	size_t len = 0;
	int status = 0;
	const char *path = "/api/v1/production";
	assert_int_equal(envoy_http_get(h, path, &body, &len, &status),
	    FED_UNAUTHENTICATED);
	assert_int_equal(status, 401);
	assert_null(body);
	assert_int_equal(
	    envoy_http_get(h, path, &body, &len, &status), FED_NOT_FOUND);
	assert_int_equal(status, 404);
	assert_int_equal(
	    envoy_http_get(h, path, &body, &len, &status), FED_OK);
	assert_int_equal(status, 200);
	assert_int_equal(len, g.ep[0].len);
	assert_memory_equal(body, g.ep[0].body, len);
	assert_int_equal(body[len], '\0');
	free(body);
	int64_t t0 = fed_clock_mono_ms();
	assert_int_equal(envoy_http_get(h, path, &body, &len, &status),
	    FED_DEADLINE_EXCEEDED);
	int64_t waited = fed_clock_mono_ms() - t0;
	assert_true(waited >= 1900 && waited < 5000);
	assert_int_equal(atomic_load(&g.ep[0].n_bearer), 4);
	envoy_http_free(h);

	// A body over the bound is refused (its length is announced).
	h = client(g.url, 100, 2000);
	assert_int_equal(envoy_http_get(h, "/api/v1/production/inverters",
	                     &body, &len, &status),
	    FED_RESOURCE_EXHAUSTED);
	assert_int_equal(status, 200);
	assert_null(body);
	envoy_http_free(h);
	gateway_stop(&g);

	// Nobody listening.
	char url[64];
	snprintf(
	    url, sizeof(url), "http://127.0.0.1:%d", fed_test_free_port());
	h = client(url, 1024, 2000);
	assert_int_equal(
	    envoy_http_get(h, path, &body, &len, &status), FED_UNAVAILABLE);
	assert_int_equal(status, 0);
	envoy_http_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(
	        test_inverters_and_totals, edge_test_teardown),
	    cmocka_unit_test_teardown(
	        test_production_json, edge_test_teardown),
	    cmocka_unit_test_teardown(
	        test_battery_skipped, edge_test_teardown),
	    cmocka_unit_test_teardown(test_digest, edge_test_teardown),
	    cmocka_unit_test_teardown(
	        test_errors_then_recovery, edge_test_teardown),
	    cmocka_unit_test(test_http_client),
	    cmocka_unit_test_teardown(test_sigterm, edge_test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
