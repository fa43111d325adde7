// SPDX-License-Identifier: MIT
//
// web_page_curves.c: load curves compared (use case 2) and live power.
//
// /curves?s=ID&s=ID&scale=day|week|month|year&at=YYYY-MM-DD[&overlay=1]
// [&step=15min|hour|day|week|month][&norm=pupil|occupant|m2|kwc]
// [&format=csv], or &from=YYYY-MM-DD&to=YYYY-MM-DD for a free range:
// each chosen series in a panel of its own, one under another, on the same
// time axis (the local day, week, month or year containing `at`, or the
// days from..to), with the description box of the series under it; or
// all of them on one chart. The step the values are summed over is named
// on the axis ("kWh par heure"); each panel has a table of its values (for
// screen readers and for copying), and format=csv serves exactly those
// values, after the same checks. A series keeps its colour whatever the
// order of the curves.
// /live?s=ID shows a meter's current power, which the page's script
// refreshes from /api/live?s=ID (JSON) without reloading.
//
// Every series is read through web_access.h, with the node credentials of
// the user logged in: the list to choose from, each curve, its box and
// the live power are what the node shows that user, and an id the user
// may not see is "not found" whether it exists or not.

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fed/clock.h"
#include "web_access.h"
#include "web_curves_js.h"
#include "web_presets.h"
#include "web_pages_internal.h"
#include "web_svg.h"

#define MAX_CURVES 8
#define MAX_LISTED 200

// A period and its default step (a view may ask for another).
struct scale {
	const char *name;
	web_str label;
	fed_tz_unit unit;
	Enfed__V1__Step step;
};

static const struct scale scales[] = {
    {"day", WEB_S_DAY, FED_TZ_DAY, ENFED__V1__STEP__STEP_15MIN},
    {"week", WEB_S_WEEK, FED_TZ_WEEK, ENFED__V1__STEP__STEP_HOUR},
    {"month", WEB_S_MONTH_S, FED_TZ_MONTH, ENFED__V1__STEP__STEP_DAY},
    {"year", WEB_S_YEAR_S, FED_TZ_YEAR, ENFED__V1__STEP__STEP_WEEK},
};

// The steps a view may ask for; a step's length is nominal (a local day
// may have 23 or 25 hours, a month 28 to 31 days): it bounds the number
// of buckets and sizes the bars.
struct step {
	const char *name;
	web_str per;
	Enfed__V1__Step step;
	int64_t bucket_ms;
};

static const struct step steps[] = {
    {"15min", WEB_S_PER_15MIN, ENFED__V1__STEP__STEP_15MIN, 900000},
    {"hour", WEB_S_PER_HOUR, ENFED__V1__STEP__STEP_HOUR, 3600000},
    {"day", WEB_S_PER_DAY, ENFED__V1__STEP__STEP_DAY, 86400000},
    {"week", WEB_S_PER_WEEK, ENFED__V1__STEP__STEP_WEEK, 7 * 86400000},
    {"month", WEB_S_PER_MONTH, ENFED__V1__STEP__STEP_MONTH,
        INT64_C(30) * 86400000},
};

#define N_STEPS     (sizeof(steps) / sizeof(steps[0]))
#define MAX_BUCKETS 3000
#define MAX_DAYS    3660

// A normalised view divides each curve by a fact of its description box
// (the first number of its value: "230", "1,500 m²", "16.2 kWc").
struct norm {
	const char *name;
	web_str label;
	const char *keys[3]; // box keys that give the fact
};

static const struct norm norms[] = {
    {"pupil", WEB_S_NORM_PUPIL, {"pupils", "élèves", NULL}},
    {"occupant", WEB_S_NORM_OCCUPANT, {"occupants", "occupants", NULL}},
    {"m2", WEB_S_NORM_M2, {"surface", "surface_m2", NULL}},
    {"kwc", WEB_S_NORM_KWC, {"peak power", "peak_kwc", "kWc"}},
};

struct curve {
	const char *id; // borrowed from the query
	web_where where; // borrows the request's session
	Enfed__V1__SeriesInfo *info;
	Enfed__V1__QueryResponse *q;
	int color; // fixed for the series (colour_of)
	double divisor; // the normalising fact, 1 when none (or not found)
	double *shown; // values / divisor (heap), what the page shows
	int hidden; // a preset's series the user may not read: not fetched
};

