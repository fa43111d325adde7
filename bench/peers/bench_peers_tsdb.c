// SPDX-License-Identifier: MIT
//
// bench_peers_tsdb.c: fed-node's store beside InfluxDB (Debian's influxdb,
// 1.x) and plain sqlite, in one run, on the same points.
//
// The data: --points N (10,000,000) rounded up to whole years of 5-minute
// data, N / 105,120 series (a house for even series, the school's PV
// plant for odd ones, integer Wh, from the project's simulator), generated
// before any timing. Each side gets the same points in the same order:
// 1,000 consecutive points of up to 100 series at a time.
//
//   ingest  enfed: a fed-node process, Ingest RPC calls of 100 series x
//           1,000 points, synchronous=FULL (its default). InfluxDB: HTTP
//           line protocol, 10,000 lines a request (10 series x 1,000
//           points; formatting the lines is timed, as enfed's encoding
//           is), WAL fsync on every write. Plain sqlite: one row per
//           point (series_id, ts, value), PRIMARY KEY(series_id, ts), WAL,
//           synchronous=FULL, 10,000 rows a transaction. Points/s over
//           the time spent in the calls.
//   disk    bytes on disk per point (blocks allocated) once each has
//           settled: the node
//           stopped (WAL checkpointed), the sqlite file closed, InfluxDB's
//           data and WAL folders after its cache was snapshot to TSM
//           files (cold-write snapshot after 1 s, full compaction after
//           5 s of no writes; waited for, 120 s at most).
//   query   a year of series 0 (the house) to local days in Europe/Paris,
//           median of 21: enfed through the node's Query RPC (STEP_DAY),
//           InfluxDB through InfluxQL over HTTP (GROUP BY time(1d)
//           TZ('Europe/Paris')), plain sqlite with a GROUP BY on the
//           local day (the 2026 summer-time dates written into the SQL).
//
// InfluxDB runs from a temporary config (loopback only, temporary
// folders) and is stopped at the end; when influxd is missing or does not
// start, its figures are printed as `skipped`.

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed_test.h"
#include "peers_common.h"

#define YEAR_SLOTS  (365 * 288)
#define CHUNK       1000
#define CALL_SERIES 100
#define FLUX_SERIES 10
#define SQL_TX_ROWS 10000
#define QUERY_RUNS  21
#define PARIS_Y0    (PEERS_T0 - 3600000) // 2026-01-01T00:00+01:00
#define PARIS_Y1    INT64_C(1798758000000) // 2027-01-01T00:00+01:00
#define DST_ON      INT64_C(1774746000000) // 2026-03-29T01:00Z
#define DST_OFF     INT64_C(1792890000000) // 2026-10-25T01:00Z

typedef struct data {
	size_t n_series;
	double **v; // v[s][k]: series s at PEERS_T0 + k slots
	char (*ids)[32];
} data;

typedef struct cfg {
	size_t points;
	const char *influxd;
	char node_bin[512];
	char *dir;
} cfg;

typedef struct fig {
	double ingest, bytes, query_ms;
	int ok;
} fig;

static int64_t
slot_ts(size_t k)
{
	return PEERS_T0 + (int64_t) k * PEERS_SLOT_MS;
}

static void
data_make(data *d, size_t points)
{
	d->n_series = (points + YEAR_SLOTS - 1) / YEAR_SLOTS;
	d->v = calloc(d->n_series, sizeof(*d->v));
	d->ids = calloc(d->n_series, sizeof(*d->ids));
	for (size_t s = 0; s < d->n_series; s++) {
		d->v[s] = malloc(YEAR_SLOTS * sizeof(double));
		peers_fill(s, PEERS_T0, YEAR_SLOTS, d->v[s]);
		snprintf(d->ids[s], sizeof(d->ids[s]), "bench/%s/%03zu",
		    s % 2 ? "pv" : "house", s);
	}
}

