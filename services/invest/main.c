// SPDX-License-Identifier: MIT
//
// fed-invest: citizen investment in production plants (use case 1).
// Keeps projects, holdings and consumption links in sqlite, and serves
// enfed.v1.Invest and Health; every energy figure is computed at the time
// of the call from the fed-nodes it is configured with (SeriesStore/Query).
//
// Configuration: the table below (file, FED_* environment, --flags; see
// --help). Logs go to stderr. SIGTERM or SIGINT stops it cleanly: calls in
// progress finish, the store is checkpointed and closed; every write was
// committed before its reply. SIGHUP rereads the tokens file without
// closing a connection.

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fed/cfg.h"
#include "fed/health.h"
#include "fed/log.h"
#include "fed/metrics.h"
#include "fed/process.h"
#include "fed/rpc.h"
#include "fed/tls.h"
#include "fed/tz.h"
#include "invest_auth.h"
#include "invest_nodes.h"
#include "invest_rpc.h"
#include "invest_store.h"

struct invest_cfg {
	char *name;
	char *data_dir;
	char *listen;
	char *nodes;
	char *node_token;
	int64_t node_timeout_ms;
	char *tz;
	char *admin_token;
	char *admin_token_hash;
	char *tokens_file;
	uint64_t workers;
	double panel_m2_per_kwc;
	double household_kwh_per_year;
	double grid_g_co2_per_kwh;
	char *tls_cert;
	char *tls_key;
	char *tls_ca;
	char *metrics_listen;
	char *tls_revoked;
	fed_log_level log_level;
	int64_t scrub_ms;
};

#define C struct invest_cfg
static const fed_cfg_opt invest_opts[] = {
    FED_CFG_OPT_STRING_LEN(C, name, "name", "invest", 1, 64,
        "this service's name in logs and Health"),
    FED_CFG_OPT_STRING_LEN(C, data_dir, "data-dir", "./invest-data", 1, 4000,
        "folder of the projects database (created if missing)"),
    FED_CFG_OPT_STRING_LEN(C, listen, "listen", "tcp://127.0.0.1:7430", 1,
        4000, "RPC addresses, comma-separated (ipc://, tcp://, tls+tcp://)"),
    FED_CFG_OPT_STRING_LEN(C, nodes, "nodes", "node=tcp://127.0.0.1:7410", 1,
        4000,
        "fed-nodes holding the series, comma-separated name=url; the "
        "first is the default"),
    FED_CFG_OPT_STRING(C, node_token, "node-token", NULL,
        "token for reading the projects' production series on the nodes "
        "(a reader limited to their prefixes; use @FILE); households' "
        "series are read with their own grants only"),
    FED_CFG_OPT_DURATION(C, node_timeout_ms, "node-timeout", "3s", 100, 600000,
        "deadline of each call to a node (keep it below fed-web's "
        "--timeout, 5 s)"),
    FED_CFG_OPT_STRING_LEN(C, tz, "tz", "Europe/Paris", 1, 64,
        "time zone of today, this month and this year"),
    FED_CFG_OPT_STRING(C, admin_token, "admin-token", NULL,
        "administrator token (use @FILE to read it from a file)"),
    FED_CFG_OPT_STRING(C, admin_token_hash, "admin-token-hash", NULL,
        "hex SHA-256 of the administrator token, instead of the token"),
    FED_CFG_OPT_STRING(C, tokens_file, "tokens-file", NULL,
        "file of tokens: 'name admin|investor|organisation sha256hex "
        "[investor-id|organisation]' a line"),
    FED_CFG_OPT_UINT(
        C, workers, "workers", "8", 1, 256, "RPC requests served at once"),
    FED_CFG_OPT_DURATION(C, scrub_ms, "scrub-interval", "24h", 0,
        INT64_C(31622400000),
        "how often the database is checked (sqlite's quick_check, every "
        "row's checksum); the result is logged and shown by Health; 0: "
        "never (fedctl invest check still runs one)"),
    FED_CFG_OPT_DOUBLE(C, panel_m2_per_kwc, "panel-m2-per-kwc", "5", 1, 20,
        "panel surface of 1 kWc when a project gives none (docs/invest.md)"),
    FED_CFG_OPT_DOUBLE(C, household_kwh_per_year, "household-kwh-per-year",
        "4500", 100, 100000,
        "an average household's electricity use in a year, kWh"),
    FED_CFG_OPT_DOUBLE(C, grid_g_co2_per_kwh, "grid-g-co2-per-kwh", "52", 1,
        2000, "carbon intensity of grid electricity, g CO2e per kWh"),
    FED_CFG_OPTS_TLS(C, tls_cert, tls_key, tls_ca, tls_revoked),
    FED_CFG_OPT_METRICS(C, metrics_listen),
    FED_CFG_OPT_LOG_LEVEL(C, log_level, "log-level", "info",
        "err, warning, notice, info or debug"),
};
#undef C

static const fed_cfg_spec invest_spec = {"fed-invest", "[OPTION]...",
    "Keeps citizen-investment projects and holdings, and computes each "
    "investor's figures from the production series of the fed-nodes.",
    invest_opts, FED_CFG_N(invest_opts), 0};

static fed_status
open_store(const struct invest_cfg *cfg, invest_store **out)
{
	char err[256] = "";
	if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST) {
		fed_log(FED_LOG_ERR, "invest", "cannot create %s: %s",
		    cfg->data_dir, strerror(errno));
		return FED_UNAVAILABLE;
	}
	fed_status st
	    = invest_store_open(cfg->data_dir, out, err, sizeof(err));
	if (st != FED_OK)
		fed_log(
		    FED_LOG_ERR, "invest", "store %s: %s", cfg->data_dir, err);
	return st;
}

