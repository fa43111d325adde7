// SPDX-License-Identifier: MIT
//
// mqtt_collect.c: MQTT messages into points (mqtt_collect.h).

#include "mqtt_collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_tic_series.h"
#include "fed/log.h"
#include "fed/metrics.h"
#include "mqtt_decode.h"

#define SERIES_CAP 4096 // series one collector keeps track of

typedef struct series {
	char id[MQTT_SERIES_MAX + 1];
	int64_t last_ts;
	int64_t next_ms;
	bool seen_nonzero;
	bool declared;
} series;

struct mqtt_collect {
	char site[65];
	char owner[256];
	const mqtt_map *map;
	edge_sender *sender;
	series *s;
	size_t n, cap;
	mqtt_collect_stats st;
	fed_metric *m_result[MQTT_RESULT_N];
	uint64_t invalid_logged;
	int64_t log_ms;
	int64_t full_log_ms;
};

static const char *const result_names[MQTT_RESULT_N]
    = {"spooled", "stale", "ignored", "invalid", "unmapped", "retained"};

const char *
mqtt_result_name(mqtt_result r)
{
	return (unsigned) r < MQTT_RESULT_N ? result_names[r] : "?";
}

static void
metrics_init(mqtt_collect *c)
{
	fed_metrics_desc d = {.name = "enfed_mqtt_messages_total",
	    .help = "MQTT messages received, by result (spooled, stale, "
	            "ignored, invalid, unmapped, retained)",
	    .type = FED_METRIC_COUNTER,
	    .labels = {"result"},
	    .n_labels = 1};
	fed_metrics_family *f = NULL;
	if (fed_metrics_family_get(fed_metrics_default(), &d, &f) != FED_OK)
		return;
	for (size_t i = 0; i < MQTT_RESULT_N; i++)
		(void) fed_metrics_child(f, &result_names[i], &c->m_result[i]);
}

fed_status
mqtt_collect_new(const mqtt_collect_opts *o, mqtt_collect **out)
{
	if (o == NULL || out == NULL || o->site == NULL || o->site[0] == '\0'
	    || strlen(o->site) > 64 || o->map == NULL || o->sender == NULL)
		return FED_INVALID_ARGUMENT;
	mqtt_collect *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return FED_RESOURCE_EXHAUSTED;
	snprintf(c->site, sizeof(c->site), "%s", o->site);
	snprintf(c->owner, sizeof(c->owner), "%s",
	    o->owner != NULL ? o->owner : "");
	c->map = o->map;
	c->sender = o->sender;
	metrics_init(c);
	*out = c;
	return FED_OK;
}

void
mqtt_collect_free(mqtt_collect *c)
{
	if (c == NULL)
		return;
	free(c->s);
	free(c);
}

void
mqtt_collect_get_stats(const mqtt_collect *c, mqtt_collect_stats *st)
{
	*st = c->st;
}

// The series `id`, added when new; NULL when the table is full.
static series *
series_of(mqtt_collect *c, const char *id)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->s[i].id, id) == 0)
			return &c->s[i];
	if (c->n == SERIES_CAP)
		return NULL;
	if (c->n == c->cap) {
		size_t nc = c->cap == 0 ? 16 : c->cap * 2;
		series *ns = realloc(c->s, nc * sizeof(*ns));
		if (ns == NULL)
			return NULL;
		c->s = ns;
		c->cap = nc;
	}
	series *s = &c->s[c->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	return s;
}

static fed_status
declare(mqtt_collect *c, const mqtt_route *rt, const mqtt_reading *rd,
    const mqtt_decoded *dec, const char *id)
{
	if (rt->decoder != MQTT_DEC_NUMBER) {
		edge_tic_meta meta;
		edge_tic_series_meta(&meta, &rd->tic, rd->label, dec->standard,
		    id, c->owner, rt->period_ms);
		return edge_sender_declare(c->sender, &meta.m);
	}
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	Enfed__V1__Fact f[2], *box[2];
	char line[16];
	snprintf(line, sizeof(line), "%d", rt->line);
	const char *kv[2][2]
	    = {{"mqtt topic", rt->filter}, {"mapping line", line}};
	for (size_t i = 0; i < 2; i++) {
		enfed__v1__fact__init(&f[i]);
		f[i].key = (char *) kv[i][0];
		f[i].value = (char *) kv[i][1];
		box[i] = &f[i];
	}
	m.id = (char *) id;
	m.kind = rt->kind;
	m.unit = rt->unit;
	m.cumulative = rt->cumulative;
	m.interval_s
	    = rt->period_ms >= 1000 ? (uint32_t) (rt->period_ms / 1000) : 1;
	m.source = "MQTT";
	m.owner = c->owner;
	m.box = box;
	m.n_box = 2;
	return edge_sender_declare(c->sender, &m);
}

typedef struct batch {
	char ids[MQTT_READINGS_MAX][MQTT_SERIES_MAX + 1];
	Enfed__V1__SeriesPoints sp[MQTT_READINGS_MAX];
	Enfed__V1__SeriesPoints *ptrs[MQTT_READINGS_MAX];
	int64_t ts[MQTT_READINGS_MAX];
	double value[MQTT_READINGS_MAX];
	size_t n;
} batch;

static void
log_invalid(mqtt_collect *c, const char *topic, const char *why)
{
	uint64_t n = c->st.n_result[MQTT_INVALID];
	if (fed_log_limited(&c->log_ms, 60000, FED_LOG_WARNING, "mqtt",
	        "invalid messages so far: %llu (last: topic %.200s: %s); "
	        "they are counted, never stored",
	        (unsigned long long) n, topic, why))
		c->invalid_logged = n;
}

