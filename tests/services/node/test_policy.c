// SPDX-License-Identifier: MIT
//
// test_policy.c: the authorization matrix of fed-node. Every method of
// every service the node serves, as node_server.c assembles it, is called
// by every kind of principal on targets inside and outside its reach
// (prefix, data range, step, mixed lists), and the status (and, where the
// policy clips, what came back) is checked against the table below. A
// method served without rows here fails the test, so a new RPC cannot
// ship without its rows.
//
// The calls go through fed_rpc_server_serve_bytes: the whole runtime path
// (envelope, token, auth hook, decoding, policy, handler), without
// sockets.

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "enfed/v1/alarm.pb-c.h"
#include "enfed/v1/backup.pb-c.h"
#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/health.pb-c.h"
#include "enfed/v1/rpc.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed/codec.h"
#include "fed/token.h"
#include "fed_test.h"
#include "node_alarms.h"
#include "node_server.h"

#define T0  INT64_C(1767222000000) // 2026-01-01T00:00:00+01:00
#define DAY INT64_C(86400000)
#define MIN INT64_C(60000)

// The principals, in the order of the expectation strings:
enum {
	P_ADMIN, // A
	P_READER, // R  unlimited reader
	P_READER_K, // r  reader limited to kermelo/
	P_WRITER, // W  unlimited writer
	P_WRITER_K, // w  writer limited to kermelo/
	P_OWNER, // O  owner of maison/ (the household)
	P_REPLICA, // P  replica "peer"
	P_GRANT_RAW, // g  grant of maison/, raw
	P_GRANT_DAY, // d  grant of maison/, daily totals
	P_GRANT_RANGE, // n  grant of maison/, raw, data of [T0+1d, T0+2d)
	P_GRANT_REVOKED, // v
	P_GRANT_EXPIRED, // x
	P_MEMBER, // M  a federation member's token (public series)
	P_NONE, // -  no token
	P_MALFORMED, // ?  the admin token, a NUL byte and more
	P_UNKNOWN, // u  a token nobody issued
	N_PRINCIPALS
};

static const char *const principal_names[N_PRINCIPALS] = {"admin", "reader",
    "reader kermelo/", "writer", "writer kermelo/", "owner maison/", "replica",
    "grant raw", "grant day", "grant range", "grant revoked", "grant expired",
    "member", "no token", "malformed", "unknown"};

#define ADMIN_TOKEN  "policy-admin-token"
#define MEMBER_TOKEN "policy-member-token"

static const char *const file_tokens[][4] = {
    // principal, name, role, prefixes
    {"policy-reader", "reader", "reader", ""},
    {"policy-reader-k", "reader-k", "reader", "kermelo/"},
    {"policy-writer", "writer", "writer", ""},
    {"policy-writer-k", "writer-k", "writer", "kermelo/,elsewhere/"},
    {"policy-owner", "legall", "owner", "maison/"},
    {"policy-replica", "peer", "replica", ""},
};

static struct {
	char *dir;
	node_store *store;
	node_auth *auth;
	node_grants *grants;
	node_policy *policy;
	node_alarms *alarms;
	node_rpc nr;
	node_alarm_rpc nar;
	node_scrub_src scrub_src;
	fed_scrub *scrub;
	node_backup *backup;
	fed_rpc_server *srv;
	char tokens[N_PRINCIPALS][80];
	size_t token_len[N_PRINCIPALS];
	char victim_id[40], kermelo_grant_id[40], day_grant_id[40];
} f;

// ---- Calls
// -------------------------------------------------------------------

// Calls method with principal p's token; the reply (freed by the caller).
static Enfed__V1__Reply *
serve(const char *method, int p, const ProtobufCMessage *req)
{
	Enfed__V1__Request env = ENFED__V1__REQUEST__INIT;
	size_t body_len = protobuf_c_message_get_packed_size(req);
	uint8_t *body = malloc(body_len + 1);
	protobuf_c_message_pack(req, body);
	env.id = 1;
	env.method = (char *) method;
	env.token.data = (uint8_t *) f.tokens[p];
	env.token.len = f.token_len[p];
	env.body.data = body;
	env.body.len = body_len;
	size_t len = enfed__v1__request__get_packed_size(&env);
	uint8_t *buf = malloc(len + 1);
	enfed__v1__request__pack(&env, buf);
	uint8_t *out = NULL;
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

// The reply's body as a message of type d (freed by the caller).
static void *
body_as(const Enfed__V1__Reply *rep, const ProtobufCMessageDescriptor *d)
{
	uint8_t *raw = NULL;
	size_t len = 0;
	if (rep->codec == ENFED__V1__CODEC__CODEC_ZSTD)
		assert_int_equal(fed_codec_decompress(rep->body.data,
		                     rep->body.len, 1 << 24, &raw, &len),
		    FED_OK);
	void *m = protobuf_c_message_unpack(d, NULL,
	    raw != NULL ? len : rep->body.len,
	    raw != NULL ? raw : rep->body.data);
	free(raw);
	if (m == NULL)
		fail_msg("a reply that is not a %s (codec %d)", d->name,
		    (int) rep->codec);
	return m;
}

// ---- Set-up
// ------------------------------------------------------------------

static void
admin_call(const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *out, void **res)
{
	Enfed__V1__Reply *rep = serve(method, P_ADMIN, req);
	if (rep->status != 0)
		fail_msg("%s: %s", method, rep->message);
	if (res != NULL)
		*res = body_as(rep, out);
	enfed__v1__reply__free_unpacked(rep, NULL);
}

static void
series(const char *id, int kind, int pub, int64_t every_ms, size_t n)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = kind;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = (uint32_t) (every_ms / 1000);
	m.visibility = pub ? ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC
	                   : ENFED__V1__VISIBILITY__VISIBILITY_PRIVATE;
	Enfed__V1__CreateSeriesRequest c
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	c.meta = &m;
	admin_call("/enfed.v1.SeriesStore/CreateSeries", &c.base, NULL, NULL);
	int64_t *ts = calloc(n, sizeof(*ts));
	double *v = calloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		ts[i] = T0 + (int64_t) i * every_ms;
		v[i] = 10 + (double) (i % 7);
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
	admin_call("/enfed.v1.SeriesStore/Ingest", &in.base, NULL, NULL);
	free(ts);
	free(v);
}

