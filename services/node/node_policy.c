// SPDX-License-Identifier: MIT
//
// node_policy.c: the policy table, one row per method of every service
// fed-node serves, and the decisions it leads to. A row names the roles
// that may call the method and a function that reads the request's targets
// (series, grant, alarm) and decides for the principal; what it allows on
// one series is said once, in may().

#include "node_policy.h"
#include <inttypes.h>
#include <stddef.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enfed/v1/alarm.pb-c.h"
#include "enfed/v1/grant.pb-c.h"
#include "fed/clock.h"
#include "fed/log.h"

struct node_policy {
	node_store *store;
	node_grants *grants;
	node_auth *auth; // local tokens' prefixes (set by _server_opts)
	uint64_t max_series_per_token; // 0: no quota
};

// What a principal wants to do with one series.
typedef enum access {
	ACCESS_READ, // query its points, read its metadata
	ACCESS_WRITE, // ingest, create it
	ACCESS_GRANT, // manage the grants on it (a series id or a prefix)
	ACCESS_ACK, // acknowledge its alarms
} access;

// What the hook leaves on the call for the handler.
typedef struct decision {
	node_policy *pol;
	const node_principal *who; // NULL: no token (Health)
	const Enfed__V1__QueryRequest *query; // Query: what to run
	int empty; // Query: nothing may be answered
	int strip_events; // Query: no index events
} decision;

typedef fed_status (*decide_fn)(
    fed_rpc_ctx *call, decision *d, const ProtobufCMessage *req);

typedef struct row {
	const char *method;
	unsigned roles;
	decide_fn decide;
} row;

#define R(x)          NODE_ROLE_BIT(NODE_ROLE_##x)
#define READERS       (R(READER) | R(WRITER) | R(OWNER) | R(ADMIN))
#define SERIES_READ   (READERS | R(GRANTEE) | R(MEMBER))
#define SERIES_WRITE  (R(WRITER) | R(ADMIN) | R(REPLICA))
#define GRANT_MANAGER (R(OWNER) | R(ADMIN))

static const char denied[] = "the token does not cover this";

static int
is(const decision *d, node_role role)
{
	return d->who != NULL && d->who->role == role;
}

static const node_grant *
grant_of(const decision *d)
{
	return is(d, NODE_ROLE_GRANTEE) ? (const node_grant *) d->who : NULL;
}

// The series' metadata; NULL when it does not exist (or cannot be read:
// either way the caller gets nothing of it).
static Enfed__V1__SeriesInfo *
info_of(node_policy *pol, const char *id)
{
	Enfed__V1__SeriesInfo *info = NULL;
	node_store_err err = {{0}};
	if (node_store_get(pol->store, id, &info, &err) != FED_OK)
		return NULL;
	return info;
}

static int
is_public(node_policy *pol, const char *id)
{
	Enfed__V1__SeriesInfo *info = info_of(pol, id);
	int pub = info != NULL
	    && info->meta->visibility
	        == ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC;
	node_store_info_free(info);
	return pub;
}

// The origin of series id: "" for this node's own, NULL when it does
// not exist (or cannot be read), else a copy in buf.
static const char *
origin_of(node_policy *pol, const char *id, char *buf, size_t len)
{
	Enfed__V1__SeriesInfo *info = info_of(pol, id);
	if (info == NULL)
		return NULL;
	snprintf(buf, len, "%s", info->meta->origin_node);
	node_store_info_free(info);
	return buf;
}

// How many series of a site are looked at for their origin: they all
// share one (site_is_others keeps it so), the first ones tell.
#define SITE_SAMPLE 8

// 1 when the site of id (its first path component, as the directory
// assigns sites to organisations) holds a series whose origin is not
// `origin` ("" = this node's own), or cannot be read: a replica cannot
// add a series beside this node's own, nor beside another origin's.
static int
site_is_others(node_policy *pol, const char *id, const char *origin)
{
	const char *slash = strchr(id, '/');
	char site[NODE_STORE_MAX_ID + 2], o[128];
	snprintf(site, sizeof(site), "%.*s",
	    (int) (slash != NULL ? slash - id + 1 : (ptrdiff_t) strlen(id)),
	    id);
	Enfed__V1__ListSeriesRequest f = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	f.prefix = site;
	char **ids = NULL;
	size_t n = 0;
	node_store_err err = {{0}};
	if (node_store_list_ids(pol->store, &f, &ids, &n, &err) != FED_OK)
		return 1;
	int others = 0;
	for (size_t i = 0; i < n && i < SITE_SAMPLE && !others; i++) {
		const char *got = origin_of(pol, ids[i], o, sizeof(o));
		others = got != NULL && strcmp(got, origin) != 0;
	}
	node_store_ids_free(ids, n);
	return others;
}

