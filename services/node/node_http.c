// SPDX-License-Identifier: MIT
//
// node_http.c: /ping, /write and /query translated into the node's own
// RPC requests, served in-process by the node's RPC server with the
// caller's token (fed_rpc_server_serve_bytes: envelope, auth hook, policy,
// handler, exactly as from the network), and their answers into InfluxDB
// 1.x's JSON.

#define _GNU_SOURCE // strcasestr
#include "node_http.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enfed/v1/rpc.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed/codec.h"
#include "node_http_json.h"
#include "node_http_lp.h"
#include "node_http_ql.h"

#define INFLUX_VERSION "1.8.10" // what clients see in X-Influxdb-Version
#define TOKEN_MAX      512
#define LIST_PAGES     100 // pages of ListSeries read for one SHOW
#define LIST_DEFAULT   10000 // names answered without a LIMIT
#define CALL_MAX_REPLY (256u << 20) // largest decompressed reply body

// The caller, as the node will see it.
typedef struct caller {
	const node_http_opts *o;
	char token[TOKEN_MAX];
	size_t token_len;
} caller;

// ---- Answers ---------------------------------------------------------------

static void
answer(node_http_res *res, uint16_t status, node_json *j)
{
	res->status = status;
	res->content_type = "application/json";
	if (node_json_ok(j)) {
		node_json_put(j, "\n");
		res->body = node_json_take(j, &res->body_len);
		return;
	}
	node_json_fini(j);
	res->status = 500;
	res->body = strdup("{\"error\":\"out of memory\"}\n");
	res->body_len = res->body != NULL ? strlen(res->body) : 0;
}

// {"error":"..."} with status.
static void answer_error(node_http_res *res, uint16_t status, const char *fmt,
    ...) FED__PRINTF(3, 4);

static void
answer_error(node_http_res *res, uint16_t status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	node_json j;
	node_json_init(&j);
	node_json_put(&j, "{\"error\":");
	node_json_str(&j, msg);
	node_json_put(&j, "}");
	answer(res, status, &j);
}

// The HTTP status of a node status, as InfluxDB would answer it.
static uint16_t
http_status(fed_status st)
{
	switch (st) {
	case FED_OK:
		return 200;
	case FED_UNAUTHENTICATED:
		return 401;
	case FED_PERMISSION_DENIED:
		return 403;
	case FED_RESOURCE_EXHAUSTED:
		return 413;
	case FED_UNAVAILABLE:
	case FED_DEADLINE_EXCEEDED:
		return 503;
	case FED_INTERNAL:
	case FED_DATA_LOSS:
	case FED_UNKNOWN:
		return 500;
	default:
		return 400;
	}
}

// ---- Parameters and the token ---------------------------------------------

static int
hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

// Percent-decodes s (n bytes) into dst (cap bytes); false if it does not
// fit or is malformed.
static bool
url_decode(const char *s, size_t n, char *dst, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= n)
				return false;
			int a = hex(s[i + 1]), b = hex(s[i + 2]);
			if (a < 0 || b < 0)
				return false;
			c = (char) (a * 16 + b);
			i += 2;
		}
		if (k + 1 >= cap)
			return false;
		dst[k++] = c;
	}
	dst[k] = '\0';
	return true;
}

// The decoded value of parameter name in the form s (n bytes) into a
// malloc'd string (*out, NULL when absent). False (and *out NULL) when
// malformed or out of memory.
static bool
param(const char *s, size_t n, const char *name, char **out)
{
	*out = NULL;
	size_t nl = strlen(name);
	const char *p = s, *end = s + n;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t) (end - p));
		const char *e = amp != NULL ? amp : end;
		if ((size_t) (e - p) > nl && memcmp(p, name, nl) == 0
		    && p[nl] == '=') {
			size_t vl = (size_t) (e - p) - nl - 1;
			free(*out); // the last one wins, as in Go's url.Values
			*out = malloc(vl + 1);
			if (*out == NULL
			    || !url_decode(p + nl + 1, vl, *out, vl + 1)) {
				free(*out);
				*out = NULL;
				return false;
			}
		}
		p = e < end ? e + 1 : end;
	}
	return true;
}

static int
b64(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

// The password of a Basic credential (base64 of "user:password").
static bool
basic_password(const char *s, char *dst, size_t cap, size_t *len)
{
	char plain[TOKEN_MAX + 256];
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (; *s != '\0' && *s != '='; s++) {
		int v = b64(*s);
		if (v < 0)
			return false;
		acc = (acc << 6) | (uint32_t) v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == sizeof(plain))
				return false;
			plain[n++] = (char) ((acc >> bits) & 0xff);
		}
	}
	const char *colon = memchr(plain, ':', n);
	if (colon == NULL)
		return false;
	size_t pl = n - (size_t) (colon + 1 - plain);
	if (pl >= cap)
		return false;
	memcpy(dst, colon + 1, pl);
	*len = pl;
	return true;
}

