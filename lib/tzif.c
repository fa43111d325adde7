// SPDX-License-Identifier: MIT
//
// tzif.c: the TZif file format (RFC 8536, versions 1 to 4) and the POSIX TZ
// rule of its footer, which gives the offset after the last transition.
//
// Every read of the file goes through a bounded cursor, and every count,
// index and offset is checked before use, because the bytes come from disk
// (and from a fuzzer). The footer rule is expanded into the transition
// table up to RULE_TABLE_END_YEAR so that lookups in the years that matter
// are a binary search; fed__tz_rule_offset covers the years after.

#include <stdlib.h>
#include <string.h>

#include "fed/log.h"
#include "tz_internal.h"

#define DAY_S          INT64_C(86400)
#define FOOTER_MAX_LEN 255

// The footer rule is expanded into the transition table up to this year, so
// that lookups in the years enfed stores are binary searches; later instants
// evaluate the rule.
#define RULE_TABLE_END_YEAR 2300

// Day number (since 1970) of a rule date in year y.
static int64_t
rule_day(const rule_date *r, int64_t y)
{
	int64_t jan1 = days_from_civil(y, 1, 1);
	if (r->kind == 'J')
		return jan1 + r->day - 1 + (is_leap(y) && r->day >= 60);
	if (r->kind == 'n')
		return jan1 + r->day;
	int64_t first = days_from_civil(y, r->month, 1);
	int wd_sun0 = (int) floor_mod(first + 4, 7);
	int64_t day = first + (r->day - wd_sun0 + 7) % 7 + 7 * (r->week - 1);
	int64_t last = first + days_in_month(y, r->month) - 1;
	while (day > last)
		day -= 7;
	return day;
}

static int64_t
rule_utc_s(const rule_date *r, int64_t y, int32_t off)
{
	return rule_day(r, y) * DAY_S + r->time_s - off;
}

// The rule's offset at t_s: the latest change at or before t_s among the
// years around it decides; a start wins a tie with an end, so that a rule
// that ends and restarts at the same instant (all-year DST) stays on DST.
int32_t
fed__tz_rule_offset(const tz_rule *r, int64_t t_s)
{
	if (!r->has_dst)
		return r->std_off;
	int64_t y, best = INT64_MIN;
	int m, d;
	bool dst = false;
	civil_from_days(floor_div(t_s + r->std_off, DAY_S), &y, &m, &d);
	for (int64_t yy = y - 1; yy <= y + 1; yy++) {
		int64_t e = rule_utc_s(&r->end, yy, r->dst_off);
		int64_t s = rule_utc_s(&r->start, yy, r->std_off);
		if (e <= t_s && e > best) {
			best = e;
			dst = false;
		}
		if (s <= t_s && s >= best) {
			best = s;
			dst = true;
		}
	}
	return dst ? r->dst_off : r->std_off;
}

// Parses up to `max` decimal digits (at least one) into *out.
static const char *
parse_digits(const char *p, int max, int *out)
{
	int n = 0, v = 0;
	while (n < max && p[n] >= '0' && p[n] <= '9') {
		v = v * 10 + (p[n] - '0');
		n++;
	}
	if (n == 0)
		return NULL;
	*out = v;
	return p + n;
}

// [+-]hh[:mm[:ss]] with hh <= max_h; NULL when malformed.
static const char *
parse_hms(const char *p, int max_h, int32_t *out)
{
	int sign = 1, h, mi = 0, s = 0;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if ((p = parse_digits(p, 3, &h)) == NULL || h > max_h)
		return NULL;
	if (*p == ':') {
		p = parse_digits(p + 1, 2, &mi);
		if (p == NULL || mi > 59)
			return NULL;
		if (*p == ':') {
			p = parse_digits(p + 1, 2, &s);
			if (p == NULL || s > 59)
				return NULL;
		}
	}
	*out = sign * (h * 3600 + mi * 60 + s);
	return p;
}

// A zone abbreviation: three or more letters, or <[A-Za-z0-9+-]+>.
static const char *
parse_abbr(const char *p)
{
	const char *q = p;
	if (*q == '<') {
		q++;
		while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z')
		    || (*q >= '0' && *q <= '9') || *q == '+' || *q == '-')
			q++;
		return (*q == '>' && q - p >= 2) ? q + 1 : NULL;
	}
	while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z'))
		q++;
	return q - p >= 3 ? q : NULL;
}

