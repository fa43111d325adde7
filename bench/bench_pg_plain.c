// SPDX-License-Identifier: MIT
//
// bench_pg_plain.c: the baseline that issue 21's PostgreSQL figures are
// compared with: a plain PostgreSQL table with one row per point,
//
//   points(series_id int, ts timestamptz, value double precision,
//          PRIMARY KEY (series_id, ts))
//
// on a throwaway cluster of its own (tests/support/fed_test_pg.h: fsync
// and synchronous_commit on, TCP on 127.0.0.1), measured in the shapes of
// bench_store's figures, on the same data (the simulator's house):
//
//   ingest   --series S (1000) series x --points N (10,000,000) / S
//            5-minute points in bench_store's order (100 points x 100
//            series per transaction), each transaction one
//            COPY ... FROM STDIN (FORMAT binary) committed on its own
//            (synchronous_commit on); the time counted is the COPY's and
//            its commit's, not the making of its rows.
//   disk     pg_total_relation_size (heap, primary key, free space and
//            visibility maps) per point, of the ingest table and of a
//            table of 10 series of a year of 5-minute data (bench_store's
//            disk shape), after VACUUM ANALYZE.
//   query    one year of one series of that table to Europe/Paris local
//            days with date_trunc('day', ts AT TIME ZONE 'Europe/Paris'),
//            GROUP BY, sum and count (365 rows), median of 21 runs of a
//            prepared statement.
//
// Prints one figure per line, `name value unit`. Stops its cluster and
// removes its folder at the end, or at the next statement after a SIGINT
// or SIGTERM.

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "fed/clock.h"
#include "bench_data.h"
#include "fed_test_pg.h"

#define T0            INT64_C(1767225600000) // 2026-01-01T00:00Z
#define SLOTS_PER_DAY 288
#define DISK_SERIES   10
#define QUERY_RUNS    21
// PostgreSQL's binary timestamps count microseconds from 2000-01-01 UTC.
#define PG_EPOCH_MS INT64_C(946684800000)
// One binary COPY row: field count, then each field's length and value.
#define ROW_BYTES (2 + (4 + 4) + (4 + 8) + (4 + 8))

typedef struct bench_cfg {
	size_t n_points;
	size_t n_series;
} bench_cfg;

// A binary COPY stream being built.
typedef struct copybuf {
	unsigned char *b;
	size_t len, cap;
} copybuf;

static fed_test_pg *cluster;
static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void) sig;
	stopping = 1;
}

// After a SIGINT or SIGTERM, between two statements: stop the cluster.
static void
check_stop(void)
{
	if (!stopping)
		return;
	fprintf(stderr, "bench_pg_plain: interrupted\n");
	fed_test_pg_stop(cluster);
	exit(130);
}

static void
die(PGconn *c, const char *what)
{
	fprintf(stderr, "bench_pg_plain: %s: %s", what,
	    c != NULL ? PQerrorMessage(c) : "failed\n");
	fed_test_pg_stop(cluster);
	exit(1);
}

static void
exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);
	PQclear(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		die(c, sql);
}

static double
query_number(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		die(c, sql);
	double v = strtod(PQgetvalue(r, 0, 0), NULL);
	PQclear(r);
	return v;
}

// ---- binary COPY -------------------------------------------------------

static void
put_be(copybuf *cb, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cb->b[cb->len++] = (unsigned char) (v >> (8 * (n - 1 - i)));
}

static void
copy_begin(copybuf *cb)
{
	static const unsigned char sig[11] = "PGCOPY\n\377\r\n";
	cb->len = 0;
	memcpy(cb->b, sig, sizeof(sig));
	cb->len = sizeof(sig);
	put_be(cb, 0, 4); // flags
	put_be(cb, 0, 4); // header extension length
}

static void
copy_row(copybuf *cb, uint32_t series, int64_t ts_ms, double value)
{
	uint64_t bits;
	memcpy(&bits, &value, sizeof(bits));
	put_be(cb, 3, 2);
	put_be(cb, 4, 4);
	put_be(cb, series, 4);
	put_be(cb, 8, 4);
	put_be(cb, (uint64_t) ((ts_ms - PG_EPOCH_MS) * 1000), 8);
	put_be(cb, 8, 4);
	put_be(cb, bits, 8);
}

