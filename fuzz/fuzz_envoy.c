// SPDX-License-Identifier: MIT
//
// fuzz_envoy.c: libFuzzer target for the three Enphase gateway reply
// parsers (the input is not NUL-terminated, as a network buffer is not).

#include <stddef.h>
#include <stdint.h>

#include "envoy_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *json = (const char *) data;
	envoy_error err;
	envoy_production prod;
	(void) envoy_parse_production(json, len, &prod, &err);
	static envoy_inverter inv[128];
	size_t n = 0;
	(void) envoy_parse_inverters(json, len, inv, 128, &n, &err);
	envoy_site site;
	(void) envoy_parse_production_json(json, len, &site, &err);
	return 0;
}
