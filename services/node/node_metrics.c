// SPDX-License-Identifier: MIT
//
// node_metrics.c: fed-node's scrape-time figures (node_metrics.h).

#include "node_metrics.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fed/clock.h"
#include "fed/log.h"
#include "fed/metrics.h"

#define N_COLLECTORS 10

#define N_ALARM_FIELDS 4

struct alarm_arg {
	const struct node_metrics *m;
	size_t field;
};

struct node_metrics {
	node_store *store;
	node_alarms *alarms;
	char *data_dir;
	struct alarm_arg alarm_args[N_ALARM_FIELDS];
	fed_metrics_collector *c[N_COLLECTORS];
};

static void
store_size(fed_metrics_sink *sink, void *arg)
{
	const node_metrics *m = arg;
	static const char *const files[][2]
	    = {{"series.db", "db"}, {"series.db-wal", "wal"}};
	for (size_t i = 0; i < 2; i++) {
		char path[4200];
		struct stat sb;
		snprintf(
		    path, sizeof(path), "%s/%s", m->data_dir, files[i][0]);
		double size = stat(path, &sb) == 0 ? (double) sb.st_size : 0;
		fed_metrics_emit(sink, (const char *[]) {files[i][1]}, size);
	}
}

// The outbox per grant, read once a scrape for both families: depth and
// lag are asked in turn, and their collectors share one read each.
struct depths {
	node_store_outbox_depth d[NODE_METRICS_MAX_GRANTS];
	size_t n;
	uint64_t other; // rows of the grants beyond the first ones
	fed_status st;
};

static void
read_depths(const node_metrics *m, struct depths *out)
{
	node_store_err err = {{0}};
	uint64_t total = 0, shown = 0;
	out->st = node_store_outbox_depths(
	    m->store, out->d, NODE_METRICS_MAX_GRANTS, &out->n, &err);
	if (out->st == FED_OK)
		out->st = node_store_outbox_count(m->store, "", &total, &err);
	for (size_t i = 0; out->st == FED_OK && i < out->n; i++)
		shown += out->d[i].n;
	out->other = total > shown ? total - shown : 0;
}

static void
outbox_depth(fed_metrics_sink *sink, void *arg)
{
	struct depths *d = malloc(sizeof(*d));
	if (d == NULL)
		return;
	read_depths(arg, d);
	for (size_t i = 0; d->st == FED_OK && i < d->n; i++)
		fed_metrics_emit(sink, (const char *[]) {d->d[i].grant_id},
		    (double) d->d[i].n);
	if (d->st == FED_OK && d->other > 0)
		fed_metrics_emit(
		    sink, (const char *[]) {"_other"}, (double) d->other);
	free(d);
}

static void
outbox_lag(fed_metrics_sink *sink, void *arg)
{
	struct depths *d = malloc(sizeof(*d));
	if (d == NULL)
		return;
	read_depths(arg, d);
	int64_t now = fed_clock_now_ms();
	for (size_t i = 0; d->st == FED_OK && i < d->n; i++) {
		int64_t lag = now - d->d[i].oldest_ts_ms;
		fed_metrics_emit(sink, (const char *[]) {d->d[i].grant_id},
		    lag > 0 ? (double) lag / 1000 : 0);
	}
	free(d);
}

static void
alarms_active(fed_metrics_sink *sink, void *arg)
{
	const node_metrics *m = arg;
	node_store_err err = {{0}};
	uint64_t n = 0;
	if (node_store_alarm_count_active(m->store, &n, &err) == FED_OK)
		fed_metrics_emit(sink, NULL, (double) n);
}

// Group commit: calls committed and the commits they took (their ratio is
// the mean group size).
static void
commit_calls(fed_metrics_sink *sink, void *arg)
{
	const node_metrics *m = arg;
	node_store_commit_stats cs;
	node_store_get_commit_stats(m->store, &cs);
	fed_metrics_emit(sink, NULL, (double) cs.n_calls);
}

static void
commits(fed_metrics_sink *sink, void *arg)
{
	const node_metrics *m = arg;
	node_store_commit_stats cs;
	node_store_get_commit_stats(m->store, &cs);
	fed_metrics_emit(sink, NULL, (double) cs.n_commits);
}

// The alarm engine's counters, one family each: `which` picks the field.
struct alarm_field {
	const char *name, *help;
	fed_metric_type type;
	size_t offset;
};

static const struct alarm_field alarm_fields[] = {
    {"enfed_alarm_rules", "alarm rules loaded", FED_METRIC_GAUGE,
        offsetof(node_alarms_stats, n_rules)},
    {"enfed_alarms_raised_total", "alarms raised since the start",
        FED_METRIC_COUNTER, offsetof(node_alarms_stats, n_raised)},
    {"enfed_alarms_cleared_total", "alarms cleared since the start",
        FED_METRIC_COUNTER, offsetof(node_alarms_stats, n_cleared)},
    {"enfed_alarm_points_dropped_total",
        "points not evaluated by the alarm rules: their queue was full",
        FED_METRIC_COUNTER, offsetof(node_alarms_stats, n_points_dropped)},
};
_Static_assert(
    sizeof(alarm_fields) / sizeof(alarm_fields[0]) == N_ALARM_FIELDS,
    "one collector argument per alarm field");

