// SPDX-License-Identifier: MIT
//
// web_page_presets.c: who may save and delete the saved comparisons of
// load curves (web_presets.h), and their deletion: GET /curves?delete=NAME
// asks for confirmation (the name, its author, what it shows), and the
// POST that follows (action=delete, name, csrf) deletes it, then 303 to
// /curves?deleted=1.
//
// The rule: a teacher saves comparisons and deletes (or replaces) the
// ones it saved; an administrator saves and deletes any; every other
// role (a viewer, a pupil's login) opens them only. A refusal is 403 and
// leaves the file as it was; a name that is not in the list is 404.

#include <stdio.h>
#include <string.h>

#include "web_pages_internal.h"
#include "web_presets.h"

int
web_preset_may_save(const web_ctx *c)
{
	return c->session.role == WEB_ROLE_TEACHER
	    || c->session.role == WEB_ROLE_ADMIN;
}

int
web_preset_may_delete(const web_ctx *c, const web_preset *p)
{
	return c->session.role == WEB_ROLE_ADMIN
	    || (c->session.role == WEB_ROLE_TEACHER
	        && strcmp(p->author, c->session.user) == 0);
}

// GET /curves?delete=NAME: what the preset is, "delete" and "cancel".
void
web_page_preset_confirm(
    web_ctx *c, const char *name, const web_preset *list, size_t n)
{
	const web_preset *p = NULL;
	for (size_t i = 0; i < n && p == NULL; i++)
		if (strcmp(list[i].name, name) == 0)
			p = &list[i];
	if (p == NULL) {
		web_page_error(c, 404, web_tr(c->lang, WEB_S_NOT_FOUND));
		return;
	}
	if (!web_preset_may_delete(c, p)) {
		web_page_error(c, 403, web_tr(c->lang, WEB_S_FORBIDDEN));
		return;
	}
	web_page_begin(c, WEB_S_PRESET_DELETE_TITLE, NULL);
	web_buf_put(c->b, "<section class=\"confirm\"><p><strong>");
	web_buf_html(c->b, p->name);
	web_buf_printf(
	    c->b, "</strong> · %s ", web_tr(c->lang, WEB_S_PRESET_AUTHOR));
	web_buf_html(c->b, p->author);
	web_buf_printf(c->b, "</p><p>%s</p>",
	    web_tr(c->lang, WEB_S_PRESET_DELETE_EXPLAIN));
	web_buf_put(
	    c->b, "<form method=\"post\" class=\"delete-preset\" action=\"");
	web_put_href(c, "/curves");
	web_buf_put(c->b, "\">");
	web_put_csrf(c);
	web_buf_put(c->b,
	    "<input type=\"hidden\" name=\"action\" value=\"delete\">"
	    "<input type=\"hidden\" name=\"name\" value=\"");
	web_buf_html(c->b, p->name);
	web_buf_printf(c->b,
	    "\"><button class=\"danger\">%s</button> <a href=\"",
	    web_tr(c->lang, WEB_S_DELETE));
	web_put_href(c, "/curves?scale=week");
	web_buf_printf(
	    c->b, "\">%s</a></form></section>", web_tr(c->lang, WEB_S_CANCEL));
	web_page_end(c);
}

// POST /curves, action=delete: the CSRF token, the role, then the file's
// own check of the author.
void
web_page_preset_delete(web_ctx *c)
{
	if (web_post_refused(c))
		return;
	if (c->session.role != WEB_ROLE_TEACHER
	    && c->session.role != WEB_ROLE_ADMIN) {
		web_page_error(c, 403, web_tr(c->lang, WEB_S_FORBIDDEN));
		return;
	}
	const char *name = web_arg(c, "name");
	if (!web_preset_name_ok(name)) {
		web_page_error(c, 400, web_tr(c->lang, WEB_S_BAD_PRESET));
		return;
	}
	char err[256] = "";
	fed_status st
	    = web_presets_delete(c->app->o.presets_file, name, c->session.user,
	        c->session.role == WEB_ROLE_ADMIN, err, sizeof(err));
	if (st == FED_NOT_FOUND || st == FED_PERMISSION_DENIED) {
		web_page_error(c, st == FED_NOT_FOUND ? 404 : 403,
		    web_tr(c->lang,
		        st == FED_NOT_FOUND ? WEB_S_NOT_FOUND
		                            : WEB_S_FORBIDDEN));
		return;
	}
	if (st != FED_OK) {
		web_page_error(c, web_http_status(st), err);
		return;
	}
	c->res->status = 303;
	snprintf(c->res->location, sizeof(c->res->location), "%s",
	    c->lang == WEB_LANG_EN ? "/curves?deleted=1&lang=en"
	                           : "/curves?deleted=1");
	web_buf_fini(c->b);
}
