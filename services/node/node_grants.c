// SPDX-License-Identifier: MIT
//
// node_grants.c: the grants table in memory, its checks, and the Grants
// service (the admin's, and an owner's for the grants on its series: see
// node_policy.h).

#include "node_grants.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enfed/v1/grant.pb-c.h"
#include "fed/clock.h"
#include "fed/log.h"
#include "fed/token.h"
#include "fed/transport.h"
#include "node_policy.h"
#include "node_reply.h"

struct node_grants {
	node_store *store;
	pthread_rwlock_t lock; // guards the array, not the entries
	node_grant **g;
	size_t n, cap;
};

// Appends a copy of a stored grant. Entries are never moved nor freed
// before node_grants_free.
static fed_status
add(node_grants *gs, const Enfed__V1__Grant *g, const char *hash)
{
	node_grant *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return FED_RESOURCE_EXHAUSTED;
	e->principal.role = NODE_ROLE_GRANTEE;
	snprintf(e->principal.name, sizeof(e->principal.name), "%s",
	    g->grantee_node);
	snprintf(e->principal.hash, sizeof(e->principal.hash), "%s", hash);
	snprintf(e->id, sizeof(e->id), "%s", g->id);
	snprintf(e->series, sizeof(e->series), "%s", g->series);
	snprintf(e->grantee, sizeof(e->grantee), "%s", g->grantee_node);
	for (size_t i = 0; i < g->n_scopes; i++)
		e->scopes |= g->scopes[i] == ENFED__V1__SCOPE__SCOPE_QUERY
		    ? NODE_STORE_SCOPE_QUERY
		    : g->scopes[i] == ENFED__V1__SCOPE__SCOPE_LIVE
		    ? NODE_STORE_SCOPE_LIVE
		    : 0;
	e->finest_step = (int) g->finest_step;
	e->from_ms = g->data_range != NULL ? g->data_range->from_ms : 0;
	e->to_ms = g->data_range != NULL ? g->data_range->to_ms : 0;
	e->expires_ms = g->expires_ms;
	e->created_ms = g->created_ms;
	atomic_store(&e->revoked, g->revoked ? 1 : 0);
	snprintf(e->grantee_addr, sizeof(e->grantee_addr), "%s",
	    g->grantee_rpc_addr);
	pthread_rwlock_wrlock(&gs->lock);
	if (gs->n == gs->cap) {
		size_t ncap = gs->cap ? gs->cap * 2 : 16;
		node_grant **ng = realloc(gs->g, ncap * sizeof(*ng));
		if (ng == NULL) {
			pthread_rwlock_unlock(&gs->lock);
			free(e);
			return FED_RESOURCE_EXHAUSTED;
		}
		gs->g = ng;
		gs->cap = ncap;
	}
	gs->g[gs->n++] = e;
	pthread_rwlock_unlock(&gs->lock);
	return FED_OK;
}

static fed_status
load_one(const Enfed__V1__Grant *g, const char *hash, void *arg)
{
	return add(arg, g, hash);
}

fed_status
node_grants_new(node_store *store, node_grants **out)
{
	node_grants *gs = calloc(1, sizeof(*gs));
	if (gs == NULL)
		return FED_RESOURCE_EXHAUSTED;
	gs->store = store;
	pthread_rwlock_init(&gs->lock, NULL);
	node_store_err err = {{0}};
	fed_status st = node_store_grant_list(store, load_one, gs, &err);
	if (st != FED_OK) {
		node_grants_free(gs);
		return st;
	}
	*out = gs;
	return FED_OK;
}

void
node_grants_free(node_grants *gs)
{
	if (gs == NULL)
		return;
	for (size_t i = 0; i < gs->n; i++)
		free(gs->g[i]);
	free(gs->g);
	pthread_rwlock_destroy(&gs->lock);
	free(gs);
}

const node_grant *
node_grants_by_hash(node_grants *gs, const char *hash)
{
	const node_grant *found = NULL;
	pthread_rwlock_rdlock(&gs->lock);
	for (size_t i = 0; i < gs->n; i++) {
		if (fed_token_equal(hash, gs->g[i]->principal.hash)
		    && found == NULL)
			found = gs->g[i];
	}
	pthread_rwlock_unlock(&gs->lock);
	return found;
}

