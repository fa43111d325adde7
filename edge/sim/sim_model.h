// SPDX-License-Identifier: MIT
//
// sim_model.h: realistic synthetic energy models for fed-edge-sim: a
// 4-person house read by a Linky every 5 minutes, the Kermélo primary school
// in Lorient, and its roof plant of Enphase M250 micro-inverters.
//
// Every model is a pure function of (parameters, seed, time). The value of
// any 5-minute slot comes from a hash of (seed, model, slot index), never
// from a sequential generator, so a simulator can generate a year of
// history, go live, restart, and always produce the same value for the same
// instant: re-ingesting it is idempotent. Nothing here allocates, keeps
// state between calls, or touches global state except fed_log() on bad
// input; every function may be called from any thread.
//
// Weather is shared: a model's temperature and cloudiness depend only on its
// sim_weather and the seed, so a house, a school and a plant built with the
// same seed live under the same sky (a cold clear day raises the heating and
// the production together), while each model's own noise is keyed by the
// model too, so the curves are not clones of each other.
//
// Local time (schedules, school calendar) is Europe/Paris, computed with the
// EU rule (summer time from the last Sunday of March to the last Sunday of
// October, both at 01:00 UTC), which is exact for every year the EU rule has
// applied (since 1996) and needs no tzdata.
//
// All instants are UTC milliseconds since the Unix epoch and must lie in
// [SIM_T_MIN_MS, SIM_T_MAX_MS). Parameters are plain structs: fill them with
// the _defaults function, change what you need, and pass them by pointer
// (borrowed for the duration of the call). Energies are Wh, powers W or VA.

#ifndef SIM_MODEL_H
#define SIM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"

// The model grid: a Linky is read, and model noise drawn, every 5 minutes.
#define SIM_SLOT_MS 300000
// Accepted instants: 1970-01-01 to 2200-01-01 UTC.
#define SIM_T_MIN_MS 0
#define SIM_T_MAX_MS INT64_C(7258118400000)
// Longest slot accepted by the slot functions: 366 days.
#define SIM_MAX_SLOT_MS INT64_C(31622400000)

// ---- Weather ------------------------------------------------------------

// The site and its climate. Defaults: Lorient (47.75 N, 3.37 W), an oceanic
// climate with an annual mean of 12.2 °C, a cold mean of 7 °C in late
// January and a warm mean of 17.5 °C in late July.
typedef struct sim_weather {
	double lat_deg; // latitude, north positive: 47.75
	double lon_deg; // longitude, east positive: -3.37
	double temp_mean_c; // annual mean air temperature: 12.2
	double temp_season_c; // half the winter-summer swing: 5.3
	double coldest_doy; // day of year of the coldest normal day: 22
	double temp_day_c; // half the normal day-night swing: 3.2
	double temp_anomaly_c; // spread of day-to-day anomalies: 2.3
	double cloud_bias; // shifts cloudiness, positive = sunnier: 0
} sim_weather;

// One instant's weather.
typedef struct sim_weather_point {
	double temp_c; // air temperature
	double clearness; // clear-sky index, 0.05 (dark overcast) .. 1.08
	double ghi_w_m2; // global horizontal irradiance
	double sun_elev_deg; // solar elevation above the horizon (negative at
	                     // night)
	double sun_azim_deg; // solar azimuth, from north, clockwise (180 = S)
} sim_weather_point;

// Fills *w with the Lorient defaults above. w must not be NULL.
void sim_weather_defaults(sim_weather *w);

// Checks a weather: INVALID_ARGUMENT (logged with the field's name) for a
// latitude outside [-80, 80], a longitude outside [-180, 180], or a value
// that is not finite or out of its plausible range; OK otherwise.
fed_status sim_weather_check(const sim_weather *w);

// The weather at instant t_ms for `seed`. Returns INVALID_ARGUMENT for a
// NULL pointer, a bad weather or t_ms out of range; OK with *out filled.
fed_status sim_weather_at(
    const sim_weather *w, uint64_t seed, int64_t t_ms, sim_weather_point *out);

