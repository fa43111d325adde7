// SPDX-License-Identifier: MIT
//
// web_page_self.c: self-consumption for a household that invests
// (/self-consumption?day=YYYY-MM-DD): hour by hour, the household's
// consumption, the production its shares were attributed, and how much
// of the consumption that production covered (the smaller of the two).
//
// Whose data, read with whose credentials: the attributed production is
// fed-invest's figure (Detail, called with the investor's own fed-invest
// token: fed-invest counts it from each holding's start); the consumption
// is the household's own series, read with the household's own node
// credentials (web_access.h), never with fed-invest's or anyone else's. A
// user whose credentials do not show the linked series gets no chart of
// it, and is told so.

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enfed/v1/invest.pb-c.h"
#include "fed/clock.h"
#include "web_access.h"
#include "web_pages_internal.h"
#include "web_svg.h"

#define HOURS_MAX 26 // a local day, 23 to 25 hours

struct day {
	int64_t from, to;
	int64_t ts[HOURS_MAX];
	double prod[HOURS_MAX], cons[HOURS_MAX], cov[HOURS_MAX];
	size_t n;
};

// The hour whose start is t, or -1.
static int
slot(const struct day *d, int64_t t)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->ts[i] == t)
			return (int) i;
	return -1;
}

// The investor's share of each hour, summed over its projects (those
// whose data fed-invest could read).
static fed_status
attributed(web_ctx *c, const Enfed__V1__InvestorSummary *s, struct day *d,
    char *err, size_t len)
{
	for (size_t p = 0; p < s->n_projects; p++) {
		const Enfed__V1__ProjectSummary *ps = s->projects[p];
		if (ps->unavailable != NULL && ps->unavailable[0] != '\0')
			continue;
		Enfed__V1__DetailRequest rq = ENFED__V1__DETAIL_REQUEST__INIT;
		Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
		r.from_ms = d->from;
		r.to_ms = d->to;
		rq.investor = c->session.investor;
		rq.project_id = ps->project->id;
		rq.range = &r;
		rq.step = ENFED__V1__STEP__STEP_HOUR;
		rq.tz = (char *) fed_tz_name(c->app->o.tz);
		Enfed__V1__DetailResponse *dr = NULL;
		FED_TRY(web_backend_invest(c->app->o.backend,
		    c->session.invest_token, "Detail", &rq.base,
		    (ProtobufCMessage **) &dr, err, len));
		const Enfed__V1__SeriesResult *a = dr->attributed;
		const Enfed__V1__SeriesResult *pr = dr->production;
		for (size_t i = 0;
		     a && pr && i < a->n_value && i < pr->n_ts_ms; i++) {
			int k = slot(d, pr->ts_ms[i]);
			if (k >= 0)
				d->prod[k] += a->value[i];
		}
		enfed__v1__detail_response__free_unpacked(dr, NULL);
	}
	return FED_OK;
}

// The household's consumption by hour, with the user's own credentials.
// NOT_FOUND when they do not show it.
static fed_status
consumption(web_ctx *c, const char *series, struct day *d)
{
	web_where w;
	Enfed__V1__SeriesInfo *info = NULL;
	char err[256];
	FED_TRY(web_access_find(c->app->o.backend, &c->session, series, &w,
	    &info, err, sizeof(err)));
	enfed__v1__series_info__free_unpacked(info, NULL);
	char *ids[1] = {(char *) series};
	Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = d->from;
	r.to_ms = d->to;
	q.series_ids = ids;
	q.n_series_ids = 1;
	q.range = &r;
	q.step = ENFED__V1__STEP__STEP_HOUR;
	q.agg = ENFED__V1__AGGREGATE__AGG_SUM;
	q.tz = (char *) fed_tz_name(c->app->o.tz);
	Enfed__V1__QueryResponse *rep = NULL;
	FED_TRY(web_access_store(c->app->o.backend, &w, "Query", &q.base,
	    (ProtobufCMessage **) &rep, err, sizeof(err)));
	const Enfed__V1__SeriesResult *res
	    = rep->n_results == 1 ? rep->results[0] : NULL;
	for (size_t i = 0; res && i < res->n_value && i < res->n_ts_ms; i++) {
		int k = slot(d, res->ts_ms[i]);
		if (k >= 0) {
			d->cons[k] = res->value[i];
			d->cov[k] = i < res->n_coverage ? res->coverage[i] : 1;
		}
	}
	enfed__v1__query_response__free_unpacked(rep, NULL);
	return FED_OK;
}

static void
hours_table(web_ctx *c, const struct day *d)
{
	web_buf_printf(c->b,
	    "<table class=\"self cards "
	    "pairs\"><caption>%s</caption><thead><tr>"
	    "<th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
	    "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr>"
	    "</thead><tbody>",
	    web_tr(c->lang, WEB_S_SELF_CONSUMPTION),
	    web_tr(c->lang, WEB_S_HOUR), web_tr(c->lang, WEB_S_MY_CONSUMPTION),
	    web_tr(c->lang, WEB_S_MY_PRODUCTION),
	    web_tr(c->lang, WEB_S_COVERED_PART));
	for (size_t i = 0; i < d->n; i++) {
		double covered = fmin(d->prod[i], d->cons[i]);
		double share = d->cons[i] > 0 ? covered / d->cons[i] : 0;
		char h[WEB_FMT_LEN], pct[WEB_FMT_LEN];
		web_fmt_datetime(
		    h, sizeof(h), c->lang, c->app->o.tz, d->ts[i]);
		web_fmt_pct(pct, sizeof(pct), c->lang, share);
		web_buf_printf(c->b,
		    "<tr data-t=\"%lld\"><th scope=\"row\">%s</th><td "
		    "data-label=\"%s\">",
		    (long long) d->ts[i], h,
		    web_tr(c->lang, WEB_S_MY_CONSUMPTION));
		web_put_energy(c, d->cons[i], d->cov[i]);
		web_buf_printf(c->b, "</td><td data-label=\"%s\">",
		    web_tr(c->lang, WEB_S_MY_PRODUCTION));
		web_put_energy(c, d->prod[i], 1);
		web_buf_printf(c->b,
		    "</td><td data-label=\"%s\" data-covered-wh=\"%.17g\" "
		    "data-share=\"%.17g\">%s</td></tr>",
		    web_tr(c->lang, WEB_S_COVERED_PART), covered, share,
		    d->cons[i] > 0 ? pct : "—");
	}
	web_buf_put(c->b, "</tbody></table>");
}

