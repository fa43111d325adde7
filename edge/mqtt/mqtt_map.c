// SPDX-License-Identifier: MIT
//
// mqtt_map.c: the mapping file and topic filters (mqtt_map.h).

#include "mqtt_map.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAP_FILE_MAX (1 << 20)
#define ROUTES_MAX   1024

static const char *const decoder_names[] = {
    [MQTT_DEC_TASMOTA] = "tasmota-teleinfo",
    [MQTT_DEC_TELEINFO2MQTT] = "teleinfo2mqtt",
    [MQTT_DEC_NUMBER] = "number",
};

const char *
mqtt_decoder_name(mqtt_decoder d)
{
	return (unsigned) d < 3 ? decoder_names[d] : "?";
}

int
mqtt_filter_valid(const char *filter)
{
	if (filter == NULL)
		return 0;
	size_t n = strlen(filter);
	if (n == 0 || n > MQTT_TOPIC_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = filter[i];
		if (c != '+' && c != '#')
			continue;
		bool alone = (i == 0 || filter[i - 1] == '/')
		    && (i + 1 == n || filter[i + 1] == '/');
		if (!alone || (c == '#' && i + 1 != n))
			return 0;
	}
	return 1;
}

int
mqtt_topic_match(const char *filter, const char *topic, mqtt_capture *cap)
{
	mqtt_capture local;
	if (cap == NULL)
		cap = &local;
	memset(cap, 0, sizeof(*cap));
	if (filter == NULL || topic == NULL)
		return 0;
	// Wildcards never match a first level starting with '$' ($SYS/...).
	if (topic[0] == '$' && (filter[0] == '+' || filter[0] == '#'))
		return 0;
	const char *f = filter, *t = topic;
	for (;;) {
		const char *fe = strchr(f, '/');
		size_t fl = fe != NULL ? (size_t) (fe - f) : strlen(f);
		if (fl == 1 && f[0] == '#') {
			if (cap->n < MQTT_CAPTURES_MAX) {
				cap->s[cap->n] = t;
				cap->len[cap->n++] = t != NULL ? strlen(t) : 0;
				cap->multi = true;
			}
			return 1;
		}
		if (t == NULL)
			return 0; // the topic ended before the filter
		const char *te = strchr(t, '/');
		size_t tl = te != NULL ? (size_t) (te - t) : strlen(t);
		if (fl == 1 && f[0] == '+') {
			if (cap->n < MQTT_CAPTURES_MAX) {
				cap->s[cap->n] = t;
				cap->len[cap->n++] = tl;
			}
		} else if (fl != tl || memcmp(f, t, fl) != 0) {
			return 0;
		}
		if (fe == NULL) {
			if (te == NULL)
				return 1;
			return 0;
		}
		// "a/#" matches "a": the filter's next level is '#' alone.
		t = te != NULL ? te + 1 : NULL;
		f = fe + 1;
	}
}

const mqtt_route *
mqtt_map_find(const mqtt_map *m, const char *topic, mqtt_capture *cap)
{
	for (size_t i = 0; i < m->n; i++)
		if (mqtt_topic_match(m->routes[i].filter, topic, cap))
			return &m->routes[i];
	return NULL;
}

static bool
id_char(char c, bool slash)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	    || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'
	    || (slash && c == '/');
}

fed_status
mqtt_series_expand(
    const char *tmpl, const mqtt_capture *cap, char *out, size_t len)
{
	size_t o = 0;
	for (const char *p = tmpl; *p != '\0'; p++) {
		const char *s = p;
		size_t n = 1;
		if (p[0] == '{' && p[1] >= '1' && p[1] <= '9' && p[2] == '}') {
			size_t k = (size_t) (p[1] - '1');
			if (cap == NULL || k >= cap->n || cap->len[k] == 0)
				return FED_INVALID_ARGUMENT;
			bool slash = cap->multi && k + 1 == cap->n;
			s = cap->s[k];
			n = cap->len[k];
			for (size_t i = 0; i < n; i++)
				if (!id_char(s[i], slash))
					return FED_INVALID_ARGUMENT;
			p += 2;
		}
		if (o + n >= len)
			return FED_INVALID_ARGUMENT;
		memcpy(out + o, s, n);
		o += n;
	}
	if (len == 0)
		return FED_INVALID_ARGUMENT;
	out[o] = '\0';
	return FED_OK;
}

