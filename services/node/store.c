// SPDX-License-Identifier: MIT
//
// store.c: opening and closing the series store, its connections (one
// writer behind a mutex, a pool of readers), the schema and its
// migration, and the cache of time zones. The rest of the store is one
// file per concern: transactions and the sqlite boundary (store_txn.c),
// series metadata (store_meta.c), appends (store_append.c, queued by
// store_group.c), queries (store_query.c), grants (store_grants.c), the
// replication outbox (store_outbox.c), alarms (store_alarms.c), the
// access log (store_access.c), checks (store_check.c), statistics,
// compaction and backup (store_maint.c).
//
// Connections are opened with SQLITE_OPEN_NOMUTEX: the store guarantees
// that one thread at a time uses each, so sqlite's own mutexes would only
// cost. Every connection carries its prepared statements and a block codec.

#include "store.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_internal.h"

#define SCHEMA_VERSION 5

// A cached zone: `refs` callers hold it (a query running in it); only a
// zone nobody holds may be evicted, the least recently used first.
typedef struct store_zone {
	fed_tz *tz;
	unsigned refs;
	uint64_t used;
} store_zone;

struct node_store {
	node_store_opts opts;
	char *default_tz;
	store_conn writer;
	pthread_mutex_t writer_mtx;
	store_conn *readers;
	unsigned n_readers;
	store_conn *free_readers;
	pthread_mutex_t pool_mtx;
	pthread_cond_t pool_cond;
	node__live_grants live; // under the writer lock
	store_zone zones[NODE__STORE_MAX_ZONES];
	size_t n_zones;
	uint64_t zone_clock; // stamps each use, for least-recently-used
	const fed_tz *default_zone; // held (never evicted) while open
	pthread_mutex_t zone_mtx;
	node__group *group; // the commit queue of appends (store_group.c)
};

static const char *const stmt_sql[STMT_COUNT] = {
#define STORE__STMT_SQL(name, sql) [STMT_##name] = sql,
    STORE_STMTS(STORE__STMT_SQL)
#undef STORE__STMT_SQL
};

static const char schema_sql[]
    = "CREATE TABLE series("
      " sid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
      " kind INTEGER NOT NULL, unit INTEGER NOT NULL,"
      " interval_s INTEGER NOT NULL, source TEXT NOT NULL,"
      " owner TEXT NOT NULL, visibility INTEGER NOT NULL,"
      " cumulative INTEGER NOT NULL, origin_node TEXT NOT NULL,"
      " tz TEXT NOT NULL, window_ms INTEGER NOT NULL,"
      " n_points INTEGER NOT NULL DEFAULT 0,"
      " first_ms INTEGER NOT NULL DEFAULT 0,"
      " last_ms INTEGER NOT NULL DEFAULT 0, last_value BLOB);"
      "CREATE TABLE facts(series INTEGER NOT NULL, pos INTEGER NOT NULL,"
      " key TEXT NOT NULL, value TEXT NOT NULL,"
      " PRIMARY KEY(series, pos)) WITHOUT ROWID;"
      "CREATE TABLE blocks(key INTEGER PRIMARY KEY, n INTEGER NOT NULL,"
      " first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,"
      " vals BLOB NOT NULL, data BLOB NOT NULL);"
      "PRAGMA user_version = 1;";

// Version 2: consent grants (store_grants.c).
static const char schema_v2_sql[]
    = "CREATE TABLE grants(id TEXT PRIMARY KEY, series TEXT NOT NULL,"
      " grantee TEXT NOT NULL, scopes INTEGER NOT NULL,"
      " finest_step INTEGER NOT NULL, from_ms INTEGER NOT NULL,"
      " to_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
      " created_ms INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,"
      " token_hash TEXT NOT NULL UNIQUE, grantee_addr TEXT NOT NULL);"
      "CREATE TABLE outbox(seq INTEGER PRIMARY KEY,"
      " grant_id TEXT NOT NULL, series TEXT NOT NULL, ts INTEGER NOT NULL,"
      " value BLOB NOT NULL);"
      "CREATE INDEX outbox_grant ON outbox(grant_id, seq);"
      "PRAGMA user_version = 2;";

// Version 3: alarm rules and alarms (store_alarms.c). Both keep the
// packed protobuf message, plus the columns that lists filter on.
static const char schema_v3_sql[]
    = "CREATE TABLE alarm_rules(id TEXT PRIMARY KEY, spec BLOB NOT NULL);"
      "CREATE TABLE alarms(id INTEGER PRIMARY KEY, rule_id TEXT NOT NULL,"
      " series TEXT NOT NULL, active INTEGER NOT NULL,"
      " raised_at_ms INTEGER NOT NULL, msg BLOB NOT NULL);"
      "CREATE INDEX alarms_active ON alarms(active, id);"
      "PRAGMA user_version = 3;";

