// SPDX-License-Identifier: MIT
//
// fedctl: the command-line client of enfed, `fedctl [global options] <noun>
// [verb] [args]`. main.c loads the global options (config file
// ~/.config/enfed/fedctl.conf, FED_* environment, command line), finds the
// noun in the dispatch table below and hands it the rest of the command
// line. A new noun is one cmd_<noun>.c and one line of the table.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fed/health.h"
#include "fed/log.h"
#include "fed/transport.h"
#include "fedctl.h"

typedef int (*fedctl_cmd_fn)(fedctl *c, int argc, char **argv);

struct fedctl_cmd {
	const char *name;
	fedctl_cmd_fn fn;
	const char *help; // one line for `fedctl --help`
};

static const struct fedctl_cmd commands[] = {
    {"health", cmd_health, "check a node: service, version, node, uptime"},
    {"node", cmd_node,
        "check | backup: verify every stored block now, copy the store"},
    {"series", cmd_series,
        "ls | show | create | describe | rm: the series of a node"},
    {"query", cmd_query,
        "points or buckets of one or more series (table, CSV, JSON, SenML)"},
    {"export", cmd_export, "raw points of a series as CSV or SenML"},
    {"ingest", cmd_ingest, "send points from a CSV or SenML file"},
    {"watch", cmd_watch, "print points as the node stores them"},
    {"plot", cmd_plot, "load curves one under another (terminal or SVG)"},
    {"alarm", cmd_alarm,
        "rule | ls | ack | watch: alarm rules and alarms of a node"},
    {"grant", cmd_grant,
        "create | ls | revoke: consent grants of series to other nodes"},
    {"directory", cmd_directory,
        "ls | show | lookup: the nodes of the federation (fed-directory)"},
    {"project", cmd_project,
        "ls | show | add | edit: projects financed by citizens (fed-invest)"},
    {"invest", cmd_invest,
        "add | ls | rm | link | summary: holdings, investor's figures"},
};

#define C fedctl_global
static const fed_cfg_opt global_opts[] = {
    FED_CFG_OPT_STRING_LEN(C, node, "node", "tcp://127.0.0.1:7410", 1, 4000,
        "RPC address of the node (tcp://, ipc://, tls+tcp://)"),
    FED_CFG_OPT_STRING_LEN(C, stream, "stream", "tcp://127.0.0.1:7411", 1,
        4000, "live stream address of the node (for watch)"),
    FED_CFG_OPT_STRING(
        C, token, "token", NULL, "access token (@FILE reads it from FILE)"),
    FED_CFG_OPT_STRING_LEN(C, directory, "directory", "tcp://127.0.0.1:7400",
        1, 4000, "RPC address of fed-directory (for directory)"),
    FED_CFG_OPT_STRING(C, directory_token, "directory-token", NULL,
        "token for fed-directory (default: --token; @FILE reads a file)"),
    FED_CFG_OPT_STRING_LEN(C, invest, "invest", "tcp://127.0.0.1:7430", 1,
        4000, "RPC address of fed-invest (for project and invest)"),
    FED_CFG_OPT_STRING(C, invest_token, "invest-token", NULL,
        "token for fed-invest (default: --token; @FILE reads a file)"),
    FED_CFG_OPT_DURATION(C, timeout_ms, "timeout", "10s", 100, 3600000,
        "deadline of each call to the node"),
    FED_CFG_OPT_STRING(C, tls_cert, "tls-cert", NULL,
        "client certificate (PEM) for tls+tcp:// addresses"),
    FED_CFG_OPT_STRING(C, tls_key, "tls-key", NULL, "its private key (PEM)"),
    FED_CFG_OPT_STRING(C, tls_ca, "tls-ca", NULL,
        "the CA (PEM) that signed the servers' certificates"),
    FED_CFG_OPT_STRING(C, tls_server_name, "tls-server-name", NULL,
        "name expected in the servers' certificates (default: the host "
        "of each address)"),
    FED_CFG_OPT_STRING_LEN(C, tz, "tz", "Europe/Paris", 1, 64,
        "time zone of local times and calendar steps"),
    FED_CFG_OPT_BOOL(C, utc, "utc", "false", "show times in UTC"),
    FED_CFG_OPT_BOOL(C, json, "json", "false", "machine output: JSON"),
    FED_CFG_OPT_BOOL(C, csv, "csv", "false", "machine output: CSV"),
    FED_CFG_OPT_LOG_LEVEL(C, log_level, "log-level", "warning",
        "library log lines on stderr: err, warning, notice, info, debug"),
};
#undef C

static const fed_cfg_spec global_spec
    = {"fedctl", "[GLOBAL OPTION]... COMMAND [ARG]...",
        "The command-line client of enfed: series, queries, ingest, live "
        "points, plots, the federation's directory and citizen "
        "investment.\n"
        "Global options come before the command; each command has its own "
        "--help.\n"
        "Config file: ~/.config/enfed/fedctl.conf ($XDG_CONFIG_HOME/enfed/"
        "fedctl.conf), `name = value` lines, unless --config or FED_CONFIG "
        "names another.",
        global_opts, FED_CFG_N(global_opts), FED_CFG_STOP_AT_ARG};

