// SPDX-License-Identifier: MIT
//
// fed/metrics.h: figures an operator can scrape, in the Prometheus text
// exposition format 0.0.4, served at /metrics on --metrics-listen.
//
// A registry holds families (a name, a help line, a type, a fixed list of
// at most FED_METRICS_MAX_LABELS label names). A family's series come from
// two sources, which may be mixed:
//
//   - children, one per set of label values, created once (under the
//     registry's mutex) and then updated with atomics only, so that the hot
//     path (an RPC call counting itself) takes no lock: keep the fed_metric
//     pointer and call fed_metric_add / _set / _observe on it;
//   - collectors, functions called at scrape time that emit values (store
//     size, outbox depth per grant, a spool's depth): figures that already
//     exist somewhere are read there, not counted twice.
//
// Families are rendered in the order they were first registered, children
// in creation order, then what each collector emits. Names follow the
// Prometheus conventions: enfed_<what>_<unit> with _total on counters
// (docs/operations.md lists every one).
//
// Every update function accepts NULL and does nothing then, so that a
// program whose registration failed (out of memory) still runs, without
// that figure. The process has one default registry (fed_metrics_default),
// which lib/ and the programs use; tests may make their own.
//
// What a label may hold is restricted by docs/security.md (Metrics): never a
// series id, an owner or a token; label values come from fixed lists in the
// code (method names the server knows, status names, reasons), never
// straight from a request.

#ifndef FED_METRICS_H
#define FED_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fed/cfg.h"
#include "fed/status.h"

#define FED_METRICS_MAX_LABELS  4
#define FED_METRICS_MAX_BUCKETS 20
// Children per family: more are refused (RESOURCE_EXHAUSTED), a bound on
// the memory and on the size of a scrape.
#define FED_METRICS_MAX_CHILDREN 4096

typedef struct fed_metrics fed_metrics;
typedef struct fed_metrics_family fed_metrics_family;
typedef struct fed_metric fed_metric;
typedef struct fed_metrics_collector fed_metrics_collector;
typedef struct fed_metrics_sink fed_metrics_sink;
typedef struct fed_metrics_server fed_metrics_server;

typedef enum fed_metric_type {
	FED_METRIC_COUNTER,
	FED_METRIC_GAUGE,
	FED_METRIC_HISTOGRAM,
} fed_metric_type;

// Flags of a family.
enum {
	// Children of a counter or histogram that are still at zero are not
	// rendered (a method x status matrix created in advance shows only
	// what happened).
	FED_METRICS_SPARSE = 1u << 0,
};

// A family's description. Strings are borrowed and must outlive the
// registry (string literals). For a histogram, buckets holds the upper
// bounds, strictly increasing, finite; +Inf is implied.
typedef struct fed_metrics_desc {
	const char *name; // [a-zA-Z_:][a-zA-Z0-9_:]*
	const char *help; // one line
	fed_metric_type type;
	const char *labels[FED_METRICS_MAX_LABELS]; // [a-zA-Z_][a-zA-Z0-9_]*
	size_t n_labels;
	const double *buckets;
	size_t n_buckets; // 1..FED_METRICS_MAX_BUCKETS for a histogram
	unsigned flags; // FED_METRICS_SPARSE
} fed_metrics_desc;

// Bounds in seconds for call durations: 0.1 ms to 10 s.
extern const double fed_metrics_seconds_buckets[];
extern const size_t fed_metrics_n_seconds_buckets;

// The process's registry (static storage: never NULL, never freed).
fed_metrics *fed_metrics_default(void);

// A new empty registry in *out, freed with fed_metrics_free. OK or
// RESOURCE_EXHAUSTED.
fed_status fed_metrics_new(fed_metrics **out);

// Frees m, its families and children. No collector may run any more and
// no fed_metric pointer of m may be used after it. NULL does nothing; the
// default registry is never freed.
void fed_metrics_free(fed_metrics *m);

// The family named d->name in m: created from d (copied; its strings
// borrowed) if there is none, else the existing one, if it has the same
// type, label names and buckets. OK; INVALID_ARGUMENT for a bad name,
// label or bucket list, or a family of that name that differs;
// RESOURCE_EXHAUSTED. Takes m's mutex.
fed_status fed_metrics_family_get(
    fed_metrics *m, const fed_metrics_desc *d, fed_metrics_family **out);

// The child of f with these label values (f's n_labels of them, copied;
// any bytes: they are escaped when rendered), created at zero if new. The
// pointer stays valid as long as the registry. OK; INVALID_ARGUMENT for a
// NULL value; RESOURCE_EXHAUSTED past FED_METRICS_MAX_CHILDREN or when
// memory is short. Takes the registry's mutex: call it once, keep the
// pointer.
fed_status fed_metrics_child(
    fed_metrics_family *f, const char *const *label_values, fed_metric **out);

