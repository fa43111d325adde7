// SPDX-License-Identifier: MIT
//
// web_backend.h: fed-web's RPC clients of the other services: fed-invest
// (with fed-web's own token for the administrator's pages and the project
// list, or with an investor's own token for that investor's figures), the
// fed-nodes (always with a token of the user the call is made for: fed-web
// has no node token of its own; web_access.h picks the user's token) and
// fed-directory (with the token given for it, to list the federation's
// members).
//
// Clients are made at their first use, one per (service, token), and kept
// (at most WEB_BACKEND_MAX_CLIENTS; past that a call gets a client of its
// own, closed after it). Thread-safe; every call blocks up to the timeout.
//
// Ownership: a reply handed back through *reply belongs to the caller, who
// frees it with protobuf_c_message_free_unpacked(reply, NULL).

#ifndef WEB_BACKEND_H
#define WEB_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "fed/status.h"
#include "fed/transport.h"

#define WEB_BACKEND_MAX_NODES   16
#define WEB_BACKEND_MAX_CLIENTS 256

typedef struct web_backend_opts {
	const char *invest_url; // fed-invest's address
	const char *invest_token; // fed-web's own token there (NULL: none)
	const char *nodes; // "name=url,name=url" (NULL or "": no node)
	const char *directory_url; // fed-directory (NULL or "": none)
	const char *directory_token; // a token fed-directory accepts
	uint32_t timeout_ms; // deadline of each call
	const fed_tls_opts *tls; // fed-web's certificate, key and CA for the
	                         // tls+tcp:// addresses (NULL: none; copied)
} web_backend_opts;

typedef struct web_backend web_backend;

// Makes the backend from o (borrowed for the call). INVALID_ARGUMENT (why
// in err) for a malformed node list, a duplicate node name, a bad
// address, a tls+tcp:// address without o->tls's three files, or files
// that cannot be read; RESOURCE_EXHAUSTED when out of memory. Logs a
// warning for each plain tcp:// address on another machine (the users'
// tokens would travel in clear).
fed_status web_backend_new(
    const web_backend_opts *o, web_backend **out, char *err, size_t err_len);

// Closes every client. NULL does nothing.
void web_backend_free(web_backend *be);

// Calls enfed.v1.Invest/method with token (NULL or "": fed-web's own).
// Returns fed_rpc_call's status, its message in err.
fed_status web_backend_invest(web_backend *be, const char *token,
    const char *method, const ProtobufCMessage *req, ProtobufCMessage **reply,
    char *err, size_t err_len);

// The number of nodes, and the name of node i (borrowed; "" past the end).
size_t web_backend_n_nodes(const web_backend *be);
const char *web_backend_node_name(const web_backend *be, size_t i);

// The index of the node named name, or -1.
int web_backend_node_index(const web_backend *be, const char *name);

// Calls method of service svc (SeriesStore, Grants) on node i with token,
// which must be a token of the user the call is made for. NOT_FOUND for
// no such node, PERMISSION_DENIED without a token (nothing is sent);
// otherwise fed_rpc_call's status, its message in err.
fed_status web_backend_node(web_backend *be, size_t i, const char *token,
    const ProtobufCServiceDescriptor *svc, const char *method,
    const ProtobufCMessage *req, ProtobufCMessage **reply, char *err,
    size_t err_len);

// 1 when a directory is configured.
int web_backend_has_directory(const web_backend *be);

// Calls enfed.v1.Directory/method (Lookup, List) with the directory token.
// UNAVAILABLE when no directory is configured; otherwise fed_rpc_call's
// status, its message in err.
fed_status web_backend_directory(web_backend *be, const char *method,
    const ProtobufCMessage *req, ProtobufCMessage **reply, char *err,
    size_t err_len);

#endif // WEB_BACKEND_H
