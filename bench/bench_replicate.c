// SPDX-License-Identifier: MIT
//
// bench_replicate.c: replication between two fed-node processes on
// loopback, over tcp:// and over tls+tcp:// (certificates from fed-pki).
//
//   backlog    --points N (200,000) 5-minute points stored on the owner,
//              then a live grant: points/s until the grantee holds them all
//   live       --live K (200) single points ingested one at a time on the
//              owner: latency from the owner's acknowledgement to the point
//              being in the grantee's store (polled every 0.5 ms): median
//              and p99
//
// Prints `name value unit` lines. Needs the fed-node binary (the build's
// by default, or --node PATH) and, for TLS, cli/fed-pki/fed-pki and
// openssl. Everything runs in a fresh folder under $TMPDIR, removed at the
// end (kept when BENCH_KEEP is set, with the nodes' logs); every process
// started is stopped.

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed/rpc.h"
#include "fed/token.h"
#include "fed_test.h"

#define ADMIN  "bench-admin"
#define PUSH   "bench-push-token"
#define T0     INT64_C(1767222000000)
#define SERIES "kermelo/pv/energy"

struct side {
	char rpc[128], local[128], stream[128];
	int pid;
	fed_rpc_client *cli;
};

static const char *node_bin = FED_NODE_BIN;
static char *base; // the bench's folder
static char dir[600]; // the current run's folder, under base

static int running[2]; // pids of the nodes started, to stop on failure

static void
die(const char *what, fed_status st)
{
	fprintf(
	    stderr, "bench_replicate: %s: %s\n", what, fed_status_name(st));
	for (int i = 0; i < 2; i++)
		if (running[i] > 0)
			fed_test_proc_stop(running[i], SIGKILL, 5000);
	exit(1);
}

static fed_rpc_client *
client(const char *url)
{
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = url;
	o.token = ADMIN;
	o.timeout_ms = 60000;
	fed_rpc_client *c = NULL;
	if (fed_rpc_client_new(&o, &c) != FED_OK)
		die("client", FED_INVALID_ARGUMENT);
	return c;
}

static void
call(fed_rpc_client *c, const ProtobufCServiceDescriptor *svc, const char *m,
    const ProtobufCMessage *req, ProtobufCMessage **rep)
{
	char err[256];
	fed_status st = fed_rpc_call(c, svc, m, req, rep, err, sizeof(err));
	if (st != FED_OK) {
		fprintf(stderr, "bench_replicate: %s: %s\n", m, err);
		die(m, st);
	}
}

// Starts a node; tls: the certificate options, or NULL for tcp.
static void
start(struct side *s, const char *name, const char *tokens, const char *peers,
    char tls[3][700])
{
	char listen[300], po[800];
	snprintf(listen, sizeof(listen), "--listen=%s,%s", s->rpc, s->local);
	snprintf(po, sizeof(po), "--peers-file=%s", peers);
	const char *extra[8] = {listen, po, "--log-level=warning"};
	for (int i = 0; tls != NULL && i < 3; i++)
		extra[3 + i] = tls[i];
	s->pid = fed_test_node_start_ex(
	    node_bin, name, dir, s->local, s->stream, ADMIN, tokens, extra);
	if (s->pid < 0)
		die("starting fed-node", FED_UNAVAILABLE);
	running[running[0] > 0 ? 1 : 0] = s->pid;
	s->cli = client(s->local);
}

static void
stop(struct side *s)
{
	fed_rpc_client_free(s->cli);
	fed_test_proc_stop(s->pid, SIGTERM, 30000);
	for (int i = 0; i < 2; i++)
		if (running[i] == s->pid)
			running[i] = 0;
}

static uint64_t
stored(fed_rpc_client *c)
{
	Enfed__V1__GetSeriesRequest g = ENFED__V1__GET_SERIES_REQUEST__INIT;
	g.id = SERIES;
	Enfed__V1__SeriesInfo *info = NULL;
	char err[256];
	if (fed_rpc_call(c, &enfed__v1__series_store__descriptor, "GetSeries",
	        &g.base, (ProtobufCMessage **) &info, err, sizeof(err))
	    != FED_OK)
		return 0;
	uint64_t n = info->n_points;
	enfed__v1__series_info__free_unpacked(info, NULL);
	return n;
}

static void
ingest(fed_rpc_client *c, int64_t first, size_t n)
{
	int64_t *ts = malloc(n * sizeof(*ts));
	double *v = malloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		ts[i] = T0 + (first + (int64_t) i) * 300000;
		v[i] = (double) ((first + (int64_t) i) % 977);
	}
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT,
	                        *l[1] = {&sp};
	sp.series_id = SERIES;
	sp.ts_ms = ts;
	sp.value = v;
	sp.n_ts_ms = sp.n_value = n;
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = l;
	req.n_series = 1;
	ProtobufCMessage *rep = NULL;
	call(c, &enfed__v1__series_store__descriptor, "Ingest", &req.base,
	    &rep);
	protobuf_c_message_free_unpacked(rep, NULL);
	free(ts);
	free(v);
}

static int
cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
	return (x > y) - (x < y);
}

