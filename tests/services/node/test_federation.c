// SPDX-License-Identifier: MIT
//
// test_federation.c: two real fed-node processes, lognact (the building
// app: the school and its solar plant) and bmhs (the household app), on
// loopback, exchanging series under grants, as in both use cases:
// - the plant's production replicated lognact -> bmhs, with its box and
//   origin; the school's consumption, not granted, never leaves lognact;
// - the house's consumption replicated bmhs -> lognact;
// - the grantee killed (-9) while points wait, then the owner killed
//   right after an ingest: every point arrives, exactly once;
// - revocation stops the flow at once;
// - a replica token cannot write into the grantee's own series;
// - a grant of daily totals replicates one point per local day, updated
//   as the day fills, never the 5-minute curve.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "enfed/v1/directory.pb-c.h"
#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed/stream.h"
#include "fed/token.h"
#include "fed_test.h"

#define ADMIN_L "lognact-admin-token"
#define ADMIN_B "bmhs-admin-token"
#define REPL_LB "lognact-pushes-to-bmhs"
#define REPL_BL "bmhs-pushes-to-lognact"
#define ENROL   "federation-enrolment-token"
#define T0      INT64_C(1767222000000) // 2026-01-01T00:00:00+01:00
#define DAY     288

struct node {
	const char *name, *admin;
	char rpc[128], stream[128], tokens[512], peers[600], dir_opt[160];
	int pid;
	fed_rpc_client *cli;
};

static char *dir;

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
start(struct node *n)
{
	const char *extra[]
	    = {n->peers, n->dir_opt, "--enrolment-token=" ENROL,
	        "--organisation=Test org", "--lease=3s", NULL};
	n->pid = fed_test_node_start_ex(FED_NODE_BIN, n->name, dir, n->rpc,
	    n->stream, n->admin, n->tokens, extra);
	assert_true(n->pid > 0);
}

// Sets up a node whose peer `to` (the other node) accepts push_token.
static void
prepare(struct node *n, const char *name, const char *admin,
    const struct node *to, const char *push_token, const char *accept_from,
    const char *accept_token)
{
	n->name = name;
	n->admin = admin;
	if (n->rpc[0] == '\0')
		snprintf(n->rpc, sizeof(n->rpc), "tcp://127.0.0.1:%d",
		    fed_test_free_port());
	fed_test_ipc_url(n->stream, sizeof(n->stream), name);
	char path[512], line[600], hash[FED_TOKEN_HASH_LEN + 1];
	snprintf(n->tokens, sizeof(n->tokens), "%s/%s.tokens", dir, name);
	fed_token_hash(accept_token, hash);
	snprintf(line, sizeof(line), "%s replica %s\n", accept_from, hash);
	write_file(n->tokens, line);
	snprintf(path, sizeof(path), "%s/%s.peers", dir, name);
	snprintf(
	    line, sizeof(line), "%s %s %s\n", to->name, to->rpc, push_token);
	write_file(path, line);
	snprintf(n->peers, sizeof(n->peers), "--peers-file=%s", path);
}

static fed_rpc_client *
client(const char *url, const char *token)
{
	fed_rpc_client *c = fed_test_client(url, token);
	assert_non_null(c);
	return c;
}

static void
create(fed_rpc_client *c, const char *id, const char *fact)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	if (strstr(id, "/pv/") != NULL) // a citizen plant: public
		m.visibility = ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC;
	Enfed__V1__Fact f = ENFED__V1__FACT__INIT, *box[1] = {&f};
	f.key = "description";
	f.value = (char *) fact;
	m.box = box;
	m.n_box = 1;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(c, "CreateSeries", &req, &info), FED_OK);
	enfed__v1__series_info__free_unpacked(info, NULL);
}

// Points first .. first+n-1 (5 minutes apart from T0), value = index,
// stored (or with `replace`, replacing) through Ingest.
static fed_status
ingest_points(fed_rpc_client *c, const char *id, int first, int n, int replace)
{
	int64_t ts[DAY];
	double v[DAY];
	assert_true(n <= DAY);
	for (int i = 0; i < n; i++) {
		ts[i] = T0 + (int64_t) (first + i) * 300000;
		v[i] = first + i;
	}
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT,
	                        *l[1] = {&sp};
	sp.series_id = (char *) id;
	sp.ts_ms = ts;
	sp.value = v;
	sp.n_ts_ms = sp.n_value = (size_t) n;
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = l;
	req.n_series = 1;
	req.replace = replace;
	Enfed__V1__IngestResponse *rep = NULL;
	fed_status st = fed_test_store_call(c, "Ingest", &req, &rep);
	if (rep != NULL)
		enfed__v1__ingest_response__free_unpacked(rep, NULL);
	return st;
}

// Points day*288 .. day*288+287, value = index.
static fed_status
ingest_day(fed_rpc_client *c, const char *id, int day)
{
	return ingest_points(c, id, day * DAY, DAY, 0);
}

