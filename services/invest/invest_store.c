// SPDX-License-Identifier: MIT
//
// invest_store.c: fed-invest's sqlite store (invest_store.h). One
// connection behind a mutex: fed-invest's writes are rare and small, and
// serialising them makes the "shares never exceed the total" check and the
// write one atomic step without relying on sqlite's busy handling.
//
// Each table's `crc` is crc32c_row() of its columns (row_check.h): written
// by the statement that writes the row (PROJECT_CRC_OF with the values it
// binds), compared by every statement that reads one (`crc = PROJECT_CRC`
// beside the columns it uses).

#include "invest_store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fed/log.h"
#include "row_check.h"

#define SCHEMA_VERSION 3
#define LOG            "invest"
#define CHECK_BATCH    256 // rows per statement of invest_store_check

// The checksum of a row of each table, from SQL expressions for its
// columns in order (parameters for a write, columns for a read).
#define PROJECT_CRC_OF(id, org, total, body) \
	"crc32c_row('project', " id ", " org ", " total ", " body ")"
#define PROJECT_CRC \
	PROJECT_CRC_OF("id", "organisation", "total_shares", "body")
#define HOLDING_CRC_OF(investor, project, shares, acquired)        \
	"crc32c_row('holding', " investor ", " project ", " shares \
	", " acquired ")"
#define HOLDING_CRC \
	HOLDING_CRC_OF("investor", "project_id", "shares", "acquired_ms")
#define LINK_CRC_OF(investor, series, node, grant)                       \
	"crc32c_row('consumption_link', " investor ", " series ", " node \
	", " grant ")"
#define LINK_CRC LINK_CRC_OF("investor", "series_id", "node", "grant_token")

static const row_check_table project_table = {"project", {"id"}, PROJECT_CRC};
static const row_check_table holding_table
    = {"holding", {"investor", "project_id"}, HOLDING_CRC};
static const row_check_table link_table
    = {"consumption_link", {"investor"}, LINK_CRC};

struct invest_store {
	sqlite3 *db;
	pthread_mutex_t mtx;
};

static const char schema_sql[]
    = "CREATE TABLE IF NOT EXISTS project("
      " id TEXT PRIMARY KEY, organisation TEXT NOT NULL,"
      " total_shares INTEGER NOT NULL, body BLOB NOT NULL);"
      "CREATE TABLE IF NOT EXISTS holding("
      " investor TEXT NOT NULL, project_id TEXT NOT NULL"
      "  REFERENCES project(id),"
      " shares INTEGER NOT NULL CHECK (shares > 0),"
      " acquired_ms INTEGER NOT NULL,"
      " PRIMARY KEY (investor, project_id));"
      "CREATE INDEX IF NOT EXISTS holding_project ON holding(project_id);"
      "CREATE TABLE IF NOT EXISTS consumption_link("
      " investor TEXT PRIMARY KEY, series_id TEXT NOT NULL,"
      " node TEXT NOT NULL);"
      "PRAGMA user_version = 1;";

// Version 2: the token of the household's grant that each link is read
// under. A link from version 1 was made without one: it keeps '' and its
// figures are not given until the investor links again with a grant.
static const char schema_v2_sql[]
    = "ALTER TABLE consumption_link ADD COLUMN grant_token TEXT NOT NULL"
      " DEFAULT '';"
      "PRAGMA user_version = 2;";

// Version 3: a checksum per row, computed here for the rows already stored
// (a damage older than the migration is thus taken as it is).
static const char schema_v3_sql[]
    = "ALTER TABLE project ADD COLUMN crc INTEGER NOT NULL DEFAULT 0;"
      "ALTER TABLE holding ADD COLUMN crc INTEGER NOT NULL DEFAULT 0;"
      "ALTER TABLE consumption_link ADD COLUMN crc INTEGER NOT NULL"
      " DEFAULT 0;"
      "UPDATE project SET crc = " PROJECT_CRC ";"
      "UPDATE holding SET crc = " HOLDING_CRC ";"
      "UPDATE consumption_link SET crc = " LINK_CRC ";"
      "PRAGMA user_version = 3;";

