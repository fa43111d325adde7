// SPDX-License-Identifier: MIT
//
// invest_summary.c: `fedctl invest summary [INVESTOR]`, the investor's
// widget from fed-invest's Summary: per project and in total, shares,
// amount, share of the budget, panel surface, attributed production today
// / this month / this year / since the holding started (with its coverage
// when partial), the equivalents and the linked household consumption
// (whole days only, or why it is unavailable); then a sparkline of the last
// days' attributed production from one Detail call per project (step day), a
// day without data being a gap.

#include <stdlib.h>
#include <string.h>

#include "enfed/v1/invest.pb-c.h"
#include "fed/clock.h"
#include "fedctl.h"
#include "query.h"
#include "verb.h"

// The attributed production of each day of the sparkline.
struct daily {
	size_t n;
	int64_t *ts; // start of each day
	double *wh;
	double *cov;
	bool *gap;
};

static void
daily_fini(struct daily *d)
{
	free(d->ts);
	free(d->wh);
	free(d->cov);
	free(d->gap);
	memset(d, 0, sizeof(*d));
}

static fed_status
daily_alloc(struct daily *d, size_t n)
{
	d->n = n;
	d->ts = calloc(n + 1, sizeof(*d->ts));
	d->wh = calloc(n + 1, sizeof(*d->wh));
	d->cov = calloc(n + 1, sizeof(*d->cov));
	d->gap = calloc(n + 1, sizeof(*d->gap));
	if (d->ts == NULL || d->wh == NULL || d->cov == NULL || d->gap == NULL)
		return FED_RESOURCE_EXHAUSTED;
	return FED_OK;
}

struct summary_cfg {
	char *at;
	int64_t days;
	bool ascii;
	fedctl_out_opts out;
};

#define C struct summary_cfg
static const fed_cfg_opt summary_opts[] = {
    FED_CFG_OPT_STRING(C, at, "at", "now",
        "the instant the periods end at (today, this month, ... of that "
        "time)"),
    FED_CFG_OPT_INT(C, days, "days", "30", 1, 366,
        "days of the sparkline of daily production"),
    FED_CFG_OPT_BOOL(C, ascii, "ascii", "false",
        "draw the sparkline with ASCII characters"),
    FEDCTL_OUT_OPTS(C, out),
};
#undef C

static const fed_cfg_spec summary_spec
    = {"fedctl invest summary", "[INVESTOR] [OPTION]...",
        "The investor's widget: per project and in total, the shares held, "
        "the amount invested, the share of the project's budget, the panel "
        "surface, the production attributed today, this month, this year and "
        "since the holding started (with the coverage of a partly covered "
        "period), its equivalents (days of an average household, kg of CO2), "
        "the linked household consumption and the share of it produced; then "
        "a sparkline of the last --days days (a day without data is a gap, "
        "not a zero). With an investor's token, INVESTOR may be left out.\n"
        "Examples:\n"
        "  fedctl invest summary alice\n"
        "  fedctl --invest-token @alice.token invest summary --ascii\n"
        "  fedctl invest summary alice --at 2026-07-01 --json",
        summary_opts, FED_CFG_N(summary_opts), FED_CFG_ARGV_ONLY};

// --- Daily production (Detail)
// --------------------------------------------------

// One project's days from a Detail reply: the attributed series, a gap
// where the production has no data and on the days that ended before the
// holding started (acquired_ms): nothing was held then, which is not a
// production of zero.
static fed_status
daily_from(
    const Enfed__V1__DetailResponse *r, int64_t acquired_ms, struct daily *d)
{
	const Enfed__V1__SeriesResult *a
	    = r->attributed != NULL ? r->attributed : r->production;
	size_t n = a != NULL ? a->n_value : 0;
	if (a != NULL && a->n_ts_ms < n)
		n = a->n_ts_ms;
	FED_TRY(daily_alloc(d, n));
	for (size_t i = 0; i < n; i++) {
		d->ts[i] = a->ts_ms[i];
		bool before = i < r->n_bucket_end_ms
		    && r->bucket_end_ms[i] <= acquired_ms;
		d->gap[i] = r->attributed == NULL || before
		    || fedctl_bucket_empty(a, i);
		d->wh[i] = d->gap[i] ? 0 : a->value[i];
		d->cov[i] = fedctl_bucket_coverage(a, i);
	}
	return FED_OK;
}

