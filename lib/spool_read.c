// SPDX-License-Identifier: MIT
//
// spool_read.c: reading a spool (fed/spool.h): the oldest unacknowledged
// record (fed_spool_peek), with what damage found at that point costs,
// and the records after it (fed_spool_peek_after), for a sender that keeps
// several of them in flight. Every function here runs under sp->mu.
//
// Damage met at the head is handled here (the stretch up to the next good
// record dropped, or the rest of the segment); damage met ahead of the
// head only ends the read-ahead (NOT_FOUND): the head reaches it later and
// handles it then, so that there is one place where records are given up.

#include "fed/spool.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include "fed/log.h"
#include "spool_internal.h"

#define C "spool"

// A record that fails its check at peek time: the rest of its segment is
// given up (an active segment is sealed, appends go to a new one).
static void
skip_rest(fed_spool *sp, struct spool_seg *s, const char *why)
{
	uint64_t lost = s->end - sp->ack.offset;
	fed_log(FED_LOG_ERR, C,
	    "segment %" PRIu64 " offset %" PRIu64 ": %s; skipping %" PRIu64
	    " bytes (%" PRIu64 " records)",
	    s->id, sp->ack.offset, why, lost, s->n_live);
	sp->stats.n_corrupt++;
	sp->stats.bytes_dropped += lost;
	sp->stats.n_records_lost += s->n_live;
	sp->n_pending -= s->n_live;
	sp->pending_bytes -= s->live_bytes;
	s->n_live = 0;
	s->live_bytes = 0;
	s->end = sp->ack.offset;
	if (sp->durable.segment == s->id && sp->durable.offset > s->end)
		sp->durable.offset = s->end;
	sp->has_peeked = false;
	if (!s->sealed) {
		s->sealed = true;
		if (sp->wfd >= 0)
			close(sp->wfd);
		sp->wfd = -1;
		sp->dirty = false;
	}
}

