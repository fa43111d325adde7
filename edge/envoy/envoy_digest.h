// SPDX-License-Identifier: MIT
//
// envoy_digest.h: HTTP digest authentication (RFC 7616 with MD5, quality
// of protection "auth", or RFC 2069 without it), which Enphase gateways
// before firmware 7 ask for on /api/v1/production/inverters (user
// `envoy`, password by default the last six digits of the gateway's
// serial number). Pure functions: no I/O, no allocation.

#ifndef ENVOY_DIGEST_H
#define ENVOY_DIGEST_H

#include <stddef.h>

#include "fed/status.h"

// A server's digest challenge (the WWW-Authenticate header's fields).
typedef struct envoy_digest_challenge {
	char realm[128];
	char nonce[192];
	char opaque[192]; // "" when the server sent none
	int qop_auth; // 1 when the server offers qop "auth"
} envoy_digest_challenge;

// Parses a WWW-Authenticate header value. OK for a Digest challenge with
// a realm and a nonce, whose algorithm (if named) is MD5 and whose qop
// (if offered) includes "auth"; INVALID_ARGUMENT for anything else (a
// Bearer challenge, another algorithm, a field too long).
fed_status envoy_digest_parse(const char *header, envoy_digest_challenge *out);

// Writes into out (out_len bytes) the Authorization header value that
// answers challenge c for user and password, request method and uri
// ("/api/v1/production/inverters"), with client nonce cnonce and nonce
// count nc. INVALID_ARGUMENT when out is too small or a string holds a
// double quote or a control character.
fed_status envoy_digest_answer(const envoy_digest_challenge *c,
    const char *user, const char *password, const char *method,
    const char *uri, const char *cnonce, unsigned nc, char *out,
    size_t out_len);

#endif // ENVOY_DIGEST_H