static int
project_daily(fedctl *c, const char *investor,
    const Enfed__V1__ProjectSummary *ps, const int64_t range[2],
    struct daily *d)
{
	const Enfed__V1__Project *p = ps->project;
	Enfed__V1__TimeRange tr = ENFED__V1__TIME_RANGE__INIT;
	tr.from_ms = range[0];
	tr.to_ms = range[1];
	Enfed__V1__DetailRequest req = ENFED__V1__DETAIL_REQUEST__INIT;
	req.investor = (char *) investor;
	req.project_id = p->id;
	req.range = &tr;
	req.step = ENFED__V1__STEP__STEP_DAY;
	req.tz = (char *) fed_tz_name(c->zone);
	Enfed__V1__DetailResponse *rep = NULL;
	fed_status st = fedctl_invest_call(c, "Detail", p->id, &req, &rep);
	if (st == FED_OK) {
		st = daily_from(rep, ps->acquired_ms, d);
		if (st != FED_OK)
			fedctl_fail(c, st, "daily production of %s", p->id);
	}
	if (rep != NULL)
		enfed__v1__detail_response__free_unpacked(rep, NULL);
	return st == FED_OK ? -1 : fedctl_exit_code(st);
}

// The sum of the projects' days: a gap where every project has one.
static fed_status
daily_total(const struct daily *per, size_t n, size_t days, struct daily *t)
{
	FED_TRY(daily_alloc(t, days));
	for (size_t i = 0; i < days; i++) {
		t->gap[i] = true;
		t->cov[i] = 1;
	}
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < per[k].n && i < days; i++) {
			t->ts[i] = per[k].ts[i];
			if (per[k].gap[i])
				continue;
			t->gap[i] = false;
			t->wh[i] += per[k].wh[i];
			if (per[k].cov[i] < t->cov[i])
				t->cov[i] = per[k].cov[i];
		}
	}
	return FED_OK;
}

// --- JSON
// ---------------------------------------------------------------------

static cJSON *
period_json(const fedctl *c, const Enfed__V1__PeriodEnergy *e)
{
	if (e == NULL)
		return cJSON_CreateNull();
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "today_wh", e->today_wh);
	cJSON_AddNumberToObject(j, "month_wh", e->month_wh);
	cJSON_AddNumberToObject(j, "year_wh", e->year_wh);
	cJSON_AddNumberToObject(j, "total_wh", e->total_wh);
	cJSON_AddNumberToObject(j, "today_coverage", e->today_coverage);
	cJSON_AddNumberToObject(j, "month_coverage", e->month_coverage);
	cJSON_AddNumberToObject(j, "year_coverage", e->year_coverage);
	cJSON_AddNumberToObject(j, "total_coverage", e->total_coverage);
	char t[48];
	fedctl_time_iso(c, e->total_from_ms, t, sizeof(t));
	cJSON_AddStringToObject(j, "total_from", t);
	return j;
}