// Points of `id` held by the node behind c (0 if it has no such series),
// with their checks: timestamps distinct and values = index.
static uint64_t
count(fed_rpc_client *c, const char *id)
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

static void
wait_count(fed_rpc_client *c, const char *id, uint64_t want)
{
	uint64_t n = 0;
	for (int i = 0; i < 300 && (n = count(c, id)) < want; i++)
		fed_test_sleep_ms(50);
	assert_int_equal(n, want);
}

// Every point of days [0, days) exactly once, with its value.
static void
check_exact(fed_rpc_client *c, const char *id, int days)
{
	assert_true(fed_test_exact_points(c, id, T0, 300000,
	    (size_t) days * DAY, T0 + (int64_t) days * DAY * 300000));
}

// Creates a grant of both scopes at `step`: its token (the caller frees
// it) and id, or NULL with *st set when the owner refuses.
static char *
grant_step(fed_rpc_client *owner, const char *series, const char *grantee,
    Enfed__V1__Step step, char *id, size_t id_len, fed_status *st)
{
	Enfed__V1__Scope sc[2]
	    = {ENFED__V1__SCOPE__SCOPE_QUERY, ENFED__V1__SCOPE__SCOPE_LIVE};
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.series = (char *) series;
	g.grantee_node = (char *) grantee;
	g.scopes = sc;
	g.n_scopes = 2;
	g.finest_step = step;
	Enfed__V1__CreateGrantRequest req
	    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
	req.grant = &g;
	Enfed__V1__CreateGrantResponse *rep = NULL;
	char err[256];
	*st = fed_rpc_call(owner, &enfed__v1__grants__descriptor, "Create",
	    &req.base, (ProtobufCMessage **) &rep, err, sizeof(err));
	if (*st != FED_OK)
		return NULL;
	snprintf(id, id_len, "%s", rep->grant->id);
	char *tok = strdup(rep->token);
	enfed__v1__create_grant_response__free_unpacked(rep, NULL);
	return tok;
}

static char *
grant_live(fed_rpc_client *owner, const char *series, const char *grantee,
    char *id, size_t id_len)
{
	Enfed__V1__Scope sc[2]
	    = {ENFED__V1__SCOPE__SCOPE_QUERY, ENFED__V1__SCOPE__SCOPE_LIVE};
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.series = (char *) series;
	g.grantee_node = (char *) grantee;
	g.scopes = sc;
	g.n_scopes = 2;
	Enfed__V1__CreateGrantRequest req
	    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
	req.grant = &g;
	Enfed__V1__CreateGrantResponse *rep = NULL;
	char err[256];
	assert_int_equal(
	    fed_rpc_call(owner, &enfed__v1__grants__descriptor, "Create",
	        &req.base, (ProtobufCMessage **) &rep, err, sizeof(err)),
	    FED_OK);
	snprintf(id, id_len, "%s", rep->grant->id);
	char *tok = strdup(rep->token);
	enfed__v1__create_grant_response__free_unpacked(rep, NULL);
	return tok;
}

// Nodes of the directory at url offering `series` (a prefix or an id).
static size_t
lookup(const char *url, const char *series, char *first, size_t len)
{
	fed_rpc_client *c = client(url, ENROL);
	Enfed__V1__LookupRequest req = ENFED__V1__LOOKUP_REQUEST__INIT;
	req.series = (char *) series;
	Enfed__V1__LookupResponse *rep = NULL;
	char err[256];
	size_t n = 0;
	if (fed_rpc_call(c, &enfed__v1__directory__descriptor, "Lookup",
	        &req.base, (ProtobufCMessage **) &rep, err, sizeof(err))
	    == FED_OK) {
		n = rep->n_nodes;
		if (n > 0)
			snprintf(first, len, "%s", rep->nodes[0]->name);
		enfed__v1__lookup_response__free_unpacked(rep, NULL);
	}
	fed_rpc_client_free(c);
	return n;
}

