// SPDX-License-Identifier: MIT
//
// invest_rpc_internal.h: what the two halves of the Invest handlers share:
// invest_rpc.c (projects, holdings, links) and invest_figures.c (Summary,
// Detail, Distribution).

#ifndef INVEST_RPC_INTERNAL_H
#define INVEST_RPC_INTERNAL_H

#include <stdbool.h>

#include "enfed/v1/invest.pb-c.h"
#include "invest_rpc.h"

#define INVEST_ERR_LEN 384

// The calling principal (NULL only for unauthenticated servers in tests).
const invest_principal *invest__caller(const fed_rpc_ctx *call);

// Sends err back with st (st returned).
fed_status invest__fail(fed_rpc_ctx *call, fed_status st, const char *err);

// OK when the investor is known (bound by a token, or holding shares or a
// link in the store); NOT_FOUND otherwise.
fed_status invest__investor_known(
    invest_rpc *r, const char *investor, char *err, size_t err_len);

// The project by id, moved into call memory (freed after the reply):
// NOT_FOUND when unknown. The effective surface is recomputed with the
// factors in force.
fed_status invest__project(fed_rpc_ctx *call, invest_rpc *r, const char *id,
    Enfed__V1__Project **out, char *err, size_t err_len);

// A message of type desc in call memory (freed after the reply),
// initialised; NULL when memory is exhausted.
void *invest__alloc_msg(
    fed_rpc_ctx *call, const ProtobufCMessageDescriptor *desc);

#define NEW_MSG(call, T, desc) ((T *) invest__alloc_msg((call), &(desc)))

// The linked household consumption of s->investor's summary (at s->at_ms,
// s->attributed and s->n_projects already set), read under the link's
// grant in whole days of r->tz (invest_consumption.c). OK with nothing
// set when no series is linked; OK with s->consumption_unavailable set
// when the grant no longer answers or the link has none; UNAVAILABLE when
// the node cannot be reached.
fed_status invest__consumption(fed_rpc_ctx *call, invest_rpc *r,
    const char *investor, Enfed__V1__InvestorSummary *s, char *err,
    size_t err_len);

// The handlers of invest_figures.c (fed_rpc_handler; arg is the
// invest_rpc).
fed_status invest__summary(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg);
fed_status invest__detail(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg);
fed_status invest__distribution(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg);

#endif // INVEST_RPC_INTERNAL_H
