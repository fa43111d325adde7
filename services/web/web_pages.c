// SPDX-License-Identifier: MIT
//
// web_pages.c: fed-web's routes, access rules, page layout, login and
// logout, and the helpers the page modules share.

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/clock.h"
#include "fed/log.h"
#include "web_pages_internal.h"

#define COOKIE "fed_session"

enum need {
	NEED_NONE,
	NEED_SESSION,
	NEED_INVESTOR, // an investor id: role investor, or a household's
	NEED_HOUSEHOLD,
	NEED_ADMIN,
};

struct route {
	const char *path;
	int post; // also answers POST
	enum need need;
	void (*fn)(web_ctx *c);
};

static void page_login(web_ctx *c);
static void page_logout(web_ctx *c);
static void page_root(web_ctx *c);
static void page_css(web_ctx *c);
static void page_js(web_ctx *c);
static void page_health(web_ctx *c);

static const struct route routes[] = {
    {"/", 0, NEED_NONE, page_root},
    {"/login", 1, NEED_NONE, page_login},
    {"/logout", 1, NEED_SESSION, page_logout},
    {"/dashboard", 0, NEED_INVESTOR, web_page_dashboard},
    {"/production", 0, NEED_INVESTOR, web_page_production},
    {"/distribution", 0, NEED_INVESTOR, web_page_distribution},
    {"/self-consumption", 0, NEED_INVESTOR, web_page_self},
    {"/settings", 1, NEED_INVESTOR, web_page_settings},
    {"/admin/projects", 1, NEED_ADMIN, web_page_admin},
    {"/consent", 1, NEED_HOUSEHOLD, web_page_consent},
    {"/consent/revoke", 1, NEED_HOUSEHOLD, web_page_consent_revoke},
    {"/consent/log", 0, NEED_HOUSEHOLD, web_page_consent_log},
    {"/curves", 1, NEED_SESSION, web_page_curves},
    {"/live", 0, NEED_SESSION, web_page_live},
    {"/alarms", 1, NEED_SESSION, web_page_alarms},
    {"/api/live", 0, NEED_SESSION, web_api_live},
    {"/static/app.css", 0, NEED_NONE, page_css},
    {"/static/app.js", 0, NEED_NONE, page_js},
    {"/static/curves.js", 0, NEED_NONE, web_page_curves_js},
    {"/healthz", 0, NEED_NONE, page_health},
};

fed_status
web_app_new(const web_app_opts *opts, web_app **out)
{
	struct web_app *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return FED_RESOURCE_EXHAUSTED;
	a->o = *opts;
	*out = a;
	return FED_OK;
}

void
web_app_free(web_app *app)
{
	free(app);
}

const char *
web_arg(const web_ctx *c, const char *name)
{
	const char *v = web_params_get(&c->req->form, name);
	return v ? v : web_params_get(&c->req->query, name);
}

// --- Layout ---------------------------------------------------------------

void
web_put_href(web_ctx *c, const char *path)
{
	web_buf_html(c->b, path);
	if (c->lang == WEB_LANG_EN)
		web_buf_put(
		    c->b, strchr(path, '?') ? "&amp;lang=en" : "?lang=en");
}

static void
nav_link(web_ctx *c, const char *path, web_str label)
{
	int here = strcmp(c->req->path, path) == 0;
	web_buf_put(c->b, "<a href=\"");
	web_put_href(c, path);
	web_buf_printf(c->b, "\"%s>", here ? " aria-current=\"page\"" : "");
	web_buf_html(c->b, web_tr(c->lang, label));
	web_buf_put(c->b, "</a> ");
}

static void
lang_switch(web_ctx *c)
{
	web_buf *b = c->b;
	web_lang other = c->lang == WEB_LANG_EN ? WEB_LANG_FR : WEB_LANG_EN;
	web_buf_put(b, "<a class=\"lang\" href=\"");
	web_buf_html(b, c->req->path);
	web_buf_put(b, "?");
	for (size_t i = 0; i < c->req->query.n; i++) {
		const web_param *p = &c->req->query.items[i];
		if (strcmp(p->key, "lang") == 0)
			continue;
		web_buf_url(b, p->key);
		web_buf_put(b, "=");
		web_buf_url(b, p->value);
		web_buf_put(b, "&amp;");
	}
	web_buf_printf(b, "lang=%s\">%s</a>", web_lang_code(other),
	    other == WEB_LANG_EN ? "English" : "Français");
}

