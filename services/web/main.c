// SPDX-License-Identifier: MIT
//
// fed-web: the dashboard in a browser (docs/web.md). Serves HTTP with
// nng's own server, on loopback by default, and reads everything it shows
// from fed-invest and the fed-nodes over RPC, as a client like any other.
//
// Configuration: the table below (file, FED_* environment, --flags; see
// --help). `fed-web --hash-password` reads a password on standard input
// and prints the hash to put in the users file. Logs go to stderr.
// SIGTERM or SIGINT stops it: requests in progress finish first; the
// sessions are in DATA_DIR/web-sessions, so a restart logs nobody out.
// SIGHUP rereads the users file.

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/cfg.h"
#include "fed/clock.h"
#include "fed/log.h"
#include "fed/metrics.h"
#include "fed/process.h"
#include "fed/tz.h"
#include "web_auth.h"
#include "web_backend.h"
#include "web_http.h"
#include "web_pages.h"

struct web_cfg {
	char *listen;
	char *invest;
	char *invest_token;
	char *nodes;
	char *directory;
	char *directory_token;
	int64_t timeout_ms;
	char *tls_cert;
	char *tls_key;
	char *tls_ca;
	char *tls_server_name;
	char *users_file;
	char *data_dir;
	char *tz;
	int64_t session_ttl_ms;
	uint64_t max_sessions;
	uint64_t workers;
	bool cookie_secure;
	bool trusted_proxy;
	bool hash_password;
	char *metrics_listen;
	fed_log_level log_level;
};

#define C struct web_cfg
static const fed_cfg_opt web_opts[] = {
    FED_CFG_OPT_STRING_LEN(C, listen, "listen", "http://127.0.0.1:7480", 8,
        1000, "HTTP address (http://HOST:PORT; loopback by default)"),
    FED_CFG_OPT_STRING_LEN(C, invest, "invest", "tcp://127.0.0.1:7430", 1,
        1000, "fed-invest's RPC address"),
    FED_CFG_OPT_STRING(C, invest_token, "invest-token", NULL,
        "fed-web's token at fed-invest: admin, for the project pages "
        "(use @FILE)"),
    FED_CFG_OPT_STRING_LEN(C, nodes, "nodes", "", 0, 4000,
        "fed-nodes whose series the users read, each with their own "
        "tokens (users file): name=url, comma-separated"),
    FED_CFG_OPT_STRING_LEN(C, directory, "directory", "", 0, 1000,
        "fed-directory's RPC address: the members a household may grant "
        "to (empty: none)"),
    FED_CFG_OPT_STRING(C, directory_token, "directory-token", NULL,
        "a token fed-directory accepts for List (a node's directory "
        "token; use @FILE)"),
    FED_CFG_OPT_DURATION(C, timeout_ms, "timeout", "5s", 100, 120000,
        "deadline of each call to fed-invest or a node"),
    FED_CFG_OPT_STRING(C, tls_cert, "tls-cert", NULL,
        "fed-web's client certificate (PEM) for tls+tcp:// addresses"),
    FED_CFG_OPT_STRING(C, tls_key, "tls-key", NULL, "its private key (PEM)"),
    FED_CFG_OPT_STRING(C, tls_ca, "tls-ca", NULL,
        "the CA (PEM) that signed the nodes', fed-invest's and "
        "fed-directory's certificates"),
    FED_CFG_OPT_STRING(C, tls_server_name, "tls-server-name", NULL,
        "name expected in their certificates (default: the host of each "
        "address)"),
    FED_CFG_OPT_STRING(C, users_file, "users-file", NULL,
        "users: 'name viewer|investor|household|admin pbkdf2-hash "
        "[investor token] [node:NODE=TOKEN|owner:NODE=TOKEN ...]' a line"),
    FED_CFG_OPT_STRING_LEN(C, data_dir, "data-dir", ".", 1, 4000,
        "fed-web's folder: relative @FILE token paths of the users file are "
        "read from it, and the sessions kept in its web-sessions file "
        "(hashed), so that a restart logs nobody out"),
    FED_CFG_OPT_STRING_LEN(C, tz, "tz", "Europe/Paris", 1, 64,
        "time zone of days, weeks, months and years"),
    FED_CFG_OPT_DURATION(C, session_ttl_ms, "session-ttl", "8h", 60000,
        2592000000.0,
        "a session (and its cookie) ends this long after the login"),
    FED_CFG_OPT_UINT(C, max_sessions, "max-sessions", "1000", 1, 1000000,
        "sessions kept at once (the oldest is dropped past it)"),
    FED_CFG_OPT_UINT(
        C, workers, "workers", "8", 1, 256, "pages built at once"),
    FED_CFG_OPT_BOOL(C, cookie_secure, "cookie-secure", "false",
        "mark the session cookie Secure (when served behind HTTPS)"),
    FED_CFG_OPT_BOOL(C, trusted_proxy, "trusted-proxy", "false",
        "fed-web is reached only through a reverse proxy that sets "
        "X-Forwarded-For: its last entry names the client in the logs "
        "(failed logins, for fail2ban)"),
    FED_CFG_OPT_BOOL(C, hash_password, "hash-password", "false",
        "read a password on standard input, print its users-file hash, exit"),
    FED_CFG_OPT_METRICS(C, metrics_listen),
    FED_CFG_OPT_LOG_LEVEL(C, log_level, "log-level", "info",
        "err, warning, notice, info or debug"),
};
#undef C

