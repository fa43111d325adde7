// SPDX-License-Identifier: MIT
//
// test_codec.c: compression round trips and the bounds of decompression.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zstd.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/codec.h"

static void
test_round_trip(void **state)
{
	(void) state;
	uint8_t in[10000];
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t) (i % 13);
	uint8_t *z = NULL, *out = NULL;
	size_t zlen = 0, out_len = 0;
	assert_int_equal(
	    fed_codec_compress(in, sizeof(in), 1, &z, &zlen), FED_OK);
	assert_true(zlen < sizeof(in) / 10);
	assert_int_equal(
	    fed_codec_decompress(z, zlen, sizeof(in), &out, &out_len), FED_OK);
	assert_int_equal(out_len, sizeof(in));
	assert_memory_equal(out, in, sizeof(in));
	free(out);
	// One byte short of the bound: refused.
	assert_int_equal(
	    fed_codec_decompress(z, zlen, sizeof(in) - 1, &out, &out_len),
	    FED_RESOURCE_EXHAUSTED);
	// Truncated at every length: an error, never a crash or a partial OK.
	for (size_t cut = 0; cut < zlen; cut++)
		assert_int_not_equal(
		    fed_codec_decompress(z, cut, sizeof(in), &out, &out_len),
		    FED_OK);
	// Trailing garbage after the frame.
	uint8_t *tail = malloc(zlen + 3);
	memcpy(tail, z, zlen);
	memcpy(tail + zlen, "abc", 3);
	assert_int_equal(
	    fed_codec_decompress(tail, zlen + 3, sizeof(in), &out, &out_len),
	    FED_INVALID_ARGUMENT);
	// Flipped bytes: an error or, if zstd cannot tell, bounded output.
	for (size_t i = 0; i < zlen; i++) {
		memcpy(tail, z, zlen);
		tail[i] ^= 0x5a;
		if (fed_codec_decompress(
		        tail, zlen, sizeof(in), &out, &out_len)
		    == FED_OK) {
			assert_true(out_len <= sizeof(in));
			free(out);
		}
	}
	free(tail);
	free(z);
}

static void
test_pack_threshold(void **state)
{
	(void) state;
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
	int64_t ts[1000];
	double v[1000];
	for (int i = 0; i < 1000; i++) {
		ts[i] = 1700000000000 + i * 300000;
		v[i] = i % 50;
	}
	sp.series_id = "kermelo/pv/energy";
	sp.ts_ms = ts;
	sp.value = v;
	sp.n_ts_ms = sp.n_value = 1000;
	fed_codec_opts o = FED_CODEC_OPTS_DEFAULT;
	uint8_t *buf = NULL;
	size_t len = 0;
	fed_codec codec;
	assert_int_equal(
	    fed_codec_pack(&o, &sp.base, &buf, &len, &codec), FED_OK);
	assert_int_equal(codec, FED_CODEC_ZSTD);
	ProtobufCMessage *m = NULL;
	assert_int_equal(
	    fed_codec_unpack(&o, &enfed__v1__series_points__descriptor, codec,
	        buf, len, &m),
	    FED_OK);
	Enfed__V1__SeriesPoints *back = (Enfed__V1__SeriesPoints *) m;
	assert_int_equal(back->n_ts_ms, 1000);
	assert_memory_equal(back->value, v, sizeof(v));
	protobuf_c_message_free_unpacked(m, NULL);
	free(buf);

	o.compress_threshold = 0; // never
	assert_int_equal(
	    fed_codec_pack(&o, &sp.base, &buf, &len, &codec), FED_OK);
	assert_int_equal(codec, FED_CODEC_NONE);
	free(buf);

	o.max_len = 100; // the packed message is larger
	assert_int_equal(fed_codec_pack(&o, &sp.base, &buf, &len, &codec),
	    FED_RESOURCE_EXHAUSTED);
	// A body over max_len is refused before decoding.
	uint8_t raw[200] = {0};
	assert_int_equal(
	    fed_codec_unpack(&o, &enfed__v1__series_points__descriptor,
	        FED_CODEC_NONE, raw, sizeof(raw), &m),
	    FED_RESOURCE_EXHAUSTED);
	assert_int_equal(
	    fed_codec_unpack(&o, &enfed__v1__series_points__descriptor,
	        (fed_codec) 7, raw, 10, &m),
	    FED_INVALID_ARGUMENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_pack_threshold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
