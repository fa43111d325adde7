// SPDX-License-Identifier: MIT
//
// test_store_integrity.c: what the store does with damage and with input
// it must refuse (issue 16): a byte flipped in a block's data or summary
// on disk is DATA_LOSS naming the series and the block's window while the
// rest of the series answers; the scrub finds and counts it; the schema
// migration to version 5 checksums the blocks already stored; an empty
// database file needs init; the zone cache evicts, never a zone in use;
// text that is not UTF-8 is refused, naming the field.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_internal.h"

#define T0   INT64_C(1767225600000) // 2026-01-01T00:00Z, a window start
#define MIN5 INT64_C(300000)
#define DAY  INT64_C(86400000)
#define WEEK (7 * DAY)

#define RAW   ENFED__V1__STEP__STEP_RAW
#define MONTH ENFED__V1__STEP__STEP_MONTH

typedef struct fixture {
	char dir[256];
	char path[300];
	node_store *st;
} fixture;

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof(f->dir), "%s/test_store_integrity.XXXXXX",
	    tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/series.db", f->dir);
	if (node_store_open(f->dir, NULL, &f->st, NULL) != FED_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;
	node_store_close(f->st);
	static const char *const names[]
	    = {"series.db", "series.db-wal", "series.db-shm"};
	char path[400];
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, names[i]);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
create(node_store *st, const char *id)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	m.source = (char *) "test";
	m.owner = (char *) "tester";
	node_store_err err = {""};
	assert_int_equal(node_store_create(st, &m, NULL, &err), FED_OK);
}

static fed_status
append(node_store *st, const char *id, int64_t from, int64_t to,
    node_store_err *err)
{
	size_t n = (size_t) ((to - from) / MIN5);
	int64_t *ts = malloc(n * sizeof(*ts));
	double *v = malloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		ts[i] = from + (int64_t) i * MIN5;
		v[i] = (double) (i % 7 + 1);
	}
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
	sp.series_id = (char *) id;
	sp.n_ts_ms = sp.n_value = n;
	sp.ts_ms = ts;
	sp.value = v;
	Enfed__V1__SeriesPoints *list[] = {&sp};
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.n_series = 1;
	req.series = list;
	fed_status s = node_store_append(st, &req, NULL, err);
	free(ts);
	free(v);
	return s;
}

// Runs a query of series id; returns its status, the message in *err.
static fed_status
query(node_store *st, const char *id, int64_t from, int64_t to,
    Enfed__V1__Step step, size_t *n_values, node_store_err *err)
{
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = from;
	r.to_ms = to;
	Enfed__V1__QueryRequest req = ENFED__V1__QUERY_REQUEST__INIT;
	req.n_series_ids = 1;
	req.series_ids = (char **) &id;
	req.range = &r;
	req.step = step;
	req.tz = (char *) "UTC";
	Enfed__V1__QueryResponse *resp = NULL;
	err->msg[0] = '\0';
	fed_status s = node_store_query(st, &req, &resp, err);
	if (s == FED_OK && n_values != NULL)
		*n_values = resp->results[0]->n_value;
	node_store_query_free(resp);
	return s;
}

// XORs one byte, at len/2, of column `col` of block `key`, as a disk
// error would, with sqlite directly beside the open store.
static void
flip_byte(const char *path, const char *col, int64_t key)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char sql[200];
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(
	    sql, sizeof(sql), "SELECT %s FROM blocks WHERE key = ?1", col);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, key);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int len = sqlite3_column_bytes(s, 0);
	uint8_t *buf = malloc((size_t) len);
	memcpy(buf, sqlite3_column_blob(s, 0), (size_t) len);
	sqlite3_finalize(s);
	buf[len / 2] ^= 0x10;
	snprintf(
	    sql, sizeof(sql), "UPDATE blocks SET %s = ?2 WHERE key = ?1", col);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, key);
	sqlite3_bind_blob(s, 2, buf, len, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
	free(buf);
}

