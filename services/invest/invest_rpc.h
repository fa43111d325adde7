// SPDX-License-Identifier: MIT
//
// invest_rpc.h: the enfed.v1.Invest service of fed-invest: projects,
// holdings, consumption links, and the figures of use case 1 computed from
// the production series that the configured fed-nodes hold.
//
// Handlers run on the RPC server's worker threads; they validate the
// request (INVALID_ARGUMENT naming the field), check the caller's binding
// (invest_auth), then use the store and the nodes. An unknown project or
// investor is NOT_FOUND; a node that cannot be reached makes the figures
// UNAVAILABLE rather than stale.

#ifndef INVEST_RPC_H
#define INVEST_RPC_H

#include "fed/rpc.h"
#include "fed/tz.h"
#include "invest_auth.h"
#include "invest_calc.h"
#include "invest_nodes.h"
#include "invest_store.h"

// What the handlers share; borrowed, alive as long as the server.
typedef struct invest_rpc {
	invest_store *store;
	invest_nodes *nodes;
	invest_auth *auth;
	const fed_tz
	    *tz; // the zone of today/month/year when a call names none
	invest_factors factors;
} invest_rpc;

// Registers Invest on srv with `r` as the handlers' state. As
// fed_rpc_server_add_service.
fed_status invest_rpc_register(fed_rpc_server *srv, invest_rpc *r);

#endif // INVEST_RPC_H
