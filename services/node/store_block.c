// SPDX-License-Identifier: MIT
//
// store_block.c: the checksum of a block row, part of the store module
// (store_internal.h). Every row of `blocks` carries `crc`, the CRC-32C
// (Castagnoli, reflected, as in iSCSI and ext4) of its key, count, first
// and last timestamp (each as 8 little-endian bytes), its summary blob and
// its data blob. Every read that uses a block (query, append, replication,
// the check) verifies it first, so a flipped bit anywhere in the row is
// DATA_LOSS naming the series and the block's window, never wrong values.
//
// The CRC is the tree's one (fed/crc32c.h, eight bytes at a time): a year
// of 5-minute data is about 80 KB of blocks, some 50 microseconds against
// the query's millisecond.

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fed/crc32c.h"
#include "store_internal.h"

uint32_t
node__store_block_crc(const store_block *b)
{
	uint32_t crc = fed_crc32c_i64(0, b->key);
	crc = fed_crc32c_i64(crc, (int64_t) b->n);
	crc = fed_crc32c_i64(crc, b->first_ts);
	crc = fed_crc32c_i64(crc, b->last_ts);
	crc = fed_crc32c(crc, b->vals, b->vals_len);
	return fed_crc32c(crc, b->data, b->len);
}

int
node__store_block_get(sqlite3_stmt *s, int col, store_block *b)
{
	b->key = sqlite3_column_int64(s, col);
	b->n = (size_t) sqlite3_column_int64(s, col + 1);
	b->first_ts = sqlite3_column_int64(s, col + 2);
	b->last_ts = sqlite3_column_int64(s, col + 3);
	b->vals = sqlite3_column_blob(s, col + 4);
	b->vals_len = (size_t) sqlite3_column_bytes(s, col + 4);
	b->data = sqlite3_column_blob(s, col + 5);
	b->len = (size_t) sqlite3_column_bytes(s, col + 5);
	uint32_t crc = (uint32_t) sqlite3_column_int64(s, col + 6);
	node__store_summary_get(b->vals, (int) b->vals_len, &b->sum);
	return node__store_block_crc(b) == crc;
}

static void
iso_utc(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t) (ms / 1000);
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "%lld ms", (long long) ms);
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
node__store_block_window(
    int64_t key, int64_t window_ms, int64_t *from_ms, int64_t *to_ms)
{
	int64_t widx = key & INT64_C(0xffffffff);
	*from_ms = widx * window_ms;
	*to_ms = (widx + 1) * window_ms;
}

fed_status
node__store_block_bad(node_store_err *err, const char *series, int64_t key,
    int64_t window_ms, const char *why)
{
	int64_t from, to;
	node__store_block_window(key, window_ms, &from, &to);
	char a[32], b[32];
	iso_utc(from, a, sizeof(a));
	iso_utc(to, b, sizeof(b));
	fed_log(FED_LOG_ERR, "store", "series %s: block [%s, %s) %s", series,
	    a, b, why);
	return node_store_fail(err, FED_DATA_LOSS,
	    "series %s: the block of [%s, %s) %s; its points are lost", series,
	    a, b, why);
}

void (*node__store_migrate_probe)(void);

static void
sql_block_crc(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void) argc;
	if (node__store_migrate_probe != NULL)
		node__store_migrate_probe();
	store_block b;
	b.key = sqlite3_value_int64(argv[0]);
	b.n = (size_t) sqlite3_value_int64(argv[1]);
	b.first_ts = sqlite3_value_int64(argv[2]);
	b.last_ts = sqlite3_value_int64(argv[3]);
	b.vals = sqlite3_value_blob(argv[4]);
	b.vals_len = (size_t) sqlite3_value_bytes(argv[4]);
	b.data = sqlite3_value_blob(argv[5]);
	b.len = (size_t) sqlite3_value_bytes(argv[5]);
	sqlite3_result_int64(ctx, (int64_t) node__store_block_crc(&b));
}

fed_status
node__store_block_sql_fn(sqlite3 *db)
{
	int rc = sqlite3_create_function(db, "enfed_block_crc", 6,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_block_crc, NULL,
	    NULL);
	if (rc != SQLITE_OK)
		return node__store_sql_status(db, rc, "enfed_block_crc");
	return FED_OK;
}
