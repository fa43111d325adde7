// SPDX-License-Identifier: MIT
//
// test_tic_parse.c: the TIC parser on three real captures (standard,
// historic three-phase, historic Tempo), fed whole, byte by byte and in
// random chunks; on frames written here from the specification in both
// modes; and on damaged input: bad checksums, truncated frames, EOT, noise,
// overlong groups and frames, garbage. The typed getters are checked to
// refuse malformed fields rather than return a wrong number.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tic_parse.h"

// What the callback saw: counts, a digest of every delivered byte and flag,
// and copies of the first and last frames.
struct sink {
	size_t n_frames;
	size_t n_groups;
	size_t n_intact;
	uint64_t digest;
	tic_frame first;
	tic_frame last;
};

static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211u;
	return h;
}

static void
on_frame(const tic_frame *f, void *arg)
{
	struct sink *s = arg;
	if (s->n_frames == 0)
		s->first = *f;
	s->last = *f;
	s->n_frames++;
	s->n_groups += f->n_groups;
	s->n_intact += tic_frame_is_intact(f);
	unsigned flags[3] = {(unsigned) f->mode, f->n_rejected, f->n_noise};
	s->digest = fnv(s->digest, flags, sizeof(flags));
	for (size_t i = 0; i < f->n_groups; i++) {
		const tic_group *g = &f->groups[i];
		s->digest = fnv(s->digest, g->label, strlen(g->label) + 1);
		s->digest
		    = fnv(s->digest, g->horodate, strlen(g->horodate) + 1);
		s->digest = fnv(s->digest, g->data, strlen(g->data) + 1);
	}
}

struct run {
	tic_parser parser;
	struct sink sink;
};

static struct run *
run_new(tic_mode mode)
{
	struct run *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->sink.digest = 14695981039346656037u;
	assert_int_equal(tic_parser_init(&r->parser, mode), FED_OK);
	return r;
}

static void
feed(struct run *r, const void *buf, size_t len)
{
	assert_int_equal(
	    tic_parser_feed(&r->parser, buf, len, on_frame, &r->sink), FED_OK);
}

static void
feed_str(struct run *r, const char *s)
{
	feed(r, s, strlen(s));
}

// Feeds in chunks: 0 whole, 1 byte by byte, otherwise random sizes 1..97
// drawn from a generator seeded with `chunking`.
static void
feed_chunked(struct run *r, const uint8_t *buf, size_t len, unsigned chunking)
{
	uint32_t x = chunking * 2654435761u + 1;
	size_t off = 0;
	while (off < len) {
		size_t n = len - off;
		if (chunking == 1) {
			n = 1;
		} else if (chunking > 1) {
			x = x * 1664525u + 1013904223u;
			size_t want = (x >> 16) % 97 + 1;
			n = want < n ? want : n;
		}
		feed(r, buf + off, n);
		off += n;
	}
}

static uint8_t *
read_fixture(const char *name, size_t *len)
{
	const char *dir = getenv("FED_FIXTURES");
	assert_non_null(dir);
	char path[4096];
	snprintf(path, sizeof(path), "%s/tic/%s", dir, name);
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	uint8_t *buf = malloc(1 << 16);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 16, fp);
	assert_true(*len > 0 && *len < (1 << 16));
	fclose(fp);
	return buf;
}

static const tic_stats *
stats(struct run *r)
{
	return tic_parser_stats(&r->parser);
}

static void
assert_clean(struct run *r)
{
	assert_int_equal(stats(r)->frames_bad, 0);
	assert_int_equal(stats(r)->frames_truncated, 0);
	assert_int_equal(stats(r)->groups_bad_checksum, 0);
	assert_int_equal(stats(r)->groups_malformed, 0);
	assert_int_equal(stats(r)->eot, 0);
	assert_int_equal(stats(r)->noise_bytes, 0);
	assert_int_equal(stats(r)->overflows, 0);
}

static void
assert_index(const tic_frame *f, const char *label, uint64_t want)
{
	uint64_t wh = 0;
	assert_int_equal(tic_frame_get_index_wh(f, label, &wh), FED_OK);
	assert_int_equal(wh, want);
}

static void
assert_text(const tic_frame *f, const char *label, const char *want)
{
	char buf[TIC_DATA_MAX + 1];
	assert_int_equal(
	    tic_frame_get_text(f, label, buf, sizeof(buf)), FED_OK);
	assert_string_equal(buf, want);
}

static void
assert_uint(
    const tic_frame *f, const char *label, uint64_t want, tic_unit want_unit)
{
	uint64_t v = 0;
	tic_unit unit = TIC_UNIT_NONE;
	assert_int_equal(tic_frame_get_uint(f, label, &v, &unit), FED_OK);
	assert_int_equal(v, want);
	assert_int_equal(unit, want_unit);
}

