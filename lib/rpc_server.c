// SPDX-License-Identifier: MIT
//
// rpc_server.c: the unary RPC server.
//
// n REP contexts, each driven by its aio's callback: receive a request,
// have it answered, send the reply, receive again. A method marked inline
// (fed_rpc_server_set_inline: Health, and whatever never blocks) is
// answered right there, on nng's completion thread, as a raw nng server
// answers: no thread wake-up between the request and the reply. Any other
// request goes to a queue served by n worker threads, so that a handler
// blocked on sqlite, or waiting for its group commit, holds only its
// worker. A handler may also suspend its call (fed_rpc_ctx_suspend) and
// return: the call is answered when fed_rpc_ctx_resume is called, from
// any thread (fed-node's Ingest, by the thread that commits its group),
// while the worker goes on to the next request. At most n_contexts
// requests are in progress at once (one per context), suspended ones
// included.
//
// Dispatch resolves the envelope's "/package.Service/Method" through the
// registered service descriptors
// (protobuf_c_service_descriptor_get_method_by_name) to a handler table
// indexed like the descriptor's methods. The envelope and the request are
// decoded into the call's arena (rpc_call_internal.h).

#define _GNU_SOURCE // pthread_setname_np

#include "fed/rpc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "enfed/v1/rpc.pb-c.h"
#include "fed/clock.h"
#include "fed/log.h"
#include "fed/ratelimit.h"
#include "rpc_call_internal.h"
#include "rpc_conns_internal.h"
#include "rpc_metrics_internal.h"
#include "transport_internal.h"

#define MAX_SERVICES 16

struct service {
	const ProtobufCServiceDescriptor *desc;
	fed_rpc_handler *handlers; // indexed like desc->methods
	unsigned char *inline_ok; // the same: answered in nng's callback
	void *arg;
};

// A REP context, and the call it is answering. `sending` tells what the
// aio's operation in progress is; it is written before the operation
// starts and read in its callback.
struct rctx {
	fed_rpc_server *srv;
	nng_ctx ctx;
	nng_aio *aio;
	int open; // ctx opened
	int sending; // 0: receiving, 1: sending a reply
	// Bumped (release) before each operation handed to nng, read
	// (acquire) when it completes: the order nng provides, in a form
	// ThreadSanitizer sees (Debian's libnng is not instrumented).
	atomic_uint handoff;
	nng_msg *msg; // the request being answered
	Enfed__V1__Request *req; // its envelope, in call's arena; NULL: bad
	const struct service *svc; // the method resolved, or NULL
	const ProtobufCMethodDescriptor *m;
	int64_t t0; // when it was received (fed_clock_mono_ns)
	ProtobufCMessage *out; // the handler's reply, in call's arena
	int local; // the request came over a local link
	int can_suspend; // 0 for fed_rpc_server_serve_bytes
	// A suspended call (fed_rpc_ctx_suspend): see call_state.
	atomic_int state;
	fed_status resumed; // the status fed_rpc_ctx_resume gave
	struct rctx *next; // in the work queue
	fed_rpc_ctx call;
};

// Where a call stands between its handler and its reply. A handler that
// suspends its call returns while the call waits (for its group commit);
// fed_rpc_ctx_resume may come before that return, even from inside the
// handler (its own thread led the commit), or after it. Whichever of the
// two comes last finishes the call: the handler's thread, when resumed
// early (RESUMED), or the resuming thread (SUSPENDED).
enum call_state {
	CALL_RUNNING, // not suspended
	CALL_SUSPENDING, // suspended, its handler still running
	CALL_SUSPENDED, // suspended, its handler returned
	CALL_RESUMED, // resumed before its handler returned
};