static fed_status fail(char *err, size_t err_len, fed_status st,
    const char *fmt, ...) FED__PRINTF(4, 5);

static fed_status
fail(char *err, size_t err_len, fed_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err != NULL && err_len > 0)
		vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return st;
}

// sqlite's codes, translated at the boundary; the native code is logged.
static fed_status
sql_status(sqlite3 *db, int rc, const char *what, char *err, size_t err_len)
{
	fed_log(FED_LOG_ERR, "invest", "sqlite %s: %s (%d)", what,
	    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
	fed_status st;
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
	case SQLITE_FULL:
		st = FED_RESOURCE_EXHAUSTED;
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		st = FED_DATA_LOSS;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		st = FED_UNAVAILABLE;
		break;
	default:
		st = FED_INTERNAL;
	}
	return fail(err, err_len, st, "store: %s failed", what);
}

static fed_status
exec(invest_store *s, const char *sql, char *err, size_t err_len)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? FED_OK
	                       : sql_status(s->db, rc, sql, err, err_len);
}

static fed_status
prepare(invest_store *s, const char *sql, sqlite3_stmt **st, char *err,
    size_t err_len)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	return rc == SQLITE_OK
	    ? FED_OK
	    : sql_status(s->db, rc, "prepare", err, err_len);
}

static fed_status
check_version(invest_store *s, char *err, size_t err_len)
{
	sqlite3_stmt *st = NULL;
	FED_TRY(prepare(s, "PRAGMA user_version", &st, err, err_len));
	int rc = sqlite3_step(st);
	int v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return sql_status(s->db, rc, "user_version", err, err_len);
	if (v > SCHEMA_VERSION)
		return fail(err, err_len, FED_FAILED_PRECONDITION,
		    "store: schema version %d is newer than this program's %d",
		    v, SCHEMA_VERSION);
	if (v == SCHEMA_VERSION)
		return FED_OK;
	FED_TRY(exec(s, "BEGIN IMMEDIATE", err, err_len));
	fed_status r = v < 1 ? exec(s, schema_sql, err, err_len) : FED_OK;
	if (r == FED_OK && v < 2)
		r = exec(s, schema_v2_sql, err, err_len);
	if (r == FED_OK)
		r = exec(s, schema_v3_sql, err, err_len);
	if (r == FED_OK && v > 0)
		fed_log(FED_LOG_NOTICE, "invest",
		    "store: schema %d migrated to %d", v, SCHEMA_VERSION);
	if (r == FED_OK)
		return exec(s, "COMMIT", err, err_len);
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

static fed_status
configure(invest_store *s, char *err, size_t err_len)
{
	sqlite3_busy_timeout(s->db, 5000);
	sqlite3_stmt *st = NULL;
	// journal_mode answers with a row: the mode actually in force.
	FED_TRY(prepare(s, "PRAGMA journal_mode=WAL", &st, err, err_len));
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return sql_status(s->db, rc, "journal_mode", err, err_len);
	FED_TRY(exec(s, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", err,
	    err_len));
	rc = row_check_register(s->db);
	if (rc != SQLITE_OK)
		return sql_status(s->db, rc, "crc32c_row", err, err_len);
	return check_version(s, err, err_len);
}

// invest.db holds the households' grant tokens: it is created, or made
// again, readable and writable by its owner only; sqlite gives its -wal
// and -shm files the mode of the database.
static fed_status
make_private(const char *path, char *err, size_t err_len)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(err, err_len, FED_UNAVAILABLE,
		    "store: cannot open %s: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) == 0 && (sb.st_mode & 077) != 0
	    && fchmod(fd, 0600) != 0)
		fed_log(FED_LOG_WARNING, "invest",
		    "store: %s is readable by others and cannot be made "
		    "private: %s",
		    path, strerror(errno));
	close(fd);
	return FED_OK;
}