// Version 4: the access log of the grants (store_access.c): one row per
// call made with a grant's token, and per batch replicated to a grantee;
// and the buckets of grants coarser than raw held until they end
// (store_grants.c).
static const char schema_v4_sql[]
    = "CREATE TABLE grant_access(id INTEGER PRIMARY KEY,"
      " grant_id TEXT NOT NULL, method TEXT NOT NULL,"
      " at_ms INTEGER NOT NULL, msg BLOB NOT NULL);"
      "CREATE INDEX grant_access_grant ON grant_access(grant_id, id);"
      "CREATE TABLE outbox_held(grant_id TEXT NOT NULL,"
      " series TEXT NOT NULL, start_ms INTEGER NOT NULL,"
      " end_ms INTEGER NOT NULL,"
      " PRIMARY KEY(grant_id, series, start_ms)) WITHOUT ROWID;"
      "PRAGMA user_version = 4;";

// Version 5: a CRC-32C per block row (store_block.c), computed here for
// the blocks already stored; every read verifies it from then on.
static const char schema_v5_sql[]
    = "ALTER TABLE blocks ADD COLUMN crc INTEGER NOT NULL DEFAULT 0;"
      "UPDATE blocks SET crc"
      " = enfed_block_crc(key, n, first_ts, last_ts, vals, data);"
      "PRAGMA user_version = 5;";

void
node_store_opts_init(node_store_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->n_readers = 2;
	opts->cache_kib = 1024;
	opts->zstd_level = 3;
	opts->max_raw_points = 200000;
	opts->max_buckets = 200000;
	opts->default_tz = "Europe/Paris";
	opts->commit_wait_ms = 2;
}

const node_store_opts *
node__store_opts(const node_store *st)
{
	return &st->opts;
}

void
node__store_summary_get(const void *blob, int len, store_summary *out)
{
	memset(out, 0, sizeof(*out));
	if (blob != NULL && len == STORE_SUMMARY_LEN)
		memcpy(out, blob, STORE_SUMMARY_LEN);
}

