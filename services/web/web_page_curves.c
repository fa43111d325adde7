// SPDX-License-Identifier: MIT
//
// web_page_curves.c: load curves compared (use case 2) and live power.
//
// /curves?s=ID&s=ID&scale=day|week|month|year&at=YYYY-MM-DD[&overlay=1]:
// each chosen series in a panel of its own, one under another, on the same
// time axis (the local day, week, month or year containing `at`), with the
// description box of the series under it; or all of them on one chart.
// /live?s=ID shows a meter's current power, which the page's script
// refreshes from /api/live?s=ID (JSON) without reloading.
//
// Every series is read through web_access.h, with the node credentials of
// the user logged in: the list to choose from, each curve, its box and
// the live power are what the node shows that user, and an id the user
// may not see is "not found" whether it exists or not.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fed/clock.h"
#include "web_access.h"
#include "web_pages_internal.h"
#include "web_svg.h"

#define MAX_CURVES 8
#define MAX_LISTED 200

struct scale {
	const char *name;
	web_str label;
	fed_tz_unit unit;
	Enfed__V1__Step step;
	int64_t bucket_ms;
};

static const struct scale scales[] = {
    {"day", WEB_S_DAY, FED_TZ_DAY, ENFED__V1__STEP__STEP_15MIN, 900000},
    {"week", WEB_S_WEEK, FED_TZ_WEEK, ENFED__V1__STEP__STEP_HOUR, 3600000},
    {"month", WEB_S_MONTH_S, FED_TZ_MONTH, ENFED__V1__STEP__STEP_DAY,
        86400000},
    {"year", WEB_S_YEAR_S, FED_TZ_YEAR, ENFED__V1__STEP__STEP_WEEK,
        7 * 86400000},
};

struct curve {
	const char *id; // borrowed from the query
	web_where where; // borrows the request's session
	Enfed__V1__SeriesInfo *info;
	Enfed__V1__QueryResponse *q;
};

struct view {
	const struct scale *scale;
	int64_t from, to;
	int overlay;
	struct curve curves[MAX_CURVES];
	size_t n;
};

static const char *
unit_name(Enfed__V1__Unit u)
{
	static const char *const names[] = {"", "Wh", "W", "VA", "A", "V"};
	return (unsigned) u < 6 ? names[u] : "";
}

static web_str
kind_label(Enfed__V1__SeriesKind k)
{
	return k == ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION
	    ? WEB_S_CONSUMPTION
	    : k == ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION
	    ? WEB_S_PRODUCTION_K
	    : k == ENFED__V1__SERIES_KIND__SERIES_KIND_POWER ? WEB_S_POWER_K
	                                                     : WEB_S_INDEX_K;
}

static const char *
parse_view(web_ctx *c, struct view *v)
{
	const char *sc = web_arg(c, "scale");
	v->scale = &scales[1];
	for (size_t i = 0; sc && i < sizeof(scales) / sizeof(scales[0]); i++)
		if (strcmp(sc, scales[i].name) == 0)
			v->scale = &scales[i];
	if (sc != NULL && strcmp(sc, v->scale->name) != 0)
		return web_tr(c->lang, WEB_S_BAD_SCALE);
	int64_t at = fed_clock_now_ms();
	const char *a = web_arg(c, "at");
	if (a != NULL && a[0] && web_parse_date(c, a, &at) != FED_OK)
		return web_tr(c->lang, WEB_S_BAD_AT);
	v->from = fed_tz_floor(c->app->o.tz, at, v->scale->unit);
	v->to = fed_tz_next(c->app->o.tz, v->from, v->scale->unit);
	const char *ov = web_arg(c, "overlay");
	v->overlay = ov != NULL && strcmp(ov, "1") == 0;
	const char *ids[MAX_CURVES + 1];
	size_t n = web_params_all(&c->req->query, "s", ids, MAX_CURVES + 1);
	if (n > MAX_CURVES)
		return web_tr(c->lang, WEB_S_TOO_MANY_CURVES);
	for (size_t i = 0; i < n; i++) {
		if (!web_is_ident(ids[i], 200, 1, 0))
			return web_tr(c->lang, WEB_S_BAD_SERIES_ID);
		v->curves[v->n++].id = ids[i];
	}
	return NULL;
}

