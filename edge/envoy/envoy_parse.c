// SPDX-License-Identifier: MIT
//
// envoy_parse.c: the Envoy's JSON replies to checked values
// (envoy_parse.h, docs/envoy.md). cJSON builds the tree; every field is
// then looked up exactly once by name (a duplicate key is refused, since
// cJSON would silently take the first), type-checked and bounded before it
// reaches the output.

#include "envoy_parse.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

static fed_status fail(envoy_error *err, const char *fmt, ...)
    FED__PRINTF(2, 3);

static fed_status
fail(envoy_error *err, const char *fmt, ...)
{
	if (err != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return FED_INVALID_ARGUMENT;
}

static bool
is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Parses json[0..len) whole: a copy is NUL-terminated so that cJSON never
// reads past the input, and anything but white space after the value is
// refused (a NUL byte included).
static fed_status
envoy_parse_doc(const char *json, size_t len, cJSON **root, envoy_error *err)
{
	if (json == NULL)
		return fail(err, "input: NULL");
	if (len > ENVOY_INPUT_MAX)
		return fail(err, "input: %zu bytes, above the cap of %u", len,
		    ENVOY_INPUT_MAX);
	char *copy = malloc(len + 1);
	if (copy == NULL)
		return FED_RESOURCE_EXHAUSTED;
	memcpy(copy, json, len);
	copy[len] = '\0';
	const char *end = NULL;
	*root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, false);
	size_t at = end != NULL ? (size_t) (end - copy) : 0;
	while (*root != NULL && at < len && is_json_space(copy[at]))
		at++;
	free(copy);
	if (*root == NULL)
		return fail(err, "input: malformed JSON at byte %zu", at);
	if (at < len) {
		cJSON_Delete(*root);
		*root = NULL;
		return fail(err,
		    "input: trailing bytes after the JSON value "
		    "at byte %zu",
		    at);
	}
	return FED_OK;
}

// The member `name` of obj: NOT_FOUND when absent, INVALID_ARGUMENT when
// present twice.
static fed_status
member(const cJSON *obj, const char *ctx, const char *name, cJSON **item,
    envoy_error *err)
{
	*item = NULL;
	for (cJSON *c = obj->child; c != NULL; c = c->next) {
		if (c->string == NULL || strcmp(c->string, name) != 0)
			continue;
		if (*item != NULL)
			return fail(err, "%s.%s: duplicate field", ctx, name);
		*item = c;
	}
	return *item != NULL ? FED_OK : FED_NOT_FOUND;
}

// A finite number within [min, max], rounded to an integer.
static fed_status
number(const cJSON *obj, const char *ctx, const char *name, double min,
    double max, int64_t *out, envoy_error *err)
{
	cJSON *it;
	fed_status st = member(obj, ctx, name, &it, err);
	if (st == FED_NOT_FOUND)
		return fail(err, "%s.%s: missing", ctx, name);
	if (st != FED_OK)
		return st;
	if (!cJSON_IsNumber(it))
		return fail(err, "%s.%s: not a number", ctx, name);
	double v = it->valuedouble;
	if (!isfinite(v))
		return fail(err, "%s.%s: not a finite number", ctx, name);
	if (v < min && min == 0)
		return fail(err, "%s.%s: %g is negative", ctx, name, v);
	if (v < min || v > max)
		return fail(
		    err, "%s.%s: %g outside %g..%g", ctx, name, v, min, max);
	*out = (int64_t) llround(v);
	return FED_OK;
}

// Watts of a site: the small negatives of night-time noise (a CT meter's,
// or the gateway's own sum) read as 0; below -ENVOY_CT_NOISE_W, refused.
static fed_status
site_watts(const cJSON *obj, const char *ctx, const char *name, int64_t *out,
    envoy_error *err)
{
	FED_TRY(number(
	    obj, ctx, name, -ENVOY_CT_NOISE_W, ENVOY_SITE_W_MAX, out, err));
	if (*out < 0)
		*out = 0;
	return FED_OK;
}

static fed_status
ct_watts(const cJSON *obj, const char *ctx, int64_t *out, envoy_error *err)
{
	return site_watts(obj, ctx, "wNow", out, err);
}

