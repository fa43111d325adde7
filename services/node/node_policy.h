// SPDX-License-Identifier: MIT
//
// node_policy.h: the one policy decision point of fed-node.
//
// Every call of every service fed-node serves is decided here, before its
// handler runs, in two steps that the RPC runtime takes for each request:
//
//   1. the auth hook (node_auth_check) turns the token into a principal and
//      asks node_policy_roles which roles may call the method at all;
//   2. the authorization hook (node_policy_authorize) finds the method's row
//      in the policy table, reads the series, grant or alarm that the
//      decoded request names, and decides for this principal: deny, allow,
//      or allow clipped (a grant's query narrowed to the whole buckets of
//      its step inside its data range). What it decided stays on the call
//      for the handler: the query to run (node_policy_query), which list
//      entries the caller may see (node_policy_sees_*), the metadata it may
//      see of a series (node_policy_clip_info).
//
// No handler decides access on its own; a method with no row in the table
// is refused at start-up (node_policy_check_server), so a new RPC cannot
// ship unchecked. docs/security.md is the table in prose; test_policy
// checks every method against every kind of principal.
//
// The decisions, by principal (a prefix list limits a reader, writer or
// owner to the series under it, in every method):
//   admin    everything;
//   reader   reads (Query at any step, Latest, GetSeries, ListSeries) and
//            lists alarms and rules;
//   writer   a reader that also ingests, creates series (limited to
//            prefixes: at most a quota of them) and acknowledges alarms;
//            it writes only this node's own series, not replicated ones;
//   owner    a household: reads its series and manages the grants on them
//            (Create, List, Revoke, Log); where a grant is pushed
//            (grantee_rpc_addr) is the admin's alone to set;
//   replica  ingests and creates the series whose origin is its own name,
//            under its prefixes if it has some, under no writer's or
//            owner's prefix, and new ones only in a site holding no
//            series of another origin (this node's own included);
//   grantee  (a grant's token) reads what its grant covers, within its data
//            range; a grant coarser than raw answers only whole buckets of
//            its step, completed, on the owner's calendar, no metadata finer
//            than that, and no Latest; every call is logged for the owner;
//   member   (a federation member's directory token) reads public series;
//   none     Health only.
// Alarm rules' hooks are listed to the admin only.
//
// Thread-safe: the table is constant; the lookups go through the store and
// the grants table, both thread-safe.

#ifndef NODE_POLICY_H
#define NODE_POLICY_H

#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "node_auth.h"
#include "node_grants.h"
#include "store.h"

typedef struct node_policy node_policy;

// A policy over store and grants (both borrowed; they must outlive it).
// RESOURCE_EXHAUSTED when out of memory.
fed_status node_policy_new(
    node_store *store, node_grants *grants, node_policy **out);

// The series quota of a token limited to prefixes, by default.
#define NODE_POLICY_MAX_SERIES_DEFAULT 1000

// Sets the series quota (0: none): a writer token limited to prefixes may
// create at most max_series_per_token series under them (the series that
// exist under its prefixes count, whoever created them); CreateSeries of a
// new series beyond is RESOURCE_EXHAUSTED naming the limit. An unlimited
// writer, the admin and replicas (whose series follow their origin's) have
// no quota. Call before the server starts.
void node_policy_set_max_series(
    node_policy *pol, uint64_t max_series_per_token);

// Frees the policy. NULL does nothing.
void node_policy_free(node_policy *pol);

// The roles (NODE_ROLE_BIT of each) that may call method, the full name
// ("/enfed.v1.SeriesStore/Query"); NODE_ROLE_BIT(NODE_ROLE_NONE) when no
// token is needed; 0 for a method the policy does not know.
unsigned node_policy_roles(const char *method);

// OK when every method of every service registered on srv has a row in
// the policy table; FAILED_PRECONDITION naming the first one that has
// none (in err). Called once before the server starts.
fed_status node_policy_check_server(
    const fed_rpc_server *srv, char *err, size_t err_len);

// The authorization hook (fed_rpc_authz_fn; arg is the node_policy): OK
// with the decision left on the call, or PERMISSION_DENIED (NOT_FOUND for
// a grant or alarm the caller may not see, as for one that does not
// exist), with a message that names nothing the caller may not see.
// INVALID_ARGUMENT when the request names no series where it must. A
// grantee's call is written to its grant's access log, refused or not.
fed_status node_policy_authorize(
    fed_rpc_ctx *call, const ProtobufCMessage *req, void *arg);

// Wires the policy into server options: the auth hook with auth (borrowed)
// and the authorization hook with pol (borrowed).
void node_policy_server_opts(
    fed_rpc_server_opts *ro, node_auth *auth, node_policy *pol);

// --- For the handlers, after node_policy_authorize allowed the call ---

// Query: the request to run (req, or a clipped copy of it in call memory);
// NULL when nothing of the request may be answered (no whole bucket inside
// the grant, or a call the policy did not decide): the handler answers
// every series with no points.
const Enfed__V1__QueryRequest *node_policy_query(
    const fed_rpc_ctx *call, const Enfed__V1__QueryRequest *req);

// Query: 1 when the answer must not carry index events (their timestamps
// and raw index values are finer than a coarse grant).
int node_policy_strip_events(const fed_rpc_ctx *call);

// 1 when the caller may see series m in a list (ListSeries).
int node_policy_sees_series(
    const fed_rpc_ctx *call, const Enfed__V1__SeriesMeta *m);

// 1 when the caller may see a grant on `pattern` (Grants/List, Log).
int node_policy_sees_grant(const fed_rpc_ctx *call, const char *pattern);

// 1 when the caller may see the alarms and rules of series `id`.
int node_policy_sees_alarms(const fed_rpc_ctx *call, const char *id);

// Clears in info what the caller may not see of a series it may read: for
// a grantee whose grant is coarse or limited to a data range, the point
// count, first and last points and sequence number (finer than, or
// outside, what it could Query).
void node_policy_clip_info(
    const fed_rpc_ctx *call, Enfed__V1__SeriesInfo *info);

// 1 when the caller is the node's administrator (what only the operator
// sees: alarm rules' hooks).
int node_policy_is_admin(const fed_rpc_ctx *call);

// The caller's principal: its name for logs and alarms' acknowledgements
// ("anonymous" without one).
const char *node_policy_caller(const fed_rpc_ctx *call);

#endif // NODE_POLICY_H
