// SPDX-License-Identifier: MIT
//
// spool_recover.c: opening a spool directory after a clean close or a
// crash. Reads the cursor, deletes segments it says are done, and checks
// every record of the others: a damaged record is stepped over up to the
// next good one (spool_record.c resynchronises), a bad record with no good
// one after it is the torn tail of the newest segment (truncated) or ends
// an older segment. Everything is counted in sp->stats and logged; bad
// data never makes open fail.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fed/crc32c.h"
#include "fed/log.h"
#include "spool_internal.h"

#define C "spool"

void
fed__spool_seg_name(char *name, uint64_t id)
{
	snprintf(name, SPOOL_NAME_LEN, "seg-%016" PRIx64 ".log", id);
}

// "seg-" + exactly 16 lower-case hex digits + ".log".
static int
parse_seg_name(const char *s, uint64_t *id)
{
	if (strlen(s) != 24 || strncmp(s, "seg-", 4) != 0
	    || strcmp(s + 20, ".log") != 0)
		return -1;
	uint64_t v = 0;
	for (int i = 4; i < 20; i++) {
		const char *hex = "0123456789abcdef";
		const char *d = strchr(hex, s[i]);
		if (d == NULL || s[i] == '\0')
			return -1;
		v = v << 4 | (uint64_t) (d - hex);
	}
	*id = v;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
	return x < y ? -1 : x > y;
}

static fed_status
list_segments(fed_spool *sp, uint64_t **ids, size_t *n)
{
	int fd = dup(sp->dirfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return FED_INTERNAL;
	}
	size_t cap = 0;
	fed_status st = FED_OK;
	struct dirent *e;
	*ids = NULL;
	*n = 0;
	while (st == FED_OK && (e = readdir(d)) != NULL) {
		uint64_t id;
		if (parse_seg_name(e->d_name, &id) != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			uint64_t *p = realloc(*ids, cap * sizeof(*p));
			if (p == NULL) {
				st = FED_RESOURCE_EXHAUSTED;
				break;
			}
			*ids = p;
		}
		(*ids)[(*n)++] = id;
	}
	closedir(d);
	if (*n > 0)
		qsort(*ids, *n, sizeof(**ids), cmp_u64);
	return st;
}

// The cursor file, or false when it is missing or damaged (then every
// segment is sent again: safe, the node's ingest is idempotent).
static bool
read_cursor(fed_spool *sp)
{
	int fd = openat(sp->dirfd, "cursor", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	uint8_t b[SPOOL_CURSOR_LEN + 1];
	ssize_t n = read(fd, b, sizeof(b));
	close(fd);
	if (n != SPOOL_CURSOR_LEN || memcmp(b, SPOOL_CURSOR_MAGIC, 8) != 0
	    || fed_crc32c(0, b, 24) != fed__spool_get32(b + 24)) {
		fed_log(FED_LOG_WARNING, C,
		    "cursor file damaged: resending from the oldest segment");
		return false;
	}
	sp->ack.segment = fed__spool_get64(b + 8);
	sp->ack.offset = fed__spool_get64(b + 16);
	return true;
}

bool
fed__spool_pread_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n
		    = pread(fd, buf + done, len - done, (off_t) (off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t) n;
	}
	return true;
}

// The record header size of a segment whose header is good, else 0.
static uint32_t
header_ok(int fd, uint64_t id, uint64_t size)
{
	uint8_t h[SPOOL_SEG_HDR];
	if (size < SPOOL_SEG_HDR || !fed__spool_pread_full(fd, h, sizeof(h), 0)
	    || fed__spool_get64(h + 8) != id)
		return 0;
	if (memcmp(h, SPOOL_SEG_MAGIC, 8) == 0)
		return SPOOL_REC_HDR;
	if (memcmp(h, SPOOL_SEG_MAGIC_V1, 8) == 0)
		return SPOOL_REC_HDR_V1;
	return 0;
}

