// SPDX-License-Identifier: MIT
//
// dir_arena.c: a list of zeroed blocks, all freed by dir_arena_free.

#include "dir_arena.h"

#include <stddef.h>
#include <stdlib.h>

struct block {
	struct block *next;
	max_align_t data[]; // aligned for any type
};

struct dir_arena {
	ProtobufCAllocator pa;
	struct block *blocks;
};

static void *
arena_alloc(void *arg, size_t len)
{
	dir_arena *a = arg;
	struct block *b = calloc(1, sizeof(*b) + len);
	if (b == NULL)
		return NULL;
	b->next = a->blocks;
	a->blocks = b;
	return b->data;
}

static void
arena_nofree(void *arg, void *p)
{
	(void) arg;
	(void) p;
}

fed_status
dir_arena_new(dir_arena **out)
{
	dir_arena *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return FED_RESOURCE_EXHAUSTED;
	a->pa.alloc = arena_alloc;
	a->pa.free = arena_nofree;
	a->pa.allocator_data = a;
	*out = a;
	return FED_OK;
}

void
dir_arena_free(dir_arena *a)
{
	if (a == NULL)
		return;
	while (a->blocks != NULL) {
		struct block *b = a->blocks;
		a->blocks = b->next;
		free(b);
	}
	free(a);
}

ProtobufCAllocator *
dir_arena_allocator(dir_arena *a)
{
	return &a->pa;
}
