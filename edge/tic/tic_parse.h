// SPDX-License-Identifier: MIT
//
// tic_parse.h: the Linky "téléinformation client" (TIC) parser, historic and
// standard modes (Enedis-NOI-CPT_54E), as a pure module.
//
// It takes bytes and produces decoded frames; it does no I/O, allocates
// nothing and logs nothing. A reader (serial port or file) feeds whatever
// it read, in pieces of any size, to tic_parser_feed(), which calls back
// once per complete frame (STX ... ETX) with the frame's checksum-valid
// groups. Damaged input never produces a wrong value: a group whose
// checksum or shape is wrong is dropped and counted, and its frame is
// flagged (tic_frame_is_intact() is false). The typed getters then check
// every field strictly (digits only, exact lengths) and answer
// INVALID_ARGUMENT rather than a wrong number. docs/tic.md describes the
// modes, the checksums and how the real captures deviate from the spec.
//
// Threads: a parser is not shared; one thread feeds it. Frames are values
// (no pointers inside), so a callback may copy one.

#ifndef TIC_PARSE_H
#define TIC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"

// Longest label: 8 in historic ("MOTDETAT"), 9 in standard ("SMAXSN1-1").
#define TIC_LABEL_MAX 9
// A standard horodate: season letter and YYMMDDhhmmss.
#define TIC_HORODATE_LEN 13
// Longest data field; the spec's longest is 98 (PJOURF+1, PPOINTE).
#define TIC_DATA_MAX 104
// Longest group between LF and CR: label HT horodate HT data HT checksum.
#define TIC_LINE_MAX \
	(TIC_LABEL_MAX + 1 + TIC_HORODATE_LEN + 1 + TIC_DATA_MAX + 1 + 1)
// Most groups in one frame (a three-phase standard frame has about 70).
#define TIC_FRAME_GROUPS_MAX 96
// Most bytes between STX and ETX before a frame is dropped as overlong.
#define TIC_FRAME_BYTES_MAX 8192
// A meter address (ADCO, ADSC): 12 digits.
#define TIC_METER_ID_LEN 12

typedef enum tic_mode {
	TIC_MODE_AUTO = 0, // per frame, from the separators: HT standard, SP
	                   // historic
	TIC_MODE_HISTORIC = 1,
	TIC_MODE_STANDARD = 2,
} tic_mode;

// One checksum-valid group. Strings are NUL-terminated and hold the bytes
// as the meter sent them (padding spaces included).
typedef struct tic_group {
	char label[TIC_LABEL_MAX + 1];
	char horodate[TIC_HORODATE_LEN + 1]; // "" when the group has none
	char data[TIC_DATA_MAX + 1]; // may be "" (standard DATE)
} tic_group;

// A complete frame. `mode` is HISTORIC or STANDARD (what AUTO found).
// n_rejected counts this frame's groups that were dropped (bad checksum,
// wrong shape, overlong, unterminated); n_noise counts bytes between its
// groups that belonged to no group (a group whose LF was lost looks so).
typedef struct tic_frame {
	tic_mode mode;
	size_t n_groups;
	unsigned n_rejected;
	unsigned n_noise;
	tic_group groups[TIC_FRAME_GROUPS_MAX];
} tic_frame;

// Counters since tic_parser_init(). A "group" is the bytes between LF and
// CR; groups_ok counts every valid one parsed, including those of a frame
// later abandoned (EOT, truncation, overflow).
typedef struct tic_stats {
	uint64_t frames_ok; // delivered, no group rejected, no noise
	uint64_t frames_bad; // ended by ETX with a rejected group or
	                     // noise (delivered if it kept any group)
	uint64_t frames_truncated; // abandoned: STX came before its ETX
	uint64_t groups_ok;
	uint64_t groups_bad_checksum;
	uint64_t groups_malformed; // wrong shape, field lengths, characters
	uint64_t eot; // EOT bytes (a frame in progress abandoned)
	uint64_t noise_bytes; // bytes inside a frame outside any group
	uint64_t skipped_bytes; // bytes outside frames (waiting for STX)
	uint64_t overflows; // overlong groups and frames, skipped
} tic_stats;

