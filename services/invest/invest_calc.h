// SPDX-License-Identifier: MIT
//
// invest_calc.h: the figures of use case 1, as pure functions: the shares of
// a project, an investor's fraction of it, the money and the panel surface
// that fraction represents, the periods of the widget in a local calendar,
// the energy of a period from a node's buckets, and the equivalents
// (household days, CO2 avoided). Nothing here does I/O or keeps state;
// docs/invest.md gives every formula and the source of every factor.

#ifndef INVEST_CALC_H
#define INVEST_CALC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enfed/v1/invest.pb-c.h"
#include "fed/status.h"
#include "fed/tz.h"

// Default factors (docs/invest.md gives their derivation and sources).
// Panel surface of 1 kWc: 1 kW / (1000 W/m2 at STC x 20 % module
// efficiency) = 5 m2.
#define INVEST_PANEL_M2_PER_KWC 5.0
// An average French household's electricity use, 4,500 kWh a year, per
// day: 4,500,000 Wh / 365.
#define INVEST_HOUSEHOLD_WH_PER_DAY (4500000.0 / 365.0)
// Carbon intensity of electricity consumed in France (ADEME Base Empreinte,
// average mix, 2022), g CO2e per kWh.
#define INVEST_GRID_G_CO2_PER_KWH 52.0

// Longest id of a project or an investor, in bytes.
#define INVEST_ID_MAX 100

// The factors in force; main.c may override the defaults from its config.
typedef struct invest_factors {
	double panel_m2_per_kwc;
	double household_wh_per_day;
	double grid_g_co2_per_kwh;
} invest_factors;

// Fills f with the INVEST_* defaults above.
void invest_factors_default(invest_factors *f);

// OK when id is 1..INVEST_ID_MAX bytes of [A-Za-z0-9._-] (and '@' when
// allow_at, for investor ids); INVALID_ARGUMENT otherwise, with a message
// naming `field` in err.
fed_status invest_calc_check_id(const char *id, const char *field,
    bool allow_at, char *err, size_t err_len);

// Checks a project as entered and completes it: INVALID_ARGUMENT (the field
// and the numbers in err) for a bad id, a negative or non-finite peak power
// or surface, a cost or share price <= 0, a cost that is not a whole number
// of shares, or a total_shares that is neither 0 nor cost / price, or
// more than UINT32_MAX shares. On OK, p->total_shares is cost / price and
// p->effective_panel_m2 / p->panel_m2_derived are set from f. Only p is
// written.
fed_status invest_calc_check_project(
    Enfed__V1__Project *p, const invest_factors *f, char *err, size_t err_len);

// The panel surface used in the figures: panel_m2 when > 0, else peak_kw x
// f->panel_m2_per_kwc (*derived set to true).
double invest_calc_panel_m2(
    double panel_m2, double peak_kw, const invest_factors *f, bool *derived);

// Checks that `asked` shares (a new value of a holding) fit: INVALID_ARGUMENT
// for 0; FAILED_PRECONDITION when asked > total - held_by_others, the
// message giving the numbers. held_by_others are the project's shares held
// by every other holding.
fed_status invest_calc_check_shares(uint32_t asked, uint64_t held_by_others,
    uint32_t total, const char *project_id, char *err, size_t err_len);

// shares / total (0 when total is 0).
double invest_calc_fraction(uint32_t shares, uint32_t total);

// shares x price_cents. OUT_OF_RANGE if it overflows int64.
fed_status invest_calc_invested(
    uint32_t shares, int64_t price_cents, int64_t *out);

// Energy over [from_ms, to_ms) from a node's buckets (SUM of Wh): the sum of
// the values, and the part of the range covered by data: the sum of
// coverage[i] x (end_ms[i] - start_ms[i]), over to_ms - from_ms, at most 1.
// Buckets may stretch past the range (the node's points are cut to it, so
// their coverage counts only time inside it). A range with from >= to is
// empty: 0 Wh, coverage 0.
void invest_calc_sum(const double *value, const double *coverage,
    const int64_t *start_ms, const int64_t *end_ms, size_t n, int64_t from_ms,
    int64_t to_ms, double *wh, double *cov);

// The periods of the widget at instant at_ms in zone tz.
typedef enum invest_period {
	INVEST_TODAY,
	INVEST_MONTH,
	INVEST_YEAR,
	INVEST_TOTAL,
	INVEST_N_PERIODS,
} invest_period;

typedef struct invest_periods {
	int64_t from_ms[INVEST_N_PERIODS];
	int64_t to_ms; // every period ends at at_ms
} invest_periods;

// Today, this month and this year start at the local day, month and year
// holding at_ms; none starts before since_ms (the holding's start), and
// TOTAL starts at since_ms. A since_ms after at_ms gives empty periods
// (from == to).
void invest_calc_periods(
    const fed_tz *tz, int64_t at_ms, int64_t since_ms, invest_periods *out);

// The periods of a household's consumption at instant at_ms, in whole
// local days of tz: those of invest_calc_periods(tz, at_ms, since_ms), each
// start moved back to the midnight starting its day, every period ending
// at the midnight starting the day of min(at_ms, now_ms), so that only
// completed days count; a start after that end is moved to it (empty
// period). "Today" is therefore always empty. The result depends on at_ms,
// now_ms and since_ms only through their local days: no instant inside a
// day changes it.
void invest_calc_day_periods(const fed_tz *tz, int64_t at_ms, int64_t now_ms,
    int64_t since_ms, invest_periods *out);

// Energy over [from_ms, to_ms) from a node's buckets (SUM of Wh), counting
// only the buckets that lie whole inside the range (start_ms[i] >= from_ms
// and end_ms[i] <= to_ms): a bucket that straddles an end, whatever the
// node put in it, counts for nothing. *cov is the covered time of the
// buckets counted over to_ms - from_ms, at most 1. An empty range gives 0
// Wh, coverage 0.
void invest_calc_whole_sum(const double *value, const double *coverage,
    const int64_t *start_ms, const int64_t *end_ms, size_t n, int64_t from_ms,
    int64_t to_ms, double *wh, double *cov);

// Sets period p of e to wh and coverage.
void invest_calc_period_set(
    Enfed__V1__PeriodEnergy *e, invest_period p, double wh, double cov);

// The Wh and coverage of period p of e.
void invest_calc_period_get(const Enfed__V1__PeriodEnergy *e, invest_period p,
    double *wh, double *cov);

// out = production x fraction, period by period; coverage copied.
void invest_calc_scale(const Enfed__V1__PeriodEnergy *production,
    double fraction, Enfed__V1__PeriodEnergy *out);

// Adds e into sum, period by period: Wh added; the coverage of the sum is
// the lowest of its parts (the first part sets it, *first true).
void invest_calc_accumulate(Enfed__V1__PeriodEnergy *sum,
    const Enfed__V1__PeriodEnergy *e, bool first);

// num / den period by period (0 where den is 0).
void invest_calc_ratio(const Enfed__V1__PeriodEnergy *num,
    const Enfed__V1__PeriodEnergy *den, Enfed__V1__PeriodRatio *out);

// wh / f->household_wh_per_day: days of an average household's use.
double invest_calc_household_days(double wh, const invest_factors *f);

// wh / 1000 x f->grid_g_co2_per_kwh / 1000: kg CO2 avoided.
double invest_calc_co2_kg(double wh, const invest_factors *f);

#endif // INVEST_CALC_H
