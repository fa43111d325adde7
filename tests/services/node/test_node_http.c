// SPDX-License-Identifier: MIT
//
// test_node_http.c: fed-node's InfluxDB 1.x endpoint (node_http.h) without
// sockets: the line protocol and InfluxQL parsers on the requests of
// Grafana and Home Assistant (tests/fixtures/influx/), the JSON answers,
// and consent: every token sees through /query exactly what it sees
// through Query (same statuses, same clipped values), writes follow the
// same roles and prefixes, and a refusal names no series.
//
// The node is assembled as fed-node assembles it (node_server_new); the
// HTTP side calls node_http_handle, the RPC side fed_rpc_server_serve_bytes.

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/rpc.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed/codec.h"
#include "fed/token.h"
#include "fed_test.h"
#include "node_alarms.h"
#include "node_http.h"
#include "node_http_json.h"
#include "node_http_lp.h"
#include "node_http_ql.h"
#include "node_server.h"

#define T0    INT64_C(1767222000000) // 2026-01-01T00:00:00+01:00
#define DAY   INT64_C(86400000)
#define MIN   INT64_C(60000)
#define ADMIN "http-admin-token"

static const char *const file_tokens[][4] = {
    // token, name, role, prefixes
    {"http-reader", "reader", "reader", ""},
    {"http-reader-k", "reader-k", "reader", "kermelo/"},
    {"http-writer", "writer", "writer", ""},
    {"http-writer-k", "writer-k", "writer", "kermelo/"},
};

static struct {
	char *dir;
	node_store *store;
	node_auth *auth;
	node_grants *grants;
	node_policy *policy;
	node_alarms *alarms;
	node_rpc nr;
	fed_rpc_server *srv;
	node_http_opts ho;
	char grant_raw[80], grant_day[80], grant_revoked[80];
	char day_grant_id[40];
} f;

// ---- Line protocol ---------------------------------------------------------

static void
parse_ok(const char *body, int64_t unit, node_lp_batch *b)
{
	char err[256] = "";
	fed_status st
	    = node_lp_parse(body, strlen(body), unit, 42, b, err, sizeof(err));
	if (st != FED_OK)
		fail_msg("'%s': %s", body, err);
}

static void
test_lp_escapes_and_ids(void **state)
{
	(void) state;
	node_lp_batch b;
	parse_ok("my\\ house,z=last,a=first value=1.5 1000000\n"
	         "cpu\\,x,series=kermelo/pv/energy value=2i,other=\"a \\\" "
	         "b\" 2000000\r\n"
	         "# a comment\n\n"
	         "plain value=-3e2,t=true\n",
	    1, &b);
	assert_int_equal(b.n_series, 3);
	assert_string_equal(b.series[0]->series_id, "my house/first/last");
	assert_int_equal(b.series[0]->ts_ms[0], 1);
	assert_true(b.series[0]->value[0] == 1.5);
	assert_string_equal(b.series[1]->series_id, "kermelo/pv/energy");
	assert_true(b.series[1]->value[0] == 2);
	assert_string_equal(b.series[2]->series_id, "plain");
	assert_int_equal(b.series[2]->ts_ms[0], 42); // no timestamp: now
	assert_true(b.series[2]->value[0] == -300);
	node_lp_batch_fini(&b);
}

static void
test_lp_precision(void **state)
{
	(void) state;
	static const struct {
		const char *p;
		const char *ts;
		int64_t ms;
	} cases[] = {{"n", "1767222000123456789", T0 + 123},
	    {"u", "1767222000123456", T0 + 123},
	    {"ms", "1767222000123", T0 + 123}, {"s", "1767222000", T0},
	    {"m", "29453700", T0}, {"h", "490895", T0}, {"", "-1", -1}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t unit = 0;
		assert_int_equal(node_lp_precision(cases[i].p, &unit), FED_OK);
		char body[80];
		snprintf(body, sizeof(body), "m value=1 %s", cases[i].ts);
		node_lp_batch b;
		parse_ok(body, unit, &b);
		assert_int_equal(b.series[0]->ts_ms[0], cases[i].ms);
		node_lp_batch_fini(&b);
	}
	int64_t unit = 0;
	assert_int_equal(node_lp_precision("d", &unit), FED_INVALID_ARGUMENT);
}

