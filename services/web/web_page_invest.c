// SPDX-License-Identifier: MIT
//
// web_page_invest.c: the investor's pages: the dashboard (the investment
// widget and the last 30 days beside the household's consumption), the
// production detail (daily over a period, hourly for a day, with the
// sources of the figures) and the distribution of the investments. Every
// call to fed-invest carries the investor's own token, so that fed-invest
// itself decides what the investor may see; the series read from the
// nodes (the linked home's consumption, a project's sources) are read with
// the user's own node credentials (web_access.h).

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enfed/v1/invest.pb-c.h"
#include "fed/clock.h"
#include "fed/log.h"
#include "web_access.h"
#include "web_pages_internal.h"
#include "web_svg.h"

#define DAY_MS     INT64_C(86400000)
#define MAX_DAYS   400
#define CHART_DAYS 30

static fed_status
invest(web_ctx *c, const char *method, const void *req, void *reply, char *err,
    size_t len)
{
	return web_backend_invest(c->app->o.backend, c->session.invest_token,
	    method, req, (ProtobufCMessage **) reply, err, len);
}

// The summary's instant: ?at=ISO (for a reproducible page) or now.
static fed_status
summary_at(web_ctx *c, int64_t *at)
{
	const char *s = web_arg(c, "at");
	*at = fed_clock_now_ms();
	return s ? web_parse_date(c, s, at) : FED_OK;
}

// The energy table's columns: each cell carries its column's name
// (data-label), shown above it when the table turns into cards on a
// narrow screen.
static const web_str period_cols[4]
    = {WEB_S_TODAY, WEB_S_MONTH, WEB_S_YEAR, WEB_S_TOTAL};

static void
energy_row(web_ctx *c, const char *row, web_str label,
    const Enfed__V1__PeriodEnergy *e)
{
	web_buf_printf(c->b, "<tr data-row=\"%s\"><th scope=\"row\">%s</th>",
	    row, web_tr(c->lang, label));
	const double v[4]
	    = {e->today_wh, e->month_wh, e->year_wh, e->total_wh};
	const double cv[4] = {e->today_coverage, e->month_coverage,
	    e->year_coverage, e->total_coverage};
	for (int i = 0; i < 4; i++) {
		web_buf_printf(c->b, "<td data-label=\"%s\">",
		    web_tr(c->lang, period_cols[i]));
		web_put_energy(c, v[i], cv[i]);
		web_buf_put(c->b, "</td>");
	}
	web_buf_put(c->b, "</tr>");
}

static void
ratio_row(web_ctx *c, const Enfed__V1__PeriodRatio *r)
{
	web_buf_printf(c->b,
	    "<tr data-row=\"share\"><th scope=\"row\">%s</th>",
	    web_tr(c->lang, WEB_S_COVERED));
	const double v[4] = {r->today, r->month, r->year, r->total};
	for (int i = 0; i < 4; i++) {
		char t[WEB_FMT_LEN];
		web_fmt_pct(t, sizeof(t), c->lang, v[i]);
		web_buf_printf(c->b, "<td data-label=\"%s\">",
		    web_tr(c->lang, period_cols[i]));
		web_put_figure(c, "ratio", v[i], t);
		web_buf_put(c->b, "</td>");
	}
	web_buf_put(c->b, "</tr>");
}

static void
energy_table(web_ctx *c, const Enfed__V1__PeriodEnergy *att,
    const Enfed__V1__InvestorSummary *s)
{
	web_buf_printf(c->b,
	    "<table class=\"energy cards "
	    "pairs\"><thead><tr><th></th><th>%s</th>"
	    "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
	    web_tr(c->lang, WEB_S_TODAY), web_tr(c->lang, WEB_S_MONTH),
	    web_tr(c->lang, WEB_S_YEAR), web_tr(c->lang, WEB_S_TOTAL));
	energy_row(c, "attributed", WEB_S_MY_PRODUCTION, att);
	if (s != NULL && s->consumption != NULL) {
		energy_row(
		    c, "consumption", WEB_S_MY_CONSUMPTION, s->consumption);
		if (s->consumption_share != NULL)
			ratio_row(c, s->consumption_share);
	}
	web_buf_put(c->b, "</tbody></table>");
}

static void
figure_item(web_ctx *c, web_str label, const char *name, double exact,
    const char *text)
{
	web_buf_printf(c->b, "<dt>%s</dt><dd>", web_tr(c->lang, label));
	web_put_figure(c, name, exact, text);
	web_buf_put(c->b, "</dd>");
}

static void
money_and_surface(web_ctx *c, int64_t cents, double m2)
{
	char t[WEB_FMT_LEN + 8], n[WEB_FMT_LEN];
	web_fmt_eur(t, sizeof(t), c->lang, cents);
	figure_item(c, WEB_S_INVESTED, "invested_cents", (double) cents, t);
	web_fmt_num(n, sizeof(n), c->lang, m2, 2);
	snprintf(t, sizeof(t), "%s m²", n);
	figure_item(c, WEB_S_PANELS, "panel_m2", m2, t);
}

