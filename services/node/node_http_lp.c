// SPDX-License-Identifier: MIT
//
// node_http_lp.c: line protocol into points grouped by series (see
// node_http_lp.h for the mapping rule). One pass over the body; each line
// is unescaped into a bounded scratch buffer, so no input can make it
// allocate more than its points.

#include "node_http_lp.h"

#include "fed/status.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRATCH     4096 // unescaped measurement and tags of one line
#define HASH_SLOTS  (2 * NODE_LP_MAX_SERIES)
#define NUM_MAX_LEN 64

typedef struct span {
	const char *p;
	size_t len;
} span;

typedef struct line {
	const char *p, *end; // the line, without its newline
	char buf[SCRATCH]; // unescaped names, NUL-separated
	size_t used;
	span meas;
	span tag_k[NODE_LP_MAX_TAGS], tag_v[NODE_LP_MAX_TAGS];
	size_t n_tags;
	bool has_value;
	double value;
	bool has_ts;
	int64_t ts;
	const char *why; // set on a syntax error
} line;

typedef struct parser {
	node_lp_batch *b;
	int32_t *slots; // series index + 1, 0 = empty
	size_t *cap; // capacity of each series' arrays
	int64_t unit_ns, now_ms;
} parser;

fed_status
node_lp_precision(const char *s, int64_t *out)
{
	static const struct {
		const char *name;
		int64_t ns;
	} units[] = {{"n", 1}, {"ns", 1}, {"u", 1000}, {"us", 1000},
	    {"ms", 1000000}, {"s", INT64_C(1000000000)},
	    {"m", INT64_C(60000000000)}, {"h", INT64_C(3600000000000)}};
	if (s == NULL || s[0] == '\0') {
		*out = 1;
		return FED_OK;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s, units[i].name) == 0) {
			*out = units[i].ns;
			return FED_OK;
		}
	return FED_INVALID_ARGUMENT;
}

static bool
escapable(char c)
{
	return c == ',' || c == '=' || c == ' ' || c == '\\' || c == '"';
}

// Copies the escaped text from *pp up to an unescaped comma or space (and
// equals sign, with stop_eq) or the end into the line's scratch buffer,
// unescaping it. Leaves *pp at the stop. NULL when the scratch buffer is
// full. (The hot loop of /write: a byte compared, not looked up.)
static const char *
take(line *l, const char **pp, bool stop_eq, size_t *len)
{
	const char *p = *pp, *end = l->end;
	char *dst = l->buf + l->used;
	size_t n = 0, room = SCRATCH - l->used;
	for (; p < end; p++) {
		char c = *p;
		if (c == ',' || c == ' ' || (stop_eq && c == '='))
			break;
		if (c == '\\' && p + 1 < end && escapable(p[1]))
			c = *++p;
		if (n + 1 >= room)
			return NULL;
		dst[n++] = c;
	}
	dst[n] = '\0';
	l->used += n + 1;
	*pp = p;
	*len = n;
	return dst;
}

static bool
parse_key(line *l, const char **pp, bool stop_eq, span *out)
{
	out->p = take(l, pp, stop_eq, &out->len);
	if (out->p == NULL) {
		l->why = "names too long";
		return false;
	}
	if (out->len == 0) {
		l->why = "empty name";
		return false;
	}
	return true;
}

static bool
parse_tags(line *l, const char **pp)
{
	const char *p = *pp;
	while (p < l->end && *p == ',') {
		p++;
		if (l->n_tags == NODE_LP_MAX_TAGS) {
			l->why = "too many tags";
			return false;
		}
		if (!parse_key(l, &p, true, &l->tag_k[l->n_tags]))
			return false;
		if (p >= l->end || *p != '=') {
			l->why = "tag without '='";
			return false;
		}
		p++;
		if (!parse_key(l, &p, false, &l->tag_v[l->n_tags]))
			return false;
		l->n_tags++;
	}
	*pp = p;
	return true;
}

