// SPDX-License-Identifier: MIT
//
// fed/spool.h: the edge collectors' store-and-forward spool.
//
// A collector appends every batch of points (opaque bytes: packed
// enfed.v1.IngestRequest messages) to the spool before sending it, and
// acknowledges it only once the node has stored it. The node's Ingest is
// idempotent on (series, ts), so resending after a crash is harmless:
// at-least-once delivery plus idempotent ingest gives exactly-once storage.
//
// On disk, a spool is one directory (docs/spool.md has the details):
//   seg-<16 hex digits>.log  append-only segments, a 16-byte header
//                            ("EFSPOOL2" + the segment id) then records:
//                            u32 marker, u32 length, u32 CRC32C(payload),
//                            u32 CRC32C(the 12 bytes before), payload
//                            (all little-endian); "EFSPOOL1" segments of
//                            older versions are still read
//   cursor                   "acknowledged up to (segment, offset)",
//                            replaced atomically (temporary file, fsync,
//                            rename, fsync of the directory)
//   LOCK                     held with flock() while the spool is open
//
// Durability: in FED_SPOOL_SYNC_EACH mode, fed_spool_append() returns after
// the record is fdatasync()ed and every ack rewrites the cursor file. In
// FED_SPOOL_SYNC_GROUP mode a background thread syncs the segment and the
// cursor at most group_ms after a change (group commit); an append that
// returned is durable only once that happened. Either way fed_spool_peek()
// only ever hands out durable records, so nothing is sent that a power cut
// could take back. A lost ack (cursor not yet synced) only means a resend.
//
// Full spool: when the unacknowledged records would pass max_bytes, append
// fails with FED_RESOURCE_EXHAUSTED and stores nothing; nothing is ever
// dropped silently. The collector decides (keep the batch in memory, retry
// later, count the loss).
//
// Recovery at open: a damaged record (disk corruption) costs that record
// only: reading resynchronises on the next position where a whole record
// (marker, header CRC, payload CRC) verifies; the damaged bytes are
// skipped (never truncated), counted (n_corrupt, n_records_lost) and
// logged. Only a damaged or incomplete record with no valid record after
// it, at the end of the newest segment, is a torn tail left by a crash
// mid-write: truncated away, counted (n_torn) and logged. A segment whose
// header is bad is skipped whole. Records are checked again when peeked; a
// corrupt record is never handed out. Open never fails on bad data, only
// on I/O.
//
// Threads: every call takes the spool's mutex (held across the fsync of a
// SYNC_EACH append or ack), so calls from several threads are safe; the
// design case is one appender thread and one sender thread (which may read
// ahead of its acknowledgement with fed_spool_peek_after), and appends
// from several threads at once queue for that mutex, one fsync each
// (docs/spool.md, "Group commit of concurrent appends"). A spool belongs
// to one process: a second open of the same directory, in this or another
// process, gets FED_FAILED_PRECONDITION.

#ifndef FED_SPOOL_H
#define FED_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"

typedef struct fed_spool fed_spool;

// The hard limit on one record's payload, whatever the options say.
#define FED_SPOOL_RECORD_MAX (64u << 20)

// What a record takes on disk beyond its payload (its header), as counted
// by max_bytes and fed_spool_pending().
#define FED_SPOOL_RECORD_OVERHEAD 16u

typedef enum fed_spool_sync_mode {
	FED_SPOOL_SYNC_EACH = 0, // fdatasync every append, persist every ack
	FED_SPOOL_SYNC_GROUP = 1, // a thread syncs within group_ms of a change
} fed_spool_sync_mode;

typedef struct fed_spool_opts {
	fed_spool_sync_mode sync;
	uint32_t group_ms; // SYNC_GROUP: longest delay before a sync, 1..10000
	uint64_t segment_bytes; // a segment is rotated past this size (a
	                        // larger record gets a segment of its own);
	                        // at least 4096
	uint64_t max_bytes; // cap on unacknowledged record bytes (16-byte
	                    // headers included); at least segment_bytes
	uint32_t max_record_len; // largest payload accepted by append,
	                         // 1..FED_SPOOL_RECORD_MAX
} fed_spool_opts;

// Defaults: sync each, group 20 ms, 4 MiB segments, 64 MiB cap, 1 MiB
// records.
#define FED_SPOOL_OPTS_DEFAULT                                     \
	{                                                          \
		.sync = FED_SPOOL_SYNC_EACH, .group_ms = 20,       \
		.segment_bytes = 4u << 20, .max_bytes = 64u << 20, \
		.max_record_len = 1u << 20,                        \
	}

// A position in the spool: the offset just past a record, as returned by
// fed_spool_peek(), to be passed to fed_spool_ack().
typedef struct fed_spool_cursor {
	uint64_t segment;
	uint64_t offset;
} fed_spool_cursor;

