// SPDX-License-Identifier: MIT
//
// test_web_auth.c: password hashes (PBKDF2-HMAC-SHA-256), the users file
// (good and malformed lines, node credentials, households), sessions
// (login, lookup, expiry, logout, a full table) and the CSRF check.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fed_test.h"
#include "web_auth.h"

static char *dir;
static char hash[WEB_HASH_LEN];

static int
setup(void **state)
{
	(void) state;
	dir = fed_test_tmpdir("webauth");
	return web_auth_hash_password(
	           "pw", WEB_KDF_MIN_ITER, hash, sizeof(hash))
	        == FED_OK
	    ? 0
	    : -1;
}

static int
teardown(void **state)
{
	(void) state;
	fed_test_rmtree(dir);
	free(dir);
	return 0;
}

static void
write_users(const char *text, char *path, size_t len)
{
	snprintf(path, len, "%s/users", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_hash(void **state)
{
	(void) state;
	char h2[WEB_HASH_LEN];
	assert_int_equal(strncmp(hash, "pbkdf2-sha256$10000$", 20), 0);
	assert_true(web_auth_verify_password("pw", hash));
	assert_false(web_auth_verify_password("pw ", hash));
	assert_false(web_auth_verify_password("", hash));
	// A new salt each time: two hashes of one password differ.
	assert_int_equal(
	    web_auth_hash_password("pw", WEB_KDF_MIN_ITER, h2, sizeof(h2)),
	    FED_OK);
	assert_string_not_equal(hash, h2);
	assert_int_equal(web_auth_hash_password("pw", 999, h2, sizeof(h2)),
	    FED_INVALID_ARGUMENT);
	// Malformed or weak hashes verify nothing.
	const char *bad[] = {"", "pbkdf2-sha256$", "sha1$10000$aa$bb",
	    "pbkdf2-sha256$100$00112233445566778899aabbccddeeff$"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    "pbkdf2-sha256$10000$zz112233445566778899aabbccddeeff$"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    "pbkdf2-sha256$10000$00112233$00"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(web_auth_verify_password("pw", bad[i]));
	// Upper-case hex is the same hash.
	char up[WEB_HASH_LEN];
	snprintf(up, sizeof(up), "%s", hash);
	for (char *p = up + 20; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char) (*p - 'a' + 'A');
	assert_true(web_auth_verify_password("pw", up));
}

// Copies line into out with every 'H' replaced by the hash.
static void
with_hash(const char *line, char *out, size_t len)
{
	size_t o = 0;
	for (const char *p = line; *p && o + WEB_HASH_LEN + 1 < len; p++) {
		if (*p == 'H') {
			strcpy(out + o, hash);
			o += strlen(hash);
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

static void
test_users_file(void **state)
{
	(void) state;
	char path[600], text[2048], err[512];
	web_auth *a = NULL;
	struct {
		const char *line;
		const char *why;
	} bad[] = {
	    {"x owner H\n", "role must be"},
	    {"x viewer pbkdf2-sha256$10$aa$bb\n", "the hash must be"},
	    {"x investor H\n", "needs its investor id"},
	    {"x viewer H extra\n", "too many words"},
	    {"x viewer H\nx admin H\n", "appears twice"},
	    {"x investor H inv @no-such-file\n", "cannot read the token"},
	    {"x investor H inv\n", "goes with its fed-invest token"},
	    {"x investor H inv node:bmhs=t\n", "goes with its fed-invest"},
	    {"x viewer H inv tok\n", "too many words"},
	    {"x teacher H inv tok\n", "too many words"},
	    {"x household H\n", "needs an owner:NODE=TOKEN"},
	    {"x household H inv tok node:bmhs=t\n", "needs an owner:"},
	    {"x investor H inv tok owner:bmhs=t\n", "belong to household"},
	    {"x admin H owner:bmhs=t\n", "belong to household"},
	    {"x viewer H node:bmhs\n", "a credential is node:NODE=TOKEN"},
	    {"x viewer H node:=t\n", "a credential is node:NODE=TOKEN"},
	    {"x viewer H node:b/d=t\n", "a credential is node:NODE=TOKEN"},
	    {"x viewer H node:bmhs=\n", "a token is 1 to 255 bytes"},
	    {"x viewer H node:bmhs=@no-such-file\n", "cannot read the token"},
	    {"x viewer H node:a=1 node:a=2 node:a=3 node:a=4 node:a=5 "
	     "node:a=6 node:a=7 node:a=8 node:a=9\n",
	        "at most 8 node credentials"},
	    {"x viewer H node:bmhs=t extra\n", "too many words"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		with_hash(bad[i].line, text, sizeof(text));
		write_users(text, path, sizeof(path));
		err[0] = '\0';
		assert_int_equal(
		    web_auth_new(path, dir, 60000, 4, &a, err, sizeof(err)),
		    FED_INVALID_ARGUMENT);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("%s: '%s'", bad[i].line, err);
	}
	assert_int_equal(web_auth_new("/no/such/users", NULL, 60000, 4, &a,
	                     err, sizeof(err)),
	    FED_NOT_FOUND);
	// A good file: a token given inline and one from a file in dir.
	snprintf(path, sizeof(path), "%s/tok", dir);
	FILE *f = fopen(path, "w");
	fputs("fed_secret_of_bob\n", f);
	fclose(f);
	snprintf(text, sizeof(text),
	    "# users\n\nalice investor %s alice tokA\nbob investor %s bob "
	    "@tok\n"
	    "teacher viewer %s\nroot admin %s\n",
	    hash, hash, hash, hash);
	write_users(text, path, sizeof(path));
	assert_int_equal(
	    web_auth_new(path, dir, 60000, 4, &a, err, sizeof(err)), FED_OK);
	assert_int_equal(web_auth_n_users(a), 4);
	char sid[FED_TOKEN_LEN + 1];
	web_session s;
	assert_int_equal(
	    web_auth_login(a, "bob", "pw", 1000, sid, &s), FED_OK);
	assert_string_equal(s.invest_token, "fed_secret_of_bob");
	assert_string_equal(s.investor, "bob");
	assert_int_equal(s.role, WEB_ROLE_INVESTOR);
	assert_int_equal(s.n_creds, 0);
	web_auth_free(a);
	web_auth_free(NULL);
}

// Node credentials: each user's own, inline or @FILE, kept in the session;
// a household may invest or not; every node named must be one of --nodes.
static void
test_credentials(void **state)
{
	(void) state;
	char path[600], text[4096], err[512];
	snprintf(path, sizeof(path), "%s/owner.token", dir);
	FILE *f = fopen(path, "w");
	fputs("fed_owner_of_the_house\n", f);
	fclose(f);
	snprintf(text, sizeof(text),
	    "legall household %s legall tokL owner:bmhs=@owner.token "
	    "node:lognact=readL\nmartin household %s owner:bmhs=ownM\n"
	    "teacher viewer %s node:lognact=readT\n"
	    "root admin %s node:lognact=r1 node:bmhs=r2\n",
	    hash, hash, hash, hash);
	write_users(text, path, sizeof(path));
	web_auth *a = NULL;
	assert_int_equal(
	    web_auth_new(path, dir, 60000, 4, &a, err, sizeof(err)), FED_OK);
	char sid[FED_TOKEN_LEN + 1];
	web_session s;
	assert_int_equal(
	    web_auth_login(a, "legall", "pw", 0, sid, &s), FED_OK);
	assert_int_equal(s.role, WEB_ROLE_HOUSEHOLD);
	assert_string_equal(s.investor, "legall");
	assert_int_equal(s.n_creds, 2);
	assert_string_equal(s.creds[0].node, "bmhs");
	assert_string_equal(s.creds[0].token, "fed_owner_of_the_house");
	assert_true(s.creds[0].owner);
	assert_string_equal(s.creds[1].node, "lognact");
	assert_string_equal(s.creds[1].token, "readL");
	assert_false(s.creds[1].owner);
	web_session t;
	assert_int_equal(web_auth_session(a, sid, 1, &t), FED_OK);
	assert_int_equal(t.n_creds, 2);
	assert_string_equal(t.creds[0].token, "fed_owner_of_the_house");
	assert_int_equal(
	    web_auth_login(a, "martin", "pw", 0, sid, &s), FED_OK);
	assert_string_equal(s.investor, "");
	assert_int_equal(s.n_creds, 1);
	const char *both[] = {"lognact", "bmhs"}, *one[] = {"lognact"};
	assert_int_equal(
	    web_auth_check_nodes(a, both, 2, err, sizeof(err)), FED_OK);
	assert_int_equal(web_auth_check_nodes(a, one, 1, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "user legall: owner:bmhs: not one of"));
	web_auth_free(a);
}

static web_auth *
auth_of_one(size_t max_sessions)
{
	char path[600], text[512], err[256];
	snprintf(text, sizeof(text), "root admin %s\nteacher viewer %s\n",
	    hash, hash);
	write_users(text, path, sizeof(path));
	web_auth *a = NULL;
	assert_int_equal(web_auth_new(path, NULL, 60000, max_sessions, &a, err,
	                     sizeof(err)),
	    FED_OK);
	return a;
}

static void
test_sessions(void **state)
{
	(void) state;
	web_auth *a = auth_of_one(2);
	char sid[FED_TOKEN_LEN + 1], sid2[FED_TOKEN_LEN + 1];
	web_session s, t;
	assert_int_equal(web_auth_login(a, "root", "nope", 0, sid, &s),
	    FED_UNAUTHENTICATED);
	assert_int_equal(
	    web_auth_login(a, "ghost", "pw", 0, sid, &s), FED_UNAUTHENTICATED);
	assert_int_equal(
	    web_auth_login(a, NULL, NULL, 0, sid, &s), FED_UNAUTHENTICATED);
	assert_int_equal(web_auth_login(a, "root", "pw", 0, sid, &s), FED_OK);
	assert_int_equal(strlen(sid), FED_TOKEN_LEN);
	assert_int_equal(s.role, WEB_ROLE_ADMIN);
	assert_int_equal(web_auth_session(a, sid, 30000, &t), FED_OK);
	assert_string_equal(t.user, "root");
	assert_true(web_auth_csrf_ok(&t, s.csrf));
	assert_false(web_auth_csrf_ok(&t, "fed_wrong"));
	assert_false(web_auth_csrf_ok(&t, NULL));
	// It ends 60 s after the login, used or not (the cookie's Max-Age);
	// an expired session is forgotten.
	assert_int_equal(web_auth_session(a, sid, 59999, &t), FED_OK);
	assert_int_equal(
	    web_auth_session(a, sid, 60000, &t), FED_UNAUTHENTICATED);
	assert_int_equal(web_auth_session(a, sid, 0, &t), FED_UNAUTHENTICATED);
	assert_int_equal(
	    web_auth_session(a, "short", 0, &t), FED_UNAUTHENTICATED);
	assert_int_equal(
	    web_auth_session(a, NULL, 0, &t), FED_UNAUTHENTICATED);
	// Logout ends it.
	assert_int_equal(
	    web_auth_login(a, "teacher", "pw", 0, sid, &s), FED_OK);
	web_auth_logout(a, sid);
	assert_int_equal(web_auth_session(a, sid, 1, &t), FED_UNAUTHENTICATED);
	// A full table drops the session that expires first.
	char s1[FED_TOKEN_LEN + 1], s2[FED_TOKEN_LEN + 1];
	assert_int_equal(web_auth_login(a, "root", "pw", 100, s1, &s), FED_OK);
	assert_int_equal(web_auth_login(a, "root", "pw", 200, s2, &s), FED_OK);
	assert_int_equal(
	    web_auth_login(a, "root", "pw", 300, sid2, &s), FED_OK);
	assert_int_equal(
	    web_auth_session(a, s1, 400, &t), FED_UNAUTHENTICATED);
	assert_int_equal(web_auth_session(a, s2, 400, &t), FED_OK);
	assert_int_equal(web_auth_session(a, sid2, 400, &t), FED_OK);
	web_auth_free(a);
}

static void
test_lockout(void **state)
{
	(void) state;
	web_auth *a = auth_of_one(4);
	char sid[FED_TOKEN_LEN + 1];
	web_session s;
	for (int i = 0; i < WEB_LOGIN_TRIES; i++)
		assert_int_equal(
		    web_auth_login(a, "root", "bad", 1000, sid, &s),
		    FED_UNAUTHENTICATED);
	// Locked: even the right password is refused, for root only.
	assert_int_equal(web_auth_login(a, "root", "pw", 2000, sid, &s),
	    FED_RESOURCE_EXHAUSTED);
	assert_int_equal(
	    web_auth_login(a, "teacher", "pw", 2000, sid, &s), FED_OK);
	assert_int_equal(
	    web_auth_login(a, "root", "pw", 1000 + WEB_LOGIN_LOCK_MS, sid, &s),
	    FED_OK);
	// A good login resets the count.
	for (int i = 0; i < WEB_LOGIN_TRIES - 1; i++)
		assert_int_equal(
		    web_auth_login(a, "teacher", "bad", 3000, sid, &s),
		    FED_UNAUTHENTICATED);
	assert_int_equal(
	    web_auth_login(a, "teacher", "pw", 3000, sid, &s), FED_OK);
	assert_int_equal(web_auth_login(a, "teacher", "bad", 3000, sid, &s),
	    FED_UNAUTHENTICATED);
	assert_int_equal(
	    web_auth_login(a, "teacher", "pw", 3000, sid, &s), FED_OK);
	web_auth_free(a);
}

// The sessions file: what a second web_auth (a restart) reads back, what
// it drops (expired, past --max-sessions), what it refuses.
static void
test_persist(void **state)
{
	(void) state;
	char path[600], err[256], sid[FED_TOKEN_LEN + 1],
	    old[FED_TOKEN_LEN + 1];
	snprintf(path, sizeof(path), "%s/sessions", dir);
	remove(path);
	web_auth *a = auth_of_one(4);
	size_t n = 99;
	assert_int_equal(
	    web_auth_persist(a, path, 0, &n, err, sizeof(err)), FED_OK);
	assert_int_equal(n, 0); // no file yet
	web_session s, t;
	assert_int_equal(web_auth_login(a, "root", "pw", 0, old, &s), FED_OK);
	assert_int_equal(
	    web_auth_login(a, "teacher", "pw", 50000, sid, &s), FED_OK);
	char csrf[sizeof(s.csrf)];
	memcpy(csrf, s.csrf, sizeof(csrf));
	web_auth_free(a);

	// At 70 s, root's session (0 + 60 s) has expired; teacher's has not,
	// and its CSRF token is the same.
	a = auth_of_one(4);
	assert_int_equal(
	    web_auth_persist(a, path, 70000, &n, err, sizeof(err)), FED_OK);
	assert_int_equal(n, 1);
	assert_int_equal(
	    web_auth_session(a, old, 70000, &t), FED_UNAUTHENTICATED);
	assert_int_equal(web_auth_session(a, sid, 70000, &t), FED_OK);
	assert_string_equal(t.user, "teacher");
	assert_true(web_auth_csrf_ok(&t, csrf));
	web_auth_logout(a, sid);
	web_auth_free(a);
	a = auth_of_one(4);
	assert_int_equal(
	    web_auth_persist(a, path, 70000, &n, err, sizeof(err)), FED_OK);
	assert_int_equal(n, 0);
	web_auth_free(a);

	// A malformed line is refused with its place.
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "# ok\nnot-a-hash root 100\n");
	fclose(f);
	a = auth_of_one(4);
	assert_int_equal(web_auth_persist(a, path, 0, &n, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "sessions:2:"));
	web_auth_free(a);
	remove(path);
}

// A reload swaps the users; the sessions of those who stay go on.
static void
test_reload(void **state)
{
	(void) state;
	char path[600], text[512], err[256];
	char s_root[FED_TOKEN_LEN + 1], s_teacher[FED_TOKEN_LEN + 1];
	web_auth *a = auth_of_one(4);
	web_session s;
	assert_int_equal(
	    web_auth_login(a, "root", "pw", 0, s_root, &s), FED_OK);
	assert_int_equal(
	    web_auth_login(a, "teacher", "pw", 0, s_teacher, &s), FED_OK);
	snprintf(
	    text, sizeof(text), "root admin %s\nann viewer %s\n", hash, hash);
	write_users(text, path, sizeof(path));
	assert_int_equal(
	    web_auth_reload(a, NULL, 0, err, sizeof(err)), FED_OK);
	assert_int_equal(web_auth_n_users(a), 2);
	assert_int_equal(web_auth_session(a, s_root, 1, &s), FED_OK);
	assert_int_equal(
	    web_auth_session(a, s_teacher, 1, &s), FED_UNAUTHENTICATED);
	assert_int_equal(
	    web_auth_login(a, "ann", "pw", 1, s_teacher, &s), FED_OK);
	// A credential for a node that is not one of --nodes is refused.
	snprintf(text, sizeof(text), "root admin %s node:nowhere=tok\n", hash);
	write_users(text, path, sizeof(path));
	assert_int_equal(web_auth_reload(a, NULL, 0, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "nowhere"));
	assert_int_equal(web_auth_n_users(a), 2);
	web_auth_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hash),
	    cmocka_unit_test(test_users_file),
	    cmocka_unit_test(test_credentials),
	    cmocka_unit_test(test_sessions),
	    cmocka_unit_test(test_lockout),
	    cmocka_unit_test(test_persist),
	    cmocka_unit_test(test_reload),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
