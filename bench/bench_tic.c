// SPDX-License-Identifier: MIT
//
// bench_tic.c: the TIC parser's throughput on the real captures.
//
// Replays the three captures of tests/fixtures/tic (standard, historic
// three-phase, historic Tempo) into one parser, over and over, for about
// two seconds of CPU time, and reads the meter index of every frame as a
// collector would. Prints one figure per line, `name value unit`:
//   tic_frames_per_s       frames parsed per wall-clock second
//   tic_cpu_ns_per_frame   process CPU time per frame
//   tic_mbytes_per_s       input bytes per wall-clock second, in MB/s
// The fixtures directory is argv[1], else $FED_FIXTURES, else the source
// tree's, fixed at build time.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tic_parse.h"

#define WORK_NS     2000000000LL
#define FIXTURE_MAX (1 << 16)

static const char *const fixtures[] = {
    "linky_1P_standard.bin",
    "linky_3P_historic.bin",
    "historic_tempo_frames.bin",
};
#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

struct capture {
	uint8_t *buf;
	size_t len;
};

struct tally {
	uint64_t n_frames;
	uint64_t index_sum_wh; // keeps the decoding from being optimised out
};

static int64_t
now_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
load(const char *dir, const char *name, struct capture *c)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/tic/%s", dir, name);
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		fprintf(stderr, "bench_tic: cannot open %s\n", path);
		return -1;
	}
	c->buf = malloc(FIXTURE_MAX);
	c->len = c->buf == NULL ? 0 : fread(c->buf, 1, FIXTURE_MAX, fp);
	fclose(fp);
	if (c->len == 0 || c->len == FIXTURE_MAX) {
		fprintf(stderr, "bench_tic: cannot read %s\n", path);
		return -1;
	}
	return 0;
}

static void
on_frame(const tic_frame *f, void *arg)
{
	struct tally *t = arg;
	uint64_t wh;
	t->n_frames++;
	if (tic_frame_get_index_wh(f, "EAST", &wh) == FED_OK
	    || tic_frame_get_index_wh(f, "BASE", &wh) == FED_OK
	    || tic_frame_get_index_wh(f, "BBRHCJB", &wh) == FED_OK)
		t->index_sum_wh += wh;
}

static const char *
fixtures_dir(int argc, char **argv)
{
	if (argc > 1)
		return argv[1];
	const char *env = getenv("FED_FIXTURES");
	return env != NULL ? env : FED_FIXTURES_DEFAULT;
}

int
main(int argc, char **argv)
{
	struct capture caps[N_FIXTURES] = {0};
	const char *dir = fixtures_dir(argc, argv);
	for (size_t i = 0; i < N_FIXTURES; i++) {
		if (load(dir, fixtures[i], &caps[i]) != 0)
			return 1;
	}
	static tic_parser parser;
	if (tic_parser_init(&parser, TIC_MODE_AUTO) != FED_OK)
		return 1;
	struct tally t = {0};
	uint64_t n_bytes = 0;
	int64_t wall0 = now_ns(CLOCK_MONOTONIC);
	int64_t cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	int64_t cpu = 0;
	while (cpu < WORK_NS) {
		for (size_t i = 0; i < N_FIXTURES; i++) {
			tic_parser_feed(
			    &parser, caps[i].buf, caps[i].len, on_frame, &t);
			n_bytes += caps[i].len;
		}
		cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	}
	int64_t wall = now_ns(CLOCK_MONOTONIC) - wall0;
	const tic_stats *st = tic_parser_stats(&parser);
	if (t.n_frames == 0 || st->groups_bad_checksum != 0
	    || t.index_sum_wh == 0) {
		fprintf(stderr, "bench_tic: the captures did not parse\n");
		return 1;
	}
	printf("tic_frames_per_s %.0f frames/s\n",
	    (double) t.n_frames * 1e9 / (double) wall);
	printf("tic_cpu_ns_per_frame %.0f ns\n",
	    (double) cpu / (double) t.n_frames);
	printf("tic_mbytes_per_s %.1f MB/s\n",
	    (double) n_bytes * 1e3 / (double) wall);
	for (size_t i = 0; i < N_FIXTURES; i++)
		free(caps[i].buf);
	return 0;
}
