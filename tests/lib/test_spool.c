// SPDX-License-Identifier: MIT
//
// test_spool.c: the store-and-forward spool. Order across segment
// rotation; reopen keeping the unacknowledged records and the cursor; a
// torn tail cut at every byte of the last record; flipped bits found at
// open and at peek, each costing the damaged record only (in every field
// of a record, anywhere in a segment, in the first one, in neighbours); a
// real torn tail after damage; segments of the first format still read;
// group commit handing out only synced records; the size cap; damaged and
// crafted cursor files; the directory lock; an appender and a sender
// thread at once; and a child process killed with SIGKILL while
// appending, ten times, after which every record it reported durable is
// there, in order, intact.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fed/crc32c.h"
#include "fed/spool.h"
#include "spool_internal.h"

#define REC_MAX 400

// Record `seq`: its number in the first 8 bytes, then bytes derived from
// it; lengths vary from 8 to REC_MAX.
static size_t
make_rec(uint64_t seq, uint8_t *buf)
{
	size_t len = 8 + (size_t) (seq * 37 % (REC_MAX - 7));
	fed__spool_put64(buf, seq);
	for (size_t i = 8; i < len; i++)
		buf[i] = (uint8_t) (seq * 7 + i);
	return len;
}

// The seq of a record, or UINT64_MAX when it is not exactly make_rec's.
static uint64_t
rec_seq(const uint8_t *buf, size_t len)
{
	uint8_t want[REC_MAX];
	if (len < 8 || len > REC_MAX)
		return UINT64_MAX;
	uint64_t seq = fed__spool_get64(buf);
	if (make_rec(seq, want) != len || memcmp(want, buf, len) != 0)
		return UINT64_MAX;
	return seq;
}

static char *
tmp_dir(void)
{
	const char *t = getenv("TMPDIR");
	char tmpl[256];
	snprintf(tmpl, sizeof(tmpl), "%s/fed-spool-XXXXXX", t ? t : "/tmp");
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	return strdup(d);
}

static void
rm_dir(char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0
		    || strcmp(e->d_name, "..") == 0)
			continue;
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
	free(dir);
}

static fed_spool_opts
small_opts(fed_spool_sync_mode mode)
{
	fed_spool_opts o = FED_SPOOL_OPTS_DEFAULT;
	o.sync = mode;
	o.segment_bytes = 4096;
	o.group_ms = 2;
	return o;
}

static void
append_range(fed_spool *sp, uint64_t from, uint64_t to)
{
	uint8_t buf[REC_MAX];
	for (uint64_t s = from; s < to; s++)
		assert_int_equal(
		    fed_spool_append(sp, buf, make_rec(s, buf)), FED_OK);
}

// Peeks and acknowledges records from..to-1 in order.
static void
consume_range(fed_spool *sp, uint64_t from, uint64_t to)
{
	for (uint64_t s = from; s < to; s++) {
		const uint8_t *buf;
		size_t len;
		fed_spool_cursor c;
		assert_int_equal(fed_spool_peek(sp, &buf, &len, &c), FED_OK);
		assert_int_equal(rec_seq(buf, len), s);
		assert_int_equal(fed_spool_ack(sp, c), FED_OK);
	}
}

static void
expect_empty(fed_spool *sp)
{
	const uint8_t *buf;
	size_t len;
	fed_spool_cursor c;
	uint64_t n, bytes;
	assert_int_equal(fed_spool_peek(sp, &buf, &len, &c), FED_NOT_FOUND);
	fed_spool_pending(sp, &n, &bytes);
	assert_int_equal(n, 0);
	assert_int_equal(bytes, 0);
}