static void
test_two_organisations(void **state)
{
	(void) state;
	dir = fed_test_tmpdir("federation");
	// The directory first: both nodes register with it.
	char durl[128], dstream[128], db[600], dlog[600], dopt[160];
	fed_test_ipc_url(durl, sizeof(durl), "dir");
	fed_test_ipc_url(dstream, sizeof(dstream), "dirstream");
	snprintf(db, sizeof(db), "--db=%s/directory.db", dir);
	snprintf(dlog, sizeof(dlog), "%s/directory.log", dir);
	char lo[160], so[160];
	snprintf(lo, sizeof(lo), "--listen=%s", durl);
	snprintf(so, sizeof(so), "--stream=%s", dstream);
	char *dargv[] = {
	    FED_DIRECTORY_BIN, lo, so, db, "--enrolment-token=" ENROL, NULL};
	int dpid = fed_test_proc_start(dargv, dlog);
	assert_true(dpid > 0);
	assert_int_equal(fed_test_wait_health(durl, 10000), FED_OK);
	snprintf(dopt, sizeof(dopt), "--directory=%s", durl);
	struct node l = {0}, b = {0};
	// Ports first: each node's peers file names the other's address.
	l.name = "lognact";
	b.name = "bmhs";
	snprintf(
	    l.rpc, sizeof(l.rpc), "tcp://127.0.0.1:%d", fed_test_free_port());
	prepare(&b, "bmhs", ADMIN_B, &l, REPL_BL, "lognact", REPL_LB);
	prepare(&l, "lognact", ADMIN_L, &b, REPL_LB, "bmhs", REPL_BL);
	snprintf(l.dir_opt, sizeof(l.dir_opt), "%s", dopt);
	snprintf(b.dir_opt, sizeof(b.dir_opt), "%s", dopt);
	start(&l);
	start(&b);
	l.cli = client(l.rpc, ADMIN_L);
	b.cli = client(b.rpc, ADMIN_B);

	// Use case 1: the plant's production, backlog then live.
	create(l.cli, "kermelo/pv/energy", "60 x Enphase M250, 16.2 kWc");
	create(l.cli, "kermelo/school/energy", "primary school");
	assert_int_equal(ingest_day(l.cli, "kermelo/pv/energy", 0), FED_OK);
	assert_int_equal(
	    ingest_day(l.cli, "kermelo/school/energy", 0), FED_OK);
	char gid[64];
	char *gtok
	    = grant_live(l.cli, "kermelo/pv/", "bmhs", gid, sizeof(gid));
	wait_count(b.cli, "kermelo/pv/energy", DAY);
	assert_int_equal(ingest_day(l.cli, "kermelo/pv/energy", 1), FED_OK);
	wait_count(b.cli, "kermelo/pv/energy", 2 * DAY);
	Enfed__V1__GetSeriesRequest g = ENFED__V1__GET_SERIES_REQUEST__INIT;
	g.id = "kermelo/pv/energy";
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(b.cli, "GetSeries", &g, &info), FED_OK);
	assert_string_equal(info->meta->origin_node, "lognact");
	assert_int_equal(info->meta->n_box, 1);
	assert_string_equal(
	    info->meta->box[0]->value, "60 x Enphase M250, 16.2 kWc");
	enfed__v1__series_info__free_unpacked(info, NULL);
	assert_int_equal(count(b.cli, "kermelo/school/energy"), 0);
	// The directory knows who offers the public plant: lognact, which
	// re-registers within a few heartbeats of its lease to list it.
	char who[80] = "";
	size_t found = 0;
	for (int i = 0; i < 200 && found == 0; i++) {
		found = lookup(durl, "kermelo/", who, sizeof(who));
		if (found == 0)
			fed_test_sleep_ms(100);
	}
	assert_int_equal(found, 1);
	assert_string_equal(who, "lognact");

	// Any node of the federation reads the public plant without a grant,
	// with its own directory token, and nothing private.
	char path[700], mtok[128] = "";
	snprintf(path, sizeof(path), "%s/data-bmhs/directory.token", dir);
	FILE *tf = fopen(path, "r");
	assert_non_null(tf);
	assert_non_null(fgets(mtok, sizeof(mtok), tf));
	fclose(tf);
	fed_rpc_client *member = client(l.rpc, mtok);
	assert_int_equal(count(member, "kermelo/pv/energy"), 2 * DAY);
	Enfed__V1__GetSeriesRequest priv = ENFED__V1__GET_SERIES_REQUEST__INIT;
	priv.id = "kermelo/school/energy";
	Enfed__V1__SeriesInfo *pinfo = NULL;
	assert_int_equal(
	    fed_test_store_call(member, "GetSeries", &priv, &pinfo),
	    FED_PERMISSION_DENIED);
	Enfed__V1__ListSeriesRequest lr = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	Enfed__V1__ListSeriesResponse *ls = NULL;
	assert_int_equal(
	    fed_test_store_call(member, "ListSeries", &lr, &ls), FED_OK);
	assert_int_equal(ls->n_series, 1);
	assert_string_equal(ls->series[0]->meta->id, "kermelo/pv/energy");
	enfed__v1__list_series_response__free_unpacked(ls, NULL);
	assert_int_equal(
	    ingest_day(member, "kermelo/pv/energy", 7), FED_PERMISSION_DENIED);
	fed_rpc_client_free(member);
	fed_rpc_client *stranger = client(l.rpc, "not-a-member-token");
	assert_int_equal(fed_test_store_call(stranger, "ListSeries", &lr, &ls),
	    FED_UNAUTHENTICATED);
	fed_rpc_client_free(stranger);

	// Use case 2: the house's consumption, the other way.
	create(b.cli, "maison/linky/energy", "4-person house");
	assert_int_equal(ingest_day(b.cli, "maison/linky/energy", 0), FED_OK);
	char gid2[64];
	char *gtok2
	    = grant_live(b.cli, "maison/", "lognact", gid2, sizeof(gid2));
	wait_count(l.cli, "maison/linky/energy", DAY);

	// A replica token writes only what it replicates.
	fed_rpc_client *intruder = client(b.rpc, REPL_LB);
	assert_int_equal(ingest_day(intruder, "maison/linky/energy", 5),
	    FED_PERMISSION_DENIED);
	fed_rpc_client_free(intruder);

	// The grantee dies while points wait; they arrive once it is back.
	assert_int_equal(
	    fed_test_proc_stop(b.pid, SIGKILL, 5000), 128 + SIGKILL);
	assert_int_equal(ingest_day(l.cli, "kermelo/pv/energy", 2), FED_OK);
	fed_test_sleep_ms(300);
	start(&b);
	wait_count(b.cli, "kermelo/pv/energy", 3 * DAY);
	// The owner dies right after acknowledging an ingest.
	assert_int_equal(ingest_day(l.cli, "kermelo/pv/energy", 3), FED_OK);
	assert_int_equal(
	    fed_test_proc_stop(l.pid, SIGKILL, 5000), 128 + SIGKILL);
	start(&l);
	wait_count(b.cli, "kermelo/pv/energy", 4 * DAY);
	check_exact(b.cli, "kermelo/pv/energy", 4);
	check_exact(l.cli, "maison/linky/energy", 1);

	// Revocation stops the flow at once.
	Enfed__V1__RevokeGrantRequest rv
	    = ENFED__V1__REVOKE_GRANT_REQUEST__INIT;
	rv.id = gid;
	Enfed__V1__Grant *gr = NULL;
	char err[256];
	assert_int_equal(
	    fed_rpc_call(l.cli, &enfed__v1__grants__descriptor, "Revoke",
	        &rv.base, (ProtobufCMessage **) &gr, err, sizeof(err)),
	    FED_OK);
	enfed__v1__grant__free_unpacked(gr, NULL);
	assert_int_equal(ingest_day(l.cli, "kermelo/pv/energy", 4), FED_OK);
	fed_test_sleep_ms(1000); // several replication rounds
	assert_int_equal(count(b.cli, "kermelo/pv/energy"), 4 * DAY);

	fed_rpc_client_free(l.cli);
	fed_rpc_client_free(b.cli);
	assert_int_equal(fed_test_proc_stop(l.pid, SIGTERM, 10000), 0);
	assert_int_equal(fed_test_proc_stop(b.pid, SIGTERM, 10000), 0);
	assert_int_equal(fed_test_proc_stop(dpid, SIGTERM, 10000), 0);
	free(gtok);
	free(gtok2);
	fed_test_rmtree(dir);
	free(dir);
}

