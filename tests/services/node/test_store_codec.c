// SPDX-License-Identifier: MIT
//
// test_store_codec.c: the block encoding of the series store round-trips
// timestamps and doubles bit-exactly in every value mode, stays small on
// regular data, and rejects corrupt or truncated blocks with DATA_LOSS.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>
#include <zstd.h>

#include "store_codec.h"

static int
setup(void **state)
{
	node_codec *c;
	if (node_codec_new(3, &c) != FED_OK)
		return -1;
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	node_codec_free(*state);
	return 0;
}

static uint64_t
bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	return u;
}

// Encodes, decodes and checks every bit; returns the encoded length.
static size_t
round_trip(node_codec *c, const int64_t *ts, const double *v, size_t n)
{
	const uint8_t *enc;
	size_t len;
	assert_int_equal(node_codec_encode(c, ts, v, n, &enc, &len), FED_OK);
	uint8_t *copy = malloc(len);
	memcpy(copy, enc, len);
	node_points p;
	node_points_init(&p);
	assert_int_equal(node_codec_decode(c, copy, len, &p), FED_OK);
	assert_int_equal(p.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(p.ts_ms[i], ts[i]);
		assert_int_equal(bits(p.value[i]), bits(v[i]));
	}
	node_points_fini(&p);
	free(copy);
	return len;
}

static void
test_doubles_exact(void **state)
{
	int64_t ts[] = {0, 1, 300000, 7289654399999};
	double v[] = {0.1, -0.0, 1e308, -4.9e-324};
	round_trip(*state, ts, v, 4);
	double w[] = {-123.456, 3.0, 2.5, 1.0 / 3.0};
	round_trip(*state, ts, w, 4);
	assert_int_equal(choose_mode(w, 4), 2);
}

static void
test_integers_exact(void **state)
{
	int64_t ts[] = {1000, 2000, 3500, 3501, 99999999};
	double big[] = {9007199254740992.0, -9007199254740992.0, 0, 1, -1};
	round_trip(*state, ts, big, 5);
	assert_int_equal(choose_mode(big, 5), 1);
	double index[] = {1e9, 1e9 + 12, 1e9 + 42, 1e9 + 44, 1e9 + 85};
	round_trip(*state, ts, index, 5);
	assert_int_equal(choose_mode(index, 5), 0);
	double ramp[] = {-5000, -4000, -2999, -1997, -1000};
	round_trip(*state, ts, ramp, 5);
	assert_int_equal(choose_mode(ramp, 5), 3);
	// Negative zero and 2^53 + 2 must not take the integer path.
	double nz[] = {-0.0};
	assert_int_equal(choose_mode(nz, 1), 2);
	double huge[] = {9007199254740994.0};
	assert_int_equal(choose_mode(huge, 1), 2);
	round_trip(*state, ts, huge, 1);
}

// A week of regular 5-minute integer data costs well under a byte a point.
static void
test_regular_series_small(void **state)
{
	enum {
		N = 2016
	};
	int64_t *ts = malloc(N * sizeof(*ts));
	double *v = malloc(N * sizeof(*v));
	for (size_t i = 0; i < N; i++) {
		ts[i] = 1700000000000 + (int64_t) i * 300000;
		v[i] = 100 + (double) ((i * 7) % 13);
	}
	size_t len = round_trip(*state, ts, v, N);
	assert_true(len < N / 4);
	free(ts);
	free(v);
}

static void
test_corrupt_rejected(void **state)
{
	node_codec *c = *state;
	int64_t ts[] = {10, 20, 30};
	double v[] = {1.5, 2.5, 3.5};
	const uint8_t *enc;
	size_t len;
	assert_int_equal(node_codec_encode(c, ts, v, 3, &enc, &len), FED_OK);
	uint8_t *copy = malloc(len);
	memcpy(copy, enc, len);
	node_points p;
	node_points_init(&p);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(
		    node_codec_decode(c, copy, cut, &p), FED_DATA_LOSS);
	uint8_t junk[64];
	memset(junk, 0xa5, sizeof(junk));
	assert_int_equal(
	    node_codec_decode(c, junk, sizeof(junk), &p), FED_DATA_LOSS);
	assert_int_equal(p.n, 0);
	free(copy);
	node_points_fini(&p);
}

