// SPDX-License-Identifier: MIT
//
// store_alarms.c: the alarm_rules and alarms tables. Rules and alarms are
// kept as packed protobuf messages (what the RPC layer sends anyway), with
// the few columns that lists filter on beside them; the alarm engine
// (node_alarms.c) gives them their meaning.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_internal.h"

// The packed spec of rule `id` into *old (malloc'ed) or NULL when absent.
static fed_status
rule_blob(store_conn *c, const char *id, uint8_t **old, size_t *old_len)
{
	sqlite3_stmt *s = NULL;
	*old = NULL;
	FED_TRY(
	    node__store_prepare(c, "SELECT spec FROM alarm_rules WHERE id = ?",
	        &s, "alarm rule get"));
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	fed_status res = FED_OK;
	if (rc == SQLITE_ROW) {
		*old_len = (size_t) sqlite3_column_bytes(s, 0);
		*old = malloc(*old_len + 1);
		if (*old == NULL)
			res = FED_RESOURCE_EXHAUSTED;
		else
			memcpy(*old, sqlite3_column_blob(s, 0), *old_len);
	} else if (rc != SQLITE_DONE) {
		res = node__store_sql_status(c->db, rc, "alarm rule get");
	}
	sqlite3_finalize(s);
	return res;
}

static fed_status
rule_insert(store_conn *c, const char *id, const uint8_t *buf, size_t len)
{
	sqlite3_stmt *s = NULL;
	FED_TRY(node__store_prepare(c,
	    "INSERT INTO alarm_rules(id, spec) VALUES(?, ?)", &s,
	    "alarm rule insert"));
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, buf, (int) len, SQLITE_STATIC);
	return node__store_step_done(c, s, "alarm rule insert");
}

typedef struct rule_put_args {
	const Enfed__V1__AlarmRule *r;
	const uint8_t *buf; // r, packed
	size_t len;
	uint8_t *old; // the stored rule's spec, if any; the caller frees it
	size_t old_len;
	node_store_err *err;
} rule_put_args;

static fed_status
rule_put_locked(store_conn *c, void *arg)
{
	rule_put_args *a = arg;
	FED_TRY(rule_blob(c, a->r->id, &a->old, &a->old_len));
	if (a->old == NULL)
		return rule_insert(c, a->r->id, a->buf, a->len);
	if (a->old_len != a->len || memcmp(a->old, a->buf, a->len) != 0)
		return node_store_fail(a->err, FED_ALREADY_EXISTS,
		    "id: rule %s exists with another definition", a->r->id);
	return FED_OK;
}

fed_status
node_store_alarm_rule_put(
    node_store *st, const Enfed__V1__AlarmRule *r, node_store_err *err)
{
	FED_TRY(node__store_check_utf8(&r->base, "rule", err));
	rule_put_args a = {.r = r, .err = err};
	uint8_t *buf = node__store_pack(&r->base, &a.len);
	if (buf == NULL)
		return FED_RESOURCE_EXHAUSTED;
	a.buf = buf;
	fed_status res = node__store_write(st, rule_put_locked, &a);
	free(a.old);
	free(buf);
	return res;
}

// Marks the active alarms of rule `id` cleared, in the writer's
// transaction: each is rewritten with its new state.
static fed_status
clear_rule_alarms(store_conn *c, const char *id, const char *why,
    int64_t now_ms, uint32_t *n)
{
	sqlite3_stmt *s = NULL, *u = NULL;
	FED_TRY(node__store_prepare(c,
	    "SELECT id, msg FROM alarms WHERE rule_id = ? AND active = 1", &s,
	    "alarm clear"));
	fed_status res = node__store_prepare(c,
	    "UPDATE alarms SET active = 0, msg = ? WHERE id = ?", &u,
	    "alarm clear");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	while (res == FED_OK && sqlite3_step(s) == SQLITE_ROW) {
		Enfed__V1__Alarm *a = enfed__v1__alarm__unpack(NULL,
		    (size_t) sqlite3_column_bytes(s, 1),
		    sqlite3_column_blob(s, 1));
		if (a == NULL)
			continue; // a row that does not unpack stays as it is
		a->state = ENFED__V1__ALARM_STATE__ALARM_STATE_CLEARED;
		a->cleared_ms = now_ms;
		char *kept = a->clear_message;
		a->clear_message = (char *) why;
		size_t len = 0;
		uint8_t *buf = node__store_pack(&a->base, &len);
		a->clear_message = kept;
		enfed__v1__alarm__free_unpacked(a, NULL);
		if (buf == NULL) {
			res = FED_RESOURCE_EXHAUSTED;
			break;
		}
		sqlite3_bind_blob(u, 1, buf, (int) len, free);
		sqlite3_bind_int64(u, 2, sqlite3_column_int64(s, 0));
		int rc = sqlite3_step(u);
		sqlite3_reset(u);
		if (rc != SQLITE_DONE)
			res = node__store_sql_status(c->db, rc, "alarm clear");
		else
			(*n)++;
	}
	sqlite3_finalize(s);
	sqlite3_finalize(u);
	return res;
}

