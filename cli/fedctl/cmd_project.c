// SPDX-License-Identifier: MIT
//
// cmd_project.c: `fedctl project ls|show|add|edit`, the production plants
// that citizens finance, on fed-invest (enfed.v1.Invest ListProjects,
// GetProject, Distribution, CreateProject, UpdateProject). Amounts are
// written and read in euros (cents in the proto); add and edit take the
// fields as options, edit changing only those given.

#include <stdlib.h>
#include <string.h>

#include "enfed/v1/invest.pb-c.h"
#include "fed/clock.h"
#include "fedctl.h"
#include "verb.h"

static const char *
type_name(int t)
{
	static const char *const names[]
	    = {"unspecified", "pv", "wind", "hydro", "other"};
	return t >= 0 && t < 5 ? names[t] : "unknown";
}

// --- Output -----------------------------------------------------------------

static cJSON *
project_json(const fedctl *c, const void *msg)
{
	const Enfed__V1__Project *p = msg;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", p->id);
	cJSON_AddStringToObject(j, "name", p->name);
	cJSON_AddStringToObject(j, "organisation", p->organisation);
	cJSON_AddStringToObject(j, "type", type_name(p->type));
	cJSON_AddStringToObject(j, "location", p->location);
	cJSON_AddNumberToObject(j, "peak_kw", p->peak_kw);
	cJSON_AddNumberToObject(j, "cost_eur", (double) p->cost_cents / 100);
	cJSON_AddNumberToObject(j, "cost_cents", (double) p->cost_cents);
	cJSON_AddNumberToObject(
	    j, "share_price_eur", (double) p->share_price_cents / 100);
	cJSON_AddNumberToObject(
	    j, "share_price_cents", (double) p->share_price_cents);
	cJSON_AddNumberToObject(j, "total_shares", p->total_shares);
	cJSON_AddNumberToObject(j, "panel_m2", p->panel_m2);
	cJSON_AddNumberToObject(
	    j, "effective_panel_m2", p->effective_panel_m2);
	cJSON_AddBoolToObject(j, "panel_m2_derived", p->panel_m2_derived);
	if (p->commissioned_ms != 0) {
		char t[48];
		fedctl_time_iso(c, p->commissioned_ms, t, sizeof(t));
		cJSON_AddStringToObject(j, "commissioned", t);
	} else {
		cJSON_AddNullToObject(j, "commissioned");
	}
	cJSON_AddStringToObject(j, "series_id", p->series_id);
	cJSON_AddStringToObject(j, "series_node", p->series_node);
	cJSON_AddStringToObject(j, "url", p->url);
	return j;
}

static void
print_project(const fedctl *c, const void *msg)
{
	const Enfed__V1__Project *p = msg;
	char cost[48], price[48], v[40], t[48] = "unknown";
	fedctl_fmt_euros(p->cost_cents, cost, sizeof(cost));
	fedctl_fmt_euros(p->share_price_cents, price, sizeof(price));
	printf("id:            %s\n", p->id);
	printf("name:          %s\n", p->name);
	printf("organisation:  %s\n", p->organisation);
	printf("type:          %s\n", type_name(p->type));
	printf("location:      %s\n", p->location);
	fedctl_fmt_human(p->peak_kw, v, sizeof(v));
	printf("peak power:    %s kWc\n", v);
	printf("cost:          %s, %u shares of %s\n", cost, p->total_shares,
	    price);
	fedctl_fmt_human(p->effective_panel_m2, v, sizeof(v));
	printf("panels:        %s m²%s\n", v,
	    p->panel_m2_derived ? " (derived from the peak power)" : "");
	if (p->commissioned_ms != 0)
		fedctl_time_short(c, p->commissioned_ms, t, sizeof(t));
	printf("commissioned:  %s\n", t);
	printf("series:        %s%s%s\n",
	    p->series_id[0] != '\0' ? p->series_id : "(none yet)",
	    p->series_node[0] != '\0' ? " on " : "", p->series_node);
	if (p->url[0] != '\0')
		printf("url:           %s\n", p->url);
}

