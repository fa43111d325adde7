// SPDX-License-Identifier: MIT
//
// fed_proxy.h: a fault-injecting TCP proxy for the tests, on loopback only.
//
// It listens on 127.0.0.1 and forwards every connection it accepts to a
// target port on 127.0.0.1, from one thread polling every socket, with a
// bounded buffer per direction (so a slow side slows the other, as TCP
// would). The faults can be changed at any time from any thread:
// - a delay added to every chunk before it is forwarded;
// - a bandwidth limit shared by all connections (bytes per second);
// - dropping every connection now (both sides closed);
// - stalling: connections, open and new, are read from and never
//   forwarded to nor closed, like a peer that vanished without a word. A
//   connection stalled once stays so (its stream has lost bytes) until it
//   is dropped or the proxy stops; new ones forward again once stalling
//   is turned off;
// - resets mid-message: the next connections that carry a chunk longer
//   than n bytes forward n bytes of it, then are closed on both sides.
// At most FED_PROXY_MAX_CONN connections at once (more are closed as they
// come). Everything the proxy owns is released by fed_proxy_free.

#ifndef FED_PROXY_H
#define FED_PROXY_H

#include <stdint.h>

#include "fed/status.h"

#define FED_PROXY_MAX_CONN 32

typedef struct fed_proxy fed_proxy;

typedef struct fed_proxy_stats {
	uint64_t bytes_up; // forwarded from clients to the target
	uint64_t bytes_down; // forwarded from the target to clients
	uint64_t bytes_swallowed; // read while stalled, never forwarded
	uint64_t n_accepted; // connections accepted
	uint64_t n_faulted; // connections closed by a drop or a reset
	uint64_t n_open; // connections open now
} fed_proxy_stats;

// Listens on 127.0.0.1:listen_port (0: a free port, see fed_proxy_port)
// and starts the thread forwarding to 127.0.0.1:target_port. *out gets
// the proxy, freed by the caller with fed_proxy_free. INVALID_ARGUMENT for
// a port outside 0..65535 (target: 1..65535); UNAVAILABLE when the port
// cannot be bound; RESOURCE_EXHAUSTED when memory or the thread fails.
fed_status fed_proxy_new(int listen_port, int target_port, fed_proxy **out);

// The port the proxy listens on.
int fed_proxy_port(const fed_proxy *p);

// Delay added to each chunk before it is forwarded (0: none; capped at
// 10 s).
void fed_proxy_set_delay_ms(fed_proxy *p, int delay_ms);

// Bandwidth limit over all connections and both directions, in bytes per
// second (0: none).
void fed_proxy_set_rate(fed_proxy *p, int64_t bytes_per_s);

// Closes every open connection, both sides, at the thread's next turn
// (within a few milliseconds); returns once they are closed (1 s at
// most).
void fed_proxy_drop_all(fed_proxy *p);

// on != 0: stall every connection (see above); 0: new connections
// forward again.
void fed_proxy_set_stalled(fed_proxy *p, int on);

// The next n_times connections carrying a chunk longer than after_bytes
// (in either direction) forward after_bytes of it, then are closed. 0
// times: none.
void fed_proxy_reset_mid(fed_proxy *p, int after_bytes, int n_times);

// A snapshot of the counters.
void fed_proxy_stats_get(fed_proxy *p, fed_proxy_stats *out);

// Stops the thread (joined), closes every socket and frees. NULL: nothing.
void fed_proxy_free(fed_proxy *p);

#endif // FED_PROXY_H