static double
dir_bytes(const char *path)
{
	struct stat sb;
	if (lstat(path, &sb) != 0)
		return 0;
	// Blocks allocated, not the apparent size: InfluxDB preallocates
	// sparse segment files.
	if (!S_ISDIR(sb.st_mode))
		return (double) sb.st_blocks * 512.0;
	DIR *dp = opendir(path);
	double total = 0;
	struct dirent *e;
	while (dp && (e = readdir(dp)) != NULL) {
		if (strcmp(e->d_name, ".") == 0
		    || strcmp(e->d_name, "..") == 0)
			continue;
		char sub[1024];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		total += dir_bytes(sub);
	}
	if (dp)
		closedir(dp);
	return total;
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

// --- enfed: a fed-node process ----------------------------------------------

static void
node_create(peers_node *n, const char *id)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	peers_node_call(n, "CreateSeries", &req.base);
}

static int64_t
node_ingest_chunk(peers_node *n, const data *d, size_t s0, size_t k0)
{
	static int64_t ts[CHUNK];
	Enfed__V1__SeriesPoints sp[CALL_SERIES], *list[CALL_SERIES];
	size_t ns
	    = d->n_series - s0 < CALL_SERIES ? d->n_series - s0 : CALL_SERIES;
	size_t np = YEAR_SLOTS - k0 < CHUNK ? YEAR_SLOTS - k0 : CHUNK;
	for (size_t k = 0; k < np; k++)
		ts[k] = slot_ts(k0 + k);
	for (size_t i = 0; i < ns; i++) {
		enfed__v1__series_points__init(&sp[i]);
		sp[i].series_id = d->ids[s0 + i];
		sp[i].ts_ms = ts;
		sp[i].value = d->v[s0 + i] + k0;
		sp[i].n_ts_ms = sp[i].n_value = np;
		list[i] = &sp[i];
	}
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.n_series = ns;
	req.series = list;
	int64_t t = fed_clock_mono_ns();
	peers_node_call(n, "Ingest", &req.base);
	return fed_clock_mono_ns() - t;
}

static double
node_query_ms(peers_node *n, const char *id)
{
	double ms[QUERY_RUNS];
	char *ids[] = {(char *) id};
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = PARIS_Y0;
	r.to_ms = PARIS_Y1;
	Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
	q.n_series_ids = 1;
	q.series_ids = ids;
	q.range = &r;
	q.step = ENFED__V1__STEP__STEP_DAY;
	q.tz = (char *) "Europe/Paris";
	for (size_t i = 0; i < QUERY_RUNS; i++) {
		ProtobufCMessage *rep = NULL;
		int64_t t = fed_clock_mono_ns();
		fed_status st = fed_rpc_call(n->rpc,
		    &enfed__v1__series_store__descriptor, "Query", &q.base,
		    &rep, NULL, 0);
		ms[i] = (double) (fed_clock_mono_ns() - t) / 1e6;
		Enfed__V1__QueryResponse *qr
		    = (Enfed__V1__QueryResponse *) rep;
		if (st != FED_OK || qr->results[0]->n_value != 365) {
			fprintf(stderr, "bench_peers_tsdb: node query\n");
			exit(1);
		}
		protobuf_c_message_free_unpacked(rep, NULL);
	}
	return median(ms, QUERY_RUNS);
}