static const fedctl_view project_view
    = {.json = project_json, .text = print_project};

// --- ls ---------------------------------------------------------------------

struct ls_cfg {
	char *org;
	fedctl_out_opts out;
};

static const fed_cfg_opt ls_opts[] = {
    FED_CFG_OPT_STRING(struct ls_cfg, org, "organisation", "",
        "only the projects of this organisation"),
    FEDCTL_OUT_OPTS(struct ls_cfg, out),
};

static const fed_cfg_spec ls_spec = {"fedctl project ls", "[OPTION]...",
    "Lists the projects: id, type, peak power, cost, share price, shares, "
    "organisation.\n"
    "Examples:\n"
    "  fedctl project ls\n"
    "  fedctl project ls --organisation 'Bretagne Energie Citoyenne' --json",
    ls_opts, FED_CFG_N(ls_opts), FED_CFG_ARGV_ONLY};

static void
ls_header(void)
{
	printf("%-20s %-6s %9s %14s %10s %7s  %s\n", "ID", "TYPE", "PEAK kWc",
	    "COST", "SHARE", "SHARES", "ORGANISATION");
}

static void
ls_row(const fedctl *c, const void *msg)
{
	const Enfed__V1__Project *p = msg;
	(void) c;
	char cost[48], price[48], v[40];
	fedctl_fmt_euros(p->cost_cents, cost, sizeof(cost));
	fedctl_fmt_euros(p->share_price_cents, price, sizeof(price));
	fedctl_fmt_human(p->peak_kw, v, sizeof(v));
	// "€" is 3 bytes for 1 column: widths count 2 more.
	printf("%-20s %-6s %9s %16s %12s %7u  %s\n", p->id, type_name(p->type),
	    v, cost, price, p->total_shares, p->organisation);
}

static const fedctl_view ls_view = {.rows = "projects",
    .json = project_json,
    .text = ls_row,
    .header = ls_header,
    .empty = "(no project)\n"};

static int
project_ls(fedctl *c, const fedctl_verb_input *in)
{
	const struct ls_cfg *cfg = in->cfg;
	Enfed__V1__ListProjectsRequest req
	    = ENFED__V1__LIST_PROJECTS_REQUEST__INIT;
	req.organisation = cfg->org;
	Enfed__V1__ListProjectsResponse *rep = NULL;
	fed_status st = fedctl_invest_call(c, "ListProjects", "", &req, &rep);
	return fedctl_reply(c, &ls_view, st, rep);
}

// --- show -------------------------------------------------------------------

static const fed_cfg_spec show_spec
    = FEDCTL_PLAIN_SPEC("fedctl project show", "[OPTION]... ID",
        "Shows a project and how its shares are held: total, held, available, "
        "and each holding (investors' names only where the token may see "
        "them).\n"
        "Examples:\n"
        "  fedctl project show kermelo-pv\n"
        "  fedctl project show kermelo-pv --json");

#define ONE_ID FEDCTL_ARGS(1, 1, "a project id is needed")

static cJSON *
dist_json(const Enfed__V1__ProjectDistribution *d)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "total_shares", d->total_shares);
	cJSON_AddNumberToObject(j, "shares_held", d->shares_held);
	cJSON_AddNumberToObject(j, "shares_available", d->shares_available);
	cJSON *a = cJSON_AddArrayToObject(j, "holders");
	for (size_t i = 0; i < d->n_holders; i++) {
		const Enfed__V1__Holder *h = d->holders[i];
		cJSON *o = cJSON_CreateObject();
		if (h->investor[0] != '\0')
			cJSON_AddStringToObject(o, "investor", h->investor);
		else
			cJSON_AddNullToObject(o, "investor");
		cJSON_AddNumberToObject(o, "shares", h->shares);
		cJSON_AddNumberToObject(
		    o, "budget_fraction", h->budget_fraction);
		cJSON_AddNumberToObject(
		    o, "invested_eur", (double) h->invested_cents / 100);
		cJSON_AddItemToArray(a, o);
	}
	return j;
}

