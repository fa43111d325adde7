// SPDX-License-Identifier: MIT
//
// tls_engine.c: enfed's TLS engine for nng, on mbedtls 2.28.
//
// nng 1.5.2's own mbedtls engine verifies a peer against the CA, but
// offers no hook to refuse a certificate that was revoked after it was
// issued (its CRL is frozen in the configuration, which a running listener
// keeps), and it reports a refused handshake to no one. nng lets a program
// plug in its own engine (nng/supplemental/tls/engine.h): this one does
// what the built-in engine does, and adds a verification callback that
// refuses serials of the process-wide revocation list (tls_revoked.c) and
// keeps the peer certificate's CN and serial, so that a refused handshake
// is logged with the peer and the reason. It also lists the connections it
// verified: to tell the RPC layer which certificate a pipe's peer
// presented, and to close those whose peer a reload revoked.
//
// Its structure follows nng's own mbedtls engine
// (src/supplemental/tls/mbedtls/tls.c, MIT, Staysail Systems and
// contributors): the same configuration and connection operations, the
// same TLS 1.2 default, the same mapping of mbedtls errors to nng's.

#include "tls_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#include <nng/nng.h>
#include <nng/supplemental/tls/engine.h>

#include "fed/clock.h"
#include "fed/log.h"
#include "fed/metrics.h"
#include "fed/tls.h"

// This side's certificate and its key (a server may have several).
struct own_pair {
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	struct own_pair *next;
};

