// SPDX-License-Identifier: MIT
//
// web_http.c: the glue between nng's HTTP server and fed-web's pages: a
// bounded queue of handler aios, worker threads, request decoding and the
// response headers.

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <pthread.h>

#include "fed/log.h"
#include "fed/metrics.h"
#include "web_http.h"

#define CSP                                                              \
	"default-src 'none'; script-src 'self'; style-src 'self'; "      \
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; " \
	"frame-ancestors 'none'; base-uri 'none'"

struct web_http {
	nng_http_server *srv;
	nng_http_handler *handler;
	web_http_fn fn;
	void *arg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	nng_aio **queue;
	size_t cap, head, n;
	bool stopping;
	pthread_t *workers;
	unsigned n_workers, n_started;
	bool started;
};

static void
set_headers(nng_http_res *r, const web_res *res)
{
	nng_http_res_set_header(r, "Content-Type", res->type);
	nng_http_res_set_header(
	    r, "Cache-Control", res->cacheable ? "max-age=3600" : "no-store");
	nng_http_res_set_header(r, "Content-Security-Policy", CSP);
	nng_http_res_set_header(r, "X-Content-Type-Options", "nosniff");
	nng_http_res_set_header(r, "X-Frame-Options", "DENY");
	nng_http_res_set_header(r, "Referrer-Policy", "same-origin");
	if (res->location[0] != '\0')
		nng_http_res_set_header(r, "Location", res->location);
	if (res->set_cookie[0] != '\0')
		nng_http_res_set_header(r, "Set-Cookie", res->set_cookie);
}