struct fed_rpc_server {
	nng_socket sock;
	fed_rpc_server_opts opts;
	struct service services[MAX_SERVICES];
	size_t n_services;
	struct rctx *ctxs; // opts.n_workers of them
	pthread_t *threads;
	unsigned n_threads; // started
	int started; // fed_rpc_server_start was called
	char thread_name[16]; // the workers' ("node-rpc"), as top -H shows
	// The queue of requests for the workers.
	pthread_mutex_t qmu;
	pthread_cond_t qcv;
	struct rctx *qhead, *qtail;
	int qstop;
	void *attached[MAX_SERVICES];
	size_t n_attached;
	fed__rpc_conns *conns;
	fed__rpc_metrics *metrics; // made at start, from the services
	atomic_int stopping;
	// Calls suspended and not yet resumed: the server is not freed
	// before they are answered (or dropped, when stopping).
	pthread_mutex_t smu;
	pthread_cond_t scv;
	size_t n_suspended;
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
	if (srv->opts.n_contexts < srv->opts.n_workers)
		srv->opts.n_contexts = srv->opts.n_workers;
	pthread_mutex_init(&srv->qmu, NULL);
	pthread_cond_init(&srv->qcv, NULL);
	pthread_mutex_init(&srv->smu, NULL);
	pthread_cond_init(&srv->scv, NULL);
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
	if (srv->n_services == MAX_SERVICES || srv->started)
		return FED_FAILED_PRECONDITION;
	for (size_t i = 0; i < srv->n_services; i++) {
		if (strcmp(srv->services[i].desc->name, desc->name) == 0)
			return FED_INVALID_ARGUMENT;
	}
	fed_rpc_handler *h = calloc(desc->n_methods, sizeof(*h));
	unsigned char *inline_ok = calloc(desc->n_methods, 1);
	if (h == NULL || inline_ok == NULL) {
		free(h);
		free(inline_ok);
		return FED_RESOURCE_EXHAUSTED;
	}
	for (size_t i = 0; i < n_methods; i++) {
		const ProtobufCMethodDescriptor *m
		    = protobuf_c_service_descriptor_get_method_by_name(
		        desc, methods[i].name);
		if (m == NULL) {
			fed_log(FED_LOG_ERR, srv->opts.name,
			    "%s has no method %s", desc->name,
			    methods[i].name);
			free(h);
			free(inline_ok);
			return FED_INVALID_ARGUMENT;
		}
		h[m - desc->methods] = methods[i].handler;
	}
	srv->services[srv->n_services++] = (struct service) {
	    .desc = desc, .handlers = h, .inline_ok = inline_ok, .arg = arg};
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

fed_status
fed_rpc_server_set_inline(fed_rpc_server *srv, const char *method)
{
	const struct service *svc = NULL;
	const ProtobufCMethodDescriptor *m = NULL;
	if (srv->started)
		return FED_FAILED_PRECONDITION;
	if (resolve(srv, method, &svc, &m) != FED_OK)
		return FED_INVALID_ARGUMENT;
	svc->inline_ok[m - svc->desc->methods] = 1;
	return FED_OK;
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

// Runs a call whose envelope begin() decoded, up to and including its
// handler (which leaves its reply in r->out). Returns the call's status so
// far.
static fed_status
start_call(fed_rpc_server *srv, struct rctx *r)
{
	const Enfed__V1__Request *req = r->req;
	fed_rpc_ctx *call = &r->call;
	const struct service *svc = r->svc;
	const ProtobufCMethodDescriptor *m = r->m;
	if (req == NULL)
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "malformed request envelope");
	call->token = envelope_token(call, &req->token);
	call->method = req->method;
	nng_pipe pipe = nng_msg_get_pipe(r->msg);
	fed__transport_pipe_peer(pipe, call->peer, sizeof(call->peer));
	if (nng_pipe_id(pipe) > 0)
		fed__rpc_conns_touch(srv->conns, pipe);
	r->local = fed__transport_pipe_is_local(pipe);
	if (svc == NULL)
		return fed_rpc_ctx_error(call, FED_UNIMPLEMENTED,
		    "unknown method '%.200s'", req->method);
	fed_rpc_handler h = svc->handlers[m - svc->desc->methods];
	call->metric = fed__rpc_metrics_index(srv->metrics,
	    (size_t) (svc - srv->services), (size_t) (m - svc->desc->methods));
	if (srv->opts.auth != NULL) {
		fed_status st = call->bad_token
		    ? FED_UNAUTHENTICATED
		    : srv->opts.auth(call->token, req->method, call->peer,
		        &call->principal, srv->opts.auth_arg);
		if (st != FED_OK) {
			refusal why = refusal_of(call, st);
			log_refused(srv, call, why);
			fed__rpc_metrics_auth_failure(srv->metrics, why.label);
			return fed_rpc_ctx_error(call, st, "%s",
			    st == FED_UNAUTHENTICATED
			        ? "missing or invalid token"
			        : "the token does not allow this call");
		}
	}
	ProtobufCMessage *in = NULL;
	fed_status st = fed_codec_unpack_with(&srv->opts.codec, m->input,
	    (fed_codec) req->codec, req->body.data, req->body.len, &call->pb,
	    &in);
	if (st != FED_OK)
		return fed_rpc_ctx_error(call, st,
		    st == FED_RESOURCE_EXHAUSTED
		        ? "request body too large"
		        : "malformed body: not a valid %s",
		    m->input->name);
	r->out = fed__rpc_call_raw(call, m->output->sizeof_message);
	if (r->out == NULL)
		return FED_RESOURCE_EXHAUSTED;
	protobuf_c_message_init(m->output, r->out);
	return run_handler(srv, svc->arg, h, call, in, r->out);
}

// Ends a call with status st: packs its reply (r->out when OK) into the
// reply envelope, as an nng message (NULL when out of memory), counts it,
// and releases the call and its request message.
static nng_msg *
finish_call(fed_rpc_server *srv, struct rctx *r, fed_status st)
{
	fed_rpc_ctx *call = &r->call;
	const Enfed__V1__Request *req = r->req;
	Enfed__V1__Reply rep = ENFED__V1__REPLY__INIT;
	uint8_t *body = NULL;
	if (req != NULL)
		rep.id = req->id;
	if (st == FED_OK) {
		fed_codec codec = FED_CODEC_NONE;
		fed_codec_opts co = srv->opts.codec;
		if ((r->local && !co.compress_local) || !accepts_zstd(req))
			co.compress_threshold = 0;
		st = fed_codec_pack(&co, r->out, &body, &rep.body.len, &codec);
		rep.body.data = body;
		rep.codec = (Enfed__V1__Codec) codec;
		if (st != FED_OK)
			fed_rpc_ctx_error(call, st, "reply too large");
	}
	// The request and the reply's top-level struct are in the call's
	// arena; the reply's sub-fields belong to the call (see fed/rpc.h).
	rep.status = (Enfed__V1__StatusCode) st;
	if (st != FED_OK) {
		rep.message
		    = call->err[0] ? call->err : (char *) fed_status_str(st);
		rep.body.len = 0;
		rep.codec = ENFED__V1__CODEC__CODEC_NONE;
	}
	int64_t ns = fed_clock_mono_ns() - r->t0;
	fed_log(FED_LOG_DEBUG, srv->opts.name, "%s -> %s (%lld us)",
	    req ? req->method : "?", fed_status_name(st),
	    (long long) (ns / 1000));
	fed__rpc_metrics_call(srv->metrics, call->metric, st, ns);
	nng_msg *out = NULL;
	size_t len = enfed__v1__reply__get_packed_size(&rep);
	if (nng_msg_alloc(&out, len) == 0)
		enfed__v1__reply__pack(&rep, nng_msg_body(out));
	free(body);
	fed__rpc_call_release(call);
	nng_msg_free(r->msg);
	r->msg = NULL;
	r->req = NULL;
	r->out = NULL;
	return out;
}

// A request message received: decodes its envelope into the call's
// arena and resolves its method. Returns whether it is answered at once
// (a method marked inline; an envelope that is malformed or names no
// method served here, whose answer is an error) rather than by a worker.
static int
begin(fed_rpc_server *srv, struct rctx *r, nng_msg *msg)
{
	r->t0 = fed_clock_mono_ns();
	r->msg = msg;
	r->svc = NULL;
	r->m = NULL;
	r->out = NULL;
	r->local = 0;
	atomic_store(&r->state, CALL_RUNNING);
	fed__rpc_call_init(&r->call);
	r->req = enfed__v1__request__unpack(
	    &r->call.pb, nng_msg_len(msg), nng_msg_body(msg));
	if (r->req == NULL)
		return 1;
	r->call.deadline_ms = fed_clock_mono_ms()
	    + (r->req->timeout_ms ? r->req->timeout_ms
	                          : srv->opts.default_timeout_ms);
	if (resolve(srv, r->req->method, &r->svc, &r->m) != FED_OK
	    || r->svc->handlers[r->m - r->svc->desc->methods] == NULL) {
		r->svc = NULL;
		return 1;
	}
	return r->svc->inline_ok[r->m - r->svc->desc->methods];
}

fed_status
fed_rpc_server_serve_bytes(fed_rpc_server *srv, const uint8_t *req, size_t len,
    uint8_t **reply, size_t *reply_len)
{
	*reply = NULL;
	*reply_len = 0;
	struct rctx *r = calloc(1, sizeof(*r));
	nng_msg *msg = NULL;
	if (r == NULL || nng_msg_alloc(&msg, len) != 0) {
		free(r);
		return FED_RESOURCE_EXHAUSTED;
	}
	if (len > 0)
		memcpy(nng_msg_body(msg), req, len);
	r->srv = srv;
	(void) begin(srv, r, msg);
	nng_msg *rep = finish_call(srv, r, start_call(srv, r));
	free(r);
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

// --- Contexts and workers ---------------------------------------------------

static void
receive(struct rctx *r)
{
	if (atomic_load(&r->srv->stopping))
		return;
	atomic_fetch_add_explicit(&r->handoff, 1, memory_order_release);
	nng_ctx_recv(r->ctx, r->aio);
}

// Sends a reply (NULL: none could be made: the caller's call times out,
// as on a lost message), or receives the next request when stopping.
static void
reply(struct rctx *r, nng_msg *out)
{
	if (out == NULL || atomic_load(&r->srv->stopping)) {
		nng_msg_free(out);
		receive(r);
		return;
	}
	r->sending = 1;
	nng_aio_set_msg(r->aio, out);
	atomic_fetch_add_explicit(&r->handoff, 1, memory_order_release);
	nng_ctx_send(r->ctx, r->aio);
}

static struct rctx *
rctx_of(fed_rpc_ctx *call)
{
	return (struct rctx *) (void *) ((char *) call
	    - offsetof(struct rctx, call));
}

int
fed_rpc_ctx_suspend(fed_rpc_ctx *call)
{
	struct rctx *r = rctx_of(call);
	if (!r->can_suspend)
		return 0;
	fed_rpc_server *srv = r->srv;
	pthread_mutex_lock(&srv->smu);
	srv->n_suspended++;
	pthread_mutex_unlock(&srv->smu);
	atomic_store(&r->state, CALL_SUSPENDING);
	return 1;
}

// A suspended call is over: the server may be freed once none is left.
static void
unsuspend(fed_rpc_server *srv)
{
	pthread_mutex_lock(&srv->smu);
	if (--srv->n_suspended == 0)
		pthread_cond_broadcast(&srv->scv);
	pthread_mutex_unlock(&srv->smu);
}

void
fed_rpc_ctx_resume(fed_rpc_ctx *call, fed_status st)
{
	struct rctx *r = rctx_of(call);
	fed_rpc_server *srv = r->srv;
	r->resumed = st;
	int expected = CALL_SUSPENDING;
	if (atomic_compare_exchange_strong(&r->state, &expected, CALL_RESUMED))
		return; // the handler's thread finishes it
	reply(r, finish_call(srv, r, st));
	unsuspend(srv);
}

// Runs a call begun on this context, and replies unless its handler
// suspended it.
static void
serve(fed_rpc_server *srv, struct rctx *r)
{
	fed_status st = start_call(srv, r);
	int expected = CALL_SUSPENDING;
	if (atomic_load(&r->state) != CALL_RUNNING) {
		if (atomic_compare_exchange_strong(
		        &r->state, &expected, CALL_SUSPENDED))
			return; // fed_rpc_ctx_resume finishes it
		reply(r, finish_call(srv, r, r->resumed));
		unsuspend(srv);
		return;
	}
	reply(r, finish_call(srv, r, st));
}

// The context's aio completed: a reply went out (or its client went away,
// and the message is still ours), or a request came in.
static void
ctx_done(void *arg)
{
	struct rctx *r = arg;
	(void) atomic_load_explicit(&r->handoff, memory_order_acquire);
	fed_rpc_server *srv = r->srv;
	int rv = nng_aio_result(r->aio);
	if (r->sending) {
		r->sending = 0;
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(r->aio));
		receive(r);
		return;
	}
	if (rv != 0) {
		// Stopped or closed: done. Anything else is transient.
		if (rv != NNG_ECANCELED && rv != NNG_ECLOSED)
			receive(r);
		return;
	}
	if (begin(srv, r, nng_aio_get_msg(r->aio))) {
		serve(srv, r);
		return;
	}
	pthread_mutex_lock(&srv->qmu);
	r->next = NULL;
	if (srv->qtail != NULL)
		srv->qtail->next = r;
	else
		srv->qhead = r;
	srv->qtail = r;
	pthread_cond_signal(&srv->qcv);
	pthread_mutex_unlock(&srv->qmu);
}

// Answers queued requests until the server stops; one it finds queued
// then is dropped unanswered.
static void *
worker_main(void *arg)
{
	fed_rpc_server *srv = arg;
	pthread_setname_np(pthread_self(), srv->thread_name);
	for (;;) {
		pthread_mutex_lock(&srv->qmu);
		while (srv->qhead == NULL && !srv->qstop)
			pthread_cond_wait(&srv->qcv, &srv->qmu);
		struct rctx *r = srv->qhead;
		if (r != NULL) {
			srv->qhead = r->next;
			if (srv->qhead == NULL)
				srv->qtail = NULL;
		}
		int stop = srv->qstop;
		pthread_mutex_unlock(&srv->qmu);
		if (r == NULL)
			return NULL;
		if (stop) {
			fed__rpc_call_release(&r->call);
			nng_msg_free(r->msg);
			r->msg = NULL;
			continue;
		}
		serve(srv, r);
	}
}

size_t
fed_rpc_server_n_conns(fed_rpc_server *srv)
{
	return fed__rpc_conns_count(srv->conns);
}

fed_status
fed_rpc_server_start(fed_rpc_server *srv)
{
	if (srv->started)
		return FED_FAILED_PRECONDITION;
	srv->started = 1;
	unsigned n = srv->opts.n_contexts, nw = srv->opts.n_workers;
	srv->ctxs = calloc(n, sizeof(*srv->ctxs));
	srv->threads = calloc(nw, sizeof(*srv->threads));
	if (srv->ctxs == NULL || srv->threads == NULL)
		return FED_RESOURCE_EXHAUSTED;
	const ProtobufCServiceDescriptor *descs[MAX_SERVICES];
	for (size_t i = 0; i < srv->n_services; i++)
		descs[i] = srv->services[i].desc;
	fed__rpc_metrics_new(descs, srv->n_services, &srv->metrics);
	snprintf(srv->thread_name, sizeof(srv->thread_name), "%.11s-rpc",
	    srv->opts.name);
	for (unsigned i = 0; i < n; i++) {
		struct rctx *r = &srv->ctxs[i];
		r->srv = srv;
		r->can_suspend = 1;
		int rv = nng_aio_alloc(&r->aio, ctx_done, r);
		if (rv != 0)
			return fed__nng_status(rv, "aio");
		if ((rv = nng_ctx_open(&r->ctx, srv->sock)) != 0)
			return fed__nng_status(rv, "rep context");
		r->open = 1;
	}
	for (unsigned i = 0; i < nw; i++) {
		if (pthread_create(&srv->threads[i], NULL, worker_main, srv)
		    != 0)
			return FED_RESOURCE_EXHAUSTED;
		srv->n_threads++;
	}
	for (unsigned i = 0; i < n; i++)
		receive(&srv->ctxs[i]);
	return FED_OK;
}

void
fed_rpc_server_free(fed_rpc_server *srv)
{
	if (srv == NULL)
		return;
	// Contexts are stopped before the socket is closed: nng 1.5.2 can
	// panic when a context is used while its socket closes. With
	// `stopping` set no context receives again; nng_aio_stop makes a
	// pending receive fail at once and waits for a callback running
	// (which may still queue its request or answer it inline).
	atomic_store(&srv->stopping, 1);
	for (unsigned i = 0; srv->ctxs != NULL && i < srv->opts.n_contexts;
	     i++)
		if (srv->ctxs[i].aio != NULL)
			nng_aio_stop(srv->ctxs[i].aio);
	// A worker inside a handler finishes it; its reply is dropped
	// (reply() sends nothing once stopping). Requests still queued are
	// dropped unanswered.
	pthread_mutex_lock(&srv->qmu);
	srv->qstop = 1;
	pthread_cond_broadcast(&srv->qcv);
	pthread_mutex_unlock(&srv->qmu);
	for (unsigned i = 0; i < srv->n_threads; i++)
		pthread_join(srv->threads[i], NULL);
	// Calls suspended (waiting for their commit) are resumed by whoever
	// commits them; their replies are dropped.
	pthread_mutex_lock(&srv->smu);
	while (srv->n_suspended > 0)
		pthread_cond_wait(&srv->scv, &srv->smu);
	pthread_mutex_unlock(&srv->smu);
	for (unsigned i = 0; srv->ctxs != NULL && i < srv->opts.n_contexts;
	     i++) {
		struct rctx *r = &srv->ctxs[i];
		if (r->aio != NULL)
			nng_aio_stop(r->aio); // a callback the workers caused
		if (r->open)
			nng_ctx_close(r->ctx);
		if (r->aio != NULL)
			nng_aio_free(r->aio);
	}
	// Bounded, as every close of this runtime (fed__transport_close);
	// the connection table goes once nng stops calling back into it.
	fed__rpc_conns_stop(srv->conns);
	fed__transport_close(
	    srv->sock, (nng_dialer) NNG_DIALER_INITIALIZER, srv->conns);
	free(srv->ctxs);
	free(srv->threads);
	pthread_mutex_destroy(&srv->qmu);
	pthread_cond_destroy(&srv->qcv);
	pthread_mutex_destroy(&srv->smu);
	pthread_cond_destroy(&srv->scv);
	fed__rpc_metrics_free(srv->metrics);
	for (size_t i = 0; i < srv->n_services; i++) {
		free(srv->services[i].handlers);
		free(srv->services[i].inline_ok);
	}
	for (size_t i = 0; i < srv->n_attached; i++)
		free(srv->attached[i]);
	free(srv);
}
