// SPDX-License-Identifier: MIT
//
// web_page_consent.c: a household's consent, /consent ("Mes partages").
//
// GET lists every grant on the household's series, as its owner
// credentials show them (the node lists only the grants on their
// series): the grantee (its organisation from the federation's
// directory), series, scopes, finest step, data range, expiry, when the
// grantee last received points, its state, and links to revoke it (a
// confirmation page first) and to its access log (web_page_grant.c).
// Below, a form that grants the household's daily totals to a member of
// the federation chosen from the directory: finest step DAY and scope
// query always, live replication if asked. When the directory does not
// answer the page says so and the form is disabled.
//
// POST creates that grant with the owner credential that shows the chosen
// series, after checking every field: the series among the household's
// own (or the prefix of one of its sites), the grantee an available
// member other than the household's node, the dates, and that no active
// grant of the same daily totals to the same grantee exists already (so
// that posting the form twice makes one grant). The node checks the
// series against the token's prefixes again. The grant's token is shown
// once on the answer, which is not cached; fed-web keeps no copy.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enfed/v1/directory.pb-c.h"
#include "enfed/v1/grant.pb-c.h"
#include "fed/clock.h"
#include "fed/log.h"
#include "web_access.h"
#include "web_pages_internal.h"

#define MAX_CHOICES 200

// What the page shows: the household's owner credentials, their grants
// and the directory's members (NULL when it did not answer).
struct consent {
	web_where owners[WEB_MAX_CREDS];
	size_t n_owners;
	Enfed__V1__ListGrantsResponse *grants[WEB_MAX_CREDS];
	Enfed__V1__LookupResponse *members;
};

static void
consent_fini(struct consent *k)
{
	for (size_t i = 0; i < k->n_owners; i++)
		if (k->grants[i] != NULL)
			enfed__v1__list_grants_response__free_unpacked(
			    k->grants[i], NULL);
	if (k->members != NULL)
		enfed__v1__lookup_response__free_unpacked(k->members, NULL);
	memset(k, 0, sizeof(*k));
}

// The directory's members; NULL when it does not answer.
static Enfed__V1__LookupResponse *
members(web_ctx *c)
{
	Enfed__V1__ListNodesRequest rq = ENFED__V1__LIST_NODES_REQUEST__INIT;
	Enfed__V1__LookupResponse *r = NULL;
	char err[256];
	fed_status st = web_backend_directory(c->app->o.backend, "List",
	    &rq.base, (ProtobufCMessage **) &r, err, sizeof(err));
	if (st != FED_OK)
		fed_log(FED_LOG_NOTICE, "web", "directory: %s", err);
	return st == FED_OK ? r : NULL;
}

static fed_status
consent_load(web_ctx *c, struct consent *k, char *err, size_t len)
{
	memset(k, 0, sizeof(*k));
	size_t n = web_access_owners(
	    c->app->o.backend, &c->session, k->owners, WEB_MAX_CREDS);
	k->n_owners = n < WEB_MAX_CREDS ? n : WEB_MAX_CREDS;
	for (size_t i = 0; i < k->n_owners; i++)
		FED_TRY(web_grants_list(
		    c, &k->owners[i], &k->grants[i], err, len));
	k->members = members(c);
	return FED_OK;
}

static const Enfed__V1__NodeRecord *
member(const Enfed__V1__LookupResponse *m, const char *name)
{
	for (size_t i = 0; m != NULL && i < m->n_nodes; i++)
		if (strcmp(m->nodes[i]->name, name) == 0)
			return m->nodes[i];
	return NULL;
}

static const char *
owner_node(const web_ctx *c, const web_where *w)
{
	return web_backend_node_name(c->app->o.backend, w->node);
}

// --- The grants ----------------------------------------------------------

