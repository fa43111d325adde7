// SPDX-License-Identifier: MIT
//
// node_directory.c: registration and heartbeat with fed-directory.

#include "node_directory.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "enfed/v1/directory.pb-c.h"
#include "fed/clock.h"
#include "fed/log.h"
#include "fed/rpc.h"
#include "fed/token.h"
#include "node_members.h"

struct node_directory {
	char *url;
	const fed_tls_opts *tls; // borrowed, outlives the directory
	node_members *members; // the answers of ask_directory, cached
	char *name, *organisation, *rpc_addr, *stream_addr, *enrolment;
	char node_token[FED_TOKEN_LEN + 1];
	uint32_t lease_s;
	node_store *store;
	fed_rpc_client *as_node; // calls with the node token
	fed_rpc_client *as_enroled; // calls with the enrolment token
	atomic_int registered;
	size_t n_offered; // public series in the last registration
	int stop;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	pthread_t thread;
	int64_t last_log_ms;
};

// Reads DIR/directory.token, or makes it (0600) the first time.
static fed_status
node_token(const char *data_dir, char *tok)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/directory.token", data_dir);
	FILE *f = fopen(path, "r");
	if (f != NULL) {
		int ok = fgets(tok, FED_TOKEN_LEN + 1, f) != NULL
		    && strlen(tok) == FED_TOKEN_LEN;
		fclose(f);
		if (ok)
			return FED_OK;
		fed_log(FED_LOG_ERR, "directory", "%s: not a token", path);
		return FED_DATA_LOSS;
	}
	FED_TRY(fed_token_new(tok, FED_TOKEN_LEN + 1));
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, tok, FED_TOKEN_LEN) != FED_TOKEN_LEN
	    || fsync(fd) != 0) {
		fed_log(
		    FED_LOG_ERR, "directory", "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return FED_UNAVAILABLE;
	}
	close(fd);
	return FED_OK;
}

struct offers {
	Enfed__V1__SeriesInfo **infos;
	size_t n;
	Enfed__V1__SeriesMeta **metas;
	size_t n_metas;
};

// What the offers of one registration may take: the directory refuses a
// record that packs to more than 256 KiB; the rest goes to the addresses.
#define OFFERS_MAX_LEN (240u * 1024u)

static int
offered(const Enfed__V1__SeriesMeta *m)
{
	return m->visibility == ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC
	    && m->origin_node[0] == '\0';
}

// The public series this node is the origin of (not those it replicates:
// their site is their origin's), offered to the federation, in id order
// as long as they fit in one registration; what does not fit is logged
// and left out.
static void
offers_load(node_directory *d, struct offers *o)
{
	memset(o, 0, sizeof(*o));
	node_store_err err = {{0}};
	if (node_store_list(d->store, NULL, &o->infos, &o->n, &err) != FED_OK)
		return;
	o->metas = calloc(o->n + 1, sizeof(*o->metas));
	size_t len = 0, n_left = 0;
	for (size_t i = 0; o->metas != NULL && i < o->n; i++) {
		const Enfed__V1__SeriesMeta *m = o->infos[i]->meta;
		if (!offered(m))
			continue;
		// Tag, length and message, at most 8 bytes more than packed.
		size_t one = enfed__v1__series_meta__get_packed_size(m) + 8;
		if (len + one > OFFERS_MAX_LEN) {
			n_left++;
			continue;
		}
		len += one;
		o->metas[o->n_metas++] = o->infos[i]->meta;
	}
	if (n_left > 0)
		fed_log(FED_LOG_WARNING, "node",
		    "directory: %zu public series not offered (a registration "
		    "holds at most 256 KiB)",
		    n_left);
}

static void
offers_free(struct offers *o)
{
	node_store_info_list_free(o->infos, o->n);
	free(o->metas);
}

static fed_status
call(fed_rpc_client *c, const char *method, const ProtobufCMessage *req,
    char *err)
{
	ProtobufCMessage *rep = NULL;
	fed_status st = fed_rpc_call(
	    c, &enfed__v1__directory__descriptor, method, req, &rep, err, 256);
	protobuf_c_message_free_unpacked(rep, NULL);
	return st;
}

static fed_status
register_node(node_directory *d)
{
	struct offers o;
	offers_load(d, &o);
	Enfed__V1__NodeRecord rec = ENFED__V1__NODE_RECORD__INIT;
	rec.name = d->name;
	rec.organisation = d->organisation;
	rec.rpc_addr = d->rpc_addr;
	rec.stream_addr = d->stream_addr;
	rec.offers = o.metas;
	rec.n_offers = o.n_metas;
	Enfed__V1__RegisterRequest req = ENFED__V1__REGISTER_REQUEST__INIT;
	req.node = &rec;
	req.lease_s = d->lease_s;
	char err[256];
	// Known already: the node token updates the record. Not yet: the
	// enrolment token, with the node token chosen here.
	fed_status st = call(d->as_node, "RegisterNode", &req.base, err);
	if (st == FED_UNAUTHENTICATED || st == FED_PERMISSION_DENIED) {
		req.node_token = d->node_token;
		st = call(d->as_enroled, "RegisterNode", &req.base, err);
	}
	if (st == FED_OK)
		d->n_offered = o.n_metas;
	offers_free(&o);
	if (st == FED_OK && !atomic_exchange(&d->registered, 1))
		fed_log(FED_LOG_NOTICE, "directory",
		    "%s registered (%zu public "
		    "series offered)",
		    d->name, o.n_metas);
	if (st != FED_OK)
		fed_log_limited(&d->last_log_ms, 60000, FED_LOG_WARNING,
		    "directory", "registering %s: %s (%s)", d->name,
		    fed_status_name(st), err);
	return st;
}

