// SPDX-License-Identifier: MIT
//
// cmd_query.c: `fedctl query` (points or buckets of one or more series, on
// the same buckets, as a table, CSV, JSON or SenML) and `fedctl export`
// (the raw points of series, as CSV or SenML, for spreadsheets).

#include <stdio.h>

#include "query.h"

struct query_cfg {
	char *from, *to;
	int step, agg;
	bool senml, coverage;
	fedctl_out_opts out;
};

#define C struct query_cfg
#define RANGE_OPTS                                                        \
	FED_CFG_OPT_STRING(C, from, "from", "today",                      \
	    "start (included): ISO 8601, a date, now, today, yesterday, " \
	    "-7d, today-1w, ..."),                                        \
	    FED_CFG_OPT_STRING(                                           \
	        C, to, "to", "now", "end (excluded), same forms")

static const fed_cfg_opt query_opts[] = {
    RANGE_OPTS,
    FED_CFG_OPT_ENUM(C, step, "step", "raw", FEDCTL_STEPS,
        "bucket size; day, week, month, year follow the local calendar"),
    FED_CFG_OPT_ENUM(C, agg, "agg", "default", FEDCTL_AGGS,
        "aggregate of a bucket (default: sum for energy, mean for power)"),
    FED_CFG_OPT_BOOL(
        C, senml, "senml", "false", "machine output: SenML (RFC 8428 JSON)"),
    FED_CFG_OPT_BOOL(C, coverage, "coverage", "false",
        "with --csv: a '<series>:coverage' column after each series"),
    FEDCTL_OUT_OPTS(C, out),
};

static const fed_cfg_opt export_opts[] = {
    RANGE_OPTS,
    FED_CFG_OPT_BOOL(
        C, senml, "senml", "false", "SenML (RFC 8428 JSON) instead of CSV"),
    FEDCTL_OUT_OPTS(C, out),
};
#undef C

static const fed_cfg_spec query_spec
    = {"fedctl query", "SERIES... [OPTION]...",
        "Queries one or more series on the same buckets. A table on a "
        "terminal: one column per series, '-' for an empty bucket, the "
        "coverage of a partly covered one as '123.5 (87%)'. --csv: "
        "time,<series>... with ISO 8601 times and their offset (empty field: "
        "no data); --json; --senml (bn = series id, times in seconds).\n"
        "Examples:\n"
        "  fedctl query kermelo/school/energy --from today-7d --to today "
        "--step day\n"
        "  fedctl query kermelo/school/energy kermelo/pv/energy --from "
        "2026-03-29 --to 2026-03-30 --step hour --csv\n"
        "  fedctl query bmhs/house/power --from -2h --agg max --step 15min "
        "--json --utc",
        query_opts, FED_CFG_N(query_opts), FED_CFG_ARGV_ONLY};

static const fed_cfg_spec export_spec
    = {"fedctl export", "SERIES... [--from T] [--to T] [--csv|--senml]",
        "Writes the raw points of series as CSV (time,<series>..., ISO 8601 "
        "times with their offset) or SenML, for spreadsheets and other "
        "tools.\n"
        "Examples:\n"
        "  fedctl export kermelo/pv/energy --from 2026-01-01 --to 2027-01-01 "
        "> pv-2026.csv\n"
        "  fedctl export kermelo/pv/energy --from -1d --senml",
        export_opts, FED_CFG_N(export_opts), FED_CFG_ARGV_ONLY};

static int
write_result(fedctl *c, const struct query_cfg *cfg, const fedctl_query *q,
    int64_t from, int64_t to, const Enfed__V1__QueryResponse *r)
{
	fed_status st = FED_OK;
	if (cfg->senml)
		st = fedctl_write_senml(r, stdout);
	else if (c->format == FEDCTL_JSON)
		st = fedctl_write_json(c, q, from, to, r);
	else if (c->format == FEDCTL_CSV)
		fedctl_write_csv(c, r, cfg->coverage, stdout);
	else
		fedctl_write_table(c, r, stdout);
	if (fflush(stdout) != 0 || ferror(stdout))
		st = FED_UNAVAILABLE;
	return st == FED_OK ? FEDCTL_EXIT_OK
	                    : fedctl_fail(c, st, "writing the output");
}

static int
run(fedctl *c, const fed_cfg_spec *spec, int argc, char **argv, bool is_export)
{
	struct query_cfg cfg = {0};
	fed_cfg_result res;
	int rc = fedctl_load_sub(c, spec, &cfg, argc, argv, &cfg.out, &res);
	if (rc < 0 && res.n_args == 0)
		rc = fedctl_usage(c, "at least one series id is needed");
	if (rc < 0 && cfg.senml && c->format != FEDCTL_TEXT)
		rc = fedctl_usage(c, "--senml excludes --json and --csv");
	if (rc < 0) {
		if (is_export && !cfg.senml)
			c->format = FEDCTL_CSV;
		fedctl_query q = {res.args, (size_t) res.n_args, cfg.from,
		    cfg.to, cfg.step, cfg.agg};
		Enfed__V1__QueryResponse *r = NULL;
		int64_t from = 0, to = 0;
		rc = fedctl_query_run(c, &q, &r, &from, &to);
		if (rc < 0)
			rc = write_result(c, &cfg, &q, from, to, r);
		if (r != NULL)
			enfed__v1__query_response__free_unpacked(r, NULL);
	}
	fed_cfg_fini(spec, &cfg);
	return rc;
}

int
cmd_query(fedctl *c, int argc, char **argv)
{
	return run(c, &query_spec, argc, argv, false);
}

int
cmd_export(fedctl *c, int argc, char **argv)
{
	return run(c, &export_spec, argc, argv, true);
}
