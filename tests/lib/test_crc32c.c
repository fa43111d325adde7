// SPDX-License-Identifier: MIT
//
// test_crc32c.c: the tree's one CRC-32C (fed/crc32c.h). The standard check
// value; incremental updates equal to the CRC of the whole at every split
// point; the eight-byte path against a bit-at-a-time reference at every
// length and alignment (so that slicing-by-8 can never drift from the
// format on disk); and the two field encoders.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "fed/crc32c.h"

// The definition, one bit at a time.
static uint32_t
reference(uint32_t crc, const uint8_t *p, size_t len)
{
	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
	}
	return ~crc;
}

static void
test_check_value(void **state)
{
	(void) state;
	// RFC 3720, B.4; the "check" of the CRC catalogue.
	assert_int_equal(fed_crc32c(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(fed_crc32c(0, "", 0), 0);
	assert_int_equal(fed_crc32c(0, NULL, 0), 0);
	// RFC 3720, B.4: 32 bytes of zeros, of 0xff, ascending.
	uint8_t b[32];
	memset(b, 0, sizeof(b));
	assert_int_equal(fed_crc32c(0, b, sizeof(b)), 0x8a9136aau);
	memset(b, 0xff, sizeof(b));
	assert_int_equal(fed_crc32c(0, b, sizeof(b)), 0x62a8ab43u);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t) i;
	assert_int_equal(fed_crc32c(0, b, sizeof(b)), 0x46dd794eu);
}

static void
test_incremental(void **state)
{
	(void) state;
	static const char s[] = "123456789";
	for (size_t cut = 0; cut <= 9; cut++) {
		uint32_t c = fed_crc32c(0, s, cut);
		assert_int_equal(fed_crc32c(c, s + cut, 9 - cut), 0xe3069283u);
	}
	uint32_t c = fed_crc32c(0, "1234", 4);
	c = fed_crc32c(c, "", 0); // an empty piece changes nothing
	assert_int_equal(fed_crc32c(c, "56789", 5), 0xe3069283u);
	// Byte by byte, then on a longer text split in three.
	c = 0;
	for (size_t i = 0; i < 9; i++)
		c = fed_crc32c(c, s + i, 1);
	assert_int_equal(c, 0xe3069283u);
	uint8_t big[1000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t) (i * 131 + 7);
	uint32_t whole = fed_crc32c(0, big, sizeof(big));
	c = fed_crc32c(0, big, 13);
	c = fed_crc32c(c, big + 13, 500);
	assert_int_equal(fed_crc32c(c, big + 513, 487), whole);
}

static void
test_against_reference(void **state)
{
	(void) state;
	uint8_t buf[300];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t) (x >> 16);
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= 80; len++)
			assert_int_equal(fed_crc32c(7, buf + off, len),
			    reference(7, buf + off, len));
	assert_int_equal(
	    fed_crc32c(0, buf, sizeof(buf)), reference(0, buf, sizeof(buf)));
}

static void
test_fields(void **state)
{
	(void) state;
	// An int64 is its 8 little-endian bytes.
	static const uint8_t le[8]
	    = {0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
	assert_int_equal(fed_crc32c_i64(0, INT64_C(0x0102030405060708)),
	    fed_crc32c(0, le, 8));
	static const uint8_t m1[8]
	    = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	assert_int_equal(fed_crc32c_i64(0, -1), fed_crc32c(0, m1, 8));
	// A field is its length (4 bytes, little-endian), then its bytes.
	static const uint8_t f[7] = {3, 0, 0, 0, 'a', 'b', 'c'};
	assert_int_equal(fed_crc32c_field(0, "abc", 3), fed_crc32c(0, f, 7));
	uint32_t ab_c = fed_crc32c_field(fed_crc32c_field(0, "ab", 2), "c", 1);
	uint32_t a_bc = fed_crc32c_field(fed_crc32c_field(0, "a", 1), "bc", 2);
	assert_int_not_equal(ab_c, a_bc);
	assert_int_not_equal(fed_crc32c_field(0, NULL, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_value),
	    cmocka_unit_test(test_incremental),
	    cmocka_unit_test(test_against_reference),
	    cmocka_unit_test(test_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