fed_status
invest_store_open(
    const char *dir, invest_store **out, char *err, size_t err_len)
{
	invest_store *s = calloc(1, sizeof(*s));
	char path[4200];
	if (s == NULL)
		return FED_RESOURCE_EXHAUSTED;
	snprintf(path, sizeof(path), "%s/invest.db", dir);
	pthread_mutex_init(&s->mtx, NULL);
	fed_status st = make_private(path, err, err_len);
	if (st != FED_OK) {
		invest_store_close(s);
		return st;
	}
	int rc = sqlite3_open_v2(path, &s->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
	    NULL);
	st = rc == SQLITE_OK ? configure(s, err, err_len)
	                     : sql_status(s->db, rc, "open", err, err_len);
	if (st != FED_OK) {
		invest_store_close(s);
		return st;
	}
	*out = s;
	return FED_OK;
}

void
invest_store_close(invest_store *s)
{
	if (s == NULL)
		return;
	if (s->db != NULL) {
		sqlite3_wal_checkpoint_v2(
		    s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		sqlite3_close(s->db);
	}
	pthread_mutex_destroy(&s->mtx);
	free(s);
}

// --- projects -------------------------------------------------------------

// The current row of st fails its checksum (its key from column col):
// logged, described in err, DATA_LOSS.
static fed_status
bad_row(const row_check_table *t, sqlite3_stmt *st, int col, char *err,
    size_t err_len)
{
	row_check_report(t, st, col, LOG, err, err_len);
	return FED_DATA_LOSS;
}

// The stored body of project id: *body NULL when absent (a heap copy
// otherwise, caller frees); DATA_LOSS when its row fails its checksum.
// Called with the mutex held.
static fed_status
load_body(invest_store *s, const char *id, uint8_t **body, size_t *len,
    char *err, size_t err_len)
{
	sqlite3_stmt *st = NULL;
	*body = NULL;
	*len = 0;
	FED_TRY(prepare(s,
	    "SELECT body, id, crc = " PROJECT_CRC " FROM project WHERE id = ?",
	    &st, err, err_len));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	fed_status r = FED_OK;
	if (rc == SQLITE_ROW && sqlite3_column_int(st, 2) == 0) {
		r = bad_row(&project_table, st, 1, err, err_len);
	} else if (rc == SQLITE_ROW) {
		*len = (size_t) sqlite3_column_bytes(st, 0);
		*body = malloc(*len ? *len : 1);
		if (*body == NULL)
			r = FED_RESOURCE_EXHAUSTED;
		else if (*len > 0)
			memcpy(*body, sqlite3_column_blob(st, 0), *len);
	} else if (rc != SQLITE_DONE) {
		r = sql_status(s->db, rc, "select project", err, err_len);
	}
	sqlite3_finalize(st);
	return r;
}

static fed_status
write_project(
    invest_store *s, const Enfed__V1__Project *p, char *err, size_t err_len)
{
	size_t len = enfed__v1__project__get_packed_size(p);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL)
		return FED_RESOURCE_EXHAUSTED;
	enfed__v1__project__pack(p, buf);
	sqlite3_stmt *st = NULL;
	fed_status r = prepare(s,
	    "INSERT INTO project(id, organisation, total_shares, body, crc) "
	    "VALUES (?1, ?2, ?3, ?4, " PROJECT_CRC_OF("?1", "?2", "?3",
	        "?4") ") ON CONFLICT(id) DO UPDATE SET "
	              "organisation = excluded.organisation, "
	              "total_shares = excluded.total_shares, "
	              "body = excluded.body, crc = excluded.crc",
	    &st, err, err_len);
	if (r == FED_OK) {
		sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2,
		    p->organisation != NULL ? p->organisation : "", -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, p->total_shares);
		sqlite3_bind_blob(st, 4, buf, (int) len, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		if (rc != SQLITE_DONE)
			r = sql_status(
			    s->db, rc, "write project", err, err_len);
	}
	sqlite3_finalize(st);
	free(buf);
	return r;
}