// Valid zstd frames holding bad block streams.
static void
test_bad_streams_rejected(void **state)
{
	node_codec *c = *state;
	static const uint8_t bad[][8] = {
	    {2, 1, 0, 0, 0}, // unknown format
	    {1, 0, 0}, // zero points
	    {1, 2, 0, 20, 0, 2, 4}, // second ts not after the first
	    {1, 1, 7, 2, 4}, // unknown value mode
	    {1, 2, 0, 2, 2, 2}, // values truncated
	    {1, 1, 0, 2, 2, 2, 2}, // trailing bytes
	    {1, 1, 2, 2, 1, 2, 3, 4}, // XOR planes too short
	    {1, 3, 3, 2, 2, 2, 2, 2}, // three deltas-of-deltas, two given
	};
	static const size_t lens[] = {5, 3, 7, 5, 6, 7, 8, 7};
	uint8_t frame[128];
	node_points p;
	node_points_init(&p);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t z
		    = ZSTD_compress(frame, sizeof(frame), bad[i], lens[i], 1);
		assert_false(ZSTD_isError(z));
		assert_int_equal(
		    node_codec_decode(c, frame, z, &p), FED_DATA_LOSS);
	}
	// The same shape, well formed, decodes: the checks above are the
	// stream's, not the frame's.
	static const uint8_t good[] = {1, 2, 0, 20, 2, 2, 4};
	size_t z = ZSTD_compress(frame, sizeof(frame), good, sizeof(good), 1);
	assert_int_equal(node_codec_decode(c, frame, z, &p), FED_OK);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.ts_ms[1], 11);
	// Deltas-of-deltas: values 1, 1+1, 2+1+1.
	static const uint8_t dod[] = {1, 3, 3, 2, 2, 2, 2, 2, 2};
	z = ZSTD_compress(frame, sizeof(frame), dod, sizeof(dod), 1);
	p.n = 0;
	assert_int_equal(node_codec_decode(c, frame, z, &p), FED_OK);
	assert_int_equal(p.n, 3);
	assert_true(p.value[0] == 1 && p.value[1] == 2 && p.value[2] == 4);
	node_points_fini(&p);
}

// Random streams inside valid frames: decoding answers OK or DATA_LOSS,
// and whatever it accepts has increasing timestamps (ASan watches the
// rest).
static void
test_random_streams(void **state)
{
	node_codec *c = *state;
	uint64_t x = 88172645463325252u;
	uint8_t raw[64], frame[256];
	node_points p;
	node_points_init(&p);
	size_t n_ok = 0;
	for (int round = 0; round < 20000; round++) {
		size_t len = 3 + round % 60;
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			raw[i] = (uint8_t) x;
		}
		raw[0] = 1; // the format byte
		raw[1] = (uint8_t) (1 + raw[1] % 6); // a few points
		raw[2] %= 4; // a known mode
		size_t z = ZSTD_compress(frame, sizeof(frame), raw, len, 1);
		assert_false(ZSTD_isError(z));
		p.n = 0;
		fed_status st = node_codec_decode(c, frame, z, &p);
		assert_true(st == FED_OK || st == FED_DATA_LOSS);
		if (st != FED_OK)
			continue;
		n_ok++;
		for (size_t i = 1; i < p.n; i++)
			assert_true(p.ts_ms[i] > p.ts_ms[i - 1]);
	}
	node_points_fini(&p);
	assert_true(n_ok > 0);
}

static void
test_decode_appends(void **state)
{
	node_codec *c = *state;
	int64_t ts[] = {5, 6};
	double v[] = {7, 8};
	const uint8_t *enc;
	size_t len;
	assert_int_equal(node_codec_encode(c, ts, v, 2, &enc, &len), FED_OK);
	uint8_t copy[256];
	memcpy(copy, enc, len);
	node_points p;
	node_points_init(&p);
	assert_int_equal(node_points_push(&p, 1, 1), FED_OK);
	assert_int_equal(node_codec_decode(c, copy, len, &p), FED_OK);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.ts_ms[2], 6);
	assert_true(p.value[1] == 7);
	node_points_fini(&p);
	assert_int_equal(node_codec_new(0, &c), FED_INVALID_ARGUMENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_doubles_exact, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_integers_exact, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_regular_series_small, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_corrupt_rejected, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_bad_streams_rejected, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_random_streams, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_decode_appends, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
