// SPDX-License-Identifier: MIT
//
// fuzz_mqtt.c: libFuzzer target for fed-edge-mqtt's input from the
// network and the operator: the bytes as a message payload through each
// decoder (Tasmota's Teleinfo JSON, teleinfo2mqtt's JSON, a plain number),
// and as the text of a mapping file.

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt_decode.h"
#include "mqtt_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static mqtt_map routes;

// One route per decoder, from a mapping file as an operator writes it.
static void
init_routes(void)
{
	static const char text[]
	    = "tele/+/SENSOR tasmota-teleinfo linky tz=Europe/Paris\n"
	      "teleinfo/# teleinfo2mqtt linky2\n"
	      "home/+/power number {1}/power unit=W\n";
	char err[256];
	if (mqtt_map_parse(text, &routes, err, sizeof(err)) != FED_OK)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (routes.n == 0)
		init_routes();
	static mqtt_decoded out;
	char why[256];
	for (size_t i = 0; i < routes.n; i++)
		(void) mqtt_decode(
		    &routes.routes[i], data, len, &out, why, sizeof(why));
	// The same bytes as a mapping file (NUL-terminated copy).
	char *text = malloc(len + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	mqtt_map m;
	char err[256];
	if (mqtt_map_parse(text, &m, err, sizeof(err)) == FED_OK)
		mqtt_map_fini(&m);
	free(text);
	return 0;
}
