// SPDX-License-Identifier: MIT
//
// bench_store.c: fed-node's series store beside plain sqlite and Gorilla,
// measured in the same run on the same data.
//
//   ingest   --series S (1000) series x --points N (10,000,000) / S
//            5-minute points, 100 points x 100 series per transaction,
//            synchronous=FULL; then the same rows into a plain sqlite table
//            (rowid table, PRIMARY KEY(series, ts), WAL, FULL, 10k rows per
//            transaction, INSERT OR IGNORE for the same idempotence).
//   disk     a year of 5-minute house consumption and PV production
//            (integer Wh), 10 series of each in their own store, file size
//            after close (the WAL is checkpointed away) per point; beside
//            the Gorilla encoding (delta-of-delta timestamps, XOR values,
//            one bit stream per series-year) and the plain sqlite table.
//   query    one year of one house series to Europe/Paris local days
//            (the store's default zone), median of 21 runs, beside a
//            GROUP BY on the plain table; that one shifts by a fixed +1 h
//            instead of following summer time, so it is cheaper than the
//            real thing and the comparison favours plain sqlite.
//   rss      a child process opens a store of --rss-series R (1000) series
//            of a year each, runs one day query, reports VmRSS; then a
//            fed-node process serves the same database, answers one query
//            and idles: its VmRSS.
//   rpc      the ingest above, through a fed-node process's Ingest RPC
//            (100 series x 1,000 points per call, FULL), beside the same
//            plain sqlite figure. --node FED_NODE names the binary (the
//            build's by default; "" to skip the process figures).
//
// Prints one figure per line, `name value unit`. Data come from the
// project's simulator (edge/sim, sim_model): the 4-person house with its
// heat pump, and the 16.2 kWc school roof plant rounded to integer Wh.
// Files go to a fresh directory under $TMPDIR (or /tmp), removed at the end.

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench_data.h"
#include "bench_node.h"
#include "fed/clock.h"
#include "sim_model.h"
#include "store.h"

#define T0            INT64_C(1767225600000) // 2026-01-01T00:00Z
#define PARIS_Y0      (T0 - 3600000) // 2026-01-01T00:00+01:00
#define PARIS_Y1      INT64_C(1798758000000) // 2027-01-01T00:00+01:00
#define SLOT_MS       INT64_C(300000)
#define DAY_MS        INT64_C(86400000)
#define SLOTS_PER_DAY 288
#define YEAR_SLOTS    (365 * SLOTS_PER_DAY)
#define BATCH_POINTS  100
#define BATCH_SERIES  100
#define DISK_SERIES   10
#define QUERY_RUNS    21
#define PI            3.14159265358979323846

typedef struct bench_cfg {
	size_t n_points;
	size_t n_series;
	size_t rss_series;
	size_t disk; // 0: skip the disk and query figures
	char dir[256];
	char node_bin[512]; // fed-node to measure over RPC; "" = none
} bench_cfg;

// ---- data ---------------------------------------------------------------

// n consecutive 5-minute slots from start_ms of model `seed`, Wh.
typedef void (*fill_fn)(
    uint64_t seed, int64_t start_ms, size_t n, double *out);

static void
fill_failed(const char *what, fed_status st)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, fed_status_name(st));
	exit(1);
}

// The simulator's 16.2 kWc school roof plant, rounded to integer Wh per
// 5 minutes as an Envoy's counters report it.
static void
pv_fill(uint64_t seed, int64_t start_ms, size_t n, double *out)
{
	sim_pv pv;
	sim_pv_defaults(&pv);
	fed_status st
	    = sim_pv_plant_fill_wh(&pv, seed, start_ms, SLOT_MS, n, out);
	if (st != FED_OK)
		fill_failed("sim_pv_plant_fill_wh", st);
	for (size_t i = 0; i < n; i++)
		out[i] = round(out[i]);
}

// ---- Gorilla -----------------------------------------------------------

typedef struct bitcount {
	uint64_t bits;
	int64_t prev_ts, prev_delta;
	uint64_t prev_v;
	unsigned lead, trail; // of the previous XOR window
	size_t n;
} bitcount;

static unsigned
clz64(uint64_t x)
{
	return x ? (unsigned) __builtin_clzll(x) : 64;
}

static unsigned
ctz64(uint64_t x)
{
	return x ? (unsigned) __builtin_ctzll(x) : 64;
}