// A damaged stretch [off, next) between good records: jumped by readers,
// counted and logged unless already acknowledged.
static fed_status
note_gap(fed_spool *sp, struct spool_seg *seg, uint64_t off, uint64_t next,
    uint64_t n_lost, const char *why)
{
	sp->stats.n_corrupt++;
	sp->stats.n_records_lost += n_lost;
	sp->stats.bytes_dropped += next - off;
	fed_log(FED_LOG_ERR, C,
	    "segment %" PRIu64 ": %s at offset %" PRIu64 ": %" PRIu64
	    " records (%" PRIu64 " bytes) lost, reading goes on at offset "
	    "%" PRIu64,
	    seg->id, why, off, n_lost, next - off, next);
	return fed__spool_gap_add(seg, off, next);
}

// A bad record at `seg->end` with no good record after it: the torn tail
// of the newest segment is cut off; anything else seals the segment.
static void
handle_tail(fed_spool *sp, int fd, struct spool_seg *seg, uint64_t size,
    bool torn, uint64_t n_lost, const char *why)
{
	uint64_t lost = size - seg->end;
	sp->stats.bytes_dropped += lost;
	if (torn && ftruncate(fd, (off_t) seg->end) == 0) {
		(void) fdatasync(fd);
		sp->stats.n_torn++;
		fed_log(FED_LOG_WARNING, C,
		    "segment %" PRIu64 ": torn tail at offset %" PRIu64
		    " (%s), %" PRIu64 " bytes truncated",
		    seg->id, seg->end, why, lost);
		return;
	}
	sp->stats.n_corrupt++;
	sp->stats.n_records_lost += n_lost;
	seg->sealed = true;
	fed_log(FED_LOG_ERR, C,
	    "segment %" PRIu64 ": %s at offset %" PRIu64 ", skipping the "
	    "%" PRIu64 " bytes after it (%" PRIu64 " records)",
	    seg->id, why, seg->end, lost, n_lost);
}

// A crash mid-write leaves a record that reaches the end of the file. In
// a segment with record markers, any bad record with no good record after
// it is taken for one; an old segment has only the first rule.
static bool
looks_torn(const struct spool_seg *seg, uint64_t size, uint64_t rec)
{
	if (seg->rec_hdr == SPOOL_REC_HDR)
		return true;
	return size - seg->end < seg->rec_hdr
	    || (rec > 0 && seg->end + rec >= size);
}

// At seg->end, a record that does not verify: jumps to the next good one
// (true) or deals with the tail (false).
static bool
bad_record(fed_spool *sp, int fd, struct spool_seg *seg, uint64_t size,
    bool is_last, uint64_t from, uint64_t rec, const char *why)
{
	uint64_t next, n_heads;
	if (!fed__spool_resync(sp, fd, seg, seg->end, size, &next, &n_heads)) {
		bool torn = is_last && looks_torn(seg, size, rec);
		uint64_t n = seg->end >= from ? 1 + n_heads : 0;
		handle_tail(sp, fd, seg, size, torn, n, why);
		return false;
	}
	if (next > from)
		(void) note_gap(sp, seg, seg->end, next, 1 + n_heads, why);
	seg->end = next;
	return true;
}

// Walks every record; those ending at or before the cursor are already
// acknowledged. A cursor that is not on a record boundary falls back to the
// boundary before it.
static void
scan_records(
    fed_spool *sp, int fd, struct spool_seg *seg, uint64_t size, bool is_last)
{
	uint64_t from = seg->id == sp->ack.segment ? sp->ack.offset : 0;
	uint64_t acked_to = SPOOL_SEG_HDR;
	while (seg->end < size) {
		uint64_t rec = 0;
		const char *why = NULL;
		if (fed__spool_rec_check(
		        sp, fd, seg, seg->end, size, &rec, &why)
		    != SPOOL_REC_OK) {
			if (!bad_record(
			        sp, fd, seg, size, is_last, from, rec, why))
				break;
		} else {
			seg->end += rec;
			seg->n_live += seg->end > from;
			seg->live_bytes += seg->end > from ? rec : 0;
		}
		if (seg->end <= from)
			acked_to = seg->end;
	}
	if (seg->id != sp->ack.segment || acked_to == from)
		return;
	if (from > SPOOL_SEG_HDR)
		fed_log(FED_LOG_WARNING, C,
		    "cursor (%" PRIu64 ", %" PRIu64 ") is not a record "
		    "boundary here: resending from offset %" PRIu64,
		    seg->id, from, acked_to);
	sp->ack.offset = acked_to;
}

