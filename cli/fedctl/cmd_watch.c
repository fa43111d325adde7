// SPDX-License-Identifier: MIT
//
// cmd_watch.c: `fedctl watch SERIES|PREFIX/...`, the points a node stores,
// as it stores them, from its live stream. The stream may drop frames for
// a slow reader and starts afresh when the node restarts: on such a gap
// (or reset) the points between the last one seen and the next frame are
// fetched by a raw Query before that frame is printed, and stderr says so,
// so nothing is missed. SIGINT and SIGTERM are blocked and polled between
// receives, so Ctrl-C ends the loop cleanly.

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed/stream.h"
#include "fedctl.h"

#define RECV_MS 200

struct watch_cfg {
	uint64_t count;
	int64_t duration_ms;
	fedctl_out_opts out;
};

static const fed_cfg_opt watch_opts[] = {
    FED_CFG_OPT_UINT(struct watch_cfg, count, "count", "0", 0, 0,
        "stop after this many points (0: never)"),
    FED_CFG_OPT_DURATION(struct watch_cfg, duration_ms, "duration", "0", 0, 0,
        "stop after this long (0: never), e.g. 10m"),
    FEDCTL_OUT_OPTS(struct watch_cfg, out),
};

static const fed_cfg_spec watch_spec
    = {"fedctl watch", "SERIES|PREFIX/... [OPTION]...",
        "Prints the points of series as the node stores them: one line per "
        "point, `time series value` (--csv: time,series,value; --json: one "
        "object per line). A prefix ending in '/' watches a subtree. Points "
        "lost by the stream are fetched by a Query (a note on stderr says "
        "so). Ctrl-C stops. Uses --stream for the stream and --node for "
        "back-fill queries.\n"
        "Examples:\n"
        "  fedctl watch kermelo/pv/energy\n"
        "  fedctl watch kermelo/ --json --count 100",
        watch_opts, FED_CFG_N(watch_opts), FED_CFG_ARGV_ONLY};

struct pending {
	char *id;
	int64_t from_ms; // back-fill from here before the next frame; -1 none
};

struct watch {
	fedctl *c;
	uint64_t count, printed;
	struct pending *p;
	size_t n_p;
	fed_status err; // a back-fill failure that ends the watch
};

static bool
done(const struct watch *w)
{
	return w->err != FED_OK || (w->count != 0 && w->printed >= w->count);
}

static void
print_point(struct watch *w, const char *id, int64_t ts, double v)
{
	if (done(w))
		return;
	char t[48], val[40];
	fedctl_time_iso(w->c, ts, t, sizeof(t));
	fedctl_fmt_exact(v, val, sizeof(val));
	if (w->c->format == FEDCTL_JSON)
		printf(
		    "{\"t\":\"%s\",\"ts_ms\":%lld,\"series\":\"%s\",\"v\":%s}"
		    "\n",
		    t, (long long) ts, id, val);
	else if (w->c->format == FEDCTL_CSV)
		printf("%s,%s,%s\n", t, id, val);
	else
		printf("%s  %s  %s\n", t, id, val);
	w->printed++;
}

static struct pending *
pending_for(struct watch *w, const char *id)
{
	for (size_t i = 0; i < w->n_p; i++)
		if (strcmp(w->p[i].id, id) == 0)
			return &w->p[i];
	struct pending *np = realloc(w->p, (w->n_p + 1) * sizeof(*np));
	if (np == NULL)
		return NULL;
	w->p = np;
	np[w->n_p].id = strdup(id);
	np[w->n_p].from_ms = -1;
	if (np[w->n_p].id == NULL)
		return NULL;
	return &np[w->n_p++];
}

// Fetches and prints the points of id in [from, to).
static void
backfill(struct watch *w, const char *id, int64_t from, int64_t to)
{
	if (from >= to)
		return;
	Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
	r.from_ms = from;
	r.to_ms = to;
	char *ids[1] = {(char *) id};
	Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
	q.series_ids = ids;
	q.n_series_ids = 1;
	q.range = &r;
	q.tz = "";
	Enfed__V1__QueryResponse *res = NULL;
	w->err = fedctl_store_call(w->c, "Query", id, &q, &res);
	if (w->err != FED_OK)
		return;
	const Enfed__V1__SeriesResult *s = res->results[0];
	fprintf(stderr, "%s: %s: %zu points fetched by a Query\n", w->c->prog,
	    id, s->n_ts_ms);
	for (size_t i = 0; i < s->n_ts_ms; i++)
		print_point(w, id, s->ts_ms[i], s->value[i]);
	enfed__v1__query_response__free_unpacked(res, NULL);
}

