// SPDX-License-Identifier: MIT
//
// cmd_grant.c: `fedctl grant create|ls|revoke`, the owner's consent grants
// on its node (enfed.v1.Grants; admin token). `create` prints the grant's
// token once: it is what the grantee uses to query, and the node keeps only
// its hash.

#include <stdlib.h>
#include <string.h>

#include "enfed/v1/grant.pb-c.h"
#include "fed/clock.h"
#include "fedctl.h"

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

struct plain_cfg {
	fedctl_out_opts out;
};

static const fed_cfg_opt plain_opts[] = {
    FEDCTL_OUT_OPTS(struct plain_cfg, out),
};

static const fed_cfg_spec ls_spec = {"fedctl grant ls", "[OPTION]...",
    "Lists the node's grants, revoked ones included.\n"
    "Example:\n  fedctl grant ls --json",
    plain_opts, FED_CFG_N(plain_opts), FED_CFG_ARGV_ONLY};

static const fed_cfg_spec revoke_spec = {"fedctl grant revoke", "ID",
    "Revokes a grant: its token stops working at once and nothing more is "
    "replicated for it.\nExample:\n  fedctl grant revoke g-AbCd1234",
    plain_opts, FED_CFG_N(plain_opts), FED_CFG_ARGV_ONLY};

