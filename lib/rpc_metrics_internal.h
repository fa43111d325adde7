// SPDX-License-Identifier: MIT
//
// rpc_metrics_internal.h: what the RPC server counts (lib/rpc.c calls
// these; lib/rpc_metrics.c keeps the figures in the default registry).
//
// Every method of the services a server registered gets its children when
// the server starts, so that counting a call is an index and two atomic
// additions: no lock, no lookup by name. A method the server does not know
// is counted under method="unknown": a request's method string never
// becomes a label (its values would be the caller's to choose).

#ifndef FED_RPC_METRICS_INTERNAL_H
#define FED_RPC_METRICS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "fed/status.h"

typedef struct fed__rpc_metrics fed__rpc_metrics;

// The figures of a server with these n services (in registration order),
// in *out (NULL when they cannot be had: the server then counts nothing;
// logged). Freed with fed__rpc_metrics_free.
void fed__rpc_metrics_new(const ProtobufCServiceDescriptor *const *services,
    size_t n, fed__rpc_metrics **out);

void fed__rpc_metrics_free(fed__rpc_metrics *rm);

// The index of method m_idx of service s_idx, for fed__rpc_metrics_call;
// -1 for rm NULL.
int fed__rpc_metrics_index(
    const fed__rpc_metrics *rm, size_t s_idx, size_t m_idx);

// Counts one call of method index idx (-1: unknown) that ended with st
// after ns nanoseconds. Lock-free; rm NULL does nothing.
void fed__rpc_metrics_call(
    fed__rpc_metrics *rm, int idx, fed_status st, int64_t ns);

// Counts a refused call, by reason: "missing_token", "malformed_token",
// "invalid_token", "denied" (the token may not make the call) or "policy"
// (the consent policy refused it). Lock-free.
void fed__rpc_metrics_auth_failure(fed__rpc_metrics *rm, const char *reason);

#endif // FED_RPC_METRICS_INTERNAL_H
