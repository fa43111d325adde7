// SPDX-License-Identifier: MIT
//
// bench_edge.c: the edge collectors' figures. Prints `name value unit`
// lines:
//   - fed-edge-tic replaying a real capture (the Tempo frames, repeated)
//     into a fed-node, every frame sampled: its resident memory (VmRSS
//     once the replay is sent, and VmHWM, the peak) and the frames per
//     second it got through, sending included;
//   - the spool as the collectors use it (edge_sender_submit of a typical
//     TIC record: six indexes and the power): records per second with an
//     fsync per record and with group commit, while the node is away;
//     then the backlog forwarded to the node, records per second;
//   - calls in flight: a full spool forwarded to a fed-node over tcp://
//     loopback with --in-flight 1 and 4, --batch-max 1 (one record a
//     call) and 64 (records of the same series merged), points per
//     second (all of them checked stored) and the
//     forwarding process's peak resident memory (VmHWM), for a gateway's
//     backlog (16 meters, each record one meter's two indexes over an
//     hour: 24 points) and for a single meter's (the TIC record: the same
//     seven series in every record, which never fly together).
//
// Usage: bench_edge [n_copies] (of the 10-frame capture; default 300)
//        bench_edge --in-flight (the calls-in-flight figures only)

#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edge_sender.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed/log.h"
#include "fed/rpc.h"
#include "fed_test.h"
#include "tic_parse.h"

#define ADMIN "bench-edge-admin"
#define T0    INT64_C(1767222000000)

static int node_pid; // stopped on the way out, even on failure
static char *scratch;

static void
die(const char *what)
{
	fprintf(stderr, "bench_edge: %s\n", what);
	if (node_pid > 0)
		fed_test_proc_stop(node_pid, SIGTERM, 10000);
	if (scratch != NULL)
		fed_test_rmtree(scratch);
	exit(1);
}

static void
nap_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

// VmRSS or VmHWM of pid, kB; -1 if unreadable.
static long
proc_kb(int pid, const char *key)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	long kb = -1;
	size_t k = strlen(key);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, k) == 0 && line[k] == ':')
			kb = strtol(line + k + 1, NULL, 10);
	if (f != NULL)
		fclose(f);
	return kb;
}

// Points of series id on the node (Latest), 0 if unknown.
static uint64_t
n_points(fed_rpc_client *c, const char *id)
{
	char *ids[1] = {(char *) id};
	Enfed__V1__LatestRequest req = ENFED__V1__LATEST_REQUEST__INIT;
	req.series_ids = ids;
	req.n_series_ids = 1;
	Enfed__V1__LatestResponse *rep = NULL;
	if (fed_rpc_call(c, &enfed__v1__series_store__descriptor, "Latest",
	        &req.base, (ProtobufCMessage **) &rep, NULL, 0)
	    != FED_OK)
		return 0;
	uint64_t n = rep->n_series == 1 ? rep->series[0]->n_points : 0;
	enfed__v1__latest_response__free_unpacked(rep, NULL);
	return n;
}

static void
count_frame(const tic_frame *f, void *arg)
{
	(void) f;
	(*(long *) arg)++;
}

// The capture repeated n times into dir/replay.bin; the number of frames
// the parser delivers from it.
static long
make_capture(const char *dir, long copies, char *path, size_t len)
{
	char src[1024];
	const char *fx = getenv("FED_FIXTURES");
	snprintf(src, sizeof(src), "%s/tic/historic_tempo_frames.bin",
	    fx != NULL ? fx : FED_FIXTURES_DEFAULT);
	FILE *in = fopen(src, "rb");
	if (in == NULL)
		die("cannot read the capture");
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	snprintf(path, len, "%s/replay.bin", dir);
	FILE *out = fopen(path, "wb");
	for (long i = 0; out != NULL && i < copies; i++)
		fwrite(buf, 1, n, out);
	if (out == NULL || fclose(out) != 0)
		die("cannot write the replay file");
	static tic_parser p;
	long frames = 0;
	tic_parser_init(&p, TIC_MODE_AUTO);
	for (long i = 0; i < copies; i++)
		tic_parser_feed(
		    &p, (const uint8_t *) buf, n, count_frame, &frames);
	return frames;
}

