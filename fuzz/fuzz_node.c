// SPDX-License-Identifier: MIT
//
// fuzz_node.c: libFuzzer target for fed-node's handlers behind the RPC
// runtime's dispatch: every method of SeriesStore, Grants and Health,
// served in-process (fed_rpc_server_serve_bytes) over a real store in a
// temporary folder, exactly as a worker serves a request. The store is
// emptied every FUZZ_RESET_EVERY inputs, so that a long run stays bounded.
//
// Input (fuzz_serve.h): byte 0 picks the method, byte 1 the token (the
// administrator's, a writer's limited to "f/", none, or a forged one) and
// the codec (none or zstd, a bad codec number too), the rest is the
// request body.

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/health.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/health.h"
#include "fed/rpc.h"
#include "fed/token.h"
#include "fuzz_serve.h"
#include "node_auth.h"
#include "node_grants.h"
#include "node_server.h"
#include "node_rpc.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#define ADMIN  "fuzz-admin-token"
#define WRITER "fuzz-writer-token"

static struct {
	char dir[64];
	node_store *store;
	node_auth *auth;
	node_grants *grants;
	node_policy *policy;
	node_rpc nr;
	fed_rpc_server *srv;
	unsigned long n_inputs;
} f;

static const ProtobufCServiceDescriptor *const services[] = {
    &enfed__v1__series_store__descriptor,
    &enfed__v1__grants__descriptor,
    &enfed__v1__health__descriptor,
};

static void
cleanup(void)
{
	fed_rpc_server_free(f.srv);
	node_policy_free(f.policy);
	node_grants_free(f.grants);
	node_store_close(f.store);
	node_auth_free(f.auth);
	f.srv = NULL;
	f.grants = NULL;
	f.policy = NULL;
	f.store = NULL;
	f.auth = NULL;
}

// Opens the store (empty the first time and after each reset), the
// tokens, the grants and the server over them.
static void
open_all(void)
{
	char tokens[128];
	snprintf(tokens, sizeof(tokens), "%s/tokens", f.dir);
	node_store_opts so;
	node_store_opts_init(&so);
	so.sync_normal = 1; // speed: durability is not what is fuzzed
	node_store_err e = {{0}};
	char err[256];
	if (node_store_open(f.dir, &so, &f.store, &e) != FED_OK
	    || node_auth_new(ADMIN, NULL, tokens, &f.auth, err, sizeof(err))
	        != FED_OK
	    || node_grants_new(f.store, &f.grants) != FED_OK
	    || node_policy_new(f.store, f.grants, &f.policy) != FED_OK)
		abort();
	node_auth_set_grants(f.auth, f.grants);
	fed_rpc_server_opts ro;
	fed_rpc_server_opts_default(&ro);
	ro.codec.max_len = 1u << 20;
	f.nr = (node_rpc) {.store = f.store,
	    .max_batch_points = 100000,
	    .max_query_series = 64};
	node_server_parts parts = {.auth = f.auth,
	    .policy = f.policy,
	    .series = &f.nr,
	    .grants = f.grants,
	    .name = "fuzz"};
	if (node_server_new(&parts, &ro, &f.srv, err, sizeof(err)) != FED_OK)
		abort();
}

static void
setup(void)
{
	fuzz_tmpdir(f.dir, "node");
	char tokens[128];
	snprintf(tokens, sizeof(tokens), "%s/tokens", f.dir);
	FILE *t = fopen(tokens, "w");
	if (t == NULL)
		abort();
	char hash[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(WRITER, hash);
	fprintf(t, "edge writer %s f/\n", hash); // limited to "f/"
	fclose(t);
	open_all();
	atexit(cleanup); // runs before the folder is removed
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const tokens[] = {ADMIN, WRITER, "", "fed_forged"};
	if (f.srv == NULL) {
		setup();
	} else if (++f.n_inputs % FUZZ_RESET_EVERY == 0) {
		cleanup(); // a fresh, empty store: what inputs create stays
		fuzz_remove_db(f.dir, "series.db"); // bounded
		open_all();
	}
	fuzz_serve(f.srv, services, sizeof(services) / sizeof(services[0]),
	    tokens, 4, data, len);
	return 0;
}
