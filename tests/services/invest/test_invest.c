// SPDX-License-Identifier: MIT
//
// test_invest.c: fed-invest end to end: a real fed-node holding a known
// production series (100 Wh an hour from 2025-12-31, two hours missing on
// 15 June 2026) replicated from another organisation's node under a live
// grant, and a household's consumption (500 Wh an hour since 1 February),
// a real fed-invest process reading the production with a reader token and
// the household under the daily grant its node issued to the investment
// service, and the numbers of the widget checked exactly against hand
// counts of hours (of whole days, for the household): a 34,000 EUR project at
// 250 EUR a share (136 shares), alice with 2 shares since 1 February, bob with
// 100 since 10 June. Then the detail buckets, the distribution (anonymous to
// other investors), the bad inputs and permissions, persistence across a
// restart, and a node that is down (a project card saying so, not stale
// numbers).

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

#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/invest.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed/token.h"
#include "fed_test.h"
#include "invest_test_grant.h"

#define ADMIN  "admin-secret-for-tests"
#define READER "reader-secret-for-tests"
#define PUSH   "owner-pushes-to-lognact"
#define ALICE  "alice-secret-for-tests"
#define BOB    "bob-secret-for-tests"
#define BEC    "bec-secret-for-tests"
#define ORG    "Bretagne Energie Citoyenne"
#define HOUR   INT64_C(3600000)
// Instants, UTC ms, and the Europe/Paris local times they name.
#define AT      INT64_C(1781517600000) // 2026-06-15T12:00+02:00
#define TODAY   INT64_C(1781474400000) // 2026-06-15T00:00+02:00
#define COMM    INT64_C(1767135600000) // 2025-12-31T00:00+01:00
#define FEB_1   INT64_C(1769900400000) // 2026-02-01T00:00+01:00
#define JUNE_9  INT64_C(1780956000000) // 2026-06-09T00:00+02:00
#define JUNE_10 INT64_C(1781042400000) // 2026-06-10T00:00+02:00
#define GAP     INT64_C(1781481600000) // 2026-06-15T02:00+02:00, 2 h gap
#define MAY_1   INT64_C(1777586400000) // 2026-05-01T00:00+02:00
#define JULY_1  INT64_C(1782856800000) // 2026-07-01T00:00+02:00
#define EPS     1e-9

#define assert_near(a, b)                                                   \
	do {                                                                \
		double a_ = (a), b_ = (b);                                  \
		if (!(fabs(a_ - b_) <= EPS * fmax(1, fabs(b_))))            \
			fail_msg("%s = %.17g, expected %.17g", #a, a_, b_); \
	} while (0)

struct fx {
	char *dir;
	char node_rpc[128], node_stream[128], rpc[128], log[600];
	char owner_rpc[128], owner_stream[128];
	int node_pid, pid, owner_pid;
	fed_rpc_client *admin, *alice, *bob, *bec;
	char *grant; // the household's daily grant to the investment service
};

static struct fx fx;

static fed_rpc_client *
client(const char *url, const char *token)
{
	fed_rpc_client *c = fed_test_client(url, token);
	assert_non_null(c);
	return c;
}

static fed_status
icall(fed_rpc_client *c, const char *method, const void *req, void *rep,
    char *err)
{
	return fed_rpc_call(c, &enfed__v1__invest__descriptor, method, req,
	    (ProtobufCMessage **) rep, err, 512);
}

static fed_status
scall(fed_rpc_client *c, const char *method, const void *req, void *rep)
{
	char err[512];
	fed_status st = fed_rpc_call(c, &enfed__v1__series_store__descriptor,
	    method, req, (ProtobufCMessage **) rep, err, sizeof(err));
	if (st != FED_OK)
		print_error("%s: %s\n", method, err);
	return st;
}

static void
create_series(fed_rpc_client *c, const char *id, Enfed__V1__SeriesKind kind)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = kind;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 3600;
	m.source = "simulator";
	m.owner = ORG;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(scall(c, "CreateSeries", &req, &info), FED_OK);
	enfed__v1__series_info__free_unpacked(info, NULL);
}

