// SPDX-License-Identifier: MIT
//
// svc_check.c: the row checks of fed-directory and fed-invest, run and
// shown (svc_check.h). The report is the node's IntegrityReport; its bad
// entries are rows (table and key), never blocks.

#include "svc_check.h"

#include <stdio.h>
#include <string.h>

#include "enfed/v1/health.pb-c.h"

#define CHECK_HELP(noun, svc)                                               \
	"Checks the database of " svc " now: sqlite's quick_check of the "  \
	"file, then every row's checksum; shows what failed, by table and " \
	"key. Exits 1 when something failed. Needs " svc "'s admin token "  \
	"(--" noun "-token or --token).\n"                                  \
	"Examples:\n"                                                       \
	"  fedctl " noun " check\n"                                         \
	"  fedctl --" noun "-token @" noun "-admin.token " noun             \
	" check --json"

const fed_cfg_spec fedctl_directory_check_spec
    = FEDCTL_PLAIN_SPEC("fedctl directory check", "[OPTION]...",
        CHECK_HELP("directory", "fed-directory"));
const fed_cfg_spec fedctl_invest_check_spec = FEDCTL_PLAIN_SPEC(
    "fedctl invest check", "[OPTION]...", CHECK_HELP("invest", "fed-invest"));

static cJSON *
bad_json(const Enfed__V1__BadBlock *b)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "table", b->table);
	cJSON_AddStringToObject(j, "key", b->key);
	cJSON_AddStringToObject(j, "reason", b->reason);
	return j;
}

static cJSON *
check_json(const fedctl *c, const void *msg)
{
	const Enfed__V1__IntegrityReport *r = msg;
	char started[40];
	fedctl_time_iso(c, r->started_ms, started, sizeof(started));
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "started", started);
	cJSON_AddNumberToObject(j, "elapsed_ms", (double) r->elapsed_ms);
	cJSON_AddStringToObject(j, "quick_check", r->quick_check);
	cJSON_AddNumberToObject(j, "rows", (double) r->n_blocks);
	cJSON_AddNumberToObject(j, "failed", (double) r->n_failed);
	cJSON *a = cJSON_AddArrayToObject(j, "bad");
	for (size_t i = 0; i < r->n_bad; i++)
		cJSON_AddItemToArray(a, bad_json(r->bad[i]));
	return j;
}

static void
check_text(const fedctl *c, const void *msg)
{
	(void) c;
	const Enfed__V1__IntegrityReport *r = msg;
	int file_ok = strcmp(r->quick_check, "ok") == 0;
	uint64_t bad_rows
	    = r->n_failed - (file_ok || r->n_failed == 0 ? 0 : 1);
	printf("database:    %s\n",
	    file_ok ? "ok (quick_check)" : r->quick_check);
	printf("rows:        %llu checked in %llu ms\n",
	    (unsigned long long) r->n_blocks,
	    (unsigned long long) r->elapsed_ms);
	printf("bad rows:    %llu\n", (unsigned long long) bad_rows);
	for (size_t i = 0; i < r->n_bad; i++)
		printf("  %s %s: %s\n", r->bad[i]->table, r->bad[i]->key,
		    r->bad[i]->reason);
	if (bad_rows > r->n_bad)
		printf("  ... and %llu more (see the service's log)\n",
		    (unsigned long long) (bad_rows - r->n_bad));
}

static const fedctl_view check_view = {.json = check_json, .text = check_text};

int
fedctl_svc_check(fedctl *c, fedctl_svc which)
{
	Enfed__V1__IntegrityCheckRequest req
	    = ENFED__V1__INTEGRITY_CHECK_REQUEST__INIT;
	Enfed__V1__IntegrityReport *rep = NULL;
	fed_status st = fedctl_svc_call(c, which,
	    &enfed__v1__integrity__descriptor, "Check", "", &req, &rep);
	int bad = st == FED_OK && rep->n_failed > 0;
	int code = fedctl_reply(c, &check_view, st, rep);
	return code == FEDCTL_EXIT_OK && bad ? FEDCTL_EXIT_OTHER : code;
}