static int
invests(const web_ctx *c)
{
	return c->logged_in && c->session.investor[0] != '\0';
}

static void
nav(web_ctx *c)
{
	web_buf_put(c->b, "<nav>");
	if (invests(c)) {
		nav_link(c, "/dashboard", WEB_S_DASHBOARD);
		nav_link(c, "/production", WEB_S_PRODUCTION);
		nav_link(c, "/distribution", WEB_S_DISTRIBUTION);
		nav_link(c, "/settings", WEB_S_SETTINGS);
	}
	if (c->logged_in && c->session.role == WEB_ROLE_HOUSEHOLD)
		nav_link(c, "/consent", WEB_S_CONSENT);
	if (c->logged_in && c->session.role == WEB_ROLE_ADMIN)
		nav_link(c, "/admin/projects", WEB_S_ADMIN);
	if (c->logged_in) {
		nav_link(c, "/curves", WEB_S_CURVES);
		nav_link(c, "/alarms", WEB_S_ALARMS);
	}
	lang_switch(c);
	if (c->logged_in) {
		web_buf_put(c->b,
		    "<form class=\"logout\" method=\"post\" "
		    "action=\"/logout\">");
		web_put_csrf(c);
		web_buf_put(c->b, "<span class=\"user\">");
		web_buf_html(c->b, c->session.user);
		web_buf_put(c->b, "</span> <button type=\"submit\">");
		web_buf_html(c->b, web_tr(c->lang, WEB_S_LOGOUT));
		web_buf_put(c->b, "</button></form>");
	}
	web_buf_put(c->b, "</nav>");
}

void
web_page_begin(web_ctx *c, web_str title, const char *h1)
{
	web_buf *b = c->b;
	web_buf_printf(b,
	    "<!DOCTYPE html>\n<html lang=\"%s\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">"
	    "<title>",
	    web_lang_code(c->lang));
	web_buf_html(b, h1 ? h1 : web_tr(c->lang, title));
	web_buf_put(b, " — ");
	web_buf_html(b, web_tr(c->lang, WEB_S_APP));
	web_buf_put(b,
	    "</title><link rel=\"stylesheet\" "
	    "href=\"/static/app.css\"><script "
	    "src=\"/static/app.js\" defer></script></head><body>");
	nav(c);
	web_buf_put(b, "<main><h1>");
	web_buf_html(b, h1 ? h1 : web_tr(c->lang, title));
	web_buf_put(b, "</h1>");
}

void
web_page_end(web_ctx *c)
{
	web_buf_put(c->b, "</main></body></html>\n");
}

void
web_put_error(web_ctx *c, const char *msg)
{
	if (msg == NULL || msg[0] == '\0')
		return;
	web_buf_put(c->b, "<p class=\"error\" role=\"alert\">");
	web_buf_html(c->b, msg);
	web_buf_put(c->b, "</p>");
}

void
web_page_error(web_ctx *c, uint16_t status, const char *msg)
{
	web_buf_fini(c->b);
	c->res->status = status;
	c->res->type = "text/html; charset=utf-8";
	web_page_begin(c, WEB_S_ERROR, NULL);
	web_put_error(c, msg);
	web_page_end(c);
}

uint16_t
web_http_status(fed_status st)
{
	switch (st) {
	case FED_INVALID_ARGUMENT:
	case FED_OUT_OF_RANGE:
		return 400;
	case FED_UNAUTHENTICATED:
	case FED_PERMISSION_DENIED:
		return 403;
	case FED_NOT_FOUND:
		return 404;
	case FED_ALREADY_EXISTS:
	case FED_FAILED_PRECONDITION:
	case FED_ABORTED:
		return 409;
	case FED_UNAVAILABLE:
	case FED_DEADLINE_EXCEEDED:
	case FED_RESOURCE_EXHAUSTED:
		return 503;
	default:
		return 500;
	}
}