static fed_status
load_curve(
    web_ctx *c, const struct view *v, struct curve *cu, char *err, size_t len)
{
	web_backend *be = c->app->o.backend;
	FED_TRY(web_access_find(
	    be, &c->session, cu->id, &cu->where, &cu->info, err, len));
	char *ids[1] = {(char *) cu->id};
	Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = v->from;
	r.to_ms = v->to;
	q.series_ids = ids;
	q.n_series_ids = 1;
	q.range = &r;
	q.step = v->scale->step;
	q.tz = (char *) fed_tz_name(c->app->o.tz);
	FED_TRY(web_access_store(be, &cu->where, "Query", &q.base,
	    (ProtobufCMessage **) &cu->q, err, len));
	const Enfed__V1__SeriesResult *res
	    = cu->q->n_results == 1 ? cu->q->results[0] : NULL;
	if (res == NULL || res->n_ts_ms != res->n_value
	    || res->n_coverage != res->n_value) {
		snprintf(
		    err, len, "node gave a malformed answer for %s", cu->id);
		return FED_INTERNAL;
	}
	return FED_OK;
}

// A fact of a box; given: the value is the owner's free text, in
// whatever language the owner wrote it (class "given").
static void
box_item(web_ctx *c, const char *k, const char *v, int given)
{
	web_buf_put(c->b, "<dt>");
	web_buf_html(c->b, k);
	web_buf_put(c->b, given ? "</dt><dd class=\"given\">" : "</dt><dd>");
	web_buf_html(c->b, v && v[0] ? v : "—");
	web_buf_put(c->b, "</dd>");
}

// The series' name: its box's "name" fact, else its id.
static const char *
curve_name(const struct curve *cu)
{
	const Enfed__V1__SeriesMeta *m = cu->info ? cu->info->meta : NULL;
	for (size_t i = 0; m != NULL && i < m->n_box; i++)
		if (m->box[i]->key && strcasecmp(m->box[i]->key, "name") == 0
		    && m->box[i]->value && m->box[i]->value[0])
			return m->box[i]->value;
	return cu->id;
}

// A box titled by the series' name; its facts' keys in the page's
// language when fed-web knows them, the owner's words as given.
static void
box(web_ctx *c, const struct curve *cu, int color)
{
	const Enfed__V1__SeriesMeta *m = cu->info->meta;
	const char *name = curve_name(cu);
	web_buf_printf(c->b,
	    "<aside class=\"box\"><h3><span class=\"key "
	    "c%d\" aria-hidden=\"true\">■</span> ",
	    color);
	web_buf_html(c->b, name);
	web_buf_put(c->b, "</h3><dl>");
	if (name != cu->id)
		box_item(c, web_tr(c->lang, WEB_S_SERIES), cu->id, 0);
	if (m != NULL) {
		box_item(c, web_tr(c->lang, WEB_S_KIND),
		    web_tr(c->lang, kind_label(m->kind)), 0);
		box_item(c, web_tr(c->lang, WEB_S_OWNER), m->owner, 1);
		box_item(c, web_tr(c->lang, WEB_S_METER), m->source, 1);
		for (size_t i = 0; i < m->n_box; i++) {
			const char *k = m->box[i]->key;
			if (k && strcasecmp(k, "name") == 0)
				continue;
			const char *known = web_box_key(c->lang, k);
			box_item(c, known ? known : k, m->box[i]->value, 1);
		}
	}
	box_item(c, web_tr(c->lang, WEB_S_NODE),
	    web_backend_node_name(c->app->o.backend, cu->where.node), 0);
	web_buf_put(c->b, "</dl></aside>");
}

static web_svg_series
series_of(const struct curve *cu, int color)
{
	const Enfed__V1__SeriesResult *r = cu->q->results[0];
	web_svg_series s
	    = {cu->id, r->ts_ms, r->value, r->coverage, r->n_value, color};
	return s;
}

