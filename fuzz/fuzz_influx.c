// SPDX-License-Identifier: MIT
//
// fuzz_influx.c: libFuzzer target for fed-node's InfluxDB 1.x endpoint:
// the InfluxQL parser, the line protocol parser, and node_http_handle on
// a request built from the input (path and query string, Authorization,
// body) in front of an RPC server that serves nothing, so the parameter,
// credential and statement paths run without a store. The first byte
// chooses which.

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fed/log.h"
#include "node_http.h"
#include "node_http_lp.h"
#include "node_http_ql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static fed_rpc_server *
bare_server(void)
{
	static fed_rpc_server *srv;
	if (srv == NULL) {
		fed_log_set_level(FED_LOG_ERR);
		fed_rpc_server_opts o;
		fed_rpc_server_opts_default(&o);
		if (fed_rpc_server_new(&o, &srv) != FED_OK)
			abort();
	}
	return srv;
}

static void
one_ql(const char *q, size_t len)
{
	static node_ql_stmt st[NODE_QL_MAX_STMTS];
	size_t n = 0;
	char err[256];
	(void) node_ql_parse(q, len, 1767222000000, st, NODE_QL_MAX_STMTS, &n,
	    err, sizeof(err));
}

static void
one_lp(const char *body, size_t len, uint8_t unit)
{
	static const char *const units[] = {"n", "u", "ms", "s", "m", "h"};
	int64_t ns = 1;
	(void) node_lp_precision(units[unit % 6], &ns);
	node_lp_batch b;
	char err[256];
	(void) node_lp_parse(body, len, ns, 0, &b, err, sizeof(err));
	node_lp_batch_fini(&b);
}

// Line 1: the URI; line 2: the Authorization header; the rest: the body.
static void
one_request(const char *in, size_t len, uint8_t how)
{
	char *copy = malloc(len + 1);
	if (copy == NULL)
		return;
	memcpy(copy, in, len);
	copy[len] = '\0';
	char *uri = copy, *auth = strchr(uri, '\n'), *body = "";
	if (auth != NULL) {
		*auth++ = '\0';
		char *b = strchr(auth, '\n');
		if (b != NULL) {
			*b++ = '\0';
			body = b;
		}
	}
	node_http_opts o = {.rpc = bare_server(), .db = "fuzz"};
	node_http_req req = {.method = how & 1 ? "POST" : "GET",
	    .uri = uri,
	    .authorization = auth,
	    .content_type
	    = how & 2 ? "application/x-www-form-urlencoded" : NULL,
	    .body = body,
	    .body_len = strlen(body)};
	node_http_res res;
	node_http_handle(&o, &req, &res);
	free(res.body);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len == 0)
		return 0;
	const char *s = (const char *) data + 1;
	switch (data[0] % 3) {
	case 0:
		one_ql(s, len - 1);
		break;
	case 1:
		one_lp(s, len - 1, data[0] / 3);
		break;
	default:
		one_request(s, len - 1, data[0] / 3);
		break;
	}
	return 0;
}
