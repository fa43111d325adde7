// SPDX-License-Identifier: MIT
//
// web_page_settings.c: the forms: an investor's list of holdings with
// their acquisition date, "add an investment", edit, and remove (asked
// first); and the administrator's projects (add, edit, archive, and
// delete, asked first; fed-invest checks a project's series on its node
// and refuses to delete a project still held). Every POST checks the session's
// CSRF token and its fields, and shows the form again with a clear message
// when something is wrong; fed-invest's own refusals (not enough shares left,
// a price that does not divide the cost) are shown as they come. A success
// redirects (303) so that reloading does not post again.

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enfed/v1/invest.pb-c.h"
#include "fed/clock.h"
#include "web_pages_internal.h"

static void
redirect_saved(web_ctx *c, const char *path)
{
	c->res->status = 303;
	snprintf(c->res->location, sizeof(c->res->location), "%s?saved=1%s",
	    path, c->lang == WEB_LANG_EN ? "&lang=en" : "");
	web_buf_fini(c->b);
}

static Enfed__V1__ListProjectsResponse *
list_projects(
    web_ctx *c, const char *token, char *err, size_t len, fed_status *st)
{
	Enfed__V1__ListProjectsRequest rq
	    = ENFED__V1__LIST_PROJECTS_REQUEST__INIT;
	Enfed__V1__ListProjectsResponse *r = NULL;
	*st = web_backend_invest(c->app->o.backend, token, "ListProjects",
	    &rq.base, (ProtobufCMessage **) &r, err, len);
	return r;
}

// The investor's holding of project id in its list, or NULL.
static const Enfed__V1__Investment *
held(const Enfed__V1__ListInvestmentsResponse *inv, const char *id)
{
	for (size_t i = 0; inv != NULL && i < inv->n_investments; i++)
		if (strcmp(inv->investments[i]->project_id, id) == 0)
			return inv->investments[i];
	return NULL;
}

// One project's facts; "held" is the investor's own count (the table of
// "add an investment"), the total is the project's. Each cell carries its
// column's name (data-label), shown above it when the table turns into
// cards on a narrow screen.
static void
project_facts(web_ctx *c, const Enfed__V1__Project *p)
{
	char cost[WEB_FMT_LEN], price[WEB_FMT_LEN], kw[WEB_FMT_LEN];
	web_fmt_eur(cost, sizeof(cost), c->lang, p->cost_cents);
	web_fmt_eur(price, sizeof(price), c->lang, p->share_price_cents);
	web_fmt_num(kw, sizeof(kw), c->lang, p->peak_kw, 1);
	web_buf_put(c->b, "<tr data-project=\"");
	web_buf_html(c->b, p->id);
	web_buf_printf(c->b, "\"%s><td data-label=\"%s\">",
	    p->archived ? " class=\"archived\"" : "",
	    web_tr(c->lang, WEB_S_PROJECT));
	web_buf_html(c->b, p->name);
	if (p->archived)
		web_buf_printf(
		    c->b, " <em>(%s)</em>", web_tr(c->lang, WEB_S_ARCHIVED));
	web_buf_printf(c->b,
	    "</td><td data-label=\"%s\">%s</td><td data-label=\"%s\">",
	    web_tr(c->lang, WEB_S_TYPE), web_type_name(c->lang, p->type),
	    web_tr(c->lang, WEB_S_ORGANISATION));
	web_buf_html(c->b, p->organisation);
	web_buf_printf(c->b,
	    "</td><td data-label=\"%s\">%s %s</td><td data-label=\"%s\">%s"
	    "</td><td data-label=\"%s\">%s</td><td data-label=\"%s\" "
	    "data-total-shares=\"%u\">%u</td>",
	    web_tr(c->lang, WEB_S_POWER), kw, web_tr(c->lang, WEB_S_UNIT_KWP),
	    web_tr(c->lang, WEB_S_COST), cost,
	    web_tr(c->lang, WEB_S_SHARE_PRICE), price,
	    web_tr(c->lang, WEB_S_TOTAL_SHARES), p->total_shares,
	    p->total_shares);
}

