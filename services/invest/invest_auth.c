// SPDX-License-Identifier: MIT
//
// invest_auth.c: the token table, the roles each method admits, and the
// binding checks (invest_auth.h).

#include "invest_auth.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/token.h"

#define MAX_TOKENS 256
#define ANY \
	(INVEST_ROLE_INVESTOR | INVEST_ROLE_ORGANISATION | INVEST_ROLE_ADMIN)

// One reading of the tokens: built whole, then swapped in.
typedef struct table {
	size_t n;
	invest_principal p[MAX_TOKENS];
} table;

// The table is swapped under the write side of `lock`; readers hold the
// read side only while they look it up and copy a principal out, so a
// reload never waits for a call and a call never sees a table being built
// or freed.
struct invest_auth {
	pthread_rwlock_t lock;
	table *t; // under lock
	fed_token_source src; // read again at each reload
};

// The roles each method admits. Methods not listed: admin only.
static const struct {
	const char *method;
	int roles; // 0: no token needed
} method_roles[] = {
    {"/enfed.v1.Health/Check", 0},
    {"/enfed.v1.Invest/CreateProject",
        INVEST_ROLE_ORGANISATION | INVEST_ROLE_ADMIN},
    {"/enfed.v1.Invest/UpdateProject",
        INVEST_ROLE_ORGANISATION | INVEST_ROLE_ADMIN},
    {"/enfed.v1.Invest/GetProject", ANY},
    {"/enfed.v1.Invest/ListProjects", ANY},
    {"/enfed.v1.Invest/PutInvestment",
        INVEST_ROLE_INVESTOR | INVEST_ROLE_ADMIN},
    {"/enfed.v1.Invest/RemoveInvestment",
        INVEST_ROLE_INVESTOR | INVEST_ROLE_ADMIN},
    {"/enfed.v1.Invest/ListInvestments",
        INVEST_ROLE_INVESTOR | INVEST_ROLE_ADMIN},
    {"/enfed.v1.Invest/LinkConsumption",
        INVEST_ROLE_INVESTOR | INVEST_ROLE_ADMIN},
    {"/enfed.v1.Invest/Summary", INVEST_ROLE_INVESTOR | INVEST_ROLE_ADMIN},
    {"/enfed.v1.Invest/Detail", ANY},
    {"/enfed.v1.Invest/Distribution", ANY},
    {"/enfed.v1.Integrity/Check", INVEST_ROLE_ADMIN},
    {"/enfed.v1.Invest/DeleteProject",
        INVEST_ROLE_ORGANISATION | INVEST_ROLE_ADMIN},
};

int
invest_role_parse(const char *s, invest_role *out)
{
	static const struct {
		const char *name;
		invest_role role;
	} names[] = {{"investor", INVEST_ROLE_INVESTOR},
	    {"organisation", INVEST_ROLE_ORGANISATION},
	    {"admin", INVEST_ROLE_ADMIN}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].role;
			return 0;
		}
	}
	return -1;
}

static fed_status
add(table *a, const char *name, invest_role role, const char *hash,
    const char *bound)
{
	if (a->n == MAX_TOKENS)
		return FED_RESOURCE_EXHAUSTED;
	invest_principal *p = &a->p[a->n++];
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->role = role;
	for (size_t i = 0; i < FED_TOKEN_HASH_LEN; i++)
		p->hash[i] = (char) tolower((unsigned char) hash[i]);
	p->hash[FED_TOKEN_HASH_LEN] = '\0';
	snprintf(p->bound, sizeof(p->bound), "%s", bound);
	return FED_OK;
}

static bool
binding_ok(invest_role role, const char *bound)
{
	if (strlen(bound) >= sizeof(((invest_principal *) 0)->bound))
		return false;
	return role == INVEST_ROLE_ADMIN ? bound[0] == '\0' : bound[0] != '\0';
}

// One line of the tokens file: `name role hash [binding]`.
static fed_status
token_line(const char *name, const char *role_s, const char *hash,
    const char *bound, void *arg, char *err, size_t err_len)
{
	invest_role role = INVEST_ROLE_ADMIN;
	if (invest_role_parse(role_s, &role) != 0
	    || strlen(name) >= sizeof(((invest_principal *) 0)->name)
	    || !binding_ok(role, bound)) {
		snprintf(err, err_len,
		    "expected 'name admin sha256hex', 'name investor "
		    "sha256hex investor-id' or 'name organisation sha256hex "
		    "organisation name'");
		return FED_INVALID_ARGUMENT;
	}
	return add(arg, name, role, hash, bound);
}

// Reads the admin token, its hash and the tokens file of a into a new
// table.
static fed_status
load(const invest_auth *a, table **out, char *err, size_t err_len)
{
	table *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_status st
	    = fed_token_source_read(&a->src, token_line, t, err, err_len);
	if (st != FED_OK) {
		free(t);
		return st;
	}
	*out = t;
	return FED_OK;
}

