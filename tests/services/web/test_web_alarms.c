// SPDX-License-Identifier: MIT
//
// test_web_alarms.c: the alarms page (/alarms) from a running fed-web
// (web_fixture.h) whose lognact holds a rule on kermelo/school/energy
// with one past alarm and one active (web_fx_alarms). Each user sees the
// alarms its own node tokens show, and nothing of the others: bob and ops
// read kermelo/ and see both, alice (kermelo/pv/) and the households see
// none. Only ops, whose token is a writer's, gets the acknowledge button
// and may acknowledge; bob's forged acknowledgement is refused by the node
// and leaves the alarm as it was; a form without its token is refused.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fed_test.h"
#include "web_fixture.h"

static struct web_fx fx;
static char alice[128], legall[128], martin[128], bob[128], ops[128],
    root_[128];

static void
get(const char *path, const char *cookie, int status, struct http_res *r)
{
	assert_int_equal(web_http(&fx, "GET", path, cookie, NULL, r), 0);
	if (r->status != status)
		fail_msg("GET %s: %d, expected %d\n%s", path, r->status,
		    status, r->body);
}

static void
post(const char *path, const char *cookie, const char *body, int status,
    struct http_res *r)
{
	assert_int_equal(web_http(&fx, "POST", path, cookie, body, r), 0);
	if (r->status != status)
		fail_msg("POST %s: %d, expected %d\n%s", path, r->status,
		    status, r->body);
}

