// SPDX-License-Identifier: MIT
//
// fed_test.h: what the test programs and benchmarks share: addresses that
// do not collide, temporary folders, running a command, capturing this
// process's own stdout or stderr, and the Echo diagnostic service
// (proto/enfed/test/echo.proto) on a real RPC server.

#ifndef FED_TEST_H
#define FED_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed/status.h"

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and
// released). 0 on failure.
int fed_test_free_port(void);

// Writes "ipc://<tmp>/fedtest-<pid>-<tag>-<n>.sock" into buf; each call
// gives a new path.
void fed_test_ipc_url(char *buf, size_t len, const char *tag);

// Creates a new temporary folder; the caller frees the string. NULL on
// failure.
char *fed_test_tmpdir(const char *tag);

// Removes a folder and everything in it (no symlinks followed).
void fed_test_rmtree(const char *dir);

// Runs argv (argv[0] looked up in PATH) without a shell, its output to
// /dev/null unless verbose; returns its exit status, or -1.
int fed_test_spawn(char *const argv[], int verbose);

// Runs argv (argv[0] a path) to completion with its standard input from
// in_path (NULL: /dev/null), its standard output and error captured into
// *out and *err (heap, NUL-terminated, freed by the caller; pass NULL for
// what is not wanted). Returns its exit status (128 + signal when killed by
// a signal), or -1 when it cannot be run.
int fed_test_run(
    char *const argv[], const char *in_path, char **out, char **err);

// Starts argv (argv[0] a path) in the background, its stdout and stderr
// appended to log_path (NULL: inherited). Returns its pid, or -1.
int fed_test_proc_start(char *const argv[], const char *log_path);

// As fed_test_proc_start, argv[0] a path (no PATH lookup), the program
// run as user uid, group gid (supplementary groups dropped) when uid is
// not -1: for servers that refuse root, such as PostgreSQL's. The log
// file is opened before the privileges are dropped. Returns its pid, or -1
// (the child's failure to open the log, change user or exec shows as exit
// status 127).
int fed_test_proc_start_as(
    char *const argv[], const char *log_path, int uid, int gid);

// Sends sig to pid and waits (up to timeout_ms, then SIGKILL) for it to
// exit. Returns its exit status (128 + signal when killed by a signal),
// or -1. sig 0 sends nothing: a bounded wait for a program that ends by
// itself.
int fed_test_proc_stop(int pid, int sig, int timeout_ms);

// What fed_test_grant asks the owner's node for.
typedef struct fed_test_grant_spec {
	const char *series; // an id, or a prefix ending in '/'
	const char *grantee; // the grantee node's name
	int live; // 1: scopes query and live; 0: query only
	Enfed__V1__Step finest; // STEP_RAW: the points themselves
	int64_t from_ms, to_ms; // the data covered (0, 0: all of it)
	int64_t expires_ms; // 0: never
} fed_test_grant_spec;

// Creates grant g with client owner (a token that may: the admin's, or an
// owner's on its series). Returns its token (heap, freed by the caller)
// and puts its id into id (40 bytes; may be NULL), or returns NULL when
// the node refuses, with the status in *st (may be NULL).
char *fed_test_grant(fed_rpc_client *owner, const fed_test_grant_spec *g,
    char *id, fed_status *st);

// Sends one request envelope built by hand (method, token of token_len
// bytes, which may hold NUL bytes, codec, body) to url over a REQ socket
// of its own, as a foreign client would, and returns the decoded reply
// envelope (freed by the caller with enfed__v1__reply__free_unpacked), or
// NULL when no reply came within 3 s or it was not an envelope.
struct Enfed__V1__Reply *fed_test_raw_call(const char *url, const char *method,
    const char *token, size_t token_len, int codec, const void *body,
    size_t body_len);

// A client of url with token (either may be an ipc://, tcp:// or
// tls+tcp:// address; no TLS options), the default timeout; NULL when it
// cannot be made (a bad address).
fed_rpc_client *fed_test_client(const char *url, const char *token);

// Calls SeriesStore method m with req and puts its reply in *rep (a
// pointer to the reply type's pointer; freed by the caller with
// protobuf_c_message_free_unpacked, NULL unless OK). Returns the status;
// the error message is dropped.
fed_status fed_test_store_call(
    fed_rpc_client *c, const char *m, const void *req, void *rep);

