// SPDX-License-Identifier: MIT
//
// fuzz_spool.c: libFuzzer target for spool recovery and reading. The
// input, after its first byte, becomes the records of segment 1 of a
// scratch spool (first byte even: the current "EFSPOOL2" framing, odd:
// the old "EFSPOOL1"); the spool is opened (recovery, resynchronisation,
// torn-tail truncation), drained with peek and ack, appended to and
// closed. Every record handed out must verify, which the spool checks
// itself; the target looks for crashes, leaks and loops.

#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fed/spool.h"
#include "spool_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
clear_dir(const char *dir)
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
}

static int
write_segment(const char *dir, const uint8_t *data, size_t len)
{
	char name[SPOOL_NAME_LEN], p[4096 + SPOOL_NAME_LEN];
	fed__spool_seg_name(name, 1);
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	uint8_t hdr[SPOOL_SEG_HDR];
	memcpy(hdr, data[0] & 1 ? SPOOL_SEG_MAGIC_V1 : SPOOL_SEG_MAGIC, 8);
	fed__spool_put64(hdr + 8, 1);
	int rc = write(fd, hdr, sizeof(hdr)) == (ssize_t) sizeof(hdr)
	        && write(fd, data + 1, len - 1) == (ssize_t) (len - 1)
	    ? 0
	    : -1;
	close(fd);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char dir[256];
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "%s/fuzz-spool-XXXXXX",
		    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	clear_dir(dir);
	if (len == 0 || write_segment(dir, data, len) != 0)
		return 0;
	fed_spool_opts o = FED_SPOOL_OPTS_DEFAULT;
	o.sync = FED_SPOOL_SYNC_GROUP;
	fed_spool *sp;
	if (fed_spool_open(dir, &o, &sp) != FED_OK)
		return 0;
	const uint8_t *b;
	size_t n;
	fed_spool_cursor c;
	while (fed_spool_peek(sp, &b, &n, &c) == FED_OK)
		if (fed_spool_ack(sp, c) != FED_OK)
			abort();
	if (fed_spool_append(sp, data, len) != FED_OK)
		abort(); // len is at most libFuzzer's -max_len, far below 1
		         // MiB
	fed_spool_close(sp);
	return 0;
}
