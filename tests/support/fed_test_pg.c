// SPDX-License-Identifier: MIT
//
// fed_test_pg.c: the throwaway PostgreSQL clusters of fed_test_pg.h.
// initdb and postgres are run directly (no pg_ctl, no wrapper scripts), as
// children of this process through fed_test_proc_start_as, so that a kill
// -9 is a kill of the postmaster itself. initdb runs with --no-sync: the
// cluster is thrown away, and what the tests check is the server's own
// durability (fsync and synchronous_commit on), not initdb's.

#include "fed_test_pg.h"

#include <fcntl.h>
#include <glob.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "fed_test.h"

#define READY_MS    30000
#define INITDB_MS   120000
#define STOP_MS     10000
#define KILL_MS     5000
#define POLL_MS     50
#define START_TRIES 3

struct fed_test_pg {
	char bindir[512];
	char dir[512];
	char conninfo[256];
	int port;
	int pid; // the postmaster; -1 when not running
	int uid, gid; // the user it runs as; -1: this process's
};

static int
is_server_dir(const char *dir)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/initdb", dir);
	if (access(p, X_OK) != 0)
		return 0;
	snprintf(p, sizeof(p), "%s/postgres", dir);
	return access(p, X_OK) == 0;
}

// pg_config on PATH, as a path (fed_test_run runs argv[0] as a path).
static int
find_pg_config(char *buf, size_t len)
{
	const char *path = getenv("PATH");
	char copy[2048];
	snprintf(copy, sizeof(copy), "%s", path != NULL ? path : "/usr/bin");
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d != NULL;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, len, "%s/pg_config", d);
		if (access(buf, X_OK) == 0)
			return 1;
	}
	return 0;
}

static int
bindir_from_pg_config(char *buf, size_t len)
{
	char exe[1024];
	if (!find_pg_config(exe, sizeof(exe)))
		return 0;
	char *argv[] = {exe, "--bindir", NULL};
	char *out = NULL;
	int rc = fed_test_run(argv, NULL, &out, NULL);
	if (rc == 0 && out != NULL) {
		out[strcspn(out, "\r\n")] = '\0';
		snprintf(buf, len, "%s", out);
	}
	free(out);
	return rc == 0 && is_server_dir(buf);
}

// The newest /usr/lib/postgresql/<major>/bin holding a server.
static int
bindir_from_debian(char *buf, size_t len)
{
	glob_t g;
	if (glob("/usr/lib/postgresql/*/bin", 0, NULL, &g) != 0)
		return 0;
	long best = -1;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *v = g.gl_pathv[i] + strlen("/usr/lib/postgresql/");
		long major = strtol(v, NULL, 10);
		if (major > best && is_server_dir(g.gl_pathv[i])) {
			best = major;
			snprintf(buf, len, "%s", g.gl_pathv[i]);
		}
	}
	globfree(&g);
	return best >= 0;
}

fed_status
fed_test_pg_bindir(char *buf, size_t len)
{
	const char *env = getenv("FED_TEST_PG_BINDIR");
	if (env != NULL && env[0] != '\0') {
		snprintf(buf, len, "%s", env);
		if (is_server_dir(buf))
			return FED_OK;
		snprintf(
		    buf, len, "no initdb and postgres in FED_TEST_PG_BINDIR");
		return FED_NOT_FOUND;
	}
	if (bindir_from_pg_config(buf, len) || bindir_from_debian(buf, len))
		return FED_OK;
	snprintf(buf, len,
	    "no initdb and postgres in `pg_config --bindir` or "
	    "/usr/lib/postgresql/*/bin");
	return FED_NOT_FOUND;
}

int
fed_test_pg_missing(void)
{
	char why[512];
	if (fed_test_pg_bindir(why, sizeof(why)) == FED_OK)
		return 0;
	fprintf(stderr,
	    "skipped: PostgreSQL is not installed (%s; ./run test installs "
	    "postgresql-15)\n",
	    why);
	return 1;
}

