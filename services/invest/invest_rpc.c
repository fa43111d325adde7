// SPDX-License-Identifier: MIT
//
// invest_rpc.c: the Invest handlers for projects, holdings and consumption
// links, and the service's registration. The figures (Summary, Detail,
// Distribution) are in invest_figures.c.

#include "invest_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/clock.h"
#include "fed/log.h"
#include "invest_rpc_internal.h"

const invest_principal *
invest__caller(const fed_rpc_ctx *call)
{
	return fed_rpc_ctx_principal(call);
}

fed_status
invest__fail(fed_rpc_ctx *call, fed_status st, const char *err)
{
	return fed_rpc_ctx_error(
	    call, st, "%s", err[0] != '\0' ? err : fed_status_str(st));
}

void *
invest__alloc_msg(fed_rpc_ctx *call, const ProtobufCMessageDescriptor *desc)
{
	void *m = fed_rpc_ctx_alloc(call, desc->sizeof_message);
	if (m != NULL)
		protobuf_c_message_init(desc, m);
	return m;
}

fed_status
invest__investor_known(
    invest_rpc *r, const char *investor, char *err, size_t err_len)
{
	bool known = invest_auth_knows_investor(r->auth, investor);
	if (!known)
		FED_TRY(
		    invest_store_investor_known(r->store, investor, &known));
	if (known)
		return FED_OK;
	snprintf(err, err_len, "investor '%s'", investor);
	return FED_NOT_FOUND;
}

static void
free_project(void *p)
{
	enfed__v1__project__free_unpacked(p, NULL);
}

fed_status
invest__project(fed_rpc_ctx *call, invest_rpc *r, const char *id,
    Enfed__V1__Project **out, char *err, size_t err_len)
{
	if (id == NULL || id[0] == '\0') {
		snprintf(err, err_len, "project_id: missing");
		return FED_INVALID_ARGUMENT;
	}
	FED_TRY(invest_store_project_get(r->store, id, out, err, err_len));
	bool derived = false;
	(*out)->effective_panel_m2 = invest_calc_panel_m2(
	    (*out)->panel_m2, (*out)->peak_kw, &r->factors, &derived);
	(*out)->panel_m2_derived = derived;
	return fed_rpc_ctx_defer(call, free_project, *out);
}

// Copies a project's fields into a reply, keeping the reply's header.
static void
reply_project(ProtobufCMessage *out, const Enfed__V1__Project *p)
{
	ProtobufCMessage base = *out;
	*(Enfed__V1__Project *) out = *p;
	*out = base;
}

// Checks an entered project: values, node, and the caller's right to
// manage its organisation. *p is a shallow copy of the request's project.
static fed_status
check_project(invest_rpc *r, const invest_principal *who,
    Enfed__V1__Project *p, const Enfed__V1__Project *old, char *err,
    size_t err_len)
{
	FED_TRY(invest_calc_check_project(p, &r->factors, err, err_len));
	FED_TRY(invest_auth_may_manage(who, p->organisation, err, err_len));
	FED_TRY(invest_nodes_check(r->nodes, p->series_node, err, err_len));
	// The series is checked at entry, on the node named, so that a typo
	// is refused to whoever types it rather than shown later to every
	// holder as a project without figures.
	// An update that keeps the series (archiving a project whose series
	// has gone, say) is not refused for it.
	if (p->series_id == NULL || p->series_id[0] == '\0'
	    || (old != NULL && strcmp(old->series_id, p->series_id) == 0
	        && strcmp(old->series_node, p->series_node) == 0))
		return FED_OK;
	int64_t last_ms = 0;
	return invest_nodes_production(r->nodes, p->series_node, p->series_id,
	    p->organisation, &last_ms, err, err_len);
}

static fed_status
create_project(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	invest_rpc *r = arg;
	const Enfed__V1__PutProjectRequest *req = (const void *) in;
	char err[INVEST_ERR_LEN] = "";
	if (req->project == NULL)
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "project: missing");
	Enfed__V1__Project p = *req->project;
	fed_status st = check_project(
	    r, invest__caller(call), &p, NULL, err, sizeof(err));
	if (st == FED_OK)
		st = invest_store_project_create(
		    r->store, &p, err, sizeof(err));
	if (st != FED_OK)
		return invest__fail(call, st, err);
	fed_log(
	    FED_LOG_INFO, "invest", "project %s created or confirmed", p.id);
	reply_project(out, &p);
	return FED_OK;
}

