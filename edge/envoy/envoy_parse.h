// SPDX-License-Identifier: MIT
//
// envoy_parse.h: the Enphase Envoy (IQ Gateway) production replies, parsed
// and checked, as a pure module (no I/O; the HTTP poller builds on it).
//
// Three replies are understood (docs/envoy.md shows them):
//   /api/v1/production            site totals: watts now, Wh today, last
//                                 seven days, lifetime
//   /api/v1/production/inverters  one entry per micro-inverter
//   /production.json              the inverters' and, on metered gateways,
//                                 the production and consumption CTs'
//                                 readings
// The JSON is parsed with cJSON (Debian's libcjson). Every value is checked
// before it is handed out: a missing field, a wrong type, a non-finite,
// negative or absurd number, a malformed serial, a duplicate, too many
// inverters, malformed or truncated JSON and input past ENVOY_INPUT_MAX all
// give FED_INVALID_ARGUMENT and a message naming the field in *err (when
// err is not NULL); the output is then unspecified. Nothing is allocated
// that outlives a call; outputs are plain values in caller memory.
//
// Threads: the functions are reentrant, but cJSON records the position of
// its last parse error in a global: parse from one thread at a time (the
// poller has one).

#ifndef ENVOY_PARSE_H
#define ENVOY_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"

// Largest reply accepted (a gateway with 600 inverters answers ~80 KiB).
#define ENVOY_INPUT_MAX (256u << 10)
// A serial number: 1 to 32 characters of [0-9A-Za-z].
#define ENVOY_SERIAL_MAX 32
// Bounds: one micro-inverter (the largest IQ model gives ~400 W), a site,
// energy counters, and dates (unix seconds up to 2100-01-01).
#define ENVOY_INVERTER_W_MAX 2000
#define ENVOY_SITE_W_MAX     10000000
#define ENVOY_WH_MAX         1000000000000.0
#define ENVOY_DATE_MAX_S     4102444800LL
// CT meters read a few watts below zero at night, and so does a gateway's
// wattsNow (-4 W seen on firmware 3.x): site production and total
// consumption down to this are read as 0; below it, the reply is refused.
#define ENVOY_CT_NOISE_W 100
// Length of an error message, NUL included.
#define ENVOY_ERR_LEN 160

// devType of a micro-inverter (PCU), and of an AC battery, which the
// gateway lists among the inverters: not a producer, not collected.
#define ENVOY_DEV_PCU        1
#define ENVOY_DEV_AC_BATTERY 11

typedef struct envoy_error {
	char msg[ENVOY_ERR_LEN];
} envoy_error;

// Site production, from /api/v1/production (or /production.json).
typedef struct envoy_production {
	int64_t watts_now;
	int64_t wh_today;
	int64_t wh_seven_days;
	int64_t wh_lifetime;
} envoy_production;

// One micro-inverter, from /api/v1/production/inverters.
typedef struct envoy_inverter {
	char serial[ENVOY_SERIAL_MAX + 1];
	int64_t last_report_ms; // lastReportDate (unix s) * 1000
	int32_t dev_type; // devType (1: PCU, micro-inverter; 11: an AC
	                  // battery); 0 when absent (firmware 3.x does not
	                  // send it)
	int32_t last_report_watts;
	int32_t max_report_watts;
} envoy_inverter;

// /production.json, reduced to what the collector sends.
typedef struct envoy_site {
	// From the production CT ("eim", activeCount >= 1) when there is one,
	// else from the "inverters" entry, which has no daily counters
	// (has_daily false, wh_today and wh_seven_days 0).
	envoy_production production;
	bool from_meter;
	bool has_daily;
	int64_t reading_ms; // readingTime of the entry used, unix ms
	int32_t n_active; // the inverters entry's activeCount
	// The consumption CTs, when present and active.
	bool has_consumption;
	int64_t consumption_watts; // total-consumption wNow
	int64_t consumption_wh_lifetime;
	bool has_net;
	int64_t net_watts; // net-consumption wNow: negative when exporting
} envoy_site;

// Parses a /api/v1/production reply (json[0..len), need not be
// NUL-terminated; borrowed) into *out. INVALID_ARGUMENT as described above.
fed_status envoy_parse_production(
    const char *json, size_t len, envoy_production *out, envoy_error *err);

// Parses a /api/v1/production/inverters reply into out[0..*n_out). cap is
// the most inverters accepted: a reply with more is INVALID_ARGUMENT. A
// serial that appears twice is INVALID_ARGUMENT.
fed_status envoy_parse_inverters(const char *json, size_t len,
    envoy_inverter *out, size_t cap, size_t *n_out, envoy_error *err);

// Parses a /production.json reply into *out. Its production array must hold
// one "inverters" entry; an "eim" production entry, if active, is preferred.
// Entries of other types (storage, "rgm") are ignored.
fed_status envoy_parse_production_json(
    const char *json, size_t len, envoy_site *out, envoy_error *err);

#ifdef FED_TESTING
// For the test program, which compiles envoy_parse.c itself: true when s
// is 1 to ENVOY_SERIAL_MAX characters of [0-9A-Za-z] (locale-independent).
bool envoy_serial_ok(const char *s);
#endif

#endif // ENVOY_PARSE_H
