// SPDX-License-Identifier: MIT
//
// metrics.c: the metrics registry, its rendering in the Prometheus text
// format 0.0.4, and the counters lib/ updates through hooks (TLS, stream
// frames, HTTP responses). Serving is metrics_http.c's.
//
// The registry's mutex guards its structure (families, children,
// collectors) and is taken to create, to render and to remove; values
// live in atomics, so that updating a child never waits. Counters hold an
// integer; gauges and histogram sums a double in a 64-bit atomic, updated
// by compare-and-swap.

#include "fed/metrics.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/log.h"

const double fed_metrics_seconds_buckets[] = {0.0001, 0.00025, 0.0005, 0.001,
    0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const size_t fed_metrics_n_seconds_buckets
    = sizeof(fed_metrics_seconds_buckets)
    / sizeof(fed_metrics_seconds_buckets[0]);

struct fed_metric {
	fed_metrics_family *fam;
	char *values[FED_METRICS_MAX_LABELS];
	atomic_uint_fast64_t n; // counter value; histogram: unused
	atomic_uint_fast64_t bits; // gauge value, histogram sum (a double)
	atomic_uint_fast64_t buckets[]; // histogram: n_buckets + 1 (+Inf)
};

struct fed_metrics_collector {
	fed_metrics_family *fam;
	fed_metrics_collect_fn fn;
	void *arg;
	fed_metrics_collector *next;
};

struct fed_metrics_family {
	fed_metrics *reg;
	fed_metrics_desc d;
	double buckets[FED_METRICS_MAX_BUCKETS];
	fed_metric **children;
	size_t n_children, cap_children;
	fed_metrics_collector *collectors;
	fed_metrics_family *next;
};

struct fed_metrics {
	pthread_mutex_t mu;
	fed_metrics_family *head, **tail;
};

static fed_metrics default_registry
    = {PTHREAD_MUTEX_INITIALIZER, NULL, &default_registry.head};

fed_metrics *
fed_metrics_default(void)
{
	return &default_registry;
}

fed_status
fed_metrics_new(fed_metrics **out)
{
	fed_metrics *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return FED_RESOURCE_EXHAUSTED;
	pthread_mutex_init(&m->mu, NULL);
	m->tail = &m->head;
	*out = m;
	return FED_OK;
}

static void
family_free(fed_metrics_family *f)
{
	for (size_t i = 0; i < f->n_children; i++) {
		for (size_t k = 0; k < f->d.n_labels; k++)
			free(f->children[i]->values[k]);
		free(f->children[i]);
	}
	while (f->collectors != NULL) {
		fed_metrics_collector *c = f->collectors;
		f->collectors = c->next;
		free(c);
	}
	free(f->children);
	free(f);
}

void
fed_metrics_free(fed_metrics *m)
{
	if (m == NULL || m == &default_registry)
		return;
	while (m->head != NULL) {
		fed_metrics_family *f = m->head;
		m->head = f->next;
		family_free(f);
	}
	pthread_mutex_destroy(&m->mu);
	free(m);
}

// --- Families ---------------------------------------------------------------

static bool
valid_name(const char *s, bool colon)
{
	if (s == NULL || s[0] == '\0' || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (; *s != '\0'; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		        || (c >= '0' && c <= '9') || c == '_'
		        || (colon && c == ':')))
			return false;
	}
	return true;
}

static bool
valid_desc(const fed_metrics_desc *d)
{
	if (!valid_name(d->name, true) || d->help == NULL
	    || d->n_labels > FED_METRICS_MAX_LABELS
	    || (unsigned) d->type > FED_METRIC_HISTOGRAM)
		return false;
	for (size_t i = 0; i < d->n_labels; i++)
		if (!valid_name(d->labels[i], false)
		    || strncmp(d->labels[i], "__", 2) == 0
		    || (d->type == FED_METRIC_HISTOGRAM
		        && strcmp(d->labels[i], "le") == 0))
			return false;
	if (d->type != FED_METRIC_HISTOGRAM)
		return true;
	if (d->buckets == NULL || d->n_buckets == 0
	    || d->n_buckets > FED_METRICS_MAX_BUCKETS)
		return false;
	for (size_t i = 0; i < d->n_buckets; i++)
		if (!isfinite(d->buckets[i])
		    || (i > 0 && d->buckets[i] <= d->buckets[i - 1]))
			return false;
	return true;
}