static fed_status
update_project(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	invest_rpc *r = arg;
	const Enfed__V1__PutProjectRequest *req = (const void *) in;
	char err[INVEST_ERR_LEN] = "";
	if (req->project == NULL)
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "project: missing");
	Enfed__V1__Project p = *req->project, *old = NULL;
	const invest_principal *who = invest__caller(call);
	fed_status st
	    = invest_calc_check_id(p.id, "id", false, err, sizeof(err));
	if (st == FED_OK)
		st = invest__project(call, r, p.id, &old, err, sizeof(err));
	// Both the organisation it had and the one it gets must be the
	// caller's: an organisation can neither take nor give away projects.
	if (st == FED_OK)
		st = invest_auth_may_manage(
		    who, old->organisation, err, sizeof(err));
	if (st == FED_OK)
		st = check_project(r, who, &p, old, err, sizeof(err));
	if (st == FED_OK)
		st = invest_store_project_update(
		    r->store, &p, err, sizeof(err));
	if (st != FED_OK)
		return invest__fail(call, st, err);
	fed_log(FED_LOG_INFO, "invest", "project %s updated", p.id);
	reply_project(out, &p);
	return FED_OK;
}

static fed_status
delete_project(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	(void) out;
	invest_rpc *r = arg;
	const Enfed__V1__ProjectRequest *req = (const void *) in;
	Enfed__V1__Project *old = NULL;
	char err[INVEST_ERR_LEN] = "";
	fed_status st
	    = invest_calc_check_id(req->id, "id", false, err, sizeof(err));
	if (st == FED_OK)
		st = invest__project(call, r, req->id, &old, err, sizeof(err));
	if (st == FED_NOT_FOUND)
		return FED_OK; // already deleted: a resent request
	if (st == FED_OK)
		st = invest_auth_may_manage(
		    invest__caller(call), old->organisation, err, sizeof(err));
	if (st == FED_OK)
		st = invest_store_project_delete(
		    r->store, req->id, err, sizeof(err));
	if (st != FED_OK)
		return invest__fail(call, st, err);
	fed_log(FED_LOG_INFO, "invest", "project %s deleted", req->id);
	return FED_OK;
}

static fed_status
get_project(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	const Enfed__V1__ProjectRequest *req = (const void *) in;
	Enfed__V1__Project *p = NULL;
	char err[INVEST_ERR_LEN] = "";
	fed_status st
	    = invest__project(call, arg, req->id, &p, err, sizeof(err));
	if (st != FED_OK)
		return invest__fail(call, st, err);
	reply_project(out, p);
	return FED_OK;
}

struct project_list {
	Enfed__V1__Project **list;
	size_t n;
};

static void
free_project_list(void *p)
{
	struct project_list *l = p;
	invest_store_project_list_free(l->list, l->n);
}

static fed_status
list_projects(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	invest_rpc *r = arg;
	const Enfed__V1__ListProjectsRequest *req = (const void *) in;
	Enfed__V1__ListProjectsResponse *rep = (void *) out;
	struct project_list *l = fed_rpc_ctx_alloc(call, sizeof(*l));
	char err[INVEST_ERR_LEN] = "";
	if (l == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_status st = invest_store_project_list(
	    r->store, req->organisation, &l->list, &l->n, err, sizeof(err));
	if (st != FED_OK)
		return invest__fail(call, st, err);
	FED_TRY(fed_rpc_ctx_defer(call, free_project_list, l));
	for (size_t i = 0; i < l->n; i++) {
		bool derived = false;
		l->list[i]->effective_panel_m2
		    = invest_calc_panel_m2(l->list[i]->panel_m2,
		        l->list[i]->peak_kw, &r->factors, &derived);
		l->list[i]->panel_m2_derived = derived;
	}
	rep->projects = l->list;
	rep->n_projects = l->n;
	return FED_OK;
}

// --- holdings -------------------------------------------------------------

// Fills h from an Investment of the request, the investor resolved.
static fed_status
holding_from(const Enfed__V1__Investment *inv, const char *investor,
    invest_holding *h, char *err, size_t err_len)
{
	FED_TRY(
	    invest_calc_check_id(investor, "investor", true, err, err_len));
	FED_TRY(invest_calc_check_id(
	    inv->project_id, "project_id", false, err, err_len));
	if (inv->acquired_ms < 0) {
		snprintf(err, err_len, "acquired_ms: must be >= 0");
		return FED_INVALID_ARGUMENT;
	}
	snprintf(h->investor, sizeof(h->investor), "%s", investor);
	snprintf(h->project_id, sizeof(h->project_id), "%s", inv->project_id);
	h->shares = inv->shares;
	h->acquired_ms
	    = inv->acquired_ms != 0 ? inv->acquired_ms : fed_clock_now_ms();
	return FED_OK;
}

// An archived project takes no new holder; one who holds shares of it
// may still change its holding (its date, its count).
static fed_status
check_open(fed_rpc_ctx *call, invest_rpc *r, const invest_holding *h,
    char *err, size_t err_len)
{
	Enfed__V1__Project *p = NULL;
	FED_TRY(invest__project(call, r, h->project_id, &p, err, err_len));
	if (!p->archived)
		return FED_OK;
	invest_holding *held = NULL;
	size_t n = 0;
	FED_TRY(invest_store_holdings(r->store, h->investor, h->project_id,
	    false, &held, &n, err, err_len));
	free(held);
	if (n > 0)
		return FED_OK;
	snprintf(err, err_len,
	    "project '%s' is archived: it takes no new "
	    "holding",
	    h->project_id);
	return FED_FAILED_PRECONDITION;
}

static fed_status
put_investment(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	invest_rpc *r = arg;
	const Enfed__V1__PutInvestmentRequest *req = (const void *) in;
	Enfed__V1__Investment *rep = (void *) out;
	char err[INVEST_ERR_LEN] = "";
	const char *investor = NULL;
	invest_holding h;
	if (req->investment == NULL)
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "investment: missing");
	fed_status st = invest_auth_investor(invest__caller(call),
	    req->investment->investor, &investor, err, sizeof(err));
	if (st == FED_OK)
		st = holding_from(
		    req->investment, investor, &h, err, sizeof(err));
	if (st == FED_OK)
		st = check_open(call, r, &h, err, sizeof(err));
	if (st == FED_OK)
		st = invest_store_holding_put(r->store, &h, err, sizeof(err));
	if (st != FED_OK)
		return invest__fail(call, st, err);
	rep->investor = fed_rpc_ctx_strdup(call, h.investor);
	rep->project_id = fed_rpc_ctx_strdup(call, h.project_id);
	rep->shares = h.shares;
	rep->acquired_ms = h.acquired_ms;
	return rep->investor && rep->project_id ? FED_OK
	                                        : FED_RESOURCE_EXHAUSTED;
}

