// SPDX-License-Identifier: MIT
//
// fed/transport.h: the addresses enfed listens on and dials, and the TLS
// settings of tls+tcp:// between organisations.
//
// ipc:// and tcp:// need nothing more. tls+tcp:// needs a certificate, its
// key and the federation CA, on both sides: a listener requires the peer to
// present a certificate signed by that CA (nng's listeners do not by
// default), and a dialer verifies the listener's certificate against the
// CA and the server name (the configured one, else the host of the URL).
// mbedtls 2.28 matches that name against the certificate's DNS names only,
// so a peer dialled by IP address needs the address as a DNS name too
// (fed-pki node --ip writes both). Every TLS connection goes through
// enfed's TLS engine (fed/tls.h): a certificate whose serial is in the
// revocation list is refused on either side, and a refused handshake is
// logged at warning level by both sides, naming the peer's address, its
// certificate's CN and serial, and the reason ("tls: TLS: refused the
// client at 192.0.2.7:51234 (CN=board-3, serial 0x1f): certificate
// revoked (serial 0x1f)"), at most once a minute per peer and reason.
// The RPC layer does not use the certificate yet (the engine can tell
// which one a pipe's peer presented): identity comes from the token in
// the RPC envelope.

#ifndef FED_TRANSPORT_H
#define FED_TRANSPORT_H

#include <stddef.h>

#include "fed/status.h"

// Borrowed file paths; read when a listener or dialer is started.
typedef struct fed_tls_opts {
	const char *cert_file; // this side's certificate (PEM)
	const char *key_file; // its private key (PEM, unencrypted)
	const char *ca_file; // the federation CA certificate(s) (PEM)
	const char *server_name; // dialers: name expected in the listener's
	                         // certificate; NULL = host part of the URL
} fed_tls_opts;

// True when url starts with "tls+tcp://" (or tls+tcp4/6).
int fed_transport_is_tls(const char *url);

// True when url reaches this machine only: ipc://, inproc://, or a
// tcp/tls+tcp address on 127.0.0.0/8, [::1] or localhost.
int fed_transport_is_local(const char *url);

// Whether anything listens at url, for a one-shot program (fedctl) that
// should fail at once rather than wait out its timeout: UNAVAILABLE when
// the connection is refused (tcp://, tls+tcp://: nothing listens on the
// port; ipc://: no socket file there), OK otherwise, including when the
// answer does not come within timeout_ms (the call then waits as usual).
// For tcp, opens and closes one plain connection, blocking up to
// timeout_ms (and on name resolution); for ipc, only looks at the file.
fed_status fed_transport_probe(const char *url, int timeout_ms);

// Checks that url uses a scheme enfed supports (ipc, tcp, tcp4, tcp6,
// tls+tcp, tls+tcp4, tls+tcp6, inproc) and, for TLS, that tls names a
// certificate, a key and a CA. INVALID_ARGUMENT otherwise, with a message
// in err (may be NULL) of err_len bytes.
fed_status fed_transport_check(
    const char *url, const fed_tls_opts *tls, char *err, size_t err_len);

// For a client about to dial url with a token: logs at warning level,
// under component, that the token (and everything else) travels in clear
// when url is tcp:// to an address that is not this machine's. Nothing
// for TLS, ipc:// or a local address.
void fed_transport_warn_clear(const char *url, const char *component);

#endif // FED_TRANSPORT_H
