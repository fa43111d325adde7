// SPDX-License-Identifier: MIT
//
// test_dir_store.c: the directory's database on its own: create and
// update guarded by the token hash, heartbeat and expiry, lookups by name,
// organisation, series id and prefix, everything kept across a close and
// reopen, and a database of a newer schema or not a database refused.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "dir_arena.h"
#include "dir_store.h"
#include "fed_test.h"

#define HASH_A \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B \
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

struct fix {
	char *dir;
	char path[512];
	dir_store *s;
	dir_arena *arena;
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	f->dir = fed_test_tmpdir("dirstore");
	assert_non_null(f->dir);
	snprintf(f->path, sizeof(f->path), "%s/directory.db", f->dir);
	assert_int_equal(dir_store_open(f->path, true, &f->s), FED_OK);
	assert_int_equal(dir_arena_new(&f->arena), FED_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	dir_store_close(f->s);
	dir_arena_free(f->arena);
	fed_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

// A record with offers ids[0..n), each with one box fact.
struct rec {
	Enfed__V1__NodeRecord node;
	Enfed__V1__SeriesMeta metas[4];
	Enfed__V1__SeriesMeta *offers[4];
	Enfed__V1__Fact facts[4];
	Enfed__V1__Fact *boxes[4][1];
};

static void
rec_init(struct rec *r, const char *name, const char *org, const char **ids,
    size_t n)
{
	memset(r, 0, sizeof(*r));
	enfed__v1__node_record__init(&r->node);
	r->node.name = (char *) name;
	r->node.organisation = (char *) org;
	r->node.rpc_addr = "ipc:///tmp/x.rpc";
	r->node.stream_addr = "ipc:///tmp/x.pub";
	for (size_t i = 0; i < n; i++) {
		enfed__v1__series_meta__init(&r->metas[i]);
		enfed__v1__fact__init(&r->facts[i]);
		r->facts[i].key = "building";
		r->facts[i].value = "primary school";
		r->boxes[i][0] = &r->facts[i];
		r->metas[i].id = (char *) ids[i];
		r->metas[i].kind
		    = ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION;
		r->metas[i].unit = ENFED__V1__UNIT__UNIT_WH;
		r->metas[i].visibility
		    = ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC;
		r->metas[i].n_box = 1;
		r->metas[i].box = r->boxes[i];
		r->offers[i] = &r->metas[i];
	}
	r->node.n_offers = n;
	r->node.offers = r->offers;
}

static size_t
find(struct fix *f, const char *name, const char *org, const char *series,
    Enfed__V1__NodeRecord ***nodes)
{
	dir_filter flt = {name, org, series, false};
	size_t n = 0;
	assert_int_equal(dir_store_find(f->s, &flt,
	                     dir_arena_allocator(f->arena), nodes, &n),
	    FED_OK);
	return n;
}

static void
add_two(struct fix *f)
{
	const char *a_ids[] = {"kermelo/pv/energy", "kermelo/school/energy"};
	const char *b_ids[] = {"house4/linky/energy"};
	struct rec a, b;
	rec_init(&a, "lognact", "Bretagne Energie Citoyenne", a_ids, 2);
	rec_init(&b, "maison", "Household app", b_ids, 1);
	dir_lease l = {1000, 60000};
	assert_int_equal(dir_store_create(f->s, &a.node, HASH_A, &l), FED_OK);
	assert_int_equal(dir_store_create(f->s, &b.node, HASH_B, &l), FED_OK);
}

static void
test_create_and_find(void **state)
{
	struct fix *f = *state;
	add_two(f);
	Enfed__V1__NodeRecord **nodes;
	assert_int_equal(find(f, "", "", "", &nodes), 2);
	assert_string_equal(nodes[0]->name, "lognact");
	assert_string_equal(nodes[1]->name, "maison");
	assert_int_equal(nodes[0]->registered_ms, 1000);
	assert_int_equal(nodes[0]->lease_expires_ms, 61000);
	assert_true(nodes[0]->available);
	assert_int_equal(nodes[0]->n_offers, 2);
	assert_string_equal(nodes[0]->offers[0]->id, "kermelo/pv/energy");
	assert_int_equal(nodes[0]->offers[0]->unit, ENFED__V1__UNIT__UNIT_WH);
	assert_int_equal(nodes[0]->offers[0]->n_box, 1);
	assert_string_equal(
	    nodes[0]->offers[0]->box[0]->value, "primary school");
	assert_int_equal(find(f, "maison", "", "", &nodes), 1);
	assert_string_equal(nodes[0]->organisation, "Household app");
	assert_int_equal(find(f, "nobody", "", "", &nodes), 0);
	assert_null(nodes);
	assert_int_equal(
	    find(f, "", "Bretagne Energie Citoyenne", "", &nodes), 1);
	assert_string_equal(nodes[0]->name, "lognact");
}

static void
test_series_filter(void **state)
{
	struct fix *f = *state;
	add_two(f);
	Enfed__V1__NodeRecord **nodes;
	assert_int_equal(find(f, "", "", "kermelo/pv/energy", &nodes), 1);
	assert_int_equal(nodes[0]->n_offers, 1);
	assert_int_equal(find(f, "", "", "kermelo/", &nodes), 1);
	assert_int_equal(nodes[0]->n_offers, 2);
	// Not a prefix unless it ends in '/'.
	assert_int_equal(find(f, "", "", "kermelo/pv", &nodes), 0);
	assert_int_equal(find(f, "", "", "kermelo0/", &nodes), 0);
	assert_int_equal(find(f, "", "", "house4/", &nodes), 1);
	assert_string_equal(nodes[0]->name, "maison");
	assert_int_equal(find(f, "maison", "", "kermelo/", &nodes), 0);
}

static void
test_duplicate_and_owner(void **state)
{
	struct fix *f = *state;
	add_two(f);
	struct rec a;
	const char *ids[] = {"kermelo/new/energy"};
	rec_init(&a, "lognact", "Renamed", ids, 1);
	dir_lease l = {5000, 1000};
	assert_int_equal(
	    dir_store_create(f->s, &a.node, HASH_B, &l), FED_ALREADY_EXISTS);
	assert_int_equal(dir_store_update(f->s, &a.node, HASH_B, &l),
	    FED_PERMISSION_DENIED);
	Enfed__V1__NodeRecord **nodes;
	assert_int_equal(find(f, "lognact", "", "", &nodes), 1);
	assert_string_equal(
	    nodes[0]->organisation, "Bretagne Energie Citoyenne");
	// Its own token, another organisation: kermelo/ stays with the first.
	assert_int_equal(
	    dir_store_update(f->s, &a.node, HASH_A, &l), FED_ABORTED);
	const char *renamed[] = {"renamed/new/energy"};
	rec_init(&a, "lognact", "Renamed", renamed, 1);
	assert_int_equal(dir_store_update(f->s, &a.node, HASH_A, &l), FED_OK);
	assert_int_equal(find(f, "lognact", "", "", &nodes), 1);
	assert_string_equal(nodes[0]->organisation, "Renamed");
	assert_int_equal(nodes[0]->registered_ms, 1000);
	assert_int_equal(nodes[0]->lease_expires_ms, 6000);
	assert_int_equal(nodes[0]->n_offers, 1);
	assert_int_equal(find(f, "", "", "kermelo/pv/energy", &nodes), 0);
	rec_init(&a, "ghost", "x", ids, 0);
	assert_int_equal(
	    dir_store_update(f->s, &a.node, HASH_A, &l), FED_NOT_FOUND);
	assert_true(dir_store_token_known(f->s, HASH_A));
	assert_false(dir_store_token_known(f->s, HASH_A "0"));
}

static void
test_heartbeat_and_expiry(void **state)
{
	struct fix *f = *state;
	add_two(f);
	char **names;
	size_t n;
	assert_int_equal(dir_store_expire(f->s, 60999, &names, &n), FED_OK);
	assert_int_equal(n, 0);
	assert_null(names);
	int64_t until = 0;
	bool revived = true;
	assert_int_equal(dir_store_heartbeat(
	                     f->s, "maison", HASH_B, 30000, &until, &revived),
	    FED_OK);
	assert_int_equal(until, 90000);
	assert_false(revived);
	assert_int_equal(dir_store_expire(f->s, 61000, &names, &n), FED_OK);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "lognact");
	dir_store_names_free(names, n);
	// Marked once only.
	assert_int_equal(dir_store_expire(f->s, 62000, &names, &n), FED_OK);
	assert_int_equal(n, 0);
	Enfed__V1__NodeRecord **nodes;
	assert_int_equal(find(f, "lognact", "", "", &nodes), 1);
	assert_false(nodes[0]->available);
	assert_int_equal(nodes[0]->n_offers, 2);
	assert_int_equal(dir_store_heartbeat(
	                     f->s, "lognact", HASH_B, 70000, &until, &revived),
	    FED_PERMISSION_DENIED);
	assert_int_equal(dir_store_heartbeat(
	                     f->s, "nobody", HASH_B, 70000, &until, &revived),
	    FED_NOT_FOUND);
	assert_int_equal(dir_store_heartbeat(
	                     f->s, "lognact", HASH_A, 70000, &until, &revived),
	    FED_OK);
	assert_true(revived);
	assert_int_equal(until, 130000);
	assert_int_equal(find(f, "lognact", "", "", &nodes), 1);
	assert_true(nodes[0]->available);
}

static void
test_reopen_keeps_everything(void **state)
{
	struct fix *f = *state;
	add_two(f);
	char **names;
	size_t n;
	assert_int_equal(dir_store_expire(f->s, 61000, &names, &n), FED_OK);
	assert_int_equal(n, 2);
	dir_store_names_free(names, n);
	dir_store_close(f->s);
	f->s = NULL;
	assert_int_equal(dir_store_open(f->path, false, &f->s), FED_OK);
	Enfed__V1__NodeRecord **nodes;
	assert_int_equal(find(f, "", "", "", &nodes), 2);
	assert_false(nodes[0]->available);
	assert_int_equal(nodes[0]->n_offers, 2);
	assert_string_equal(nodes[0]->offers[1]->id, "kermelo/school/energy");
	assert_true(dir_store_token_known(f->s, HASH_B));
}

static void
test_refuses_foreign_files(void **state)
{
	struct fix *f = *state;
	char path[600];
	snprintf(path, sizeof(path), "%s/newer.db", f->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	dir_store *s = NULL;
	assert_int_equal(
	    dir_store_open(path, true, &s), FED_FAILED_PRECONDITION);
	assert_null(s);
	snprintf(path, sizeof(path), "%s/junk.db", f->dir);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	for (int i = 0; i < 4096; i++)
		fputc("not a database"[i % 14], fp);
	fclose(fp);
	assert_int_equal(dir_store_open(path, true, &s), FED_DATA_LOSS);
	snprintf(path, sizeof(path), "%s/missing/dir.db", f->dir);
	assert_int_equal(dir_store_open(path, true, &s), FED_UNAVAILABLE);
}

// A version 1 database (no sites) opened by this version: each site
// offered goes to the organisation of its node, and is then defended.
static void
test_schema_1_gets_sites(void **state)
{
	struct fix *f = *state;
	add_two(f);
	dir_store_close(f->s);
	f->s = NULL;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "DROP TABLE sites; PRAGMA user_version = 1", NULL,
	        NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(dir_store_open(f->path, true, &f->s), FED_OK);
	char org[64] = "";
	assert_int_equal(
	    dir_store_site_org(f->s, "kermelo/new", org, sizeof(org)), FED_OK);
	assert_string_equal(org, "Bretagne Energie Citoyenne");
	assert_int_equal(
	    dir_store_site_org(f->s, "house4/linky/energy", org, sizeof(org)),
	    FED_OK);
	assert_string_equal(org, "Household app");
	assert_int_equal(
	    dir_store_site_org(f->s, "nowhere/x", org, sizeof(org)),
	    FED_NOT_FOUND);
	const char *ids[] = {"kermelo/pv/energy"};
	struct rec c;
	rec_init(&c, "thief", "Someone Else", ids, 1);
	dir_lease l = {2000, 60000};
	assert_int_equal(
	    dir_store_create(f->s, &c.node, HASH_A "0", &l), FED_ABORTED);
	Enfed__V1__NodeRecord **nodes;
	assert_int_equal(find(f, "thief", "", "", &nodes), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_create_and_find, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_series_filter, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_duplicate_and_owner, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_heartbeat_and_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_reopen_keeps_everything, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_refuses_foreign_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_schema_1_gets_sites, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
