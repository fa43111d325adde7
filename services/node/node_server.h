// SPDX-License-Identifier: MIT
//
// node_server.h: fed-node's RPC server, assembled in one place: every
// service fed-node serves (SeriesStore, Grants, AlarmService, Integrity,
// Backup, Health) on one server, behind the token table (node_auth.h) and the
// policy (node_policy.h), and refused when the policy lacks a row for one of
// its methods. fed-node's main and the fuzzers build their server here, so no
// server serves the node's handlers without the policy.

#ifndef NODE_SERVER_H
#define NODE_SERVER_H

#include <stddef.h>

#include "fed/rpc.h"
#include "node_alarm_rpc.h"
#include "node_auth.h"
#include "node_backup.h"
#include "node_grants.h"
#include "node_policy.h"
#include "node_rpc.h"
#include "node_scrub.h"

// What the server serves; all borrowed, alive as long as the server.
typedef struct node_server_parts {
	node_auth *auth; // who calls
	node_policy *policy; // what they may do
	node_rpc *series; // SeriesStore
	node_grants *grants; // Grants
	node_alarm_rpc *alarms; // AlarmService; NULL: not served
	fed_scrub *scrub; // Integrity, and Health's last check; NULL: neither
	node_backup *backup; // Backup; NULL: not served
	const char *name; // the node's name, in Health's answer
} node_server_parts;

// Creates the server (not yet listening nor started) with options base
// (NULL: defaults; its hooks are replaced by the policy's) and registers
// every service of parts. FAILED_PRECONDITION with the method named in
// err when the policy has no row for a method served; the statuses of
// fed_rpc_server_new and fed_rpc_server_add_service otherwise. On OK, *out
// is the caller's (fed_rpc_server_free).
fed_status node_server_new(const node_server_parts *parts,
    const fed_rpc_server_opts *base, fed_rpc_server **out, char *err,
    size_t err_len);

#endif // NODE_SERVER_H