static void
conn_close(store_conn *c)
{
	for (int i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(c->stmt[i]);
	sqlite3_close(c->db);
	node_codec_free(c->codec);
	node_points_fini(&c->pts);
	node_points_fini(&c->merged);
	memset(c, 0, sizeof(*c));
}

// 8 KB pages: a block of a 5-minute series is 1-2 KB, a third of a 4 KB
// page, which left pages a third empty; on 8 KB pages rows pack better
// (page_size only takes effect when the database is created).
static fed_status
conn_pragmas(store_conn *c, const node_store_opts *o)
{
	char sql[200];
	snprintf(sql, sizeof(sql),
	    "PRAGMA page_size = 8192; PRAGMA journal_mode = WAL;"
	    " PRAGMA synchronous = %s;"
	    " PRAGMA cache_size = -%u; PRAGMA temp_store = MEMORY;",
	    o->sync_normal ? "NORMAL" : "FULL", o->cache_kib);
	sqlite3_busy_timeout(c->db, 5000);
	return node__store_exec(c, sql);
}

static fed_status
conn_prepare(store_conn *c)
{
	for (int i = 0; i < STMT_COUNT; i++) {
		int rc = sqlite3_prepare_v3(c->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &c->stmt[i], NULL);
		if (rc != SQLITE_OK)
			return node__store_sql_status(c->db, rc, stmt_sql[i]);
	}
	return FED_OK;
}

static fed_status
conn_open(store_conn *c, const char *path, const node_store_opts *o)
{
	memset(c, 0, sizeof(*c));
	node_points_init(&c->pts);
	node_points_init(&c->merged);
	int rc = sqlite3_open_v2(path, &c->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		fed_status st = node__store_sql_status(c->db, rc, path);
		conn_close(c);
		return st;
	}
	fed_status st = node_codec_new((int) o->zstd_level, &c->codec);
	if (st == FED_OK)
		st = conn_pragmas(c, o);
	if (st != FED_OK)
		conn_close(c);
	return st;
}

// Creates the schema in an empty database, or checks its version.
static fed_status
schema_setup(store_conn *c, node_store_err *err)
{
	sqlite3_stmt *s;
	int rc
	    = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return node__store_sql_status(c->db, rc, "user_version");
	rc = sqlite3_step(s);
	int version = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	if (version < 0)
		return node__store_sql_status(c->db, rc, "user_version");
	if (version > SCHEMA_VERSION)
		return node_store_fail(err, FED_FAILED_PRECONDITION,
		    "store schema version %d is newer than this program's %d",
		    version, SCHEMA_VERSION);
	if (version == SCHEMA_VERSION)
		return FED_OK;
	// Every step in one transaction: a crash anywhere leaves the database
	// at `version`, and the next start migrates it again from there.
	static const char *const steps[SCHEMA_VERSION] = {schema_sql,
	    schema_v2_sql, schema_v3_sql, schema_v4_sql, schema_v5_sql};
	// Not node__store_write: the migration runs before the store exists.
	FED_TRY(node__store_exec(c, "BEGIN IMMEDIATE"));
	fed_status st = FED_OK;
	for (int v = version; st == FED_OK && v < SCHEMA_VERSION; v++) {
		if (node__store_migrate_probe != NULL)
			node__store_migrate_probe();
		st = node__store_exec(c, steps[v]);
	}
	if (st == FED_OK)
		st = node__store_exec(c, "COMMIT");
	if (st != FED_OK)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

static char *
db_path(const char *dir_or_path)
{
	struct stat sb;
	size_t len = strlen(dir_or_path);
	int is_dir = stat(dir_or_path, &sb) == 0 && S_ISDIR(sb.st_mode);
	char *p = malloc(len + sizeof("/series.db"));
	if (p == NULL)
		return NULL;
	memcpy(p, dir_or_path, len + 1);
	if (is_dir)
		memcpy(p + len, "/series.db", sizeof("/series.db"));
	return p;
}

static fed_status
check_opts(node_store_opts *o, node_store_err *err)
{
	if (o->n_readers == 0 || o->n_readers > 64)
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "opts.n_readers: must be 1..64");
	if (o->zstd_level < 1 || o->zstd_level > 19)
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "opts.zstd_level: must be 1..19");
	if (o->cache_kib < 64)
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "opts.cache_kib: must be at least 64");
	if (o->max_raw_points == 0 || o->max_buckets == 0)
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "opts.max_raw_points, opts.max_buckets: must not be 0");
	if (o->default_tz == NULL || o->default_tz[0] == '\0')
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "opts.default_tz: must name a zone");
	if (o->commit_wait_ms > 1000)
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "opts.commit_wait_ms: must be 0..1000");
	return FED_OK;
}

static fed_status
open_readers(node_store *st, const char *path)
{
	st->readers = calloc(st->opts.n_readers, sizeof(*st->readers));
	if (st->readers == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (unsigned i = 0; i < st->opts.n_readers; i++) {
		store_conn *c = &st->readers[i];
		FED_TRY(conn_open(c, path, &st->opts));
		st->n_readers = i + 1;
		FED_TRY(conn_prepare(c));
		c->next_free = st->free_readers;
		st->free_readers = c;
	}
	return FED_OK;
}

// An existing file must be an sqlite database, or empty with opts.init;
// a missing one is a first start.
static fed_status
check_file(const char *path, int init, node_store_err *err)
{
	static const char magic[16] = "SQLite format 3";
	struct stat sb;
	if (stat(path, &sb) != 0)
		return FED_OK;
	if (sb.st_size == 0)
		return init ? FED_OK
		            : node_store_fail(err, FED_FAILED_PRECONDITION,
		                "%s: the file exists but is empty; refusing "
		                "to start as an empty store (initialise it "
		                "explicitly: fed-node --init)",
		                path);
	char head[16] = "";
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return node_store_fail(
		    err, FED_UNAVAILABLE, "%s: cannot read the file", path);
	size_t got = fread(head, 1, sizeof(head), fp);
	fclose(fp);
	if (got != sizeof(head) || memcmp(head, magic, sizeof(magic)) != 0)
		return node_store_fail(err, FED_DATA_LOSS,
		    "%s: not an sqlite database (%lld bytes); refusing to "
		    "touch "
		    "it",
		    path, (long long) sb.st_size);
	return FED_OK;
}

// Removes path and its -wal and -shm files, if any.
static void
remove_db_files(const char *path)
{
	size_t len = strlen(path);
	char *buf = malloc(len + sizeof("-wal"));
	remove(path);
	if (buf == NULL)
		return;
	memcpy(buf, path, len);
	memcpy(buf + len, "-wal", sizeof("-wal"));
	remove(buf);
	memcpy(buf + len, "-shm", sizeof("-shm"));
	remove(buf);
	free(buf);
}

// Syncs the directory holding path, so that a rename in it is durable.
static void
sync_dir(const char *path)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	int fd = open(dir, O_RDONLY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

// A missing database is made under a temporary name and renamed into
// place once its schema is committed and checkpointed: a crash during a
// first start thus never leaves an empty series.db, which the next start
// would refuse (check_file).
static fed_status
create_fresh(const node_store *st, const char *path, node_store_err *err)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int) sizeof(tmp))
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "path: too long");
	remove_db_files(tmp); // what a crash in here may have left
	store_conn c;
	fed_status s = conn_open(&c, tmp, &st->opts);
	if (s != FED_OK)
		return s;
	s = node__store_block_sql_fn(c.db);
	if (s == FED_OK)
		s = schema_setup(&c, err);
	int rc = sqlite3_wal_checkpoint_v2(
	    c.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (s == FED_OK && rc != SQLITE_OK)
		s = node__store_sql_status(c.db, rc, "checkpoint");
	conn_close(&c);
	if (s == FED_OK && rename(tmp, path) != 0)
		s = node_store_fail(err, FED_UNAVAILABLE,
		    "%s: cannot rename the new store into place", path);
	if (s != FED_OK)
		remove_db_files(tmp);
	else
		sync_dir(path);
	return s;
}