static bool
same_body(const Enfed__V1__Project *p, const uint8_t *body, size_t len)
{
	size_t n = enfed__v1__project__get_packed_size(p);
	uint8_t *buf = n == len ? malloc(n ? n : 1) : NULL;
	if (buf == NULL)
		return false;
	enfed__v1__project__pack(p, buf);
	bool same = memcmp(buf, body, n) == 0;
	free(buf);
	return same;
}

static fed_status
create_locked(
    invest_store *s, const Enfed__V1__Project *p, char *err, size_t err_len)
{
	uint8_t *body = NULL;
	size_t len = 0;
	FED_TRY(load_body(s, p->id, &body, &len, err, err_len));
	if (body == NULL)
		return write_project(s, p, err, err_len);
	bool same = same_body(p, body, len);
	free(body);
	return same ? FED_OK
	            : fail(err, err_len, FED_ALREADY_EXISTS,
	                "project '%s' exists with other values (use "
	                "UpdateProject)",
	                p->id);
}

// Runs fn in a write transaction under the mutex; rolls back on failure.
static fed_status
in_tx(invest_store *s,
    fed_status (*fn)(invest_store *, const void *, char *, size_t),
    const void *arg, char *err, size_t err_len)
{
	pthread_mutex_lock(&s->mtx);
	fed_status st = exec(s, "BEGIN IMMEDIATE", err, err_len);
	if (st == FED_OK) {
		st = fn(s, arg, err, err_len);
		if (st == FED_OK)
			st = exec(s, "COMMIT", err, err_len);
		if (st != FED_OK)
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	pthread_mutex_unlock(&s->mtx);
	return st;
}

static fed_status
create_fn(invest_store *s, const void *arg, char *err, size_t err_len)
{
	return create_locked(s, arg, err, err_len);
}

fed_status
invest_store_project_create(
    invest_store *s, const Enfed__V1__Project *p, char *err, size_t err_len)
{
	return in_tx(s, create_fn, p, err, err_len);
}

// The sum of the shares of project_id held by all but `except`, each row
// verified: DATA_LOSS when one fails its checksum, as the sum would be
// wrong.
static fed_status
held_locked(invest_store *s, const char *project_id, const char *except,
    uint64_t *out, char *err, size_t err_len)
{
	sqlite3_stmt *st = NULL;
	FED_TRY(prepare(s,
	    "SELECT investor, project_id, shares, crc = " HOLDING_CRC
	    " FROM holding WHERE project_id = ?1"
	    " AND investor <> COALESCE(?2, '')",
	    &st, err, err_len));
	sqlite3_bind_text(st, 1, project_id, -1, SQLITE_STATIC);
	if (except != NULL)
		sqlite3_bind_text(st, 2, except, -1, SQLITE_STATIC);
	uint64_t sum = 0;
	fed_status r = FED_OK;
	int rc;
	while (r == FED_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int(st, 3) == 0)
			r = bad_row(&holding_table, st, 0, err, err_len);
		sum += (uint64_t) sqlite3_column_int64(st, 2);
	}
	if (r == FED_OK && rc != SQLITE_DONE)
		r = sql_status(s->db, rc, "sum shares", err, err_len);
	sqlite3_finalize(st);
	if (r == FED_OK)
		*out = sum;
	return r;
}

static fed_status
update_fn(invest_store *s, const void *arg, char *err, size_t err_len)
{
	const Enfed__V1__Project *p = arg;
	uint8_t *body = NULL;
	size_t len = 0;
	FED_TRY(load_body(s, p->id, &body, &len, err, err_len));
	if (body == NULL)
		return fail(
		    err, err_len, FED_NOT_FOUND, "project '%s'", p->id);
	free(body);
	uint64_t held = 0;
	FED_TRY(held_locked(s, p->id, NULL, &held, err, err_len));
	if (held > p->total_shares)
		return fail(err, err_len, FED_FAILED_PRECONDITION,
		    "total_shares: %u would be fewer than the %llu shares of "
		    "project '%s' already held",
		    p->total_shares, (unsigned long long) held, p->id);
	return write_project(s, p, err, err_len);
}

