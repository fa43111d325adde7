// SPDX-License-Identifier: MIT
//
// web_presets.h: the saved comparisons of load curves ("école, maison,
// centrale — semaine"), which a teacher saves and a class opens with one
// click. A preset holds a name, its author and the query of a /curves
// view (series ids, scale or range, step, normalisation, overlay): never
// data and never a token. Whoever opens it reads the series with their
// own credentials (web_access.h), like any other view.
//
// The presets live in one text file (DATA_DIR/web-presets), a line each:
// NAME TAB AUTHOR TAB QUERY, rewritten whole and renamed at each save.
// Thread-safe (one process-wide mutex); strings out are copied into the
// caller's buffers.
#ifndef WEB_PRESETS_H
#define WEB_PRESETS_H

#include <stddef.h>

#include "fed/status.h"

#define WEB_PRESET_NAME_MAX  80
#define WEB_PRESET_QUERY_MAX 2048
#define WEB_PRESETS_MAX      64

typedef struct web_preset {
	char name[WEB_PRESET_NAME_MAX + 1];
	char author[65];
	char query[WEB_PRESET_QUERY_MAX + 1];
} web_preset;

// 1 when name can name a preset: 1-80 bytes of valid text without a tab,
// a line break or another control character.
int web_preset_name_ok(const char *name);

// Reads up to max presets of file path into out (in file order); *n gets
// how many. A missing file is no preset (OK); a line that does not parse
// is skipped. NULL path: none.
fed_status web_presets_load(
    const char *path, web_preset *out, size_t max, size_t *n);

// Saves p under its name: a new one is appended; an existing one is
// replaced when `author` wrote it or `admin` is set, else
// PERMISSION_DENIED. RESOURCE_EXHAUSTED past WEB_PRESETS_MAX;
// INVALID_ARGUMENT for a bad name or query; UNAVAILABLE when the file
// cannot be written (err says why).
fed_status web_presets_save(const char *path, const web_preset *p, int admin,
    char *err, size_t err_len);

// Deletes the preset named name: allowed when `author` wrote it or
// `admin` is set, else PERMISSION_DENIED (nothing changed); NOT_FOUND when
// there is none; UNAVAILABLE when the file cannot be written (err says
// why).
fed_status web_presets_delete(const char *path, const char *name,
    const char *author, int admin, char *err, size_t err_len);

#endif // WEB_PRESETS_H
