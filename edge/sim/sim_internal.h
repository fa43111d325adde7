// SPDX-License-Identifier: MIT
//
// sim_internal.h: what the model files of edge/sim share and nothing else
// calls: the counter-based hash, the local calendar, the per-day weather
// cache and the sun's position. Internal names are sim__<noun>_<verb>.

#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include <stdint.h>

#include "sim_model.h"

#define SIM__DAY_MS INT64_C(86400000)
#define SIM__PI     3.14159265358979323846

// Hash domains: one per model and per use, so that no two draws collide.
// The numbers are part of every output: renumbering one would change the
// history a simulator regenerates, so they are fixed.
enum sim__tag {
	SIM__TAG_TEMP = 1,
	SIM__TAG_CLOUD_DAY = 2,
	SIM__TAG_CLOUD_HOUR = 3,
	SIM__TAG_CLOUD_5MIN = 4,
	SIM__TAG_HOUSE_DAY = 5,
	SIM__TAG_HOUSE_SLOT = 6,
	SIM__TAG_HOUSE_ROUND = 7,
	SIM__TAG_HOUSE_YEAR = 8,
	SIM__TAG_SCHOOL_SLOT = 10,
	SIM__TAG_SCHOOL_ROUND = 11,
	SIM__TAG_PV_UNIT = 12,
};

// A 64-bit hash of (seed, tag, index): splitmix64's finaliser over a
// combination of the three. Pure; the basis of every random draw.
uint64_t sim__hash(uint64_t seed, uint64_t tag, int64_t index);

// Uniform in [0, 1) from (seed, tag, index, sub): `sub` picks one of
// several independent draws of the same index.
double sim__unif(uint64_t seed, uint64_t tag, int64_t index, unsigned sub);

// Approximately standard normal (Irwin-Hall of 4 uniforms, bounded by
// +/-3.46), from the same arguments as sim__unif.
double sim__gauss(uint64_t seed, uint64_t tag, int64_t index, unsigned sub);

// floor(a / b) for b > 0, also for negative a.
int64_t sim__floor_div(int64_t a, int64_t b);

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12).
int64_t sim__days_from_civil(int y, int m, int d);

// The Europe/Paris offset at t_ms (seconds), and the span [*from_ms,
// *to_ms) around t_ms during which it holds, for callers that walk time.
int32_t sim__paris_span(int64_t t_ms, int64_t *from_ms, int64_t *to_ms);

// A cache of the offset for walks: sim__offset_ms refreshes it only when
// t_ms leaves the span it holds.
typedef struct sim__offset_cache {
	int64_t from_ms, to_ms; // empty when from_ms > to_ms
	int64_t offset_ms;
} sim__offset_cache;

// Empties a cache.
void sim__offset_init(sim__offset_cache *c);

// The Europe/Paris offset at t_ms, in ms.
int64_t sim__offset_ms(sim__offset_cache *c, int64_t t_ms);

// Day of the week of day number `day` (days since 1970-01-01): 0 = Monday.
int sim__weekday(int64_t day);

// The local (Europe/Paris) view of an instant.
typedef struct sim__local {
	int64_t day; // local days since 1970-01-01
	double minute; // local minutes since local midnight, 0..1440
	int year, month, mday;
	int weekday; // 0 = Monday
	int doy; // day of year, 1..366
} sim__local;

// Fills *out with the local day, minute and civil date of t_ms.
void sim__local_at(int64_t t_ms, sim__local *out);

// The school kind of local day `day` with its civil fields.
sim_day_kind sim__day_kind(const sim__local *l);

// Whether day of year `doy` lies in the inclusive window from..to (wrapping
// past Dec 31 when from > to).
int sim__doy_in(int doy, int from, int to);

// Weather quantities that hold for one UTC day; a pure function of
// (weather, seed, day), cached by the callers that walk slots.
typedef struct sim__wx_day {
	int64_t day; // UTC days since epoch; INT64_MIN when empty
	double anom_c[3]; // temperature anomaly at noon of day-1, day, day+1
	double core3[3]; // cloud core (0 overcast .. 1 clear) of day-1,
	                 // day, day+1
	double kd; // mean clear-sky index of the day
	double var; // within-day cloud variability
} sim__wx_day;

// Empties a cache.
void sim__wx_init(sim__wx_day *c);

// The cached day `day`, refreshed when the cache holds another day.
const sim__wx_day *sim__wx_get(
    const sim_weather *w, uint64_t seed, sim__wx_day *c, int64_t day);

// Air temperature at t_ms (°C).
double sim__temp_c(
    const sim_weather *w, uint64_t seed, sim__wx_day *c, int64_t t_ms);

// Clear-sky index at t_ms, linear between 5-minute knots.
double sim__clearness(
    const sim_weather *w, uint64_t seed, sim__wx_day *c, int64_t t_ms);

// The sun at an instant: unit vector (east, north, up) and the extra-
// terrestrial correction.
typedef struct sim__sun {
	double east, north, up;
	double e0; // (r0/r)^2
} sim__sun;

// The sun seen from the weather's site at t_ms.
void sim__sun_at(const sim_weather *w, int64_t t_ms, sim__sun *out);

// Clear-sky irradiances for a sun above the horizon (W/m²).
typedef struct sim__irr {
	double dni, dhi, ghi;
} sim__irr;

// Irradiance under clear-sky index kc (0 when the sun is down).
void sim__irradiance(const sim__sun *s, double kc, sim__irr *out);

// Local sunrise and sunset of local day l, in local minutes.
void sim__sun_times(const sim_weather *w, const sim__local *l,
    double *rise_min, double *set_min);

// Logs "invalid <field>" and returns FED_INVALID_ARGUMENT.
fed_status sim__invalid(const char *field);

// INVALID_ARGUMENT (logged) unless v is finite and within [lo, hi].
fed_status sim__check_range(const char *field, double v, double lo, double hi);

// INVALID_ARGUMENT unless the load-slot rules hold (grid-aligned start,
// slot a positive multiple of SIM_SLOT_MS, n_slots slots within range).
fed_status sim__check_load_slots(
    int64_t start_ms, int64_t slot_ms, size_t n_slots);

// Stochastic rounding to an integer Wh, unbiased: floor(wh + u).
double sim__round_wh(double wh, double u);

#endif // SIM_INTERNAL_H