static bool
same_shape(const fed_metrics_family *f, const fed_metrics_desc *d)
{
	if (f->d.type != d->type || f->d.n_labels != d->n_labels)
		return false;
	for (size_t i = 0; i < d->n_labels; i++)
		if (strcmp(f->d.labels[i], d->labels[i]) != 0)
			return false;
	if (d->type != FED_METRIC_HISTOGRAM)
		return true;
	return f->d.n_buckets == d->n_buckets
	    && memcmp(f->buckets, d->buckets, d->n_buckets * sizeof(double))
	    == 0;
}

// Finds or creates; the caller holds m->mu.
static fed_status
family_locked(
    fed_metrics *m, const fed_metrics_desc *d, fed_metrics_family **out)
{
	for (fed_metrics_family *f = m->head; f != NULL; f = f->next) {
		if (strcmp(f->d.name, d->name) != 0)
			continue;
		if (!same_shape(f, d))
			return FED_INVALID_ARGUMENT;
		*out = f;
		return FED_OK;
	}
	fed_metrics_family *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return FED_RESOURCE_EXHAUSTED;
	f->reg = m;
	f->d = *d;
	if (d->type == FED_METRIC_HISTOGRAM) {
		memcpy(f->buckets, d->buckets, d->n_buckets * sizeof(double));
		f->d.buckets = f->buckets;
	} else {
		f->d.buckets = NULL;
		f->d.n_buckets = 0;
	}
	*m->tail = f;
	m->tail = &f->next;
	*out = f;
	return FED_OK;
}

fed_status
fed_metrics_family_get(
    fed_metrics *m, const fed_metrics_desc *d, fed_metrics_family **out)
{
	if (m == NULL || d == NULL || !valid_desc(d))
		return FED_INVALID_ARGUMENT;
	pthread_mutex_lock(&m->mu);
	fed_status st = family_locked(m, d, out);
	pthread_mutex_unlock(&m->mu);
	return st;
}

static fed_metric *
find_child(const fed_metrics_family *f, const char *const *values)
{
	for (size_t i = 0; i < f->n_children; i++) {
		size_t k = 0;
		while (k < f->d.n_labels
		    && strcmp(f->children[i]->values[k], values[k]) == 0)
			k++;
		if (k == f->d.n_labels)
			return f->children[i];
	}
	return NULL;
}

static fed_metric *
new_child(fed_metrics_family *f, const char *const *values)
{
	size_t nb = f->d.type == FED_METRIC_HISTOGRAM ? f->d.n_buckets + 1 : 0;
	fed_metric *c = calloc(1, sizeof(*c) + nb * sizeof(c->buckets[0]));
	if (c == NULL)
		return NULL;
	c->fam = f;
	for (size_t k = 0; k < f->d.n_labels; k++) {
		c->values[k] = strdup(values[k]);
		if (c->values[k] != NULL)
			continue;
		while (k-- > 0)
			free(c->values[k]);
		free(c);
		return NULL;
	}
	return c;
}

// The caller holds the registry's mutex.
static fed_status
child_locked(
    fed_metrics_family *f, const char *const *values, fed_metric **out)
{
	if ((*out = find_child(f, values)) != NULL)
		return FED_OK;
	if (f->n_children == FED_METRICS_MAX_CHILDREN)
		return FED_RESOURCE_EXHAUSTED;
	if (f->n_children == f->cap_children) {
		size_t cap = f->cap_children ? f->cap_children * 2 : 8;
		fed_metric **nc = realloc(f->children, cap * sizeof(*nc));
		if (nc == NULL)
			return FED_RESOURCE_EXHAUSTED;
		f->children = nc;
		f->cap_children = cap;
	}
	fed_metric *c = new_child(f, values);
	if (c == NULL)
		return FED_RESOURCE_EXHAUSTED;
	f->children[f->n_children++] = c;
	*out = c;
	return FED_OK;
}

fed_status
fed_metrics_child(
    fed_metrics_family *f, const char *const *label_values, fed_metric **out)
{
	*out = NULL;
	if (f == NULL || (f->d.n_labels > 0 && label_values == NULL))
		return FED_INVALID_ARGUMENT;
	for (size_t k = 0; k < f->d.n_labels; k++)
		if (label_values[k] == NULL)
			return FED_INVALID_ARGUMENT;
	pthread_mutex_lock(&f->reg->mu);
	fed_status st = child_locked(f, label_values, out);
	pthread_mutex_unlock(&f->reg->mu);
	return st;
}

static fed_metric *
plain(fed_metrics *m, fed_metric_type type, const char *name, const char *help)
{
	fed_metrics_desc d = {.name = name, .help = help, .type = type};
	fed_metrics_family *f = NULL;
	fed_metric *c = NULL;
	fed_status st = fed_metrics_family_get(m, &d, &f);
	if (st == FED_OK)
		st = fed_metrics_child(f, NULL, &c);
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, "metrics", "%s: %s", name,
		    fed_status_str(st));
	return c;
}

