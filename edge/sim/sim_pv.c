// SPDX-License-Identifier: MIT
//
// sim_pv.c: a roof plant of micro-inverters, one panel each.
//
// At an instant, the plant-wide DC power per Wp of panel comes from the
// sun's position, the clear-sky irradiance scaled by the clear-sky index
// (beam falling faster than the global under clouds), the plane-of-array
// transposition (beam with an incidence-angle modifier, isotropic diffuse,
// ground reflection, an urban horizon that hides the low sun), the cell
// temperature (NOCT model) and the Pmax temperature coefficient, and the
// plant's other losses. Each inverter scales it by its own factor (panel
// tolerance, mismatch: a hash of the seed and the inverter), converts with its
// efficiency less a small tare, and clips at its AC maximum. An injected
// failure forces an inverter to 0 from its instant on.
//
// Energies integrate that power with Simpson's rule on pieces of at most
// 5 minutes; the clear-sky index is piecewise linear on the 5-minute grid,
// so grid-aligned slots integrate it almost exactly.

#include <math.h>

#include "sim_internal.h"

#define IAM_B0 0.05 // ASHRAE incidence-angle modifier coefficient

typedef struct pv_ctx {
	const sim_pv *pv;
	uint64_t seed;
	sim__wx_day wx;
	double normal[3]; // panel normal (east, north, up)
	int64_t last_t; // last instant evaluated (INT64_MIN: none)
	double last_dc; // its DC W per Wp
	double gain[SIM_PV_MAX_INVERTERS]; // AC W per (DC W per Wp)
	int64_t fail_ms[SIM_PV_MAX_INVERTERS];
} pv_ctx;

void
sim_pv_defaults(sim_pv *pv)
{
	*pv = (sim_pv) {
	    .n_inverters = 60,
	    .panel_wp = 270,
	    .inverter_max_w = 250,
	    .inverter_eff = 0.965,
	    .inverter_tare_w = 1.0,
	    .tilt_deg = 30,
	    .azimuth_deg = 180,
	    .albedo = 0.2,
	    .temp_coeff_per_k = -0.0039,
	    .noct_c = 45,
	    .losses = 0.90,
	    .unit_spread = 0.03,
	    .commissioned_ms = INT64_C(1725141600000), // 2024-09-01 +02:00
	    .n_failures = 0,
	};
	sim_weather_defaults(&pv->weather);
}

static fed_status
check_failures(const sim_pv *pv)
{
	if (pv->n_failures > SIM_PV_MAX_FAILURES)
		return sim__invalid("pv.n_failures");
	for (size_t i = 0; i < pv->n_failures; i++) {
		const sim_pv_failure *f = &pv->failures[i];
		if (f->inverter < 0 || f->inverter >= pv->n_inverters)
			return sim__invalid("pv.failures[].inverter");
		if (f->from_ms < SIM_T_MIN_MS || f->from_ms >= SIM_T_MAX_MS)
			return sim__invalid("pv.failures[].from_ms");
	}
	return FED_OK;
}

fed_status
sim_pv_check(const sim_pv *pv)
{
	if (pv == NULL)
		return sim__invalid("pv (NULL)");
	FED_TRY(sim_weather_check(&pv->weather));
	if (pv->n_inverters < 1 || pv->n_inverters > SIM_PV_MAX_INVERTERS)
		return sim__invalid("pv.n_inverters");
	FED_TRY(sim__check_range("pv.panel_wp", pv->panel_wp, 1, 1000));
	FED_TRY(sim__check_range(
	    "pv.inverter_max_w", pv->inverter_max_w, 1, 10000));
	FED_TRY(sim__check_range("pv.inverter_eff", pv->inverter_eff, 0.5, 1));
	FED_TRY(sim__check_range(
	    "pv.inverter_tare_w", pv->inverter_tare_w, 0, 50));
	FED_TRY(sim__check_range("pv.tilt_deg", pv->tilt_deg, 0, 90));
	FED_TRY(sim__check_range("pv.azimuth_deg", pv->azimuth_deg, 0, 360));
	FED_TRY(sim__check_range("pv.albedo", pv->albedo, 0, 1));
	FED_TRY(sim__check_range(
	    "pv.temp_coeff_per_k", pv->temp_coeff_per_k, -0.02, 0));
	FED_TRY(sim__check_range("pv.noct_c", pv->noct_c, 20, 80));
	FED_TRY(sim__check_range("pv.losses", pv->losses, 0.5, 1));
	FED_TRY(sim__check_range("pv.unit_spread", pv->unit_spread, 0, 0.3));
	if (pv->commissioned_ms < SIM_T_MIN_MS
	    || pv->commissioned_ms >= SIM_T_MAX_MS
	    || pv->commissioned_ms % SIM_SLOT_MS != 0)
		return sim__invalid("pv.commissioned_ms");
	return check_failures(pv);
}

