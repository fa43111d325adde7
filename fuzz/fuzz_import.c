// SPDX-License-Identifier: MIT
//
// fuzz_import.c: libFuzzer target for what `fedctl ingest` reads from a
// user's file: the CSV importer and the SenML (RFC 8428) importer, in
// Europe/Paris, strict and skipping bad lines.

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
	for (int skip = 0; skip < 2; skip++) {
		fedctl_points pts = {0};
		size_t n_bad = 0;
		fedctl_parse_err err;
		fedctl_csv_opts co = {paris, skip, FEDCTL_AMBIGUOUS_REFUSE};
		(void) fedctl_csv_parse(buf, len, &co, &pts, &n_bad, &err);
		fedctl_points_fini(&pts);
		fedctl_points pts2 = {0};
		char name[256];
		(void) fedctl_senml_parse(buf, len, INT64_C(1767222000000),
		    "Wh", skip, &pts2, &n_bad, name, sizeof(name), &err);
		fedctl_points_fini(&pts2);
	}
	return 0;
}