static void
project_links(web_ctx *c, const Enfed__V1__Project *p)
{
	web_buf b2;
	web_buf_init(&b2);
	web_buf_put(&b2, "/production?project=");
	web_buf_url(&b2, p->id);
	web_buf_put(
	    c->b, "<p class=\"links\"><a class=\"to-production\" href=\"");
	web_put_href(c, b2.data);
	web_buf_printf(
	    c->b, "\">%s</a> · <a href=\"", web_tr(c->lang, WEB_S_PRODUCTION));
	web_buf_fini(&b2);
	web_put_href(c, "/distribution");
	web_buf_printf(c->b, "\">%s</a>", web_tr(c->lang, WEB_S_DISTRIBUTION));
	const char *u = p->url;
	if (u != NULL
	    && (strncmp(u, "https://", 8) == 0
	        || strncmp(u, "http://", 7) == 0)) {
		web_buf_put(c->b,
		    " · <a class=\"project-url\" rel=\"noopener "
		    "noreferrer\" href=\"");
		web_buf_html(c->b, u);
		web_buf_printf(
		    c->b, "\">%s</a>", web_tr(c->lang, WEB_S_PROJECT_PAGE));
	}
	web_buf_put(c->b, "</p>");
}

static void
project_card(web_ctx *c, const Enfed__V1__ProjectSummary *ps)
{
	const Enfed__V1__Project *p = ps->project;
	char t[WEB_FMT_LEN];
	web_buf_put(c->b, "<article class=\"project\" data-project=\"");
	web_buf_html(c->b, p->id);
	web_buf_put(c->b, "\"><h3>");
	web_buf_html(c->b, p->name);
	web_buf_put(c->b, "</h3>");
	if (ps->unavailable != NULL && ps->unavailable[0] != '\0') {
		// One card says so; fed-invest's message (the node's) is for
		// the log and the curious, in a data- attribute.
		web_buf_put(
		    c->b, "<p class=\"unavailable\" data-unavailable=\"");
		web_buf_html(c->b, ps->unavailable);
		web_buf_printf(c->b, "\">%s</p>",
		    web_tr(c->lang, WEB_S_DATA_UNAVAILABLE));
	}
	web_buf_put(c->b, "<dl class=\"figures\">");
	snprintf(t, sizeof(t), "%u %s %u", ps->shares,
	    web_tr(c->lang, WEB_S_OF), p->total_shares);
	figure_item(c, WEB_S_SHARES, "shares", ps->shares, t);
	web_fmt_pct(t, sizeof(t), c->lang, ps->budget_fraction);
	figure_item(
	    c, WEB_S_BUDGET, "budget_fraction", ps->budget_fraction, t);
	money_and_surface(c, ps->invested_cents, ps->panel_m2);
	web_buf_put(c->b, "</dl>");
	if (ps->attributed != NULL
	    && (ps->unavailable == NULL || ps->unavailable[0] == '\0'))
		energy_table(c, ps->attributed, NULL);
	project_links(c, p);
	web_buf_put(c->b, "</article>");
}

static void
equivalents(web_ctx *c, const Enfed__V1__InvestorSummary *s)
{
	char t[WEB_FMT_LEN];
	web_buf_printf(c->b, "<p class=\"equiv\"><strong>%s</strong>%s ",
	    web_tr(c->lang, WEB_S_EQUIV), web_colon(c->lang));
	web_fmt_num(t, sizeof(t), c->lang, s->households_days, 1);
	web_put_figure(c, "households_days", s->households_days, t);
	web_buf_printf(c->b, " %s · ", web_tr(c->lang, WEB_S_HOUSEHOLD_DAYS));
	web_fmt_num(t, sizeof(t), c->lang, s->co2_avoided_kg, 1);
	web_put_figure(c, "co2_avoided_kg", s->co2_avoided_kg, t);
	web_buf_printf(c->b, " %s</p>", web_tr(c->lang, WEB_S_CO2));
}

static void
widget(web_ctx *c, const Enfed__V1__InvestorSummary *s)
{
	uint32_t shares = 0;
	for (size_t i = 0; i < s->n_projects; i++)
		shares += s->projects[i]->shares;
	web_buf_put(c->b,
	    "<section id=\"widget\" class=\"widget\" "
	    "data-investor=\"");
	web_buf_html(c->b, s->investor);
	web_buf_put(c->b, "\"><dl class=\"figures totals\">");
	char t[WEB_FMT_LEN];
	snprintf(t, sizeof(t), "%u", shares);
	figure_item(c, WEB_S_SHARES, "shares_total", shares, t);
	money_and_surface(c, s->invested_cents, s->panel_m2);
	web_buf_put(c->b, "</dl>");
	if (s->attributed != NULL)
		energy_table(c, s->attributed, s);
	if (s->factors != NULL) // none when read project by project
		equivalents(c, s);
	if (s->consumption_series != NULL && s->consumption_series[0]) {
		web_buf_printf(c->b,
		    "<p class=\"live\">%s%s <output "
		    "data-live-series=\"",
		    web_tr(c->lang, WEB_S_CURRENT_POWER), web_colon(c->lang));
		web_buf_html(c->b, s->consumption_series);
		web_buf_put(c->b, "\">…</output> · <a href=\"");
		web_put_href(c, "/self-consumption");
		web_buf_printf(c->b, "\">%s</a></p>",
		    web_tr(c->lang, WEB_S_SELF_CONSUMPTION));
	}
	web_buf_put(c->b, "</section>");
	for (size_t i = 0; i < s->n_projects; i++)
		project_card(c, s->projects[i]);
}

