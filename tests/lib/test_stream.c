// SPDX-License-Identifier: MIT
//
// test_stream.c: live streams: topic selection (one series, a subtree, '!'
// topics), gap and restart detection on crafted frames, a subscriber
// that is forced to drop frames and still accounts for every one, and a
// relay that passes frames on unchanged and only those it carries, the
// bound on the subscribers' connections a publisher holds, and a publisher
// with no subscriber that builds no frame but numbers them all.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>

#include "enfed/v1/health.pb-c.h"
#include "enfed/v1/stream.pb-c.h"
#include "fed/clock.h"
#include "fed/metrics.h"
#include "fed/stream.h"
#include "fed_test.h"

#define MAX_EV 64

struct rec {
	int n;
	fed_stream_event_kind kind[MAX_EV];
	char series[MAX_EV][64];
	uint64_t seq[MAX_EV], from[MAX_EV], to[MAX_EV];
	size_t npts[MAX_EV];
	int64_t last_ts[MAX_EV];
};

static void
record(const fed_stream_event *ev, void *arg)
{
	struct rec *r = arg;
	if (r->n == MAX_EV)
		return;
	int i = r->n++;
	r->kind[i] = ev->kind;
	snprintf(r->series[i], sizeof(r->series[i]), "%s",
	    ev->kind == FED_STREAM_MSG ? ev->topic : ev->series_id);
	r->seq[i] = ev->seq;
	r->from[i] = ev->missed_from;
	r->to[i] = ev->missed_to;
	r->npts[i] = ev->n;
	r->last_ts[i] = ev->last_ts_ms;
}

static fed_stream_sub *
new_sub(const char *url, int recv_buffer)
{
	fed_stream_sub_opts o = {.url = url, .recv_buffer = recv_buffer};
	fed_stream_sub *s = NULL;
	assert_int_equal(fed_stream_sub_new(&o, &s), FED_OK);
	return s;
}

// Publishes a probe until sub receives it: the connection is up.
static void
wait_connected(fed_stream_pub *pub, fed_stream_sub *sub)
{
	assert_int_equal(fed_stream_sub_subscribe(sub, "probe/x"), FED_OK);
	int64_t t = 0;
	double v = 0;
	struct rec r = {0};
	for (int i = 0; i < 500 && r.n == 0; i++) {
		fed_stream_publish(pub, "probe/x", &t, &v, 1, NULL);
		fed_stream_sub_recv(sub, 10, record, &r);
	}
	assert_true(r.n > 0);
	assert_int_equal(fed_stream_sub_unsubscribe(sub, "probe/x"), FED_OK);
	// Drain probes still queued.
	while (fed_stream_sub_recv(sub, 50, record, &r) == FED_OK)
		;
}

