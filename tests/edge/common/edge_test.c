// SPDX-License-Identifier: MIT
//
// edge_test.c: helpers of edge_test.h.

#include "edge_test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed_test.h"

// What a test started and has not stopped yet, for edge_test_teardown.
// Copies, not pointers to the tests' edge_node (on their stacks, gone
// once a failed assertion left the test).
#define LIVE_MAX 16
static int live_pids[LIVE_MAX];
static struct live_node {
	const char *key; // n->dir, for lookup only
	char *dir; // a copy
	int pid;
	fed_rpc_client *client;
} live_nodes[LIVE_MAX];

static struct live_node *
live_of(const edge_node *n)
{
	for (int i = 0; i < LIVE_MAX; i++)
		if (live_nodes[i].key != NULL && live_nodes[i].key == n->dir)
			return &live_nodes[i];
	return NULL;
}

// Records the node's state now (or forgets it when gone is set).
static void
track(const edge_node *n, int gone)
{
	struct live_node *l = live_of(n);
	for (int i = 0; l == NULL && i < LIVE_MAX; i++)
		if (live_nodes[i].key == NULL) {
			l = &live_nodes[i];
			l->key = n->dir;
			l->dir = strdup(n->dir);
		}
	if (l == NULL)
		return;
	l->pid = n->pid;
	l->client = n->client;
	if (gone) {
		free(l->dir);
		memset(l, 0, sizeof(*l));
	}
}

static void
nap_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int
connect_client(edge_node *n)
{
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = n->rpc;
	o.token = EDGE_TEST_ADMIN;
	o.timeout_ms = 20000; // a query of 100,000 points under ASan
	return fed_rpc_client_new(&o, &n->client) == FED_OK ? 0 : -1;
}

int
edge_node_start(edge_node *n, const char *tag)
{
	memset(n, 0, sizeof(*n));
	n->dir = fed_test_tmpdir(tag);
	if (n->dir == NULL)
		return -1;
	track(n, 0);
	fed_test_ipc_url(n->rpc, sizeof(n->rpc), "edgerpc");
	fed_test_ipc_url(n->stream, sizeof(n->stream), "edgestream");
	if (edge_node_restart(n) != 0)
		return -1;
	int rc = connect_client(n);
	track(n, 0);
	return rc;
}

int
edge_node_start_with(edge_node *n, const char *tag, const char *tokens_text,
    const char *const *extra)
{
	memset(n, 0, sizeof(*n));
	n->dir = fed_test_tmpdir(tag);
	if (n->dir == NULL)
		return -1;
	track(n, 0);
	fed_test_ipc_url(n->rpc, sizeof(n->rpc), "edgerpc");
	fed_test_ipc_url(n->stream, sizeof(n->stream), "edgestream");
	char tokens[600];
	snprintf(tokens, sizeof(tokens), "%s/tokens", n->dir);
	FILE *f = fopen(tokens, "w");
	if (f == NULL)
		return -1;
	int bad = fputs(tokens_text, f) < 0;
	bad |= fclose(f) != 0;
	if (bad)
		return -1;
	n->pid = fed_test_node_start_ex(FED_NODE_BIN, "node", n->dir, n->rpc,
	    n->stream, EDGE_TEST_ADMIN, tokens, extra);
	track(n, 0);
	if (n->pid <= 0)
		return -1;
	int rc = connect_client(n);
	track(n, 0);
	return rc;
}

int
edge_node_restart(edge_node *n)
{
	n->pid = fed_test_node_start(FED_NODE_BIN, "node", n->dir, n->rpc,
	    n->stream, EDGE_TEST_ADMIN, NULL);
	track(n, 0);
	return n->pid > 0 ? 0 : -1;
}

void
edge_node_kill(edge_node *n, int sig)
{
	if (n->pid > 0)
		fed_test_proc_stop(n->pid, sig, 10000);
	n->pid = 0;
	track(n, 0);
}

void
edge_node_stop(edge_node *n)
{
	edge_node_kill(n, SIGTERM);
	fed_rpc_client_free(n->client);
	n->client = NULL;
	if (n->dir != NULL)
		fed_test_rmtree(n->dir);
	track(n, 1);
	free(n->dir);
	n->dir = NULL;
}

int
edge_proc_start(char *const argv[], const char *log_path)
{
	int pid = fed_test_proc_start(argv, log_path);
	for (int i = 0; pid > 0 && i < LIVE_MAX; i++)
		if (live_pids[i] == 0) {
			live_pids[i] = pid;
			break;
		}
	return pid;
}

