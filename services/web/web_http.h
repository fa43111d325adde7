// SPDX-License-Identifier: MIT
//
// web_http.h: fed-web's HTTP server: nng's own (supplemental/http), one
// tree handler for every path, and a pool of worker threads that build the
// responses.
//
// Why workers: a page calls fed-invest and fed-node over RPC, which blocks;
// nng calls a handler on its own task threads, which must not block. The
// handler only queues the request; a worker decodes it (path, query, form
// body), calls the application's function, and hands the response back to
// nng. When the queue is full the request gets 503 at once.
//
// Every response carries the security headers (Content-Security-Policy
// without inline script, X-Content-Type-Options, Referrer-Policy,
// X-Frame-Options) and Cache-Control: no-store unless it asks to be cached.

#ifndef WEB_HTTP_H
#define WEB_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"
#include "web_form.h"
#include "web_html.h"

// A decoded request, borrowed by the application for the call.
typedef struct web_req {
	const char *method; // "GET", "POST", ...
	const char *path; // "/production" (no query)
	web_params query;
	web_params form; // a POSTed x-www-form-urlencoded body
	const char *cookie; // the Cookie header, "" when absent
	const char *forwarded_for; // X-Forwarded-For, "" when absent: the
	                           // client's address only behind a trusted
	                           // proxy (nng's server does not tell it)
} web_req;

// The response the application fills: status 200 and an empty HTML body
// on entry.
typedef struct web_res {
	uint16_t status;
	const char *type; // Content-Type (static string)
	web_buf body;
	char location[1024]; // Location, when not empty
	char set_cookie[512]; // Set-Cookie, when not empty
	int cacheable; // 1: Cache-Control: max-age=3600 (static files)
} web_res;

// The application: fills res from req. Called on worker threads, several
// at once.
typedef void (*web_http_fn)(const web_req *req, web_res *res, void *arg);

typedef struct web_http web_http;

// Parses url ("http://127.0.0.1:7480"), holds nng's server for it and
// registers the handler; nothing is served before web_http_start.
// n_workers requests are built at once, queue_len more may wait; bodies
// over max_body bytes get 400 from nng. INVALID_ARGUMENT for a bad URL,
// UNAVAILABLE when nng fails, RESOURCE_EXHAUSTED when out of memory.
fed_status web_http_new(const char *url, unsigned n_workers, size_t queue_len,
    size_t max_body, web_http_fn fn, void *arg, web_http **out);

// Starts the workers and the server. UNAVAILABLE (the address in use, or
// nng refuses) leaves h to be freed.
fed_status web_http_start(web_http *h);

// Stops the server, lets the workers finish the queued requests, joins
// them and frees everything. NULL does nothing.
void web_http_free(web_http *h);

#endif // WEB_HTTP_H