static void
bench_tic_rss(const char *dir, const char *rpc, fed_rpc_client *c, long copies)
{
	char input[1100], a[4][1200];
	long frames = make_capture(dir, copies, input, sizeof(input));
	snprintf(a[0], sizeof(a[0]), "--node=%s", rpc);
	snprintf(a[1], sizeof(a[1]), "--input=%s", input);
	snprintf(a[2], sizeof(a[2]), "--spool-dir=%s/tic-spool", dir);
	snprintf(a[3], sizeof(a[3]), "--replay-clock=%lld", (long long) T0);
	char *argv[] = {FED_EDGE_TIC_BIN, a[0], a[1], a[2], a[3],
	    "--token=" ADMIN, "--site=b", "--period=0", "--power-period=0",
	    "--follow", "--spool-sync=group", "--log-level=warning", NULL};
	char log[1100];
	snprintf(log, sizeof(log), "%s/tic.log", dir);
	int64_t t0 = fed_clock_mono_ms();
	int pid = fed_test_proc_start(argv, log);
	if (pid <= 0)
		die("cannot start fed-edge-tic");
	long peak = 0;
	uint64_t got = 0;
	for (int i = 0; i < 12000 && got < (uint64_t) frames; i++) {
		long kb = proc_kb(pid, "VmRSS");
		peak = kb > peak ? kb : peak;
		if (i % 10 == 0)
			got = n_points(c, "b/linky/power");
		nap_ms(10);
	}
	int64_t ms = fed_clock_mono_ms() - t0;
	long rss = proc_kb(pid, "VmRSS"), hwm = proc_kb(pid, "VmHWM");
	fed_test_proc_stop(pid, SIGTERM, 10000);
	if (got < (uint64_t) frames)
		die("fed-edge-tic did not send every frame in 120 s");
	printf("tic_replay_frames %ld frames\n", frames);
	printf("tic_replay_rate %.0f frames/s\n", (double) frames * 1000 / ms);
	printf("tic_rss_after_replay %.2f MB\n", (double) rss / 1024);
	printf("tic_rss_sampled_peak %.2f MB\n", (double) peak / 1024);
	printf("tic_vmhwm %.2f MB\n", (double) hwm / 1024);
}

// One TIC record: six Tempo indexes and the power.
static fed_status
submit_tic_record(edge_sender *s, long k)
{
	static char *ids[7] = {"b/linky/index_bbrhcjb",
	    "b/linky/index_bbrhpjb", "b/linky/index_bbrhcjw",
	    "b/linky/index_bbrhpjw", "b/linky/index_bbrhcjr",
	    "b/linky/index_bbrhpjr", "b/linky/power"};
	Enfed__V1__SeriesPoints sp[7], *ptrs[7];
	int64_t ts = T0 + k * 1000;
	double v[7];
	for (int i = 0; i < 7; i++) {
		v[i] = 18328856.0 + (double) (k * 7 + i);
		enfed__v1__series_points__init(&sp[i]);
		sp[i].series_id = ids[i];
		sp[i].ts_ms = &ts;
		sp[i].value = &v[i];
		sp[i].n_ts_ms = sp[i].n_value = 1;
		ptrs[i] = &sp[i];
	}
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = ptrs;
	req.n_series = 7;
	return edge_sender_submit(s, &req);
}

static edge_sender *
sender(const char *url, const char *spool, fed_spool_sync_mode mode)
{
	edge_sender_opts o;
	edge_sender_opts_default(&o);
	o.node_url = url;
	o.token = ADMIN;
	o.spool_dir = spool;
	o.sync = mode;
	o.spool_max_bytes = 256u << 20;
	o.rpc_timeout_ms = 2000;
	o.backoff_min_ms = 20;
	o.backoff_max_ms = 100;
	edge_sender *s = NULL;
	if (edge_sender_new(&o, &s) != FED_OK)
		die("cannot open the sender");
	return s;
}