static void
bench_node(const cfg *c, const data *d, fig *f)
{
	char dir[600], db[700];
	snprintf(dir, sizeof(dir), "%s/node", c->dir);
	char *mk[] = {"mkdir", "-p", dir, NULL};
	fed_test_spawn(mk, 0);
	const char *extra[] = {"--log-level=warning", NULL};
	peers_node n;
	peers_node_start(&n, c->node_bin, dir, extra);
	for (size_t s = 0; s < d->n_series; s++)
		node_create(&n, d->ids[s]);
	int64_t ns = 0;
	for (size_t k0 = 0; k0 < YEAR_SLOTS; k0 += CHUNK)
		for (size_t s0 = 0; s0 < d->n_series; s0 += CALL_SERIES)
			ns += node_ingest_chunk(&n, d, s0, k0);
	peers_node_stop(&n);
	snprintf(db, sizeof(db), "%s/" PEERS_NODE_DATA, dir);
	f->ingest = (double) (d->n_series * YEAR_SLOTS) / ((double) ns / 1e9);
	f->bytes = dir_bytes(db) / (double) (d->n_series * YEAR_SLOTS);
	peers_node_start(&n, c->node_bin, dir, extra);
	f->query_ms = node_query_ms(&n, d->ids[0]);
	peers_node_stop(&n);
	f->ok = 1;
}

// --- plain sqlite
// -------------------------------------------------------------

static void
sql_check(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "bench_peers_tsdb: sqlite %s: %s\n", what,
		    sqlite3_errmsg(db));
		exit(1);
	}
}

static int64_t
sql_ingest_chunk(
    sqlite3 *db, sqlite3_stmt *ins, const data *d, size_t s0, size_t k0)
{
	size_t ns
	    = d->n_series - s0 < FLUX_SERIES ? d->n_series - s0 : FLUX_SERIES;
	size_t np = YEAR_SLOTS - k0 < CHUNK ? YEAR_SLOTS - k0 : CHUNK;
	int64_t t = fed_clock_mono_ns();
	sql_check(db, sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), "begin");
	for (size_t i = 0; i < ns; i++)
		for (size_t k = 0; k < np; k++) {
			sqlite3_bind_int64(ins, 1, (int64_t) (s0 + i));
			sqlite3_bind_int64(ins, 2, slot_ts(k0 + k));
			sqlite3_bind_double(ins, 3, d->v[s0 + i][k0 + k]);
			sql_check(db, sqlite3_step(ins), "insert");
			sqlite3_reset(ins);
		}
	sql_check(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
	return fed_clock_mono_ns() - t;
}

static double
sql_query_ms(sqlite3 *db)
{
	double ms[QUERY_RUNS];
	sqlite3_stmt *q;
	// The local day: +2 h between the 2026 summer-time changes, else +1 h.
	sql_check(db,
	    sqlite3_prepare_v2(db,
	        "SELECT (ts + CASE WHEN ts >= ?4 AND ts < ?5 THEN 7200000"
	        " ELSE 3600000 END) / 86400000 AS d, sum(value), count(*)"
	        " FROM points WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3"
	        " GROUP BY d",
	        -1, &q, NULL),
	    "prepare");
	for (size_t i = 0; i < QUERY_RUNS; i++) {
		int64_t t = fed_clock_mono_ns();
		sqlite3_bind_int64(q, 1, 0);
		sqlite3_bind_int64(q, 2, PARIS_Y0);
		sqlite3_bind_int64(q, 3, PARIS_Y1);
		sqlite3_bind_int64(q, 4, DST_ON);
		sqlite3_bind_int64(q, 5, DST_OFF);
		int rows = 0;
		while (sqlite3_step(q) == SQLITE_ROW)
			rows++;
		sqlite3_reset(q);
		ms[i] = (double) (fed_clock_mono_ns() - t) / 1e6;
		if (rows != 365) {
			fprintf(stderr, "bench_peers_tsdb: sqlite: %d days\n",
			    rows);
			exit(1);
		}
	}
	sqlite3_finalize(q);
	return median(ms, QUERY_RUNS);
}