// The table's head; the last column is the investor's own shares, or
// the administrator's actions.
static void
projects_head(web_ctx *c, int admin)
{
	web_buf_printf(c->b,
	    "<table class=\"projects cards\"><thead><tr><th>%s</th><th>%s</th>"
	    "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	    "<th>%s</th></tr></thead><tbody>",
	    web_tr(c->lang, WEB_S_PROJECT), web_tr(c->lang, WEB_S_TYPE),
	    web_tr(c->lang, WEB_S_ORGANISATION), web_tr(c->lang, WEB_S_POWER),
	    web_tr(c->lang, WEB_S_COST), web_tr(c->lang, WEB_S_SHARE_PRICE),
	    web_tr(c->lang, WEB_S_TOTAL_SHARES),
	    admin ? "" : web_tr(c->lang, WEB_S_SHARES));
}

// A link to path?key=id (kept in the user's language).
static void
id_link(web_ctx *c, const char *path, const char *key, const char *id,
    web_str label)
{
	web_buf b2;
	web_buf_init(&b2);
	web_buf_printf(&b2, "%s?%s=", path, key);
	web_buf_url(&b2, id);
	web_buf_put(c->b, "<a href=\"");
	web_put_href(c, b2.data);
	web_buf_printf(c->b, "\">%s</a>", web_tr(c->lang, label));
	web_buf_fini(&b2);
}

// --- The investor's holdings ------------------------------------------------

static void
holdings(web_ctx *c, const Enfed__V1__ListInvestmentsResponse *inv)
{
	if (inv->n_investments == 0) {
		web_buf_printf(
		    c->b, "<p>%s</p>", web_tr(c->lang, WEB_S_NO_HOLDING));
		return;
	}
	web_buf_printf(c->b,
	    "<table class=\"holdings cards\"><thead><tr><th>%s</th>"
	    "<th>%s</th><th>%s</th><th></th></tr></thead><tbody>",
	    web_tr(c->lang, WEB_S_PROJECT), web_tr(c->lang, WEB_S_NB_SHARES),
	    web_tr(c->lang, WEB_S_ACQUIRED));
	for (size_t i = 0; i < inv->n_investments; i++) {
		const Enfed__V1__Investment *v = inv->investments[i];
		char d[WEB_FMT_LEN];
		web_fmt_date(
		    d, sizeof(d), c->lang, c->app->o.tz, v->acquired_ms);
		web_buf_put(c->b, "<tr data-project=\"");
		web_buf_html(c->b, v->project_id);
		web_buf_printf(c->b, "\"><td data-label=\"%s\">",
		    web_tr(c->lang, WEB_S_PROJECT));
		web_buf_html(c->b, v->project_id);
		web_buf_printf(c->b,
		    "</td><td data-label=\"%s\" data-shares=\"%u\">%u</td>"
		    "<td data-label=\"%s\" data-acquired-ms=\"%lld\">%s</td>"
		    "<td>",
		    web_tr(c->lang, WEB_S_NB_SHARES), v->shares, v->shares,
		    web_tr(c->lang, WEB_S_ACQUIRED),
		    (long long) v->acquired_ms, d);
		id_link(c, "/settings", "edit", v->project_id, WEB_S_EDIT);
		web_buf_put(c->b, " · ");
		id_link(c, "/settings", "remove", v->project_id, WEB_S_REMOVE);
		web_buf_put(c->b, "</td></tr>");
	}
	web_buf_put(c->b, "</tbody></table>");
}