static const fed_cfg_spec web_spec = {"fed-web", "[OPTION]...",
    "Serves the investor dashboard, the production detail and the load "
    "curves over HTTP, from fed-invest and the fed-nodes.",
    web_opts, FED_CFG_N(web_opts), 0};

static int
hash_password(void)
{
	char pw[1024], out[WEB_HASH_LEN];
	if (fgets(pw, sizeof(pw), stdin) == NULL) {
		fprintf(stderr, "fed-web: no password on standard input\n");
		return 2;
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	if (pw[0] == '\0') {
		fprintf(stderr, "fed-web: the password is empty\n");
		return 2;
	}
	fed_status st
	    = web_auth_hash_password(pw, WEB_KDF_ITER, out, sizeof(out));
	if (st != FED_OK) {
		fprintf(stderr, "fed-web: %s\n", fed_status_str(st));
		return 1;
	}
	printf("%s\n", out);
	return 0;
}

struct parts {
	fed_tz *tz;
	web_auth *auth;
	web_backend *backend;
	web_app *app;
	web_http *http;
};

// The names of --nodes into names (WEB_BACKEND_MAX_NODES); their number.
static size_t
node_names(const struct parts *p, const char **names)
{
	size_t n = web_backend_n_nodes(p->backend);
	for (size_t i = 0; i < n; i++)
		names[i] = web_backend_node_name(p->backend, i);
	return n;
}

// Every node a user's credential names must be one of --nodes.
static fed_status
check_nodes(const struct parts *p, char *err, size_t err_len)
{
	const char *names[WEB_BACKEND_MAX_NODES];
	size_t n = node_names(p, names);
	return web_auth_check_nodes(p->auth, names, n, err, err_len);
}

struct users_reload {
	const struct web_cfg *cfg;
	const struct parts *p;
};

// SIGHUP: the users file again. A refused file keeps the users in force.
static fed_status
reload_users(void *arg)
{
	const struct users_reload *r = arg;
	const char *names[WEB_BACKEND_MAX_NODES];
	size_t n = node_names(r->p, names);
	char err[512] = "";
	fed_status st
	    = web_auth_reload(r->p->auth, names, n, err, sizeof(err));
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, "web", "users not reloaded: %s",
		    err[0] ? err : fed_status_str(st));
		return st;
	}
	fed_log(FED_LOG_NOTICE, "web", "users reloaded: %zu from %s",
	    web_auth_n_users(r->p->auth),
	    r->cfg->users_file != NULL ? r->cfg->users_file : "(none)");
	return FED_OK;
}