// A replica writes (creates, ingests) only series it replicates here:
// their origin is its name, they are under its prefixes when its tokens
// line gives some, under none of this node's own writers' and owners'
// prefixes, and a new one only in a site that holds no series of another
// origin (this node's own included). So a replica cannot squat an id
// this node's boards are to create, nor write into this node's series.
static int
replicates(node_policy *pol, const node_principal *p, const char *id)
{
	char o[128];
	if (!node_principal_covers(p, id)
	    || (pol->auth != NULL && node_auth_local_covers(pol->auth, id)))
		return 0;
	const char *origin = origin_of(pol, id, o, sizeof(o));
	if (origin != NULL)
		return strcmp(origin, p->name) == 0;
	return !site_is_others(pol, id, p->name);
}

// A local writer writes only this node's own series: a replicated one is
// its origin's (only its replica, or the admin, writes there).
static int
is_own(node_policy *pol, const char *id)
{
	char o[128];
	const char *origin = origin_of(pol, id, o, sizeof(o));
	return origin == NULL || origin[0] == '\0';
}

// The one rule of what a principal may do with series (or pattern) id.
static int
may(const decision *d, access a, const char *id)
{
	node_policy *pol = d->pol;
	const node_principal *p = d->who;
	if (p == NULL)
		return 0;
	int covered = node_principal_covers(p, id);
	switch (p->role) {
	case NODE_ROLE_ADMIN:
		return 1;
	case NODE_ROLE_READER:
		return a == ACCESS_READ && covered;
	case NODE_ROLE_WRITER:
		return a != ACCESS_GRANT && covered
		    && (a != ACCESS_WRITE || is_own(pol, id));
	case NODE_ROLE_OWNER:
		return (a == ACCESS_READ || a == ACCESS_GRANT) && covered;
	case NODE_ROLE_REPLICA:
		return a == ACCESS_WRITE && replicates(pol, p, id);
	case NODE_ROLE_GRANTEE:
		return a == ACCESS_READ
		    && node_grant_covers((const node_grant *) p, id);
	case NODE_ROLE_MEMBER:
		return a == ACCESS_READ && is_public(pol, id);
	default:
		return 0;
	}
}

static fed_status
need(fed_rpc_ctx *call, const decision *d, access a, const char *id)
{
	if (id == NULL || id[0] == '\0')
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "series: missing");
	return may(d, a, id)
	    ? FED_OK
	    : fed_rpc_ctx_error(call, FED_PERMISSION_DENIED, denied);
}

// ---- Coarse grants: whole buckets only
// --------------------------------------

// 1 when every bucket of step `coarse` is a union of buckets of `fine`, so
// that its aggregate says nothing finer: a month is made of days, but not
// of weeks.
static int
step_is_union(int fine, int coarse)
{
	if (coarse < fine)
		return 0;
	if (fine == ENFED__V1__STEP__STEP_WEEK)
		return coarse == ENFED__V1__STEP__STEP_WEEK;
	return coarse != ENFED__V1__STEP__STEP_WEEK
	    || fine <= ENFED__V1__STEP__STEP_DAY;
}

// The aggregates a coarse grant answers: totals and means of whole buckets
// (and point counts); not their first or last point, nor their extremes,
// each of which is one raw value.
static int
agg_is_whole(int agg)
{
	return agg == ENFED__V1__AGGREGATE__AGG_DEFAULT
	    || agg == ENFED__V1__AGGREGATE__AGG_SUM
	    || agg == ENFED__V1__AGGREGATE__AGG_MEAN
	    || agg == ENFED__V1__AGGREGATE__AGG_COUNT;
}