// The projects one may invest in, with the investor's own shares of each
// beside their total; archived ones only when already held.
static void
add_table(web_ctx *c, const Enfed__V1__ListProjectsResponse *pl,
    const Enfed__V1__ListInvestmentsResponse *inv)
{
	projects_head(c, 0);
	for (size_t i = 0; pl && i < pl->n_projects; i++) {
		const Enfed__V1__Project *p = pl->projects[i];
		const Enfed__V1__Investment *h = held(inv, p->id);
		if (p->archived && h == NULL)
			continue;
		project_facts(c, p);
		web_buf_printf(c->b,
		    "<td data-label=\"%s\" data-shares-held=\"%u\">%u</td>"
		    "</tr>",
		    web_tr(c->lang, WEB_S_SHARES), h ? h->shares : 0,
		    h ? h->shares : 0);
	}
	web_buf_put(c->b, "</tbody></table>");
}

// "Add an investment", or, with edit (a holding), change that one.
static void
add_form(web_ctx *c, const Enfed__V1__ListProjectsResponse *pl,
    const Enfed__V1__ListInvestmentsResponse *inv,
    const Enfed__V1__Investment *edit)
{
	web_buf_printf(c->b, "<h2>%s</h2>",
	    web_tr(c->lang, edit ? WEB_S_EDIT : WEB_S_ADD_INVESTMENT));
	if (edit == NULL)
		add_table(c, pl, inv);
	web_buf_put(
	    c->b, "<form method=\"post\" class=\"add-investment\" action=\"");
	web_put_href(c, "/settings");
	web_buf_put(c->b, "\">");
	web_put_csrf(c);
	web_buf_printf(c->b,
	    "<input type=\"hidden\" name=\"action\" "
	    "value=\"add\"><label>%s <select name=\"project\" "
	    "required>",
	    web_tr(c->lang, WEB_S_PROJECT));
	for (size_t i = 0; pl && i < pl->n_projects; i++) {
		const Enfed__V1__Project *p = pl->projects[i];
		int mine = edit && strcmp(edit->project_id, p->id) == 0;
		if ((edit && !mine) || (p->archived && !held(inv, p->id)))
			continue;
		char price[WEB_FMT_LEN];
		web_fmt_eur(
		    price, sizeof(price), c->lang, p->share_price_cents);
		web_buf_put(c->b, "<option value=\"");
		web_buf_html(c->b, p->id);
		web_buf_printf(c->b, "\"%s>", mine ? " selected" : "");
		web_buf_html(c->b, p->name);
		web_buf_put(c->b, " — ");
		web_buf_html(c->b, p->organisation);
		web_buf_printf(c->b, " (%s %s)</option>", price,
		    c->lang == WEB_LANG_EN ? "a share" : "la part");
	}
	char shares[16] = "", day[16] = "";
	if (edit) {
		snprintf(shares, sizeof(shares), "%u", edit->shares);
		web_fmt_isodate(
		    day, sizeof(day), c->app->o.tz, edit->acquired_ms);
	}
	web_buf_printf(c->b,
	    "</select></label> <label>%s <input "
	    "name=\"shares\" type=\"number\" min=\"1\" "
	    "max=\"1000000\" value=\"%s\" required></label> "
	    "<label>%s <input name=\"acquired\" type=\"date\" "
	    "value=\"%s\"></label> <button>%s</button></form>",
	    web_tr(c->lang, WEB_S_NB_SHARES), shares,
	    web_tr(c->lang, WEB_S_ACQUIRED_FIELD), day,
	    web_tr(c->lang, edit ? WEB_S_SAVE : WEB_S_ADD));
}

