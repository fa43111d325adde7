// SPDX-License-Identifier: MIT
//
// stream.c: the PUB side (per-series sequence numbers) and the SUB side
// (per-series gap detection) of live streams.
//
// Both sides keep one small record per series in an open-addressing table
// keyed by series id: the publisher its last sequence number, the
// subscriber the epoch, sequence and newest timestamp it has seen.

#include "fed/stream.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/supplemental/util/platform.h>

#include "enfed/v1/stream.pb-c.h"
#include "fed/log.h"
#include "fed/metrics.h"
#include "rpc_conns_internal.h"
#include "stream_internal.h"
#include "transport_internal.h"

#define TOPIC_SEP  ' '
#define MAX_ID_LEN 200
#define SUB_QUEUE  1024 // frames queued by a subscriber (recv_buffer)

// --- Per-series table ---------------------------------------------------

struct series_rec {
	char *id; // NULL: empty slot
	uint64_t seq;
	uint64_t epoch;
	int64_t last_ts_ms;
};

struct series_tab {
	struct series_rec *slots;
	size_t cap; // a power of two
	size_t n;
};

static uint64_t
hash_str(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull; // FNV-1a
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t) s[i]) * 1099511628211ull;
	return h;
}

static struct series_rec *
tab_probe(struct series_rec *slots, size_t cap, const char *id, size_t len)
{
	size_t i = (size_t) hash_str(id, len) & (cap - 1);
	while (slots[i].id != NULL
	    && (strncmp(slots[i].id, id, len) != 0
	        || slots[i].id[len] != '\0'))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int
tab_grow(struct series_tab *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 64;
	struct series_rec *ns = calloc(ncap, sizeof(*ns));
	if (ns == NULL)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		if (t->slots[i].id != NULL)
			*tab_probe(
			    ns, ncap, t->slots[i].id, strlen(t->slots[i].id))
			    = t->slots[i];
	}
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
	return 0;
}

// Finds or adds the record of id[0..len). NULL when memory is short.
static struct series_rec *
tab_get(struct series_tab *t, const char *id, size_t len)
{
	if ((t->n + 1) * 10 > t->cap * 7 && tab_grow(t) != 0)
		return NULL;
	struct series_rec *r = tab_probe(t->slots, t->cap, id, len);
	if (r->id == NULL) {
		char *copy = malloc(len + 1);
		if (copy == NULL)
			return NULL;
		memcpy(copy, id, len);
		copy[len] = '\0';
		*r = (struct series_rec) {.id = copy};
		t->n++;
	}
	return r;
}

static void
tab_fini(struct series_tab *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slots[i].id);
	free(t->slots);
	*t = (struct series_tab) {0};
}

// --- Publisher ----------------------------------------------------------

struct fed_stream_pub {
	nng_socket sock;
	uint64_t epoch;
	pthread_mutex_t mtx; // orders sequence numbers with sends
	struct series_tab seqs;
	fed__rpc_conns *subs; // bounds the subscribers' connections
};

// The subscribers a publisher holds at once: FED_STREAM_PUB_MAX_SUBS, or
// an eighth of the descriptor limit when that is under 4 times as many.
static size_t
max_subscribers(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY
	    || rl.rlim_cur >= 4 * FED_STREAM_PUB_MAX_SUBS)
		return FED_STREAM_PUB_MAX_SUBS;
	return rl.rlim_cur >= 128 ? (size_t) rl.rlim_cur / 8 : 16;
}

fed_status
fed_stream_pub_new(fed_stream_pub **out)
{
	fed_stream_pub *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return FED_RESOURCE_EXHAUSTED;
	int rv = nng_pub0_open(&p->sock);
	if (rv != 0) {
		free(p);
		return fed__nng_status(rv, "pub0 open");
	}
	// A subscriber never sends, but nng would accept anything it did.
	fed__transport_set_recvmax(p->sock, 1);
	// Each subscriber's queue: PUB drops its oldest frames when it is
	// full, and one ingest of many series publishes a frame per series
	// at once (with nng's default of 16, a subscriber lost most of a
	// burst's frames, and most frames on a loaded 2-core machine).
	// Frames are at most FED_STREAM_FRAME_POINTS points, so this holds at
	// most ~75 MB for a subscriber that stops reading.
	rv = nng_socket_set_int(
	    p->sock, NNG_OPT_SENDBUF, FED_STREAM_PUB_QUEUE);
	if (rv != 0) {
		nng_close(p->sock);
		free(p);
		return fed__nng_status(rv, "pub0 sendbuf");
	}
	// Nothing in nng bounds a listener's connections: without this, idle
	// subscribers could take every descriptor of the process (and each
	// holds a queue of frames). No idle timeout: a subscriber only reads.
	fed__rpc_conns_opts co = {.max_total = max_subscribers(),
	    .max_per_peer = FED_STREAM_PUB_MAX_PER_PEER,
	    .name = "stream"};
	fed_status st = fed__rpc_conns_new(p->sock, &co, &p->subs);
	if (st != FED_OK) {
		nng_close(p->sock);
		free(p);
		return st;
	}
	p->epoch = ((uint64_t) nng_random() << 32) | nng_random();
	pthread_mutex_init(&p->mtx, NULL);
	*out = p;
	return FED_OK;
}

