// SPDX-License-Identifier: MIT
//
// web_fixture.c: the federation behind fed-web's tests (a directory, the
// nodes lognact and bmhs, fed-invest) and a plain HTTP client (a socket,
// Connection: close, bounded in time and size).
//
// Each fed-web user reads the nodes with node tokens of its own, written
// in the nodes' tokens files with the roles and prefixes of web_fixture.h;
// fed-web has none.

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "enfed/v1/alarm.pb-c.h"
#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/invest.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/token.h"
#include "fed_test.h"
#include "web_auth.h"
#include "web_fixture.h"

#define HOUR  INT64_C(3600000)
#define COMM  INT64_C(1767135600000) // 2025-12-31T00:00+01:00
#define FEB_1 INT64_C(1769900400000) // 2026-02-01T00:00+01:00
#define GAP   INT64_C(1781481600000) // 2026-06-15T02:00+02:00
#define ENROL "enrolment-secret-for-web-tests"
#define PUSH  "bmhs-pushes-to-lognact-for-web-tests"

// The users' node tokens: NAME, role, the token, its prefixes.
struct node_token {
	const char *name, *role, *token, *prefixes;
};

static const struct node_token lognact_tokens[] = {
    {"fed-invest", "reader", WEB_FX_READER, ""},
    {"bmhs", "replica", PUSH, ""},
    // ferme-est/pv/: a plant replicated from bmhs (test_web_origin).
    {"web-alice", "reader", "alice-reads-lognact",
        "kermelo/pv/,ferme-est/pv/"},
    {"web-legall", "reader", "legall-reads-lognact", "kermelo/pv/"},
    {"web-bob", "reader", "bob-reads-lognact", "kermelo/,maison-legall/"},
    {"web-root", "reader", "root-reads-lognact", ""},
    {"web-ops", "writer", "ops-writes-lognact", "kermelo/"},
};

static const struct node_token bmhs_tokens[] = {
    {"fed-invest", "reader", WEB_FX_READER, ""},
    {"web-legall", "owner", "legall-owns-maison-legall", "maison-legall/"},
    {"web-martin", "owner", "martin-owns-maison-martin", "maison-martin/"},
    {"web-root", "reader", "root-reads-bmhs", ""},
};

// The users file: every user's line but the hash (%s).
static const char users[]
    = "# the test's users\n"
      "alice investor %s alice " WEB_FX_ALICE
      " node:lognact=alice-reads-lognact\n"
      "legall household %s legall " WEB_FX_LEGALL
      " owner:bmhs=legall-owns-maison-legall "
      "node:lognact=legall-reads-lognact\n"
      "martin household %s owner:bmhs=martin-owns-maison-martin\n"
      "bob teacher %s node:lognact=bob-reads-lognact\n"
      "root admin %s node:lognact=root-reads-lognact "
      "node:bmhs=root-reads-bmhs\n"
      "ops viewer %s node:lognact=ops-writes-lognact\n";

fed_rpc_client *
web_fx_invest(const struct web_fx *fx, const char *token)
{
	return fed_test_client(fx->invest_rpc, token);
}

fed_rpc_client *
web_fx_lognact(const struct web_fx *fx)
{
	return fed_test_client(fx->lognact_rpc, WEB_FX_ADMIN);
}

fed_rpc_client *
web_fx_bmhs(const struct web_fx *fx)
{
	return fed_test_client(fx->bmhs_rpc, WEB_FX_ADMIN);
}

static int
call(fed_rpc_client *c, const ProtobufCServiceDescriptor *d, const char *m,
    const void *req)
{
	ProtobufCMessage *rep = NULL;
	char err[512];
	fed_status st = fed_rpc_call(c, d, m, req, &rep, err, sizeof(err));
	if (st != FED_OK)
		fprintf(stderr, "%s: %s\n", m, err);
	if (rep)
		protobuf_c_message_free_unpacked(rep, NULL);
	return st == FED_OK ? 0 : -1;
}

