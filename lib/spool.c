// SPDX-License-Identifier: MIT
//
// spool.c: the store-and-forward spool (fed/spool.h, docs/spool.md).
//
// State lives in memory as an array of segments, oldest first, each with
// the offset past its last valid record and the count of its records not
// yet acknowledged. Three positions order everything: `ack` (in memory),
// `ack_disk` (in the cursor file) and `durable` (synced end of the data).
// Segments before ack_disk are deleted. Every function that touches the
// state holds sp->mu.

#include "fed/spool.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fed/clock.h"
#include "fed/crc32c.h"
#include "fed/log.h"
#include "spool_internal.h"

#define C "spool"

static fed_status
io_error(const char *what, const char *name)
{
	int e = errno;
	fed_log(FED_LOG_ERR, C, "%s %s: %s", what, name, strerror(e));
	if (e == ENOSPC || e == EDQUOT)
		return FED_RESOURCE_EXHAUSTED;
	return e == ENOENT ? FED_NOT_FOUND : FED_INTERNAL;
}

int
fed__spool_pos_cmp(fed_spool_cursor a, fed_spool_cursor b)
{
	if (a.segment != b.segment)
		return a.segment < b.segment ? -1 : 1;
	if (a.offset != b.offset)
		return a.offset < b.offset ? -1 : 1;
	return 0;
}

struct spool_seg *
fed__spool_seg_find(fed_spool *sp, uint64_t id)
{
	for (size_t i = 0; i < sp->n_segs; i++)
		if (sp->segs[i].id == id)
			return &sp->segs[i];
	return NULL;
}

static struct spool_seg *
seg_active(fed_spool *sp)
{
	if (sp->n_segs == 0 || sp->segs[sp->n_segs - 1].sealed)
		return NULL;
	return &sp->segs[sp->n_segs - 1];
}

static fed_status
grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return FED_OK;
	uint8_t *p = realloc(*buf, need);
	if (p == NULL)
		return FED_RESOURCE_EXHAUSTED;
	*buf = p;
	*cap = need;
	return FED_OK;
}

// A read fd for segment id: the writer's for the active segment, else one
// cached descriptor.
fed_status
fed__spool_read_fd(fed_spool *sp, uint64_t id, int *fd)
{
	struct spool_seg *a = seg_active(sp);
	if (a != NULL && a->id == id && sp->wfd >= 0) {
		*fd = sp->wfd;
		return FED_OK;
	}
	if (sp->rfd >= 0 && sp->rfd_id == id) {
		*fd = sp->rfd;
		return FED_OK;
	}
	if (sp->rfd >= 0)
		close(sp->rfd);
	char name[SPOOL_NAME_LEN];
	fed__spool_seg_name(name, id);
	sp->rfd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (sp->rfd < 0)
		return io_error("open", name);
	sp->rfd_id = id;
	*fd = sp->rfd;
	return FED_OK;
}

static void
drop_read_fd(fed_spool *sp, uint64_t id)
{
	if (sp->rfd >= 0 && sp->rfd_id == id) {
		close(sp->rfd);
		sp->rfd = -1;
	}
}

// Moves ack past the end of sealed segments, so that it names either a
// record or the end of the active segment.
static void
normalize_ack(fed_spool *sp)
{
	for (size_t i = 0; i < sp->n_segs; i++) {
		struct spool_seg *s = &sp->segs[i];
		if (s->id < sp->ack.segment)
			continue;
		if (s->id > sp->ack.segment)
			sp->ack = (fed_spool_cursor) {s->id, SPOOL_SEG_HDR};
		if (sp->ack.offset < s->end || !s->sealed)
			return;
	}
}

bool
fed__spool_durable_pending(fed_spool *sp)
{
	normalize_ack(sp);
	return sp->n_pending > 0
	    && fed__spool_pos_cmp(sp->ack, sp->durable) < 0;
}

