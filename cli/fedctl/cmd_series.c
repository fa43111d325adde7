// SPDX-License-Identifier: MIT
//
// cmd_series.c: `fedctl series ls|show|create|describe|rm`, the series of a
// node and their description boxes (ListSeries, GetSeries, CreateSeries,
// UpdateSeries, DeleteSeries). Output as a table, or --json.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enfed/v1/series.pb-c.h"
#include "fedctl.h"
#include "verb.h"

// --- Output of one series -------------------------------------------------

static cJSON *
info_json(const fedctl *c, const void *msg)
{
	const Enfed__V1__SeriesInfo *in = msg;
	const Enfed__V1__SeriesMeta *m = in->meta;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", m->id);
	cJSON_AddStringToObject(j, "kind", fedctl_kind_name(m->kind));
	cJSON_AddStringToObject(j, "unit", fedctl_unit_name(m->unit));
	cJSON_AddNumberToObject(j, "interval_s", m->interval_s);
	cJSON_AddStringToObject(j, "source", m->source);
	cJSON_AddStringToObject(j, "owner", m->owner);
	cJSON_AddBoolToObject(j, "public",
	    m->visibility == ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC);
	cJSON_AddBoolToObject(j, "cumulative", m->cumulative);
	cJSON_AddStringToObject(j, "origin_node", m->origin_node);
	cJSON_AddStringToObject(j, "tz", m->tz);
	cJSON *box = cJSON_AddArrayToObject(j, "box");
	for (size_t i = 0; i < m->n_box; i++) {
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "key", m->box[i]->key);
		cJSON_AddStringToObject(f, "value", m->box[i]->value);
		cJSON_AddItemToArray(box, f);
	}
	cJSON_AddNumberToObject(j, "n_points", (double) in->n_points);
	char t[48];
	if (in->n_points > 0) {
		fedctl_time_iso(c, in->first_ms, t, sizeof(t));
		cJSON_AddStringToObject(j, "first", t);
		fedctl_time_iso(c, in->last_ms, t, sizeof(t));
		cJSON_AddStringToObject(j, "last", t);
		cJSON_AddNumberToObject(j, "last_value", in->last_value);
	} else {
		cJSON_AddNullToObject(j, "first");
		cJSON_AddNullToObject(j, "last");
		cJSON_AddNullToObject(j, "last_value");
	}
	return j;
}

static void
print_show(const fedctl *c, const void *msg)
{
	const Enfed__V1__SeriesInfo *in = msg;
	const Enfed__V1__SeriesMeta *m = in->meta;
	printf("id:          %s\n", m->id);
	printf("kind:        %s%s\n", fedctl_kind_name(m->kind),
	    m->cumulative ? " (cumulative index)" : "");
	printf("unit:        %s\n", fedctl_unit_name(m->unit));
	printf("interval:    %u s\n", m->interval_s);
	printf("source:      %s\n", m->source);
	printf("owner:       %s\n", m->owner);
	printf("visibility:  %s\n",
	    m->visibility == ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC
	        ? "public"
	        : "private");
	if (m->origin_node[0] != '\0')
		printf("origin:      %s\n", m->origin_node);
	if (m->tz[0] != '\0')
		printf("zone:        %s\n", m->tz);
	printf("box:\n");
	for (size_t i = 0; i < m->n_box; i++)
		printf("  %s: %s\n", m->box[i]->key, m->box[i]->value);
	if (m->n_box == 0)
		printf("  (empty)\n");
	printf("points:      %llu\n", (unsigned long long) in->n_points);
	if (in->n_points == 0)
		return;
	char t[48], v[40];
	fedctl_time_iso(c, in->first_ms, t, sizeof(t));
	printf("first:       %s\n", t);
	fedctl_time_iso(c, in->last_ms, t, sizeof(t));
	fedctl_fmt_human(in->last_value, v, sizeof(v));
	printf("last:        %s  (%s %s)\n", t, v, fedctl_unit_name(m->unit));
}

