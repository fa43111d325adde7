// SPDX-License-Identifier: MIT
//
// rpc.c: the unary RPC server and client.
//
// Server: n worker threads, each owning one nng REP context and running a
// synchronous receive -> dispatch -> reply loop, so that a handler blocked
// on sqlite holds only its own worker. Dispatch resolves the envelope's
// "/package.Service/Method" through the registered service descriptors
// (protobuf_c_service_descriptor_get_method_by_name) to a handler table
// indexed like the descriptor's methods.
//
// Client: one REQ socket, one nng context per call, so calls from many
// threads proceed in parallel over the same connection.

#include "fed/rpc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "enfed/v1/rpc.pb-c.h"
#include "fed/clock.h"
#include "fed/log.h"
#include "fed/ratelimit.h"
#include "rpc_conns_internal.h"
#include "rpc_metrics_internal.h"
#include "transport_internal.h"

#define MAX_SERVICES    16
#define MAX_METHOD_NAME 256
#define ERR_LEN         256

// --- Call memory ------------------------------------------------------------

// Everything a handler allocates for its reply, released in one go.
struct chunk {
	struct chunk *next;
	max_align_t data[];
};

struct deferred {
	void (*fn)(void *);
	void *p;
};

struct fed_rpc_ctx {
	const char *token;
	int bad_token; // the envelope's token holds a NUL byte
	const char *method;
	int metric; // the method's index in the server's figures; -1 unknown
	char peer[FED__PEER_LEN];
	void *principal;
	const void *decision;
	int64_t deadline_ms; // monotonic
	struct chunk *chunks;
	struct deferred *deferred;
	size_t n_deferred, cap_deferred;
	char err[ERR_LEN];
};

void *
fed_rpc_ctx_alloc(fed_rpc_ctx *call, size_t len)
{
	struct chunk *c = calloc(1, sizeof(*c) + len);
	if (c == NULL)
		return NULL;
	c->next = call->chunks;
	call->chunks = c;
	return c->data;
}

char *
fed_rpc_ctx_strdup(fed_rpc_ctx *call, const char *s)
{
	if (s == NULL)
		return NULL;
	size_t len = strlen(s) + 1;
	char *d = fed_rpc_ctx_alloc(call, len);
	if (d != NULL)
		memcpy(d, s, len);
	return d;
}

fed_status
fed_rpc_ctx_defer(fed_rpc_ctx *call, void (*fn)(void *), void *p)
{
	if (p == NULL)
		return FED_OK;
	if (call->n_deferred == call->cap_deferred) {
		size_t ncap = call->cap_deferred ? call->cap_deferred * 2 : 8;
		struct deferred *nd
		    = realloc(call->deferred, ncap * sizeof(*nd));
		if (nd == NULL) {
			fn(p);
			return FED_RESOURCE_EXHAUSTED;
		}
		call->deferred = nd;
		call->cap_deferred = ncap;
	}
	call->deferred[call->n_deferred++] = (struct deferred) {fn, p};
	return FED_OK;
}

fed_status
fed_rpc_ctx_defer_free(fed_rpc_ctx *call, void *p)
{
	return fed_rpc_ctx_defer(call, free, p);
}

// The deferred functions run first, in the order they were registered, as
// they may read memory from fed_rpc_ctx_alloc (a list whose length sits in
// a chunk); the chunks go after them.
static void
call_release(fed_rpc_ctx *call)
{
	for (size_t i = 0; i < call->n_deferred; i++)
		call->deferred[i].fn(call->deferred[i].p);
	free(call->deferred);
	call->deferred = NULL;
	call->n_deferred = call->cap_deferred = 0;
	while (call->chunks != NULL) {
		struct chunk *next = call->chunks->next;
		free(call->chunks);
		call->chunks = next;
	}
}

const char *
fed_rpc_ctx_token(const fed_rpc_ctx *call)
{
	return call->token;
}

const char *
fed_rpc_ctx_method(const fed_rpc_ctx *call)
{
	return call->method;
}

const char *
fed_rpc_ctx_peer(const fed_rpc_ctx *call)
{
	return call->peer;
}

void *
fed_rpc_ctx_principal(const fed_rpc_ctx *call)
{
	return call->principal;
}

void
fed_rpc_ctx_set_decision(fed_rpc_ctx *call, const void *decision)
{
	call->decision = decision;
}

const void *
fed_rpc_ctx_decision(const fed_rpc_ctx *call)
{
	return call->decision;
}

int64_t
fed_rpc_ctx_remaining_ms(const fed_rpc_ctx *call)
{
	return call->deadline_ms - fed_clock_mono_ms();
}

fed_status
fed_rpc_ctx_error(fed_rpc_ctx *call, fed_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(call->err, sizeof(call->err), fmt, ap);
	va_end(ap);
	return st;
}

// --- Server -----------------------------------------------------------------

struct service {
	const ProtobufCServiceDescriptor *desc;
	fed_rpc_handler *handlers; // indexed like desc->methods
	void *arg;
};

struct worker {
	fed_rpc_server *srv;
	pthread_t thread;
	nng_ctx ctx;
	nng_aio *aio; // receives, waited for by the worker
	nng_aio *saio; // sends, completed by send_done
	int ctx_open;
	int running;
};

