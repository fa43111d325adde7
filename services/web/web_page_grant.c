// SPDX-License-Identifier: MIT
//
// web_page_grant.c: one grant of a household: the confirmation and the
// revocation (/consent/revoke), and its access log (/consent/log); and
// what the consent pages share: finding a grant among the household's
// own, and writing a grant's facts.
//
// A grant is named by its node and id in the URL or the form. It is
// looked for only in what the household's owner credentials list on that
// node (the node lists the grants on their series only), so an id of
// another household's grant is "not found", exactly as an id that does
// not exist; the node refuses the revocation or the log anyway. The
// revocation is a POST carrying the session's CSRF token, reached from a
// confirmation page.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enfed/v1/grant.pb-c.h"
#include "fed/clock.h"
#include "web_access.h"
#include "web_pages_internal.h"

#define LOG_LIMIT 200

int
web_grant_active(const Enfed__V1__Grant *g, int64_t now_ms)
{
	return !g->revoked && (g->expires_ms == 0 || g->expires_ms > now_ms);
}

const char *
web_step_label(web_lang lang, Enfed__V1__Step step)
{
	static const web_str labels[]
	    = {WEB_S_STEP_RAW, WEB_S_STEP_5MIN, WEB_S_STEP_15MIN, WEB_S_HOUR,
	        WEB_S_DAY, WEB_S_WEEK, WEB_S_MONTH_S, WEB_S_YEAR_S};
	return (unsigned) step < sizeof(labels) / sizeof(labels[0])
	    ? web_tr(lang, labels[step])
	    : "?";
}

fed_status
web_grants_list(web_ctx *c, const web_where *w,
    Enfed__V1__ListGrantsResponse **out, char *err, size_t len)
{
	Enfed__V1__ListGrantsRequest rq = ENFED__V1__LIST_GRANTS_REQUEST__INIT;
	return web_access_grants(c->app->o.backend, w, "List", &rq.base,
	    (ProtobufCMessage **) out, err, len);
}

// The grant of id in list, or NULL.
static const Enfed__V1__Grant *
grant_in(const Enfed__V1__ListGrantsResponse *list, const char *id)
{
	for (size_t i = 0; i < list->n_grants; i++)
		if (strcmp(list->grants[i]->id, id) == 0)
			return list->grants[i];
	return NULL;
}

fed_status
web_grant_find(web_ctx *c, const char *node_name, const char *id,
    struct web_grant_ref *ref, char *err, size_t len)
{
	web_where owners[WEB_MAX_CREDS];
	size_t n = web_access_owners(
	    c->app->o.backend, &c->session, owners, WEB_MAX_CREDS);
	memset(ref, 0, sizeof(*ref));
	snprintf(err, len, "%s", web_tr(c->lang, WEB_S_NO_SUCH_GRANT));
	for (size_t i = 0; i < n && i < WEB_MAX_CREDS; i++) {
		const char *name
		    = web_backend_node_name(c->app->o.backend, owners[i].node);
		if (strcmp(name, node_name) != 0)
			continue;
		Enfed__V1__ListGrantsResponse *list = NULL;
		FED_TRY(web_grants_list(c, &owners[i], &list, err, len));
		const Enfed__V1__Grant *g = grant_in(list, id);
		if (g != NULL) {
			ref->where = owners[i];
			ref->list = list;
			ref->grant = g;
			return FED_OK;
		}
		enfed__v1__list_grants_response__free_unpacked(list, NULL);
	}
	return FED_NOT_FOUND;
}

void
web_grant_ref_fini(struct web_grant_ref *ref)
{
	if (ref->list != NULL)
		enfed__v1__list_grants_response__free_unpacked(
		    ref->list, NULL);
	memset(ref, 0, sizeof(*ref));
}

static void
put_date_or(web_ctx *c, int64_t ms, web_str none)
{
	char t[WEB_FMT_LEN];
	if (ms == 0) {
		web_buf_html(c->b, web_tr(c->lang, none));
		return;
	}
	web_fmt_datetime(t, sizeof(t), c->lang, c->app->o.tz, ms);
	web_buf_printf(
	    c->b, "<time data-ms=\"%lld\">%s</time>", (long long) ms, t);
}

static void
put_scopes(web_ctx *c, const Enfed__V1__Grant *g)
{
	for (size_t i = 0; i < g->n_scopes; i++) {
		web_str s = g->scopes[i] == ENFED__V1__SCOPE__SCOPE_LIVE
		    ? WEB_S_SCOPE_LIVE
		    : WEB_S_SCOPE_QUERY;
		web_buf_printf(
		    c->b, "%s%s", i ? ", " : "", web_tr(c->lang, s));
	}
}