struct view {
	const struct scale *scale; // NULL for a free range
	const struct step *step;
	const struct norm *norm; // NULL: raw values
	int64_t from, to;
	int overlay;
	int csv;
	const char *preset; // opened from this preset: unreadable series are
	                    // "not shared with you", not a 404
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

// The step asked for (step=...), or the scale's, or one that suits a
// free range of span_ms.
static const char *
parse_step(web_ctx *c, struct view *v)
{
	const char *st = web_arg(c, "step");
	int64_t span = v->to - v->from;
	v->step = NULL;
	for (size_t i = 0; st && st[0] && i < N_STEPS; i++)
		if (strcmp(st, steps[i].name) == 0)
			v->step = &steps[i];
	if (st != NULL && st[0] && strcmp(st, "auto") != 0 && v->step == NULL)
		return web_tr(c->lang, WEB_S_BAD_STEP);
	// By default: the scale's own step, or for a free range one that
	// keeps the curve readable (a few hundred values at most).
	Enfed__V1__Step want = v->scale       ? v->scale->step
	    : span <= 2 * 86400000            ? ENFED__V1__STEP__STEP_15MIN
	    : span <= INT64_C(14) * 86400000  ? ENFED__V1__STEP__STEP_HOUR
	    : span <= INT64_C(400) * 86400000 ? ENFED__V1__STEP__STEP_DAY
	                                      : ENFED__V1__STEP__STEP_WEEK;
	for (size_t i = 0; v->step == NULL && i < N_STEPS; i++)
		if (steps[i].step == want)
			v->step = &steps[i];
	if (span / v->step->bucket_ms > MAX_BUCKETS)
		return web_tr(c->lang, WEB_S_STEP_TOO_FINE);
	return NULL;
}

// A free range: from and to are local days, to included.
static const char *
parse_range(web_ctx *c, struct view *v, const char *f, const char *t)
{
	int64_t a = 0, b = 0;
	if (web_parse_date(c, f, &a) != FED_OK
	    || web_parse_date(c, t ? t : "", &b) != FED_OK)
		return web_tr(c->lang, WEB_S_BAD_RANGE);
	v->scale = NULL;
	v->from = fed_tz_floor(c->app->o.tz, a, FED_TZ_DAY);
	v->to = fed_tz_next(c->app->o.tz,
	    fed_tz_floor(c->app->o.tz, b, FED_TZ_DAY), FED_TZ_DAY);
	if (v->to <= v->from || v->to - v->from > MAX_DAYS * INT64_C(86400000))
		return web_tr(c->lang, WEB_S_BAD_RANGE_SPAN);
	return NULL;
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
	const char *f = web_arg(c, "from");
	const char *bad = NULL;
	if (f != NULL && f[0]) {
		bad = parse_range(c, v, f, web_arg(c, "to"));
	} else {
		int64_t at = fed_clock_now_ms();
		const char *a = web_arg(c, "at");
		if (a != NULL && a[0] && web_parse_date(c, a, &at) != FED_OK)
			return web_tr(c->lang, WEB_S_BAD_AT);
		v->from = fed_tz_floor(c->app->o.tz, at, v->scale->unit);
		v->to = fed_tz_next(c->app->o.tz, v->from, v->scale->unit);
	}
	if (bad == NULL)
		bad = parse_step(c, v);
	if (bad != NULL)
		return bad;
	const char *nm = web_arg(c, "norm");
	for (size_t i = 0; nm && nm[0] && i < sizeof(norms) / sizeof(norms[0]);
	     i++)
		if (strcmp(nm, norms[i].name) == 0)
			v->norm = &norms[i];
	if (nm != NULL && nm[0] && strcmp(nm, "none") != 0 && v->norm == NULL)
		return web_tr(c->lang, WEB_S_BAD_NORM);
	const char *ov = web_arg(c, "overlay");
	v->overlay = ov != NULL && strcmp(ov, "1") == 0;
	const char *fm = web_arg(c, "format");
	v->csv = fm != NULL && strcmp(fm, "csv") == 0;
	if (fm != NULL && fm[0] && !v->csv)
		return web_tr(c->lang, WEB_S_BAD_FORMAT);
	v->preset = web_arg(c, "preset");
	if (v->preset != NULL && !web_preset_name_ok(v->preset))
		return web_tr(c->lang, WEB_S_BAD_PRESET);
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

// FNV-1a of the id: the colour a series has on every page (one of the
// palette's first seven).
static int
colour_hash(const char *id)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *) id; *p; p++)
		h = (h ^ *p) * 16777619u;
	return (int) (h % 7);
}

// Each curve's colour: its own (hashed from its id), unless a curve whose
// id sorts first has it in this view; then the next free one. The result
// depends on the set of curves, never on their order.
static void
assign_colours(struct view *v)
{
	int used[8] = {0};
	int done[MAX_CURVES] = {0};
	for (size_t k = 0; k < v->n; k++) {
		size_t first = v->n;
		for (size_t i = 0; i < v->n; i++)
			if (!done[i]
			    && (first == v->n
			        || strcmp(v->curves[i].id, v->curves[first].id)
			            < 0))
				first = i;
		// The palette's yellow (7) reads badly as a thin line on
		// white: only an eighth curve gets it.
		int col = colour_hash(v->curves[first].id);
		for (int t = 0; t < 7 && used[col]; t++)
			col = (col + 1) % 7;
		if (used[col])
			col = 7;
		used[col] = 1;
		v->curves[first].color = col;
		done[first] = 1;
	}
}

