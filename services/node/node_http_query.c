// SPDX-License-Identifier: MIT
//
// node_http_query.c: /query. Each statement parsed by node_http_ql.h
// becomes a QueryRequest or ListSeriesRequest sent with the caller's
// token (node_http_call), and the node's answer InfluxDB 1.x's JSON:
// fill(), epoch, ORDER BY, LIMIT applied to what the node returned. A
// refusal of the token answers the whole request (401, 403).

#define _GNU_SOURCE // strcasestr
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed/tz.h"
#include "node_http_internal.h"
#include "node_http_json.h"
#include "node_http_lp.h"
#include "node_http_ql.h"

#define LIST_PAGES   100 // pages of ListSeries read for one SHOW
#define LIST_DEFAULT 10000 // names answered without a LIMIT

// ---- /query ---------------------------------------------------------------
// ------------------------------------------------------------------

typedef struct run {
	const node_http_caller *c;
	int64_t epoch_ns; // 0: RFC 3339 times
	fed_tz *tz; // RFC 3339 with this zone's offset (a SELECT with tz())
	const char *db;
	fed_status denied; // UNAUTHENTICATED or PERMISSION_DENIED met
	char denied_msg[256];
} run;

// Records a refusal of the token: it answers the whole request.
static bool
refused(run *r, fed_status st, const char *msg)
{
	if (st != FED_UNAUTHENTICATED && st != FED_PERMISSION_DENIED)
		return false;
	if (r->denied == FED_OK) {
		r->denied = st;
		snprintf(r->denied_msg, sizeof(r->denied_msg), "%s", msg);
	}
	return true;
}

static void
stmt_error(node_json *j, const char *msg)
{
	node_json_put(j, ",\"error\":");
	node_json_str(j, msg);
}

static void
put_time(const run *r, node_json *j, int64_t ts_ms)
{
	char local[40];
	if (r->epoch_ns == 0 && r->tz != NULL
	    && fed_tz_format_iso(r->tz, ts_ms, local, sizeof(local))
	        == FED_OK) {
		node_json_str(j, local);
		return;
	}
	if (r->epoch_ns == 0) {
		node_json_time(j, ts_ms);
		return;
	}
	if (r->epoch_ns >= 1000000) {
		int64_t d = r->epoch_ns / 1000000;
		node_json_printf(
		    j, "%lld", (long long) (ts_ms / d - (ts_ms % d < 0)));
	} else {
		node_json_printf(
		    j, "%lld", (long long) (ts_ms * (1000000 / r->epoch_ns)));
	}
}

// Whether bucket i of a result holds no data at all.
static bool
empty_bucket(const Enfed__V1__SeriesResult *s, size_t i)
{
	return i < s->n_n_points && i < s->n_coverage && s->n_points[i] == 0
	    && s->coverage[i] == 0 && s->value[i] == 0;
}

// The value of row i into j, following fill(); false when the row is left
// out (fill(none)).
static bool
put_row(const node_ql_stmt *q, const Enfed__V1__SeriesResult *s, size_t i,
    double *prev, bool *has_prev, node_json *j, const run *r)
{
	bool empty
	    = q->step != ENFED__V1__STEP__STEP_RAW && empty_bucket(s, i);
	if (empty && q->fill == NODE_QL_FILL_NONE)
		return false;
	node_json_put(j, "[");
	put_time(r, j, s->ts_ms[i]);
	node_json_put(j, ",");
	if (!empty) {
		node_json_num(j, s->value[i]);
		*prev = s->value[i];
		*has_prev = true;
	} else if (q->agg == ENFED__V1__AGGREGATE__AGG_COUNT
	    && q->fill == NODE_QL_FILL_NULL) {
		node_json_put(j, "0"); // as InfluxDB's count()
	} else if (q->fill == NODE_QL_FILL_VALUE) {
		node_json_num(j, q->fill_value);
	} else if (q->fill == NODE_QL_FILL_PREVIOUS && *has_prev) {
		node_json_num(j, *prev);
	} else {
		node_json_put(j, "null");
	}
	node_json_put(j, "]");
	return true;
}