size_t
fed_stream_pub_n_subscribers(fed_stream_pub *pub)
{
	return fed__rpc_conns_count(pub->subs);
}

nng_socket
fed__stream_pub_sock(fed_stream_pub *pub)
{
	return pub->sock;
}

fed_status
fed_stream_pub_listen(
    fed_stream_pub *pub, const char *url, const fed_tls_opts *tls)
{
	return fed__transport_listen(pub->sock, url, tls);
}

fed_status
fed_stream_pub_listen_list(
    fed_stream_pub *pub, const char *list, const fed_tls_opts *tls)
{
	return fed__transport_listen_list(pub->sock, list, tls);
}

uint64_t
fed_stream_pub_epoch(const fed_stream_pub *pub)
{
	return pub->epoch;
}

// Builds "topic<sp>" + packed msg into a new nng message.
static fed_status
build_msg(const char *topic, size_t topic_len, int add_sep,
    const ProtobufCMessage *msg, nng_msg **out)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	size_t head = topic_len + (add_sep ? 1 : 0);
	nng_msg *m = NULL;
	int rv = nng_msg_alloc(&m, head + len);
	if (rv != 0)
		return fed__nng_status(rv, "stream msg");
	uint8_t *b = nng_msg_body(m);
	memcpy(b, topic, topic_len);
	if (add_sep)
		b[topic_len] = TOPIC_SEP;
	protobuf_c_message_pack(msg, b + head);
	*out = m;
	return FED_OK;
}

static fed_status
send_msg(fed_stream_pub *pub, nng_msg *m)
{
	int rv = nng_sendmsg(pub->sock, m, 0);
	fed_metrics_stream_frame(rv == 0);
	if (rv != 0) {
		nng_msg_free(m);
		return fed__nng_status(rv, "publish");
	}
	return FED_OK;
}

// Publishes points [0, n) (n <= FED_STREAM_FRAME_POINTS) as the next frame
// of record r; the caller holds pub->mtx.
static fed_status
publish_frame(fed_stream_pub *pub, struct series_rec *r, const char *series_id,
    size_t id_len, const int64_t *ts_ms, const double *value, size_t n)
{
	Enfed__V1__StreamFrame f = ENFED__V1__STREAM_FRAME__INIT;
	f.series_id = (char *) series_id;
	f.epoch = pub->epoch;
	f.n_ts_ms = f.n_value = n;
	f.ts_ms = (int64_t *) ts_ms;
	f.value = (double *) value;
	f.seq = r->seq + 1;
	// No subscriber connected: the socket would drop the frame unseen,
	// so it is not built. Its number is used all the same (a subscriber
	// takes the first frame it gets as its start).
	if (fed__rpc_conns_count(pub->subs) == 0) {
		r->seq = f.seq;
		return FED_OK;
	}
	nng_msg *m = NULL;
	fed_status st = build_msg(series_id, id_len, 1, &f.base, &m);
	if (st == FED_OK)
		st = send_msg(pub, m);
	// The number is used even if the send failed: subscribers then see a
	// gap and back-fill, which is what a lost frame needs.
	if (st == FED_OK || st == FED_UNAVAILABLE)
		r->seq = f.seq;
	return st;
}