// The owner's calendar for ids: the zone of their series (the node's
// default when they name none), the same for all of them.
static fed_status
owner_zone(fed_rpc_ctx *call, node_policy *pol,
    const Enfed__V1__QueryRequest *q, const fed_tz **zone)
{
	char name[80] = "";
	for (size_t i = 0; i < q->n_series_ids; i++) {
		Enfed__V1__SeriesInfo *info = info_of(pol, q->series_ids[i]);
		const char *tz = info != NULL ? info->meta->tz : "";
		int differs = i > 0 && strcmp(name, tz) != 0;
		snprintf(name, sizeof(name), "%s", tz);
		node_store_info_free(info);
		if (differs)
			return fed_rpc_ctx_error(call, FED_PERMISSION_DENIED,
			    "series_ids: series of different time zones; "
			    "query them one at a time");
	}
	node_store_err err = {{0}};
	fed_status st = node_store_zone(pol->store, name, zone, &err);
	return st == FED_OK ? FED_OK
	                    : fed_rpc_ctx_error(call, st, "%s", err.msg);
}

// The first bucket start at or after t.
static int64_t
ceil_bucket(const fed_tz *zone, int64_t t, fed_tz_unit unit)
{
	int64_t f = fed_tz_floor(zone, t, unit);
	return f == t ? t : fed_tz_next(zone, f, unit);
}

// A copy of q in call memory over [from, to), at step and zone given.
static fed_status
clipped_copy(fed_rpc_ctx *call, decision *d, const Enfed__V1__QueryRequest *q,
    int64_t from, int64_t to, const char *tz)
{
	if (from >= to) {
		d->empty = 1;
		return FED_OK;
	}
	Enfed__V1__QueryRequest *c = fed_rpc_ctx_alloc(call, sizeof(*c));
	Enfed__V1__TimeRange *r = fed_rpc_ctx_alloc(call, sizeof(*r));
	char *zone = fed_rpc_ctx_strdup(call, tz);
	if (c == NULL || r == NULL || zone == NULL)
		return FED_RESOURCE_EXHAUSTED;
	*c = *q;
	enfed__v1__time_range__init(r);
	r->from_ms = from;
	r->to_ms = to;
	c->range = r;
	c->tz = zone;
	d->query = c;
	return FED_OK;
}

// A grantee's query, narrowed to what its grant allows: its data range;
// for a grant coarser than raw, the whole and completed buckets of the
// query's step (itself a union of the grant's) on the owner's calendar.
static fed_status
clip_grant_query(fed_rpc_ctx *call, decision *d, const node_grant *g,
    const Enfed__V1__QueryRequest *q)
{
	int64_t lo
	    = q->range->from_ms > g->from_ms ? q->range->from_ms : g->from_ms;
	int64_t hi = g->to_ms != 0 && g->to_ms < q->range->to_ms
	    ? g->to_ms
	    : q->range->to_ms;
	if (g->finest_step == ENFED__V1__STEP__STEP_RAW)
		return clipped_copy(call, d, q, lo, hi, q->tz);
	if (q->step == ENFED__V1__STEP__STEP_RAW
	    || !step_is_union(g->finest_step, (int) q->step))
		return fed_rpc_ctx_error(call, FED_PERMISSION_DENIED,
		    "step: finer than the grant allows");
	if (!agg_is_whole((int) q->agg))
		return fed_rpc_ctx_error(call, FED_PERMISSION_DENIED,
		    "agg: the grant answers totals, means and counts of "
		    "whole buckets only");
	const fed_tz *zone = NULL;
	FED_TRY(owner_zone(call, d->pol, q, &zone));
	fed_tz_unit unit = node_store_step_unit((int) q->step);
	int64_t now = fed_clock_now_ms();
	hi = hi < now ? hi : now; // a bucket still filling is not whole
	d->strip_events = 1;
	fed_status st = clipped_copy(call, d, q, ceil_bucket(zone, lo, unit),
	    fed_tz_floor(zone, hi, unit), fed_tz_name(zone));
	node_store_zone_put(d->pol->store, zone); // its name was copied
	return st;
}

// ---- The decisions, one per kind of request
// ---------------------------------

static fed_status
decide_nothing(fed_rpc_ctx *call, decision *d, const ProtobufCMessage *req)
{
	(void) call, (void) d, (void) req;
	return FED_OK; // the row's roles said it all
}

static fed_status
decide_query(fed_rpc_ctx *call, decision *d, const ProtobufCMessage *req)
{
	const Enfed__V1__QueryRequest *q = (const void *) req;
	if (q->n_series_ids == 0 || q->range == NULL)
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "series_ids, range: required");
	for (size_t i = 0; i < q->n_series_ids; i++)
		FED_TRY(need(call, d, ACCESS_READ, q->series_ids[i]));
	d->query = q;
	const node_grant *g = grant_of(d);
	return g != NULL ? clip_grant_query(call, d, g, q) : FED_OK;
}