// The first number in a fact's value: "230", "1,500 m²" (English
// thousands), "16.2 kWc"; 0 when there is none.
static double
fact_number(const char *s)
{
	char buf[32];
	size_t o = 0;
	while (*s == ' ')
		s++;
	for (; *s && o + 1 < sizeof(buf); s++) {
		if (*s >= '0' && *s <= '9')
			buf[o++] = *s;
		else if (*s == '.')
			buf[o++] = '.';
		else if (*s != ',')
			break;
	}
	buf[o] = '\0';
	char *end = NULL;
	double d = o ? strtod(buf, &end) : 0;
	return d > 0 && isfinite(d) ? d : 0;
}

// The divisor of a curve for the view's normalisation (1: none found).
static double
divisor_of(const struct view *v, const Enfed__V1__SeriesInfo *info)
{
	const Enfed__V1__SeriesMeta *m = info->meta;
	if (v->norm == NULL || m == NULL)
		return 1;
	for (size_t i = 0; i < m->n_box; i++)
		for (size_t k = 0; k < 3 && v->norm->keys[k]; k++)
			if (strcasecmp(m->box[i]->key, v->norm->keys[k])
			    == 0) {
				double d = fact_number(m->box[i]->value);
				if (d > 0)
					return d;
			}
	return 1;
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
	q.step = v->step->step;
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
	cu->divisor = divisor_of(v, cu->info);
	cu->shown = malloc((res->n_value ? res->n_value : 1) * sizeof(double));
	if (cu->shown == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < res->n_value; i++)
		cu->shown[i] = res->value[i] / cu->divisor;
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
box(web_ctx *c, const struct view *v, const struct curve *cu)
{
	const Enfed__V1__SeriesMeta *m = cu->info->meta;
	const char *name = curve_name(cu);
	web_buf_printf(c->b,
	    "<aside class=\"box\"><h3><span class=\"key "
	    "c%d\" aria-hidden=\"true\">■</span> ",
	    cu->color);
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
	web_buf_put(c->b, "</dl>");
	if (v->norm != NULL && cu->divisor == 1)
		web_buf_printf(c->b, "<p class=\"norm-missing\">%s</p>",
		    web_tr(c->lang, WEB_S_NORM_MISSING));
	else if (v->norm != NULL)
		web_buf_printf(c->b,
		    "<p class=\"norm\" data-divisor=\"%.17g\">÷ %.15g</p>",
		    cu->divisor, cu->divisor);
	web_buf_put(c->b, "</aside>");
}

// What the values are per: "par heure" for energy, ", par élève" when
// normalised (and the curve's box gave the fact).
static void
per_text(web_ctx *c, const struct view *v, const struct curve *cu, char *buf,
    size_t len)
{
	int energy = cu->q->results[0]->unit == ENFED__V1__UNIT__UNIT_WH;
	int norm = v->norm != NULL && cu->divisor != 1;
	snprintf(buf, len, "%s%s%s",
	    energy ? web_tr(c->lang, v->step->per) : "",
	    energy && norm ? ", " : "",
	    norm ? web_tr(c->lang, v->norm->label) : "");
}

static web_svg_series
series_of(const struct curve *cu)
{
	const Enfed__V1__SeriesResult *r = cu->q->results[0];
	web_svg_series s = {
	    cu->id, r->ts_ms, cu->shown, r->coverage, r->n_value, cu->color};
	return s;
}

static void
chart(web_ctx *c, const struct view *v, const web_svg_series *s, size_t n,
    const char *unit, const char *per, const char *title, size_t index)
{
	static const char *const ids[] = {"curve-0", "curve-1", "curve-2",
	    "curve-3", "curve-4", "curve-5", "curve-6", "curve-7"};
	web_svg_chart ch
	    = {ids[index % 8], title, unit, v->from, v->to, v->step->bucket_ms,
	        WEB_SVG_LINES, s, n, c->app->o.tz, c->lang, 960, 280, per};
	web_svg_chart_write_both(c->b, &ch);
}

// The values of a curve as a table: the same numbers as the chart, for a
// screen reader, for copying, and for a page read without the chart.
static void
data_table(web_ctx *c, const struct curve *cu, const char *per)
{
	const Enfed__V1__SeriesResult *r = cu->q->results[0];
	const char *unit = unit_name(r->unit);
	web_buf_printf(c->b, "<details class=\"data-table\"><summary>%s — ",
	    web_tr(c->lang, WEB_S_DATA_TABLE));
	web_buf_html(c->b, cu->id);
	web_buf_put(c->b, "</summary><table><caption>");
	web_buf_html(c->b, cu->id);
	web_buf_printf(c->b, " (%s%s", unit, per[0] ? " " : "");
	web_buf_html(c->b, per);
	web_buf_printf(c->b,
	    ")</caption><thead><tr><th scope=\"col\">%s</th>"
	    "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr>"
	    "</thead><tbody>",
	    web_tr(c->lang, WEB_S_DATE), web_tr(c->lang, WEB_S_VALUE),
	    web_tr(c->lang, WEB_S_COVERAGE));
	for (size_t i = 0; i < r->n_value; i++) {
		char d[WEB_FMT_LEN], val[WEB_FMT_LEN], cov[WEB_FMT_LEN];
		web_fmt_datetime(
		    d, sizeof(d), c->lang, c->app->o.tz, r->ts_ms[i]);
		web_fmt_num(val, sizeof(val), c->lang, cu->shown[i],
		    fabs(cu->shown[i]) >= 100 ? 0 : 2);
		web_fmt_pct(cov, sizeof(cov), c->lang, r->coverage[i]);
		web_buf_printf(c->b,
		    "<tr data-t=\"%lld\"><th scope=\"row\">%s</th>"
		    "<td data-v=\"%.17g\">%s %s</td><td>%s</td></tr>",
		    (long long) r->ts_ms[i], d, cu->shown[i], val, unit, cov);
	}
	web_buf_put(c->b, "</tbody></table></details>");
}

// A series of a preset that the user's credentials do not show: its id
// (which the preset names) and nothing else; it was not fetched.
static void
not_shared(web_ctx *c, const struct curve *cu)
{
	web_buf_put(c->b,
	    "<section class=\"curve-panel not-shared\" "
	    "data-series=\"");
	web_buf_html(c->b, cu->id);
	web_buf_put(c->b, "\"><p><strong>");
	web_buf_html(c->b, cu->id);
	web_buf_printf(c->b, "</strong> — %s</p></section>",
	    web_tr(c->lang, WEB_S_NOT_SHARED));
}

static void
overlay_panel(web_ctx *c, const struct view *v)
{
	char per[128];
	web_svg_series s[MAX_CURVES];
	size_t n = 0, first = v->n;
	for (size_t i = 0; i < v->n; i++) {
		if (v->curves[i].hidden)
			continue;
		if (first == v->n)
			first = i;
		s[n++] = series_of(&v->curves[i]);
	}
	if (n == 0)
		return;
	const Enfed__V1__SeriesResult *r0 = v->curves[first].q->results[0];
	per_text(c, v, &v->curves[first], per, sizeof(per));
	web_buf_put(c->b,
	    "<section class=\"curve-panel overlay\">"
	    "<div class=\"plot\">");
	chart(c, v, s, n, unit_name(r0->unit), per,
	    web_tr(c->lang, WEB_S_CURVES), 0);
	for (size_t i = 0; i < v->n; i++) {
		if (v->curves[i].hidden)
			continue;
		per_text(c, v, &v->curves[i], per, sizeof(per));
		data_table(c, &v->curves[i], per);
	}
	// The boxes under the chart, which keeps the whole width.
	web_buf_put(c->b, "</div><div class=\"boxes\">");
	for (size_t i = 0; i < v->n; i++)
		if (!v->curves[i].hidden)
			box(c, v, &v->curves[i]);
	web_buf_put(c->b, "</div></section>");
}

static void
panels(web_ctx *c, const struct view *v)
{
	char per[128];
	if (v->overlay) {
		overlay_panel(c, v);
		for (size_t i = 0; i < v->n; i++)
			if (v->curves[i].hidden)
				not_shared(c, &v->curves[i]);
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct curve *cu = &v->curves[i];
		if (cu->hidden) {
			not_shared(c, cu);
			continue;
		}
		web_svg_series s = series_of(cu);
		per_text(c, v, cu, per, sizeof(per));
		web_buf_put(
		    c->b, "<section class=\"curve-panel\" data-series=\"");
		web_buf_html(c->b, cu->id);
		web_buf_put(c->b, "\"><div class=\"plot\">");
		chart(c, v, &s, 1, unit_name(cu->q->results[0]->unit), per,
		    curve_name(cu), i);
		data_table(c, cu, per);
		// Under the curve, which keeps the whole width on any screen.
		web_buf_put(c->b, "</div><div class=\"boxes\">");
		box(c, v, cu);
		web_buf_put(c->b, "</div></section>");
	}
}

// What a link changes of the current view.
struct nav {
	int64_t from, to; // a free range when scale is NULL
	const struct scale *scale;
	int overlay;
	const char *format;
};

// The href of this view with n's period, scale, overlay and format.
static void
view_href(web_ctx *c, const struct view *v, const struct nav *n)
{
	char iso[16], iso2[16];
	web_buf b2;
	web_buf_init(&b2);
	web_fmt_isodate(iso, sizeof(iso), c->app->o.tz, n->from);
	if (n->scale != NULL) {
		web_buf_printf(
		    &b2, "/curves?scale=%s&at=%s", n->scale->name, iso);
	} else {
		web_fmt_isodate(iso2, sizeof(iso2), c->app->o.tz, n->to - 1);
		web_buf_printf(&b2, "/curves?from=%s&to=%s", iso, iso2);
	}
	// A step chosen by hand is kept within the same kind of period.
	const char *st = web_arg(c, "step");
	if (st != NULL && st[0] && n->scale == v->scale)
		web_buf_printf(&b2, "&step=%s", v->step->name);
	if (v->norm != NULL)
		web_buf_printf(&b2, "&norm=%s", v->norm->name);
	if (n->overlay)
		web_buf_put(&b2, "&overlay=1");
	if (n->format != NULL)
		web_buf_printf(&b2, "&format=%s", n->format);
	if (v->preset != NULL) {
		web_buf_put(&b2, "&preset=");
		web_buf_url(&b2, v->preset);
	}
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
	const fed_tz *tz = c->app->o.tz;
	struct nav n = {v->from, v->to, v->scale, v->overlay, NULL};
	if (v->scale != NULL) {
		n.from = fed_tz_floor(tz, v->from - 1, v->scale->unit);
	} else { // a free range moves by its own length, in local days
		int64_t days = (v->to - v->from + 43200000) / 86400000;
		n.to = v->from;
		n.from = v->from;
		for (int64_t d = 0; d < days && d < MAX_DAYS; d++)
			n.from = fed_tz_floor(tz, n.from - 1, FED_TZ_DAY);
	}
	web_buf_put(c->b, "<p class=\"timenav\"><a class=\"prev\" href=\"");
	view_href(c, v, &n);
	web_fmt_date(f, sizeof(f), c->lang, tz, v->from);
	web_fmt_date(t, sizeof(t), c->lang, tz, v->to - 1);
	web_buf_printf(c->b,
	    "\">%s</a> <strong class=\"range\" data-from=\"%lld\" "
	    "data-to=\"%lld\">%s – %s</strong> <a "
	    "class=\"next\" href=\"",
	    web_tr(c->lang, WEB_S_PREV), (long long) v->from,
	    (long long) v->to, f, t);
	n = (struct nav) {v->to, v->to, v->scale, v->overlay, NULL};
	if (v->scale == NULL) {
		int64_t days = (v->to - v->from + 43200000) / 86400000;
		for (int64_t d = 0; d < days && d < MAX_DAYS; d++)
			n.to = fed_tz_next(tz, n.to, FED_TZ_DAY);
	}
	view_href(c, v, &n);
	web_buf_printf(c->b, "\">%s</a> · %s%s", web_tr(c->lang, WEB_S_NEXT),
	    web_tr(c->lang, WEB_S_SCALE), web_colon(c->lang));
	for (size_t i = 0; i < sizeof(scales) / sizeof(scales[0]); i++) {
		web_buf_printf(c->b, " <a class=\"scale%s\" href=\"",
		    &scales[i] == v->scale ? " current" : "");
		n = (struct nav) {v->from, 0, &scales[i], v->overlay, NULL};
		view_href(c, v, &n);
		web_buf_printf(
		    c->b, "\">%s</a>", web_tr(c->lang, scales[i].label));
	}
	web_buf_put(c->b, " · <a class=\"overlay-toggle\" href=\"");
	n = (struct nav) {v->from, v->to, v->scale, !v->overlay, NULL};
	view_href(c, v, &n);
	web_buf_printf(c->b, "\">%s%s</a>", v->overlay ? "✓ " : "",
	    web_tr(c->lang, WEB_S_OVERLAY));
	if (v->n > 0) {
		web_buf_put(c->b, " · <a class=\"csv\" download href=\"");
		n = (struct nav) {v->from, v->to, v->scale, v->overlay, "csv"};
		view_href(c, v, &n);
		web_buf_printf(
		    c->b, "\">%s</a>", web_tr(c->lang, WEB_S_DOWNLOAD_CSV));
	}
	web_buf_put(c->b, "</p>");
}

// The free range, the step and the normalisation: a GET form that keeps
// the chosen curves.
static void
range_form(web_ctx *c, const struct view *v)
{
	char f[16], t[16];
	web_fmt_isodate(f, sizeof(f), c->app->o.tz, v->from);
	web_fmt_isodate(t, sizeof(t), c->app->o.tz, v->to - 1);
	web_buf_printf(c->b,
	    "<form method=\"get\" action=\"/curves\" class=\"range-form\">"
	    "<fieldset><legend>%s</legend><label>%s <input type=\"date\" "
	    "name=\"from\" value=\"%s\" required></label> <label>%s <input "
	    "type=\"date\" name=\"to\" value=\"%s\" required></label> "
	    "<label>%s <select name=\"step\"><option value=\"auto\">%s"
	    "</option>",
	    web_tr(c->lang, WEB_S_FREE_RANGE), web_tr(c->lang, WEB_S_FROM), f,
	    web_tr(c->lang, WEB_S_TO), t, web_tr(c->lang, WEB_S_BUCKET),
	    web_tr(c->lang, WEB_S_AUTO));
	const char *st = web_arg(c, "step");
	for (size_t i = 0; i < N_STEPS; i++)
		web_buf_printf(c->b, "<option value=\"%s\"%s>%s</option>",
		    steps[i].name,
		    st && strcmp(st, steps[i].name) == 0 ? " selected" : "",
		    web_tr(c->lang, steps[i].per));
	web_buf_printf(c->b,
	    "</select></label> <label>%s <select name=\"norm\">"
	    "<option value=\"none\">%s</option>",
	    web_tr(c->lang, WEB_S_NORMALISE),
	    web_tr(c->lang, WEB_S_NORM_NONE));
	for (size_t i = 0; i < sizeof(norms) / sizeof(norms[0]); i++)
		web_buf_printf(c->b, "<option value=\"%s\"%s>%s</option>",
		    norms[i].name, v->norm == &norms[i] ? " selected" : "",
		    web_tr(c->lang, norms[i].label));
	web_buf_put(c->b, "</select></label>");
	for (size_t i = 0; i < v->n; i++) {
		web_buf_put(
		    c->b, "<input type=\"hidden\" name=\"s\" value=\"");
		web_buf_html(c->b, v->curves[i].id);
		web_buf_put(c->b, "\">");
	}
	web_buf_printf(c->b,
	    "<input type=\"hidden\" name=\"lang\" value=\"%s\">%s"
	    "<button>%s</button></fieldset></form>",
	    web_lang_code(c->lang),
	    v->overlay ? "<input type=\"hidden\" name=\"overlay\" value=\"1\">"
	               : "",
	    web_tr(c->lang, WEB_S_SHOW));
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
	    v->scale ? v->scale->name : "week", iso, web_lang_code(c->lang),
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
		free(v->curves[i].shown);
	}
}

