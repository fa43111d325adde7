// SPDX-License-Identifier: MIT
//
// spool_internal.h: what spool.c (appending, reading, acknowledging) and
// spool_recover.c (opening and recovering a directory) share: the on-disk
// constants, the in-memory state and the byte helpers.

#ifndef FED_SPOOL_INTERNAL_H
#define FED_SPOOL_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fed/spool.h"

#define SPOOL_SEG_MAGIC    "EFSPOOL1"
#define SPOOL_CURSOR_MAGIC "EFSPCUR1"
#define SPOOL_SEG_HDR      16u // magic, u64 segment id
#define SPOOL_REC_HDR      8u // u32 length, u32 CRC32C
#define SPOOL_CURSOR_LEN   28u // magic, u64 segment, u64 offset, u32 CRC32C
#define SPOOL_NAME_LEN     32u // "seg-" 16 hex digits ".log" NUL, rounded

struct spool_seg {
	uint64_t id;
	uint64_t end; // offset past the last valid record
	uint64_t n_live; // records not yet acknowledged
	uint64_t live_bytes; // their bytes, record headers included
	bool sealed; // no more appends (rotated, or damaged)
};

struct fed_spool {
	pthread_mutex_t mu;
	pthread_cond_t cv; // records became durable
	pthread_cond_t flush_cv; // wakes the group-commit thread
	pthread_t flusher;
	bool has_flusher;
	bool stop;
	fed_spool_opts opts;
	int dirfd;
	int lockfd;
	struct spool_seg *segs; // oldest first; the last may be active
	size_t n_segs;
	size_t cap_segs;
	int wfd; // the active segment, -1 when none is open
	int rfd; // a cached read descriptor, for segment rfd_id
	uint64_t rfd_id;
	uint64_t next_id; // the next segment's id
	fed_spool_cursor ack; // acknowledged up to here (memory)
	fed_spool_cursor ack_disk; // ... and in the cursor file
	fed_spool_cursor durable; // records before this are synced
	bool dirty; // records written but not synced
	bool cursor_dirty; // ack != ack_disk
	bool failed; // an fsync failed: refuse appends
	uint64_t n_pending;
	uint64_t pending_bytes;
	fed_spool_cursor peeked; // the record the last peek returned ...
	fed_spool_cursor peeked_next; // ... and the cursor past it
	bool has_peeked;
	fed_spool_stats stats;
	uint8_t *rbuf; // peek's buffer
	size_t rbuf_cap;
	uint8_t *wbuf; // append's buffer (header and payload in one write)
	size_t wbuf_cap;
};

// CRC32C (Castagnoli), continuing from crc (0 to start).
uint32_t fed__spool_crc32c(uint32_t crc, const void *buf, size_t len);

// "seg-%016x.log" into name (SPOOL_NAME_LEN bytes).
void fed__spool_seg_name(char *name, uint64_t id);

// Appends seg to sp->segs. RESOURCE_EXHAUSTED when memory is short.
fed_status fed__spool_seg_push(fed_spool *sp, const struct spool_seg *seg);

// Reads the directory: cursor, segments (checked record by record, torn
// tail truncated, corrupt rests skipped) into sp, whose dirfd, opts and
// lock are set. Logs what it repairs. INTERNAL on an I/O error.
fed_status fed__spool_recover(fed_spool *sp);

static inline void
fed__spool_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static inline void
fed__spool_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static inline uint32_t
fed__spool_get32(const uint8_t *p)
{
	return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
	    | (uint32_t) p[3] << 24;
}

static inline uint64_t
fed__spool_get64(const uint8_t *p)
{
	return (uint64_t) fed__spool_get32(p)
	    | (uint64_t) fed__spool_get32(p + 4) << 32;
}

#endif // FED_SPOOL_INTERNAL_H
