// SPDX-License-Identifier: MIT
//
// store_codec.h: the block encoding of fed-node's series store.
//
// A block holds the points of one series in one time window, sorted by
// strictly increasing timestamp. It is encoded in two column streams and the
// whole is compressed with zstd:
//
//   u8      format (1)
//   varint  n, the number of points
//   u8      value mode: 0 = integers as zigzag deltas, 1 = integers as
//           zigzag values, 2 = doubles as XOR-with-previous byte planes,
//           3 = integers as zigzag deltas-of-deltas
//   ts      zigzag varint of ts[0], then of ts[1]-ts[0], then the
//           delta-of-delta of each following timestamp (0 for a regular
//           series, one byte that zstd then squeezes to nearly nothing)
//   values  mode 0/1/3: one zigzag varint per point (of v[i]-v[i-1], v[i],
//           or (v[i]-v[i-1])-(v[i-1]-v[i-2]) from the third point on);
//           mode 2: 8 planes of n bytes, plane k holding byte k of
//           bits(v[i]) ^ bits(v[i-1]), so that zstd sees runs of zero bytes
//
// Integer modes are used only when every value is an integer of magnitude
// at most 2^53 and none is negative zero, so every value round-trips
// bit-exactly. Among modes 0, 1 and 3 the encoder picks the one with the
// fewest significant bits in total (noisy consumption favours deltas or
// plain values, smooth curves such as clear-sky PV or a steadily rising
// index favour deltas-of-deltas).
//
// A node_codec is scratch memory plus zstd contexts: one per thread (the
// store keeps one per sqlite connection). Not thread-safe.

#ifndef NODE_STORE_CODEC_H
#define NODE_STORE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"

// The most points a block may hold; decoding rejects more as DATA_LOSS.
#define NODE_CODEC_MAX_POINTS (1u << 20)

// A growable column pair: ts_ms[i] goes with value[i].
typedef struct node_points {
	int64_t *ts_ms;
	double *value;
	size_t n;
	size_t cap;
} node_points;

// Initialises an empty set (no allocation).
void node_points_init(node_points *p);

// Frees the arrays; the struct may be reused after node_points_init.
void node_points_fini(node_points *p);

// Ensures room for `cap` points. RESOURCE_EXHAUSTED when out of memory;
// the contents are kept either way.
fed_status node_points_reserve(node_points *p, size_t cap);

// Appends one point (growing as needed). RESOURCE_EXHAUSTED when out of
// memory.
fed_status node_points_push(node_points *p, int64_t ts_ms, double value);

typedef struct node_codec node_codec;

// Creates a codec compressing at zstd `level` (1..19; 3 is a good
// trade-off). INVALID_ARGUMENT for a level out of range,
// RESOURCE_EXHAUSTED when out of memory. *out is owned by the caller
// (node_codec_free).
fed_status node_codec_new(int level, node_codec **out);

// Frees a codec; NULL does nothing.
void node_codec_free(node_codec *c);

// Encodes n points (1..NODE_CODEC_MAX_POINTS, ts strictly increasing: the
// caller guarantees it, asserted) into a compressed block. On OK, *out
// points into the codec's scratch memory, valid until the next call on c.
// RESOURCE_EXHAUSTED when out of memory, INTERNAL if zstd fails.
fed_status node_codec_encode(node_codec *c, const int64_t *ts_ms,
    const double *value, size_t n, const uint8_t **out, size_t *out_len);

// Decodes a block and appends its points to *pts (after any already there).
// DATA_LOSS for a buffer that is not a valid block (bad frame, bad format
// byte, truncated stream, timestamps not increasing, more than
// NODE_CODEC_MAX_POINTS), RESOURCE_EXHAUSTED when out of memory. *pts is
// unchanged on error.
fed_status node_codec_decode(
    node_codec *c, const uint8_t *buf, size_t len, node_points *pts);

#ifdef FED_TESTING
// The value mode the encoder picks for these values (0 to 3 as above).
int choose_mode(const double *value, size_t n);
#endif

#endif // NODE_STORE_CODEC_H
