// SPDX-License-Identifier: MIT
//
// fed-node: one organisation's node of the federation. Stores meter series
// in sqlite, serves enfed.v1.SeriesStore, Grants, AlarmService and Health
// on its RPC addresses, publishes every newly stored point (and alarm
// events) on its stream address.
//
// Configuration: the table below (file, FED_* environment, --flags; see
// --help). Logs go to stderr. SIGTERM or SIGINT stops it cleanly: calls in
// progress finish, the store is checkpointed and closed; nothing that was
// acknowledged is lost (each ingest is committed before its reply, alone or
// in a group commit shared with concurrent calls). SIGHUP
// rereads the tokens and peers files without closing a connection.

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fed/cfg.h"
#include "fed/log.h"
#include "fed/metrics.h"
#include "fed/process.h"
#include "fed/rpc.h"
#include "fed/stream.h"
#include "fed/tls.h"
#include "node_alarm_rpc.h"
#include "node_alarms.h"
#include "node_auth.h"
#include "node_directory.h"
#include "node_fanout.h"
#include "node_grants.h"
#include "node_http.h"
#include "node_metrics.h"
#include "node_server.h"
#include "node_replicate.h"
#include "node_rpc.h"
#include "store.h"

struct node_cfg {
	char *name;
	char *data_dir;
	bool init;
	char *listen;
	char *stream;
	char *public_stream;
	char *tz;
	int sync;
	char *admin_token;
	char *admin_token_hash;
	char *tokens_file;
	char *peers_file;
	char *directory;
	char *enrolment_token;
	char *organisation;
	char *advertise_rpc;
	char *advertise_stream;
	int64_t lease_ms;
	int64_t replicate_timeout_ms;
	int64_t alarm_tick_ms;
	int64_t scrub_interval_ms;
	uint64_t scrub_pause_ms;
	uint64_t workers;
	uint64_t max_calls;
	uint64_t commit_wait_ms;
	size_t max_msg;
	uint64_t max_batch_points;
	uint64_t max_query_cells;
	uint64_t max_conns;
	uint64_t max_series_per_token;
	uint64_t max_conns_per_peer;
	int64_t idle_timeout_ms;
	char *tls_cert;
	char *tls_key;
	char *tls_ca;
	char *tls_revoked;
	char *stream_tls_ca;
	char *metrics_listen;
	char *http_listen;
	fed_log_level log_level;
};