static fed_status
expect_object(const cJSON *it, const char *ctx, envoy_error *err)
{
	return cJSON_IsObject(it) ? FED_OK
	                          : fail(err, "%s: not an object", ctx);
}

static fed_status
production_fields(const cJSON *root, envoy_production *p, envoy_error *err)
{
	const char *ctx = "production";
	FED_TRY(expect_object(root, ctx, err));
	FED_TRY(site_watts(root, ctx, "wattsNow", &p->watts_now, err));
	FED_TRY(number(
	    root, ctx, "wattHoursToday", 0, ENVOY_WH_MAX, &p->wh_today, err));
	FED_TRY(number(root, ctx, "wattHoursSevenDays", 0, ENVOY_WH_MAX,
	    &p->wh_seven_days, err));
	return number(root, ctx, "wattHoursLifetime", 0, ENVOY_WH_MAX,
	    &p->wh_lifetime, err);
}

fed_status
envoy_parse_production(
    const char *json, size_t len, envoy_production *out, envoy_error *err)
{
	cJSON *root;
	if (out == NULL)
		return fail(err, "output: NULL");
	FED_TRY(envoy_parse_doc(json, len, &root, err));
	envoy_production p = {0};
	fed_status st = production_fields(root, &p, err);
	cJSON_Delete(root);
	if (st == FED_OK)
		*out = p;
	return st;
}

// [0-9A-Za-z]{1,ENVOY_SERIAL_MAX}, spelled out: isalnum() follows the
// locale.
FED_TESTABLE bool
envoy_serial_ok(const char *s)
{
	size_t n = 0;
	for (; s[n] != '\0'; n++) {
		char c = s[n];
		bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
		    || (c >= 'a' && c <= 'z');
		if (!ok || n >= ENVOY_SERIAL_MAX)
			return false;
	}
	return n > 0;
}

static fed_status
serial_field(const cJSON *obj, const char *ctx, char *out, envoy_error *err)
{
	cJSON *it;
	fed_status st = member(obj, ctx, "serialNumber", &it, err);
	if (st == FED_NOT_FOUND)
		return fail(err, "%s.serialNumber: missing", ctx);
	if (st != FED_OK)
		return st;
	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return fail(err, "%s.serialNumber: not a string", ctx);
	if (!envoy_serial_ok(it->valuestring))
		return fail(err,
		    "%s.serialNumber: \"%.40s\" is not 1 to %d letters or "
		    "digits",
		    ctx, it->valuestring, ENVOY_SERIAL_MAX);
	strcpy(out, it->valuestring);
	return FED_OK;
}

static fed_status
inverter_fields(
    const cJSON *it, const char *ctx, envoy_inverter *inv, envoy_error *err)
{
	int64_t date, last, max, dev = 0;
	FED_TRY(expect_object(it, ctx, err));
	FED_TRY(serial_field(it, ctx, inv->serial, err));
	FED_TRY(number(it, ctx, "lastReportDate", 0, (double) ENVOY_DATE_MAX_S,
	    &date, err));
	FED_TRY(number(
	    it, ctx, "lastReportWatts", 0, ENVOY_INVERTER_W_MAX, &last, err));
	FED_TRY(number(
	    it, ctx, "maxReportWatts", 0, ENVOY_INVERTER_W_MAX, &max, err));
	cJSON *d;
	fed_status st = member(it, ctx, "devType", &d, err);
	if (st == FED_OK)
		st = number(it, ctx, "devType", 0, 255, &dev, err);
	if (st != FED_OK && st != FED_NOT_FOUND)
		return st;
	inv->last_report_ms = date * 1000;
	inv->last_report_watts = (int32_t) last;
	inv->max_report_watts = (int32_t) max;
	inv->dev_type = (int32_t) dev;
	return FED_OK;
}

