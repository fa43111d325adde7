// SPDX-License-Identifier: MIT
//
// test_dir_service.c: a real directory service over RPC and its stream,
// on ipc:// addresses and a temporary database: registration and lookups
// by name, series id, prefix and organisation; the lease granted; who may
// call what (enrolment token, node tokens, none); bad input named by
// field; membership events JOINED, UPDATED, EXPIRED and RENEWED with
// expiry keeping the record; and a restart on the same database.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dir_service.h"
#include "enfed/v1/directory.pb-c.h"
#include "enfed/v1/health.pb-c.h"
#include "fed/clock.h"
#include "fed/rpc.h"
#include "fed/stream.h"
#include "fed/token.h"
#include "fed_test.h"

#define DIR_SVC (&enfed__v1__directory__descriptor)

struct fix {
	char *dir;
	char db[512];
	char rpc_url[256];
	char pub_url[256];
	char enrol[FED_TOKEN_LEN + 1];
	dir_service *svc;
	fed_rpc_client *enrolled; // carries the enrolment token
	fed_rpc_client *anon; // carries no token
};

static fed_rpc_client *
client(const struct fix *f, const char *token)
{
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = f->rpc_url;
	o.token = token;
	o.timeout_ms = 5000;
	fed_rpc_client *c = NULL;
	assert_int_equal(fed_rpc_client_new(&o, &c), FED_OK);
	return c;
}