// Removing a holding asks first: the figures it carries leave the
// dashboard. The POST that follows carries the CSRF token as any other.
static void
remove_confirm(web_ctx *c, const Enfed__V1__Investment *v)
{
	char d[WEB_FMT_LEN];
	web_fmt_date(d, sizeof(d), c->lang, c->app->o.tz, v->acquired_ms);
	web_buf_printf(c->b,
	    "<section class=\"confirm\"><h2>%s</h2><p><strong>",
	    web_tr(c->lang, WEB_S_REMOVE_TITLE));
	web_buf_html(c->b, v->project_id);
	web_buf_printf(c->b, "</strong> · %u %s · %s %s</p><p>%s</p>",
	    v->shares, web_tr(c->lang, WEB_S_NB_SHARES),
	    web_tr(c->lang, WEB_S_ACQUIRED), d,
	    web_tr(c->lang, WEB_S_REMOVE_EXPLAIN));
	web_buf_put(c->b, "<form method=\"post\" class=\"remove\" action=\"");
	web_put_href(c, "/settings");
	web_buf_put(c->b, "\">");
	web_put_csrf(c);
	web_buf_put(c->b,
	    "<input type=\"hidden\" name=\"action\" value=\"remove\">"
	    "<input type=\"hidden\" name=\"project\" value=\"");
	web_buf_html(c->b, v->project_id);
	web_buf_printf(c->b, "\"><button>%s</button> <a href=\"",
	    web_tr(c->lang, WEB_S_REMOVE));
	web_put_href(c, "/settings");
	web_buf_printf(
	    c->b, "\">%s</a></form></section>", web_tr(c->lang, WEB_S_CANCEL));
}

static void
settings_body(web_ctx *c, const char *error,
    const Enfed__V1__ListInvestmentsResponse *inv,
    const Enfed__V1__ListProjectsResponse *pl)
{
	const char *edit_id = web_params_get(&c->req->query, "edit");
	const char *remove_id = web_params_get(&c->req->query, "remove");
	const Enfed__V1__Investment *edit
	    = edit_id ? held(inv, edit_id) : NULL;
	const Enfed__V1__Investment *rm
	    = remove_id ? held(inv, remove_id) : NULL;
	if ((edit_id && !edit) || (remove_id && !rm)) {
		web_page_error(c, 404, web_tr(c->lang, WEB_S_NO_HOLDING));
		return;
	}
	web_page_begin(c, WEB_S_SETTINGS, NULL);
	if (web_params_get(&c->req->query, "saved"))
		web_buf_printf(c->b, "<p class=\"ok\">%s</p>",
		    web_tr(c->lang, WEB_S_SAVED));
	web_put_error(c, error);
	if (rm != NULL) {
		remove_confirm(c, rm);
	} else {
		holdings(c, inv);
		add_form(c, pl, inv, edit);
	}
	web_page_end(c);
}

static void
settings_page(web_ctx *c, const char *error)
{
	char err[512] = "";
	Enfed__V1__ListInvestmentsRequest rq
	    = ENFED__V1__LIST_INVESTMENTS_REQUEST__INIT;
	rq.investor = c->session.investor;
	Enfed__V1__ListInvestmentsResponse *inv = NULL;
	fed_status st = web_backend_invest(c->app->o.backend,
	    c->session.invest_token, "ListInvestments", &rq.base,
	    (ProtobufCMessage **) &inv, err, sizeof(err));
	Enfed__V1__ListProjectsResponse *pl = NULL;
	if (st == FED_OK)
		pl = list_projects(
		    c, c->session.invest_token, err, sizeof(err), &st);
	if (st != FED_OK)
		web_page_rpc_error(c, st, err);
	else
		settings_body(c, error, inv, pl);
	if (inv)
		enfed__v1__list_investments_response__free_unpacked(inv, NULL);
	if (pl)
		enfed__v1__list_projects_response__free_unpacked(pl, NULL);
}