static void
grantee_cell(web_ctx *c, const struct consent *k, const char *name)
{
	const Enfed__V1__NodeRecord *m = member(k->members, name);
	web_buf_printf(c->b, "<td class=\"grantee\" data-label=\"%s\">",
	    web_tr(c->lang, WEB_S_GRANTEE));
	if (m != NULL && m->organisation[0] != '\0') {
		web_buf_put(c->b, "<strong>");
		web_buf_html(c->b, m->organisation);
		web_buf_put(c->b, "</strong> ");
	}
	web_buf_put(c->b, "<small>(");
	web_buf_html(c->b, name);
	web_buf_put(c->b, ")</small></td>");
}

static void
grant_row(web_ctx *c, const struct consent *k, const web_where *w,
    const Enfed__V1__Grant *g, int64_t now)
{
	const char *node = owner_node(c, w);
	web_buf_put(c->b, "<tr data-grant=\"");
	web_buf_html(c->b, g->id);
	web_buf_put(c->b, "\" data-node=\"");
	web_buf_html(c->b, node);
	web_buf_put(c->b, "\">");
	grantee_cell(c, k, g->grantee_node);
	web_put_grant_cells(c, g, now);
	web_buf_put(c->b, "<td class=\"actions\">");
	if (web_grant_active(g, now)) {
		web_buf_put(c->b, "<a class=\"revoke\" href=\"");
		web_put_grant_href(c, "/consent/revoke", node, g->id);
		web_buf_printf(
		    c->b, "\">%s</a> · ", web_tr(c->lang, WEB_S_REVOKE));
	}
	web_buf_put(c->b, "<a class=\"log\" href=\"");
	web_put_grant_href(c, "/consent/log", node, g->id);
	web_buf_printf(
	    c->b, "\">%s</a></td></tr>", web_tr(c->lang, WEB_S_ACCESS_LOG));
}

static void
grants_table(web_ctx *c, const struct consent *k)
{
	size_t n = 0;
	for (size_t i = 0; i < k->n_owners; i++)
		n += k->grants[i]->n_grants;
	if (n == 0) {
		web_buf_printf(c->b, "<p class=\"none\">%s</p>",
		    web_tr(c->lang, WEB_S_NO_GRANT));
		return;
	}
	web_buf_printf(c->b,
	    "<table class=\"grants cards\"><thead><tr><th>%s</th><th>%s</th>"
	    "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	    "<th>%s</th><th></th></tr></thead><tbody>",
	    web_tr(c->lang, WEB_S_GRANTEE), web_tr(c->lang, WEB_S_SERIES),
	    web_tr(c->lang, WEB_S_SCOPES), web_tr(c->lang, WEB_S_FINEST),
	    web_tr(c->lang, WEB_S_DATA_RANGE), web_tr(c->lang, WEB_S_EXPIRES),
	    web_tr(c->lang, WEB_S_LAST_REPLICATED),
	    web_tr(c->lang, WEB_S_STATE));
	int64_t now = fed_clock_now_ms();
	for (size_t i = 0; i < k->n_owners; i++)
		for (size_t j = 0; j < k->grants[i]->n_grants; j++)
			grant_row(
			    c, k, &k->owners[i], k->grants[i]->grants[j], now);
	web_buf_put(c->b, "</tbody></table>");
}

// --- What may be granted, to whom ------------------------------------------

// The series an owner credential may grant: each series it shows, and
// before them the prefix of each of their sites ("maison-lorient/").
struct choices {
	char *v[MAX_CHOICES]; // heap strings
	size_t n;
};

static void
choices_fini(struct choices *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		free(ch->v[i]);
	ch->n = 0;
}

static int
has_choice(const struct choices *ch, const char *s)
{
	for (size_t i = 0; i < ch->n; i++)
		if (strcmp(ch->v[i], s) == 0)
			return 1;
	return 0;
}

