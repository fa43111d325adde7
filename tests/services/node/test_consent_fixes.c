// SPDX-License-Identifier: MIT
//
// test_consent_fixes.c: paths by which data or secrets left their owner
// other than as the owner allowed, each pinned down on fed-node as
// node_server.c assembles it (calls through fed_rpc_server_serve_bytes and
// the InfluxDB endpoint's node_http_handle, without sockets) and, for
// replication, with the replicator pushing to fake grantee servers on
// ipc:// that record what they were sent:
//
//   - where a grant's points are pushed (grantee_rpc_addr) is the admin's
//     to say; the peers file's token goes to that peer's address only,
//     and a grant's address cannot capture another grant's rows, even
//     after an outage of the peer;
//   - a replica creates and writes only series of its own origin, under
//     its prefixes, outside this node's sites and local prefixes; a local
//     writer does not write into a replicated series; /write likewise;
//   - alarm rules' hooks are the admin's to see;
//   - a credential of the InfluxDB endpoint is its exact bytes: one with
//     a NUL byte is refused.

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enfed/v1/alarm.pb-c.h"
#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/rpc.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed/codec.h"
#include "fed/token.h"
#include "fed_test.h"
#include "node_alarms.h"
#include "node_http.h"
#include "node_replicate.h"
#include "node_server.h"

#define T0  INT64_C(1767222000000) // 2026-01-01T00:00:00+01:00
#define MIN INT64_C(60000)

#define ADMIN      "fix-admin-token"
#define OWNER      "fix-owner-token" // legall, owner of maison/
#define WRITER     "fix-writer-token" // unlimited writer
#define WRITER_E   "fix-writer-e-token" // writer of elsewhere/
#define REPLICA    "fix-replica-token" // peer, replica, no prefixes
#define REPLICA_P  "fix-replica-p-token" // peer2, replica of peer2/
#define READER     "fix-reader-token"
#define PEER_TOKEN "fix-push-to-bmhs" // the peers file's token for bmhs

static const char *const file_tokens[][4] = {
    {OWNER, "legall", "owner", "maison/"},
    {WRITER, "writer", "writer", ""},
    {WRITER_E, "writer-e", "writer", "elsewhere/"},
    {REPLICA, "peer", "replica", ""},
    {REPLICA_P, "peer2", "replica", "peer2/"},
    {READER, "reader", "reader", ""},
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
	fed_rpc_server *srv;
	node_http_opts ho;
} f;

// ---- Calls
// -------------------------------------------------------------------

// Calls method with token (len bytes); the reply, freed by the caller.
static Enfed__V1__Reply *
serve(const char *method, const char *token, const ProtobufCMessage *req)
{
	Enfed__V1__Request env = ENFED__V1__REQUEST__INIT;
	size_t body_len = protobuf_c_message_get_packed_size(req);
	uint8_t *body = malloc(body_len + 1);
	protobuf_c_message_pack(req, body);
	env.id = 1;
	env.method = (char *) method;
	env.token.data = (uint8_t *) token;
	env.token.len = strlen(token);
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

// The status of a call; its message into msg (256 bytes; may be NULL).
static fed_status
call(const char *method, const char *token, const ProtobufCMessage *req,
    char *msg)
{
	Enfed__V1__Reply *rep = serve(method, token, req);
	fed_status st = (fed_status) rep->status;
	if (msg != NULL)
		snprintf(msg, 256, "%s", rep->message ? rep->message : "");
	enfed__v1__reply__free_unpacked(rep, NULL);
	return st;
}

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
	assert_non_null(m);
	return m;
}

static fed_status
create_series(const char *token, const char *id, const char *origin)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	m.origin_node = (char *) origin;
	Enfed__V1__CreateSeriesRequest c
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	c.meta = &m;
	return call(
	    "/enfed.v1.SeriesStore/CreateSeries", token, &c.base, NULL);
}

// Ingests n 5-minute points of id from t0.
static fed_status
ingest(const char *token, const char *id, int64_t t0, size_t n)
{
	int64_t ts[64];
	double v[64];
	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++) {
		ts[i] = t0 + (int64_t) i * 5 * MIN;
		v[i] = 100 + (double) i;
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
	return call("/enfed.v1.SeriesStore/Ingest", token, &in.base, NULL);
}

