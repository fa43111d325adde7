// SPDX-License-Identifier: MIT
//
// tic_parse.c: the TIC byte stream to frames of checksum-valid groups, and
// the typed decoding of their fields.
//
// The stream parser is a small state machine fed one byte at a time, so a
// frame may be split across feed calls at any byte. Between STX and ETX a
// group runs from LF to CR; the group's bytes are collected in a bounded
// line buffer and parsed whole at its CR by tic_parse_group(), from the
// end: the checksum is the last byte, preceded by the separator (SP or HT),
// which tells the mode. Whatever does not fit this shape is counted and
// skipped; the stream resynchronises at the next LF (group) or STX (frame).

#include "tic_parse.h"

#include <assert.h>
#include <string.h>

#define STX 0x02
#define ETX 0x03
#define EOT 0x04
#define LF  0x0a
#define CR  0x0d
#define HT  0x09
#define SP  0x20

enum state {
	HUNT, // outside a frame, waiting for STX
	BETWEEN, // inside a frame, between groups
	GROUP, // inside a group, after its LF
	SKIP_GROUP, // inside an overlong group, dropping it up to CR/LF/ETX
};

uint8_t
tic_checksum(const uint8_t *buf, size_t len)
{
	unsigned sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += buf[i];
	return (uint8_t) ((sum & 0x3f) + 0x20);
}