static void
add_choice(struct choices *ch, const char *s, size_t len)
{
	if (ch->n == MAX_CHOICES)
		return;
	char *v = strndup(s, len);
	if (v != NULL && !has_choice(ch, v))
		ch->v[ch->n++] = v;
	else
		free(v);
}

static fed_status
load_choices(web_ctx *c, const web_where *w, struct choices *ch)
{
	Enfed__V1__ListSeriesRequest rq = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	Enfed__V1__ListSeriesResponse *r = NULL;
	char err[256];
	memset(ch, 0, sizeof(*ch));
	FED_TRY(web_access_store(c->app->o.backend, w, "ListSeries", &rq.base,
	    (ProtobufCMessage **) &r, err, sizeof(err)));
	for (size_t i = 0; i < r->n_series; i++) {
		const char *id = r->series[i]->meta->id;
		const char *slash = strchr(id, '/');
		if (slash != NULL)
			add_choice(ch, id, (size_t) (slash + 1 - id));
	}
	for (size_t i = 0; i < r->n_series; i++)
		add_choice(ch, r->series[i]->meta->id, 200);
	enfed__v1__list_series_response__free_unpacked(r, NULL);
	return FED_OK;
}

// 1 when member m may receive a grant of the household's node `own`.
static int
may_receive(const Enfed__V1__NodeRecord *m, const char *own)
{
	return m != NULL && m->available && strcmp(m->name, own) != 0;
}

// 1 when grantee is a member that may receive grants of every owner node.
static int
grantee_ok(const web_ctx *c, const struct consent *k, const char *grantee)
{
	const Enfed__V1__NodeRecord *m = member(k->members, grantee);
	for (size_t i = 0; i < k->n_owners; i++)
		if (!may_receive(m, owner_node(c, &k->owners[i])))
			return 0;
	return m != NULL;
}

// --- The form ---------------------------------------------------------------

static void
series_select(web_ctx *c, const struct consent *k)
{
	web_buf_printf(c->b, "<label>%s <select name=\"series\" required>",
	    web_tr(c->lang, WEB_S_SERIES));
	for (size_t i = 0; i < k->n_owners; i++) {
		struct choices ch;
		if (load_choices(c, &k->owners[i], &ch) != FED_OK)
			continue;
		const char *node = owner_node(c, &k->owners[i]);
		for (size_t j = 0; j < ch.n; j++) {
			size_t l = strlen(ch.v[j]);
			web_buf_put(c->b, "<option value=\"");
			web_buf_html(c->b, node);
			web_buf_put(c->b, ":");
			web_buf_html(c->b, ch.v[j]);
			web_buf_put(c->b, "\">");
			if (ch.v[j][l - 1] == '/') // a site: all of its series
				web_buf_printf(c->b, "%s ",
				    web_tr(c->lang, WEB_S_ALL_OF));
			web_buf_html(c->b, ch.v[j]);
			web_buf_put(c->b, "</option>");
		}
		choices_fini(&ch);
	}
	web_buf_put(c->b, "</select></label>");
}

// How many members may receive the household's grants.
static size_t
n_grantees(const web_ctx *c, const struct consent *k)
{
	size_t n = 0;
	for (size_t i = 0; k->members != NULL && i < k->members->n_nodes; i++)
		n += grantee_ok(c, k, k->members->nodes[i]->name);
	return n;
}

static void
grantee_select(web_ctx *c, const struct consent *k)
{
	web_buf_printf(c->b, "<label>%s <select name=\"grantee\" required>",
	    web_tr(c->lang, WEB_S_GRANTEE));
	for (size_t i = 0; k->members != NULL && i < k->members->n_nodes;
	     i++) {
		const Enfed__V1__NodeRecord *m = k->members->nodes[i];
		if (!grantee_ok(c, k, m->name))
			continue;
		web_buf_put(c->b, "<option value=\"");
		web_buf_html(c->b, m->name);
		web_buf_put(c->b, "\">");
		web_buf_html(c->b, m->organisation);
		web_buf_put(c->b, " (");
		web_buf_html(c->b, m->name);
		web_buf_put(c->b, ")</option>");
	}
	web_buf_put(c->b, "</select></label>");
}