static void
print_help(void)
{
	fed_cfg_help(&global_spec, stdout);
	printf("\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].help);
	printf("\nExamples:\n"
	       "  fedctl health\n"
	       "  fedctl series ls --prefix kermelo/\n"
	       "  fedctl query kermelo/school/energy --from today-7d --to "
	       "today --step day\n"
	       "  fedctl --node tcp://10.0.0.2:7410 --token @admin.token "
	       "series rm old/meter/energy\n"
	       "  fedctl --node tls+tcp://node.example.org:7410 --tls-cert "
	       "me.crt --tls-key me.key --tls-ca ca.crt health\n"
	       "  fedctl directory lookup --series kermelo/\n"
	       "  fedctl invest summary alice\n"
	       "\nExit codes: 0 ok, 1 other failure, 2 usage, 3 not found, "
	       "4 permission denied or unauthenticated, 5 unavailable or "
	       "deadline exceeded.\n");
}

// The default config file, when neither --config nor FED_CONFIG names one
// and it exists: fed/cfg.h reads FED_CONFIG, so it is set here.
static void
default_config(void)
{
	if (getenv("FED_CONFIG") != NULL)
		return;
	char path[4096];
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg != NULL && xdg[0] == '/')
		snprintf(path, sizeof(path), "%s/enfed/fedctl.conf", xdg);
	else if (home != NULL && home[0] != '\0')
		snprintf(
		    path, sizeof(path), "%s/.config/enfed/fedctl.conf", home);
	else
		return;
	if (access(path, R_OK) == 0)
		setenv("FED_CONFIG", path, 0);
}

static const struct fedctl_cmd *
find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

// A usage error (exit 2) for an address option without a scheme enfed
// knows, or a tls+tcp:// address without the certificate, key and CA,
// before any call: "127.0.0.1:7410" is a typo, not an outage.
static int
check_addresses(const fedctl *c, const fedctl_global *g)
{
	const struct {
		const char *name, *url;
	} addr[] = {{"node", g->node}, {"stream", g->stream},
	    {"directory", g->directory}, {"invest", g->invest}};
	fed_tls_opts tls = fedctl_tls(c);
	char err[512];
	for (size_t i = 0; i < sizeof(addr) / sizeof(addr[0]); i++) {
		const char *url = addr[i].url;
		if (url == NULL
		    || fed_transport_check(url, &tls, err, sizeof(err))
		        == FED_OK)
			continue;
		if (fed_transport_is_tls(url))
			return fedctl_usage(c,
			    "--%s: %s (--tls-cert, --tls-key and --tls-ca, "
			    "FED_TLS_CERT, FED_TLS_KEY and FED_TLS_CA, or "
			    "the config file)",
			    addr[i].name, err);
		return fedctl_usage(c,
		    "--%s '%s' is not an address (ipc://PATH, tcp://HOST:PORT "
		    "or tls+tcp://HOST:PORT)",
		    addr[i].name, url);
	}
	return -1;
}

static int
run(const fedctl_global *g, int argc, char **argv)
{
	fedctl c = {.g = g, .utc = g->utc};
	snprintf(c.prog, sizeof(c.prog), "fedctl");
	c.format = g->json ? FEDCTL_JSON : g->csv ? FEDCTL_CSV : FEDCTL_TEXT;
	const struct fedctl_cmd *cmd = find_command(argv[0]);
	if (cmd == NULL)
		return fedctl_usage(&c, "unknown command '%s'", argv[0]);
	snprintf(c.prog, sizeof(c.prog), "fedctl %s", cmd->name);
	int bad = check_addresses(&c, g);
	if (bad >= 0)
		return bad;
	fed_status st = fed_tz_load(g->tz, &c.zone);
	if (st != FED_OK)
		return fedctl_fail(&c, st, "--tz '%s'", g->tz);
	st = fed_tz_load("UTC", &c.utc_zone);
	int rc = st == FED_OK ? cmd->fn(&c, argc, argv)
	                      : fedctl_fail(&c, st, "zone UTC");
	fed_rpc_client_free(c.rpc);
	fedctl_svc_close(&c);
	fed_tz_free(c.zone);
	fed_tz_free(c.utc_zone);
	return rc;
}

int
main(int argc, char **argv)
{
	fedctl_global g;
	fed_cfg_result res;
	default_config();
	int rc = FEDCTL_EXIT_USAGE;
	if (fed_cfg_load(&global_spec, &g, argc, argv, &res) != FED_OK) {
		fprintf(stderr, "fedctl: %s\n", res.err);
		goto out;
	}
	if (res.action != FED_CFG_RUN) {
		if (res.action == FED_CFG_HELP)
			print_help();
		else
			printf("fedctl %s\n", fed_version());
		rc = FEDCTL_EXIT_OK;
		goto out;
	}
	if (res.n_args == 0) {
		fprintf(stderr,
		    "fedctl: a command is needed (see 'fedctl "
		    "--help')\n");
		goto out;
	}
	fed_log_set_sink(fed_log_stderr_sink, NULL);
	fed_log_set_level(g.log_level);
	rc = run(&g, res.n_args, res.args);
out:
	fed_cfg_fini(&global_spec, &g);
	return rc;
}
