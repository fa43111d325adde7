// SPDX-License-Identifier: MIT
//
// sim_house.c: a 4-person house in Brittany as its Linky sees it.
//
// The mean power over any window of a local day is the sum of:
// standby; a fridge-freezer compressor cycling on a fixed period (longer
// duty in summer); household activity following an hourly profile of the
// kind of day (work/school day, Wednesday, day at home, away) with 5-minute
// noise; lighting when people are up and the sun is down; the day's events
// (kettle, cooking, oven, washing machine, dryer, dish washer, vacuum
// cleaner, the water heater's night run), each placed by a hash of the day;
// and heating during the heating season, from the envelope losses, the set
// point of the hour and the outdoor temperature, divided by the heat pump's
// COP. A 5-minute slot's energy is rounded to an integer Wh without bias
// (floor(wh + u) with u drawn for the slot), as successive Linky index
// readings would give.
//
// Everything a day needs (its kind, events, sunrise and sunset) is computed
// once per local day and reused while a caller walks slots in order; the
// result does not depend on the walk, so a single slot and a year of slots
// agree bit for bit.

#include <math.h>

#include "sim_internal.h"

#define MAX_EVENTS        14
#define FRIDGE_PERIOD_MIN 42.0
#define HEAT_SEASON_START 274 // Oct 1
#define HEAT_SEASON_END   135 // May 15
#define MORNING_MIN       360 // comfort set point from 6:00
#define EVENING_MIN       1350 // to 22:30

enum profile {
	P_WORK,
	P_WED,
	P_HOME,
	P_AWAY
};

// Hourly activity (W, at the middle of each hour) and presence (share of
// the household up and at home), by profile.
static const double activity_w[4][24] = {
    {30, 20, 20, 20, 20, 30, 85, 225, 140, 40, 30, 30, 35, 30, 30, 35, 85, 155,
        210, 265, 280, 250, 170, 75},
    {30, 20, 20, 20, 20, 30, 85, 225, 140, 65, 65, 85, 180, 155, 140, 140, 155,
        180, 210, 265, 280, 250, 170, 75},
    {40, 30, 20, 20, 20, 20, 30, 65, 155, 210, 195, 195, 225, 180, 155, 155,
        170, 195, 225, 280, 295, 265, 195, 105},
    {0},
};
static const double presence[4][24] = {
    {0.05, 0, 0, 0, 0, 0.1, 0.8, 1, 0.6, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05,
        0.05, 0.6, 1, 1, 1, 1, 1, 0.8, 0.3},
    {0.05, 0, 0, 0, 0, 0.1, 0.8, 1, 0.6, 0.05, 0.05, 0.05, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 0.8, 0.3},
    {0.2, 0.05, 0, 0, 0, 0, 0.1, 0.4, 0.9, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 0.9, 0.5},
    {0},
};

typedef struct event {
	double start_min, dur_min, w;
	int motor; // drawn by a motor (power factor < 1) rather than a heater
} event;

typedef struct house_day {
	int64_t day; // local day number; INT64_MIN when empty
	int profile;
	int heat_season;
	double rise_min, set_min;
	double fridge_duty;
	size_t n_ev;
	event ev[MAX_EVENTS];
} house_day;

typedef struct house_ctx {
	const sim_house *h;
	uint64_t seed;
	house_day d;
	sim__wx_day wx;
	sim__offset_cache off;
} house_ctx;

// Mean powers over a window, by power factor class.
typedef struct mix {
	double res, motor, hp, elec;
} mix;

void
sim_house_defaults(sim_house *h)
{
	*h = (sim_house) {
	    .heating = SIM_HEATING_HEAT_PUMP,
	    .heat_loss_w_per_k = 180,
	    .comfort_c = 19.5,
	    .night_c = 17.5,
	    .standby_w = 70,
	    .fridge_w = 110,
	    .activity_w = 1.0,
	    .lighting_w = 180,
	    .dhw_kwh_per_day = 3.5,
	    .dhw_w = 2200,
	    .away_days = 14,
	    .index_origin_ms = INT64_C(1704063600000),
	    .index_origin_wh = 21000000,
	};
	sim_weather_defaults(&h->weather);
}

