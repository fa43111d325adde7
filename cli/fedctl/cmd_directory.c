// SPDX-License-Identifier: MIT
//
// cmd_directory.c: `fedctl directory ls|show|lookup`, the nodes of the
// federation as fed-directory knows them (enfed.v1.Directory List and
// Lookup): name, organisation, addresses, lease status and, with show,
// the series each offers with their description boxes; and `fedctl
// directory check`, the check of its database (svc_check.c). Calls go to
// --directory with --directory-token (or --token): the enrolment token or
// a node token (the directory's admin token for check).

#include <string.h>

#include "enfed/v1/directory.pb-c.h"
#include "fed/clock.h"
#include "fedctl.h"
#include "svc_check.h"
#include "verb.h"

// --- Output -----------------------------------------------------------------

static cJSON *
meta_json(const Enfed__V1__SeriesMeta *m)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", m->id);
	cJSON_AddStringToObject(j, "kind", fedctl_kind_name(m->kind));
	cJSON_AddStringToObject(j, "unit", fedctl_unit_name(m->unit));
	cJSON_AddNumberToObject(j, "interval_s", m->interval_s);
	cJSON_AddStringToObject(j, "source", m->source);
	cJSON_AddStringToObject(j, "owner", m->owner);
	cJSON_AddBoolToObject(j, "cumulative", m->cumulative);
	cJSON *box = cJSON_AddArrayToObject(j, "box");
	for (size_t i = 0; i < m->n_box; i++) {
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "key", m->box[i]->key);
		cJSON_AddStringToObject(f, "value", m->box[i]->value);
		cJSON_AddItemToArray(box, f);
	}
	return j;
}

// How many series the node offers: List gives the count without the
// offers; a directory older than offer_count gives the offers.
static size_t
offer_count(const Enfed__V1__NodeRecord *n)
{
	return n->offer_count > n->n_offers ? n->offer_count : n->n_offers;
}

static cJSON *
node_json(const fedctl *c, const void *msg)
{
	const Enfed__V1__NodeRecord *n = msg;
	cJSON *j = cJSON_CreateObject();
	char t[48];
	cJSON_AddStringToObject(j, "name", n->name);
	cJSON_AddStringToObject(j, "organisation", n->organisation);
	cJSON_AddStringToObject(j, "rpc_addr", n->rpc_addr);
	cJSON_AddStringToObject(j, "stream_addr", n->stream_addr);
	cJSON_AddBoolToObject(j, "available", n->available);
	fedctl_time_iso(c, n->registered_ms, t, sizeof(t));
	cJSON_AddStringToObject(j, "registered", t);
	fedctl_time_iso(c, n->lease_expires_ms, t, sizeof(t));
	cJSON_AddStringToObject(j, "lease_expires", t);
	cJSON_AddNumberToObject(
	    j, "lease_expires_ms", (double) n->lease_expires_ms);
	cJSON_AddNumberToObject(j, "offer_count", (double) offer_count(n));
	cJSON *o = cJSON_AddArrayToObject(j, "offers");
	for (size_t i = 0; i < n->n_offers; i++)
		cJSON_AddItemToArray(o, meta_json(n->offers[i]));
	return j;
}

// "available until 2026-06-15 14:05:03" or "unavailable since ...".
static void
lease_text(
    const fedctl *c, const Enfed__V1__NodeRecord *n, char *buf, size_t len)
{
	char t[48];
	fedctl_time_short(c, n->lease_expires_ms, t, sizeof(t));
	bool ended = n->lease_expires_ms <= fed_clock_now_ms();
	if (n->available)
		snprintf(buf, len, "available, lease ends %s", t);
	else
		snprintf(buf, len, "unavailable, lease %s %s",
		    ended ? "ended" : "ends", t);
}

static void
nodes_header(void)
{
	printf("%-16s %-28s %-11s %-19s %6s  %s\n", "NAME", "ORGANISATION",
	    "STATUS", "LEASE ENDS", "SERIES", "RPC / STREAM");
}

