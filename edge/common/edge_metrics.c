// SPDX-License-Identifier: MIT
//
// edge_metrics.c: the edge collectors' figures (edge_metrics.h).

#include "edge_metrics.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fed/clock.h"
#include "fed/log.h"
#include "fed/metrics.h"

// A counter read from one field of edge_sender_stats.
struct field {
	const char *name, *help;
	size_t offset;
};

static const struct field fields[] = {
    {"enfed_edge_records_sent_total", "spooled requests the node acknowledged",
        offsetof(edge_sender_stats, n_sent)},
    {"enfed_edge_send_failures_total",
        "Ingest or CreateSeries calls that failed and are retried",
        offsetof(edge_sender_stats, n_retries)},
    {"enfed_edge_records_dead_total",
        "records the node refused for good, parked in the dead-letter "
        "spool",
        offsetof(edge_sender_stats, n_dead)},
    {"enfed_edge_records_lost_total",
        "requests lost (memory queue full, or found damaged in a spool)",
        offsetof(edge_sender_stats, n_lost)},
    {"enfed_edge_points_thinned_total",
        "raw samples dropped to make room in the full samples spool",
        offsetof(edge_sender_stats, n_points_thinned)},
};
#define N_FIELDS     (sizeof(fields) / sizeof(fields[0]))
#define N_COLLECTORS (N_FIELDS + 4)

struct field_arg {
	edge_sender *s;
	size_t field;
};

struct edge_metrics {
	edge_sender *s;
	struct field_arg args[N_FIELDS];
	fed_metrics_collector *c[N_COLLECTORS];
};

static void
counter_field(fed_metrics_sink *sink, void *arg)
{
	const struct field_arg *a = arg;
	edge_sender_stats st;
	edge_sender_get_stats(a->s, &st);
	uint64_t v;
	memcpy(&v, (const char *) &st + fields[a->field].offset, sizeof(v));
	fed_metrics_emit(sink, NULL, (double) v);
}

static void
points_sent(fed_metrics_sink *sink, void *arg)
{
	edge_sender_stats st;
	edge_sender_get_stats(arg, &st);
	fed_metrics_emit(
	    sink, (const char *[]) {"stored"}, (double) st.n_points_stored);
	fed_metrics_emit(sink, (const char *[]) {"duplicate"},
	    (double) st.n_points_duplicate);
}

static void
spool_records(fed_metrics_sink *sink, void *arg)
{
	edge_sender_stats st;
	edge_sender_get_stats(arg, &st);
	fed_metrics_emit(sink, (const char *[]) {"index"},
	    (double) (st.n_pending - st.n_samples_pending));
	fed_metrics_emit(
	    sink, (const char *[]) {"samples"}, (double) st.n_samples_pending);
	fed_metrics_emit(
	    sink, (const char *[]) {"memory"}, (double) st.n_in_memory);
}

static void
spool_bytes(fed_metrics_sink *sink, void *arg)
{
	edge_sender_stats st;
	edge_sender_get_stats(arg, &st);
	fed_metrics_emit(sink, (const char *[]) {"index"},
	    (double) (st.pending_bytes - st.samples_pending_bytes));
	fed_metrics_emit(sink, (const char *[]) {"samples"},
	    (double) st.samples_pending_bytes);
}

static void
oldest_age(fed_metrics_sink *sink, void *arg)
{
	edge_sender_stats st;
	edge_sender_get_stats(arg, &st);
	int64_t age
	    = st.oldest_ts_ms > 0 ? fed_clock_now_ms() - st.oldest_ts_ms : 0;
	fed_metrics_emit(sink, NULL, age > 0 ? (double) age / 1000 : 0);
}

static fed_status
add(edge_metrics *m, size_t *k, const fed_metrics_desc *d,
    fed_metrics_collect_fn fn, void *arg)
{
	return fed_metrics_collector_new(
	    fed_metrics_default(), d, fn, arg, &m->c[(*k)++]);
}

static fed_status
register_all(edge_metrics *m)
{
	size_t k = 0;
	fed_metrics_desc d = {.name = "enfed_spool_records",
	    .help = "requests waiting to be sent, by spool (memory: held "
	            "in memory because both spools refused them)",
	    .type = FED_METRIC_GAUGE,
	    .labels = {"spool"},
	    .n_labels = 1};
	FED_TRY(add(m, &k, &d, spool_records, m->s));
	d.name = "enfed_spool_bytes";
	d.help = "bytes the waiting records take on disk, by spool";
	FED_TRY(add(m, &k, &d, spool_bytes, m->s));
	d = (fed_metrics_desc) {.name = "enfed_spool_oldest_age_seconds",
	    .help = "age of the earliest point of the record being sent; 0 "
	            "when nothing waits",
	    .type = FED_METRIC_GAUGE};
	FED_TRY(add(m, &k, &d, oldest_age, m->s));
	d = (fed_metrics_desc) {.name = "enfed_edge_points_sent_total",
	    .help = "points the node acknowledged, by result",
	    .type = FED_METRIC_COUNTER,
	    .labels = {"result"},
	    .n_labels = 1};
	FED_TRY(add(m, &k, &d, points_sent, m->s));
	for (size_t i = 0; i < N_FIELDS; i++) {
		m->args[i] = (struct field_arg) {m->s, i};
		d = (fed_metrics_desc) {.name = fields[i].name,
		    .help = fields[i].help,
		    .type = FED_METRIC_COUNTER};
		FED_TRY(add(m, &k, &d, counter_field, &m->args[i]));
	}
	return FED_OK;
}

fed_status
edge_metrics_new(edge_sender *s, edge_metrics **out)
{
	edge_metrics *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return FED_RESOURCE_EXHAUSTED;
	m->s = s;
	fed_status st = register_all(m);
	if (st != FED_OK) {
		fed_log(
		    FED_LOG_ERR, "edge", "metrics: %s", fed_status_str(st));
		edge_metrics_free(m);
		return st;
	}
	*out = m;
	return FED_OK;
}

void
edge_metrics_free(edge_metrics *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < N_COLLECTORS; i++)
		fed_metrics_collector_free(m->c[i]);
	free(m);
}
