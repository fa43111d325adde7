// SPDX-License-Identifier: MIT
//
// plot.h: the figure of `fedctl plot` (use case 2): the load curves of
// several series one under another on one time axis, each under its
// description box; drawn in the terminal (plot_text.c) or as a standalone
// SVG (plot_svg.c). Both read the same fedctl_plot and the same columns.

#ifndef FEDCTL_PLOT_H
#define FEDCTL_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "enfed/v1/series.pb-c.h"
#include "fedctl.h"

// The figure: n panels, panel i showing res[i] under the box of info[i]
// (both borrowed), over [from_ms, to_ms). bucket_end_ms (n_bucket_end
// entries, may be 0) are the bucket ends of a non-raw query.
typedef struct fedctl_plot {
	int64_t from_ms, to_ms;
	size_t n;
	Enfed__V1__SeriesInfo *const *info;
	Enfed__V1__SeriesResult *const *res;
	const int64_t *bucket_end_ms;
	size_t n_bucket_end;
	const char *step_name, *agg_name;
} fedctl_plot;

// A curve resampled on `width` columns: col[x] is the mean of the buckets
// (or points) that overlap column x, has[x] false where none does.
typedef struct fedctl_columns {
	double *col;
	bool *has;
	size_t width;
	double ymin, ymax; // over the columns that have data; ymin <= 0
} fedctl_columns;

// Resamples panel i of p. RESOURCE_EXHAUSTED when memory runs out.
// Release with fedctl_columns_fini.
fed_status fedctl_columns_make(
    const fedctl_plot *p, size_t i, size_t width, fedctl_columns *out);
void fedctl_columns_fini(fedctl_columns *cols);

// Time-axis ticks in [from, to): local calendar boundaries (hours, days,
// weeks, months or years, chosen for 2 to 12 ticks) in zone, with a short
// label each ("14:00", "Mon 03", "03/29", "Mar", "2026"). Returns how many
// were written (at most max).
size_t fedctl_plot_ticks(const fed_tz *zone, int64_t from, int64_t to,
    int64_t *ticks, char (*labels)[24], size_t max);

// Writes the box title of panel i ("id: kind, unit, step agg, owner") to
// buf.
void fedctl_plot_title(const fedctl_plot *p, size_t i, char *buf, size_t len);

// Draws the figure in the terminal: width columns of chart, height rows
// per panel, Unicode blocks (or ASCII with ascii).
fed_status fedctl_plot_text(const fedctl *c, const fedctl_plot *p,
    size_t width, size_t height, bool ascii, FILE *f);

// Writes the figure as a standalone SVG document: one <g class="panel">
// per series (its box as <text>, its curve as a <path>), then one
// <g class="time-axis"> shared by all panels. Text is XML-escaped.
// UNAVAILABLE on a write error.
fed_status fedctl_plot_svg(const fedctl *c, const fedctl_plot *p, FILE *f);

#endif // FEDCTL_PLOT_H
