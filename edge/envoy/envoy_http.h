// SPDX-License-Identifier: MIT
//
// envoy_http.h: the one HTTP request fed-edge-envoy makes, a bounded GET,
// with nng's supplemental HTTP client.
//
// Each GET opens a connection (the gateway is polled every few minutes:
// nothing to keep open), sends the request with `Accept:
// application/json` and, when a token is configured, `Authorization:
// Bearer <token>` (firmware 7 and later). A 401 that asks for HTTP digest
// authentication (firmware before 7, on the inverters' endpoint) is
// answered once, on a new connection, when a password is configured
// (envoy_digest.h). It reads the status line and headers, then the body:
// exactly Content-Length bytes, or up to the connection's close when the
// reply has no length; a chunked reply is refused (logged), since this
// reader does not decode transfer encodings. A body longer than max_body
// is refused without being read whole. The whole exchange must end within
// timeout_ms. https:// URLs go over TLS: the gateway's certificate is
// checked against ca_file, or, with verify false (a gateway's self-signed
// certificate not at hand), not at all.
//
// Threads: one thread uses an envoy_http at a time.

#ifndef ENVOY_HTTP_H
#define ENVOY_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"

typedef struct envoy_http envoy_http;

typedef struct envoy_http_opts {
	const char *base_url; // "http://192.168.1.20" or "https://envoy.local"
	const char *token; // bearer token, or NULL (copied; never logged)
	const char *user; // digest user (NULL: "envoy")
	const char *password; // digest password, or NULL (copied; never
	                      // logged)
	const char *ca_file; // PEM, for https (copied path)
	const char *server_name; // TLS name to check, NULL: the URL's host
	bool verify; // https: check the certificate (needs ca_file)
	size_t max_body; // largest body accepted, 1 .. 64 MiB
	int64_t timeout_ms; // the whole exchange, 10 .. 600000
} envoy_http_opts;

// Parses base_url and prepares the client (and TLS for https). opts is
// copied. INVALID_ARGUMENT for a URL that is not http:// or https://, bad
// bounds, https with verify but no ca_file, or a CA file that does not load
// (logged); RESOURCE_EXHAUSTED. On OK *out is the caller's
// (envoy_http_free).
fed_status envoy_http_new(const envoy_http_opts *opts, envoy_http **out);

// Frees h. NULL does nothing.
void envoy_http_free(envoy_http *h);

// GETs base_url + path ("/api/v1/production"). *status gets the HTTP status
// when a reply came (else 0). Returns OK for a 200 reply, with *body a heap
// copy of the body NUL-terminated (the caller frees it) and *len its
// length. Otherwise *body is NULL and the status says why:
// DEADLINE_EXCEEDED (no whole reply within the timeout), UNAVAILABLE (the
// connection failed, or a 5xx status), UNAUTHENTICATED (401: the token is
// missing or expired), PERMISSION_DENIED (403), NOT_FOUND (404: this
// firmware has no such endpoint), RESOURCE_EXHAUSTED (the body passes
// max_body), INVALID_ARGUMENT (another status, or a malformed reply such
// as a bad Content-Length, or a chunked body). Blocks up to timeout_ms.
fed_status envoy_http_get(
    envoy_http *h, const char *path, char **body, size_t *len, int *status);

// What the gateway's last 401 asked for, so that the operator is told the
// right remedy: a bearer token (firmware 7+), or digest credentials
// (before 7).
typedef enum envoy_auth {
	ENVOY_AUTH_UNKNOWN, // no 401 yet, or a challenge not understood
	ENVOY_AUTH_BEARER,
	ENVOY_AUTH_DIGEST,
} envoy_auth;
envoy_auth envoy_http_challenge(const envoy_http *h);

#endif // ENVOY_HTTP_H