// Applies the POSTed form; NULL on success, else the message to show
// (in msg) with *status set.
static const char *
settings_post(web_ctx *c, char *msg, size_t len, uint16_t *status)
{
	const char *action = web_arg(c, "action");
	const char *project = web_arg(c, "project");
	*status = 400;
	if (!web_is_ident(project, 100, 0, 0))
		return web_tr(c->lang, WEB_S_BAD_PROJECT);
	int remove = action && strcmp(action, "remove") == 0;
	if (!remove && !(action && strcmp(action, "add") == 0))
		return web_tr(c->lang, WEB_S_BAD_ACTION);
	int64_t shares = 0, acquired = 0;
	if (!remove
	    && web_parse_int(web_arg(c, "shares"), 1, 1000000, &shares)
	        != FED_OK)
		return web_tr(c->lang, WEB_S_BAD_SHARES);
	// The date the holding started: its totals count from there, so an
	// investor who entered an old holding does not see "0 Wh since the
	// start". Empty is today (fed-invest's now).
	const char *day = web_arg(c, "acquired");
	if (!remove && day != NULL && day[0] != '\0'
	    && (web_parse_date(c, day, &acquired) != FED_OK || acquired <= 0
	        || acquired > fed_clock_now_ms()))
		return web_tr(c->lang, WEB_S_BAD_ACQUIRED);
	Enfed__V1__Investment iv = ENFED__V1__INVESTMENT__INIT;
	iv.investor = c->session.investor;
	iv.project_id = (char *) project;
	iv.shares = (uint32_t) shares;
	iv.acquired_ms = acquired;
	Enfed__V1__PutInvestmentRequest put
	    = ENFED__V1__PUT_INVESTMENT_REQUEST__INIT;
	put.investment = &iv;
	Enfed__V1__RemoveInvestmentRequest rm
	    = ENFED__V1__REMOVE_INVESTMENT_REQUEST__INIT;
	rm.investor = c->session.investor;
	rm.project_id = (char *) project;
	ProtobufCMessage *rep = NULL;
	fed_status st
	    = web_backend_invest(c->app->o.backend, c->session.invest_token,
	        remove ? "RemoveInvestment" : "PutInvestment",
	        remove ? &rm.base : &put.base, &rep, msg, len);
	if (rep != NULL)
		protobuf_c_message_free_unpacked(rep, NULL);
	*status = web_http_status(st);
	return st == FED_OK ? NULL : msg;
}

void
web_page_settings(web_ctx *c)
{
	if (strcmp(c->req->method, "POST") != 0) {
		settings_page(c, NULL);
		return;
	}
	if (web_post_refused(c))
		return;
	char msg[512];
	uint16_t status = 200;
	const char *e = settings_post(c, msg, sizeof(msg), &status);
	if (e == NULL) {
		redirect_saved(c, "/settings");
		return;
	}
	settings_page(c, e);
	if (c->res->status == 200)
		c->res->status = status;
}

// --- The administrator's projects
// --------------------------------------------

static void
text_field(web_ctx *c, web_str label, const char *name, const char *value,
    int required)
{
	web_buf_printf(c->b, "<label>%s <input name=\"%s\" value=\"",
	    web_tr(c->lang, label), name);
	web_buf_html(c->b, value ? value : "");
	web_buf_printf(c->b, "\"%s></label>", required ? " required" : "");
}

static void
num_field(web_ctx *c, web_str label, const char *name, double v, int set)
{
	char t[64] = "";
	if (set)
		snprintf(t, sizeof(t), "%.15g", v);
	text_field(c, label, name, t, 1);
}

