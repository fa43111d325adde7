// SPDX-License-Identifier: MIT
//
// store_meta.c: series metadata: ids and the series row, create
// (idempotent), update of the description box, delete with all points,
// get and list. Part of the store module (store.h); the SeriesInfo
// messages built here are malloc'ed field by field, so that
// __free_unpacked frees them.

#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define MAX_STR_LEN        200
#define MAX_TZ_LEN         64
#define MAX_FACTS          64
#define MAX_FACT_KEY_LEN   100
#define MAX_FACT_VALUE_LEN 1000
// All keys and values of a box together: a page of ListSeries (1000
// series) stays well under the 16 MiB a reply may take.
#define MAX_BOX_LEN    8192
#define MAX_INTERVAL_S (366u * 86400u)
#define HOUR_MS        INT64_C(3600000)
#define DAY_MS         INT64_C(86400000)

// Columns of STMT_SERIES_BY_ID holding the metadata strings.
enum {
	COL_SOURCE = 4,
	COL_OWNER = 5,
	COL_VIS = 6,
	COL_ORIGIN = 8,
	COL_TZ = 9
};

// The block window for a nominal interval: the largest of a few fixed
// lengths holding at most ~2048 points, so that a 5-minute series gets week
// blocks (2016 points) and a 1-second series hour blocks.
static int64_t
window_for_interval(uint32_t interval_s)
{
	static const int64_t windows[]
	    = {28 * DAY_MS, 7 * DAY_MS, DAY_MS, 6 * HOUR_MS, HOUR_MS};
	if (interval_s == 0)
		return DAY_MS;
	int64_t span = (int64_t) interval_s * 1000 * 2048;
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
		if (windows[i] <= span)
			return windows[i];
	return HOUR_MS;
}

int
node_store_valid_id(const char *id)
{
	if (id == NULL)
		return 0;
	size_t len = strlen(id);
	if (len < 1 || len > NODE_STORE_MAX_ID)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = id[i];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
		    || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_'
		    || ch == '/' || ch == '-';
		if (!ok)
			return 0;
	}
	return 1;
}

fed_status
node__store_check_id(const char *id, const char *field, node_store_err *err)
{
	if (!node_store_valid_id(id))
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "%s: a series id is 1-200 bytes of [A-Za-z0-9._/-]",
		    field);
	return FED_OK;
}

fed_status
node__store_series(
    store_conn *c, const char *id, store_series *out, node_store_err *err)
{
	sqlite3_stmt *s = node__store_stmt(c, STMT_SERIES_BY_ID);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return node_store_fail(
		    err, FED_NOT_FOUND, "series %s: not found", id);
	if (rc != SQLITE_ROW)
		return node__store_sql_status(c->db, rc, "series lookup");
	out->sid = sqlite3_column_int64(s, 0);
	out->kind = sqlite3_column_int(s, 1);
	out->visibility = sqlite3_column_int(s, 6);
	out->unit = sqlite3_column_int(s, 2);
	out->interval_s = (uint32_t) sqlite3_column_int64(s, 3);
	out->cumulative = sqlite3_column_int(s, 7);
	out->window_ms = sqlite3_column_int64(s, 10);
	out->n_points = (uint64_t) sqlite3_column_int64(s, 11);
	out->first_ms = sqlite3_column_int64(s, 12);
	out->last_ms = sqlite3_column_int64(s, 13);
	out->last_value = 0;
	if (sqlite3_column_bytes(s, 14) == (int) sizeof(double))
		memcpy(&out->last_value, sqlite3_column_blob(s, 14),
		    sizeof(double));
	return FED_OK;
}

static int
enum_ok(const ProtobufCEnumDescriptor *d, int v)
{
	return protobuf_c_enum_descriptor_get_value(d, v) != NULL;
}

static fed_status
check_str(const char *s, size_t max, const char *field, node_store_err *err)
{
	if (s == NULL || strlen(s) > max)
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "%s: at most %zu bytes", field, max);
	return FED_OK;
}

static fed_status
check_tz(const char *tz, node_store_err *err)
{
	FED_TRY(check_str(tz, MAX_TZ_LEN, "meta.tz", err));
	for (const char *p = tz; *p; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
		    || (*p >= '0' && *p <= '9') || strchr("/_+-", *p) != NULL;
		if (!ok)
			return node_store_fail(err, FED_INVALID_ARGUMENT,
			    "meta.tz: not a zone name");
	}
	return FED_OK;
}