void
mqtt_map_fini(mqtt_map *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->routes[i].filter);
		free(m->routes[i].series);
		fed_tz_free(m->routes[i].tz);
	}
	free(m->routes);
	memset(m, 0, sizeof(*m));
}

static fed_status fail(char *err, size_t err_len, int line, fed_status st,
    const char *fmt, ...) FED__PRINTF(5, 6);

static fed_status
fail(char *err, size_t err_len, int line, fed_status st, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (err != NULL && err_len > 0)
		snprintf(err, err_len, "line %d: %s", line, why);
	return st;
}

// A duration: digits, then ms, s, m, h or d.
static int
parse_duration(const char *s, int64_t *ms)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || v < 0 || errno != 0 || v > 86400000)
		return -1;
	int64_t mul = strcmp(end, "ms") == 0 ? 1
	    : strcmp(end, "s") == 0          ? 1000
	    : strcmp(end, "m") == 0          ? 60000
	    : strcmp(end, "h") == 0          ? 3600000
	    : strcmp(end, "d") == 0          ? 86400000
	    : strcmp(end, "") == 0 && v == 0 ? 1
	                                     : 0;
	if (mul == 0 || v * mul > INT64_C(86400000))
		return -1;
	*ms = v * mul;
	return 0;
}

struct unit_row {
	const char *name;
	Enfed__V1__Unit unit;
	double factor;
	Enfed__V1__SeriesKind kind;
};

static const struct unit_row units[] = {
    {"Wh", ENFED__V1__UNIT__UNIT_WH, 1,
        ENFED__V1__SERIES_KIND__SERIES_KIND_INDEX},
    {"kWh", ENFED__V1__UNIT__UNIT_WH, 1000,
        ENFED__V1__SERIES_KIND__SERIES_KIND_INDEX},
    {"W", ENFED__V1__UNIT__UNIT_W, 1,
        ENFED__V1__SERIES_KIND__SERIES_KIND_POWER},
    {"kW", ENFED__V1__UNIT__UNIT_W, 1000,
        ENFED__V1__SERIES_KIND__SERIES_KIND_POWER},
    {"VA", ENFED__V1__UNIT__UNIT_VA, 1,
        ENFED__V1__SERIES_KIND__SERIES_KIND_POWER},
    {"A", ENFED__V1__UNIT__UNIT_A, 1,
        ENFED__V1__SERIES_KIND__SERIES_KIND_UNSPECIFIED},
    {"V", ENFED__V1__UNIT__UNIT_V, 1,
        ENFED__V1__SERIES_KIND__SERIES_KIND_UNSPECIFIED},
};

static const struct {
	const char *name;
	Enfed__V1__SeriesKind kind;
} kinds[] = {
    {"index", ENFED__V1__SERIES_KIND__SERIES_KIND_INDEX},
    {"power", ENFED__V1__SERIES_KIND__SERIES_KIND_POWER},
    {"consumption", ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION},
    {"production", ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION},
    {"other", ENFED__V1__SERIES_KIND__SERIES_KIND_UNSPECIFIED},
};

// The template with each {N} as one character: a valid series id?
static bool
template_ok(const char *tmpl, size_t n_wild)
{
	size_t n = 0;
	for (const char *p = tmpl; *p != '\0'; p++, n++) {
		if (p[0] == '{') {
			if (!(p[1] >= '1' && p[1] <= '9' && p[2] == '}')
			    || (size_t) (p[1] - '0') > n_wild)
				return false;
			p += 2;
			continue;
		}
		if (!id_char(*p, true))
			return false;
	}
	return n > 0 && tmpl[0] != '/' && tmpl[strlen(tmpl) - 1] != '/';
}

static size_t
count_wildcards(const char *filter)
{
	size_t n = 0;
	for (const char *p = filter; *p != '\0'; p++)
		n += *p == '+' || *p == '#';
	return n;
}

