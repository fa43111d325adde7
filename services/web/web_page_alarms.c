// SPDX-License-Identifier: MIT
//
// web_page_alarms.c: the alarms of the series a user may see, active and
// past (/alarms), and their acknowledgement by those allowed to (POST
// /alarms, action=ack).
//
// Every call is made with the user's own node tokens (web_auth.h): the
// node's AlarmService/ListAlarms keeps only the alarms of series the
// token may read, so the page shows nothing the user could not see on
// the node itself. Whether a token may acknowledge is the node's call
// too: the page asks it with an acknowledgement of alarm 0, which does
// not exist (a writer's or an administrator's token gets NOT_FOUND, any
// other PERMISSION_DENIED), and shows the button only for the alarms
// listed by a token that passed. A refusal of the real acknowledgement
// (the series is outside the writer's prefixes) is shown as such.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enfed/v1/alarm.pb-c.h"
#include "web_pages_internal.h"

#define MAX_ALARMS 200 // per credential, and on the page

struct row {
	size_t node;
	const web_cred *cred; // the credential that listed it
	int may_ack; // that credential passed the node's check
	const Enfed__V1__Alarm *a; // borrowed from a list
};

struct alarms {
	Enfed__V1__ListAlarmsResponse *lists[WEB_MAX_CREDS];
	struct row rows[MAX_ALARMS];
	size_t n, failed;
};

static void
alarms_fini(struct alarms *k)
{
	for (size_t i = 0; i < WEB_MAX_CREDS; i++)
		if (k->lists[i] != NULL)
			enfed__v1__list_alarms_response__free_unpacked(
			    k->lists[i], NULL);
	memset(k, 0, sizeof(*k));
}

static fed_status
alarm_call(web_ctx *c, size_t node, const web_cred *cred, const char *method,
    const ProtobufCMessage *req, ProtobufCMessage **reply, char *err,
    size_t len)
{
	return web_backend_node(c->app->o.backend, node, cred->token,
	    &enfed__v1__alarm_service__descriptor, method, req, reply, err,
	    len);
}

// 1 when the node lets cred acknowledge alarms (see the top).
static int
may_ack(web_ctx *c, size_t node, const web_cred *cred)
{
	Enfed__V1__AcknowledgeAlarmRequest q
	    = ENFED__V1__ACKNOWLEDGE_ALARM_REQUEST__INIT;
	q.id = 0;
	ProtobufCMessage *rep = NULL;
	char err[256];
	fed_status st = alarm_call(
	    c, node, cred, "Acknowledge", &q.base, &rep, err, sizeof(err));
	if (rep != NULL)
		protobuf_c_message_free_unpacked(rep, NULL);
	return st == FED_NOT_FOUND;
}

static struct row *
find_row(struct alarms *k, size_t node, uint64_t id)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->rows[i].node == node && k->rows[i].a->id == id)
			return &k->rows[i];
	return NULL;
}

// Lists the alarms of each of the session's credentials; an alarm shown
// by two credentials of one node comes once, with the one that may
// acknowledge it when there is one.
static void
alarms_load(web_ctx *c, struct alarms *k)
{
	web_backend *be = c->app->o.backend;
	for (size_t i = 0; i < c->session.n_creds && i < WEB_MAX_CREDS; i++) {
		const web_cred *cred = &c->session.creds[i];
		int node = web_backend_node_index(be, cred->node);
		if (node < 0)
			continue;
		Enfed__V1__ListAlarmsRequest q
		    = ENFED__V1__LIST_ALARMS_REQUEST__INIT;
		q.limit = MAX_ALARMS;
		char err[256];
		fed_status st
		    = alarm_call(c, (size_t) node, cred, "ListAlarms", &q.base,
		        (ProtobufCMessage **) &k->lists[i], err, sizeof(err));
		if (st != FED_OK) {
			k->failed++;
			continue;
		}
		Enfed__V1__ListAlarmsResponse *l = k->lists[i];
		int ack = l->n_alarms > 0 && may_ack(c, (size_t) node, cred);
		for (size_t j = 0; j < l->n_alarms; j++) {
			struct row *r
			    = find_row(k, (size_t) node, l->alarms[j]->id);
			if (r != NULL) {
				if (ack && !r->may_ack) {
					r->cred = cred;
					r->may_ack = 1;
				}
				continue;
			}
			if (k->n == MAX_ALARMS)
				break;
			k->rows[k->n++] = (struct row) {
			    (size_t) node, cred, ack, l->alarms[j]};
		}
	}
}

// Newest raise first.
static int
by_raise(const void *x, const void *y)
{
	const struct row *a = x, *b = y;
	return a->a->raised_at_ms < b->a->raised_at_ms ? 1
	    : a->a->raised_at_ms > b->a->raised_at_ms  ? -1
	                                               : 0;
}