fed_status
invest_store_project_update(
    invest_store *s, const Enfed__V1__Project *p, char *err, size_t err_len)
{
	return in_tx(s, update_fn, p, err, err_len);
}

// Deletes project id when no holding names it; a project with holders
// is archived instead, so that no investor's figures vanish.
static fed_status
delete_fn(invest_store *s, const void *arg, char *err, size_t err_len)
{
	const char *id = arg;
	uint64_t held = 0;
	FED_TRY(held_locked(s, id, NULL, &held, err, err_len));
	if (held > 0)
		return fail(err, err_len, FED_FAILED_PRECONDITION,
		    "project '%s': %llu shares are held; archive it instead",
		    id, (unsigned long long) held);
	sqlite3_stmt *st = NULL;
	FED_TRY(
	    prepare(s, "DELETE FROM project WHERE id = ?", &st, err, err_len));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE
	    ? FED_OK
	    : sql_status(s->db, rc, "delete project", err, err_len);
}

fed_status
invest_store_project_delete(
    invest_store *s, const char *id, char *err, size_t err_len)
{
	return in_tx(s, delete_fn, id, err, err_len);
}

fed_status
invest_store_project_get(invest_store *s, const char *id,
    Enfed__V1__Project **out, char *err, size_t err_len)
{
	uint8_t *body = NULL;
	size_t len = 0;
	pthread_mutex_lock(&s->mtx);
	fed_status st = load_body(s, id, &body, &len, err, err_len);
	pthread_mutex_unlock(&s->mtx);
	if (st != FED_OK)
		return st;
	if (body == NULL)
		return fail(err, err_len, FED_NOT_FOUND, "project '%s'", id);
	*out = enfed__v1__project__unpack(NULL, len, body);
	free(body);
	return *out != NULL ? FED_OK
	                    : fail(err, err_len, FED_DATA_LOSS,
	                        "project '%s': stored record unreadable", id);
}

void
invest_store_project_list_free(Enfed__V1__Project **list, size_t n)
{
	for (size_t i = 0; list != NULL && i < n; i++)
		enfed__v1__project__free_unpacked(list[i], NULL);
	free(list);
}

// Appends the project of the current row (body, id, whether its checksum
// holds) to *list; a row that fails its checksum or does not decode is
// left out, and logged.
static fed_status
append_row(
    sqlite3_stmt *st, Enfed__V1__Project ***list, size_t *n, size_t *cap)
{
	if (sqlite3_column_int(st, 2) == 0) {
		bad_row(&project_table, st, 1, NULL, 0);
		return FED_OK;
	}
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 8;
		Enfed__V1__Project **l = realloc(*list, c * sizeof(*l));
		if (l == NULL)
			return FED_RESOURCE_EXHAUSTED;
		*list = l;
		*cap = c;
	}
	Enfed__V1__Project *p = enfed__v1__project__unpack(NULL,
	    (size_t) sqlite3_column_bytes(st, 0), sqlite3_column_blob(st, 0));
	if (p == NULL)
		fed_log(FED_LOG_ERR, LOG,
		    "project id=%s: the stored record does not decode",
		    (const char *) sqlite3_column_text(st, 1));
	if (p != NULL)
		(*list)[(*n)++] = p;
	return FED_OK;
}

