// SPDX-License-Identifier: MIT
//
// health.c: the Health service, the same in every enfed program.

#include "fed/health.h"

#include <stdlib.h>
#include <string.h>

#include "enfed/v1/health.pb-c.h"
#include "fed/clock.h"

#ifndef FED_VERSION
#define FED_VERSION "0.0.0"
#endif

#define MAX_NAMES 16

struct health {
	int64_t started_ms;
	const char *services[MAX_NAMES];
	size_t n_services;
	char *service;
	char *node;
	fed_health_fill_fn fill;
	void *fill_arg;
	char strings[]; // service and node, NUL-terminated
};

const char *
fed_version(void)
{
	return FED_VERSION;
}

static fed_status
check(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	(void) in;
	const struct health *h = arg;
	Enfed__V1__HealthCheckResponse *rep
	    = (Enfed__V1__HealthCheckResponse *) out;
	rep->service = h->service;
	rep->node = h->node;
	rep->version = (char *) fed_version();
	rep->uptime_s
	    = (uint64_t) (fed_clock_mono_ms() - h->started_ms) / 1000;
	rep->services = (char **) h->services;
	rep->n_services = h->n_services;
	return h->fill != NULL ? h->fill(call, rep, h->fill_arg) : FED_OK;
}

fed_status
fed_health_register(fed_rpc_server *srv, const char *service, const char *node)
{
	return fed_health_register_fill(srv, service, node, NULL, NULL);
}

fed_status
fed_health_register_fill(fed_rpc_server *srv, const char *service,
    const char *node, fed_health_fill_fn fill, void *arg)
{
	size_t ls = strlen(service) + 1, ln = strlen(node) + 1;
	struct health *h = calloc(1, sizeof(*h) + ls + ln);
	if (h == NULL)
		return FED_RESOURCE_EXHAUSTED;
	h->started_ms = fed_clock_mono_ms();
	h->service = memcpy(h->strings, service, ls);
	h->node = memcpy(h->strings + ls, node, ln);
	h->fill = fill;
	h->fill_arg = arg;
	FED_TRY(fed_rpc_server_attach(srv, h)); // from now on, srv frees h
	static const fed_rpc_method methods[] = {{"Check", check}};
	FED_TRY(fed_rpc_server_add_service(
	    srv, &enfed__v1__health__descriptor, methods, 1, h));
	// Health answers from memory: on nng's thread, with no worker
	// woken for it.
	FED_TRY(fed_rpc_server_set_inline(srv, "/enfed.v1.Health/Check"));
	h->n_services = fed_rpc_server_services(srv, h->services, MAX_NAMES);
	if (h->n_services > MAX_NAMES)
		h->n_services = MAX_NAMES;
	return FED_OK;
}
