// SPDX-License-Identifier: MIT
//
// fuzz_enedis.c: libFuzzer target for the Enedis files `fedctl ingest`
// reads (io_enedis.c): the customer area's CSV exports and Data Connect
// JSON replies, in Europe/Paris, strict and skipping bad lines, as energy
// and as power. Seeded with tests/fixtures/enedis.

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fed/tz.h"
#include "io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static fed_tz *paris;
	if (paris == NULL && fed_tz_load("Europe/Paris", &paris) != FED_OK)
		return 0;
	const char *buf = (const char *) data;
	for (int i = 0; i < 4; i++) {
		fedctl_enedis_opts o = {paris, i & 1, (i & 2) != 0};
		fedctl_enedis_kind kind;
		size_t n_bad = 0;
		fedctl_parse_err err;
		fedctl_points pts = {0};
		(void) fedctl_enedis_csv_parse(
		    buf, len, &o, &pts, &kind, &n_bad, &err);
		fedctl_points_fini(&pts);
		(void) fedctl_enedis_dc_parse(
		    buf, len, &o, &pts, &kind, &n_bad, &err);
		fedctl_points_fini(&pts);
	}
	return 0;
}