// The cursor file: magic, segment, offset, CRC32C of the 24 bytes before.
static fed_status
write_cursor(fed_spool *sp)
{
	uint8_t b[SPOOL_CURSOR_LEN];
	memcpy(b, SPOOL_CURSOR_MAGIC, 8);
	fed__spool_put64(b + 8, sp->ack.segment);
	fed__spool_put64(b + 16, sp->ack.offset);
	fed__spool_put32(b + 24, fed_crc32c(0, b, 24));
	int fd = openat(sp->dirfd, "cursor.tmp",
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return io_error("create", "cursor.tmp");
	bool ok
	    = write(fd, b, sizeof(b)) == (ssize_t) sizeof(b) && fsync(fd) == 0;
	fed_status st = ok ? FED_OK : io_error("write", "cursor.tmp");
	close(fd);
	if (st != FED_OK)
		return st;
	if (renameat(sp->dirfd, "cursor.tmp", sp->dirfd, "cursor") != 0)
		return io_error("rename", "cursor.tmp");
	if (fsync(sp->dirfd) != 0)
		return io_error("fsync", "spool directory");
	sp->ack_disk = sp->ack;
	sp->cursor_dirty = false;
	return FED_OK;
}

// Deletes the segments wholly before the cursor on disk.
static void
trim(fed_spool *sp)
{
	size_t n = 0;
	while (n < sp->n_segs && sp->segs[n].id < sp->ack_disk.segment) {
		char name[SPOOL_NAME_LEN];
		fed__spool_seg_name(name, sp->segs[n].id);
		drop_read_fd(sp, sp->segs[n].id);
		if (unlinkat(sp->dirfd, name, 0) != 0 && errno != ENOENT)
			fed_log(FED_LOG_WARNING, C, "unlink %s: %s", name,
			    strerror(errno));
		free(sp->segs[n].gaps);
		n++;
	}
	if (n == 0)
		return;
	memmove(sp->segs, sp->segs + n, (sp->n_segs - n) * sizeof(*sp->segs));
	sp->n_segs -= n;
}

static fed_status
sync_data(fed_spool *sp)
{
	struct spool_seg *a = seg_active(sp);
	if (sp->failed)
		return FED_INTERNAL;
	if (!sp->dirty || a == NULL || sp->wfd < 0)
		return FED_OK;
	if (fdatasync(sp->wfd) != 0) {
		sp->failed = true;
		return io_error("fdatasync", "active segment");
	}
	sp->dirty = false;
	sp->durable = (fed_spool_cursor) {a->id, a->end};
	pthread_cond_broadcast(&sp->cv);
	return FED_OK;
}

static fed_status
sync_cursor(fed_spool *sp)
{
	if (!sp->cursor_dirty)
		return FED_OK;
	FED_TRY(write_cursor(sp));
	trim(sp);
	return FED_OK;
}

static fed_status
sync_all(fed_spool *sp)
{
	fed_status st = sync_data(sp);
	fed_status st2 = sync_cursor(sp);
	return st != FED_OK ? st : st2;
}

// Group commit: sleeps while clean; once dirty, waits group_ms so that
// the appends of that window share one fsync.
static void *
flusher(void *arg)
{
	fed_spool *sp = arg;
	pthread_mutex_lock(&sp->mu);
	while (!sp->stop) {
		if ((!sp->dirty || sp->failed) && !sp->cursor_dirty) {
			pthread_cond_wait(&sp->flush_cv, &sp->mu);
			continue;
		}
		struct timespec ts;
		ts = fed_clock_deadline(CLOCK_MONOTONIC, sp->opts.group_ms);
		while (!sp->stop
		    && pthread_cond_timedwait(&sp->flush_cv, &sp->mu, &ts)
		        == 0) {
		}
		(void) sync_all(sp);
	}
	pthread_mutex_unlock(&sp->mu);
	return NULL;
}

fed_status
fed__spool_seg_push(fed_spool *sp, const struct spool_seg *seg)
{
	if (sp->n_segs == sp->cap_segs) {
		size_t cap = sp->cap_segs ? sp->cap_segs * 2 : 8;
		struct spool_seg *p = realloc(sp->segs, cap * sizeof(*p));
		if (p == NULL)
			return FED_RESOURCE_EXHAUSTED;
		sp->segs = p;
		sp->cap_segs = cap;
	}
	sp->segs[sp->n_segs++] = *seg;
	return FED_OK;
}

// Seals the active segment (synced first) and starts a new one whose
// header and directory entry are durable before any record goes in.
static fed_status
rotate(fed_spool *sp)
{
	FED_TRY(sync_data(sp));
	struct spool_seg *a = seg_active(sp);
	if (a != NULL)
		a->sealed = true;
	if (sp->wfd >= 0)
		close(sp->wfd);
	sp->wfd = -1;
	uint64_t id = sp->next_id++;
	char name[SPOOL_NAME_LEN];
	fed__spool_seg_name(name, id);
	int fd = openat(
	    sp->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return io_error("create", name);
	uint8_t hdr[SPOOL_SEG_HDR];
	memcpy(hdr, SPOOL_SEG_MAGIC, 8);
	fed__spool_put64(hdr + 8, id);
	if (write(fd, hdr, sizeof(hdr)) != (ssize_t) sizeof(hdr)
	    || fsync(fd) != 0 || fsync(sp->dirfd) != 0) {
		fed_status st = io_error("initialise", name);
		close(fd);
		unlinkat(sp->dirfd, name, 0);
		return st;
	}
	struct spool_seg seg
	    = {.id = id, .end = SPOOL_SEG_HDR, .rec_hdr = SPOOL_REC_HDR};
	fed_status st = fed__spool_seg_push(sp, &seg);
	if (st != FED_OK) {
		close(fd);
		return st;
	}
	sp->wfd = fd;
	sp->durable = (fed_spool_cursor) {id, SPOOL_SEG_HDR};
	return FED_OK;
}

static bool
needs_rotation(fed_spool *sp, uint64_t rec_len)
{
	struct spool_seg *a = seg_active(sp);
	if (a == NULL || sp->wfd < 0)
		return true;
	return a->end > SPOOL_SEG_HDR
	    && a->end + rec_len > sp->opts.segment_bytes;
}

static fed_status
write_record(fed_spool *sp, const uint8_t *buf, size_t len)
{
	struct spool_seg *a = seg_active(sp);
	size_t rec = SPOOL_REC_HDR + len;
	FED_TRY(grow(&sp->wbuf, &sp->wbuf_cap, rec));
	fed__spool_rec_header(sp->wbuf, buf, len);
	memcpy(sp->wbuf + SPOOL_REC_HDR, buf, len);
	size_t done = 0;
	while (done < rec) {
		ssize_t n = pwrite(sp->wfd, sp->wbuf + done, rec - done,
		    (off_t) (a->end + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fed_status st = io_error("append to", "segment");
			if (ftruncate(sp->wfd, (off_t) a->end) != 0)
				sp->failed = true;
			return st;
		}
		done += (size_t) n;
	}
	a->end += rec;
	a->n_live++;
	a->live_bytes += rec;
	sp->n_pending++;
	sp->pending_bytes += rec;
	sp->dirty = true;
	return FED_OK;
}

static fed_status
append_locked(fed_spool *sp, const uint8_t *buf, size_t len)
{
	uint64_t rec = SPOOL_REC_HDR + (uint64_t) len;
	if (sp->failed)
		return FED_INTERNAL;
	if (sp->pending_bytes + rec > sp->opts.max_bytes) {
		fed_log(FED_LOG_WARNING, C,
		    "spool full: %" PRIu64 " of %" PRIu64 " bytes pending",
		    sp->pending_bytes, sp->opts.max_bytes);
		return FED_RESOURCE_EXHAUSTED;
	}
	if (needs_rotation(sp, rec))
		FED_TRY(rotate(sp));
	FED_TRY(write_record(sp, buf, len));
	if (sp->opts.sync == FED_SPOOL_SYNC_EACH)
		return sync_data(sp);
	pthread_cond_signal(&sp->flush_cv);
	return FED_OK;
}

fed_status
fed_spool_append(fed_spool *sp, const uint8_t *buf, size_t len)
{
	if (sp == NULL || (buf == NULL && len > 0))
		return FED_INVALID_ARGUMENT;
	if (len == 0 || len > sp->opts.max_record_len) {
		fed_log(FED_LOG_WARNING, C,
		    "record length %zu outside 1..%" PRIu32, len,
		    sp->opts.max_record_len);
		return FED_INVALID_ARGUMENT;
	}
	pthread_mutex_lock(&sp->mu);
	fed_status st = append_locked(sp, buf, len);
	pthread_mutex_unlock(&sp->mu);
	return st;
}

static fed_status
read_at(fed_spool *sp, int fd, uint64_t off, size_t len)
{
	FED_TRY(grow(&sp->rbuf, &sp->rbuf_cap, len));
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(
		    fd, sp->rbuf + done, len - done, (off_t) (off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FED_DATA_LOSS;
		done += (size_t) n;
	}
	return FED_OK;
}

static void
consume(fed_spool *sp, struct spool_seg *s, uint64_t rec)
{
	s->n_live--;
	s->live_bytes -= rec;
	sp->n_pending--;
	sp->pending_bytes -= rec;
	sp->ack.offset += rec;
}

// The size on disk of the record at sp->ack (known good: it was checked
// when scanned or appended).
static fed_status
header_at(fed_spool *sp, struct spool_seg *s, uint64_t *rec)
{
	int fd;
	FED_TRY(fed__spool_read_fd(sp, s->id, &fd));
	fed_status st = read_at(sp, fd, sp->ack.offset, s->rec_hdr);
	if (st != FED_OK)
		return FED_INTERNAL;
	bool v1 = s->rec_hdr == SPOOL_REC_HDR_V1;
	*rec = s->rec_hdr + fed__spool_get32(sp->rbuf + (v1 ? 0 : 4));
	return FED_OK;
}

// Walks record headers from sp->ack to `to`; with apply, acknowledges
// them on the way. INVALID_ARGUMENT unless `to` is a record boundary.
static fed_status
walk(fed_spool *sp, fed_spool_cursor to, bool apply)
{
	fed_spool_cursor saved = sp->ack;
	fed_status st = FED_OK;
	while (st == FED_OK && fed__spool_pos_cmp(sp->ack, to) < 0) {
		struct spool_seg *s = fed__spool_seg_find(sp, sp->ack.segment);
		if (s == NULL || (sp->ack.offset >= s->end && !s->sealed)) {
			st = FED_INVALID_ARGUMENT;
		} else if (sp->ack.offset >= s->end) {
			size_t i = (size_t) (s - sp->segs) + 1;
			if (i == sp->n_segs)
				st = FED_INVALID_ARGUMENT;
			else
				sp->ack = (fed_spool_cursor) {
				    sp->segs[i].id, SPOOL_SEG_HDR};
		} else if (!fed__spool_gap_jump(s, &sp->ack.offset)) {
			uint64_t rec = 0;
			st = header_at(sp, s, &rec);
			if (apply && st == FED_OK)
				consume(sp, s, rec);
			else
				sp->ack.offset += rec;
		}
	}
	if (st == FED_OK && fed__spool_pos_cmp(sp->ack, to) != 0)
		st = FED_INVALID_ARGUMENT;
	if (!apply)
		sp->ack = saved;
	return st;
}

static fed_status
ack_locked(fed_spool *sp, fed_spool_cursor to)
{
	normalize_ack(sp);
	if (fed__spool_pos_cmp(to, sp->ack) <= 0)
		return FED_OK;
	if (fed__spool_pos_cmp(to, sp->durable) > 0)
		return FED_INVALID_ARGUMENT;
	if (sp->has_peeked && fed__spool_pos_cmp(sp->ack, sp->peeked) == 0
	    && fed__spool_pos_cmp(to, sp->peeked_next) == 0) {
		consume(sp, fed__spool_seg_find(sp, to.segment),
		    to.offset - sp->peeked.offset);
	} else {
		FED_TRY(walk(sp, to, false));
		FED_TRY(walk(sp, to, true));
	}
	sp->has_peeked = false;
	normalize_ack(sp);
	sp->cursor_dirty = true;
	if (sp->opts.sync == FED_SPOOL_SYNC_EACH)
		return sync_cursor(sp);
	pthread_cond_signal(&sp->flush_cv);
	return FED_OK;
}

fed_status
fed_spool_ack(fed_spool *sp, fed_spool_cursor next)
{
	if (sp == NULL)
		return FED_INVALID_ARGUMENT;
	pthread_mutex_lock(&sp->mu);
	fed_status st = ack_locked(sp, next);
	pthread_mutex_unlock(&sp->mu);
	if (st == FED_INVALID_ARGUMENT)
		fed_log(FED_LOG_WARNING, C,
		    "ack (%" PRIu64 ", %" PRIu64 ") is not a pending record "
		    "boundary",
		    next.segment, next.offset);
	return st;
}

fed_status
fed_spool_wait(fed_spool *sp, int64_t timeout_ms)
{
	if (sp == NULL)
		return FED_INVALID_ARGUMENT;
	struct timespec ts;
	if (timeout_ms >= 0)
		ts = fed_clock_deadline(CLOCK_MONOTONIC, timeout_ms);
	fed_status st = FED_OK;
	pthread_mutex_lock(&sp->mu);
	while (!fed__spool_durable_pending(sp)) {
		if (timeout_ms < 0) {
			pthread_cond_wait(&sp->cv, &sp->mu);
		} else if (pthread_cond_timedwait(&sp->cv, &sp->mu, &ts)
		    != 0) {
			st = fed__spool_durable_pending(sp)
			    ? FED_OK
			    : FED_DEADLINE_EXCEEDED;
			break;
		}
	}
	pthread_mutex_unlock(&sp->mu);
	return st;
}

fed_status
fed_spool_sync(fed_spool *sp)
{
	if (sp == NULL)
		return FED_INVALID_ARGUMENT;
	pthread_mutex_lock(&sp->mu);
	fed_status st = sp->failed ? FED_INTERNAL : sync_all(sp);
	pthread_mutex_unlock(&sp->mu);
	return st;
}

void
fed_spool_pending(fed_spool *sp, uint64_t *n_records, uint64_t *n_bytes)
{
	assert(sp != NULL);
	pthread_mutex_lock(&sp->mu);
	if (n_records != NULL)
		*n_records = sp->n_pending;
	if (n_bytes != NULL)
		*n_bytes = sp->pending_bytes;
	pthread_mutex_unlock(&sp->mu);
}

void
fed_spool_get_stats(fed_spool *sp, fed_spool_stats *st)
{
	assert(sp != NULL && st != NULL);
	pthread_mutex_lock(&sp->mu);
	*st = sp->stats;
	st->n_segments = sp->n_segs;
	pthread_mutex_unlock(&sp->mu);
}

static fed_status
check_opts(const fed_spool_opts *o)
{
	const char *bad = NULL;
	if (o->sync != FED_SPOOL_SYNC_EACH && o->sync != FED_SPOOL_SYNC_GROUP)
		bad = "sync";
	else if (o->group_ms < 1 || o->group_ms > 10000)
		bad = "group_ms";
	else if (o->segment_bytes < 4096)
		bad = "segment_bytes";
	else if (o->max_bytes < o->segment_bytes)
		bad = "max_bytes";
	else if (o->max_record_len < 1
	    || o->max_record_len > FED_SPOOL_RECORD_MAX)
		bad = "max_record_len";
	if (bad == NULL)
		return FED_OK;
	fed_log(FED_LOG_ERR, C, "spool option %s out of range", bad);
	return FED_INVALID_ARGUMENT;
}

static void
release(fed_spool *sp)
{
	int fds[] = {sp->wfd, sp->rfd, sp->lockfd, sp->dirfd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	pthread_cond_destroy(&sp->cv);
	pthread_cond_destroy(&sp->flush_cv);
	pthread_mutex_destroy(&sp->mu);
	for (size_t i = 0; i < sp->n_segs; i++)
		free(sp->segs[i].gaps);
	free(sp->segs);
	free(sp->rbuf);
	free(sp->wbuf);
	free(sp);
}

static fed_spool *
spool_alloc(const fed_spool_opts *opts)
{
	fed_spool *sp = calloc(1, sizeof(*sp));
	if (sp == NULL)
		return NULL;
	sp->opts = *opts;
	sp->wfd = sp->rfd = sp->lockfd = sp->dirfd = -1;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&sp->mu, NULL);
	pthread_cond_init(&sp->cv, &ca);
	pthread_cond_init(&sp->flush_cv, &ca);
	pthread_condattr_destroy(&ca);
	return sp;
}

static fed_status
lock_dir(fed_spool *sp, const char *dir)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return io_error("mkdir", dir);
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0)
		return io_error("open", dir);
	sp->lockfd
	    = openat(sp->dirfd, "LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->lockfd < 0)
		return io_error("create lock in", dir);
	if (flock(sp->lockfd, LOCK_EX | LOCK_NB) == 0)
		return FED_OK;
	if (errno != EWOULDBLOCK)
		return io_error("lock", dir);
	fed_log(FED_LOG_ERR, C, "spool %s is in use by another open", dir);
	return FED_FAILED_PRECONDITION;
}

fed_status
fed_spool_open(const char *dir, const fed_spool_opts *opts, fed_spool **out)
{
	static const fed_spool_opts defaults = FED_SPOOL_OPTS_DEFAULT;
	if (dir == NULL || out == NULL)
		return FED_INVALID_ARGUMENT;
	if (opts == NULL)
		opts = &defaults;
	FED_TRY(check_opts(opts));
	fed_spool *sp = spool_alloc(opts);
	if (sp == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_status st = lock_dir(sp, dir);
	if (st == FED_OK)
		st = fed__spool_recover(sp);
	if (st == FED_OK && opts->sync == FED_SPOOL_SYNC_GROUP) {
		if (pthread_create(&sp->flusher, NULL, flusher, sp) != 0)
			st = FED_RESOURCE_EXHAUSTED;
		sp->has_flusher = st == FED_OK;
	}
	if (st != FED_OK) {
		release(sp);
		return st;
	}
	*out = sp;
	return FED_OK;
}

void
fed_spool_close(fed_spool *sp)
{
	if (sp == NULL)
		return;
	pthread_mutex_lock(&sp->mu);
	sp->stop = true;
	pthread_cond_signal(&sp->flush_cv);
	pthread_mutex_unlock(&sp->mu);
	if (sp->has_flusher)
		pthread_join(sp->flusher, NULL);
	if (!sp->failed && sync_all(sp) != FED_OK)
		fed_log(FED_LOG_ERR, C, "final sync failed");
	release(sp);
}
