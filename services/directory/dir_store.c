// SPDX-License-Identifier: MIT
//
// dir_store.c: the directory's sqlite database (see dir_store.h).
//
// Writes run in BEGIN IMMEDIATE transactions, so that the check of a
// node's token and the write it allows see the same row. sqlite result
// codes become fed_status in one place, sql_status(), which logs the
// native code and message.
//
// Each table's `crc` is crc32c_row() of its columns (row_check.h): the
// statements below write it with the values they bind (NODE_CRC_OF with
// the new values) and read `crc = NODE_CRC` beside the columns they use. An
// UPDATE that keeps some columns reads them through a row that was
// verified first in the same transaction, so a damaged row is never
// sealed again under a fresh checksum.

#include "dir_store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fed/log.h"
#include "fed/token.h"
#include "row_check.h"

#define LOG "directory"

// The checksum of a row of each table, from SQL expressions for its
// columns in order (parameters for a write, columns for a read).
#define NODE_CRC_OF(name, org, rpc, stream, hash, reg, lease, expires, av)  \
	"crc32c_row('nodes', " name ", " org ", " rpc ", " stream ", " hash \
	", " reg ", " lease ", " expires ", " av ")"
#define NODE_CRC                                                           \
	NODE_CRC_OF("name", "organisation", "rpc_addr", "stream_addr",     \
	    "token_hash", "registered_ms", "lease_ms", "lease_expires_ms", \
	    "available")
#define OFFER_CRC_OF(id, node, meta) \
	"crc32c_row('offers', " id ", " node ", " meta ")"
#define OFFER_CRC              OFFER_CRC_OF("series_id", "node", "meta")
#define SITE_CRC_OF(site, org) "crc32c_row('sites', " site ", " org ")"
#define SITE_CRC               SITE_CRC_OF("site", "organisation")

static const row_check_table nodes_table = {"nodes", {"name"}, NODE_CRC};
static const row_check_table offers_table
    = {"offers", {"series_id", "node"}, OFFER_CRC};
static const row_check_table sites_table = {"sites", {"site"}, SITE_CRC};

#define CHECK_BATCH 256 // rows per statement of dir_store_check

struct dir_store {
	sqlite3 *db;
	pthread_mutex_t mtx;
};

static const char schema_v1[]
    = "CREATE TABLE nodes ("
      " name TEXT PRIMARY KEY,"
      " organisation TEXT NOT NULL,"
      " rpc_addr TEXT NOT NULL,"
      " stream_addr TEXT NOT NULL,"
      " token_hash TEXT NOT NULL UNIQUE,"
      " registered_ms INTEGER NOT NULL,"
      " lease_ms INTEGER NOT NULL,"
      " lease_expires_ms INTEGER NOT NULL,"
      " available INTEGER NOT NULL) WITHOUT ROWID;"
      "CREATE INDEX nodes_org ON nodes(organisation);"
      "CREATE INDEX nodes_lease ON nodes(available, lease_expires_ms);"
      "CREATE TABLE offers ("
      " series_id TEXT NOT NULL,"
      " node TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,"
      " meta BLOB NOT NULL," // encoded enfed.v1.SeriesMeta
      " PRIMARY KEY (series_id, node)) WITHOUT ROWID;"
      "CREATE INDEX offers_node ON offers(node, series_id);";

// Version 2: each site (the first path component of a series id) belongs
// to the organisation that offered under it first; the sites already
// offered are given to the organisation of their oldest node.
static const char schema_v2[]
    = "CREATE TABLE sites ("
      " site TEXT PRIMARY KEY,"
      " organisation TEXT NOT NULL) WITHOUT ROWID;"
      "INSERT OR IGNORE INTO sites (site, organisation)"
      " SELECT CASE WHEN instr(o.series_id, '/') > 0"
      " THEN substr(o.series_id, 1, instr(o.series_id, '/'))"
      " ELSE o.series_id END, n.organisation"
      " FROM offers o JOIN nodes n ON n.name = o.node"
      " ORDER BY n.registered_ms, n.name;";

