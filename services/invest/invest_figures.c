// SPDX-License-Identifier: MIT
//
// invest_figures.c: the Invest handlers that compute figures: Summary (the
// widget), Detail (a project's production and the investor's share of it,
// bucket by bucket) and Distribution (a project's holdings). Every energy
// figure comes from a fed-node at the time of the call; the formulas are
// invest_calc's, documented in docs/invest.md. Production is read with
// fed-invest's own node token, from series the node says are production
// series; the linked household consumption is invest_consumption.c's.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/clock.h"
#include "fed/log.h"
#include "invest_rpc_internal.h"

static void
free_zone(void *p)
{
	fed_tz_free(p);
}

// The zone of a call: the request's, or the service's default. A zone
// loaded for the call is freed with it.
static fed_status
call_zone(fed_rpc_ctx *call, invest_rpc *r, const char *name,
    const fed_tz **out, char *err, size_t err_len)
{
	if (name == NULL || name[0] == '\0'
	    || strcmp(name, fed_tz_name(r->tz)) == 0) {
		*out = r->tz;
		return FED_OK;
	}
	fed_tz *tz = NULL;
	fed_status st = fed_tz_load(name, &tz);
	if (st != FED_OK) {
		snprintf(
		    err, err_len, "tz: '%s': %s", name, fed_status_str(st));
		return st == FED_NOT_FOUND ? FED_INVALID_ARGUMENT : st;
	}
	*out = tz;
	return fed_rpc_ctx_defer(call, free_zone, tz);
}

// What one series' energy over the widget's periods needs.
struct series_ref {
	invest_rpc *r;
	const char *node, *series;
	const fed_tz *tz;
};

// The energy of ref over the periods pp into e. An absent series gives
// zero energy with zero coverage.
static fed_status
period_energy(const struct series_ref *ref, const invest_periods *pp,
    Enfed__V1__PeriodEnergy *e, char *err, size_t err_len)
{
	e->total_from_ms = pp->from_ms[INVEST_TOTAL];
	if (ref->series == NULL || ref->series[0] == '\0')
		return FED_OK;
	for (int p = 0; p < INVEST_N_PERIODS; p++) {
		double wh = 0, cov = 0;
		FED_TRY(invest_nodes_sum(ref->r->nodes, ref->node, ref->series,
		    pp->from_ms[p], pp->to_ms, fed_tz_name(ref->tz), &wh, &cov,
		    err, err_len));
		invest_calc_period_set(e, (invest_period) p, wh, cov);
	}
	return FED_OK;
}

// The production of the project and the part attributed to the holding.
static fed_status
project_energy(fed_rpc_ctx *call, invest_rpc *r, const fed_tz *tz,
    int64_t at_ms, const invest_holding *h, Enfed__V1__ProjectSummary *ps,
    char *err, size_t err_len)
{
	const Enfed__V1__Project *p = ps->project;
	struct series_ref ref = {r, p->series_node, p->series_id, tz};
	if (p->series_id != NULL && p->series_id[0] != '\0')
		FED_TRY(invest_nodes_production(r->nodes, p->series_node,
		    p->series_id, p->organisation, &ps->data_until_ms, err,
		    err_len));
	invest_periods prod, own;
	invest_calc_periods(tz, at_ms, p->commissioned_ms, &prod);
	invest_calc_periods(tz, at_ms, h->acquired_ms, &own);
	ps->project_production = NEW_MSG(call, Enfed__V1__PeriodEnergy,
	    enfed__v1__period_energy__descriptor);
	ps->attributed = NEW_MSG(call, Enfed__V1__PeriodEnergy,
	    enfed__v1__period_energy__descriptor);
	Enfed__V1__PeriodEnergy *mine = NEW_MSG(call, Enfed__V1__PeriodEnergy,
	    enfed__v1__period_energy__descriptor);
	if (!ps->project_production || !ps->attributed || !mine)
		return FED_RESOURCE_EXHAUSTED;
	FED_TRY(
	    period_energy(&ref, &prod, ps->project_production, err, err_len));
	FED_TRY(period_energy(&ref, &own, mine, err, err_len));
	invest_calc_scale(mine, ps->budget_fraction, ps->attributed);
	return FED_OK;
}

