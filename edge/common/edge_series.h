// SPDX-License-Identifier: MIT
//
// edge_series.h: the series an edge collector declares on its node, for
// edge_sender.c. Each series is a copy of its enfed.v1.SeriesMeta and a
// "declared" flag; the list is kept in the spool folder as series.pb (a
// packed enfed.v1.ListSeriesResponse of metadata only), replaced atomically
// (temporary file, fsync, rename, fsync of the folder) before a record
// that may name a new series is spooled, so that a restarted collector
// declares them all before sending its backlog.
//
// Threads: every function takes the registry's mutex, except the CreateSeries
// calls themselves, which run without it (the collector thread may add a
// series meanwhile). declare_pending is called by one thread at a time.

#ifndef EDGE_SERIES_H
#define EDGE_SERIES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed/status.h"

typedef struct edge_series {
	pthread_mutex_t mu;
	char *path; // <dir>/series.pb
	const char *component;
	Enfed__V1__SeriesMeta **metas; // heap copies (protobuf-c unpacked)
	bool *declared;
	size_t n, cap;
	uint64_t n_declared; // successful CreateSeries calls
	bool dirty; // added since series.pb was written
	int64_t log_ms;
	int64_t log_refused_ms; // CreateSeries refused for good
} edge_series;

// Prepares an empty registry kept in dir/series.pb (dir is copied;
// component is borrowed, static). RESOURCE_EXHAUSTED when memory runs out,
// INVALID_ARGUMENT for a path too long.
fed_status edge_series_init(
    edge_series *r, const char *dir, const char *component);

// Frees the copies and the path. Safe on a registry whose init failed.
void edge_series_fini(edge_series *r);

// Adds the series of dir/series.pb, if the file exists, all undeclared. A
// file that does not unpack is logged and ignored (OK); INTERNAL when it
// cannot be read.
fed_status edge_series_load(edge_series *r);

// Adds a copy of meta unless its id is known (OK either way); series.pb is
// rewritten by the next edge_series_save. INVALID_ARGUMENT for a NULL meta
// or id; RESOURCE_EXHAUSTED.
fed_status edge_series_add(edge_series *r, const Enfed__V1__SeriesMeta *meta);

// Rewrites series.pb if a series was added since the last save (one write
// for the many series a first poll may add). OK; INTERNAL when the file
// cannot be written (logged; the next call tries again).
fed_status edge_series_save(edge_series *r);

// Marks every series undeclared (after a NOT_FOUND or an outage).
void edge_series_mark_all(edge_series *r);

// Calls CreateSeries for every undeclared series. OK when none is left;
// else the status of the first call that failed with a retryable status
// (logged, rate-limited). ALREADY_EXISTS counts as declared (logged), and
// so do INVALID_ARGUMENT, PERMISSION_DENIED, RESOURCE_EXHAUSTED (a quota)
// and FAILED_PRECONDITION (logged as errors: the node will refuse the
// series' points, which then go to the dead-letter spool, and the other
// series go on).
fed_status edge_series_declare_pending(edge_series *r, fed_rpc_client *rpc);

// True unless `id` is a registered series declared non-cumulative: an
// index reading, or a series the registry does not know (never thinned).
bool edge_series_is_index(edge_series *r, const char *id);

// The number of successful CreateSeries calls so far.
uint64_t edge_series_n_declared(edge_series *r);

#endif // EDGE_SERIES_H
