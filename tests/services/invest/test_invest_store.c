// SPDX-License-Identifier: MIT
//
// test_invest_store.c: fed-invest's sqlite store: projects (idempotent
// create, conflicting create, update, list by organisation), holdings
// (the shares never exceed the total, idempotent put and remove, unknown
// project), consumption links with their grant tokens, durability across a
// reopen, databases of schemas 1 and 2 migrated (links kept, without a
// grant; every row sealed with its checksum), the file kept private to its
// owner, and a database from a newer schema refused. A byte changed behind
// the store's back in a project, a holding and a link: each call about
// that row, or whose answer depends on it, is DATA_LOSS naming its table
// and key; lists leave it out; the check lists all three.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "fed_test.h"
#include "invest_store.h"

struct fx {
	char *dir;
	invest_store *s;
};

static int
setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	x->dir = fed_test_tmpdir("invstore");
	char err[256] = "";
	assert_int_equal(
	    invest_store_open(x->dir, &x->s, err, sizeof(err)), FED_OK);
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *x = *state;
	invest_store_close(x->s);
	fed_test_rmtree(x->dir);
	free(x->dir);
	free(x);
	return 0;
}

static Enfed__V1__Project
project(const char *id, const char *org)
{
	Enfed__V1__Project p = ENFED__V1__PROJECT__INIT;
	p.id = (char *) id;
	p.name = "Kermélo";
	p.organisation = (char *) org;
	p.type = ENFED__V1__INSTALLATION_TYPE__INSTALLATION_PHOTOVOLTAIC;
	p.peak_kw = 18;
	p.cost_cents = 3400000;
	p.share_price_cents = 25000;
	p.total_shares = 136;
	p.series_id = "kermelo/pv/energy";
	return p;
}

static invest_holding
holding(const char *investor, const char *project_id, uint32_t shares)
{
	invest_holding h;
	memset(&h, 0, sizeof(h));
	snprintf(h.investor, sizeof(h.investor), "%s", investor);
	snprintf(h.project_id, sizeof(h.project_id), "%s", project_id);
	h.shares = shares;
	h.acquired_ms = INT64_C(1769900400000);
	return h;
}

