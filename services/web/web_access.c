// SPDX-License-Identifier: MIT
//
// web_access.c: the session's view of the nodes, through the user's own
// credentials.
//
// Why PERMISSION_DENIED and NOT_FOUND are one answer here: a node refuses
// a series outside a token's prefixes with PERMISSION_DENIED and answers
// NOT_FOUND for one it does not hold; passing the difference on would tell
// a curious user which ids exist on the node.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enfed/v1/grant.pb-c.h"
#include "fed/log.h"
#include "web_access.h"

static int
cred_node(const web_backend *be, const web_cred *c)
{
	return web_backend_node_index(be, c->node);
}

// Tries GetSeries of id with each of the session's credentials for node.
static fed_status
find_on(web_backend *be, const web_session *s, size_t node, const char *id,
    web_where *w, Enfed__V1__SeriesInfo **info)
{
	fed_status worst = FED_NOT_FOUND;
	for (size_t k = 0; k < s->n_creds; k++) {
		const web_cred *c = &s->creds[k];
		if (cred_node(be, c) != (int) node)
			continue;
		Enfed__V1__GetSeriesRequest g
		    = ENFED__V1__GET_SERIES_REQUEST__INIT;
		g.id = (char *) id;
		char e[256];
		fed_status st = web_backend_node(be, node, c->token,
		    &enfed__v1__series_store__descriptor, "GetSeries", &g.base,
		    (ProtobufCMessage **) info, e, sizeof(e));
		if (st == FED_OK) {
			w->node = node;
			w->cred = c;
			return FED_OK;
		}
		if (st == FED_UNAUTHENTICATED)
			fed_log(FED_LOG_WARNING, "web",
			    "user %s: node %s does not know its token",
			    s->user, c->node);
		if (st == FED_UNAVAILABLE || st == FED_DEADLINE_EXCEEDED)
			worst = FED_UNAVAILABLE;
	}
	return worst;
}

fed_status
web_access_find(web_backend *be, const web_session *s, const char *id,
    web_where *w, Enfed__V1__SeriesInfo **info, char *err, size_t err_len)
{
	fed_status worst = FED_NOT_FOUND;
	*info = NULL;
	for (size_t n = 0; n < web_backend_n_nodes(be); n++) {
		fed_status st = find_on(be, s, n, id, w, info);
		if (st == FED_OK)
			return FED_OK;
		if (st == FED_UNAVAILABLE) {
			worst = FED_UNAVAILABLE;
			snprintf(err, err_len, "node '%s' is unreachable",
			    web_backend_node_name(be, n));
		}
	}
	if (worst == FED_NOT_FOUND)
		snprintf(err, err_len, "no series '%s' among those %s may see",
		    id, s->user);
	return worst;
}

fed_status
web_access_find_at(web_backend *be, const web_session *s, const char *node,
    const char *id, web_where *w, Enfed__V1__SeriesInfo **info)
{
	*info = NULL;
	int n = node != NULL ? web_backend_node_index(be, node) : -1;
	if (n < 0)
		return FED_NOT_FOUND;
	fed_status st = find_on(be, s, (size_t) n, id, w, info);
	return st == FED_OK || st == FED_UNAVAILABLE ? st : FED_NOT_FOUND;
}

fed_status
web_access_store(web_backend *be, const web_where *w, const char *method,
    const ProtobufCMessage *req, ProtobufCMessage **reply, char *err,
    size_t err_len)
{
	return web_backend_node(be, w->node, w->cred->token,
	    &enfed__v1__series_store__descriptor, method, req, reply, err,
	    err_len);
}

// 1 when id is in one of the n earlier lists.
static int
listed_before(
    Enfed__V1__ListSeriesResponse *const *r, size_t n, const char *id)
{
	for (size_t j = 0; j < n; j++)
		for (size_t i = 0; r[j] != NULL && i < r[j]->n_series; i++)
			if (strcmp(r[j]->series[i]->meta->id, id) == 0)
				return 1;
	return 0;
}

// Pages of ListSeries followed for one credential, at most (x 500).
#define WEB_LIST_MAX_PAGES 100