static void
test_lp_bad_lines(void **state)
{
	(void) state;
	static const char *const bad[] = {"m", "m value", "m value=", "m =1",
	    "m value=1x", "m value=1 12a", "m,tag value=1", "m value=\"open",
	    ",t=1 value=1", "m value=nan", "m value=-5u",
	    "m value=1 99999999999999999999"};
	char err[256] = "";
	node_lp_batch nul;
	assert_int_equal(
	    node_lp_parse("a\\\0b value=1", 12, 1, 0, &nul, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	node_lp_batch_fini(&nul);
	assert_non_null(strstr(err, "NUL"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char body[128];
		err[0] = '\0';
		snprintf(body, sizeof(body), "ok value=1\n%s\n", bad[i]);
		node_lp_batch b;
		assert_int_equal(node_lp_parse(body, strlen(body), 1, 0, &b,
		                     err, sizeof(err)),
		    FED_INVALID_ARGUMENT);
		node_lp_batch_fini(&b);
		if (strncmp(err, "line 2: ", 8) != 0
		    || strstr(err, bad[i]) == NULL)
			fail_msg("'%s': %s", bad[i], err);
	}
}

static char *
fixture(const char *name)
{
	char path[1024];
	const char *dir = getenv("FED_FIXTURES");
	snprintf(path, sizeof(path), "%s/influx/%s", dir ? dir : ".", name);
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("cannot open %s", path);
	char *buf = calloc(1, 1 << 16);
	size_t n = fread(buf, 1, (1 << 16) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

// Home Assistant: numeric states kept, the string state skipped.
static void
test_lp_home_assistant(void **state)
{
	(void) state;
	char *body = fixture("home_assistant_write.txt");
	node_lp_batch b;
	parse_ok(body, 1, &b);
	assert_int_equal(b.n_series, 2);
	assert_string_equal(b.series[0]->series_id, "W/sensor/house_power");
	assert_int_equal(b.series[0]->n_ts_ms, 2);
	assert_int_equal(b.series[0]->ts_ms[1], T0 + MIN);
	assert_true(b.series[0]->value[1] == 1610.5);
	assert_string_equal(b.series[1]->series_id, "Wh/sensor/house_energy");
	assert_int_equal(b.n_skipped, 1);
	node_lp_batch_fini(&b);
	free(body);
}

// ---- InfluxQL
// ----------------------------------------------------------------

static void
test_ql_fixtures(void **state)
{
	(void) state;
	char *text = fixture("grafana_queries.txt");
	size_t n_ok = 0, n_bad = 0;
	for (char *line = strtok(text, "\n"); line;
	     line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		int refuse = line[0] == '!';
		const char *q = line + refuse;
		node_ql_stmt st[4];
		size_t n = 0;
		char err[256] = "";
		fed_status s = node_ql_parse(
		    q, strlen(q), T0 + DAY, st, 4, &n, err, sizeof(err));
		if (refuse && s == FED_OK)
			fail_msg("accepted: %s", q);
		if (!refuse && s != FED_OK)
			fail_msg("refused: %s: %s", q, err);
		if (refuse)
			assert_true(strlen(err) > 10);
		n_ok += !refuse;
		n_bad += refuse;
	}
	assert_true(n_ok >= 15 && n_bad >= 8);
	free(text);
}

static node_ql_stmt
parse1(const char *q)
{
	node_ql_stmt st[2];
	size_t n = 0;
	char err[256] = "";
	if (node_ql_parse(q, strlen(q), T0, st, 2, &n, err, sizeof(err))
	    != FED_OK)
		fail_msg("%s: %s", q, err);
	assert_int_equal(n, 1);
	return st[0];
}

static void
test_ql_select(void **state)
{
	(void) state;
	node_ql_stmt s = parse1(
	    "SELECT mean(\"value\") FROM \"autogen\".\"kermelo/pv/energy\" "
	    "WHERE time >= 1767222000000ms and time <= 1767394799999ms "
	    "GROUP BY time(1d) fill(none) tz('Europe/Paris')");
	assert_int_equal(s.kind, NODE_QL_SELECT);
	assert_int_equal(s.agg, ENFED__V1__AGGREGATE__AGG_MEAN);
	assert_int_equal(s.step, ENFED__V1__STEP__STEP_DAY);
	assert_string_equal(s.series[0], "kermelo/pv/energy");
	assert_int_equal(s.from_ms, T0);
	assert_int_equal(s.to_ms, T0 + 2 * DAY);
	assert_int_equal(s.fill, NODE_QL_FILL_NONE);
	assert_string_equal(s.tz, "Europe/Paris");
	assert_string_equal(s.column, "mean");
	s = parse1("select SUM(value) as \"kWh\" from \"a\", b where time > "
	           "now() - 1h group by time(60m) fill(-1) order by time desc "
	           "limit 3");
	assert_int_equal(s.n_series, 2);
	assert_int_equal(s.from_ms, T0 - 3600000 + 1);
	assert_int_equal(s.to_ms, T0 + 1);
	assert_int_equal(s.step, ENFED__V1__STEP__STEP_HOUR);
	assert_true(s.fill == NODE_QL_FILL_VALUE && s.fill_value == -1);
	assert_true(s.desc && s.limit == 3);
	assert_string_equal(s.column, "kWh");
	s = parse1(
	    "SELECT mean(\"value\") FROM \"enfed\" WHERE (\"series\" =~ "
	    "/^kermelo\\/pv\\/energy$/) AND time >= now() - 6h GROUP BY "
	    "time(1h)");
	assert_int_equal(s.n_series, 1);
	assert_string_equal(s.series[0], "kermelo/pv/energy");
	s = parse1("SELECT mean(\"value\") FROM \"enfed\" WHERE \"series\" =~ "
	           "/^(kermelo\\/pv\\/energy|maison\\/linky\\/energy)$/ AND "
	           "time >= now() - 6h GROUP BY time(1h)");
	assert_int_equal(s.n_series, 2);
	assert_string_equal(s.series[0], "kermelo/pv/energy");
	assert_string_equal(s.series[1], "maison/linky/energy");
	s = parse1(
	    "SHOW MEASUREMENTS WITH MEASUREMENT =~ /(?i)kerm/ LIMIT 100");
	assert_int_equal(s.match, NODE_QL_MATCH_SUBSTRING);
	assert_true(s.match_icase && s.limit == 100);
	assert_string_equal(s.pattern, "kerm");
}

static void
test_ql_limits(void **state)
{
	(void) state;
	node_ql_stmt st[NODE_QL_MAX_STMTS];
	size_t n = 0;
	char err[256];
	char *q = malloc(NODE_QL_MAX_LEN + 2);
	memset(q, '(', NODE_QL_MAX_LEN + 1);
	assert_int_equal(node_ql_parse(q, NODE_QL_MAX_LEN + 1, 0, st,
	                     NODE_QL_MAX_STMTS, &n, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	size_t len = 0;
	for (int i = 0; i < 20; i++)
		len += (size_t) sprintf(q + len, "SHOW DATABASES;");
	assert_int_equal(node_ql_parse(q, len, 0, st, NODE_QL_MAX_STMTS, &n,
	                     err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "statements"));
	len = (size_t) sprintf(q, "SELECT mean(value) FROM m WHERE ");
	for (int i = 0; i < 600; i++)
		len += (size_t) sprintf(q + len, "time > 1 AND ");
	len += (size_t) sprintf(q + len, "time > 1 GROUP BY time(1h)");
	assert_int_equal(node_ql_parse(q, len, 0, st, NODE_QL_MAX_STMTS, &n,
	                     err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	free(q);
}

static void
test_json(void **state)
{
	(void) state;
	node_json j;
	node_json_init(&j);
	node_json_num(&j, 0.1);
	node_json_put(&j, " ");
	node_json_num(&j, 1e300 * 1e300);
	node_json_put(&j, " ");
	node_json_str(&j, "a\"b\\c\n");
	node_json_put(&j, " ");
	node_json_time(&j, T0);
	node_json_put(&j, " ");
	node_json_time(&j, T0 + 5);
	size_t len = 0;
	char *s = node_json_take(&j, &len);
	assert_string_equal(s,
	    "0.1 null \"a\\\"b\\\\c\\u000a\" \"2025-12-31T23:00:00Z\" "
	    "\"2025-12-31T23:00:00.005Z\"");
	free(s);
}

// ---- The node --------------------------------------------------------------

static Enfed__V1__Reply *
serve(const char *method, const char *token, const ProtobufCMessage *req)
{
	Enfed__V1__Request env = ENFED__V1__REQUEST__INIT;
	size_t body_len = protobuf_c_message_get_packed_size(req);
	uint8_t *body = malloc(body_len + 1);
	protobuf_c_message_pack(req, body);
	Enfed__V1__Codec accept[1] = {ENFED__V1__CODEC__CODEC_NONE};
	env.method = (char *) method;
	env.token.data = (uint8_t *) token;
	env.token.len = strlen(token);
	env.body.data = body;
	env.body.len = body_len;
	env.accept = accept;
	env.n_accept = 1;
	size_t len = enfed__v1__request__get_packed_size(&env);
	uint8_t *buf = malloc(len + 1), *out = NULL;
	enfed__v1__request__pack(&env, buf);
	size_t out_len = 0;
	assert_int_equal(
	    fed_rpc_server_serve_bytes(f.srv, buf, len, &out, &out_len),
	    FED_OK);
	Enfed__V1__Reply *rep = enfed__v1__reply__unpack(NULL, out_len, out);
	assert_non_null(rep);
	free(out);
	free(buf);
	free(body);
	return rep;
}

static void *
admin_call(const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *d)
{
	Enfed__V1__Reply *rep = serve(method, ADMIN, req);
	if (rep->status != 0)
		fail_msg("%s: %s", method, rep->message);
	void *m = d != NULL
	    ? protobuf_c_message_unpack(d, NULL, rep->body.len, rep->body.data)
	    : NULL;
	enfed__v1__reply__free_unpacked(rep, NULL);
	return m;
}

static void
create_series(const char *id, int kind, int64_t every_ms, size_t n)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = kind;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = (uint32_t) (every_ms / 1000);
	Enfed__V1__CreateSeriesRequest c
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	c.meta = &m;
	admin_call("/enfed.v1.SeriesStore/CreateSeries", &c.base, NULL);
	if (n == 0)
		return;
	int64_t *ts = calloc(n, sizeof(*ts));
	double *v = calloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		ts[i] = T0 + (int64_t) i * every_ms;
		v[i] = 10 + (double) (i % 7) / 4;
	}
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
	Enfed__V1__SeriesPoints *list[1] = {&sp};
	sp.series_id = (char *) id;
	sp.ts_ms = ts;
	sp.value = v;
	sp.n_ts_ms = sp.n_value = n;
	Enfed__V1__IngestRequest in = ENFED__V1__INGEST_REQUEST__INIT;
	in.series = list;
	in.n_series = 1;
	admin_call("/enfed.v1.SeriesStore/Ingest", &in.base, NULL);
	free(ts);
	free(v);
}

static void
grant(const char *grantee, int step, char *token, char *id)
{
	Enfed__V1__Scope scopes[1] = {ENFED__V1__SCOPE__SCOPE_QUERY};
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.series = "maison/";
	g.grantee_node = (char *) grantee;
	g.scopes = scopes;
	g.n_scopes = 1;
	g.finest_step = step;
	Enfed__V1__CreateGrantRequest c
	    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
	c.grant = &g;
	Enfed__V1__CreateGrantResponse *res
	    = admin_call("/enfed.v1.Grants/Create", &c.base,
	        &enfed__v1__create_grant_response__descriptor);
	snprintf(token, 80, "%s", res->token);
	if (id != NULL)
		snprintf(id, 40, "%s", res->grant->id);
	enfed__v1__create_grant_response__free_unpacked(res, NULL);
}

static int
setup(void **state)
{
	(void) state;
	char path[512], err[256];
	f.dir = fed_test_tmpdir("http");
	snprintf(path, sizeof(path), "%s/tokens", f.dir);
	FILE *t = fopen(path, "w");
	assert_non_null(t);
	for (size_t i = 0; i < sizeof(file_tokens) / sizeof(file_tokens[0]);
	     i++) {
		char h[FED_TOKEN_HASH_LEN + 1];
		fed_token_hash(file_tokens[i][0], h);
		fprintf(t, "%s %s %s %s\n", file_tokens[i][1],
		    file_tokens[i][2], h, file_tokens[i][3]);
	}
	fclose(t);
	node_store_opts so;
	node_store_opts_init(&so);
	so.sync_normal = 1;
	node_store_err e = {{0}};
	assert_int_equal(node_store_open(f.dir, &so, &f.store, &e), FED_OK);
	assert_int_equal(
	    node_auth_new(ADMIN, NULL, path, &f.auth, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(node_grants_new(f.store, &f.grants), FED_OK);
	node_auth_set_grants(f.auth, f.grants);
	assert_int_equal(
	    node_policy_new(f.store, f.grants, &f.policy), FED_OK);
	node_alarms_opts ao = {.store = f.store, .node_name = "http"};
	assert_int_equal(node_alarms_new(&ao, &f.alarms), FED_OK);
	f.nr = (node_rpc) {.store = f.store,
	    .max_batch_points = 100000,
	    .max_query_series = 64,
	    .max_query_cells = 500000};
	node_server_parts parts = {.auth = f.auth,
	    .policy = f.policy,
	    .series = &f.nr,
	    .grants = f.grants,
	    .name = "http"};
	assert_int_equal(
	    node_server_new(&parts, NULL, &f.srv, err, sizeof(err)), FED_OK);
	f.ho = (node_http_opts) {.rpc = f.srv, .db = "http"};
	create_series("maison/linky/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION, 5 * MIN, 864);
	create_series("kermelo/pv/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION, 60 * MIN, 72);
	create_series("W/sensor/house_power",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_POWER, 60 * 1000, 0);
	grant("raw", ENFED__V1__STEP__STEP_RAW, f.grant_raw, NULL);
	grant("daily", ENFED__V1__STEP__STEP_DAY, f.grant_day, f.day_grant_id);
	char revoked[40];
	grant("gone", ENFED__V1__STEP__STEP_RAW, f.grant_revoked, revoked);
	Enfed__V1__RevokeGrantRequest r
	    = ENFED__V1__REVOKE_GRANT_REQUEST__INIT;
	r.id = revoked;
	admin_call("/enfed.v1.Grants/Revoke", &r.base, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	fed_rpc_server_free(f.srv);
	node_alarms_free(f.alarms);
	node_policy_free(f.policy);
	node_grants_free(f.grants);
	node_store_close(f.store);
	node_auth_free(f.auth);
	fed_test_rmtree(f.dir);
	free(f.dir);
	return 0;
}

// ---- HTTP ------------------------------------------------------------------

// Percent-encodes s into dst.
static void
url_encode(const char *s, char *dst, size_t cap)
{
	size_t n = 0;
	for (; *s && n + 4 < cap; s++) {
		unsigned char c = (unsigned char) *s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		    || (c >= '0' && c <= '9') || strchr("-_.", c))
			dst[n++] = (char) c;
		else
			n += (size_t) snprintf(dst + n, cap - n, "%%%02X", c);
	}
	dst[n] = '\0';
}

static node_http_res
http(const char *method, const char *uri, const char *auth, const char *body)
{
	node_http_req req = {.method = method,
	    .uri = uri,
	    .authorization = auth,
	    .body = body,
	    .body_len = body ? strlen(body) : 0};
	node_http_res res;
	node_http_handle(&f.ho, &req, &res);
	return res;
}

static node_http_res
query_as(const char *token, const char *q)
{
	char enc[2048], uri[2400], auth[128];
	url_encode(q, enc, sizeof(enc));
	snprintf(uri, sizeof(uri), "/query?db=http&epoch=ms&q=%s", enc);
	snprintf(auth, sizeof(auth), "Token %s", token);
	return http("GET", uri, token[0] ? auth : NULL, NULL);
}

// The [time, value] rows of the first series of a /query answer.
static size_t
rows_of(const char *json, int64_t *ts, double *v, size_t max)
{
	const char *p = strstr(json, "\"values\":[");
	size_t n = 0;
	if (p == NULL)
		return 0;
	p += 10;
	long long t = 0;
	double x = 0;
	int used = 0;
	while (n < max && sscanf(p, "[%lld,%lf]%n", &t, &x, &used) == 2) {
		ts[n] = t;
		v[n++] = x;
		p += used;
		if (*p == ',')
			p++;
	}
	return n;
}

static void
test_ping_and_routes(void **state)
{
	(void) state;
	node_http_res r = http("GET", "/ping", NULL, NULL);
	assert_int_equal(r.status, 204);
	free(r.body);
	r = http("GET", "/nowhere", "Token " ADMIN, NULL);
	assert_int_equal(r.status, 404);
	free(r.body);
	r = http("GET", "/write", "Token " ADMIN, NULL);
	assert_int_equal(r.status, 405);
	free(r.body);
	node_http_req chunked = {.method = "POST",
	    .uri = "/write",
	    .authorization = "Token " ADMIN,
	    .transfer_encoding = "chunked"};
	node_http_handle(&f.ho, &chunked, &r);
	assert_int_equal(r.status, 411);
	free(r.body);
	chunked.transfer_encoding = NULL;
	chunked.content_encoding = "gzip";
	node_http_handle(&f.ho, &chunked, &r);
	assert_int_equal(r.status, 415);
	free(r.body);
	r = query_as(ADMIN, "DROP DATABASE x");
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "only SELECT and SHOW"));
	free(r.body);
}

// Write then read back, through each way of giving the token.
static void
test_write_and_read(void **state)
{
	(void) state;
	char *body = fixture("home_assistant_write.txt");
	node_http_res r
	    = http("POST", "/write?db=home&u=ha&p=" ADMIN, NULL, body);
	// Wh/sensor/house_energy does not exist: nothing is written.
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "house_energy"));
	free(r.body);
	free(body);
	r = http("POST", "/write?precision=s", "Bearer " ADMIN,
	    "W,domain=sensor,entity_id=house_power value=1532 1767222000\n"
	    "W,domain=sensor,entity_id=house_power value=1610.5 1767222060\n"
	    "W,domain=sensor,entity_id=house_power state=\"on\" 1767222060\n");
	assert_int_equal(r.status, 204);
	assert_int_equal(r.n_skipped, 1);
	free(r.body);
	char basic[128] = "Basic ";
	// base64("grafana:http-admin-token")
	strcat(basic, "Z3JhZmFuYTpodHRwLWFkbWluLXRva2Vu");
	node_http_req req = {.method = "GET",
	    .uri = "/query?epoch=s&q=SELECT+%22value%22+FROM+%22W%2Fsensor%2F"
	           "house_power%22+WHERE+time+%3E%3D+1767222000000ms",
	    .authorization = basic};
	node_http_handle(&f.ho, &req, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body,
	    "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":"
	    "\"W/sensor/house_power\",\"columns\":[\"time\",\"value\"],"
	    "\"values\":[[1767222000,1532],[1767222060,1610.5]]}]}]}\n");
	free(r.body);
	r = http("POST", "/write", "Token " ADMIN, "m value=1 1 2 3\n");
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "line 1"));
	free(r.body);
}

// Home Assistant's connection check: a write of no points, SHOW
// DATABASES; with its semicolon (homeassistant/components/influxdb).
static void
test_home_assistant_checks(void **state)
{
	(void) state;
	node_http_res r
	    = http("POST", "/write?db=home&u=ha&p=" ADMIN, NULL, "");
	assert_int_equal(r.status, 204);
	free(r.body);
	r = http("GET", "/query?db=home&u=ha&p=" ADMIN "&q=SHOW+DATABASES%3B",
	    NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "[[\"home\"]]"));
	free(r.body);
	r = http("POST", "/write?db=home&u=ha&p=wrong", NULL, "");
	assert_int_equal(r.status, 401); // as InfluxDB: a wrong password
	free(r.body);
	r = http("POST", "/write?db=home&u=ha&p=http-reader", NULL, "");
	assert_int_equal(r.status, 403);
	free(r.body);
}

// The roles and prefixes of Ingest, through /write.
static void
test_write_consent(void **state)
{
	(void) state;
	static const struct {
		const char *auth;
		const char *line;
		uint16_t status;
	} cases[] = {
	    {NULL, "kermelo/pv/energy value=1 1767222000", 401},
	    {"Token nobody-issued-this",
	        "kermelo/pv/energy value=1 1767222000", 401},
	    {"Token http-reader", "kermelo/pv/energy value=1 1767222000", 403},
	    {"Token http-writer-k", "maison/linky/energy value=1 1767222000",
	        403},
	    {"Token http-writer-k", "kermelo/pv/energy value=1 1767222000",
	        204},
	    {"Token http-writer", "maison/linky/energy value=1 1767222000",
	        204},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		node_http_res r = http("POST", "/write?precision=s",
		    cases[i].auth, cases[i].line);
		if (r.status != cases[i].status)
			fail_msg("case %zu: %u %s", i, r.status,
			    r.body ? r.body : "");
		if (r.status >= 401 && r.status <= 403 && r.body != NULL)
			assert_null(strstr(r.body, "maison"));
		free(r.body);
	}
	char auth[128];
	snprintf(auth, sizeof(auth), "Token %s", f.grant_raw);
	node_http_res r = http("POST", "/write?precision=s", auth,
	    "maison/linky/energy value=1 1767222000");
	assert_int_equal(r.status, 403);
	free(r.body);
}

// The HTTP status that stands for the node's status.
static uint16_t
expected_http(uint32_t st)
{
	return st == 0 ? 200 : st == 16 ? 401 : st == 7 ? 403 : 200;
}

// What token sees of q through Query and through /query: the same.
static void
same_view(const char *who, const char *token, int step, int agg,
    int64_t from_ms, const char *ql)
{
	char *ids[1] = {"maison/linky/energy"};
	Enfed__V1__TimeRange range = ENFED__V1__TIME_RANGE__INIT;
	range.from_ms = from_ms;
	range.to_ms = T0 + 3 * DAY;
	Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
	q.series_ids = ids;
	q.n_series_ids = 1;
	q.range = &range;
	q.step = step;
	q.agg = agg;
	Enfed__V1__Reply *rep
	    = serve("/enfed.v1.SeriesStore/Query", token, &q.base);
	node_http_res r = query_as(token, ql);
	if (r.status != expected_http(rep->status))
		fail_msg("%s, %s: Query %u, /query %u %s", who, ql,
		    rep->status, r.status, r.body);
	if (r.status != 200) {
		assert_null(strstr(r.body, "maison"));
		assert_null(strstr(r.body, "linky"));
	}
	static int64_t ts[1000];
	static double v[1000];
	size_t n = r.status == 200 ? rows_of(r.body, ts, v, 1000) : 0;
	size_t k = 0;
	if (rep->status == 0) {
		Enfed__V1__QueryResponse *res
		    = (void *) protobuf_c_message_unpack(
		        &enfed__v1__query_response__descriptor, NULL,
		        rep->body.len, rep->body.data);
		const Enfed__V1__SeriesResult *s = res->results[0];
		for (size_t i = 0; i < s->n_ts_ms; i++) {
			if (step != 0 && s->n_points[i] == 0
			    && s->coverage[i] == 0 && s->value[i] == 0)
				continue; // fill(none)
			if (k >= n || ts[k] != s->ts_ms[i]
			    || v[k] != s->value[i])
				fail_msg(
				    "%s, %s: row %zu differs", who, ql, k);
			k++;
		}
		enfed__v1__query_response__free_unpacked(res, NULL);
	} else if (r.status == 200) {
		assert_non_null(strstr(r.body, "\"error\":"));
	}
	assert_int_equal(k, n);
	enfed__v1__reply__free_unpacked(rep, NULL);
	free(r.body);
}

static void
test_query_consent(void **state)
{
	(void) state;
	const struct {
		const char *who, *token;
	} who[] = {{"admin", ADMIN}, {"reader", "http-reader"},
	    {"reader kermelo/", "http-reader-k"}, {"writer", "http-writer"},
	    {"grant raw", f.grant_raw}, {"grant day", f.grant_day},
	    {"grant revoked", f.grant_revoked}, {"no token", ""},
	    {"unknown", "nobody-issued-this"}};
	const struct {
		int step, agg;
		const char *q;
		int64_t from_ms;
	} qs[] = {
	    {ENFED__V1__STEP__STEP_HOUR, ENFED__V1__AGGREGATE__AGG_MEAN,
	        "SELECT mean(\"value\") FROM \"maison/linky/energy\" WHERE "
	        "time "
	        ">= 1767222000000ms AND time < 1767481200000ms GROUP BY "
	        "time(1h) fill(none)",
	        T0},
	    {ENFED__V1__STEP__STEP_DAY, ENFED__V1__AGGREGATE__AGG_SUM,
	        "SELECT sum(\"value\") FROM \"maison/linky/energy\" WHERE "
	        "time "
	        ">= 1767222000000ms AND time <= 1767481199999ms GROUP BY "
	        "time(1d) fill(none)",
	        T0},
	    // Half a day in: a daily grant gets the two whole days only.
	    {ENFED__V1__STEP__STEP_DAY, ENFED__V1__AGGREGATE__AGG_SUM,
	        "SELECT sum(\"value\") FROM \"maison/linky/energy\" WHERE "
	        "time "
	        ">= 1767265200000ms AND time <= 1767481199999ms GROUP BY "
	        "time(1d) fill(none)",
	        T0 + DAY / 2},
	    {ENFED__V1__STEP__STEP_RAW, 0,
	        "SELECT \"value\" FROM \"maison/linky/energy\" WHERE time >= "
	        "1767222000000ms AND time < 1767481200000ms",
	        T0},
	};
	for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++)
		for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++)
			same_view(who[i].who, who[i].token, qs[k].step,
			    qs[k].agg, qs[k].from_ms, qs[k].q);
	// The clipping is real: half a day in, the admin sees the partial
	// first day, the daily grant only the two whole ones.
	static int64_t ts[8];
	static double v[8];
	node_http_res r = query_as(ADMIN, qs[2].q);
	assert_int_equal(rows_of(r.body, ts, v, 8), 3);
	free(r.body);
	r = query_as(f.grant_day, qs[2].q);
	assert_int_equal(rows_of(r.body, ts, v, 8), 2);
	assert_int_equal(ts[0], T0 + DAY);
	free(r.body);
}

static size_t
log_entries(void)
{
	Enfed__V1__GrantLogRequest l = ENFED__V1__GRANT_LOG_REQUEST__INIT;
	l.grant_id = f.day_grant_id;
	l.limit = 1000;
	Enfed__V1__GrantLogResponse *res = admin_call("/enfed.v1.Grants/Log",
	    &l.base, &enfed__v1__grant_log_response__descriptor);
	size_t n = res->n_entries;
	enfed__v1__grant_log_response__free_unpacked(res, NULL);
	return n;
}

// A grantee's read through /query is in its grant's log, like a Query.
static void
test_access_log(void **state)
{
	(void) state;
	size_t before = log_entries();
	node_http_res r = query_as(f.grant_day,
	    "SELECT sum(\"value\") FROM \"maison/linky/energy\" WHERE time >= "
	    "1767222000000ms AND time < 1767481200000ms GROUP BY time(1d)");
	assert_int_equal(r.status, 200);
	free(r.body);
	assert_int_equal(log_entries(), before + 1);
}

// SHOW lists what ListSeries lists for the token, nothing more.
static void
test_show(void **state)
{
	(void) state;
	node_http_res r = query_as("http-reader-k", "SHOW MEASUREMENTS");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "kermelo/pv/energy"));
	assert_null(strstr(r.body, "maison"));
	free(r.body);
	r = query_as(
	    ADMIN, "SHOW MEASUREMENTS WITH MEASUREMENT =~ /(?i)LINKY/");
	assert_string_equal(r.body,
	    "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":"
	    "\"measurements\",\"columns\":[\"name\"],\"values\":[["
	    "\"maison/linky/energy\"]]}]}]}\n");
	free(r.body);
	r = query_as(f.grant_day, "SHOW TAG VALUES WITH KEY = \"series\"");
	assert_int_equal(r.status, 200);
	assert_non_null(
	    strstr(r.body, "[\"series\",\"maison/linky/energy\"]"));
	assert_null(strstr(r.body, "kermelo"));
	free(r.body);
	r = query_as("", "SHOW DATABASES");
	assert_int_equal(r.status, 401);
	free(r.body);
	r = query_as(ADMIN, "SHOW DATABASES; SHOW RETENTION POLICIES");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "[[\"http\"]]"));
	assert_non_null(strstr(r.body, "\"statement_id\":1"));
	free(r.body);
}

