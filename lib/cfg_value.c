// SPDX-License-Identifier: MIT
//
// cfg_value.c: one value of the config module: the text of a default, a
// file line, an environment variable or an argument is parsed by the
// function for its option's type (chosen by indexing a table with the
// type), checked against the option's bounds and stored at the option's
// offset in the caller's struct. Error messages name the option, the
// source and what would have been accepted, and never echo a string value,
// which may be a secret.

#include "cfg_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AT_FILE_MAX (64 * 1024)
#define LEVELS      "err|warning|notice|info|debug"

// A parsed value before it is stored; s is a heap string.
typedef union val {
	int64_t i;
	uint64_t u;
	bool b;
	double d;
	size_t z;
	int e;
	fed_log_level l;
	char *s;
} val;

// A parser returns NULL on success, else why the text was refused.
typedef const char *(*parse_fn)(const fed_cfg_opt *o, const char *s, val *v);

// Returned by parsers when malloc fails, so that the caller can tell it
// from bad input by its address.
static const char oom[] = "could not be stored: out of memory";

typedef struct unit {
	const char *name;
	uint64_t mul;
} unit;

static const unit duration_units[] = {
    {"d", 86400000},
    {"h", 3600000},
    {"m", 60000},
    {"s", 1000},
    {"ms", 1},
};

// Binary units first: the help prints bounds in the largest exact one.
#define N_BINARY_UNITS 4
static const unit size_units[] = {
    {"TiB", 1ull << 40},
    {"GiB", 1ull << 30},
    {"MiB", 1ull << 20},
    {"KiB", 1ull << 10},
    {"TB", 1000000000000ull},
    {"GB", 1000000000ull},
    {"MB", 1000000ull},
    {"kB", 1000ull},
    {"B", 1},
    {"", 1},
};

// snprintf into res->err, where truncating a long path or value is fine.
FED__PRINTF(2, 3)
static void
put_err(fed_cfg_result *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->err, sizeof(res->err), fmt, ap);
	va_end(ap);
}

FED__PRINTF(4, 0)
static fed_status
vfail(fed_cfg_result *res, fed_status st, const fed__cfg_src *s,
    const char *fmt, va_list ap)
{
	char what[192];
	vsnprintf(what, sizeof(what), fmt, ap);
	switch (s->kind) {
	case FED__CFG_SRC_DEFAULT:
		put_err(res, "config table: %s", what);
		return st == FED_INVALID_ARGUMENT ? FED_INTERNAL : st;
	case FED__CFG_SRC_FILE:
		if (s->line == 0) { // the file as a whole
			put_err(res, "%s (config file %s)", what, s->where);
			break;
		}
		// The end of a long path says more than its beginning.
		put_err(res, "%s (%s:%ld)", what,
		    s->where
		        + (strlen(s->where) > 60 ? strlen(s->where) - 60 : 0),
		    s->line);
		break;
	case FED__CFG_SRC_ENV:
		put_err(res, "%s (environment %.60s)", what, s->where);
		break;
	case FED__CFG_SRC_ARGV:
		put_err(res, "%s (command line)", what);
		break;
	}
	return st;
}

fed_status
fed__cfg_fail(fed_cfg_result *res, fed_status st, const fed__cfg_src *s,
    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	st = vfail(res, st, s, fmt, ap);
	va_end(ap);
	return st;
}

static bool
starts_number(const char *s, bool sign)
{
	if (sign && (s[0] == '+' || s[0] == '-'))
		s++;
	return isdigit((unsigned char) s[0]);
}

static const char *
parse_int(const fed_cfg_opt *o, const char *s, val *v)
{
	(void) o;
	char *end;
	if (!starts_number(s, true))
		return "is not an integer";
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (*end != '\0')
		return "is not an integer";
	if (errno == ERANGE)
		return "does not fit in 64 bits";
	v->i = (int64_t) x;
	return NULL;
}

