// SPDX-License-Identifier: MIT
//
// bench_data.c: the data and ingest order of bench_data.h.

#include "bench_data.h"

#include <stdio.h>
#include <stdlib.h>

#include "sim_model.h"

void
bench_house_fill(uint64_t seed, int64_t start_ms, size_t n, double *out)
{
	sim_house h;
	sim_house_defaults(&h);
	fed_status st
	    = sim_house_fill_wh(&h, seed, start_ms, BENCH_SLOT_MS, n, out);
	if (st != FED_OK) {
		fprintf(
		    stderr, "sim_house_fill_wh: %s\n", fed_status_name(st));
		exit(1);
	}
}

static size_t
min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

void
bench_each_batch(
    size_t n_series, size_t per_series, bench_batch_fn fn, void *arg)
{
	for (size_t p0 = 0; p0 < per_series; p0 += BENCH_BATCH_POINTS) {
		size_t np = min_size(per_series - p0, BENCH_BATCH_POINTS);
		for (size_t s0 = 0; s0 < n_series; s0 += BENCH_BATCH_SERIES)
			fn(arg, s0,
			    min_size(n_series - s0, BENCH_BATCH_SERIES), p0,
			    np);
	}
}