static char *
seg_path(const char *dir, uint64_t id)
{
	char name[SPOOL_NAME_LEN];
	fed__spool_seg_name(name, id);
	char *p = malloc(strlen(dir) + SPOOL_NAME_LEN + 2);
	assert_non_null(p);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

static off_t
file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void
flip_byte(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	uint8_t b;
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= 0x10;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static void
test_order_across_rotation(void **state)
{
	(void) state;
	char *dir = tmp_dir();
	fed_spool_opts o = small_opts(FED_SPOOL_SYNC_EACH);
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	expect_empty(sp);
	append_range(sp, 0, 120);
	fed_spool_stats st;
	fed_spool_get_stats(sp, &st);
	assert_true(st.n_segments >= 5);
	uint64_t n, bytes;
	fed_spool_pending(sp, &n, &bytes);
	assert_int_equal(n, 120);
	// Peeking twice without ack gives the same record.
	const uint8_t *buf;
	size_t len;
	fed_spool_cursor c1, c2;
	assert_int_equal(fed_spool_peek(sp, &buf, &len, &c1), FED_OK);
	assert_int_equal(fed_spool_peek(sp, &buf, &len, &c2), FED_OK);
	assert_int_equal(rec_seq(buf, len), 0);
	assert_memory_equal(&c1, &c2, sizeof(c1));
	consume_range(sp, 0, 120);
	expect_empty(sp);
	fed_spool_get_stats(sp, &st);
	assert_int_equal(st.n_segments, 1);
	assert_int_equal(st.n_corrupt + st.n_torn, 0);
	// Acknowledging an old cursor again changes nothing.
	assert_int_equal(fed_spool_ack(sp, c1), FED_OK);
	append_range(sp, 120, 130);
	consume_range(sp, 120, 130);
	fed_spool_close(sp);
	rm_dir(dir);
}

// Two spools fed the same records lay them out alike: the cursors taken in
// one acknowledge batches in the other, through the walking path.
static void
test_ack_batches_and_bad_cursors(void **state)
{
	(void) state;
	char *da = tmp_dir(), *db = tmp_dir();
	fed_spool_opts o = small_opts(FED_SPOOL_SYNC_EACH);
	fed_spool *a, *b;
	assert_int_equal(fed_spool_open(da, &o, &a), FED_OK);
	assert_int_equal(fed_spool_open(db, &o, &b), FED_OK);
	append_range(a, 0, 60);
	append_range(b, 0, 60);
	fed_spool_cursor cs[60];
	const uint8_t *buf;
	size_t len;
	for (int i = 0; i < 60; i++) {
		assert_int_equal(
		    fed_spool_peek(b, &buf, &len, &cs[i]), FED_OK);
		assert_int_equal(fed_spool_ack(b, cs[i]), FED_OK);
	}
	fed_spool_close(b);
	fed_spool_cursor off_boundary = {cs[0].segment, cs[0].offset - 1};
	assert_int_equal(fed_spool_ack(a, off_boundary), FED_INVALID_ARGUMENT);
	fed_spool_cursor beyond = {cs[59].segment + 1000, 16};
	assert_int_equal(fed_spool_ack(a, beyond), FED_INVALID_ARGUMENT);
	fed_spool_cursor past_end = {cs[59].segment, cs[59].offset + 8};
	assert_int_equal(fed_spool_ack(a, past_end), FED_INVALID_ARGUMENT);
	assert_true(cs[39].segment > cs[9].segment);
	uint64_t n, bytes, want = 0;
	uint8_t tmp[REC_MAX];
	for (uint64_t s = 40; s < 60; s++)
		want += SPOOL_REC_HDR + make_rec(s, tmp);
	assert_int_equal(fed_spool_ack(a, cs[9]), FED_OK);
	consume_range(a, 10, 11);
	assert_int_equal(fed_spool_ack(a, cs[39]), FED_OK); // across segments
	fed_spool_pending(a, &n, &bytes);
	assert_int_equal(n, 20);
	assert_int_equal(bytes, want);
	assert_int_equal(fed_spool_ack(a, cs[5]), FED_OK); // already done
	consume_range(a, 40, 60);
	expect_empty(a);
	assert_int_equal(fed_spool_append(a, tmp, 0), FED_INVALID_ARGUMENT);
	uint8_t *big = calloc(1, o.max_record_len + 1);
	assert_int_equal(fed_spool_append(a, big, o.max_record_len + 1),
	    FED_INVALID_ARGUMENT);
	free(big);
	fed_spool_close(a);
	fed_spool_opts bad = o;
	bad.segment_bytes = 100;
	assert_int_equal(fed_spool_open(da, &bad, &a), FED_INVALID_ARGUMENT);
	bad = o;
	bad.max_bytes = o.segment_bytes - 1;
	assert_int_equal(fed_spool_open(da, &bad, &a), FED_INVALID_ARGUMENT);
	bad = o;
	bad.group_ms = 0;
	assert_int_equal(fed_spool_open(da, &bad, &a), FED_INVALID_ARGUMENT);
	assert_int_equal(fed_spool_open("/nonexistent-parent/spool", NULL, &a),
	    FED_NOT_FOUND);
	rm_dir(da);
	rm_dir(db);
}

static void
reopen_mode(fed_spool_sync_mode mode)
{
	char *dir = tmp_dir();
	fed_spool_opts o = small_opts(mode);
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	append_range(sp, 0, 100);
	assert_int_equal(fed_spool_wait(sp, 2000), FED_OK);
	consume_range(sp, 0, 40);
	fed_spool_close(sp);
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	uint64_t n, bytes, want = 0;
	fed_spool_pending(sp, &n, &bytes);
	assert_int_equal(n, 60);
	uint8_t buf[REC_MAX];
	for (uint64_t s = 40; s < 100; s++)
		want += SPOOL_REC_HDR + make_rec(s, buf);
	assert_int_equal(bytes, want);
	consume_range(sp, 40, 70);
	fed_spool_close(sp);
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	consume_range(sp, 70, 100);
	expect_empty(sp);
	fed_spool_close(sp);
	rm_dir(dir);
}

static void
test_reopen(void **state)
{
	(void) state;
	reopen_mode(FED_SPOOL_SYNC_EACH);
	reopen_mode(FED_SPOOL_SYNC_GROUP);
}

// Group commit: a record is not handed out before it is synced; wait
// times out until then.
static void
test_group_durability(void **state)
{
	(void) state;
	char *dir = tmp_dir();
	fed_spool_opts o = small_opts(FED_SPOOL_SYNC_GROUP);
	o.group_ms = 10000;
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	append_range(sp, 0, 3);
	const uint8_t *b;
	size_t l;
	fed_spool_cursor c;
	assert_int_equal(fed_spool_peek(sp, &b, &l, &c), FED_NOT_FOUND);
	assert_int_equal(fed_spool_wait(sp, 20), FED_DEADLINE_EXCEEDED);
	uint64_t n;
	fed_spool_pending(sp, &n, NULL);
	assert_int_equal(n, 3);
	assert_int_equal(fed_spool_sync(sp), FED_OK);
	assert_int_equal(fed_spool_wait(sp, 0), FED_OK);
	consume_range(sp, 0, 3);
	expect_empty(sp);
	fed_spool_close(sp);
	rm_dir(dir);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	*len = (size_t) file_size(path);
	uint8_t *b = malloc(*len);
	assert_int_equal(read(fd, b, *len), (ssize_t) *len);
	close(fd);
	return b;
}

static void
write_file(const char *path, const uint8_t *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, len), (ssize_t) len);
	close(fd);
}