int
edge_proc_stop(int pid, int sig, int timeout_ms)
{
	for (int i = 0; i < LIVE_MAX; i++)
		if (live_pids[i] == pid)
			live_pids[i] = 0;
	return fed_test_proc_stop(pid, sig, timeout_ms);
}

int
edge_test_teardown(void **state)
{
	(void) state;
	for (int i = 0; i < LIVE_MAX; i++)
		if (live_pids[i] > 0)
			edge_proc_stop(live_pids[i], SIGKILL, 1000);
	for (int i = 0; i < LIVE_MAX; i++) {
		struct live_node *l = &live_nodes[i];
		if (l->key == NULL)
			continue;
		if (l->pid > 0)
			fed_test_proc_stop(l->pid, SIGKILL, 1000);
		fed_rpc_client_free(l->client);
		fed_test_rmtree(l->dir);
		free(l->dir);
		free((char *) l->key); // the test's n->dir, never freed
		memset(l, 0, sizeof(*l));
	}
	return 0;
}

static fed_status
copy_result(
    const Enfed__V1__SeriesResult *r, int64_t **ts, double **v, size_t *n)
{
	*n = r->n_ts_ms;
	if (r->n_ts_ms == 0)
		return FED_OK;
	*ts = malloc(r->n_ts_ms * sizeof(**ts));
	*v = malloc(r->n_ts_ms * sizeof(**v));
	if (*ts == NULL || *v == NULL)
		return FED_RESOURCE_EXHAUSTED;
	memcpy(*ts, r->ts_ms, r->n_ts_ms * sizeof(**ts));
	memcpy(*v, r->value, r->n_ts_ms * sizeof(**v));
	return FED_OK;
}

fed_status
edge_query_raw(
    fed_rpc_client *c, const char *id, int64_t **ts, double **v, size_t *n)
{
	*ts = NULL;
	*v = NULL;
	*n = 0;
	char *ids[1] = {(char *) id};
	Enfed__V1__TimeRange range = ENFED__V1__TIME_RANGE__INIT;
	range.from_ms = 0;
	range.to_ms = INT64_C(7289654400000);
	Enfed__V1__QueryRequest req = ENFED__V1__QUERY_REQUEST__INIT;
	req.series_ids = ids;
	req.n_series_ids = 1;
	req.range = &range;
	req.step = ENFED__V1__STEP__STEP_RAW;
	Enfed__V1__QueryResponse *rep = NULL;
	char err[256];
	fed_status st = fed_rpc_call(c, &enfed__v1__series_store__descriptor,
	    "Query", &req.base, (ProtobufCMessage **) &rep, err, sizeof(err));
	if (st != FED_OK) {
		fprintf(stderr, "query %s: %s\n", id, err);
		return st;
	}
	if (rep->n_results == 1)
		st = copy_result(rep->results[0], ts, v, n);
	enfed__v1__query_response__free_unpacked(rep, NULL);
	return st;
}

size_t
edge_wait_points(
    fed_rpc_client *c, const char *id, size_t want, int timeout_ms)
{
	size_t n = 0;
	int64_t end = fed_clock_mono_ms() + timeout_ms;
	for (int i = 0; i < 100000 && fed_clock_mono_ms() <= end; i++) {
		int64_t *ts;
		double *v;
		if (edge_query_raw(c, id, &ts, &v, &n) != FED_OK)
			n = 0;
		free(ts);
		free(v);
		if (n >= want)
			return n;
		nap_ms(50);
	}
	return n;
}

int
edge_run(char *const argv[], const char *log_path, int timeout_ms)
{
	int pid = fed_test_proc_start(argv, log_path);
	if (pid <= 0)
		return -1;
	int status = 0;
	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid((pid_t) pid, &status, WNOHANG);
		if (r == (pid_t) pid)
			break;
		if (r < 0)
			return -1;
		if (waited >= timeout_ms)
			return fed_test_proc_stop(pid, SIGKILL, 1000);
		nap_ms(10);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

int
edge_log_counter(const char *log_path, const char *key, uint64_t *out)
{
	FILE *f = fopen(log_path, "r");
	if (f == NULL)
		return -1;
	char line[2048], last[2048] = "";
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "summary:") != NULL)
			memcpy(last, line, sizeof(last));
	fclose(f);
	char pat[80];
	snprintf(pat, sizeof(pat), " %s=", key);
	const char *p = strstr(last, pat);
	if (p == NULL)
		return -1;
	*out = strtoull(p + strlen(pat), NULL, 10);
	return 0;
}

void
edge_dump_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	char line[1024];
	while (fgets(line, sizeof(line), f) != NULL)
		fputs(line, stderr);
	fclose(f);
}