static void
alarm_stat(fed_metrics_sink *sink, void *arg)
{
	const struct alarm_arg *a = arg;
	node_alarms_stats st;
	node_alarms_stats_get(a->m->alarms, &st);
	uint64_t v;
	memcpy(
	    &v, (const char *) &st + alarm_fields[a->field].offset, sizeof(v));
	fed_metrics_emit(sink, NULL, (double) v);
}

static fed_status
add(node_metrics *m, size_t *k, const fed_metrics_desc *d,
    fed_metrics_collect_fn fn, void *arg)
{
	return fed_metrics_collector_new(
	    fed_metrics_default(), d, fn, arg, &m->c[(*k)++]);
}

static fed_status
register_all(node_metrics *m)
{
	size_t k = 0;
	fed_metrics_desc d = {.name = "enfed_store_size_bytes",
	    .help = "size of the series database files (db, wal)",
	    .type = FED_METRIC_GAUGE,
	    .labels = {"file"},
	    .n_labels = 1};
	FED_TRY(add(m, &k, &d, store_size, m));
	d.name = "enfed_replication_outbox_records";
	d.help = "points waiting to be replicated, by grant";
	d.labels[0] = "grant";
	FED_TRY(add(m, &k, &d, outbox_depth, m));
	d.name = "enfed_replication_lag_seconds";
	d.help = "age of the oldest point waiting to be replicated, by grant";
	FED_TRY(add(m, &k, &d, outbox_lag, m));
	d = (fed_metrics_desc) {.name = "enfed_alarms_active",
	    .help = "alarms raised and not cleared",
	    .type = FED_METRIC_GAUGE};
	FED_TRY(add(m, &k, &d, alarms_active, m));
	d = (fed_metrics_desc) {.name = "enfed_store_commit_calls_total",
	    .help = "Ingest calls that reached a commit (group commit)",
	    .type = FED_METRIC_COUNTER};
	FED_TRY(add(m, &k, &d, commit_calls, m));
	d.name = "enfed_store_commits_total";
	d.help = "transactions those calls took (one fsync each)";
	FED_TRY(add(m, &k, &d, commits, m));
	for (size_t i = 0; m->alarms != NULL && i < N_ALARM_FIELDS; i++) {
		m->alarm_args[i] = (struct alarm_arg) {m, i};
		d = (fed_metrics_desc) {.name = alarm_fields[i].name,
		    .help = alarm_fields[i].help,
		    .type = alarm_fields[i].type};
		FED_TRY(add(m, &k, &d, alarm_stat, &m->alarm_args[i]));
	}
	return FED_OK;
}

fed_status
node_metrics_new(const node_metrics_parts *p, node_metrics **out)
{
	node_metrics *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return FED_RESOURCE_EXHAUSTED;
	m->store = p->store;
	m->alarms = p->alarms;
	m->data_dir = strdup(p->data_dir != NULL ? p->data_dir : ".");
	fed_status st
	    = m->data_dir != NULL ? register_all(m) : FED_RESOURCE_EXHAUSTED;
	if (st != FED_OK) {
		fed_log(
		    FED_LOG_ERR, "node", "metrics: %s", fed_status_str(st));
		node_metrics_free(m);
		return st;
	}
	*out = m;
	return FED_OK;
}

void
node_metrics_free(node_metrics *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < N_COLLECTORS; i++)
		fed_metrics_collector_free(m->c[i]);
	free(m->data_dir);
	free(m);
}

// --- Counted on the way
// -------------------------------------------------------

static fed_metric *ingested[3];
static pthread_once_t ingested_once = PTHREAD_ONCE_INIT;

static void
ingested_init(void)
{
	static const char *const results[]
	    = {"stored", "duplicate", "replaced"};
	fed_metrics_desc d = {.name = "enfed_points_ingested_total",
	    .help = "points received by Ingest, by what became of them",
	    .type = FED_METRIC_COUNTER,
	    .labels = {"result"},
	    .n_labels = 1};
	fed_metrics_family *f = NULL;
	if (fed_metrics_family_get(fed_metrics_default(), &d, &f) != FED_OK)
		return;
	for (size_t i = 0; i < 3; i++)
		(void) fed_metrics_child(
		    f, (const char *[]) {results[i]}, &ingested[i]);
}

void
node_metrics_count_ingest(const node_store_counts *counts)
{
	pthread_once(&ingested_once, ingested_init);
	fed_metric_add(ingested[0], (double) counts->n_stored);
	fed_metric_add(ingested[1], (double) counts->n_duplicate);
	fed_metric_add(ingested[2], (double) counts->n_replaced);
}