static void
date_field(web_ctx *c, const char *name, web_str label)
{
	web_buf_printf(c->b,
	    "<label>%s <input name=\"%s\" inputmode=\"numeric\" "
	    "pattern=\"[0-9]{4}-[0-9]{2}-[0-9]{2}\" value=\"",
	    web_tr(c->lang, label), name);
	const char *v = strcmp(c->req->method, "POST") == 0
	    ? web_params_get(&c->req->form, name)
	    : NULL;
	web_buf_html(c->b, v ? v : "");
	web_buf_put(c->b, "\"></label>");
}

// The form; disabled (with why) when no member may receive a grant.
static void
new_grant_form(web_ctx *c, const struct consent *k)
{
	size_t n = n_grantees(c, k);
	web_buf_printf(c->b,
	    "<section class=\"new-grant\"><h2>%s</h2><p>%s</p>",
	    web_tr(c->lang, WEB_S_NEW_GRANT),
	    web_tr(c->lang, WEB_S_NEW_GRANT_EXPLAIN));
	if (k->members == NULL)
		web_put_error(c, web_tr(c->lang, WEB_S_DIRECTORY_DOWN));
	else if (n == 0)
		web_put_error(c, web_tr(c->lang, WEB_S_NO_MEMBER));
	web_buf_put(c->b, "<form method=\"post\" action=\"");
	web_put_href(c, "/consent");
	web_buf_printf(c->b, "\" class=\"grant\"><fieldset%s>",
	    n == 0 ? " disabled" : "");
	web_put_csrf(c);
	series_select(c, k);
	grantee_select(c, k);
	date_field(c, "from", WEB_S_DATA_FROM);
	date_field(c, "expires", WEB_S_EXPIRES_ON);
	web_buf_printf(c->b,
	    "<label><input type=\"checkbox\" name=\"live\" value=\"1\" "
	    "checked> %s</label> <button type=\"submit\" name=\"action\" "
	    "value=\"create\">%s</button></fieldset></form></section>",
	    web_tr(c->lang, WEB_S_WITH_LIVE),
	    web_tr(c->lang, WEB_S_CREATE_GRANT));
}

// --- The page
// -----------------------------------------------------------------

static void
consent_page(web_ctx *c, const char *error)
{
	struct consent k;
	char err[512];
	fed_status st = consent_load(c, &k, err, sizeof(err));
	if (st != FED_OK) {
		web_page_rpc_error(c, st, err);
		consent_fini(&k);
		return;
	}
	web_page_begin(c, WEB_S_CONSENT, NULL);
	web_buf_printf(c->b, "<p class=\"intro\">%s</p>",
	    web_tr(c->lang, WEB_S_CONSENT_INTRO));
	if (web_params_get(&c->req->query, "revoked"))
		web_buf_printf(c->b, "<p class=\"ok\">%s</p>",
		    web_tr(c->lang, WEB_S_REVOKED_OK));
	web_put_error(c, error);
	grants_table(c, &k);
	new_grant_form(c, &k);
	web_page_end(c);
	consent_fini(&k);
}

// --- Creating a grant -----------------------------------------------------

// A checked request for a new grant.
struct request {
	char node[WEB_NODE_NAME_MAX + 1];
	const char *series; // borrowed from the form
	const char *grantee;
	int64_t from_ms; // 0: all the data
	int64_t expires_ms; // 0: never
	int live;
	web_where w; // the owner credential that shows the series
};