// Who runs the server: this process, unless it is root, which PostgreSQL
// refuses; then "nobody", else Debian's "postgres".
static fed_status
server_user(int *uid, int *gid)
{
	*uid = *gid = -1;
	if (geteuid() != 0)
		return FED_OK;
	const char *names[] = {"nobody", "postgres"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct passwd *pw = getpwnam(names[i]);
		if (pw != NULL && pw->pw_uid != 0) {
			*uid = (int) pw->pw_uid;
			*gid = (int) pw->pw_gid;
			return FED_OK;
		}
	}
	fprintf(stderr,
	    "fed_test_pg: running as root, and no user nobody or "
	    "postgres to run PostgreSQL as\n");
	return FED_PERMISSION_DENIED;
}

// The last 2 KB of a log of the cluster's folder, to stderr.
static void
dump_log(const fed_test_pg *pg, const char *name)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/%s", pg->dir, name);
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return;
	off_t end = lseek(fd, 0, SEEK_END);
	lseek(fd, end > 2048 ? end - 2048 : 0, SEEK_SET);
	char b[2049];
	ssize_t n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n > 0) {
		b[n] = '\0';
		fprintf(stderr, "--- %s (end)\n%s---\n", p, b);
	}
}

static fed_status
run_initdb(const fed_test_pg *pg)
{
	char exe[600], data[600], log[600];
	snprintf(exe, sizeof(exe), "%s/initdb", pg->bindir);
	snprintf(data, sizeof(data), "%s/data", pg->dir);
	snprintf(log, sizeof(log), "%s/initdb.log", pg->dir);
	char *argv[] = {exe, "-D", data, "-U", "postgres", "-A", "trust", "-E",
	    "UTF8", "--no-locale", "--no-sync", NULL};
	int pid = fed_test_proc_start_as(argv, log, pg->uid, pg->gid);
	int rc = fed_test_proc_stop(pid, 0, INITDB_MS);
	if (rc == 0)
		return FED_OK;
	fprintf(stderr, "fed_test_pg: initdb exited with %d\n", rc);
	dump_log(pg, "initdb.log");
	return FED_UNAVAILABLE;
}

static int
spawn_server(fed_test_pg *pg)
{
	char exe[600], data[600], log[600], port[16], sock[600];
	snprintf(exe, sizeof(exe), "%s/postgres", pg->bindir);
	snprintf(data, sizeof(data), "%s/data", pg->dir);
	snprintf(log, sizeof(log), "%s/postgres.log", pg->dir);
	snprintf(port, sizeof(port), "%d", pg->port);
	snprintf(sock, sizeof(sock), "unix_socket_directories=%s", pg->dir);
	char *argv[] = {exe, "-D", data, "-p", port, "-c",
	    "listen_addresses=127.0.0.1", "-c", sock, "-c", "fsync=on", "-c",
	    "synchronous_commit=on", "-c", "full_page_writes=on", NULL};
	return fed_test_proc_start_as(argv, log, pg->uid, pg->gid);
}

