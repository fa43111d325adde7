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
// Two parts live in files of their own, behind tls_engine_internal.h:
// the credentials each configuration's handshakes use, and their reload
// without a restart (tls_creds.c); why a handshake failed, and its rate
// limited log line (tls_refusal.c).
//
// Its structure follows nng's own mbedtls engine
// (src/supplemental/tls/mbedtls/tls.c, MIT, Staysail Systems and
// contributors): the same configuration and connection operations, the
// same TLS 1.2 default, the same mapping of mbedtls errors to nng's.

#include "tls_engine_internal.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#include <nng/nng.h>
#include <nng/supplemental/tls/engine.h>

#include "fed/log.h"
#include "fed/process.h"
#include "fed/tls.h"

// mbedtls codes to nng's, as nng's engine maps them.
int
fed__tls_nng_err(int rv)
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

// ---- Connection operations

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
	ec->gen = fed__tls_gen_hold(cfg);
	mbedtls_ssl_set_bio(&ec->ssl, tls, net_send, net_recv, NULL);
	int rv = mbedtls_ssl_setup(&ec->ssl, fed__tls_gen_ssl(ec->gen));
	if (rv == 0) {
		mbedtls_ssl_set_verify(&ec->ssl, verify, ec);
		if (cfg->server_name != NULL)
			rv = mbedtls_ssl_set_hostname(
			    &ec->ssl, cfg->server_name);
	}
	if (rv != 0) {
		// Whether or not nng calls fini after a failed init.
		mbedtls_ssl_free(&ec->ssl);
		fed__tls_gen_release(ec->gen);
		ec->gen = NULL;
		return fed__tls_nng_err(rv);
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
	fed__tls_gen_release(ec->gen);
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
		fed__tls_handshake_failed(ec, rv);
		return fed__tls_nng_err(rv);
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
		return fed__tls_nng_err(rv);
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
		return fed__tls_nng_err(rv);
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
	fed__tls_creds_fini(cfg);
	pthread_mutex_destroy(&cfg->mtx);
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
	return fed__tls_creds_init(cfg);
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
	mbedtls_ssl_conf_authmode(fed__tls_gen_ssl(cfg->gen), m);
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
	int rv = fed__tls_gen_ca(cfg->gen, certs, crl);
	pthread_mutex_unlock(&cfg->mtx);
	return rv != 0 ? fed__tls_nng_err(rv) : 0;
}

static int
engine_config_own_cert(nng_tls_engine_config *cfg, const char *cert,
    const char *key, const char *pass)
{
	pthread_mutex_lock(&cfg->mtx);
	int rv = fed__tls_gen_own_cert(cfg->gen, cert, key, pass);
	pthread_mutex_unlock(&cfg->mtx);
	return rv != 0 ? fed__tls_nng_err(rv) : 0;
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
	mbedtls_ssl_config *ssl = fed__tls_gen_ssl(cfg->gen);
	mbedtls_ssl_conf_min_version(ssl, MBEDTLS_SSL_MAJOR_VERSION_3, lo);
	mbedtls_ssl_conf_max_version(ssl, MBEDTLS_SSL_MAJOR_VERSION_3, hi);
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

// ---- Installation

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
