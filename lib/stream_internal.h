// SPDX-License-Identifier: MIT
//
// stream_internal.h: what the stream relay (stream_relay.c) needs of the
// publisher and subscriber objects of stream.c. Not installed.

#ifndef FED_STREAM_INTERNAL_H
#define FED_STREAM_INTERNAL_H

#include <nng/nng.h>

#include "fed/stream.h"

// The publisher's PUB socket: a relay sends the messages it forwards on it
// as they came, without new sequence numbers.
nng_socket fed__stream_pub_sock(fed_stream_pub *pub);

// The subscriber's SUB socket, already filtered by its subscriptions: a
// relay receives whole messages from it, without checking sequences.
nng_socket fed__stream_sub_sock(fed_stream_sub *sub);

#endif // FED_STREAM_INTERNAL_H
