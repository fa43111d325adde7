// SPDX-License-Identifier: MIT
//
// node_http_server.c: node_http_handle on nng's HTTP server. nng calls
// the handler on its own threads, which must not block on sqlite: the
// handler only queues the request, and worker threads serve it (the
// pattern of fed-web's web_http.c). A full queue answers 503 at once.

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <nng/supplemental/tls/tls.h>
#include <pthread.h>

#include "fed/log.h"
#include "fed/metrics.h"
#include "node_http.h"

#define QUEUE_LEN 256

struct node_http_server {
	node_http_opts o;
	nng_http_server *srv;
	nng_http_handler *handler;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	nng_aio *queue[QUEUE_LEN];
	size_t head, n;
	bool stopping, started;
	pthread_t *workers;
	unsigned n_workers, n_started;
	int port;
};

static void
reply(nng_aio *aio, const node_http_res *res)
{
	nng_http_res *r = NULL;
	fed_metrics_http_response(res->status);
	int rv = nng_http_res_alloc(&r);
	if (rv == 0)
		rv = nng_http_res_set_status(r, res->status);
	if (rv == 0) {
		nng_http_res_set_header(r, "X-Influxdb-Version", "1.8.10");
		nng_http_res_set_header(r, "X-Influxdb-Build", "OSS");
		if (res->n_skipped > 0) {
			char n[24];
			snprintf(n, sizeof(n), "%zu", res->n_skipped);
			nng_http_res_set_header(r, "X-Enfed-Skipped-Lines", n);
		}
		if (res->content_type != NULL)
			nng_http_res_set_header(
			    r, "Content-Type", res->content_type);
		if (res->body_len > 0)
			rv = nng_http_res_copy_data(
			    r, res->body, res->body_len);
		else
			nng_http_res_set_header(r, "Content-Length", "0");
	}
	if (rv != 0) {
		nng_http_res_free(r);
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, r);
	nng_aio_finish(aio, 0);
}

static void
process(node_http_server *s, nng_aio *aio)
{
	nng_http_req *hr = nng_aio_get_input(aio, 0);
	void *body = NULL;
	size_t len = 0;
	nng_http_req_get_data(hr, &body, &len);
	node_http_req req = {
	    .method = nng_http_req_get_method(hr),
	    .uri = nng_http_req_get_uri(hr),
	    .authorization = nng_http_req_get_header(hr, "Authorization"),
	    .content_type = nng_http_req_get_header(hr, "Content-Type"),
	    .transfer_encoding
	    = nng_http_req_get_header(hr, "Transfer-Encoding"),
	    .content_encoding
	    = nng_http_req_get_header(hr, "Content-Encoding"),
	    .body = body,
	    .body_len = len,
	};
	node_http_res res;
	node_http_handle(&s->o, &req, &res);
	reply(aio, &res);
	free(res.body);
}

static void *
worker(void *arg)
{
	node_http_server *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->n == 0 && !s->stopping)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->n == 0)
			break;
		nng_aio *aio = s->queue[s->head];
		s->head = (s->head + 1) % QUEUE_LEN;
		s->n--;
		pthread_mutex_unlock(&s->mu);
		process(s, aio);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

// nng's handler: runs on nng's threads, so it only queues.
static void
on_request(nng_aio *aio)
{
	nng_http_handler *hh = nng_aio_get_input(aio, 1);
	node_http_server *s = nng_http_handler_get_data(hh);
	pthread_mutex_lock(&s->mu);
	bool queued = !s->stopping && s->n < QUEUE_LEN;
	if (queued) {
		s->queue[(s->head + s->n) % QUEUE_LEN] = aio;
		s->n++;
		pthread_cond_signal(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	if (queued)
		return;
	static const char busy[] = "{\"error\":\"busy: try again\"}\n";
	node_http_res res = {.status = 503,
	    .content_type = "application/json",
	    .body = (char *) busy,
	    .body_len = sizeof(busy) - 1};
	reply(aio, &res);
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	long n = -1;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1 << 20)
	    && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t) n + 1)))
		buf[fread(buf, 1, (size_t) n, f)] = '\0';
	fclose(f);
	return buf;
}

// https: the node's certificate and key; no client certificate asked for
// (the token authenticates the caller, as on every other door).
static fed_status
set_tls(node_http_server *s, const fed_tls_opts *tls, const char *url)
{
	if (tls == NULL || tls->cert_file == NULL || tls->key_file == NULL) {
		fed_log(FED_LOG_ERR, "http",
		    "--http-listen %s needs --tls-cert and --tls-key", url);
		return FED_INVALID_ARGUMENT;
	}
	nng_tls_config *cfg = NULL;
	char *cert = read_file(tls->cert_file),
	     *key = read_file(tls->key_file);
	int rv = cert == NULL || key == NULL
	    ? NNG_ENOENT
	    : nng_tls_config_alloc(&cfg, NNG_TLS_MODE_SERVER);
	if (rv == 0)
		rv = nng_tls_config_own_cert(cfg, cert, key, NULL);
	if (rv == 0)
		rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE);
	if (rv == 0)
		rv = nng_http_server_set_tls(s->srv, cfg);
	if (key != NULL)
		memset(key, 0, strlen(key));
	free(cert);
	free(key);
	if (cfg != NULL)
		nng_tls_config_free(cfg); // the server holds its own reference
	if (rv != 0) {
		fed_log(FED_LOG_ERR, "http", "--http-listen %s: TLS: %s", url,
		    nng_strerror(rv));
		return FED_INVALID_ARGUMENT;
	}
	return FED_OK;
}

