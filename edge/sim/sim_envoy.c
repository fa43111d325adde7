// SPDX-License-Identifier: MIT
//
// sim_envoy.c: the plant as an Envoy's JSON replies; see sim_envoy.h.

#include "sim_envoy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fed/log.h"

#define DAY_MS INT64_C(86400000)

fed_status
sim_envoy_init(sim_envoy *e, const sim_pv *pv, uint64_t seed)
{
	if (e == NULL || pv == NULL) {
		fed_log(FED_LOG_ERR, "sim", "envoy: NULL state or plant");
		return FED_INVALID_ARGUMENT;
	}
	FED_TRY(sim_pv_check(pv));
	memset(e, 0, sizeof(*e));
	e->pv = pv;
	e->seed = seed;
	return FED_OK;
}

void
sim_envoy_serial(int k, char out[SIM_ENVOY_SERIAL_LEN + 1])
{
	char tmp[32];
	snprintf(tmp, sizeof(tmp), "1215%08d", (k + 1) % 100000000);
	memcpy(out, tmp, SIM_ENVOY_SERIAL_LEN);
	out[SIM_ENVOY_SERIAL_LEN] = '\0';
}

// Local midnight (Europe/Paris) of the day holding t_ms.
static int64_t
local_midnight(int64_t t_ms)
{
	int64_t off = sim_paris_offset_s(t_ms) * INT64_C(1000);
	int64_t local = t_ms + off;
	int64_t m = local - ((local % DAY_MS) + DAY_MS) % DAY_MS - off;
	return m < SIM_T_MIN_MS ? SIM_T_MIN_MS : m;
}

// The plant's energy over [from, to), 0 for an empty span or one before
// commissioning.
static fed_status
plant_wh(const sim_envoy *e, int64_t from, int64_t to, double *wh)
{
	if (from < e->pv->commissioned_ms)
		from = e->pv->commissioned_ms;
	*wh = 0;
	if (to <= from)
		return FED_OK;
	return sim_pv_plant_slot_wh(e->pv, e->seed, from, to - from, wh);
}

// Powers, maxima and the daily counters at the boundary at_ms.
static fed_status
refresh(sim_envoy *e)
{
	for (int k = 0; k < e->pv->n_inverters; k++) {
		double w = 0;
		FED_TRY(sim_pv_inverter_w(e->pv, e->seed, k, e->at_ms, &w));
		e->watts[k] = (int32_t) lround(w);
		if (e->watts[k] > e->max_watts[k])
			e->max_watts[k] = e->watts[k];
	}
	FED_TRY(plant_wh(e, local_midnight(e->at_ms), e->at_ms, &e->wh_today));
	return plant_wh(e, e->at_ms - 7 * DAY_MS, e->at_ms, &e->wh_seven_days);
}

fed_status
sim_envoy_advance(sim_envoy *e, int64_t t_ms)
{
	if (e == NULL || e->pv == NULL || t_ms < SIM_T_MIN_MS
	    || t_ms >= SIM_T_MAX_MS) {
		fed_log(FED_LOG_ERR, "sim", "envoy: bad state or t_ms");
		return FED_INVALID_ARGUMENT;
	}
	int64_t b = t_ms / SIM_SLOT_MS * SIM_SLOT_MS;
	if (e->at_ms == 0 || b < e->at_ms) {
		FED_TRY(sim_pv_lifetime_wh(e->pv, e->seed, b, e->lifetime_wh));
		e->at_ms = b;
		return refresh(e);
	}
	if (b == e->at_ms)
		return FED_OK;
	double slot[SIM_PV_MAX_INVERTERS];
	for (; e->at_ms < b; e->at_ms += SIM_SLOT_MS) {
		if (e->at_ms < e->pv->commissioned_ms)
			continue; // lifetime counters start at commissioning
		FED_TRY(sim_pv_inverters_slot_wh(
		    e->pv, e->seed, e->at_ms, SIM_SLOT_MS, slot));
		for (int k = 0; k < e->pv->n_inverters; k++)
			e->lifetime_wh[k] += slot[k];
	}
	return refresh(e);
}

