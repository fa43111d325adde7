// SPDX-License-Identifier: MIT
//
// fedctl.h: what the subcommands of fedctl share: the global options, the
// run context (output format, time zones, the RPC client made on first
// use), exit codes, error reporting and the output helpers.
//
// A subcommand is one function `int cmd_<noun>(fedctl *c, int argc, char
// **argv)` in cmd_<noun>.c, listed in main.c's dispatch table. argv[0] is
// the noun itself; the function loads its own option table from argv with
// fedctl_load_sub and returns the process's exit code. Output goes to
// stdout, errors to stderr as "fedctl <command>: what: STATUS_NAME".

#ifndef FEDCTL_H
#define FEDCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>
#include <protobuf-c/protobuf-c.h>

#include "fed/cfg.h"
#include "fed/rpc.h"
#include "fed/status.h"
#include "fed/tz.h"

// Exit codes, distinct per kind of failure so that scripts can tell them
// apart (docs/fedctl.md lists them).
enum {
	FEDCTL_EXIT_OK = 0,
	FEDCTL_EXIT_OTHER = 1, // any other failure (bad data, server error)
	FEDCTL_EXIT_USAGE = 2, // bad command line
	FEDCTL_EXIT_NOT_FOUND = 3, // NOT_FOUND
	FEDCTL_EXIT_DENIED = 4, // PERMISSION_DENIED, UNAUTHENTICATED
	FEDCTL_EXIT_UNAVAILABLE = 5, // UNAVAILABLE, DEADLINE_EXCEEDED
};

// The global options (before the noun), from the config file, FED_*
// environment variables and the command line.
typedef struct fedctl_global {
	char *node; // RPC address of the node
	char *stream; // its live stream address
	char *token; // bearer token (@FILE read by the loader)
	char *directory; // RPC address of fed-directory
	char *directory_token; // its token (NULL: token)
	char *invest; // RPC address of fed-invest
	char *invest_token; // its token (NULL: token)
	char *tz; // zone of local times and calendar steps
	char *tls_cert; // this client's certificate, for tls+tcp://
	char *tls_key; // its private key
	char *tls_ca; // the CA that signed the servers' certificates
	char *tls_server_name; // name expected in their certificates
	                       // (NULL: the host of each address)
	int64_t timeout_ms; // per RPC call
	bool json, csv, utc;
	fed_log_level log_level;
} fedctl_global;

// Output options that every subcommand also accepts after its noun; they
// override the global ones. Embed this struct in a subcommand's config and
// list FEDCTL_OUT_OPTS(T, field) in its table.
typedef struct fedctl_out_opts {
	bool json, csv, utc;
	char *tz; // NULL: the global --tz
} fedctl_out_opts;

#define FEDCTL_OPT_JSON(T, f) \
	FED_CFG_OPT_BOOL(T, f.json, "json", "false", "machine output: JSON")
#define FEDCTL_OPT_CSV(T, f) \
	FED_CFG_OPT_BOOL(T, f.csv, "csv", "false", "machine output: CSV")
#define FEDCTL_OPT_UTC(T, f)                       \
	FED_CFG_OPT_BOOL(T, f.utc, "utc", "false", \
	    "show times in UTC instead of local time")
#define FEDCTL_OPT_TZ(T, f)                                              \
	FED_CFG_OPT_STRING(T, f.tz, "tz", NULL,                          \
	    "time zone of local times and calendar steps (default: the " \
	    "global --tz, Europe/Paris)")
#define FEDCTL_OUT_OPTS(T, f)                                              \
	FEDCTL_OPT_JSON(T, f), FEDCTL_OPT_CSV(T, f), FEDCTL_OPT_UTC(T, f), \
	    FEDCTL_OPT_TZ(T, f)

typedef enum fedctl_format {
	FEDCTL_TEXT,
	FEDCTL_JSON,
	FEDCTL_CSV,
} fedctl_format;

// The run context, made by main.c and passed to the subcommand.
typedef struct fedctl {
	const fedctl_global *g;
	char prog[64]; // "fedctl series ls", for messages and help
	fedctl_format format;
	bool utc; // times shown in UTC
	fed_tz *zone; // --tz (owned)
	fed_tz *utc_zone; // UTC (owned)
	fed_rpc_client *rpc; // made by fedctl_call on first use (owned)
	fed_rpc_client *svc_rpc[2]; // fedctl_svc_call's clients (owned)
} fedctl;

// The services other than the node that fedctl calls (svc.c).
typedef enum fedctl_svc {
	FEDCTL_SVC_DIRECTORY, // --directory, --directory-token
	FEDCTL_SVC_INVEST, // --invest, --invest-token
} fedctl_svc;

// Maps a status to an exit code (INVALID_ARGUMENT is OTHER: a usage error
// is reported by fedctl_usage, which returns USAGE).
int fedctl_exit_code(fed_status st);

// Prints "<prog>: <message>: <STATUS_NAME>" on stderr and returns
// fedctl_exit_code(st).
int fedctl_fail(const fedctl *c, fed_status st, const char *fmt, ...)
    FED__PRINTF(3, 4);

