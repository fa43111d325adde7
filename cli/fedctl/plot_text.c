// SPDX-License-Identifier: MIT
//
// plot_text.c: what the terminal and the SVG figures share (resampling a
// curve on columns, ticks of the time axis, panel titles) and the terminal
// figure itself: per panel its box, then `height` rows of block characters
// with the value scale on the left, then the axis; the tick labels once,
// under the last panel, as the panels share their columns.

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"
#include "query.h"

#define LABEL_W 10

static int64_t
bucket_end(const fedctl_plot *p, const Enfed__V1__SeriesResult *r,
    const Enfed__V1__SeriesInfo *info, size_t i)
{
	if (p->n_bucket_end == r->n_ts_ms)
		return p->bucket_end_ms[i];
	int64_t iv = info->meta->interval_s > 0
	    ? (int64_t) info->meta->interval_s * 1000
	    : 300000;
	int64_t e = r->ts_ms[i] + iv;
	if (i + 1 < r->n_ts_ms && r->ts_ms[i + 1] < e)
		e = r->ts_ms[i + 1];
	return e;
}

static size_t
to_col(const fedctl_plot *p, int64_t t, size_t width)
{
	if (t <= p->from_ms)
		return 0;
	double x = (double) (t - p->from_ms) * (double) width
	    / (double) (p->to_ms - p->from_ms);
	return x >= (double) width ? width - 1 : (size_t) x;
}

static void
set_range(fedctl_columns *cols)
{
	cols->ymin = 0;
	cols->ymax = 0;
	for (size_t x = 0; x < cols->width; x++) {
		if (!cols->has[x])
			continue;
		cols->ymin = fmin(cols->ymin, cols->col[x]);
		cols->ymax = fmax(cols->ymax, cols->col[x]);
	}
	if (cols->ymax <= cols->ymin)
		cols->ymax = cols->ymin + 1;
}

fed_status
fedctl_columns_make(
    const fedctl_plot *p, size_t i, size_t width, fedctl_columns *out)
{
	const Enfed__V1__SeriesResult *r = p->res[i];
	memset(out, 0, sizeof(*out));
	out->col = calloc(width, sizeof(*out->col));
	out->has = calloc(width, sizeof(*out->has));
	unsigned *cnt = calloc(width, sizeof(*cnt));
	out->width = width;
	if (out->col == NULL || out->has == NULL || cnt == NULL) {
		free(cnt);
		fedctl_columns_fini(out);
		return FED_RESOURCE_EXHAUSTED;
	}
	for (size_t k = 0; k < r->n_ts_ms && k < r->n_value; k++) {
		if (fedctl_bucket_empty(r, k))
			continue;
		size_t x0 = to_col(p, r->ts_ms[k], width);
		size_t x1
		    = to_col(p, bucket_end(p, r, p->info[i], k) - 1, width);
		for (size_t x = x0; x <= x1 && x1 >= x0; x++) {
			out->col[x] += r->value[k];
			cnt[x]++;
		}
	}
	for (size_t x = 0; x < width; x++) {
		out->has[x] = cnt[x] > 0;
		if (cnt[x] > 0)
			out->col[x] /= cnt[x];
	}
	free(cnt);
	set_range(out);
	return FED_OK;
}

void
fedctl_columns_fini(fedctl_columns *cols)
{
	free(cols->col);
	free(cols->has);
	memset(cols, 0, sizeof(*cols));
}

// --- Ticks ------------------------------------------------------------------

struct tick_unit {
	fed_tz_unit unit;
	int every; // keep boundaries whose hour (or month) is a multiple
};

static bool
keep_tick(const fed_tz *zone, int64_t t, const struct tick_unit *u)
{
	fed_tz_tm tm;
	fed_tz_localtime(zone, t, &tm);
	if (u->unit == FED_TZ_HOUR)
		return tm.hour % u->every == 0;
	if (u->unit == FED_TZ_MONTH)
		return (tm.month - 1) % u->every == 0;
	if (u->unit == FED_TZ_YEAR)
		return tm.year % u->every == 0;
	return true;
}

static size_t
tick_list(const fed_tz *zone, int64_t from, int64_t to,
    const struct tick_unit *u, int64_t *ticks, size_t max)
{
	size_t n = 0;
	int64_t t = fed_tz_floor(zone, from, u->unit);
	if (t < from)
		t = fed_tz_next(zone, t, u->unit);
	for (int guard = 0; t < to && guard < 2000; guard++) {
		if (keep_tick(zone, t, u)) {
			if (n == max)
				return max + 1;
			ticks[n++] = t;
		}
		t = fed_tz_next(zone, t, u->unit);
	}
	return n;
}

static void
tick_label(const fed_tz *zone, int64_t t, fed_tz_unit unit, char *buf)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	fed_tz_tm tm;
	fed_tz_localtime(zone, t, &tm);
	if (unit == FED_TZ_HOUR && (tm.hour != 0 || tm.minute != 0))
		snprintf(buf, 24, "%02d:%02d", tm.hour, tm.minute);
	else if (unit <= FED_TZ_WEEK)
		snprintf(buf, 24, "%02d/%02d", tm.day, tm.month);
	else if (unit == FED_TZ_MONTH && tm.month != 1)
		snprintf(buf, 24, "%s", months[tm.month - 1]);
	else
		snprintf(buf, 24, "%d", tm.year);
}

