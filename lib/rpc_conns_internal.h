// SPDX-License-Identifier: MIT
//
// rpc_conns_internal.h: the connections an RPC server holds, bounded.
//
// A REP socket accepts every connection that completes nng's handshake;
// nothing in nng bounds them, so that idle peers could hold every
// descriptor of the process (issue 16, item 6). This module watches the
// socket's pipes (nng_pipe_notify) and closes, as they arrive, those
// beyond a bound per peer address and a bound in total; a thread closes
// the pipes that sent nothing for longer than an idle timeout. A limit
// hit is logged, at most once per 10 s and limit.

#ifndef FED_RPC_CONNS_INTERNAL_H
#define FED_RPC_CONNS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "fed/status.h"

typedef struct fed__rpc_conns fed__rpc_conns;

typedef struct fed__rpc_conns_opts {
	size_t max_total; // connections held at once (> 0)
	size_t max_per_peer; // from one address (0: no bound)
	uint32_t idle_ms; // closed after this long without a request
	                  // (0: never)
	const char *name; // for logs (borrowed: must outlive the conns)
} fed__rpc_conns_opts;

// Watches the pipes of s (before it listens) with the bounds of o.
// RESOURCE_EXHAUSTED when memory or a thread is short. *out is released
// in two steps: fed__rpc_conns_stop, then free() once nng_close(s) has
// returned, since nng may call back until then (fed__transport_close's
// free_after).
fed_status fed__rpc_conns_new(
    nng_socket s, const fed__rpc_conns_opts *o, fed__rpc_conns **out);

// Records that pipe p just delivered a request. Any thread.
void fed__rpc_conns_touch(fed__rpc_conns *c, nng_pipe p);

// The connections held now. Any thread.
size_t fed__rpc_conns_count(fed__rpc_conns *c);

// Stops the idle thread (joins it). NULL does nothing.
void fed__rpc_conns_stop(fed__rpc_conns *c);

#endif // FED_RPC_CONNS_INTERNAL_H