// The day buckets of `id` over [T0, T0 + days) as the node behind c
// answers them; *n gets their count.
static Enfed__V1__QueryResponse *
query_days(fed_rpc_client *c, const char *id, int days, Enfed__V1__Step step)
{
	Enfed__V1__QueryResponse *res = NULL;
	assert_int_equal(
	    fed_test_query(c, id, T0, T0 + (int64_t) days * DAY * 300000, step,
	        NULL, &res, NULL, 0),
	    FED_OK);
	return res;
}

// The grantee holds exactly one point per day the owner has data for, at
// the day's start, with the owner's daily total: nothing finer.
static int
same_days(
    fed_rpc_client *owner, fed_rpc_client *grantee, const char *id, int days)
{
	Enfed__V1__QueryResponse *o
	    = query_days(owner, id, days, ENFED__V1__STEP__STEP_DAY);
	Enfed__V1__QueryResponse *g
	    = query_days(grantee, id, days, ENFED__V1__STEP__STEP_RAW);
	const Enfed__V1__SeriesResult *os = o->results[0], *gs = g->results[0];
	size_t k = 0;
	int same = 1;
	for (size_t i = 0; same && i < os->n_ts_ms; i++) {
		if (os->n_points[i] == 0 && os->coverage[i] == 0)
			continue;
		same = k < gs->n_ts_ms && gs->ts_ms[k] == os->ts_ms[i]
		    && gs->value[k] == os->value[i];
		k++;
	}
	same = same && k == gs->n_ts_ms;
	enfed__v1__query_response__free_unpacked(o, NULL);
	enfed__v1__query_response__free_unpacked(g, NULL);
	return same;
}

static void
wait_same_days(
    fed_rpc_client *owner, fed_rpc_client *grantee, const char *id, int days)
{
	int same = 0;
	for (int i = 0;
	     i < 300 && !(same = same_days(owner, grantee, id, days)); i++)
		fed_test_sleep_ms(50);
	assert_true(same);
}

// One point of series id at ts_ms, value v.
static fed_status
ingest_at(fed_rpc_client *c, const char *id, int64_t ts_ms, double v)
{
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT,
	                        *l[1] = {&sp};
	sp.series_id = (char *) id;
	sp.ts_ms = &ts_ms;
	sp.value = &v;
	sp.n_ts_ms = sp.n_value = 1;
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = l;
	req.n_series = 1;
	Enfed__V1__IngestResponse *rep = NULL;
	fed_status st = fed_test_store_call(c, "Ingest", &req, &rep);
	if (rep != NULL)
		enfed__v1__ingest_response__free_unpacked(rep, NULL);
	return st;
}