// A reply's send completed; a failed one (the client went away) still
// owns its message.
static void
send_done(void *arg)
{
	struct worker *w = arg;
	if (nng_aio_result(w->saio) != 0)
		nng_msg_free(nng_aio_get_msg(w->saio));
}

struct fed_rpc_server {
	nng_socket sock;
	fed_rpc_server_opts opts;
	struct service services[MAX_SERVICES];
	size_t n_services;
	struct worker *workers;
	unsigned n_started;
	void *attached[MAX_SERVICES];
	size_t n_attached;
	fed__rpc_conns *conns;
	fed__rpc_metrics *metrics; // made at start, from the services
	atomic_int stopping;
};

void
fed_rpc_server_opts_default(fed_rpc_server_opts *opts)
{
	*opts = (fed_rpc_server_opts) {
	    .n_workers = 16,
	    .max_msg = 16u << 20,
	    .codec = (fed_codec_opts) FED_CODEC_OPTS_DEFAULT,
	    .default_timeout_ms = 30000,
	    .name = "rpc",
	    .max_conns = 4096,
	    .max_conns_per_peer = 512,
	    .idle_timeout_ms = 300000,
	};
}

#define FD_RESERVE 256 // descriptors left for files, streams, clients

// max_conns (0: the default), lowered to leave FD_RESERVE descriptors
// free under the soft limit (fed_process_init raised it to the hard one).
static void
fit_descriptors(fed_rpc_server_opts *o)
{
	if (o->max_conns == 0)
		o->max_conns = 4096;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY
	    || rl.rlim_cur >= o->max_conns + FD_RESERVE)
		return;
	size_t fit = rl.rlim_cur > 2 * FD_RESERVE ? rl.rlim_cur - FD_RESERVE
	                                          : rl.rlim_cur / 2;
	fed_log(FED_LOG_NOTICE, o->name,
	    "at most %zu connections, not %zu: the descriptor limit is %llu",
	    fit, o->max_conns, (unsigned long long) rl.rlim_cur);
	o->max_conns = fit > 0 ? fit : 1;
}

fed_status
fed_rpc_server_new(const fed_rpc_server_opts *opts, fed_rpc_server **out)
{
	fed_rpc_server *srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return FED_RESOURCE_EXHAUSTED;
	if (opts != NULL)
		srv->opts = *opts;
	else
		fed_rpc_server_opts_default(&srv->opts);
	if (srv->opts.n_workers == 0)
		srv->opts.n_workers = 1;
	if (srv->opts.name == NULL)
		srv->opts.name = "rpc";
	int rv = nng_rep0_open(&srv->sock);
	if (rv != 0) {
		free(srv);
		return fed__nng_status(rv, "rep0 open");
	}
	fit_descriptors(&srv->opts);
	fed__rpc_conns_opts co = {.max_total = srv->opts.max_conns,
	    .max_per_peer = srv->opts.max_conns_per_peer,
	    .idle_ms = srv->opts.idle_timeout_ms,
	    .name = srv->opts.name};
	fed_status st
	    = fed__transport_set_recvmax(srv->sock, srv->opts.max_msg);
	if (st == FED_OK)
		st = fed__rpc_conns_new(srv->sock, &co, &srv->conns);
	if (st != FED_OK) {
		nng_close(srv->sock);
		free(srv);
		return st;
	}
	*out = srv;
	return FED_OK;
}

fed_status
fed_rpc_server_add_service(fed_rpc_server *srv,
    const ProtobufCServiceDescriptor *desc, const fed_rpc_method *methods,
    size_t n_methods, void *arg)
{
	if (srv->n_services == MAX_SERVICES || srv->n_started > 0)
		return FED_FAILED_PRECONDITION;
	for (size_t i = 0; i < srv->n_services; i++) {
		if (strcmp(srv->services[i].desc->name, desc->name) == 0)
			return FED_INVALID_ARGUMENT;
	}
	fed_rpc_handler *h = calloc(desc->n_methods, sizeof(*h));
	if (h == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < n_methods; i++) {
		const ProtobufCMethodDescriptor *m
		    = protobuf_c_service_descriptor_get_method_by_name(
		        desc, methods[i].name);
		if (m == NULL) {
			fed_log(FED_LOG_ERR, srv->opts.name,
			    "%s has no method %s", desc->name,
			    methods[i].name);
			free(h);
			return FED_INVALID_ARGUMENT;
		}
		h[m - desc->methods] = methods[i].handler;
	}
	srv->services[srv->n_services++]
	    = (struct service) {.desc = desc, .handlers = h, .arg = arg};
	return FED_OK;
}

fed_status
fed_rpc_server_attach(fed_rpc_server *srv, void *p)
{
	if (srv->n_attached == MAX_SERVICES) {
		free(p);
		return FED_RESOURCE_EXHAUSTED;
	}
	srv->attached[srv->n_attached++] = p;
	return FED_OK;
}

size_t
fed_rpc_server_services(
    const fed_rpc_server *srv, const char **names, size_t max)
{
	for (size_t i = 0; i < srv->n_services && i < max; i++)
		names[i] = srv->services[i].desc->name;
	return srv->n_services;
}

