// SPDX-License-Identifier: MIT
//
// fuzz_tic.c: libFuzzer target for the Linky TIC parser in each mode: the
// bytes fed in one call, then again split in two at a point the input
// chooses; every decoded frame is read through the typed getters.

#include <stddef.h>
#include <stdint.h>

#include "tic_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
on_frame(const tic_frame *f, void *arg)
{
	(void) arg;
	uint64_t wh = 0;
	uint32_t va = 0;
	int64_t ms = 0;
	(void) tic_frame_get_index_wh(f, "BASE", &wh);
	(void) tic_frame_get_index_wh(f, "EAST", &wh);
	(void) tic_frame_get_power_va(f, "PAPP", &va);
	(void) tic_frame_get_power_va(f, "SINSTS", &va);
	(void) tic_frame_get_date_ms(f, &ms);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const tic_mode modes[]
	    = {TIC_MODE_AUTO, TIC_MODE_HISTORIC, TIC_MODE_STANDARD};
	for (size_t m = 0; m < 3; m++) {
		static tic_parser p; // about 13 KB: not on the stack
		tic_parser_init(&p, modes[m]);
		tic_parser_feed(&p, data, len, on_frame, NULL);
		tic_parser_init(&p, modes[m]);
		size_t cut = len > 0 ? data[0] % (len + 1) : 0;
		tic_parser_feed(&p, data, cut, on_frame, NULL);
		tic_parser_feed(&p, data + cut, len - cut, on_frame, NULL);
	}
	return 0;
}