// Under a daily grant, today's total does not leave while today fills
// (sent as it grows, it would draw the 5-minute curve): a point of today
// is held, one of a past day after it arrives.
static void
held_until_whole(fed_rpc_client *owner, fed_rpc_client *grantee)
{
	const char *id = "maison/linky/energy";
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	Enfed__V1__CreateSeriesRequest cr
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	cr.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(owner, "CreateSeries", &cr, &info), FED_OK);
	enfed__v1__series_info__free_unpacked(info, NULL);
	assert_int_equal(ingest_at(owner, id, T0, 5), FED_OK);
	wait_count(grantee, id, 1);
	int64_t now = fed_test_now_ms();
	assert_int_equal(ingest_at(owner, id, now - 60000, 7), FED_OK);
	assert_int_equal(ingest_at(owner, id, T0 + 86400000, 9), FED_OK);
	wait_count(grantee, id, 2);
	Enfed__V1__QueryResponse *res = NULL;
	assert_int_equal(
	    fed_test_query(grantee, id, now - 2 * 86400000, now + 86400000,
	        ENFED__V1__STEP__STEP_RAW, NULL, &res, NULL, 0),
	    FED_OK);
	assert_int_equal(res->results[0]->n_ts_ms, 0);
	enfed__v1__query_response__free_unpacked(res, NULL);
}

// A household shares its meter's daily totals only: the grantee receives
// one point per local day, updated as the day's points arrive, never the
// 5-minute curve, and a day only once it ended; a raw grant to the same
// grantee for the same series is refused; replace is for the admin and replica
// roles.
static void
test_daily_grant(void **state)
{
	(void) state;
	dir = fed_test_tmpdir("feddaily");
	struct node l = {0}, b = {0};
	l.name = "lognact";
	b.name = "bmhs";
	snprintf(
	    l.rpc, sizeof(l.rpc), "tcp://127.0.0.1:%d", fed_test_free_port());
	prepare(&b, "bmhs", ADMIN_B, &l, REPL_BL, "lognact", REPL_LB);
	prepare(&l, "lognact", ADMIN_L, &b, REPL_LB, "bmhs", REPL_BL);
	char hash[FED_TOKEN_HASH_LEN + 1], line[200];
	fed_token_hash("bmhs-collector-token", hash);
	snprintf(line, sizeof(line), "collector writer %s\n", hash);
	FILE *f = fopen(b.tokens, "a");
	assert_non_null(f);
	fputs(line, f);
	fclose(f);
	const char *xl[] = {l.peers, NULL}, *xb[] = {b.peers, NULL};
	l.pid = fed_test_node_start_ex(FED_NODE_BIN, "lognact", dir, l.rpc,
	    l.stream, ADMIN_L, l.tokens, xl);
	b.pid = fed_test_node_start_ex(
	    FED_NODE_BIN, "bmhs", dir, b.rpc, b.stream, ADMIN_B, b.tokens, xb);
	assert_true(l.pid > 0 && b.pid > 0);
	l.cli = client(l.rpc, ADMIN_L);
	b.cli = client(b.rpc, ADMIN_B);

	// The house's Linky index (Wh), two days of history.
	const char *id = "maison/linky/index";
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_INDEX;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	m.cumulative = 1;
	Enfed__V1__CreateSeriesRequest cr
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	cr.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(b.cli, "CreateSeries", &cr, &info), FED_OK);
	enfed__v1__series_info__free_unpacked(info, NULL);
	assert_int_equal(ingest_day(b.cli, id, 0), FED_OK);
	assert_int_equal(ingest_day(b.cli, id, 1), FED_OK);

	char gid[64], gid2[64];
	fed_status st = FED_OK;
	char *tok = grant_step(b.cli, "maison/", "lognact",
	    ENFED__V1__STEP__STEP_DAY, gid, sizeof(gid), &st);
	assert_int_equal(st, FED_OK);
	wait_count(l.cli, id, 2);
	wait_same_days(b.cli, l.cli, id, 3);
	Enfed__V1__GetSeriesRequest g = ENFED__V1__GET_SERIES_REQUEST__INIT;
	g.id = (char *) id;
	assert_int_equal(
	    fed_test_store_call(l.cli, "GetSeries", &g, &info), FED_OK);
	assert_string_equal(info->meta->origin_node, "bmhs");
	assert_int_equal(info->meta->interval_s, 86400);
	assert_false(info->meta->cumulative);
	assert_int_equal(info->meta->n_box, 1);
	assert_string_equal(info->meta->box[0]->key, "resolution");
	assert_non_null(strstr(info->meta->box[0]->value, "day totals"));
	enfed__v1__series_info__free_unpacked(info, NULL);

	// Live: half of day 2, then the rest; the grantee's day 2 grows.
	assert_int_equal(
	    ingest_points(b.cli, id, 2 * DAY, DAY / 2, 0), FED_OK);
	wait_count(l.cli, id, 3);
	wait_same_days(b.cli, l.cli, id, 3);
	assert_int_equal(
	    ingest_points(b.cli, id, 2 * DAY + DAY / 2, DAY / 2, 0), FED_OK);
	wait_same_days(b.cli, l.cli, id, 3);
	assert_int_equal(count(l.cli, id), 3);

	held_until_whole(b.cli, l.cli);

	// One step per (series, grantee): no raw grant beside the daily one.
	char *raw = grant_step(b.cli, "maison/linky/", "lognact",
	    ENFED__V1__STEP__STEP_RAW, gid2, sizeof(gid2), &st);
	assert_null(raw);
	assert_int_equal(st, FED_FAILED_PRECONDITION);
	// replace: not for a collector's writer token.
	fed_rpc_client *w = client(b.rpc, "bmhs-collector-token");
	assert_int_equal(ingest_points(w, id, 0, 4, 1), FED_PERMISSION_DENIED);
	assert_int_equal(ingest_points(w, id, 3 * DAY, 4, 0), FED_OK);
	fed_rpc_client_free(w);
	// The grantee's own copy refuses the raw curve finer than a day to
	// the grant token, too: a query at the hour is denied.
	fed_rpc_client *gt = client(b.rpc, tok);
	Enfed__V1__QueryResponse *res = NULL;
	assert_int_equal(
	    fed_test_query(gt, id, T0, T0 + (int64_t) DAY * 300000,
	        ENFED__V1__STEP__STEP_HOUR, NULL, &res, NULL, 0),
	    FED_PERMISSION_DENIED);
	fed_rpc_client_free(gt);

	fed_rpc_client_free(l.cli);
	fed_rpc_client_free(b.cli);
	assert_int_equal(fed_test_proc_stop(l.pid, SIGTERM, 10000), 0);
	assert_int_equal(fed_test_proc_stop(b.pid, SIGTERM, 10000), 0);
	free(tok);
	fed_test_rmtree(dir);
	free(dir);
}