static void
put_series(const run *r, const node_ql_stmt *q, const char *name,
    const Enfed__V1__SeriesResult *s, node_json *j, bool *first)
{
	size_t n = s->n_ts_ms < s->n_value ? s->n_ts_ms : s->n_value;
	if (n == 0)
		return; // InfluxDB answers no series for no points
	node_json_put(j, *first ? "" : ",");
	*first = false;
	node_json_put(j, "{\"name\":");
	node_json_str(j, name);
	node_json_put(j, ",\"columns\":[\"time\",");
	node_json_str(j, q->column);
	node_json_put(j, "],\"values\":[");
	double prev = 0;
	bool has_prev = false;
	uint64_t rows = 0;
	for (size_t k = 0; k < n && (q->limit == 0 || rows < q->limit); k++) {
		size_t i = q->desc ? n - 1 - k : k;
		size_t mark = node_json_mark(j);
		if (rows > 0)
			node_json_put(j, ",");
		if (put_row(q, s, i, &prev, &has_prev, j, r))
			rows++;
		else
			node_json_rewind(j, mark);
	}
	node_json_put(j, "]}");
}

// The node's buckets combined into one value for an aggregate without
// GROUP BY time: sums and counts add up, a mean is weighted by each
// bucket's points, min, max, first and last are taken over the buckets
// with data. False when no bucket has any.
static bool
combine(int agg, const Enfed__V1__SeriesResult *s, size_t n, double *out)
{
	double acc = 0, weight = 0;
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (empty_bucket(s, i))
			continue;
		double v = s->value[i];
		double w = i < s->n_n_points ? s->n_points[i] : 0;
		if (agg == ENFED__V1__AGGREGATE__AGG_MEAN) {
			acc += v * w;
			weight += w;
		} else if (agg == ENFED__V1__AGGREGATE__AGG_MIN) {
			acc = !any || v < acc ? v : acc;
		} else if (agg == ENFED__V1__AGGREGATE__AGG_MAX) {
			acc = !any || v > acc ? v : acc;
		} else if (agg == ENFED__V1__AGGREGATE__AGG_FIRST) {
			acc = any ? acc : v;
		} else if (agg == ENFED__V1__AGGREGATE__AGG_LAST) {
			acc = v;
		} else { // sum, count
			acc += v;
		}
		any = true;
	}
	if (agg == ENFED__V1__AGGREGATE__AGG_MEAN)
		acc = weight > 0 ? acc / weight : 0;
	*out = acc;
	return any && (agg != ENFED__V1__AGGREGATE__AGG_MEAN || weight > 0);
}

// One row at the range's start, as InfluxDB answers an aggregate without
// GROUP BY time.
static void
put_whole(const run *r, const node_ql_stmt *q, const char *name,
    const Enfed__V1__SeriesResult *s, node_json *j, bool *first)
{
	size_t n = s->n_ts_ms < s->n_value ? s->n_ts_ms : s->n_value;
	double v = 0;
	if (!combine(q->agg, s, n, &v))
		return;
	node_json_put(j, *first ? "" : ",");
	*first = false;
	node_json_put(j, "{\"name\":");
	node_json_str(j, name);
	node_json_put(j, ",\"columns\":[\"time\",");
	node_json_str(j, q->column);
	node_json_put(j, "],\"values\":[[");
	put_time(r, j, q->from_ms);
	node_json_put(j, ",");
	node_json_num(j, v);
	node_json_put(j, "]]}");
}