fed_status
fed_rpc_server_each_method(const fed_rpc_server *srv,
    fed_status (*fn)(const char *method, void *arg), void *arg)
{
	for (size_t i = 0; i < srv->n_services; i++) {
		const ProtobufCServiceDescriptor *d = srv->services[i].desc;
		for (unsigned m = 0; m < d->n_methods; m++) {
			char full[256];
			snprintf(full, sizeof(full), "/%s/%s", d->name,
			    d->methods[m].name);
			FED_TRY(fn(full, arg));
		}
	}
	return FED_OK;
}

fed_status
fed_rpc_server_listen(
    fed_rpc_server *srv, const char *url, const fed_tls_opts *tls)
{
	return fed__transport_listen(srv->sock, url, tls);
}

fed_status
fed_rpc_server_listen_list(
    fed_rpc_server *srv, const char *list, const fed_tls_opts *tls)
{
	return fed__transport_listen_list(srv->sock, list, tls);
}

// The envelope's token as a C string in call memory. A token is compared
// as an exact byte string: one holding a NUL byte (which a C string would
// cut short, so that "TOKEN\0anything" matched TOKEN) is marked bad and
// the call is UNAUTHENTICATED.
static const char *
envelope_token(fed_rpc_ctx *call, const ProtobufCBinaryData *tok)
{
	if (tok->len == 0)
		return "";
	char *s = NULL;
	if (memchr(tok->data, '\0', tok->len) == NULL)
		s = fed_rpc_ctx_alloc(call, tok->len + 1);
	if (s == NULL) {
		call->bad_token = 1;
		return "";
	}
	memcpy(s, tok->data, tok->len);
	return s;
}

// Splits "/pkg.Service/Method" and finds the service and method index.
static fed_status
resolve(const fed_rpc_server *srv, const char *full,
    const struct service **svc, const ProtobufCMethodDescriptor **method)
{
	const char *slash = strrchr(full, '/');
	if (full[0] != '/' || slash == NULL || slash == full)
		return FED_UNIMPLEMENTED;
	size_t svc_len = (size_t) (slash - full - 1);
	for (size_t i = 0; i < srv->n_services; i++) {
		const char *name = srv->services[i].desc->name;
		if (strlen(name) != svc_len
		    || memcmp(name, full + 1, svc_len) != 0)
			continue;
		*method = protobuf_c_service_descriptor_get_method_by_name(
		    srv->services[i].desc, slash + 1);
		if (*method == NULL)
			return FED_UNIMPLEMENTED;
		*svc = &srv->services[i];
		return FED_OK;
	}
	return FED_UNIMPLEMENTED;
}

// The deadline, then the authorization hook, then the handler.
static fed_status
run_handler(const fed_rpc_server *srv, void *arg, fed_rpc_handler h,
    fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out)
{
	if (fed_rpc_ctx_remaining_ms(call) <= 0)
		return fed_rpc_ctx_error(call, FED_DEADLINE_EXCEEDED,
		    "deadline passed before the call started");
	fed_status st = srv->opts.authz != NULL
	    ? srv->opts.authz(call, in, srv->opts.authz_arg)
	    : FED_OK;
	if (st == FED_PERMISSION_DENIED || st == FED_UNAUTHENTICATED)
		fed__rpc_metrics_auth_failure(srv->metrics, "policy");
	if (st != FED_OK)
		return st;
	return h(call, in, out, arg);
}

// Whether the caller can decode a zstd reply body. An empty `accept` is a
// caller from before the field existed: it gets what such callers always
// got (zstd past the threshold), so that none of them breaks.
static int
accepts_zstd(const Enfed__V1__Request *req)
{
	if (req->n_accept == 0)
		return 1;
	for (size_t i = 0; i < req->n_accept; i++)
		if (req->accept[i] == ENFED__V1__CODEC__CODEC_ZSTD)
			return 1;
	return 0;
}

// Why the auth hook refused a call: the label enfed_auth_failures_total
// counts it under, and the words of the log line.
typedef struct refusal {
	const char *label;
	const char *text;
} refusal;

static refusal
refusal_of(const fed_rpc_ctx *call, fed_status st)
{
	if (st != FED_UNAUTHENTICATED)
		return (refusal) {"denied", "role not allowed"};
	if (call->bad_token)
		return (refusal) {"malformed_token", "malformed token"};
	if (call->token[0] == '\0')
		return (refusal) {"missing_token", "no token"};
	return (refusal) {"invalid_token", "unknown token"};
}

// Logs a call the auth hook refused, naming the peer and why, at most 10
// lines a minute per address (the next line says how many were left out):
// what an operator (or fail2ban) acts on, without a flood filling the disk.
static void
log_refused(const fed_rpc_server *srv, const fed_rpc_ctx *call, refusal why)
{
	static fed_ratelimit limit = FED_RATELIMIT_INIT(10, 60000);
	const char *peer = call->peer[0] != '\0' ? call->peer : "local";
	uint64_t left_out = 0;
	if (!fed_ratelimit_allow(&limit, peer, fed_clock_mono_ms(), &left_out))
		return;
	fed_log(FED_LOG_WARNING, srv->opts.name,
	    "refused %.200s from %s: %s (%llu similar lines left out)",
	    call->method, peer, why.text, (unsigned long long) left_out);
}