// The standard capture starts mid-frame (340 bytes, 11 whole groups, before
// the first STX) and ends inside a 14th frame: 12 frames are delivered.
static void
test_standard_fixture(void **state)
{
	(void) state;
	size_t len;
	uint8_t *buf = read_fixture("linky_1P_standard.bin", &len);
	struct run *r = run_new(TIC_MODE_AUTO);
	feed(r, buf, len);
	assert_int_equal(r->sink.n_frames, 12);
	assert_int_equal(r->sink.n_intact, 12);
	assert_int_equal(r->sink.n_groups, 12 * 38);
	assert_int_equal(stats(r)->frames_ok, 12);
	assert_int_equal(stats(r)->groups_ok, 456);
	assert_int_equal(stats(r)->skipped_bytes, 340);
	assert_clean(r);

	const tic_frame *f = &r->sink.first;
	assert_int_equal(f->mode, TIC_MODE_STANDARD);
	char id[TIC_METER_ID_LEN + 1];
	assert_int_equal(tic_frame_get_meter_id(f, id), FED_OK);
	assert_string_equal(id, "064468368739");
	assert_index(f, "EAST", 11887649);
	assert_index(f, "EASF01", 11887649);
	assert_index(f, "EASF02", 0);
	assert_index(f, "EASD01", 11887649);
	uint32_t v = 0;
	assert_int_equal(tic_frame_get_power_va(f, "SINSTS", &v), FED_OK);
	assert_int_equal(v, 240);
	assert_int_equal(tic_frame_get_power_va(f, "SMAXSN", &v), FED_OK);
	assert_int_equal(v, 1024);
	assert_int_equal(tic_frame_get_current_a(f, "IRMS1", &v), FED_OK);
	assert_int_equal(v, 1);
	assert_int_equal(tic_frame_get_voltage_v(f, "URMS1", &v), FED_OK);
	assert_int_equal(v, 230);
	assert_int_equal(tic_frame_get_voltage_v(f, "UMOY1", &v), FED_OK);
	assert_int_equal(v, 229);
	assert_uint(f, "PREF", 4, TIC_UNIT_KVA);
	assert_uint(f, "CCASN", 170, TIC_UNIT_W);
	assert_uint(f, "NTARF", 1, TIC_UNIT_NONE);
	assert_uint(f, "NJOURF", 0, TIC_UNIT_NONE);
	char tariff[32];
	assert_int_equal(
	    tic_frame_get_tariff(f, tariff, sizeof(tariff)), FED_OK);
	assert_string_equal(tariff, "BASE");
	assert_text(f, "LTARF", "BASE");
	assert_text(f, "MSG1", "PAS DE          MESSAGE");
	uint32_t stge = 0;
	assert_int_equal(tic_frame_get_stge(f, &stge), FED_OK);
	assert_int_equal(stge, 0x003A0001);
	int64_t ms = 0;
	// DATE H230301091834: 2023-03-01 09:18:34 +01:00.
	assert_int_equal(tic_frame_get_date_ms(f, &ms), FED_OK);
	assert_int_equal(ms, 1677658714000);
	// SMAXSN H230301065253: 2023-03-01 06:52:53 +01:00.
	assert_int_equal(tic_frame_get_horodate_ms(f, "SMAXSN", &ms), FED_OK);
	assert_int_equal(ms, 1677649973000);
	const tic_group *g;
	assert_int_equal(tic_frame_get(f, "PJOURF+1", &g), FED_OK);
	assert_int_equal(strlen(g->data), 98);
	assert_int_equal(tic_frame_get(f, "DATE", &g), FED_OK);
	assert_string_equal(g->data, "");

	f = &r->sink.last;
	assert_index(f, "EAST", 11887650);
	assert_int_equal(tic_frame_get_power_va(f, "SINSTS", &v), FED_OK);
	assert_int_equal(v, 245);
	assert_int_equal(tic_frame_get_date_ms(f, &ms), FED_OK);
	assert_int_equal(ms, 1677658714000 + 10000);
	free(r);
	free(buf);
}

// The fixture's README counts 13 frames and 467 groups: it includes the
// leading fragment. With an STX in front, that fragment becomes a frame
// whose first 6 bytes ("0795" HT "!", the tail of a group) are noise.
static void
test_standard_fixture_counts_with_fragment(void **state)
{
	(void) state;
	size_t len;
	uint8_t *buf = read_fixture("linky_1P_standard.bin", &len);
	struct run *r = run_new(TIC_MODE_AUTO);
	feed(r, "\x02", 1);
	feed(r, buf, len);
	assert_int_equal(r->sink.n_frames, 13);
	assert_int_equal(r->sink.n_groups, 467);
	assert_int_equal(r->sink.n_intact, 12);
	assert_int_equal(r->sink.first.n_groups, 11);
	assert_int_equal(r->sink.first.n_noise, 6);
	assert_int_equal(stats(r)->frames_ok, 12);
	assert_int_equal(stats(r)->frames_bad, 1);
	assert_int_equal(stats(r)->groups_ok, 467);
	assert_int_equal(stats(r)->groups_bad_checksum, 0);
	assert_int_equal(stats(r)->groups_malformed, 0);
	free(r);
	free(buf);
}

// Every LF ... CR line of a capture (but framing) through the core group
// parser: counts the lines, and fails on any that is not a valid group.
static size_t
count_valid_lines(const uint8_t *buf, size_t len, tic_mode mode)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		const uint8_t *cr = memchr(buf + i + 1, '\r', len - i - 1);
		if (cr == NULL)
			break;
		size_t line_len = (size_t) (cr - (buf + i + 1));
		// LF ETX STX CR is framing between two frames, not a group.
		if (line_len == 0 || memchr(buf + i + 1, 0x03, line_len))
			continue;
		tic_group g;
		tic_mode shape;
		assert_int_equal(
		    tic_parse_group(buf + i + 1, line_len, mode, &g, &shape),
		    FED_OK);
		assert_int_equal(shape, mode);
		n++;
	}
	return n;
}

