// SPDX-License-Identifier: MIT
//
// node_reply.c: repeated reply fields grown in call memory, and message
// copies freed after the reply is packed.

#include "node_reply.h"

#include <string.h>

void *
node_reply_grow(fed_rpc_ctx *call, void *arr, size_t n, size_t *cap)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void **na = fed_rpc_ctx_alloc(call, ncap * sizeof(void *));
	if (na == NULL)
		return NULL;
	if (n > 0)
		memcpy(na, arr, n * sizeof(void *));
	*cap = ncap;
	return na;
}

static void
free_copy(void *p)
{
	protobuf_c_message_free_unpacked(p, NULL);
}

void *
node_reply_copy(fed_rpc_ctx *call, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = fed_rpc_ctx_alloc(call, len + 1);
	if (buf == NULL)
		return NULL;
	protobuf_c_message_pack(m, buf);
	ProtobufCMessage *c
	    = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
	if (c == NULL || fed_rpc_ctx_defer(call, free_copy, c) != FED_OK)
		return NULL; // (a copy that could not be deferred is freed)
	return c;
}
