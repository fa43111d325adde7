// SPDX-License-Identifier: MIT
//
// mqtt_decode.c: Tasmota Teleinfo, teleinfo2mqtt and plain-number payloads
// (mqtt_decode.h).

#include "mqtt_decode.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

// Year 2001 in UTC ms: an earlier payload time is a clock never set.
#define CLOCK_SET_MS INT64_C(978307200000)

static fed_status invalid(char *why, size_t why_len, const char *fmt, ...)
    FED__PRINTF(3, 4);

static fed_status
invalid(char *why, size_t why_len, const char *fmt, ...)
{
	if (why != NULL && why_len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return FED_INVALID_ARGUMENT;
}

// An integer 0..max from a JSON number or a string of 1 to 19 digits.
static int
register_value(const cJSON *v, uint64_t max, double *out)
{
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (!isfinite(d) || d < 0 || d > (double) max || d != floor(d))
			return -1;
		*out = d;
		return 0;
	}
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return -1;
	const char *s = v->valuestring;
	size_t n = strlen(s);
	if (n == 0 || n > 19)
		return -1;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t) (s[i] - '0');
	}
	if (x > max)
		return -1;
	*out = (double) x;
	return 0;
}

static bool
standard_label(const char *label)
{
	return strncmp(label, "EA", 2) == 0 || strcmp(label, "SINSTS") == 0;
}

// Adds the reading of `label` from JSON value v (a number or digits).
// 1 when added, 0 when label is not a register read, -1 for a bad value.
static int
add_register(mqtt_decoded *out, const char *label, const cJSON *v)
{
	edge_tic_series s;
	if (label == NULL || edge_tic_series_of(label, &s) != FED_OK)
		return 0;
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->r[i].tic.suffix, s.suffix) == 0)
			return 0; // PAPP and SINSTS both: the first
	double d;
	if (register_value(v, s.max, &d) != 0)
		return -1;
	if (out->n == MQTT_READINGS_MAX)
		return 0;
	mqtt_reading *r = &out->r[out->n++];
	snprintf(r->label, sizeof(r->label), "%s", label);
	r->tic = s;
	r->value = d;
	out->standard = out->standard || standard_label(label);
	return 1;
}

static fed_status
decode_tasmota(const mqtt_route *rt, const cJSON *root, mqtt_decoded *out,
    char *why, size_t why_len)
{
	const cJSON *tic = cJSON_GetObjectItemCaseSensitive(root, "TIC");
	if (tic == NULL)
		return FED_NOT_FOUND; // another sensor's message, ENERGY only
	if (!cJSON_IsObject(tic))
		return invalid(why, why_len, "\"TIC\" is not an object");
	for (const cJSON *c = tic->child; c != NULL; c = c->next) {
		if (add_register(out, c->string, c) < 0)
			return invalid(why, why_len,
			    "TIC.%s: not an integer of the register's digits",
			    c->string);
	}
	if (cJSON_GetObjectItemCaseSensitive(tic, "ADSC") != NULL)
		out->standard = true;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "Time");
	if (t != NULL) {
		int64_t ms = 0;
		if (!cJSON_IsString(t) || t->valuestring == NULL
		    || fed_tz_parse_iso(rt->tz, t->valuestring, &ms) != FED_OK)
			return invalid(
			    why, why_len, "\"Time\" is not an ISO 8601 time");
		out->ts_ms = ms >= CLOCK_SET_MS ? ms : 0;
	}
	return out->n > 0 ? FED_OK : FED_NOT_FOUND;
}