static fed_status
list_locked(invest_store *s, const char *organisation,
    Enfed__V1__Project ***out, size_t *n, char *err, size_t err_len)
{
	sqlite3_stmt *st = NULL;
	FED_TRY(prepare(s,
	    "SELECT body, id, crc = " PROJECT_CRC " FROM project"
	    " WHERE ?1 IS NULL OR organisation = ?1 ORDER BY id",
	    &st, err, err_len));
	if (organisation != NULL && organisation[0] != '\0')
		sqlite3_bind_text(st, 1, organisation, -1, SQLITE_STATIC);
	size_t cap = 0;
	fed_status r = FED_OK;
	int rc;
	while (r == FED_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = append_row(st, out, n, &cap);
	if (r == FED_OK && rc != SQLITE_DONE)
		r = sql_status(s->db, rc, "list projects", err, err_len);
	else if (r != FED_OK)
		fail(err, err_len, r, "list projects: %s", fed_status_str(r));
	sqlite3_finalize(st);
	return r;
}

fed_status
invest_store_project_list(invest_store *s, const char *organisation,
    Enfed__V1__Project ***out, size_t *n, char *err, size_t err_len)
{
	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&s->mtx);
	fed_status st = list_locked(s, organisation, out, n, err, err_len);
	pthread_mutex_unlock(&s->mtx);
	if (st != FED_OK) {
		invest_store_project_list_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return st;
}

// --- holdings -------------------------------------------------------------

static fed_status
total_shares_locked(invest_store *s, const char *project_id, uint32_t *out,
    char *err, size_t err_len)
{
	sqlite3_stmt *st = NULL;
	FED_TRY(prepare(s,
	    "SELECT total_shares, id, crc = " PROJECT_CRC
	    " FROM project WHERE id = ?",
	    &st, err, err_len));
	sqlite3_bind_text(st, 1, project_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	fed_status r = FED_OK;
	if (rc == SQLITE_ROW && sqlite3_column_int(st, 2) == 0)
		r = bad_row(&project_table, st, 1, err, err_len);
	else if (rc == SQLITE_ROW)
		*out = (uint32_t) sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		r = fail(
		    err, err_len, FED_NOT_FOUND, "project '%s'", project_id);
	else
		r = sql_status(s->db, rc, "select project", err, err_len);
	sqlite3_finalize(st);
	return r;
}

static fed_status
put_fn(invest_store *s, const void *arg, char *err, size_t err_len)
{
	const invest_holding *h = arg;
	uint32_t total = 0;
	uint64_t others = 0;
	FED_TRY(total_shares_locked(s, h->project_id, &total, err, err_len));
	FED_TRY(
	    held_locked(s, h->project_id, h->investor, &others, err, err_len));
	FED_TRY(invest_calc_check_shares(
	    h->shares, others, total, h->project_id, err, err_len));
	sqlite3_stmt *st = NULL;
	FED_TRY(prepare(s,
	    "INSERT OR REPLACE INTO holding(investor, project_id, shares, "
	    "acquired_ms, crc) VALUES (?1, ?2, ?3, ?4, " HOLDING_CRC_OF(
	        "?1", "?2", "?3", "?4") ")",
	    &st, err, err_len));
	sqlite3_bind_text(st, 1, h->investor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, h->project_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, h->shares);
	sqlite3_bind_int64(st, 4, h->acquired_ms);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE
	    ? FED_OK
	    : sql_status(s->db, rc, "write holding", err, err_len);
}

fed_status
invest_store_holding_put(
    invest_store *s, const invest_holding *h, char *err, size_t err_len)
{
	return in_tx(s, put_fn, h, err, err_len);
}

struct pair {
	const char *a, *b;
};

static fed_status
remove_fn(invest_store *s, const void *arg, char *err, size_t err_len)
{
	const struct pair *k = arg;
	uint32_t total = 0;
	FED_TRY(total_shares_locked(s, k->b, &total, err, err_len));
	sqlite3_stmt *st = NULL;
	FED_TRY(prepare(s,
	    "DELETE FROM holding WHERE investor = ? AND project_id = ?", &st,
	    err, err_len));
	sqlite3_bind_text(st, 1, k->a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->b, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE
	    ? FED_OK
	    : sql_status(s->db, rc, "delete holding", err, err_len);
}

fed_status
invest_store_holding_remove(invest_store *s, const char *investor,
    const char *project_id, char *err, size_t err_len)
{
	struct pair k = {investor, project_id};
	return in_tx(s, remove_fn, &k, err, err_len);
}

// The holdings of the rows of st (investor, project_id, shares,
// acquired_ms, whether the checksum holds). A row that fails its checksum
// is left out (logged) when skip_bad, else DATA_LOSS with err.
static fed_status
read_holdings(sqlite3_stmt *st, bool skip_bad, invest_holding **out, size_t *n,
    char *err, size_t err_len)
{
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int(st, 4) == 0 && skip_bad) {
			bad_row(&holding_table, st, 0, NULL, 0);
			continue;
		}
		if (sqlite3_column_int(st, 4) == 0)
			return bad_row(&holding_table, st, 0, err, err_len);
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			invest_holding *h = realloc(*out, cap * sizeof(*h));
			if (h == NULL)
				return FED_RESOURCE_EXHAUSTED;
			*out = h;
		}
		invest_holding *h = &(*out)[(*n)++];
		snprintf(h->investor, sizeof(h->investor), "%s",
		    (const char *) sqlite3_column_text(st, 0));
		snprintf(h->project_id, sizeof(h->project_id), "%s",
		    (const char *) sqlite3_column_text(st, 1));
		h->shares = (uint32_t) sqlite3_column_int64(st, 2);
		h->acquired_ms = sqlite3_column_int64(st, 3);
	}
	return rc == SQLITE_DONE ? FED_OK : FED_INTERNAL;
}

