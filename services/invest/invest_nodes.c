// SPDX-License-Identifier: MIT
//
// invest_nodes.c: clients of the configured fed-nodes (invest_nodes.h).

#include "invest_nodes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/rpc.h"
#include "invest_calc.h"

#define MAX_NODES 16

struct node {
	char name[65];
	char url[512];
	fed_rpc_client *client;
};

struct invest_nodes {
	size_t n;
	struct node node[MAX_NODES];
};

static fed_status
add_node(invest_nodes *n, char *entry, const char *token, uint32_t timeout_ms,
    char *err, size_t err_len)
{
	char *eq = strchr(entry, '=');
	const char *name = eq != NULL ? entry : "node";
	const char *url = eq != NULL ? eq + 1 : entry;
	if (eq != NULL)
		*eq = '\0';
	if (n->n == MAX_NODES || name[0] == '\0' || strlen(name) > 64
	    || url[0] == '\0' || strlen(url) >= sizeof(n->node[0].url)) {
		snprintf(err, err_len,
		    "nodes: '%s': expected name=url (at most %d nodes)", name,
		    MAX_NODES);
		return FED_INVALID_ARGUMENT;
	}
	for (size_t i = 0; i < n->n; i++) {
		if (strcmp(n->node[i].name, name) == 0) {
			snprintf(
			    err, err_len, "nodes: '%s' named twice", name);
			return FED_INVALID_ARGUMENT;
		}
	}
	struct node *d = &n->node[n->n];
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->url, sizeof(d->url), "%s", url);
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = d->url;
	o.token = token;
	o.timeout_ms = timeout_ms;
	if (fed_rpc_client_new(&o, &d->client) != FED_OK) {
		snprintf(
		    err, err_len, "nodes: '%s': bad address '%s'", name, url);
		return FED_INVALID_ARGUMENT;
	}
	n->n++;
	return FED_OK;
}

fed_status
invest_nodes_new(const char *list, const char *token, uint32_t timeout_ms,
    invest_nodes **out, char *err, size_t err_len)
{
	invest_nodes *n = calloc(1, sizeof(*n));
	char *copy = strdup(list != NULL ? list : "");
	fed_status st = FED_OK;
	if (n == NULL || copy == NULL)
		st = FED_RESOURCE_EXHAUSTED;
	char *save = NULL;
	for (char *e = st == FED_OK ? strtok_r(copy, ",", &save) : NULL;
	     e != NULL && st == FED_OK; e = strtok_r(NULL, ",", &save))
		st = add_node(n, e, token, timeout_ms, err, err_len);
	if (st == FED_OK && n->n == 0) {
		snprintf(err, err_len, "nodes: at least one name=url");
		st = FED_INVALID_ARGUMENT;
	}
	free(copy);
	if (st != FED_OK) {
		invest_nodes_free(n);
		return st;
	}
	*out = n;
	return FED_OK;
}

void
invest_nodes_free(invest_nodes *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++)
		fed_rpc_client_free(n->node[i].client);
	free(n);
}

static struct node *
find(const invest_nodes *n, const char *name)
{
	if (name == NULL || name[0] == '\0')
		return (struct node *) &n->node[0];
	for (size_t i = 0; i < n->n; i++) {
		if (strcmp(n->node[i].name, name) == 0)
			return (struct node *) &n->node[i];
	}
	return NULL;
}

fed_status
invest_nodes_check(
    const invest_nodes *n, const char *name, char *err, size_t err_len)
{
	if (find(n, name) != NULL)
		return FED_OK;
	size_t used = (size_t) snprintf(err, err_len,
	    "series_node: '%s' is not a node of this fed-invest (known:",
	    name);
	for (size_t i = 0; i < n->n && used < err_len; i++)
		used += (size_t) snprintf(
		    err + used, err_len - used, " %s", n->node[i].name);
	if (used < err_len)
		snprintf(err + used, err_len - used, ")");
	return FED_INVALID_ARGUMENT;
}

