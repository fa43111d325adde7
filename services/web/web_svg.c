// SPDX-License-Identifier: MIT
//
// web_svg.c: bar and line charts over a local-time axis, in SVG.
//
// Layout: a left margin for the value labels, a bottom margin for the
// time labels, a plot area of fixed width so that charts of the same axis
// line up. Values are scaled to a "nice" maximum (1, 2 or 5 x 10^k) with
// four grid lines. A chart drawn for a narrow screen has the same margins
// in a viewBox NARROW_W wide and half as tall again, and half the time
// labels, so that a phone shows it about as tall as it is wide.

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "web_svg.h"

#define LEFT       64
#define RIGHT      12
#define TOP        22
#define BOTTOM     28
#define MAX_SERIES 16
#define NARROW_W   640

// Okabe & Ito's hues, the light ones darkened to a contrast of at least
// 3:1 with the white chart and the grey boxes (WCAG's non-text contrast).
static const char *const palette[] = {"#0072B2", "#C47A00", "#009E73",
    "#B85C90", "#2F86C4", "#D55E00", "#000000", "#8C7D00"};

const char *
web_svg_color(int i)
{
	int n = (int) (sizeof(palette) / sizeof(palette[0]));
	return palette[((i % n) + n) % n];
}

struct geom {
	const web_svg_chart *c;
	double x0, w, y0, h; // plot area
	double vmax; // value at the top
	int n_grid; // intervals between grid lines: round steps
	double scale; // displayed = value / scale
	const char *unit;
	int narrow; // drawn for a narrow screen: class and ids marked
};

static double
x_of(const struct geom *g, int64_t t)
{
	double f = (double) (t - g->c->from_ms)
	    / (double) (g->c->to_ms - g->c->from_ms);
	return g->x0 + g->w * fmin(1, fmax(0, f));
}

static double
y_of(const struct geom *g, double v)
{
	double f = g->vmax > 0 ? v / g->vmax : 0;
	return g->y0 + g->h * (1 - fmin(1, fmax(0, f)));
}