static void
test_projects(void **state)
{
	struct fx *x = *state;
	char err[256] = "";
	Enfed__V1__Project p = project("kermelo-pv", "BEC");
	assert_int_equal(
	    invest_store_project_create(x->s, &p, err, sizeof(err)), FED_OK);
	// The same project again (a resent request) is OK; another one
	// under the same id is not.
	assert_int_equal(
	    invest_store_project_create(x->s, &p, err, sizeof(err)), FED_OK);
	p.name = "Other";
	assert_int_equal(
	    invest_store_project_create(x->s, &p, err, sizeof(err)),
	    FED_ALREADY_EXISTS);
	assert_int_equal(
	    invest_store_project_update(x->s, &p, err, sizeof(err)), FED_OK);
	Enfed__V1__Project *got = NULL;
	assert_int_equal(invest_store_project_get(
	                     x->s, "kermelo-pv", &got, err, sizeof(err)),
	    FED_OK);
	assert_string_equal(got->name, "Other");
	assert_int_equal(got->total_shares, 136);
	enfed__v1__project__free_unpacked(got, NULL);
	assert_int_equal(
	    invest_store_project_get(x->s, "nope", &got, err, sizeof(err)),
	    FED_NOT_FOUND);
	assert_string_equal(err, "project 'nope'");
	Enfed__V1__Project q = project("enercoop-wind", "Enercoop");
	assert_int_equal(
	    invest_store_project_update(x->s, &q, err, sizeof(err)),
	    FED_NOT_FOUND);
	assert_int_equal(
	    invest_store_project_create(x->s, &q, err, sizeof(err)), FED_OK);
	Enfed__V1__Project **list = NULL;
	size_t n = 0;
	assert_int_equal(
	    invest_store_project_list(x->s, NULL, &list, &n, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[0]->id, "enercoop-wind");
	invest_store_project_list_free(list, n);
	assert_int_equal(invest_store_project_list(
	                     x->s, "BEC", &list, &n, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0]->id, "kermelo-pv");
	invest_store_project_list_free(list, n);
}

static void
test_holdings(void **state)
{
	struct fx *x = *state;
	char err[256] = "";
	Enfed__V1__Project p = project("kermelo-pv", "BEC");
	assert_int_equal(
	    invest_store_project_create(x->s, &p, err, sizeof(err)), FED_OK);
	invest_holding a = holding("alice", "kermelo-pv", 2);
	invest_holding b = holding("bob", "kermelo-pv", 130);
	assert_int_equal(
	    invest_store_holding_put(x->s, &a, err, sizeof(err)), FED_OK);
	assert_int_equal(
	    invest_store_holding_put(x->s, &a, err, sizeof(err)), FED_OK);
	assert_int_equal(
	    invest_store_holding_put(x->s, &b, err, sizeof(err)), FED_OK);
	// 136 - 130 = 6 remain for alice; 7 is too many, 6 fits.
	a.shares = 7;
	assert_int_equal(invest_store_holding_put(x->s, &a, err, sizeof(err)),
	    FED_FAILED_PRECONDITION);
	assert_non_null(strstr(err, "only 6 of its 136 shares"));
	a.shares = 6;
	assert_int_equal(
	    invest_store_holding_put(x->s, &a, err, sizeof(err)), FED_OK);
	uint64_t held = 0;
	assert_int_equal(invest_store_shares_held(x->s, "kermelo-pv", NULL,
	                     &held, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(held, 136);
	// The total cannot go below what is held.
	p.cost_cents = 3000000;
	p.total_shares = 120;
	assert_int_equal(
	    invest_store_project_update(x->s, &p, err, sizeof(err)),
	    FED_FAILED_PRECONDITION);
	assert_non_null(strstr(err, "120 would be fewer than the 136"));
	a.shares = 0;
	assert_int_equal(invest_store_holding_put(x->s, &a, err, sizeof(err)),
	    FED_INVALID_ARGUMENT);
	invest_holding c = holding("alice", "nope", 1);
	assert_int_equal(invest_store_holding_put(x->s, &c, err, sizeof(err)),
	    FED_NOT_FOUND);
	invest_holding *h = NULL;
	size_t n = 0;
	assert_int_equal(invest_store_holdings(x->s, NULL, "kermelo-pv", false,
	                     &h, &n, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(n, 2);
	assert_string_equal(h[0].investor, "bob"); // largest first
	assert_int_equal(h[1].shares, 6);
	assert_int_equal(h[1].acquired_ms, INT64_C(1769900400000));
	free(h);
	assert_int_equal(invest_store_holding_remove(
	                     x->s, "alice", "kermelo-pv", err, sizeof(err)),
	    FED_OK);
	assert_int_equal(invest_store_holding_remove(
	                     x->s, "alice", "kermelo-pv", err, sizeof(err)),
	    FED_OK);
	assert_int_equal(invest_store_holding_remove(
	                     x->s, "alice", "nope", err, sizeof(err)),
	    FED_NOT_FOUND);
	assert_int_equal(invest_store_holdings(x->s, "alice", NULL, true, &h,
	                     &n, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(n, 0);
	assert_null(h);
	bool known = true;
	assert_int_equal(
	    invest_store_investor_known(x->s, "alice", &known), FED_OK);
	assert_false(known);
	assert_int_equal(
	    invest_store_investor_known(x->s, "bob", &known), FED_OK);
	assert_true(known);
}

static void
test_links_and_reopen(void **state)
{
	struct fx *x = *state;
	char err[256] = "";
	invest_link l = {"bmhs/linky/energy", "bmhs", "fed_grant-one"}, got;
	bool found = false;
	assert_int_equal(
	    invest_store_link_put(x->s, "carol", &l, err, sizeof(err)),
	    FED_OK);
	Enfed__V1__Project p = project("kermelo-pv", "BEC");
	invest_holding a = holding("alice", "kermelo-pv", 2);
	assert_int_equal(
	    invest_store_project_create(x->s, &p, err, sizeof(err)), FED_OK);
	assert_int_equal(
	    invest_store_holding_put(x->s, &a, err, sizeof(err)), FED_OK);
	invest_store_close(x->s);
	x->s = NULL;
	assert_int_equal(
	    invest_store_open(x->dir, &x->s, err, sizeof(err)), FED_OK);
	assert_int_equal(invest_store_link_get(
	                     x->s, "carol", &got, &found, err, sizeof(err)),
	    FED_OK);
	assert_true(found);
	assert_string_equal(got.series_id, "bmhs/linky/energy");
	assert_string_equal(got.node, "bmhs");
	assert_string_equal(got.grant_token, "fed_grant-one");
	// Linking again replaces the grant.
	snprintf(l.grant_token, sizeof(l.grant_token), "fed_grant-two");
	assert_int_equal(
	    invest_store_link_put(x->s, "carol", &l, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(invest_store_link_get(
	                     x->s, "carol", &got, &found, err, sizeof(err)),
	    FED_OK);
	assert_string_equal(got.grant_token, "fed_grant-two");
	uint64_t held = 0;
	assert_int_equal(invest_store_shares_held(x->s, "kermelo-pv", "bob",
	                     &held, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(held, 2);
	invest_link none = {"", "", ""};
	assert_int_equal(
	    invest_store_link_put(x->s, "carol", &none, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(invest_store_link_get(
	                     x->s, "carol", &got, &found, err, sizeof(err)),
	    FED_OK);
	assert_false(found);
}

// The schema fed-invest 1 wrote, with one link made without a grant.
static const char v1_sql[]
    = "CREATE TABLE project(id TEXT PRIMARY KEY, organisation TEXT NOT NULL,"
      " total_shares INTEGER NOT NULL, body BLOB NOT NULL);"
      "CREATE TABLE holding(investor TEXT NOT NULL, project_id TEXT NOT NULL"
      " REFERENCES project(id), shares INTEGER NOT NULL CHECK (shares > 0),"
      " acquired_ms INTEGER NOT NULL, PRIMARY KEY (investor, project_id));"
      "CREATE INDEX holding_project ON holding(project_id);"
      "CREATE TABLE consumption_link(investor TEXT PRIMARY KEY,"
      " series_id TEXT NOT NULL, node TEXT NOT NULL);"
      "INSERT INTO consumption_link VALUES ('dave', 'bmhs/h/energy', 'bmhs');"
      "PRAGMA user_version = 1;";

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

// A database of schema 1, readable by others: migrated to 2 in place, its
// link kept without a grant token (its figures are then not given), and
// the file made private to its owner.
static void
test_migrate_v1(void **state)
{
	struct fx *x = *state;
	invest_store_close(x->s);
	x->s = NULL;
	char path[600], err[256] = "";
	snprintf(path, sizeof(path), "%s/invest.db", x->dir);
	const char *suffix[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		char f[640];
		snprintf(f, sizeof(f), "%s%s", path, suffix[i]);
		remove(f);
	}
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, v1_sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(
	    invest_store_open(x->dir, &x->s, err, sizeof(err)), FED_OK);
	assert_int_equal(user_version(path), 3);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	invest_link got;
	bool found = false;
	assert_int_equal(invest_store_link_get(
	                     x->s, "dave", &got, &found, err, sizeof(err)),
	    FED_OK);
	assert_true(found);
	assert_string_equal(got.series_id, "bmhs/h/energy");
	assert_string_equal(got.grant_token, "");
	invest_link l = {"bmhs/h/energy", "bmhs", "fed_grant-now"};
	assert_int_equal(
	    invest_store_link_put(x->s, "dave", &l, err, sizeof(err)), FED_OK);
	assert_int_equal(invest_store_link_get(
	                     x->s, "dave", &got, &found, err, sizeof(err)),
	    FED_OK);
	assert_string_equal(got.grant_token, "fed_grant-now");
	fed_scrub_report r;
	memset(&r, 0, sizeof(r));
	assert_int_equal(invest_store_check(x->s, NULL, &r), FED_OK);
	assert_int_equal(r.n_rows, 1);
	assert_int_equal(r.n_bad, 0);
}

// Closes the fixture's store and removes its files.
static void
remove_store(struct fx *x, char *path, size_t len)
{
	invest_store_close(x->s);
	x->s = NULL;
	snprintf(path, len, "%s/invest.db", x->dir);
	const char *suffix[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		char f[640];
		snprintf(f, sizeof(f), "%s%s", path, suffix[i]);
		remove(f);
	}
}

// A database of schema 2 (no checksums) with a project, two holdings and
// a link: opened, each row gets its checksum in the migration; a second
// open changes nothing, and everything reads back.
static void
test_migrate_v2(void **state)
{
	struct fx *x = *state;
	char path[600], err[256] = "";
	remove_store(x, path, sizeof(path));
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, v1_sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
	        "ALTER TABLE consumption_link ADD COLUMN"
	        " grant_token TEXT NOT NULL DEFAULT '';"
	        "UPDATE consumption_link SET grant_token = 'fed_g';"
	        "INSERT INTO holding VALUES ('alice', 'kermelo-pv',"
	        " 6, 1769900400000);"
	        "INSERT INTO holding VALUES ('bob', 'kermelo-pv',"
	        " 130, 1769900400000);"
	        "PRAGMA user_version = 2;",
	        NULL, NULL, NULL),
	    SQLITE_OK);
	Enfed__V1__Project p = project("kermelo-pv", "BEC");
	uint8_t body[512];
	size_t len = enfed__v1__project__pack(&p, body);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "INSERT INTO project VALUES ('kermelo-pv', 'BEC',"
	                     " 136, ?1)",
	                     -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_blob(st, 1, body, (int) len, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
	for (int i = 0; i < 2; i++) {
		invest_store_close(x->s);
		assert_int_equal(
		    invest_store_open(x->dir, &x->s, err, sizeof(err)),
		    FED_OK);
		assert_int_equal(user_version(path), 3);
		fed_scrub_report r;
		memset(&r, 0, sizeof(r));
		assert_int_equal(invest_store_check(x->s, NULL, &r), FED_OK);
		assert_string_equal(r.quick_check, "ok");
		assert_int_equal(r.n_rows, 4);
		assert_int_equal(r.n_bad, 0);
	}
	Enfed__V1__Project *got = NULL;
	assert_int_equal(invest_store_project_get(
	                     x->s, "kermelo-pv", &got, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(got->total_shares, 136);
	enfed__v1__project__free_unpacked(got, NULL);
	uint64_t held = 0;
	assert_int_equal(invest_store_shares_held(x->s, "kermelo-pv", NULL,
	                     &held, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(held, 136);
	invest_link l;
	bool found = false;
	assert_int_equal(
	    invest_store_link_get(x->s, "dave", &l, &found, err, sizeof(err)),
	    FED_OK);
	assert_string_equal(l.grant_token, "fed_g");
}

// Runs sql on the store's file through a connection of its own: what a
// flipped bit does, without the checksum following.
static void
damage(struct fx *x, const char *sql)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/invest.db", x->dir);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

static void
test_damaged_rows(void **state)
{
	struct fx *x = *state;
	char err[256] = "";
	Enfed__V1__Project p = project("kermelo-pv", "BEC");
	Enfed__V1__Project q = project("lucioles-pv", "BEC");
	assert_int_equal(
	    invest_store_project_create(x->s, &p, err, sizeof(err)), FED_OK);
	assert_int_equal(
	    invest_store_project_create(x->s, &q, err, sizeof(err)), FED_OK);
	invest_holding a = holding("alice", "lucioles-pv", 6);
	invest_holding b = holding("bob", "lucioles-pv", 3);
	invest_holding c = holding("carol", "kermelo-pv", 1);
	assert_int_equal(
	    invest_store_holding_put(x->s, &a, err, sizeof(err)), FED_OK);
	assert_int_equal(
	    invest_store_holding_put(x->s, &b, err, sizeof(err)), FED_OK);
	assert_int_equal(
	    invest_store_holding_put(x->s, &c, err, sizeof(err)), FED_OK);
	invest_link l1 = {"bmhs/h/energy", "bmhs", "fed_grant-1"};
	invest_link l2 = {"bmhs/g/energy", "bmhs", "fed_grant-2"};
	assert_int_equal(
	    invest_store_link_put(x->s, "carol", &l1, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(
	    invest_store_link_put(x->s, "dave", &l2, err, sizeof(err)),
	    FED_OK);
	// A byte in the middle of a project's packed body; one bit of a
	// holding's shares (6 to 7); one bit of a link's node ('s' to 'r').
	damage(x,
	    "UPDATE project SET body = CAST(substr(body, 1, length(body) / 2)"
	    " || CASE WHEN substr(body, length(body) / 2 + 1, 1) = x'5a'"
	    " THEN x'a5' ELSE x'5a' END"
	    " || substr(body, length(body) / 2 + 2) AS BLOB)"
	    " WHERE id = 'kermelo-pv'");
	damage(x, "UPDATE holding SET shares = 7 WHERE investor = 'alice'");
	damage(x,
	    "UPDATE consumption_link SET node = 'bmhr'"
	    " WHERE investor = 'carol'");

	Enfed__V1__Project *got = NULL;
	assert_int_equal(invest_store_project_get(
	                     x->s, "kermelo-pv", &got, err, sizeof(err)),
	    FED_DATA_LOSS);
	assert_string_equal(
	    err, "project id=kermelo-pv: the stored row fails its checksum");
	assert_int_equal(
	    invest_store_project_create(x->s, &p, err, sizeof(err)),
	    FED_DATA_LOSS);
	assert_int_equal(
	    invest_store_project_update(x->s, &p, err, sizeof(err)),
	    FED_DATA_LOSS);
	invest_holding c2 = holding("carol", "kermelo-pv", 2);
	assert_int_equal(invest_store_holding_put(x->s, &c2, err, sizeof(err)),
	    FED_DATA_LOSS);
	Enfed__V1__Project **list = NULL;
	size_t n = 0;
	assert_int_equal(
	    invest_store_project_list(x->s, NULL, &list, &n, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0]->id, "lucioles-pv");
	invest_store_project_list_free(list, n);

	// The holdings of lucioles-pv: figures need them all, a list does
	// not.
	invest_holding *h = NULL;
	assert_int_equal(invest_store_holdings(x->s, NULL, "lucioles-pv",
	                     false, &h, &n, err, sizeof(err)),
	    FED_DATA_LOSS);
	assert_string_equal(err,
	    "holding investor=alice project_id=lucioles-pv: the stored row "
	    "fails its checksum");
	assert_null(h);
	assert_int_equal(invest_store_holdings(x->s, NULL, "lucioles-pv", true,
	                     &h, &n, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].investor, "bob");
	free(h);
	uint64_t held = 0;
	assert_int_equal(invest_store_shares_held(x->s, "lucioles-pv", NULL,
	                     &held, err, sizeof(err)),
	    FED_DATA_LOSS);
	assert_int_equal(invest_store_shares_held(x->s, "lucioles-pv", "alice",
	                     &held, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(held, 3);
	assert_int_equal(invest_store_holdings(x->s, "carol", NULL, false, &h,
	                     &n, err, sizeof(err)),
	    FED_OK);
	assert_int_equal(n, 1);
	free(h);

	invest_link got_l;
	bool found = true;
	assert_int_equal(invest_store_link_get(
	                     x->s, "carol", &got_l, &found, err, sizeof(err)),
	    FED_DATA_LOSS);
	assert_false(found);
	assert_string_equal(err,
	    "consumption_link investor=carol: the stored row fails its "
	    "checksum");
	assert_int_equal(invest_store_link_get(
	                     x->s, "dave", &got_l, &found, err, sizeof(err)),
	    FED_OK);
	assert_string_equal(got_l.node, "bmhs");

	fed_scrub_report r;
	memset(&r, 0, sizeof(r));
	assert_int_equal(invest_store_check(x->s, NULL, &r), FED_OK);
	assert_string_equal(r.quick_check, "ok");
	assert_int_equal(r.n_rows, 2 + 3 + 2);
	assert_int_equal(r.n_bad, 3);
	assert_int_equal(r.n_listed, 3);
	assert_string_equal(r.bad[0].table, "project");
	assert_string_equal(r.bad[0].key, "id=kermelo-pv");
	assert_string_equal(r.bad[1].table, "holding");
	assert_string_equal(
	    r.bad[1].key, "investor=alice project_id=lucioles-pv");
	assert_string_equal(r.bad[2].table, "consumption_link");
	assert_string_equal(r.bad[2].key, "investor=carol");
	// A link put again replaces the damaged row with a sound one.
	assert_int_equal(
	    invest_store_link_put(x->s, "carol", &l1, err, sizeof(err)),
	    FED_OK);
	memset(&r, 0, sizeof(r));
	assert_int_equal(invest_store_check(x->s, NULL, &r), FED_OK);
	assert_int_equal(r.n_bad, 2);
}

// A new database is private to its owner from the start.
static void
test_private(void **state)
{
	struct fx *x = *state;
	char path[600];
	snprintf(path, sizeof(path), "%s/invest.db", x->dir);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(user_version(path), 3);
}

static void
test_newer_schema(void **state)
{
	struct fx *x = *state;
	invest_store_close(x->s);
	x->s = NULL;
	char path[600], err[256] = "";
	snprintf(path, sizeof(path), "%s/invest.db", x->dir);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(invest_store_open(x->dir, &x->s, err, sizeof(err)),
	    FED_FAILED_PRECONDITION);
	assert_null(x->s);
	assert_non_null(strstr(err, "schema version 99"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_projects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_holdings, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_links_and_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v1, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v2, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_damaged_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_private, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_newer_schema, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