static node_grant *
by_id(node_grants *gs, const char *id)
{
	node_grant *found = NULL;
	pthread_rwlock_rdlock(&gs->lock);
	for (size_t i = 0; i < gs->n && found == NULL; i++) {
		if (strcmp(gs->g[i]->id, id) == 0)
			found = gs->g[i];
	}
	pthread_rwlock_unlock(&gs->lock);
	return found;
}

const node_grant *
node_grants_by_id(node_grants *gs, const char *id)
{
	return by_id(gs, id);
}

int
node_grant_usable(const node_grant *g, unsigned scope, int64_t now_ms)
{
	return !atomic_load(&g->revoked) && (g->scopes & scope) != 0
	    && (g->expires_ms == 0 || now_ms < g->expires_ms);
}

int
node_grant_covers(const node_grant *g, const char *id)
{
	size_t n = strlen(g->series);
	if (n > 0 && g->series[n - 1] == '/')
		return strncmp(id, g->series, n) == 0;
	return strcmp(id, g->series) == 0;
}

// ---- The Grants service ---------------------------------------------------

static int
valid_grantee(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 64
	    && strspn(s,
	           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	           "0123456789._-")
	    == n;
}

// Checks a grant to create; names the field at fault.
static fed_status
validate(fed_rpc_ctx *call, const Enfed__V1__Grant *g, int64_t now)
{
	int scopes_ok = g->n_scopes > 0;
	for (size_t i = 0; i < g->n_scopes; i++)
		scopes_ok &= g->scopes[i] == ENFED__V1__SCOPE__SCOPE_QUERY
		    || g->scopes[i] == ENFED__V1__SCOPE__SCOPE_LIVE;
	const Enfed__V1__TimeRange *r = g->data_range;
	if (!node_store_valid_id(g->series))
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "series: an id or a prefix ending in '/', of "
		    "[A-Za-z0-9._/-]");
	if (!valid_grantee(g->grantee_node))
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "grantee_node: 1 to 64 characters of [A-Za-z0-9._-]");
	if (!scopes_ok)
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "scopes: one or both of SCOPE_QUERY, SCOPE_LIVE");
	if ((int) g->finest_step < 0
	    || g->finest_step > ENFED__V1__STEP__STEP_YEAR)
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "finest_step: unknown step");
	if (r != NULL
	    && (r->from_ms < 0 || (r->to_ms != 0 && r->to_ms <= r->from_ms)))
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "data_range: from_ms >= 0 and to_ms after it (0: open)");
	if (g->expires_ms != 0 && g->expires_ms <= now)
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "expires_ms: in the past");
	if (g->grantee_rpc_addr[0] != '\0'
	    && fed_transport_check(g->grantee_rpc_addr, NULL, NULL, 0)
	        != FED_OK
	    && !fed_transport_is_tls(g->grantee_rpc_addr))
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "grantee_rpc_addr: not an ipc://, tcp:// or tls+tcp:// "
		    "address");
	return FED_OK;
}

// Fills a reply Grant from an entry (strings borrowed from it).
static void
to_proto(fed_rpc_ctx *call, const node_grant *e, Enfed__V1__Grant *g)
{
	g->id = (char *) e->id;
	g->series = (char *) e->series;
	g->grantee_node = (char *) e->grantee;
	Enfed__V1__Scope *sc = fed_rpc_ctx_alloc(call, 2 * sizeof(*sc));
	Enfed__V1__TimeRange *r = fed_rpc_ctx_alloc(call, sizeof(*r));
	if (sc != NULL) {
		if (e->scopes & NODE_STORE_SCOPE_QUERY)
			sc[g->n_scopes++] = ENFED__V1__SCOPE__SCOPE_QUERY;
		if (e->scopes & NODE_STORE_SCOPE_LIVE)
			sc[g->n_scopes++] = ENFED__V1__SCOPE__SCOPE_LIVE;
		g->scopes = sc;
	}
	if (r != NULL) {
		enfed__v1__time_range__init(r);
		r->from_ms = e->from_ms;
		r->to_ms = e->to_ms;
		g->data_range = r;
	}
	g->finest_step = (Enfed__V1__Step) e->finest_step;
	g->expires_ms = e->expires_ms;
	g->created_ms = e->created_ms;
	g->revoked = atomic_load(&e->revoked) != 0;
	g->grantee_rpc_addr = (char *) e->grantee_addr;
}