static int
pki(const char *a0, const char *a1, const char *a2, const char *a3,
    const char *a4)
{
	char tool[512];
	snprintf(tool, sizeof(tool), "%s/cli/fed-pki/fed-pki",
	    getenv("FED_SOURCE_DIR"));
	char *argv[] = {tool, (char *) a0, (char *) a1, (char *) a2,
	    (char *) a3, (char *) a4, NULL};
	return fed_test_spawn(argv, 0);
}

// The same exchange between organisations over tls+tcp://, certificates
// from the federation CA (fed-pki); a peer with another CA's certificate
// cannot even connect.
static void
test_over_tls(void **state)
{
	(void) state;
	dir = fed_test_tmpdir("fedtls");
	char ca[600], ca2[600];
	snprintf(ca, sizeof(ca), "%s/ca", dir);
	snprintf(ca2, sizeof(ca2), "%s/other-ca", dir);
	assert_int_equal(pki("ca", ca, NULL, NULL, NULL), 0);
	assert_int_equal(pki("node", ca, "lognact", "--dns", "127.0.0.1"), 0);
	assert_int_equal(pki("node", ca, "bmhs", "--dns", "127.0.0.1"), 0);
	assert_int_equal(pki("ca", ca2, NULL, NULL, NULL), 0);
	assert_int_equal(pki("node", ca2, "rogue", "--dns", "127.0.0.1"), 0);
	struct node l = {0}, b = {0};
	l.name = "lognact";
	b.name = "bmhs";
	snprintf(l.rpc, sizeof(l.rpc), "tls+tcp://127.0.0.1:%d",
	    fed_test_free_port());
	snprintf(b.rpc, sizeof(b.rpc), "tls+tcp://127.0.0.1:%d",
	    fed_test_free_port());
	prepare(&b, "bmhs", ADMIN_B, &l, REPL_BL, "lognact", REPL_LB);
	prepare(&l, "lognact", ADMIN_L, &b, REPL_LB, "bmhs", REPL_BL);
	char tl[3][700], tb[3][700];
	snprintf(tl[0], sizeof(tl[0]), "--tls-cert=%s/lognact.crt", ca);
	snprintf(tl[1], sizeof(tl[1]), "--tls-key=%s/lognact.key", ca);
	snprintf(tl[2], sizeof(tl[2]), "--tls-ca=%s/ca.crt", ca);
	snprintf(tb[0], sizeof(tb[0]), "--tls-cert=%s/bmhs.crt", ca);
	snprintf(tb[1], sizeof(tb[1]), "--tls-key=%s/bmhs.key", ca);
	snprintf(tb[2], sizeof(tb[2]), "--tls-ca=%s/ca.crt", ca);
	// Each node also listens on ipc:// for this test's own calls.
	char ll[300], lb[300], ipl[128], ipb[128];
	fed_test_ipc_url(ipl, sizeof(ipl), "lognact-local");
	fed_test_ipc_url(ipb, sizeof(ipb), "bmhs-local");
	snprintf(ll, sizeof(ll), "--listen=%s,%s", l.rpc, ipl);
	snprintf(lb, sizeof(lb), "--listen=%s,%s", b.rpc, ipb);
	const char *xl[] = {l.peers, tl[0], tl[1], tl[2], ll, NULL};
	const char *xb[] = {b.peers, tb[0], tb[1], tb[2], lb, NULL};
	l.pid = fed_test_node_start_ex(FED_NODE_BIN, "lognact", dir, ipl,
	    l.stream, ADMIN_L, l.tokens, xl);
	b.pid = fed_test_node_start_ex(
	    FED_NODE_BIN, "bmhs", dir, ipb, b.stream, ADMIN_B, b.tokens, xb);
	assert_true(l.pid > 0 && b.pid > 0);
	l.cli = client(ipl, ADMIN_L);
	b.cli = client(ipb, ADMIN_B);
	create(l.cli, "kermelo/pv/energy", "60 x Enphase M250");
	assert_int_equal(ingest_day(l.cli, "kermelo/pv/energy", 0), FED_OK);
	char gid[64];
	char *gtok
	    = grant_live(l.cli, "kermelo/pv/", "bmhs", gid, sizeof(gid));
	wait_count(b.cli, "kermelo/pv/energy", DAY);
	check_exact(b.cli, "kermelo/pv/energy", 1);
	// A grant token works over TLS for a federation member...
	char crt[700], key[700], cafile[700];
	snprintf(crt, sizeof(crt), "%s/bmhs.crt", ca);
	snprintf(key, sizeof(key), "%s/bmhs.key", ca);
	snprintf(cafile, sizeof(cafile), "%s/ca.crt", ca);
	fed_tls_opts member = {crt, key, cafile, NULL};
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = l.rpc;
	o.tls = &member;
	o.token = gtok;
	o.timeout_ms = 3000;
	fed_rpc_client *c = NULL;
	assert_int_equal(fed_rpc_client_new(&o, &c), FED_OK);
	assert_int_equal(count(c, "kermelo/pv/energy"), DAY);
	fed_rpc_client_free(c);
	// ...and not for a peer whose certificate another CA signed.
	snprintf(crt, sizeof(crt), "%s/rogue.crt", ca2);
	snprintf(key, sizeof(key), "%s/rogue.key", ca2);
	fed_tls_opts rogue = {crt, key, cafile, NULL};
	o.tls = &rogue;
	o.timeout_ms = 1500;
	assert_int_equal(fed_rpc_client_new(&o, &c), FED_OK);
	Enfed__V1__GetSeriesRequest g = ENFED__V1__GET_SERIES_REQUEST__INIT;
	g.id = "kermelo/pv/energy";
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(c, "GetSeries", &g, &info), FED_UNAVAILABLE);
	fed_rpc_client_free(c);
	fed_rpc_client_free(l.cli);
	fed_rpc_client_free(b.cli);
	assert_int_equal(fed_test_proc_stop(l.pid, SIGTERM, 10000), 0);
	assert_int_equal(fed_test_proc_stop(b.pid, SIGTERM, 10000), 0);
	free(gtok);
	fed_test_rmtree(dir);
	free(dir);
}