// A CSV field: quoted, quotes doubled (ids are [A-Za-z0-9._/-] already).
static void
csv_field(web_buf *b, const char *s)
{
	web_buf_put(b, "\"");
	for (; *s; s++)
		web_buf_printf(b, *s == '"' ? "\"\"" : "%c", *s);
	web_buf_put(b, "\"");
}

// The values the page shows, one line per bucket and curve: the same
// loads and checks as the page (a series the user may not read is 404
// before any of this), the same normalisation.
static void
csv(web_ctx *c, const struct view *v)
{
	c->res->type = "text/csv; charset=utf-8";
	web_buf_put(
	    c->b, "series,node,start,start_ms,value,unit,per,coverage\r\n");
	for (size_t k = 0; k < v->n; k++) {
		const struct curve *cu = &v->curves[k];
		if (cu->hidden)
			continue; // not shown, not fetched: not in the file
		const Enfed__V1__SeriesResult *r = cu->q->results[0];
		char per[128];
		per_text(c, v, cu, per, sizeof(per));
		for (size_t i = 0; i < r->n_value; i++) {
			char iso[48];
			fed_tz_format_iso(
			    c->app->o.tz, r->ts_ms[i], iso, sizeof(iso));
			csv_field(c->b, cu->id);
			web_buf_put(c->b, ",");
			csv_field(c->b,
			    web_backend_node_name(
			        c->app->o.backend, cu->where.node));
			web_buf_printf(c->b, ",%s,%lld,%.17g,%s,", iso,
			    (long long) r->ts_ms[i], cu->shown[i],
			    unit_name(r->unit));
			csv_field(c->b, per);
			web_buf_printf(c->b, ",%.6g\r\n", r->coverage[i]);
		}
	}
}

