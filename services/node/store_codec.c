// SPDX-License-Identifier: MIT
//
// store_codec.c: encodes and decodes the compressed point blocks of the
// series store (format in store_codec.h). Arithmetic on timestamps and
// integer values is done in uint64_t so that any input wraps instead of
// overflowing; a decoder fed garbage therefore never invokes undefined
// behaviour, it just yields DATA_LOSS or points that fail the checks.

#include "store_codec.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "fed/log.h"

#define FORMAT_V1       1
#define MODE_INT_DELTA  0
#define MODE_INT_PLAIN  1
#define MODE_XOR_PLANES 2
#define MODE_INT_DOD    3
#define MAX_EXACT_INT   9007199254740992.0 // 2^53

struct node_codec {
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	int level;
	uint8_t *raw; // uncompressed block
	size_t raw_cap;
	uint8_t *zbuf; // compressed block
	size_t zbuf_cap;
};

// A bounded reader over the raw stream.
typedef struct reader {
	const uint8_t *p;
	const uint8_t *end;
} reader;

void
node_points_init(node_points *p)
{
	memset(p, 0, sizeof(*p));
}

void
node_points_fini(node_points *p)
{
	free(p->ts_ms);
	free(p->value);
	node_points_init(p);
}

fed_status
node_points_reserve(node_points *p, size_t cap)
{
	if (cap <= p->cap)
		return FED_OK;
	size_t ncap = p->cap ? p->cap : 64;
	while (ncap < cap)
		ncap *= 2;
	int64_t *ts = realloc(p->ts_ms, ncap * sizeof(*ts));
	if (ts == NULL)
		return FED_RESOURCE_EXHAUSTED;
	p->ts_ms = ts;
	double *v = realloc(p->value, ncap * sizeof(*v));
	if (v == NULL)
		return FED_RESOURCE_EXHAUSTED;
	p->value = v;
	p->cap = ncap;
	return FED_OK;
}

fed_status
node_points_push(node_points *p, int64_t ts_ms, double value)
{
	if (p->n == p->cap)
		FED_TRY(node_points_reserve(p, p->n + 1));
	p->ts_ms[p->n] = ts_ms;
	p->value[p->n] = value;
	p->n++;
	return FED_OK;
}

fed_status
node_codec_new(int level, node_codec **out)
{
	if (level < 1 || level > 19)
		return FED_INVALID_ARGUMENT;
	node_codec *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return FED_RESOURCE_EXHAUSTED;
	c->level = level;
	c->cctx = ZSTD_createCCtx();
	c->dctx = ZSTD_createDCtx();
	if (c->cctx == NULL || c->dctx == NULL) {
		node_codec_free(c);
		return FED_RESOURCE_EXHAUSTED;
	}
	*out = c;
	return FED_OK;
}

void
node_codec_free(node_codec *c)
{
	if (c == NULL)
		return;
	ZSTD_freeCCtx(c->cctx);
	ZSTD_freeDCtx(c->dctx);
	free(c->raw);
	free(c->zbuf);
	free(c);
}

static fed_status
grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return FED_OK;
	uint8_t *nb = realloc(*buf, need);
	if (nb == NULL)
		return FED_RESOURCE_EXHAUSTED;
	*buf = nb;
	*cap = need;
	return FED_OK;
}

static uint64_t
zigzag(uint64_t v)
{
	return (v << 1) ^ (0 - (v >> 63));
}

static uint64_t
unzigzag(uint64_t z)
{
	return (z >> 1) ^ (0 - (z & 1));
}

static uint8_t *
put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t) v;
	return p;
}

static int
get_varint(reader *r, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (r->p == r->end)
			return -1;
		uint8_t b = *r->p++;
		x |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

static uint64_t
dbits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	return u;
}

static double
bitsd(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof(d));
	return d;
}

static int
is_exact_int(double v)
{
	if (!(fabs(v) <= MAX_EXACT_INT) || v != floor(v))
		return 0;
	return !(v == 0 && signbit(v));
}

static unsigned
bitlen(uint64_t v)
{
#if defined(__GNUC__)
	return v ? 64 - (unsigned) __builtin_clzll(v) : 0;
#else
	unsigned n = 0;
	while (v) {
		n++;
		v >>= 1;
	}
	return n;
#endif
}

// The value mode for these values: integer modes when exact, the one of
// plain, delta and delta-of-delta with the fewest significant bits.
FED_TESTABLE int
choose_mode(const double *value, size_t n)
{
	uint64_t bits[3] = {0, 0, 0}; // delta, plain, delta-of-delta
	uint64_t prev = 0, prev_delta = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_exact_int(value[i]))
			return MODE_XOR_PLANES;
		uint64_t v = (uint64_t) (int64_t) value[i];
		uint64_t delta = v - prev;
		bits[0] += bitlen(zigzag(delta));
		bits[1] += bitlen(zigzag(v));
		bits[2] += bitlen(zigzag(i < 2 ? delta : delta - prev_delta));
		prev_delta = delta;
		prev = v;
	}
	if (bits[2] < bits[0] && bits[2] < bits[1])
		return MODE_INT_DOD;
	return bits[0] <= bits[1] ? MODE_INT_DELTA : MODE_INT_PLAIN;
}

static uint8_t *
put_ts(uint8_t *p, const int64_t *ts, size_t n)
{
	uint64_t prev = 0, prev_delta = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t t = (uint64_t) ts[i];
		uint64_t delta = t - prev;
		p = put_varint(p, zigzag(i < 2 ? delta : delta - prev_delta));
		prev_delta = delta;
		prev = t;
	}
	return p;
}