static void
start(struct fix *f, int64_t lease_ms)
{
	fed_test_ipc_url(f->rpc_url, sizeof(f->rpc_url), "dir-rpc");
	fed_test_ipc_url(f->pub_url, sizeof(f->pub_url), "dir-pub");
	char hash[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(f->enrol, hash);
	dir_service_opts o = {.listen = f->rpc_url,
	    .stream = f->pub_url,
	    .db_path = f->db,
	    .sync_full = true,
	    .enrol_hash = hash,
	    .lease_ms = lease_ms,
	    .check_ms = 20,
	    .n_workers = 4};
	assert_int_equal(dir_service_new(&o, &f->svc), FED_OK);
	f->enrolled = client(f, f->enrol);
	f->anon = client(f, NULL);
}

static void
stop(struct fix *f)
{
	fed_rpc_client_free(f->enrolled);
	fed_rpc_client_free(f->anon);
	dir_service_free(f->svc);
	f->enrolled = f->anon = NULL;
	f->svc = NULL;
}

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	f->dir = fed_test_tmpdir("dirsvc");
	assert_non_null(f->dir);
	snprintf(f->db, sizeof(f->db), "%s/directory.db", f->dir);
	assert_int_equal(fed_token_new(f->enrol, sizeof(f->enrol)), FED_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	stop(f);
	fed_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

// --- Calls ----------------------------------------------------------------

struct node {
	const char *name;
	const char *org;
	const char *ids[3];
	size_t n_ids;
};

static const struct node lognact = {"lognact", "Bretagne Energie Citoyenne",
    {"kermelo/pv/energy", "kermelo/school/energy"}, 2};
static const struct node maison
    = {"maison", "Household app", {"house4/linky/energy"}, 1};

// Registers n, with offers carrying kind, unit, visibility and a box, and
// node_token as the token chosen by the node ("": none).
static fed_status
reg_token(fed_rpc_client *c, const struct node *n, uint32_t lease_s,
    const char *node_token, Enfed__V1__RegisterResponse **out, char *err)
{
	Enfed__V1__Fact fact = ENFED__V1__FACT__INIT;
	fact.key = "building";
	fact.value = "primary school";
	Enfed__V1__Fact *box[] = {&fact};
	Enfed__V1__SeriesMeta metas[3], *offers[3];
	for (size_t i = 0; i < n->n_ids; i++) {
		enfed__v1__series_meta__init(&metas[i]);
		metas[i].id = (char *) n->ids[i];
		metas[i].kind = ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION;
		metas[i].unit = ENFED__V1__UNIT__UNIT_WH;
		metas[i].visibility = ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC;
		metas[i].n_box = 1;
		metas[i].box = box;
		offers[i] = &metas[i];
	}
	Enfed__V1__NodeRecord rec = ENFED__V1__NODE_RECORD__INIT;
	rec.name = (char *) n->name;
	rec.organisation = (char *) n->org;
	rec.rpc_addr = "tls+tcp://node.example:7300";
	rec.stream_addr = "tls+tcp://node.example:7301";
	rec.n_offers = n->n_ids;
	rec.offers = offers;
	Enfed__V1__RegisterRequest req = ENFED__V1__REGISTER_REQUEST__INIT;
	req.node = &rec;
	req.lease_s = lease_s;
	req.node_token = (char *) node_token;
	char buf[256];
	Enfed__V1__RegisterResponse *rep = NULL;
	fed_status st = fed_rpc_call(c, DIR_SVC, "RegisterNode", &req.base,
	    (ProtobufCMessage **) &rep, err != NULL ? err : buf, 256);
	if (out != NULL)
		*out = rep;
	else if (rep != NULL)
		enfed__v1__register_response__free_unpacked(rep, NULL);
	return st;
}

static fed_status
reg(fed_rpc_client *c, const struct node *n, uint32_t lease_s,
    Enfed__V1__RegisterResponse **out, char *err)
{
	return reg_token(c, n, lease_s, "", out, err);
}

// Registers n with the enrolment token and returns a client holding its
// node token.
static fed_rpc_client *
enrol_node(struct fix *f, const struct node *n)
{
	Enfed__V1__RegisterResponse *rep = NULL;
	assert_int_equal(reg(f->enrolled, n, 0, &rep, NULL), FED_OK);
	assert_int_equal(strlen(rep->node_token), FED_TOKEN_LEN);
	fed_rpc_client *c = client(f, rep->node_token);
	enfed__v1__register_response__free_unpacked(rep, NULL);
	return c;
}

static fed_status
lookup(fed_rpc_client *c, const char *name, const char *series,
    const char *org, Enfed__V1__LookupResponse **out, char *err)
{
	Enfed__V1__LookupRequest req = ENFED__V1__LOOKUP_REQUEST__INIT;
	req.name = (char *) name;
	req.series = (char *) series;
	req.organisation = (char *) org;
	char buf[256];
	*out = NULL;
	return fed_rpc_call(c, DIR_SVC, "Lookup", &req.base,
	    (ProtobufCMessage **) out, err != NULL ? err : buf, 256);
}

static size_t
count(fed_rpc_client *c, const char *name, const char *series, const char *org)
{
	Enfed__V1__LookupResponse *rep = NULL;
	assert_int_equal(lookup(c, name, series, org, &rep, NULL), FED_OK);
	size_t n = rep->n_nodes;
	enfed__v1__lookup_response__free_unpacked(rep, NULL);
	return n;
}

static fed_status
heartbeat(fed_rpc_client *c, const char *name, int64_t *until)
{
	Enfed__V1__HeartbeatRequest req = ENFED__V1__HEARTBEAT_REQUEST__INIT;
	req.name = (char *) name;
	Enfed__V1__HeartbeatResponse *rep = NULL;
	char err[256];
	fed_status st = fed_rpc_call(c, DIR_SVC, "Heartbeat", &req.base,
	    (ProtobufCMessage **) &rep, err, sizeof(err));
	if (rep != NULL && until != NULL)
		*until = rep->lease_expires_ms;
	if (rep != NULL)
		enfed__v1__heartbeat_response__free_unpacked(rep, NULL);
	return st;
}

static fed_status
list(fed_rpc_client *c, Enfed__V1__LookupResponse **out)
{
	Enfed__V1__ListNodesRequest req = ENFED__V1__LIST_NODES_REQUEST__INIT;
	*out = NULL;
	return fed_rpc_call(
	    c, DIR_SVC, "List", &req.base, (ProtobufCMessage **) out, NULL, 0);
}

// --- Registration and lookups -------------------------------------------

static void
test_register_and_lookup(void **state)
{
	struct fix *f = *state;
	start(f, 60000);
	Enfed__V1__RegisterResponse *rep = NULL;
	assert_int_equal(reg(f->enrolled, &lognact, 5, &rep, NULL), FED_OK);
	assert_string_equal(rep->node->name, "lognact");
	assert_true(rep->node->available);
	assert_int_equal(
	    rep->node->lease_expires_ms - rep->node->registered_ms, 5000);
	assert_int_equal(rep->node->n_offers, 2);
	fed_rpc_client *mine = client(f, rep->node_token);
	enfed__v1__register_response__free_unpacked(rep, NULL);
	// Longer than the directory's lease, or none: the directory's.
	assert_int_equal(reg(mine, &lognact, 3600, &rep, NULL), FED_OK);
	assert_string_equal(rep->node_token, "");
	int64_t granted = rep->node->lease_expires_ms - fed_clock_now_ms();
	assert_true(granted > 50000 && granted <= 60000);
	enfed__v1__register_response__free_unpacked(rep, NULL);
	fed_rpc_client *other = enrol_node(f, &maison);

	Enfed__V1__LookupResponse *lr = NULL;
	assert_int_equal(lookup(mine, "lognact", "", "", &lr, NULL), FED_OK);
	assert_int_equal(lr->n_nodes, 1);
	const Enfed__V1__NodeRecord *n = lr->nodes[0];
	assert_string_equal(n->organisation, "Bretagne Energie Citoyenne");
	assert_string_equal(n->rpc_addr, "tls+tcp://node.example:7300");
	assert_string_equal(n->stream_addr, "tls+tcp://node.example:7301");
	assert_int_equal(n->n_offers, 2);
	assert_string_equal(n->offers[1]->id, "kermelo/school/energy");
	assert_int_equal(n->offers[1]->kind,
	    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION);
	assert_int_equal(n->offers[1]->visibility,
	    ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC);
	assert_string_equal(n->offers[1]->box[0]->key, "building");
	enfed__v1__lookup_response__free_unpacked(lr, NULL);

	assert_int_equal(
	    lookup(other, "", "kermelo/pv/energy", "", &lr, NULL), FED_OK);
	assert_int_equal(lr->n_nodes, 1);
	assert_string_equal(lr->nodes[0]->name, "lognact");
	assert_int_equal(lr->nodes[0]->n_offers, 1);
	enfed__v1__lookup_response__free_unpacked(lr, NULL);
	assert_int_equal(count(f->enrolled, "", "kermelo/", ""), 1);
	assert_int_equal(count(f->enrolled, "", "house4/linky/", ""), 1);
	assert_int_equal(count(f->enrolled, "", "nowhere/", ""), 0);
	assert_int_equal(count(f->enrolled, "", "", "Household app"), 1);
	assert_int_equal(count(f->enrolled, "", "", "Nobody"), 0);
	assert_int_equal(count(f->enrolled, "maison", "", "Household app"), 1);
	assert_int_equal(count(f->enrolled, "maison", "kermelo/", ""), 0);

	assert_int_equal(list(mine, &lr), FED_OK);
	assert_int_equal(lr->n_nodes, 2);
	assert_string_equal(lr->nodes[0]->name, "lognact");
	assert_string_equal(lr->nodes[1]->name, "maison");
	// List gives no offers, only their count.
	assert_int_equal(lr->nodes[1]->n_offers, 0);
	assert_int_equal(lr->nodes[1]->offer_count, 1);
	enfed__v1__lookup_response__free_unpacked(lr, NULL);
	fed_rpc_client_free(mine);
	fed_rpc_client_free(other);
}

// --- Who may call what ------------------------------------------------------

static void
test_tokens(void **state)
{
	struct fix *f = *state;
	start(f, 60000);
	char err[256];
	Enfed__V1__LookupResponse *lr = NULL;
	assert_int_equal(
	    reg(f->anon, &lognact, 0, NULL, NULL), FED_UNAUTHENTICATED);
	assert_int_equal(list(f->anon, &lr), FED_UNAUTHENTICATED);
	assert_int_equal(lookup(f->anon, "lognact", "", "", &lr, NULL),
	    FED_UNAUTHENTICATED);
	fed_rpc_client *forged = client(f, "fed_notatokenatall");
	assert_int_equal(list(forged, &lr), FED_UNAUTHENTICATED);
	fed_rpc_client_free(forged);
	// Health needs no token.
	Enfed__V1__HealthCheckRequest hreq
	    = ENFED__V1__HEALTH_CHECK_REQUEST__INIT;
	Enfed__V1__HealthCheckResponse *hrep = NULL;
	assert_int_equal(
	    fed_rpc_call(f->anon, &enfed__v1__health__descriptor, "Check",
	        &hreq.base, (ProtobufCMessage **) &hrep, NULL, 0),
	    FED_OK);
	assert_string_equal(hrep->service, "fed-directory");
	enfed__v1__health_check_response__free_unpacked(hrep, NULL);

	fed_rpc_client *a = enrol_node(f, &lognact);
	fed_rpc_client *b = enrol_node(f, &maison);
	// The enrolment token cannot take over an existing name.
	assert_int_equal(
	    reg(f->enrolled, &maison, 0, NULL, err), FED_PERMISSION_DENIED);
	assert_null(strstr(err, "Household"));
	// A node token cannot register another node's name, nor a new one.
	assert_int_equal(reg(a, &maison, 0, NULL, err), FED_PERMISSION_DENIED);
	assert_null(strstr(err, "maison"));
	struct node fresh = {"fresh", "x", {"f/x"}, 1};
	assert_int_equal(reg(a, &fresh, 0, NULL, NULL), FED_PERMISSION_DENIED);
	assert_int_equal(heartbeat(a, "maison", NULL), FED_PERMISSION_DENIED);
	assert_int_equal(heartbeat(a, "nobody", NULL), FED_PERMISSION_DENIED);
	assert_int_equal(
	    heartbeat(f->enrolled, "lognact", NULL), FED_PERMISSION_DENIED);
	assert_int_equal(
	    heartbeat(f->anon, "lognact", NULL), FED_UNAUTHENTICATED);
	// Nothing changed for maison; its own token still works.
	assert_int_equal(count(a, "", "", "Household app"), 1);
	struct node moved = maison;
	moved.org = "Moved";
	moved.n_ids = 0; // its series' site stays Household app's
	assert_int_equal(reg(b, &moved, 0, NULL, NULL), FED_OK);
	assert_int_equal(count(a, "", "", "Moved"), 1);
	assert_int_equal(heartbeat(b, "maison", NULL), FED_OK);
	fed_rpc_client_free(a);
	fed_rpc_client_free(b);
}

// A token chosen by the node makes a resent first registration harmless.
static void
test_chosen_token(void **state)
{
	struct fix *f = *state;
	start(f, 60000);
	char mine[FED_TOKEN_LEN + 1], theirs[FED_TOKEN_LEN + 1], err[256];
	assert_int_equal(fed_token_new(mine, sizeof(mine)), FED_OK);
	assert_int_equal(fed_token_new(theirs, sizeof(theirs)), FED_OK);
	Enfed__V1__RegisterResponse *rep = NULL;
	assert_int_equal(
	    reg_token(f->enrolled, &lognact, 0, mine, &rep, NULL), FED_OK);
	assert_string_equal(rep->node_token, "");
	assert_string_equal(rep->node->name, "lognact");
	enfed__v1__register_response__free_unpacked(rep, NULL);
	assert_int_equal(
	    reg_token(f->enrolled, &lognact, 0, mine, NULL, NULL), FED_OK);
	assert_int_equal(
	    reg_token(f->enrolled, &lognact, 0, theirs, NULL, err),
	    FED_PERMISSION_DENIED);
	fed_rpc_client *a = client(f, mine);
	assert_int_equal(heartbeat(a, "lognact", NULL), FED_OK);
	fed_rpc_client_free(a);
	// Someone else's token, the enrolment token or a weak one: refused.
	assert_int_equal(reg_token(f->enrolled, &maison, 0, mine, NULL, err),
	    FED_PERMISSION_DENIED);
	assert_int_equal(
	    reg_token(f->enrolled, &maison, 0, f->enrol, NULL, err),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "node_token"));
	assert_int_equal(
	    reg_token(f->enrolled, &maison, 0, "fed_short", NULL, err),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(count(f->enrolled, "maison", "", ""), 0);
}

// --- Bad input ------------------------------------------------------------

static void
expect_bad(fed_rpc_client *c, const struct node *n, const char *field)
{
	char err[256] = "";
	assert_int_equal(reg(c, n, 0, NULL, err), FED_INVALID_ARGUMENT);
	if (strstr(err, field) == NULL)
		fail_msg("'%s' does not name %s", err, field);
}

static fed_status
reg_addr(fed_rpc_client *c, const char *rpc, const char *pub, char *err)
{
	Enfed__V1__NodeRecord rec = ENFED__V1__NODE_RECORD__INIT;
	rec.name = "addr";
	rec.organisation = "org";
	rec.rpc_addr = (char *) rpc;
	rec.stream_addr = (char *) pub;
	Enfed__V1__RegisterRequest req = ENFED__V1__REGISTER_REQUEST__INIT;
	req.node = &rec;
	Enfed__V1__RegisterResponse *rep = NULL;
	fed_status st = fed_rpc_call(c, DIR_SVC, "RegisterNode", &req.base,
	    (ProtobufCMessage **) &rep, err, 256);
	if (rep != NULL)
		enfed__v1__register_response__free_unpacked(rep, NULL);
	return st;
}

// Registers node `name` with n offers named s/<i>, each with a fact of
// value `fact` when it is not NULL. 10,000 pass, 10,001 do not.
static fed_status
reg_many(
    fed_rpc_client *c, const char *name, size_t n, const char *fact, char *err)
{
	Enfed__V1__Fact f = ENFED__V1__FACT__INIT;
	f.key = "note";
	f.value = (char *) fact;
	Enfed__V1__Fact *box[] = {&f};
	Enfed__V1__SeriesMeta *metas = calloc(n, sizeof(*metas));
	Enfed__V1__SeriesMeta **offers = calloc(n, sizeof(*offers));
	char(*ids)[24] = calloc(n, sizeof(*ids)); // "s/" and any size_t
	for (size_t i = 0; i < n; i++) {
		enfed__v1__series_meta__init(&metas[i]);
		snprintf(ids[i], sizeof(ids[i]), "s/%zu", i);
		metas[i].id = ids[i];
		metas[i].n_box = fact != NULL ? 1 : 0;
		metas[i].box = box;
		offers[i] = &metas[i];
	}
	Enfed__V1__NodeRecord rec = ENFED__V1__NODE_RECORD__INIT;
	rec.name = (char *) name;
	rec.organisation = "org";
	rec.rpc_addr = "tcp://127.0.0.1:1";
	rec.stream_addr = "tcp://127.0.0.1:2";
	rec.n_offers = n;
	rec.offers = offers;
	Enfed__V1__RegisterRequest req = ENFED__V1__REGISTER_REQUEST__INIT;
	req.node = &rec;
	Enfed__V1__RegisterResponse *rep = NULL;
	fed_status st = fed_rpc_call(c, DIR_SVC, "RegisterNode", &req.base,
	    (ProtobufCMessage **) &rep, err, 256);
	if (rep != NULL)
		enfed__v1__register_response__free_unpacked(rep, NULL);
	free(metas);
	free(offers);
	free(ids);
	return st;
}

static void
test_bad_input(void **state)
{
	struct fix *f = *state;
	start(f, 60000);
	char long_name[66], long_org[202], err[256];
	memset(long_name, 'n', 65);
	long_name[65] = '\0';
	memset(long_org, 'o', 201);
	long_org[201] = '\0';
	const struct node bad[] = {
	    {"", "org", {"a/b"}, 1},
	    {long_name, "org", {"a/b"}, 1},
	    {"has space", "org", {"a/b"}, 1},
	    {"x!", "org", {"a/b"}, 1},
	    {"ok", "", {"a/b"}, 1},
	    {"ok", long_org, {"a/b"}, 1},
	    {"ok", "tab\there", {"a/b"}, 1},
	    {"ok", "Caf\xc3", {"a/b"}, 1},
	    {"ok", "\xed\xa0\x80", {"a/b"}, 1},
	    {"ok", "\xc0\xaf", {"a/b"}, 1},
	    {"ok", "\xf4\x90\x80\x80", {"a/b"}, 1},
	    {"ok", "org", {"a b"}, 1},
	    {"ok", "org", {""}, 1},
	    {"ok", "org", {"a/b", "kermelo/"}, 2},
	    {"ok", "org", {"!members"}, 1},
	};
	const char *field[] = {"node.name", "node.name", "node.name",
	    "node.name", "node.organisation", "node.organisation",
	    "node.organisation", "node.organisation", "node.organisation",
	    "node.organisation", "node.organisation", "node.offers[0].id",
	    "node.offers[0].id", "node.offers[1].id", "node.offers[0].id"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad(f->enrolled, &bad[i], field[i]);
	assert_int_equal(
	    reg_addr(f->enrolled, "http://x", "tcp://127.0.0.1:1", err),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "node.rpc_addr"));
	assert_int_equal(
	    reg_addr(f->enrolled, "ipc:///x", "", err), FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "node.stream_addr"));
	Enfed__V1__RegisterRequest empty = ENFED__V1__REGISTER_REQUEST__INIT;
	Enfed__V1__RegisterResponse *rrep = NULL;
	assert_int_equal(
	    fed_rpc_call(f->enrolled, DIR_SVC, "RegisterNode", &empty.base,
	        (ProtobufCMessage **) &rrep, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "node"));
	assert_int_equal(reg_many(f->enrolled, "many", 10001, NULL, err),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "node.offers"));
	assert_int_equal(reg_many(f->enrolled, "many", 1, "bad \xff", err),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "node.offers[0].box[0].value"));
	assert_int_equal(
	    reg_many(f->enrolled, "many", 10000, NULL, err), FED_OK);
	// Any valid UTF-8 passes.
	struct node accents = {"accents", "Énergie citoyenne ☀ 🌞", {"a/b"}, 1};
	assert_int_equal(reg(f->enrolled, &accents, 0, NULL, NULL), FED_OK);
	assert_int_equal(count(f->enrolled, "", "s/", ""), 1);

	Enfed__V1__LookupResponse *lr = NULL;
	assert_int_equal(
	    lookup(f->enrolled, "", "", "", &lr, err), FED_INVALID_ARGUMENT);
	assert_int_equal(lookup(f->enrolled, "", "a b", "", &lr, err),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "series"));
	assert_int_equal(lookup(f->enrolled, "bad name", "", "", &lr, err),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "name"));
	// Nothing of the refused registrations was stored.
	assert_int_equal(list(f->enrolled, &lr), FED_OK);
	assert_int_equal(lr->n_nodes, 2);
	assert_string_equal(lr->nodes[0]->organisation, accents.org);
	enfed__v1__lookup_response__free_unpacked(lr, NULL);
}

