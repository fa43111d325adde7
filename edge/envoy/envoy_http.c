// SPDX-License-Identifier: MIT
//
// envoy_http.c: a bounded GET over nng's HTTP client. The steps (connect,
// write the request, read the headers, read the body) are run one by one
// rather than with nng_http_client_transact, so that the body's size is
// checked before it is read and each step gets what is left of one
// deadline.

#include "envoy_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <nng/supplemental/tls/tls.h>

#include "envoy_digest.h"
#include "fed/clock.h"
#include "fed/log.h"
#include "fed/token.h"

#define BODY_MAX (64u << 20)

struct envoy_http {
	envoy_http_opts opts;
	char *base_url;
	char *auth; // "Bearer <token>", or NULL
	char *user, *password; // digest credentials; password may be NULL
	unsigned nc; // digest nonce count
	envoy_auth challenge; // what the last 401 asked for
	nng_url *url;
	nng_http_client *client;
};

// The translation of nng's codes at this boundary.
static fed_status
from_nng(int rv)
{
	switch (rv) {
	case 0:
		return FED_OK;
	case NNG_ETIMEDOUT:
		return FED_DEADLINE_EXCEEDED;
	case NNG_ENOMEM:
		return FED_RESOURCE_EXHAUSTED;
	case NNG_EINVAL:
	case NNG_EPROTO:
	case NNG_ENOTSUP:
		return FED_INVALID_ARGUMENT;
	default:
		return FED_UNAVAILABLE;
	}
}

static fed_status
setup_tls(envoy_http *h)
{
	nng_tls_config *cfg = NULL;
	int rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT);
	if (rv == 0 && h->opts.ca_file != NULL)
		rv = nng_tls_config_ca_file(cfg, h->opts.ca_file);
	if (rv == 0)
		rv = nng_tls_config_server_name(cfg,
		    h->opts.server_name != NULL ? h->opts.server_name
		                                : h->url->u_hostname);
	if (rv == 0)
		rv = nng_tls_config_auth_mode(cfg,
		    h->opts.verify ? NNG_TLS_AUTH_MODE_REQUIRED
		                   : NNG_TLS_AUTH_MODE_NONE);
	if (rv == 0)
		rv = nng_http_client_set_tls(h->client, cfg);
	if (cfg != NULL)
		nng_tls_config_free(cfg);
	if (rv != 0)
		fed_log(FED_LOG_ERR, "envoy", "TLS settings (CA file %s): %s",
		    h->opts.ca_file != NULL ? h->opts.ca_file : "none",
		    nng_strerror(rv));
	return rv == 0 ? FED_OK : FED_INVALID_ARGUMENT;
}

static fed_status
check_opts(const envoy_http_opts *o)
{
	if (o == NULL || o->base_url == NULL || o->max_body == 0
	    || o->max_body > BODY_MAX || o->timeout_ms < 10
	    || o->timeout_ms > 600000)
		return FED_INVALID_ARGUMENT;
	bool https = strncmp(o->base_url, "https://", 8) == 0;
	if (!https && strncmp(o->base_url, "http://", 7) != 0)
		return FED_INVALID_ARGUMENT;
	if (https && o->verify && o->ca_file == NULL)
		return FED_INVALID_ARGUMENT;
	return FED_OK;
}

static fed_status
init(envoy_http *h, const envoy_http_opts *o)
{
	h->base_url = strdup(o->base_url);
	if (h->base_url == NULL)
		return FED_RESOURCE_EXHAUSTED;
	size_t n = strlen(h->base_url);
	while (n > 0 && h->base_url[n - 1] == '/')
		h->base_url[--n] = '\0';
	if (o->token != NULL && o->token[0] != '\0') {
		size_t len = strlen(o->token) + sizeof("Bearer ");
		h->auth = malloc(len);
		if (h->auth == NULL)
			return FED_RESOURCE_EXHAUSTED;
		snprintf(h->auth, len, "Bearer %s", o->token);
	}
	h->user = strdup(o->user != NULL ? o->user : "envoy");
	if (h->user == NULL)
		return FED_RESOURCE_EXHAUSTED;
	if (o->password != NULL && (h->password = strdup(o->password)) == NULL)
		return FED_RESOURCE_EXHAUSTED;
	if (nng_url_parse(&h->url, h->base_url) != 0)
		return FED_INVALID_ARGUMENT;
	if (nng_http_client_alloc(&h->client, h->url) != 0)
		return FED_INVALID_ARGUMENT;
	if (strcmp(h->url->u_scheme, "https") == 0)
		return setup_tls(h);
	return FED_OK;
}

fed_status
envoy_http_new(const envoy_http_opts *o, envoy_http **out)
{
	FED_TRY(check_opts(o));
	envoy_http *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return FED_RESOURCE_EXHAUSTED;
	h->opts = *o;
	h->opts.token = NULL; // kept only in auth
	h->opts.password = h->opts.user = NULL; // kept in h
	h->opts.base_url = NULL;
	fed_status st = init(h, o);
	h->opts.ca_file = h->opts.server_name = NULL; // used by init only
	if (st != FED_OK) {
		envoy_http_free(h);
		return st;
	}
	*out = h;
	return FED_OK;
}