// --- Presets ------------------------------------------------------------

// The query that makes view v again: its curves, scale (not its date: a
// preset "— semaine" opens on the current week) or free range, the step
// when one was chosen, the normalisation, the overlay.
static void
preset_query(web_ctx *c, const struct view *v, web_buf *q)
{
	if (v->scale != NULL) {
		web_buf_printf(q, "scale=%s", v->scale->name);
	} else {
		char f[16], t[16];
		web_fmt_isodate(f, sizeof(f), c->app->o.tz, v->from);
		web_fmt_isodate(t, sizeof(t), c->app->o.tz, v->to - 1);
		web_buf_printf(q, "from=%s&to=%s", f, t);
	}
	const char *st = web_arg(c, "step");
	if (st != NULL && st[0] && strcmp(st, "auto") != 0)
		web_buf_printf(q, "&step=%s", v->step->name);
	if (v->norm != NULL)
		web_buf_printf(q, "&norm=%s", v->norm->name);
	if (v->overlay)
		web_buf_put(q, "&overlay=1");
	for (size_t i = 0; i < v->n; i++) {
		web_buf_put(q, "&s=");
		web_buf_url(q, v->curves[i].id);
	}
}

// To the view a preset holds (303), marked with its name.
static void
open_preset(web_ctx *c, const web_preset *p)
{
	web_buf to;
	web_buf_init(&to);
	web_buf_printf(&to, "/curves?%s&preset=", p->query);
	web_buf_url(&to, p->name);
	if (c->lang == WEB_LANG_EN)
		web_buf_put(&to, "&lang=en");
	c->res->status = 303;
	snprintf(c->res->location, sizeof(c->res->location), "%s",
	    to.data ? to.data : "/curves");
	web_buf_fini(&to);
	web_buf_fini(c->b);
}