// Creates a grant of `pattern` to grantee; its token into principal p's
// slot (p < 0: none kept), its id into id (40 bytes; may be NULL).
static void
grant(const char *pattern, const char *grantee, int step, int64_t from,
    int64_t to, int64_t expires, int p, char *id)
{
	Enfed__V1__Scope scopes[1] = {ENFED__V1__SCOPE__SCOPE_QUERY};
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = from;
	r.to_ms = to;
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.series = (char *) pattern;
	g.grantee_node = (char *) grantee;
	g.scopes = scopes;
	g.n_scopes = 1;
	g.finest_step = step;
	g.data_range = &r;
	g.expires_ms = expires;
	Enfed__V1__CreateGrantRequest c
	    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
	c.grant = &g;
	Enfed__V1__CreateGrantResponse *res = NULL;
	admin_call("/enfed.v1.Grants/Create", &c.base,
	    &enfed__v1__create_grant_response__descriptor, (void **) &res);
	if (p >= 0) {
		snprintf(f.tokens[p], sizeof(f.tokens[p]), "%s", res->token);
		f.token_len[p] = strlen(res->token);
	}
	if (id != NULL)
		snprintf(id, 40, "%s", res->grant->id);
	enfed__v1__create_grant_response__free_unpacked(res, NULL);
}

static void
revoke(const char *id)
{
	Enfed__V1__RevokeGrantRequest r
	    = ENFED__V1__REVOKE_GRANT_REQUEST__INIT;
	r.id = (char *) id;
	admin_call("/enfed.v1.Grants/Revoke", &r.base, NULL, NULL);
}

static int
is_member(const char *token, const char *peer, void *arg)
{
	(void) peer;
	(void) arg;
	return strcmp(token, MEMBER_TOKEN) == 0;
}

static void
write_tokens_file(const char *path)
{
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
}

static void
set_token(int p, const char *tok, size_t len)
{
	memcpy(f.tokens[p], tok, len);
	f.token_len[p] = len;
}

