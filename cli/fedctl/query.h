// SPDX-License-Identifier: MIT
//
// query.h: one Query call for query, export and plot, and the writers of
// its result: a table for people, CSV, JSON and SenML (RFC 8428) for
// programs. Every series of one call gets the same buckets; a raw query's
// series are merged on the union of their timestamps.
//
// An empty bucket (coverage 0: no data) is written as "-" in the table, an
// empty CSV field, null in JSON, and no record in SenML: never as 0. A
// partly covered bucket shows its coverage in the table ("123.5 (87%)"),
// in JSON ("coverage") and, with --coverage, in a CSV column.

#ifndef FEDCTL_QUERY_H
#define FEDCTL_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "enfed/v1/series.pb-c.h"
#include "fedctl.h"

// What to ask: ids (borrowed), the range as written on the command line
// (see fedctl_time_parse), the step and aggregate (Step and Aggregate
// values).
typedef struct fedctl_query {
	char **ids;
	size_t n_ids;
	const char *from, *to;
	int step, agg;
} fedctl_query;

// Parses q->from and q->to in c->zone and calls Query (zone: c->zone's
// name). Returns -1 with *out set (the caller frees it with
// enfed__v1__query_response__free_unpacked) on success; otherwise the
// exit code, the error already reported on stderr. *from_ms and *to_ms
// receive the parsed range (NULL: not wanted).
int fedctl_query_run(fedctl *c, const fedctl_query *q,
    Enfed__V1__QueryResponse **out, int64_t *from_ms, int64_t *to_ms);

// Whether bucket i of r holds no value at all: no data and no estimate (a
// bucket inside a gap of an index may hold an estimate with coverage 0,
// which is shown, with its coverage).
bool fedctl_bucket_empty(const Enfed__V1__SeriesResult *r, size_t i);

// Coverage of bucket i in [0, 1] (1 when the node sent none).
double fedctl_bucket_coverage(const Enfed__V1__SeriesResult *r, size_t i);

// The writers, to f. `coverage` adds a "<id>:coverage" column per series
// to CSV. JSON also names the step, aggregate and range.
void fedctl_write_table(
    const fedctl *c, const Enfed__V1__QueryResponse *r, FILE *f);
void fedctl_write_csv(const fedctl *c, const Enfed__V1__QueryResponse *r,
    bool coverage, FILE *f);
fed_status fedctl_write_json(const fedctl *c, const fedctl_query *q,
    int64_t from_ms, int64_t to_ms, const Enfed__V1__QueryResponse *r);

// SenML (io_senml.c). One pack for all series: each series opens with a
// record carrying bn = the series id (so the resolved name of its records
// is the id itself), bt = its first timestamp and bu = its unit, then one
// record per non-empty point or bucket with t (seconds, relative to bt) and
// v. Times are seconds as RFC 8428 says, with millisecond decimals.
fed_status fedctl_write_senml(const Enfed__V1__QueryResponse *r, FILE *f);

#endif // FEDCTL_QUERY_H
