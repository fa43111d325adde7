// SPDX-License-Identifier: MIT
//
// plot_svg.c: the figure of `fedctl plot --svg FILE` as a standalone SVG
// document: the panels one under another (class "panel": the box as text,
// a frame, the value scale and the curve as a step path broken at gaps),
// then one time axis (class "time-axis") with its ticks drawn across all
// panels. Every text from the node is XML-escaped.

#include <stdlib.h>
#include <string.h>

#include "plot.h"

#define SVG_W     960
#define LEFT      80
#define RIGHT     20
#define PLOT_W    (SVG_W - LEFT - RIGHT)
#define CHART_H   140
#define LINE_H    16
#define PANEL_GAP 24
#define TOP       20

static void
xml_text(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			// Control characters are not allowed in XML 1.0.
			if ((unsigned char) *s >= 0x20 || *s == '\t')
				fputc(*s, f);
		}
	}
}

static int
panel_height(const fedctl_plot *p, size_t i)
{
	return (int) (1 + p->info[i]->meta->n_box) * LINE_H + CHART_H
	    + PANEL_GAP;
}

static void
svg_box(const fedctl_plot *p, size_t i, FILE *f)
{
	char title[512];
	fedctl_plot_title(p, i, title, sizeof(title));
	fprintf(
	    f, "<text class=\"title\" x=\"%d\" y=\"%d\">", LEFT, LINE_H - 4);
	xml_text(f, title);
	fputs("</text>\n", f);
	const Enfed__V1__SeriesMeta *m = p->info[i]->meta;
	for (size_t k = 0; k < m->n_box; k++) {
		fprintf(f, "<text class=\"fact\" x=\"%d\" y=\"%d\">",
		    LEFT + 12, (int) (k + 2) * LINE_H - 4);
		xml_text(f, m->box[k]->key);
		fputs(": ", f);
		xml_text(f, m->box[k]->value);
		fputs("</text>\n", f);
	}
}

static double
y_of(const fedctl_columns *cols, double v)
{
	return CHART_H
	    - (v - cols->ymin) / (cols->ymax - cols->ymin) * CHART_H;
}

// The curve as horizontal runs of equal columns, joined by vertical
// steps, lifted over columns without data.
static void
svg_curve(const fedctl_columns *cols, FILE *f)
{
	fputs(
	    "<path class=\"curve\" fill=\"none\" stroke=\"#1f77b4\" d=\"", f);
	bool pen = false;
	for (size_t x = 0; x < cols->width; x++) {
		if (!cols->has[x]) {
			pen = false;
			continue;
		}
		size_t end = x + 1;
		while (end < cols->width && cols->has[end]
		    && cols->col[end] == cols->col[x])
			end++;
		fprintf(f, "%s%d %.1f H%d ", pen ? "L" : "M", LEFT + (int) x,
		    y_of(cols, cols->col[x]), LEFT + (int) end);
		pen = true;
		x = end - 1;
	}
	fputs("\"/>\n", f);
}

static fed_status
svg_panel(const fedctl_plot *p, size_t i, int y, FILE *f)
{
	fedctl_columns cols;
	FED_TRY(fedctl_columns_make(p, i, PLOT_W, &cols));
	fprintf(f, "<g class=\"panel\" transform=\"translate(0,%d)\">\n", y);
	svg_box(p, i, f);
	int top = (int) (1 + p->info[i]->meta->n_box) * LINE_H;
	fprintf(f, "<g transform=\"translate(0,%d)\">\n", top);
	fprintf(f,
	    "<rect class=\"frame\" x=\"%d\" y=\"0\" width=\"%d\" "
	    "height=\"%d\" fill=\"none\" stroke=\"#999\"/>\n",
	    LEFT, PLOT_W, CHART_H);
	char hi[32], lo[32];
	fedctl_fmt_human(cols.ymax, hi, sizeof(hi));
	fedctl_fmt_human(cols.ymin, lo, sizeof(lo));
	const char *unit = fedctl_unit_name(p->info[i]->meta->unit);
	fprintf(f,
	    "<text class=\"scale\" x=\"%d\" y=\"10\" "
	    "text-anchor=\"end\">%s %s</text>\n"
	    "<text class=\"scale\" x=\"%d\" y=\"%d\" "
	    "text-anchor=\"end\">%s %s</text>\n",
	    LEFT - 4, hi, unit, LEFT - 4, CHART_H, lo, unit);
	svg_curve(&cols, f);
	fputs("</g>\n</g>\n", f);
	fedctl_columns_fini(&cols);
	return FED_OK;
}

static int
x_of(const fedctl_plot *p, int64_t t)
{
	return LEFT
	    + (int) ((double) (t - p->from_ms) * PLOT_W
	        / (double) (p->to_ms - p->from_ms));
}

static void
svg_axis(const fedctl *c, const fedctl_plot *p, int height, FILE *f)
{
	int64_t ticks[12];
	char labels[12][24];
	size_t nt = fedctl_plot_ticks(
	    fedctl_show_zone(c), p->from_ms, p->to_ms, ticks, labels, 12);
	fprintf(f, "<g class=\"time-axis\" transform=\"translate(0,%d)\">\n",
	    height);
	fprintf(f,
	    "<line x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"0\" stroke=\"#333\"/>\n",
	    LEFT, LEFT + PLOT_W);
	for (size_t k = 0; k < nt; k++) {
		int x = x_of(p, ticks[k]);
		fprintf(f,
		    "<line class=\"grid\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		    "y2=\"6\" stroke=\"#ddd\"/>\n"
		    "<text class=\"tick\" x=\"%d\" y=\"20\" "
		    "text-anchor=\"middle\">",
		    x, TOP - height, x, x);
		xml_text(f, labels[k]);
		fputs("</text>\n", f);
	}
	fprintf(f,
	    "<text class=\"zone\" x=\"%d\" y=\"38\" "
	    "text-anchor=\"end\">",
	    LEFT + PLOT_W);
	xml_text(f, fed_tz_name(fedctl_show_zone(c)));
	fputs("</text>\n</g>\n", f);
}

fed_status
fedctl_plot_svg(const fedctl *c, const fedctl_plot *p, FILE *f)
{
	int height = TOP;
	for (size_t i = 0; i < p->n; i++)
		height += panel_height(p, i);
	fprintf(f,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
	    "font-size=\"12\">\n"
	    "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
	    SVG_W, height + 50, SVG_W, height + 50);
	int y = TOP;
	for (size_t i = 0; i < p->n; i++) {
		FED_TRY(svg_panel(p, i, y, f));
		y += panel_height(p, i);
	}
	svg_axis(c, p, y - PANEL_GAP + 4, f);
	fputs("</svg>\n", f);
	return ferror(f) ? FED_UNAVAILABLE : FED_OK;
}