static void
put_range(web_ctx *c, const Enfed__V1__TimeRange *r)
{
	char f[WEB_FMT_LEN], t[WEB_FMT_LEN];
	if (r == NULL || (r->from_ms == 0 && r->to_ms == 0)) {
		web_buf_html(c->b, web_tr(c->lang, WEB_S_ALL_DATA));
		return;
	}
	web_fmt_date(f, sizeof(f), c->lang, c->app->o.tz, r->from_ms);
	if (r->to_ms == 0) {
		web_buf_printf(c->b, "%s %s", web_tr(c->lang, WEB_S_SINCE), f);
		return;
	}
	web_fmt_date(t, sizeof(t), c->lang, c->app->o.tz, r->to_ms - 1);
	web_buf_printf(c->b, "%s %s %s %s", web_tr(c->lang, WEB_S_FROM), f,
	    web_tr(c->lang, WEB_S_TO), t);
}

static web_str
state_of(const Enfed__V1__Grant *g, int64_t now_ms)
{
	return g->revoked                 ? WEB_S_REVOKED
	    : web_grant_active(g, now_ms) ? WEB_S_ACTIVE
	                                  : WEB_S_EXPIRED;
}

void
web_put_grant_cells(web_ctx *c, const Enfed__V1__Grant *g, int64_t now_ms)
{
	// data-label: the column's name, shown above each cell when the
	// table turns into cards on a narrow screen.
	web_buf_printf(c->b, "<td class=\"series\" data-label=\"%s\">",
	    web_tr(c->lang, WEB_S_SERIES));
	web_buf_html(c->b, g->series);
	web_buf_printf(c->b, "</td><td class=\"scopes\" data-label=\"%s\">",
	    web_tr(c->lang, WEB_S_SCOPES));
	put_scopes(c, g);
	web_buf_printf(c->b,
	    "</td><td class=\"finest\" data-step=\"%d\" "
	    "data-label=\"%s\">%s",
	    (int) g->finest_step, web_tr(c->lang, WEB_S_FINEST),
	    web_step_label(c->lang, g->finest_step));
	web_buf_printf(c->b, "</td><td class=\"range\" data-label=\"%s\">",
	    web_tr(c->lang, WEB_S_DATA_RANGE));
	put_range(c, g->data_range);
	web_buf_printf(c->b, "</td><td class=\"expires\" data-label=\"%s\">",
	    web_tr(c->lang, WEB_S_EXPIRES));
	put_date_or(c, g->expires_ms, WEB_S_NEVER);
	web_buf_printf(c->b,
	    "</td><td class=\"replicated\" data-label=\"%s\">",
	    web_tr(c->lang, WEB_S_LAST_REPLICATED));
	put_date_or(c, g->last_replicated_ms, WEB_S_NEVER);
	web_str st = state_of(g, now_ms);
	web_buf_printf(c->b,
	    "</td><td class=\"state\" data-state=\"%s\" "
	    "data-label=\"%s\">%s</td>",
	    st == WEB_S_ACTIVE        ? "active"
	        : st == WEB_S_REVOKED ? "revoked"
	                              : "expired",
	    web_tr(c->lang, WEB_S_STATE), web_tr(c->lang, st));
}

void
web_put_grant_href(
    web_ctx *c, const char *path, const char *node, const char *id)
{
	web_buf b2;
	web_buf_init(&b2);
	web_buf_put(&b2, path);
	web_buf_put(&b2, "?node=");
	web_buf_url(&b2, node);
	web_buf_put(&b2, "&grant=");
	web_buf_url(&b2, id);
	web_put_href(c, b2.data);
	web_buf_fini(&b2);
}

// --- The revocation ------------------------------------------------------

// The node and grant named by the request, checked; NULL, or why not.
static const char *
grant_args(web_ctx *c, const char **node, const char **id)
{
	*node = web_arg(c, "node");
	*id = web_arg(c, "grant");
	if (!web_is_ident(*node, 63, 0, 0))
		return web_tr(c->lang, WEB_S_BAD_NODE);
	if (!web_is_ident(*id, 64, 0, 0))
		return web_tr(c->lang, WEB_S_BAD_GRANT);
	return NULL;
}

// Finds the request's grant, or answers the request with an error page.
static int
find_or_fail(web_ctx *c, struct web_grant_ref *ref)
{
	const char *node, *id;
	const char *bad = grant_args(c, &node, &id);
	if (bad != NULL) {
		web_page_error(c, 400, bad);
		return 0;
	}
	char err[512];
	fed_status st = web_grant_find(c, node, id, ref, err, sizeof(err));
	if (st == FED_NOT_FOUND || st == FED_PERMISSION_DENIED)
		web_page_error(c, 404, web_tr(c->lang, WEB_S_NO_SUCH_GRANT));
	else if (st != FED_OK)
		web_page_rpc_error(c, st, err);
	return st == FED_OK;
}