// --- Events and leases ------------------------------------------------------

#define MAX_EV 64

struct events {
	int n;
	int kind[MAX_EV];
	char name[MAX_EV][72];
	int available[MAX_EV];
	size_t n_offers[MAX_EV];
};

static void
on_event(const fed_stream_event *ev, void *arg)
{
	struct events *e = arg;
	assert_int_equal(ev->kind, FED_STREAM_MSG);
	assert_string_equal(ev->topic, "!members");
	Enfed__V1__MembershipEvent *m
	    = enfed__v1__membership_event__unpack(NULL, ev->msg_len, ev->msg);
	assert_non_null(m);
	assert_non_null(m->node);
	assert_true(m->ts_ms > 0);
	if (e->n < MAX_EV) {
		e->kind[e->n] = (int) m->kind;
		snprintf(
		    e->name[e->n], sizeof(e->name[0]), "%s", m->node->name);
		e->available[e->n] = m->node->available;
		e->n_offers[e->n] = m->node->n_offers;
		e->n++;
	}
	enfed__v1__membership_event__free_unpacked(m, NULL);
}

// Index of the first event of kind for name, or -1.
static int
find_event(const struct events *e, int kind, const char *name)
{
	for (int i = 0; i < e->n; i++) {
		if (e->kind[i] == kind && strcmp(e->name[i], name) == 0)
			return i;
	}
	return -1;
}