fed_status
sim_house_check(const sim_house *h)
{
	if (h == NULL)
		return sim__invalid("house (NULL)");
	FED_TRY(sim_weather_check(&h->weather));
	if ((int) h->heating < SIM_HEATING_HEAT_PUMP
	    || (int) h->heating > SIM_HEATING_OTHER)
		return sim__invalid("house.heating");
	FED_TRY(sim__check_range(
	    "house.heat_loss_w_per_k", h->heat_loss_w_per_k, 0, 5000));
	FED_TRY(sim__check_range("house.comfort_c", h->comfort_c, 5, 28));
	FED_TRY(sim__check_range("house.night_c", h->night_c, 5, 28));
	FED_TRY(sim__check_range("house.standby_w", h->standby_w, 0, 5000));
	FED_TRY(sim__check_range("house.fridge_w", h->fridge_w, 0, 2000));
	FED_TRY(sim__check_range("house.activity_w", h->activity_w, 0, 20));
	FED_TRY(sim__check_range("house.lighting_w", h->lighting_w, 0, 5000));
	FED_TRY(sim__check_range(
	    "house.dhw_kwh_per_day", h->dhw_kwh_per_day, 0, 50));
	FED_TRY(sim__check_range("house.dhw_w", h->dhw_w, 500, 12000));
	FED_TRY(sim__check_range("house.away_days", h->away_days, 0, 60));
	if (h->index_origin_ms < SIM_T_MIN_MS
	    || h->index_origin_ms >= SIM_T_MAX_MS
	    || h->index_origin_ms % SIM_SLOT_MS != 0)
		return sim__invalid("house.index_origin_ms");
	return sim__check_range(
	    "house.index_origin_wh", h->index_origin_wh, 0, 1e12);
}

static double
day_u(const house_ctx *c, unsigned sub)
{
	return sim__unif(c->seed, SIM__TAG_HOUSE_DAY, c->d.day, sub);
}

// The family leaves on a Saturday between Jul 20 and Aug 9.
static int
is_away(const house_ctx *c, const sim__local *l)
{
	if (c->h->away_days == 0)
		return 0;
	int64_t jul20 = sim__days_from_civil(l->year, 7, 20);
	int64_t sat = jul20 + (5 - sim__weekday(jul20) + 7) % 7;
	uint64_t pick = sim__hash(c->seed, SIM__TAG_HOUSE_YEAR, l->year) % 3;
	int64_t start = sat + 7 * (int64_t) pick;
	return l->day >= start && l->day < start + c->h->away_days;
}

static int
day_profile(const house_ctx *c, const sim__local *l)
{
	if (is_away(c, l))
		return P_AWAY;
	switch (sim__day_kind(l)) {
	case SIM_DAY_SCHOOL:
		return P_WORK;
	case SIM_DAY_WEDNESDAY:
		return P_WED;
	default:
		return P_HOME;
	}
}

static void
add_event(house_day *d, double start, double dur, double w, int motor)
{
	if (d->n_ev < MAX_EVENTS && dur > 0 && w > 0)
		d->ev[d->n_ev++] = (event) {start, dur, w, motor};
}

static void
plan_meals(house_ctx *c)
{
	house_day *d = &c->d;
	int home = d->profile == P_HOME;
	double bfast = (home ? 500 : 400) + 40 * day_u(c, 1);
	add_event(d, bfast, 4, 2000, 0);
	add_event(d, bfast + 10, 3, 1200, 0);
	if (home || d->profile == P_WED || day_u(c, 2) < 0.2)
		add_event(
		    d, 700 + 40 * day_u(c, 3), 15 + 10 * day_u(c, 4), 1500, 0);
	double dinner = (home ? 1150 : 1130) + 40 * (day_u(c, 5) - 0.5);
	add_event(d, dinner, 25 + 15 * day_u(c, 6), 1800, 0);
	if (day_u(c, 7) < (home ? 0.6 : 0.3))
		add_event(d, dinner - 15, 45, 1500, 0);
}

