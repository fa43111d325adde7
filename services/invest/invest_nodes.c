// SPDX-License-Identifier: MIT
//
// invest_nodes.c: clients of the configured fed-nodes (invest_nodes.h).
// One long-lived client per node carries fed-invest's own token; a read
// under a household's grant opens a client of its own with the grant's
// token for the call, so that the two credentials never share a
// connection and the grant's token lives no longer than the call.

#include "invest_nodes.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/log.h"
#include "fed/rpc.h"
#include "fed/token.h"
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
	uint32_t timeout_ms;
	// SHA-256 of fed-invest's own node token ("" when none): a grant
	// token equal to it is refused.
	char own_hash[FED_TOKEN_HASH_LEN + 1];
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
	// A node that does not answer costs one timeout, not one per project
	// of every summary: later calls fail at once until it is back.
	o.down_ms = INVEST_NODE_DOWN_MS;
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
	if (st == FED_OK) {
		n->timeout_ms = timeout_ms;
		if (token != NULL && token[0] != '\0')
			fed_token_hash(token, n->own_hash);
	}
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

// One series' buckets with SUM on client c; a reply that is not one
// result with one end per bucket is INTERNAL. *msg holds the node's
// message on failure.
static fed_status
query_on(fed_rpc_client *c, const char *series, int64_t from_ms, int64_t to_ms,
    Enfed__V1__Step step, const char *tz, Enfed__V1__QueryResponse **out,
    char *msg, size_t msg_len)
{
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
	FED_TRY(fed_rpc_call(c, &enfed__v1__series_store__descriptor, "Query",
	    &q.base, (ProtobufCMessage **) out, msg, msg_len));
	if ((*out)->n_results == 1
	    && (*out)->n_bucket_end_ms == (*out)->results[0]->n_ts_ms)
		return FED_OK;
	enfed__v1__query_response__free_unpacked(*out, NULL);
	*out = NULL;
	snprintf(msg, msg_len, "malformed query reply");
	return FED_INTERNAL;
}

// SeriesStore/GetSeries of one series on client c.
static fed_status
get_on(fed_rpc_client *c, const char *series, Enfed__V1__SeriesInfo **out,
    char *msg, size_t msg_len)
{
	Enfed__V1__GetSeriesRequest q = ENFED__V1__GET_SERIES_REQUEST__INIT;
	q.id = (char *) series;
	return fed_rpc_call(c, &enfed__v1__series_store__descriptor,
	    "GetSeries", &q.base, (ProtobufCMessage **) out, msg, msg_len);
}