// Queries series id over [from_ms, to_ms) at step (STEP_RAW for the
// points themselves) in zone tz (NULL: the node's), into *res (freed by
// the caller with protobuf_c_message_free_unpacked; NULL unless OK), the
// error message in err (err_len bytes; may be NULL). Returns the status.
fed_status fed_test_query(fed_rpc_client *c, const char *id, int64_t from_ms,
    int64_t to_ms, Enfed__V1__Step step, const char *tz,
    Enfed__V1__QueryResponse **res, char *err, size_t err_len);

// 1 when the raw points of series id in [t0_ms, to_ms) are exactly n
// points t0_ms + i x step_ms of value i (i in [0, n)), each once: what the
// fault and federation tests ingest, then look for on each node. Else 0,
// the first difference written to stderr.
int fed_test_exact_points(fed_rpc_client *c, const char *id, int64_t t0_ms,
    int64_t step_ms, size_t n, int64_t to_ms);

// Ingests on series id, in one Ingest call, a point of value every
// step_ms in [from_ms, to_ms), except those in [gap_ms, gap_ms + gap_len_ms)
// (a hole in the data; gap_len_ms 0 for none). *sent and *stored (either
// may be NULL) get the points sent and those newly stored. Returns the
// call's status; a failure's message goes to stderr.
fed_status fed_test_ingest_every(fed_rpc_client *c, const char *id,
    int64_t from_ms, int64_t to_ms, int64_t step_ms, double value,
    int64_t gap_ms, int64_t gap_len_ms, uint64_t *sent, uint64_t *stored);

// Makes home the HOME of the programs the test runs, and unsets the
// variables through which the user's fedctl configuration could reach
// them (XDG_CONFIG_HOME and fedctl's FED_* settings): what a test of
// fedctl runs depends on its arguments only.
void fed_test_isolate_fedctl(const char *home);

// Checks the Prometheus text in file `path` with `promtool check metrics`:
// FED_PROMTOOL names the program (./run test takes it out of Debian's
// prometheus package), else promtool in /usr/bin. 1 when it passed, -1
// when it failed (promtool's words on stderr), 0 when there is no promtool
// (said once on stderr: the format check is skipped).
int fed_test_promtool(const char *path);

// Calls Health/Check on url until it answers OK (up to timeout_ms).
// Returns FED_OK, or the last failure.
fed_status fed_test_wait_health(const char *url, int timeout_ms);

// Starts the fed-node program `bin` named `name` with its data in
// DIR/data, RPC on rpc_url, stream on stream_url, the admin token `admin`
// and, when tokens_file is not NULL, that tokens file; its log goes to
// DIR/NAME.log. Waits until Health answers (10 s at most). Returns the
// pid, or -1.
int fed_test_node_start(const char *bin, const char *name, const char *dir,
    const char *rpc_url, const char *stream_url, const char *admin,
    const char *tokens_file);

// Appends the char * arguments of ap, up to a NULL, to argv[argc..] and
// ends argv with NULL, argv holding max entries at most (the arguments
// beyond are dropped). Returns the new number of arguments.
int fed_test_argv_add(char **argv, int argc, int max, va_list ap);

// Redirects a file descriptor of this process (STDOUT_FILENO,
// STDERR_FILENO) into a temporary file until fed_test_capture_end, stdio
// flushed on both sides, for a test that calls code printing there. Not
// nested on the same descriptor.
typedef struct fed_test_capture {
	int fd; // the descriptor captured
	int saved; // a copy of the original, put back at the end
	int file; // the temporary file
} fed_test_capture;

// 0 on success, -1 when the descriptor cannot be redirected (nothing
// changed then).
int fed_test_capture_begin(fed_test_capture *k, int fd);

// Puts the descriptor back and returns what was written to it (heap,
// NUL-terminated, freed by the caller; NULL when memory runs out).
char *fed_test_capture_end(fed_test_capture *k);

// Wall-clock milliseconds, and a sleep, for tests that wait on time.
int64_t fed_test_now_ms(void);
void fed_test_sleep_ms(int ms);

// As fed_test_node_start, with more options (e.g. "--peers-file=..."):
// extra is NULL or a NULL-terminated list of at most 8.
int fed_test_node_start_ex(const char *bin, const char *name, const char *dir,
    const char *rpc_url, const char *stream_url, const char *admin,
    const char *tokens_file, const char *const *extra);

// Registers the Echo service on srv.
fed_status fed_test_echo_register(fed_rpc_server *srv);

#endif // FED_TEST_H