void
envoy_http_free(envoy_http *h)
{
	if (h == NULL)
		return;
	if (h->client != NULL)
		nng_http_client_free(h->client);
	if (h->url != NULL)
		nng_url_free(h->url);
	if (h->auth != NULL) {
		memset(h->auth, 0, strlen(h->auth));
		free(h->auth);
	}
	if (h->password != NULL) {
		memset(h->password, 0, strlen(h->password));
		free(h->password);
	}
	free(h->user);
	free(h->base_url);
	free(h);
}

// Runs one step on aio within what is left before end_ms.
static fed_status
wait_step(nng_aio *aio, int64_t end_ms)
{
	nng_aio_wait(aio);
	int rv = nng_aio_result(aio);
	if (rv != 0 && fed_clock_mono_ms() >= end_ms)
		return FED_DEADLINE_EXCEEDED;
	return from_nng(rv);
}

static void
set_timeout(nng_aio *aio, int64_t end_ms)
{
	int64_t left = end_ms - fed_clock_mono_ms();
	nng_aio_set_timeout(aio, left > 0 ? (nng_duration) left : 1);
}

static fed_status
status_of(int http)
{
	if (http == 200)
		return FED_OK;
	if (http == 401)
		return FED_UNAUTHENTICATED;
	if (http == 403)
		return FED_PERMISSION_DENIED;
	if (http == 404)
		return FED_NOT_FOUND;
	if (http >= 500 && http <= 599)
		return FED_UNAVAILABLE;
	return FED_INVALID_ARGUMENT;
}

// The announced length, -1 when there is none; INVALID_ARGUMENT when it
// is not a plain decimal number, or the body is in a transfer encoding
// (chunked) that this reader does not decode.
static fed_status
content_length(nng_http_res *res, int64_t *len)
{
	const char *te = nng_http_res_get_header(res, "Transfer-Encoding");
	if (te != NULL && strcmp(te, "identity") != 0) {
		fed_log(FED_LOG_WARNING, "envoy",
		    "reply in Transfer-Encoding %s: not supported", te);
		return FED_INVALID_ARGUMENT;
	}
	const char *v = nng_http_res_get_header(res, "Content-Length");
	*len = -1;
	if (v == NULL)
		return FED_OK;
	char *end = NULL;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (end == v || *end != '\0' || errno != 0 || v[0] == '-'
	    || n > (unsigned long long) INT64_MAX)
		return FED_INVALID_ARGUMENT;
	*len = (int64_t) n;
	return FED_OK;
}

// Reads the body into a heap buffer of at most max bytes: `want` bytes, or
// up to the close when want < 0.
static fed_status
read_body(nng_http_conn *conn, nng_aio *aio, int64_t want, size_t max,
    int64_t end_ms, char **body, size_t *len)
{
	if (want > (int64_t) max)
		return FED_RESOURCE_EXHAUSTED;
	size_t cap = want >= 0 ? (size_t) want : max + 1;
	char *buf = malloc(cap + 1);
	if (buf == NULL)
		return FED_RESOURCE_EXHAUSTED;
	size_t got = 0;
	fed_status st = FED_OK;
	while (st == FED_OK && got < cap) {
		nng_iov iov = {.iov_buf = buf + got, .iov_len = cap - got};
		nng_aio_set_iov(aio, 1, &iov);
		set_timeout(aio, end_ms);
		nng_http_conn_read(conn, aio);
		nng_aio_wait(aio);
		int rv = nng_aio_result(aio);
		got += nng_aio_count(aio);
		if (rv == NNG_ECLOSED || rv == NNG_ECONNSHUT)
			st = want < 0 ? FED_DATA_LOSS : FED_UNAVAILABLE;
		else if (rv != 0)
			st = fed_clock_mono_ms() >= end_ms
			    ? FED_DEADLINE_EXCEEDED
			    : from_nng(rv);
	}
	if (st == FED_DATA_LOSS) // the end of a reply without a length
		st = got > max ? FED_RESOURCE_EXHAUSTED : FED_OK;
	else if (st == FED_OK && want < 0) // max + 1 bytes and still open
		st = FED_RESOURCE_EXHAUSTED;
	if (st != FED_OK) {
		free(buf);
		return st;
	}
	buf[got] = '\0';
	*body = buf;
	*len = got;
	return FED_OK;
}

