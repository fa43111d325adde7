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
// Certificates rotate without a restart. A configuration made by
// lib/transport.c knows the files it came from (the transport names them
// through fed__tls_config_paths around nng_tls_config_alloc, whose config
// init runs on the calling thread). What mbedtls needs for a handshake
// (the mbedtls_ssl_config with the CA chain, this side's certificate and
// key, the auth mode, the versions) lives in a "generation" with a
// reference count: each connection holds the generation it started with
// until it ends, the configuration holds its current one.
// fed_tls_credentials_reload reads the files of every live configuration
// again, builds complete new generations and, only if all of them were
// built, swaps them in: new handshakes use the new credentials, the
// established connections keep theirs, and an old generation is freed with
// its last connection. nng itself never sees a change: its own
// configuration object stays the same (it cannot change once used).
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
#include "fed/process.h"
#include "fed/tls.h"

// This side's certificate and its key (a server may have several).
struct own_pair {
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	struct own_pair *next;
};

// What new connections of one configuration use: replaced as a whole by a
// reload, freed when the configuration and the last connection that
// started with it are gone.
struct gen {
	atomic_size_t refs;
	mbedtls_ssl_config ssl;
	mbedtls_x509_crt ca;
	mbedtls_x509_crl crl; // only if one was given with the CA
	struct own_pair *pairs;
};

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
	// Written under peers_mtx, which fed__tls_peer_cert and
	// fed__tls_recheck take to read them: the handshake may end on
	// another nng thread than this one, and nng's own ordering of the
	// two is invisible to ThreadSanitizer (tests/sanitizers/tsan.supp).
	pthread_mutex_lock(&peers_mtx);
	crt_cn(crt, ec->cn, sizeof(ec->cn));
	fed__tls_serial_str(
	    crt->serial.p, crt->serial.len, ec->serial, sizeof(ec->serial));
	ec->serial_len = 0;
	if (crt->serial.len <= sizeof(ec->serial_raw)) {
		memcpy(ec->serial_raw, crt->serial.p, crt->serial.len);
		ec->serial_len = crt->serial.len;
	}
	pthread_mutex_unlock(&peers_mtx);
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

static void gen_release(struct gen *g);
static struct gen *gen_hold(nng_tls_engine_config *cfg);

static int
engine_conn_init(
    nng_tls_engine_conn *ec, void *tls, nng_tls_engine_config *cfg)
{
	ec->tls = tls;
	ec->cfg = cfg;
	atomic_init(&ec->cut, false);
	mbedtls_ssl_init(&ec->ssl);
	// The credentials in force now, for the whole life of the
	// connection, whatever a reload does meanwhile.
	ec->gen = gen_hold(cfg);
	mbedtls_ssl_set_bio(&ec->ssl, tls, net_send, net_recv, NULL);
	int rv = mbedtls_ssl_setup(&ec->ssl, &ec->gen->ssl);
	if (rv == 0) {
		mbedtls_ssl_set_verify(&ec->ssl, verify, ec);
		if (cfg->server_name != NULL)
			rv = mbedtls_ssl_set_hostname(
			    &ec->ssl, cfg->server_name);
	}
	if (rv != 0) {
		// Whether or not nng calls fini after a failed init.
		mbedtls_ssl_free(&ec->ssl);
		gen_release(ec->gen);
		ec->gen = NULL;
		return nng_err(rv);
	}
	conn_addr(tls, NNG_OPT_REMADDR, ec->addr, sizeof(ec->addr));
	conn_addr(tls, NNG_OPT_LOCADDR, ec->local, sizeof(ec->local));
	return 0;
}

