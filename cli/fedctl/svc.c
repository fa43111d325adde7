// SPDX-License-Identifier: MIT
//
// svc.c: what the nouns of the federation's services share: calls to
// fed-directory and fed-invest (their own address and token), amounts of
// euros read and written, energies written with a sensible unit, and the
// sparkline of daily production.

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "enfed/v1/invest.pb-c.h"
#include "fedctl.h"

static const char *
svc_url(const fedctl *c, fedctl_svc which)
{
	return which == FEDCTL_SVC_DIRECTORY ? c->g->directory : c->g->invest;
}

static const char *
svc_token(const fedctl *c, fedctl_svc which)
{
	const char *t = which == FEDCTL_SVC_DIRECTORY ? c->g->directory_token
	                                              : c->g->invest_token;
	return t != NULL && t[0] != '\0' ? t : c->g->token;
}

static const char *
svc_name(fedctl_svc which)
{
	return which == FEDCTL_SVC_DIRECTORY ? "directory" : "invest";
}

static fed_status
svc_client(fedctl *c, fedctl_svc which, char *err, size_t err_len)
{
	if (c->svc_rpc[which] != NULL)
		return FED_OK;
	return fedctl_client_open(c, svc_name(which), svc_url(c, which),
	    svc_token(c, which), &c->svc_rpc[which], err, err_len);
}

fed_status
fedctl_svc_call(fedctl *c, fedctl_svc which,
    const ProtobufCServiceDescriptor *svc, const char *method,
    const char *what, const void *req, void *reply)
{
	char err[512] = "";
	fed_status st = svc_client(c, which, err, sizeof(err));
	if (st == FED_OK)
		st = fed_rpc_call(c->svc_rpc[which], svc, method, req,
		    (ProtobufCMessage **) reply, err, sizeof(err));
	if (st == FED_OK)
		return st;
	const char *tok = svc_token(c, which);
	if (st == FED_UNAVAILABLE && err[0] == '\0')
		snprintf(err, sizeof(err), "%s %s unreachable",
		    svc_name(which), svc_url(c, which));
	if (c->svc_rpc[which] != NULL) // reached the call
		fedctl_tls_hint(svc_url(c, which), st, err, sizeof(err));
	if (st == FED_UNAUTHENTICATED && (tok == NULL || tok[0] == '\0'))
		snprintf(err, sizeof(err),
		    "no token given (--%s-token, --token or the config file)",
		    svc_name(which));
	fedctl_fail(c, st, "%s%s%s: %s", method, what[0] != '\0' ? " " : "",
	    what, err[0] != '\0' ? err : fed_status_str(st));
	return st;
}

fed_status
fedctl_invest_call(fedctl *c, const char *method, const char *what,
    const void *req, void *reply)
{
	return fedctl_svc_call(c, FEDCTL_SVC_INVEST,
	    &enfed__v1__invest__descriptor, method, what, req, reply);
}

void
fedctl_svc_close(fedctl *c)
{
	for (size_t i = 0; i < sizeof(c->svc_rpc) / sizeof(c->svc_rpc[0]);
	     i++) {
		fed_rpc_client_free(c->svc_rpc[i]);
		c->svc_rpc[i] = NULL;
	}
}

// --- Euros ------------------------------------------------------------------

fed_status
fedctl_parse_euros(const char *s, int64_t *cents)
{
	int64_t euros = 0, frac = 0;
	size_t i = 0, nd = 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++, nd++) {
		if (nd >= 15)
			return FED_INVALID_ARGUMENT;
		euros = euros * 10 + (s[i] - '0');
	}
	if (nd == 0)
		return FED_INVALID_ARGUMENT;
	if (s[i] == '.') {
		size_t nf = 0;
		for (i++; s[i] >= '0' && s[i] <= '9'; i++, nf++) {
			if (nf >= 2)
				return FED_INVALID_ARGUMENT;
			frac = frac * 10 + (s[i] - '0');
		}
		if (nf == 0)
			return FED_INVALID_ARGUMENT;
		if (nf == 1)
			frac *= 10;
	}
	if (s[i] != '\0')
		return FED_INVALID_ARGUMENT;
	*cents = euros * 100 + frac;
	return FED_OK;
}

void
fedctl_fmt_euros(int64_t cents, char *buf, size_t len)
{
	bool neg = cents < 0;
	uint64_t u = neg ? 0 - (uint64_t) cents : (uint64_t) cents;
	char digits[32], grouped[48];
	int n = snprintf(
	    digits, sizeof(digits), "%llu", (unsigned long long) (u / 100));
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			grouped[k++] = ',';
		grouped[k++] = digits[i];
	}
	grouped[k] = '\0';
	if (u % 100 != 0)
		snprintf(buf, len, "%s%s.%02u €", neg ? "-" : "", grouped,
		    (unsigned) (u % 100));
	else
		snprintf(buf, len, "%s%s €", neg ? "-" : "", grouped);
}

// --- Energy -----------------------------------------------------------------

void
fedctl_fmt_energy(double wh, char *buf, size_t len)
{
	static const char *const units[] = {"Wh", "kWh", "MWh", "GWh"};
	double a = fabs(wh), v = wh;
	size_t u = 0;
	while (a >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
		a /= 1000;
		v /= 1000;
		u++;
	}
	// Three significant digits, at most three decimals.
	int dec = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
	char num[40];
	snprintf(num, sizeof(num), "%.*f", dec, v);
	char *dot = strchr(num, '.');
	if (dot != NULL) {
		char *end = num + strlen(num) - 1;
		while (end > dot && *end == '0')
			*end-- = '\0';
		if (end == dot)
			*end = '\0';
	}
	if (strcmp(num, "-0") == 0)
		snprintf(num, sizeof(num), "0");
	snprintf(buf, len, "%s %s", num, units[u]);
}

// --- Sparkline
// ----------------------------------------------------------------

fed_status
fedctl_sparkline(const double *v, const bool *gap, size_t n, bool ascii,
    char *buf, size_t len)
{
	static const char *const blocks[]
	    = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	static const char ascii_levels[] = "_.:-=+*#";
	if (len < (ascii ? n + 1 : 3 * n + 1))
		return FED_RESOURCE_EXHAUSTED;
	double max = 0;
	for (size_t i = 0; i < n; i++)
		if (!gap[i] && isfinite(v[i]) && v[i] > max)
			max = v[i];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (gap[i] || !isfinite(v[i])) {
			buf[k++] = ' ';
			continue;
		}
		double x = v[i] > 0 ? v[i] : 0;
		int lvl = max > 0 ? (int) lround(x / max * 7) : 0;
		if (ascii) {
			buf[k++] = ascii_levels[lvl];
		} else {
			memcpy(buf + k, blocks[lvl], 3);
			k += 3;
		}
	}
	buf[k] = '\0';
	return FED_OK;
}