static void
bench_sqlite(const cfg *c, const data *d, fig *f)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/plain.db", c->dir);
	sqlite3 *db = NULL;
	sql_check(db, sqlite3_open(path, &db), "open");
	sql_check(db,
	    sqlite3_exec(db,
	        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	        "CREATE TABLE points(series_id INTEGER, ts INTEGER,"
	        " value REAL, PRIMARY KEY(series_id, ts));",
	        NULL, NULL, NULL),
	    "schema");
	sqlite3_stmt *ins;
	sql_check(db,
	    sqlite3_prepare_v2(
	        db, "INSERT INTO points VALUES(?, ?, ?)", -1, &ins, NULL),
	    "prepare");
	int64_t ns = 0;
	for (size_t k0 = 0; k0 < YEAR_SLOTS; k0 += CHUNK)
		for (size_t s0 = 0; s0 < d->n_series; s0 += FLUX_SERIES)
			ns += sql_ingest_chunk(db, ins, d, s0, k0);
	sqlite3_finalize(ins);
	sqlite3_close(db); // the last connection: checkpoints the WAL away
	f->ingest = (double) (d->n_series * YEAR_SLOTS) / ((double) ns / 1e9);
	char wal[700];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	f->bytes = (dir_bytes(path) + dir_bytes(wal))
	    / (double) (d->n_series * YEAR_SLOTS);
	sql_check(db, sqlite3_open(path, &db), "open");
	f->query_ms = sql_query_ms(db);
	sqlite3_close(db);
	f->ok = 1;
}

// --- InfluxDB
// -----------------------------------------------------------------

// One HTTP/1.1 request to 127.0.0.1:port on a connection of its own
// (Connection: close); the status code, or -1. The reply body (up to
// cap - 1 bytes) goes to out when out is not NULL.
static int
http(int port, const char *method, const char *path, const char *body,
    size_t body_len, char *out, size_t cap)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a
	    = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = {60, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *) &a, sizeof(a)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char head[4096];
	int n = snprintf(head, sizeof(head),
	    "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
	    "Content-Length: %zu\r\n\r\n",
	    method, path, body_len);
	int ok = write(fd, head, (size_t) n) == n;
	for (size_t off = 0; ok && off < body_len;) {
		ssize_t w = write(fd, body + off, body_len - off);
		ok = w > 0;
		off += ok ? (size_t) w : 0;
	}
	static char buf[1 << 20];
	size_t len = 0;
	ssize_t r;
	while (ok && len < sizeof(buf) - 1
	    && (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t) r;
	buf[len] = '\0';
	close(fd);
	int status = -1;
	if (!ok || sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	const char *b = strstr(buf, "\r\n\r\n");
	if (out && cap > 0)
		snprintf(out, cap, "%s", b ? b + 4 : "");
	return status;
}

static void
url_encode(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	for (; *s && o + 4 < cap; s++) {
		unsigned char ch = (unsigned char) *s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
		    || (ch >= '0' && ch <= '9') || strchr("-_.~", ch))
			out[o++] = (char) ch;
		else
			o += (size_t) snprintf(out + o, cap - o, "%%%02X", ch);
	}
	out[o] = '\0';
}

static int
influx_start(const cfg *c, int *port)
{
	char conf[700], flux[600];
	snprintf(flux, sizeof(flux), "%s/influx", c->dir);
	snprintf(conf, sizeof(conf), "%s/influxdb.conf", c->dir);
	*port = fed_test_free_port();
	int rpc_port = fed_test_free_port();
	FILE *f = fopen(conf, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
	    "reporting-disabled = true\nbind-address = \"127.0.0.1:%d\"\n"
	    "[meta]\n  dir = \"%s/meta\"\n"
	    "[data]\n  dir = \"%s/data\"\n  wal-dir = \"%s/wal\"\n"
	    "  wal-fsync-delay = \"0s\"\n  query-log-enabled = false\n"
	    "  cache-snapshot-write-cold-duration = \"1s\"\n"
	    "  compact-full-write-cold-duration = \"5s\"\n"
	    "[http]\n  bind-address = \"127.0.0.1:%d\"\n"
	    "  log-enabled = false\n  max-body-size = 0\n"
	    "[monitor]\n  store-enabled = false\n"
	    "[continuous_queries]\n  enabled = false\n"
	    "[subscriber]\n  enabled = false\n",
	    rpc_port, flux, flux, flux, *port);
	fclose(f);
	char log[700];
	snprintf(log, sizeof(log), "%s/influxd.log", c->dir);
	char *argv[] = {(char *) c->influxd, "-config", conf, NULL};
	int pid = fed_test_proc_start(argv, log);
	if (pid < 0)
		return -1;
	peers_track(pid);
	for (int i = 0; i < 300; i++) {
		if (http(*port, "GET", "/ping", "", 0, NULL, 0) == 204)
			return pid;
		peers_sleep_us(100000);
	}
	fed_test_proc_stop(pid, SIGTERM, 10000);
	peers_forget(pid);
	return -1;
}

