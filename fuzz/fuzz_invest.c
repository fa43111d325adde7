// SPDX-License-Identifier: MIT
//
// fuzz_invest.c: libFuzzer target for fed-invest's handlers behind the RPC
// runtime's dispatch: every method of Invest and Health, served in-process
// (fed_rpc_server_serve_bytes) over a real invest database in a temporary
// folder, registered by the same function as fed-invest's main.c.
//
// The figures are computed from a real fed-node started in this process
// (its store, auth and SeriesStore handlers, served by its own workers on
// an inproc:// address): a production series and a consumption series of
// points every 6 hours through 2025 and 2026, read with a reader token, as
// fed-invest reads a node. fed-invest also knows a second node, "down",
// at an inproc:// address where nothing listens: a project or a link on
// it takes the UNAVAILABLE path after the node timeout (FUZZ_NODE_MS).
//
// The database starts from a baseline (a project of the organisation
// whose token is below, on the node's production series; investors alice,
// with the investor token, and bob holding shares of it; alice's
// consumption linked) so that the figures succeed from the first input,
// and is reset to it every FUZZ_RESET_EVERY inputs: what one input creates
// the next may update, hold, list or compute, and the database stays small
// however long the run.
//
// Input (fuzz_serve.h): byte 0 picks the method, byte 1 the token (the
// administrator's, the organisation's, the investor alice's, or a forged
// one) and the codec, the rest is the request body.

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enfed/v1/health.pb-c.h"
#include "enfed/v1/invest.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/health.h"
#include "fed/rpc.h"
#include "fed/token.h"
#include "fed/tz.h"
#include "fuzz_serve.h"
#include "invest_auth.h"
#include "invest_nodes.h"
#include "invest_rpc.h"
#include "invest_store.h"
#include "node_auth.h"
#include "node_rpc.h"
#include "node_server.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#define ADMIN    "fuzz-admin-token"
#define ORG_TOK  "fuzz-organisation-token"
#define ALICE    "fuzz-investor-token"
#define READER   "fuzz-reader-token" // fed-invest's token on the node
#define ORG      "Fuzz Energie Citoyenne"
#define NODE_URL "inproc://fuzz-invest-node"
#define DOWN_URL "inproc://fuzz-invest-down"

#define FUZZ_NODE_MS 40 // deadline of a call to a node

#define HOUR      INT64_C(3600000)
#define Y2025     INT64_C(1735686000000) // 2025-01-01T00:00+01:00
#define Y2027     INT64_C(1798758000000) // 2027-01-01T00:00+01:00
#define JUNE_2025 INT64_C(1748728800000) // 2025-06-01T00:00+02:00

static struct {
	char dir[64], invest_dir[128];
	// The fed-node.
	node_store *nstore;
	node_auth *nauth;
	node_grants *ngrants;
	node_policy *npolicy;
	node_rpc nr;
	fed_rpc_server *node;
	// fed-invest.
	invest_auth *auth;
	invest_nodes *nodes;
	fed_tz *tz;
	invest_store *store;
	invest_rpc ir;
	fed_rpc_server *srv;
	unsigned long n_inputs;
} f;

static const ProtobufCServiceDescriptor *const services[] = {
    &enfed__v1__invest__descriptor,
    &enfed__v1__health__descriptor,
};

static void
cleanup(void)
{
	fed_rpc_server_free(f.srv);
	invest_nodes_free(f.nodes);
	invest_store_close(f.store);
	invest_auth_free(f.auth);
	fed_tz_free(f.tz);
	fed_rpc_server_free(f.node);
	node_policy_free(f.npolicy);
	node_grants_free(f.ngrants);
	node_store_close(f.nstore);
	node_auth_free(f.nauth);
}

// DIR/name holding text, its path in path (128 bytes).
static void
write_at(char *path, const char *name, const char *text)
{
	snprintf(path, 128, "%s/%s", f.dir, name);
	FILE *t = fopen(path, "w");
	if (t == NULL || fputs(text, t) < 0 || fclose(t) != 0)
		abort();
}

// A series of the node with a point of `wh` every 6 hours of 2025-2026.
static void
node_series(const char *id, Enfed__V1__SeriesKind kind, double wh)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = kind;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 6 * 3600;
	m.source = "simulator";
	m.owner = ORG;
	node_store_err e = {{0}};
	enum {
		N = (int) ((Y2027 - Y2025) / (6 * HOUR))
	};
	static int64_t ts[N];
	static double v[N];
	for (size_t i = 0; i < N; i++) {
		ts[i] = Y2025 + (int64_t) i * 6 * HOUR;
		v[i] = wh;
	}
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT,
	                        *sps[1] = {&sp};
	sp.series_id = (char *) id;
	sp.ts_ms = ts;
	sp.value = v;
	sp.n_ts_ms = sp.n_value = N;
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = sps;
	req.n_series = 1;
	if (node_store_create(f.nstore, &m, NULL, &e) != FED_OK
	    || node_store_append(f.nstore, &req, NULL, &e) != FED_OK)
		abort();
}