static void
test_every_fixture_line_valid(void **state)
{
	(void) state;
	size_t len;
	uint8_t *buf = read_fixture("linky_1P_standard.bin", &len);
	assert_int_equal(count_valid_lines(buf, len, TIC_MODE_STANDARD), 467);
	free(buf);
	buf = read_fixture("linky_3P_historic.bin", &len);
	assert_int_equal(count_valid_lines(buf, len, TIC_MODE_HISTORIC), 102);
	free(buf);
	buf = read_fixture("historic_tempo_frames.bin", &len);
	assert_int_equal(count_valid_lines(buf, len, TIC_MODE_HISTORIC), 160);
	free(buf);
}

// Historic three-phase: "MOTDE" before the first STX, CR LF after STX and
// before ETX, and a 7th frame cut after 6 groups.
static void
test_historic_3p_fixture(void **state)
{
	(void) state;
	size_t len;
	uint8_t *buf = read_fixture("linky_3P_historic.bin", &len);
	struct run *r = run_new(TIC_MODE_AUTO);
	feed(r, buf, len);
	assert_int_equal(r->sink.n_frames, 6);
	assert_int_equal(r->sink.n_intact, 6);
	assert_int_equal(r->sink.n_groups, 96);
	assert_int_equal(stats(r)->frames_ok, 6);
	assert_int_equal(stats(r)->groups_ok, 102); // 6 in the open frame
	assert_int_equal(stats(r)->skipped_bytes, 5);
	assert_clean(r);

	const tic_frame *f = &r->sink.first;
	assert_int_equal(f->mode, TIC_MODE_HISTORIC);
	assert_int_equal(f->n_groups, 16);
	char id[TIC_METER_ID_LEN + 1];
	assert_int_equal(tic_frame_get_meter_id(f, id), FED_OK);
	assert_string_equal(id, "056234673197");
	assert_index(f, "BASE", 10151175);
	uint32_t v = 0;
	assert_int_equal(tic_frame_get_power_va(f, "PAPP", &v), FED_OK);
	assert_int_equal(v, 740);
	assert_int_equal(tic_frame_get_current_a(f, "IINST2", &v), FED_OK);
	assert_int_equal(v, 2);
	assert_int_equal(tic_frame_get_current_a(f, "IMAX3", &v), FED_OK);
	assert_int_equal(v, 60);
	assert_int_equal(tic_frame_get_current_a(f, "ISOUSC", &v), FED_OK);
	assert_int_equal(v, 20);
	assert_uint(f, "PMAX", 2680, TIC_UNIT_W);
	assert_text(f, "PTEC", "TH..");
	assert_text(f, "PPOT", "00");
	char tariff[8];
	assert_int_equal(
	    tic_frame_get_tariff(f, tariff, sizeof(tariff)), FED_OK);
	assert_string_equal(tariff, "BASE");
	// BASE 010151175 carries a SP as its checksum.
	const tic_group *g;
	assert_int_equal(tic_frame_get(f, "BASE", &g), FED_OK);
	assert_string_equal(g->data, "010151175");

	assert_index(&r->sink.last, "BASE", 10151184);
	assert_int_equal(tic_frame_get_power_va(&r->sink.last, "PAPP", &v), 0);
	assert_int_equal(v, 750);

	// The ETX that the capture lacks completes the 7th frame.
	feed(r, "\x03", 1);
	assert_int_equal(r->sink.n_frames, 7);
	assert_int_equal(r->sink.n_groups, 102);
	assert_int_equal(r->sink.last.n_groups, 6);
	assert_int_equal(stats(r)->frames_ok, 7);
	free(r);
	free(buf);
}

static void
test_historic_tempo_fixture(void **state)
{
	(void) state;
	size_t len;
	uint8_t *buf = read_fixture("historic_tempo_frames.bin", &len);
	struct run *r = run_new(TIC_MODE_HISTORIC);
	feed(r, buf, len);
	assert_int_equal(r->sink.n_frames, 10);
	assert_int_equal(r->sink.n_intact, 10);
	assert_int_equal(r->sink.n_groups, 160);
	assert_int_equal(stats(r)->groups_ok, 160);
	assert_int_equal(stats(r)->skipped_bytes, 0);
	assert_clean(r);

	const tic_frame *f = &r->sink.first;
	char id[TIC_METER_ID_LEN + 1];
	assert_int_equal(tic_frame_get_meter_id(f, id), FED_OK);
	assert_string_equal(id, "021861348497");
	assert_index(f, "BBRHCJB", 18328856);
	assert_index(f, "BBRHPJB", 23739545);
	assert_index(f, "BBRHCJW", 1466099);
	assert_index(f, "BBRHPJW", 2132883);
	assert_index(f, "BBRHCJR", 860118);
	assert_index(f, "BBRHPJR", 844115);
	assert_text(f, "OPTARIF", "BBR(");
	assert_text(f, "PTEC", "HCJB");
	assert_text(f, "DEMAIN", "ROUG");
	uint32_t v = 0;
	assert_int_equal(tic_frame_get_current_a(f, "IINST", &v), FED_OK);
	assert_int_equal(v, 12);
	assert_int_equal(tic_frame_get_current_a(f, "IMAX", &v), FED_OK);
	assert_int_equal(v, 90);
	assert_int_equal(tic_frame_get_power_va(f, "PAPP", &v), FED_OK);
	assert_int_equal(v, 2840);
	assert_int_equal(
	    tic_frame_get_index_wh(f, "BASE", &(uint64_t) {0}), FED_NOT_FOUND);

	assert_index(&r->sink.last, "BBRHCJB", 18328876);
	assert_int_equal(tic_frame_get_power_va(&r->sink.last, "PAPP", &v), 0);
	assert_int_equal(v, 2850);
	free(r);
	free(buf);
}

