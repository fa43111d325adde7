// SPDX-License-Identifier: MIT
//
// sim_model.c: what the models share: the counter-based hash behind every
// random draw, argument checks, and the weather (temperature, cloudiness,
// the sun and clear-sky irradiance).
//
// Nothing is drawn from a sequential generator: a draw is a hash of (seed,
// domain tag, index), so any instant can be computed on its own. Processes
// that must be correlated in time are built from such draws by moving
// averages over neighbouring days (day-to-day persistence) and by linear
// interpolation between knots (smoothness within a day).
//
// Temperature: a seasonal cosine, a daily cosine peaking at 15:00 solar time
// whose amplitude grows on clear days, and a day anomaly (a moving average
// of three daily draws, interpolated between noons), colder on clear winter
// days and warmer on clear summer days.
//
// Cloudiness: each UTC day gets a "core" in (0, 1), a logistic of a moving
// average of four daily draws plus a seasonal shift (Brittany is cloudier
// in winter); its mean clear-sky index runs from 0.15 (overcast) to 0.95
// (clear). Within the day the index wanders around that mean with hourly
// and 5-minute draws, most for broken-cloud days, least for clear or
// overcast ones. The sun follows Spencer's declination and equation of
// time; clear-sky beam is Meinel's with Kasten-Young air mass, global is
// Haurwitz's.

#include <math.h>

#include "fed/log.h"
#include "sim_internal.h"

// Seasonal shift of the cloud core: mean and summer-winter half swing,
// calibrated so that the Lorient defaults give about 1,210 kWh/m² a year of
// global horizontal irradiance, as measured there.
#define CLOUD_SHIFT_MEAN   0.25
#define CLOUD_SHIFT_SEASON 0.55
#define CLOUD_SLOPE        1.7

#define TROPICAL_YEAR 365.2422
#define EPOCH_2000    10957.0 // days from 1970-01-01 to 2000-01-01

uint64_t
sim__hash(uint64_t seed, uint64_t tag, int64_t index)
{
	uint64_t z = seed ^ (tag * UINT64_C(0xd1342543de82ef95));
	z += (uint64_t) index * UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	z ^= z >> 31;
	z += seed * UINT64_C(0x2545f4914f6cdd1d);
	z = (z ^ (z >> 32)) * UINT64_C(0xd6e8feb86659fd93);
	z = (z ^ (z >> 32)) * UINT64_C(0xd6e8feb86659fd93);
	return z ^ (z >> 32);
}

double
sim__unif(uint64_t seed, uint64_t tag, int64_t index, unsigned sub)
{
	uint64_t h = sim__hash(seed, (tag << 8) | sub, index);
	return (double) (h >> 11) * 0x1.0p-53;
}

double
sim__gauss(uint64_t seed, uint64_t tag, int64_t index, unsigned sub)
{
	uint64_t h = sim__hash(seed, (tag << 8) | sub, index);
	// Four 16-bit uniforms from one hash: Irwin-Hall, variance 1/3.
	double s = 0;
	for (int i = 0; i < 4; i++)
		s += (double) ((h >> (16 * i)) & 0xffff) / 65536.0;
	return (s - 2.0) * 1.7320508075688772;
}

fed_status
sim__invalid(const char *field)
{
	fed_log(FED_LOG_WARNING, "sim", "invalid %s", field);
	return FED_INVALID_ARGUMENT;
}

fed_status
sim__check_range(const char *field, double v, double lo, double hi)
{
	if (!isfinite(v) || v < lo || v > hi)
		return sim__invalid(field);
	return FED_OK;
}

fed_status
sim__check_load_slots(int64_t start_ms, int64_t slot_ms, size_t n_slots)
{
	if (start_ms < SIM_T_MIN_MS || start_ms >= SIM_T_MAX_MS
	    || start_ms % SIM_SLOT_MS != 0)
		return sim__invalid(
		    "slot start (off the 5-minute grid or out of "
		    "range)");
	if (slot_ms <= 0 || slot_ms > SIM_MAX_SLOT_MS
	    || slot_ms % SIM_SLOT_MS != 0)
		return sim__invalid("slot_ms (not a multiple of 5 minutes)");
	if (n_slots > (uint64_t) ((SIM_T_MAX_MS - start_ms) / slot_ms))
		return sim__invalid("n_slots (past the year 2200)");
	return FED_OK;
}

