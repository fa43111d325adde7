// SPDX-License-Identifier: MIT
//
// test_web_reload.c: a real fed-web (alone: no node or fed-invest needed
// for logins) keeps its sessions across a restart, in a file that holds
// no session id; its CSRF tokens keep working; SIGHUP rereads the users
// file (a removed user's session ends, a broken file keeps the users);
// a failed login is logged with the user and the client's address, in
// the line that contrib/fail2ban's filter matches.

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fed/token.h"
#include "fed_test.h"
#include "web_auth.h"
#include "web_fixture.h"

struct fx {
	struct web_fx w; // only dir, port and url are used
	char users[512], log[512], sessions[512];
	int pid;
};

static void
write_users(const struct fx *x, const char *names)
{
	char hash[WEB_HASH_LEN];
	assert_int_equal(web_auth_hash_password(
	                     WEB_FX_PW, WEB_KDF_MIN_ITER, hash, sizeof(hash)),
	    FED_OK);
	FILE *f = fopen(x->users, "w");
	assert_non_null(f);
	char copy[256];
	snprintf(copy, sizeof(copy), "%s", names);
	for (char *p = strtok(copy, ","); p != NULL; p = strtok(NULL, ","))
		fprintf(f, "%s viewer %s\n", p, hash);
	fclose(f);
}

static int
count_in_file(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	char line[2048];
	int n = 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void
wait_log(const char *log, const char *needle, int n)
{
	for (int i = 0; i < 500 && count_in_file(log, needle) < n; i++)
		fed_test_sleep_ms(10);
	assert_int_equal(count_in_file(log, needle), n);
}

static void
start_web(struct fx *x)
{
	char a[4][700];
	snprintf(a[0], sizeof(a[0]), "--listen=%s", x->w.url);
	snprintf(a[1], sizeof(a[1]), "--users-file=%s", x->users);
	snprintf(a[2], sizeof(a[2]), "--data-dir=%s", x->w.dir);
	snprintf(a[3], sizeof(a[3]), "--invest=tcp://127.0.0.1:%d",
	    fed_test_free_port());
	char *argv[] = {FED_WEB_BIN, a[0], a[1], a[2], a[3], "--trusted-proxy",
	    "--log-level=debug", NULL};
	x->pid = fed_test_proc_start(argv, x->log);
	assert_true(x->pid > 0);
	struct http_res r = {0};
	int up = 0;
	for (int i = 0; i < 500 && !up; i++) {
		up = web_http(&x->w, "GET", "/healthz", NULL, NULL, &r) == 0;
		http_res_free(&r);
		if (!up)
			fed_test_sleep_ms(20);
	}
	assert_true(up);
}

static void
stop_web(struct fx *x)
{
	assert_int_equal(fed_test_proc_stop(x->pid, SIGTERM, 10000), 0);
	x->pid = -1;
}

// 1 when cookie opens a session: "/" sends a viewer to its curves, and
// anyone else to the login page.
static int
logged_in(struct fx *x, const char *cookie)
{
	struct http_res r;
	char loc[256] = "";
	assert_int_equal(web_http(&x->w, "GET", "/", cookie, NULL, &r), 0);
	http_header(&r, "Location", loc, sizeof(loc));
	http_res_free(&r);
	return strstr(loc, "/curves") != NULL;
}

static int
setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	x->w.dir = fed_test_tmpdir("web-reload");
	x->w.port = fed_test_free_port();
	snprintf(x->w.url, sizeof(x->w.url), "http://127.0.0.1:%d", x->w.port);
	snprintf(x->users, sizeof(x->users), "%s/users", x->w.dir);
	snprintf(x->log, sizeof(x->log), "%s/web.log", x->w.dir);
	snprintf(
	    x->sessions, sizeof(x->sessions), "%s/web-sessions", x->w.dir);
	x->pid = -1;
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *x = *state;
	if (x->pid > 0)
		fed_test_proc_stop(x->pid, SIGKILL, 5000);
	fed_test_rmtree(x->w.dir);
	free(x->w.dir);
	free(x);
	return 0;
}