static void
on_loss(struct watch *w, const fed_stream_event *ev)
{
	if (ev->kind == FED_STREAM_GAP)
		fprintf(stderr,
		    "%s: %s: stream frames %llu..%llu lost, back-filling\n",
		    w->c->prog, ev->series_id,
		    (unsigned long long) ev->missed_from,
		    (unsigned long long) ev->missed_to);
	else
		fprintf(stderr, "%s: %s: the node restarted, back-filling\n",
		    w->c->prog, ev->series_id);
	struct pending *p = pending_for(w, ev->series_id);
	if (p == NULL) {
		w->err = FED_RESOURCE_EXHAUSTED;
		return;
	}
	if (ev->last_ts_ms > 0)
		p->from_ms = ev->last_ts_ms + 1;
}

static void
on_event(const fed_stream_event *ev, void *arg)
{
	struct watch *w = arg;
	if (ev->kind == FED_STREAM_GAP || ev->kind == FED_STREAM_RESET) {
		on_loss(w, ev);
		return;
	}
	if (ev->kind != FED_STREAM_POINTS || ev->n == 0)
		return;
	struct pending *p = pending_for(w, ev->series_id);
	if (p != NULL && p->from_ms >= 0) {
		int64_t first = ev->ts_ms[0];
		for (size_t i = 1; i < ev->n; i++)
			first = ev->ts_ms[i] < first ? ev->ts_ms[i] : first;
		backfill(w, ev->series_id, p->from_ms, first);
		p->from_ms = -1;
	}
	for (size_t i = 0; i < ev->n; i++)
		print_point(w, ev->series_id, ev->ts_ms[i], ev->value[i]);
	fflush(stdout);
}

static bool
stop_signal(const sigset_t *set)
{
	struct timespec zero = {0, 0};
	return sigtimedwait(set, NULL, &zero) > 0;
}

static int
watch_loop(fedctl *c, const struct watch_cfg *cfg, fed_cfg_result *res,
    const sigset_t *stop)
{
	fed_stream_sub_opts so = {.url = c->g->stream};
	fed_stream_sub *sub = NULL;
	fed_status st = fed_stream_sub_new(&so, &sub);
	if (st != FED_OK)
		return fedctl_fail(c, st, "--stream '%s'", c->g->stream);
	for (int i = 0; i < res->n_args && st == FED_OK; i++)
		if ((st = fed_stream_sub_subscribe(sub, res->args[i]))
		    != FED_OK)
			fedctl_fail(c, st, "cannot watch '%s'", res->args[i]);
	struct watch w = {.c = c, .count = cfg->count, .err = FED_OK};
	int64_t end = cfg->duration_ms > 0
	    ? fed_clock_mono_ms() + cfg->duration_ms
	    : INT64_MAX;
	while (st == FED_OK && !done(&w) && !stop_signal(stop)
	    && fed_clock_mono_ms() < end) {
		st = fed_stream_sub_recv(sub, RECV_MS, on_event, &w);
		if (st == FED_DEADLINE_EXCEEDED || st == FED_INVALID_ARGUMENT)
			st = FED_OK;
	}
	fed_stream_sub_free(sub);
	for (size_t i = 0; i < w.n_p; i++)
		free(w.p[i].id);
	free(w.p);
	if (st == FED_OK)
		st = w.err;
	return fedctl_exit_code(st);
}

int
cmd_watch(fedctl *c, int argc, char **argv)
{
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	// Blocked before nng starts its threads, so only the poll sees them.
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	struct watch_cfg cfg = {0};
	fed_cfg_result res;
	int rc = fedctl_load_sub(
	    c, &watch_spec, &cfg, argc, argv, &cfg.out, &res);
	if (rc < 0 && res.n_args == 0)
		rc = fedctl_usage(c,
		    "a series id or a prefix ending in '/' is "
		    "needed");
	if (rc < 0)
		rc = watch_loop(c, &cfg, &res, &stop);
	fed_cfg_fini(&watch_spec, &cfg);
	return rc;
}