static fed_status
parse_option(mqtt_route *r, const char *kv, bool *have_unit, bool *have_kind,
    int line, char *err, size_t err_len)
{
	const char *eq = strchr(kv, '=');
	if (eq == NULL || eq == kv || eq[1] == '\0')
		return fail(err, err_len, line, FED_INVALID_ARGUMENT,
		    "'%s': options are KEY=VALUE", kv);
	size_t kl = (size_t) (eq - kv);
	const char *v = eq + 1;
	bool number = r->decoder == MQTT_DEC_NUMBER;
#define KEY(k) (kl == strlen(k) && memcmp(kv, (k), kl) == 0)
	if (KEY("unit") && number) {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strcmp(units[i].name, v) != 0)
				continue;
			r->unit = units[i].unit;
			r->scale *= units[i].factor;
			if (!*have_kind)
				r->kind = units[i].kind;
			*have_unit = true;
			return FED_OK;
		}
		return fail(err, err_len, line, FED_INVALID_ARGUMENT,
		    "unit=%s: Wh, kWh, W, kW, VA, A or V", v);
	}
	if (KEY("kind") && number) {
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			if (strcmp(kinds[i].name, v) != 0)
				continue;
			r->kind = kinds[i].kind;
			*have_kind = true;
			return FED_OK;
		}
		return fail(err, err_len, line, FED_INVALID_ARGUMENT,
		    "kind=%s: index, power, consumption, production or other",
		    v);
	}
	if (KEY("scale") && number) {
		char *end = NULL;
		double d = strtod(v, &end);
		if (end == v || *end != '\0' || !isfinite(d) || d == 0)
			return fail(err, err_len, line, FED_INVALID_ARGUMENT,
			    "scale=%s: a number other than 0", v);
		r->scale *= d;
		return FED_OK;
	}
	if (KEY("tz") && r->decoder == MQTT_DEC_TASMOTA) {
		fed_tz *tz = NULL;
		fed_status st = fed_tz_load(v, &tz);
		if (st != FED_OK)
			return fail(err, err_len, line, st, "tz=%s: %s", v,
			    fed_status_str(st));
		fed_tz_free(r->tz);
		r->tz = tz;
		return FED_OK;
	}
	if (KEY("time")) {
		if (strcmp(v, "payload") != 0 && strcmp(v, "receive") != 0)
			return fail(err, err_len, line, FED_INVALID_ARGUMENT,
			    "time=%s: payload or receive", v);
		r->receive_time = strcmp(v, "receive") == 0;
		return FED_OK;
	}
	if (KEY("period")) {
		if (parse_duration(v, &r->period_ms) != 0)
			return fail(err, err_len, line, FED_INVALID_ARGUMENT,
			    "period=%s: a duration up to 1d (500ms, 30s, "
			    "5m, 1h)",
			    v);
		return FED_OK;
	}
#undef KEY
	return fail(err, err_len, line, FED_INVALID_ARGUMENT,
	    "'%.*s' is not an option of decoder %s", (int) kl, kv,
	    mqtt_decoder_name(r->decoder));
}

// Splits line (modified) into at most max fields on blanks.
static size_t
split(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(line, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return max + 1;
		f[n++] = tok;
	}
	return n;
}

static fed_status
parse_line(char *text, int line, mqtt_route *r, char *err, size_t err_len)
{
	char *f[16];
	size_t n = split(text, f, 15);
	if (n < 3)
		return fail(err, err_len, line, FED_INVALID_ARGUMENT,
		    "expected TOPIC-FILTER DECODER SERIES [KEY=VALUE ...]");
	if (n > 15)
		return fail(err, err_len, line, FED_INVALID_ARGUMENT,
		    "too many fields");
	if (!mqtt_filter_valid(f[0]))
		return fail(err, err_len, line, FED_INVALID_ARGUMENT,
		    "'%s' is not an MQTT topic filter", f[0]);
	size_t d = 0;
	while (d < 3 && strcmp(decoder_names[d], f[1]) != 0)
		d++;
	if (d == 3)
		return fail(err, err_len, line, FED_INVALID_ARGUMENT,
		    "decoder '%s': tasmota-teleinfo, teleinfo2mqtt or number",
		    f[1]);
	r->decoder = (mqtt_decoder) d;
	size_t n_wild = count_wildcards(f[0]);
	if (n_wild > MQTT_CAPTURES_MAX)
		return fail(err, err_len, line, FED_INVALID_ARGUMENT,
		    "more than %d wildcards", MQTT_CAPTURES_MAX);
	if (strlen(f[2]) > MQTT_SERIES_MAX - 30 || !template_ok(f[2], n_wild))
		return fail(err, err_len, line, FED_INVALID_ARGUMENT,
		    "series '%s': [A-Za-z0-9._/-] and {N} for the N-th "
		    "wildcard of the filter, up to %d bytes",
		    f[2], MQTT_SERIES_MAX - 30);
	r->line = line;
	r->scale = 1;
	r->kind = ENFED__V1__SERIES_KIND__SERIES_KIND_UNSPECIFIED;
	bool have_unit = false, have_kind = false;
	for (size_t i = 3; i < n; i++)
		FED_TRY(parse_option(
		    r, f[i], &have_unit, &have_kind, line, err, err_len));
	if (r->decoder == MQTT_DEC_NUMBER && !have_unit)
		return fail(err, err_len, line, FED_INVALID_ARGUMENT,
		    "decoder number needs unit=");
	r->cumulative = r->kind == ENFED__V1__SERIES_KIND__SERIES_KIND_INDEX;
	if (r->decoder == MQTT_DEC_TASMOTA && r->tz == NULL) {
		fed_status st = fed_tz_load("Europe/Paris", &r->tz);
		if (st != FED_OK)
			return fail(err, err_len, line, st,
			    "zone Europe/Paris: %s (tzdata installed?)",
			    fed_status_str(st));
	}
	r->filter = strdup(f[0]);
	r->series = strdup(f[2]);
	if (r->filter == NULL || r->series == NULL)
		return FED_RESOURCE_EXHAUSTED;
	return FED_OK;
}