fed_status
invest_auth_new(const char *admin_token, const char *admin_hash,
    const char *tokens_file, invest_auth **out, char *err, size_t err_len)
{
	invest_auth *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_status st = fed_token_source_init(
	    &a->src, admin_token, admin_hash, tokens_file);
	if (st != FED_OK) {
		free(a);
		return st;
	}
	pthread_rwlock_init(&a->lock, NULL);
	st = load(a, &a->t, err, err_len);
	if (st != FED_OK) {
		invest_auth_free(a);
		return st;
	}
	*out = a;
	return FED_OK;
}

fed_status
invest_auth_reload(invest_auth *a, char *err, size_t err_len)
{
	table *t = NULL;
	FED_TRY(load(a, &t, err, err_len));
	pthread_rwlock_wrlock(&a->lock);
	table *old = a->t;
	a->t = t;
	pthread_rwlock_unlock(&a->lock);
	free(old); // no reader holds it: they copy under the read lock
	return FED_OK;
}

void
invest_auth_free(invest_auth *a)
{
	if (a == NULL)
		return;
	pthread_rwlock_destroy(&a->lock);
	free(a->t);
	fed_token_source_fini(&a->src);
	free(a);
}

size_t
invest_auth_count(invest_auth *a)
{
	pthread_rwlock_rdlock(&a->lock);
	size_t n = a->t->n;
	pthread_rwlock_unlock(&a->lock);
	return n;
}

bool
invest_auth_knows_investor(invest_auth *a, const char *investor)
{
	bool known = false;
	pthread_rwlock_rdlock(&a->lock);
	for (size_t i = 0; i < a->t->n && !known; i++) {
		const invest_principal *p = &a->t->p[i];
		known = p->role == INVEST_ROLE_INVESTOR
		    && strcmp(p->bound, investor) == 0;
	}
	pthread_rwlock_unlock(&a->lock);
	return known;
}
static int
admitted_roles(const char *method)
{
	for (size_t i = 0; i < sizeof(method_roles) / sizeof(method_roles[0]);
	     i++) {
		if (strcmp(method, method_roles[i].method) == 0)
			return method_roles[i].roles;
	}
	return INVEST_ROLE_ADMIN;
}

// Where the caller's principal lives during a call: one per thread, as an
// RPC worker serves one call at a time and the principal is read only
// within that call (fed/rpc.h), so it stays valid until the same thread's
// next call, whatever a reload does to the table meanwhile.
static _Thread_local invest_principal call_principal;

// The principal whose hash is h, copied into call_principal. Every entry
// is compared, so the time taken says nothing about which token matched.
static const invest_principal *
lookup(invest_auth *a, const char *h)
{
	int found = 0;
	pthread_rwlock_rdlock(&a->lock);
	for (size_t i = 0; i < a->t->n; i++) {
		if (fed_token_equal(h, a->t->p[i].hash) && !found) {
			call_principal = a->t->p[i];
			found = 1;
		}
	}
	pthread_rwlock_unlock(&a->lock);
	return found ? &call_principal : NULL;
}

fed_status
invest_auth_check(const char *token, const char *method, const char *peer,
    void **principal, void *arg)
{
	(void) peer;
	invest_auth *a = arg;
	int roles = admitted_roles(method);
	if (roles == 0)
		return FED_OK;
	char h[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(token, h);
	const invest_principal *found = lookup(a, h);
	if (found == NULL)
		return FED_UNAUTHENTICATED;
	if (((int) found->role & roles) == 0)
		return FED_PERMISSION_DENIED;
	*principal = (void *) found;
	return FED_OK;
}

fed_status
invest_auth_investor(const invest_principal *p, const char *asked,
    const char **investor, char *err, size_t err_len)
{
	bool is_investor = p != NULL && p->role == INVEST_ROLE_INVESTOR;
	if (asked == NULL || asked[0] == '\0') {
		if (!is_investor) {
			snprintf(err, err_len, "investor: missing");
			return FED_INVALID_ARGUMENT;
		}
		*investor = p->bound;
		return FED_OK;
	}
	if (p == NULL
	    || (p->role != INVEST_ROLE_ADMIN
	        && !(is_investor && strcmp(asked, p->bound) == 0))) {
		snprintf(err, err_len,
		    "investor: this token may not read or change another "
		    "investor's holdings");
		return FED_PERMISSION_DENIED;
	}
	*investor = asked;
	return FED_OK;
}

fed_status
invest_auth_may_manage(const invest_principal *p, const char *organisation,
    char *err, size_t err_len)
{
	if (p != NULL && p->role == INVEST_ROLE_ADMIN)
		return FED_OK;
	if (p != NULL && p->role == INVEST_ROLE_ORGANISATION
	    && organisation != NULL && strcmp(p->bound, organisation) == 0)
		return FED_OK;
	snprintf(err, err_len,
	    "organisation: this token may manage only its own organisation's "
	    "projects");
	return FED_PERMISSION_DENIED;
}