static fed_status
decide_latest(fed_rpc_ctx *call, decision *d, const ProtobufCMessage *req)
{
	const Enfed__V1__LatestRequest *q = (const void *) req;
	for (size_t i = 0; i < q->n_series_ids; i++)
		FED_TRY(need(call, d, ACCESS_READ, q->series_ids[i]));
	const node_grant *g = grant_of(d);
	if (g != NULL && g->finest_step != ENFED__V1__STEP__STEP_RAW)
		return fed_rpc_ctx_error(call, FED_PERMISSION_DENIED,
		    "the grant answers whole buckets only: Query them");
	return FED_OK;
}

static fed_status
decide_get_series(fed_rpc_ctx *call, decision *d, const ProtobufCMessage *req)
{
	return need(call, d, ACCESS_READ,
	    ((const Enfed__V1__GetSeriesRequest *) req)->id);
}

static fed_status
decide_ingest(fed_rpc_ctx *call, decision *d, const ProtobufCMessage *req)
{
	const Enfed__V1__IngestRequest *q = (const void *) req;
	if (q->replace && !is(d, NODE_ROLE_ADMIN) && !is(d, NODE_ROLE_REPLICA))
		return fed_rpc_ctx_error(call, FED_PERMISSION_DENIED,
		    "replace: for the admin and replica roles only");
	for (size_t i = 0; i < q->n_series; i++)
		FED_TRY(need(call, d, ACCESS_WRITE,
		    q->series[i] != NULL ? q->series[i]->series_id : NULL));
	return FED_OK;
}

// The series under the principal's prefixes, summed over its prefixes
// (each ends in '/', so no series is under two unless they nest, which
// only makes the quota stricter).
static fed_status
count_under_prefixes(node_policy *pol, const char *prefixes, uint64_t *n)
{
	*n = 0;
	char buf[sizeof(((node_principal *) 0)->prefixes)];
	snprintf(buf, sizeof(buf), "%s", prefixes);
	for (char *p = buf; *p != '\0';) {
		char *comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		uint64_t k = 0;
		node_store_err err = {{0}};
		if (*p != '\0')
			FED_TRY(
			    node_store_count_prefix(pol->store, p, &k, &err));
		*n += k;
		p = comma != NULL ? comma + 1 : p + strlen(p);
	}
	return FED_OK;
}

// A token limited to prefixes creates at most max_series_per_token series
// under them, so that one writer cannot fill the node's lists. Creating a
// series that exists (CreateSeries is idempotent) takes nothing.
static fed_status
check_quota(fed_rpc_ctx *call, const decision *d, const char *id)
{
	node_policy *pol = d->pol;
	if (pol->max_series_per_token == 0 || d->who->prefixes[0] == '\0'
	    || is(d, NODE_ROLE_ADMIN) || is(d, NODE_ROLE_REPLICA))
		return FED_OK;
	Enfed__V1__SeriesInfo *info = info_of(pol, id);
	node_store_info_free(info);
	if (info != NULL)
		return FED_OK;
	uint64_t n = 0;
	if (count_under_prefixes(pol, d->who->prefixes, &n) != FED_OK)
		return fed_rpc_ctx_error(
		    call, FED_UNAVAILABLE, "series count: store unavailable");
	if (n >= pol->max_series_per_token)
		return fed_rpc_ctx_error(call, FED_RESOURCE_EXHAUSTED,
		    "meta.id: the token may create at most %" PRIu64
		    " series (max-series-per-token)",
		    pol->max_series_per_token);
	return FED_OK;
}

static fed_status
decide_create_series(
    fed_rpc_ctx *call, decision *d, const ProtobufCMessage *req)
{
	const Enfed__V1__SeriesMeta *m
	    = ((const Enfed__V1__CreateSeriesRequest *) req)->meta;
	if (m == NULL)
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "meta: missing");
	if (is(d, NODE_ROLE_REPLICA)
	    && strcmp(m->origin_node, d->who->name) != 0)
		return fed_rpc_ctx_error(call, FED_PERMISSION_DENIED,
		    "meta.origin_node: a replica creates only its own series");
	if (!is(d, NODE_ROLE_REPLICA) && m->origin_node[0] != '\0')
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "meta.origin_node: set by replication only");
	FED_TRY(need(call, d, ACCESS_WRITE, m->id));
	return check_quota(call, d, m->id);
}

