// SPDX-License-Identifier: MIT
//
// mqtt_decode.h: the payloads of the common Linky readers, decoded into
// readings. Pure: no I/O, no logging (the zone of a route is loaded
// already).
//
// tasmota-teleinfo: Tasmota's Teleinfo energy driver (xnrg_15_teleinfo,
//   docs: tasmota.github.io/docs/Teleinfo/) publishes on tele/<topic>/SENSOR
//   either the telemetry message {"Time":"2026-01-01T00:05:00","ENERGY":
//   {...},"TIC":{...}} or, with raw frames enabled, {"TIC":{...}} alone.
//   The TIC object holds the frame's labels: values made only of digits as
//   JSON numbers ("BASE":12345678, "PAPP":350), others as strings (ADCO
//   and ADSC always: "ADCO":"031762001234"). The energy indexes and the
//   apparent power of the TIC object are read (edge_tic_series.h), a
//   number or a string of digits, an integer within the register's digits;
//   the ENERGY object is not (Tasmota derives it from the same indexes, in
//   kWh rounded). "Time" is the device's local time, without offset unless
//   SetOption52 is on: read in the route's tz= zone (Europe/Paris by
//   default) unless it has an offset; a year before 2001 (a device whose
//   clock was never set) counts as no time.
// teleinfo2mqtt: (github.com/fmartinou/teleinfo2mqtt) publishes on
//   teleinfo/<ADCO or ADSC> an object of labels, each {"raw":"...",
//   "value":...} and, for labels with a horodate, "timestamp":{"date":
//   "2022-06-09T06:05:31.000Z","dst":"summer"}. Its "date" is the meter's
//   local clock written as if it were UTC (Date.UTC over the horodate's
//   fields) and "dst" the season letter (summer E: +02:00, winter H:
//   +01:00): the reading's time is DATE's date less that offset. The
//   registers' "raw" (digits) is read, else "value" (an integer).
// number: a plain number (ESPHome's and Home Assistant's state topics),
//   blanks around allowed; "unavailable", "unknown", "nan", "none", "null"
//   and an empty payload are states without a value (ignored). The value
//   is multiplied by the route's scale (kWh -> Wh ...). No time.
//
// A payload that is not of its decoder's shape, or a register value that
// is not an integer within its digits, is INVALID_ARGUMENT as a whole:
// nothing of it is stored.

#ifndef MQTT_DECODE_H
#define MQTT_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge_tic_series.h"
#include "fed/status.h"
#include "mqtt_map.h"

#define MQTT_READINGS_MAX 32
#define MQTT_PAYLOAD_MAX  (64 * 1024) // longer payloads are invalid

typedef struct mqtt_reading {
	char label[16]; // the TIC register ("BASE", "SINSTS"); "" for number
	edge_tic_series tic; // TIC decoders: its series
	double value;
} mqtt_reading;

typedef struct mqtt_decoded {
	mqtt_reading r[MQTT_READINGS_MAX];
	size_t n;
	int64_t ts_ms; // the payload's own time (UTC ms); 0 when none
	bool standard; // TIC decoders: a standard-mode meter
} mqtt_decoded;

// Decodes payload (len bytes, not NUL-terminated) for route r into *out.
// OK with at least one reading; NOT_FOUND for a payload of the right shape
// holding no reading (a Tasmota SENSOR message without TIC, a state
// without value); INVALID_ARGUMENT otherwise, a reason in why (why_len
// bytes).
fed_status mqtt_decode(const mqtt_route *r, const void *payload, size_t len,
    mqtt_decoded *out, char *why, size_t why_len);

#endif // MQTT_DECODE_H
