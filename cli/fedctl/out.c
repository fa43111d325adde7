// SPDX-License-Identifier: MIT
//
// out.c: what every fedctl subcommand shares: exit codes and error lines,
// loading a subcommand's options, the RPC client made on first use, and
// formatting of times and numbers for people and for machines.

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/transport.h"
#include "fedctl.h"

int
fedctl_exit_code(fed_status st)
{
	switch (st) {
	case FED_OK:
		return FEDCTL_EXIT_OK;
	case FED_NOT_FOUND:
		return FEDCTL_EXIT_NOT_FOUND;
	case FED_PERMISSION_DENIED:
	case FED_UNAUTHENTICATED:
		return FEDCTL_EXIT_DENIED;
	case FED_UNAVAILABLE:
	case FED_DEADLINE_EXCEEDED:
		return FEDCTL_EXIT_UNAVAILABLE;
	default:
		return FEDCTL_EXIT_OTHER;
	}
}

int
fedctl_fail(const fedctl *c, fed_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", c->prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", fed_status_name(st));
	va_end(ap);
	return fedctl_exit_code(st);
}

int
fedctl_usage(const fedctl *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", c->prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see '%s --help')\n", c->prog);
	va_end(ap);
	return FEDCTL_EXIT_USAGE;
}

static int
merge_out(fedctl *c, const fedctl_out_opts *oo)
{
	if (oo->json && oo->csv)
		return fedctl_usage(c, "--json and --csv exclude each other");
	if (oo->json)
		c->format = FEDCTL_JSON;
	if (oo->csv)
		c->format = FEDCTL_CSV;
	c->utc |= oo->utc;
	if (oo->tz == NULL)
		return -1;
	fed_tz *z = NULL;
	fed_status st = fed_tz_load(oo->tz, &z);
	if (st != FED_OK)
		return fedctl_fail(c, st, "--tz '%s'", oo->tz);
	fed_tz_free(c->zone);
	c->zone = z;
	return -1;
}

int
fedctl_load_sub(fedctl *c, const fed_cfg_spec *spec, void *cfg, int argc,
    char **argv, fedctl_out_opts *oo, fed_cfg_result *res)
{
	snprintf(c->prog, sizeof(c->prog), "%s", spec->program);
	if (fed_cfg_load(spec, cfg, argc, argv, res) != FED_OK) {
		fprintf(stderr, "%s: %s (see '%s --help')\n", c->prog,
		    res->err, c->prog);
		return FEDCTL_EXIT_USAGE;
	}
	if (res->action != FED_CFG_RUN) {
		fed_cfg_help(spec, stdout);
		return FEDCTL_EXIT_OK;
	}
	return oo != NULL ? merge_out(c, oo) : -1;
}

// Whether argv[i] is "--name" (1) or "--name=..." (2), else 0.
static int
is_opt(const char *a, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
		return 0;
	if (a[2 + n] == '\0')
		return 1;
	return a[2 + n] == '=' ? 2 : 0;
}

fed_status
fedctl_take_repeated(
    int *argc, char **argv, const char *name, char ***vals, size_t *n)
{
	*vals = NULL;
	*n = 0;
	char **v = calloc((size_t) *argc + 1, sizeof(*v));
	if (v == NULL)
		return FED_RESOURCE_EXHAUSTED;
	int j = 1;
	fed_status st = FED_OK;
	int i = 1;
	for (; i < *argc && strcmp(argv[i], "--") != 0; i++) {
		int k = is_opt(argv[i], name);
		if (k == 2)
			v[(*n)++] = argv[i] + strlen(name) + 3;
		else if (k == 1 && i + 1 < *argc)
			v[(*n)++] = argv[++i];
		else if (k == 1)
			st = FED_INVALID_ARGUMENT;
		else
			argv[j++] = argv[i];
	}
	while (i < *argc)
		argv[j++] = argv[i++];
	argv[j] = NULL;
	*argc = j;
	if (*n == 0 || st != FED_OK) {
		free(v);
		return st;
	}
	*vals = v;
	return FED_OK;
}

fed_tls_opts
fedctl_tls(const fedctl *c)
{
	fed_tls_opts t = {c->g->tls_cert, c->g->tls_key, c->g->tls_ca,
	    c->g->tls_server_name};
	return t;
}

fed_status
fedctl_client_open(const fedctl *c, const char *option, const char *url,
    const char *token, fed_rpc_client **out, char *err, size_t err_len)
{
	// A one-shot command: nothing listening there is said at once, not
	// after the whole --timeout.
	int probe_ms = c->g->timeout_ms < 2000 ? (int) c->g->timeout_ms : 2000;
	if (fed_transport_probe(url, probe_ms) == FED_UNAVAILABLE) {
		snprintf(err, err_len,
		    "--%s %s refused the connection (nothing listens there)",
		    option, url);
		return FED_UNAVAILABLE;
	}
	if (token != NULL && token[0] != '\0')
		fed_transport_warn_clear(url, "fedctl");
	fed_tls_opts tls = fedctl_tls(c);
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = url;
	o.tls = &tls;
	o.token = token;
	o.timeout_ms = (uint32_t) c->g->timeout_ms;
	fed_status st = fed_rpc_client_new(&o, out);
	if (st != FED_OK && fed_transport_is_tls(url))
		snprintf(err, err_len,
		    "--%s '%s': cannot load --tls-cert '%s', --tls-key '%s' "
		    "or --tls-ca '%s'",
		    option, url, tls.cert_file, tls.key_file, tls.ca_file);
	else if (st != FED_OK)
		snprintf(err, err_len, "--%s '%s' is not a valid address",
		    option, url);
	return st;
}

