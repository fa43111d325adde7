// SPDX-License-Identifier: MIT
//
// invest_consumption.c: the linked household consumption in an investor's
// Summary. It is personal data, read only under the grant that the
// household's node issued to the investment service (never with
// fed-invest's own node token), as daily buckets, and counted in whole
// local days of fed-invest's own zone (invest_calc_day_periods,
// invest_calc_whole_sum): no instant, zone or holding date that a caller
// chooses can make a figure finer than a completed day. A grant that the
// node no longer honours, or a node that does not answer, makes the
// consumption unavailable, said in the summary and in the log, not the
// summary an error.

#include <stdio.h>
#include <string.h>

#include "fed/clock.h"
#include "fed/log.h"
#include "invest_rpc_internal.h"

static void
free_query(void *p)
{
	enfed__v1__query_response__free_unpacked(p, NULL);
}

// Marks the linked consumption unavailable, saying why.
static fed_status
unavailable(fed_rpc_ctx *call, Enfed__V1__InvestorSummary *s, const char *why)
{
	s->consumption_unavailable = fed_rpc_ctx_strdup(call, why);
	return s->consumption_unavailable != NULL ? FED_OK
	                                          : FED_RESOURCE_EXHAUSTED;
}

// The energy of each period of pp from the node's daily buckets (NULL:
// none were asked for), whole buckets only.
static void
fill_periods(const Enfed__V1__QueryResponse *res, const invest_periods *pp,
    Enfed__V1__PeriodEnergy *e)
{
	e->total_from_ms = pp->from_ms[INVEST_TOTAL];
	if (res == NULL)
		return;
	const Enfed__V1__SeriesResult *r = res->results[0];
	size_t k = r->n_value < r->n_coverage ? r->n_value : r->n_coverage;
	if (k > r->n_ts_ms)
		k = r->n_ts_ms;
	for (int p = 0; p < INVEST_N_PERIODS; p++) {
		double wh = 0, cov = 0;
		invest_calc_whole_sum(r->value, r->coverage, r->ts_ms,
		    res->bucket_end_ms, k, pp->from_ms[p], pp->to_ms, &wh,
		    &cov);
		invest_calc_period_set(e, (invest_period) p, wh, cov);
	}
}

// Why a grant read failed, for the summary: a refusal is the grant's (it
// was revoked, expired or narrowed), anything else the node's message (a
// node that does not answer: "node '...' is unreachable ...").
static fed_status
grant_failed(fed_rpc_ctx *call, const char *investor, const invest_link *l,
    fed_status st, const char *err, Enfed__V1__InvestorSummary *s)
{
	if (st != FED_PERMISSION_DENIED) {
		fed_log(FED_LOG_WARNING, "invest",
		    "investor %s: consumption unavailable: %s", investor, err);
		return unavailable(call, s, err);
	}
	fed_log(FED_LOG_NOTICE, "invest",
	    "investor %s: the grant of series %s on node %s no longer "
	    "answers (revoked, expired or narrowed): consumption unavailable",
	    investor, l->series_id, l->node);
	return unavailable(call, s,
	    "the household's grant no longer answers (revoked, expired or "
	    "narrowed): link the series again with a new grant");
}

// Reads the days of pp under the link's grant into s->consumption and
// s->consumption_share.
static fed_status
read_days(fed_rpc_ctx *call, invest_rpc *r, const char *investor,
    const invest_link *l, const invest_periods *pp,
    Enfed__V1__InvestorSummary *s, char *err, size_t err_len)
{
	Enfed__V1__QueryResponse *res = NULL;
	if (pp->from_ms[INVEST_TOTAL] < pp->to_ms) {
		invest_granted g = {l->node, l->series_id, l->grant_token};
		fed_status st = invest_nodes_grant_days(r->nodes, &g,
		    pp->from_ms[INVEST_TOTAL], pp->to_ms, fed_tz_name(r->tz),
		    &res, err, err_len);
		if (st == FED_RESOURCE_EXHAUSTED)
			return st;
		if (st != FED_OK)
			return grant_failed(call, investor, l, st, err, s);
		FED_TRY(fed_rpc_ctx_defer(call, free_query, res));
	}
	s->consumption = NEW_MSG(call, Enfed__V1__PeriodEnergy,
	    enfed__v1__period_energy__descriptor);
	s->consumption_share = NEW_MSG(
	    call, Enfed__V1__PeriodRatio, enfed__v1__period_ratio__descriptor);
	if (s->consumption == NULL || s->consumption_share == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fill_periods(res, pp, s->consumption);
	invest_calc_ratio(s->attributed, s->consumption, s->consumption_share);
	return FED_OK;
}

fed_status
invest__consumption(fed_rpc_ctx *call, invest_rpc *r, const char *investor,
    Enfed__V1__InvestorSummary *s, char *err, size_t err_len)
{
	invest_link link;
	bool found = false;
	FED_TRY(invest_store_link_get(
	    r->store, investor, &link, &found, err, err_len));
	if (!found)
		return FED_OK;
	s->consumption_series = fed_rpc_ctx_strdup(call, link.series_id);
	if (s->consumption_series == NULL)
		return FED_RESOURCE_EXHAUSTED;
	if (link.grant_token[0] == '\0')
		return unavailable(call, s,
		    "linked before a grant was required: link the series "
		    "again with the household's grant token");
	// The total starts with the earliest holding (this year without
	// one); invest_calc_day_periods moves it to its midnight.
	int64_t since = s->n_projects > 0
	    ? s->attributed->total_from_ms
	    : fed_tz_floor(r->tz, s->at_ms, FED_TZ_YEAR);
	invest_periods pp;
	invest_calc_day_periods(
	    r->tz, s->at_ms, fed_clock_now_ms(), since, &pp);
	s->consumption_until_ms = pp.to_ms;
	return read_days(call, r, investor, &link, &pp, s, err, err_len);
}