static fed_status
check_box(Enfed__V1__Fact *const *box, size_t n, node_store_err *err)
{
	if (n > MAX_FACTS)
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "box: at most %d facts", MAX_FACTS);
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		const Enfed__V1__Fact *f = box[i];
		if (f == NULL || f->key == NULL || f->key[0] == '\0'
		    || strlen(f->key) > MAX_FACT_KEY_LEN)
			return node_store_fail(err, FED_INVALID_ARGUMENT,
			    "box[%zu].key: 1-%d bytes", i, MAX_FACT_KEY_LEN);
		if (f->value == NULL || strlen(f->value) > MAX_FACT_VALUE_LEN)
			return node_store_fail(err, FED_INVALID_ARGUMENT,
			    "box[%zu].value: at most %d bytes", i,
			    MAX_FACT_VALUE_LEN);
		total += strlen(f->key) + strlen(f->value);
	}
	if (total > MAX_BOX_LEN)
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "box: at most %d bytes of keys and values", MAX_BOX_LEN);
	return FED_OK;
}

static fed_status
check_meta(const Enfed__V1__SeriesMeta *m, node_store_err *err)
{
	if (m == NULL)
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "meta: missing");
	FED_TRY(node__store_check_id(m->id, "meta.id", err));
	if (!enum_ok(&enfed__v1__series_kind__descriptor, (int) m->kind))
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "meta.kind: unknown value");
	if (!enum_ok(&enfed__v1__unit__descriptor, (int) m->unit))
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "meta.unit: unknown value");
	if (!enum_ok(&enfed__v1__visibility__descriptor, (int) m->visibility))
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "meta.visibility: unknown value");
	if (m->interval_s > MAX_INTERVAL_S)
		return node_store_fail(err, FED_INVALID_ARGUMENT,
		    "meta.interval_s: at most %u", MAX_INTERVAL_S);
	FED_TRY(check_str(m->source, MAX_STR_LEN, "meta.source", err));
	FED_TRY(check_str(m->owner, MAX_STR_LEN, "meta.owner", err));
	FED_TRY(
	    check_str(m->origin_node, MAX_STR_LEN, "meta.origin_node", err));
	FED_TRY(check_tz(m->tz, err));
	FED_TRY(check_box(m->box, m->n_box, err));
	return node__store_check_utf8(&m->base, "meta", err);
}

static char *
col_dup(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return strdup(t ? (const char *) t : "");
}

static fed_status
load_box(store_conn *c, int64_t sid, Enfed__V1__SeriesMeta *m)
{
	sqlite3_stmt *s = node__store_stmt(c, STMT_FACTS_GET);
	sqlite3_bind_int64(s, 1, sid);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		Enfed__V1__Fact **nb
		    = realloc(m->box, (m->n_box + 1) * sizeof(*nb));
		if (nb == NULL)
			return FED_RESOURCE_EXHAUSTED;
		m->box = nb;
		Enfed__V1__Fact *f = malloc(sizeof(*f));
		if (f == NULL)
			return FED_RESOURCE_EXHAUSTED;
		enfed__v1__fact__init(f);
		m->box[m->n_box++] = f;
		f->key = col_dup(s, 0);
		f->value = col_dup(s, 1);
		if (f->key == NULL || f->value == NULL)
			return FED_RESOURCE_EXHAUSTED;
	}
	if (rc != SQLITE_DONE)
		return node__store_sql_status(c->db, rc, "facts");
	return FED_OK;
}

// Fills info from the row on which STMT_SERIES_BY_ID stands.
static fed_status
fill_info(store_conn *c, const store_series *row, const char *id,
    Enfed__V1__SeriesInfo *info)
{
	sqlite3_stmt *s = c->stmt[STMT_SERIES_BY_ID];
	Enfed__V1__SeriesMeta *m = malloc(sizeof(*m));
	if (m == NULL)
		return FED_RESOURCE_EXHAUSTED;
	enfed__v1__series_meta__init(m);
	info->meta = m;
	m->kind = (Enfed__V1__SeriesKind) row->kind;
	m->unit = (Enfed__V1__Unit) row->unit;
	m->interval_s = row->interval_s;
	m->visibility = (Enfed__V1__Visibility) sqlite3_column_int(s, COL_VIS);
	m->cumulative = row->cumulative != 0;
	m->id = strdup(id);
	m->source = col_dup(s, COL_SOURCE);
	m->owner = col_dup(s, COL_OWNER);
	m->origin_node = col_dup(s, COL_ORIGIN);
	m->tz = col_dup(s, COL_TZ);
	if (!m->id || !m->source || !m->owner || !m->origin_node || !m->tz)
		return FED_RESOURCE_EXHAUSTED;
	info->n_points = row->n_points;
	info->first_ms = row->first_ms;
	info->last_ms = row->last_ms;
	info->last_value = row->last_value;
	return load_box(c, row->sid, m);
}