// Cuts the last record at every byte: the records before it come back,
// the cut one never, and appending goes on after them.
static void
test_torn_tail(void **state)
{
	(void) state;
	char *dir = tmp_dir();
	fed_spool_opts o = small_opts(FED_SPOOL_SYNC_EACH);
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	append_range(sp, 0, 5);
	char *path = seg_path(dir, 1);
	off_t before = file_size(path);
	append_range(sp, 5, 6);
	fed_spool_close(sp);
	size_t len;
	uint8_t *orig = read_file(path, &len);
	char cursor[512];
	snprintf(cursor, sizeof(cursor), "%s/cursor", dir);
	for (size_t cut = (size_t) before; cut < len; cut++) {
		unlink(cursor);
		write_file(path, orig, cut);
		assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
		fed_spool_stats st;
		fed_spool_get_stats(sp, &st);
		assert_int_equal(st.n_torn, cut > (size_t) before);
		assert_int_equal(st.bytes_dropped, cut - (size_t) before);
		assert_int_equal(file_size(path), before);
		uint64_t n;
		fed_spool_pending(sp, &n, NULL);
		assert_int_equal(n, 5);
		append_range(sp, 100, 101);
		consume_range(sp, 0, 5);
		consume_range(sp, 100, 101);
		expect_empty(sp);
		fed_spool_close(sp);
	}
	free(orig);
	free(path);
	rm_dir(dir);
}

// Offset of record `k` (0-based) in a segment file.
static off_t
rec_offset(const uint8_t *file, size_t k)
{
	off_t off = SPOOL_SEG_HDR;
	for (size_t i = 0; i < k; i++)
		off += SPOOL_REC_HDR + fed__spool_get32(file + off + 4);
	return off;
}

// Sequence numbers delivered, in order, until the spool is empty.
static size_t
drain(fed_spool *sp, uint64_t *seqs, size_t max)
{
	size_t n = 0;
	const uint8_t *b;
	size_t l;
	fed_spool_cursor c;
	while (n < max && fed_spool_peek(sp, &b, &l, &c) == FED_OK) {
		seqs[n++] = rec_seq(b, l);
		assert_int_equal(fed_spool_ack(sp, c), FED_OK);
	}
	return n;
}

static void
test_flipped_byte_at_open(void **state)
{
	(void) state;
	char *dir = tmp_dir();
	fed_spool_opts o = small_opts(FED_SPOOL_SYNC_EACH);
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	append_range(sp, 0, 60);
	fed_spool_close(sp);
	// Segment 1 is sealed: flip a payload byte of its third record.
	char *p1 = seg_path(dir, 1);
	size_t len;
	uint8_t *f = read_file(p1, &len);
	size_t in_seg1 = 0;
	for (off_t off = SPOOL_SEG_HDR; (size_t) off < len; in_seg1++)
		off += SPOOL_REC_HDR + fed__spool_get32(f + off + 4);
	assert_true(in_seg1 > 3);
	flip_byte(p1, rec_offset(f, 2) + SPOOL_REC_HDR + 3);
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	fed_spool_stats st;
	fed_spool_get_stats(sp, &st);
	assert_int_equal(st.n_corrupt, 1);
	assert_int_equal(st.n_records_lost, 1);
	assert_int_equal(st.n_torn, 0);
	assert_int_equal(file_size(p1), (off_t) len);
	uint64_t seqs[100];
	size_t n = drain(sp, seqs, 100);
	assert_int_equal(n, 59);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(seqs[i], i < 2 ? i : i + 1);
	fed_spool_close(sp);
	free(f);
	free(p1);
	rm_dir(dir);
}