// The page's words for what went wrong, then the service's own message as
// it wrote it, marked as English (the services speak English only).
void
web_page_rpc_error(web_ctx *c, fed_status st, const char *err)
{
	uint16_t status = web_http_status(st);
	web_str head = status == 503 ? WEB_S_UNAVAILABLE
	    : status == 403          ? WEB_S_FORBIDDEN
	    : status == 404          ? WEB_S_NOT_FOUND
	    : status == 409          ? WEB_S_CONFLICT
	    : status == 400          ? WEB_S_BAD_REQUEST
	                             : WEB_S_ERROR;
	web_buf_fini(c->b);
	c->res->status = status;
	c->res->type = "text/html; charset=utf-8";
	web_page_begin(c, WEB_S_ERROR, NULL);
	web_put_error(c, web_tr(c->lang, head));
	if (err != NULL && err[0] != '\0') {
		web_buf_put(c->b, "<p class=\"detail\" lang=\"en\">");
		web_buf_html(c->b, err);
		web_buf_put(c->b, "</p>");
	}
	web_page_end(c);
}

void
web_put_csrf(web_ctx *c)
{
	web_buf_put(c->b, "<input type=\"hidden\" name=\"csrf\" value=\"");
	web_buf_html(c->b, c->session.csrf);
	web_buf_put(c->b, "\">");
}

int
web_csrf_ok(const web_ctx *c)
{
	return c->logged_in
	    && web_auth_csrf_ok(
	        &c->session, web_params_get(&c->req->form, "csrf"));
}

int
web_post_refused(web_ctx *c)
{
	if (strcmp(c->req->method, "POST") != 0 || web_csrf_ok(c))
		return 0;
	web_page_error(c, 403, web_tr(c->lang, WEB_S_CSRF_STALE));
	return 1;
}

void
web_put_energy(web_ctx *c, double wh, double coverage)
{
	char t[WEB_FMT_LEN];
	web_fmt_energy(t, sizeof(t), c->lang, wh);
	int inc = coverage < 0.999;
	web_buf_printf(c->b,
	    "<span class=\"wh%s\" data-wh=\"%.17g\" "
	    "data-coverage=\"%.17g\">%s",
	    inc ? " incomplete" : "", wh, coverage, t);
	if (inc)
		web_buf_printf(c->b,
		    " <abbr class=\"mark\" title=\"%s (%.0f %%)\">*</abbr>",
		    web_tr(c->lang, WEB_S_INCOMPLETE), coverage * 100);
	web_buf_put(c->b, "</span>");
}

void
web_put_figure(web_ctx *c, const char *name, double exact, const char *text)
{
	web_buf_printf(c->b, "<span data-figure=\"%s\" data-value=\"%.17g\">",
	    name, exact);
	web_buf_html(c->b, text);
	web_buf_put(c->b, "</span>");
}

fed_status
web_parse_date(const web_ctx *c, const char *s, int64_t *ms)
{
	if (s == NULL || strlen(s) > 40)
		return FED_INVALID_ARGUMENT;
	return fed_tz_parse_iso(c->app->o.tz, s, ms);
}

// --- Login, logout, root, static -----------------------------------------

static void
login_form(web_ctx *c, const char *error)
{
	const char *next = web_arg(c, "next");
	web_page_begin(c, WEB_S_LOGIN, NULL);
	web_put_error(c, error);
	web_buf_put(c->b, "<form method=\"post\" action=\"");
	web_put_href(c, "/login");
	web_buf_printf(c->b,
	    "\" class=\"login\"><label>%s <input name=\"user\" "
	    "autocomplete=\"username\" required></label>"
	    "<label>%s <input name=\"password\" "
	    "type=\"password\" autocomplete=\"current-password\" "
	    "required></label><input type=\"hidden\" "
	    "name=\"next\" value=\"",
	    web_tr(c->lang, WEB_S_USER), web_tr(c->lang, WEB_S_PASSWORD));
	web_buf_html(c->b, next ? next : "");
	web_buf_printf(c->b, "\"><button type=\"submit\">%s</button></form>",
	    web_tr(c->lang, WEB_S_LOGIN));
	web_page_end(c);
}

