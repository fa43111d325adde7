// SPDX-License-Identifier: MIT
//
// cmd_invest.c: `fedctl invest add|ls|rm|link|summary|check`, citizens'
// holdings in projects and the investor's widget, on fed-invest
// (enfed.v1.Invest PutInvestment, ListInvestments, RemoveInvestment,
// LinkConsumption, Summary and Detail), and the check of its database
// (Integrity/Check, svc_check.c). The summary's figures are computed by
// fed-invest; this file only lays them out: euros, energies with their unit,
// coverage when a period is partly covered, and a sparkline of the last days'
// attributed production in which a day without data is a gap.

#include <stdlib.h>
#include <string.h>

#include "enfed/v1/invest.pb-c.h"
#include "fed/clock.h"
#include "fedctl.h"
#include "svc_check.h"
#include "verb.h"

// Parses a time argument of option `opt` in --tz; -1 when it parses.
static int
parse_time(fedctl *c, const char *opt, const char *s, int64_t *out)
{
	if (fedctl_time_parse(c->zone, s, fed_clock_now_ms(), out) != FED_OK)
		return fedctl_usage(c,
		    "--%s '%s': a date (2026-06-10), a time or 'now' is "
		    "expected",
		    opt, s);
	return -1;
}

static cJSON *
investment_json(const fedctl *c, const void *msg)
{
	const Enfed__V1__Investment *iv = msg;
	cJSON *j = cJSON_CreateObject();
	char t[48];
	cJSON_AddStringToObject(j, "investor", iv->investor);
	cJSON_AddStringToObject(j, "project_id", iv->project_id);
	cJSON_AddNumberToObject(j, "shares", iv->shares);
	fedctl_time_iso(c, iv->acquired_ms, t, sizeof(t));
	cJSON_AddStringToObject(j, "acquired", t);
	return j;
}

// --- add --------------------------------------------------------------------

struct add_cfg {
	char *acquired;
	fedctl_out_opts out;
};

static const fed_cfg_opt add_opts[] = {
    FED_CFG_OPT_STRING(struct add_cfg, acquired, "acquired", "now",
        "when the holding started (a date, a time, 'now')"),
    FEDCTL_OUT_OPTS(struct add_cfg, out),
};

static const fed_cfg_spec add_spec = {"fedctl invest add",
    "INVESTOR PROJECT SHARES [--acquired T] [OPTION]...",
    "Records that INVESTOR holds SHARES shares of PROJECT (replacing its "
    "holding there, if any). Refused, with the numbers, when fewer shares "
    "remain available. Needs the admin token or the investor's own.\n"
    "Examples:\n"
    "  fedctl invest add alice kermelo-pv 2 --acquired 2026-06-10\n"
    "  fedctl --invest-token @alice.token invest add alice kermelo-pv 4",
    add_opts, FED_CFG_N(add_opts), FED_CFG_ARGV_ONLY};

static int
parse_shares(fedctl *c, const char *s, uint32_t *out)
{
	char *end = NULL;
	unsigned long v = strtoul(s, &end, 10);
	if (end == s || *end != '\0' || s[0] == '-' || v == 0
	    || v > UINT32_MAX)
		return fedctl_usage(
		    c, "SHARES '%s': a whole number above 0 is expected", s);
	*out = (uint32_t) v;
	return -1;
}

static void
holding_text(const fedctl *c, const void *msg)
{
	const Enfed__V1__Investment *iv = msg;
	char t[48];
	fedctl_time_short(c, iv->acquired_ms, t, sizeof(t));
	printf("%s holds %u shares of %s since %s\n", iv->investor, iv->shares,
	    iv->project_id, t);
}

static const fedctl_view holding_view
    = {.json = investment_json, .text = holding_text};

static int
invest_add(fedctl *c, const fedctl_verb_input *in)
{
	const struct add_cfg *cfg = in->cfg;
	Enfed__V1__Investment iv = ENFED__V1__INVESTMENT__INIT;
	int rc = parse_shares(c, in->args[2], &iv.shares);
	if (rc < 0)
		rc = parse_time(c, "acquired", cfg->acquired, &iv.acquired_ms);
	if (rc >= 0)
		return rc;
	iv.investor = in->args[0];
	iv.project_id = in->args[1];
	Enfed__V1__PutInvestmentRequest req
	    = ENFED__V1__PUT_INVESTMENT_REQUEST__INIT;
	req.investment = &iv;
	Enfed__V1__Investment *rep = NULL;
	fed_status st
	    = fedctl_invest_call(c, "PutInvestment", in->args[1], &req, &rep);
	return fedctl_reply(c, &holding_view, st, rep);
}