#define C struct node_cfg
static const fed_cfg_opt node_opts[] = {
    FED_CFG_OPT_STRING_LEN(C, name, "name", "node", 1, 64,
        "this node's name in the federation, e.g. lognact"),
    FED_CFG_OPT_STRING_LEN(C, data_dir, "data-dir", "./node-data", 1, 4000,
        "folder of the series database (created if missing)"),
    FED_CFG_OPT_BOOL(C, init, "init", "false",
        "accept an existing empty series.db and initialise it as a new, "
        "empty store (without it such a file is refused: a truncated "
        "store must not come back as an empty node; a missing file is "
        "always created)"),
    FED_CFG_OPT_STRING_LEN(C, listen, "listen", "tcp://127.0.0.1:7410", 1,
        4000, "RPC addresses, comma-separated (ipc://, tcp://, tls+tcp://)"),
    FED_CFG_OPT_STRING_LEN(C, stream, "stream", "tcp://127.0.0.1:7411", 1,
        4000,
        "live stream (PUB) addresses, comma-separated: every series, "
        "for this organisation's own programs only"),
    FED_CFG_OPT_STRING_LEN(C, public_stream, "public-stream", "", 0, 4000,
        "live stream of the public series only, which other members of "
        "the federation may reach (empty: none)"),
    FED_CFG_OPT_STRING_LEN(C, tz, "tz", "Europe/Paris", 1, 64,
        "time zone of calendar steps when a query names none"),
    FED_CFG_OPT_ENUM(C, sync, "sync", "full", "full|normal",
        "sqlite synchronous mode: full loses nothing acknowledged on a "
        "power cut; normal may lose the last commits"),
    FED_CFG_OPT_STRING(C, admin_token, "admin-token", NULL,
        "administrator token (use @FILE to read it from a file)"),
    FED_CFG_OPT_STRING(C, admin_token_hash, "admin-token-hash", NULL,
        "hex SHA-256 of the administrator token, instead of the token"),
    FED_CFG_OPT_STRING(C, tokens_file, "tokens-file", NULL,
        "file of app tokens: one 'name reader|writer|admin sha256hex' a line"),
    FED_CFG_OPT_STRING(C, peers_file, "peers-file", NULL,
        "nodes this one replicates granted series to: one "
        "'name rpc-address token|@file' a line"),
    FED_CFG_OPT_STRING(C, directory, "directory", "",
        "fed-directory's RPC address to register with (empty: none)"),
    FED_CFG_OPT_STRING(C, enrolment_token, "enrolment-token", "",
        "the federation's enrolment token for the first registration "
        "(@FILE reads it from a file)"),
    FED_CFG_OPT_STRING(C, organisation, "organisation", "",
        "the organisation running this node, shown in the directory"),
    FED_CFG_OPT_STRING(C, advertise_rpc, "advertise-rpc", "",
        "RPC address given to the directory (default: the first --listen)"),
    FED_CFG_OPT_STRING(C, advertise_stream, "advertise-stream", "",
        "stream address given to the directory (default: the first "
        "--stream)"),
    FED_CFG_OPT_DURATION(C, replicate_timeout_ms, "replicate-timeout", "30s",
        100, 600000,
        "longest wait for a grantee's reply to one replication call; "
        "after it the connection is redialled and the call retried"),
    FED_CFG_OPT_DURATION(C, alarm_tick_ms, "alarm-tick", "10s", 50, 3600000,
        "how often alarm rules that depend on time are checked (stale "
        "series, siblings waiting for each other)"),
    FED_CFG_OPT_DURATION(C, scrub_interval_ms, "scrub-interval", "24h", 0,
        INT64_C(31622400000),
        "how often every stored block is checked (checksum, decoding); "
        "the result is logged and shown by Health; 0: never (fedctl node "
        "check still runs one)"),
    FED_CFG_OPT_UINT(C, scrub_pause_ms, "scrub-pause-ms", "5", 0, 10000,
        "pause between batches of 256 blocks during a scrub, so that it "
        "never starves ingest and queries"),
    FED_CFG_OPT_DURATION(C, lease_ms, "lease", "60s", 3000, 86400000,
        "directory lease asked for; renewed at a third of it"),
    FED_CFG_OPT_UINT(C, workers, "workers", "16", 1, 4096,
        "threads running RPC handlers at once (the HTTP endpoint takes "
        "at most 64); an Ingest call waiting for its commit holds none"),
    FED_CFG_OPT_UINT(C, max_calls, "max-calls", "256", 1, 65536,
        "RPC requests in progress at once, Ingest calls waiting for "
        "their commit included (at least --workers): at most this many "
        "share one commit; raise it for thousands of collectors"),
    FED_CFG_OPT_UINT(C, commit_wait_ms, "commit-wait-ms", "2", 0, 1000,
        "group commit: Ingest calls running at once share one "
        "transaction and one fsync, each acknowledged once it is "
        "durable; a call waits at most this long for others on their "
        "way (a lone call never waits). 0: every call commits alone"),
    FED_CFG_OPT_SIZE(C, max_msg, "max-msg", "16MiB", 4096, 1 << 30,
        "largest request accepted, compressed or not"),
    FED_CFG_OPT_UINT(C, max_batch_points, "max-batch-points", "1000000", 1,
        100000000, "most points in one Ingest call"),
    FED_CFG_OPT_UINT(C, max_query_cells, "max-query-cells", "500000", 1000,
        100000000,
        "most cells (series x buckets, or raw points) in one Query"),
    FED_CFG_OPT_UINT(C, max_series_per_token, "max-series-per-token", "1000",
        0, 100000000,
        "series a writer token limited to prefixes may create under them"
        " (0: no quota)"),
    FED_CFG_OPT_UINT(C, max_conns, "max-conns", "4096", 16, 1000000,
        "RPC connections held at once; more are closed as they arrive"),
    FED_CFG_OPT_UINT(C, max_conns_per_peer, "max-conns-per-peer", "512", 1,
        1000000, "RPC connections held at once from one address"),
    FED_CFG_OPT_DURATION(C, idle_timeout_ms, "idle-timeout", "300s", 100,
        86400000,
        "an RPC connection without a request for this long is "
        "closed (clients reconnect by themselves)"),
    FED_CFG_OPTS_TLS(C, tls_cert, tls_key, tls_ca, tls_revoked),
    FED_CFG_OPT_STRING(C, stream_tls_ca, "stream-tls-ca", "",
        "the organisation's own CA (PEM) for the private --stream on "
        "tls+tcp://: only certificates it signed may subscribe. Required "
        "there, and never the federation's --tls-ca, whose members would "
        "then receive every private series"),
    FED_CFG_OPT_METRICS(C, metrics_listen),
    FED_CFG_OPT_STRING_LEN(C, http_listen, "http-listen", "", 0, 4000,
        "InfluxDB 1.x-compatible HTTP endpoint for Grafana and Home "
        "Assistant (http://host:port, or https:// with --tls-cert and "
        "--tls-key); every call goes through the tokens and the policy "
        "(docs/integrations.md). Empty: none"),
    FED_CFG_OPT_LOG_LEVEL(C, log_level, "log-level", "info",
        "err, warning, notice, info or debug"),
};
#undef C