// The investor's share of each day, summed over the projects.
static fed_status
attributed_days(web_ctx *c, const Enfed__V1__InvestorSummary *s, int64_t from,
    int64_t to, double *days, double *cov, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cov[i] = 1;
	for (size_t p = 0; p < s->n_projects; p++) {
		if (s->projects[p]->unavailable != NULL
		    && s->projects[p]->unavailable[0] != '\0') {
			for (size_t i = 0; i < n; i++)
				cov[i] = 0; // its share of each day is unknown
			continue;
		}
		Enfed__V1__DetailRequest rq = ENFED__V1__DETAIL_REQUEST__INIT;
		Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
		r.from_ms = from;
		r.to_ms = to;
		rq.project_id = s->projects[p]->project->id;
		rq.range = &r;
		rq.step = ENFED__V1__STEP__STEP_DAY;
		Enfed__V1__DetailResponse *d = NULL;
		char err[256];
		FED_TRY(invest(c, "Detail", &rq, &d, err, sizeof(err)));
		const Enfed__V1__SeriesResult *a = d->attributed;
		for (size_t i = 0; a != NULL && i < a->n_value && i < n; i++) {
			days[i] += a->value[i];
			if (i < a->n_coverage)
				cov[i] = fmin(cov[i], a->coverage[i]);
		}
		enfed__v1__detail_response__free_unpacked(d, NULL);
	}
	return FED_OK;
}

// The linked consumption by day, from the first node that shows it to
// the user (none: no chart of it).
static Enfed__V1__QueryResponse *
consumption_days(web_ctx *c, const char *series, int64_t from, int64_t to)
{
	web_where w;
	Enfed__V1__SeriesInfo *info = NULL;
	char err[256];
	if (web_access_find(c->app->o.backend, &c->session, series, &w, &info,
	        err, sizeof(err))
	    != FED_OK)
		return NULL;
	enfed__v1__series_info__free_unpacked(info, NULL);
	char *ids[1] = {(char *) series};
	Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = from;
	r.to_ms = to;
	q.series_ids = ids;
	q.n_series_ids = 1;
	q.range = &r;
	q.step = ENFED__V1__STEP__STEP_DAY;
	q.agg = ENFED__V1__AGGREGATE__AGG_SUM;
	q.tz = (char *) fed_tz_name(c->app->o.tz);
	Enfed__V1__QueryResponse *rep = NULL;
	if (web_access_store(c->app->o.backend, &w, "Query", &q.base,
	        (ProtobufCMessage **) &rep, err, sizeof(err))
	    != FED_OK)
		return NULL;
	if (rep->n_results != 1) {
		enfed__v1__query_response__free_unpacked(rep, NULL);
		return NULL;
	}
	return rep;
}

static void
days_chart(web_ctx *c, const Enfed__V1__InvestorSummary *s, int64_t at)
{
	const fed_tz *tz = c->app->o.tz;
	int64_t to
	    = fed_tz_next(tz, fed_tz_floor(tz, at, FED_TZ_DAY), FED_TZ_DAY);
	int64_t from = fed_tz_floor(tz, to - CHART_DAYS * DAY_MS, FED_TZ_DAY);
	int64_t ts[CHART_DAYS + 2];
	double v[CHART_DAYS + 2] = {0}, cv[CHART_DAYS + 2];
	size_t n = 0;
	for (int64_t t = from; t < to && n < CHART_DAYS + 2;
	     t = fed_tz_next(tz, t, FED_TZ_DAY))
		ts[n++] = t;
	if (attributed_days(c, s, from, to, v, cv, n) != FED_OK)
		return;
	web_svg_series se[2]
	    = {{web_tr(c->lang, WEB_S_MY_PRODUCTION), ts, v, cv, n, 2}};
	size_t n_series = 1;
	Enfed__V1__QueryResponse *q = NULL;
	if (s->consumption_series && s->consumption_series[0])
		q = consumption_days(c, s->consumption_series, from, to);
	if (q != NULL) {
		const Enfed__V1__SeriesResult *r = q->results[0];
		se[1]
		    = (web_svg_series) {web_tr(c->lang, WEB_S_MY_CONSUMPTION),
		        r->ts_ms, r->value, r->coverage, r->n_value, 1};
		if (r->n_ts_ms == r->n_value && r->n_coverage == r->n_value)
			n_series = 2;
	}
	// One chart each, on the same days: the production of a few shares
	// is a small fraction of a household's use and would not show on
	// the consumption's scale.
	web_svg_chart ch = {"days", web_tr(c->lang, WEB_S_LAST_30), "Wh", from,
	    to, DAY_MS, WEB_SVG_BARS, se, 1, tz, c->lang, 960, 200,
	    web_tr(c->lang, WEB_S_PER_DAY)};
	web_buf_printf(c->b, "<section class=\"days\"><h2>%s</h2>",
	    web_tr(c->lang, WEB_S_LAST_30));
	for (size_t i = 0; i < n_series; i++) {
		web_buf_printf(c->b,
		    "<h3><span class=\"key c%d\">■</span> %s</h3>",
		    se[i].color, se[i].label);
		ch.id = i == 0 ? "days-production" : "days-consumption";
		ch.title = se[i].label;
		ch.series = &se[i];
		web_svg_chart_write_both(c->b, &ch);
	}
	web_buf_put(c->b, "</section>");
	if (q != NULL)
		enfed__v1__query_response__free_unpacked(q, NULL);
}