double
sim__round_wh(double wh, double u)
{
	return wh > 0 ? floor(wh + u) : 0.0;
}

void
sim_weather_defaults(sim_weather *w)
{
	*w = (sim_weather) {
	    .lat_deg = 47.75,
	    .lon_deg = -3.37,
	    .temp_mean_c = 12.2,
	    .temp_season_c = 5.3,
	    .coldest_doy = 22,
	    .temp_day_c = 3.2,
	    .temp_anomaly_c = 2.3,
	    .cloud_bias = 0,
	};
}

fed_status
sim_weather_check(const sim_weather *w)
{
	if (w == NULL)
		return sim__invalid("weather (NULL)");
	FED_TRY(sim__check_range("weather.lat_deg", w->lat_deg, -80, 80));
	FED_TRY(sim__check_range("weather.lon_deg", w->lon_deg, -180, 180));
	FED_TRY(
	    sim__check_range("weather.temp_mean_c", w->temp_mean_c, -30, 40));
	FED_TRY(sim__check_range(
	    "weather.temp_season_c", w->temp_season_c, 0, 30));
	FED_TRY(
	    sim__check_range("weather.coldest_doy", w->coldest_doy, 1, 366));
	FED_TRY(sim__check_range("weather.temp_day_c", w->temp_day_c, 0, 20));
	FED_TRY(sim__check_range(
	    "weather.temp_anomaly_c", w->temp_anomaly_c, 0, 15));
	FED_TRY(sim__check_range("weather.cloud_bias", w->cloud_bias, -5, 5));
	return FED_OK;
}

// Days since Jan 1 00:00 UTC of the (tropical) year of day number `days`.
static double
year_days(double days)
{
	double y = fmod(days - EPOCH_2000, TROPICAL_YEAR);
	return y < 0 ? y + TROPICAL_YEAR : y;
}

static double
season_cos(double ydays, double peak_doy)
{
	return cos(2 * SIM__PI * (ydays + 1 - peak_doy) / TROPICAL_YEAR);
}

static double
logistic(double x)
{
	return 1.0 / (1.0 + exp(-x));
}

static double
cloud_core(const sim_weather *w, uint64_t seed, int64_t day)
{
	static const double a[4] = {1.0, 0.6, 0.36, 0.216};
	double z = 0;
	for (int i = 0; i < 4; i++)
		z += a[i] * sim__gauss(seed, SIM__TAG_CLOUD_DAY, day - i, 0);
	z /= 1.2394;
	double shift = CLOUD_SHIFT_MEAN + w->cloud_bias
	    + CLOUD_SHIFT_SEASON
	        * season_cos(year_days((double) day + 0.5), 172);
	return logistic(CLOUD_SLOPE * (z + shift));
}

static double
temp_anomaly(const sim_weather *w, uint64_t seed, int64_t day, double core)
{
	static const double a[3] = {1.0, 0.7, 0.49};
	double z = 0;
	for (int i = 0; i < 3; i++)
		z += a[i] * sim__gauss(seed, SIM__TAG_TEMP, day - i, 0);
	z /= 1.3153;
	// Clear skies warm summer days and chill winter ones.
	double sunny
	    = (core - 0.5) * season_cos(year_days((double) day + 0.5), 196);
	return w->temp_anomaly_c * (z + 0.8 * sunny);
}

void
sim__wx_init(sim__wx_day *c)
{
	c->day = INT64_MIN;
}