// The key of window `week` (0-based from T0) of the store's first series.
static int64_t
week_key(int week)
{
	return node__store_key(1, (T0 + week * WEEK) / WEEK);
}

// The checksum of a block row is a stored format: this value was computed
// by the store's own CRC before it moved to fed/crc32c.h, and must never
// change.
static void
test_block_crc_pinned(void **state)
{
	(void) state;
	static const char vals[] = "0123456789abcdefghijklmnopqrstuvwxyzABCD";
	static const char data[] = "enfed block data, 37 bytes long......";
	store_block b = {.key = (INT64_C(1) << 32) | 2923,
	    .n = 3,
	    .first_ts = INT64_C(1767225600000),
	    .last_ts = INT64_C(1767226200000),
	    .vals = vals,
	    .vals_len = 40,
	    .data = (const uint8_t *) data,
	    .len = 37};
	assert_int_equal(node__store_block_crc(&b), 0xae16c538u);
}

// One byte flipped in the data of the second of three week blocks.
static void
test_flipped_data_byte(void **state)
{
	fixture *f = *state;
	node_store_err err = {""};
	create(f->st, "h/e");
	assert_int_equal(
	    append(f->st, "h/e", T0, T0 + 3 * WEEK, &err), FED_OK);
	flip_byte(f->path, "data", week_key(1));
	size_t n = 0;
	assert_int_equal(
	    query(f->st, "h/e", T0 + WEEK, T0 + 2 * WEEK, RAW, &n, &err),
	    FED_DATA_LOSS);
	assert_non_null(strstr(err.msg, "series h/e"));
	assert_non_null(
	    strstr(err.msg, "[2026-01-08T00:00:00Z, 2026-01-15T00:00:00Z)"));
	assert_int_equal(
	    query(f->st, "h/e", T0, T0 + 3 * WEEK, MONTH, &n, &err),
	    FED_DATA_LOSS);
	// The rest of the series still answers, exactly.
	assert_int_equal(
	    query(f->st, "h/e", T0, T0 + WEEK, RAW, &n, &err), FED_OK);
	assert_int_equal(n, 2016);
	assert_int_equal(
	    query(f->st, "h/e", T0 + 2 * WEEK, T0 + 3 * WEEK, RAW, &n, &err),
	    FED_OK);
	assert_int_equal(n, 2016);
	// Writing into the damaged block is refused; the next block takes it.
	assert_int_equal(append(f->st, "h/e", T0 + WEEK + 1000,
	                     T0 + WEEK + 1000 + MIN5, &err),
	    FED_DATA_LOSS);
	assert_non_null(strstr(err.msg, "2026-01-08T00:00:00Z"));
	assert_int_equal(append(f->st, "h/e", T0 + 3 * WEEK - 1000,
	                     T0 + 3 * WEEK - 1000 + MIN5, &err),
	    FED_OK);
}

// A flipped summary would change month and year sums, which are read from
// summaries without decoding the data.
static void
test_flipped_summary_byte(void **state)
{
	fixture *f = *state;
	node_store_err err = {""};
	create(f->st, "h/e");
	assert_int_equal(
	    append(f->st, "h/e", T0, T0 + 3 * WEEK, &err), FED_OK);
	size_t n = 0;
	assert_int_equal(
	    query(f->st, "h/e", T0, T0 + 3 * WEEK, MONTH, &n, &err), FED_OK);
	flip_byte(f->path, "vals", week_key(0));
	assert_int_equal(
	    query(f->st, "h/e", T0, T0 + 3 * WEEK, MONTH, &n, &err),
	    FED_DATA_LOSS);
	assert_non_null(
	    strstr(err.msg, "series h/e: the block of [2026-01-01T00:00:00Z"));
	assert_int_equal(
	    query(f->st, "h/e", T0 + WEEK, T0 + 3 * WEEK, MONTH, &n, &err),
	    FED_OK);
}