static void
print_dist(const Enfed__V1__ProjectDistribution *d)
{
	printf("shares:        %u held, %u available of %u\n", d->shares_held,
	    d->shares_available, d->total_shares);
	for (size_t i = 0; i < d->n_holders; i++) {
		const Enfed__V1__Holder *h = d->holders[i];
		char eur[48];
		fedctl_fmt_euros(h->invested_cents, eur, sizeof(eur));
		printf("  %-24s %6u shares  %6.2f %%  %s\n",
		    h->investor[0] != '\0' ? h->investor : "(anonymous)",
		    h->shares, h->budget_fraction * 100, eur);
	}
}

static int
project_show(fedctl *c, const fedctl_verb_input *in)
{
	Enfed__V1__ProjectRequest req = ENFED__V1__PROJECT_REQUEST__INIT;
	req.id = in->args[0];
	Enfed__V1__Project *p = NULL;
	Enfed__V1__ProjectDistribution *d = NULL;
	fed_status st = fedctl_invest_call(c, "GetProject", req.id, &req, &p);
	if (st == FED_OK)
		st = fedctl_invest_call(c, "Distribution", req.id, &req, &d);
	if (st == FED_OK && c->format == FEDCTL_JSON) {
		cJSON *j = project_json(c, p);
		cJSON_AddItemToObject(j, "distribution", dist_json(d));
		fedctl_json_emit(j);
	} else if (st == FED_OK) {
		print_project(c, p);
		print_dist(d);
	}
	if (p != NULL)
		enfed__v1__project__free_unpacked(p, NULL);
	if (d != NULL)
		enfed__v1__project_distribution__free_unpacked(d, NULL);
	return fedctl_exit_code(st);
}

// --- add, edit
// ----------------------------------------------------------------

// Every field is a string, NULL when the option is not given, so that edit
// changes only what is given.
struct put_cfg {
	char *id, *name, *org, *location, *series, *series_node, *url;
	char *type, *peak_kw, *cost, *price, *panel_m2, *commissioned;
	fedctl_out_opts out;
};

#define C struct put_cfg
static const fed_cfg_opt put_opts[] = {
    FED_CFG_OPT_STRING(C, id, "id", NULL,
        "the project's id, [A-Za-z0-9._-] (add only; edit takes it as "
        "argument)"),
    FED_CFG_OPT_STRING(C, name, "name", NULL, "its name"),
    FED_CFG_OPT_STRING(
        C, org, "organisation", NULL, "the organisation carrying it"),
    FED_CFG_OPT_STRING(C, type, "type", NULL, "pv, wind, hydro or other"),
    FED_CFG_OPT_STRING(
        C, location, "location", NULL, "where it is: 'Lorient, Morbihan'"),
    FED_CFG_OPT_STRING(C, peak_kw, "peak-kw", NULL, "peak power, kWc"),
    FED_CFG_OPT_STRING(
        C, cost, "cost-eur", NULL, "total cost, euros (34000, 1250.50)"),
    FED_CFG_OPT_STRING(C, price, "share-price-eur", NULL,
        "price of one share, euros; must divide the cost"),
    FED_CFG_OPT_STRING(C, panel_m2, "panel-m2", NULL,
        "panel surface, m² (0: unknown, derived from the peak power)"),
    FED_CFG_OPT_STRING(C, commissioned, "commissioned", NULL,
        "commissioning date (2026-06-01, local midnight in --tz)"),
    FED_CFG_OPT_STRING(
        C, series, "series", NULL, "the production series (energy, Wh)"),
    FED_CFG_OPT_STRING(C, series_node, "series-node", NULL,
        "the fed-node holding it, as named in fed-invest's --nodes"),
    FED_CFG_OPT_STRING(C, url, "url", NULL, "the project's web page"),
    FEDCTL_OUT_OPTS(C, out),
};
#undef C