static fed_status
store_init(node_store *st, const char *path, node_store_err *err)
{
	struct stat sb;
	if (stat(path, &sb) != 0 && errno == ENOENT)
		FED_TRY(create_fresh(st, path, err));
	FED_TRY(check_file(path, st->opts.init, err));
	if (node__store_zone(st, st->default_tz, &st->default_zone, NULL)
	    != FED_OK)
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "opts.default_tz: %s: not a zone this system knows",
		    st->default_tz);
	FED_TRY(conn_open(&st->writer, path, &st->opts));
	FED_TRY(node__store_block_sql_fn(st->writer.db));
	FED_TRY(schema_setup(&st->writer, err));
	FED_TRY(conn_prepare(&st->writer));
	FED_TRY(node__store_live_reload(st, &st->writer));
	return open_readers(st, path);
}

fed_status
node_store_open(const char *dir_or_path, const node_store_opts *opts,
    node_store **out, node_store_err *err)
{
	if (dir_or_path == NULL || dir_or_path[0] == '\0')
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "path: must not be empty");
	node_store_opts o;
	if (opts == NULL)
		node_store_opts_init(&o);
	else
		o = *opts;
	FED_TRY(check_opts(&o, err));
	node_store *st = calloc(1, sizeof(*st));
	char *path = db_path(dir_or_path);
	if (st == NULL || path == NULL
	    || (st->default_tz = strdup(o.default_tz)) == NULL) {
		free(st);
		free(path);
		return FED_RESOURCE_EXHAUSTED;
	}
	st->opts = o;
	st->opts.default_tz = st->default_tz;
	pthread_mutex_init(&st->writer_mtx, NULL);
	pthread_mutex_init(&st->pool_mtx, NULL);
	pthread_cond_init(&st->pool_cond, NULL);
	pthread_mutex_init(&st->zone_mtx, NULL);
	fed_status s = node__group_new(o.commit_wait_ms, &st->group);
	if (s == FED_OK)
		s = store_init(st, path, err);
	if (s != FED_OK && err != NULL && err->msg[0] == '\0')
		node_store_fail(err, s, "%s: cannot open store (%s)", path,
		    fed_status_str(s));
	free(path);
	if (s != FED_OK) {
		node_store_close(st);
		return s;
	}
	*out = st;
	return FED_OK;
}

