// SPDX-License-Identifier: MIT
//
// fed_test.c: helpers of fed_test.h and the Echo service's handler.

#define _DEFAULT_SOURCE // setgroups

#include "fed_test.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "enfed/test/echo.pb-c.h"
#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/health.pb-c.h"
#include "enfed/v1/rpc.pb-c.h"
#include "enfed/v1/series.pb-c.h"

extern char **environ;

int
fed_test_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(sa);
	int port = 0;
	if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0
	    && getsockname(fd, (struct sockaddr *) &sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static const char *
tmp_root(void)
{
	const char *t = getenv("TMPDIR");
	return t != NULL && t[0] != '\0' ? t : "/tmp";
}

void
fed_test_ipc_url(char *buf, size_t len, const char *tag)
{
	static atomic_int n;
	snprintf(buf, len, "ipc://%s/fedtest-%d-%s-%d.sock", tmp_root(),
	    (int) getpid(), tag, atomic_fetch_add(&n, 1));
}

char *
fed_test_tmpdir(const char *tag)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/fedtest-%s-XXXXXX", tmp_root(), tag);
	if (mkdtemp(path) == NULL)
		return NULL;
	return strdup(path);
}

void
fed_test_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0
		    || strcmp(e->d_name, "..") == 0)
			continue;
		char p[1024];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			fed_test_rmtree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

int
fed_test_spawn(char *const argv[], int verbose)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (!verbose) {
		posix_spawn_file_actions_addopen(
		    &fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(
		    &fa, 2, "/dev/null", O_WRONLY, 0);
	}
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *
slurp_fd(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	char *b = malloc(len > 0 ? (size_t) len + 1 : 1);
	if (b == NULL)
		return NULL;
	size_t n = 0;
	if (len > 0 && lseek(fd, 0, SEEK_SET) == 0) {
		ssize_t r;
		while (n < (size_t) len
		    && (r = read(fd, b + n, (size_t) len - n)) > 0)
			n += (size_t) r;
	}
	b[n] = '\0';
	return b;
}

static int
capture_file(const char *tag)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/fedtest-%s-XXXXXX", tmp_root(), tag);
	int fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd;
}

int
fed_test_argv_add(char **argv, int argc, int max, va_list ap)
{
	for (char *a; argc < max - 1 && (a = va_arg(ap, char *)) != NULL;)
		argv[argc++] = a;
	argv[argc] = NULL;
	return argc;
}

int
fed_test_capture_begin(fed_test_capture *k, int fd)
{
	fflush(stdout);
	fflush(stderr);
	k->fd = fd;
	k->file = capture_file("capture");
	k->saved = k->file >= 0 ? dup(fd) : -1;
	if (k->saved >= 0 && dup2(k->file, fd) >= 0)
		return 0;
	if (k->saved >= 0)
		close(k->saved);
	if (k->file >= 0)
		close(k->file);
	return -1;
}

char *
fed_test_capture_end(fed_test_capture *k)
{
	fflush(stdout);
	fflush(stderr);
	dup2(k->saved, k->fd);
	close(k->saved);
	char *s = slurp_fd(k->file);
	close(k->file);
	return s;
}

