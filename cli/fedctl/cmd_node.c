// SPDX-License-Identifier: MIT
//
// cmd_node.c: `fedctl node check`, the node's Integrity/Check: every
// stored block is read and verified now (checksum, decoding, its row), and
// the count of blocks, of bad ones, and the first bad blocks with their
// series and time window are shown. Exits 1 when a block is bad, so that
// a cron job or a monitoring probe can act on it. Needs the admin token;
// reads the whole store, so a large one needs a longer --timeout.

#include <stdio.h>

#include "enfed/v1/health.pb-c.h"
#include "fedctl.h"
#include "verb.h"

static const fed_cfg_spec check_spec
    = FEDCTL_PLAIN_SPEC("fedctl node check", "[OPTION]...",
        "Checks every stored block of the node now (checksum, decoding) and "
        "shows what failed, by series and time window. Exits 1 when a block "
        "is bad. Needs the admin token.\n"
        "Examples:\n"
        "  fedctl node check\n"
        "  fedctl --timeout 10m node check --json");

static cJSON *
bad_json(const fedctl *c, const Enfed__V1__BadBlock *b)
{
	char from[40], to[40];
	fedctl_time_iso(c, b->from_ms, from, sizeof(from));
	fedctl_time_iso(c, b->to_ms, to, sizeof(to));
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "series_id", b->series_id);
	cJSON_AddStringToObject(j, "from", from);
	cJSON_AddStringToObject(j, "to", to);
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
	cJSON_AddNumberToObject(j, "blocks", (double) r->n_blocks);
	cJSON_AddNumberToObject(j, "bad_blocks", (double) r->n_failed);
	cJSON *a = cJSON_AddArrayToObject(j, "bad");
	for (size_t i = 0; i < r->n_bad; i++)
		cJSON_AddItemToArray(a, bad_json(c, r->bad[i]));
	return j;
}

static void
check_text(const fedctl *c, const void *msg)
{
	const Enfed__V1__IntegrityReport *r = msg;
	printf("blocks:      %llu checked in %llu ms\n",
	    (unsigned long long) r->n_blocks,
	    (unsigned long long) r->elapsed_ms);
	printf("bad blocks:  %llu\n", (unsigned long long) r->n_failed);
	for (size_t i = 0; i < r->n_bad; i++) {
		const Enfed__V1__BadBlock *b = r->bad[i];
		char from[40], to[40];
		fedctl_time_iso(c, b->from_ms, from, sizeof(from));
		fedctl_time_iso(c, b->to_ms, to, sizeof(to));
		printf(
		    "  %s [%s, %s) %s\n", b->series_id, from, to, b->reason);
	}
	if (r->n_failed > r->n_bad)
		printf("  ... and %llu more (see the node's log)\n",
		    (unsigned long long) (r->n_failed - r->n_bad));
}

static const fedctl_view check_view = {.json = check_json, .text = check_text};

static int
run_check(fedctl *c, const fedctl_verb_input *in)
{
	(void) in;
	Enfed__V1__IntegrityCheckRequest req
	    = ENFED__V1__INTEGRITY_CHECK_REQUEST__INIT;
	ProtobufCMessage *rep = NULL;
	char err[256] = "";
	fed_status st = fedctl_call(c, &enfed__v1__integrity__descriptor,
	    "Check", &req.base, &rep, err, sizeof(err));
	if (st != FED_OK)
		return fedctl_fail(c, st, "Integrity/Check on %s: %s",
		    c->g->node, err[0] != '\0' ? err : fed_status_str(st));
	int bad = ((const Enfed__V1__IntegrityReport *) rep)->n_failed > 0;
	int code = fedctl_reply(c, &check_view, st, rep);
	return code == FEDCTL_EXIT_OK && bad ? FEDCTL_EXIT_OTHER : code;
}

static const fedctl_verb verbs[] = {
    {.name = "check",
        .help = "verify every stored block now (admin)",
        .run = run_check,
        FEDCTL_OPTS(check_spec, fedctl_plain_cfg)},
};

int
cmd_node(fedctl *c, int argc, char **argv)
{
	return fedctl_run_verb(c, "node",
	    "The node's own maintenance: checks of its stored data.", verbs,
	    sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
