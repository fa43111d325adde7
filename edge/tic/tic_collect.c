// SPDX-License-Identifier: MIT
//
// tic_collect.c: sampling TIC frames into index and power points.

#include "tic_collect.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_tic_series.h"
#include "fed/log.h"

#define ID_MAX       200
#define CHANNELS_MAX 32 // index labels of all tariffs, and the power

typedef struct channel {
	char label[TIC_LABEL_MAX + 1]; // "" for the power
	char id[ID_MAX + 1];
	bool seen_nonzero;
	int64_t last_ts;
} channel;

struct tic_collect {
	char prefix[ID_MAX + 1]; // "site/meter/"
	char owner[256];
	int64_t period_ms, power_period_ms;
	int64_t next_index_ms, next_power_ms;
	edge_sender *sender;
	channel ch[CHANNELS_MAX];
	size_t n_ch;
	tic_collect_stats st;
	int64_t log_ms;
};

fed_status
tic_collect_new(
    const tic_collect_opts *o, edge_sender *sender, tic_collect **out)
{
	if (o == NULL || sender == NULL || out == NULL || o->site == NULL
	    || o->meter == NULL || o->site[0] == '\0' || o->meter[0] == '\0'
	    || strlen(o->site) + strlen(o->meter) + 20 > ID_MAX
	    || o->period_ms < 0 || o->power_period_ms < 0)
		return FED_INVALID_ARGUMENT;
	tic_collect *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return FED_RESOURCE_EXHAUSTED;
	snprintf(c->prefix, sizeof(c->prefix), "%s/%s/", o->site, o->meter);
	snprintf(c->owner, sizeof(c->owner), "%s",
	    o->owner != NULL ? o->owner : "");
	c->period_ms = o->period_ms;
	c->power_period_ms = o->power_period_ms;
	c->sender = sender;
	*out = c;
	return FED_OK;
}

void
tic_collect_free(tic_collect *c)
{
	free(c);
}

void
tic_collect_get_stats(const tic_collect *c, tic_collect_stats *st)
{
	*st = c->st;
}

int64_t
tic_collect_frame_time(const tic_frame *f, int64_t clock_ms, int *from_meter)
{
	const tic_group *g = NULL;
	int64_t ms = 0;
	bool degraded = true;
	*from_meter = 0;
	if (f->mode != TIC_MODE_STANDARD
	    || tic_frame_get(f, "DATE", &g) != FED_OK
	    || tic_horodate_to_ms(g->horodate, &ms, &degraded) != FED_OK
	    || degraded)
		return clock_ms;
	*from_meter = 1;
	return ms;
}

static fed_status
declare(tic_collect *c, const channel *ch, tic_mode mode)
{
	const char *reg = ch->label[0] != '\0' ? ch->label
	    : mode == TIC_MODE_STANDARD        ? "SINSTS"
	                                       : "PAPP";
	edge_tic_series s;
	if (edge_tic_series_of(reg, &s) != FED_OK)
		return FED_INTERNAL;
	edge_tic_meta meta;
	edge_tic_series_meta(&meta, &s, reg, mode == TIC_MODE_STANDARD, ch->id,
	    c->owner,
	    ch->label[0] != '\0' ? c->period_ms : c->power_period_ms);
	return edge_sender_declare(c->sender, &meta.m);
}

// The channel of `label` ("" for the power), created (and its series
// declared) when first met; NULL when the table is full.
static channel *
channel_of(tic_collect *c, const char *label, tic_mode mode)
{
	for (size_t i = 0; i < c->n_ch; i++)
		if (strcmp(c->ch[i].label, label) == 0)
			return &c->ch[i];
	if (c->n_ch == CHANNELS_MAX)
		return NULL;
	channel *ch = &c->ch[c->n_ch];
	memset(ch, 0, sizeof(*ch));
	snprintf(ch->label, sizeof(ch->label), "%s", label);
	edge_tic_series s;
	if (edge_tic_series_of(label[0] != '\0' ? label : "PAPP", &s)
	    != FED_OK)
		return NULL;
	const char *q = s.suffix;
	// tic_collect_new checked that site, meter and label fit.
	size_t np = strlen(c->prefix), nq = strlen(q);
	memcpy(ch->id, c->prefix, np);
	memcpy(ch->id + np, q, nq + 1);
	fed_status st = declare(c, ch, mode);
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, "tic", "registering %s: %s", ch->id,
		    fed_status_name(st));
	c->n_ch++;
	return ch;
}

