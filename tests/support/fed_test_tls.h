// SPDX-License-Identifier: MIT
//
// fed_test_tls.h: what the TLS tests share: certificates made by the
// project's own fed-pki, a certificate's serial as the engine logs it, one
// Echo call over a new connection, an Echo server on tls+tcp://, and the
// lines this process logs, captured so that a test can look for the
// engine's refusals.

#ifndef FED_TEST_TLS_H
#define FED_TEST_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "fed/log.h"
#include "fed/rpc.h"
#include "fed/status.h"
#include "fed/transport.h"

// Runs FED_SOURCE_DIR/cli/fed-pki/fed-pki with the arguments before the
// first NULL (at most 6), its output to /dev/null; its exit status, or -1
// (FED_SOURCE_DIR unset, or more arguments).
int fed_test_pki(const char *arg, ...);

// The serial of the certificate (PEM) at path, as the engine logs it
// ("0xa1b.."), into logged; and when openssl is not NULL, as
// `openssl x509 -serial` prints it ("serial=0A1B.."). 0, or -1 when the
// file does not parse (both left "").
int fed_test_cert_serial(const char *path, char *logged, size_t logged_len,
    char *openssl, size_t openssl_len);

// One Echo call (payload "over tls") on a new client, a new connection,
// with tls (may be NULL); its status. An answer that is not the payload
// is FED_INTERNAL.
fed_status fed_test_echo_call(
    const char *url, const fed_tls_opts *tls, uint32_t timeout_ms);

// A started RPC server answering Echo, listening on url with tls; NULL
// (and the reason logged) if it cannot. fed_rpc_server_free releases it.
fed_rpc_server *fed_test_echo_server(const char *url, const fed_tls_opts *tls);

// Captures the lines this process logs at level max and above (more
// severe) from now on, in place of the default sink; call it before any
// thread logs (the sink may not change while nng's threads log).
void fed_test_log_capture(fed_log_level max);

// Forgets the lines captured so far.
void fed_test_log_reset(void);

// The captured lines that hold a, b and c (b and c may be NULL).
int fed_test_log_count(const char *a, const char *b, const char *c);

// True when one captured line holds a, b and c (b and c may be NULL).
int fed_test_log_has(const char *a, const char *b, const char *c);

// Waits up to timeout_ms for such a line (the other side of a connection
// may log a little later); true once seen.
int fed_test_log_wait(
    const char *a, const char *b, const char *c, int timeout_ms);

#endif // FED_TEST_TLS_H