// Whole, byte by byte and random chunkings give the same frames and stats.
static void
check_chunkings(const char *name, const uint8_t *prefix, size_t prefix_len)
{
	size_t len;
	uint8_t *raw = read_fixture(name, &len);
	uint8_t *buf = malloc(prefix_len + len);
	assert_non_null(buf);
	if (prefix_len > 0)
		memcpy(buf, prefix, prefix_len);
	memcpy(buf + prefix_len, raw, len);
	len += prefix_len;
	struct run *ref = run_new(TIC_MODE_AUTO);
	feed(ref, buf, len);
	assert_true(ref->sink.n_frames > 0);
	for (unsigned chunking = 1; chunking < 40; chunking++) {
		struct run *r = run_new(TIC_MODE_AUTO);
		feed_chunked(r, buf, len, chunking);
		assert_int_equal(r->sink.n_frames, ref->sink.n_frames);
		assert_int_equal(r->sink.n_groups, ref->sink.n_groups);
		assert_true(r->sink.digest == ref->sink.digest);
		assert_memory_equal(stats(r), stats(ref), sizeof(tic_stats));
		free(r);
	}
	free(ref);
	free(buf);
	free(raw);
}

static void
test_fixtures_any_chunking(void **state)
{
	(void) state;
	check_chunkings("linky_1P_standard.bin", NULL, 0);
	check_chunkings("linky_1P_standard.bin", (const uint8_t *) "\x02", 1);
	check_chunkings("linky_3P_historic.bin", NULL, 0);
	check_chunkings("historic_tempo_frames.bin", NULL, 0);
}

// A port read as 8N1 delivers the even-parity bit as bit 7.
static void
test_parity_bit_masked(void **state)
{
	(void) state;
	size_t len;
	uint8_t *buf = read_fixture("linky_1P_standard.bin", &len);
	struct run *plain = run_new(TIC_MODE_AUTO);
	feed(plain, buf, len);
	size_t n_high = 0;
	for (size_t i = 0; i < len; i++) {
		if (__builtin_parity(buf[i]))
			buf[i] |= 0x80;
		n_high += buf[i] >> 7;
	}
	assert_true(n_high > 1000);
	struct run *r = run_new(TIC_MODE_AUTO);
	feed(r, buf, len);
	assert_int_equal(r->sink.n_frames, 12);
	assert_true(r->sink.digest == plain->sink.digest);
	assert_memory_equal(stats(r), stats(plain), sizeof(tic_stats));
	free(r);
	free(plain);
	free(buf);
}

// A historic frame written from the specification (option HC), with
// checksums computed by hand: (sum of "label SP data") & 0x3F + 0x20.
static const char historic_hc[] = "\x02"
                                  "\nADCO 031762120091 7\r"
                                  "\nOPTARIF HC.. <\r"
                                  "\nISOUSC 45 ?\r"
                                  "\nHCHC 002815616 #\r"
                                  "\nHCHP 003440291 *\r"
                                  "\nPTEC HP..  \r"
                                  "\nIINST 004 [\r"
                                  "\nIMAX 049 L\r"
                                  "\nPAPP 00930 -\r"
                                  "\nHHPHC D /\r"
                                  "\nMOTDETAT 000000 B\r"
                                  "\x03";

// A standard frame from the specification: checksums cover the last HT.
static const char standard_hp[] = "\x02"
                                  "\nADSC\t041876097142\t>\r"
                                  "\nVTIC\t02\tJ\r"
                                  "\nDATE\tE240615143005\t\t=\r"
                                  "\nNGTF\tH PLEINE/CREUSE \t\\\r"
                                  "\nEAST\t004512345\t'\r"
                                  "\nEASF01\t001234567\t>\r"
                                  "\nEASF02\t003277778\tL\r"
                                  "\nIRMS1\t003\t1\r"
                                  "\nURMS1\t236\tE\r"
                                  "\nPREF\t09\tH\r"
                                  "\nSINSTS\t00712\tP\r"
                                  "\nSMAXSN\tE240615094512\t03218\t?\r"
                                  "\nSTGE\t013AC501\tS\r"
                                  "\nNTARF\t02\tO\r"
                                  "\nRELAIS\t000\tB\r"
                                  "\x03";

static void
test_spec_historic_frame(void **state)
{
	(void) state;
	struct run *r = run_new(TIC_MODE_HISTORIC);
	feed_str(r, historic_hc);
	assert_int_equal(r->sink.n_frames, 1);
	assert_int_equal(r->sink.n_intact, 1);
	const tic_frame *f = &r->sink.last;
	assert_int_equal(f->n_groups, 11);
	assert_int_equal(f->mode, TIC_MODE_HISTORIC);
	assert_index(f, "HCHC", 2815616);
	assert_index(f, "HCHP", 3440291);
	assert_text(f, "PTEC", "HP..");
	char tariff[8];
	assert_int_equal(
	    tic_frame_get_tariff(f, tariff, sizeof(tariff)), FED_OK);
	assert_string_equal(tariff, "HC..");
	uint32_t v = 0;
	assert_int_equal(tic_frame_get_power_va(f, "PAPP", &v), FED_OK);
	assert_int_equal(v, 930);
	assert_int_equal(tic_frame_get_current_a(f, "ISOUSC", &v), FED_OK);
	assert_int_equal(v, 45);
	int64_t ms;
	assert_int_equal(tic_frame_get_date_ms(f, &ms), FED_NOT_FOUND);
	free(r);
}