void
web_page_dashboard(web_ctx *c)
{
	int64_t at;
	if (summary_at(c, &at) != FED_OK) {
		web_page_error(c, 400, web_tr(c->lang, WEB_S_BAD_AT_TIME));
		return;
	}
	Enfed__V1__SummaryRequest rq = ENFED__V1__SUMMARY_REQUEST__INIT;
	rq.investor = c->session.investor;
	rq.at_ms = at;
	rq.tz = (char *) fed_tz_name(c->app->o.tz);
	Enfed__V1__InvestorSummary *s = NULL;
	char err[512];
	fed_status st = invest(c, "Summary", &rq, &s, err, sizeof(err));
	if (st != FED_OK) {
		web_page_rpc_error(c, st, err);
		return;
	}
	web_page_begin(c, WEB_S_DASHBOARD, NULL);
	web_buf_put(c->b,
	    "<script src=\"/static/curves.js\" defer></script>"); // tooltips
	if (s->n_projects == 0)
		web_buf_printf(
		    c->b, "<p>%s</p>", web_tr(c->lang, WEB_S_NO_HOLDING));
	widget(c, s);
	days_chart(c, s, at);
	web_page_end(c);
	enfed__v1__investor_summary__free_unpacked(s, NULL);
}

// --- Production detail -----------------------------------------------------

struct period {
	int64_t from, to;
	int hourly;
};

static const char *
parse_period(web_ctx *c, struct period *p)
{
	const fed_tz *tz = c->app->o.tz;
	const char *day = web_arg(c, "day");
	p->hourly = 0;
	const char *from = web_arg(c, "from"), *to = web_arg(c, "to");
	if (day != NULL && day[0] != '\0') {
		if (web_parse_date(c, day, &p->from) != FED_OK)
			return web_tr(c->lang, WEB_S_BAD_DAY);
		p->from = fed_tz_floor(tz, p->from, FED_TZ_DAY);
		p->to = fed_tz_next(tz, p->from, FED_TZ_DAY);
		p->hourly = 1;
		return NULL;
	}
	int64_t today = fed_tz_floor(tz, fed_clock_now_ms(), FED_TZ_DAY);
	p->to = fed_tz_next(tz, today, FED_TZ_DAY);
	p->from = fed_tz_floor(tz, p->to - CHART_DAYS * DAY_MS, FED_TZ_DAY);
	if (from != NULL && from[0]
	    && web_parse_date(c, from, &p->from) != FED_OK)
		return web_tr(c->lang, WEB_S_BAD_RANGE);
	if (to != NULL && to[0] && web_parse_date(c, to, &p->to) != FED_OK)
		return web_tr(c->lang, WEB_S_BAD_RANGE);
	if (to != NULL && to[0]) // the last day shown is included
		p->to = fed_tz_next(
		    tz, fed_tz_floor(tz, p->to, FED_TZ_DAY), FED_TZ_DAY);
	p->from = fed_tz_floor(tz, p->from, FED_TZ_DAY);
	if (p->from >= p->to)
		return web_tr(c->lang, WEB_S_BAD_PERIOD_ORDER);
	if (p->to - p->from > MAX_DAYS * DAY_MS)
		return web_tr(c->lang, WEB_S_BAD_PERIOD_LONG);
	return NULL;
}

