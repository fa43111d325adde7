// SPDX-License-Identifier: MIT
//
// invest_auth.h: who may call what on fed-invest.
//
// Tokens are known by their SHA-256 hashes only, as on fed-node: the
// administrator's (from the config) and a tokens file of lines
// `name role sha256hex [binding]`, where role is
//   admin         everything;
//   organisation  the projects of one organisation (binding: its name, the
//                 rest of the line, spaces allowed: "Bretagne Energie
//                 Citoyenne"); reads projects;
//   investor      one investor's holdings, link and figures (binding: the
//                 investor id); reads projects.
// The method table below gives the roles each method admits; the handlers
// then check the binding (invest_auth_may_*). Health/Check needs no token.
//
// The table is read at start and again at each reload (SIGHUP,
// invest_auth_reload): the new table is built whole, then swapped in under
// a lock that readers hold only while they copy a principal out, so a call
// never sees a half-built table and a removed token is refused from the
// next call on. A file that cannot be read keeps the old table.

#ifndef INVEST_AUTH_H
#define INVEST_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "fed/status.h"

typedef enum invest_role {
	INVEST_ROLE_INVESTOR = 1,
	INVEST_ROLE_ORGANISATION = 2,
	INVEST_ROLE_ADMIN = 4,
} invest_role;

// One known token.
typedef struct invest_principal {
	char name[64]; // "admin", "bec-app", "alice-phone"
	invest_role role;
	char hash[65]; // hex SHA-256 of the token
	char bound[128]; // investor id or organisation name ("" for admin)
} invest_principal;

typedef struct invest_auth invest_auth;

// Builds the table from the admin token (plain, hashed here; NULL or ""
// for none), its hash instead (NULL or "") and a tokens file (NULL or "":
// none). INVALID_ARGUMENT with "file:line: ..." in err for a malformed
// line, an unknown role, or an investor or organisation line without its
// binding; NOT_FOUND when the file does not exist; RESOURCE_EXHAUSTED past
// 256 tokens. *out is owned by the caller (invest_auth_free).
fed_status invest_auth_new(const char *admin_token, const char *admin_hash,
    const char *tokens_file, invest_auth **out, char *err, size_t err_len);

// Frees the table. NULL does nothing.
void invest_auth_free(invest_auth *a);

// Reads the admin token, its hash and the tokens file given to
// invest_auth_new again into a new table and swaps it in while calls run.
// On an error (as invest_auth_new's, with its message in err) the table in
// force stays. Thread-safe against the readers below.
fed_status invest_auth_reload(invest_auth *a, char *err, size_t err_len);

// Number of tokens known.
size_t invest_auth_count(invest_auth *a);

// True when some investor token is bound to `investor`.
bool invest_auth_knows_investor(invest_auth *a, const char *investor);

// The RPC auth hook (fed_rpc_auth_fn; arg is the invest_auth): OK with
// *principal set to the borrowed invest_principal (a copy private to the
// calling thread, valid until its next call; NULL for Health),
// UNAUTHENTICATED for a missing or unknown token, PERMISSION_DENIED when
// the token's role is not admitted by the method.
fed_status invest_auth_check(const char *token, const char *method,
    const char *peer, void **principal, void *arg);

// The investor a call is about: `asked` when not empty, else the caller's
// own id (investor token). OK with *investor borrowed from asked or p;
// PERMISSION_DENIED when an investor token asks about another investor;
// INVALID_ARGUMENT when asked is empty and the caller is not an investor.
fed_status invest_auth_investor(const invest_principal *p, const char *asked,
    const char **investor, char *err, size_t err_len);

// OK when p may manage projects of `organisation` (admin, or that
// organisation's token); PERMISSION_DENIED otherwise, with a message in err.
fed_status invest_auth_may_manage(const invest_principal *p,
    const char *organisation, char *err, size_t err_len);

// Parses "admin", "organisation" or "investor"; 0 on success, -1 else.
int invest_role_parse(const char *s, invest_role *out);

#endif // INVEST_AUTH_H