static int
create_series(fed_rpc_client *c, const char *id, Enfed__V1__SeriesKind kind,
    const char *k, const char *v)
{
	Enfed__V1__Fact f = ENFED__V1__FACT__INIT, *fs[1] = {&f};
	f.key = (char *) k;
	f.value = (char *) v;
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = kind;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 3600;
	m.source = "simulator";
	m.owner = "Bretagne Energie Citoyenne";
	m.box = fs;
	m.n_box = 1;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	return call(
	    c, &enfed__v1__series_store__descriptor, "CreateSeries", &req);
}

// Hourly points of wh Wh over [from, to), but for the two hours from skip.
static int
ingest_hours(fed_rpc_client *c, const char *id, int64_t from, int64_t to,
    double wh, int64_t skip)
{
	return fed_test_ingest_every(
	           c, id, from, to, HOUR, wh, skip, 2 * HOUR, NULL, NULL)
	        == FED_OK
	    ? 0
	    : -1;
}

int
web_fx_ingest(const struct web_fx *fx, const char *id, int64_t from_ms,
    int64_t to_ms, double wh)
{
	fed_rpc_client *c = web_fx_bmhs(fx);
	int rc = c ? ingest_hours(c, id, from_ms, to_ms, wh, 0) : -1;
	fed_rpc_client_free(c);
	return rc;
}

int
web_fx_alarms(const struct web_fx *fx)
{
	fed_rpc_client *c = web_fx_lognact(fx);
	if (c == NULL)
		return -1;
	Enfed__V1__AlarmLimit above = ENFED__V1__ALARM_LIMIT__INIT;
	above.value = 1000;
	Enfed__V1__AlarmRule r = ENFED__V1__ALARM_RULE__INIT;
	r.id = "school-over-1kwh";
	r.series = "kermelo/school/energy";
	r.type = ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_THRESHOLD;
	r.above = &above;
	Enfed__V1__CreateAlarmRuleRequest req
	    = ENFED__V1__CREATE_ALARM_RULE_REQUEST__INIT;
	req.rule = &r;
	int rc = call(
	    c, &enfed__v1__alarm_service__descriptor, "CreateRule", &req);
	// Raised, cleared by the next hour, raised again.
	static const double wh[] = {5000, 10, 6000};
	for (int i = 0; i < 3 && rc == 0; i++)
		rc = ingest_hours(c, "kermelo/school/energy",
		    WEB_FX_AT + i * HOUR, WEB_FX_AT + (i + 1) * HOUR, wh[i],
		    0);
	fed_rpc_client_free(c);
	return rc;
}

uint64_t
web_fx_count(fed_rpc_client *c, const char *id)
{
	Enfed__V1__GetSeriesRequest g = ENFED__V1__GET_SERIES_REQUEST__INIT;
	g.id = (char *) id;
	Enfed__V1__SeriesInfo *info = NULL;
	if (fed_test_store_call(c, "GetSeries", &g, &info) != FED_OK)
		return 0;
	uint64_t n = info->n_points;
	enfed__v1__series_info__free_unpacked(info, NULL);
	return n;
}

static int
write_file(const char *dir, const char *name, const char *text)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int
write_tokens(const struct web_fx *fx, const char *name,
    const struct node_token *t, size_t n)
{
	char text[4096] = "", line[512], h[FED_TOKEN_HASH_LEN + 1];
	for (size_t i = 0; i < n; i++) {
		fed_token_hash(t[i].token, h);
		snprintf(line, sizeof(line), "%s %s %s %s\n", t[i].name,
		    t[i].role, h, t[i].prefixes);
		strncat(text, line, sizeof(text) - strlen(text) - 1);
	}
	return write_file(fx->dir, name, text);
}

// --- The nodes -------------------------------------------------------------