// "NODE:SERIES" into r->node and r->series; 0 when malformed.
static int
split_choice(const char *v, struct request *r)
{
	const char *colon = v ? strchr(v, ':') : NULL;
	size_t nl = colon ? (size_t) (colon - v) : 0;
	if (nl == 0 || nl > WEB_NODE_NAME_MAX)
		return 0;
	memcpy(r->node, v, nl);
	r->node[nl] = '\0';
	r->series = colon + 1;
	return web_is_ident(r->node, WEB_NODE_NAME_MAX, 0, 0)
	    && web_is_ident(r->series, 200, 1, 0);
}

// The owner credential on r->node that may grant r->series, in r->w.
static int
find_owner(web_ctx *c, const struct consent *k, struct request *r)
{
	for (size_t i = 0; i < k->n_owners; i++) {
		if (strcmp(owner_node(c, &k->owners[i]), r->node) != 0)
			continue;
		struct choices ch;
		if (load_choices(c, &k->owners[i], &ch) != FED_OK)
			continue;
		int ok = has_choice(&ch, r->series);
		choices_fini(&ch);
		if (ok) {
			r->w = k->owners[i];
			return 1;
		}
	}
	return 0;
}

// The two dates of the form: the first local day of data, and the local
// day after the last day of the grant.
static const char *
parse_dates(web_ctx *c, struct request *r)
{
	const fed_tz *tz = c->app->o.tz;
	const char *from = web_arg(c, "from"), *exp = web_arg(c, "expires");
	int64_t t;
	if (from != NULL && from[0] != '\0') {
		if (web_parse_date(c, from, &t) != FED_OK)
			return web_tr(c->lang, WEB_S_BAD_FROM);
		r->from_ms = fed_tz_floor(tz, t, FED_TZ_DAY);
	}
	if (exp != NULL && exp[0] != '\0') {
		if (web_parse_date(c, exp, &t) != FED_OK)
			return web_tr(c->lang, WEB_S_BAD_EXPIRES);
		r->expires_ms = fed_tz_next(
		    tz, fed_tz_floor(tz, t, FED_TZ_DAY), FED_TZ_DAY);
		if (r->expires_ms <= fed_clock_now_ms())
			return web_tr(c->lang, WEB_S_BAD_EXPIRES);
	}
	return NULL;
}

// Checks the form against what the household may grant; NULL or why not
// (*status set).
static const char *
check_request(
    web_ctx *c, const struct consent *k, struct request *r, uint16_t *status)
{
	memset(r, 0, sizeof(*r));
	*status = 400;
	const char *live = web_arg(c, "live");
	r->live = live != NULL && strcmp(live, "1") == 0;
	r->grantee = web_arg(c, "grantee");
	if (!split_choice(web_arg(c, "series"), r) || !find_owner(c, k, r))
		return web_tr(c->lang, WEB_S_BAD_SERIES);
	if (k->members == NULL) {
		*status = 503;
		return web_tr(c->lang, WEB_S_DIRECTORY_DOWN);
	}
	if (r->grantee == NULL || !grantee_ok(c, k, r->grantee))
		return web_tr(c->lang, WEB_S_BAD_GRANTEE);
	return parse_dates(c, r);
}

// 1 when an active grant of the same daily totals to the same grantee
// exists already among those the owner credential lists.
static int
exists_already(const struct consent *k, const struct request *r)
{
	int64_t now = fed_clock_now_ms();
	for (size_t i = 0; i < k->n_owners; i++) {
		if (k->owners[i].cred != r->w.cred)
			continue;
		for (size_t j = 0; j < k->grants[i]->n_grants; j++) {
			const Enfed__V1__Grant *g = k->grants[i]->grants[j];
			if (web_grant_active(g, now)
			    && g->finest_step == ENFED__V1__STEP__STEP_DAY
			    && strcmp(g->series, r->series) == 0
			    && strcmp(g->grantee_node, r->grantee) == 0)
				return 1;
		}
	}
	return 0;
}

