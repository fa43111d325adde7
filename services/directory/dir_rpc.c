// SPDX-License-Identifier: MIT
//
// dir_rpc.c: the Directory service's handlers (see dir_rpc.h).
//
// Each handler validates its request first (INVALID_ARGUMENT naming the
// field, never echoing a value), then decides who the caller is from the
// principal set by dir_rpc_auth and the token's hash, then asks the store.
// A caller that may not touch a record gets the same PERMISSION_DENIED
// whether the name exists or not where that matters, and messages say
// nothing about other nodes. Events are published after the write has
// committed; a failure to publish is logged, not returned, since the
// write stands.

#include "dir_rpc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dir_arena.h"
#include "fed/clock.h"
#include "fed/log.h"
#include "fed/token.h"

#define LOG "directory"

#define MAX_NAME     64
#define MAX_ORG      200
#define MAX_ADDR     512
#define MAX_SERIES   200
#define MAX_FACTS    100
#define MAX_FACT_KEY 200
#define MAX_FACT_VAL 1000

struct dir_rpc {
	dir_store *store;
	fed_stream_pub *pub;
	int64_t lease_ms;
	char enrol_hash[FED_TOKEN_HASH_LEN + 1];
	char admin_hash[FED_TOKEN_HASH_LEN + 1]; // "" when none
};

// What dir_rpc_auth sets as the principal: which kind of token it saw.
static const char principal_enrol[] = "enrolment";
static const char principal_node[] = "node";
static const char principal_admin[] = "admin";

static const char denied[] = "the token does not allow this on that node";

// --- Validation ---------------------------------------------------------

static int
chars_ok(const char *s, const char *extra)
{
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char) *s) && strchr(extra, *s) == NULL)
			return 0;
	}
	return 1;
}

static int
valid_name(const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;
	return len >= 1 && len <= MAX_NAME && chars_ok(s, "._-");
}

static int
valid_series(const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;
	return len >= 1 && len <= MAX_SERIES && chars_ok(s, "._/-");
}

// Length of the UTF-8 sequence at s (1-4), or 0 when it is not valid
// (overlong, surrogate, past U+10FFFF, truncated). protobuf-c does not
// check strings, and other implementations refuse a reply that holds
// invalid UTF-8, so nothing invalid is stored.
static size_t
utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (n == 0 || s[0] > 0xf4)
		return 0;
	uint32_t cp = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

// Valid UTF-8 without control characters, at most max bytes (empty when
// allow_empty).
static int
text_ok(const char *s, size_t max, int allow_empty)
{
	if (s == NULL)
		return allow_empty;
	const unsigned char *p = (const unsigned char *) s;
	size_t len = strlen(s);
	for (size_t i = 0, n; i < len; i += n) {
		n = utf8_len(p + i);
		if (n == 0 || p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	}
	return (allow_empty || len >= 1) && len <= max;
}

static int
valid_text(const char *s, size_t max)
{
	return text_ok(s, max, 0);
}

static fed_status
check_addr(fed_rpc_ctx *call, const char *field, const char *url)
{
	// The peer's TLS files are its business: any names pass the check.
	static const fed_tls_opts peer_tls = {"cert", "key", "ca", NULL};
	if (!valid_text(url, MAX_ADDR)
	    || fed_transport_check(url, &peer_tls, NULL, 0) != FED_OK)
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "node.%s: an ipc://, tcp:// or tls+tcp:// address of at "
		    "most %d bytes",
		    field, MAX_ADDR);
	return FED_OK;
}

static fed_status
check_box(fed_rpc_ctx *call, size_t i, const Enfed__V1__SeriesMeta *m)
{
	if (m->n_box > MAX_FACTS)
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "node.offers[%zu].box: at most %d facts", i, MAX_FACTS);
	for (size_t j = 0; j < m->n_box; j++) {
		const Enfed__V1__Fact *f = m->box[j];
		if (!valid_text(f->key, MAX_FACT_KEY))
			return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
			    "node.offers[%zu].box[%zu].key: 1-%d bytes of "
			    "UTF-8, no control characters",
			    i, j, MAX_FACT_KEY);
		if (!text_ok(f->value, MAX_FACT_VAL, 1))
			return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
			    "node.offers[%zu].box[%zu].value: at most %d "
			    "bytes of UTF-8, no control characters",
			    i, j, MAX_FACT_VAL);
	}
	return FED_OK;
}