// The sessions of the previous run, from DATA_DIR/web-sessions.
static fed_status
persist_sessions(
    const struct web_cfg *cfg, struct parts *p, char *err, size_t err_len)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/web-sessions", cfg->data_dir);
	size_t n = 0;
	FED_TRY(web_auth_persist(
	    p->auth, path, fed_clock_now_ms(), &n, err, err_len));
	fed_log(FED_LOG_INFO, "web", "%zu sessions kept from %s", n, path);
	return FED_OK;
}

static fed_status
build(const struct web_cfg *cfg, struct parts *p)
{
	char err[512] = "";
	fed_status st = fed_tz_load(cfg->tz, &p->tz);
	if (st != FED_OK)
		snprintf(err, sizeof(err), "tz '%s': %s", cfg->tz,
		    fed_status_str(st));
	if (st == FED_OK)
		st = web_auth_new(cfg->users_file, cfg->data_dir,
		    cfg->session_ttl_ms, (size_t) cfg->max_sessions, &p->auth,
		    err, sizeof(err));
	fed_tls_opts tls
	    = {cfg->tls_cert, cfg->tls_key, cfg->tls_ca, cfg->tls_server_name};
	web_backend_opts bo
	    = {cfg->invest, cfg->invest_token, cfg->nodes, cfg->directory,
	        cfg->directory_token, (uint32_t) cfg->timeout_ms, &tls};
	if (st == FED_OK)
		st = web_backend_new(&bo, &p->backend, err, sizeof(err));
	if (st == FED_OK)
		st = check_nodes(p, err, sizeof(err));
	if (st == FED_OK)
		st = persist_sessions(cfg, p, err, sizeof(err));
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, "web", "%s",
		    err[0] ? err : fed_status_str(st));
		return st;
	}
	if (web_auth_n_users(p->auth) == 0)
		fed_log(FED_LOG_WARNING, "web",
		    "no user configured (--users-file): nobody can log in");
	static char presets[4200];
	snprintf(presets, sizeof(presets), "%s/web-presets", cfg->data_dir);
	web_app_opts ao = {p->backend, p->auth, p->tz, cfg->session_ttl_ms,
	    cfg->cookie_secure, cfg->invest, cfg->trusted_proxy, presets};
	FED_TRY(web_app_new(&ao, &p->app));
	st = web_http_new(cfg->listen, (unsigned) cfg->workers, 256, 64 * 1024,
	    web_app_handle, p->app, &p->http);
	if (st == FED_OK)
		st = web_http_start(p->http);
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, "web", "cannot serve %s: %s", cfg->listen,
		    fed_status_str(st));
	return st;
}

static int
run(const struct web_cfg *cfg, const sigset_t *stop_signals)
{
	struct parts p = {0};
	fed_metrics_server *ms = NULL;
	int rc = 1;
	if (build(cfg, &p) == FED_OK
	    && fed_metrics_listen(cfg->metrics_listen, "fed-web", &ms)
	        == FED_OK) {
		struct users_reload ur = {cfg, &p};
		fed_process_on_reload("web users", reload_users, &ur);
		fed_log(FED_LOG_NOTICE, "web", "serving %s", cfg->listen);
		int sig = fed_process_serve(stop_signals);
		fed_log(FED_LOG_NOTICE, "web", "signal %d: stopping", sig);
		fed_process_reload_clear();
		rc = 0;
	}
	fed_metrics_server_free(ms);
	web_http_free(p.http);
	web_app_free(p.app);
	web_backend_free(p.backend);
	web_auth_free(p.auth);
	fed_tz_free(p.tz);
	if (rc == 0)
		fed_log(FED_LOG_NOTICE, "web", "stopped");
	return rc;
}

int
main(int argc, char **argv)
{
	struct web_cfg cfg;
	int rc = fed_cfg_main(&web_spec, &cfg, argc, argv, NULL);
	if (rc < 0 && cfg.hash_password)
		rc = hash_password();
	if (rc >= 0) {
		fed_cfg_fini(&web_spec, &cfg);
		return rc;
	}
	sigset_t stop_signals;
	fed_process_init(cfg.log_level, &stop_signals);
	rc = run(&cfg, &stop_signals);
	fed_cfg_fini(&web_spec, &cfg);
	return rc;
}