static fed_status
grant_call(fedctl *c, const char *method, const void *req, void *rep)
{
	char err[256] = "";
	fed_status st = fedctl_call(c, &enfed__v1__grants__descriptor, method,
	    req, (ProtobufCMessage **) rep, err, sizeof(err));
	if (st != FED_OK)
		fedctl_fail(c, st, "Grants/%s: %s", method,
		    err[0] ? err : fed_status_str(st));
	return st;
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
grant_json(const fedctl *c, const Enfed__V1__Grant *g)
{
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
	return j;
}

static void
grant_text(const fedctl *c, const Enfed__V1__Grant *g)
{
	char from[48], to[48], exp[48];
	time_or(c, g->data_range ? g->data_range->from_ms : 0, "start", from,
	    sizeof(from));
	time_or(c, g->data_range ? g->data_range->to_ms : 0, "open", to,
	    sizeof(to));
	time_or(c, g->expires_ms, "never", exp, sizeof(exp));
	printf("%-20s %-24s %-10s %-10s %-6s %s .. %s, expires %s%s\n", g->id,
	    g->series, g->grantee_node, scopes_text(g),
	    fedctl_step_name(g->finest_step), from, to, exp,
	    g->revoked ? " [revoked]" : "");
}

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

static int
grant_create(fedctl *c, int argc, char **argv)
{
	struct create_cfg cfg = {0};
	fed_cfg_result res;
	int rc = fedctl_load_sub(
	    c, &create_spec, &cfg, argc, argv, &cfg.out, &res);
	if (rc < 0 && res.n_args != 1)
		rc = fedctl_usage(c, "one series id or prefix is needed");
	if (rc < 0 && (cfg.to == NULL || cfg.to[0] == '\0'))
		rc = fedctl_usage(c, "--to NODE is needed");
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	if (rc < 0)
		rc = opt_time(c, "from", cfg.from, &r.from_ms);
	if (rc < 0)
		rc = opt_time(c, "until", cfg.until, &r.to_ms);
	if (rc < 0)
		rc = opt_time(c, "expires", cfg.expires, &g.expires_ms);
	if (rc < 0) {
		Enfed__V1__Scope sc[2];
		if (cfg.scope != 1)
			sc[g.n_scopes++] = ENFED__V1__SCOPE__SCOPE_QUERY;
		if (cfg.scope != 0)
			sc[g.n_scopes++] = ENFED__V1__SCOPE__SCOPE_LIVE;
		g.scopes = sc;
		g.series = res.args[0];
		g.grantee_node = cfg.to;
		g.finest_step = (Enfed__V1__Step) cfg.finest;
		g.data_range = &r;
		g.grantee_rpc_addr = cfg.grantee_addr;
		Enfed__V1__CreateGrantRequest req
		    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
		req.grant = &g;
		Enfed__V1__CreateGrantResponse *rep = NULL;
		fed_status st = grant_call(c, "Create", &req, &rep);
		rc = fedctl_exit_code(st);
		if (st == FED_OK && c->format == FEDCTL_JSON) {
			cJSON *j = grant_json(c, rep->grant);
			cJSON_AddStringToObject(j, "token", rep->token);
			fedctl_json_emit(j);
		} else if (st == FED_OK) {
			grant_text(c, rep->grant);
			printf("token: %s\n", rep->token);
			fprintf(stderr,
			    "%s: the token is shown this once; give it to "
			    "%s\n",
			    c->prog, rep->grant->grantee_node);
		}
		if (rep != NULL)
			enfed__v1__create_grant_response__free_unpacked(
			    rep, NULL);
	}
	fed_cfg_fini(&create_spec, &cfg);
	return rc;
}

static int
grant_ls(fedctl *c, int argc, char **argv)
{
	struct plain_cfg cfg = {0};
	fed_cfg_result res;
	int rc
	    = fedctl_load_sub(c, &ls_spec, &cfg, argc, argv, &cfg.out, &res);
	if (rc < 0 && res.n_args > 0)
		rc = fedctl_usage(c, "unexpected argument '%s'", res.args[0]);
	if (rc < 0) {
		Enfed__V1__ListGrantsRequest req
		    = ENFED__V1__LIST_GRANTS_REQUEST__INIT;
		Enfed__V1__ListGrantsResponse *rep = NULL;
		fed_status st = grant_call(c, "List", &req, &rep);
		rc = fedctl_exit_code(st);
		if (st == FED_OK && c->format == FEDCTL_JSON) {
			cJSON *a = cJSON_CreateArray();
			for (size_t i = 0; i < rep->n_grants; i++)
				cJSON_AddItemToArray(
				    a, grant_json(c, rep->grants[i]));
			fedctl_json_emit(a);
		} else if (st == FED_OK) {
			for (size_t i = 0; i < rep->n_grants; i++)
				grant_text(c, rep->grants[i]);
		}
		if (rep != NULL)
			enfed__v1__list_grants_response__free_unpacked(
			    rep, NULL);
	}
	fed_cfg_fini(&ls_spec, &cfg);
	return rc;
}

static int
grant_revoke(fedctl *c, int argc, char **argv)
{
	struct plain_cfg cfg = {0};
	fed_cfg_result res;
	int rc = fedctl_load_sub(
	    c, &revoke_spec, &cfg, argc, argv, &cfg.out, &res);
	if (rc < 0 && res.n_args != 1)
		rc = fedctl_usage(c, "one grant id is needed");
	if (rc < 0) {
		Enfed__V1__RevokeGrantRequest req
		    = ENFED__V1__REVOKE_GRANT_REQUEST__INIT;
		req.id = res.args[0];
		Enfed__V1__Grant *rep = NULL;
		fed_status st = grant_call(c, "Revoke", &req, &rep);
		rc = fedctl_exit_code(st);
		if (st == FED_OK && c->format == FEDCTL_JSON)
			fedctl_json_emit(grant_json(c, rep));
		else if (st == FED_OK)
			grant_text(c, rep);
		if (rep != NULL)
			enfed__v1__grant__free_unpacked(rep, NULL);
	}
	fed_cfg_fini(&revoke_spec, &cfg);
	return rc;
}

static const fedctl_verb verbs[] = {
    {"create", grant_create,
        "grant a series to another node; prints its token"},
    {"ls", grant_ls, "list the grants"},
    {"revoke", grant_revoke, "revoke a grant, at once"},
};

int
cmd_grant(fedctl *c, int argc, char **argv)
{
	return fedctl_run_verb(c, "grant",
	    "Consent grants of this node's series to other nodes (admin "
	    "token).",
	    verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