// The free-text fields of a SeriesMeta besides its box.
static fed_status
check_meta_text(fed_rpc_ctx *call, size_t i, const Enfed__V1__SeriesMeta *m)
{
	const char *names[] = {"source", "owner", "origin_node", "tz"};
	const char *vals[] = {m->source, m->owner, m->origin_node, m->tz};
	for (size_t k = 0; k < 4; k++) {
		if (!text_ok(vals[k], MAX_ORG, 1))
			return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
			    "node.offers[%zu].%s: at most %d bytes of UTF-8, "
			    "no control characters",
			    i, names[k], MAX_ORG);
	}
	return FED_OK;
}

static fed_status
check_offers(fed_rpc_ctx *call, const Enfed__V1__NodeRecord *n)
{
	if (n->n_offers > DIR_RPC_MAX_OFFERS)
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "node.offers: at most %d series", DIR_RPC_MAX_OFFERS);
	for (size_t i = 0; i < n->n_offers; i++) {
		const Enfed__V1__SeriesMeta *m = n->offers[i];
		if (!valid_series(m->id) || m->id[strlen(m->id) - 1] == '/')
			return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
			    "node.offers[%zu].id: 1-%d bytes of "
			    "[A-Za-z0-9._/-], not ending in '/'",
			    i, MAX_SERIES);
		FED_TRY(check_meta_text(call, i, m));
		FED_TRY(check_box(call, i, m));
	}
	return FED_OK;
}

static fed_status
check_record(fed_rpc_ctx *call, const Enfed__V1__NodeRecord *n)
{
	if (n == NULL)
		return fed_rpc_ctx_error(
		    call, FED_INVALID_ARGUMENT, "node: missing");
	if (enfed__v1__node_record__get_packed_size(n) > DIR_RPC_MAX_RECORD)
		return fed_rpc_ctx_error(call, FED_RESOURCE_EXHAUSTED,
		    "node: at most %u bytes packed, offers included",
		    DIR_RPC_MAX_RECORD);
	if (!valid_name(n->name))
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "node.name: 1-%d characters of [A-Za-z0-9._-]", MAX_NAME);
	if (!valid_text(n->organisation, MAX_ORG))
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "node.organisation: 1-%d bytes of UTF-8, no control "
		    "characters",
		    MAX_ORG);
	FED_TRY(check_addr(call, "rpc_addr", n->rpc_addr));
	FED_TRY(check_addr(call, "stream_addr", n->stream_addr));
	return check_offers(call, n);
}

static fed_status
check_lookup(fed_rpc_ctx *call, const Enfed__V1__LookupRequest *q)
{
	if (q->name[0] == '\0' && q->series[0] == '\0'
	    && q->organisation[0] == '\0')
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "name, series or organisation: one at least");
	if (q->name[0] != '\0' && !valid_name(q->name))
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "name: 1-%d characters of [A-Za-z0-9._-]", MAX_NAME);
	if (q->series[0] != '\0' && !valid_series(q->series))
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "series: 1-%d bytes of [A-Za-z0-9._/-]", MAX_SERIES);
	if (q->organisation[0] != '\0'
	    && !valid_text(q->organisation, MAX_ORG))
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "organisation: 1-%d bytes of UTF-8, no control characters",
		    MAX_ORG);
	return FED_OK;
}

// The reply to a failure of the store: DATA_LOSS with the store's message
// (the table and key of a damaged row, one the call asked about), anything
// else without detail (the store logged it).
static fed_status
store_failed(fed_rpc_ctx *call, fed_status st, const dir_store_err *err)
{
	if (st == FED_DATA_LOSS && err->msg[0] != '\0')
		return fed_rpc_ctx_error(call, st, "%s", err->msg);
	return fed_rpc_ctx_error(call, st, "the directory failed");
}

// Each offer's site belongs to the caller's organisation, or to none yet.
// The message names the offer, never the organisation that has the site.
static fed_status
check_sites(dir_rpc *r, fed_rpc_ctx *call, const Enfed__V1__NodeRecord *n)
{
	for (size_t i = 0; i < n->n_offers; i++) {
		char org[MAX_ORG + 1];
		dir_store_err err = {""};
		fed_status st = dir_store_site_org(
		    r->store, n->offers[i]->id, org, sizeof(org), &err);
		if (st == FED_NOT_FOUND)
			continue;
		if (st != FED_OK)
			return store_failed(call, st, &err);
		if (strcmp(org, n->organisation) != 0)
			return fed_rpc_ctx_error(call, FED_PERMISSION_DENIED,
			    "node.offers[%zu].id: its site belongs to another "
			    "organisation",
			    i);
	}
	return FED_OK;
}

// --- Memory and events --------------------------------------------------

