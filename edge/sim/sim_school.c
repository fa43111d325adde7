// SPDX-License-Identifier: MIT
//
// sim_school.c: the Kermélo primary school in Lorient, as its meter sees
// it.
//
// The mean power of a 5-minute slot is the base load (cold rooms, network,
// safety lighting), plus what the occupancy of the moment drives: lights
// (dimmed by daylight: the brighter the sky, the fewer lights on), screens
// and computers, the air handling units on their schedule, the satellite
// canteen's reheating and dish washing on full school days; plus heating in
// the heating season, from the envelope losses and the set point of the
// hour (comfort while occupied with a morning boost, reduced on nights and
// weekends in term, frost protection in the holidays) divided by the heat
// pump's COP. Wednesday is a morning; weekends, public holidays and the
// zone B school holidays run on the base load. The slot's energy is
// rounded to an integer Wh without bias, as for the house.

#include <math.h>

#include "sim_internal.h"

#define BOOST_FACTOR 1.4

// A window of a day's schedule, local minutes, and its level (0..1).
typedef struct window {
	double from, to, level;
} window;

// Occupancy of a full school day and of a Wednesday.
static const window occ_full[] = {{450, 510, 0.25}, {510, 705, 1.0},
    {705, 810, 0.6}, {810, 990, 1.0}, {990, 1110, 0.25}, {1110, 1170, 0.2}};
static const window occ_wed[]
    = {{450, 510, 0.25}, {510, 705, 1.0}, {705, 750, 0.25}, {750, 840, 0.2}};
// The canteen of a full school day: reheating, service, dish washing.
static const window kitchen_full[]
    = {{645, 720, 0.8}, {705, 795, 0.4}, {780, 855, 0.7}};

typedef struct school_ctx {
	const sim_school *s;
	uint64_t seed;
	int64_t day; // local day of kind/heat_season; INT64_MIN when empty
	sim_day_kind kind;
	int heat_season;
	sim__wx_day wx;
	sim__offset_cache off;
} school_ctx;

void
sim_school_defaults(sim_school *s)
{
	*s = (sim_school) {
	    .heating = SIM_HEATING_HEAT_PUMP,
	    .heat_loss_w_per_k = 1000,
	    .comfort_c = 19,
	    .reduced_c = 13,
	    .frost_c = 10,
	    .heat_start_doy = 288,
	    .heat_end_doy = 120,
	    .base_w = 1300,
	    .lighting_w = 9000,
	    .equipment_w = 3500,
	    .ventilation_w = 2500,
	    .kitchen_w = 9000,
	};
	sim_weather_defaults(&s->weather);
}

fed_status
sim_school_check(const sim_school *s)
{
	if (s == NULL)
		return sim__invalid("school (NULL)");
	FED_TRY(sim_weather_check(&s->weather));
	if ((int) s->heating < SIM_HEATING_HEAT_PUMP
	    || (int) s->heating > SIM_HEATING_OTHER)
		return sim__invalid("school.heating");
	FED_TRY(sim__check_range(
	    "school.heat_loss_w_per_k", s->heat_loss_w_per_k, 0, 50000));
	FED_TRY(sim__check_range("school.comfort_c", s->comfort_c, 5, 28));
	FED_TRY(sim__check_range("school.reduced_c", s->reduced_c, 0, 28));
	FED_TRY(sim__check_range("school.frost_c", s->frost_c, 0, 28));
	FED_TRY(sim__check_range(
	    "school.heat_start_doy", s->heat_start_doy, 1, 366));
	FED_TRY(
	    sim__check_range("school.heat_end_doy", s->heat_end_doy, 1, 366));
	FED_TRY(sim__check_range("school.base_w", s->base_w, 0, 1e6));
	FED_TRY(sim__check_range("school.lighting_w", s->lighting_w, 0, 1e6));
	FED_TRY(
	    sim__check_range("school.equipment_w", s->equipment_w, 0, 1e6));
	FED_TRY(sim__check_range(
	    "school.ventilation_w", s->ventilation_w, 0, 1e6));
	return sim__check_range("school.kitchen_w", s->kitchen_w, 0, 1e6);
}

static double
overlap(double a0, double a1, double b0, double b1)
{
	return fmax(fmin(a1, b1) - fmax(a0, b0), 0);
}

// Mean level of a schedule over local minutes [m0, m1).
static double
level(const window *w, size_t n, double m0, double m1)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += w[i].level * overlap(m0, m1, w[i].from, w[i].to);
	return sum / (m1 - m0);
}

#define LEVEL(tab, m0, m1) level(tab, sizeof tab / sizeof tab[0], m0, m1)

static double
occupancy(const school_ctx *c, double m0, double m1)
{
	if (c->kind == SIM_DAY_SCHOOL)
		return LEVEL(occ_full, m0, m1);
	if (c->kind == SIM_DAY_WEDNESDAY)
		return LEVEL(occ_wed, m0, m1);
	return 0;
}

// Share of the lights on: all of them under a dark sky, a third in full
// daylight.
static double
light_share(school_ctx *c, int64_t t_ms)
{
	const sim_weather *w = &c->s->weather;
	sim__sun sun;
	sim__irr irr;
	sim__sun_at(w, t_ms, &sun);
	sim__irradiance(&sun, sim__clearness(w, c->seed, &c->wx, t_ms), &irr);
	return 1 - 0.65 * fmin(irr.ghi / 350, 1);
}