double
sim_pv_peak_kwc(const sim_pv *pv)
{
	return pv->n_inverters * pv->panel_wp / 1000;
}

static void
ctx_init(pv_ctx *c, const sim_pv *pv, uint64_t seed)
{
	c->pv = pv;
	c->seed = seed;
	c->last_t = INT64_MIN;
	sim__wx_init(&c->wx);
	double tilt = pv->tilt_deg * SIM__PI / 180;
	double az = pv->azimuth_deg * SIM__PI / 180;
	c->normal[0] = sin(tilt) * sin(az);
	c->normal[1] = sin(tilt) * cos(az);
	c->normal[2] = cos(tilt);
	for (int k = 0; k < pv->n_inverters; k++) {
		double u = sim__unif(seed, SIM__TAG_PV_UNIT, k, 0);
		double factor = 1 + pv->unit_spread * (2 * u - 1);
		c->gain[k] = pv->inverter_eff * pv->panel_wp * factor;
		c->fail_ms[k] = INT64_MAX;
	}
	for (size_t i = 0; i < pv->n_failures; i++) {
		const sim_pv_failure *f = &pv->failures[i];
		if (f->from_ms < c->fail_ms[f->inverter])
			c->fail_ms[f->inverter] = f->from_ms;
	}
}

// Irradiance on the panels, W/m².
static double
poa_w_m2(const pv_ctx *c, const sim__sun *s, const sim__irr *irr)
{
	const sim_pv *pv = c->pv;
	double cos_aoi = s->east * c->normal[0] + s->north * c->normal[1]
	    + s->up * c->normal[2];
	double beam = 0;
	if (cos_aoi > 0.01) {
		double iam = fmax(1 - IAM_B0 * (1 / cos_aoi - 1), 0);
		// Buildings, trees and the parapet hide the sun below 5°; it
		// is fully visible above 15°.
		double seen = fmin(fmax((s->up - 0.0872) / 0.1716, 0), 1);
		beam = irr->dni * cos_aoi * iam * seen;
	}
	double ct = c->normal[2];
	return beam + irr->dhi * (1 + ct) / 2
	    + irr->ghi * pv->albedo * (1 - ct) / 2;
}

// Plant DC power per Wp of panel at t_ms, before the inverters.
static double
dc_per_wp(pv_ctx *c, int64_t t_ms)
{
	if (t_ms == c->last_t)
		return c->last_dc;
	const sim_pv *pv = c->pv;
	sim__sun s;
	sim__irr irr;
	double dc = 0;
	sim__sun_at(&pv->weather, t_ms, &s);
	if (s.up > 0) {
		double kc
		    = sim__clearness(&pv->weather, c->seed, &c->wx, t_ms);
		sim__irradiance(&s, kc, &irr);
		double poa = poa_w_m2(c, &s, &irr);
		double t_air
		    = sim__temp_c(&pv->weather, c->seed, &c->wx, t_ms);
		double t_cell = t_air + poa * (pv->noct_c - 20) / 800;
		double derate = 1 + pv->temp_coeff_per_k * (t_cell - 25);
		dc = poa / 1000 * derate * pv->losses;
	}
	c->last_t = t_ms;
	c->last_dc = dc;
	return dc;
}

static double
unit_w(const pv_ctx *c, int k, double dc)
{
	const sim_pv *pv = c->pv;
	double ac = c->gain[k] * dc - pv->inverter_tare_w;
	// Plain comparisons: this is the innermost loop, and fmin/fmax are
	// library calls unless NaNs are ruled out.
	if (ac <= 0)
		return 0;
	return ac < pv->inverter_max_w ? ac : pv->inverter_max_w;
}

static double
simpson_wh(int64_t a, int64_t b, double pa, double pm, double pb)
{
	return (double) (b - a) / 3600000 * (pa + 4 * pm + pb) / 6;
}

// Energy of inverter k over [a, b), cut at its failure inside the piece.
static double
cut_piece_wh(pv_ctx *c, int k, int64_t a, int64_t b)
{
	b = c->fail_ms[k] < b ? c->fail_ms[k] : b;
	if (b <= a)
		return 0;
	int64_t m = a + (b - a) / 2;
	return simpson_wh(a, b, unit_w(c, k, dc_per_wp(c, a)),
	    unit_w(c, k, dc_per_wp(c, m)), unit_w(c, k, dc_per_wp(c, b)));
}

// Adds every inverter's energy over [a, b) (b - a <= 5 minutes) to acc[].
static void
add_piece(pv_ctx *c, int64_t a, int64_t b, double *acc)
{
	double da = dc_per_wp(c, a);
	double dm = dc_per_wp(c, a + (b - a) / 2);
	double db = dc_per_wp(c, b);
	if (da <= 0 && dm <= 0 && db <= 0)
		return;
	for (int k = 0; k < c->pv->n_inverters; k++) {
		if (c->fail_ms[k] <= a)
			continue;
		if (c->fail_ms[k] < b) {
			acc[k] += cut_piece_wh(c, k, a, b);
			continue;
		}
		acc[k] += simpson_wh(a, b, unit_w(c, k, da), unit_w(c, k, dm),
		    unit_w(c, k, db));
	}
}