// A project whose series its node will not give (no longer a production
// series fed-invest may read, or gone) or cannot give now (the node does
// not answer) is one card without figures, saying why, not a summary
// refused: the other projects' figures stay served. Its periods are zero
// with coverage 0, so the investor's totals say "incomplete".
static fed_status
project_unavailable(
    fed_rpc_ctx *call, Enfed__V1__ProjectSummary *ps, char *err)
{
	fed_log(FED_LOG_NOTICE, "invest",
	    "project %s: figures unavailable: %s", ps->project->id, err);
	ps->unavailable = fed_rpc_ctx_strdup(call, err);
	ps->project_production = NEW_MSG(call, Enfed__V1__PeriodEnergy,
	    enfed__v1__period_energy__descriptor);
	ps->attributed = NEW_MSG(call, Enfed__V1__PeriodEnergy,
	    enfed__v1__period_energy__descriptor);
	if (!ps->unavailable || !ps->project_production || !ps->attributed)
		return FED_RESOURCE_EXHAUSTED;
	ps->attributed->total_from_ms = ps->acquired_ms;
	ps->data_until_ms = 0;
	err[0] = '\0';
	return FED_OK;
}

static fed_status
project_summary(fed_rpc_ctx *call, invest_rpc *r, const fed_tz *tz,
    int64_t at_ms, const invest_holding *h, Enfed__V1__ProjectSummary **out,
    char *err, size_t err_len)
{
	Enfed__V1__ProjectSummary *ps = NEW_MSG(call,
	    Enfed__V1__ProjectSummary, enfed__v1__project_summary__descriptor);
	if (ps == NULL)
		return FED_RESOURCE_EXHAUSTED;
	FED_TRY(invest__project(
	    call, r, h->project_id, &ps->project, err, err_len));
	const Enfed__V1__Project *p = ps->project;
	ps->shares = h->shares;
	ps->acquired_ms = h->acquired_ms;
	ps->budget_fraction = invest_calc_fraction(h->shares, p->total_shares);
	ps->panel_m2 = p->effective_panel_m2 * ps->budget_fraction;
	if (invest_calc_invested(
	        h->shares, p->share_price_cents, &ps->invested_cents)
	    != FED_OK) {
		snprintf(
		    err, err_len, "project '%s': amount out of range", p->id);
		return FED_OUT_OF_RANGE;
	}
	fed_status st
	    = project_energy(call, r, tz, at_ms, h, ps, err, err_len);
	if (st == FED_FAILED_PRECONDITION || st == FED_NOT_FOUND
	    || st == FED_UNAVAILABLE || st == FED_DEADLINE_EXCEEDED)
		st = project_unavailable(call, ps, err);
	FED_TRY(st);
	ps->households_days = invest_calc_household_days(
	    ps->attributed->total_wh, &r->factors);
	ps->co2_avoided_kg
	    = invest_calc_co2_kg(ps->attributed->total_wh, &r->factors);
	*out = ps;
	return FED_OK;
}

// The investor's totals over the projects, once every project is in.
static fed_status
totals(fed_rpc_ctx *call, invest_rpc *r, Enfed__V1__InvestorSummary *s)
{
	s->attributed = NEW_MSG(call, Enfed__V1__PeriodEnergy,
	    enfed__v1__period_energy__descriptor);
	s->factors = NEW_MSG(
	    call, Enfed__V1__Factors, enfed__v1__factors__descriptor);
	if (s->attributed == NULL || s->factors == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < s->n_projects; i++) {
		const Enfed__V1__ProjectSummary *ps = s->projects[i];
		s->invested_cents += ps->invested_cents;
		s->panel_m2 += ps->panel_m2;
		invest_calc_accumulate(s->attributed, ps->attributed, i == 0);
	}
	for (size_t i = 0; i < s->n_projects; i++)
		s->projects[i]->portfolio_fraction = s->invested_cents > 0
		    ? (double) s->projects[i]->invested_cents
		        / (double) s->invested_cents
		    : 0;
	s->households_days
	    = invest_calc_household_days(s->attributed->total_wh, &r->factors);
	s->co2_avoided_kg
	    = invest_calc_co2_kg(s->attributed->total_wh, &r->factors);
	s->factors->panel_m2_per_kwc = r->factors.panel_m2_per_kwc;
	s->factors->household_wh_per_day = r->factors.household_wh_per_day;
	s->factors->grid_g_co2_per_kwh = r->factors.grid_g_co2_per_kwh;
	return FED_OK;
}