static fed_status
build_info(store_conn *c, const char *id, Enfed__V1__SeriesInfo **out,
    node_store_err *err)
{
	store_series row;
	FED_TRY(node__store_series(c, id, &row, err));
	Enfed__V1__SeriesInfo *info = malloc(sizeof(*info));
	if (info == NULL)
		return FED_RESOURCE_EXHAUSTED;
	enfed__v1__series_info__init(info);
	fed_status st = fill_info(c, &row, id, info);
	if (st != FED_OK) {
		node_store_info_free(info);
		return st;
	}
	*out = info;
	return FED_OK;
}

void
node_store_info_free(Enfed__V1__SeriesInfo *info)
{
	if (info != NULL)
		enfed__v1__series_info__free_unpacked(info, NULL);
}

void
node_store_info_list_free(Enfed__V1__SeriesInfo **infos, size_t n)
{
	if (infos == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		node_store_info_free(infos[i]);
	free(infos);
}

static int
box_equal(const Enfed__V1__SeriesMeta *a, const Enfed__V1__SeriesMeta *b)
{
	if (a->n_box != b->n_box)
		return 0;
	for (size_t i = 0; i < a->n_box; i++)
		if (strcmp(a->box[i]->key, b->box[i]->key) != 0
		    || strcmp(a->box[i]->value, b->box[i]->value) != 0)
			return 0;
	return 1;
}

static int
meta_equal(const Enfed__V1__SeriesMeta *a, const Enfed__V1__SeriesMeta *b)
{
	return a->kind == b->kind && a->unit == b->unit
	    && a->interval_s == b->interval_s && a->visibility == b->visibility
	    && (a->cumulative != 0) == (b->cumulative != 0)
	    && strcmp(a->id, b->id) == 0 && strcmp(a->source, b->source) == 0
	    && strcmp(a->owner, b->owner) == 0
	    && strcmp(a->origin_node, b->origin_node) == 0
	    && strcmp(a->tz, b->tz) == 0 && box_equal(a, b);
}

static fed_status
step_done(store_conn *c, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		return node__store_sql_status(c->db, rc, what);
	return FED_OK;
}

static fed_status
write_box(store_conn *c, int64_t sid, Enfed__V1__Fact *const *box, size_t n)
{
	sqlite3_stmt *s = node__store_stmt(c, STMT_FACTS_DELETE);
	sqlite3_bind_int64(s, 1, sid);
	FED_TRY(step_done(c, s, "facts delete"));
	for (size_t i = 0; i < n; i++) {
		s = node__store_stmt(c, STMT_FACT_INSERT);
		sqlite3_bind_int64(s, 1, sid);
		sqlite3_bind_int64(s, 2, (int64_t) i);
		sqlite3_bind_text(s, 3, box[i]->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, box[i]->value, -1, SQLITE_STATIC);
		FED_TRY(step_done(c, s, "fact insert"));
	}
	return FED_OK;
}

static fed_status
insert_series(store_conn *c, const Enfed__V1__SeriesMeta *m)
{
	sqlite3_stmt *s = node__store_stmt(c, STMT_SERIES_INSERT);
	sqlite3_bind_text(s, 1, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, (int) m->kind);
	sqlite3_bind_int(s, 3, (int) m->unit);
	sqlite3_bind_int64(s, 4, m->interval_s);
	sqlite3_bind_text(s, 5, m->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, m->owner, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 7, (int) m->visibility);
	sqlite3_bind_int(s, 8, m->cumulative != 0);
	sqlite3_bind_text(s, 9, m->origin_node, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, m->tz, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 11, window_for_interval(m->interval_s));
	FED_TRY(step_done(c, s, "series insert"));
	int64_t sid = sqlite3_last_insert_rowid(c->db);
	if (sid >= (INT64_C(1) << 31))
		return FED_RESOURCE_EXHAUSTED;
	return write_box(c, sid, m->box, m->n_box);
}

typedef struct info_args {
	const void *in; // the SeriesMeta or UpdateSeriesRequest
	Enfed__V1__SeriesInfo *info; // the series as stored; the caller's
	node_store_err *err;
} info_args;

// Inside the writer's transaction: compares with an existing series or
// creates it.
static fed_status
create_locked(store_conn *c, void *arg)
{
	info_args *a = arg;
	const Enfed__V1__SeriesMeta *m = a->in;
	fed_status st = build_info(c, m->id, &a->info, NULL);
	if (st == FED_OK) {
		if (meta_equal(a->info->meta, m))
			return FED_OK;
		return node_store_fail(a->err, FED_ALREADY_EXISTS,
		    "series %s: exists with different metadata", m->id);
	}
	if (st != FED_NOT_FOUND)
		return st;
	FED_TRY(insert_series(c, m));
	return build_info(c, m->id, &a->info, a->err);
}

// Hands a written series' info to *out (or frees it) on OK; frees it on
// failure.
static fed_status
hand_info(
    fed_status s, Enfed__V1__SeriesInfo *info, Enfed__V1__SeriesInfo **out)
{
	if (s == FED_OK && out != NULL)
		*out = info;
	else
		node_store_info_free(info);
	return s;
}

fed_status
node_store_create(node_store *st, const Enfed__V1__SeriesMeta *meta,
    Enfed__V1__SeriesInfo **out, node_store_err *err)
{
	FED_TRY(check_meta(meta, err));
	info_args a = {meta, NULL, err};
	fed_status s = node__store_write(st, create_locked, &a);
	return hand_info(s, a.info, out);
}

static fed_status
update_locked(store_conn *c, void *arg)
{
	info_args *a = arg;
	const Enfed__V1__UpdateSeriesRequest *req = a->in;
	store_series row;
	FED_TRY(node__store_series(c, req->id, &row, a->err));
	FED_TRY(write_box(c, row.sid, req->box, req->n_box));
	if (req->source[0] != '\0') {
		sqlite3_stmt *s = node__store_stmt(c, STMT_SERIES_SOURCE);
		sqlite3_bind_int64(s, 1, row.sid);
		sqlite3_bind_text(s, 2, req->source, -1, SQLITE_STATIC);
		FED_TRY(step_done(c, s, "series source"));
	}
	return build_info(c, req->id, &a->info, a->err);
}

fed_status
node_store_update(node_store *st, const Enfed__V1__UpdateSeriesRequest *req,
    Enfed__V1__SeriesInfo **out, node_store_err *err)
{
	if (req == NULL)
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "request: missing");
	FED_TRY(node__store_check_id(req->id, "id", err));
	FED_TRY(check_box(req->box, req->n_box, err));
	FED_TRY(check_str(req->source, MAX_STR_LEN, "source", err));
	FED_TRY(node__store_check_utf8(&req->base, "", err));
	info_args a = {req, NULL, err};
	fed_status s = node__store_write(st, update_locked, &a);
	return hand_info(s, a.info, out);
}