static void
test_scrub_reports_bad_blocks(void **state)
{
	fixture *f = *state;
	node_store_err err = {""};
	create(f->st, "a/e");
	create(f->st, "h/e");
	assert_int_equal(
	    append(f->st, "a/e", T0, T0 + 3 * WEEK, &err), FED_OK);
	assert_int_equal(
	    append(f->st, "h/e", T0, T0 + 3 * WEEK, &err), FED_OK);
	node_store_scrub_report rep;
	node_store_scrub_opts o = {1, 0, NULL}; // one block per transaction
	assert_int_equal(node_store_scrub(f->st, &o, &rep, &err), FED_OK);
	assert_int_equal(rep.n_blocks, 6);
	assert_int_equal(rep.n_bad, 0);
	flip_byte(f->path, "data", week_key(2));
	assert_int_equal(node_store_scrub(f->st, &o, &rep, &err), FED_OK);
	assert_int_equal(rep.n_blocks, 6);
	assert_int_equal(rep.n_bad, 1);
	assert_int_equal(rep.n_listed, 1);
	assert_string_equal(rep.bad[0].series, "a/e");
	assert_int_equal(rep.bad[0].from_ms, T0 + 2 * WEEK);
	assert_int_equal(rep.bad[0].to_ms, T0 + 3 * WEEK);
	assert_string_equal(rep.bad[0].why, "fails its checksum");
	assert_int_equal(node_store_check(f->st, &err), FED_DATA_LOSS);
	assert_non_null(strstr(err.msg, "series a/e: 1 bad block"));
	atomic_int stop = 1;
	o.stop = &stop;
	assert_int_equal(
	    node_store_scrub(f->st, &o, &rep, &err), FED_CANCELLED);
}

// A version 4 database (blocks without checksums) is migrated at open:
// every block gets its checksum and reads as before.
static void
test_migration_v5(void **state)
{
	fixture *f = *state;
	node_store_err err = {""};
	create(f->st, "h/e");
	assert_int_equal(
	    append(f->st, "h/e", T0, T0 + 2 * WEEK, &err), FED_OK);
	node_store_close(f->st);
	f->st = NULL;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                     "ALTER TABLE blocks DROP COLUMN crc;"
	                     "PRAGMA user_version = 4;",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(node_store_open(f->dir, NULL, &f->st, &err), FED_OK);
	size_t n = 0;
	assert_int_equal(
	    query(f->st, "h/e", T0, T0 + 2 * WEEK, RAW, &n, &err), FED_OK);
	assert_int_equal(n, 2 * 2016);
	node_store_scrub_report rep;
	assert_int_equal(node_store_scrub(f->st, NULL, &rep, &err), FED_OK);
	assert_int_equal(rep.n_blocks, 2);
	assert_int_equal(rep.n_bad, 0);
	assert_int_equal(node_store_check(f->st, &err), FED_OK);
}

static void
write_file(const char *path, const char *bytes, size_t len)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(bytes, 1, len, fp), len);
	fclose(fp);
}

// A zero-length series.db is refused unless init is asked for; a file
// that is not a database is refused and left as it is; a missing file is
// a first start.
static void
test_empty_file_needs_init(void **state)
{
	fixture *f = *state;
	node_store_close(f->st);
	f->st = NULL;
	unlink(f->path);
	write_file(f->path, "", 0);
	node_store_opts o;
	node_store_opts_init(&o);
	node_store_err err = {""};
	assert_int_equal(node_store_open(f->dir, &o, &f->st, &err),
	    FED_FAILED_PRECONDITION);
	assert_null(f->st);
	assert_non_null(strstr(err.msg, "exists but is empty"));
	o.init = 1;
	assert_int_equal(node_store_open(f->dir, &o, &f->st, &err), FED_OK);
	create(f->st, "h/e");
	node_store_close(f->st);
	f->st = NULL;
	o.init = 0;
	assert_int_equal(node_store_open(f->dir, &o, &f->st, &err), FED_OK);
	node_store_latest l;
	assert_int_equal(
	    node_store_get_latest(f->st, "h/e", &l, &err), FED_OK);
}

