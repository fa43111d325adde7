// SPDX-License-Identifier: MIT
//
// web_dashboard_degraded.c: the investor's summary rebuilt by fed-web when
// fed-invest's Summary fails as a whole (a project's node that does not
// answer, an error of fed-invest's for one project), so that the
// dashboard shows that project as one card saying its data is
// unavailable while the other cards keep their figures.
//
// It asks fed-invest, with the investor's own token, what Summary reads:
// the holdings (ListInvestments), each project (GetProject), and each
// project's production attributed to the investor (Detail: by month from
// the holding's month to the summary's, and by day for today). A project
// whose Detail fails is marked unavailable with fed-invest's message; its
// periods are zero with coverage 0, so the totals say "incomplete"
// (the distribution page, which shows no energy, asks for none). The
// consumption of a linked home and the equivalents (fed-invest's
// factors) are left out of such a page. Every message is built with
// protobuf-c's default allocator, so that the caller frees the summary
// with enfed__v1__investor_summary__free_unpacked as any reply.

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/log.h"

#include "web_pages_internal.h"

static fed_status
invest(web_ctx *c, const char *method, const void *req, void *reply, char *err,
    size_t len)
{
	return web_backend_invest(c->app->o.backend, c->session.invest_token,
	    method, req, (ProtobufCMessage **) reply, err, len);
}

static Enfed__V1__PeriodEnergy *
new_period(int64_t total_from_ms)
{
	Enfed__V1__PeriodEnergy *e = malloc(sizeof(*e));
	if (e != NULL) {
		enfed__v1__period_energy__init(e);
		e->total_from_ms = total_from_ms;
	}
	return e;
}

// The investor's share over [from, to) by step: the values and, per
// bucket, the milliseconds its data covers. NULL when Detail fails (err
// says why).
static Enfed__V1__DetailResponse *
detail(web_ctx *c, const char *project, int64_t from, int64_t to,
    Enfed__V1__Step step, char *err, size_t len)
{
	Enfed__V1__DetailRequest rq = ENFED__V1__DETAIL_REQUEST__INIT;
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = from;
	r.to_ms = to;
	rq.project_id = (char *) project;
	rq.range = &r;
	rq.step = step;
	rq.tz = (char *) fed_tz_name(c->app->o.tz);
	Enfed__V1__DetailResponse *d = NULL;
	if (invest(c, "Detail", &rq, &d, err, len) != FED_OK)
		return NULL;
	if (d->attributed == NULL
	    || d->attributed->n_value != d->attributed->n_ts_ms
	    || d->n_bucket_end_ms != d->attributed->n_value) {
		enfed__v1__detail_response__free_unpacked(d, NULL);
		snprintf(err, len, "Detail: buckets without their ends");
		return NULL;
	}
	return d;
}

// Sums the buckets of d starting at or after since, up to at: the value,
// and the part of [since, at) their data covers.
static void
period_of(const Enfed__V1__DetailResponse *d, int64_t since, int64_t at,
    double *wh, double *coverage)
{
	const Enfed__V1__SeriesResult *a = d->attributed;
	double sum = 0, covered = 0;
	for (size_t i = 0; i < a->n_value; i++) {
		if (a->ts_ms[i] < since || a->ts_ms[i] >= at)
			continue;
		sum += a->value[i];
		double cov = i < a->n_coverage ? a->coverage[i] : 0;
		covered += cov * (double) (d->bucket_end_ms[i] - a->ts_ms[i]);
	}
	*wh = sum;
	*coverage = at > since ? fmin(1, covered / (double) (at - since)) : 1;
}

// The project's periods ending at at, from the holding's start.
static fed_status
project_energy(web_ctx *c, Enfed__V1__ProjectSummary *ps, int64_t at,
    char *err, size_t len)
{
	const fed_tz *tz = c->app->o.tz;
	int64_t start = ps->acquired_ms > 0 ? ps->acquired_ms : at;
	int64_t day = fed_tz_floor(tz, at, FED_TZ_DAY);
	int64_t month = fed_tz_floor(tz, at, FED_TZ_MONTH);
	int64_t year = fed_tz_floor(tz, at, FED_TZ_YEAR);
	int64_t first
	    = fed_tz_floor(tz, start < at ? start : at, FED_TZ_MONTH);
	Enfed__V1__DetailResponse *m = detail(c, ps->project->id, first,
	    fed_tz_next(tz, month, FED_TZ_MONTH), ENFED__V1__STEP__STEP_MONTH,
	    err, len);
	if (m == NULL)
		return FED_UNAVAILABLE;
	Enfed__V1__DetailResponse *d
	    = detail(c, ps->project->id, day, fed_tz_next(tz, day, FED_TZ_DAY),
	        ENFED__V1__STEP__STEP_DAY, err, len);
	if (d == NULL) {
		enfed__v1__detail_response__free_unpacked(m, NULL);
		return FED_UNAVAILABLE;
	}
	Enfed__V1__PeriodEnergy *e = ps->attributed;
	period_of(d, day, at, &e->today_wh, &e->today_coverage);
	period_of(m, month, at, &e->month_wh, &e->month_coverage);
	period_of(m, year, at, &e->year_wh, &e->year_coverage);
	period_of(m, first, at, &e->total_wh, &e->total_coverage);
	// The months before the holding count from it, not from their start.
	if (start > first && at > start)
		e->total_coverage = fmin(1,
		    e->total_coverage * (double) (at - first)
		        / (double) (at - start));
	enfed__v1__detail_response__free_unpacked(m, NULL);
	enfed__v1__detail_response__free_unpacked(d, NULL);
	return FED_OK;
}