// 1 when fed-node with opts refuses to start within 2 s, saying why
// (`reason` in what it logged); else it is stopped and 0 returned.
static int
start_refused(const char *const *opts, const char *reason)
{
	char *argv[16] = {FED_NODE_BIN}, log[700];
	int n = 1;
	for (; opts[n - 1] != NULL && n < 15; n++)
		argv[n] = (char *) opts[n - 1];
	snprintf(log, sizeof(log), "%s/refused.log", dir);
	remove(log);
	int pid = fed_test_proc_start(argv, log);
	int64_t until = fed_test_now_ms() + 2000;
	int status = -1;
	while (fed_test_now_ms() < until && status < 0) {
		int ws = 0;
		if (waitpid(pid, &ws, WNOHANG) == pid)
			status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128;
		else
			fed_test_sleep_ms(50);
	}
	if (status < 0) {
		fed_test_proc_stop(pid, SIGTERM, 5000);
		return 0;
	}
	char text[4096] = "";
	FILE *f = fopen(log, "r");
	if (f != NULL) {
		text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
		fclose(f);
	}
	return status != 0 && strstr(text, reason) != NULL;
}

struct seen {
	size_t points;
};

static void
on_points(const fed_stream_event *ev, void *arg)
{
	struct seen *s = arg;
	if (ev->kind == FED_STREAM_POINTS)
		s->points += ev->n;
}

