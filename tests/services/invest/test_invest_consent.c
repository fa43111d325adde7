// SPDX-License-Identifier: MIT
//
// test_invest_consent.c: fed-invest reads a household only under that
// household's consent (issue 15, case 4), end to end: two real fed-nodes,
// lognact holding a plant's production and bmhs two households'
// consumption (maison: 500 Wh an hour since 1 February; voisin: 500 Wh an
// hour over the last three days, up to now), and a real fed-invest whose
// own node token is, at worst, an unlimited reader on both nodes. The
// household's figures must come from the household's grant alone:
//
// - a link without a grant token is INVALID_ARGUMENT; with the grant of
//   another series, a grant from another node, a revoked or expired grant,
//   a random token or fed-invest's own node token it is PERMISSION_DENIED,
//   with a message that names only the series and the node;
// - the regression of case 4: an investor without a grant for a household
//   cannot link it, so moving Summary's at_ms in 5-minute steps shows
//   nothing of it; with a daily grant, moving at_ms in 5-minute steps
//   through a day, or naming another zone, changes no consumption figure,
//   and an instant in the future does not reveal the day in progress;
// - revoking the grant on the household's node makes the next summary show
//   the consumption as unavailable, not the old curve; linking again with
//   a new grant restores it; unlinking and relinking work;
// - a project cannot point fed-invest's own token at a household series;
// - the grant token appears in no reply and in no log line;
// - the household's node down: the consumption unavailable, the rest
//   served.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enfed/v1/invest.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed/token.h"
#include "fed/tz.h"
#include "fed_test.h"
#include "invest_test_grant.h"

#define ADMIN  "node-admin-secret-for-consent-tests"
#define IADMIN "invest-admin-secret-for-consent-tests"
#define READER "invest-reads-nodes-secret-for-consent"
#define ALICE  "alice-secret-for-consent-tests"
#define BOB    "bob-secret-for-consent-tests"
#define BEC    "bec-secret-for-consent-tests"
#define ORG    "Bretagne Energie Citoyenne"
#define PV     "kermelo/pv/energy"
#define HOUSE  "maison/linky/energy"
#define VOISIN "voisin/linky/energy"
#define HOUR   INT64_C(3600000)
#define DAY    INT64_C(86400000)
#define MIN5   INT64_C(300000)
// Instants, UTC ms, and the Europe/Paris local times they name.
#define AT      INT64_C(1781517600000) // 2026-06-15T12:00+02:00
#define TODAY   INT64_C(1781474400000) // 2026-06-15T00:00+02:00
#define JUNE_14 INT64_C(1781388000000) // 2026-06-14T00:00+02:00
#define COMM    INT64_C(1767135600000) // 2025-12-31T00:00+01:00
#define FEB_1   INT64_C(1769900400000) // 2026-02-01T00:00+01:00
#define JUNE_10 INT64_C(1781042400000) // 2026-06-10T00:00+02:00
#define EPS     1e-9
// alice's holding starts at 07:05 on 1 February: her consumption counts
// from that day's midnight.
#define ALICE_FROM (FEB_1 + 7 * HOUR + 5 * 60000)

#define assert_near(a, b)                                                   \
	do {                                                                \
		double a_ = (a), b_ = (b);                                  \
		if (!(fabs(a_ - b_) <= EPS * fmax(1, fabs(b_))))            \
			fail_msg("%s = %.17g, expected %.17g", #a, a_, b_); \
	} while (0)

#define MAX_TOKENS 16

static struct {
	char *dir;
	char lognact_rpc[128], lognact_stream[128];
	char bmhs_rpc[128], bmhs_stream[128];
	char rpc[128], log[600];
	int lognact_pid, bmhs_pid, pid;
	fed_rpc_client *lognact, *bmhs; // the nodes' administrators
	fed_rpc_client *admin, *alice, *bob, *bec; // on fed-invest
	char *tokens[MAX_TOKENS]; // every grant token made, for the log
	size_t n_tokens;
	char alice_grant_id[40];
	int64_t voisin_from; // voisin's first point
} fx;

// --- The federation -------------------------------------------------------

static fed_rpc_client *
client(const char *url, const char *token)
{
	fed_rpc_client *c = fed_test_client(url, token);
	assert_non_null(c);
	return c;
}

static void
write_file(const char *name, const char *text)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", fx.dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

// A node on which fed-invest's own token is an unlimited reader: the
// worst case, so that only the grant can be what keeps a household out.
static int
start_node(const char *name, char *rpc, char *stream)
{
	char line[200], tokens[700], h[65];
	fed_token_hash(READER, h);
	snprintf(line, sizeof(line), "fed-invest reader %s\n", h);
	snprintf(tokens, sizeof(tokens), "%s-tokens", name);
	write_file(tokens, line);
	char path[800];
	snprintf(path, sizeof(path), "%s/%s", fx.dir, tokens);
	snprintf(rpc, 128, "tcp://127.0.0.1:%d", fed_test_free_port());
	fed_test_ipc_url(stream, 128, name);
	int pid = fed_test_node_start(
	    FED_NODE_BIN, name, fx.dir, rpc, stream, ADMIN, path);
	assert_true(pid > 0);
	return pid;
}

// A series owned by owner, private unless public is set.
static void
create_owned(fed_rpc_client *c, const char *id, Enfed__V1__SeriesKind kind,
    const char *owner, int public)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = kind;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 3600;
	m.source = "simulator";
	m.owner = (char *) owner;
	if (public)
		m.visibility = ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(c, "CreateSeries", &req, &info), FED_OK);
	enfed__v1__series_info__free_unpacked(info, NULL);
}