static double
bench_submit(const char *dir, fed_spool_sync_mode mode, long n)
{
	char spool[1100], dead_url[1100];
	snprintf(spool, sizeof(spool), "%s/submit-%d", dir, (int) mode);
	fed_test_ipc_url(dead_url, sizeof(dead_url), "nobody");
	edge_sender *s = sender(dead_url, spool, mode);
	int64_t t0 = fed_clock_mono_ns();
	for (long k = 0; k < n; k++)
		if (submit_tic_record(s, k) != FED_OK)
			die("submit failed");
	int64_t ns = fed_clock_mono_ns() - t0;
	edge_sender_free(s);
	fed_test_rmtree(spool);
	return (double) n * 1e9 / (double) ns;
}

static void
bench_forward(const char *dir, const char *rpc, long n)
{
	char spool[1100], dead_url[1100];
	snprintf(spool, sizeof(spool), "%s/forward", dir);
	fed_test_ipc_url(dead_url, sizeof(dead_url), "nobody");
	edge_sender *s = sender(dead_url, spool, FED_SPOOL_SYNC_GROUP);
	for (int i = 0; i < 7; i++) {
		static const char *q[7] = {"bbrhcjb", "bbrhpjb", "bbrhcjw",
		    "bbrhpjw", "bbrhcjr", "bbrhpjr", NULL};
		char id[64] = "b/linky/power";
		if (q[i] != NULL)
			snprintf(id, sizeof(id), "b/linky/index_%s", q[i]);
		Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
		m.id = id;
		m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_POWER;
		m.unit = ENFED__V1__UNIT__UNIT_VA;
		m.interval_s = 1;
		edge_sender_declare(s, &m);
	}
	for (long k = 0; k < n; k++)
		if (submit_tic_record(s, 1000000 + k) != FED_OK)
			die("submit failed");
	edge_sender_free(s); // the backlog stays in the spool
	s = sender(rpc, spool, FED_SPOOL_SYNC_GROUP);
	int64_t t0 = fed_clock_mono_ns();
	if (edge_sender_drain(s, 300000) != FED_OK)
		die("the backlog was not forwarded in 300 s");
	int64_t ns = fed_clock_mono_ns() - t0;
	edge_sender_free(s);
	printf("sender_forward_backlog %.0f records/s\n",
	    (double) n * 1e9 / (double) ns);
}

// One gateway record: meter m's two indexes, 12 five-minute readings each,
// the hour h.
static fed_status
submit_meter_hour(edge_sender *s, const char *site, int m, long h)
{
	char ids[2][64];
	int64_t ts[12];
	double v[2][12];
	Enfed__V1__SeriesPoints sp[2], *ptrs[2] = {&sp[0], &sp[1]};
	for (int i = 0; i < 12; i++)
		ts[i] = T0 + h * 3600000 + i * 300000;
	for (int q = 0; q < 2; q++) {
		snprintf(ids[q], sizeof(ids[q]), "%s/m%d/index_%s", site, m,
		    q == 0 ? "hchc" : "hchp");
		for (int i = 0; i < 12; i++)
			v[q][i] = 1e6 + (double) (h * 12 + i) * 50 + q;
		enfed__v1__series_points__init(&sp[q]);
		sp[q].series_id = ids[q];
		sp[q].ts_ms = ts;
		sp[q].value = v[q];
		sp[q].n_ts_ms = sp[q].n_value = 12;
	}
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = ptrs;
	req.n_series = 2;
	return edge_sender_submit(s, &req);
}

static void
declare_index(edge_sender *s, const char *id)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_INDEX;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.cumulative = 1;
	m.interval_s = 300;
	if (edge_sender_declare(s, &m) != FED_OK)
		die("declare failed");
}