static fed_status
decide_grant_create(
    fed_rpc_ctx *call, decision *d, const ProtobufCMessage *req)
{
	const Enfed__V1__Grant *g
	    = ((const Enfed__V1__CreateGrantRequest *) req)->grant;
	if (g == NULL)
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "grant: missing");
	// Where the replicator pushes is the operator's to say (as the
	// peers file is): an address an owner could set would send other
	// households' series wherever it points.
	if (g->grantee_rpc_addr != NULL && g->grantee_rpc_addr[0] != '\0'
	    && !is(d, NODE_ROLE_ADMIN))
		return fed_rpc_ctx_error(call, FED_PERMISSION_DENIED,
		    "grantee_rpc_addr: set by the admin only");
	return need(call, d, ACCESS_GRANT, g->series);
}

// A grant the caller may not manage is answered as one that does not
// exist, so that ids say nothing of other households' grants.
static fed_status
need_grant(fed_rpc_ctx *call, const decision *d, const char *id)
{
	const node_grant *g = node_grants_by_id(d->pol->grants, id);
	if (g == NULL || !may(d, ACCESS_GRANT, g->series))
		return fed_rpc_ctx_error(
		    call, FED_NOT_FOUND, "id: no grant %.40s", id);
	return FED_OK;
}

static fed_status
decide_grant_revoke(
    fed_rpc_ctx *call, decision *d, const ProtobufCMessage *req)
{
	return need_grant(
	    call, d, ((const Enfed__V1__RevokeGrantRequest *) req)->id);
}

static fed_status
decide_grant_log(fed_rpc_ctx *call, decision *d, const ProtobufCMessage *req)
{
	const char *id = ((const Enfed__V1__GrantLogRequest *) req)->grant_id;
	return id[0] == '\0' ? FED_OK : need_grant(call, d, id);
}

// An alarm of a series the caller may not see is answered as one that
// does not exist.
static fed_status
decide_alarm_ack(fed_rpc_ctx *call, decision *d, const ProtobufCMessage *req)
{
	uint64_t id = ((const Enfed__V1__AcknowledgeAlarmRequest *) req)->id;
	Enfed__V1__Alarm *a = NULL;
	node_store_err err = {{0}};
	fed_status st = node_store_alarm_get(d->pol->store, id, &a, &err);
	int ok = st == FED_OK && may(d, ACCESS_ACK, a->series);
	if (a != NULL)
		enfed__v1__alarm__free_unpacked(a, NULL);
	if (st != FED_OK && st != FED_NOT_FOUND)
		return fed_rpc_ctx_error(call, st, "%s", err.msg);
	return ok ? FED_OK
	          : fed_rpc_ctx_error(call, FED_NOT_FOUND, "id: no alarm %llu",
	              (unsigned long long) id);
}

// The policy: every method of every service fed-node serves. Lists
// (ListSeries, Grants/List and Log without an id, ListRules, ListAlarms)
// are decided entry by entry through node_policy_sees_*.
static const row table[] = {
    {"/enfed.v1.Health/Check", R(NONE), decide_nothing},
    {"/enfed.v1.Integrity/Check", R(ADMIN), decide_nothing},
    // A copy of the whole store: every series, grant token hash and
    // alarm, so the administrator's alone.
    {"/enfed.v1.Backup/Read", R(ADMIN), decide_nothing},
    {"/enfed.v1.SeriesStore/Query", SERIES_READ, decide_query},
    {"/enfed.v1.SeriesStore/Latest", SERIES_READ, decide_latest},
    {"/enfed.v1.SeriesStore/GetSeries", SERIES_READ, decide_get_series},
    {"/enfed.v1.SeriesStore/ListSeries", SERIES_READ, decide_nothing},
    {"/enfed.v1.SeriesStore/Ingest", SERIES_WRITE, decide_ingest},
    {"/enfed.v1.SeriesStore/CreateSeries", SERIES_WRITE, decide_create_series},
    {"/enfed.v1.SeriesStore/UpdateSeries", R(ADMIN), decide_nothing},
    {"/enfed.v1.SeriesStore/DeleteSeries", R(ADMIN), decide_nothing},
    {"/enfed.v1.Grants/Create", GRANT_MANAGER, decide_grant_create},
    {"/enfed.v1.Grants/List", GRANT_MANAGER, decide_nothing},
    {"/enfed.v1.Grants/Revoke", GRANT_MANAGER, decide_grant_revoke},
    {"/enfed.v1.Grants/Log", GRANT_MANAGER, decide_grant_log},
    {"/enfed.v1.AlarmService/CreateRule", R(ADMIN), decide_nothing},
    {"/enfed.v1.AlarmService/DeleteRule", R(ADMIN), decide_nothing},
    {"/enfed.v1.AlarmService/ListRules", READERS, decide_nothing},
    {"/enfed.v1.AlarmService/ListAlarms", READERS, decide_nothing},
    {"/enfed.v1.AlarmService/Acknowledge", R(WRITER) | R(ADMIN),
        decide_alarm_ack},
};