// Version 3: a checksum per row, computed here for the rows already
// stored (a damage older than the migration is thus taken as it is).
static const char schema_v3[]
    = "ALTER TABLE nodes ADD COLUMN crc INTEGER NOT NULL DEFAULT 0;"
      "ALTER TABLE offers ADD COLUMN crc INTEGER NOT NULL DEFAULT 0;"
      "ALTER TABLE sites ADD COLUMN crc INTEGER NOT NULL DEFAULT 0;"
      "UPDATE nodes SET crc = " NODE_CRC ";"
      "UPDATE offers SET crc = " OFFER_CRC ";"
      "UPDATE sites SET crc = " SITE_CRC ";"
      "PRAGMA user_version = 3;";

// The one translation of sqlite's codes; logs the native code.
static fed_status
sql_status(dir_store *s, int rc, const char *what)
{
	if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
		return FED_OK;
	fed_log(FED_LOG_ERR, LOG, "sqlite %s: %s (%d): %s", what,
	    sqlite3_errstr(rc), rc,
	    s != NULL && s->db != NULL ? sqlite3_errmsg(s->db) : "");
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		return FED_RESOURCE_EXHAUSTED;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_READONLY:
		return FED_UNAVAILABLE;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return FED_DATA_LOSS;
	default:
		return FED_INTERNAL;
	}
}

static fed_status
exec(dir_store *s, const char *sql)
{
	return sql_status(s, sqlite3_exec(s->db, sql, NULL, NULL, NULL), sql);
}

static fed_status
prep(dir_store *s, const char *sql, sqlite3_stmt **st)
{
	return sql_status(
	    s, sqlite3_prepare_v2(s->db, sql, -1, st, NULL), "prepare");
}

// Steps a statement that returns no row, and finalises it.
static fed_status
run(dir_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return sql_status(s, rc, what);
}

// Ends a transaction: COMMIT when st is OK, else ROLLBACK; returns the
// status of the whole.
static fed_status
finish(dir_store *s, fed_status st)
{
	if (st == FED_OK)
		st = exec(s, "COMMIT");
	if (st != FED_OK)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&s->mtx);
	return st;
}

static fed_status
begin(dir_store *s)
{
	pthread_mutex_lock(&s->mtx);
	fed_status st = exec(s, "BEGIN IMMEDIATE");
	if (st != FED_OK)
		pthread_mutex_unlock(&s->mtx);
	return st;
}

static fed_status
migrate(dir_store *s)
{
	sqlite3_stmt *st;
	FED_TRY(prep(s, "PRAGMA user_version", &st));
	int rc = sqlite3_step(st);
	int version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return sql_status(s, rc, "user_version");
	if (version > DIR_STORE_SCHEMA) {
		fed_log(FED_LOG_ERR, LOG,
		    "database schema %d is newer than %d", version,
		    DIR_STORE_SCHEMA);
		return FED_FAILED_PRECONDITION;
	}
	if (version == DIR_STORE_SCHEMA)
		return FED_OK;
	FED_TRY(begin(s));
	fed_status r = version < 1 ? exec(s, schema_v1) : FED_OK;
	if (r == FED_OK && version < 2)
		r = exec(s, schema_v2);
	if (r == FED_OK)
		r = exec(s, schema_v3);
	if (r == FED_OK && version > 0)
		fed_log(FED_LOG_NOTICE, LOG,
		    "database schema %d migrated to %d: every row sealed "
		    "with its checksum",
		    version, DIR_STORE_SCHEMA);
	return finish(s, r);
}

static fed_status
configure(dir_store *s, bool sync_full)
{
	sqlite3_busy_timeout(s->db, 5000);
	FED_TRY(exec(s, "PRAGMA journal_mode = WAL"));
	FED_TRY(exec(s,
	    sync_full ? "PRAGMA synchronous = FULL"
	              : "PRAGMA synchronous = NORMAL"));
	FED_TRY(exec(s, "PRAGMA foreign_keys = ON"));
	FED_TRY(sql_status(s, row_check_register(s->db), "crc32c_row"));
	return migrate(s);
}

fed_status
dir_store_open(const char *path, bool sync_full, dir_store **out)
{
	dir_store *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return FED_RESOURCE_EXHAUSTED;
	pthread_mutex_init(&s->mtx, NULL);
	int rc = sqlite3_open_v2(path, &s->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	fed_status st = sql_status(s, rc, "open");
	if (st == FED_OK)
		st = configure(s, sync_full);
	if (st != FED_OK) {
		dir_store_close(s);
		return st == FED_INTERNAL ? FED_UNAVAILABLE : st;
	}
	*out = s;
	return FED_OK;
}

void
dir_store_close(dir_store *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->mtx);
	free(s);
}