const sim__wx_day *
sim__wx_get(const sim_weather *w, uint64_t seed, sim__wx_day *c, int64_t day)
{
	if (c->day == day)
		return c;
	c->day = day;
	for (int i = 0; i < 3; i++) {
		c->core3[i] = cloud_core(w, seed, day - 1 + i);
		c->anom_c[i] = temp_anomaly(w, seed, day - 1 + i, c->core3[i]);
	}
	c->kd = 0.15 + 0.80 * c->core3[1];
	c->var = 4 * c->core3[1] * (1 - c->core3[1]);
	return c;
}

// A value given at the noons of day-1, day and day+1, smoothly interpolated
// at fraction `frac` of the day.
static double
noon_interp(const double v[3], double frac)
{
	double a = frac < 0.5 ? v[0] : v[1];
	double b = frac < 0.5 ? v[1] : v[2];
	double s = frac < 0.5 ? frac + 0.5 : frac - 0.5;
	s = s * s * (3 - 2 * s);
	return a + (b - a) * s;
}

double
sim__temp_c(const sim_weather *w, uint64_t seed, sim__wx_day *c, int64_t t_ms)
{
	int64_t day = sim__floor_div(t_ms, SIM__DAY_MS);
	double frac = (double) (t_ms - day * SIM__DAY_MS) / SIM__DAY_MS;
	const sim__wx_day *d = sim__wx_get(w, seed, c, day);
	double ydays = year_days((double) day + frac);
	double solar_h = frac * 24 + w->lon_deg / 15;
	double day_amp
	    = w->temp_day_c * (0.6 + 0.8 * noon_interp(d->core3, frac));
	return w->temp_mean_c
	    - w->temp_season_c * season_cos(ydays, w->coldest_doy)
	    + day_amp * cos(2 * SIM__PI * (solar_h - 15) / 24)
	    + noon_interp(d->anom_c, frac);
}

// The clear-sky index at 5-minute knot j.
static double
knot_clearness(const sim_weather *w, uint64_t seed, sim__wx_day *c, int64_t j)
{
	int64_t t = j * SIM_SLOT_MS;
	const sim__wx_day *d
	    = sim__wx_get(w, seed, c, sim__floor_div(t, SIM__DAY_MS));
	int64_t hour = sim__floor_div(t, 3600000);
	double fr = (double) (t - hour * 3600000) / 3600000.0;
	double h0 = sim__unif(seed, SIM__TAG_CLOUD_HOUR, hour, 0);
	double h1 = sim__unif(seed, SIM__TAG_CLOUD_HOUR, hour + 1, 0);
	double h = 2 * (h0 + (h1 - h0) * fr) - 1;
	double n = 2 * sim__unif(seed, SIM__TAG_CLOUD_5MIN, j, 0) - 1;
	double kc = d->kd + d->var * (0.30 * h + 0.12 * n);
	return fmin(fmax(kc, 0.05), 1.08);
}

double
sim__clearness(
    const sim_weather *w, uint64_t seed, sim__wx_day *c, int64_t t_ms)
{
	int64_t j = sim__floor_div(t_ms, SIM_SLOT_MS);
	double fr = (double) (t_ms - j * SIM_SLOT_MS) / SIM_SLOT_MS;
	double k0 = knot_clearness(w, seed, c, j);
	if (fr == 0)
		return k0;
	double k1 = knot_clearness(w, seed, c, j + 1);
	return k0 + (k1 - k0) * fr;
}

// Spencer (1971): declination (rad) and equation of time (minutes) at day
// angle g.
static void
spencer(double g, double *decl, double *eot_min)
{
	// Multiple angles from one sine and cosine: this runs for every
	// instant the plant is evaluated.
	double c1 = cos(g), s1 = sin(g);
	double c2 = 2 * c1 * c1 - 1, s2 = 2 * s1 * c1;
	double c3 = c2 * c1 - s2 * s1, s3 = s2 * c1 + c2 * s1;
	*decl = 0.006918 - 0.399912 * c1 + 0.070257 * s1 - 0.006758 * c2
	    + 0.000907 * s2 - 0.002697 * c3 + 0.00148 * s3;
	*eot_min = 229.18
	    * (0.000075 + 0.001868 * c1 - 0.032077 * s1 - 0.014615 * c2
	        - 0.040849 * s2);
}

