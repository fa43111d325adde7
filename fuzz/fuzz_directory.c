// SPDX-License-Identifier: MIT
//
// fuzz_directory.c: libFuzzer target for fed-directory's handlers behind
// the RPC runtime's dispatch: every method of Directory and Health,
// served in-process over a real directory database in a temporary folder,
// so that what one input registers the next may renew, look up or list.
// The database is emptied every FUZZ_RESET_EVERY inputs, so that a long
// run stays bounded.
//
// Input (fuzz_serve.h): byte 0 picks the method, byte 1 the token (the
// federation's enrolment token, a node token an input may have
// registered, none, or a forged one) and the codec, the rest is the
// request body.

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "dir_rpc.h"
#include "dir_store.h"
#include "enfed/v1/directory.pb-c.h"
#include "enfed/v1/health.pb-c.h"
#include "fed/health.h"
#include "fed/token.h"
#include "fuzz_serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#define ENROL "fuzz-enrolment-token"
#define NODE  "fuzz-node-token"

static struct {
	char dir[64];
	dir_store *store;
	dir_rpc *rpc;
	fed_rpc_server *srv;
	unsigned long n_inputs;
} f;

static const ProtobufCServiceDescriptor *const services[] = {
    &enfed__v1__directory__descriptor,
    &enfed__v1__health__descriptor,
};

static void
cleanup(void)
{
	fed_rpc_server_free(f.srv);
	dir_rpc_free(f.rpc);
	dir_store_close(f.store);
	f.srv = NULL;
	f.rpc = NULL;
	f.store = NULL;
}

// Opens the directory database (empty the first time and after each
// reset) and the server over it.
static void
open_all(void)
{
	char db[128], hash[FED_TOKEN_HASH_LEN + 1];
	snprintf(db, sizeof(db), "%s/directory.db", f.dir);
	fed_token_hash(ENROL, hash);
	if (dir_store_open(db, false, &f.store) != FED_OK)
		abort();
	dir_rpc_opts o
	    = {.store = f.store, .enrol_hash = hash, .lease_ms = 60000};
	if (dir_rpc_new(&o, &f.rpc) != FED_OK)
		abort();
	fed_rpc_server_opts ro;
	fed_rpc_server_opts_default(&ro);
	ro.auth = dir_rpc_auth;
	ro.auth_arg = f.rpc;
	ro.codec.max_len = 1u << 20;
	if (fed_rpc_server_new(&ro, &f.srv) != FED_OK
	    || dir_rpc_add(f.srv, f.rpc) != FED_OK
	    || fed_health_register(f.srv, "fed-directory", "fuzz") != FED_OK)
		abort();
}

static void
setup(void)
{
	fuzz_tmpdir(f.dir, "directory");
	open_all();
	atexit(cleanup); // runs before the folder is removed
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const tokens[] = {ENROL, NODE, "", "fed_forged"};
	if (f.srv == NULL) {
		setup();
	} else if (++f.n_inputs % FUZZ_RESET_EVERY == 0) {
		cleanup(); // a fresh, empty database: what inputs register
		fuzz_remove_db(f.dir, "directory.db"); // stays bounded
		open_all();
	}
	fuzz_serve(f.srv, services, sizeof(services) / sizeof(services[0]),
	    tokens, 4, data, len);
	return 0;
}
