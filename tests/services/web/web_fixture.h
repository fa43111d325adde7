// SPDX-License-Identifier: MIT
//
// web_fixture.h: what fed-web's HTTP and browser tests share: a small
// federation behind a real fed-web (a directory, two nodes, fed-invest),
// a small HTTP/1.1 client on a plain socket, and the logins.
//
// - lognact (the building app) holds kermelo/pv/energy (100 Wh every hour
//   from 2025-12-31, two hours missing on 15 June 2026 at 02:00 local) and
//   kermelo/school/energy (200 Wh every hour from 1 February 2026).
// - bmhs (the household app) holds two households' meters on one node:
//   maison-legall/linky/energy (500 Wh every hour from 1 February) and
//   maison-martin/linky/energy (300 Wh every hour from 1 February). Both
//   are granted (every point, live) to lognact, which holds their
//   replicas before the tests start.
// Everything runs up to WEB_FX_AT, 2026-06-15T12:00+02:00. fed-invest
// holds two projects on kermelo/pv/energy (one with a hostile name):
// alice has 2 shares of kermelo-pv since 1 February and 1 of the hostile
// one; legall has 4 of kermelo-pv and links the Le Gall house.
//
// fed-web's users (password WEB_FX_PW), each reading the nodes with
// tokens of their own:
// - alice: investor; reads kermelo/pv/ on lognact;
// - legall: household (maison-legall/ on bmhs, owner token) that invests;
//   reads kermelo/pv/ on lognact;
// - martin: household (maison-martin/ on bmhs, owner token);
// - bob: teacher (a viewer that also saves comparisons of curves); reads
//   kermelo/ and maison-legall/ on lognact (not maison-martin/, whose
//   replica lognact also holds);
// - root: admin; reads everything on both nodes;
// - ops: viewer (an operator; opens comparisons, saves none) whose
//   lognact token is a writer's of kermelo/: it may acknowledge the alarms
//   of those series.

#ifndef WEB_FIXTURE_H
#define WEB_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "fed/rpc.h"

#define WEB_FX_ADMIN         "admin-secret-for-web-tests"
#define WEB_FX_READER        "reader-secret-for-web-tests"
#define WEB_FX_ALICE         "alice-invest-secret-for-web-tests"
#define WEB_FX_LEGALL        "legall-invest-secret-for-web-tests"
#define WEB_FX_AT            INT64_C(1781517600000) // 2026-06-15T12:00+02:00
#define WEB_FX_AT_ISO        "2026-06-15T12:00:00%2B02:00"
#define WEB_FX_HOSTILE       "<script>alert('x')</script> & \"Co\""
#define WEB_FX_PW            "correct horse battery"
#define WEB_FX_LEGALL_SERIES "maison-legall/linky/energy"
#define WEB_FX_MARTIN_SERIES "maison-martin/linky/energy"

struct web_fx {
	char *dir;
	char lognact_rpc[128], lognact_stream[128];
	char bmhs_rpc[128], bmhs_stream[128];
	char dir_rpc[128], dir_stream[128], invest_rpc[128];
	char url[128]; // http://127.0.0.1:PORT
	int port;
	int dir_pid, lognact_pid, bmhs_pid, invest_pid, web_pid;
	// The ids of the live grants of bmhs to lognact, and the Le Gall
	// grant's token (lognact's, to query bmhs with).
	char legall_grant[64], martin_grant[64], legall_token[128];
};

// Starts the directory, the nodes, fed-invest and fed-web (binaries from
// FED_*_BIN) and fills them with the data above, waiting until lognact
// holds both households' replicas. 0 on success.
int web_fx_start(struct web_fx *fx);

// Stops what web_fx_start started and removes its folder. Returns fed-web's
// exit status (0 when it stopped cleanly).
int web_fx_stop(struct web_fx *fx);

// Starts fed-web again with its directory at dir_url (an address where
// nothing answers, to see the pages without it). 0 on success.
int web_fx_restart_web(struct web_fx *fx, const char *dir_url);

// An RPC client of fed-invest with token.
fed_rpc_client *web_fx_invest(const struct web_fx *fx, const char *token);

// Clients of lognact and bmhs with their administrator's token.
fed_rpc_client *web_fx_lognact(const struct web_fx *fx);
fed_rpc_client *web_fx_bmhs(const struct web_fx *fx);

// The number of points of series id held by the node behind c (0 when it
// holds no such series).
uint64_t web_fx_count(fed_rpc_client *c, const char *id);

// Creates on the node behind c a private hourly production series id
// (Wh) owned by owner. 0 on success; the node's message in err otherwise.
int web_fx_plant(fed_rpc_client *c, const char *id, const char *owner,
    char *err, size_t err_len);

// Enters, as fed-invest's administrator, a photovoltaic project id (name,
// organisation org, 9 kWc, 1,000 EUR at 100 EUR a share) on series on
// node, and gives investor shares of it from acquired_ms. 0 on success;
// fed-invest's message in err otherwise.
int web_fx_project(const struct web_fx *fx, const char *id, const char *name,
    const char *org, const char *series, const char *node,
    const char *investor, uint32_t shares, int64_t acquired_ms, char *err,
    size_t err_len);

// Ingests on bmhs, as its administrator, the hourly points of value wh
// of series id over [from_ms, to_ms). 0 on success.
int web_fx_ingest(const struct web_fx *fx, const char *id, int64_t from_ms,
    int64_t to_ms, double wh);

// Creates the alarm rule school-over-1kwh on lognact (kermelo/school/
// energy above 1000 Wh) and ingests three hours after WEB_FX_AT that raise
// an alarm, clear it and raise another: one past alarm, one active. 0 on
// success.
int web_fx_alarms(const struct web_fx *fx);

// The state of grant id on bmhs: 1 active, 0 revoked, -1 not found.
int web_fx_grant_active(const struct web_fx *fx, const char *id);

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