// A private series: a production series owned by the projects'
// organisation, any other owned by a household.
static void
create_series(fed_rpc_client *c, const char *id, Enfed__V1__SeriesKind kind)
{
	create_owned(c, id, kind,
	    kind == ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION
	        ? ORG
	        : "a household",
	    0);
}

static void
ingest_hours(
    fed_rpc_client *c, const char *id, int64_t from, int64_t to, double wh)
{
	uint64_t sent = 0, stored = 0;
	assert_int_equal(fed_test_ingest_every(
	                     c, id, from, to, HOUR, wh, 0, 0, &sent, &stored),
	    FED_OK);
	assert_int_equal(stored, sent);
}

static void
fill_nodes(void)
{
	create_series(
	    fx.lognact, PV, ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION);
	ingest_hours(fx.lognact, PV, COMM, AT, 100);
	create_series(
	    fx.bmhs, HOUSE, ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION);
	ingest_hours(fx.bmhs, HOUSE, FEB_1, AT, 500);
	create_series(
	    fx.bmhs, VOISIN, ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION);
	int64_t now = fed_test_now_ms();
	fx.voisin_from = now - now % HOUR - 72 * HOUR;
	ingest_hours(fx.bmhs, VOISIN, fx.voisin_from, now, 500);
}