// A backlog of n records for site (gateway: 16 meters; else the TIC
// record) in spool, written while no node is there.
static long
fill_backlog(
    const char *spool, const char *site, bool gateway, long n, long k0)
{
	char dead_url[1100], id[64];
	fed_test_ipc_url(dead_url, sizeof(dead_url), "nobody");
	edge_sender *s = sender(dead_url, spool, FED_SPOOL_SYNC_GROUP);
	static const char *tic[7]
	    = {"index_bbrhcjb", "index_bbrhpjb", "index_bbrhcjw",
	        "index_bbrhpjw", "index_bbrhcjr", "index_bbrhpjr", "power"};
	for (int i = 0; !gateway && i < 7; i++) {
		snprintf(id, sizeof(id), "b/linky/%s", tic[i]);
		declare_index(s, id);
	}
	for (int m = 0; gateway && m < 16; m++)
		for (int q = 0; q < 2; q++) {
			snprintf(id, sizeof(id), "%s/m%d/index_%s", site, m,
			    q == 0 ? "hchc" : "hchp");
			declare_index(s, id);
		}
	for (long k = 0; k < n; k++) {
		fed_status st = gateway
		    ? submit_meter_hour(s, site, (int) (k % 16), k / 16)
		    : submit_tic_record(s, k0 + k);
		if (st != FED_OK)
			die("submit failed");
	}
	edge_sender_free(s);
	return gateway ? n * 24 : n * 7;
}

// Forwards the backlog (run as "bench_edge --forward URL SPOOL IN_FLIGHT
// POINTS", a process of its own, so that its VmHWM is the sender's
// alone): writes "<points/s> <VmHWM kB>" to fd and exits.
static void
forward_child(int fd, const char *url, const char *spool, unsigned in_flight,
    unsigned batch, long points)
{
	edge_sender_opts o;
	edge_sender_opts_default(&o);
	o.node_url = url;
	o.token = ADMIN;
	o.spool_dir = spool;
	o.sync = FED_SPOOL_SYNC_GROUP;
	o.spool_max_bytes = 256u << 20;
	o.rpc_timeout_ms = 10000;
	o.backoff_min_ms = 20;
	o.backoff_max_ms = 100;
	o.in_flight = in_flight;
	o.batch_max = batch;
	edge_sender *s = NULL;
	if (edge_sender_new(&o, &s) != FED_OK)
		_exit(1);
	int64_t t0 = fed_clock_mono_ns();
	fed_status st = edge_sender_drain(s, 600000);
	int64_t ns = fed_clock_mono_ns() - t0;
	edge_sender_stats ss;
	edge_sender_get_stats(s, &ss);
	edge_sender_free(s);
	if (ss.n_points_stored != (uint64_t) points) // all new, all stored
		_exit(1);
	char line[128];
	int n = snprintf(line, sizeof(line), "%.0f %ld\n",
	    (double) points * 1e9 / (double) ns, proc_kb(getpid(), "VmHWM"));
	if (st != FED_OK || write(fd, line, (size_t) n) != n)
		_exit(1);
	_exit(0);
}

// One backlog forwarded with in_flight calls of up to batch records.
static void
forward_run(const char *dir, const char *tcp_url, int run, bool gateway,
    unsigned in_flight, unsigned batch)
{
	char spool[1100], site[16];
	snprintf(spool, sizeof(spool), "%s/flight-%d", dir, run);
	snprintf(site, sizeof(site), "f%d", run);
	long points = fill_backlog(spool, site, gateway, gateway ? 8000 : 5000,
	    3000000 + (long) run * 10000);
	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	fflush(stdout);
	// A new program (nng does not survive a fork): this one again, with
	// --forward.
	char nf[16], nb[16], np[32];
	snprintf(nf, sizeof(nf), "%u", in_flight);
	snprintf(nb, sizeof(nb), "%u", batch);
	snprintf(np, sizeof(np), "%ld", points);
	char *argv[] = {"bench_edge", "--forward", (char *) tcp_url, spool, nf,
	    nb, np, NULL};
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], STDOUT_FILENO);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(p[1]);
	char line[128] = "";
	ssize_t n = pid > 0 ? read(p[0], line, sizeof(line) - 1) : -1;
	close(p[0]);
	int status = 0;
	if (pid > 0)
		waitpid(pid, &status, 0);
	double rate = 0;
	long hwm = 0;
	if (n <= 0 || sscanf(line, "%lf %ld", &rate, &hwm) != 2)
		die("the forwarding child failed");
	const char *kind = gateway ? "gateway" : "tic";
	printf("forward_%s_in_flight_%u_batch_%u %.0f points/s\n", kind,
	    in_flight, batch, rate);
	printf("forward_%s_in_flight_%u_batch_%u_vmhwm %.2f MB\n", kind,
	    in_flight, batch, (double) hwm / 1024);
	fed_test_rmtree(spool);
}

