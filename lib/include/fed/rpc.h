// SPDX-License-Identifier: MIT
//
// fed/rpc.h: unary RPC over nng REQ/REP, with the envelope of
// proto/enfed/v1/rpc.proto.
//
// Server: serves one or more protobuf-c services on one REP socket that may
// listen on several addresses. Requests are dispatched through the
// services' ProtobufCServiceDescriptor: the method name of the envelope is
// looked up in the descriptor, and the handler registered under that name
// is called with the decoded request and a reply message of the method's
// output type. A fixed number of REP contexts take requests; a fixed number
// of worker threads answer them, so that handlers may block (on sqlite, on
// another RPC) without stalling nng's own threads. Methods marked inline
// (fed_rpc_server_set_inline) are answered on nng's completion thread
// instead, without the hand-off to a worker.
//
// Ownership (STYLE.md):
// - The runtime owns the decoded request; a handler borrows it and keeps no
//   pointer into it past return.
// - The runtime provides the reply, initialised, and packs and frees it
//   after the handler returns. Whatever the reply points to must outlive
//   the handler: allocate it with fed_rpc_ctx_alloc()/fed_rpc_ctx_strdup()
//   (freed with the call), hand heap memory to fed_rpc_ctx_defer_free(),
//   or point into the request or static storage. The runtime frees only
//   the top-level reply struct and what the call owns, never sub-fields.
// - fed_rpc_call(..., &reply) hands a heap reply to its caller, who frees
//   it with protobuf_c_message_free_unpacked(reply, NULL).

#ifndef FED_RPC_H
#define FED_RPC_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "fed/codec.h"
#include "fed/status.h"
#include "fed/transport.h"

typedef struct fed_rpc_server fed_rpc_server;
typedef struct fed_rpc_client fed_rpc_client;
typedef struct fed_rpc_ctx fed_rpc_ctx;

// A method handler. `req` is of the method's input type, `reply` of its
// output type (cast them). Returns OK, or the status to send back, with a
// message set by fed_rpc_ctx_error(). Called on a worker thread (on nng's
// completion thread for an inline method); several handlers run at once.
typedef fed_status (*fed_rpc_handler)(fed_rpc_ctx *call,
    const ProtobufCMessage *req, ProtobufCMessage *reply, void *arg);

// One entry of a service's handler table: the method's short name as in the
// .proto ("Query") and its handler.
typedef struct fed_rpc_method {
	const char *name;
	fed_rpc_handler handler;
} fed_rpc_method;

// Authentication hook, called for every request before its body is
// decoded, with the envelope's token, the full method name and the
// caller's address (as fed_rpc_ctx_peer: for limits that apply per
// source). Returns OK (optionally setting *principal, which handlers read
// back with fed_rpc_ctx_principal), UNAUTHENTICATED or PERMISSION_DENIED.
// Called concurrently, on the thread that then runs the call's authz hook
// and handler (a worker, or nng's thread for an inline method: there the
// hook must not block either), and for no other call in between: a
// principal may live in thread-local storage until the handler returns
// (fed-node's and fed-invest's copy it there, out of a table a reload
// may free).
typedef fed_status (*fed_rpc_auth_fn)(const char *token, const char *method,
    const char *peer, void **principal, void *arg);

// Authorization hook, called for every request that passed the auth hook,
// once its body is decoded (req, of the method's input type, borrowed for
// the call) and before the handler runs: the place where a service decides
// what this caller may do with this request. Returns OK to run the handler
// (optionally leaving a decision for it with fed_rpc_ctx_set_decision), or
// the status to send back, with a message set by fed_rpc_ctx_error(), and
// the handler does not run. Called concurrently, on the handler's thread.
typedef fed_status (*fed_rpc_authz_fn)(
    fed_rpc_ctx *call, const ProtobufCMessage *req, void *arg);