static void
gorilla_ts(bitcount *g, int64_t ts)
{
	if (g->n == 0) {
		g->bits += 64;
		return;
	}
	int64_t delta = ts - g->prev_ts;
	if (g->n == 1) {
		g->bits += 14;
	} else {
		int64_t dod = delta - g->prev_delta;
		if (dod == 0)
			g->bits += 1;
		else if (dod >= -63 && dod <= 64)
			g->bits += 2 + 7;
		else if (dod >= -255 && dod <= 256)
			g->bits += 3 + 9;
		else if (dod >= -2047 && dod <= 2048)
			g->bits += 4 + 12;
		else
			g->bits += 4 + 32;
	}
	g->prev_delta = delta;
}

static void
gorilla_value(bitcount *g, double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof(u));
	if (g->n == 0) {
		g->bits += 64;
		g->lead = 65;
	} else {
		uint64_t x = u ^ g->prev_v;
		unsigned lead = clz64(x), trail = ctz64(x);
		if (lead > 31)
			lead = 31;
		if (x == 0)
			g->bits += 1;
		else if (g->lead <= 64 && lead >= g->lead && trail >= g->trail)
			g->bits += 2 + (64 - g->lead - g->trail);
		else {
			g->bits += 2 + 5 + 6 + (64 - lead - trail);
			g->lead = lead;
			g->trail = trail;
		}
	}
	g->prev_v = u;
}

static void
gorilla_add(bitcount *g, int64_t ts, double v)
{
	gorilla_ts(g, ts);
	gorilla_value(g, v);
	g->prev_ts = ts;
	g->n++;
}

// ---- order-0 entropy of the value deltas -------------------------------

// The entropy a perfect order-0 coder of v[i] - v[i-1] would reach: the
// floor for any scheme that codes deltas independently (Gorilla, ours).
#define HIST_SPAN 65536

typedef struct delta_hist {
	uint32_t *count; // 2 * HIST_SPAN + 1 bins
	uint64_t n, n_deltas, n_wide;
	double prev;
} delta_hist;

static void
hist_add(delta_hist *h, double v)
{
	if (h->n > 0) {
		double d = v - h->prev;
		if (fabs(d) <= HIST_SPAN)
			h->count[(int64_t) d + HIST_SPAN]++;
		else
			h->n_wide++;
		h->n_deltas++;
	}
	h->prev = v;
	h->n++;
}

static double
hist_bits_per_point(const delta_hist *h)
{
	double total = (double) h->n_deltas, bits = 0;
	for (size_t i = 0; i <= 2 * HIST_SPAN; i++) {
		if (h->count[i] == 0)
			continue;
		double p = h->count[i] / total;
		bits -= p * log2(p);
	}
	return bits + (double) h->n_wide / total * 32;
}

// ---- helpers -----------------------------------------------------------

static void
die(const char *what, fed_status st, const node_store_err *err)
{
	fprintf(stderr, "bench_store: %s: %s %s\n", what, fed_status_name(st),
	    err ? err->msg : "");
	exit(1);
}

static void
sql_die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void
series_id(char *buf, size_t len, const char *kind, size_t i)
{
	snprintf(buf, len, "bench/%s/%05zu", kind, i);
}

static node_store *
store_open(const char *path, int sync_normal)
{
	node_store_opts o;
	node_store_opts_init(&o);
	o.sync_normal = sync_normal;
	node_store *st;
	node_store_err err = {""};
	fed_status s = node_store_open(path, &o, &st, &err);
	if (s != FED_OK)
		die(path, s, &err);
	return st;
}

static void
store_create(node_store *st, const char *id)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	node_store_err err = {""};
	fed_status s = node_store_create(st, &m, NULL, &err);
	if (s != FED_OK)
		die("create", s, &err);
}

static sqlite3 *
plain_open(const char *path)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		sql_die(db, path);
	if (sqlite3_exec(db,
	        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	        "CREATE TABLE IF NOT EXISTS points(series INTEGER, ts INTEGER,"
	        " value REAL, PRIMARY KEY(series, ts));",
	        NULL, NULL, NULL)
	    != SQLITE_OK)
		sql_die(db, "plain schema");
	return db;
}

static void
plain_exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		sql_die(db, sql);
}

static double
file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (double) sb.st_size : 0;
}

static double
db_size(const char *path)
{
	char wal[300];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	return file_size(path) + file_size(wal);
}