static void
test_flipped_byte_at_peek(void **state)
{
	(void) state;
	char *dir = tmp_dir();
	fed_spool_opts o = small_opts(FED_SPOOL_SYNC_EACH);
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	append_range(sp, 0, 10);
	// The active segment goes bad under the open spool (a length byte
	// this time): peek skips that record only, appends go on.
	char *p1 = seg_path(dir, 1);
	size_t len;
	uint8_t *f = read_file(p1, &len);
	flip_byte(p1, rec_offset(f, 4) + 5);
	append_range(sp, 10, 12);
	uint64_t seqs[20];
	size_t n = drain(sp, seqs, 20);
	assert_int_equal(n, 11);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(seqs[i], i < 4 ? i : i + 1);
	fed_spool_stats st;
	fed_spool_get_stats(sp, &st);
	assert_int_equal(st.n_corrupt, 1);
	assert_int_equal(st.n_records_lost, 1);
	uint64_t pend;
	fed_spool_pending(sp, &pend, NULL);
	assert_int_equal(pend, 0);
	append_range(sp, 12, 14);
	n = drain(sp, seqs, 20);
	assert_int_equal(n, 2);
	assert_int_equal(seqs[0], 12);
	assert_int_equal(seqs[1], 13);
	fed_spool_close(sp);
	free(f);
	free(p1);
	rm_dir(dir);
}

// A bad record in the middle of the newest segment (records after it)
// costs that record, not a truncation; a bad segment header skips the
// segment.
static void
test_flipped_byte_last_segment_and_header(void **state)
{
	(void) state;
	char *dir = tmp_dir();
	fed_spool_opts o = small_opts(FED_SPOOL_SYNC_EACH);
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	append_range(sp, 0, 60);
	fed_spool_close(sp);
	// Find the last segment and flip the CRC of its first record.
	uint64_t last = 1;
	for (;;) {
		char *p = seg_path(dir, last + 1);
		int ok = access(p, F_OK) == 0;
		free(p);
		if (!ok)
			break;
		last++;
	}
	assert_true(last >= 3);
	char *pl = seg_path(dir, last);
	char *p1 = seg_path(dir, 1);
	size_t len;
	uint8_t *f = read_file(pl, &len);
	assert_true(rec_offset(f, 1) < (off_t) len); // it has 2+ records
	flip_byte(pl, SPOOL_SEG_HDR + 5);
	flip_byte(p1, 2); // the magic of segment 1
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	fed_spool_stats st;
	fed_spool_get_stats(sp, &st);
	assert_int_equal(st.n_corrupt, 2);
	assert_int_equal(st.n_torn, 0);
	assert_int_equal(file_size(pl), (off_t) len); // not truncated
	append_range(sp, 60, 61);
	uint64_t seqs[80];
	size_t n = drain(sp, seqs, 80);
	uint64_t first_last
	    = fed__spool_get64(f + SPOOL_SEG_HDR + SPOOL_REC_HDR);
	for (size_t i = 1; i < n; i++)
		assert_true(seqs[i] > seqs[i - 1]);
	for (size_t i = 0; i < n; i++)
		assert_true(seqs[i] != first_last);
	assert_int_equal(seqs[n - 2] + 1, 60); // the rest of the last one
	assert_true(seqs[0] > 0); // segment 1 skipped
	assert_int_equal(seqs[n - 1], 60);
	for (size_t i = 0; i < n; i++)
		assert_true(seqs[i] != UINT64_MAX);
	fed_spool_close(sp);
	free(f);
	free(pl);
	free(p1);
	rm_dir(dir);
}

// A spool of n records (seq 0..n-1) in one segment, closed; its path.
static char *
one_segment(const char *dir, uint64_t n)
{
	fed_spool_opts o = FED_SPOOL_OPTS_DEFAULT;
	o.sync = FED_SPOOL_SYNC_GROUP;
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	append_range(sp, 0, n);
	fed_spool_close(sp);
	return seg_path(dir, 1);
}

// Reopens dir; every record but those in `gone` (sorted, n_gone) comes
// back in order; n_records_lost says n_gone, nothing is torn, the file
// keeps its size.
static void
expect_lost(const char *dir, uint64_t n, const uint64_t *gone, size_t n_gone)
{
	char *path = seg_path(dir, 1);
	off_t size = file_size(path);
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, NULL, &sp), FED_OK);
	fed_spool_stats st;
	fed_spool_get_stats(sp, &st);
	assert_int_equal(st.n_records_lost, n_gone);
	assert_int_equal(st.n_torn, 0);
	assert_int_equal(file_size(path), size);
	uint64_t *seqs = malloc(n * sizeof(*seqs));
	assert_non_null(seqs);
	assert_int_equal(drain(sp, seqs, n), n - n_gone);
	size_t k = 0, g = 0;
	for (uint64_t want = 0; want < n; want++) {
		if (g < n_gone && gone[g] == want)
			g++;
		else
			assert_int_equal(seqs[k++], want);
	}
	fed_spool_close(sp);
	free(seqs);
	free(path);
}

// One flipped bit in the middle record of a segment of 200, in each field
// of its header and in its payload, costs that record only.
static void
test_one_bit_costs_one_record(void **state)
{
	(void) state;
	// marker, length, payload CRC, header CRC, payload
	static const off_t at[] = {1, 5, 9, 14, SPOOL_REC_HDR + 4};
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		char *dir = tmp_dir();
		char *path = one_segment(dir, 200);
		size_t len;
		uint8_t *f = read_file(path, &len);
		flip_byte(path, rec_offset(f, 100) + at[i]);
		uint64_t gone = 100;
		expect_lost(dir, 200, &gone, 1);
		free(f);
		free(path);
		rm_dir(dir);
	}
}