static void
plan_chores(house_ctx *c, double winter)
{
	house_day *d = &c->d;
	int home = d->profile == P_HOME;
	if (day_u(c, 8) < (home ? 0.7 : 0.5)) {
		double start
		    = home ? 600 + 120 * day_u(c, 9) : 1230 + 60 * day_u(c, 9);
		add_event(d, start, 12, 2000, 0);
		add_event(d, start + 12, 75, 180, 1);
		if (day_u(c, 10) < 0.1 + 0.45 * winter)
			add_event(d, start + 95, 60, 2300, 0);
	}
	if (day_u(c, 11) < 0.85) {
		double start = 1290 + 30 * day_u(c, 12);
		add_event(d, start, 15, 2000, 0);
		add_event(d, start + 15, 50, 90, 1);
		add_event(d, start + 65, 10, 2000, 0);
	}
	if (home && day_u(c, 13) < 0.4)
		add_event(d, 570 + 120 * day_u(c, 14), 20, 1400, 1);
}

// The water heater runs from about 1:00 until the day's need is met.
static void
plan_hot_water(house_ctx *c, double winter)
{
	const sim_house *h = c->h;
	if (h->dhw_kwh_per_day <= 0)
		return;
	double kwh = h->dhw_kwh_per_day * (0.82 + 0.36 * winter)
	    * (0.85 + 0.3 * day_u(c, 15));
	double dur = fmin(kwh * 1000 / h->dhw_w * 60, 300);
	add_event(&c->d, 60 + 10 * day_u(c, 16), dur, h->dhw_w, 0);
}

// 1 at the coldest normal day, 0 at the warmest.
static double
winterness(const sim_house *h, int doy)
{
	double a = 2 * SIM__PI * (doy - h->weather.coldest_doy) / 365.2422;
	return 0.5 + 0.5 * cos(a);
}

static void
plan_day(house_ctx *c, int64_t t_ms)
{
	sim__local l;
	sim__local_at(t_ms, &l);
	house_day *d = &c->d;
	d->day = l.day;
	d->n_ev = 0;
	d->profile = day_profile(c, &l);
	d->heat_season
	    = sim__doy_in(l.doy, HEAT_SEASON_START, HEAT_SEASON_END);
	sim__sun_times(&c->h->weather, &l, &d->rise_min, &d->set_min);
	double winter = winterness(c->h, l.doy);
	d->fridge_duty = 0.38 - 0.1 * winter;
	if (d->profile == P_AWAY)
		return;
	plan_meals(c);
	plan_chores(c, winter);
	plan_hot_water(c, winter);
}

static double
hourly(const double v[24], double minute)
{
	double x = minute / 60 - 0.5;
	int i0 = (int) floor(x);
	double fr = x - i0;
	double a = v[(i0 + 24) % 24], b = v[(i0 + 1) % 24];
	return a + (b - a) * fr;
}

// The walk over a year runs this for every slot: plain comparisons rather
// than fmin/fmax, which are library calls unless NaNs are ruled out.
static double
clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

// Mean power of the day's events over local minutes [m0, m1).
static void
add_events(const house_day *d, double m0, double m1, mix *x)
{
	double res = 0, motor = 0;
	for (size_t i = 0; i < d->n_ev; i++) {
		const event *e = &d->ev[i];
		double end = e->start_min + e->dur_min;
		double lo = m0 > e->start_min ? m0 : e->start_min;
		double hi = m1 < end ? m1 : end;
		if (hi <= lo)
			continue;
		if (e->motor)
			motor += e->w * (hi - lo);
		else
			res += e->w * (hi - lo);
	}
	x->res += res / (m1 - m0);
	x->motor += motor / (m1 - m0);
}

