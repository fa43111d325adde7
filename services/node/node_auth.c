// SPDX-License-Identifier: MIT
//
// node_auth.c: the token table and the per-method roles.

#include "node_auth.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/clock.h"
#include "fed/token.h"
#include "node_grants.h"
#include "node_policy.h"
#include "store.h"

#define MAX_TOKENS 256

// One reading of the tokens: built whole, then swapped in.
typedef struct table {
	size_t n;
	node_principal p[MAX_TOKENS];
} table;

// The table is swapped under the write side of `lock`; the auth hook
// holds the read side only while it looks a token up and copies the
// principal out (see node_auth_check), so a reload never waits for a call
// and a call never sees a table being built or freed.
struct node_auth {
	pthread_rwlock_t lock;
	table *t; // under lock
	fed_token_source src; // read again at each reload
	struct node_grants *grants;
	int (*is_member)(const char *token, const char *peer, void *arg);
	void *member_arg;
};

// The one principal of every federation member calling with its own
// token: what it may read is decided by the series' visibility.
static const node_principal member = {"member", NODE_ROLE_MEMBER, "", ""};

int
node_role_parse(const char *s, node_role *out)
{
	static const char *const names[] = {[NODE_ROLE_READER] = "reader",
	    [NODE_ROLE_WRITER] = "writer",
	    [NODE_ROLE_ADMIN] = "admin",
	    [NODE_ROLE_REPLICA] = "replica",
	    [NODE_ROLE_OWNER] = "owner"};
	for (int r = 0; r < (int) (sizeof(names) / sizeof(names[0])); r++) {
		if (names[r] != NULL && strcmp(s, names[r]) == 0) {
			*out = (node_role) r;
			return 0;
		}
	}
	return -1;
}

static fed_status
add(table *a, const char *name, node_role role, const char *hash,
    const char *prefix)
{
	if (a->n == MAX_TOKENS)
		return FED_RESOURCE_EXHAUSTED;
	node_principal *p = &a->p[a->n++];
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->prefixes, sizeof(p->prefixes), "%s", prefix);
	p->role = role;
	for (size_t i = 0; i < FED_TOKEN_HASH_LEN; i++)
		p->hash[i] = (char) tolower((unsigned char) hash[i]);
	p->hash[FED_TOKEN_HASH_LEN] = '\0';
	return FED_OK;
}

// 1 when list is one or more comma-separated series prefixes, each ending
// in '/', that fit a principal.
static int
valid_prefixes(const char *list)
{
	if (list[0] == '\0'
	    || strlen(list) >= sizeof(((node_principal *) 0)->prefixes))
		return 0;
	char one[NODE_STORE_MAX_ID + 2];
	for (const char *p = list; *p != '\0';) {
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= sizeof(one) || p[n - 1] != '/')
			return 0;
		memcpy(one, p, n);
		one[n] = '\0';
		if (!node_store_valid_id(one))
			return 0;
		p += n;
		if (*p == ',' && *++p == '\0')
			return 0; // a trailing comma
	}
	return 1;
}

// One line of the tokens file:
// `name reader|writer|owner|admin|replica hash [prefix/,prefix/...]`
// (a replica's prefixes: what its node may replicate here).
static fed_status
token_line(const char *name, const char *role_s, const char *hash,
    const char *binding, void *arg, char *err, size_t err_len)
{
	node_role role;
	int prefixed = binding[0] != '\0';
	int ok = node_role_parse(role_s, &role) == 0
	    && strlen(name) < sizeof(((node_principal *) 0)->name);
	if (ok && prefixed)
		ok = role != NODE_ROLE_ADMIN && valid_prefixes(binding);
	if (ok && role == NODE_ROLE_OWNER)
		ok = prefixed; // an owner owns some series, not all
	if (!ok) {
		snprintf(err, err_len,
		    "expected 'name reader|writer|owner|admin|replica "
		    "sha256hex', a reader, writer, owner or replica followed "
		    "by its series prefixes ending in '/' (comma-separated; "
		    "required for an owner)");
		return FED_INVALID_ARGUMENT;
	}
	return add(arg, name, role, hash, binding);
}

