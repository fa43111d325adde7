// SPDX-License-Identifier: MIT
//
// fed_test_pg.h: a throwaway PostgreSQL cluster for tests and benchmarks.
// fed_test_pg_start runs initdb into a new temporary folder and starts
// `postgres` on it, listening on 127.0.0.1 only (a free TCP port; its
// unix socket in that folder), fsync and synchronous_commit on; it creates
// the database "fedtest" and gives a libpq connection string to it.
// fed_test_pg_stop stops the server and removes the folder. When this
// process runs as root, initdb and postgres run as "nobody" (else
// "postgres"), the folder given to that user.
//
// The server's programs are looked up in FED_TEST_PG_BINDIR when it is
// set, else in `pg_config --bindir`, else in the newest
// /usr/lib/postgresql/<version>/bin: a Debian machine has them there and
// not on PATH.
//
// Not thread-safe: one thread drives a cluster. The server runs as a child
// of this process and is killed when it exits (fed_test_proc_start_as), so
// a failed assertion leaves no server behind (its folder stays).

#ifndef FED_TEST_PG_H
#define FED_TEST_PG_H

#include <stddef.h>

#include "fed/status.h"

typedef struct fed_test_pg fed_test_pg;

// Puts the folder holding initdb and postgres into buf (len bytes).
// Returns FED_OK, or FED_NOT_FOUND with the places looked at in buf.
fed_status fed_test_pg_bindir(char *buf, size_t len);

// 1 when no PostgreSQL server can be found, said in one line on stderr
// ("skipped: ..."): the test then calls cmocka's skip(). 0 otherwise.
int fed_test_pg_missing(void);

// Starts a new cluster (tag names its folder) and waits until it accepts
// connections (30 s at most). Blocks. *out (freed with fed_test_pg_stop)
// is set on FED_OK only. Returns FED_NOT_FOUND (no server programs),
// FED_PERMISSION_DENIED (root, and no unprivileged user to run it as),
// FED_UNAVAILABLE (initdb or the server failed, or it did not accept
// connections in time: the reason and the server's log on stderr),
// FED_RESOURCE_EXHAUSTED (memory, or no temporary folder).
fed_status fed_test_pg_start(const char *tag, fed_test_pg **out);

// The libpq connection string of the cluster's database "fedtest" (user
// postgres, no password, TCP to 127.0.0.1). Borrowed: valid until
// fed_test_pg_stop.
const char *fed_test_pg_conninfo(const fed_test_pg *pg);

// The cluster's temporary folder (its data directory is DIR/data, the
// server's log DIR/postgres.log). Borrowed, as above.
const char *fed_test_pg_dir(const fed_test_pg *pg);

// The server's TCP port on 127.0.0.1.
int fed_test_pg_port(const fed_test_pg *pg);

// Kills the postmaster with SIGKILL (a crash: no shutdown checkpoint) and
// waits until it has exited; its backends end by themselves. Returns
// FED_OK, or FED_FAILED_PRECONDITION when it is not running.
fed_status fed_test_pg_kill(fed_test_pg *pg);

// Starts the server again on the same folder and port, after
// fed_test_pg_kill, and waits until it accepts connections (crash
// recovery included; 30 s at most). Retries while the killed server's
// backends still hold its shared memory. Returns FED_OK,
// FED_FAILED_PRECONDITION when it is running, or FED_UNAVAILABLE.
fed_status fed_test_pg_restart(fed_test_pg *pg);

// Stops the server (fast shutdown: SIGINT, 10 s, then SIGKILL), removes
// the folder and frees pg. NULL does nothing.
void fed_test_pg_stop(fed_test_pg *pg);

#endif // FED_TEST_PG_H