static void
remove_db(const char *path)
{
	char p[300];
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

// ---- ingest ------------------------------------------------------------

typedef struct batch {
	Enfed__V1__IngestRequest req;
	Enfed__V1__SeriesPoints sp[BATCH_SERIES];
	Enfed__V1__SeriesPoints *list[BATCH_SERIES];
	char ids[BATCH_SERIES][40];
	int64_t ts[BATCH_SERIES][BATCH_POINTS];
	double v[BATCH_SERIES][BATCH_POINTS];
} batch;

// Fills b with points [p0, p0 + np) of series [s0, s0 + ns).
static void
batch_fill(batch *b, size_t s0, size_t ns, size_t p0, size_t np)
{
	enfed__v1__ingest_request__init(&b->req);
	b->req.n_series = ns;
	b->req.series = b->list;
	for (size_t i = 0; i < ns; i++) {
		Enfed__V1__SeriesPoints *sp = &b->sp[i];
		enfed__v1__series_points__init(sp);
		series_id(b->ids[i], sizeof(b->ids[i]), "house", s0 + i);
		sp->series_id = b->ids[i];
		sp->n_ts_ms = sp->n_value = np;
		sp->ts_ms = b->ts[i];
		sp->value = b->v[i];
		for (size_t k = 0; k < np; k++)
			b->ts[i][k] = T0 + (int64_t) (p0 + k) * SLOT_MS;
		bench_house_fill(s0 + i, b->ts[i][0], np, b->v[i]);
		b->list[i] = sp;
	}
}

// One ingest figure's run: the batch, where it goes (the store, or the
// plain table and its insert), the nanoseconds spent there.
typedef struct ingest_run {
	batch *b;
	node_store *st;
	sqlite3 *db;
	sqlite3_stmt *ins;
	int64_t ns;
} ingest_run;

static void
store_batch(void *arg, size_t s0, size_t ns, size_t p0, size_t np)
{
	ingest_run *x = arg;
	batch_fill(x->b, s0, ns, p0, np);
	int64_t t = fed_clock_mono_ns();
	node_store_err err = {""};
	fed_status s = node_store_append(x->st, &x->b->req, NULL, &err);
	x->ns += fed_clock_mono_ns() - t;
	if (s != FED_OK)
		die("append", s, &err);
}

static double
ingest_store(const bench_cfg *cfg, batch *b, size_t per_series)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/ingest.db", cfg->dir);
	node_store *st = store_open(path, 0);
	for (size_t i = 0; i < cfg->n_series; i++) {
		series_id(b->ids[0], sizeof(b->ids[0]), "house", i);
		store_create(st, b->ids[0]);
	}
	ingest_run x = {b, st, NULL, NULL, 0};
	bench_each_batch(cfg->n_series, per_series, store_batch, &x);
	node_store_close(st);
	remove_db(path);
	return (double) (cfg->n_series * per_series) / ((double) x.ns / 1e9);
}

static int64_t
plain_insert_batch(sqlite3 *db, sqlite3_stmt *ins, const batch *b, size_t s0)
{
	int64_t t = fed_clock_mono_ns();
	plain_exec(db, "BEGIN");
	for (size_t i = 0; i < b->req.n_series; i++) {
		const Enfed__V1__SeriesPoints *sp = b->list[i];
		for (size_t k = 0; k < sp->n_ts_ms; k++) {
			sqlite3_bind_int64(ins, 1, (int64_t) (s0 + i));
			sqlite3_bind_int64(ins, 2, sp->ts_ms[k]);
			sqlite3_bind_double(ins, 3, sp->value[k]);
			if (sqlite3_step(ins) != SQLITE_DONE)
				sql_die(db, "insert");
			sqlite3_reset(ins);
		}
	}
	plain_exec(db, "COMMIT");
	return fed_clock_mono_ns() - t;
}

static void
plain_batch(void *arg, size_t s0, size_t ns, size_t p0, size_t np)
{
	ingest_run *x = arg;
	batch_fill(x->b, s0, ns, p0, np);
	x->ns += plain_insert_batch(x->db, x->ins, x->b, s0);
}

static double
ingest_plain(const bench_cfg *cfg, batch *b, size_t per_series)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/plain.db", cfg->dir);
	sqlite3 *db = plain_open(path);
	sqlite3_stmt *ins;
	sqlite3_prepare_v2(db,
	    "INSERT OR IGNORE INTO points(series, ts, value) VALUES(?, ?, ?)",
	    -1, &ins, NULL);
	ingest_run x = {b, NULL, db, ins, 0};
	bench_each_batch(cfg->n_series, per_series, plain_batch, &x);
	sqlite3_finalize(ins);
	sqlite3_close(db);
	remove_db(path);
	return (double) (cfg->n_series * per_series) / ((double) x.ns / 1e9);
}