static void
copy_end(copybuf *cb)
{
	put_be(cb, 0xffff, 2); // the trailer: a field count of -1
}

static void
copybuf_init(copybuf *cb, size_t rows)
{
	cb->cap = 32 + rows * ROW_BYTES;
	cb->b = malloc(cb->cap);
	cb->len = 0;
	if (cb->b == NULL)
		die(NULL, "malloc");
}

// Sends cb into `table` as one COPY, its own transaction; returns the
// nanoseconds it took, commit included.
static int64_t
copy_send(PGconn *c, const char *table, const copybuf *cb)
{
	char sql[128];
	check_stop();
	snprintf(
	    sql, sizeof(sql), "COPY %s FROM STDIN (FORMAT binary)", table);
	int64_t t = fed_clock_mono_ns();
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN)
		die(c, sql);
	PQclear(r);
	if (PQputCopyData(c, (const char *) cb->b, (int) cb->len) != 1
	    || PQputCopyEnd(c, NULL) != 1)
		die(c, "COPY data");
	int ok = 1;
	while ((r = PQgetResult(c)) != NULL) {
		ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	if (!ok)
		die(c, "COPY");
	return fed_clock_mono_ns() - t;
}

// ---- tables -----------------------------------------------------------

static void
create_table(PGconn *c, const char *name)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
	    "CREATE TABLE %s (series_id int NOT NULL, ts timestamptz NOT "
	    "NULL, value double precision NOT NULL, "
	    "PRIMARY KEY (series_id, ts))",
	    name);
	exec_ok(c, sql);
}

// Bytes per point of `table` (n points), after VACUUM ANALYZE.
static double
disk_per_point(PGconn *c, const char *table, double n)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "VACUUM ANALYZE %s", table);
	exec_ok(c, sql);
	snprintf(
	    sql, sizeof(sql), "SELECT pg_total_relation_size('%s')", table);
	return query_number(c, sql) / n;
}

// ---- ingest ------------------------------------------------------------

// One ingest figure's run: the COPY buffer, the connection, the
// nanoseconds spent in COPY and commit, the transactions.
typedef struct ingest_run {
	copybuf cb;
	PGconn *c;
	int64_t ns;
	size_t n_tx;
} ingest_run;

// Points [p0, p0 + np) of series [s0, s0 + ns), as one COPY.
static void
copy_batch(void *arg, size_t s0, size_t ns, size_t p0, size_t np)
{
	ingest_run *x = arg;
	double v[BENCH_BATCH_POINTS];
	copy_begin(&x->cb);
	for (size_t i = 0; i < ns; i++) {
		int64_t t = T0 + (int64_t) p0 * BENCH_SLOT_MS;
		bench_house_fill(s0 + i, t, np, v);
		for (size_t k = 0; k < np; k++)
			copy_row(&x->cb, (uint32_t) (s0 + i),
			    t + (int64_t) k * BENCH_SLOT_MS, v[k]);
	}
	copy_end(&x->cb);
	x->ns += copy_send(x->c, "points", &x->cb);
	x->n_tx++;
}

static void
bench_ingest(PGconn *c, const bench_cfg *cfg)
{
	size_t per_series = cfg->n_points / cfg->n_series;
	ingest_run x = {.c = c};
	copybuf_init(&x.cb, BENCH_BATCH_POINTS * BENCH_BATCH_SERIES);
	create_table(c, "points");
	bench_each_batch(cfg->n_series, per_series, copy_batch, &x);
	free(x.cb.b);
	double n = (double) (cfg->n_series * per_series);
	double rows = query_number(c, "SELECT count(*) FROM points");
	if (rows != n)
		die(NULL, "the ingest table's row count");
	printf("ingest_points %.0f points\n", n);
	printf("ingest_transactions %zu transactions\n", x.n_tx);
	printf(
	    "ingest_pg_plain_copy %.0f points/s\n", n / ((double) x.ns / 1e9));
	printf("disk_pg_plain_ingest %.3f bytes/point\n",
	    disk_per_point(c, "points", n));
	fflush(stdout);
	exec_ok(c, "DROP TABLE points");
}

// ---- a year: disk and query ---------------------------------------------