static void
start_invest(void)
{
	char a[7][700], h[3][65], text[1024];
	fed_token_hash(ALICE, h[0]);
	fed_token_hash(BOB, h[1]);
	fed_token_hash(BEC, h[2]);
	snprintf(text, sizeof(text),
	    "alice-app investor %s alice\nbob-app investor %s bob\n"
	    "bec-app organisation %s " ORG "\n",
	    h[0], h[1], h[2]);
	write_file("invest-tokens", text);
	snprintf(fx.rpc, sizeof(fx.rpc), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	snprintf(a[0], sizeof(a[0]), "--listen=%s", fx.rpc);
	snprintf(a[1], sizeof(a[1]), "--data-dir=%s/invest", fx.dir);
	snprintf(a[2], sizeof(a[2]), "--nodes=lognact=%s,bmhs=%s",
	    fx.lognact_rpc, fx.bmhs_rpc);
	snprintf(a[3], sizeof(a[3]), "--node-token=%s", READER);
	snprintf(a[4], sizeof(a[4]), "--admin-token=%s", IADMIN);
	snprintf(a[5], sizeof(a[5]), "--tokens-file=%s/invest-tokens", fx.dir);
	snprintf(a[6], sizeof(a[6]), "--node-timeout=1s");
	char *argv[] = {FED_INVEST_BIN, a[0], a[1], a[2], a[3], a[4], a[5],
	    a[6], "--log-level=debug", "--tz=Europe/Paris", NULL};
	snprintf(fx.log, sizeof(fx.log), "%s/invest.log", fx.dir);
	fx.pid = fed_test_proc_start(argv, fx.log);
	assert_true(fx.pid > 0);
	assert_int_equal(fed_test_wait_health(fx.rpc, 10000), FED_OK);
}

static fed_status
icall(fed_rpc_client *c, const char *method, const void *req, void *rep,
    char *err)
{
	return fed_rpc_call(c, &enfed__v1__invest__descriptor, method, req,
	    (ProtobufCMessage **) rep, err, 512);
}

static fed_status
put_project(fed_rpc_client *c, const char *id, const char *series,
    const char *node, char *err)
{
	Enfed__V1__Project p = ENFED__V1__PROJECT__INIT;
	p.id = (char *) id;
	p.name = "Kermélo school roof";
	p.organisation = ORG;
	p.peak_kw = 18;
	p.cost_cents = 3400000;
	p.share_price_cents = 25000;
	p.commissioned_ms = COMM;
	p.series_id = (char *) series;
	p.series_node = (char *) node;
	Enfed__V1__PutProjectRequest req
	    = ENFED__V1__PUT_PROJECT_REQUEST__INIT;
	req.project = &p;
	Enfed__V1__Project *rep = NULL;
	fed_status st = icall(c, "CreateProject", &req, &rep, err);
	enfed__v1__project__free_unpacked(rep, NULL);
	return st;
}

static fed_status
put_holding(fed_rpc_client *c, const char *investor, const char *project,
    uint32_t shares, int64_t acquired, char *err)
{
	Enfed__V1__Investment inv = ENFED__V1__INVESTMENT__INIT;
	inv.investor = (char *) investor;
	inv.project_id = (char *) project;
	inv.shares = shares;
	inv.acquired_ms = acquired;
	Enfed__V1__PutInvestmentRequest req
	    = ENFED__V1__PUT_INVESTMENT_REQUEST__INIT;
	req.investment = &inv;
	Enfed__V1__Investment *rep = NULL;
	fed_status st = icall(c, "PutInvestment", &req, &rep, err);
	enfed__v1__investment__free_unpacked(rep, NULL);
	return st;
}

static void
fill_invest(void)
{
	char err[512] = "";
	assert_int_equal(
	    put_project(fx.admin, "kermelo-pv", PV, "lognact", err), FED_OK);
	assert_int_equal(
	    put_holding(fx.alice, "", "kermelo-pv", 2, ALICE_FROM, err),
	    FED_OK);
	assert_int_equal(
	    put_holding(fx.bob, "", "kermelo-pv", 100, JUNE_10, err), FED_OK);
}

static int
group_setup(void **state)
{
	(void) state;
	fx.dir = fed_test_tmpdir("invconsent");
	fx.lognact_pid
	    = start_node("lognact", fx.lognact_rpc, fx.lognact_stream);
	fx.bmhs_pid = start_node("bmhs", fx.bmhs_rpc, fx.bmhs_stream);
	fx.lognact = client(fx.lognact_rpc, ADMIN);
	fx.bmhs = client(fx.bmhs_rpc, ADMIN);
	fill_nodes();
	start_invest();
	fx.admin = client(fx.rpc, IADMIN);
	fx.alice = client(fx.rpc, ALICE);
	fx.bob = client(fx.rpc, BOB);
	fx.bec = client(fx.rpc, BEC);
	fill_invest();
	return 0;
}

static int
group_teardown(void **state)
{
	(void) state;
	fed_rpc_client *c[]
	    = {fx.lognact, fx.bmhs, fx.admin, fx.alice, fx.bob, fx.bec};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		fed_rpc_client_free(c[i]);
	for (size_t i = 0; i < fx.n_tokens; i++)
		free(fx.tokens[i]);
	int rc = fed_test_proc_stop(fx.pid, SIGTERM, 10000);
	if (fx.lognact_pid > 0)
		fed_test_proc_stop(fx.lognact_pid, SIGTERM, 10000);
	if (fx.bmhs_pid > 0)
		fed_test_proc_stop(fx.bmhs_pid, SIGTERM, 10000);
	if (rc != 0) {
		char *argv[] = {"cat", fx.log, NULL};
		fed_test_spawn(argv, 1);
	}
	fed_test_rmtree(fx.dir);
	free(fx.dir);
	return rc == 0 ? 0 : -1;
}

// A grant of series on node admin c, its token kept for the log check.
static const char *
grant(fed_rpc_client *c, const char *series, Enfed__V1__Step finest,
    int64_t expires_ms, char *id)
{
	assert_true(fx.n_tokens < MAX_TOKENS);
	char *t = invest_test_grant(c, series, finest, expires_ms, id);
	fx.tokens[fx.n_tokens++] = t;
	return t;
}

// --- Calls ----------------------------------------------------------------

static Enfed__V1__InvestorSummary *
summary_tz(fed_rpc_client *c, const char *investor, int64_t at, const char *tz,
    fed_status want, char *err)
{
	Enfed__V1__SummaryRequest req = ENFED__V1__SUMMARY_REQUEST__INIT;
	req.investor = (char *) investor;
	req.at_ms = at;
	req.tz = (char *) tz;
	Enfed__V1__InvestorSummary *s = NULL;
	err[0] = '\0';
	fed_status st = icall(c, "Summary", &req, &s, err);
	if (st != want)
		fail_msg("Summary at %lld: %s (%s), expected %s",
		    (long long) at, fed_status_name(st), err,
		    fed_status_name(want));
	return s;
}

static Enfed__V1__InvestorSummary *
summary(fed_rpc_client *c, int64_t at)
{
	char err[512];
	return summary_tz(c, "", at, "", FED_OK, err);
}

static void
expect(fed_status got, fed_status want, const char *err, const char *needle)
{
	if (got != want || strstr(err, needle) == NULL)
		fail_msg("got %s '%s', expected %s with '%s'",
		    fed_status_name(got), err, fed_status_name(want), needle);
}

// What a refused grant is told: the series and the node, nothing else.
#define REFUSED                                                    \
	"grant_token: does not let fed-invest read series '" HOUSE \
	"' on node 'bmhs'"

// The consumption fields of two summaries are the same, bit for bit.
static void
assert_same_consumption(
    const Enfed__V1__InvestorSummary *a, const Enfed__V1__InvestorSummary *b)
{
	const Enfed__V1__PeriodEnergy *x = a->consumption, *y = b->consumption;
	assert_non_null(x);
	assert_non_null(y);
	assert_int_equal(a->consumption_until_ms, b->consumption_until_ms);
	assert_string_equal(a->consumption_series, b->consumption_series);
	const double vx[] = {x->today_wh, x->month_wh, x->year_wh, x->total_wh,
	    x->today_coverage, x->month_coverage, x->year_coverage,
	    x->total_coverage};
	const double vy[] = {y->today_wh, y->month_wh, y->year_wh, y->total_wh,
	    y->today_coverage, y->month_coverage, y->year_coverage,
	    y->total_coverage};
	assert_memory_equal(vx, vy, sizeof(vx));
	assert_int_equal(x->total_from_ms, y->total_from_ms);
}

// consumption_share is attributed / consumption and nothing else.
static void
assert_share_of(const Enfed__V1__InvestorSummary *s)
{
	const Enfed__V1__PeriodEnergy *a = s->attributed, *c = s->consumption;
	const Enfed__V1__PeriodRatio *r = s->consumption_share;
	assert_near(r->today, c->today_wh > 0 ? a->today_wh / c->today_wh : 0);
	assert_near(r->month, c->month_wh > 0 ? a->month_wh / c->month_wh : 0);
	assert_near(r->year, c->year_wh > 0 ? a->year_wh / c->year_wh : 0);
	assert_near(r->total, c->total_wh > 0 ? a->total_wh / c->total_wh : 0);
}

// 1 when needle's bytes are somewhere in buf.
static int
has_bytes(const uint8_t *buf, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (memcmp(buf + i, needle, n) == 0)
			return 1;
	return 0;
}

// --- Tests ----------------------------------------------------------------

// Every token but the household's own daily grant is refused, and the
// refusal says nothing about the token or the grant.
static void
test_link_refused(void **state)
{
	(void) state;
	char err[512], rid[40], random[FED_TOKEN_LEN + 1], longer[300];
	assert_int_equal(fed_token_new(random, sizeof(random)), FED_OK);
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	const char *revoked
	    = grant(fx.bmhs, HOUSE, ENFED__V1__STEP__STEP_DAY, 0, rid);
	invest_test_revoke(fx.bmhs, rid);
	const struct {
		const char *token;
		fed_status want;
		const char *needle;
	} cases[] = {
	    {NULL, FED_INVALID_ARGUMENT, "grant_token: missing"},
	    {"fed_with space", FED_INVALID_ARGUMENT, "printable ASCII"},
	    {longer, FED_INVALID_ARGUMENT, "printable ASCII"},
	    {grant(fx.bmhs, VOISIN, ENFED__V1__STEP__STEP_DAY, 0, NULL),
	        FED_PERMISSION_DENIED, REFUSED},
	    {grant(fx.bmhs, "voisin/", ENFED__V1__STEP__STEP_RAW, 0, NULL),
	        FED_PERMISSION_DENIED, REFUSED},
	    {grant(fx.lognact, HOUSE, ENFED__V1__STEP__STEP_DAY, 0, NULL),
	        FED_PERMISSION_DENIED, REFUSED},
	    {revoked, FED_PERMISSION_DENIED, REFUSED},
	    {random, FED_PERMISSION_DENIED, REFUSED},
	    {READER, FED_PERMISSION_DENIED, REFUSED},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fed_status st = invest_test_link(
		    fx.alice, "", HOUSE, "bmhs", cases[i].token, err);
		expect(st, cases[i].want, err, cases[i].needle);
		if (cases[i].token != NULL)
			assert_null(strstr(err, cases[i].token));
	}
	// Nothing was linked.
	Enfed__V1__InvestorSummary *s = summary(fx.alice, AT);
	assert_string_equal(s->consumption_series, "");
	assert_null(s->consumption);
	enfed__v1__investor_summary__free_unpacked(s, NULL);
	// Neither for another investor, nor by an organisation.
	const char *ok
	    = grant(fx.bmhs, HOUSE, ENFED__V1__STEP__STEP_DAY, 0, NULL);
	expect(invest_test_link(fx.bob, "alice", HOUSE, "bmhs", ok, err),
	    FED_PERMISSION_DENIED, err, "another investor");
	expect(invest_test_link(fx.bec, "alice", HOUSE, "bmhs", ok, err),
	    FED_PERMISSION_DENIED, err, "");
}

// Case 4: bob has no grant for alice's household. He cannot link it, and
// no instant of a day shows anything of it.
static void
test_case4_without_grant(void **state)
{
	(void) state;
	char err[512];
	const char *voisin
	    = grant(fx.bmhs, VOISIN, ENFED__V1__STEP__STEP_DAY, 0, NULL);
	expect(invest_test_link(fx.bob, "", HOUSE, "bmhs", NULL, err),
	    FED_INVALID_ARGUMENT, err, "grant_token: missing");
	expect(invest_test_link(fx.bob, "", HOUSE, "bmhs", voisin, err),
	    FED_PERMISSION_DENIED, err, REFUSED);
	expect(invest_test_link(fx.admin, "bob", HOUSE, "bmhs", READER, err),
	    FED_PERMISSION_DENIED, err, REFUSED);
	for (int64_t at = JUNE_14; at < JUNE_14 + DAY; at += MIN5) {
		Enfed__V1__InvestorSummary *s = summary(fx.bob, at);
		assert_string_equal(s->consumption_series, "");
		assert_null(s->consumption);
		assert_null(s->consumption_share);
		enfed__v1__investor_summary__free_unpacked(s, NULL);
	}
}

// With the household's daily grant: whole days only, until the midnight
// of the summary's day, from the midnight of the holding's day.
static void
test_daily_grant(void **state)
{
	(void) state;
	char err[512];
	const char *t = grant(
	    fx.bmhs, HOUSE, ENFED__V1__STEP__STEP_DAY, 0, fx.alice_grant_id);
	assert_int_equal(
	    invest_test_link(fx.alice, "", HOUSE, "bmhs", t, err), FED_OK);
	Enfed__V1__InvestorSummary *s = summary(fx.alice, AT);
	assert_string_equal(s->consumption_series, HOUSE);
	assert_string_equal(s->consumption_unavailable, "");
	assert_int_equal(s->consumption_until_ms, TODAY);
	const Enfed__V1__PeriodEnergy *c = s->consumption;
	assert_near(c->today_wh, 0);
	assert_near(c->today_coverage, 0);
	assert_near(c->month_wh, 14 * 24 * 500);
	assert_near(c->month_coverage, 1);
	// 1 February to 15 June: 3215 hours (the spring-forward day has 23).
	assert_near(c->year_wh, 3215 * 500);
	assert_near(c->total_wh, 3215 * 500);
	assert_near(c->total_coverage, 1);
	assert_int_equal(c->total_from_ms, FEB_1);
	assert_int_equal(s->attributed->total_from_ms, ALICE_FROM);
	assert_share_of(s);
	// Another zone in the request: the household is still counted in
	// fed-invest's own days, never in a zone the caller picks.
	Enfed__V1__InvestorSummary *k
	    = summary_tz(fx.alice, "", AT, "Asia/Kathmandu", FED_OK, err);
	assert_string_equal(k->tz, "Asia/Kathmandu");
	assert_same_consumption(s, k);
	enfed__v1__investor_summary__free_unpacked(k, NULL);
	// The grant's token is in no reply.
	uint8_t buf[8192];
	size_t len = enfed__v1__investor_summary__get_packed_size(s);
	assert_true(len < sizeof(buf));
	enfed__v1__investor_summary__pack(s, buf);
	assert_false(has_bytes(buf, len, t));
	enfed__v1__investor_summary__free_unpacked(s, NULL);
}

// Case 4 with a legitimate grant: at_ms moved in 5-minute steps through 14
// June never changes a consumption figure.
static void
test_case4_steps(void **state)
{
	(void) state;
	Enfed__V1__InvestorSummary *first = summary(fx.alice, JUNE_14);
	assert_int_equal(first->consumption_until_ms, JUNE_14);
	assert_near(first->consumption->today_wh, 0);
	assert_near(first->consumption->month_wh, 13 * 24 * 500);
	assert_near(first->consumption->total_wh, 3191 * 500);
	for (int64_t at = JUNE_14 + MIN5; at < JUNE_14 + DAY; at += MIN5) {
		Enfed__V1__InvestorSummary *s = summary(fx.alice, at);
		assert_same_consumption(first, s);
		assert_share_of(s);
		enfed__v1__investor_summary__free_unpacked(s, NULL);
	}
	enfed__v1__investor_summary__free_unpacked(first, NULL);
}

// An instant in the future does not reveal the day in progress: voisin
// has points up to now, and only those before today's midnight count.
static void
test_future_instant(void **state)
{
	(void) state;
	char err[512];
	const char *t
	    = grant(fx.bmhs, VOISIN, ENFED__V1__STEP__STEP_DAY, 0, NULL);
	assert_int_equal(
	    invest_test_link(fx.bob, "", VOISIN, "bmhs", t, err), FED_OK);
	fed_tz *paris = NULL;
	assert_int_equal(fed_tz_load("Europe/Paris", &paris), FED_OK);
	int64_t now = fed_test_now_ms();
	int64_t midnight = fed_tz_floor(paris, now, FED_TZ_DAY);
	fed_tz_free(paris);
	Enfed__V1__InvestorSummary *a = summary(fx.bob, now);
	Enfed__V1__InvestorSummary *b = summary(fx.bob, now + 3 * DAY);
	if (fed_test_now_ms() >= midnight + DAY) {
		// Midnight passed during the test: nothing to compare.
		enfed__v1__investor_summary__free_unpacked(a, NULL);
		enfed__v1__investor_summary__free_unpacked(b, NULL);
		return;
	}
	assert_int_equal(a->consumption_until_ms, midnight);
	assert_int_equal(b->consumption_until_ms, midnight);
	double hours = (double) ((midnight - fx.voisin_from) / HOUR);
	assert_near(a->consumption->total_wh, hours * 500);
	assert_near(b->consumption->total_wh, hours * 500);
	assert_near(b->consumption->today_wh, 0);
	enfed__v1__investor_summary__free_unpacked(a, NULL);
	enfed__v1__investor_summary__free_unpacked(b, NULL);
	// bob unlinks, and links again: both work.
	assert_int_equal(
	    invest_test_link(fx.bob, "", "", "bmhs", NULL, err), FED_OK);
	a = summary(fx.bob, now);
	assert_string_equal(a->consumption_series, "");
	assert_null(a->consumption);
	enfed__v1__investor_summary__free_unpacked(a, NULL);
	assert_int_equal(
	    invest_test_link(fx.bob, "", VOISIN, "bmhs", t, err), FED_OK);
}

// 1 when the invest log holds needle.
static int
log_has(const char *needle)
{
	FILE *f = fopen(fx.log, "r");
	assert_non_null(f);
	char line[2048];
	int found = 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

// Revoked on the household's node: the next summary says the consumption
// is unavailable, and shows none of it; the rest of the summary is there.
static void
test_revoked(void **state)
{
	(void) state;
	char err[512];
	invest_test_revoke(fx.bmhs, fx.alice_grant_id);
	Enfed__V1__InvestorSummary *s = summary(fx.alice, AT);
	assert_string_equal(s->consumption_series, HOUSE);
	assert_null(s->consumption);
	assert_null(s->consumption_share);
	assert_non_null(
	    strstr(s->consumption_unavailable, "no longer answers"));
	assert_int_equal(s->n_projects, 1);
	assert_non_null(s->attributed);
	assert_true(s->attributed->total_wh > 0);
	enfed__v1__investor_summary__free_unpacked(s, NULL);
	assert_true(log_has("investor alice: the grant of series " HOUSE
	                    " on node bmhs no longer answers"));
	// A new grant, linked again: the figures are back.
	const char *t = grant(
	    fx.bmhs, HOUSE, ENFED__V1__STEP__STEP_DAY, 0, fx.alice_grant_id);
	assert_int_equal(
	    invest_test_link(fx.alice, "", HOUSE, "bmhs", t, err), FED_OK);
	s = summary(fx.alice, AT);
	assert_string_equal(s->consumption_unavailable, "");
	assert_near(s->consumption->month_wh, 14 * 24 * 500);
	enfed__v1__investor_summary__free_unpacked(s, NULL);
}

// A grant that expires: linked while it holds, unavailable once past.
static void
test_expired(void **state)
{
	(void) state;
	char err[512];
	int64_t expires = fed_test_now_ms() + 1500;
	const char *t
	    = grant(fx.bmhs, VOISIN, ENFED__V1__STEP__STEP_DAY, expires, NULL);
	assert_int_equal(
	    invest_test_link(fx.bob, "", VOISIN, "bmhs", t, err), FED_OK);
	while (fed_test_now_ms() <= expires + 50)
		fed_test_sleep_ms(50);
	Enfed__V1__InvestorSummary *s = summary(fx.bob, AT);
	assert_null(s->consumption);
	assert_non_null(
	    strstr(s->consumption_unavailable, "no longer answers"));
	enfed__v1__investor_summary__free_unpacked(s, NULL);
	expect(invest_test_link(fx.bob, "", VOISIN, "bmhs", t, err),
	    FED_PERMISSION_DENIED, err, "does not let fed-invest read");
}

// An organisation cannot make fed-invest read a household with its own
// token by calling it a plant's production: the series is checked on its
// node when the project is entered, and a series that does not exist is
// refused the same way.
static void
test_project_not_production(void **state)
{
	(void) state;
	char err[512];
	expect(put_project(fx.bec, "sneaky", HOUSE, "bmhs", err),
	    FED_FAILED_PRECONDITION, err,
	    "series '" HOUSE "' on node 'bmhs' is not a production series");
	expect(
	    put_project(fx.bec, "typo", "kermelo/pv/energie", "lognact", err),
	    FED_FAILED_PRECONDITION, err, "kermelo/pv/energie");
	Enfed__V1__ProjectRequest pr = ENFED__V1__PROJECT_REQUEST__INIT;
	pr.id = "sneaky";
	Enfed__V1__Project *p = NULL;
	assert_int_equal(
	    icall(fx.bec, "GetProject", &pr, &p, err), FED_NOT_FOUND);
	assert_null(p);
	assert_int_equal(
	    put_holding(fx.bob, "", "sneaky", 1, JUNE_10, err), FED_NOT_FOUND);
}

// fed-invest's node token may read other organisations' plants; an
// organisation cannot turn one that is private into project figures (its
// owner did not consent), and is told exactly what it is told for a
// series that does not exist. Another organisation's public plant, which
// the whole federation may read, can be entered.
static void
test_project_other_organisation(void **state)
{
	(void) state;
	char err[512], absent[512];
	const Enfed__V1__SeriesKind pv
	    = ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION;
	create_owned(fx.lognact, "lucioles/pv/energy", pv,
	    "Les Lucioles de la Ria d'Etel", 0);
	ingest_hours(fx.lognact, "lucioles/pv/energy", JUNE_14, AT, 100);
	assert_int_equal(put_project(fx.bec, "theirs", "lucioles/pv/energy",
	                     "lognact", err),
	    FED_FAILED_PRECONDITION);
	assert_int_equal(put_project(fx.bec, "theirs", "lucioles/pv/energz",
	                     "lognact", absent),
	    FED_FAILED_PRECONDITION);
	// The same words, but for the id.
	char *at = strstr(absent, "energz");
	assert_non_null(at);
	at[5] = 'y';
	assert_string_equal(err, absent);
	assert_null(strstr(err, "Lucioles"));
	// Nor can the administrator enter it for BEC.
	assert_int_equal(put_project(fx.admin, "theirs", "lucioles/pv/energy",
	                     "lognact", err),
	    FED_FAILED_PRECONDITION);
	Enfed__V1__ProjectRequest pr = ENFED__V1__PROJECT_REQUEST__INIT;
	pr.id = "theirs";
	Enfed__V1__Project *p = NULL;
	assert_int_equal(
	    icall(fx.bec, "GetProject", &pr, &p, err), FED_NOT_FOUND);
	assert_null(p);

	create_owned(fx.lognact, "lucioles/pv/public", pv,
	    "Les Lucioles de la Ria d'Etel", 1);
	assert_int_equal(put_project(fx.bec, "public", "lucioles/pv/public",
	                     "lognact", err),
	    FED_OK);
}

static fed_status
delete_project(fed_rpc_client *c, const char *id, char *err)
{
	Enfed__V1__ProjectRequest pr = ENFED__V1__PROJECT_REQUEST__INIT;
	pr.id = (char *) id;
	Enfed__V1__InvestEmpty *e = NULL;
	fed_status st = icall(c, "DeleteProject", &pr, &e, err);
	enfed__v1__invest_empty__free_unpacked(e, NULL);
	return st;
}

// A project whose series disappears after entry is one summary entry
// marked unavailable; the summary itself, and the other projects in it,
// are still served. Such a project cannot be deleted while held, can be
// archived (no new holder), and deleted once nobody holds it.
static void
test_project_gone(void **state)
{
	(void) state;
	char err[512];
	create_series(fx.lognact, "gone/pv/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION);
	ingest_hours(fx.lognact, "gone/pv/energy", JUNE_14, AT, 100);
	assert_int_equal(
	    put_project(fx.bec, "gone", "gone/pv/energy", "lognact", err),
	    FED_OK);
	assert_int_equal(
	    put_holding(fx.bob, "", "gone", 2, JUNE_10, err), FED_OK);
	Enfed__V1__DeleteSeriesRequest ds
	    = ENFED__V1__DELETE_SERIES_REQUEST__INIT;
	ds.id = "gone/pv/energy";
	Enfed__V1__Empty *e = NULL;
	assert_int_equal(
	    fed_test_store_call(fx.lognact, "DeleteSeries", &ds, &e), FED_OK);
	enfed__v1__empty__free_unpacked(e, NULL);
	Enfed__V1__InvestorSummary *s = summary(fx.bob, AT);
	size_t seen = 0;
	for (size_t i = 0; i < s->n_projects; i++) {
		const Enfed__V1__ProjectSummary *ps = s->projects[i];
		if (strcmp(ps->project->id, "gone") == 0) {
			assert_non_null(
			    strstr(ps->unavailable, "gone/pv/energy"));
			assert_true(ps->attributed->total_wh == 0);
			assert_true(ps->attributed->total_coverage == 0);
			seen++;
		} else if (strcmp(ps->project->id, "kermelo-pv") == 0) {
			assert_string_equal(ps->unavailable, "");
			assert_true(ps->attributed->total_wh > 0);
			seen++;
		}
	}
	assert_int_equal(seen, 2);
	assert_true(s->attributed->total_coverage == 0);
	enfed__v1__investor_summary__free_unpacked(s, NULL);
	// Held: not deleted, by nobody; an investor may not even try.
	expect(delete_project(fx.bec, "gone", err), FED_FAILED_PRECONDITION,
	    err, "archive it instead");
	assert_int_equal(
	    delete_project(fx.bob, "gone", err), FED_PERMISSION_DENIED);
	// Archived: the holder keeps (and may change) its holding, a new
	// investor is refused.
	Enfed__V1__ProjectRequest pr = ENFED__V1__PROJECT_REQUEST__INIT;
	pr.id = "gone";
	Enfed__V1__Project *p = NULL;
	assert_int_equal(icall(fx.bec, "GetProject", &pr, &p, err), FED_OK);
	p->archived = 1;
	// The series is gone, and kept: archiving does not check it again.
	Enfed__V1__PutProjectRequest up = ENFED__V1__PUT_PROJECT_REQUEST__INIT;
	up.project = p;
	Enfed__V1__Project *rep = NULL;
	assert_int_equal(
	    icall(fx.bec, "UpdateProject", &up, &rep, err), FED_OK);
	assert_true(rep->archived);
	enfed__v1__project__free_unpacked(rep, NULL);
	enfed__v1__project__free_unpacked(p, NULL);
	assert_int_equal(
	    put_holding(fx.bob, "", "gone", 3, JUNE_14, err), FED_OK);
	expect(put_holding(fx.alice, "", "gone", 1, JUNE_14, err),
	    FED_FAILED_PRECONDITION, err, "archived");
	// Nobody holds it: deleted, and deleting it again is OK.
	Enfed__V1__RemoveInvestmentRequest rm
	    = ENFED__V1__REMOVE_INVESTMENT_REQUEST__INIT;
	rm.project_id = "gone";
	Enfed__V1__InvestEmpty *ie = NULL;
	assert_int_equal(
	    icall(fx.bob, "RemoveInvestment", &rm, &ie, err), FED_OK);
	enfed__v1__invest_empty__free_unpacked(ie, NULL);
	assert_int_equal(delete_project(fx.bec, "gone", err), FED_OK);
	assert_int_equal(delete_project(fx.bec, "gone", err), FED_OK);
	p = NULL;
	assert_int_equal(
	    icall(fx.bec, "GetProject", &pr, &p, err), FED_NOT_FOUND);
}

// No grant token ever reached the log, whatever happened to it.
static void
test_no_token_logged(void **state)
{
	(void) state;
	assert_true(log_has("linked series " HOUSE " on node bmhs"));
	for (size_t i = 0; i < fx.n_tokens; i++)
		if (log_has(fx.tokens[i]))
			fail_msg("grant token %zu is in the log", i);
}

// The household's node down: the summary is served with its consumption
// unavailable, naming the node; a new link is UNAVAILABLE.
static void
test_household_node_down(void **state)
{
	(void) state;
	char err[512];
	assert_int_equal(fed_test_proc_stop(fx.bmhs_pid, SIGTERM, 10000), 0);
	fx.bmhs_pid = 0;
	// The summary is served, its consumption said unavailable.
	Enfed__V1__InvestorSummary *s
	    = summary_tz(fx.alice, "", AT, "", FED_OK, err);
	assert_non_null(s);
	assert_non_null(s->consumption_unavailable);
	assert_non_null(
	    strstr(s->consumption_unavailable, "node 'bmhs' is unreachable"));
	assert_null(s->consumption);
	assert_true(s->n_projects > 0);
	enfed__v1__investor_summary__free_unpacked(s, NULL);
	expect(
	    invest_test_link(fx.alice, "", HOUSE, "bmhs", fx.tokens[0], err),
	    FED_UNAVAILABLE, err, "node 'bmhs' is unreachable");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_link_refused),
	    cmocka_unit_test(test_case4_without_grant),
	    cmocka_unit_test(test_daily_grant),
	    cmocka_unit_test(test_case4_steps),
	    cmocka_unit_test(test_future_instant),
	    cmocka_unit_test(test_revoked),
	    cmocka_unit_test(test_expired),
	    cmocka_unit_test(test_project_not_production),
	    cmocka_unit_test(test_project_other_organisation),
	    cmocka_unit_test(test_project_gone),
	    cmocka_unit_test(test_no_token_logged),
	    cmocka_unit_test(test_household_node_down),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