// Counts a message's result (and says it at debug level).
static mqtt_result
count(mqtt_collect *c, mqtt_result r, const char *topic, size_t points)
{
	c->st.n_result[r]++;
	fed_metric_inc(c->m_result[r]);
	if (fed_log_enabled(FED_LOG_DEBUG))
		fed_log(FED_LOG_DEBUG, "mqtt",
		    "message on %.200s: %s, %zu points", topic,
		    result_names[r], points);
	return r;
}

// Adds the point of reading rd to b when due; 1 when added.
static int
add_point(mqtt_collect *c, batch *b, const mqtt_route *rt,
    const mqtt_reading *rd, const mqtt_decoded *dec, const char *prefix,
    int64_t ts)
{
	char *id = b->ids[b->n];
	int w = rt->decoder == MQTT_DEC_NUMBER
	    ? snprintf(id, MQTT_SERIES_MAX + 1, "%s", prefix)
	    : snprintf(
	        id, MQTT_SERIES_MAX + 1, "%s/%s", prefix, rd->tic.suffix);
	if (w < 0 || w > MQTT_SERIES_MAX)
		return 0; // mqtt_map keeps room for the suffix
	series *s = series_of(c, id);
	if (s == NULL) {
		c->st.n_series_full++;
		fed_log_limited(&c->full_log_ms, 60000, FED_LOG_ERR, "mqtt",
		    "more than %d series: %s and others dropped", SERIES_CAP,
		    id);
		return 0;
	}
	bool tic_index = rt->decoder != MQTT_DEC_NUMBER && rd->tic.is_index;
	if (tic_index && rd->value == 0 && !s->seen_nonzero)
		return 0; // a register not in use
	if (ts < s->next_ms)
		return 0;
	if (ts <= s->last_ts) {
		c->st.n_not_after++;
		return 0;
	}
	if (!s->declared) {
		fed_status st = declare(c, rt, rd, dec, id);
		if (st != FED_OK)
			fed_log(FED_LOG_ERR, "mqtt", "registering %s: %s", id,
			    fed_status_name(st));
		s->declared = true;
	}
	s->seen_nonzero = s->seen_nonzero || rd->value != 0;
	s->last_ts = ts;
	s->next_ms = rt->period_ms == 0
	    ? ts + 1
	    : (ts / rt->period_ms + 1) * rt->period_ms;
	size_t i = b->n++;
	enfed__v1__series_points__init(&b->sp[i]);
	b->ts[i] = ts;
	b->value[i] = rd->value;
	b->sp[i].series_id = id;
	b->sp[i].ts_ms = &b->ts[i];
	b->sp[i].value = &b->value[i];
	b->sp[i].n_ts_ms = b->sp[i].n_value = 1;
	b->ptrs[i] = &b->sp[i];
	return 1;
}

mqtt_result
mqtt_collect_message(mqtt_collect *c, const char *topic, const void *payload,
    size_t len, bool retained, int64_t recv_ms)
{
	c->st.n_messages++;
	if (payload == NULL) // an empty message
		payload = "";
	mqtt_capture cap;
	const mqtt_route *rt = mqtt_map_find(c->map, topic, &cap);
	if (rt == NULL)
		return count(c, MQTT_UNMAPPED, topic, 0);
	static mqtt_decoded dec; // 1.5 KB: one thread, not on the stack
	static batch b;
	char why[160];
	fed_status st = mqtt_decode(rt, payload, len, &dec, why, sizeof(why));
	if (st == FED_NOT_FOUND)
		return count(c, MQTT_IGNORED, topic, 0);
	char rel[MQTT_SERIES_MAX + 1], prefix[MQTT_SERIES_MAX + 80];
	if (st == FED_OK
	    && mqtt_series_expand(rt->series, &cap, rel, sizeof(rel))
	        != FED_OK) {
		st = FED_INVALID_ARGUMENT;
		snprintf(why, sizeof(why),
		    "a topic level cannot go into series '%s'", rt->series);
	}
	int w = snprintf(prefix, sizeof(prefix), "%s/%s", c->site, rel);
	if (st == FED_OK && (w < 0 || (size_t) w + 20 > MQTT_SERIES_MAX)) {
		st = FED_INVALID_ARGUMENT;
		snprintf(why, sizeof(why), "series id too long");
	}
	if (st != FED_OK) {
		count(c, MQTT_INVALID, topic, 0);
		log_invalid(c, topic, why);
		return MQTT_INVALID;
	}
	bool own_time = dec.ts_ms > 0 && !rt->receive_time;
	if (own_time && dec.ts_ms > recv_ms + MQTT_MAX_AHEAD_MS) {
		// A reading from the future would hold every later one back
		// (a series only moves forward): refused, whoever sent it.
		snprintf(why, sizeof(why),
		    "its time is %lld s ahead of this board's clock (at most "
		    "%d s allowed)",
		    (long long) ((dec.ts_ms - recv_ms) / 1000),
		    MQTT_MAX_AHEAD_MS / 1000);
		count(c, MQTT_INVALID, topic, 0);
		log_invalid(c, topic, why);
		return MQTT_INVALID;
	}
	if (retained && !own_time)
		return count(c, MQTT_RETAINED, topic, 0);
	int64_t ts = own_time ? dec.ts_ms : recv_ms;
	c->st.n_payload_time += own_time;
	b.n = 0;
	for (size_t i = 0; i < dec.n; i++)
		add_point(c, &b, rt, &dec.r[i], &dec, prefix, ts);
	if (b.n == 0)
		return count(c, MQTT_STALE, topic, 0);
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = b.ptrs;
	req.n_series = b.n;
	if (edge_sender_submit(c->sender, &req) != FED_OK)
		c->st.n_submit_failed++;
	c->st.n_points += b.n;
	return count(c, MQTT_SPOOLED, topic, b.n);
}
