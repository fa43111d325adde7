// SPDX-License-Identifier: MIT
//
// rpc_client.c: the unary RPC client: one REQ socket, one nng context per
// call, so that calls from many threads proceed in parallel over the same
// connection.

#include "fed/rpc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "enfed/v1/rpc.pb-c.h"
#include "fed/clock.h"
#include "fed/log.h"
#include "transport_internal.h"

#define MAX_METHOD_NAME 256

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