// Moves the series of page into acc (both heap ListSeries answers) and
// takes its next page token; page is freed.
static fed_status
merge_page(
    Enfed__V1__ListSeriesResponse *acc, Enfed__V1__ListSeriesResponse *page)
{
	size_t n = acc->n_series + page->n_series;
	Enfed__V1__SeriesInfo **s
	    = realloc(acc->series, (n ? n : 1) * sizeof(*s));
	if (s == NULL) {
		enfed__v1__list_series_response__free_unpacked(page, NULL);
		return FED_RESOURCE_EXHAUSTED;
	}
	memcpy(s + acc->n_series, page->series, page->n_series * sizeof(*s));
	acc->series = s;
	acc->n_series = n;
	page->n_series = 0;
	free(acc->next_page_token);
	acc->next_page_token = page->next_page_token;
	page->next_page_token = NULL;
	enfed__v1__list_series_response__free_unpacked(page, NULL);
	return FED_OK;
}

// The pages of ListSeries on node with token, merged into *out (heap),
// until they hold `max` series or none follows.
static fed_status
list_pages(web_backend *be, size_t node, const char *token, size_t max,
    Enfed__V1__ListSeriesResponse **out, char *e, size_t e_len)
{
	Enfed__V1__ListSeriesRequest rq = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	*out = NULL;
	FED_TRY(web_backend_node(be, node, token,
	    &enfed__v1__series_store__descriptor, "ListSeries", &rq.base,
	    (ProtobufCMessage **) out, e, e_len));
	for (int i = 1; i < WEB_LIST_MAX_PAGES && (*out)->n_series < max
	     && (*out)->next_page_token[0] != '\0';
	     i++) {
		Enfed__V1__ListSeriesResponse *page = NULL;
		rq.page_token = (*out)->next_page_token;
		fed_status st = web_backend_node(be, node, token,
		    &enfed__v1__series_store__descriptor, "ListSeries",
		    &rq.base, (ProtobufCMessage **) &page, e, e_len);
		if (st == FED_OK)
			st = merge_page(*out, page);
		if (st != FED_OK) {
			enfed__v1__list_series_response__free_unpacked(
			    *out, NULL);
			*out = NULL;
			return st;
		}
	}
	return FED_OK;
}

// The lists of node `node` under each of the session's credentials for it.
static size_t
list_node(web_backend *be, const web_session *s, size_t node, size_t max,
    Enfed__V1__ListSeriesResponse **r, size_t *n_failed)
{
	size_t n = 0;
	for (size_t k = 0; k < s->n_creds; k++) {
		const web_cred *c = &s->creds[k];
		if (cred_node(be, c) != (int) node)
			continue;
		char e[256] = "";
		fed_status st
		    = list_pages(be, node, c->token, max, &r[n], e, sizeof(e));
		if (st == FED_OK) {
			n++;
			continue;
		}
		fed_log(FED_LOG_NOTICE, "web", "user %s: node %s: %s", s->user,
		    c->node, e);
		if (n_failed != NULL
		    && (st == FED_UNAVAILABLE || st == FED_DEADLINE_EXCEEDED))
			(*n_failed)++;
	}
	return n;
}

void
web_access_list(web_backend *be, const web_session *s, web_access_series_fn fn,
    void *arg, size_t max, size_t *n_failed)
{
	size_t given = 0;
	for (size_t node = 0; node < web_backend_n_nodes(be); node++) {
		Enfed__V1__ListSeriesResponse *r[WEB_MAX_CREDS];
		size_t n = list_node(be, s, node, max, r, n_failed);
		for (size_t j = 0; j < n; j++) {
			for (size_t i = 0; i < r[j]->n_series && given < max;
			     i++) {
				const Enfed__V1__SeriesInfo *info
				    = r[j]->series[i];
				if (info->meta == NULL
				    || listed_before(r, j, info->meta->id))
					continue;
				fn(arg, node, info);
				given++;
			}
		}
		for (size_t j = 0; j < n; j++)
			enfed__v1__list_series_response__free_unpacked(
			    r[j], NULL);
	}
}

size_t
web_access_owners(
    const web_backend *be, const web_session *s, web_where *out, size_t max)
{
	size_t n = 0;
	for (size_t k = 0; k < s->n_creds; k++) {
		int node = cred_node(be, &s->creds[k]);
		if (!s->creds[k].owner || node < 0)
			continue;
		if (n < max) {
			out[n].node = (size_t) node;
			out[n].cred = &s->creds[k];
		}
		n++;
	}
	return n;
}

fed_status
web_access_grants(web_backend *be, const web_where *w, const char *method,
    const ProtobufCMessage *req, ProtobufCMessage **reply, char *err,
    size_t err_len)
{
	return web_backend_node(be, w->node, w->cred->token,
	    &enfed__v1__grants__descriptor, method, req, reply, err, err_len);
}
