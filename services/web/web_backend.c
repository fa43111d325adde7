// SPDX-License-Identifier: MIT
//
// web_backend.c: RPC clients of fed-invest, the fed-nodes and
// fed-directory, one per (service, token), made at first use.
//
// Why a table keyed by the token's hash: a client carries its token for
// every call (fed/rpc.h), and each user reads the nodes with tokens of
// their own; keeping one client per token saves a dial per page.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "enfed/v1/directory.pb-c.h"
#include "enfed/v1/invest.pb-c.h"
#include "fed/rpc.h"
#include "fed/token.h"
#include "fed/transport.h"
#include "web_backend.h"

#define INVEST (-1) // the target of fed-invest's clients

struct node {
	char name[64];
	char *url;
};

struct keyed {
	int target; // a node index, or INVEST
	char token_hash[FED_TOKEN_HASH_LEN + 1];
	fed_rpc_client *client;
};

struct web_backend {
	char *invest_url;
	char *tls_files[4]; // copies of the TLS settings' strings
	fed_tls_opts tls; // pointing to them, for every client
	uint32_t timeout_ms;
	fed_rpc_client *invest; // with fed-web's own token
	fed_rpc_client *directory; // with the directory token; NULL: none
	struct node nodes[WEB_BACKEND_MAX_NODES];
	size_t n_nodes;
	pthread_mutex_t mu;
	struct keyed clients[WEB_BACKEND_MAX_CLIENTS];
	size_t n_clients;
};

// Clients are made at first use, long after web_backend_new: the TLS
// settings are copied for them.
static fed_status
copy_tls(web_backend *be, const fed_tls_opts *tls)
{
	if (tls == NULL)
		return FED_OK;
	const char *src[4]
	    = {tls->cert_file, tls->key_file, tls->ca_file, tls->server_name};
	for (size_t i = 0; i < 4; i++)
		if (src[i] != NULL
		    && (be->tls_files[i] = strdup(src[i])) == NULL)
			return FED_RESOURCE_EXHAUSTED;
	be->tls = (fed_tls_opts) {be->tls_files[0], be->tls_files[1],
	    be->tls_files[2], be->tls_files[3]};
	return FED_OK;
}

// Checks url (of option `what`) with the TLS settings, and warns when the
// tokens sent there would travel in clear.
static fed_status
check_url(const web_backend *be, const char *what, const char *url, char *err,
    size_t err_len)
{
	char why[512];
	if (fed_transport_check(url, &be->tls, why, sizeof(why)) != FED_OK) {
		snprintf(err, err_len, "%s: %s%s", what, why,
		    fed_transport_is_tls(url)
		        ? " (--tls-cert, --tls-key and --tls-ca)"
		        : "");
		return FED_INVALID_ARGUMENT;
	}
	fed_transport_warn_clear(url, "web");
	return FED_OK;
}

static fed_status
client(const web_backend *be, const char *url, const char *token,
    fed_rpc_client **out)
{
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = url;
	o.tls = &be->tls;
	o.token = token;
	o.timeout_ms = be->timeout_ms;
	// A node or fed-invest down costs a page one timeout, then pages
	// fail at once until it is back, rather than each waiting.
	o.down_ms = 30000;
	return fed_rpc_client_new(&o, out);
}

static fed_status
add_node(web_backend *be, const char *item, char *err, size_t err_len)
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
	if (web_backend_node_index(be, n->name) >= 0) {
		snprintf(err, err_len, "nodes: '%s' appears twice", n->name);
		return FED_INVALID_ARGUMENT;
	}
	FED_TRY(check_url(be, "nodes", eq + 1, err, err_len));
	n->url = strdup(eq + 1);
	if (n->url == NULL)
		return FED_RESOURCE_EXHAUSTED;
	be->n_nodes++;
	return FED_OK;
}