static void
chart(web_ctx *c, const struct view *v, const web_svg_series *s, size_t n,
    const char *unit, const char *title, size_t index)
{
	static const char *const ids[] = {"curve-0", "curve-1", "curve-2",
	    "curve-3", "curve-4", "curve-5", "curve-6", "curve-7"};
	web_svg_chart ch = {ids[index % 8], title, unit, v->from, v->to,
	    v->scale->bucket_ms, WEB_SVG_LINES, s, n, c->app->o.tz, c->lang,
	    960, 240};
	web_svg_chart_write(c->b, &ch);
}

static void
panels(web_ctx *c, const struct view *v)
{
	if (v->overlay) {
		web_svg_series s[MAX_CURVES];
		for (size_t i = 0; i < v->n; i++)
			s[i] = series_of(&v->curves[i], (int) i);
		const Enfed__V1__SeriesResult *r0 = v->curves[0].q->results[0];
		web_buf_put(c->b,
		    "<section class=\"curve-panel overlay\">"
		    "<div class=\"plot\">");
		chart(c, v, s, v->n, unit_name(r0->unit),
		    web_tr(c->lang, WEB_S_CURVES), 0);
		web_buf_put(c->b, "</div><div class=\"boxes\">");
		for (size_t i = 0; i < v->n; i++)
			box(c, &v->curves[i], (int) i);
		web_buf_put(c->b, "</div></section>");
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct curve *cu = &v->curves[i];
		web_svg_series s = series_of(cu, (int) i);
		web_buf_put(
		    c->b, "<section class=\"curve-panel\" data-series=\"");
		web_buf_html(c->b, cu->id);
		web_buf_put(c->b, "\"><div class=\"plot\">");
		chart(c, v, &s, 1, unit_name(cu->q->results[0]->unit),
		    curve_name(cu), i);
		// Under the curve, which keeps the whole width on any screen.
		web_buf_put(c->b, "</div><div class=\"boxes\">");
		box(c, cu, (int) i);
		web_buf_put(c->b, "</div></section>");
	}
}

// The href of this view moved to another instant, scale or overlay.
static void
view_href(web_ctx *c, const struct view *v, int64_t at, const char *scale,
    int overlay)
{
	char iso[16];
	web_fmt_isodate(iso, sizeof(iso), c->app->o.tz, at);
	web_buf b2;
	web_buf_init(&b2);
	web_buf_printf(&b2, "/curves?scale=%s&at=%s%s", scale, iso,
	    overlay ? "&overlay=1" : "");
	for (size_t i = 0; i < v->n; i++) {
		web_buf_put(&b2, "&s=");
		web_buf_url(&b2, v->curves[i].id);
	}
	web_put_href(c, b2.data);
	web_buf_fini(&b2);
}

static void
navigation(web_ctx *c, const struct view *v)
{
	char f[WEB_FMT_LEN], t[WEB_FMT_LEN];
	web_buf_put(c->b, "<p class=\"timenav\"><a class=\"prev\" href=\"");
	view_href(c, v,
	    fed_tz_floor(c->app->o.tz, v->from - 1, v->scale->unit),
	    v->scale->name, v->overlay);
	web_fmt_date(f, sizeof(f), c->lang, c->app->o.tz, v->from);
	web_fmt_date(t, sizeof(t), c->lang, c->app->o.tz, v->to - 1);
	web_buf_printf(c->b,
	    "\">%s</a> <strong class=\"range\" data-from=\"%lld\" "
	    "data-to=\"%lld\">%s – %s</strong> <a "
	    "class=\"next\" href=\"",
	    web_tr(c->lang, WEB_S_PREV), (long long) v->from,
	    (long long) v->to, f, t);
	view_href(c, v, v->to, v->scale->name, v->overlay);
	web_buf_printf(c->b, "\">%s</a> · %s%s", web_tr(c->lang, WEB_S_NEXT),
	    web_tr(c->lang, WEB_S_SCALE), web_colon(c->lang));
	for (size_t i = 0; i < sizeof(scales) / sizeof(scales[0]); i++) {
		web_buf_printf(c->b, " <a class=\"scale%s\" href=\"",
		    &scales[i] == v->scale ? " current" : "");
		view_href(c, v, v->from, scales[i].name, v->overlay);
		web_buf_printf(
		    c->b, "\">%s</a>", web_tr(c->lang, scales[i].label));
	}
	web_buf_put(c->b, " · <a class=\"overlay-toggle\" href=\"");
	view_href(c, v, v->from, v->scale->name, !v->overlay);
	web_buf_printf(c->b, "\">%s%s</a></p>", v->overlay ? "✓ " : "",
	    web_tr(c->lang, WEB_S_OVERLAY));
}

