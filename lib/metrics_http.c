// SPDX-License-Identifier: MIT
//
// metrics_http.c: /metrics on nng's HTTP server (fed_metrics_listen): the
// default registry rendered at each GET, and enfed_build_info.

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "fed/health.h"
#include "fed/log.h"
#include "fed/metrics.h"

struct fed_metrics_server {
	nng_http_server *srv;
	nng_http_handler *handler;
	int port;
	bool started;
};

static void
reply_error(nng_aio *aio, uint16_t code)
{
	nng_http_res *r = NULL;
	int rv = nng_http_res_alloc_error(&r, code);
	if (rv != 0) {
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, r);
	nng_aio_finish(aio, 0);
}

static void
on_scrape(nng_aio *aio)
{
	char *text = NULL;
	size_t len = 0;
	nng_http_res *r = NULL;
	if (fed_metrics_render(fed_metrics_default(), &text, &len) != FED_OK
	    || nng_http_res_alloc(&r) != 0) {
		free(text);
		reply_error(aio, 503);
		return;
	}
	int rv = nng_http_res_set_header(
	    r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	if (rv == 0)
		rv = nng_http_res_copy_data(r, text, len);
	free(text);
	if (rv != 0) {
		nng_http_res_free(r);
		reply_error(aio, 503);
		return;
	}
	nng_aio_set_output(aio, 0, r);
	nng_aio_finish(aio, 0);
}

// A port as nng stores it (network byte order) as a number.
static int
port_number(uint16_t be)
{
	const uint8_t *b = (const uint8_t *) &be;
	return (b[0] << 8) | b[1];
}

// /metrics has no authentication: an address others can reach is the
// operator's choice, but not one to make by accident (docs/security.md).
static void
warn_unless_loopback(const nng_url *u, const char *url)
{
	const char *h = u->u_hostname;
	if (strcmp(h, "localhost") == 0 || strncmp(h, "127.", 4) == 0
	    || strcmp(h, "::1") == 0)
		return;
	fed_log(FED_LOG_WARNING, "metrics",
	    "--metrics-listen %s is not a loopback address: anyone who "
	    "reaches it reads /metrics, without a token",
	    url);
}

static fed_status
bind_server(fed_metrics_server *s, const char *url)
{
	nng_url *u = NULL;
	if (nng_url_parse(&u, url) != 0 || strcmp(u->u_scheme, "http") != 0) {
		nng_url_free(u);
		fed_log(FED_LOG_ERR, "metrics",
		    "--metrics-listen %s: not an http://host:port address",
		    url);
		return FED_INVALID_ARGUMENT;
	}
	warn_unless_loopback(u, url);
	int rv = nng_http_server_hold(&s->srv, u);
	nng_url_free(u);
	if (rv == 0)
		rv = nng_http_handler_alloc(
		    &s->handler, "/metrics", on_scrape);
	if (rv == 0
	    && (rv = nng_http_server_add_handler(s->srv, s->handler)) != 0) {
		nng_http_handler_free(s->handler);
		s->handler = NULL;
	}
	if (rv == 0)
		rv = nng_http_server_start(s->srv);
	if (rv != 0) {
		fed_log(FED_LOG_ERR, "metrics", "--metrics-listen %s: %s", url,
		    nng_strerror(rv));
		return FED_UNAVAILABLE;
	}
	s->started = true;
	nng_sockaddr sa;
	if (nng_http_server_get_addr(s->srv, &sa) == 0)
		s->port = port_number(sa.s_family == NNG_AF_INET6
		        ? sa.s_in6.sa_port
		        : sa.s_in.sa_port);
	return FED_OK;
}

// enfed_build_info{program,version} 1: which program and version a series
// comes from, for dashboards that join on it.
static void
build_info(const char *program)
{
	fed_metrics_desc d = {.name = "enfed_build_info",
	    .help = "always 1: the program and its enfed version",
	    .type = FED_METRIC_GAUGE,
	    .labels = {"program", "version"},
	    .n_labels = 2};
	fed_metrics_family *f = NULL;
	fed_metric *c = NULL;
	const char *values[] = {program, fed_version()};
	if (fed_metrics_family_get(fed_metrics_default(), &d, &f) == FED_OK
	    && fed_metrics_child(f, values, &c) == FED_OK)
		fed_metric_set(c, 1);
}

fed_status
fed_metrics_listen(
    const char *url, const char *program, fed_metrics_server **out)
{
	*out = NULL;
	if (url == NULL || url[0] == '\0')
		return FED_OK;
	fed_metrics_server *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return FED_RESOURCE_EXHAUSTED;
	build_info(program != NULL ? program : "enfed");
	fed_status st = bind_server(s, url);
	if (st != FED_OK) {
		fed_metrics_server_free(s);
		return st;
	}
	fed_log(FED_LOG_INFO, "metrics", "serving /metrics on %s", url);
	*out = s;
	return FED_OK;
}

int
fed_metrics_server_port(const fed_metrics_server *s)
{
	return s != NULL ? s->port : 0;
}

void
fed_metrics_server_free(fed_metrics_server *s)
{
	if (s == NULL)
		return;
	if (s->srv != NULL) {
		if (s->started)
			nng_http_server_stop(s->srv);
		if (s->handler != NULL)
			nng_http_server_del_handler(s->srv, s->handler);
		nng_http_handler_free(s->handler);
		nng_http_server_release(s->srv);
	}
	free(s);
}