static void *
call_alloc(void *arg, size_t len)
{
	return fed_rpc_ctx_alloc(arg, len);
}

static void
call_nofree(void *arg, void *p)
{
	(void) arg;
	(void) p;
}

// The call's memory as a protobuf-c allocator (freed with the call).
static ProtobufCAllocator
call_allocator(fed_rpc_ctx *call)
{
	ProtobufCAllocator a = {call_alloc, call_nofree, call};
	return a;
}

static fed_status
find_one(dir_rpc *r, const char *name, ProtobufCAllocator *a,
    Enfed__V1__NodeRecord **out, dir_store_err *err)
{
	dir_filter f = {.name = name};
	Enfed__V1__NodeRecord **nodes = NULL;
	size_t n = 0;
	FED_TRY(dir_store_find(r->store, &f, a, &nodes, &n, err));
	if (n != 1)
		return FED_NOT_FOUND;
	*out = nodes[0];
	return FED_OK;
}

static const char *
kind_name(Enfed__V1__MembershipEvent__Kind kind)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
	    &enfed__v1__membership_event__kind__descriptor, (int) kind);
	return v != NULL ? v->name : "?";
}

// Publishes the current record of node `name` as an event of `kind`.
static void
publish(dir_rpc *r, Enfed__V1__MembershipEvent__Kind kind, const char *name)
{
	fed_log(FED_LOG_INFO, LOG, "%s %s", kind_name(kind), name);
	if (r->pub == NULL)
		return;
	dir_arena *arena = NULL;
	Enfed__V1__MembershipEvent ev = ENFED__V1__MEMBERSHIP_EVENT__INIT;
	fed_status st = dir_arena_new(&arena);
	if (st == FED_OK)
		st = find_one(
		    r, name, dir_arena_allocator(arena), &ev.node, NULL);
	if (st == FED_OK) {
		ev.kind = kind;
		ev.ts_ms = fed_clock_now_ms();
		st = fed_stream_publish_msg(r->pub, DIR_RPC_TOPIC, &ev.base);
	}
	if (st != FED_OK)
		fed_log(FED_LOG_WARNING, LOG,
		    "event %s of %s not published: %s", kind_name(kind), name,
		    fed_status_name(st));
	dir_arena_free(arena);
}

// --- Handlers -------------------------------------------------------------

static int
is_enrol(const fed_rpc_ctx *call)
{
	return fed_rpc_ctx_principal(call) == (void *) principal_enrol;
}

static int64_t
granted_lease(const dir_rpc *r, uint32_t lease_s)
{
	int64_t want = (int64_t) lease_s * 1000;
	return want > 0 && want < r->lease_ms ? want : r->lease_ms;
}

// The token of a node registering with the enrolment token: the one it
// chose, or a new one.
static fed_status
pick_token(dir_rpc *r, fed_rpc_ctx *call, const char *chosen, char *token)
{
	if (chosen[0] == '\0') {
		fed_status st = fed_token_new(token, FED_TOKEN_LEN + 1);
		return st == FED_OK
		    ? st
		    : fed_rpc_ctx_error(call, st, "no token could be made");
	}
	char hash[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(chosen, hash);
	if (strlen(chosen) != FED_TOKEN_LEN || strncmp(chosen, "fed_", 4) != 0
	    || !chars_ok(chosen + 4, "-_")
	    || fed_token_equal(hash, r->enrol_hash))
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "node_token: a new token as fed_token_new makes them");
	memcpy(token, chosen, FED_TOKEN_LEN + 1);
	return FED_OK;
}

// A site taken by another organisation between check_sites and the write.
static fed_status
site_taken(fed_rpc_ctx *call)
{
	return fed_rpc_ctx_error(call, FED_PERMISSION_DENIED,
	    "node.offers: a site belongs to another organisation");
}