static void
period_form(web_ctx *c, const char *project, const struct period *p)
{
	char f[16], t[16];
	web_fmt_isodate(f, sizeof(f), c->app->o.tz, p->from);
	web_fmt_isodate(t, sizeof(t), c->app->o.tz, p->to - 1);
	web_buf_put(c->b,
	    "<form method=\"get\" class=\"period\"><input "
	    "type=\"hidden\" name=\"project\" value=\"");
	web_buf_html(c->b, project);
	web_buf_printf(c->b,
	    "\"><input type=\"hidden\" name=\"lang\" "
	    "value=\"%s\"><label>%s <input type=\"date\" "
	    "name=\"from\" value=\"%s\"></label> <label>%s "
	    "<input type=\"date\" name=\"to\" value=\"%s\">"
	    "</label> <label>%s <input type=\"date\" "
	    "name=\"day\"></label> <button>%s</button></form>",
	    web_lang_code(c->lang), web_tr(c->lang, WEB_S_FROM), f,
	    web_tr(c->lang, WEB_S_TO), t, web_tr(c->lang, WEB_S_DAY),
	    web_tr(c->lang, WEB_S_SHOW));
}

static void
bucket_label(web_ctx *c, const char *project, int64_t t, int hourly)
{
	char d[WEB_FMT_LEN];
	if (hourly) {
		fed_tz_tm tm;
		fed_tz_localtime(c->app->o.tz, t, &tm);
		web_buf_printf(c->b, "%02d:%02d", tm.hour, tm.minute);
		return;
	}
	web_fmt_date(d, sizeof(d), c->lang, c->app->o.tz, t);
	char iso[16];
	web_fmt_isodate(iso, sizeof(iso), c->app->o.tz, t);
	web_buf b2;
	web_buf_init(&b2);
	web_buf_put(&b2, "/production?project=");
	web_buf_url(&b2, project);
	web_buf_printf(&b2, "&day=%s", iso);
	web_buf_put(c->b, "<a href=\"");
	web_put_href(c, b2.data);
	web_buf_printf(c->b, "\">%s</a>", d);
	web_buf_fini(&b2);
}

static void
detail_row(web_ctx *c, const char *project, int64_t t, int hourly, double wh,
    double cov, double share)
{
	web_buf_printf(c->b, "<tr%s data-t=\"%lld\"><th scope=\"row\">",
	    cov < 0.999 ? " class=\"incomplete\"" : "", (long long) t);
	bucket_label(c, project, t, hourly);
	web_buf_printf(c->b, "</th><td data-label=\"%s\">",
	    web_tr(c->lang, WEB_S_PROJECT_PROD));
	web_put_energy(c, wh, cov);
	web_buf_printf(c->b,
	    "</td><td data-label=\"%s\">%.0f %%%s</td><td "
	    "data-label=\"%s\">",
	    web_tr(c->lang, WEB_S_COVERAGE), cov * 100,
	    cov <= 0          ? " — "
	        : cov < 0.999 ? " ⚠"
	                      : "",
	    web_tr(c->lang, WEB_S_MY_SHARE));
	if (cov <= 0)
		web_buf_html(c->b, web_tr(c->lang, WEB_S_NO_DATA));
	web_put_energy(c, share, cov);
	web_buf_put(c->b, "</td></tr>");
}

// Every bucket of the period gets a row: the node leaves out those
// without data, which are shown as such, never as a zero.
static void
detail_table(web_ctx *c, const char *project,
    const Enfed__V1__DetailResponse *d, const struct period *per)
{
	const Enfed__V1__SeriesResult *pr = d->production, *at = d->attributed;
	const fed_tz *tz = c->app->o.tz;
	fed_tz_unit u = per->hourly ? FED_TZ_HOUR : FED_TZ_DAY;
	web_buf_printf(c->b,
	    "<table class=\"detail cards "
	    "pairs\"><thead><tr><th>%s</th><th>%s</th>"
	    "<th>%s</th><th>%s</th></tr></thead><tbody>",
	    web_tr(c->lang, per->hourly ? WEB_S_HOUR : WEB_S_DATE),
	    web_tr(c->lang, WEB_S_PROJECT_PROD),
	    web_tr(c->lang, WEB_S_COVERAGE), web_tr(c->lang, WEB_S_MY_SHARE));
	double sum = 0, sum_at = 0;
	size_t i = 0, n = pr->n_value;
	if (pr->n_ts_ms < n)
		n = pr->n_ts_ms;
	for (int64_t t = per->from; t < per->to; t = fed_tz_next(tz, t, u)) {
		while (i < n && pr->ts_ms[i] < t)
			i++;
		int have = i < n && pr->ts_ms[i] == t;
		double wh = have ? pr->value[i] : 0;
		double cov = have && i < pr->n_coverage ? pr->coverage[i] : 0;
		double a = have && at && i < at->n_value ? at->value[i] : 0;
		detail_row(c, project, t, per->hourly, wh, cov, a);
		sum += wh;
		sum_at += a;
	}
	web_buf_printf(c->b,
	    "</tbody><tfoot><tr><th scope=\"row\">%s</th><td "
	    "data-label=\"%s\">",
	    web_tr(c->lang, WEB_S_TOTAL_ROW),
	    web_tr(c->lang, WEB_S_PROJECT_PROD));
	web_put_energy(c, sum, 1);
	web_buf_printf(c->b, "</td><td></td><td data-label=\"%s\">",
	    web_tr(c->lang, WEB_S_MY_SHARE));
	web_put_energy(c, sum_at, 1);
	web_buf_put(c->b, "</td></tr></tfoot></table>");
}