static int
start_directory(struct web_fx *fx)
{
	char a[4][700], log[700];
	snprintf(a[0], sizeof(a[0]), "--listen=%s", fx->dir_rpc);
	snprintf(a[1], sizeof(a[1]), "--stream=%s", fx->dir_stream);
	snprintf(a[2], sizeof(a[2]), "--db=%s/directory.db", fx->dir);
	snprintf(a[3], sizeof(a[3]), "--enrolment-token=%s", ENROL);
	snprintf(log, sizeof(log), "%s/directory.log", fx->dir);
	char *argv[] = {FED_DIRECTORY_BIN, a[0], a[1], a[2], a[3], NULL};
	fx->dir_pid = fed_test_proc_start(argv, log);
	return fx->dir_pid > 0
	        && fed_test_wait_health(fx->dir_rpc, 10000) == FED_OK
	    ? 0
	    : -1;
}

// Starts node name with its tokens file, registered with the directory,
// and a peers file that pushes to lognact when push is set.
static int
start_node(struct web_fx *fx, const char *name, const char *org,
    const char *rpc, const char *stream, int push)
{
	char tokens[700], peers[800], dopt[200], oopt[200], eopt[200];
	snprintf(tokens, sizeof(tokens), "%s/%s.tokens", fx->dir, name);
	snprintf(dopt, sizeof(dopt), "--directory=%s", fx->dir_rpc);
	snprintf(oopt, sizeof(oopt), "--organisation=%s", org);
	snprintf(eopt, sizeof(eopt), "--enrolment-token=%s", ENROL);
	snprintf(
	    peers, sizeof(peers), "--peers-file=%s/%s.peers", fx->dir, name);
	char text[300];
	snprintf(text, sizeof(text), "lognact %s %s\n", fx->lognact_rpc, PUSH);
	char pname[100];
	snprintf(pname, sizeof(pname), "%s.peers", name);
	if (write_file(fx->dir, pname, push ? text : "") != 0)
		return -1;
	const char *extra[] = {dopt, oopt, eopt, peers, "--lease=3s", NULL};
	return fed_test_node_start_ex(FED_NODE_BIN, name, fx->dir, rpc, stream,
	    WEB_FX_ADMIN, tokens, extra);
}

static int
fill_lognact(struct web_fx *fx)
{
	fed_rpc_client *c = web_fx_lognact(fx);
	int rc = c ? 0 : -1;
	if (rc == 0)
		rc = create_series(c, "kermelo/pv/energy",
		    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION,
		    "peak power", "16.2 kWc");
	if (rc == 0)
		rc = create_series(c, "kermelo/school/energy",
		    ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION, "pupils",
		    "240");
	if (rc == 0)
		rc = ingest_hours(
		    c, "kermelo/pv/energy", COMM, WEB_FX_AT, 100, GAP);
	if (rc == 0)
		rc = ingest_hours(
		    c, "kermelo/school/energy", FEB_1, WEB_FX_AT, 200, 0);
	fed_rpc_client_free(c);
	return rc;
}

// A grant of series to lognact, every point, both scopes: its id and
// token in id and tok (each len bytes).
static int
grant_live(
    fed_rpc_client *c, const char *series, char *id, char *tok, size_t len)
{
	Enfed__V1__Scope sc[2]
	    = {ENFED__V1__SCOPE__SCOPE_QUERY, ENFED__V1__SCOPE__SCOPE_LIVE};
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.series = (char *) series;
	g.grantee_node = "lognact";
	g.scopes = sc;
	g.n_scopes = 2;
	Enfed__V1__CreateGrantRequest req
	    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
	req.grant = &g;
	Enfed__V1__CreateGrantResponse *rep = NULL;
	char err[256];
	if (fed_rpc_call(c, &enfed__v1__grants__descriptor, "Create",
	        &req.base, (ProtobufCMessage **) &rep, err, sizeof(err))
	    != FED_OK) {
		fprintf(stderr, "grant %s: %s\n", series, err);
		return -1;
	}
	snprintf(id, len, "%s", rep->grant->id);
	snprintf(tok, len, "%s", rep->token);
	enfed__v1__create_grant_response__free_unpacked(rep, NULL);
	return 0;
}

static int
fill_house(fed_rpc_client *c, const char *id, const char *occupants, double wh)
{
	if (create_series(c, id,
	        ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION, "occupants",
	        occupants)
	    != 0)
		return -1;
	return ingest_hours(c, id, FEB_1, WEB_FX_AT, wh, 0);
}