// Prints "<prog>: <message> (see '<prog> --help')" on stderr and returns
// FEDCTL_EXIT_USAGE.
int fedctl_usage(const fedctl *c, const char *fmt, ...) FED__PRINTF(2, 3);

// Loads a subcommand's own options (spec with FED_CFG_ARGV_ONLY) from
// argv (argv[0], the noun or verb, is skipped) into cfg, and merges its
// output options `oo` (NULL if it has none) into the context, loading a
// --tz zone. Sets c->prog to spec->program. Returns -1 when the
// subcommand should run (positional arguments in *res), otherwise the exit
// code to return at once: 0 after printing --help, 2 after a usage error,
// 1 when the zone cannot be loaded. cfg must then be released with
// fed_cfg_fini by the caller in every case.
int fedctl_load_sub(fedctl *c, const fed_cfg_spec *spec, void *cfg, int argc,
    char **argv, fedctl_out_opts *oo, fed_cfg_result *res);

// Removes every "--NAME VALUE" and "--NAME=VALUE" (before a "--") from
// argv, for an option that may be repeated (fed/cfg.h keeps only the last
// one), and returns the values in order in *vals (a heap array of
// borrowed pointers into argv, to free; NULL when none) and their number
// in *n. *argc is updated. INVALID_ARGUMENT when a "--NAME" has no value;
// RESOURCE_EXHAUSTED when memory runs out.
fed_status fedctl_take_repeated(
    int *argc, char **argv, const char *name, char ***vals, size_t *n);

// The TLS settings of every address fedctl dials (--tls-cert, --tls-key,
// --tls-ca, --tls-server-name), borrowed from the global options.
fed_tls_opts fedctl_tls(const fedctl *c);

// A client of url (the value of --option) with token, the command's
// timeout and the TLS settings (fedctl_tls); UNAVAILABLE at once, with the
// reason in err, when nothing listens at url (fed_transport_probe),
// INVALID_ARGUMENT for a bad address. *out is the caller's
// (fed_rpc_client_free).
fed_status fedctl_client_open(const fedctl *c, const char *option,
    const char *url, const char *token, fed_rpc_client **out, char *err,
    size_t err_len);

// When url is tls+tcp:// and st is UNAVAILABLE or DEADLINE_EXCEEDED,
// appends to err (a string of err_len bytes) that a refused TLS handshake
// looks the same, and what to check.
void fedctl_tls_hint(
    const char *url, fed_status st, char *err, size_t err_len);

// Calls method of svc on the node (--node, --token, --timeout), creating
// the client on first use. As fed_rpc_call: *reply is the caller's on OK,
// err receives the server's message.
fed_status fedctl_call(fedctl *c, const ProtobufCServiceDescriptor *svc,
    const char *method, const ProtobufCMessage *req, ProtobufCMessage **reply,
    char *err, size_t err_len);

// As fedctl_call on service svc of the node (the RPC runtime's rule for
// reply); reports a failure on stderr as "<prog>: <Service>/<method>:
// <server message>: <STATUS_NAME>" (the status text when the server said
// nothing) and returns the status.
fed_status fedctl_node_call(fedctl *c, const ProtobufCServiceDescriptor *svc,
    const char *method, const void *req, void *reply);

// As fedctl_call on enfed.v1.SeriesStore; reports a failure on stderr as
// "<prog>: <method> <what>: <server message>: <STATUS_NAME>" and returns
// the status.
fed_status fedctl_store_call(fedctl *c, const char *method, const char *what,
    const void *req, void *reply);

// As fedctl_store_call, on service `svc` of the given program (--directory
// or --invest, with its token, or --token when it has none), its client
// made on first use in c->svc_rpc. `what` may be "". A failure is reported
// on stderr as "<prog>: <method> <what>: <message>: <STATUS_NAME>" and its
// status returned; *reply is the caller's on OK.
fed_status fedctl_svc_call(fedctl *c, fedctl_svc which,
    const ProtobufCServiceDescriptor *svc, const char *method,
    const char *what, const void *req, void *reply);

// As fedctl_svc_call on enfed.v1.Invest at --invest.
fed_status fedctl_invest_call(fedctl *c, const char *method, const char *what,
    const void *req, void *reply);

// Frees the clients made by fedctl_svc_call (main.c, at the end).
void fedctl_svc_close(fedctl *c);

// Parses an amount of euros ("34000", "250.5", "0.05") into cents: digits,
// an optional '.' and at most two decimals, below 10^15 euros.
// INVALID_ARGUMENT otherwise; *cents written only on OK.
fed_status fedctl_parse_euros(const char *s, int64_t *cents);

// Writes cents as euros for people, with a thousands comma and decimals
// only when there are cents: "34,000 €", "1,234.50 €", "-0.05 €". buf: at
// least 40 bytes.
void fedctl_fmt_euros(int64_t cents, char *buf, size_t len);