// Copies a field, checking its length and that every byte lies in lo..0x7e.
static fed_status
copy_field(char *dst, size_t max, const uint8_t *src, size_t len, uint8_t lo)
{
	if (len > max)
		return FED_INVALID_ARGUMENT;
	for (size_t i = 0; i < len; i++) {
		if (src[i] < lo || src[i] > 0x7e)
			return FED_INVALID_ARGUMENT;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
	return FED_OK;
}

// The first index of byte c in buf[from, to), or `to` when absent.
static size_t
find_byte(const uint8_t *buf, size_t from, size_t to, uint8_t c)
{
	while (from < to && buf[from] != c)
		from++;
	return from;
}

// Historic: label SP data SP checksum; the checksum covers "label SP data".
// The checksum byte may itself be a SP, so the split starts from the end.
// The checksum is checked once the separators are in place and before the
// fields, so that a byte damaged on the line counts as a bad checksum.
static fed_status
parse_historic(const uint8_t *buf, size_t len, tic_group *out)
{
	if (len < 5 || buf[len - 2] != SP)
		return FED_INVALID_ARGUMENT;
	size_t end = len - 2; // the SP before the checksum
	size_t sep = find_byte(buf, 0, end, SP);
	if (sep == 0 || sep >= end - 1)
		return FED_INVALID_ARGUMENT; // empty label or empty data
	if (tic_checksum(buf, end) != buf[len - 1])
		return FED_DATA_LOSS;
	FED_TRY(copy_field(out->label, TIC_LABEL_MAX, buf, sep, 0x21));
	FED_TRY(copy_field(
	    out->data, TIC_DATA_MAX, buf + sep + 1, end - sep - 1, 0x21));
	out->horodate[0] = '\0';
	return FED_OK;
}

// Standard: label HT [horodate HT] data HT checksum; the checksum covers
// everything before it, the last HT included.
static fed_status
parse_standard(const uint8_t *buf, size_t len, tic_group *out)
{
	if (len < 4 || buf[len - 2] != HT)
		return FED_INVALID_ARGUMENT;
	size_t end = len - 2; // the HT before the checksum
	size_t sep1 = find_byte(buf, 0, end, HT);
	size_t sep2 = sep1 < end ? find_byte(buf, sep1 + 1, end, HT) : end;
	if (sep1 == 0 || sep1 == end
	    || (sep2 < end
	        && (sep2 - sep1 - 1 != TIC_HORODATE_LEN
	            || find_byte(buf, sep2 + 1, end, HT) != end)))
		return FED_INVALID_ARGUMENT;
	if (tic_checksum(buf, len - 1) != buf[len - 1])
		return FED_DATA_LOSS;
	size_t data = sep1 + 1;
	out->horodate[0] = '\0';
	if (sep2 < end) {
		FED_TRY(copy_field(out->horodate, TIC_HORODATE_LEN,
		    buf + sep1 + 1, TIC_HORODATE_LEN, 0x20));
		data = sep2 + 1;
	}
	FED_TRY(copy_field(out->label, TIC_LABEL_MAX, buf, sep1, 0x21));
	return copy_field(out->data, TIC_DATA_MAX, buf + data, end - data, SP);
}

FED_TESTABLE fed_status
tic_parse_group(const uint8_t *buf, size_t len, tic_mode mode, tic_group *out,
    tic_mode *shape)
{
	if (buf == NULL || out == NULL || shape == NULL)
		return FED_INVALID_ARGUMENT;
	bool has_ht = memchr(buf, HT, len) != NULL;
	*shape = has_ht ? TIC_MODE_STANDARD : TIC_MODE_HISTORIC;
	if (mode != TIC_MODE_AUTO && mode != *shape)
		return FED_INVALID_ARGUMENT;
	if (has_ht)
		return parse_standard(buf, len, out);
	return parse_historic(buf, len, out);
}

fed_status
tic_parser_init(tic_parser *p, tic_mode mode)
{
	if (p == NULL
	    || (mode != TIC_MODE_AUTO && mode != TIC_MODE_HISTORIC
	        && mode != TIC_MODE_STANDARD))
		return FED_INVALID_ARGUMENT;
	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->state = HUNT;
	return FED_OK;
}

void
tic_parser_reset(tic_parser *p)
{
	if (p == NULL)
		return;
	p->state = HUNT;
	p->line_len = 0;
	p->frame_bytes = 0;
}

const tic_stats *
tic_parser_stats(const tic_parser *p)
{
	assert(p != NULL);
	return &p->stats;
}

static void
start_frame(tic_parser *p)
{
	p->state = BETWEEN;
	p->frame_bytes = 0;
	p->frame.mode = p->mode;
	p->frame.n_groups = 0;
	p->frame.n_rejected = 0;
	p->frame.n_noise = 0;
}

static void
start_group(tic_parser *p)
{
	p->state = GROUP;
	p->line_len = 0;
}

static void
reject_group(tic_parser *p, fed_status st)
{
	if (st == FED_DATA_LOSS)
		p->stats.groups_bad_checksum++;
	else
		p->stats.groups_malformed++;
	p->frame.n_rejected++;
}

static void
overflow_frame(tic_parser *p)
{
	p->stats.overflows++;
	p->state = HUNT;
}

// A group's CR: parse the line, and keep the group if it is valid and of
// the frame's shape (AUTO takes the shape of the frame's first group). An
// empty line is a stray LF (real meters send CR LF around STX and ETX), not
// a group.
static void
end_group(tic_parser *p)
{
	tic_frame *f = &p->frame;
	p->state = BETWEEN;
	if (p->line_len == 0)
		return;
	if (f->n_groups == TIC_FRAME_GROUPS_MAX) {
		overflow_frame(p);
		return;
	}
	tic_mode shape;
	fed_status st = tic_parse_group(
	    p->line, p->line_len, f->mode, &f->groups[f->n_groups], &shape);
	if (st != FED_OK) {
		reject_group(p, st);
		return;
	}
	f->mode = shape;
	f->n_groups++;
	p->stats.groups_ok++;
}

static void
end_frame(tic_parser *p, tic_frame_cb cb, void *arg)
{
	if (p->state == GROUP && p->line_len > 0)
		reject_group(p, FED_INVALID_ARGUMENT); // no CR before ETX
	p->state = HUNT;
	if (tic_frame_is_intact(&p->frame) && p->frame.n_groups > 0)
		p->stats.frames_ok++;
	else
		p->stats.frames_bad++;
	if (p->frame.n_groups > 0)
		cb(&p->frame, arg);
}

// Bytes that act in every state: STX starts a frame, EOT abandons one.
// Returns true when the byte was consumed.
static bool
control_byte(tic_parser *p, uint8_t c)
{
	if (c == STX) {
		if (p->state != HUNT)
			p->stats.frames_truncated++;
		start_frame(p);
		return true;
	}
	if (c == EOT) {
		p->stats.eot++;
		p->state = HUNT;
		return true;
	}
	return false;
}

static void
between_byte(tic_parser *p, uint8_t c, tic_frame_cb cb, void *arg)
{
	if (c == LF) {
		start_group(p);
	} else if (c == ETX) {
		end_frame(p, cb, arg);
	} else if (c != CR) {
		p->stats.noise_bytes++;
		p->frame.n_noise++;
	}
}

static void
group_byte(tic_parser *p, uint8_t c, tic_frame_cb cb, void *arg)
{
	if (c == CR) {
		end_group(p);
	} else if (c == LF) {
		if (p->line_len > 0)
			reject_group(p, FED_INVALID_ARGUMENT); // lost its CR
		start_group(p);
	} else if (c == ETX) {
		end_frame(p, cb, arg);
	} else if (p->line_len == TIC_LINE_MAX) {
		p->stats.overflows++;
		p->frame.n_rejected++;
		p->state = SKIP_GROUP;
	} else {
		p->line[p->line_len++] = c;
	}
}

static void
skip_byte(tic_parser *p, uint8_t c, tic_frame_cb cb, void *arg)
{
	if (c == CR)
		p->state = BETWEEN;
	else if (c == LF)
		start_group(p);
	else if (c == ETX)
		end_frame(p, cb, arg);
}

static void
feed_byte(tic_parser *p, uint8_t c, tic_frame_cb cb, void *arg)
{
	if (control_byte(p, c))
		return;
	if (p->state == HUNT) {
		p->stats.skipped_bytes++;
		return;
	}
	if (++p->frame_bytes > TIC_FRAME_BYTES_MAX) {
		overflow_frame(p);
		return;
	}
	if (p->state == BETWEEN)
		between_byte(p, c, cb, arg);
	else if (p->state == GROUP)
		group_byte(p, c, cb, arg);
	else
		skip_byte(p, c, cb, arg);
}

fed_status
tic_parser_feed(
    tic_parser *p, const uint8_t *buf, size_t len, tic_frame_cb cb, void *arg)
{
	if (p == NULL || cb == NULL || (buf == NULL && len > 0))
		return FED_INVALID_ARGUMENT;
	for (size_t i = 0; i < len; i++)
		feed_byte(p, buf[i] & 0x7f, cb, arg);
	return FED_OK;
}

bool
tic_frame_is_intact(const tic_frame *f)
{
	return f->n_rejected == 0 && f->n_noise == 0;
}

// Decoding. Numeric labels, their unit and their exact number of digits,
// from Enedis-NOI-CPT_54E.
struct numeric_label {
	const char *label;
	tic_unit unit;
	uint8_t digits;
};

static const struct numeric_label numeric_labels[] = {
    // Historic indexes.
    {"BASE", TIC_UNIT_WH, 9},
    {"HCHC", TIC_UNIT_WH, 9},
    {"HCHP", TIC_UNIT_WH, 9},
    {"EJPHN", TIC_UNIT_WH, 9},
    {"EJPHPM", TIC_UNIT_WH, 9},
    {"BBRHCJB", TIC_UNIT_WH, 9},
    {"BBRHPJB", TIC_UNIT_WH, 9},
    {"BBRHCJW", TIC_UNIT_WH, 9},
    {"BBRHPJW", TIC_UNIT_WH, 9},
    {"BBRHCJR", TIC_UNIT_WH, 9},
    {"BBRHPJR", TIC_UNIT_WH, 9},
    // Standard indexes.
    {"EAST", TIC_UNIT_WH, 9},
    {"EASF01", TIC_UNIT_WH, 9},
    {"EASF02", TIC_UNIT_WH, 9},
    {"EASF03", TIC_UNIT_WH, 9},
    {"EASF04", TIC_UNIT_WH, 9},
    {"EASF05", TIC_UNIT_WH, 9},
    {"EASF06", TIC_UNIT_WH, 9},
    {"EASF07", TIC_UNIT_WH, 9},
    {"EASF08", TIC_UNIT_WH, 9},
    {"EASF09", TIC_UNIT_WH, 9},
    {"EASF10", TIC_UNIT_WH, 9},
    {"EASD01", TIC_UNIT_WH, 9},
    {"EASD02", TIC_UNIT_WH, 9},
    {"EASD03", TIC_UNIT_WH, 9},
    {"EASD04", TIC_UNIT_WH, 9},
    {"EAIT", TIC_UNIT_WH, 9},
    // Apparent power.
    {"PAPP", TIC_UNIT_VA, 5},
    {"SINSTS", TIC_UNIT_VA, 5},
    {"SINSTS1", TIC_UNIT_VA, 5},
    {"SINSTS2", TIC_UNIT_VA, 5},
    {"SINSTS3", TIC_UNIT_VA, 5},
    {"SMAXSN", TIC_UNIT_VA, 5},
    {"SMAXSN1", TIC_UNIT_VA, 5},
    {"SMAXSN2", TIC_UNIT_VA, 5},
    {"SMAXSN3", TIC_UNIT_VA, 5},
    {"SMAXSN-1", TIC_UNIT_VA, 5},
    {"SMAXSN1-1", TIC_UNIT_VA, 5},
    {"SMAXSN2-1", TIC_UNIT_VA, 5},
    {"SMAXSN3-1", TIC_UNIT_VA, 5},
    {"SINSTI", TIC_UNIT_VA, 5},
    {"SMAXIN", TIC_UNIT_VA, 5},
    {"SMAXIN-1", TIC_UNIT_VA, 5},
    // Active power: historic three-phase maximum, standard load curve.
    {"PMAX", TIC_UNIT_W, 5},
    {"CCASN", TIC_UNIT_W, 5},
    {"CCASN-1", TIC_UNIT_W, 5},
    {"CCAIN", TIC_UNIT_W, 5},
    {"CCAIN-1", TIC_UNIT_W, 5},
    // Subscribed and cut-off power.
    {"PREF", TIC_UNIT_KVA, 2},
    {"PCOUP", TIC_UNIT_KVA, 2},
    // Currents.
    {"ISOUSC", TIC_UNIT_A, 2},
    {"IINST", TIC_UNIT_A, 3},
    {"IINST1", TIC_UNIT_A, 3},
    {"IINST2", TIC_UNIT_A, 3},
    {"IINST3", TIC_UNIT_A, 3},
    {"IMAX", TIC_UNIT_A, 3},
    {"IMAX1", TIC_UNIT_A, 3},
    {"IMAX2", TIC_UNIT_A, 3},
    {"IMAX3", TIC_UNIT_A, 3},
    {"ADPS", TIC_UNIT_A, 3},
    {"ADIR1", TIC_UNIT_A, 3},
    {"ADIR2", TIC_UNIT_A, 3},
    {"ADIR3", TIC_UNIT_A, 3},
    {"IRMS1", TIC_UNIT_A, 3},
    {"IRMS2", TIC_UNIT_A, 3},
    {"IRMS3", TIC_UNIT_A, 3},
    // Voltages.
    {"URMS1", TIC_UNIT_V, 3},
    {"URMS2", TIC_UNIT_V, 3},
    {"URMS3", TIC_UNIT_V, 3},
    {"UMOY1", TIC_UNIT_V, 3},
    {"UMOY2", TIC_UNIT_V, 3},
    {"UMOY3", TIC_UNIT_V, 3},
    // Plain numbers: tariff index, Tempo day numbers, relays.
    {"NTARF", TIC_UNIT_NONE, 2},
    {"NJOURF", TIC_UNIT_NONE, 2},
    {"NJOURF+1", TIC_UNIT_NONE, 2},
    {"RELAIS", TIC_UNIT_NONE, 3},
};

#define N_NUMERIC_LABELS (sizeof(numeric_labels) / sizeof(numeric_labels[0]))

static const struct numeric_label *
find_numeric(const char *label)
{
	for (size_t i = 0; i < N_NUMERIC_LABELS; i++) {
		if (strcmp(numeric_labels[i].label, label) == 0)
			return &numeric_labels[i];
	}
	return NULL;
}

fed_status
tic_label_unit(const char *label, tic_unit *unit, size_t *digits)
{
	if (label == NULL || unit == NULL)
		return FED_INVALID_ARGUMENT;
	const struct numeric_label *nl = find_numeric(label);
	if (nl == NULL)
		return FED_NOT_FOUND;
	*unit = nl->unit;
	if (digits != NULL)
		*digits = nl->digits;
	return FED_OK;
}

fed_status
tic_frame_get(const tic_frame *f, const char *label, const tic_group **out)
{
	if (f == NULL || label == NULL || out == NULL)
		return FED_INVALID_ARGUMENT;
	for (size_t i = 0; i < f->n_groups; i++) {
		if (strcmp(f->groups[i].label, label) == 0) {
			*out = &f->groups[i];
			return FED_OK;
		}
	}
	return FED_NOT_FOUND;
}

// Exactly `digits` decimal digits (at most 19, so no overflow) and nothing
// else.
static fed_status
parse_digits(const char *s, size_t digits, uint64_t *out)
{
	if (strlen(s) != digits || digits == 0 || digits > 19)
		return FED_INVALID_ARGUMENT;
	uint64_t v = 0;
	for (size_t i = 0; i < digits; i++) {
		if (s[i] < '0' || s[i] > '9')
			return FED_INVALID_ARGUMENT;
		v = v * 10 + (uint64_t) (s[i] - '0');
	}
	*out = v;
	return FED_OK;
}

fed_status
tic_frame_get_uint(
    const tic_frame *f, const char *label, uint64_t *value, tic_unit *unit)
{
	if (f == NULL || label == NULL || value == NULL)
		return FED_INVALID_ARGUMENT;
	const struct numeric_label *nl = find_numeric(label);
	if (nl == NULL)
		return FED_INVALID_ARGUMENT;
	const tic_group *g;
	FED_TRY(tic_frame_get(f, label, &g));
	FED_TRY(parse_digits(g->data, nl->digits, value));
	if (unit != NULL)
		*unit = nl->unit;
	return FED_OK;
}

// A numeric label that must be of unit `want`.
static fed_status
get_unit(const tic_frame *f, const char *label, tic_unit want, uint64_t *v)
{
	if (label == NULL)
		return FED_INVALID_ARGUMENT;
	const struct numeric_label *nl = find_numeric(label);
	if (nl == NULL || nl->unit != want)
		return FED_INVALID_ARGUMENT;
	return tic_frame_get_uint(f, label, v, NULL);
}

// As get_unit, for fields of at most 5 digits, which fit 32 bits.
static fed_status
get_unit32(const tic_frame *f, const char *label, tic_unit want, uint32_t *v)
{
	if (v == NULL)
		return FED_INVALID_ARGUMENT;
	uint64_t v64;
	FED_TRY(get_unit(f, label, want, &v64));
	*v = (uint32_t) v64;
	return FED_OK;
}

fed_status
tic_frame_get_index_wh(const tic_frame *f, const char *label, uint64_t *wh)
{
	return get_unit(f, label, TIC_UNIT_WH, wh);
}

fed_status
tic_frame_get_power_va(const tic_frame *f, const char *label, uint32_t *va)
{
	return get_unit32(f, label, TIC_UNIT_VA, va);
}

fed_status
tic_frame_get_current_a(const tic_frame *f, const char *label, uint32_t *a)
{
	return get_unit32(f, label, TIC_UNIT_A, a);
}

fed_status
tic_frame_get_voltage_v(const tic_frame *f, const char *label, uint32_t *v)
{
	return get_unit32(f, label, TIC_UNIT_V, v);
}

// The first of two labels the frame has (historic name, standard name).
static fed_status
get_either(
    const tic_frame *f, const char *a, const char *b, const tic_group **out)
{
	fed_status st = tic_frame_get(f, a, out);
	if (st == FED_NOT_FOUND)
		st = tic_frame_get(f, b, out);
	return st;
}

fed_status
tic_frame_get_meter_id(const tic_frame *f, char out[TIC_METER_ID_LEN + 1])
{
	if (f == NULL || out == NULL)
		return FED_INVALID_ARGUMENT;
	const tic_group *g;
	FED_TRY(get_either(f, "ADCO", "ADSC", &g));
	uint64_t unused;
	FED_TRY(parse_digits(g->data, TIC_METER_ID_LEN, &unused));
	memcpy(out, g->data, TIC_METER_ID_LEN + 1);
	return FED_OK;
}

static fed_status
copy_trimmed(const char *s, char *out, size_t out_len)
{
	if (out == NULL || out_len == 0)
		return FED_INVALID_ARGUMENT;
	size_t len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		len--;
	while (len > 0 && s[0] == ' ') {
		s++;
		len--;
	}
	if (len >= out_len)
		return FED_INVALID_ARGUMENT;
	memcpy(out, s, len);
	out[len] = '\0';
	return FED_OK;
}

fed_status
tic_frame_get_text(
    const tic_frame *f, const char *label, char *out, size_t out_len)
{
	if (out == NULL || out_len == 0)
		return FED_INVALID_ARGUMENT;
	const tic_group *g;
	FED_TRY(tic_frame_get(f, label, &g));
	return copy_trimmed(g->data, out, out_len);
}

fed_status
tic_frame_get_tariff(const tic_frame *f, char *out, size_t out_len)
{
	if (f == NULL || out == NULL || out_len == 0)
		return FED_INVALID_ARGUMENT;
	const tic_group *g;
	FED_TRY(get_either(f, "OPTARIF", "NGTF", &g));
	return copy_trimmed(g->data, out, out_len);
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

fed_status
tic_frame_get_stge(const tic_frame *f, uint32_t *reg)
{
	if (f == NULL || reg == NULL)
		return FED_INVALID_ARGUMENT;
	const tic_group *g;
	FED_TRY(tic_frame_get(f, "STGE", &g));
	if (strlen(g->data) != 8)
		return FED_INVALID_ARGUMENT;
	uint32_t v = 0;
	for (size_t i = 0; i < 8; i++) {
		int h = hex_value(g->data[i]);
		if (h < 0)
			return FED_INVALID_ARGUMENT;
		v = (v << 4) | (uint32_t) h;
	}
	*reg = v;
	return FED_OK;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil): no dependency on the process's time zone.
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned) (y - era * 400);
	unsigned mp = m > 2 ? m - 3 : m + 9; // March is month 0
	unsigned doy = (153 * mp + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t) doe - 719468;
}