// Receives until an event of kind for name arrives or timeout_ms pass.
static int
wait_event(fed_stream_sub *sub, struct events *e, int kind, const char *name,
    int timeout_ms)
{
	int64_t until = fed_clock_mono_ms() + timeout_ms;
	int i;
	while (
	    (i = find_event(e, kind, name)) < 0 && fed_clock_mono_ms() < until)
		fed_stream_sub_recv(sub, 50, on_event, e);
	return i;
}

// Subscribes to "!members" and waits until the subscription is live:
// re-registers a probe node (each registration is an event) until one
// arrives.
static fed_stream_sub *
subscribe(struct fix *f, struct events *e)
{
	fed_stream_sub_opts o = {.url = f->pub_url};
	fed_stream_sub *sub = NULL;
	assert_int_equal(fed_stream_sub_new(&o, &sub), FED_OK);
	assert_int_equal(fed_stream_sub_subscribe(sub, "!members"), FED_OK);
	static const struct node probe = {"probe", "test", {"p/x"}, 1};
	fed_rpc_client *p = enrol_node(f, &probe);
	int64_t until = fed_clock_mono_ms() + 5000;
	while (e->n == 0 && fed_clock_mono_ms() < until) {
		assert_int_equal(reg(p, &probe, 0, NULL, NULL), FED_OK);
		fed_stream_sub_recv(sub, 50, on_event, e);
	}
	assert_true(e->n > 0);
	fed_rpc_client_free(p);
	return sub;
}