size_t
fedctl_plot_ticks(const fed_tz *zone, int64_t from, int64_t to, int64_t *ticks,
    char (*labels)[24], size_t max)
{
	static const struct tick_unit units[] = {{FED_TZ_HOUR, 1},
	    {FED_TZ_HOUR, 3}, {FED_TZ_HOUR, 6}, {FED_TZ_HOUR, 12},
	    {FED_TZ_DAY, 1}, {FED_TZ_WEEK, 1}, {FED_TZ_MONTH, 1},
	    {FED_TZ_MONTH, 3}, {FED_TZ_YEAR, 1}, {FED_TZ_YEAR, 10}};
	size_t limit = max < 12 ? max : 12;
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		size_t n = tick_list(zone, from, to, &units[u], ticks, limit);
		if (n > limit)
			continue;
		for (size_t k = 0; k < n; k++)
			tick_label(zone, ticks[k], units[u].unit, labels[k]);
		return n;
	}
	return 0;
}

void
fedctl_plot_title(const fedctl_plot *p, size_t i, char *buf, size_t len)
{
	const Enfed__V1__SeriesMeta *m = p->info[i]->meta;
	snprintf(buf, len, "%s: %s, %s, %s %s, %s", m->id,
	    fedctl_kind_name(m->kind), fedctl_unit_name(m->unit), p->step_name,
	    p->agg_name, m->owner);
}

// --- Terminal figure --------------------------------------------------------

// The glyph of a column at a row whose bottom is at `level_lo` eighths.
static const char *
glyph(double eighths, size_t row_lo, bool ascii)
{
	static const char *const blocks[]
	    = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	static const char *const chars[]
	    = {" ", ".", ".", ":", ":", "|", "|", "#", "#"};
	double in = eighths - (double) row_lo * 8;
	int k = in >= 8 ? 8 : in <= 0 ? 0 : (int) in;
	return ascii ? chars[k] : blocks[k];
}

static void
draw_rows(const fedctl_columns *cols, size_t height, bool ascii, FILE *f)
{
	for (size_t row = height; row-- > 0;) {
		char lab[32] = "";
		if (row == height - 1)
			fedctl_fmt_human(cols->ymax, lab, sizeof(lab));
		else if (row == 0)
			fedctl_fmt_human(cols->ymin, lab, sizeof(lab));
		fprintf(f, "%*.*s %s", LABEL_W - 1, LABEL_W - 1, lab,
		    ascii ? "|" : "│");
		for (size_t x = 0; x < cols->width; x++) {
			double e = cols->has[x] ? (cols->col[x] - cols->ymin)
			        / (cols->ymax - cols->ymin) * (double) height
			        * 8
			                        : 0;
			fputs(glyph(e, row, ascii), f);
		}
		fputc('\n', f);
	}
}

static void
draw_axis(const int64_t *ticks, size_t n, const fedctl_plot *p, size_t width,
    bool ascii, FILE *f)
{
	fprintf(f, "%*s%s", LABEL_W, "", ascii ? "+" : "└");
	size_t k = 0;
	for (size_t x = 0; x < width; x++) {
		bool tick = k < n && to_col(p, ticks[k], width) == x;
		while (k < n && to_col(p, ticks[k], width) <= x)
			k++;
		fputs(tick ? (ascii ? "+" : "┴") : (ascii ? "-" : "─"), f);
	}
	fputc('\n', f);
}

static void
draw_labels(const int64_t *ticks, char (*labels)[24], size_t n,
    const fedctl_plot *p, size_t width, FILE *f)
{
	char *line = malloc(width + 32);
	if (line == NULL)
		return;
	memset(line, ' ', width + 31);
	line[width + 31] = '\0';
	size_t next_free = 0;
	for (size_t k = 0; k < n; k++) {
		size_t x = to_col(p, ticks[k], width), l = strlen(labels[k]);
		if (x < next_free || x + l > width + 31)
			continue;
		memcpy(line + x, labels[k], l);
		next_free = x + l + 1;
	}
	size_t end = width + 31;
	while (end > 0 && line[end - 1] == ' ')
		line[--end] = '\0';
	fprintf(f, "%*s %s\n", LABEL_W, "", line);
	free(line);
}

static void
draw_box(const fedctl_plot *p, size_t i, FILE *f)
{
	char title[512];
	fedctl_plot_title(p, i, title, sizeof(title));
	fprintf(f, "%s\n", title);
	const Enfed__V1__SeriesMeta *m = p->info[i]->meta;
	for (size_t k = 0; k < m->n_box; k++)
		fprintf(f, "    %s: %s\n", m->box[k]->key, m->box[k]->value);
}

fed_status
fedctl_plot_text(const fedctl *c, const fedctl_plot *p, size_t width,
    size_t height, bool ascii, FILE *f)
{
	int64_t ticks[12];
	char labels[12][24];
	size_t nt = fedctl_plot_ticks(
	    fedctl_show_zone(c), p->from_ms, p->to_ms, ticks, labels, 12);
	for (size_t i = 0; i < p->n; i++) {
		fedctl_columns cols;
		FED_TRY(fedctl_columns_make(p, i, width, &cols));
		if (i > 0)
			fputc('\n', f);
		draw_box(p, i, f);
		draw_rows(&cols, height, ascii, f);
		draw_axis(ticks, nt, p, width, ascii, f);
		fedctl_columns_fini(&cols);
	}
	draw_labels(ticks, labels, nt, p, width, f);
	char a[48], b[48];
	fedctl_time_short(c, p->from_ms, a, sizeof(a));
	fedctl_time_short(c, p->to_ms, b, sizeof(b));
	fprintf(f, "%*s %s .. %s (%s)\n", LABEL_W, "", a, b,
	    fed_tz_name(fedctl_show_zone(c)));
	return ferror(f) ? FED_UNAVAILABLE : FED_OK;
}
