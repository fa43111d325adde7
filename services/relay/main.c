// SPDX-License-Identifier: MIT
//
// fed-relay: follows a fed-node's stream and publishes it again, unchanged,
// to subscribers of its own. Run it beside a node that many dashboards or
// watchers follow: the node then sends each frame once, to the relay,
// instead of once per subscriber, and its RPC calls no longer wait behind
// that fan-out (docs/operations.md, "Many subscribers"). Reads its
// configuration from the table below (file, FED_* environment, command
// line) and runs until SIGTERM or SIGINT, logging to stderr.

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fed/cfg.h"
#include "fed/log.h"
#include "fed/metrics.h"
#include "fed/process.h"
#include "fed/stream.h"
#include "fed/transport.h"
#include "fed/tls.h"

// Most patterns --topics may list.
#define MAX_PATTERNS 64

struct relay_cfg {
	char *upstream;
	char *listen;
	char *topics;
	char *tls_cert;
	char *tls_key;
	char *tls_ca;
	char *tls_server_name;
	char *tls_revoked;
	char *metrics_listen;
	int64_t stats_ms;
	fed_log_level log_level;
};

#define C struct relay_cfg
static const fed_cfg_opt relay_opts[] = {
    FED_CFG_OPT_STRING_LEN(C, upstream, "upstream", "tcp://127.0.0.1:7411", 1,
        4000,
        "the stream followed: a fed-node's --stream or "
        "--public-stream address (or another relay's)"),
    FED_CFG_OPT_STRING_LEN(C, listen, "listen", "tcp://127.0.0.1:7415", 1,
        4000, "addresses subscribers connect to, comma-separated"),
    FED_CFG_OPT_STRING_LEN(C, topics, "topics", "", 0, 4000,
        "what to carry, comma-separated: a series id, a prefix ending in "
        "'/', or a '!' topic such as !alarm (default: everything)"),
    FED_CFG_OPTS_TLS(C, tls_cert, tls_key, tls_ca, tls_revoked),
    FED_CFG_OPT_STRING(C, tls_server_name, "tls-server-name", NULL,
        "tls+tcp:// upstream: name expected in its certificate (default: "
        "the host of --upstream)"),
    FED_CFG_OPT_DURATION(C, stats_ms, "stats-interval", "60s", 100, 86400000,
        "how often the messages relayed are logged (info)"),
    FED_CFG_OPT_METRICS(C, metrics_listen),
    FED_CFG_OPT_LOG_LEVEL(C, log_level, "log-level", "info",
        "err, warning, notice, info or debug"),
};
#undef C

static const fed_cfg_spec relay_spec = {"fed-relay", "[OPTION]...",
    "Follows a fed-node's live stream and publishes it again, frame for\n"
    "frame, to its own subscribers, so that a node followed by many\n"
    "subscribers sends each frame once.",
    relay_opts, FED_CFG_N(relay_opts), 0};

// Splits list (modified) at commas into at most MAX_PATTERNS patterns.
// Returns their number, or -1 (with a message) for too many or an empty one.
static int
split_topics(char *list, const char **patterns)
{
	size_t len = strlen(list);
	if (len == 0)
		return 0;
	if (list[0] == ',' || list[len - 1] == ',' || strstr(list, ",,")) {
		fprintf(stderr, "fed-relay: topics: an empty pattern\n");
		return -1;
	}
	int n = 0;
	for (char *save = NULL, *p = strtok_r(list, ",", &save); p != NULL;
	     p = strtok_r(NULL, ",", &save)) {
		if (n == MAX_PATTERNS) {
			fprintf(stderr, "fed-relay: topics: at most %d\n",
			    MAX_PATTERNS);
			return -1;
		}
		patterns[n++] = p;
	}
	return n;
}

static void
log_stats(const fed_stream_relay *r)
{
	fed_stream_relay_stats s;
	fed_stream_relay_get_stats(r, &s);
	fed_log(FED_LOG_INFO, "relay", "%llu messages relayed, %llu lost",
	    (unsigned long long) s.forwarded, (unsigned long long) s.failed);
}

// enfed_relay_messages_total{result}: the relay's counters at each scrape.
static void
collect(fed_metrics_sink *sink, void *arg)
{
	fed_stream_relay_stats s;
	fed_stream_relay_get_stats(arg, &s);
	const char *forwarded[] = {"forwarded"}, *lost[] = {"lost"};
	fed_metrics_emit(sink, forwarded, (double) s.forwarded);
	fed_metrics_emit(sink, lost, (double) s.failed);
}

