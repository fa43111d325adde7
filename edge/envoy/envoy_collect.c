// SPDX-License-Identifier: MIT
//
// envoy_collect.c: Envoy readings to site and per-inverter points.

#include "envoy_collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/log.h"

#define ID_MAX 200

typedef struct inverter {
	char serial[ENVOY_SERIAL_MAX + 1];
	char id[ID_MAX + 1];
	int64_t last_ms;
} inverter;

struct envoy_collect {
	char site[65];
	char owner[256];
	bool public_series;
	int64_t period_ms;
	char power_id[ID_MAX + 1], energy_id[ID_MAX + 1];
	bool site_declared;
	int64_t site_last_ms;
	edge_sender *sender;
	inverter *inv;
	size_t n_inv, cap_inv;
	int64_t log_ms;
	int64_t device_log_ms; // devices that are no micro-inverters
};

fed_status
envoy_collect_new(
    const envoy_collect_opts *o, edge_sender *sender, envoy_collect **out)
{
	if (o == NULL || sender == NULL || out == NULL || o->site == NULL
	    || o->site[0] == '\0' || strlen(o->site) > 64
	    || o->period_ms < 1000)
		return FED_INVALID_ARGUMENT;
	envoy_collect *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return FED_RESOURCE_EXHAUSTED;
	snprintf(c->site, sizeof(c->site), "%s", o->site);
	snprintf(c->owner, sizeof(c->owner), "%s",
	    o->owner != NULL ? o->owner : "");
	c->public_series = o->public_series;
	c->period_ms = o->period_ms;
	c->sender = sender;
	snprintf(c->power_id, sizeof(c->power_id), "%s/pv/power", c->site);
	snprintf(c->energy_id, sizeof(c->energy_id), "%s/pv/energy_lifetime",
	    c->site);
	*out = c;
	return FED_OK;
}

void
envoy_collect_free(envoy_collect *c)
{
	if (c == NULL)
		return;
	free(c->inv);
	free(c);
}

static fed_status
declare(envoy_collect *c, const char *id, bool index, uint32_t interval_s,
    const char *what, const char *serial)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	Enfed__V1__Fact f[2], *box[2];
	const char *kv[2][2] = {{"measures", what}, {"inverter", serial}};
	size_t n = serial != NULL ? 2 : 1;
	for (size_t i = 0; i < n; i++) {
		enfed__v1__fact__init(&f[i]);
		f[i].key = (char *) kv[i][0];
		f[i].value = (char *) kv[i][1];
		box[i] = &f[i];
	}
	m.id = (char *) id;
	m.kind = index ? ENFED__V1__SERIES_KIND__SERIES_KIND_INDEX
	               : ENFED__V1__SERIES_KIND__SERIES_KIND_POWER;
	m.unit = index ? ENFED__V1__UNIT__UNIT_WH : ENFED__V1__UNIT__UNIT_W;
	m.cumulative = index;
	m.interval_s = interval_s;
	m.source = "Enphase Envoy";
	m.owner = c->owner;
	m.visibility = c->public_series
	    ? ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC
	    : ENFED__V1__VISIBILITY__VISIBILITY_PRIVATE;
	m.box = box;
	m.n_box = n;
	return edge_sender_declare(c->sender, &m);
}

static void
declare_site(envoy_collect *c)
{
	if (c->site_declared)
		return;
	uint32_t s = (uint32_t) (c->period_ms / 1000);
	fed_status st = declare(c, c->power_id, false, s,
	    "solar production, whole plant (wattsNow)", NULL);
	if (st == FED_OK)
		st = declare(c, c->energy_id, true, s,
		    "solar energy produced since commissioning "
		    "(wattHoursLifetime)",
		    NULL);
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, "envoy", "registering site series: %s",
		    fed_status_name(st));
	c->site_declared = true;
}

// Submits n points of one value each, series ids[i].
static fed_status
submit(envoy_collect *c, char *const *ids, int64_t *ts, double *v, size_t n)
{
	Enfed__V1__SeriesPoints sp[2], *ptrs[2];
	for (size_t i = 0; i < n; i++) {
		enfed__v1__series_points__init(&sp[i]);
		sp[i].series_id = ids[i];
		sp[i].ts_ms = &ts[i];
		sp[i].value = &v[i];
		sp[i].n_ts_ms = sp[i].n_value = 1;
		ptrs[i] = &sp[i];
	}
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = ptrs;
	req.n_series = n;
	return edge_sender_submit(c->sender, &req);
}

static fed_status
site_points(envoy_collect *c, int64_t ts_ms, int64_t watts, int64_t wh,
    size_t *n_points)
{
	if (n_points != NULL)
		*n_points = 0;
	if (ts_ms <= c->site_last_ms)
		return FED_OK; // the same reading again
	declare_site(c);
	c->site_last_ms = ts_ms;
	char *ids[2] = {c->power_id, c->energy_id};
	int64_t ts[2] = {ts_ms, ts_ms};
	double v[2] = {(double) watts, (double) wh};
	if (n_points != NULL)
		*n_points = 2;
	return submit(c, ids, ts, v, 2);
}

fed_status
envoy_collect_production(envoy_collect *c, const envoy_production *p,
    int64_t ts_ms, size_t *n_points)
{
	return site_points(c, ts_ms, p->watts_now, p->wh_lifetime, n_points);
}