// --- Sites ------------------------------------------------------------

// The site of series id: its first path component with its '/', or the
// whole id without one; its length.
static size_t
site_len(const char *id)
{
	const char *slash = strchr(id, '/');
	return slash != NULL ? (size_t) (slash - id) + 1 : strlen(id);
}

static char *
err_msg(dir_store_err *err)
{
	return err != NULL ? err->msg : NULL;
}

static size_t
err_len(const dir_store_err *err)
{
	return err != NULL ? sizeof(err->msg) : 0;
}

// The current row of st fails its checksum (its key at column col):
// logged, described in err, DATA_LOSS.
static fed_status
bad_row(
    const row_check_table *t, sqlite3_stmt *st, int col, dir_store_err *err)
{
	row_check_report(t, st, col, LOG, err_msg(err), err_len(err));
	return FED_DATA_LOSS;
}

// The organisation the site of series id belongs to, into org; NOT_FOUND
// when it belongs to none yet, DATA_LOSS when its row fails its checksum.
// Called with the mutex held.
static fed_status
site_org_locked(dir_store *s, const char *id, char *org, size_t org_len,
    dir_store_err *err)
{
	sqlite3_stmt *st;
	FED_TRY(prep(s,
	    "SELECT site, organisation, crc = " SITE_CRC " FROM sites"
	    " WHERE site = ?1",
	    &st));
	sqlite3_bind_text(st, 1, id, (int) site_len(id), SQLITE_STATIC);
	int rc = sqlite3_step(st);
	fed_status r = FED_NOT_FOUND;
	if (rc == SQLITE_ROW && sqlite3_column_int(st, 2) == 0)
		r = bad_row(&sites_table, st, 0, err);
	else if (rc == SQLITE_ROW)
		r = FED_OK;
	else if (rc != SQLITE_DONE)
		r = sql_status(s, rc, "select site");
	if (r == FED_OK)
		snprintf(org, org_len, "%s",
		    (const char *) sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	return r;
}

fed_status
dir_store_site_org(dir_store *s, const char *id, char *org, size_t org_len,
    dir_store_err *err)
{
	pthread_mutex_lock(&s->mtx);
	fed_status r = site_org_locked(s, id, org, org_len, err);
	pthread_mutex_unlock(&s->mtx);
	return r;
}

// --- Writes -----------------------------------------------------------

static fed_status
insert_offer(dir_store *s, const char *node, const Enfed__V1__SeriesMeta *m)
{
	size_t len = enfed__v1__series_meta__get_packed_size(m);
	uint8_t *buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		return FED_RESOURCE_EXHAUSTED;
	enfed__v1__series_meta__pack(m, buf);
	sqlite3_stmt *st;
	fed_status r = prep(s,
	    "INSERT OR REPLACE INTO offers (series_id, node, meta, crc)"
	    " VALUES (?1, ?2, ?3, " OFFER_CRC_OF("?1", "?2", "?3") ")",
	    &st);
	if (r == FED_OK) {
		sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, node, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, buf, (int) len, SQLITE_STATIC);
		r = run(s, st, "insert offer");
	}
	free(buf);
	return r;
}

// Gives the site of series id to organisation org, unless another has it:
// ABORTED then; DATA_LOSS when the site's row fails its checksum.
static fed_status
claim_site(dir_store *s, const char *org, const char *id, dir_store_err *err)
{
	sqlite3_stmt *st;
	static const char sql[] = "INSERT INTO sites (site, organisation, crc)"
	                          " VALUES (?1, ?2, " SITE_CRC_OF("?1",
	                              "?2") ") ON CONFLICT (site) DO NOTHING";
	FED_TRY(prep(s, sql, &st));
	sqlite3_bind_text(st, 1, id, (int) site_len(id), SQLITE_STATIC);
	sqlite3_bind_text(st, 2, org, -1, SQLITE_STATIC);
	FED_TRY(run(s, st, "claim site"));
	char owner[256];
	fed_status r = site_org_locked(s, id, owner, sizeof(owner), err);
	if (r == FED_OK && strcmp(owner, org) != 0)
		r = FED_ABORTED;
	return r;
}