static void
node_row(const fedctl *c, const void *msg)
{
	const Enfed__V1__NodeRecord *n = msg;
	char t[48];
	fedctl_time_short(c, n->lease_expires_ms, t, sizeof(t));
	printf("%-16s %-28s %-11s %-19s %6zu  %s %s\n", n->name,
	    n->organisation, n->available ? "available" : "unavailable", t,
	    offer_count(n), n->rpc_addr, n->stream_addr);
}

static const fedctl_view nodes_view = {.rows = "nodes",
    .json = node_json,
    .text = node_row,
    .header = nodes_header,
    .empty = "(no node)\n"};

static void
print_offer(const Enfed__V1__SeriesMeta *m)
{
	printf("  %s  (%s, %s, every %u s%s, %s, owner %s)\n", m->id,
	    fedctl_kind_name(m->kind), fedctl_unit_name(m->unit),
	    m->interval_s, m->cumulative ? ", cumulative" : "", m->source,
	    m->owner);
	for (size_t i = 0; i < m->n_box; i++)
		printf("      %s: %s\n", m->box[i]->key, m->box[i]->value);
}

static void
print_node(const fedctl *c, const void *msg)
{
	const Enfed__V1__NodeRecord *n = msg;
	char t[48], lease[96];
	lease_text(c, n, lease, sizeof(lease));
	printf("name:          %s\n", n->name);
	printf("organisation:  %s\n", n->organisation);
	printf("rpc:           %s\n", n->rpc_addr);
	printf("stream:        %s\n", n->stream_addr);
	printf("status:        %s\n", lease);
	fedctl_time_short(c, n->registered_ms, t, sizeof(t));
	printf("registered:    %s\n", t);
	printf("series offered (%zu):\n", n->n_offers);
	for (size_t i = 0; i < n->n_offers; i++)
		print_offer(n->offers[i]);
	if (n->n_offers == 0)
		printf("  (none)\n");
}

static const fedctl_view node_view = {.json = node_json, .text = print_node};

static fed_status
dir_call(fedctl *c, const char *method, const char *what, const void *req,
    Enfed__V1__LookupResponse **rep)
{
	return fedctl_svc_call(c, FEDCTL_SVC_DIRECTORY,
	    &enfed__v1__directory__descriptor, method, what, req, rep);
}

// --- ls ---------------------------------------------------------------------

static const fed_cfg_spec ls_spec
    = FEDCTL_PLAIN_SPEC("fedctl directory ls", "[OPTION]...",
        "Lists every node of the federation: name, organisation, lease status "
        "and its end (local time), number of series offered, RPC and stream "
        "addresses.\n"
        "Examples:\n"
        "  fedctl directory ls\n"
        "  fedctl --directory tcp://10.0.0.1:7400 directory ls --json");

static int
dir_ls(fedctl *c, const fedctl_verb_input *in)
{
	(void) in;
	Enfed__V1__ListNodesRequest req = ENFED__V1__LIST_NODES_REQUEST__INIT;
	Enfed__V1__LookupResponse *rep = NULL;
	fed_status st = dir_call(c, "List", "", &req, &rep);
	return fedctl_reply(c, &nodes_view, st, rep);
}

// --- show -------------------------------------------------------------------

static const fed_cfg_spec show_spec
    = FEDCTL_PLAIN_SPEC("fedctl directory show", "[OPTION]... NAME",
        "Shows one node: organisation, addresses, lease status, and every "
        "series it offers with its description box.\n"
        "Examples:\n"
        "  fedctl directory show lognact\n"
        "  fedctl directory show lognact --json");

static int
dir_show(fedctl *c, const fedctl_verb_input *in)
{
	Enfed__V1__LookupRequest req = ENFED__V1__LOOKUP_REQUEST__INIT;
	req.name = in->args[0];
	Enfed__V1__LookupResponse *rep = NULL;
	fed_status st = dir_call(c, "Lookup", req.name, &req, &rep);
	if (st == FED_OK && rep->n_nodes == 0) {
		st = FED_NOT_FOUND;
		fedctl_fail(
		    c, st, "node '%s' is not in the directory", req.name);
	}
	if (st == FED_OK)
		fedctl_show(c, &node_view, rep->nodes[0]);
	return fedctl_reply(c, NULL, st, rep);
}