static int
fill_bmhs(struct web_fx *fx)
{
	fed_rpc_client *c = web_fx_bmhs(fx);
	char tok[64];
	int rc = c ? 0 : -1;
	if (rc == 0)
		rc = fill_house(c, WEB_FX_LEGALL_SERIES, "4", 500);
	if (rc == 0)
		rc = fill_house(c, WEB_FX_MARTIN_SERIES, "2", 300);
	if (rc == 0)
		rc = grant_live(c, "maison-legall/", fx->legall_grant,
		    fx->legall_token, sizeof(fx->legall_grant));
	if (rc == 0)
		rc = grant_live(
		    c, "maison-martin/", fx->martin_grant, tok, sizeof(tok));
	fed_rpc_client_free(c);
	return rc;
}

// Waits (60 s at most) until lognact holds both houses' replicas.
static int
wait_replicas(struct web_fx *fx)
{
	fed_rpc_client *l = web_fx_lognact(fx), *b = web_fx_bmhs(fx);
	uint64_t want = web_fx_count(b, WEB_FX_LEGALL_SERIES);
	int rc = -1;
	for (int i = 0; i < 600 && rc != 0; i++) {
		if (web_fx_count(l, WEB_FX_LEGALL_SERIES) == want
		    && web_fx_count(l, WEB_FX_MARTIN_SERIES) == want)
			rc = 0;
		else
			fed_test_sleep_ms(100);
	}
	fed_rpc_client_free(l);
	fed_rpc_client_free(b);
	return want > 0 ? rc : -1;
}

static int
start_nodes(struct web_fx *fx)
{
	if (write_tokens(fx, "lognact.tokens", lognact_tokens,
	        sizeof(lognact_tokens) / sizeof(lognact_tokens[0]))
	        != 0
	    || write_tokens(fx, "bmhs.tokens", bmhs_tokens,
	           sizeof(bmhs_tokens) / sizeof(bmhs_tokens[0]))
	        != 0)
		return -1;
	fx->lognact_pid
	    = start_node(fx, "lognact", "Lorient Agglomération (building app)",
	        fx->lognact_rpc, fx->lognact_stream, 0);
	fx->bmhs_pid = start_node(fx, "bmhs", "BMHS (household app)",
	    fx->bmhs_rpc, fx->bmhs_stream, 1);
	if (fx->lognact_pid <= 0 || fx->bmhs_pid <= 0)
		return -1;
	if (fill_lognact(fx) != 0 || fill_bmhs(fx) != 0)
		return -1;
	return wait_replicas(fx);
}

int
web_fx_grant_active(const struct web_fx *fx, const char *id)
{
	fed_rpc_client *c = web_fx_bmhs(fx);
	Enfed__V1__ListGrantsRequest req
	    = ENFED__V1__LIST_GRANTS_REQUEST__INIT;
	Enfed__V1__ListGrantsResponse *rep = NULL;
	char err[256];
	int state = -1;
	if (c != NULL
	    && fed_rpc_call(c, &enfed__v1__grants__descriptor, "List",
	           &req.base, (ProtobufCMessage **) &rep, err, sizeof(err))
	        == FED_OK) {
		for (size_t i = 0; i < rep->n_grants; i++)
			if (strcmp(rep->grants[i]->id, id) == 0)
				state = !rep->grants[i]->revoked;
		enfed__v1__list_grants_response__free_unpacked(rep, NULL);
	}
	fed_rpc_client_free(c);
	return state;
}

// --- fed-invest ------------------------------------------------------------