fed_status
fedctl_call(fedctl *c, const ProtobufCServiceDescriptor *svc,
    const char *method, const ProtobufCMessage *req, ProtobufCMessage **reply,
    char *err, size_t err_len)
{
	if (c->rpc == NULL)
		FED_TRY(fedctl_client_open(c, "node", c->g->node, c->g->token,
		    &c->rpc, err, err_len));
	fed_status st
	    = fed_rpc_call(c->rpc, svc, method, req, reply, err, err_len);
	fedctl_tls_hint(c->g->node, st, err, err_len);
	return st;
}

void
fedctl_tls_hint(const char *url, fed_status st, char *err, size_t err_len)
{
	size_t n = strlen(err);
	if (!fed_transport_is_tls(url)
	    || (st != FED_UNAVAILABLE && st != FED_DEADLINE_EXCEEDED)
	    || n + 1 >= err_len)
		return;
	// nng 1.5.2 reports a refused handshake as a peer that never
	// answers; the dialer's probe logs the reason ("tls: ...").
	snprintf(err + n, err_len - n,
	    "%sover TLS, a refused handshake looks the same: check "
	    "--tls-cert, --tls-key, --tls-ca and the name in the server's "
	    "certificate (a 'tls' warning above tells)",
	    n > 0 ? "; " : "");
}

fed_status
fedctl_node_call(fedctl *c, const ProtobufCServiceDescriptor *svc,
    const char *method, const void *req, void *reply)
{
	char err[512] = "";
	fed_status st = fedctl_call(c, svc, method, req,
	    (ProtobufCMessage **) reply, err, sizeof(err));
	if (st != FED_OK)
		fedctl_fail(c, st, "%s/%s: %s", svc->short_name, method,
		    err[0] ? err : fed_status_str(st));
	return st;
}

fed_status
fedctl_store_call(fedctl *c, const char *method, const char *what,
    const void *req, void *reply)
{
	char err[512] = "";
	fed_status st = fedctl_call(c, &enfed__v1__series_store__descriptor,
	    method, req, reply, err, sizeof(err));
	if (st == FED_OK)
		return st;
	if (st == FED_UNAVAILABLE && err[0] == '\0')
		snprintf(err, sizeof(err), "node %s unreachable", c->g->node);
	if (st == FED_UNAUTHENTICATED
	    && (c->g->token == NULL || c->g->token[0] == '\0'))
		snprintf(err, sizeof(err),
		    "no token given (--token, FED_TOKEN or the config file)");
	fedctl_fail(c, st, "%s%s%s: %s", method, what[0] != '\0' ? " " : "",
	    what, err[0] != '\0' ? err : fed_status_str(st));
	return st;
}

const fed_tz *
fedctl_show_zone(const fedctl *c)
{
	return c->utc ? c->utc_zone : c->zone;
}

void
fedctl_time_iso(const fedctl *c, int64_t utc_ms, char *buf, size_t len)
{
	if (fed_tz_format_iso(fedctl_show_zone(c), utc_ms, buf, len) != FED_OK)
		snprintf(buf, len, "%lld", (long long) utc_ms);
}

void
fedctl_time_short(const fedctl *c, int64_t utc_ms, char *buf, size_t len)
{
	fed_tz_tm t;
	fed_tz_localtime(fedctl_show_zone(c), utc_ms, &t);
	if (t.second == 0 && t.millis == 0)
		snprintf(buf, len, "%04d-%02d-%02d %02d:%02d", t.year, t.month,
		    t.day, t.hour, t.minute);
	else
		snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d", t.year,
		    t.month, t.day, t.hour, t.minute, t.second);
}

void
fedctl_fmt_exact(double v, char *buf, size_t len)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

void
fedctl_fmt_human(double v, char *buf, size_t len)
{
	snprintf(buf, len, "%.3f", v);
	char *dot = strchr(buf, '.');
	if (dot == NULL)
		return;
	char *end = buf + strlen(buf) - 1;
	while (end > dot && *end == '0')
		*end-- = '\0';
	if (end == dot)
		*end = '\0';
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, len, "0");
}

void
fedctl_csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

fed_status
fedctl_json_emit(cJSON *j)
{
	char *s = j != NULL ? cJSON_Print(j) : NULL;
	cJSON_Delete(j);
	if (s == NULL)
		return FED_RESOURCE_EXHAUSTED;
	puts(s);
	cJSON_free(s);
	return FED_OK;
}

static const char *
name_at(const char *const *names, size_t n, int i)
{
	return i >= 0 && (size_t) i < n ? names[i] : "unknown";
}

#define NAME_AT(names, i) name_at(names, sizeof(names) / sizeof(*names), i)

const char *
fedctl_kind_name(int kind)
{
	static const char *const names[]
	    = {"unspecified", "consumption", "production", "power", "index"};
	return NAME_AT(names, kind);
}

const char *
fedctl_unit_name(int unit)
{
	static const char *const names[]
	    = {"unspecified", "Wh", "W", "VA", "A", "V"};
	return NAME_AT(names, unit);
}

const char *
fedctl_step_name(int step)
{
	static const char *const names[]
	    = {"raw", "5min", "15min", "hour", "day", "week", "month", "year"};
	return NAME_AT(names, step);
}

const char *
fedctl_agg_name(int agg)
{
	static const char *const names[] = {
	    "default", "sum", "mean", "min", "max", "first", "last", "count"};
	return NAME_AT(names, agg);
}
