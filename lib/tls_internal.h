// SPDX-License-Identifier: MIT
//
// tls_internal.h: what the TLS engine (tls_engine.c) asks of the revocation
// list (tls_revoked.c).

#ifndef FED_TLS_INTERNAL_H
#define FED_TLS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

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

#endif // FED_TLS_INTERNAL_H