static void
test_spec_standard_frame(void **state)
{
	(void) state;
	struct run *r = run_new(TIC_MODE_STANDARD);
	feed_str(r, standard_hp);
	assert_int_equal(r->sink.n_frames, 1);
	assert_int_equal(r->sink.n_intact, 1);
	const tic_frame *f = &r->sink.last;
	assert_int_equal(f->n_groups, 15);
	assert_int_equal(f->mode, TIC_MODE_STANDARD);
	char id[TIC_METER_ID_LEN + 1];
	assert_int_equal(tic_frame_get_meter_id(f, id), FED_OK);
	assert_string_equal(id, "041876097142");
	assert_index(f, "EAST", 4512345);
	assert_index(f, "EASF02", 3277778);
	char tariff[17];
	assert_int_equal(
	    tic_frame_get_tariff(f, tariff, sizeof(tariff)), FED_OK);
	assert_string_equal(tariff, "H PLEINE/CREUSE");
	assert_uint(f, "NTARF", 2, TIC_UNIT_NONE);
	assert_uint(f, "RELAIS", 0, TIC_UNIT_NONE);
	uint32_t v;
	assert_int_equal(tic_frame_get_power_va(f, "SMAXSN", &v), FED_OK);
	assert_int_equal(v, 3218);
	uint32_t stge;
	assert_int_equal(tic_frame_get_stge(f, &stge), FED_OK);
	assert_int_equal(stge, 0x013AC501);
	int64_t ms;
	// E240615143005: 2024-06-15 14:30:05 +02:00.
	assert_int_equal(tic_frame_get_date_ms(f, &ms), FED_OK);
	assert_int_equal(ms, 1718454605000);
	assert_int_equal(tic_frame_get_horodate_ms(f, "SMAXSN", &ms), FED_OK);
	assert_int_equal(ms, 1718437512000);
	assert_int_equal(
	    tic_frame_get_horodate_ms(f, "EAST", &ms), FED_INVALID_ARGUMENT);
	free(r);
}

static fed_status
parse_line(const char *line, tic_mode mode, tic_group *g)
{
	tic_mode shape;
	return tic_parse_group(
	    (const uint8_t *) line, strlen(line), mode, g, &shape);
}