static cJSON *
daily_json(const fedctl *c, const struct daily *d)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < d->n; i++) {
		cJSON *o = cJSON_CreateObject();
		char t[48];
		fedctl_time_iso(c, d->ts[i], t, sizeof(t));
		cJSON_AddStringToObject(o, "day", t);
		if (d->gap[i])
			cJSON_AddNullToObject(o, "wh");
		else
			cJSON_AddNumberToObject(o, "wh", d->wh[i]);
		cJSON_AddNumberToObject(
		    o, "coverage", d->gap[i] ? 0 : d->cov[i]);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *
project_json(const fedctl *c, const Enfed__V1__ProjectSummary *ps,
    const struct daily *d)
{
	const Enfed__V1__Project *p = ps->project;
	cJSON *j = cJSON_CreateObject();
	char t[48];
	cJSON_AddStringToObject(j, "id", p != NULL ? p->id : "");
	cJSON_AddStringToObject(j, "name", p != NULL ? p->name : "");
	cJSON_AddNumberToObject(j, "shares", ps->shares);
	cJSON_AddNumberToObject(
	    j, "total_shares", p != NULL ? p->total_shares : 0);
	cJSON_AddNumberToObject(
	    j, "invested_eur", (double) ps->invested_cents / 100);
	cJSON_AddNumberToObject(
	    j, "invested_cents", (double) ps->invested_cents);
	cJSON_AddNumberToObject(j, "budget_fraction", ps->budget_fraction);
	cJSON_AddNumberToObject(
	    j, "budget_percent", ps->budget_fraction * 100);
	cJSON_AddNumberToObject(j, "panel_m2", ps->panel_m2);
	fedctl_time_iso(c, ps->acquired_ms, t, sizeof(t));
	cJSON_AddStringToObject(j, "acquired", t);
	cJSON_AddNumberToObject(
	    j, "portfolio_fraction", ps->portfolio_fraction);
	cJSON_AddItemToObject(j, "attributed", period_json(c, ps->attributed));
	cJSON_AddItemToObject(
	    j, "project_production", period_json(c, ps->project_production));
	cJSON_AddNumberToObject(j, "households_days", ps->households_days);
	cJSON_AddNumberToObject(j, "co2_avoided_kg", ps->co2_avoided_kg);
	if (ps->data_until_ms != 0) {
		fedctl_time_iso(c, ps->data_until_ms, t, sizeof(t));
		cJSON_AddStringToObject(j, "data_until", t);
	} else {
		cJSON_AddNullToObject(j, "data_until");
	}
	if (ps->unavailable[0] != '\0')
		cJSON_AddStringToObject(j, "unavailable", ps->unavailable);
	else
		cJSON_AddNullToObject(j, "unavailable");
	cJSON_AddItemToObject(j, "daily", daily_json(c, d));
	return j;
}

static cJSON *
ratio_json(const Enfed__V1__PeriodRatio *r)
{
	if (r == NULL)
		return cJSON_CreateNull();
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "today", r->today);
	cJSON_AddNumberToObject(j, "month", r->month);
	cJSON_AddNumberToObject(j, "year", r->year);
	cJSON_AddNumberToObject(j, "total", r->total);
	return j;
}

static cJSON *
factors_json(const Enfed__V1__Factors *f)
{
	cJSON *j = cJSON_CreateObject();
	if (f == NULL)
		return j;
	cJSON_AddNumberToObject(j, "panel_m2_per_kwc", f->panel_m2_per_kwc);
	cJSON_AddNumberToObject(
	    j, "household_wh_per_day", f->household_wh_per_day);
	cJSON_AddNumberToObject(
	    j, "grid_g_co2_per_kwh", f->grid_g_co2_per_kwh);
	return j;
}

static void
emit_json(const fedctl *c, const Enfed__V1__InvestorSummary *s,
    const struct daily *per, const struct daily *total)
{
	cJSON *j = cJSON_CreateObject();
	char t[48];
	cJSON_AddStringToObject(j, "investor", s->investor);
	fedctl_time_iso(c, s->at_ms, t, sizeof(t));
	cJSON_AddStringToObject(j, "at", t);
	cJSON_AddStringToObject(j, "tz", s->tz);
	cJSON_AddNumberToObject(
	    j, "invested_eur", (double) s->invested_cents / 100);
	cJSON_AddNumberToObject(
	    j, "invested_cents", (double) s->invested_cents);
	cJSON_AddNumberToObject(j, "panel_m2", s->panel_m2);
	cJSON_AddItemToObject(j, "attributed", period_json(c, s->attributed));
	cJSON_AddNumberToObject(j, "households_days", s->households_days);
	cJSON_AddNumberToObject(j, "co2_avoided_kg", s->co2_avoided_kg);
	bool linked = s->consumption_series[0] != '\0';
	if (linked)
		cJSON_AddStringToObject(
		    j, "consumption_series", s->consumption_series);
	else
		cJSON_AddNullToObject(j, "consumption_series");
	cJSON_AddItemToObject(
	    j, "consumption", period_json(c, linked ? s->consumption : NULL));
	cJSON_AddItemToObject(j, "consumption_share",
	    ratio_json(linked ? s->consumption_share : NULL));
	if (linked && s->consumption != NULL) {
		fedctl_time_iso(c, s->consumption_until_ms, t, sizeof(t));
		cJSON_AddStringToObject(j, "consumption_until", t);
	} else {
		cJSON_AddNullToObject(j, "consumption_until");
	}
	if (linked && s->consumption_unavailable[0] != '\0')
		cJSON_AddStringToObject(
		    j, "consumption_unavailable", s->consumption_unavailable);
	else
		cJSON_AddNullToObject(j, "consumption_unavailable");
	cJSON_AddItemToObject(j, "factors", factors_json(s->factors));
	cJSON *a = cJSON_AddArrayToObject(j, "projects");
	for (size_t i = 0; i < s->n_projects; i++)
		cJSON_AddItemToArray(
		    a, project_json(c, s->projects[i], &per[i]));
	cJSON_AddItemToObject(j, "daily", daily_json(c, total));
	fedctl_json_emit(j);
}