// ---- Calendar -----------------------------------------------------------

// What a local day is for a French primary school (zone B calendar).
typedef enum sim_day_kind {
	SIM_DAY_SCHOOL, // Monday, Tuesday, Thursday, Friday in term
	SIM_DAY_WEDNESDAY, // school in the morning only
	SIM_DAY_WEEKEND, // Saturday, Sunday
	SIM_DAY_PUBLIC_HOLIDAY, // a French public holiday, or the Friday after
	                        // Ascension ("pont"), on a weekday
	SIM_DAY_SCHOOL_HOLIDAY, // a weekday of the school holidays
} sim_day_kind;

// The kind of the Europe/Paris local day that contains t_ms (clamped to
// the accepted range). School holidays are approximations of zone B
// (Rennes): Toussaint (two weeks from the Saturday in Oct 17..23), Noël
// (from the Saturday in Dec 17..23 to the first Monday after Jan 1),
// hiver (two weeks from the Saturday in Feb 14..20), printemps (two weeks
// from the Saturday in Apr 11..17) and summer (from the Saturday in
// Jul 1..7 to Aug 31). Public holidays include Easter Monday, Ascension and
// Whit Monday, computed from the Gregorian Easter date.
sim_day_kind sim_day_kind_at(int64_t t_ms);

// The Europe/Paris offset from UTC at t_ms, in seconds (3600 or 7200).
int32_t sim_paris_offset_s(int64_t t_ms);

// ---- House --------------------------------------------------------------

typedef enum sim_heating {
	SIM_HEATING_HEAT_PUMP, // air-water heat pump, COP falling with the
	                       // cold
	SIM_HEATING_ELECTRIC, // resistive heaters ("convecteurs"), COP 1
	SIM_HEATING_OTHER, // gas, wood: only the circulator is electric
} sim_heating;

// A 4-person house in Brittany (two adults working, two children at
// school), Linky in BASE option. Defaults give about 11 kWh on a summer
// day (9 while the family is away in August), 25-30 kWh on a winter day
// with the heat pump, some 7,000 kWh a year.
typedef struct sim_house {
	sim_weather weather;
	sim_heating heating; // SIM_HEATING_HEAT_PUMP
	double heat_loss_w_per_k; // envelope loss coefficient: 180 W/K
	double comfort_c; // set point when people are up: 19.5
	double night_c; // set point at night (22:30-6:00): 17.5
	double standby_w; // box, standby devices, VMC: 70 W
	double fridge_w; // fridge-freezer compressor: 110 W
	double activity_w; // scale of appliances/TV/computers: 1.0
	double lighting_w; // lighting when everyone is up in the dark:
	                   // 180 W
	double dhw_kwh_per_day; // electric water heater, mean daily: 3.5;
	                        // 0 = no electric hot water
	double dhw_w; // water heater element: 2200 W
	int away_days; // summer holiday away from home: 14 days
	int64_t index_origin_ms; // instant the index reads index_origin_wh:
	                         // 2024-01-01T00:00:00+01:00
	double index_origin_wh; // Linky BASE at index_origin_ms: 21,000,000
} sim_house;

// Fills *h with the defaults above (and the Lorient weather).
void sim_house_defaults(sim_house *h);

// Checks a house: INVALID_ARGUMENT naming the field for anything out of
// range (negative powers, set points outside 5..28 °C, an origin not on
// the 5-minute grid, ...); OK otherwise.
fed_status sim_house_check(const sim_house *h);

// Energy consumed in [slot_start_ms, slot_start_ms + slot_ms), integer Wh
// as the difference of two Linky BASE readings. slot_start_ms must be on
// the 5-minute grid (a multiple of SIM_SLOT_MS), slot_ms a positive
// multiple of SIM_SLOT_MS up to SIM_MAX_SLOT_MS, and the slot within range;
// otherwise INVALID_ARGUMENT. OK with *out_wh set.
fed_status sim_house_slot_wh(const sim_house *h, uint64_t seed,
    int64_t slot_start_ms, int64_t slot_ms, double *out_wh);