static int
chosen(const struct view *v, const char *id)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->curves[i].id, id) == 0)
			return 1;
	return 0;
}

struct pick {
	web_ctx *c;
	const struct view *v;
};

static void
pick_one(void *arg, size_t node, const Enfed__V1__SeriesInfo *info)
{
	struct pick *p = arg;
	web_ctx *c = p->c;
	const char *id = info->meta->id;
	web_buf_put(c->b,
	    "<label class=\"pick\"><input type=\"checkbox\" "
	    "name=\"s\" value=\"");
	web_buf_html(c->b, id);
	web_buf_printf(c->b, "\"%s> ", chosen(p->v, id) ? " checked" : "");
	web_buf_html(c->b, id);
	web_buf_put(c->b, " <small>(");
	web_buf_html(c->b, web_backend_node_name(c->app->o.backend, node));
	web_buf_put(c->b, ")</small></label>");
}

// The series to choose from: those the user's credentials show.
static void
choose_form(web_ctx *c, const struct view *v)
{
	char iso[16];
	web_fmt_isodate(iso, sizeof(iso), c->app->o.tz, v->from);
	web_buf_printf(c->b,
	    "<details class=\"choose\"%s><summary>%s</summary>"
	    "<form method=\"get\" action=\"/curves\">",
	    v->n == 0 ? " open" : "", web_tr(c->lang, WEB_S_CHOOSE));
	struct pick p = {c, v};
	size_t before = c->b->len, failed = 0;
	web_access_list(
	    c->app->o.backend, &c->session, pick_one, &p, MAX_LISTED, &failed);
	if (c->b->len == before)
		web_buf_printf(c->b, "<p class=\"none\">%s</p>",
		    web_tr(c->lang, WEB_S_NO_SERIES));
	if (failed > 0)
		web_buf_printf(c->b, "<p class=\"error\">%s</p>",
		    web_tr(c->lang, WEB_S_SOME_NODES_DOWN));
	web_buf_printf(c->b,
	    "<input type=\"hidden\" name=\"scale\" value=\"%s\">"
	    "<input type=\"hidden\" name=\"at\" value=\"%s\">"
	    "<input type=\"hidden\" name=\"lang\" value=\"%s\">"
	    "<label><input type=\"checkbox\" name=\"overlay\" "
	    "value=\"1\"%s> %s</label> <button>%s</button>"
	    "</form></details>",
	    v->scale->name, iso, web_lang_code(c->lang),
	    v->overlay ? " checked" : "", web_tr(c->lang, WEB_S_OVERLAY),
	    web_tr(c->lang, WEB_S_SHOW));
}

static void
free_view(struct view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		if (v->curves[i].info)
			enfed__v1__series_info__free_unpacked(
			    v->curves[i].info, NULL);
		if (v->curves[i].q)
			enfed__v1__query_response__free_unpacked(
			    v->curves[i].q, NULL);
	}
}

void
web_page_curves(web_ctx *c)
{
	struct view v;
	memset(&v, 0, sizeof(v));
	const char *bad = parse_view(c, &v);
	if (bad != NULL) {
		web_page_error(c, 400, bad);
		return;
	}
	char err[512];
	fed_status st = FED_OK;
	for (size_t i = 0; i < v.n && st == FED_OK; i++)
		st = load_curve(c, &v, &v.curves[i], err, sizeof(err));
	if (st == FED_NOT_FOUND) {
		web_page_error(c, 404, web_tr(c->lang, WEB_S_NO_SUCH_SERIES));
	} else if (st != FED_OK) {
		web_page_rpc_error(c, st, err);
	} else {
		web_page_begin(c, WEB_S_CURVES, NULL);
		navigation(c, &v);
		choose_form(c, &v);
		if (v.n == 0)
			web_buf_printf(c->b, "<p>%s</p>",
			    web_tr(c->lang, WEB_S_NONE_CHOSEN));
		else
			panels(c, &v);
		web_page_end(c);
	}
	free_view(&v);
}

