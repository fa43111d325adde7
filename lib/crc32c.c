// SPDX-License-Identifier: MIT
//
// crc32c.c: CRC-32C (fed/crc32c.h), eight bytes at a time from eight
// 256-entry tables built once ("slicing-by-8", portable C: about 1.8 GB/s
// where a byte at a time gives 0.36 GB/s). Table 0 is the classic
// byte-wise table; table t gives the effect of a byte followed by t zero
// bytes, so that one lookup per byte of a 64-bit word replaces eight
// dependent steps.

#include "fed/crc32c.h"

#include <pthread.h>

#define CRC32C_POLY 0x82f63b78u // reflected Castagnoli polynomial

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void
crc_table_build(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc_table[0][i] = c;
	}
	for (int t = 1; t < 8; t++)
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = crc_table[t - 1][i];
			crc_table[t][i] = crc_table[0][c & 0xff] ^ (c >> 8);
		}
}

// Eight bytes at p into the CRC (crc: the register, inverted).
static uint32_t
crc_word(uint32_t crc, const uint8_t *p)
{
	uint32_t lo = crc
	    ^ ((uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
	        | (uint32_t) p[3] << 24);
	return crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff]
	    ^ crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24]
	    ^ crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]]
	    ^ crc_table[0][p[7]];
}

uint32_t
fed_crc32c(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc_once, crc_table_build);
	const uint8_t *p = buf;
	uint32_t c = ~crc;
	size_t i = 0;
	for (; i + 8 <= len; i += 8)
		c = crc_word(c, p + i);
	for (; i < len; i++)
		c = crc_table[0][(c ^ p[i]) & 0xff] ^ (c >> 8);
	return ~c;
}

uint32_t
fed_crc32c_i64(uint32_t crc, int64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t) ((uint64_t) v >> (8 * i));
	return fed_crc32c(crc, b, sizeof(b));
}

uint32_t
fed_crc32c_field(uint32_t crc, const void *buf, size_t len)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t) ((uint64_t) len >> (8 * i));
	crc = fed_crc32c(crc, b, sizeof(b));
	return fed_crc32c(crc, buf, len);
}
