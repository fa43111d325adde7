// SPDX-License-Identifier: MIT
//
// tls_creds.c: the credentials of enfed's TLS engine (tls_engine.c), and
// their reload.
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

#include "tls_engine_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "fed/log.h"
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
		return fed__tls_nng_err(rv);
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
struct gen *
fed__tls_gen_hold(nng_tls_engine_config *cfg)
{
	pthread_mutex_lock(&cfg->mtx);
	struct gen *g = cfg->gen;
	atomic_fetch_add(&g->refs, 1);
	pthread_mutex_unlock(&cfg->mtx);
	return g;
}

// Drops a reference; the last one frees g (NULL: nothing).
void
fed__tls_gen_release(struct gen *g)
{
	if (g != NULL && atomic_fetch_sub(&g->refs, 1) == 1)
		gen_free(g);
}

mbedtls_ssl_config *
fed__tls_gen_ssl(struct gen *g)
{
	return &g->ssl;
}

// Adds the CA certificates of certs (NUL-terminated PEM, several blocks
// allowed) and the CRL of crl (may be NULL) to g. 0 or an mbedtls error.
int
fed__tls_gen_ca(struct gen *g, const char *certs, const char *crl)
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
int
fed__tls_gen_own_cert(
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
// thread (fed__tls_config_paths), read by fed__tls_creds_init.
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

int
fed__tls_creds_init(nng_tls_engine_config *cfg)
{
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

void
fed__tls_creds_fini(nng_tls_engine_config *cfg)
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
	fed__tls_gen_release(cfg->gen); // its connections may still hold it
	cfg->gen = NULL;
	paths_free(&cfg->paths);
}

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
	int rv = fed__tls_gen_ca(
	    g, ca, strstr(ca, "-----BEGIN X509 CRL-----") != NULL ? ca : NULL);
	if (rv == 0) {
		file = cfg->paths.cert;
		rv = fed__tls_gen_own_cert(g, cert, key, NULL);
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
			fed__tls_gen_release(
			    old); // freed with its last connection
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
