// SPDX-License-Identifier: MIT
//
// bench_hostile.c: the resident memory of one fed-node process under the
// queries of issue 16, item 5, on loopback. Starts a node (--node, default
// the fed-node of this build), creates --ids (2) series, then --clients
// (16) clients, each its own connection, send --rounds (3) times at once:
//   dup     the query: one id repeated 64 times, --buckets
//           (199,000; the store's bound per series is 200,000) 5-minute
//           buckets;
//   large   the --ids distinct series over --buckets 5-minute buckets
//           (2 x 199,000 = 398,000 cells: under the node's default bound
//           of 500,000, the largest kind of answer it still gives).
// Prints, for each, the answers by status, and the node's resident memory
// (VmRSS) before, its peak (VmHWM) and VmRSS 2 s after the last answer:
//   hostile_<kind>_rss_before 12.3 MB ...
// Then opens --idle (1,000) connections that complete the SP handshake
// and stay silent, all from 127.0.0.1, and prints how many the node still
// holds after 2 s, its open descriptors, and whether a Health call from a
// new client is answered (it is refused while the bound per address is
// full: that client comes from the same address).
// With --node pointing at an older fed-node, the same figures before a
// fix.

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed_test.h"

#define TOKEN      "bench-hostile-token"
#define T0_MS      INT64_C(1600000000000)
#define STEP_MS    300000
#define N_DUP      64
#define MAX_IDS    64
#define MAX_CLIENT 256
#define MAX_IDLE   4000

struct opts {
	const char *node;
	int clients, rounds, ids, buckets, idle;
};

struct job {
	const char *url;
	const struct opts *o;
	int dup;
	int n_ok, n_exhausted, n_invalid, n_other;
	pthread_t th;
};

// VmRSS or VmHWM of pid, in MB (-1 when unreadable).
static double
proc_mb(int pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	double mb = -1;
	size_t len = strlen(field);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, field, len) == 0 && line[len] == ':')
			mb = strtod(line + len + 1, NULL) / 1024.0;
	}
	if (f != NULL)
		fclose(f);
	return mb;
}

static void
series_id(char *buf, size_t len, int i)
{
	snprintf(buf, len, "bench/hostile/%d", i);
}

static void *
job_main(void *arg)
{
	struct job *j = arg;
	fed_rpc_client_opts co;
	fed_rpc_client_opts_default(&co);
	co.url = j->url;
	co.token = TOKEN;
	co.timeout_ms = 120000;
	co.max_msg = 1u << 30;
	co.codec.max_len = 1u << 30;
	fed_rpc_client *c = NULL;
	if (fed_rpc_client_new(&co, &c) != FED_OK)
		return NULL;
	char names[MAX_IDS][48];
	char *ids[N_DUP];
	int n = j->dup ? N_DUP : j->o->ids;
	for (int i = 0; i < n; i++) {
		series_id(names[i], sizeof(names[i]), j->dup ? 0 : i);
		ids[i] = names[i];
	}
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = T0_MS;
	r.to_ms = T0_MS + (int64_t) j->o->buckets * STEP_MS;
	Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
	q.series_ids = ids;
	q.n_series_ids = (size_t) n;
	q.range = &r;
	q.step = ENFED__V1__STEP__STEP_5MIN;
	for (int k = 0; k < j->o->rounds; k++) {
		ProtobufCMessage *res = NULL;
		char err[256];
		fed_status st
		    = fed_rpc_call(c, &enfed__v1__series_store__descriptor,
		        "Query", &q.base, &res, err, sizeof(err));
		protobuf_c_message_free_unpacked(res, NULL);
		if (st != FED_OK && k == 0)
			fprintf(stderr, "# %s\n", err);
		j->n_ok += st == FED_OK;
		j->n_exhausted += st == FED_RESOURCE_EXHAUSTED;
		j->n_invalid += st == FED_INVALID_ARGUMENT;
		j->n_other += st != FED_OK && st != FED_RESOURCE_EXHAUSTED
		    && st != FED_INVALID_ARGUMENT;
	}
	fed_rpc_client_free(c);
	return NULL;
}

static void
create_series(const char *url, int n)
{
	fed_rpc_client *c = fed_test_client(url, TOKEN);
	for (int i = 0; c != NULL && i < n; i++) {
		char id[48];
		series_id(id, sizeof(id), i);
		Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
		m.id = id;
		m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
		m.unit = ENFED__V1__UNIT__UNIT_WH;
		m.interval_s = 300;
		Enfed__V1__CreateSeriesRequest cr
		    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
		cr.meta = &m;
		Enfed__V1__SeriesInfo *info = NULL;
		if (fed_test_store_call(c, "CreateSeries", &cr, &info)
		        != FED_OK
		    || fed_test_ingest_every(c, id, T0_MS, T0_MS + 86400000,
		           STEP_MS, 1.0, 0, 0, NULL, NULL)
		        != FED_OK) {
			fprintf(
			    stderr, "bench_hostile: cannot create %s\n", id);
			exit(1);
		}
		protobuf_c_message_free_unpacked(&info->base, NULL);
	}
	fed_rpc_client_free(c);
}

