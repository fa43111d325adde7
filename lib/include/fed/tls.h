// SPDX-License-Identifier: MIT
//
// fed/tls.h: certificate revocation and certificate rotation for
// tls+tcp://, both reloadable while the program runs, and what is known of
// the certificate a peer presented.
//
// Every tls+tcp:// connection of an enfed program goes through enfed's own
// TLS engine (lib/tls_engine.c, on mbedtls 2.28, plugged into nng 1.5.2
// through nng_tls_engine_register). Besides what nng's built-in engine does,
// it refuses a peer whose certificate serial is in the process-wide
// revocation list, on both sides (a listener refuses a revoked client, a
// dialer a revoked server), and logs each refused handshake at warning
// level with the peer's address, the certificate's subject CN and serial,
// and the reason ("certificate revoked (serial 0x1f)", "not signed by the
// federation CA", ...), at most once a minute per peer and reason. It also
// keeps, for each established connection, the CN and serial of the
// certificate the peer presented (lib/transport_internal.h:
// fed__transport_pipe_cert, for the RPC layer).
//
// The revocation file (--tls-revoked) holds one serial per line, in hex as
// `openssl x509 -noout -serial` prints it ("serial=1F02AB"), or "1f02ab",
// "0x1f02ab", "1f:02:ab"; leading zeros do not matter. '#' starts a
// comment; blank lines are ignored. A serial applies to certificates of
// every CA the program trusts: a federation has one CA, whose serials are
// unique (cli/fed-pki revoke appends them).
//
// The list is replaced as a whole: a new handshake sees the new list at
// once, and a connection already established with a peer whose serial the
// new list holds is closed at its next message, read or written (logged
// at warning level: "closing the connection with the client at ...").
// An idle connection stays open until it carries something.
//
// This side's certificate, key and CA (--tls-cert, --tls-key, --tls-ca) are
// read again at each reload too (fed_tls_credentials_reload, registered
// with fed_process_on_reload when the engine is installed): every listener
// and dialer made by lib/transport.c uses the new files for its NEW
// handshakes, while the connections already established keep the
// credentials they started with. A reload whose files do not all parse
// (a certificate, a key that is not the certificate's, a CA) changes
// nothing.

#ifndef FED_TLS_H
#define FED_TLS_H

#include <stddef.h>

#include "fed/status.h"

// Sets the revocation file (borrowed, copied) and reads it: from then on,
// handshakes refuse the serials it lists. NULL or "" means no file: the
// list is emptied. On any error the list in force is kept and the file is
// not remembered. Returns OK; NOT_FOUND when the file does not exist
// (create it empty to revoke nothing yet); INVALID_ARGUMENT for a line that
// is not a serial (the message in err names the file and the line) or a
// file over 1 MiB; UNAVAILABLE when it cannot be read; RESOURCE_EXHAUSTED.
// err (may be NULL) receives a message of at most err_len bytes. Blocks on
// the file read; safe from any thread.
fed_status fed_tls_revocation_load(
    const char *path, char *err, size_t err_len);

// fed_tls_revocation_load for a program's start (--tls-revoked): the
// error, if any, is logged at error level, and the number of serials at
// info level when a file is set, which is then read again at each reload
// of the program (fed_process_on_reload: SIGHUP, `systemctl reload`).
// Call from the main thread. The same statuses.
fed_status fed_tls_revocation_init(const char *path);

// Reads the file last set by fed_tls_revocation_load again and replaces the
// list (the call for SIGHUP or `systemctl reload`; not async-signal-safe:
// call it from the program's loop, not from the handler). OK, doing
// nothing, when no file is set. The same errors as fed_tls_revocation_load,
// each also logged at error level; the list in force is then kept. Logs
// the number of serials at notice level on success.
fed_status fed_tls_revocation_reload(void);

// Reads the certificate, key and CA files of every live TLS configuration
// made by lib/transport.c again and, once all of them parsed, makes them
// the ones of the next handshakes (established connections are left as
// they are). Logs at notice level how many configurations were reloaded
// and each certificate's serial and expiry. On any error nothing changes:
// the file and the reason are logged at error level, and the status is
// NOT_FOUND (a missing file), UNAVAILABLE (unreadable), INVALID_ARGUMENT
// (not PEM, not a certificate, a key that is not the certificate's) or
// RESOURCE_EXHAUSTED. OK, doing nothing, without such configurations.
// Blocks on the file reads; not async-signal-safe; any thread.
fed_status fed_tls_credentials_reload(void);

// The number of serials in the list in force.
size_t fed_tls_revocation_count(void);

// Installs enfed's TLS engine in nng, once per process (later calls return
// the first result), and registers fed_tls_credentials_reload with
// fed_process_on_reload ("TLS certificates"), once: the process's first
// TLS configuration must therefore not be made inside a reload callback
// (the reload lock is not recursive), and a program that calls
// fed_process_reload_clear before it serves again has to register it
// itself. Called by lib/transport.c before it makes any TLS
// configuration; a program calls it itself only if it makes nng TLS
// configurations of its own that should follow the revocation list.
// Returns OK, or INTERNAL (logged) if nng refused the engine: no TLS
// configuration should then be made, since revocation would not apply.
fed_status fed_tls_engine_install(void);

#endif // FED_TLS_H
