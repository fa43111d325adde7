// SPDX-License-Identifier: MIT
//
// bench_data.h: what bench_store and bench_pg_plain share so that their
// figures compare: the simulator's house as the data, and the order in
// which their ingest figures send it.

#ifndef BENCH_DATA_H
#define BENCH_DATA_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_SLOT_MS      INT64_C(300000) // 5 minutes
#define BENCH_BATCH_POINTS 100
#define BENCH_BATCH_SERIES 100

// The simulator's 4-person house (heat pump, about 7,000 kWh a year), as
// its Linky reads it: n integer Wh per 5 minutes from start_ms, of the
// house numbered seed, into out. Exits the program (status 1, a line on
// stderr) when the simulator refuses its arguments.
void bench_house_fill(uint64_t seed, int64_t start_ms, size_t n, double *out);

// One batch of an ingest figure: points [p0, p0 + np) of series
// [s0, s0 + ns), arg as given to bench_each_batch.
typedef void (*bench_batch_fn)(
    void *arg, size_t s0, size_t ns, size_t p0, size_t np);

// Calls fn for each batch of n_series series of per_series points,
// BENCH_BATCH_POINTS points of BENCH_BATCH_SERIES series at a time, in
// time order: the first points of every series, then the next ones, as a
// fleet of collectors sends them.
void bench_each_batch(
    size_t n_series, size_t per_series, bench_batch_fn fn, void *arg);

#endif // BENCH_DATA_H