fed_status
invest_nodes_query(invest_nodes *n, const char *node, const char *series,
    int64_t from_ms, int64_t to_ms, Enfed__V1__Step step, const char *tz,
    Enfed__V1__QueryResponse **out, char *err, size_t err_len)
{
	struct node *d = find(n, node);
	if (d == NULL)
		return invest_nodes_check(n, node, err, err_len);
	char msg[256];
	fed_status st = query_on(d->client, series, from_ms, to_ms, step, tz,
	    out, msg, sizeof(msg));
	return st == FED_OK ? FED_OK
	                    : node_failure(d, series, st, msg, err, err_len);
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
invest_nodes_production(invest_nodes *n, const char *node, const char *series,
    const char *organisation, int64_t *last_ms, char *err, size_t err_len)
{
	struct node *d = find(n, node);
	if (d == NULL)
		return invest_nodes_check(n, node, err, err_len);
	Enfed__V1__SeriesInfo *info = NULL;
	char why[256] = "";
	fed_status st = get_on(d->client, series, &info, why, sizeof(why));
	if (st == FED_UNAVAILABLE || st == FED_DEADLINE_EXCEEDED)
		return node_failure(d, series, st, why, err, err_len);
	if (st == FED_OK) {
		const Enfed__V1__SeriesMeta *m = info->meta;
		*last_ms = info->last_ms;
		if (m == NULL
		    || m->kind
		        != ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION)
			snprintf(why, sizeof(why), "not a production series");
		else if (m->visibility
		        != ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC
		    && strcmp(m->owner != NULL ? m->owner : "",
		           organisation != NULL ? organisation : "")
		        != 0)
			snprintf(why, sizeof(why),
			    "private, owned by '%s', not by the project's "
			    "organisation",
			    m->owner != NULL ? m->owner : "");
		else
			why[0] = '\0';
		enfed__v1__series_info__free_unpacked(info, NULL);
		if (why[0] == '\0')
			return FED_OK;
	}
	fed_log(FED_LOG_NOTICE, "invest",
	    "series '%s' on node '%s' refused for a project of '%s': %s%s%s",
	    series, d->name, organisation != NULL ? organisation : "",
	    st != FED_OK ? fed_status_name(st) : "", st != FED_OK ? ": " : "",
	    why);
	snprintf(err, err_len,
	    "series '%s' on node '%s' is not a production series that "
	    "fed-invest may read for '%s' (it must exist, be a production "
	    "series, and be public or owned by that organisation)",
	    series, d->name, organisation != NULL ? organisation : "");
	return FED_FAILED_PRECONDITION;
}

// --- Under a household's grant ----------------------------------------------

// What the caller of a grant read is told when the node does not honour
// it: the node's own answer goes to the log only.
static fed_status
grant_refused(const struct node *d, const invest_granted *g, fed_status st,
    const char *msg, char *err, size_t err_len)
{
	if (st == FED_UNAVAILABLE || st == FED_DEADLINE_EXCEEDED) {
		fed_log(FED_LOG_WARNING, "invest",
		    "node '%s' (%s) is unreachable (%s) for the grant of "
		    "series '%s'",
		    d->name, d->url, fed_status_name(st), g->series);
		snprintf(err, err_len,
		    "node '%s' is unreachable; the consumption of series "
		    "'%s' cannot be read now",
		    d->name, g->series);
		return FED_UNAVAILABLE;
	}
	fed_log(FED_LOG_NOTICE, "invest",
	    "node '%s' answered %s to a grant token for series '%s': %s",
	    d->name, fed_status_name(st), g->series, msg);
	snprintf(err, err_len,
	    "grant_token: does not let fed-invest read series '%s' on node "
	    "'%s'",
	    g->series, d->name);
	return FED_PERMISSION_DENIED;
}

// A client of g's node carrying g's grant token, for one read; *d is the
// node. INVALID_ARGUMENT for an unknown node or an empty token;
// PERMISSION_DENIED for fed-invest's own node token.
static fed_status
grant_client(invest_nodes *n, const invest_granted *g, struct node **d,
    fed_rpc_client **c, char *err, size_t err_len)
{
	*d = find(n, g->node);
	if (*d == NULL)
		return invest_nodes_check(n, g->node, err, err_len);
	if (g->grant_token == NULL || g->grant_token[0] == '\0') {
		snprintf(err, err_len, "grant_token: missing");
		return FED_INVALID_ARGUMENT;
	}
	if (n->own_hash[0] != '\0'
	    && fed_token_check(g->grant_token, n->own_hash))
		return grant_refused(*d, g, FED_PERMISSION_DENIED,
		    "fed-invest's own node token given as a grant token", err,
		    err_len);
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = (*d)->url;
	o.token = g->grant_token;
	o.timeout_ms = n->timeout_ms;
	if (fed_rpc_client_new(&o, c) == FED_OK)
		return FED_OK;
	snprintf(err, err_len, "node '%s': no client", (*d)->name);
	return FED_INTERNAL;
}

fed_status
invest_nodes_grant_check(
    invest_nodes *n, const invest_granted *g, char *err, size_t err_len)
{
	struct node *d = NULL;
	fed_rpc_client *c = NULL;
	FED_TRY(grant_client(n, g, &d, &c, err, err_len));
	Enfed__V1__SeriesInfo *info = NULL;
	char msg[256] = "";
	fed_status st = get_on(c, g->series, &info, msg, sizeof(msg));
	fed_rpc_client_free(c);
	enfed__v1__series_info__free_unpacked(info, NULL);
	return st == FED_OK ? FED_OK
	                    : grant_refused(d, g, st, msg, err, err_len);
}

fed_status
invest_nodes_grant_days(invest_nodes *n, const invest_granted *g,
    int64_t from_ms, int64_t to_ms, const char *tz,
    Enfed__V1__QueryResponse **out, char *err, size_t err_len)
{
	struct node *d = NULL;
	fed_rpc_client *c = NULL;
	FED_TRY(grant_client(n, g, &d, &c, err, err_len));
	char msg[256] = "";
	fed_status st = query_on(c, g->series, from_ms, to_ms,
	    ENFED__V1__STEP__STEP_DAY, tz, out, msg, sizeof(msg));
	fed_rpc_client_free(c);
	return st == FED_OK ? FED_OK
	                    : grant_refused(d, g, st, msg, err, err_len);
}