// What recovery and reading have found since open.
typedef struct fed_spool_stats {
	uint64_t n_torn; // torn tails truncated at open
	uint64_t n_corrupt; // damaged stretches or segment headers skipped
	uint64_t n_records_lost; // unacknowledged records in them: a
	                         // stretch counts the good headers in it (at
	                         // least one), a skipped segment one
	uint64_t bytes_dropped; // bytes truncated or skipped for both reasons
	uint64_t n_segments; // segment files now in the directory
} fed_spool_stats;

// Opens (creating it if missing, one level) the spool directory `dir` and
// recovers it as described above. opts NULL means the defaults. On success
// *out is a new spool the caller closes with fed_spool_close().
// INVALID_ARGUMENT for bad options (message logged); FAILED_PRECONDITION
// when another open spool holds the directory's lock; NOT_FOUND when dir's
// parent does not exist; INTERNAL for other I/O errors (errno logged).
// Blocks while it reads every segment once.
fed_status fed_spool_open(
    const char *dir, const fed_spool_opts *opts, fed_spool **out);

// Syncs what is pending (segment and cursor), stops the group-commit
// thread, releases the lock and frees sp. NULL does nothing. No other call
// on sp may be running or follow.
void fed_spool_close(fed_spool *sp);

// Appends one record (buf[0..len) is copied; the caller keeps buf).
// SYNC_EACH: durable when this returns OK. SYNC_GROUP: durable within
// group_ms. INVALID_ARGUMENT for len 0 or past max_record_len;
// RESOURCE_EXHAUSTED when the cap would be passed or the disk is full
// (nothing stored); INTERNAL on another I/O error, and for good after an
// fsync failure (the kernel may have dropped the data: reopen the spool).
fed_status fed_spool_append(fed_spool *sp, const uint8_t *buf, size_t len);

// The oldest unacknowledged durable record: *buf points into the spool's
// own buffer (borrowed: valid until the next peek, ack or close on sp) of
// *len bytes; *next is the cursor to acknowledge it with. Peeking again
// without ack returns the same record. NOT_FOUND when nothing durable is
// pending; INTERNAL on a read error. A record whose CRC fails now is
// skipped up to the next good record (counted, logged), never returned.
fed_status fed_spool_peek(
    fed_spool *sp, const uint8_t **buf, size_t *len, fed_spool_cursor *next);

// The durable unacknowledged record that follows another one, for a sender
// that keeps several records in flight: `after` is the *next cursor that
// fed_spool_peek or fed_spool_peek_after returned for the record before
// (a cursor at or before the acknowledgement, e.g. {0, 0}, names the
// oldest record: this is then fed_spool_peek). *buf, *len and *next as for
// fed_spool_peek (borrowed until the next peek, ack or close). Reading
// ahead changes nothing: acks still name cursors in order, and damage is
// handled only once the oldest record reaches it (a record ahead that
// fails its check ends the read-ahead: NOT_FOUND). NOT_FOUND when no
// durable record follows; INVALID_ARGUMENT for a cursor in no segment;
// INTERNAL on a read error.
fed_status fed_spool_peek_after(fed_spool *sp, fed_spool_cursor after,
    const uint8_t **buf, size_t *len, fed_spool_cursor *next);

// Acknowledges every record before `next` (a cursor from fed_spool_peek).
// A cursor at or before the current acknowledgement is a no-op (OK).
// Segments wholly acknowledged are deleted once the cursor is on disk.
// INVALID_ARGUMENT for a cursor that is not a record boundary of a durable
// record; INTERNAL when the cursor file cannot be written (the ack holds
// in memory; after a restart those records are sent again).
fed_status fed_spool_ack(fed_spool *sp, fed_spool_cursor next);

// Blocks until a durable record is pending (OK) or timeout_ms passes
// (DEADLINE_EXCEEDED). timeout_ms < 0 waits for ever. For the sender
// thread.
fed_status fed_spool_wait(fed_spool *sp, int64_t timeout_ms);

// Forces what SYNC_GROUP would do later: syncs the segment and the cursor
// now. OK in both modes; INTERNAL on an I/O error.
fed_status fed_spool_sync(fed_spool *sp);

// The number of unacknowledged records and the bytes they take in the
// segments (record headers included), durable or not. sp is not
// NULL; either out-pointer may be.
void fed_spool_pending(fed_spool *sp, uint64_t *n_records, uint64_t *n_bytes);

// Counters of recovery and corruption since open (see fed_spool_stats).
// Neither pointer may be NULL.
void fed_spool_get_stats(fed_spool *sp, fed_spool_stats *st);

#endif // FED_SPOOL_H
