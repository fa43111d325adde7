// SPDX-License-Identifier: MIT
//
// tls_internal.h: what the TLS engine (tls_engine.c, with its credentials
// in tls_creds.c) asks of the revocation list (tls_revoked.c), and what the
// transport (transport.c) tells the engine. What the engine's own files
// share is in tls_engine_internal.h.

#ifndef FED_TLS_INTERNAL_H
#define FED_TLS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "fed/status.h"

// RFC 5280 caps serials at 20 octets.
#define FED__TLS_SERIAL_MAX 20

// True when the certificate serial (the DER INTEGER's content bytes,
// borrowed; leading zero bytes ignored) is in the list in force. Takes the
// list's lock for the lookup only; any thread.
int fed__tls_revoked_has(const uint8_t *serial, size_t len);

// Writes serial as "0x" and lower-case hex without leading zeros ("0x0"
// for zero) into buf (len bytes; 2 * FED__TLS_SERIAL_MAX + 3 is enough;
// longer serials are cut).
void fed__tls_serial_str(
    const uint8_t *serial, size_t serial_len, char *buf, size_t len);

// Marks each established connection whose peer's serial is now in the
// revocation list: its next read or write fails, and nng closes it.
// Returns how many were marked. Called after the list changed; any thread.
size_t fed__tls_recheck(void);

// Writes a TCP address as "192.0.2.7:7410" or "[2001:db8::1]:7410" into
// buf (len bytes; 64 is enough); "" for another family.
void fed__tls_addr_str(const nng_sockaddr *sa, char *buf, size_t len);

// The subject CN and serial ("0x..") of the certificate that the peer of
// the TLS connection between local and remote (as fed__tls_addr_str
// writes them) presented and this side verified. OK; NOT_FOUND when no
// such connection is established (a plain TCP one, one without a client
// certificate, one already closed). Any thread.
fed_status fed__tls_peer_cert(const char *local, const char *remote, char *cn,
    size_t cn_len, char *serial, size_t serial_len);

// Names the files (borrowed, copied by the engine) of the TLS
// configuration that the calling thread is about to make: call it just
// before nng_tls_config_alloc, whose engine config init runs on this thread
// and keeps them, and call it again with NULLs just after. Such a
// configuration is reread by fed_tls_credentials_reload; one made without
// them keeps what it was given.
void fed__tls_config_paths(const char *cert, const char *key, const char *ca);

#endif // FED_TLS_INTERNAL_H