static int
port_number(uint16_t be)
{
	const uint8_t *b = (const uint8_t *) &be;
	return (b[0] << 8) | b[1];
}

// Tokens travel in every request: in clear on http:// beyond this machine.
static void
warn_if_clear(const nng_url *u, const char *url, bool https)
{
	const char *h = u->u_hostname;
	if (https || strcmp(h, "localhost") == 0 || strncmp(h, "127.", 4) == 0
	    || strcmp(h, "::1") == 0)
		return;
	fed_log(FED_LOG_WARNING, "http",
	    "--http-listen %s is plain http on an address others can reach: "
	    "tokens and data travel in clear (use https://)",
	    url);
}

static fed_status
bind_server(node_http_server *s, const char *url, const fed_tls_opts *tls,
    size_t max_body)
{
	nng_url *u = NULL;
	if (nng_url_parse(&u, url) != 0
	    || (strcmp(u->u_scheme, "http") != 0
	        && strcmp(u->u_scheme, "https") != 0)) {
		nng_url_free(u);
		fed_log(FED_LOG_ERR, "http",
		    "--http-listen %s: not an http:// or https:// address",
		    url);
		return FED_INVALID_ARGUMENT;
	}
	bool https = strcmp(u->u_scheme, "https") == 0;
	warn_if_clear(u, url, https);
	int rv = nng_http_server_hold(&s->srv, u);
	nng_url_free(u);
	if (rv == 0 && https && set_tls(s, tls, url) != FED_OK)
		return FED_INVALID_ARGUMENT;
	if (rv == 0)
		rv = nng_http_handler_alloc(&s->handler, "/", on_request);
	if (rv == 0) {
		nng_http_handler_set_tree(s->handler);
		nng_http_handler_set_method(s->handler, NULL);
		nng_http_handler_collect_body(s->handler, true, max_body);
		nng_http_handler_set_data(s->handler, s, NULL);
		if ((rv = nng_http_server_add_handler(s->srv, s->handler))
		    != 0) {
			nng_http_handler_free(s->handler);
			s->handler = NULL;
		}
	}
	if (rv == 0)
		rv = nng_http_server_start(s->srv);
	if (rv != 0) {
		fed_log(FED_LOG_ERR, "http", "--http-listen %s: %s", url,
		    nng_strerror(rv));
		return FED_UNAVAILABLE;
	}
	s->started = true;
	nng_sockaddr sa;
	if (nng_http_server_get_addr(s->srv, &sa) == 0)
		s->port = port_number(sa.s_family == NNG_AF_INET6
		        ? sa.s_in6.sa_port
		        : sa.s_in.sa_port);
	return FED_OK;
}

fed_status
node_http_server_new(const node_http_opts *o, const char *url,
    const fed_tls_opts *tls, unsigned n_workers, size_t max_body,
    node_http_server **out)
{
	*out = NULL;
	node_http_server *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return FED_RESOURCE_EXHAUSTED;
	s->o = *o;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->n_workers = n_workers ? n_workers : 1;
	s->workers = calloc(s->n_workers, sizeof(*s->workers));
	fed_status st = s->workers != NULL ? FED_OK : FED_RESOURCE_EXHAUSTED;
	for (; st == FED_OK && s->n_started < s->n_workers; s->n_started++)
		if (pthread_create(&s->workers[s->n_started], NULL, worker, s)
		    != 0)
			st = FED_RESOURCE_EXHAUSTED;
	if (st == FED_OK)
		st = bind_server(s, url, tls, max_body);
	if (st != FED_OK) {
		node_http_server_free(s);
		return st;
	}
	fed_log(FED_LOG_INFO, "http", "InfluxDB 1.x API on %s", url);
	*out = s;
	return FED_OK;
}

int
node_http_server_port(const node_http_server *s)
{
	return s != NULL ? s->port : 0;
}

void
node_http_server_free(node_http_server *s)
{
	if (s == NULL)
		return;
	// The workers drain the queue first (nng waits for the aios they
	// hold); new requests meanwhile get 503. Then nng stops.
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (unsigned i = 0; i < s->n_started; i++)
		pthread_join(s->workers[i], NULL);
	if (s->srv != NULL) {
		if (s->started)
			nng_http_server_stop(s->srv);
		nng_http_server_release(s->srv);
	}
	free(s->workers);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}
