// SPDX-License-Identifier: MIT
//
// tic_collect.h: from decoded TIC frames to the points of fed-edge-tic.
//
// Series, for a meter named `meter` at `site` (named and described by
// edge/common/edge_tic_series, shared with fed-edge-mqtt):
//   <site>/<meter>/index_<label>  one per energy index the frames carry
//       (BASE, HCHC, HCHP, EJPHN, EJPHPM, BBRHCJB .. BBRHPJR in historic
//       mode; EAST, EASF01..10, EASD01..04, EAIT in standard mode), label
//       in lower case: kind INDEX, Wh, cumulative. A register that has read
//       0 since the collector started (the unused EASF02..10 of a
//       single-tariff contract, EAIT without production) is not sent until
//       it moves.
//   <site>/<meter>/power  apparent power in VA (PAPP, or SINSTS): POWER.
// Each is declared through the sender when first met.
//
// Sampling: the indexes of a frame are sent when the frame is at or after
// the next multiple of period_ms (UTC, so 5 minutes gives :00, :05, ...),
// the power likewise with power_period_ms; 0 sends every frame. A point
// carries the frame's time: the horodate of its DATE group (standard mode,
// clock not flagged degraded), else clock_ms, the collector's clock. A
// point no later than the series' last one is not sent (a clock that went
// back). Every value comes from a checksum-valid group read by the strict
// getters of tic_parse.h: a damaged frame gives fewer points, never a wrong
// one.
//
// Threads: one thread uses a collector (the reader's).

#ifndef TIC_COLLECT_H
#define TIC_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "edge_sender.h"
#include "fed/status.h"
#include "tic_parse.h"

typedef struct tic_collect tic_collect;

typedef struct tic_collect_opts {
	const char *site; // first part of the series ids (copied)
	const char *meter; // second part, e.g. "linky" (copied)
	const char *owner; // written in the series' metadata, may be ""
	int64_t period_ms; // indexes; 0 = every frame
	int64_t power_period_ms; // power; 0 = every frame
} tic_collect_opts;

typedef struct tic_collect_stats {
	uint64_t n_frames; // frames handed to tic_collect_frame
	uint64_t n_points; // points submitted
	uint64_t n_submit_failed; // requests the sender could not spool
	uint64_t n_bad_value; // groups present but refused by a getter
	uint64_t n_not_after; // points skipped: not after the series' last
	uint64_t n_meter_time; // frames stamped with their DATE horodate
} tic_collect_stats;

// A collector submitting to `sender` (borrowed: it must outlive the
// collector). INVALID_ARGUMENT for a missing site or meter, ids that would
// pass 200 bytes, or negative periods; RESOURCE_EXHAUSTED.
fed_status tic_collect_new(
    const tic_collect_opts *opts, edge_sender *sender, tic_collect **out);

// Frees c. NULL does nothing.
void tic_collect_free(tic_collect *c);

// Takes one frame (borrowed) received at clock_ms (UTC ms, the collector's
// clock or a replay clock), and submits the points due. *n_points (may be
// NULL) gets how many. OK, or the sender's status (the points are then in
// memory or counted lost by the sender, see edge_sender.h).
fed_status tic_collect_frame(
    tic_collect *c, const tic_frame *f, int64_t clock_ms, size_t *n_points);

// The counters. Neither pointer NULL.
void tic_collect_get_stats(const tic_collect *c, tic_collect_stats *st);

// The time of a frame, as described above, and whether it came from the
// meter (DATE).
int64_t tic_collect_frame_time(
    const tic_frame *f, int64_t clock_ms, int *from_meter);

#endif // TIC_COLLECT_H