static fed_status
inverter_list(const cJSON *root, envoy_inverter *out, size_t cap,
    size_t *n_out, envoy_error *err)
{
	if (!cJSON_IsArray(root))
		return fail(err, "inverters: not an array");
	size_t n = (size_t) cJSON_GetArraySize(root);
	if (n > cap)
		return fail(err,
		    "inverters: %zu entries, more than the %zu "
		    "accepted",
		    n, cap);
	size_t i = 0;
	for (const cJSON *it = root->child; it != NULL; it = it->next, i++) {
		char ctx[32];
		snprintf(ctx, sizeof(ctx), "inverters[%zu]", i);
		FED_TRY(inverter_fields(it, ctx, &out[i], err));
		for (size_t j = 0; j < i; j++)
			if (strcmp(out[j].serial, out[i].serial) == 0)
				return fail(err,
				    "%s.serialNumber: %s already in "
				    "inverters[%zu]",
				    ctx, out[i].serial, j);
	}
	*n_out = i;
	return FED_OK;
}

fed_status
envoy_parse_inverters(const char *json, size_t len, envoy_inverter *out,
    size_t cap, size_t *n_out, envoy_error *err)
{
	cJSON *root;
	if ((out == NULL && cap > 0) || n_out == NULL)
		return fail(err, "output: NULL");
	FED_TRY(envoy_parse_doc(json, len, &root, err));
	fed_status st = inverter_list(root, out, cap, n_out, err);
	cJSON_Delete(root);
	return st;
}

// A string member, or NULL when absent; INVALID_ARGUMENT when not a string.
static fed_status
string_member(const cJSON *obj, const char *ctx, const char *name,
    const char **out, envoy_error *err)
{
	cJSON *it;
	*out = NULL;
	fed_status st = member(obj, ctx, name, &it, err);
	if (st == FED_NOT_FOUND)
		return FED_OK;
	if (st != FED_OK)
		return st;
	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return fail(err, "%s.%s: not a string", ctx, name);
	*out = it->valuestring;
	return FED_OK;
}

static bool
entry_matches(const char *type, const char *mtype, const char *want_type,
    const char *want_mtype)
{
	if (strcmp(type, want_type) != 0)
		return false;
	return want_mtype == NULL
	    || (mtype != NULL && strcmp(mtype, want_mtype) == 0);
}

// The one entry of array `name` with this type (and measurementType, when
// want_mtype is not NULL); *found NULL when there is none. ctx receives
// the entry's name for messages.
static fed_status
find_entry(const cJSON *arr, const char *name, const char *want_type,
    const char *want_mtype, const cJSON **found, char *ctx, envoy_error *err)
{
	*found = NULL;
	size_t i = 0;
	for (const cJSON *e = arr->child; e != NULL; e = e->next, i++) {
		char here[32];
		const char *type, *mtype;
		snprintf(here, sizeof(here), "%s[%zu]", name, i);
		FED_TRY(expect_object(e, here, err));
		FED_TRY(string_member(e, here, "type", &type, err));
		if (type == NULL)
			return fail(err, "%s.type: missing", here);
		FED_TRY(
		    string_member(e, here, "measurementType", &mtype, err));
		if (!entry_matches(type, mtype, want_type, want_mtype))
			continue;
		if (*found != NULL)
			return fail(err, "%s: a second \"%s\" entry after %s",
			    here, want_mtype ? want_mtype : want_type, ctx);
		*found = e;
		strcpy(ctx, here);
	}
	return FED_OK;
}

static fed_status
reading_ms(const cJSON *e, const char *ctx, int64_t *ms, envoy_error *err)
{
	int64_t s;
	FED_TRY(number(
	    e, ctx, "readingTime", 0, (double) ENVOY_DATE_MAX_S, &s, err));
	*ms = s * 1000;
	return FED_OK;
}

static fed_status
site_inverters(
    const cJSON *e, const char *ctx, envoy_site *s, envoy_error *err)
{
	int64_t n;
	FED_TRY(number(e, ctx, "activeCount", 0, 100000, &n, err));
	s->n_active = (int32_t) n;
	FED_TRY(reading_ms(e, ctx, &s->reading_ms, err));
	FED_TRY(number(e, ctx, "wNow", 0, ENVOY_SITE_W_MAX,
	    &s->production.watts_now, err));
	return number(e, ctx, "whLifetime", 0, ENVOY_WH_MAX,
	    &s->production.wh_lifetime, err);
}