// The form, filled from p when not NULL; edit: update an existing one.
static void
project_form(web_ctx *c, const Enfed__V1__Project *p, int edit)
{
	const Enfed__V1__Project blank = ENFED__V1__PROJECT__INIT;
	int set = p != NULL;
	if (p == NULL)
		p = &blank;
	web_buf_printf(c->b,
	    "<h2>%s</h2><form method=\"post\" "
	    "class=\"project-form\" action=\"",
	    edit ? web_tr(c->lang, WEB_S_EDIT)
	         : web_tr(c->lang, WEB_S_NEW_PROJECT));
	web_put_href(c, "/admin/projects");
	web_buf_put(c->b, "\">");
	web_put_csrf(c);
	web_buf_printf(c->b,
	    "<input type=\"hidden\" name=\"mode\" value=\"%s\">",
	    edit ? "update" : "create");
	text_field(c, WEB_S_PROJECT, "id", p->id, 1);
	text_field(c, WEB_S_NAME, "name", p->name, 1);
	text_field(c, WEB_S_ORGANISATION, "organisation", p->organisation, 1);
	web_buf_printf(c->b, "<label>%s <select name=\"type\">",
	    web_tr(c->lang, WEB_S_TYPE));
	for (int t = 1; t <= 4; t++)
		web_buf_printf(c->b, "<option value=\"%d\"%s>%s</option>", t,
		    (int) p->type == t ? " selected" : "",
		    web_type_name(c->lang, t));
	web_buf_put(c->b, "</select></label>");
	text_field(c, WEB_S_LOCATION, "location", p->location, 0);
	num_field(c, WEB_S_PEAK, "peak_kw", p->peak_kw, set);
	num_field(
	    c, WEB_S_COST_EUR, "cost_eur", (double) p->cost_cents / 100, set);
	num_field(c, WEB_S_PRICE_EUR, "share_price_eur",
	    (double) p->share_price_cents / 100, set);
	num_field(c, WEB_S_PANEL_M2, "panel_m2", p->panel_m2, 1);
	char d[16] = "";
	if (p->commissioned_ms)
		web_fmt_isodate(
		    d, sizeof(d), c->app->o.tz, p->commissioned_ms);
	text_field(c, WEB_S_COMMISSIONED, "commissioned", d, 0);
	text_field(c, WEB_S_SERIES, "series_id", p->series_id, 0);
	text_field(c, WEB_S_NODE, "series_node", p->series_node, 0);
	text_field(c, WEB_S_URL, "url", p->url, 0);
	// Kept through an edit: archiving has its own button.
	if (p->archived)
		web_buf_put(c->b,
		    "<input type=\"hidden\" name=\"archived\" value=\"1\">");
	web_buf_printf(
	    c->b, "<button>%s</button></form>", web_tr(c->lang, WEB_S_SAVE));
}

// A small POST form of the projects page: mode, id, the CSRF token.
static void
mode_button(web_ctx *c, const char *mode, const char *id, web_str label)
{
	web_buf_put(c->b, "<form method=\"post\" class=\"inline\" action=\"");
	web_put_href(c, "/admin/projects");
	web_buf_put(c->b, "\">");
	web_put_csrf(c);
	web_buf_printf(c->b,
	    "<input type=\"hidden\" name=\"mode\" value=\"%s\">"
	    "<input type=\"hidden\" name=\"id\" value=\"",
	    mode);
	web_buf_html(c->b, id);
	web_buf_printf(
	    c->b, "\"><button>%s</button></form>", web_tr(c->lang, label));
}

static void
admin_list(web_ctx *c, const Enfed__V1__ListProjectsResponse *pl)
{
	projects_head(c, 1);
	for (size_t i = 0; i < pl->n_projects; i++) {
		const Enfed__V1__Project *p = pl->projects[i];
		project_facts(c, p);
		web_buf_put(c->b, "<td>");
		id_link(c, "/admin/projects", "edit", p->id, WEB_S_EDIT);
		web_buf_put(c->b, " ");
		mode_button(c, p->archived ? "unarchive" : "archive", p->id,
		    p->archived ? WEB_S_UNARCHIVE : WEB_S_ARCHIVE);
		web_buf_put(c->b, " ");
		id_link(c, "/admin/projects", "delete", p->id, WEB_S_DELETE);
		web_buf_put(c->b, "</td></tr>");
	}
	web_buf_put(c->b, "</tbody></table>");
}

static void
delete_confirm(web_ctx *c, const Enfed__V1__Project *p)
{
	web_buf_printf(c->b,
	    "<section class=\"confirm\"><h2>%s</h2><p><strong>",
	    web_tr(c->lang, WEB_S_DELETE_TITLE));
	web_buf_html(c->b, p->name);
	web_buf_put(c->b, "</strong> (");
	web_buf_html(c->b, p->id);
	web_buf_printf(
	    c->b, ")</p><p>%s</p>", web_tr(c->lang, WEB_S_DELETE_EXPLAIN));
	mode_button(c, "delete", p->id, WEB_S_DELETE);
	web_buf_put(c->b, " <a href=\"");
	web_put_href(c, "/admin/projects");
	web_buf_printf(
	    c->b, "\">%s</a></section>", web_tr(c->lang, WEB_S_CANCEL));
}