static void
bench_ingest(const bench_cfg *cfg)
{
	batch *b = malloc(sizeof(*b));
	size_t per_series = cfg->n_points / cfg->n_series;
	if (b == NULL || per_series == 0) {
		fprintf(stderr, "bench_store: --points below --series\n");
		exit(1);
	}
	double store = ingest_store(cfg, b, per_series);
	double plain = ingest_plain(cfg, b, per_series);
	printf("ingest_points %zu points\n", cfg->n_series * per_series);
	printf("ingest_store %.0f points/s\n", store);
	printf("ingest_sqlite_plain %.0f points/s\n", plain);
	printf("ingest_store_vs_sqlite %.2f x\n", store / plain);
	fflush(stdout);
	if (cfg->node_bin[0] != '\0') {
		double rpc = bench_node_ingest(cfg->node_bin, cfg->dir,
		    cfg->n_series, per_series, T0, bench_house_fill);
		printf("ingest_node_rpc %.0f points/s\n", rpc);
		printf("ingest_node_rpc_vs_sqlite %.2f x\n", rpc / plain);
		fflush(stdout);
	}
	free(b);
}

// ---- disk and query ----------------------------------------------------

// A year of series `seed` into the store (daily appends, as a collector
// catching up would) and the plain table; counts Gorilla bits.
static void
load_year(node_store *st, sqlite3 *db, const char *id, uint64_t seed,
    fill_fn fill, bitcount *g, delta_hist *h)
{
	static int64_t ts[SLOTS_PER_DAY];
	static double v[SLOTS_PER_DAY];
	sqlite3_stmt *ins;
	sqlite3_prepare_v2(
	    db, "INSERT INTO points VALUES(?, ?, ?)", -1, &ins, NULL);
	plain_exec(db, "BEGIN");
	for (size_t d = 0; d < 365; d++) {
		Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
		for (size_t k = 0; k < SLOTS_PER_DAY; k++)
			ts[k]
			    = T0 + (int64_t) (d * SLOTS_PER_DAY + k) * SLOT_MS;
		fill(seed, ts[0], SLOTS_PER_DAY, v);
		for (size_t k = 0; k < SLOTS_PER_DAY; k++) {
			gorilla_add(g, ts[k], v[k]);
			hist_add(h, v[k]);
			sqlite3_bind_int64(ins, 1, (int64_t) seed);
			sqlite3_bind_int64(ins, 2, ts[k]);
			sqlite3_bind_double(ins, 3, v[k]);
			if (sqlite3_step(ins) != SQLITE_DONE)
				sql_die(db, "insert");
			sqlite3_reset(ins);
		}
		sp.series_id = (char *) id;
		sp.n_ts_ms = sp.n_value = SLOTS_PER_DAY;
		sp.ts_ms = ts;
		sp.value = v;
		Enfed__V1__SeriesPoints *list[] = {&sp};
		Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
		req.n_series = 1;
		req.series = list;
		node_store_err err = {""};
		fed_status s = node_store_append(st, &req, NULL, &err);
		if (s != FED_OK)
			die("append", s, &err);
	}
	plain_exec(db, "COMMIT");
	sqlite3_finalize(ins);
}

static double
median(double *x, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && x[j - 1] > x[j]; j--) {
			double t = x[j];
			x[j] = x[j - 1];
			x[j - 1] = t;
		}
	return x[n / 2];
}

static double
query_store_days(node_store *st, const char *id)
{
	double ms[QUERY_RUNS];
	char *ids[] = {(char *) id};
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = PARIS_Y0;
	r.to_ms = PARIS_Y1;
	Enfed__V1__QueryRequest req = ENFED__V1__QUERY_REQUEST__INIT;
	req.n_series_ids = 1;
	req.series_ids = ids;
	req.range = &r;
	req.step = ENFED__V1__STEP__STEP_DAY;
	req.tz = (char *) ""; // the default, Europe/Paris
	for (size_t i = 0; i < QUERY_RUNS; i++) {
		Enfed__V1__QueryResponse *resp;
		node_store_err err = {""};
		int64_t t = fed_clock_mono_ns();
		fed_status s = node_store_query(st, &req, &resp, &err);
		ms[i] = (double) (fed_clock_mono_ns() - t) / 1e6;
		if (s != FED_OK || resp->results[0]->n_value != 365)
			die("query", s, &err);
		node_store_query_free(resp);
	}
	return median(ms, QUERY_RUNS);
}

