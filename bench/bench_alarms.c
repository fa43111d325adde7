// SPDX-License-Identifier: MIT
//
// bench_alarms: what alarm rules cost ingest. The store and the alarm
// engine are wired as fed-node wires them (node_store_append_notify with
// node_alarms_offer after the commit, synchronous=FULL); the same ingest
// (100 series x 100 points per call) runs with 0, 100 and 1,000 rules. The
// rules are a realistic mix: 95 % on other buildings' series (threshold,
// stale, daylight), 5 % on the ingested ones (a threshold never crossed and
// a stale rule, so every point is evaluated and nothing is raised).
// Prints, for synchronous=FULL and NORMAL, `alarms_<mode>_ingest_<n>_rules
// <points/s> points/s` (until the ingest calls returned),
// `alarms_<mode>_evaluated_<n>_rules` (until the engine had evaluated
// everything), the same ingest without an alarm engine, medians of 5
// rounds and the ratios to 0 rules; the process' CPU time per point (both
// threads: the cost on a shared machine, whatever the others do); and the
// cost of one index lookup.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fed/clock.h"
#include "fed_test.h"
#include "node_alarms.h"
#include "store.h"

#define N_SERIES 100
#define PER_CALL 100
#define N_CALLS  300
#define ROUNDS   5
#define N_OTHER  1000
#define SLOT_MS  INT64_C(300000)
#define T0_MS    INT64_C(1767225600000)

static void
die(const char *what, fed_status st)
{
	fprintf(stderr, "bench_alarms: %s: %s\n", what, fed_status_name(st));
	exit(1);
}

static void
create(node_store *st, const char *id)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_POWER;
	m.unit = ENFED__V1__UNIT__UNIT_W;
	m.interval_s = 300;
	m.source = "bench";
	m.owner = "bench";
	fed_status s = node_store_create(st, &m, NULL, NULL);
	if (s != FED_OK)
		die("create", s);
}

static void
add_rule(node_alarms *a, int i, const char *series, int type)
{
	char id[32];
	snprintf(id, sizeof(id), "r%04d", i);
	Enfed__V1__AlarmLimit hi = ENFED__V1__ALARM_LIMIT__INIT;
	hi.value = 1e12;
	Enfed__V1__AlarmRule r = ENFED__V1__ALARM_RULE__INIT;
	r.id = id;
	r.series = (char *) series;
	r.type = (Enfed__V1__AlarmRuleType) type;
	r.duration_ms = 30 * 60000;
	r.above = type == 1 ? &hi : NULL;
	r.latitude = 47.75;
	r.longitude = -3.37;
	r.peak_w = 9000;
	node_store_err err = {{0}};
	fed_status s = node_alarms_rule_create(a, &r, NULL, &err);
	if (s != FED_OK) {
		fprintf(stderr, "bench_alarms: rule: %s\n", err.msg);
		exit(1);
	}
}

// Rules: every 20th on an ingested site, the others on other buildings.
static void
add_rules(node_alarms *a, int n)
{
	char p[64];
	for (int i = 0; i < n; i++) {
		if (i % 20 == 0) {
			snprintf(
			    p, sizeof(p), "site%03d/", (i / 20) % N_SERIES);
			add_rule(a, i, p, i % 40 == 0 ? 1 : 2);
		} else {
			snprintf(p, sizeof(p), "bld%04d/%s", i,
			    i % 3 == 0 ? "" : "meter/power");
			add_rule(a, i, p, 1 + i % 3);
		}
	}
}

static void
offer(const char *id, const int64_t *ts, const double *v, size_t n, void *arg)
{
	node_alarms_offer(arg, id, ts, v, n);
}

// The cost of matching one id against the index, ns: a series no rule
// covers and one that a rule covers.
static void
lookup_ns(node_alarms *a)
{
	static const char *const ids[]
	    = {"nobody/meter/power", "site000/meter/power"};
	static const char *const names[] = {"miss", "hit"};
	for (int k = 0; k < 2; k++) {
		const int n = 1000000;
		int found = 0;
		int64_t t0 = fed_clock_mono_ms();
		for (int i = 0; i < n; i++)
			found += node_alarms_matches(a, ids[k]);
		int64_t t1 = fed_clock_mono_ms();
		printf("alarms_match_%s_1000_rules %.1f ns\n", names[k],
		    (double) (t1 - t0) * 1e6 / n);
		if (found != (k == 0 ? 0 : n))
			fprintf(stderr, "bench_alarms: lookup %s: %d\n",
			    names[k], found);
	}
}

static node_store *
open_store(const char *dir, int sync_normal)
{
	node_store_opts o;
	node_store_opts_init(&o);
	o.sync_normal = sync_normal;
	node_store *st = NULL;
	fed_status s = node_store_open(dir, &o, &st, NULL);
	if (s != FED_OK)
		die("open", s);
	return st;
}

static void
setup(const char *dir)
{
	node_store *st = open_store(dir, 1);
	char id[64];
	for (int i = 0; i < N_SERIES; i++) {
		snprintf(id, sizeof(id), "site%03d/meter/power", i);
		create(st, id);
	}
	for (int i = 0; i < N_OTHER; i++) {
		snprintf(id, sizeof(id), "bld%04d/meter/power", i);
		create(st, id);
	}
	node_store_close(st);
}

// The process' CPU time, s (every thread).
static double
cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

// The rules are made, then the store closed (checkpointed) and opened
// again: the node is measured as it runs after a restart with its rules,
// not while the WAL still holds a thousand rule transactions.
static void
make_rules(const char *dir, int n_rules)
{
	node_store *st = open_store(dir, 1);
	node_alarms_opts ao = {.store = st, .node_name = "bench"};
	node_alarms *a = NULL;
	fed_status s = node_alarms_new(&ao, &a);
	if (s != FED_OK)
		die("alarms", s);
	add_rules(a, n_rules);
	node_alarms_free(a);
	node_store_close(st);
}