fed_status
envoy_collect_site(envoy_collect *c, const envoy_site *s, size_t *n_points)
{
	return site_points(c, s->reading_ms, s->production.watts_now,
	    s->production.wh_lifetime, n_points);
}

static inverter *
find_inverter(envoy_collect *c, const char *serial)
{
	for (size_t i = 0; i < c->n_inv; i++)
		if (strcmp(c->inv[i].serial, serial) == 0)
			return &c->inv[i];
	return NULL;
}

// The inverter's entry, added (and its series declared) when new; NULL
// when the table is full or memory runs out.
static inverter *
inverter_of(envoy_collect *c, const char *serial)
{
	inverter *v = find_inverter(c, serial);
	if (v != NULL)
		return v;
	if (c->n_inv == ENVOY_COLLECT_INVERTERS_MAX)
		return NULL;
	if (c->n_inv == c->cap_inv) {
		size_t cap = c->cap_inv == 0 ? 32 : c->cap_inv * 2;
		inverter *a = realloc(c->inv, cap * sizeof(*a));
		if (a == NULL)
			return NULL;
		c->inv = a;
		c->cap_inv = cap;
	}
	v = &c->inv[c->n_inv++];
	memset(v, 0, sizeof(*v));
	snprintf(v->serial, sizeof(v->serial), "%s", serial);
	snprintf(v->id, sizeof(v->id), "%s/pv/inv/%s/power", c->site, serial);
	fed_status st = declare(c, v->id, false, 300,
	    "micro-inverter output, last report (lastReportWatts)", serial);
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, "envoy", "registering %s: %s", v->id,
		    fed_status_name(st));
	return v;
}

// The reports of one poll, as one request.
typedef struct reports {
	Enfed__V1__SeriesPoints *sp;
	Enfed__V1__SeriesPoints **ptrs;
	int64_t *ts;
	double *w;
	size_t n;
} reports;

static void
add_report(reports *r, inverter *v, const envoy_inverter *in)
{
	size_t k = r->n++;
	v->last_ms = in->last_report_ms;
	r->ts[k] = in->last_report_ms;
	r->w[k] = (double) in->last_report_watts;
	enfed__v1__series_points__init(&r->sp[k]);
	r->sp[k].series_id = v->id;
	r->sp[k].ts_ms = &r->ts[k];
	r->sp[k].value = &r->w[k];
	r->sp[k].n_ts_ms = r->sp[k].n_value = 1;
	r->ptrs[k] = &r->sp[k];
}

// 1 for a micro-inverter: devType 1, or none (firmware 3.x). AC batteries
// (devType 11) and other devices the gateway lists among its inverters
// are no producers: skipped, said once an hour.
static int
is_micro_inverter(envoy_collect *c, const envoy_inverter *in)
{
	if (in->dev_type == 0 || in->dev_type == ENVOY_DEV_PCU)
		return 1;
	fed_log_limited(&c->device_log_ms, 3600000, FED_LOG_NOTICE, "envoy",
	    "device %s (devType %d%s) listed among the inverters: not a "
	    "micro-inverter, not collected",
	    in->serial, (int) in->dev_type,
	    in->dev_type == ENVOY_DEV_AC_BATTERY ? ", an AC battery" : "");
	return 0;
}

// Two passes: every inverter of the reply is registered first, so that the
// table (which may grow, moving its entries) is stable while the requests'
// series_id point into it.
static void
collect_new(envoy_collect *c, const envoy_inverter *inv, size_t n, reports *r)
{
	for (size_t i = 0; i < n; i++)
		if (is_micro_inverter(c, &inv[i]))
			(void) inverter_of(c, inv[i].serial);
	for (size_t i = 0; i < n; i++) {
		if (inv[i].dev_type != 0 && inv[i].dev_type != ENVOY_DEV_PCU)
			continue;
		inverter *v = inverter_of(c, inv[i].serial);
		if (v == NULL) {
			fed_log_limited(&c->log_ms, 3600000, FED_LOG_ERR,
			    "envoy",
			    "inverter %s: more than %d inverters, skipped",
			    inv[i].serial, ENVOY_COLLECT_INVERTERS_MAX);
			continue;
		}
		if (inv[i].last_report_ms > v->last_ms)
			add_report(r, v, &inv[i]); // not sent yet
	}
}

fed_status
envoy_collect_inverters(
    envoy_collect *c, const envoy_inverter *inv, size_t n, size_t *n_points)
{
	if (n_points != NULL)
		*n_points = 0;
	if (n == 0)
		return FED_OK;
	reports r = {.sp = calloc(n, sizeof(*r.sp)),
	    .ptrs = calloc(n, sizeof(*r.ptrs)),
	    .ts = calloc(n, sizeof(*r.ts)),
	    .w = calloc(n, sizeof(*r.w))};
	fed_status st = FED_RESOURCE_EXHAUSTED;
	if (r.sp != NULL && r.ptrs != NULL && r.ts != NULL && r.w != NULL) {
		collect_new(c, inv, n, &r);
		st = FED_OK;
	}
	if (st == FED_OK && r.n > 0) {
		Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
		req.series = r.ptrs;
		req.n_series = r.n;
		st = edge_sender_submit(c->sender, &req);
		if (n_points != NULL)
			*n_points = r.n;
	}
	free(r.sp);
	free(r.ptrs);
	free(r.ts);
	free(r.w);
	return st;
}