static double
query_plain_days(sqlite3 *db, uint64_t series)
{
	double ms[QUERY_RUNS];
	sqlite3_stmt *q;
	sqlite3_prepare_v2(db,
	    "SELECT (ts + 3600000) / 86400000 AS d, sum(value), count(*)"
	    " FROM points"
	    " WHERE series = ?1 AND ts >= ?2 AND ts < ?3 GROUP BY d",
	    -1, &q, NULL);
	for (size_t i = 0; i < QUERY_RUNS; i++) {
		int64_t t = fed_clock_mono_ns();
		sqlite3_bind_int64(q, 1, (int64_t) series);
		sqlite3_bind_int64(q, 2, PARIS_Y0);
		sqlite3_bind_int64(q, 3, PARIS_Y1);
		int rows = 0;
		while (sqlite3_step(q) == SQLITE_ROW)
			rows++;
		sqlite3_reset(q);
		ms[i] = (double) (fed_clock_mono_ns() - t) / 1e6;
		if (rows != 365)
			sql_die(db, "plain query");
	}
	sqlite3_finalize(q);
	return median(ms, QUERY_RUNS);
}

static void
print_query(const char *path, sqlite3 *db, const char *kind)
{
	char id[40];
	node_store *st = store_open(path, 1);
	series_id(id, sizeof(id), kind, 0);
	double ms_store = query_store_days(st, id);
	double ms_plain = query_plain_days(db, 0);
	printf("query_year_to_days_store %.3f ms\n", ms_store);
	printf("query_year_to_days_sqlite_plain %.3f ms\n", ms_plain);
	printf("query_store_speedup %.1f x\n", ms_plain / ms_store);
	node_store_close(st);
}

// The store's own view of its size, then compacted.
static void
print_store_sizes(const char *path, const char *kind, double n)
{
	node_store *st = store_open(path, 1);
	node_store_stats stats;
	fed_status s = node_store_get_stats(st, &stats);
	if (s != FED_OK)
		die("stats", s, NULL);
	printf("disk_store_%s_blocks_only %.3f bytes/point\n", kind,
	    (double) stats.block_bytes / n);
	s = node_store_compact(st);
	if (s != FED_OK)
		die("compact", s, NULL);
	node_store_close(st);
	printf("disk_store_%s_compacted %.3f bytes/point\n", kind,
	    db_size(path) / n);
}

// One store of DISK_SERIES years of `kind`; prints its figures.
static void
bench_disk_kind(
    const bench_cfg *cfg, const char *kind, fill_fn fill, int query)
{
	char path[300], plain[300], id[40];
	snprintf(path, sizeof(path), "%s/%s.db", cfg->dir, kind);
	snprintf(plain, sizeof(plain), "%s/%s-plain.db", cfg->dir, kind);
	node_store *st = store_open(path, 1);
	sqlite3 *db = plain_open(plain);
	bitcount g_total = {0};
	delta_hist h
	    = {calloc(2 * HIST_SPAN + 1, sizeof(uint32_t)), 0, 0, 0, 0};
	double entropy;
	for (size_t i = 0; i < DISK_SERIES; i++) {
		bitcount g = {0};
		series_id(id, sizeof(id), kind, i);
		store_create(st, id);
		h.n = 0;
		load_year(st, db, id, i, fill, &g, &h);
		g_total.bits += g.bits;
		g_total.n += g.n;
	}
	entropy = hist_bits_per_point(&h);
	free(h.count);
	node_store_close(st);
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	double n = (double) g_total.n;
	printf("disk_store_%s %.3f bytes/point\n", kind, db_size(path) / n);
	printf("disk_gorilla_%s %.3f bytes/point\n", kind,
	    (double) g_total.bits / 8 / n);
	printf("disk_sqlite_plain_%s %.3f bytes/point\n", kind,
	    db_size(plain) / n);
	printf(
	    "entropy_order0_deltas_%s %.3f bytes/point\n", kind, entropy / 8);
	print_store_sizes(path, kind, n);
	if (query)
		print_query(path, db, kind);
	fflush(stdout);
	sqlite3_close(db);
	remove_db(path);
	remove_db(plain);
}

// ---- resident memory ---------------------------------------------------

static long
vm_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

