// SPDX-License-Identifier: MIT
//
// rpc_call.c: what a handler sees of its call (token, method, peer,
// principal, deadline), and the call's memory: one arena (see
// rpc_call_internal.h) and the functions deferred to its end.

#include <stdarg.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/clock.h"
#include "rpc_call_internal.h"

// A heap block of the arena. The first is FED__RPC_ARENA_FIRST bytes, each
// next one twice the last (up to 1 MiB), or as large as one allocation
// that needs more.
struct fed__rpc_block {
	struct fed__rpc_block *next;
	max_align_t data[];
};

#define BLOCK_MAX ((size_t) 1 << 20)

struct fed__rpc_deferred {
	void (*fn)(void *);
	void *p;
};

static void *
pb_alloc(void *arg, size_t len)
{
	return fed__rpc_call_raw(arg, len);
}

// Arena memory goes with the call; protobuf-c's frees do nothing.
static void
pb_free(void *arg, void *p)
{
	(void) arg;
	(void) p;
}

void
fed__rpc_call_init(fed_rpc_ctx *call)
{
	call->token = "";
	call->bad_token = 0;
	call->method = "";
	call->metric = -1;
	call->peer[0] = '\0';
	call->principal = NULL;
	call->decision = NULL;
	call->deadline_ms = 0;
	call->next = call->first;
	call->end = call->first + sizeof(call->first);
	call->blocks = NULL;
	call->block_size = 0;
	call->pb = (ProtobufCAllocator) {pb_alloc, pb_free, call};
	call->deferred = NULL;
	call->n_deferred = call->cap_deferred = 0;
	call->err[0] = '\0';
}

void *
fed__rpc_call_raw(fed_rpc_ctx *call, size_t len)
{
	const size_t align = alignof(max_align_t);
	if (len > SIZE_MAX - align)
		return NULL;
	size_t need = (len + align - 1) & ~(align - 1);
	if (need == 0)
		need = align;
	if ((size_t) (call->end - call->next) < need) {
		size_t size = call->block_size ? call->block_size * 2
		                               : FED__RPC_ARENA_FIRST;
		call->block_size = size < BLOCK_MAX ? size : BLOCK_MAX;
		size = need > call->block_size ? need : call->block_size;
		if (size > SIZE_MAX - sizeof(struct fed__rpc_block))
			return NULL;
		struct fed__rpc_block *b = malloc(sizeof(*b) + size);
		if (b == NULL)
			return NULL;
		b->next = call->blocks;
		call->blocks = b;
		call->next = (unsigned char *) b->data;
		call->end = call->next + size;
	}
	void *p = call->next;
	call->next += need;
	return p;
}

void *
fed_rpc_ctx_alloc(fed_rpc_ctx *call, size_t len)
{
	void *p = fed__rpc_call_raw(call, len);
	if (p != NULL)
		memset(p, 0, len);
	return p;
}

char *
fed_rpc_ctx_strdup(fed_rpc_ctx *call, const char *s)
{
	if (s == NULL)
		return NULL;
	size_t len = strlen(s) + 1;
	char *d = fed__rpc_call_raw(call, len);
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
		struct fed__rpc_deferred *nd
		    = realloc(call->deferred, ncap * sizeof(*nd));
		if (nd == NULL) {
			fn(p);
			return FED_RESOURCE_EXHAUSTED;
		}
		call->deferred = nd;
		call->cap_deferred = ncap;
	}
	call->deferred[call->n_deferred++]
	    = (struct fed__rpc_deferred) {fn, p};
	return FED_OK;
}

fed_status
fed_rpc_ctx_defer_free(fed_rpc_ctx *call, void *p)
{
	return fed_rpc_ctx_defer(call, free, p);
}

// The deferred functions run first, in the order they were registered, as
// they may read arena memory (a list whose length sits in the arena); the
// arena goes after them.
void
fed__rpc_call_release(fed_rpc_ctx *call)
{
	for (size_t i = 0; i < call->n_deferred; i++)
		call->deferred[i].fn(call->deferred[i].p);
	free(call->deferred);
	call->deferred = NULL;
	call->n_deferred = call->cap_deferred = 0;
	while (call->blocks != NULL) {
		struct fed__rpc_block *next = call->blocks->next;
		free(call->blocks);
		call->blocks = next;
	}
	call->next = call->first;
	call->end = call->first + sizeof(call->first);
	call->block_size = 0;
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
