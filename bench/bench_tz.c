// SPDX-License-Identifier: MIT
//
// bench_tz.c: cost of the time-zone calls the store makes per bucket and
// per displayed point, with Europe/Paris: offset lookups inside the table
// of transitions and past it (footer rule), floor and next for each unit,
// ISO formatting and parsing. Prints one line per operation, ns per call.
//
// Usage: bench_tz [zone]   (default Europe/Paris; needs tzdata)

#include <inttypes.h>
#include <stdio.h>

#include "fed/clock.h"
#include "fed/tz.h"

#define N_CALLS 1000000

// Keeps results alive so the compiler cannot drop the calls.
static volatile int64_t sink;

static void
report(const char *what, int64_t t0, long n)
{
	double ns = (double) (fed_clock_mono_ns() - t0) / (double) n;
	printf("tz_%s %.1f ns/call\n", what, ns);
}

static void
bench_offsets(const fed_tz *tz, int64_t from_ms, const char *what)
{
	int64_t t0 = fed_clock_mono_ns(), acc = 0;
	for (long i = 0; i < N_CALLS; i++)
		acc += fed_tz_offset_s(tz, from_ms + i * INT64_C(997003));
	sink = acc;
	report(what, t0, N_CALLS);
}

static void
bench_buckets(const fed_tz *tz, fed_tz_unit unit, const char *what)
{
	// Walk consecutive buckets from 2026-01-01, as a query does, starting
	// over when past 2200.
	const int64_t from = INT64_C(1767225600000),
	              to = INT64_C(7289654400000);
	int64_t s = fed_tz_floor(tz, from, unit);
	int64_t t0 = fed_clock_mono_ns();
	for (long i = 0; i < N_CALLS; i++) {
		s = fed_tz_next(tz, fed_tz_floor(tz, s, unit), unit);
		if (s > to)
			s = fed_tz_floor(tz, from, unit);
	}
	sink = s;
	report(what, t0, N_CALLS);
}

static void
bench_iso(const fed_tz *tz)
{
	char buf[32];
	int64_t t0 = fed_clock_mono_ns(), acc = 0;
	for (long i = 0; i < N_CALLS; i++)
		acc += fed_tz_format_iso(tz,
		    INT64_C(1767225600000) + i * INT64_C(997003), buf,
		    sizeof(buf));
	report("format_iso", t0, N_CALLS);
	t0 = fed_clock_mono_ns();
	for (long i = 0; i < N_CALLS; i++) {
		int64_t t;
		acc += fed_tz_parse_iso(tz, "2026-10-25T02:30:00.250", &t) + t;
	}
	sink = acc;
	report("parse_iso_local_ambiguous", t0, N_CALLS);
}

int
main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "Europe/Paris";
	fed_tz *tz = NULL;
	fed_status st = fed_tz_load(name, &tz);
	if (st != FED_OK) {
		fprintf(stderr, "bench_tz: cannot load %s: %s\n", name,
		    fed_status_name(st));
		return 1;
	}
	int64_t t0 = fed_clock_mono_ns();
	for (long i = 0; i < 1000; i++) {
		fed_tz *z = NULL;
		if (fed_tz_load(name, &z) == FED_OK)
			fed_tz_free(z);
	}
	report("load_file_and_parse", t0, 1000);
	bench_offsets(tz, INT64_C(1767225600000), "offset_2026_table");
	bench_offsets(tz, INT64_C(5680281600000), "offset_2150_footer_rule");
	static const char *const names[] = {"floor_next_5min",
	    "floor_next_15min", "floor_next_hour", "floor_next_day",
	    "floor_next_week", "floor_next_month", "floor_next_year"};
	for (int u = FED_TZ_5MIN; u <= FED_TZ_YEAR; u++)
		bench_buckets(tz, (fed_tz_unit) u, names[u]);
	bench_iso(tz);
	fed_tz_free(tz);
	return 0;
}