static fed_status
replace_offers(
    dir_store *s, const Enfed__V1__NodeRecord *rec, dir_store_err *err)
{
	sqlite3_stmt *st;
	FED_TRY(prep(s, "DELETE FROM offers WHERE node = ?1", &st));
	sqlite3_bind_text(st, 1, rec->name, -1, SQLITE_STATIC);
	FED_TRY(run(s, st, "delete offers"));
	for (size_t i = 0; i < rec->n_offers; i++) {
		FED_TRY(
		    claim_site(s, rec->organisation, rec->offers[i]->id, err));
		FED_TRY(insert_offer(s, rec->name, rec->offers[i]));
	}
	return FED_OK;
}

static fed_status
insert_node(dir_store *s, const Enfed__V1__NodeRecord *rec,
    const char *token_hash, const dir_lease *l)
{
	sqlite3_stmt *st;
	FED_TRY(prep(s,
	    "INSERT INTO nodes (name, organisation, rpc_addr, stream_addr,"
	    " token_hash, registered_ms, lease_ms, lease_expires_ms,"
	    " available, crc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "1, " NODE_CRC_OF("?1", "?2", "?3", "?4", "?5", "?6", "?7", "?8",
	        "1") ") ON CONFLICT DO NOTHING",
	    &st));
	sqlite3_bind_text(st, 1, rec->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rec->organisation, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rec->rpc_addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, rec->stream_addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, l->now_ms);
	sqlite3_bind_int64(st, 7, l->lease_ms);
	sqlite3_bind_int64(st, 8, l->now_ms + l->lease_ms);
	FED_TRY(run(s, st, "insert node"));
	return sqlite3_changes(s->db) == 1 ? FED_OK : FED_ALREADY_EXISTS;
}

fed_status
dir_store_create(dir_store *s, const Enfed__V1__NodeRecord *rec,
    const char *token_hash, const dir_lease *lease, dir_store_err *err)
{
	FED_TRY(begin(s));
	fed_status r = insert_node(s, rec, token_hash, lease);
	if (r == FED_OK)
		r = replace_offers(s, rec, err);
	return finish(s, r);
}

// The owner check of the current row of st (name, token_hash, lease_ms,
// available, whether its checksum holds). A row that fails its checksum
// is PERMISSION_DENIED unless its token hash still equals the caller's:
// then the caller owns it, and learns that it is damaged.
static fed_status
owner_of_row(sqlite3_stmt *st, const char *token_hash, dir_store_err *err)
{
	const char *h = (const char *) sqlite3_column_text(st, 1);
	if (h == NULL || !fed_token_equal(h, token_hash))
		return FED_PERMISSION_DENIED;
	if (sqlite3_column_int(st, 4) == 0)
		return bad_row(&nodes_table, st, 0, err);
	return FED_OK;
}

// Checks that node `name` exists, is sound and belongs to token_hash;
// reads its lease length and availability when asked.
static fed_status
check_owner(dir_store *s, const char *name, const char *token_hash,
    int64_t *lease_ms, bool *available, dir_store_err *err)
{
	sqlite3_stmt *st;
	FED_TRY(prep(s,
	    "SELECT name, token_hash, lease_ms, available, crc = " NODE_CRC
	    " FROM nodes WHERE name = ?1",
	    &st));
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	fed_status r = FED_NOT_FOUND;
	if (rc == SQLITE_ROW) {
		r = owner_of_row(st, token_hash, err);
		if (lease_ms != NULL)
			*lease_ms = sqlite3_column_int64(st, 2);
		if (available != NULL)
			*available = sqlite3_column_int(st, 3) != 0;
	} else if (rc != SQLITE_DONE) {
		r = sql_status(s, rc, "select owner");
	}
	sqlite3_finalize(st);
	return r;
}

// Called after check_owner in the same transaction: the columns kept
// (name, token_hash, registered_ms) are those of a verified row.
static fed_status
update_node(dir_store *s, const Enfed__V1__NodeRecord *rec, const dir_lease *l)
{
	sqlite3_stmt *st;
	FED_TRY(prep(s,
	    "UPDATE nodes SET organisation = ?2, rpc_addr = ?3,"
	    " stream_addr = ?4, lease_ms = ?5, lease_expires_ms = ?6,"
	    " available = 1, crc = " NODE_CRC_OF("name", "?2", "?3", "?4",
	        "token_hash", "registered_ms", "?5", "?6",
	        "1") " WHERE name = ?1",
	    &st));
	sqlite3_bind_text(st, 1, rec->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rec->organisation, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rec->rpc_addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, rec->stream_addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, l->lease_ms);
	sqlite3_bind_int64(st, 6, l->now_ms + l->lease_ms);
	return run(s, st, "update node");
}