// The smallest 1, 2 or 5 x 10^k at or above v, and the number of grid
// intervals that makes its steps round (0.2, 0.5, 1 or 2 x 10^k).
static double
nice_max(double v, int *n_grid)
{
	*n_grid = 5;
	if (!(v > 0) || !isfinite(v))
		return 1;
	double p = pow(10, floor(log10(v)));
	double m = v / p;
	if (m > 1 && m <= 2)
		*n_grid = 4;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static void
pick_scale(struct geom *g)
{
	double vmax = 0;
	for (size_t s = 0; s < g->c->n_series; s++) {
		const web_svg_series *se = &g->c->series[s];
		for (size_t i = 0; i < se->n; i++)
			if (isfinite(se->value[i]) && se->value[i] > vmax)
				vmax = se->value[i];
	}
	g->vmax = nice_max(vmax, &g->n_grid);
	g->scale = 1;
	g->unit = g->c->unit ? g->c->unit : "";
	static char units[2][3][8] = {{"Wh", "kWh", "MWh"}, {"W", "kW", "MW"}};
	int k = strcmp(g->unit, "Wh") == 0 ? 0
	    : strcmp(g->unit, "W") == 0    ? 1
	                                   : -1;
	if (k < 0)
		return;
	int e = g->vmax >= 1e6 ? 2 : g->vmax >= 1e3 ? 1 : 0;
	g->scale = pow(1000, e);
	g->unit = units[k][e];
}

static void
y_axis(web_buf *b, const struct geom *g)
{
	web_buf_put(b, "<g class=\"y-axis\">");
	for (int i = 0; i <= g->n_grid; i++) {
		double v = g->vmax * i / g->n_grid;
		double y = y_of(g, v);
		char n[WEB_FMT_LEN];
		web_fmt_num(n, sizeof(n), g->c->lang, v / g->scale,
		    g->vmax / g->scale >= 10 ? 0 : 2);
		web_buf_printf(b,
		    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
		    "class=\"grid\"/><text x=\"%d\" y=\"%.1f\" "
		    "text-anchor=\"end\">%s</text>",
		    g->x0, g->x0 + g->w, y, y, LEFT - 6, y + 4, n);
	}
	web_buf_printf(b, "<text x=\"4\" y=\"%d\" class=\"unit\">", TOP - 10);
	web_buf_html(b, g->unit);
	if (g->c->per != NULL && g->c->per[0] != '\0') {
		web_buf_put(b, " ");
		web_buf_html(b, g->c->per);
	}
	web_buf_put(b, "</text></g>");
}

static fed_tz_unit
tick_unit(int64_t span_ms)
{
	const int64_t day = 86400000;
	return span_ms <= 2 * day  ? FED_TZ_HOUR
	    : span_ms <= 62 * day  ? FED_TZ_DAY
	    : span_ms <= 800 * day ? FED_TZ_MONTH
	                           : FED_TZ_YEAR;
}

static void
tick_label(
    const struct geom *g, fed_tz_unit u, int64_t t, char *buf, size_t len)
{
	fed_tz_tm tm;
	fed_tz_localtime(g->c->tz, t, &tm);
	int en = g->c->lang == WEB_LANG_EN;
	if (u == FED_TZ_HOUR)
		snprintf(buf, len, en ? "%02d:00" : "%02dh", tm.hour);
	else if (u == FED_TZ_DAY)
		snprintf(buf, len, en ? "%02d-%02d" : "%02d/%02d",
		    en ? tm.month : tm.day, en ? tm.day : tm.month);
	else if (u == FED_TZ_MONTH)
		snprintf(buf, len, "%02d/%04d", tm.month, tm.year);
	else
		snprintf(buf, len, "%04d", tm.year);
}

static void
x_axis(web_buf *b, const struct geom *g)
{
	const web_svg_chart *c = g->c;
	fed_tz_unit u = tick_unit(c->to_ms - c->from_ms);
	size_t n = 0;
	int64_t first = fed_tz_floor(c->tz, c->from_ms, u);
	for (int64_t t = first; t < c->to_ms && n < 2000;
	     t = fed_tz_next(c->tz, t, u))
		n++;
	size_t every = n / (g->narrow ? 6 : 12) + 1;
	web_buf_printf(b,
	    "<g class=\"x-axis\" data-from=\"%lld\" "
	    "data-to=\"%lld\">",
	    (long long) c->from_ms, (long long) c->to_ms);
	size_t i = 0;
	for (int64_t t = first; t < c->to_ms && i < 2000;
	     t = fed_tz_next(c->tz, t, u), i++) {
		if (t < c->from_ms || i % every != 0)
			continue;
		char lab[32];
		tick_label(g, u, t, lab, sizeof(lab));
		double x = x_of(g, t);
		web_buf_printf(b,
		    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
		    "class=\"tick\"/><text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"middle\" class=\"tick-label\" "
		    "data-t=\"%lld\">%s</text>",
		    x, x, g->y0 + g->h, g->y0 + g->h + 4, x, g->y0 + g->h + 18,
		    (long long) t, lab);
	}
	web_buf_put(b, "</g>");
}

static int
incomplete(const web_svg_series *s, size_t i)
{
	return s->coverage != NULL && s->coverage[i] < 0.999;
}

// A bucket with nothing to draw: no data and no value. Coverage 0 with a
// value is an estimate (an index's energy spread over a gap, which the
// day's total holds): drawn, as incomplete, so that hours add up to days.
static int
empty(const web_svg_series *s, size_t i)
{
	return s->coverage != NULL && s->coverage[i] <= 0 && s->value[i] == 0;
}

static void
bar_title(web_buf *b, const struct geom *g, const web_svg_series *s, size_t i)
{
	char n[WEB_FMT_LEN], d[WEB_FMT_LEN];
	web_fmt_num(n, sizeof(n), g->c->lang, s->value[i] / g->scale, 2);
	web_fmt_datetime(d, sizeof(d), g->c->lang, g->c->tz, s->ts_ms[i]);
	web_buf_put(b, "<title>");
	web_buf_html(b, s->label);
	web_buf_printf(b, " %s: %s %s", d, n, g->unit);
	if (incomplete(s, i))
		web_buf_printf(b, " (%s, %.0f %%)",
		    web_tr(g->c->lang, WEB_S_INCOMPLETE),
		    s->coverage[i] * 100);
	web_buf_put(b, "</title>");
}

static void
draw_bars(web_buf *b, const struct geom *g, size_t si)
{
	const web_svg_series *s = &g->c->series[si];
	double slot = g->w * (double) g->c->bucket_ms
	    / (double) (g->c->to_ms - g->c->from_ms);
	double bw = fmax(1, slot * 0.8 / (double) g->c->n_series);
	for (size_t i = 0; i < s->n; i++) {
		if (empty(s, i))
			continue;
		if (s->ts_ms[i] < g->c->from_ms || s->ts_ms[i] >= g->c->to_ms)
			continue;
		double x
		    = x_of(g, s->ts_ms[i]) + slot * 0.1 + bw * (double) si;
		double y = y_of(g, s->value[i]);
		int inc = incomplete(s, i);
		web_buf_printf(b,
		    "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
		    "height=\"%.2f\" fill=\"",
		    x, y, bw, g->y0 + g->h - y);
		if (inc) {
			web_buf_put(b, "url(#hatch-");
			web_buf_html(b, g->c->id ? g->c->id : "chart");
			web_buf_put(b, g->narrow ? "-n" : "");
			web_buf_put(b, ")\" class=\"incomplete\">");
		} else {
			web_buf_printf(b, "%s\">", web_svg_color(s->color));
		}
		bar_title(b, g, s, i);
		web_buf_put(b, "</rect>");
	}
}

static void
draw_line(web_buf *b, const struct geom *g, size_t si)
{
	const web_svg_series *s = &g->c->series[si];
	const char *col = web_svg_color(s->color);
	int open = 0;
	double half = (double) g->c->bucket_ms / 2;
	for (size_t i = 0; i <= s->n; i++) {
		int have = i < s->n && !empty(s, i)
		    && s->ts_ms[i] >= g->c->from_ms
		    && s->ts_ms[i] < g->c->to_ms;
		if (!have) {
			if (open)
				web_buf_put(b, "\"/>");
			open = 0;
			continue;
		}
		double x = x_of(g, s->ts_ms[i] + (int64_t) half);
		if (!open)
			web_buf_printf(b,
			    "<polyline fill=\"none\" stroke=\"%s\" "
			    "stroke-width=\"2\" points=\"",
			    col);
		web_buf_printf(b, "%s%.1f,%.1f", open ? " " : "", x,
		    y_of(g, s->value[i]));
		open = 1;
	}
	for (size_t i = 0; i < s->n; i++)
		if (incomplete(s, i) && !empty(s, i))
			web_buf_printf(b,
			    "<circle class=\"incomplete\" cx=\"%.1f\" "
			    "cy=\"%.1f\" r=\"3\" fill=\"white\" "
			    "stroke=\"%s\"/>",
			    x_of(g, s->ts_ms[i] + (int64_t) half),
			    y_of(g, s->value[i]), col);
}

static int
valid(const web_svg_chart *c)
{
	if (c->tz == NULL || c->to_ms <= c->from_ms || c->bucket_ms <= 0
	    || c->n_series > MAX_SERIES || (c->n_series && !c->series))
		return 0;
	for (size_t i = 0; i < c->n_series; i++) {
		const web_svg_series *s = &c->series[i];
		if (s->n > 0 && (s->ts_ms == NULL || s->value == NULL))
			return 0;
	}
	return 1;
}

static void
open_svg(web_buf *b, const struct geom *g, int w, int h)
{
	const web_svg_chart *c = g->c;
	web_buf_printf(b,
	    "<svg class=\"chart%s\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" data-from=\"%lld\" data-to=\"%lld\" "
	    "data-n-series=\"%zu\" data-x0=\"%.1f\" data-x1=\"%.1f\" "
	    "data-y0=\"%.1f\" data-y1=\"%.1f\" data-div=\"%.17g\" "
	    "data-bucket=\"%lld\" data-unit=\"",
	    g->narrow ? " narrow" : "", w, h, (long long) c->from_ms,
	    (long long) c->to_ms, c->n_series, g->x0, g->x0 + g->w, g->y0,
	    g->y0 + g->h, g->scale, (long long) c->bucket_ms);
	web_buf_html(b, g->unit);
	if (c->per != NULL && c->per[0] != '\0') {
		web_buf_put(b, " ");
		web_buf_html(b, c->per);
	}
	web_buf_put(b, "\" data-tz=\"");
	web_buf_html(b, fed_tz_name(c->tz));
	web_buf_put(b, "\" role=\"img\" aria-label=\"");
	web_buf_html(b, c->title);
	web_buf_put(b, "\"");
	if (c->id != NULL) {
		web_buf_put(b, " id=\"");
		web_buf_html(b, c->id);
		web_buf_put(b, g->narrow ? "-n\"" : "\"");
	}
	// One pattern per chart, named after it: ids are unique in a page.
	web_buf_put(b, "><defs><pattern id=\"hatch-");
	web_buf_html(b, c->id ? c->id : "chart");
	web_buf_put(b, g->narrow ? "-n" : "");
	web_buf_put(b,
	    "\" width=\"6\" height=\"6\" "
	    "patternUnits=\"userSpaceOnUse\" "
	    "patternTransform=\"rotate(45)\"><rect width=\"6\" "
	    "height=\"6\" fill=\"#ddd\"/><line x1=\"0\" y1=\"0\" "
	    "x2=\"0\" y2=\"6\" stroke=\"#555\" "
	    "stroke-width=\"3\"/></pattern></defs>");
}

// The buckets of s as attributes, for the page's script: what a tooltip
// reads is what was drawn.
static void
series_data(web_buf *b, const web_svg_series *s)
{
	web_buf_put(b, " data-ts=\"");
	for (size_t i = 0; i < s->n; i++)
		web_buf_printf(
		    b, "%s%lld", i ? "," : "", (long long) s->ts_ms[i]);
	web_buf_put(b, "\" data-vs=\"");
	for (size_t i = 0; i < s->n; i++)
		web_buf_printf(b, "%s%.6g", i ? "," : "",
		    isfinite(s->value[i]) ? s->value[i] : 0);
	web_buf_put(b, "\" data-cs=\"");
	for (size_t i = 0; i < s->n; i++)
		web_buf_printf(b, "%s%.3g", i ? "," : "",
		    s->coverage != NULL ? s->coverage[i] : 1.0);
	web_buf_put(b, "\"");
}

static void
write_chart(web_buf *b, const web_svg_chart *c, int narrow)
{
	int w = c->width > 0 ? c->width : 960;
	int h = c->height > 0 ? c->height : 260;
	if (narrow) {
		w = NARROW_W;
		h = h * 3 / 2;
	}
	// The narrow chart's labels are larger in its units: the unit's
	// line needs more room above the top value.
	int top = narrow ? TOP + 12 : TOP;
	struct geom g = {.c = c,
	    .x0 = LEFT,
	    .w = w - LEFT - RIGHT,
	    .y0 = top,
	    .h = h - top - BOTTOM,
	    .vmax = 1,
	    .n_grid = 5,
	    .scale = 1,
	    .unit = "",
	    .narrow = narrow};
	pick_scale(&g);
	open_svg(b, &g, w, h);
	y_axis(b, &g);
	x_axis(b, &g);
	for (size_t s = 0; s < c->n_series; s++) {
		web_buf_printf(b,
		    "<g class=\"series\" data-color=\"%s\" "
		    "data-label=\"",
		    web_svg_color(c->series[s].color));
		web_buf_html(b, c->series[s].label);
		web_buf_put(b, "\"");
		series_data(b, &c->series[s]);
		web_buf_put(b, ">");
		if (c->kind == WEB_SVG_BARS)
			draw_bars(b, &g, s);
		else
			draw_line(b, &g, s);
		web_buf_put(b, "</g>");
	}
	web_buf_put(b, "</svg>");
}

fed_status
web_svg_chart_write(web_buf *b, const web_svg_chart *c)
{
	if (!valid(c))
		return FED_INVALID_ARGUMENT;
	write_chart(b, c, 0);
	return FED_OK;
}

fed_status
web_svg_chart_write_both(web_buf *b, const web_svg_chart *c)
{
	if (!valid(c))
		return FED_INVALID_ARGUMENT;
	write_chart(b, c, 0);
	write_chart(b, c, 1);
	return FED_OK;
}