static fed_status
summary_projects(fed_rpc_ctx *call, invest_rpc *r, const fed_tz *tz,
    const char *investor, Enfed__V1__InvestorSummary *s, char *err,
    size_t err_len)
{
	invest_holding *h = NULL;
	size_t n = 0;
	FED_TRY(invest_store_holdings(
	    r->store, investor, NULL, false, &h, &n, err, err_len));
	fed_status st = fed_rpc_ctx_defer_free(call, h);
	s->projects = fed_rpc_ctx_alloc(call, (n ? n : 1) * sizeof(void *));
	if (st == FED_OK && s->projects == NULL)
		st = FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; st == FED_OK && i < n; i++) {
		st = project_summary(call, r, tz, s->at_ms, &h[i],
		    &s->projects[i], err, err_len);
		s->n_projects += st == FED_OK;
	}
	return st;
}

fed_status
invest__summary(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	invest_rpc *r = arg;
	const Enfed__V1__SummaryRequest *req = (const void *) in;
	Enfed__V1__InvestorSummary *s = (void *) out;
	char err[INVEST_ERR_LEN] = "";
	const char *investor = NULL;
	const fed_tz *tz = NULL;
	fed_status st = invest_auth_investor(
	    invest__caller(call), req->investor, &investor, err, sizeof(err));
	if (st == FED_OK)
		st = invest__investor_known(r, investor, err, sizeof(err));
	if (st == FED_OK)
		st = call_zone(call, r, req->tz, &tz, err, sizeof(err));
	if (st == FED_OK && req->at_ms < 0) {
		snprintf(err, sizeof(err), "at_ms: must be >= 0 (0 = now)");
		st = FED_INVALID_ARGUMENT;
	}
	if (st != FED_OK)
		return invest__fail(call, st, err);
	s->investor = (char *) investor;
	s->at_ms = req->at_ms > 0 ? req->at_ms : fed_clock_now_ms();
	s->tz = (char *) fed_tz_name(tz);
	st = summary_projects(call, r, tz, investor, s, err, sizeof(err));
	if (st == FED_OK)
		st = totals(call, r, s);
	if (st == FED_OK)
		st = invest__consumption(
		    call, r, investor, s, err, sizeof(err));
	return st == FED_OK ? FED_OK : invest__fail(call, st, err);
}

// --- Detail ---------------------------------------------------------------

// The holding shown beside the production: the one named by the request,
// or the caller's own when the caller is an investor holding shares of
// the project. *h->shares is 0 when none.
static fed_status
detail_holding(invest_rpc *r, const invest_principal *who,
    const Enfed__V1__DetailRequest *req, invest_holding *h, char *err,
    size_t err_len)
{
	memset(h, 0, sizeof(*h));
	bool named = req->investor != NULL && req->investor[0] != '\0';
	if (!named && (who == NULL || who->role != INVEST_ROLE_INVESTOR))
		return FED_OK;
	const char *investor = NULL;
	FED_TRY(
	    invest_auth_investor(who, req->investor, &investor, err, err_len));
	if (named)
		FED_TRY(invest__investor_known(r, investor, err, err_len));
	invest_holding *list = NULL;
	size_t n = 0;
	FED_TRY(invest_store_holdings(r->store, investor, req->project_id,
	    false, &list, &n, err, err_len));
	if (n == 1)
		*h = list[0];
	free(list);
	return FED_OK;
}