// Jn, n or Mm.w.d, then an optional /time (default 02:00).
static const char *
parse_rule_date(const char *p, rule_date *r)
{
	r->time_s = 2 * 3600;
	r->kind = *p == 'J' || *p == 'M' ? *p++ : 'n';
	if (r->kind == 'M') {
		p = parse_digits(p, 2, &r->month);
		if (p == NULL || *p != '.' || r->month < 1 || r->month > 12)
			return NULL;
		p = parse_digits(p + 1, 1, &r->week);
		if (p == NULL || *p != '.' || r->week < 1 || r->week > 5)
			return NULL;
		p = parse_digits(p + 1, 1, &r->day);
		if (p == NULL || r->day > 6)
			return NULL;
	} else {
		p = parse_digits(p, 3, &r->day);
		int lo = r->kind == 'J' ? 1 : 0;
		if (p == NULL || r->day < lo || r->day > 365)
			return NULL;
	}
	if (*p == '/')
		p = parse_hms(p + 1, 167, &r->time_s);
	return p;
}

// Parses a POSIX TZ string as found in a TZif footer ("CET-1CEST,M3.5.0,
// M10.5.0/3", "IST-5:30"). POSIX offsets count westwards; they are stored
// eastwards, as TZif offsets are. Returns DATA_LOSS when malformed.
static fed_status
parse_rule(const char *s, tz_rule *out)
{
	int32_t west;
	tz_rule r = {0};
	const char *p = parse_abbr(s);
	if (p == NULL || (p = parse_hms(p, 24, &west)) == NULL)
		return FED_DATA_LOSS;
	r.std_off = r.dst_off = -west;
	if (*p != '\0') {
		if ((p = parse_abbr(p)) == NULL)
			return FED_DATA_LOSS;
		r.has_dst = true;
		r.dst_off = r.std_off + 3600;
		if (*p != ',' && (p = parse_hms(p, 24, &west)) != NULL)
			r.dst_off = -west;
		// A DST zone without dates is not something zic writes.
		if (p == NULL || *p != ',')
			return FED_DATA_LOSS;
		p = parse_rule_date(p + 1, &r.start);
		if (p == NULL || *p != ',')
			return FED_DATA_LOSS;
		p = parse_rule_date(p + 1, &r.end);
		if (p == NULL || *p != '\0')
			return FED_DATA_LOSS;
	}
	*out = r;
	return FED_OK;
}

// One end of a DST period in some year, for the expansion of a rule.
typedef struct rule_event {
	int64_t t_s;
	bool start;
} rule_event;

static int
cmp_event(const void *pa, const void *pb)
{
	const rule_event *a = pa, *b = pb;
	if (a->t_s != b->t_s)
		return a->t_s < b->t_s ? -1 : 1;
	return (int) a->start - (int) b->start; // an end before a start
}

// The rule's changes from year y0 - 1 to RULE_TABLE_END_YEAR + 1, sorted
// as rule_offset orders them. Returns the count, or 0 when out of memory.
static size_t
rule_events(const tz_rule *r, int64_t y0, rule_event **out)
{
	size_t n = 0, cap = 2 * (size_t) (RULE_TABLE_END_YEAR + 2 - y0 + 1);
	rule_event *ev = malloc(cap * sizeof(*ev));
	if (ev == NULL)
		return 0;
	for (int64_t y = y0 - 1; y <= RULE_TABLE_END_YEAR + 1; y++) {
		ev[n++]
		    = (rule_event) {rule_utc_s(&r->end, y, r->dst_off), false};
		ev[n++] = (rule_event) {
		    rule_utc_s(&r->start, y, r->std_off), true};
	}
	qsort(ev, n, sizeof(*ev), cmp_event);
	*out = ev;
	return n;
}

// Appends (t_s, off) when off changes what is in force.
static void
append_change(fed_tz *tz, int64_t t_s, int32_t off)
{
	if (off == tz->trans_off[tz->n_trans - 1])
		return;
	tz->trans_s[tz->n_trans] = t_s;
	tz->trans_off[tz->n_trans] = off;
	tz->n_trans++;
}

// Replays sorted rule events after the table's last transition; the
// changes at one instant count once, with the state they leave.
static void
replay_events(fed_tz *tz, const rule_event *ev, size_t n_ev)
{
	const tz_rule *r = &tz->rule;
	int64_t after = tz->trans_s[tz->n_trans - 1] + 1;
	int32_t state = r->std_off;
	size_t i = 0;
	while (i < n_ev && ev[i].t_s <= after)
		state = ev[i++].start ? r->dst_off : r->std_off;
	append_change(tz, after, state);
	while (i < n_ev) {
		int64_t at = ev[i].t_s;
		while (i < n_ev && ev[i].t_s == at)
			state = ev[i++].start ? r->dst_off : r->std_off;
		append_change(tz, at, state);
	}
}