typedef struct delete_args {
	const char *id;
	node_store_err *err;
} delete_args;

static fed_status
delete_locked(store_conn *c, void *arg)
{
	const delete_args *a = arg;
	const char *id = a->id;
	store_series row;
	FED_TRY(node__store_series(c, id, &row, a->err));
	sqlite3_stmt *s = node__store_stmt(c, STMT_BLOCKS_DELETE);
	sqlite3_bind_int64(s, 1, node__store_key(row.sid, 0));
	sqlite3_bind_int64(s, 2, node__store_key(row.sid, 0xffffffff));
	FED_TRY(step_done(c, s, "blocks delete"));
	FED_TRY(write_box(c, row.sid, NULL, 0));
	s = node__store_stmt(c, STMT_OUTBOX_DELETE_SERIES);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	FED_TRY(step_done(c, s, "outbox delete"));
	s = node__store_stmt(c, STMT_HELD_DELETE_SERIES);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	FED_TRY(step_done(c, s, "held buckets delete"));
	s = node__store_stmt(c, STMT_SERIES_DELETE);
	sqlite3_bind_int64(s, 1, row.sid);
	return step_done(c, s, "series delete");
}

fed_status
node_store_delete(node_store *st, const char *id, node_store_err *err)
{
	FED_TRY(node__store_check_id(id, "id", err));
	delete_args a = {id, err};
	return node__store_write(st, delete_locked, &a);
}

fed_status
node_store_get(node_store *st, const char *id, Enfed__V1__SeriesInfo **out,
    node_store_err *err)
{
	FED_TRY(node__store_check_id(id, "id", err));
	store_conn *c;
	FED_TRY(node__store_read_begin(st, &c));
	fed_status s = build_info(c, id, out, err);
	node__store_read_end(st, c);
	return s;
}