// Damage in the first record, in two neighbours at once and further on:
// each damaged record is counted, nothing else is lost.
static void
test_several_damaged_records(void **state)
{
	(void) state;
	char *dir = tmp_dir();
	char *path = one_segment(dir, 100);
	size_t len;
	uint8_t *f = read_file(path, &len);
	flip_byte(path, rec_offset(f, 0) + 5);
	flip_byte(path, rec_offset(f, 40) + SPOOL_REC_HDR + 2);
	flip_byte(path, rec_offset(f, 41) + SPOOL_REC_HDR + 2);
	flip_byte(path, rec_offset(f, 70) + 9);
	uint64_t gone[] = {0, 40, 41, 70};
	expect_lost(dir, 100, gone, 4);
	free(f);
	free(path);
	rm_dir(dir);
}

// A file cut in the middle of its last record is still a torn tail (cut
// off, not counted as lost), damage before it notwithstanding.
static void
test_damage_then_torn_tail(void **state)
{
	(void) state;
	char *dir = tmp_dir();
	char *path = one_segment(dir, 50);
	size_t len;
	uint8_t *f = read_file(path, &len);
	off_t last = rec_offset(f, 49);
	write_file(path, f, (size_t) last + SPOOL_REC_HDR + 3);
	flip_byte(path, rec_offset(f, 20) + SPOOL_REC_HDR + 1);
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, NULL, &sp), FED_OK);
	fed_spool_stats st;
	fed_spool_get_stats(sp, &st);
	assert_int_equal(st.n_torn, 1);
	assert_int_equal(st.n_records_lost, 1);
	assert_int_equal(file_size(path), last);
	append_range(sp, 49, 50);
	uint64_t seqs[60];
	assert_int_equal(drain(sp, seqs, 60), 49);
	for (size_t i = 0; i < 49; i++)
		assert_int_equal(seqs[i], i < 20 ? i : i + 1);
	fed_spool_close(sp);
	free(f);
	free(path);
	rm_dir(dir);
}

// A segment of the first format ("EFSPOOL1", records u32 length, u32
// CRC32C(length, payload)) is still read; appends go to a new segment.
static void
test_reads_old_format(void **state)
{
	(void) state;
	char *dir = tmp_dir();
	char *path = seg_path(dir, 1);
	uint8_t file[16 + 3 * (SPOOL_REC_HDR_V1 + REC_MAX)];
	memcpy(file, SPOOL_SEG_MAGIC_V1, 8);
	fed__spool_put64(file + 8, 1);
	size_t off = SPOOL_SEG_HDR;
	for (uint64_t seq = 0; seq < 3; seq++) {
		size_t n = make_rec(seq, file + off + SPOOL_REC_HDR_V1);
		fed__spool_put32(file + off, (uint32_t) n);
		uint32_t crc = fed_crc32c(0, file + off, 4);
		crc = fed_crc32c(crc, file + off + 8, n);
		fed__spool_put32(file + off + 4, crc);
		off += SPOOL_REC_HDR_V1 + n;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, file, off);
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, NULL, &sp), FED_OK);
	append_range(sp, 3, 5);
	consume_range(sp, 0, 5);
	expect_empty(sp);
	fed_spool_close(sp);
	char *p2 = seg_path(dir, 2);
	assert_true(file_size(p2) > SPOOL_SEG_HDR);
	free(p2);
	free(path);
	rm_dir(dir);
}

// Any single bit flipped anywhere among the records of a sealed segment
// (positions drawn from a fixed seed) costs exactly one record.
static void
test_any_bit_costs_one_record(void **state)
{
	(void) state;
	fed_spool_opts o = small_opts(FED_SPOOL_SYNC_GROUP);
	uint32_t seed = 12345;
	for (int round = 0; round < 25; round++) {
		char *dir = tmp_dir();
		fed_spool *sp;
		assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
		append_range(sp, 0, 40);
		fed_spool_close(sp);
		char *p1 = seg_path(dir, 1);
		off_t size = file_size(p1);
		seed = seed * 1103515245u + 12345u;
		off_t at = SPOOL_SEG_HDR
		    + (off_t) (seed >> 8) % (size - SPOOL_SEG_HDR);
		flip_byte(p1, at);
		assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
		fed_spool_stats st;
		fed_spool_get_stats(sp, &st);
		assert_int_equal(st.n_records_lost, 1);
		assert_int_equal(st.n_torn, 0);
		uint64_t seqs[40];
		size_t n = drain(sp, seqs, 40);
		assert_int_equal(n, 39);
		for (size_t i = 1; i < n; i++)
			assert_true(seqs[i] > seqs[i - 1]);
		assert_true(seqs[n - 1] <= 39);
		fed_spool_close(sp);
		free(p1);
		rm_dir(dir);
	}
}