typedef struct fed_rpc_server_opts {
	unsigned n_workers; // worker threads: handlers run at once
	                    // (default 16)
	unsigned n_contexts; // requests in progress at once, suspended
	                     // ones included (default and at least:
	                     // n_workers)
	size_t max_msg; // largest request accepted (default 16 MiB)
	fed_codec_opts codec; // compression of replies (only for callers
	                      // whose envelope's accept lists CODEC_ZSTD or
	                      // is empty), bounds of bodies
	uint32_t default_timeout_ms; // when the envelope has none (30 s)
	fed_rpc_auth_fn auth; // NULL: no authentication (tests, demos)
	void *auth_arg;
	fed_rpc_authz_fn authz; // NULL: every authenticated call runs
	void *authz_arg;
	const char *name; // service name for logs ("node")
	// Connections (nng pipes that completed the handshake): one beyond
	// either bound is closed as it arrives, and one that sent no request
	// for idle_timeout_ms is closed; both logged at most every 10 s.
	// max_conns is lowered at start to leave 256 descriptors free under
	// the process's RLIMIT_NOFILE (logged).
	size_t max_conns; // held at once (default 4096; 0: the default)
	size_t max_conns_per_peer; // from one address (default 512, above
	                           // fed-web's 256 clients; 0: none)
	uint32_t idle_timeout_ms; // (default 300 s; 0: never)
} fed_rpc_server_opts;

// Fills opts with the defaults above.
void fed_rpc_server_opts_default(fed_rpc_server_opts *opts);

// Creates a server (not yet listening). opts is copied; NULL = defaults.
// RESOURCE_EXHAUSTED or UNAVAILABLE if the socket cannot be opened.
fed_status fed_rpc_server_new(
    const fed_rpc_server_opts *opts, fed_rpc_server **out);

// Registers a service: every method of desc must appear in methods (by
// short name) or be absent, in which case it answers UNIMPLEMENTED.
// INVALID_ARGUMENT for a name that is not a method of desc, or a service
// registered twice. Call before fed_rpc_server_start. `arg` is passed to
// the handlers.
fed_status fed_rpc_server_add_service(fed_rpc_server *srv,
    const ProtobufCServiceDescriptor *desc, const fed_rpc_method *methods,
    size_t n_methods, void *arg);

// Marks a registered method ("/enfed.v1.Health/Check") as one whose
// handler never blocks: no store, no file, no RPC, no lock held for long.
// Its calls are answered on nng's completion thread, right where the
// request arrives, with no hand-off to a worker: one thread wake-up less
// per call. The auth and authz hooks then run there as well. Call before
// fed_rpc_server_start; INVALID_ARGUMENT for a method not registered,
// FAILED_PRECONDITION once started.
fed_status fed_rpc_server_set_inline(fed_rpc_server *srv, const char *method);

// Hands heap memory to the server: free(p) when the server is freed (for
// state that handlers registered with it need). RESOURCE_EXHAUSTED (p is
// freed at once) if it cannot be recorded.
fed_status fed_rpc_server_attach(fed_rpc_server *srv, void *p);

// The full names of the services registered so far ("enfed.v1.Health"),
// up to max of them written to names (borrowed from the descriptors).
// Returns how many there are.
size_t fed_rpc_server_services(
    const fed_rpc_server *srv, const char **names, size_t max);

// Calls fn(full_method_name, arg) for every method of every service
// registered so far ("/enfed.v1.SeriesStore/Query"), served or not, in
// registration order; stops at the first status other than OK and returns
// it. For a service to check at start-up that its policy knows every
// method it could be asked.
fed_status fed_rpc_server_each_method(const fed_rpc_server *srv,
    fed_status (*fn)(const char *method, void *arg), void *arg);

// Listens on url (ipc://, tcp://, tls+tcp:// with tls). May be called for
// several addresses. INVALID_ARGUMENT for a bad URL or TLS settings,
// UNAVAILABLE when the address is in use.
fed_status fed_rpc_server_listen(
    fed_rpc_server *srv, const char *url, const fed_tls_opts *tls);

