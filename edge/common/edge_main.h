// SPDX-License-Identifier: MIT
//
// edge_main.h: what the mains of the edge collectors (fed-edge-tic,
// fed-edge-envoy) share, so that each keeps only its own options and its
// loop:
//
//   - the options every collector has (the node, its token, the TLS
//     certificate, key and CA of a tls+tcp:// node, the series' site and
//     owner, the sender's, the log level), as rows of the program's table
//     over an edge_main_cfg embedded in its config;
//   - the start-up: options loaded (--help, --version and usage errors
//     end the program there), logging on stderr at --log-level, SIGTERM
//     and SIGINT turned into a stop request that the loop polls
//     (edge_main_stopping), SIGPIPE ignored, the sender made from the
//     options; and the end: the sender freed, the options released;
//   - the drain at the end of the input (exit status 3 when points are
//     left in the spool) and the summary line of counters that the tests
//     and operators read ("summary: ... sent=... pending=...").
//
// Everything here is called from the program's main thread; the stop
// request is set by the signal handler only.

#ifndef EDGE_MAIN_H
#define EDGE_MAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge_sender.h"
#include "fed/cfg.h"
#include "fed/log.h"
#include "fed/metrics.h"

// The options every collector has. Embed one in the program's config
// struct under member M.
typedef struct edge_main_cfg {
	char *node; // RPC address of the fed-node
	char *token; // writer token (@FILE read by the loader)
	char *tls_cert; // the board's certificate (fed-pki edge)
	char *tls_key; // its private key
	char *tls_ca; // the CA that signed the node's certificate
	char *node_server_name; // name expected in the node's certificate
	                        // (NULL: the host of --node)
	char *site; // first part of the series ids
	char *owner; // owner written in the series
	edge_sender_cfg sender;
	char *metrics_listen; // http:// address of /metrics, "" for none
	fed_log_level log_level;
} edge_main_cfg;

// The rows of those options, for a table over config struct T with the
// edge_main_cfg at member M; each collector lists them where its --help
// shows them: --node, --token and the TLS options first, --site with the
// collector's default, --owner, and last the sender's options
// (EDGE_SENDER_CFG_OPTS, with the default spool folder and the help of
// --drain-timeout) and --log-level.
#define EDGE_MAIN_NODE_OPTS(T, M)                                            \
	FED_CFG_OPT_STRING_LEN(T, M.node, "node", "tcp://127.0.0.1:7410", 1, \
	    4000, "RPC address of the fed-node to feed"),                    \
	    FED_CFG_OPT_STRING(T, M.token, "token", NULL,                    \
	        "token with the writer role on that node (@FILE reads a "    \
	        "file)"),                                                    \
	    FED_CFG_OPT_STRING(T, M.tls_cert, "tls-cert", NULL,              \
	        "tls+tcp:// node: this board's certificate (PEM, fed-pki "   \
	        "edge)"),                                                    \
	    FED_CFG_OPT_STRING(T, M.tls_key, "tls-key", NULL,                \
	        "tls+tcp:// node: its private key (PEM)"),                   \
	    FED_CFG_OPT_STRING(T, M.tls_ca, "tls-ca", NULL,                  \
	        "tls+tcp:// node: the CA (PEM) that signed the node's "      \
	        "certificate"),                                              \
	    FED_CFG_OPT_STRING(T, M.node_server_name, "node-server-name",    \
	        NULL,                                                        \
	        "tls+tcp:// node: name expected in its certificate "         \
	        "(default: the host of --node)")

#define EDGE_MAIN_SITE_OPT(T, M, site_def)                           \
	FED_CFG_OPT_STRING_LEN(T, M.site, "site", (site_def), 1, 64, \
	    "site name: the first part of the series ids")

#define EDGE_MAIN_OWNER_OPT(T, M) \
	FED_CFG_OPT_STRING_LEN(   \
	    T, M.owner, "owner", "", 0, 200, "owner written in the series")

#define EDGE_MAIN_END_OPTS(T, M, spool_def, drain_help)                \
	EDGE_SENDER_CFG_OPTS(T, M.sender, spool_def, drain_help),      \
	    FED_CFG_OPT_METRICS(T, M.metrics_listen),                  \
	    FED_CFG_OPT_LOG_LEVEL(T, M.log_level, "log-level", "info", \
	        "err, warning, notice, info or debug")

// A collector's main, as edge_main_run runs it.
typedef struct edge_main_spec {
	// Its options (every row of edge_main_cfg among them); the config
	// struct holds its edge_main_cfg at common_offset.
	const fed_cfg_spec *spec;
	size_t common_offset;
	// Log component of the program and of its sender, e.g. "tic".
	const char *component;
	// Checks what the table cannot (options that go together), NULL
	// when nothing is to check: -1 when the options are right, else the
	// exit status, after a line on stderr.
	int (*check)(const void *cfg);
	// Runs the collector until its input ends or a stop is requested,
	// handing its points to s (borrowed). Returns the exit status.
	int (*run)(const void *cfg, edge_sender *s);
} edge_main_spec;

// The whole main of a collector: loads m->spec into cfg (fed_cfg_main:
// --help and --version print and return 0, a bad command line returns 2),
// calls m->check, checks --node with the TLS options (a tls+tcp:// node
// without a certificate, a key and a CA: exit status 2, said on stderr),
// sets the log sink to stderr at --log-level (warning when a token goes
// over plain tcp:// to another machine), installs the stop request
// (SIGTERM, SIGINT) and ignores SIGPIPE, makes the sender from the common
// options (edge_sender_opts_from_cfg, and the TLS options) and calls
// m->run; then frees the sender and releases cfg. cfg is the caller's
// storage of the spec's config struct (uninitialised). Returns the exit
// status: m->run's, or the above, or 1 when the sender cannot start
// (logged; e.g. a certificate that cannot be read).
int edge_main_run(const edge_main_spec *m, void *cfg, int argc, char **argv);

// Whether SIGTERM or SIGINT asked the program to stop since edge_main_run
// installed the request. The loop polls it (a blocking wait of the
// collector's returns early on the signal: EINTR).
bool edge_main_stopping(void);

// The end of a finite input: waits up to drain_ms until the sender holds
// nothing (edge_sender_drain). 0 when all is sent; otherwise logs `left`
// as a warning under component and returns 3.
int edge_main_drain(
    edge_sender *s, int64_t drain_ms, const char *component, const char *left);

// Logs at NOTICE under component the line "summary: " followed by the
// collector's counters (fmt and its arguments, "name=value" separated by
// spaces) and the sender's: sent, stored, duplicate, dead, lost, thinned,
// pending.
void edge_main_summary(edge_sender *s, const char *component, const char *fmt,
    ...) FED__PRINTF(3, 4);

#endif // EDGE_MAIN_H