static int
start_invest(struct web_fx *fx)
{
	char h1[FED_TOKEN_HASH_LEN + 1], h2[FED_TOKEN_HASH_LEN + 1];
	char text[512];
	fed_token_hash(WEB_FX_ALICE, h1);
	fed_token_hash(WEB_FX_LEGALL, h2);
	snprintf(text, sizeof(text),
	    "alice-app investor %s alice\nlegall-app investor %s legall\n", h1,
	    h2);
	if (write_file(fx->dir, "invest-tokens", text) != 0)
		return -1;
	char a[7][700], log[700];
	snprintf(a[0], sizeof(a[0]), "--listen=%s", fx->invest_rpc);
	snprintf(a[1], sizeof(a[1]), "--data-dir=%s/invest", fx->dir);
	snprintf(a[2], sizeof(a[2]), "--nodes=lognact=%s,bmhs=%s",
	    fx->lognact_rpc, fx->bmhs_rpc);
	snprintf(a[3], sizeof(a[3]), "--node-token=%s", WEB_FX_READER);
	snprintf(a[4], sizeof(a[4]), "--admin-token=%s", WEB_FX_ADMIN);
	snprintf(
	    a[5], sizeof(a[5]), "--tokens-file=%s/invest-tokens", fx->dir);
	// Below fed-web's --timeout (3 s here), as in production (3 s and
	// 5 s): a node down makes a card unavailable, not the page time out.
	snprintf(a[6], sizeof(a[6]), "--node-timeout=1s");
	snprintf(log, sizeof(log), "%s/invest.log", fx->dir);
	char *argv[]
	    = {FED_INVEST_BIN, a[0], a[1], a[2], a[3], a[4], a[5], a[6], NULL};
	fx->invest_pid = fed_test_proc_start(argv, log);
	if (fx->invest_pid <= 0
	    || fed_test_wait_health(fx->invest_rpc, 10000) != FED_OK)
		return -1;
	return 0;
}

static int
put_project(fed_rpc_client *c, const char *id, const char *name)
{
	Enfed__V1__Project p = ENFED__V1__PROJECT__INIT;
	p.id = (char *) id;
	p.name = (char *) name;
	p.organisation = "Bretagne Energie Citoyenne";
	p.type = ENFED__V1__INSTALLATION_TYPE__INSTALLATION_PHOTOVOLTAIC;
	p.peak_kw = 18;
	p.cost_cents = 3400000;
	p.share_price_cents = 25000;
	p.commissioned_ms = COMM;
	p.series_id = "kermelo/pv/energy";
	p.series_node = "lognact";
	p.url = "https://example.org/kermelo";
	Enfed__V1__PutProjectRequest req
	    = ENFED__V1__PUT_PROJECT_REQUEST__INIT;
	req.project = &p;
	return call(c, &enfed__v1__invest__descriptor, "CreateProject", &req);
}

static int
hold(fed_rpc_client *c, const char *investor, const char *project,
    uint32_t shares)
{
	Enfed__V1__Investment iv = ENFED__V1__INVESTMENT__INIT;
	iv.investor = (char *) investor;
	iv.project_id = (char *) project;
	iv.shares = shares;
	iv.acquired_ms = FEB_1;
	Enfed__V1__PutInvestmentRequest req
	    = ENFED__V1__PUT_INVESTMENT_REQUEST__INIT;
	req.investment = &iv;
	return call(c, &enfed__v1__invest__descriptor, "PutInvestment", &req);
}

// legall's house, linked under the household's consent: a daily-totals
// grant of its node to the investment service.
static int
link_house(struct web_fx *fx, fed_rpc_client *c)
{
	fed_rpc_client *node = web_fx_bmhs(fx);
	fed_test_grant_spec g = {WEB_FX_LEGALL_SERIES, "bcen-invest", 0,
	    ENFED__V1__STEP__STEP_DAY, 0, 0, 0};
	char *token
	    = node != NULL ? fed_test_grant(node, &g, NULL, NULL) : NULL;
	fed_rpc_client_free(node);
	if (token == NULL)
		return -1;
	Enfed__V1__LinkConsumptionRequest l
	    = ENFED__V1__LINK_CONSUMPTION_REQUEST__INIT;
	l.investor = "legall";
	l.series_id = WEB_FX_LEGALL_SERIES;
	l.series_node = "bmhs";
	l.grant_token = token;
	int rc
	    = call(c, &enfed__v1__invest__descriptor, "LinkConsumption", &l);
	free(token);
	return rc;
}