fed_status
dir_store_update(dir_store *s, const Enfed__V1__NodeRecord *rec,
    const char *token_hash, const dir_lease *lease, dir_store_err *err)
{
	FED_TRY(begin(s));
	fed_status r = check_owner(s, rec->name, token_hash, NULL, NULL, err);
	if (r == FED_OK)
		r = update_node(s, rec, lease);
	if (r == FED_OK)
		r = replace_offers(s, rec, err);
	return finish(s, r);
}

// Called after check_owner in the same transaction, as update_node.
static fed_status
renew(dir_store *s, const char *name, int64_t expires_ms)
{
	sqlite3_stmt *st;
	FED_TRY(prep(s,
	    "UPDATE nodes SET lease_expires_ms = ?2, available = 1, crc "
	    "= " NODE_CRC_OF("name", "organisation", "rpc_addr", "stream_addr",
	        "token_hash", "registered_ms", "lease_ms", "?2",
	        "1") " WHERE name = ?1",
	    &st));
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, expires_ms);
	return run(s, st, "renew");
}

fed_status
dir_store_heartbeat(dir_store *s, const char *name, const char *token_hash,
    int64_t now_ms, int64_t *expires_ms, bool *revived, dir_store_err *err)
{
	FED_TRY(begin(s));
	int64_t lease_ms = 0;
	bool available = false;
	fed_status r
	    = check_owner(s, name, token_hash, &lease_ms, &available, err);
	if (r == FED_OK)
		r = renew(s, name, now_ms + lease_ms);
	r = finish(s, r);
	if (r == FED_OK) {
		*expires_ms = now_ms + lease_ms;
		*revived = !available;
	}
	return r;
}

// Appends a copy of name to *names (grown by doubling).
static fed_status
push_name(char ***names, size_t *n, size_t *cap, const char *name)
{
	if (*n == *cap) {
		size_t c = *cap == 0 ? 8 : *cap * 2;
		char **p = realloc(*names, c * sizeof(*p));
		if (p == NULL)
			return FED_RESOURCE_EXHAUSTED;
		*names = p;
		*cap = c;
	}
	char *d = strdup(name);
	if (d == NULL)
		return FED_RESOURCE_EXHAUSTED;
	(*names)[(*n)++] = d;
	return FED_OK;
}

