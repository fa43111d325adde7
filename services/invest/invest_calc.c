// SPDX-License-Identifier: MIT
//
// invest_calc.c: the figures of use case 1 (invest_calc.h). Money stays in
// integer cents; only fractions and energy are doubles.

#include "invest_calc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void
invest_factors_default(invest_factors *f)
{
	f->panel_m2_per_kwc = INVEST_PANEL_M2_PER_KWC;
	f->household_wh_per_day = INVEST_HOUSEHOLD_WH_PER_DAY;
	f->grid_g_co2_per_kwh = INVEST_GRID_G_CO2_PER_KWH;
}

static fed_status
fail(char *err, size_t err_len, fed_status st, const char *msg)
{
	if (err != NULL && err_len > 0)
		snprintf(err, err_len, "%s", msg);
	return st;
}

fed_status
invest_calc_check_id(const char *id, const char *field, bool allow_at,
    char *err, size_t err_len)
{
	const char *ok = allow_at
	    ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	      "qrstuvwxyz0123456789._-@"
	    : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	      "qrstuvwxyz0123456789._-";
	size_t len = id != NULL ? strlen(id) : 0;
	if (len == 0 || len > INVEST_ID_MAX || strspn(id, ok) != len) {
		snprintf(err, err_len, "%s: 1-%d bytes of [A-Za-z0-9._-%s]",
		    field, INVEST_ID_MAX, allow_at ? "@" : "");
		return FED_INVALID_ARGUMENT;
	}
	return FED_OK;
}

static fed_status
check_numbers(const Enfed__V1__Project *p, char *err, size_t err_len)
{
	if (!isfinite(p->peak_kw) || p->peak_kw < 0)
		return fail(err, err_len, FED_INVALID_ARGUMENT,
		    "peak_kw: must be a finite number >= 0");
	if (!isfinite(p->panel_m2) || p->panel_m2 < 0)
		return fail(err, err_len, FED_INVALID_ARGUMENT,
		    "panel_m2: must be a finite number >= 0");
	if (p->cost_cents <= 0) {
		snprintf(err, err_len, "cost_cents: must be > 0, got %lld",
		    (long long) p->cost_cents);
		return FED_INVALID_ARGUMENT;
	}
	if (p->share_price_cents <= 0) {
		snprintf(err, err_len,
		    "share_price_cents: must be > 0, got %lld",
		    (long long) p->share_price_cents);
		return FED_INVALID_ARGUMENT;
	}
	return FED_OK;
}

static fed_status
check_shares_count(Enfed__V1__Project *p, char *err, size_t err_len)
{
	long long cost = p->cost_cents, price = p->share_price_cents;
	if (cost % price != 0) {
		snprintf(err, err_len,
		    "share_price_cents: %lld does not divide cost_cents %lld "
		    "(%lld shares and %lld cents left over)",
		    price, cost, cost / price, cost % price);
		return FED_INVALID_ARGUMENT;
	}
	long long n = cost / price;
	if (n > (long long) UINT32_MAX)
		return fail(err, err_len, FED_INVALID_ARGUMENT,
		    "share_price_cents: more than 4294967295 shares");
	if (p->total_shares != 0 && (long long) p->total_shares != n) {
		snprintf(err, err_len,
		    "total_shares: %u given, but cost_cents %lld / "
		    "share_price_cents %lld = %lld",
		    p->total_shares, cost, price, n);
		return FED_INVALID_ARGUMENT;
	}
	p->total_shares = (uint32_t) n;
	return FED_OK;
}