static void
run_select(run *r, const node_ql_stmt *q, node_json *j)
{
	char *ids[NODE_QL_MAX_SOURCES];
	for (size_t i = 0; i < q->n_series; i++)
		ids[i] = (char *) q->series[i];
	Enfed__V1__TimeRange range = ENFED__V1__TIME_RANGE__INIT;
	range.from_ms = q->from_ms;
	range.to_ms = q->to_ms;
	Enfed__V1__QueryRequest in = ENFED__V1__QUERY_REQUEST__INIT;
	in.series_ids = ids;
	in.n_series_ids = q->n_series;
	in.range = &range;
	in.step = (Enfed__V1__Step) q->step;
	in.agg = (Enfed__V1__Aggregate) q->agg;
	in.tz = (char *) q->tz;
	Enfed__V1__QueryResponse *out = NULL;
	char msg[512] = "";
	fed_status st = node_http_call(r->c, "/enfed.v1.SeriesStore/Query",
	    &in.base, &enfed__v1__query_response__descriptor, (void **) &out,
	    msg, sizeof(msg));
	if (st != FED_OK) {
		if (!refused(r, st, msg))
			stmt_error(j, msg[0] ? msg : fed_status_str(st));
		return;
	}
	// As InfluxDB: with tz(), RFC 3339 times carry the zone's offset (the
	// zone the buckets followed: a coarse grant's is the owner's).
	if (r->epoch_ns == 0 && q->tz[0] != '\0' && out->tz != NULL
	    && fed_tz_load(out->tz, &r->tz) != FED_OK)
		r->tz = NULL;
	node_json_put(j, ",\"series\":[");
	bool first = true;
	for (size_t i = 0; i < out->n_results && i < q->n_series; i++)
		(q->whole ? put_whole : put_series)(
		    r, q, q->series[i], out->results[i], j, &first);
	node_json_put(j, "]");
	fed_tz_free(r->tz);
	r->tz = NULL;
	enfed__v1__query_response__free_unpacked(out, NULL);
}

// The names of the series the caller may list (ListSeries, page by page),
// passed to fn until it returns false or limit names were given.
typedef bool (*name_fn)(const char *id, void *arg);

static bool
matches(const node_ql_stmt *q, const char *id)
{
	switch (q->match) {
	case NODE_QL_MATCH_EXACT:
		return q->match_icase ? strcasecmp(id, q->pattern) == 0
		                      : strcmp(id, q->pattern) == 0;
	case NODE_QL_MATCH_PREFIX:
		return q->match_icase
		    ? strncasecmp(id, q->pattern, strlen(q->pattern)) == 0
		    : strncmp(id, q->pattern, strlen(q->pattern)) == 0;
	case NODE_QL_MATCH_SUBSTRING:
		return q->match_icase ? strcasestr(id, q->pattern) != NULL
		                      : strstr(id, q->pattern) != NULL;
	default:
		return true;
	}
}

static bool
in_sources(const node_ql_stmt *q, const char *id)
{
	if (q->n_series == 0)
		return true;
	for (size_t i = 0; i < q->n_series; i++)
		if (strcmp(q->series[i], id) == 0)
			return true;
	return false;
}

// Lists into fn what the caller may see. OK, or the node's status with
// its message in msg.
static fed_status
list_series(run *r, const node_ql_stmt *q, name_fn fn, void *arg, char *msg,
    size_t msg_len)
{
	char token[256] = "";
	uint64_t limit = q->limit ? q->limit : LIST_DEFAULT, n = 0;
	bool prefix = !q->match_icase
	    && (q->match == NODE_QL_MATCH_PREFIX
	        || q->match == NODE_QL_MATCH_EXACT);
	for (int page = 0; page < LIST_PAGES; page++) {
		Enfed__V1__ListSeriesRequest in
		    = ENFED__V1__LIST_SERIES_REQUEST__INIT;
		in.prefix = prefix ? (char *) q->pattern : "";
		in.page_size = 1000;
		in.page_token = token;
		Enfed__V1__ListSeriesResponse *out = NULL;
		fed_status st
		    = node_http_call(r->c, "/enfed.v1.SeriesStore/ListSeries",
		        &in.base, &enfed__v1__list_series_response__descriptor,
		        (void **) &out, msg, msg_len);
		if (st != FED_OK)
			return st;
		bool more = true;
		for (size_t i = 0; i < out->n_series && more; i++) {
			const char *id = out->series[i]->meta != NULL
			    ? out->series[i]->meta->id
			    : "";
			if (matches(q, id) && in_sources(q, id))
				more
				    = fn != NULL && fn(id, arg) && ++n < limit;
		}
		snprintf(token, sizeof(token), "%s",
		    out->next_page_token ? out->next_page_token : "");
		enfed__v1__list_series_response__free_unpacked(out, NULL);
		if (!more || token[0] == '\0')
			break;
	}
	return FED_OK;
}