fed_status
mqtt_map_parse(const char *text, mqtt_map *out, char *err, size_t err_len)
{
	memset(out, 0, sizeof(*out));
	if (err != NULL && err_len > 0)
		err[0] = '\0';
	size_t cap = 0;
	int line = 0;
	const char *p = text;
	fed_status st = FED_OK;
	while (*p != '\0' && st == FED_OK) {
		line++;
		const char *e = strchr(p, '\n');
		size_t n = e != NULL ? (size_t) (e - p) : strlen(p);
		char buf[4096];
		if (n >= sizeof(buf)) {
			st = fail(err, err_len, line, FED_INVALID_ARGUMENT,
			    "line over %zu bytes", sizeof(buf) - 1);
			break;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (n > 0 && buf[n - 1] == '\r')
			buf[n - 1] = '\0';
		p = e != NULL ? e + 1 : p + n;
		const char *q = buf + strspn(buf, " \t");
		if (*q == '\0' || *q == '#')
			continue;
		if (out->n == ROUTES_MAX) {
			st = fail(err, err_len, line, FED_INVALID_ARGUMENT,
			    "more than %d routes", ROUTES_MAX);
			break;
		}
		if (out->n == cap) {
			size_t nc = cap == 0 ? 8 : cap * 2;
			mqtt_route *nr
			    = realloc(out->routes, nc * sizeof(*nr));
			if (nr == NULL) {
				st = FED_RESOURCE_EXHAUSTED;
				break;
			}
			out->routes = nr;
			cap = nc;
		}
		mqtt_route *r = &out->routes[out->n++];
		memset(r, 0, sizeof(*r));
		st = parse_line(buf, line, r, err, err_len);
	}
	if (st == FED_OK && out->n == 0)
		st = fail(err, err_len, line, FED_INVALID_ARGUMENT,
		    "no route (TOPIC-FILTER DECODER SERIES) in the file");
	if (st != FED_OK)
		mqtt_map_fini(out);
	return st;
}

fed_status
mqtt_map_load(const char *path, mqtt_map *out, char *err, size_t err_len)
{
	memset(out, 0, sizeof(*out));
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? FED_NOT_FOUND : FED_INTERNAL;
	}
	char *buf = malloc(MAP_FILE_MAX + 1);
	size_t n = buf != NULL ? fread(buf, 1, MAP_FILE_MAX + 1, f) : 0;
	bool bad = buf == NULL || ferror(f) || n > MAP_FILE_MAX
	    || memchr(buf, '\0', n) != NULL;
	fclose(f);
	if (bad) {
		snprintf(
		    err, err_len, "%s: cannot be read (or over 1 MiB)", path);
		free(buf);
		return FED_INTERNAL;
	}
	buf[n] = '\0';
	char why[512];
	fed_status st = mqtt_map_parse(buf, out, why, sizeof(why));
	free(buf);
	if (st != FED_OK)
		snprintf(err, err_len, "%s: %s", path, why);
	return st;
}