struct nng_tls_engine_config {
	mbedtls_ssl_config ssl;
	nng_tls_mode mode;
	char *server_name;
	mbedtls_x509_crt ca;
	mbedtls_x509_crl crl; // only if one was given with the CA
	struct own_pair *pairs;
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

static int
rng(void *arg, unsigned char *buf, size_t len)
{
	(void) arg;
	while (len > 0) {
		ssize_t n = getrandom(buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
		buf += n;
		len -= (size_t) n;
	}
	return 0;
}

// mbedtls codes to nng's, as nng's engine maps them.
static int
nng_err(int rv)
{
	switch (rv) {
	case MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE:
	case MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED:
	case MBEDTLS_ERR_SSL_PEER_VERIFY_FAILED:
	case MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE:
		return NNG_EPEERAUTH;
	case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
		return NNG_ECONNREFUSED;
	case MBEDTLS_ERR_SSL_ALLOC_FAILED:
		return NNG_ENOMEM;
	case MBEDTLS_ERR_SSL_TIMEOUT:
		return NNG_ETIMEDOUT;
	case MBEDTLS_ERR_SSL_CONN_EOF:
		return NNG_ECLOSED;
	default:
		return NNG_ECRYPTO;
	}
}

static int
net_send(void *tls, const unsigned char *buf, size_t len)
{
	size_t n = len;
	switch (nng_tls_engine_send(tls, buf, &n)) {
	case 0:
		return (int) n;
	case NNG_EAGAIN:
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	default:
		return MBEDTLS_ERR_NET_SEND_FAILED;
	}
}

static int
net_recv(void *tls, unsigned char *buf, size_t len)
{
	size_t n = len;
	switch (nng_tls_engine_recv(tls, buf, &n)) {
	case 0:
		return (int) n;
	case NNG_EAGAIN:
		return MBEDTLS_ERR_SSL_WANT_READ;
	default:
		return MBEDTLS_ERR_NET_RECV_FAILED;
	}
}

// ---- The peer, for the logs and fed__tls_peer_cert

void
fed__tls_addr_str(const nng_sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "";
	buf[0] = '\0';
	if (sa->s_family == NNG_AF_INET
	    && inet_ntop(AF_INET, &sa->s_in.sa_addr, ip, sizeof(ip)) != NULL)
		snprintf(buf, len, "%s:%u", ip, ntohs(sa->s_in.sa_port));
	else if (sa->s_family == NNG_AF_INET6
	    && inet_ntop(AF_INET6, sa->s_in6.sa_addr, ip, sizeof(ip)) != NULL)
		snprintf(buf, len, "[%s]:%u", ip, ntohs(sa->s_in6.sa_port));
}

// The addresses (NNG_OPT_REMADDR or NNG_OPT_LOCADDR) of nng's connection.
// nng hands the engine an opaque pointer to its connection, whose first
// member is, in nng 1.3 to 1.7, the nng_stream that nng_stream_get_addr
// accepts (the TCP stream's addresses are forwarded). Other versions: the
// address stays unknown.
static void
conn_addr(void *tls, const char *opt, char *buf, size_t len)
{
	buf[0] = '\0';
#if NNG_MAJOR_VERSION == 1 && NNG_MINOR_VERSION >= 3 && NNG_MINOR_VERSION <= 7
	nng_sockaddr sa;
	if (nng_stream_get_addr((nng_stream *) tls, opt, &sa) == 0)
		fed__tls_addr_str(&sa, buf, len);
#else
	(void) tls;
	(void) opt;
	(void) len;
#endif
}

// The connections whose handshake succeeded, for fed__tls_peer_cert: a
// list, since it is walked only on request.
static pthread_mutex_t peers_mtx = PTHREAD_MUTEX_INITIALIZER;
static nng_tls_engine_conn *peers;

static void
peers_add(nng_tls_engine_conn *ec)
{
	if (ec->addr[0] == '\0' || ec->local[0] == '\0')
		return;
	pthread_mutex_lock(&peers_mtx);
	ec->prev = NULL;
	ec->next = peers;
	if (peers != NULL)
		peers->prev = ec;
	peers = ec;
	ec->listed = true;
	pthread_mutex_unlock(&peers_mtx);
}

static void
peers_remove(nng_tls_engine_conn *ec)
{
	pthread_mutex_lock(&peers_mtx);
	if (ec->listed) {
		if (ec->prev != NULL)
			ec->prev->next = ec->next;
		else
			peers = ec->next;
		if (ec->next != NULL)
			ec->next->prev = ec->prev;
		ec->listed = false;
	}
	pthread_mutex_unlock(&peers_mtx);
}

size_t
fed__tls_recheck(void)
{
	size_t n = 0;
	pthread_mutex_lock(&peers_mtx);
	for (nng_tls_engine_conn *ec = peers; ec != NULL; ec = ec->next)
		if (!atomic_load(&ec->cut) && ec->serial_len > 0
		    && fed__tls_revoked_has(ec->serial_raw, ec->serial_len)) {
			atomic_store(&ec->cut, true);
			n++;
		}
	pthread_mutex_unlock(&peers_mtx);
	return n;
}

fed_status
fed__tls_peer_cert(const char *local, const char *remote, char *cn,
    size_t cn_len, char *serial, size_t serial_len)
{
	fed_status st = FED_NOT_FOUND;
	pthread_mutex_lock(&peers_mtx);
	for (const nng_tls_engine_conn *ec = peers; ec != NULL; ec = ec->next)
		if (strcmp(ec->addr, remote) == 0
		    && strcmp(ec->local, local) == 0) {
			snprintf(cn, cn_len, "%s", ec->cn);
			snprintf(serial, serial_len, "%s", ec->serial);
			st = FED_OK;
			break;
		}
	pthread_mutex_unlock(&peers_mtx);
	return st;
}

// The subject CN of crt, printable ASCII only (it is the peer's text).
static void
crt_cn(const mbedtls_x509_crt *crt, char *buf, size_t len)
{
	buf[0] = '\0';
	for (const mbedtls_x509_name *n = &crt->subject; n != NULL;
	     n = n->next) {
		if (n->oid.p == NULL
		    || MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid))
			continue;
		size_t o = 0;
		for (size_t i = 0; i < n->val.len && o + 1 < len; i++) {
			unsigned char c = n->val.p[i];
			buf[o++] = c >= 0x20 && c < 0x7f ? (char) c : '?';
		}
		buf[o] = '\0';
		return;
	}
}

// mbedtls calls this for each certificate of the peer's chain, from the
// CA down to the peer's own (depth 0), after its own checks; flags set
// here make the handshake fail as a verification failure, and the peer
// gets the matching alert (certificate_revoked).
static int
verify(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct nng_tls_engine_conn *ec = arg;
	if (depth != 0)
		return 0;
	crt_cn(crt, ec->cn, sizeof(ec->cn));
	fed__tls_serial_str(
	    crt->serial.p, crt->serial.len, ec->serial, sizeof(ec->serial));
	ec->serial_len = 0;
	if (crt->serial.len <= sizeof(ec->serial_raw)) {
		memcpy(ec->serial_raw, crt->serial.p, crt->serial.len);
		ec->serial_len = crt->serial.len;
	}
	if (fed__tls_revoked_has(crt->serial.p, crt->serial.len)) {
		ec->revoked = true;
		*flags |= MBEDTLS_X509_BADCERT_REVOKED;
	}
	return 0;
}

// ---- Logging a refused handshake

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
static void
handshake_failed(const struct nng_tls_engine_conn *ec, int rv)
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

// ---- Connection operations

static int
engine_conn_init(
    nng_tls_engine_conn *ec, void *tls, nng_tls_engine_config *cfg)
{
	ec->tls = tls;
	ec->cfg = cfg;
	atomic_init(&ec->cut, false);
	mbedtls_ssl_init(&ec->ssl);
	mbedtls_ssl_set_bio(&ec->ssl, tls, net_send, net_recv, NULL);
	int rv = mbedtls_ssl_setup(&ec->ssl, &cfg->ssl);
	if (rv != 0)
		return nng_err(rv);
	mbedtls_ssl_set_verify(&ec->ssl, verify, ec);
	if (cfg->server_name != NULL
	    && (rv = mbedtls_ssl_set_hostname(&ec->ssl, cfg->server_name))
	        != 0)
		return nng_err(rv);
	conn_addr(tls, NNG_OPT_REMADDR, ec->addr, sizeof(ec->addr));
	conn_addr(tls, NNG_OPT_LOCADDR, ec->local, sizeof(ec->local));
	return 0;
}

static void
engine_conn_fini(nng_tls_engine_conn *ec)
{
	peers_remove(ec);
	mbedtls_ssl_free(&ec->ssl);
}

static void
engine_conn_close(nng_tls_engine_conn *ec)
{
	// A close-notify that fails changes nothing: nng closes the TCP
	// connection itself.
	(void) mbedtls_ssl_close_notify(&ec->ssl);
}

static int
engine_conn_handshake(nng_tls_engine_conn *ec)
{
	int rv = mbedtls_ssl_handshake(&ec->ssl);
	switch (rv) {
	case 0:
		if (ec->serial[0] != '\0' // a certificate, and verified
		    && mbedtls_ssl_get_verify_result(&ec->ssl) == 0)
			peers_add(ec);
		fed_log(FED_LOG_DEBUG, "tls",
		    "TLS: %s at %s verified (CN=%s, "
		    "serial %s)",
		    ec->cfg->mode == NNG_TLS_MODE_SERVER ? "client" : "server",
		    ec->addr, ec->cn, ec->serial);
		return 0;
	case MBEDTLS_ERR_SSL_WANT_READ:
	case MBEDTLS_ERR_SSL_WANT_WRITE:
		return NNG_EAGAIN;
	default:
		handshake_failed(ec, rv);
		return nng_err(rv);
	}
}

// True when the connection was revoked after its handshake (logged once
// per connection, by the side that revoked it).
static bool
conn_cut(nng_tls_engine_conn *ec)
{
	if (!atomic_load(&ec->cut))
		return false;
	if (!ec->revoked) {
		ec->revoked = true;
		fed_log(FED_LOG_WARNING, "tls",
		    "TLS: closing the connection with the %s at %s (CN=%s, "
		    "serial %s): certificate revoked (serial %s)",
		    ec->cfg->mode == NNG_TLS_MODE_SERVER ? "client" : "server",
		    ec->addr, ec->cn, ec->serial, ec->serial);
	}
	return true;
}

static int
engine_conn_recv(nng_tls_engine_conn *ec, uint8_t *buf, size_t *len)
{
	if (conn_cut(ec))
		return NNG_ECRYPTO;
	int rv = mbedtls_ssl_read(&ec->ssl, buf, *len);
	if (rv == MBEDTLS_ERR_SSL_WANT_READ
	    || rv == MBEDTLS_ERR_SSL_WANT_WRITE)
		return NNG_EAGAIN;
	if (rv < 0)
		return nng_err(rv);
	*len = (size_t) rv;
	return 0;
}

static int
engine_conn_send(nng_tls_engine_conn *ec, const uint8_t *buf, size_t *len)
{
	if (conn_cut(ec))
		return NNG_ECRYPTO;
	int rv = mbedtls_ssl_write(&ec->ssl, buf, *len);
	if (rv == MBEDTLS_ERR_SSL_WANT_READ
	    || rv == MBEDTLS_ERR_SSL_WANT_WRITE)
		return NNG_EAGAIN;
	if (rv < 0)
		return nng_err(rv);
	*len = (size_t) rv;
	return 0;
}

static bool
engine_conn_verified(nng_tls_engine_conn *ec)
{
	return mbedtls_ssl_get_verify_result(&ec->ssl) == 0;
}

// ---- Configuration operations

static void
engine_config_fini(nng_tls_engine_config *cfg)
{
	mbedtls_ssl_config_free(&cfg->ssl);
	mbedtls_x509_crt_free(&cfg->ca);
	mbedtls_x509_crl_free(&cfg->crl);
	free(cfg->server_name);
	while (cfg->pairs != NULL) {
		struct own_pair *p = cfg->pairs;
		cfg->pairs = p->next;
		mbedtls_x509_crt_free(&p->crt);
		mbedtls_pk_free(&p->key);
		free(p);
	}
}

static int
engine_config_init(nng_tls_engine_config *cfg, nng_tls_mode mode)
{
	int server = mode == NNG_TLS_MODE_SERVER;
	cfg->mode = mode;
	mbedtls_ssl_config_init(&cfg->ssl);
	mbedtls_x509_crt_init(&cfg->ca);
	mbedtls_x509_crl_init(&cfg->crl);
	int rv = mbedtls_ssl_config_defaults(&cfg->ssl,
	    server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (rv != 0) {
		engine_config_fini(cfg);
		return nng_err(rv);
	}
	// nng's defaults: a client verifies the server, a server asks for
	// nothing unless told (enfed's listeners require it); TLS 1.2 only.
	mbedtls_ssl_conf_authmode(&cfg->ssl,
	    server ? MBEDTLS_SSL_VERIFY_NONE : MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_min_version(&cfg->ssl, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(&cfg->ssl, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_rng(&cfg->ssl, rng, NULL);
	return 0;
}

static int
engine_config_server(nng_tls_engine_config *cfg, const char *name)
{
	char *dup = strdup(name);
	if (dup == NULL)
		return NNG_ENOMEM;
	free(cfg->server_name);
	cfg->server_name = dup;
	return 0;
}

static int
engine_config_auth(nng_tls_engine_config *cfg, nng_tls_auth_mode mode)
{
	switch (mode) {
	case NNG_TLS_AUTH_MODE_NONE:
		mbedtls_ssl_conf_authmode(&cfg->ssl, MBEDTLS_SSL_VERIFY_NONE);
		return 0;
	case NNG_TLS_AUTH_MODE_OPTIONAL:
		mbedtls_ssl_conf_authmode(
		    &cfg->ssl, MBEDTLS_SSL_VERIFY_OPTIONAL);
		return 0;
	case NNG_TLS_AUTH_MODE_REQUIRED:
		mbedtls_ssl_conf_authmode(
		    &cfg->ssl, MBEDTLS_SSL_VERIFY_REQUIRED);
		return 0;
	}
	return NNG_EINVAL;
}

// certs and crl are NUL-terminated PEM (several blocks allowed); crl may
// be NULL.
static int
engine_config_ca_chain(
    nng_tls_engine_config *cfg, const char *certs, const char *crl)
{
	int rv = mbedtls_x509_crt_parse(
	    &cfg->ca, (const unsigned char *) certs, strlen(certs) + 1);
	if (rv != 0)
		return nng_err(rv);
	if (crl != NULL
	    && (rv = mbedtls_x509_crl_parse(
	            &cfg->crl, (const unsigned char *) crl, strlen(crl) + 1))
	        != 0)
		return nng_err(rv);
	mbedtls_ssl_conf_ca_chain(
	    &cfg->ssl, &cfg->ca, crl != NULL ? &cfg->crl : NULL);
	return 0;
}

static int
engine_config_own_cert(nng_tls_engine_config *cfg, const char *cert,
    const char *key, const char *pass)
{
	struct own_pair *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NNG_ENOMEM;
	mbedtls_x509_crt_init(&p->crt);
	mbedtls_pk_init(&p->key);
	int rv = mbedtls_x509_crt_parse(
	    &p->crt, (const unsigned char *) cert, strlen(cert) + 1);
	if (rv == 0)
		rv = mbedtls_pk_parse_key(&p->key, (const unsigned char *) key,
		    strlen(key) + 1, (const unsigned char *) pass,
		    pass != NULL ? strlen(pass) : 0);
	if (rv == 0)
		rv = mbedtls_ssl_conf_own_cert(&cfg->ssl, &p->crt, &p->key);
	if (rv != 0) {
		mbedtls_x509_crt_free(&p->crt);
		mbedtls_pk_free(&p->key);
		free(p);
		return nng_err(rv);
	}
	p->next = cfg->pairs; // kept until the configuration is freed
	cfg->pairs = p;
	return 0;
}

// mbedtls 2.28 speaks TLS 1.0 to 1.2: 1.3 is read as 1.2, as nng does.
static int
minor_version(nng_tls_version v, int *out)
{
	switch (v) {
	case NNG_TLS_1_0:
		*out = MBEDTLS_SSL_MINOR_VERSION_1;
		return 0;
	case NNG_TLS_1_1:
		*out = MBEDTLS_SSL_MINOR_VERSION_2;
		return 0;
	case NNG_TLS_1_2:
	case NNG_TLS_1_3:
		*out = MBEDTLS_SSL_MINOR_VERSION_3;
		return 0;
	default:
		return NNG_ENOTSUP;
	}
}

static int
engine_config_version(nng_tls_engine_config *cfg, nng_tls_version min_ver,
    nng_tls_version max_ver)
{
	int lo, hi;
	if (min_ver > max_ver || min_ver == NNG_TLS_1_3
	    || minor_version(min_ver, &lo) != 0
	    || minor_version(max_ver, &hi) != 0)
		return NNG_ENOTSUP;
	mbedtls_ssl_conf_min_version(
	    &cfg->ssl, MBEDTLS_SSL_MAJOR_VERSION_3, lo);
	mbedtls_ssl_conf_max_version(
	    &cfg->ssl, MBEDTLS_SSL_MAJOR_VERSION_3, hi);
	return 0;
}

static nng_tls_engine_config_ops config_ops = {
    .size = sizeof(nng_tls_engine_config),
    .init = engine_config_init,
    .fini = engine_config_fini,
    .server = engine_config_server,
    .auth = engine_config_auth,
    .ca_chain = engine_config_ca_chain,
    .own_cert = engine_config_own_cert,
    .version = engine_config_version,
};

static nng_tls_engine_conn_ops conn_ops = {
    .size = sizeof(nng_tls_engine_conn),
    .init = engine_conn_init,
    .fini = engine_conn_fini,
    .close = engine_conn_close,
    .handshake = engine_conn_handshake,
    .recv = engine_conn_recv,
    .send = engine_conn_send,
    .verified = engine_conn_verified,
};

static const char engine_name[] = "enfed-mbed";

static nng_tls_engine engine = {
    .version = NNG_TLS_ENGINE_VERSION,
    .config_ops = &config_ops,
    .conn_ops = &conn_ops,
    .name = engine_name,
    .description = MBEDTLS_VERSION_STRING_FULL " with enfed revocation",
    .fips_mode = false,
};

static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static fed_status install_status = FED_INTERNAL;

static void
install(void)
{
	// nng registers its built-in engine when it initialises itself, on
	// first use, which would replace an engine registered before:
	// nng_tls_engine_name makes nng initialise first.
	(void) nng_tls_engine_name();
	int rv = nng_tls_engine_register(&engine);
	if (rv != 0 || strcmp(nng_tls_engine_name(), engine_name) != 0) {
		fed_log(FED_LOG_ERR, "tls",
		    "nng did not take enfed's TLS engine (%s): TLS is "
		    "disabled, since revocation would not apply",
		    rv != 0 ? nng_strerror(rv) : "another engine in place");
		return;
	}
	install_status = FED_OK;
}

fed_status
fed_tls_engine_install(void)
{
	pthread_once(&install_once, install);
	return install_status;
}