static bool
is_bool(const char *s, size_t n)
{
	static const char *const words[] = {"t", "T", "true", "True", "TRUE",
	    "f", "F", "false", "False", "FALSE"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
			return true;
	return false;
}

// A numeric field value ("1.5", "-3i", "7u"): 1 with *v set; 0 for a
// boolean (valid, not numeric); -1 for neither.
static int
field_number(const char *s, size_t n, double *v)
{
	if (is_bool(s, n))
		return 0;
	if (n == 0 || n >= NUM_MAX_LEN)
		return -1;
	char num[NUM_MAX_LEN];
	memcpy(num, s, n);
	num[n] = '\0';
	char last = num[n - 1];
	bool integer = last == 'i' || last == 'u';
	if (integer)
		num[--n] = '\0';
	if (n == 0 || (last == 'u' && num[0] == '-'))
		return -1;
	char *end = NULL;
	errno = 0;
	if (last == 'u')
		*v = (double) strtoull(num, &end, 10);
	else if (integer)
		*v = (double) strtoll(num, &end, 10);
	else
		*v = strtod(num, &end);
	if (*end != '\0' || errno != 0 || !isfinite(*v))
		return -1;
	return 1;
}

// A string field value from the opening quote at *pp; leaves *pp past
// the closing one.
static bool
skip_string(line *l, const char **pp)
{
	const char *p = *pp + 1;
	while (p < l->end && *p != '"')
		p += (*p == '\\' && p + 1 < l->end) ? 2 : 1;
	if (p >= l->end) {
		l->why = "unterminated string";
		return false;
	}
	*pp = p + 1;
	return true;
}

static bool
parse_field(line *l, const char **pp)
{
	span k;
	size_t mark = l->used;
	if (!parse_key(l, pp, true, &k))
		return false;
	bool is_value = k.len == 5 && memcmp(k.p, "value", 5) == 0;
	l->used = mark; // field names are not kept
	const char *p = *pp;
	if (p >= l->end || *p != '=') {
		l->why = "field without '='";
		return false;
	}
	p++;
	if (p < l->end && *p == '"') {
		*pp = p;
		return skip_string(l, pp);
	}
	const char *s = p;
	while (p < l->end && *p != ',' && *p != ' ')
		p++;
	double v = 0;
	int kind = field_number(s, (size_t) (p - s), &v);
	if (kind < 0) {
		l->why = "bad field value";
		return false;
	}
	if (is_value && kind == 1) {
		l->has_value = true;
		l->value = v;
	}
	*pp = p;
	return true;
}

static bool
parse_fields(line *l, const char **pp)
{
	for (;;) {
		if (!parse_field(l, pp))
			return false;
		if (*pp >= l->end || **pp != ',')
			return true;
		(*pp)++;
	}
}

static bool
parse_ts(line *l, const char *p)
{
	while (p < l->end && *p == ' ')
		p++;
	if (p == l->end)
		return true;
	const char *s = p;
	if (*p == '-')
		p++;
	while (p < l->end && *p >= '0' && *p <= '9')
		p++;
	const char *e = p;
	while (p < l->end && (*p == ' ' || *p == '\r'))
		p++;
	if (p != l->end || e - s > 20 || e == s || (e - s == 1 && *s == '-')) {
		l->why = "bad timestamp";
		return false;
	}
	char num[24];
	memcpy(num, s, (size_t) (e - s));
	num[e - s] = '\0';
	errno = 0;
	l->ts = strtoll(num, NULL, 10);
	if (errno != 0) {
		l->why = "timestamp out of range";
		return false;
	}
	l->has_ts = true;
	return true;
}

static bool
parse_line(line *l)
{
	const char *p = l->p;
	if (!parse_key(l, &p, false, &l->meas) || !parse_tags(l, &p))
		return false;
	if (p >= l->end || *p != ' ') {
		l->why = "no fields";
		return false;
	}
	while (p < l->end && *p == ' ')
		p++;
	if (p >= l->end || *p == '\r') {
		l->why = "no fields";
		return false;
	}
	return parse_fields(l, &p) && parse_ts(l, p);
}

// The series id of a parsed line, into id (NODE_LP_MAX_ID + 1 bytes).
static bool
line_id(line *l, char *id)
{
	for (size_t i = 0; i < l->n_tags; i++)
		if (l->tag_k[i].len == 6
		    && memcmp(l->tag_k[i].p, "series", 6) == 0) {
			if (l->tag_v[i].len > NODE_LP_MAX_ID)
				break;
			memcpy(id, l->tag_v[i].p, l->tag_v[i].len + 1);
			return true;
		}
	size_t order[NODE_LP_MAX_TAGS];
	for (size_t i = 0; i < l->n_tags; i++) { // insertion sort by key
		size_t j = i;
		while (j > 0
		    && strcmp(l->tag_k[order[j - 1]].p, l->tag_k[i].p) > 0) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	size_t n = l->meas.len;
	if (n > NODE_LP_MAX_ID)
		goto too_long;
	memcpy(id, l->meas.p, n);
	for (size_t i = 0; i < l->n_tags; i++) {
		const span *v = &l->tag_v[order[i]];
		if (n + 1 + v->len > NODE_LP_MAX_ID)
			goto too_long;
		id[n++] = '/';
		memcpy(id + n, v->p, v->len);
		n += v->len;
	}
	id[n] = '\0';
	return true;
too_long:
	l->why = "series id longer than 200 bytes";
	return false;
}

static bool
to_ms(int64_t t, int64_t unit_ns, int64_t *ms)
{
	if (unit_ns >= 1000000) {
		int64_t k = unit_ns / 1000000;
		if (t > INT64_MAX / k || t < INT64_MIN / k)
			return false;
		*ms = t * k;
		return true;
	}
	int64_t d = 1000000 / unit_ns; // floor division, for times before 1970
	*ms = t / d - ((t % d) < 0 ? 1 : 0);
	return true;
}

static uint32_t
hash_id(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t) *s) * 16777619u;
	return h;
}