static fed_status
select_expired(dir_store *s, int64_t now_ms, char ***names, size_t *n)
{
	sqlite3_stmt *st;
	FED_TRY(prep(s,
	    "SELECT name FROM nodes WHERE available = 1"
	    " AND lease_expires_ms <= ?1 AND crc = " NODE_CRC " ORDER BY name",
	    &st));
	sqlite3_bind_int64(st, 1, now_ms);
	size_t cap = 0;
	fed_status r = FED_OK;
	int rc;
	while (r == FED_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = push_name(
		    names, n, &cap, (const char *) sqlite3_column_text(st, 0));
	if (r == FED_OK)
		r = sql_status(s, rc, "select expired");
	sqlite3_finalize(st);
	return r;
}

static fed_status
mark_expired(dir_store *s, int64_t now_ms)
{
	sqlite3_stmt *st;
	FED_TRY(prep(s,
	    "UPDATE nodes SET available = 0, crc = " NODE_CRC_OF("name",
	        "organisation", "rpc_addr", "stream_addr", "token_hash",
	        "registered_ms", "lease_ms", "lease_expires_ms",
	        "0") " WHERE available = 1 AND lease_expires_ms <= ?1"
	             " AND crc = " NODE_CRC,
	    &st));
	sqlite3_bind_int64(st, 1, now_ms);
	return run(s, st, "mark expired");
}

fed_status
dir_store_expire(dir_store *s, int64_t now_ms, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	FED_TRY(begin(s));
	fed_status r = select_expired(s, now_ms, names, n);
	if (r == FED_OK && *n > 0)
		r = mark_expired(s, now_ms);
	r = finish(s, r);
	if (r != FED_OK) {
		dir_store_names_free(*names, *n);
		*names = NULL;
		*n = 0;
	}
	return r;
}

void
dir_store_names_free(char **names, size_t n)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
dir_store_token_known(dir_store *s, const char *token_hash)
{
	pthread_mutex_lock(&s->mtx);
	sqlite3_stmt *st;
	int known = 0;
	if (prep(s,
	        "SELECT name, crc = " NODE_CRC " FROM nodes"
	        " WHERE token_hash = ?1",
	        &st)
	    == FED_OK) {
		sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		// A row that fails its checksum still authenticates: its
		// hash matched exactly, and the call then meets the damage
		// and says so to the node (DATA_LOSS) instead of "invalid
		// token".
		known = rc == SQLITE_ROW;
		if (known && sqlite3_column_int(st, 1) == 0)
			bad_row(&nodes_table, st, 0, NULL);
		else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			sql_status(s, rc, "select token");
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->mtx);
	return known;
}

// --- Reads ------------------------------------------------------------

// The series part of a filter, as the SQL below binds it: the id or
// prefix, whether it is a prefix, and the first string after the prefix's
// range (the prefix with its final '/' turned into '0', the next byte).
struct series_range {
	const char *id;
	int is_prefix;
	char *upper;
};

static fed_status
series_range_init(struct series_range *r, const char *series)
{
	size_t len = strlen(series);
	r->id = series;
	r->is_prefix = len > 0 && series[len - 1] == '/';
	r->upper = strdup(series);
	if (r->upper == NULL)
		return FED_RESOURCE_EXHAUSTED;
	if (r->is_prefix)
		r->upper[len - 1]++;
	return FED_OK;
}

#define SERIES_MATCH(col)                                                  \
	"(?3 = '' OR " col " = ?3 OR (?4 AND " col " >= ?3 AND " col " < " \
	"?5))"

static void
bind_series(sqlite3_stmt *st, const struct series_range *r)
{
	sqlite3_bind_text(st, 3, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, r->is_prefix);
	sqlite3_bind_text(st, 5, r->upper, -1, SQLITE_STATIC);
}

static char *
a_strdup(ProtobufCAllocator *a, const unsigned char *text)
{
	const char *t = text != NULL ? (const char *) text : "";
	size_t len = strlen(t) + 1;
	char *d = a->alloc(a->allocator_data, len);
	if (d != NULL)
		memcpy(d, t, len);
	return d;
}

// A linked list of results built in the caller's allocator, turned into
// an array once its length is known.
struct item {
	void *msg;
	struct item *next;
};

static fed_status
list_push(ProtobufCAllocator *a, struct item **head, size_t *n, void *msg)
{
	struct item *it = a->alloc(a->allocator_data, sizeof(*it));
	if (it == NULL)
		return FED_RESOURCE_EXHAUSTED;
	it->msg = msg;
	it->next = *head;
	*head = it;
	(*n)++;
	return FED_OK;
}

// The list's offers as an array, in insertion order.
static fed_status
offers_array(ProtobufCAllocator *a, struct item *head, size_t n,
    Enfed__V1__SeriesMeta ***out)
{
	*out = NULL;
	if (n == 0)
		return FED_OK;
	Enfed__V1__SeriesMeta **arr
	    = a->alloc(a->allocator_data, n * sizeof(*arr));
	if (arr == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = n; i-- > 0; head = head->next)
		arr[i] = head->msg;
	*out = arr;
	return FED_OK;
}

// The list's nodes as an array, in insertion order.
static fed_status
nodes_array(ProtobufCAllocator *a, struct item *head, size_t n,
    Enfed__V1__NodeRecord ***out)
{
	*out = NULL;
	if (n == 0)
		return FED_OK;
	Enfed__V1__NodeRecord **arr
	    = a->alloc(a->allocator_data, n * sizeof(*arr));
	if (arr == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = n; i-- > 0; head = head->next)
		arr[i] = head->msg;
	*out = arr;
	return FED_OK;
}

// One offer row (meta, series_id, node, whether its checksum holds) into
// *m; DATA_LOSS when it fails its checksum or does not decode.
static fed_status
offer_from_row(sqlite3_stmt *st, ProtobufCAllocator *a,
    Enfed__V1__SeriesMeta **m, dir_store_err *err)
{
	if (sqlite3_column_int(st, 3) == 0)
		return bad_row(&offers_table, st, 1, err);
	*m = enfed__v1__series_meta__unpack(a,
	    (size_t) sqlite3_column_bytes(st, 0), sqlite3_column_blob(st, 0));
	if (*m != NULL)
		return FED_OK;
	char key[sizeof(((fed_scrub_bad *) 0)->key)];
	row_check_key(&offers_table, st, 1, key, sizeof(key));
	fed_log(FED_LOG_ERR, LOG,
	    "offers %s: the stored offer does not decode", key);
	if (err != NULL)
		snprintf(err->msg, sizeof(err->msg),
		    "offers %s: the stored offer does not decode", key);
	return FED_DATA_LOSS;
}

// The offers of rec (matching r) into rec->offers. A damaged offer is
// DATA_LOSS when `get`, else left out (it was logged).
static fed_status
read_offers(dir_store *s, const struct series_range *r, ProtobufCAllocator *a,
    Enfed__V1__NodeRecord *rec, bool get, dir_store_err *err)
{
	sqlite3_stmt *st;
	FED_TRY(prep(s,
	    "SELECT meta, series_id, node, crc = " OFFER_CRC
	    " FROM offers WHERE node = ?1 AND " SERIES_MATCH(
	        "series_id") " ORDER BY series_id",
	    &st));
	sqlite3_bind_text(st, 1, rec->name, -1, SQLITE_STATIC);
	bind_series(st, r);
	struct item *head = NULL;
	size_t n = 0;
	fed_status res = FED_OK;
	int rc;
	while (res == FED_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		Enfed__V1__SeriesMeta *m = NULL;
		res = offer_from_row(st, a, &m, get ? err : NULL);
		if (res == FED_DATA_LOSS && !get)
			res = FED_OK; // left out
		else if (res == FED_OK)
			res = list_push(a, &head, &n, m);
	}
	if (res == FED_OK)
		res = sql_status(s, rc, "select offers");
	sqlite3_finalize(st);
	FED_TRY(res);
	rec->n_offers = n;
	return offers_array(a, head, n, &rec->offers);
}

static fed_status
node_from_row(
    sqlite3_stmt *st, ProtobufCAllocator *a, Enfed__V1__NodeRecord **out)
{
	Enfed__V1__NodeRecord *rec = a->alloc(a->allocator_data, sizeof(*rec));
	if (rec == NULL)
		return FED_RESOURCE_EXHAUSTED;
	enfed__v1__node_record__init(rec);
	rec->name = a_strdup(a, sqlite3_column_text(st, 0));
	rec->organisation = a_strdup(a, sqlite3_column_text(st, 1));
	rec->rpc_addr = a_strdup(a, sqlite3_column_text(st, 2));
	rec->stream_addr = a_strdup(a, sqlite3_column_text(st, 3));
	rec->registered_ms = sqlite3_column_int64(st, 4);
	rec->lease_expires_ms = sqlite3_column_int64(st, 5);
	rec->available = sqlite3_column_int(st, 6) != 0;
	rec->offer_count = (uint32_t) sqlite3_column_int64(st, 7);
	if (rec->name == NULL || rec->organisation == NULL
	    || rec->rpc_addr == NULL || rec->stream_addr == NULL)
		return FED_RESOURCE_EXHAUSTED;
	*out = rec;
	return FED_OK;
}

// The nodes matching f into the list. A node whose row fails its checksum
// is DATA_LOSS when `get`, else left out (logged).
static fed_status
read_nodes(dir_store *s, const dir_filter *f, const struct series_range *r,
    ProtobufCAllocator *a, struct item **head, size_t *n, bool get,
    dir_store_err *err)
{
	sqlite3_stmt *st;
	FED_TRY(prep(s,
	    "SELECT name, organisation, rpc_addr, stream_addr,"
	    " registered_ms, lease_expires_ms, available,"
	    " (SELECT count(*) FROM offers c WHERE c.node = n.name),"
	    " crc = " NODE_CRC " FROM nodes n"
	    " WHERE (?1 = '' OR name = ?1) AND (?2 = '' OR organisation = ?2)"
	    " AND (?3 = '' OR EXISTS (SELECT 1 FROM offers o"
	    " WHERE o.node = n.name AND " SERIES_MATCH(
	        "o.series_id") ")) ORDER BY name",
	    &st));
	sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->organisation, -1, SQLITE_STATIC);
	bind_series(st, r);
	fed_status res = FED_OK;
	int rc;
	while (res == FED_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		Enfed__V1__NodeRecord *rec = NULL;
		if (sqlite3_column_int(st, 8) == 0) {
			res = bad_row(&nodes_table, st, 0, get ? err : NULL);
			if (!get)
				res = FED_OK; // left out
			continue;
		}
		res = node_from_row(st, a, &rec);
		if (res == FED_OK)
			res = list_push(a, head, n, rec);
	}
	if (res == FED_OK)
		res = sql_status(s, rc, "select nodes");
	sqlite3_finalize(st);
	return res;
}