// One point of `wh` every hour of [from, to), except [skip, skip + 2 h),
// each one newly stored.
static void
ingest_hours(fed_rpc_client *c, const char *id, int64_t from, int64_t to,
    double wh, int64_t skip)
{
	uint64_t sent = 0, stored = 0;
	assert_int_equal(fed_test_ingest_every(c, id, from, to, HOUR, wh, skip,
	                     2 * HOUR, &sent, &stored),
	    FED_OK);
	assert_int_equal(stored, sent);
}

static void
write_tokens(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
start_node(void)
{
	char path[600], h[65], text[256];
	snprintf(path, sizeof(path), "%s/node-tokens", fx.dir);
	char hp[65];
	fed_token_hash(READER, h);
	fed_token_hash(PUSH, hp);
	snprintf(text, sizeof(text),
	    "fed-invest reader %s\nowner replica %s\n", h, hp);
	write_tokens(path, text);
	fx.node_pid = fed_test_node_start(FED_NODE_BIN, "lognact", fx.dir,
	    fx.node_rpc, fx.node_stream, ADMIN, path);
	assert_true(fx.node_pid > 0);
}

// The plant's production is held by another organisation's node, the
// owner, and reaches lognact (the node fed-invest reads) by replication
// under a live grant, as in the federation: the figures are computed from
// replicated data.
static void
start_owner(void)
{
	char peers[600], opt[700], line[300];
	snprintf(peers, sizeof(peers), "%s/owner-peers", fx.dir);
	snprintf(line, sizeof(line), "lognact %s %s\n", fx.node_rpc, PUSH);
	write_tokens(peers, line);
	snprintf(opt, sizeof(opt), "--peers-file=%s", peers);
	const char *extra[] = {opt, NULL};
	fed_test_ipc_url(fx.owner_rpc, sizeof(fx.owner_rpc), "owner");
	fed_test_ipc_url(fx.owner_stream, sizeof(fx.owner_stream), "owners");
	fx.owner_pid = fed_test_node_start_ex(FED_NODE_BIN, "owner", fx.dir,
	    fx.owner_rpc, fx.owner_stream, ADMIN, NULL, extra);
	assert_true(fx.owner_pid > 0);
}

static void
grant_to_lognact(fed_rpc_client *owner)
{
	Enfed__V1__Scope sc[1] = {ENFED__V1__SCOPE__SCOPE_LIVE};
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.series = "kermelo/pv/";
	g.grantee_node = "lognact";
	g.scopes = sc;
	g.n_scopes = 1;
	Enfed__V1__CreateGrantRequest req
	    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
	req.grant = &g;
	Enfed__V1__CreateGrantResponse *rep = NULL;
	char err[256];
	assert_int_equal(
	    fed_rpc_call(owner, &enfed__v1__grants__descriptor, "Create",
	        &req.base, (ProtobufCMessage **) &rep, err, sizeof(err)),
	    FED_OK);
	enfed__v1__create_grant_response__free_unpacked(rep, NULL);
}

// Waits until lognact holds n points of the replicated series (10 s).
static void
wait_replicated(fed_rpc_client *c, uint64_t n)
{
	uint64_t have = 0;
	for (int i = 0; i < 200 && have < n; i++) {
		Enfed__V1__GetSeriesRequest g
		    = ENFED__V1__GET_SERIES_REQUEST__INIT;
		g.id = "kermelo/pv/energy";
		Enfed__V1__SeriesInfo *info = NULL;
		if (scall(c, "GetSeries", &g, &info) == FED_OK) {
			have = info->n_points;
			assert_string_equal(info->meta->origin_node, "owner");
			enfed__v1__series_info__free_unpacked(info, NULL);
		}
		if (have < n)
			fed_test_sleep_ms(50);
	}
	assert_int_equal(have, n);
}

static void
start_invest(void)
{
	char a[7][700];
	snprintf(a[0], sizeof(a[0]), "--listen=%s", fx.rpc);
	snprintf(a[1], sizeof(a[1]), "--data-dir=%s/invest", fx.dir);
	snprintf(a[2], sizeof(a[2]), "--nodes=lognact=%s,bmhs=%s", fx.node_rpc,
	    fx.node_rpc);
	snprintf(a[3], sizeof(a[3]), "--node-token=%s", READER);
	snprintf(a[4], sizeof(a[4]), "--admin-token=%s", ADMIN);
	snprintf(a[5], sizeof(a[5]), "--tokens-file=%s/invest-tokens", fx.dir);
	snprintf(a[6], sizeof(a[6]), "--node-timeout=1s");
	char *argv[] = {FED_INVEST_BIN, a[0], a[1], a[2], a[3], a[4], a[5],
	    a[6], "--log-level=debug", NULL};
	fx.pid = fed_test_proc_start(argv, fx.log);
	assert_true(fx.pid > 0);
	assert_int_equal(fed_test_wait_health(fx.rpc, 10000), FED_OK);
}

static void
write_invest_tokens(void)
{
	char path[600], ha[65], hb[65], ho[65], text[1024];
	snprintf(path, sizeof(path), "%s/invest-tokens", fx.dir);
	fed_token_hash(ALICE, ha);
	fed_token_hash(BOB, hb);
	fed_token_hash(BEC, ho);
	snprintf(text, sizeof(text),
	    "alice-app investor %s alice\nbob-app investor %s bob\n"
	    "bec-app organisation %s " ORG "\n",
	    ha, hb, ho);
	write_tokens(path, text);
}

static int
group_setup(void **state)
{
	(void) state;
	fx.dir = fed_test_tmpdir("invest");
	snprintf(fx.node_rpc, sizeof(fx.node_rpc), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	snprintf(fx.rpc, sizeof(fx.rpc), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	fed_test_ipc_url(fx.node_stream, sizeof(fx.node_stream), "invstream");
	snprintf(fx.log, sizeof(fx.log), "%s/invest.log", fx.dir);
	start_node();
	start_owner();
	fed_rpc_client *own = client(fx.owner_rpc, ADMIN);
	create_series(own, "kermelo/pv/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION);
	ingest_hours(own, "kermelo/pv/energy", COMM, AT, 100, GAP);
	grant_to_lognact(own);
	fed_rpc_client_free(own);
	fed_rpc_client *na = client(fx.node_rpc, ADMIN);
	create_series(na, "bmhs/house/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION);
	ingest_hours(na, "bmhs/house/energy", FEB_1, AT, 500, 0);
	wait_replicated(na, (uint64_t) ((AT - COMM) / HOUR) - 2);
	fed_rpc_client_free(na);
	write_invest_tokens();
	start_invest();
	fx.admin = client(fx.rpc, ADMIN);
	fx.alice = client(fx.rpc, ALICE);
	fx.bob = client(fx.rpc, BOB);
	fx.bec = client(fx.rpc, BEC);
	return 0;
}

static int
group_teardown(void **state)
{
	(void) state;
	fed_rpc_client_free(fx.admin);
	fed_rpc_client_free(fx.alice);
	fed_rpc_client_free(fx.bob);
	fed_rpc_client_free(fx.bec);
	free(fx.grant);
	int rc = fed_test_proc_stop(fx.pid, SIGTERM, 10000);
	if (fx.node_pid > 0)
		fed_test_proc_stop(fx.node_pid, SIGTERM, 10000);
	if (fx.owner_pid > 0)
		fed_test_proc_stop(fx.owner_pid, SIGTERM, 10000);
	if (rc != 0) {
		char *argv[] = {"cat", fx.log, NULL};
		fed_test_spawn(argv, 1);
	}
	fed_test_rmtree(fx.dir);
	free(fx.dir);
	return rc == 0 ? 0 : -1;
}

static Enfed__V1__Project
kermelo(void)
{
	Enfed__V1__Project p = ENFED__V1__PROJECT__INIT;
	p.id = "kermelo-pv";
	p.name = "Kermélo school roof";
	p.organisation = ORG;
	p.type = ENFED__V1__INSTALLATION_TYPE__INSTALLATION_PHOTOVOLTAIC;
	p.location = "Lorient, Morbihan";
	p.peak_kw = 18;
	p.cost_cents = 3400000;
	p.share_price_cents = 25000;
	p.commissioned_ms = COMM;
	p.series_id = "kermelo/pv/energy";
	p.series_node = "lognact";
	p.url = "https://example.org/kermelo";
	return p;
}

static fed_status
put_project(
    fed_rpc_client *c, const char *method, Enfed__V1__Project p, char *err)
{
	Enfed__V1__PutProjectRequest req
	    = ENFED__V1__PUT_PROJECT_REQUEST__INIT;
	req.project = &p;
	Enfed__V1__Project *rep = NULL;
	fed_status st = icall(c, method, &req, &rep, err);
	if (rep != NULL) {
		assert_int_equal(rep->total_shares, 136);
		enfed__v1__project__free_unpacked(rep, NULL);
	}
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
	if (rep != NULL)
		enfed__v1__investment__free_unpacked(rep, NULL);
	return st;
}

static void
test_enter(void **state)
{
	(void) state;
	char err[512];
	assert_int_equal(
	    put_project(fx.admin, "CreateProject", kermelo(), err), FED_OK);
	assert_int_equal(
	    put_project(fx.admin, "CreateProject", kermelo(), err), FED_OK);
	// The organisation's token manages its own project.
	Enfed__V1__Project p = kermelo();
	p.location = "Lorient (56)";
	assert_int_equal(put_project(fx.bec, "UpdateProject", p, err), FED_OK);
	assert_int_equal(
	    put_holding(fx.alice, "", "kermelo-pv", 2, FEB_1, err), FED_OK);
	assert_int_equal(
	    put_holding(fx.bob, "bob", "kermelo-pv", 100, JUNE_10, err),
	    FED_OK);
	// The household's node grants its daily totals to the investment
	// service; alice links her consumption under that grant.
	fed_rpc_client *na = client(fx.node_rpc, ADMIN);
	fx.grant = invest_test_grant(
	    na, "bmhs/house/energy", ENFED__V1__STEP__STEP_DAY, 0, NULL);
	fed_rpc_client_free(na);
	assert_int_equal(invest_test_link(fx.alice, "", "bmhs/house/energy",
	                     "bmhs", fx.grant, err),
	    FED_OK);
}

static Enfed__V1__InvestorSummary *
summary(fed_rpc_client *c, const char *investor, fed_status want)
{
	Enfed__V1__SummaryRequest req = ENFED__V1__SUMMARY_REQUEST__INIT;
	req.investor = (char *) investor;
	req.at_ms = AT;
	Enfed__V1__InvestorSummary *s = NULL;
	char err[512] = "";
	fed_status st = icall(c, "Summary", &req, &s, err);
	if (st != want)
		fail_msg("Summary: %d (%s), expected %d", st, err, want);
	return s;
}

// Production: 100 Wh an hour, the hours of 02:00 and 03:00 on 15 June
// missing. Today 10 of 12 hours; June 346 of 348; 2026 3969 of 3971 (the
// spring-forward day has 23 hours); since commissioning 3993 of 3995.
static void
check_production(const Enfed__V1__PeriodEnergy *e)
{
	assert_near(e->today_wh, 1000);
	assert_near(e->today_coverage, 10.0 / 12);
	assert_near(e->month_wh, 34600);
	assert_near(e->month_coverage, 346.0 / 348);
	assert_near(e->year_wh, 396900);
	assert_near(e->year_coverage, 3969.0 / 3971);
	assert_near(e->total_wh, 399300);
	assert_near(e->total_coverage, 3993.0 / 3995);
	assert_int_equal(e->total_from_ms, COMM);
}

// alice: 2/136 = 1/68 of the production since 1 February: 3227 hours,
// 3225 of them with data.
static void
check_alice_energy(const Enfed__V1__PeriodEnergy *a)
{
	assert_near(a->today_wh, 1000.0 / 68);
	assert_near(a->month_wh, 34600.0 / 68);
	assert_near(a->year_wh, 322500.0 / 68);
	assert_near(a->total_wh, 322500.0 / 68);
	assert_near(a->year_coverage, 3225.0 / 3227);
	assert_int_equal(a->total_from_ms, FEB_1);
}

static void
test_summary(void **state)
{
	(void) state;
	Enfed__V1__InvestorSummary *s = summary(fx.alice, "", FED_OK);
	assert_string_equal(s->investor, "alice");
	assert_string_equal(s->tz, "Europe/Paris");
	assert_int_equal(s->n_projects, 1);
	const Enfed__V1__ProjectSummary *ps = s->projects[0];
	assert_string_equal(ps->project->url, "https://example.org/kermelo");
	assert_string_equal(ps->project->location, "Lorient (56)");
	assert_int_equal(ps->shares, 2);
	assert_int_equal(ps->invested_cents, 50000);
	assert_near(ps->budget_fraction, 1.0 / 68);
	assert_near(ps->panel_m2, 90.0 / 68); // 18 kWc x 5 m2/kWc
	assert_true(ps->project->panel_m2_derived);
	assert_near(ps->portfolio_fraction, 1);
	assert_int_equal(ps->data_until_ms, AT - HOUR);
	check_production(ps->project_production);
	check_alice_energy(ps->attributed);
	check_alice_energy(s->attributed);
	assert_int_equal(s->invested_cents, 50000);
	double total = 322500.0 / 68;
	assert_near(s->households_days, total / (4500000.0 / 365));
	assert_near(s->co2_avoided_kg, total / 1000 * 52 / 1000);
	assert_near(ps->co2_avoided_kg, s->co2_avoided_kg);
	assert_near(s->factors->grid_g_co2_per_kwh, 52);
	// The household: 500 Wh an hour since 1 February, in whole days
	// until today's midnight: today is empty, June has 14 days, and
	// since 1 February 3215 hours (the spring-forward day has 23).
	assert_string_equal(s->consumption_series, "bmhs/house/energy");
	assert_string_equal(s->consumption_unavailable, "");
	assert_int_equal(s->consumption_until_ms, TODAY);
	assert_near(s->consumption->today_wh, 0);
	assert_near(s->consumption->today_coverage, 0);
	assert_near(s->consumption->month_wh, 168000);
	assert_near(s->consumption->month_coverage, 1);
	assert_near(s->consumption->year_wh, 1607500);
	assert_near(s->consumption->total_wh, 1607500);
	assert_near(s->consumption->total_coverage, 1);
	assert_int_equal(s->consumption->total_from_ms, FEB_1);
	assert_near(s->consumption_share->today, 0);
	assert_near(s->consumption_share->month, 34600.0 / 68 / 168000);
	assert_near(s->consumption_share->total, total / 1607500);
	enfed__v1__investor_summary__free_unpacked(s, NULL);
	// bob: 100/136 since 10 June: 5 days x 24 h + 12 h, 130 with data.
	s = summary(fx.admin, "bob", FED_OK);
	ps = s->projects[0];
	assert_int_equal(ps->invested_cents, 2500000);
	assert_near(ps->attributed->month_wh, 13000.0 * 100 / 136);
	assert_near(ps->attributed->total_wh, 13000.0 * 100 / 136);
	assert_near(ps->attributed->total_coverage, 130.0 / 132);
	assert_null(s->consumption);
	enfed__v1__investor_summary__free_unpacked(s, NULL);
}

static Enfed__V1__DetailResponse *
detail(fed_rpc_client *c, const char *investor, int64_t from, int64_t to,
    Enfed__V1__Step step)
{
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = from;
	r.to_ms = to;
	Enfed__V1__DetailRequest req = ENFED__V1__DETAIL_REQUEST__INIT;
	req.investor = (char *) investor;
	req.project_id = "kermelo-pv";
	req.range = &r;
	req.step = step;
	Enfed__V1__DetailResponse *d = NULL;
	char err[512] = "";
	fed_status st = icall(c, "Detail", &req, &d, err);
	if (st != FED_OK)
		fail_msg("Detail: %s", err);
	return d;
}

static void
test_detail(void **state)
{
	(void) state;
	// bob's share starts on 10 June: nothing attributed on the 9th.
	Enfed__V1__DetailResponse *d = detail(fx.admin, "bob", JUNE_9,
	    JUNE_10 + 24 * HOUR, ENFED__V1__STEP__STEP_DAY);
	assert_int_equal(d->production->n_value, 2);
	assert_int_equal(d->production->ts_ms[1], JUNE_10);
	assert_int_equal(d->bucket_end_ms[1], JUNE_10 + 24 * HOUR);
	assert_near(d->production->value[0], 2400);
	assert_near(d->production->coverage[0], 1);
	assert_near(d->budget_fraction, 100.0 / 136);
	assert_near(d->attributed->value[0], 0);
	assert_near(d->attributed->value[1], 2400.0 * 100 / 136);
	enfed__v1__detail_response__free_unpacked(d, NULL);
	// Hours of today for alice (her own, implicitly): the gap shows.
	d = detail(fx.alice, "", TODAY, AT, ENFED__V1__STEP__STEP_HOUR);
	assert_int_equal(d->production->n_value, 12);
	assert_near(d->production->coverage[1], 1);
	assert_near(d->production->coverage[2], 0);
	assert_near(d->production->coverage[3], 0);
	assert_near(d->attributed->value[0], 100.0 / 68);
	assert_near(d->attributed->value[2], 0);
	enfed__v1__detail_response__free_unpacked(d, NULL);
	// Months: all of May (744 hours); June until the instant, 346 of its
	// 720 hours with data.
	d = detail(
	    fx.alice, "alice", MAY_1, JULY_1, ENFED__V1__STEP__STEP_MONTH);
	assert_int_equal(d->production->n_value, 2);
	assert_int_equal(d->bucket_end_ms[0], MAY_1 + 31 * 24 * HOUR);
	assert_near(d->production->value[0], 74400);
	assert_near(d->production->coverage[0], 1);
	assert_near(d->production->value[1], 34600);
	assert_near(d->production->coverage[1], 346.0 / 720);
	assert_near(d->attributed->value[0], 74400.0 / 68);
	assert_near(d->attributed->value[1], 34600.0 / 68);
	assert_near(d->attributed->coverage[1], 346.0 / 720);
	enfed__v1__detail_response__free_unpacked(d, NULL);
	// Without an investor (the organisation): production only.
	d = detail(fx.bec, "", TODAY, AT, ENFED__V1__STEP__STEP_HOUR);
	assert_null(d->attributed);
	enfed__v1__detail_response__free_unpacked(d, NULL);
}

static Enfed__V1__ProjectDistribution *
distribution(fed_rpc_client *c)
{
	Enfed__V1__ProjectRequest req = ENFED__V1__PROJECT_REQUEST__INIT;
	req.id = "kermelo-pv";
	Enfed__V1__ProjectDistribution *d = NULL;
	char err[512];
	assert_int_equal(icall(c, "Distribution", &req, &d, err), FED_OK);
	assert_int_equal(d->total_shares, 136);
	assert_int_equal(d->shares_held, 102);
	assert_int_equal(d->shares_available, 34);
	assert_int_equal(d->n_holders, 2);
	assert_int_equal(d->holders[0]->shares, 100);
	assert_int_equal(d->holders[1]->invested_cents, 50000);
	return d;
}

static void
test_distribution(void **state)
{
	(void) state;
	// alice sees herself, not bob.
	Enfed__V1__ProjectDistribution *d = distribution(fx.alice);
	assert_string_equal(d->holders[0]->investor, "");
	assert_string_equal(d->holders[1]->investor, "alice");
	assert_near(d->holders[0]->budget_fraction, 100.0 / 136);
	enfed__v1__project_distribution__free_unpacked(d, NULL);
	// The project's organisation sees every holder.
	d = distribution(fx.bec);
	assert_string_equal(d->holders[0]->investor, "bob");
	assert_string_equal(d->holders[1]->investor, "alice");
	enfed__v1__project_distribution__free_unpacked(d, NULL);
}

static void
expect(fed_status got, fed_status want, const char *err, const char *needle)
{
	if (got != want || strstr(err, needle) == NULL)
		fail_msg("got %d '%s', expected %d with '%s'", got, err, want,
		    needle);
}

static void
test_bad_input(void **state)
{
	(void) state;
	char err[512] = "";
	Enfed__V1__ProjectRequest pr = ENFED__V1__PROJECT_REQUEST__INIT;
	pr.id = "nope";
	Enfed__V1__Project *p = NULL;
	expect(icall(fx.alice, "GetProject", &pr, &p, err), FED_NOT_FOUND, err,
	    "project 'nope'");
	Enfed__V1__InvestorSummary *s
	    = summary(fx.admin, "nobody", FED_NOT_FOUND);
	assert_null(s);
	expect(put_holding(fx.alice, "", "kermelo-pv", 0, FEB_1, err),
	    FED_INVALID_ARGUMENT, err, "shares: must be > 0");
	expect(put_holding(fx.alice, "", "kermelo-pv", 40, FEB_1, err),
	    FED_FAILED_PRECONDITION, err,
	    "40 asked of project 'kermelo-pv', but only 36 of its 136 shares "
	    "remain available (100 held by others)");
	expect(put_holding(fx.alice, "", "nope", 1, FEB_1, err), FED_NOT_FOUND,
	    err, "project 'nope'");
	Enfed__V1__Project q = kermelo();
	q.id = "other";
	q.share_price_cents = 30000;
	expect(put_project(fx.admin, "CreateProject", q, err),
	    FED_INVALID_ARGUMENT, err, "30000 does not divide cost_cents");
	q.share_price_cents = 25000;
	q.cost_cents = -3400000;
	expect(put_project(fx.admin, "CreateProject", q, err),
	    FED_INVALID_ARGUMENT, err, "cost_cents: must be > 0");
	q.cost_cents = 3400000;
	q.peak_kw = -18;
	expect(put_project(fx.admin, "CreateProject", q, err),
	    FED_INVALID_ARGUMENT, err, "peak_kw");
	q.peak_kw = 18;
	q.series_node = "elsewhere";
	expect(put_project(fx.admin, "CreateProject", q, err),
	    FED_INVALID_ARGUMENT, err, "'elsewhere' is not a node");
	// A household series without a grant, and one the grant does not
	// cover (the node does not have it): the message says neither which.
	expect(
	    invest_test_link(fx.alice, "", "bmhs/nope/energy", "", NULL, err),
	    FED_INVALID_ARGUMENT, err, "grant_token: missing");
	expect(invest_test_link(
	           fx.alice, "", "bmhs/nope/energy", "", fx.grant, err),
	    FED_PERMISSION_DENIED, err,
	    "grant_token: does not let fed-invest read series "
	    "'bmhs/nope/energy' on node 'lognact'");
	// Detail needs a bucket step and a range in order.
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = AT;
	r.to_ms = TODAY;
	Enfed__V1__DetailRequest dr = ENFED__V1__DETAIL_REQUEST__INIT;
	dr.project_id = "kermelo-pv";
	dr.range = &r;
	dr.step = ENFED__V1__STEP__STEP_DAY;
	Enfed__V1__DetailResponse *d = NULL;
	expect(icall(fx.alice, "Detail", &dr, &d, err), FED_INVALID_ARGUMENT,
	    err, "range: 0 <= from_ms < to_ms");
	r.from_ms = TODAY;
	r.to_ms = AT;
	dr.step = ENFED__V1__STEP__STEP_RAW;
	expect(icall(fx.alice, "Detail", &dr, &d, err), FED_INVALID_ARGUMENT,
	    err, "step: a bucket step");
	dr.step = ENFED__V1__STEP__STEP_DAY;
	dr.investor = "bob";
	expect(icall(fx.alice, "Detail", &dr, &d, err), FED_PERMISSION_DENIED,
	    err, "another investor");
	assert_null(d);
	// A zone that does not exist.
	Enfed__V1__SummaryRequest sr = ENFED__V1__SUMMARY_REQUEST__INIT;
	sr.tz = "Europe/Atlantis";
	expect(icall(fx.alice, "Summary", &sr, &s, err), FED_INVALID_ARGUMENT,
	    err, "tz: 'Europe/Atlantis'");
	// A project with other values under an existing id.
	q = kermelo();
	q.name = "Another";
	expect(put_project(fx.admin, "CreateProject", q, err),
	    FED_ALREADY_EXISTS, err, "kermelo-pv");
}

static void
test_permissions(void **state)
{
	(void) state;
	char err[512] = "";
	assert_null(summary(fx.alice, "bob", FED_PERMISSION_DENIED));
	Enfed__V1__ListInvestmentsRequest lr
	    = ENFED__V1__LIST_INVESTMENTS_REQUEST__INIT;
	lr.investor = "bob";
	Enfed__V1__ListInvestmentsResponse *l = NULL;
	expect(icall(fx.alice, "ListInvestments", &lr, &l, err),
	    FED_PERMISSION_DENIED, err, "another investor");
	expect(put_holding(fx.alice, "bob", "kermelo-pv", 1, FEB_1, err),
	    FED_PERMISSION_DENIED, err, "another investor");
	// alice's own list has her holding only.
	lr.investor = "";
	assert_int_equal(
	    icall(fx.alice, "ListInvestments", &lr, &l, err), FED_OK);
	assert_int_equal(l->n_investments, 1);
	assert_string_equal(l->investments[0]->investor, "alice");
	enfed__v1__list_investments_response__free_unpacked(l, NULL);
	// An organisation manages its own projects only, and investors none.
	Enfed__V1__Project q = kermelo();
	q.id = "enercoop-wind";
	q.organisation = "Enercoop";
	expect(put_project(fx.bec, "CreateProject", q, err),
	    FED_PERMISSION_DENIED, err, "own organisation");
	q = kermelo();
	q.organisation = "Enercoop";
	expect(put_project(fx.bec, "UpdateProject", q, err),
	    FED_PERMISSION_DENIED, err, "own organisation");
	expect(put_project(fx.alice, "UpdateProject", kermelo(), err),
	    FED_PERMISSION_DENIED, err, "");
}

static void
test_restart(void **state)
{
	(void) state;
	assert_int_equal(fed_test_proc_stop(fx.pid, SIGTERM, 10000), 0);
	start_invest();
	Enfed__V1__ListInvestmentsRequest lr
	    = ENFED__V1__LIST_INVESTMENTS_REQUEST__INIT;
	Enfed__V1__ListInvestmentsResponse *l = NULL;
	char err[512];
	assert_int_equal(
	    icall(fx.admin, "ListInvestments", &lr, &l, err), FED_OK);
	assert_int_equal(l->n_investments, 2);
	assert_int_equal(l->investments[0]->shares, 100);
	assert_int_equal(l->investments[1]->acquired_ms, FEB_1);
	enfed__v1__list_investments_response__free_unpacked(l, NULL);
}

static void
test_node_down(void **state)
{
	(void) state;
	assert_int_equal(fed_test_proc_stop(fx.node_pid, SIGTERM, 10000), 0);
	fx.node_pid = 0;
	Enfed__V1__SummaryRequest req = ENFED__V1__SUMMARY_REQUEST__INIT;
	req.at_ms = AT;
	Enfed__V1__InvestorSummary *s = NULL;
	char err[512] = "";
	// The project's card says why it has no figures; the summary, its
	// holdings and amounts are still served, its energy incomplete.
	expect(icall(fx.alice, "Summary", &req, &s, err), FED_OK, err, "");
	assert_true(s->n_projects >= 1);
	const Enfed__V1__ProjectSummary *ps = s->projects[0];
	assert_non_null(ps->unavailable);
	assert_non_null(strstr(ps->unavailable, "node 'lognact'"));
	assert_non_null(strstr(ps->unavailable, "cannot be computed now"));
	assert_true(ps->invested_cents > 0);
	assert_true(ps->attributed->total_wh == 0);
	enfed__v1__investor_summary__free_unpacked(s, NULL);
	// What needs no node still works.
	Enfed__V1__ProjectRequest pr = ENFED__V1__PROJECT_REQUEST__INIT;
	pr.id = "kermelo-pv";
	Enfed__V1__Project *p = NULL;
	assert_int_equal(icall(fx.alice, "GetProject", &pr, &p, err), FED_OK);
	enfed__v1__project__free_unpacked(p, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_enter),
	    cmocka_unit_test(test_summary),
	    cmocka_unit_test(test_detail),
	    cmocka_unit_test(test_distribution),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_permissions),
	    cmocka_unit_test(test_restart),
	    cmocka_unit_test(test_node_down),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
