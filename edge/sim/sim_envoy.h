// SPDX-License-Identifier: MIT
//
// sim_envoy.h: the simulated solar plant as an Enphase Envoy (IQ Gateway)
// shows it, the JSON replies of its local API, so that fed-edge-sim can be
// polled by fed-edge-envoy through its real HTTP client and parser.
//
// The gateway's view is a state advanced along the simulated clock: each
// micro-inverter reports every 5 minutes, so at instant t the plant shows
// the reports of the last 5-minute boundary b <= t: lastReportDate b,
// lastReportWatts the model's AC power at b (sim_pv_inverter_w, rounded),
// and the lifetime energy at b (sim_pv_lifetime_wh at b, kept by adding
// each slot's sim_pv_inverters_slot_wh: the same sums in the same order).
// Replies: /api/v1/production (wattsNow, wattHoursToday,
// wattHoursSevenDays, wattHoursLifetime), /api/v1/production/inverters
// (serialNumber, lastReportDate, devType 1, lastReportWatts,
// maxReportWatts) and /production.json (one "inverters" entry with
// activeCount, readingTime b, wNow, whLifetime). The site's wattsNow is the
// sum of the inverters' lastReportWatts, its lifetime the rounded sum of
// theirs. JSON is written with cJSON.
//
// Threads: a state is not shared; its owner serialises the calls (the
// simulator's HTTP handlers take a mutex). Nothing logs except on bad
// input.

#ifndef SIM_ENVOY_H
#define SIM_ENVOY_H

#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"
#include "sim_model.h"

// Length of a simulated serial number, NUL excluded: "1215" + 8 digits.
#define SIM_ENVOY_SERIAL_LEN 12

typedef struct sim_envoy {
	const sim_pv *pv; // borrowed: must outlive the state
	uint64_t seed;
	int64_t at_ms; // the boundary shown; 0 before the first advance
	double lifetime_wh[SIM_PV_MAX_INVERTERS]; // at at_ms
	int32_t watts[SIM_PV_MAX_INVERTERS]; // at at_ms, rounded
	int32_t max_watts[SIM_PV_MAX_INVERTERS]; // highest shown so far
	double wh_today; // local day so far, at at_ms
	double wh_seven_days; // the seven local days to at_ms
} sim_envoy;

// Prepares *e for plant pv (borrowed) and seed; nothing computed yet.
// INVALID_ARGUMENT (logged) for NULL or a plant sim_pv_check refuses.
fed_status sim_envoy_init(sim_envoy *e, const sim_pv *pv, uint64_t seed);

// Brings *e to the last 5-minute boundary at or before t_ms: incrementally
// from the boundary it shows, in full (sim_pv_lifetime_wh) the first time
// or when t_ms went back. INVALID_ARGUMENT for NULL, an uninitialised state
// or t_ms out of range; the model's status otherwise.
fed_status sim_envoy_advance(sim_envoy *e, int64_t t_ms);

// The serial number of inverter k (0-based): "1215" and k+1 on 8 digits,
// into out (SIM_ENVOY_SERIAL_LEN + 1 bytes).
void sim_envoy_serial(int k, char out[SIM_ENVOY_SERIAL_LEN + 1]);

// The replies of the state as it is (advance it first), NUL-terminated JSON
// in *out, the caller's, freed with free(). INVALID_ARGUMENT for NULL or a
// state never advanced; RESOURCE_EXHAUSTED.
fed_status sim_envoy_api_production(const sim_envoy *e, char **out);
fed_status sim_envoy_api_inverters(const sim_envoy *e, char **out);
fed_status sim_envoy_production_json(const sim_envoy *e, char **out);

#endif // SIM_ENVOY_H