// Registration with the enrolment token: a new name, or, when the caller
// proves with the token it chose that the name is already its own (the
// resend of a call whose reply was lost), an update. A token the
// directory made is returned once.
static fed_status
create_node(dir_rpc *r, fed_rpc_ctx *call,
    const Enfed__V1__RegisterRequest *req, const dir_lease *lease,
    Enfed__V1__RegisterResponse *rep, Enfed__V1__MembershipEvent__Kind *kind)
{
	char token[FED_TOKEN_LEN + 1], hash[FED_TOKEN_HASH_LEN + 1];
	FED_TRY(pick_token(r, call, req->node_token, token));
	fed_token_hash(token, hash);
	int chosen = req->node_token[0] != '\0';
	*kind = ENFED__V1__MEMBERSHIP_EVENT__KIND__JOINED;
	dir_store_err err = {""};
	fed_status st
	    = dir_store_create(r->store, req->node, hash, lease, &err);
	if (st == FED_ALREADY_EXISTS && chosen) {
		*kind = ENFED__V1__MEMBERSHIP_EVENT__KIND__UPDATED;
		st = dir_store_update(r->store, req->node, hash, lease, &err);
	}
	if (st == FED_ABORTED)
		st = site_taken(call);
	else if (st == FED_ALREADY_EXISTS || st == FED_NOT_FOUND
	    || st == FED_PERMISSION_DENIED)
		st = fed_rpc_ctx_error(
		    call, FED_PERMISSION_DENIED, "%s", denied);
	else if (st != FED_OK)
		st = store_failed(call, st, &err);
	if (st == FED_OK && !chosen) {
		rep->node_token = fed_rpc_ctx_strdup(call, token);
		if (rep->node_token == NULL)
			st = FED_RESOURCE_EXHAUSTED;
	}
	memset(token, 0, sizeof(token));
	return st;
}