// The integer residual of value i: v, v - prev or the delta-of-delta.
static uint64_t
int_residual(
    int mode, uint64_t v, uint64_t prev, uint64_t prev_delta, size_t i)
{
	if (mode == MODE_INT_PLAIN)
		return v;
	if (mode == MODE_INT_DOD && i >= 2)
		return v - prev - prev_delta;
	return v - prev;
}

static uint8_t *
put_values(uint8_t *p, const double *value, size_t n, int mode)
{
	uint64_t prev = 0, prev_delta = 0;
	if (mode == MODE_XOR_PLANES) {
		for (size_t i = 0; i < n; i++) {
			uint64_t x = dbits(value[i]) ^ prev;
			prev = dbits(value[i]);
			for (unsigned k = 0; k < 8; k++)
				p[k * n + i] = (uint8_t) (x >> (8 * k));
		}
		return p + 8 * n;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t v = (uint64_t) (int64_t) value[i];
		p = put_varint(
		    p, zigzag(int_residual(mode, v, prev, prev_delta, i)));
		prev_delta = v - prev;
		prev = v;
	}
	return p;
}

fed_status
node_codec_encode(node_codec *c, const int64_t *ts_ms, const double *value,
    size_t n, const uint8_t **out, size_t *out_len)
{
	assert(n >= 1 && n <= NODE_CODEC_MAX_POINTS);
	for (size_t i = 1; i < n; i++)
		assert(ts_ms[i] > ts_ms[i - 1]);
	FED_TRY(grow(&c->raw, &c->raw_cap, 12 + n * 20));
	int mode = choose_mode(value, n);
	uint8_t *p = c->raw;
	*p++ = FORMAT_V1;
	p = put_varint(p, n);
	*p++ = (uint8_t) mode;
	p = put_ts(p, ts_ms, n);
	p = put_values(p, value, n, mode);
	size_t raw_len = (size_t) (p - c->raw);
	FED_TRY(grow(&c->zbuf, &c->zbuf_cap, ZSTD_compressBound(raw_len)));
	size_t z = ZSTD_compressCCtx(
	    c->cctx, c->zbuf, c->zbuf_cap, c->raw, raw_len, c->level);
	if (ZSTD_isError(z)) {
		fed_log(FED_LOG_ERR, "store", "zstd compress: %s",
		    ZSTD_getErrorName(z));
		return FED_INTERNAL;
	}
	*out = c->zbuf;
	*out_len = z;
	return FED_OK;
}

// Decompresses into c->raw; DATA_LOSS for anything but one bounded frame.
static fed_status
inflate_block(node_codec *c, const uint8_t *buf, size_t len, size_t *raw_len)
{
	unsigned long long size = ZSTD_getFrameContentSize(buf, len);
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN
	    || size > 12 + (unsigned long long) NODE_CODEC_MAX_POINTS * 20)
		return FED_DATA_LOSS;
	FED_TRY(grow(&c->raw, &c->raw_cap, (size_t) size + 1));
	size_t got
	    = ZSTD_decompressDCtx(c->dctx, c->raw, (size_t) size, buf, len);
	if (ZSTD_isError(got) || got != size)
		return FED_DATA_LOSS;
	*raw_len = got;
	return FED_OK;
}

static int
get_ts(reader *r, int64_t *ts, size_t n)
{
	uint64_t prev = 0, prev_delta = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t z;
		if (get_varint(r, &z) != 0)
			return -1;
		uint64_t delta
		    = i < 2 ? unzigzag(z) : unzigzag(z) + prev_delta;
		uint64_t t = prev + delta;
		if ((int64_t) t < 0
		    || (i > 0 && (int64_t) t <= (int64_t) prev))
			return -1;
		ts[i] = (int64_t) t;
		prev_delta = delta;
		prev = t;
	}
	return 0;
}

static int
get_values(reader *r, double *value, size_t n, int mode)
{
	uint64_t prev = 0, prev_delta = 0;
	if (mode == MODE_XOR_PLANES) {
		if ((size_t) (r->end - r->p) / 8 < n)
			return -1;
		for (size_t i = 0; i < n; i++) {
			uint64_t x = 0;
			for (unsigned k = 0; k < 8; k++)
				x |= (uint64_t) r->p[k * n + i] << (8 * k);
			prev ^= x;
			value[i] = bitsd(prev);
		}
		r->p += 8 * n;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t z;
		if (get_varint(r, &z) != 0)
			return -1;
		uint64_t res = unzigzag(z), v;
		if (mode == MODE_INT_PLAIN)
			v = res;
		else if (mode == MODE_INT_DOD && i >= 2)
			v = prev + prev_delta + res;
		else
			v = prev + res;
		value[i] = (double) (int64_t) v;
		prev_delta = v - prev;
		prev = v;
	}
	return 0;
}

fed_status
node_codec_decode(
    node_codec *c, const uint8_t *buf, size_t len, node_points *pts)
{
	size_t raw_len;
	FED_TRY(inflate_block(c, buf, len, &raw_len));
	reader r = {c->raw, c->raw + raw_len};
	uint64_t n;
	if (raw_len < 3 || *r.p++ != FORMAT_V1 || get_varint(&r, &n) != 0
	    || n == 0 || n > NODE_CODEC_MAX_POINTS || r.p == r.end)
		return FED_DATA_LOSS;
	int mode = *r.p++;
	if (mode > MODE_INT_DOD)
		return FED_DATA_LOSS;
	FED_TRY(node_points_reserve(pts, pts->n + (size_t) n));
	int64_t *ts = pts->ts_ms + pts->n;
	double *v = pts->value + pts->n;
	if (get_ts(&r, ts, (size_t) n) != 0
	    || get_values(&r, v, (size_t) n, mode) != 0 || r.p != r.end)
		return FED_DATA_LOSS;
	pts->n += (size_t) n;
	return FED_OK;
}