static int
fill_invest(struct web_fx *fx)
{
	fed_rpc_client *c = fed_test_client(fx->invest_rpc, WEB_FX_ADMIN);
	int rc = c ? 0 : -1;
	if (rc == 0)
		rc = put_project(c, "kermelo-pv", "Kermélo — BEC");
	if (rc == 0)
		rc = put_project(c, "hostile", WEB_FX_HOSTILE);
	if (rc == 0)
		rc = hold(c, "alice", "kermelo-pv", 2);
	if (rc == 0)
		rc = hold(c, "alice", "hostile", 1);
	if (rc == 0)
		rc = hold(c, "legall", "kermelo-pv", 4);
	if (rc == 0)
		rc = link_house(fx, c);
	fed_rpc_client_free(c);
	return rc;
}

// --- fed-web ---------------------------------------------------------------

static int
write_users(struct web_fx *fx)
{
	char h[WEB_HASH_LEN], text[4096];
	// One hash for every user keeps the setup fast; each login still
	// runs the full KDF.
	if (web_auth_hash_password(WEB_FX_PW, WEB_KDF_ITER, h, sizeof(h))
	    != FED_OK)
		return -1;
	snprintf(text, sizeof(text), users, h, h, h, h, h, h);
	return write_file(fx->dir, "users", text);
}

static int
wait_http(struct web_fx *fx)
{
	for (int i = 0; i < 200; i++) {
		struct http_res r;
		if (web_http(fx, "GET", "/healthz", NULL, NULL, &r) == 0) {
			int ok = r.status == 200;
			http_res_free(&r);
			if (ok)
				return 0;
		}
		fed_test_sleep_ms(50);
	}
	return -1;
}

static int
start_web(struct web_fx *fx, const char *dir_url)
{
	char a[9][700], log[700];
	snprintf(a[0], sizeof(a[0]), "--listen=%s", fx->url);
	snprintf(a[1], sizeof(a[1]), "--invest=%s", fx->invest_rpc);
	snprintf(a[2], sizeof(a[2]), "--invest-token=%s", WEB_FX_ADMIN);
	snprintf(a[3], sizeof(a[3]), "--nodes=lognact=%s,bmhs=%s",
	    fx->lognact_rpc, fx->bmhs_rpc);
	snprintf(a[4], sizeof(a[4]), "--directory=%s", dir_url);
	snprintf(a[5], sizeof(a[5]),
	    "--directory-token=@%s/data-bmhs/directory.token", fx->dir);
	snprintf(a[6], sizeof(a[6]), "--users-file=%s/users", fx->dir);
	snprintf(a[7], sizeof(a[7]), "--timeout=3s");
	// Its own folder: the sessions and the saved comparisons of one run
	// are not another's.
	snprintf(a[8], sizeof(a[8]), "--data-dir=%s", fx->dir);
	snprintf(log, sizeof(log), "%s/web.log", fx->dir);
	char *argv[] = {FED_WEB_BIN, a[0], a[1], a[2], a[3], a[4], a[5], a[6],
	    a[7], a[8], "--log-level=debug", NULL};
	fx->web_pid = fed_test_proc_start(argv, log);
	return fx->web_pid > 0 ? wait_http(fx) : -1;
}

int
web_fx_restart_web(struct web_fx *fx, const char *dir_url)
{
	if (fed_test_proc_stop(fx->web_pid, SIGTERM, 10000) != 0)
		return -1;
	return start_web(fx, dir_url);
}