static void
slot_wh(pv_ctx *c, int64_t t0, int64_t len, double *out)
{
	int64_t n = (len + SIM_SLOT_MS - 1) / SIM_SLOT_MS;
	for (int k = 0; k < c->pv->n_inverters; k++)
		out[k] = 0;
	for (int64_t i = 0; i < n; i++)
		add_piece(c, t0 + len * i / n, t0 + len * (i + 1) / n, out);
}

static fed_status
check_slot(int64_t start_ms, int64_t slot_ms, size_t n_slots)
{
	if (start_ms < SIM_T_MIN_MS || start_ms >= SIM_T_MAX_MS)
		return sim__invalid("slot start (out of range)");
	if (slot_ms <= 0 || slot_ms > SIM_MAX_SLOT_MS)
		return sim__invalid("slot_ms");
	if (n_slots > (uint64_t) ((SIM_T_MAX_MS - start_ms) / slot_ms))
		return sim__invalid("n_slots (past the year 2200)");
	return FED_OK;
}

fed_status
sim_pv_inverter_w(
    const sim_pv *pv, uint64_t seed, int inverter, int64_t t_ms, double *out_w)
{
	FED_TRY(sim_pv_check(pv));
	if (out_w == NULL)
		return sim__invalid("out_w (NULL)");
	if (inverter < 0 || inverter >= pv->n_inverters)
		return sim__invalid("inverter");
	if (t_ms < SIM_T_MIN_MS || t_ms >= SIM_T_MAX_MS)
		return sim__invalid("t_ms (out of range)");
	pv_ctx c;
	ctx_init(&c, pv, seed);
	*out_w = t_ms >= c.fail_ms[inverter]
	    ? 0
	    : unit_w(&c, inverter, dc_per_wp(&c, t_ms));
	return FED_OK;
}

fed_status
sim_pv_inverters_slot_wh(const sim_pv *pv, uint64_t seed,
    int64_t slot_start_ms, int64_t slot_ms, double *out_wh)
{
	FED_TRY(sim_pv_check(pv));
	FED_TRY(check_slot(slot_start_ms, slot_ms, 1));
	if (out_wh == NULL)
		return sim__invalid("out_wh (NULL)");
	pv_ctx c;
	ctx_init(&c, pv, seed);
	slot_wh(&c, slot_start_ms, slot_ms, out_wh);
	return FED_OK;
}

fed_status
sim_pv_plant_fill_wh(const sim_pv *pv, uint64_t seed, int64_t start_ms,
    int64_t slot_ms, size_t n_slots, double *out_wh)
{
	FED_TRY(sim_pv_check(pv));
	FED_TRY(check_slot(start_ms, slot_ms, n_slots));
	if (out_wh == NULL && n_slots > 0)
		return sim__invalid("out_wh (NULL)");
	pv_ctx c;
	double unit[SIM_PV_MAX_INVERTERS];
	ctx_init(&c, pv, seed);
	for (size_t i = 0; i < n_slots; i++) {
		slot_wh(&c, start_ms + (int64_t) i * slot_ms, slot_ms, unit);
		double sum = 0;
		for (int k = 0; k < pv->n_inverters; k++)
			sum += unit[k];
		out_wh[i] = sum;
	}
	return FED_OK;
}

fed_status
sim_pv_plant_slot_wh(const sim_pv *pv, uint64_t seed, int64_t slot_start_ms,
    int64_t slot_ms, double *out_wh)
{
	if (out_wh == NULL)
		return sim__invalid("out_wh (NULL)");
	return sim_pv_plant_fill_wh(
	    pv, seed, slot_start_ms, slot_ms, 1, out_wh);
}

fed_status
sim_pv_lifetime_wh(
    const sim_pv *pv, uint64_t seed, int64_t t_ms, double *out_wh)
{
	FED_TRY(sim_pv_check(pv));
	if (out_wh == NULL)
		return sim__invalid("out_wh (NULL)");
	if (t_ms < SIM_T_MIN_MS || t_ms >= SIM_T_MAX_MS)
		return sim__invalid("t_ms (out of range)");
	pv_ctx c;
	ctx_init(&c, pv, seed);
	for (int k = 0; k < pv->n_inverters; k++)
		out_wh[k] = 0;
	int64_t t = pv->commissioned_ms;
	for (; t + SIM_SLOT_MS <= t_ms; t += SIM_SLOT_MS)
		add_piece(&c, t, t + SIM_SLOT_MS, out_wh);
	if (t < t_ms)
		add_piece(&c, t, t_ms, out_wh);
	return FED_OK;
}