static int64_t
influx_ingest_chunk(
    int port, char *buf, size_t cap, const data *d, size_t s0, size_t k0)
{
	size_t ns
	    = d->n_series - s0 < FLUX_SERIES ? d->n_series - s0 : FLUX_SERIES;
	size_t np = YEAR_SLOTS - k0 < CHUNK ? YEAR_SLOTS - k0 : CHUNK;
	int64_t t = fed_clock_mono_ns();
	size_t len = 0;
	for (size_t i = 0; i < ns; i++)
		for (size_t k = 0; k < np && len + 128 < cap; k++)
			len += (size_t) snprintf(buf + len, cap - len,
			    "energy,id=%s value=%.17g %lld\n", d->ids[s0 + i],
			    d->v[s0 + i][k0 + k], (long long) slot_ts(k0 + k));
	int st = http(
	    port, "POST", "/write?db=bench&precision=ms", buf, len, NULL, 0);
	if (st != 204) {
		fprintf(stderr, "bench_peers_tsdb: influx write: %d\n", st);
		exit(1);
	}
	return fed_clock_mono_ns() - t;
}

// Waits until the WAL is snapshot and the TSM files stop changing for 6 s
// (120 s at most); returns the bytes of the data and WAL folders.
static double
influx_settle(const cfg *c)
{
	char data_dir[700], wal[700];
	snprintf(data_dir, sizeof(data_dir), "%s/influx/data", c->dir);
	snprintf(wal, sizeof(wal), "%s/influx/wal", c->dir);
	double last = -1;
	int stable = 0;
	for (int i = 0; i < 120 && stable < 6; i++) {
		peers_sleep_us(1000000);
		double now = dir_bytes(data_dir) + dir_bytes(wal);
		stable = now == last ? stable + 1 : 0;
		last = now;
	}
	fprintf(stderr, "bench_peers_tsdb: influx data %.0f, wal %.0f bytes\n",
	    dir_bytes(data_dir), dir_bytes(wal));
	return last;
}

static double
influx_query_ms(int port, const char *id)
{
	char q[512], enc[1024], path[1200];
	snprintf(q, sizeof(q),
	    "SELECT sum(value) FROM energy WHERE id = '%s' AND time >= "
	    "%lldms AND time < %lldms GROUP BY time(1d) TZ('Europe/Paris')",
	    id, (long long) PARIS_Y0, (long long) PARIS_Y1);
	url_encode(enc, sizeof(enc), q);
	snprintf(path, sizeof(path), "/query?db=bench&epoch=ms&q=%s", enc);
	static char out[1 << 20];
	double ms[QUERY_RUNS];
	for (size_t i = 0; i < QUERY_RUNS; i++) {
		int64_t t = fed_clock_mono_ns();
		int st = http(port, "GET", path, "", 0, out, sizeof(out));
		ms[i] = (double) (fed_clock_mono_ns() - t) / 1e6;
		size_t rows = 0;
		for (const char *p = out; (p = strstr(p, "],[")) != NULL; p++)
			rows++;
		if (st != 200 || rows + 1 != 365) {
			fprintf(stderr,
			    "bench_peers_tsdb: influx query: %d, %zu days: "
			    "%.200s\n",
			    st, rows + 1, out);
			exit(1);
		}
	}
	return median(ms, QUERY_RUNS);
}