// The presets, each one click away; a form to save the current view.
static void
presets_section(
    web_ctx *c, const struct view *v, const web_preset *list, size_t n)
{
	web_buf_printf(c->b, "<section class=\"presets\"><h2>%s</h2>",
	    web_tr(c->lang, WEB_S_PRESETS));
	if (web_arg(c, "deleted") != NULL)
		web_buf_printf(c->b, "<p class=\"ok\" role=\"status\">%s</p>",
		    web_tr(c->lang, WEB_S_PRESET_DELETED));
	if (n == 0)
		web_buf_printf(
		    c->b, "<p>%s</p>", web_tr(c->lang, WEB_S_NO_PRESET));
	else
		web_buf_put(c->b, "<ul>");
	for (size_t i = 0; i < n; i++) {
		web_buf b2;
		web_buf_init(&b2);
		web_buf_put(&b2, "/curves?preset=");
		web_buf_url(&b2, list[i].name);
		web_buf_printf(c->b, "<li><a class=\"preset%s\" href=\"",
		    v->preset && strcmp(v->preset, list[i].name) == 0
		        ? " current"
		        : "");
		web_put_href(c, b2.data);
		web_buf_put(c->b, "\">");
		web_buf_html(c->b, list[i].name);
		web_buf_put(c->b, "</a>");
		if (web_preset_may_delete(c, &list[i])) {
			// Deleting asks first (web_page_presets.c).
			web_buf_fini(&b2);
			web_buf_init(&b2);
			web_buf_put(&b2, "/curves?delete=");
			web_buf_url(&b2, list[i].name);
			web_buf_put(c->b, " <a class=\"delete\" href=\"");
			web_put_href(c, b2.data);
			web_buf_printf(c->b, "\" aria-label=\"%s ",
			    web_tr(c->lang, WEB_S_DELETE));
			web_buf_html(c->b, list[i].name);
			web_buf_printf(
			    c->b, "\">%s</a>", web_tr(c->lang, WEB_S_DELETE));
		}
		web_buf_put(c->b, "</li>");
		web_buf_fini(&b2);
	}
	if (n > 0)
		web_buf_put(c->b, "</ul>");
	if (v->n > 0 && web_preset_may_save(c)
	    && c->app->o.presets_file != NULL) {
		web_buf q;
		web_buf_init(&q);
		preset_query(c, v, &q);
		web_buf_put(c->b,
		    "<form method=\"post\" class=\"save-preset\" action=\"");
		web_put_href(c, "/curves");
		web_buf_put(c->b, "\">");
		web_put_csrf(c);
		web_buf_put(
		    c->b, "<input type=\"hidden\" name=\"query\" value=\"");
		web_buf_html(c->b, q.data ? q.data : "");
		web_buf_printf(c->b,
		    "\"><label>%s <input name=\"name\" maxlength=\"80\" "
		    "required value=\"",
		    web_tr(c->lang, WEB_S_SAVE_PRESET));
		web_buf_html(c->b, v->preset ? v->preset : "");
		web_buf_printf(c->b, "\"></label> <button>%s</button></form>",
		    web_tr(c->lang, WEB_S_SAVE));
		web_buf_fini(&q);
	}
	web_buf_put(c->b, "</section>");
}

