// SPDX-License-Identifier: MIT
//
// node_server.c: fed-node's services on one server, behind the policy.

#include "node_server.h"

#include <stdio.h>

#include "fed/health.h"

static fed_status
register_all(fed_rpc_server *srv, const node_server_parts *p)
{
	FED_TRY(node_rpc_register(srv, p->series));
	FED_TRY(node_grants_register(srv, p->grants));
	if (p->alarms != NULL)
		FED_TRY(node_alarm_rpc_register(srv, p->alarms));
	if (p->scrub != NULL)
		FED_TRY(fed_scrub_register(srv, p->scrub));
	if (p->backup != NULL)
		FED_TRY(node_backup_register(srv, p->backup));
	return fed_health_register_fill(srv, "fed-node", p->name,
	    p->scrub != NULL ? fed_scrub_health : NULL, p->scrub);
}

fed_status
node_server_new(const node_server_parts *parts,
    const fed_rpc_server_opts *base, fed_rpc_server **out, char *err,
    size_t err_len)
{
	fed_rpc_server_opts ro;
	if (base != NULL)
		ro = *base;
	else
		fed_rpc_server_opts_default(&ro);
	node_policy_server_opts(&ro, parts->auth, parts->policy);
	fed_rpc_server *srv = NULL;
	fed_status st = fed_rpc_server_new(&ro, &srv);
	if (st != FED_OK) {
		snprintf(err, err_len, "cannot create the RPC server: %s",
		    fed_status_str(st));
		return st;
	}
	st = register_all(srv, parts);
	if (st != FED_OK)
		snprintf(err, err_len, "cannot register the services: %s",
		    fed_status_str(st));
	else
		st = node_policy_check_server(srv, err, err_len);
	if (st != FED_OK) {
		fed_rpc_server_free(srv);
		return st;
	}
	*out = srv;
	return FED_OK;
}