static const fedctl_view info_view = {.json = info_json, .text = print_show};

#define ONE_ID FEDCTL_ARGS(1, 1, "a series id is needed")

// --- ls -------------------------------------------------------------------

struct ls_cfg {
	char *prefix;
	int kind;
	char *owner;
	fedctl_out_opts out;
};

static const fed_cfg_opt ls_opts[] = {
    FED_CFG_OPT_STRING(struct ls_cfg, prefix, "prefix", "",
        "only ids starting with this prefix (e.g. kermelo/)"),
    FED_CFG_OPT_ENUM(struct ls_cfg, kind, "kind", "unspecified", FEDCTL_KINDS,
        "only series of this kind (unspecified: any)"),
    FED_CFG_OPT_STRING(
        struct ls_cfg, owner, "owner", "", "only series of this owner"),
    FEDCTL_OUT_OPTS(struct ls_cfg, out),
};

static const fed_cfg_spec ls_spec = {"fedctl series ls", "[OPTION]...",
    "Lists the series of the node: id, kind, unit, points, last point, "
    "owner.\n"
    "Examples:\n"
    "  fedctl series ls\n"
    "  fedctl series ls --prefix kermelo/ --kind production --json",
    ls_opts, FED_CFG_N(ls_opts), FED_CFG_ARGV_ONLY};

static void
ls_header(void)
{
	printf("%-12s %-4s %10s  %-16s  %s\n", "KIND", "UNIT", "POINTS",
	    "LAST", "OWNER");
}

static void
ls_row(const fedctl *c, const void *msg)
{
	const Enfed__V1__SeriesInfo *in = msg;
	char t[48] = "-";
	if (in->n_points > 0)
		fedctl_time_short(c, in->last_ms, t, sizeof(t));
	printf("%-12s %-4s %10llu  %-16s  %s\n",
	    fedctl_kind_name(in->meta->kind), fedctl_unit_name(in->meta->unit),
	    (unsigned long long) in->n_points, t, in->meta->owner);
}

static const char *
ls_key(const void *msg)
{
	return ((const Enfed__V1__SeriesInfo *) msg)->meta->id;
}

static const fedctl_view ls_view = {.rows = "series",
    .json = info_json,
    .text = ls_row,
    .header = ls_header,
    .key = ls_key,
    .key_title = "ID",
    .key_width = 32,
    .empty = "(no series)\n"};

// Pages followed by `series ls`, at most: 1000 pages of up to 1000.
#define LS_MAX_PAGES 1000

// Moves the series of page into acc (both from ListSeries, heap); page is
// left empty, to be freed by the caller.
static fed_status
ls_merge(
    Enfed__V1__ListSeriesResponse *acc, Enfed__V1__ListSeriesResponse *page)
{
	size_t n = acc->n_series + page->n_series;
	Enfed__V1__SeriesInfo **s
	    = realloc(acc->series, (n ? n : 1) * sizeof(*s));
	if (s == NULL)
		return FED_RESOURCE_EXHAUSTED;
	memcpy(s + acc->n_series, page->series, page->n_series * sizeof(*s));
	acc->series = s;
	acc->n_series = n;
	page->n_series = 0;
	return FED_OK;
}

// The next page after *acc's last, merged into *acc; *more is 1 while
// another page follows.
static fed_status
ls_next(fedctl *c, Enfed__V1__ListSeriesRequest *req,
    Enfed__V1__ListSeriesResponse *acc, const char *token, int *more)
{
	Enfed__V1__ListSeriesResponse *page = NULL;
	req->page_token = (char *) token;
	FED_TRY(fedctl_store_call(c, "ListSeries", req->prefix, req, &page));
	fed_status st = ls_merge(acc, page);
	*more = page->next_page_token[0] != '\0';
	free(acc->next_page_token);
	acc->next_page_token = page->next_page_token;
	page->next_page_token = NULL;
	enfed__v1__list_series_response__free_unpacked(page, NULL);
	return st;
}

