// SPDX-License-Identifier: MIT
//
// node_http_internal.h: what node_http.c (requests, /write) and
// node_http_query.c (/query) share: the caller, its calls to the node,
// the answers and the parameters.

#ifndef NODE_HTTP_INTERNAL_H
#define NODE_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "fed/status.h"
#include "node_http.h"
#include "node_http_json.h"

#define NODE_HTTP_TOKEN_MAX 512

// The caller, as the node will see it.
typedef struct node_http_caller {
	const node_http_opts *o;
	char token[NODE_HTTP_TOKEN_MAX];
	size_t token_len;
} node_http_caller;

// Answers the JSON in j (taken) with status; 500 when j ran out of memory.
void node_http_answer(node_http_res *res, uint16_t status, node_json *j);

// Answers {"error":"..."} with status.
void node_http_answer_error(node_http_res *res, uint16_t status,
    const char *fmt, ...) FED__PRINTF(3, 4);

// The HTTP status InfluxDB would answer for a node status.
uint16_t node_http_status(fed_status st);

// The decoded value of parameter name in the form s (n bytes) into a
// malloc'd string (*out, NULL when absent). False (and *out NULL) when
// malformed or out of memory.
bool node_http_param(const char *s, size_t n, const char *name, char **out);

// Whether s starts with prefix, in any case.
bool node_http_starts(const char *s, const char *prefix);

// Calls method on the node with the caller's token, as a network call
// would (fed_rpc_server_serve_bytes). OK with *out (of type d; the caller
// frees it), or the node's status with its message in msg.
fed_status node_http_call(const node_http_caller *c, const char *method,
    const ProtobufCMessage *in, const ProtobufCMessageDescriptor *d,
    void **out, char *msg, size_t msg_len);

// /query: q (query string or form body), db, epoch.
void node_http_serve_query(const node_http_caller *c, const node_http_req *req,
    const char *qs, size_t qs_len, node_http_res *res);

#endif // NODE_HTTP_INTERNAL_H
