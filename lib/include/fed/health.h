// SPDX-License-Identifier: MIT
//
// fed/health.h: the enfed.v1.Health service that every enfed server
// answers: which program, which version, which node, for how long, and
// which services the socket serves.

#ifndef FED_HEALTH_H
#define FED_HEALTH_H

#include "enfed/v1/health.pb-c.h"
#include "fed/rpc.h"
#include "fed/status.h"

// The enfed version, "MAJOR.MINOR.PATCH".
const char *fed_version(void);

// Registers Health on srv. service ("fed-node") and node ("lognact") are
// copied. Register it last: the reply lists the services registered on
// srv at that moment, Health included. RESOURCE_EXHAUSTED when memory is
// short; as fed_rpc_server_add_service otherwise. The state is freed with
// the server.
fed_status fed_health_register(
    fed_rpc_server *srv, const char *service, const char *node);

// Adds what only the service knows to a Health reply (fed-node: its last
// data check). Called on the worker thread answering each Health/Check,
// after the common fields are set; memory it attaches to rep must live
// for the call (fed_rpc_ctx_alloc). Returns OK or RESOURCE_EXHAUSTED.
typedef fed_status (*fed_health_fill_fn)(
    fed_rpc_ctx *call, Enfed__V1__HealthCheckResponse *rep, void *arg);

// fed_health_register, with fill (may be NULL) called on each reply with
// arg (borrowed: it must outlive the server). Health is answered on nng's
// completion thread (fed_rpc_server_set_inline): fill must not block (no
// store, no file, no RPC; a mutex held briefly is fine).
fed_status fed_health_register_fill(fed_rpc_server *srv, const char *service,
    const char *node, fed_health_fill_fn fill, void *arg);

#endif // FED_HEALTH_H