// Points a subscriber with certificate NAME (signed by ca) receives from
// url within timeout_ms, while points are ingested through cli.
static size_t
received(const char *url, const char *ca, const char *name,
    const char *server_ca, fed_rpc_client *cli, int timeout_ms)
{
	char crt[700], key[700], cafile[700];
	snprintf(crt, sizeof(crt), "%s/%s.crt", ca, name);
	snprintf(key, sizeof(key), "%s/%s.key", ca, name);
	snprintf(cafile, sizeof(cafile), "%s/ca.crt", server_ca);
	fed_tls_opts tls = {crt, key, cafile, NULL};
	fed_stream_sub_opts so = {.url = url, .tls = &tls};
	fed_stream_sub *sub = NULL;
	assert_int_equal(fed_stream_sub_new(&so, &sub), FED_OK);
	assert_int_equal(fed_stream_sub_subscribe(sub, ""), FED_OK);
	struct seen seen = {0};
	int64_t until = fed_test_now_ms() + timeout_ms;
	for (int day = 10; seen.points == 0 && fed_test_now_ms() < until;
	     day++) {
		assert_int_equal(
		    ingest_day(cli, "maison/linky/energy", day), FED_OK);
		fed_stream_sub_recv(sub, 200, on_points, &seen);
	}
	fed_stream_sub_free(sub);
	return seen.points;
}

// Case 6 of issue 15: the private stream carries every series, so on
// tls+tcp:// it admits only the organisation's own CA's certificates;
// fed-node refuses to start without one, or with the federation's CA as
// that CA; a federation member's certificate then receives nothing.
static void
test_private_stream_tls(void **state)
{
	(void) state;
	dir = fed_test_tmpdir("streamtls");
	char fed[600], org[600], copy[700];
	snprintf(fed, sizeof(fed), "%s/federation-ca", dir);
	snprintf(org, sizeof(org), "%s/org-ca", dir);
	assert_int_equal(pki("ca", fed, NULL, NULL, NULL), 0);
	assert_int_equal(pki("node", fed, "lognact", "--dns", "127.0.0.1"), 0);
	assert_int_equal(pki("node", fed, "bmhs", "--dns", "127.0.0.1"), 0);
	assert_int_equal(pki("ca", org, NULL, NULL, NULL), 0);
	assert_int_equal(pki("node", org, "fed-web", "--dns", "127.0.0.1"), 0);
	snprintf(copy, sizeof(copy), "%s/ca-copy.crt", dir);
	char cafile[700], buf[8192];
	snprintf(cafile, sizeof(cafile), "%s/ca.crt", fed);
	FILE *in = fopen(cafile, "rb"), *out = fopen(copy, "wb");
	assert_true(in != NULL && out != NULL);
	fwrite(buf, 1, fread(buf, 1, sizeof(buf), in), out);
	fclose(in);
	fclose(out);
	char stream[128], rpc[128], o[8][720];
	snprintf(stream, sizeof(stream), "tls+tcp://127.0.0.1:%d",
	    fed_test_free_port());
	fed_test_ipc_url(rpc, sizeof(rpc), "streamtls");
	snprintf(o[0], sizeof(o[0]), "--data-dir=%s/data", dir);
	snprintf(o[1], sizeof(o[1]), "--listen=%s", rpc);
	snprintf(o[2], sizeof(o[2]), "--stream=%s", stream);
	snprintf(o[3], sizeof(o[3]), "--admin-token=%s", ADMIN_L);
	snprintf(o[4], sizeof(o[4]), "--tls-cert=%s/lognact.crt", fed);
	snprintf(o[5], sizeof(o[5]), "--tls-key=%s/lognact.key", fed);
	snprintf(o[6], sizeof(o[6]), "--tls-ca=%s", cafile);
	const char *base[] = {"--name=lognact", o[0], o[1], o[2], o[3], o[4],
	    o[5], o[6], NULL, NULL};
	assert_true(start_refused(base, "needs --stream-tls-ca"));
	snprintf(o[7], sizeof(o[7]), "--stream-tls-ca=%s", copy);
	base[8] = o[7];
	assert_true(start_refused(base, "is the federation's --tls-ca"));
	snprintf(o[7], sizeof(o[7]), "--stream-tls-ca=%s/ca.crt", org);
	const char *extra[] = {o[4], o[5], o[6], o[7], NULL};
	int pid = fed_test_node_start_ex(
	    FED_NODE_BIN, "lognact", dir, rpc, stream, ADMIN_L, NULL, extra);
	assert_true(pid > 0);
	fed_rpc_client *cli = client(rpc, ADMIN_L);
	create(cli, "maison/linky/energy", "Linky");
	// A federation member's certificate: nothing, however long it waits.
	assert_int_equal(received(stream, fed, "bmhs", fed, cli, 2000), 0);
	// The organisation's own program: the points.
	assert_true(received(stream, org, "fed-web", fed, cli, 5000) > 0);
	fed_rpc_client_free(cli);
	assert_int_equal(fed_test_proc_stop(pid, SIGTERM, 10000), 0);
	fed_test_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_two_organisations),
	    cmocka_unit_test(test_over_tls),
	    cmocka_unit_test(test_daily_grant),
	    cmocka_unit_test(test_private_stream_tls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