fed_status
node_store_get_latest(node_store *st, const char *id, node_store_latest *out,
    node_store_err *err)
{
	FED_TRY(node__store_check_id(id, "id", err));
	store_conn *c = node__store_reader_get(st);
	store_series row;
	fed_status s = node__store_series(c, id, &row, err);
	sqlite3_reset(c->stmt[STMT_SERIES_BY_ID]);
	node__store_reader_put(st, c);
	if (s != FED_OK)
		return s;
	out->n_points = row.n_points;
	out->first_ms = row.first_ms;
	out->last_ms = row.last_ms;
	out->last_value = row.last_value;
	return FED_OK;
}

// The ids matching the filter, as a heap array of heap strings.
static fed_status
list_ids(store_conn *c, const Enfed__V1__ListSeriesRequest *f, char ***ids,
    size_t *n)
{
	sqlite3_stmt *s = node__store_stmt(c, STMT_SERIES_LIST);
	sqlite3_bind_text(s, 1, f ? f->prefix : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, f ? (int) f->kind : 0);
	sqlite3_bind_text(s, 3, f ? f->owner : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, f ? f->page_token : "", -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char **nids = realloc(*ids, (*n + 1) * sizeof(*nids));
		if (nids == NULL)
			return FED_RESOURCE_EXHAUSTED;
		*ids = nids;
		if (((*ids)[*n] = col_dup(s, 0)) == NULL)
			return FED_RESOURCE_EXHAUSTED;
		(*n)++;
	}
	if (rc != SQLITE_DONE)
		return node__store_sql_status(c->db, rc, "series list");
	return FED_OK;
}

static fed_status
list_infos(store_conn *c, char **ids, size_t n, Enfed__V1__SeriesInfo ***out,
    size_t *n_out, node_store_err *err)
{
	if (n == 0)
		return FED_OK;
	*out = calloc(n, sizeof(**out));
	if (*out == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < n; i++) {
		FED_TRY(build_info(c, ids[i], &(*out)[i], err));
		*n_out = i + 1;
	}
	return FED_OK;
}

static fed_status
check_filter(const Enfed__V1__ListSeriesRequest *f, node_store_err *err)
{
	if (f != NULL
	    && (f->prefix == NULL || f->owner == NULL
	        || f->page_token == NULL))
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "filter: missing strings");
	return FED_OK;
}

static void
free_ids(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

fed_status
node_store_list_ids(node_store *st, const Enfed__V1__ListSeriesRequest *filter,
    char ***out, size_t *n_out, node_store_err *err)
{
	*out = NULL;
	*n_out = 0;
	FED_TRY(check_filter(filter, err));
	store_conn *c;
	FED_TRY(node__store_read_begin(st, &c));
	fed_status s = list_ids(c, filter, out, n_out);
	node__store_read_end(st, c);
	if (s != FED_OK) {
		free_ids(*out, *n_out);
		*out = NULL;
		*n_out = 0;
	}
	return s;
}

void
node_store_ids_free(char **ids, size_t n)
{
	free_ids(ids, n);
}

fed_status
node_store_count_prefix(
    node_store *st, const char *prefix, uint64_t *n_out, node_store_err *err)
{
	*n_out = 0;
	if (prefix == NULL)
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "prefix: missing");
	store_conn *c;
	FED_TRY(node__store_read_begin(st, &c));
	sqlite3_stmt *s = node__store_stmt(c, STMT_SERIES_COUNT);
	sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	fed_status status = FED_OK;
	if (rc == SQLITE_ROW)
		*n_out = (uint64_t) sqlite3_column_int64(s, 0);
	else
		status = node__store_sql_status(c->db, rc, "series count");
	sqlite3_reset(s);
	node__store_read_end(st, c);
	return status;
}

fed_status
node_store_list(node_store *st, const Enfed__V1__ListSeriesRequest *filter,
    Enfed__V1__SeriesInfo ***out, size_t *n_out, node_store_err *err)
{
	*out = NULL;
	*n_out = 0;
	FED_TRY(check_filter(filter, err));
	char **ids = NULL;
	size_t n = 0;
	store_conn *c;
	FED_TRY(node__store_read_begin(st, &c));
	fed_status s = list_ids(c, filter, &ids, &n);
	if (s == FED_OK)
		s = list_infos(c, ids, n, out, n_out, err);
	node__store_read_end(st, c);
	free_ids(ids, n);
	if (s != FED_OK) {
		node_store_info_list_free(*out, *n_out);
		*out = NULL;
		*n_out = 0;
	}
	return s;
}