static void
engine_conn_fini(nng_tls_engine_conn *ec)
{
	peers_remove(ec);
	mbedtls_ssl_free(&ec->ssl); // before its configuration goes
	gen_release(ec->gen);
	ec->gen = NULL;
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

// ---- Generations

static void
gen_free(struct gen *g)
{
	if (g == NULL)
		return;
	mbedtls_ssl_config_free(&g->ssl);
	mbedtls_x509_crt_free(&g->ca);
	mbedtls_x509_crl_free(&g->crl);
	while (g->pairs != NULL) {
		struct own_pair *p = g->pairs;
		g->pairs = p->next;
		mbedtls_x509_crt_free(&p->crt);
		mbedtls_pk_free(&p->key);
		free(p);
	}
	free(g);
}

// A generation with cfg's settings, no CA and no certificate yet, and one
// reference (the caller's). NNG_ENOMEM or an mbedtls error mapped.
static int
gen_new(const nng_tls_engine_config *cfg, struct gen **out)
{
	struct gen *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NNG_ENOMEM;
	atomic_init(&g->refs, 1);
	mbedtls_ssl_config_init(&g->ssl);
	mbedtls_x509_crt_init(&g->ca);
	mbedtls_x509_crl_init(&g->crl);
	int rv = mbedtls_ssl_config_defaults(&g->ssl,
	    cfg->mode == NNG_TLS_MODE_SERVER ? MBEDTLS_SSL_IS_SERVER
	                                     : MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (rv != 0) {
		gen_free(g);
		return nng_err(rv);
	}
	mbedtls_ssl_conf_authmode(&g->ssl, cfg->authmode);
	mbedtls_ssl_conf_min_version(
	    &g->ssl, MBEDTLS_SSL_MAJOR_VERSION_3, cfg->min_minor);
	mbedtls_ssl_conf_max_version(
	    &g->ssl, MBEDTLS_SSL_MAJOR_VERSION_3, cfg->max_minor);
	mbedtls_ssl_conf_rng(&g->ssl, rng, NULL);
	*out = g;
	return 0;
}

// Takes a reference on cfg's current generation (any thread).
static struct gen *
gen_hold(nng_tls_engine_config *cfg)
{
	pthread_mutex_lock(&cfg->mtx);
	struct gen *g = cfg->gen;
	atomic_fetch_add(&g->refs, 1);
	pthread_mutex_unlock(&cfg->mtx);
	return g;
}

// Drops a reference; the last one frees g (NULL: nothing).
static void
gen_release(struct gen *g)
{
	if (g != NULL && atomic_fetch_sub(&g->refs, 1) == 1)
		gen_free(g);
}

// Adds the CA certificates of certs (NUL-terminated PEM, several blocks
// allowed) and the CRL of crl (may be NULL) to g. 0 or an mbedtls error.
static int
gen_ca(struct gen *g, const char *certs, const char *crl)
{
	int rv = mbedtls_x509_crt_parse(
	    &g->ca, (const unsigned char *) certs, strlen(certs) + 1);
	if (rv > 0) // that many blocks were not certificates
		rv = MBEDTLS_ERR_X509_INVALID_FORMAT;
	if (rv == 0 && crl != NULL)
		rv = mbedtls_x509_crl_parse(
		    &g->crl, (const unsigned char *) crl, strlen(crl) + 1);
	if (rv == 0)
		mbedtls_ssl_conf_ca_chain(
		    &g->ssl, &g->ca, crl != NULL ? &g->crl : NULL);
	return rv;
}

// Adds a certificate (PEM) and its key (PEM, pass may be NULL) to g. 0, an
// mbedtls error, or MBEDTLS_ERR_PK_BAD_INPUT_DATA when the key is not the
// certificate's.
static int
gen_own_cert(
    struct gen *g, const char *cert, const char *key, const char *pass)
{
	struct own_pair *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return MBEDTLS_ERR_SSL_ALLOC_FAILED;
	mbedtls_x509_crt_init(&p->crt);
	mbedtls_pk_init(&p->key);
	int rv = mbedtls_x509_crt_parse(
	    &p->crt, (const unsigned char *) cert, strlen(cert) + 1);
	if (rv > 0)
		rv = MBEDTLS_ERR_X509_INVALID_FORMAT;
	if (rv == 0)
		rv = mbedtls_pk_parse_key(&p->key, (const unsigned char *) key,
		    strlen(key) + 1, (const unsigned char *) pass,
		    pass != NULL ? strlen(pass) : 0);
	// A certificate rotated without its key (or the other way round)
	// would fail every handshake: refuse it here instead.
	if (rv == 0 && mbedtls_pk_check_pair(&p->crt.pk, &p->key) != 0)
		rv = MBEDTLS_ERR_PK_BAD_INPUT_DATA;
	if (rv == 0)
		rv = mbedtls_ssl_conf_own_cert(&g->ssl, &p->crt, &p->key);
	if (rv != 0) {
		mbedtls_x509_crt_free(&p->crt);
		mbedtls_pk_free(&p->key);
		free(p);
		return rv;
	}
	p->next = g->pairs; // kept until the generation is freed
	g->pairs = p;
	return 0;
}

// ---- Reloadable configurations

// The paths the transport names for the configuration being made on this
// thread (fed__tls_config_paths), read by engine_config_init.
static _Thread_local struct {
	const char *cert, *key, *ca;
} pending;

void
fed__tls_config_paths(const char *cert, const char *key, const char *ca)
{
	pending.cert = cert;
	pending.key = key;
	pending.ca = ca;
}

// The configurations made with paths, for fed_tls_credentials_reload. A
// reload holds live_mtx throughout, so a configuration cannot be freed
// while it is rebuilt.
static pthread_mutex_t live_mtx = PTHREAD_MUTEX_INITIALIZER;
static nng_tls_engine_config *live;

static void
paths_free(struct paths *p)
{
	free(p->cert);
	free(p->key);
	free(p->ca);
	p->cert = p->key = p->ca = NULL;
}

// ---- Configuration operations

static void
engine_config_fini(nng_tls_engine_config *cfg)
{
	if (cfg->paths.cert != NULL) {
		pthread_mutex_lock(&live_mtx);
		if (cfg->prev != NULL)
			cfg->prev->next = cfg->next;
		else
			live = cfg->next;
		if (cfg->next != NULL)
			cfg->next->prev = cfg->prev;
		pthread_mutex_unlock(&live_mtx);
	}
	gen_release(cfg->gen); // its connections may still hold it
	cfg->gen = NULL;
	pthread_mutex_destroy(&cfg->mtx);
	paths_free(&cfg->paths);
	free(cfg->server_name);
}

static int
engine_config_init(nng_tls_engine_config *cfg, nng_tls_mode mode)
{
	int server = mode == NNG_TLS_MODE_SERVER;
	cfg->mode = mode;
	pthread_mutex_init(&cfg->mtx, NULL); // fini destroys it in any case
	// nng's defaults: a client verifies the server, a server asks for
	// nothing unless told (enfed's listeners require it); TLS 1.2 only.
	cfg->authmode
	    = server ? MBEDTLS_SSL_VERIFY_NONE : MBEDTLS_SSL_VERIFY_REQUIRED;
	cfg->min_minor = cfg->max_minor = MBEDTLS_SSL_MINOR_VERSION_3;
	if (pending.cert != NULL && pending.key != NULL
	    && pending.ca != NULL) {
		cfg->paths.cert = strdup(pending.cert);
		cfg->paths.key = strdup(pending.key);
		cfg->paths.ca = strdup(pending.ca);
		if (cfg->paths.cert == NULL || cfg->paths.key == NULL
		    || cfg->paths.ca == NULL) {
			paths_free(&cfg->paths);
			return NNG_ENOMEM;
		}
	}
	int rv = gen_new(cfg, &cfg->gen);
	if (rv != 0) {
		paths_free(&cfg->paths);
		return rv;
	}
	if (cfg->paths.cert != NULL) {
		pthread_mutex_lock(&live_mtx);
		cfg->prev = NULL;
		cfg->next = live;
		if (live != NULL)
			live->prev = cfg;
		live = cfg;
		pthread_mutex_unlock(&live_mtx);
	}
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
	int m;
	switch (mode) {
	case NNG_TLS_AUTH_MODE_NONE:
		m = MBEDTLS_SSL_VERIFY_NONE;
		break;
	case NNG_TLS_AUTH_MODE_OPTIONAL:
		m = MBEDTLS_SSL_VERIFY_OPTIONAL;
		break;
	case NNG_TLS_AUTH_MODE_REQUIRED:
		m = MBEDTLS_SSL_VERIFY_REQUIRED;
		break;
	default:
		return NNG_EINVAL;
	}
	pthread_mutex_lock(&cfg->mtx);
	cfg->authmode = m;
	mbedtls_ssl_conf_authmode(&cfg->gen->ssl, m);
	pthread_mutex_unlock(&cfg->mtx);
	return 0;
}

// certs and crl are NUL-terminated PEM (several blocks allowed); crl may
// be NULL.
static int
engine_config_ca_chain(
    nng_tls_engine_config *cfg, const char *certs, const char *crl)
{
	pthread_mutex_lock(&cfg->mtx);
	int rv = gen_ca(cfg->gen, certs, crl);
	pthread_mutex_unlock(&cfg->mtx);
	return rv != 0 ? nng_err(rv) : 0;
}

static int
engine_config_own_cert(nng_tls_engine_config *cfg, const char *cert,
    const char *key, const char *pass)
{
	pthread_mutex_lock(&cfg->mtx);
	int rv = gen_own_cert(cfg->gen, cert, key, pass);
	pthread_mutex_unlock(&cfg->mtx);
	return rv != 0 ? nng_err(rv) : 0;
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
	pthread_mutex_lock(&cfg->mtx);
	cfg->min_minor = lo;
	cfg->max_minor = hi;
	mbedtls_ssl_conf_min_version(
	    &cfg->gen->ssl, MBEDTLS_SSL_MAJOR_VERSION_3, lo);
	mbedtls_ssl_conf_max_version(
	    &cfg->gen->ssl, MBEDTLS_SSL_MAJOR_VERSION_3, hi);
	pthread_mutex_unlock(&cfg->mtx);
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

// ---- Reload

enum {
	PEM_MAX = 1 << 20, // a credential file larger than this is refused
	WHY_LEN = 256,
};

// Reads path (at most PEM_MAX bytes) into a NUL-terminated heap string,
// into *out. OK; NOT_FOUND, UNAVAILABLE, INVALID_ARGUMENT (empty or too
// large) or RESOURCE_EXHAUSTED with the reason in why.
static fed_status
read_pem(const char *path, char **out, char *why, size_t why_len)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(why, why_len, "%s", strerror(errno));
		return errno == ENOENT ? FED_NOT_FOUND : FED_UNAVAILABLE;
	}
	char *buf = malloc(PEM_MAX + 1);
	size_t n = buf != NULL ? fread(buf, 1, PEM_MAX, f) : 0;
	fed_status st = FED_OK;
	if (buf == NULL) {
		snprintf(why, why_len, "out of memory");
		st = FED_RESOURCE_EXHAUSTED;
	} else if (ferror(f)) {
		snprintf(why, why_len, "read error");
		st = FED_UNAVAILABLE;
	} else if (!feof(f) || n == 0) {
		snprintf(why, why_len, n == 0 ? "empty file" : "over 1 MiB");
		st = FED_INVALID_ARGUMENT;
	}
	fclose(f);
	if (st != FED_OK) {
		free(buf);
		return st;
	}
	buf[n] = '\0';
	*out = buf;
	return FED_OK;
}

static void
wipe_free(char *s)
{
	if (s != NULL)
		memset(s, 0, strlen(s));
	free(s);
}

// A complete new generation for cfg from its files, into *out. OK, or the
// status with the file at fault and the reason in why (nothing changes).
// Called with live_mtx held.
static fed_status
gen_load(const nng_tls_engine_config *cfg, struct gen **out, char *why,
    size_t why_len)
{
	char *ca = NULL, *cert = NULL, *key = NULL, reason[WHY_LEN] = "";
	const char *file = cfg->paths.ca;
	struct gen *g = NULL;
	fed_status st = read_pem(file, &ca, reason, sizeof(reason));
	if (st == FED_OK) {
		file = cfg->paths.cert;
		st = read_pem(file, &cert, reason, sizeof(reason));
	}
	if (st == FED_OK) {
		file = cfg->paths.key;
		st = read_pem(file, &key, reason, sizeof(reason));
	}
	if (st != FED_OK)
		goto out;
	if (gen_new(cfg, &g) != 0) {
		snprintf(reason, sizeof(reason), "cannot set up mbedtls");
		st = FED_RESOURCE_EXHAUSTED;
		goto out;
	}
	// As nng_tls_config_ca_file reads the CA file: a CRL in it applies.
	file = cfg->paths.ca;
	int rv = gen_ca(
	    g, ca, strstr(ca, "-----BEGIN X509 CRL-----") != NULL ? ca : NULL);
	if (rv == 0) {
		file = cfg->paths.cert;
		rv = gen_own_cert(g, cert, key, NULL);
		if (rv == MBEDTLS_ERR_PK_BAD_INPUT_DATA)
			file = cfg->paths.key;
	}
	if (rv == MBEDTLS_ERR_PK_BAD_INPUT_DATA) {
		snprintf(reason, sizeof(reason),
		    "the key is not the one of certificate %s",
		    cfg->paths.cert);
		st = FED_INVALID_ARGUMENT;
	} else if (rv != 0) {
		char e[160];
		mbedtls_strerror(rv, e, sizeof(e));
		snprintf(reason, sizeof(reason), "%s", e);
		st = FED_INVALID_ARGUMENT;
	}
out:
	if (st != FED_OK) {
		snprintf(why, why_len, "%s: %s", file, reason);
		gen_free(g);
		g = NULL;
	}
	free(ca);
	free(cert);
	wipe_free(key);
	*out = g;
	return st;
}

// Appends " PATH (serial 0x.., expires YYYY-MM-DD HH:MM:SS UTC)" for g's
// own certificate to line, unless PATH is already there (a listener and
// its dialers usually share their files).
static void
describe(const char *path, const struct gen *g, char *line, size_t len)
{
	if (g->pairs == NULL || strstr(line, path) != NULL)
		return;
	const mbedtls_x509_crt *c = &g->pairs->crt;
	char serial[SERIAL_LEN];
	fed__tls_serial_str(
	    c->serial.p, c->serial.len, serial, sizeof(serial));
	size_t n = strlen(line);
	snprintf(line + n, len - n,
	    "%s %s (serial %s, expires %04d-%02d-%02d %02d:%02d:%02d UTC)",
	    n > 0 ? "," : "", path, serial, c->valid_to.year, c->valid_to.mon,
	    c->valid_to.day, c->valid_to.hour, c->valid_to.min,
	    c->valid_to.sec);
}

fed_status
fed_tls_credentials_reload(void)
{
	fed_status st = FED_OK;
	char why[2 * WHY_LEN] = "", line[1024] = "";
	size_t n = 0;
	pthread_mutex_lock(&live_mtx);
	for (const nng_tls_engine_config *c = live; c != NULL; c = c->next)
		n++;
	struct gen **fresh = n > 0 ? calloc(n, sizeof(*fresh)) : NULL;
	if (n > 0 && fresh == NULL) {
		snprintf(why, sizeof(why), "out of memory");
		st = FED_RESOURCE_EXHAUSTED;
	}
	// Everything is read and parsed before anything changes: a reload
	// applies to every configuration, or to none.
	size_t i = 0;
	for (const nng_tls_engine_config *c = live; c != NULL && st == FED_OK;
	     c = c->next)
		st = gen_load(c, &fresh[i++], why, sizeof(why));
	if (st == FED_OK) {
		i = 0;
		for (nng_tls_engine_config *c = live; c != NULL; c = c->next) {
			struct gen *g = fresh[i++];
			describe(c->paths.cert, g, line, sizeof(line));
			pthread_mutex_lock(&c->mtx);
			struct gen *old = c->gen;
			c->gen = g;
			pthread_mutex_unlock(&c->mtx);
			gen_release(old); // freed with its last connection
		}
	} else {
		for (size_t j = 0; j < i; j++)
			gen_free(fresh[j]);
	}
	pthread_mutex_unlock(&live_mtx);
	free(fresh);
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, "tls",
		    "TLS certificates not reloaded, the previous ones stay in "
		    "force: %s",
		    why);
	else if (n > 0)
		fed_log(FED_LOG_NOTICE, "tls",
		    "TLS certificates reloaded for %zu configuration(s), new "
		    "connections use:%s",
		    n, line);
	else
		fed_log(FED_LOG_DEBUG, "tls",
		    "TLS certificates: no configuration to reload");
	return st;
}

static fed_status
reload_cb(void *arg)
{
	(void) arg;
	return fed_tls_credentials_reload();
}

static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static fed_status install_status = FED_INTERNAL;
static atomic_bool reload_registered;

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
	// Every program that makes TLS configurations through the transport
	// rereads its certificates at SIGHUP (`systemctl reload`), with no
	// code of its own. Outside the once: a thread that waits here for
	// the reload lock holds nothing another thread's install needs.
	if (install_status == FED_OK
	    && !atomic_exchange(&reload_registered, true)
	    && fed_process_on_reload("TLS certificates", reload_cb, NULL)
	        != FED_OK)
		fed_log(FED_LOG_WARNING, "tls",
		    "too many reloadable parts: certificates will not be "
		    "reread at reload");
	return install_status;
}