fed_metric *
fed_metrics_counter(fed_metrics *m, const char *name, const char *help)
{
	return plain(m, FED_METRIC_COUNTER, name, help);
}

fed_metric *
fed_metrics_gauge(fed_metrics *m, const char *name, const char *help)
{
	return plain(m, FED_METRIC_GAUGE, name, help);
}

// --- Updates ----------------------------------------------------------------

static uint64_t
dbl_bits(double v)
{
	uint64_t b;
	memcpy(&b, &v, sizeof(b));
	return b;
}

static double
bits_dbl(uint64_t b)
{
	double v;
	memcpy(&v, &b, sizeof(v));
	return v;
}

static void
add_double(atomic_uint_fast64_t *a, double v)
{
	uint_fast64_t old = atomic_load_explicit(a, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(a, &old,
	    dbl_bits(bits_dbl(old) + v), memory_order_relaxed,
	    memory_order_relaxed))
		;
}

void
fed_metric_add(fed_metric *c, double v)
{
	if (c == NULL || isnan(v))
		return;
	if (c->fam->d.type == FED_METRIC_GAUGE)
		add_double(&c->bits, v);
	else if (c->fam->d.type == FED_METRIC_COUNTER && v >= 1)
		atomic_fetch_add_explicit(
		    &c->n, (uint_fast64_t) v, memory_order_relaxed);
}

void
fed_metric_inc(fed_metric *c)
{
	if (c != NULL && c->fam->d.type == FED_METRIC_COUNTER)
		atomic_fetch_add_explicit(&c->n, 1, memory_order_relaxed);
	else
		fed_metric_add(c, 1);
}

void
fed_metric_set(fed_metric *c, double v)
{
	if (c != NULL && c->fam->d.type == FED_METRIC_GAUGE)
		atomic_store_explicit(
		    &c->bits, dbl_bits(v), memory_order_relaxed);
}

void
fed_metric_observe(fed_metric *c, double v)
{
	if (c == NULL || c->fam->d.type != FED_METRIC_HISTOGRAM || isnan(v))
		return;
	const fed_metrics_family *f = c->fam;
	size_t i = 0;
	while (i < f->d.n_buckets && v > f->buckets[i])
		i++;
	atomic_fetch_add_explicit(&c->buckets[i], 1, memory_order_relaxed);
	add_double(&c->bits, v);
}

static uint64_t
hist_count(const fed_metric *c)
{
	uint64_t n = 0;
	for (size_t i = 0; i <= c->fam->d.n_buckets; i++)
		n += atomic_load_explicit(
		    &c->buckets[i], memory_order_relaxed);
	return n;
}

double
fed_metric_value(const fed_metric *c)
{
	if (c == NULL)
		return 0;
	switch (c->fam->d.type) {
	case FED_METRIC_COUNTER:
		return (double) atomic_load(&c->n);
	case FED_METRIC_GAUGE:
		return bits_dbl(atomic_load(&c->bits));
	default:
		return (double) hist_count(c);
	}
}

// --- Collectors -------------------------------------------------------------

fed_status
fed_metrics_collector_new(fed_metrics *m, const fed_metrics_desc *d,
    fed_metrics_collect_fn fn, void *arg, fed_metrics_collector **out)
{
	*out = NULL;
	if (m == NULL || d == NULL || fn == NULL
	    || d->type == FED_METRIC_HISTOGRAM || !valid_desc(d))
		return FED_INVALID_ARGUMENT;
	fed_metrics_collector *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return FED_RESOURCE_EXHAUSTED;
	c->fn = fn;
	c->arg = arg;
	pthread_mutex_lock(&m->mu);
	fed_status st = family_locked(m, d, &c->fam);
	if (st == FED_OK) {
		fed_metrics_collector **p = &c->fam->collectors;
		while (*p != NULL)
			p = &(*p)->next;
		*p = c;
	}
	pthread_mutex_unlock(&m->mu);
	if (st != FED_OK) {
		free(c);
		return st;
	}
	*out = c;
	return FED_OK;
}

void
fed_metrics_collector_free(fed_metrics_collector *c)
{
	if (c == NULL)
		return;
	fed_metrics *m = c->fam->reg;
	pthread_mutex_lock(&m->mu);
	fed_metrics_collector **p = &c->fam->collectors;
	while (*p != NULL && *p != c)
		p = &(*p)->next;
	if (*p == c)
		*p = c->next;
	pthread_mutex_unlock(&m->mu);
	free(c);
}

// --- Rendering --------------------------------------------------------------