static void
addresses(struct web_fx *fx)
{
	snprintf(fx->lognact_rpc, sizeof(fx->lognact_rpc),
	    "tcp://127.0.0.1:%d", fed_test_free_port());
	snprintf(fx->bmhs_rpc, sizeof(fx->bmhs_rpc), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	snprintf(fx->invest_rpc, sizeof(fx->invest_rpc), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	fed_test_ipc_url(
	    fx->lognact_stream, sizeof(fx->lognact_stream), "weblognact");
	fed_test_ipc_url(fx->bmhs_stream, sizeof(fx->bmhs_stream), "webbmhs");
	fed_test_ipc_url(fx->dir_rpc, sizeof(fx->dir_rpc), "webdir");
	fed_test_ipc_url(fx->dir_stream, sizeof(fx->dir_stream), "webdirev");
	fx->port = fed_test_free_port();
	snprintf(fx->url, sizeof(fx->url), "http://127.0.0.1:%d", fx->port);
}

int
web_fx_start(struct web_fx *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->dir = fed_test_tmpdir("web");
	if (fx->dir == NULL)
		return -1;
	addresses(fx);
	if (start_directory(fx) != 0 || start_nodes(fx) != 0
	    || start_invest(fx) != 0 || fill_invest(fx) != 0
	    || write_users(fx) != 0 || start_web(fx, fx->dir_rpc) != 0) {
		fprintf(stderr, "web fixture: setup failed (logs in %s)\n",
		    fx->dir);
		return -1;
	}
	return 0;
}

static void
stop(int pid)
{
	if (pid > 0)
		fed_test_proc_stop(pid, SIGTERM, 10000);
}

int
web_fx_stop(struct web_fx *fx)
{
	int rc = fx->web_pid > 0
	    ? fed_test_proc_stop(fx->web_pid, SIGTERM, 10000)
	    : -1;
	stop(fx->invest_pid);
	stop(fx->bmhs_pid);
	stop(fx->lognact_pid);
	stop(fx->dir_pid);
	if (rc != 0 && fx->dir != NULL) {
		char log[700];
		snprintf(log, sizeof(log), "%s/web.log", fx->dir);
		char *argv[] = {"cat", log, NULL};
		fed_test_spawn(argv, 1);
	}
	if (fx->dir != NULL)
		fed_test_rmtree(fx->dir);
	free(fx->dir);
	fx->dir = NULL;
	return rc;
}

// --- HTTP ------------------------------------------------------------------

static int
connect_to(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t) port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *) &a, sizeof(a)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int
send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t) w;
	}
	return 0;
}

// Reads until the peer closes, 10 s and 16 MiB at most.
static char *
read_all(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	int64_t end = fed_test_now_ms() + 10000;
	while (buf != NULL && fed_test_now_ms() < end && n < (16u << 20)) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 200) <= 0)
			continue;
		if (n == cap) {
			char *nb = realloc(buf, 2 * cap + 1);
			if (nb == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t r = recv(fd, buf + n, cap - n, 0);
		if (r <= 0)
			break;
		n += (size_t) r;
	}
	if (buf != NULL)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static int
parse_response(char *raw, size_t n, struct http_res *out)
{
	char *sep = strstr(raw, "\r\n\r\n");
	if (sep == NULL || sscanf(raw, "HTTP/1.1 %d", &out->status) != 1)
		return -1;
	*sep = '\0';
	out->head = raw;
	out->body = strdup(sep + 4);
	out->body_len = n - (size_t) (sep + 4 - raw);
	return out->body ? 0 : -1;
}

int
web_http(const struct web_fx *fx, const char *method, const char *path,
    const char *cookie, const char *body, struct http_res *out)
{
	memset(out, 0, sizeof(*out));
	int fd = connect_to(fx->port);
	if (fd < 0)
		return -1;
	char head[4096];
	int hn = snprintf(head, sizeof(head),
	    "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
	    "%s%s%s%s%zu\r\n\r\n",
	    method, path, fx->port, cookie ? "Cookie: " : "",
	    cookie ? cookie : "", cookie ? "\r\n" : "",
	    body ? "Content-Type: application/x-www-form-urlencoded\r\n"
	           "Content-Length: "
	         : "Content-Length: ",
	    body ? strlen(body) : 0);
	int rc = send_all(fd, head, (size_t) hn);
	if (rc == 0 && body)
		rc = send_all(fd, body, strlen(body));
	size_t n = 0;
	char *raw = rc == 0 ? read_all(fd, &n) : NULL;
	close(fd);
	if (raw == NULL || parse_response(raw, n, out) != 0) {
		free(raw);
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

void
http_res_free(struct http_res *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

const char *
http_header(const struct http_res *r, const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name);
	for (const char *p = r->head; p && (p = strstr(p, "\r\n")) != NULL;) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			size_t vn = strcspn(v, "\r\n");
			snprintf(buf, len, "%.*s", (int) vn, v);
			return buf;
		}
	}
	return NULL;
}

int
web_fx_login(
    const struct web_fx *fx, const char *user, char *cookie, size_t len)
{
	char body[256], sc[512];
	snprintf(body, sizeof(body), "user=%s&password=correct+horse+battery",
	    user);
	struct http_res r;
	if (web_http(fx, "POST", "/login", NULL, body, &r) != 0)
		return -1;
	int rc
	    = r.status == 200 && http_header(&r, "Set-Cookie", sc, sizeof(sc))
	    ? 0
	    : -1;
	if (rc == 0)
		snprintf(cookie, len, "%.*s", (int) strcspn(sc, ";"), sc);
	else
		fprintf(stderr, "login of %s: HTTP %d\n%s\n", user, r.status,
		    r.head);
	http_res_free(&r);
	return rc;
}

const char *
attr_after(
    const char *s, const char *after, const char *attr, char *buf, size_t len)
{
	const char *p = after ? strstr(s, after) : s;
	char pat[128];
	snprintf(pat, sizeof(pat), "%s=\"", attr);
	p = p ? strstr(p, pat) : NULL;
	if (p == NULL)
		return NULL;
	p += strlen(pat);
	size_t n = strcspn(p, "\"");
	snprintf(buf, len, "%.*s", (int) n, p);
	return buf;
}

int
web_fx_plant(fed_rpc_client *c, const char *id, const char *owner, char *err,
    size_t err_len)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 3600;
	m.owner = (char *) owner;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	ProtobufCMessage *rep = NULL;
	fed_status st = fed_rpc_call(c, &enfed__v1__series_store__descriptor,
	    "CreateSeries", &req.base, &rep, err, err_len);
	if (rep != NULL)
		protobuf_c_message_free_unpacked(rep, NULL);
	return st == FED_OK ? 0 : -1;
}

