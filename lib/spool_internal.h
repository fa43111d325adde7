// SPDX-License-Identifier: MIT
//
// spool_internal.h: what spool.c (appending, reading, acknowledging) and
// spool_recover.c (opening and recovering a directory) share: the on-disk
// constants, the in-memory state, the record framing (spool_record.c) and
// the byte helpers.

#ifndef FED_SPOOL_INTERNAL_H
#define FED_SPOOL_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fed/spool.h"

#define SPOOL_SEG_MAGIC    "EFSPOOL2" // records framed as below
#define SPOOL_SEG_MAGIC_V1 "EFSPOOL1" // older: u32 length, u32 CRC32C
#define SPOOL_CURSOR_MAGIC "EFSPCUR1"
#define SPOOL_SEG_HDR      16u // magic, u64 segment id
// A record: u32 SPOOL_REC_MAGIC, u32 length, u32 CRC32C(payload), u32
// CRC32C(the 12 bytes before), payload. The magic and the header's own CRC
// let a reader find the next record after a damaged one.
#define SPOOL_REC_HDR    FED_SPOOL_RECORD_OVERHEAD
#define SPOOL_REC_MAGIC  0x43524645u // "EFRC" on disk
#define SPOOL_REC_HDR_V1 8u // u32 length, u32 CRC32C(length, payload)
#define SPOOL_CURSOR_LEN 28u // magic, u64 segment, u64 offset, u32 CRC32C
#define SPOOL_NAME_LEN   32u // "seg-" 16 hex digits ".log" NUL, rounded

// Bytes [off, end) of a segment that hold no valid record (damage found
// between two valid records): readers jump over them.
struct spool_gap {
	uint64_t off;
	uint64_t end;
};

struct spool_seg {
	uint64_t id;
	uint64_t end; // offset past the last valid record
	uint32_t rec_hdr; // SPOOL_REC_HDR, or SPOOL_REC_HDR_V1 (old segment)
	struct spool_gap *gaps; // owned, freed with the segment
	size_t n_gaps;
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

// Reads exactly len bytes at off (retrying short reads and EINTR); false
// on an error or at the end of the file.
bool fed__spool_pread_full(int fd, uint8_t *buf, size_t len, uint64_t off);

// "seg-%016x.log" into name (SPOOL_NAME_LEN bytes).
void fed__spool_seg_name(char *name, uint64_t id);

// Appends seg to sp->segs. RESOURCE_EXHAUSTED when memory is short.
fed_status fed__spool_seg_push(fed_spool *sp, const struct spool_seg *seg);

// What fed__spool_rec_check() found at an offset.
typedef enum spool_rec {
	SPOOL_REC_OK, // a whole record whose header and payload verify
	SPOOL_REC_BAD_BODY, // a good header, its payload cut short or damaged
	SPOOL_REC_BAD_HEAD, // no valid record header here
} spool_rec;

// Writes the header of a record of payload buf[0..len) into hdr
// (SPOOL_REC_HDR bytes).
void fed__spool_rec_header(uint8_t *hdr, const uint8_t *buf, size_t len);

// Checks the record at off of segment s (open as fd; bytes past `end` do
// not count). On OK the whole record (header, then payload) is in
// sp->rbuf. *rec_len is the record's size on disk (header included) when
// the header is good, else 0; *why says what is wrong otherwise. A read
// error counts as damage.
spool_rec fed__spool_rec_check(fed_spool *sp, int fd,
    const struct spool_seg *s, uint64_t off, uint64_t end, uint64_t *rec_len,
    const char **why);

// Looks for the first offset in (from, end) where a whole record verifies
// (fed__spool_rec_check OK) and sets *next to it; false when there is none
// (always false for an old segment, whose records carry no marker).
// *n_heads counts the good headers with a bad payload passed on the way.
bool fed__spool_resync(fed_spool *sp, int fd, const struct spool_seg *s,
    uint64_t from, uint64_t end, uint64_t *next, uint64_t *n_heads);

// Records gap [off, end) in s. RESOURCE_EXHAUSTED when memory is short.
fed_status fed__spool_gap_add(struct spool_seg *s, uint64_t off, uint64_t end);

// Moves *off past a gap of s that starts there (true); false when none
// does.
bool fed__spool_gap_jump(const struct spool_seg *s, uint64_t *off);

// -1, 0 or 1 as a is before, at or after b.
int fed__spool_pos_cmp(fed_spool_cursor a, fed_spool_cursor b);

// The segment of that id in sp->segs, or NULL.
struct spool_seg *fed__spool_seg_find(fed_spool *sp, uint64_t id);

// A read descriptor for segment id (the writer's for the active segment,
// else one cached descriptor, owned by sp). NOT_FOUND when the file is
// missing, INTERNAL on another error (logged).
fed_status fed__spool_read_fd(fed_spool *sp, uint64_t id, int *fd);

// Whether a durable record is pending (ack moved past sealed segments'
// ends first).
bool fed__spool_durable_pending(fed_spool *sp);

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