// The index of the batch's entry for id, created if new. RESOURCE_EXHAUSTED
// past NODE_LP_MAX_SERIES or out of memory.
static fed_status
series_for(parser *ps, const char *id, size_t *idx)
{
	node_lp_batch *b = ps->b;
	uint32_t h = hash_id(id) % HASH_SLOTS;
	// At most NODE_LP_MAX_SERIES of HASH_SLOTS are taken: a free slot
	// is always met.
	while (ps->slots[h] != 0) {
		size_t i = (size_t) ps->slots[h] - 1;
		if (strcmp(b->series[i]->series_id, id) == 0) {
			*idx = i;
			return FED_OK;
		}
		h = (h + 1) % HASH_SLOTS;
	}
	if (b->n_series == NODE_LP_MAX_SERIES)
		return FED_RESOURCE_EXHAUSTED;
	Enfed__V1__SeriesPoints *sp = calloc(1, sizeof(*sp));
	char *copy = strdup(id);
	if (sp == NULL || copy == NULL) {
		free(sp);
		free(copy);
		return FED_RESOURCE_EXHAUSTED;
	}
	enfed__v1__series_points__init(sp);
	sp->series_id = copy;
	*idx = b->n_series;
	b->series[b->n_series++] = sp;
	ps->slots[h] = (int32_t) b->n_series;
	return FED_OK;
}