// An existing name with its own node token.
static fed_status
update_node(dir_rpc *r, fed_rpc_ctx *call, const Enfed__V1__NodeRecord *rec,
    const dir_lease *lease)
{
	char hash[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(fed_rpc_ctx_token(call), hash);
	dir_store_err err = {""};
	fed_status st = dir_store_update(r->store, rec, hash, lease, &err);
	if (st == FED_ABORTED)
		return site_taken(call);
	if (st == FED_NOT_FOUND || st == FED_PERMISSION_DENIED)
		return fed_rpc_ctx_error(
		    call, FED_PERMISSION_DENIED, "%s", denied);
	if (st != FED_OK)
		return store_failed(call, st, &err);
	return FED_OK;
}

static fed_status
register_node(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	dir_rpc *r = arg;
	const Enfed__V1__RegisterRequest *req
	    = (const Enfed__V1__RegisterRequest *) in;
	Enfed__V1__RegisterResponse *rep = (Enfed__V1__RegisterResponse *) out;
	FED_TRY(check_record(call, req->node));
	FED_TRY(check_sites(r, call, req->node));
	dir_lease lease = {fed_clock_now_ms(), granted_lease(r, req->lease_s)};
	Enfed__V1__MembershipEvent__Kind kind
	    = ENFED__V1__MEMBERSHIP_EVENT__KIND__UPDATED;
	FED_TRY(is_enrol(call) ? create_node(r, call, req, &lease, rep, &kind)
	                       : update_node(r, call, req->node, &lease));
	ProtobufCAllocator a = call_allocator(call);
	dir_store_err err = {""};
	fed_status st = find_one(r, req->node->name, &a, &rep->node, &err);
	if (st != FED_OK)
		return store_failed(call, st, &err);
	publish(r, kind, req->node->name);
	return FED_OK;
}

static fed_status
heartbeat(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	dir_rpc *r = arg;
	const Enfed__V1__HeartbeatRequest *req
	    = (const Enfed__V1__HeartbeatRequest *) in;
	Enfed__V1__HeartbeatResponse *rep
	    = (Enfed__V1__HeartbeatResponse *) out;
	if (!valid_name(req->name))
		return fed_rpc_ctx_error(call, FED_INVALID_ARGUMENT,
		    "name: 1-%d characters of [A-Za-z0-9._-]", MAX_NAME);
	if (is_enrol(call))
		return fed_rpc_ctx_error(
		    call, FED_PERMISSION_DENIED, "%s", denied);
	char hash[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(fed_rpc_ctx_token(call), hash);
	bool revived = false;
	dir_store_err err = {""};
	fed_status st = dir_store_heartbeat(r->store, req->name, hash,
	    fed_clock_now_ms(), &rep->lease_expires_ms, &revived, &err);
	if (st == FED_NOT_FOUND || st == FED_PERMISSION_DENIED)
		return fed_rpc_ctx_error(
		    call, FED_PERMISSION_DENIED, "%s", denied);
	if (st != FED_OK)
		return store_failed(call, st, &err);
	if (revived)
		publish(
		    r, ENFED__V1__MEMBERSHIP_EVENT__KIND__RENEWED, req->name);
	return FED_OK;
}

static fed_status
answer(dir_rpc *r, fed_rpc_ctx *call, const dir_filter *f,
    Enfed__V1__LookupResponse *rep)
{
	ProtobufCAllocator a = call_allocator(call);
	dir_store_err err = {""};
	fed_status st = dir_store_find(
	    r->store, f, &a, &rep->nodes, &rep->n_nodes, &err);
	if (st != FED_OK)
		return store_failed(call, st, &err);
	return FED_OK;
}

static fed_status
lookup(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	const Enfed__V1__LookupRequest *req
	    = (const Enfed__V1__LookupRequest *) in;
	FED_TRY(check_lookup(call, req));
	dir_filter f = {req->name, req->organisation, req->series, false};
	return answer(arg, call, &f, (Enfed__V1__LookupResponse *) out);
}

static fed_status
list(fed_rpc_ctx *call, const ProtobufCMessage *in, ProtobufCMessage *out,
    void *arg)
{
	(void) in;
	dir_filter f = {"", "", "", .no_offers = true};
	return answer(arg, call, &f, (Enfed__V1__LookupResponse *) out);
}

// --- Public -------------------------------------------------------------

static int
is_hex_hash(const char *s)
{
	if (s == NULL || strlen(s) != FED_TOKEN_HASH_LEN)
		return 0;
	for (; *s != '\0'; s++) {
		if (!isxdigit((unsigned char) *s))
			return 0;
	}
	return 1;
}

fed_status
dir_rpc_new(const dir_rpc_opts *opts, dir_rpc **out)
{
	if (opts == NULL || opts->store == NULL || opts->lease_ms <= 0
	    || !is_hex_hash(opts->enrol_hash))
		return FED_INVALID_ARGUMENT;
	int has_admin
	    = opts->admin_hash != NULL && opts->admin_hash[0] != '\0';
	if (has_admin
	    && (!is_hex_hash(opts->admin_hash)
	        || fed_token_equal(opts->admin_hash, opts->enrol_hash)))
		return FED_INVALID_ARGUMENT;
	dir_rpc *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return FED_RESOURCE_EXHAUSTED;
	r->store = opts->store;
	r->pub = opts->pub;
	r->lease_ms = opts->lease_ms;
	memcpy(r->enrol_hash, opts->enrol_hash, sizeof(r->enrol_hash));
	if (has_admin)
		memcpy(r->admin_hash, opts->admin_hash, sizeof(r->admin_hash));
	*out = r;
	return FED_OK;
}

void
dir_rpc_free(dir_rpc *r)
{
	free(r);
}

// Which kind of token hash is: a principal, or NULL when unknown.
static const char *
principal_of(dir_rpc *r, const char *hash)
{
	if (r->admin_hash[0] != '\0' && fed_token_equal(hash, r->admin_hash))
		return principal_admin;
	if (fed_token_equal(hash, r->enrol_hash))
		return principal_enrol;
	if (dir_store_token_known(r->store, hash))
		return principal_node;
	return NULL;
}

fed_status
dir_rpc_auth(const char *token, const char *method, const char *peer,
    void **principal, void *arg)
{
	(void) peer;
	dir_rpc *r = arg;
	static const char health[] = "/enfed.v1.Health/";
	static const char integrity[] = "/enfed.v1.Integrity/";
	if (strncmp(method, health, sizeof(health) - 1) == 0)
		return FED_OK;
	if (token == NULL || token[0] == '\0')
		return FED_UNAUTHENTICATED;
	char hash[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(token, hash);
	const char *who = principal_of(r, hash);
	if (who == NULL)
		return FED_UNAUTHENTICATED;
	int admin_only
	    = strncmp(method, integrity, sizeof(integrity) - 1) == 0;
	if (admin_only && who != principal_admin)
		return FED_PERMISSION_DENIED;
	*principal = (void *) who;
	return FED_OK;
}

fed_status
dir_rpc_add(fed_rpc_server *srv, dir_rpc *r)
{
	static const fed_rpc_method methods[] = {
	    {"RegisterNode", register_node},
	    {"Heartbeat", heartbeat},
	    {"Lookup", lookup},
	    {"List", list},
	};
	return fed_rpc_server_add_service(srv,
	    &enfed__v1__directory__descriptor, methods,
	    sizeof(methods) / sizeof(methods[0]), r);
}

fed_status
dir_rpc_expire(dir_rpc *r, int64_t now_ms, size_t *n_expired)
{
	char **names = NULL;
	size_t n = 0;
	FED_TRY(dir_store_expire(r->store, now_ms, &names, &n));
	for (size_t i = 0; i < n; i++)
		publish(
		    r, ENFED__V1__MEMBERSHIP_EVENT__KIND__EXPIRED, names[i]);
	dir_store_names_free(names, n);
	if (n_expired != NULL)
		*n_expired = n;
	return FED_OK;
}