// --- Text
// -----------------------------------------------------------------------

static void
date_short(const fedctl *c, int64_t utc_ms, char *buf, size_t len)
{
	fed_tz_tm t;
	fed_tz_localtime(fedctl_show_zone(c), utc_ms, &t);
	snprintf(buf, len, "%04d-%02d-%02d", t.year, t.month, t.day);
}

// "14.7 Wh" and, when the period is partly covered, its coverage:
// "14.7 Wh (83 %)".
static void
energy_cov(double wh, double cov, char *buf, size_t len)
{
	char e[40];
	fedctl_fmt_energy(wh, e, sizeof(e));
	if (cov < 0.9995)
		snprintf(buf, len, "%s (%.0f %%)", e, cov * 100);
	else
		snprintf(buf, len, "%s", e);
}

static void
print_period_head(void)
{
	printf("  %-14s %-17s %-17s %-17s %s\n", "", "today", "this month",
	    "this year", "total");
}

// One row of the periods' table, the total's start after it. A household
// counted in whole days has no figure for today: "-".
static void
print_row(const fedctl *c, const char *label, const Enfed__V1__PeriodEnergy *e,
    bool whole_days)
{
	if (e == NULL)
		return;
	char td[64], mo[64], yr[64], tot[64], from[24];
	if (whole_days)
		snprintf(td, sizeof(td), "-");
	else
		energy_cov(e->today_wh, e->today_coverage, td, sizeof(td));
	energy_cov(e->month_wh, e->month_coverage, mo, sizeof(mo));
	energy_cov(e->year_wh, e->year_coverage, yr, sizeof(yr));
	energy_cov(e->total_wh, e->total_coverage, tot, sizeof(tot));
	date_short(c, e->total_from_ms, from, sizeof(from));
	printf("  %-14s %-17s %-17s %-17s %s since %s\n", label, td, mo, yr,
	    tot, from);
}

static void
print_period(
    const fedctl *c, const char *label, const Enfed__V1__PeriodEnergy *e)
{
	print_row(c, label, e, false);
}

static void
print_equivalents(double days, double kg)
{
	char d[40], k[40];
	fedctl_fmt_human(days, d, sizeof(d));
	fedctl_fmt_human(kg, k, sizeof(k));
	printf("  %-14s %s days of an average household, %s kg CO₂ avoided\n",
	    "equivalents:", d, k);
}

static void
print_spark(const struct daily *d, bool ascii)
{
	if (d->n == 0)
		return;
	size_t len = 3 * d->n + 1;
	char *buf = malloc(len);
	if (buf == NULL
	    || fedctl_sparkline(d->wh, d->gap, d->n, ascii, buf, len)
	        != FED_OK) {
		free(buf);
		return;
	}
	double max = 0;
	size_t with = 0;
	for (size_t i = 0; i < d->n; i++)
		if (!d->gap[i]) {
			with++;
			if (d->wh[i] > max)
				max = d->wh[i];
		}
	char m[40], label[32];
	fedctl_fmt_energy(max, m, sizeof(m));
	snprintf(label, sizeof(label), "last %zu days:", d->n);
	printf("  %-14s %s  (max %s a day; %zu of %zu days shown)\n", label,
	    buf, m, with, d->n);
	free(buf);
}

