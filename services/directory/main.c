// SPDX-License-Identifier: MIT
//
// fed-directory: who is in the federation. Reads its configuration from
// the table below (file, FED_* environment, command line), runs one
// dir_service until SIGTERM or SIGINT, and logs to stderr. See
// docs/directory.md.

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "dir_service.h"
#include "fed/cfg.h"
#include "fed/health.h"
#include "fed/log.h"
#include "fed/metrics.h"
#include "fed/process.h"
#include "fed/tls.h"
#include "fed/token.h"

struct dir_cfg {
	char *listen;
	char *stream;
	char *db;
	int sync;
	char *enrol_hash;
	char *enrol_token;
	int64_t lease_ms;
	int64_t check_ms;
	char *tls_cert;
	char *tls_key;
	char *tls_ca;
	char *tls_revoked;
	uint64_t workers;
	char *metrics_listen;
	fed_log_level log_level;
	char *admin_token;
	char *admin_hash;
	int64_t scrub_ms;
};

#define C struct dir_cfg
static const fed_cfg_opt dir_opts[] = {
    FED_CFG_OPT_STRING(C, listen, "listen", "tcp://127.0.0.1:7400",
        "RPC address (ipc://, tcp://, tls+tcp://)"),
    FED_CFG_OPT_STRING(C, stream, "stream", "tcp://127.0.0.1:7401",
        "PUB address of membership events (topic \"!members\")"),
    FED_CFG_OPT_STRING_LEN(C, db, "db", "directory.db", 1, 4096,
        "the sqlite database (created if missing)"),
    FED_CFG_OPT_ENUM(C, sync, "sync", "full", "full|normal",
        "sqlite synchronous mode: full loses nothing acknowledged"),
    FED_CFG_OPT_STRING(C, enrol_hash, "enrolment-token-hash", NULL,
        "hex SHA-256 of the federation enrolment token"),
    FED_CFG_OPT_STRING(C, enrol_token, "enrolment-token", NULL,
        "the enrolment token itself (use @FILE); instead of its hash"),
    FED_CFG_OPT_STRING(C, admin_token, "admin-token", NULL,
        "administrator token, for Integrity/Check (use @FILE)"),
    FED_CFG_OPT_STRING(C, admin_hash, "admin-token-hash", NULL,
        "hex SHA-256 of the administrator token, instead of the token"),
    FED_CFG_OPT_DURATION(C, lease_ms, "lease", "60s", 100, 86400000,
        "lease granted to nodes, renewed by Heartbeat"),
    FED_CFG_OPT_DURATION(C, check_ms, "expiry-check", "1s", 10, 3600000,
        "how often expired leases are looked for"),
    FED_CFG_OPT_DURATION(C, scrub_ms, "scrub-interval", "24h", 0,
        INT64_C(31622400000),
        "how often the database is checked (sqlite's quick_check, every "
        "row's checksum); the result is logged and shown by Health; 0: "
        "never (fedctl directory check still runs one)"),
    FED_CFG_OPTS_TLS(C, tls_cert, tls_key, tls_ca, tls_revoked),
    FED_CFG_OPT_UINT(
        C, workers, "workers", "16", 1, 256, "requests served at once"),
    FED_CFG_OPT_METRICS(C, metrics_listen),
    FED_CFG_OPT_LOG_LEVEL(C, log_level, "log-level", "info",
        "err, warning, notice, info or debug"),
};
#undef C

static const fed_cfg_spec dir_spec = {"fed-directory", "[OPTION]...",
    "The federation directory: nodes register, renew a lease by heartbeat\n"
    "and are looked up by name, series or organisation.",
    dir_opts, FED_CFG_N(dir_opts), 0};

