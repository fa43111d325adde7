// SPDX-License-Identifier: MIT
//
// node_auth.h: who may call what on a fed-node.
//
// A node knows its tokens by their SHA-256 hashes only: the administrator's
// (from the config) and the local apps' (a tokens file, one
// `name role sha256hex [prefix/,prefix/...]` per line). Each has a role:
// reader (query, list, latest), writer (a reader that may also ingest and
// create series: collectors, simulators), owner (a household: reads its
// series and manages the grants on them), replica (another node pushing
// its own series here), admin (everything). A reader, writer, owner or
// replica may be limited to one or more series prefixes (an owner must
// be).
//
// This module only says WHO calls: the token becomes a principal. WHAT the
// principal may do with a method and the series it names is decided in one
// place, node_policy.h; the auth hook asks it which roles may call the
// method at all, before the body is decoded.
//
// The table is read at start and again at each reload (SIGHUP,
// node_auth_reload): the new table is built whole, then swapped in under
// a lock that the auth hook holds only while it copies a principal out, so
// a call never sees a half-built table and a removed token is refused from
// the next call on. A file that cannot be read keeps the old table.

#ifndef NODE_AUTH_H
#define NODE_AUTH_H

#include <stddef.h>

#include "fed/status.h"

typedef enum node_role {
	NODE_ROLE_GRANTEE = 0, // another node holding a grant token
	NODE_ROLE_MEMBER = 5, // any node of the federation (a token the
	                      // directory accepts): the public series only
	NODE_ROLE_REPLICA = 4, // another node replicating its series here:
	                       // Ingest and CreateSeries of series whose
	                       // origin is that node, nothing else
	NODE_ROLE_READER = 1,
	NODE_ROLE_WRITER = 2,
	NODE_ROLE_ADMIN = 3,
	NODE_ROLE_OWNER = 6, // a household: reads its series (a prefix) and
	                     // manages the grants on them
	NODE_ROLE_NONE = 7, // no token (Health only)
} node_role;

#define NODE_ROLE_BIT(r) (1u << (unsigned) (r))

// One known token.
typedef struct node_principal {
	char name[64]; // "admin", "edge-kermelo", ...
	node_role role;
	char hash[65]; // hex SHA-256 of the token
	// Readers, writers, owners and replicas: when not empty, the series
	// prefixes their token is limited to, comma-separated, each ending
	// in '/' ("kermelo/": an edge board's own meters; for a replica, the
	// series its node may replicate here).
	char prefixes[512];
} node_principal;

// 1 when principal p's prefixes (none: every series) cover `id`, a series
// id or a prefix ending in '/' (a grant's pattern). Roles are not looked
// at: node_policy.h decides what a role may do.
int node_principal_covers(const node_principal *p, const char *id);

typedef struct node_auth node_auth;

// Builds the table from the admin token (plain, hashed here; may be NULL
// or empty), the admin token's hash (may be NULL or empty) and a tokens
// file (may be NULL or empty: none). INVALID_ARGUMENT with a message in
// err (file:line) for a malformed line or unknown role; NOT_FOUND when the
// file does not exist. *out is owned by the caller (node_auth_free).
fed_status node_auth_new(const char *admin_token, const char *admin_hash,
    const char *tokens_file, node_auth **out, char *err, size_t err_len);

// Frees the table. NULL does nothing.
void node_auth_free(node_auth *a);

// Reads the admin token, its hash and the tokens file given to
// node_auth_new again into a new table and swaps it in while calls run.
// On an error (as node_auth_new's, with its message in err) the table in
// force stays. Thread-safe against node_auth_check.
fed_status node_auth_reload(node_auth *a, char *err, size_t err_len);

struct node_grants;

// Lets the table accept the grant tokens of gs (borrowed; may be NULL):
// a grant token may call Query, GetSeries, Latest and ListSeries, and the
// handlers check what its grant covers. Call before serving.
void node_auth_set_grants(node_auth *a, struct node_grants *gs);

// Lets the table accept, for reading public series, any token that
// is_member(token, peer, arg) says belongs to a federation member (the
// directory knows it); peer is the caller's address (fed_rpc_ctx_peer),
// for limits per source. The check may block; it runs on RPC workers.
void node_auth_set_member_check(node_auth *a,
    int (*is_member)(const char *token, const char *peer, void *arg),
    void *arg);

// 1 when series id is under a prefix of a writer or owner token of the
// table: a series of this node's own organisation, which no replica may
// create or write (node_policy.h). Thread-safe against a reload.
int node_auth_local_covers(node_auth *a, const char *id);

// Number of tokens known.
size_t node_auth_count(node_auth *a);

// The RPC auth hook (fed_rpc_auth_fn; arg is the node_auth): OK with
// *principal set to the borrowed node_principal (for a grant token, the
// first member of its node_grant; for a configured token, a copy private
// to the calling thread, valid until its next call; NULL for a method
// anyone may call),
// UNAUTHENTICATED for a missing or unknown token, PERMISSION_DENIED when
// the policy lets no principal of its role call the method, or its grant
// is revoked or expired.
fed_status node_auth_check(const char *token, const char *method,
    const char *peer, void **principal, void *arg);

// Parses "reader", "writer", "admin", "replica" or "owner"; 0 on success.
int node_role_parse(const char *s, node_role *out);

#endif // NODE_AUTH_H
