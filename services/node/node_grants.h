// SPDX-License-Identifier: MIT
//
// node_grants.h: consent grants on the owner's node.
//
// A grant is the owner's consent that another node (the grantee) may
// receive a series (an id, or every series under a prefix ending in '/'):
// with the `query` scope, query it with the grant's token, within the
// grant's time range of data and no finer than its finest step (a grant
// of daily totals never yields the 5-minute curve: node_policy.h); with
// the `live` scope, receive it by replication (node_replicate.h). A grant ends
// when it expires or is revoked; revocation takes effect for the next request.
//
// The grants live in the store (their tokens as SHA-256 only) and in
// memory: entries are never freed while the table lives (a revoked grant
// is only marked), so a pointer handed to the RPC auth hook stays valid;
// their `revoked` flag is atomic. Thread-safe.

#ifndef NODE_GRANTS_H
#define NODE_GRANTS_H

#include <stdatomic.h>
#include <stdint.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "node_auth.h"
#include "store.h"

typedef struct node_grant {
	node_principal principal; // role NODE_ROLE_GRANTEE; name = grantee
	char id[40];
	char series[208]; // id, or a prefix ending in '/'
	char grantee[72];
	unsigned scopes; // NODE_STORE_SCOPE_* bits
	int finest_step; // an Enfed__V1__Step
	int64_t from_ms, to_ms; // data covered; to_ms 0: open-ended
	int64_t expires_ms; // 0: never
	int64_t created_ms;
	atomic_int revoked;
	char grantee_addr[256];
} node_grant;

typedef struct node_grants node_grants;

// Loads the grants of `store` (borrowed; must outlive the table).
fed_status node_grants_new(node_store *store, node_grants **out);

// Frees the table. NULL does nothing.
void node_grants_free(node_grants *gs);

// The grant whose token hashes to `hash` (hex SHA-256), whatever its
// state, or NULL. The pointer stays valid until node_grants_free.
const node_grant *node_grants_by_hash(node_grants *gs, const char *hash);

// The grant with this id, or NULL; valid until node_grants_free.
const node_grant *node_grants_by_id(node_grants *gs, const char *id);

// 1 when g is neither revoked nor expired at now_ms and has `scope`.
int node_grant_usable(const node_grant *g, unsigned scope, int64_t now_ms);

// 1 when g covers series `id`.
int node_grant_covers(const node_grant *g, const char *id);

// Registers the enfed.v1.Grants service (Create, List, Revoke, Log) on srv.
fed_status node_grants_register(fed_rpc_server *srv, node_grants *gs);

#endif // NODE_GRANTS_H
