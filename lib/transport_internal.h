// SPDX-License-Identifier: MIT
//
// transport_internal.h: what lib/*.c share about nng sockets: the one
// translation of nng error codes, and listening/dialing with TLS applied.

#ifndef FED_TRANSPORT_INTERNAL_H
#define FED_TRANSPORT_INTERNAL_H

#include <nng/nng.h>

#include "fed/status.h"
#include "fed/transport.h"

// The nng boundary: maps an nng error code to a fed_status and logs the
// native code with `what` at debug level. 0 maps to OK.
fed_status fed__nng_status(int rv, const char *what);

// Starts a listener on s at url (TLS applied for tls+tcp:// with client
// certificates required). INVALID_ARGUMENT for a bad URL or TLS settings,
// UNAVAILABLE when the address cannot be bound (in use, no permission).
fed_status fed__transport_listen(
    nng_socket s, const char *url, const fed_tls_opts *tls);

// fed__transport_listen for each address of a comma-separated list, logging
// each at info level; stops at the first failure and returns it.
fed_status fed__transport_listen_list(
    nng_socket s, const char *list, const fed_tls_opts *tls);

// Starts a dialer on s to url in the background: the socket reconnects by
// itself whenever the peer goes away or is not there yet. *d (may be NULL)
// gets the dialer, to close before the socket (fed__transport_close).
// For tls+tcp://, a refused handshake is logged by enfed's TLS engine
// (fed/tls.h), since nng does not report why the background dialer fails.
fed_status fed__transport_dial(
    nng_socket s, const char *url, const fed_tls_opts *tls, nng_dialer *d);

// Closes a dialing socket: the dialer first, then the socket, on a
// helper thread waited for up to 2 s. nng 1.5.2's nng_close can wait
// forever (seen with a REQ socket whose request the server refused as too
// large, the dialer reconnecting): rather than hang the program, the
// close is then left to finish (or not) on its own, and logged.
// free_after (may be NULL) is freed only once nng_close has returned: the
// state nng's pipe callbacks point to, which they may still use until then.
void fed__transport_close(nng_socket s, nng_dialer d, void *free_after);

// True when the peer at the other end of pipe p is on this machine (an
// ipc or inproc pipe, or a tcp/tls one from 127.0.0.0/8 or ::1); false
// when unknown.
int fed__transport_pipe_is_local(nng_pipe p);

#define FED__PEER_LEN 64

// The peer at the other end of pipe p, as the key that limits apply to:
// its IP address ("192.0.2.7", "2001:db8::1", no port), "ipc pid N" for a
// local process (or "ipc" when its pid is unknown), "inproc"; "" when
// unknown (no pipe: fed_rpc_server_serve_bytes). Written to buf (len
// bytes, FED__PEER_LEN is enough).
void fed__transport_pipe_peer(nng_pipe p, char *buf, size_t len);

// The subject CN and serial ("0x1f02ab") of the certificate that the peer
// at the other end of pipe p presented, as this side's TLS engine verified
// it, into cn (cn_len bytes, 96 is enough) and serial (serial_len, 43).
// OK; NOT_FOUND for a pipe that is not tls+tcp://, a listener's pipe whose
// client sent no certificate, or a pipe already closed.
fed_status fed__transport_pipe_cert(
    nng_pipe p, char *cn, size_t cn_len, char *serial, size_t serial_len);

// Sets the socket's maximum receive size (bytes, 0 = nng default of none:
// never used by enfed).
fed_status fed__transport_set_recvmax(nng_socket s, size_t max);

#endif // FED_TRANSPORT_INTERNAL_H
