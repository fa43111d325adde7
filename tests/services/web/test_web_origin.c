// SPDX-License-Identifier: MIT
//
// test_web_origin.c: the production page's sources for a project whose
// series is a replica. bmhs holds a plant's series and grants it, live, to
// lognact; the project names the replica on lognact. Its production page
// must say where the series was replicated from (bmhs), in French and in
// English, not "—": the replica says so on the project's own node, its
// origin holds it as its own.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/invest.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed_test.h"
#include "web_fixture.h"

#define FEB_1_MS INT64_C(1769900400000) // 2026-02-01T00:00+01:00
// Under alice's prefix on lognact, on a site of bmhs's own (a replica
// may not write under lognact's own sites, such as kermelo/).
#define PLANT "ferme-est/pv/energy"

static struct web_fx fx;
static char alice[128];

static void
rpc(fed_rpc_client *c, const ProtobufCServiceDescriptor *d, const char *m,
    const ProtobufCMessage *req)
{
	ProtobufCMessage *rep = NULL;
	char err[512];
	if (fed_rpc_call(c, d, m, req, &rep, err, sizeof(err)) != FED_OK)
		fail_msg("%s: %s", m, err);
	protobuf_c_message_free_unpacked(rep, NULL);
}

// The plant on bmhs, granted live to lognact; returns once lognact holds
// every point of it.
static void
replicate_plant(void)
{
	fed_rpc_client *b = web_fx_bmhs(&fx), *l = web_fx_lognact(&fx);
	assert_non_null(b);
	assert_non_null(l);
	char err[512];
	if (web_fx_plant(b, PLANT, "Ferme de l'Est", err, sizeof(err)) != 0)
		fail_msg("CreateSeries: %s", err);
	assert_int_equal(
	    web_fx_ingest(&fx, PLANT, FEB_1_MS, WEB_FX_AT, 40), 0);
	Enfed__V1__Scope sc[2]
	    = {ENFED__V1__SCOPE__SCOPE_QUERY, ENFED__V1__SCOPE__SCOPE_LIVE};
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.series = PLANT;
	g.grantee_node = "lognact";
	g.scopes = sc;
	g.n_scopes = 2;
	Enfed__V1__CreateGrantRequest cg
	    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
	cg.grant = &g;
	rpc(b, &enfed__v1__grants__descriptor, "Create", &cg.base);
	uint64_t want = web_fx_count(b, PLANT);
	assert_true(want > 0);
	int i = 0;
	for (; i < 600 && web_fx_count(l, PLANT) != want; i++)
		fed_test_sleep_ms(100);
	if (i == 600)
		fail_msg("lognact holds %llu of %llu points of " PLANT,
		    (unsigned long long) web_fx_count(l, PLANT),
		    (unsigned long long) want);
	fed_rpc_client_free(b);
	fed_rpc_client_free(l);
}

// The project on the replica, and alice's 2 shares of it.
static void
add_project(void)
{
	char err[512];
	if (web_fx_project(&fx, "east-pv", "Centrale de l'Est",
	        "Ferme de l'Est", PLANT, "lognact", "alice", 2, FEB_1_MS, err,
	        sizeof(err))
	    != 0)
		fail_msg("project: %s", err);
}

static int
setup(void **state)
{
	(void) state;
	if (web_fx_start(&fx) != 0)
		return -1;
	return web_fx_login(&fx, "alice", alice, sizeof(alice));
}

static int
teardown(void **state)
{
	(void) state;
	return web_fx_stop(&fx) == 0 ? 0 : -1;
}

// The text of the <dd> after the <dt> label (a copy).
static char *
source(const char *body, const char *label)
{
	char key[128];
	snprintf(key, sizeof(key), "<dt>%s</dt><dd", label);
	const char *p = strstr(body, key);
	if (p == NULL)
		fail_msg("no source '%s' in\n%s", label, body);
	p = strchr(p + strlen(key), '>') + 1;
	const char *e = strstr(p, "</dd>");
	assert_non_null(e);
	return strndup(p, (size_t) (e - p));
}

static void
test_replicated_from(void **state)
{
	(void) state;
	replicate_plant();
	add_project();
	static const char *const pages[][2] = {
	    {"/production?project=east-pv&day=2026-06-14", "Répliquée depuis"},
	    {"/production?project=east-pv&day=2026-06-14&lang=en",
	        "Replicated from"},
	};
	for (size_t i = 0; i < 2; i++) {
		struct http_res r;
		assert_int_equal(
		    web_http(&fx, "GET", pages[i][0], alice, NULL, &r), 0);
		if (r.status != 200)
			fail_msg("%s: %d\n%s", pages[i][0], r.status, r.body);
		char *origin = source(r.body, pages[i][1]);
		char *node = source(r.body, i ? "Node" : "Nœud");
		char *owner = source(r.body, i ? "Owner" : "Propriétaire");
		if (strcmp(origin, "bmhs") != 0 || strcmp(node, "lognact") != 0
		    || strcmp(owner, "Ferme de l&#39;Est") != 0)
			fail_msg("origin '%s', node '%s', owner '%s'", origin,
			    node, owner);
		free(origin);
		free(node);
		free(owner);
		http_res_free(&r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_replicated_from),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