// --- ls ---------------------------------------------------------------------

struct ls_cfg {
	char *investor, *project;
	fedctl_out_opts out;
};

static const fed_cfg_opt ls_opts[] = {
    FED_CFG_OPT_STRING(struct ls_cfg, investor, "investor", "",
        "only this investor's holdings (an investor's token: its own)"),
    FED_CFG_OPT_STRING(struct ls_cfg, project, "project", "",
        "only the holdings of this project"),
    FEDCTL_OUT_OPTS(struct ls_cfg, out),
};

static const fed_cfg_spec ls_spec = {"fedctl invest ls", "[OPTION]...",
    "Lists holdings: investor, project, shares, since when.\n"
    "Examples:\n"
    "  fedctl invest ls --project kermelo-pv\n"
    "  fedctl invest ls --investor alice --json",
    ls_opts, FED_CFG_N(ls_opts), FED_CFG_ARGV_ONLY};

static void
ls_header(void)
{
	printf(
	    "%-24s %-20s %8s  %s\n", "INVESTOR", "PROJECT", "SHARES", "SINCE");
}

static void
ls_row(const fedctl *c, const void *msg)
{
	const Enfed__V1__Investment *iv = msg;
	char t[48];
	fedctl_time_short(c, iv->acquired_ms, t, sizeof(t));
	printf("%-24s %-20s %8u  %s\n", iv->investor, iv->project_id,
	    iv->shares, t);
}

static const fedctl_view ls_view = {.rows = "investments",
    .json = investment_json,
    .text = ls_row,
    .header = ls_header,
    .empty = "(no holding)\n"};

static int
invest_ls(fedctl *c, const fedctl_verb_input *in)
{
	const struct ls_cfg *cfg = in->cfg;
	Enfed__V1__ListInvestmentsRequest req
	    = ENFED__V1__LIST_INVESTMENTS_REQUEST__INIT;
	req.investor = cfg->investor;
	req.project_id = cfg->project;
	Enfed__V1__ListInvestmentsResponse *rep = NULL;
	fed_status st
	    = fedctl_invest_call(c, "ListInvestments", "", &req, &rep);
	return fedctl_reply(c, &ls_view, st, rep);
}

// --- rm, link ---------------------------------------------------------------

// What rm and link did, once done: the line `text`, or with --json
// {"investor": investor, key: value}.
static void
print_done(const fedctl *c, const char *investor, const char *key,
    const char *value, const char *text)
{
	if (c->format != FEDCTL_JSON) {
		fputs(text, stdout);
		return;
	}
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "investor", investor);
	cJSON_AddStringToObject(j, key, value);
	fedctl_json_emit(j);
}

static const fed_cfg_spec rm_spec
    = FEDCTL_PLAIN_SPEC("fedctl invest rm", "INVESTOR PROJECT",
        "Removes INVESTOR's holding in PROJECT (no holding there: nothing to "
        "do, not an error).\n"
        "Example:\n"
        "  fedctl invest rm alice kermelo-pv");

static int
invest_rm(fedctl *c, const fedctl_verb_input *in)
{
	Enfed__V1__RemoveInvestmentRequest req
	    = ENFED__V1__REMOVE_INVESTMENT_REQUEST__INIT;
	req.investor = in->args[0];
	req.project_id = in->args[1];
	Enfed__V1__InvestEmpty *rep = NULL;
	fed_status st = fedctl_invest_call(
	    c, "RemoveInvestment", req.project_id, &req, &rep);
	char line[512];
	snprintf(line, sizeof(line), "removed the holding of %s in %s\n",
	    req.investor, req.project_id);
	if (st == FED_OK)
		print_done(
		    c, req.investor, "project_id", req.project_id, line);
	return fedctl_reply(c, NULL, st, rep);
}

struct link_cfg {
	char *node;
	char *grant_token;
	fedctl_out_opts out;
};

static const fed_cfg_opt link_opts[] = {
    FED_CFG_OPT_STRING(struct link_cfg, node, "series-node", "",
        "the fed-node holding it, as named in fed-invest's --nodes "
        "(empty: the first)"),
    FED_CFG_OPT_STRING(struct link_cfg, grant_token, "grant-token", "",
        "the household's consent: the token of the grant of SERIES that "
        "its node issued to the investment service (@FILE reads it from "
        "FILE; keep it out of argv)"),
    FEDCTL_OUT_OPTS(struct link_cfg, out),
};