fed_status
fed_stream_publish(fed_stream_pub *pub, const char *series_id,
    const int64_t *ts_ms, const double *value, size_t n, uint64_t *seq)
{
	size_t id_len = series_id != NULL ? strlen(series_id) : 0;
	if (id_len == 0 || id_len > MAX_ID_LEN || n == 0
	    || strchr(series_id, TOPIC_SEP) != NULL || series_id[0] == '!')
		return FED_INVALID_ARGUMENT;
	pthread_mutex_lock(&pub->mtx);
	fed_status st = FED_RESOURCE_EXHAUSTED;
	struct series_rec *r = tab_get(&pub->seqs, series_id, id_len);
	// One lock for every frame of the call: its frames leave together.
	for (size_t i = 0; r != NULL && i < n; i += FED_STREAM_FRAME_POINTS) {
		size_t k = n - i < FED_STREAM_FRAME_POINTS
		    ? n - i
		    : FED_STREAM_FRAME_POINTS;
		st = publish_frame(
		    pub, r, series_id, id_len, ts_ms + i, value + i, k);
		if (st != FED_OK && st != FED_UNAVAILABLE)
			break;
	}
	uint64_t last = r != NULL ? r->seq : 0;
	pthread_mutex_unlock(&pub->mtx);
	if (st == FED_OK && seq != NULL)
		*seq = last;
	return st;
}

fed_status
fed_stream_publish_msg(
    fed_stream_pub *pub, const char *topic, const ProtobufCMessage *msg)
{
	if (topic == NULL || topic[0] != '!')
		return FED_INVALID_ARGUMENT;
	size_t len = strlen(topic);
	int add_sep = len == 0 || topic[len - 1] != TOPIC_SEP;
	nng_msg *m = NULL;
	FED_TRY(build_msg(topic, len, add_sep, msg, &m));
	return send_msg(pub, m);
}

void
fed_stream_pub_free(fed_stream_pub *pub)
{
	if (pub == NULL)
		return;
	// Bounded: nng 1.5.2 may never return from closing a socket one of
	// whose pipes wedged (seen with a subscriber closing at the same
	// time over ipc://); the process goes on after 2 s.
	fed__rpc_conns_stop(pub->subs);
	fed__transport_close(
	    pub->sock, (nng_dialer) NNG_DIALER_INITIALIZER, pub->subs);
	tab_fini(&pub->seqs);
	pthread_mutex_destroy(&pub->mtx);
	free(pub);
}

// --- Subscriber ---------------------------------------------------------

struct fed_stream_sub {
	nng_socket sock;
	nng_dialer dialer;
	struct series_tab seen;
	uint64_t n_malformed;
};

fed_status
fed_stream_sub_new(const fed_stream_sub_opts *opts, fed_stream_sub **out)
{
	fed_stream_sub *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return FED_RESOURCE_EXHAUSTED;
	int rv = nng_sub0_open(&s->sock);
	if (rv != 0) {
		free(s);
		return fed__nng_status(rv, "sub0 open");
	}
	fed_status st = fed__transport_set_recvmax(
	    s->sock, opts->max_msg ? opts->max_msg : (4u << 20));
	if (st == FED_OK)
		st = fed__nng_status(
		    nng_socket_set_int(s->sock, NNG_OPT_RECVBUF,
		        opts->recv_buffer > 0 ? opts->recv_buffer : SUB_QUEUE),
		    "recv buffer");
	if (st == FED_OK)
		st = fed__transport_dial(
		    s->sock, opts->url, opts->tls, &s->dialer);
	if (st != FED_OK) {
		nng_close(s->sock);
		free(s);
		return st;
	}
	*out = s;
	return FED_OK;
}

nng_socket
fed__stream_sub_sock(fed_stream_sub *sub)
{
	return sub->sock;
}

// The nng prefix for a pattern: exact series get the separator appended.
static fed_status
topic_of(const char *pattern, char *buf, size_t cap, size_t *len)
{
	size_t n = pattern != NULL ? strlen(pattern) : 0;
	if (pattern == NULL || n + 2 > cap
	    || strchr(pattern, TOPIC_SEP) != NULL)
		return FED_INVALID_ARGUMENT;
	memcpy(buf, pattern, n);
	int prefix = n == 0 || pattern[n - 1] == '/';
	if (!prefix)
		buf[n++] = TOPIC_SEP;
	*len = n;
	return FED_OK;
}

static fed_status
sub_opt(fed_stream_sub *sub, const char *opt, const char *pattern)
{
	char topic[MAX_ID_LEN + 2];
	size_t len = 0;
	FED_TRY(topic_of(pattern, topic, sizeof(topic), &len));
	int rv = nng_socket_set(sub->sock, opt, topic, len);
	if (rv == NNG_ENOENT)
		return FED_NOT_FOUND;
	return fed__nng_status(rv, opt);
}

fed_status
fed_stream_sub_subscribe(fed_stream_sub *sub, const char *pattern)
{
	return sub_opt(sub, NNG_OPT_SUB_SUBSCRIBE, pattern);
}

