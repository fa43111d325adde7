// SPDX-License-Identifier: MIT
//
// cfg_internal.h: what the two halves of the config module share: cfg.c
// (the sources: table, file, environment, command line, help) calls
// cfg_value.c (parsing, bounds and storing of one value, per type) through
// these, and both report errors the same way.

#ifndef FED_CFG_INTERNAL_H
#define FED_CFG_INTERNAL_H

#include "fed/cfg.h"

// Where a value came from, for error messages.
typedef enum fed__cfg_src_kind {
	FED__CFG_SRC_DEFAULT, // the table's default: a programmer's mistake
	FED__CFG_SRC_FILE,
	FED__CFG_SRC_ENV,
	FED__CFG_SRC_ARGV,
} fed__cfg_src_kind;

typedef struct fed__cfg_src {
	fed__cfg_src_kind kind;
	const char *where; // the file's path or the variable's name; borrowed
	long line; // FED__CFG_SRC_FILE: 1-based line number
} fed__cfg_src;

// Formats res->err as "<what> (<source>)" from fmt and returns st; for the
// source FED__CFG_SRC_DEFAULT, "config table: <what>" and INTERNAL instead
// of INVALID_ARGUMENT.
fed_status fed__cfg_fail(fed_cfg_result *res, fed_status st,
    const fed__cfg_src *s, const char *fmt, ...) FED__PRINTF(4, 5);

// Parses text as the value of option o, checks it against the option's
// bounds and stores it at o->offset in cfg (a string replaces, and frees,
// the previous one). text is borrowed. Returns OK; INVALID_ARGUMENT (INTERNAL
// for a default) with res->err naming o, the source and the accepted values;
// RESOURCE_EXHAUSTED when memory runs out. On error cfg is unchanged.
fed_status fed__cfg_apply(const fed_cfg_opt *o, void *cfg, const char *text,
    const fed__cfg_src *s, fed_cfg_result *res);

// The bounds of o as "1..65535", "100ms..1h" or "1KiB..1GiB", or "" when
// o has none.
void fed__cfg_format_range(const fed_cfg_opt *o, char *buf, size_t len);

// The placeholder of o's value in the help: "INT", "DURATION", the choices
// of an enum. Static or borrowed from o; never NULL.
const char *fed__cfg_meta(const fed_cfg_opt *o);

#endif // FED_CFG_INTERNAL_H