static const row *
row_of(const char *method)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(method, table[i].method) == 0)
			return &table[i];
	return NULL;
}

unsigned
node_policy_roles(const char *method)
{
	const row *r = row_of(method);
	return r != NULL ? r->roles : 0;
}

struct check {
	char *err;
	size_t err_len;
};

static fed_status
check_one(const char *method, void *arg)
{
	struct check *c = arg;
	if (row_of(method) != NULL)
		return FED_OK;
	snprintf(c->err, c->err_len,
	    "%s: no policy row (services/node/node_policy.c); a method "
	    "nobody decided is not served",
	    method);
	return FED_FAILED_PRECONDITION;
}

fed_status
node_policy_check_server(const fed_rpc_server *srv, char *err, size_t err_len)
{
	struct check c = {err, err_len};
	return fed_rpc_server_each_method(srv, check_one, &c);
}

fed_status
node_policy_new(node_store *store, node_grants *grants, node_policy **out)
{
	node_policy *pol = calloc(1, sizeof(*pol));
	if (pol == NULL)
		return FED_RESOURCE_EXHAUSTED;
	pol->store = store;
	pol->grants = grants;
	pol->max_series_per_token = NODE_POLICY_MAX_SERIES_DEFAULT;
	*out = pol;
	return FED_OK;
}

void
node_policy_set_max_series(node_policy *pol, uint64_t max_series_per_token)
{
	pol->max_series_per_token = max_series_per_token;
}

void
node_policy_free(node_policy *pol)
{
	free(pol);
}

// ---- The grantee's access log
// -----------------------------------------------

// The series and range a grantee's request named (after clipping).
static void
access_targets(const ProtobufCMessage *req, const decision *d,
    Enfed__V1__GrantAccess *e, Enfed__V1__TimeRange *r)
{
	if (req->descriptor == &enfed__v1__query_request__descriptor) {
		const Enfed__V1__QueryRequest *q = (const void *) req;
		const Enfed__V1__QueryRequest *ran
		    = d->query != NULL ? d->query : q;
		e->series_ids = q->series_ids;
		e->n_series_ids = q->n_series_ids;
		e->step = q->step;
		if (ran->range != NULL && !d->empty) {
			*r = *ran->range;
			e->range = r;
		}
	} else if (req->descriptor == &enfed__v1__latest_request__descriptor) {
		const Enfed__V1__LatestRequest *q = (const void *) req;
		e->series_ids = q->series_ids;
		e->n_series_ids = q->n_series_ids;
	} else if (req->descriptor
	    == &enfed__v1__get_series_request__descriptor) {
		e->series_ids = &((Enfed__V1__GetSeriesRequest *) req)->id;
		e->n_series_ids = 1;
	}
}

static void
log_access(fed_rpc_ctx *call, node_policy *pol, const decision *d,
    const ProtobufCMessage *req, fed_status st)
{
	const node_grant *g = grant_of(d);
	const char *method = strrchr(fed_rpc_ctx_method(call), '/');
	Enfed__V1__GrantAccess e = ENFED__V1__GRANT_ACCESS__INIT;
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	e.grant_id = (char *) g->id;
	e.grantee_node = (char *) g->grantee;
	e.at_ms = fed_clock_now_ms();
	e.method = (char *) (method != NULL ? method + 1 : "");
	e.status = (Enfed__V1__StatusCode) st;
	access_targets(req, d, &e, &r);
	node_store_err err = {{0}};
	if (node_store_access_add(pol->store, &e, &err) != FED_OK)
		fed_log(FED_LOG_ERR, "policy",
		    "grant %s: the access log missed a %s call: %s", g->id,
		    e.method, err.msg);
}

