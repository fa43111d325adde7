// SPDX-License-Identifier: MIT
//
// node_alarm_rpc.h: the enfed.v1.AlarmService of fed-node (rules, alarms,
// acknowledgement) over the alarm engine (node_alarms.h) and the store.
// Roles (node_auth.c): ListRules and ListAlarms need a reader, Acknowledge
// a writer, CreateRule and DeleteRule the administrator (a rule may run a
// program on the node). A token limited to a series prefix sees and
// acknowledges only the alarms and rules below it.

#ifndef NODE_ALARM_RPC_H
#define NODE_ALARM_RPC_H

#include "fed/rpc.h"
#include "node_alarms.h"
#include "store.h"

// What the handlers share; borrowed, alive as long as the server.
typedef struct node_alarm_rpc {
	node_store *store;
	node_alarms *alarms;
} node_alarm_rpc;

// Registers AlarmService on srv with `n` as the handlers' state.
fed_status node_alarm_rpc_register(fed_rpc_server *srv, node_alarm_rpc *n);

#endif // NODE_ALARM_RPC_H
