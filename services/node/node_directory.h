// SPDX-License-Identifier: MIT
//
// node_directory.h: the node's membership of the federation directory.
//
// A thread registers the node with fed-directory (name, organisation, the
// addresses others reach it at, and the public series it offers with their
// description boxes) and renews its lease by heartbeat at a third of the
// lease; it registers again when the directory forgot it or refused the
// heartbeat, when its public series changed in number, and every tenth
// heartbeat to refresh the offers. The node
// token is made once by the node (fed_token_new), kept in the data folder
// (`directory.token`, mode 0600), and sent as RegisterRequest.node_token
// with the enrolment token the first time, so that a resent first
// registration is harmless. A directory that is down only delays this.

#ifndef NODE_DIRECTORY_H
#define NODE_DIRECTORY_H

#include <stdint.h>

#include "fed/transport.h"
#include "store.h"

typedef struct node_directory node_directory;

typedef struct node_directory_opts {
	const char *url; // the directory's RPC address
	const char *enrolment_token; // the federation's enrolment token
	const char *name; // this node's name
	const char *organisation;
	const char *rpc_addr; // where others reach this node
	const char *stream_addr;
	const char *data_dir; // where directory.token is kept
	uint32_t lease_s; // lease asked for
	node_store *store; // for the public series (borrowed)
	const fed_tls_opts *tls; // borrowed: must outlive the directory
} node_directory_opts;

// Starts the membership thread (strings are copied). INVALID_ARGUMENT for a
// bad address; UNAVAILABLE when the token file cannot be made.
fed_status node_directory_new(
    const node_directory_opts *opts, node_directory **out);

// 1 once the directory has accepted the node's registration.
int node_directory_registered(const node_directory *d);

// 1 when `token` is a federation member's: the directory accepts it (the
// member's own node token, or the enrolment token). Answers are cached
// (node_members.h: members apart from refused tokens, which never evict
// them), and at most 10 new tokens a second are checked per source (peer,
// the caller's address), so that random tokens cannot flood the directory
// nor lock members out. Blocks for the directory's answer (3 s at most).
// For node_auth_set_member_check (arg: the node_directory). Thread-safe.
int node_directory_is_member(const char *token, const char *peer, void *arg);

// Stops the thread and frees. NULL does nothing.
void node_directory_free(node_directory *d);

#endif // NODE_DIRECTORY_H
