// SPDX-License-Identifier: MIT
//
// dir_arena.h: memory that is freed all at once, behind a
// ProtobufCAllocator, for directory records read outside an RPC call (the
// expiry thread's events, tests). Inside a call the RPC call's own memory
// plays this part.

#ifndef DIR_ARENA_H
#define DIR_ARENA_H

#include <protobuf-c/protobuf-c.h>

#include "fed/status.h"

typedef struct dir_arena dir_arena;

// Creates an empty arena. RESOURCE_EXHAUSTED when memory is short.
fed_status dir_arena_new(dir_arena **out);

// Frees the arena and everything allocated from it. NULL does nothing.
void dir_arena_free(dir_arena *a);

// The arena as a ProtobufCAllocator: alloc returns zeroed memory aligned
// for any type (NULL when memory is short), free does nothing (the memory
// goes with the arena). Borrowed: valid until dir_arena_free. Not
// thread-safe: one arena per thread.
ProtobufCAllocator *dir_arena_allocator(dir_arena *a);

#endif // DIR_ARENA_H