// Appends the footer rule's changes after the file's last transition, up to
// RULE_TABLE_END_YEAR, so that they give exactly what rule_offset would.
static fed_status
expand_rule(fed_tz *tz)
{
	size_t n = tz->n_trans;
	if (!tz->has_rule || !tz->rule.has_dst || n == 0)
		return FED_OK;
	int64_t y0;
	int m, d;
	civil_from_days(floor_div(tz->trans_s[n - 1], DAY_S), &y0, &m, &d);
	if (y0 >= RULE_TABLE_END_YEAR)
		return FED_OK;
	rule_event *ev = NULL;
	size_t n_ev = rule_events(&tz->rule, y0, &ev);
	int64_t *ts = realloc(tz->trans_s, (n + n_ev + 1) * sizeof(*ts));
	if (ts != NULL)
		tz->trans_s = ts;
	int32_t *to = realloc(tz->trans_off, (n + n_ev + 1) * sizeof(*to));
	if (to != NULL)
		tz->trans_off = to;
	if (n_ev != 0 && ts != NULL && to != NULL)
		replay_events(tz, ev, n_ev);
	free(ev);
	return n_ev != 0 && ts != NULL && to != NULL ? FED_OK
	                                             : FED_RESOURCE_EXHAUSTED;
}

// --- TZif ---

// Bounded reading of a byte buffer: every take() checks what is left.
typedef struct cursor {
	const uint8_t *buf;
	size_t len;
	size_t pos;
} cursor;

static const uint8_t *
take(cursor *c, uint64_t n)
{
	if (n > c->len - c->pos)
		return NULL;
	const uint8_t *p = c->buf + c->pos;
	c->pos += (size_t) n;
	return p;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
	    | (uint32_t) p[2] << 8 | p[3];
}

static int64_t
be64(const uint8_t *p)
{
	uint64_t v = (uint64_t) be32(p) << 32 | be32(p + 4);
	return v > INT64_MAX ? -(int64_t) (UINT64_MAX - v) - 1 : (int64_t) v;
}

static int32_t
be32s(const uint8_t *p)
{
	uint32_t v = be32(p);
	return v > INT32_MAX ? -(int32_t) (UINT32_MAX - v) - 1 : (int32_t) v;
}