// A child without labels of a new or existing family of m; NULL when it
// cannot be had (logged at ERR). For the common case: one figure.
fed_metric *fed_metrics_counter(
    fed_metrics *m, const char *name, const char *help);
fed_metric *fed_metrics_gauge(
    fed_metrics *m, const char *name, const char *help);

// Updates, lock-free, from any thread; NULL does nothing. add is for
// counters and gauges: a counter holds an integer and only goes up (it
// adds the integer part of v >= 1; less, negative or NaN is ignored); set
// for gauges; observe for histograms (NaN ignored). A call of the wrong
// kind does nothing.
void fed_metric_add(fed_metric *c, double v);
void fed_metric_inc(fed_metric *c);
void fed_metric_set(fed_metric *c, double v);
void fed_metric_observe(fed_metric *c, double v);

// A child's current value (a histogram's: its count). For tests.
double fed_metric_value(const fed_metric *c);

// Called at each scrape, under the registry's mutex, on the thread that
// renders (nng's HTTP thread): it must not block for long nor touch the
// registry (no fed_metrics_* call but fed_metrics_emit). arg is borrowed.
typedef void (*fed_metrics_collect_fn)(fed_metrics_sink *sink, void *arg);

// Emits one value of the collector's family, with its n_labels label
// values (copied into the output). For a counter or a gauge only.
void fed_metrics_emit(
    fed_metrics_sink *sink, const char *const *label_values, double v);

// Adds fn as a source of the family d (created as by fed_metrics_family_get,
// not a histogram). arg must stay valid until fed_metrics_collector_free.
// OK; as fed_metrics_family_get; INVALID_ARGUMENT for a histogram.
fed_status fed_metrics_collector_new(fed_metrics *m, const fed_metrics_desc *d,
    fed_metrics_collect_fn fn, void *arg, fed_metrics_collector **out);

// Removes a collector: it is not called any more when this returns (waits
// for a scrape in progress). Call it before freeing what fn reads. NULL
// does nothing.
void fed_metrics_collector_free(fed_metrics_collector *c);

// Renders m in the text format 0.0.4 into a heap buffer (*out,
// NUL-terminated, *len bytes without the NUL), the caller's to free. OK or
// RESOURCE_EXHAUSTED.
fed_status fed_metrics_render(fed_metrics *m, char **out, size_t *len);

// --- Serving ----------------------------------------------------------------

// The --metrics-listen row of every program's option table, into the
// char * field `field` of T: empty (the default) serves nothing.
#define FED_CFG_OPT_METRICS(T, field)                                       \
	FED_CFG_OPT_STRING_LEN(T, field, "metrics-listen", "", 0, 4000,     \
	    "serve Prometheus metrics at /metrics on this http:// address " \
	    "(e.g. http://127.0.0.1:9464; empty: none; docs/operations.md)")

// Serves the default registry at /metrics (GET) on url, "http://host:port"
// (port 0 picks a free one: see fed_metrics_server_port). program ("fed-node")
// is shown as enfed_build_info{program,version}. url NULL or "" serves
// nothing: OK with *out NULL. INVALID_ARGUMENT for another scheme or a bad
// URL; UNAVAILABLE when the address cannot be bound. Errors are logged
// under "metrics". Scrapes run on nng's threads.
fed_status fed_metrics_listen(
    const char *url, const char *program, fed_metrics_server **out);

// The TCP port the server listens on (0 if unknown).
int fed_metrics_server_port(const fed_metrics_server *s);

// Stops serving (a scrape in progress finishes first) and frees s. NULL
// does nothing.
void fed_metrics_server_free(fed_metrics_server *s);

// --- Hooks for lib/
// -----------------------------------------------------------

// Counts a TLS handshake that failed (enfed_tls_handshake_failures_total),
// for the transport to call where it sees one. Lock-free, any thread.
void fed_metrics_tls_handshake_failure(void);

// Counts a socket close that nng did not finish in time
// (enfed_socket_close_stuck_total; lib/transport.c).
void fed_metrics_socket_close_stuck(void);

// Counts a stream frame handed to the publishing socket (sent true:
// enfed_stream_frames_sent_total) or refused by it (false:
// enfed_stream_frames_dropped_total). Lock-free, any thread.
void fed_metrics_stream_frame(bool sent);

// Counts an HTTP response by class of its status
// (enfed_http_requests_total{code="2xx|3xx|4xx|5xx"}), for fed-web's
// server. Lock-free, any thread.
void fed_metrics_http_response(unsigned status);

#endif // FED_METRICS_H