static const fed_cfg_spec node_spec = {"fed-node", "[OPTION]...",
    "Stores an organisation's meter series and serves them to the "
    "federation.",
    node_opts, FED_CFG_N(node_opts), 0};

static fed_status
open_store(const struct node_cfg *cfg, node_store **out)
{
	if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST) {
		fed_log(FED_LOG_ERR, "node", "cannot create %s: %s",
		    cfg->data_dir, strerror(errno));
		return FED_UNAVAILABLE;
	}
	node_store_opts so;
	node_store_opts_init(&so);
	so.sync_normal = cfg->sync == 1;
	so.default_tz = cfg->tz;
	so.init = cfg->init;
	so.commit_wait_ms = (unsigned) cfg->commit_wait_ms;
	node_store_err err = {{0}};
	fed_status st = node_store_open(cfg->data_dir, &so, out, &err);
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, "node", "store %s: %s", cfg->data_dir,
		    err.msg);
	return st;
}

// 1 when files a and b hold the same bytes (the same CA given twice, under
// two names or as two copies).
static int
same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int same = fa != NULL && fb != NULL;
	while (same) {
		int ca = getc(fa), cb = getc(fb);
		same = ca == cb;
		if (ca == EOF || cb == EOF)
			break;
	}
	if (fa != NULL)
		fclose(fa);
	if (fb != NULL)
		fclose(fb);
	return same;
}

// The TLS settings of the private stream, which carries every series: on
// tls+tcp:// only the organisation's own CA may admit subscribers, never
// the federation's (any member's certificate would do). FAILED_PRECONDITION
// (logged) for a configuration that would open it to the federation.
static fed_status
private_stream_tls(const struct node_cfg *cfg, fed_tls_opts *out)
{
	*out = (fed_tls_opts) {
	    cfg->tls_cert, cfg->tls_key, cfg->stream_tls_ca, NULL};
	if (strstr(cfg->stream, "tls+tcp://") == NULL)
		return FED_OK;
	const char *why = NULL;
	if (cfg->stream_tls_ca[0] == '\0')
		why = "needs --stream-tls-ca, the organisation's own CA";
	else if (cfg->tls_ca != NULL && cfg->tls_ca[0] != '\0'
	    && same_file(cfg->stream_tls_ca, cfg->tls_ca))
		why = "--stream-tls-ca is the federation's --tls-ca: every "
		      "member could subscribe";
	if (why == NULL)
		return FED_OK;
	fed_log(FED_LOG_ERR, "node",
	    "--stream on tls+tcp:// carries every private series: %s "
	    "(docs/security.md)",
	    why);
	return FED_FAILED_PRECONDITION;
}

