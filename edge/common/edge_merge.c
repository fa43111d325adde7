// SPDX-License-Identifier: MIT
//
// edge_merge.c: see edge_merge.h.

#include "edge_merge.h"

#include <stdlib.h>
#include <string.h>

// Whether r may be merged with its neighbours: a request whose every
// series has as many values as timestamps, not `replace`.
bool
edge_merge_ok(const edge_rec *r)
{
	if (r->req == NULL || r->alone || r->req->replace)
		return false;
	for (size_t i = 0; i < r->req->n_series; i++)
		if (r->req->series[i]->n_ts_ms != r->req->series[i]->n_value)
			return false;
	return true;
}

void
edge_merge_free(Enfed__V1__IngestRequest *m)
{
	for (size_t i = 0; i < m->n_series; i++) {
		free(m->series[i]->ts_ms);
		free(m->series[i]->value);
		free(m->series[i]);
	}
	free(m->series);
}

// The slot of series id in m, added (empty, its id borrowed) if new; NULL
// when memory is short.
static Enfed__V1__SeriesPoints *
merged_slot(Enfed__V1__IngestRequest *m, char *id)
{
	for (size_t i = 0; i < m->n_series; i++)
		if (strcmp(m->series[i]->series_id, id) == 0)
			return m->series[i];
	Enfed__V1__SeriesPoints *sp = calloc(1, sizeof(*sp));
	if (sp == NULL)
		return NULL;
	enfed__v1__series_points__init(sp);
	sp->series_id = id;
	m->series[m->n_series++] = sp;
	return sp;
}

// Each series of m with room for the points the records hold of it (the
// counts are taken, then reset for the copy).
static fed_status
merged_alloc(Enfed__V1__IngestRequest *m, edge_rec *const *recs, size_t n)
{
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < recs[k]->req->n_series; i++) {
			const Enfed__V1__SeriesPoints *p
			    = recs[k]->req->series[i];
			Enfed__V1__SeriesPoints *sp
			    = merged_slot(m, p->series_id);
			if (sp == NULL)
				return FED_RESOURCE_EXHAUSTED;
			sp->n_ts_ms += p->n_ts_ms;
		}
	for (size_t i = 0; i < m->n_series; i++) {
		Enfed__V1__SeriesPoints *sp = m->series[i];
		size_t cap = sp->n_ts_ms > 0 ? sp->n_ts_ms : 1;
		sp->ts_ms = malloc(cap * sizeof(*sp->ts_ms));
		sp->value = malloc(cap * sizeof(*sp->value));
		sp->n_ts_ms = 0;
		if (sp->ts_ms == NULL || sp->value == NULL)
			return FED_RESOURCE_EXHAUSTED;
	}
	return FED_OK;
}

// The n records recs[] as one request, each series' points in record
// order (one transaction on the node: the order within is kept).
// RESOURCE_EXHAUSTED when memory is short (m then freed).
fed_status
edge_merge(edge_rec *const *recs, size_t n, Enfed__V1__IngestRequest *m)
{
	size_t n_series = 0;
	for (size_t k = 0; k < n; k++)
		n_series += recs[k]->req->n_series;
	m->series = calloc(n_series > 0 ? n_series : 1, sizeof(*m->series));
	if (m->series == NULL)
		return FED_RESOURCE_EXHAUSTED;
	if (merged_alloc(m, recs, n) != FED_OK) {
		edge_merge_free(m);
		return FED_RESOURCE_EXHAUSTED;
	}
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < recs[k]->req->n_series; i++) {
			const Enfed__V1__SeriesPoints *p
			    = recs[k]->req->series[i];
			Enfed__V1__SeriesPoints *sp
			    = merged_slot(m, p->series_id);
			memcpy(sp->ts_ms + sp->n_ts_ms, p->ts_ms,
			    p->n_ts_ms * sizeof(*p->ts_ms));
			memcpy(sp->value + sp->n_value, p->value,
			    p->n_value * sizeof(*p->value));
			sp->n_ts_ms += p->n_ts_ms;
			sp->n_value += p->n_value;
		}
	return FED_OK;
}