typedef struct tzif_header {
	char version; // 0, '2', '3' or '4'
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tzif_header;

static fed_status
parse_header(cursor *c, tzif_header *h)
{
	const uint8_t *p = take(c, 44);
	if (p == NULL || memcmp(p, "TZif", 4) != 0)
		return FED_DATA_LOSS;
	h->version = (char) p[4];
	if (h->version != 0 && (h->version < '2' || h->version > '4'))
		return FED_DATA_LOSS;
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	if (h->typecnt == 0 || h->charcnt == 0)
		return FED_DATA_LOSS;
	if (h->isutcnt != 0 && h->isutcnt != h->typecnt)
		return FED_DATA_LOSS;
	if (h->isstdcnt != 0 && h->isstdcnt != h->typecnt)
		return FED_DATA_LOSS;
	return FED_OK;
}

// Size of a data block; counts are 32-bit, so 64-bit sums cannot overflow.
static uint64_t
block_len(const tzif_header *h, unsigned time_len)
{
	return (uint64_t) h->timecnt * (time_len + 1)
	    + (uint64_t) h->typecnt * 6 + h->charcnt
	    + (uint64_t) h->leapcnt * (time_len + 4) + h->isstdcnt
	    + h->isutcnt;
}

// The sections of a data block, located and bounds-checked.
typedef struct tzif_block {
	const uint8_t *times, *idx, *types, *chars, *isstd, *isut;
	unsigned time_len;
} tzif_block;

static fed_status
locate_block(cursor *c, const tzif_header *h, unsigned time_len, tzif_block *b)
{
	if (block_len(h, time_len) > c->len - c->pos)
		return FED_DATA_LOSS;
	b->time_len = time_len;
	b->times = take(c, (uint64_t) h->timecnt * time_len);
	b->idx = take(c, h->timecnt);
	b->types = take(c, (uint64_t) h->typecnt * 6);
	b->chars = take(c, h->charcnt);
	take(c, (uint64_t) h->leapcnt * (time_len + 4));
	b->isstd = take(c, h->isstdcnt);
	b->isut = take(c, h->isutcnt);
	return FED_OK;
}

static fed_status
check_types(const tzif_header *h, const tzif_block *b)
{
	for (uint32_t i = 0; i < h->typecnt; i++) {
		const uint8_t *t = b->types + 6 * (size_t) i;
		int32_t off = be32s(t);
		if (off < FED__TZ_UTOFF_MIN || off > FED__TZ_UTOFF_MAX
		    || t[4] > 1)
			return FED_DATA_LOSS;
		if (t[5] >= h->charcnt
		    || memchr(b->chars + t[5], 0, h->charcnt - t[5]) == NULL)
			return FED_DATA_LOSS;
		bool std = h->isstdcnt && b->isstd[i];
		bool ut = h->isutcnt && b->isut[i];
		if ((h->isstdcnt && b->isstd[i] > 1)
		    || (h->isutcnt && b->isut[i] > 1) || (ut && !std))
			return FED_DATA_LOSS;
	}
	return FED_OK;
}

static int64_t
trans_time(const tzif_block *b, size_t i)
{
	const uint8_t *p = b->times + i * b->time_len;
	return b->time_len == 8 ? be64(p) : be32s(p);
}

// Fills the transition arrays of tz from a checked block.
static fed_status
load_transitions(fed_tz *tz, const tzif_header *h, const tzif_block *b)
{
	size_t n = h->timecnt;
	tz->off_before = be32s(b->types);
	if (n == 0)
		return FED_OK;
	tz->trans_s = malloc(n * sizeof(*tz->trans_s));
	tz->trans_off = malloc(n * sizeof(*tz->trans_off));
	if (tz->trans_s == NULL || tz->trans_off == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < n; i++) {
		if (b->idx[i] >= h->typecnt)
			return FED_DATA_LOSS;
		tz->trans_s[i] = trans_time(b, i);
		if (i > 0 && tz->trans_s[i] <= tz->trans_s[i - 1])
			return FED_DATA_LOSS;
		tz->trans_off[i] = be32s(b->types + 6 * (size_t) b->idx[i]);
	}
	tz->n_trans = n;
	return FED_OK;
}

// "\n<TZ string>\n" closing a version 2+ file, and nothing after it.
static fed_status
parse_footer(cursor *c, fed_tz *tz)
{
	size_t left = c->len - c->pos;
	const uint8_t *p = c->buf + c->pos;
	if (left < 2 || p[0] != '\n' || p[left - 1] != '\n')
		return FED_DATA_LOSS;
	size_t n = left - 2;
	if (n > FOOTER_MAX_LEN || memchr(p + 1, '\n', n) != NULL
	    || memchr(p + 1, '\0', n) != NULL)
		return FED_DATA_LOSS;
	if (n == 0)
		return FED_OK;
	char s[FOOTER_MAX_LEN + 1];
	memcpy(s, p + 1, n);
	s[n] = '\0';
	FED_TRY(parse_rule(s, &tz->rule));
	tz->has_rule = true;
	return FED_OK;
}

static fed_status
parse_body(cursor *c, fed_tz *tz)
{
	tzif_header h;
	tzif_block b;
	FED_TRY(parse_header(c, &h));
	if (h.version != 0) {
		// Skip the 32-bit block: the 64-bit one follows.
		FED_TRY(locate_block(c, &h, 4, &b));
		char v1 = h.version;
		FED_TRY(parse_header(c, &h));
		if (h.version != v1)
			return FED_DATA_LOSS;
	}
	FED_TRY(locate_block(c, &h, h.version != 0 ? 8 : 4, &b));
	FED_TRY(check_types(&h, &b));
	FED_TRY(load_transitions(tz, &h, &b));
	if (h.version != 0)
		FED_TRY(parse_footer(c, tz));
	else if (c->pos != c->len)
		return FED_DATA_LOSS;
	// Leap-second ("right/") zones count time differently.
	if (h.leapcnt != 0)
		return FED_UNIMPLEMENTED;
	return expand_rule(tz);
}

fed_status
fed__tz_parse_tzif(
    const uint8_t *buf, size_t len, const char *name, fed_tz **out)
{
	cursor c = {buf, len, 0};
	fed_tz *tz = fed__tz_new(name);
	if (tz == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_status st = parse_body(&c, tz);
	if (st != FED_OK) {
		fed_log(FED_LOG_DEBUG, "tz",
		    "zone %s: bad TZif data at byte %zu", name, c.pos);
		fed_tz_free(tz);
		return st;
	}
	*out = tz;
	return FED_OK;
}
