// SPDX-License-Identifier: MIT
//
// cmd_grant.c: `fedctl grant create|ls|revoke|log`, the owner's consent
// grants on its node (enfed.v1.Grants; the admin's token, or a household's
// owner token for the grants on its series). `create` prints the grant's
// token once: it is what the grantee uses to query, and the node keeps only
// its hash. `log` prints what each grantee read and received.

#include <stdlib.h>
#include <string.h>

#include "enfed/v1/grant.pb-c.h"
#include "fed/clock.h"
#include "fedctl.h"
#include "verb.h"

struct create_cfg {
	fedctl_out_opts out;
	char *to;
	int scope;
	int finest;
	char *from;
	char *until;
	char *expires;
	char *grantee_addr;
};

#define C struct create_cfg
static const fed_cfg_opt create_opts[] = {
    FEDCTL_OUT_OPTS(C, out),
    FED_CFG_OPT_STRING(C, to, "to", NULL, "the grantee node's name"),
    FED_CFG_OPT_ENUM(C, scope, "scope", "query", "query|live|both",
        "query: the grantee may query; live: the series is replicated to it"),
    FED_CFG_OPT_ENUM(C, finest, "finest", "raw", FEDCTL_STEPS,
        "the finest step the grantee may receive (day: daily totals only)"),
    FED_CFG_OPT_STRING(C, from, "from", NULL,
        "start of the data covered (default: all past data)"),
    FED_CFG_OPT_STRING(C, until, "until", NULL,
        "end of the data covered (default: open-ended)"),
    FED_CFG_OPT_STRING(
        C, expires, "expires", NULL, "when the grant ends (default: never)"),
    FED_CFG_OPT_STRING(C, grantee_addr, "grantee-addr", "",
        "the grantee's RPC address, instead of the node's peers file"),
};
#undef C

static const fed_cfg_spec create_spec
    = {"fedctl grant create", "SERIES --to NODE [OPTION]...",
        "Grants NODE a series (an id, or a prefix ending in '/'). Prints the "
        "grant's token once.\n"
        "Examples:\n"
        "  fedctl grant create kermelo/pv/ --to bmhs --scope both\n"
        "  fedctl grant create maison/linky/energy --to lognact --finest day "
        "--expires 2027-06-30",
        create_opts, FED_CFG_N(create_opts), FED_CFG_ARGV_ONLY};

static const fed_cfg_spec ls_spec
    = FEDCTL_PLAIN_SPEC("fedctl grant ls", "[OPTION]...",
        "Lists the node's grants, revoked ones included.\n"
        "Example:\n  fedctl grant ls --json");

struct log_cfg {
	fedctl_out_opts out;
	char *since;
	uint64_t limit;
};

#define C struct log_cfg
static const fed_cfg_opt log_opts[] = {
    FEDCTL_OUT_OPTS(C, out),
    FED_CFG_OPT_STRING(C, since, "since", NULL,
        "only what was read at or after this time (default: all kept)"),
    FED_CFG_OPT_UINT(C, limit, "limit", "100", 1, 1000,
        "at most this many entries, newest first"),
};
#undef C

static const fed_cfg_spec log_spec = {"fedctl grant log", "[ID] [OPTION]...",
    "Prints the access log of a grant (of every grant the token may see "
    "without ID): each call its grantee made with the grant's token, "
    "refused ones included, and each batch replicated to it, with the data "
    "range and step it was answered.\n"
    "Examples:\n"
    "  fedctl grant log g-AbCd1234\n"
    "  fedctl grant log --since -7d --json",
    log_opts, FED_CFG_N(log_opts), FED_CFG_ARGV_ONLY};

static const fed_cfg_spec revoke_spec
    = FEDCTL_PLAIN_SPEC("fedctl grant revoke", "ID",
        "Revokes a grant: its token stops working at once and nothing more is "
        "replicated for it.\nExample:\n  fedctl grant revoke g-AbCd1234");

static fed_status
grant_call(fedctl *c, const char *method, const void *req, void *rep)
{
	return fedctl_node_call(
	    c, &enfed__v1__grants__descriptor, method, req, rep);
}

static const char *
scopes_text(const Enfed__V1__Grant *g)
{
	int q = 0, l = 0;
	for (size_t i = 0; i < g->n_scopes; i++) {
		q |= g->scopes[i] == ENFED__V1__SCOPE__SCOPE_QUERY;
		l |= g->scopes[i] == ENFED__V1__SCOPE__SCOPE_LIVE;
	}
	return q && l ? "query+live" : q ? "query" : l ? "live" : "-";
}

static void
time_or(const fedctl *c, int64_t ms, const char *none, char *buf, size_t len)
{
	if (ms == 0)
		snprintf(buf, len, "%s", none);
	else
		fedctl_time_iso(c, ms, buf, len);
}