static void
run(const char *tname, int tls, size_t n_points, size_t n_live)
{
	struct side o = {0}, g = {0};
	const char *sch = tls ? "tls+tcp" : "tcp";
	snprintf(dir, sizeof(dir), "%s/%s", base, tname);
	mkdir(dir, 0700);
	snprintf(o.rpc, sizeof(o.rpc), "%s://127.0.0.1:%d", sch,
	    fed_test_free_port());
	snprintf(g.rpc, sizeof(g.rpc), "%s://127.0.0.1:%d", sch,
	    fed_test_free_port());
	fed_test_ipc_url(o.local, sizeof(o.local), "owner");
	fed_test_ipc_url(g.local, sizeof(g.local), "grantee");
	fed_test_ipc_url(o.stream, sizeof(o.stream), "owners");
	fed_test_ipc_url(g.stream, sizeof(g.stream), "grantees");
	char tokens[700], peers[700], none[700], hash[FED_TOKEN_HASH_LEN + 1];
	snprintf(tokens, sizeof(tokens), "%s/%s-grantee.tokens", dir, tname);
	snprintf(peers, sizeof(peers), "%s/%s-owner.peers", dir, tname);
	snprintf(none, sizeof(none), "%s/%s-none.peers", dir, tname);
	fed_token_hash(PUSH, hash);
	FILE *f = fopen(tokens, "w");
	fprintf(f, "owner replica %s\n", hash);
	fclose(f);
	f = fopen(peers, "w");
	fprintf(f, "grantee %s %s\n", g.rpc, PUSH);
	fclose(f);
	f = fopen(none, "w");
	fclose(f);
	char ot[3][700], gt[3][700];
	const char *who[2] = {"owner", "grantee"};
	for (int k = 0; k < 2; k++) {
		char(*t)[700] = k == 0 ? ot : gt;
		snprintf(t[0], 700, "--tls-cert=%s/pki/%s.crt", base, who[k]);
		snprintf(t[1], 700, "--tls-key=%s/pki/%s.key", base, who[k]);
		snprintf(t[2], 700, "--tls-ca=%s/pki/ca.crt", base);
	}
	start(&g, "grantee", tokens, none, tls ? gt : NULL);
	start(&o, "owner", NULL, peers, tls ? ot : NULL);

	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = SERIES;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	Enfed__V1__CreateSeriesRequest cr
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	cr.meta = &m;
	ProtobufCMessage *rep = NULL;
	call(o.cli, &enfed__v1__series_store__descriptor, "CreateSeries",
	    &cr.base, &rep);
	protobuf_c_message_free_unpacked(rep, NULL);
	for (size_t i = 0; i < n_points; i += 10000)
		ingest(o.cli, (int64_t) i,
		    n_points - i < 10000 ? n_points - i : 10000);

	Enfed__V1__Scope sc[1] = {ENFED__V1__SCOPE__SCOPE_LIVE};
	Enfed__V1__Grant gr = ENFED__V1__GRANT__INIT;
	gr.series = "kermelo/";
	gr.grantee_node = "grantee";
	gr.scopes = sc;
	gr.n_scopes = 1;
	Enfed__V1__CreateGrantRequest gq
	    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
	gq.grant = &gr;
	int64_t t0 = fed_clock_mono_ns();
	call(o.cli, &enfed__v1__grants__descriptor, "Create", &gq.base, &rep);
	protobuf_c_message_free_unpacked(rep, NULL);
	uint64_t have = 0;
	for (int i = 0; i < 600000 && (have = stored(g.cli)) < n_points; i++)
		fed_test_sleep_ms(5);
	double secs = (double) (fed_clock_mono_ns() - t0) / 1e9;
	if (have != n_points)
		die("backlog incomplete", FED_DATA_LOSS);
	printf("replicate_%s_backlog %.0f points/s\n", tname,
	    (double) n_points / secs);

	int64_t *lat = calloc(n_live, sizeof(*lat));
	for (size_t k = 0; k < n_live; k++) {
		ingest(o.cli, (int64_t) (n_points + k), 1);
		int64_t t = fed_clock_mono_ns();
		uint64_t want = n_points + k + 1;
		for (int i = 0; i < 20000 && stored(g.cli) < want; i++)
			;
		lat[k] = fed_clock_mono_ns() - t;
	}
	qsort(lat, n_live, sizeof(*lat), cmp);
	printf("replicate_%s_live_median %.2f ms\n", tname,
	    (double) lat[n_live / 2] / 1e6);
	printf("replicate_%s_live_p99 %.2f ms\n", tname,
	    (double) lat[n_live * 99 / 100] / 1e6);
	fflush(stdout);
	free(lat);
	stop(&o);
	stop(&g);
}

static int
pki(const char *a0, const char *a1, const char *a2)
{
	char tool[600];
	snprintf(
	    tool, sizeof(tool), "%s/cli/fed-pki/fed-pki", FED_SOURCE_ROOT);
	char *argv[] = {tool, (char *) a0, (char *) a1, (char *) a2, "--dns",
	    "127.0.0.1", NULL};
	if (a2 == NULL)
		argv[3] = NULL;
	return fed_test_spawn(argv, 0);
}

int
main(int argc, char **argv)
{
	size_t n_points = 200000, n_live = 200;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--points") == 0)
			n_points = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--live") == 0)
			n_live = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--node") == 0)
			node_bin = argv[i + 1];
		else {
			fprintf(stderr,
			    "usage: bench_replicate [--points N] "
			    "[--live K] [--node FED_NODE]\n");
			return 2;
		}
	}
	if (n_points == 0 || n_live == 0)
		return 2;
	base = fed_test_tmpdir("bench-replicate");
	run("tcp", 0, n_points, n_live);
	char ca[700];
	snprintf(ca, sizeof(ca), "%s/pki", base);
	if (pki("ca", ca, NULL) != 0 || pki("node", ca, "owner") != 0
	    || pki("node", ca, "grantee") != 0)
		die("fed-pki", FED_UNAVAILABLE);
	run("tls", 1, n_points, n_live);
	if (getenv("BENCH_KEEP") == NULL)
		fed_test_rmtree(base);
	free(base);
	return 0;
}