static const fed_cfg_spec add_spec = {"fedctl project add",
    "--id ID --name NAME --organisation ORG --cost-eur E --share-price-eur E "
    "[OPTION]...",
    "Creates a project (creating the same one again confirms it). The "
    "number of shares is the cost over the share price. Needs the admin "
    "token or the organisation's token of fed-invest.\n"
    "Example:\n"
    "  fedctl project add --id kermelo-pv --name 'Kermélo solar roof' \\\n"
    "      --organisation 'Bretagne Energie Citoyenne' --type pv "
    "--location Lorient \\\n"
    "      --peak-kw 18 --cost-eur 34000 --share-price-eur 250 "
    "--commissioned 2026-06-01 \\\n"
    "      --series kermelo/pv/energy --series-node lognact",
    put_opts, FED_CFG_N(put_opts), FED_CFG_ARGV_ONLY};

static const fed_cfg_spec edit_spec = {"fedctl project edit", "ID [OPTION]...",
    "Changes the fields given of a project and keeps the others; the "
    "number of shares follows the cost and price and cannot fall below the "
    "shares held.\n"
    "Examples:\n"
    "  fedctl project edit kermelo-pv --series kermelo/pv/energy "
    "--series-node lognact\n"
    "  fedctl project edit kermelo-pv --panel-m2 96.5 --url "
    "https://example.org/kermelo",
    put_opts, FED_CFG_N(put_opts), FED_CFG_ARGV_ONLY};

static int
parse_double(fedctl *c, const char *opt, const char *s, double *out)
{
	char *end = NULL;
	double v = strtod(s, &end);
	if (end == s || *end != '\0' || !(v >= 0 && v < 1e12))
		return fedctl_usage(
		    c, "--%s '%s': a number >= 0 is expected", opt, s);
	*out = v;
	return -1;
}

static int
parse_euros(fedctl *c, const char *opt, const char *s, int64_t *out)
{
	if (fedctl_parse_euros(s, out) != FED_OK)
		return fedctl_usage(c,
		    "--%s '%s': an amount of euros is expected (1250 or "
		    "1250.50)",
		    opt, s);
	return -1;
}

static int
parse_type(fedctl *c, const char *s, Enfed__V1__InstallationType *out)
{
	for (int t = 1; t < 5; t++)
		if (strcmp(s, type_name(t)) == 0) {
			*out = (Enfed__V1__InstallationType) t;
			return -1;
		}
	return fedctl_usage(c, "--type '%s': pv, wind, hydro or other", s);
}

static int
parse_date(fedctl *c, const char *s, int64_t *out)
{
	if (fedctl_time_parse(c->zone, s, fed_clock_now_ms(), out) != FED_OK)
		return fedctl_usage(c,
		    "--commissioned '%s': a date (2026-06-01) or a time is "
		    "expected",
		    s);
	return -1;
}

// Strings of cfg given on the command line replace those of p (borrowed).
static void
apply_strings(const struct put_cfg *cfg, Enfed__V1__Project *p)
{
	if (cfg->name != NULL)
		p->name = cfg->name;
	if (cfg->org != NULL)
		p->organisation = cfg->org;
	if (cfg->location != NULL)
		p->location = cfg->location;
	if (cfg->series != NULL)
		p->series_id = cfg->series;
	if (cfg->series_node != NULL)
		p->series_node = cfg->series_node;
	if (cfg->url != NULL)
		p->url = cfg->url;
}