int
fed_test_run(char *const argv[], const char *in_path, char **out, char **err)
{
	int fo = capture_file("out"), fe = capture_file("err");
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(
	    &fa, 0, in_path != NULL ? in_path : "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fo, 1);
	posix_spawn_file_actions_adddup2(&fa, fe, 2);
	pid_t pid;
	int rc = fo < 0 || fe < 0
	    ? -1
	    : posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	int status = 0;
	while (rc == 0 && waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			rc = -1;
	}
	if (out != NULL)
		*out = fo >= 0 ? slurp_fd(fo) : NULL;
	if (err != NULL)
		*err = fe >= 0 ? slurp_fd(fe) : NULL;
	if (fo >= 0)
		close(fo);
	if (fe >= 0)
		close(fe);
	if (rc != 0)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

// Children started and not yet stopped: killed when the test program
// exits, so that a failed assertion (cmocka leaves the test without its
// clean-up) leaves no service running behind it.
#define MAX_CHILDREN 64
static int children[MAX_CHILDREN];
static int reaper_set;

static void
kill_children(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++) {
		pid_t pid = (pid_t) children[i];
		children[i] = 0;
		// Still our child and running (not reaped by the test itself,
		// and so not a pid reused by another process): kill it.
		if (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
}

static void
track_child(int pid, int gone)
{
	if (!reaper_set) {
		reaper_set = 1;
		atexit(kill_children);
	}
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] == (gone ? pid : 0)) {
			children[i] = gone ? 0 : pid;
			return;
		}
}

int
fed_test_proc_start(char *const argv[], const char *log_path)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (log_path != NULL) {
		posix_spawn_file_actions_addopen(
		    &fa, 1, log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	}
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	track_child((int) pid, 0);
	return (int) pid;
}

// In the child of fed_test_proc_start_as: only async-signal-safe calls
// until exec.
static void
child_exec_as(char *const argv[], const char *log_path, int uid, int gid)
{
	if (log_path != NULL) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		if (fd > 2)
			close(fd);
	}
	if (uid != -1
	    && (setgroups(0, NULL) != 0 || setgid((gid_t) gid) != 0
	        || setuid((uid_t) uid) != 0))
		_exit(127);
	execve(argv[0], argv, environ);
	_exit(127);
}

int
fed_test_proc_start_as(
    char *const argv[], const char *log_path, int uid, int gid)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		child_exec_as(argv, log_path, uid, gid);
	track_child((int) pid, 0);
	return (int) pid;
}

