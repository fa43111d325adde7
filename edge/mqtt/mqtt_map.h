// SPDX-License-Identifier: MIT
//
// mqtt_map.h: fed-edge-mqtt's mapping file, from MQTT topics to decoders
// and series, and MQTT topic filters with their wildcards.
//
// One route a line; blank lines and lines starting with '#' are skipped:
//
//   TOPIC-FILTER  DECODER  SERIES  [KEY=VALUE ...]
//
//   tele/+/SENSOR                    tasmota-teleinfo  linky
//   teleinfo/+                       teleinfo2mqtt     linky
//   esphome/linky/sensor/papp/state  number  linky/papp  unit=VA
//   homeassistant/sensor/+/state     number  ha/{1}      unit=W
//
// - TOPIC-FILTER: an MQTT filter, '+' one level, '#' the rest (last level
//   only; "a/#" also matches "a"); wildcards do not match topics starting
//   with '$' at their first level. The collector subscribes to each filter
//   (QoS 1); a message goes to the first line whose filter matches.
// - DECODER: tasmota-teleinfo, teleinfo2mqtt or number (mqtt_decode.h).
// - SERIES: relative to --site. For the two TIC decoders a prefix: each
//   register gives <site>/<SERIES>/index_<label> or <site>/<SERIES>/power
//   (edge_tic_series.h); for number, the series itself. {1}..{9} stand for
//   the topic levels matched by the filter's wildcards, in order ('#'
//   counts as one, holding its '/'); a level that is not made of
//   [A-Za-z0-9._-] makes its messages invalid.
// - unit= (number, required): Wh, kWh, W, kW, VA, A or V; kWh and kW are
//   stored as Wh and W (times 1000).
// - kind= (number): index (cumulative), power, consumption, production,
//   other; the default follows the unit: Wh -> index, W and VA -> power,
//   A and V -> other.
// - scale= (number): multiplies the payload (after the unit's factor).
// - tz= (tasmota-teleinfo): the zone of a "Time" without offset, as set by
//   Tasmota's Timezone command; default Europe/Paris.
// - time=payload|receive: the payload's time when it carries one (the
//   default), or always the time of receipt.
// - period=DURATION: per series, keep the first message at or after each
//   multiple of DURATION (aligned on UTC, as fed-edge-tic's --period);
//   default 0, every message.
//
// Parsing is pure but for loading the zone (fed_tz_load).

#ifndef MQTT_MAP_H
#define MQTT_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/status.h"
#include "fed/tz.h"

#define MQTT_TOPIC_MAX    1024 // bytes of a topic filter in the file
#define MQTT_SERIES_MAX   200 // bytes of a series id (the node's limit)
#define MQTT_CAPTURES_MAX 9

typedef enum mqtt_decoder {
	MQTT_DEC_TASMOTA = 0, // Tasmota's Teleinfo driver, tele/<t>/SENSOR
	MQTT_DEC_TELEINFO2MQTT = 1, // teleinfo2mqtt's JSON
	MQTT_DEC_NUMBER = 2, // a plain number
} mqtt_decoder;

typedef struct mqtt_route {
	char *filter;
	mqtt_decoder decoder;
	char *series; // template, relative to the site
	int line; // in the file
	// number only
	Enfed__V1__Unit unit;
	Enfed__V1__SeriesKind kind;
	bool cumulative;
	double scale; // unit factor times scale=
	// tasmota-teleinfo only
	fed_tz *tz;
	bool receive_time; // time=receive
	int64_t period_ms;
} mqtt_route;

typedef struct mqtt_map {
	mqtt_route *routes;
	size_t n;
} mqtt_map;

// The topic levels a filter's wildcards matched.
typedef struct mqtt_capture {
	const char *s[MQTT_CAPTURES_MAX];
	size_t len[MQTT_CAPTURES_MAX];
	size_t n;
	bool multi; // the last one is a '#' (may hold '/')
} mqtt_capture;

// Parses the text of a mapping file into *out (cleared first; release with
// mqtt_map_fini). OK; INVALID_ARGUMENT with "line N: why" in err (err_len
// bytes) for a bad line or a file without a route; NOT_FOUND when a tz=
// zone is unknown; RESOURCE_EXHAUSTED.
fed_status mqtt_map_parse(
    const char *text, mqtt_map *out, char *err, size_t err_len);

// Reads and parses file `path` (at most 1 MiB). As mqtt_map_parse, and
// NOT_FOUND or INTERNAL when the file cannot be read (said in err).
fed_status mqtt_map_load(
    const char *path, mqtt_map *out, char *err, size_t err_len);

void mqtt_map_fini(mqtt_map *m);

// 1 when filter is a valid MQTT topic filter ('+' and '#' alone in their
// level, '#' last, 1 to MQTT_TOPIC_MAX bytes, no NUL); else 0.
int mqtt_filter_valid(const char *filter);

// 1 when topic matches filter, with the wildcards' levels in *cap (may be
// NULL; pointers into topic); else 0.
int mqtt_topic_match(const char *filter, const char *topic, mqtt_capture *cap);

// The first route whose filter matches topic, its captures in *cap; NULL
// when none does.
const mqtt_route *mqtt_map_find(
    const mqtt_map *m, const char *topic, mqtt_capture *cap);

// Writes template tmpl with {N} replaced by capture N into out (len
// bytes). OK; INVALID_ARGUMENT when a capture is not made of
// [A-Za-z0-9._-] ('/' also allowed in a '#' capture), names a capture
// that does not exist, or the result does not fit.
fed_status mqtt_series_expand(
    const char *tmpl, const mqtt_capture *cap, char *out, size_t len);

const char *mqtt_decoder_name(mqtt_decoder d);

#endif // MQTT_MAP_H