// POST /curves: saves a preset (a teacher's or an administrator's), then
// opens it. The query is the one the page made; it is checked again every
// time the preset is opened, with the opener's own credentials.
static void
save_preset(web_ctx *c)
{
	if (web_post_refused(c))
		return;
	if (!web_preset_may_save(c)) {
		web_page_error(c, 403, web_tr(c->lang, WEB_S_FORBIDDEN));
		return;
	}
	web_preset p;
	memset(&p, 0, sizeof(p));
	const char *name = web_arg(c, "name");
	const char *query = web_arg(c, "query");
	char err[256] = "";
	if (!web_preset_name_ok(name) || query == NULL
	    || strlen(query) > WEB_PRESET_QUERY_MAX
	    || strstr(query, "preset=") != NULL
	    || strstr(query, "format=") != NULL) {
		web_page_error(c, 400,
		    "name: 1 to 80 characters, without tabs or line breaks; "
		    "query: a view of this page");
		return;
	}
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.author, sizeof(p.author), "%s", c->session.user);
	snprintf(p.query, sizeof(p.query), "%s", query);
	fed_status st = web_presets_save(c->app->o.presets_file, &p,
	    c->session.role == WEB_ROLE_ADMIN, err, sizeof(err));
	if (st != FED_OK) {
		web_page_error(c, web_http_status(st), err);
		return;
	}
	open_preset(c, &p);
}