static double
ventilation_share(const school_ctx *c, double m0, double m1)
{
	double on = 0;
	if (c->kind == SIM_DAY_SCHOOL)
		on = overlap(m0, m1, 420, 1080) / (m1 - m0);
	else if (c->kind == SIM_DAY_WEDNESDAY)
		on = overlap(m0, m1, 420, 780) / (m1 - m0);
	return 0.1 + 0.9 * on;
}

// Set point and internal gains for local minute m.
static double
set_point(const school_ctx *c, double m, double *boost)
{
	const sim_school *s = c->s;
	*boost = 1;
	double end = c->kind == SIM_DAY_SCHOOL ? 990
	    : c->kind == SIM_DAY_WEDNESDAY     ? 750
	                                       : -1;
	if (end > 0 && m >= 360 && m < end) {
		if (m < 450)
			*boost = BOOST_FACTOR;
		return s->comfort_c;
	}
	if (c->kind == SIM_DAY_SCHOOL_HOLIDAY)
		return s->frost_c;
	return s->reduced_c;
}

static double
heating_w(school_ctx *c, int64_t t_ms, double m, double occ, double u)
{
	const sim_school *s = c->s;
	if (!c->heat_season || s->heat_loss_w_per_k <= 0)
		return 0;
	double boost;
	double target = set_point(c, m, &boost);
	double t_out = sim__temp_c(&s->weather, c->seed, &c->wx, t_ms);
	double need = s->heat_loss_w_per_k
	    * (target - (0.5 + 2.5 * occ) - t_out) * boost;
	if (need <= 0)
		return 0;
	double mod = 0.85 + 0.3 * u;
	if (s->heating == SIM_HEATING_HEAT_PUMP)
		return need / fmin(fmax(3.0 + 0.085 * (t_out - 7), 1.8), 4.6)
		    * mod;
	if (s->heating == SIM_HEATING_ELECTRIC)
		return need * mod;
	return 400; // boiler burner, pumps and controls
}

static double
ctx_minute(school_ctx *c, int64_t t_ms)
{
	int64_t lt = t_ms + sim__offset_ms(&c->off, t_ms);
	int64_t day = sim__floor_div(lt, SIM__DAY_MS);
	if (day != c->day) {
		sim__local l;
		sim__local_at(t_ms, &l);
		c->day = day;
		c->kind = sim__day_kind(&l);
		c->heat_season = sim__doy_in(
		    l.doy, c->s->heat_start_doy, c->s->heat_end_doy);
	}
	return (double) (lt - day * SIM__DAY_MS) / 60000;
}

// Integer Wh of the 5-minute slot starting at t_ms.
static double
slot5_wh(school_ctx *c, int64_t t_ms)
{
	const sim_school *s = c->s;
	double m0 = ctx_minute(c, t_ms), m1 = m0 + 5;
	int64_t j = t_ms / SIM_SLOT_MS, mid = t_ms + SIM_SLOT_MS / 2;
	double u0 = sim__unif(c->seed, SIM__TAG_SCHOOL_SLOT, j, 0);
	double u1 = sim__unif(c->seed, SIM__TAG_SCHOOL_SLOT, j, 1);
	double occ = occupancy(c, m0, m1);
	double w = s->base_w * (0.95 + 0.1 * u0);
	w += s->ventilation_w * ventilation_share(c, m0, m1);
	if (occ > 0) {
		double busy = occ * (0.9 + 0.2 * u1);
		w += busy
		    * (s->lighting_w * light_share(c, mid) + s->equipment_w);
	}
	if (c->kind == SIM_DAY_SCHOOL)
		w += s->kitchen_w * LEVEL(kitchen_full, m0, m1)
		    * (0.8 + 0.4 * u1);
	w += heating_w(c, mid, m0 + 2.5, occ,
	    sim__unif(c->seed, SIM__TAG_SCHOOL_SLOT, j, 2));
	return sim__round_wh(
	    w / 12, sim__unif(c->seed, SIM__TAG_SCHOOL_ROUND, j, 0));
}

fed_status
sim_school_fill_wh(const sim_school *s, uint64_t seed, int64_t start_ms,
    int64_t slot_ms, size_t n_slots, double *out_wh)
{
	FED_TRY(sim_school_check(s));
	FED_TRY(sim__check_load_slots(start_ms, slot_ms, n_slots));
	if (out_wh == NULL && n_slots > 0)
		return sim__invalid("out_wh (NULL)");
	school_ctx c = {.s = s, .seed = seed, .day = INT64_MIN};
	sim__wx_init(&c.wx);
	sim__offset_init(&c.off);
	int64_t n5 = slot_ms / SIM_SLOT_MS;
	for (size_t i = 0; i < n_slots; i++) {
		int64_t t = start_ms + (int64_t) i * slot_ms;
		double sum = 0;
		for (int64_t k = 0; k < n5; k++)
			sum += slot5_wh(&c, t + k * SIM_SLOT_MS);
		out_wh[i] = sum;
	}
	return FED_OK;
}

fed_status
sim_school_slot_wh(const sim_school *s, uint64_t seed, int64_t slot_start_ms,
    int64_t slot_ms, double *out_wh)
{
	if (out_wh == NULL)
		return sim__invalid("out_wh (NULL)");
	return sim_school_fill_wh(s, seed, slot_start_ms, slot_ms, 1, out_wh);
}
