// SPDX-License-Identifier: MIT
//
// cmd_health.c: `fedctl health`, the node's Health/Check: which program,
// which version, which node, for how long, and the services it serves.
// Needs no token.

#include <stdio.h>

#include "enfed/v1/health.pb-c.h"
#include "fedctl.h"

struct health_cfg {
	fedctl_out_opts out;
};

static const fed_cfg_opt health_opts[] = {
    FEDCTL_OUT_OPTS(struct health_cfg, out),
};

static const fed_cfg_spec health_spec = {"fedctl health", "[OPTION]...",
    "Checks that the node answers and shows its service, version, name, "
    "uptime and services. Needs no token.\n"
    "Examples:\n"
    "  fedctl health\n"
    "  fedctl --node tcp://10.0.0.2:7410 health --json",
    health_opts, FED_CFG_N(health_opts), FED_CFG_ARGV_ONLY};

static void
print_json(const Enfed__V1__HealthCheckResponse *r)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "service", r->service);
	cJSON_AddStringToObject(j, "version", r->version);
	cJSON_AddStringToObject(j, "node", r->node);
	cJSON_AddNumberToObject(j, "uptime_s", (double) r->uptime_s);
	cJSON *s = cJSON_AddArrayToObject(j, "services");
	for (size_t i = 0; i < r->n_services; i++)
		cJSON_AddItemToArray(s, cJSON_CreateString(r->services[i]));
	fedctl_json_emit(j);
}

static void
print_text(const Enfed__V1__HealthCheckResponse *r)
{
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
}

int
cmd_health(fedctl *c, int argc, char **argv)
{
	struct health_cfg cfg = {0};
	fed_cfg_result res;
	int rc = fedctl_load_sub(
	    c, &health_spec, &cfg, argc, argv, &cfg.out, &res);
	if (rc < 0 && res.n_args > 0)
		rc = fedctl_usage(c, "unexpected argument '%s'", res.args[0]);
	fed_cfg_fini(&health_spec, &cfg);
	if (rc >= 0)
		return rc;
	Enfed__V1__HealthCheckRequest req
	    = ENFED__V1__HEALTH_CHECK_REQUEST__INIT;
	ProtobufCMessage *rep = NULL;
	char err[256] = "";
	fed_status st = fedctl_call(c, &enfed__v1__health__descriptor, "Check",
	    &req.base, &rep, err, sizeof(err));
	if (st != FED_OK)
		return fedctl_fail(c, st, "Health/Check on %s: %s", c->g->node,
		    err[0] != '\0' ? err : fed_status_str(st));
	if (c->format == FEDCTL_JSON)
		print_json((const void *) rep);
	else
		print_text((const void *) rep);
	protobuf_c_message_free_unpacked(rep, NULL);
	return FEDCTL_EXIT_OK;
}