// Adds p's periods to the totals t; the first one sets the coverages.
static void
accumulate(
    Enfed__V1__PeriodEnergy *t, const Enfed__V1__PeriodEnergy *p, int first)
{
	t->today_wh += p->today_wh;
	t->month_wh += p->month_wh;
	t->year_wh += p->year_wh;
	t->total_wh += p->total_wh;
	t->today_coverage = first ? p->today_coverage
	                          : fmin(t->today_coverage, p->today_coverage);
	t->month_coverage = first ? p->month_coverage
	                          : fmin(t->month_coverage, p->month_coverage);
	t->year_coverage = first ? p->year_coverage
	                         : fmin(t->year_coverage, p->year_coverage);
	t->total_coverage = first ? p->total_coverage
	                          : fmin(t->total_coverage, p->total_coverage);
	if (first || p->total_from_ms < t->total_from_ms)
		t->total_from_ms = p->total_from_ms;
}

// One holding's card: its project, what the shares are, and the energy
// (or the project marked unavailable).
static fed_status
holding(web_ctx *c, const Enfed__V1__Investment *iv, int64_t at, int energy,
    Enfed__V1__ProjectSummary **out)
{
	Enfed__V1__ProjectSummary *ps = malloc(sizeof(*ps));
	if (ps == NULL)
		return FED_RESOURCE_EXHAUSTED;
	enfed__v1__project_summary__init(ps);
	*out = ps;
	char err[512];
	Enfed__V1__ProjectRequest pr = ENFED__V1__PROJECT_REQUEST__INIT;
	pr.id = iv->project_id;
	fed_status st
	    = invest(c, "GetProject", &pr, &ps->project, err, sizeof(err));
	if (st != FED_OK)
		return st;
	const Enfed__V1__Project *p = ps->project;
	ps->shares = iv->shares;
	ps->acquired_ms = iv->acquired_ms;
	ps->budget_fraction
	    = p->total_shares ? (double) iv->shares / p->total_shares : 0;
	ps->invested_cents = (int64_t) iv->shares * p->share_price_cents;
	ps->panel_m2 = p->effective_panel_m2 * ps->budget_fraction;
	ps->attributed = new_period(iv->acquired_ms);
	if (ps->attributed == NULL)
		return FED_RESOURCE_EXHAUSTED;
	if (energy && project_energy(c, ps, at, err, sizeof(err)) != FED_OK) {
		fed_log(FED_LOG_NOTICE, "web",
		    "project %s: figures unavailable: %s", p->id, err);
		ps->unavailable = strdup(err[0] ? err : "unavailable");
		if (ps->unavailable == NULL)
			return FED_RESOURCE_EXHAUSTED;
		Enfed__V1__PeriodEnergy *e = ps->attributed;
		enfed__v1__period_energy__init(e);
		e->total_from_ms = iv->acquired_ms;
	}
	return FED_OK;
}

fed_status
web_dashboard_degraded(web_ctx *c, int64_t at, int energy,
    Enfed__V1__InvestorSummary **out, char *err, size_t len)
{
	*out = NULL;
	Enfed__V1__ListInvestmentsRequest lr
	    = ENFED__V1__LIST_INVESTMENTS_REQUEST__INIT;
	lr.investor = c->session.investor;
	Enfed__V1__ListInvestmentsResponse *l = NULL;
	FED_TRY(invest(c, "ListInvestments", &lr, &l, err, len));
	Enfed__V1__InvestorSummary *s = malloc(sizeof(*s));
	size_t n = l->n_investments;
	fed_status st = FED_RESOURCE_EXHAUSTED;
	if (s == NULL)
		goto out;
	enfed__v1__investor_summary__init(s);
	s->investor = strdup(c->session.investor);
	s->at_ms = at;
	s->tz = strdup(fed_tz_name(c->app->o.tz));
	s->attributed = new_period(0);
	s->projects = calloc(n ? n : 1, sizeof(*s->projects));
	if (!s->investor || !s->tz || !s->attributed || !s->projects)
		goto out;
	for (size_t i = 0; i < n; i++) {
		st = holding(
		    c, l->investments[i], at, energy, &s->projects[i]);
		s->n_projects = i + 1;
		if (st != FED_OK) {
			snprintf(err, len, "project %s: %s",
			    l->investments[i]->project_id, fed_status_str(st));
			goto out;
		}
		const Enfed__V1__ProjectSummary *ps = s->projects[i];
		s->invested_cents += ps->invested_cents;
		s->panel_m2 += ps->panel_m2;
		accumulate(s->attributed, ps->attributed, i == 0);
	}
	for (size_t i = 0; i < n; i++)
		s->projects[i]->portfolio_fraction = s->invested_cents > 0
		    ? (double) s->projects[i]->invested_cents
		        / (double) s->invested_cents
		    : 0;
	st = FED_OK;
out:
	enfed__v1__list_investments_response__free_unpacked(l, NULL);
	if (st != FED_OK && s != NULL) {
		enfed__v1__investor_summary__free_unpacked(s, NULL);
		s = NULL;
	}
	*out = s;
	return st;
}