static const char *
parse_uint(const fed_cfg_opt *o, const char *s, val *v)
{
	(void) o;
	char *end;
	if (!starts_number(s, false))
		return "is not an unsigned integer";
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (*end != '\0')
		return "is not an unsigned integer";
	if (errno == ERANGE)
		return "does not fit in 64 bits";
	v->u = (uint64_t) x;
	return NULL;
}

static const char *
parse_bool(const fed_cfg_opt *o, const char *s, val *v)
{
	static const struct {
		const char *text;
		bool value;
	} forms[] = {
	    {"true", true},
	    {"false", false},
	    {"yes", true},
	    {"no", false},
	    {"on", true},
	    {"off", false},
	    {"1", true},
	    {"0", false},
	};
	(void) o;
	for (size_t k = 0; k < FED_CFG_N(forms); k++) {
		if (strcasecmp(s, forms[k].text) == 0) {
			v->b = forms[k].value;
			return NULL;
		}
	}
	return "is not a bool";
}

static const char *
parse_double(const fed_cfg_opt *o, const char *s, val *v)
{
	(void) o;
	char *end;
	if (!starts_number(s, true) && s[0] != '.')
		return "is not a number";
	double x = strtod(s, &end);
	if (*end != '\0')
		return "is not a number";
	if (!isfinite(x))
		return "is not a finite number";
	v->d = x;
	return NULL;
}

