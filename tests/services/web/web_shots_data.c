// SPDX-License-Identifier: MIT
//
// web_shots_data.c: data shaped like a school's, a house's and a solar
// plant's, hour by hour from 10 May to the fixture's instant, for the
// README's screenshots (test_web_layout's test_readme): the fixture's own
// series are flat, which tells the layout but shows nothing. The shapes
// are made here, deterministic (a hash of the day for the clouds), never
// read from anywhere.

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "enfed/v1/invest.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed_test.h"
#include "web_fixture.h"
#include "web_shots_data.h"

#define PI        3.14159265358979323846
#define HOUR_MS   INT64_C(3600000)
#define DAY_MS    INT64_C(86400000)
#define MAY_10_MS INT64_C(1778364000000) // 2026-05-10T00:00+02:00, a Sunday

typedef double (*shape_fn)(int day, int hour);

// A day's clouds: 0.35 (overcast) to 1 (clear).
static double
clouds(int day)
{
	double x = sin((double) day * 12.9898) * 43758.5453;
	return 0.35 + 0.65 * (x - floor(x));
}

static double
plant(int day, int hour)
{
	if (hour < 6 || hour > 21)
		return 0;
	double s = sin(PI * ((double) hour - 5.5) / 16.0);
	return 11000 * pow(s, 1.5) * clouds(day);
}

static double
school(int day, int hour)
{
	int wd = day % 7; // 0 Sunday
	if (wd == 0 || wd == 6)
		return 650;
	if (hour < 7 || hour > 18)
		return 700;
	if (wd == 3 && hour >= 13) // Wednesday afternoon
		return 1300;
	double v = 3600 + 900 * sin(PI * ((double) hour - 7) / 11.0);
	return hour >= 11 && hour <= 13 ? v + 1600 : v; // the canteen
}

static double
house(int day, int hour)
{
	int we = day % 7 == 0 || day % 7 == 6;
	static const double week[24] = {350, 320, 300, 300, 300, 320, 600,
	    1500, 1100, 450, 400, 420, 900, 700, 400, 400, 450, 700, 1500,
	    2100, 1800, 1300, 800, 450};
	double v = week[hour];
	if (we && hour >= 9 && hour <= 15)
		v += 700;
	return v * (0.9 + 0.2 * clouds(day + 40));
}

static int
create(fed_rpc_client *c, const char *id, Enfed__V1__SeriesKind kind,
    const char *const facts[][2], size_t n)
{
	Enfed__V1__Fact f[6], *fs[6];
	for (size_t i = 0; i < n && i < 6; i++) {
		enfed__v1__fact__init(&f[i]);
		f[i].key = (char *) facts[i][0];
		f[i].value = (char *) facts[i][1];
		fs[i] = &f[i];
	}
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = kind;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 3600;
	m.source = "Linky";
	// The plant is the association's, which finances it; the school's
	// meters are the town's.
	m.owner = kind == ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION
	    ? "Bretagne Energie Citoyenne"
	    : "Lorient Agglomération";
	m.box = fs;
	m.n_box = n < 6 ? n : 6;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	fed_status st = fed_test_store_call(c, "CreateSeries", &req, &info);
	if (info != NULL)
		enfed__v1__series_info__free_unpacked(info, NULL);
	return st == FED_OK ? 0 : -1;
}

static int
ingest(fed_rpc_client *c, const char *id, shape_fn f)
{
	size_t n = (size_t) ((WEB_FX_AT - MAY_10_MS) / HOUR_MS);
	int64_t *ts = calloc(n, sizeof(*ts));
	double *v = calloc(n, sizeof(*v));
	int rc = -1;
	if (ts != NULL && v != NULL) {
		for (size_t i = 0; i < n; i++) {
			ts[i] = MAY_10_MS + (int64_t) i * HOUR_MS;
			// Local time: +02:00 all along (10 May to 15 June).
			v[i] = round(f((int) (i / 24), (int) (i % 24)));
		}
		Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT,
		                        *sps[1] = {&sp};
		sp.series_id = (char *) id;
		sp.ts_ms = ts;
		sp.value = v;
		sp.n_ts_ms = sp.n_value = n;
		Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
		req.series = sps;
		req.n_series = 1;
		Enfed__V1__IngestResponse *rep = NULL;
		char err[512];
		if (fed_rpc_call(c, &enfed__v1__series_store__descriptor,
		        "Ingest", &req.base, (ProtobufCMessage **) &rep, err,
		        sizeof(err))
		    == FED_OK)
			rc = 0;
		else
			fprintf(stderr, "Ingest %s: %s\n", id, err);
		if (rep != NULL)
			enfed__v1__ingest_response__free_unpacked(rep, NULL);
	}
	free(ts);
	free(v);
	return rc;
}

