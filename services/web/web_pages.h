// SPDX-License-Identifier: MIT
//
// web_pages.h: fed-web's application: the routes, who may see them, and
// the pages (built by web_page_*.c). web_app_handle is the web_http_fn
// that web_http's workers call.
//
// Routes (docs/web.md has the full list): /login, /logout, /dashboard,
// /production, /distribution, /settings, /admin/projects, /consent (and
// /consent/revoke, /consent/log), /curves, /live, /api/live, /healthz and
// /static/. A page needing a session redirects to
// /login (an /api/ path answers 401); a page needing a role the session
// does not have answers 403.

#ifndef WEB_PAGES_H
#define WEB_PAGES_H

#include <stdint.h>

#include "fed/status.h"
#include "fed/tz.h"
#include "web_auth.h"
#include "web_backend.h"
#include "web_http.h"

typedef struct web_app_opts {
	web_backend *backend; // borrowed, outlives the app
	web_auth *auth; // borrowed
	const fed_tz *tz; // borrowed: the zone of days, months, years
	int64_t session_ttl_ms; // the cookie's Max-Age
	int cookie_secure; // add Secure to the cookie (served behind TLS)
	const char *invest_url; // named on the technical page (borrowed)
	int trusted_proxy; // 1: X-Forwarded-For names the client (logs)
	const char *presets_file; // saved comparisons (web_presets.h), or NULL
} web_app_opts;

typedef struct web_app web_app;

// Makes the application. RESOURCE_EXHAUSTED when out of memory.
fed_status web_app_new(const web_app_opts *opts, web_app **out);

// Frees it. NULL does nothing.
void web_app_free(web_app *app);

// Serves one request (a web_http_fn; arg is the web_app). Thread-safe.
void web_app_handle(const web_req *req, web_res *res, void *arg);

#endif // WEB_PAGES_H
