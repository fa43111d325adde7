// SPDX-License-Identifier: MIT
//
// dir_rpc.h: the enfed.v1.Directory service: who may call what, request
// validation, the handlers, and the membership events they publish.
//
// Identity (docs/directory.md): the federation enrolment token (known to
// the directory by its SHA-256) lets its holder register a NEW node name;
// the directory then returns a node token, keeps its hash with the record,
// and accepts only that token for the node's Heartbeat and later
// RegisterNode calls. Lookup and List take either kind of token, or the
// administrator's. enfed.v1.Integrity (the check of the database, served
// by dir_service) takes the administrator's token only. Health needs none.
// Membership changes are published on the directory's stream under the
// topic "!members " as enfed.v1.MembershipEvent.

#ifndef DIR_RPC_H
#define DIR_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "dir_store.h"
#include "fed/rpc.h"
#include "fed/status.h"
#include "fed/stream.h"

typedef struct dir_rpc dir_rpc;

// The topic of membership events.
#define DIR_RPC_TOPIC "!members "

// Most series one node may offer.
#define DIR_RPC_MAX_OFFERS 10000

// Largest registration: the packed NodeRecord, offers included. An event
// carries the record whole: it stays far below the 4 MiB that subscribers
// accept by default.
#define DIR_RPC_MAX_RECORD (256u * 1024u)

typedef struct dir_rpc_opts {
	dir_store *store; // borrowed; must outlive the dir_rpc
	fed_stream_pub *pub; // borrowed, may be NULL (no events)
	const char *enrol_hash; // hex SHA-256 of the enrolment token (copied)
	int64_t lease_ms; // the lease granted (and the longest), > 0
	const char *admin_hash; // hex SHA-256 of the administrator's token
	                        // (copied); NULL or "": none
} dir_rpc_opts;

// Creates the service state. INVALID_ARGUMENT when enrol_hash (or a
// non-empty admin_hash) is not 64 hex digits, when admin_hash is the
// enrolment token's, store is NULL or lease_ms <= 0; RESOURCE_EXHAUSTED
// when memory is short.
fed_status dir_rpc_new(const dir_rpc_opts *opts, dir_rpc **out);

// Frees the state. Call after the server that uses it is freed. NULL does
// nothing.
void dir_rpc_free(dir_rpc *r);

// The authentication hook of the server (fed_rpc_auth_fn), with arg the
// dir_rpc: OK for any Health method; for Integrity methods OK for the
// administrator's token only, PERMISSION_DENIED for the enrolment token or
// a node's; for Directory methods OK when token is the enrolment token, a
// registered node's token or the
// administrator's (the principal tells which; the administrator may read,
// not register); UNAUTHENTICATED for any other token. Called on worker
// threads.
fed_status dir_rpc_auth(const char *token, const char *method,
    const char *peer, void **principal, void *arg);

// Registers the Directory service on srv, which must have been created
// with dir_rpc_auth and r as its hook. As fed_rpc_server_add_service.
fed_status dir_rpc_add(fed_rpc_server *srv, dir_rpc *r);

// Marks unavailable the nodes whose lease ended at or before now_ms and
// publishes an EXPIRED event for each; writes how many to *n_expired
// (may be NULL). As dir_store_expire. Called by the expiry thread (and
// tests), concurrently with the handlers.
fed_status dir_rpc_expire(dir_rpc *r, int64_t now_ms, size_t *n_expired);

#endif // DIR_RPC_H