static void
detail_chart(
    web_ctx *c, const Enfed__V1__DetailResponse *d, const struct period *p)
{
	const Enfed__V1__SeriesResult *pr = d->production, *at = d->attributed;
	if (pr->n_ts_ms != pr->n_value || pr->n_coverage != pr->n_value)
		return;
	web_svg_series se[2] = {
	    {web_tr(c->lang, WEB_S_PROJECT_PROD), pr->ts_ms, pr->value,
	        pr->coverage, pr->n_value, 0},
	};
	size_t n = 1;
	if (at != NULL && at->n_value == pr->n_value) {
		se[1] = (web_svg_series) {web_tr(c->lang, WEB_S_MY_SHARE),
		    pr->ts_ms, at->value, pr->coverage, at->n_value, 1};
		n = 2;
	}
	web_svg_chart ch
	    = {"production-chart", web_tr(c->lang, WEB_S_PROJECT_PROD), "Wh",
	        p->from, p->to, p->hourly ? DAY_MS / 24 : DAY_MS, WEB_SVG_BARS,
	        se, 1, c->app->o.tz, c->lang, 0, 0,
	        web_tr(c->lang, p->hourly ? WEB_S_PER_HOUR : WEB_S_PER_DAY)};
	web_svg_chart_write_both(c->b, &ch);
	if (n == 2) { // the share is a small fraction: its own scale
		ch.id = "share-chart";
		ch.title = web_tr(c->lang, WEB_S_MY_SHARE);
		ch.series = &se[1];
		ch.height = 180;
		web_buf_printf(
		    c->b, "<h3>%s</h3>", web_tr(c->lang, WEB_S_MY_SHARE));
		web_svg_chart_write_both(c->b, &ch);
	}
}

static void
source_item(web_ctx *c, web_str label, const char *value)
{
	web_buf_printf(c->b, "<dt>%s</dt><dd>", web_tr(c->lang, label));
	web_buf_html(c->b, value && value[0] ? value : "—");
	web_buf_put(c->b, "</dd>");
}

static void
sources(web_ctx *c, const Enfed__V1__Project *p)
{
	web_buf_printf(c->b, "<section class=\"sources\"><h2>%s</h2><dl>",
	    web_tr(c->lang, WEB_S_SOURCES));
	source_item(c, WEB_S_SERIES, p->series_id);
	source_item(c, WEB_S_NODE, p->series_node);
	source_item(c, WEB_S_ORGANISATION, p->organisation);
	web_where w;
	Enfed__V1__SeriesInfo *info = NULL;
	char err[256];
	// Read on the project's own node first: a replicated series says
	// where it came from only there (its origin holds it as its own).
	if (p->series_id && p->series_id[0]
	    && (web_access_find_at(c->app->o.backend, &c->session,
	            p->series_node, p->series_id, &w, &info)
	            == FED_OK
	        || web_access_find(c->app->o.backend, &c->session,
	               p->series_id, &w, &info, err, sizeof(err))
	            == FED_OK)) {
		const Enfed__V1__SeriesMeta *m = info->meta;
		char t[WEB_FMT_LEN];
		web_fmt_datetime(
		    t, sizeof(t), c->lang, c->app->o.tz, info->last_ms);
		web_buf_printf(c->b,
		    "<dt>%s</dt><dd data-last-ms=\"%lld\">%s</dd>",
		    web_tr(c->lang, WEB_S_LAST_UPDATE),
		    (long long) info->last_ms, info->last_ms ? t : "—");
		source_item(c, WEB_S_METER, m ? m->source : "");
		source_item(c, WEB_S_OWNER, m ? m->owner : "");
		source_item(c, WEB_S_ORIGIN, m ? m->origin_node : "");
		enfed__v1__series_info__free_unpacked(info, NULL);
	}
	web_buf_put(c->b, "<dt>fed-invest</dt><dd>");
	web_buf_html(c->b, c->app->o.invest_url);
	web_buf_put(c->b, "</dd></dl></section>");
}

// The project shown: ?project=ID, else the investor's first holding.
static fed_status
pick_project(web_ctx *c, char *id, size_t len, char *err, size_t err_len)
{
	const char *p = web_arg(c, "project");
	if (p != NULL) {
		if (!web_is_ident(p, 100, 0, 0)) {
			snprintf(err, err_len, "%s",
			    web_tr(c->lang, WEB_S_BAD_PROJECT_ID));
			return FED_INVALID_ARGUMENT;
		}
		snprintf(id, len, "%s", p);
		return FED_OK;
	}
	Enfed__V1__ListInvestmentsRequest rq
	    = ENFED__V1__LIST_INVESTMENTS_REQUEST__INIT;
	rq.investor = c->session.investor;
	Enfed__V1__ListInvestmentsResponse *r = NULL;
	FED_TRY(invest(c, "ListInvestments", &rq, &r, err, err_len));
	fed_status st = r->n_investments ? FED_OK : FED_NOT_FOUND;
	if (st == FED_OK)
		snprintf(id, len, "%s", r->investments[0]->project_id);
	else
		snprintf(
		    err, err_len, "%s", web_tr(c->lang, WEB_S_NO_HOLDING));
	enfed__v1__list_investments_response__free_unpacked(r, NULL);
	return st;
}

