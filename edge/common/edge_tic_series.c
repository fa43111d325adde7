// SPDX-License-Identifier: MIT
//
// edge_tic_series.c: TIC registers as series (edge_tic_series.h).

#include "edge_tic_series.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tic_parse.h"

// What each index register measures, for the description box.
static const char *const registers[][2] = {
    {"BASE", "base tariff index"},
    {"HCHC", "off-peak hours index (heures creuses)"},
    {"HCHP", "peak hours index (heures pleines)"},
    {"EJPHN", "EJP normal hours index"},
    {"EJPHPM", "EJP peak-day hours index"},
    {"BBRHCJB", "Tempo blue days, off-peak index"},
    {"BBRHPJB", "Tempo blue days, peak index"},
    {"BBRHCJW", "Tempo white days, off-peak index"},
    {"BBRHPJW", "Tempo white days, peak index"},
    {"BBRHCJR", "Tempo red days, off-peak index"},
    {"BBRHPJR", "Tempo red days, peak index"},
    {"EAST", "total energy withdrawn"},
    {"EAIT", "total energy injected"},
    {"PAPP", "apparent power"},
    {"SINSTS", "apparent power"},
};

const char *
edge_tic_describe(const char *label)
{
	for (size_t i = 0; i < sizeof(registers) / sizeof(registers[0]); i++)
		if (strcmp(registers[i][0], label) == 0)
			return registers[i][1];
	if (strncmp(label, "EASF", 4) == 0)
		return "supplier register (index of energy withdrawn)";
	if (strncmp(label, "EASD", 4) == 0)
		return "distributor register (index of energy withdrawn)";
	return "energy index";
}

fed_status
edge_tic_series_of(const char *label, edge_tic_series *out)
{
	if (label == NULL || out == NULL)
		return FED_INVALID_ARGUMENT;
	tic_unit unit;
	size_t digits = 0;
	if (tic_label_unit(label, &unit, &digits) != FED_OK)
		return FED_NOT_FOUND;
	bool power
	    = strcmp(label, "PAPP") == 0 || strcmp(label, "SINSTS") == 0;
	if (unit != TIC_UNIT_WH && !power)
		return FED_NOT_FOUND;
	memset(out, 0, sizeof(*out));
	out->is_index = !power;
	out->max = 1;
	for (size_t i = 0; i < digits; i++)
		out->max *= 10;
	out->max--;
	if (power) {
		snprintf(out->suffix, sizeof(out->suffix), "power");
		return FED_OK;
	}
	// tic_label_unit knows labels of TIC_LABEL_MAX characters at most.
	snprintf(out->suffix, sizeof(out->suffix), "index_%s", label);
	for (char *p = out->suffix; *p != '\0'; p++)
		*p = (char) tolower((unsigned char) *p);
	return FED_OK;
}

void
edge_tic_series_meta(edge_tic_meta *out, const edge_tic_series *s,
    const char *label, bool standard, const char *id, const char *owner,
    int64_t period_ms)
{
	const char *kv[3][2] = {
	    {"meter",
	        standard ? "Linky, standard TIC" : "Linky, historic TIC"},
	    {"register", label},
	    {"measures", edge_tic_describe(label)},
	};
	enfed__v1__series_meta__init(&out->m);
	for (size_t i = 0; i < 3; i++) {
		enfed__v1__fact__init(&out->f[i]);
		out->f[i].key = (char *) kv[i][0];
		out->f[i].value = (char *) kv[i][1];
		out->box[i] = &out->f[i];
	}
	out->m.id = (char *) id;
	out->m.kind = s->is_index ? ENFED__V1__SERIES_KIND__SERIES_KIND_INDEX
	                          : ENFED__V1__SERIES_KIND__SERIES_KIND_POWER;
	out->m.unit = s->is_index ? ENFED__V1__UNIT__UNIT_WH
	                          : ENFED__V1__UNIT__UNIT_VA;
	out->m.cumulative = s->is_index;
	out->m.interval_s
	    = period_ms >= 1000 ? (uint32_t) (period_ms / 1000) : 1;
	out->m.source = "Linky";
	out->m.owner = (char *) (owner != NULL ? owner : "");
	out->m.box = out->box;
	out->m.n_box = 3;
}