// A GET of path, with Authorization auth (NULL: the bearer token, if any).
static fed_status
make_request(
    envoy_http *h, const char *path, const char *auth, nng_http_req **out)
{
	size_t n = strlen(h->base_url) + strlen(path) + 1;
	char *full = malloc(n);
	if (full == NULL)
		return FED_RESOURCE_EXHAUSTED;
	snprintf(full, n, "%s%s", h->base_url, path);
	nng_url *url = NULL;
	int rv = nng_url_parse(&url, full);
	free(full);
	if (rv != 0)
		return FED_INVALID_ARGUMENT;
	nng_http_req *req = NULL;
	rv = nng_http_req_alloc(&req, url);
	nng_url_free(url);
	if (rv == 0)
		rv = nng_http_req_set_header(
		    req, "Accept", "application/json");
	if (auth == NULL)
		auth = h->auth;
	if (rv == 0 && auth != NULL)
		rv = nng_http_req_set_header(req, "Authorization", auth);
	if (rv != 0) {
		if (req != NULL)
			nng_http_req_free(req);
		return from_nng(rv);
	}
	*out = req;
	return FED_OK;
}

// Sends req on a new connection and reads the reply's head into res.
static fed_status
exchange(envoy_http *h, nng_aio *aio, nng_http_req *req, nng_http_res *res,
    int64_t end_ms, nng_http_conn **conn)
{
	set_timeout(aio, end_ms);
	nng_http_client_connect(h->client, aio);
	FED_TRY(wait_step(aio, end_ms));
	*conn = nng_aio_get_output(aio, 0);
	set_timeout(aio, end_ms);
	nng_http_conn_write_req(*conn, req, aio);
	FED_TRY(wait_step(aio, end_ms));
	set_timeout(aio, end_ms);
	nng_http_conn_read_res(*conn, res, aio);
	return wait_step(aio, end_ms);
}

// One exchange of req within end_ms: *status, and on 200 the body. On a
// 401, the reply's challenge (WWW-Authenticate, may be "") into chal.
static fed_status
get_once(envoy_http *h, nng_http_req *req, int64_t end_ms, char **body,
    size_t *len, int *status, char *chal, size_t chal_len)
{
	nng_http_res *res = NULL;
	nng_http_conn *conn = NULL;
	nng_aio *aio = NULL;
	fed_status st = FED_RESOURCE_EXHAUSTED;
	if (nng_http_res_alloc(&res) != 0
	    || nng_aio_alloc(&aio, NULL, NULL) != 0)
		goto out;
	st = exchange(h, aio, req, res, end_ms, &conn);
	if (st != FED_OK)
		goto out;
	*status = nng_http_res_get_status(res);
	st = status_of(*status);
	const char *www = nng_http_res_get_header(res, "WWW-Authenticate");
	if (st == FED_UNAUTHENTICATED)
		snprintf(chal, chal_len, "%s", www != NULL ? www : "");
	int64_t want = -1;
	if (st == FED_OK)
		st = content_length(res, &want);
	if (st == FED_OK)
		st = read_body(
		    conn, aio, want, h->opts.max_body, end_ms, body, len);
out:
	if (conn != NULL)
		nng_http_conn_close(conn);
	if (aio != NULL)
		nng_aio_free(aio);
	if (res != NULL)
		nng_http_res_free(res);
	return st;
}

// The digest answer to challenge chal for path, into auth; FED_NOT_FOUND
// when chal is no digest challenge or no password is configured.
static fed_status
digest_answer(envoy_http *h, const char *chal, const char *path, char *auth,
    size_t auth_len)
{
	envoy_digest_challenge c;
	h->challenge = strncmp(chal, "Bearer", 6) == 0 ? ENVOY_AUTH_BEARER
	    : envoy_digest_parse(chal, &c) == FED_OK   ? ENVOY_AUTH_DIGEST
	                                               : ENVOY_AUTH_UNKNOWN;
	if (h->challenge != ENVOY_AUTH_DIGEST || h->password == NULL)
		return FED_NOT_FOUND;
	char cnonce[FED_TOKEN_LEN + 1];
	FED_TRY(fed_token_new(cnonce, sizeof(cnonce)));
	return envoy_digest_answer(&c, h->user, h->password, "GET", path,
	    cnonce, ++h->nc, auth, auth_len);
}

fed_status
envoy_http_get(
    envoy_http *h, const char *path, char **body, size_t *len, int *status)
{
	if (h == NULL || path == NULL || path[0] != '/' || body == NULL
	    || len == NULL || status == NULL)
		return FED_INVALID_ARGUMENT;
	*body = NULL;
	*len = 0;
	*status = 0;
	int64_t end_ms = fed_clock_mono_ms() + h->opts.timeout_ms;
	nng_http_req *req = NULL;
	char chal[512] = "", auth[1024];
	FED_TRY(make_request(h, path, NULL, &req));
	fed_status st
	    = get_once(h, req, end_ms, body, len, status, chal, sizeof(chal));
	nng_http_req_free(req);
	if (st != FED_UNAUTHENTICATED
	    || digest_answer(h, chal, path, auth, sizeof(auth)) != FED_OK)
		return st;
	FED_TRY(make_request(h, path, auth, &req));
	st = get_once(h, req, end_ms, body, len, status, chal, sizeof(chal));
	nng_http_req_free(req);
	memset(auth, 0, sizeof(auth));
	return st;
}

envoy_auth
envoy_http_challenge(const envoy_http *h)
{
	return h->challenge;
}
