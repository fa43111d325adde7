// SPDX-License-Identifier: MIT
//
// fed/crc32c.h: the one CRC-32C of enfed (Castagnoli: reflected polynomial
// 0x82F63B78, initial value and final XOR 0xFFFFFFFF, as in iSCSI, ext4
// and SCTP; the check value of "123456789" is 0xE3069283). It seals the
// spool's records and cursor file (lib/spool*.c), fed-node's stored blocks
// (services/node/store_block.c) and the rows of the directory's and
// fed-invest's stores: these formats are on disk, so the function must
// never change.
//
// Pure functions of their arguments: any thread, no allocation. The tables
// are built once, on the first call (pthread_once).

#ifndef FED_CRC32C_H
#define FED_CRC32C_H

#include <stddef.h>
#include <stdint.h>

// The CRC-32C of len bytes at buf, continuing from crc: 0 to start, else
// the value a previous call returned, so that
// fed_crc32c(fed_crc32c(0, a, n), b, m) is the CRC of a's n bytes followed
// by b's m bytes. buf may be NULL when len is 0.
uint32_t fed_crc32c(uint32_t crc, const void *buf, size_t len);

// Continues crc over v as 8 little-endian bytes (two's complement).
uint32_t fed_crc32c_i64(uint32_t crc, int64_t v);

// Continues crc over a field of variable length: len as 4 little-endian
// bytes, then its bytes, so that fields "ab", "c" and "a", "bc" give
// different CRCs. len must be below 2^32.
uint32_t fed_crc32c_field(uint32_t crc, const void *buf, size_t len);

#endif // FED_CRC32C_H