static int
setup(void **state)
{
	(void) state;
	if (web_fx_start(&fx) != 0)
		return -1;
	if (web_fx_alarms(&fx) != 0
	    || web_fx_login(&fx, "alice", alice, sizeof(alice)) != 0
	    || web_fx_login(&fx, "legall", legall, sizeof(legall)) != 0
	    || web_fx_login(&fx, "martin", martin, sizeof(martin)) != 0
	    || web_fx_login(&fx, "bob", bob, sizeof(bob)) != 0
	    || web_fx_login(&fx, "ops", ops, sizeof(ops)) != 0
	    || web_fx_login(&fx, "root", root_, sizeof(root_)) != 0) {
		web_fx_stop(&fx);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	return web_fx_stop(&fx) == 0 ? 0 : -1;
}

// The id of the first alarm of the table of class cls, or 0.
static unsigned long long
first_alarm(const char *body, const char *cls)
{
	char v[32];
	const char *t = strstr(body, cls);
	if (t == NULL
	    || attr_after(t, "<tr data-alarm", "data-alarm", v, sizeof(v))
	        == NULL)
		return 0;
	return strtoull(v, NULL, 10);
}

static void
test_who_sees_what(void **state)
{
	(void) state;
	struct http_res r;
	const char *seers[] = {bob, ops, root_};
	for (size_t i = 0; i < 3; i++) {
		get("/alarms", seers[i], 200, &r);
		if (first_alarm(r.body, "class=\"alarms active") == 0
		    || first_alarm(r.body, "class=\"alarms past") == 0)
			fail_msg("user %zu:\n%s", i, r.body);
		assert_non_null(strstr(r.body, "kermelo/school/energy"));
		assert_non_null(strstr(r.body, "seuil franchi"));
		http_res_free(&r);
	}
	const char *blind[] = {alice, legall, martin};
	for (size_t i = 0; i < 3; i++) {
		get("/alarms", blind[i], 200, &r);
		if (strstr(r.body, "kermelo/school") != NULL
		    || strstr(r.body, "data-alarm") != NULL)
			fail_msg(
			    "user %zu sees another's alarm:\n%s", i, r.body);
		assert_non_null(strstr(r.body, "Aucune alarme."));
		http_res_free(&r);
	}
	get("/alarms?lang=en", bob, 200, &r);
	assert_non_null(strstr(r.body, "threshold crossed"));
	assert_non_null(strstr(r.body, "<html lang=\"en\""));
	http_res_free(&r);
	get("/alarms", NULL, 303, &r); // to the login page
	http_res_free(&r);
}

// A reader has no button, and the node refuses its acknowledgement.
static void
test_reader_refused(void **state)
{
	(void) state;
	struct http_res r;
	char csrf[128], body[400];
	get("/alarms", bob, 200, &r);
	assert_null(strstr(r.body, "value=\"ack\""));
	unsigned long long id = first_alarm(r.body, "class=\"alarms active");
	assert_true(id > 0);
	assert_non_null(
	    attr_after(r.body, "name=\"csrf\"", "value", csrf, sizeof(csrf)));
	http_res_free(&r);
	snprintf(body, sizeof(body), "csrf=%s&action=ack&node=lognact&id=%llu",
	    csrf, id);
	post("/alarms", bob, body, 403, &r);
	assert_non_null(
	    strstr(r.body, "Vous ne pouvez pas acquitter cette alarme."));
	http_res_free(&r);
	// Still not acknowledged: ops's page offers the button for it.
	get("/alarms", ops, 200, &r);
	char pat[64];
	snprintf(pat, sizeof(pat), "name=\"id\" value=\"%llu\"", id);
	assert_non_null(strstr(r.body, pat));
	http_res_free(&r);
	// Without the form's token, not even ops.
	snprintf(body, sizeof(body), "action=ack&node=lognact&id=%llu", id);
	post("/alarms", ops, body, 403, &r);
	http_res_free(&r);
	// alice may not read it: the node says it does not exist.
	get("/alarms", alice, 200, &r);
	assert_non_null(
	    attr_after(r.body, "name=\"csrf\"", "value", csrf, sizeof(csrf)));
	http_res_free(&r);
	snprintf(body, sizeof(body), "csrf=%s&action=ack&node=lognact&id=%llu",
	    csrf, id);
	post("/alarms", alice, body, 403, &r);
	assert_null(strstr(r.body, "kermelo/school"));
	http_res_free(&r);
	// Malformed requests.
	snprintf(
	    body, sizeof(body), "csrf=%s&action=ack&node=lognact&id=x", csrf);
	post("/alarms", alice, body, 400, &r);
	http_res_free(&r);
	snprintf(
	    body, sizeof(body), "csrf=%s&action=ack&node=nowhere&id=1", csrf);
	post("/alarms", alice, body, 400, &r);
	http_res_free(&r);
	snprintf(
	    body, sizeof(body), "csrf=%s&action=drop&node=lognact&id=1", csrf);
	post("/alarms", alice, body, 400, &r);
	http_res_free(&r);
}

// A writer acknowledges; the page then says who did.
static void
test_writer_acknowledges(void **state)
{
	(void) state;
	struct http_res r;
	char csrf[128], body[400], loc[128];
	get("/alarms", ops, 200, &r);
	unsigned long long id = first_alarm(r.body, "class=\"alarms active");
	assert_true(id > 0);
	assert_non_null(strstr(r.body, "value=\"ack\""));
	assert_non_null(
	    attr_after(r.body, "name=\"csrf\"", "value", csrf, sizeof(csrf)));
	http_res_free(&r);
	snprintf(body, sizeof(body), "csrf=%s&action=ack&node=lognact&id=%llu",
	    csrf, id);
	post("/alarms?lang=en", ops, body, 303, &r);
	assert_non_null(http_header(&r, "Location", loc, sizeof(loc)));
	assert_string_equal(loc, "/alarms?acked=1&lang=en");
	http_res_free(&r);
	get("/alarms?acked=1&lang=en", ops, 200, &r);
	assert_non_null(strstr(r.body, "Alarm acknowledged."));
	char pat[64];
	snprintf(pat, sizeof(pat), "<tr data-alarm=\"%llu\"", id);
	const char *row = strstr(r.body, pat);
	assert_non_null(row);
	const char *end = strstr(row, "</tr>");
	assert_non_null(end);
	const char *by = strstr(row, "web-ops");
	if (by == NULL || by > end)
		fail_msg("not acknowledged by web-ops:\n%s", row);
	http_res_free(&r);
	// bob sees the acknowledgement too.
	get("/alarms", bob, 200, &r);
	row = strstr(r.body, pat);
	assert_non_null(row);
	assert_non_null(strstr(row, "Acquittée"));
	http_res_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_who_sees_what),
	    cmocka_unit_test(test_reader_refused),
	    cmocka_unit_test(test_writer_acknowledges),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
