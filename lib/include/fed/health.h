// SPDX-License-Identifier: MIT
//
// fed/health.h: the enfed.v1.Health service that every enfed server
// answers: which program, which version, which node, for how long, and
// which services the socket serves.

#ifndef FED_HEALTH_H
#define FED_HEALTH_H

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

#endif // FED_HEALTH_H
