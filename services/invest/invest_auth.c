// SPDX-License-Identifier: MIT
//
// invest_auth.c: the token table, the roles each method admits, and the
// binding checks (invest_auth.h).

#include "invest_auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/token.h"

#define MAX_TOKENS 256
#define ANY \
	(INVEST_ROLE_INVESTOR | INVEST_ROLE_ORGANISATION | INVEST_ROLE_ADMIN)

struct invest_auth {
	size_t n;
	invest_principal p[MAX_TOKENS];
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
add(invest_auth *a, const char *name, invest_role role, const char *hash,
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

static fed_status
add_admin(invest_auth *a, const char *token, const char *hash, char *err,
    size_t err_len)
{
	if (token != NULL && token[0] != '\0') {
		char h[FED_TOKEN_HASH_LEN + 1];
		fed_token_hash(token, h);
		FED_TRY(add(a, "admin", INVEST_ROLE_ADMIN, h, ""));
	}
	if (hash == NULL || hash[0] == '\0')
		return FED_OK;
	if (!fed_token_is_hash(hash)) {
		snprintf(
		    err, err_len, "admin-token-hash: expected 64 hex digits");
		return FED_INVALID_ARGUMENT;
	}
	return add(a, "admin", INVEST_ROLE_ADMIN, hash, "");
}

fed_status
invest_auth_new(const char *admin_token, const char *admin_hash,
    const char *tokens_file, invest_auth **out, char *err, size_t err_len)
{
	invest_auth *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_status st = add_admin(a, admin_token, admin_hash, err, err_len);
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
invest_auth_free(invest_auth *a)
{
	free(a);
}

size_t
invest_auth_count(const invest_auth *a)
{
	return a->n;
}

bool
invest_auth_knows_investor(const invest_auth *a, const char *investor)
{
	for (size_t i = 0; i < a->n; i++) {
		if (a->p[i].role == INVEST_ROLE_INVESTOR
		    && strcmp(a->p[i].bound, investor) == 0)
			return true;
	}
	return false;
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

fed_status
invest_auth_check(const char *token, const char *method, const char *peer,
    void **principal, void *arg)
{
	(void) peer;
	const invest_auth *a = arg;
	int roles = admitted_roles(method);
	if (roles == 0)
		return FED_OK;
	// Every entry is compared, so the time taken says nothing about
	// which token matched.
	char h[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(token, h);
	const invest_principal *found = NULL;
	for (size_t i = 0; i < a->n; i++) {
		if (fed_token_equal(h, a->p[i].hash) && found == NULL)
			found = &a->p[i];
	}
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
