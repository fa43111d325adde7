// SPDX-License-Identifier: MIT
//
// cmd_health.c: `fedctl health`, the node's Health/Check: which program,
// which version, which node, for how long, the services it serves and,
// for a fed-node, its last check of the stored data. Needs no token.

#include <stdio.h>
#include <string.h>

#include "enfed/v1/health.pb-c.h"
#include "fedctl.h"
#include "verb.h"

// What a check counted: fed-node's blocks of points, or the rows of a
// service whose report carries sqlite's quick_check.
static const char *
checked_what(const Enfed__V1__IntegrityReport *k)
{
	return k->quick_check[0] != '\0' ? "rows" : "blocks";
}

static const fed_cfg_spec health_spec
    = FEDCTL_PLAIN_SPEC("fedctl health", "[OPTION]...",
        "Checks that the node answers and shows its service, version, name, "
        "uptime and services. Needs no token.\n"
        "Examples:\n"
        "  fedctl health\n"
        "  fedctl --node tcp://10.0.0.2:7410 health --json");

static cJSON *
health_json(const fedctl *c, const void *msg)
{
	const Enfed__V1__HealthCheckResponse *r = msg;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "service", r->service);
	cJSON_AddStringToObject(j, "version", r->version);
	cJSON_AddStringToObject(j, "node", r->node);
	cJSON_AddNumberToObject(j, "uptime_s", (double) r->uptime_s);
	cJSON *s = cJSON_AddArrayToObject(j, "services");
	for (size_t i = 0; i < r->n_services; i++)
		cJSON_AddItemToArray(s, cJSON_CreateString(r->services[i]));
	if (r->last_check != NULL) {
		char at[40];
		fedctl_time_iso(c, r->last_check->started_ms, at, sizeof(at));
		cJSON *k = cJSON_AddObjectToObject(j, "last_check");
		cJSON_AddStringToObject(k, "started", at);
		cJSON_AddNumberToObject(
		    k, "blocks", (double) r->last_check->n_blocks);
		cJSON_AddNumberToObject(
		    k, "bad_blocks", (double) r->last_check->n_failed);
		cJSON_AddStringToObject(
		    k, "counted", checked_what(r->last_check));
	}
	return j;
}

static void
health_text(const fedctl *c, const void *msg)
{
	const Enfed__V1__HealthCheckResponse *r = msg;
	uint64_t u = r->uptime_s;
	printf("service:  %s\nversion:  %s\nnode:     %s\n", r->service,
	    r->version, r->node);
	printf("uptime:   %llud %02lluh %02llum %02llus\n",
	    (unsigned long long) (u / 86400),
	    (unsigned long long) (u / 3600 % 24),
	    (unsigned long long) (u / 60 % 60), (unsigned long long) (u % 60));
	printf("services:");
	for (size_t i = 0; i < r->n_services; i++)
		printf(" %s", r->services[i]);
	printf("\n");
	if (r->last_check == NULL)
		return;
	const Enfed__V1__IntegrityReport *k = r->last_check;
	char at[40];
	fedctl_time_iso(c, k->started_ms, at, sizeof(at));
	printf("checked:  %s: %llu %s, %llu bad", at,
	    (unsigned long long) k->n_blocks, checked_what(k),
	    (unsigned long long) k->n_failed);
	// A row store's sqlite check (fed-directory, fed-invest).
	if (k->quick_check[0] != '\0' && strcmp(k->quick_check, "ok") != 0)
		printf("; sqlite: %s", k->quick_check);
	printf("\n");
}

static const fedctl_view health_view
    = {.json = health_json, .text = health_text};

static int
run_health(fedctl *c, const fedctl_verb_input *in)
{
	(void) in;
	Enfed__V1__HealthCheckRequest req
	    = ENFED__V1__HEALTH_CHECK_REQUEST__INIT;
	ProtobufCMessage *rep = NULL;
	char err[256] = "";
	fed_status st = fedctl_call(c, &enfed__v1__health__descriptor, "Check",
	    &req.base, &rep, err, sizeof(err));
	if (st != FED_OK)
		return fedctl_fail(c, st, "Health/Check on %s: %s", c->g->node,
		    err[0] != '\0' ? err : fed_status_str(st));
	return fedctl_reply(c, &health_view, st, rep);
}

int
cmd_health(fedctl *c, int argc, char **argv)
{
	static const fedctl_verb health
	    = {.run = run_health, FEDCTL_OPTS(health_spec, fedctl_plain_cfg)};
	return fedctl_verb_exec(c, &health, argc, argv);
}