static void
test_topics(void **state)
{
	(void) state;
	char url[256];
	fed_test_ipc_url(url, sizeof(url), "stream");
	fed_stream_pub *pub = NULL;
	assert_int_equal(fed_stream_pub_new(&pub), FED_OK);
	assert_int_equal(fed_stream_pub_listen(pub, url, NULL), FED_OK);
	fed_stream_sub *one = new_sub(url, 0), *tree = new_sub(url, 0),
	               *bang = new_sub(url, 0);
	wait_connected(pub, one);
	wait_connected(pub, tree);
	wait_connected(pub, bang);
	assert_int_equal(
	    fed_stream_sub_subscribe(one, "kermelo/pv/energy"), FED_OK);
	assert_int_equal(fed_stream_sub_subscribe(tree, "kermelo/"), FED_OK);
	assert_int_equal(fed_stream_sub_subscribe(bang, "!alarm"), FED_OK);
	assert_int_equal(
	    fed_stream_sub_subscribe(bang, "a b"), FED_INVALID_ARGUMENT);

	int64_t ts[3] = {1000, 2000, 3000};
	double v[3] = {1.5, -2.25, 1e300};
	uint64_t seq = 0;
	assert_int_equal(
	    fed_stream_publish(pub, "kermelo/pv/energy", ts, v, 3, &seq),
	    FED_OK);
	assert_int_equal(seq, 1);
	assert_int_equal(
	    fed_stream_publish(pub, "kermelo/pv/energy2", ts, v, 1, &seq),
	    FED_OK);
	assert_int_equal(
	    fed_stream_publish(pub, "bmhs/house/energy", ts, v, 1, NULL),
	    FED_OK);
	assert_int_equal(
	    fed_stream_publish(pub, "kermelo/pv/energy", ts, v, 2, &seq),
	    FED_OK);
	assert_int_equal(seq, 2);
	Enfed__V1__HealthCheckResponse h
	    = ENFED__V1__HEALTH_CHECK_RESPONSE__INIT;
	h.service = "fed-node";
	assert_int_equal(
	    fed_stream_publish_msg(pub, "!alarm", &h.base), FED_OK);
	assert_int_equal(fed_stream_publish_msg(pub, "alarm", &h.base),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(fed_stream_publish(pub, "a b", ts, v, 1, NULL),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(fed_stream_publish(pub, "x", ts, v, 0, NULL),
	    FED_INVALID_ARGUMENT);

	struct rec r1 = {0}, r2 = {0}, r3 = {0};
	while (fed_stream_sub_recv(one, 200, record, &r1) == FED_OK)
		;
	while (fed_stream_sub_recv(tree, 200, record, &r2) == FED_OK)
		;
	while (fed_stream_sub_recv(bang, 200, record, &r3) == FED_OK)
		;
	assert_int_equal(r1.n, 2);
	assert_string_equal(r1.series[0], "kermelo/pv/energy");
	assert_int_equal(r1.npts[0], 3);
	assert_int_equal(r1.seq[1], 2);
	assert_int_equal(r2.n, 3);
	assert_string_equal(r2.series[1], "kermelo/pv/energy2");
	assert_int_equal(r3.n, 1);
	assert_int_equal(r3.kind[0], FED_STREAM_MSG);
	assert_string_equal(r3.series[0], "!alarm");
	fed_stream_sub_free(one);
	fed_stream_sub_free(tree);
	fed_stream_sub_free(bang);
	fed_stream_pub_free(pub);
}

// enfed_stream_frames_sent_total, as this process counts it.
static long
frames_sent(void)
{
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(
	    fed_metrics_render(fed_metrics_default(), &text, &len), FED_OK);
	const char *k = "\nenfed_stream_frames_sent_total ";
	const char *p = strstr(text, k);
	long n = p != NULL ? strtol(p + strlen(k), NULL, 10) : 0;
	free(text);
	return n;
}

// With no subscriber connected, frames are neither built nor sent, but
// their numbers are used: a subscriber that joins later takes the first
// frame it gets as its start (no gap), then sees every number in turn.
static void
test_no_subscriber(void **state)
{
	(void) state;
	char url[256];
	fed_test_ipc_url(url, sizeof(url), "streamnosub");
	fed_stream_pub *pub = NULL;
	assert_int_equal(fed_stream_pub_new(&pub), FED_OK);
	assert_int_equal(fed_stream_pub_listen(pub, url, NULL), FED_OK);
	assert_int_equal(fed_stream_pub_n_subscribers(pub), 0);
	int64_t ts = 1000;
	double v = 1;
	uint64_t seq = 0;
	long sent = frames_sent();
	for (int i = 0; i < 3; i++)
		assert_int_equal(
		    fed_stream_publish(pub, "nosub/a", &ts, &v, 1, &seq),
		    FED_OK);
	assert_int_equal(seq, 3);
	assert_int_equal(frames_sent(), sent); // none built, none sent
	fed_stream_sub *sub = new_sub(url, 0);
	wait_connected(pub, sub);
	assert_int_equal(fed_stream_sub_subscribe(sub, "nosub/a"), FED_OK);
	struct rec r = {0};
	for (int i = 0; i < 500 && r.n == 0; i++) {
		fed_stream_publish(pub, "nosub/a", &ts, &v, 1, &seq);
		fed_stream_sub_recv(sub, 10, record, &r);
	}
	assert_true(r.n > 0);
	assert_int_equal(r.kind[0], FED_STREAM_POINTS);
	assert_true(r.seq[0] >= 4);
	uint64_t first = r.seq[0];
	sent = frames_sent();
	fed_stream_publish(pub, "nosub/a", &ts, &v, 1, &seq);
	assert_int_equal(frames_sent(), sent + 1);
	while (fed_stream_sub_recv(sub, 200, record, &r) == FED_OK)
		;
	for (int i = 1; i < r.n; i++) {
		assert_int_equal(r.kind[i], FED_STREAM_POINTS);
		assert_int_equal(r.seq[i], first + (uint64_t) i);
	}
	fed_stream_sub_free(sub);
	fed_stream_pub_free(pub);
}

// One ingest of many series publishes a frame per series at once: the
// subscribers of the last series of a burst of 1,000 frames still get it
// (with nng's default queue of 16 frames per subscriber, most lost it).
#define BURST_SUBS 20
static void
test_burst(void **state)
{
	(void) state;
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", fed_test_free_port());
	fed_stream_pub *pub = NULL;
	assert_int_equal(fed_stream_pub_new(&pub), FED_OK);
	assert_int_equal(fed_stream_pub_listen(pub, url, NULL), FED_OK);
	fed_stream_sub *sub[BURST_SUBS];
	for (int i = 0; i < BURST_SUBS; i++) {
		sub[i] = new_sub(url, 0);
		wait_connected(pub, sub[i]);
		assert_int_equal(
		    fed_stream_sub_subscribe(sub[i], "m/500/p"), FED_OK);
	}
	int64_t ts = 1000;
	double v = 1;
	for (int k = 0; k < 1000; k++) {
		char id[32];
		snprintf(id, sizeof(id), "m/%d/p", k);
		assert_int_equal(
		    fed_stream_publish(pub, id, &ts, &v, 1, NULL), FED_OK);
	}
	int got = 0;
	for (int i = 0; i < BURST_SUBS; i++) {
		// Waits for the frame up to 10 s (a loaded machine may pause
		// longer than a short timeout between two frames), then 300 ms
		// more for a duplicate that must not come.
		struct rec r = {0};
		int64_t end = fed_test_now_ms() + 10000;
		while (r.n == 0 && fed_test_now_ms() < end)
			(void) fed_stream_sub_recv(sub[i], 300, record, &r);
		while (fed_stream_sub_recv(sub[i], 300, record, &r) == FED_OK)
			;
		got += r.n == 1 && strcmp(r.series[0], "m/500/p") == 0;
		fed_stream_sub_free(sub[i]);
	}
	assert_int_equal(got, BURST_SUBS);
	fed_stream_pub_free(pub);
}

static void
raw_frame(
    nng_socket s, const char *id, uint64_t seq, uint64_t epoch, int64_t ts)
{
	Enfed__V1__StreamFrame f = ENFED__V1__STREAM_FRAME__INIT;
	double v = 1;
	f.series_id = (char *) id;
	f.seq = seq;
	f.epoch = epoch;
	f.ts_ms = &ts;
	f.value = &v;
	f.n_ts_ms = f.n_value = 1;
	uint8_t buf[256];
	size_t n = strlen(id);
	memcpy(buf, id, n);
	buf[n] = ' ';
	size_t len = enfed__v1__stream_frame__pack(&f, buf + n + 1);
	assert_int_equal(nng_send(s, buf, n + 1 + len, 0), 0);
}

// Crafted frames from a raw PUB socket: gaps, duplicates, stale frames,
// a publisher restart, and malformed messages.
static void
test_gaps(void **state)
{
	(void) state;
	char url[256];
	fed_test_ipc_url(url, sizeof(url), "gaps");
	nng_socket p;
	assert_int_equal(nng_pub0_open(&p), 0);
	assert_int_equal(nng_listen(p, url, NULL, 0), 0);
	fed_stream_sub *sub = new_sub(url, 0);
	assert_int_equal(fed_stream_sub_subscribe(sub, ""), FED_OK);
	struct rec r = {0};
	for (int i = 0; i < 500 && r.n == 0; i++) {
		raw_frame(p, "probe/y", 1, 9, 0);
		fed_stream_sub_recv(sub, 10, record, &r);
	}
	assert_true(r.n > 0);
	while (fed_stream_sub_recv(sub, 50, record, &r) == FED_OK)
		;
	memset(&r, 0, sizeof(r));
	raw_frame(p, "s/a", 1, 7, 100);
	raw_frame(p, "s/a", 2, 7, 200);
	raw_frame(p, "s/a", 5, 7, 500); // 3 and 4 lost
	raw_frame(p, "s/a", 5, 7, 500); // duplicate: dropped
	raw_frame(p, "s/a", 3, 7, 300); // stale: dropped
	raw_frame(p, "s/a", 6, 7, 600);
	raw_frame(p, "s/a", 1, 8, 700); // publisher restarted
	assert_int_equal(nng_send(p, "s/a junk", 8, 0), 0);
	assert_int_equal(nng_send(p, "nospace", 7, 0), 0);
	int malformed = 0;
	for (int i = 0; i < 20; i++) {
		fed_status st = fed_stream_sub_recv(sub, 200, record, &r);
		if (st == FED_DEADLINE_EXCEEDED)
			break;
		malformed += st == FED_INVALID_ARGUMENT;
	}
	assert_int_equal(malformed, 2);
	fed_stream_event_kind want[] = {FED_STREAM_POINTS, FED_STREAM_POINTS,
	    FED_STREAM_GAP, FED_STREAM_POINTS, FED_STREAM_POINTS,
	    FED_STREAM_RESET, FED_STREAM_POINTS};
	assert_int_equal(r.n, 7);
	for (int i = 0; i < 7; i++)
		assert_int_equal(r.kind[i], want[i]);
	assert_int_equal(r.from[2], 3);
	assert_int_equal(r.to[2], 4);
	assert_int_equal(r.last_ts[2], 200);
	assert_int_equal(r.seq[3], 5);
	assert_int_equal(r.seq[4], 6);
	assert_int_equal(r.last_ts[5], 600);
	fed_stream_sub_free(sub);
	nng_close(p);
}

struct account {
	uint64_t delivered, missed, last_seq, n_gaps;
	int in_order;
};

static void
count(const fed_stream_event *ev, void *arg)
{
	struct account *a = arg;
	if (ev->kind == FED_STREAM_GAP) {
		a->missed += ev->missed_to - ev->missed_from + 1;
		a->n_gaps++;
	} else if (ev->kind == FED_STREAM_POINTS) {
		if (ev->seq <= a->last_seq)
			a->in_order = 0;
		a->last_seq = ev->seq;
		a->delivered++;
	}
}

// A subscriber with a one-message buffer that does not read while 20,000
// frames of 100 points go out: most are dropped, and every one is still
// accounted for, delivered or reported missing, exactly once.
static void
test_forced_drops(void **state)
{
	(void) state;
	char url[256];
	fed_test_ipc_url(url, sizeof(url), "drops");
	fed_stream_pub *pub = NULL;
	assert_int_equal(fed_stream_pub_new(&pub), FED_OK);
	assert_int_equal(fed_stream_pub_listen(pub, url, NULL), FED_OK);
	fed_stream_sub *sub = new_sub(url, 1);
	wait_connected(pub, sub);
	assert_int_equal(fed_stream_sub_subscribe(sub, "d/"), FED_OK);
	int64_t ts[100];
	double v[100];
	for (int i = 0; i < 100; i++)
		ts[i] = i, v[i] = i * 0.5;
	// The first frame of a series tells where the subscriber starts: make
	// sure it is seen, then flood.
	struct account a = {.in_order = 1};
	assert_int_equal(
	    fed_stream_publish(pub, "d/x", ts, v, 1, NULL), FED_OK);
	assert_int_equal(fed_stream_sub_recv(sub, 5000, count, &a), FED_OK);
	const uint64_t total = 20000;
	for (uint64_t i = 1; i < total; i++)
		assert_int_equal(
		    fed_stream_publish(pub, "d/x", ts, v, 100, NULL), FED_OK);
	while (fed_stream_sub_recv(sub, 300, count, &a) == FED_OK)
		;
	// One more after the queues are empty: it arrives and closes the
	// books.
	assert_int_equal(
	    fed_stream_publish(pub, "d/x", ts, v, 1, NULL), FED_OK);
	for (int i = 0; i < 100 && a.last_seq != total + 1; i++)
		fed_stream_sub_recv(sub, 100, count, &a);
	assert_int_equal(a.last_seq, total + 1);
	assert_int_equal(a.delivered + a.missed, total + 1);
	assert_true(a.n_gaps > 0);
	assert_true(a.in_order);
	print_message("delivered %llu, missed %llu in %llu gaps\n",
	    (unsigned long long) a.delivered, (unsigned long long) a.missed,
	    (unsigned long long) a.n_gaps);
	fed_stream_sub_free(sub);
	fed_stream_pub_free(pub);
}

// A relay started before its publisher exists: once both sides are
// connected, the frames of the series it carries reach its subscriber with
// the publisher's sequence numbers and epoch, '!' topics it carries too;
// other series do not pass. Bad options are refused.
static void
test_relay(void **state)
{
	(void) state;
	char up[256], down[256];
	fed_test_ipc_url(up, sizeof(up), "relayup");
	fed_test_ipc_url(down, sizeof(down), "relaydown");
	const char *patterns[] = {"kermelo/", "!alarm"};
	fed_stream_relay_opts o = {.upstream = up,
	    .listen = down,
	    .patterns = patterns,
	    .n_patterns = 2};
	fed_stream_relay *relay = NULL;
	assert_int_equal(fed_stream_relay_new(&o, &relay), FED_OK);
	fed_stream_pub *pub = NULL;
	assert_int_equal(fed_stream_pub_new(&pub), FED_OK);
	assert_int_equal(fed_stream_pub_listen(pub, up, NULL), FED_OK);
	fed_stream_sub *sub = new_sub(down, 0);
	assert_int_equal(fed_stream_sub_subscribe(sub, ""), FED_OK);
	int64_t ts[3] = {1000, 2000, 3000};
	double v[3] = {1.5, -2.25, 1e300};
	struct rec r = {0};
	for (int i = 0; i < 500 && r.n == 0; i++) {
		fed_stream_publish(pub, "kermelo/probe", ts, v, 1, NULL);
		fed_stream_sub_recv(sub, 10, record, &r);
	}
	assert_true(r.n > 0);
	while (fed_stream_sub_recv(sub, 100, record, &r) == FED_OK)
		;
	uint64_t seq = 0;
	assert_int_equal(
	    fed_stream_publish(pub, "bmhs/house/energy", ts, v, 1, NULL),
	    FED_OK);
	assert_int_equal(
	    fed_stream_publish(pub, "kermelo/pv/energy", ts, v, 3, NULL),
	    FED_OK);
	assert_int_equal(
	    fed_stream_publish(pub, "kermelo/pv/energy", ts, v, 2, &seq),
	    FED_OK);
	Enfed__V1__HealthCheckResponse h
	    = ENFED__V1__HEALTH_CHECK_RESPONSE__INIT;
	assert_int_equal(
	    fed_stream_publish_msg(pub, "!alarm", &h.base), FED_OK);
	struct rec got = {0};
	while (fed_stream_sub_recv(sub, 300, record, &got) == FED_OK)
		;
	assert_int_equal(got.n, 3);
	assert_string_equal(got.series[0], "kermelo/pv/energy");
	assert_int_equal(got.kind[0], FED_STREAM_POINTS);
	assert_int_equal(got.npts[0], 3);
	assert_int_equal(got.seq[0], 1);
	assert_int_equal(got.seq[1], seq);
	assert_int_equal(got.kind[2], FED_STREAM_MSG);
	assert_string_equal(got.series[2], "!alarm");
	fed_stream_relay_stats st;
	fed_stream_relay_get_stats(relay, &st);
	assert_true(st.forwarded >= 4); // a probe or more, and the three
	assert_int_equal(st.failed, 0);
	fed_stream_sub_free(sub);
	fed_stream_pub_free(pub);
	fed_stream_relay_free(relay);

	fed_stream_relay *bad = NULL;
	const char *space[] = {"a b"};
	fed_stream_relay_opts b = {.upstream = up,
	    .listen = down,
	    .patterns = space,
	    .n_patterns = 1};
	assert_int_equal(fed_stream_relay_new(&b, &bad), FED_INVALID_ARGUMENT);
	b = (fed_stream_relay_opts) {.upstream = up, .listen = "foo://x"};
	assert_int_equal(fed_stream_relay_new(&b, &bad), FED_INVALID_ARGUMENT);
	b = (fed_stream_relay_opts) {.listen = down};
	assert_int_equal(fed_stream_relay_new(&b, &bad), FED_INVALID_ARGUMENT);
	assert_null(bad);
}

// Waits up to 5 s for pub to hold want subscribers; the count it holds.
static size_t
wait_subscribers(fed_stream_pub *pub, size_t want)
{
	size_t n = 0;
	for (int i = 0;
	     i < 500 && (n = fed_stream_pub_n_subscribers(pub)) != want; i++)
		fed_test_sleep_ms(10);
	return n;
}

// Subscribers' connections are bounded: under a descriptor limit of 1,024
// a publisher holds 128; those beyond are closed as they arrive, however
// often they redial, and one that leaves makes room for another.
static void
test_subscriber_bound(void **state)
{
	(void) state;
	struct rlimit was, low;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &was), 0);
	if (was.rlim_max != RLIM_INFINITY && was.rlim_max < 1024)
		skip();
	low = (struct rlimit) {.rlim_cur = 1024, .rlim_max = was.rlim_max};
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	enum {
		BOUND = 1024 / 8,
		EXTRA = 8,
		N = BOUND + EXTRA
	};
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", fed_test_free_port());
	fed_stream_pub *pub = NULL;
	assert_int_equal(fed_stream_pub_new(&pub), FED_OK);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
	assert_int_equal(fed_stream_pub_listen(pub, url, NULL), FED_OK);
	nng_socket subs[N];
	for (int i = 0; i < N; i++) {
		assert_int_equal(nng_sub0_open(&subs[i]), 0);
		assert_int_equal(
		    nng_dial(subs[i], url, NULL, NNG_FLAG_NONBLOCK), 0);
	}
	assert_int_equal(wait_subscribers(pub, BOUND), BOUND);
	// The extra ones keep redialling; the bound holds.
	fed_test_sleep_ms(300);
	assert_int_equal(fed_stream_pub_n_subscribers(pub), BOUND);
	for (int i = 0; i < EXTRA + 1; i++)
		nng_close(subs[i]);
	// The redialling ones take the free places, up to the bound again.
	assert_int_equal(
	    wait_subscribers(pub, N - (EXTRA + 1)), N - (EXTRA + 1));
	for (int i = EXTRA + 1; i < N; i++)
		nng_close(subs[i]);
	assert_int_equal(wait_subscribers(pub, 0), 0);
	fed_stream_pub_free(pub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_topics),
	    cmocka_unit_test(test_no_subscriber),
	    cmocka_unit_test(test_gaps),
	    cmocka_unit_test(test_burst),
	    cmocka_unit_test(test_forced_drops),
	    cmocka_unit_test(test_relay),
	    cmocka_unit_test(test_subscriber_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
