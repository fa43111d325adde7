// SPDX-License-Identifier: MIT
//
// cmd_watch.c: `fedctl watch SERIES|PREFIX/...`, the points a node stores,
// as it stores them, from its live stream, through fed/follow.h: when the
// stream drops frames for a slow reader, or starts afresh because the node
// restarted, the missing points are fetched by a raw Query in place of the
// frame that revealed the loss, and stderr says so: nothing is missed.
// SIGINT and SIGTERM are blocked and polled between receives, so Ctrl-C
// ends the loop cleanly.

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fed/follow.h"
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

struct watch {
	fedctl *c;
	uint64_t count, printed;
};

static bool
done(const struct watch *w)
{
	return w->count != 0 && w->printed >= w->count;
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

static void
on_points(const char *id, const int64_t *ts, const double *v, size_t n,
    fed_follow_origin origin, void *arg)
{
	struct watch *w = arg;
	if (origin != FED_FOLLOW_LIVE)
		fprintf(stderr, "%s: %s: %s; %zu points fetched by a Query\n",
		    w->c->prog, id,
		    origin == FED_FOLLOW_GAP ? "stream frames lost"
		                             : "the node restarted",
		    n);
	for (size_t i = 0; i < n; i++)
		print_point(w, id, ts[i], v[i]);
	fflush(stdout);
}

static bool
stop_signal(const sigset_t *set)
{
	struct timespec zero = {0, 0};
	return sigtimedwait(set, NULL, &zero) > 0;
}

// Follows the patterns with fed/follow.h: live frames, and back-fills by
// Query (on --node) whenever the stream lost frames or the node restarted.
static int
watch_loop(fedctl *c, const struct watch_cfg *cfg, fed_cfg_result *res,
    const sigset_t *stop)
{
	fed_tls_opts tls = fedctl_tls(c);
	fed_follow_opts fo = {.stream_url = c->g->stream,
	    .rpc_url = c->g->node,
	    .token = c->g->token,
	    .tls = &tls,
	    .timeout_ms = (uint32_t) c->g->timeout_ms};
	fed_follow *f = NULL;
	fed_status st = fed_follow_new(&fo, &f);
	if (st != FED_OK)
		return fedctl_fail(c, st, "--stream '%s' or --node '%s'",
		    c->g->stream, c->g->node);
	for (int i = 0; i < res->n_args && st == FED_OK; i++)
		if ((st = fed_follow_subscribe(f, res->args[i])) != FED_OK)
			fedctl_fail(c, st, "cannot watch '%s'", res->args[i]);
	struct watch w = {.c = c, .count = cfg->count};
	int64_t end = cfg->duration_ms > 0
	    ? fed_clock_mono_ms() + cfg->duration_ms
	    : INT64_MAX;
	while (st == FED_OK && !done(&w) && !stop_signal(stop)
	    && fed_clock_mono_ms() < end) {
		st = fed_follow_recv(f, RECV_MS, on_points, &w);
		if (st == FED_DEADLINE_EXCEEDED || st == FED_INVALID_ARGUMENT)
			st = FED_OK;
		else if (st != FED_OK)
			fedctl_fail(c, st, "back-filling from %s", c->g->node);
	}
	fed_follow_free(f);
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