typedef struct rows {
	node_json *j;
	const char *prefix_col; // a first column before the id, or NULL
	size_t n;
} rows;

static bool
put_name_row(const char *id, void *arg)
{
	rows *w = arg;
	node_json_put(w->j, w->n++ ? ",[" : "[");
	if (w->prefix_col != NULL) {
		node_json_str(w->j, w->prefix_col);
		node_json_put(w->j, ",");
	}
	node_json_str(w->j, id);
	node_json_put(w->j, "]");
	return node_json_ok(w->j);
}

// One series of names: {"name":name,"columns":[...],"values":[...]}.
static void
run_list(run *r, const node_ql_stmt *q, node_json *j, const char *name,
    const char *columns, const char *prefix_col)
{
	node_json body;
	node_json_init(&body);
	rows w = {&body, prefix_col, 0};
	char msg[512] = "";
	fed_status st = list_series(r, q, put_name_row, &w, msg, sizeof(msg));
	if (st != FED_OK) {
		if (!refused(r, st, msg))
			stmt_error(j, msg[0] ? msg : fed_status_str(st));
	} else if (w.n > 0) {
		node_json_put(j, ",\"series\":[{\"name\":");
		node_json_str(j, name);
		node_json_printf(j, ",\"columns\":%s,\"values\":[", columns);
		node_json_append(j, &body);
		node_json_put(j, "]}]");
	}
	node_json_fini(&body);
}

// The token must pass the node even for the answers that read nothing of
// it (SHOW DATABASES ...): the same 401/403 as for the rest.
static bool
token_passes(run *r)
{
	node_ql_stmt q;
	memset(&q, 0, sizeof(q));
	q.limit = 1;
	char msg[512] = "";
	fed_status st = list_series(r, &q, NULL, NULL, msg, sizeof(msg));
	return st == FED_OK || !refused(r, st, msg);
}

// A series per measurement named in FROM (or one, "name"), each with the
// constant row.
static void
run_constant(run *r, const node_ql_stmt *q, node_json *j, const char *columns,
    const char *row)
{
	if (!token_passes(r))
		return;
	node_json_put(j, ",\"series\":[");
	size_t n = q->n_series ? q->n_series : 1;
	for (size_t i = 0; i < n; i++) {
		node_json_put(j, i ? ",{\"name\":" : "{\"name\":");
		node_json_str(j, q->n_series ? q->series[i] : "enfed");
		node_json_printf(
		    j, ",\"columns\":%s,\"values\":[%s]}", columns, row);
	}
	node_json_put(j, "]");
}

static void
run_stmt(run *r, const node_ql_stmt *q, node_json *j)
{
	switch (q->kind) {
	case NODE_QL_SELECT:
		run_select(r, q, j);
		break;
	case NODE_QL_SHOW_MEASUREMENTS:
		run_list(r, q, j, "measurements", "[\"name\"]", NULL);
		break;
	case NODE_QL_SHOW_TAG_VALUES:
		if (strcmp(q->tag_key, "series") == 0)
			run_list(r, q, j,
			    q->n_series ? q->series[0] : "series",
			    "[\"key\",\"value\"]", "series");
		else
			(void) token_passes(r); // no other tag: no values
		break;
	case NODE_QL_SHOW_TAG_KEYS:
		run_constant(r, q, j, "[\"tagKey\"]", "[\"series\"]");
		break;
	case NODE_QL_SHOW_FIELD_KEYS:
		run_constant(r, q, j, "[\"fieldKey\",\"fieldType\"]",
		    "[\"value\",\"float\"]");
		break;
	case NODE_QL_SHOW_DATABASES:
		if (!token_passes(r))
			break;
		node_json_put(j,
		    ",\"series\":[{\"name\":\"databases\","
		    "\"columns\":[\"name\"],\"values\":[[");
		node_json_str(j, r->db);
		node_json_put(j, "]]}]");
		break;
	case NODE_QL_SHOW_RETENTION_POLICIES:
		if (!token_passes(r))
			break;
		node_json_put(j,
		    ",\"series\":[{\"columns\":[\"name\",\"duration\","
		    "\"shardGroupDuration\",\"replicaN\",\"default\"],"
		    "\"values\":[[\"autogen\",\"0s\",\"168h0m0s\",1,true]]}]");
		break;
	}
}