// A local path to go to after the login: "/..." but not "//..." (which
// would leave the site), without backslashes or control characters.
FED_TESTABLE int
safe_next(const char *next)
{
	if (next == NULL || next[0] != '/' || next[1] == '/'
	    || strlen(next) > 512)
		return 0;
	for (const char *p = next; *p; p++)
		if (*p == '\\' || (unsigned char) *p < 0x20)
			return 0;
	return 1;
}

static void
redirect(web_ctx *c, const char *to)
{
	c->res->status = 303;
	snprintf(c->res->location, sizeof(c->res->location), "%s", to);
	web_buf_fini(c->b);
}

// After a login: a page that moves on at once. Not a 303: a Strict
// cookie set by a POST that came from elsewhere (a bookmark, the demo's
// launcher) is not sent along a redirect of that same navigation, but it
// is with a navigation this page starts.
static void
logged_in_page(web_ctx *c, const char *next)
{
	c->logged_in = 1;
	web_buf_fini(c->b);
	web_buf_printf(c->b,
	    "<!DOCTYPE html>\n<html lang=\"%s\"><head>"
	    "<meta charset=\"utf-8\"><meta "
	    "http-equiv=\"refresh\" content=\"0;url=",
	    web_lang_code(c->lang));
	web_buf_html(c->b, next);
	web_buf_printf(c->b,
	    "\"><title>%s</title></head><body><p><a "
	    "id=\"next\" href=\"",
	    web_tr(c->lang, WEB_S_LOGIN));
	web_buf_html(c->b, next);
	web_buf_put(c->b, "\">→</a></p></body></html>\n");
}

// The client's address for the logs: the last X-Forwarded-For entry (the
// one the proxy added) when a trusted proxy is in front, else "unknown"
// (nng's HTTP server does not give the connection's address).
static void
client_addr(const web_ctx *c, char *out, size_t len)
{
	const char *fw = c->req->forwarded_for;
	const char *last = strrchr(fw, ',');
	last = last != NULL ? last + 1 : fw;
	last += strspn(last, " \t");
	size_t n = strspn(last, "0123456789abcdefABCDEF.:");
	if (!c->app->o.trusted_proxy || n == 0 || n >= len)
		n = 0;
	snprintf(out, len, "%.*s", (int) n, last);
	if (n == 0)
		snprintf(out, len, "unknown");
}

// c when it may appear in a logged user name, else '?'.
static char
log_safe(char c)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-";
	return c != '\0' && strchr(ok, c) != NULL ? c : '?';
}

