// SPDX-License-Identifier: MIT
//
// bench_spool.c: the edge spool's throughput on the disk at hand. Appends
// with an fdatasync per record and with group commit, then peek + ack
// (each ack persisted, or grouped). Then what one flipped bit costs: a
// full 4 MiB segment, one bit flipped in the middle of the file, reopened
// and drained (records lost, time to reopen). Then durable appends from
// 1, 2 and 4 threads at once, each append durable when it returns: with
// an fdatasync per append (SYNC_EACH), and grouped (SYNC_GROUP, each
// append followed by fed_spool_sync, so that appends made while another
// thread syncs share the next fdatasync): whether gathering concurrent
// appends into one fsync would pay, and for whom (docs/spool.md, "Group
// commit"). Last, one durable appender while a sender acknowledges each
// record, or 8 at a time. Prints `name value unit` lines.
//
// Usage: bench_spool [parent_dir] [record_bytes]
//   parent_dir   where the scratch spools go (default $TMPDIR or /tmp);
//                measure on the device the collector will use
//   record_bytes payload size (default 200, about one IngestRequest of a
//                few points)

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fed/clock.h"
#include "fed/spool.h"

static void
rm_spool(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char p[4096 + 260];
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static void
print_rate(const char *name, double n, int64_t ns, size_t rec)
{
	double s = (double) ns / 1e9;
	printf("%s_records %.0f records/s\n", name, n / s);
	printf("%s_mb %.2f MB/s\n", name, n * (double) rec / s / 1e6);
}

static int
bench_append(const char *dir, fed_spool_sync_mode mode, long n, size_t rec,
    const char *name)
{
	fed_spool_opts o = FED_SPOOL_OPTS_DEFAULT;
	o.sync = mode;
	o.max_bytes = 1u << 30;
	fed_spool *sp;
	if (fed_spool_open(dir, &o, &sp) != FED_OK)
		return -1;
	uint8_t *buf = calloc(1, rec);
	int64_t t0 = fed_clock_mono_ns();
	for (long i = 0; i < n && buf != NULL; i++) {
		memcpy(buf, &i, sizeof(i) < rec ? sizeof(i) : rec);
		if (fed_spool_append(sp, buf, rec) != FED_OK)
			return -1;
	}
	fed_status st = fed_spool_sync(sp);
	print_rate(name, (double) n, fed_clock_mono_ns() - t0, rec);
	free(buf);
	fed_spool_close(sp);
	return st == FED_OK ? 0 : -1;
}

static int
bench_drain(const char *dir, fed_spool_sync_mode mode, long n, size_t rec,
    const char *name)
{
	fed_spool_opts o = FED_SPOOL_OPTS_DEFAULT;
	o.sync = mode;
	o.max_bytes = 1u << 30;
	fed_spool *sp;
	if (fed_spool_open(dir, &o, &sp) != FED_OK)
		return -1;
	int64_t t0 = fed_clock_mono_ns();
	long got = 0;
	const uint8_t *b;
	size_t l;
	fed_spool_cursor c;
	while (got < n && fed_spool_peek(sp, &b, &l, &c) == FED_OK
	    && fed_spool_ack(sp, c) == FED_OK)
		got++;
	fed_status st = fed_spool_sync(sp);
	print_rate(name, (double) got, fed_clock_mono_ns() - t0, rec);
	fed_spool_close(sp);
	return st == FED_OK && got == n ? 0 : -1;
}

// Flips bit 2 of the byte in the middle of segment 1 of dir.
static int
flip_middle(const char *dir)
{
	char p[4096 + 64];
	snprintf(p, sizeof(p), "%s/seg-0000000000000001.log", dir);
	int fd = open(p, O_RDWR);
	struct stat st;
	uint8_t b;
	int rc = -1;
	if (fd >= 0 && fstat(fd, &st) == 0
	    && pread(fd, &b, 1, st.st_size / 2) == 1) {
		b ^= 4;
		rc = pwrite(fd, &b, 1, st.st_size / 2) == 1 ? 0 : -1;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

// Fills segment 1 (default options: 4 MiB) with records of rec bytes;
// the number appended.
static long
fill_segment(const char *dir, size_t rec)
{
	fed_spool_opts o = FED_SPOOL_OPTS_DEFAULT;
	o.sync = FED_SPOOL_SYNC_GROUP;
	fed_spool *sp;
	if (fed_spool_open(dir, &o, &sp) != FED_OK)
		return -1;
	uint8_t *buf = calloc(1, rec);
	long n = 0;
	fed_spool_stats st = {0};
	while (buf != NULL && st.n_segments <= 1) {
		memcpy(buf, &n, sizeof(n) < rec ? sizeof(n) : rec);
		if (fed_spool_append(sp, buf, rec) != FED_OK)
			break;
		n++;
		fed_spool_get_stats(sp, &st);
	}
	free(buf);
	fed_spool_close(sp);
	return n - 1; // the last one opened segment 2
}

static int
bench_flip(const char *dir, size_t rec)
{
	long n = fill_segment(dir, rec);
	if (n <= 0 || flip_middle(dir) != 0)
		return -1;
	fed_spool_opts o = FED_SPOOL_OPTS_DEFAULT;
	o.sync = FED_SPOOL_SYNC_GROUP;
	fed_spool *sp;
	int64_t t0 = fed_clock_mono_ns();
	if (fed_spool_open(dir, &o, &sp) != FED_OK)
		return -1;
	int64_t open_ns = fed_clock_mono_ns() - t0;
	long got = 0;
	const uint8_t *b;
	size_t l;
	fed_spool_cursor c;
	while (fed_spool_peek(sp, &b, &l, &c) == FED_OK
	    && fed_spool_ack(sp, c) == FED_OK)
		got++;
	fed_spool_close(sp);
	printf("flip_one_bit_records %ld records\n", n + 1);
	printf("flip_one_bit_lost %ld records\n", n + 1 - got);
	printf("flip_one_bit_reopen %.1f ms\n", (double) open_ns / 1e6);
	return 0;
}

typedef struct appender {
	fed_spool *sp;
	long n;
	size_t rec;
	int grouped; // append, then fed_spool_sync
	int failed;
} appender;

static void *
append_main(void *arg)
{
	appender *a = arg;
	uint8_t *buf = calloc(1, a->rec);
	for (long i = 0; buf != NULL && i < a->n && !a->failed; i++) {
		buf[0] = (uint8_t) i;
		if (fed_spool_append(a->sp, buf, a->rec) != FED_OK
		    || (a->grouped && fed_spool_sync(a->sp) != FED_OK))
			a->failed = 1;
	}
	a->failed |= buf == NULL;
	free(buf);
	return NULL;
}

// n_threads threads, n_per durable appends each.
static int
bench_durable_threads(
    const char *dir, int n_threads, int grouped, long n_per, size_t rec)
{
	fed_spool_opts o = FED_SPOOL_OPTS_DEFAULT;
	o.sync = grouped ? FED_SPOOL_SYNC_GROUP : FED_SPOOL_SYNC_EACH;
	o.max_bytes = 1u << 30;
	fed_spool *sp;
	if (fed_spool_open(dir, &o, &sp) != FED_OK)
		return 1;
	appender a[4];
	pthread_t t[4];
	int64_t t0 = fed_clock_mono_ns();
	for (int i = 0; i < n_threads; i++) {
		a[i] = (appender) {sp, n_per, rec, grouped, 0};
		pthread_create(&t[i], NULL, append_main, &a[i]);
	}
	int failed = 0;
	for (int i = 0; i < n_threads; i++) {
		pthread_join(t[i], NULL);
		failed |= a[i].failed;
	}
	int64_t ns = fed_clock_mono_ns() - t0;
	fed_spool_close(sp);
	rm_spool(dir);
	char name[64];
	snprintf(name, sizeof(name), "durable_%s_%dthreads",
	    grouped ? "grouped" : "each", n_threads);
	printf("%s %.0f records/s\n", name,
	    (double) (n_per * n_threads) * 1e9 / (double) ns);
	return failed;
}

typedef struct acker {
	fed_spool *sp;
	long batch; // records read ahead per ack
	int done; // the appender finished (under mu)
	pthread_mutex_t mu;
	long n_acks;
} acker;

static int
acker_done(acker *k)
{
	pthread_mutex_lock(&k->mu);
	int d = k->done;
	pthread_mutex_unlock(&k->mu);
	return d;
}

// A sender without a node: reads ahead up to batch records, acks them in
// one cursor write, until the appender is done and nothing is left.
static void *
ack_main(void *arg)
{
	acker *k = arg;
	for (;;) {
		fed_spool_cursor after = {0, 0}, next;
		const uint8_t *buf;
		size_t len;
		long n = 0;
		while (n < k->batch
		    && fed_spool_peek_after(k->sp, after, &buf, &len, &next)
		        == FED_OK) {
			after = next;
			n++;
		}
		if (n > 0) {
			fed_spool_ack(k->sp, after);
			k->n_acks++;
		} else if (acker_done(k)) {
			return NULL;
		} else {
			fed_spool_wait(k->sp, 10);
		}
	}
}

// One durable appender (SYNC_EACH) while a sender acknowledges, each
// record (batch 1, as a sender with one call at a time) or in batches
// (as the done prefix of calls in flight): the cursor writes share the
// spool's mutex and disk with the appends.
static int
bench_append_while_acking(const char *dir, long batch, long n, size_t rec)
{
	fed_spool_opts o = FED_SPOOL_OPTS_DEFAULT;
	o.max_bytes = 1u << 30;
	fed_spool *sp;
	if (fed_spool_open(dir, &o, &sp) != FED_OK)
		return 1;
	acker k = {.sp = sp, .batch = batch};
	pthread_mutex_init(&k.mu, NULL);
	pthread_t t;
	pthread_create(&t, NULL, ack_main, &k);
	appender a = {sp, n, rec, 0, 0};
	int64_t t0 = fed_clock_mono_ns();
	append_main(&a);
	int64_t ns = fed_clock_mono_ns() - t0;
	pthread_mutex_lock(&k.mu);
	k.done = 1;
	pthread_mutex_unlock(&k.mu);
	pthread_join(t, NULL);
	pthread_mutex_destroy(&k.mu);
	fed_spool_close(sp);
	rm_spool(dir);
	printf("durable_append_while_acking_by_%ld %.0f records/s\n", batch,
	    (double) n * 1e9 / (double) ns);
	printf("durable_append_while_acking_by_%ld_acks %ld acks\n", batch,
	    k.n_acks);
	return a.failed;
}

int
main(int argc, char **argv)
{
	const char *parent = argc > 1 ? argv[1] : getenv("TMPDIR");
	size_t rec = argc > 2 ? (size_t) strtoul(argv[2], NULL, 10) : 200;
	if (rec == 0 || rec > (1u << 20)) {
		fprintf(stderr, "record_bytes must be 1..1048576\n");
		return 2;
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/bench-spool-XXXXXX",
	    parent ? parent : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	int rc = 0;
	rc |= bench_append(dir, FED_SPOOL_SYNC_EACH, 2000, rec, "append_each");
	rc |= bench_drain(
	    dir, FED_SPOOL_SYNC_EACH, 2000, rec, "peek_ack_each");
	rc |= bench_append(
	    dir, FED_SPOOL_SYNC_GROUP, 200000, rec, "append_group");
	rc |= bench_drain(
	    dir, FED_SPOOL_SYNC_GROUP, 200000, rec, "peek_ack_group");
	rm_spool(dir);
	if (mkdir(dir, 0700) == 0) {
		rc |= bench_flip(dir, rec);
		rm_spool(dir);
	}
	static const int threads[3] = {1, 2, 4};
	for (int i = 0; i < 3; i++)
		for (int grouped = 0; grouped < 2; grouped++)
			rc |= bench_durable_threads(
			    dir, threads[i], grouped, 2000 / threads[i], rec);
	rc |= bench_append_while_acking(dir, 1, 2000, rec);
	rc |= bench_append_while_acking(dir, 8, 2000, rec);
	if (rc != 0)
		fprintf(stderr, "bench_spool: a spool call failed\n");
	return rc != 0;
}