// Runs the handler for a decoded envelope; fills rep (status, message,
// body). The body buffer is handed to *body_out for the caller to free.
static void
dispatch(fed_rpc_server *srv, const Enfed__V1__Request *req,
    Enfed__V1__Reply *rep, fed_rpc_ctx *call, uint8_t **body_out, int local)
{
	const struct service *svc = NULL;
	const ProtobufCMethodDescriptor *m = NULL;
	fed_status st = resolve(srv, req->method, &svc, &m);
	fed_rpc_handler h
	    = st == FED_OK ? svc->handlers[m - svc->desc->methods] : NULL;
	if (h != NULL)
		call->metric = fed__rpc_metrics_index(srv->metrics,
		    (size_t) (svc - srv->services),
		    (size_t) (m - svc->desc->methods));
	if (h == NULL) {
		st = fed_rpc_ctx_error(call, FED_UNIMPLEMENTED,
		    "unknown method '%.200s'", req->method);
		rep->status = (Enfed__V1__StatusCode) st;
		return;
	}
	if (srv->opts.auth != NULL) {
		st = call->bad_token
		    ? FED_UNAUTHENTICATED
		    : srv->opts.auth(call->token, req->method, call->peer,
		        &call->principal, srv->opts.auth_arg);
		if (st != FED_OK) {
			refusal why = refusal_of(call, st);
			log_refused(srv, call, why);
			fed__rpc_metrics_auth_failure(srv->metrics, why.label);
			rep->status = (Enfed__V1__StatusCode) st;
			snprintf(call->err, sizeof(call->err), "%s",
			    st == FED_UNAUTHENTICATED
			        ? "missing or invalid token"
			        : "the token does not allow this call");
			return;
		}
	}
	ProtobufCMessage *in = NULL;
	st = fed_codec_unpack(&srv->opts.codec, m->input,
	    (fed_codec) req->codec, req->body.data, req->body.len, &in);
	if (st != FED_OK) {
		rep->status = (Enfed__V1__StatusCode) st;
		snprintf(call->err, sizeof(call->err),
		    st == FED_RESOURCE_EXHAUSTED
		        ? "request body too large"
		        : "malformed body: not a valid %s",
		    m->input->name);
		return;
	}
	ProtobufCMessage *out = calloc(1, m->output->sizeof_message);
	if (out == NULL) {
		protobuf_c_message_free_unpacked(in, NULL);
		rep->status = (Enfed__V1__StatusCode) FED_RESOURCE_EXHAUSTED;
		return;
	}
	protobuf_c_message_init(m->output, out);
	st = run_handler(srv, svc->arg, h, call, in, out);
	if (st == FED_OK) {
		fed_codec codec = FED_CODEC_NONE;
		fed_codec_opts co = srv->opts.codec;
		if ((local && !co.compress_local) || !accepts_zstd(req))
			co.compress_threshold = 0;
		st = fed_codec_pack(
		    &co, out, body_out, &rep->body.len, &codec);
		rep->body.data = *body_out;
		rep->codec = (Enfed__V1__Codec) codec;
		if (st != FED_OK)
			snprintf(
			    call->err, sizeof(call->err), "reply too large");
	}
	rep->status = (Enfed__V1__StatusCode) st;
	free(out); // sub-fields belong to the call (see fed/rpc.h)
	protobuf_c_message_free_unpacked(in, NULL);
}

// Builds the reply nng message for one request message; NULL when none
// can be sent (out of memory).
static nng_msg *
handle(fed_rpc_server *srv, nng_msg *msg)
{
	fed_rpc_ctx call = {.token = "", .method = "", .metric = -1};
	Enfed__V1__Reply rep = ENFED__V1__REPLY__INIT;
	uint8_t *body = NULL;
	int64_t t0 = fed_clock_mono_ns();
	Enfed__V1__Request *req = enfed__v1__request__unpack(
	    NULL, nng_msg_len(msg), nng_msg_body(msg));
	if (req == NULL) {
		rep.status = ENFED__V1__STATUS_CODE__INVALID_ARGUMENT;
		snprintf(
		    call.err, sizeof(call.err), "malformed request envelope");
	} else {
		rep.id = req->id;
		call.token = envelope_token(&call, &req->token);
		call.method = req->method;
		call.deadline_ms = fed_clock_mono_ms()
		    + (req->timeout_ms ? req->timeout_ms
		                       : srv->opts.default_timeout_ms);
		nng_pipe pipe = nng_msg_get_pipe(msg);
		fed__transport_pipe_peer(pipe, call.peer, sizeof(call.peer));
		if (nng_pipe_id(pipe) > 0)
			fed__rpc_conns_touch(srv->conns, pipe);
		dispatch(srv, req, &rep, &call, &body,
		    fed__transport_pipe_is_local(pipe));
	}
	if (rep.status != ENFED__V1__STATUS_CODE__OK) {
		rep.message = call.err[0]
		    ? call.err
		    : (char *) fed_status_str((fed_status) rep.status);
		rep.body.len = 0;
		rep.codec = ENFED__V1__CODEC__CODEC_NONE;
	}
	fed_log(FED_LOG_DEBUG, srv->opts.name, "%s -> %s (%lld us)",
	    req ? req->method : "?", fed_status_name((fed_status) rep.status),
	    (long long) ((fed_clock_mono_ns() - t0) / 1000));
	fed__rpc_metrics_call(srv->metrics, call.metric,
	    (fed_status) rep.status, fed_clock_mono_ns() - t0);
	nng_msg *out = NULL;
	size_t len = enfed__v1__reply__get_packed_size(&rep);
	if (nng_msg_alloc(&out, len) == 0)
		enfed__v1__reply__pack(&rep, nng_msg_body(out));
	free(body);
	call_release(&call);
	if (req != NULL)
		enfed__v1__request__free_unpacked(req, NULL);
	return out;
}