static void
run_kind(const char *url, int pid, const struct opts *o, int dup)
{
	const char *kind = dup ? "dup" : "large";
	struct job jobs[MAX_CLIENT];
	double before = proc_mb(pid, "VmRSS");
	for (int i = 0; i < o->clients; i++) {
		jobs[i] = (struct job) {.url = url, .o = o, .dup = dup};
		pthread_create(&jobs[i].th, NULL, job_main, &jobs[i]);
	}
	int ok = 0, exh = 0, inv = 0, other = 0;
	for (int i = 0; i < o->clients; i++) {
		pthread_join(jobs[i].th, NULL);
		ok += jobs[i].n_ok;
		exh += jobs[i].n_exhausted;
		inv += jobs[i].n_invalid;
		other += jobs[i].n_other;
	}
	fed_test_sleep_ms(2000);
	printf("hostile_%s_ok %d answers\n", kind, ok);
	printf("hostile_%s_resource_exhausted %d answers\n", kind, exh);
	printf("hostile_%s_invalid_argument %d answers\n", kind, inv);
	printf("hostile_%s_other_errors %d answers\n", kind, other);
	printf("hostile_%s_rss_before %.1f MB\n", kind, before);
	printf("hostile_%s_rss_peak %.1f MB\n", kind, proc_mb(pid, "VmHWM"));
	printf("hostile_%s_rss_after %.1f MB\n", kind, proc_mb(pid, "VmRSS"));
	fflush(stdout);
}

// A connection to 127.0.0.1:port that completed the SP handshake as a
// REQ peer; -1 when refused.
static int
idle_conn(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t) port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	static const uint8_t h[8] = {0, 'S', 'P', 0, 0, 0x30, 0, 0};
	if (fd < 0 || connect(fd, (struct sockaddr *) &a, sizeof(a)) != 0
	    || send(fd, h, sizeof(h), MSG_NOSIGNAL) != (ssize_t) sizeof(h)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

// 1 while the node keeps fd open (nothing to read but its handshake).
static int
still_open(int fd)
{
	uint8_t buf[64];
	for (int i = 0; i < 4; i++) { // the handshake, then EOF or nothing
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 0) <= 0)
			return 1;
		ssize_t got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (got == 0 || (got < 0 && errno != EAGAIN))
			return 0;
	}
	return 1;
}

static int
count_fds(int pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	DIR *d = opendir(path);
	int n = 0;
	for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
		n += e->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return n;
}

static void
run_idle(const char *url, int port, int pid, int n_idle)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	static int fds[MAX_IDLE];
	int opened = 0, held = 0;
	for (int i = 0; i < n_idle; i++) {
		fds[i] = idle_conn(port);
		opened += fds[i] >= 0;
	}
	fed_test_sleep_ms(2000);
	for (int i = 0; i < n_idle; i++)
		held += fds[i] >= 0 && still_open(fds[i]);
	int64_t t = fed_test_now_ms();
	fed_status st = fed_test_wait_health(url, 2000);
	printf("hostile_idle_opened %d connections\n", opened);
	printf("hostile_idle_held %d connections\n", held);
	printf("hostile_idle_node_fds %d descriptors\n", count_fds(pid));
	printf("hostile_idle_health_same_address %s %lld ms\n",
	    fed_status_name(st), (long long) (fed_test_now_ms() - t));
	for (int i = 0; i < n_idle; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
	t = fed_test_now_ms();
	st = fed_test_wait_health(url, 5000);
	printf("hostile_idle_health_after %s %lld ms\n", fed_status_name(st),
	    (long long) (fed_test_now_ms() - t));
	fflush(stdout);
}

static int
int_arg(const char *a, const char *name, int *out)
{
	size_t len = strlen(name);
	if (strncmp(a, name, len) != 0 || a[len] != '=')
		return 0;
	*out = atoi(a + len + 1);
	return 1;
}

int
main(int argc, char **argv)
{
	struct opts o = {FED_NODE_BIN, 16, 3, 2, 199000, 1000};
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--node=", 7) == 0)
			o.node = argv[i] + 7;
		else if (!int_arg(argv[i], "--clients", &o.clients)
		    && !int_arg(argv[i], "--rounds", &o.rounds)
		    && !int_arg(argv[i], "--ids", &o.ids)
		    && !int_arg(argv[i], "--buckets", &o.buckets)
		    && !int_arg(argv[i], "--idle", &o.idle)) {
			fprintf(stderr,
			    "usage: bench_hostile [--node=PATH] [--clients=N] "
			    "[--rounds=N] [--ids=N] [--buckets=N] "
			    "[--idle=N]\n");
			return 2;
		}
	}
	if (o.clients < 1 || o.clients > MAX_CLIENT || o.ids < 1
	    || o.ids > MAX_IDS || o.rounds < 1 || o.rounds > 100 || o.idle < 0
	    || o.idle > MAX_IDLE)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	char *dir = fed_test_tmpdir("bench-hostile");
	char rpc[64], stream[64];
	int port = fed_test_free_port();
	snprintf(rpc, sizeof(rpc), "tcp://127.0.0.1:%d", port);
	snprintf(stream, sizeof(stream), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	int pid = fed_test_node_start(
	    o.node, "hostile", dir, rpc, stream, TOKEN, NULL);
	if (pid <= 0) {
		fprintf(stderr, "bench_hostile: the node did not start\n");
		return 1;
	}
	create_series(rpc, o.ids);
	printf(
	    "# bench_hostile: %d clients x %d rounds, %d ids x %d buckets\n",
	    o.clients, o.rounds, o.ids, o.buckets);
	run_kind(rpc, pid, &o, 1);
	run_kind(rpc, pid, &o, 0);
	if (o.idle > 0)
		run_idle(rpc, port, pid, o.idle);
	int rc = fed_test_proc_stop(pid, SIGTERM, 20000) == 0 ? 0 : 1;
	fed_test_rmtree(dir);
	free(dir);
	return rc;
}