static fed_status
check_detail(const Enfed__V1__DetailRequest *req, char *err, size_t err_len)
{
	if (req->step == ENFED__V1__STEP__STEP_RAW
	    || req->step > ENFED__V1__STEP__STEP_YEAR) {
		snprintf(err, err_len,
		    "step: a bucket step (HOUR, DAY, WEEK, MONTH, YEAR)");
		return FED_INVALID_ARGUMENT;
	}
	if (req->range == NULL || req->range->from_ms >= req->range->to_ms
	    || req->range->from_ms < 0) {
		snprintf(err, err_len, "range: 0 <= from_ms < to_ms");
		return FED_INVALID_ARGUMENT;
	}
	return FED_OK;
}

static void
free_query(void *p)
{
	enfed__v1__query_response__free_unpacked(p, NULL);
}

// The holding's share of each bucket of prod: the production from the
// holding's start (query `own`, whose buckets are a suffix of prod's),
// times the fraction; zero before the start. Coverage is prod's.
static fed_status
attributed_series(fed_rpc_ctx *call, const Enfed__V1__SeriesResult *prod,
    const Enfed__V1__SeriesResult *own, double fraction,
    Enfed__V1__SeriesResult **out)
{
	size_t n = prod->n_ts_ms;
	Enfed__V1__SeriesResult *a = NEW_MSG(call, Enfed__V1__SeriesResult,
	    enfed__v1__series_result__descriptor);
	if (a == NULL)
		return FED_RESOURCE_EXHAUSTED;
	a->series_id = prod->series_id;
	a->unit = prod->unit;
	a->ts_ms = prod->ts_ms;
	a->n_ts_ms = n;
	a->coverage = prod->coverage;
	a->n_coverage = prod->n_coverage;
	a->value = fed_rpc_ctx_alloc(call, (n ? n : 1) * sizeof(double));
	if (a->value == NULL)
		return FED_RESOURCE_EXHAUSTED;
	a->n_value = n;
	size_t j = 0;
	for (size_t i = 0; i < n && i < prod->n_value; i++) {
		while (own != NULL && j < own->n_ts_ms
		    && own->ts_ms[j] < prod->ts_ms[i])
			j++;
		bool hit = own != NULL && j < own->n_ts_ms && j < own->n_value
		    && own->ts_ms[j] == prod->ts_ms[i];
		a->value[i] = hit ? own->value[j] * fraction : 0;
	}
	*out = a;
	return FED_OK;
}

static fed_status
detail_attributed(fed_rpc_ctx *call, invest_rpc *r,
    const Enfed__V1__Project *p, const Enfed__V1__DetailRequest *req,
    const invest_holding *h, Enfed__V1__DetailResponse *rep, char *err,
    size_t err_len)
{
	rep->budget_fraction
	    = invest_calc_fraction(h->shares, p->total_shares);
	int64_t from = req->range->from_ms > h->acquired_ms
	    ? req->range->from_ms
	    : h->acquired_ms;
	Enfed__V1__QueryResponse *own = NULL;
	if (from < req->range->to_ms) {
		FED_TRY(invest_nodes_query(r->nodes, p->series_node,
		    p->series_id, from, req->range->to_ms, req->step, rep->tz,
		    &own, err, err_len));
		FED_TRY(fed_rpc_ctx_defer(call, free_query, own));
	}
	return attributed_series(call, rep->production,
	    own != NULL ? own->results[0] : NULL, rep->budget_fraction,
	    &rep->attributed);
}