// Listens on every address of a comma-separated list
// ("ipc:///run/enfed/node.sock,tls+tcp://0.0.0.0:7410"), logging each; as
// fed_rpc_server_listen, stopping at the first failure. INVALID_ARGUMENT
// for an empty list.
fed_status fed_rpc_server_listen_list(
    fed_rpc_server *srv, const char *list, const fed_tls_opts *tls);

// The connections the server holds now (within max_conns). Any thread.
size_t fed_rpc_server_n_conns(fed_rpc_server *srv);

// Starts the contexts and the worker threads. Requests that arrived
// earlier are served.
fed_status fed_rpc_server_start(fed_rpc_server *srv);

// Stops listening, lets running handlers finish (their replies may not be
// sent), joins the workers and frees the server. NULL does nothing.
void fed_rpc_server_free(fed_rpc_server *srv);

// Serves one request message (an encoded enfed.v1.Request, borrowed) on
// the calling thread, exactly as a worker would: envelope, auth hook,
// dispatch, handler, reply. *reply (malloc'd, the caller frees) gets the
// encoded enfed.v1.Reply. For fuzzers and tests that drive the handlers
// without sockets; the server need not listen nor be started.
// RESOURCE_EXHAUSTED when memory is short.
fed_status fed_rpc_server_serve_bytes(fed_rpc_server *srv, const uint8_t *req,
    size_t len, uint8_t **reply, size_t *reply_len);

// --- Inside a handler -----------------------------------------------------

// Suspends the call: the handler returns (its status is then ignored)
// and the call is answered once fed_rpc_ctx_resume(call, status) is
// called, exactly once, from any thread, possibly before the handler has
// returned. Until then the call's memory (request, reply, arena) stays
// valid and the call holds one of the server's n_contexts; whoever
// resumes it fills the reply first. Returns 0 (and nothing changes) where
// a call cannot be suspended (fed_rpc_server_serve_bytes): the handler
// then completes the call as usual.
int fed_rpc_ctx_suspend(fed_rpc_ctx *call);

// Answers a suspended call with status st (its reply, filled by then,
// when OK; a message set with fed_rpc_ctx_error otherwise). The call must
// not be touched afterwards.
void fed_rpc_ctx_resume(fed_rpc_ctx *call, fed_status st);

// The envelope's token (never NULL; "" when absent). Borrowed for the call.
const char *fed_rpc_ctx_token(const fed_rpc_ctx *call);

// The full method name, "/enfed.v1.SeriesStore/Query".
const char *fed_rpc_ctx_method(const fed_rpc_ctx *call);

// The caller's address, as given to the auth hook: an IP address
// without port ("192.0.2.7"), "ipc pid N", "inproc", or "" when unknown.
// Borrowed for the call.
const char *fed_rpc_ctx_peer(const fed_rpc_ctx *call);

// What the authentication hook set, or NULL.
void *fed_rpc_ctx_principal(const fed_rpc_ctx *call);

// Leaves decision (borrowed; typically call memory) for the handler: what
// the authorization hook decided. fed_rpc_ctx_decision returns it, or NULL.
void fed_rpc_ctx_set_decision(fed_rpc_ctx *call, const void *decision);
const void *fed_rpc_ctx_decision(const fed_rpc_ctx *call);

// Milliseconds left before the caller's deadline (<= 0: passed). A
// long-running handler checks it and gives up with DEADLINE_EXCEEDED.
int64_t fed_rpc_ctx_remaining_ms(const fed_rpc_ctx *call);

// Memory that lives until the reply is packed, zeroed. NULL only when
// memory is exhausted.
void *fed_rpc_ctx_alloc(fed_rpc_ctx *call, size_t len);

// A copy of s in call memory (NULL if s is NULL or memory is exhausted).
char *fed_rpc_ctx_strdup(fed_rpc_ctx *call, const char *s);