fed_status
fed_rpc_server_serve_bytes(fed_rpc_server *srv, const uint8_t *req, size_t len,
    uint8_t **reply, size_t *reply_len)
{
	*reply = NULL;
	*reply_len = 0;
	nng_msg *msg = NULL;
	if (nng_msg_alloc(&msg, len) != 0)
		return FED_RESOURCE_EXHAUSTED;
	if (len > 0)
		memcpy(nng_msg_body(msg), req, len);
	nng_msg *rep = handle(srv, msg);
	nng_msg_free(msg);
	if (rep == NULL)
		return FED_RESOURCE_EXHAUSTED;
	*reply_len = nng_msg_len(rep);
	*reply = malloc(*reply_len + 1);
	fed_status st = *reply != NULL ? FED_OK : FED_RESOURCE_EXHAUSTED;
	if (st == FED_OK)
		memcpy(*reply, nng_msg_body(rep), *reply_len);
	nng_msg_free(rep);
	return st;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	fed_rpc_server *srv = w->srv;
	while (!atomic_load(&srv->stopping)) {
		nng_ctx_recv(w->ctx, w->aio);
		nng_aio_wait(w->aio);
		if (nng_aio_result(w->aio) != 0) {
			// Stopping (the aio was stopped), or a transient
			// error: let a reply in flight finish before trying
			// again.
			nng_aio_wait(w->saio);
			continue;
		}
		nng_msg *msg = nng_aio_get_msg(w->aio);
		nng_msg *rep = handle(srv, msg);
		nng_msg_free(msg);
		if (rep == NULL)
			continue;
		// The worker does not wait for the send: it goes back to
		// receiving at once (one thread wake-up less per call), and
		// waits only if the previous reply is still going out.
		nng_aio_wait(w->saio);
		nng_aio_set_msg(w->saio, rep);
		nng_ctx_send(w->ctx, w->saio);
	}
	return NULL;
}

size_t
fed_rpc_server_n_conns(fed_rpc_server *srv)
{
	return fed__rpc_conns_count(srv->conns);
}

fed_status
fed_rpc_server_start(fed_rpc_server *srv)
{
	if (srv->workers != NULL)
		return FED_FAILED_PRECONDITION;
	srv->workers = calloc(srv->opts.n_workers, sizeof(*srv->workers));
	if (srv->workers == NULL)
		return FED_RESOURCE_EXHAUSTED;
	const ProtobufCServiceDescriptor *descs[MAX_SERVICES];
	for (size_t i = 0; i < srv->n_services; i++)
		descs[i] = srv->services[i].desc;
	fed__rpc_metrics_new(descs, srv->n_services, &srv->metrics);
	for (unsigned i = 0; i < srv->opts.n_workers; i++) {
		struct worker *w = &srv->workers[i];
		w->srv = srv;
		int rv = nng_aio_alloc(&w->aio, NULL, NULL);
		if (rv == 0)
			rv = nng_aio_alloc(&w->saio, send_done, w);
		if (rv != 0)
			return fed__nng_status(rv, "aio");
		if ((rv = nng_ctx_open(&w->ctx, srv->sock)) != 0)
			return fed__nng_status(rv, "rep context");
		w->ctx_open = 1;
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
			return FED_RESOURCE_EXHAUSTED;
		w->running = 1;
		srv->n_started++;
	}
	return FED_OK;
}

void
fed_rpc_server_free(fed_rpc_server *srv)
{
	if (srv == NULL)
		return;
	// Workers are stopped before the socket is closed: nng 1.5.2 can
	// panic when a context is used while its socket closes. nng_aio_stop
	// makes the pending receive (and any later one) fail at once; a
	// worker inside a handler finishes it, sends, and sees `stopping`.
	atomic_store(&srv->stopping, 1);
	for (unsigned i = 0; srv->workers != NULL && i < srv->opts.n_workers;
	     i++) {
		struct worker *w = &srv->workers[i];
		if (w->aio != NULL)
			nng_aio_stop(w->aio);
		if (w->running)
			pthread_join(w->thread, NULL);
		if (w->saio != NULL)
			nng_aio_stop(w->saio); // waits for a send in flight
		if (w->ctx_open)
			nng_ctx_close(w->ctx);
		if (w->aio != NULL)
			nng_aio_free(w->aio);
		if (w->saio != NULL)
			nng_aio_free(w->saio);
	}
	// Bounded, as every close of this runtime (fed__transport_close);
	// the connection table goes once nng stops calling back into it.
	fed__rpc_conns_stop(srv->conns);
	fed__transport_close(
	    srv->sock, (nng_dialer) NNG_DIALER_INITIALIZER, srv->conns);
	free(srv->workers);
	fed__rpc_metrics_free(srv->metrics);
	for (size_t i = 0; i < srv->n_services; i++)
		free(srv->services[i].handlers);
	for (size_t i = 0; i < srv->n_attached; i++)
		free(srv->attached[i]);
	free(srv);
}

// --- Client -----------------------------------------------------------------