static const fed_cfg_spec link_spec = {"fedctl invest link",
    "INVESTOR SERIES --grant-token @FILE [--series-node NAME]",
    "Links INVESTOR's household consumption series, so that the summary "
    "shows the consumption, in whole days, and the share of it the "
    "holdings produced. The household consents with a grant on the node "
    "that holds SERIES, to the investment service's organisation; daily "
    "totals suffice. The household's administrator makes it there, and "
    "the node prints its token once:\n"
    "  fedctl --node NODE grant create SERIES --to ORG --scope query "
    "--finest day\n"
    "fed-invest checks the token with that node before linking, and reads "
    "the series with it only; revoking the grant there stops it at once. "
    "The token is a secret: pass it as @FILE (a file readable by you "
    "only). SERIES '' removes the link (no token needed).\n"
    "Examples:\n"
    "  fedctl invest link alice bmhs/house/energy --series-node bmhs "
    "--grant-token @alice-grant.token\n"
    "  fedctl invest link alice ''",
    link_opts, FED_CFG_N(link_opts), FED_CFG_ARGV_ONLY};

static int
invest_link(fedctl *c, const fedctl_verb_input *in)
{
	const struct link_cfg *cfg = in->cfg;
	Enfed__V1__LinkConsumptionRequest req
	    = ENFED__V1__LINK_CONSUMPTION_REQUEST__INIT;
	req.investor = in->args[0];
	req.series_id = in->args[1];
	req.series_node = cfg->node;
	req.grant_token = cfg->grant_token;
	if (req.series_id[0] != '\0' && req.grant_token[0] == '\0')
		return fedctl_usage(c,
		    "--grant-token @FILE is needed: the token of the grant "
		    "of %s that its node issued to the investment service "
		    "(see --help)",
		    req.series_id);
	Enfed__V1__InvestEmpty *rep = NULL;
	fed_status st = fedctl_invest_call(
	    c, "LinkConsumption", req.investor, &req, &rep);
	char line[512];
	if (req.series_id[0] != '\0')
		snprintf(line, sizeof(line),
		    "%s: consumption series '%s', under the household's "
		    "grant\n",
		    req.investor, req.series_id);
	else
		snprintf(line, sizeof(line), "%s: no consumption series\n",
		    req.investor);
	if (st == FED_OK)
		print_done(c, req.investor, "consumption_series",
		    req.series_id, line);
	return fedctl_reply(c, NULL, st, rep);
}

static int
invest_check(fedctl *c, const fedctl_verb_input *in)
{
	(void) in;
	return fedctl_svc_check(c, FEDCTL_SVC_INVEST);
}

// --- Dispatch ---------------------------------------------------------------

static const fedctl_verb verbs[] = {
    {.name = "add",
        .run = invest_add,
        .help = "record a holding: INVESTOR PROJECT SHARES",
        FEDCTL_OPTS(add_spec, struct add_cfg),
        .args = FEDCTL_EXACTLY(3, "INVESTOR PROJECT SHARES are needed")},
    {.name = "ls",
        .run = invest_ls,
        .help = "the holdings (--investor, --project)",
        FEDCTL_OPTS(ls_spec, struct ls_cfg)},
    {.name = "rm",
        .run = invest_rm,
        .help = "remove a holding: INVESTOR PROJECT",
        FEDCTL_OPTS(rm_spec, fedctl_plain_cfg),
        .args = FEDCTL_EXACTLY(2, "INVESTOR PROJECT are needed")},
    {.name = "link",
        .run = invest_link,
        .help = "link an investor's household consumption, under its "
                "grant",
        FEDCTL_OPTS(link_spec, struct link_cfg),
        .args = FEDCTL_EXACTLY(2, "INVESTOR SERIES are needed")},
    {.name = "summary",
        .main = fedctl_invest_summary,
        .help = "the investor's widget: shares, production, equivalents"},
    {.name = "check",
        .run = invest_check,
        .help = "verify fed-invest's database now (admin)",
        FEDCTL_OPTS(fedctl_invest_check_spec, fedctl_plain_cfg)},
};

int
cmd_invest(fedctl *c, int argc, char **argv)
{
	return fedctl_run_verb(c, "invest",
	    "Citizens' holdings in projects and the investor's figures, on "
	    "fed-invest (--invest, --invest-token).",
	    verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