// The parser lives in caller-provided memory (about 13 KB; it holds the
// frame being built). Its members are private to tic_parse.c: read the
// counters with tic_parser_stats(). Nothing to release: there is no _fini.
typedef struct tic_parser {
	tic_mode mode;
	int state;
	size_t line_len;
	size_t frame_bytes;
	tic_stats stats;
	uint8_t line[TIC_LINE_MAX];
	tic_frame frame;
} tic_parser;

// Called once per frame ended by ETX that kept at least one valid group.
// The frame is borrowed: it is valid until the callback returns (copy it to
// keep it). Runs in the thread calling tic_parser_feed(); it must not feed
// the same parser.
typedef void (*tic_frame_cb)(const tic_frame *frame, void *arg);

// Prepares *p to parse in `mode`, waiting for an STX (a capture that starts
// mid-frame is skipped up to the first STX). Returns INVALID_ARGUMENT for a
// NULL parser or a mode outside tic_mode; OK otherwise.
fed_status tic_parser_init(tic_parser *p, tic_mode mode);

// Drops any frame in progress and waits for the next STX; the counters are
// kept (e.g. after the reader reopened its port). No-op on NULL.
void tic_parser_reset(tic_parser *p);

// Parses `len` bytes of `buf` (borrowed), continuing the frame left by the
// previous call, and calls cb(frame, arg) for each frame that ends in them.
// Every byte is read through mask 0x7F: the TIC is 7E1, and a port read as
// 8N1 delivers the even-parity bit as bit 7 (docs/tic.md). Damaged input is
// counted in the stats, never returned as an error. Returns
// INVALID_ARGUMENT for a NULL parser or callback, or a NULL buf with len >
// 0; OK otherwise.
fed_status tic_parser_feed(
    tic_parser *p, const uint8_t *buf, size_t len, tic_frame_cb cb, void *arg);

// The counters of *p (borrowed; valid while *p is). p must not be NULL.
const tic_stats *tic_parser_stats(const tic_parser *p);

// The TIC checksum of `len` bytes: (sum & 0x3F) + 0x20. Historic groups sum
// "label SP data"; standard groups sum through the HT before the checksum.
uint8_t tic_checksum(const uint8_t *buf, size_t len);

// True when no group of *f was rejected and no noise came between its
// groups. A frame that is not intact still holds only valid groups, but
// may lack some.
bool tic_frame_is_intact(const tic_frame *f);

// Finds the first group labelled `label` and lends it in *out (valid while
// *f is). Returns NOT_FOUND when the frame has no such group,
// INVALID_ARGUMENT for a NULL argument.
fed_status tic_frame_get(
    const tic_frame *f, const char *label, const tic_group **out);

// What a numeric label measures.
typedef enum tic_unit {
	TIC_UNIT_NONE = 0, // a number without unit (NTARF, NJOURF, ...)
	TIC_UNIT_WH, // an energy index
	TIC_UNIT_VA,
	TIC_UNIT_W,
	TIC_UNIT_KVA,
	TIC_UNIT_A,
	TIC_UNIT_V,
} tic_unit;

// The unit of a numeric label the decoder knows (BASE -> WH, PAPP -> VA,
// IINST2 -> A, NTARF -> NONE, ...) in *unit, and in *digits (may be NULL)
// the exact number of digits its data carries. Returns NOT_FOUND for a
// label that is not numeric or not known, INVALID_ARGUMENT for NULL.
fed_status tic_label_unit(const char *label, tic_unit *unit, size_t *digits);

// The value of a numeric label (see tic_label_unit) and its unit (*unit may
// be NULL). Returns NOT_FOUND when the frame lacks the label;
// INVALID_ARGUMENT for a NULL argument, a label the decoder does not know
// as numeric, or data that is not exactly the expected number of decimal
// digits (then *value is untouched).
fed_status tic_frame_get_uint(
    const tic_frame *f, const char *label, uint64_t *value, tic_unit *unit);

// As tic_frame_get_uint, for a label of one unit only; another label is
// INVALID_ARGUMENT. Index in Wh: BASE, HCHC, HCHP, EJPHN, EJPHPM, BBRHCJB,
// BBRHPJB, BBRHCJW, BBRHPJW, BBRHCJR, BBRHPJR (historic); EAST, EASF01 ..
// EASF10, EASD01 .. EASD04, EAIT (standard).
fed_status tic_frame_get_index_wh(
    const tic_frame *f, const char *label, uint64_t *wh);