// A first start builds the store under series.db.new and renames it into
// place, so that a crash in it never leaves an empty series.db; what an
// earlier crash left under the temporary name is dropped.
static void
test_first_start_is_atomic(void **state)
{
	fixture *f = *state;
	node_store_close(f->st);
	f->st = NULL;
	unlink(f->path);
	char tmp[400];
	snprintf(tmp, sizeof(tmp), "%s.new", f->path);
	write_file(tmp, "", 0); // a crash's leftover
	node_store_err err = {""};
	assert_int_equal(node_store_open(f->dir, NULL, &f->st, &err), FED_OK);
	assert_int_equal(access(tmp, F_OK), -1);
	FILE *fp = fopen(f->path, "rb");
	assert_non_null(fp);
	char head[16];
	assert_int_equal(fread(head, 1, sizeof(head), fp), sizeof(head));
	fclose(fp);
	assert_memory_equal(head, "SQLite format 3", 16);
	create(f->st, "h/e");
}

static void
test_not_a_database_refused(void **state)
{
	fixture *f = *state;
	node_store_close(f->st);
	f->st = NULL;
	unlink(f->path);
	static const char junk[] = "this is not a database, but it is data\n";
	write_file(f->path, junk, sizeof(junk) - 1);
	node_store_opts o;
	node_store_opts_init(&o);
	o.init = 1; // even so: init never overwrites
	node_store_err err = {""};
	assert_int_equal(
	    node_store_open(f->dir, &o, &f->st, &err), FED_DATA_LOSS);
	assert_non_null(strstr(err.msg, "not an sqlite database"));
	char buf[100];
	FILE *fp = fopen(f->path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(buf, 1, sizeof(buf), fp), sizeof(junk) - 1);
	fclose(fp);
	assert_memory_equal(buf, junk, sizeof(junk) - 1);
	unlink(f->path); // missing: a first start creates it
	assert_int_equal(node_store_open(f->dir, NULL, &f->st, &err), FED_OK);
}

// Up to max zone names from tzdata's zone1970.tab, into names[].
static size_t
zone_names(char names[][64], size_t max)
{
	const char *dir = getenv("TZDIR");
	char path[300];
	snprintf(path, sizeof(path), "%s/zone1970.tab",
	    dir && dir[0] ? dir : "/usr/share/zoneinfo");
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	char line[512];
	size_t n = 0;
	while (n < max && fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#')
			continue;
		char *f = strchr(line, '\t');
		f = f ? strchr(f + 1, '\t') : NULL;
		if (f == NULL)
			continue;
		size_t len = strcspn(f + 1, "\t\n");
		if (len > 0 && len < 64)
			snprintf(names[n++], 64, "%.*s", (int) len, f + 1);
	}
	fclose(fp);
	return n;
}

// 100 different zones in a row, each a day query: the cache evicts.
static void
test_hundred_zones(void **state)
{
	fixture *f = *state;
	node_store_err err = {""};
	create(f->st, "h/e");
	assert_int_equal(append(f->st, "h/e", T0, T0 + 2 * DAY, &err), FED_OK);
	static char names[100][64];
	assert_int_equal(zone_names(names, 100), 100);
	const char *id = "h/e";
	for (size_t i = 0; i < 100; i++) {
		Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
		r.from_ms = T0;
		r.to_ms = T0 + 2 * DAY;
		Enfed__V1__QueryRequest req = ENFED__V1__QUERY_REQUEST__INIT;
		req.n_series_ids = 1;
		req.series_ids = (char **) &id;
		req.range = &r;
		req.step = ENFED__V1__STEP__STEP_DAY;
		req.tz = names[i];
		Enfed__V1__QueryResponse *resp = NULL;
		assert_int_equal(
		    node_store_query(f->st, &req, &resp, &err), FED_OK);
		assert_string_equal(resp->tz, names[i]);
		node_store_query_free(resp);
	}
}