// Fills out_wh[0..n_slots) with consecutive slots from start_ms, each
// slot_ms long: out_wh[i] is bit-identical to sim_house_slot_wh of slot i.
// A year of 5-minute slots takes about 10 ms of CPU. Same arguments rules
// as sim_house_slot_wh; n_slots 0 is OK and writes nothing.
fed_status sim_house_fill_wh(const sim_house *h, uint64_t seed,
    int64_t start_ms, int64_t slot_ms, size_t n_slots, double *out_wh);

// The Linky BASE index (Wh) read at t_ms: index_origin_wh plus every slot
// from index_origin_ms to the last 5-minute boundary at or before t_ms.
// Costs one slot computation per 5 minutes since the origin (about 10 ms a
// year): a live simulator computes it once and then adds slots.
// INVALID_ARGUMENT for bad arguments, OUT_OF_RANGE for t_ms before the
// origin.
fed_status sim_house_index_wh(
    const sim_house *h, uint64_t seed, int64_t t_ms, double *out_wh);

// Apparent power (VA, rounded to an integer as the Linky shows it) drawn at
// instant t_ms: resistive loads count at power factor 1, motors and
// electronics at their lower factors. INVALID_ARGUMENT for bad arguments.
fed_status sim_house_va(
    const sim_house *h, uint64_t seed, int64_t t_ms, double *out_va);

// ---- School -------------------------------------------------------------

// The Kermélo primary school (about 1,500 m², 230 pupils, satellite
// canteen). Occupied 8:30-16:30 on school days (before/after-school care
// 7:30-8:30 and 16:30-18:30, cleaning until 19:30), Wednesday morning only;
// weekends and holidays run on the base load and reduced heating. Heating
// is allowed during the heating season only.
typedef struct sim_school {
	sim_weather weather;
	sim_heating heating; // SIM_HEATING_HEAT_PUMP
	double heat_loss_w_per_k; // envelope + ventilation: 1,000 W/K
	double comfort_c; // set point while occupied: 19
	double reduced_c; // nights and weekends in term: 13
	double frost_c; // school holidays: 10
	int heat_start_doy; // heating season start, day of year: 288
	                    // (Oct 15)
	int heat_end_doy; // heating season end, day of year: 120
	                  // (Apr 30)
	double base_w; // cold rooms, servers, safety lights: 1,300
	double lighting_w; // all lights on: 9,000 W
	double equipment_w; // computers, screens, boards: 3,500 W
	double ventilation_w; // air handling units: 2,500 W
	double kitchen_w; // canteen reheating and dish washing: 9,000
	                  // W
} sim_school;

// Fills *s with the defaults above (and the Lorient weather).
void sim_school_defaults(sim_school *s);

// Checks a school: INVALID_ARGUMENT naming the field for anything out of
// range; OK otherwise.
fed_status sim_school_check(const sim_school *s);

// Energy consumed in a slot, integer Wh, with the slot rules of
// sim_house_slot_wh.
fed_status sim_school_slot_wh(const sim_school *s, uint64_t seed,
    int64_t slot_start_ms, int64_t slot_ms, double *out_wh);

// n_slots consecutive slots, bit-identical to sim_school_slot_wh.
fed_status sim_school_fill_wh(const sim_school *s, uint64_t seed,
    int64_t start_ms, int64_t slot_ms, size_t n_slots, double *out_wh);

// ---- PV plant -----------------------------------------------------------

#define SIM_PV_MAX_INVERTERS 1024
#define SIM_PV_MAX_FAILURES  8

// An injected failure: inverter `inverter` produces 0 from `from_ms` on.
typedef struct sim_pv_failure {
	int inverter;
	int64_t from_ms;
} sim_pv_failure;