static double
day_angle(double days)
{
	return 2 * SIM__PI * (year_days(days) - 0.5) / 365.0;
}

void
sim__sun_at(const sim_weather *w, int64_t t_ms, sim__sun *out)
{
	double days = (double) t_ms / SIM__DAY_MS;
	double g = day_angle(days), decl, eot;
	spencer(g, &decl, &eot);
	double utc_min = (days - floor(days)) * 1440;
	double tst = utc_min + eot + 4 * w->lon_deg;
	double omega = (tst / 4 - 180) * SIM__PI / 180;
	double phi = w->lat_deg * SIM__PI / 180;
	double cd = cos(decl), sd = sin(decl), co = cos(omega);
	out->up = sin(phi) * sd + cos(phi) * cd * co;
	out->east = -cd * sin(omega);
	out->north = cos(phi) * sd - sin(phi) * cd * co;
	out->e0 = 1 + 0.033 * cos(g);
}

void
sim__irradiance(const sim__sun *s, double kc, sim__irr *out)
{
	*out = (sim__irr) {0, 0, 0};
	if (s->up <= 0)
		return;
	double cz = s->up;
	double zdeg = acos(cz) * 180 / SIM__PI;
	double am = 1 / (cz + 0.50572 * pow(96.07995 - zdeg, -1.6364));
	double dni_c = 1361 * s->e0 * pow(0.7, pow(am, 0.678));
	double ghi_h = 1098 * cz * exp(-0.057 / cz);
	double dhi_c = fmax(ghi_h - dni_c * cz, 0.08 * ghi_h);
	double ghi_c = dni_c * cz + dhi_c;
	double beam = fmin(fmax((fmin(kc, 1) - 0.3) / 0.7, 0), 1);
	out->ghi = kc * ghi_c;
	out->dni = dni_c * beam * sqrt(beam);
	out->dhi = fmax(out->ghi - out->dni * cz, 0);
}

void
sim__sun_times(const sim_weather *w, const sim__local *l, double *rise_min,
    double *set_min)
{
	double noon_utc_days = (double) l->day + 0.5;
	double decl, eot;
	spencer(day_angle(noon_utc_days), &decl, &eot);
	double phi = w->lat_deg * SIM__PI / 180;
	double x = fmin(fmax(-tan(phi) * tan(decl), -1), 1);
	double half_min = acos(x) * 180 / SIM__PI * 4;
	int64_t noon_ms = (int64_t) (noon_utc_days * SIM__DAY_MS);
	double off_min = sim_paris_offset_s(noon_ms) / 60.0;
	double noon_min = 720 - 4 * w->lon_deg - eot + off_min;
	*rise_min = noon_min - half_min;
	*set_min = noon_min + half_min;
}

fed_status
sim_weather_at(
    const sim_weather *w, uint64_t seed, int64_t t_ms, sim_weather_point *out)
{
	if (out == NULL)
		return sim__invalid("weather point (NULL)");
	FED_TRY(sim_weather_check(w));
	if (t_ms < SIM_T_MIN_MS || t_ms >= SIM_T_MAX_MS)
		return sim__invalid("t_ms (out of range)");
	sim__wx_day c;
	sim__wx_init(&c);
	sim__sun s;
	sim__irr irr;
	sim__sun_at(w, t_ms, &s);
	out->clearness = sim__clearness(w, seed, &c, t_ms);
	out->temp_c = sim__temp_c(w, seed, &c, t_ms);
	sim__irradiance(&s, out->clearness, &irr);
	out->ghi_w_m2 = irr.ghi;
	out->sun_elev_deg = asin(fmin(fmax(s.up, -1), 1)) * 180 / SIM__PI;
	double az = atan2(s.east, s.north) * 180 / SIM__PI;
	out->sun_azim_deg = az < 0 ? az + 360 : az;
	return FED_OK;
}