// A zone held by a running call is never evicted: with every slot held,
// a new zone is UNAVAILABLE (and the held ones stay usable); once one is
// released, the new zone takes its slot.
static void
test_held_zones_not_evicted(void **state)
{
	fixture *f = *state;
	node_store_err err = {""};
	static char names[NODE__STORE_MAX_ZONES + 1][64];
	size_t want = NODE__STORE_MAX_ZONES + 1;
	assert_int_equal(zone_names(names, want), want);
	const fed_tz *held[NODE__STORE_MAX_ZONES];
	// The default zone (Europe/Paris) holds one slot for the store.
	size_t n = 0;
	for (size_t i = 0; n < NODE__STORE_MAX_ZONES - 1; i++) {
		if (strcmp(names[i], "Europe/Paris") == 0)
			continue;
		assert_int_equal(
		    node_store_zone(f->st, names[i], &held[n], &err), FED_OK);
		n++;
	}
	const fed_tz *z = NULL;
	assert_int_equal(
	    node_store_zone(f->st, "Etc/GMT+5", &z, &err), FED_UNAVAILABLE);
	assert_non_null(strstr(err.msg, "tz: Etc/GMT+5"));
	for (size_t i = 0; i < n; i++)
		assert_true(
		    fed_tz_floor(held[i], T0 + 1, FED_TZ_YEAR) <= T0 + 1);
	node_store_zone_put(f->st, held[0]);
	assert_int_equal(
	    node_store_zone(f->st, "Etc/GMT+5", &z, &err), FED_OK);
	assert_string_equal(fed_tz_name(z), "Etc/GMT+5");
	node_store_zone_put(f->st, z);
	for (size_t i = 1; i < n; i++)
		node_store_zone_put(f->st, held[i]);
}

// Strings the store keeps must be UTF-8: a strict protobuf client fails
// on a whole ListSeries that carries one bad string.
static void
test_invalid_utf8_refused(void **state)
{
	fixture *f = *state;
	node_store_err err = {""};
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) "h/e";
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	m.source = (char *) "test";
	m.owner = (char *) "M\xe9lanie"; // Latin-1, not UTF-8
	assert_int_equal(
	    node_store_create(f->st, &m, NULL, &err), FED_INVALID_ARGUMENT);
	assert_string_equal(err.msg, "meta.owner: not valid UTF-8");
	m.owner = (char *) "M\xc3\xa9lanie"; // the same name in UTF-8
	Enfed__V1__Fact f0 = ENFED__V1__FACT__INIT, f1 = ENFED__V1__FACT__INIT;
	f0.key = (char *) "surface";
	f0.value = (char *) "120 m\xc2\xb2";
	f1.key = (char *) "heating";
	f1.value = (char *) "\xed\xa0\x80"; // a UTF-16 surrogate
	Enfed__V1__Fact *box[] = {&f0, &f1};
	m.box = box;
	m.n_box = 2;
	assert_int_equal(
	    node_store_create(f->st, &m, NULL, &err), FED_INVALID_ARGUMENT);
	assert_string_equal(err.msg, "meta.box[1].value: not valid UTF-8");
	f1.value = (char *) "\xc0\xaf"; // an overlong '/'
	assert_int_equal(
	    node_store_create(f->st, &m, NULL, &err), FED_INVALID_ARGUMENT);
	f1.value = (char *) "heat pump \xf0\x9f\x94\xa5";
	assert_int_equal(node_store_create(f->st, &m, NULL, &err), FED_OK);
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.id = (char *) "g1";
	g.series = (char *) "h/";
	g.grantee_node = (char *) "bmhs\xff";
	assert_int_equal(node_store_grant_put(f->st, &g, "hash", &err),
	    FED_INVALID_ARGUMENT);
	assert_string_equal(err.msg, "grant.grantee_node: not valid UTF-8");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_block_crc_pinned),
	    T(test_flipped_data_byte),
	    T(test_flipped_summary_byte),
	    T(test_scrub_reports_bad_blocks),
	    T(test_migration_v5),
	    T(test_empty_file_needs_init),
	    T(test_not_a_database_refused),
	    T(test_first_start_is_atomic),
	    T(test_hundred_zones),
	    T(test_held_zones_not_evicted),
	    T(test_invalid_utf8_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