// An aggregate without GROUP BY time: one row from the node's 5-minute
// buckets, equal to what the points give; a daily grant may not ask it.
static void
test_whole_range(void **state)
{
	(void) state;
	// The first day of maison/linky/energy: 288 points, 10 + (i % 7) / 4.
	double sum = 0, last = 0;
	for (int i = 0; i < 288; i++)
		sum += last = 10 + (double) (i % 7) / 4;
	const struct {
		const char *fn;
		double want;
	} cases[] = {{"sum", sum}, {"mean", sum / 288}, {"count", 288},
	    {"min", 10}, {"max", 11.5}, {"first", 10}, {"last", last}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char q[256];
		snprintf(q, sizeof(q),
		    "SELECT %s(\"value\") FROM \"maison/linky/energy\" WHERE "
		    "time >= 1767222000000ms AND time < 1767308400000ms",
		    cases[i].fn);
		node_http_res r = query_as(ADMIN, q);
		int64_t ts[2];
		double v[2];
		assert_int_equal(r.status, 200);
		assert_int_equal(rows_of(r.body, ts, v, 2), 1);
		assert_int_equal(ts[0], T0);
		if (v[0] < cases[i].want - 1e-9 || v[0] > cases[i].want + 1e-9)
			fail_msg("%s: %.17g, not %.17g", cases[i].fn, v[0],
			    cases[i].want);
		free(r.body);
		r = query_as(f.grant_day, q);
		assert_int_equal(r.status, 403);
		free(r.body);
	}
}