fed_status
invest_calc_check_project(
    Enfed__V1__Project *p, const invest_factors *f, char *err, size_t err_len)
{
	FED_TRY(invest_calc_check_id(p->id, "id", false, err, err_len));
	FED_TRY(check_numbers(p, err, err_len));
	FED_TRY(check_shares_count(p, err, err_len));
	if (p->commissioned_ms < 0)
		return fail(err, err_len, FED_INVALID_ARGUMENT,
		    "commissioned_ms: must be >= 0");
	if (p->series_id != NULL && p->series_id[0] != '\0'
	    && strlen(p->series_id) > 200)
		return fail(err, err_len, FED_INVALID_ARGUMENT,
		    "series_id: at most 200 bytes");
	bool derived = false;
	p->effective_panel_m2
	    = invest_calc_panel_m2(p->panel_m2, p->peak_kw, f, &derived);
	p->panel_m2_derived = derived;
	return FED_OK;
}

double
invest_calc_panel_m2(
    double panel_m2, double peak_kw, const invest_factors *f, bool *derived)
{
	*derived = !(panel_m2 > 0);
	return *derived ? peak_kw * f->panel_m2_per_kwc : panel_m2;
}

fed_status
invest_calc_check_shares(uint32_t asked, uint64_t held_by_others,
    uint32_t total, const char *project_id, char *err, size_t err_len)
{
	if (asked == 0)
		return fail(err, err_len, FED_INVALID_ARGUMENT,
		    "shares: must be > 0 (remove the holding instead)");
	uint64_t available
	    = held_by_others >= total ? 0 : total - held_by_others;
	if (asked > available) {
		snprintf(err, err_len,
		    "shares: %u asked of project '%s', but only %llu of its "
		    "%u shares remain available (%llu held by others)",
		    asked, project_id, (unsigned long long) available, total,
		    (unsigned long long) held_by_others);
		return FED_FAILED_PRECONDITION;
	}
	return FED_OK;
}

double
invest_calc_fraction(uint32_t shares, uint32_t total)
{
	return total == 0 ? 0 : (double) shares / (double) total;
}

fed_status
invest_calc_invested(uint32_t shares, int64_t price_cents, int64_t *out)
{
	if (price_cents < 0
	    || (shares != 0 && price_cents > INT64_MAX / (int64_t) shares))
		return FED_OUT_OF_RANGE;
	*out = (int64_t) shares * price_cents;
	return FED_OK;
}

void
invest_calc_sum(const double *value, const double *coverage,
    const int64_t *start_ms, const int64_t *end_ms, size_t n, int64_t from_ms,
    int64_t to_ms, double *wh, double *cov)
{
	*wh = 0;
	*cov = 0;
	if (from_ms >= to_ms)
		return;
	double covered_ms = 0;
	for (size_t i = 0; i < n; i++) {
		*wh += value[i];
		covered_ms += coverage[i] * (double) (end_ms[i] - start_ms[i]);
	}
	double c = covered_ms / (double) (to_ms - from_ms);
	*cov = c > 1 ? 1 : c;
}

void
invest_calc_periods(
    const fed_tz *tz, int64_t at_ms, int64_t since_ms, invest_periods *out)
{
	static const fed_tz_unit units[]
	    = {FED_TZ_DAY, FED_TZ_MONTH, FED_TZ_YEAR};
	out->to_ms = at_ms;
	for (int p = INVEST_TODAY; p <= INVEST_YEAR; p++) {
		int64_t start = fed_tz_floor(tz, at_ms, units[p]);
		out->from_ms[p] = start > since_ms ? start : since_ms;
	}
	out->from_ms[INVEST_TOTAL] = since_ms;
	for (int p = 0; p < INVEST_N_PERIODS; p++) {
		if (out->from_ms[p] > at_ms)
			out->from_ms[p] = at_ms;
	}
}

void
invest_calc_day_periods(const fed_tz *tz, int64_t at_ms, int64_t now_ms,
    int64_t since_ms, invest_periods *out)
{
	invest_calc_periods(tz, at_ms, since_ms, out);
	int64_t end
	    = fed_tz_floor(tz, at_ms < now_ms ? at_ms : now_ms, FED_TZ_DAY);
	out->to_ms = end;
	for (int p = 0; p < INVEST_N_PERIODS; p++) {
		int64_t from = fed_tz_floor(tz, out->from_ms[p], FED_TZ_DAY);
		out->from_ms[p] = from < end ? from : end;
	}
}