// Writes an energy in Wh with a sensible unit (Wh, kWh, MWh, GWh) and at
// most 3 significant decimals: "850 Wh", "12.4 kWh", "3.21 MWh". buf: at
// least 40 bytes.
void fedctl_fmt_energy(double wh, char *buf, size_t len);

// Writes a sparkline of v[0..n) into buf: one character per value, scaled
// from 0 to the largest value (Unicode blocks U+2581..U+2588, or with
// ascii "_.:-=+*#"); a value whose gap[i] is true (no data) is a space,
// never the lowest block. Negative values count as 0. buf needs 3 * n + 1
// bytes (n + 1 with ascii); RESOURCE_EXHAUSTED when it is shorter.
fed_status fedctl_sparkline(const double *v, const bool *gap, size_t n,
    bool ascii, char *buf, size_t len);

// The zone in which times are shown: UTC with --utc, else --tz.
const fed_tz *fedctl_show_zone(const fedctl *c);

// Writes utc_ms as ISO 8601 with its offset in the shown zone into buf (at
// least 40 bytes). Out-of-range instants are written as milliseconds.
void fedctl_time_iso(const fedctl *c, int64_t utc_ms, char *buf, size_t len);

// Writes utc_ms as "2026-01-31 14:05" (seconds when not zero) in the shown
// zone, for tables.
void fedctl_time_short(const fedctl *c, int64_t utc_ms, char *buf, size_t len);

// Writes v with the fewest significant digits that read back as exactly v
// (for CSV and JSON-like output). buf: at least 32 bytes.
void fedctl_fmt_exact(double v, char *buf, size_t len);

// Writes v for a person: at most 3 decimals, trailing zeros removed.
void fedctl_fmt_human(double v, char *buf, size_t len);

// Writes s to f as a CSV field (quoted when it holds a comma, a quote or a
// line break).
void fedctl_csv_field(FILE *f, const char *s);

// Prints j to stdout (indented), followed by a newline, and deletes it.
// RESOURCE_EXHAUSTED when it cannot be printed.
fed_status fedctl_json_emit(cJSON *j);

// The names of enum values as on the command line.
const char *fedctl_kind_name(int kind); // "consumption", ...
const char *fedctl_unit_name(int unit); // "Wh", "W", "VA", "A", "V"
const char *fedctl_step_name(int step); // "raw", "5min", ...
const char *fedctl_agg_name(int agg); // "default", "sum", ...

#define FEDCTL_KINDS "unspecified|consumption|production|power|index"
#define FEDCTL_UNITS "unspecified|Wh|W|VA|A|V"
#define FEDCTL_STEPS "raw|5min|15min|hour|day|week|month|year"
#define FEDCTL_AGGS  "default|sum|mean|min|max|first|last|count"

// Parses a time of the command line (timearg.c), in zone `zone`, `now_ms`
// being the present:
//   2026-03-29T03:00:00+02:00, ...Z    an instant (ISO 8601, fed_tz_parse_iso)
//   2026-03-29T03:00                   local time in zone
//   2026-03-29                         local midnight in zone
//   now, today, yesterday, tomorrow    the present; local midnights
//   [BASE]+N<u> / [BASE]-N<u>          BASE (default now) moved by N units:
//                                      s, m (minutes), h: exact durations;
//                                      d, w: local calendar days and weeks
//                                      (same wall-clock time)
// e.g. "-7d", "today-1w", "now-90m", "yesterday+6h". INVALID_ARGUMENT for
// anything else (and for N above 100000). *out is written only on OK.
fed_status fedctl_time_parse(
    const fed_tz *zone, const char *s, int64_t now_ms, int64_t *out);

// --- Subcommands (cmd_<noun>.c) -------------------------------------------

// Each runs one noun: argv[0] is the noun, the rest its verb, arguments and
// options (argv is reordered by the option loader). It prints its result
// on stdout and its errors on stderr, and returns the exit code (0 for
// --help). Called once, on the main thread; c's client and zones stay
// owned by main.c.

int cmd_health(fedctl *c, int argc, char **argv);
int cmd_node(fedctl *c, int argc, char **argv);
int cmd_series(fedctl *c, int argc, char **argv);
int cmd_grant(fedctl *c, int argc, char **argv);
int cmd_alarm(fedctl *c, int argc, char **argv);
int cmd_query(fedctl *c, int argc, char **argv);
int cmd_export(fedctl *c, int argc, char **argv);
int cmd_ingest(fedctl *c, int argc, char **argv);
int cmd_watch(fedctl *c, int argc, char **argv);
int cmd_plot(fedctl *c, int argc, char **argv);
int cmd_directory(fedctl *c, int argc, char **argv);
int cmd_project(fedctl *c, int argc, char **argv);
int cmd_invest(fedctl *c, int argc, char **argv);

// `fedctl invest summary`, the investor's widget (invest_summary.c), as a
// verb: argv[0] is "summary".
int fedctl_invest_summary(fedctl *c, int argc, char **argv);

#endif // FEDCTL_H