static void
test_events_and_expiry(void **state)
{
	struct fix *f = *state;
	start(f, 300);
	struct events e = {0};
	fed_stream_sub *sub = subscribe(f, &e);
	fed_rpc_client *a = enrol_node(f, &lognact);
	int i = wait_event(sub, &e, ENFED__V1__MEMBERSHIP_EVENT__KIND__JOINED,
	    "lognact", 5000);
	assert_true(i >= 0);
	assert_true(e.available[i]);
	assert_int_equal(e.n_offers[i], 2);
	// A heartbeat pushes the end of the lease forward.
	int64_t first = 0, second = 0;
	assert_int_equal(heartbeat(a, "lognact", &first), FED_OK);
	int64_t t0 = fed_clock_mono_ms();
	while (fed_clock_mono_ms() < t0 + 5)
		fed_stream_sub_recv(sub, 5, on_event, &e);
	assert_int_equal(heartbeat(a, "lognact", &second), FED_OK);
	assert_true(second > first);
	assert_true(reg(a, &lognact, 0, NULL, NULL) == FED_OK);
	assert_true(
	    wait_event(sub, &e, ENFED__V1__MEMBERSHIP_EVENT__KIND__UPDATED,
	        "lognact", 5000)
	    >= 0);
	// Left alone, the lease runs out: unavailable, not forgotten.
	i = wait_event(sub, &e, ENFED__V1__MEMBERSHIP_EVENT__KIND__EXPIRED,
	    "lognact", 5000);
	assert_true(i >= 0);
	assert_false(e.available[i]);
	assert_int_equal(e.n_offers[i], 2);
	Enfed__V1__LookupResponse *lr = NULL;
	assert_int_equal(lookup(a, "lognact", "", "", &lr, NULL), FED_OK);
	assert_int_equal(lr->n_nodes, 1);
	assert_false(lr->nodes[0]->available);
	assert_int_equal(lr->nodes[0]->n_offers, 2);
	enfed__v1__lookup_response__free_unpacked(lr, NULL);
	// Its token still works: a heartbeat brings it back.
	assert_int_equal(heartbeat(a, "lognact", NULL), FED_OK);
	i = wait_event(sub, &e, ENFED__V1__MEMBERSHIP_EVENT__KIND__RENEWED,
	    "lognact", 5000);
	assert_true(i >= 0);
	assert_true(e.available[i]);
	// A registration of more than 256 KiB is refused, naming the limit,
	// and nothing of it is stored or published.
	char fact[200];
	memset(fact, 'x', sizeof(fact) - 1);
	fact[sizeof(fact) - 1] = '\0';
	char err[256];
	assert_int_equal(reg_many(f->enrolled, "big", 10000, fact, err),
	    FED_RESOURCE_EXHAUSTED);
	assert_non_null(strstr(err, "node: at most 262144 bytes"));
	assert_int_equal(count(a, "big", "", ""), 0);
	assert_true(
	    find_event(&e, ENFED__V1__MEMBERSHIP_EVENT__KIND__JOINED, "big")
	    < 0);
	fed_rpc_client_free(a);
	fed_stream_sub_free(sub);
}