// Without epoch, RFC 3339: UTC, or with tz() the zone's offset.
static void
test_rfc3339_times(void **state)
{
	(void) state;
	static const char *const uris[] = {
	    "/query?q=SELECT+sum(value)+FROM+%22maison%2Flinky%2Fenergy%22+"
	    "WHERE"
	    "+time+%3E%3D+1767222000000ms+AND+time+%3C+1767308400000ms+GROUP+"
	    "BY+time(1d)",
	    "/query?q=SELECT+sum(value)+FROM+%22maison%2Flinky%2Fenergy%22+"
	    "WHERE"
	    "+time+%3E%3D+1767222000000ms+AND+time+%3C+1767308400000ms+GROUP+"
	    "BY+time(1d)+tz(%27Europe%2FParis%27)"};
	static const char *const want[] = {
	    "[[\"2025-12-31T23:00:00Z\",", "[[\"2026-01-01T00:00:00+01:00\","};
	for (size_t i = 0; i < 2; i++) {
		node_http_res r = http("GET", uris[i], "Token " ADMIN, NULL);
		assert_int_equal(r.status, 200);
		if (strstr(r.body, want[i]) == NULL)
			fail_msg("%s", r.body);
		free(r.body);
	}
}

// Grafana's HTTP method POST: q in a form body, db and epoch in the URL,
// the token as u/p.
static void
test_query_post_form(void **state)
{
	(void) state;
	const char *body = "q=SHOW+MEASUREMENTS+WITH+MEASUREMENT+%3D%7E+%2F%5E"
	                   "kermelo%5C%2F%2F";
	node_http_req req = {.method = "POST",
	    .uri = "/query?db=grafana&epoch=ms&u=grafana&p=http-reader",
	    .content_type = "application/x-www-form-urlencoded",
	    .body = body,
	    .body_len = strlen(body)};
	node_http_res r;
	node_http_handle(&f.ho, &req, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body,
	    "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":"
	    "\"measurements\",\"columns\":[\"name\"],\"values\":[["
	    "\"kermelo/pv/energy\"]]}]}]}\n");
	free(r.body);
	req.body = "q=%ZZ";
	req.body_len = 5;
	node_http_handle(&f.ho, &req, &r);
	assert_int_equal(r.status, 400);
	free(r.body);
}

int
main(void)
{
	const struct CMUnitTest parsers[] = {
	    cmocka_unit_test(test_lp_escapes_and_ids),
	    cmocka_unit_test(test_lp_precision),
	    cmocka_unit_test(test_lp_bad_lines),
	    cmocka_unit_test(test_lp_home_assistant),
	    cmocka_unit_test(test_ql_fixtures),
	    cmocka_unit_test(test_ql_select),
	    cmocka_unit_test(test_ql_limits),
	    cmocka_unit_test(test_json),
	};
	const struct CMUnitTest node[] = {
	    cmocka_unit_test(test_ping_and_routes),
	    cmocka_unit_test(test_write_and_read),
	    cmocka_unit_test(test_home_assistant_checks),
	    cmocka_unit_test(test_write_consent),
	    cmocka_unit_test(test_query_consent),
	    cmocka_unit_test(test_access_log),
	    cmocka_unit_test(test_show),
	    cmocka_unit_test(test_query_post_form),
	    cmocka_unit_test(test_rfc3339_times),
	    cmocka_unit_test(test_whole_range),
	};
	int rc = cmocka_run_group_tests_name("parsers", parsers, NULL, NULL);
	return rc | cmocka_run_group_tests_name("node", node, setup, teardown);
}