static fed_status
scan_segment(fed_spool *sp, uint64_t id, bool is_last)
{
	char name[SPOOL_NAME_LEN];
	fed__spool_seg_name(name, id);
	int fd = openat(sp->dirfd, name, O_RDWR | O_CLOEXEC);
	struct stat stb;
	if (fd < 0 || fstat(fd, &stb) != 0) {
		fed_log(FED_LOG_ERR, C, "open %s: %s", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return FED_INTERNAL;
	}
	uint64_t size = (uint64_t) stb.st_size;
	struct spool_seg seg = {.id = id, .end = SPOOL_SEG_HDR};
	if (is_last && size < SPOOL_SEG_HDR) {
		// Created, but the crash came before its header was synced.
		close(fd);
		unlinkat(sp->dirfd, name, 0);
		sp->stats.n_torn++;
		fed_log(FED_LOG_WARNING, C, "%s: empty, removed", name);
		return FED_OK;
	}
	seg.rec_hdr = header_ok(fd, id, size);
	if (seg.rec_hdr == 0) {
		sp->stats.n_corrupt++;
		sp->stats.n_records_lost++;
		sp->stats.bytes_dropped += size;
		seg.sealed = true;
		fed_log(
		    FED_LOG_ERR, C, "%s: bad header, segment skipped", name);
	} else {
		scan_records(sp, fd, &seg, size, is_last);
	}
	// Appends go to a segment of the current format only.
	if (!is_last || seg.rec_hdr != SPOOL_REC_HDR)
		seg.sealed = true;
	if (!seg.sealed)
		sp->wfd = fd;
	else
		close(fd);
	return fed__spool_seg_push(sp, &seg);
}

// The newest segment may hold records a crashed process wrote but never
// synced: sync them before treating them as durable.
static fed_status
settle(fed_spool *sp)
{
	if (sp->wfd >= 0 && fdatasync(sp->wfd) != 0) {
		fed_log(FED_LOG_ERR, C, "fdatasync: %s", strerror(errno));
		return FED_INTERNAL;
	}
	sp->durable = sp->ack;
	if (sp->n_segs > 0) {
		struct spool_seg *last = &sp->segs[sp->n_segs - 1];
		sp->durable = (fed_spool_cursor) {last->id, last->end};
	}
	for (size_t i = 0; i < sp->n_segs; i++) {
		sp->n_pending += sp->segs[i].n_live;
		sp->pending_bytes += sp->segs[i].live_bytes;
	}
	sp->ack_disk = sp->ack;
	return FED_OK;
}

fed_status
fed__spool_recover(fed_spool *sp)
{
	unlinkat(sp->dirfd, "cursor.tmp", 0);
	uint64_t *ids = NULL;
	size_t n = 0;
	fed_status st = list_segments(sp, &ids, &n);
	bool have_cursor = read_cursor(sp);
	if (!have_cursor)
		sp->ack
		    = (fed_spool_cursor) {n > 0 ? ids[0] : 0, SPOOL_SEG_HDR};
	for (size_t i = 0; st == FED_OK && i < n; i++) {
		char name[SPOOL_NAME_LEN];
		fed__spool_seg_name(name, ids[i]);
		if (ids[i] < sp->ack.segment)
			unlinkat(sp->dirfd, name, 0); // deletion interrupted
		else
			st = scan_segment(sp, ids[i], i + 1 == n);
	}
	uint64_t top = n > 0 && ids[n - 1] > sp->ack.segment ? ids[n - 1]
	                                                     : sp->ack.segment;
	sp->next_id = top + 1;
	free(ids);
	if (st == FED_OK)
		st = settle(sp);
	if (st == FED_OK && sp->stats.bytes_dropped > 0)
		fed_log(FED_LOG_WARNING, C,
		    "recovered: %" PRIu64 " torn, %" PRIu64
		    " corrupt, %" PRIu64 " bytes dropped",
		    sp->stats.n_torn, sp->stats.n_corrupt,
		    sp->stats.bytes_dropped);
	return st;
}