struct fed_rpc_client {
	nng_socket sock;
	nng_dialer dialer;
	char *token;
	char *url;
	uint32_t timeout_ms;
	fed_codec_opts codec;
	atomic_uint_fast64_t next_id;
	// Pipes connected, counted by pipe_event. Allocated apart from the
	// client: nng may still call pipe_event while a close that took too
	// long finishes in the background, after the client is freed.
	atomic_int *n_pipes;
	atomic_int aborted; // fed_rpc_client_abort was called
	uint32_t down_ms; // opts->down_ms
	// The TLS files, copied, for a new dialer (redial); NULL without TLS.
	char *tls_cert, *tls_key, *tls_ca, *tls_name;
	_Atomic int64_t redialled_ms; // the last redial (fed_clock_mono_ms)
	// When a call last found no connection (fed_clock_mono_ms), 0 after
	// a call that reached the server.
	_Atomic int64_t down_since_ms;
	pthread_mutex_t mtx; // guards the pool and the busy list
	struct call_slot *pool; // idle (context, aio) pairs
	struct call_slot *busy; // pairs of the calls in progress
};

// A REQ context and its aio, kept between calls: opening a context and
// allocating an aio for every call costs more than a small call itself.
struct call_slot {
	struct call_slot *next, **prev_next; // in the pool, or the busy list
	nng_ctx ctx;
	nng_aio *aio;
};

void
fed_rpc_client_opts_default(fed_rpc_client_opts *opts)
{
	*opts = (fed_rpc_client_opts) {
	    .timeout_ms = 10000,
	    .max_msg = 16u << 20,
	    .codec = (fed_codec_opts) FED_CODEC_OPTS_DEFAULT,
	};
}

static void
pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void) p;
	atomic_int *n_pipes = arg;
	// nng reports REM_POST for every pipe that got ADD_PRE, also for one
	// closed before ADD_POST: counting ADD_PRE keeps the two paired.
	atomic_fetch_add(n_pipes, ev == NNG_PIPE_EV_ADD_PRE ? 1 : -1);
}

static char *
dup_or_empty(const char *s)
{
	return strdup(s != NULL ? s : "");
}

static void
free_tls(fed_rpc_client *c)
{
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_ca);
	free(c->tls_name);
}

// A client without a connection for REDIAL_AFTER_MS gets a new dialer.
// nng 1.5.2's dialer may stop redialling for good when its server dies
// between accepting a connection and the SP handshake (nng issue #970:
// one client of a node killed at random moments never came back, while
// the others did); a new dialer starts over. At most one redial per
// REDIAL_AFTER_MS, by the call that finds it due.
enum {
	REDIAL_AFTER_MS = 5000
};

static void
maybe_redial(fed_rpc_client *c)
{
	int64_t now = fed_clock_mono_ms();
	int64_t since = atomic_load(&c->down_since_ms);
	int64_t last = atomic_load(&c->redialled_ms);
	if (since == 0 || now - since < REDIAL_AFTER_MS
	    || now - last < REDIAL_AFTER_MS || atomic_load(c->n_pipes) > 0
	    || !atomic_compare_exchange_strong(&c->redialled_ms, &last, now))
		return;
	fed_tls_opts tls = {c->tls_cert, c->tls_key, c->tls_ca, c->tls_name};
	pthread_mutex_lock(&c->mtx);
	nng_dialer old = c->dialer;
	nng_dialer d;
	fed_status st = fed__transport_dial(
	    c->sock, c->url, c->tls_cert != NULL ? &tls : NULL, &d);
	if (st == FED_OK)
		c->dialer = d;
	pthread_mutex_unlock(&c->mtx);
	if (st == FED_OK && nng_dialer_id(old) > 0)
		nng_dialer_close(old);
	fed_log(st == FED_OK ? FED_LOG_NOTICE : FED_LOG_WARNING, "rpc",
	    "no connection to %s for %lld s: dialling again%s", c->url,
	    (long long) (now - since) / 1000, st == FED_OK ? "" : " failed");
}

fed_status
fed_rpc_client_new(const fed_rpc_client_opts *opts, fed_rpc_client **out)
{
	fed_rpc_client *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return FED_RESOURCE_EXHAUSTED;
	c->token = dup_or_empty(opts->token);
	c->url = dup_or_empty(opts->url);
	c->n_pipes = calloc(1, sizeof(*c->n_pipes));
	c->timeout_ms = opts->timeout_ms ? opts->timeout_ms : 10000;
	c->down_ms = opts->down_ms;
	if (opts->tls != NULL) {
		c->tls_cert = dup_or_empty(opts->tls->cert_file);
		c->tls_key = dup_or_empty(opts->tls->key_file);
		c->tls_ca = dup_or_empty(opts->tls->ca_file);
		c->tls_name = opts->tls->server_name != NULL
		    ? strdup(opts->tls->server_name)
		    : NULL;
	}
	c->codec = opts->codec;
	if (!c->codec.compress_local && fed_transport_is_local(opts->url))
		c->codec.compress_threshold = 0;
	c->next_id = (uint64_t) fed_clock_now_ms() << 16;
	pthread_mutex_init(&c->mtx, NULL);
	fed_status st = FED_RESOURCE_EXHAUSTED;
	int rv = -1;
	if (c->token == NULL || c->url == NULL || c->n_pipes == NULL)
		goto out;
	if ((rv = nng_req0_open(&c->sock)) != 0) {
		st = fed__nng_status(rv, "req0 open");
		goto out;
	}
	nng_pipe_notify(c->sock, NNG_PIPE_EV_ADD_PRE, pipe_event, c->n_pipes);
	nng_pipe_notify(c->sock, NNG_PIPE_EV_REM_POST, pipe_event, c->n_pipes);
	st = fed__transport_set_recvmax(
	    c->sock, opts->max_msg ? opts->max_msg : (16u << 20));
	if (st == FED_OK)
		st = fed__transport_dial(
		    c->sock, c->url, opts->tls, &c->dialer);
out:
	if (st != FED_OK) {
		if (rv == 0)
			nng_close(c->sock);
		free(c->n_pipes);
		free_tls(c);
		free(c->token);
		free(c->url);
		free(c);
		return st;
	}
	*out = c;
	return FED_OK;
}