// `login failed for user "X" from ADDR`, the line contrib/fail2ban
// matches: the name comes from the form, so only a safe set of characters
// is kept, and nothing in it can fake the address at the line's end.
static void
log_failed_login(const web_ctx *c, const char *user, int locked)
{
	char name[65], addr[64];
	const char *u = user != NULL ? user : "";
	size_t i = 0;
	for (; u[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = log_safe(u[i]);
	name[i] = '\0';
	client_addr(c, addr, sizeof(addr));
	fed_log(FED_LOG_WARNING, "web",
	    "login failed for user \"%s\" from %s%s", name, addr,
	    locked ? ": user locked" : "");
}

static void
page_login(web_ctx *c)
{
	if (strcmp(c->req->method, "POST") != 0) {
		login_form(c, NULL);
		return;
	}
	const char *user = web_params_get(&c->req->form, "user");
	const char *pw = web_params_get(&c->req->form, "password");
	char sid[FED_TOKEN_LEN + 1];
	fed_status st = web_auth_login(
	    c->app->o.auth, user, pw, fed_clock_now_ms(), sid, &c->session);
	if (st != FED_OK) {
		int locked = st == FED_RESOURCE_EXHAUSTED;
		log_failed_login(c, user, locked);
		c->res->status = locked ? 429 : 401;
		login_form(c,
		    web_tr(c->lang, locked ? WEB_S_LOCKED : WEB_S_BAD_LOGIN));
		return;
	}
	snprintf(c->res->set_cookie, sizeof(c->res->set_cookie),
	    COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
	    sid, (long long) (c->app->o.session_ttl_ms / 1000),
	    c->app->o.cookie_secure ? "; Secure" : "");
	const char *next = web_params_get(&c->req->form, "next");
	logged_in_page(c, safe_next(next) ? next : "/");
}

static void
page_logout(web_ctx *c)
{
	if (strcmp(c->req->method, "POST") != 0 || !web_csrf_ok(c)) {
		web_page_error(c, 400, web_tr(c->lang, WEB_S_CSRF_STALE));
		return;
	}
	char sid[FED_TOKEN_LEN + 1];
	if (web_cookie_get(c->req->cookie, COOKIE, sid, sizeof(sid)) == FED_OK)
		web_auth_logout(c->app->o.auth, sid);
	snprintf(c->res->set_cookie, sizeof(c->res->set_cookie),
	    COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	redirect(c, "/login");
}

static void
page_root(web_ctx *c)
{
	const char *to = !c->logged_in              ? "/login"
	    : invests(c)                            ? "/dashboard"
	    : c->session.role == WEB_ROLE_HOUSEHOLD ? "/consent"
	    : c->session.role == WEB_ROLE_ADMIN     ? "/admin/projects"
	                                            : "/curves";
	redirect(c, to);
}

static void
page_css(web_ctx *c)
{
	c->res->type = "text/css; charset=utf-8";
	c->res->cacheable = 1;
	web_buf_put(c->b, web_static_css);
	web_buf_put(c->b, web_static_css_narrow);
}

static void
page_js(web_ctx *c)
{
	c->res->type = "text/javascript; charset=utf-8";
	c->res->cacheable = 1;
	web_buf_put(c->b, web_static_js);
}

static void
page_health(web_ctx *c)
{
	c->res->type = "text/plain; charset=utf-8";
	web_buf_put(c->b, "ok\n");
}

// --- Dispatch --------------------------------------------------------------

static void
load_session(web_ctx *c)
{
	char sid[FED_TOKEN_LEN + 1];
	if (web_cookie_get(c->req->cookie, COOKIE, sid, sizeof(sid)) != FED_OK)
		return;
	c->logged_in = web_auth_session(c->app->o.auth, sid,
	                   fed_clock_now_ms(), &c->session)
	    == FED_OK;
}

static int
allowed(web_ctx *c, const struct route *r)
{
	if (r->need == NEED_NONE)
		return 1;
	if (!c->logged_in) {
		if (strncmp(r->path, "/api/", 5) == 0) {
			c->res->status = 401;
			c->res->type = "application/json";
			web_buf_put(c->b, "{\"error\":\"log in first\"}\n");
			return 0;
		}
		char to[700];
		snprintf(to, sizeof(to), "/login?next=%s", r->path);
		redirect(c, to);
		return 0;
	}
	int ok = r->need == NEED_SESSION
	    || (r->need == NEED_INVESTOR && invests(c))
	    || (r->need == NEED_HOUSEHOLD
	        && c->session.role == WEB_ROLE_HOUSEHOLD)
	    || (r->need == NEED_ADMIN && c->session.role == WEB_ROLE_ADMIN);
	if (!ok)
		web_page_error(c, 403, web_tr(c->lang, WEB_S_FORBIDDEN));
	return ok;
}

void
web_app_handle(const web_req *req, web_res *res, void *arg)
{
	web_ctx c;
	memset(&c, 0, sizeof(c));
	c.app = arg;
	c.req = req;
	c.res = res;
	c.b = &res->body;
	c.lang = web_lang_parse(web_params_get(&req->query, "lang"));
	load_session(&c);
	int is_post = strcmp(req->method, "POST") == 0;
	int is_get = strcmp(req->method, "GET") == 0
	    || strcmp(req->method, "HEAD") == 0;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		if (strcmp(r->path, req->path) != 0)
			continue;
		if (!is_get && !(is_post && r->post)) {
			web_page_error(&c, 405, web_tr(c.lang, WEB_S_METHOD));
			return;
		}
		if (allowed(&c, r))
			r->fn(&c);
		return;
	}
	web_page_error(&c, 404, web_tr(c.lang, WEB_S_NOT_FOUND));
}