// 1 when patterns a and b (ids or prefixes ending in '/') share a series.
static int
overlap(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 0 && a[la - 1] == '/' && strncmp(a, b, la) == 0)
		return 1;
	if (lb > 0 && b[lb - 1] == '/' && strncmp(b, a, lb) == 0)
		return 1;
	return strcmp(a, b) == 0;
}

// A grantee receives a replicated series at one step only: a new live
// grant may not overlap a live one to the same grantee at another step
// (both would write the grantee's copy of the same series).
static fed_status
check_live_overlap(
    fed_rpc_ctx *call, node_grants *gs, const Enfed__V1__Grant *g, int64_t now)
{
	int live = 0;
	for (size_t i = 0; i < g->n_scopes; i++)
		live |= g->scopes[i] == ENFED__V1__SCOPE__SCOPE_LIVE;
	if (!live)
		return FED_OK;
	fed_status st = FED_OK;
	pthread_rwlock_rdlock(&gs->lock);
	for (size_t i = 0; st == FED_OK && i < gs->n; i++) {
		const node_grant *e = gs->g[i];
		if (node_grant_usable(e, NODE_STORE_SCOPE_LIVE, now)
		    && strcmp(e->grantee, g->grantee_node) == 0
		    && e->finest_step != (int) g->finest_step
		    && overlap(e->series, g->series))
			st = fed_rpc_ctx_error(call, FED_FAILED_PRECONDITION,
			    "finest_step: live grant %s already sends %s to "
			    "%s "
			    "at another step; revoke it first",
			    e->id, e->series, e->grantee);
	}
	pthread_rwlock_unlock(&gs->lock);
	return st;
}

static fed_status
create(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	node_grants *gs = arg;
	const Enfed__V1__CreateGrantRequest *req = (const void *) in;
	Enfed__V1__CreateGrantResponse *rep = (void *) out;
	if (req->grant == NULL)
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "grant: missing");
	int64_t now = fed_clock_now_ms();
	FED_TRY(validate(call, req->grant, now));
	FED_TRY(check_live_overlap(call, gs, req->grant, now));
	char token[FED_TOKEN_LEN + 1], hash[FED_TOKEN_HASH_LEN + 1];
	char idtok[FED_TOKEN_LEN + 1], id[40];
	FED_TRY(fed_token_new(token, sizeof(token)));
	FED_TRY(fed_token_new(idtok, sizeof(idtok)));
	fed_token_hash(token, hash);
	snprintf(id, sizeof(id), "g-%.16s", idtok + 4);
	Enfed__V1__Grant g = *req->grant;
	g.id = id;
	g.created_ms = now;
	g.revoked = 0;
	node_store_err err = {{0}};
	fed_status st = node_store_grant_put(gs->store, &g, hash, &err);
	if (st != FED_OK)
		return fed_rpc_ctx_error(call, st, "%s", err.msg);
	FED_TRY(add(gs, &g, hash));
	const node_grant *e = by_id(gs, id);
	rep->grant = fed_rpc_ctx_alloc(call, sizeof(*rep->grant));
	rep->token = fed_rpc_ctx_strdup(call, token);
	if (e == NULL || rep->grant == NULL || rep->token == NULL)
		return FED_RESOURCE_EXHAUSTED;
	enfed__v1__grant__init(rep->grant);
	to_proto(call, e, rep->grant);
	fed_log(FED_LOG_NOTICE, "grants", "grant %s: %s to %s", id, e->series,
	    e->grantee);
	return FED_OK;
}