static void
self_body(web_ctx *c, const struct day *d, int have_cons)
{
	char t[WEB_FMT_LEN];
	web_fmt_date(t, sizeof(t), c->lang, c->app->o.tz, d->from);
	web_page_begin(c, WEB_S_SELF_CONSUMPTION, NULL);
	web_buf_put(c->b,
	    "<script src=\"/static/curves.js\" defer></script>"); // tooltips
	web_buf_put(
	    c->b, "<form method=\"get\" action=\"/self-consumption\">");
	web_buf_printf(c->b,
	    "<label>%s <input type=\"date\" name=\"day\" value=\"",
	    web_tr(c->lang, WEB_S_DAY));
	char iso[16];
	web_fmt_isodate(iso, sizeof(iso), c->app->o.tz, d->from);
	web_buf_printf(c->b,
	    "%s\"></label><input type=\"hidden\" name=\"lang\" value=\"%s\"> "
	    "<button>%s</button></form><p>%s</p>",
	    iso, web_lang_code(c->lang), web_tr(c->lang, WEB_S_SHOW),
	    web_tr(c->lang, WEB_S_SELF_EXPLAIN));
	if (!have_cons) {
		web_buf_printf(c->b, "<p class=\"none\">%s</p>",
		    web_tr(c->lang, WEB_S_NO_DATA));
		web_page_end(c);
		return;
	}
	double cons = 0, covered = 0;
	for (size_t i = 0; i < d->n; i++) {
		cons += d->cons[i];
		covered += fmin(d->prod[i], d->cons[i]);
	}
	web_fmt_pct(t, sizeof(t), c->lang, cons > 0 ? covered / cons : 0);
	web_buf_printf(c->b, "<p class=\"self-total\">%s%s ",
	    web_tr(c->lang, WEB_S_COVERED_PART), web_colon(c->lang));
	web_put_figure(c, "self_share", cons > 0 ? covered / cons : 0, t);
	web_buf_put(c->b, "</p>");
	web_svg_series se[2] = {{web_tr(c->lang, WEB_S_MY_CONSUMPTION), d->ts,
	                            d->cons, d->cov, d->n, 1},
	    {web_tr(c->lang, WEB_S_MY_PRODUCTION), d->ts, d->prod, NULL, d->n,
	        2}};
	web_svg_chart ch
	    = {"self-chart", web_tr(c->lang, WEB_S_SELF_CONSUMPTION), "Wh",
	        d->from, d->to, 3600000, WEB_SVG_BARS, se, 2, c->app->o.tz,
	        c->lang, 960, 260, web_tr(c->lang, WEB_S_PER_HOUR)};
	web_svg_chart_write_both(c->b, &ch);
	hours_table(c, d);
	web_page_end(c);
}

void
web_page_self(web_ctx *c)
{
	struct day d;
	memset(&d, 0, sizeof(d));
	const fed_tz *tz = c->app->o.tz;
	int64_t at = fed_clock_now_ms();
	const char *day = web_arg(c, "day");
	if (day != NULL && day[0] && web_parse_date(c, day, &at) != FED_OK) {
		web_page_error(c, 400, "day: a date YYYY-MM-DD");
		return;
	}
	d.from = fed_tz_floor(tz, at, FED_TZ_DAY);
	d.to = fed_tz_next(tz, d.from, FED_TZ_DAY);
	for (int64_t t = d.from; t < d.to && d.n < HOURS_MAX;
	     t = fed_tz_next(tz, t, FED_TZ_HOUR))
		d.ts[d.n++] = t;
	Enfed__V1__SummaryRequest rq = ENFED__V1__SUMMARY_REQUEST__INIT;
	rq.investor = c->session.investor;
	rq.tz = (char *) fed_tz_name(tz);
	Enfed__V1__InvestorSummary *s = NULL;
	char err[512];
	fed_status st = web_backend_invest(c->app->o.backend,
	    c->session.invest_token, "Summary", &rq.base,
	    (ProtobufCMessage **) &s, err, sizeof(err));
	if (st == FED_OK)
		st = attributed(c, s, &d, err, sizeof(err));
	int have = 0;
	if (st == FED_OK && s->consumption_series
	    && s->consumption_series[0]) {
		fed_status cs = consumption(c, s->consumption_series, &d);
		have = cs == FED_OK;
		if (cs == FED_UNAVAILABLE) {
			st = cs;
			snprintf(err, sizeof(err),
			    "the household's node is "
			    "unreachable");
		}
	}
	if (st != FED_OK)
		web_page_rpc_error(c, st, err);
	else
		self_body(c, &d, have);
	if (s != NULL)
		enfed__v1__investor_summary__free_unpacked(s, NULL);
}
