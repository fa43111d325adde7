// SPDX-License-Identifier: MIT
//
// rpc_metrics.c: the RPC server's figures (rpc_metrics_internal.h):
// enfed_rpc_calls_total{method,status}, enfed_rpc_call_duration_seconds
// {method} and enfed_auth_failures_total{reason}, in the default registry.
// Servers of one process that serve the same method share its series.

#include "rpc_metrics_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/log.h"
#include "fed/metrics.h"

#define N_STATUS (FED_STATUS_MAX + 1)

static const char *const reasons[] = {
    "missing_token", "malformed_token", "invalid_token", "denied", "policy"};
#define N_REASONS (sizeof(reasons) / sizeof(reasons[0]))

// One method's series; the last entry of the table is "unknown".
struct method_metrics {
	fed_metric *calls[N_STATUS];
	fed_metric *duration;
};

struct fed__rpc_metrics {
	fed_metric *auth[N_REASONS];
	size_t n_services;
	size_t base[16]; // first index of each service's methods
	size_t n_methods; // unknown not included
	struct method_metrics methods[];
};

static const fed_metrics_desc calls_desc = {.name = "enfed_rpc_calls_total",
    .help = "RPC calls served, by method and final status",
    .type = FED_METRIC_COUNTER,
    .labels = {"method", "status"},
    .n_labels = 2,
    .flags = FED_METRICS_SPARSE};

static fed_metrics_desc
duration_desc(void)
{
	return (fed_metrics_desc) {.name = "enfed_rpc_call_duration_seconds",
	    .help = "time from a request's arrival to its reply, by method",
	    .type = FED_METRIC_HISTOGRAM,
	    .labels = {"method"},
	    .n_labels = 1,
	    .buckets = fed_metrics_seconds_buckets,
	    .n_buckets = fed_metrics_n_seconds_buckets,
	    .flags = FED_METRICS_SPARSE};
}

static const fed_metrics_desc auth_desc = {.name = "enfed_auth_failures_total",
    .help = "RPC calls refused before their handler ran, by reason",
    .type = FED_METRIC_COUNTER,
    .labels = {"reason"},
    .n_labels = 1};

static fed_status
method_children(fed_metrics_family *calls, fed_metrics_family *dur,
    const char *name, struct method_metrics *mm)
{
	for (int s = 0; s < N_STATUS; s++) {
		const char *v[] = {name, fed_status_name((fed_status) s)};
		FED_TRY(fed_metrics_child(calls, v, &mm->calls[s]));
	}
	return fed_metrics_child(dur, (const char *[]) {name}, &mm->duration);
}

static fed_status
fill(fed__rpc_metrics *rm, const ProtobufCServiceDescriptor *const *services)
{
	fed_metrics *reg = fed_metrics_default();
	fed_metrics_family *calls = NULL, *dur = NULL, *auth = NULL;
	fed_metrics_desc dd = duration_desc();
	FED_TRY(fed_metrics_family_get(reg, &calls_desc, &calls));
	FED_TRY(fed_metrics_family_get(reg, &dd, &dur));
	FED_TRY(fed_metrics_family_get(reg, &auth_desc, &auth));
	for (size_t r = 0; r < N_REASONS; r++)
		FED_TRY(fed_metrics_child(
		    auth, (const char *[]) {reasons[r]}, &rm->auth[r]));
	size_t k = 0;
	for (size_t i = 0; i < rm->n_services; i++) {
		const ProtobufCServiceDescriptor *d = services[i];
		for (unsigned j = 0; j < d->n_methods; j++, k++) {
			char name[256];
			snprintf(name, sizeof(name), "/%s/%s", d->name,
			    d->methods[j].name);
			FED_TRY(method_children(
			    calls, dur, name, &rm->methods[k]));
		}
	}
	return method_children(calls, dur, "unknown", &rm->methods[k]);
}

void
fed__rpc_metrics_new(const ProtobufCServiceDescriptor *const *services,
    size_t n, fed__rpc_metrics **out)
{
	*out = NULL;
	size_t n_methods = 0;
	if (n > 16)
		n = 16;
	for (size_t i = 0; i < n; i++)
		n_methods += services[i]->n_methods;
	fed__rpc_metrics *rm = calloc(
	    1, sizeof(*rm) + (n_methods + 1) * sizeof(rm->methods[0]));
	if (rm == NULL)
		return;
	rm->n_services = n;
	rm->n_methods = n_methods;
	for (size_t i = 1; i < n; i++)
		rm->base[i] = rm->base[i - 1] + services[i - 1]->n_methods;
	fed_status st = fill(rm, services);
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, "metrics", "RPC figures: %s",
		    fed_status_str(st));
		free(rm);
		return;
	}
	*out = rm;
}

void
fed__rpc_metrics_free(fed__rpc_metrics *rm)
{
	free(rm); // the series stay in the registry
}

int
fed__rpc_metrics_index(const fed__rpc_metrics *rm, size_t s_idx, size_t m_idx)
{
	if (rm == NULL || s_idx >= rm->n_services)
		return -1;
	return (int) (rm->base[s_idx] + m_idx);
}

void
fed__rpc_metrics_call(fed__rpc_metrics *rm, int idx, fed_status st, int64_t ns)
{
	if (rm == NULL)
		return;
	struct method_metrics *mm = idx >= 0 && (size_t) idx < rm->n_methods
	    ? &rm->methods[idx]
	    : &rm->methods[rm->n_methods];
	unsigned s = (unsigned) st < N_STATUS ? (unsigned) st : FED_UNKNOWN;
	fed_metric_inc(mm->calls[s]);
	fed_metric_observe(mm->duration, (double) ns / 1e9);
}

void
fed__rpc_metrics_auth_failure(fed__rpc_metrics *rm, const char *reason)
{
	if (rm == NULL)
		return;
	for (size_t r = 0; r < N_REASONS; r++)
		if (strcmp(reasons[r], reason) == 0)
			fed_metric_inc(rm->auth[r]);
}
