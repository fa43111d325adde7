// SPDX-License-Identifier: MIT
//
// web_fixture.h: what fed-web's HTTP and browser tests share: a real
// fed-node holding known series, a real fed-invest with two projects (one
// of them with a hostile name) and alice's holdings, and a real fed-web in
// front of them; a small HTTP/1.1 client on a plain socket; and the
// logins.
//
// The node holds kermelo/pv/energy (100 Wh every hour from 2025-12-31,
// two hours missing on 15 June 2026 at 02:00 local) and
// bmhs/house/energy (500 Wh every hour from 1 February 2026), both up to
// WEB_FX_AT, 2026-06-15T12:00+02:00. alice holds 2 shares of kermelo-pv
// since 1 February and 1 of the hostile project, and links the house.

#ifndef WEB_FIXTURE_H
#define WEB_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "fed/rpc.h"

#define WEB_FX_ADMIN   "admin-secret-for-web-tests"
#define WEB_FX_READER  "reader-secret-for-web-tests"
#define WEB_FX_ALICE   "alice-invest-secret-for-web-tests"
#define WEB_FX_AT      INT64_C(1781517600000) // 2026-06-15T12:00+02:00
#define WEB_FX_AT_ISO  "2026-06-15T12:00:00%2B02:00"
#define WEB_FX_HOSTILE "<script>alert('x')</script> & \"Co\""
#define WEB_FX_PW      "correct horse battery"

struct web_fx {
	char *dir;
	char node_rpc[128], node_stream[128], invest_rpc[128];
	char url[128]; // http://127.0.0.1:PORT
	int port;
	int node_pid, invest_pid, web_pid;
};

// Starts the node, fed-invest and fed-web (binaries from FED_*_BIN) and
// fills them with the data above; users alice (investor), bob (viewer)
// and root (admin), all with the password WEB_FX_PW. 0 on success.
int web_fx_start(struct web_fx *fx);

// Stops what web_fx_start started and removes its folder. Returns fed-web's
// exit status (0 when it stopped cleanly).
int web_fx_stop(struct web_fx *fx);

// An RPC client of fed-invest with token.
fed_rpc_client *web_fx_invest(const struct web_fx *fx, const char *token);

struct http_res {
	int status;
	char *head; // the status line and headers
	char *body;
	size_t body_len;
};

// Sends one request (Connection: close) and reads the whole response
// (10 s at most). body may be NULL; a form body is sent as
// application/x-www-form-urlencoded. cookie is "name=value" or NULL.
// 0 on success.
int web_http(const struct web_fx *fx, const char *method, const char *path,
    const char *cookie, const char *body, struct http_res *out);

void http_res_free(struct http_res *r);

// The value of header name (case-insensitive) copied to buf, or NULL.
const char *http_header(
    const struct http_res *r, const char *name, char *buf, size_t len);

// Logs user in; writes "fed_session=..." to cookie. 0 on success.
int web_fx_login(
    const struct web_fx *fx, const char *user, char *cookie, size_t len);

// The value of the first attribute `attr="` after `after` in s (or from
// the start when after is NULL), copied to buf; NULL when absent.
const char *attr_after(
    const char *s, const char *after, const char *attr, char *buf, size_t len);

#endif // WEB_FIXTURE_H
