// SPDX-License-Identifier: MIT
//
// edge_tic_series.h: what a Linky TIC register becomes as a series, for
// every collector that reads the TIC's labels: fed-edge-tic from the serial
// port, fed-edge-mqtt from the JSON that Tasmota's Teleinfo driver and
// teleinfo2mqtt publish. One table (tic_parse's numeric labels, through
// tic_label_unit) says which labels are energy indexes; one rule names
// their series and writes their metadata, so that a house read over MQTT
// gets the same series as one read from the serial port:
//
//   <prefix>index_<label>  each energy index (BASE, HCHC, HCHP, EJPHN,
//                          EJPHPM, BBRHCJB .. BBRHPJR; EAST, EASF01..10,
//                          EASD01..04, EAIT), label in lower case: INDEX,
//                          Wh, cumulative, 9 digits;
//   <prefix>power          the apparent power, PAPP (historic) or SINSTS
//                          (standard): POWER, VA, 5 digits.
//
// Pure: no I/O, no allocation.

#ifndef EDGE_TIC_SERIES_H
#define EDGE_TIC_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/status.h"

// Longest series suffix: "index_" and a 9-character label.
#define EDGE_TIC_SUFFIX_MAX 16

typedef struct edge_tic_series {
	bool is_index; // an energy index (Wh), else the apparent power (VA)
	char suffix[EDGE_TIC_SUFFIX_MAX]; // "index_base", "power"
	uint64_t max; // the largest value its digits can hold
} edge_tic_series;

// OK when `label` is an energy index or the apparent power (PAPP, SINSTS),
// with its series in *out; NOT_FOUND for any other label (currents,
// voltages, texts, SINSTS1..3 and the other powers); INVALID_ARGUMENT for
// NULL.
fed_status edge_tic_series_of(const char *label, edge_tic_series *out);

// What a register measures, for the description box ("base tariff index",
// "apparent power", ...).
const char *edge_tic_describe(const char *label);

// The metadata of a TIC series, pointing into *out (which must outlive its
// use): id (borrowed), kind, unit, cumulative, interval_s (period_ms in
// seconds, at least 1), source "Linky", owner (borrowed) and a box of three
// facts: the meter and its mode ("Linky, standard TIC"), the register
// (`label`: BASE, SINSTS, ...) and what it measures.
typedef struct edge_tic_meta {
	Enfed__V1__SeriesMeta m;
	Enfed__V1__Fact f[3];
	Enfed__V1__Fact *box[3];
} edge_tic_meta;

void edge_tic_series_meta(edge_tic_meta *out, const edge_tic_series *s,
    const char *label, bool standard, const char *id, const char *owner,
    int64_t period_ms);

#endif // EDGE_TIC_SERIES_H
