// SPDX-License-Identifier: MIT
//
// web_auth.h: fed-web's users and sessions.
//
// Users come from a users file, one line each (blank lines and '#'
// comments skipped):
//
//   name role pbkdf2-sha256$ITER$SALT_HEX$HASH_HEX [investor token] [cred...]
//
// where each cred is `node:NODE=TOKEN` (a token that reads node NODE for
// this user) or `owner:NODE=TOKEN` (the household's `owner` token on its
// own node: reads its series and manages their grants), TOKEN being the
// token itself or @FILE holding it. NODE is a name of fed-web's --nodes; a
// user may hold several credentials for one node (at most WEB_MAX_CREDS in
// all) and sees of a node only what those tokens show: every node call
// made for the user's session carries one of them (web_access.h), so the
// node itself decides what the user reads. A user without a credential
// for a node sees nothing of it.
//
// role is
// - `viewer`: load curves, live power and alarms only (a pupil, a
//   classroom);
// - `teacher`: a viewer that may also save comparisons of load curves
//   (web_presets.h) and delete those it saved;
// - `investor`: the investor pages, for the fed-invest investor id and
//   token that follow the hash (both required);
// - `household`: the consent page ("Mes partages") of the series its
//   owner tokens cover (one `owner:` credential at least); the investor
//   id and token are optional, and give a household that invests the
//   investor pages too;
// - `admin`: the project pages (with fed-web's own fed-invest token).
// `owner:` credentials belong to household lines only. Every token stays
// server-side: the browser never sees one. The password hash is
// PBKDF2-HMAC-SHA-256 (mbedtls) with a random 16-byte salt and at least
// WEB_KDF_MIN_ITER iterations; lines are made with `fed-web
// --hash-password` (see docs/web.md).
//
// The users file is read at start and again at each reload (SIGHUP,
// web_auth_reload): a file that cannot be read keeps the users in force;
// a user removed from it can no longer log in, and its sessions end.
//
// Sessions: a random id (fed/token.h) that the browser holds in an
// HttpOnly SameSite=Strict cookie, known here only by its SHA-256, with an
// expiry, and a CSRF token derived from the id (its hash under another
// label) that every form must send back. They live in memory and, with
// web_auth_persist, in a sessions file (the hashes, users and expiries
// only) that a restart reads back: nobody is logged out by a restart, and
// the file gives no way in. All functions are thread-safe.

#ifndef WEB_AUTH_H
#define WEB_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"
#include "fed/token.h"

#define WEB_KDF_ITER      300000 // iterations of new hashes
#define WEB_KDF_MIN_ITER  10000 // fewer is refused in a users file
#define WEB_HASH_LEN      192 // enough for any "pbkdf2-sha256$..." string
#define WEB_LOGIN_TRIES   5 // failed logins in a row that lock a user...
#define WEB_LOGIN_LOCK_MS 60000 // ...for this long
#define WEB_MAX_CREDS     8 // node credentials of one user
#define WEB_NODE_NAME_MAX 63 // bytes of a node name
#define WEB_SECRET_MAX    255 // bytes of a token

typedef enum web_role {
	WEB_ROLE_VIEWER,
	WEB_ROLE_INVESTOR,
	WEB_ROLE_HOUSEHOLD,
	WEB_ROLE_ADMIN,
	WEB_ROLE_TEACHER,
} web_role;

// One node credential of a user: the token presented to node `node` for
// that user's session.
typedef struct web_cred {
	char node[WEB_NODE_NAME_MAX + 1]; // a name of --nodes
	char token[WEB_SECRET_MAX + 1];
	int owner; // 1 for an `owner:` credential (a household's own node)
} web_cred;

// What a request knows of its session: a copy, owned by the caller.
typedef struct web_session {
	char user[65];
	web_role role;
	char investor[101]; // "" unless an investor (or a household that
	                    // invests)
	char invest_token[256]; // the investor's fed-invest token, or ""
	web_cred creds[WEB_MAX_CREDS]; // the user's node credentials
	size_t n_creds;
	char csrf[FED_TOKEN_HASH_LEN + 1];
	int64_t expires_ms;
} web_session;

typedef struct web_auth web_auth;