static int
series_ls(fedctl *c, const fedctl_verb_input *in)
{
	const struct ls_cfg *cfg = in->cfg;
	Enfed__V1__ListSeriesRequest req
	    = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	req.prefix = cfg->prefix;
	req.kind = cfg->kind;
	req.owner = cfg->owner;
	Enfed__V1__ListSeriesResponse *rep = NULL;
	fed_status st
	    = fedctl_store_call(c, "ListSeries", cfg->prefix, &req, &rep);
	int more = st == FED_OK && rep->next_page_token[0] != '\0';
	for (int i = 1; more && st == FED_OK && i < LS_MAX_PAGES; i++) {
		char token[512];
		snprintf(token, sizeof(token), "%s", rep->next_page_token);
		st = ls_next(c, &req, rep, token, &more);
	}
	if (st != FED_OK && rep != NULL) {
		enfed__v1__list_series_response__free_unpacked(rep, NULL);
		rep = NULL;
	}
	return fedctl_reply(c, &ls_view, st, rep);
}

// --- show -----------------------------------------------------------------

static const fed_cfg_spec show_spec
    = FEDCTL_PLAIN_SPEC("fedctl series show", "[OPTION]... ID",
        "Shows a series: its metadata, its description box and what is "
        "stored (points, first and last, in local time).\n"
        "Examples:\n"
        "  fedctl series show kermelo/pv/energy\n"
        "  fedctl series show kermelo/pv/energy --utc --json");

static int
series_show(fedctl *c, const fedctl_verb_input *in)
{
	Enfed__V1__GetSeriesRequest req = ENFED__V1__GET_SERIES_REQUEST__INIT;
	req.id = in->args[0];
	Enfed__V1__SeriesInfo *info = NULL;
	fed_status st = fedctl_store_call(c, "GetSeries", req.id, &req, &info);
	return fedctl_reply(c, &info_view, st, info);
}

// --- Facts (create, describe) ----------------------------------------------

struct facts {
	Enfed__V1__Fact *facts;
	Enfed__V1__Fact **ptrs;
	char **vals; // from fedctl_take_repeated
	size_t n;
};

static void
facts_fini(struct facts *f)
{
	free(f->facts);
	free(f->ptrs);
	free(f->vals);
}

// Takes every --fact key=value out of argv and splits them (in place).
static int
facts_take(fedctl *c, int *argc, char **argv, struct facts *f)
{
	memset(f, 0, sizeof(*f));
	if (fedctl_take_repeated(argc, argv, "fact", &f->vals, &f->n)
	    != FED_OK)
		return fedctl_usage(c, "--fact needs a value key=value");
	f->facts = calloc(f->n + 1, sizeof(*f->facts));
	f->ptrs = calloc(f->n + 1, sizeof(*f->ptrs));
	if (f->facts == NULL || f->ptrs == NULL)
		return fedctl_fail(c, FED_RESOURCE_EXHAUSTED, "facts");
	for (size_t i = 0; i < f->n; i++) {
		char *eq = strchr(f->vals[i], '=');
		if (eq == NULL || eq == f->vals[i])
			return fedctl_usage(c,
			    "--fact '%s': expected key=value with a non-empty "
			    "key",
			    f->vals[i]);
		*eq = '\0';
		enfed__v1__fact__init(&f->facts[i]);
		f->facts[i].key = f->vals[i];
		f->facts[i].value = eq + 1;
		f->ptrs[i] = &f->facts[i];
	}
	return -1;
}

// Loads a verb that takes --fact: the facts out of argv first, then its
// options (into cfg, zeroed by the caller) and one series id; -1 to run.
static int
load_with_facts(fedctl *c, const fed_cfg_spec *spec, void *cfg,
    fedctl_out_opts *oo, int argc, char **argv, struct facts *f,
    fed_cfg_result *res)
{
	static const fedctl_args one_id = ONE_ID;
	int rc = facts_take(c, &argc, argv, f);
	if (rc < 0)
		rc = fedctl_load_sub(c, spec, cfg, argc, argv, oo, res);
	if (rc < 0)
		rc = fedctl_check_args(c, &one_id, res);
	return rc;
}