static web_str
type_label(Enfed__V1__AlarmRuleType t)
{
	switch (t) {
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_STALE:
		return WEB_S_ALARM_STALE;
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_DAYLIGHT:
		return WEB_S_ALARM_DAYLIGHT;
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_SIBLING:
		return WEB_S_ALARM_SIBLING;
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_DAILY:
		return WEB_S_ALARM_DAILY;
	default:
		return WEB_S_ALARM_THRESHOLD;
	}
}

static void
put_when(web_ctx *c, int64_t ms)
{
	char t[WEB_FMT_LEN];
	web_fmt_datetime(t, sizeof(t), c->lang, c->app->o.tz, ms);
	web_buf_html(c->b, t);
}

// The acknowledgement cell: who and when, the button, or "not yet".
static void
ack_cell(web_ctx *c, const struct row *r)
{
	const Enfed__V1__Alarm *a = r->a;
	web_buf_printf(c->b, "<td class=\"ack\" data-label=\"%s\">",
	    web_tr(c->lang, WEB_S_ACKED));
	if (a->acked_ms != 0) {
		web_buf_printf(c->b, "%s ", web_tr(c->lang, WEB_S_ACKED));
		put_when(c, a->acked_ms);
		web_buf_printf(c->b, " %s ", web_tr(c->lang, WEB_S_BY));
		web_buf_html(c->b, a->acked_by);
	} else if (r->may_ack) {
		web_buf_put(c->b, "<form method=\"post\" action=\"");
		web_put_href(c, "/alarms");
		web_buf_put(c->b, "\" class=\"ack\">");
		web_put_csrf(c);
		web_buf_put(
		    c->b, "<input type=\"hidden\" name=\"node\" value=\"");
		web_buf_html(
		    c->b, web_backend_node_name(c->app->o.backend, r->node));
		web_buf_printf(c->b,
		    "\"><input type=\"hidden\" name=\"id\" value=\"%llu\">"
		    "<button name=\"action\" value=\"ack\">%s</button></form>",
		    (unsigned long long) a->id, web_tr(c->lang, WEB_S_ACK));
	} else {
		web_buf_html(c->b, web_tr(c->lang, WEB_S_NOT_ACKED));
	}
	web_buf_put(c->b, "</td>");
}

static void
alarm_row(web_ctx *c, const struct row *r)
{
	const Enfed__V1__Alarm *a = r->a;
	char v[WEB_FMT_LEN];
	web_buf_printf(c->b, "<tr data-alarm=\"%llu\" data-node=\"",
	    (unsigned long long) a->id);
	web_buf_html(c->b, web_backend_node_name(c->app->o.backend, r->node));
	web_buf_printf(c->b, "\"><td class=\"series\" data-label=\"%s\">",
	    web_tr(c->lang, WEB_S_SERIES));
	web_buf_html(c->b, a->series);
	web_buf_put(c->b, " <small>(");
	web_buf_html(c->b, web_backend_node_name(c->app->o.backend, r->node));
	web_buf_printf(c->b,
	    ")</small></td><td class=\"what\" data-label=\"%s\">%s",
	    web_tr(c->lang, WEB_S_WHAT), web_tr(c->lang, type_label(a->type)));
	// The node's sentence is English, as the node wrote it.
	if (a->message && a->message[0]) {
		web_buf_put(c->b, "<br><small lang=\"en\">");
		web_buf_html(c->b, a->message);
		web_buf_put(c->b, "</small>");
	}
	web_buf_printf(c->b, "</td><td class=\"raised\" data-label=\"%s\">",
	    web_tr(c->lang, WEB_S_RAISED));
	put_when(c, a->raised_at_ms);
	web_fmt_num(v, sizeof(v), c->lang, a->value, 1);
	web_buf_printf(c->b,
	    "</td><td class=\"value\" data-label=\"%s\">%s</td>",
	    web_tr(c->lang, WEB_S_VALUE), v);
	if (a->cleared_ms != 0) {
		web_buf_printf(c->b,
		    "<td class=\"cleared\" data-label=\"%s\">",
		    web_tr(c->lang, WEB_S_ENDED));
		put_when(c, a->cleared_ms);
		web_buf_put(c->b, "</td>");
	}
	ack_cell(c, r);
	web_buf_put(c->b, "</tr>");
}

