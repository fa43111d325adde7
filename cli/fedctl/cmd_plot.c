// SPDX-License-Identifier: MIT
//
// cmd_plot.c: `fedctl plot SERIES...`, the superimposed load curves of use
// case 2: each series' box (GetSeries) above its curve, all curves on the
// buckets of one Query and on one time axis; in the terminal, or as SVG.

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fed/clock.h"
#include "plot.h"
#include "query.h"

struct plot_cfg {
	char *from, *to;
	int step, agg;
	char *svg;
	uint64_t width, height;
	bool ascii;
	fedctl_out_opts out;
};

#define C struct plot_cfg
static const fed_cfg_opt plot_opts[] = {
    FED_CFG_OPT_STRING(C, from, "from", "today-7d",
        "start (included): ISO 8601, a date, now, today, -7d, ..."),
    FED_CFG_OPT_STRING(C, to, "to", "today", "end (excluded), same forms"),
    FED_CFG_OPT_ENUM(C, step, "step", "auto", "auto|" FEDCTL_STEPS,
        "bucket size; auto: 15min up to 2 days, hour up to 2 weeks, day "
        "up to a year, week up to 4 years, else month"),
    FED_CFG_OPT_ENUM(C, agg, "agg", "default", FEDCTL_AGGS,
        "aggregate of a bucket (default: sum for energy, mean for power)"),
    FED_CFG_OPT_STRING(C, svg, "svg", NULL,
        "write the figure as SVG to this file ('-': standard output)"),
    FED_CFG_OPT_UINT(C, width, "width", "0", 0, 1000,
        "columns of the curves (0: the terminal's width)"),
    FED_CFG_OPT_UINT(C, height, "height", "8", 2, 100, "rows per curve"),
    FED_CFG_OPT_BOOL(C, ascii, "ascii", "false",
        "ASCII characters instead of Unicode blocks"),
    FEDCTL_OUT_OPTS(C, out),
};
#undef C

static const fed_cfg_spec plot_spec = {"fedctl plot", "SERIES... [OPTION]...",
    "Draws the load curves of series one under another on one time axis, "
    "each under its description box. Empty buckets are gaps, never 0.\n"
    "Examples:\n"
    "  fedctl plot kermelo/school/energy bmhs/house/energy kermelo/pv/energy"
    "\n"
    "  fedctl plot kermelo/school/energy kermelo/pv/energy --from "
    "2026-06-01 --to 2026-07-01 --step day --svg june.svg",
    plot_opts, FED_CFG_N(plot_opts), FED_CFG_ARGV_ONLY};

static int
auto_step(int64_t span_ms)
{
	const int64_t day = 86400000;
	if (span_ms <= 2 * day)
		return ENFED__V1__STEP__STEP_15MIN;
	if (span_ms <= 14 * day)
		return ENFED__V1__STEP__STEP_HOUR;
	if (span_ms <= 366 * day)
		return ENFED__V1__STEP__STEP_DAY;
	if (span_ms <= 4 * 366 * day)
		return ENFED__V1__STEP__STEP_WEEK;
	return ENFED__V1__STEP__STEP_MONTH;
}

static size_t
term_width(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 30)
		return ws.ws_col - 12;
	return 72;
}

static int
get_infos(fedctl *c, char **ids, size_t n, Enfed__V1__SeriesInfo **infos)
{
	for (size_t i = 0; i < n; i++) {
		Enfed__V1__GetSeriesRequest req
		    = ENFED__V1__GET_SERIES_REQUEST__INIT;
		req.id = ids[i];
		fed_status st = fedctl_store_call(
		    c, "GetSeries", ids[i], &req, &infos[i]);
		if (st != FED_OK)
			return fedctl_exit_code(st);
	}
	return -1;
}

static int
draw(fedctl *c, const struct plot_cfg *cfg, const fedctl_plot *p)
{
	fed_status st;
	if (cfg->svg == NULL) {
		size_t w = cfg->width ? cfg->width : term_width();
		st = fedctl_plot_text(
		    c, p, w, cfg->height, cfg->ascii, stdout);
		return st == FED_OK ? 0 : fedctl_fail(c, st, "drawing");
	}
	bool out = strcmp(cfg->svg, "-") == 0;
	FILE *f = out ? stdout : fopen(cfg->svg, "w");
	if (f == NULL)
		return fedctl_fail(
		    c, FED_PERMISSION_DENIED, "cannot write '%s'", cfg->svg);
	st = fedctl_plot_svg(c, p, f);
	if ((!out && fclose(f) != 0) || (out && fflush(f) != 0))
		st = FED_UNAVAILABLE;
	return st == FED_OK ? 0 : fedctl_fail(c, st, "writing '%s'", cfg->svg);
}

static int
plot(fedctl *c, struct plot_cfg *cfg, char **ids, size_t n)
{
	Enfed__V1__SeriesInfo **infos = calloc(n, sizeof(*infos));
	if (infos == NULL)
		return fedctl_fail(c, FED_RESOURCE_EXHAUSTED, "plot");
	int rc = get_infos(c, ids, n, infos);
	int64_t from = 0, to = 0, now = fed_clock_now_ms();
	fedctl_query q = {ids, n, cfg->from, cfg->to, cfg->step - 1, cfg->agg};
	if (rc < 0 && q.step < 0) {
		if (fedctl_time_parse(c->zone, cfg->from, now, &from) != FED_OK
		    || fedctl_time_parse(c->zone, cfg->to, now, &to) != FED_OK)
			q.step
			    = ENFED__V1__STEP__STEP_HOUR; // query reports it
		else
			q.step = auto_step(to - from);
	}
	Enfed__V1__QueryResponse *r = NULL;
	if (rc < 0)
		rc = fedctl_query_run(c, &q, &r, &from, &to);
	if (rc < 0) {
		fedctl_plot p = {from, to, n, infos, r->results,
		    r->bucket_end_ms, r->n_bucket_end_ms,
		    fedctl_step_name(q.step), fedctl_agg_name(q.agg)};
		rc = draw(c, cfg, &p);
	}
	if (r != NULL)
		enfed__v1__query_response__free_unpacked(r, NULL);
	for (size_t i = 0; i < n; i++)
		if (infos[i] != NULL)
			enfed__v1__series_info__free_unpacked(infos[i], NULL);
	free(infos);
	return rc;
}

int
cmd_plot(fedctl *c, int argc, char **argv)
{
	struct plot_cfg cfg = {0};
	fed_cfg_result res;
	int rc
	    = fedctl_load_sub(c, &plot_spec, &cfg, argc, argv, &cfg.out, &res);
	if (rc < 0 && res.n_args == 0)
		rc = fedctl_usage(c, "at least one series id is needed");
	if (rc < 0)
		rc = plot(c, &cfg, res.args, (size_t) res.n_args);
	fed_cfg_fini(&plot_spec, &cfg);
	return rc;
}