static fed_status
find_locked(dir_store *s, const dir_filter *f, const struct series_range *r,
    ProtobufCAllocator *a, Enfed__V1__NodeRecord ***nodes, size_t *n,
    dir_store_err *err)
{
	struct item *head = NULL;
	bool get = f->name[0] != '\0';
	FED_TRY(read_nodes(s, f, r, a, &head, n, get, err));
	for (struct item *it = head; it != NULL && !f->no_offers;
	     it = it->next)
		FED_TRY(read_offers(s, r, a, it->msg, get, err));
	return nodes_array(a, head, *n, nodes);
}

fed_status
dir_store_find(dir_store *s, const dir_filter *f, ProtobufCAllocator *a,
    Enfed__V1__NodeRecord ***nodes, size_t *n, dir_store_err *err)
{
	*nodes = NULL;
	*n = 0;
	struct series_range r;
	FED_TRY(series_range_init(&r, f->series != NULL ? f->series : ""));
	dir_filter all = {
	    .name = f->name != NULL ? f->name : "",
	    .organisation = f->organisation != NULL ? f->organisation : "",
	    .no_offers = f->no_offers,
	};
	pthread_mutex_lock(&s->mtx);
	// One read transaction, so that nodes and offers agree.
	fed_status st = exec(s, "BEGIN");
	if (st == FED_OK) {
		st = find_locked(s, &all, &r, a, nodes, n, err);
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	}
	pthread_mutex_unlock(&s->mtx);
	free(r.upper);
	if (st != FED_OK) {
		*nodes = NULL;
		*n = 0;
	}
	return st;
}