// One ingest of N_CALLS calls with n_rules rules (-1: no alarm engine on
// the ingest path at all), the store in the given synchronous mode.
static void
run(int n_rules, int sync_normal, double *ingest_pps, double *eval_pps,
    double *cpu_ns)
{
	char *dir = fed_test_tmpdir("bench-alarms");
	setup(dir);
	make_rules(dir, n_rules);
	node_store *st = open_store(dir, sync_normal);
	node_alarms_opts ao = {.store = st, .node_name = "bench"};
	node_alarms *a = NULL;
	fed_status s = node_alarms_new(&ao, &a);
	if (s != FED_OK)
		die("alarms", s);
	static char ids[N_SERIES][64];
	static int64_t ts[N_SERIES][PER_CALL];
	static double v[N_SERIES][PER_CALL];
	Enfed__V1__SeriesPoints sp[N_SERIES], *sps[N_SERIES];
	for (int k = 0; k < N_SERIES; k++) {
		snprintf(ids[k], sizeof(ids[k]), "site%03d/meter/power", k);
		enfed__v1__series_points__init(&sp[k]);
		sp[k].series_id = ids[k];
		sp[k].ts_ms = ts[k];
		sp[k].value = v[k];
		sp[k].n_ts_ms = sp[k].n_value = PER_CALL;
		sps[k] = &sp[k];
	}
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = sps;
	req.n_series = N_SERIES;
	int64_t t0 = fed_clock_mono_ms();
	double c0 = cpu_s();
	for (int c = 0; c < N_CALLS; c++) {
		for (int k = 0; k < N_SERIES; k++)
			for (int i = 0; i < PER_CALL; i++) {
				ts[k][i] = T0_MS
				    + ((int64_t) c * PER_CALL + i) * SLOT_MS;
				v[k][i] = 1000 + (k * 7 + i * 13) % 500;
			}
		s = node_store_append_notify(
		    st, &req, NULL, n_rules >= 0 ? offer : NULL, a, NULL);
		if (s != FED_OK)
			die("ingest", s);
	}
	int64_t t1 = fed_clock_mono_ms();
	if (node_alarms_sync(a, 600000) != FED_OK)
		die("sync", FED_DEADLINE_EXCEEDED);
	int64_t t2 = fed_clock_mono_ms();
	double n = (double) N_SERIES * PER_CALL * N_CALLS;
	*cpu_ns = (cpu_s() - c0) * 1e9 / n;
	*ingest_pps = n / ((double) (t1 - t0 > 0 ? t1 - t0 : 1) / 1000.0);
	*eval_pps = n / ((double) (t2 - t0 > 0 ? t2 - t0 : 1) / 1000.0);
	static int looked;
	if (n_rules == 1000 && !looked++)
		lookup_ns(a);
	node_alarms_stats as;
	node_alarms_stats_get(a, &as);
	if (as.n_raised != 0 || as.n_points_dropped != 0)
		fprintf(stderr, "bench_alarms: %llu raised, %llu dropped\n",
		    (unsigned long long) as.n_raised,
		    (unsigned long long) as.n_points_dropped);
	node_alarms_free(a);
	node_store_close(st);
	fed_test_rmtree(dir);
	free(dir);
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *) x, b = *(const double *) y;
	return (a > b) - (a < b);
}

static double
median(double *v)
{
	qsort(v, ROUNDS, sizeof(double), cmp_double);
	return v[ROUNDS / 2];
}

// Runs the four configurations in turn, ROUNDS times, so that the noise
// of a shared machine falls on all of them alike; prints medians. Once
// with synchronous=FULL (the default: fsync latency dominates) and once
// with NORMAL (the CPU cost of the ingest path shows).
static void
series(int sync_normal, const char *mode)
{
	static const int counts[] = {-1, 0, 100, 1000};
	static const char *const names[]
	    = {"no_engine", "0_rules", "100_rules", "1000_rules"};
	double in[4][ROUNDS], ev[4][ROUNDS], cpu[4][ROUNDS], m_in[4], m_ev[4],
	    m_cpu[4];
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < 4; i++)
			run(counts[i], sync_normal, &in[i][r], &ev[i][r],
			    &cpu[i][r]);
	for (int i = 0; i < 4; i++) {
		m_in[i] = median(in[i]);
		m_ev[i] = median(ev[i]);
		m_cpu[i] = median(cpu[i]);
		printf("alarms_%s_cpu_%s %.0f ns/point\n", mode, names[i],
		    m_cpu[i]);
		printf("alarms_%s_ingest_%s %.0f points/s\n", mode, names[i],
		    m_in[i]);
		if (i > 0)
			printf("alarms_%s_evaluated_%s %.0f points/s\n", mode,
			    names[i], m_ev[i]);
	}
	printf("alarms_%s_ratio_0_rules_to_no_engine %.3f x\n", mode,
	    m_in[1] / m_in[0]);
	printf("alarms_%s_ratio_100_rules %.3f x\n", mode, m_in[2] / m_in[1]);
	printf("alarms_%s_ratio_1000_rules %.3f x\n", mode, m_in[3] / m_in[1]);
	printf("alarms_%s_cpu_ratio_1000_rules %.3f x\n", mode,
	    m_cpu[3] / m_cpu[1]);
	fflush(stdout);
}

int
main(void)
{
	series(0, "full");
	series(1, "normal");
	return 0;
}
