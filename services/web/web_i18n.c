// SPDX-License-Identifier: MIT
//
// web_i18n.c: the two languages of fed-web. The strings come from the one
// list in web_i18n.h, so a word cannot exist in one language only.

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "web_i18n.h"

static const char *const strings[WEB_S__COUNT][2] = {
#define WEB__STR_ROW(id, fr, en) {fr, en},
    WEB_STRINGS(WEB__STR_ROW)
#undef WEB__STR_ROW
};

const char *
web_tr(web_lang lang, web_str id)
{
	if ((unsigned) id >= WEB_S__COUNT)
		return "";
	return strings[id][lang == WEB_LANG_EN ? 1 : 0];
}

web_lang
web_lang_parse(const char *s)
{
	return s != NULL && strcasecmp(s, "en") == 0 ? WEB_LANG_EN
	                                             : WEB_LANG_FR;
}

const char *
web_colon(web_lang lang)
{
	return lang == WEB_LANG_EN ? ":" : "\u202f:";
}

const char *
web_lang_code(web_lang lang)
{
	return lang == WEB_LANG_EN ? "en" : "fr";
}

// The vocabulary of description boxes: the keys the collectors and the
// owners' tools write (edge/sim, edge/tic, edge/envoy, replication).
static const struct {
	const char *key;
	web_str label;
} box_keys[] = {
    {"name", WEB_S_NAME},
    {"type", WEB_S_TYPE},
    {"occupants", WEB_S_BOX_OCCUPANTS},
    {"surface", WEB_S_BOX_SURFACE},
    {"heating", WEB_S_BOX_HEATING},
    {"hot water", WEB_S_BOX_HOT_WATER},
    {"location", WEB_S_LOCATION},
    {"meter", WEB_S_BOX_METER}, // WEB_S_METER is the series' source
    {"pupils", WEB_S_BOX_PUPILS},
    {"canteen", WEB_S_BOX_CANTEEN},
    {"peak power", WEB_S_BOX_PEAK},
    {"inverters", WEB_S_BOX_INVERTERS},
    {"inverter", WEB_S_BOX_INVERTER},
    {"orientation", WEB_S_BOX_ORIENTATION},
    {"commissioned", WEB_S_BOX_COMMISSIONED},
    {"register", WEB_S_BOX_REGISTER},
    {"measures", WEB_S_BOX_MEASURES},
    {"resolution", WEB_S_BOX_RESOLUTION},
    {"address", WEB_S_BOX_ADDRESS},
    {"built", WEB_S_BOX_BUILT},
    {"insulation", WEB_S_BOX_INSULATION},
    {"contract", WEB_S_BOX_CONTRACT},
    {"storage", WEB_S_BOX_STORAGE},
    {"panels", WEB_S_BOX_PANELS},
    {"owner", WEB_S_OWNER},
    {"organisation", WEB_S_ORGANISATION},
};

const char *
web_box_key(web_lang lang, const char *key)
{
	for (size_t i = 0; key && i < sizeof(box_keys) / sizeof(box_keys[0]);
	     i++)
		if (strcasecmp(key, box_keys[i].key) == 0)
			return web_tr(lang, box_keys[i].label);
	return NULL;
}

const char *
web_type_name(web_lang lang, int type)
{
	static const web_str types[] = {WEB_S_TYPE_PV, WEB_S_TYPE_WIND,
	    WEB_S_TYPE_HYDRO, WEB_S_TYPE_OTHER};
	return type >= 1 && type <= 4 ? web_tr(lang, types[type - 1]) : "—";
}

// Inserts thousands separators into the integer part of a plain number.
static void
group_digits(char *buf, size_t len, const char *plain, web_lang lang)
{
	const char *sep = lang == WEB_LANG_EN ? "," : "\u202f";
	const char *dot = strchr(plain, '.');
	size_t int_end = dot ? (size_t) (dot - plain) : strlen(plain);
	size_t start = plain[0] == '-' ? 1 : 0;
	size_t o = 0;
	for (size_t i = 0; plain[i] != '\0' && o + 4 < len; i++) {
		if (i > start && i < int_end && (int_end - i) % 3 == 0) {
			size_t sl = strlen(sep);
			memcpy(buf + o, sep, sl);
			o += sl;
		}
		buf[o++] = (plain[i] == '.' && lang == WEB_LANG_FR) ? ','
		                                                    : plain[i];
	}
	buf[o] = '\0';
}