// The grants the caller may see (an owner: those on its series), each
// with when its grantee last received replicated points.
static fed_status
list(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	(void) in;
	node_grants *gs = arg;
	Enfed__V1__ListGrantsResponse *rep = (void *) out;
	pthread_rwlock_rdlock(&gs->lock);
	size_t n = gs->n;
	rep->grants = fed_rpc_ctx_alloc(call, (n + 1) * sizeof(*rep->grants));
	Enfed__V1__Grant *all
	    = fed_rpc_ctx_alloc(call, (n + 1) * sizeof(*all));
	for (size_t i = 0; rep->grants != NULL && all != NULL && i < n; i++) {
		if (!node_policy_sees_grant(call, gs->g[i]->series))
			continue;
		enfed__v1__grant__init(&all[i]);
		to_proto(call, gs->g[i], &all[i]);
		rep->grants[rep->n_grants++] = &all[i];
	}
	pthread_rwlock_unlock(&gs->lock);
	if (rep->grants == NULL || all == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < rep->n_grants; i++) {
		node_store_err err = {{0}};
		Enfed__V1__Grant *g = rep->grants[i];
		if (node_store_access_last(gs->store, g->id, "Replicate",
		        &g->last_replicated_ms, &err)
		    != FED_OK)
			return fed_rpc_ctx_error(call, FED_UNAVAILABLE,
			    "the access log cannot be read");
	}
	return FED_OK;
}

struct log_list {
	fed_rpc_ctx *call;
	Enfed__V1__GrantLogResponse *rep;
	size_t cap;
	node_grants *gs;
};

// Keeps a copy of entry e when the caller may see its grant.
static fed_status
add_access(const Enfed__V1__GrantAccess *e, void *arg)
{
	struct log_list *l = arg;
	const node_grant *g = node_grants_by_id(l->gs, e->grant_id);
	if (g == NULL || !node_policy_sees_grant(l->call, g->series))
		return FED_OK;
	if (l->rep->n_entries == l->cap
	    && (l->rep->entries = node_reply_grow(
	            l->call, l->rep->entries, l->rep->n_entries, &l->cap))
	        == NULL)
		return FED_RESOURCE_EXHAUSTED;
	Enfed__V1__GrantAccess *c = node_reply_copy(l->call, &e->base);
	if (c == NULL)
		return FED_RESOURCE_EXHAUSTED;
	l->rep->entries[l->rep->n_entries++] = c;
	return FED_OK;
}

static fed_status
access_log(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	node_grants *gs = arg;
	const Enfed__V1__GrantLogRequest *req = (const void *) in;
	if (req->limit > 1000)
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "limit: at most 1000, got %u", req->limit);
	struct log_list l = {call, (void *) out, 0, gs};
	node_store_err err = {{0}};
	fed_status st
	    = node_store_access_list(gs->store, req->grant_id, req->since_ms,
	        req->limit != 0 ? req->limit : 100, add_access, &l, &err);
	return st == FED_OK ? FED_OK
	                    : fed_rpc_ctx_error(call, st, "%s", err.msg);
}

static fed_status
revoke(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	node_grants *gs = arg;
	const Enfed__V1__RevokeGrantRequest *req = (const void *) in;
	node_grant *e = by_id(gs, req->id);
	if (e == NULL)
		return fed_rpc_ctx_error(
		    call, FED_NOT_FOUND, "id: no grant %.40s", req->id);
	node_store_err err = {{0}};
	fed_status st = node_store_grant_revoke(gs->store, req->id, &err);
	if (st != FED_OK)
		return fed_rpc_ctx_error(call, st, "%s", err.msg);
	atomic_store(&e->revoked, 1);
	fed_log(FED_LOG_NOTICE, "grants", "grant %s revoked", e->id);
	to_proto(call, e, (Enfed__V1__Grant *) out);
	return FED_OK;
}

fed_status
node_grants_register(fed_rpc_server *srv, node_grants *gs)
{
	static const fed_rpc_method methods[] = {
	    {"Create", create},
	    {"List", list},
	    {"Revoke", revoke},
	    {"Log", access_log},
	};
	return fed_rpc_server_add_service(srv, &enfed__v1__grants__descriptor,
	    methods, sizeof(methods) / sizeof(methods[0]), gs);
}