// The fields of cfg that are given replace those of p; -1 when all parse.
static int
apply(fedctl *c, const struct put_cfg *cfg, Enfed__V1__Project *p)
{
	int rc = -1;
	apply_strings(cfg, p);
	if (cfg->type != NULL)
		rc = parse_type(c, cfg->type, &p->type);
	if (rc < 0 && cfg->peak_kw != NULL)
		rc = parse_double(c, "peak-kw", cfg->peak_kw, &p->peak_kw);
	if (rc < 0 && cfg->panel_m2 != NULL)
		rc = parse_double(c, "panel-m2", cfg->panel_m2, &p->panel_m2);
	if (rc < 0 && cfg->cost != NULL)
		rc = parse_euros(c, "cost-eur", cfg->cost, &p->cost_cents);
	if (rc < 0 && cfg->price != NULL)
		rc = parse_euros(
		    c, "share-price-eur", cfg->price, &p->share_price_cents);
	if (rc < 0 && cfg->commissioned != NULL)
		rc = parse_date(c, cfg->commissioned, &p->commissioned_ms);
	// Output-only fields, and the shares, derived by fed-invest.
	p->total_shares = 0;
	p->effective_panel_m2 = 0;
	p->panel_m2_derived = false;
	return rc;
}

static int
check_add(fedctl *c, const struct put_cfg *cfg, const fedctl_verb_input *in)
{
	if (in->n_args > 0)
		return fedctl_usage(c,
		    "unexpected argument '%s' (the id is --id)", in->args[0]);
	static const char *const names[]
	    = {"id", "name", "organisation", "cost-eur", "share-price-eur"};
	const char *vals[]
	    = {cfg->id, cfg->name, cfg->org, cfg->cost, cfg->price};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		if (vals[i] == NULL || vals[i][0] == '\0')
			return fedctl_usage(c, "--%s is required", names[i]);
	return -1;
}

// Sends p by CreateProject or UpdateProject of project `id`; shows the
// project as fed-invest stored it.
static int
put(fedctl *c, const char *method, const char *id, Enfed__V1__Project *p)
{
	Enfed__V1__PutProjectRequest req
	    = ENFED__V1__PUT_PROJECT_REQUEST__INIT;
	req.project = p;
	Enfed__V1__Project *rep = NULL;
	fed_status st = fedctl_invest_call(c, method, id, &req, &rep);
	return fedctl_reply(c, &project_view, st, rep);
}

static int
project_add(fedctl *c, const fedctl_verb_input *in)
{
	const struct put_cfg *cfg = in->cfg;
	int rc = check_add(c, cfg, in);
	Enfed__V1__Project p = ENFED__V1__PROJECT__INIT;
	p.id = cfg->id;
	if (rc < 0)
		rc = apply(c, cfg, &p);
	return rc < 0 ? put(c, "CreateProject", p.id, &p) : rc;
}

static int
project_edit(fedctl *c, const fedctl_verb_input *in)
{
	const struct put_cfg *cfg = in->cfg;
	if (cfg->id != NULL)
		return fedctl_usage(c, "--id cannot be changed");
	Enfed__V1__ProjectRequest get = ENFED__V1__PROJECT_REQUEST__INIT;
	get.id = in->args[0];
	Enfed__V1__Project *old = NULL;
	fed_status st
	    = fedctl_invest_call(c, "GetProject", get.id, &get, &old);
	if (st != FED_OK)
		return fedctl_exit_code(st);
	// A copy whose strings point into old or cfg.
	Enfed__V1__Project p = *old;
	int rc = apply(c, cfg, &p);
	if (rc < 0)
		rc = put(c, "UpdateProject", in->args[0], &p);
	enfed__v1__project__free_unpacked(old, NULL);
	return rc;
}

// --- archive, unarchive, rm ------------------------------------------------

static const fed_cfg_spec archive_spec
    = FEDCTL_PLAIN_SPEC("fedctl project archive", "[OPTION]... ID",
        "Archives a project: its holders keep their holdings and figures, "
        "no new investor may buy in (UpdateProject with archived set).\n"
        "Example:\n"
        "  fedctl project archive kermelo-pv");