static void
alarm_table(web_ctx *c, const struct alarms *k, int active)
{
	web_buf_printf(c->b, "<h2>%s</h2>",
	    web_tr(c->lang, active ? WEB_S_ACTIVE_ALARMS : WEB_S_PAST_ALARMS));
	size_t n = 0;
	for (size_t i = 0; i < k->n; i++)
		n += (k->rows[i].a->cleared_ms == 0) == active;
	if (n == 0) {
		web_buf_printf(c->b, "<p class=\"none\">%s</p>",
		    web_tr(c->lang, WEB_S_NO_ALARM));
		return;
	}
	web_buf_printf(c->b,
	    "<table class=\"alarms %s "
	    "cards\"><thead><tr><th>%s</th><th>%s</th>"
	    "<th>%s</th><th>%s</th>",
	    active ? "active" : "past", web_tr(c->lang, WEB_S_SERIES),
	    web_tr(c->lang, WEB_S_WHAT), web_tr(c->lang, WEB_S_RAISED),
	    web_tr(c->lang, WEB_S_VALUE));
	if (!active)
		web_buf_printf(
		    c->b, "<th>%s</th>", web_tr(c->lang, WEB_S_ENDED));
	web_buf_printf(c->b, "<th>%s</th></tr></thead><tbody>",
	    web_tr(c->lang, WEB_S_ACKED));
	for (size_t i = 0; i < k->n; i++)
		if ((k->rows[i].a->cleared_ms == 0) == active)
			alarm_row(c, &k->rows[i]);
	web_buf_put(c->b, "</tbody></table>");
}

static void
alarms_page(web_ctx *c, const char *error)
{
	struct alarms k;
	memset(&k, 0, sizeof(k));
	alarms_load(c, &k);
	qsort(k.rows, k.n, sizeof(k.rows[0]), by_raise);
	web_page_begin(c, WEB_S_ALARMS, NULL);
	web_buf_printf(c->b, "<p>%s</p>", web_tr(c->lang, WEB_S_ALARMS_INTRO));
	if (web_params_get(&c->req->query, "acked"))
		web_buf_printf(c->b, "<p class=\"ok\" role=\"status\">%s</p>",
		    web_tr(c->lang, WEB_S_ACKED_OK));
	web_put_error(c, error);
	if (k.failed > 0)
		web_put_error(c, web_tr(c->lang, WEB_S_SOME_NODES_DOWN));
	alarm_table(c, &k, 1);
	alarm_table(c, &k, 0);
	web_page_end(c);
	alarms_fini(&k);
}

// Acknowledges alarm id on node with the first of the session's
// credentials for that node that the node accepts; never with any other
// token. OK, PERMISSION_DENIED when none is accepted, or the node's
// failure (its message in err).
static fed_status
acknowledge(web_ctx *c, size_t node, uint64_t id, char *err, size_t len)
{
	fed_status worst = FED_PERMISSION_DENIED;
	const char *name = web_backend_node_name(c->app->o.backend, node);
	for (size_t i = 0; i < c->session.n_creds; i++) {
		const web_cred *cred = &c->session.creds[i];
		if (strcmp(cred->node, name) != 0)
			continue;
		Enfed__V1__AcknowledgeAlarmRequest q
		    = ENFED__V1__ACKNOWLEDGE_ALARM_REQUEST__INIT;
		q.id = id;
		ProtobufCMessage *rep = NULL;
		fed_status st = alarm_call(
		    c, node, cred, "Acknowledge", &q.base, &rep, err, len);
		if (rep != NULL)
			protobuf_c_message_free_unpacked(rep, NULL);
		if (st == FED_OK)
			return FED_OK;
		// Refused or not shown to this token: the next may do.
		if (st != FED_PERMISSION_DENIED && st != FED_NOT_FOUND
		    && st != FED_UNAUTHENTICATED)
			worst = st;
	}
	return worst;
}

static void
alarms_post(web_ctx *c)
{
	const char *action = web_arg(c, "action");
	const char *node_name = web_arg(c, "node");
	int64_t id = 0;
	if (action == NULL || strcmp(action, "ack") != 0) {
		web_page_error(c, 400, web_tr(c->lang, WEB_S_BAD_ACTION));
		return;
	}
	int node = web_is_ident(node_name, 63, 0, 0)
	    ? web_backend_node_index(c->app->o.backend, node_name)
	    : -1;
	if (node < 0) {
		web_page_error(c, 400, web_tr(c->lang, WEB_S_BAD_NODE));
		return;
	}
	if (web_parse_int(web_arg(c, "id"), 1, INT64_MAX, &id) != FED_OK) {
		web_page_error(c, 400, web_tr(c->lang, WEB_S_BAD_ALARM));
		return;
	}
	char err[256] = "";
	fed_status st
	    = acknowledge(c, (size_t) node, (uint64_t) id, err, sizeof(err));
	if (st == FED_PERMISSION_DENIED) {
		c->res->status = 403;
		alarms_page(c, web_tr(c->lang, WEB_S_ACK_REFUSED));
	} else if (st != FED_OK) {
		web_page_rpc_error(c, st, err);
	} else {
		c->res->status = 303;
		snprintf(c->res->location, sizeof(c->res->location),
		    "/alarms?acked=1%s",
		    c->lang == WEB_LANG_EN ? "&lang=en" : "");
		web_buf_fini(c->b);
	}
}

void
web_page_alarms(web_ctx *c)
{
	if (strcmp(c->req->method, "POST") != 0) {
		alarms_page(c, NULL);
		return;
	}
	if (web_post_refused(c))
		return;
	alarms_post(c);
}
