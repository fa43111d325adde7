// SPDX-License-Identifier: MIT
//
// node_solar.c: the sun's elevation (NOAA's general solar position
// formulas, after Spencer 1971) and the clear-sky irradiance (Haurwitz
// 1945). Sources and accuracy in node_solar.h and docs/alarms.md.

#include "node_solar.h"

#include <math.h>

#define PI  3.14159265358979323846
#define DEG (PI / 180.0)

// Fractional year, radians: day of the year (0-based) and hour, with the
// year's length; civil years from 1970.
static double
fractional_year(int64_t t_ms, double *minutes_utc)
{
	int64_t days = t_ms / 86400000;
	if (t_ms % 86400000 < 0)
		days--;
	double day_ms = (double) (t_ms - days * 86400000);
	// Days since 1970-01-01 to year and day of year (proleptic Gregorian).
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy_mar = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t year = yoe + era * 400 + (doy_mar >= 306 ? 1 : 0);
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	int64_t doy = doy_mar >= 306 ? doy_mar - 306 : doy_mar + 59 + leap;
	*minutes_utc = day_ms / 60000.0;
	return 2.0 * PI / (365.0 + leap)
	    * ((double) doy + (*minutes_utc / 60.0 - 12.0) / 24.0);
}

double
node_solar_elevation_deg(double lat_deg, double lon_deg, int64_t t_ms)
{
	double minutes = 0;
	double g = fractional_year(t_ms, &minutes);
	double eqtime = 229.18
	    * (0.000075 + 0.001868 * cos(g) - 0.032077 * sin(g)
	        - 0.014615 * cos(2 * g) - 0.040849 * sin(2 * g));
	double decl = 0.006918 - 0.399912 * cos(g) + 0.070257 * sin(g)
	    - 0.006758 * cos(2 * g) + 0.000907 * sin(2 * g)
	    - 0.002697 * cos(3 * g) + 0.00148 * sin(3 * g);
	double tst = minutes + eqtime + 4.0 * lon_deg; // true solar time, min
	double ha = (tst / 4.0 - 180.0) * DEG;
	double lat = lat_deg * DEG;
	double cz = sin(lat) * sin(decl) + cos(lat) * cos(decl) * cos(ha);
	if (cz > 1)
		cz = 1;
	if (cz < -1)
		cz = -1;
	return 90.0 - acos(cz) / DEG;
}

double
node_solar_clear_sky_ghi(double elevation_deg)
{
	if (elevation_deg <= 0)
		return 0;
	double cz = sin(elevation_deg * DEG);
	return 1098.0 * cz * exp(-0.059 / cz);
}

double
node_solar_clear_sky_wh(double lat_deg, double lon_deg, double peak_w,
    int64_t from_ms, int64_t to_ms)
{
	const int n = 12;
	double step = (double) (to_ms - from_ms) / n, wh = 0;
	for (int i = 0; i < n; i++) {
		int64_t t = from_ms + (int64_t) (step * (i + 0.5));
		double ghi = node_solar_clear_sky_ghi(
		    node_solar_elevation_deg(lat_deg, lon_deg, t));
		wh += peak_w * ghi / 1000.0 * step / 3600000.0;
	}
	return wh;
}