static fed_status
remove_investment(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	(void) out;
	invest_rpc *r = arg;
	const Enfed__V1__RemoveInvestmentRequest *req = (const void *) in;
	char err[INVEST_ERR_LEN] = "";
	const char *investor = NULL;
	fed_status st = invest_auth_investor(
	    invest__caller(call), req->investor, &investor, err, sizeof(err));
	if (st == FED_OK)
		st = invest__investor_known(r, investor, err, sizeof(err));
	if (st == FED_OK)
		st = invest_store_holding_remove(
		    r->store, investor, req->project_id, err, sizeof(err));
	return st == FED_OK ? FED_OK : invest__fail(call, st, err);
}

// Holdings as Investment messages in call memory.
static fed_status
reply_holdings(fed_rpc_ctx *call, const invest_holding *h, size_t n,
    Enfed__V1__ListInvestmentsResponse *rep)
{
	Enfed__V1__Investment *inv
	    = fed_rpc_ctx_alloc(call, (n ? n : 1) * sizeof(*inv));
	rep->investments
	    = fed_rpc_ctx_alloc(call, (n ? n : 1) * sizeof(*rep->investments));
	if (inv == NULL || rep->investments == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < n; i++) {
		enfed__v1__investment__init(&inv[i]);
		inv[i].investor = fed_rpc_ctx_strdup(call, h[i].investor);
		inv[i].project_id = fed_rpc_ctx_strdup(call, h[i].project_id);
		if (inv[i].investor == NULL || inv[i].project_id == NULL)
			return FED_RESOURCE_EXHAUSTED;
		inv[i].shares = h[i].shares;
		inv[i].acquired_ms = h[i].acquired_ms;
		rep->investments[i] = &inv[i];
	}
	rep->n_investments = n;
	return FED_OK;
}

// The investor filter of ListInvestments: "" stays "" for the admin (all
// investors) and becomes the caller's own id for an investor.
static fed_status
list_filter(invest_rpc *r, const invest_principal *who, const char *asked,
    const char **investor, char *err, size_t err_len)
{
	*investor = "";
	if (who != NULL && who->role == INVEST_ROLE_ADMIN
	    && (asked == NULL || asked[0] == '\0'))
		return FED_OK;
	FED_TRY(invest_auth_investor(who, asked, investor, err, err_len));
	return invest__investor_known(r, *investor, err, err_len);
}

static fed_status
list_investments(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	invest_rpc *r = arg;
	const Enfed__V1__ListInvestmentsRequest *req = (const void *) in;
	char err[INVEST_ERR_LEN] = "";
	const char *investor = NULL;
	invest_holding *h = NULL;
	size_t n = 0;
	fed_status st = list_filter(r, invest__caller(call), req->investor,
	    &investor, err, sizeof(err));
	if (st == FED_OK && req->project_id != NULL && req->project_id[0]) {
		Enfed__V1__Project *p = NULL;
		st = invest__project(
		    call, r, req->project_id, &p, err, sizeof(err));
	}
	if (st == FED_OK)
		st = invest_store_holdings(r->store, investor, req->project_id,
		    true, &h, &n, err, sizeof(err));
	if (st != FED_OK)
		return invest__fail(call, st, err);
	st = reply_holdings(call, h, n, (void *) out);
	free(h);
	return st;
}