// --- Restart ----------------------------------------------------------------

static void
test_restart_keeps_everything(void **state)
{
	struct fix *f = *state;
	start(f, 60000);
	Enfed__V1__RegisterResponse *rep = NULL;
	assert_int_equal(reg(f->enrolled, &lognact, 0, &rep, NULL), FED_OK);
	char token[FED_TOKEN_LEN + 1];
	snprintf(token, sizeof(token), "%s", rep->node_token);
	int64_t registered = rep->node->registered_ms;
	enfed__v1__register_response__free_unpacked(rep, NULL);
	fed_rpc_client *b = enrol_node(f, &maison);
	stop(f);
	fed_rpc_client_free(b);

	start(f, 60000);
	Enfed__V1__LookupResponse *lr = NULL;
	assert_int_equal(list(f->enrolled, &lr), FED_OK);
	assert_int_equal(lr->n_nodes, 2);
	assert_string_equal(lr->nodes[0]->name, "lognact");
	assert_int_equal(lr->nodes[0]->registered_ms, registered);
	assert_true(lr->nodes[0]->available);
	assert_int_equal(lr->nodes[0]->offer_count, 2);
	enfed__v1__lookup_response__free_unpacked(lr, NULL);
	assert_int_equal(
	    lookup(f->enrolled, "lognact", "", "", &lr, NULL), FED_OK);
	assert_int_equal(lr->nodes[0]->n_offers, 2);
	assert_string_equal(
	    lr->nodes[0]->offers[0]->box[0]->value, "primary school");
	enfed__v1__lookup_response__free_unpacked(lr, NULL);
	assert_int_equal(count(f->enrolled, "", "house4/", ""), 1);
	// The node token survives; the name is still protected.
	fed_rpc_client *a = client(f, token);
	assert_int_equal(heartbeat(a, "lognact", NULL), FED_OK);
	assert_int_equal(reg(a, &lognact, 0, NULL, NULL), FED_OK);
	assert_int_equal(
	    reg(f->enrolled, &lognact, 0, NULL, NULL), FED_PERMISSION_DENIED);
	fed_rpc_client_free(a);
}

