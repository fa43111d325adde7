// SPDX-License-Identifier: MIT
//
// node_reply.h: what the handlers that list (alarm rules, alarms, a grant's
// access log) share to build a reply from a store walk: a repeated field
// grown in call memory, and copies of the messages the walk lends, freed
// once the reply is packed (fed/rpc.h's call memory and deferred frees).

#ifndef NODE_REPLY_H
#define NODE_REPLY_H

#include <stddef.h>

#include "fed/rpc.h"

// Returns arr (n pointers) in a new call-memory array of twice *cap (16
// at first), *cap updated; NULL when memory is exhausted. The old array
// stays call memory, freed with the call.
void *node_reply_grow(fed_rpc_ctx *call, void *arr, size_t n, size_t *cap);

// A copy of message m (borrowed) that lives until the reply is packed;
// NULL when memory is exhausted.
void *node_reply_copy(fed_rpc_ctx *call, const ProtobufCMessage *m);

#endif // NODE_REPLY_H
