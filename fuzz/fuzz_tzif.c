// SPDX-License-Identifier: MIT
//
// fuzz_tzif.c: libFuzzer target for the TZif zone-file parser and, with
// what it accepts, offsets, floors and ISO 8601 formatting; the input is
// also read as an ISO 8601 string.

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fed/tz.h"
#include "tz_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fed_tz *tz = NULL;
	if (fed__tz_parse_tzif(data, len, "Fuzz/Zone", &tz) == FED_OK) {
		int64_t t = INT64_C(1767222000000);
		for (fed_tz_unit u = FED_TZ_5MIN; u <= FED_TZ_YEAR; u++) {
			int64_t f = fed_tz_floor(tz, t, u);
			(void) fed_tz_next(tz, f, u);
		}
		char buf[40];
		(void) fed_tz_format_iso(tz, t, buf, sizeof(buf));
		fed_tz_free(tz);
	}
	char s[64];
	size_t n = len < sizeof(s) - 1 ? len : sizeof(s) - 1;
	memcpy(s, data, n);
	s[n] = '\0';
	int64_t ms;
	(void) fed_tz_parse_iso(NULL, s, &ms);
	return 0;
}
