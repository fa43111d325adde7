// SPDX-License-Identifier: MIT
//
// tls_engine_internal.h: what the three parts of enfed's TLS engine for nng
// share. tls_engine.c is the engine nng calls (its configuration and
// connection operations, the verification callback, the list of verified
// connections); tls_creds.c keeps the credentials a configuration's
// handshakes use, in reference-counted "generations", and rereads them at
// a reload; tls_refusal.c says why a handshake failed and logs it, rate
// limited. Both engine structures are defined here, since all three read
// their fields; a generation stays opaque outside tls_creds.c.
//
// Ownership: a configuration holds one reference on its current
// generation, a connection one on the generation it started with; nng owns
// the memory of both structures (it allocates the sizes the engine gives).

#ifndef FED_TLS_ENGINE_INTERNAL_H
#define FED_TLS_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ssl.h>
#include <nng/nng.h>
#include <nng/supplemental/tls/engine.h>

#include "tls_internal.h"

// What new connections of one configuration use (tls_creds.c).
struct gen;

// The files a configuration was made from (fed__tls_config_paths).
struct paths {
	char *cert, *key, *ca;
};

struct nng_tls_engine_config {
	nng_tls_mode mode;
	char *server_name;
	// The settings each new generation gets (nng sets them once, before
	// any connection).
	int authmode; // MBEDTLS_SSL_VERIFY_*
	int min_minor, max_minor; // MBEDTLS_SSL_MINOR_VERSION_*
	struct paths paths; // all NULL: not reloadable
	pthread_mutex_t mtx; // gen
	struct gen *gen; // the current generation (one reference)
	// In the list of reloadable configurations (live_mtx).
	nng_tls_engine_config *prev, *next;
};

enum {
	ADDR_LEN = 64,
	CN_LEN = 96,
	SERIAL_LEN = 2 * FED__TLS_SERIAL_MAX + 3,
};

struct nng_tls_engine_conn {
	void *tls; // nng's connection: the argument of nng_tls_engine_send
	mbedtls_ssl_context ssl;
	const nng_tls_engine_config *cfg;
	struct gen *gen; // the generation ssl uses (one reference)
	char addr[ADDR_LEN]; // the peer's "ip:port", or "" when unknown
	char local[ADDR_LEN]; // this side's "ip:port", or ""
	char cn[CN_LEN]; // its certificate's subject CN, once seen
	char serial[SERIAL_LEN]; // "0x..", once seen
	// its DER bytes, if they fit (a leading 0 byte keeps a 20-byte serial
	// with its high bit set positive)
	uint8_t serial_raw[FED__TLS_SERIAL_MAX + 1];
	size_t serial_len; // 0: not seen, or longer than a serial may be
	bool revoked; // its serial is in the revocation list
	// Revoked once established: the next read or write fails, which
	// makes nng close the connection (set by fed__tls_recheck).
	atomic_bool cut;
	// In the list of verified connections (peers_mtx), from the end of
	// the handshake to fini.
	bool listed;
	nng_tls_engine_conn *prev, *next;
};

// ---- tls_engine.c

// Maps an mbedtls error code (negative) to nng's, as nng's own engine
// does: NNG_EPEERAUTH, NNG_ECONNREFUSED, NNG_ENOMEM, NNG_ETIMEDOUT,
// NNG_ECLOSED, else NNG_ECRYPTO. Pure; any thread.
int fed__tls_nng_err(int rv);

// ---- tls_creds.c

// Sets up the credentials part of cfg, whose mode, auth mode and versions
// are set and whose mtx is initialised: copies the files named on this
// thread (fed__tls_config_paths), if all three are, into cfg->paths;
// builds cfg's first generation (settings only, no CA, no certificate)
// into cfg->gen, holding one reference; and, with paths, lists cfg for
// fed_tls_credentials_reload. 0; NNG_ENOMEM or an mbedtls error mapped
// (fed__tls_nng_err), with nothing kept. Called by nng's config init, on
// the thread that calls nng_tls_config_alloc.
int fed__tls_creds_init(nng_tls_engine_config *cfg);

// Undoes fed__tls_creds_init: unlists cfg if it has paths (waiting for a
// reload in progress), drops its reference on its generation (which
// connections may still hold; NULL: nothing) and frees its paths. Does not
// touch cfg->mtx. Called by nng's config fini, once no new connection can
// start with cfg.
void fed__tls_creds_fini(nng_tls_engine_config *cfg);

// Takes a reference on cfg's current generation, under cfg->mtx, for a
// connection that starts; the caller drops it with fed__tls_gen_release.
// Any thread.
struct gen *fed__tls_gen_hold(nng_tls_engine_config *cfg);

// Drops a reference on g; the last one frees it (NULL: nothing). Any
// thread.
void fed__tls_gen_release(struct gen *g);

// g's mbedtls configuration (borrowed: it lives as long as g), for
// mbedtls_ssl_setup or a setting nng changes before any connection.
mbedtls_ssl_config *fed__tls_gen_ssl(struct gen *g);

// Adds the CA certificates of certs (NUL-terminated PEM, several blocks
// allowed; borrowed) and the CRL of crl (likewise; may be NULL) to g,
// which keeps its own parsed copies. 0 or an mbedtls error. The caller
// holds cfg->mtx for a generation in use.
int fed__tls_gen_ca(struct gen *g, const char *certs, const char *crl);

// Adds a certificate (PEM) and its key (PEM, pass may be NULL; all
// borrowed) to g, which keeps its own parsed copies. 0, an mbedtls error,
// or MBEDTLS_ERR_PK_BAD_INPUT_DATA when the key is not the certificate's.
// The caller holds cfg->mtx for a generation in use.
int fed__tls_gen_own_cert(
    struct gen *g, const char *cert, const char *key, const char *pass);

// ---- tls_refusal.c

// Logs a failed handshake of ec (rv from mbedtls_ssl_handshake; ec
// borrowed): a refused certificate, on either side, at warning level,
// once a minute per side, peer host, reason and serial, with the count of
// those not logged, and counted in enfed_tls_handshake_failures_total;
// anything else (a peer that closed, a plain TCP probe) at debug level.
// Called on the nng thread that runs the handshake.
void fed__tls_handshake_failed(const nng_tls_engine_conn *ec, int rv);

#endif // FED_TLS_ENGINE_INTERNAL_H