fed_status
invest_store_holdings(invest_store *s, const char *investor,
    const char *project_id, bool skip_bad, invest_holding **out, size_t *n,
    char *err, size_t err_len)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = NULL;
	pthread_mutex_lock(&s->mtx);
	fed_status r = prepare(s,
	    "SELECT investor, project_id, shares, acquired_ms,"
	    " crc = " HOLDING_CRC " FROM holding"
	    " WHERE (?1 IS NULL OR investor = ?1) AND"
	    " (?2 IS NULL OR project_id = ?2)"
	    " ORDER BY shares DESC, project_id, investor",
	    &st, err, err_len);
	if (r == FED_OK) {
		if (investor != NULL && investor[0] != '\0')
			sqlite3_bind_text(st, 1, investor, -1, SQLITE_STATIC);
		if (project_id != NULL && project_id[0] != '\0')
			sqlite3_bind_text(
			    st, 2, project_id, -1, SQLITE_STATIC);
		r = read_holdings(st, skip_bad, out, n, err, err_len);
		if (r == FED_INTERNAL)
			r = sql_status(s->db, sqlite3_errcode(s->db),
			    "list holdings", err, err_len);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mtx);
	if (r != FED_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return r;
}

fed_status
invest_store_shares_held(invest_store *s, const char *project_id,
    const char *except, uint64_t *out, char *err, size_t err_len)
{
	pthread_mutex_lock(&s->mtx);
	fed_status st = held_locked(s, project_id, except, out, err, err_len);
	pthread_mutex_unlock(&s->mtx);
	return st;
}

// --- consumption links ----------------------------------------------------

struct link_arg {
	const char *investor;
	const invest_link *link;
};

static fed_status
link_fn(invest_store *s, const void *arg, char *err, size_t err_len)
{
	const struct link_arg *a = arg;
	bool unlink = a->link->series_id[0] == '\0';
	sqlite3_stmt *st = NULL;
	FED_TRY(prepare(s,
	    unlink ? "DELETE FROM consumption_link WHERE investor = ?1"
	           : "INSERT OR REPLACE INTO consumption_link(investor, "
	             "series_id, node, grant_token, crc) VALUES (?1, ?2, ?3, "
	             "?4, " LINK_CRC_OF("?1", "?2", "?3", "?4") ")",
	    &st, err, err_len));
	sqlite3_bind_text(st, 1, a->investor, -1, SQLITE_STATIC);
	if (!unlink) {
		sqlite3_bind_text(
		    st, 2, a->link->series_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, a->link->node, -1, SQLITE_STATIC);
		sqlite3_bind_text(
		    st, 4, a->link->grant_token, -1, SQLITE_STATIC);
	}
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE
	    ? FED_OK
	    : sql_status(s->db, rc, "write link", err, err_len);
}

fed_status
invest_store_link_put(invest_store *s, const char *investor,
    const invest_link *link, char *err, size_t err_len)
{
	struct link_arg a = {investor, link};
	return in_tx(s, link_fn, &a, err, err_len);
}