void
node_store_close(node_store *st)
{
	if (st == NULL)
		return;
	for (unsigned i = 0; i < st->n_readers; i++)
		conn_close(&st->readers[i]);
	free(st->readers);
	if (st->writer.db != NULL) {
		int rc = sqlite3_wal_checkpoint_v2(st->writer.db, NULL,
		    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		if (rc != SQLITE_OK)
			node__store_sql_status(
			    st->writer.db, rc, "checkpoint");
	}
	conn_close(&st->writer);
	node__group_free(st->group);
	pthread_mutex_destroy(&st->writer_mtx);
	pthread_mutex_destroy(&st->pool_mtx);
	pthread_cond_destroy(&st->pool_cond);
	for (size_t i = 0; i < st->n_zones; i++)
		fed_tz_free(st->zones[i].tz);
	pthread_mutex_destroy(&st->zone_mtx);
	free(st->default_tz);
	free(st->live.g);
	free(st);
}

node__group *
node__store_group(node_store *st)
{
	return st->group;
}

node__live_grants *
node__store_live(node_store *st)
{
	return &st->live;
}

static fed_status
zone_load_failed(fed_status s, const char *name, node_store_err *err)
{
	switch (s) {
	case FED_INVALID_ARGUMENT:
		return node_store_fail(
		    err, s, "tz: %s: not a valid zone name", name);
	case FED_NOT_FOUND:
		return node_store_fail(err, s, "tz: %s: unknown zone", name);
	default:
		return node_store_fail(err, s, "tz: %s: cannot load (%s)",
		    name, fed_status_str(s));
	}
}

uint8_t *
node__store_pack(const ProtobufCMessage *m, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(*len + 1);
	if (buf != NULL)
		protobuf_c_message_pack(m, buf);
	return buf;
}

fed_status
node_store_zone(
    node_store *st, const char *name, const fed_tz **out, node_store_err *err)
{
	return node__store_zone(st,
	    name != NULL && name[0] != '\0' ? name : st->default_tz, out, err);
}

void
node_store_zone_put(node_store *st, const fed_tz *zone)
{
	node__store_zone_put(st, zone);
}

// The slot for a zone not cached: a free one, else the least recently
// used that nobody holds; NODE__STORE_MAX_ZONES when all are held.
static size_t
zone_slot(const node_store *st)
{
	if (st->n_zones < NODE__STORE_MAX_ZONES)
		return st->n_zones;
	size_t best = NODE__STORE_MAX_ZONES;
	for (size_t i = 0; i < st->n_zones; i++)
		if (st->zones[i].refs == 0
		    && (best == NODE__STORE_MAX_ZONES
		        || st->zones[i].used < st->zones[best].used))
			best = i;
	return best;
}

// Loads `name` into a slot (under zone_mtx); *i is the slot.
static fed_status
zone_load(node_store *st, const char *name, size_t *i, node_store_err *err)
{
	*i = zone_slot(st);
	if (*i == NODE__STORE_MAX_ZONES)
		return node_store_fail(err, FED_UNAVAILABLE,
		    "tz: %s: %d zones in use at once; retry", name,
		    NODE__STORE_MAX_ZONES);
	fed_tz *tz;
	fed_status s = fed_tz_load(name, &tz);
	if (s != FED_OK)
		return zone_load_failed(s, name, err);
	if (*i == st->n_zones)
		st->n_zones++;
	else
		fed_tz_free(st->zones[*i].tz); // held by nobody
	st->zones[*i] = (store_zone) {tz, 0, 0};
	return FED_OK;
}

fed_status
node__store_zone(
    node_store *st, const char *name, const fed_tz **out, node_store_err *err)
{
	fed_status s = FED_OK;
	pthread_mutex_lock(&st->zone_mtx);
	size_t i = 0;
	while (
	    i < st->n_zones && strcmp(fed_tz_name(st->zones[i].tz), name) != 0)
		i++;
	if (i == st->n_zones)
		s = zone_load(st, name, &i, err);
	if (s == FED_OK) {
		st->zones[i].refs++;
		st->zones[i].used = ++st->zone_clock;
		*out = st->zones[i].tz;
	}
	pthread_mutex_unlock(&st->zone_mtx);
	return s;
}

void
node__store_zone_put(node_store *st, const fed_tz *zone)
{
	if (zone == NULL)
		return;
	pthread_mutex_lock(&st->zone_mtx);
	for (size_t i = 0; i < st->n_zones; i++) {
		if (st->zones[i].tz == zone) {
			assert(st->zones[i].refs > 0);
			st->zones[i].refs--;
			break;
		}
	}
	pthread_mutex_unlock(&st->zone_mtx);
}

store_conn *
node__store_reader_get(node_store *st)
{
	pthread_mutex_lock(&st->pool_mtx);
	while (st->free_readers == NULL)
		pthread_cond_wait(&st->pool_cond, &st->pool_mtx);
	store_conn *c = st->free_readers;
	st->free_readers = c->next_free;
	pthread_mutex_unlock(&st->pool_mtx);
	return c;
}

void
node__store_reader_put(node_store *st, store_conn *c)
{
	pthread_mutex_lock(&st->pool_mtx);
	c->next_free = st->free_readers;
	st->free_readers = c;
	pthread_cond_signal(&st->pool_cond);
	pthread_mutex_unlock(&st->pool_mtx);
}

store_conn *
node__store_writer_lock(node_store *st)
{
	pthread_mutex_lock(&st->writer_mtx);
	return &st->writer;
}

void
node__store_writer_unlock(node_store *st)
{
	pthread_mutex_unlock(&st->writer_mtx);
}