void
invest_calc_whole_sum(const double *value, const double *coverage,
    const int64_t *start_ms, const int64_t *end_ms, size_t n, int64_t from_ms,
    int64_t to_ms, double *wh, double *cov)
{
	*wh = 0;
	*cov = 0;
	if (from_ms >= to_ms)
		return;
	double covered_ms = 0;
	for (size_t i = 0; i < n; i++) {
		if (start_ms[i] < from_ms || end_ms[i] > to_ms
		    || end_ms[i] <= start_ms[i])
			continue;
		*wh += value[i];
		covered_ms += coverage[i] * (double) (end_ms[i] - start_ms[i]);
	}
	double c = covered_ms / (double) (to_ms - from_ms);
	*cov = c > 1 ? 1 : c;
}

void
invest_calc_period_set(
    Enfed__V1__PeriodEnergy *e, invest_period p, double wh, double cov)
{
	switch (p) {
	case INVEST_TODAY:
		e->today_wh = wh;
		e->today_coverage = cov;
		break;
	case INVEST_MONTH:
		e->month_wh = wh;
		e->month_coverage = cov;
		break;
	case INVEST_YEAR:
		e->year_wh = wh;
		e->year_coverage = cov;
		break;
	default:
		e->total_wh = wh;
		e->total_coverage = cov;
		break;
	}
}

void
invest_calc_period_get(
    const Enfed__V1__PeriodEnergy *e, invest_period p, double *wh, double *cov)
{
	const double w[] = {e->today_wh, e->month_wh, e->year_wh, e->total_wh};
	const double c[] = {e->today_coverage, e->month_coverage,
	    e->year_coverage, e->total_coverage};
	*wh = w[p];
	*cov = c[p];
}

void
invest_calc_scale(const Enfed__V1__PeriodEnergy *production, double fraction,
    Enfed__V1__PeriodEnergy *out)
{
	for (int p = 0; p < INVEST_N_PERIODS; p++) {
		double wh, cov;
		invest_calc_period_get(
		    production, (invest_period) p, &wh, &cov);
		invest_calc_period_set(
		    out, (invest_period) p, wh * fraction, cov);
	}
	out->total_from_ms = production->total_from_ms;
}

void
invest_calc_accumulate(
    Enfed__V1__PeriodEnergy *sum, const Enfed__V1__PeriodEnergy *e, bool first)
{
	for (int p = 0; p < INVEST_N_PERIODS; p++) {
		double wh, cov, swh, scov;
		invest_calc_period_get(e, (invest_period) p, &wh, &cov);
		invest_calc_period_get(sum, (invest_period) p, &swh, &scov);
		if (first)
			scov = cov;
		invest_calc_period_set(sum, (invest_period) p,
		    first ? wh : swh + wh, cov < scov ? cov : scov);
	}
	if (first || e->total_from_ms < sum->total_from_ms)
		sum->total_from_ms = e->total_from_ms;
}

static double
ratio(double a, double b)
{
	return b == 0 ? 0 : a / b;
}

void
invest_calc_ratio(const Enfed__V1__PeriodEnergy *num,
    const Enfed__V1__PeriodEnergy *den, Enfed__V1__PeriodRatio *out)
{
	out->today = ratio(num->today_wh, den->today_wh);
	out->month = ratio(num->month_wh, den->month_wh);
	out->year = ratio(num->year_wh, den->year_wh);
	out->total = ratio(num->total_wh, den->total_wh);
}

double
invest_calc_household_days(double wh, const invest_factors *f)
{
	return ratio(wh, f->household_wh_per_day);
}

double
invest_calc_co2_kg(double wh, const invest_factors *f)
{
	return wh / 1000.0 * f->grid_g_co2_per_kwh / 1000.0;
}