// A live, raw grant of pattern to grantee by token, pushed to addr ("":
// the peers file's address); its status, the message into msg.
static fed_status
grant_live(const char *token, const char *pattern, const char *grantee,
    const char *addr, char *msg)
{
	Enfed__V1__Scope scopes[1] = {ENFED__V1__SCOPE__SCOPE_LIVE};
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.series = (char *) pattern;
	g.grantee_node = (char *) grantee;
	g.scopes = scopes;
	g.n_scopes = 1;
	g.finest_step = ENFED__V1__STEP__STEP_RAW;
	g.grantee_rpc_addr = (char *) addr;
	Enfed__V1__CreateGrantRequest c
	    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
	c.grant = &g;
	return call("/enfed.v1.Grants/Create", token, &c.base, msg);
}

// ---- Set-up
// ------------------------------------------------------------------

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

static int
setup(void **state)
{
	(void) state;
	char path[512], err[256];
	memset(&f, 0, sizeof(f));
	f.dir = fed_test_tmpdir("consent");
	snprintf(path, sizeof(path), "%s/tokens", f.dir);
	write_tokens_file(path);
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
	node_alarms_opts ao = {.store = f.store, .node_name = "lognact"};
	assert_int_equal(node_alarms_new(&ao, &f.alarms), FED_OK);
	f.nr = (node_rpc) {.store = f.store,
	    .max_batch_points = 100000,
	    .max_query_series = 64};
	f.nar = (node_alarm_rpc) {.store = f.store, .alarms = f.alarms};
	node_server_parts parts = {.auth = f.auth,
	    .policy = f.policy,
	    .series = &f.nr,
	    .grants = f.grants,
	    .alarms = &f.nar,
	    .name = "lognact"};
	assert_int_equal(
	    node_server_new(&parts, NULL, &f.srv, err, sizeof(err)), FED_OK);
	f.ho = (node_http_opts) {.rpc = f.srv, .db = "enfed"};
	// This node's own site, kermelo/, and the household's, maison/.
	assert_int_equal(
	    create_series(ADMIN, "kermelo/pv/energy", ""), FED_OK);
	assert_int_equal(create_series(ADMIN, "maison/a/energy", ""), FED_OK);
	assert_int_equal(create_series(ADMIN, "maison/b/energy", ""), FED_OK);
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

// ---- 1. Where replication pushes, with which token
// --------------------------

// An owner may not say where its grantee's node is: the replicator would
// push there whatever it sends that peer.
static void
test_owner_sets_no_grantee_addr(void **state)
{
	(void) state;
	char msg[256];
	assert_int_equal(grant_live(OWNER, "maison/a/energy", "bmhs",
	                     "tcp://127.0.0.1:9", msg),
	    FED_PERMISSION_DENIED);
	assert_non_null(strstr(msg, "grantee_rpc_addr"));
	// Without an address, its grant is made as before.
	assert_int_equal(
	    grant_live(OWNER, "maison/a/energy", "school", "", NULL), FED_OK);
}

// A fake grantee: it records the token and series of each call.
typedef struct fake {
	char url[256];
	fed_rpc_server *srv;
	pthread_mutex_t mtx;
	size_t n_calls;
	char token[64][64];
	char series[64][64];
} fake;

static void
record(fake *k, const char *token, const char *series)
{
	pthread_mutex_lock(&k->mtx);
	if (k->n_calls < 64) {
		snprintf(k->token[k->n_calls], 64, "%s", token);
		snprintf(k->series[k->n_calls], 64, "%s", series);
		k->n_calls++;
	}
	pthread_mutex_unlock(&k->mtx);
}

static fed_status
fake_create(fed_rpc_ctx *c, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	(void) out;
	const Enfed__V1__CreateSeriesRequest *r = (const void *) in;
	record(arg, fed_rpc_ctx_token(c), r->meta != NULL ? r->meta->id : "");
	return FED_OK;
}

static fed_status
fake_ingest(fed_rpc_ctx *c, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	(void) out;
	const Enfed__V1__IngestRequest *r = (const void *) in;
	for (size_t i = 0; i < r->n_series; i++)
		record(arg, fed_rpc_ctx_token(c), r->series[i]->series_id);
	return FED_OK;
}

static void
fake_start(fake *k)
{
	static const fed_rpc_method methods[] = {
	    {"CreateSeries", fake_create},
	    {"Ingest", fake_ingest},
	};
	assert_int_equal(fed_rpc_server_new(NULL, &k->srv), FED_OK);
	assert_int_equal(
	    fed_rpc_server_add_service(
	        k->srv, &enfed__v1__series_store__descriptor, methods, 2, k),
	    FED_OK);
	assert_int_equal(fed_rpc_server_listen(k->srv, k->url, NULL), FED_OK);
	assert_int_equal(fed_rpc_server_start(k->srv), FED_OK);
}

// 1 when k received a call carrying series id.
static int
fake_saw(fake *k, const char *id)
{
	pthread_mutex_lock(&k->mtx);
	int saw = 0;
	for (size_t i = 0; i < k->n_calls && !saw; i++)
		saw = strcmp(k->series[i], id) == 0;
	pthread_mutex_unlock(&k->mtx);
	return saw;
}

// Waits (bounded) until k received series id.
static int
fake_wait(fake *k, const char *id)
{
	for (int i = 0; i < 400 && !fake_saw(k, id); i++)
		fed_test_sleep_ms(50);
	return fake_saw(k, id);
}

// What the grant's own address received: its grant's series only, never
// the peers file's token.
static void
other_got_its_grant_only(fake *k)
{
	pthread_mutex_lock(&k->mtx);
	size_t n = k->n_calls; // entries below n are written once, before
	pthread_mutex_unlock(&k->mtx);
	for (size_t i = 0; i < n; i++) {
		assert_string_not_equal(k->token[i], PEER_TOKEN);
		assert_string_equal(k->series[i], "maison/b/energy");
	}
}

// The peer bmhs is configured at peer.url with PEER_TOKEN; the admin
// sends the grant of maison/b/ to another address. The grant of maison/b/
// has the first rows in the outbox, and bmhs's own address is down at
// first (an outage): before, the one client of bmhs was then opened at
// the other address, with PEER_TOKEN, and carried maison/a/ there too.
static void
test_peer_token_stays_with_its_address(void **state)
{
	(void) state;
	static fake peer, other;
	pthread_mutex_init(&peer.mtx, NULL);
	pthread_mutex_init(&other.mtx, NULL);
	fed_test_ipc_url(peer.url, sizeof(peer.url), "consent-peer");
	fed_test_ipc_url(other.url, sizeof(other.url), "consent-other");
	char peers[512];
	snprintf(peers, sizeof(peers), "%s/peers", f.dir);
	FILE *pf = fopen(peers, "w");
	assert_non_null(pf);
	fprintf(pf, "bmhs %s %s\n", peer.url, PEER_TOKEN);
	fclose(pf);
	assert_int_equal(
	    grant_live(ADMIN, "maison/b/", "bmhs", other.url, NULL), FED_OK);
	assert_int_equal(
	    grant_live(ADMIN, "maison/a/", "bmhs", "", NULL), FED_OK);
	assert_int_equal(ingest(ADMIN, "maison/b/energy", T0, 4), FED_OK);
	assert_int_equal(ingest(ADMIN, "maison/a/energy", T0, 4), FED_OK);
	fake_start(&other);
	node_replicator_opts ro = {.store = f.store,
	    .grants = f.grants,
	    .node_name = "lognact",
	    .peers_file = peers,
	    .poll_ms = 50,
	    .timeout_ms = 2000};
	node_replicator *r = NULL;
	assert_int_equal(node_replicator_new(&ro, &r), FED_OK);
	// The admin's address works: its grant's rows arrive there, without
	// the peer's token.
	assert_true(fake_wait(&other, "maison/b/energy"));
	other_got_its_grant_only(&other);
	// The peer comes back: its own grant's rows arrive at its address.
	fake_start(&peer);
	assert_true(fake_wait(&peer, "maison/a/energy"));
	node_replicator_free(r);
	fed_rpc_server_free(other.srv);
	fed_rpc_server_free(peer.srv);
	// The peer's token went to the peer's address only, with every call
	// there; the other address got neither the token nor maison/a/.
	other_got_its_grant_only(&other);
	for (size_t i = 0; i < peer.n_calls; i++) {
		assert_string_equal(peer.token[i], PEER_TOKEN);
		assert_string_equal(peer.series[i], "maison/a/energy");
	}
	pthread_mutex_destroy(&peer.mtx);
	pthread_mutex_destroy(&other.mtx);
}

// ---- 2. What a replica may create and write here
// -----------------------------

// A replica cannot create a series in a site of this node (kermelo/, which
// holds this node's own series), nor under a local writer's prefix where
// nothing exists yet (elsewhere/), nor outside the prefixes of its tokens
// line; it can in a site of its own, and write there.
static void
test_replica_creates_its_own_only(void **state)
{
	(void) state;
	assert_int_equal(
	    create_series(REPLICA, "kermelo/squat/energy", "peer"),
	    FED_PERMISSION_DENIED);
	assert_int_equal(create_series(REPLICA, "maison/c/energy", "peer"),
	    FED_PERMISSION_DENIED);
	assert_int_equal(
	    create_series(REPLICA, "elsewhere/board/energy", "peer"),
	    FED_PERMISSION_DENIED);
	assert_int_equal(create_series(REPLICA_P, "other/x/energy", "peer2"),
	    FED_PERMISSION_DENIED);
	assert_int_equal(
	    create_series(REPLICA_P, "peer2/x/energy", "peer2"), FED_OK);
	assert_int_equal(ingest(REPLICA_P, "peer2/x/energy", T0, 2), FED_OK);
	assert_int_equal(
	    create_series(REPLICA, "peer/x/energy", "peer"), FED_OK);
	assert_int_equal(ingest(REPLICA, "peer/x/energy", T0, 2), FED_OK);
	// A site is one origin's: peer cannot add beside peer2's.
	assert_int_equal(create_series(REPLICA, "peer2/y/energy", "peer"),
	    FED_PERMISSION_DENIED);
	// Nor write into this node's series.
	assert_int_equal(ingest(REPLICA, "kermelo/pv/energy", T0, 2),
	    FED_PERMISSION_DENIED);
}

// A local writer cannot write into a replicated series (the origin's),
// nor take it by creating it again (an ALREADY_EXISTS would let a board
// go on ingesting into it).
static void
test_writer_leaves_replicated_series(void **state)
{
	(void) state;
	assert_int_equal(
	    create_series(REPLICA, "peer3/house/linky", "peer"), FED_OK);
	assert_int_equal(create_series(WRITER, "peer3/house/linky", ""),
	    FED_PERMISSION_DENIED);
	assert_int_equal(
	    ingest(WRITER, "peer3/house/linky", T0, 2), FED_PERMISSION_DENIED);
	// Its own series it writes as before; the admin writes anywhere.
	assert_int_equal(ingest(WRITER, "kermelo/pv/energy", T0, 2), FED_OK);
	assert_int_equal(ingest(ADMIN, "peer3/house/linky", T0, 2), FED_OK);
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

static uint16_t
write_as(const char *token, const char *id)
{
	char auth[128], body[256];
	snprintf(auth, sizeof(auth), "Token %s", token);
	snprintf(body, sizeof(body), "m,series=%s value=7 %lld\n", id,
	    (long long) (T0 + 600 * MIN));
	node_http_res res = http("POST", "/write?precision=ms", auth, body);
	free(res.body);
	return res.status;
}

// The InfluxDB endpoint's /write follows the same rules.
static void
test_write_endpoint_same_rules(void **state)
{
	(void) state;
	assert_int_equal(
	    create_series(REPLICA, "peer4/x/energy", "peer"), FED_OK);
	assert_int_equal(write_as(REPLICA, "peer4/x/energy"), 204);
	assert_int_equal(write_as(REPLICA, "kermelo/pv/energy"), 403);
	assert_int_equal(write_as(WRITER, "peer4/x/energy"), 403);
	assert_int_equal(write_as(WRITER, "kermelo/pv/energy"), 204);
}

// ---- 4. Alarm rules' hooks
// ----------------------------------------------------

// The number of rules listed to token, and whether one showed its hook.
static size_t
list_rules(const char *token, int *hook_seen)
{
	Enfed__V1__ListAlarmRulesRequest lr
	    = ENFED__V1__LIST_ALARM_RULES_REQUEST__INIT;
	Enfed__V1__Reply *rep
	    = serve("/enfed.v1.AlarmService/ListRules", token, &lr.base);
	assert_int_equal(rep->status, FED_OK);
	Enfed__V1__ListAlarmRulesResponse *l
	    = body_as(rep, &enfed__v1__list_alarm_rules_response__descriptor);
	enfed__v1__reply__free_unpacked(rep, NULL);
	*hook_seen = 0;
	for (size_t i = 0; i < l->n_rules; i++)
		*hook_seen |= l->rules[i]->n_hook_argv > 0;
	size_t n = l->n_rules;
	enfed__v1__list_alarm_rules_response__free_unpacked(l, NULL);
	return n;
}

static void
test_rule_hooks_for_admin_only(void **state)
{
	(void) state;
	Enfed__V1__AlarmLimit hi = ENFED__V1__ALARM_LIMIT__INIT;
	hi.value = 1000;
	char *hook[] = {"/bin/true", "https://hooks.example/T0KEN-SECRET"};
	Enfed__V1__AlarmRule r = ENFED__V1__ALARM_RULE__INIT;
	r.id = "maison-high";
	r.type = ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_THRESHOLD;
	r.series = "maison/a/energy";
	r.above = &hi;
	r.hook_argv = hook;
	r.n_hook_argv = 2;
	r.hook_timeout_ms = 5000;
	Enfed__V1__CreateAlarmRuleRequest c
	    = ENFED__V1__CREATE_ALARM_RULE_REQUEST__INIT;
	c.rule = &r;
	char msg[256];
	assert_int_equal(
	    call("/enfed.v1.AlarmService/CreateRule", ADMIN, &c.base, msg),
	    FED_OK);
	int hook_seen = 0;
	assert_int_equal(list_rules(ADMIN, &hook_seen), 1);
	assert_true(hook_seen);
	const char *others[] = {OWNER, READER, WRITER};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(list_rules(others[i], &hook_seen), 1);
		assert_false(hook_seen);
	}
}

// ---- 5. Credentials of the InfluxDB endpoint
// --------------------------------

static uint16_t
query_status(const char *uri, const char *auth)
{
	node_http_res res = http("GET", uri, auth, NULL);
	free(res.body);
	return res.status;
}

// A credential is its exact bytes: the admin's token followed by a NUL
// byte and anything is not the admin's token, in p= or in Basic.
static void
test_http_credential_with_nul(void **state)
{
	(void) state;
	const char *q = "/query?db=enfed&q=SHOW%20MEASUREMENTS&p=";
	char uri[256];
	snprintf(uri, sizeof(uri), "%s%s", q, ADMIN);
	assert_int_equal(query_status(uri, NULL), 200);
	snprintf(uri, sizeof(uri), "%s%s%%00anything", q, ADMIN);
	assert_int_equal(query_status(uri, NULL), 401);
	// Basic "u:fix-admin-token" works; "u:fix-admin-token\0x" does not.
	assert_int_equal(query_status("/query?db=enfed&q=SHOW%20MEASUREMENTS",
	                     "Basic dTpmaXgtYWRtaW4tdG9rZW4="),
	    200);
	assert_int_equal(query_status("/query?db=enfed&q=SHOW%20MEASUREMENTS",
	                     "Basic dTpmaXgtYWRtaW4tdG9rZW4AeA=="),
	    401);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_owner_sets_no_grantee_addr),
	    cmocka_unit_test(test_peer_token_stays_with_its_address),
	    cmocka_unit_test(test_replica_creates_its_own_only),
	    cmocka_unit_test(test_writer_leaves_replicated_series),
	    cmocka_unit_test(test_write_endpoint_same_rules),
	    cmocka_unit_test(test_rule_hooks_for_admin_only),
	    cmocka_unit_test(test_http_credential_with_nul),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