// --- create ----------------------------------------------------------------

struct create_cfg {
	int kind;
	int unit;
	int64_t interval_ms;
	char *source;
	char *owner;
	char *zone;
	bool public_;
	bool cumulative;
	fedctl_out_opts out;
};

#define C struct create_cfg
static const fed_cfg_opt create_opts[] = {
    FED_CFG_OPT_ENUM(C, kind, "kind", "unspecified", FEDCTL_KINDS,
        "what it measures (required)"),
    FED_CFG_OPT_ENUM(
        C, unit, "unit", "unspecified", FEDCTL_UNITS, "its unit (required)"),
    FED_CFG_OPT_DURATION(C, interval_ms, "interval", "5m", 1000, 86400000,
        "nominal interval between points (whole seconds)"),
    FED_CFG_OPT_STRING(C, source, "source", "import",
        "where the points come from: Linky, Enphase M250, import, ..."),
    FED_CFG_OPT_STRING(C, owner, "owner", "",
        "organisation or person owning the data (required)"),
    FED_CFG_OPT_STRING(C, zone, "series-tz", "",
        "the series' own time zone (empty: the node's)"),
    FED_CFG_OPT_BOOL(C, public_, "public", "false",
        "readable by the whole federation (default private)"),
    FED_CFG_OPT_BOOL(C, cumulative, "cumulative", "false",
        "a cumulative meter index: queries return differences"),
    FEDCTL_OUT_OPTS(C, out),
};
#undef C

static const fed_cfg_spec create_spec = {"fedctl series create",
    "ID --kind KIND --unit UNIT --owner OWNER [OPTION]... [--fact "
    "KEY=VALUE]...",
    "Creates a series (or confirms one created with the same metadata). "
    "--fact KEY=VALUE, repeatable, fills its description box.\n"
    "Examples:\n"
    "  fedctl series create kermelo/school/energy --kind consumption "
    "--unit Wh \\\n"
    "      --interval 5m --source Linky --owner 'Lorient city' \\\n"
    "      --fact 'building=primary school' --fact 'surface=1800 m2'\n"
    "  fedctl series create kermelo/pv/index --kind index --unit Wh "
    "--cumulative --public --owner BEC",
    create_opts, FED_CFG_N(create_opts), FED_CFG_ARGV_ONLY};

static int
check_create(fedctl *c, const struct create_cfg *cfg)
{
	if (cfg->kind == 0)
		return fedctl_usage(c, "--kind is required");
	if (cfg->unit == 0)
		return fedctl_usage(c, "--unit is required");
	if (cfg->owner[0] == '\0')
		return fedctl_usage(c, "--owner is required");
	if (cfg->interval_ms % 1000 != 0)
		return fedctl_usage(c, "--interval: whole seconds");
	return -1;
}

static int
do_create(
    fedctl *c, const char *id, const struct create_cfg *cfg, struct facts *f)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = cfg->kind;
	m.unit = cfg->unit;
	m.interval_s = (uint32_t) (cfg->interval_ms / 1000);
	m.source = cfg->source;
	m.owner = cfg->owner;
	m.tz = cfg->zone;
	m.visibility = cfg->public_
	    ? ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC
	    : ENFED__V1__VISIBILITY__VISIBILITY_PRIVATE;
	m.cumulative = cfg->cumulative;
	m.box = f->ptrs;
	m.n_box = f->n;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	fed_status st = fedctl_store_call(c, "CreateSeries", id, &req, &info);
	return fedctl_reply(c, &info_view, st, info);
}

static int
series_create(fedctl *c, int argc, char **argv)
{
	struct facts f;
	struct create_cfg cfg = {0};
	fed_cfg_result res;
	int rc = load_with_facts(
	    c, &create_spec, &cfg, &cfg.out, argc, argv, &f, &res);
	if (rc < 0)
		rc = check_create(c, &cfg);
	if (rc < 0)
		rc = do_create(c, res.args[0], &cfg, &f);
	fed_cfg_fini(&create_spec, &cfg);
	facts_fini(&f);
	return rc;
}

