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
// UNAVAILABLE rather than stale. enfed.v1.Integrity, served beside it
// (administrators only: invest_auth), checks the store now.

#ifndef INVEST_RPC_H
#define INVEST_RPC_H

#include "fed/rpc.h"
#include "fed/scrub.h"
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
	fed_scrub *scrub; // the store's checks (Integrity); NULL: none
} invest_rpc;

// Makes the scrubber of the store (fed_scrub running invest_store_check,
// every interval_ms, 0: on demand only), for invest_rpc.scrub and Health
// (fed_scrub_health). store must outlive it. As fed_scrub_new.
fed_status invest_rpc_scrub_new(
    invest_store *store, int64_t interval_ms, fed_scrub **out);

// Registers Invest on srv with `r` as the handlers' state, and Integrity
// when r->scrub is set. As fed_rpc_server_add_service.
fed_status invest_rpc_register(fed_rpc_server *srv, invest_rpc *r);

#endif // INVEST_RPC_H