static void
production_body(web_ctx *c, const Enfed__V1__Project *p,
    const Enfed__V1__DetailResponse *d, const struct period *per)
{
	web_page_begin(c, WEB_S_PRODUCTION, p->name);
	web_buf_put(c->b,
	    "<script src=\"/static/curves.js\" defer></script>"); // tooltips
	period_form(c, p->id, per);
	char f[WEB_FMT_LEN], t[WEB_FMT_LEN];
	web_fmt_date(f, sizeof(f), c->lang, c->app->o.tz, per->from);
	web_fmt_date(t, sizeof(t), c->lang, c->app->o.tz, per->to - 1);
	web_buf_printf(c->b,
	    "<p class=\"period\" data-from=\"%lld\" "
	    "data-to=\"%lld\">%s %s %s %s · %s ",
	    (long long) per->from, (long long) per->to,
	    web_tr(c->lang, WEB_S_FROM), f, web_tr(c->lang, WEB_S_TO), t,
	    web_tr(c->lang, WEB_S_BUDGET));
	web_fmt_pct(f, sizeof(f), c->lang, d->budget_fraction);
	web_put_figure(c, "budget_fraction", d->budget_fraction, f);
	web_buf_put(c->b, "</p>");
	detail_chart(c, d, per);
	detail_table(c, p->id, d, per);
	sources(c, p);
	web_page_end(c);
}

void
web_page_production(web_ctx *c)
{
	char id[128], err[512];
	struct period per;
	const char *bad = parse_period(c, &per);
	if (bad != NULL) {
		web_page_error(c, 400, bad);
		return;
	}
	fed_status st = pick_project(c, id, sizeof(id), err, sizeof(err));
	Enfed__V1__ProjectRequest pr = ENFED__V1__PROJECT_REQUEST__INIT;
	pr.id = id;
	Enfed__V1__Project *p = NULL;
	if (st == FED_OK)
		st = invest(c, "GetProject", &pr, &p, err, sizeof(err));
	Enfed__V1__DetailRequest rq = ENFED__V1__DETAIL_REQUEST__INIT;
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = per.from;
	r.to_ms = per.to;
	rq.project_id = id;
	rq.range = &r;
	rq.step = per.hourly ? ENFED__V1__STEP__STEP_HOUR
	                     : ENFED__V1__STEP__STEP_DAY;
	rq.tz = (char *) fed_tz_name(c->app->o.tz);
	Enfed__V1__DetailResponse *d = NULL;
	if (st == FED_OK)
		st = invest(c, "Detail", &rq, &d, err, sizeof(err));
	if (st != FED_OK || d->production == NULL)
		web_page_rpc_error(c, st != FED_OK ? st : FED_INTERNAL, err);
	else
		production_body(c, p, d, &per);
	if (p != NULL)
		enfed__v1__project__free_unpacked(p, NULL);
	if (d != NULL)
		enfed__v1__detail_response__free_unpacked(d, NULL);
}

// --- Distribution
// ------------------------------------------------------------

// A horizontal bar split in parts (fractions of 1), with a label each;
// hidden from screen readers, which read the same figures in the table.
static void
split_bar(web_ctx *c, const char *cls, const double *f, const char **labels,
    size_t n)
{
	web_buf_printf(c->b,
	    "<svg class=\"split %s\" viewBox=\"0 0 960 40\" "
	    "xmlns=\"http://www.w3.org/2000/svg\" "
	    "aria-hidden=\"true\">",
	    cls);
	double x = 0;
	for (size_t i = 0; i < n; i++) {
		double w = 960 * fmax(0, fmin(1, f[i]));
		web_buf_printf(c->b,
		    "<rect x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"40\" "
		    "fill=\"%s\" stroke=\"white\"><title>",
		    x, w, labels[i] ? web_svg_color((int) i) : "#ccc");
		web_buf_html(c->b, labels[i] ? labels[i] : "");
		web_buf_printf(c->b, " %.2f %%</title></rect>", f[i] * 100);
		x += w;
	}
	web_buf_put(c->b, "</svg>");
}