struct fed_metrics_sink {
	char *buf;
	size_t len, cap;
	bool failed;
	const fed_metrics_family *fam; // of the collector being called
};

static void
put_mem(fed_metrics_sink *s, const char *p, size_t n)
{
	if (s->failed)
		return;
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n + 1)
			cap *= 2;
		char *nb = realloc(s->buf, cap);
		if (nb == NULL) {
			s->failed = true;
			return;
		}
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

static void
put(fed_metrics_sink *s, const char *str)
{
	put_mem(s, str, strlen(str));
}

// Backslash and newline escaped (HELP); with quote also '"' (label
// values), as the format asks.
static void
put_escaped(fed_metrics_sink *s, const char *str, bool quote)
{
	for (; *str != '\0'; str++) {
		if (*str == '\\')
			put(s, "\\\\");
		else if (*str == '\n')
			put(s, "\\n");
		else if (quote && *str == '"')
			put(s, "\\\"");
		else
			put_mem(s, str, 1);
	}
}

// A float as Prometheus reads it: the shortest decimal that reads back
// the same, +Inf, -Inf or NaN.
static void
put_double(fed_metrics_sink *s, double v)
{
	char b[40];
	if (isnan(v))
		snprintf(b, sizeof(b), "NaN");
	else if (isinf(v))
		snprintf(b, sizeof(b), v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(b, sizeof(b), "%.0f", v);
	else {
		snprintf(b, sizeof(b), "%.15g", v);
		if (strtod(b, NULL) != v)
			snprintf(b, sizeof(b), "%.17g", v);
	}
	put(s, b);
}

static void
put_u64(fed_metrics_sink *s, uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%" PRIu64, v);
	put(s, b);
}

// name{l1="v1",...,extra="ev"} — extra (le) may be NULL.
static void
put_series(fed_metrics_sink *s, const fed_metrics_family *f,
    const char *suffix, const char *const *values, const char *extra,
    const char *extra_value)
{
	put(s, f->d.name);
	put(s, suffix);
	size_t n = f->d.n_labels;
	if (n == 0 && extra == NULL) {
		put(s, " ");
		return;
	}
	put(s, "{");
	for (size_t k = 0; k < n; k++) {
		put(s, k > 0 ? "," : "");
		put(s, f->d.labels[k]);
		put(s, "=\"");
		put_escaped(s, values[k], true);
		put(s, "\"");
	}
	if (extra != NULL) {
		put(s, n > 0 ? "," : "");
		put(s, extra);
		put(s, "=\"");
		put(s, extra_value);
		put(s, "\"");
	}
	put(s, "} ");
}

void
fed_metrics_emit(
    fed_metrics_sink *sink, const char *const *label_values, double v)
{
	const fed_metrics_family *f = sink->fam;
	for (size_t k = 0; k < f->d.n_labels; k++)
		if (label_values == NULL || label_values[k] == NULL)
			return;
	put_series(
	    sink, f, "", (const char *const *) label_values, NULL, NULL);
	put_double(sink, v);
	put(sink, "\n");
}

static void
render_histogram(fed_metrics_sink *s, const fed_metric *c)
{
	const fed_metrics_family *f = c->fam;
	const char *const *values = (const char *const *) c->values;
	uint64_t cum = 0;
	for (size_t i = 0; i <= f->d.n_buckets; i++) {
		char le[40] = "+Inf";
		if (i < f->d.n_buckets) {
			fed_metrics_sink tmp = {0};
			put_double(&tmp, f->buckets[i]);
			snprintf(le, sizeof(le), "%s", tmp.buf ? tmp.buf : "");
			free(tmp.buf);
		}
		cum += atomic_load_explicit(
		    &c->buckets[i], memory_order_relaxed);
		put_series(s, f, "_bucket", values, "le", le);
		put_u64(s, cum);
		put(s, "\n");
	}
	put_series(s, f, "_sum", values, NULL, NULL);
	put_double(s, bits_dbl(atomic_load(&c->bits)));
	put(s, "\n");
	put_series(s, f, "_count", values, NULL, NULL);
	put_u64(s, cum);
	put(s, "\n");
}

static void
render_child(fed_metrics_sink *s, const fed_metric *c)
{
	const fed_metrics_family *f = c->fam;
	bool sparse = f->d.flags & FED_METRICS_SPARSE;
	if (f->d.type == FED_METRIC_HISTOGRAM) {
		if (!sparse || hist_count(c) > 0)
			render_histogram(s, c);
		return;
	}
	if (f->d.type == FED_METRIC_COUNTER) {
		uint64_t n = atomic_load(&c->n);
		if (sparse && n == 0)
			return;
		put_series(
		    s, f, "", (const char *const *) c->values, NULL, NULL);
		put_u64(s, n);
	} else {
		put_series(
		    s, f, "", (const char *const *) c->values, NULL, NULL);
		put_double(s, bits_dbl(atomic_load(&c->bits)));
	}
	put(s, "\n");
}

static const char *const type_names[] = {"counter", "gauge", "histogram"};

// A family without a sample is left out whole (a method matrix before the
// first call, a collector with nothing to say).
static void
render_family(fed_metrics_sink *s, fed_metrics_family *f)
{
	size_t start = s->len;
	put(s, "# HELP ");
	put(s, f->d.name);
	put(s, " ");
	put_escaped(s, f->d.help, false);
	put(s, "\n# TYPE ");
	put(s, f->d.name);
	put(s, " ");
	put(s, type_names[f->d.type]);
	put(s, "\n");
	size_t header_end = s->len;
	for (size_t i = 0; i < f->n_children; i++)
		render_child(s, f->children[i]);
	for (fed_metrics_collector *c = f->collectors; c != NULL;
	     c = c->next) {
		s->fam = f;
		c->fn(s, c->arg);
	}
	if (s->len == header_end && !s->failed) {
		s->len = start;
		s->buf[start] = '\0';
	}
}

fed_status
fed_metrics_render(fed_metrics *m, char **out, size_t *len)
{
	fed_metrics_sink s = {0};
	put(&s, ""); // an empty registry still gives a string
	pthread_mutex_lock(&m->mu);
	for (fed_metrics_family *f = m->head; f != NULL; f = f->next)
		render_family(&s, f);
	pthread_mutex_unlock(&m->mu);
	if (s.failed) {
		free(s.buf);
		return FED_RESOURCE_EXHAUSTED;
	}
	*out = s.buf;
	*len = s.len;
	return FED_OK;
}

// --- Hooks ------------------------------------------------------------------

static fed_metric *tls_failures;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void
tls_init(void)
{
	tls_failures = fed_metrics_counter(fed_metrics_default(),
	    "enfed_tls_handshake_failures_total",
	    "TLS handshakes that failed (bad or unknown certificate, "
	    "protocol error)");
}

void
fed_metrics_tls_handshake_failure(void)
{
	pthread_once(&tls_once, tls_init);
	fed_metric_inc(tls_failures);
}

static fed_metric *stuck_closes;
static pthread_once_t stuck_once = PTHREAD_ONCE_INIT;

static void
stuck_init(void)
{
	stuck_closes = fed_metrics_counter(fed_metrics_default(),
	    "enfed_socket_close_stuck_total",
	    "socket closes that nng did not finish within 2 s (its reaper "
	    "is stuck: restart the program when convenient)");
}

void
fed_metrics_socket_close_stuck(void)
{
	pthread_once(&stuck_once, stuck_init);
	fed_metric_inc(stuck_closes);
}

static fed_metric *frames_sent, *frames_dropped;
static pthread_once_t frames_once = PTHREAD_ONCE_INIT;

static void
frames_init(void)
{
	frames_sent = fed_metrics_counter(fed_metrics_default(),
	    "enfed_stream_frames_sent_total",
	    "stream frames handed to the publishing socket");
	frames_dropped = fed_metrics_counter(fed_metrics_default(),
	    "enfed_stream_frames_dropped_total",
	    "stream frames the publishing socket refused (subscribers see a "
	    "gap and back-fill)");
}

void
fed_metrics_stream_frame(bool sent)
{
	pthread_once(&frames_once, frames_init);
	fed_metric_inc(sent ? frames_sent : frames_dropped);
}

static fed_metric *http_codes[4];
static pthread_once_t http_once = PTHREAD_ONCE_INIT;

static void
http_init(void)
{
	static const char *const codes[] = {"2xx", "3xx", "4xx", "5xx"};
	fed_metrics_desc d = {.name = "enfed_http_requests_total",
	    .help = "HTTP requests answered, by class of status",
	    .type = FED_METRIC_COUNTER,
	    .labels = {"code"},
	    .n_labels = 1};
	fed_metrics_family *f = NULL;
	if (fed_metrics_family_get(fed_metrics_default(), &d, &f) != FED_OK)
		return;
	for (size_t i = 0; i < 4; i++)
		(void) fed_metrics_child(
		    f, (const char *[]) {codes[i]}, &http_codes[i]);
}

void
fed_metrics_http_response(unsigned status)
{
	pthread_once(&http_once, http_init);
	if (status >= 200 && status < 600)
		fed_metric_inc(http_codes[status / 100 - 2]);
}
