// SPDX-License-Identifier: MIT
//
// node_auth.c: the token table and the per-method roles.

#include "node_auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/clock.h"
#include "fed/token.h"
#include "node_grants.h"
#include "store.h"

#define MAX_TOKENS 256

struct node_auth {
	size_t n;
	node_principal p[MAX_TOKENS];
	struct node_grants *grants;
	int (*is_member)(const char *token, void *arg);
	void *member_arg;
};

// The one principal of every federation member calling with its own
// token: what it may read is decided by the series' visibility.
static const node_principal member = {"member", NODE_ROLE_MEMBER, "", ""};

// What a grant token may call; the handlers then check the grant's reach.
static const char *const grantee_methods[] = {
    "/enfed.v1.SeriesStore/Query",
    "/enfed.v1.SeriesStore/GetSeries",
    "/enfed.v1.SeriesStore/Latest",
    "/enfed.v1.SeriesStore/ListSeries",
};

// The least role each method needs. Methods not listed need admin.
static const struct {
	const char *method;
	int role; // 0: no token needed
} method_roles[] = {
    {"/enfed.v1.Health/Check", 0},
    {"/enfed.v1.SeriesStore/Query", NODE_ROLE_READER},
    {"/enfed.v1.SeriesStore/Latest", NODE_ROLE_READER},
    {"/enfed.v1.SeriesStore/ListSeries", NODE_ROLE_READER},
    {"/enfed.v1.SeriesStore/GetSeries", NODE_ROLE_READER},
    {"/enfed.v1.SeriesStore/Ingest", NODE_ROLE_WRITER},
    {"/enfed.v1.SeriesStore/CreateSeries", NODE_ROLE_WRITER},
    {"/enfed.v1.AlarmService/ListRules", NODE_ROLE_READER},
    {"/enfed.v1.AlarmService/ListAlarms", NODE_ROLE_READER},
    {"/enfed.v1.AlarmService/Acknowledge", NODE_ROLE_WRITER},
};

int
node_role_parse(const char *s, node_role *out)
{
	static const char *const names[]
	    = {NULL, "reader", "writer", "admin", "replica"};
	for (int r = NODE_ROLE_READER; r <= NODE_ROLE_REPLICA; r++) {
		if (strcmp(s, names[r]) == 0) {
			*out = (node_role) r;
			return 0;
		}
	}
	return -1;
}

static fed_status
add(node_auth *a, const char *name, node_role role, const char *hash,
    const char *prefix)
{
	if (a->n == MAX_TOKENS)
		return FED_RESOURCE_EXHAUSTED;
	node_principal *p = &a->p[a->n++];
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->prefix, sizeof(p->prefix), "%s", prefix);
	p->role = role;
	for (size_t i = 0; i < FED_TOKEN_HASH_LEN; i++)
		p->hash[i] = (char) tolower((unsigned char) hash[i]);
	p->hash[FED_TOKEN_HASH_LEN] = '\0';
	return FED_OK;
}

// One line of the tokens file: `name reader|writer|admin|replica hash`.
static fed_status
token_line(const char *name, const char *role_s, const char *hash,
    const char *binding, void *arg, char *err, size_t err_len)
{
	node_role role;
	int prefixed = binding[0] != '\0';
	if (node_role_parse(role_s, &role) != 0
	    || strlen(name) >= sizeof(((node_principal *) 0)->name)
	    || (prefixed
	        && (role == NODE_ROLE_ADMIN || role == NODE_ROLE_REPLICA
	            || !node_store_valid_id(binding)
	            || binding[strlen(binding) - 1] != '/'))) {
		snprintf(err, err_len,
		    "expected 'name reader|writer|admin|replica sha256hex', a "
		    "reader or writer optionally followed by a series prefix "
		    "ending in '/'");
		return FED_INVALID_ARGUMENT;
	}
	return add(arg, name, role, hash, binding);
}

