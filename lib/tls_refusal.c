// SPDX-License-Identifier: MIT
//
// tls_refusal.c: why a TLS handshake of enfed's engine (tls_engine.c)
// failed, and its log line.
//
// nng's own mbedtls engine reports a refused handshake to no one. enfed's
// engine hands each failed handshake here, which names the peer (its
// address, and the CN and serial of its certificate that the verification
// callback kept) and the reason: the certificate this side refused
// (revoked, not signed by the CA, not issued for the name expected,
// expired), or the alert the peer sent when it refused this side's. A
// refusal is a warning, rate limited per peer and reason, since a refused
// peer usually redials; a handshake that failed for another reason (a
// peer that closed, a plain TCP probe of the port) is a debug line.
//
// It keeps no pointer to a connection: everything it needs is read during
// the call, on the nng thread that ran the handshake.

#include "tls_engine_internal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "fed/clock.h"
#include "fed/log.h"
#include "fed/metrics.h"

enum {
	LOG_INTERVAL_MS = 60000,
	N_LOGGED = 64,
};

// The refusals logged lately (by hash of side, peer address without the
// port, reason and serial): a peer redialling every 100 ms is logged once
// a minute, with the count of the refusals not logged.
static pthread_mutex_t logged_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uint64_t hash;
	int64_t at_ms;
	unsigned skipped;
} logged[N_LOGGED];

// True when key is due a log line; *skipped gets the refusals not logged
// since the last one.
static int
log_due(const char *key, unsigned *skipped)
{
	uint64_t h = 1469598103934665603u; // FNV-1a
	for (const char *c = key; *c != '\0'; c++)
		h = (h ^ (uint8_t) *c) * 1099511628211u;
	int64_t now = fed_clock_now_ms();
	pthread_mutex_lock(&logged_mtx);
	size_t slot = h % N_LOGGED;
	int due = logged[slot].hash != h || logged[slot].at_ms == 0
	    || now - logged[slot].at_ms >= LOG_INTERVAL_MS;
	*skipped = 0;
	if (due) {
		*skipped = logged[slot].hash == h ? logged[slot].skipped : 0;
		logged[slot].hash = h;
		logged[slot].at_ms = now;
		logged[slot].skipped = 0;
	} else {
		logged[slot].skipped++;
	}
	pthread_mutex_unlock(&logged_mtx);
	return due;
}

// Why this side refused the peer's certificate.
static void
refusal_reason(const struct nng_tls_engine_conn *ec, char *buf, size_t len)
{
	uint32_t f = mbedtls_ssl_get_verify_result(&ec->ssl);
	if (ec->revoked)
		snprintf(
		    buf, len, "certificate revoked (serial %s)", ec->serial);
	else if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		snprintf(buf, len, "not signed by the federation CA");
	else if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH)
		snprintf(buf, len, "not issued for '%s'",
		    ec->cfg->server_name != NULL ? ec->cfg->server_name : "");
	else if (f & MBEDTLS_X509_BADCERT_EXPIRED)
		snprintf(buf, len, "certificate expired");
	else if (f & MBEDTLS_X509_BADCERT_FUTURE)
		snprintf(buf, len, "certificate not valid yet");
	else if (f & MBEDTLS_X509_BADCERT_REVOKED)
		snprintf(buf, len, "certificate revoked by the CA's CRL");
	else
		snprintf(buf, len, "certificate refused (mbedtls flags 0x%x)",
		    (unsigned) f);
}

// What a fatal alert from the peer means, from this side's view.
static const char *
alert_reason(int alert)
{
	switch (alert) {
	case MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED:
		return "this side's certificate is revoked there";
	case MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA:
		return "this side's certificate is not signed by its CA";
	case MBEDTLS_SSL_ALERT_MSG_BAD_CERT:
		return "this side's certificate was refused (not issued for "
		       "the name it expects)";
	case MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED:
		return "this side's certificate has expired";
	case MBEDTLS_SSL_ALERT_MSG_NO_CERT:
	case MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE:
		return "no certificate or no common TLS settings";
	default:
		return "this side's certificate or settings were refused";
	}
}

// The fatal alert the peer sent, or -1.
static int
peer_alert(const struct nng_tls_engine_conn *ec)
{
	const mbedtls_ssl_context *s = &ec->ssl;
	if (s->in_msg == NULL || s->in_msgtype != MBEDTLS_SSL_MSG_ALERT
	    || s->in_msglen < 2)
		return -1;
	return s->in_msg[1];
}

// Why a handshake failed with rv, into why: 1 when a certificate was
// refused on either side (worth a warning), 0 otherwise (a peer that
// closed, a plain TCP probe of the port).
static int
failure_reason(
    const struct nng_tls_engine_conn *ec, int rv, char *why, size_t len)
{
	int alert;
	switch (rv) {
	case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
		refusal_reason(ec, why, len);
		return 1;
	case MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE:
		snprintf(why, len, "it presented no certificate");
		return 1;
	case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
		alert = peer_alert(ec);
		snprintf(
		    why, len, "%s (TLS alert %d)", alert_reason(alert), alert);
		return 1;
	default:
		mbedtls_strerror(rv, why, len);
		return 0;
	}
}

// The length of the host part of "ip:port" or "[ip6]:port".
static int
host_len(const char *addr)
{
	return (int) (addr[0] == '[' ? strcspn(addr, "]") + 1
	                             : strcspn(addr, ":"));
}

// Logs a failed handshake (rv from mbedtls): a refused certificate at
// warning level, once a minute per side, peer host, reason and serial;
// anything else at debug level.
void
fed__tls_handshake_failed(const nng_tls_engine_conn *ec, int rv)
{
	const char *peer
	    = ec->cfg->mode == NNG_TLS_MODE_SERVER ? "client" : "server";
	const char *addr = ec->addr[0] != '\0' ? ec->addr : "(unknown)";
	char who[CN_LEN + SERIAL_LEN + 32] = "", why[160], key[512];
	char more[64] = "";
	unsigned skipped;
	if (!failure_reason(ec, rv, why, sizeof(why))) {
		fed_log(FED_LOG_DEBUG, "tls",
		    "TLS: handshake with the %s at %s failed: %s (mbedtls "
		    "-0x%04x)",
		    peer, addr, why, (unsigned) -rv);
		return;
	}
	fed_metrics_tls_handshake_failure(); // every one, logged or not
	snprintf(key, sizeof(key), "%s|%.*s|%s|%s", peer, host_len(addr), addr,
	    why, ec->serial);
	if (!log_due(key, &skipped))
		return;
	if (ec->serial[0] != '\0')
		snprintf(who, sizeof(who), " (CN=%s, serial %s)", ec->cn,
		    ec->serial);
	if (skipped > 0)
		snprintf(more, sizeof(more),
		    " [and %u more times since the last report]", skipped);
	if (rv == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
		fed_log(FED_LOG_WARNING, "tls",
		    "TLS: the %s at %s%s ended the handshake: %s%s", peer,
		    addr, who, why, more);
	else
		fed_log(FED_LOG_WARNING, "tls",
		    "TLS: refused the %s at %s%s: %s%s", peer, addr, who, why,
		    more);
}