static void
open_node(void)
{
	char path[512], err[256];
	snprintf(path, sizeof(path), "%s/tokens", f.dir);
	write_tokens_file(path);
	node_store_opts so;
	node_store_opts_init(&so);
	so.sync_normal = 1;
	node_store_err e = {{0}};
	assert_int_equal(node_store_open(f.dir, &so, &f.store, &e), FED_OK);
	assert_int_equal(
	    node_auth_new(ADMIN_TOKEN, NULL, path, &f.auth, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(node_grants_new(f.store, &f.grants), FED_OK);
	node_auth_set_grants(f.auth, f.grants);
	node_auth_set_member_check(f.auth, is_member, NULL);
	assert_int_equal(
	    node_policy_new(f.store, f.grants, &f.policy), FED_OK);
	node_alarms_opts ao = {.store = f.store, .node_name = "policy"};
	assert_int_equal(node_alarms_new(&ao, &f.alarms), FED_OK);
	f.nr = (node_rpc) {.store = f.store,
	    .max_batch_points = 100000,
	    .max_query_series = 64};
	f.nar = (node_alarm_rpc) {.store = f.store, .alarms = f.alarms};
	f.scrub_src = (node_scrub_src) {.store = f.store};
	fed_scrub_opts sco = node_scrub_opts_of(&f.scrub_src, 0);
	assert_int_equal(fed_scrub_new(&sco, &f.scrub), FED_OK);
	assert_int_equal(node_backup_new(f.store, f.dir, &f.backup), FED_OK);
	node_server_parts parts = {.auth = f.auth,
	    .policy = f.policy,
	    .series = &f.nr,
	    .grants = f.grants,
	    .alarms = &f.nar,
	    .scrub = f.scrub,
	    .backup = f.backup,
	    .name = "policy"};
	assert_int_equal(
	    node_server_new(&parts, NULL, &f.srv, err, sizeof(err)), FED_OK);
}

static int
setup(void **state)
{
	(void) state;
	f.dir = fed_test_tmpdir("policy");
	set_token(P_ADMIN, ADMIN_TOKEN, strlen(ADMIN_TOKEN));
	int slots[]
	    = {P_READER, P_READER_K, P_WRITER, P_WRITER_K, P_OWNER, P_REPLICA};
	for (size_t i = 0; i < 6; i++)
		set_token(
		    slots[i], file_tokens[i][0], strlen(file_tokens[i][0]));
	set_token(P_MEMBER, MEMBER_TOKEN, strlen(MEMBER_TOKEN));
	set_token(P_NONE, "", 0);
	set_token(P_MALFORMED, ADMIN_TOKEN "\0admin", sizeof(ADMIN_TOKEN) + 5);
	set_token(P_UNKNOWN, "fed_nobody_issued_this", 22);
	open_node();
	series("maison/linky/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION, 0, 5 * MIN, 864);
	series("kermelo/pv/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION, 1, 60 * MIN, 72);
	series("kermelo/school/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION, 0, 60 * MIN, 72);
	series("kermelo/tmp/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION, 0, 60 * MIN, 2);
	int64_t now = fed_clock_now_ms();
	grant("maison/", "raw", ENFED__V1__STEP__STEP_RAW, 0, 0, 0,
	    P_GRANT_RAW, NULL);
	grant("maison/", "daily", ENFED__V1__STEP__STEP_DAY, 0, 0, 0,
	    P_GRANT_DAY, f.day_grant_id);
	grant("maison/", "ranged", ENFED__V1__STEP__STEP_RAW, T0 + DAY,
	    T0 + 2 * DAY, 0, P_GRANT_RANGE, NULL);
	char revoked[40];
	grant("maison/", "gone", ENFED__V1__STEP__STEP_RAW, 0, 0, 0,
	    P_GRANT_REVOKED, revoked);
	revoke(revoked);
	grant("maison/", "late", ENFED__V1__STEP__STEP_RAW, 0, 0, now + 300,
	    P_GRANT_EXPIRED, NULL);
	grant("maison/linky/energy", "victim", ENFED__V1__STEP__STEP_DAY, 0, 0,
	    0, -1, f.victim_id);
	grant("kermelo/pv/", "city", ENFED__V1__STEP__STEP_RAW, 0, 0, 0, -1,
	    f.kermelo_grant_id);
	while (fed_clock_now_ms() <= now + 300) // the "late" grant expires
		fed_test_sleep_ms(50);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	fed_rpc_server_free(f.srv);
	fed_scrub_free(f.scrub);
	node_backup_free(f.backup);
	node_alarms_free(f.alarms);
	node_policy_free(f.policy);
	node_grants_free(f.grants);
	node_store_close(f.store);
	node_auth_free(f.auth);
	fed_test_rmtree(f.dir);
	free(f.dir);
	return 0;
}

// ---- Requests
// ----------------------------------------------------------------

static char *maison[] = {"maison/linky/energy"};
static char *school[] = {"kermelo/school/energy"};
static char *pv[] = {"kermelo/pv/energy"};
static char *mixed[] = {"kermelo/pv/energy", "maison/linky/energy"};

static Enfed__V1__QueryRequest *
query(char **ids, size_t n, int64_t from, int64_t to, int step, int agg,
    const char *tz)
{
	static Enfed__V1__QueryRequest q[16];
	static Enfed__V1__TimeRange r[16];
	static size_t used;
	assert_true(used < 16);
	Enfed__V1__QueryRequest *req = &q[used];
	enfed__v1__query_request__init(req);
	enfed__v1__time_range__init(&r[used]);
	r[used].from_ms = from;
	r[used].to_ms = to;
	req->series_ids = ids;
	req->n_series_ids = n;
	req->range = &r[used++];
	req->step = step;
	req->agg = agg;
	req->tz = (char *) tz;
	return req;
}

// ---- Checks of clipped answers
// -------------------------------------------------

typedef void (*check_fn)(int p, const Enfed__V1__Reply *rep);

static Enfed__V1__QueryResponse *
query_reply(const Enfed__V1__Reply *rep)
{
	return body_as(rep, &enfed__v1__query_response__descriptor);
}

static size_t
n_values(const Enfed__V1__QueryResponse *q)
{
	size_t n = 0;
	for (size_t i = 0; i < q->n_results; i++)
		n += q->results[i]->n_ts_ms;
	return n;
}

// Three whole days, or for the ranged grant only the second.
static void
check_days(int p, const Enfed__V1__Reply *rep)
{
	Enfed__V1__QueryResponse *q = query_reply(rep);
	const Enfed__V1__SeriesResult *r = q->results[0];
	if (p == P_GRANT_RANGE) {
		assert_int_equal(r->n_ts_ms, 1);
		assert_int_equal(r->ts_ms[0], T0 + DAY);
	} else {
		assert_int_equal(r->n_ts_ms, 3);
		assert_int_equal(r->ts_ms[0], T0);
	}
	enfed__v1__query_response__free_unpacked(q, NULL);
}

// The raw points, or for the ranged grant those of its day only.
static void
check_raw(int p, const Enfed__V1__Reply *rep)
{
	Enfed__V1__QueryResponse *q = query_reply(rep);
	const Enfed__V1__SeriesResult *r = q->results[0];
	assert_int_equal(r->n_ts_ms, p == P_GRANT_RANGE ? 288 : 864);
	assert_int_equal(r->ts_ms[0], p == P_GRANT_RANGE ? T0 + DAY : T0);
	enfed__v1__query_response__free_unpacked(q, NULL);
}

// Five minutes asked for at step DAY: a coarse grant answers nothing (no
// whole day inside), the ranged grant nothing (outside its range), the
// others the partial bucket.
static void
check_slice(int p, const Enfed__V1__Reply *rep)
{
	Enfed__V1__QueryResponse *q = query_reply(rep);
	size_t want = p == P_GRANT_DAY || p == P_GRANT_RANGE ? 0 : 1;
	assert_int_equal(n_values(q), want);
	enfed__v1__query_response__free_unpacked(q, NULL);
}

// A coarse grant's buckets follow the owner's calendar, whatever the
// query's zone; the others get the zone they asked for.
static void
check_zone(int p, const Enfed__V1__Reply *rep)
{
	Enfed__V1__QueryResponse *q = query_reply(rep);
	assert_string_equal(
	    q->tz, p == P_GRANT_DAY ? "Europe/Paris" : "Asia/Kolkata");
	if (p == P_GRANT_DAY)
		assert_int_equal(q->results[0]->ts_ms[0], T0);
	enfed__v1__query_response__free_unpacked(q, NULL);
}

// Latest's last point: the ranged grant's last point is outside its range.
static void
check_latest(int p, const Enfed__V1__Reply *rep)
{
	Enfed__V1__LatestResponse *l
	    = body_as(rep, &enfed__v1__latest_response__descriptor);
	const Enfed__V1__SeriesInfo *i = l->series[0];
	if (p == P_GRANT_RANGE) {
		assert_int_equal(i->last_ms, 0);
		assert_int_equal(i->n_points, 0);
		assert_int_equal(i->first_ms, 0);
	} else {
		assert_int_equal(i->last_ms, T0 + 863 * 5 * MIN);
		assert_int_equal(i->n_points, 864);
	}
	enfed__v1__latest_response__free_unpacked(l, NULL);
}

// GetSeries: counts and first/last points only where the grant could
// query them all.
static void
check_info(int p, const Enfed__V1__Reply *rep)
{
	Enfed__V1__SeriesInfo *i
	    = body_as(rep, &enfed__v1__series_info__descriptor);
	int clipped = p == P_GRANT_DAY || p == P_GRANT_RANGE;
	assert_int_equal(i->n_points, clipped ? 0 : 864);
	assert_int_equal(i->first_ms, clipped ? 0 : T0);
	assert_int_equal(i->last_ms, clipped ? 0 : T0 + 863 * 5 * MIN);
	assert_true(!clipped || i->last_value == 0);
	enfed__v1__series_info__free_unpacked(i, NULL);
}

// ListSeries: only what each principal may read (kermelo/tmp/ may be
// gone: DeleteSeries runs before).
static void
check_list(int p, const Enfed__V1__Reply *rep)
{
	Enfed__V1__ListSeriesResponse *l
	    = body_as(rep, &enfed__v1__list_series_response__descriptor);
	for (size_t i = 0; i < l->n_series; i++) {
		const char *id = l->series[i]->meta->id;
		int house = strncmp(id, "maison/", 7) == 0;
		int kermelo = strncmp(id, "kermelo/", 8) == 0;
		int public = strcmp(id, "kermelo/pv/energy") == 0;
		if (((p == P_READER_K || p == P_WRITER_K) && !kermelo)
		    || ((p == P_OWNER || p >= P_GRANT_RAW) && p != P_MEMBER
		        && !house)
		    || (p == P_MEMBER && !public))
			fail_msg("%s sees %s", principal_names[p], id);
		if (p == P_GRANT_DAY)
			assert_int_equal(l->series[i]->n_points, 0);
	}
	size_t want = p == P_MEMBER || p >= P_GRANT_RAW ? 1
	    : p == P_OWNER                              ? 1
	    : p == P_READER_K || p == P_WRITER_K        ? 2
	                                                : 3;
	if (l->n_series < want)
		fail_msg("%s sees %zu series, expected %zu",
		    principal_names[p], l->n_series, want);
	enfed__v1__list_series_response__free_unpacked(l, NULL);
}

// Grants/List: an owner sees the grants on its series only.
static void
check_grants(int p, const Enfed__V1__Reply *rep)
{
	Enfed__V1__ListGrantsResponse *l
	    = body_as(rep, &enfed__v1__list_grants_response__descriptor);
	int kermelo = 0;
	for (size_t i = 0; i < l->n_grants; i++)
		kermelo |= strncmp(l->grants[i]->series, "kermelo/", 8) == 0;
	assert_int_equal(kermelo, p == P_ADMIN);
	assert_true(l->n_grants >= 6);
	enfed__v1__list_grants_response__free_unpacked(l, NULL);
}

// ---- The matrix
// ----------------------------------------------------------------

// One row: a method, a target, and for each principal (in the order of
// the enum: A R r W w O P g d n v x M - ? u) the answer:
//   O OK   C OK, then check() looks at what came back   D PERMISSION_DENIED
//   U UNAUTHENTICATED   N NOT_FOUND   I INVALID_ARGUMENT
typedef struct matrix_row {
	const char *method;
	const char *target;
	const ProtobufCMessage *req;
	const char *expect;
	check_fn check;
} matrix_row;

#define S(m) "/enfed.v1.SeriesStore/" m
#define G(m) "/enfed.v1.Grants/" m
#define A(m) "/enfed.v1.AlarmService/" m

static matrix_row *
build_rows(size_t *n)
{
	static Enfed__V1__LatestRequest l_maison, l_pv;
	static Enfed__V1__GetSeriesRequest g_maison, g_pv, g_school;
	static Enfed__V1__ListSeriesRequest ls;
	static Enfed__V1__SeriesPoints pt_maison, pt_school, pt_peer;
	static Enfed__V1__SeriesPoints *pl_maison[1], *pl_school[1],
	    *pl_peer[1];
	static Enfed__V1__IngestRequest i_maison, i_school, i_peer, i_replace;
	static Enfed__V1__SeriesMeta m_new, m_peer, m_squat;
	static Enfed__V1__CreateSeriesRequest c_new, c_peer, c_squat;
	static Enfed__V1__UpdateSeriesRequest u_pv;
	static Enfed__V1__DeleteSeriesRequest d_tmp;
	static Enfed__V1__Grant gr_maison, gr_kermelo, gr_addr;
	static Enfed__V1__Scope scope[1] = {ENFED__V1__SCOPE__SCOPE_QUERY};
	static Enfed__V1__CreateGrantRequest gc_maison, gc_kermelo, gc_addr;
	static Enfed__V1__ListGrantsRequest gl;
	static Enfed__V1__RevokeGrantRequest gv_victim, gv_kermelo;
	static Enfed__V1__GrantLogRequest glog_all, glog_victim, glog_kermelo;
	static Enfed__V1__CreateAlarmRuleRequest ar_create;
	static Enfed__V1__DeleteAlarmRuleRequest ar_delete;
	static Enfed__V1__ListAlarmRulesRequest ar_list;
	static Enfed__V1__ListAlarmsRequest al_list;
	static Enfed__V1__AcknowledgeAlarmRequest al_ack;
	static Enfed__V1__HealthCheckRequest health;
	static Enfed__V1__IntegrityCheckRequest integrity;
	static Enfed__V1__BackupRequest backup;
	static int64_t ts[1] = {T0 + 3 * DAY};
	static double val[1] = {1};

	enfed__v1__latest_request__init(&l_maison);
	l_maison.series_ids = maison;
	l_maison.n_series_ids = 1;
	enfed__v1__latest_request__init(&l_pv);
	l_pv.series_ids = pv;
	l_pv.n_series_ids = 1;
	enfed__v1__get_series_request__init(&g_maison);
	g_maison.id = maison[0];
	enfed__v1__get_series_request__init(&g_pv);
	g_pv.id = pv[0];
	enfed__v1__get_series_request__init(&g_school);
	g_school.id = school[0];
	enfed__v1__list_series_request__init(&ls);
	const char *pts[3] = {maison[0], school[0], "peer/x/energy"};
	Enfed__V1__SeriesPoints *sp[3] = {&pt_maison, &pt_school, &pt_peer};
	Enfed__V1__SeriesPoints **pl[3] = {pl_maison, pl_school, pl_peer};
	Enfed__V1__IngestRequest *ir[3] = {&i_maison, &i_school, &i_peer};
	for (int i = 0; i < 3; i++) {
		enfed__v1__series_points__init(sp[i]);
		sp[i]->series_id = (char *) pts[i];
		sp[i]->ts_ms = ts;
		sp[i]->value = val;
		sp[i]->n_ts_ms = sp[i]->n_value = 1;
		pl[i][0] = sp[i];
		enfed__v1__ingest_request__init(ir[i]);
		ir[i]->series = pl[i];
		ir[i]->n_series = 1;
	}
	i_replace = i_maison;
	i_replace.replace = 1;
	enfed__v1__series_meta__init(&m_new);
	m_new.id = "kermelo/new/energy";
	m_new.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m_new.unit = ENFED__V1__UNIT__UNIT_WH;
	m_new.interval_s = 300;
	m_peer = m_new;
	m_peer.id = "peer/x/energy";
	m_peer.origin_node = "peer";
	enfed__v1__create_series_request__init(&c_new);
	c_new.meta = &m_new;
	enfed__v1__create_series_request__init(&c_peer);
	c_peer.meta = &m_peer;
	m_squat = m_peer;
	m_squat.id = "kermelo/squat/energy";
	enfed__v1__create_series_request__init(&c_squat);
	c_squat.meta = &m_squat;
	enfed__v1__update_series_request__init(&u_pv);
	u_pv.id = pv[0];
	u_pv.source = "test";
	enfed__v1__delete_series_request__init(&d_tmp);
	d_tmp.id = "kermelo/tmp/energy";
	enfed__v1__grant__init(&gr_maison);
	gr_maison.series = maison[0];
	gr_maison.grantee_node = "school";
	gr_maison.scopes = scope;
	gr_maison.n_scopes = 1;
	gr_maison.finest_step = ENFED__V1__STEP__STEP_DAY;
	gr_kermelo = gr_maison;
	gr_kermelo.series = "kermelo/";
	enfed__v1__create_grant_request__init(&gc_maison);
	gc_maison.grant = &gr_maison;
	enfed__v1__create_grant_request__init(&gc_kermelo);
	gc_kermelo.grant = &gr_kermelo;
	gr_addr = gr_maison;
	gr_addr.grantee_rpc_addr = "tcp://127.0.0.1:9";
	enfed__v1__create_grant_request__init(&gc_addr);
	gc_addr.grant = &gr_addr;
	enfed__v1__list_grants_request__init(&gl);
	enfed__v1__revoke_grant_request__init(&gv_victim);
	gv_victim.id = f.victim_id;
	enfed__v1__revoke_grant_request__init(&gv_kermelo);
	gv_kermelo.id = f.kermelo_grant_id;
	enfed__v1__grant_log_request__init(&glog_all);
	enfed__v1__grant_log_request__init(&glog_victim);
	glog_victim.grant_id = f.victim_id;
	enfed__v1__grant_log_request__init(&glog_kermelo);
	glog_kermelo.grant_id = f.kermelo_grant_id;
	enfed__v1__create_alarm_rule_request__init(&ar_create);
	enfed__v1__delete_alarm_rule_request__init(&ar_delete);
	ar_delete.id = "no-such-rule";
	enfed__v1__list_alarm_rules_request__init(&ar_list);
	enfed__v1__list_alarms_request__init(&al_list);
	enfed__v1__acknowledge_alarm_request__init(&al_ack);
	al_ack.id = 999;
	enfed__v1__health_check_request__init(&health);
	enfed__v1__integrity_check_request__init(&integrity);
	enfed__v1__backup_request__init(&backup);

	const int DFLT = ENFED__V1__AGGREGATE__AGG_DEFAULT;
	const int RAW = ENFED__V1__STEP__STEP_RAW,
	          D = ENFED__V1__STEP__STEP_DAY;
	// clang-format off
	static matrix_row rows[64];
	matrix_row all[] = {
	//                                                          A R r W w O P g d n v x M - ? u
	{S("Query"), "maison, 3 days, step day",
	    &query(maison, 1, T0, T0 + 3 * DAY, D, DFLT, "")->base, "CCDCDCDCCCDDDUUU", check_days},
	{S("Query"), "maison, raw",
	    &query(maison, 1, T0, T0 + 3 * DAY, RAW, DFLT, "")->base, "CCDCDCDCDCDDDUUU", check_raw},
	{S("Query"), "maison, 5 minutes at step day",
	    &query(maison, 1, T0 + 12 * 60 * MIN, T0 + 12 * 60 * MIN + 5 * MIN, D, DFLT, "")->base,
	    "CCDCDCDCCCDDDUUU", check_slice},
	{S("Query"), "maison, hourly (finer than the daily grant)",
	    &query(maison, 1, T0, T0 + DAY, ENFED__V1__STEP__STEP_HOUR, DFLT, "")->base,
	    "OODODODODODDDUUU", NULL},
	{S("Query"), "maison, weekly (days make weeks)",
	    &query(maison, 1, T0, T0 + 14 * DAY, ENFED__V1__STEP__STEP_WEEK, DFLT, "")->base,
	    "OODODODOOODDDUUU", NULL},
	{S("Query"), "maison, daily maximum (one raw value)",
	    &query(maison, 1, T0, T0 + 3 * DAY, D, ENFED__V1__AGGREGATE__AGG_MAX, "")->base,
	    "OODODODODODDDUUU", NULL},
	{S("Query"), "maison, days of another zone",
	    &query(maison, 1, T0, T0 + 3 * DAY, D, DFLT, "Asia/Kolkata")->base,
	    "CCDCDCDCCCDDDUUU", check_zone},
	{S("Query"), "school (outside every grant and prefix but kermelo/)",
	    &query(school, 1, T0, T0 + DAY, D, DFLT, "")->base, "OOOOODDDDDDDDUUU", NULL},
	{S("Query"), "pv (public)",
	    &query(pv, 1, T0, T0 + DAY, D, DFLT, "")->base, "OOOOODDDDDDDOUUU", NULL},
	{S("Query"), "pv and maison in one list",
	    &query(mixed, 2, T0, T0 + DAY, D, DFLT, "")->base, "OODODDDDDDDDDUUU", NULL},
	{S("Latest"), "maison", &l_maison.base, "CCDCDCDCDCDDDUUU", check_latest},
	{S("Latest"), "pv (public)", &l_pv.base, "OOOOODDDDDDDOUUU", NULL},
	{S("GetSeries"), "maison", &g_maison.base, "CCDCDCDCCCDDDUUU", check_info},
	{S("GetSeries"), "pv (public)", &g_pv.base, "OOOOODDDDDDDOUUU", NULL},
	{S("GetSeries"), "school", &g_school.base, "OOOOODDDDDDDDUUU", NULL},
	{S("DeleteSeries"), "kermelo/tmp/", &d_tmp.base, "ODDDDDDDDDDDDUUU", NULL},
	{S("ListSeries"), "all", &ls.base, "CCCCCCDCCCDDCUUU", check_list},
	{S("Ingest"), "maison", &i_maison.base, "ODDODDDDDDDDDUUU", NULL},
	{S("Ingest"), "school", &i_school.base, "ODDOODDDDDDDDUUU", NULL},
	{S("Ingest"), "maison, replacing", &i_replace.base, "ODDDDDDDDDDDDUUU", NULL},
	{S("CreateSeries"), "kermelo/new/", &c_new.base, "ODDOODDDDDDDDUUU", NULL},
	{S("CreateSeries"), "peer/x/ with origin peer", &c_peer.base, "IDDIIDODDDDDDUUU", NULL},
	{S("CreateSeries"), "kermelo/squat/ with origin peer (this node's site)", &c_squat.base, "IDDIIDDDDDDDDUUU", NULL},
	{S("Ingest"), "peer/x/ (the replica's own; not a local writer's)", &i_peer.base, "ODDDDDODDDDDDUUU", NULL},
	{S("UpdateSeries"), "pv", &u_pv.base, "ODDDDDDDDDDDDUUU", NULL},
	{G("Create"), "maison/linky/energy", &gc_maison.base, "ODDDDODDDDDDDUUU", NULL},
	{G("Create"), "kermelo/", &gc_kermelo.base, "ODDDDDDDDDDDDUUU", NULL},
	{G("Create"), "maison/linky/energy, pushed to an address", &gc_addr.base, "ODDDDDDDDDDDDUUU", NULL},
	{G("List"), "all", &gl.base, "CDDDDCDDDDDDDUUU", check_grants},
	{G("Log"), "every grant", &glog_all.base, "ODDDDODDDDDDDUUU", NULL},
	{G("Log"), "a maison grant", &glog_victim.base, "ODDDDODDDDDDDUUU", NULL},
	{G("Log"), "a kermelo grant", &glog_kermelo.base, "ODDDDNDDDDDDDUUU", NULL},
	{G("Revoke"), "a kermelo grant (owner: not its)", &gv_kermelo.base, "ODDDDNDDDDDDDUUU", NULL},
	{G("Revoke"), "a maison grant", &gv_victim.base, "ODDDDODDDDDDDUUU", NULL},
	{A("CreateRule"), "empty rule", &ar_create.base, "IDDDDDDDDDDDDUUU", NULL},
	{A("DeleteRule"), "no such rule", &ar_delete.base, "NDDDDDDDDDDDDUUU", NULL},
	{A("ListRules"), "all", &ar_list.base, "OOOOOODDDDDDDUUU", NULL},
	{A("ListAlarms"), "all", &al_list.base, "OOOOOODDDDDDDUUU", NULL},
	{A("Acknowledge"), "no such alarm", &al_ack.base, "NDDNNDDDDDDDDUUU", NULL},
	{"/enfed.v1.Health/Check", "-", &health.base, "OOOOOOOOOOOOOOUO", NULL},
	{"/enfed.v1.Integrity/Check", "the whole store", &integrity.base, "ODDDDDDDDDDDDUUU", NULL},
	{"/enfed.v1.Backup/Read", "a copy of the whole store", &backup.base, "ODDDDDDDDDDDDUUU", NULL},
	};
	// clang-format on
	assert_true(sizeof(all) / sizeof(all[0]) <= 64);
	memcpy(rows, all, sizeof(all));
	*n = sizeof(all) / sizeof(all[0]);
	return rows;
}

static fed_status
expected_status(char c)
{
	switch (c) {
	case 'O':
	case 'C':
		return FED_OK;
	case 'D':
		return FED_PERMISSION_DENIED;
	case 'U':
		return FED_UNAUTHENTICATED;
	case 'N':
		return FED_NOT_FOUND;
	default:
		return FED_INVALID_ARGUMENT;
	}
}

struct coverage {
	const matrix_row *rows;
	size_t n_rows;
	size_t n_methods;
};

// Every method the server serves has rows.
static fed_status
has_rows(const char *method, void *arg)
{
	struct coverage *c = arg;
	c->n_methods++;
	for (size_t i = 0; i < c->n_rows; i++)
		if (strcmp(c->rows[i].method, method) == 0)
			return FED_OK;
	fail_msg(
	    "%s is served but has no row in the authorization matrix", method);
	return FED_NOT_FOUND;
}

static void
test_matrix(void **state)
{
	(void) state;
	size_t n = 0;
	const matrix_row *rows = build_rows(&n);
	struct coverage cov = {rows, n, 0};
	assert_int_equal(
	    fed_rpc_server_each_method(f.srv, has_rows, &cov), FED_OK);
	size_t cases = 0;
	for (size_t i = 0; i < n; i++) {
		const matrix_row *r = &rows[i];
		assert_int_equal(strlen(r->expect), N_PRINCIPALS);
		for (int p = 0; p < N_PRINCIPALS; p++) {
			Enfed__V1__Reply *rep = serve(r->method, p, r->req);
			fed_status want = expected_status(r->expect[p]);
			if ((fed_status) rep->status != want)
				fail_msg("%s (%s) as %s: %s (%s), expected %s",
				    r->method, r->target, principal_names[p],
				    fed_status_name((fed_status) rep->status),
				    rep->message, fed_status_name(want));
			// Refusals name nothing the caller may not see.
			assert_null(strstr(rep->message, "maison"));
			assert_null(strstr(rep->message, "kermelo"));
			if (r->expect[p] == 'C')
				r->check(p, rep);
			enfed__v1__reply__free_unpacked(rep, NULL);
			cases++;
		}
	}
	printf("authorization matrix: %zu rows x %d principals = %zu cases, "
	       "%zu methods\n",
	    n, N_PRINCIPALS, cases, cov.n_methods);
}

// What the daily grant's grantee did, refused calls included, is in its
// access log, newest first, with the range it was answered.
static void
test_access_log(void **state)
{
	(void) state;
	Enfed__V1__GrantLogRequest lr = ENFED__V1__GRANT_LOG_REQUEST__INIT;
	lr.grant_id = f.day_grant_id;
	lr.limit = 1000;
	Enfed__V1__Reply *rep = serve(G("Log"), P_OWNER, &lr.base);
	assert_int_equal(rep->status, FED_OK);
	Enfed__V1__GrantLogResponse *log
	    = body_as(rep, &enfed__v1__grant_log_response__descriptor);
	enfed__v1__reply__free_unpacked(rep, NULL);
	size_t ok = 0, denied = 0;
	for (size_t i = 0; i < log->n_entries; i++) {
		const Enfed__V1__GrantAccess *e = log->entries[i];
		assert_string_equal(e->grant_id, f.day_grant_id);
		assert_string_equal(e->grantee_node, "daily");
		assert_true(i == 0 || e->at_ms <= log->entries[i - 1]->at_ms);
		ok += e->status == 0;
		denied
		    += e->status == ENFED__V1__STATUS_CODE__PERMISSION_DENIED;
		// What was answered: whole local days (24 h in January).
		if (e->status == 0 && strcmp(e->method, "Query") == 0
		    && e->range != NULL) {
			assert_true(e->range->from_ms >= T0);
			assert_int_equal(
			    (e->range->to_ms - e->range->from_ms) % DAY, 0);
		}
	}
	assert_true(ok >= 5);
	assert_true(denied >= 8);
	enfed__v1__grant_log_response__free_unpacked(log, NULL);
	// A prefix-limited reader may not read it.
	rep = serve(G("Log"), P_READER_K, &lr.base);
	assert_int_equal(rep->status, FED_PERMISSION_DENIED);
	enfed__v1__reply__free_unpacked(rep, NULL);
}

// An owner creates grants only on its own series, and what it creates
// answers as any grant.
static void
test_owner_grants(void **state)
{
	(void) state;
	Enfed__V1__Scope scopes[1] = {ENFED__V1__SCOPE__SCOPE_QUERY};
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.series = "maison/";
	g.grantee_node = "bcen-invest";
	g.scopes = scopes;
	g.n_scopes = 1;
	g.finest_step = ENFED__V1__STEP__STEP_DAY;
	Enfed__V1__CreateGrantRequest c
	    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
	c.grant = &g;
	Enfed__V1__Reply *rep = serve(G("Create"), P_OWNER, &c.base);
	assert_int_equal(rep->status, FED_OK);
	enfed__v1__reply__free_unpacked(rep, NULL);
	const char *outside[] = {"", "maison", "maisonette/", "kermelo/"};
	for (size_t i = 0; i < 4; i++) {
		g.series = (char *) outside[i];
		rep = serve(G("Create"), P_OWNER, &c.base);
		fed_status st = (fed_status) rep->status;
		assert_true(
		    st == FED_PERMISSION_DENIED || st == FED_INVALID_ARGUMENT);
		enfed__v1__reply__free_unpacked(rep, NULL);
	}
}

// A server serving a method the policy has no row for does not start.
static void
test_unknown_method_refused(void **state)
{
	(void) state;
	fed_rpc_server *srv = NULL;
	assert_int_equal(fed_rpc_server_new(NULL, &srv), FED_OK);
	assert_int_equal(node_rpc_register(srv, &f.nr), FED_OK);
	char err[256] = "";
	assert_int_equal(
	    node_policy_check_server(srv, err, sizeof(err)), FED_OK);
	assert_int_equal(fed_test_echo_register(srv), FED_OK);
	assert_int_equal(node_policy_check_server(srv, err, sizeof(err)),
	    FED_FAILED_PRECONDITION);
	assert_non_null(strstr(err, "/enfed.test.Echo/Echo"));
	fed_rpc_server_free(srv);
}

// One page of ListSeries as principal p (freed by the caller).
static Enfed__V1__ListSeriesResponse *
list_page(int p, uint32_t size, const char *token)
{
	Enfed__V1__ListSeriesRequest lr = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	lr.page_size = size;
	lr.page_token = (char *) token;
	Enfed__V1__Reply *rep = serve(S("ListSeries"), p, &lr.base);
	assert_int_equal(rep->status, FED_OK);
	Enfed__V1__ListSeriesResponse *l
	    = body_as(rep, &enfed__v1__list_series_response__descriptor);
	enfed__v1__reply__free_unpacked(rep, NULL);
	return l;
}

// ListSeries pages: a limited reader's pages are filled from what it may
// see, one page of 1 after another gives what one large page gives, and
// the last page says nothing of the hidden series that follow it
// (maison/ sorts after kermelo/).
static void
test_list_pages(void **state)
{
	(void) state;
	Enfed__V1__ListSeriesResponse *all = list_page(P_READER_K, 0, "");
	assert_true(all->n_series >= 2);
	assert_string_equal(all->next_page_token, "");
	char token[200] = "";
	size_t n = 0;
	do {
		Enfed__V1__ListSeriesResponse *l
		    = list_page(P_READER_K, 1, token);
		assert_int_equal(l->n_series, 1);
		assert_true(n < all->n_series);
		assert_string_equal(
		    l->series[0]->meta->id, all->series[n]->meta->id);
		snprintf(token, sizeof(token), "%s", l->next_page_token);
		enfed__v1__list_series_response__free_unpacked(l, NULL);
		n++;
	} while (token[0] != '\0');
	assert_int_equal(n, all->n_series);
	enfed__v1__list_series_response__free_unpacked(all, NULL);
}

// A writer limited to prefixes creates at most max-series-per-token series
// under them; re-creating one that exists takes nothing, and an unlimited
// writer has no quota.
static void
test_writer_quota(void **state)
{
	(void) state;
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	Enfed__V1__CreateSeriesRequest c
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	c.meta = &m;
	uint64_t k = 0, e = 0;
	node_store_err err = {{0}};
	assert_int_equal(
	    node_store_count_prefix(f.store, "kermelo/", &k, &err), FED_OK);
	assert_int_equal(
	    node_store_count_prefix(f.store, "elsewhere/", &e, &err), FED_OK);
	node_policy_set_max_series(f.policy, k + e + 2);
	const char *ids[]
	    = {"elsewhere/q1", "elsewhere/q2", "elsewhere/q1", "elsewhere/q3"};
	fed_status want[] = {FED_OK, FED_OK, FED_OK, FED_RESOURCE_EXHAUSTED};
	for (size_t i = 0; i < 4; i++) {
		m.id = (char *) ids[i];
		Enfed__V1__Reply *rep
		    = serve(S("CreateSeries"), P_WRITER_K, &c.base);
		assert_int_equal(rep->status, want[i]);
		if (want[i] != FED_OK)
			assert_non_null(
			    strstr(rep->message, "max-series-per-token"));
		enfed__v1__reply__free_unpacked(rep, NULL);
	}
	Enfed__V1__Reply *rep = serve(S("CreateSeries"), P_WRITER, &c.base);
	assert_int_equal(rep->status, FED_OK);
	enfed__v1__reply__free_unpacked(rep, NULL);
	node_policy_set_max_series(f.policy, NODE_POLICY_MAX_SERIES_DEFAULT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matrix),
	    cmocka_unit_test(test_access_log),
	    cmocka_unit_test(test_owner_grants),
	    cmocka_unit_test(test_unknown_method_refused),
	    cmocka_unit_test(test_list_pages),
	    cmocka_unit_test(test_writer_quota),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