// The epoch parameter: nanoseconds of its unit, 0 for RFC 3339.
static bool
epoch_ns(const char *e, int64_t *out)
{
	*out = 0;
	if (e == NULL || e[0] == '\0')
		return true;
	if (strcmp(e, "ns") == 0 || strcmp(e, "n") == 0) {
		*out = 1;
		return true;
	}
	if (node_lp_precision(e, out) == FED_OK)
		return true;
	return false;
}

static void
run_all(run *r, const node_ql_stmt *stmts, size_t n, node_http_res *res)
{
	node_json j;
	node_json_init(&j);
	node_json_put(&j, "{\"results\":[");
	for (size_t i = 0; i < n && r->denied == FED_OK; i++) {
		node_json_printf(
		    &j, "%s{\"statement_id\":%zu", i ? "," : "", i);
		run_stmt(r, &stmts[i], &j);
		node_json_put(&j, "}");
	}
	node_json_put(&j, "]}");
	if (r->denied != FED_OK) {
		node_json_fini(&j);
		node_http_answer_error(res, node_http_status(r->denied), "%s",
		    r->denied_msg[0] ? r->denied_msg
		                     : fed_status_str(r->denied));
		return;
	}
	node_http_answer(res, 200, &j);
}

// The q, db and epoch of a /query, from the query string and a form body.
typedef struct query_params {
	char *q, *db, *epoch;
} query_params;

static bool
query_params_get(
    const node_http_req *req, const char *qs, size_t qs_len, query_params *p)
{
	memset(p, 0, sizeof(*p));
	if (!node_http_param(qs, qs_len, "q", &p->q)
	    || !node_http_param(qs, qs_len, "db", &p->db)
	    || !node_http_param(qs, qs_len, "epoch", &p->epoch))
		return false;
	bool form = req->content_type != NULL
	    && node_http_starts(
	        req->content_type, "application/x-www-form-urlencoded");
	if (p->q == NULL && form && req->body != NULL)
		return node_http_param(req->body, req->body_len, "q", &p->q);
	return true;
}

void
node_http_serve_query(const node_http_caller *c, const node_http_req *req,
    const char *qs, size_t qs_len, node_http_res *res)
{
	query_params p;
	node_ql_stmt *stmts = NULL;
	size_t n = 0;
	char err[512] = "";
	run r = {.c = c};
	if (!query_params_get(req, qs, qs_len, &p)) {
		node_http_answer_error(res, 400, "malformed parameters");
		goto out;
	}
	if (!epoch_ns(p.epoch, &r.epoch_ns)) {
		node_http_answer_error(
		    res, 400, "epoch: ns, u, ms, s, m or h");
		goto out;
	}
	r.db = p.db != NULL && p.db[0] ? p.db : c->o->db ? c->o->db : "enfed";
	stmts = calloc(NODE_QL_MAX_STMTS, sizeof(*stmts));
	if (stmts == NULL) {
		node_http_answer_error(res, 500, "out of memory");
		goto out;
	}
	int64_t now
	    = c->o->now_ms != NULL ? c->o->now_ms() : fed_clock_now_ms();
	if (node_ql_parse(p.q != NULL ? p.q : "",
	        p.q != NULL ? strlen(p.q) : 0, now, stmts, NODE_QL_MAX_STMTS,
	        &n, err, sizeof(err))
	    != FED_OK) {
		node_http_answer_error(
		    res, 400, "error parsing query: %s", err);
		goto out;
	}
	run_all(&r, stmts, n, res);
out:
	free(stmts);
	free(p.q);
	free(p.db);
	free(p.epoch);
}