static void
admin_page(web_ctx *c, const char *error, const Enfed__V1__Project *posted,
    int edit_mode)
{
	char err[512];
	fed_status st;
	Enfed__V1__ListProjectsResponse *pl
	    = list_projects(c, NULL, err, sizeof(err), &st);
	if (st != FED_OK) {
		web_page_rpc_error(c, st, err);
		return;
	}
	const char *edit = web_params_get(&c->req->query, "edit");
	const char *del = web_params_get(&c->req->query, "delete");
	const Enfed__V1__Project *p = posted;
	if (p == NULL && del != NULL)
		edit = del;
	for (size_t i = 0; p == NULL && edit && i < pl->n_projects; i++)
		if (strcmp(pl->projects[i]->id, edit) == 0)
			p = pl->projects[i];
	if (edit != NULL && p == NULL) {
		web_page_error(c, 404, web_tr(c->lang, WEB_S_NO_SUCH_PROJECT));
	} else if (del != NULL && posted == NULL) {
		web_page_begin(c, WEB_S_ADMIN, NULL);
		delete_confirm(c, p);
		web_page_end(c);
	} else {
		web_page_begin(c, WEB_S_ADMIN, NULL);
		if (web_params_get(&c->req->query, "saved"))
			web_buf_printf(c->b, "<p class=\"ok\">%s</p>",
			    web_tr(c->lang, WEB_S_SAVED));
		web_put_error(c, error);
		admin_list(c, pl);
		project_form(c, p, posted ? edit_mode : p != NULL);
		web_page_end(c);
	}
	enfed__v1__list_projects_response__free_unpacked(pl, NULL);
}

// Fills p from the form (strings borrowed from it); NULL or the problem.
static const char *
read_project(web_ctx *c, Enfed__V1__Project *p)
{
	p->id = (char *) web_arg(c, "id");
	p->name = (char *) web_arg(c, "name");
	p->organisation = (char *) web_arg(c, "organisation");
	p->location = (char *) web_arg(c, "location");
	p->series_id = (char *) web_arg(c, "series_id");
	p->series_node = (char *) web_arg(c, "series_node");
	p->url = (char *) web_arg(c, "url");
	p->archived = web_arg(c, "archived") != NULL;
	if (!web_is_ident(p->id, 100, 0, 0))
		return web_tr(c->lang, WEB_S_BAD_ID);
	if (p->name == NULL || p->name[0] == '\0' || strlen(p->name) > 200)
		return web_tr(c->lang, WEB_S_BAD_NAME);
	if (p->organisation == NULL || p->organisation[0] == '\0')
		return web_tr(c->lang, WEB_S_BAD_ORGANISATION);
	int64_t type;
	if (web_parse_int(web_arg(c, "type"), 1, 4, &type) != FED_OK)
		return web_tr(c->lang, WEB_S_BAD_TYPE);
	p->type = (Enfed__V1__InstallationType) type;
	if (web_parse_double(web_arg(c, "peak_kw"), 0, 1e7, &p->peak_kw)
	    != FED_OK)
		return web_tr(c->lang, WEB_S_BAD_PEAK);
	if (web_parse_cents(
	        web_arg(c, "cost_eur"), INT64_C(100000000000), &p->cost_cents)
	        != FED_OK
	    || p->cost_cents <= 0)
		return web_tr(c->lang, WEB_S_BAD_COST);
	if (web_parse_cents(web_arg(c, "share_price_eur"),
	        INT64_C(100000000000), &p->share_price_cents)
	        != FED_OK
	    || p->share_price_cents <= 0)
		return web_tr(c->lang, WEB_S_BAD_PRICE);
	if (web_parse_double(web_arg(c, "panel_m2"), 0, 1e8, &p->panel_m2)
	    != FED_OK)
		return web_tr(c->lang, WEB_S_BAD_PANEL);
	const char *d = web_arg(c, "commissioned");
	if (d != NULL && d[0]
	    && web_parse_date(c, d, &p->commissioned_ms) != FED_OK)
		return web_tr(c->lang, WEB_S_BAD_COMMISSIONED);
	if (p->url && p->url[0] && strncmp(p->url, "https://", 8) != 0
	    && strncmp(p->url, "http://", 7) != 0)
		return web_tr(c->lang, WEB_S_BAD_URL);
	if (p->series_id && p->series_id[0]
	    && !web_is_ident(p->series_id, 200, 1, 0))
		return web_tr(c->lang, WEB_S_BAD_SERIES_ID);
	return NULL;
}