static void
bench_influx(const cfg *c, const data *d, fig *f)
{
	int port = 0;
	if (access(c->influxd, X_OK) != 0)
		return;
	int pid = influx_start(c, &port);
	if (pid < 0)
		return;
	if (http(port, "POST", "/query?q=CREATE%20DATABASE%20bench", "", 0,
	        NULL, 0)
	    != 200) {
		fprintf(stderr, "bench_peers_tsdb: influx: CREATE DATABASE\n");
		exit(1);
	}
	size_t cap = FLUX_SERIES * CHUNK * 128;
	char *buf = malloc(cap);
	int64_t ns = 0;
	for (size_t k0 = 0; k0 < YEAR_SLOTS; k0 += CHUNK)
		for (size_t s0 = 0; s0 < d->n_series; s0 += FLUX_SERIES)
			ns += influx_ingest_chunk(port, buf, cap, d, s0, k0);
	free(buf);
	f->ingest = (double) (d->n_series * YEAR_SLOTS) / ((double) ns / 1e9);
	f->bytes = influx_settle(c) / (double) (d->n_series * YEAR_SLOTS);
	f->query_ms = influx_query_ms(port, d->ids[0]);
	fed_test_proc_stop(pid, SIGTERM, 30000);
	peers_forget(pid);
	f->ok = 1;
}

// --- main -------------------------------------------------------------------

static void
print_side(const char *side, const fig *f)
{
	char k[96];
	if (!f->ok) {
		printf("tsdb_%s skipped -\n", side);
		return;
	}
	snprintf(k, sizeof(k), "tsdb_ingest_%s", side);
	peers_print(k, f->ingest, "points/s");
	snprintf(k, sizeof(k), "tsdb_disk_%s", side);
	peers_print(k, f->bytes, "bytes/point");
	snprintf(k, sizeof(k), "tsdb_query_year_days_%s", side);
	peers_print(k, f->query_ms, "ms");
}

static void
print_ratios(const char *side, const fig *e, const fig *p)
{
	char k[96];
	if (!p->ok)
		return;
	snprintf(k, sizeof(k), "tsdb_ingest_enfed_vs_%s", side);
	peers_ratio(k, e->ingest, p->ingest);
	snprintf(k, sizeof(k), "tsdb_disk_%s_over_enfed", side);
	peers_ratio(k, p->bytes, e->bytes);
	snprintf(k, sizeof(k), "tsdb_query_%s_over_enfed", side);
	peers_ratio(k, p->query_ms, e->query_ms);
}

int
main(int argc, char **argv)
{
	cfg c = {.points = 10000000, .influxd = "/usr/bin/influxd"};
	snprintf(c.node_bin, sizeof(c.node_bin), "%s", FED_NODE_BIN);
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--points=", 9) == 0
		    && atol(argv[i] + 9) > 0)
			c.points = (size_t) atol(argv[i] + 9);
		else if (strncmp(argv[i], "--influxd=", 10) == 0)
			c.influxd = argv[i] + 10;
		else {
			fprintf(stderr,
			    "usage: bench_peers_tsdb [--points=N]"
			    " [--influxd=PATH]\n");
			return 2;
		}
	}
	c.dir = fed_test_tmpdir("bench-peers-tsdb");
	data d;
	data_make(&d, c.points);
	fig e = {0}, s = {0}, x = {0};
	bench_node(&c, &d, &e);
	bench_sqlite(&c, &d, &s);
	bench_influx(&c, &d, &x);
	peers_print(
	    "tsdb_points", (double) (d.n_series * YEAR_SLOTS), "points");
	print_side("enfed", &e);
	print_side("sqlite", &s);
	print_side("influxdb", &x);
	print_ratios("sqlite", &e, &s);
	print_ratios("influxdb", &e, &x);
	fed_test_rmtree(c.dir);
	free(c.dir);
	return 0;
}
