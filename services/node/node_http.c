// SPDX-License-Identifier: MIT
//
// node_http.c: the requests of the InfluxDB endpoint: routes, the
// caller's token, the node's calls (served in-process by the node's RPC
// server with that token: fed_rpc_server_serve_bytes runs the envelope,
// auth hook, policy and handler exactly as for a network call), /ping and
// /write. /query is node_http_query.c.

#include "node_http.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enfed/v1/rpc.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "node_http_internal.h"
#include "node_http_json.h"
#include "node_http_lp.h"

// ---- Answers --------------------------------------------------------------

void
node_http_answer(node_http_res *res, uint16_t status, node_json *j)
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

void
node_http_answer_error(
    node_http_res *res, uint16_t status, const char *fmt, ...)
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
	node_http_answer(res, status, &j);
}

// The HTTP status of a node status, as InfluxDB would answer it.
uint16_t
node_http_status(fed_status st)
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
// fit or is malformed. A NUL byte (%00) is malformed: every decoded value
// is used as a C string, where it would cut the value short (a token
// followed by %00 and anything would be that token).
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
			if (c == '\0')
				return false;
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
bool
node_http_param(const char *s, size_t n, const char *name, char **out)
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
	char plain[NODE_HTTP_TOKEN_MAX + 256];
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
	if (colon == NULL || memchr(plain, '\0', n) != NULL)
		return false;
	size_t pl = n - (size_t) (colon + 1 - plain);
	if (pl >= cap)
		return false;
	memcpy(dst, colon + 1, pl);
	*len = pl;
	return true;
}

bool
node_http_starts(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

// Copies a decoded credential of len bytes into c: refused (false) when it
// holds a NUL byte or does not fit, so that the token the node compares
// is exactly the bytes the client sent, its length included.
static bool
set_credential(node_http_caller *c, const char *t, size_t len)
{
	c->token_len = 0;
	if (len >= sizeof(c->token) || memchr(t, '\0', len) != NULL)
		return false;
	memcpy(c->token, t, len);
	c->token_len = len;
	return true;
}

// The caller's token from the Authorization header, else from `p`.
static bool
find_token(const node_http_req *req, const char *qs, size_t qs_len,
    node_http_caller *c)
{
	const char *a = req->authorization;
	c->token_len = 0;
	if (a != NULL
	    && (node_http_starts(a, "Token ")
	        || node_http_starts(a, "Bearer "))) {
		const char *t = strchr(a, ' ') + 1;
		return set_credential(c, t, strlen(t));
	}
	if (a != NULL && node_http_starts(a, "Basic ")) {
		char pw[NODE_HTTP_TOKEN_MAX];
		size_t len = 0;
		bool ok = basic_password(a + 6, pw, sizeof(pw), &len)
		    && set_credential(c, pw, len);
		memset(pw, 0, sizeof(pw));
		return ok;
	}
	char *p = NULL;
	if (!node_http_param(qs, qs_len, "p", &p))
		return false;
	// node_http_param refused a %00, so p's length is all of it.
	bool ok = p == NULL || set_credential(c, p, strlen(p));
	free(p);
	return ok;
}

// ---- The node's calls -----------------------------------------------------
// --------------------------------------------------------

// Calls method on the node with the caller's token, as a network call
// would. OK with *out (of type d; the caller frees it), or the node's
// status with its message in msg.
fed_status
node_http_call(const node_http_caller *c, const char *method,
    const ProtobufCMessage *in, const ProtobufCMessageDescriptor *d,
    void **out, char *msg, size_t msg_len)
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

// ---- /write ---------------------------------------------------------------
// ------------------------------------------------------------------

static void
serve_write(const node_http_caller *c, const node_http_req *req,
    const char *qs, size_t qs_len, node_http_res *res)
{
	char *prec = NULL, msg[512] = "";
	int64_t unit = 1;
	if (!node_http_param(qs, qs_len, "precision", &prec)
	    || node_lp_precision(prec, &unit) != FED_OK) {
		free(prec);
		node_http_answer_error(
		    res, 400, "precision: n, u, ms, s, m or h");
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
		node_http_answer_error(res,
		    st == FED_INVALID_ARGUMENT ? 400 : 413,
		    "unable to parse: %s", msg);
		return;
	}
	{ // even with no points: the node says whether the token may write
		Enfed__V1__IngestRequest in = ENFED__V1__INGEST_REQUEST__INIT;
		Enfed__V1__IngestResponse *out = NULL;
		in.series = b.series;
		in.n_series = b.n_series;
		st = node_http_call(c, "/enfed.v1.SeriesStore/Ingest",
		    &in.base, &enfed__v1__ingest_response__descriptor,
		    (void **) &out, msg, sizeof(msg));
		if (out != NULL)
			enfed__v1__ingest_response__free_unpacked(out, NULL);
	}
	size_t skipped = b.n_skipped;
	node_lp_batch_fini(&b);
	if (st != FED_OK) {
		node_http_answer_error(res, node_http_status(st), "%s", msg);
		return;
	}
	res->status = 204;
	res->content_type = "application/json";
	res->n_skipped = skipped;
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
	node_http_caller *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		node_http_answer_error(res, 500, "out of memory");
		return;
	}
	c->o = o;
	if (!PATH_IS("/write") && !PATH_IS("/query"))
		node_http_answer_error(
		    res, 404, "not found: /ping, /write and /query");
	else if (req->transfer_encoding != NULL
	    && strcasecmp(req->transfer_encoding, "identity") != 0)
		node_http_answer_error(res, 411,
		    "chunked bodies are not read: send a "
		    "Content-Length");
	else if (req->content_encoding != NULL
	    && strcasecmp(req->content_encoding, "identity") != 0)
		node_http_answer_error(
		    res, 415, "compressed bodies are not supported");
	else if (!find_token(req, qs, qs_len, c))
		node_http_answer_error(res, 401, "malformed credentials");
	else if (PATH_IS("/write") && post)
		serve_write(c, req, qs, qs_len, res);
	else if (PATH_IS("/query") && (get || post))
		node_http_serve_query(c, req, qs, qs_len, res);
	else
		node_http_answer_error(res, 405, "method not allowed");
#undef PATH_IS
	memset(c->token, 0, sizeof(c->token));
	free(c);
}