// Everything run() builds, released in one place.
struct parts {
	invest_store *store;
	invest_auth *auth;
	invest_nodes *nodes;
	fed_tz *tz;
	fed_scrub *scrub;
	fed_rpc_server *srv;
};

static fed_status
build(const struct invest_cfg *cfg, struct parts *p)
{
	char err[384] = "";
	fed_status st
	    = invest_auth_new(cfg->admin_token, cfg->admin_token_hash,
	        cfg->tokens_file, &p->auth, err, sizeof(err));
	if (st == FED_OK)
		st = invest_nodes_new(cfg->nodes, cfg->node_token,
		    (uint32_t) cfg->node_timeout_ms, &p->nodes, err,
		    sizeof(err));
	if (st == FED_OK && (st = fed_tz_load(cfg->tz, &p->tz)) != FED_OK)
		snprintf(err, sizeof(err), "tz: '%s': %s", cfg->tz,
		    fed_status_str(st));
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, "invest", "%s", err);
		return st;
	}
	if (invest_auth_count(p->auth) == 0)
		fed_log(FED_LOG_WARNING, "invest",
		    "no token configured: every call but Health is refused "
		    "(set --admin-token or --tokens-file)");
	FED_TRY(open_store(cfg, &p->store));
	return invest_rpc_scrub_new(p->store, cfg->scrub_ms, &p->scrub);
}

static fed_status
serve(const struct invest_cfg *cfg, struct parts *p, invest_rpc *ir)
{
	fed_tls_opts tls = {cfg->tls_cert, cfg->tls_key, cfg->tls_ca, NULL};
	fed_rpc_server_opts ro;
	fed_rpc_server_opts_default(&ro);
	ro.n_workers = (unsigned) cfg->workers;
	ro.auth = invest_auth_check;
	ro.auth_arg = p->auth;
	ro.name = "invest";
	ir->store = p->store;
	ir->nodes = p->nodes;
	ir->auth = p->auth;
	ir->tz = p->tz;
	ir->factors.panel_m2_per_kwc = cfg->panel_m2_per_kwc;
	ir->factors.household_wh_per_day
	    = cfg->household_kwh_per_year * 1000.0 / 365.0;
	ir->factors.grid_g_co2_per_kwh = cfg->grid_g_co2_per_kwh;
	ir->scrub = p->scrub;
	FED_TRY(fed_rpc_server_new(&ro, &p->srv));
	FED_TRY(invest_rpc_register(p->srv, ir));
	FED_TRY(fed_health_register_fill(
	    p->srv, "fed-invest", cfg->name, fed_scrub_health, p->scrub));
	FED_TRY(fed_rpc_server_listen_list(p->srv, cfg->listen, &tls));
	return fed_rpc_server_start(p->srv);
}

struct tokens_reload {
	const struct invest_cfg *cfg;
	invest_auth *auth;
};

// SIGHUP: the tokens file again. A refused file keeps the tokens in force.
static fed_status
reload_tokens(void *arg)
{
	const struct tokens_reload *r = arg;
	char err[384] = "";
	fed_status st = invest_auth_reload(r->auth, err, sizeof(err));
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, "invest", "tokens not reloaded: %s",
		    err[0] ? err : fed_status_str(st));
		return st;
	}
	fed_log(FED_LOG_NOTICE, "invest", "tokens reloaded: %zu from %s",
	    invest_auth_count(r->auth),
	    r->cfg->tokens_file != NULL && r->cfg->tokens_file[0] != '\0'
	        ? r->cfg->tokens_file
	        : "the admin token only");
	return FED_OK;
}

static int
run(const struct invest_cfg *cfg, const sigset_t *stop_signals)
{
	struct parts p = {0};
	invest_rpc ir;
	fed_metrics_server *ms = NULL;
	int rc = 1;
	if (fed_tls_revocation_init(cfg->tls_revoked) != FED_OK
	    || build(cfg, &p) != FED_OK || serve(cfg, &p, &ir) != FED_OK
	    || fed_metrics_listen(cfg->metrics_listen, "fed-invest", &ms)
	        != FED_OK)
		goto out;
	struct tokens_reload tr = {cfg, p.auth};
	fed_process_on_reload("invest tokens", reload_tokens, &tr);
	fed_log(FED_LOG_NOTICE, "invest", "%s ready (data in %s)", cfg->name,
	    cfg->data_dir);
	int sig = fed_process_serve(stop_signals);
	fed_log(FED_LOG_NOTICE, "invest", "signal %d: stopping", sig);
	rc = 0;
out:
	fed_process_reload_clear();
	fed_metrics_server_free(ms);
	fed_scrub_stop(p.scrub); // a check in progress ends at its next batch
	fed_rpc_server_free(p.srv); // finishes calls in progress first
	fed_scrub_free(p.scrub);
	invest_nodes_free(p.nodes);
	invest_store_close(p.store);
	invest_auth_free(p.auth);
	fed_tz_free(p.tz);
	if (rc == 0)
		fed_log(FED_LOG_NOTICE, "invest", "stopped");
	return rc;
}

int
main(int argc, char **argv)
{
	struct invest_cfg cfg;
	int rc = fed_cfg_main(&invest_spec, &cfg, argc, argv, NULL);
	if (rc >= 0) {
		fed_cfg_fini(&invest_spec, &cfg);
		return rc;
	}
	sigset_t stop_signals;
	fed_process_init(cfg.log_level, &stop_signals);
	rc = run(&cfg, &stop_signals);
	fed_cfg_fini(&invest_spec, &cfg);
	return rc;
}