static void
print_project(const fedctl *c, const Enfed__V1__ProjectSummary *ps,
    const struct daily *d, bool ascii)
{
	const Enfed__V1__Project *p = ps->project;
	char eur[48], since[24], v[40];
	printf("%s — %s\n", p->id, p->name);
	printf("  %-14s %u of %u, %.2f %% of the budget\n",
	    "shares:", ps->shares, p->total_shares, ps->budget_fraction * 100);
	fedctl_fmt_euros(ps->invested_cents, eur, sizeof(eur));
	date_short(c, ps->acquired_ms, since, sizeof(since));
	printf("  %-14s %s since %s (%.0f %% of the portfolio)\n",
	    "invested:", eur, since, ps->portfolio_fraction * 100);
	fedctl_fmt_human(ps->panel_m2, v, sizeof(v));
	printf("  %-14s %s m²\n", "panels:", v);
	print_period_head();
	print_period(c, "attributed:", ps->attributed);
	print_period(c, "plant:", ps->project_production);
	print_equivalents(ps->households_days, ps->co2_avoided_kg);
	if (p->series_id[0] == '\0')
		printf("  %-14s no production series yet\n", "data:");
	else if (ps->unavailable[0] != '\0')
		printf("  %-14s unavailable: %s\n", "data:", ps->unavailable);
	print_spark(d, ascii);
}

// The share of the household's consumption that the holdings produced,
// over its whole days (none today).
static void
print_share(const Enfed__V1__PeriodRatio *r)
{
	char mo[24], yr[24];
	snprintf(mo, sizeof(mo), "%.1f %%", r->month * 100);
	snprintf(yr, sizeof(yr), "%.1f %%", r->year * 100);
	printf("  %-14s %-17s %-17s %-17s %.1f %%\n", "produced/used:", "-",
	    mo, yr, r->total * 100);
}

// The linked household: its whole days and the share produced, or why
// they are unavailable.
static void
print_household(const fedctl *c, const Enfed__V1__InvestorSummary *s)
{
	if (s->consumption_series[0] == '\0')
		return;
	if (s->consumption == NULL) {
		printf("  %-14s %s: unavailable: %s\n",
		    "household:", s->consumption_series,
		    s->consumption_unavailable[0] != '\0'
		        ? s->consumption_unavailable
		        : "no figures");
		return;
	}
	print_row(c, "consumption:", s->consumption, true);
	if (s->consumption_share != NULL)
		print_share(s->consumption_share);
	char until[24];
	date_short(c, s->consumption_until_ms, until, sizeof(until));
	printf("  %-14s %s, whole days before %s\n",
	    "household:", s->consumption_series, until);
}

static void
print_text(const fedctl *c, const Enfed__V1__InvestorSummary *s,
    const struct daily *per, const struct daily *total, bool ascii)
{
	char at[48], eur[48], v[40];
	fedctl_time_short(c, s->at_ms, at, sizeof(at));
	printf("%s — figures at %s (%s)\n", s->investor, at, s->tz);
	for (size_t i = 0; i < s->n_projects; i++) {
		printf("\n");
		print_project(c, s->projects[i], &per[i], ascii);
	}
	if (s->n_projects == 0) {
		printf("\nno holding\n");
		return;
	}
	printf("\ntotal (%zu project%s)\n", s->n_projects,
	    s->n_projects > 1 ? "s" : "");
	fedctl_fmt_euros(s->invested_cents, eur, sizeof(eur));
	printf("  %-14s %s\n", "invested:", eur);
	fedctl_fmt_human(s->panel_m2, v, sizeof(v));
	printf("  %-14s %s m²\n", "panels:", v);
	print_period_head();
	print_period(c, "attributed:", s->attributed);
	print_household(c, s);
	print_equivalents(s->households_days, s->co2_avoided_kg);
	print_spark(total, ascii);
	printf("\n(NN %%): the part of the period that data cover; a day "
	       "without data is a gap in the sparkline.\n");
}