static void
load_year(PGconn *c)
{
	static double v[365 * SLOTS_PER_DAY];
	copybuf cb;
	copybuf_init(&cb, 365 * SLOTS_PER_DAY);
	create_table(c, "year_points");
	for (size_t s = 0; s < DISK_SERIES; s++) {
		bench_house_fill(s, T0, 365 * SLOTS_PER_DAY, v);
		copy_begin(&cb);
		for (size_t k = 0; k < 365 * SLOTS_PER_DAY; k++)
			copy_row(&cb, (uint32_t) s,
			    T0 + (int64_t) k * BENCH_SLOT_MS, v[k]);
		copy_end(&cb);
		copy_send(c, "year_points", &cb);
	}
	free(cb.b);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return (x > y) - (x < y);
}

static double
query_days_ms(PGconn *c)
{
	PGresult *r = PQprepare(c, "days",
	    "SELECT date_trunc('day', ts AT TIME ZONE 'Europe/Paris') AS d,"
	    " sum(value), count(*) FROM year_points"
	    " WHERE series_id = $1 AND ts >= $2 AND ts < $3"
	    " GROUP BY d ORDER BY d",
	    0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die(c, "PREPARE");
	PQclear(r);
	const char *params[]
	    = {"0", "2026-01-01 00:00:00+01", "2027-01-01 00:00:00+01"};
	double ms[QUERY_RUNS];
	for (size_t i = 0; i < QUERY_RUNS; i++) {
		check_stop();
		int64_t t = fed_clock_mono_ns();
		r = PQexecPrepared(c, "days", 3, params, NULL, NULL, 0);
		ms[i] = (double) (fed_clock_mono_ns() - t) / 1e6;
		if (PQresultStatus(r) != PGRES_TUPLES_OK
		    || PQntuples(r) != 365)
			die(c, "the day query");
		PQclear(r);
	}
	qsort(ms, QUERY_RUNS, sizeof(ms[0]), cmp_double);
	return ms[QUERY_RUNS / 2];
}

static void
bench_year(PGconn *c)
{
	load_year(c);
	double n = (double) DISK_SERIES * 365 * SLOTS_PER_DAY;
	printf("disk_pg_plain_year %.3f bytes/point\n",
	    disk_per_point(c, "year_points", n));
	printf("query_year_to_days_pg_plain %.3f ms\n", query_days_ms(c));
	fflush(stdout);
}

// ---- main --------------------------------------------------------------

static int
parse_args(int argc, char **argv, bench_cfg *cfg)
{
	for (int i = 1; i < argc; i++) {
		char *end = NULL;
		size_t *dst = NULL;
		const char *v = NULL;
		if (strncmp(argv[i], "--points=", 9) == 0)
			dst = &cfg->n_points, v = argv[i] + 9;
		else if (strncmp(argv[i], "--series=", 9) == 0)
			dst = &cfg->n_series, v = argv[i] + 9;
		if (dst == NULL || (*dst = strtoul(v, &end, 10), *end != '\0'))
			return -1;
	}
	return cfg->n_series > 0 && cfg->n_points >= cfg->n_series ? 0 : -1;
}

int
main(int argc, char **argv)
{
	bench_cfg cfg = {10000000, 1000};
	if (parse_args(argc, argv, &cfg) != 0) {
		fprintf(stderr,
		    "usage: bench_pg_plain [--points=N] "
		    "[--series=S] (N >= S > 0)\n");
		return 2;
	}
	if (fed_test_pg_missing())
		return 0;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (fed_test_pg_start("bench-pg", &cluster) != FED_OK)
		die(NULL, "starting PostgreSQL");
	check_stop();
	PGconn *c = PQconnectdb(fed_test_pg_conninfo(cluster));
	if (PQstatus(c) != CONNECTION_OK)
		die(c, "connect");
	PGresult *r = PQexec(c, "SHOW synchronous_commit");
	int sync_on = PQresultStatus(r) == PGRES_TUPLES_OK
	    && strcmp(PQgetvalue(r, 0, 0), "on") == 0;
	PQclear(r);
	if (!sync_on)
		die(NULL, "synchronous_commit is not on");
	printf("# PostgreSQL %d, synchronous_commit on, binary COPY\n",
	    PQserverVersion(c) / 10000);
	bench_ingest(c, &cfg);
	bench_year(c);
	PQfinish(c);
	fed_test_pg_stop(cluster);
	return 0;
}