// A year of each of n series, one append per series-year.
static void
build_rss_store(const char *path, size_t n)
{
	node_store *st = store_open(path, 1);
	int64_t *ts = malloc(YEAR_SLOTS * sizeof(*ts));
	double *v = malloc(YEAR_SLOTS * sizeof(*v));
	char id[40];
	for (size_t k = 0; k < YEAR_SLOTS; k++)
		ts[k] = T0 + (int64_t) k * SLOT_MS;
	for (size_t i = 0; i < n; i++) {
		series_id(id, sizeof(id), "house", i);
		store_create(st, id);
		bench_house_fill(i, T0, YEAR_SLOTS, v);
		Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
		sp.series_id = id;
		sp.n_ts_ms = sp.n_value = YEAR_SLOTS;
		sp.ts_ms = ts;
		sp.value = v;
		Enfed__V1__SeriesPoints *list[] = {&sp};
		Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
		req.n_series = 1;
		req.series = list;
		node_store_err err = {""};
		fed_status s = node_store_append(st, &req, NULL, &err);
		if (s != FED_OK)
			die("append", s, &err);
	}
	free(ts);
	free(v);
	node_store_close(st);
}

// The child: open, one query, report.
static int
rss_child(const char *path)
{
	node_store *st = store_open(path, 0);
	char id[40];
	series_id(id, sizeof(id), "house", 0);
	query_store_days(st, id);
	printf("rss_after_open_and_query %.1f MB\n", vm_rss_kib() / 1024.0);
	fflush(stdout);
	node_store_close(st);
	return 0;
}

static void
bench_rss(const bench_cfg *cfg, const char *argv0)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/rss.db", cfg->dir);
	build_rss_store(path, cfg->rss_series);
	printf("rss_store_series %zu series\n", cfg->rss_series);
	printf("rss_store_size %.1f MB\n", db_size(path) / 1e6);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv0, "--rss-child", path,
		    (char *) NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	if (cfg->node_bin[0] != '\0') {
		// The same database, served by an idle fed-node process.
		char dir[300], db[340], id[40];
		snprintf(dir, sizeof(dir), "%s/rssnode", cfg->dir);
		snprintf(db, sizeof(db), "%s/series.db", dir);
		mkdir(dir, 0700);
		if (rename(path, db) == 0) {
			series_id(id, sizeof(id), "house", 0);
			printf("rss_node_idle %.1f MB\n",
			    bench_node_rss_mb(cfg->node_bin, dir, id, T0));
			fflush(stdout);
			remove_db(db);
		}
		rmdir(dir);
	}
	remove_db(path);
}

// ---- main --------------------------------------------------------------

static int
parse_args(int argc, char **argv, bench_cfg *cfg)
{
	for (int i = 1; i < argc; i++) {
		size_t *dst = NULL;
		if (strcmp(argv[i], "--points") == 0)
			dst = &cfg->n_points;
		else if (strcmp(argv[i], "--series") == 0)
			dst = &cfg->n_series;
		else if (strcmp(argv[i], "--rss-series") == 0)
			dst = &cfg->rss_series;
		else if (strcmp(argv[i], "--disk") == 0)
			dst = &cfg->disk;
		else if (strcmp(argv[i], "--node") == 0 && i + 1 < argc) {
			snprintf(cfg->node_bin, sizeof(cfg->node_bin), "%s",
			    argv[++i]);
			continue;
		}
		if (dst == NULL || i + 1 == argc) {
			fprintf(stderr,
			    "usage: bench_store [--points N] [--series S]"
			    " [--rss-series R] [--disk 0|1] [--node "
			    "FED_NODE]\n");
			return -1;
		}
		*dst = strtoul(argv[++i], NULL, 10);
	}
	return cfg->n_series > 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--rss-child") == 0)
		return rss_child(argv[2]);
	bench_cfg cfg = {10000000, 1000, 1000, 1, "", FED_NODE_BIN};
	if (parse_args(argc, argv, &cfg) != 0)
		return 2;
	const char *tmp = getenv("TMPDIR");
	snprintf(cfg.dir, sizeof(cfg.dir), "%s/bench_store.XXXXXX",
	    tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(cfg.dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	bench_ingest(&cfg);
	if (cfg.disk) {
		bench_disk_kind(&cfg, "house", bench_house_fill, 1);
		bench_disk_kind(&cfg, "pv", pv_fill, 0);
	}
	if (cfg.rss_series > 0)
		bench_rss(&cfg, argv[0]);
	rmdir(cfg.dir);
	return 0;
}