// Reads and checks the record at sp->ack into sp->rbuf. DATA_LOSS with
// *why for a record that is not what was written.
static fed_status
read_record(fed_spool *sp, struct spool_seg *s, size_t *len, const char **why)
{
	int fd;
	fed_status st = fed__spool_read_fd(sp, s->id, &fd);
	*why = "segment file missing";
	if (st == FED_NOT_FOUND)
		return FED_DATA_LOSS;
	FED_TRY(st);
	uint64_t rec;
	if (fed__spool_rec_check(sp, fd, s, sp->ack.offset, s->end, &rec, why)
	    != SPOOL_REC_OK)
		return FED_DATA_LOSS;
	*len = (size_t) (rec - s->rec_hdr);
	return FED_OK;
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

// A record that went bad after open: the bytes up to the next good record
// are given up as one stretch (counted, logged) and jumped from now on.
// false when there is no good record after it (the caller skips the rest).
static bool
drop_stretch(fed_spool *sp, struct spool_seg *s, const char *why)
{
	int fd;
	uint64_t off = sp->ack.offset, next, n_heads;
	if (fed__spool_read_fd(sp, s->id, &fd) != FED_OK
	    || !fed__spool_resync(sp, fd, s, off, s->end, &next, &n_heads)
	    || fed__spool_gap_add(s, off, next) != FED_OK)
		return false;
	uint64_t n = min_u64(1 + n_heads, s->n_live);
	uint64_t bytes = min_u64(next - off, s->live_bytes);
	fed_log(FED_LOG_ERR, C,
	    "segment %" PRIu64 " offset %" PRIu64 ": %s; %" PRIu64
	    " records (%" PRIu64 " bytes) lost, reading goes on at "
	    "offset %" PRIu64,
	    s->id, off, why, n, next - off, next);
	sp->stats.n_corrupt++;
	sp->stats.n_records_lost += n;
	sp->stats.bytes_dropped += next - off;
	s->n_live -= n;
	s->live_bytes -= bytes;
	sp->n_pending -= n;
	sp->pending_bytes -= bytes;
	sp->ack.offset = next;
	sp->has_peeked = false;
	return true;
}

static fed_status
peek_locked(
    fed_spool *sp, const uint8_t **buf, size_t *len, fed_spool_cursor *next)
{
	// Each round returns, moves ack forward or gives up one segment:
	// bounded.
	for (;;) {
		if (!fed__spool_durable_pending(sp))
			return FED_NOT_FOUND;
		struct spool_seg *s = fed__spool_seg_find(sp, sp->ack.segment);
		if (s == NULL)
			return FED_INTERNAL;
		if (fed__spool_gap_jump(s, &sp->ack.offset))
			continue;
		const char *why = NULL;
		size_t n = 0;
		fed_status st = read_record(sp, s, &n, &why);
		if (st == FED_DATA_LOSS) {
			if (!drop_stretch(sp, s, why))
				skip_rest(sp, s, why);
			continue;
		}
		FED_TRY(st);
		*buf = sp->rbuf + s->rec_hdr;
		*len = n;
		*next = (fed_spool_cursor) {
		    s->id, sp->ack.offset + s->rec_hdr + n};
		sp->peeked = sp->ack;
		sp->peeked_next = *next;
		sp->has_peeked = true;
		return FED_OK;
	}
}

fed_status
fed_spool_peek(
    fed_spool *sp, const uint8_t **buf, size_t *len, fed_spool_cursor *next)
{
	if (sp == NULL || buf == NULL || len == NULL || next == NULL)
		return FED_INVALID_ARGUMENT;
	pthread_mutex_lock(&sp->mu);
	fed_status st = peek_locked(sp, buf, len, next);
	pthread_mutex_unlock(&sp->mu);
	return st;
}
// The record that starts at `at` (not the head), read-ahead rules: gaps
// jumped, sealed segments' ends crossed, NOT_FOUND at the durable end or
// at a record that does not verify.
static fed_status
peek_ahead_locked(fed_spool *sp, fed_spool_cursor at, const uint8_t **buf,
    size_t *len, fed_spool_cursor *next)
{
	// Each round returns or moves `at` forward: bounded.
	for (;;) {
		if (fed__spool_pos_cmp(at, sp->durable) >= 0)
			return FED_NOT_FOUND;
		struct spool_seg *s = fed__spool_seg_find(sp, at.segment);
		if (s == NULL)
			return FED_INVALID_ARGUMENT;
		if (fed__spool_gap_jump(s, &at.offset))
			continue;
		if (at.offset >= s->end) {
			size_t i = (size_t) (s - sp->segs) + 1;
			if (!s->sealed || i == sp->n_segs)
				return FED_NOT_FOUND;
			at = (fed_spool_cursor) {
			    sp->segs[i].id, SPOOL_SEG_HDR};
			continue;
		}
		int fd;
		FED_TRY(fed__spool_read_fd(sp, s->id, &fd));
		uint64_t rec;
		const char *why;
		if (fed__spool_rec_check(
		        sp, fd, s, at.offset, s->end, &rec, &why)
		    != SPOOL_REC_OK)
			return FED_NOT_FOUND;
		*buf = sp->rbuf + s->rec_hdr;
		*len = (size_t) (rec - s->rec_hdr);
		*next = (fed_spool_cursor) {s->id, at.offset + rec};
		return FED_OK;
	}
}

fed_status
fed_spool_peek_after(fed_spool *sp, fed_spool_cursor after,
    const uint8_t **buf, size_t *len, fed_spool_cursor *next)
{
	if (sp == NULL || buf == NULL || len == NULL || next == NULL)
		return FED_INVALID_ARGUMENT;
	pthread_mutex_lock(&sp->mu);
	fed_status st;
	if (!fed__spool_durable_pending(sp))
		st = FED_NOT_FOUND;
	else if (fed__spool_pos_cmp(after, sp->ack) <= 0)
		st = peek_locked(sp, buf, len, next);
	else
		st = peek_ahead_locked(sp, after, buf, len, next);
	pthread_mutex_unlock(&sp->mu);
	return st;
}
