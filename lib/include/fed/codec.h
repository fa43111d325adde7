// SPDX-License-Identifier: MIT
//
// fed/codec.h: how protobuf bodies travel: packed, zstd-compressed past a
// threshold, and decoded with bounds.
//
// Compression is a property of one body (enfed.v1.Codec in the envelope), so
// a peer may send either form. Decompression is always bounded: a frame
// that would inflate past `max_len` is refused before more than max_len
// bytes are written, whatever its header claims. All functions are
// reentrant; none blocks.

#ifndef FED_CODEC_H
#define FED_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "fed/status.h"

// The enfed.v1.Codec values, repeated here so that callers need not include
// generated headers.
typedef enum fed_codec {
	FED_CODEC_NONE = 0,
	FED_CODEC_ZSTD = 1,
} fed_codec;

typedef struct fed_codec_opts {
	size_t compress_threshold; // bodies of at least this many bytes are
	                           // compressed; 0 = never compress
	int zstd_level; // 1 (fast) .. 19; 0 = default (1)
	size_t max_len; // largest decoded body accepted
	int compress_local; // RPC: also compress what goes to a peer on the
	                    // same machine (ipc://, inproc://, loopback);
	                    // 0 (default): there compression costs CPU and
	                    // saves nothing, so bodies go as they are
} fed_codec_opts;

// Defaults: threshold 1 KiB, level 1, max 16 MiB, not on local links.
#define FED_CODEC_OPTS_DEFAULT                               \
	{                                                    \
		.compress_threshold = 1024, .zstd_level = 1, \
		.max_len = 16u << 20,                        \
	}

// Compresses in[0..len) into a new heap buffer *out (caller frees with
// free()) of *out_len bytes. RESOURCE_EXHAUSTED when memory is short,
// INTERNAL on a zstd failure (logged).
fed_status fed_codec_compress(
    const uint8_t *in, size_t len, int level, uint8_t **out, size_t *out_len);

// Decompresses one zstd frame into a new heap buffer *out (caller frees) of
// *out_len bytes, refusing to produce more than max_len bytes:
// RESOURCE_EXHAUSTED for a frame that inflates (or claims to) past max_len,
// INVALID_ARGUMENT for data that is not one valid, complete zstd frame.
fed_status fed_codec_decompress(const uint8_t *in, size_t len, size_t max_len,
    uint8_t **out, size_t *out_len);

// Packs msg and compresses it when it reaches opts->compress_threshold and
// compression actually shrinks it. *out is a new heap buffer (caller frees)
// of *out_len bytes encoded as *codec. RESOURCE_EXHAUSTED when the packed
// message exceeds opts->max_len.
fed_status fed_codec_pack(const fed_codec_opts *opts,
    const ProtobufCMessage *msg, uint8_t **out, size_t *out_len,
    fed_codec *codec);

// Decodes a body encoded as `codec` into a new message of type desc; the
// caller frees *msg with protobuf_c_message_free_unpacked(*msg, NULL).
// INVALID_ARGUMENT for an unknown codec, a corrupt frame or a body that is
// not a valid message of that type; RESOURCE_EXHAUSTED past opts->max_len.
fed_status fed_codec_unpack(const fed_codec_opts *opts,
    const ProtobufCMessageDescriptor *desc, fed_codec codec,
    const uint8_t *body, size_t len, ProtobufCMessage **msg);

// fed_codec_unpack, with the message's memory from `alloc` (NULL: the
// heap); the caller frees *msg with protobuf_c_message_free_unpacked(*msg,
// alloc), or releases the arena behind alloc.
fed_status fed_codec_unpack_with(const fed_codec_opts *opts,
    const ProtobufCMessageDescriptor *desc, fed_codec codec,
    const uint8_t *body, size_t len, ProtobufCAllocator *alloc,
    ProtobufCMessage **msg);

#endif // FED_CODEC_H
