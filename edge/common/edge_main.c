// SPDX-License-Identifier: MIT
//
// edge_main.c: the start-up, stop request and end of the edge collectors'
// mains (edge_main.h).

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "edge_main.h"
#include "fed/transport.h"
#include "edge_metrics.h"

// Set by the handler only; the collector's loop polls it. A handler that
// only stores is safe wherever it lands, and its EINTR cuts a blocking
// read or sleep short.
static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static void
install_signals(void)
{
	stop_signal = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	// `systemctl reload` must not kill a collector: it has nothing to
	// reread (its token comes from the config, read at start).
	signal(SIGHUP, SIG_IGN);
}

bool
edge_main_stopping(void)
{
	return stop_signal != 0;
}

static const edge_main_cfg *
common_of(const edge_main_spec *m, const void *cfg)
{
	return (const edge_main_cfg *) ((const char *) cfg + m->common_offset);
}

static fed_tls_opts
tls_of(const edge_main_cfg *common)
{
	fed_tls_opts t = {common->tls_cert, common->tls_key, common->tls_ca,
	    common->node_server_name};
	return t;
}

// A tls+tcp:// node needs the board's certificate, its key and the CA: a
// board started without them must stop at once, not retry for ever.
static int
check_node(const edge_main_spec *m, const void *cfg)
{
	const edge_main_cfg *common = common_of(m, cfg);
	fed_tls_opts tls = tls_of(common);
	char err[512];
	if (fed_transport_check(common->node, &tls, err, sizeof(err))
	    == FED_OK)
		return -1;
	fprintf(stderr, "%s: --node: %s%s\n", m->spec->program, err,
	    fed_transport_is_tls(common->node)
	        ? " (--tls-cert, --tls-key and --tls-ca, FED_TLS_CERT, "
	          "FED_TLS_KEY and FED_TLS_CA, or the config file)"
	        : "");
	return 2;
}

static int
run_with_sender(const edge_main_spec *m, const void *cfg)
{
	const edge_main_cfg *common = common_of(m, cfg);
	fed_log_set_sink(fed_log_stderr_sink, NULL);
	fed_log_set_level(common->log_level);
	if (common->token != NULL && common->token[0] != '\0')
		fed_transport_warn_clear(common->node, m->component);
	install_signals();
	fed_tls_opts tls = tls_of(common);
	edge_sender_opts so;
	edge_sender_opts_from_cfg(
	    &so, &common->sender, common->node, common->token, m->component);
	so.tls = &tls;
	edge_sender *s = NULL;
	if (edge_sender_new(&so, &s) != FED_OK)
		return 1;
	edge_metrics *em = NULL;
	fed_metrics_server *ms = NULL;
	int rc = 1;
	if (edge_metrics_new(s, &em) == FED_OK
	    && fed_metrics_listen(
	           common->metrics_listen, m->spec->program, &ms)
	        == FED_OK)
		rc = m->run(cfg, s);
	fed_metrics_server_free(ms);
	edge_metrics_free(em); // before the sender they read
	edge_sender_free(s);
	return rc;
}

int
edge_main_run(const edge_main_spec *m, void *cfg, int argc, char **argv)
{
	int rc = fed_cfg_main(m->spec, cfg, argc, argv, NULL);
	if (rc < 0 && m->check != NULL)
		rc = m->check(cfg);
	if (rc < 0)
		rc = check_node(m, cfg);
	if (rc < 0)
		rc = run_with_sender(m, cfg);
	fed_cfg_fini(m->spec, cfg);
	return rc;
}

int
edge_main_drain(
    edge_sender *s, int64_t drain_ms, const char *component, const char *left)
{
	if (edge_sender_drain(s, drain_ms) == FED_OK)
		return 0;
	fed_log(FED_LOG_WARNING, component, "%s", left);
	return 3;
}

void
edge_main_summary(edge_sender *s, const char *component, const char *fmt, ...)
{
	char mine[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(mine, sizeof(mine), fmt, ap);
	va_end(ap);
	edge_sender_stats ss;
	edge_sender_get_stats(s, &ss);
	fed_log(FED_LOG_NOTICE, component,
	    "summary: %s sent=%llu stored=%llu duplicate=%llu dead=%llu "
	    "lost=%llu thinned=%llu spilled=%llu pending=%llu",
	    mine, (unsigned long long) ss.n_sent,
	    (unsigned long long) ss.n_points_stored,
	    (unsigned long long) ss.n_points_duplicate,
	    (unsigned long long) ss.n_dead, (unsigned long long) ss.n_lost,
	    (unsigned long long) ss.n_points_thinned,
	    (unsigned long long) ss.n_index_spilled,
	    (unsigned long long) ss.n_pending);
}