int
fed_test_proc_stop(int pid, int sig, int timeout_ms)
{
	if (pid <= 0)
		return -1;
	track_child(pid, 1);
	kill((pid_t) pid, sig);
	int status = 0;
	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid((pid_t) pid, &status, WNOHANG);
		if (r == (pid_t) pid)
			break;
		if (r < 0)
			return -1;
		if (waited >= timeout_ms) {
			kill((pid_t) pid, SIGKILL);
			waitpid((pid_t) pid, &status, 0);
			break;
		}
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

fed_rpc_client *
fed_test_client(const char *url, const char *token)
{
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = url;
	o.token = token;
	fed_rpc_client *c = NULL;
	return fed_rpc_client_new(&o, &c) == FED_OK ? c : NULL;
}

fed_status
fed_test_store_call(
    fed_rpc_client *c, const char *m, const void *req, void *rep)
{
	return fed_rpc_call(c, &enfed__v1__series_store__descriptor, m, req,
	    (ProtobufCMessage **) rep, NULL, 0);
}

fed_status
fed_test_query(fed_rpc_client *c, const char *id, int64_t from_ms,
    int64_t to_ms, Enfed__V1__Step step, const char *tz,
    Enfed__V1__QueryResponse **res, char *err, size_t err_len)
{
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = from_ms;
	r.to_ms = to_ms;
	char *ids[1] = {(char *) id};
	Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
	q.series_ids = ids;
	q.n_series_ids = 1;
	q.range = &r;
	q.step = step;
	q.tz = (char *) tz;
	*res = NULL;
	return fed_rpc_call(c, &enfed__v1__series_store__descriptor, "Query",
	    &q.base, (ProtobufCMessage **) res, err, err_len);
}

int
fed_test_exact_points(fed_rpc_client *c, const char *id, int64_t t0_ms,
    int64_t step_ms, size_t n, int64_t to_ms)
{
	Enfed__V1__QueryResponse *res = NULL;
	char err[256];
	fed_status st = fed_test_query(c, id, t0_ms, to_ms,
	    ENFED__V1__STEP__STEP_RAW, NULL, &res, err, sizeof(err));
	if (st != FED_OK || res->n_results != 1) {
		fprintf(stderr, "Query %s: %s\n", id,
		    st != FED_OK ? err : "not one result");
		if (res != NULL)
			enfed__v1__query_response__free_unpacked(res, NULL);
		return 0;
	}
	const Enfed__V1__SeriesResult *sr = res->results[0];
	int ok = sr->n_ts_ms == n;
	if (!ok)
		fprintf(stderr, "%s: %zu points, %zu expected\n", id,
		    sr->n_ts_ms, n);
	for (size_t i = 0; ok && i < n; i++) {
		ok = sr->ts_ms[i] == t0_ms + (int64_t) i * step_ms
		    && sr->value[i] == (double) i;
		if (!ok)
			fprintf(stderr, "%s: point %zu is (%lld, %g)\n", id, i,
			    (long long) sr->ts_ms[i], sr->value[i]);
	}
	enfed__v1__query_response__free_unpacked(res, NULL);
	return ok;
}

fed_status
fed_test_ingest_every(fed_rpc_client *c, const char *id, int64_t from_ms,
    int64_t to_ms, int64_t step_ms, double value, int64_t gap_ms,
    int64_t gap_len_ms, uint64_t *sent, uint64_t *stored)
{
	if (step_ms <= 0 || to_ms < from_ms)
		return FED_INVALID_ARGUMENT;
	size_t cap = (size_t) ((to_ms - from_ms) / step_ms) + 1, n = 0;
	int64_t *ts = calloc(cap, sizeof(*ts));
	double *v = calloc(cap, sizeof(*v));
	if (ts == NULL || v == NULL) {
		free(ts);
		free(v);
		return FED_RESOURCE_EXHAUSTED;
	}
	for (int64_t t = from_ms; t < to_ms; t += step_ms) {
		if (t >= gap_ms && t < gap_ms + gap_len_ms)
			continue;
		ts[n] = t;
		v[n++] = value;
	}
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT,
	                        *sps[1] = {&sp};
	sp.series_id = (char *) id;
	sp.ts_ms = ts;
	sp.value = v;
	sp.n_ts_ms = sp.n_value = n;
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = sps;
	req.n_series = 1;
	Enfed__V1__IngestResponse *rep = NULL;
	char err[512];
	fed_status st = fed_rpc_call(c, &enfed__v1__series_store__descriptor,
	    "Ingest", &req.base, (ProtobufCMessage **) &rep, err, sizeof(err));
	if (st != FED_OK)
		fprintf(stderr, "Ingest %s: %s\n", id, err);
	if (sent != NULL)
		*sent = n;
	if (stored != NULL)
		*stored = rep != NULL ? rep->n_stored : 0;
	if (rep != NULL)
		enfed__v1__ingest_response__free_unpacked(rep, NULL);
	free(ts);
	free(v);
	return st;
}

void
fed_test_isolate_fedctl(const char *home)
{
	static const char *const vars[]
	    = {"XDG_CONFIG_HOME", "FED_CONFIG", "FED_TOKEN", "FED_NODE",
	        "FED_STREAM", "FED_TZ", "FED_DIRECTORY", "FED_DIRECTORY_TOKEN",
	        "FED_INVEST", "FED_INVEST_TOKEN", "FED_TLS_CERT",
	        "FED_TLS_KEY", "FED_TLS_CA", "FED_TLS_SERVER_NAME"};
	setenv("HOME", home, 1);
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

int
fed_test_promtool(const char *path)
{
	const char *bin = getenv("FED_PROMTOOL");
	if (bin == NULL || bin[0] == '\0')
		bin = "/usr/bin/promtool";
	static int said;
	if (access(bin, X_OK) != 0) {
		if (!said)
			fprintf(stderr,
			    "%s: not found (Debian package "
			    "prometheus): format check skipped\n",
			    bin);
		said = 1;
		return 0;
	}
	char *argv[] = {(char *) bin, "check", "metrics", NULL};
	char *out = NULL, *err = NULL;
	int rc = fed_test_run(argv, path, &out, &err);
	if (rc != 0)
		fprintf(stderr, "promtool check metrics: %s%s\n",
		    out ? out : "", err ? err : "");
	free(out);
	free(err);
	return rc == 0 ? 1 : -1;
}

fed_status
fed_test_wait_health(const char *url, int timeout_ms)
{
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = url;
	o.timeout_ms = 200;
	fed_rpc_client *c = NULL;
	fed_status st = fed_rpc_client_new(&o, &c);
	if (st != FED_OK)
		return st;
	Enfed__V1__HealthCheckRequest req
	    = ENFED__V1__HEALTH_CHECK_REQUEST__INIT;
	for (int waited = 0; waited < timeout_ms; waited += 200) {
		ProtobufCMessage *rep = NULL;
		st = fed_rpc_call(c, &enfed__v1__health__descriptor, "Check",
		    &req.base, &rep, NULL, 0);
		if (st == FED_OK) {
			protobuf_c_message_free_unpacked(rep, NULL);
			break;
		}
	}
	fed_rpc_client_free(c);
	return st;
}

int
fed_test_node_start(const char *bin, const char *name, const char *dir,
    const char *rpc_url, const char *stream_url, const char *admin,
    const char *tokens_file)
{
	return fed_test_node_start_ex(
	    bin, name, dir, rpc_url, stream_url, admin, tokens_file, NULL);
}

int
fed_test_node_start_ex(const char *bin, const char *name, const char *dir,
    const char *rpc_url, const char *stream_url, const char *admin,
    const char *tokens_file, const char *const *extra)
{
	char a[6][600], log[600];
	snprintf(a[0], sizeof(a[0]), "--name=%s", name);
	snprintf(a[1], sizeof(a[1]), "--data-dir=%s/data-%s", dir, name);
	snprintf(a[2], sizeof(a[2]), "--listen=%s", rpc_url);
	snprintf(a[3], sizeof(a[3]), "--stream=%s", stream_url);
	snprintf(a[4], sizeof(a[4]), "--admin-token=%s", admin);
	snprintf(a[5], sizeof(a[5]), "--tokens-file=%s",
	    tokens_file != NULL ? tokens_file : "");
	snprintf(log, sizeof(log), "%s/%s.log", dir, name);
	// FED_TEST_WRAPPER ("valgrind --error-exitcode=99 ...": words split
	// on spaces, at most 8) runs the node under a tool; its exit status
	// then tells the tool's verdict to fed_test_proc_stop.
	char wrap[512] = "", *argv[32] = {NULL};
	size_t n = 0;
	const char *w = getenv("FED_TEST_WRAPPER");
	if (w != NULL)
		snprintf(wrap, sizeof(wrap), "%s", w);
	char *save = NULL;
	for (char *t = strtok_r(wrap, " ", &save); t != NULL && n < 8;
	     t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	char *own[] = {(char *) bin, a[0], a[1], a[2], a[3], a[4], a[5],
	    "--log-level=debug"};
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		argv[n++] = own[i];
	for (int i = 0; extra != NULL && extra[i] != NULL && i < 8; i++)
		argv[n++] = (char *) extra[i];
	int pid = fed_test_proc_start(argv, log);
	int wait_ms = w != NULL && w[0] != '\0' ? 60000 : 10000;
	if (pid > 0 && fed_test_wait_health(rpc_url, wait_ms) != FED_OK) {
		fed_test_proc_stop(pid, SIGKILL, 1000);
		return -1;
	}
	return pid;
}

int64_t
fed_test_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
fed_test_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

// --- Echo ---------------------------------------------------------------

static pthread_mutex_t rv_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rv_cond = PTHREAD_COND_INITIALIZER;
static unsigned rv_inside;
static unsigned rv_generation; // +1 each time a rendezvous is complete

// Waits until n calls are inside at once (5 s at most). The generation
// counter lets every waiter of a completed rendezvous see it completed,
// even once the first ones have left.
static int
rendezvous(unsigned n)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&rv_mtx);
	unsigned gen = rv_generation;
	if (++rv_inside >= n) {
		rv_generation++;
		rv_inside = 0;
		pthread_cond_broadcast(&rv_cond);
	}
	int rc = 0;
	while (rv_generation == gen && rc == 0)
		rc = pthread_cond_timedwait(&rv_cond, &rv_mtx, &until);
	int ok = rv_generation != gen;
	if (!ok)
		rv_inside--;
	pthread_mutex_unlock(&rv_mtx);
	return ok;
}

static fed_status
echo_echo(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	(void) arg;
	const Enfed__Test__EchoRequest *req
	    = (const Enfed__Test__EchoRequest *) in;
	Enfed__Test__EchoReply *rep = (Enfed__Test__EchoReply *) out;
	if (req->sleep_ms > 0) {
		struct timespec ts = {req->sleep_ms / 1000,
		    (long) (req->sleep_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (req->rendezvous > 0) {
		if (!rendezvous(req->rendezvous))
			return fed_rpc_ctx_error(call, FED_FAILED_PRECONDITION,
			    "never %u calls at once", req->rendezvous);
	}
	if (req->fail)
		return fed_rpc_ctx_error(
		    call, FED_NOT_FOUND, "echo asked to fail");
	rep->token = fed_rpc_ctx_strdup(call, fed_rpc_ctx_token(call));
	if (req->reply_len > 0) {
		uint8_t *b = fed_rpc_ctx_alloc(call, req->reply_len);
		if (b == NULL)
			return FED_RESOURCE_EXHAUSTED;
		for (uint32_t i = 0; i < req->reply_len; i++)
			b[i] = (uint8_t) ('a' + i % 7);
		rep->payload.data = b;
		rep->payload.len = req->reply_len;
	} else {
		rep->payload = req->payload; // borrowed: packed before it goes
	}
	return FED_OK;
}

fed_status
fed_test_echo_register(fed_rpc_server *srv)
{
	static const fed_rpc_method methods[] = {{"Echo", echo_echo}};
	return fed_rpc_server_add_service(
	    srv, &enfed__test__echo__descriptor, methods, 1, NULL);
}

// Sends buf on a new REQ socket dialled to url; the reply's bytes into
// *out (nng_free'd by the caller). 0 on success.
static int
raw_exchange(const char *url, const uint8_t *buf, size_t len, char **out,
    size_t *out_len)
{
	nng_socket s;
	if (nng_req0_open(&s) != 0)
		return -1;
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 3000);
	int rv = nng_dial(s, url, NULL, 0);
	if (rv == 0)
		rv = nng_send(s, (void *) buf, len, 0);
	if (rv == 0)
		rv = nng_recv(s, out, out_len, NNG_FLAG_ALLOC);
	nng_close(s);
	return rv;
}

Enfed__V1__Reply *
fed_test_raw_call(const char *url, const char *method, const char *token,
    size_t token_len, int codec, const void *body, size_t body_len)
{
	Enfed__V1__Request env = ENFED__V1__REQUEST__INIT;
	env.id = 42;
	env.method = (char *) method;
	env.token.data = (uint8_t *) token;
	env.token.len = token_len;
	env.codec = (Enfed__V1__Codec) codec;
	env.body.data = (uint8_t *) body;
	env.body.len = body_len;
	size_t len = enfed__v1__request__get_packed_size(&env);
	uint8_t *buf = malloc(len + 1);
	if (buf == NULL)
		return NULL;
	enfed__v1__request__pack(&env, buf);
	char *rbuf = NULL;
	size_t rlen = 0;
	int rv = raw_exchange(url, buf, len, &rbuf, &rlen);
	free(buf);
	if (rv != 0)
		return NULL;
	Enfed__V1__Reply *rep
	    = enfed__v1__reply__unpack(NULL, rlen, (uint8_t *) rbuf);
	nng_free(rbuf, rlen);
	return rep;
}

char *
fed_test_grant(fed_rpc_client *owner, const fed_test_grant_spec *spec,
    char *id, fed_status *st)
{
	Enfed__V1__Scope sc[2]
	    = {ENFED__V1__SCOPE__SCOPE_QUERY, ENFED__V1__SCOPE__SCOPE_LIVE};
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = spec->from_ms;
	r.to_ms = spec->to_ms;
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.series = (char *) spec->series;
	g.grantee_node = (char *) spec->grantee;
	g.scopes = sc;
	g.n_scopes = spec->live ? 2 : 1;
	g.finest_step = spec->finest;
	g.data_range = &r;
	g.expires_ms = spec->expires_ms;
	Enfed__V1__CreateGrantRequest req
	    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
	req.grant = &g;
	Enfed__V1__CreateGrantResponse *rep = NULL;
	char err[256];
	fed_status s = fed_rpc_call(owner, &enfed__v1__grants__descriptor,
	    "Create", &req.base, (ProtobufCMessage **) &rep, err, sizeof(err));
	if (st != NULL)
		*st = s;
	if (s != FED_OK)
		return NULL;
	char *token = strdup(rep->token);
	if (id != NULL)
		snprintf(id, 40, "%s", rep->grant->id);
	enfed__v1__create_grant_response__free_unpacked(rep, NULL);
	return token;
}
