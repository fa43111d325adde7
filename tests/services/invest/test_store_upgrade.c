// SPDX-License-Identifier: MIT
//
// test_store_upgrade.c: fed-directory's and fed-invest's databases as
// release 0.1.0 wrote them (schema 1; tests/fixtures/upgrade/0.1.0/, made
// by that release's own programs: make-fixtures.sh) open with this code:
// migrated to the current schema, every row sealed with its checksum and
// read back as it was; opening again changes nothing; a process killed
// with SIGKILL in the middle of the migration (while it seals the rows)
// leaves a database that the next open migrates to the same result.
// fed-node's store has its own: tests/services/node/test_upgrade.c.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "dir_arena.h"
#include "dir_store.h"
#include "fed_test.h"
#include "fed_test_db.h"
#include "invest_store.h"
#include "row_check.h"

static char *dir;

// A fresh copy of fixture `name` as `path` (its -wal and -shm removed).
static void
fresh_copy(const char *name, const char *path)
{
	char p[600];
	fed_test_remove_db(path);
	snprintf(p, sizeof(p), "%s/0.1.0/%s", FED_UPGRADE_FIXTURES, name);
	assert_int_equal(fed_test_copy_file(p, path), 0);
}

// What 0.1.0's directory held: lognact, of Bretagne Energie Citoyenne,
// offering its one public series; every row sound.
static void
check_directory(const char *path)
{
	dir_store *s = NULL;
	assert_int_equal(dir_store_open(path, true, &s), FED_OK);
	dir_arena *a = NULL;
	assert_int_equal(dir_arena_new(&a), FED_OK);
	dir_filter f = {.name = "lognact"};
	Enfed__V1__NodeRecord **nodes = NULL;
	size_t n = 0;
	assert_int_equal(
	    dir_store_find(s, &f, dir_arena_allocator(a), &nodes, &n, NULL),
	    FED_OK);
	assert_int_equal(n, 1);
	assert_string_equal(
	    nodes[0]->organisation, "Bretagne Energie Citoyenne");
	assert_int_equal(nodes[0]->n_offers, 1);
	assert_string_equal(nodes[0]->offers[0]->id, "kermelo/pv/index");
	dir_arena_free(a);
	// The site of the series offered belongs to its organisation (the
	// sites table came with schema 2, filled by the migration).
	char org[128] = "";
	assert_int_equal(
	    dir_store_site_org(s, "kermelo/pv/index", org, sizeof(org), NULL),
	    FED_OK);
	assert_string_equal(org, "Bretagne Energie Citoyenne");
	fed_scrub_report rep = {0};
	assert_int_equal(dir_store_check(s, NULL, &rep), FED_OK);
	assert_int_equal(rep.n_bad, 0);
	assert_true(rep.n_rows >= 3);
	dir_store_close(s);
}

// What 0.1.0's fed-invest held: the project and alice's 4 shares since
// 2026-06-10 (Europe/Paris midnight).
static void
check_invest(const char *data_dir)
{
	invest_store *s = NULL;
	char err[256] = "";
	assert_int_equal(
	    invest_store_open(data_dir, &s, err, sizeof(err)), FED_OK);
	Enfed__V1__Project *p = NULL;
	assert_int_equal(
	    invest_store_project_get(s, "kermelo-pv", &p, err, sizeof(err)),
	    FED_OK);
	assert_string_equal(p->name, "Kermélo solar roof");
	assert_string_equal(p->series_id, "kermelo/pv/index");
	protobuf_c_message_free_unpacked(&p->base, NULL);
	invest_holding *h = NULL;
	size_t n = 0;
	assert_int_equal(invest_store_holdings(s, "alice", NULL, false, &h, &n,
	                     err, sizeof(err)),
	    FED_OK);
	assert_int_equal(n, 1);
	assert_int_equal(h[0].shares, 4);
	assert_string_equal(h[0].project_id, "kermelo-pv");
	assert_int_equal(h[0].acquired_ms, INT64_C(1781042400000));
	free(h);
	fed_scrub_report rep = {0};
	assert_int_equal(invest_store_check(s, NULL, &rep), FED_OK);
	assert_int_equal(rep.n_bad, 0);
	assert_true(rep.n_rows >= 2);
	invest_store_close(s);
}

static void
test_directory(void **state)
{
	(void) state;
	char path[600];
	snprintf(path, sizeof(path), "%s/directory.db", dir);
	fresh_copy("directory.db", path);
	assert_int_equal(fed_test_user_version(path), 1);
	check_directory(path);
	assert_int_equal(fed_test_user_version(path), DIR_STORE_SCHEMA);
	check_directory(path); // idempotent
	assert_int_equal(fed_test_user_version(path), DIR_STORE_SCHEMA);
}

static void
test_invest(void **state)
{
	(void) state;
	char path[600];
	snprintf(path, sizeof(path), "%s/invest.db", dir);
	fresh_copy("invest.db", path);
	assert_int_equal(fed_test_user_version(path), 1);
	check_invest(dir);
	assert_int_equal(fed_test_user_version(path), 3);
	check_invest(dir);
	assert_int_equal(fed_test_user_version(path), 3);
}

static int probe_calls, probe_kill_at;

static void
kill_probe(void)
{
	if (probe_calls++ == probe_kill_at)
		raise(SIGKILL);
}

// Opens store `which` (0: directory, 1: invest) in a child that SIGKILLs
// itself at the k-th row the migration seals; 1 when it died there, 0
// when the open finished before.
static int
open_killed_at(int which, const char *path, int k)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		probe_kill_at = k;
		row_check_probe = kill_probe;
		fed_status s;
		if (which == 0) {
			dir_store *d = NULL;
			s = dir_store_open(path, true, &d);
			dir_store_close(d);
		} else {
			invest_store *v = NULL;
			s = invest_store_open(dir, &v, NULL, 0);
			invest_store_close(v);
		}
		_exit(s == FED_OK ? 0 : 1);
	}
	int ws = 0;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	if (WIFSIGNALED(ws)) {
		assert_int_equal(WTERMSIG(ws), SIGKILL);
		return 1;
	}
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
	return 0;
}

static void
test_kill_during_migration(void **state)
{
	(void) state;
	static const char *const names[] = {"directory.db", "invest.db"};
	for (int which = 0; which < 2; which++) {
		char path[600];
		snprintf(path, sizeof(path), "%s/%s", dir, names[which]);
		int killed = 0;
		for (int k = 0; k < 32; k++) { // bounded past the rows' number
			fresh_copy(names[which], path);
			if (!open_killed_at(which, path, k))
				break;
			killed++;
			assert_int_equal(
			    fed_test_user_version(path), 1); // rolled back
			if (which == 0)
				check_directory(path);
			else
				check_invest(dir);
		}
		assert_true(killed >= 2);
		print_message("%s: the migration killed at %d points\n",
		    names[which], killed);
	}
}

static int
setup(void **state)
{
	(void) state;
	dir = fed_test_tmpdir("store-upgrade");
	return dir != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void) state;
	fed_test_rmtree(dir);
	free(dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_directory),
	    cmocka_unit_test(test_invest),
	    cmocka_unit_test(test_kill_during_migration),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