fed_status
fed_stream_sub_unsubscribe(fed_stream_sub *sub, const char *pattern)
{
	return sub_opt(sub, NNG_OPT_SUB_UNSUBSCRIBE, pattern);
}

// Sequence bookkeeping for one frame: emits GAP/RESET as needed and says
// whether the frame is new (1) or a duplicate/stale one to drop (0).
static int
track(struct series_tab *seen, const Enfed__V1__StreamFrame *f,
    fed_stream_cb cb, void *arg)
{
	struct series_rec *r
	    = tab_get(seen, f->series_id, strlen(f->series_id));
	if (r == NULL)
		return 1; // no memory to track: deliver, cannot judge
	fed_stream_event ev = {.series_id = f->series_id,
	    .epoch = f->epoch,
	    .last_ts_ms = r->last_ts_ms};
	if (r->seq != 0 && r->epoch != f->epoch) {
		ev.kind = FED_STREAM_RESET;
		cb(&ev, arg);
	} else if (r->seq != 0 && f->seq <= r->seq) {
		return 0;
	} else if (r->seq != 0 && f->seq > r->seq + 1) {
		ev.kind = FED_STREAM_GAP;
		ev.missed_from = r->seq + 1;
		ev.missed_to = f->seq - 1;
		cb(&ev, arg);
	}
	r->epoch = f->epoch;
	r->seq = f->seq;
	for (size_t i = 0; i < f->n_ts_ms; i++) {
		if (f->ts_ms[i] > r->last_ts_ms)
			r->last_ts_ms = f->ts_ms[i];
	}
	return 1;
}

static fed_status
deliver(fed_stream_sub *sub, const uint8_t *body, size_t len, fed_stream_cb cb,
    void *arg)
{
	const uint8_t *sep = memchr(body, TOPIC_SEP, len);
	if (sep == NULL)
		return FED_INVALID_ARGUMENT;
	size_t head = (size_t) (sep - body) + 1;
	if (body[0] == '!') {
		char topic[MAX_ID_LEN + 1];
		size_t tlen = head - 1 < MAX_ID_LEN ? head - 1 : MAX_ID_LEN;
		memcpy(topic, body, tlen);
		topic[tlen] = '\0';
		fed_stream_event ev = {.kind = FED_STREAM_MSG,
		    .topic = topic,
		    .msg = body + head,
		    .msg_len = len - head};
		cb(&ev, arg);
		return FED_OK;
	}
	Enfed__V1__StreamFrame *f
	    = enfed__v1__stream_frame__unpack(NULL, len - head, body + head);
	if (f == NULL || f->n_ts_ms != f->n_value || f->series_id[0] == '\0'
	    || strncmp(f->series_id, (const char *) body, head - 1) != 0
	    || f->series_id[head - 1] != '\0') {
		if (f != NULL)
			enfed__v1__stream_frame__free_unpacked(f, NULL);
		return FED_INVALID_ARGUMENT;
	}
	if (track(&sub->seen, f, cb, arg)) {
		fed_stream_event ev = {.kind = FED_STREAM_POINTS,
		    .series_id = f->series_id,
		    .seq = f->seq,
		    .epoch = f->epoch,
		    .ts_ms = f->ts_ms,
		    .value = f->value,
		    .n = f->n_ts_ms};
		cb(&ev, arg);
	}
	enfed__v1__stream_frame__free_unpacked(f, NULL);
	return FED_OK;
}

fed_status
fed_stream_sub_recv(
    fed_stream_sub *sub, int timeout_ms, fed_stream_cb cb, void *arg)
{
	nng_socket_set_ms(sub->sock, NNG_OPT_RECVTIMEO, timeout_ms);
	nng_msg *m = NULL;
	int rv = nng_recvmsg(sub->sock, &m, 0);
	if (rv == NNG_ETIMEDOUT)
		return FED_DEADLINE_EXCEEDED;
	if (rv != 0)
		return fed__nng_status(rv, "subscribe recv");
	fed_status st = deliver(sub, nng_msg_body(m), nng_msg_len(m), cb, arg);
	nng_msg_free(m);
	if (st != FED_OK)
		sub->n_malformed++;
	return st;
}

void
fed_stream_sub_free(fed_stream_sub *sub)
{
	if (sub == NULL)
		return;
	fed__transport_close(sub->sock, sub->dialer, NULL);
	tab_fini(&sub->seen);
	free(sub);
}