// Apparent power in VA: PAPP, SINSTS, SINSTS1..3, SMAXSN, SMAXSN1..3,
// SMAXSN-1, SMAXSN1-1..SMAXSN3-1, SINSTI, SMAXIN, SMAXIN-1.
fed_status tic_frame_get_power_va(
    const tic_frame *f, const char *label, uint32_t *va);
// Current in A: IINST, IINST1..3, IMAX, IMAX1..3, ISOUSC, ADPS, ADIR1..3,
// IRMS1..3.
fed_status tic_frame_get_current_a(
    const tic_frame *f, const char *label, uint32_t *a);
// Voltage in V: URMS1..3, UMOY1..3.
fed_status tic_frame_get_voltage_v(
    const tic_frame *f, const char *label, uint32_t *v);

// The meter address (ADCO in historic, ADSC in standard), 12 digits, copied
// NUL-terminated into out. Returns NOT_FOUND when the frame has neither,
// INVALID_ARGUMENT for NULL or data that is not 12 digits.
fed_status tic_frame_get_meter_id(
    const tic_frame *f, char out[TIC_METER_ID_LEN + 1]);

// The data of `label` without its padding spaces (NGTF "      BASE      "
// gives "BASE"), copied NUL-terminated into out (out_len bytes). For text
// labels: OPTARIF, NGTF, LTARF, PTEC, DEMAIN, MSG1, ... Returns NOT_FOUND
// when absent; INVALID_ARGUMENT for NULL, out_len 0, or data (trimmed)
// longer than out_len - 1.
fed_status tic_frame_get_text(
    const tic_frame *f, const char *label, char *out, size_t out_len);

// The tariff option: OPTARIF (historic) or NGTF (standard), trimmed, as
// tic_frame_get_text. NOT_FOUND when the frame has neither.
fed_status tic_frame_get_tariff(const tic_frame *f, char *out, size_t out_len);

// The status register STGE (standard): 8 hexadecimal digits. Returns
// NOT_FOUND when absent, INVALID_ARGUMENT for NULL or data that is not 8
// hexadecimal digits.
fed_status tic_frame_get_stge(const tic_frame *f, uint32_t *reg);

// Converts a horodate "SYYMMDDhhmmss" to UTC milliseconds since the epoch.
// The season letter gives the offset of the local time: E (summer) +02:00,
// H (winter) +01:00; lowercase e/h say the meter's clock is degraded (same
// offsets), reported in *degraded (may be NULL). Years are 2000 + YY.
// Returns INVALID_ARGUMENT for NULL, a string that is not exactly 13
// characters, another season letter, non-digits or an impossible date or
// time (month 13, 30 February, 24:00).
fed_status tic_horodate_to_ms(
    const char *horodate, int64_t *utc_ms, bool *degraded);

// The horodate of `label`'s group (DATE, SMAXSN, CCASN, UMOY1, DPM1, ...) as
// UTC ms, as tic_horodate_to_ms. NOT_FOUND when the frame lacks the label;
// INVALID_ARGUMENT when its group has no horodate or a malformed one.
fed_status tic_frame_get_horodate_ms(
    const tic_frame *f, const char *label, int64_t *utc_ms);

// The meter's clock: the horodate of DATE, as tic_frame_get_horodate_ms.
fed_status tic_frame_get_date_ms(const tic_frame *f, int64_t *utc_ms);

#ifdef FED_TESTING
// The core group parser, for tests and fuzzers: parses the `len` bytes
// between a group's LF and CR (both excluded) of shape `mode` (AUTO: HT
// means standard, else historic) into *out, and the shape found into
// *shape. Returns OK; INVALID_ARGUMENT when the separators are not in place
// (missing, empty label, historic data empty, a standard horodate not 13
// characters, a shape other than `mode`); then DATA_LOSS when the checksum
// is wrong; then INVALID_ARGUMENT for a field out of bounds (label over 9,
// data over 104 characters, control bytes, SP inside historic data). *out
// is meaningful only on OK. Never reads outside buf.
fed_status tic_parse_group(const uint8_t *buf, size_t len, tic_mode mode,
    tic_group *out, tic_mode *shape);
#endif

#endif // TIC_PARSE_H