static cJSON *
grant_json(const fedctl *c, const void *msg)
{
	const Enfed__V1__Grant *g = msg;
	char t[48];
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", g->id);
	cJSON_AddStringToObject(j, "series", g->series);
	cJSON_AddStringToObject(j, "grantee", g->grantee_node);
	cJSON_AddStringToObject(j, "scopes", scopes_text(g));
	cJSON_AddStringToObject(j, "finest", fedctl_step_name(g->finest_step));
	int64_t from = g->data_range ? g->data_range->from_ms : 0;
	int64_t to = g->data_range ? g->data_range->to_ms : 0;
	time_or(c, from, "", t, sizeof(t));
	cJSON_AddStringToObject(j, "from", t);
	time_or(c, to, "", t, sizeof(t));
	cJSON_AddStringToObject(j, "until", t);
	time_or(c, g->expires_ms, "", t, sizeof(t));
	cJSON_AddStringToObject(j, "expires", t);
	time_or(c, g->created_ms, "", t, sizeof(t));
	cJSON_AddStringToObject(j, "created", t);
	cJSON_AddBoolToObject(j, "revoked", g->revoked);
	time_or(c, g->last_replicated_ms, "", t, sizeof(t));
	cJSON_AddStringToObject(j, "last_replicated", t);
	return j;
}

static void
grant_text(const fedctl *c, const void *msg)
{
	const Enfed__V1__Grant *g = msg;
	char from[48], to[48], exp[48];
	time_or(c, g->data_range ? g->data_range->from_ms : 0, "start", from,
	    sizeof(from));
	time_or(c, g->data_range ? g->data_range->to_ms : 0, "open", to,
	    sizeof(to));
	time_or(c, g->expires_ms, "never", exp, sizeof(exp));
	printf("%-20s %-24s %-10s %-10s %-6s %s .. %s, expires %s%s", g->id,
	    g->series, g->grantee_node, scopes_text(g),
	    fedctl_step_name(g->finest_step), from, to, exp,
	    g->revoked ? " [revoked]" : "");
	if (g->last_replicated_ms != 0) {
		char last[48];
		fedctl_time_iso(c, g->last_replicated_ms, last, sizeof(last));
		printf(", last replicated %s", last);
	}
	printf("\n");
}

// One access log entry: "when grantee method series range step status".
static cJSON *
access_json(const fedctl *c, const void *msg)
{
	const Enfed__V1__GrantAccess *e = msg;
	char t[48];
	cJSON *j = cJSON_CreateObject();
	fedctl_time_iso(c, e->at_ms, t, sizeof(t));
	cJSON_AddStringToObject(j, "at", t);
	cJSON_AddStringToObject(j, "grant", e->grant_id);
	cJSON_AddStringToObject(j, "grantee", e->grantee_node);
	cJSON_AddStringToObject(j, "method", e->method);
	cJSON *ids = cJSON_AddArrayToObject(j, "series");
	for (size_t i = 0; i < e->n_series_ids; i++)
		cJSON_AddItemToArray(
		    ids, cJSON_CreateString(e->series_ids[i]));
	time_or(c, e->range ? e->range->from_ms : 0, "", t, sizeof(t));
	cJSON_AddStringToObject(j, "from", t);
	time_or(c, e->range ? e->range->to_ms : 0, "", t, sizeof(t));
	cJSON_AddStringToObject(j, "to", t);
	cJSON_AddStringToObject(j, "step", fedctl_step_name(e->step));
	cJSON_AddStringToObject(
	    j, "status", fed_status_name((fed_status) e->status));
	return j;
}

static void
access_text(const fedctl *c, const void *msg)
{
	const Enfed__V1__GrantAccess *e = msg;
	char at[48], from[48] = "-", to[48] = "-";
	fedctl_time_iso(c, e->at_ms, at, sizeof(at));
	if (e->range != NULL) {
		time_or(c, e->range->from_ms, "-", from, sizeof(from));
		time_or(c, e->range->to_ms, "-", to, sizeof(to));
	}
	printf("%s %-20s %-10s %-10s %s", at, e->grant_id, e->grantee_node,
	    e->method, e->n_series_ids > 0 ? e->series_ids[0] : "-");
	if (e->n_series_ids > 1)
		printf(" (+%zu)", e->n_series_ids - 1);
	// Only a query and a replicated batch are made at a step.
	int stepped = strcmp(e->method, "Query") == 0
	    || strcmp(e->method, "Replicate") == 0;
	printf(" %s .. %s %s %s\n", from, to,
	    stepped ? fedctl_step_name(e->step) : "-",
	    fed_status_name((fed_status) e->status));
}

static const fedctl_view grant_view = {.json = grant_json, .text = grant_text};
static const fedctl_view access_view = {.rows = "entries",
    .json = access_json,
    .text = access_text,
    .empty = "(nothing read under this grant yet)\n"};
static const fedctl_view grants_view = {.rows = "grants",
    .json = grant_json,
    .text = grant_text,
    .empty = "(no grant)\n"};

// Parses an optional time option into *out (0 when absent).
static int
opt_time(fedctl *c, const char *name, const char *s, int64_t *out)
{
	*out = 0;
	if (s == NULL)
		return -1;
	if (fedctl_time_parse(fedctl_show_zone(c), s, fed_clock_now_ms(), out)
	    != FED_OK)
		return fedctl_usage(c, "--%s: '%s' is not a time", name, s);
	return -1;
}

