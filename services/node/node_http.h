// SPDX-License-Identifier: MIT
//
// node_http.h: fed-node's InfluxDB 1.x-compatible HTTP endpoint, for
// Grafana's InfluxDB data source and Home Assistant's influxdb integration
// (API v1): /ping, /write (line protocol, node_http_lp.h) and /query (the
// InfluxQL subset of node_http_ql.h). docs/integrations.md documents the
// mapping; docs/security.md the consent rule.
//
// Not a second door: every /write and /query becomes the node's own
// request (IngestRequest, QueryRequest, ListSeriesRequest) with the
// caller's token, served through fed_rpc_server_serve_bytes on the node's
// RPC server. The same auth hook, the same policy decision (clipping of
// grants, prefixes, quotas, the grant's access log) and the same handlers
// answer it as a network call; this module only translates.
//
// The token comes from `Authorization: Token X` or `Bearer X`, the password
// of `Authorization: Basic`, or the `p` parameter (InfluxDB 1.x's u/p). It
// is never logged.
//
// node_http_handle is the whole endpoint without sockets (tests and the
// fuzzer call it); node_http_server puts it on nng's HTTP server.

#ifndef NODE_HTTP_H
#define NODE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "fed/rpc.h"
#include "fed/status.h"
#include "fed/transport.h"

typedef struct node_http_opts {
	fed_rpc_server *rpc; // the node's server (borrowed; outlives this)
	const char *db; // the name SHOW DATABASES answers ("enfed")
	int64_t (*now_ms)(void); // the clock (NULL: fed_clock_now_ms)
} node_http_opts;

// One HTTP request, borrowed for the call.
typedef struct node_http_req {
	const char *method; // "GET", "POST", ...
	const char *uri; // path and query string: "/query?q=...&epoch=ms"
	const char *authorization; // the header, or NULL
	const char *content_type; // the header, or NULL
	// Refused when set (411, 415): nng 1.5.2 does not read a chunked
	// body (it would look empty), and bodies are not decompressed.
	const char *transfer_encoding; // the header, or NULL
	const char *content_encoding; // the header, or NULL
	const char *body; // len bytes (not NUL-terminated), may be NULL
	size_t body_len;
} node_http_req;

// The answer: body is malloc'd (the caller frees it), may be NULL when
// body_len is 0 (204).
typedef struct node_http_res {
	uint16_t status;
	const char *content_type; // static
	char *body;
	size_t body_len;
	// /write: lines without a numeric `value` (not stored), sent back in
	// the header X-Enfed-Skipped-Lines when not 0.
	size_t n_skipped;
} node_http_res;

// Serves one request into *res (always filled: 200 or 204 on success; 400
// malformed; 401 no or unknown token; 403 a token that does not cover
// it; 404 unknown path; 405 wrong method; 411 a chunked body; 413 too
// many points or series; 415 a compressed body; 500/503
// when the node fails). Blocks for the node's call (sqlite); thread-safe:
// several requests may be served at once.
void node_http_handle(
    const node_http_opts *o, const node_http_req *req, node_http_res *res);

typedef struct node_http_server node_http_server;

// Listens on url (http://host:port, or https://host:port with tls's
// certificate and key; the CA is not used: Grafana and Home Assistant
// present no client certificate) and serves node_http_handle on
// n_workers threads, bodies up to max_body bytes (nng answers 400
// beyond). o is
// copied; o->rpc must outlive the server. INVALID_ARGUMENT for a bad url or
// TLS files, UNAVAILABLE when the address cannot be bound (both logged).
fed_status node_http_server_new(const node_http_opts *o, const char *url,
    const fed_tls_opts *tls, unsigned n_workers, size_t max_body,
    node_http_server **out);

// The port it listens on (for a url with port 0), 0 if unknown.
int node_http_server_port(const node_http_server *s);

// Stops serving (requests in progress finish) and frees. NULL: nothing.
void node_http_server_free(node_http_server *s);

#endif // NODE_HTTP_H