static const fed_metrics_desc relay_messages
    = {.name = "enfed_relay_messages_total",
        .help = "stream messages published again (forwarded) or lost here "
                "(subscribers back-fill them)",
        .type = FED_METRIC_COUNTER,
        .labels = {"result"},
        .n_labels = 1};

// Relays until SIGTERM or SIGINT, logging the counters every stats_ms.
static int
run(const struct relay_cfg *cfg, const sigset_t *stop, const char **patterns,
    int n_patterns)
{
	fed_tls_opts tls
	    = {cfg->tls_cert, cfg->tls_key, cfg->tls_ca, cfg->tls_server_name};
	fed_stream_relay_opts o = {.upstream = cfg->upstream,
	    .listen = cfg->listen,
	    .tls = &tls,
	    .patterns = patterns,
	    .n_patterns = (size_t) n_patterns};
	fed_stream_relay *r = NULL;
	fed_status st = fed_tls_revocation_init(cfg->tls_revoked);
	if (st == FED_OK)
		st = fed_stream_relay_new(&o, &r);
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, "relay", "cannot start: %s",
		    fed_status_str(st));
		return 1;
	}
	fed_metrics_collector *mc = NULL;
	fed_metrics_server *ms = NULL;
	if (fed_metrics_collector_new(
	        fed_metrics_default(), &relay_messages, collect, r, &mc)
	        != FED_OK
	    || fed_metrics_listen(cfg->metrics_listen, "fed-relay", &ms)
	        != FED_OK) {
		fed_metrics_collector_free(mc);
		fed_stream_relay_free(r);
		return 1;
	}
	fed_log(FED_LOG_NOTICE, "relay", "ready: %s -> %s", cfg->upstream,
	    cfg->listen);
	int sig = 0;
	fed_process_event e;
	while ((e = fed_process_wait(stop, cfg->stats_ms, &sig))
	    != FED_PROCESS_STOP) {
		if (e == FED_PROCESS_RELOAD) // nothing of its own to reread
			fed_process_reload();
		else
			log_stats(r);
	}
	fed_log(FED_LOG_NOTICE, "relay", "signal %d: stopping", sig);
	log_stats(r);
	fed_metrics_server_free(ms);
	fed_metrics_collector_free(mc); // before the relay it reads
	fed_stream_relay_free(r);
	return 0;
}

// The upstream and every listen address, with the TLS settings: a
// tls+tcp:// one without a certificate, a key and a CA stops the relay at
// start, said on stderr, instead of a relay that never connects.
static bool
addresses_ok(const struct relay_cfg *cfg)
{
	fed_tls_opts tls = {cfg->tls_cert, cfg->tls_key, cfg->tls_ca, NULL};
	char err[512];
	if (fed_transport_check(cfg->upstream, &tls, err, sizeof(err))
	    != FED_OK) {
		fprintf(stderr, "fed-relay: --upstream: %s\n", err);
		return false;
	}
	char *copy = strdup(cfg->listen), *save = NULL;
	bool ok = copy != NULL;
	for (char *u = ok ? strtok_r(copy, ",", &save) : NULL; u != NULL && ok;
	     u = strtok_r(NULL, ",", &save))
		if (fed_transport_check(u, &tls, err, sizeof(err)) != FED_OK) {
			fprintf(stderr, "fed-relay: --listen: %s\n", err);
			ok = false;
		}
	free(copy);
	return ok;
}

int
main(int argc, char **argv)
{
	struct relay_cfg cfg = {0};
	int rc = fed_cfg_main(&relay_spec, &cfg, argc, argv, NULL);
	if (rc >= 0) {
		fed_cfg_fini(&relay_spec, &cfg);
		return rc;
	}
	const char *patterns[MAX_PATTERNS];
	int n = split_topics(cfg.topics, patterns);
	if (n < 0 || !addresses_ok(&cfg)) {
		rc = 2;
	} else {
		sigset_t stop;
		fed_process_init(cfg.log_level, &stop);
		rc = run(&cfg, &stop, patterns, n);
	}
	fed_cfg_fini(&relay_spec, &cfg);
	return rc;
}