static void
grant_summary(web_ctx *c, const struct web_grant_ref *ref)
{
	web_buf_printf(c->b,
	    "<table class=\"grants cards\"><thead><tr><th>%s</th><th>%s</th>"
	    "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	    "<th>%s</th></tr></thead><tbody><tr data-grant=\"",
	    web_tr(c->lang, WEB_S_GRANTEE), web_tr(c->lang, WEB_S_SERIES),
	    web_tr(c->lang, WEB_S_SCOPES), web_tr(c->lang, WEB_S_FINEST),
	    web_tr(c->lang, WEB_S_DATA_RANGE), web_tr(c->lang, WEB_S_EXPIRES),
	    web_tr(c->lang, WEB_S_LAST_REPLICATED),
	    web_tr(c->lang, WEB_S_STATE));
	web_buf_html(c->b, ref->grant->id);
	web_buf_printf(c->b, "\"><td class=\"grantee\" data-label=\"%s\">",
	    web_tr(c->lang, WEB_S_GRANTEE));
	web_buf_html(c->b, ref->grant->grantee_node);
	web_buf_put(c->b, "</td>");
	web_put_grant_cells(c, ref->grant, fed_clock_now_ms());
	web_buf_put(c->b, "</tr></tbody></table>");
}

// The confirmation; for a grant no longer active, its facts only.
static void
confirm_page(web_ctx *c, const struct web_grant_ref *ref)
{
	const char *node
	    = web_backend_node_name(c->app->o.backend, ref->where.node);
	web_page_begin(c, WEB_S_REVOKE_TITLE, NULL);
	grant_summary(c, ref);
	if (!web_grant_active(ref->grant, fed_clock_now_ms())) {
		web_buf_put(c->b, "<p><a href=\"");
		web_put_href(c, "/consent");
		web_buf_printf(
		    c->b, "\">%s</a></p>", web_tr(c->lang, WEB_S_BACK));
		web_page_end(c);
		return;
	}
	web_buf_printf(c->b, "<p>%s</p><form method=\"post\" action=\"",
	    web_tr(c->lang, WEB_S_REVOKE_EXPLAIN));
	web_put_href(c, "/consent/revoke");
	web_buf_put(c->b, "\" class=\"revoke\">");
	web_put_csrf(c);
	web_buf_put(c->b, "<input type=\"hidden\" name=\"node\" value=\"");
	web_buf_html(c->b, node);
	web_buf_put(c->b, "\"><input type=\"hidden\" name=\"grant\" value=\"");
	web_buf_html(c->b, ref->grant->id);
	web_buf_printf(c->b,
	    "\"><button type=\"submit\" class=\"danger\">%s</button> <a "
	    "href=\"",
	    web_tr(c->lang, WEB_S_REVOKE));
	web_put_href(c, "/consent");
	web_buf_printf(
	    c->b, "\">%s</a></form>", web_tr(c->lang, WEB_S_CANCEL));
	web_page_end(c);
}

static void
revoke(web_ctx *c, const struct web_grant_ref *ref)
{
	Enfed__V1__RevokeGrantRequest rq
	    = ENFED__V1__REVOKE_GRANT_REQUEST__INIT;
	rq.id = ref->grant->id;
	Enfed__V1__Grant *g = NULL;
	char err[512];
	fed_status st = web_access_grants(c->app->o.backend, &ref->where,
	    "Revoke", &rq.base, (ProtobufCMessage **) &g, err, sizeof(err));
	if (st != FED_OK) {
		web_page_rpc_error(c, st, err);
		return;
	}
	enfed__v1__grant__free_unpacked(g, NULL);
	c->res->status = 303;
	snprintf(c->res->location, sizeof(c->res->location),
	    "/consent?revoked=1%s", c->lang == WEB_LANG_EN ? "&lang=en" : "");
	web_buf_fini(c->b);
}

void
web_page_consent_revoke(web_ctx *c)
{
	if (web_post_refused(c))
		return;
	int post = strcmp(c->req->method, "POST") == 0;
	struct web_grant_ref ref;
	if (!find_or_fail(c, &ref))
		return;
	if (post)
		revoke(c, &ref);
	else
		confirm_page(c, &ref);
	web_grant_ref_fini(&ref);
}

// --- The access log ------------------------------------------------------