// 1 + the index of the preset named `name`; 0 when there is none.
static int
find_preset(const web_preset *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].name, name) == 0)
			return (int) i + 1;
	return 0;
}

void
web_page_curves(web_ctx *c)
{
	if (strcmp(c->req->method, "POST") == 0) {
		const char *action = web_arg(c, "action");
		if (action != NULL && strcmp(action, "delete") == 0)
			web_page_preset_delete(c);
		else
			save_preset(c);
		return;
	}
	struct view v;
	memset(&v, 0, sizeof(v));
	const char *bad = parse_view(c, &v);
	if (bad != NULL) {
		web_page_error(c, 400, bad);
		return;
	}
	web_preset *presets = calloc(WEB_PRESETS_MAX, sizeof(*presets));
	size_t n_presets = 0;
	if (presets != NULL)
		web_presets_load(c->app->o.presets_file, presets,
		    WEB_PRESETS_MAX, &n_presets);
	// A preset without its curves in the URL: open it. The first screen
	// of a class (nothing asked) is the first preset, its curves drawn.
	int k = v.preset ? find_preset(presets, n_presets, v.preset) : 0;
	const char *del = web_arg(c, "delete");
	if (del != NULL) {
		web_page_preset_confirm(c, del, presets, n_presets);
		free(presets);
		return;
	}
	int bare = v.n == 0 && v.preset == NULL && web_arg(c, "scale") == NULL
	    && web_arg(c, "from") == NULL && web_arg(c, "deleted") == NULL
	    && n_presets > 0;
	if (v.preset != NULL && k == 0) {
		web_page_error(c, 404, web_tr(c->lang, WEB_S_NOT_FOUND));
		free(presets);
		return;
	}
	if ((v.n == 0 && k > 0) || bare) {
		open_preset(c, &presets[bare ? 0 : k - 1]);
		free(presets);
		return;
	}
	char err[512];
	fed_status st = FED_OK;
	for (size_t i = 0; i < v.n && st == FED_OK; i++) {
		st = load_curve(c, &v, &v.curves[i], err, sizeof(err));
		// Opened from a preset, a series the user may not read is
		// said so; it was asked with the user's credentials only.
		if (st == FED_NOT_FOUND && v.preset != NULL) {
			v.curves[i].hidden = 1;
			st = FED_OK;
		}
	}
	assign_colours(&v);
	if (st == FED_NOT_FOUND) {
		web_page_error(c, 404, web_tr(c->lang, WEB_S_NO_SUCH_SERIES));
	} else if (st != FED_OK) {
		web_page_rpc_error(c, st, err);
	} else if (v.csv) {
		csv(c, &v);
	} else {
		web_page_begin(c, WEB_S_CURVES, NULL);
		web_buf_put(
		    c->b, "<script src=\"/static/curves.js\" defer></script>");
		presets_section(c, &v, presets, n_presets);
		navigation(c, &v);
		range_form(c, &v);
		choose_form(c, &v);
		if (v.n == 0)
			web_buf_printf(c->b, "<p>%s</p>",
			    web_tr(c->lang, WEB_S_NONE_CHOSEN));
		else
			panels(c, &v);
		web_page_end(c);
	}
	free(presets);
	free_view(&v);
}

// The page's script: one file, cacheable, from memory.
void
web_page_curves_js(web_ctx *c)
{
	static const char *const chunks[] = {WEB_CURVES_JS_CHUNKS};
	c->res->type = "text/javascript; charset=utf-8";
	c->res->cacheable = 1;
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
		web_buf_put(c->b, chunks[i]);
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
