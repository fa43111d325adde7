// SPDX-License-Identifier: MIT
//
// envoy_collect.h: from parsed Envoy replies (envoy_parse.h) to the points
// of fed-edge-envoy.
//
// Series, for a plant at `site`:
//   <site>/pv/inv/<serial>/power  each micro-inverter's last report (W),
//       stamped with its lastReportDate: kind POWER. A report already
//       sent (same or older lastReportDate) is not sent again.
//   <site>/pv/power               the site's wattsNow (W): POWER.
//   <site>/pv/energy_lifetime     wattHoursLifetime (Wh): INDEX,
//       cumulative.
// Site values from /api/v1/production carry no time: they are stamped
// with the poll's time. From /production.json they carry the reading's
// time (readingTime). Each series is declared through the sender when
// first met.
//
// Threads: one thread uses a collector (the poller's).

#ifndef ENVOY_COLLECT_H
#define ENVOY_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge_sender.h"
#include "envoy_parse.h"
#include "fed/status.h"

// Most inverters remembered (for deduplication and declarations).
#define ENVOY_COLLECT_INVERTERS_MAX 4096

typedef struct envoy_collect envoy_collect;

typedef struct envoy_collect_opts {
	const char *site; // first part of the ids, 1..64 bytes (copied)
	const char *owner; // written in the metadata, may be "" (copied)
	bool public_series; // visibility PUBLIC (a citizen plant)
	int64_t period_ms; // the poll period, written as interval_s
} envoy_collect_opts;

// A collector submitting to `sender` (borrowed: it must outlive the
// collector). INVALID_ARGUMENT for a missing or overlong site, or a period
// under 1 s; RESOURCE_EXHAUSTED.
fed_status envoy_collect_new(
    const envoy_collect_opts *opts, edge_sender *sender, envoy_collect **out);

// Frees c. NULL does nothing.
void envoy_collect_free(envoy_collect *c);

// Site totals read at poll time ts_ms. *n_points (may be NULL) gets the
// number of points submitted. OK or the sender's status.
fed_status envoy_collect_production(envoy_collect *c,
    const envoy_production *p, int64_t ts_ms, size_t *n_points);

// Site totals from /production.json, at their reading time.
fed_status envoy_collect_site(
    envoy_collect *c, const envoy_site *s, size_t *n_points);

// The inverters' reports not sent yet. An inverter past
// ENVOY_COLLECT_INVERTERS_MAX is skipped (logged). OK or the sender's
// status.
fed_status envoy_collect_inverters(
    envoy_collect *c, const envoy_inverter *inv, size_t n, size_t *n_points);

#endif // ENVOY_COLLECT_H