// A call in the household's words: a query by the grantee, a batch
// pushed by the owner's node; other calls by their names.
static void
put_method(web_ctx *c, const char *method)
{
	if (strcmp(method, "Query") == 0)
		web_buf_html(c->b, web_tr(c->lang, WEB_S_CALL_QUERY));
	else if (strcmp(method, "Replicate") == 0)
		web_buf_html(c->b, web_tr(c->lang, WEB_S_CALL_REPLICATE));
	else
		web_buf_html(c->b, method);
}

// Each cell under its column's name (data-label), as in the grants.
static void
log_row(web_ctx *c, const Enfed__V1__GrantAccess *e)
{
	web_lang l = c->lang;
	web_buf_printf(c->b, "<tr data-at=\"%lld\"><td data-label=\"%s\">",
	    (long long) e->at_ms, web_tr(l, WEB_S_WHEN));
	put_date_or(c, e->at_ms, WEB_S_NEVER);
	web_buf_printf(
	    c->b, "</td><td data-label=\"%s\">", web_tr(l, WEB_S_GRANTEE));
	web_buf_html(c->b, e->grantee_node);
	web_buf_put(c->b, "</td><td data-method=\"");
	web_buf_html(c->b, e->method);
	web_buf_printf(c->b, "\" data-label=\"%s\">", web_tr(l, WEB_S_CALL));
	put_method(c, e->method);
	web_buf_printf(c->b, "</td><td class=\"series\" data-label=\"%s\">",
	    web_tr(l, WEB_S_SERIES));
	for (size_t i = 0; i < e->n_series_ids; i++) {
		web_buf_put(c->b, i ? ", " : "");
		web_buf_html(c->b, e->series_ids[i]);
	}
	web_buf_printf(
	    c->b, "</td><td data-label=\"%s\">", web_tr(l, WEB_S_DATA_RANGE));
	put_range(c, e->range);
	web_buf_printf(c->b,
	    "</td><td data-label=\"%s\">%s</td><td data-status=\"%s\" "
	    "data-label=\"%s\">%s",
	    web_tr(l, WEB_S_FINEST), web_step_label(l, e->step),
	    fed_status_name((fed_status) e->status), web_tr(l, WEB_S_RESULT),
	    web_tr(l,
	        e->status == ENFED__V1__STATUS_CODE__OK ? WEB_S_ANSWERED
	                                                : WEB_S_REFUSED));
	if (e->status != ENFED__V1__STATUS_CODE__OK)
		web_buf_printf(
		    c->b, " (%s)", fed_status_name((fed_status) e->status));
	web_buf_put(c->b, "</td></tr>");
}

static void
log_table(web_ctx *c, const Enfed__V1__GrantLogResponse *r)
{
	if (r->n_entries == 0) {
		web_buf_printf(c->b, "<p class=\"none\">%s</p>",
		    web_tr(c->lang, WEB_S_NO_ACCESS));
		return;
	}
	web_buf_printf(c->b,
	    "<table class=\"access-log "
	    "cards\"><thead><tr><th>%s</th><th>%s</th>"
	    "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	    "</tr></thead><tbody>",
	    web_tr(c->lang, WEB_S_WHEN), web_tr(c->lang, WEB_S_GRANTEE),
	    web_tr(c->lang, WEB_S_CALL), web_tr(c->lang, WEB_S_SERIES),
	    web_tr(c->lang, WEB_S_DATA_RANGE), web_tr(c->lang, WEB_S_FINEST),
	    web_tr(c->lang, WEB_S_RESULT));
	for (size_t i = 0; i < r->n_entries; i++)
		log_row(c, r->entries[i]);
	web_buf_put(c->b, "</tbody></table>");
}

void
web_page_consent_log(web_ctx *c)
{
	struct web_grant_ref ref;
	if (!find_or_fail(c, &ref))
		return;
	Enfed__V1__GrantLogRequest rq = ENFED__V1__GRANT_LOG_REQUEST__INIT;
	rq.grant_id = ref.grant->id;
	rq.limit = LOG_LIMIT;
	Enfed__V1__GrantLogResponse *r = NULL;
	char err[512];
	fed_status st = web_access_grants(c->app->o.backend, &ref.where, "Log",
	    &rq.base, (ProtobufCMessage **) &r, err, sizeof(err));
	if (st != FED_OK) {
		web_page_rpc_error(c, st, err);
	} else {
		web_page_begin(c, WEB_S_ACCESS_LOG, NULL);
		grant_summary(c, &ref);
		log_table(c, r);
		web_buf_put(c->b, "<p><a href=\"");
		web_put_href(c, "/consent");
		web_buf_printf(
		    c->b, "\">%s</a></p>", web_tr(c->lang, WEB_S_BACK));
		web_page_end(c);
		enfed__v1__grant_log_response__free_unpacked(r, NULL);
	}
	web_grant_ref_fini(&ref);
}
