// SPDX-License-Identifier: MIT
//
// status.c: names and messages of fed_status, generated from the one list in
// fed/status.h.

#include "fed/status.h"

static const char *const names[] = {
#define NAME(name, code, msg) [code] = #name,
    FED_STATUS_LIST(NAME)
#undef NAME
};

static const char *const messages[] = {
#define MSG(name, code, msg) [code] = msg,
    FED_STATUS_LIST(MSG)
#undef MSG
};

fed_status
fed_status_from_int(int code)
{
	if (code < 0 || code > FED_STATUS_MAX)
		return FED_UNKNOWN;
	return (fed_status) code;
}

const char *
fed_status_name(fed_status st)
{
	return names[fed_status_from_int((int) st)];
}

const char *
fed_status_str(fed_status st)
{
	return messages[fed_status_from_int((int) st)];
}