void
web_fmt_num(char *buf, size_t len, web_lang lang, double v, int decimals)
{
	char plain[WEB_FMT_LEN];
	if (!isfinite(v)) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(plain, sizeof(plain), "%.*f", decimals, v);
	if (strcmp(plain, "-0") == 0 || strncmp(plain, "-0.", 3) == 0) {
		int zero = 1;
		for (const char *p = plain + 1; *p; p++)
			zero &= *p == '0' || *p == '.';
		if (zero)
			memmove(plain, plain + 1, strlen(plain));
	}
	group_digits(buf, len, plain, lang);
}

static int
decimals_for(double v)
{
	double a = fabs(v);
	return a >= 100 ? 0 : a >= 10 ? 1 : 2;
}

void
web_fmt_energy(char *buf, size_t len, web_lang lang, double wh)
{
	static const char *units[] = {"Wh", "kWh", "MWh", "GWh"};
	int u = 0;
	while (u < 3 && fabs(wh) >= 1000) {
		wh /= 1000;
		u++;
	}
	char n[WEB_FMT_LEN];
	web_fmt_num(n, sizeof(n), lang, wh,
	    u == 0 && fabs(wh) >= 10 ? 0
	        : u == 0             ? 1
	                             : decimals_for(wh));
	snprintf(buf, len, "%s %s", n, units[u]);
}

void
web_fmt_power(char *buf, size_t len, web_lang lang, double w)
{
	char n[WEB_FMT_LEN];
	if (fabs(w) >= 1000) {
		web_fmt_num(
		    n, sizeof(n), lang, w / 1000, decimals_for(w / 1000));
		snprintf(buf, len, "%s kW", n);
	} else {
		web_fmt_num(n, sizeof(n), lang, w, 0);
		snprintf(buf, len, "%s W", n);
	}
}

void
web_fmt_eur(char *buf, size_t len, web_lang lang, int64_t cents)
{
	char n[WEB_FMT_LEN];
	web_fmt_num(n, sizeof(n), lang, (double) cents / 100.0,
	    cents % 100 == 0 ? 0 : 2);
	snprintf(buf, len, "%s €", n);
}

void
web_fmt_pct(char *buf, size_t len, web_lang lang, double fraction)
{
	char n[WEB_FMT_LEN];
	web_fmt_num(n, sizeof(n), lang, fraction * 100.0, 2);
	snprintf(buf, len, "%s %%", n);
}

void
web_fmt_date(
    char *buf, size_t len, web_lang lang, const fed_tz *tz, int64_t utc_ms)
{
	fed_tz_tm t;
	fed_tz_localtime(tz, utc_ms, &t);
	if (lang == WEB_LANG_EN)
		snprintf(buf, len, "%04d-%02d-%02d", t.year, t.month, t.day);
	else
		snprintf(buf, len, "%02d/%02d/%04d", t.day, t.month, t.year);
}

void
web_fmt_datetime(
    char *buf, size_t len, web_lang lang, const fed_tz *tz, int64_t utc_ms)
{
	fed_tz_tm t;
	char d[WEB_FMT_LEN];
	fed_tz_localtime(tz, utc_ms, &t);
	web_fmt_date(d, sizeof(d), lang, tz, utc_ms);
	snprintf(buf, len, "%s %02d:%02d", d, t.hour, t.minute);
}

void
web_fmt_isodate(char *buf, size_t len, const fed_tz *tz, int64_t utc_ms)
{
	fed_tz_tm t;
	fed_tz_localtime(tz, utc_ms, &t);
	snprintf(buf, len, "%04d-%02d-%02d", t.year, t.month, t.day);
}