// Runs fn(p) once the reply is packed (or the call failed): for memory the
// reply points to that needs its own destructor, e.g. a message from a
// store moved into the reply. RESOURCE_EXHAUSTED (and fn(p) at once) if it
// cannot be recorded. The deferred functions run in the order they were
// recorded, before the memory of fed_rpc_ctx_alloc is freed, so p may live
// there.
fed_status fed_rpc_ctx_defer(fed_rpc_ctx *call, void (*fn)(void *), void *p);

// fed_rpc_ctx_defer(call, free, p).
fed_status fed_rpc_ctx_defer_free(fed_rpc_ctx *call, void *p);

// Sets the message sent back with a failure status and returns st, so a
// handler can `return fed_rpc_ctx_error(call, FED_NOT_FOUND, "series
// '%s'", id);`. The message must reveal nothing the caller may not see.
fed_status fed_rpc_ctx_error(
    fed_rpc_ctx *call, fed_status st, const char *fmt, ...) FED__PRINTF(3, 4);

// --- Client ---------------------------------------------------------------

typedef struct fed_rpc_client_opts {
	const char *url; // the server's address (borrowed)
	const fed_tls_opts
	    *tls; // for tls+tcp:// (borrowed until _new returns)
	const char *token; // bearer token sent with every call (copied)
	uint32_t timeout_ms; // per call (default 10 s)
	size_t max_msg; // largest reply accepted (default 16 MiB)
	fed_codec_opts codec; // compression of requests, bounds of replies
	                      // (every envelope accepts zstd replies)
	// Once a call found no connection to the server (UNAVAILABLE after
	// its timeout), later calls fail at once with UNAVAILABLE for this
	// long while there is still none, instead of each waiting its whole
	// timeout; a connection made again ends it at once. 0 (the default):
	// every call waits. For a service that calls a server on behalf of
	// others: one server down must not hold every request for a timeout.
	uint32_t down_ms;
} fed_rpc_client_opts;

// Fills opts with defaults (url and token NULL).
void fed_rpc_client_opts_default(fed_rpc_client_opts *opts);

// Creates a client that dials url in the background and redials whenever
// the connection drops; the server need not be up yet. A call that finds
// no connection after 5 s without one replaces the dialer (nng's may stop
// redialling; docs/reliability.md). INVALID_ARGUMENT
// for a bad URL or TLS settings. Safe to share between threads.
fed_status fed_rpc_client_new(
    const fed_rpc_client_opts *opts, fed_rpc_client **out);

// Closes the client. Calls in progress fail with UNAVAILABLE. NULL does
// nothing.
void fed_rpc_client_free(fed_rpc_client *c);

// Makes the calls in progress on c return at once, CANCELLED, and every
// later call fail with UNAVAILABLE without waiting; c must still be freed.
// Any thread, while others call: for a program that stops while a call
// may be waiting out its timeout on a peer that went away. NULL does
// nothing.
void fed_rpc_client_abort(fed_rpc_client *c);

// Calls `method` of service `svc` with req (of the method's input type)
// and waits for the reply until the client's timeout. On OK, *reply is a
// new message of the method's output type, owned by the caller. Otherwise
// *reply is NULL and the status says why: the server's status, or
// DEADLINE_EXCEEDED (no reply in time, server reached), UNAVAILABLE (the
// server could not be reached), INVALID_ARGUMENT (unknown method name,
// request of the wrong type, malformed reply). The server's message (or a
// local explanation) is written to err when err is not NULL. Blocks the
// calling thread; callable from any number of threads at once.
fed_status fed_rpc_call(fed_rpc_client *c,
    const ProtobufCServiceDescriptor *svc, const char *method,
    const ProtobufCMessage *req, ProtobufCMessage **reply, char *err,
    size_t err_len);

#endif // FED_RPC_H
