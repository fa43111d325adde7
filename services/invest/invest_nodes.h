// SPDX-License-Identifier: MIT
//
// invest_nodes.h: the fed-nodes fed-invest reads series from, by name, and
// what it asks them, with two kinds of credentials that never mix:
//
// - production series (the projects' plants) with fed-invest's own node
//   token: that a series is a production series and the time of its last
//   point (SeriesStore/GetSeries), its energy over a range (with the part
//   of the range covered by data) and its buckets (SeriesStore/Query);
// - a household's consumption series with the token of the grant its
//   owner's node issued to the investment service (invest_granted), never
//   with fed-invest's own: whether the grant reads the series
//   (GetSeries), and its daily buckets (Query at STEP_DAY).
//
// A node that cannot be reached gives UNAVAILABLE with a message naming
// the node: fed-invest keeps no copy of the numbers, so a figure is either
// computed from the node now or not given at all. A production series the
// node does not know, or refuses to show, is FAILED_PRECONDITION (the
// project points at something the node does not serve to fed-invest). A
// grant the node does not honour is PERMISSION_DENIED, with a message that
// names only the node and the series (the node's own answer is logged).

#ifndef INVEST_NODES_H
#define INVEST_NODES_H

#include <stddef.h>
#include <stdint.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/status.h"

typedef struct invest_nodes invest_nodes;

// After a call found a node unreachable, how long later calls to it with
// fed-invest's own token fail at once (fed_rpc_client_opts.down_ms), while
// it is still not connected.
#define INVEST_NODE_DOWN_MS 30000

// Clients for a comma-separated list of `name=url` (a bare url is named
// "node"), all calling with `token` (copied; may be NULL: fed-invest's own
// node token, for production series only) and a per-call timeout.
// INVALID_ARGUMENT (err says which entry) for an empty list, a bad entry or a
// duplicate name. The first entry is the default node. *out is owned by the
// caller (invest_nodes_free). Does not block.
fed_status invest_nodes_new(const char *list, const char *token,
    uint32_t timeout_ms, invest_nodes **out, char *err, size_t err_len);

// Closes the clients. NULL does nothing.
void invest_nodes_free(invest_nodes *n);

// OK when `name` is a configured node ("" = the default);
// INVALID_ARGUMENT naming the known nodes otherwise.
fed_status invest_nodes_check(
    const invest_nodes *n, const char *name, char *err, size_t err_len);

// --- Production series, with fed-invest's own node token ------------------
//
// Every function below blocks on the node, from any thread.

// OK when series on node is a production series (SERIES_KIND_PRODUCTION)
// that organisation may turn into project figures: a public series, or one
// whose owner is organisation itself (the owner's consent: fed-invest's
// node token may read other organisations' private plants, which it must
// not hand to whoever enters a project). The timestamp of its last point
// goes to *last_ms (0 when it has none). FAILED_PRECONDITION, with one
// message whatever the reason (a series the node does not know or does not
// show to fed-invest's token, of another kind, or of another owner), so
// that entering projects cannot probe which series exist; the node's own
// answer goes to the log.
fed_status invest_nodes_production(invest_nodes *n, const char *node,
    const char *series, const char *organisation, int64_t *last_ms, char *err,
    size_t err_len);

// Energy (SUM, Wh) of series on node over [from_ms, to_ms), and the part
// of the range covered by data (invest_calc_sum). An empty range costs no
// call.
fed_status invest_nodes_sum(invest_nodes *n, const char *node,
    const char *series, int64_t from_ms, int64_t to_ms, const char *tz,
    double *wh, double *coverage, char *err, size_t err_len);

// SeriesStore/Query of one series with SUM, step and tz: *out is the
// node's reply, owned by the caller
// (enfed__v1__query_response__free_unpacked).
fed_status invest_nodes_query(invest_nodes *n, const char *node,
    const char *series, int64_t from_ms, int64_t to_ms, Enfed__V1__Step step,
    const char *tz, Enfed__V1__QueryResponse **out, char *err, size_t err_len);

// --- Household series, with the household's grant token -------------------

// A household's series and the grant it is read under. All borrowed.
typedef struct invest_granted {
	const char *node; // a configured node ("" = the default)
	const char *series; // the series id
	const char *grant_token; // the grant's token: a secret, never logged
} invest_granted;

// OK when the node holding g->series lets g->grant_token read it
// (SeriesStore/GetSeries with that token, on a connection of its own).
// INVALID_ARGUMENT for an unknown node or an empty token; PERMISSION_DENIED
// for anything else the node answers (another series, a grant of another
// node, revoked or expired, an unknown token) and for a token equal to
// fed-invest's own node token; UNAVAILABLE when the node cannot be
// reached. err names the node and the series only.
fed_status invest_nodes_grant_check(
    invest_nodes *n, const invest_granted *g, char *err, size_t err_len);

// The daily buckets (STEP_DAY, SUM) of g->series over [from_ms, to_ms) in
// tz, read with g->grant_token: *out is the node's reply, owned by the
// caller (enfed__v1__query_response__free_unpacked). A node honouring a
// coarse grant returns whole, completed days only; the caller counts only
// whole buckets (invest_calc_whole_sum) whatever it returns. Statuses as
// invest_nodes_grant_check.
fed_status invest_nodes_grant_days(invest_nodes *n, const invest_granted *g,
    int64_t from_ms, int64_t to_ms, const char *tz,
    Enfed__V1__QueryResponse **out, char *err, size_t err_len);

#endif // INVEST_NODES_H