// --- lookup -----------------------------------------------------------------

struct lookup_cfg {
	char *series;
	char *org;
	char *name;
	bool offers;
	fedctl_out_opts out;
};

#define C struct lookup_cfg
static const fed_cfg_opt lookup_opts[] = {
    FED_CFG_OPT_STRING(C, series, "series", "",
        "nodes offering this series id, or a series under this prefix "
        "ending in '/'"),
    FED_CFG_OPT_STRING(
        C, org, "org", "", "nodes of exactly this organisation"),
    FED_CFG_OPT_STRING(C, name, "name", "", "exactly this node"),
    FED_CFG_OPT_BOOL(C, offers, "offers", "false",
        "also list the matching series under each node"),
    FEDCTL_OUT_OPTS(C, out),
};
#undef C

static const fed_cfg_spec lookup_spec = {"fedctl directory lookup",
    "[--series S] [--org O] [--name N] [OPTION]...",
    "Finds nodes: those offering a series (an id, or a prefix ending in "
    "'/'), of an organisation, or by name; the criteria given must all "
    "match, and at least one is needed. --offers lists the matching "
    "series under each node (--json always has them).\n"
    "Examples:\n"
    "  fedctl directory lookup --series kermelo/pv/energy\n"
    "  fedctl directory lookup --series kermelo/ --offers\n"
    "  fedctl directory lookup --org 'Bretagne Energie Citoyenne' --json",
    lookup_opts, FED_CFG_N(lookup_opts), FED_CFG_ARGV_ONLY};

static void
print_offers(const Enfed__V1__LookupResponse *r)
{
	for (size_t i = 0; i < r->n_nodes; i++) {
		printf("\n%s:\n", r->nodes[i]->name);
		for (size_t k = 0; k < r->nodes[i]->n_offers; k++)
			print_offer(r->nodes[i]->offers[k]);
	}
}

static int
dir_lookup(fedctl *c, const fedctl_verb_input *in)
{
	const struct lookup_cfg *cfg = in->cfg;
	if (cfg->series[0] == '\0' && cfg->org[0] == '\0'
	    && cfg->name[0] == '\0')
		return fedctl_usage(
		    c, "--series, --org or --name is needed (ls lists all)");
	Enfed__V1__LookupRequest req = ENFED__V1__LOOKUP_REQUEST__INIT;
	req.series = cfg->series;
	req.organisation = cfg->org;
	req.name = cfg->name;
	Enfed__V1__LookupResponse *rep = NULL;
	fed_status st = dir_call(c, "Lookup", "", &req, &rep);
	if (st == FED_OK) {
		fedctl_show(c, &nodes_view, rep);
		if (cfg->offers && c->format != FEDCTL_JSON)
			print_offers(rep);
	}
	return fedctl_reply(c, NULL, st, rep);
}

static int
dir_check(fedctl *c, const fedctl_verb_input *in)
{
	(void) in;
	return fedctl_svc_check(c, FEDCTL_SVC_DIRECTORY);
}

// --- Dispatch ---------------------------------------------------------------

static const fedctl_verb verbs[] = {
    {.name = "ls",
        .run = dir_ls,
        .help = "every node: organisation, lease, addresses",
        FEDCTL_OPTS(ls_spec, fedctl_plain_cfg)},
    {.name = "show",
        .run = dir_show,
        .help = "one node and the series it offers, with boxes",
        FEDCTL_OPTS(show_spec, fedctl_plain_cfg),
        .args = FEDCTL_ARGS(1, 1, "a node name is needed")},
    {.name = "lookup",
        .run = dir_lookup,
        .help = "nodes by series (id or prefix/), org or name",
        FEDCTL_OPTS(lookup_spec, struct lookup_cfg)},
    {.name = "check",
        .run = dir_check,
        .help = "verify the directory's database now (admin)",
        FEDCTL_OPTS(fedctl_directory_check_spec, fedctl_plain_cfg)},
};

int
cmd_directory(fedctl *c, int argc, char **argv)
{
	return fedctl_run_verb(c, "directory",
	    "The nodes of the federation, from fed-directory (--directory, "
	    "--directory-token).",
	    verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
