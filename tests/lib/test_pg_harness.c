// SPDX-License-Identifier: MIT
//
// test_pg_harness.c: the throwaway PostgreSQL clusters of fed_test_pg.h
// (tests/support), which issue 21's tests will run on: a cluster starts,
// takes rows, runs with fsync and synchronous_commit on, listens on
// 127.0.0.1 only and, run by root, as an unprivileged user; a kill -9 of
// the postmaster then a restart keep every committed row; a stop removes
// its folder. Without PostgreSQL the tests that need it are skipped, and
// the helper that says so is itself tested.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "fed_test.h"
#include "fed_test_pg.h"

#define N_ROWS 1000

static PGconn *
connect_db(const fed_test_pg *pg)
{
	PGconn *c = PQconnectdb(fed_test_pg_conninfo(pg));
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect: %s", PQerrorMessage(c));
	return c;
}

static void
exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
}

// The one value of a one-row query, into buf.
static void
query_value(PGconn *c, const char *sql, char *buf, size_t len)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	snprintf(buf, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

static void
assert_value(PGconn *c, const char *sql, const char *want)
{
	char got[256];
	query_value(c, sql, got, sizeof(got));
	assert_string_equal(got, want);
}

// 1 when a TCP connection to addr:port is refused (or cannot be made).
static int
refused(int family, const char *addr, int port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *) &ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t) port);
		inet_pton(AF_INET, addr, &a->sin_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *) &ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t) port);
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		len = sizeof(*a);
	}
	int fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return 1;
	int r = connect(fd, (struct sockaddr *) &ss, len);
	close(fd);
	return r != 0;
}

static int
dir_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

// A new cluster; skips the test without PostgreSQL.
static fed_test_pg *
cluster_or_skip(void)
{
	if (fed_test_pg_missing())
		skip();
	fed_test_pg *pg = NULL;
	assert_int_equal(fed_test_pg_start("pg", &pg), FED_OK);
	return pg;
}

// Stops pg and checks that its folder is gone.
static void
stop_and_check_removed(fed_test_pg *pg)
{
	char *dir = strdup(fed_test_pg_dir(pg));
	fed_test_pg_stop(pg);
	assert_false(dir_exists(dir));
	free(dir);
}

static void
test_missing_server_skips(void **state)
{
	(void) state;
	const char *was = getenv("FED_TEST_PG_BINDIR");
	char *saved = was != NULL ? strdup(was) : NULL;
	setenv("FED_TEST_PG_BINDIR", "/nonexistent", 1);
	fed_test_capture k;
	assert_int_equal(fed_test_capture_begin(&k, 2), 0);
	int missing = fed_test_pg_missing();
	fed_test_pg *pg = NULL;
	fed_status st = fed_test_pg_start("pg", &pg);
	char *err = fed_test_capture_end(&k);
	if (saved != NULL)
		setenv("FED_TEST_PG_BINDIR", saved, 1);
	else
		unsetenv("FED_TEST_PG_BINDIR");
	free(saved);
	assert_int_equal(missing, 1);
	assert_int_equal(st, FED_NOT_FOUND);
	assert_null(pg);
	assert_non_null(err);
	assert_non_null(strstr(err, "skipped: PostgreSQL is not installed"));
	const char *nl = strchr(err, '\n'); // one line, and only one
	assert_non_null(nl);
	assert_int_equal(nl[1], '\0');
	free(err);
}

static void
test_start_query_stop(void **state)
{
	(void) state;
	fed_test_pg *pg = cluster_or_skip();
	PGconn *c = connect_db(pg);
	exec_ok(c, "CREATE TABLE t (id int PRIMARY KEY, v double precision)");
	exec_ok(c,
	    "INSERT INTO t SELECT i, i * 0.5 FROM generate_series(1, "
	    "10) i");
	assert_value(c, "SELECT count(*) FROM t", "10");
	assert_value(c, "SELECT v FROM t WHERE id = 7", "3.5");
	assert_value(c, "SHOW synchronous_commit", "on");
	assert_value(c, "SHOW fsync", "on");
	assert_value(c, "SHOW listen_addresses", "127.0.0.1");
	assert_value(c, "SELECT host(inet_server_addr())", "127.0.0.1");
	int port = fed_test_pg_port(pg);
	assert_false(refused(AF_INET, "127.0.0.1", port));
	assert_true(refused(AF_INET, "127.0.0.2", port));
	assert_true(refused(AF_INET6, "::1", port));
	if (geteuid() == 0) { // the data are not root's
		char data[600];
		struct stat st;
		snprintf(data, sizeof(data), "%s/data", fed_test_pg_dir(pg));
		assert_int_equal(stat(data, &st), 0);
		assert_int_not_equal(st.st_uid, 0);
	}
	PQfinish(c);
	stop_and_check_removed(pg);
	assert_true(refused(AF_INET, "127.0.0.1", port));
}

static void
test_kill_restart_keeps_rows(void **state)
{
	(void) state;
	fed_test_pg *pg = cluster_or_skip();
	PGconn *c = connect_db(pg);
	exec_ok(c, "CREATE TABLE t (id int PRIMARY KEY)");
	// One commit per row: each acknowledged on its own.
	for (int i = 0; i < N_ROWS; i++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "INSERT INTO t VALUES (%d)", i);
		exec_ok(c, sql);
	}
	assert_int_equal(fed_test_pg_kill(pg), FED_OK);
	assert_int_equal(fed_test_pg_kill(pg), FED_FAILED_PRECONDITION);
	PQfinish(c); // its backend went with the postmaster
	assert_int_equal(fed_test_pg_restart(pg), FED_OK);
	assert_int_equal(fed_test_pg_restart(pg), FED_FAILED_PRECONDITION);
	c = connect_db(pg);
	assert_value(c, "SELECT count(*) FROM t", "1000");
	assert_value(c, "SELECT min(id) || ' ' || max(id) FROM t", "0 999");
	PQfinish(c);
	stop_and_check_removed(pg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_missing_server_skips),
	    cmocka_unit_test(test_start_query_stop),
	    cmocka_unit_test(test_kill_restart_keeps_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
