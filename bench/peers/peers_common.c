// SPDX-License-Identifier: MIT
//
// peers_common.c: data, measurement loops, a fed-node process and output
// for the bench/peers drivers (see peers_common.h).

#include "peers_common.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed_test.h"
#include "sim_model.h"

#define MAX_TRACKED 8
#define WARM_CALLS  200

void
peers_fill(uint64_t seed, int64_t start_ms, size_t n, double *out)
{
	fed_status st;
	if (seed % 2 == 0) {
		sim_house h;
		sim_house_defaults(&h);
		st = sim_house_fill_wh(
		    &h, seed, start_ms, PEERS_SLOT_MS, n, out);
	} else {
		sim_pv pv;
		sim_pv_defaults(&pv);
		st = sim_pv_plant_fill_wh(
		    &pv, seed, start_ms, PEERS_SLOT_MS, n, out);
	}
	if (st != FED_OK) {
		fprintf(stderr, "peers: simulator: %s\n", fed_status_name(st));
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (double) (int64_t) (out[i] + 0.5);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
	return (x > y) - (x < y);
}

double
peers_quantile_us(int64_t *ns, size_t n, double q)
{
	if (n == 0)
		return 0;
	qsort(ns, n, sizeof(*ns), cmp_i64);
	size_t i = (size_t) (q * (double) (n - 1) + 0.5);
	return (double) ns[i] / 1e3;
}

int
peers_latency(const peers_rpc *r, int n_calls, double *med_us, double *p99_us)
{
	void *cli = r->open(r->cfg);
	int64_t *ns = calloc((size_t) n_calls, sizeof(*ns));
	int rc = cli && ns ? 0 : -1;
	for (int i = 0; rc == 0 && i < WARM_CALLS; i++)
		rc = r->call(cli, r->arg);
	for (int i = 0; rc == 0 && i < n_calls; i++) {
		int64_t t = fed_clock_mono_ns();
		rc = r->call(cli, r->arg);
		ns[i] = fed_clock_mono_ns() - t;
	}
	if (rc == 0) {
		*med_us = peers_quantile_us(ns, (size_t) n_calls, 0.5);
		*p99_us = peers_quantile_us(ns, (size_t) n_calls, 0.99);
	}
	free(ns);
	if (cli)
		r->close(cli);
	return rc ? -1 : 0;
}

struct rate_thread {
	const peers_rpc *r;
	void *cli;
	atomic_int *stop;
	uint64_t max_calls, done;
	int failed;
};

static void *
rate_main(void *arg)
{
	struct rate_thread *t = arg;
	while (!atomic_load(t->stop) && t->done < t->max_calls) {
		if (t->r->call(t->cli, t->r->arg) != 0) {
			t->failed = 1;
			break;
		}
		t->done++;
	}
	return NULL;
}

double
peers_rate(const peers_rpc *r, int n_clients, int dur_ms, uint64_t max_calls)
{
	struct rate_thread *t = calloc((size_t) n_clients, sizeof(*t));
	pthread_t *th = calloc((size_t) n_clients, sizeof(*th));
	atomic_int stop = 0;
	int failed = 0;
	for (int i = 0; i < n_clients; i++) {
		t[i] = (struct rate_thread) {.r = r,
		    .cli = r->open(r->cfg),
		    .stop = &stop,
		    .max_calls = max_calls};
		failed |= t[i].cli == NULL;
	}
	int64_t t0 = fed_clock_mono_ns();
	for (int i = 0; !failed && i < n_clients; i++)
		pthread_create(&th[i], NULL, rate_main, &t[i]);
	while (
	    !failed && fed_clock_mono_ns() - t0 < (int64_t) dur_ms * 1000000)
		peers_sleep_us(10000);
	atomic_store(&stop, 1);
	uint64_t done = 0;
	for (int i = 0; i < n_clients; i++) {
		if (!failed)
			pthread_join(th[i], NULL);
		done += t[i].done;
		failed |= t[i].failed;
	}
	double secs = (double) (fed_clock_mono_ns() - t0) / 1e9;
	for (int i = 0; i < n_clients; i++)
		if (t[i].cli)
			r->close(t[i].cli);
	free(t);
	free(th);
	return failed ? -1 : (double) done / secs;
}

// --- fed-node -------------------------------------------------------------

void
peers_node_start(
    peers_node *n, const char *bin, const char *dir, const char *const *extra)
{
	int rp = fed_test_free_port(), sp = fed_test_free_port();
	for (int i = 0; i < 100 && sp == rp; i++)
		sp = fed_test_free_port();
	snprintf(n->rpc_url, sizeof(n->rpc_url), "tcp://127.0.0.1:%d", rp);
	snprintf(
	    n->stream_url, sizeof(n->stream_url), "tcp://127.0.0.1:%d", sp);
	n->pid = fed_test_node_start_ex(bin, "node", dir, n->rpc_url,
	    n->stream_url, PEERS_TOKEN, NULL, extra);
	if (n->pid < 0) {
		fprintf(stderr,
		    "peers: fed-node did not start (%s/node.log)\n", dir);
		exit(1);
	}
	peers_track(n->pid);
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = n->rpc_url;
	o.token = PEERS_TOKEN;
	o.timeout_ms = 120000;
	if (fed_rpc_client_new(&o, &n->rpc) != FED_OK) {
		fprintf(stderr, "peers: rpc client\n");
		exit(1);
	}
}

void
peers_node_stop(peers_node *n)
{
	fed_rpc_client_free(n->rpc);
	n->rpc = NULL;
	fed_test_proc_stop(n->pid, SIGTERM, 60000);
	peers_forget(n->pid);
}

void
peers_node_call(peers_node *n, const char *method, const ProtobufCMessage *req)
{
	ProtobufCMessage *rep = NULL;
	char err[256] = "";
	fed_status st
	    = fed_rpc_call(n->rpc, &enfed__v1__series_store__descriptor,
	        method, req, &rep, err, sizeof(err));
	if (st != FED_OK) {
		fprintf(stderr, "peers: %s: %s %s\n", method,
		    fed_status_name(st), err);
		exit(1);
	}
	protobuf_c_message_free_unpacked(rep, NULL);
}

void
peers_sleep_us(int64_t us)
{
	if (us <= 0)
		return;
	struct timespec ts
	    = {(time_t) (us / 1000000), (long) (us % 1000000) * 1000};
	nanosleep(&ts, NULL);
}

// --- output and cleanup ---------------------------------------------------

void
peers_print(const char *name, double value, const char *unit)
{
	if (value >= 100)
		printf("%s %.0f %s\n", name, value, unit);
	else
		printf("%s %.3g %s\n", name, value, unit);
	fflush(stdout);
}

void
peers_ratio(const char *name, double a, double b)
{
	printf("%s %.2f x\n", name, b > 0 ? a / b : 0);
	fflush(stdout);
}

static volatile sig_atomic_t tracked[MAX_TRACKED];

static void
kill_tracked(void)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] > 0)
			kill((pid_t) tracked[i], SIGKILL);
}

static void
on_signal(int sig)
{
	kill_tracked();
	_exit(128 + sig);
}

void
peers_track(int pid)
{
	static int once;
	if (!once) {
		once = 1;
		atexit(kill_tracked);
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
	}
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] == 0) {
			tracked[i] = pid;
			return;
		}
}

void
peers_forget(int pid)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] == pid)
			tracked[i] = 0;
}