static void
money_split(web_ctx *c, const Enfed__V1__InvestorSummary *s)
{
	double f[32] = {0};
	const char *labels[32] = {0};
	size_t n = s->n_projects < 32 ? s->n_projects : 32;
	web_buf_printf(c->b, "<section class=\"money\"><h2>%s</h2>",
	    web_tr(c->lang, WEB_S_MY_MONEY));
	for (size_t i = 0; i < n; i++) {
		f[i] = s->projects[i]->portfolio_fraction;
		labels[i] = s->projects[i]->project->name;
	}
	split_bar(c, "portfolio", f, labels, n);
	web_buf_printf(c->b,
	    "<table class=\"money cards\"><thead><tr><th>%s</th><th>%s</th>"
	    "<th>%s</th></tr></thead><tbody>",
	    web_tr(c->lang, WEB_S_PROJECT), web_tr(c->lang, WEB_S_INVESTED),
	    web_tr(c->lang, WEB_S_PORTFOLIO));
	for (size_t i = 0; i < n; i++) {
		char t[WEB_FMT_LEN];
		web_buf_printf(c->b,
		    "<tr><td data-label=\"%s\"><span class=\"key "
		    "c%zu\">■</span> ",
		    web_tr(c->lang, WEB_S_PROJECT), i);
		web_buf_html(c->b, labels[i]);
		web_buf_printf(c->b, "</td><td data-label=\"%s\">",
		    web_tr(c->lang, WEB_S_INVESTED));
		web_fmt_eur(
		    t, sizeof(t), c->lang, s->projects[i]->invested_cents);
		web_put_figure(c, "invested_cents",
		    (double) s->projects[i]->invested_cents, t);
		web_fmt_pct(t, sizeof(t), c->lang, f[i]);
		web_buf_printf(c->b, "</td><td data-label=\"%s\">",
		    web_tr(c->lang, WEB_S_PORTFOLIO));
		web_put_figure(c, "portfolio_fraction", f[i], t);
		web_buf_put(c->b, "</td></tr>");
	}
	web_buf_put(c->b, "</tbody></table></section>");
}

static void
holders(web_ctx *c, const Enfed__V1__Project *p,
    const Enfed__V1__ProjectDistribution *d)
{
	double f[65] = {0};
	const char *labels[65] = {0};
	size_t n = 0;
	for (size_t i = 0; i < d->n_holders && n < 64; i++, n++) {
		const Enfed__V1__Holder *h = d->holders[i];
		f[n] = h->budget_fraction;
		int me = h->investor
		    && strcmp(h->investor, c->session.investor) == 0;
		labels[n] = web_tr(c->lang, me ? WEB_S_ME : WEB_S_ANONYMOUS);
	}
	f[n] = d->total_shares ? (double) d->shares_available / d->total_shares
	                       : 0;
	labels[n++] = NULL;
	web_buf_put(c->b, "<article class=\"holders\" data-project=\"");
	web_buf_html(c->b, p->id);
	web_buf_put(c->b, "\"><h3>");
	web_buf_html(c->b, p->name);
	web_buf_printf(c->b, "</h3><p>%u %s %u · ", d->shares_held,
	    web_tr(c->lang, WEB_S_OF), d->total_shares);
	web_put_figure(c, "shares_available", d->shares_available, "");
	web_buf_printf(c->b, "%u %s</p>", d->shares_available,
	    web_tr(c->lang, WEB_S_AVAILABLE));
	split_bar(c, "holders", f, labels, n);
	web_buf_put(c->b, "<ol class=\"holder-list\">");
	for (size_t i = 0; i + 1 < n; i++)
		web_buf_printf(c->b, "<li data-shares=\"%u\">%s: %u</li>",
		    d->holders[i]->shares, labels[i], d->holders[i]->shares);
	web_buf_put(c->b, "</ol></article>");
}

void
web_page_distribution(web_ctx *c)
{
	Enfed__V1__SummaryRequest rq = ENFED__V1__SUMMARY_REQUEST__INIT;
	rq.investor = c->session.investor;
	Enfed__V1__InvestorSummary *s = NULL;
	char err[512];
	fed_status st = invest(c, "Summary", &rq, &s, err, sizeof(err));
	if (st != FED_OK) {
		web_page_rpc_error(c, st, err);
		return;
	}
	web_page_begin(c, WEB_S_DISTRIBUTION, NULL);
	money_split(c, s);
	web_buf_printf(
	    c->b, "<section><h2>%s</h2>", web_tr(c->lang, WEB_S_HOLDERS));
	for (size_t i = 0; i < s->n_projects; i++) {
		Enfed__V1__ProjectRequest pr
		    = ENFED__V1__PROJECT_REQUEST__INIT;
		pr.id = s->projects[i]->project->id;
		Enfed__V1__ProjectDistribution *d = NULL;
		if (invest(c, "Distribution", &pr, &d, err, sizeof(err))
		    != FED_OK) {
			web_put_error(c, err);
			continue;
		}
		holders(c, s->projects[i]->project, d);
		enfed__v1__project_distribution__free_unpacked(d, NULL);
	}
	web_buf_put(c->b, "</section>");
	web_page_end(c);
	enfed__v1__investor_summary__free_unpacked(s, NULL);
}