static fed_status
add_point(parser *ps, const char *id, int64_t ts_ms, double v)
{
	size_t i = 0;
	FED_TRY(series_for(ps, id, &i));
	Enfed__V1__SeriesPoints *sp = ps->b->series[i];
	if (sp->n_ts_ms == ps->cap[i]) {
		size_t cap = ps->cap[i] ? 2 * ps->cap[i] : 16;
		int64_t *t = realloc(sp->ts_ms, cap * sizeof(*t));
		if (t != NULL)
			sp->ts_ms = t;
		double *d = realloc(sp->value, cap * sizeof(*d));
		if (d != NULL)
			sp->value = d;
		if (t == NULL || d == NULL)
			return FED_RESOURCE_EXHAUSTED;
		ps->cap[i] = cap;
	}
	sp->ts_ms[sp->n_ts_ms++] = ts_ms;
	sp->value[sp->n_value++] = v;
	ps->b->n_points++;
	return FED_OK;
}

static fed_status
fail_line(char *err, size_t err_len, size_t n, const line *l, const char *why)
{
	size_t shown = (size_t) (l->end - l->p);
	snprintf(err, err_len, "line %zu: %s: '%.*s%s'", n, why,
	    (int) (shown > 60 ? 60 : shown), l->p, shown > 60 ? "..." : "");
	return FED_INVALID_ARGUMENT;
}

// One non-empty line into the batch.
static fed_status
one_line(parser *ps, line *l, size_t n, char *err, size_t err_len)
{
	char id[NODE_LP_MAX_ID + 1];
	// A NUL would cut a name short: the point would go elsewhere.
	if (memchr(l->p, '\0', (size_t) (l->end - l->p)) != NULL)
		return fail_line(err, err_len, n, l, "NUL byte");
	if (!parse_line(l) || !line_id(l, id))
		return fail_line(err, err_len, n, l, l->why);
	if (!l->has_value) {
		ps->b->n_skipped++;
		return FED_OK;
	}
	int64_t ms = ps->now_ms;
	if (l->has_ts && !to_ms(l->ts, ps->unit_ns, &ms))
		return fail_line(err, err_len, n, l, "timestamp out of range");
	fed_status st = add_point(ps, id, ms, l->value);
	if (st != FED_OK)
		snprintf(err, err_len,
		    ps->b->n_series == NODE_LP_MAX_SERIES
		        ? "more than 4096 series in one body"
		        : "out of memory");
	return st;
}

static bool
blank(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p == end || *p == '#';
}

fed_status
node_lp_parse(const char *body, size_t len, int64_t unit_ns, int64_t now_ms,
    node_lp_batch *batch, char *err, size_t err_len)
{
	memset(batch, 0, sizeof(*batch));
	parser ps = {.b = batch, .unit_ns = unit_ns, .now_ms = now_ms};
	ps.slots = calloc(HASH_SLOTS, sizeof(*ps.slots));
	ps.cap = calloc(NODE_LP_MAX_SERIES, sizeof(*ps.cap));
	batch->series = calloc(NODE_LP_MAX_SERIES, sizeof(*batch->series));
	line *l = malloc(sizeof(*l));
	fed_status st = FED_OK;
	if (ps.slots == NULL || ps.cap == NULL || batch->series == NULL
	    || l == NULL) {
		snprintf(err, err_len, "out of memory");
		st = FED_RESOURCE_EXHAUSTED;
		goto out;
	}
	const char *p = body, *end = body + len;
	for (size_t n = 1; p < end && st == FED_OK; n++) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		const char *e = nl != NULL ? nl : end;
		if (!blank(p, e)) {
			l->used = 0;
			l->n_tags = 0;
			l->has_value = l->has_ts = false;
			l->why = NULL;
			l->p = p;
			l->end = e;
			st = one_line(&ps, l, n, err, err_len);
		}
		p = nl != NULL ? nl + 1 : end;
	}
out:
	free(l);
	free(ps.slots);
	free(ps.cap);
	return st;
}

void
node_lp_batch_fini(node_lp_batch *batch)
{
	if (batch->series != NULL)
		for (size_t i = 0; i < batch->n_series; i++) {
			Enfed__V1__SeriesPoints *sp = batch->series[i];
			free(sp->series_id);
			free(sp->ts_ms);
			free(sp->value);
			free(sp);
		}
	free(batch->series);
	memset(batch, 0, sizeof(*batch));
}
