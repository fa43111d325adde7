// SPDX-License-Identifier: MIT
//
// codec.c: zstd compression of bodies and bounded decoding.
//
// Decompression never trusts a frame's declared content size: the output
// buffer is capped at max_len and a frame that needs more is refused, so a
// 40-byte "zstd bomb" cannot make the process allocate gigabytes.

#include "fed/codec.h"

#include <pthread.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "fed/log.h"

// The zstd boundary: logs the native error, returns the enfed status.
static fed_status
zstd_status(size_t rc, fed_status st, const char *what)
{
	fed_log(FED_LOG_DEBUG, "codec", "%s: zstd error %s", what,
	    ZSTD_getErrorName(rc));
	return st;
}

// One compression context per thread, kept for the thread's life:
// ZSTD_compress() would allocate and zero several hundred KiB per call,
// which costs more than compressing a 4 KiB body.
static _Thread_local ZSTD_CCtx *tl_cctx;
static pthread_key_t cctx_key;
static pthread_once_t cctx_once = PTHREAD_ONCE_INIT;

static void
cctx_destroy(void *p)
{
	ZSTD_freeCCtx(p);
}

static void
cctx_key_init(void)
{
	pthread_key_create(&cctx_key, cctx_destroy);
}

static ZSTD_CCtx *
thread_cctx(void)
{
	if (tl_cctx == NULL) {
		pthread_once(&cctx_once, cctx_key_init);
		tl_cctx = ZSTD_createCCtx();
		if (tl_cctx != NULL)
			pthread_setspecific(
			    cctx_key, tl_cctx); // freed at exit
	}
	return tl_cctx;
}

fed_status
fed_codec_compress(
    const uint8_t *in, size_t len, int level, uint8_t **out, size_t *out_len)
{
	ZSTD_CCtx *cctx = thread_cctx();
	if (cctx == NULL)
		return FED_RESOURCE_EXHAUSTED;
	size_t cap = ZSTD_compressBound(len);
	uint8_t *buf = malloc(cap > 0 ? cap : 1);
	if (buf == NULL)
		return FED_RESOURCE_EXHAUSTED;
	size_t rc = ZSTD_compressCCtx(
	    cctx, buf, cap, in, len, level > 0 ? level : 1);
	if (ZSTD_isError(rc)) {
		free(buf);
		return zstd_status(rc, FED_INTERNAL, "compress");
	}
	*out = buf;
	*out_len = rc;
	return FED_OK;
}

// Streams the frame into a buffer that grows up to max_len. Used whatever the
// header says, so a lying content size changes nothing.
static fed_status
inflate_bounded(ZSTD_DCtx *dctx, const uint8_t *in, size_t len, size_t max_len,
    uint8_t **out, size_t *out_len)
{
	size_t cap = len * 4 < 4096 ? 4096 : len * 4;
	if (cap > max_len)
		cap = max_len > 0 ? max_len : 1;
	uint8_t *buf = malloc(cap);
	if (buf == NULL)
		return FED_RESOURCE_EXHAUSTED;
	ZSTD_inBuffer ib = {in, len, 0};
	ZSTD_outBuffer ob = {buf, cap, 0};
	fed_status st = FED_OK;
	for (;;) {
		size_t rc = ZSTD_decompressStream(dctx, &ob, &ib);
		if (ZSTD_isError(rc)) {
			st = zstd_status(
			    rc, FED_INVALID_ARGUMENT, "decompress");
			break;
		}
		if (rc == 0) {
			// One frame only: trailing bytes are an error.
			if (ib.pos != ib.size)
				st = FED_INVALID_ARGUMENT;
			break;
		}
		if (ob.pos < ob.size) {
			// zstd wants more input but all was given: truncated.
			if (ib.pos == ib.size) {
				st = FED_INVALID_ARGUMENT;
				break;
			}
			continue;
		}
		if (cap >= max_len) {
			st = FED_RESOURCE_EXHAUSTED;
			break;
		}
		size_t ncap = cap * 2 > max_len ? max_len : cap * 2;
		uint8_t *nbuf = realloc(buf, ncap);
		if (nbuf == NULL) {
			st = FED_RESOURCE_EXHAUSTED;
			break;
		}
		buf = nbuf;
		cap = ncap;
		ob.dst = buf;
		ob.size = cap;
	}
	if (st != FED_OK) {
		free(buf);
		return st;
	}
	*out = buf;
	*out_len = ob.pos;
	return FED_OK;
}

fed_status
fed_codec_decompress(const uint8_t *in, size_t len, size_t max_len,
    uint8_t **out, size_t *out_len)
{
	unsigned long long claimed = ZSTD_getFrameContentSize(in, len);
	if (claimed == ZSTD_CONTENTSIZE_ERROR)
		return FED_INVALID_ARGUMENT;
	if (claimed != ZSTD_CONTENTSIZE_UNKNOWN && claimed > max_len)
		return FED_RESOURCE_EXHAUSTED;
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	if (dctx == NULL)
		return FED_RESOURCE_EXHAUSTED;
	// Window size bounds the decoder's own memory (27 = 128 MiB max).
	ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, 27);
	fed_status st = inflate_bounded(dctx, in, len, max_len, out, out_len);
	ZSTD_freeDCtx(dctx);
	return st;
}

fed_status
fed_codec_pack(const fed_codec_opts *opts, const ProtobufCMessage *msg,
    uint8_t **out, size_t *out_len, fed_codec *codec)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	if (len > opts->max_len)
		return FED_RESOURCE_EXHAUSTED;
	uint8_t *buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		return FED_RESOURCE_EXHAUSTED;
	protobuf_c_message_pack(msg, buf);
	*codec = FED_CODEC_NONE;
	if (opts->compress_threshold > 0 && len >= opts->compress_threshold) {
		uint8_t *z = NULL;
		size_t zlen = 0;
		if (fed_codec_compress(buf, len, opts->zstd_level, &z, &zlen)
		        == FED_OK
		    && zlen < len) {
			free(buf);
			buf = z;
			len = zlen;
			*codec = FED_CODEC_ZSTD;
		} else {
			free(z);
		}
	}
	*out = buf;
	*out_len = len;
	return FED_OK;
}

fed_status
fed_codec_unpack(const fed_codec_opts *opts,
    const ProtobufCMessageDescriptor *desc, fed_codec codec,
    const uint8_t *body, size_t len, ProtobufCMessage **msg)
{
	return fed_codec_unpack_with(opts, desc, codec, body, len, NULL, msg);
}

fed_status
fed_codec_unpack_with(const fed_codec_opts *opts,
    const ProtobufCMessageDescriptor *desc, fed_codec codec,
    const uint8_t *body, size_t len, ProtobufCAllocator *alloc,
    ProtobufCMessage **msg)
{
	uint8_t *plain = NULL;
	size_t plain_len = len;
	if (codec == FED_CODEC_ZSTD) {
		FED_TRY(fed_codec_decompress(
		    body, len, opts->max_len, &plain, &plain_len));
		body = plain;
	} else if (codec != FED_CODEC_NONE) {
		return FED_INVALID_ARGUMENT;
	} else if (len > opts->max_len) {
		return FED_RESOURCE_EXHAUSTED;
	}
	ProtobufCMessage *m
	    = protobuf_c_message_unpack(desc, alloc, plain_len, body);
	free(plain);
	if (m == NULL)
		return FED_INVALID_ARGUMENT;
	*msg = m;
	return FED_OK;
}