static uint64_t
n_corrupt(fed_spool *sp)
{
	fed_spool_stats st;
	fed_spool_get_stats(sp, &st);
	return st.n_corrupt;
}

// Reads ahead from `after` up to max records; their seqs and cursors.
static size_t
read_ahead(fed_spool *sp, fed_spool_cursor after, uint64_t *seqs,
    fed_spool_cursor *cur, size_t max)
{
	size_t n = 0;
	const uint8_t *buf;
	size_t len;
	while (n < max
	    && fed_spool_peek_after(sp, after, &buf, &len, &cur[n])
	        == FED_OK) {
		seqs[n] = rec_seq(buf, len);
		after = cur[n++];
	}
	return n;
}

// Reading ahead of the acknowledgement (a sender with calls in flight):
// every record in order across segments, nothing that is not durable,
// acks of a prefix, a cursor at or before the ack naming the oldest, and
// damage ahead ending the read-ahead until the oldest record reaches it
// (then skipped there, once).
static void
test_peek_after(void **state)
{
	(void) state;
	char *dir = tmp_dir();
	fed_spool_opts o = small_opts(FED_SPOOL_SYNC_GROUP);
	o.group_ms = 10000; // nothing synced unless asked
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	append_range(sp, 0, 60);
	uint64_t seqs[80];
	fed_spool_cursor cur[80], head = {0, 0};
	size_t n = read_ahead(sp, head, seqs, cur, 80);
	assert_true(n < 60); // the active segment is not synced yet
	assert_int_equal(fed_spool_sync(sp), FED_OK);
	n = read_ahead(sp, head, seqs, cur, 80);
	assert_int_equal(n, 60);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(seqs[i], i);
	assert_true(cur[59].segment > cur[0].segment); // rotated
	// Acks of a prefix; reading on from any record ahead still works.
	assert_int_equal(fed_spool_ack(sp, cur[9]), FED_OK);
	const uint8_t *buf;
	size_t len;
	fed_spool_cursor c;
	assert_int_equal(
	    fed_spool_peek_after(sp, cur[4], &buf, &len, &c), FED_OK);
	assert_int_equal(rec_seq(buf, len), 10); // the oldest
	assert_int_equal(
	    fed_spool_peek_after(sp, cur[29], &buf, &len, &c), FED_OK);
	assert_int_equal(rec_seq(buf, len), 30);
	assert_int_equal(fed_spool_ack(sp, cur[39]), FED_OK);
	uint64_t pend;
	fed_spool_pending(sp, &pend, NULL);
	assert_int_equal(pend, 20);
	// Damage in record 50: reading ahead stops before it ...
	char *p = seg_path(dir, cur[50].segment);
	size_t flen;
	uint8_t *f = read_file(p, &flen);
	fed_spool_cursor at = cur[49].segment == cur[50].segment
	    ? cur[49]
	    : (fed_spool_cursor) {cur[50].segment, SPOOL_SEG_HDR};
	flip_byte(p, (off_t) at.offset + 20);
	n = read_ahead(sp, cur[39], seqs, cur + 40, 40);
	assert_int_equal(n, 10);
	assert_int_equal(seqs[9], 49);
	assert_int_equal(n_corrupt(sp), 0);
	// ... and the oldest record, once there, skips it.
	assert_int_equal(fed_spool_ack(sp, cur[49]), FED_OK);
	assert_int_equal(
	    fed_spool_peek_after(sp, cur[49], &buf, &len, &c), FED_OK);
	assert_int_equal(rec_seq(buf, len), 51);
	assert_int_equal(n_corrupt(sp), 1);
	assert_int_equal(fed_spool_ack(sp, c), FED_OK);
	n = read_ahead(sp, c, seqs, cur, 80);
	assert_int_equal(n, 8);
	assert_int_equal(seqs[7], 59);
	assert_int_equal(fed_spool_ack(sp, cur[7]), FED_OK);
	assert_int_equal(
	    fed_spool_peek_after(sp, cur[7], &buf, &len, &c), FED_NOT_FOUND);
	expect_empty(sp);
	fed_spool_close(sp);
	free(f);
	free(p);
	rm_dir(dir);
}

static void
test_cap(void **state)
{
	(void) state;
	char *dir = tmp_dir();
	fed_spool_opts o = small_opts(FED_SPOOL_SYNC_GROUP);
	o.max_bytes = 16384;
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	uint8_t buf[REC_MAX];
	uint64_t s = 0;
	fed_status st;
	while ((st = fed_spool_append(sp, buf, make_rec(s, buf))) == FED_OK)
		s++;
	assert_int_equal(st, FED_RESOURCE_EXHAUSTED);
	uint64_t n, bytes;
	fed_spool_pending(sp, &n, &bytes);
	assert_int_equal(n, s);
	assert_true(bytes <= o.max_bytes);
	assert_true(bytes + SPOOL_REC_HDR + make_rec(s, buf) > o.max_bytes);
	// Nothing was dropped; acknowledging makes room again.
	assert_int_equal(fed_spool_wait(sp, 2000), FED_OK);
	assert_int_equal(fed_spool_sync(sp), FED_OK);
	consume_range(sp, 0, 3);
	assert_int_equal(fed_spool_append(sp, buf, make_rec(s, buf)), FED_OK);
	assert_int_equal(fed_spool_sync(sp), FED_OK);
	consume_range(sp, 3, s + 1);
	expect_empty(sp);
	fed_spool_close(sp);
	rm_dir(dir);
}