// 1 when the postmaster has exited (left unreaped for fed_test_proc_stop).
static int
server_exited(int pid)
{
	siginfo_t si = {0};
	if (waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
		return 1;
	return si.si_pid != 0;
}

static void
admin_conninfo(const fed_test_pg *pg, const char *db, char *buf, size_t len)
{
	snprintf(buf, len,
	    "host=127.0.0.1 port=%d user=postgres dbname=%s "
	    "connect_timeout=5",
	    pg->port, db);
}

// FED_OK when the server accepts connections before deadline_ms,
// FED_ABORTED when it exited, FED_DEADLINE_EXCEEDED.
static fed_status
wait_ready(const fed_test_pg *pg, int64_t deadline_ms)
{
	char ci[256];
	admin_conninfo(pg, "postgres", ci, sizeof(ci));
	for (;;) {
		if (server_exited(pg->pid))
			return FED_ABORTED;
		if (PQping(ci) == PQPING_OK)
			return FED_OK;
		if (fed_test_now_ms() >= deadline_ms)
			return FED_DEADLINE_EXCEEDED;
		fed_test_sleep_ms(POLL_MS);
	}
}

// Starts the server and waits until it is ready, starting it again when
// it exits at once: on a new port when new_port (another program took the
// free one), else on the same (a killed server's backends still hold its
// shared memory). At most `tries` starts, all before deadline_ms.
static fed_status
launch(fed_test_pg *pg, int new_port, int tries, int64_t deadline_ms)
{
	for (int i = 0; i < tries; i++) {
		if (new_port && (pg->port = fed_test_free_port()) == 0)
			return FED_UNAVAILABLE;
		if ((pg->pid = spawn_server(pg)) < 0)
			return FED_UNAVAILABLE;
		fed_status st = wait_ready(pg, deadline_ms);
		if (st == FED_OK)
			return FED_OK;
		fed_test_proc_stop(pg->pid, SIGKILL, KILL_MS);
		pg->pid = -1;
		if (st == FED_DEADLINE_EXCEEDED)
			break;
		fed_test_sleep_ms(200);
	}
	fprintf(stderr, "fed_test_pg: the server did not start\n");
	dump_log(pg, "postgres.log");
	return FED_UNAVAILABLE;
}

static fed_status
create_db(fed_test_pg *pg)
{
	char ci[256];
	admin_conninfo(pg, "postgres", ci, sizeof(ci));
	PGconn *c = PQconnectdb(ci);
	PGresult *r = PQstatus(c) == CONNECTION_OK
	    ? PQexec(c, "CREATE DATABASE fedtest")
	    : NULL;
	fed_status st
	    = PQresultStatus(r) == PGRES_COMMAND_OK ? FED_OK : FED_UNAVAILABLE;
	if (st != FED_OK)
		fprintf(stderr, "fed_test_pg: CREATE DATABASE: %s",
		    PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	admin_conninfo(pg, "fedtest", pg->conninfo, sizeof(pg->conninfo));
	return st;
}

static fed_status
make_dir(fed_test_pg *pg, const char *tag)
{
	char *d = fed_test_tmpdir(tag);
	if (d == NULL)
		return FED_RESOURCE_EXHAUSTED;
	snprintf(pg->dir, sizeof(pg->dir), "%s", d);
	free(d);
	if (pg->uid != -1
	    && chown(pg->dir, (uid_t) pg->uid, (gid_t) pg->gid)) {
		fprintf(stderr, "fed_test_pg: cannot chown %s\n", pg->dir);
		return FED_PERMISSION_DENIED;
	}
	return FED_OK;
}

fed_status
fed_test_pg_start(const char *tag, fed_test_pg **out)
{
	fed_test_pg *pg = calloc(1, sizeof(*pg));
	if (pg == NULL)
		return FED_RESOURCE_EXHAUSTED;
	pg->pid = -1;
	fed_status st = fed_test_pg_bindir(pg->bindir, sizeof(pg->bindir));
	if (st == FED_OK)
		st = server_user(&pg->uid, &pg->gid);
	if (st == FED_OK)
		st = make_dir(pg, tag);
	if (st == FED_OK)
		st = run_initdb(pg);
	if (st == FED_OK)
		st = launch(pg, 1, START_TRIES, fed_test_now_ms() + READY_MS);
	if (st == FED_OK)
		st = create_db(pg);
	if (st != FED_OK) {
		fed_test_pg_stop(pg);
		return st;
	}
	*out = pg;
	return FED_OK;
}

const char *
fed_test_pg_conninfo(const fed_test_pg *pg)
{
	return pg->conninfo;
}

const char *
fed_test_pg_dir(const fed_test_pg *pg)
{
	return pg->dir;
}

int
fed_test_pg_port(const fed_test_pg *pg)
{
	return pg->port;
}

fed_status
fed_test_pg_kill(fed_test_pg *pg)
{
	if (pg->pid < 0)
		return FED_FAILED_PRECONDITION;
	fed_test_proc_stop(pg->pid, SIGKILL, KILL_MS);
	pg->pid = -1;
	return FED_OK;
}

fed_status
fed_test_pg_restart(fed_test_pg *pg)
{
	if (pg->pid >= 0)
		return FED_FAILED_PRECONDITION;
	// Up to one start per 250 ms (200 ms apart, plus the start) while the
	// old backends let go of the shared memory: bounded by the deadline.
	return launch(pg, 0, READY_MS / 200, fed_test_now_ms() + READY_MS);
}

void
fed_test_pg_stop(fed_test_pg *pg)
{
	if (pg == NULL)
		return;
	if (pg->pid >= 0)
		fed_test_proc_stop(pg->pid, SIGINT, STOP_MS);
	if (pg->dir[0] != '\0')
		fed_test_rmtree(pg->dir);
	free(pg);
}