// A grant token is 1..INVEST_GRANT_MAX bytes of printable ASCII (what a
// node issues). The message never repeats the token.
static fed_status
check_grant_token(const char *token, char *err, size_t err_len)
{
	size_t len = token != NULL ? strlen(token) : 0;
	if (len == 0) {
		snprintf(err, err_len,
		    "grant_token: missing: a household series is linked "
		    "only under the grant that its node issued to the "
		    "investment service");
		return FED_INVALID_ARGUMENT;
	}
	bool printable = len <= INVEST_GRANT_MAX;
	for (size_t i = 0; printable && i < len; i++)
		printable = token[i] > ' ' && token[i] < 0x7f;
	if (printable)
		return FED_OK;
	snprintf(err, err_len,
	    "grant_token: 1-%d bytes of printable ASCII, without spaces",
	    INVEST_GRANT_MAX);
	return FED_INVALID_ARGUMENT;
}

// Checks a link request and fills *link. A series is linked only when its
// node lets the grant token read it, asked with that token now.
static fed_status
check_link(invest_rpc *r, const Enfed__V1__LinkConsumptionRequest *req,
    invest_link *link, char *err, size_t err_len)
{
	const char *series = req->series_id != NULL ? req->series_id : "";
	const char *node = req->series_node != NULL ? req->series_node : "";
	memset(link, 0, sizeof(*link));
	if (strlen(series) > INVEST_SERIES_MAX) {
		snprintf(err, err_len, "series_id: at most %d bytes",
		    INVEST_SERIES_MAX);
		return FED_INVALID_ARGUMENT;
	}
	FED_TRY(invest_nodes_check(r->nodes, node, err, err_len));
	snprintf(link->node, sizeof(link->node), "%s", node);
	if (series[0] == '\0')
		return FED_OK;
	FED_TRY(check_grant_token(req->grant_token, err, err_len));
	snprintf(link->series_id, sizeof(link->series_id), "%s", series);
	snprintf(link->grant_token, sizeof(link->grant_token), "%s",
	    req->grant_token);
	invest_granted g = {link->node, link->series_id, link->grant_token};
	return invest_nodes_grant_check(r->nodes, &g, err, err_len);
}

static fed_status
link_consumption(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	(void) out;
	invest_rpc *r = arg;
	const Enfed__V1__LinkConsumptionRequest *req = (const void *) in;
	char err[INVEST_ERR_LEN] = "";
	const char *investor = NULL;
	invest_link link;
	fed_status st = invest_auth_investor(
	    invest__caller(call), req->investor, &investor, err, sizeof(err));
	if (st == FED_OK)
		st = invest__investor_known(r, investor, err, sizeof(err));
	if (st == FED_OK)
		st = check_link(r, req, &link, err, sizeof(err));
	if (st == FED_OK)
		st = invest_store_link_put(
		    r->store, investor, &link, err, sizeof(err));
	if (st != FED_OK)
		return invest__fail(call, st, err);
	if (link.series_id[0] != '\0')
		fed_log(FED_LOG_INFO, "invest",
		    "investor %s linked series %s on node %s under its grant",
		    investor, link.series_id, link.node);
	return FED_OK;
}

static fed_status
check_store(void *arg, const atomic_int *stop, fed_scrub_report *out)
{
	return invest_store_check(arg, stop, out);
}

fed_status
invest_rpc_scrub_new(invest_store *store, int64_t interval_ms, fed_scrub **out)
{
	fed_scrub_opts o = {.log = "invest",
	    .check = check_store,
	    .arg = store,
	    .interval_ms = interval_ms};
	return fed_scrub_new(&o, out);
}

fed_status
invest_rpc_register(fed_rpc_server *srv, invest_rpc *r)
{
	static const fed_rpc_method methods[] = {
	    {"CreateProject", create_project},
	    {"UpdateProject", update_project},
	    {"GetProject", get_project},
	    {"ListProjects", list_projects},
	    {"PutInvestment", put_investment},
	    {"RemoveInvestment", remove_investment},
	    {"ListInvestments", list_investments},
	    {"LinkConsumption", link_consumption},
	    {"Summary", invest__summary},
	    {"Detail", invest__detail},
	    {"Distribution", invest__distribution},
	    {"DeleteProject", delete_project},
	};
	if (r->scrub != NULL)
		FED_TRY(fed_scrub_register(srv, r->scrub));
	return fed_rpc_server_add_service(srv, &enfed__v1__invest__descriptor,
	    methods, sizeof(methods) / sizeof(methods[0]), r);
}