static fed_status
create(web_ctx *c, const struct request *r,
    Enfed__V1__CreateGrantResponse **out, char *err, size_t len)
{
	Enfed__V1__Scope scopes[2]
	    = {ENFED__V1__SCOPE__SCOPE_QUERY, ENFED__V1__SCOPE__SCOPE_LIVE};
	Enfed__V1__TimeRange range = ENFED__V1__TIME_RANGE__INIT;
	range.from_ms = r->from_ms;
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.series = (char *) r->series;
	g.grantee_node = (char *) r->grantee;
	g.scopes = scopes;
	g.n_scopes = r->live ? 2 : 1;
	g.finest_step = ENFED__V1__STEP__STEP_DAY;
	g.data_range = r->from_ms != 0 ? &range : NULL;
	g.expires_ms = r->expires_ms;
	Enfed__V1__CreateGrantRequest rq
	    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
	rq.grant = &g;
	return web_access_grants(c->app->o.backend, &r->w, "Create", &rq.base,
	    (ProtobufCMessage **) out, err, len);
}

// The answer to a new grant: what was made, and its token, once.
static void
created_page(web_ctx *c, const struct consent *k,
    const Enfed__V1__CreateGrantResponse *rep)
{
	web_page_begin(c, WEB_S_GRANT_CREATED, NULL);
	web_buf_printf(
	    c->b, "<table class=\"grants cards\"><tbody><tr data-grant=\"");
	web_buf_html(c->b, rep->grant->id);
	web_buf_put(c->b, "\">");
	grantee_cell(c, k, rep->grant->grantee_node);
	web_put_grant_cells(c, rep->grant, fed_clock_now_ms());
	web_buf_printf(c->b,
	    "</tr></tbody></table><section class=\"grant-token\"><h2>%s"
	    "</h2><p><code id=\"grant-token\">",
	    web_tr(c->lang, WEB_S_GRANT_TOKEN));
	web_buf_html(c->b, rep->token);
	web_buf_printf(c->b, "</code></p><p>%s</p></section><p><a href=\"",
	    web_tr(c->lang, WEB_S_GRANT_TOKEN_EXPLAIN));
	web_put_href(c, "/consent");
	web_buf_printf(c->b, "\">%s</a></p>", web_tr(c->lang, WEB_S_BACK));
	web_page_end(c);
}

static void
consent_post(web_ctx *c)
{
	struct consent k;
	struct request r;
	char err[512];
	uint16_t status = 400;
	fed_status st = consent_load(c, &k, err, sizeof(err));
	const char *why
	    = st == FED_OK ? check_request(c, &k, &r, &status) : NULL;
	if (st == FED_OK && why == NULL && exists_already(&k, &r)) {
		why = web_tr(c->lang, WEB_S_GRANT_EXISTS);
		status = 409;
	}
	Enfed__V1__CreateGrantResponse *rep = NULL;
	if (st == FED_OK && why == NULL
	    && (st = create(c, &r, &rep, err, sizeof(err))) != FED_OK
	    && web_http_status(st) != 503) {
		// The node's refusal (an overlapping live grant...): the
		// form again, with its words.
		why = err;
		status = web_http_status(st);
		st = FED_OK;
	}
	if (st != FED_OK)
		web_page_rpc_error(c, st, err);
	else if (why == NULL)
		created_page(c, &k, rep);
	consent_fini(&k);
	if (rep != NULL)
		enfed__v1__create_grant_response__free_unpacked(rep, NULL);
	if (st == FED_OK && why != NULL) {
		consent_page(c, why);
		c->res->status = status;
	}
}

void
web_page_consent(web_ctx *c)
{
	if (strcmp(c->req->method, "POST") != 0) {
		consent_page(c, NULL);
		return;
	}
	if (web_post_refused(c))
		return;
	const char *action = web_arg(c, "action");
	if (action == NULL || strcmp(action, "create") != 0) {
		web_page_error(c, 400, web_tr(c->lang, WEB_S_BAD_ACTION));
		return;
	}
	consent_post(c);
}
