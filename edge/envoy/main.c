// SPDX-License-Identifier: MIT
//
// fed-edge-envoy: an Enphase Envoy (IQ Gateway) to a fed-node. Every period
// (aligned on the clock) it GETs the gateway's site totals
// (/api/v1/production, or /production.json) and its micro-inverters'
// reports (/api/v1/production/inverters) over its local HTTP API
// (envoy_http), checks them (envoy_parse), turns them into points
// (envoy_collect) and hands those to the sender (edge_sender: durable spool
// first, then Ingest, retried while the node is away). A failed poll (HTTP
// error, timeout, malformed reply) is counted, logged (rate-limited) and
// gives no point; polling goes on. docs/edge.md describes the options.
//
// SIGTERM or SIGINT: stops polling, spools what is held in memory, stops.
// With --polls=N it stops after N polls, once their points are sent (or
// --drain-timeout passed: exit status 3).

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

#include "edge_main.h"
#include "envoy_collect.h"
#include "envoy_http.h"
#include "envoy_parse.h"
#include "fed/cfg.h"
#include "fed/clock.h"
#include "fed/log.h"

struct envoy_cfg {
	edge_main_cfg common; // node, token, site, owner, sender, log level
	bool public_series;
	char *url;
	char *envoy_token;
	char *envoy_user;
	char *envoy_password;
	char *ca_file;
	char *tls_server_name;
	bool tls_verify;
	int totals;
	bool inverters;
	uint64_t max_inverters;
	int64_t period_ms;
	int64_t http_timeout_ms;
	size_t max_reply;
	uint64_t polls;
};

enum {
	TOTALS_API,
	TOTALS_PRODUCTION_JSON,
	TOTALS_NONE
};

#define C   struct envoy_cfg
#define DAY (INT64_C(86400000))
static const fed_cfg_opt envoy_opts[] = {
    EDGE_MAIN_NODE_OPTS(C, common),
    EDGE_MAIN_SITE_OPT(C, common, "plant"),
    EDGE_MAIN_OWNER_OPT(C, common),
    FED_CFG_OPT_BOOL(C, public_series, "public", "false",
        "declare the series public (a citizen plant's production)"),
    FED_CFG_OPT_STRING_LEN(C, url, "url", "http://envoy.local", 8, 4000,
        "the gateway's base URL (http:// or https://)"),
    FED_CFG_OPT_STRING(C, envoy_token, "envoy-token", NULL,
        "the gateway's bearer token, firmware 7+ (@FILE reads a file)"),
    FED_CFG_OPT_STRING(C, envoy_user, "envoy-user", "envoy",
        "firmware before 7: the digest user of the inverters' endpoint"),
    FED_CFG_OPT_STRING(C, envoy_password, "envoy-password", NULL,
        "firmware before 7: its digest password, by default the last six "
        "digits of the gateway's serial number (@FILE reads a file)"),
    FED_CFG_OPT_STRING(C, ca_file, "ca-file", NULL,
        "gateway https: PEM file of its certificate or its CA"),
    FED_CFG_OPT_STRING(C, tls_server_name, "tls-server-name", NULL,
        "gateway https: name to check in its certificate (default: --url's)"),
    FED_CFG_OPT_BOOL(C, tls_verify, "tls-verify", "true",
        "https: check the gateway's certificate against --ca-file"),
    FED_CFG_OPT_ENUM(C, totals, "totals", "api", "api|production-json|none",
        "site totals from /api/v1/production, /production.json, or none"),
    FED_CFG_OPT_BOOL(C, inverters, "inverters", "true",
        "read /api/v1/production/inverters"),
    FED_CFG_OPT_UINT(C, max_inverters, "max-inverters", "1024", 1,
        ENVOY_COLLECT_INVERTERS_MAX, "most inverters accepted in a reply"),
    FED_CFG_OPT_DURATION(C, period_ms, "period", "5m", 1000, DAY,
        "poll period, aligned on the clock"),
    FED_CFG_OPT_DURATION(C, http_timeout_ms, "http-timeout", "10s", 10, 600000,
        "deadline of one HTTP request"),
    FED_CFG_OPT_SIZE(C, max_reply, "max-reply", "256KiB", 1024,
        ENVOY_INPUT_MAX, "largest reply accepted"),
    FED_CFG_OPT_UINT(C, polls, "polls", "0", 0, 0,
        "stop after this many polls, once sent (0: never)"),
    EDGE_MAIN_END_OPTS(C, common, "./envoy-spool",
        "--polls: time to send the rest at the end"),
};
#undef C