// The whole contents of a file (heap), "" when absent.
static char *
slurp(const char *path)
{
	char *buf = calloc(1, 65536);
	FILE *f = fopen(path, "r");
	if (f != NULL) {
		size_t n = fread(buf, 1, 65535, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

static void
test_sessions_survive_a_restart(void **state)
{
	struct fx *x = *state;
	write_users(x, "bob");
	start_web(x);
	char cookie[256];
	assert_int_equal(
	    web_fx_login(&x->w, "bob", cookie, sizeof(cookie)), 0);
	assert_true(logged_in(x, cookie));
	// The file holds the id's hash, never the id.
	const char *sid = strchr(cookie, '=') + 1;
	char h[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(sid, h);
	char *file = slurp(x->sessions);
	assert_null(strstr(file, sid));
	assert_non_null(strstr(file, h));
	free(file);

	stop_web(x);
	start_web(x);
	assert_true(logged_in(x, cookie));
	assert_false(logged_in(x, "fed_session=fed_made-up"));
	// The CSRF token still works: logging out needs it.
	struct http_res r;
	char csrf[128], body[256];
	assert_int_equal(
	    web_http(&x->w, "GET", "/curves", cookie, NULL, &r), 0);
	assert_non_null(
	    attr_after(r.body, "name=\"csrf\"", "value", csrf, sizeof(csrf)));
	http_res_free(&r);
	assert_int_equal(
	    web_http(&x->w, "POST", "/logout", cookie, "csrf=wrong", &r), 0);
	assert_int_equal(r.status, 400);
	http_res_free(&r);
	assert_true(logged_in(x, cookie));
	snprintf(body, sizeof(body), "csrf=%s", csrf);
	assert_int_equal(
	    web_http(&x->w, "POST", "/logout", cookie, body, &r), 0);
	assert_int_equal(r.status, 303);
	http_res_free(&r);
	assert_false(logged_in(x, cookie));
	file = slurp(x->sessions);
	assert_null(strstr(file, h)); // logout removed it
	free(file);
	stop_web(x);
	// And a logged-out session stays out after a restart.
	start_web(x);
	assert_false(logged_in(x, cookie));
	stop_web(x);
}

static void
test_users_reload(void **state)
{
	struct fx *x = *state;
	write_users(x, "bob,ann");
	start_web(x);
	char bob[256], ann[256], eve[256];
	assert_int_equal(web_fx_login(&x->w, "bob", bob, sizeof(bob)), 0);
	assert_int_equal(web_fx_login(&x->w, "ann", ann, sizeof(ann)), 0);
	assert_int_equal(web_fx_login(&x->w, "eve", eve, sizeof(eve)), -1);

	write_users(x, "ann,eve"); // bob out, eve in
	assert_int_equal(kill(x->pid, SIGHUP), 0);
	wait_log(x->log, "users reloaded: 2 from", 1);
	assert_false(logged_in(x, bob));
	assert_true(logged_in(x, ann));
	assert_int_equal(web_fx_login(&x->w, "eve", eve, sizeof(eve)), 0);
	assert_int_equal(web_fx_login(&x->w, "bob", bob, sizeof(bob)), -1);

	// A broken file keeps ann and eve.
	FILE *f = fopen(x->users, "w");
	assert_non_null(f);
	fprintf(f, "ann nobody pbkdf2-sha256$1$00$00\n");
	fclose(f);
	assert_int_equal(kill(x->pid, SIGHUP), 0);
	wait_log(x->log, "users not reloaded", 1);
	assert_true(logged_in(x, ann));
	assert_true(logged_in(x, eve));
	stop_web(x);
}

static void
test_failed_login_logged(void **state)
{
	struct fx *x = *state;
	write_users(x, "bob");
	start_web(x);
	struct http_res r;
	// web_http sends no headers of its own choosing but the cookie: the
	// proxy's X-Forwarded-For rides on that line.
	const char *proxy
	    = "a=b\r\nX-Forwarded-For: 198.51.100.9, 203.0.113.7";
	assert_int_equal(web_http(&x->w, "POST", "/login", proxy,
	                     "user=bob&password=wrong", &r),
	    0);
	assert_int_equal(r.status, 401);
	http_res_free(&r);
	// A hostile name cannot forge the address at the end of the line.
	assert_int_equal(web_http(&x->w, "POST", "/login", proxy,
	                     "user=x%22+from+192.0.2.1&password=wrong", &r),
	    0);
	http_res_free(&r);
	stop_web(x);
	assert_int_equal(count_in_file(x->log,
	                     "warning web: login failed for user \"bob\" from "
	                     "203.0.113.7"),
	    1);
	assert_int_equal(
	    count_in_file(x->log,
	        "login failed for user \"x??from?192.0.2.1\" from "
	        "203.0.113.7"),
	    1);
	// contrib/fail2ban's filter finds the client's address in the log.
	char *argv[] = {"/usr/bin/env", "python3", FED_FAIL2BAN_CHECK,
	    FED_FAIL2BAN_FILTER, x->log, "203.0.113.7", "2", NULL};
	char *out = NULL, *err = NULL;
	int rc = fed_test_run(argv, NULL, &out, &err);
	if (rc != 0)
		fprintf(stderr, "%s%s", out ? out : "", err ? err : "");
	assert_int_equal(rc, 0);
	free(out);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_sessions_survive_a_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_users_reload, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_failed_login_logged, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