static unsigned
days_in_month(unsigned year, unsigned month)
{
	static const unsigned days[12]
	    = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

// The local-time offset in seconds of a season letter, or -1.
static int
season_offset_s(char season, bool *degraded)
{
	*degraded = season == 'e' || season == 'h';
	if (season == 'E' || season == 'e')
		return 2 * 3600;
	if (season == 'H' || season == 'h')
		return 3600;
	return -1;
}

// Two digits at s as a number in lo..hi.
static fed_status
two_digits(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	uint64_t v;
	char buf[3] = {s[0], s[1], '\0'};
	FED_TRY(parse_digits(buf, 2, &v));
	if (v < lo || v > hi)
		return FED_INVALID_ARGUMENT;
	*out = (unsigned) v;
	return FED_OK;
}

fed_status
tic_horodate_to_ms(const char *horodate, int64_t *utc_ms, bool *degraded)
{
	if (horodate == NULL || utc_ms == NULL
	    || strlen(horodate) != TIC_HORODATE_LEN)
		return FED_INVALID_ARGUMENT;
	bool deg;
	int offset_s = season_offset_s(horodate[0], &deg);
	if (offset_s < 0)
		return FED_INVALID_ARGUMENT;
	unsigned yy, mo, dd, hh, mi, ss;
	FED_TRY(two_digits(horodate + 1, 0, 99, &yy));
	FED_TRY(two_digits(horodate + 3, 1, 12, &mo));
	FED_TRY(
	    two_digits(horodate + 5, 1, days_in_month(2000 + yy, mo), &dd));
	FED_TRY(two_digits(horodate + 7, 0, 23, &hh));
	FED_TRY(two_digits(horodate + 9, 0, 59, &mi));
	FED_TRY(two_digits(horodate + 11, 0, 59, &ss));
	int64_t days = days_from_civil(2000 + (int64_t) yy, mo, dd);
	int64_t local_s = days * 86400 + hh * 3600 + mi * 60 + ss;
	*utc_ms = (local_s - offset_s) * 1000;
	if (degraded != NULL)
		*degraded = deg;
	return FED_OK;
}

fed_status
tic_frame_get_horodate_ms(
    const tic_frame *f, const char *label, int64_t *utc_ms)
{
	if (utc_ms == NULL)
		return FED_INVALID_ARGUMENT;
	const tic_group *g;
	FED_TRY(tic_frame_get(f, label, &g));
	return tic_horodate_to_ms(g->horodate, utc_ms, NULL);
}

fed_status
tic_frame_get_date_ms(const tic_frame *f, int64_t *utc_ms)
{
	return tic_frame_get_horodate_ms(f, "DATE", utc_ms);
}