typedef struct rule_delete_args {
	const char *id;
	const char *why; // the cleared alarms' clear_message
	int64_t now_ms;
	uint32_t n_cleared;
	node_store_err *err;
} rule_delete_args;

static fed_status
rule_delete_locked(store_conn *c, void *arg)
{
	rule_delete_args *a = arg;
	sqlite3_stmt *s = NULL;
	FED_TRY(node__store_prepare(c, "DELETE FROM alarm_rules WHERE id = ?",
	    &s, "alarm rule delete"));
	sqlite3_bind_text(s, 1, a->id, -1, SQLITE_STATIC);
	FED_TRY(node__store_step_done(c, s, "alarm rule delete"));
	if (sqlite3_changes(c->db) == 0)
		return node_store_fail(
		    a->err, FED_NOT_FOUND, "id: no rule %.64s", a->id);
	return clear_rule_alarms(c, a->id, a->why, a->now_ms, &a->n_cleared);
}

fed_status
node_store_alarm_rule_delete(node_store *st, const char *id,
    const char *clear_message, int64_t now_ms, uint32_t *n_cleared,
    node_store_err *err)
{
	rule_delete_args a = {id, clear_message, now_ms, 0, err};
	fed_status res = node__store_write(st, rule_delete_locked, &a);
	if (res == FED_OK && n_cleared != NULL)
		*n_cleared = a.n_cleared;
	return res;
}

fed_status
node_store_alarm_rule_list(node_store *st, node_store_alarm_rule_fn fn,
    void *arg, node_store_err *err)
{
	store_conn *c = NULL;
	FED_TRY(node__store_read_begin(st, &c));
	sqlite3_stmt *s = NULL;
	fed_status res = node__store_prepare(c,
	    "SELECT id, spec FROM alarm_rules ORDER BY id", &s,
	    "alarm rule list");
	int rc = SQLITE_DONE;
	while (res == FED_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		Enfed__V1__AlarmRule *r = enfed__v1__alarm_rule__unpack(NULL,
		    (size_t) sqlite3_column_bytes(s, 1),
		    sqlite3_column_blob(s, 1));
		if (r == NULL) {
			res = node_store_fail(err, FED_DATA_LOSS,
			    "alarm rule %s does not unpack",
			    sqlite3_column_text(s, 0));
			break;
		}
		res = fn(r, arg);
		enfed__v1__alarm_rule__free_unpacked(r, NULL);
	}
	if (res == FED_OK && rc != SQLITE_DONE)
		res = node__store_sql_status(c->db, rc, "alarm rule list");
	sqlite3_finalize(s);
	node__store_read_end(st, c);
	return res;
}

// Inserts (a->id == 0) or replaces alarm a with its packed form.
static fed_status
alarm_write(store_conn *c, const Enfed__V1__Alarm *a, const uint8_t *buf,
    size_t len, uint64_t *id_out, node_store_err *err)
{
	sqlite3_stmt *s = NULL;
	const char *sql = a->id == 0
	    ? "INSERT INTO alarms(rule_id, series, active, raised_at_ms, msg)"
	      " VALUES(?1, ?2, ?3, ?4, ?5)"
	    : "UPDATE alarms SET rule_id = ?1, series = ?2, active = ?3,"
	      " raised_at_ms = ?4, msg = ?5 WHERE id = ?6";
	FED_TRY(node__store_prepare(c, sql, &s, "alarm put"));
	sqlite3_bind_text(s, 1, a->rule_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, a->series, -1, SQLITE_STATIC);
	sqlite3_bind_int(
	    s, 3, a->state == ENFED__V1__ALARM_STATE__ALARM_STATE_ACTIVE);
	sqlite3_bind_int64(s, 4, a->raised_at_ms);
	sqlite3_bind_blob(s, 5, buf, (int) len, SQLITE_STATIC);
	if (a->id != 0)
		sqlite3_bind_int64(s, 6, (int64_t) a->id);
	FED_TRY(node__store_step_done(c, s, "alarm put"));
	if (a->id != 0 && sqlite3_changes(c->db) == 0)
		return node_store_fail(err, FED_NOT_FOUND, "id: no alarm %llu",
		    (unsigned long long) a->id);
	if (id_out != NULL)
		*id_out = a->id != 0
		    ? a->id
		    : (uint64_t) sqlite3_last_insert_rowid(c->db);
	return FED_OK;
}

typedef struct alarm_put_args {
	const Enfed__V1__Alarm *a;
	uint8_t *buf; // a, packed (repacked with its new id); the caller's
	size_t len;
	uint64_t id;
	node_store_err *err;
} alarm_put_args;