// A roof plant of micro-inverters, one panel each. Defaults: the Kermélo
// school roof, 60 Enphase M250 (250 W AC) under 270 Wp panels (16.2 kWc)
// tilted 30° facing south, commissioned on 2024-09-01.
typedef struct sim_pv {
	sim_weather weather;
	int n_inverters; // 60
	double panel_wp; // panel peak power: 270 Wp
	double inverter_max_w; // AC clipping: 250 W
	double inverter_eff; // DC to AC efficiency: 0.965
	double inverter_tare_w; // consumed below which output is 0: 1 W
	double tilt_deg; // 0 = flat .. 90 = vertical: 30
	double azimuth_deg; // the panels face: 180 = south
	double albedo; // ground reflectance: 0.2
	double temp_coeff_per_k; // Pmax coefficient: -0.0039 /K
	double noct_c; // nominal operating cell temp.: 45 °C
	double losses; // soiling, wiring, mismatch, ageing:
	               // 0.90
	double unit_spread; // per-inverter variation, +/-: 0.03
	int64_t commissioned_ms; // lifetime counters start: 2024-09-01
	size_t n_failures; // entries used in failures[]
	sim_pv_failure failures[SIM_PV_MAX_FAILURES];
} sim_pv;

// Fills *pv with the defaults above (and the Lorient weather), no failure.
void sim_pv_defaults(sim_pv *pv);

// Checks a plant: INVALID_ARGUMENT naming the field for anything out of
// range (no inverter, more than SIM_PV_MAX_INVERTERS, a failure naming an
// inverter that does not exist, a commissioning date off the 5-minute grid,
// ...); OK otherwise.
fed_status sim_pv_check(const sim_pv *pv);

// Peak DC power of the plant, kWc (n_inverters * panel_wp / 1000).
double sim_pv_peak_kwc(const sim_pv *pv);

// AC power of inverter `inverter` (0-based) at instant t_ms, W: 0 at night,
// never above inverter_max_w, 0 from its failure time on. INVALID_ARGUMENT
// for bad arguments.
fed_status sim_pv_inverter_w(const sim_pv *pv, uint64_t seed, int inverter,
    int64_t t_ms, double *out_w);

// Energy of every inverter over [slot_start_ms, slot_start_ms + slot_ms):
// out_wh[0..n_inverters), Wh, the integral of sim_pv_inverter_w (Simpson's
// rule on pieces of at most 5 minutes; a failure inside the slot is
// integrated up to its instant). Any slot_start_ms in range, slot_ms in
// 1..SIM_MAX_SLOT_MS; otherwise INVALID_ARGUMENT.
fed_status sim_pv_inverters_slot_wh(const sim_pv *pv, uint64_t seed,
    int64_t slot_start_ms, int64_t slot_ms, double *out_wh);

// Energy of the whole plant over the slot, Wh: the sum of the inverters'.
fed_status sim_pv_plant_slot_wh(const sim_pv *pv, uint64_t seed,
    int64_t slot_start_ms, int64_t slot_ms, double *out_wh);

// n_slots consecutive plant slots from start_ms, bit-identical to
// sim_pv_plant_slot_wh of each.
fed_status sim_pv_plant_fill_wh(const sim_pv *pv, uint64_t seed,
    int64_t start_ms, int64_t slot_ms, size_t n_slots, double *out_wh);

// Lifetime energy of every inverter at t_ms, as an Envoy reports it:
// out_wh[0..n_inverters), Wh produced since commissioned_ms (0 before).
// Costs one plant evaluation per 5 minutes since commissioning (a few tens
// of ms a year): compute it once, then add slots. INVALID_ARGUMENT for bad
// arguments.
fed_status sim_pv_lifetime_wh(
    const sim_pv *pv, uint64_t seed, int64_t t_ms, double *out_wh);

#endif // SIM_MODEL_H
