// SPDX-License-Identifier: MIT
//
// web_backend.c: RPC clients of fed-invest and of the fed-nodes.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "enfed/v1/invest.pb-c.h"
#include "fed/rpc.h"
#include "fed/token.h"
#include "web_backend.h"

struct node {
	char name[64];
	fed_rpc_client *client;
};

struct investor {
	char token_hash[FED_TOKEN_HASH_LEN + 1];
	fed_rpc_client *client;
};

struct web_backend {
	char *invest_url;
	uint32_t timeout_ms;
	fed_rpc_client *invest;
	struct node nodes[WEB_BACKEND_MAX_NODES];
	size_t n_nodes;
	pthread_mutex_t mu;
	struct investor investors[WEB_BACKEND_MAX_INVESTORS];
	size_t n_investors;
};

static fed_status
client(const char *url, const char *token, uint32_t timeout_ms,
    fed_rpc_client **out)
{
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = url;
	o.token = token;
	o.timeout_ms = timeout_ms;
	return fed_rpc_client_new(&o, out);
}

static fed_status
add_node(web_backend *be, const char *item, const char *token, char *err,
    size_t err_len)
{
	const char *eq = strchr(item, '=');
	size_t nl = eq ? (size_t) (eq - item) : 0;
	if (nl == 0 || nl >= sizeof(be->nodes[0].name) || eq[1] == '\0'
	    || be->n_nodes == WEB_BACKEND_MAX_NODES) {
		snprintf(err, err_len,
		    "nodes: '%s' is not name=url (at most %d nodes)", item,
		    WEB_BACKEND_MAX_NODES);
		return FED_INVALID_ARGUMENT;
	}
	struct node *n = &be->nodes[be->n_nodes];
	memcpy(n->name, item, nl);
	n->name[nl] = '\0';
	fed_status st = client(eq + 1, token, be->timeout_ms, &n->client);
	if (st != FED_OK) {
		snprintf(err, err_len, "nodes: bad address '%s'", eq + 1);
		return st;
	}
	be->n_nodes++;
	return FED_OK;
}

static fed_status
add_nodes(web_backend *be, const char *nodes, const char *token, char *err,
    size_t err_len)
{
	char *copy = strdup(nodes ? nodes : "");
	if (copy == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_status st = FED_OK;
	char *save = NULL;
	for (char *p = strtok_r(copy, ",", &save); p && st == FED_OK;
	     p = strtok_r(NULL, ",", &save))
		st = add_node(be, p, token, err, err_len);
	free(copy);
	return st;
}

fed_status
web_backend_new(const char *invest_url, const char *invest_token,
    const char *nodes, const char *node_token, uint32_t timeout_ms,
    web_backend **out, char *err, size_t err_len)
{
	web_backend *be = calloc(1, sizeof(*be));
	if (be == NULL)
		return FED_RESOURCE_EXHAUSTED;
	pthread_mutex_init(&be->mu, NULL);
	be->timeout_ms = timeout_ms;
	be->invest_url = strdup(invest_url);
	fed_status st = be->invest_url ? FED_OK : FED_RESOURCE_EXHAUSTED;
	if (st == FED_OK)
		st = client(invest_url, invest_token, timeout_ms, &be->invest);
	if (st != FED_OK)
		snprintf(err, err_len, "invest: bad address '%s'", invest_url);
	if (st == FED_OK)
		st = add_nodes(be, nodes, node_token, err, err_len);
	if (st != FED_OK) {
		web_backend_free(be);
		return st;
	}
	*out = be;
	return FED_OK;
}

void
web_backend_free(web_backend *be)
{
	if (be == NULL)
		return;
	fed_rpc_client_free(be->invest);
	for (size_t i = 0; i < be->n_nodes; i++)
		fed_rpc_client_free(be->nodes[i].client);
	for (size_t i = 0; i < be->n_investors; i++)
		fed_rpc_client_free(be->investors[i].client);
	pthread_mutex_destroy(&be->mu);
	free(be->invest_url);
	free(be);
}

// The investor's client: kept in the table, or *temp (freed by the caller)
// when the table is full.
static fed_status
investor_client(web_backend *be, const char *token, fed_rpc_client **c,
    fed_rpc_client **temp)
{
	char h[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(token, h);
	fed_status st = FED_OK;
	pthread_mutex_lock(&be->mu);
	for (size_t i = 0; i < be->n_investors && *c == NULL; i++)
		if (strcmp(be->investors[i].token_hash, h) == 0)
			*c = be->investors[i].client;
	if (*c == NULL) {
		st = client(be->invest_url, token, be->timeout_ms, c);
		if (st == FED_OK
		    && be->n_investors < WEB_BACKEND_MAX_INVESTORS) {
			struct investor *iv
			    = &be->investors[be->n_investors++];
			memcpy(iv->token_hash, h, sizeof(h));
			iv->client = *c;
		} else if (st == FED_OK) {
			*temp = *c;
		}
	}
	pthread_mutex_unlock(&be->mu);
	return st;
}

fed_status
web_backend_invest(web_backend *be, const char *token, const char *method,
    const ProtobufCMessage *req, ProtobufCMessage **reply, char *err,
    size_t err_len)
{
	fed_rpc_client *c = NULL, *temp = NULL;
	if (token == NULL || token[0] == '\0')
		c = be->invest;
	else
		FED_TRY(investor_client(be, token, &c, &temp));
	fed_status st = fed_rpc_call(c, &enfed__v1__invest__descriptor, method,
	    req, reply, err, err_len);
	fed_rpc_client_free(temp);
	return st;
}

size_t
web_backend_n_nodes(const web_backend *be)
{
	return be->n_nodes;
}

const char *
web_backend_node_name(const web_backend *be, size_t i)
{
	return i < be->n_nodes ? be->nodes[i].name : "";
}

fed_status
web_backend_node(web_backend *be, size_t i, const char *method,
    const ProtobufCMessage *req, ProtobufCMessage **reply, char *err,
    size_t err_len)
{
	if (i >= be->n_nodes) {
		snprintf(err, err_len, "no such node");
		return FED_NOT_FOUND;
	}
	return fed_rpc_call(be->nodes[i].client,
	    &enfed__v1__series_store__descriptor, method, req, reply, err,
	    err_len);
}

fed_status
web_backend_find_series(web_backend *be, const char *id, size_t *node,
    Enfed__V1__SeriesInfo **info, char *err, size_t err_len)
{
	fed_status worst = FED_NOT_FOUND;
	snprintf(err, err_len, "series '%s' is not on any node", id);
	for (size_t i = 0; i < be->n_nodes; i++) {
		Enfed__V1__GetSeriesRequest g
		    = ENFED__V1__GET_SERIES_REQUEST__INIT;
		g.id = (char *) id;
		char e[256];
		fed_status st = web_backend_node(be, i, "GetSeries", &g.base,
		    (ProtobufCMessage **) info, e, sizeof(e));
		if (st == FED_OK) {
			*node = i;
			return FED_OK;
		}
		if (st == FED_UNAVAILABLE || st == FED_DEADLINE_EXCEEDED) {
			worst = FED_UNAVAILABLE;
			snprintf(err, err_len, "node '%s' is unreachable",
			    be->nodes[i].name);
		}
	}
	return worst;
}