static void
test_damaged_cursor(void **state)
{
	(void) state;
	char *dir = tmp_dir();
	fed_spool_opts o = small_opts(FED_SPOOL_SYNC_EACH);
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	append_range(sp, 0, 5);
	consume_range(sp, 0, 2);
	fed_spool_close(sp);
	char path[512];
	snprintf(path, sizeof(path), "%s/cursor", dir);
	flip_byte(path, 12);
	// The cursor is refused: everything still in the segments is sent
	// again (at-least-once), nothing is lost.
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	consume_range(sp, 0, 5);
	expect_empty(sp);
	fed_spool_close(sp);
	rm_dir(dir);
}

// Writes a cursor file (valid CRC) naming (segment, offset).
static void
put_cursor(const char *dir, uint64_t segment, uint64_t offset)
{
	uint8_t b[SPOOL_CURSOR_LEN];
	memcpy(b, SPOOL_CURSOR_MAGIC, 8);
	fed__spool_put64(b + 8, segment);
	fed__spool_put64(b + 16, offset);
	fed__spool_put32(b + 24, fed_crc32c(0, b, 24));
	char path[512];
	snprintf(path, sizeof(path), "%s/cursor", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, sizeof(b)), (ssize_t) sizeof(b));
	close(fd);
}

// Cursors that our own writer never produces still lose nothing: inside
// the header, between boundaries (back to the boundary before), past the
// end (all of that segment acknowledged).
static void
test_crafted_cursor(void **state)
{
	(void) state;
	char *dir = tmp_dir();
	fed_spool_opts o = small_opts(FED_SPOOL_SYNC_EACH);
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	append_range(sp, 0, 5);
	fed_spool_close(sp);
	char *path = seg_path(dir, 1);
	size_t len;
	uint8_t *f = read_file(path, &len);
	put_cursor(dir, 1, 0);
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	uint64_t n;
	fed_spool_pending(sp, &n, NULL);
	assert_int_equal(n, 5);
	fed_spool_close(sp);
	put_cursor(dir, 1, (uint64_t) rec_offset(f, 2) + 3);
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	fed_spool_pending(sp, &n, NULL);
	assert_int_equal(n, 3);
	consume_range(sp, 2, 3);
	fed_spool_close(sp);
	put_cursor(dir, 1, len + 1000);
	assert_int_equal(fed_spool_open(dir, &o, &sp), FED_OK);
	expect_empty(sp);
	append_range(sp, 5, 6);
	consume_range(sp, 5, 6);
	fed_spool_close(sp);
	free(f);
	free(path);
	rm_dir(dir);
}

static void
test_lock(void **state)
{
	(void) state;
	char *dir = tmp_dir();
	fed_spool *a, *b;
	assert_int_equal(fed_spool_open(dir, NULL, &a), FED_OK);
	assert_int_equal(
	    fed_spool_open(dir, NULL, &b), FED_FAILED_PRECONDITION);
	fed_spool_close(a);
	assert_int_equal(fed_spool_open(dir, NULL, &b), FED_OK);
	fed_spool_close(b);
	fed_spool_close(NULL);
	rm_dir(dir);
}

struct duo {
	fed_spool *sp;
	uint64_t n;
	uint64_t bad; // first wrong sequence number seen, or UINT64_MAX
	fed_status err;
};

static void *
appender(void *arg)
{
	struct duo *d = arg;
	uint8_t buf[REC_MAX];
	for (uint64_t s = 0; s < d->n && d->err == FED_OK;) {
		fed_status st = fed_spool_append(d->sp, buf, make_rec(s, buf));
		if (st == FED_OK)
			s++;
		else if (st == FED_RESOURCE_EXHAUSTED)
			nanosleep(&(struct timespec) {0, 200000}, NULL);
		else
			d->err = st;
	}
	return NULL;
}

static void *
sender(void *arg)
{
	struct duo *d = arg;
	for (uint64_t s = 0; s < d->n && d->err == FED_OK; s++) {
		const uint8_t *b;
		size_t l;
		fed_spool_cursor c;
		fed_status st = fed_spool_wait(d->sp, 5000);
		if (st == FED_OK)
			st = fed_spool_peek(d->sp, &b, &l, &c);
		if (st == FED_OK && rec_seq(b, l) != s && d->bad == UINT64_MAX)
			d->bad = s;
		if (st == FED_OK)
			st = fed_spool_ack(d->sp, c);
		if (st != FED_OK)
			d->err = st;
	}
	return NULL;
}