// --- Check ------------------------------------------------------------

// sqlite's quick_check into out->quick_check, counted as one failure when
// it finds a problem.
static fed_status
check_file(dir_store *s, fed_scrub_report *out)
{
	pthread_mutex_lock(&s->mtx);
	int rc = row_check_quick(
	    s->db, out->quick_check, sizeof(out->quick_check));
	pthread_mutex_unlock(&s->mtx);
	if (rc != SQLITE_OK)
		return sql_status(s, rc, "quick_check");
	if (strcmp(out->quick_check, "ok") != 0) {
		out->n_bad++;
		fed_log(FED_LOG_ERR, LOG, "quick_check: %s", out->quick_check);
	}
	return FED_OK;
}

static fed_status
check_table(dir_store *s, const row_check_table *t, const atomic_int *stop,
    fed_scrub_report *out)
{
	row_check_walk w;
	row_check_walk_init(&w, t);
	fed_status r = FED_OK;
	while (r == FED_OK && !w.done) {
		if (stop != NULL && atomic_load(stop))
			r = FED_CANCELLED;
		if (r != FED_OK)
			break;
		pthread_mutex_lock(&s->mtx);
		int rc = row_check_walk_step(&w, s->db, CHECK_BATCH, out, LOG);
		pthread_mutex_unlock(&s->mtx);
		r = sql_status(s, rc, "check rows");
	}
	row_check_walk_fini(&w);
	return r;
}

fed_status
dir_store_check(dir_store *s, const atomic_int *stop, fed_scrub_report *out)
{
	static const row_check_table *const tables[]
	    = {&nodes_table, &offers_table, &sites_table};
	FED_TRY(check_file(s, out));
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		FED_TRY(check_table(s, tables[i], stop, out));
	return FED_OK;
}