static fed_status
heartbeat(node_directory *d)
{
	Enfed__V1__HeartbeatRequest req = ENFED__V1__HEARTBEAT_REQUEST__INIT;
	req.name = d->name;
	char err[256];
	return call(d->as_node, "Heartbeat", &req.base, err);
}

// Waits ms or until stopped; 1 when stopped.
static int
wait_stop(node_directory *d, int64_t ms)
{
	struct timespec until = fed_clock_deadline(CLOCK_REALTIME, ms);
	pthread_mutex_lock(&d->mtx);
	if (!d->stop)
		pthread_cond_timedwait(&d->cond, &d->mtx, &until);
	int stop = d->stop;
	pthread_mutex_unlock(&d->mtx);
	return stop;
}

// 1 when the public series changed in number since the registration.
static int
offers_changed(node_directory *d)
{
	struct offers o;
	offers_load(d, &o);
	int changed = o.n_metas != d->n_offered;
	offers_free(&o);
	return changed;
}

static void *
run(void *arg)
{
	node_directory *d = arg;
	int64_t period = (int64_t) d->lease_s * 1000 / 3;
	int beats = 0;
	fed_status st = register_node(d);
	while (!wait_stop(d, st == FED_OK ? period : 2000)) {
		if (st != FED_OK || ++beats % 10 == 0 || offers_changed(d)) {
			st = register_node(d);
			continue;
		}
		st = heartbeat(d);
		if (st != FED_OK)
			st = register_node(d);
	}
	return NULL;
}

static fed_rpc_client *
client(const node_directory_opts *o, const char *token)
{
	fed_rpc_client_opts co;
	fed_rpc_client_opts_default(&co);
	co.url = o->url;
	co.tls = o->tls;
	co.token = token;
	co.timeout_ms = 10000;
	fed_rpc_client *c = NULL;
	return fed_rpc_client_new(&co, &c) == FED_OK ? c : NULL;
}

// Asks the directory whether it accepts token: a Lookup of this node
// made with that token (node_members_ask_fn; arg: the node_directory).
static int
ask_directory(const char *token, int *definitive, void *arg)
{
	node_directory *d = arg;
	fed_rpc_client_opts co;
	fed_rpc_client_opts_default(&co);
	co.url = d->url;
	co.tls = d->tls;
	co.token = token;
	co.timeout_ms = 3000;
	fed_rpc_client *c = NULL;
	*definitive = 0;
	if (fed_rpc_client_new(&co, &c) != FED_OK)
		return 0;
	Enfed__V1__LookupRequest req = ENFED__V1__LOOKUP_REQUEST__INIT;
	req.name = d->name;
	char err[256];
	fed_status st = call(c, "Lookup", &req.base, err);
	fed_rpc_client_free(c);
	*definitive = st == FED_OK || st == FED_UNAUTHENTICATED
	    || st == FED_PERMISSION_DENIED;
	return st == FED_OK;
}

fed_status
node_directory_new(const node_directory_opts *opts, node_directory **out)
{
	node_directory *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return FED_RESOURCE_EXHAUSTED;
	pthread_mutex_init(&d->mtx, NULL);
	pthread_cond_init(&d->cond, NULL);
	d->url = strdup(opts->url);
	d->tls = opts->tls;
	d->name = strdup(opts->name);
	d->organisation = strdup(opts->organisation ? opts->organisation : "");
	d->rpc_addr = strdup(opts->rpc_addr);
	d->stream_addr = strdup(opts->stream_addr);
	d->enrolment
	    = strdup(opts->enrolment_token ? opts->enrolment_token : "");
	d->lease_s = opts->lease_s ? opts->lease_s : 60;
	d->store = opts->store;
	fed_status st = d->url && d->name && d->organisation && d->rpc_addr
	        && d->stream_addr && d->enrolment
	    ? node_members_new(ask_directory, d, &d->members)
	    : FED_RESOURCE_EXHAUSTED;
	if (st == FED_OK)
		st = node_token(opts->data_dir, d->node_token);
	if (st == FED_OK) {
		d->as_node = client(opts, d->node_token);
		d->as_enroled = client(opts, d->enrolment);
		if (d->as_node == NULL || d->as_enroled == NULL)
			st = FED_INVALID_ARGUMENT;
	}
	if (st == FED_OK && pthread_create(&d->thread, NULL, run, d) != 0)
		st = FED_RESOURCE_EXHAUSTED;
	if (st != FED_OK) {
		d->thread = 0;
		d->stop = 1;
		node_directory_free(d);
		return st;
	}
	*out = d;
	return FED_OK;
}

int
node_directory_is_member(const char *token, const char *peer, void *arg)
{
	node_directory *d = arg;
	return node_members_check(d->members, token, peer);
}

int
node_directory_registered(const node_directory *d)
{
	return atomic_load(&d->registered);
}

void
node_directory_free(node_directory *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mtx);
	int started = !d->stop;
	d->stop = 1;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->mtx);
	// A heartbeat to a directory that went away would hold the stop
	// for its timeout: cut it short.
	fed_rpc_client_abort(d->as_node);
	fed_rpc_client_abort(d->as_enroled);
	if (started)
		pthread_join(d->thread, NULL);
	fed_rpc_client_free(d->as_node);
	fed_rpc_client_free(d->as_enroled);
	free(d->url);
	node_members_free(d->members);
	free(d->name);
	free(d->organisation);
	free(d->rpc_addr);
	free(d->stream_addr);
	free(d->enrolment);
	pthread_mutex_destroy(&d->mtx);
	pthread_cond_destroy(&d->cond);
	free(d);
}