// Share of [t0, t1) (minutes since epoch) the compressor runs.
static double
fridge_share(const house_ctx *c, double t0, double t1)
{
	double phase = sim__unif(c->seed, SIM__TAG_HOUSE_YEAR, -1, 0);
	double on = c->d.fridge_duty * FRIDGE_PERIOD_MIN;
	double a = t0 / FRIDGE_PERIOD_MIN + phase,
	       b = t1 / FRIDGE_PERIOD_MIN + phase;
	double fa
	    = floor(a) * on + clamp((a - floor(a)) * FRIDGE_PERIOD_MIN, 0, on);
	double fb
	    = floor(b) * on + clamp((b - floor(b)) * FRIDGE_PERIOD_MIN, 0, on);
	return (fb - fa) / (t1 - t0);
}

static double
darkness(const house_day *d, double m)
{
	double morning = (d->rise_min + 30 - m) / 60;
	double evening = (m - (d->set_min - 30)) / 60;
	return clamp(morning > evening ? morning : evening, 0, 1);
}

static double
set_point(const house_ctx *c, double m)
{
	if (c->d.profile == P_AWAY)
		return 12;
	if (m >= MORNING_MIN && m < EVENING_MIN)
		return c->h->comfort_c;
	return c->h->night_c;
}

// Heating demand at mid-window instant t_ms, into the right class.
static void
add_heating(house_ctx *c, int64_t t_ms, double m, mix *x, double u)
{
	const sim_house *h = c->h;
	if (!c->d.heat_season || h->heat_loss_w_per_k <= 0)
		return;
	double gains = c->d.profile == P_AWAY ? 0.5 : 2.5;
	double t_out = sim__temp_c(&h->weather, c->seed, &c->wx, t_ms);
	double need = h->heat_loss_w_per_k * (set_point(c, m) - gains - t_out);
	if (need <= 0)
		return;
	double mod = 0.85 + 0.3 * u;
	if (h->heating == SIM_HEATING_HEAT_PUMP) {
		double cop = clamp(3.0 + 0.085 * (t_out - 7), 1.8, 4.6);
		x->hp += need / cop * mod;
	} else if (h->heating == SIM_HEATING_ELECTRIC) {
		x->res += need * mod;
	} else {
		x->elec += 60;
	}
}

// Mean powers over [t0_ms, t1_ms), a window inside one local day and one
// 5-minute slot; m0 is the local minute of t0_ms.
static void
house_mix(house_ctx *c, int64_t t0_ms, int64_t t1_ms, double m0, mix *x)
{
	const sim_house *h = c->h;
	const house_day *d = &c->d;
	int64_t j = sim__floor_div(t0_ms, SIM_SLOT_MS);
	double len = (double) (t1_ms - t0_ms) / 60000, m1 = m0 + len;
	double mid = m0 + len / 2;
	*x = (mix) {0, 0, 0, 0};
	x->motor = h->fridge_w
	    * fridge_share(c, (double) t0_ms / 60000, (double) t1_ms / 60000);
	double away = d->profile == P_AWAY ? 0.8 : 1.0;
	x->elec = h->standby_w * away
	    * (0.93 + 0.14 * sim__unif(c->seed, SIM__TAG_HOUSE_SLOT, j, 0));
	x->elec += h->activity_w * hourly(activity_w[d->profile], mid)
	    * (0.7 + 0.6 * sim__unif(c->seed, SIM__TAG_HOUSE_SLOT, j, 1));
	x->elec += h->lighting_w * hourly(presence[d->profile], mid)
	    * darkness(d, mid);
	add_events(d, m0, m1, x);
	add_heating(c, t0_ms + (t1_ms - t0_ms) / 2, mid, x,
	    sim__unif(c->seed, SIM__TAG_HOUSE_SLOT, j, 2));
}

static void
ctx_init(house_ctx *c, const sim_house *h, uint64_t seed)
{
	c->h = h;
	c->seed = seed;
	c->d.day = INT64_MIN;
	sim__wx_init(&c->wx);
	sim__offset_init(&c->off);
}

