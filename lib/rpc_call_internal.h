// SPDX-License-Identifier: MIT
//
// rpc_call_internal.h: one call's state and memory on the server side.
//
// A call's memory is one arena: the decoded envelope and request (through
// the protobuf-c allocator fed__rpc_call_pb), what the handler allocates
// for its reply (fed_rpc_ctx_alloc) and the token's copy all come from a
// first block inside the call itself, then from blocks of growing size,
// and all of it goes in one release when the reply is packed. A small
// call allocates nothing from the heap; an Ingest of 1,000 points makes a
// few block allocations instead of one per point and field.

#ifndef FED_RPC_CALL_INTERNAL_H
#define FED_RPC_CALL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "fed/rpc.h"
#include "transport_internal.h"

#define FED__RPC_ERR_LEN     256
#define FED__RPC_ARENA_FIRST 2048 // bytes inside the call

struct fed__rpc_block; // a heap block of the arena
struct fed__rpc_deferred;

struct fed_rpc_ctx {
	const char *token;
	int bad_token; // the envelope's token holds a NUL byte
	const char *method;
	int metric; // the method's index in the server's figures; -1 unknown
	char peer[FED__PEER_LEN];
	void *principal;
	const void *decision;
	int64_t deadline_ms; // monotonic
	// The arena: [next, end) is free in the current block, which is
	// `first` until that is full; heap blocks are listed in `blocks`.
	unsigned char *next, *end;
	struct fed__rpc_block *blocks;
	size_t block_size; // of the last heap block
	ProtobufCAllocator pb; // decodes into the arena (fed__rpc_call_init)
	struct fed__rpc_deferred *deferred;
	size_t n_deferred, cap_deferred;
	char err[FED__RPC_ERR_LEN];
	_Alignas(max_align_t) unsigned char first[FED__RPC_ARENA_FIRST];
};

// Prepares a call (on the stack or in a context) for its request: empty
// arena, no token, unknown method.
void fed__rpc_call_init(fed_rpc_ctx *call);

// Runs the deferred functions, then frees the arena's heap blocks. The
// call may be initialised again afterwards.
void fed__rpc_call_release(fed_rpc_ctx *call);

// len bytes of the arena, not zeroed; NULL when memory is short.
void *fed__rpc_call_raw(fed_rpc_ctx *call, size_t len);

#endif
