// SPDX-License-Identifier: MIT
//
// node_solar.h: where the sun is, and what a clear sky gives a plant: what
// the daylight alarm rule compares production with (docs/alarms.md).
//
// The sun's position is NOAA's "general solar position" approximation
// (J. W. Spencer's 1971 Fourier series for the declination and the
// equation of time): within about a quarter of a degree, plenty for
// telling day from night and scaling an expectation. The clear-sky
// irradiance on a horizontal plane is B. Haurwitz's 1945 model,
// GHI = 1098 cos Z exp(-0.059 / cos Z) W/m², which the Sandia review of
// clear-sky models (Reno, Hansen and Stein, SAND2012-2389) found as good
// as models needing atmospheric inputs. A plant of peak power P (at
// 1000 W/m²) is expected to give at most about P x GHI / 1000.
//
// Pure functions of their arguments; any thread.

#ifndef NODE_SOLAR_H
#define NODE_SOLAR_H

#include <stdint.h>

// The sun's elevation above the horizon, degrees (-90 to 90), at UTC
// instant t_ms, seen from latitude lat_deg (north positive) and longitude
// lon_deg (east positive).
double node_solar_elevation_deg(double lat_deg, double lon_deg, int64_t t_ms);

// Clear-sky global horizontal irradiance (Haurwitz), W/m²: 0 when the sun
// is below the horizon.
double node_solar_clear_sky_ghi(double elevation_deg);

// The energy, Wh, that a plant of peak_w watts would give under a clear sky
// over [from_ms, to_ms) (to_ms > from_ms), integrated on 12 sub-intervals:
// peak_w x GHI / 1000 at each sub-interval's middle.
double node_solar_clear_sky_wh(double lat_deg, double lon_deg, double peak_w,
    int64_t from_ms, int64_t to_ms);

#endif // NODE_SOLAR_H