// A service that cannot start leaves nothing behind (the leak checker
// would see it) and says why.
static void
test_start_failures(void **state)
{
	struct fix *f = *state;
	start(f, 60000);
	char db2[600], other[256];
	snprintf(db2, sizeof(db2), "%s/second.db", f->dir);
	fed_test_ipc_url(other, sizeof(other), "dir-other");
	char hash[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(f->enrol, hash);
	dir_service_opts o = {.listen = f->rpc_url,
	    .stream = other,
	    .db_path = db2,
	    .sync_full = true,
	    .enrol_hash = hash,
	    .lease_ms = 1000,
	    .check_ms = 20};
	dir_service *d = NULL;
	assert_int_equal(dir_service_new(&o, &d), FED_UNAVAILABLE);
	assert_null(d);
	o.listen = "http://127.0.0.1:1";
	assert_int_equal(dir_service_new(&o, &d), FED_INVALID_ARGUMENT);
	o.listen = other;
	o.stream = f->pub_url;
	assert_int_equal(dir_service_new(&o, &d), FED_UNAVAILABLE);
	fed_test_ipc_url(other, sizeof(other), "dir-other");
	o.listen = other;
	o.stream = "inproc://dir-other-stream";
	o.enrol_hash = "not hex";
	assert_int_equal(dir_service_new(&o, &d), FED_INVALID_ARGUMENT);
	o.enrol_hash = hash;
	o.db_path = f->dir; // a folder, not a database
	assert_int_equal(dir_service_new(&o, &d), FED_UNAVAILABLE);
	o.db_path = db2;
	assert_int_equal(dir_service_new(&o, &d), FED_OK);
	dir_service_free(d);
}

// A site (kermelo/) belongs to the organisation whose node offered under
// it first: a node of another organisation may not offer a series there,
// and the refusal names the field, not the organisation.
static void
test_sites_tied_to_organisation(void **state)
{
	struct fix *f = *state;
	start(f, 60000);
	fed_rpc_client *a = enrol_node(f, &lognact);
	struct node thief
	    = {"thief", "Someone Else", {"own/x", "kermelo/pv/energy"}, 2};
	char err[256] = "";
	assert_int_equal(
	    reg(f->enrolled, &thief, 0, NULL, err), FED_PERMISSION_DENIED);
	assert_non_null(strstr(err, "node.offers[1].id"));
	assert_null(strstr(err, "Bretagne"));
	assert_int_equal(count(a, "thief", "", ""), 0);
	// Another series under the site: refused as well.
	struct node other = {"thief", "Someone Else", {"kermelo/new"}, 1};
	assert_int_equal(
	    reg(f->enrolled, &other, 0, NULL, err), FED_PERMISSION_DENIED);
	// A second node of the same organisation may offer there.
	struct node peer
	    = {"lognact2", "Bretagne Energie Citoyenne", {"kermelo/new"}, 1};
	assert_int_equal(reg(f->enrolled, &peer, 0, NULL, NULL), FED_OK);
	assert_int_equal(count(a, "", "kermelo/", ""), 2);
	fed_rpc_client_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_register_and_lookup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_chosen_token, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_events_and_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_restart_keeps_everything, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_start_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_sites_tied_to_organisation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