static void
reply(nng_aio *aio, web_res *res)
{
	nng_http_res *r = NULL;
	fed_metrics_http_response(res->status);
	int rv = nng_http_res_alloc(&r);
	if (rv == 0)
		rv = nng_http_res_set_status(r, res->status);
	if (rv == 0) {
		set_headers(r, res);
		// nng 1.5.2 sends no Content-Length for an empty body, and
		// the client then waits for the connection to close.
		rv = res->body.len > 0
		    ? nng_http_res_copy_data(r, res->body.data, res->body.len)
		    : nng_http_res_copy_data(r, "\n", 1);
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
plain_error(web_res *res, uint16_t status, const char *text)
{
	res->status = status;
	res->type = "text/plain; charset=utf-8";
	web_buf_fini(&res->body);
	web_buf_put(&res->body, text);
}

static int
is_form(const char *ct)
{
	static const char form[] = "application/x-www-form-urlencoded";
	return ct != NULL && strncmp(ct, form, sizeof(form) - 1) == 0
	    && (ct[sizeof(form) - 1] == '\0' || ct[sizeof(form) - 1] == ';');
}

// Decodes the request into *req; an error response in *res otherwise.
static int
decode(
    nng_http_req *hr, char *path, size_t path_len, web_req *req, web_res *res)
{
	const char *uri = nng_http_req_get_uri(hr);
	const char *q = strchr(uri, '?');
	size_t pn = q ? (size_t) (q - uri) : strlen(uri);
	if (pn == 0 || pn >= path_len || uri[0] != '/') {
		plain_error(res, 400, "bad request path\n");
		return 0;
	}
	memcpy(path, uri, pn);
	path[pn] = '\0';
	req->path = path;
	req->method = nng_http_req_get_method(hr);
	const char *ck = nng_http_req_get_header(hr, "Cookie");
	req->cookie = ck ? ck : "";
	const char *fw = nng_http_req_get_header(hr, "X-Forwarded-For");
	req->forwarded_for = fw ? fw : "";
	if (q != NULL
	    && web_params_parse(q + 1, strlen(q + 1), &req->query) != FED_OK) {
		plain_error(res, 400, "malformed query string\n");
		return 0;
	}
	if (strcmp(req->method, "POST") != 0)
		return 1;
	void *body = NULL;
	size_t len = 0;
	nng_http_req_get_data(hr, &body, &len);
	if (len > 0 && !is_form(nng_http_req_get_header(hr, "Content-Type"))) {
		plain_error(res, 415,
		    "forms must be "
		    "application/x-www-form-urlencoded\n");
		return 0;
	}
	if (web_params_parse(body, len, &req->form) != FED_OK) {
		plain_error(res, 400, "malformed form body\n");
		return 0;
	}
	return 1;
}

static void
process(web_http *h, nng_aio *aio)
{
	nng_http_req *hr = nng_aio_get_input(aio, 0);
	web_req req;
	web_res res;
	char path[2048];
	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	res.status = 200;
	res.type = "text/html; charset=utf-8";
	if (decode(hr, path, sizeof(path), &req, &res))
		h->fn(&req, &res, h->arg);
	if (web_buf_status(&res.body) != FED_OK)
		plain_error(&res, 500, "the page is too large\n");
	reply(aio, &res);
	web_buf_fini(&res.body);
	web_params_fini(&req.query);
	web_params_fini(&req.form);
}

static void *
worker(void *arg)
{
	web_http *h = arg;
	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (h->n == 0 && !h->stopping)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->n == 0)
			break;
		nng_aio *aio = h->queue[h->head];
		h->head = (h->head + 1) % h->cap;
		h->n--;
		pthread_mutex_unlock(&h->mu);
		process(h, aio);
		pthread_mutex_lock(&h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

// nng's handler: runs on nng's threads, so it only queues.
static void
on_request(nng_aio *aio)
{
	nng_http_handler *hh = nng_aio_get_input(aio, 1);
	web_http *h = nng_http_handler_get_data(hh);
	pthread_mutex_lock(&h->mu);
	int queued = !h->stopping && h->n < h->cap;
	if (queued) {
		h->queue[(h->head + h->n) % h->cap] = aio;
		h->n++;
		pthread_cond_signal(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	if (queued)
		return;
	web_res res;
	memset(&res, 0, sizeof(res));
	plain_error(&res, 503, "busy: try again in a moment\n");
	reply(aio, &res);
	web_buf_fini(&res.body);
}

static fed_status
setup_server(web_http *h, const char *url, size_t max_body)
{
	nng_url *u = NULL;
	if (nng_url_parse(&u, url) != 0 || strcmp(u->u_scheme, "http") != 0) {
		nng_url_free(u);
		return FED_INVALID_ARGUMENT;
	}
	int rv = nng_http_server_hold(&h->srv, u);
	nng_url_free(u);
	if (rv == 0)
		rv = nng_http_handler_alloc(&h->handler, "/", on_request);
	if (rv != 0)
		return FED_UNAVAILABLE;
	nng_http_handler_set_tree(h->handler);
	nng_http_handler_set_method(h->handler, NULL);
	nng_http_handler_collect_body(h->handler, true, max_body);
	nng_http_handler_set_data(h->handler, h, NULL);
	rv = nng_http_server_add_handler(h->srv, h->handler);
	if (rv != 0) {
		nng_http_handler_free(h->handler);
		h->handler = NULL;
		return FED_UNAVAILABLE;
	}
	return FED_OK;
}

fed_status
web_http_new(const char *url, unsigned n_workers, size_t queue_len,
    size_t max_body, web_http_fn fn, void *arg, web_http **out)
{
	web_http *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return FED_RESOURCE_EXHAUSTED;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->fn = fn;
	h->arg = arg;
	h->cap = queue_len ? queue_len : 1;
	h->n_workers = n_workers ? n_workers : 1;
	h->queue = calloc(h->cap, sizeof(*h->queue));
	h->workers = calloc(h->n_workers, sizeof(*h->workers));
	fed_status st
	    = h->queue && h->workers ? FED_OK : FED_RESOURCE_EXHAUSTED;
	if (st == FED_OK)
		st = setup_server(h, url, max_body);
	if (st != FED_OK) {
		web_http_free(h);
		return st;
	}
	*out = h;
	return FED_OK;
}

fed_status
web_http_start(web_http *h)
{
	for (; h->n_started < h->n_workers; h->n_started++)
		if (pthread_create(&h->workers[h->n_started], NULL, worker, h)
		    != 0)
			return FED_RESOURCE_EXHAUSTED;
	int rv = nng_http_server_start(h->srv);
	if (rv != 0) {
		fed_log(
		    FED_LOG_ERR, "web", "http server: %s", nng_strerror(rv));
		return FED_UNAVAILABLE;
	}
	h->started = true;
	return FED_OK;
}

void
web_http_free(web_http *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	for (unsigned i = 0; i < h->n_started; i++)
		pthread_join(h->workers[i], NULL);
	if (h->srv != NULL) {
		if (h->started)
			nng_http_server_stop(h->srv);
		nng_http_server_release(h->srv);
	}
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h->queue);
	free(h->workers);
	free(h);
}