// ---- The hooks ------------------------------------------------------------

fed_status
node_policy_authorize(
    fed_rpc_ctx *call, const ProtobufCMessage *req, void *arg)
{
	node_policy *pol = arg;
	const row *r = row_of(fed_rpc_ctx_method(call));
	if (r == NULL) // cannot happen: refused at start-up
		return fed_rpc_ctx_error(call, FED_PERMISSION_DENIED, denied);
	decision *d = fed_rpc_ctx_alloc(call, sizeof(*d));
	if (d == NULL)
		return FED_RESOURCE_EXHAUSTED;
	d->pol = pol;
	d->who = fed_rpc_ctx_principal(call);
	fed_rpc_ctx_set_decision(call, d);
	const node_grant *g = grant_of(d);
	fed_status st = FED_OK;
	if (g != NULL
	    && !node_grant_usable(
	        g, NODE_STORE_SCOPE_QUERY, fed_clock_now_ms()))
		st = fed_rpc_ctx_error(call, FED_PERMISSION_DENIED,
		    "the grant is revoked or expired");
	else
		st = r->decide(call, d, req);
	if (g != NULL)
		log_access(call, pol, d, req, st);
	return st;
}

void
node_policy_server_opts(
    fed_rpc_server_opts *ro, node_auth *auth, node_policy *pol)
{
	ro->auth = node_auth_check;
	ro->auth_arg = auth;
	ro->authz = node_policy_authorize;
	ro->authz_arg = pol;
	pol->auth = auth; // what a replica may not write: local prefixes
}

// ---- For the handlers
// -------------------------------------------------------

// The decision on the call. A call that no hook decided (a server wired
// without the policy, which node_server.c never builds) sees nothing.
static const decision *
decision_of(const fed_rpc_ctx *call)
{
	static const decision undecided = {.empty = 1};
	const decision *d = fed_rpc_ctx_decision(call);
	return d != NULL ? d : &undecided;
}

const Enfed__V1__QueryRequest *
node_policy_query(const fed_rpc_ctx *call, const Enfed__V1__QueryRequest *req)
{
	(void) req;
	const decision *d = decision_of(call);
	return d->empty ? NULL : d->query;
}

int
node_policy_strip_events(const fed_rpc_ctx *call)
{
	return decision_of(call)->strip_events;
}

int
node_policy_sees_series(
    const fed_rpc_ctx *call, const Enfed__V1__SeriesMeta *m)
{
	const decision *d = decision_of(call);
	if (is(d, NODE_ROLE_MEMBER))
		return m->visibility
		    == ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC;
	return may(d, ACCESS_READ, m->id);
}

int
node_policy_sees_grant(const fed_rpc_ctx *call, const char *pattern)
{
	return may(decision_of(call), ACCESS_GRANT, pattern);
}

int
node_policy_sees_alarms(const fed_rpc_ctx *call, const char *id)
{
	return may(decision_of(call), ACCESS_READ, id);
}

void
node_policy_clip_info(const fed_rpc_ctx *call, Enfed__V1__SeriesInfo *info)
{
	const node_grant *g = grant_of(decision_of(call));
	if (g == NULL)
		return;
	int coarse = g->finest_step != ENFED__V1__STEP__STEP_RAW;
	int ranged = g->from_ms != 0 || g->to_ms != 0;
	if (!coarse && !ranged)
		return;
	int last_in = !coarse && info->last_ms >= g->from_ms
	    && (g->to_ms == 0 || info->last_ms < g->to_ms);
	info->n_points = 0;
	info->first_ms = 0;
	info->seq = 0;
	if (!last_in) {
		info->last_ms = 0;
		info->last_value = 0;
	}
}

int
node_policy_is_admin(const fed_rpc_ctx *call)
{
	return is(decision_of(call), NODE_ROLE_ADMIN);
}

const char *
node_policy_caller(const fed_rpc_ctx *call)
{
	const decision *d = fed_rpc_ctx_decision(call);
	return d != NULL && d->who != NULL ? d->who->name : "anonymous";
}