static const fed_cfg_spec envoy_spec = {"fed-edge-envoy", "[OPTION]...",
    "Sends an Enphase gateway's production and its micro-inverters' "
    "reports to a fed-node.",
    envoy_opts, FED_CFG_N(envoy_opts), 0};

struct poller {
	const struct envoy_cfg *cfg;
	envoy_http *http;
	envoy_collect *col;
	envoy_inverter *inv; // max_inverters entries
	uint64_t n_polls, n_ok, n_http_error, n_timeout, n_unreachable,
	    n_malformed, n_points;
	int64_t log_ms;
};

// What to do about a 401, after what the gateway asked for.
static const char *
remedy(const struct poller *p)
{
	switch (envoy_http_challenge(p->http)) {
	case ENVOY_AUTH_DIGEST:
		return p->cfg->envoy_password == NULL
		    ? "; this gateway (firmware before 7) asks for digest "
		      "authentication: give --envoy-password (by default the "
		      "last six digits of its serial number)"
		    : "; the gateway refused --envoy-user/--envoy-password";
	case ENVOY_AUTH_BEARER:
		return "; renew --envoy-token (firmware 7 and later)";
	default:
		return "; firmware 7 and later: renew --envoy-token; before "
		       "7: "
		       "give --envoy-password";
	}
}

// Counts and logs a failed request; its reply gives no point.
static void
failed(struct poller *p, const char *path, fed_status st, int http,
    const char *why)
{
	if (st == FED_DEADLINE_EXCEEDED)
		p->n_timeout++;
	else if (st == FED_INVALID_ARGUMENT && http == 200)
		p->n_malformed++;
	else if (http != 0)
		p->n_http_error++;
	else
		p->n_unreachable++;
	fed_log_limited(&p->log_ms, 60000, FED_LOG_WARNING, "envoy",
	    "GET %s: %s%s%s (HTTP %d)%s", path, fed_status_name(st),
	    why[0] != '\0' ? ": " : "", why, http,
	    st == FED_UNAUTHENTICATED ? remedy(p) : "");
}

// GETs path; on OK *body is the caller's.
static fed_status
get(struct poller *p, const char *path, char **body, size_t *len)
{
	int http = 0;
	fed_status st = envoy_http_get(p->http, path, body, len, &http);
	if (st != FED_OK)
		failed(p, path, st, http, "");
	return st;
}

static void
poll_totals(struct poller *p, int64_t now_ms)
{
	bool api = p->cfg->totals == TOTALS_API;
	const char *path = api ? "/api/v1/production" : "/production.json";
	char *body = NULL;
	size_t len = 0, n = 0;
	if (get(p, path, &body, &len) != FED_OK)
		return;
	envoy_error err = {{0}};
	envoy_production prod;
	envoy_site site;
	fed_status st = api
	    ? envoy_parse_production(body, len, &prod, &err)
	    : envoy_parse_production_json(body, len, &site, &err);
	free(body);
	if (st != FED_OK) {
		failed(p, path, st, 200, err.msg);
		return;
	}
	if (api)
		(void) envoy_collect_production(p->col, &prod, now_ms, &n);
	else
		(void) envoy_collect_site(p->col, &site, &n);
	p->n_points += n;
}

static void
poll_inverters(struct poller *p)
{
	const char *path = "/api/v1/production/inverters";
	char *body = NULL;
	size_t len = 0, n_inv = 0, n = 0;
	if (get(p, path, &body, &len) != FED_OK)
		return;
	envoy_error err = {{0}};
	fed_status st = envoy_parse_inverters(
	    body, len, p->inv, (size_t) p->cfg->max_inverters, &n_inv, &err);
	free(body);
	if (st != FED_OK) {
		failed(p, path, st, 200, err.msg);
		return;
	}
	(void) envoy_collect_inverters(p->col, p->inv, n_inv, &n);
	p->n_points += n;
}