// Local minute of t_ms, with the day's plan refreshed when t_ms is in
// another local day.
static double
ctx_minute(house_ctx *c, int64_t t_ms)
{
	int64_t lt = t_ms + sim__offset_ms(&c->off, t_ms);
	int64_t day = sim__floor_div(lt, SIM__DAY_MS);
	if (day != c->d.day)
		plan_day(c, t_ms);
	return (double) (lt - day * SIM__DAY_MS) / 60000;
}

// Integer Wh of the 5-minute slot starting at t_ms.
static double
slot5_wh(house_ctx *c, int64_t t_ms)
{
	mix x;
	house_mix(c, t_ms, t_ms + SIM_SLOT_MS, ctx_minute(c, t_ms), &x);
	double wh = (x.res + x.motor + x.hp + x.elec) / 12;
	int64_t j = t_ms / SIM_SLOT_MS;
	return sim__round_wh(
	    wh, sim__unif(c->seed, SIM__TAG_HOUSE_ROUND, j, 0));
}

static double
sum_slots(house_ctx *c, int64_t start_ms, int64_t n5)
{
	double sum = 0;
	for (int64_t k = 0; k < n5; k++)
		sum += slot5_wh(c, start_ms + k * SIM_SLOT_MS);
	return sum;
}

fed_status
sim_house_fill_wh(const sim_house *h, uint64_t seed, int64_t start_ms,
    int64_t slot_ms, size_t n_slots, double *out_wh)
{
	FED_TRY(sim_house_check(h));
	FED_TRY(sim__check_load_slots(start_ms, slot_ms, n_slots));
	if (out_wh == NULL && n_slots > 0)
		return sim__invalid("out_wh (NULL)");
	house_ctx c;
	ctx_init(&c, h, seed);
	for (size_t i = 0; i < n_slots; i++)
		out_wh[i] = sum_slots(&c, start_ms + (int64_t) i * slot_ms,
		    slot_ms / SIM_SLOT_MS);
	return FED_OK;
}

fed_status
sim_house_slot_wh(const sim_house *h, uint64_t seed, int64_t slot_start_ms,
    int64_t slot_ms, double *out_wh)
{
	if (out_wh == NULL)
		return sim__invalid("out_wh (NULL)");
	return sim_house_fill_wh(h, seed, slot_start_ms, slot_ms, 1, out_wh);
}

fed_status
sim_house_index_wh(
    const sim_house *h, uint64_t seed, int64_t t_ms, double *out_wh)
{
	FED_TRY(sim_house_check(h));
	if (out_wh == NULL)
		return sim__invalid("out_wh (NULL)");
	if (t_ms < SIM_T_MIN_MS || t_ms >= SIM_T_MAX_MS)
		return sim__invalid("t_ms (out of range)");
	if (t_ms < h->index_origin_ms)
		return FED_OUT_OF_RANGE;
	house_ctx c;
	ctx_init(&c, h, seed);
	int64_t n5 = (t_ms - h->index_origin_ms) / SIM_SLOT_MS;
	*out_wh = h->index_origin_wh + sum_slots(&c, h->index_origin_ms, n5);
	return FED_OK;
}

fed_status
sim_house_va(const sim_house *h, uint64_t seed, int64_t t_ms, double *out_va)
{
	FED_TRY(sim_house_check(h));
	if (out_va == NULL)
		return sim__invalid("out_va (NULL)");
	if (t_ms < SIM_T_MIN_MS || t_ms >= SIM_T_MAX_MS - 1000)
		return sim__invalid("t_ms (out of range)");
	house_ctx c;
	ctx_init(&c, h, seed);
	mix x;
	house_mix(&c, t_ms, t_ms + 1000, ctx_minute(&c, t_ms), &x);
	// tan(acos(pf)) for motors (0.75), the heat pump (0.95), electronics
	// (0.7).
	double p = x.res + x.motor + x.hp + x.elec;
	double q = 0.882 * x.motor + 0.329 * x.hp + 1.020 * x.elec;
	*out_va = round(sqrt(p * p + q * q));
	return FED_OK;
}