// Points of one request under construction.
typedef struct batch {
	Enfed__V1__SeriesPoints sp[CHANNELS_MAX];
	Enfed__V1__SeriesPoints *ptrs[CHANNELS_MAX];
	int64_t ts[CHANNELS_MAX];
	double value[CHANNELS_MAX];
	size_t n;
} batch;

static void
add_point(tic_collect *c, batch *b, channel *ch, int64_t ts, double v)
{
	if (ts <= ch->last_ts) {
		c->st.n_not_after++;
		return;
	}
	ch->last_ts = ts;
	size_t i = b->n++;
	enfed__v1__series_points__init(&b->sp[i]);
	b->ts[i] = ts;
	b->value[i] = v;
	b->sp[i].series_id = ch->id;
	b->sp[i].ts_ms = &b->ts[i];
	b->sp[i].value = &b->value[i];
	b->sp[i].n_ts_ms = b->sp[i].n_value = 1;
	b->ptrs[i] = &b->sp[i];
}

static bool
is_index(const char *label)
{
	edge_tic_series s;
	return edge_tic_series_of(label, &s) == FED_OK && s.is_index;
}

// The frame's indexes; true when at least one was present and valid.
static bool
add_indexes(tic_collect *c, batch *b, const tic_frame *f, int64_t ts)
{
	bool any = false;
	for (size_t i = 0; i < f->n_groups && b->n < CHANNELS_MAX - 1; i++) {
		const char *label = f->groups[i].label;
		uint64_t wh;
		if (!is_index(label))
			continue;
		if (tic_frame_get_index_wh(f, label, &wh) != FED_OK) {
			c->st.n_bad_value++;
			continue;
		}
		any = true;
		channel *known = NULL;
		for (size_t k = 0; k < c->n_ch && known == NULL; k++)
			if (strcmp(c->ch[k].label, label) == 0)
				known = &c->ch[k];
		if (wh == 0 && (known == NULL || !known->seen_nonzero))
			continue; // a register not in use
		channel *ch
		    = known != NULL ? known : channel_of(c, label, f->mode);
		if (ch == NULL)
			continue;
		ch->seen_nonzero = true;
		add_point(c, b, ch, ts, (double) wh);
	}
	return any;
}

static bool
add_power(tic_collect *c, batch *b, const tic_frame *f, int64_t ts)
{
	uint32_t va;
	fed_status st = tic_frame_get_power_va(f, "PAPP", &va);
	if (st == FED_NOT_FOUND)
		st = tic_frame_get_power_va(f, "SINSTS", &va);
	if (st == FED_INVALID_ARGUMENT)
		c->st.n_bad_value++;
	if (st != FED_OK)
		return false;
	channel *ch = channel_of(c, "", f->mode);
	if (ch != NULL)
		add_point(c, b, ch, ts, (double) va);
	return true;
}

static bool
due(int64_t ts, int64_t next_ms)
{
	return ts >= next_ms;
}

static int64_t
next_slot(int64_t ts, int64_t period_ms)
{
	return period_ms == 0 ? ts + 1 : (ts / period_ms + 1) * period_ms;
}

fed_status
tic_collect_frame(
    tic_collect *c, const tic_frame *f, int64_t clock_ms, size_t *n_points)
{
	int from_meter = 0;
	int64_t ts = tic_collect_frame_time(f, clock_ms, &from_meter);
	batch b;
	b.n = 0;
	c->st.n_frames++;
	c->st.n_meter_time += (uint64_t) from_meter;
	if (n_points != NULL)
		*n_points = 0;
	if (due(ts, c->next_index_ms) && add_indexes(c, &b, f, ts))
		c->next_index_ms = next_slot(ts, c->period_ms);
	if (due(ts, c->next_power_ms) && add_power(c, &b, f, ts))
		c->next_power_ms = next_slot(ts, c->power_period_ms);
	if (b.n == 0)
		return FED_OK;
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = b.ptrs;
	req.n_series = b.n;
	fed_status st = edge_sender_submit(c->sender, &req);
	if (st != FED_OK)
		c->st.n_submit_failed++;
	c->st.n_points += b.n;
	if (n_points != NULL)
		*n_points = b.n;
	return st;
}
