// SPDX-License-Identifier: MIT
//
// node_alarm_rpc.c: AlarmService handlers. The engine validates rules and
// names the offending field; the policy (node_policy.h) decided who may
// call and which rules and alarms each caller sees; this layer moves store
// results into the replies.

#include "node_alarm_rpc.h"

#include <stdlib.h>
#include <string.h>

#include "fed/log.h"
#include "node_policy.h"
#include "node_reply.h"

static fed_status
fail(fed_rpc_ctx *call, fed_status st, const node_store_err *err)
{
	return fed_rpc_ctx_error(call, st, "%s",
	    err->msg[0] != '\0' ? err->msg : fed_status_str(st));
}

static int
starts_with(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static void
free_msg(void *p)
{
	protobuf_c_message_free_unpacked(p, NULL);
}

static fed_status
create_rule(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	node_alarm_rpc *n = arg;
	const Enfed__V1__CreateAlarmRuleRequest *req = (const void *) in;
	if (req->rule == NULL)
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "rule: missing");
	Enfed__V1__AlarmRule *r = NULL;
	node_store_err err = {{0}};
	fed_status st
	    = node_alarms_rule_create(n->alarms, req->rule, &r, &err);
	if (st != FED_OK)
		return fail(call, st, &err);
	ProtobufCMessage base = *out;
	*(Enfed__V1__AlarmRule *) out = *r;
	*out = base;
	// The reply borrows r's fields: r is freed once the reply is packed.
	return fed_rpc_ctx_defer(call, free_msg, r);
}

struct rule_list {
	fed_rpc_ctx *call;
	const char *prefix;
	Enfed__V1__ListAlarmRulesResponse *rep;
	size_t cap;
	fed_status st;
};

// A rule's hook is the operator's (its arguments may hold a webhook's
// secret URL): the admin alone sees it; c (a shallow copy) loses it.
static void
hide_hook(const fed_rpc_ctx *call, Enfed__V1__AlarmRule *c)
{
	if (node_policy_is_admin(call))
		return;
	c->hook_argv = NULL;
	c->n_hook_argv = 0;
	c->hook_timeout_ms = 0;
}

static fed_status
add_rule(const Enfed__V1__AlarmRule *r, void *arg)
{
	struct rule_list *l = arg;
	if (!starts_with(r->series, l->prefix)
	    || !node_policy_sees_alarms(l->call, r->series))
		return FED_OK;
	if (l->rep->n_rules == l->cap
	    && (l->rep->rules = node_reply_grow(
	            l->call, l->rep->rules, l->rep->n_rules, &l->cap))
	        == NULL)
		return FED_RESOURCE_EXHAUSTED;
	// The hook is hidden in a shallow copy before the deep one, so that
	// nothing the copy allocated is dropped unfreed.
	Enfed__V1__AlarmRule shown = *r;
	hide_hook(l->call, &shown);
	Enfed__V1__AlarmRule *c = node_reply_copy(l->call, &shown.base);
	if (c == NULL)
		return FED_RESOURCE_EXHAUSTED;
	l->rep->rules[l->rep->n_rules++] = c;
	return FED_OK;
}

static fed_status
list_rules(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	node_alarm_rpc *n = arg;
	const Enfed__V1__ListAlarmRulesRequest *req = (const void *) in;
	struct rule_list l = {call, req->prefix, (void *) out, 0, FED_OK};
	node_store_err err = {{0}};
	fed_status st
	    = node_store_alarm_rule_list(n->store, add_rule, &l, &err);
	return st == FED_OK ? FED_OK : fail(call, st, &err);
}

static fed_status
delete_rule(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	node_alarm_rpc *n = arg;
	const Enfed__V1__DeleteAlarmRuleRequest *req = (const void *) in;
	Enfed__V1__DeleteAlarmRuleResponse *rep = (void *) out;
	node_store_err err = {{0}};
	fed_status st = node_alarms_rule_delete(
	    n->alarms, req->id, &rep->n_cleared, &err);
	return st == FED_OK ? FED_OK : fail(call, st, &err);
}

struct alarm_list {
	fed_rpc_ctx *call;
	Enfed__V1__ListAlarmsResponse *rep;
	size_t cap;
	size_t limit; // the caller's: the walk stops once it is reached
};

// Keeps a copy of alarm a when the caller may see its series;
// OUT_OF_RANGE once the list holds the caller's limit.
static fed_status
add_alarm(const Enfed__V1__Alarm *a, void *arg)
{
	struct alarm_list *l = arg;
	if (!node_policy_sees_alarms(l->call, a->series))
		return FED_OK;
	if (l->rep->n_alarms == l->limit)
		return FED_OUT_OF_RANGE;
	if (l->rep->n_alarms == l->cap
	    && (l->rep->alarms = node_reply_grow(
	            l->call, l->rep->alarms, l->rep->n_alarms, &l->cap))
	        == NULL)
		return FED_RESOURCE_EXHAUSTED;
	Enfed__V1__Alarm *c = node_reply_copy(l->call, &a->base);
	if (c == NULL)
		return FED_RESOURCE_EXHAUSTED;
	l->rep->alarms[l->rep->n_alarms++] = c;
	return FED_OK;
}

static fed_status
list_alarms(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	node_alarm_rpc *n = arg;
	Enfed__V1__ListAlarmsRequest f
	    = *(const Enfed__V1__ListAlarmsRequest *) in;
	if (f.limit > 10000)
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "limit: at most 10000, got %u", f.limit);
	// The store walks newest first past what the caller may not see;
	// add_alarm stops it at the caller's limit.
	struct alarm_list l
	    = {call, (void *) out, 0, f.limit != 0 ? f.limit : 100};
	f.limit = 0x7fffffff;
	node_store_err err = {{0}};
	fed_status st
	    = node_store_alarm_list(n->store, &f, add_alarm, &l, &err);
	return st == FED_OK || st == FED_OUT_OF_RANGE ? FED_OK
	                                              : fail(call, st, &err);
}

static fed_status
acknowledge(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	node_alarm_rpc *n = arg;
	const Enfed__V1__AcknowledgeAlarmRequest *req = (const void *) in;
	node_store_err err = {{0}};
	Enfed__V1__Alarm *a = NULL;
	fed_status st = node_alarms_ack(
	    n->alarms, req->id, node_policy_caller(call), &a, &err);
	if (st != FED_OK)
		return fail(call, st, &err);
	ProtobufCMessage base = *out;
	*(Enfed__V1__Alarm *) out = *a;
	*out = base;
	return fed_rpc_ctx_defer(call, free_msg, a);
}

fed_status
node_alarm_rpc_register(fed_rpc_server *srv, node_alarm_rpc *n)
{
	static const fed_rpc_method methods[] = {
	    {"CreateRule", create_rule},
	    {"ListRules", list_rules},
	    {"DeleteRule", delete_rule},
	    {"ListAlarms", list_alarms},
	    {"Acknowledge", acknowledge},
	};
	return fed_rpc_server_add_service(srv,
	    &enfed__v1__alarm_service__descriptor, methods,
	    sizeof(methods) / sizeof(methods[0]), n);
}