// Reads the users file (NULL: no user, nobody can log in), with relative
// @FILE token paths taken from folder token_dir (NULL: the working
// directory), and makes an
// empty session table of at most max_sessions, each living ttl_ms from
// its login (as long as the cookie's Max-Age). INVALID_ARGUMENT (with
// "file:line: ..." in err) for a malformed line, an unknown role, a weak or
// malformed hash, a duplicate name, an investor line without its investor and
// token, a malformed or unreadable credential, more than WEB_MAX_CREDS, an
// `owner:` credential on a line that is not a household's or a household
// without one; NOT_FOUND when the file does not exist; RESOURCE_EXHAUSTED
// when out of memory.
fed_status web_auth_new(const char *users_file, const char *token_dir,
    int64_t ttl_ms, size_t max_sessions, web_auth **out, char *err,
    size_t err_len);

// Frees everything. NULL does nothing.
void web_auth_free(web_auth *a);

// How many users were read.
size_t web_auth_n_users(web_auth *a);

// Reads the users file given to web_auth_new again, checks its credentials
// against the n_names node names (as web_auth_check_nodes) and swaps the
// users in while requests run; the failed-login counters of the users
// that stay are kept. On an error (as web_auth_new's or
// web_auth_check_nodes', with its message in err) the users in force stay.
fed_status web_auth_reload(web_auth *a, const char *const *names,
    size_t n_names, char *err, size_t err_len);

// Keeps the sessions in the file at path (borrowed): reads those it holds
// that have not expired at now_ms (no file: none; *n_loaded, which may be
// NULL, gets their number), then rewrites it (mode 0600) at each login,
// logout and end of a session. A session whose user is no longer in the
// users file ends at its next use. INVALID_ARGUMENT ("file:line: ..." in
// err) for a malformed line, UNAVAILABLE when the file cannot be read.
// Call once, before serving. A failure to write later is logged; the
// sessions go on in memory.
fed_status web_auth_persist(web_auth *a, const char *path, int64_t now_ms,
    size_t *n_loaded, char *err, size_t err_len);

// Checks that every credential names one of the n node names (borrowed):
// INVALID_ARGUMENT ("user U: node:N: not one of --nodes" in err)
// otherwise, so that a misspelt node does not silently hide a user's data.
fed_status web_auth_check_nodes(web_auth *a, const char *const *names,
    size_t n, char *err, size_t err_len);

// Checks user and password (a slow KDF: blocks for its time) and opens a
// session: writes its id (FED_TOKEN_LEN + 1 bytes) to sid and a copy to
// *out. UNAUTHENTICATED for an unknown user or a wrong password (the same
// time is spent either way); RESOURCE_EXHAUSTED, without checking the
// password, while the user is locked: WEB_LOGIN_TRIES failures in a row
// lock it for WEB_LOGIN_LOCK_MS; UNAVAILABLE if the random source fails. When
// the table is full the session that expires first is dropped.
fed_status web_auth_login(web_auth *a, const char *user, const char *password,
    int64_t now_ms, char *sid, web_session *out);

// Finds the session of id sid (from the cookie) and copies it to *out.
// UNAUTHENTICATED when unknown or expired.
fed_status web_auth_session(
    web_auth *a, const char *sid, int64_t now_ms, web_session *out);

// Ends the session of id sid, if any (and removes it from the sessions
// file).
void web_auth_logout(web_auth *a, const char *sid);

// Writes a users-file hash of password ("pbkdf2-sha256$300000$...") with a
// new random salt and `iterations` (>= WEB_KDF_MIN_ITER) into out (at
// least WEB_HASH_LEN bytes). INVALID_ARGUMENT for too few iterations or a
// small buffer, UNAVAILABLE if the random source or mbedtls fails.
fed_status web_auth_hash_password(
    const char *password, unsigned iterations, char *out, size_t len);

// 1 when password matches the hash string (constant time in the
// comparison), 0 otherwise, a malformed hash included.
int web_auth_verify_password(const char *password, const char *hash);

// 1 when the form's csrf value is the session's token (constant time).
int web_auth_csrf_ok(const web_session *s, const char *value);

#endif // WEB_AUTH_H