// Reads the admin token, its hash and the tokens file of a into a new
// table.
static fed_status
load(const node_auth *a, table **out, char *err, size_t err_len)
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
node_auth_new(const char *admin_token, const char *admin_hash,
    const char *tokens_file, node_auth **out, char *err, size_t err_len)
{
	node_auth *a = calloc(1, sizeof(*a));
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
		node_auth_free(a);
		return st;
	}
	*out = a;
	return FED_OK;
}

fed_status
node_auth_reload(node_auth *a, char *err, size_t err_len)
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
node_auth_free(node_auth *a)
{
	if (a == NULL)
		return;
	pthread_rwlock_destroy(&a->lock);
	free(a->t);
	fed_token_source_fini(&a->src);
	free(a);
}

void
node_auth_set_grants(node_auth *a, struct node_grants *gs)
{
	a->grants = gs;
}

void
node_auth_set_member_check(node_auth *a,
    int (*is_member)(const char *token, const char *peer, void *arg),
    void *arg)
{
	a->is_member = is_member;
	a->member_arg = arg;
}

int
node_principal_covers(const node_principal *p, const char *id)
{
	if (p == NULL || p->prefixes[0] == '\0')
		return 1;
	for (const char *q = p->prefixes; *q != '\0';) {
		size_t n = strcspn(q, ",");
		if (strncmp(id, q, n) == 0)
			return 1;
		q += n + (q[n] == ',');
	}
	return 0;
}

int
node_auth_local_covers(node_auth *a, const char *id)
{
	int in = 0;
	pthread_rwlock_rdlock(&a->lock);
	const table *t = a->t;
	for (size_t i = 0; i < t->n && !in; i++) {
		const node_principal *p = &t->p[i];
		in = (p->role == NODE_ROLE_WRITER
		         || p->role == NODE_ROLE_OWNER)
		    && p->prefixes[0] != '\0' && node_principal_covers(p, id);
	}
	pthread_rwlock_unlock(&a->lock);
	return in;
}

size_t
node_auth_count(node_auth *a)
{
	pthread_rwlock_rdlock(&a->lock);
	size_t n = a->t->n;
	pthread_rwlock_unlock(&a->lock);
	return n;
}

// A token that is no configured principal may be a grant's, or a
// federation member's (so that a member calling a method it may not is
// told PERMISSION_DENIED, as any valid token).
static const node_principal *
other_principal(
    const node_auth *a, const char *token, const char *peer, const char *hash)
{
	const node_grant *g
	    = a->grants != NULL ? node_grants_by_hash(a->grants, hash) : NULL;
	if (g != NULL)
		return &g->principal;
	if (token[0] == '\0' || a->is_member == NULL
	    || !a->is_member(token, peer, a->member_arg))
		return NULL;
	return &member;
}

// The configured principal whose hash is h, copied into *copy: the copy
// outlives a reload that frees the table. Every entry is compared, so the
// time taken says nothing about which token (or how much of it) matched.
static const node_principal *
configured(node_auth *a, const char *h, node_principal *copy)
{
	int found = 0;
	pthread_rwlock_rdlock(&a->lock);
	const table *t = a->t;
	for (size_t i = 0; i < t->n; i++) {
		if (fed_token_equal(h, t->p[i].hash) && !found) {
			*copy = t->p[i];
			found = 1;
		}
	}
	pthread_rwlock_unlock(&a->lock);
	return found ? copy : NULL;
}

// Where a configured principal lives during a call: one per thread, as an
// RPC worker serves one call at a time and the principal is read only
// within that call (fed/rpc.h), so it stays valid until the same thread's
// next call, whatever a reload does to the table meanwhile.
static _Thread_local node_principal call_principal;

fed_status
node_auth_check(const char *token, const char *method, const char *peer,
    void **principal, void *arg)
{
	node_auth *a = arg;
	unsigned roles = node_policy_roles(method);
	if (roles & NODE_ROLE_BIT(NODE_ROLE_NONE))
		return FED_OK;
	char h[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(token, h);
	const node_principal *found = configured(a, h, &call_principal);
	if (found == NULL)
		found = other_principal(a, token, peer, h);
	if (found == NULL)
		return FED_UNAUTHENTICATED;
	// A revoked or expired grant is refused by the policy, which logs
	// the attempt for the owner.
	if ((roles & NODE_ROLE_BIT(found->role)) == 0)
		return FED_PERMISSION_DENIED;
	*principal = (void *) found;
	return FED_OK;
}