static double
site_lifetime(const sim_envoy *e)
{
	double sum = 0;
	for (int k = 0; k < e->pv->n_inverters; k++)
		sum += e->lifetime_wh[k];
	return round(sum);
}

static double
site_watts(const sim_envoy *e)
{
	double sum = 0;
	for (int k = 0; k < e->pv->n_inverters; k++)
		sum += e->watts[k];
	return sum;
}

// Prints and frees root into *out.
static fed_status
print(cJSON *root, char **out)
{
	*out = root != NULL ? cJSON_PrintUnformatted(root) : NULL;
	cJSON_Delete(root);
	return *out != NULL ? FED_OK : FED_RESOURCE_EXHAUSTED;
}

static fed_status
check(const sim_envoy *e, char **out)
{
	if (e == NULL || out == NULL || e->pv == NULL || e->at_ms == 0) {
		fed_log(FED_LOG_ERR, "sim", "envoy: state never advanced");
		return FED_INVALID_ARGUMENT;
	}
	return FED_OK;
}

fed_status
sim_envoy_api_production(const sim_envoy *e, char **out)
{
	FED_TRY(check(e, out));
	cJSON *root = cJSON_CreateObject();
	if (root != NULL
	    && (!cJSON_AddNumberToObject(
	            root, "wattHoursToday", round(e->wh_today))
	        || !cJSON_AddNumberToObject(
	            root, "wattHoursSevenDays", round(e->wh_seven_days))
	        || !cJSON_AddNumberToObject(
	            root, "wattHoursLifetime", site_lifetime(e))
	        || !cJSON_AddNumberToObject(
	            root, "wattsNow", site_watts(e)))) {
		cJSON_Delete(root);
		root = NULL;
	}
	return print(root, out);
}

static cJSON *
inverter(const sim_envoy *e, int k)
{
	char serial[SIM_ENVOY_SERIAL_LEN + 1];
	sim_envoy_serial(k, serial);
	cJSON *o = cJSON_CreateObject();
	if (o == NULL || !cJSON_AddStringToObject(o, "serialNumber", serial)
	    || !cJSON_AddNumberToObject(
	        o, "lastReportDate", (double) (e->at_ms / 1000))
	    || !cJSON_AddNumberToObject(o, "devType", 1)
	    || !cJSON_AddNumberToObject(o, "lastReportWatts", e->watts[k])
	    || !cJSON_AddNumberToObject(
	        o, "maxReportWatts", e->max_watts[k])) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

fed_status
sim_envoy_api_inverters(const sim_envoy *e, char **out)
{
	FED_TRY(check(e, out));
	cJSON *root = cJSON_CreateArray();
	for (int k = 0; root != NULL && k < e->pv->n_inverters; k++) {
		cJSON *o = inverter(e, k);
		if (o == NULL || !cJSON_AddItemToArray(root, o)) {
			cJSON_Delete(o);
			cJSON_Delete(root);
			root = NULL;
		}
	}
	return print(root, out);
}

fed_status
sim_envoy_production_json(const sim_envoy *e, char **out)
{
	FED_TRY(check(e, out));
	cJSON *root = cJSON_CreateObject();
	cJSON *arr
	    = root != NULL ? cJSON_AddArrayToObject(root, "production") : NULL;
	cJSON *o = cJSON_CreateObject();
	if (arr == NULL || o == NULL || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		cJSON_Delete(root);
		return print(NULL, out);
	}
	if (!cJSON_AddStringToObject(o, "type", "inverters")
	    || !cJSON_AddNumberToObject(o, "activeCount", e->pv->n_inverters)
	    || !cJSON_AddNumberToObject(
	        o, "readingTime", (double) (e->at_ms / 1000))
	    || !cJSON_AddNumberToObject(o, "wNow", site_watts(e))
	    || !cJSON_AddNumberToObject(o, "whLifetime", site_lifetime(e))) {
		cJSON_Delete(root);
		root = NULL;
	}
	return print(root, out);
}