static fed_status
decode_t2m(const cJSON *root, mqtt_decoded *out, char *why, size_t why_len)
{
	for (const cJSON *c = root->child; c != NULL; c = c->next) {
		edge_tic_series s;
		if (c->string == NULL
		    || edge_tic_series_of(c->string, &s) != FED_OK)
			continue;
		if (!cJSON_IsObject(c))
			return invalid(
			    why, why_len, "%s: not an object", c->string);
		const cJSON *raw = cJSON_GetObjectItemCaseSensitive(c, "raw");
		const cJSON *v = cJSON_IsString(raw)
		    ? raw
		    : cJSON_GetObjectItemCaseSensitive(c, "value");
		if (add_register(out, c->string, v) < 0)
			return invalid(why, why_len,
			    "%s: not an integer of the register's digits",
			    c->string);
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "ADSC") != NULL)
		out->standard = true;
	const cJSON *date = cJSON_GetObjectItemCaseSensitive(root, "DATE");
	if (date != NULL) {
		const cJSON *ts
		    = cJSON_GetObjectItemCaseSensitive(date, "timestamp");
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(ts, "date");
		const cJSON *dst = cJSON_GetObjectItemCaseSensitive(ts, "dst");
		int64_t ms = 0;
		if (!cJSON_IsString(d) || !cJSON_IsString(dst)
		    || fed_tz_parse_iso(NULL, d->valuestring, &ms) != FED_OK)
			return invalid(why, why_len,
			    "DATE.timestamp: no ISO 8601 date and dst");
		if (strcmp(dst->valuestring, "summer") == 0)
			ms -= 7200000;
		else if (strcmp(dst->valuestring, "winter") == 0)
			ms -= 3600000;
		else
			return invalid(why, why_len,
			    "DATE.timestamp.dst: summer or winter");
		out->ts_ms = ms >= CLOCK_SET_MS ? ms : 0;
	}
	return out->n > 0 ? FED_OK : FED_NOT_FOUND;
}

static fed_status
decode_number(const mqtt_route *rt, const char *p, size_t len,
    mqtt_decoded *out, char *why, size_t why_len)
{
	while (len > 0 && isspace((unsigned char) p[0])) {
		p++;
		len--;
	}
	while (len > 0 && isspace((unsigned char) p[len - 1]))
		len--;
	char buf[64];
	if (len >= sizeof(buf))
		return invalid(why, why_len, "not a number (%zu bytes)", len);
	memcpy(buf, p, len);
	buf[len] = '\0';
	static const char *const states[]
	    = {"", "unavailable", "unknown", "nan", "none", "null"};
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcasecmp(buf, states[i]) == 0)
			return FED_NOT_FOUND;
	char *end = NULL;
	double d = strtod(buf, &end);
	// Decimal only: strtod would also take hexadecimal, "inf" and "nan".
	if (end == buf || *end != '\0' || !isfinite(d)
	    || strspn(buf, "0123456789+-.eE") != len)
		return invalid(why, why_len, "'%.40s' is not a number", buf);
	d *= rt->scale;
	if (!isfinite(d) || (rt->cumulative && d < 0))
		return invalid(why, why_len, "%g: out of range", d);
	out->r[0].label[0] = '\0';
	out->r[0].value = d;
	out->n = 1;
	return FED_OK;
}

fed_status
mqtt_decode(const mqtt_route *r, const void *payload, size_t len,
    mqtt_decoded *out, char *why, size_t why_len)
{
	memset(out, 0, sizeof(*out));
	if (why != NULL && why_len > 0)
		why[0] = '\0';
	if (len > MQTT_PAYLOAD_MAX)
		return invalid(
		    why, why_len, "payload over %d bytes", MQTT_PAYLOAD_MAX);
	if (r->decoder == MQTT_DEC_NUMBER)
		return decode_number(r, payload, len, out, why, why_len);
	cJSON *root = cJSON_ParseWithLength(payload, len);
	if (root == NULL)
		return invalid(why, why_len, "not JSON");
	fed_status st;
	if (!cJSON_IsObject(root))
		st = invalid(why, why_len, "not a JSON object");
	else if (r->decoder == MQTT_DEC_TASMOTA)
		st = decode_tasmota(r, root, out, why, why_len);
	else
		st = decode_t2m(root, out, why, why_len);
	cJSON_Delete(root);
	if (st != FED_OK) {
		out->n = 0;
		out->ts_ms = 0;
	}
	return st;
}