static fed_status
alarm_put_locked(store_conn *c, void *arg)
{
	alarm_put_args *p = arg;
	FED_TRY(alarm_write(c, p->a, p->buf, p->len, &p->id, p->err));
	if (p->a->id != 0)
		return FED_OK;
	// The id lives in the message too: rewrite it with its id.
	Enfed__V1__Alarm copy = *p->a;
	copy.id = p->id;
	free(p->buf);
	p->buf = node__store_pack(&copy.base, &p->len);
	if (p->buf == NULL)
		return FED_RESOURCE_EXHAUSTED;
	return alarm_write(c, &copy, p->buf, p->len, NULL, p->err);
}

fed_status
node_store_alarm_put(node_store *st, const Enfed__V1__Alarm *a,
    uint64_t *id_out, node_store_err *err)
{
	FED_TRY(node__store_check_utf8(&a->base, "alarm", err));
	alarm_put_args p = {.a = a, .err = err};
	p.buf = node__store_pack(&a->base, &p.len);
	if (p.buf == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_status res = node__store_write(st, alarm_put_locked, &p);
	free(p.buf);
	if (res == FED_OK && id_out != NULL)
		*id_out = p.id;
	return res;
}

fed_status
node_store_alarm_get(
    node_store *st, uint64_t id, Enfed__V1__Alarm **out, node_store_err *err)
{
	store_conn *c = NULL;
	*out = NULL;
	FED_TRY(node__store_read_begin(st, &c));
	sqlite3_stmt *s = NULL;
	fed_status res = node__store_prepare(
	    c, "SELECT msg FROM alarms WHERE id = ?", &s, "alarm get");
	if (res == FED_OK) {
		sqlite3_bind_int64(s, 1, (int64_t) id);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*out = enfed__v1__alarm__unpack(NULL,
			    (size_t) sqlite3_column_bytes(s, 0),
			    sqlite3_column_blob(s, 0));
		if (rc == SQLITE_DONE)
			res = node_store_fail(err, FED_NOT_FOUND,
			    "id: no alarm %llu", (unsigned long long) id);
		else if (rc != SQLITE_ROW)
			res = node__store_sql_status(c->db, rc, "alarm get");
		else if (*out == NULL)
			res = node_store_fail(err, FED_DATA_LOSS,
			    "alarm %llu does not unpack",
			    (unsigned long long) id);
	}
	sqlite3_finalize(s);
	node__store_read_end(st, c);
	return res;
}

fed_status
node_store_alarm_list(node_store *st, const Enfed__V1__ListAlarmsRequest *f,
    node_store_alarm_fn fn, void *arg, node_store_err *err)
{
	(void) err;
	store_conn *c = NULL;
	FED_TRY(node__store_read_begin(st, &c));
	sqlite3_stmt *s = NULL;
	fed_status res = node__store_prepare(c,
	    "SELECT msg FROM alarms WHERE (?1 = 0 OR active = 1)"
	    " AND (?2 = '' OR rule_id = ?2)"
	    " AND substr(series, 1, length(?3)) = ?3"
	    " AND raised_at_ms >= ?4 ORDER BY id DESC LIMIT ?5",
	    &s, "alarm list");
	int rc = SQLITE_DONE;
	if (res == FED_OK) {
		sqlite3_bind_int(s, 1, f->active_only != 0);
		sqlite3_bind_text(s, 2, f->rule_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, f->series_prefix, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, f->since_ms);
		sqlite3_bind_int64(s, 5, f->limit != 0 ? f->limit : 100);
	}
	while (res == FED_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		Enfed__V1__Alarm *a = enfed__v1__alarm__unpack(NULL,
		    (size_t) sqlite3_column_bytes(s, 0),
		    sqlite3_column_blob(s, 0));
		if (a == NULL)
			continue; // counted as lost: nothing to show
		res = fn(a, arg);
		enfed__v1__alarm__free_unpacked(a, NULL);
	}
	if (res == FED_OK && rc != SQLITE_DONE)
		res = node__store_sql_status(c->db, rc, "alarm list");
	sqlite3_finalize(s);
	node__store_read_end(st, c);
	return res;
}

fed_status
node_store_alarm_count_active(node_store *st, uint64_t *n, node_store_err *err)
{
	(void) err;
	store_conn *c = NULL;
	FED_TRY(node__store_read_begin(st, &c));
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(c->db,
	    "SELECT count(*) FROM alarms WHERE active = 1", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	fed_status res = rc == SQLITE_ROW
	    ? FED_OK
	    : node__store_sql_status(c->db, rc, "active alarms");
	if (res == FED_OK)
		*n = (uint64_t) sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	node__store_read_end(st, c);
	return res;
}