// The link of the current row (series_id, node, grant_token).
static void
read_link(sqlite3_stmt *st, invest_link *out)
{
	snprintf(out->series_id, sizeof(out->series_id), "%s",
	    (const char *) sqlite3_column_text(st, 0));
	snprintf(out->node, sizeof(out->node), "%s",
	    (const char *) sqlite3_column_text(st, 1));
	snprintf(out->grant_token, sizeof(out->grant_token), "%s",
	    (const char *) sqlite3_column_text(st, 2));
}

fed_status
invest_store_link_get(invest_store *s, const char *investor, invest_link *out,
    bool *found, char *err, size_t err_len)
{
	sqlite3_stmt *st = NULL;
	*found = false;
	pthread_mutex_lock(&s->mtx);
	fed_status r = prepare(s,
	    "SELECT series_id, node, grant_token, investor, crc = " LINK_CRC
	    " FROM consumption_link WHERE investor = ?",
	    &st, err, err_len);
	if (r == FED_OK) {
		sqlite3_bind_text(st, 1, investor, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && sqlite3_column_int(st, 4) == 0) {
			r = bad_row(&link_table, st, 3, err, err_len);
		} else if (rc == SQLITE_ROW) {
			*found = true;
			read_link(st, out);
		} else if (rc != SQLITE_DONE) {
			r = sql_status(s->db, rc, "read link", err, err_len);
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mtx);
	return r;
}

fed_status
invest_store_investor_known(invest_store *s, const char *investor, bool *known)
{
	sqlite3_stmt *st = NULL;
	*known = false;
	pthread_mutex_lock(&s->mtx);
	fed_status r = prepare(s,
	    "SELECT EXISTS(SELECT 1 FROM holding WHERE investor = ?1) OR "
	    "EXISTS(SELECT 1 FROM consumption_link WHERE investor = ?1)",
	    &st, NULL, 0);
	if (r == FED_OK) {
		sqlite3_bind_text(st, 1, investor, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*known = sqlite3_column_int(st, 0) != 0;
		else
			r = sql_status(s->db, rc, "investor known", NULL, 0);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mtx);
	return r;
}

// --- check ----------------------------------------------------------------

// sqlite's quick_check into out->quick_check, counted as one failure when
// it finds a problem.
static fed_status
check_file(invest_store *s, fed_scrub_report *out)
{
	pthread_mutex_lock(&s->mtx);
	int rc = row_check_quick(
	    s->db, out->quick_check, sizeof(out->quick_check));
	pthread_mutex_unlock(&s->mtx);
	if (rc != SQLITE_OK)
		return sql_status(s->db, rc, "quick_check", NULL, 0);
	if (strcmp(out->quick_check, "ok") != 0) {
		out->n_bad++;
		fed_log(FED_LOG_ERR, LOG, "quick_check: %s", out->quick_check);
	}
	return FED_OK;
}

static fed_status
check_table(invest_store *s, const row_check_table *t, const atomic_int *stop,
    fed_scrub_report *out)
{
	row_check_walk w;
	row_check_walk_init(&w, t);
	fed_status r = FED_OK;
	while (r == FED_OK && !w.done) {
		if (stop != NULL && atomic_load(stop)) {
			r = FED_CANCELLED;
			break;
		}
		pthread_mutex_lock(&s->mtx);
		int rc = row_check_walk_step(&w, s->db, CHECK_BATCH, out, LOG);
		pthread_mutex_unlock(&s->mtx);
		if (rc != SQLITE_OK)
			r = sql_status(s->db, rc, "check rows", NULL, 0);
	}
	row_check_walk_fini(&w);
	return r;
}

fed_status
invest_store_check(
    invest_store *s, const atomic_int *stop, fed_scrub_report *out)
{
	static const row_check_table *const tables[]
	    = {&project_table, &holding_table, &link_table};
	FED_TRY(check_file(s, out));
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		FED_TRY(check_table(s, tables[i], stop, out));
	return FED_OK;
}