// The enrolment token's hash, from exactly one of the two options.
static int
enrol_hash(const struct dir_cfg *cfg, char *hash)
{
	int has_hash = cfg->enrol_hash != NULL && cfg->enrol_hash[0] != '\0';
	int has_token
	    = cfg->enrol_token != NULL && cfg->enrol_token[0] != '\0';
	if (has_hash == has_token) {
		fprintf(stderr,
		    "fed-directory: set one of enrolment-token-hash and "
		    "enrolment-token\n");
		return -1;
	}
	if (has_token) {
		fed_token_hash(cfg->enrol_token, hash);
		return 0;
	}
	size_t len = strlen(cfg->enrol_hash);
	if (len != FED_TOKEN_HASH_LEN
	    || strspn(cfg->enrol_hash, "0123456789abcdefABCDEF") != len) {
		fprintf(stderr,
		    "fed-directory: enrolment-token-hash: 64 hex digits\n");
		return -1;
	}
	memcpy(hash, cfg->enrol_hash, len + 1);
	return 0;
}

// The administrator token's hash, from at most one of the two options,
// into hash ("" when neither is set).
static int
admin_hash(const struct dir_cfg *cfg, const char *enrol, char *hash)
{
	int has_hash = cfg->admin_hash != NULL && cfg->admin_hash[0] != '\0';
	int has_token
	    = cfg->admin_token != NULL && cfg->admin_token[0] != '\0';
	hash[0] = '\0';
	if (has_hash && has_token) {
		fprintf(stderr,
		    "fed-directory: set one of admin-token-hash and "
		    "admin-token\n");
		return -1;
	}
	if (has_token)
		fed_token_hash(cfg->admin_token, hash);
	if (has_hash && !fed_token_is_hash(cfg->admin_hash)) {
		fprintf(stderr,
		    "fed-directory: admin-token-hash: 64 hex digits\n");
		return -1;
	}
	for (size_t i = 0; has_hash && i <= FED_TOKEN_HASH_LEN; i++)
		hash[i] = (char) tolower((unsigned char) cfg->admin_hash[i]);
	if (hash[0] != '\0' && fed_token_equal(hash, enrol)) {
		fprintf(stderr,
		    "fed-directory: the admin token must not be the "
		    "enrolment token\n");
		return -1;
	}
	return 0;
}

// Serves until SIGTERM or SIGINT; the signals are blocked in every thread
// and taken here (fed_process_serve), so no handler runs inside nng or sqlite.
static int
run(const struct dir_cfg *cfg, const char *hash, const char *admin)
{
	sigset_t set;
	fed_process_init(cfg->log_level, &set);
	fed_tls_opts tls = {cfg->tls_cert, cfg->tls_key, cfg->tls_ca, NULL};
	dir_service_opts o = {cfg->listen, cfg->stream, cfg->db,
	    cfg->sync == 0, hash, cfg->lease_ms, cfg->check_ms, &tls,
	    (unsigned) cfg->workers, admin, cfg->scrub_ms};
	dir_service *d = NULL;
	fed_status st = fed_tls_revocation_init(cfg->tls_revoked);
	if (st == FED_OK)
		st = dir_service_new(&o, &d);
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, "directory", "cannot start: %s",
		    fed_status_str(st));
		return 1;
	}
	fed_metrics_server *ms = NULL;
	if (fed_metrics_listen(cfg->metrics_listen, "fed-directory", &ms)
	    != FED_OK) {
		dir_service_free(d);
		return 1;
	}
	fed_log(FED_LOG_NOTICE, "directory", "ready: rpc %s, stream %s",
	    cfg->listen, cfg->stream);
	// Its tokens live in its database and its enrolment token in the
	// config: a SIGHUP has nothing of its own to reread, but runs the
	// reloads that others register (TLS) and does not stop it.
	int sig = fed_process_serve(&set);
	fed_log(FED_LOG_NOTICE, "directory", "stopping on signal %d", sig);
	fed_metrics_server_free(ms);
	dir_service_free(d);
	return 0;
}

int
main(int argc, char **argv)
{
	struct dir_cfg cfg = {0};
	char hash[FED_TOKEN_HASH_LEN + 1], admin[FED_TOKEN_HASH_LEN + 1];
	int rc = fed_cfg_main(&dir_spec, &cfg, argc, argv, NULL);
	if (rc < 0
	    && (enrol_hash(&cfg, hash) != 0
	        || admin_hash(&cfg, hash, admin) != 0))
		rc = 2;
	if (rc < 0)
		rc = run(&cfg, hash, admin);
	fed_cfg_fini(&dir_spec, &cfg);
	return rc;
}
