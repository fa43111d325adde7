// SPDX-License-Identifier: MIT
//
// spool_record.c: how a spool record is framed and checked on disk, and
// how a reader finds the next good record after a damaged one. A record of
// the current format opens with a fixed marker and a header that carries
// its own CRC32C, so a damaged length can never be mistaken for a record
// boundary: resynchronising scans forward for the marker and accepts the
// first position whose header and payload both verify. Old segments
// ("EFSPOOL1") carry no marker; they are still read, but a damaged record
// there cannot be stepped over.

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fed/crc32c.h"
#include "spool_internal.h"

#define SCAN_CHUNK (64u << 10)

void
fed__spool_rec_header(uint8_t *hdr, const uint8_t *buf, size_t len)
{
	fed__spool_put32(hdr, SPOOL_REC_MAGIC);
	fed__spool_put32(hdr + 4, (uint32_t) len);
	fed__spool_put32(hdr + 8, fed_crc32c(0, buf, len));
	fed__spool_put32(hdr + 12, fed_crc32c(0, hdr, 12));
}

// The payload length a header announces, or 0 when the header is not one.
static uint32_t
header_len(const struct spool_seg *s, const uint8_t *h, const char **why)
{
	uint32_t len;
	if (s->rec_hdr == SPOOL_REC_HDR_V1) {
		len = fed__spool_get32(h);
	} else {
		*why = "no record marker";
		if (fed__spool_get32(h) != SPOOL_REC_MAGIC)
			return 0;
		*why = "damaged record header";
		if (fed_crc32c(0, h, 12) != fed__spool_get32(h + 12))
			return 0;
		len = fed__spool_get32(h + 4);
	}
	*why = "bad record length";
	return len > FED_SPOOL_RECORD_MAX ? 0 : len;
}

static bool
payload_ok(const struct spool_seg *s, const uint8_t *rec, uint32_t len)
{
	if (s->rec_hdr == SPOOL_REC_HDR_V1) {
		uint32_t crc = fed_crc32c(0, rec, 4);
		crc = fed_crc32c(crc, rec + SPOOL_REC_HDR_V1, len);
		return crc == fed__spool_get32(rec + 4);
	}
	uint32_t crc = fed_crc32c(0, rec + SPOOL_REC_HDR, len);
	return crc == fed__spool_get32(rec + 8);
}

spool_rec
fed__spool_rec_check(fed_spool *sp, int fd, const struct spool_seg *s,
    uint64_t off, uint64_t end, uint64_t *rec_len, const char **why)
{
	uint8_t h[SPOOL_REC_HDR];
	*rec_len = 0;
	*why = "partial record header";
	if (off > end || end - off < s->rec_hdr)
		return SPOOL_REC_BAD_HEAD;
	*why = "unreadable record header";
	if (!fed__spool_pread_full(fd, h, s->rec_hdr, off))
		return SPOOL_REC_BAD_HEAD;
	uint32_t len = header_len(s, h, why);
	if (len == 0)
		return SPOOL_REC_BAD_HEAD;
	uint64_t rec = s->rec_hdr + (uint64_t) len;
	*rec_len = rec;
	*why = "record cut short";
	if (rec > end - off)
		return SPOOL_REC_BAD_BODY;
	*why = "no memory to check a record";
	if (sp->rbuf_cap < rec) {
		uint8_t *p = realloc(sp->rbuf, (size_t) rec);
		if (p == NULL)
			return SPOOL_REC_BAD_BODY;
		sp->rbuf = p;
		sp->rbuf_cap = (size_t) rec;
	}
	*why = "unreadable record";
	if (!fed__spool_pread_full(fd, sp->rbuf, (size_t) rec, off))
		return SPOOL_REC_BAD_BODY;
	*why = "CRC mismatch";
	return payload_ok(s, sp->rbuf, len) ? SPOOL_REC_OK
	                                    : SPOOL_REC_BAD_BODY;
}

// A candidate position p found in the scan buffer: OK ends the scan; a
// good header with a bad payload is one more damaged record.
static bool
try_at(fed_spool *sp, int fd, const struct spool_seg *s, uint64_t p,
    uint64_t end, uint64_t *n_heads)
{
	uint64_t rec;
	const char *why;
	spool_rec r = fed__spool_rec_check(sp, fd, s, p, end, &rec, &why);
	if (r == SPOOL_REC_BAD_BODY)
		(*n_heads)++;
	return r == SPOOL_REC_OK;
}

// Scans buf (the bytes at file offset base) for the marker; candidates
// are checked against the file itself.
static bool
scan_chunk(fed_spool *sp, int fd, const struct spool_seg *s,
    const uint8_t *buf, size_t n, uint64_t base, uint64_t end, uint64_t *next,
    uint64_t *n_heads)
{
	uint8_t m[4];
	fed__spool_put32(m, SPOOL_REC_MAGIC);
	for (size_t i = 0; i + 4 <= n; i++) {
		const uint8_t *hit = memchr(buf + i, m[0], n - i - 3);
		if (hit == NULL)
			return false;
		i = (size_t) (hit - buf);
		if (memcmp(hit, m, 4) != 0)
			continue;
		if (try_at(sp, fd, s, base + i, end, n_heads)) {
			*next = base + i;
			return true;
		}
	}
	return false;
}

bool
fed__spool_resync(fed_spool *sp, int fd, const struct spool_seg *s,
    uint64_t from, uint64_t end, uint64_t *next, uint64_t *n_heads)
{
	*n_heads = 0;
	if (s->rec_hdr != SPOOL_REC_HDR || from >= end)
		return false;
	uint8_t *buf = malloc(SCAN_CHUNK);
	if (buf == NULL)
		return false;
	bool found = false;
	// Chunks overlap by 3 bytes so that no marker straddles two.
	for (uint64_t p = from + 1; !found && p + 4 <= end;
	     p += SCAN_CHUNK - 3) {
		size_t n
		    = end - p < SCAN_CHUNK ? (size_t) (end - p) : SCAN_CHUNK;
		if (!fed__spool_pread_full(fd, buf, n, p))
			break;
		found = scan_chunk(sp, fd, s, buf, n, p, end, next, n_heads);
	}
	free(buf);
	return found;
}

fed_status
fed__spool_gap_add(struct spool_seg *s, uint64_t off, uint64_t end)
{
	struct spool_gap *g = realloc(s->gaps, (s->n_gaps + 1) * sizeof(*g));
	if (g == NULL)
		return FED_RESOURCE_EXHAUSTED;
	s->gaps = g;
	s->gaps[s->n_gaps++] = (struct spool_gap) {off, end};
	return FED_OK;
}

bool
fed__spool_gap_jump(const struct spool_seg *s, uint64_t *off)
{
	for (size_t i = 0; i < s->n_gaps; i++) {
		if (s->gaps[i].off == *off) {
			*off = s->gaps[i].end;
			return true;
		}
	}
	return false;
}
