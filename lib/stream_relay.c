// SPDX-License-Identifier: MIT
//
// stream_relay.c: fed/stream.h's relay. A SUB socket (a fed_stream_sub,
// filtered by the relay's patterns) and a PUB socket (a fed_stream_pub,
// whose own sequence numbers stay unused); one thread moves each message
// from the first to the second unchanged. nng's PUB queue per subscriber
// (FED_STREAM_PUB_QUEUE) and drop-oldest policy apply as at the node.

#include "fed/stream.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "fed/log.h"
#include "stream_internal.h"

// How often the forwarding thread looks at the stop flag when no message
// comes.
#define RELAY_POLL_MS 100

struct fed_stream_relay {
	fed_stream_sub *sub;
	fed_stream_pub *pub;
	pthread_t thread;
	atomic_int stop;
	atomic_uint_fast64_t forwarded, failed;
};

static void *
relay_main(void *arg)
{
	fed_stream_relay *r = arg;
	nng_socket in = fed__stream_sub_sock(r->sub);
	nng_socket out = fed__stream_pub_sock(r->pub);
	nng_socket_set_ms(in, NNG_OPT_RECVTIMEO, RELAY_POLL_MS);
	while (!atomic_load(&r->stop)) {
		nng_msg *m = NULL;
		int rv = nng_recvmsg(in, &m, 0);
		if (rv == NNG_ETIMEDOUT)
			continue;
		if (rv == NNG_ECLOSED)
			break;
		if (rv
		    != 0) { // memory, for a while: its subscribers back-fill
			fed_log(FED_LOG_WARNING, "relay", "receiving: %s",
			    nng_strerror(rv));
			atomic_fetch_add(&r->failed, 1);
			nng_msleep(RELAY_POLL_MS); // never a busy loop
			continue;
		}
		rv = nng_sendmsg(out, m, 0);
		if (rv == 0) {
			atomic_fetch_add(&r->forwarded, 1);
		} else {
			nng_msg_free(m);
			atomic_fetch_add(&r->failed, 1);
		}
	}
	return NULL;
}

static fed_status
relay_subscribe(fed_stream_relay *r, const fed_stream_relay_opts *o)
{
	if (o->n_patterns == 0)
		return fed_stream_sub_subscribe(r->sub, "");
	for (size_t i = 0; i < o->n_patterns; i++) {
		fed_status st
		    = fed_stream_sub_subscribe(r->sub, o->patterns[i]);
		if (st != FED_OK) {
			fed_log(FED_LOG_ERR, "relay", "pattern \"%s\": %s",
			    o->patterns[i], fed_status_str(st));
			return st;
		}
	}
	return FED_OK;
}

fed_status
fed_stream_relay_new(const fed_stream_relay_opts *o, fed_stream_relay **out)
{
	if (o == NULL || o->upstream == NULL || o->listen == NULL
	    || (o->n_patterns > 0 && o->patterns == NULL))
		return FED_INVALID_ARGUMENT;
	fed_stream_relay *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return FED_RESOURCE_EXHAUSTED;
	// The relay queues as much as a node's subscriber queue would hold
	// for it: a burst from the node reaches every subscriber whole.
	fed_stream_sub_opts so = {.url = o->upstream,
	    .tls = o->tls,
	    .max_msg = 16u << 20,
	    .recv_buffer = FED_STREAM_PUB_QUEUE};
	fed_status st = fed_stream_sub_new(&so, &r->sub);
	if (st == FED_OK)
		st = relay_subscribe(r, o);
	if (st == FED_OK)
		st = fed_stream_pub_new(&r->pub);
	if (st == FED_OK)
		st = fed_stream_pub_listen_list(r->pub, o->listen, o->tls);
	if (st == FED_OK
	    && pthread_create(&r->thread, NULL, relay_main, r) != 0)
		st = FED_RESOURCE_EXHAUSTED;
	if (st != FED_OK) {
		fed_stream_pub_free(r->pub);
		fed_stream_sub_free(r->sub);
		free(r);
		return st;
	}
	*out = r;
	return FED_OK;
}

void
fed_stream_relay_get_stats(
    const fed_stream_relay *r, fed_stream_relay_stats *out)
{
	out->forwarded = atomic_load(&r->forwarded);
	out->failed = atomic_load(&r->failed);
}

void
fed_stream_relay_free(fed_stream_relay *r)
{
	if (r == NULL)
		return;
	atomic_store(&r->stop, 1);
	pthread_join(r->thread, NULL);
	fed_stream_pub_free(r->pub);
	fed_stream_sub_free(r->sub);
	free(r);
}