static const fed_cfg_spec unarchive_spec
    = FEDCTL_PLAIN_SPEC("fedctl project unarchive", "[OPTION]... ID",
        "Opens an archived project to new investors again.\n"
        "Example:\n"
        "  fedctl project unarchive kermelo-pv");

static const fed_cfg_spec rm_spec
    = FEDCTL_PLAIN_SPEC("fedctl project rm", "[OPTION]... ID",
        "Deletes a project nobody holds shares of (DeleteProject); one still "
        "held is refused (FAILED_PRECONDITION, exit 1): archive it instead.\n"
        "Example:\n"
        "  fedctl project rm typo-pv");

static int
set_archived(fedctl *c, const char *id, protobuf_c_boolean archived)
{
	Enfed__V1__ProjectRequest get = ENFED__V1__PROJECT_REQUEST__INIT;
	get.id = (char *) id;
	Enfed__V1__Project *old = NULL;
	fed_status st = fedctl_invest_call(c, "GetProject", id, &get, &old);
	if (st != FED_OK)
		return fedctl_exit_code(st);
	old->archived = archived;
	int rc = put(c, "UpdateProject", id, old);
	enfed__v1__project__free_unpacked(old, NULL);
	return rc;
}

static int
project_archive(fedctl *c, const fedctl_verb_input *in)
{
	return set_archived(c, in->args[0], 1);
}

static int
project_unarchive(fedctl *c, const fedctl_verb_input *in)
{
	return set_archived(c, in->args[0], 0);
}

static int
project_rm(fedctl *c, const fedctl_verb_input *in)
{
	Enfed__V1__ProjectRequest req = ENFED__V1__PROJECT_REQUEST__INIT;
	req.id = in->args[0];
	Enfed__V1__InvestEmpty *rep = NULL;
	fed_status st
	    = fedctl_invest_call(c, "DeleteProject", req.id, &req, &rep);
	if (st == FED_OK && c->format != FEDCTL_JSON)
		printf("deleted %s\n", req.id);
	return fedctl_reply(c, NULL, st, rep);
}

// --- Dispatch ---------------------------------------------------------------

static const fedctl_verb verbs[] = {
    {.name = "ls",
        .run = project_ls,
        .help = "the projects (--organisation)",
        FEDCTL_OPTS(ls_spec, struct ls_cfg)},
    {.name = "show",
        .run = project_show,
        .help = "one project and how its shares are held",
        FEDCTL_OPTS(show_spec, fedctl_plain_cfg),
        .args = ONE_ID},
    {.name = "add",
        .run = project_add,
        .help = "create a project from options",
        FEDCTL_OPTS(add_spec, struct put_cfg),
        .args = FEDCTL_ANY_ARGS},
    {.name = "edit",
        .run = project_edit,
        .help = "change the fields given of a project",
        FEDCTL_OPTS(edit_spec, struct put_cfg),
        .args = ONE_ID},
    {.name = "archive",
        .run = project_archive,
        .help = "no new investor (holders keep their figures)",
        FEDCTL_OPTS(archive_spec, fedctl_plain_cfg),
        .args = ONE_ID},
    {.name = "unarchive",
        .run = project_unarchive,
        .help = "open an archived project again",
        FEDCTL_OPTS(unarchive_spec, fedctl_plain_cfg),
        .args = ONE_ID},
    {.name = "rm",
        .run = project_rm,
        .help = "delete a project nobody holds shares of",
        FEDCTL_OPTS(rm_spec, fedctl_plain_cfg),
        .args = ONE_ID},
};

int
cmd_project(fedctl *c, int argc, char **argv)
{
	return fedctl_run_verb(c, "project",
	    "Production plants financed by citizens' shares, on fed-invest "
	    "(--invest, --invest-token).",
	    verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