static void
concurrent(fed_spool_sync_mode mode, uint64_t n)
{
	char *dir = tmp_dir();
	fed_spool_opts o = small_opts(mode);
	o.max_bytes = 8 * o.segment_bytes; // the appender meets the cap
	struct duo d = {.n = n, .bad = UINT64_MAX, .err = FED_OK};
	assert_int_equal(fed_spool_open(dir, &o, &d.sp), FED_OK);
	pthread_t ta, ts;
	assert_int_equal(pthread_create(&ts, NULL, sender, &d), 0);
	assert_int_equal(pthread_create(&ta, NULL, appender, &d), 0);
	pthread_join(ta, NULL);
	pthread_join(ts, NULL);
	assert_int_equal(d.err, FED_OK);
	assert_int_equal(d.bad, UINT64_MAX);
	expect_empty(d.sp);
	fed_spool_close(d.sp);
	rm_dir(dir);
}

static void
test_concurrent(void **state)
{
	(void) state;
	concurrent(FED_SPOOL_SYNC_GROUP, 5000);
	concurrent(FED_SPOOL_SYNC_EACH, 300);
}

// The child appends from `start` for ever, writing each sequence number to
// the pipe once its append returned (durable, SYNC_EACH).
static void
crash_child(const char *dir, int wfd, uint64_t start)
{
	fed_spool_opts o = FED_SPOOL_OPTS_DEFAULT;
	o.segment_bytes = 16384;
	fed_spool *sp;
	if (fed_spool_open(dir, &o, &sp) != FED_OK)
		_exit(2);
	uint8_t buf[REC_MAX];
	for (uint64_t s = start;; s++) {
		if (fed_spool_append(sp, buf, make_rec(s, buf)) != FED_OK)
			_exit(3);
		if (write(wfd, &s, sizeof(s)) != (ssize_t) sizeof(s))
			_exit(4);
	}
}

// Runs one child, kills it at a random moment; returns the last sequence
// number it reported.
static uint64_t
crash_round(const char *dir, uint64_t start, unsigned *seed)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		crash_child(dir, p[1], start);
	}
	close(p[1]);
	uint64_t s, last;
	assert_int_equal(read(p[0], &last, sizeof(last)), sizeof(last));
	long ns = (long) (rand_r(seed) % 20000) * 1000L;
	nanosleep(&(struct timespec) {0, ns}, NULL);
	kill(pid, SIGKILL);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	while (read(p[0], &s, sizeof(s)) == (ssize_t) sizeof(s))
		last = s;
	close(p[0]);
	return last;
}

static void
test_crash(void **state)
{
	(void) state;
	char *dir = tmp_dir();
	unsigned seed = (unsigned) time(NULL);
	print_message("crash test seed %u\n", seed);
	uint64_t next = 0; // the oldest record not acknowledged
	uint64_t top = 0; // the next sequence number to append
	for (int round = 0; round < 10; round++) {
		uint64_t last = crash_round(dir, top, &seed);
		fed_spool *sp;
		assert_int_equal(fed_spool_open(dir, NULL, &sp), FED_OK);
		fed_spool_stats st;
		fed_spool_get_stats(sp, &st);
		assert_int_equal(st.n_corrupt, 0);
		// Every reported record is there, in order; at most one more
		// (appended, not yet reported) may follow.
		uint64_t n;
		fed_spool_pending(sp, &n, NULL);
		assert_true(n >= last + 1 - next && n <= last + 2 - next);
		const uint8_t *b;
		size_t l;
		fed_spool_cursor c;
		uint64_t half = next + n / 2;
		for (uint64_t s = next; s < next + n; s++) {
			assert_int_equal(
			    fed_spool_peek(sp, &b, &l, &c), FED_OK);
			assert_int_equal(rec_seq(b, l), s);
			if (s < half)
				assert_int_equal(fed_spool_ack(sp, c), FED_OK);
			else
				break;
		}
		top = next + n;
		next = half;
		fed_spool_close(sp);
	}
	fed_spool *sp;
	assert_int_equal(fed_spool_open(dir, NULL, &sp), FED_OK);
	consume_range(sp, next, top);
	expect_empty(sp);
	fed_spool_close(sp);
	rm_dir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_across_rotation),
	    cmocka_unit_test(test_ack_batches_and_bad_cursors),
	    cmocka_unit_test(test_reopen),
	    cmocka_unit_test(test_group_durability),
	    cmocka_unit_test(test_torn_tail),
	    cmocka_unit_test(test_flipped_byte_at_open),
	    cmocka_unit_test(test_flipped_byte_at_peek),
	    cmocka_unit_test(test_flipped_byte_last_segment_and_header),
	    cmocka_unit_test(test_one_bit_costs_one_record),
	    cmocka_unit_test(test_several_damaged_records),
	    cmocka_unit_test(test_any_bit_costs_one_record),
	    cmocka_unit_test(test_damage_then_torn_tail),
	    cmocka_unit_test(test_reads_old_format),
	    cmocka_unit_test(test_peek_after),
	    cmocka_unit_test(test_cap),
	    cmocka_unit_test(test_damaged_cursor),
	    cmocka_unit_test(test_crafted_cursor),
	    cmocka_unit_test(test_lock),
	    cmocka_unit_test(test_concurrent),
	    cmocka_unit_test(test_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