static void
poll_once(struct poller *p)
{
	uint64_t failures = p->n_http_error + p->n_timeout + p->n_unreachable
	    + p->n_malformed;
	p->n_polls++;
	if (p->cfg->totals != TOTALS_NONE)
		poll_totals(p, fed_clock_now_ms());
	if (p->cfg->inverters)
		poll_inverters(p);
	if (failures
	    == p->n_http_error + p->n_timeout + p->n_unreachable
	        + p->n_malformed)
		p->n_ok++;
}

// Sleeps until the next multiple of the period, or a signal.
static void
wait_next(const struct poller *p)
{
	int64_t period = p->cfg->period_ms;
	int64_t now = fed_clock_now_ms();
	int64_t end
	    = fed_clock_mono_ms() + ((now / period + 1) * period - now);
	while (!edge_main_stopping()) {
		int64_t left = end - fed_clock_mono_ms();
		if (left <= 0)
			return;
		if (left > 200)
			left = 200;
		struct timespec ts = {0, (long) left * 1000000L};
		nanosleep(&ts, NULL);
	}
}

static void
log_summary(const struct poller *p, edge_sender *s)
{
	edge_main_summary(s, "envoy",
	    "polls=%llu polls_ok=%llu http_errors=%llu timeouts=%llu "
	    "unreachable=%llu malformed=%llu points=%llu",
	    (unsigned long long) p->n_polls, (unsigned long long) p->n_ok,
	    (unsigned long long) p->n_http_error,
	    (unsigned long long) p->n_timeout,
	    (unsigned long long) p->n_unreachable,
	    (unsigned long long) p->n_malformed,
	    (unsigned long long) p->n_points);
}

static int
poll_loop(struct poller *p, edge_sender *s)
{
	const struct envoy_cfg *cfg = p->cfg;
	while (!edge_main_stopping()) {
		poll_once(p);
		if (cfg->polls > 0 && p->n_polls >= cfg->polls)
			break;
		wait_next(p);
	}
	int rc = 0;
	if (!edge_main_stopping())
		rc = edge_main_drain(s, cfg->common.sender.drain_ms, "envoy",
		    "points left in the spool at the end");
	log_summary(p, s);
	return rc;
}

static int
run(const void *vcfg, edge_sender *s)
{
	const struct envoy_cfg *cfg = vcfg;
	struct poller p = {.cfg = cfg};
	envoy_http_opts ho = {.base_url = cfg->url,
	    .token = cfg->envoy_token,
	    .user = cfg->envoy_user,
	    .password = cfg->envoy_password,
	    .ca_file = cfg->ca_file,
	    .server_name = cfg->tls_server_name,
	    .verify = cfg->tls_verify,
	    .max_body = cfg->max_reply,
	    .timeout_ms = cfg->http_timeout_ms};
	envoy_collect_opts co = {.site = cfg->common.site,
	    .owner = cfg->common.owner,
	    .public_series = cfg->public_series,
	    .period_ms = cfg->period_ms};
	int rc = 1;
	p.inv = calloc(cfg->max_inverters, sizeof(*p.inv));
	if (p.inv == NULL)
		fed_log(FED_LOG_ERR, "envoy", "out of memory");
	else if (envoy_http_new(&ho, &p.http) != FED_OK)
		fed_log(FED_LOG_ERR, "envoy",
		    "--url: not http:// or https://, or https without "
		    "--ca-file (or --no-tls-verify), or a bad CA file");
	else if (envoy_collect_new(&co, s, &p.col) == FED_OK)
		rc = poll_loop(&p, s);
	envoy_collect_free(p.col);
	envoy_http_free(p.http);
	free(p.inv);
	return rc;
}

int
main(int argc, char **argv)
{
	static const edge_main_spec m = {&envoy_spec,
	    offsetof(struct envoy_cfg, common), "envoy", NULL, run};
	struct envoy_cfg cfg;
	return edge_main_run(&m, &cfg, argc, argv);
}
