// SPDX-License-Identifier: MIT
//
// edge_thin.c: thinning the oldest raw samples of a full samples spool;
// see edge_thin.h.

#include "edge_thin.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fed/log.h"
#include "fed/status.h"

// Most distinct series counted in one thinning (beyond: kept whole).
#define SEEN_MAX 4096

typedef struct seen {
	char *id;
	uint64_t n;
} seen_t;

// One round's state: the per-series counters and which series to keep
// whole.
typedef struct thin_ctx {
	seen_t *seen;
	size_t n_seen;
	edge_thin_keep_fn keep;
	void *keep_arg;
} thin_ctx;

typedef struct kept {
	uint8_t **buf;
	size_t *len;
	uint64_t *points;
	size_t n, cap;
} kept;

// The counter of series id (added at 0), NULL when the table is full.
static uint64_t *
counter(seen_t *seen, size_t *n_seen, const char *id)
{
	for (size_t i = 0; i < *n_seen; i++)
		if (strcmp(seen[i].id, id) == 0)
			return &seen[i].n;
	if (*n_seen == SEEN_MAX)
		return NULL;
	seen[*n_seen].id = strdup(id);
	if (seen[*n_seen].id == NULL)
		return NULL;
	seen[*n_seen].n = 0;
	return &seen[(*n_seen)++].n;
}

// Keeps points 0, 2, 4, ... of the series' run (counted across records).
static uint64_t
thin_series(Enfed__V1__SeriesPoints *sp, uint64_t *c)
{
	size_t w = 0,
	       n = sp->n_ts_ms < sp->n_value ? sp->n_ts_ms : sp->n_value;
	for (size_t i = 0; i < n; i++, (*c)++) {
		if (*c % 2 != 0)
			continue;
		sp->ts_ms[w] = sp->ts_ms[i];
		sp->value[w] = sp->value[i];
		w++;
	}
	sp->n_ts_ms = sp->n_value = w;
	return n - w;
}

static uint64_t
thin_request(Enfed__V1__IngestRequest *req, thin_ctx *t)
{
	uint64_t dropped = 0;
	for (size_t i = 0; i < req->n_series; i++) {
		Enfed__V1__SeriesPoints *sp = req->series[i];
		if (t->keep != NULL && t->keep(t->keep_arg, sp->series_id))
			continue;
		uint64_t *c = counter(t->seen, &t->n_seen, sp->series_id);
		if (c != NULL)
			dropped += thin_series(sp, c);
	}
	return dropped;
}

// The thinned request packed, its empty series left out; NULL (and *len
// 0) when nothing is left or memory runs out.
static uint8_t *
pack_kept(Enfed__V1__IngestRequest *req, size_t *len, uint64_t *points)
{
	Enfed__V1__SeriesPoints **keep
	    = calloc(req->n_series + 1, sizeof(*keep));
	Enfed__V1__IngestRequest out = ENFED__V1__INGEST_REQUEST__INIT;
	*len = 0;
	*points = 0;
	if (keep == NULL)
		return NULL;
	out.series = keep;
	for (size_t i = 0; i < req->n_series; i++)
		if (req->series[i]->n_ts_ms > 0) {
			keep[out.n_series++] = req->series[i];
			*points += req->series[i]->n_ts_ms;
		}
	uint8_t *buf = NULL;
	if (out.n_series > 0) {
		*len = enfed__v1__ingest_request__get_packed_size(&out);
		buf = malloc(*len);
		if (buf != NULL)
			enfed__v1__ingest_request__pack(&out, buf);
	}
	free(keep);
	return buf;
}

static bool
keep_push(kept *k, uint8_t *buf, size_t len, uint64_t points)
{
	if (k->n == k->cap) {
		size_t cap = k->cap == 0 ? 16 : k->cap * 2;
		uint8_t **b = realloc(k->buf, cap * sizeof(*b));
		if (b != NULL)
			k->buf = b;
		size_t *l = realloc(k->len, cap * sizeof(*l));
		if (l != NULL)
			k->len = l;
		uint64_t *p = realloc(k->points, cap * sizeof(*p));
		if (p != NULL)
			k->points = p;
		if (b == NULL || l == NULL || p == NULL)
			return false;
		k->cap = cap;
	}
	k->buf[k->n] = buf;
	k->len[k->n] = len;
	k->points[k->n++] = points;
	return true;
}

// Takes the head record into k, thinned (or whole when it does not
// unpack). False when the spool has no record left or memory ran out
// (then the record stays in the spool).
static bool
take_one(
    fed_spool *sp, kept *k, thin_ctx *t, edge_thin_result *r, size_t *taken)
{
	const uint8_t *b;
	size_t len;
	fed_spool_cursor next;
	if (fed_spool_peek(sp, &b, &len, &next) != FED_OK)
		return false;
	Enfed__V1__IngestRequest *req
	    = enfed__v1__ingest_request__unpack(NULL, len, b);
	uint8_t *buf = NULL;
	size_t out_len = len;
	uint64_t points = 0, dropped = 0;
	if (req != NULL) {
		dropped = thin_request(req, t);
		buf = pack_kept(req, &out_len, &points);
		enfed__v1__ingest_request__free_unpacked(req, NULL);
		if (buf == NULL && out_len > 0)
			return false;
	} else if ((buf = malloc(len)) != NULL) {
		memcpy(buf, b, len);
	} else {
		return false;
	}
	if (buf != NULL && !keep_push(k, buf, out_len, points)) {
		free(buf);
		return false;
	}
	(void) fed_spool_ack(sp, next);
	r->n_records++;
	r->n_dropped += dropped;
	*taken += len + FED_SPOOL_RECORD_OVERHEAD;
	return true;
}

// Appends the kept records back; the points of one that fails are lost.
static void
put_back(fed_spool *sp, kept *k, const char *component, edge_thin_result *r)
{
	for (size_t i = 0; i < k->n; i++) {
		fed_status st = fed_spool_append(sp, k->buf[i], k->len[i]);
		if (st == FED_OK) {
			r->n_kept += k->points[i];
		} else {
			r->n_dropped += k->points[i];
			fed_log(FED_LOG_ERR, component,
			    "thinning: %" PRIu64 " kept samples lost (%s)",
			    k->points[i], fed_status_name(st));
		}
		free(k->buf[i]);
	}
	free(k->buf);
	free(k->len);
	free(k->points);
}

void
edge_thin_oldest(fed_spool *sp, const char *component, edge_thin_keep_fn keep,
    void *keep_arg, edge_thin_result *r)
{
	memset(r, 0, sizeof(*r));
	uint64_t bytes = 0;
	fed_spool_pending(sp, NULL, &bytes);
	thin_ctx t = {.seen = calloc(SEEN_MAX, sizeof(seen_t)),
	    .keep = keep,
	    .keep_arg = keep_arg};
	size_t taken = 0;
	kept k = {0};
	while (t.seen != NULL && taken < bytes / 2
	    && take_one(sp, &k, &t, r, &taken))
		;
	put_back(sp, &k, component, r);
	for (size_t i = 0; i < t.n_seen; i++)
		free(t.seen[i].id);
	free(t.seen);
}
