// SPDX-License-Identifier: MIT
//
// store_access.c: the grants' access log. Each entry is the packed
// enfed.v1.GrantAccess, beside the columns that lists filter on; a grant
// keeps its newest NODE_STORE_ACCESS_KEEP entries, so a grantee that calls
// in a loop costs a bounded amount of disk.

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_internal.h"

static fed_status
insert(store_conn *c, const Enfed__V1__GrantAccess *e, const uint8_t *buf,
    size_t len)
{
	sqlite3_stmt *s = NULL;
	FED_TRY(node__store_prepare(c,
	    "INSERT INTO grant_access(grant_id, method, at_ms, msg)"
	    " VALUES(?, ?, ?, ?)",
	    &s, "access insert"));
	sqlite3_bind_text(s, 1, e->grant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, e->method, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, e->at_ms);
	sqlite3_bind_blob(s, 4, buf, (int) len, SQLITE_STATIC);
	return node__store_step_done(c, s, "access insert");
}

// Drops the grant's entries older than its newest NODE_STORE_ACCESS_KEEP.
static fed_status
prune(store_conn *c, const char *grant_id)
{
	sqlite3_stmt *s = NULL;
	FED_TRY(node__store_prepare(c,
	    "DELETE FROM grant_access WHERE grant_id = ?1 AND id <="
	    " (SELECT id FROM grant_access WHERE grant_id = ?1"
	    " ORDER BY id DESC LIMIT 1 OFFSET ?2)",
	    &s, "access prune"));
	sqlite3_bind_text(s, 1, grant_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, NODE_STORE_ACCESS_KEEP);
	return node__store_step_done(c, s, "access prune");
}

typedef struct add_args {
	const Enfed__V1__GrantAccess *e;
	const uint8_t *buf; // e, packed
	size_t len;
} add_args;

static fed_status
add_locked(store_conn *c, void *arg)
{
	const add_args *a = arg;
	FED_TRY(insert(c, a->e, a->buf, a->len));
	return prune(c, a->e->grant_id);
}

fed_status
node_store_access_add(
    node_store *st, const Enfed__V1__GrantAccess *e, node_store_err *err)
{
	FED_TRY(node__store_check_utf8(&e->base, "access", err));
	add_args a = {e, NULL, 0};
	uint8_t *buf = node__store_pack(&e->base, &a.len);
	if (buf == NULL)
		return FED_RESOURCE_EXHAUSTED;
	a.buf = buf;
	fed_status res = node__store_write(st, add_locked, &a);
	free(buf);
	return res;
}

fed_status
node_store_access_list(node_store *st, const char *grant_id, int64_t since_ms,
    uint32_t limit, node_store_access_fn fn, void *arg, node_store_err *err)
{
	(void) err;
	store_conn *c = NULL;
	FED_TRY(node__store_read_begin(st, &c));
	sqlite3_stmt *s = NULL;
	fed_status res = node__store_prepare(c,
	    "SELECT msg FROM grant_access WHERE (?1 = '' OR grant_id = ?1)"
	    " AND at_ms >= ?2 ORDER BY id DESC LIMIT ?3",
	    &s, "access list");
	int rc = SQLITE_DONE;
	if (res == FED_OK) {
		sqlite3_bind_text(s, 1, grant_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, since_ms);
		sqlite3_bind_int64(s, 3, limit);
	}
	while (res == FED_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		Enfed__V1__GrantAccess *e = enfed__v1__grant_access__unpack(
		    NULL, (size_t) sqlite3_column_bytes(s, 0),
		    sqlite3_column_blob(s, 0));
		if (e == NULL)
			continue; // an entry this program cannot read: skipped
		res = fn(e, arg);
		enfed__v1__grant_access__free_unpacked(e, NULL);
	}
	if (res == FED_OK && rc != SQLITE_DONE)
		res = node__store_sql_status(c->db, rc, "access list");
	sqlite3_finalize(s);
	node__store_read_end(st, c);
	return res;
}

fed_status
node_store_access_last(node_store *st, const char *grant_id,
    const char *method, int64_t *at_ms, node_store_err *err)
{
	(void) err;
	*at_ms = 0;
	store_conn *c = NULL;
	FED_TRY(node__store_read_begin(st, &c));
	sqlite3_stmt *s = NULL;
	fed_status res = node__store_prepare(c,
	    "SELECT max(at_ms) FROM grant_access WHERE grant_id = ?"
	    " AND method = ?",
	    &s, "access last");
	if (res == FED_OK) {
		sqlite3_bind_text(s, 1, grant_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, method, -1, SQLITE_STATIC);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*at_ms = sqlite3_column_int64(s, 0);
		else
			res = node__store_sql_status(c->db, rc, "access last");
		sqlite3_finalize(s);
	}
	node__store_read_end(st, c);
	return res;
}