void
fed_rpc_client_free(fed_rpc_client *c)
{
	if (c == NULL)
		return;
	while (c->pool != NULL) {
		struct call_slot *sl = c->pool;
		c->pool = sl->next;
		nng_ctx_close(sl->ctx);
		nng_aio_free(sl->aio);
		free(sl);
	}
	fed__transport_close(c->sock, c->dialer, c->n_pipes);
	pthread_mutex_destroy(&c->mtx);
	free_tls(c);
	free(c->token);
	free(c->url);
	free(c);
}

static fed_status set_err(char *err, size_t err_len, fed_status st,
    const char *fmt, ...) FED__PRINTF(4, 5);

static fed_status
set_err(char *err, size_t err_len, fed_status st, const char *fmt, ...)
{
	if (err != NULL && err_len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return st;
}

// Encodes the envelope for req into a new nng message.
static fed_status
build_request(fed_rpc_client *c, const char *full, uint64_t id,
    const ProtobufCMessage *req, nng_msg **out)
{
	Enfed__V1__Request env = ENFED__V1__REQUEST__INIT;
	uint8_t *body = NULL;
	fed_codec codec = FED_CODEC_NONE;
	FED_TRY(fed_codec_pack(&c->codec, req, &body, &env.body.len, &codec));
	env.body.data = body;
	env.id = id;
	env.method = (char *) full;
	env.timeout_ms = c->timeout_ms;
	env.token.data = (uint8_t *) c->token;
	env.token.len = strlen(c->token);
	env.codec = (Enfed__V1__Codec) codec;
	// This client decodes zstd: replies may come compressed.
	Enfed__V1__Codec accept[]
	    = {ENFED__V1__CODEC__CODEC_NONE, ENFED__V1__CODEC__CODEC_ZSTD};
	env.accept = accept;
	env.n_accept = sizeof(accept) / sizeof(accept[0]);
	size_t len = enfed__v1__request__get_packed_size(&env);
	nng_msg *msg = NULL;
	int rv = nng_msg_alloc(&msg, len);
	if (rv == 0)
		enfed__v1__request__pack(&env, nng_msg_body(msg));
	free(body);
	if (rv != 0)
		return fed__nng_status(rv, "request alloc");
	*out = msg;
	return FED_OK;
}

// Puts sl on the busy list (c->mtx held).
static void
busy_add(fed_rpc_client *c, struct call_slot *sl)
{
	sl->next = c->busy;
	sl->prev_next = &c->busy;
	if (c->busy != NULL)
		c->busy->prev_next = &sl->next;
	c->busy = sl;
}

// Takes sl off the busy list (c->mtx held).
static void
busy_remove(struct call_slot *sl)
{
	*sl->prev_next = sl->next;
	if (sl->next != NULL)
		sl->next->prev_next = sl->prev_next;
	sl->next = NULL;
	sl->prev_next = NULL;
}

static struct call_slot *
slot_get(fed_rpc_client *c)
{
	pthread_mutex_lock(&c->mtx);
	struct call_slot *sl = c->pool;
	if (sl != NULL) {
		c->pool = sl->next;
		busy_add(c, sl);
	}
	pthread_mutex_unlock(&c->mtx);
	if (sl != NULL)
		return sl;
	sl = calloc(1, sizeof(*sl));
	if (sl == NULL)
		return NULL;
	if (nng_aio_alloc(&sl->aio, NULL, NULL) != 0) {
		free(sl);
		return NULL;
	}
	if (nng_ctx_open(&sl->ctx, c->sock) != 0) {
		nng_aio_free(sl->aio);
		free(sl);
		return NULL;
	}
	pthread_mutex_lock(&c->mtx);
	busy_add(c, sl);
	pthread_mutex_unlock(&c->mtx);
	return sl;
}

static void
slot_put(fed_rpc_client *c, struct call_slot *sl)
{
	pthread_mutex_lock(&c->mtx);
	busy_remove(sl);
	sl->next = c->pool;
	c->pool = sl;
	pthread_mutex_unlock(&c->mtx);
}

// A slot whose exchange failed: closed and freed rather than reused.
static void
slot_drop(fed_rpc_client *c, struct call_slot *sl)
{
	pthread_mutex_lock(&c->mtx);
	busy_remove(sl);
	pthread_mutex_unlock(&c->mtx);
	nng_ctx_close(sl->ctx);
	nng_aio_free(sl->aio);
	free(sl);
}

// After starting an operation on sl: if the client was aborted meanwhile
// (its abort may have run before the operation existed), cancel it.
static void
abort_if_aborted(fed_rpc_client *c, struct call_slot *sl)
{
	if (atomic_load(&c->aborted))
		nng_aio_abort(sl->aio, NNG_ECANCELED);
}

void
fed_rpc_client_abort(fed_rpc_client *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mtx);
	atomic_store(&c->aborted, 1);
	for (struct call_slot *sl = c->busy; sl != NULL; sl = sl->next)
		nng_aio_abort(sl->aio, NNG_ECANCELED);
	pthread_mutex_unlock(&c->mtx);
}