// Each backlog to a node of its own over tcp:// loopback (so that no run
// meets the store, or a checkpoint, that an earlier one left).
static void
bench_in_flight(const char *dir, const char *stream)
{
	static const unsigned flights[2] = {1, 4}, batches[2] = {1, 64};
	int run = 0;
	for (int g = 0; g < 2; g++)
		for (int b = 0; b < 2; b++)
			for (int f = 0; f < 2; f++, run++) {
				char tcp[64], ndir[1100];
				snprintf(tcp, sizeof(tcp),
				    "tcp://127.0.0.1:%d",
				    fed_test_free_port());
				snprintf(ndir, sizeof(ndir), "%s/node-%d", dir,
				    run);
				mkdir(ndir, 0700);
				int pid = fed_test_node_start(FED_NODE_BIN,
				    "node", ndir, tcp, stream, ADMIN, NULL);
				if (pid <= 0)
					die("cannot start fed-node on tcp");
				node_pid = pid;
				forward_run(dir, tcp, run, g == 0, flights[f],
				    batches[b]);
				fed_test_proc_stop(pid, SIGTERM, 10000);
				node_pid = 0;
				fed_test_rmtree(ndir);
			}
}

int
main(int argc, char **argv)
{
	if (argc == 7 && strcmp(argv[1], "--forward") == 0)
		forward_child(STDOUT_FILENO, argv[2], argv[3],
		    (unsigned) strtoul(argv[4], NULL, 10),
		    (unsigned) strtoul(argv[5], NULL, 10),
		    strtol(argv[6], NULL, 10));
	// --in-flight: only the calls-in-flight figures.
	bool only_flight = argc > 1 && strcmp(argv[1], "--in-flight") == 0;
	long copies
	    = argc > 1 && !only_flight ? strtol(argv[1], NULL, 10) : 300;
	if (copies < 1 || copies > 100000)
		die("n_copies: 1 to 100000");
	fed_log_set_sink(fed_log_stderr_sink, NULL);
	fed_log_set_level(FED_LOG_ERR);
	char *dir = fed_test_tmpdir("bench-edge");
	scratch = dir;
	char rpc[160], stream[160];
	fed_test_ipc_url(rpc, sizeof(rpc), "benchrpc");
	fed_test_ipc_url(stream, sizeof(stream), "benchstream");
	int pid = dir == NULL ? -1
	                      : fed_test_node_start(FED_NODE_BIN, "node", dir,
	                          rpc, stream, ADMIN, NULL);
	if (pid <= 0)
		die("cannot start fed-node");
	node_pid = pid;
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = rpc;
	o.token = ADMIN;
	fed_rpc_client *c = NULL;
	if (fed_rpc_client_new(&o, &c) != FED_OK)
		die("cannot reach the node");
	if (!only_flight) {
		bench_tic_rss(dir, rpc, c, copies);
		printf("sender_submit_fsync_each %.0f records/s\n",
		    bench_submit(dir, FED_SPOOL_SYNC_EACH, 2000));
		printf("sender_submit_group %.0f records/s\n",
		    bench_submit(dir, FED_SPOOL_SYNC_GROUP, 20000));
		bench_forward(dir, rpc, 5000);
	}
	fed_rpc_client_free(c);
	fed_test_proc_stop(pid, SIGTERM, 10000);
	node_pid = 0;
	bench_in_flight(dir, stream);
	fed_test_rmtree(dir);
	free(dir);
	return 0;
}