static bool
starts(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

// The caller's token from the Authorization header, else from `p`.
static bool
find_token(const node_http_req *req, const char *qs, size_t qs_len, caller *c)
{
	const char *a = req->authorization;
	c->token_len = 0;
	if (a != NULL && (starts(a, "Token ") || starts(a, "Bearer "))) {
		const char *t = strchr(a, ' ') + 1;
		c->token_len = strlen(t);
		if (c->token_len >= sizeof(c->token))
			return false;
		memcpy(c->token, t, c->token_len);
		return true;
	}
	if (a != NULL && starts(a, "Basic "))
		return basic_password(
		    a + 6, c->token, sizeof(c->token), &c->token_len);
	char *p = NULL;
	if (!param(qs, qs_len, "p", &p))
		return false;
	if (p != NULL) {
		c->token_len = strlen(p);
		if (c->token_len < sizeof(c->token))
			memcpy(c->token, p, c->token_len);
	}
	free(p);
	return c->token_len < sizeof(c->token);
}

// ---- The node's calls
// -------------------------------------------------------

// Calls method on the node with the caller's token, as a network call
// would. OK with *out (of type d; the caller frees it), or the node's
// status with its message in msg.
static fed_status
call_node(const caller *c, const char *method, const ProtobufCMessage *in,
    const ProtobufCMessageDescriptor *d, void **out, char *msg, size_t msg_len)
{
	*out = NULL;
	Enfed__V1__Codec accept[1] = {ENFED__V1__CODEC__CODEC_NONE};
	Enfed__V1__Request env = ENFED__V1__REQUEST__INIT;
	size_t body_len = protobuf_c_message_get_packed_size(in);
	uint8_t *body = malloc(body_len + 1);
	if (body == NULL)
		return FED_RESOURCE_EXHAUSTED;
	protobuf_c_message_pack(in, body);
	env.method = (char *) method;
	env.token.data = (uint8_t *) c->token;
	env.token.len = c->token_len;
	env.body.data = body;
	env.body.len = body_len;
	env.accept = accept;
	env.n_accept = 1;
	size_t len = enfed__v1__request__get_packed_size(&env);
	uint8_t *buf = malloc(len + 1), *raw = NULL;
	size_t raw_len = 0;
	fed_status st = buf != NULL ? FED_OK : FED_RESOURCE_EXHAUSTED;
	if (st == FED_OK) {
		enfed__v1__request__pack(&env, buf);
		st = fed_rpc_server_serve_bytes(
		    c->o->rpc, buf, len, &raw, &raw_len);
	}
	free(buf);
	free(body);
	if (st != FED_OK)
		return st;
	Enfed__V1__Reply *rep = enfed__v1__reply__unpack(NULL, raw_len, raw);
	free(raw);
	if (rep == NULL)
		return FED_INTERNAL;
	st = (fed_status) rep->status;
	if (st != FED_OK)
		snprintf(msg, msg_len, "%s", rep->message ? rep->message : "");
	else if ((*out = protobuf_c_message_unpack(
	              d, NULL, rep->body.len, rep->body.data))
	    == NULL)
		st = FED_INTERNAL;
	enfed__v1__reply__free_unpacked(rep, NULL);
	return st;
}

// ---- /write
// -------------------------------------------------------------------

static void
serve_write(const caller *c, const node_http_req *req, const char *qs,
    size_t qs_len, node_http_res *res)
{
	char *prec = NULL, msg[512] = "";
	int64_t unit = 1;
	if (!param(qs, qs_len, "precision", &prec)
	    || node_lp_precision(prec, &unit) != FED_OK) {
		free(prec);
		answer_error(res, 400, "precision: n, u, ms, s, m or h");
		return;
	}
	free(prec);
	node_lp_batch b;
	int64_t now
	    = c->o->now_ms != NULL ? c->o->now_ms() : fed_clock_now_ms();
	fed_status st = node_lp_parse(req->body != NULL ? req->body : "",
	    req->body_len, unit, now, &b, msg, sizeof(msg));
	if (st != FED_OK) {
		node_lp_batch_fini(&b);
		answer_error(res, st == FED_INVALID_ARGUMENT ? 400 : 413,
		    "unable to parse: %s", msg);
		return;
	}
	if (b.n_series > 0) {
		Enfed__V1__IngestRequest in = ENFED__V1__INGEST_REQUEST__INIT;
		Enfed__V1__IngestResponse *out = NULL;
		in.series = b.series;
		in.n_series = b.n_series;
		st = call_node(c, "/enfed.v1.SeriesStore/Ingest", &in.base,
		    &enfed__v1__ingest_response__descriptor, (void **) &out,
		    msg, sizeof(msg));
		if (out != NULL)
			enfed__v1__ingest_response__free_unpacked(out, NULL);
	}
	node_lp_batch_fini(&b);
	if (st != FED_OK) {
		answer_error(res, http_status(st), "%s", msg);
		return;
	}
	res->status = 204;
	res->content_type = "application/json";
}

// ---- /query
// -------------------------------------------------------------------

typedef struct run {
	const caller *c;
	int64_t epoch_ns; // 0: RFC 3339 times
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
	fed_status st = call_node(r->c, "/enfed.v1.SeriesStore/Query",
	    &in.base, &enfed__v1__query_response__descriptor, (void **) &out,
	    msg, sizeof(msg));
	if (st != FED_OK) {
		if (!refused(r, st, msg))
			stmt_error(j, msg[0] ? msg : fed_status_str(st));
		return;
	}
	node_json_put(j, ",\"series\":[");
	bool first = true;
	for (size_t i = 0; i < out->n_results && i < q->n_series; i++)
		put_series(r, q, q->series[i], out->results[i], j, &first);
	node_json_put(j, "]");
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
		    = call_node(r->c, "/enfed.v1.SeriesStore/ListSeries",
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
		answer_error(res, http_status(r->denied), "%s",
		    r->denied_msg[0] ? r->denied_msg
		                     : fed_status_str(r->denied));
		return;
	}
	answer(res, 200, &j);
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
	if (!param(qs, qs_len, "q", &p->q) || !param(qs, qs_len, "db", &p->db)
	    || !param(qs, qs_len, "epoch", &p->epoch))
		return false;
	bool form = req->content_type != NULL
	    && starts(req->content_type, "application/x-www-form-urlencoded");
	if (p->q == NULL && form && req->body != NULL)
		return param(req->body, req->body_len, "q", &p->q);
	return true;
}

static void
serve_query(const caller *c, const node_http_req *req, const char *qs,
    size_t qs_len, node_http_res *res)
{
	query_params p;
	node_ql_stmt *stmts = NULL;
	size_t n = 0;
	char err[512] = "";
	run r = {.c = c};
	if (!query_params_get(req, qs, qs_len, &p)) {
		answer_error(res, 400, "malformed parameters");
		goto out;
	}
	if (!epoch_ns(p.epoch, &r.epoch_ns)) {
		answer_error(res, 400, "epoch: ns, u, ms, s, m or h");
		goto out;
	}
	r.db = p.db != NULL && p.db[0] ? p.db : c->o->db ? c->o->db : "enfed";
	stmts = calloc(NODE_QL_MAX_STMTS, sizeof(*stmts));
	if (stmts == NULL) {
		answer_error(res, 500, "out of memory");
		goto out;
	}
	int64_t now
	    = c->o->now_ms != NULL ? c->o->now_ms() : fed_clock_now_ms();
	if (node_ql_parse(p.q != NULL ? p.q : "",
	        p.q != NULL ? strlen(p.q) : 0, now, stmts, NODE_QL_MAX_STMTS,
	        &n, err, sizeof(err))
	    != FED_OK) {
		answer_error(res, 400, "error parsing query: %s", err);
		goto out;
	}
	run_all(&r, stmts, n, res);
out:
	free(stmts);
	free(p.q);
	free(p.db);
	free(p.epoch);
}

// ---- Entry ----------------------------------------------------------------

static void
serve_ping(node_http_res *res)
{
	res->status = 204;
	res->content_type = "application/json";
}

void
node_http_handle(
    const node_http_opts *o, const node_http_req *req, node_http_res *res)
{
	memset(res, 0, sizeof(*res));
	const char *uri = req->uri != NULL ? req->uri : "/";
	const char *qm = strchr(uri, '?');
	size_t path_len = qm != NULL ? (size_t) (qm - uri) : strlen(uri);
	const char *qs = qm != NULL ? qm + 1 : "";
	size_t qs_len = strlen(qs);
	bool get = strcmp(req->method, "GET") == 0
	    || strcmp(req->method, "HEAD") == 0;
	bool post = strcmp(req->method, "POST") == 0;
#define PATH_IS(s) (path_len == strlen(s) && memcmp(uri, s, path_len) == 0)
	if (PATH_IS("/ping")) {
		serve_ping(res);
		return;
	}
	caller *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		answer_error(res, 500, "out of memory");
		return;
	}
	c->o = o;
	if (!PATH_IS("/write") && !PATH_IS("/query"))
		answer_error(res, 404, "not found: /ping, /write and /query");
	else if (req->transfer_encoding != NULL
	    && strcasecmp(req->transfer_encoding, "identity") != 0)
		answer_error(res, 411,
		    "chunked bodies are not read: send a "
		    "Content-Length");
	else if (req->content_encoding != NULL
	    && strcasecmp(req->content_encoding, "identity") != 0)
		answer_error(res, 415, "compressed bodies are not supported");
	else if (!find_token(req, qs, qs_len, c))
		answer_error(res, 401, "malformed credentials");
	else if (PATH_IS("/write") && post)
		serve_write(c, req, qs, qs_len, res);
	else if (PATH_IS("/query") && (get || post))
		serve_query(c, req, qs, qs_len, res);
	else
		answer_error(res, 405, "method not allowed");
#undef PATH_IS
	memset(c->token, 0, sizeof(c->token));
	free(c);
}