int
web_fx_project(const struct web_fx *fx, const char *id, const char *name,
    const char *org, const char *series, const char *node,
    const char *investor, uint32_t shares, int64_t acquired_ms, char *err,
    size_t err_len)
{
	fed_rpc_client *c = web_fx_invest(fx, WEB_FX_ADMIN);
	if (c == NULL) {
		snprintf(err, err_len, "no client of fed-invest");
		return -1;
	}
	Enfed__V1__Project p = ENFED__V1__PROJECT__INIT;
	p.id = (char *) id;
	p.name = (char *) name;
	p.organisation = (char *) org;
	p.type = ENFED__V1__INSTALLATION_TYPE__INSTALLATION_PHOTOVOLTAIC;
	p.peak_kw = 9;
	p.cost_cents = 100000;
	p.share_price_cents = 10000;
	p.series_id = (char *) series;
	p.series_node = (char *) node;
	Enfed__V1__PutProjectRequest pr = ENFED__V1__PUT_PROJECT_REQUEST__INIT;
	pr.project = &p;
	ProtobufCMessage *rep = NULL;
	fed_status st = fed_rpc_call(c, &enfed__v1__invest__descriptor,
	    "CreateProject", &pr.base, &rep, err, err_len);
	if (rep != NULL)
		protobuf_c_message_free_unpacked(rep, NULL);
	if (st == FED_OK) {
		Enfed__V1__Investment iv = ENFED__V1__INVESTMENT__INIT;
		iv.investor = (char *) investor;
		iv.project_id = (char *) id;
		iv.shares = shares;
		iv.acquired_ms = acquired_ms;
		Enfed__V1__PutInvestmentRequest ir
		    = ENFED__V1__PUT_INVESTMENT_REQUEST__INIT;
		ir.investment = &iv;
		rep = NULL;
		st = fed_rpc_call(c, &enfed__v1__invest__descriptor,
		    "PutInvestment", &ir.base, &rep, err, err_len);
		if (rep != NULL)
			protobuf_c_message_free_unpacked(rep, NULL);
	}
	fed_rpc_client_free(c);
	return st == FED_OK ? 0 : -1;
}