// The fed-node fed-invest reads, serving SeriesStore on NODE_URL.
static void
start_node(void)
{
	char tokens[128], err[256], text[128], h[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(READER, h);
	snprintf(text, sizeof(text), "fed-invest reader %s\n", h);
	write_at(tokens, "node-tokens", text);
	node_store_opts so;
	node_store_opts_init(&so);
	so.sync_normal = 1; // speed: durability is not what is fuzzed
	node_store_err e = {{0}};
	if (node_store_open(f.dir, &so, &f.nstore, &e) != FED_OK
	    || node_auth_new(ADMIN, NULL, tokens, &f.nauth, err, sizeof(err))
	        != FED_OK
	    || node_grants_new(f.nstore, &f.ngrants) != FED_OK
	    || node_policy_new(f.nstore, f.ngrants, &f.npolicy) != FED_OK)
		abort();
	node_auth_set_grants(f.nauth, f.ngrants);
	node_series("fuzz/pv/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION, 1000);
	node_series("fuzz/home/energy",
	    ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION, 2500);
	fed_rpc_server_opts ro;
	fed_rpc_server_opts_default(&ro);
	ro.n_workers = 2;
	f.nr = (node_rpc) {.store = f.nstore,
	    .max_batch_points = 100000,
	    .max_query_series = 64};
	node_server_parts parts = {.auth = f.nauth,
	    .policy = f.npolicy,
	    .series = &f.nr,
	    .grants = f.ngrants,
	    .name = "fuzz"};
	if (node_server_new(&parts, &ro, &f.node, err, sizeof(err)) != FED_OK
	    || fed_rpc_server_listen(f.node, NODE_URL, NULL) != FED_OK
	    || fed_rpc_server_start(f.node) != FED_OK)
		abort();
}

// The baseline state of the invest database (see the header).
static void
baseline(void)
{
	char err[384];
	invest_factors *fa = &f.ir.factors;
	Enfed__V1__Project p = ENFED__V1__PROJECT__INIT;
	p.id = "fuzz-pv";
	p.name = "Fuzz PV";
	p.organisation = ORG;
	p.type = ENFED__V1__INSTALLATION_TYPE__INSTALLATION_PHOTOVOLTAIC;
	p.peak_kw = 36;
	p.cost_cents = 3400000;
	p.share_price_cents = 25000;
	p.commissioned_ms = Y2025;
	p.series_id = "fuzz/pv/energy";
	invest_holding alice = {"alice", "fuzz-pv", 2, JUNE_2025};
	invest_holding bob = {"bob", "fuzz-pv", 100, Y2025};
	invest_link home = {"fuzz/home/energy", ""};
	if (invest_calc_check_project(&p, fa, err, sizeof(err)) != FED_OK
	    || invest_store_project_create(f.store, &p, err, sizeof(err))
	        != FED_OK
	    || invest_store_holding_put(f.store, &alice, err, sizeof(err))
	        != FED_OK
	    || invest_store_holding_put(f.store, &bob, err, sizeof(err))
	        != FED_OK
	    || invest_store_link_put(f.store, "alice", &home, err, sizeof(err))
	        != FED_OK) {
		fprintf(stderr, "fuzz_invest: baseline: %s\n", err);
		abort();
	}
}

// A fresh invest database holding the baseline.
static void
open_store(void)
{
	char err[256];
	invest_store_close(f.store);
	f.store = NULL;
	fuzz_remove_db(f.invest_dir, "invest.db");
	if (invest_store_open(f.invest_dir, &f.store, err, sizeof(err))
	    != FED_OK) {
		fprintf(stderr, "fuzz_invest: store: %s\n", err);
		abort();
	}
	f.ir.store = f.store;
	baseline();
}

static void
setup(void)
{
	char tokens[128], err[384], text[512];
	char ho[FED_TOKEN_HASH_LEN + 1], ha[FED_TOKEN_HASH_LEN + 1];
	fuzz_tmpdir(f.dir, "invest");
	snprintf(f.invest_dir, sizeof(f.invest_dir), "%s/invest", f.dir);
	if (mkdir(f.invest_dir, 0700) != 0)
		abort();
	start_node();
	fed_token_hash(ORG_TOK, ho);
	fed_token_hash(ALICE, ha);
	snprintf(text, sizeof(text),
	    "org organisation %s " ORG "\nalice investor %s alice\n", ho, ha);
	write_at(tokens, "invest-tokens", text);
	if (invest_auth_new(ADMIN, NULL, tokens, &f.auth, err, sizeof(err))
	        != FED_OK
	    || invest_nodes_new("node=" NODE_URL ",down=" DOWN_URL, READER,
	           FUZZ_NODE_MS, &f.nodes, err, sizeof(err))
	        != FED_OK
	    || fed_tz_load("Europe/Paris", &f.tz) != FED_OK)
		abort();
	f.ir = (invest_rpc) {.nodes = f.nodes, .auth = f.auth, .tz = f.tz};
	invest_factors_default(&f.ir.factors);
	open_store();
	fed_rpc_server_opts ro;
	fed_rpc_server_opts_default(&ro);
	ro.auth = invest_auth_check;
	ro.auth_arg = f.auth;
	ro.codec.max_len = 1u << 20;
	if (fed_rpc_server_new(&ro, &f.srv) != FED_OK
	    || invest_rpc_register(f.srv, &f.ir) != FED_OK
	    || fed_health_register(f.srv, "fed-invest", "fuzz") != FED_OK)
		abort();
	atexit(cleanup); // runs before the folder is removed
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const tokens[]
	    = {ADMIN, ORG_TOK, ALICE, "fed_forged"};
	if (f.srv == NULL)
		setup();
	else if (++f.n_inputs % FUZZ_RESET_EVERY == 0)
		open_store();
	fuzz_serve(f.srv, services, sizeof(services) / sizeof(services[0]),
	    tokens, 4, data, len);
	return 0;
}
