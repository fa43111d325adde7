// SPDX-License-Identifier: MIT
//
// test_dir_store.c: the directory's database on its own: create and
// update guarded by the token hash, heartbeat and expiry, lookups by name,
// organisation, series id and prefix, everything kept across a close and
// reopen, and a database of a newer schema or not a database refused.
// Databases of schemas 1 and 2 migrated, their rows sealed with their
// checksums; a byte changed behind the store's back in a node, an offer
// and a site: each call about that row is DATA_LOSS naming its table and
// key, lists leave it out, the check lists it.

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
	                     dir_arena_allocator(f->arena), nodes, &n, NULL),
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
	assert_int_equal(
	    dir_store_create(f->s, &a.node, HASH_A, &l, NULL), FED_OK);
	assert_int_equal(
	    dir_store_create(f->s, &b.node, HASH_B, &l, NULL), FED_OK);
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
	assert_int_equal(dir_store_create(f->s, &a.node, HASH_B, &l, NULL),
	    FED_ALREADY_EXISTS);
	assert_int_equal(dir_store_update(f->s, &a.node, HASH_B, &l, NULL),
	    FED_PERMISSION_DENIED);
	Enfed__V1__NodeRecord **nodes;
	assert_int_equal(find(f, "lognact", "", "", &nodes), 1);
	assert_string_equal(
	    nodes[0]->organisation, "Bretagne Energie Citoyenne");
	// Its own token, another organisation: kermelo/ stays with the first.
	assert_int_equal(
	    dir_store_update(f->s, &a.node, HASH_A, &l, NULL), FED_ABORTED);
	const char *renamed[] = {"renamed/new/energy"};
	rec_init(&a, "lognact", "Renamed", renamed, 1);
	assert_int_equal(
	    dir_store_update(f->s, &a.node, HASH_A, &l, NULL), FED_OK);
	assert_int_equal(find(f, "lognact", "", "", &nodes), 1);
	assert_string_equal(nodes[0]->organisation, "Renamed");
	assert_int_equal(nodes[0]->registered_ms, 1000);
	assert_int_equal(nodes[0]->lease_expires_ms, 6000);
	assert_int_equal(nodes[0]->n_offers, 1);
	assert_int_equal(find(f, "", "", "kermelo/pv/energy", &nodes), 0);
	rec_init(&a, "ghost", "x", ids, 0);
	assert_int_equal(
	    dir_store_update(f->s, &a.node, HASH_A, &l, NULL), FED_NOT_FOUND);
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
	assert_int_equal(dir_store_heartbeat(f->s, "maison", HASH_B, 30000,
	                     &until, &revived, NULL),
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
	assert_int_equal(dir_store_heartbeat(f->s, "lognact", HASH_B, 70000,
	                     &until, &revived, NULL),
	    FED_PERMISSION_DENIED);
	assert_int_equal(dir_store_heartbeat(f->s, "nobody", HASH_B, 70000,
	                     &until, &revived, NULL),
	    FED_NOT_FOUND);
	assert_int_equal(dir_store_heartbeat(f->s, "lognact", HASH_A, 70000,
	                     &until, &revived, NULL),
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

// --- Old schemas --------------------------------------------------------

// The schema fed-directory wrote at version 1 (nodes and offers), and what
// version 2 added (sites), with no checksum.
static const char v1_sql[]
    = "CREATE TABLE nodes (name TEXT PRIMARY KEY,"
      " organisation TEXT NOT NULL, rpc_addr TEXT NOT NULL,"
      " stream_addr TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,"
      " registered_ms INTEGER NOT NULL, lease_ms INTEGER NOT NULL,"
      " lease_expires_ms INTEGER NOT NULL, available INTEGER NOT NULL)"
      " WITHOUT ROWID;"
      "CREATE INDEX nodes_org ON nodes(organisation);"
      "CREATE INDEX nodes_lease ON nodes(available, lease_expires_ms);"
      "CREATE TABLE offers (series_id TEXT NOT NULL,"
      " node TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,"
      " meta BLOB NOT NULL, PRIMARY KEY (series_id, node)) WITHOUT ROWID;"
      "CREATE INDEX offers_node ON offers(node, series_id);"
      "INSERT INTO nodes VALUES ('lognact', 'Bretagne Energie Citoyenne',"
      " 'ipc:///tmp/x.rpc', 'ipc:///tmp/x.pub', '" HASH_A "', 1000, 60000,"
      " 61000, 1);"
      "INSERT INTO nodes VALUES ('maison', 'Household app',"
      " 'ipc:///tmp/y.rpc', 'ipc:///tmp/y.pub', '" HASH_B "', 1500, 60000,"
      " 61500, 1);"
      "PRAGMA user_version = 1;";
static const char v2_sql[]
    = "CREATE TABLE sites (site TEXT PRIMARY KEY,"
      " organisation TEXT NOT NULL) WITHOUT ROWID;"
      "INSERT INTO sites VALUES ('kermelo/', 'Bretagne Energie Citoyenne');"
      "INSERT INTO sites VALUES ('house4/', 'Household app');"
      "PRAGMA user_version = 2;";

static void
insert_offer(sqlite3 *db, const char *node, const char *id)
{
	struct rec r;
	const char *ids[] = {id};
	rec_init(&r, node, "x", ids, 1);
	uint8_t buf[512];
	size_t len = enfed__v1__series_meta__pack(&r.metas[0], buf);
	sqlite3_stmt *st = NULL;
	assert_int_equal(
	    sqlite3_prepare_v2(
	        db, "INSERT INTO offers VALUES (?1, ?2, ?3)", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, node, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, buf, (int) len, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

// Replaces the fixture's database by one of schema `version` (1 or 2)
// holding the nodes and offers of add_two.
static void
old_database(struct fix *f, int version)
{
	dir_store_close(f->s);
	f->s = NULL;
	const char *suffix[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		char p[600];
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		remove(p);
	}
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, v1_sql, NULL, NULL, NULL), SQLITE_OK);
	insert_offer(db, "lognact", "kermelo/pv/energy");
	insert_offer(db, "lognact", "kermelo/school/energy");
	insert_offer(db, "maison", "house4/linky/energy");
	if (version == 2)
		assert_int_equal(
		    sqlite3_exec(db, v2_sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int
user_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

// A check of the whole store: its report.
static fed_scrub_report
check(struct fix *f)
{
	fed_scrub_report r;
	memset(&r, 0, sizeof(r));
	assert_int_equal(dir_store_check(f->s, NULL, &r), FED_OK);
	assert_string_equal(r.quick_check, "ok");
	return r;
}

// A version 1 database (no sites) opened by this version: each site
// offered goes to the organisation of its node, and is then defended;
// every row is sealed with its checksum.
static void
test_schema_1_gets_sites(void **state)
{
	struct fix *f = *state;
	old_database(f, 1);
	assert_int_equal(dir_store_open(f->path, true, &f->s), FED_OK);
	assert_int_equal(user_version(f->path), DIR_STORE_SCHEMA);
	char org[64] = "";
	assert_int_equal(
	    dir_store_site_org(f->s, "kermelo/new", org, sizeof(org), NULL),
	    FED_OK);
	assert_string_equal(org, "Bretagne Energie Citoyenne");
	assert_int_equal(dir_store_site_org(f->s, "house4/linky/energy", org,
	                     sizeof(org), NULL),
	    FED_OK);
	assert_string_equal(org, "Household app");
	assert_int_equal(
	    dir_store_site_org(f->s, "nowhere/x", org, sizeof(org), NULL),
	    FED_NOT_FOUND);
	const char *ids[] = {"kermelo/pv/energy"};
	struct rec c;
	rec_init(&c, "thief", "Someone Else", ids, 1);
	dir_lease l = {2000, 60000};
	assert_int_equal(dir_store_create(f->s, &c.node, HASH_A "0", &l, NULL),
	    FED_ABORTED);
	Enfed__V1__NodeRecord **nodes;
	assert_int_equal(find(f, "thief", "", "", &nodes), 0);
	fed_scrub_report r = check(f);
	assert_int_equal(r.n_rows, 2 + 3 + 2);
	assert_int_equal(r.n_bad, 0);
}

// A version 2 database: every row already stored gets its checksum at
// open, in the migration's transaction; a second open changes nothing.
static void
test_schema_2_sealed(void **state)
{
	struct fix *f = *state;
	old_database(f, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dir_store_open(f->path, true, &f->s), FED_OK);
		assert_int_equal(user_version(f->path), DIR_STORE_SCHEMA);
		fed_scrub_report r = check(f);
		assert_int_equal(r.n_rows, 7);
		assert_int_equal(r.n_bad, 0);
		Enfed__V1__NodeRecord **nodes;
		assert_int_equal(find(f, "lognact", "", "", &nodes), 1);
		assert_int_equal(nodes[0]->n_offers, 2);
		assert_string_equal(
		    nodes[0]->offers[1]->box[0]->value, "primary school");
		assert_true(dir_store_token_known(f->s, HASH_B));
		if (i == 0) {
			dir_store_close(f->s);
			f->s = NULL;
		}
	}
	// And the rows stay writable: a heartbeat re-seals its row.
	int64_t until = 0;
	bool revived = false;
	assert_int_equal(dir_store_heartbeat(f->s, "maison", HASH_B, 5000,
	                     &until, &revived, NULL),
	    FED_OK);
	assert_int_equal(check(f).n_bad, 0);
}

// --- Damaged rows -------------------------------------------------------

// Runs sql on the store's file through a connection of its own (the
// store's, in WAL mode, sees it at its next statement): what a flipped bit
// does, without the checksum following.
static void
damage(struct fix *f, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

// One bit of a node's organisation flipped ('e' 0x65 to 'a' 0x61): every
// call about that node is DATA_LOSS naming it, the rest answers.
static void
test_damaged_node(void **state)
{
	struct fix *f = *state;
	add_two(f);
	damage(f,
	    "UPDATE nodes SET organisation = 'Bretagne Energia Citoyenne'"
	    " WHERE name = 'lognact'");
	dir_filter flt = {"lognact", "", "", false};
	Enfed__V1__NodeRecord **nodes = NULL;
	size_t n = 0;
	dir_store_err err = {""};
	assert_int_equal(dir_store_find(f->s, &flt,
	                     dir_arena_allocator(f->arena), &nodes, &n, &err),
	    FED_DATA_LOSS);
	assert_string_equal(
	    err.msg, "nodes name=lognact: the stored row fails its checksum");
	assert_int_equal(n, 0);
	// A list leaves it out.
	assert_int_equal(find(f, "", "", "", &nodes), 1);
	assert_string_equal(nodes[0]->name, "maison");
	assert_int_equal(find(f, "", "", "kermelo/", &nodes), 0);
	assert_int_equal(
	    find(f, "", "Bretagne Energia Citoyenne", "", &nodes), 0);
	// Its owner learns that it is damaged (its token still authenticates,
	// so that its calls say so); another token is denied, as ever.
	int64_t until = 0;
	bool revived = false;
	err.msg[0] = '\0';
	assert_int_equal(dir_store_heartbeat(f->s, "lognact", HASH_A, 5000,
	                     &until, &revived, &err),
	    FED_DATA_LOSS);
	assert_non_null(strstr(err.msg, "nodes name=lognact"));
	assert_int_equal(dir_store_heartbeat(f->s, "lognact", HASH_B, 5000,
	                     &until, &revived, NULL),
	    FED_PERMISSION_DENIED);
	struct rec a;
	const char *ids[] = {"kermelo/pv/energy"};
	rec_init(&a, "lognact", "Bretagne Energie Citoyenne", ids, 1);
	dir_lease l = {5000, 60000};
	assert_int_equal(
	    dir_store_update(f->s, &a.node, HASH_A, &l, NULL), FED_DATA_LOSS);
	assert_true(dir_store_token_known(f->s, HASH_A));
	assert_true(dir_store_token_known(f->s, HASH_B));
	// Expiry passes it by, and is not fooled into sealing it again.
	char **names;
	assert_int_equal(dir_store_expire(f->s, 100000, &names, &n), FED_OK);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "maison");
	dir_store_names_free(names, n);
	fed_scrub_report r = check(f);
	assert_int_equal(r.n_rows, 7);
	assert_int_equal(r.n_bad, 1);
	assert_int_equal(r.n_listed, 1);
	assert_string_equal(r.bad[0].table, "nodes");
	assert_string_equal(r.bad[0].key, "name=lognact");
	assert_string_equal(r.bad[0].why, "fails its checksum");
	// The other node still heartbeats, and its row stays sound.
	assert_int_equal(dir_store_heartbeat(f->s, "maison", HASH_B, 5000,
	                     &until, &revived, NULL),
	    FED_OK);
	assert_true(revived);
	assert_int_equal(check(f).n_bad, 1);
}

// A byte of an offer's encoded SeriesMeta changed, and a bit of a site's
// key flipped into a byte that is not UTF-8.
static void
test_damaged_offer_and_site(void **state)
{
	struct fix *f = *state;
	add_two(f);
	damage(f,
	    "UPDATE offers SET meta = CAST(substr(meta, 1, length(meta) / 2)"
	    " || CASE WHEN substr(meta, length(meta) / 2 + 1, 1) = x'5a'"
	    " THEN x'a5' ELSE x'5a' END"
	    " || substr(meta, length(meta) / 2 + 2) AS BLOB)"
	    " WHERE series_id = 'kermelo/school/energy'");
	damage(f,
	    "UPDATE sites SET organisation = 'Household apq'"
	    " WHERE site = 'house4/'");
	dir_filter flt = {"lognact", "", "", false};
	Enfed__V1__NodeRecord **nodes = NULL;
	size_t n = 0;
	dir_store_err err = {""};
	assert_int_equal(dir_store_find(f->s, &flt,
	                     dir_arena_allocator(f->arena), &nodes, &n, &err),
	    FED_DATA_LOSS);
	assert_string_equal(err.msg,
	    "offers series_id=kermelo/school/energy node=lognact: the "
	    "stored row fails its checksum");
	// Lookups over many nodes answer without it.
	assert_int_equal(find(f, "", "", "kermelo/", &nodes), 1);
	assert_int_equal(nodes[0]->n_offers, 1);
	assert_string_equal(nodes[0]->offers[0]->id, "kermelo/pv/energy");
	assert_int_equal(nodes[0]->offer_count, 2);
	assert_int_equal(find(f, "maison", "", "", &nodes), 1);
	// The site: its owner is not known any more.
	char org[64];
	err.msg[0] = '\0';
	assert_int_equal(dir_store_site_org(f->s, "house4/linky/energy", org,
	                     sizeof(org), &err),
	    FED_DATA_LOSS);
	assert_string_equal(
	    err.msg, "sites site=house4/: the stored row fails its checksum");
	const char *ids[] = {"house4/other"};
	struct rec c;
	rec_init(&c, "other", "Household app", ids, 1);
	dir_lease l = {2000, 60000};
	assert_int_equal(dir_store_create(f->s, &c.node, HASH_A "1", &l, NULL),
	    FED_DATA_LOSS);
	assert_int_equal(find(f, "other", "", "", &nodes), 0);
	// A key damaged into bytes that are not text is shown escaped.
	damage(f,
	    "UPDATE sites SET site = 'kermelo' || CAST(x'af' AS TEXT)"
	    " WHERE site = 'kermelo/'");
	fed_scrub_report r = check(f);
	assert_int_equal(r.n_rows, 7);
	assert_int_equal(r.n_bad, 3);
	assert_string_equal(r.bad[0].table, "offers");
	assert_string_equal(
	    r.bad[0].key, "series_id=kermelo/school/energy node=lognact");
	assert_string_equal(r.bad[1].table, "sites");
	assert_string_equal(r.bad[1].key, "site=house4/");
	assert_string_equal(r.bad[2].key, "site=kermelo\\xaf");
}

// The page of the sites table overwritten on disk: sqlite's quick_check
// says so, the walk of sites counts it and ends, the other tables are
// checked and still answer.
static void
test_damaged_page(void **state)
{
	struct fix *f = *state;
	add_two(f);
	dir_store_close(f->s); // the WAL is checkpointed into the file
	f->s = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "SELECT rootpage, (SELECT page_size FROM"
	                     " pragma_page_size) FROM sqlite_master"
	                     " WHERE name = 'sites'",
	                     -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long page = sqlite3_column_int(st, 0),
	     size = sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	FILE *fp = fopen(f->path, "r+b");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, (page - 1) * size, SEEK_SET), 0);
	for (int i = 0; i < 64; i++)
		fputc(0xff, fp);
	fclose(fp);
	assert_int_equal(dir_store_open(f->path, true, &f->s), FED_OK);
	fed_scrub_report r;
	memset(&r, 0, sizeof(r));
	assert_int_equal(dir_store_check(f->s, NULL, &r), FED_OK);
	assert_string_not_equal(r.quick_check, "ok");
	assert_int_equal(r.n_rows, 2 + 3);
	assert_int_equal(r.n_bad, 2);
	assert_int_equal(r.n_listed, 1);
	assert_string_equal(r.bad[0].table, "sites");
	assert_string_equal(r.bad[0].key, "(first row)");
	Enfed__V1__NodeRecord **nodes;
	assert_int_equal(find(f, "", "", "", &nodes), 2);
}

// The check stops at its next batch when asked to.
static void
test_check_stops(void **state)
{
	struct fix *f = *state;
	add_two(f);
	atomic_int stop;
	atomic_init(&stop, 1);
	fed_scrub_report r;
	memset(&r, 0, sizeof(r));
	assert_int_equal(dir_store_check(f->s, &stop, &r), FED_CANCELLED);
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
	    cmocka_unit_test_setup_teardown(
	        test_schema_2_sealed, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_damaged_node, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_damaged_offer_and_site, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_damaged_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_stops, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
