// SPDX-License-Identifier: MIT
//
// web_svg.h: the charts of fed-web, drawn as inline SVG by the service (no
// script, no external resource): bars or lines of one or more series over
// a time axis in local time, with the buckets whose data is incomplete
// marked (hatched bars, open dots), in a colour-blind-safe palette
// (Okabe & Ito).
//
// Two charts given the same from_ms, to_ms and width draw the same time
// axis at the same x positions: the load-curve page stacks its panels on
// it. The <svg> element carries class "chart" and data-from / data-to (the
// axis, UTC ms), so that a test or a script can check it; and, for the
// page's script (tooltip, crosshair), the plot area (data-x0, data-x1,
// data-y0, data-y1 in viewBox units), the displayed unit and its divisor
// (data-unit, data-div), and each series' buckets on its <g> (data-ts,
// data-vs, data-cs: comma-separated starts in UTC ms, values, coverages).

#ifndef WEB_SVG_H
#define WEB_SVG_H

#include <stddef.h>
#include <stdint.h>

#include "fed/tz.h"
#include "web_html.h"
#include "web_i18n.h"

typedef enum web_svg_kind {
	WEB_SVG_BARS,
	WEB_SVG_LINES,
} web_svg_kind;

// One series: n buckets starting at ts_ms[i] with value[i]; coverage[i]
// in [0,1] (NULL: all complete). A bucket of coverage 0 is not drawn. All
// arrays borrowed for the call.
typedef struct web_svg_series {
	const char *label;
	const int64_t *ts_ms;
	const double *value;
	const double *coverage;
	size_t n;
	int color; // index into the palette
} web_svg_series;

typedef struct web_svg_chart {
	const char *id; // the element's id ([A-Za-z0-9_-]), or NULL
	const char *title; // accessible name (escaped here)
	const char *unit; // unit of the values ("Wh", "W"): scaled to k/M
	int64_t from_ms, to_ms; // the time axis, from < to
	int64_t bucket_ms; // nominal bucket length (bar width)
	web_svg_kind kind;
	const web_svg_series *series;
	size_t n_series;
	const fed_tz *tz; // for the axis labels
	web_lang lang;
	int width, height; // pixels of the viewBox; 0: 960 x 260
	// The step the values are summed over, shown after the unit on the
	// value axis ("par heure": "kWh par heure"); NULL: none.
	const char *per;
} web_svg_chart;

// The palette's colour i (cycled): "#0072B2", ...
const char *web_svg_color(int i);

// Appends the chart to b. INVALID_ARGUMENT (nothing appended) when the
// axis is empty or reversed, a series has n > 0 with a NULL array, or there
// are more than 16 series; otherwise OK (b's own status tells whether the
// text fitted).
fed_status web_svg_chart_write(web_buf *b, const web_svg_chart *c);

// The same chart twice: as c asks (class "chart"), then drawn for a narrow
// screen (class "chart narrow": 640 units wide, half as tall again as c
// asks, half the time labels; its id and its pattern's suffixed "-n").
// The style sheet shows the first on a wide screen and the second on a
// phone or a small tablet, so that a curve keeps a readable height there.
// Same errors as web_svg_chart_write.
fed_status web_svg_chart_write_both(web_buf *b, const web_svg_chart *c);

#endif // WEB_SVG_H