// --- describe
// ----------------------------------------------------------------

struct describe_cfg {
	char *source;
	fedctl_out_opts out;
};

static const fed_cfg_opt describe_opts[] = {
    FED_CFG_OPT_STRING(struct describe_cfg, source, "source", "",
        "also change the source (empty: keep it)"),
    FEDCTL_OUT_OPTS(struct describe_cfg, out),
};

static const fed_cfg_spec describe_spec = {"fedctl series describe",
    "ID [--fact KEY=VALUE]... [OPTION]...",
    "Replaces the description box of a series with the facts given "
    "(none: an empty box). Needs the admin role.\n"
    "Examples:\n"
    "  fedctl series describe kermelo/school/energy --fact 'occupants=240' "
    "--fact 'heating=gas'",
    describe_opts, FED_CFG_N(describe_opts), FED_CFG_ARGV_ONLY};

static int
series_describe(fedctl *c, int argc, char **argv)
{
	struct facts f;
	struct describe_cfg cfg = {0};
	fed_cfg_result res;
	int rc = load_with_facts(
	    c, &describe_spec, &cfg, &cfg.out, argc, argv, &f, &res);
	if (rc < 0) {
		Enfed__V1__UpdateSeriesRequest req
		    = ENFED__V1__UPDATE_SERIES_REQUEST__INIT;
		req.id = res.args[0];
		req.box = f.ptrs;
		req.n_box = f.n;
		req.source = cfg.source;
		Enfed__V1__SeriesInfo *info = NULL;
		fed_status st = fedctl_store_call(
		    c, "UpdateSeries", req.id, &req, &info);
		rc = fedctl_reply(c, &info_view, st, info);
	}
	fed_cfg_fini(&describe_spec, &cfg);
	facts_fini(&f);
	return rc;
}

// --- rm ---------------------------------------------------------------------

static const fed_cfg_spec rm_spec = FEDCTL_PLAIN_SPEC("fedctl series rm", "ID",
    "Deletes a series and all its points. It asks nothing (it is meant "
    "for scripts): check the id first. Needs the admin role.\n"
    "Example:\n"
    "  fedctl series rm test/meter/energy");

static int
series_rm(fedctl *c, const fedctl_verb_input *in)
{
	Enfed__V1__DeleteSeriesRequest req
	    = ENFED__V1__DELETE_SERIES_REQUEST__INIT;
	req.id = in->args[0];
	Enfed__V1__Empty *rep = NULL;
	fed_status st
	    = fedctl_store_call(c, "DeleteSeries", req.id, &req, &rep);
	if (st == FED_OK && c->format != FEDCTL_JSON)
		printf("deleted %s\n", req.id);
	return fedctl_reply(c, NULL, st, rep);
}

// --- Dispatch ---------------------------------------------------------------

static const fedctl_verb verbs[] = {
    {.name = "ls",
        .run = series_ls,
        .help = "list series (--prefix, --kind, --owner)",
        FEDCTL_OPTS(ls_spec, struct ls_cfg)},
    {.name = "show",
        .run = series_show,
        .help = "metadata, description box and stored points",
        FEDCTL_OPTS(show_spec, fedctl_plain_cfg),
        .args = ONE_ID},
    {.name = "create",
        .main = series_create,
        .help = "create a series with its box"},
    {.name = "describe",
        .main = series_describe,
        .help = "replace a series' description box"},
    {.name = "rm",
        .run = series_rm,
        .help = "delete a series and its points (asks nothing)",
        FEDCTL_OPTS(rm_spec, fedctl_plain_cfg),
        .args = ONE_ID},
};

int
cmd_series(fedctl *c, int argc, char **argv)
{
	return fedctl_run_verb(c, "series",
	    "The series of a node and their description boxes.", verbs,
	    sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