static fed_status
detail(fed_rpc_ctx *call, invest_rpc *r, const Enfed__V1__DetailRequest *req,
    Enfed__V1__DetailResponse *rep, char *err, size_t err_len)
{
	const fed_tz *tz = NULL;
	Enfed__V1__Project *p = NULL;
	invest_holding h;
	Enfed__V1__QueryResponse *prod = NULL;
	FED_TRY(check_detail(req, err, err_len));
	FED_TRY(invest__project(call, r, req->project_id, &p, err, err_len));
	FED_TRY(
	    detail_holding(r, invest__caller(call), req, &h, err, err_len));
	FED_TRY(call_zone(call, r, req->tz, &tz, err, err_len));
	if (p->series_id == NULL || p->series_id[0] == '\0') {
		snprintf(err, err_len,
		    "project '%s' has no production series yet", p->id);
		return FED_FAILED_PRECONDITION;
	}
	int64_t last_ms = 0;
	FED_TRY(invest_nodes_production(r->nodes, p->series_node, p->series_id,
	    p->organisation, &last_ms, err, err_len));
	FED_TRY(invest_nodes_query(r->nodes, p->series_node, p->series_id,
	    req->range->from_ms, req->range->to_ms, req->step, fed_tz_name(tz),
	    &prod, err, err_len));
	FED_TRY(fed_rpc_ctx_defer(call, free_query, prod));
	rep->production = prod->results[0];
	rep->bucket_end_ms = prod->bucket_end_ms;
	rep->n_bucket_end_ms = prod->n_bucket_end_ms;
	rep->tz = (char *) fed_tz_name(tz);
	if (h.shares == 0)
		return FED_OK;
	return detail_attributed(call, r, p, req, &h, rep, err, err_len);
}

fed_status
invest__detail(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	char err[INVEST_ERR_LEN] = "";
	fed_status st = detail(
	    call, arg, (const void *) in, (void *) out, err, sizeof(err));
	return st == FED_OK ? FED_OK : invest__fail(call, st, err);
}

// --- Distribution ---------------------------------------------------------

// Whether the caller may see who holds the shares: the administrator and
// the project's organisation see every investor; an investor only itself.
static bool
sees_name(const invest_principal *who, const Enfed__V1__Project *p,
    const char *investor)
{
	if (who == NULL)
		return false;
	if (who->role == INVEST_ROLE_ADMIN)
		return true;
	if (who->role == INVEST_ROLE_ORGANISATION)
		return p->organisation != NULL
		    && strcmp(who->bound, p->organisation) == 0;
	return strcmp(who->bound, investor) == 0;
}

static fed_status
fill_holders(fed_rpc_ctx *call, const Enfed__V1__Project *p,
    const invest_holding *h, size_t n, Enfed__V1__ProjectDistribution *d)
{
	const invest_principal *who = invest__caller(call);
	d->holders = fed_rpc_ctx_alloc(call, (n ? n : 1) * sizeof(void *));
	if (d->holders == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < n; i++) {
		Enfed__V1__Holder *x = NEW_MSG(
		    call, Enfed__V1__Holder, enfed__v1__holder__descriptor);
		if (x == NULL)
			return FED_RESOURCE_EXHAUSTED;
		if (sees_name(who, p, h[i].investor))
			x->investor = fed_rpc_ctx_strdup(call, h[i].investor);
		x->shares = h[i].shares;
		x->budget_fraction
		    = invest_calc_fraction(h[i].shares, p->total_shares);
		if (invest_calc_invested(
		        h[i].shares, p->share_price_cents, &x->invested_cents)
		    != FED_OK)
			return FED_OUT_OF_RANGE;
		d->shares_held += h[i].shares;
		d->holders[d->n_holders++] = x;
	}
	return FED_OK;
}

fed_status
invest__distribution(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	invest_rpc *r = arg;
	const Enfed__V1__ProjectRequest *req = (const void *) in;
	Enfed__V1__ProjectDistribution *d = (void *) out;
	char err[INVEST_ERR_LEN] = "";
	Enfed__V1__Project *p = NULL;
	invest_holding *h = NULL;
	size_t n = 0;
	fed_status st
	    = invest__project(call, r, req->id, &p, err, sizeof(err));
	if (st == FED_OK)
		st = invest_store_holdings(
		    r->store, NULL, req->id, false, &h, &n, err, sizeof(err));
	if (st != FED_OK)
		return invest__fail(call, st, err);
	st = fill_holders(call, p, h, n, d);
	free(h);
	d->project_id = p->id;
	d->total_shares = p->total_shares;
	d->shares_available = d->shares_held < p->total_shares
	    ? p->total_shares - d->shares_held
	    : 0;
	return st;
}