static void
test_group_parser(void **state)
{
	(void) state;
	tic_group g;
	assert_int_equal(parse_line("PAPP 00930 -", TIC_MODE_AUTO, &g), 0);
	assert_string_equal(g.label, "PAPP");
	assert_string_equal(g.data, "00930");
	assert_string_equal(g.horodate, "");
	// The variant whose checksum also covers the last SP: refused.
	char variant[] = "PAPP 00930 x";
	variant[11] = (char) tic_checksum((const uint8_t *) variant, 11);
	assert_int_equal(
	    parse_line(variant, TIC_MODE_AUTO, &g), FED_DATA_LOSS);
	assert_int_equal(
	    parse_line("PAPP 00930 .", TIC_MODE_AUTO, &g), FED_DATA_LOSS);
	assert_int_equal(
	    parse_line("SMAXSN\tE240615094512\t03218\t?", TIC_MODE_AUTO, &g),
	    FED_OK);
	assert_string_equal(g.horodate, "E240615094512");
	assert_string_equal(g.data, "03218");
	// Separators out of place: refused before any checksum.
	const char *bad_shape[] = {
	    "", "P",
	    "PAPP 00930", // no checksum
	    "PAPP00930 -", // no label separator
	    " 00930 -", // empty label
	    "PAPP  -", // empty data
	    "SMAXSN\tE2406150945\t03218\t?", // short horodate
	    "SMAXSN\tE240615094512\t032\t18\t?", // three fields
	    "EAST\t004512345 '", // SP before checksum
	    "\t004512345\t'", // empty label
	    "EAST\t'", // no data field
	};
	for (size_t i = 0; i < sizeof(bad_shape) / sizeof(bad_shape[0]); i++)
		assert_int_equal(parse_line(bad_shape[i], TIC_MODE_AUTO, &g),
		    FED_INVALID_ARGUMENT);
	// Fields out of bounds, under a right checksum.
	const char *bad_field[] = {
	    "PAPP 009 30 ", // SP inside historic data
	    "ABCDEFGHIJ 1 ", // label too long
	    "PAPP 0\x01"
	    "930 ", // control byte
	    "PAPP 0\x7f"
	    "930 ", // DEL
	    "ABCDEFGHIJ\t1\t", // standard label too long
	    "EAST\t0045\x02"
	    "2345\t", // control byte
	};
	for (size_t i = 0; i < sizeof(bad_field) / sizeof(bad_field[0]); i++) {
		char line[64];
		size_t n = strlen(bad_field[i]);
		bool historic = bad_field[i][n - 1] == ' ';
		memcpy(line, bad_field[i], n);
		line[n] = (char) tic_checksum(
		    (const uint8_t *) line, historic ? n - 1 : n);
		line[n + 1] = '\0';
		assert_int_equal(
		    parse_line(line, TIC_MODE_AUTO, &g), FED_INVALID_ARGUMENT);
		line[n] ^= 1;
		assert_int_equal(
		    parse_line(line, TIC_MODE_AUTO, &g), FED_DATA_LOSS);
	}
	// A fixed mode refuses the other shape.
	assert_int_equal(parse_line("PAPP 00930 -", TIC_MODE_STANDARD, &g),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(parse_line("VTIC\t02\tJ", TIC_MODE_HISTORIC, &g),
	    FED_INVALID_ARGUMENT);
	// Data of 98 characters fits; 105 does not.
	char line[160];
	char data[106];
	memset(data, 'A', 105);
	data[105] = '\0';
	snprintf(line, sizeof(line), "MSG1\t%.98s\t", data);
	size_t n = strlen(line);
	line[n] = (char) tic_checksum((const uint8_t *) line, n);
	line[n + 1] = '\0';
	assert_int_equal(parse_line(line, TIC_MODE_STANDARD, &g), FED_OK);
	snprintf(line, sizeof(line), "MSG1\t%s\t", data);
	n = strlen(line);
	line[n] = (char) tic_checksum((const uint8_t *) line, n);
	line[n + 1] = '\0';
	assert_int_equal(
	    parse_line(line, TIC_MODE_STANDARD, &g), FED_INVALID_ARGUMENT);
}

// Replaces the first occurrence of `from` in frame by `to` (same length).
static char *
patched(const char *frame, const char *from, const char *to)
{
	char *s = strdup(frame);
	assert_non_null(s);
	char *at = strstr(s, from);
	assert_non_null(at);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(at, to, strlen(to));
	return s;
}

static void
test_bad_checksum(void **state)
{
	(void) state;
	// One digit of HCHP changed, its checksum left as it was.
	char *frame = patched(historic_hc, "HCHP 003440291", "HCHP 003440391");
	struct run *r = run_new(TIC_MODE_AUTO);
	feed_str(r, frame);
	assert_int_equal(r->sink.n_frames, 1);
	const tic_frame *f = &r->sink.last;
	assert_false(tic_frame_is_intact(f));
	assert_int_equal(f->n_groups, 10);
	assert_int_equal(f->n_rejected, 1);
	uint64_t wh;
	assert_int_equal(
	    tic_frame_get_index_wh(f, "HCHP", &wh), FED_NOT_FOUND);
	assert_index(f, "HCHC", 2815616);
	assert_int_equal(stats(r)->frames_bad, 1);
	assert_int_equal(stats(r)->frames_ok, 0);
	assert_int_equal(stats(r)->groups_bad_checksum, 1);
	assert_int_equal(stats(r)->groups_ok, 10);
	free(frame);
	free(r);
}

static void
test_truncated_frames(void **state)
{
	(void) state;
	struct run *r = run_new(TIC_MODE_AUTO);
	// A frame cut by the next STX, then one cut inside a group by ETX.
	feed(r, historic_hc, 60);
	feed_str(r, standard_hp);
	char *cut = strdup(historic_hc);
	strcpy(cut + 40, "\x03");
	feed_str(r, cut);
	assert_int_equal(stats(r)->frames_truncated, 1);
	assert_int_equal(r->sink.n_frames, 2);
	assert_int_equal(r->sink.first.n_groups, 15);
	assert_true(tic_frame_is_intact(&r->sink.first));
	assert_int_equal(r->sink.last.n_groups, 2);
	assert_int_equal(r->sink.last.n_rejected, 1);
	assert_int_equal(stats(r)->groups_malformed, 1);
	free(cut);
	free(r);
}

static void
test_eot(void **state)
{
	(void) state;
	struct run *r = run_new(TIC_MODE_AUTO);
	feed(r, historic_hc, 50);
	feed(r, "\x04", 1);
	feed_str(r, historic_hc + 50); // the rest, up to ETX: skipped
	assert_int_equal(r->sink.n_frames, 0);
	assert_int_equal(stats(r)->eot, 1);
	assert_int_equal(stats(r)->skipped_bytes, strlen(historic_hc) - 50);
	feed_str(r, historic_hc);
	assert_int_equal(r->sink.n_frames, 1);
	assert_true(tic_frame_is_intact(&r->sink.last));
	free(r);
}

static void
test_noise(void **state)
{
	(void) state;
	struct run *r = run_new(TIC_MODE_AUTO);
	feed_str(r, "garbage before\r\n");
	// A noise byte between two groups; CR LF strays after STX.
	const char *at = strstr(historic_hc, "\nISOUSC");
	feed_str(r, "\x02\r\n");
	feed(r, historic_hc + 1, (size_t) (at - historic_hc - 1));
	feed_str(r, "Z");
	feed_str(r, at);
	assert_int_equal(r->sink.n_frames, 1);
	assert_int_equal(r->sink.last.n_groups, 11);
	assert_int_equal(r->sink.last.n_noise, 1);
	assert_false(tic_frame_is_intact(&r->sink.last));
	assert_int_equal(stats(r)->noise_bytes, 1);
	assert_int_equal(stats(r)->skipped_bytes, 16);
	assert_int_equal(stats(r)->frames_bad, 1);
	// A group that lost its CR is dropped, the next one kept.
	char *lost_cr = patched(historic_hc, "7\r\nOPTARIF", "7Z\nOPTARIF");
	feed_str(r, lost_cr);
	assert_int_equal(r->sink.last.n_groups, 10);
	assert_int_equal(r->sink.last.n_rejected, 1);
	const tic_group *g;
	assert_int_equal(
	    tic_frame_get(&r->sink.last, "ADCO", &g), FED_NOT_FOUND);
	assert_int_equal(stats(r)->groups_malformed, 1);
	// Empty lines (LF CR, LF LF, LF ETX) are strays, not groups.
	feed_str(r, "\x02\n\r\n");
	feed_str(r, historic_hc + 1);
	assert_int_equal(r->sink.last.n_groups, 11);
	assert_true(tic_frame_is_intact(&r->sink.last));
	free(lost_cr);
	free(r);
}

static void
test_overlong_group(void **state)
{
	(void) state;
	struct run *r = run_new(TIC_MODE_AUTO);
	char big[600];
	memset(big, 'X', sizeof(big));
	feed_str(r, "\x02\nMSG1 ");
	feed(r, big, sizeof(big));
	feed_str(r, " A\r");
	feed_str(r, historic_hc + 1);
	assert_int_equal(stats(r)->overflows, 1);
	assert_int_equal(r->sink.n_frames, 1);
	assert_int_equal(r->sink.last.n_groups, 11);
	assert_int_equal(r->sink.last.n_rejected, 1);
	free(r);
}

static void
test_overlong_frames(void **state)
{
	(void) state;
	struct run *r = run_new(TIC_MODE_AUTO);
	// More groups than a frame holds.
	feed_str(r, "\x02");
	for (int i = 0; i < TIC_FRAME_GROUPS_MAX + 1; i++)
		feed_str(r, "\nPAPP 00930 -\r");
	feed_str(r, "\x03");
	assert_int_equal(stats(r)->overflows, 1);
	assert_int_equal(r->sink.n_frames, 0);
	// More bytes than a frame may span, without a group.
	feed_str(r, "\x02");
	for (int i = 0; i < TIC_FRAME_BYTES_MAX + 1; i++)
		feed_str(r, "\r");
	feed_str(r, "\x03");
	assert_int_equal(stats(r)->overflows, 2);
	assert_int_equal(r->sink.n_frames, 0);
	// The parser goes on.
	feed_str(r, historic_hc);
	assert_int_equal(r->sink.n_frames, 1);
	assert_true(tic_frame_is_intact(&r->sink.last));
	free(r);
}

static void
test_garbage(void **state)
{
	(void) state;
	struct run *r = run_new(TIC_MODE_AUTO);
	uint8_t ff[4096];
	memset(ff, 0xff, sizeof(ff));
	feed(r, ff, sizeof(ff));
	assert_int_equal(stats(r)->skipped_bytes, sizeof(ff));
	// Inside a frame: one overlong group of DEL bytes, then ETX.
	feed_str(r, "\x02\n");
	feed(r, ff, sizeof(ff));
	feed_str(r, "\x03");
	assert_int_equal(r->sink.n_frames, 0);
	assert_int_equal(stats(r)->frames_bad, 1);
	assert_int_equal(stats(r)->overflows, 1);
	// Bytes 0..255 in a pseudo-random order, many times: no crash, and
	// any frame delivered holds only groups that passed their checks.
	uint32_t x = 12345;
	for (int i = 0; i < 200000; i++) {
		x = x * 1103515245u + 12345u;
		uint8_t b = (uint8_t) (x >> 16);
		feed(r, &b, 1);
	}
	feed_str(r, historic_hc);
	assert_true(tic_frame_is_intact(&r->sink.last));
	assert_int_equal(r->sink.last.n_groups, 11);
	free(r);
}

static void
test_fixed_modes(void **state)
{
	(void) state;
	size_t len;
	uint8_t *buf = read_fixture("linky_1P_standard.bin", &len);
	struct run *r = run_new(TIC_MODE_HISTORIC);
	feed(r, buf, len);
	assert_int_equal(r->sink.n_frames, 0);
	assert_int_equal(stats(r)->frames_bad, 12);
	assert_int_equal(stats(r)->groups_malformed, 456);
	free(r);
	free(buf);
	// AUTO takes the shape of a frame's first group.
	r = run_new(TIC_MODE_AUTO);
	feed_str(r, "\x02\nPAPP 00930 -\r\nVTIC\t02\tJ\r\x03");
	assert_int_equal(r->sink.n_frames, 1);
	assert_int_equal(r->sink.last.mode, TIC_MODE_HISTORIC);
	assert_int_equal(r->sink.last.n_groups, 1);
	assert_int_equal(r->sink.last.n_rejected, 1);
	free(r);
}

static tic_frame *
one_group_frame(const char *label, const char *data)
{
	tic_frame *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->mode = TIC_MODE_HISTORIC;
	f->n_groups = 1;
	snprintf(f->groups[0].label, sizeof(f->groups[0].label), "%s", label);
	snprintf(f->groups[0].data, sizeof(f->groups[0].data), "%s", data);
	return f;
}

static void
expect_uint_refused(const char *label, const char *data)
{
	tic_frame *f = one_group_frame(label, data);
	uint64_t v = 77;
	assert_int_equal(
	    tic_frame_get_uint(f, label, &v, NULL), FED_INVALID_ARGUMENT);
	assert_int_equal(v, 77);
	free(f);
}

// Fields are checked strictly: a wrong length or a non-digit is an error,
// never a number.
static void
test_strict_numbers(void **state)
{
	(void) state;
	expect_uint_refused("BASE", "12345678");
	expect_uint_refused("BASE", "0101511750");
	expect_uint_refused("BASE", "01015117A");
	expect_uint_refused("BASE", "-10151175");
	expect_uint_refused("PAPP", "0A740");
	expect_uint_refused("PAPP", " 0740");
	expect_uint_refused("IINST", "12");
	expect_uint_refused("URMS1", "");
	expect_uint_refused("MOTDETAT", "000000"); // not numeric
	tic_frame *f = one_group_frame("PAPP", "00740");
	uint64_t wh;
	uint32_t v;
	assert_int_equal(
	    tic_frame_get_index_wh(f, "PAPP", &wh), FED_INVALID_ARGUMENT);
	assert_int_equal(
	    tic_frame_get_voltage_v(f, "PAPP", &v), FED_INVALID_ARGUMENT);
	assert_int_equal(tic_frame_get_power_va(f, "PAPP", &v), FED_OK);
	assert_int_equal(v, 740);
	assert_int_equal(
	    tic_frame_get_power_va(f, "SINSTS", &v), FED_NOT_FOUND);
	free(f);
	f = one_group_frame("ADCO", "03176212009");
	char id[TIC_METER_ID_LEN + 1];
	assert_int_equal(tic_frame_get_meter_id(f, id), FED_INVALID_ARGUMENT);
	free(f);
	f = one_group_frame("STGE", "013AC50G");
	assert_int_equal(tic_frame_get_stge(f, &v), FED_INVALID_ARGUMENT);
	free(f);
	f = one_group_frame("OPTARIF", "BBR(");
	char small[4];
	assert_int_equal(tic_frame_get_tariff(f, small, sizeof(small)),
	    FED_INVALID_ARGUMENT);
	free(f);
	tic_unit unit;
	size_t digits;
	assert_int_equal(tic_label_unit("EASF10", &unit, &digits), FED_OK);
	assert_int_equal(unit, TIC_UNIT_WH);
	assert_int_equal(digits, 9);
	assert_int_equal(tic_label_unit("SMAXSN1-1", &unit, NULL), FED_OK);
	assert_int_equal(unit, TIC_UNIT_VA);
	assert_int_equal(tic_label_unit("PTEC", &unit, NULL), FED_NOT_FOUND);
}

static void
test_horodate(void **state)
{
	(void) state;
	int64_t ms = 0;
	bool degraded = true;
	assert_int_equal(
	    tic_horodate_to_ms("H230301091834", &ms, &degraded), FED_OK);
	assert_int_equal(ms, 1677658714000);
	assert_false(degraded);
	// 29 February of a leap year, in winter time, clock degraded.
	assert_int_equal(
	    tic_horodate_to_ms("h240229000000", &ms, &degraded), FED_OK);
	assert_int_equal(ms, 1709161200000);
	assert_true(degraded);
	assert_int_equal(
	    tic_horodate_to_ms("E240615143005", &ms, NULL), FED_OK);
	assert_int_equal(ms, 1718454605000);
	const char *bad[] = {
	    "H230229000000", // 29 February 2023
	    "H231301000000", // month 13
	    "H230001000000", // month 0
	    "H230100000000", // day 0
	    "H230431000000", // 31 April
	    "H230301240000", // 24:00
	    "H230301236000", // minute 60
	    "H230301235960", // second 60
	    "X230301091834", // season
	    " 230301091834", // no season
	    "H2303010918", // short
	    "H2303010918345",
	    "H23030109183A",
	    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = 42;
		assert_int_equal(tic_horodate_to_ms(bad[i], &ms, NULL),
		    FED_INVALID_ARGUMENT);
		assert_int_equal(ms, 42);
	}
}

static void
ignore_frame(const tic_frame *f, void *arg)
{
	(void) f;
	(void) arg;
}

static void
test_api_guards(void **state)
{
	(void) state;
	tic_parser p;
	assert_int_equal(
	    tic_parser_init(NULL, TIC_MODE_AUTO), FED_INVALID_ARGUMENT);
	assert_int_equal(
	    tic_parser_init(&p, (tic_mode) 7), FED_INVALID_ARGUMENT);
	assert_int_equal(tic_parser_init(&p, TIC_MODE_AUTO), FED_OK);
	assert_int_equal(tic_parser_feed(&p, NULL, 1, ignore_frame, NULL),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(
	    tic_parser_feed(&p, (const uint8_t *) "x", 1, NULL, NULL),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(
	    tic_parser_feed(&p, NULL, 0, ignore_frame, NULL), FED_OK);
	// reset drops the frame in progress and keeps the counters.
	const char *part = "\x02\nPAPP 00930 -\r";
	assert_int_equal(tic_parser_feed(&p, (const uint8_t *) part,
	                     strlen(part), ignore_frame, NULL),
	    FED_OK);
	tic_parser_reset(&p);
	tic_parser_reset(NULL);
	assert_int_equal(tic_parser_feed(&p, (const uint8_t *) "\x03", 1,
	                     ignore_frame, NULL),
	    FED_OK);
	assert_int_equal(tic_parser_stats(&p)->groups_ok, 1);
	assert_int_equal(tic_parser_stats(&p)->frames_ok, 0);
	const tic_group *g;
	assert_int_equal(
	    tic_frame_get(NULL, "PAPP", &g), FED_INVALID_ARGUMENT);
	tic_mode shape;
	assert_int_equal(tic_parse_group(NULL, 0, TIC_MODE_AUTO, NULL, &shape),
	    FED_INVALID_ARGUMENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_standard_fixture),
	    cmocka_unit_test(test_standard_fixture_counts_with_fragment),
	    cmocka_unit_test(test_every_fixture_line_valid),
	    cmocka_unit_test(test_historic_3p_fixture),
	    cmocka_unit_test(test_historic_tempo_fixture),
	    cmocka_unit_test(test_fixtures_any_chunking),
	    cmocka_unit_test(test_parity_bit_masked),
	    cmocka_unit_test(test_spec_historic_frame),
	    cmocka_unit_test(test_spec_standard_frame),
	    cmocka_unit_test(test_group_parser),
	    cmocka_unit_test(test_bad_checksum),
	    cmocka_unit_test(test_truncated_frames),
	    cmocka_unit_test(test_eot),
	    cmocka_unit_test(test_noise),
	    cmocka_unit_test(test_overlong_group),
	    cmocka_unit_test(test_overlong_frames),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_fixed_modes),
	    cmocka_unit_test(test_strict_numbers),
	    cmocka_unit_test(test_horodate),
	    cmocka_unit_test(test_api_guards),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