// Sends msg on a pooled context and waits for the reply message. A
// context whose exchange failed is closed rather than reused, so that no
// late reply to an abandoned request can reach a later call.
static fed_status
exchange(fed_rpc_client *c, nng_msg *msg, nng_msg **reply)
{
	struct call_slot *sl = slot_get(c);
	if (sl == NULL) {
		nng_msg_free(msg);
		return FED_RESOURCE_EXHAUSTED;
	}
	nng_aio_set_timeout(sl->aio, (nng_duration) c->timeout_ms);
	nng_aio_set_msg(sl->aio, msg);
	nng_ctx_send(sl->ctx, sl->aio);
	abort_if_aborted(c, sl);
	nng_aio_wait(sl->aio);
	int rv = nng_aio_result(sl->aio);
	if (rv != 0) {
		nng_msg_free(nng_aio_get_msg(sl->aio));
	} else {
		nng_ctx_recv(sl->ctx, sl->aio);
		abort_if_aborted(c, sl);
		nng_aio_wait(sl->aio);
		if ((rv = nng_aio_result(sl->aio)) == 0)
			*reply = nng_aio_get_msg(sl->aio);
	}
	if (rv == 0) {
		slot_put(c, sl);
		return FED_OK;
	}
	slot_drop(c, sl);
	return fed__nng_status(rv, "call");
}

fed_status
fed_rpc_call(fed_rpc_client *c, const ProtobufCServiceDescriptor *svc,
    const char *method, const ProtobufCMessage *req, ProtobufCMessage **reply,
    char *err, size_t err_len)
{
	*reply = NULL;
	if (err != NULL && err_len > 0)
		err[0] = '\0';
	const ProtobufCMethodDescriptor *m
	    = protobuf_c_service_descriptor_get_method_by_name(svc, method);
	if (m == NULL || req->descriptor != m->input)
		return set_err(err, err_len, FED_INVALID_ARGUMENT,
		    "%s.%s: no such method or wrong request type", svc->name,
		    method);
	char full[MAX_METHOD_NAME];
	snprintf(full, sizeof(full), "/%s/%s", svc->name, method);
	if (atomic_load(&c->aborted))
		return set_err(err, err_len, FED_UNAVAILABLE,
		    "%s: the client was closed (%s)", full, c->url);
	int64_t since = atomic_load(&c->down_since_ms);
	if (c->down_ms > 0 && since != 0 && atomic_load(c->n_pipes) == 0
	    && fed_clock_mono_ms() - since < (int64_t) c->down_ms) {
		maybe_redial(c);
		return set_err(err, err_len, FED_UNAVAILABLE,
		    "%s: cannot reach the service, no connection for %lld s "
		    "(%s)",
		    full, (long long) (fed_clock_mono_ms() - since) / 1000,
		    c->url);
	}
	uint64_t id = atomic_fetch_add(&c->next_id, 1);
	nng_msg *msg = NULL, *rmsg = NULL;
	FED_TRY(build_request(c, full, id, req, &msg));
	fed_status st = exchange(c, msg, &rmsg);
	if (st == FED_DEADLINE_EXCEEDED && atomic_load(c->n_pipes) == 0) {
		st = FED_UNAVAILABLE;
		int64_t zero = 0;
		atomic_compare_exchange_strong(
		    &c->down_since_ms, &zero, fed_clock_mono_ms());
		maybe_redial(c);
	} else if (st != FED_UNAVAILABLE) {
		atomic_store(&c->down_since_ms, 0);
	}
	if (st != FED_OK) {
		return set_err(err, err_len, st, "%s: %s (%s)", full,
		    st == FED_UNAVAILABLE ? "cannot reach the service"
		                          : fed_status_str(st),
		    c->url);
	}
	Enfed__V1__Reply *rep = enfed__v1__reply__unpack(
	    NULL, nng_msg_len(rmsg), nng_msg_body(rmsg));
	nng_msg_free(rmsg);
	if (rep == NULL || rep->id != id) {
		if (rep != NULL)
			enfed__v1__reply__free_unpacked(rep, NULL);
		return set_err(err, err_len, FED_INVALID_ARGUMENT,
		    "%s: malformed reply envelope", full);
	}
	st = fed_status_from_int((int) rep->status);
	if (st != FED_OK) {
		set_err(err, err_len, st, "%s", rep->message);
	} else {
		st = fed_codec_unpack(&c->codec, m->output,
		    (fed_codec) rep->codec, rep->body.data, rep->body.len,
		    reply);
		if (st != FED_OK)
			set_err(err, err_len, st, "%s: malformed reply body",
			    full);
	}
	enfed__v1__reply__free_unpacked(rep, NULL);
	return st;
}