// A node's failure, as fed-invest's callers should see it.
static fed_status
node_failure(const struct node *d, const char *series, fed_status st,
    const char *msg, char *err, size_t err_len)
{
	if (st == FED_UNAVAILABLE || st == FED_DEADLINE_EXCEEDED) {
		snprintf(err, err_len,
		    "node '%s' (%s) is unreachable (%s); the figures of "
		    "series '%s' cannot be computed now",
		    d->name, d->url, fed_status_name(st), series);
		return FED_UNAVAILABLE;
	}
	snprintf(err, err_len, "node '%s' answered %s for series '%s': %s",
	    d->name, fed_status_name(st), series, msg);
	return st == FED_RESOURCE_EXHAUSTED || st == FED_INVALID_ARGUMENT
	    ? st
	    : FED_FAILED_PRECONDITION;
}

fed_status
invest_nodes_query(invest_nodes *n, const char *node, const char *series,
    int64_t from_ms, int64_t to_ms, Enfed__V1__Step step, const char *tz,
    Enfed__V1__QueryResponse **out, char *err, size_t err_len)
{
	struct node *d = find(n, node);
	if (d == NULL)
		return invest_nodes_check(n, node, err, err_len);
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = from_ms;
	r.to_ms = to_ms;
	char *ids[1] = {(char *) series};
	Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
	q.series_ids = ids;
	q.n_series_ids = 1;
	q.range = &r;
	q.step = step;
	q.agg = ENFED__V1__AGGREGATE__AGG_SUM;
	q.tz = (char *) (tz != NULL ? tz : "");
	char msg[256];
	fed_status st
	    = fed_rpc_call(d->client, &enfed__v1__series_store__descriptor,
	        "Query", &q.base, (ProtobufCMessage **) out, msg, sizeof(msg));
	if (st != FED_OK)
		return node_failure(d, series, st, msg, err, err_len);
	if ((*out)->n_results != 1
	    || (*out)->n_bucket_end_ms != (*out)->results[0]->n_ts_ms) {
		enfed__v1__query_response__free_unpacked(*out, NULL);
		*out = NULL;
		return node_failure(d, series, FED_INTERNAL,
		    "malformed query reply", err, err_len);
	}
	return FED_OK;
}

fed_status
invest_nodes_sum(invest_nodes *n, const char *node, const char *series,
    int64_t from_ms, int64_t to_ms, const char *tz, double *wh,
    double *coverage, char *err, size_t err_len)
{
	*wh = 0;
	*coverage = 0;
	if (from_ms >= to_ms)
		return FED_OK;
	// Year buckets keep the reply small whatever the range; the node
	// cuts points to the range, so the sum is exact.
	Enfed__V1__QueryResponse *res = NULL;
	FED_TRY(invest_nodes_query(n, node, series, from_ms, to_ms,
	    ENFED__V1__STEP__STEP_YEAR, tz, &res, err, err_len));
	const Enfed__V1__SeriesResult *r = res->results[0];
	size_t k = r->n_value < r->n_coverage ? r->n_value : r->n_coverage;
	if (k > r->n_ts_ms)
		k = r->n_ts_ms;
	invest_calc_sum(r->value, r->coverage, r->ts_ms, res->bucket_end_ms, k,
	    from_ms, to_ms, wh, coverage);
	enfed__v1__query_response__free_unpacked(res, NULL);
	return FED_OK;
}

fed_status
invest_nodes_last_ms(invest_nodes *n, const char *node, const char *series,
    int64_t *last_ms, char *err, size_t err_len)
{
	struct node *d = find(n, node);
	if (d == NULL)
		return invest_nodes_check(n, node, err, err_len);
	Enfed__V1__GetSeriesRequest q = ENFED__V1__GET_SERIES_REQUEST__INIT;
	q.id = (char *) series;
	Enfed__V1__SeriesInfo *info = NULL;
	char msg[256];
	fed_status st = fed_rpc_call(d->client,
	    &enfed__v1__series_store__descriptor, "GetSeries", &q.base,
	    (ProtobufCMessage **) &info, msg, sizeof(msg));
	if (st != FED_OK)
		return node_failure(d, series, st, msg, err, err_len);
	*last_ms = info->last_ms;
	enfed__v1__series_info__free_unpacked(info, NULL);
	return FED_OK;
}