// The production CT, used only when active.
static fed_status
site_meter(const cJSON *e, const char *ctx, envoy_site *s, envoy_error *err)
{
	int64_t n;
	FED_TRY(number(e, ctx, "activeCount", 0, 100000, &n, err));
	if (n == 0)
		return FED_OK;
	envoy_production *p = &s->production;
	FED_TRY(reading_ms(e, ctx, &s->reading_ms, err));
	FED_TRY(ct_watts(e, ctx, &p->watts_now, err));
	FED_TRY(number(
	    e, ctx, "whLifetime", 0, ENVOY_WH_MAX, &p->wh_lifetime, err));
	FED_TRY(number(e, ctx, "whToday", 0, ENVOY_WH_MAX, &p->wh_today, err));
	FED_TRY(number(e, ctx, "whLastSevenDays", 0, ENVOY_WH_MAX,
	    &p->wh_seven_days, err));
	s->from_meter = true;
	s->has_daily = true;
	return FED_OK;
}

static fed_status
site_production(const cJSON *root, envoy_site *s, envoy_error *err)
{
	cJSON *arr;
	char ctx[32] = "";
	const cJSON *inv, *eim;
	fed_status st
	    = member(root, "production.json", "production", &arr, err);
	if (st == FED_NOT_FOUND)
		return fail(err, "production.json.production: missing");
	FED_TRY(st);
	if (!cJSON_IsArray(arr))
		return fail(err, "production.json.production: not an array");
	FED_TRY(
	    find_entry(arr, "production", "inverters", NULL, &inv, ctx, err));
	if (inv == NULL)
		return fail(err, "production: no \"inverters\" entry");
	FED_TRY(site_inverters(inv, ctx, s, err));
	FED_TRY(find_entry(arr, "production", "eim", NULL, &eim, ctx, err));
	return eim != NULL ? site_meter(eim, ctx, s, err) : FED_OK;
}

static fed_status
site_consumption(const cJSON *root, envoy_site *s, envoy_error *err)
{
	cJSON *arr;
	char ctx[32] = "";
	const cJSON *tot, *net;
	int64_t n;
	fed_status st
	    = member(root, "production.json", "consumption", &arr, err);
	if (st == FED_NOT_FOUND)
		return FED_OK;
	FED_TRY(st);
	if (!cJSON_IsArray(arr))
		return fail(err, "production.json.consumption: not an array");
	FED_TRY(find_entry(
	    arr, "consumption", "eim", "total-consumption", &tot, ctx, err));
	if (tot != NULL) {
		FED_TRY(number(tot, ctx, "activeCount", 0, 100000, &n, err));
		s->has_consumption = n > 0;
	}
	if (s->has_consumption) {
		FED_TRY(ct_watts(tot, ctx, &s->consumption_watts, err));
		FED_TRY(number(tot, ctx, "whLifetime", 0, ENVOY_WH_MAX,
		    &s->consumption_wh_lifetime, err));
	}
	FED_TRY(find_entry(
	    arr, "consumption", "eim", "net-consumption", &net, ctx, err));
	if (net == NULL)
		return FED_OK;
	FED_TRY(number(net, ctx, "activeCount", 0, 100000, &n, err));
	s->has_net = n > 0;
	if (!s->has_net)
		return FED_OK;
	return number(net, ctx, "wNow", -ENVOY_SITE_W_MAX, ENVOY_SITE_W_MAX,
	    &s->net_watts, err);
}

fed_status
envoy_parse_production_json(
    const char *json, size_t len, envoy_site *out, envoy_error *err)
{
	cJSON *root;
	if (out == NULL)
		return fail(err, "output: NULL");
	FED_TRY(envoy_parse_doc(json, len, &root, err));
	envoy_site s = {0};
	fed_status st = expect_object(root, "production.json", err);
	if (st == FED_OK)
		st = site_production(root, &s, err);
	if (st == FED_OK)
		st = site_consumption(root, &s, err);
	cJSON_Delete(root);
	if (st == FED_OK)
		*out = s;
	return st;
}