static int
invest_call(fed_rpc_client *c, const char *m, const ProtobufCMessage *req)
{
	ProtobufCMessage *rep = NULL;
	char err[512];
	fed_status st = fed_rpc_call(
	    c, &enfed__v1__invest__descriptor, m, req, &rep, err, sizeof(err));
	if (st != FED_OK)
		fprintf(stderr, "%s: %s\n", m, err);
	if (rep != NULL)
		protobuf_c_message_free_unpacked(rep, NULL);
	return st == FED_OK ? 0 : -1;
}

// The plant as a project of its own, legall holding 10 shares from 10 May.
static int
plant_project(const struct web_fx *fx)
{
	fed_rpc_client *c = web_fx_invest(fx, WEB_FX_ADMIN);
	if (c == NULL)
		return -1;
	Enfed__V1__Project p = ENFED__V1__PROJECT__INIT;
	p.id = "ecole-pv";
	p.name = "Toit de l'école de Kermélo";
	p.organisation = "Bretagne Energie Citoyenne";
	p.type = ENFED__V1__INSTALLATION_TYPE__INSTALLATION_PHOTOVOLTAIC;
	p.location = "Lorient, Morbihan";
	p.peak_kw = 16.2;
	p.cost_cents = 2000000;
	p.share_price_cents = 10000;
	p.series_id = WEB_SHOTS_PLANT;
	p.series_node = "lognact";
	Enfed__V1__PutProjectRequest pr = ENFED__V1__PUT_PROJECT_REQUEST__INIT;
	pr.project = &p;
	Enfed__V1__Investment iv = ENFED__V1__INVESTMENT__INIT;
	iv.investor = "legall";
	iv.project_id = "ecole-pv";
	iv.shares = 10;
	iv.acquired_ms = MAY_10_MS;
	Enfed__V1__PutInvestmentRequest ir
	    = ENFED__V1__PUT_INVESTMENT_REQUEST__INIT;
	ir.investment = &iv;
	int rc = invest_call(c, "CreateProject", &pr.base);
	if (rc == 0)
		rc = invest_call(c, "PutInvestment", &ir.base);
	fed_rpc_client_free(c);
	return rc;
}

int
web_shots_data(const struct web_fx *fx)
{
	static const char *const school_box[][2]
	    = {{"name", "École de Kermélo"}, {"pupils", "180"},
	        {"canteen", "oui"}, {"heating", "gaz"}};
	static const char *const house_box[][2]
	    = {{"name", "Maison Le Gall"}, {"occupants", "4"},
	        {"surface", "95 m²"}, {"heating", "pompe à chaleur"}};
	static const char *const plant_box[][2]
	    = {{"name", "Centrale du toit de l'école"},
	        {"peak power", "16.2 kWc"}, {"inverters", "60 Enphase M250"},
	        {"orientation", "sud"}};
	fed_rpc_client *c = web_fx_lognact(fx);
	int rc = c != NULL ? 0 : -1;
	if (rc == 0)
		rc = create(c, WEB_SHOTS_SCHOOL,
		    ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION,
		    school_box, 4);
	if (rc == 0)
		rc = create(c, WEB_SHOTS_HOUSE,
		    ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION, house_box,
		    4);
	if (rc == 0)
		rc = create(c, WEB_SHOTS_PLANT,
		    ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION, plant_box,
		    4);
	if (rc == 0)
		rc = ingest(c, WEB_SHOTS_SCHOOL, school);
	if (rc == 0)
		rc = ingest(c, WEB_SHOTS_HOUSE, house);
	if (rc == 0)
		rc = ingest(c, WEB_SHOTS_PLANT, plant);
	fed_rpc_client_free(c);
	return rc == 0 ? plant_project(fx) : rc;
}