// The first address of a comma-separated list, into buf.
static const char *
first_of(const char *list, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", (int) strcspn(list, ","), list);
	return buf;
}

static fed_status
join_directory(const struct node_cfg *cfg, node_store *store,
    const fed_tls_opts *tls, node_directory **out)
{
	char rpc[512], stream[512];
	node_directory_opts o = {
	    .url = cfg->directory,
	    .enrolment_token = cfg->enrolment_token,
	    .name = cfg->name,
	    .organisation = cfg->organisation,
	    .rpc_addr = cfg->advertise_rpc[0]
	        ? cfg->advertise_rpc
	        : first_of(cfg->listen, rpc, sizeof(rpc)),
	    .stream_addr = cfg->advertise_stream[0]
	        ? cfg->advertise_stream
	        : first_of(cfg->stream, stream, sizeof(stream)),
	    .data_dir = cfg->data_dir,
	    .lease_s = (uint32_t) (cfg->lease_ms / 1000),
	    .store = store,
	    .tls = tls,
	};
	fed_status st = node_directory_new(&o, out);
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, "node", "directory %s: %s",
		    cfg->directory, fed_status_str(st));
	return st;
}

struct reloads {
	const struct node_cfg *cfg;
	node_auth *auth;
	node_replicator *repl;
};

// SIGHUP: the tokens file again. A refused file keeps the tokens in force.
static fed_status
reload_tokens(void *arg)
{
	const struct node_cfg *cfg = ((struct reloads *) arg)->cfg;
	node_auth *auth = ((struct reloads *) arg)->auth;
	char err[256] = "";
	fed_status st = node_auth_reload(auth, err, sizeof(err));
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, "node", "tokens not reloaded: %s",
		    err[0] ? err : fed_status_str(st));
		return st;
	}
	fed_log(FED_LOG_NOTICE, "node", "tokens reloaded: %zu from %s",
	    node_auth_count(auth),
	    cfg->tokens_file != NULL && cfg->tokens_file[0] != '\0'
	        ? cfg->tokens_file
	        : "the admin token only");
	return FED_OK;
}

// SIGHUP: the peers file again. A refused file keeps the peers in force.
static fed_status
reload_peers(void *arg)
{
	const struct reloads *r = arg;
	size_t n = 0;
	fed_status st = node_replicator_reload_peers(r->repl, &n);
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, "node",
		    "peers not reloaded: %s (see the line above)",
		    fed_status_str(st));
		return st;
	}
	if (r->cfg->peers_file != NULL && r->cfg->peers_file[0] != '\0')
		fed_log(FED_LOG_NOTICE, "node", "peers reloaded: %zu from %s",
		    n, r->cfg->peers_file);
	return FED_OK;
}

static void
kick(void *repl)
{
	node_replicator_kick(repl);
}

