// SPDX-License-Identifier: MIT
//
// web_pages_internal.h: what the page modules of fed-web share: the
// request context, the page layout, links that keep the language, error
// pages and the figures' markup (each figure carries its exact value in a
// data- attribute, so that a test compares it with fed-invest's number).

#ifndef WEB_PAGES_INTERNAL_H
#define WEB_PAGES_INTERNAL_H

#include <stdint.h>

#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/invest.pb-c.h"
#include "web_access.h"
#include "web_auth.h"
#include "web_backend.h"
#include "web_http.h"
#include "web_i18n.h"
#include "web_pages.h"
#include "web_presets.h"

struct web_app {
	web_app_opts o;
};

// One request being served.
typedef struct web_ctx {
	struct web_app *app;
	const web_req *req;
	web_res *res;
	web_buf *b; // &res->body
	web_lang lang;
	web_session session;
	int logged_in;
} web_ctx;

// The value of query (GET) or form (POST) parameter `name`, or NULL.
const char *web_arg(const web_ctx *c, const char *name);

// Starts an HTML page (doctype, head, navigation for the session's role)
// with the title `title` and an <h1> of the same words (h1 may be NULL:
// the title) escaped.
void web_page_begin(web_ctx *c, web_str title, const char *h1);

// Closes the page.
void web_page_end(web_ctx *c);

// Replaces the body with a whole error page: status, and msg (escaped).
void web_page_error(web_ctx *c, uint16_t status, const char *msg);

// An error page for a failed RPC: 400, 403, 404, 409 or 503 from st,
// with the service's message.
void web_page_rpc_error(web_ctx *c, fed_status st, const char *err);

// The HTTP status fitting an RPC status.
uint16_t web_http_status(fed_status st);

// Appends an href value: path (already safe: built from constants and
// web_buf_url-encoded values) plus the language when English. Escaped for
// an attribute.
void web_put_href(web_ctx *c, const char *path);

// Appends <input type="hidden" name="csrf" ...> with the session's token.
void web_put_csrf(web_ctx *c);

// 1 when the POSTed form carries the session's CSRF token.
int web_csrf_ok(const web_ctx *c);

// 1 when c is a POST whose form lacks the session's CSRF token: the 403
// page is then sent and the handler stops; 0 otherwise (a GET, or a POST
// that may go on).
int web_post_refused(web_ctx *c);

// Appends an energy figure: <span class="wh" data-wh="EXACT"
// data-coverage="C">12,3 kWh</span>, with an "incomplete data" mark
// when coverage < 1.
void web_put_energy(web_ctx *c, double wh, double coverage);

// Appends a number with its exact value: <span data-figure="name"
// data-value="EXACT">text</span>; text escaped.
void web_put_figure(
    web_ctx *c, const char *name, double exact, const char *text);

// Appends an error paragraph (escaped) when msg is not NULL or empty.
void web_put_error(web_ctx *c, const char *msg);

// Parses a local date "YYYY-MM-DD" (or a full ISO time) in the app's zone.
fed_status web_parse_date(const web_ctx *c, const char *s, int64_t *ms);

// --- What the consent pages share (web_page_grant.c) ----------------------

// A grant found among a household's own: the owner credential that lists
// it, the list (owned, freed by web_grant_ref_fini) and the grant in it.
struct web_grant_ref {
	web_where where;
	Enfed__V1__ListGrantsResponse *list;
	const Enfed__V1__Grant *grant;
};

// Lists the grants that owner credential w shows (those on its series);
// *out owned by the caller. The node's status, its message in err.
fed_status web_grants_list(web_ctx *c, const web_where *w,
    Enfed__V1__ListGrantsResponse **out, char *err, size_t len);

// Finds grant id among those the session's owner credentials on node
// node_name list. NOT_FOUND (with the catalogue's words in err) when none
// lists it, whether it exists or not; a node's failure otherwise.
fed_status web_grant_find(web_ctx *c, const char *node_name, const char *id,
    struct web_grant_ref *ref, char *err, size_t len);

// Frees what web_grant_find kept. Safe on a zeroed ref.
void web_grant_ref_fini(struct web_grant_ref *ref);

// 1 when g is neither revoked nor expired at now_ms.
int web_grant_active(const Enfed__V1__Grant *g, int64_t now_ms);

// The words for a step ("jour", "every point"); static.
const char *web_step_label(web_lang lang, Enfed__V1__Step step);

// Appends g's cells: series, scopes, finest step, data range, expiry,
// last replicated, state (each <td> with a class; the state's
// data-state is active, revoked or expired).
void web_put_grant_cells(
    web_ctx *c, const Enfed__V1__Grant *g, int64_t now_ms);

// Appends the href of path?node=NODE&grant=ID (escaped).
void web_put_grant_href(
    web_ctx *c, const char *path, const char *node, const char *id);

// The pages.
void web_page_dashboard(web_ctx *c);
void web_page_production(web_ctx *c);
void web_page_distribution(web_ctx *c);
void web_page_settings(web_ctx *c);
void web_page_admin(web_ctx *c);
void web_page_curves(web_ctx *c);
void web_page_curves_js(web_ctx *c);
void web_page_self(web_ctx *c);
void web_page_live(web_ctx *c);
void web_api_live(web_ctx *c);
void web_page_consent(web_ctx *c);
void web_page_consent_revoke(web_ctx *c);
void web_page_consent_log(web_ctx *c);
void web_page_alarms(web_ctx *c);

// The saved comparisons (web_page_presets.c): a teacher or an
// administrator may save one; an administrator may delete any, a teacher
// those it saved; no other role either.
int web_preset_may_save(const web_ctx *c);
int web_preset_may_delete(const web_ctx *c, const web_preset *p);
// GET /curves?delete=NAME: the confirmation (404 for a name not in list,
// 403 for one the user may not delete).
void web_page_preset_confirm(
    web_ctx *c, const char *name, const web_preset *list, size_t n);
// POST /curves with action=delete.
void web_page_preset_delete(web_ctx *c);

// The static files.
extern const char web_static_css[];
extern const char web_static_css_narrow[];
extern const char web_static_js[];

#endif // WEB_PAGES_INTERNAL_H
