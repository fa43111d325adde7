// SPDX-License-Identifier: MIT
//
// web_backend.h: fed-web's clients of the other services: fed-invest
// (with fed-web's own token for the administrator's pages and the project
// list, or with an investor's own token for that investor's figures) and
// the fed-nodes whose series the load-curve and live pages show.
//
// One RPC client per configured address, made at start and dialling in the
// background; one more per investor token, made at the first use and kept
// (at most WEB_BACKEND_MAX_INVESTORS; past that a call gets a client of its
// own). Thread-safe; every call blocks up to the timeout.
//
// Ownership: a reply handed back through *reply belongs to the caller, who
// frees it with protobuf_c_message_free_unpacked(reply, NULL).

#ifndef WEB_BACKEND_H
#define WEB_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/status.h"

#define WEB_BACKEND_MAX_NODES     16
#define WEB_BACKEND_MAX_INVESTORS 64

typedef struct web_backend web_backend;

// invest_url and invest_token: fed-invest and fed-web's token there (an
// admin token to use the administrator's pages; NULL: none). nodes:
// "name=url,name=url" (may be NULL or empty: no node); node_token: the
// token presented to every node (a reader token is enough).
// INVALID_ARGUMENT (why in err) for a malformed list or address.
fed_status web_backend_new(const char *invest_url, const char *invest_token,
    const char *nodes, const char *node_token, uint32_t timeout_ms,
    web_backend **out, char *err, size_t err_len);

// Closes every client. NULL does nothing.
void web_backend_free(web_backend *be);

// Calls enfed.v1.Invest/method with token (NULL or "": fed-web's own).
// Returns fed_rpc_call's status, its message in err.
fed_status web_backend_invest(web_backend *be, const char *token,
    const char *method, const ProtobufCMessage *req, ProtobufCMessage **reply,
    char *err, size_t err_len);

// The number of nodes, and the name of node i (borrowed).
size_t web_backend_n_nodes(const web_backend *be);
const char *web_backend_node_name(const web_backend *be, size_t i);

// Calls enfed.v1.SeriesStore/method on node i (< n_nodes).
fed_status web_backend_node(web_backend *be, size_t i, const char *method,
    const ProtobufCMessage *req, ProtobufCMessage **reply, char *err,
    size_t err_len);

// The first node (in the configured order) that knows series id, and its
// SeriesInfo (owned by the caller). NOT_FOUND when none does (or none
// shows it to fed-web); UNAVAILABLE when a node that might have it is
// unreachable and no other has it.
fed_status web_backend_find_series(web_backend *be, const char *id,
    size_t *node, Enfed__V1__SeriesInfo **info, char *err, size_t err_len);

#endif // WEB_BACKEND_H