// Shows the new grant and its token, said once on stderr to be given on.
static void
show_created(const fedctl *c, const Enfed__V1__CreateGrantResponse *rep)
{
	if (c->format == FEDCTL_JSON) {
		cJSON *j = grant_json(c, rep->grant);
		cJSON_AddStringToObject(j, "token", rep->token);
		fedctl_json_emit(j);
		return;
	}
	grant_text(c, rep->grant);
	printf("token: %s\n", rep->token);
	fprintf(stderr, "%s: the token is shown this once; give it to %s\n",
	    c->prog, rep->grant->grantee_node);
}

static int
send_grant(fedctl *c, Enfed__V1__Grant *g)
{
	Enfed__V1__CreateGrantRequest req
	    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
	req.grant = g;
	Enfed__V1__CreateGrantResponse *rep = NULL;
	fed_status st = grant_call(c, "Create", &req, &rep);
	if (st == FED_OK)
		show_created(c, rep);
	return fedctl_reply(c, NULL, st, rep);
}

static int
grant_create(fedctl *c, const fedctl_verb_input *in)
{
	const struct create_cfg *cfg = in->cfg;
	if (cfg->to == NULL || cfg->to[0] == '\0')
		return fedctl_usage(c, "--to NODE is needed");
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	int rc = opt_time(c, "from", cfg->from, &r.from_ms);
	if (rc < 0)
		rc = opt_time(c, "until", cfg->until, &r.to_ms);
	if (rc < 0)
		rc = opt_time(c, "expires", cfg->expires, &g.expires_ms);
	if (rc >= 0)
		return rc;
	Enfed__V1__Scope sc[2];
	if (cfg->scope != 1)
		sc[g.n_scopes++] = ENFED__V1__SCOPE__SCOPE_QUERY;
	if (cfg->scope != 0)
		sc[g.n_scopes++] = ENFED__V1__SCOPE__SCOPE_LIVE;
	g.scopes = sc;
	g.series = in->args[0];
	g.grantee_node = cfg->to;
	g.finest_step = (Enfed__V1__Step) cfg->finest;
	g.data_range = &r;
	g.grantee_rpc_addr = cfg->grantee_addr;
	return send_grant(c, &g);
}

static int
grant_ls(fedctl *c, const fedctl_verb_input *in)
{
	(void) in;
	Enfed__V1__ListGrantsRequest req
	    = ENFED__V1__LIST_GRANTS_REQUEST__INIT;
	Enfed__V1__ListGrantsResponse *rep = NULL;
	fed_status st = grant_call(c, "List", &req, &rep);
	return fedctl_reply(c, &grants_view, st, rep);
}

static int
grant_revoke(fedctl *c, const fedctl_verb_input *in)
{
	Enfed__V1__RevokeGrantRequest req
	    = ENFED__V1__REVOKE_GRANT_REQUEST__INIT;
	req.id = in->args[0];
	Enfed__V1__Grant *rep = NULL;
	fed_status st = grant_call(c, "Revoke", &req, &rep);
	return fedctl_reply(c, &grant_view, st, rep);
}

static int
grant_log(fedctl *c, const fedctl_verb_input *in)
{
	const struct log_cfg *cfg = in->cfg;
	Enfed__V1__GrantLogRequest req = ENFED__V1__GRANT_LOG_REQUEST__INIT;
	int rc = opt_time(c, "since", cfg->since, &req.since_ms);
	if (rc >= 0)
		return rc;
	req.grant_id = in->n_args > 0 ? in->args[0] : "";
	req.limit = (uint32_t) cfg->limit;
	Enfed__V1__GrantLogResponse *rep = NULL;
	fed_status st = grant_call(c, "Log", &req, &rep);
	return fedctl_reply(c, &access_view, st, rep);
}

static const fedctl_verb verbs[] = {
    {.name = "create",
        .run = grant_create,
        .help = "grant a series to another node; prints its token",
        FEDCTL_OPTS(create_spec, struct create_cfg),
        .args = FEDCTL_EXACTLY(1, "one series id or prefix is needed")},
    {.name = "ls",
        .run = grant_ls,
        .help = "list the grants",
        FEDCTL_OPTS(ls_spec, fedctl_plain_cfg)},
    {.name = "revoke",
        .run = grant_revoke,
        .help = "revoke a grant, at once",
        FEDCTL_OPTS(revoke_spec, fedctl_plain_cfg),
        .args = FEDCTL_EXACTLY(1, "one grant id is needed")},
    {.name = "log",
        .run = grant_log,
        .help = "what each grantee read and received",
        FEDCTL_OPTS(log_spec, struct log_cfg),
        .args = FEDCTL_ARGS(0, 1, NULL)},
};

int
cmd_grant(fedctl *c, int argc, char **argv)
{
	return fedctl_run_verb(c, "grant",
	    "Consent grants of this node's series to other nodes (the admin's "
	    "token, or a household's owner token for its own series).",
	    verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