// Reads decimal digits at *p into *n. Returns 0, -1 if there is no digit,
// -2 on overflow.
static int
read_digits(const char **p, uint64_t *n)
{
	const char *s = *p;
	uint64_t x = 0;
	if (!isdigit((unsigned char) *s))
		return -1;
	for (; isdigit((unsigned char) *s); s++) {
		unsigned d = (unsigned) (*s - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -2;
		x = x * 10 + d;
	}
	*n = x;
	*p = s;
	return 0;
}

// Reads the letters at *p and returns the multiplier of the unit they
// spell (icase: in any case), or 0 if they spell none.
static uint64_t
read_unit(const char **p, const unit *units, size_t n, bool icase)
{
	const char *s = *p;
	size_t len = 0;
	while (isalpha((unsigned char) s[len]))
		len++;
	for (size_t k = 0; k < n; k++) {
		if (strlen(units[k].name) != len)
			continue;
		if (icase ? strncasecmp(s, units[k].name, len) == 0
		          : strncmp(s, units[k].name, len) == 0) {
			*p = s + len;
			return units[k].mul;
		}
	}
	return 0;
}

static const char *
parse_duration(const fed_cfg_opt *o, const char *s, val *v)
{
	(void) o;
	uint64_t total = 0;
	if (strcmp(s, "0") == 0) {
		v->i = 0;
		return NULL;
	}
	const char *p = s;
	do {
		uint64_t n;
		int rc = read_digits(&p, &n);
		if (rc == -2)
			return "is too long a duration";
		uint64_t mul = rc == 0 ? read_unit(&p, duration_units,
		                   FED_CFG_N(duration_units), false)
		                       : 0;
		if (mul == 0)
			return "is not a duration";
		if (n > ((uint64_t) INT64_MAX - total) / mul)
			return "is too long a duration";
		total += n * mul;
	} while (*p != '\0');
	v->i = (int64_t) total;
	return NULL;
}

static const char *
parse_size(const fed_cfg_opt *o, const char *s, val *v)
{
	(void) o;
	uint64_t n;
	const char *p = s;
	int rc = read_digits(&p, &n);
	if (rc == -1)
		return "is not a size";
	if (rc == -2)
		return "is too large a size";
	while (*p == ' ')
		p++;
	uint64_t mul = read_unit(&p, size_units, FED_CFG_N(size_units), true);
	if (mul == 0 || *p != '\0')
		return "is not a size";
	if (n > SIZE_MAX / mul)
		return "is too large a size";
	v->z = (size_t) (n * mul);
	return NULL;
}

static const char *
parse_enum(const fed_cfg_opt *o, const char *s, val *v)
{
	size_t len = strlen(s);
	int idx = 0;
	for (const char *c = o->choices; *c != '\0'; idx++) {
		size_t clen = strcspn(c, "|");
		if (clen == len && len > 0 && strncasecmp(c, s, len) == 0) {
			v->e = idx;
			return NULL;
		}
		c += clen + (c[clen] == '|');
	}
	return "is not a valid choice";
}

static const char *
parse_log_level(const fed_cfg_opt *o, const char *s, val *v)
{
	(void) o;
	if (fed_log_parse_level(s, &v->l) != 0)
		return "is not a log level";
	return NULL;
}

// Reads an "@PATH" file into a heap string, without one trailing newline.
static const char *
read_at_file(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return errno == ENOENT ? "names a file that does not exist"
		                       : "names a file that cannot be read";
	char *buf = malloc(AT_FILE_MAX + 1);
	size_t n = buf == NULL ? 0 : fread(buf, 1, AT_FILE_MAX + 1, f);
	const char *why = buf == NULL ? oom
	    : ferror(f)               ? "names a file that cannot be read"
	    : n > AT_FILE_MAX         ? "names a file over 64 KiB"
	    : memchr(buf, '\0', n)    ? "names a file holding a NUL byte"
	                              : NULL;
	fclose(f);
	if (why != NULL) {
		free(buf);
		return why;
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	char *small = realloc(buf, n + 1);
	*out = small != NULL ? small : buf;
	return NULL;
}

static const char *
parse_string(const fed_cfg_opt *o, const char *s, val *v)
{
	(void) o;
	if (s[0] == '@' && s[1] != '@')
		return read_at_file(s + 1, &v->s);
	v->s = strdup(s[0] == '@' ? s + 1 : s);
	return v->s == NULL ? oom : NULL;
}

// What each type accepts, in words, and its placeholder in the help.
static const struct type_info {
	parse_fn parse;
	const char *meta;
	const char *expect;
} types[] = {
    [FED_CFG_STRING] = {parse_string, "STRING", "a string"},
    [FED_CFG_INT] = {parse_int, "INT", "an integer"},
    [FED_CFG_UINT] = {parse_uint, "UINT", "an unsigned integer"},
    [FED_CFG_BOOL] = {parse_bool, "BOOL", "true/false, yes/no, on/off or 1/0"},
    [FED_CFG_DOUBLE] = {parse_double, "NUMBER", "a number"},
    [FED_CFG_DURATION]
    = {parse_duration, "DURATION", "a duration (500ms, 30s, 5m, 2h, 1d)"},
    [FED_CFG_SIZE] = {parse_size, "SIZE", "a size (4096, 64KiB, 16MiB)"},
    [FED_CFG_ENUM] = {parse_enum, NULL, "one of"},
    [FED_CFG_LOG_LEVEL] = {parse_log_level, LEVELS, "one of " LEVELS},
};

static bool
has_bounds(const fed_cfg_opt *o)
{
	switch (o->type) {
	case FED_CFG_BOOL:
	case FED_CFG_ENUM:
	case FED_CFG_LOG_LEVEL:
		return false;
	default:
		return o->min != 0 || o->max != 0;
	}
}

// Bounds are doubles: integers beyond 2^53 print as %.0f, exact units only
// where the value converts to an integer without overflow.
static void
format_bound(fed_cfg_type t, double x, char *buf, size_t len)
{
	const unit *units
	    = t == FED_CFG_DURATION ? duration_units : size_units;
	size_t n = t == FED_CFG_DURATION ? FED_CFG_N(duration_units)
	                                 : N_BINARY_UNITS;
	bool in_units = t == FED_CFG_DURATION || t == FED_CFG_SIZE;
	if (t == FED_CFG_DOUBLE) {
		snprintf(buf, len, "%g", x);
		return;
	}
	if (!in_units || x <= 0 || x > 9e15 || x != floor(x)) {
		snprintf(buf, len, "%.0f", x);
		return;
	}
	uint64_t v = (uint64_t) x;
	for (size_t k = 0; k < n; k++) {
		if (v % units[k].mul == 0) {
			snprintf(buf, len, "%llu%s",
			    (unsigned long long) (v / units[k].mul),
			    units[k].name);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long) v);
}

void
fed__cfg_format_range(const fed_cfg_opt *o, char *buf, size_t len)
{
	char lo[32], hi[32];
	buf[0] = '\0';
	if (!has_bounds(o))
		return;
	format_bound(o->type, o->min, lo, sizeof(lo));
	format_bound(o->type, o->max, hi, sizeof(hi));
	snprintf(buf, len, "%s..%s", lo, hi);
}

// "an integer in 1..65535", "one of full|normal", ... for error messages.
static void
describe_expected(const fed_cfg_opt *o, char *buf, size_t len)
{
	char range[72];
	fed__cfg_format_range(o, range, sizeof(range));
	if (o->type == FED_CFG_ENUM)
		snprintf(buf, len, "one of %s", o->choices);
	else if (o->type == FED_CFG_STRING && range[0] != '\0')
		snprintf(buf, len, "a string of %s bytes", range);
	else if (range[0] != '\0')
		snprintf(buf, len, "%s in %s", types[o->type].expect, range);
	else
		snprintf(buf, len, "%s", types[o->type].expect);
}

static double
as_number(fed_cfg_type t, const val *v)
{
	switch (t) {
	case FED_CFG_INT:
	case FED_CFG_DURATION:
		return (double) v->i;
	case FED_CFG_UINT:
		return (double) v->u;
	case FED_CFG_DOUBLE:
		return v->d;
	case FED_CFG_SIZE:
		return (double) v->z;
	case FED_CFG_STRING:
		return (double) strlen(v->s);
	default:
		return 0;
	}
}

static void
store(const fed_cfg_opt *o, void *cfg, const val *v)
{
	char *field = (char *) cfg + o->offset;
	switch (o->type) {
	case FED_CFG_STRING:
		free(*(char **) field);
		*(char **) field = v->s;
		break;
	case FED_CFG_INT:
	case FED_CFG_DURATION:
		*(int64_t *) field = v->i;
		break;
	case FED_CFG_UINT:
		*(uint64_t *) field = v->u;
		break;
	case FED_CFG_BOOL:
		*(bool *) field = v->b;
		break;
	case FED_CFG_DOUBLE:
		*(double *) field = v->d;
		break;
	case FED_CFG_SIZE:
		*(size_t *) field = v->z;
		break;
	case FED_CFG_ENUM:
		*(int *) field = v->e;
		break;
	case FED_CFG_LOG_LEVEL:
		*(fed_log_level *) field = v->l;
		break;
	}
}

static fed_status
refuse(const fed_cfg_opt *o, const char *text, const char *why,
    const fed__cfg_src *s, fed_cfg_result *res)
{
	char expect[128];
	describe_expected(o, expect, sizeof(expect));
	return fed__cfg_fail(res, FED_INVALID_ARGUMENT, s,
	    "%s: \"%.40s\" %s; expected %s", o->name, text, why, expect);
}

fed_status
fed__cfg_apply(const fed_cfg_opt *o, void *cfg, const char *text,
    const fed__cfg_src *s, fed_cfg_result *res)
{
	val v = {0};
	const char *why = types[o->type].parse(o, text, &v);
	if (why == oom)
		return fed__cfg_fail(
		    res, FED_RESOURCE_EXHAUSTED, s, "%s: %s", o->name, why);
	if (why != NULL)
		return refuse(o, text, why, s, res);
	double x = as_number(o->type, &v);
	if (has_bounds(o) && (x < o->min || x > o->max)) {
		if (o->type != FED_CFG_STRING)
			return refuse(o, text, "is out of range", s, res);
		char expect[128];
		describe_expected(o, expect, sizeof(expect));
		free(v.s); // strings are not echoed: they may be secrets
		return fed__cfg_fail(res, FED_INVALID_ARGUMENT, s,
		    "%s: length %.0f is out of range; expected %s", o->name, x,
		    expect);
	}
	store(o, cfg, &v);
	return FED_OK;
}

const char *
fed__cfg_meta(const fed_cfg_opt *o)
{
	return o->type == FED_CFG_ENUM ? o->choices : types[o->type].meta;
}
