// SPDX-License-Identifier: MIT
//
// fuzz_zstd.c: libFuzzer target for bounded decompression: whatever the
// frame, at most 1 MiB comes out, or an error.

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fed/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t *out = NULL;
	size_t out_len = 0;
	if (fed_codec_decompress(data, len, 1u << 20, &out, &out_len)
	    == FED_OK) {
		if (out_len > (1u << 20))
			abort();
		free(out);
	}
	return 0;
}