// --- Live
// ----------------------------------------------------------------------

static void
json_error(web_ctx *c, uint16_t status, const char *msg)
{
	c->res->status = status;
	c->res->type = "application/json";
	web_buf_fini(c->b);
	web_buf_put(c->b, "{\"error\":");
	web_buf_json(c->b, msg);
	web_buf_put(c->b, "}\n");
}

// The live page: it shows only a series the user may read (the same
// check as its JSON endpoint), so that it confirms nothing else exists.
void
web_page_live(web_ctx *c)
{
	const char *id = web_arg(c, "s");
	if (!web_is_ident(id, 200, 1, 0)) {
		web_page_error(c, 400, web_tr(c->lang, WEB_S_BAD_SERIES_ID));
		return;
	}
	web_where w;
	Enfed__V1__SeriesInfo *info = NULL;
	char err[256];
	fed_status st = web_access_find(
	    c->app->o.backend, &c->session, id, &w, &info, err, sizeof(err));
	if (st == FED_NOT_FOUND) {
		web_page_error(c, 404, web_tr(c->lang, WEB_S_NO_SUCH_SERIES));
		return;
	}
	if (st != FED_OK) {
		web_page_rpc_error(c, st, err);
		return;
	}
	enfed__v1__series_info__free_unpacked(info, NULL);
	web_page_begin(c, WEB_S_LIVE, id);
	web_buf_printf(c->b,
	    "<p class=\"live big\">%s%s <output "
	    "data-live-series=\"",
	    web_tr(c->lang, WEB_S_CURRENT_POWER), web_colon(c->lang));
	web_buf_html(c->b, id);
	web_buf_put(c->b, "\">…</output></p>");
	web_page_end(c);
}

// The JSON of a series' last point, at node `node`.
static void
live_json(
    web_ctx *c, const char *id, size_t node, const Enfed__V1__SeriesInfo *info)
{
	const Enfed__V1__SeriesMeta *m = info->meta;
	int energy = m && m->unit == ENFED__V1__UNIT__UNIT_WH && !m->cumulative
	    && m->interval_s > 0;
	double power = energy ? info->last_value * 3600.0 / m->interval_s
	                      : info->last_value;
	char t[WEB_FMT_LEN], when[WEB_FMT_LEN];
	web_fmt_power(t, sizeof(t), c->lang, power);
	web_fmt_datetime(
	    when, sizeof(when), c->lang, c->app->o.tz, info->last_ms);
	c->res->type = "application/json";
	web_buf_put(c->b, "{\"series\":");
	web_buf_json(c->b, id);
	web_buf_put(c->b, ",\"node\":");
	web_buf_json(c->b, web_backend_node_name(c->app->o.backend, node));
	web_buf_printf(c->b,
	    ",\"last_ms\":%lld,\"last_value\":%.17g,"
	    "\"unit\":\"%s\",\"power_w\":%.17g,\"text\":",
	    (long long) info->last_ms, info->last_value,
	    m ? unit_name(m->unit) : "", power);
	char text[2 * WEB_FMT_LEN + 8];
	snprintf(text, sizeof(text), "%s (%s)", t, info->last_ms ? when : "—");
	web_buf_json(c->b, text);
	web_buf_put(c->b, "}\n");
}

// The last point, read by GetSeries with the user's own credential: the
// node applies to live power the same rule as to every other read.
void
web_api_live(web_ctx *c)
{
	const char *id = web_arg(c, "s");
	if (!web_is_ident(id, 200, 1, 0)) {
		json_error(c, 400, web_tr(c->lang, WEB_S_BAD_SERIES_ID));
		return;
	}
	web_where w;
	Enfed__V1__SeriesInfo *info = NULL;
	char err[256];
	fed_status st = web_access_find(
	    c->app->o.backend, &c->session, id, &w, &info, err, sizeof(err));
	if (st == FED_NOT_FOUND)
		json_error(c, 404, web_tr(c->lang, WEB_S_NO_SUCH_SERIES));
	else if (st != FED_OK)
		json_error(c, web_http_status(st), err);
	else
		live_json(c, id, w.node, info);
	if (info != NULL)
		enfed__v1__series_info__free_unpacked(info, NULL);
}