// --- The verb
// ---------------------------------------------------------------------

// The days of the sparkline: [local midnight days-1 days before the day
// of at - 1 ms, at) (at - 1 ms: a summary at midnight ends with the day
// before).
static int
spark_range(fedctl *c, int64_t at, int64_t days, int64_t range[2])
{
	char expr[32];
	snprintf(expr, sizeof(expr), "today-%lldd", (long long) (days - 1));
	fed_status st = fedctl_time_parse(c->zone, expr, at - 1, &range[0]);
	range[1] = at;
	return st == FED_OK
	    ? -1
	    : fedctl_fail(c, st, "days before %lld", (long long) at);
}

static int
dailies(fedctl *c, const Enfed__V1__InvestorSummary *s, int64_t at,
    int64_t days, struct daily *per, struct daily *total)
{
	int64_t range[2];
	int rc = spark_range(c, at, days, range);
	for (size_t i = 0; rc < 0 && i < s->n_projects; i++) {
		const Enfed__V1__Project *p = s->projects[i]->project;
		// A project whose data fed-invest cannot read has no days.
		if (p != NULL && p->series_id[0] != '\0'
		    && s->projects[i]->unavailable[0] == '\0')
			rc = project_daily(
			    c, s->investor, s->projects[i], range, &per[i]);
	}
	if (rc < 0
	    && daily_total(per, s->n_projects, (size_t) days, total) != FED_OK)
		rc = fedctl_fail(
		    c, FED_RESOURCE_EXHAUSTED, "daily production");
	if (rc < 0) {
		// The total's length is that of the projects' days.
		size_t n = 0;
		for (size_t i = 0; i < s->n_projects; i++)
			if (per[i].n > n)
				n = per[i].n;
		total->n = n;
	}
	return rc;
}

static int
show_summary(fedctl *c, const Enfed__V1__InvestorSummary *s,
    const struct summary_cfg *cfg)
{
	struct daily *per = calloc(s->n_projects + 1, sizeof(*per));
	struct daily total = {0};
	if (per == NULL)
		return fedctl_fail(c, FED_RESOURCE_EXHAUSTED, "summary");
	int rc = dailies(c, s, s->at_ms, cfg->days, per, &total);
	if (rc < 0 && c->format == FEDCTL_JSON)
		emit_json(c, s, per, &total);
	else if (rc < 0)
		print_text(c, s, per, &total, cfg->ascii);
	for (size_t i = 0; i < s->n_projects; i++)
		daily_fini(&per[i]);
	free(per);
	daily_fini(&total);
	return rc < 0 ? FEDCTL_EXIT_OK : rc;
}

static int
run_summary(fedctl *c, const fedctl_verb_input *in)
{
	const struct summary_cfg *cfg = in->cfg;
	const char *investor = in->n_args == 1 ? in->args[0] : "";
	int64_t at = 0;
	if (fedctl_time_parse(c->zone, cfg->at, fed_clock_now_ms(), &at)
	    != FED_OK)
		return fedctl_usage(c,
		    "--at '%s': a date, a time or 'now' is expected", cfg->at);
	Enfed__V1__SummaryRequest req = ENFED__V1__SUMMARY_REQUEST__INIT;
	req.investor = (char *) investor;
	req.at_ms = at;
	req.tz = (char *) fed_tz_name(c->zone);
	Enfed__V1__InvestorSummary *s = NULL;
	fed_status st = fedctl_invest_call(c, "Summary", investor, &req, &s);
	int rc = st == FED_OK ? show_summary(c, s, cfg) : fedctl_exit_code(st);
	if (s != NULL)
		enfed__v1__investor_summary__free_unpacked(s, NULL);
	return rc;
}

int
fedctl_invest_summary(fedctl *c, int argc, char **argv)
{
	static const fedctl_verb summary = {.run = run_summary,
	    FEDCTL_OPTS(summary_spec, struct summary_cfg),
	    .args = FEDCTL_ARGS(0, 1, NULL)};
	return fedctl_verb_exec(c, &summary, argc, argv);
}