static int
run(const struct node_cfg *cfg, const sigset_t *stop_signals)
{
	fed_tls_opts tls = {cfg->tls_cert, cfg->tls_key, cfg->tls_ca, NULL};
	node_store *store = NULL;
	node_auth *auth = NULL;
	node_grants *grants = NULL;
	node_policy *policy = NULL;
	node_replicator *repl = NULL;
	node_directory *dir = NULL;
	node_alarms *alarms = NULL;
	node_scrub_src scrub_src = {0}; // borrowed by scrub
	fed_scrub *scrub = NULL;
	node_backup *backup = NULL;
	fed_stream_pub *pub = NULL, *public_pub = NULL;
	fed_rpc_server *srv = NULL;
	node_metrics *nm = NULL;
	fed_metrics_server *msrv = NULL;
	node_http_server *hsrv = NULL;
	char err[256] = "";
	int rc = 1;
	if (fed_tls_revocation_init(cfg->tls_revoked) != FED_OK)
		goto out;
	if (node_auth_new(cfg->admin_token, cfg->admin_token_hash,
	        cfg->tokens_file, &auth, err, sizeof(err))
	    != FED_OK) {
		fed_log(FED_LOG_ERR, "node", "%s", err);
		goto out;
	}
	if (node_auth_count(auth) == 0)
		fed_log(FED_LOG_WARNING, "node",
		    "no token configured: every call but Health is refused "
		    "(set --admin-token or --tokens-file)");
	if (open_store(cfg, &store) != FED_OK)
		goto out;
	if (node_grants_new(store, &grants) != FED_OK) {
		fed_log(FED_LOG_ERR, "node", "cannot load the grants");
		goto out;
	}
	node_auth_set_grants(auth, grants);
	node_replicator_opts rpo = {.store = store,
	    .grants = grants,
	    .node_name = cfg->name,
	    .peers_file = cfg->peers_file,
	    .tls = &tls,
	    .timeout_ms = cfg->replicate_timeout_ms};
	if (node_replicator_new(&rpo, &repl) != FED_OK)
		goto out;
	fed_tls_opts stream_tls;
	if (private_stream_tls(cfg, &stream_tls) != FED_OK
	    || fed_stream_pub_new(&pub) != FED_OK
	    || fed_stream_pub_listen_list(pub, cfg->stream, &stream_tls)
	        != FED_OK)
		goto out;
	if (cfg->public_stream[0] != '\0'
	    && (fed_stream_pub_new(&public_pub) != FED_OK
	        || fed_stream_pub_listen_list(
	               public_pub, cfg->public_stream, &tls)
	            != FED_OK))
		goto out;
	node_alarms_opts ao = {.store = store,
	    .pub = pub,
	    .node_name = cfg->name,
	    .tick_ms = cfg->alarm_tick_ms};
	if (node_alarms_new(&ao, &alarms) != FED_OK) {
		fed_log(FED_LOG_ERR, "node", "cannot load the alarm rules");
		goto out;
	}
	node_alarm_rpc nar = {.store = store, .alarms = alarms};
	scrub_src = (node_scrub_src) {
	    .store = store, .pause_ms = (unsigned) cfg->scrub_pause_ms};
	fed_scrub_opts sco
	    = node_scrub_opts_of(&scrub_src, cfg->scrub_interval_ms);
	if (fed_scrub_new(&sco, &scrub) != FED_OK)
		goto out;
	if (node_policy_new(store, grants, &policy) != FED_OK)
		goto out;
	node_policy_set_max_series(policy, cfg->max_series_per_token);
	fed_rpc_server_opts ro;
	fed_rpc_server_opts_default(&ro);
	ro.n_workers = (unsigned) cfg->workers;
	ro.n_contexts = (unsigned) cfg->max_calls;
	ro.max_msg = cfg->max_msg;
	ro.codec.max_len
	    = cfg->max_msg > (16u << 20) ? cfg->max_msg : 16u << 20;
	ro.name = "node";
	ro.max_conns = cfg->max_conns;
	ro.max_conns_per_peer = cfg->max_conns_per_peer;
	ro.idle_timeout_ms = (uint32_t) cfg->idle_timeout_ms;
	node_rpc nr = {.store = store,
	    .max_batch_points = cfg->max_batch_points,
	    .max_query_series = 64,
	    .max_query_cells = cfg->max_query_cells};
	// Every commit's new points: the streams, the alarm rules and the
	// replicator, in commit order.
	node_fanout fanout = {.pub = pub,
	    .public_pub = public_pub,
	    .alarms = alarms,
	    .wake = kick,
	    .wake_arg = repl};
	node_store_set_on_commit(store, node_fanout_on_commit, &fanout);
	if (cfg->directory[0] != '\0'
	    && join_directory(cfg, store, &tls, &dir) != FED_OK)
		goto out;
	if (dir != NULL) // other members may read the public series
		node_auth_set_member_check(
		    auth, node_directory_is_member, dir);
	if (node_backup_new(store, cfg->data_dir, &backup) != FED_OK)
		goto out;
	node_server_parts parts = {.auth = auth,
	    .policy = policy,
	    .series = &nr,
	    .grants = grants,
	    .alarms = &nar,
	    .scrub = scrub,
	    .backup = backup,
	    .name = cfg->name};
	if (node_server_new(&parts, &ro, &srv, err, sizeof(err)) != FED_OK) {
		fed_log(FED_LOG_ERR, "node", "%s", err);
		goto out;
	}
	// Metrics first: once Health answers, /metrics does too.
	node_metrics_parts mp = {store, alarms, cfg->data_dir};
	if (node_metrics_new(&mp, &nm) != FED_OK
	    || fed_metrics_listen(cfg->metrics_listen, "fed-node", &msrv)
	        != FED_OK)
		goto out;
	if (fed_rpc_server_listen_list(srv, cfg->listen, &tls) != FED_OK
	    || fed_rpc_server_start(srv) != FED_OK)
		goto out;
	node_http_opts ho = {.rpc = srv, .db = cfg->name};
	if (cfg->http_listen[0] != '\0'
	    && node_http_server_new(&ho, cfg->http_listen, &tls,
	           (unsigned) (cfg->workers < 64 ? cfg->workers : 64),
	           cfg->max_msg, &hsrv)
	        != FED_OK)
		goto out;
	struct reloads tr = {cfg, auth, repl};
	fed_process_on_reload("node tokens", reload_tokens, &tr);
	fed_process_on_reload("node peers", reload_peers, &tr);
	fed_log(FED_LOG_NOTICE, "node", "%s ready (data in %s)", cfg->name,
	    cfg->data_dir);
	int sig = fed_process_serve(stop_signals);
	fed_log(FED_LOG_NOTICE, "node", "signal %d: stopping", sig);
	node_store_commit_stats cs;
	node_store_get_commit_stats(store, &cs);
	fed_log(FED_LOG_NOTICE, "node",
	    "group commit: %llu Ingest calls in %llu commits since the start",
	    (unsigned long long) cs.n_calls,
	    (unsigned long long) cs.n_commits);
	rc = 0;
out:
	fed_process_reload_clear();
	// The server first: its workers may be asking the directory. A
	// check in progress (Integrity/Check) ends at its next batch.
	fed_scrub_stop(scrub);
	node_http_server_free(hsrv); // calls the RPC server's handlers
	fed_metrics_server_free(msrv); // its collectors read the store
	node_metrics_free(nm);
	fed_rpc_server_free(srv); // finishes calls in progress first
	if (store != NULL) // the fan-out's parts go next
		node_store_set_on_commit(store, NULL, NULL);
	fed_scrub_free(scrub); // stops a scrub in progress at its next batch
	node_backup_free(backup); // removes the last snapshot
	node_directory_free(dir);
	node_replicator_free(repl);
	node_alarms_free(alarms); // publishes: before the stream closes
	fed_stream_pub_free(pub);
	fed_stream_pub_free(public_pub);
	node_policy_free(policy);
	node_grants_free(grants);
	node_store_close(store);
	node_auth_free(auth);
	if (rc == 0)
		fed_log(FED_LOG_NOTICE, "node", "stopped");
	return rc;
}

int
main(int argc, char **argv)
{
	struct node_cfg cfg;
	int rc = fed_cfg_main(&node_spec, &cfg, argc, argv, NULL);
	if (rc >= 0) {
		fed_cfg_fini(&node_spec, &cfg);
		return rc;
	}
	sigset_t stop_signals;
	fed_process_init(cfg.log_level, &stop_signals);
	// Before any thread: glibc's default of 8 arenas a core keeps what
	// large answers freed in the workers' arenas, beyond malloc_trim's
	// reach in practice (bench_hostile: 95 MB still held after 16 answers
	// of 400,000 cells at once, 19 MB with 4 arenas, same peak).
	mallopt(M_ARENA_MAX, 4);
	rc = run(&cfg, &stop_signals);
	fed_cfg_fini(&node_spec, &cfg);
	return rc;
}