fed_status
node_auth_new(const char *admin_token, const char *admin_hash,
    const char *tokens_file, node_auth **out, char *err, size_t err_len)
{
	node_auth *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_status st = FED_OK;
	if (admin_token != NULL && admin_token[0] != '\0') {
		char h[FED_TOKEN_HASH_LEN + 1];
		fed_token_hash(admin_token, h);
		st = add(a, "admin", NODE_ROLE_ADMIN, h, "");
	}
	if (st == FED_OK && admin_hash != NULL && admin_hash[0] != '\0') {
		if (!fed_token_is_hash(admin_hash)) {
			snprintf(err, err_len,
			    "admin-token-hash: expected 64 hex digits");
			st = FED_INVALID_ARGUMENT;
		} else {
			st = add(a, "admin", NODE_ROLE_ADMIN, admin_hash, "");
		}
	}
	if (st == FED_OK && tokens_file != NULL && tokens_file[0] != '\0')
		st = fed_token_file_read(
		    tokens_file, token_line, a, err, err_len);
	if (st != FED_OK) {
		free(a);
		return st;
	}
	*out = a;
	return FED_OK;
}

void
node_auth_free(node_auth *a)
{
	free(a);
}

void
node_auth_set_grants(node_auth *a, struct node_grants *gs)
{
	a->grants = gs;
}

void
node_auth_set_member_check(
    node_auth *a, int (*is_member)(const char *token, void *arg), void *arg)
{
	a->is_member = is_member;
	a->member_arg = arg;
}

int
node_principal_covers(const node_principal *p, const char *id)
{
	return p == NULL || p->prefix[0] == '\0'
	    || strncmp(id, p->prefix, strlen(p->prefix)) == 0;
}

size_t
node_auth_count(const node_auth *a)
{
	return a->n;
}

static int
required_role(const char *method)
{
	for (size_t i = 0; i < sizeof(method_roles) / sizeof(method_roles[0]);
	     i++) {
		if (strcmp(method, method_roles[i].method) == 0)
			return method_roles[i].role;
	}
	return NODE_ROLE_ADMIN;
}

// A replica may only push: the handlers check that what it pushes is its
// own (series whose origin is its name).
static int
replica_allowed(const char *method)
{
	return strcmp(method, "/enfed.v1.SeriesStore/Ingest") == 0
	    || strcmp(method, "/enfed.v1.SeriesStore/CreateSeries") == 0;
}

// A token that is no configured principal may be a grant's, or a
// federation member's.
static fed_status
check_grant(const node_auth *a, const char *token, const char *hash,
    const char *method, void **principal)
{
	const node_grant *g
	    = a->grants != NULL ? node_grants_by_hash(a->grants, hash) : NULL;
	int allowed = 0;
	for (size_t i = 0;
	     i < sizeof(grantee_methods) / sizeof(grantee_methods[0]); i++)
		allowed |= strcmp(method, grantee_methods[i]) == 0;
	if (g == NULL) {
		// Perhaps another node of the federation, for public series.
		if (token[0] == '\0' || a->is_member == NULL
		    || !a->is_member(token, a->member_arg))
			return FED_UNAUTHENTICATED;
		if (!allowed)
			return FED_PERMISSION_DENIED;
		*principal = (void *) &member;
		return FED_OK;
	}
	if (!allowed
	    || !node_grant_usable(
	        g, NODE_STORE_SCOPE_QUERY, fed_clock_now_ms()))
		return FED_PERMISSION_DENIED;
	*principal = (void *) &g->principal;
	return FED_OK;
}

fed_status
node_auth_check(
    const char *token, const char *method, void **principal, void *arg)
{
	const node_auth *a = arg;
	int need = required_role(method);
	if (need == 0)
		return FED_OK;
	// Every entry is compared, so the time taken says nothing about
	// which token (or how much of it) matched.
	char h[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(token, h);
	const node_principal *found = NULL;
	for (size_t i = 0; i < a->n; i++) {
		if (fed_token_equal(h, a->p[i].hash) && found == NULL)
			found = &a->p[i];
	}
	if (found == NULL)
		return check_grant(a, token, h, method, principal);
	if (found->role == NODE_ROLE_REPLICA && !replica_allowed(method))
		return FED_PERMISSION_DENIED;
	if (found->role == NODE_ROLE_REPLICA) {
		*principal = (void *) found;
		return FED_OK;
	}
	if ((int) found->role < need)
		return FED_PERMISSION_DENIED;
	*principal = (void *) found;
	return FED_OK;
}