static fed_status
add_nodes(web_backend *be, const char *nodes, char *err, size_t err_len)
{
	char *copy = strdup(nodes ? nodes : "");
	if (copy == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_status st = FED_OK;
	char *save = NULL;
	for (char *p = strtok_r(copy, ",", &save); p && st == FED_OK;
	     p = strtok_r(NULL, ",", &save))
		st = add_node(be, p, err, err_len);
	free(copy);
	return st;
}

static fed_status
add_directory(
    web_backend *be, const web_backend_opts *o, char *err, size_t err_len)
{
	if (o->directory_url == NULL || o->directory_url[0] == '\0')
		return FED_OK;
	FED_TRY(check_url(be, "directory", o->directory_url, err, err_len));
	fed_status st
	    = client(be, o->directory_url, o->directory_token, &be->directory);
	if (st != FED_OK)
		snprintf(err, err_len,
		    "directory: cannot dial '%s' (address, or TLS files "
		    "that cannot be read)",
		    o->directory_url);
	return st;
}

fed_status
web_backend_new(
    const web_backend_opts *o, web_backend **out, char *err, size_t err_len)
{
	web_backend *be = calloc(1, sizeof(*be));
	if (be == NULL)
		return FED_RESOURCE_EXHAUSTED;
	pthread_mutex_init(&be->mu, NULL);
	be->timeout_ms = o->timeout_ms;
	be->invest_url = strdup(o->invest_url);
	fed_status st
	    = be->invest_url ? copy_tls(be, o->tls) : FED_RESOURCE_EXHAUSTED;
	if (st == FED_OK)
		st = check_url(be, "invest", o->invest_url, err, err_len);
	if (st == FED_OK
	    && (st = client(be, o->invest_url, o->invest_token, &be->invest))
	        != FED_OK)
		snprintf(err, err_len,
		    "invest: cannot dial '%s' (address, or TLS files that "
		    "cannot be read)",
		    o->invest_url);
	if (st == FED_OK)
		st = add_nodes(be, o->nodes, err, err_len);
	if (st == FED_OK)
		st = add_directory(be, o, err, err_len);
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
	fed_rpc_client_free(be->directory);
	for (size_t i = 0; i < be->n_nodes; i++)
		free(be->nodes[i].url);
	for (size_t i = 0; i < be->n_clients; i++)
		fed_rpc_client_free(be->clients[i].client);
	pthread_mutex_destroy(&be->mu);
	free(be->invest_url);
	for (size_t i = 0; i < 4; i++)
		free(be->tls_files[i]);
	free(be);
}

static const char *
target_url(const web_backend *be, int target)
{
	return target == INVEST ? be->invest_url : be->nodes[target].url;
}

// The client of (target, token): kept in the table, or *temp (freed by
// the caller) when the table is full.
static fed_status
keyed_client(web_backend *be, int target, const char *token,
    fed_rpc_client **c, fed_rpc_client **temp)
{
	char h[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(token, h);
	fed_status st = FED_OK;
	pthread_mutex_lock(&be->mu);
	for (size_t i = 0; i < be->n_clients && *c == NULL; i++)
		if (be->clients[i].target == target
		    && strcmp(be->clients[i].token_hash, h) == 0)
			*c = be->clients[i].client;
	if (*c == NULL) {
		st = client(be, target_url(be, target), token, c);
		if (st == FED_OK && be->n_clients < WEB_BACKEND_MAX_CLIENTS) {
			struct keyed *k = &be->clients[be->n_clients++];
			k->target = target;
			memcpy(k->token_hash, h, sizeof(h));
			k->client = *c;
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
		FED_TRY(keyed_client(be, INVEST, token, &c, &temp));
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

int
web_backend_node_index(const web_backend *be, const char *name)
{
	for (size_t i = 0; name != NULL && i < be->n_nodes; i++)
		if (strcmp(be->nodes[i].name, name) == 0)
			return (int) i;
	return -1;
}

fed_status
web_backend_node(web_backend *be, size_t i, const char *token,
    const ProtobufCServiceDescriptor *svc, const char *method,
    const ProtobufCMessage *req, ProtobufCMessage **reply, char *err,
    size_t err_len)
{
	if (i >= be->n_nodes) {
		snprintf(err, err_len, "no such node");
		return FED_NOT_FOUND;
	}
	if (token == NULL || token[0] == '\0') {
		snprintf(err, err_len, "no credential for node %s",
		    be->nodes[i].name);
		return FED_PERMISSION_DENIED;
	}
	fed_rpc_client *c = NULL, *temp = NULL;
	FED_TRY(keyed_client(be, (int) i, token, &c, &temp));
	fed_status st = fed_rpc_call(c, svc, method, req, reply, err, err_len);
	fed_rpc_client_free(temp);
	return st;
}

int
web_backend_has_directory(const web_backend *be)
{
	return be->directory != NULL;
}

fed_status
web_backend_directory(web_backend *be, const char *method,
    const ProtobufCMessage *req, ProtobufCMessage **reply, char *err,
    size_t err_len)
{
	if (be->directory == NULL) {
		snprintf(err, err_len, "no directory configured");
		return FED_UNAVAILABLE;
	}
	return fed_rpc_call(be->directory, &enfed__v1__directory__descriptor,
	    method, req, reply, err, err_len);
}