// Archive, unarchive (the project as stored, its flag changed) or delete
// (fed-invest refuses a project still held: 409 with its message).
static void
admin_state_post(web_ctx *c, const char *mode)
{
	const char *id = web_arg(c, "id");
	char err[512] = "";
	if (!web_is_ident(id, 100, 0, 0)) {
		admin_page(c, "id: a project of the list", NULL, 0);
		c->res->status = 400;
		return;
	}
	Enfed__V1__ProjectRequest pr = ENFED__V1__PROJECT_REQUEST__INIT;
	pr.id = (char *) id;
	ProtobufCMessage *rep = NULL;
	fed_status st;
	if (strcmp(mode, "delete") == 0) {
		st = web_backend_invest(c->app->o.backend, NULL,
		    "DeleteProject", &pr.base, &rep, err, sizeof(err));
	} else {
		Enfed__V1__Project *p = NULL;
		st = web_backend_invest(c->app->o.backend, NULL, "GetProject",
		    &pr.base, (ProtobufCMessage **) &p, err, sizeof(err));
		if (st == FED_OK) {
			p->archived = strcmp(mode, "archive") == 0;
			Enfed__V1__PutProjectRequest rq
			    = ENFED__V1__PUT_PROJECT_REQUEST__INIT;
			rq.project = p;
			st = web_backend_invest(c->app->o.backend, NULL,
			    "UpdateProject", &rq.base, &rep, err, sizeof(err));
		}
		if (p != NULL)
			enfed__v1__project__free_unpacked(p, NULL);
	}
	if (rep != NULL)
		protobuf_c_message_free_unpacked(rep, NULL);
	if (st == FED_OK) {
		redirect_saved(c, "/admin/projects");
		return;
	}
	admin_page(c, err, NULL, 0);
	if (c->res->status == 200)
		c->res->status = web_http_status(st);
}

void
web_page_admin(web_ctx *c)
{
	if (strcmp(c->req->method, "POST") != 0) {
		admin_page(c, NULL, NULL, 0);
		return;
	}
	if (web_post_refused(c))
		return;
	const char *mode = web_arg(c, "mode");
	if (mode != NULL
	    && (strcmp(mode, "archive") == 0 || strcmp(mode, "unarchive") == 0
	        || strcmp(mode, "delete") == 0)) {
		admin_state_post(c, mode);
		return;
	}
	Enfed__V1__Project p = ENFED__V1__PROJECT__INIT;
	const char *bad = read_project(c, &p);
	char err[512] = "";
	fed_status st = FED_INVALID_ARGUMENT;
	if (bad == NULL) {
		Enfed__V1__PutProjectRequest rq
		    = ENFED__V1__PUT_PROJECT_REQUEST__INIT;
		rq.project = &p;
		Enfed__V1__Project *rep = NULL;
		st = web_backend_invest(c->app->o.backend, NULL,
		    mode && strcmp(mode, "update") == 0 ? "UpdateProject"
		                                        : "CreateProject",
		    &rq.base, (ProtobufCMessage **) &rep, err, sizeof(err));
		if (rep)
			enfed__v1__project__free_unpacked(rep, NULL);
		bad = err;
	}
	if (st == FED_OK) {
		redirect_saved(c, "/admin/projects");
		return;
	}
	admin_page(c, bad, &p, mode && strcmp(mode, "update") == 0);
	if (c->res->status == 200)
		c->res->status = web_http_status(st);
}
